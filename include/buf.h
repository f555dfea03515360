/*
 * buf: a growable, always NUL-terminated byte buffer with a hard maximum (after curl's
 * dynbuf).  Going over the maximum empties and frees the buffer and fails.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_BUF_H
#define GAZETTE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *p;        /* NULL until the first add; then NUL-terminated */
    size_t len;
    size_t cap;
    size_t max;     /* hard limit on len */
    bool limited;   /* max was given at init: going over it fails (else: exit) */
    bool failed;    /* went over max: stays empty and failing until buf_reset/buf_init */
};

#define BUF_MAX_DEFAULT ((size_t)1 << 30)
#define BUF_CHECK __attribute__((warn_unused_result))

/*
 * max 0: no limit of its own.  Such a buffer cannot fail: past BUF_MAX_DEFAULT it exits
 * EX_OSERR, as xmalloc does when memory runs out.  A buffer with a max (an input or an
 * output limit) fails instead: the add returns -1, the buffer is freed and emptied, and it
 * stays failed, every later add failing too, until buf_reset() or buf_init().
 */
void buf_init(struct buf *b, size_t max);
/*
 * Append; 0 ok, -1 when max would be exceeded.  The result must be used: each call site
 * decides.  Where a buffer has no limit, or the caller checks buf_failed() once at the
 * end, use the buf_put family instead.
 */
int buf_add(struct buf *b, const void *p, size_t n) BUF_CHECK;
int buf_adds(struct buf *b, const char *s) BUF_CHECK;
int buf_addc(struct buf *b, char c) BUF_CHECK;
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)))
    BUF_CHECK;
/* The same without a result: for buffers without a limit (they cannot fail), or when the
   caller checks buf_failed() after a series of appends. */
void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* true once an append went over the buffer's max (see buf_init()). */
bool buf_failed(const struct buf *b);
/* The contents, "" when empty; borrowed, valid until the next add. */
const char *buf_str(const struct buf *b);
void buf_reset(struct buf *b);      /* length 0, keeps the memory, clears a failure */
void buf_fini(struct buf *b);       /* frees the memory */
/* Hand the heap string to the caller (caller frees); the buffer is left empty. */
char *buf_steal(struct buf *b);

#endif
