/*
 * html.h: private interface of the HTML reader (src/article/html.c, meta.c).  html.c
 * decodes and parses a page with libxml2's HTML parser and extracts the main content;
 * meta.c reads the page's own metadata (JSON-LD, OpenGraph, <meta>, <title>, <h1>).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_ARTICLE_HTML_H
#define GAZETTE_ARTICLE_HTML_H

#include <libxml/HTMLparser.h>
#include <stdbool.h>
#include <stddef.h>

struct article;
struct diag;

/* Deepest element nesting we walk; deeper content is flattened into its ancestor's text
 * (a hostile page nested 100,000 deep must not exhaust the stack). */
#define HTML_MAX_DEPTH 256

/*
 * Read an HTML page (len bytes, any charset) into a: title, url, source, author, date,
 * summary, image, language, body_html (a small email-safe HTML subset), body_text,
 * paragraphs and links, each metadata field with its origin in a->from.  url is the
 * page's address (for relative links; may be NULL), charset the one an HTTP header named
 * (may be NULL; the page's own <meta charset> and a byte order mark are read otherwise).
 * a is zeroed storage from the caller (xcalloc), who sets format and path and frees it
 * with article_free(); the strings go into a->arena.  len must not exceed
 * ARTICLE_MAX_BYTES (article_parse() refuses larger pages with a message).
 * Returns 0, or -1 with d set (EX_DATAERR: not a page, no text found).
 */
int article_html_parse(const char *bytes, size_t len, const char *url, const char *charset,
    struct article *a, struct diag *d);

/* What the tree of a page holds, for tests and measurements. */
struct html_tree_stats {
    size_t elements;
    size_t texts, text_bytes;   /* text nodes (CDATA included) and their bytes */
    size_t attrs, attr_bytes;   /* attributes kept beside the tree, and their values' bytes */
    size_t tree_attrs;          /* attributes in libxml2's own lists (none expected) */
};

/* Parse a page as article_html_parse() does (UTF-8 or with a <meta charset>) and count
 * what its tree holds into *st (zeroes when nothing was parsed). */
void html_tree_count(const char *bytes, size_t len, struct html_tree_stats *st);

/* A metadata field and where it came from ("JSON-LD", "OpenGraph", "<title>", ...). */
struct html_field {
    char *value;                /* heap (caller of html_meta_read frees via html_meta_fini) */
    const char *origin;         /* static string */
};

struct html_meta {
    struct html_field title, author, date, site, summary, image, image_alt, image_width,
        image_height, canonical, lang;
    char *base;                 /* <base href>, heap, or NULL */
    char *doc_title;            /* the <title> element's text, heap, or NULL */
};

/* Collect the page's metadata from doc (not modified). */
void html_meta_read(htmlDocPtr doc, struct html_meta *m);
void html_meta_fini(struct html_meta *m);

/*
 * The node after n in a depth-first walk of top's subtree (top itself excluded): n's first
 * child when n is an element with children and *depth < HTML_MAX_DEPTH, else the next
 * sibling of n or of its nearest ancestor below top; NULL when the walk is over.  Start
 * with n = top->children and *depth = 1.
 */
xmlNodePtr html_walk_next(xmlNodePtr n, xmlNodePtr top, int *depth);

/* Text of n and its descendants with white space collapsed and trimmed (heap; caller
 * frees).  Depth-bounded. */
char *html_text(xmlNodePtr n);
/* Its length in characters (UTF-8 code points), without building the string. */
size_t html_text_len(xmlNodePtr n);
/*
 * The attributes an element keeps, held outside libxml2's tree.  One of libxml2's own costs
 * three allocations (an xmlAttr, a text node and the value's copy, about 280 bytes with
 * malloc's headers, and an ID table entry for an id); here it costs two pointers and the
 * value's bytes in the document's arena.  The parser's SAX handler hangs this on the
 * element's psvi, which libxml2 only uses for XML Schema validation; libxml2's properties
 * stay empty.  Trees that libxml2 built itself (no psvi) are read from their properties.
 */
struct html_attrs {
    size_t n;
    struct html_attr_pair {
        const char *name;       /* lower case, as the parser gives it */
        const char *value;      /* "" for an attribute without a value */
    } a[];
};

/* The name of n's attribute number i (from 0) and *value its value, or NULL past the last.
 * Both borrowed from the tree. */
const char *html_attr_at(xmlNodePtr n, size_t i, const char **value);
/* Value of attribute name of n as stored (borrowed from the tree, untrimmed), or NULL when
 * absent or not a plain value (then use html_attr()). */
const char *html_attr_ref(xmlNodePtr n, const char *name);
/* Value of attribute name of n, trimmed (heap; caller frees), or NULL. */
char *html_attr(xmlNodePtr n, const char *name);
/* Is n an element named name (lower case)? */
bool html_is(xmlNodePtr n, const char *name);
/* Collapse white space runs of s in place and trim; returns s. */
char *html_squeeze(char *s);
/* Similarity of two texts in [0, 1]: the share of b's words not in a, subtracted from 1
 * (Readability's textSimilarity), case folded. */
double html_similarity(const char *a, const char *b);

#endif
