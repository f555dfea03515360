/*
 * lock: advisory exclusive locks (flock) on a side file, so that a cron send and a CLI
 * edit of the same file take turns.  The lock file is never removed (removing it would
 * let two processes hold "the" lock on two different inodes).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_LOCK_H
#define GAZETTE_LOCK_H

#include <stdbool.h>

struct diag;

/*
 * Lock "DIR/.BASE.lock" for the file at path.  wait_ms < 0 waits forever, 0 does not
 * wait.  Returns the lock's fd, or -1: EX_TEMPFAIL when another process holds it,
 * EX_CANTCREAT when the lock file cannot be made.
 */
int lock_file(const char *path, int wait_ms, struct diag *d);
/* Lock the file at lockpath itself (created if missing); same contract. */
int lock_path(const char *lockpath, int wait_ms, struct diag *d);
void lock_release(int fd);

#endif
