/*
 * journal: the crash-safe record of one campaign, so that every active subscriber gets
 * exactly one copy whatever happens mid-run.  One append-only file per campaign in the
 * state folder; each line is one event for one address.  Appends are cheap and stay in
 * memory; journal_write() hands them to the kernel, which keeps them if the process is
 * killed; journal_sync() makes them durable (fdatasync), which keeps them if the machine
 * stops.  A flusher thread syncs whatever was appended every 100 ms (the batches), and
 * journal_sync() is a group commit: one fdatasync covers every worker's records.  The rule
 * the mailer follows: a message's "start" record is written (smtp.journal_sync: batch) or
 * made durable (message) before the end of its data goes to the server, so that after a
 * crash a message is either known sent, known failed, known not started, or "uncertain"
 * (started, outcome lost: the server may have accepted it).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_JOURNAL_H
#define GAZETTE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct journal;

enum journal_state {
    JOURNAL_NONE,               /* never tried */
    JOURNAL_START,              /* a transaction began (in flight) */
    JOURNAL_SENT,               /* the server took it */
    JOURNAL_TEMPFAIL,           /* failed for now; retried later in the run or by --retry-failed */
    JOURNAL_PERMFAIL,           /* refused for good */
    JOURNAL_UNCERTAIN,          /* started, outcome lost: maybe delivered */
    JOURNAL_SKIPPED,            /* not sent on purpose (unsubscribed or bounced since) */
};
#define JOURNAL_NSTATES 7

struct journal_entry {
    enum journal_state state;
    int attempts;               /* transactions started */
    int code;                   /* last SMTP reply code */
    char enhanced[16];
    char text[160];             /* last reply text */
};

struct journal_counts {
    size_t n[JOURNAL_NSTATES];
};

/*
 * Open (creating) DIR/CAMPAIGN.journal and take the campaign's lock without waiting.
 * Replays the file: a torn last line (crash mid-write) is cut off, and addresses left in
 * START become UNCERTAIN (recorded as such).  Errors: EX_TEMPFAIL when another run holds
 * the campaign, EX_CANTCREAT/EX_IOERR for the files, EX_DATAERR for a corrupt journal.
 * Caller frees with journal_close().
 */
struct journal *journal_open(const char *dir, const char *campaign, struct diag *d);
/* Read a campaign's journal without locking it (for `gazette status`).  NULL, EX_NOINPUT, if
   there is none. */
struct journal *journal_read(const char *dir, const char *campaign, struct diag *d);

/* What the journal knows of addr (canonical); JOURNAL_NONE if nothing.  Thread-safe. */
struct journal_entry journal_get(struct journal *j, const char *addr);

/*
 * Record an event (thread-safe; text is sanitised, and cut to fit).  Returns a sequence
 * number for journal_sync(), or 0 when the journal cannot be written (the error is kept
 * and returned by journal_sync and journal_close).
 */
uint64_t journal_add(struct journal *j, const char *addr, enum journal_state st, int code,
    const char *enhanced, const char *text, double latency);
/* Hand every record up to seq to the kernel.  0, or -1 with d set (EX_IOERR). */
int journal_write(struct journal *j, uint64_t seq, struct diag *d);
/* Make every record up to seq durable (group commit).  0, or -1 with d set (EX_IOERR). */
int journal_sync(struct journal *j, uint64_t seq, struct diag *d);

/* Make everything appended so far durable.  0, or -1 with d set (EX_IOERR). */
int journal_flush(struct journal *j, struct diag *d);

void journal_counts(struct journal *j, struct journal_counts *c);
/* Call fn for each address with its entry, in first-seen order. */
void journal_each(struct journal *j, void (*fn)(void *ctx, const char *addr,
    const struct journal_entry *e), void *ctx);

/* Sync, unlock and free.  0, or -1 with d set if records could not be made durable. */
int journal_close(struct journal *j, struct diag *d);

/*
 * The pid of the gazette run sending campaign now (it holds DIR/CAMPAIGN.lock), -1 when
 * one is but its pid is unknown, 0 when none is.
 */
long journal_sender(const char *dir, const char *campaign);
const char *journal_state_name(enum journal_state st);

#endif
