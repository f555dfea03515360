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
#include <time.h>

struct diag;
struct issue;

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
 * Count one more permanent failure for each of addrs[0..n) in STATE/bounces and write the
 * addresses whose count reached limit to *over (caller frees each and the array).
 */
int campaign_count_bounces(const char *state_dir, char *const *addrs, size_t n, long limit,
    char ***over, size_t *nover, struct diag *d);

#endif
