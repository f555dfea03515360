/*
 * text: shared text helpers (see include/text.h).  UTF-8 decoding and display width come
 * from libunistring (UAX #11 East Asian width), base64 from OpenSSL.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

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

bool
text_has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

void
text_html_escape(struct buf *out, const char *s, size_t n)
{
    size_t run = 0;                 /* start of the bytes that need no escape */

    for (size_t i = 0; i < n; i++) {
        const char *e;

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

bool
text_is_web_url(const char *s, size_t n)
{
    return (n >= 8 && ascii_strncasecmp(s, "https://", 8) == 0) ||
        (n >= 7 && ascii_strncasecmp(s, "http://", 7) == 0);
}
