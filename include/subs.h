/*
 * subs: the subscriber list (subscribers.yaml).  Loading keeps the file's bytes and each
 * entry's byte span, so that a CLI edit rewrites only the entry it touches: comments,
 * order and formatting of the rest stay byte for byte.  Every write happens under an
 * exclusive lock and replaces the file atomically; a file with an error is never written.
 * All strings of the list live in one arena.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_SUBS_H
#define GAZETTE_SUBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct buf;
struct diag;

enum subs_status {
    SUBS_ACTIVE,
    SUBS_PENDING,
    SUBS_UNSUBSCRIBED,
    SUBS_BOUNCED,
};
#define SUBS_NSTATUS 4

struct subs_field {
    const char *key;
    const char *val;
};

struct subscriber {
    const char *email;          /* as written in the file */
    const char *addr;           /* canonical: domain lower-cased, IDN as A-label */
    const char *name;           /* "" when none */
    const char *subscribed_at;  /* "" when none */
    const char **tags;
    struct subs_field *fields;
    uint16_t ntags, nfields;
    uint8_t status;             /* enum subs_status */
    uint8_t flow;               /* written as a {flow} map */
    uint8_t key_col;            /* column of the entry's keys (for an added line) */
    uint32_t line;              /* 1-based line of the entry */
    size_t start;               /* first byte of the entry's first line */
    uint32_t len;               /* bytes up to and including the last line's newline */
    uint32_t st_off, st_len;    /* the status value, relative to start; st_len 0 if absent */
};

/* The list; all strings are borrowed from it and valid until subs_free(). */
struct subs {
    char *path;
    char *text;                 /* the file's bytes, NUL-terminated */
    size_t len;
    struct arena arena;
    struct subscriber *v;
    size_t n, cap;
    uint64_t *hash;             /* open addressing on addr: hash << 32 | index + 1 */
    size_t hcap;
    /* where and how new entries are written */
    int shape;
    size_t append_at;           /* byte offset for the next entry */
    size_t empty_start, empty_end;  /* "[]" to remove before appending, when end > start */
    int dash_col, key_col;
    size_t nerrors;             /* problems found (only the first is in the diag) */
    bool fast;                  /* read by the fast path rather than libyaml */
};

/* What the loader reports: the first problem goes in d; all of them to cb when set. */
struct subs_report {
    void (*cb)(void *ctx, const struct diag *d);
    void *ctx;
};

#define SUBS_MISSING_OK 0x1     /* a missing file is an empty list */
#define SUBS_NO_FAST 0x2        /* always use libyaml (for tests of the fast path) */

/*
 * Parse the list in text (len bytes; copied).  Errors: EX_DATAERR with line and column,
 * for YAML syntax, unknown or missing keys, bad addresses, duplicates, bad statuses.
 * Returns NULL on any error; caller frees with subs_free().
 */
struct subs *subs_parse(const char *text, size_t len, const char *path, int flags,
    const struct subs_report *rep, struct diag *d);
/* Read and parse path.  EX_NOINPUT when it cannot be read (unless SUBS_MISSING_OK). */
struct subs *subs_load(const char *path, int flags, const struct subs_report *rep,
    struct diag *d);
void subs_free(struct subs *s);

/* The subscriber with this address (any spelling addr_check accepts), or NULL; borrowed. */
struct subscriber *subs_find(const struct subs *s, const char *email);

const char *subs_status_name(enum subs_status st);
/* -1 when name is not a status. */
int subs_status_parse(const char *name);

/* One change to the list; strings are borrowed for the call. */
struct subs_change {
    enum { SUBS_ADD, SUBS_REMOVE, SUBS_SET_STATUS, SUBS_UPSERT } op;
    const char *email;
    const char *name;           /* NULL: keep / none */
    const char *const *tags;    /* NULL: keep / none */
    size_t ntags;
    const char *const *fkeys;   /* fields, NULL: keep / none */
    const char *const *fvals;
    size_t nfields;
    int status;                 /* -1: keep (UPSERT) / active (ADD) */
    const char *subscribed_at;  /* NULL: now (ADD) */
    /* filled in by subs_apply: what happened */
    enum { SUBS_DONE_ADDED, SUBS_DONE_UPDATED, SUBS_DONE_UNCHANGED, SUBS_DONE_REMOVED,
        SUBS_DONE_REJECTED } done;
    bool notfound;              /* REJECTED because the address is not on the list */
    char why[256];              /* for REJECTED */
};

/*
 * Apply changes to the file at path: lock it, read and parse it fresh, splice each change
 * into the text, replace the file atomically, unlock.  A change that cannot be made (bad
 * address, not found, already there for ADD) is marked REJECTED with a reason and the
 * others still apply.  Errors: the file's own (EX_DATAERR: nothing is written),
 * EX_TEMPFAIL when the lock is busy for wait_ms, EX_IOERR/EX_CANTCREAT for the write.
 */
int subs_apply(const char *path, struct subs_change *ch, size_t n, int wait_ms,
    struct diag *d);
/*
 * subs_apply() for a caller that already loaded the list from path (a big list read once
 * per run, as `gazette inbox` does): when the file under the lock still has loaded's
 * bytes, loaded is edited instead of a second parse; when it changed, it is read fresh.
 * The call takes loaded (it is freed, whatever the result), so that two copies of a big
 * list are never in memory at once.
 */
int subs_apply_loaded(struct subs *loaded, const char *path, struct subs_change *ch,
    size_t n, int wait_ms, struct diag *d);

/* A CSV file being read (RFC 4180); set p, end and nextline = 1 before the first record. */
struct subs_csv {
    const char *p, *end;
    size_t line;                /* line where the current record starts */
    size_t nextline;
    char sep;                   /* the delimiter: ',' ';' '\t' ... (0: ',') */
};

/*
 * Read one record into out, its cells NUL-separated, their offsets in offs (at most maxcols).
 * Returns the cell count, 0 at the end, -1 on an unterminated quote, -2 past maxcols, -3
 * when the record is over out's maximum (a buffer with a max).
 */
int subs_csv_record(struct subs_csv *c, struct buf *out, size_t *offs, int maxcols);

/* Render one entry in the file's block style, indented by dash_col/key_col (for tests). */
void subs_render_entry(struct buf *out, const struct subscriber *sub, int dash_col,
    int key_col);

#endif
