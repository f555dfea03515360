/*
 * mimecheck: independent decoders and checks for the MIME tests (RFC 2047 words, quoted-
 * printable, base64, header field shape, a small message parser) and the segment helpers
 * that build test messages.  Written apart from src/mime.c on purpose: a test that decoded
 * with the encoder's own code could not catch its mistakes.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_MIMECHECK_H
#define GAZETTE_MIMECHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "mime.h"

struct parsed {
    struct buf text, html;      /* decoded, LF line ends */
    char cte[2][24];
    char boundary[80];
    int nparts;
};

bool all_ascii(const char *p, size_t n);
bool crlf_only(const char *p, size_t n);
size_t longest_line(const char *p, size_t n);
void to_lf(struct buf *out, const char *p, size_t n);
void norm_ws(struct buf *out, const char *s);
bool plain_ws(const char *s);
int hexval(char c);
int b64val(char c);
int b64_decode(const char *p, size_t n, struct buf *out);
void unfold(const char *field, size_t n, struct buf *out);
int ew_decode(const char *tok, size_t n, bool phrase, struct buf *out, const char **why);
bool holds_ewmark(const char *p, size_t n);
bool is_ew_token(const char *t, size_t n);
int hdr_decode(const char *v, bool phrase, struct buf *out, const char **why);
int qp_decode(const char *p, size_t n, struct buf *out, const char **why);
int b64_body_decode(const char *p, size_t n, struct buf *out, const char **why);
const char *field_shape(const char *p, size_t n, const char *name);
bool has_token(const char *v, const char *word);
void parsed_init(struct parsed *m);
void parsed_fini(struct parsed *m);
int field_count(const char *msg, const char *name, const char **at, size_t *len);
int decode_part(const char *hdr, size_t hn, const char *body, size_t bn, struct parsed *m,
    const char **why);
int parse_message(const char *msg, struct parsed *m, const char **why);
const char *message_shape(const char *msg, size_t n, bool https);
size_t split_template(const char *t, struct mime_seg *segs, size_t max);
void expand(struct buf *out, const struct mime_seg *segs, size_t n, const struct mime_str *slots);

#endif
