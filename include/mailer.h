/*
 * mailer: sends one campaign's digest to every subscriber it is due to, over several
 * connections at once, each reused for many messages, within the configured rate; retries
 * temporary failures with exponential backoff and jitter; slows the whole run down when
 * the server pushes back and speeds up again carefully; and journals every step so that
 * a re-run after any crash sends only to those not yet sent.
 * Pipeline: digest -> MAILER -> transport.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_MAILER_H
#define GAZETTE_MAILER_H

#include <stdbool.h>
#include <stddef.h>

#include "transport.h"

struct config;
struct diag;
struct digest;
struct journal;
struct subscriber;

struct mailer_opts {
    const struct config *cfg;
    const struct digest *digest;
    struct journal *journal;        /* NULL for --test-to (outside the journal) */
    const char *campaign;
    const char *password;           /* SMTP password or NULL */
    const char *log_path;           /* JSON lines log, or NULL */
    bool syslog;
    bool progress;                  /* a progress line on stderr (a terminal: rewritten in
                                       place, with the percentage and the time left) */
    bool progress_lines;            /* not a terminal (cron, a log): a line every 10% of
                                       the run and every 10 s: sent, failed, rate, time left */
};

struct mailer_stats {
    size_t total;                   /* messages this run set out to send */
    size_t sent, permfail, tempfail, uncertain;
    size_t retried;                 /* extra attempts made */
    size_t slowdowns;               /* times the server pushed back */
    double seconds;
    char **bounced;                 /* addresses refused as bad mailboxes (5.1.x, 550...) */
    size_t nbounced;
};

/*
 * Send to subs[0..n) (borrowed).  Returns 0 when the run got to its end (failures are in
 * the stats), or -1 with d set when it had to stop: a fatal SMTP error (EX_NOPERM for a
 * refused login, EX_PROTOCOL for TLS, EX_UNAVAILABLE for a refusal every message would
 * get, EX_TEMPFAIL when the server cannot be reached at all), or the journal cannot be
 * written (EX_IOERR).  Stats are filled either way; caller frees them with
 * mailer_stats_fini().
 */
int mailer_run(const struct mailer_opts *o, const struct subscriber *const *subs, size_t n,
    struct mailer_stats *st, struct diag *d);
void mailer_stats_fini(struct mailer_stats *st);

/*
 * The retry rule for one attempt that ended in outcome (attempts made so far, elapsed
 * seconds since the run began, jit the random factor in 0.5..1.5): the delay before the
 * next try, smtp.retry_delay doubled per attempt times jit; or -1 for no more tries: not
 * a temporary failure (nor uncertain with smtp.resend_uncertain), smtp.max_attempts
 * reached, or past smtp.retry_max_time by the time of the next try.
 */
double mailer_retry_delay(const struct config *cfg, enum transport_outcome outcome,
    int attempts, double elapsed, double jit);

#endif
