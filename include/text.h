/*
 * text: the one place for text helpers that several modules need: FNV-1a hashing (32
 * and 64 bits, plain and case-folded), control characters, HTML escaping, "did you mean",
 * display width, UTF-8 decoding, encoding and repair (on libunistring), base64 and
 * base64url (on OpenSSL), percent-encoding and hex digits, web address checks.  Protocol
 * text is ASCII: case folding here is ASCII only, never the locale's.
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
/* FNV-1a over the bytes of s as they are. */
uint32_t text_hash(const char *s);
/* FNV-1a, 64 bits, over p[0..n): as it is, or with ASCII letters folded to lower case.
   A lookup hash, not a secret. */
uint64_t text_hash64(const char *p, size_t n);
uint64_t text_hash64_fold(const char *p, size_t n);
/* The same built piece by piece: h from TEXT_HASH64_INIT or an earlier call, then p[0..n). */
#define TEXT_HASH64_INIT 14695981039346656037ULL
uint64_t text_hash64_add(uint64_t h, const void *p, size_t n);

/* s[0..n) holds a C0 control character or DEL (a line break or a tab included), a C1
   control or U+2028/U+2029 (line breaks to YAML). */
bool text_has_control(const char *s, size_t n);
/* s[0..n) holds a C0 control character or DEL (a line break or a tab included); bytes
   from 0x80 up are not looked at (for protocol text: header fields, trace lines). */
bool text_has_ascii_control(const char *s, size_t n);

/* Append s[0..n) to out with & < > " ' as entities (HTML 5 text and quoted attributes). */
void text_html_escape(struct buf *out, const char *s, size_t n);
/* The same for only the characters of which (some of "&<>\"'"): "&<>" for text in an
   element, "&<>\"" for an attribute value in double quotes. */
void text_html_escape_some(struct buf *out, const char *s, size_t n, const char *which);

/* One HTML character reference at s[0..n) (s[0] is '&'): named (HTML 4's table, on
   libxml2, and &apos;) or numeric, with its ';'.  Its UTF-8 goes to out, its length to
   *outlen; returns the bytes the reference takes, 0 when s starts none (keep the '&').
   As HTML 5 says, &#0;, surrogates and numbers past U+10FFFF give U+FFFD, and 0x80..0x9F
   Windows-1252's characters; a control character and &nbsp; come out as a space. */
size_t text_html_ref(const char *s, size_t n, char out[4], size_t *outlen);

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
/* The UTF-8 bytes of cp into out; their count (1..4).  A surrogate or a code point past
   U+10FFFF is written as U+FFFD. */
size_t text_utf8_put(char out[4], uint32_t cp);
/* Append s[0..n) to out as UTF-8: valid sequences are copied, a byte that starts none is
   read as Windows-1252 (Latin-1 but for 0x80..0x9F; its holes become U+FFFD), and with
   nul_to_fffd a NUL byte becomes U+FFFD.  0, or -1 when out went over its limit. */
int text_utf8_repair(struct buf *out, const char *s, size_t n, bool nul_to_fffd);

/* base64url without padding (RFC 4648 5) of p[0..n), NUL-terminated into out, which
   holds at least 4 * ((n + 2) / 3) + 1 bytes. */
void text_base64url(char *out, const unsigned char *p, size_t n);

/* s starts with http:// or https:// (ASCII case folded). */
/* Append standard base64 (RFC 4648 4, with padding, no line breaks) of p[0..n) to out. */
void text_base64(struct buf *out, const void *p, size_t n);
/* The same into out, which holds at least 4 * ((n + 2) / 3) + 1 bytes (n small: one
   line, one encoded word), NUL-terminated; returns the length. */
size_t text_base64_to(char *out, const void *p, size_t n);

/* Append s with every byte but RFC 3986's unreserved (ALPHA DIGIT - . _ ~) as %XX. */
void text_url_encode(struct buf *out, const char *s);
/* The value of the hex digit c (either case), or -1. */
int text_hex_value(char c);

/* s starts with http:// or https:// (ASCII case folded). */
bool text_is_web_url(const char *s, size_t n);
/* s is an absolute http(s) URL with a host and no space, quote, angle bracket, backslash
   or control character (a link to write into HTML as it is). */
bool text_is_web_address(const char *s);

#endif
