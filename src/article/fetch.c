/*
 * article/fetch: articles from the web, before the pipeline: GET a page with libcurl
 * (http/https only, RFC 9110 redirects up to FETCH_MAX_REDIRECTS, timeouts, a size cap,
 * gzip), convert its charset to UTF-8 (iconv), read it into a struct article (HTML pages
 * through the HTML reader, html.c; text through the scraped-text reader), and save it as
 * a Markdown article with front matter, atomically.
 * SPDX-License-Identifier: MIT
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "arena.h"
#include "article.h"
#include "atomic.h"
#include "buf.h"
#include "diag.h"
#include "fetch.h"
#include "text.h"
#include "util.h"
#include "value.h"

/* Bytes of the page searched for <meta charset> (HTML5 says the first 1024; be lenient). */
#define META_SCAN_BYTES 4096
/* A charset name is short ("windows-1252", "iso-8859-15", "shift_jis"). */
#define CHARSET_MAX 40
/* Bytes of a file name made from the title, before ".md". */
#define SLUG_MAX 60

struct sink {
    struct buf b;
    size_t max;
    bool over;
};

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;

    if (s->b.len + n > s->max) {
        s->over = true;
        return 0;                               /* curl stops with CURLE_WRITE_ERROR */
    }
    if (buf_add(&s->b, p, n) == -1) {
        s->over = true;
        return 0;
    }
    return size * n;
}

/* The value of "charset=" in a Content-Type or http-equiv content, into cs. */
static bool
charset_param(const char *s, size_t n, char cs[CHARSET_MAX])
{
    for (size_t i = 0; i + 8 <= n; i++) {
        size_t k = 0;

        if (ascii_strncasecmp(s + i, "charset=", 8) != 0)
            continue;
        i += 8;
        while (i < n && (s[i] == '"' || s[i] == '\'' || s[i] == ' '))
            i++;
        while (i < n && k + 1 < CHARSET_MAX && (IS_ALNUM((unsigned char)s[i]) ||
            s[i] == '-' || s[i] == '_' || s[i] == '.' || s[i] == ':'))
            cs[k++] = s[i++];
        cs[k] = '\0';
        return k > 0;
    }
    return false;
}

/* <meta charset="..."> or <meta http-equiv="Content-Type" content="...; charset=...">
 * near the start of the page (a BOM wins over both). */
static bool
meta_charset(const char *s, size_t n, char cs[CHARSET_MAX])
{
    size_t lim = n < META_SCAN_BYTES ? n : META_SCAN_BYTES;

    if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        memcpy(cs, "utf-8", 6);
        return true;
    }
    for (size_t i = 0; i + 5 < lim; i++) {
        const char *end;

        if (s[i] != '<' || ascii_strncasecmp(s + i + 1, "meta", 4) != 0)
            continue;
        end = memchr(s + i, '>', lim - i);
        if (end == NULL)
            return false;
        if (charset_param(s + i, (size_t)(end - s - i), cs))
            return true;
        for (const char *q = s + i; q + 8 < end; q++)
            if (ascii_strncasecmp(q, "charset", 7) == 0 && (q[7] == '=' || q[7] == ' ')) {
                char tmp[CHARSET_MAX + 8] = "charset=";
                const char *v = q + 7;

                while (v < end && (*v == '=' || *v == ' '))
                    v++;
                snprintf(tmp + 8, CHARSET_MAX, "%.*s", (int)(end - v), v);
                return charset_param(tmp, strlen(tmp), cs);
            }
    }
    return false;
}

/* Convert s[0..n) from charset cs to UTF-8 into out; -1 when iconv does not know cs or
 * the text is not in it. */
static int
to_utf8(const char *cs, const char *s, size_t n, struct buf *out)
{
    iconv_t cd = iconv_open("UTF-8", cs);
    char chunk[4096];
    char *in = (char *)s;
    size_t left = n;
    int rc = 0;

    if (cd == (iconv_t)-1)
        return -1;
    while (left > 0 && rc == 0) {
        char *o = chunk;
        size_t room = sizeof(chunk);

        if (iconv(cd, &in, &left, &o, &room) == (size_t)-1 && errno != E2BIG)
            rc = -1;
        if (buf_add(out, chunk, sizeof(chunk) - room) == -1)
            rc = -1;
    }
    iconv_close(cd);
    return rc;
}

/* The body in UTF-8: the header's charset, the page's, valid UTF-8, else Windows-1252. */
static int
decode_body(struct fetch_page *p, const char *ctype, struct buf *raw, struct diag *d)
{
    char cs[CHARSET_MAX] = "";
    struct buf out;

    if ((ctype == NULL || !charset_param(ctype, strlen(ctype), cs)) &&
        !meta_charset(raw->p, raw->len, cs))
        snprintf(cs, sizeof(cs), "%s", utf8_is_valid(raw->p, raw->len) ? "utf-8" :
            "windows-1252");
    if (ascii_strcasecmp(cs, "utf-8") == 0 || ascii_strcasecmp(cs, "utf8") == 0) {
        p->len = raw->len;
        p->body = buf_steal(raw);
        return 0;
    }
    /* WHATWG Encoding: iso-8859-1 and us-ascii labels mean windows-1252. */
    if (ascii_strcasecmp(cs, "iso-8859-1") == 0 || ascii_strcasecmp(cs, "latin1") == 0 ||
        ascii_strcasecmp(cs, "us-ascii") == 0 || ascii_strcasecmp(cs, "ascii") == 0)
        memcpy(cs, "windows-1252", 13);
    buf_init(&out, raw->len * 4 + 16);
    if (to_utf8(cs, raw->p, raw->len, &out) == -1) {
        buf_fini(&out);
        diag_set(d, EX_DATAERR, "%s: the page says it is in \"%s\", which cannot be read as "
            "that charset", p->url, cs);
        return -1;
    }
    p->len = out.len;
    p->body = buf_steal(&out);
    return 0;
}

static void
set_options(CURL *h, const char *url, const struct fetch_opts *fo, struct sink *s,
    char *err)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, fo->connect_timeout_ms > 0 ?
        fo->connect_timeout_ms : FETCH_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, fo->timeout_ms > 0 ? fo->timeout_ms :
        FETCH_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");      /* gzip, deflate, br... */
    curl_easy_setopt(h, CURLOPT_USERAGENT, FETCH_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
}

/* The error for a failed transfer: the URL and what went wrong. */
static void
transfer_error(CURLcode rc, const char *url, const char *err, const struct sink *s,
    struct diag *d)
{
    const char *why = err[0] != '\0' ? err : curl_easy_strerror(rc);

    if (s->over || rc == CURLE_FILESIZE_EXCEEDED)
        diag_set(d, EX_DATAERR, "%s: the page is larger than %zu MiB; gazette reads articles "
            "up to that size", url, s->max >> 20);
    else if (rc == CURLE_TOO_MANY_REDIRECTS)
        diag_set(d, EX_NOINPUT, "%s: more than %d redirects; open the URL in a browser and "
            "give the address it ends at", url, FETCH_MAX_REDIRECTS);
    else if (rc == CURLE_UNSUPPORTED_PROTOCOL)
        diag_set(d, EX_NOINPUT, "%s: %s; only http:// and https:// are fetched", url, why);
    else
        diag_set(d, EX_TEMPFAIL, "%s: %s (curl error %d); try again later", url, why,
            (int)rc);
}

int
fetch_get(const char *url, const struct fetch_opts *fo, struct fetch_page *p,
    struct diag *d)
{
    static const struct fetch_opts defaults = { 0, 0, 0 };
    struct sink s = { .max = FETCH_MAX_BYTES };
    char err[CURL_ERROR_SIZE] = "", *final = NULL, *ctype = NULL;
    CURL *h = NULL;
    CURLcode rc;
    int ret = -1;

    memset(p, 0, sizeof(*p));
    fo = fo != NULL ? fo : &defaults;
    if (fo->max_bytes > 0)
        s.max = fo->max_bytes;
    if (!text_is_web_url(url, strlen(url))) {
        diag_set(d, EX_USAGE, "%s: not a web address; give an http:// or https:// URL", url);
        return -1;
    }
    buf_init(&s.b, s.max + 1);
    if ((h = curl_easy_init()) == NULL) {
        diag_set(d, EX_OSERR, "%s: libcurl cannot start", url);
        goto out;
    }
    set_options(h, url, fo, &s, err);
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &p->status);
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &final);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
    p->url = xstrdup(final != NULL ? final : url);
    p->content_type = xstrndup(ctype != NULL ? ctype : "", ctype != NULL ?
        strcspn(ctype, "; ") : 0);
    for (char *q = p->content_type; *q != '\0'; q++)
        *q = (char)TO_LOWER((unsigned char)*q);
    if (rc != CURLE_OK) {
        transfer_error(rc, url, err, &s, d);
        goto out;
    }
    if (p->status >= 400 || p->status < 200) {
        diag_set(d, EX_NOINPUT, "%s: HTTP %ld from the server; check the address", url,
            p->status);
        goto out;
    }
    if (p->content_type[0] != '\0' && strncmp(p->content_type, "text/", 5) != 0 &&
        strstr(p->content_type, "html") == NULL && strstr(p->content_type, "xml") == NULL) {
        diag_set(d, EX_DATAERR, "%s: the page is %s, not text or HTML", url,
            p->content_type);
        goto out;
    }
    if (s.b.len == 0) {
        diag_set(d, EX_NOINPUT, "%s: the server sent an empty page (HTTP %ld)", url,
            p->status);
        goto out;
    }
    ret = decode_body(p, ctype, &s.b, d);
out:
    buf_fini(&s.b);
    if (h != NULL)
        curl_easy_cleanup(h);
    return ret;
}

void
fetch_page_fini(struct fetch_page *p)
{
    free(p->body);
    free(p->url);
    free(p->content_type);
    memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------------------------ */
/* Fetch and read */

static bool
is_html(const struct fetch_page *p)
{
    const char *q = p->body;

    if (strstr(p->content_type, "html") != NULL)
        return true;
    while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t')
        q++;
    return ascii_strncasecmp(q, "<!doctype html", 14) == 0 || ascii_strncasecmp(q, "<html", 5)
        == 0;
}

struct article *
article_fetch(const char *url, const struct fetch_opts *fo, const struct article_opts *o,
    struct diag *d)
{
    struct fetch_page p;
    struct article_opts ho;
    struct article *a = NULL;

    if (fetch_get(url, fo, &p, d) == -1)
        goto out;
    if (o != NULL)
        ho = *o;
    else
        memset(&ho, 0, sizeof(ho));
    /* The body is UTF-8 already (the header's or the page's charset was applied), so the
     * HTML reader must not apply a <meta charset> again. */
    ho.charset = "utf-8";
    a = article_parse(p.body, p.len, is_html(&p) ? ARTICLE_HTML : ARTICLE_TEXT, p.url, &ho, d);
    if (a != NULL && a->url == NULL) {
        a->url = arena_strdup(&a->arena, p.url);
        a->from.url = "the address fetched";
    }
out:
    fetch_page_fini(&p);
    return a;
}

/* ------------------------------------------------------------------------------------ */
/* Saving as Markdown */

/* The title as file-name words: lower case letters and digits (any script), '-' between. */
static void
slug(struct buf *b, const char *title)
{
    const unsigned char *p = (const unsigned char *)title;
    size_t n = strlen(title), start = b->len, len;

    for (size_t i = 0; i < n && b->len - start < SLUG_MAX; i += len) {
        size_t k = utf8_seq_len(p + i, n - i);

        len = k > 0 ? k : 1;
        if (IS_ALNUM(p[i])) {
            buf_putc(b, (char)TO_LOWER(p[i]));
        } else if (k >= 2 && !(p[i] == 0xe2 || p[i] == 0xc2 || p[i] == 0xe3 ||
            p[i] == 0xef)) {                    /* letters, not punctuation or symbols */
            unsigned char f[2];
            size_t fl, fk = utf8_fold_char(p + i, n - i, &fl, f);

            buf_put(b, f, fk);
            if (k > fk)
                buf_put(b, p + i + fk, k - fk);
        } else if (b->len > start && b->p[b->len - 1] != '-') {
            buf_putc(b, '-');
        }
    }
    while (b->len > start && b->p[b->len - 1] == '-')
        b->len--;
    if (b->len == start)
        buf_puts(b, "article");
    b->p[b->len] = '\0';
}

static void
fm_field(struct buf *b, const char *key, const char *val)
{
    if (val == NULL || *val == '\0')
        return;
    buf_putf(b, "%s: ", key);
    value_yaml_scalar(b, val, strlen(val));
    buf_putc(b, '\n');
}

/* A paragraph as Markdown that renders as the same text: backslashes before the
 * characters Markdown would read as markup. */
static void
md_paragraph(struct buf *b, const char *s)
{
    size_t n = strlen(s), k = 0;

    while (k < n && IS_DIGIT(s[k]))
        k++;
    if (n > 0 && strchr("#>-+=|", s[0]) != NULL)
        buf_putc(b, '\\');
    else if (k > 0 && k < n && (s[k] == '.' || s[k] == ')')) {
        buf_put(b, s, k);                       /* "2024." would start a list */
        buf_putc(b, '\\');
        s += k;
        n -= k;
    }
    for (size_t i = 0; i < n; i++) {
        if (strchr("\\`*_[]<", s[i]) != NULL)
            buf_putc(b, '\\');
        buf_putc(b, s[i]);
    }
    buf_puts(b, "\n\n");
}

/*
 * The HTML reader's body (its small safe subset: p, h1-h6, ul/ol/li, blockquote, pre,
 * code, a, img, strong/b, em/i, br, figure/figcaption, hr) as Markdown that renders the
 * same, so a saved page keeps its headings, lists, links and images.  Other tags are
 * dropped with their text kept.
 */
struct mdw {
    struct buf *b;
    int depth;                  /* list nesting */
    int olnum[8];               /* next number per level; 0 for a bullet list */
    int quote;                  /* blockquote nesting */
    bool pre, start;            /* inside <pre>; at the start of a block */
    bool item;                  /* right after a list item's marker */
    const char *href;           /* the open link's target */
    size_t hreflen;
};

/* The value of attribute name in the tag s[0..n), quoted with " (html.c writes them so). */
static const char *
tag_attr(const char *s, size_t n, const char *name, size_t *len)
{
    size_t k = strlen(name);

    for (size_t i = 0; i + k + 2 < n; i++)
        if (s[i] == ' ' && ascii_strncasecmp(s + i + 1, name, k) == 0 && s[i + 1 + k] == '=' &&
            s[i + 2 + k] == '"') {
            const char *v = s + i + 3 + k, *q = memchr(v, '"', n - (size_t)(v - s));

            if (q == NULL)
                return NULL;
            *len = (size_t)(q - v);
            return v;
        }
    return NULL;
}

/* The text of s[0..n) with character references decoded. */
static void
add_decoded(struct buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char u[4];
        size_t ul, k = s[i] == '&' ? text_html_ref(s + i, n - i, u, &ul) : 0;

        if (k > 0) {
            buf_put(out, u, ul);
            i += k - 1;
        } else
            buf_putc(out, s[i]);
    }
}

/* Start a block: blank line, quote markers, list indentation. */
static void
md_block(struct mdw *w, const char *marker)
{
    struct buf *b = w->b;

    while (b->len > 0 && b->p[b->len - 1] == ' ')
        b->len--;
    if (marker != NULL && w->depth > 0) {       /* a list item: one line break */
        if (b->len > 0 && b->p[b->len - 1] != '\n')
            buf_putc(b, '\n');
    } else if (b->len > 0 && !(b->len >= 2 && b->p[b->len - 1] == '\n' &&
        b->p[b->len - 2] == '\n')) {
        buf_puts(b, b->p[b->len - 1] == '\n' ? "\n" : "\n\n");
    }
    for (int i = 0; i < w->quote; i++)
        buf_puts(b, "> ");
    w->start = true;
}

/* End a block: the next text starts a new one. */
static void
md_end(struct mdw *w)
{
    struct buf *b = w->b;

    while (b->len > 0 && b->p[b->len - 1] == ' ')
        b->len--;
    if (w->depth > 0) {                         /* inside a list: items stay tight */
        if (b->len > 0 && b->p[b->len - 1] != '\n')
            buf_putc(b, '\n');
    } else if (b->len > 0 && b->p[b->len - 1] != '\n') {
        buf_puts(b, "\n\n");
    } else if (b->len > 1 && b->p[b->len - 2] != '\n') {
        buf_putc(b, '\n');
    }
    w->start = true;
}

/* Text between tags: white space collapsed (except in <pre>), Markdown escaped. */
static void
md_text(struct mdw *w, const char *s, size_t n)
{
    struct buf t;

    if (n == 0)
        return;
    buf_init(&t, 0);
    add_decoded(&t, s, n);
    if (w->start && !w->pre && t.len > strspn(t.p, " \t\r\n") && w->b->len > 0 &&
        w->b->p[w->b->len - 1] == '\n')
        for (int i = 0; i < w->quote; i++)
            buf_puts(w->b, "> ");               /* loose text in a quote */
    for (size_t i = 0; i < t.len; i++) {
        char c = t.p[i];

        if (w->pre) {
            buf_putc(w->b, c);
            continue;
        }
        if (c == '\n' || c == '\t' || c == '\r')
            c = ' ';
        if (c == ' ' && (w->start || (w->b->len > 0 && (w->b->p[w->b->len - 1] == ' ' ||
            w->b->p[w->b->len - 1] == '\n'))))
            continue;
        if ((w->start && strchr("#>-+=|", c) != NULL) || strchr("\\`*_[]<", c) != NULL)
            buf_putc(w->b, '\\');
        if (w->start && IS_DIGIT((unsigned char)c)) {
            size_t k = i;

            while (k < t.len && IS_DIGIT((unsigned char)t.p[k]))
                k++;
            if (k < t.len && (t.p[k] == '.' || t.p[k] == ')')) {
                buf_put(w->b, t.p + i, k - i);
                buf_putc(w->b, '\\');
                i = k - 1;
                w->start = false;
                continue;
            }
        }
        buf_putc(w->b, c);
        w->start = false;
    }
    buf_fini(&t);
}

/* A block tag of the subset: true when it was one. */
static bool
md_block_tag(struct mdw *w, const char *tag, size_t n)
{
    bool close = n > 1 && tag[1] == '/';
    const char *name = tag + 1 + close;
    size_t nl = 0;

    while (name + nl < tag + n && IS_ALNUM((unsigned char)name[nl]))
        nl++;
#define IS(t) (nl == strlen(t) && ascii_strncasecmp(name, t, nl) == 0)
    if (IS("p") || IS("figure") || IS("figcaption") || IS("table") || IS("tr")) {
        if (!close && !w->item)
            md_block(w, NULL);
        else if (close)
            md_end(w);
        w->item = false;
    } else if (nl == 2 && (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' &&
        name[1] <= '6') {
        if (close) {
            md_end(w);
        } else {
            md_block(w, NULL);
            for (int i = '0'; i < name[1]; i++)
                buf_putc(w->b, '#');
            buf_putc(w->b, ' ');
            w->start = false;
        }
    } else if (IS("ul") || IS("ol")) {
        if (!close && w->depth < 7)
            w->olnum[++w->depth] = IS("ol") ? 1 : 0;
        else if (close && w->depth > 0)
            w->depth--;
        if (close && w->depth == 0)
            md_end(w);
    } else if (IS("li") && !close) {
        md_block(w, "li");
        for (int i = 1; i < w->depth; i++)
            buf_puts(w->b, "   ");
        if (w->olnum[w->depth] > 0)
            buf_putf(w->b, "%d. ", w->olnum[w->depth]++);
        else
            buf_puts(w->b, "- ");
        w->start = false;
        w->item = true;                         /* its first <p> is the item's text */
    } else if (IS("blockquote")) {
        w->quote += close ? (w->quote > 0 ? -1 : 0) : 1;
        md_end(w);
    } else if (IS("pre")) {
        if (!close)
            md_block(w, NULL);
        buf_puts(w->b, close ? "\n```" : "```\n");
        w->pre = !close;
        if (close)
            md_end(w);
    } else {
        return false;
    }
    return true;
#undef IS
}

/* One tag of the subset. */
static void
md_tag(struct mdw *w, const char *tag, size_t n)
{
    bool close = n > 1 && tag[1] == '/';
    const char *name = tag + 1 + close, *v;
    size_t nl = 0, vl;

    if (md_block_tag(w, tag, n))
        return;
    while (name + nl < tag + n && IS_ALNUM((unsigned char)name[nl]))
        nl++;
#define IS(t) (nl == strlen(t) && ascii_strncasecmp(name, t, nl) == 0)
    if (IS("code") && !w->pre) {
        buf_putc(w->b, '`');
    } else if (IS("strong") || IS("b")) {
        buf_puts(w->b, "**");
    } else if (IS("em") || IS("i")) {
        buf_putc(w->b, '*');
    } else if (IS("br")) {
        buf_puts(w->b, "\\\n");
    } else if (IS("hr")) {
        md_block(w, NULL);
        buf_puts(w->b, "***");
        md_end(w);
    } else if (IS("a")) {
        if (!close && (v = tag_attr(tag, n, "href", &vl)) != NULL) {
            buf_putc(w->b, '[');
            w->href = v;
            w->hreflen = vl;
            w->start = false;
        } else if (close && w->href != NULL) {
            buf_puts(w->b, "](");
            add_decoded(w->b, w->href, w->hreflen);
            buf_putc(w->b, ')');
            w->href = NULL;
        }
    } else if (IS("img") && (v = tag_attr(tag, n, "src", &vl)) != NULL) {
        const char *alt;
        size_t al = 0;

        alt = tag_attr(tag, n, "alt", &al);
        buf_puts(w->b, "![");
        if (alt != NULL)
            md_text(w, alt, al);
        buf_puts(w->b, "](");
        add_decoded(w->b, v, vl);
        buf_putc(w->b, ')');
        w->start = false;
    }
#undef IS
}

static void
html_to_markdown(struct buf *b, const char *html)
{
    struct mdw w = { .b = b, .start = true };
    const char *p = html;

    while (*p != '\0') {
        const char *lt = strchr(p, '<'), *gt;

        if (lt == NULL) {
            md_text(&w, p, strlen(p));
            break;
        }
        md_text(&w, p, (size_t)(lt - p));
        if ((gt = strchr(lt, '>')) == NULL)
            break;
        md_tag(&w, lt, (size_t)(gt - lt));
        p = gt + 1;
    }
    while (b->len > 0 && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == ' '))
        b->len--;
    buf_puts(b, "\n");
}

static void
markdown_of(struct buf *b, const struct article *a, const char *fetched)
{
    buf_puts(b, "---\n");
    fm_field(b, "title", a->title);
    fm_field(b, "url", a->url);
    fm_field(b, "source", a->source);
    fm_field(b, "author", a->author);
    fm_field(b, "date", a->date_iso[0] != '\0' ? a->date_iso : NULL);
    fm_field(b, "summary", a->summary);
    fm_field(b, "image", a->image);
    fm_field(b, "image_alt", a->image_alt);
    fm_field(b, "language", a->language);
    fm_field(b, "fetched", fetched);
    if (a->ntags > 0) {
        buf_puts(b, "tags:\n");
        for (size_t i = 0; i < a->ntags; i++) {
            buf_puts(b, "  - ");
            value_yaml_scalar(b, a->tags[i], strlen(a->tags[i]));
            buf_putc(b, '\n');
        }
    }
    buf_puts(b, "---\n\n");
    if (a->format == ARTICLE_HTML && a->body_html[0] != '\0') {
        html_to_markdown(b, a->body_html);
        return;
    }
    for (size_t i = 0; i < a->nparagraphs; i++)
        md_paragraph(b, a->paragraphs[i]);
}

char *
article_save_markdown(const struct article *a, const char *dir, const char *fetched,
    struct diag *d)
{
    struct atomic_file af = ATOMIC_FILE_INIT;
    struct buf name, text;
    char *path = NULL;
    const char *day = a->date_iso[0] != '\0' ? a->date_iso : fetched;
    size_t base;
    struct stat st;

    buf_init(&name, 0);
    buf_init(&text, 0);
    buf_putf(&name, "%s/%.10s-", dir, day != NULL ? day : "undated");
    slug(&name, a->title);
    base = name.len;
    for (int i = 1; ; i++) {
        name.len = base;
        if (i > 1)
            buf_putf(&name, "-%d", i);
        buf_puts(&name, ".md");
        if (stat(buf_str(&name), &st) == -1 && errno == ENOENT)
            break;
        if (i >= 1000) {
            diag_set(d, EX_CANTCREAT, "%s: too many articles with this name", buf_str(&name));
            goto out;
        }
    }
    markdown_of(&text, a, fetched);
    if (atomic_open(&af, buf_str(&name), d) == -1 ||
        atomic_write(&af, text.p, text.len, d) == -1 || atomic_commit(&af, d) == -1)
        goto out;
    path = buf_steal(&name);
out:
    atomic_abort(&af);
    buf_fini(&name);
    buf_fini(&text);
    return path;
}

/* Does the front matter of the file at path say "url: <url>"? */
static bool
has_url(const char *path, const char *url)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    bool found = false;
    int n = 0;

    if (f == NULL)
        return false;
    while (!found && n++ < 60 && fgets(line, sizeof(line), f) != NULL) {
        size_t k = strcspn(line, "\r\n");

        line[k] = '\0';
        if (n > 1 && strcmp(line, "---") == 0)
            break;
        if (strncmp(line, "url: ", 5) == 0) {
            const char *v = line + 5;
            size_t vl = strlen(v);

            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                v++;
                vl -= 2;
            }
            found = vl == strlen(url) && memcmp(v, url, vl) == 0;
        }
    }
    fclose(f);
    return found;
}

char *
article_find_fetched(const char *dir, const char *url)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    char *found = NULL;

    if (dh == NULL)
        return NULL;
    while (found == NULL && (e = readdir(dh)) != NULL) {
        size_t n = strlen(e->d_name);
        struct buf p;

        if (n < 4 || strcmp(e->d_name + n - 3, ".md") != 0)
            continue;
        buf_init(&p, 0);
        buf_putf(&p, "%s/%s", dir, e->d_name);
        if (has_url(buf_str(&p), url))
            found = buf_steal(&p);
        buf_fini(&p);
    }
    closedir(dh);
    return found;
}
