/*
 * digest: the composer.  Builds the template data, renders subject, preheader, text and
 * HTML once with placeholders for personal values, and writes each subscriber's message.
 * Unsubscribe tokens are HMAC-SHA256 (RFC 2104) of the canonical address.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <openssl/evp.h>

#include "article.h"
#include "buf.h"
#include "builtin_templates.h"
#include "config.h"
#include "diag.h"
#include "dkim.h"
#include "digest.h"
#include "log.h"
#include "mime.h"
#include "subs.h"
#include "text.h"
#include "tmpl.h"
#include "util.h"
#include "value.h"
#include "verp.h"

#define DIGEST_WRAP 72              /* text part: lines of at most 72 columns */
#define DIGEST_IMAGE_PX 536         /* the article column of the default templates */
#define DIGEST_MAX_FIELDS 64        /* subscriber.fields.* names a template may use */
#define DIGEST_PREHEADER_MAX 130    /* EMAIL-CHECKLIST C7: 40-130 characters */
#define DIGEST_OUT_MAX ((size_t)16 << 20)   /* rendered part size limit */
/* EMAIL-CHECKLIST C3: every link styled inline, for clients that drop <style> (Gmail apps
   with other accounts); the body text's font and the templates' link colour */
#define DIGEST_LINK_STYLE "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial," \
    "sans-serif;font-size:16px;line-height:1.6;color:#1d4ed8;text-decoration:underline;"

enum { SLOT_EMAIL, SLOT_NAME, SLOT_UNSUB, SLOT_FIELDS };

struct digest {
    const struct config *cfg;
    char *template_dir;
    char *secret;
    char *campaign;                 /* for VERP tokens; NULL: none */
    struct value *data;             /* the shared data (placeholders in subscriber.*) */
    struct tmpl_partials *parts;
    struct mime_digest *mime;
    struct dkim *dkim;              /* signs each message; NULL: dkim.* not configured */
    char *subject;                  /* the shared subject (not personal) */
    struct buf subj;                /* the rendered subject, when personal: with subj_slots */
    struct tmpl_slots subj_slots;
    bool subject_personal;
    bool personal;                  /* render everything per subscriber */
    const struct tmpl *t_text, *t_html, *t_subject;
    char *fields[DIGEST_MAX_FIELDS];    /* field names used, slot SLOT_FIELDS + i */
    size_t nfields;
    /* the shared segments (pointing into text/html below) */
    struct buf text, html;
    struct mime_seg *segs;
    size_t ntext, nhtml;
};

/* ---- small text helpers ------------------------------------------------------------ */

/* A word may be broken anywhere when it holds wide characters (CJK has no spaces). */
static bool
breakable(const char *s, size_t n)
{
    size_t len;

    for (size_t i = 0; i < n; i += len) {
        text_utf8_next(s + i, s + n, &len);
        if (text_width(s + i, len) == 2)
            return true;
    }
    return false;
}

/* The lines of the <pre> blocks of html, unescaped, each ending in '\n' (caller frees). */
static char *
pre_lines(const char *html)
{
    struct buf b;
    const char *p = html;

    buf_init(&b, 0);
    while (p != NULL && (p = strstr(p, "<pre")) != NULL) {
        const char *gt = strchr(p, '>'), *end;

        if (gt == NULL)
            break;
        p = gt + 1;
        if (strncmp(p, "<code", 5) == 0 && (gt = strchr(p, '>')) != NULL)
            p = gt + 1;
        if ((end = strstr(p, "</pre>")) == NULL)
            break;
        for (; p < end; p++) {
            static const struct {
                const char *ent, c;
            } ents[] = { { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
                { "&quot;", '"' }, { "&#39;", '\'' } };
            size_t i;

            if (strncmp(p, "</code>", 7) == 0)
                break;
            for (i = 0; *p == '&' && i < ARRAY_LEN(ents); i++)
                if (strncmp(p, ents[i].ent, strlen(ents[i].ent)) == 0)
                    break;
            if (*p == '&' && i < ARRAY_LEN(ents)) {
                buf_putc(&b, ents[i].c);
                p += strlen(ents[i].ent) - 1;
            } else
                buf_putc(&b, *p);
        }
        if (b.len > 0 && b.p[b.len - 1] != '\n')
            buf_putc(&b, '\n');
        p = end;
    }
    return buf_steal(&b);
}

/*
 * Is the line [p, end) a line of a code block: "    " + a line of pre (pre_lines()),
 * after a quote or list prefix of spaces and '>'?  Such a line is never wrapped: a pasted
 * command cut in two is two wrong commands.
 */
static bool
is_pre_line(const char *p, const char *end, const char *pre)
{
    for (const char *l = pre; l != NULL && *l; ) {
        const char *le = strchr(l, '\n');
        size_t ll = le ? (size_t)(le - l) : strlen(l), n = (size_t)(end - p);

        if (ll > 0 && n >= ll + 4 && memcmp(end - ll, l, ll) == 0 &&
            memcmp(end - ll - 4, "    ", 4) == 0) {
            const char *q = p;

            while (q < end - ll && (*q == ' ' || *q == '>'))
                q++;
            if (q == end - ll)
                return true;
        }
        l = le ? le + 1 : NULL;
    }
    return false;
}

void
digest_wrap(struct buf *out, const char *text, size_t width)
{
    digest_wrap_pre(out, text, width, NULL);
}

void
digest_wrap_pre(struct buf *out, const char *text, size_t width, const char *html)
{
    const char *p = text;
    char *pre = html != NULL ? pre_lines(html) : NULL;

    while (*p) {
        const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
        const char *q = p;
        size_t col, plen;

        if (pre != NULL && *pre != '\0' && is_pre_line(p, end, pre)) {
            buf_put(out, p, (size_t)(end - p));
            if (nl == NULL)
                break;
            buf_putc(out, '\n');
            p = nl + 1;
            continue;
        }

        /* a line's prefix (indentation, "> " quoting) is repeated on its continuations */
        while (q < end && (*q == ' ' || (*q == '>' && (q + 1 == end || q[1] == ' '))))
            q++;
        plen = (size_t)(q - p) < width / 2 ? (size_t)(q - p) : 0;
        buf_put(out, p, (size_t)(q - p));
        col = (size_t)(q - p);
        while (q < end) {
            const char *we = q;
            size_t wl;

            while (we < end && *we != ' ')
                we++;
            wl = text_width(q, (size_t)(we - q));
            if (col > plen && col + 1 + wl > width) {
                buf_putc(out, '\n');
                buf_put(out, p, plen);
                col = plen;
            } else if (col > plen) {
                buf_putc(out, ' ');
                col++;
            }
            if (col + wl > width && breakable(q, (size_t)(we - q))) {
                /* fill the line character by character */
                size_t len;

                for (const char *c = q; c < we; c += len) {
                    size_t w;

                    text_utf8_next(c, we, &len);
                    w = text_width(c, len);

                    if (col + w > width && col > plen) {
                        buf_putc(out, '\n');
                        buf_put(out, p, plen);
                        col = plen;
                    }
                    buf_put(out, c, len);
                    col += w;
                }
            } else {
                buf_put(out, q, (size_t)(we - q));
                col += wl;
            }
            q = we;
            while (q < end && *q == ' ')
                q++;
        }
        if (nl == NULL)
            break;
        buf_putc(out, '\n');
        p = nl + 1;
    }
    free(pre);
}

#define HMAC_BLOCK 64                /* SHA-256's block size (RFC 2104 B) */

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Fetched once: HMAC() with EVP_sha256() looks the algorithm up on every call, under
   OpenSSL's store lock, which several sending threads contend for. */
static void
sha256_fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* HMAC-SHA256 (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)).  0, or -1. */
static int
hmac_sha256(const char *key, const unsigned char *m, size_t n, unsigned char mac[32])
{
    unsigned char k[HMAC_BLOCK] = { 0 }, pad[HMAC_BLOCK], inner[EVP_MAX_MD_SIZE];
    size_t kl = strlen(key);
    unsigned int len = 0;
    EVP_MD_CTX *c;
    int ok;

    pthread_once(&sha256_once, sha256_fetch);
    if (sha256 == NULL || (c = EVP_MD_CTX_new()) == NULL)
        return -1;
    if (kl > HMAC_BLOCK)
        ok = EVP_Digest(key, kl, k, &len, sha256, NULL);    /* a long key is hashed first */
    else {
        memcpy(k, key, kl);
        ok = 1;
    }
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    ok = ok && EVP_DigestInit_ex(c, sha256, NULL) && EVP_DigestUpdate(c, pad, HMAC_BLOCK) &&
        EVP_DigestUpdate(c, m, n) && EVP_DigestFinal_ex(c, inner, &len);
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    ok = ok && EVP_DigestInit_ex(c, sha256, NULL) && EVP_DigestUpdate(c, pad, HMAC_BLOCK) &&
        EVP_DigestUpdate(c, inner, len) && EVP_DigestFinal_ex(c, mac, &len);
    EVP_MD_CTX_free(c);
    explicit_bzero(k, sizeof(k));
    explicit_bzero(pad, sizeof(pad));
    return ok ? 0 : -1;
}

int
digest_hmac(const char *key, const void *m, size_t n, unsigned char mac[32])
{
    return hmac_sha256(key, m, n, mac);
}

int
digest_verp_address(const struct digest *g, const char *base, const char *addr,
    struct buf *out)
{
    char tok[VERP_TOKEN_LEN + 1];

    if (!g->cfg->newsletter.verp || g->secret == NULL || base == NULL)
        return -1;
    verp_token(g->secret, addr, g->campaign ? g->campaign : "", tok);
    buf_reset(out);
    if (verp_address(base, CONFIG_VERP_DELIM(g->cfg), tok, out) == -1) {
        buf_reset(out);
        return -1;
    }
    return 0;
}

void
digest_token(const char *secret, const char *addr, char out[32])
{
    unsigned char mac[EVP_MAX_MD_SIZE], low[256];
    size_t n = strlen(addr);

    /* the canonical address with ASCII case folded: one token per mailbox (Leniency) */
    if (n >= sizeof(low))
        n = sizeof(low) - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (unsigned char)TO_LOWER((unsigned char)addr[i]);
    if (hmac_sha256(secret, low, n, mac) == -1)
        xoom();                             /* OpenSSL fails only when out of memory */
    /* 16 bytes (128 bits) are plenty for an unguessable token: 22 base64url characters
       (the first 18 bytes encode to 24; the last two are cut) */
    text_base64url(out, mac, 18);
    out[22] = '\0';
}

static void
url_encode(struct buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (IS_ALNUM(c) || c == '-' || c == '.' || c == '_' || c == '~')
            buf_putc(out, (char)c);
        else {
            char pct[3] = { '%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15] };

            buf_put(out, pct, sizeof(pct));
        }
    }
}

void
digest_unsubscribe_url(const struct digest *g, const char *addr, struct buf *out)
{
    const char *u = g->cfg->newsletter.unsubscribe_url, *p;
    char token[32];

    if (u == NULL) {
        const char *m = g->cfg->newsletter.unsubscribe_mailto;
        struct buf verp;

        if (m == NULL)
            return;
        /* with VERP the link in the bodies is the one in List-Unsubscribe, token and all
           (unsubscribe+TOKEN@...): the one a reader clicks must say who asked, too */
        buf_init(&verp, 0);
        if (digest_verp_address(g, m, addr, &verp) == 0)
            m = buf_str(&verp);
        buf_putf(out, "mailto:%s?subject=unsubscribe", m);
        buf_fini(&verp);
        return;
    }
    for (p = u; *p;) {
        if (strncmp(p, "{{token}}", 9) == 0) {
            digest_token(g->secret ? g->secret : "", addr, token);
            buf_puts(out, token);
            p += 9;
        } else if (strncmp(p, "{{email}}", 9) == 0) {
            url_encode(out, addr);
            p += 9;
        } else
            buf_putc(out, *p++);
    }
}

/* ---- templates ------------------------------------------------------------------- */

/* The user's folder first, then the templates built into the binary. */
static char *
source(void *ctx, const char *name, size_t *len, char **origin, struct diag *d)
{
    struct digest *g = ctx;

    if (!tmpl_name_is_safe(name))
        return NULL;
    if (g->template_dir != NULL) {
        struct buf path;
        char *text;

        buf_init(&path, 0);
        buf_putf(&path, "%s/%s.mustache", g->template_dir, name);
        if ((text = read_file_max(buf_str(&path), TMPL_SOURCE_MAX, len)) != NULL) {
            *origin = buf_steal(&path);
            return text;
        }
        if (errno != ENOENT) {
            diag_set(d, EX_NOINPUT, "cannot read the template: %s", read_file_strerror(errno));
            diag_path(d, buf_str(&path));
            buf_fini(&path);
            return NULL;
        }
        buf_fini(&path);
    }
    for (size_t i = 0; i < builtin_ntemplates; i++) {
        if (strcmp(builtin_templates[i].name, name) == 0) {
            struct buf o;

            buf_init(&o, 0);
            buf_putf(&o, "(built-in)/%s.mustache", name);
            *origin = buf_steal(&o);
            *len = builtin_templates[i].len;
            return xstrndup(builtin_templates[i].text, builtin_templates[i].len);
        }
    }
    return NULL;
}

static const struct tmpl *
load(struct digest *g, const char *name, struct diag *d)
{
    const struct tmpl *t = tmpl_partials_find(g->parts, name, d);

    if (t == NULL && !diag_is_set(d))
        diag_set(d, EX_NOINPUT, "no template %s.mustache in %s or built in", name,
            g->template_dir ? g->template_dir : "(no folder)");
    return t;
}

/* ---- personal values ------------------------------------------------------------- */

struct scan {
    struct digest *g;
    bool personal;
};

static bool
is_personal(const char *path)
{
    return strncmp(path, "subscriber", 10) == 0 || strncmp(path, "unsubscribe_url", 15) == 0;
}

static void
scan_name(void *ctx, const struct tmpl_name *n)
{
    struct scan *s = ctx;
    struct buf full;

    if (n->use == TMPL_USE_PARTIAL)
        return;
    buf_init(&full, 0);
    for (size_t i = 0; i < n->nsections; i++)
        buf_putf(&full, "%s.", n->sections[i]);
    buf_puts(&full, n->name);
    /* a name under a personal section, or a personal section itself */
    if ((n->use == TMPL_USE_SECTION || n->use == TMPL_USE_INVERTED) &&
        (is_personal(n->name) || (n->nsections > 0 && is_personal(buf_str(&full)))))
        s->personal = true;
    if (n->nsections > 0 && is_personal(n->sections[0]) && n->use == TMPL_USE_VAR)
        s->personal = true;     /* {{#subscriber}}{{name}}{{/subscriber}}: keep it simple */
    if (strncmp(n->name, "subscriber.fields.", 18) == 0 && strchr(n->name + 18, '.') == NULL) {
        const char *k = n->name + 18;
        size_t i;

        for (i = 0; i < s->g->nfields; i++)
            if (strcmp(s->g->fields[i], k) == 0)
                break;
        if (i == s->g->nfields) {
            if (s->g->nfields < DIGEST_MAX_FIELDS)
                s->g->fields[s->g->nfields++] = xstrdup(k);
            else
                s->personal = true;
        }
    }
    buf_fini(&full);
}

/*
 * A placeholder: an empty string (truthy, as the real value would be) marked as slot
 * slot * 2 + html.  tmpl_render_slots() records its offset instead of writing text, so
 * nothing in a rendered text is ever read back as a placeholder (no byte of article text
 * or template can forge one).
 */
static struct value *
mark(int slot, bool html)
{
    struct value *v = value_new_str("");

    v->slot = slot * 2 + (html ? 1 : 0) + 1;
    return v;
}

static const char *
field_of(const struct subscriber *sub, const char *key)
{
    for (size_t j = 0; j < sub->nfields; j++)
        if (strcmp(sub->fields[j].key, key) == 0)
            return sub->fields[j].val;
    return NULL;
}

/*
 * Put placeholders for the personal values into data (text or HTML flavour).  With sub,
 * a value sub does not have is null instead, so that {{#subscriber.name}} and
 * {{^subscriber.name}} choose as they would with the real value; without sub every value
 * is a placeholder (the shared render).  Placeholders are replaced after rendering, raw in
 * text and HTML-escaped in HTML, whatever the braces.
 */
static void
set_marks(const struct digest *g, struct value *data, bool html, const struct subscriber *sub)
{
    struct value *s = value_new(VALUE_MAP), *fields = value_new(VALUE_MAP);
    bool unsub = sub == NULL || g->cfg->newsletter.unsubscribe_url != NULL ||
        g->cfg->newsletter.unsubscribe_mailto != NULL;

#define MARK_IF(have, slot) ((have) ? mark((slot), html) : value_new(VALUE_NULL))
    value_set(s, "email", mark(SLOT_EMAIL, html));
    value_set(s, "name", MARK_IF(sub == NULL || sub->name[0] != '\0', SLOT_NAME));
    for (size_t i = 0; i < g->nfields; i++) {
        const char *v = sub != NULL ? field_of(sub, g->fields[i]) : NULL;

        value_set(fields, g->fields[i], MARK_IF(sub == NULL || (v != NULL && *v),
            SLOT_FIELDS + (int)i));
    }
    value_set(s, "fields", fields);
    value_set(data, "subscriber", s);
    value_set(data, "unsubscribe_url", MARK_IF(unsub, SLOT_UNSUB));
#undef MARK_IF
}

/* No subscriber at all (the preheader, which is the same for everyone). */
static void
set_nobody(struct value *data)
{
    struct value *s = value_new(VALUE_MAP);

    value_set(s, "fields", value_new(VALUE_MAP));
    value_set(data, "subscriber", s);
    value_set(data, "unsubscribe_url", value_new(VALUE_NULL));
}

/* Cut rendered text at the recorded placeholders into segments appended to g->segs. */
static size_t
cut(struct digest *g, const struct buf *b, const struct tmpl_slots *ts, size_t *cap)
{
    const char *p = buf_str(b);
    size_t n = 0, at = 0;

    for (size_t i = 0; i <= ts->n; i++) {
        size_t off = i < ts->n ? ts->v[i].off : b->len;

        if (*cap < g->ntext + g->nhtml + n + 2) {
            *cap = (*cap + 8) * 2;
            g->segs = xreallocarray(g->segs, *cap, sizeof(*g->segs));
        }
        if (off > at)
            g->segs[g->ntext + g->nhtml + n++] = (struct mime_seg){ MIME_SHARED, p + at,
                off - at };
        if (i < ts->n)
            g->segs[g->ntext + g->nhtml + n++] = (struct mime_seg){ ts->v[i].slot, NULL, 0 };
        at = off;
    }
    return n;
}

/*
 * Article text comes from the web: control characters (C0 but TAB and LF, DEL, C1) are
 * removed from every string of the template data where it is made (a CR or CRLF becomes
 * LF).  They have no business in a newsletter, and mime.c refuses them in headers.
 * Returns the number of characters removed.
 */
static size_t
strip_controls(struct value *v)
{
    size_t removed = 0;

    if (v == NULL)
        return 0;
    if (v->type == VALUE_STR && v->str != NULL) {
        char *r = v->str, *w = v->str, *end = v->str + v->len;

        while (r < end) {
            unsigned char c = (unsigned char)*r;

            if (c == '\r') {
                *w++ = '\n';
                r += r + 1 < end && r[1] == '\n' ? 2 : 1;
                continue;
            }
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
                r++;
                removed++;
                continue;
            }
            if (c == 0xc2 && r + 1 < end && (unsigned char)r[1] >= 0x80 &&
                (unsigned char)r[1] <= 0x9f) {
                r += 2;                     /* U+0080..U+009F */
                removed++;
                continue;
            }
            *w++ = *r++;
        }
        *w = '\0';
        v->len = (size_t)(w - v->str);
    }
    for (size_t i = 0; i < v->n; i++)
        removed += strip_controls(v->type == VALUE_LIST ? v->items[i] : v->pairs[i].val);
    return removed;
}

/* ---- data ------------------------------------------------------------------------ */

static void
set_opt(struct value *m, const char *key, const char *s)
{
    value_set(m, key, s != NULL ? value_new_str(s) : value_new(VALUE_NULL));
}

/*
 * Inline styles for what the Markdown (or allowed raw HTML) body holds, so that it fits a
 * phone in clients that drop <style> (EMAIL-CHECKLIST C3 keeps <style> for resets):
 * code blocks wrap instead of widening the card, long words and URLs break anywhere, and
 * tables and images shrink to the column.  A style the element already has comes after
 * ours, so it wins.  white-space: break-spaces where a client knows it (pre-wrap lets the
 * spaces of an aligned table hang past the edge), pre-wrap elsewhere.
 */
#define MONO "font-family:Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:14px;"
#define BREAK "overflow-wrap:anywhere;word-break:break-word;"
static const struct {
    const char *tag, *style;
} body_styles[] = {
    { "pre", "margin:0 0 16px 0;padding:12px;white-space:pre-wrap;white-space:break-spaces;"
        BREAK
        "background-color:#f3f4f6;border-radius:4px;" MONO "line-height:1.5;color:#1f2937;" },
    { "code", MONO BREAK },
    { "table", "width:100%;max-width:100%;border-collapse:collapse;" },
    { "th", "padding:4px 6px;border:1px solid #d7dce3;text-align:left;vertical-align:top;"
        BREAK },
    { "td", "padding:4px 6px;border:1px solid #d7dce3;text-align:left;vertical-align:top;"
        BREAK },
    { "img", "max-width:100%;height:auto;border:0;" },
};
#undef MONO
#undef BREAK

/* At p (a '<'): a start tag of body_styles[]?  Adds it with our style and returns the
   bytes consumed, or 0. */
static size_t
style_tag(struct buf *b, const char *p)
{
    for (size_t i = 0; i < sizeof(body_styles) / sizeof(body_styles[0]); i++) {
        size_t tl = strlen(body_styles[i].tag);
        const char *gt, *a;

        if (ascii_strncasecmp(p + 1, body_styles[i].tag, tl) != 0 ||
            (p[1 + tl] != ' ' && p[1 + tl] != '>' && p[1 + tl] != '/' && p[1 + tl] != '\n'))
            continue;
        if ((gt = strchr(p, '>')) == NULL)
            return 0;
        for (a = p + 1 + tl; a + 7 <= gt; a++)
            if ((a[-1] == ' ' || a[-1] == '\n') && ascii_strncasecmp(a, "style=\"", 7) == 0)
                break;
        if (a + 7 <= gt) {                      /* style="ours;theirs" */
            buf_put(b, p, (size_t)(a + 7 - p));
            buf_puts(b, body_styles[i].style);
            return (size_t)(a + 7 - p);
        }
        buf_put(b, p, 1 + tl);
        buf_putf(b, " style=\"%s\"", body_styles[i].style);
        return 1 + tl;
    }
    return 0;
}

/*
 * Make an article safe and fitting for an email: links and images only over http(s)
 * (EMAIL-CHECKLIST T-M2, C5), a relative image made absolute against newsletter.base_url
 * (or dropped: a mail client cannot load it), the body's headings moved two levels
 * down so that they sit under the article's own <h2>, and inline styles (body_styles).
 */
int
digest_image_url(const struct config *c, const char *image, struct buf *out, const char **why)
{
    const char *base = c->newsletter.base_url;
    size_t bl;
    const char *rel = image;

    if (text_is_web_url(image, strlen(image))) {
        buf_puts(out, image);
        return 0;
    }
    if (strstr(image, "://") != NULL || strncmp(image, "//", 2) == 0 ||
        ascii_strncasecmp(image, "data:", 5) == 0 ||
        ascii_strncasecmp(image, "javascript:", 11) == 0 || strchr(image, ':') != NULL) {
        *why = "is not an http(s) URL nor a path; give an https:// URL";
        return -1;
    }
    if (base == NULL) {
        *why = "is a relative path and newsletter.base_url is not set; set it, or give an "
            "https:// URL";
        return -1;
    }
    bl = strlen(base);
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    buf_put(out, base, bl > 0 && base[bl - 1] == '/' ? bl - 1 : bl);
    buf_putf(out, "/%s", rel[0] == '/' ? rel + 1 : rel);
    return 0;
}

int
digest_warn_image(const struct config *c, const struct article *a)
{
    struct buf u;
    const char *why = NULL;
    int rc = 0;

    if (a->image == NULL)
        return 0;
    buf_init(&u, 0);
    if (digest_image_url(c, a->image, &u, &why) == -1) {
        /* article.h: single-line fields carry no control characters */
        log_warnx("%s: image \"%s\" %s; the email leaves it out", a->path, a->image, why);
        rc = 1;
    }
    buf_fini(&u);
    return rc;
}

static void
fix_article(struct value *a, const struct config *c)
{
    struct value *url = value_get(a, "url"), *img = value_get(a, "image"), *body;

    if (url != NULL && url->type == VALUE_STR && !text_is_web_url(url->str, url->len))
        value_set(a, "url", value_new(VALUE_NULL));
    if (img != NULL && img->type == VALUE_STR && !text_is_web_url(img->str, img->len)) {
        struct buf u;
        const char *why;

        buf_init(&u, 0);
        if (digest_image_url(c, img->str, &u, &why) == 0)
            value_set(a, "image", value_new_str(buf_str(&u)));
        else    /* a mail client cannot load it (digest_warn_image() said so) */
            value_set(a, "image", value_new(VALUE_NULL));
        buf_fini(&u);
    }
    body = value_get(a, "body_html");
    if (body != NULL && body->type == VALUE_STR) {
        struct buf b;
        const char *p = body->str;

        buf_init(&b, 0);
        while (*p) {
            /* <a ...> without a style of its own gets the inline link style (issue 9) */
            if (p[0] == '<' && (p[1] == 'a' || p[1] == 'A') && (p[2] == ' ' || p[2] == '>' ||
                p[2] == '\n' || p[2] == '\t')) {
                const char *gt = strchr(p, '>');
                bool styled = false;

                for (const char *q = p; gt != NULL && q + 6 < gt; q++)
                    if (ascii_strncasecmp(q, " style=", 7) == 0 ||
                        ascii_strncasecmp(q, "\nstyle=", 7) == 0)
                        styled = true;
                if (gt != NULL && !styled) {
                    buf_put(&b, p, 2);
                    buf_puts(&b, " style=\"" DIGEST_LINK_STYLE "\"");
                    p += 2;
                    continue;
                }
            }
            if (p[0] == '<' && (p[1] == 'h' || (p[1] == '/' && p[2] == 'h'))) {
                const char *h = p[1] == '/' ? p + 2 : p + 1;

                if (h[1] >= '1' && h[1] <= '6' && (h[2] == '>' || h[2] == ' ')) {
                    int level = h[1] - '0' + 2;

                    buf_put(&b, p, (size_t)(h - p) + 1);
                    buf_putc(&b, (char)('0' + (level > 6 ? 6 : level)));
                    p = h + 2;
                    continue;
                }
            }
            if (p[0] == '<') {
                size_t used = style_tag(&b, p);

                if (used > 0) {
                    p += used;
                    continue;
                }
            }
            buf_putc(&b, *p++);
        }
        value_set(a, "body_html", value_new_str(buf_str(&b)));
        buf_fini(&b);
    }
}

/*
 * Writing direction (EMAIL-CHECKLIST X1, issue 9): a language tag whose primary subtag
 * or script is written right to left gives "rtl".  BCP 47 / ISO 639 codes.
 */
static bool
lang_is_rtl(const char *tag)
{
    static const char *const rtl[] = { "ar", "arc", "azb", "ckb", "dv", "fa", "he", "iw",
        "ji", "ks", "ku-arab", "mzn", "nqo", "pnb", "ps", "sd", "syr", "ug", "ur", "yi", NULL };
    size_t pl = strcspn(tag, "-_");

    for (size_t i = 0; rtl[i] != NULL; i++) {
        size_t l = strlen(rtl[i]);

        if (ascii_strncasecmp(tag, rtl[i], l) == 0 && (tag[l] == '\0' || tag[l] == '-' ||
            tag[l] == '_') && (strchr(rtl[i], '-') != NULL || l == pl))
            return true;
    }
    /* a script subtag: sr-Arab, pa-Arab, yi-Hebr... */
    for (const char *p = tag; (p = strpbrk(p, "-_")) != NULL; p++)
        if ((ascii_strncasecmp(p + 1, "arab", 4) == 0 || ascii_strncasecmp(p + 1, "hebr", 4) == 0
            || ascii_strncasecmp(p + 1, "syrc", 4) == 0 || ascii_strncasecmp(p + 1, "thaa", 4) == 0)
            && (p[5] == '\0' || p[5] == '-' || p[5] == '_'))
            return true;
    return false;
}

/* The direction of text by its first strongly directional character: 1 rtl, 0 ltr, -1
   none (digits, punctuation, emoji only).  Unicode's bidi classes, roughly (UAX #9 P2). */
static int
text_dir(const char *s)
{
    const char *end = s != NULL ? s + strlen(s) : NULL;
    size_t len;

    for (const char *p = s; p != NULL && *p; p += len) {
        unsigned c = text_utf8_next(p, end, &len);

        if ((c >= 0x590 && c <= 0x8ff) || (c >= 0xfb1d && c <= 0xfdff) ||
            (c >= 0xfe70 && c <= 0xfefe) || (c >= 0x10800 && c <= 0x10fff) ||
            (c >= 0x1e800 && c <= 0x1efff))
            return 1;
        if (IS_ALPHA(c) || (c >= 0xc0 && c < 0x2000 && c != 0xd7 && c != 0xf7) ||
            (c >= 0x3040 && c < 0xd800) || (c >= 0xf900 && c < 0xfb1d) ||
            (c >= 0x20000 && c < 0x30000))
            return 0;
        if (len == 0)
            break;
    }
    return -1;
}

/* Month names by language (ISO 639-1), for dates that read naturally in the newsletter's
   language; a language not here gets the ISO form. */
static const struct {
    const char *lang, *fmt;         /* fmt: %d day, %m month name, %y year, %n month number */
    const char *months[12];
} date_langs[] = {
    { "en", "%d %m %y", { "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December" } },
    { "de", "%d. %m %y", { "Januar", "Februar", "M\xc3\xa4rz", "April", "Mai", "Juni", "Juli",
        "August", "September", "Oktober", "November", "Dezember" } },
    { "fr", "%d %m %y", { "janvier", "f\xc3\xa9vrier", "mars", "avril", "mai", "juin",
        "juillet", "ao\xc3\xbbt", "septembre", "octobre", "novembre", "d\xc3\xa9" "cembre" } },
    { "es", "%d de %m de %y", { "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre" } },
    { "it", "%d %m %y", { "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
        "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre" } },
    { "nl", "%d %m %y", { "januari", "februari", "maart", "april", "mei", "juni", "juli",
        "augustus", "september", "oktober", "november", "december" } },
    { "pt", "%d de %m de %y", { "janeiro", "fevereiro", "mar\xc3\xa7o", "abril", "maio",
        "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro" } },
    { "sv", "%d %m %y", { "januari", "februari", "mars", "april", "maj", "juni", "juli",
        "augusti", "september", "oktober", "november", "december" } },
    { "da", "%d. %m %y", { "januar", "februar", "marts", "april", "maj", "juni", "juli",
        "august", "september", "oktober", "november", "december" } },
    { "nb", "%d. %m %y", { "januar", "februar", "mars", "april", "mai", "juni", "juli",
        "august", "september", "oktober", "november", "desember" } },
    { "no", "%d. %m %y", { "januar", "februar", "mars", "april", "mai", "juni", "juli",
        "august", "september", "oktober", "november", "desember" } },
    { "pl", "%d %m %y", { "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca",
        "lipca", "sierpnia", "wrze\xc5\x9bnia", "pa\xc5\xba" "dziernika", "listopada",
        "grudnia" } },
    { "ja", "%y\xe5\xb9\xb4%n\xe6\x9c\x88%d\xe6\x97\xa5", { NULL } },    /* 2026年11月24日 */
    { "zh", "%y\xe5\xb9\xb4%n\xe6\x9c\x88%d\xe6\x97\xa5", { NULL } },
    { "ko", "%y\xeb\x85\x84 %n\xec\x9b\x94 %d\xec\x9d\xbc", { NULL } },  /* 2026년 11월 24일 */
};

int
digest_format_date(const char *iso, const char *lang, struct buf *out)
{
    long y, m, dd;
    const char *fmt = NULL, *const *months = NULL;

    if (iso == NULL || strlen(iso) < 10 || iso[4] != '-' || iso[7] != '-')
        return -1;
    y = (iso[0] - '0') * 1000L + (iso[1] - '0') * 100 + (iso[2] - '0') * 10 + (iso[3] - '0');
    m = (iso[5] - '0') * 10L + (iso[6] - '0');
    dd = (iso[8] - '0') * 10L + (iso[9] - '0');
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(iso[i] >= '0' && iso[i] <= '9'))
            return -1;
    if (m < 1 || m > 12 || dd < 1 || dd > 31)
        return -1;
    for (size_t i = 0; lang != NULL && i < ARRAY_LEN(date_langs); i++)
        if (ascii_strncasecmp(lang, date_langs[i].lang, 2) == 0 &&
            (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_')) {
            fmt = date_langs[i].fmt;
            months = date_langs[i].months;
        }
    if (fmt == NULL) {
        buf_put(out, iso, 10);
        return 0;
    }
    for (const char *f = fmt; *f; f++) {
        if (*f != '%' || f[1] == '\0') {
            buf_putc(out, *f);
            continue;
        }
        switch (*++f) {
        case 'd':
            buf_putf(out, "%ld", dd);
            break;
        case 'n':
            buf_putf(out, "%ld", m);
            break;
        case 'y':
            buf_putf(out, "%ld", y);
            break;
        case 'm':
            buf_puts(out, months[m - 1]);
            break;
        }
    }
    return 0;
}

static struct value *
build_data(const struct digest_opts *o, struct article *const *arts, size_t n,
    const struct digest_issue *iss)
{
    const struct config *c = o->cfg;
    struct value *data = value_new(VALUE_MAP), *nl = value_new(VALUE_MAP);
    struct value *is = value_new(VALUE_MAP), *list = value_new(VALUE_LIST);
    time_t t = iss->date ? iss->date : time(NULL);
    struct tm tm;
    char date[64];
    struct buf w;
    bool rtl;

    set_opt(nl, "name", c->newsletter.name);
    set_opt(nl, "from", c->newsletter.from);
    set_opt(nl, "from_name", c->newsletter.from_name ? c->newsletter.from_name :
        c->newsletter.name);
    set_opt(nl, "reply_to", c->newsletter.reply_to);
    set_opt(nl, "base_url", c->newsletter.base_url);
    set_opt(nl, "language", c->newsletter.language ? c->newsletter.language : "en");
    rtl = lang_is_rtl(c->newsletter.language ? c->newsletter.language : "en");
    value_set_str(nl, "dir", rtl ? "rtl" : "ltr");
    value_set_str(nl, "align", rtl ? "right" : "left");
    set_opt(nl, "postal_address", c->newsletter.postal_address);
    set_opt(nl, "list_id", c->newsletter.list_id);
    value_set(data, "newsletter", nl);

    gmtime_r(&t, &tm);
    value_set(is, "number", value_new_num((double)iss->number));
    strftime(date, sizeof(date), "%Y-%m-%d", &tm);
    value_set_str(is, "date_iso", date);
    buf_init(&w, 0);
    digest_format_date(date, c->newsletter.language ? c->newsletter.language : "en", &w);
    value_set_str(is, "date", buf_str(&w));
    buf_fini(&w);
    /* null, not "": an empty title must read as false in {{^issue.title}} */
    set_opt(is, "title", iss->title && *iss->title ? iss->title : NULL);
    set_opt(is, "intro", iss->intro);
    buf_init(&w, 0);
    if (iss->intro != NULL)
        digest_wrap(&w, iss->intro, DIGEST_WRAP);
    value_set(is, "intro_text", iss->intro ? value_new_str(buf_str(&w)) : value_new(VALUE_NULL));
    value_set(data, "issue", is);

    for (size_t i = 0; i < n; i++) {
        struct value *a = article_to_value(arts[i]);
        const char *sum = o->summaries && o->summaries[i] ? o->summaries[i] : arts[i]->summary;

        fix_article(a, o->cfg);
        {
            /* its own direction, from its text; the newsletter's when the text has none */
            int dir = text_dir(arts[i]->title);

            if (dir == -1)
                dir = text_dir(sum);
            if (dir == -1)
                dir = text_dir(arts[i]->body_text);
            value_set_str(a, "dir", dir == 1 || (dir == -1 && rtl) ? "rtl" : "ltr");
        }
        /* the image box: at most the column's 536 px, the height scaled with it; both or
           neither (an image that does not load then leaves no blank box) */
        if (arts[i]->image_width > 0 && arts[i]->image_height > 0) {
            long iw = arts[i]->image_width, ih = arts[i]->image_height;

            if (iw > DIGEST_IMAGE_PX) {
                ih = (ih * DIGEST_IMAGE_PX + iw / 2) / iw;
                iw = DIGEST_IMAGE_PX;
            }
            value_set(a, "image_width", value_new_num((double)iw));
            value_set(a, "image_height", value_new_num((double)(ih > 0 ? ih : 1)));
        } else {
            value_set(a, "image_width", value_new(VALUE_NULL));
            value_set(a, "image_height", value_new(VALUE_NULL));
        }
        /* one readable date in the newsletter's language; the printed form stays */
        value_set(a, "date_printed", arts[i]->date ? value_new_str(arts[i]->date) :
            value_new(VALUE_NULL));
        buf_reset(&w);
        if (digest_format_date(arts[i]->date_iso, c->newsletter.language ?
            c->newsletter.language : "en", &w) == 0)
            value_set_str(a, "date", buf_str(&w));
        /* the source line is left out, not left empty, when there is nothing to put in */
        value_set(a, "meta", value_new_bool(arts[i]->source != NULL ||
            arts[i]->author != NULL || arts[i]->date != NULL));
        value_set(a, "number", value_new_num((double)(i + 1)));
        value_set(a, "first", value_new_bool(i == 0));
        value_set(a, "last", value_new_bool(i + 1 == n));
        set_opt(a, "summary", sum);
        buf_reset(&w);
        if (sum != NULL)
            digest_wrap(&w, sum, DIGEST_WRAP);
        value_set(a, "summary_text", sum ? value_new_str(buf_str(&w)) : value_new(VALUE_NULL));
        buf_reset(&w);
        digest_wrap_pre(&w, arts[i]->body_text, DIGEST_WRAP, arts[i]->body_html);
        value_set_str(a, "body_text", buf_str(&w));
        value_push(list, a);
    }
    buf_fini(&w);
    value_set(data, "articles", list);
    value_set(data, "article_count", value_new_num((double)n));
    value_set(data, "toc", value_new_bool(n > 1));      /* "In this issue", for 2 or more */
    set_opt(data, "unsubscribe_mailto", c->newsletter.unsubscribe_mailto);
    return data;
}

/* s cut to at most max code points at a word boundary, with an ellipsis (caller frees). */
static char *
cut_words(const char *s, size_t max)
{
    size_t cp = 0, keep = 0;
    const char *p;
    struct buf b;

    for (p = s; *p; p++) {
        if (((unsigned char)*p & 0xc0) == 0x80)
            continue;
        if (cp == max - 1 && keep == 0)
            keep = (size_t)(p - s);         /* a hard cut, if there is no space */
        if (cp == max)
            break;
        if (*p == ' ')
            keep = (size_t)(p - s);
        cp++;
    }
    if (*p == '\0')
        return xstrdup(s);
    buf_init(&b, 0);
    buf_put(&b, s, keep);
    buf_puts(&b, "\xe2\x80\xa6");         /* U+2026 */
    return buf_steal(&b);
}

/* Squeeze a rendered subject onto one line. */
static char *
one_line(const char *s)
{
    struct buf b;
    bool space = false;

    buf_init(&b, 0);
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            space = b.len > 0;
            continue;
        }
        if (space)
            buf_putc(&b, ' ');
        space = false;
        buf_putc(&b, *s);
    }
    return buf_steal(&b);
}

static int
render(struct digest *g, const struct tmpl *t, const struct value *data, int flags,
    struct buf *out, struct tmpl_slots *ts, struct diag *d)
{
    buf_init(out, DIGEST_OUT_MAX);
    return tmpl_render_slots(t, data, NULL, g->parts, flags, out, ts, d);
}

static int check_names(const struct tmpl *const *ts, size_t nt, struct tmpl_partials *parts,
    struct diag *d);

/* Secret, DKIM key and VERP: what the configuration asks for must be usable. */
static int
setup_keys(struct digest *g, const struct digest_opts *o, struct diag *d)
{
    const struct config *c = o->cfg;

    g->secret = o->secret && *o->secret ? xstrdup(o->secret) : NULL;
    if (c->newsletter.unsubscribe_url != NULL && g->secret == NULL &&
        strstr(c->newsletter.unsubscribe_url, "{{token}}") != NULL) {
        diag_set(d, EX_CONFIG, "newsletter.unsubscribe_url uses {{token}} but no secret is "
            "set; add newsletter.secret_file or newsletter.secret_env");
        return -1;
    }
    if (c->dkim.selector != NULL || c->dkim.domain != NULL || c->dkim.key_file != NULL) {
        if ((g->dkim = dkim_new(c->dkim.domain, c->dkim.selector, c->dkim.key_file,
            d)) == NULL)
            return -1;
    }
    if (c->newsletter.verp && (g->secret == NULL || c->newsletter.bounce_to == NULL)) {
        diag_set(d, EX_CONFIG, "newsletter.verp needs %s; add %s",
            g->secret == NULL ? "a secret to sign its tokens" : "a bounce address",
            g->secret == NULL ? "newsletter.secret_file or newsletter.secret_env" :
            "newsletter.bounce_to: bounces@your.domain");
        return -1;
    }
    return 0;
}

/*
 * The four templates, the names they use (which tell whether the bodies are personal)
 * and the names check of `gazette check --templates`, so that a typo stops compose,
 * preview and send instead of rendering as nothing (preview --data brings its own names).
 */
static int
load_templates(struct digest *g, const struct digest_opts *o, const struct tmpl **t_pre,
    struct diag *d)
{
    struct scan sc = { g, false };

    g->parts = tmpl_partials_new(source, g);
    if ((g->t_subject = load(g, "subject", d)) == NULL ||
        (g->t_text = load(g, "digest.txt", d)) == NULL ||
        (g->t_html = load(g, "digest.html", d)) == NULL ||
        (*t_pre = load(g, "preheader", d)) == NULL)
        return -1;
    if (tmpl_names(g->t_subject, g->parts, scan_name, &sc, d) == -1 ||
        tmpl_names(g->t_text, g->parts, scan_name, &sc, d) == -1 ||
        tmpl_names(g->t_html, g->parts, scan_name, &sc, d) == -1)
        return -1;
    if (o->data == NULL) {
        const struct tmpl *all[] = { g->t_subject, *t_pre, g->t_text, g->t_html };

        if (check_names(all, ARRAY_LEN(all), g->parts, d) != 0)
            return -1;
    }
    g->personal = sc.personal;
    return 0;
}

/* The template data: the articles' (or preview --data's), made safe the same way. */
static void
make_data(struct digest *g, const struct digest_opts *o, struct article *const *arts,
    size_t n, const struct digest_issue *iss)
{
    size_t removed;

    g->data = o->data != NULL && o->data->type == VALUE_MAP ? value_dup(o->data) :
        build_data(o, arts, n, iss);
    if (o->data != NULL && o->data->type == VALUE_MAP) {
        /* given data (preview --data) gets the same safety and link styles as articles */
        struct value *list = value_get(g->data, "articles");

        for (size_t i = 0; list != NULL && list->type == VALUE_LIST && i < list->n; i++)
            if (list->items[i]->type == VALUE_MAP)
                fix_article(list->items[i], o->cfg);
    }
    if ((removed = strip_controls(g->data)) > 0)
        log_info("%zu control characters removed from the article text", removed);
}

/*
 * Preheader and subject, then the bodies: rendered once and cut at the personal slots
 * when no template names a personal value outside them, else rendered per subscriber
 * (whole bodies: slot 0 text, slot 1 html).
 */
static int
render_shared(struct digest *g, const struct tmpl *t_pre, struct diag *d)
{
    struct tmpl_slots ts = { NULL, 0, 0 };
    struct buf pre;
    size_t cap = 0;
    int rc;

    /* preheader: from the articles, the same for everyone */
    buf_init(&pre, 0);
    set_nobody(g->data);
    if (render(g, t_pre, g->data, 0, &pre, NULL, d) == -1) {
        buf_fini(&pre);
        return -1;
    }
    {
        char *p = one_line(buf_str(&pre)), *q = cut_words(p, DIGEST_PREHEADER_MAX);

        value_set_str(g->data, "preheader", q);
        free(p);
        free(q);
        buf_fini(&pre);
    }
    set_marks(g, g->data, false, NULL);
    if (render(g, g->t_subject, g->data, 0, &g->subj, &g->subj_slots, d) == -1)
        return -1;
    g->subject = one_line(buf_str(&g->subj));
    g->subject_personal = g->subj_slots.n > 0;
    if (g->personal) {
        g->segs = xcalloc(2, sizeof(*g->segs));
        g->segs[0] = (struct mime_seg){ 0, NULL, 0 };
        g->segs[1] = (struct mime_seg){ 1, NULL, 0 };
        g->ntext = g->nhtml = 1;
        set_nobody(g->data);
        return 0;
    }
    rc = render(g, g->t_text, g->data, 0, &g->text, &ts, d);
    if (rc == 0)
        g->ntext = cut(g, &g->text, &ts, &cap);
    ts.n = 0;
    set_marks(g, g->data, true, NULL);
    if (rc == 0)
        rc = render(g, g->t_html, g->data, TMPL_ESCAPE_HTML, &g->html, &ts, d);
    if (rc == 0)
        g->nhtml = cut(g, &g->html, &ts, &cap);
    free(ts.v);
    set_nobody(g->data);
    return rc;
}

/* The message frame every copy shares: headers, parts and the segments between slots. */
static int
make_mime(struct digest *g, const struct digest_opts *o, struct diag *d)
{
    const struct config *c = o->cfg;
    struct mime_digest_opts mo;
    struct mime_field extra[1];
    const char *dom = strrchr(c->newsletter.from, '@');

    memset(&mo, 0, sizeof(mo));
    mo.from_name = c->newsletter.from_name ? c->newsletter.from_name : c->newsletter.name;
    mo.from_addr = c->newsletter.from;
    mo.reply_to_addr = c->newsletter.reply_to;
    mo.subject = g->subject_personal ? "(personal)" : g->subject;
    mo.list_name = c->newsletter.name;
    mo.list_id = c->newsletter.list_id;
    mo.msgid_domain = dom ? dom + 1 : NULL;
    if (o->campaign != NULL) {
        extra[0].name = "X-Gazette-Campaign";
        extra[0].value = o->campaign;
        mo.extra = extra;
        mo.nextra = 1;
    }
    mo.text = g->segs;
    mo.ntext = g->ntext;
    mo.html = g->segs + g->ntext;
    mo.nhtml = g->nhtml;
    return (g->mime = mime_digest_new(&mo, d)) != NULL ? 0 : -1;
}

struct digest *
digest_new(const struct digest_opts *o, struct article *const *arts, size_t n,
    const struct digest_issue *iss, struct diag *d)
{
    struct digest *g = xcalloc(1, sizeof(*g));
    const struct config *c = o->cfg;
    const struct tmpl *t_pre;

    g->cfg = c;
    buf_init(&g->subj, 0);
    buf_init(&g->text, 0);
    buf_init(&g->html, 0);
    g->template_dir = o->template_dir ? xstrdup(o->template_dir) :
        c->paths.templates ? xstrdup(c->paths.templates) : NULL;
    g->campaign = o->campaign ? xstrdup(o->campaign) : NULL;
    if (setup_keys(g, o, d) == -1 || load_templates(g, o, &t_pre, d) == -1)
        goto fail;
    make_data(g, o, arts, n, iss);
    if (render_shared(g, t_pre, d) == -1 || make_mime(g, o, d) == -1)
        goto fail;
    return g;
fail:
    digest_free(g);
    return NULL;
}

void
digest_free(struct digest *g)
{
    if (g == NULL)
        return;
    mime_digest_free(g->mime);
    dkim_free(g->dkim);
    tmpl_partials_free(g->parts);
    value_free(g->data);
    for (size_t i = 0; i < g->nfields; i++)
        free(g->fields[i]);
    free(g->segs);
    buf_fini(&g->text);
    buf_fini(&g->html);
    free(g->subject);
    buf_fini(&g->subj);
    free(g->subj_slots.v);
    free(g->template_dir);
    free(g->campaign);
    if (g->secret != NULL) {
        explicit_bzero(g->secret, strlen(g->secret));
        free(g->secret);
    }
    free(g);
}

/* The personal values of sub, raw (even slots) and HTML-escaped (odd slots). */
struct slots {
    struct buf b[2 * (SLOT_FIELDS + DIGEST_MAX_FIELDS)];
    struct mime_str s[2 * (SLOT_FIELDS + DIGEST_MAX_FIELDS)];
    size_t n;
};

/* unsub: this subscriber's unsubscribe URL, made once by the caller (an HMAC each time). */
static void
fill_slots(const struct digest *g, const struct subscriber *sub, const char *unsub,
    struct slots *sl)
{
    size_t nslot = SLOT_FIELDS + g->nfields;

    sl->n = 2 * nslot;
    for (size_t i = 0; i < nslot; i++) {
        struct buf *raw = &sl->b[2 * i], *esc = &sl->b[2 * i + 1];

        buf_init(raw, 0);
        buf_init(esc, 0);
        if (sub == NULL) {              /* nobody: the value's name shows where it goes */
            if (i == SLOT_EMAIL)
                buf_puts(raw, "{{subscriber.email}}");
            else if (i == SLOT_NAME)
                buf_puts(raw, "{{subscriber.name}}");
            else if (i == SLOT_UNSUB)
                buf_puts(raw, "{{unsubscribe_url}}");
            else
                buf_putf(raw, "{{subscriber.fields.%s}}", g->fields[i - SLOT_FIELDS]);
        } else if (i == SLOT_EMAIL)
            buf_puts(raw, sub->email);
        else if (i == SLOT_NAME)
            buf_puts(raw, sub->name);
        else if (i == SLOT_UNSUB)
            buf_puts(raw, unsub);
        else {
            for (size_t j = 0; j < sub->nfields; j++)
                if (strcmp(sub->fields[j].key, g->fields[i - SLOT_FIELDS]) == 0)
                    buf_puts(raw, sub->fields[j].val);
        }
        text_html_escape(esc, buf_str(raw), raw->len);
        sl->s[2 * i] = (struct mime_str){ buf_str(raw), raw->len };
        sl->s[2 * i + 1] = (struct mime_str){ buf_str(esc), esc->len };
    }
}

static void
free_slots(struct slots *sl)
{
    for (size_t i = 0; i < sl->n; i++)
        buf_fini(&sl->b[i]);
}

/* Append s[0..len) to out with the slot values at the recorded offsets. */
static void
fill(struct buf *out, const char *s, size_t len, const struct tmpl_slots *ts,
    const struct slots *sl)
{
    size_t at = 0;

    for (size_t i = 0; i < ts->n; i++) {
        size_t off = ts->v[i].off;

        buf_put(out, s + at, off - at);
        at = off;
        if ((size_t)ts->v[i].slot < sl->n)
            buf_put(out, sl->s[ts->v[i].slot].p, sl->s[ts->v[i].slot].len);
    }
    buf_put(out, s + at, len - at);
}

/* The subject with this subscriber's values, on one line. */
static void
fill_subject(struct buf *out, const struct buf *rendered, const struct tmpl_slots *ts,
    const struct slots *sl)
{
    struct buf b;
    char *one;

    buf_init(&b, 0);
    fill(&b, buf_str(rendered), rendered->len, ts, sl);
    one = one_line(buf_str(&b));
    buf_puts(out, one);
    free(one);
    buf_fini(&b);
}

/*
 * Full per-subscriber rendering (personal mode): the templates branch on personal values,
 * so they are rendered for this subscriber, with placeholders that are null where sub has
 * no value, and the placeholders are then filled in as in the shared render.
 */
static int
render_personal(const struct digest *g, const struct subscriber *sub, const struct slots *sl,
    struct buf *subject, struct buf *text, struct buf *html, struct diag *d)
{
    struct value *top = value_new(VALUE_MAP);   /* the subscriber, above the shared data */
    struct tmpl_slots ts = { NULL, 0, 0 };
    struct buf tmp;
    int rc = -1;

    buf_init(&tmp, DIGEST_OUT_MAX);
    set_marks(g, top, false, sub);
    if (subject != NULL) {
        if (tmpl_render_slots(g->t_subject, g->data, top, g->parts, 0, &tmp, &ts, d) == -1)
            goto out;
        fill_subject(subject, &tmp, &ts, sl);
        buf_reset(&tmp);
        ts.n = 0;
    }
    if (text != NULL) {
        if (tmpl_render_slots(g->t_text, g->data, top, g->parts, 0, &tmp, &ts, d) == -1)
            goto out;
        fill(text, buf_str(&tmp), tmp.len, &ts, sl);
        buf_reset(&tmp);
        ts.n = 0;
    }
    if (html != NULL) {
        set_marks(g, top, true, sub);
        if (tmpl_render_slots(g->t_html, g->data, top, g->parts, TMPL_ESCAPE_HTML, &tmp,
            &ts, d) == -1)
            goto out;
        fill(html, buf_str(&tmp), tmp.len, &ts, sl);
    }
    rc = 0;
out:
    free(ts.v);
    buf_fini(&tmp);
    value_free(top);
    return rc;
}

int
digest_parts(const struct digest *g, const struct subscriber *sub, struct buf *subject,
    struct buf *text, struct buf *html, struct diag *d)
{
    struct slots *sl = xcalloc(1, sizeof(*sl));
    struct buf unsub;
    int rc = 0;

    buf_init(&unsub, 0);
    if (sub != NULL)
        digest_unsubscribe_url(g, sub->addr, &unsub);
    fill_slots(g, sub, buf_str(&unsub), sl);
    buf_fini(&unsub);
    if (g->personal) {
        rc = render_personal(g, sub, sl, subject, text, html, d);
        free_slots(sl);
        free(sl);
        return rc;
    }
    if (g->subject_personal)
        fill_subject(subject, &g->subj, &g->subj_slots, sl);
    else
        buf_puts(subject, g->subject);
    for (size_t i = 0; i < g->ntext + g->nhtml; i++) {
        struct buf *out = i < g->ntext ? text : html;
        const struct mime_seg *s = &g->segs[i];

        if (s->slot == MIME_SHARED)
            buf_put(out, s->p, s->len);
        else if ((size_t)s->slot < sl->n)
            buf_put(out, sl->s[s->slot].p, sl->s[s->slot].len);
    }
    free_slots(sl);
    free(sl);
    return 0;
}

int
digest_message(const struct digest *g, const struct subscriber *sub, struct buf *out,
    struct diag *d)
{
    struct mime_personal p;
    struct slots *sl = NULL;
    struct buf subj, unsub, text, html, mailto;
    struct mime_str whole[2];
    int rc = -1;

    buf_init(&subj, 0);
    buf_init(&unsub, 0);
    buf_init(&mailto, 0);
    buf_init(&text, 0);
    buf_init(&html, 0);
    memset(&p, 0, sizeof(p));
    p.to_name = sub->name[0] ? sub->name : NULL;
    p.to_addr = sub->addr;
    digest_unsubscribe_url(g, sub->addr, &unsub);
    if (g->cfg->newsletter.unsubscribe_url != NULL)
        p.unsub_url = buf_str(&unsub);
    p.unsub_mailto = g->cfg->newsletter.unsubscribe_mailto;
    /* with VERP, the mailto address carries the token too (unsubscribe+TOKEN@...), so
       that `gazette inbox` knows who asked, even from another address */
    if (p.unsub_mailto != NULL && g->cfg->newsletter.verp &&
        digest_verp_address(g, p.unsub_mailto, sub->addr, &mailto) == 0)
        p.unsub_mailto = buf_str(&mailto);
    sl = xmalloc(sizeof(*sl));
    fill_slots(g, sub, buf_str(&unsub), sl);
    if (g->personal) {
        if (render_personal(g, sub, sl, &subj, &text, &html, d) == -1)
            goto out;
        whole[0] = (struct mime_str){ buf_str(&text), text.len };
        whole[1] = (struct mime_str){ buf_str(&html), html.len };
        p.slots = whole;
        p.nslots = 2;
        p.subject = buf_str(&subj);
    } else {
        p.slots = sl->s;
        p.nslots = sl->n;
        if (g->subject_personal) {
            fill_subject(&subj, &g->subj, &g->subj_slots, sl);
            p.subject = buf_str(&subj);
        }
    }
    {
        size_t start = out->len;

        rc = mime_message_write(g->mime, &p, out, d);
        /* signed where the bytes are made: every transport carries the same signature */
        if (rc == 0 && g->dkim != NULL && dkim_sign(g->dkim, out, start, 0, d) == -1) {
            out->len = start;
            if (out->p != NULL)
                out->p[start] = '\0';
            rc = -1;
        }
    }
out:
    if (sl != NULL) {
        free_slots(sl);
        free(sl);
    }
    buf_fini(&subj);
    buf_fini(&unsub);
    buf_fini(&mailto);
    buf_fini(&text);
    buf_fini(&html);
    return rc;
}

/* ---- checking templates ------------------------------------------------------------ */

/* The names the data has (docs/TEMPLATES.md), by context. */
static const char *const root_names[] = { "newsletter", "issue", "articles", "article_count",
    "subscriber", "unsubscribe_url", "unsubscribe_mailto", "preheader", "toc", NULL };
static const char *const newsletter_names[] = { "name", "from", "from_name", "reply_to",
    "base_url", "language", "postal_address", "list_id", "dir", "align", NULL };
static const char *const issue_names[] = { "number", "date", "date_iso", "title", "intro",
    "intro_text", NULL };
static const char *const article_names[] = { "number", "title", "url", "source", "author",
    "date", "date_iso", "summary", "summary_text", "body_html", "body_text", "links", "image",
    "image_alt", "tags", "paragraphs", "first", "last", "dir", "date_printed", "meta",
    "image_width", "image_height", NULL };
static const char *const link_names[] = { "number", "url", "text", NULL };
static const char *const subscriber_names[] = { "email", "name", "fields", NULL };

struct ctx_kind {
    const char *name;               /* the section that opens it */
    const char *const *names;
};

/* What a section name opens. */
static const char *const *
opens(const char *section)
{
    static const struct ctx_kind kinds[] = {
        { "newsletter", newsletter_names }, { "issue", issue_names },
        { "articles", article_names }, { "links", link_names },
        { "subscriber", subscriber_names },
    };
    const char *last = strrchr(section, '.');

    last = last ? last + 1 : section;
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i].name, last) == 0)
            return kinds[i].names;
    return NULL;                    /* tags, paragraphs, booleans: only "." inside */
}

static bool
in_list(const char *const *names, const char *n, size_t len)
{
    for (size_t i = 0; names != NULL && names[i] != NULL; i++)
        if (strlen(names[i]) == len && strncmp(names[i], n, len) == 0)
            return true;
    return false;
}

/* Is the dotted name valid when looked up in a context of the given kind? */
static bool
valid_in(const char *const *names, const char *name)
{
    const char *dot = strchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) : strlen(name);

    if (!in_list(names, name, len))
        return false;
    if (dot == NULL)
        return true;
    if (strncmp(name, "fields", len) == 0 && names == subscriber_names)
        return strchr(dot + 1, '.') == NULL;        /* subscriber.fields.ANY */
    if (strncmp(name, "subscriber", len) == 0 && names == root_names)
        return valid_in(subscriber_names, dot + 1);
    {
        const char *const *sub;
        char first[64];

        if (len >= sizeof(first))
            return false;
        memcpy(first, name, len);
        first[len] = '\0';
        sub = opens(first);
        return sub != NULL && valid_in(sub, dot + 1);
    }
}

struct check_ctx {
    void (*fn)(void *, const struct diag *);
    void *ctx;
    int problems;
};

static void
check_name(void *arg, const struct tmpl_name *n)
{
    struct check_ctx *c = arg;
    const char *const *stack[TMPL_MAX_NEST + 2];
    size_t depth = 0;
    struct diag one = DIAG_INIT;
    const char *best = NULL;
    char sugg[160];
    struct text_suggest sg;

    if (n->use == TMPL_USE_PARTIAL) {
        if (!n->found) {
            diag_setat(&one, EX_DATAERR, n->line, n->col, "partial \"%s\" is not in the "
                "template folder nor built in", n->name);
            snprintf(one.path, sizeof(one.path), "%s", n->origin ? n->origin : "?");
            c->fn(c->ctx, &one);
            c->problems++;
        }
        return;
    }
    stack[depth++] = root_names;
    for (size_t i = 0; i < n->nsections && depth < ARRAY_LEN(stack); i++) {
        const char *sec = n->sections[i];
        const char *const *k = NULL;

        /* the section's own context: the kind its (last) name opens, if known */
        for (size_t j = depth; j-- > 0 && k == NULL;)
            if (valid_in(stack[j], sec))
                k = opens(sec);
        stack[depth++] = k;
    }
    if (strcmp(n->name, ".") == 0)
        return;
    for (size_t j = depth; j-- > 0;)
        if (stack[j] != NULL && valid_in(stack[j], n->name))
            return;
    text_suggest_init(&sg, 2);
    for (size_t j = depth; j-- > 0;)
        for (size_t i = 0; stack[j] != NULL && stack[j][i] != NULL; i++)
            text_suggest_try(&sg, n->name, stack[j][i]);
    best = sg.best;
    /* "issue.nmber": the part before the last dot is fine, so look within it */
    if (best == NULL && strrchr(n->name, '.') != NULL) {
        const char *dot = strrchr(n->name, '.');
        size_t plen = (size_t)(dot - n->name);
        char prefix[64];

        if (plen < sizeof(prefix)) {
            memcpy(prefix, n->name, plen);
            prefix[plen] = '\0';
            for (size_t j = depth; j-- > 0 && best == NULL;) {
                const char *const *inner = opens(prefix);

                if (stack[j] == NULL || inner == NULL || !valid_in(stack[j], prefix))
                    continue;
                for (size_t i = 0; inner[i] != NULL; i++) {
                    int was = sg.dist;

                    text_suggest_try(&sg, dot + 1, inner[i]);
                    if (sg.dist < was) {
                        snprintf(sugg, sizeof(sugg), "%s.%s", prefix, inner[i]);
                        best = sugg;
                    }
                }
            }
        }
    }
    if (best != NULL)
        diag_setat(&one, EX_DATAERR, n->line, n->col, "unknown name \"%s\"; did you mean "
            "\"%s\"? (docs/TEMPLATES.md lists the names)", n->name, best);
    else
        diag_setat(&one, EX_DATAERR, n->line, n->col, "unknown name \"%s\"; it renders as "
            "nothing (docs/TEMPLATES.md lists the names)", n->name);
    snprintf(one.path, sizeof(one.path), "%s", n->origin ? n->origin : "?");
    c->fn(c->ctx, &one);
    c->problems++;
}

/* check_names(): the first problem into d, the others counted. */
struct first_problem {
    struct diag *d;
    int n;
};

static void
keep_first(void *ctx, const struct diag *problem)
{
    struct first_problem *f = ctx;

    if (f->n++ == 0 && !diag_is_set(f->d)) {
        diag_setat(f->d, problem->code, problem->line, problem->col, "%s", problem->msg);
        diag_path(f->d, problem->path);
    }
}

/* The names check over loaded templates: 0, or -1 with the first problem in d (EX_DATAERR). */
static int
check_names(const struct tmpl *const *ts, size_t nt, struct tmpl_partials *parts,
    struct diag *d)
{
    struct first_problem f = { d, 0 };
    struct check_ctx c = { keep_first, &f, 0 };

    for (size_t i = 0; i < nt; i++)
        if (tmpl_names(ts[i], parts, check_name, &c, d) == -1)
            return -1;
    if (c.problems > 1) {
        size_t len = strlen(d->msg);

        snprintf(d->msg + len, sizeof(d->msg) - len, " (and %d more problem%s; `gazette "
            "check --templates` lists them all)", c.problems - 1, c.problems > 2 ? "s" : "");
    }
    return c.problems > 0 ? -1 : 0;
}

int
digest_check_templates(const char *template_dir, void (*fn)(void *, const struct diag *),
    void *ctx, struct diag *d)
{
    static const char *const mains[] = { "subject", "preheader", "digest.txt", "digest.html" };
    struct digest g;
    struct check_ctx c = { fn, ctx, 0 };
    int rc = 0;

    memset(&g, 0, sizeof(g));
    g.template_dir = template_dir ? xstrdup(template_dir) : NULL;
    g.parts = tmpl_partials_new(source, &g);
    for (size_t i = 0; i < ARRAY_LEN(mains); i++) {
        const struct tmpl *t = load(&g, mains[i], d);

        if (t == NULL || tmpl_names(t, g.parts, check_name, &c, d) == -1) {
            rc = -1;
            break;
        }
    }
    tmpl_partials_free(g.parts);
    free(g.template_dir);
    return rc == -1 ? -1 : c.problems;
}
