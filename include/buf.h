/*
 * buf: a growable, always NUL-terminated byte buffer with a hard maximum (after curl's
 * dynbuf).  Going over the maximum empties and frees the buffer and fails.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_BUF_H
#define GAZETTE_BUF_H

#include <stddef.h>

struct buf {
    char *p;        /* NULL until the first add; then NUL-terminated */
    size_t len;
    size_t cap;
    size_t max;     /* hard limit on len */
};

#define BUF_MAX_DEFAULT ((size_t)1 << 30)

void buf_init(struct buf *b, size_t max);
/* Append; 0 ok, -1 when max would be exceeded (buffer freed and emptied). */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents, "" when empty; borrowed, valid until the next add. */
const char *buf_str(const struct buf *b);
void buf_reset(struct buf *b);      /* length 0, keeps the memory */
void buf_fini(struct buf *b);       /* frees the memory */
/* Hand the heap string to the caller (caller frees); the buffer is left empty. */
char *buf_steal(struct buf *b);

#endif
