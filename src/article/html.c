/*
 * html: read an article from an HTML page.  The bytes are decoded to UTF-8 (a BOM, the
 * HTTP charset, <meta charset>, else Windows-1252 for invalid UTF-8; iconv for the rest),
 * parsed with libxml2's HTML parser (HTML 4 tag rules with error recovery), the metadata
 * read by meta.c, and the main content found Readability-style: drop hidden and unlikely
 * blocks, score paragraphs by length and commas into their ancestors, scale by link
 * density, take the best container and its similar siblings, clean it conditionally,
 * and write it as a small email-safe HTML subset with absolute links (RFC 3986 through
 * libcurl's URL API).
 * SPDX-License-Identifier: MIT
 */
#include <curl/curl.h>
#include <iconv.h>
#include <libxml/HTMLtree.h>
#include <libxml/SAX2.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "arena.h"
#include "article.h"
#include "html.h"
#include "buf.h"
#include "diag.h"
#include "text.h"
#include "util.h"
#include "article_int.h"

/* Readability's numbers: a result shorter than this is retried with looser rules. */
#define CHAR_THRESHOLD 500
#define TOP_CANDIDATES 5
/* Share/social boxes shorter than this are dropped from the result. */
#define SHARE_MAX_CHARS 500
/* Bytes of the page searched for <meta charset> (HTML 5 says 1024; be generous). */
#define SNIFF_BYTES 4096
/* Edge trimming: blocks looked at on each side, and the longest that may go. */
#define EDGE_MAX_BLOCKS 6
#define EDGE_MAX_CHARS 160
#define EDGE_PHRASE_CHARS 100
/* An author's bio at the end may be this long (characters). */
#define EDGE_BIO_CHARS 400
/* The first block this long is the lead: what stands above it is the header. */
#define LEAD_MIN_CHARS 80
/* A paragraph shorter than this ("July 1", "Photo: AP") is not taken as the summary. */
#define SUMMARY_MIN 25
/* The digest's column (EMAIL-CHECKLIST C2): wider images are scaled down to it. */
#define IMG_MAX_WIDTH 600L
/* Output limits (a few times the input for markup). */
#define HTML_OUT_MAX ((size_t)64 << 20)

enum {
    FLAG_STRIP_UNLIKELYS = 1,
    FLAG_WEIGHT_CLASSES = 2,
    FLAG_CLEAN_CONDITIONALLY = 4,
};

/* Per-element data, hung on xmlNode._private. */
struct nd {
    double score;
    bool scored;
    bool datatable;
    bool datatable_known;
};

struct pool {
    struct nd **chunks;
    size_t nchunks, used;
};

#define POOL_CHUNK 1024

struct grab {
    htmlDocPtr doc;
    xmlNodePtr body;
    int flags;
    const char *title;          /* the metadata title, for dropping a duplicate heading */
    const char *lang;           /* the page's language tag, or NULL */
    char *byline;               /* heap: text of a byline element found in the page */
    struct pool pool;
    xmlNodePtr *v;              /* scratch node list */
    size_t nv, vcap;
};

/* ------------------------------------------------------------------------------------ */
/* Decoding */

/* The charset named in the first bytes of the page ("charset=" in a <meta>), or "". */
static void
sniff_charset(const char *s, size_t n, char *out, size_t size)
{
    size_t lim = n < SNIFF_BYTES ? n : SNIFF_BYTES;

    out[0] = '\0';
    for (size_t i = 0; i + 8 < lim; i++) {
        size_t k = 0;

        if (ascii_strncasecmp(s + i, "charset=", 8) != 0)
            continue;
        i += 8;
        while (i < lim && (s[i] == '"' || s[i] == '\'' || s[i] == ' '))
            i++;
        while (i < lim && k + 1 < size && (IS_ALNUM(s[i]) || s[i] == '-' || s[i] == '_' ||
            s[i] == ':' || s[i] == '.')) {
            char ch = s[i++];                   /* TO_LOWER evaluates its argument twice */

            out[k++] = (char)TO_LOWER(ch);
        }
        out[k] = '\0';
        return;
    }
}

static bool
is_utf8_name(const char *cs)
{
    return cs[0] == '\0' || ascii_strcasecmp(cs, "utf-8") == 0 ||
        ascii_strcasecmp(cs, "utf8") == 0 || ascii_strcasecmp(cs, "us-ascii") == 0 ||
        ascii_strcasecmp(cs, "ascii") == 0;
}

/* iconv from cs to UTF-8; -1 when iconv does not know cs or the text is not in it. */
static int
convert(const char *s, size_t n, const char *cs, struct buf *b)
{
    /* pages labelled Latin-1 are Windows-1252 (the WHATWG Encoding Standard says so) */
    const char *from = ascii_strcasecmp(cs, "iso-8859-1") == 0 ||
        ascii_strcasecmp(cs, "latin1") == 0 ? "WINDOWS-1252" : cs;
    iconv_t cd = iconv_open("UTF-8//TRANSLIT", from);
    char out[8192];
    char *in = (char *)s;
    size_t left = n;
    int rc = 0;

    if (cd == (iconv_t)-1)
        return -1;
    while (left > 0) {
        char *o = out;
        size_t room = sizeof(out);

        if (iconv(cd, &in, &left, &o, &room) == (size_t)-1 && o == out) {
            if (left > 0 && room == sizeof(out)) {
                buf_put(b, "\xef\xbf\xbd", 3);     /* an unconvertible byte: U+FFFD */
                in++;
                left--;
                continue;
            }
        }
        buf_put(b, out, (size_t)(o - out));
    }
    iconv_close(cd);
    return rc;
}

/* Does s (n bytes) start with "<name" and then a tag end or white space? */
static bool
at_tag(const char *s, size_t n, const char *name)
{
    size_t k = strlen(name);

    return n > k + 1 && s[0] == '<' && ascii_strncasecmp(s + 1, name, k) == 0 &&
        (IS_SPACE(s[k + 1]) || s[k + 1] == '>' || s[k + 1] == '/');
}

/* The first needle in s[0..n) (s need not be NUL-terminated), or NULL. */
static const char *
find_sub(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (const char *p = memchr(s, needle[0], n); p != NULL && (size_t)(p - s) + k <= n;
        p = memchr(p + 1, needle[0], n - (size_t)(p + 1 - s)))
        if (memcmp(p, needle, k) == 0)
            return p;
    return NULL;
}

static const char *
find_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (const char *p = memchr(s, '<', n); p != NULL && (size_t)(p - s) + k <= n;
        p = memchr(p + 1, '<', n - (size_t)(p + 1 - s)))
        if (ascii_strncasecmp(p, needle, k) == 0)
            return p;
    return NULL;
}

/* The next '<' of s[0..end) that opens a comment, a <script> or a <style>, or NULL. */
static const char *
next_raw(const char *s, const char *end)
{
    for (const char *lt = memchr(s, '<', (size_t)(end - s)); lt != NULL;
        lt = memchr(lt + 1, '<', (size_t)(end - lt - 1)))
        if (((size_t)(end - lt) >= 4 && memcmp(lt, "<!--", 4) == 0) ||
            at_tag(lt, (size_t)(end - lt), "script") || at_tag(lt, (size_t)(end - lt), "style"))
            return lt;
    return NULL;
}

/* What of the comment, script or style at lt a reader needs: the bytes up to *keep (the
 * start tag; none of a comment; all of a JSON-LD script), and where the page goes on
 * (*resume).  False when the start tag never ends: nothing from lt on is kept. */
static bool
raw_extent(const char *lt, const char *end, const char **keep, const char **resume)
{
    const char *gt, *close;
    bool script;

    if (memcmp(lt, "<!--", 4) == 0) {
        const char *cm = find_sub(lt + 4, (size_t)(end - lt - 4), "-->");

        *keep = lt;
        *resume = cm != NULL ? cm + 3 : end;
        return true;
    }
    script = at_tag(lt, (size_t)(end - lt), "script");
    if ((gt = memchr(lt, '>', (size_t)(end - lt))) == NULL)
        return false;
    gt++;
    close = find_ci(gt, (size_t)(end - gt), script ? "</script" : "</style");
    if (close == NULL)
        close = end;
    if (script) {
        bool ld = false;

        for (const char *p = lt; p + 7 <= gt && !ld; p++)
            ld = ascii_strncasecmp(p, "ld+json", 7) == 0;
        if (ld)
            gt = close;                                 /* JSON-LD stays */
    }
    *keep = gt;
    *resume = close;
    return true;
}

/* Remove from s, in place, what no reader needs: the text of <script> (but JSON-LD) and
 * <style>, and comments.  On a typical news page that is most of the bytes, and the tree,
 * the time and the memory shrink with them.  s is NUL-terminated at s[n] and stays so;
 * returns the new length. */
static size_t
strip_scripts(char *s, size_t n)
{
    const char *r = s, *end = s + n;
    char *w = s;

    while (r < end) {
        const char *lt = next_raw(r, end), *keep = end, *resume = end;

        if (lt != NULL && !raw_extent(lt, end, &keep, &resume))
            keep = lt;
        memmove(w, r, (size_t)(keep - r));
        w += keep - r;
        r = resume;
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void
decode(const char *s, size_t n, const char *charset, struct buf *b)
{
    char cs[64];

    if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        text_utf8_repair(b, s + 3, n - 3, true);
        return;
    }
    if (n >= 2 && (memcmp(s, "\xff\xfe", 2) == 0 || memcmp(s, "\xfe\xff", 2) == 0)) {
        if (convert(s + 2, n - 2, s[0] == '\xff' ? "UTF-16LE" : "UTF-16BE", b) == 0)
            return;
        buf_reset(b);
    }
    if (charset != NULL && charset[0] != '\0')
        snprintf(cs, sizeof(cs), "%s", charset);
    else
        sniff_charset(s, n, cs, sizeof(cs));
    if (!is_utf8_name(cs) && convert(s, n, cs, b) == 0) {
        struct buf fixed;                       /* iconv's output, NULs removed */

        if (b->len == 0 || memchr(buf_str(b), '\0', b->len) == NULL)
            return;                             /* valid UTF-8 already: one buffer */
        buf_init(&fixed, HTML_OUT_MAX);
        text_utf8_repair(&fixed, buf_str(b), b->len, true);
        buf_reset(b);
        buf_put(b, buf_str(&fixed), fixed.len);
        buf_fini(&fixed);
        return;
    }
    buf_reset(b);
    text_utf8_repair(b, s, n, true);
}

/* ------------------------------------------------------------------------------------ */
/* Tree helpers */

static struct nd *
nd_of(struct grab *g, xmlNodePtr n)
{
    struct nd *x;

    if (n->_private != NULL)
        return n->_private;
    if (g->pool.used % POOL_CHUNK == 0) {
        g->pool.chunks = xreallocarray(g->pool.chunks, g->pool.nchunks + 1,
            sizeof(*g->pool.chunks));
        g->pool.chunks[g->pool.nchunks++] = xcalloc(POOL_CHUNK, sizeof(struct nd));
    }
    x = &g->pool.chunks[g->pool.used / POOL_CHUNK][g->pool.used % POOL_CHUNK];
    g->pool.used++;
    n->_private = x;
    return x;
}

static void
pool_fini(struct pool *p)
{
    for (size_t i = 0; i < p->nchunks; i++)
        free(p->chunks[i]);
    free(p->chunks);
    memset(p, 0, sizeof(*p));
}

static void
vpush(struct grab *g, xmlNodePtr n)
{
    if (g->nv == g->vcap) {
        g->vcap = g->vcap ? g->vcap * 2 : 256;
        g->v = xreallocarray(g->v, g->vcap, sizeof(*g->v));
    }
    g->v[g->nv++] = n;
}

static bool
is_elem(xmlNodePtr n)
{
    return n != NULL && n->type == XML_ELEMENT_NODE;
}

static const char *
tag(xmlNodePtr n)
{
    return is_elem(n) ? (const char *)n->name : "";
}

static bool
tag_in(xmlNodePtr n, const char *const *list, size_t nlist)
{
    const char *t = tag(n);

    for (size_t i = 0; i < nlist; i++)
        if (strcmp(t, list[i]) == 0)
            return true;
    return false;
}

static xmlNodePtr
first_elem(xmlNodePtr n)
{
    for (n = n->children; n != NULL && !is_elem(n); n = n->next)
        ;
    return n;
}

static xmlNodePtr
next_elem(xmlNodePtr n)
{
    for (n = n->next; n != NULL && !is_elem(n); n = n->next)
        ;
    return n;
}

static size_t
elem_children(xmlNodePtr n)
{
    size_t k = 0;

    for (xmlNodePtr c = first_elem(n); c != NULL; c = next_elem(c))
        k++;
    return k;
}

/* Readability's _getNextNode: depth-first over elements. */
static xmlNodePtr
next_node(xmlNodePtr n, bool skip_kids)
{
    xmlNodePtr x;

    if (!skip_kids && (x = first_elem(n)) != NULL)
        return x;
    if ((x = next_elem(n)) != NULL)
        return x;
    do {
        n = n->parent;
    } while (n != NULL && is_elem(n) && next_elem(n) == NULL);
    return n != NULL && is_elem(n) ? next_elem(n) : NULL;
}

static void
drop(xmlNodePtr n)
{
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

static xmlNodePtr
remove_and_next(xmlNodePtr n)
{
    xmlNodePtr next = next_node(n, true);

    drop(n);
    return next;
}

/* Elements named name under root (document order) into g->v. */
static void
collect(struct grab *g, xmlNodePtr root, const char *const *names, size_t nnames)
{
    xmlNodePtr end = next_node(root, true);

    g->nv = 0;
    for (xmlNodePtr n = next_node(root, false); n != NULL && n != end; n = next_node(n, false))
        if (tag_in(n, names, nnames))
            vpush(g, n);
}

static size_t
count_tag(struct grab *g, xmlNodePtr root, const char *name)
{
    const char *names[] = { name };
    size_t nv = g->nv, k;
    xmlNodePtr *save = NULL;

    if (nv > 0) {
        save = xreallocarray(NULL, nv, sizeof(*save));
        memcpy(save, g->v, nv * sizeof(*save));
    }
    collect(g, root, names, 1);
    k = g->nv;
    if (save != NULL)
        memcpy(g->v, save, nv * sizeof(*save));
    g->nv = nv;
    free(save);
    return k;
}

/* Elements named name under top (top itself excluded), without a scratch list. */
static size_t
count_tag_plain(xmlNodePtr top, const char *name)
{
    xmlNodePtr end = next_node(top, true);
    size_t k = 0;

    for (xmlNodePtr n = next_node(top, false); n != NULL && n != end; n = next_node(n, false))
        if (strcmp(tag(n), name) == 0)
            k++;
    return k;
}

static bool
has_ancestor(xmlNodePtr n, const char *name, int max_depth, bool need_datatable)
{
    int depth = 0;

    for (n = n->parent; is_elem(n); n = n->parent, depth++) {
        if (max_depth > 0 && depth > max_depth)
            return false;
        if (strcmp(tag(n), name) == 0 &&
            (!need_datatable || (n->_private != NULL && ((struct nd *)n->_private)->datatable)))
            return true;
    }
    return false;
}

/* Case-insensitive: does s contain any of the |-separated words of pats (lower case)? */
static bool
matches_any(const char *s, const char *pats)
{
    size_t n = strlen(s);
    char low[256], pat[64];
    bool found = false;

    if (n == 0)
        return false;
    if (n >= sizeof(low))
        n = sizeof(low) - 1;                    /* class lists longer than this: the start */
    for (size_t i = 0; i < n; i++)
        low[i] = (char)TO_LOWER((unsigned char)s[i]);
    low[n] = '\0';
    for (const char *p = pats; *p && !found;) {
        size_t k = strcspn(p, "|");

        if (k > 0 && k < sizeof(pat)) {
            memcpy(pat, p, k);
            pat[k] = '\0';
            found = strstr(low, pat) != NULL;
        }
        p += k;
        if (*p == '|')
            p++;
    }
    return found;
}

static const char UNLIKELY[] = "-ad-|ai2html|banner|breadcrumbs|combx|comment|community|"
    "cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|related|remark|replies|rss|"
    "shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|"
    "pager|popup|yom-remote|cookie|newsletter|promo";
static const char MAYBE[] = "and|article|body|column|content|main|mathjax|shadow";
static const char POSITIVE[] = "article|body|content|entry|hentry|h-entry|main|page|"
    "pagination|post|text|blog|story";
static const char NEGATIVE[] = "-ad-|hidden|banner|combx|comment|com-|contact|footer|gdpr|"
    "masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|"
    "sponsor|shopping|tags|widget";
static const char BYLINE[] = "byline|author|dateline|writtenby|p-author";

/* "hid" as a whole word of s (Readability's ^hid$| hid$| hid |^hid ). */
static bool
has_hid(const char *s)
{
    for (const char *p = strstr(s, "hid"); p != NULL; p = strstr(p + 1, "hid"))
        if ((p == s || p[-1] == ' ') && (p[3] == '\0' || p[3] == ' '))
            return true;
    return false;
}

static int
weight_of(const char *s, int *w)
{
    if (s == NULL || s[0] == '\0')
        return 0;
    if (matches_any(s, NEGATIVE) || has_hid(s))
        *w -= 25;
    if (matches_any(s, POSITIVE))
        *w += 25;
    return 0;
}

static int
class_weight(struct grab *g, xmlNodePtr n)
{
    int w = 0;

    if (!(g->flags & FLAG_WEIGHT_CLASSES))
        return 0;
    weight_of(html_attr_ref(n, "class"), &w);
    weight_of(html_attr_ref(n, "id"), &w);
    return w;
}

static char *
match_string(xmlNodePtr n)
{
    const char *cls = html_attr_ref(n, "class"), *id = html_attr_ref(n, "id");
    size_t a = cls ? strlen(cls) : 0, b = id ? strlen(id) : 0;
    char *s = xmalloc(a + b + 2);

    memcpy(s, cls ? cls : "", a);
    s[a] = ' ';
    memcpy(s + a + 1, id ? id : "", b);
    s[a + b + 1] = '\0';
    return s;
}

/* Readability's link density: text inside links over all text; "#x" links count 0.3. */
static double
link_density(struct grab *g, xmlNodePtr n)
{
    static const char *const a[] = { "a" };
    size_t total = html_text_len(n), nv = g->nv;
    double links = 0;
    xmlNodePtr *save = NULL;

    if (total == 0)
        return 0;
    if (nv > 0) {
        save = xreallocarray(NULL, nv, sizeof(*save));
        memcpy(save, g->v, nv * sizeof(*save));
    }
    collect(g, n, a, 1);
    for (size_t i = 0; i < g->nv; i++) {
        char *href = html_attr(g->v[i], "href");
        double k = href != NULL && href[0] == '#' && href[1] != '\0' ? 0.3 : 1.0;

        links += (double)html_text_len(g->v[i]) * k;
        free(href);
    }
    if (save != NULL)
        memcpy(g->v, save, nv * sizeof(*save));
    g->nv = nv;
    free(save);
    return links / (double)total;
}

static size_t
count_commas(const char *s)
{
    size_t k = 0;

    for (const char *p = s; *p; p++) {
        if (*p == ',')
            k++;
        else if (strncmp(p, "\xef\xbc\x8c", 3) == 0 || strncmp(p, "\xd8\x8c", 2) == 0 ||
            strncmp(p, "\xe3\x80\x81", 3) == 0)
            k++;
    }
    return k;
}

/* Commas in the text under top, without copying it. */
static size_t
node_commas(xmlNodePtr top)
{
    size_t k = 0;
    int depth = 1;

    for (xmlNodePtr n = top->children; n != NULL; n = html_walk_next(n, top, &depth))
        if (n->type == XML_TEXT_NODE && n->content != NULL)
            k += count_commas((const char *)n->content);
    return k;
}

/* Hidden by style, the hidden attribute or aria-hidden (Readability's _isProbablyVisible) */
static bool
is_hidden(xmlNodePtr n)
{
    const char *aria, *cls;
    bool hidden = false;

    if (n->properties == NULL && n->psvi == NULL)
        return false;
    if (html_attr_ref(n, "style") != NULL) {
        char *style = html_attr(n, "style"), *p, *w;

        for (p = w = style; *p; p++)             /* drop spaces: "display : none" */
            if (*p != ' ')
                *w++ = (char)TO_LOWER(*p);
        *w = '\0';
        hidden = strstr(style, "display:none") != NULL ||
            strstr(style, "visibility:hidden") != NULL;
        free(style);
    }
    if (!hidden && html_attr_ref(n, "hidden") != NULL)
        hidden = true;
    if (!hidden && (aria = html_attr_ref(n, "aria-hidden")) != NULL) {
        cls = html_attr_ref(n, "class");
        hidden = strcmp(aria, "true") == 0 && (cls == NULL || !strstr(cls, "fallback-image"));
    }
    return hidden;
}

static bool
unlikely_role(xmlNodePtr n)
{
    static const char *const roles[] = { "menu", "menubar", "complementary", "navigation",
        "alert", "alertdialog", "dialog" };
    const char *role = html_attr_ref(n, "role");
    bool r = false;

    for (size_t i = 0; role != NULL && i < ARRAY_LEN(roles); i++)
        if (strcmp(role, roles[i]) == 0)
            r = true;
    return r;
}

static bool
is_whitespace(xmlNodePtr n)
{
    if (n->type == XML_TEXT_NODE) {
        for (const xmlChar *p = n->content; p != NULL && *p; p++)
            if (!IS_SPACE(*p))
                return false;
        return true;
    }
    return html_is(n, "br");
}

static bool
is_phrasing(xmlNodePtr n)
{
    static const char *const phr[] = { "abbr", "audio", "b", "bdo", "br", "button", "cite",
        "code", "data", "datalist", "dfn", "em", "embed", "i", "img", "input", "kbd",
        "label", "mark", "math", "meter", "noscript", "object", "output", "progress", "q",
        "ruby", "samp", "script", "select", "small", "span", "strong", "sub", "sup",
        "textarea", "time", "var", "wbr", "font", "u", "s", "strike", "tt", "big" };
    static const char *const maybe[] = { "a", "del", "ins", "map" };

    if (n->type == XML_TEXT_NODE)
        return true;
    if (!is_elem(n))
        return false;
    if (tag_in(n, phr, ARRAY_LEN(phr)))
        return true;
    if (tag_in(n, maybe, ARRAY_LEN(maybe))) {
        for (xmlNodePtr c = n->children; c != NULL; c = c->next)
            if (c->type != XML_COMMENT_NODE && !is_phrasing(c))
                return false;
        return true;
    }
    return false;
}

static bool
has_block_child(xmlNodePtr n, int depth)
{
    static const char *const blocks[] = { "blockquote", "dl", "div", "img", "ol", "p",
        "pre", "table", "ul", "select", "figure", "section", "article", "header", "footer",
        "aside", "nav", "h1", "h2", "h3", "h4", "h5", "h6", "form", "hr", "address" };

    if (depth > HTML_MAX_DEPTH)
        return false;
    for (xmlNodePtr c = first_elem(n); c != NULL; c = next_elem(c))
        if (tag_in(c, blocks, ARRAY_LEN(blocks)) || has_block_child(c, depth + 1))
            return true;
    return false;
}

/* Is n a text node with something besides white space? */
static bool
is_inked_text(xmlNodePtr n)
{
    if (n->type != XML_TEXT_NODE || n->content == NULL)
        return false;
    for (const xmlChar *c = n->content; *c; c++)
        if (!IS_SPACE(*c))
            return true;
    return false;
}

/* Has top any text that is not white space?  Stops at the first (a container's whole
 * text need not be walked). */
static bool
has_text(xmlNodePtr top)
{
    int depth = 1;

    for (xmlNodePtr n = top->children; n != NULL; n = html_walk_next(n, top, &depth))
        if (is_inked_text(n))
            return true;
    return false;
}

static bool
without_content(xmlNodePtr n)
{
    size_t kids = 0, brs = 0;

    if (has_text(n))
        return false;
    for (xmlNodePtr c = first_elem(n); c != NULL; c = next_elem(c)) {
        kids++;
        if (html_is(c, "br") || html_is(c, "hr"))
            brs++;
    }
    return kids == brs;
}

/* ------------------------------------------------------------------------------------ */
/* Preparing the document */

static void
remove_tags(struct grab *g, xmlNodePtr root, const char *const *names, size_t n)
{
    collect(g, root, names, n);
    for (size_t i = g->nv; i-- > 0;)
        drop(g->v[i]);
    g->nv = 0;
}

static xmlNodePtr
skip_ws(xmlNodePtr n)
{
    while (n != NULL && !is_elem(n) && is_whitespace(n))
        n = n->next;
    return n;
}

/* Two or more <br> in a row become a paragraph break (Readability's _replaceBrs).  Nodes
 * taken out wait in a trash list (siblings of later <br>s in g->v may be among them). */
static void
replace_brs(struct grab *g, xmlNodePtr root)
{
    static const char *const br[] = { "br" };
    xmlNodePtr trash = xmlNewDocNode(g->doc, NULL, (const xmlChar *)"div", NULL);

    collect(g, root, br, 1);
    for (size_t i = 0; i < g->nv; i++) {
        xmlNodePtr b = g->v[i], next = b->next, p;
        bool replaced = false;

        if (b->parent == NULL || b->parent == trash)
            continue;
        while ((next = skip_ws(next)) != NULL && html_is(next, "br")) {
            xmlNodePtr sib = next->next;

            replaced = true;
            xmlUnlinkNode(next);
            xmlAddChild(trash, next);
            next = sib;
        }
        if (!replaced)
            continue;
        p = xmlNewDocNode(g->doc, NULL, (const xmlChar *)"p", NULL);
        xmlReplaceNode(b, p);
        xmlAddChild(trash, b);
        next = p->next;
        while (next != NULL) {
            xmlNodePtr sib;

            if (html_is(next, "br")) {
                xmlNodePtr ne = skip_ws(next->next);

                if (ne != NULL && html_is(ne, "br"))
                    break;
            }
            if (is_elem(next) && !is_phrasing(next))
                break;
            sib = next->next;
            xmlUnlinkNode(next);
            xmlAddChild(p, next);
            next = sib;
        }
        while (p->last != NULL && is_whitespace(p->last)) {
            xmlNodePtr l = p->last;

            xmlUnlinkNode(l);
            if (l->type == XML_TEXT_NODE)
                xmlFreeNode(l);
            else
                xmlAddChild(trash, l);
        }
        if (p->parent != NULL && html_is(p->parent, "p"))
            xmlNodeSetName(p->parent, (const xmlChar *)"div");
    }
    g->nv = 0;
    xmlFreeNode(trash);
}

/* Replace elements deeper than HTML_MAX_DEPTH by their text, so every later walk is
 * bounded (libxml2 itself stops building at depth 256 unless told otherwise). */
static void
flatten_deep(xmlNodePtr root)
{
    xmlNodePtr n = root;
    int depth = 0;

    while (n != NULL) {
        if (is_elem(n) && depth >= HTML_MAX_DEPTH - 8 && first_elem(n) != NULL) {
            char *t = html_text(n);
            xmlNodePtr c = n->children;

            while (c != NULL) {
                xmlNodePtr next = c->next;

                drop(c);
                c = next;
            }
            xmlNodeAddContent(n, (const xmlChar *)t);
            free(t);
        }
        if (is_elem(n) && n->children != NULL) {
            n = n->children;
            depth++;
            continue;
        }
        while (n != NULL && n != root && n->next == NULL) {
            n = n->parent;
            depth--;
        }
        if (n == NULL || n == root)
            return;
        n = n->next;
    }
}

static void
prep_document(struct grab *g)
{
    static const char *const junk[] = { "script", "noscript", "style", "template", "link",
        "svg" };
    xmlNodePtr root = xmlDocGetRootElement(g->doc);

    flatten_deep(root);
    remove_tags(g, root, junk, ARRAY_LEN(junk));
    for (xmlNodePtr n = root->children; n != NULL; n = n->next)
        if (html_is(n, "body"))
            g->body = n;
    if (g->body == NULL)
        g->body = root;
    replace_brs(g, g->body);
}

/* ------------------------------------------------------------------------------------ */
/* Finding the content (Readability's _grabArticle) */

static bool
check_byline(struct grab *g, xmlNodePtr n, const char *ms)
{
    char *rel, *ip;
    bool is = false;

    if (g->byline != NULL)
        return false;
    rel = html_attr(n, "rel");
    ip = html_attr(n, "itemprop");
    if ((rel != NULL && strcmp(rel, "author") == 0) || (ip != NULL && strstr(ip, "author")) ||
        matches_any(ms, BYLINE)) {
        size_t len = html_text_len(n);

        if (len > 0 && len < 100) {
            g->byline = html_text(n);
            is = true;
        }
    }
    free(rel);
    free(ip);
    return is;
}

static void
init_node(struct grab *g, xmlNodePtr n)
{
    static const char *const minus3[] = { "address", "ol", "ul", "dl", "dd", "dt", "li",
        "form" };
    static const char *const minus5[] = { "h1", "h2", "h3", "h4", "h5", "h6", "th" };
    struct nd *x = nd_of(g, n);
    const char *t = tag(n);

    x->scored = true;
    x->score = 0;
    if (strcmp(t, "div") == 0)
        x->score += 5;
    else if (strcmp(t, "pre") == 0 || strcmp(t, "td") == 0 || strcmp(t, "blockquote") == 0)
        x->score += 3;
    else if (tag_in(n, minus3, ARRAY_LEN(minus3)))
        x->score -= 3;
    else if (tag_in(n, minus5, ARRAY_LEN(minus5)))
        x->score -= 5;
    x->score += class_weight(g, n);
}

static bool
scored(xmlNodePtr n)
{
    return n->_private != NULL && ((struct nd *)n->_private)->scored;
}

static double
score(xmlNodePtr n)
{
    return scored(n) ? ((struct nd *)n->_private)->score : 0;
}

/* Put the phrasing content of a div into paragraphs; then a div holding one <p> becomes
 * that <p> and a div without blocks becomes a <p>.  Returns the node to go on from. */
static xmlNodePtr
div_to_p(struct grab *g, xmlNodePtr n, struct grab *tosc)
{
    xmlNodePtr p = NULL, c = n->children, only;

    while (c != NULL) {
        xmlNodePtr next = c->next;

        if (is_phrasing(c)) {
            if (p != NULL) {
                xmlUnlinkNode(c);
                xmlAddChild(p, c);
            } else if (!is_whitespace(c)) {
                p = xmlNewDocNode(g->doc, NULL, (const xmlChar *)"p", NULL);
                xmlReplaceNode(c, p);
                xmlAddChild(p, c);
            }
        } else if (p != NULL && c->type == XML_ELEMENT_NODE) {
            while (p->last != NULL && is_whitespace(p->last))
                drop(p->last);
            p = NULL;
        }
        c = next;
    }
    only = first_elem(n);
    if (only != NULL && html_is(only, "p") && next_elem(only) == NULL &&
        html_text_len(n) == html_text_len(only) && link_density(g, n) < 0.25) {
        xmlUnlinkNode(only);
        xmlReplaceNode(n, only);
        if (n->_private != NULL && only->_private == NULL)
            only->_private = n->_private;
        xmlFreeNode(n);
        vpush(tosc, only);
        return only;
    }
    if (!has_block_child(n, 0)) {
        xmlNodeSetName(n, (const xmlChar *)"p");
        vpush(tosc, n);
    }
    return n;
}

/* One pass over the document: drop what is unlikely, collect what to score. */
static void
prune(struct grab *g, struct grab *tosc)
{
    static const char *const score_tags[] = { "section", "h2", "h3", "h4", "h5", "h6", "p",
        "td", "pre" };
    static const char *const empty_tags[] = { "div", "section", "header", "h1", "h2", "h3",
        "h4", "h5", "h6" };
    bool title_header = true;
    xmlNodePtr n = g->body;

    while (n != NULL) {
        char *ms;
        const char *t = tag(n);

        if (n != g->body && (is_hidden(n) || unlikely_role(n))) {
            n = remove_and_next(n);
            continue;
        }
        ms = match_string(n);
        if (n != g->body && check_byline(g, n, ms)) {
            free(ms);
            n = remove_and_next(n);
            continue;
        }
        if (title_header && g->title != NULL && (strcmp(t, "h1") == 0 || strcmp(t, "h2") == 0)) {
            char *ht = html_text(n);
            bool dup = html_similarity(g->title, ht) > 0.75;

            free(ht);
            if (dup) {
                title_header = false;
                free(ms);
                n = remove_and_next(n);
                continue;
            }
        }
        if ((g->flags & FLAG_STRIP_UNLIKELYS) && n != g->body && strcmp(t, "a") != 0 &&
            matches_any(ms, UNLIKELY) && !matches_any(ms, MAYBE) &&
            !has_ancestor(n, "table", 0, false) && !has_ancestor(n, "code", 0, false)) {
            free(ms);
            n = remove_and_next(n);
            continue;
        }
        free(ms);
        if (tag_in(n, empty_tags, ARRAY_LEN(empty_tags)) && without_content(n)) {
            n = remove_and_next(n);
            continue;
        }
        if (tag_in(n, score_tags, ARRAY_LEN(score_tags)))
            vpush(tosc, n);
        if (strcmp(t, "div") == 0)
            n = div_to_p(g, n, tosc);
        n = next_node(n, false);
    }
}

static void
score_paragraphs(struct grab *g, struct grab *tosc, xmlNodePtr *top, size_t *ntop)
{
    size_t ncand = 0, cap = 0;
    xmlNodePtr *cand = NULL;

    for (size_t i = 0; i < tosc->nv; i++) {
        xmlNodePtr e = tosc->v[i], a;
        size_t len;
        double s;
        int level = 0;

        if (!is_elem(e->parent))
            continue;
        len = html_text_len(e);
        if (len < 25)
            continue;
        s = 1 + (double)(node_commas(e) + 1) + (double)(len / 100 < 3 ? len / 100 : 3);
        /* ancestors up to <body>: a candidate above it would take <body> in (a cycle) */
        for (a = e->parent; is_elem(a) && level < 5 && a != g->body->parent;
            a = a->parent, level++) {
            if (!scored(a)) {
                init_node(g, a);
                if (ncand == cap) {
                    cap = cap ? cap * 2 : 64;
                    cand = xreallocarray(cand, cap, sizeof(*cand));
                }
                cand[ncand++] = a;
            }
            nd_of(g, a)->score += s / (level == 0 ? 1 : level == 1 ? 2 : level * 3.0);
        }
    }
    *ntop = 0;
    for (size_t i = 0; i < ncand; i++) {
        struct nd *x = nd_of(g, cand[i]);

        x->score *= 1 - link_density(g, cand[i]);
        for (size_t t = 0; t < TOP_CANDIDATES; t++) {
            if (t >= *ntop || x->score > score(top[t])) {
                memmove(top + t + 1, top + t, (TOP_CANDIDATES - 1 - t) * sizeof(*top));
                top[t] = cand[i];
                if (*ntop < TOP_CANDIDATES)
                    (*ntop)++;
                break;
            }
        }
    }
    free(cand);
}

static bool
is_ancestor(xmlNodePtr anc, xmlNodePtr n)
{
    for (n = n->parent; n != NULL; n = n->parent)
        if (n == anc)
            return true;
    return false;
}

/* Readability's refinements: a common ancestor of several close candidates, a parent
 * whose score goes up, an only child's parent. */
static xmlNodePtr
refine_top(struct grab *g, xmlNodePtr *top, size_t ntop)
{
    xmlNodePtr tc = top[0], p;
    size_t nalt = 0;
    double last, threshold;

    for (size_t i = 1; i < ntop; i++)
        if (score(top[i]) / score(tc) >= 0.75)
            nalt++;
    if (nalt >= 3) {
        for (p = tc->parent; is_elem(p) && p != g->body; p = p->parent) {
            size_t k = 0;

            for (size_t i = 1; i < ntop; i++)
                if (score(top[i]) / score(tc) >= 0.75 && is_ancestor(p, top[i]))
                    k++;
            if (k >= 3) {
                tc = p;
                break;
            }
        }
    }
    if (!scored(tc))
        init_node(g, tc);
    last = score(tc);
    threshold = last / 3;
    for (p = tc->parent; is_elem(p) && p != g->body; p = p->parent) {
        if (!scored(p))
            continue;
        if (score(p) < threshold)
            break;
        if (score(p) > last) {
            tc = p;
            break;
        }
        last = score(p);
    }
    for (p = tc->parent; is_elem(p) && p != g->body && elem_children(p) == 1; p = p->parent)
        tc = p;
    if (!scored(tc))
        init_node(g, tc);
    return tc;
}

static bool
has_sentence_end(const char *s)
{
    for (const char *p = strchr(s, '.'); p != NULL; p = strchr(p + 1, '.'))
        if (p[1] == ' ' || p[1] == '\0')
            return true;
    return false;
}

static bool
sibling_joins(struct grab *g, xmlNodePtr sib, xmlNodePtr tc)
{
    double bonus = 0, thr = score(tc) * 0.2 > 10 ? score(tc) * 0.2 : 10;
    char *c1 = html_attr(sib, "class"), *c2 = html_attr(tc, "class");
    bool join = false;

    if (c1 != NULL && c2 != NULL && c2[0] != '\0' && strcmp(c1, c2) == 0)
        bonus = score(tc) * 0.2;
    free(c1);
    free(c2);
    if (scored(sib) && score(sib) + bonus >= thr) {
        join = true;
    } else if (html_is(sib, "p")) {
        double ld = link_density(g, sib);
        size_t len = html_text_len(sib);

        if (len > 80 && ld < 0.25) {
            join = true;
        } else if (len < 80 && len > 0 && ld == 0) {
            char *t = html_text(sib);

            join = has_sentence_end(t);
            free(t);
        }
    }
    return join;
}

static xmlNodePtr
gather(struct grab *g, xmlNodePtr tc)
{
    static const char *const keep[] = { "div", "article", "section", "p" };
    xmlNodePtr art = xmlNewDocNode(g->doc, NULL, (const xmlChar *)"div", NULL);
    xmlNodePtr parent = tc->parent, s;

    if (parent == NULL) {
        xmlAddChild(art, tc);
        return art;
    }
    s = first_elem(parent);
    while (s != NULL) {
        xmlNodePtr next = next_elem(s);

        if (s == tc || sibling_joins(g, s, tc)) {
            if (!tag_in(s, keep, ARRAY_LEN(keep)))
                xmlNodeSetName(s, (const xmlChar *)"div");
            xmlUnlinkNode(s);
            xmlAddChild(art, s);
        }
        s = next;
    }
    return art;
}

/* ------------------------------------------------------------------------------------ */
/* Cleaning the result (Readability's _prepArticle) */

static void
mark_data_tables(struct grab *g, xmlNodePtr root)
{
    static const char *const t[] = { "table" };
    static const char *const datay[] = { "col", "colgroup", "tfoot", "thead", "th" };

    collect(g, root, t, 1);
    for (size_t i = 0; i < g->nv; i++) {
        xmlNodePtr tb = g->v[i];
        struct nd *x = nd_of(g, tb);
        char *role = html_attr(tb, "role"), *dt = html_attr(tb, "datatable"),
            *sum = html_attr(tb, "summary");
        size_t rows = 0, cols = 0;

        x->datatable_known = true;
        if ((role && strcmp(role, "presentation") == 0) || (dt && strcmp(dt, "0") == 0)) {
            x->datatable = false;
        } else if (sum != NULL && sum[0] != '\0') {
            x->datatable = true;
        } else {
            bool datay_found = false;

            for (size_t k = 0; k < ARRAY_LEN(datay); k++)
                if (count_tag(g, tb, datay[k]) > 0)
                    datay_found = true;
            if (count_tag(g, tb, "caption") > 0 || datay_found) {
                x->datatable = true;
            } else if (count_tag(g, tb, "table") > 0) {
                x->datatable = false;
            } else {
                rows = count_tag(g, tb, "tr");
                cols = rows > 0 ? count_tag(g, tb, "td") / rows : 0;
                x->datatable = rows >= 10 || cols > 4 || rows * cols > 10;
            }
        }
        free(role);
        free(dt);
        free(sum);
    }
    g->nv = 0;
}

static bool
is_video(xmlNodePtr n)
{
    const char *v;

    for (size_t i = 0; html_attr_at(n, i, &v) != NULL; i++)
        if (strstr(v, "youtube.com") || strstr(v, "youtube-nocookie.com") ||
            strstr(v, "player.vimeo.com") || strstr(v, "dailymotion.com"))
            return true;
    return false;
}

static double
heading_density(struct grab *g, xmlNodePtr n, size_t total)
{
    static const char *const h[] = { "h1", "h2", "h3", "h4", "h5", "h6" };
    size_t hl = 0, nv = g->nv;
    xmlNodePtr *save = NULL;

    if (total == 0)
        return 0;
    if (nv > 0) {
        save = xreallocarray(NULL, nv, sizeof(*save));
        memcpy(save, g->v, nv * sizeof(*save));
    }
    collect(g, n, h, ARRAY_LEN(h));
    for (size_t i = 0; i < g->nv; i++)
        hl += html_text_len(g->v[i]);
    if (save != NULL)
        memcpy(g->v, save, nv * sizeof(*save));
    g->nv = nv;
    free(save);
    return (double)hl / (double)total;
}

static size_t
list_text_len(struct grab *g, xmlNodePtr n)
{
    static const char *const l[] = { "ul", "ol" };
    size_t k = 0, nv = g->nv;
    xmlNodePtr *save = NULL;

    if (nv > 0) {
        save = xreallocarray(NULL, nv, sizeof(*save));
        memcpy(save, g->v, nv * sizeof(*save));
    }
    collect(g, n, l, 2);
    for (size_t i = 0; i < g->nv; i++)
        k += html_text_len(g->v[i]);
    if (save != NULL)
        memcpy(g->v, save, nv * sizeof(*save));
    g->nv = nv;
    free(save);
    return k;
}

/* Readability's "fishy" test of _cleanConditionally. */
static bool
fishy(struct grab *g, xmlNodePtr n, bool is_list)
{
    int w;
    size_t len, p, img, input, embeds = 0;
    long li;
    double ld, hd;
    bool remove, figure;

    if (html_is(n, "table") && scored(n) && ((struct nd *)n->_private)->datatable)
        return false;
    if (n->_private != NULL && ((struct nd *)n->_private)->datatable)
        return false;
    if (has_ancestor(n, "table", 0, true) || has_ancestor(n, "code", 0, false))
        return false;
    len = html_text_len(n);
    if (!is_list && len > 0 && (double)list_text_len(g, n) / (double)len > 0.9)
        is_list = true;
    w = class_weight(g, n);
    if (w < 0)
        return true;
    if (node_commas(n) >= 10)
        return false;
    p = count_tag(g, n, "p");
    img = count_tag(g, n, "img");
    li = (long)count_tag(g, n, "li") - 100;
    input = count_tag(g, n, "input");
    hd = heading_density(g, n, len);
    {
        static const char *const em[] = { "object", "embed", "iframe" };
        size_t nv = g->nv;
        xmlNodePtr *save = nv ? xreallocarray(NULL, nv, sizeof(*save)) : NULL;

        if (save != NULL)
            memcpy(save, g->v, nv * sizeof(*save));
        collect(g, n, em, 3);
        for (size_t i = 0; i < g->nv; i++)
            if (!is_video(g->v[i]))
                embeds++;
        if (save != NULL)
            memcpy(g->v, save, nv * sizeof(*save));
        g->nv = nv;
        free(save);
    }
    ld = link_density(g, n);
    figure = has_ancestor(n, "figure", 0, false);
    remove = (img > 1 && (double)p / (double)img < 0.5 && !figure) ||
        (!is_list && li > (long)p) || (input > p / 3) ||
        (!is_list && hd < 0.9 && len < 25 && (img == 0 || img > 2) && !figure) ||
        (!is_list && w < 25 && ld > 0.2) || (w >= 25 && ld > 0.5) ||
        (embeds == 1 && len < 75) || embeds > 1;
    if (is_list && remove) {
        for (xmlNodePtr c = first_elem(n); c != NULL; c = next_elem(c))
            if (elem_children(c) > 1)
                return remove;
        if (img == count_tag(g, n, "li"))
            return false;
    }
    return remove;
}

static void
clean_conditionally(struct grab *g, xmlNodePtr root, const char *name)
{
    const char *names[] = { name };
    xmlNodePtr *list;
    size_t n;

    if (!(g->flags & FLAG_CLEAN_CONDITIONALLY))
        return;
    collect(g, root, names, 1);
    n = g->nv;
    list = xreallocarray(NULL, n ? n : 1, sizeof(*list));
    if (n > 0)
        memcpy(list, g->v, n * sizeof(*list));
    g->nv = 0;
    for (size_t i = n; i-- > 0;) {
        xmlNodePtr x = list[i], p;

        for (p = x; p != NULL && p != root; p = p->parent)
            ;
        if (p == NULL)
            continue;                           /* inside something removed already */
        if (fishy(g, x, strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0))
            drop(x);
    }
    free(list);
}

static void
clean_tag(struct grab *g, xmlNodePtr root, const char *name, bool embeds)
{
    const char *names[] = { name };

    collect(g, root, names, 1);
    for (size_t i = g->nv; i-- > 0;)
        if (!embeds || !is_video(g->v[i]))
            drop(g->v[i]);
    g->nv = 0;
}

/* Elements whose class or id says "share", shorter than SHARE_MAX_CHARS. */
static void
clean_share(xmlNodePtr top)
{
    xmlNodePtr end = next_node(top, true), n = next_node(top, false);

    while (n != NULL && n != end) {
        char *ms = match_string(n);
        bool share = false;

        for (const char *p = strstr(ms, "share"); p != NULL; p = strstr(p + 1, "share"))
            if ((p == ms || !IS_ALPHA(p[-1])) && !IS_ALPHA(p[5]))
                share = true;
        free(ms);
        if (share && html_text_len(n) < SHARE_MAX_CHARS)
            n = remove_and_next(n);
        else
            n = next_node(n, false);
    }
}

static void
prep_article(struct grab *g, xmlNodePtr art)
{
    static const char *const hs[] = { "h1", "h2" };
    static const char *const ps[] = { "p" };
    static const char *const media[] = { "img", "embed", "object", "iframe" };

    mark_data_tables(g, art);
    clean_conditionally(g, art, "form");
    clean_conditionally(g, art, "fieldset");
    clean_tag(g, art, "object", true);
    clean_tag(g, art, "embed", true);
    clean_tag(g, art, "footer", false);
    clean_tag(g, art, "aside", false);
    clean_tag(g, art, "nav", false);
    for (xmlNodePtr c = first_elem(art); c != NULL; c = next_elem(c))
        clean_share(c);
    clean_tag(g, art, "iframe", true);
    clean_tag(g, art, "input", false);
    clean_tag(g, art, "textarea", false);
    clean_tag(g, art, "select", false);
    clean_tag(g, art, "button", false);
    collect(g, art, hs, 2);
    for (size_t i = g->nv; i-- > 0;)
        if (class_weight(g, g->v[i]) < 0)
            drop(g->v[i]);
    clean_conditionally(g, art, "table");
    clean_conditionally(g, art, "ul");
    clean_conditionally(g, art, "div");
    collect(g, art, ps, 1);
    for (size_t i = g->nv; i-- > 0;) {
        bool has_media = false;

        for (size_t k = 0; k < ARRAY_LEN(media); k++)
            if (count_tag_plain(g->v[i], media[k]) > 0)     /* count_tag() copies g->v */
                has_media = true;
        if (!has_media && html_text_len(g->v[i]) == 0)
            drop(g->v[i]);
    }
    g->nv = 0;
}

/* A cell of a table: its numbers are data, not boilerplate. */
static bool
is_table_cell(xmlNodePtr n)
{
    return html_is(n, "td") || html_is(n, "th");
}

/* What a block at the edge of the content is: text (0), surely the box around an
 * article (1: empty; or short and boilerplate, a date or byline line, or at the end an
 * author's bio, as the text reader's line classifier and lexicons say), or maybe (2:
 * mostly links, which a list of related stories is, but so is a last line that is a
 * link). */
static int
edge_kind(struct grab *g, struct art_lines *lines, xmlNodePtr n, bool at_end)
{
    size_t len = html_text_len(n);
    struct art_line l;
    char *t;
    int k = 0;

    if (len == 0)
        return count_tag(g, n, "img") == 0 ? 1 : 0;
    if (len > EDGE_BIO_CHARS || (len > EDGE_MAX_CHARS && !at_end))
        return 0;
    t = html_text(n);
    art_lines_classify(lines, t, strlen(t), &l);
    free(t);
    if (at_end && l.bio)
        k = 1;
    else if (len > EDGE_MAX_CHARS)
        k = 0;
    else if (l.cls == ART_LINE_BAD && l.why != NULL && !is_table_cell(n))
        k = 1;
    else if (len < EDGE_PHRASE_CHARS && link_density(g, n) >= 0.6)
        k = 2;
    return k;
}

/* Keep in g->v (elements in document order) those that hold none of the others: a list
 * whose members may be dropped one by one must not hold an element and its descendant
 * (dropping the first frees the second).  In document order the first descendant comes
 * right after its ancestor. */
static void
innermost(struct grab *g)
{
    size_t k = 0;

    for (size_t i = 0; i < g->nv; i++)
        if (i + 1 == g->nv || !is_ancestor(g->v[i], g->v[i + 1]))
            g->v[k++] = g->v[i];
    g->nv = k;
}

/* The leaf blocks of the content, in document order, into g->v. */
static void
leaf_blocks(struct grab *g, xmlNodePtr art)
{
    static const char *const blocks[] = { "p", "li", "h2", "h3", "h4", "h5", "h6", "div",
        "section", "figcaption", "blockquote", "pre", "dd", "dt", "td", "th" };
    size_t k = 0;

    collect(g, art, blocks, ARRAY_LEN(blocks));
    innermost(g);               /* "<li><td>": the <li> is no leaf */
    for (size_t i = 0; i < g->nv; i++)
        if (!has_block_child(g->v[i], 0))
            g->v[k++] = g->v[i];
    g->nv = k;
}

static void
drop_with_empty_parents(xmlNodePtr n, xmlNodePtr art)
{
    xmlNodePtr p = n->parent;

    drop(n);
    while (p != NULL && p != art && is_elem(p) && without_content(p) &&
        count_tag_plain(p, "img") == 0) {
        xmlNodePtr up = p->parent;

        drop(p);
        p = up;
    }
}

/* How many blocks from one edge are boxes: a run of kind 1 and 2 blocks, but a lone
 * link line (one kind 2 and nothing else) stays. */
static size_t
edge_run(struct grab *g, struct art_lines *lines, xmlNodePtr *list, size_t n, bool from_end,
    size_t limit)
{
    size_t run = 0, maybe = 0;

    while (run < n && run < limit) {
        int k = edge_kind(g, lines, list[from_end ? n - 1 - run : run], from_end);

        if (k == 0)
            break;
        maybe += k == 2;
        run++;
    }
    return run == 1 && maybe == 1 ? 0 : run;
}

/* Beyond Readability: the boxes it leaves at the edges of the content (share bars, "read
 * also", link lists, sign-up calls, a credit line) go, a few blocks at most on each side,
 * never more than a small share of the text. */
/* How many of list[0..n) (elements under top, in document order) come before m: one walk,
 * not one per element (a page of 20,000 <time>s took 40 s that way). */
static size_t
count_before(xmlNodePtr top, xmlNodePtr *list, size_t n, xmlNodePtr m)
{
    size_t k = 0;

    for (xmlNodePtr x = next_node(top, false); x != NULL && x != m && k < n;
        x = next_node(x, false))
        if (x == list[k])
            k++;
    return k;
}

/* The nearest sibling of n on one side that is not white space (NULL: none). */
static xmlNodePtr
neighbour(xmlNodePtr n, bool before)
{
    for (xmlNodePtr s = before ? n->prev : n->next; s != NULL; s = before ? s->prev : s->next)
        if (s->type == XML_ELEMENT_NODE || is_inked_text(s))
            return s;
    return NULL;
}

/* Is n not part of a sentence: on each side nothing, or a block (an image counts as
 * nothing: it does not end a sentence, and it has no text to join)? */
static bool
stands_alone(xmlNodePtr n)
{
    static const char *const blocks[] = { "blockquote", "dl", "div", "ol", "p", "pre",
        "table", "ul", "figure", "section", "article", "header", "footer", "aside", "nav",
        "h1", "h2", "h3", "h4", "h5", "h6", "form", "hr", "address", "br", "li" };

    for (int side = 0; side < 2; side++) {
        xmlNodePtr s = n;

        while ((s = neighbour(s, side == 0)) != NULL && strcmp(tag(s), "img") == 0)
            ;
        if (s != NULL && (s->type == XML_TEXT_NODE || !tag_in(s, blocks, ARRAY_LEN(blocks))))
            return false;
    }
    return true;
}

/* A date line above the text (<time> standing alone: "5 March 2024") is metadata, kept
 * as the date; in the body it would be a paragraph of its own. */
static void
drop_header_times(struct grab *g, xmlNodePtr art)
{
    static const char *const time_tag[] = { "time" };
    xmlNodePtr lead = NULL, *list;
    size_t n;

    leaf_blocks(g, art);
    for (size_t i = 0; i < g->nv && lead == NULL; i++)
        if (html_text_len(g->v[i]) >= LEAD_MIN_CHARS)
            lead = g->v[i];
    collect(g, art, time_tag, 1);
    innermost(g);               /* "<time><time>" */
    n = g->nv;
    if (lead == NULL || n == 0)
        return;
    list = xreallocarray(NULL, n, sizeof(*list));
    memcpy(list, g->v, n * sizeof(*list));
    n = count_before(art, list, n, lead);       /* only those above the lead */
    for (size_t i = 0; i < n; i++) {
        xmlNodePtr t = list[i], p = t->parent;
        size_t len = html_text_len(t);

        /* alone: the only text of its parent, or between blocks (not inside a sentence) */
        if (len > 0 && len < EDGE_PHRASE_CHARS && p != NULL && p != art &&
            (html_text_len(p) == len || stands_alone(t)))
            drop_with_empty_parents(t, art);
    }
    free(list);
    g->nv = 0;
}

static void
trim_edges(struct grab *g, xmlNodePtr art)
{
    size_t total = html_text_len(art), cut = 0, n, lo, hi;
    struct art_lines *lines;
    xmlNodePtr *list;

    drop_header_times(g, art);
    leaf_blocks(g, art);
    n = g->nv;
    if (n < 3)
        return;
    list = xreallocarray(NULL, n, sizeof(*list));
    memcpy(list, g->v, n * sizeof(*list));
    lines = art_lines_new(g->lang);
    lo = edge_run(g, lines, list, n, false, EDGE_MAX_BLOCKS);
    /* from the end, among the blocks after list[lo] (none when the start took them all) */
    hi = lo + 1 < n ? n - edge_run(g, lines, list + lo + 1, n - lo - 1, true,
        EDGE_MAX_BLOCKS) : n;
    art_lines_free(lines);
    for (size_t i = 0; i < lo; i++)
        cut += html_text_len(list[i]);
    for (size_t i = hi; i < n; i++)
        cut += html_text_len(list[i]);
    if (cut * 10 <= total) {                    /* at most a tenth of the text */
        for (size_t i = 0; i < lo; i++)
            drop_with_empty_parents(list[i], art);
        for (size_t i = hi; i < n; i++)
            drop_with_empty_parents(list[i], art);
    }
    free(list);
    g->nv = 0;
}

/* One attempt with the given flags on a freshly parsed document; returns the content
 * element (owned by g->doc) or NULL. */
static xmlNodePtr
grab_article(struct grab *g)
{
    struct grab tosc;
    xmlNodePtr top[TOP_CANDIDATES], tc, art;
    size_t ntop = 0;

    memset(&tosc, 0, sizeof(tosc));
    prune(g, &tosc);
    score_paragraphs(g, &tosc, top, &ntop);
    free(tosc.v);
    if (ntop == 0 || top[0] == g->body || html_is(top[0], "body") || score(top[0]) <= 0 ||
        !is_ancestor(g->body, top[0])) {
        /* no candidate: the whole body */
        art = xmlNewDocNode(g->doc, NULL, (const xmlChar *)"div", NULL);
        while (g->body->children != NULL) {
            xmlNodePtr c = g->body->children;

            xmlUnlinkNode(c);
            xmlAddChild(art, c);
        }
        xmlAddChild(g->body, art);
        init_node(g, art);
        prep_article(g, art);
        trim_edges(g, art);
        return art;
    }
    tc = refine_top(g, top, ntop);
    art = gather(g, tc);
    xmlAddChild(g->body, art);
    prep_article(g, art);
    trim_edges(g, art);
    return art;
}

/* ------------------------------------------------------------------------------------ */
/* Writing the safe subset */

struct out {
    struct article *a;
    struct buf html, text, para;
    CURLU *base;                /* NULL without a usable base URL */
    bool in_p;                  /* an implied <p> is open */
    bool in_text;               /* inside p/h/li/figcaption/pre: blocks become spaces */
    bool pre;
    int depth;
    size_t nlinks, linkcap;
    struct article_link *links;
    size_t npara, paracap;
    const char **paras;
    const char *first_p;        /* the first <p>'s text (the summary when none is given) */
};

/* Absolute form of url against the base, for http(s) and mailto only; heap or NULL. */
static char *
absolute(struct out *o, const char *url)
{
    CURLU *h;
    char *r = NULL, *s = NULL;

    if (url == NULL || url[0] == '\0' || url[0] == '#')
        return NULL;
    if (ascii_strncasecmp(url, "mailto:", 7) == 0)
        return xstrdup(url);
    h = o->base != NULL ? curl_url_dup(o->base) : curl_url();
    if (h == NULL)
        xoom();
    if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE) ==
        CURLUE_OK && curl_url_get(h, CURLUPART_URL, &s, 0) == CURLUE_OK &&
        text_is_web_url(s, strlen(s)) && utf8_is_valid(s, strlen(s)))
        r = xstrdup(s);     /* libcurl decodes a host's "%ed" to a byte: not UTF-8 */
    curl_free(s);
    curl_url_cleanup(h);
    return r;
}

static bool
ends_space(const struct buf *b)
{
    return b->len == 0 || IS_SPACE(buf_str(b)[b->len - 1]);
}

/* Text, white space collapsed (except in <pre>), into html, text and the paragraph. */
static void
put_text(struct out *o, const char *s)
{
    for (const char *p = s; *p;) {
        size_t k = 0;

        if (!o->pre && IS_SPACE(*p)) {
            while (IS_SPACE(*p))
                p++;
            if (!ends_space(&o->para)) {
                buf_putc(&o->html, ' ');
                buf_putc(&o->text, ' ');
                buf_putc(&o->para, ' ');
            }
            continue;
        }
        while (p[k] && (o->pre || !IS_SPACE(p[k])))
            k++;
        text_html_escape_some(&o->html, p, k, "&<>");
        buf_put(&o->text, p, k);
        buf_put(&o->para, p, k);
        p += k;
    }
}

static void
trim_end(struct buf *b)
{
    while (b->len > 0 && buf_str(b)[b->len - 1] == ' ')
        ((char *)buf_str(b))[--b->len] = '\0';
}

/* Close a block: end the text paragraph. */
static void
end_block(struct out *o)
{
    const char *s;
    size_t n;

    trim_end(&o->para);
    trim_end(&o->text);
    s = buf_str(&o->para);
    n = o->para.len;
    while (n > 0 && IS_SPACE(*s)) {
        s++;
        n--;
    }
    if (n > 0) {
        if (o->npara == o->paracap) {
            o->paracap = o->paracap ? o->paracap * 2 : 32;
            o->paras = xreallocarray(o->paras, o->paracap, sizeof(*o->paras));
        }
        o->paras[o->npara++] = arena_strndup(&o->a->arena, s, n);
    }
    buf_reset(&o->para);
    if (o->text.len > 0 && !(o->text.len >= 2 && memcmp(buf_str(&o->text) + o->text.len - 2,
        "\n\n", 2) == 0))
        buf_puts(&o->text, o->text.len > 0 && buf_str(&o->text)[o->text.len - 1] == '\n' ?
            "\n" : "\n\n");
}

static void
close_p(struct out *o)
{
    if (!o->in_p)
        return;
    trim_end(&o->html);
    buf_puts(&o->html, "</p>\n");
    o->in_p = false;
    o->in_text = false;
    end_block(o);
}

static void
open_p(struct out *o)
{
    if (o->in_p || o->in_text)
        return;
    buf_puts(&o->html, "<p>");
    o->in_p = true;
    o->in_text = true;
}

static void write_children(struct out *o, xmlNodePtr n);

static size_t
add_link(struct out *o, const char *url, const char *text)
{
    for (size_t i = 0; i < o->nlinks; i++)
        if (strcmp(o->links[i].url, url) == 0)
            return i + 1;
    if (o->nlinks == o->linkcap) {
        o->linkcap = o->linkcap ? o->linkcap * 2 : 16;
        o->links = xreallocarray(o->links, o->linkcap, sizeof(*o->links));
    }
    o->links[o->nlinks].url = arena_strdup(&o->a->arena, url);
    o->links[o->nlinks].text = arena_strdup(&o->a->arena, text);
    return ++o->nlinks;
}

static void
write_link(struct out *o, xmlNodePtr n)
{
    char *href = html_attr(n, "href"), *url = absolute(o, href);

    open_p(o);
    if (url == NULL) {
        write_children(o, n);
    } else {
        char *t = html_text(n);

        buf_puts(&o->html, "<a href=\"");
        text_html_escape_some(&o->html, url, strlen(url), "&<>\"");
        buf_puts(&o->html, "\">");
        write_children(o, n);
        buf_puts(&o->html, "</a>");
        if (t[0] != '\0' && o->nlinks < 1000)
            buf_putf(&o->text, " [%zu]", add_link(o, url, t));
        free(t);
    }
    free(href);
    free(url);
}

/* The image's address: src, else a lazy-loading attribute; data: URIs are placeholders. */
static char *
image_src(struct out *o, xmlNodePtr n)
{
    static const char *const attrs[] = { "src", "data-src", "data-original", "data-lazy-src",
        "data-url", "data-srcset", "srcset" };

    for (size_t i = 0; i < ARRAY_LEN(attrs); i++) {
        char *v = html_attr(n, attrs[i]), *u;

        if (v == NULL || v[0] == '\0' || strncmp(v, "data:", 5) == 0) {
            free(v);
            continue;
        }
        v[strcspn(v, " ,")] = '\0';             /* first srcset candidate */
        u = absolute(o, v);
        free(v);
        if (u != NULL)
            return u;
    }
    return NULL;
}

/* A size attribute in pixels ("300", "300px"), or 0. */
static long
pixels(xmlNodePtr n, const char *name)
{
    char *v = html_attr(n, name);
    long px = 0;

    if (v != NULL) {
        size_t k = strspn(v, "0123456789");

        if (k > 0 && k < 6 && (v[k] == '\0' || strcmp(v + k, "px") == 0)) {
            v[k] = '\0';
            if (parse_long(v, 1, 99999, &px) == -1)
                px = 0;
        }
    }
    free(v);
    return px;
}

/* An image as email wants it (EMAIL-CHECKLIST C5, C6, X2): https, a known width and height
 * (scaled down to the 600 px column), display:block, border:0, alt.  Images without a
 * size, or only over http, are left out (the lead image travels as a field). */
static void
write_img(struct out *o, xmlNodePtr n)
{
    char *src = image_src(o, n), *alt;
    long w = pixels(n, "width"), h = pixels(n, "height");

    if (src == NULL || ascii_strncasecmp(src, "https://", 8) != 0 || w == 0 || h == 0) {
        free(src);
        return;
    }
    if (w > IMG_MAX_WIDTH) {
        h = h * IMG_MAX_WIDTH / w;
        w = IMG_MAX_WIDTH;
    }
    alt = html_attr(n, "alt");
    open_p(o);
    buf_puts(&o->html, "<img src=\"");
    text_html_escape_some(&o->html, src, strlen(src), "&<>\"");
    buf_puts(&o->html, "\" alt=\"");
    if (alt != NULL)
        text_html_escape_some(&o->html, alt, strlen(alt), "&<>\"");
    buf_putf(&o->html, "\" width=\"%ld\" height=\"%ld\" "
        "style=\"display:block;border:0;max-width:100%%;height:auto\">", w, h < 1 ? 1 : h);
    free(src);
    free(alt);
}

/* A block of text (p, h2-h4, figcaption, pre, li, blockquote) with its tag. */
static void
write_block(struct out *o, xmlNodePtr n, const char *t, bool container)
{
    bool save_text, save_pre = o->pre;

    if (o->in_text && !o->in_p) {               /* a block inside a text block */
        if (!ends_space(&o->para))
            put_text(o, " ");
        write_children(o, n);
        return;
    }
    close_p(o);                                 /* ends an implied <p>: in_text is false */
    save_text = o->in_text;
    buf_putf(&o->html, "<%s>", t);
    if (strcmp(t, "pre") == 0) {
        buf_puts(&o->html, "<code>");
        o->pre = true;
    }
    o->in_text = !container;
    write_children(o, n);
    close_p(o);
    trim_end(&o->html);
    if (strcmp(t, "pre") == 0)
        buf_puts(&o->html, "</code>");
    buf_putf(&o->html, "</%s>\n", t);
    o->in_text = save_text;
    o->pre = save_pre;
    end_block(o);
    if (o->first_p == NULL && o->npara > 0 && strcmp(t, "p") == 0 &&
        strlen(o->paras[o->npara - 1]) >= SUMMARY_MIN)
        o->first_p = o->paras[o->npara - 1];
}

static void
write_list(struct out *o, xmlNodePtr n, const char *t)
{
    if (o->in_text && !o->in_p) {
        write_children(o, n);
        return;
    }
    close_p(o);
    buf_putf(&o->html, "<%s>\n", t);
    for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
        if (html_is(c, "li")) {
            write_block(o, c, "li", true);
        } else if (is_elem(c) || (c->type == XML_TEXT_NODE && !is_whitespace(c))) {
            buf_puts(&o->html, "<li>");     /* stray content: its own item */
            o->in_text = true;
            if (is_elem(c))
                write_children(o, c);
            else
                put_text(o, (const char *)c->content);
            o->in_text = false;
            buf_puts(&o->html, "</li>\n");
            end_block(o);
        }
    }
    buf_putf(&o->html, "</%s>\n", t);
}

static void
write_inline(struct out *o, xmlNodePtr n, const char *t)
{
    open_p(o);
    buf_putf(&o->html, "<%s>", t);
    write_children(o, n);
    buf_putf(&o->html, "</%s>", t);
}

static void
write_node(struct out *o, xmlNodePtr n)
{
    const char *t = tag(n);

    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content == NULL || (!o->in_text && is_whitespace(n)))
            return;
        open_p(o);
        put_text(o, (const char *)n->content);
        return;
    }
    if (!is_elem(n) || o->depth > HTML_MAX_DEPTH)
        return;
    o->depth++;
    if (strcmp(t, "p") == 0 || strcmp(t, "figcaption") == 0 || strcmp(t, "pre") == 0 ||
        strcmp(t, "h2") == 0 || strcmp(t, "h3") == 0 || strcmp(t, "h4") == 0)
        write_block(o, n, t, false);
    else if (strcmp(t, "h1") == 0)
        write_block(o, n, "h2", false);
    else if (strcmp(t, "h5") == 0 || strcmp(t, "h6") == 0)
        write_block(o, n, "h4", false);
    else if (strcmp(t, "blockquote") == 0 || strcmp(t, "figure") == 0)
        write_block(o, n, t, true);
    else if (strcmp(t, "ul") == 0 || strcmp(t, "ol") == 0)
        write_list(o, n, t);
    else if (strcmp(t, "a") == 0)
        write_link(o, n);
    else if (strcmp(t, "img") == 0)
        write_img(o, n);
    else if (strcmp(t, "em") == 0 || strcmp(t, "i") == 0 || strcmp(t, "cite") == 0)
        write_inline(o, n, "em");
    else if (strcmp(t, "strong") == 0 || strcmp(t, "b") == 0)
        write_inline(o, n, "strong");
    else if (strcmp(t, "code") == 0 && !o->pre)
        write_inline(o, n, "code");
    else if (strcmp(t, "br") == 0) {
        if (o->in_text && !o->in_p) {
            buf_puts(&o->html, "<br>");
            put_text(o, o->pre ? "\n" : " ");
        } else {
            close_p(o);
        }
    } else if (is_phrasing(n) || strcmp(t, "a") == 0) {
        write_children(o, n);
    } else {                                    /* div, section, table, tr, td, dl...: breaks */
        if (!o->in_text || o->in_p)
            close_p(o);
        else if (!ends_space(&o->para))
            put_text(o, " ");
        write_children(o, n);
        if (!o->in_text || o->in_p)
            close_p(o);
        else if (!ends_space(&o->para))
            put_text(o, " ");
    }
    o->depth--;
}

static void
write_children(struct out *o, xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c != NULL; c = c->next)
        write_node(o, c);
}

/* ------------------------------------------------------------------------------------ */
/* The entry point */

static const char *
adup(struct article *a, const char *s)
{
    return s != NULL ? arena_strdup(&a->arena, s) : NULL;
}

/* Single-line fields: control characters become spaces. */
static const char *
oneline(struct article *a, const char *s)
{
    char *r;

    if (s == NULL || s[0] == '\0')
        return NULL;
    r = arena_strdup(&a->arena, s);
    for (char *p = r; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return html_squeeze(r);
}

/* Attributes any reader looks at; the rest (data-*, event handlers, ARIA labels, ...)
 * never reach the tree, where each would cost a few hundred bytes. */
/* Does a reader look at attribute name=value of element el?  The ones only some elements
 * need stay only on those.  Returns the name as a static string (what the element keeps),
 * or NULL. */
static const char *
wanted_attr(const char *el, const char *name, const char *value, bool itemprop)
{
    static const char *const any[] = { "class", "id", "style", "hidden", "aria-hidden",
        "aria-modal", "role", "itemprop", "datetime" };
    static const char *const media[] = { "img", "source", "picture", "figure", "iframe",
        "embed", "object", "video", "audio" };
    static const char *const media_attrs[] = { "src", "srcset", "data-src", "data-original",
        "data-lazy-src", "data-url", "data-srcset", "width", "height", "alt" };
    static const struct { const char *el, *attr; } only[] = {
        { "a", "href" }, { "link", "href" }, { "base", "href" }, { "area", "href" },
        { "meta", "content" }, { "meta", "name" }, { "meta", "property" },
        { "meta", "charset" }, { "script", "type" }, { "html", "lang" }, { "td", "colspan" },
        { "th", "colspan" }, { "td", "rowspan" }, { "th", "rowspan" },
        { "table", "summary" }, { "table", "datatable" }, { "area", "alt" } };

    for (size_t i = 0; i < ARRAY_LEN(any); i++)
        if (ascii_strcasecmp(name, any[i]) == 0)
            return any[i];
    if (ascii_strcasecmp(name, "rel") == 0)         /* rel=author, rel=canonical */
        return value != NULL && (art_ci_contains(value, strlen(value), "author") ||
            art_ci_contains(value, strlen(value), "canonical")) ? "rel" : NULL;
    if (ascii_strcasecmp(name, "content") == 0 && itemprop)
        return "content";
    for (size_t i = 0; i < ARRAY_LEN(only); i++)
        if (ascii_strcasecmp(name, only[i].attr) == 0 && ascii_strcasecmp(el, only[i].el) == 0)
            return only[i].attr;
    for (size_t i = 0; i < ARRAY_LEN(media); i++)
        if (ascii_strcasecmp(el, media[i]) == 0)
            for (size_t k = 0; k < ARRAY_LEN(media_attrs); k++)
                if (ascii_strcasecmp(name, media_attrs[k]) == 0)
                    return media_attrs[k];
    return NULL;
}

/*
 * What the tree is built from.  Memory goes to nodes, so the parser's events for what
 * prep_document() would remove anyway (the text of scripts and styles, <noscript>,
 * <template>, <svg>, and <link> but the canonical one, which the metadata reads) build
 * none, and neither does white space between blocks, which no reader sees.
 */
struct sax_state {
    int skip;                   /* depth inside a skipped element, 0 outside */
    struct buf text;            /* character data not yet in the tree (see characters()) */
};

/* Text runs longer than this go to the tree in parts (libxml2 joins them). */
#define SAX_TEXT_MAX ((size_t)64 << 10)

/* Put the pending character data into the tree: one text node of the exact size, where
 * libxml2's own handler, called once for each piece the parser delivers (text is cut at
 * every entity reference and chunk end), grows the node's text by doubling. */
static void
flush_text(htmlParserCtxtPtr ctxt)
{
    struct sax_state *st = ctxt->_private;

    if (st->text.len == 0)
        return;
    xmlSAX2Characters(ctxt, (const xmlChar *)buf_str(&st->text), (int)st->text.len);
    buf_reset(&st->text);
}

static bool
name_in(const xmlChar *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ascii_strcasecmp((const char *)name, list[i]) == 0)
            return true;
    return false;
}

static const char *
att_find(const xmlChar **atts, const char *name)
{
    for (size_t i = 0; atts != NULL && atts[i] != NULL; i += 2)
        if (ascii_strcasecmp((const char *)atts[i], name) == 0)
            return atts[i + 1] != NULL ? (const char *)atts[i + 1] : "";
    return NULL;
}

static bool
skipped_element(const xmlChar *name, const xmlChar **atts)
{
    static const char *const junk[] = { "noscript", "style", "template", "svg" };
    const char *v;

    if (name_in(name, junk, ARRAY_LEN(junk)))
        return true;
    if (ascii_strcasecmp((const char *)name, "script") == 0)
        return (v = att_find(atts, "type")) == NULL || !art_ci_contains(v, strlen(v),
            "ld+json");
    if (ascii_strcasecmp((const char *)name, "link") == 0)
        return (v = att_find(atts, "rel")) == NULL || !art_ci_contains(v, strlen(v),
            "canonical");
    return false;
}

/* The document's arena (on doc->_private): the elements' attributes. */
static struct arena *
doc_arena(htmlDocPtr doc)
{
    if (doc->_private == NULL)
        doc->_private = xcalloc(1, sizeof(struct arena));
    return doc->_private;
}

/* Free a document parsed by parse_doc() (with its arena); NULL does nothing. */
static void
doc_free(htmlDocPtr doc)
{
    if (doc == NULL)
        return;
    if (doc->_private != NULL) {
        arena_fini(doc->_private);
        free(doc->_private);
        doc->_private = NULL;
    }
    xmlFreeDoc(doc);
}

/* Hang the wanted attributes on element n: names[i] (static strings) and the parser's
 * values[i] (copied; NULL for none), k of them. */
static void
keep_attrs(htmlDocPtr doc, xmlNodePtr n, const char *const *names, const xmlChar **values,
    size_t k)
{
    struct arena *ar = doc_arena(doc);
    struct html_attrs *at = arena_alloc(ar, sizeof(*at) + k * sizeof(at->a[0]));

    at->n = k;
    for (size_t i = 0; i < k; i++) {
        at->a[i].name = names[i];
        at->a[i].value = values[i] != NULL ? arena_strdup(ar, (const char *)values[i]) : "";
    }
    n->psvi = at;
}

static void
start_element(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    htmlParserCtxtPtr ctxt = ctx;
    struct sax_state *st = ctxt->_private;
    const char *names[32];
    const xmlChar *values[32];
    xmlNodePtr parent = ctxt->node;
    size_t k = 0;
    bool itemprop;

    if (st->skip > 0 || skipped_element(name, atts)) {
        st->skip++;
        return;
    }
    itemprop = att_find(atts, "itemprop") != NULL;
    for (size_t i = 0; atts != NULL && atts[i] != NULL && k < ARRAY_LEN(names); i += 2)
        if ((names[k] = wanted_attr((const char *)name, (const char *)atts[i],
            (const char *)atts[i + 1], itemprop)) != NULL)
            values[k++] = atts[i + 1];
    flush_text(ctxt);
    xmlSAX2StartElement(ctx, name, NULL);     /* the attributes go beside the tree */
    if (k > 0 && ctxt->node != NULL && ctxt->node != parent && ctxt->myDoc != NULL)
        keep_attrs(ctxt->myDoc, ctxt->node, names, values, k);
}

/* Is the pending text white space at the end of a block (the element being closed), which
 * no reader sees (and not inside <pre>)? */
static bool
trailing_space(htmlParserCtxtPtr ctxt)
{
    static const char *const blocks[] = { "html", "head", "body", "div", "section",
        "article", "main", "header", "footer", "nav", "aside", "ul", "ol", "dl", "li", "dt",
        "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "form",
        "fieldset", "figure", "figcaption", "blockquote", "p", "h1", "h2", "h3", "h4", "h5",
        "h6", "address" };
    struct sax_state *st = ctxt->_private;
    const char *s = buf_str(&st->text);
    xmlNodePtr n = ctxt->node;

    for (size_t i = 0; i < st->text.len; i++)
        if (!IS_SPACE(s[i]))
            return false;
    if (st->text.len == 0 || n == NULL || n->type != XML_ELEMENT_NODE ||
        !name_in(n->name, blocks, ARRAY_LEN(blocks)))
        return false;
    for (xmlNodePtr p = n->parent; p != NULL && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (ascii_strcasecmp((const char *)p->name, "pre") == 0)
            return false;
    return true;
}

static void
end_element(void *ctx, const xmlChar *name)
{
    htmlParserCtxtPtr ctxt = ctx;
    struct sax_state *st = ctxt->_private;

    if (st->skip > 0) {
        st->skip--;
        return;
    }
    if (trailing_space(ctxt))
        buf_reset(&st->text);
    flush_text(ctxt);
    xmlSAX2EndElement(ctx, name);
}

/* Is white space added to the current node invisible: in a block container, at its start
 * or after a block (and not inside <pre>)? */
static bool
invisible_space(htmlParserCtxtPtr ctxt)
{
    static const char *const containers[] = { "html", "head", "body", "div", "section",
        "article", "main", "header", "footer", "nav", "aside", "ul", "ol", "dl", "table",
        "thead", "tbody", "tfoot", "tr", "form", "fieldset", "figure", "blockquote", "li",
        "td", "th", "dd", "select" };
    static const char *const blocks[] = { "div", "p", "ul", "ol", "li", "table", "thead",
        "tbody", "tfoot", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section",
        "article", "main", "header", "footer", "aside", "nav", "figure", "figcaption",
        "blockquote", "form", "fieldset", "hr", "dl", "dt", "dd", "meta", "title", "link",
        "script", "option" };
    xmlNodePtr n = ctxt->node, last;

    if (n == NULL || n->type != XML_ELEMENT_NODE ||
        !name_in(n->name, containers, ARRAY_LEN(containers)))
        return false;
    for (xmlNodePtr p = n->parent; p != NULL && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (ascii_strcasecmp((const char *)p->name, "pre") == 0)
            return false;
    last = n->last;
    while (last != NULL && last->type == XML_COMMENT_NODE)
        last = last->prev;
    return last == NULL || (last->type == XML_ELEMENT_NODE &&
        name_in(last->name, blocks, ARRAY_LEN(blocks)));
}

static void
characters(void *ctx, const xmlChar *ch, int len)
{
    htmlParserCtxtPtr ctxt = ctx;
    struct sax_state *st = ctxt->_private;
    int i = 0;

    if (st->skip > 0)
        return;
    while (i < len && IS_SPACE(ch[i]))
        i++;
    if (i == len && st->text.len == 0 && invisible_space(ctxt))
        return;
    if (st->text.len + (size_t)len > SAX_TEXT_MAX)
        flush_text(ctxt);
    if ((size_t)len > SAX_TEXT_MAX)
        xmlSAX2Characters(ctx, ch, len);
    else
        buf_put(&st->text, (const char *)ch, (size_t)len);
}

static void
cdata_block(void *ctx, const xmlChar *ch, int len)
{
    htmlParserCtxtPtr ctxt = ctx;
    struct sax_state *st = ctxt->_private;

    if (st->skip > 0)
        return;
    flush_text(ctxt);
    xmlSAX2CDataBlock(ctx, ch, len);
}

static void
processing_instruction(void *ctx, const xmlChar *target, const xmlChar *data)
{
    flush_text(ctx);
    xmlSAX2ProcessingInstruction(ctx, target, data);
}

static void
end_document(void *ctx)
{
    flush_text(ctx);
    xmlSAX2EndDocument(ctx);
}

/* The page as the caller gave it; each parse prepares its own copy from it. */
struct page {
    const char *bytes;
    size_t len;
    const char *charset;        /* from an HTTP header, or NULL */
    const char *url;            /* may be NULL */
};

/* A page in another charset, converted to UTF-8 into one buffer, with the script and style
 * text and the comments stripped in place. */
static void
prepare(const struct page *pg, struct buf *u)
{
    decode(pg->bytes, pg->len, pg->charset, u);
    if (u->p != NULL)
        u->len = strip_scripts(u->p, u->len);
}

/* The parser is fed this much at a time (cut before a '<'), so that its own input buffer
 * stays small instead of holding a second copy of the page while the tree grows. */
#define PARSE_CHUNK ((size_t)64 << 10)

/* Feed s[0..n) to the parser in chunks cut before a '<' (never inside a character), each
 * made valid UTF-8 first when repair is set (into c). */
static void
feed_span(htmlParserCtxtPtr ctxt, const char *s, size_t n, bool repair, struct buf *c)
{
    size_t off = 0;

    while (off < n) {
        size_t k = n - off > PARSE_CHUNK ? PARSE_CHUNK : n - off;
        const char *lt;

        if (off + k < n && (lt = memchr(s + off + k, '<', n - off - k)) != NULL)
            k = (size_t)(lt - (s + off));
        else
            k = n - off;
        if (repair) {
            buf_reset(c);
            (void)text_utf8_repair(c, s + off, k, true);
        }
        if ((repair ? c->len : k) > INT_MAX)
            return;
        if (repair)
            htmlParseChunk(ctxt, buf_str(c), (int)c->len, 0);
        else
            htmlParseChunk(ctxt, s + off, (int)k, 0);
        off += k;
    }
}

/* Feed the page to the parser without what no reader needs, as strip_scripts() would
 * leave it, but straight from s: the kept stretches go to the parser as they are. */
static void
feed(htmlParserCtxtPtr ctxt, const char *s, size_t n, bool repair)
{
    const char *r = s, *end = s + n;
    struct buf c;

    buf_init(&c, HTML_OUT_MAX);
    while (r < end) {
        const char *lt = next_raw(r, end), *keep = end, *resume = end;

        if (lt != NULL && !raw_extent(lt, end, &keep, &resume))
            keep = lt;
        feed_span(ctxt, r, (size_t)(keep - r), repair, &c);
        r = resume;
    }
    buf_fini(&c);
    htmlParseChunk(ctxt, NULL, 0, 1);
}

/* Is the page UTF-8: valid UTF-8 (a page saved or served as UTF-8 often still names its
 * old charset: valid multibyte sequences are not Latin-1 or GBK text by accident), or
 * named UTF-8 by the header or the page (or nothing), but not UTF-16 with a BOM?
 * *clean: valid as it is, without NUL bytes. */
static bool
page_is_utf8(const struct page *pg, bool *clean)
{
    char cs[64];

    *clean = false;
    if (pg->len >= 2 && (memcmp(pg->bytes, "\xff\xfe", 2) == 0 ||
        memcmp(pg->bytes, "\xfe\xff", 2) == 0))
        return false;
    if (memchr(pg->bytes, '\0', pg->len) == NULL && utf8_is_valid(pg->bytes, pg->len))
        return *clean = true;
    if (pg->charset != NULL && pg->charset[0] != '\0')
        snprintf(cs, sizeof(cs), "%s", pg->charset);
    else
        sniff_charset(pg->bytes, pg->len, cs, sizeof(cs));
    return is_utf8_name(cs);
}

/*
 * The page as a tree.  A UTF-8 page is fed to the parser as it is, or made valid chunk
 * by chunk (no copy of the whole page); another charset is converted into one buffer
 * first.  The push parser's own input buffer holds a chunk, not the page.
 */
static htmlDocPtr
parse_doc(const struct page *pg, bool *over)
{
    htmlParserCtxtPtr ctxt;
    struct sax_state st;
    htmlDocPtr doc;
    struct buf u;
    bool clean;

    ctxt = htmlCreatePushParserCtxt(NULL, NULL, NULL, 0, pg->url, XML_CHAR_ENCODING_UTF8);
    if (ctxt == NULL)
        return NULL;
    memset(&st, 0, sizeof(st));
    buf_init(&st.text, SAX_TEXT_MAX);           /* characters() never puts more */
    ctxt->sax->startElement = start_element;
    ctxt->sax->endElement = end_element;
    ctxt->sax->characters = characters;
    ctxt->sax->cdataBlock = cdata_block;
    ctxt->sax->comment = NULL;
    ctxt->sax->processingInstruction = processing_instruction;
    ctxt->sax->endDocument = end_document;
    ctxt->_private = &st;
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
        HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT);
    if (page_is_utf8(pg, &clean)) {
        feed(ctxt, pg->bytes, pg->len, !clean);
    } else {
        buf_init(&u, HTML_OUT_MAX);
        prepare(pg, &u);
        if (buf_failed(&u) && over != NULL)
            *over = true;                       /* u is empty: nothing is parsed */
        feed(ctxt, buf_str(&u), u.len, false);
        buf_fini(&u);
    }
    doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    if (ctxt->dictNames && doc != NULL && doc->dict == ctxt->dict)
        ctxt->dict = NULL;                      /* the document keeps the dictionary */
    htmlFreeParserCtxt(ctxt);
    buf_fini(&st.text);
    return doc;
}

static void
count_node(xmlNodePtr n, struct html_tree_stats *st)
{
    const char *v;

    if (n->type == XML_ELEMENT_NODE) {
        st->elements++;
        for (size_t i = 0; n->psvi != NULL && html_attr_at(n, i, &v) != NULL; i++) {
            st->attrs++;
            st->attr_bytes += strlen(v);
        }
        for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
            st->tree_attrs++;
    } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        st->texts++;
        st->text_bytes += n->content != NULL ? strlen((const char *)n->content) : 0;
    }
}

void
html_tree_count(const char *bytes, size_t len, struct html_tree_stats *st)
{
    struct page pg = { bytes, len, NULL, NULL };
    htmlDocPtr doc = parse_doc(&pg, NULL);
    xmlNodePtr top = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    int depth = 1;

    memset(st, 0, sizeof(*st));
    if (top != NULL) {
        count_node(top, st);
        for (xmlNodePtr n = top->children; n != NULL; n = html_walk_next(n, top, &depth))
            count_node(n, st);
    }
    doc_free(doc);
}

/* One attempt with the given flags on a fresh parse; the document (caller frees) holding
 * *art, and the length of its text. */
static htmlDocPtr
attempt(const struct page *pg, htmlDocPtr doc, const struct html_meta *m, int flags,
    char **byline, xmlNodePtr *art, size_t *len)
{
    struct grab g;

    memset(&g, 0, sizeof(g));
    *art = NULL;
    *len = 0;
    g.doc = doc != NULL ? doc : parse_doc(pg, NULL);
    if (g.doc == NULL || xmlDocGetRootElement(g.doc) == NULL) {
        doc_free(g.doc);
        return NULL;
    }
    g.flags = flags;
    g.title = m->title.value;
    g.lang = m->lang.value;
    prep_document(&g);
    *art = grab_article(&g);
    *len = html_text_len(*art);
    pool_fini(&g.pool);
    free(g.v);
    *byline = g.byline;
    return g.doc;
}

/* The content: Readability's attempts with ever looser flags; the first long enough,
 * else the longest (parsed again, so that only one tree is alive at a time).  Returns the
 * document holding *art (caller frees). */
static htmlDocPtr
find_content(const struct page *pg, htmlDocPtr first, const struct html_meta *m,
    char **byline, xmlNodePtr *art)
{
    static const int flags[] = { 7, 6, 4, 0 };
    size_t best_len = 0, best = 0, len;
    htmlDocPtr doc = NULL;

    for (size_t i = 0; i < ARRAY_LEN(flags); i++) {
        doc = attempt(pg, i == 0 ? first : NULL, m, flags[i], byline, art, &len);
        if (doc == NULL)
            return NULL;
        if (len >= CHAR_THRESHOLD)
            return doc;
        if (len > best_len) {
            best_len = len;
            best = i;
        }
        if (i + 1 < ARRAY_LEN(flags) || best != i) {
            doc_free(doc);
            doc = NULL;
            free(*byline);
            *byline = NULL;
        }
    }
    if (doc == NULL)
        doc = attempt(pg, NULL, m, flags[best], byline, art, &len);
    return doc;
}

/*
 * Return the freed heap pages to the system.  The tree is most of a page's memory, in
 * some ten thousand small blocks that glibc's free() keeps for reuse (it gives back only
 * the top of the heap): without this, the output and the next page's input land beside
 * them and memory ratchets up from page to page.  Called when the page outside the
 * content is freed (before the output grows) and when the tree is (before the output is
 * copied into the article's arena).  Tens of microseconds each.
 */
static void
give_back(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static CURLU *
base_url(const char *url, const struct html_meta *m)
{
    CURLU *h = curl_url();

    if (h == NULL)
        xoom();
    if (url != NULL && curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK)
        url = NULL;
    if (m->base != NULL && curl_url_set(h, CURLUPART_URL, m->base, 0) == CURLUE_OK)
        return h;
    if (url == NULL && m->canonical.value != NULL &&
        curl_url_set(h, CURLUPART_URL, m->canonical.value, 0) == CURLUE_OK)
        return h;
    if (url != NULL)
        return h;
    curl_url_cleanup(h);
    return NULL;
}

/* A month name or its abbreviation (English, French, German, Spanish, Italian,
 * Portuguese, Dutch), any case, with an optional final period. */
static bool
is_month(const char *w)
{
    static const char *const months[] = { "jan", "january", "feb", "february", "mar",
        "march", "apr", "april", "may", "jun", "june", "jul", "july", "aug", "august", "sep",
        "sept", "september", "oct", "october", "nov", "november", "dec", "december",
        "janvier", "f\xc3\xa9vrier", "mars", "avril", "mai", "juin", "juillet", "ao\xc3\xbbt",
        "septembre", "octobre", "novembre", "d\xc3\xa9" "cembre", "januar", "februar",
        "m\xc3\xa4rz",
        "juni", "juli", "oktober", "dezember", "enero", "febrero", "marzo", "abril", "mayo",
        "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
        "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre",
        "dicembre", "janeiro", "fevereiro", "mar\xc3\xa7o", "maio", "junho", "julho",
        "setembro", "outubro", "novembro", "dezembro", "januari", "februari", "maart", "mei",
        "augustus" };
    size_t n = strlen(w);

    if (n > 0 && w[n - 1] == '.')
        n--;
    for (size_t i = 0; i < ARRAY_LEN(months); i++)
        if (strlen(months[i]) == n && ascii_strncasecmp(w, months[i], n) == 0)
            return true;
    return false;
}

/* The name in a byline element's text: after "By" (or a "Section by" label), before a
 * date, a time, a handle or a separator ("Ann Lee May 20, 2019", "Ann Lee • 8h"). */
static const char *
clean_byline(struct article *a, const char *s)
{
    static const char *const stops[] = { " \xe2\x80\xa2", " |", " \xe2\x80\x94", " \xe2\x80\x93",
        " @", " -", " /", "Updated", "Published", " Edited", " Reviewed", " Photo",
        " Illustrat", "\n" };
    char *r = arena_strdup(&a->arena, s), *p, *last;
    size_t cut, whole;

    for (p = r; *p; p++)                      /* the first " by " of a "Section by Name" */
        if ((p == r || p[-1] == ' ') && ascii_strncasecmp(p, "by ", 3) == 0) {
            r = p + 3;
            break;
        }
    cut = whole = strlen(r);
    for (size_t i = 0; i < cut; i++)
        if (IS_DIGIT(r[i]))
            cut = i;
    for (size_t k = 0; k < ARRAY_LEN(stops); k++) {
        char *q = strstr(r, stops[k]);

        if (q != NULL && (size_t)(q - r) < cut)
            cut = (size_t)(q - r);
    }
    r[cut] = '\0';
    html_squeeze(r);
    last = strrchr(r, ' ');                     /* "Ann Lee May" of "Ann Lee May 20" */
    if (cut < whole && last != NULL && is_month(last + 1))
        *last = '\0';
    while (*r != '\0' && strchr(",;:-", r[strlen(r) - 1]) != NULL) {
        r[strlen(r) - 1] = '\0';
        html_squeeze(r);
    }
    if (cut < whole && strchr(r, ' ') == NULL)
        return NULL;                            /* "Last" of "Last Updated: ...": no name */
    return oneline(a, r);
}

/* The ISO 639-1 code of a language tag or locale ("en-US", "cs_CZ", "pt-BR" -> "pt"). */
static const char *
language_code(struct article *a, const char *tag)
{
    char code[4];
    size_t k = 0;

    if (tag == NULL)
        return NULL;
    while (k < 3 && IS_ALPHA(tag[k])) {
        code[k] = (char)TO_LOWER(tag[k]);
        k++;
    }
    if (k < 2 || IS_ALPHA(tag[k]))
        return NULL;
    code[k] = '\0';
    return arena_strdup(&a->arena, code);
}

static void
fill_meta(struct article *a, const struct html_meta *m, struct out *o, const char *byline)
{
    char *img = absolute(o, m->image.value), *canon = absolute(o, m->canonical.value);

    if (img != NULL && ascii_strncasecmp(img, "https://", 8) != 0) {
        free(img);                              /* email wants https images (C5) */
        img = NULL;
    }

    a->title = oneline(a, m->title.value);
    a->from.title = m->title.origin;
    a->author = oneline(a, m->author.value);
    a->from.author = m->author.origin;
    if (a->author == NULL && byline != NULL) {
        a->author = clean_byline(a, byline);
        a->from.author = a->author != NULL ? "byline" : NULL;
    }
    a->source = oneline(a, m->site.value);
    a->from.source = m->site.origin;
    a->summary = oneline(a, m->summary.value);
    a->from.summary = m->summary.origin;
    a->image = adup(a, img);
    a->from.image = img != NULL ? m->image.origin : NULL;
    a->image_alt = img != NULL ? oneline(a, m->image_alt.value) : NULL;
    if (img != NULL && m->image_width.value != NULL && m->image_height.value != NULL &&
        (parse_long(m->image_width.value, 1, ARTICLE_IMAGE_MAX_PX, &a->image_width) == -1 ||
        parse_long(m->image_height.value, 1, ARTICLE_IMAGE_MAX_PX, &a->image_height) == -1))
        a->image_width = a->image_height = 0;   /* no size rather than a wrong one */
    a->url = adup(a, canon);
    a->from.url = canon != NULL ? m->canonical.origin : NULL;
    a->language = language_code(a, m->lang.value);
    a->date = oneline(a, m->date.value);
    a->from.date = m->date.origin;
    if (a->date != NULL && article_parse_date(a->date, a->date_iso) != 0)
        a->date_iso[0] = '\0';
    free(img);
    free(canon);
}

int
article_html_parse(const char *bytes, size_t len, const char *url, const char *charset,
    struct article *a, struct diag *d)
{
    struct page pg;
    struct html_meta m;
    struct out o;
    htmlDocPtr doc = NULL, cdoc = NULL;
    xmlNodePtr art = NULL;
    char *byline = NULL;
    bool over = false;
    int rc = -1;

    memset(&m, 0, sizeof(m));
    memset(&o, 0, sizeof(o));
    if (len >= 3 && memcmp(bytes, "\xef\xbb\xbf", 3) == 0) {
        bytes += 3;                             /* a UTF-8 byte order mark */
        len -= 3;
        charset = "utf-8";
    }
    pg.bytes = bytes;
    pg.len = len;
    pg.charset = charset;
    pg.url = url;
    doc = parse_doc(&pg, &over);
    if (over) {
        diag_set(d, EX_DATAERR, "the page is over %zu MiB once converted to UTF-8 "
            "(HTML_OUT_MAX); is it an article?", HTML_OUT_MAX >> 20);
        goto out;
    }
    if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
        diag_set(d, EX_DATAERR, "not an HTML page (nothing to parse); is it the right file?");
        goto out;
    }
    flatten_deep(xmlDocGetRootElement(doc));
    html_meta_read(doc, &m);
    /* the same tree serves the first attempt (parsed again only for a retry) */
    cdoc = find_content(&pg, doc, &m, &byline, &art);
    doc = NULL;
    if (art != NULL) {
        /* from here on only the article's subtree is read: the rest of the page goes
         * first, and the output grows into the memory it held */
        xmlUnlinkNode(art);
        xmlFreeNode(xmlDocSetRootElement(cdoc, art));
        give_back();
    }
    o.a = a;
    o.base = base_url(url, &m);
    buf_init(&o.html, HTML_OUT_MAX);
    buf_init(&o.text, HTML_OUT_MAX);
    buf_init(&o.para, HTML_OUT_MAX);
    if (art != NULL)
        write_children(&o, art);
    close_p(&o);
    doc_free(cdoc);
    cdoc = NULL;
    give_back();
    /* the appends above use buf_put: one check for all three */
    if (buf_failed(&o.html) || buf_failed(&o.text) || buf_failed(&o.para)) {
        diag_set(d, EX_DATAERR, "the article's text is over %zu MiB as HTML or plain text "
            "(HTML_OUT_MAX); is it an article?", HTML_OUT_MAX >> 20);
        goto out;
    }
    fill_meta(a, &m, &o, byline);
    if (a->title == NULL && o.npara > 0) {
        a->title = oneline(a, o.paras[0]);      /* never lose the article for a title */
        if (strlen(a->title) > 120)
            ((char *)a->title)[120] = '\0';
        a->from.title = "first paragraph";
    }
    if (a->title == NULL) {
        diag_set(d, EX_DATAERR, "no text found in the page; is it an article?");
        goto out;
    }
    if (a->summary == NULL && o.first_p != NULL) {
        a->summary = oneline(a, o.first_p);
        a->from.summary = "first paragraph";
    }
    trim_end(&o.text);
    while (o.text.len > 0 && buf_str(&o.text)[o.text.len - 1] == '\n')
        ((char *)buf_str(&o.text))[--o.text.len] = '\0';
    a->body_html = arena_strndup(&a->arena, buf_str(&o.html), o.html.len);
    buf_fini(&o.html);
    a->body_text = arena_strndup(&a->arena, buf_str(&o.text), o.text.len);
    buf_fini(&o.text);
    a->paragraphs = arena_alloc(&a->arena, (o.npara ? o.npara : 1) * sizeof(char *));
    if (o.npara > 0)
        memcpy(a->paragraphs, o.paras, o.npara * sizeof(char *));
    a->nparagraphs = o.npara;
    a->links = arena_alloc(&a->arena, (o.nlinks ? o.nlinks : 1) * sizeof(*a->links));
    if (o.nlinks > 0)
        memcpy(a->links, o.links, o.nlinks * sizeof(*a->links));
    a->nlinks = o.nlinks;
    rc = 0;
out:
    html_meta_fini(&m);
    buf_fini(&o.html);
    buf_fini(&o.text);
    buf_fini(&o.para);
    free(o.paras);
    free(o.links);
    free(byline);
    curl_url_cleanup(o.base);
    doc_free(doc);
    doc_free(cdoc);
    return rc;
}
