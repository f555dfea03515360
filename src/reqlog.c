/*
 * reqlog: subscribers' own requests, durable before they are acknowledged, applied to
 * subscribers.yaml in batches through subs_apply().  Files in STATE/requests/:
 *   GEN.log   records, one per line, appended by one writer each (it holds a shared
 *             flock on it while it may still write; a file nobody holds is complete)
 *   applied   "GEN OFFSET" lines: how far each log file has been applied
 *   applying  the intent around a list replacement: the FNV-1a hash of the list before,
 *             and the "applied" lines that hold once the list is replaced
 *   list      the full path of the list these requests are for
 *   .apply.lock   appliers take turns
 * A record: "TYPE TIME EMAIL NAME TAGS CHECK\n", fields percent-encoded, tags joined by
 * commas, CHECK the FNV-1a 64 hash of what precedes it (a torn line is never applied).
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "diag.h"
#include "lock.h"
#include "log.h"
#include "reqlog.h"
#include "subs.h"
#include "text.h"
#include "util.h"

#define REQLOG_DIR "requests"
#define REQLOG_MAX_FILES 100000

static const char *const type_names[REQLOG_NTYPES] = { "unsubscribe", "resubscribe",
    "pending", "confirm" };

struct reqlog {
    char *dir;
    int fd;
    uint64_t gen;
    size_t size;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t written, synced;   /* records, since open */
    uint64_t nsyncs;            /* fdatasync calls */
    bool syncing, failed;
};

const char *
reqlog_type_name(enum reqlog_type t)
{
    return (unsigned)t < REQLOG_NTYPES ? type_names[t] : "?";
}

static char *
req_dir(const char *state_dir)
{
    struct buf b;

    buf_init(&b, 0);
    buf_putf(&b, "%s/%s", state_dir, REQLOG_DIR);
    return buf_steal(&b);
}

static char *
join(const char *dir, const char *name)
{
    struct buf b;

    buf_init(&b, 0);
    buf_putf(&b, "%s/%s", dir, name);
    return buf_steal(&b);
}

static char *
gen_path(const char *dir, uint64_t gen)
{
    struct buf b;

    buf_init(&b, 0);
    buf_putf(&b, "%s/%020" PRIu64 ".log", dir, gen);
    return buf_steal(&b);
}

/* ---- records ----------------------------------------------------------------------- */

static void
enc(struct buf *b, const char *s, bool comma)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= 0x20 || c == 0x7f || c == '%' || (comma && c == ','))
            buf_putf(b, "%%%02X", c);
        else
            buf_putc(b, (char)c);
    }
}

/* Decode p[0..n) in place; its new length, or -1 for a bad escape or a NUL. */
static long
dec(char *p, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%') {
            int hi, lo;

            if (i + 2 >= n || (hi = text_hex_value(p[i + 1])) < 0 ||
                (lo = text_hex_value(p[i + 2])) < 0)
                return -1;
            if (hi == 0 && lo == 0)
                return -1;
            p[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else
            p[o++] = p[i];
    }
    return (long)o;
}

static void
record_format(struct buf *b, const struct reqlog_req *q)
{
    uint64_t h;

    buf_putf(b, "%s %lld ", type_names[q->type], (long long)(q->when ? q->when : time(NULL)));
    enc(b, q->email, false);
    buf_putc(b, ' ');
    enc(b, q->name ? q->name : "", false);
    buf_putc(b, ' ');
    for (size_t i = 0; i < q->ntags; i++) {
        if (i)
            buf_putc(b, ',');
        enc(b, q->tags[i], true);
    }
    h = text_hash64(buf_str(b), b->len);
    buf_putf(b, " %016" PRIx64 "\n", h);
}

/* A parsed record; strings point into the (decoded) line. */
struct rec {
    enum reqlog_type type;
    time_t when;
    char *email, *name;
    char *tags[32];
    size_t ntags;
};

/* Parse one line p[0..n) (without its newline) in place; 0 or -1 when it is not valid. */
static int
record_parse(char *p, size_t n, struct rec *r)
{
    char *f[6];
    size_t nf = 0, start = 0;
    char hex[17];
    long l;

    if (n < 18 || p[n - 17] != ' ')
        return -1;
    snprintf(hex, sizeof(hex), "%016" PRIx64, text_hash64(p, n - 17));
    if (memcmp(hex, p + n - 16, 16) != 0)
        return -1;
    n -= 17;
    p[n] = '\0';
    for (size_t i = 0; i <= n && nf < 6; i++) {
        if (i == n || p[i] == ' ') {
            p[i] = '\0';
            f[nf++] = p + start;
            start = i + 1;
        }
    }
    if (nf != 5)
        return -1;
    memset(r, 0, sizeof(*r));
    for (l = 0; l < REQLOG_NTYPES; l++)
        if (strcmp(f[0], type_names[l]) == 0)
            break;
    if (l == REQLOG_NTYPES)
        return -1;
    r->type = (enum reqlog_type)l;
    if (parse_long(f[1], 0, 0x7fffffffL, &l) == -1)
        return -1;
    r->when = (time_t)l;
    for (int i = 2; i <= 3; i++) {
        long m = dec(f[i], strlen(f[i]));

        if (m < 0)
            return -1;
        f[i][m] = '\0';
    }
    r->email = f[2];
    r->name = f[3];
    if (*r->email == '\0')
        return -1;
    for (char *t = f[4]; *t && r->ntags < 32;) {
        char *e = strchr(t, ',');
        long m;

        if (e != NULL)
            *e = '\0';
        if ((m = dec(t, strlen(t))) < 0)
            return -1;
        t[m] = '\0';
        if (*t)
            r->tags[r->ntags++] = t;
        if (e == NULL)
            break;
        t = e + 1;
    }
    return 0;
}

/* The full path of the list (realpath of its folder: the file itself may not exist yet). */
static char *
list_key(const char *subs_path)
{
    const char *slash = strrchr(subs_path, '/');
    char *dir = slash ? xstrndup(subs_path, (size_t)(slash - subs_path)) : xstrdup(".");
    char *real = realpath(*dir ? dir : "/", NULL);
    struct buf b;

    buf_init(&b, 0);
    buf_putf(&b, "%s/%s\n", real ? real : dir, slash ? slash + 1 : subs_path);
    free(real);
    free(dir);
    return buf_steal(&b);
}

/* Whether these requests are for the list at subs_path; the first list claims them. */
static int
same_list(const char *dir, const char *subs_path, bool *same, struct diag *d)
{
    char *path = join(dir, "list"), *key = list_key(subs_path), *have;
    int rc = 0;

    *same = true;
    if ((have = read_file(path, NULL)) != NULL)
        *same = strcmp(have, key) == 0;
    else if (atomic_replace(path, key, strlen(key), d) == -1)
        rc = -1;
    free(have);
    free(key);
    free(path);
    return rc;
}

/* ---- writing ----------------------------------------------------------------------- */

/* The generations listed in the marker and present as files: the highest, 0 if none. */
static uint64_t
highest_gen(const char *dir)
{
    uint64_t best = 0;
    DIR *dp = opendir(dir);
    struct dirent *de;
    char *mark = join(dir, "applied");
    char *text = read_file(mark, NULL);

    while (dp != NULL && (de = readdir(dp)) != NULL) {
        char *end;
        unsigned long long g;

        if (!IS_DIGIT(de->d_name[0]))
            continue;
        errno = 0;
        g = strtoull(de->d_name, &end, 10);
        if (errno == 0 && strcmp(end, ".log") == 0 && g > best)
            best = g;
    }
    if (dp != NULL)
        closedir(dp);
    for (char *p = text; p != NULL && *p;) {
        unsigned long long g = strtoull(p, NULL, 10);

        if (g > best)
            best = g;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    free(text);
    free(mark);
    return best;
}

/* Begin the next generation's file; called with r->mu held, or before it is shared. */
static int
begin_file(struct reqlog *r, struct diag *d)
{
    char *lockp = join(r->dir, ".apply.lock"), *path = NULL;
    int lk, fd = -1, rc = -1;

    /* under the appliers' lock, so that no applier reads a marker for a number reused */
    if ((lk = lock_path(lockp, -1, d)) == -1)
        goto out;
    r->gen = highest_gen(r->dir) + 1;
    path = gen_path(r->dir, r->gen);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1 || flock(fd, LOCK_SH) == -1 || fsync_dir(r->dir) == -1) {
        diag_set(d, EX_CANTCREAT, "cannot create the request log: %s", strerror(errno));
        diag_path(d, path);
        if (fd != -1) {
            close(fd);
            unlink(path);
        }
        lock_release(lk);
        goto out;
    }
    lock_release(lk);
    r->fd = fd;
    r->size = 0;
    rc = 0;
out:
    free(lockp);
    free(path);
    return rc;
}

/*
 * The writer says which list its requests are for.  Another list than the recorded one
 * takes over only when no request waits for the old one.
 */
static int
claim_list(const char *state_dir, const char *dir, const char *subs_path, struct diag *d)
{
    char *path = join(dir, "list"), *key = list_key(subs_path), *have = read_file(path, NULL);
    char *lockp = join(dir, ".apply.lock");
    size_t n = 0;
    int lk, rc = -1;

    if ((lk = lock_path(lockp, -1, d)) == -1)
        goto out;
    if (have == NULL || strcmp(have, key) != 0) {
        if (have != NULL && reqlog_pending(state_dir, &n, NULL, d) == -1)
            goto out;
        if (n > 0) {
            diag_set(d, EX_CONFIG, "%zu subscriber requests wait for the list %.*s, not %s; "
                "apply them first ('gazette --subscribers THAT-LIST subscribers count')",
                n, (int)strcspn(have, "\n"), have, subs_path);
            goto out;
        }
        if (atomic_replace(path, key, strlen(key), d) == -1)
            goto out;
    }
    rc = 0;
out:
    if (lk != -1)
        lock_release(lk);
    free(path);
    free(key);
    free(have);
    free(lockp);
    return rc;
}

struct reqlog *
reqlog_open(const char *state_dir, const char *subs_path, struct diag *d)
{
    struct reqlog *r = xcalloc(1, sizeof(*r));
    const char *failed;

    r->dir = req_dir(state_dir);
    r->fd = -1;
    if (mkdir_p(r->dir, 0700, &failed) == -1) {
        diag_set(d, EX_CANTCREAT, "cannot make the folder: %s", strerror(errno));
        diag_path(d, failed);
        goto fail;
    }
    if (claim_list(state_dir, r->dir, subs_path, d) == -1 || begin_file(r, d) == -1)
        goto fail;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    return r;
fail:
    free(r->dir);
    free(r);
    return NULL;
}

void
reqlog_close(struct reqlog *r)
{
    struct diag d = DIAG_INIT;

    if (r == NULL)
        return;
    if (reqlog_sync(r, reqlog_written(r), &d) == -1)
        diag_print(&d);
    close(r->fd);               /* drops the shared lock: the file is complete */
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->dir);
    free(r);
}

uint64_t
reqlog_syncs(struct reqlog *r)
{
    uint64_t n;

    pthread_mutex_lock(&r->mu);
    n = r->nsyncs;
    pthread_mutex_unlock(&r->mu);
    return n;
}

uint64_t
reqlog_written(struct reqlog *r)
{
    uint64_t w;

    pthread_mutex_lock(&r->mu);
    w = r->written;
    pthread_mutex_unlock(&r->mu);
    return w;
}

int
reqlog_append(struct reqlog *r, const struct reqlog_req *q, uint64_t *ticket, struct diag *d)
{
    struct buf b;
    int rc = -1;

    if ((unsigned)q->type >= REQLOG_NTYPES || q->email == NULL || *q->email == '\0') {
        diag_set(d, EX_SOFTWARE, "a request without a type or an address");
        return -1;
    }
    buf_init(&b, REQLOG_LINE_MAX);
    record_format(&b, q);                   /* appends with buf_put: checked once here */
    if (buf_failed(&b)) {
        diag_set(d, EX_DATAERR, "the request for %.60s is longer than %d bytes once "
            "percent-encoded; its address, name and tags together must fit", q->email,
            REQLOG_LINE_MAX);
        return -1;
    }
    pthread_mutex_lock(&r->mu);
    if (r->failed) {
        diag_set(d, EX_IOERR, "the request log could not be synced earlier");
        goto out;
    }
    if (r->size + b.len > REQLOG_ROTATE) {
        /* everything in the old file durable, then a new file; the old one is complete */
        while (r->syncing)
            pthread_cond_wait(&r->cv, &r->mu);
        r->nsyncs++;
        if (fdatasync(r->fd) == -1) {
            r->failed = true;
            diag_set(d, EX_IOERR, "cannot sync the request log: %s", strerror(errno));
            goto out;
        }
        r->synced = r->written;
        close(r->fd);
        r->fd = -1;
        if (begin_file(r, d) == -1) {
            r->failed = true;
            goto out;
        }
    }
    if (write_all(r->fd, buf_str(&b), b.len) == -1) {
        diag_set(d, EX_IOERR, "cannot write the request log: %s", strerror(errno));
        goto out;
    }
    r->size += b.len;
    *ticket = ++r->written;
    rc = 0;
out:
    pthread_mutex_unlock(&r->mu);
    buf_fini(&b);
    return rc;
}

int
reqlog_sync(struct reqlog *r, uint64_t ticket, struct diag *d)
{
    int rc = 0;

    pthread_mutex_lock(&r->mu);
    while (r->synced < ticket && !r->failed) {
        if (r->syncing) {
            pthread_cond_wait(&r->cv, &r->mu);
            continue;
        }
        /* this caller syncs for every record written so far (group commit) */
        uint64_t target = r->written;
        int fd = r->fd, e;

        r->syncing = true;
        pthread_mutex_unlock(&r->mu);
        e = fdatasync(fd) == -1 ? errno : 0;
        pthread_mutex_lock(&r->mu);
        r->nsyncs++;
        r->syncing = false;
        if (e != 0) {
            r->failed = true;
            errno = e;
        } else if (target > r->synced)
            r->synced = target;
        pthread_cond_broadcast(&r->cv);
    }
    if (r->failed) {
        diag_set(d, EX_IOERR, "cannot sync the request log: %s", strerror(errno));
        rc = -1;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------- */

struct gen {
    uint64_t gen;
    size_t off;                 /* applied up to here */
    size_t end;                 /* complete lines up to here */
    size_t size;
    bool complete;              /* nobody writes it any more */
    char *text;
};

struct state {
    char *dir;
    struct gen *v;
    size_t n;
};

static int
gen_cmp(const void *a, const void *b)
{
    const struct gen *x = a, *y = b;

    return x->gen < y->gen ? -1 : x->gen > y->gen;
}

static size_t
marker_off(const char *text, uint64_t gen)
{
    for (const char *p = text; p != NULL && *p;) {
        char *end;
        unsigned long long g = strtoull(p, &end, 10);

        if (g == gen && *end == ' ')
            return (size_t)strtoull(end + 1, NULL, 10);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return 0;
}

static void
state_fini(struct state *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].text);
    free(s->v);
    free(s->dir);
}

/* Read the marker and every log file (their text from the marker's offset on). */
static int
state_load(struct state *s, const char *state_dir, struct diag *d)
{
    char *mark, *mtext;
    DIR *dp;
    struct dirent *de;
    size_t cap = 0;

    memset(s, 0, sizeof(*s));
    s->dir = req_dir(state_dir);
    if ((dp = opendir(s->dir)) == NULL) {
        if (errno == ENOENT)
            return 0;
        diag_set(d, EX_IOERR, "cannot read the folder: %s", strerror(errno));
        diag_path(d, s->dir);
        return -1;
    }
    mark = join(s->dir, "applied");
    mtext = read_file(mark, NULL);
    free(mark);
    while ((de = readdir(dp)) != NULL) {
        char *end, *path;
        unsigned long long g;
        struct gen *e;
        int fd;
        struct stat st;

        if (!IS_DIGIT(de->d_name[0]))
            continue;
        errno = 0;
        g = strtoull(de->d_name, &end, 10);
        if (errno != 0 || strcmp(end, ".log") != 0 || s->n >= REQLOG_MAX_FILES)
            continue;
        if (s->n == cap) {
            cap = cap ? cap * 2 : 8;
            s->v = xreallocarray(s->v, cap, sizeof(*s->v));
        }
        e = &s->v[s->n];
        memset(e, 0, sizeof(*e));
        e->gen = g;
        e->off = marker_off(mtext, g);
        path = join(s->dir, de->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd == -1 || fstat(fd, &st) == -1) {
            if (fd != -1)
                close(fd);
            if (errno == ENOENT) {
                free(path);
                continue;
            }
            diag_set(d, EX_IOERR, "cannot read the request log: %s", strerror(errno));
            diag_path(d, path);
            free(path);
            closedir(dp);
            free(mtext);
            return -1;
        }
        /* the writer holds a shared lock while it may still append */
        e->complete = flock(fd, LOCK_EX | LOCK_NB) == 0;
        e->size = (size_t)st.st_size;
        if (e->off > e->size)
            e->off = e->size;
        e->text = xmalloc(e->size - e->off + 1);
        {
            size_t got = 0;

            while (got < e->size - e->off) {
                ssize_t k = pread(fd, e->text + got, e->size - e->off - got,
                    (off_t)(e->off + got));

                if (k <= 0)
                    break;
                got += (size_t)k;
            }
            e->text[got] = '\0';
            /* complete lines only: a writer may be in the middle of one */
            while (got > 0 && e->text[got - 1] != '\n')
                got--;
            /* in a complete file, a last line without its end is a torn write: junk */
            e->end = e->complete ? e->size : e->off + got;
        }
        close(fd);
        free(path);
        s->n++;
    }
    closedir(dp);
    free(mtext);
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), gen_cmp);
    return 0;
}

/* Call fn for each valid record of s (beyond the marker); the count. */
static size_t
state_each(struct state *s, void (*fn)(void *, struct rec *), void *ctx)
{
    size_t n = 0;

    for (size_t i = 0; i < s->n; i++) {
        struct gen *e = &s->v[i];
        char *p = e->text, *end = e->text + (e->end - e->off);

        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            struct rec r;

            if (nl == NULL)
                break;
            if (nl - p < REQLOG_LINE_MAX && record_parse(p, (size_t)(nl - p), &r) == 0) {
                n++;
                if (fn != NULL)
                    fn(ctx, &r);
            }
            p = nl + 1;
        }
    }
    return n;
}

static void
oldest_fn(void *ctx, struct rec *r)
{
    time_t *t = ctx;

    if (*t == 0 || r->when < *t)
        *t = r->when;
}

int
reqlog_pending(const char *state_dir, size_t *n, time_t *oldest, struct diag *d)
{
    struct state s;
    time_t t = 0;

    if (state_load(&s, state_dir, d) == -1) {
        state_fini(&s);
        return -1;
    }
    *n = state_each(&s, oldest_fn, &t);
    if (oldest != NULL)
        *oldest = t;
    state_fini(&s);
    return 0;
}

/* ---- applying ---------------------------------------------------------------------- */


#define ST_NONE (-1)

/* What the batch does to one address. */
struct slot {
    const char *email;          /* into the records' text */
    int orig, cur;              /* status before the batch and after it; ST_NONE */
    const char *name;
    char **tags;
    size_t ntags;
    time_t when;
    uint64_t hash;
};

struct batch {
    const struct subs *list;
    struct slot *v;
    size_t n, cap;
    uint32_t *idx;              /* open addressing: slot index + 1 */
    size_t icap;
    struct reqlog_stats *st;
};

static void
batch_grow(struct batch *b)
{
    size_t ncap = b->icap ? b->icap * 2 : 1024;
    uint32_t *ni = xcalloc(ncap, sizeof(*ni));

    for (size_t i = 0; i < b->n; i++) {
        size_t j = b->v[i].hash & (ncap - 1);

        while (ni[j] != 0)
            j = (j + 1) & (ncap - 1);
        ni[j] = (uint32_t)(i + 1);
    }
    free(b->idx);
    b->idx = ni;
    b->icap = ncap;
}

static struct slot *
batch_slot(struct batch *b, const char *email)
{
    uint64_t h = text_hash64_fold(email, strlen(email));
    size_t j;
    struct slot *s;
    const struct subscriber *sub;

    if (b->icap == 0 || (b->n + 1) * 2 > b->icap)
        batch_grow(b);
    for (j = h & (b->icap - 1); b->idx[j] != 0; j = (j + 1) & (b->icap - 1)) {
        s = &b->v[b->idx[j] - 1];
        if (s->hash == h && ascii_strcasecmp(s->email, email) == 0)
            return s;
    }
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
    }
    s = &b->v[b->n];
    memset(s, 0, sizeof(*s));
    s->email = email;
    s->hash = h;
    sub = b->list ? subs_find(b->list, email) : NULL;
    s->orig = s->cur = sub ? sub->status : ST_NONE;
    b->idx[j] = (uint32_t)(++b->n);
    return s;
}

static void
batch_fn(void *ctx, struct rec *r)
{
    struct batch *b = ctx;
    struct slot *s = batch_slot(b, r->email);

    b->st->records++;
    b->st->per_type[r->type]++;
    switch (r->type) {
    case REQLOG_UNSUBSCRIBE:
        if (s->cur != ST_NONE)
            s->cur = SUBS_UNSUBSCRIBED;
        break;
    case REQLOG_RESUBSCRIBE:
        if (s->cur == SUBS_UNSUBSCRIBED)
            s->cur = SUBS_ACTIVE;
        break;
    case REQLOG_PENDING:
        if (s->cur == ST_NONE || s->cur == SUBS_UNSUBSCRIBED || s->cur == SUBS_BOUNCED) {
            s->cur = SUBS_PENDING;
            if (s->orig == ST_NONE) {
                s->name = r->name;
                free(s->tags);
                s->tags = xcalloc(r->ntags ? r->ntags : 1, sizeof(char *));
                for (size_t i = 0; i < r->ntags; i++)
                    s->tags[i] = r->tags[i];
                s->ntags = r->ntags;
                s->when = r->when;
            }
        }
        break;
    case REQLOG_CONFIRM:
        if (s->cur == SUBS_PENDING)
            s->cur = SUBS_ACTIVE;
        break;
    }
}

static void
marker_text(struct buf *b, const struct state *s, bool applied)
{
    for (size_t i = 0; i < s->n; i++)
        buf_putf(b, "%" PRIu64 " %zu\n", s->v[i].gen, applied ? s->v[i].end : s->v[i].off);
}

/* A leftover intent: was the list replaced (then the marker takes its target) or not? */
static int
recover(const char *dir, const char *subs_path, struct diag *d)
{
    char *ipath = join(dir, "applying"), *mpath = join(dir, "applied");
    char *itext = NULL, *ltext = NULL, *nl;
    size_t llen = 0;
    int rc = -1;

    if ((itext = read_file(ipath, NULL)) == NULL) {
        rc = errno == ENOENT ? 0 : -1;
        if (rc == -1)
            diag_set(d, EX_IOERR, "cannot read %s: %s", ipath, strerror(errno));
        goto out;
    }
    if ((ltext = read_file(subs_path, &llen)) == NULL && errno != ENOENT) {
        diag_set(d, EX_IOERR, "cannot read the list: %s", strerror(errno));
        diag_path(d, subs_path);
        goto out;
    }
    nl = strchr(itext, '\n');
    if (strncmp(itext, "hash ", 5) == 0 && nl != NULL) {
        char hex[17];

        snprintf(hex, sizeof(hex), "%016" PRIx64, text_hash64(ltext ? ltext : "", llen));
        if (memcmp(itext + 5, hex, 16) != 0) {
            /* the list was replaced: the batch is in it */
            if (atomic_replace(mpath, nl + 1, strlen(nl + 1), d) == -1)
                goto out;
        }
    }
    if (unlink(ipath) == -1 || fsync_dir(dir) == -1) {
        diag_set(d, EX_IOERR, "cannot remove %s: %s", ipath, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(ipath);
    free(mpath);
    free(itext);
    free(ltext);
    return rc;
}

/* Fault injection for the crash tests: GAZETTE_TEST_KILL=POINT dies there, as kill -9. */
static void
test_kill(const char *point)
{
    const char *e = getenv("GAZETTE_TEST_KILL");

    if (e != NULL && strcmp(e, point) == 0)
        raise(SIGKILL);
}

static void
iso_time(char *out, size_t size, time_t t)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The batch's net changes as list edits (a new address gets its request's time). */
static size_t
batch_changes(const struct batch *b, struct subs_change *ch, char (*stamps)[32])
{
    size_t nch = 0;

    for (size_t i = 0; i < b->n; i++) {
        const struct slot *sl = &b->v[i];
        struct subs_change *c = &ch[nch];

        if (sl->cur == sl->orig)
            continue;
        memset(c, 0, sizeof(*c));
        c->email = sl->email;
        c->status = sl->cur;
        if (sl->orig == ST_NONE) {
            c->op = SUBS_ADD;
            c->name = sl->name && *sl->name ? sl->name : NULL;
            c->tags = (const char *const *)sl->tags;
            c->ntags = sl->ntags;
            iso_time(stamps[i], sizeof(stamps[i]), sl->when);
            c->subscribed_at = stamps[i];
        } else
            c->op = SUBS_SET_STATUS;
        nch++;
    }
    return nch;
}

/*
 * The intent first (how to tell, after a crash, whether the list was replaced: the
 * list's hash before, and the marker it leads to), then the list edit.
 */
static int
apply_changes(const char *subs_path, const char *ipath, const struct subs *list,
    const struct state *s, struct subs_change *ch, size_t nch, int wait_ms,
    struct reqlog_stats *stp, struct diag *d)
{
    struct buf ib;
    int rc;

    buf_init(&ib, 0);
    buf_putf(&ib, "hash %016" PRIx64 "\n", text_hash64(list->text, list->len));
    marker_text(&ib, s, true);
    rc = atomic_replace(ipath, buf_str(&ib), ib.len, d);
    buf_fini(&ib);
    if (rc == -1)
        return -1;
    test_kill("reqlog-intent");
    if (subs_apply(subs_path, ch, nch, wait_ms, d) == -1) {
        unlink(ipath);
        return -1;
    }
    test_kill("reqlog-list");
    stp->rewrites = 1;
    for (size_t i = 0; i < nch; i++) {
        if (ch[i].done == SUBS_DONE_REJECTED)
            log_warnx("request for %s not applied: %s", ch[i].email, ch[i].why);
        else if (ch[i].done != SUBS_DONE_UNCHANGED)
            stp->changed++;
    }
    return 0;
}

int
reqlog_apply(const char *state_dir, const char *subs_path, int wait_ms,
    struct reqlog_stats *stp, struct diag *d)
{
    struct reqlog_stats stl;
    struct state s;
    struct batch b;
    struct subs *list = NULL;
    struct subs_change *ch = NULL;
    char (*stamps)[32] = NULL;
    char *dir = req_dir(state_dir), *lockp = NULL, *ipath = NULL, *mpath = NULL;
    struct buf mb;
    size_t nch = 0;
    bool any = false;
    int lk = -1, rc = -1;
    struct stat sst;

    memset(&s, 0, sizeof(s));
    memset(&b, 0, sizeof(b));
    buf_init(&mb, 0);
    if (stp == NULL)
        stp = &stl;
    memset(stp, 0, sizeof(*stp));
    if (stat(dir, &sst) == -1 && errno == ENOENT) {
        rc = 0;                             /* no request ever */
        goto out;
    }
    lockp = join(dir, ".apply.lock");
    ipath = join(dir, "applying");
    mpath = join(dir, "applied");
    if ((lk = lock_path(lockp, wait_ms, d)) == -1)
        goto out;
    {
        bool same;

        if (same_list(dir, subs_path, &same, d) == -1)
            goto out;
        if (!same) {
            stp->other_list = true;
            rc = 0;
            goto out;
        }
    }
    if (recover(dir, subs_path, d) == -1 || state_load(&s, state_dir, d) == -1)
        goto out;
    for (size_t i = 0; i < s.n; i++)
        if (s.v[i].end > s.v[i].off)
            any = true;
    if (any) {
        if ((list = subs_load(subs_path, SUBS_MISSING_OK, NULL, d)) == NULL)
            goto out;
        b.list = list;
        b.st = stp;
        (void)state_each(&s, batch_fn, &b);
        ch = xcalloc(b.n ? b.n : 1, sizeof(*ch));
        stamps = xcalloc(b.n ? b.n : 1, sizeof(*stamps));
        nch = batch_changes(&b, ch, stamps);
        if (nch > 0 && apply_changes(subs_path, ipath, list, &s, ch, nch, wait_ms, stp,
            d) == -1)
            goto out;
    }
    /* the marker, then the intent goes; complete, applied files go last */
    marker_text(&mb, &s, true);
    if (any && atomic_replace(mpath, buf_str(&mb), mb.len, d) == -1)
        goto out;
    test_kill("reqlog-marker");
    if (nch > 0 && (unlink(ipath) == -1 || fsync_dir(dir) == -1)) {
        diag_set(d, EX_IOERR, "cannot remove %s: %s", ipath, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < s.n; i++) {
        if (s.v[i].complete && s.v[i].end == s.v[i].size) {
            char *p = gen_path(dir, s.v[i].gen);

            unlink(p);
            free(p);
        }
    }
    rc = 0;
out:
    if (lk != -1)
        lock_release(lk);
    for (size_t i = 0; i < b.n; i++)
        free(b.v[i].tags);
    free(b.v);
    free(b.idx);
    free(ch);
    free(stamps);
    subs_free(list);
    state_fini(&s);
    buf_fini(&mb);
    free(dir);
    free(lockp);
    free(ipath);
    free(mpath);
    return rc;
}
