/*
 * verp: per-message return paths (Variable Envelope Return Path).  With newsletter.verp
 * each message's MAIL FROM is bounce_to's local part, a delimiter ('+' or '-') and a
 * token, so that a bounce names the subscriber and the campaign even when the report
 * itself is garbled.  The token is signed (HMAC-SHA256 with the newsletter secret):
 * a forged or altered one is never attributed.  The inbox (src/inbox/) reads it back.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_VERP_H
#define GAZETTE_VERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * A token is 24 characters of lower-case base32 (RFC 4648 4 alphabet, lower-cased: mail
 * systems may fold the case of a local part) over 15 bytes: 6 of a hash of the address
 * (to find the subscriber), 3 of a hash of the campaign id (to find the campaign), and 6
 * of HMAC-SHA256(secret, "verp" 0 addr 0 campaign), the signature.  Letters and digits
 * only: safe in a URL and in an unquoted local part.
 */
#define VERP_TOKEN_LEN 24

struct verp_ref {
    uint64_t sid;               /* 48 bits: verp_sid() of the subscriber's address */
    uint32_t cid;               /* 24 bits: verp_cid() of the campaign id */
    unsigned char mac[6];
};

/* The (unsigned) lookup hashes: the address with ASCII case folded; the campaign id. */
uint64_t verp_sid(const char *addr);
uint32_t verp_cid(const char *campaign);

/* The token of addr (canonical) in campaign into out (NUL-terminated). */
void verp_token(const char *secret, const char *addr, const char *campaign,
    char out[VERP_TOKEN_LEN + 1]);

/*
 * "local" delim token "@domain" for base ("local@domain") into out.  -1 when base has no
 * '@' or the result would be longer than an address may be (RFC 5321 4.5.3.1: local part
 * 64 octets), or when out has a limit and the address passes it (out is then failed).
 */
int verp_address(const char *base, char delim, const char *token, struct buf *out);

/*
 * Find a token in addr (n bytes), an address written to base with a delimiter: the local
 * part must be base's local part (ASCII case folded), the delimiter, and a well-formed
 * token; the domain is not compared (forwarders rewrite it).  Fills ref; true if found.
 * Says nothing about the signature: see verp_check().
 */
bool verp_parse(const char *addr, size_t n, const char *base, char delim,
    struct verp_ref *ref);
/* Decode a bare token of n characters (any case).  false when it is not one. */
bool verp_decode(const char *tok, size_t n, struct verp_ref *ref);

/* true when ref's signature holds for addr and campaign (and their hashes match). */
bool verp_check(const char *secret, const char *addr, const char *campaign,
    const struct verp_ref *ref);

#endif
