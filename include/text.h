/*
 * text: the one place for text helpers that several modules need: case-folded hashing,
 * control characters, HTML escaping, "did you mean", display width and UTF-8 decoding (on
 * libunistring), base64url (on OpenSSL), web address checks.  Protocol text is ASCII:
 * case folding here is ASCII only, never the locale's.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_TEXT_H
#define GAZETTE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* FNV-1a over the bytes of s with ASCII letters folded to lower case. */
uint32_t text_hash_fold(const char *s);

/* s[0..n) holds a C0 control character or DEL (a line break or a tab included). */
bool text_has_control(const char *s, size_t n);

/* Append s[0..n) to out with & < > " ' as entities (HTML 5 text and quoted attributes). */
void text_html_escape(struct buf *out, const char *s, size_t n);

/* "Did you mean": the closest candidate offered so far within maxd edits. */
struct text_suggest {
    const char *best;           /* NULL while none is close enough */
    int dist;
};
void text_suggest_init(struct text_suggest *sg, int maxd);
void text_suggest_try(struct text_suggest *sg, const char *word, const char *cand);
/* The closest of cands[0..n) to word within maxd edits, or NULL. */
const char *text_did_you_mean(const char *word, const char *const *cands, size_t n, int maxd);

/* The code point at p (valid UTF-8, at least one byte before end); its length in *len. */
uint32_t text_utf8_next(const char *p, const char *end, size_t *len);
/* Terminal columns of valid UTF-8 s[0..n): East Asian wide characters take 2 (UAX #11). */
size_t text_width(const char *s, size_t n);

/* base64url without padding (RFC 4648 5) of p[0..n), NUL-terminated into out, which
   holds at least 4 * ((n + 2) / 3) + 1 bytes. */
void text_base64url(char *out, const unsigned char *p, size_t n);

/* s starts with http:// or https:// (ASCII case folded). */
bool text_is_web_url(const char *s, size_t n);

#endif
