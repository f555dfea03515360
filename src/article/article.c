/*
 * article: read one article (Markdown + front matter, YAML, or scraped text) into a struct
 * article; the first stage of the pipeline, before digest.c.  This file loads the file, picks
 * the reader by format (markdown.c, frontmatter.c, text.c) and holds the helpers they share.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "arena.h"
#include "article.h"
#include "buf.h"
#include "diag.h"
#include "html.h"
#include "util.h"
#include "value.h"
#include "article_int.h"
#include "newsdate.h"

/* ------------------------------------------------------------------------------------ */
/* Helpers shared by the readers (article_int.h) */

/* Grow an array kept in the arena (the old copy stays there until article_free()). Counts
 * are bounded by ARTICLE_MAX_BYTES, so cap * size cannot overflow. */
static void *
grow(struct arena *ar, void *items, size_t n, size_t *cap, size_t size)
{
    void *p;

    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 8;
    p = arena_alloc(ar, *cap * size);
    if (n > 0)
        memcpy(p, items, n * size);
    return p;
}

const char *
art_adup(struct ctx *c, const char *s, size_t n)
{
    return arena_strndup(&c->a->arena, s, n);
}

void
art_add_tag(struct ctx *c, const char *s)
{
    c->a->tags = grow(&c->a->arena, c->a->tags, c->a->ntags, &c->tagcap, sizeof(char *));
    c->a->tags[c->a->ntags++] = arena_strdup(&c->a->arena, s);
}

void
art_add_para(struct ctx *c, const char *s, size_t n)
{
    c->a->paragraphs = grow(&c->a->arena, c->a->paragraphs, c->a->nparagraphs, &c->paracap,
        sizeof(char *));
    c->a->paragraphs[c->a->nparagraphs++] = art_adup(c, s, n);
}

void
art_add_noise(struct ctx *c, const char *s, size_t n, int line, const char *why)
{
    struct article *a = c->a;

    a->noise = grow(&a->arena, a->noise, a->nnoise, &c->noisecap, sizeof(*a->noise));
    a->noise[a->nnoise].text = art_adup(c, s, n);
    a->noise[a->nnoise].line = line;
    a->noise[a->nnoise].why = why;
    a->nnoise++;
}

static size_t
hash_str(const char *s)
{
    size_t h = 14695981039346656037u;       /* FNV-1a */

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The hash table slot for url: where it is, or the empty slot where it would go. */
static size_t *
link_slot(struct ctx *c, const char *url)
{
    size_t i = hash_str(url) & (c->linkhcap - 1);

    while (c->linkhash[i] != 0 && strcmp(c->a->links[c->linkhash[i] - 1].url, url) != 0)
        i = (i + 1) & (c->linkhcap - 1);
    return &c->linkhash[i];
}

/* Number of the link to url, adding it if new; duplicates share a number. */
size_t
art_add_link(struct ctx *c, const char *url, const char *text)
{
    struct article *a = c->a;
    size_t *slot;

    if (2 * (a->nlinks + 1) > c->linkhcap) {
        size_t *old = c->linkhash, oldcap = c->linkhcap;

        c->linkhcap = oldcap ? oldcap * 2 : 64;
        c->linkhash = xcalloc(c->linkhcap, sizeof(*c->linkhash));
        for (size_t i = 0; i < oldcap; i++)
            if (old[i] != 0)
                *link_slot(c, a->links[old[i] - 1].url) = old[i];
        free(old);
    }
    slot = link_slot(c, url);
    if (*slot != 0)
        return *slot;
    a->links = grow(&a->arena, a->links, a->nlinks, &c->linkcap, sizeof(*a->links));
    a->links[a->nlinks].url = arena_strdup(&a->arena, url);
    a->links[a->nlinks].text = arena_strdup(&a->arena, text);
    *slot = ++a->nlinks;
    return a->nlinks;
}

/*
 * Append s[0..n) to b as one line: runs of whitespace and control characters become one
 * space (so a value can never carry CR or LF into a header), leading and trailing space
 * is trimmed.  Format characters stay (issue 9): ZWJ holds emoji sequences together, ZWNJ
 * spells Persian words, U+2060 and U+FEFF join words.
 */
int
art_add_oneline(struct buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    bool space = false;
    size_t start = b->len, k;

    for (size_t i = 0; i < n; ) {
        k = p[i] <= 0x20 || p[i] == 0x7f ? 1 : utf8_space_len(p + i, n - i);
        if (k > 0) {
            space = true;
            i += k;
            continue;
        }
        if (space && b->len > start && buf_addc(b, ' ') == -1)
            return -1;
        space = false;
        if (buf_addc(b, (char)p[i]) == -1)
            return -1;
        i++;
    }
    return 0;
}

/* s as a trimmed single line in the arena; NULL when nothing is left. */
const char *
art_oneline(struct ctx *c, const char *s, size_t n)
{
    struct buf b;
    const char *r = NULL;

    buf_init(&b, BUF_MAX_DEFAULT);
    if (art_add_oneline(&b, s, n) == 0 && b.len > 0)
        r = art_adup(c, b.p, b.len);
    buf_fini(&b);
    return r;
}

int
art_html_escape(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc;

        switch (s[i]) {
        case '&': rc = buf_adds(b, "&amp;"); break;
        case '<': rc = buf_adds(b, "&lt;"); break;
        case '>': rc = buf_adds(b, "&gt;"); break;
        case '"': rc = buf_adds(b, "&quot;"); break;
        case '\'': rc = buf_adds(b, "&#39;"); break;
        default: rc = buf_addc(b, s[i]); break;
        }
        if (rc == -1)
            return -1;
    }
    return 0;
}

/* Length of the URL scheme of s ("https" -> 5) when s starts with one and ':', else 0. */
size_t
art_scheme_len(const char *s)
{
    size_t i = 0;

    if (!IS_ALPHA((unsigned char)s[0]))
        return 0;
    while (IS_ALNUM((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i : 0;
}

/* An absolute http(s) URL with a host and no space, quote or control character. */
bool
art_url_is_web(const char *s)
{
    size_t k;

    if (ascii_strncasecmp(s, "http://", 7) == 0)
        k = 7;
    else if (ascii_strncasecmp(s, "https://", 8) == 0)
        k = 8;
    else
        return false;
    if (s[k] == '\0' || s[k] == '/' || s[k] == '?' || s[k] == '#')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    return true;
}

/*
 * Resolve a relative link against the article's url (RFC 3986 5.2, the common cases:
 * "//host/x", "/x", "?q", "#f" and "x" relative to the base's directory).  Returns a heap
 * string, or NULL when url needs no change or cannot be resolved.
 */
char *
art_resolve_url(const char *base, const char *url)
{
    struct buf b;
    const char *host, *path, *end;

    if (base == NULL || url[0] == '\0' || art_scheme_len(url) > 0 || !art_url_is_web(base))
        return NULL;
    host = strstr(base, "://") + 3;
    path = host + strcspn(host, "/?#");
    buf_init(&b, 0);                        /* no limit: a URL is short */
    if (url[0] == '/' && url[1] == '/') {
        buf_put(&b, base, (size_t)(host - 3 - base) + 1);          /* "https:" */
    } else if (url[0] == '/') {
        buf_put(&b, base, (size_t)(path - base));
    } else if (url[0] == '#') {
        buf_put(&b, base, strcspn(base, "#"));
    } else if (url[0] == '?') {
        buf_put(&b, base, strcspn(base, "?#"));
    } else {
        end = path + strcspn(path, "?#");
        while (end > path && end[-1] != '/')
            end--;
        buf_put(&b, base, (size_t)(end - base));
        if (end == path)
            buf_putc(&b, '/');
    }
    buf_puts(&b, url);
    return buf_steal(&b);
}

/* Case-folded (ASCII) glob match of pat (* and ?) against all of s[0..n). */
bool
art_glob_match(const char *pat, const char *s, size_t n)
{
    const char *p = pat, *star = NULL;
    size_t i = 0, mark = 0;

    while (i < n) {
        if (*p == '*') {
            star = ++p;
            mark = i;
        } else if (*p != '\0' && (*p == '?' || TO_LOWER((unsigned char)*p) ==
            TO_LOWER((unsigned char)s[i]))) {
            p++;
            i++;
        } else if (star != NULL) {
            p = star;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* Case-folded (ASCII) substring search. */
bool
art_ci_contains(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (ascii_strncasecmp(s + i, needle, k) == 0)
            return true;
    return false;
}

/* Line and column (in characters) of the first invalid UTF-8 sequence in s. */
static void
utf8_error_pos(const char *s, size_t n, int *line, int *col)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    *line = 1;
    *col = 1;
    while (i < n && (k = utf8_seq_len(p + i, n - i)) > 0) {
        if (p[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
        i += k;
    }
}

int
article_parse_date(const char *s, char iso[ARTICLE_ISO_MAX])
{
    if (newsdate_parse(s, strlen(s), iso) < 0) {
        iso[0] = '\0';
        return -1;
    }
    return 0;
}

const char *
art_fmt(struct ctx *c, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);       /* a truncated note is still a note */
    va_end(ap);
    return arena_strdup(&c->a->arena, tmp);
}

void
art_warn(struct ctx *c, const char *fmt, ...)
{
    struct article *a = c->a;
    char tmp[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    a->warnings = grow(&a->arena, a->warnings, a->nwarnings, &c->warncap, sizeof(char *));
    a->warnings[a->nwarnings++] = arena_strdup(&a->arena, tmp);
}

/* ------------------------------------------------------------------------------------ */
/* Public entry points */

void
article_free(struct article *a)
{
    if (a == NULL)
        return;
    arena_fini(&a->arena);
    free(a);
}

/* Fields the reader set without saying where from came from the file's own keys. */
static void
set_origins(struct article *a)
{
    const char *own = a->format == ARTICLE_MARKDOWN ? "front matter" :
        a->format == ARTICLE_YAML ? "YAML key" : a->format == ARTICLE_HTML ? "the page" :
        "text";
    const char *const fields[] = { a->title, a->url, a->source, a->author, a->date,
        a->summary, a->image };
    const char **from[] = { &a->from.title, &a->from.url, &a->from.source, &a->from.author,
        &a->from.date, &a->from.summary, &a->from.image };

    /* the HTML reader names its own sources ("JSON-LD", "OpenGraph", ...) in a->from */
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        if (fields[i] != NULL && *from[i] == NULL)
            *from[i] = own;
}

struct article *
article_parse(const char *text, size_t len, enum article_format format, const char *name,
    const struct article_opts *o, struct diag *d)
{
    static const struct article_opts defaults = { false, NULL, 0, NULL };
    struct article *a = xcalloc(1, sizeof(*a));
    struct ctx c = { .a = a, .o = o != NULL ? o : &defaults, .d = d, .name = name };
    int rc = -1;

    a->format = format;
    a->path = arena_strdup(&a->arena, name != NULL ? name : "");
    c.name = a->path;
    if (len > ARTICLE_MAX_BYTES) {
        diag_set(d, EX_DATAERR, "the article is larger than %zu MiB; is this the right file?",
            ARTICLE_MAX_BYTES >> 20);
        goto out;
    }
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;                                  /* a byte order mark */
        len -= 3;
    }
    if (format != ARTICLE_TEXT && format != ARTICLE_HTML) {
        int line, col;

        if (!utf8_is_valid(text, len)) {
            utf8_error_pos(text, len, &line, &col);
            diag_setat(d, EX_DATAERR, line, col, "not valid UTF-8; save the file as UTF-8");
            goto out;
        }
        if (memchr(text, '\0', len) != NULL) {
            diag_set(d, EX_DATAERR, "the file contains NUL bytes; is it text?");
            goto out;
        }
    }
    switch (format) {
    case ARTICLE_MARKDOWN:
        rc = art_parse_markdown(&c, text, len);
        break;
    case ARTICLE_YAML:
        rc = art_parse_yaml(&c, text, len);
        break;
    case ARTICLE_TEXT:
        rc = art_parse_text(&c, text, len);
        break;
    case ARTICLE_HTML:
        rc = article_html_parse(text, len, art_url_is_web(a->path) ? a->path : NULL,
            c.o->charset, a, d);
        break;
    }
    if (rc == 0) {
        set_origins(a);
        if (a->body_html == NULL)
            a->body_html = "";
        if (a->body_text == NULL)
            a->body_text = "";
    }
out:
    free(c.linkhash);
    if (rc != 0) {
        diag_path(d, name);
        article_free(a);
        return NULL;
    }
    return a;
}

static bool
has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);

    return n >= k && ascii_strcasecmp(s + n - k, suf) == 0;
}

struct article *
article_load(const char *path, const struct article_opts *o, struct diag *d)
{
    static const char *const md[] = { ".md", ".markdown", ".mdown", ".mkd" };
    enum article_format f = ARTICLE_TEXT;
    struct article *a;
    size_t len;
    char *text = read_file(path, &len);
    bool known = false;

    if (text == NULL) {
        diag_set(d, EX_NOINPUT, "cannot read the article: %s", strerror(errno));
        diag_path(d, path);
        return NULL;
    }
    for (size_t i = 0; i < ARRAY_LEN(md); i++)
        if (has_suffix(path, md[i])) {
            f = ARTICLE_MARKDOWN;
            known = true;
        }
    if (has_suffix(path, ".yaml") || has_suffix(path, ".yml")) {
        f = ARTICLE_YAML;
        known = true;
    }
    if (has_suffix(path, ".txt"))
        known = true;
    if (has_suffix(path, ".html") || has_suffix(path, ".htm")) {
        f = ARTICLE_HTML;
        known = true;
    }
    if (!known) {
        const char *p = text;

        if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
            p += 3;
        while (*p == '\n' || *p == '\r' || *p == ' ')
            p++;
        if (strncmp(p, "---", 3) == 0 || strncmp(p, "# ", 2) == 0)
            f = ARTICLE_MARKDOWN;
    }
    a = article_parse(text, len, f, path, o, d);
    free(text);
    return a;
}

static void
set_opt(struct value *m, const char *key, const char *s)
{
    value_set(m, key, s != NULL ? value_new_str(s) : value_new(VALUE_NULL));
}

struct value *
article_to_value(const struct article *a)
{
    struct value *m = value_new(VALUE_MAP), *tags, *paras, *links;

    set_opt(m, "title", a->title);
    set_opt(m, "url", a->url);
    set_opt(m, "source", a->source);
    set_opt(m, "author", a->author);
    set_opt(m, "date", a->date);
    set_opt(m, "date_iso", a->date_iso[0] != '\0' ? a->date_iso : NULL);
    set_opt(m, "summary", a->summary);
    set_opt(m, "image", a->image);
    set_opt(m, "image_alt", a->image_alt);
    value_set(m, "image_width", a->image_width > 0 ? value_new_num((double)a->image_width) :
        value_new(VALUE_NULL));
    value_set(m, "image_height", a->image_height > 0 ?
        value_new_num((double)a->image_height) : value_new(VALUE_NULL));
    set_opt(m, "body_html", a->body_html);
    set_opt(m, "body_text", a->body_text);
    tags = value_new(VALUE_LIST);
    for (size_t i = 0; i < a->ntags; i++)
        value_push(tags, value_new_str(a->tags[i]));
    value_set(m, "tags", tags);
    paras = value_new(VALUE_LIST);
    for (size_t i = 0; i < a->nparagraphs; i++)
        value_push(paras, value_new_str(a->paragraphs[i]));
    value_set(m, "paragraphs", paras);
    links = value_new(VALUE_LIST);
    for (size_t i = 0; i < a->nlinks; i++) {
        struct value *l = value_new(VALUE_MAP);

        value_set(l, "number", value_new_num((double)(i + 1)));
        value_set_str(l, "url", a->links[i].url);
        value_set_str(l, "text", a->links[i].text);
        value_push(links, l);
    }
    value_set(m, "links", links);
    return m;
}
