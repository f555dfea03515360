/*
 * subs CSV reader: the records of an import file (RFC 4180: quoted fields, doubled quotes,
 * CRLF or LF), cell by cell into a buffer.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>

#include "buf.h"
#include "subs.h"

/*
 * Read one record into cells (pointers into out, which holds them NUL-separated).
 * Returns the cell count, 0 at the end, -1 on an unterminated quote.
 */
int
subs_csv_record(struct subs_csv *c, struct buf *out, size_t *offs, int maxcols)
{
    int n = 0;
    char sep = c->sep ? c->sep : ',';

    buf_reset(out);
    c->line = c->nextline;
    if (c->p >= c->end)
        return 0;
    for (;;) {
        if (n == maxcols)
            return -2;
        offs[n++] = out->len;
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end)
                    return -1;
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        buf_addc(out, '"');
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n')
                    c->nextline++;
                buf_addc(out, *c->p++);
            }
            /* anything between the closing quote and the separator is kept as text */
        }
        while (c->p < c->end && *c->p != sep && *c->p != '\n' && *c->p != '\r')
            buf_addc(out, *c->p++);
        buf_addc(out, '\0');
        if (c->p < c->end && *c->p == sep) {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n')
            c->p++;
        c->nextline++;
        return n;
    }
}
