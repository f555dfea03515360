/*
 * atomic: replace a file so that readers see the old or the new contents, never a mix:
 * temporary file in the same folder (O_EXCL, mode of the old file or 0600), write, fsync,
 * rename, fsync the folder (OpenSMTPD's spool writer).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_ATOMIC_H
#define GAZETTE_ATOMIC_H

#include <stddef.h>

struct diag;

struct atomic_file {
    int fd;
    char *path;
    char *tmp;
};

#define ATOMIC_FILE_INIT { -1, NULL, NULL }

/* Open a temporary beside path.  Errors: EX_CANTCREAT. */
int atomic_open(struct atomic_file *af, const char *path, struct diag *d);
/* Errors: EX_IOERR. */
int atomic_write(struct atomic_file *af, const void *p, size_t n, struct diag *d);
/* fsync, rename over path, fsync the folder.  Errors: EX_IOERR. */
int atomic_commit(struct atomic_file *af, struct diag *d);
/* Unlink the temporary if not committed; free everything.  Safe after commit. */
void atomic_abort(struct atomic_file *af);
/* The whole sequence for one buffer. */
int atomic_replace(const char *path, const void *p, size_t n, struct diag *d);

#endif
