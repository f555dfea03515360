/*
 * lock: flock(2) on side files, with a bounded wait.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "lock.h"
#include "util.h"

int
lock_path(const char *lockpath, int wait_ms, struct diag *d)
{
    int fd, waited = 0;

    fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1 && errno == EACCES)    /* someone else's lock file: flock() needs no write */
        fd = open(lockpath, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        diag_set(d, EX_CANTCREAT, "cannot open lock file %s: %s", lockpath, strerror(errno));
        return -1;
    }
    for (;;) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };

        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            diag_set(d, EX_IOERR, "cannot lock %s: %s", lockpath, strerror(errno));
            break;
        }
        if (wait_ms >= 0 && waited >= wait_ms) {
            diag_set(d, EX_TEMPFAIL, "%s is locked by another gazette process; "
                "try again when it has finished", lockpath);
            break;
        }
        nanosleep(&ts, NULL);
        waited += 10;
    }
    close(fd);
    return -1;
}

int
lock_file(const char *path, int wait_ms, struct diag *d)
{
    char *c1 = xstrdup(path), *c2 = xstrdup(path), *lp;
    size_t n = strlen(path) + 16;
    int fd;

    lp = xmalloc(n);
    snprintf(lp, n, "%s/.%s.lock", dirname(c1), basename(c2));
    fd = lock_path(lp, wait_ms, d);
    if (fd != -1) {
        struct stat st, lst;

        /* The lock belongs to whoever owns the file, with the file's read/write bits:
           a lock root made with sudo stays usable by the service user.  Fails quietly
           when we are neither root nor the lock's owner (then it is not ours to give). */
        if (stat(path, &st) == 0 && fstat(fd, &lst) == 0 &&
            (lst.st_uid != st.st_uid || lst.st_gid != st.st_gid) &&
            fchown(fd, st.st_uid, st.st_gid) == -1) {
            /* not fatal */
        }
        if (stat(path, &st) == 0 && fchmod(fd, (st.st_mode & 0666) | 0600) == -1) {
            /* not fatal */
        }
    }
    free(lp);
    free(c1);
    free(c2);
    return fd;
}

void
lock_release(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}
