/*
 * verp: signed per-message return paths (see include/verp.h).  The mailer puts them in
 * MAIL FROM (and digest.c in the List-Unsubscribe mailto address); the inbox reads them
 * back from the address a bounce or an unsubscribe request was sent to.
 * Base32: RFC 4648 4 (lower-cased).  HMAC-SHA256: RFC 2104 (digest.c).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "util.h"
#include "verp.h"

#define VERP_BYTES 15           /* 6 sid + 3 cid + 6 mac: 120 bits, 24 base32 characters */
#define VERP_LOCAL_MAX 64       /* RFC 5321 4.5.3.1.1 */
#define VERP_ADDR_MAX 254       /* RFC 5321 4.5.3.1.3 less the angle brackets */

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* FNV-1a, 64 bits: a lookup hash, not a secret (the MAC is what authenticates). */
static uint64_t
fnv(const char *s, bool fold)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *s; s++) {
        h ^= (unsigned char)(fold ? TO_LOWER((unsigned char)*s) : *s);
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t
verp_sid(const char *addr)
{
    return fnv(addr, true) & 0xffffffffffffULL;
}

uint32_t
verp_cid(const char *campaign)
{
    return (uint32_t)(fnv(campaign, false) & 0xffffff);
}

static void
sign(const char *secret, const char *addr, const char *campaign, unsigned char mac[6])
{
    unsigned char full[32];
    struct buf m;

    buf_init(&m, 0);
    buf_put(&m, "verp", 5);                 /* with its NUL: a domain separator */
    for (const char *p = addr; *p; p++)
        buf_putc(&m, (char)TO_LOWER((unsigned char)*p));
    buf_putc(&m, '\0');
    buf_puts(&m, campaign);
    if (digest_hmac(secret, buf_str(&m), m.len, full) == -1)
        xoom();                             /* OpenSSL fails only when out of memory */
    memcpy(mac, full, 6);
    buf_fini(&m);
}

void
verp_token(const char *secret, const char *addr, const char *campaign,
    char out[VERP_TOKEN_LEN + 1])
{
    unsigned char b[VERP_BYTES];
    uint64_t sid = verp_sid(addr);
    uint32_t cid = verp_cid(campaign);
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;

    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(sid >> (40 - 8 * i));
    for (int i = 0; i < 3; i++)
        b[6 + i] = (unsigned char)(cid >> (16 - 8 * i));
    sign(secret, addr, campaign, b + 9);
    for (size_t i = 0; i < VERP_BYTES; i++) {
        acc = acc << 8 | b[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[acc >> (bits - 5) & 31];
            bits -= 5;
        }
    }
    out[o] = '\0';
}

bool
verp_decode(const char *tok, size_t n, struct verp_ref *ref)
{
    unsigned char b[VERP_BYTES];
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;

    if (n != VERP_TOKEN_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        int c = TO_LOWER((unsigned char)tok[i]), v;

        if (c >= 'a' && c <= 'z')
            v = c - 'a';
        else if (c >= '2' && c <= '7')
            v = c - '2' + 26;
        else
            return false;
        acc = (acc << 5 | (unsigned)v) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            b[o++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    ref->sid = 0;
    for (int i = 0; i < 6; i++)
        ref->sid = ref->sid << 8 | b[i];
    ref->cid = (uint32_t)b[6] << 16 | (uint32_t)b[7] << 8 | b[8];
    memcpy(ref->mac, b + 9, 6);
    return true;
}

int
verp_address(const char *base, char delim, const char *token, struct buf *out)
{
    const char *at = strrchr(base, '@');

    if (at == NULL || (size_t)(at - base) + 1 + strlen(token) > VERP_LOCAL_MAX ||
        strlen(base) + 1 + strlen(token) > VERP_ADDR_MAX)
        return -1;
    buf_put(out, base, (size_t)(at - base));
    buf_putc(out, delim);
    buf_puts(out, token);
    buf_puts(out, at);
    return buf_failed(out) ? -1 : 0;        /* out's own limit, if it has one */
}

bool
verp_parse(const char *addr, size_t n, const char *base, char delim, struct verp_ref *ref)
{
    const char *bat = strrchr(base, '@'), *at;
    size_t bl;

    if (bat == NULL)
        return false;
    bl = (size_t)(bat - base);
    /* the last '@': a quoted local part may hold one, the domain never does */
    at = NULL;
    for (size_t i = n; i > 0; i--)
        if (addr[i - 1] == '@') {
            at = addr + i - 1;
            break;
        }
    if (at == NULL || (size_t)(at - addr) != bl + 1 + VERP_TOKEN_LEN ||
        ascii_strncasecmp(addr, base, bl) != 0 || addr[bl] != delim)
        return false;
    return verp_decode(addr + bl + 1, VERP_TOKEN_LEN, ref);
}

bool
verp_check(const char *secret, const char *addr, const char *campaign,
    const struct verp_ref *ref)
{
    unsigned char mac[6];
    unsigned diff = 0;

    if (verp_sid(addr) != ref->sid || verp_cid(campaign) != ref->cid)
        return false;
    sign(secret, addr, campaign, mac);
    for (int i = 0; i < 6; i++)         /* in constant time, out of habit */
        diff |= (unsigned)(mac[i] ^ ref->mac[i]);
    return diff == 0;
}
