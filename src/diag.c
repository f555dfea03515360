/*
 * diag: error records with sysexits class and file position; first error wins.
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "util.h"

/*
 * Messages quote what was read ("date \"%.100s\" is not a date") and are cut to fit: a
 * quote or the cut may split a multibyte character.  Drop the bytes of any broken one, so
 * that what reaches the terminal or a log is valid UTF-8.
 */
static void
utf8_drop_broken(char *s)
{
    size_t n = strlen(s), o = 0, k;

    for (size_t i = 0; i < n; i += k) {
        k = utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            k = 1;
            continue;
        }
        memmove(s + o, s + i, k);
        o += k;
    }
    s[o] = '\0';
}

void
diag_vsetat(struct diag *d, int code, int line, int col, const char *fmt, va_list ap)
{
    if (d == NULL || d->code != 0)
        return;
    d->code = code;
    d->line = line;
    d->col = col;
    vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
    utf8_drop_broken(d->msg);
}

void
diag_set(struct diag *d, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vsetat(d, code, 0, 0, fmt, ap);
    va_end(ap);
}

void
diag_setat(struct diag *d, int code, int line, int col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vsetat(d, code, line, col, fmt, ap);
    va_end(ap);
}

void
diag_path(struct diag *d, const char *path)
{
    if (d == NULL || d->code == 0 || d->path[0] != '\0' || path == NULL)
        return;
    snprintf(d->path, sizeof(d->path), "%s", path);
}

bool
diag_is_set(const struct diag *d)
{
    return d != NULL && d->code != 0;
}

void
diag_clear(struct diag *d)
{
    memset(d, 0, sizeof(*d));
}

const char *
diag_format(const struct diag *d, char *out, size_t size)
{
    if (d->path[0] != '\0' && d->line > 0 && d->col > 0)
        snprintf(out, size, "%s:%d:%d: %s", d->path, d->line, d->col, d->msg);
    else if (d->path[0] != '\0' && d->line > 0)
        snprintf(out, size, "%s:%d: %s", d->path, d->line, d->msg);
    else if (d->path[0] != '\0')
        snprintf(out, size, "%s: %s", d->path, d->msg);
    else
        snprintf(out, size, "%s", d->msg);
    return out;
}

void
diag_print(const struct diag *d)
{
    char line[DIAG_PATH_MAX + DIAG_MSG_MAX + 32];

    fprintf(stderr, "gazette: %s\n", diag_format(d, line, sizeof(line)));
}

const char *
diag_message(const struct diag *d, char *out, size_t size)
{
    if (size == 0)
        return out;
    snprintf(out, size, "%s", d->msg);
    utf8_drop_broken(out);          /* the cut may have split a character */
    return out;
}
