/*
 * atomic: crash-safe file replacement (temp + fsync + rename + fsync dir).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "atomic.h"
#include "diag.h"
#include "util.h"

static char *
dir_of(const char *path)
{
    char *copy = xstrdup(path), *dir = xstrdup(dirname(copy));

    free(copy);
    return dir;
}

int
atomic_open(struct atomic_file *af, const char *path, struct diag *d)
{
    struct stat st;
    mode_t mode = 0600;
    size_t n = strlen(path) + 32;
    bool existed = false;

    if (stat(path, &st) == 0) {
        mode = st.st_mode & 07777;
        existed = true;
    }
    af->path = xstrdup(path);
    af->tmp = xmalloc(n);
    for (int tries = 0; tries < 100; tries++) {
        snprintf(af->tmp, n, "%s.tmp.%ld.%d", path, (long)getpid(), tries);
        af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (af->fd != -1 || errno != EEXIST)
            break;
    }
    if (af->fd == -1) {
        diag_set(d, EX_CANTCREAT, "cannot create a temporary file beside %s: %s", path,
            strerror(errno));
        free(af->tmp);
        af->tmp = NULL;
        return -1;
    }
    /* The replacement keeps the owner and group of the file it replaces: root editing the
       list with sudo must not take it away from the service user.  Only root (or the owner,
       for a group it belongs to) may do this; otherwise the new file is ours, as before.
       chown first: it may clear mode bits that fchmod then sets. */
    if (existed && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
        fchown(af->fd, st.st_uid, st.st_gid) == -1) {
        /* not fatal: the file is ours */
    }
    if (fchmod(af->fd, mode) == -1) {
        /* not fatal: the file stays 0600 */
    }
    return 0;
}

int
atomic_write(struct atomic_file *af, const void *p, size_t n, struct diag *d)
{
    if (write_all(af->fd, p, n) == -1) {
        diag_set(d, EX_IOERR, "cannot write %s: %s", af->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

int
atomic_commit(struct atomic_file *af, struct diag *d)
{
    char *dir;

    if (fsync(af->fd) == -1) {
        diag_set(d, EX_IOERR, "cannot fsync %s: %s", af->tmp, strerror(errno));
        return -1;
    }
    if (close(af->fd) == -1) {
        af->fd = -1;
        diag_set(d, EX_IOERR, "cannot close %s: %s", af->tmp, strerror(errno));
        return -1;
    }
    af->fd = -1;
    if (rename(af->tmp, af->path) == -1) {
        diag_set(d, EX_IOERR, "cannot rename %s to %s: %s", af->tmp, af->path,
            strerror(errno));
        return -1;
    }
    free(af->tmp);
    af->tmp = NULL;
    /* The rename is durable only once the folder's entry is on disk. */
    dir = dir_of(af->path);
    (void)fsync_dir(dir);               /* best effort: the new content is in place */
    free(dir);
    return 0;
}

void
atomic_abort(struct atomic_file *af)
{
    if (af->fd != -1)
        close(af->fd);
    af->fd = -1;
    if (af->tmp != NULL)
        unlink(af->tmp);
    free(af->tmp);
    free(af->path);
    af->tmp = af->path = NULL;
}

int
atomic_replace(const char *path, const void *p, size_t n, struct diag *d)
{
    struct atomic_file af = ATOMIC_FILE_INIT;
    int rc = -1;

    if (atomic_open(&af, path, d) == -1 || atomic_write(&af, p, n, d) == -1 ||
        atomic_commit(&af, d) == -1)
        goto out;
    rc = 0;
out:
    atomic_abort(&af);
    return rc;
}
