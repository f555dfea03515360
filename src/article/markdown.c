/*
 * article/markdown: Markdown bodies to HTML (libcmark, CommonMark 0.30) and to plain text with
 * numbered link references, by our own walk of cmark's tree.
 * SPDX-License-Identifier: MIT
 */
#include <cmark.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "arena.h"
#include "article.h"
#include "buf.h"
#include "diag.h"
#include "text.h"
#include "util.h"
#include "value.h"
#include "article_int.h"

/* Is url worth a numbered reference in the text: absolute http(s) or mailto. */
static bool
url_is_referable(const char *url)
{
    return url != NULL && (text_is_web_address(url) || (ascii_strncasecmp(url, "mailto:", 7) == 0 &&
        url[7] != '\0'));
}

/* Make relative link and image URLs absolute against the article's url. */
static void
md_fix_urls(cmark_node *doc, const char *base)
{
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;

    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(n);
        const char *url;
        char *abs;

        if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE))
            continue;
        url = cmark_node_get_url(n);
        if (url != NULL && (abs = art_resolve_url(base, url)) != NULL) {
            cmark_node_set_url(n, abs);
            free(abs);
        }
    }
    cmark_iter_free(it);
}

struct tr {
    struct ctx *c;
    bool refs;                  /* number the links ("text [1]") */
    bool err;                   /* an output buffer hit its maximum */
};

/*
 * Append the inline content under n as plain text: emphasis dropped, code kept, raw HTML
 * dropped, line breaks kept, links as "text [N]" with the URL in the article's links,
 * images as their alt text in brackets.  Iterative, so deep nesting costs no stack.
 */
static void
tr_inlines(struct tr *t, cmark_node *n, struct buf *b)
{
    cmark_iter *it = cmark_iter_new(n);
    cmark_event_type ev;
    size_t marks[TEXT_MAX_DEPTH * 4];
    size_t nmarks = 0;

    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *x = cmark_iter_get_node(it);
        cmark_node_type ty = cmark_node_get_type(x);
        const char *lit;
        int rc = 0;

        if (x == n)
            continue;
        switch (ty) {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
            lit = cmark_node_get_literal(x);
            rc = buf_adds(b, lit ? lit : "");
            break;
        case CMARK_NODE_SOFTBREAK:
            rc = buf_addc(b, ' ');
            break;
        case CMARK_NODE_LINEBREAK:
            rc = buf_addc(b, '\n');
            break;
        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE:
            if (ev == CMARK_EVENT_ENTER) {
                if (ty == CMARK_NODE_IMAGE)
                    rc = buf_addc(b, '[');
                if (nmarks < ARRAY_LEN(marks))
                    marks[nmarks] = b->len;
                nmarks++;
            } else if (--nmarks < ARRAY_LEN(marks)) {
                const char *url = cmark_node_get_url(x);
                const char *text = buf_str(b) + marks[nmarks];
                const char *bare = url;

                if (ty == CMARK_NODE_IMAGE) {
                    rc = buf_addc(b, ']');
                    break;
                }
                if (url != NULL && ascii_strncasecmp(url, "mailto:", 7) == 0)
                    bare = url + 7;
                /* An autolink already shows its URL: no reference needed. */
                if (t->refs && url_is_referable(url) && strcmp(text, url) != 0 &&
                    strcmp(text, bare) != 0) {
                    char *copy = xstrdup(text);
                    size_t num = art_add_link(t->c, url, copy);

                    free(copy);
                    rc = buf_addf(b, " [%zu]", num);
                }
            }
            break;
        case CMARK_NODE_PARAGRAPH:
        case CMARK_NODE_HEADING:
        case CMARK_NODE_ITEM:
            /* Only met when flattening blocks nested past TEXT_MAX_DEPTH. */
            if (ev == CMARK_EVENT_EXIT)
                rc = buf_addc(b, '\n');
            break;
        default:                /* emphasis, strong, raw HTML (dropped), custom nodes */
            break;
        }
        if (rc == -1) {
            t->err = true;
            break;
        }
    }
    cmark_iter_free(it);
}

/* Number of characters (not bytes) in s[0..n). */
static size_t
utf8_width(const char *s, size_t n)
{
    size_t w = 0;

    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            w++;
    return w;
}

/* ---- GFM pipe tables ---------------------------------------------------------------
 * CommonMark reads a GitHub table as a paragraph of pipes.  We turn such a paragraph into
 * a code block holding the table with its columns aligned: a <pre> in HTML (styled to fit
 * a phone) and four-space-indented lines in the text part, which are never wrapped. */

#define TABLE_MAX_COLS 32
#define TABLE_MAX_ROWS 200

struct cell {
    const char *p;
    size_t len;
};

/* Split a table row into trimmed cells (outer pipes dropped, "\|" kept); returns the
   count, or 0 when the line has no pipe. */
static size_t
row_cells(const char *p, const char *end, struct cell *cells, size_t max)
{
    size_t n = 0;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    if (memchr(p, '|', (size_t)(end - p)) == NULL)
        return 0;
    if (p < end && *p == '|')
        p++;
    if (end > p && end[-1] == '|' && (end - 1 == p || end[-2] != '\\'))
        end--;
    while (p <= end && n < max) {
        const char *c = p, *ce;

        while (c < end && !(*c == '|' && (c == p || c[-1] != '\\')))
            c++;
        ce = c;
        while (p < ce && (*p == ' ' || *p == '\t'))
            p++;
        while (ce > p && (ce[-1] == ' ' || ce[-1] == '\t'))
            ce--;
        cells[n++] = (struct cell){ p, (size_t)(ce - p) };
        if (c >= end)
            break;
        p = c + 1;
    }
    return n;
}

/* A delimiter row: cells of -, with an optional : at either end. */
static bool
is_delim_row(const struct cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *c = cells[i].p, *e = c + cells[i].len;
        size_t dashes = 0;

        if (c < e && *c == ':')
            c++;
        if (e > c && e[-1] == ':')
            e--;
        for (; c < e; c++, dashes++)
            if (*c != '-')
                return false;
        if (dashes == 0)
            return false;
    }
    return n > 0;
}

/* The paragraph n as an aligned table into out, or false when it is not a GFM table.  Its
   lines come from the source md (cmark keeps their numbers), each from column col on. */
static bool
table_text(const char *md, size_t len, int first, int last, int col, struct buf *out)
{
    struct cell (*cells)[TABLE_MAX_COLS];
    size_t ncells[TABLE_MAX_ROWS], width[TABLE_MAX_COLS] = { 0 }, nrows = 0, ncols = 0;
    const char *p = md, *end = md + len;
    int line = 1;
    bool ok = false;

    if (last - first < 1 || last - first >= TABLE_MAX_ROWS)
        return false;
    cells = xcalloc(TABLE_MAX_ROWS, sizeof(*cells));
    while (p < end && line < first) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));

        p = nl ? nl + 1 : end;
        line++;
    }
    for (; p < end && line <= last; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *q = p;

        /* skip what belongs to the containers (quote markers, list indentation) */
        for (int k = 1; k < col && q < le && (*q == ' ' || *q == '>'); k++)
            q++;
        if ((ncells[nrows] = row_cells(q, le, cells[nrows], TABLE_MAX_COLS)) == 0)
            goto out;
        if (ncells[nrows] > ncols)
            ncols = ncells[nrows];
        nrows++;
        p = nl ? nl + 1 : end;
    }
    if (nrows < 2 || !is_delim_row(cells[1], ncells[1]) || ncells[1] != ncells[0])
        goto out;
    for (size_t r = 0; r < nrows; r++)
        for (size_t i = 0; r != 1 && i < ncells[r]; i++)
            if (utf8_width(cells[r][i].p, cells[r][i].len) > width[i])
                width[i] = utf8_width(cells[r][i].p, cells[r][i].len);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t i = 0; i < ncols; i++) {
            size_t w = 0;

            buf_puts(out, i == 0 ? "| " : " | ");
            if (r == 1)
                for (; w < width[i]; w++)
                    buf_putc(out, '-');
            else if (i < ncells[r]) {
                buf_put(out, cells[r][i].p, cells[r][i].len);
                w = utf8_width(cells[r][i].p, cells[r][i].len);
            }
            for (; w < width[i]; w++)
                buf_putc(out, ' ');
        }
        buf_puts(out, " |\n");
    }
    ok = !buf_failed(out);                  /* over BODY_MAX: the caller reports */
out:
    free(cells);
    return ok;
}

/* Replace every paragraph of doc that is a GFM table by a code block of the table. */
static void
md_tables(cmark_node *doc, const char *md, size_t len)
{
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;
    cmark_node **paras = NULL;
    size_t n = 0;

    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *x = cmark_iter_get_node(it);

        if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(x) == CMARK_NODE_PARAGRAPH &&
            cmark_node_get_end_line(x) > cmark_node_get_start_line(x)) {
            paras = xreallocarray(paras, n + 1, sizeof(*paras));
            paras[n++] = x;
        }
    }
    cmark_iter_free(it);
    for (size_t i = 0; i < n; i++) {
        struct buf b;

        buf_init(&b, 0);
        if (table_text(md, len, cmark_node_get_start_line(paras[i]),
            cmark_node_get_end_line(paras[i]), cmark_node_get_start_column(paras[i]), &b)) {
            cmark_node *code = cmark_node_new(CMARK_NODE_CODE_BLOCK);

            cmark_node_set_literal(code, buf_str(&b));
            cmark_node_insert_before(paras[i], code);
            cmark_node_free(paras[i]);
        }
        buf_fini(&b);
    }
    free(paras);
}

/* Append text to b with first before its first line and rest before the others (no
 * prefix on empty lines beyond the prefix's trailing spaces). */
static void
tr_prefixed(struct tr *t, struct buf *b, const char *text, const char *first, const char *rest)
{
    const char *p = text;
    bool firstline = true;

    while (*p != '\0' || firstline) {
        size_t len = strcspn(p, "\n");
        const char *pre = firstline ? first : rest;
        size_t plen = strlen(pre);

        if (len == 0)
            while (plen > 0 && pre[plen - 1] == ' ')
                plen--;
        if (buf_add(b, pre, plen) == -1 || buf_add(b, p, len) == -1) {
            t->err = true;
            return;
        }
        firstline = false;
        p += len;
        if (*p == '\0')
            break;
        p++;
        if (buf_addc(b, '\n') == -1) {
            t->err = true;
            return;
        }
    }
}

static void tr_block(struct tr *t, cmark_node *n, struct buf *out, int depth);

/* The blocks under n separated by a blank line (one newline in a tight list item). */
static void
tr_children(struct tr *t, cmark_node *n, struct buf *out, int depth, bool tight)
{
    bool any = false;

    for (cmark_node *ch = cmark_node_first_child(n); ch != NULL && !t->err;
        ch = cmark_node_next(ch)) {
        struct buf one;

        buf_init(&one, BODY_MAX);
        tr_block(t, ch, &one, depth);
        if (one.len > 0) {
            if (any && buf_adds(out, tight ? "\n" : "\n\n") == -1)
                t->err = true;
            if (buf_add(out, one.p, one.len) == -1)
                t->err = true;
            any = true;
        }
        buf_fini(&one);
    }
}

/* Render one block as plain text into out (nothing for raw HTML). */
static void
tr_block(struct tr *t, cmark_node *n, struct buf *out, int depth)
{
    struct buf tmp;
    const char *lit;
    int level, rc = 0;
    size_t w;

    if (depth > 2 * TEXT_MAX_DEPTH) {
        tr_inlines(t, n, out);                  /* hostile nesting: flat text, no recursion */
        return;
    }
    buf_init(&tmp, BODY_MAX);
    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_PARAGRAPH:
        tr_inlines(t, n, out);
        break;
    case CMARK_NODE_HEADING:
        tr_inlines(t, n, &tmp);
        level = cmark_node_get_heading_level(n);
        rc = buf_add(out, tmp.p ? tmp.p : "", tmp.len);
        /* Setext underlines for the two top levels: readable in any mail client. */
        if (level <= 2 && tmp.len > 0) {
            rc |= buf_addc(out, '\n');
            w = utf8_width(tmp.p, tmp.len);
            for (size_t i = 0; i < w && i < 72 && rc == 0; i++)
                rc = buf_addc(out, level == 1 ? '=' : '-');
        }
        break;
    case CMARK_NODE_THEMATIC_BREAK:
        rc = buf_adds(out, "* * *");
        break;
    case CMARK_NODE_CODE_BLOCK:
        lit = cmark_node_get_literal(n);
        if (lit != NULL && *lit != '\0') {
            size_t len = strlen(lit);
            char *copy = xstrndup(lit, len > 0 && lit[len - 1] == '\n' ? len - 1 : len);

            tr_prefixed(t, out, copy, "    ", "    ");
            free(copy);
        }
        break;
    case CMARK_NODE_BLOCK_QUOTE:
        tr_children(t, n, &tmp, depth + 1, false);
        if (depth < TEXT_MAX_DEPTH)
            tr_prefixed(t, out, buf_str(&tmp), "> ", "> ");
        else
            rc = buf_add(out, buf_str(&tmp), tmp.len);
        break;
    case CMARK_NODE_LIST: {
        bool ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
        bool tight = cmark_node_get_list_tight(n) != 0;
        int num = cmark_node_get_list_start(n);
        bool paren = cmark_node_get_list_delim(n) == CMARK_PAREN_DELIM;
        bool any = false;

        for (cmark_node *it = cmark_node_first_child(n); it != NULL && !t->err;
            it = cmark_node_next(it), num++) {
            char marker[32], pad[32];
            struct buf item;

            buf_init(&item, BODY_MAX);
            tr_children(t, it, &item, depth + 1, tight);
            if (ordered)
                snprintf(marker, sizeof(marker), "%d%c ", num, paren ? ')' : '.');
            else
                snprintf(marker, sizeof(marker), "- ");
            if (depth >= TEXT_MAX_DEPTH)
                marker[0] = '\0';
            memset(pad, ' ', strlen(marker));
            pad[strlen(marker)] = '\0';
            if (any && buf_adds(out, tight ? "\n" : "\n\n") == -1)
                t->err = true;
            tr_prefixed(t, out, buf_str(&item), marker, pad);
            buf_fini(&item);
            any = true;
        }
        break;
    }
    case CMARK_NODE_HTML_BLOCK:
    case CMARK_NODE_CUSTOM_BLOCK:
        break;
    default:
        tr_children(t, n, out, depth + 1, false);
        break;
    }
    if (rc != 0)
        t->err = true;
    buf_fini(&tmp);
}

/* Text of a heading or paragraph as one line (for a title, without link references, or a
 * paragraph, with them). */
static const char *
md_inline_text(struct ctx *c, cmark_node *n, bool refs)
{
    struct tr t = { c, refs, false };
    struct buf b;
    const char *r;

    buf_init(&b, BODY_MAX);
    tr_inlines(&t, n, &b);
    r = art_oneline(c, buf_str(&b), b.len);
    buf_fini(&b);
    return r;
}

/*
 * Render a Markdown body into body_html and body_text, collect the top-level paragraphs,
 * and take the title from the first heading when there is none yet (removing that heading
 * when it opens the body, so the digest does not show the title twice).
 */
int
art_md_render(struct ctx *c, const char *md, size_t len)
{
    struct article *a = c->a;
    int opts = CMARK_OPT_DEFAULT | (c->o->allow_html ? CMARK_OPT_UNSAFE : 0);
    cmark_node *doc = cmark_parse_document(md, len, opts);
    struct tr t = { c, true, false };
    struct buf text;
    char *html = NULL;
    int rc = -1;

    buf_init(&text, BODY_MAX);
    if (doc == NULL) {
        diag_set(c->d, EX_SOFTWARE, "cmark could not parse the body");
        goto out;
    }
    md_fix_urls(doc, a->url);
    md_tables(doc, md, len);
    if (a->title == NULL) {
        cmark_iter *it = cmark_iter_new(doc);
        cmark_event_type ev;
        cmark_node *h = NULL;

        while (h == NULL && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
            cmark_node *n = cmark_iter_get_node(it);

            if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(n) == CMARK_NODE_HEADING)
                h = n;
        }
        cmark_iter_free(it);
        if (h != NULL && (a->title = md_inline_text(c, h, false)) != NULL)
            a->from.title = art_fmt(c, "the first heading (line %d)",
                cmark_node_get_start_line(h));
        if (h != NULL && a->title != NULL && h == cmark_node_first_child(doc))
            cmark_node_free(h);                 /* unlinks it too */
    }
    tr_block(&t, doc, &text, 0);            /* first, so links are numbered in order */
    if (t.err) {
        diag_set(c->d, EX_DATAERR, "the body is too large once rendered (over %zu MiB)",
            BODY_MAX >> 20);
        goto out;
    }
    for (cmark_node *n = cmark_node_first_child(doc); n != NULL; n = cmark_node_next(n)) {
        const char *p;

        if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH &&
            (p = md_inline_text(c, n, true)) != NULL)
            art_add_para(c, p, strlen(p));
    }
    html = cmark_render_html(doc, opts);
    a->body_html = arena_strdup(&a->arena, html);
    a->body_text = art_adup(c, buf_str(&text), text.len);
    rc = 0;
out:
    free(html);
    buf_fini(&text);
    if (doc != NULL)
        cmark_node_free(doc);
    return rc;
}
