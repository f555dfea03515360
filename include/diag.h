/*
 * diag: one shape for every error in gazette: an exit class (sysexits.h), where (path,
 * line, column) and what is wrong and what would be right.  The first error wins.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_DIAG_H
#define GAZETTE_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define DIAG_PATH_MAX 512
#define DIAG_MSG_MAX 1024

struct diag {
    int code;                   /* sysexits value; 0 while unset */
    int line, col;              /* 1-based; 0 when unknown */
    char path[DIAG_PATH_MAX];
    char msg[DIAG_MSG_MAX];
};

#define DIAG_INIT { 0, 0, 0, "", "" }

/* Record an error unless one is recorded already (the root cause survives). */
void diag_set(struct diag *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with a position (1-based line and column). */
void diag_setat(struct diag *d, int code, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* diag_setat() with a va_list (for a module's own printf-like reporter). */
void diag_vsetat(struct diag *d, int code, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
/* Add the file name if the error has none yet (outer layers know the path). */
void diag_path(struct diag *d, const char *path);
bool diag_is_set(const struct diag *d);
void diag_clear(struct diag *d);
/* Format "FILE:LINE:COL: message" (parts known) into out; returns out. */
const char *diag_format(const struct diag *d, char *out, size_t size);
/* The message alone, cut to fit size on a UTF-8 character boundary; returns out. */
const char *diag_message(const struct diag *d, char *out, size_t size);
/* Print "gazette: FILE:LINE:COL: message" to stderr. */
void diag_print(const struct diag *d);

#endif
