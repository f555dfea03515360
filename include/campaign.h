/*
 * campaign: what the state folder remembers between runs.  A campaign is one issue sent
 * to the list; STATE/campaigns/ID.issue is its manifest (the issue file that composes it
 * again on a resume, so that articles added meanwhile never change a campaign half-way),
 * ID.journal its journal (journal.c), ID.done a marker once a run got to the end.  The
 * manifests together are the history: which articles went out, and the last issue
 * number.  STATE/bounces counts permanent failures per address across campaigns.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CAMPAIGN_H
#define GAZETTE_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct diag;
struct issue;
struct journal;
struct subs;
struct subscriber;

struct campaign_info {
    char *id;
    long number;
    bool done;
    double created;             /* seconds since the epoch (the manifest's mtime) */
};

struct campaign_list {
    struct campaign_info *v;    /* oldest first */
    size_t n;
    char **paths;               /* every article file any campaign included (sorted) */
    size_t npaths;
    long last_number;           /* 0 when there is none */
};

/* The folder of the journals and manifests: STATE/campaigns (caller frees). */
char *campaign_dir(const char *state_dir);
/* Read what the state folder holds.  Errors: EX_IOERR, EX_DATAERR (a bad manifest). */
int campaign_list(const char *state_dir, struct campaign_list *out, struct diag *d);
void campaign_list_fini(struct campaign_list *l);
/* true if path (absolute) went out in an earlier campaign. */
bool campaign_list_has(const struct campaign_list *l, const char *path);

/* Write ID.issue for the issue (atomically; article paths made absolute). */
int campaign_save(const char *state_dir, const char *id, const struct issue *is,
    struct diag *d);
/* The manifest's path, if the campaign has one (caller frees), else NULL. */
char *campaign_manifest(const char *state_dir, const char *id);
/* Mark the campaign done (a run reached its end). */
int campaign_mark_done(const char *state_dir, const char *id, struct diag *d);
/*
 * Temporary failures left for a later run (smtp.retry_after, smtp.retry_for): mark the
 * campaign as waiting from now, when it started waiting (0: it is not), and clear it.
 */
int campaign_mark_retry(const char *state_dir, const char *id, struct diag *d);
time_t campaign_retry_since(const char *state_dir, const char *id);
void campaign_clear_retry(const char *state_dir, const char *id);
/*
 * A run that had to stop (TLS, login, connection: mailer_run() failed): the reason is kept
 * until a later run of the campaign starts, for `gazette status`.  campaign_stopped()
 * returns it (caller frees) or NULL.
 */
int campaign_mark_stopped(const char *state_dir, const char *id, const char *reason,
    struct diag *d);
char *campaign_stopped(const char *state_dir, const char *id);
/* The campaign's subject, kept when it began, for `gazette status` (caller frees; NULL). */
int campaign_save_subject(const char *state_dir, const char *id, const char *subject,
    struct diag *d);
char *campaign_subject(const char *state_dir, const char *id);
void campaign_clear_stopped(const char *state_dir, const char *id);

/*
 * Count one more permanent failure for each of addrs[0..n) in STATE/bounces (under its
 * lock, replaced atomically) and write the addresses whose count reached limit (0: none)
 * to *over (caller frees each and the array).  Lines of the file that do not read as
 * "ADDRESS TAB COUNT" are kept as they are.  Errors: EX_IOERR when the file exists but
 * cannot be read (it is then not rewritten) or cannot be written, EX_TEMPFAIL when its
 * lock stays busy.
 */
int campaign_count_bounces(const char *state_dir, char *const *addrs, size_t n, long limit,
    char ***over, size_t *nover, struct diag *d);
/*
 * The bounce bookkeeping after a run: campaign_count_bounces(), then the addresses past
 * limit are marked "bounced" in the subscriber list at subs_path (subs_apply()); *marked
 * says how many changed.  Errors: those two functions'.
 */
int campaign_record_bounces(const char *state_dir, const char *subs_path, char *const *addrs,
    size_t n, long limit, size_t *marked, struct diag *d);

/* Which subscribers one run of a campaign sends to. */
struct campaign_due_opts {
    bool retry_failed;          /* --retry-failed: only temporary failures (and uncertain
                                   ones with resend_uncertain) */
    bool resend_uncertain;      /* smtp.resend_uncertain */
    long shard_i, shard_n;      /* --shard I/N: only the I-th (from 1) of N; N 0: all */
    long limit;                 /* --limit: at most this many (0: all) */
};

/*
 * The exactly-once rule: the subscribers of list still due in this run of the campaign
 * whose journal is jn (NULL: nothing was sent yet), in list order.  Due: active, in the
 * shard, and not sent, refused for good, skipped or uncertain according to the journal
 * (uncertain ones again only with resend_uncertain); with retry_failed, only those whose
 * last try failed temporarily.  Returns how many; *todo (caller frees the array) points
 * into list; *cut says the limit left due ones for a later run.
 */
size_t campaign_due(const struct subs *list, struct journal *jn,
    const struct campaign_due_opts *o, const struct subscriber ***todo, bool *cut);
/* Which shard an address falls in: campaign_shard_hash(addr) % N (ASCII case folded). */
uint32_t campaign_shard_hash(const char *addr);

#endif
