/*
 * article_int: what the files of src/article/ share and nobody else sees: the reader's
 * context, the helpers that add fields to the article, and each reader's entry point.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_ARTICLE_INT_H
#define GAZETTE_ARTICLE_INT_H

#include <stdbool.h>
#include <stddef.h>

struct article;
struct article_opts;
struct buf;
struct diag;

/* Nesting of block quotes and lists rendered with prefixes in body_text; deeper content is
 * flattened, so hostile nesting cannot make the text quadratic or the recursion deep. */
#define TEXT_MAX_DEPTH 16
/* Output limit for a rendered body (a few times ARTICLE_MAX_BYTES for markup). */
#define BODY_MAX ((size_t)64 << 20)

/* One reading of one article: everything the readers add lands in c->a's arena. */
struct ctx {
    struct article *a;
    const struct article_opts *o;
    struct diag *d;
    const char *name;
    size_t tagcap, paracap, linkcap, noisecap, warncap;
    size_t *linkhash;           /* open addressing: link index + 1, 0 for empty */
    size_t linkhcap;            /* a power of two, at least twice nlinks */
};

/* s[0..n) copied into the article's arena. */
const char *art_adup(struct ctx *c, const char *s, size_t n);
void art_add_tag(struct ctx *c, const char *s);
void art_add_para(struct ctx *c, const char *s, size_t n);
/* A line dropped from a scraped page: its text, 1-based line and a static reason. */
void art_add_noise(struct ctx *c, const char *s, size_t n, int line, const char *why);
/* Number (1-based) of the link to url, added if new; duplicates share a number. */
size_t art_add_link(struct ctx *c, const char *url, const char *text);
/* Append s[0..n) to b as one trimmed line (whitespace runs and controls become one space,
 * invisible characters go): 0, or -1 when b is full. */
int art_add_oneline(struct buf *b, const char *s, size_t n);
/* s as a trimmed single line in the arena; NULL when nothing is left. */
const char *art_oneline(struct ctx *c, const char *s, size_t n);
/* Length of the URL scheme at s ("https" -> 5) when followed by ':', else 0. */
size_t art_scheme_len(const char *s);
/* url resolved against base (RFC 3986 5.2, common cases); heap string, or NULL when url
 * needs no change or cannot be resolved. */
char *art_resolve_url(const char *base, const char *url);
/* Case-folded (ASCII) glob (* and ?) of pat against all of s[0..n). */
bool art_glob_match(const char *pat, const char *s, size_t n);
/* Case-folded (ASCII) substring search. */
bool art_ci_contains(const char *s, size_t n, const char *needle);

/* A warning about the article (printf format), kept in a->warnings. */
void art_warn(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A formatted string in the article's arena (for a->from). */
const char *art_fmt(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * text.c: the line classifier both readers share, with one set of lexicons (menus, share,
 * "read also", sign-up calls, credits and captions, cookies, comments and related
 * stories, author bios) in the languages of the stop-word lists.  The scraped-text
 * reader classifies each line with it; the HTML reader the blocks at the edges of the
 * content it chose.  A class is jusText's, for the line alone (its neighbours are the
 * caller's business).
 */
enum { ART_LINE_BAD = 1, ART_LINE_SHORT, ART_LINE_NEAR, ART_LINE_GOOD };
struct art_line {
    int cls;                    /* ART_LINE_* */
    int words;                  /* words (a CJK run counts by characters) */
    bool terminal;              /* ends like a sentence */
    bool prose;                 /* mostly lower-case words: running text, not a label */
    bool meta;                  /* a date, a byline or a "Source:" line */
    bool end;                   /* the article is over before it (comments, related) */
    bool bio;                   /* an author's bio ("Jane Doe is a reporter at...") */
    const char *why;            /* static: why it is boilerplate (cls BAD), or NULL */
};
struct art_lines;
/* A classifier for the lines of one page; lang an ISO 639 code ("fr", "pt-BR") or NULL
 * when unknown (then stop-word density is not asked). */
struct art_lines *art_lines_new(const char *lang);
void art_lines_free(struct art_lines *l);
/* Features and class of s[0..n) (UTF-8, one line: white space runs as in the text). */
void art_lines_classify(struct art_lines *l, const char *s, size_t n, struct art_line *out);

/* markdown.c: md as the body (HTML and text, links, paragraphs); takes the title from the
 * first heading when there is none yet.  0, or -1 with c->d set. */
int art_md_render(struct ctx *c, const char *md, size_t len);
/* frontmatter.c: the plain-text paragraphs already added become body_html and body_text. */
int art_plain_bodies(struct ctx *c);
/*
 * Front matter at the top of a scraped page ("---" lines around YAML), which corrects what
 * extraction finds: *out gets the map (caller frees with value_free(); NULL when there is
 * none), *skip the bytes and *lines the lines it takes.  -1 with c->d set when it is not
 * valid YAML.
 */
struct value;
int art_text_front_matter(struct ctx *c, const char *text, size_t len, struct value **out,
    size_t *skip, int *lines);
/* Apply such a map over the article (its fields win; from.* says "front matter"). */
int art_apply_front_matter(struct ctx *c, const struct value *map);

/* The readers: 0, or -1 with c->d set (EX_DATAERR). */
int art_parse_markdown(struct ctx *c, const char *text, size_t len);
int art_parse_yaml(struct ctx *c, const char *text, size_t len);
int art_parse_text(struct ctx *c, const char *text, size_t len);

#endif
