/*
 * reqlog: the durable log of subscribers' own requests (unsubscribe, resubscribe, sign-up,
 * confirm) in STATE/requests/, and the one function that applies what it holds to
 * subscribers.yaml through the locked, byte-preserving editor (subs_apply), in batches.
 * A request is acknowledged only once it is on disk (reqlog_sync: a group commit, one
 * fdatasync for every request written meanwhile).  Applying records how far each log
 * file was applied, with an intent file around the list's replacement, so that a crash at
 * any point applies each request exactly once.  Used by `gazette serve`, and by
 * `gazette send` and `gazette subscribers` before they read the list.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_REQLOG_H
#define GAZETTE_REQLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct diag;

enum reqlog_type {
    REQLOG_UNSUBSCRIBE,         /* active/pending/bounced -> unsubscribed */
    REQLOG_RESUBSCRIBE,         /* unsubscribed -> active */
    REQLOG_PENDING,             /* a sign-up: absent -> pending (name, tags); unsubscribed
                                   or bounced -> pending; active and pending: unchanged */
    REQLOG_CONFIRM,             /* pending -> active */
};
#define REQLOG_NTYPES 4

/* One request; strings borrowed for the call. */
struct reqlog_req {
    enum reqlog_type type;
    const char *email;          /* canonical address (addr_check) */
    const char *name;           /* REQLOG_PENDING: NULL or "" for none */
    const char *const *tags;    /* REQLOG_PENDING */
    size_t ntags;
    time_t when;                /* 0: now */
};

#define REQLOG_LINE_MAX 4096    /* one record, percent-encoded */
#define REQLOG_ROTATE (4u << 20) /* a log file is closed and a new one begun past this */

/* An open log for appending (one file of its own, "STATE/requests/GEN.log"). */
struct reqlog;

/*
 * Begin a new log file in state_dir/requests/ (made if missing).  Errors: EX_CANTCREAT.
 * Caller frees with reqlog_close(), which syncs what was written.
 */
struct reqlog *reqlog_open(const char *state_dir, struct diag *d);
void reqlog_close(struct reqlog *r);
/*
 * Write one record (one write(2): in the kernel when this returns, not yet on disk) and
 * set *ticket to what reqlog_sync() needs to wait for.  Thread-safe.  Errors: EX_DATAERR
 * for a field with a NUL or a record over REQLOG_LINE_MAX; EX_IOERR.
 */
int reqlog_append(struct reqlog *r, const struct reqlog_req *q, uint64_t *ticket,
    struct diag *d);
/*
 * Return once every record up to ticket is on disk: one caller runs fdatasync for all
 * the records written so far while the others wait for it (group commit).  Thread-safe.
 * Errors: EX_IOERR (then no record after the last good sync may be acknowledged).
 */
int reqlog_sync(struct reqlog *r, uint64_t ticket, struct diag *d);
/* The ticket of the last record written (for a committer thread). */
uint64_t reqlog_written(struct reqlog *r);
/* How many fdatasync calls this log has made (the group commit's measure). */
uint64_t reqlog_syncs(struct reqlog *r);

/* What one reqlog_apply() did. */
struct reqlog_stats {
    size_t records;             /* records read and applied */
    size_t changed;             /* subscribers whose entry changed */
    size_t per_type[REQLOG_NTYPES];
    int rewrites;               /* times subscribers.yaml was replaced (0 or 1) */
};

/*
 * Apply every record not yet applied, from every log file in state_dir/requests/, to the
 * list at subs_path, in one subs_apply() batch; remove log files that are complete
 * (nobody writes them any more) and fully applied.  Exactly once, also across a crash at
 * any point.  Appliers take turns through a lock; wait_ms as lock_file().  st may be
 * NULL.  0 (also when there was nothing to do), or -1: the list's own errors
 * (EX_DATAERR: nothing is written, the requests stay pending), EX_TEMPFAIL when the lock
 * is busy, EX_IOERR/EX_CANTCREAT.
 */
int reqlog_apply(const char *state_dir, const char *subs_path, int wait_ms,
    struct reqlog_stats *st, struct diag *d);

/*
 * Count the records not yet applied (*n) and the time of the oldest (*oldest, 0 when
 * none).  A missing folder is no request.  Errors: EX_IOERR.
 */
int reqlog_pending(const char *state_dir, size_t *n, time_t *oldest, struct diag *d);

/* "unsubscribe", "resubscribe", "pending", "confirm". */
const char *reqlog_type_name(enum reqlog_type t);

#endif
