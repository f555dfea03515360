/*
 * dkim: DomainKeys Identified Mail signatures (RFC 6376) on each finished message:
 * rsa-sha256 (RFC 8301) or ed25519-sha256 (RFC 8463), relaxed/relaxed canonicalisation,
 * From oversigned.  OpenSSL's EVP does the hashing and the signature; the canonicalisation
 * is ours (docs/ARCHITECTURE.md says why).  Pipeline: mime -> DKIM -> transport; the
 * composer (digest.c) signs each message where its bytes are made, so every transport
 * carries the same signed bytes.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_DKIM_H
#define GAZETTE_DKIM_H

#include <stddef.h>
#include <time.h>

struct buf;
struct diag;

#define DKIM_RSA_BITS 2048          /* RFC 8301 3.2: SHOULD be at least 2048 */
#define DKIM_RSA_MIN_BITS 1024      /* RFC 8301 3.2: MUST be at least 1024 */
#define DKIM_TXT_STRING_MAX 255     /* RFC 1035 3.3.14: one <character-string> */

/* The header fields signed, in order (those present; From once more: oversigned, so
   no From can be added after signing, RFC 6376 5.4.2). */
#define DKIM_HEADERS "From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:" \
    "List-Id:List-Unsubscribe:List-Unsubscribe-Post"

/* A signer: the key, loaded and checked once, shared read-only by every sending thread. */
struct dkim;

/*
 * Load key_file (PEM: PKCS#8 or traditional RSA; RSA of at least 1024 bits, or Ed25519)
 * for signing as domain and selector.  Errors: EX_CONFIG (a missing or malformed setting),
 * EX_NOINPUT (the file cannot be read), EX_DATAERR (not a usable key; the message says
 * which kinds are).  Caller frees with dkim_free().
 */
struct dkim *dkim_new(const char *domain, const char *selector, const char *key_file,
    struct diag *d);
void dkim_free(struct dkim *k);

/* "rsa-sha256" or "ed25519-sha256". */
const char *dkim_algorithm(const struct dkim *k);

/*
 * Sign the message held in msg from byte start to the end (RFC 5322 with CRLF, not
 * dot-stuffed) and insert its DKIM-Signature field at start.  t is the t= tag (0: now).
 * Thread-safe on one k.  Returns 0, or -1 with d set: EX_DATAERR when the message has no
 * header/body separator or msg would pass its maximum, EX_SOFTWARE when OpenSSL fails.
 */
int dkim_sign(const struct dkim *k, struct buf *msg, size_t start, time_t t, struct diag *d);

/*
 * The value of the DNS TXT record at SELECTOR._domainkey.DOMAIN for k's public key,
 * "v=DKIM1; k=rsa; p=BASE64" (ed25519: k=ed25519 and the raw 32-byte key, RFC 8463 4).
 * Caller frees.
 */
char *dkim_record(const struct dkim *k);
/* The name it goes under: "SELECTOR._domainkey.DOMAIN" (caller frees). */
char *dkim_record_name(const struct dkim *k);

/*
 * Write a zone-file line for the record to out: the name, TXT, and the value split into
 * quoted strings of at most DKIM_TXT_STRING_MAX characters.  Appends without a result
 * (buf_put): out should have no limit, or the caller checks buf_failed(out).
 */
void dkim_record_zone(const struct dkim *k, struct buf *out);

/*
 * Does text (a TXT value, optionally in "quoted" strings, optionally a whole zone-file
 * line) publish k's public key?  Returns 0, or -1 with d set: EX_DATAERR when the record
 * cannot be read (no p= tag, bad base64, v= not DKIM1), EX_CONFIG when it holds another
 * key or another key type.
 */
int dkim_record_check(const struct dkim *k, const char *text, size_t len, struct diag *d);

/*
 * Make a new key, type "rsa" (DKIM_RSA_BITS) or "ed25519", and write it as PKCS#8 PEM to
 * path, created with mode 600 (an existing file is never overwritten).  Errors: EX_USAGE
 * (unknown type), EX_CANTCREAT (the file exists or cannot be made), EX_SOFTWARE (OpenSSL).
 */
int dkim_keygen(const char *path, const char *type, struct diag *d);

/*
 * Canonicalisation, exposed for the tests: append the relaxed form (RFC 6376 3.4.2) of
 * the header field f[0..n) (its CRLFs included) to out, with a final CRLF when crlf; and
 * the relaxed body (3.4.4) of p[0..n).  Appends with buf_put, as dkim_record_zone().
 * dkim_canon_body_cut() gives the body to the canonicaliser in pieces, cut at the
 * offsets cuts[0..ncuts) (ascending; others are skipped): the result must not change.
 */
void dkim_canon_header(struct buf *out, const char *f, size_t n, int crlf);
void dkim_canon_body(struct buf *out, const char *p, size_t n);
void dkim_canon_body_cut(struct buf *out, const char *p, size_t n, const size_t *cuts,
    size_t ncuts);

#endif
