/*
 * text: shared text helpers (see include/text.h).  UTF-8 decoding and display width come
 * from libunistring (UAX #11 East Asian width), base64 from OpenSSL.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include <libxml/HTMLparser.h>
#include <openssl/evp.h>
#include <unistr.h>
#include <uniwidth.h>

#include "buf.h"
#include "text.h"
#include "util.h"

uint32_t
text_hash_fold(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)TO_LOWER((unsigned char)*s)) * 16777619u;
    return h;
}

uint32_t
text_hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static uint64_t
hash64(uint64_t h, const char *p, size_t n, bool fold)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        h ^= fold ? (unsigned char)TO_LOWER(c) : c;
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t
text_hash64(const char *p, size_t n)
{
    return hash64(TEXT_HASH64_INIT, p, n, false);
}

uint64_t
text_hash64_add(uint64_t h, const void *p, size_t n)
{
    return hash64(h, p, n, false);
}

uint64_t
text_hash64_fold(const char *p, size_t n)
{
    return hash64(TEXT_HASH64_INIT, p, n, true);
}

bool
text_has_control(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < n; i++) {
        if (u[i] < 0x20 || u[i] == 0x7f)
            return true;
        /* C1 controls (NEL among them) and U+2028, U+2029: line breaks to YAML 1.1 and
           libyaml, so a list's two readers would disagree on them (issue 10) */
        if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] < 0xa0)
            return true;
        if (u[i] == 0xe2 && i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] == 0xa8 ||
            u[i + 2] == 0xa9))
            return true;
    }
    return false;
}

bool
text_has_ascii_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

void
text_html_escape(struct buf *out, const char *s, size_t n)
{
    text_html_escape_some(out, s, n, "&<>\"'");
}

void
text_html_escape_some(struct buf *out, const char *s, size_t n, const char *which)
{
    size_t run = 0;                 /* start of the bytes that need no escape */

    for (size_t i = 0; i < n; i++) {
        const char *e;

        if (s[i] == '\0' || strchr(which, s[i]) == NULL)
            continue;
        switch (s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        default: continue;
        }
        buf_put(out, s + run, i - run);
        buf_puts(out, e);
        run = i + 1;
    }
    buf_put(out, s + run, n - run);
}

void
text_suggest_init(struct text_suggest *sg, int maxd)
{
    sg->best = NULL;
    sg->dist = maxd + 1;
}

void
text_suggest_try(struct text_suggest *sg, const char *word, const char *cand)
{
    int d = edit_distance(word, cand);

    if (d < sg->dist) {
        sg->dist = d;
        sg->best = cand;
    }
}

const char *
text_did_you_mean(const char *word, const char *const *cands, size_t n, int maxd)
{
    struct text_suggest sg;

    text_suggest_init(&sg, maxd);
    for (size_t i = 0; i < n; i++)
        text_suggest_try(&sg, word, cands[i]);
    return sg.best;
}

uint32_t
text_utf8_next(const char *p, const char *end, size_t *len)
{
    ucs4_t c;
    int k = u8_mbtouc(&c, (const uint8_t *)p, (size_t)(end - p));

    *len = k > 0 ? (size_t)k : 1;
    return c;
}

size_t
text_utf8_put(char out[4], uint32_t cp)
{
    int k = u8_uctomb((uint8_t *)out, cp, 4);

    if (k <= 0)                     /* a surrogate or past U+10FFFF */
        k = u8_uctomb((uint8_t *)out, 0xfffd, 4);
    return (size_t)k;
}

/* Windows-1252's 0x80..0x9F (0 where the code page has a hole); the rest is Latin-1. */
static const unsigned short cp1252[32] = {
    0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

size_t
text_html_ref(const char *s, size_t n, char out[4], size_t *outlen)
{
    const char *semi = n > 1 ? memchr(s, ';', n < 34 ? n : 34) : NULL;
    size_t len = semi != NULL ? (size_t)(semi - s) : 0;     /* "&" .. before ";" */
    unsigned long cp = 0;

    if (len < 2 || s[0] != '&')
        return 0;
    if (s[1] == '#') {
        bool hex = s[2] == 'x' || s[2] == 'X';
        size_t i = hex ? 3 : 2;

        if (i >= len)
            return 0;
        for (; i < len; i++) {
            int dv = IS_DIGIT(s[i]) ? s[i] - '0' : hex && TO_LOWER((unsigned char)s[i]) >=
                'a' && TO_LOWER((unsigned char)s[i]) <= 'f' ? TO_LOWER((unsigned char)s[i]) -
                'a' + 10 : -1;

            if (dv < 0)
                return 0;
            if (cp <= 0x10ffff)
                cp = cp * (hex ? 16 : 10) + (unsigned long)dv;
        }
        /* HTML 5's rules: nothing usable is U+FFFD, 0x80..0x9F are Windows-1252's */
        if (cp >= 0x80 && cp <= 0x9f && cp1252[cp - 0x80] != 0)
            cp = cp1252[cp - 0x80];
        else if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            cp = 0xfffd;
    } else {
        char name[34];
        const htmlEntityDesc *e;

        memcpy(name, s + 1, len - 1);
        name[len - 1] = '\0';
        if (strcmp(name, "apos") == 0)          /* XML's and HTML 5's, not in HTML 4 */
            cp = '\'';
        else if ((e = htmlEntityLookup((const xmlChar *)name)) != NULL)
            cp = e->value;
        else
            return 0;
    }
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0xa0)
        cp = ' ';                   /* never a control character; &nbsp; is a space */
    *outlen = text_utf8_put(out, (uint32_t)cp);
    return len + 1;
}

int
text_utf8_repair(struct buf *out, const char *s, size_t n, bool nul_to_fffd)
{
    const unsigned char *p = (const unsigned char *)s;
    char u[4];

    for (size_t i = 0; i < n;) {
        size_t run = i, k;
        uint32_t cp;

        while (run < n && (p[run] != 0 || !nul_to_fffd) &&     /* valid stretches at once */
            (k = p[run] < 0x80 ? 1 : utf8_seq_len(p + run, n - run)) > 0)
            run += k;
        if (run > i) {
            if (buf_add(out, p + i, run - i) == -1)
                return -1;
            i = run;
            continue;
        }
        cp = p[i] == 0 ? 0xfffd : p[i];
        if (cp >= 0x80 && cp < 0xa0)
            cp = cp1252[cp - 0x80] ? cp1252[cp - 0x80] : 0xfffd;
        if (buf_add(out, u, text_utf8_put(u, cp)) == -1)
            return -1;
        i++;
    }
    return 0;
}

size_t
text_width(const char *s, size_t n)
{
    /* "UTF-8": no locale-dependent ambiguous widths (they count 1) */
    return (size_t)u8_width((const uint8_t *)s, n, "UTF-8");
}

void
text_base64url(char *out, const unsigned char *p, size_t n)
{
    int k = EVP_EncodeBlock((unsigned char *)out, p, (int)n);

    while (k > 0 && out[k - 1] == '=')
        k--;
    out[k] = '\0';
    for (int i = 0; i < k; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

void
text_base64(struct buf *out, const void *p, size_t n)
{
    const unsigned char *u = p;
    unsigned char tmp[4 * (1023 / 3) + 1];

    while (n > 0) {
        size_t chunk = n > 1023 ? 1023 : n;     /* a multiple of 3: no padding inside */
        int len = EVP_EncodeBlock(tmp, u, (int)chunk);

        buf_put(out, tmp, (size_t)len);
        u += chunk;
        n -= chunk;
    }
}

bool
text_is_web_address(const char *s)
{
    size_t k;

    if (!text_is_web_url(s, strlen(s)))
        return false;
    k = s[4] == ':' ? 7 : 8;            /* past "http://" or "https://" */
    if (s[k] == '\0' || s[k] == '/' || s[k] == '?' || s[k] == '#')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    return true;
}

void
text_url_encode(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (IS_ALNUM(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            buf_putc(out, (char)c);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };

            buf_put(out, e, 3);
        }
    }
}

int
text_hex_value(char c)
{
    return IS_DIGIT(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 :
        (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

size_t
text_base64_to(char *out, const void *p, size_t n)
{
    return (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

bool
text_is_web_url(const char *s, size_t n)
{
    return (n >= 8 && ascii_strncasecmp(s, "https://", 8) == 0) ||
        (n >= 7 && ascii_strncasecmp(s, "http://", 7) == 0);
}
