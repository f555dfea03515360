/*
 * journal: per-campaign append-only event log.  Records are handed to the kernel with
 * journal_write() (enough to survive the process being killed) and made durable with
 * fdatasync in batches: by a flusher thread every JOURNAL_BATCH_MS, or at once for
 * journal_sync() (group commit: one caller syncs, the others wait for it).
 * Line format (tab-separated, one event):  SEQ MS STATE ADDR CODE ENHANCED TEXT LATENCY
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "journal.h"
#include "lock.h"
#include "util.h"

#define JOURNAL_FIELDS 8
#define JOURNAL_TEXT_MAX 150        /* reply text kept per event */
#define JOURNAL_ID_MAX 100          /* campaign ids become file names */
#define JOURNAL_BATCH_MS 100        /* everything written is durable within this */

static const char *const state_names[JOURNAL_NSTATES] = {
    "none", "start", "sent", "tempfail", "permfail", "uncertain", "skipped",
};

struct jrec {
    const char *addr;           /* in the arena */
    struct journal_entry e;
};

struct jslot {
    uint32_t idx;               /* index into v, + 1; 0 for an empty slot */
    uint32_t h;                 /* the address's hash: most misses never touch v */
};

struct journal {
    char *path;
    int fd, lockfd;
    bool readonly;
    pthread_mutex_t mu;
    pthread_cond_t wake;        /* to the flusher: stop */
    pthread_cond_t done;        /* a sync ended: durable moved */
    pthread_t flusher;
    bool running, stop;
    bool syncing;               /* some thread is in fdatasync */
    struct buf pending;         /* appended, not yet written */
    uint64_t seq;               /* last assigned */
    uint64_t written, durable;  /* last handed to the kernel; last made durable */
    off_t size;                 /* of the file, after the last whole write */
    struct diag err;            /* first write error */
    struct arena arena;
    struct jrec *v;
    size_t n, cap;
    struct jslot *hash;         /* open addressing, linear probing */
    size_t hcap;
};

static void *flush_loop(void *arg);

long
journal_sender(const char *dir, const char *campaign)
{
    struct buf path;
    char text[32];
    long pid = 0;
    ssize_t n;
    int fd;

    buf_init(&path, 0);
    buf_addf(&path, "%s/%s.lock", dir, campaign);
    fd = open(buf_str(&path), O_RDONLY | O_CLOEXEC);
    buf_fini(&path);
    if (fd == -1)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);             /* nobody is sending it */
        close(fd);
        return 0;
    }
    if (errno == EWOULDBLOCK && (n = pread(fd, text, sizeof(text) - 1, 0)) > 0) {
        text[n] = '\0';
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
            text[--n] = '\0';
        if (parse_long(text, 1, LONG_MAX, &pid) == -1)
            pid = -1;
    } else
        pid = errno == EWOULDBLOCK ? -1 : 0;
    close(fd);
    return pid;
}

const char *
journal_state_name(enum journal_state st)
{
    return (unsigned)st < JOURNAL_NSTATES ? state_names[st] : "?";
}

static int
state_parse(const char *s)
{
    for (int i = 0; i < JOURNAL_NSTATES; i++)
        if (strcmp(s, state_names[i]) == 0)
            return i;
    return -1;
}

static uint32_t
hash_str(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)TO_LOWER((unsigned char)*s)) * 16777619u;
    return h;
}

static void
rehash(struct journal *j)
{
    size_t ncap = j->hcap ? j->hcap * 2 : 1024;
    struct jslot *old = j->hash;
    size_t ocap = j->hcap;

    j->hash = xcalloc(ncap, sizeof(*j->hash));
    j->hcap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        size_t k = old[i].h & (ncap - 1);

        if (old[i].idx == 0)
            continue;
        while (j->hash[k].idx != 0)
            k = (k + 1) & (ncap - 1);
        j->hash[k] = old[i];
    }
    free(old);
}

/* The record for addr, created if missing (with the lock held). */
static struct jrec *
rec(struct journal *j, const char *addr, bool create)
{
    uint32_t h = hash_str(addr);
    size_t k = 0;

    if (j->hcap != 0) {
        for (k = h & (j->hcap - 1); j->hash[k].idx != 0; k = (k + 1) & (j->hcap - 1))
            if (j->hash[k].h == h && ascii_strcasecmp(j->v[j->hash[k].idx - 1].addr, addr) == 0)
                return &j->v[j->hash[k].idx - 1];
    }
    if (!create)
        return NULL;
    if (j->n == j->cap) {
        j->cap = j->cap ? j->cap * 2 : 256;
        j->v = xreallocarray(j->v, j->cap, sizeof(*j->v));
    }
    memset(&j->v[j->n], 0, sizeof(j->v[j->n]));
    j->v[j->n].addr = arena_strdup(&j->arena, addr);
    j->n++;
    if ((j->n + 1) * 2 > j->hcap) {
        rehash(j);
        for (k = h & (j->hcap - 1); j->hash[k].idx != 0; k = (k + 1) & (j->hcap - 1))
            ;
    }
    j->hash[k] = (struct jslot){ (uint32_t)j->n, h };   /* k: the empty slot the miss found */
    return &j->v[j->n - 1];
}

/* Copy s into out, cut to fit (apply() cleans the text already). */
static void
copy_cut(char *out, size_t size, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n >= size)
        n = size - 1;
    memcpy(out, s != NULL ? s : "", n);
    out[n] = '\0';
}

static void
apply(struct journal *j, const char *addr, enum journal_state st, int code,
    const char *enhanced, const char *text)
{
    struct jrec *r = rec(j, addr, true);

    r->e.state = st;
    if (st == JOURNAL_START)
        r->e.attempts++;
    if (st != JOURNAL_START) {
        r->e.code = code;
        copy_cut(r->e.enhanced, sizeof(r->e.enhanced), enhanced);
        copy_cut(r->e.text, sizeof(r->e.text), text);
    }
}

/* Copy s into out with tabs, line breaks and other controls made into spaces. */
static void
clean(char *out, size_t size, const char *s)
{
    size_t i = 0;

    for (; s != NULL && *s && i + 1 < size; s++)
        out[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
    /* never end inside a UTF-8 sequence */
    while (i > 0 && ((unsigned char)out[i - 1] & 0x80) != 0 && !utf8_is_valid(out, i))
        i--;
    out[i] = '\0';
}

static bool
id_is_valid(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > JOURNAL_ID_MAX || id[0] == '.' || id[0] == '-')
        return false;
    for (; *id; id++)
        if (!IS_ALNUM(*id) && *id != '.' && *id != '_' && *id != '-')
            return false;
    return true;
}

/* Replay the file's events; cut a torn last line.  0 or -1 (EX_DATAERR). */
static int
replay(struct journal *j, char *text, size_t len, struct diag *d)
{
    size_t lineno = 0;
    char *p = text, *end = text + len;

    j->size = (off_t)len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *f[JOURNAL_FIELDS];
        int nf = 0, st;
        long code;

        lineno++;
        if (nl == NULL) {
            /* a crash in the middle of a write: that event never became durable */
            if (!j->readonly && ftruncate(j->fd, (off_t)(p - text)) == -1) {
                diag_set(d, EX_IOERR, "cannot cut the torn last line: %s", strerror(errno));
                return -1;
            }
            j->size = (off_t)(p - text);
            break;
        }
        *nl = '\0';
        if (*p == '#' || *p == '\0') {
            p = nl + 1;
            continue;
        }
        for (char *c = p; nf < JOURNAL_FIELDS; ) {
            char *tab = strchr(c, '\t');

            f[nf++] = c;
            if (tab == NULL)
                break;
            *tab = '\0';
            c = tab + 1;
        }
        if (nf != JOURNAL_FIELDS || (st = state_parse(f[2])) <= 0 ||
            parse_long(f[4], 0, 999, &code) == -1) {
            diag_setat(d, EX_DATAERR, (int)lineno, 1, "this journal line is damaged; move the "
                "journal aside to start the campaign's record again (this may resend)");
            return -1;
        }
        apply(j, f[3], (enum journal_state)st, (int)code, f[5], f[6]);
        {
            long seq;

            if (parse_long(f[0], 0, 0x7fffffffffffffffL, &seq) == 0 && (uint64_t)seq > j->seq)
                j->seq = (uint64_t)seq;     /* read back: durable already */
        }
        p = nl + 1;
    }
    j->written = j->durable = j->seq;
    return 0;
}

static struct journal *
open_common(const char *dir, const char *campaign, bool readonly, struct diag *d)
{
    struct journal *j = NULL;
    struct buf path;
    char *text = NULL;
    size_t len = 0;

    if (!id_is_valid(campaign)) {
        diag_set(d, EX_DATAERR, "campaign id \"%s\" is not usable; use letters, digits, '.', "
            "'_' and '-' (at most %d)", campaign, JOURNAL_ID_MAX);
        return NULL;
    }
    j = xcalloc(1, sizeof(*j));
    j->fd = j->lockfd = -1;
    j->readonly = readonly;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->wake, NULL);
    pthread_cond_init(&j->done, NULL);
    buf_init(&j->pending, 0);
    buf_init(&path, 0);
    buf_addf(&path, "%s/%s.journal", dir, campaign);
    j->path = buf_steal(&path);
    if (!readonly) {
        const char *bad = dir;

        if (mkdir_p(dir, 0700, &bad) == -1) {
            diag_set(d, EX_CANTCREAT, "cannot create the folder %s: %s", bad, strerror(errno));
            goto fail;
        }
        buf_init(&path, 0);
        buf_addf(&path, "%s/%s.lock", dir, campaign);
        j->lockfd = lock_path(buf_str(&path), 0, d);
        buf_fini(&path);
        if (j->lockfd == -1) {
            if (d->code == EX_TEMPFAIL) {
                d->code = 0;
                diag_set(d, EX_TEMPFAIL, "campaign %s is being sent by another gazette run; "
                    "this one stops", campaign);
            }
            goto fail;
        }
        {
            /* who holds it, for `gazette status` (journal_sender()) */
            char pid[32];
            int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

            if (ftruncate(j->lockfd, 0) == -1 || pwrite(j->lockfd, pid, (size_t)n, 0) != n) {
                /* not fatal: status then shows no pid */
            }
        }
        j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (j->fd == -1) {
            diag_set(d, EX_CANTCREAT, "cannot open the journal: %s", strerror(errno));
            diag_path(d, j->path);
            goto fail;
        }
        /* fdatasync keeps the journal's records, not its name in the folder: sync that
           once, or a crash could lose a new campaign's whole record (and resend it all) */
        if (fsync_dir(dir) == -1) {
            diag_set(d, EX_IOERR, "cannot sync the folder %s: %s", dir, strerror(errno));
            goto fail;
        }

    }
    text = read_file(j->path, &len);
    if (text == NULL) {
        diag_set(d, readonly && errno == ENOENT ? EX_NOINPUT : EX_IOERR,
            "cannot read the journal: %s", strerror(errno));
        diag_path(d, j->path);
        goto fail;
    }
    if (replay(j, text, len, d) == -1) {
        diag_path(d, j->path);
        goto fail;
    }
    free(text);
    text = NULL;
    if (!readonly) {
        bool any = false;

        if (pthread_create(&j->flusher, NULL, flush_loop, j) != 0) {
            diag_set(d, EX_OSERR, "cannot start the journal thread");
            goto fail;
        }
        j->running = true;
        if (len == 0) {
            buf_addf(&j->pending, "# gazette journal v1 campaign %s\n", campaign);
            any = true;
        }
        for (size_t i = 0; i < j->n; i++)
            if (j->v[i].e.state == JOURNAL_START) {
                journal_add(j, j->v[i].addr, JOURNAL_UNCERTAIN, 0, "",
                    "the run stopped after the message was started; it may have arrived", 0);
                any = true;
            }
        if (any && journal_sync(j, j->seq, d) == -1)
            goto fail;
    } else {
        for (size_t i = 0; i < j->n; i++)
            if (j->v[i].e.state == JOURNAL_START)
                j->v[i].e.state = JOURNAL_UNCERTAIN;
    }
    return j;
fail:
    free(text);
    journal_close(j, NULL);
    return NULL;
}

struct journal *
journal_open(const char *dir, const char *campaign, struct diag *d)
{
    return open_common(dir, campaign, false, d);
}

struct journal *
journal_read(const char *dir, const char *campaign, struct diag *d)
{
    return open_common(dir, campaign, true, d);
}

struct journal_entry
journal_get(struct journal *j, const char *addr)
{
    struct journal_entry e;
    struct jrec *r;

    pthread_mutex_lock(&j->mu);
    r = rec(j, addr, false);
    if (r != NULL)
        e = r->e;
    else
        memset(&e, 0, sizeof(e));
    pthread_mutex_unlock(&j->mu);
    return e;
}

/* v in decimal, at least width digits, then end. */
static void
put_num(struct buf *b, uint64_t v, int width, char end)
{
    char d[24];
    int i = sizeof(d);

    d[--i] = end;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 || (int)sizeof(d) - 1 - i < width);
    buf_add(b, d + i, sizeof(d) - (size_t)i);
}

uint64_t
journal_add(struct journal *j, const char *addr, enum journal_state st, int code,
    const char *enhanced, const char *text, double latency)
{
    char t[JOURNAL_TEXT_MAX + 1], en[16], a[260];
    struct timespec ts;
    uint64_t seq, ms;

    clean(t, sizeof(t), text);
    clean(en, sizeof(en), enhanced);
    clean(a, sizeof(a), addr);
    clock_gettime(CLOCK_REALTIME, &ts);
    pthread_mutex_lock(&j->mu);
    seq = ++j->seq;
    ms = latency > 0 && latency < 1e9 ? (uint64_t)(latency * 1000 + 0.5) : 0;
    /* by hand, not printf: this runs twice for every message sent */
    put_num(&j->pending, seq, 1, '\t');
    put_num(&j->pending, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, 1, '\t');
    buf_adds(&j->pending, state_names[st]);
    buf_addc(&j->pending, '\t');
    buf_adds(&j->pending, a);
    buf_addc(&j->pending, '\t');
    put_num(&j->pending, code > 0 ? (uint64_t)code : 0, 1, '\t');
    buf_adds(&j->pending, en);
    buf_addc(&j->pending, '\t');
    buf_adds(&j->pending, t);
    buf_addc(&j->pending, '\t');
    put_num(&j->pending, ms / 1000, 1, '.');
    put_num(&j->pending, ms % 1000, 3, '\n');
    apply(j, a, st, code, en, t);
    pthread_mutex_unlock(&j->mu);
    return seq;
}

/* Hand what is pending to the kernel (with the lock held). */
static void
write_pending(struct journal *j)
{
    if (j->pending.len == 0 || diag_is_set(&j->err))
        return;
    if (write_all(j->fd, buf_str(&j->pending), j->pending.len) == -1) {
        diag_set(&j->err, EX_IOERR, "cannot write the journal: %s", strerror(errno));
        diag_path(&j->err, j->path);
        /* Whole lines of a part that did get written would be records the mailer was
           told had failed (a "start" whose message was then held back): cut them. */
        if (ftruncate(j->fd, j->size) == -1)
            diag_set(&j->err, EX_IOERR, "cannot cut a partly written record: %s",
                strerror(errno));
        return;
    }
    j->size += (off_t)j->pending.len;
    buf_reset(&j->pending);
    j->written = j->seq;
}

/*
 * Hand every record up to seq to the kernel and, when durable, make it durable: a group
 * commit, where the first caller that finds no sync running does the fdatasync for
 * everyone written so far, and the others wait for it and look again.
 */
static int
commit(struct journal *j, uint64_t seq, bool durable, struct diag *d)
{
    int rc = 0;

    if (j->readonly)
        return 0;
    pthread_mutex_lock(&j->mu);
    if (j->written < seq)
        write_pending(j);
    while (durable && j->durable < seq && !diag_is_set(&j->err)) {
        uint64_t upto;

        if (j->syncing) {
            pthread_cond_wait(&j->done, &j->mu);
            continue;
        }
        j->syncing = true;
        upto = j->written;
        pthread_mutex_unlock(&j->mu);
        if (fdatasync(j->fd) == -1) {
            pthread_mutex_lock(&j->mu);
            diag_set(&j->err, EX_IOERR, "cannot write the journal: %s", strerror(errno));
            diag_path(&j->err, j->path);
        } else {
            pthread_mutex_lock(&j->mu);
            if (upto > j->durable)
                j->durable = upto;
        }
        j->syncing = false;
        pthread_cond_broadcast(&j->done);
    }
    if (diag_is_set(&j->err)) {
        if (d != NULL && !diag_is_set(d))
            *d = j->err;
        rc = -1;
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int
journal_write(struct journal *j, uint64_t seq, struct diag *d)
{
    return commit(j, seq, false, d);
}

int
journal_sync(struct journal *j, uint64_t seq, struct diag *d)
{
    return commit(j, seq, true, d);
}

/* The flusher: every JOURNAL_BATCH_MS, whatever was appended becomes durable. */
static void *
flush_loop(void *arg)
{
    struct journal *j = arg;

    pthread_mutex_lock(&j->mu);
    while (!j->stop && !diag_is_set(&j->err)) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += JOURNAL_BATCH_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&j->wake, &j->mu, &ts);
        if (!j->stop && j->durable < j->seq) {
            uint64_t upto = j->seq;

            pthread_mutex_unlock(&j->mu);
            journal_sync(j, upto, NULL);
            pthread_mutex_lock(&j->mu);
        }
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

int
journal_flush(struct journal *j, struct diag *d)
{
    uint64_t seq;

    pthread_mutex_lock(&j->mu);
    seq = j->seq;
    pthread_mutex_unlock(&j->mu);
    return journal_sync(j, seq, d);
}

void
journal_counts(struct journal *j, struct journal_counts *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n; i++)
        c->n[j->v[i].e.state]++;
    pthread_mutex_unlock(&j->mu);
}

void
journal_each(struct journal *j, void (*fn)(void *, const char *, const struct journal_entry *),
    void *ctx)
{
    pthread_mutex_lock(&j->mu);
    for (size_t i = 0; i < j->n; i++)
        fn(ctx, j->v[i].addr, &j->v[i].e);
    pthread_mutex_unlock(&j->mu);
}

int
journal_close(struct journal *j, struct diag *d)
{
    int rc = 0;

    if (j == NULL)
        return 0;
    if (j->running) {
        pthread_mutex_lock(&j->mu);
        j->stop = true;
        pthread_cond_signal(&j->wake);
        pthread_mutex_unlock(&j->mu);
        pthread_join(j->flusher, NULL);
        rc = journal_flush(j, d);
    }
    if (j->fd != -1)
        close(j->fd);
    lock_release(j->lockfd);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->wake);
    pthread_cond_destroy(&j->done);
    buf_fini(&j->pending);
    arena_fini(&j->arena);
    free(j->v);
    free(j->hash);
    free(j->path);
    free(j);
    return rc;
}
