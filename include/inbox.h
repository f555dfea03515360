/*
 * inbox: what `gazette inbox` does with the mail that comes back: bounces, complaints,
 * mailed unsubscribe requests and auto-replies, read from a Maildir, an mbox or one
 * message, classified by bounce.c, tied to a subscriber and a campaign (VERP token
 * first, then the address the report names), and applied to the list under the policy
 * of the config's bounce.* keys.  Every message becomes one event in STATE/events.jsonl;
 * the list is rewritten once per run, through the locked editor (subs_apply).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_INBOX_H
#define GAZETTE_INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config;
struct diag;

#define INBOX_EVENTS "events.jsonl"     /* in the state folder */

struct inbox_opts {
    const struct config *cfg;
    const char *subs_path;          /* the subscriber list */
    const char *secret;             /* newsletter secret (VERP tokens); NULL: none */
    bool dry_run;                   /* classify and report; change nothing */
    FILE *report;                   /* a line per message that needs a person (and, with
                                       verbose, per message); NULL: none */
    bool verbose;
};

struct inbox_stats {
    size_t messages;                /* read */
    size_t seen;                    /* handled by an earlier run: skipped */
    size_t hard, soft;              /* bounces attributed to a subscriber */
    size_t complaints, unsubscribes;
    size_t autoreplies, delivered;
    size_t unknown;                 /* not understood */
    size_t unattributed;            /* a bounce or complaint for nobody on the list */
    size_t forged;                  /* a VERP token whose signature does not hold */
    size_t bounced, unsubscribed;   /* subscribers whose status this run changed */
};

/*
 * Read every message of paths[0..n) ("-" is one message on standard input; a folder
 * with new/ and cur/ a Maildir; any other file an mbox, or one message when it does not
 * start with "From "), and apply them.  A Maildir message is moved from new/ to cur/
 * with the S flag once handled; every handled message's digest is in the events file,
 * so that a second run (or a second delivery of the same message) does nothing twice.
 * Errors: EX_NOINPUT (a path that cannot be read), EX_DATAERR (the list has an error),
 * EX_TEMPFAIL (the list or the inbox is locked by another run), EX_IOERR/EX_CANTCREAT
 * (the state folder).  The events are written (one fdatasync for the run) before the
 * Maildir's renames and the list edit; the status changes of a run whose list edit did
 * not finish (a crash, a list locked or read-only) carry no commit line, and the next
 * run makes them, for whoever is still mailed: nothing lost, nothing applied twice.
 */
int inbox_run(const struct inbox_opts *o, char *const *paths, size_t n,
    struct inbox_stats *st, struct diag *d);

/* Per-campaign counts from the events file, for `gazette status`. */
struct inbox_counts {
    size_t bounces, complaints, unsubscribes;
};
/*
 * Add up the events of campaign (NULL: those with no campaign) in state_dir's events
 * file into *c (zeroed first).  A missing file is all zeros.  0, or -1 (EX_IOERR).
 */
int inbox_campaign_counts(const char *state_dir, const char *campaign,
    struct inbox_counts *c, struct diag *d);

/*
 * The last status change the inbox made for addr (canonical): its date (YYYY-MM-DD) and
 * reason into date and why.  false when there is none.  For `subscribers list`.
 */
struct inbox_history;
struct inbox_history *inbox_history_load(const char *state_dir);
bool inbox_history_find(const struct inbox_history *h, const char *addr, char date[11],
    char *why, size_t whysize);
void inbox_history_free(struct inbox_history *h);

#endif
