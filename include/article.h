/*
 * article: the first stage of the pipeline (article -> digest -> tmpl -> mime -> transport).
 * Reads one article file in one of four formats (Markdown with YAML front matter, a YAML
 * article, plain text scraped from a web page, or an HTML page) into one struct.
 * Markdown goes through libcmark (CommonMark 0.30); dates are read from common news
 * formats (RFC 5322 3.3, ISO 8601 / RFC 3339, US and UK newspaper styles, eight European
 * languages, CJK "2024年3月15日") into ISO 8601 with the printed offset (newsdate.h).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_ARTICLE_H
#define GAZETTE_ARTICLE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

struct diag;
struct value;

/* Longest ISO 8601 string we produce ("2014-10-19T16:55:00Z" is 20) plus room. */
#define ARTICLE_ISO_MAX 32
/* image_width and image_height: at most this many pixels. */
#define ARTICLE_IMAGE_MAX_PX 10000
/* Largest article file we read; a scraped page or a Markdown post is far below this. */
#define ARTICLE_MAX_BYTES ((size_t)8 << 20)

enum article_format {
    ARTICLE_MARKDOWN,           /* .md .markdown: optional --- front matter --- then Markdown */
    ARTICLE_YAML,               /* .yaml .yml: a map with the keys below plus body/paragraphs */
    ARTICLE_TEXT,               /* .txt: text scraped from a web page, extracted by heuristics */
    ARTICLE_HTML,               /* .html .htm: a web page, read by src/article/html.c */
};

/* A link of the body, numbered by position: links[i] is reference [i + 1] in body_text. */
struct article_link {
    const char *url;            /* absolute http(s) or mailto URL */
    const char *text;           /* the link text as it appears in body_text */
};

/* A line of a scraped page that is not part of the article (for `gazette check -v`). */
struct article_noise {
    const char *text;
    int line;                   /* 1-based line in the file */
    const char *why;            /* "pattern", "user pattern", "header", "footer", "date", ... */
};

/*
 * Where each field came from, for `gazette articles`: "front matter", "YAML", "issue file",
 * "text line 12", "text line 12 (date line)", "first sentence", "file name", and for HTML
 * pages "JSON-LD", "OpenGraph", "<title>", "<h1>", "byline", ...; NULL when the field is
 * absent.
 */
struct article_from {
    const char *title, *url, *source, *author, *date, *summary, *image;
};

/*
 * One article.  Every string is UTF-8, owned by the article and valid until
 * article_free().  Single-line fields (title, source, author, date, ...) never contain
 * CR, LF or other control characters.  Optional fields are NULL when absent.
 */
struct article {
    enum article_format format;
    const char *path;           /* as given to article_load(), or the name given to _parse */
    const char *title;          /* never NULL */
    const char *url;            /* absolute http:// or https:// URL, or NULL */
    const char *source;         /* publication ("Reuters"), or NULL */
    const char *author;
    const char *date;           /* the date as printed ("Sun Oct 19, 2014 4:55PM GMT") */
    char date_iso[ARTICLE_ISO_MAX]; /* article_parse_date() form; "" when unknown */
    const char *summary;        /* plain text */
    const char *image;          /* absolute http(s) URL or a relative file path */
    const char *image_alt;
    long image_width, image_height; /* pixels, from image_width/image_height; 0: not given */
    const char **tags;
    size_t ntags;
    const char *body_html;      /* never NULL; "" for an empty body */
    const char *body_text;      /* never NULL; plain text, links as "text [N]" */
    const char **paragraphs;    /* the body's paragraphs as plain text (top-level ones for
                                 * Markdown) */
    size_t nparagraphs;
    struct article_link *links;
    size_t nlinks;
    struct article_noise *noise;    /* lines dropped from a scraped page (ARTICLE_TEXT) */
    size_t nnoise;
    const char *language;       /* ISO 639-1 code the text reads as ("en", "fr", "zh"), or NULL
                                 * (scraped text: from stop words and script) */
    struct article_from from;   /* where each field came from */
    const char **warnings;      /* things the reader guessed at ("no title found; ...") */
    size_t nwarnings;
    struct arena arena;         /* private: owns all of the above */
};

struct article_opts {
    bool allow_html;            /* pass raw HTML in Markdown through (CMARK_OPT_UNSAFE);
                                 * otherwise cmark replaces it with <!-- raw HTML omitted --> */
    const char *const *drop_patterns;   /* scraped text: drop lines matching any of these: a
                                         * glob (* and ?) matched against the whole line, or
                                         * without * and ? a substring; ASCII case folded */
    size_t ndrop;
    const char *charset;        /* HTML: the charset an HTTP header named (it wins over the
                                 * page's <meta charset>); NULL: the page's own */
};

/*
 * Read the article at path.  The format comes from the extension (.md .markdown .mdown
 * .mkd, .yaml .yml, .txt, .html .htm); for any other extension a file that starts with "---" or a
 * "# " heading is Markdown and anything else scraped text.  o may be NULL (defaults).
 *
 * Markdown and YAML: the keys title url source author date tags summary image image_alt
 * image_width image_height (pixels)
 * (YAML adds body, as Markdown, or paragraphs, as plain text).  Without a title the first
 * heading is the title (and leaves the body if it opens it).  Front matter may carry other
 * keys for a site generator (ignored), unless they look like a misspelt key of ours.
 *
 * Scraped text (ARTICLE_TEXT) is read by one general method, not by a site's layout
 * (docs/ARCHITECTURE.md, "Reading scraped text"): invalid UTF-8 is read as Windows-1252,
 * HTML character references are decoded, hard-wrapped prose is joined, CJK text is read
 * (a CJK run counts one word per two characters, 。！？ end sentences).  Each line gets
 * soft features and a class (stop words of 12 languages also give a->language), neighbours
 * decide borderline lines, and the article is the best-scoring run of lines.  Above it:
 * the headline (optional: without one the first sentence, or the file name, with a
 * warning in a->warnings), every date line scored (a dateline in the first paragraph
 * else), a byline, the source, a standfirst as the summary; a URL line is the url.  Front
 * matter above the page ("---" ... "---") overrides what was found.  Every other line is
 * listed in noise with why (boilerplate lexicons in several languages, o->drop_patterns,
 * header, footer...); a->from says where each field came from.
 * HTML pages (ARTICLE_HTML) are read by src/article/html.c: the page's own metadata
 * (JSON-LD, OpenGraph, <meta>, <title>; each field's origin in a->from), the main content
 * found Readability-style and written as a small email-safe HTML subset with absolute
 * links; name, when it is an http(s) URL, resolves relative links.
 * Returns the article (caller frees with article_free()), or NULL with d set:
 * EX_NOINPUT when the file cannot be read, EX_DATAERR for a bad article (no title in
 * Markdown or YAML, broken front matter, a date that is not a date, a url that is not
 * http(s), a key that is misspelt, no text at all in a scraped page), with FILE:LINE:COL
 * where known.
 */
struct article *article_load(const char *path, const struct article_opts *o, struct diag *d);

/*
 * Same for len bytes of text already in memory, in the given format; name is used in
 * errors and as the article's path.  Errors as for article_load() (EX_DATAERR only).
 */
struct article *article_parse(const char *text, size_t len, enum article_format format,
    const char *name, const struct article_opts *o, struct diag *d);

void article_free(struct article *a);

/*
 * Parse a date as news sites print it and write it to iso in ISO 8601 as printed: the day,
 * time and offset of the page, never converted to UTC (so never moved to another day):
 * "YYYY-MM-DD" for a date, "YYYY-MM-DDTHH:MM:SS" for a time without a zone (it has none),
 * "...Z" for UTC/GMT, "...+01:00" for an offset or a known zone name.
 * Accepted: ISO 8601 / RFC 3339 ("2014-10-19T16:55:00+02:00", "2014-10-19 16:55"),
 * RFC 5322 ("Sun, 19 Oct 2014 16:55:00 +0100"), "Sun Oct 19, 2014 4:55PM GMT",
 * "October 19, 2014", "19th October 2014 16.55 BST", "10/19/2014 4:55 PM ET" (numeric dates
 * are month first unless a number is > 12 or the zone is European; D.M.Y with dots),
 * ctime ("Sun Oct 19 16:55:00 2014"), month names in English, French, German, Spanish,
 * Italian, Portuguese, Dutch and Russian ("5. März 2024", "5 de marzo de 2024", "5 марта
 * 2024 г."), CJK ("2024年3月15日"), with a leading label ("Updated:", "Published on",
 * "Publié le") and a weekday ignored.  Zones: Z, +hh:mm, +hhmm, GMT+1, and the
 * abbreviations UT UTC GMT WET WEST BST CET CEST MEZ MESZ EET EEST MSK IST(India) EST EDT
 * CST CDT MST MDT PST PDT AKST AKDT HST AST ADT NST NDT JST KST HKT SGT AWST ACST ACDT AEST
 * AEDT NZST NZDT SAST CAT EAT WAT; ET CT MT PT follow the US daylight saving rules of the
 * date.  A time in a zone we do not know ("WIB") still gives the day ("YYYY-MM-DD").
 * Returns 0, or -1 (iso set to "") when s is not a complete, valid date (a day that does
 * not exist, a month > 12, trailing words).
 */
int article_parse_date(const char *s, char iso[ARTICLE_ISO_MAX]);

/*
 * The article as template data: a map with the string keys title url source author date
 * date_iso summary body_html body_text image image_alt image_width image_height (null
 * when absent), tags and
 * paragraphs (lists of strings), and links (a list of maps {number, url, text}).
 * Caller frees with value_free().
 */
struct value *article_to_value(const struct article *a);

#endif
