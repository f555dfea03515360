/*
 * buf: growable NUL-terminated buffer with a hard maximum.
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

void
buf_init(struct buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : BUF_MAX_DEFAULT;
    b->limited = max != 0;
    b->failed = false;
}

static int
grow(struct buf *b, size_t n)
{
    size_t need, cap;

    if (b->failed)
        return -1;
    if (n > b->max || b->len > b->max - n) {
        if (!b->limited) {
            /* as xmalloc: out of memory for all purposes; the journal makes a rerun safe */
            static const char msg[] = "gazette: out of memory (a buffer would pass 1 GiB)\n";

            (void)!write(2, msg, sizeof(msg) - 1);
            exit(EX_OSERR);
        }
        buf_fini(b);
        b->failed = true;
        return -1;
    }
    need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->p = xreallocarray(b->p, cap, 1);
    b->cap = cap;
    return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
    if (grow(b, n) == -1)
        return -1;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

static int
vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    char small[256];
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return buf_add(b, small, (size_t)n);
    if (grow(b, (size_t)n) == -1)
        return -1;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void
buf_put(struct buf *b, const void *p, size_t n)
{
    (void)!buf_add(b, p, n);
}

void
buf_puts(struct buf *b, const char *s)
{
    (void)!buf_add(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
    (void)!buf_add(b, &c, 1);
}

void
buf_putf(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)!vaddf(b, fmt, ap);
    va_end(ap);
}

bool
buf_failed(const struct buf *b)
{
    return b->failed;
}

const char *
buf_str(const struct buf *b)
{
    return b->p ? b->p : "";
}

void
buf_reset(struct buf *b)
{
    b->failed = false;
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void
buf_fini(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

char *
buf_steal(struct buf *b)
{
    char *p = b->p ? b->p : xstrdup("");

    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}
