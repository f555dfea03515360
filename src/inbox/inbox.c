/*
 * inbox: read the mail that comes back to the bounce and unsubscribe addresses, tie each
 * message to a subscriber and a campaign, and apply the bounce policy to the list (see
 * include/inbox.h).  Pipeline: Maildir/mbox/stdin -> bounce.c -> VERP (verp.c) -> policy
 * -> one subs_apply_loaded() per run -> STATE/events.jsonl.
 * Specs: Maildir (cr.yp.to/proto/maildir.html: new/ to cur/ with ":2,S"), mboxrd "From "
 * lines, RFC 3464/5965/3834 through bounce.c.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "campaign.h"
#include "config.h"
#include "diag.h"
#include "inbox.h"
#include "lock.h"
#include "subs.h"
#include "text.h"
#include "util.h"
#include "value.h"
#include "verp.h"

#define INBOX_LOCK_WAIT_MS 30000    /* another inbox run (a Postfix pipe) finishing */
#define LIST_LOCK_WAIT_MS 10000
#define SECONDS_PER_DAY 86400

/* What happens to one subscriber in this run. */
enum act { ACT_NONE, ACT_BOUNCE, ACT_UNSUB };

struct subst {
    uint8_t act;                    /* enum act */
    uint8_t hard;                   /* hard bounces this run */
    uint16_t soft;                  /* soft bounces this run */
    char why[96];
};

struct sididx {
    uint64_t sid;
    uint32_t idx;
};

struct run {
    const struct inbox_opts *o;
    const struct config *cfg;
    struct inbox_stats *st;
    struct subs *subs;
    struct sididx *sids;            /* sorted by sid */
    struct subst **state;           /* per subscriber, NULL until touched */
    struct campaign_list camps;
    uint64_t *seen;                 /* digests of handled messages (earlier runs and this
                                       one): open addressing, 0 = empty */
    size_t nseen, capseen;
    uint16_t *softprev;             /* per subscriber: earlier soft bounces in the window */
    struct buf events;              /* this run's JSON lines */
    char **renames;                 /* Maildir: from, to, from, to, ... */
    size_t nrenames;
    time_t now;
    char runid[48];                 /* this run, in its status lines and commit line */
    struct pending *pend;           /* status lines of runs whose list edit did not
                                       commit (a crash, a list that could not be edited) */
    size_t npend;
    struct subs_change *ch;         /* the list edit this run makes */
    size_t nch;
    pthread_t lister;               /* loads the list (list_load) while messages are read */
    bool listing;                   /* lister started and not joined */
    int listrc;                     /* list_load's result */
    struct diag listdiag;           /* and its error */
};

/* A status change an earlier run recorded but did not see through to the list. */
struct pending {
    char addr[BOUNCE_ADDR_MAX];
    char run[48];
    char why[96];
    bool unsub;
};

/* ---- small helpers ------------------------------------------------------------------- */

static int
sidcmp(const void *a, const void *b)
{
    const struct sididx *x = a, *y = b;

    return x->sid < y->sid ? -1 : x->sid > y->sid;
}

/* Is h in the set of handled digests?  With add, put it in. */
static bool
seen(struct run *r, uint64_t h, bool add)
{
    size_t i;

    h = h ? h : 1;                  /* 0 marks an empty slot */
    if (add && 2 * (r->nseen + 1) > r->capseen) {
        size_t cap = r->capseen ? 2 * r->capseen : 1024;
        uint64_t *v = xcalloc(cap, sizeof(*v));

        for (size_t k = 0; k < r->capseen; k++) {
            if (r->seen[k] == 0)
                continue;
            for (i = r->seen[k] & (cap - 1); v[i] != 0; i = (i + 1) & (cap - 1))
                ;
            v[i] = r->seen[k];
        }
        free(r->seen);
        r->seen = v;
        r->capseen = cap;
    }
    if (r->capseen == 0)
        return false;
    for (i = h & (r->capseen - 1); r->seen[i] != 0; i = (i + 1) & (r->capseen - 1))
        if (r->seen[i] == h)
            return true;
    if (add) {
        r->seen[i] = h;
        r->nseen++;
    }
    return false;
}

static void
iso_time(time_t t, char out[32])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ", or -1. */
static time_t
parse_iso(const char *s)
{
    struct tm tm;
    long v[6];
    const char *p = s;
    static const char seps[] = "--T::Z";

    memset(&tm, 0, sizeof(tm));
    for (int i = 0; i < 6; i++) {
        char *end;

        errno = 0;
        v[i] = strtol(p, &end, 10);
        if (end == p || errno != 0 || *end != seps[i])
            return -1;
        p = end + 1;
    }
    tm.tm_year = (int)v[0] - 1900;
    tm.tm_mon = (int)v[1] - 1;
    tm.tm_mday = (int)v[2];
    tm.tm_hour = (int)v[3];
    tm.tm_min = (int)v[4];
    tm.tm_sec = (int)v[5];
    return timegm(&tm);
}

/*
 * The value of "key" in one of our own JSON lines p[0..n) (a string, unescaped; or a
 * bare literal) into out.  false when absent or null.
 */
static bool
ev_field(const char *p, size_t n, const char *key, char *out, size_t size)
{
    char pat[40];
    const char *f = NULL;
    size_t pl, o = 0, i;

    pl = (size_t)snprintf(pat, sizeof(pat), "\"%s\":", key);
    for (i = 0; i + pl <= n; i++)
        if (memcmp(p + i, pat, pl) == 0) {
            f = p + i + pl;
            break;
        }
    if (f == NULL || size == 0)
        return false;
    i = (size_t)(f - p);
    if (i < n && p[i] == '"') {
        for (i++; i < n && p[i] != '"' && o + 1 < size; i++) {
            if (p[i] == '\\' && i + 1 < n) {
                i++;
                if (p[i] == 'u') {      /* \u00XX from our writer: control bytes */
                    out[o++] = '?';
                    i += 4;
                    continue;
                }
                out[o++] = p[i] == 'n' ? '\n' : p[i] == 't' ? '\t' : p[i];
            } else {
                out[o++] = p[i];
            }
        }
        out[o] = '\0';
        return true;
    }
    for (; i < n && p[i] != ',' && p[i] != '}' && o + 1 < size; i++)
        out[o++] = p[i];
    out[o] = '\0';
    return o > 0 && strcmp(out, "null") != 0;
}

static char *
events_path(const char *state_dir)
{
    struct buf b;

    buf_init(&b, 0);
    buf_putf(&b, "%s/%s", state_dir, INBOX_EVENTS);
    return buf_steal(&b);
}

/* Call fn on every line of the events file; a missing file has none.  0 or -1. */
static int
each_event(const char *state_dir, void (*fn)(void *, const char *, size_t), void *arg,
    struct diag *d)
{
    char *path = events_path(state_dir), *text;
    size_t len;

    if ((text = read_file(path, &len)) == NULL) {
        if (errno == ENOENT) {
            free(path);
            return 0;
        }
        diag_set(d, EX_IOERR, "cannot read the events: %s", strerror(errno));
        diag_path(d, path);
        free(path);
        return -1;
    }
    for (size_t i = 0; i < len;) {
        const char *e = memchr(text + i, '\n', len - i);
        size_t ll = e ? (size_t)(e - (text + i)) : len - i;

        if (ll > 0)
            fn(arg, text + i, ll);
        i += ll + 1;
    }
    free(text);
    free(path);
    return 0;
}

/* ---- what earlier runs did ------------------------------------------------------------- */

static void
load_one(void *arg, const char *p, size_t n)
{
    struct run *r = arg;
    char v[64], kind[32], who[BOUNCE_ADDR_MAX], t[40];

    if (ev_field(p, n, "id", v, sizeof(v))) {
        char *end;
        uint64_t h;

        errno = 0;
        h = strtoull(v, &end, 16);
        if (errno == 0 && *end == '\0')
            (void)seen(r, h, true);
    }
    /* status lines of a run wait for its commit line (lines are in order: one run at a
       time, under the inbox lock); lines without a run are from before commit lines */
    if (!ev_field(p, n, "kind", kind, sizeof(kind)))
        return;
    if (strcmp(kind, "status") == 0) {
        struct pending pe;

        memset(&pe, 0, sizeof(pe));
        if (!ev_field(p, n, "run", pe.run, sizeof(pe.run)) ||
            !ev_field(p, n, "subscriber", pe.addr, sizeof(pe.addr)) ||
            !ev_field(p, n, "action", v, sizeof(v)))
            return;
        pe.unsub = strcmp(v, "unsubscribed") == 0;
        if (!ev_field(p, n, "reason", pe.why, sizeof(pe.why)))
            pe.why[0] = '\0';
        r->pend = xreallocarray(r->pend, r->npend + 1, sizeof(*r->pend));
        r->pend[r->npend++] = pe;
        return;
    }
    if (strcmp(kind, "commit") == 0 && ev_field(p, n, "run", v, sizeof(v))) {
        size_t k = 0;

        for (size_t i = 0; i < r->npend; i++)
            if (strcmp(r->pend[i].run, v) != 0)
                r->pend[k++] = r->pend[i];
        r->npend = k;
        return;
    }
    /* soft bounces inside the window count with this run's */
    if (strcmp(kind, "bounce") == 0 &&
        ev_field(p, n, "hard", v, sizeof(v)) && strcmp(v, "false") == 0 &&
        ev_field(p, n, "subscriber", who, sizeof(who)) &&
        ev_field(p, n, "time", t, sizeof(t))) {
        time_t at = parse_iso(t);
        const struct subscriber *s;

        if (at == -1 || r->now - at > r->cfg->bounce.soft_days * SECONDS_PER_DAY ||
            (s = subs_find(r->subs, who)) == NULL)
            return;
        if (r->softprev[s - r->subs->v] < UINT16_MAX)
            r->softprev[s - r->subs->v]++;
    }
}

/* ---- attribution ------------------------------------------------------------------------- */

/* The subscriber whose address hashes to sid and whose token checks with some campaign:
   its index and the campaign into *camp; -1 when none (a forged or foreign token). */
static long
verp_find(struct run *r, const struct verp_ref *ref, const char **camp)
{
    struct sididx key = { ref->sid, 0 }, *f;
    size_t lo;

    if (r->o->secret == NULL || r->o->secret[0] == '\0' || r->subs->n == 0)
        return -1;
    if (r->sids == NULL) {
        /* made at the first token: a run without VERP never pays for it */
        r->sids = xreallocarray(NULL, r->subs->n, sizeof(*r->sids));
        for (size_t i = 0; i < r->subs->n; i++) {
            r->sids[i].sid = verp_sid(r->subs->v[i].addr);
            r->sids[i].idx = (uint32_t)i;
        }
        qsort(r->sids, r->subs->n, sizeof(*r->sids), sidcmp);
    }
    f = bsearch(&key, r->sids, r->subs->n, sizeof(*r->sids), sidcmp);
    if (f == NULL)
        return -1;
    lo = (size_t)(f - r->sids);
    while (lo > 0 && r->sids[lo - 1].sid == ref->sid)
        lo--;
    for (size_t i = lo; i < r->subs->n && r->sids[i].sid == ref->sid; i++) {
        const char *addr = r->subs->v[r->sids[i].idx].addr;

        for (size_t c = 0; c < r->camps.n; c++)
            if (verp_check(r->o->secret, addr, r->camps.v[c].id, ref)) {
                *camp = r->camps.v[c].id;
                return (long)r->sids[i].idx;
            }
        if (verp_check(r->o->secret, addr, "", ref)) {     /* sent outside a campaign */
            *camp = NULL;
            return (long)r->sids[i].idx;
        }
    }
    return -1;
}

/*
 * Look for a token in the addresses the message was sent to, against base ("bounces@"
 * or "unsubscribe@").  1: found and valid (*idx, *camp); 0: none; -1: a token that does
 * not check (forged, or from another secret).
 */
static int
token_for(struct run *r, const struct bounce_report *rep, const char *base, long *idx,
    const char **camp)
{
    bool bad = false;

    if (base == NULL)
        return 0;
    for (size_t i = 0; i < rep->nto; i++) {
        struct verp_ref ref;

        if (!verp_parse(rep->to[i], strlen(rep->to[i]), base,
            CONFIG_VERP_DELIM(r->cfg), &ref))
            continue;
        if ((*idx = verp_find(r, &ref, camp)) >= 0)
            return 1;
        bad = true;
    }
    return bad ? -1 : 0;
}

static struct subst *
state_of(struct run *r, size_t idx)
{
    if (r->state[idx] == NULL)
        r->state[idx] = xcalloc(1, sizeof(struct subst));
    return r->state[idx];
}

/* ---- one message ------------------------------------------------------------------------ */

static void
event(struct run *r, uint64_t h, const char *file, const char *kind, int hard,
    const struct subscriber *s, const char *camp, const struct bounce_report *rep,
    const struct bounce_rcpt *rc, const char *action, const char *note)
{
    char t[32];

    iso_time(r->now, t);
    buf_putf(&r->events, "{\"time\":\"%s\",\"id\":\"%016llx\",\"file\":", t,
        (unsigned long long)h);
    value_json_string(&r->events, file, strlen(file));
    buf_puts(&r->events, ",\"kind\":");
    value_json_string(&r->events, kind, strlen(kind));
    if (hard >= 0)
        buf_putf(&r->events, ",\"hard\":%s", hard ? "true" : "false");
    buf_puts(&r->events, ",\"subscriber\":");
    if (s != NULL)
        value_json_string(&r->events, s->addr, strlen(s->addr));
    else if (rc != NULL && rc->addr[0])
        value_json_string(&r->events, rc->addr, strlen(rc->addr));
    else
        buf_puts(&r->events, "null");
    buf_puts(&r->events, ",\"campaign\":");
    if (camp != NULL)
        value_json_string(&r->events, camp, strlen(camp));
    else
        buf_puts(&r->events, "null");
    buf_puts(&r->events, ",\"status\":");
    if (rc != NULL && rc->status[0])
        value_json_string(&r->events, rc->status, strlen(rc->status));
    else
        buf_puts(&r->events, "null");
    buf_puts(&r->events, ",\"mta\":");
    if (rep->mta[0])
        value_json_string(&r->events, rep->mta, strlen(rep->mta));
    else
        buf_puts(&r->events, "null");
    buf_puts(&r->events, ",\"action\":");
    value_json_string(&r->events, action, strlen(action));
    buf_puts(&r->events, ",\"reason\":");
    note = note != NULL ? note : rc != NULL && rc->diag[0] ? rc->diag :
        rep->feedback[0] ? rep->feedback : rep->why;
    value_json_string(&r->events, note, strlen(note));
    buf_puts(&r->events, "}\n");
}

static void
say(struct run *r, bool always, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
say(struct run *r, bool always, const char *file, const char *fmt, ...)
{
    va_list ap;

    if (r->o->report == NULL || (!always && !r->o->verbose))
        return;
    fprintf(r->o->report, "%s: ", file);
    va_start(ap, fmt);
    vfprintf(r->o->report, fmt, ap);
    va_end(ap);
    fputc('\n', r->o->report);
}

/* The recipient record of rep about addr, or the first. */
static const struct bounce_rcpt *
rcpt_for(const struct bounce_report *rep, const char *addr)
{
    for (size_t i = 0; i < rep->nrcpt; i++)
        if (ascii_strcasecmp(rep->rcpt[i].addr, addr) == 0)
            return &rep->rcpt[i];
    return rep->nrcpt > 0 ? &rep->rcpt[0] : NULL;
}

/* A bounce or complaint for subscriber idx (of campaign camp, or NULL): count it. */
static void
attribute(struct run *r, uint64_t h, const char *file, const struct bounce_report *rep,
    size_t idx, const char *camp)
{
    struct subscriber *s = &r->subs->v[idx];
    const struct bounce_rcpt *rc = rcpt_for(rep, s->addr);
    struct subst *ss = state_of(r, idx);

    if (rep->kind == BOUNCE_COMPLAINT) {
        /* a complaint stops mail at once: "unsubscribed", with the reason in the events
           (docs/ARCHITECTURE.md, "Bounces and complaints") */
        r->st->complaints++;
        ss->act = ACT_UNSUB;
        snprintf(ss->why, sizeof(ss->why), "complaint%s%s", rep->feedback[0] ? ": " : "",
            rep->feedback);
        event(r, h, file, "complaint", -1, s, camp, rep, NULL, "unsubscribed", ss->why);
        say(r, false, file, "complaint from %s", s->addr);
        return;
    }
    if (rc != NULL && rc->hard) {
        r->st->hard++;
        if (ss->hard < UINT8_MAX)
            ss->hard++;
    } else {
        r->st->soft++;
        if (ss->soft < UINT16_MAX)
            ss->soft++;
    }
    if (ss->act == ACT_NONE)
        snprintf(ss->why, sizeof(ss->why), "%s bounce %s", rc != NULL && rc->hard ? "hard" :
            "soft", rc != NULL && rc->status[0] ? rc->status : "");
    event(r, h, file, "bounce", rc != NULL && rc->hard, s, camp, rep, rc, "counted", NULL);
    say(r, false, file, "%s bounce for %s (%s)", rc != NULL && rc->hard ? "hard" : "soft",
        s->addr, rc != NULL && rc->status[0] ? rc->status : "no status");
}

/* One message whose digest is h, classified as rep (the caller's, reused). */
static void
handle_report(struct run *r, uint64_t h, struct bounce_report *rep, const char *file)
{
    const char *camp = NULL, *ubase = r->cfg->newsletter.unsubscribe_mailto;
    const char *bbase = r->cfg->newsletter.bounce_to;
    long idx = -1;
    int tok;

    /* a message to unsubscribe+TOKEN@: a reader asking to leave */
    if (rep->kind == BOUNCE_UNKNOWN && (tok = token_for(r, rep, ubase, &idx, &camp)) != 0) {
        if (tok < 0) {
            r->st->forged++;
            event(r, h, file, "forged", -1, NULL, NULL, rep, NULL, "none",
                "an unsubscribe token whose signature does not hold");
            say(r, true, file, "unsubscribe request with a token that does not check; "
                "nobody unsubscribed");
        } else {
            struct subscriber *s = &r->subs->v[idx];
            struct subst *ss = state_of(r, (size_t)idx);

            r->st->unsubscribes++;
            if (ss->act != ACT_UNSUB) {
                ss->act = ACT_UNSUB;
                snprintf(ss->why, sizeof(ss->why), "unsubscribe request by mail");
            }
            event(r, h, file, "unsubscribe", -1, s, camp, rep, NULL, "unsubscribed",
                "unsubscribe request by mail");
            say(r, false, file, "unsubscribe request from %s", s->addr);
        }
        goto out;
    }
    switch (rep->kind) {
    case BOUNCE_AUTOREPLY:
        r->st->autoreplies++;
        event(r, h, file, "autoreply", -1, NULL, NULL, rep, NULL, "none", rep->subject);
        say(r, false, file, "auto-reply, ignored");
        goto out;
    case BOUNCE_DELIVERED:
        r->st->delivered++;
        event(r, h, file, "delivered", -1, NULL, NULL, rep, NULL, "none",
            "a delivery report that reports no failure");
        say(r, false, file, "delivery report without a failure, ignored");
        goto out;
    case BOUNCE_UNKNOWN:
        r->st->unknown++;
        event(r, h, file, "unknown", -1, NULL, NULL, rep, NULL, "none", rep->why);
        say(r, true, file, "not understood (%s), left alone", rep->why);
        goto out;
    case BOUNCE_FAILED:
    case BOUNCE_COMPLAINT:
        break;
    }
    /* who: the VERP token first; a token that does not check attributes nothing */
    tok = token_for(r, rep, bbase, &idx, &camp);
    if (tok < 0) {
        r->st->forged++;
        event(r, h, file, "forged", -1, NULL, NULL, rep, NULL, "none",
            "a return-path token whose signature does not hold");
        say(r, true, file, "%s with a return-path token that does not check; not "
            "attributed", rep->kind == BOUNCE_COMPLAINT ? "complaint" : "bounce");
        goto out;
    }
    if (tok == 0) {
        /* no token: the recipients the report names, if they are on the list (several
           for one report: each is its own event) */
        bool any = false;

        for (size_t i = 0; i < rep->nrcpt; i++) {
            struct subscriber *s = subs_find(r->subs, rep->rcpt[i].addr);

            if (s == NULL)
                continue;
            any = true;
            attribute(r, h, file, rep, (size_t)(s - r->subs->v), NULL);
        }
        if (!any) {
            r->st->unattributed++;
            event(r, h, file, rep->kind == BOUNCE_COMPLAINT ? "complaint" : "bounce", -1,
                NULL, NULL, rep, rep->nrcpt ? &rep->rcpt[0] : NULL, "none",
                "for nobody on the list");
            say(r, true, file, "%s for %s, who is not on the list; left alone",
                rep->kind == BOUNCE_COMPLAINT ? "complaint" : "bounce",
                rep->nrcpt && rep->rcpt[0].addr[0] ? rep->rcpt[0].addr : "an unnamed reader");
        }
        goto out;
    }
    attribute(r, h, file, rep, (size_t)idx, camp);
out:
    return;
}

static void
handle(struct run *r, const char *data, size_t len, const char *file)
{
    struct bounce_report *rep;
    uint64_t h = text_hash64(data, len);

    r->st->messages++;
    if (seen(r, h, true)) {
        r->st->seen++;
        say(r, false, file, "handled before; skipped");
        return;
    }
    rep = xmalloc(sizeof(*rep));
    bounce_parse(data, len, rep);
    handle_report(r, h, rep, file);
    free(rep);
}

/* ---- the list, loaded while the first messages are read ---------------------------------- */

/*
 * What applying needs besides the reports: the list, the campaigns (VERP), and what the
 * events file says of earlier runs (handled digests, soft bounces in the window, status
 * changes without a commit line).  On the lister thread: it writes r->subs, camps,
 * softprev, seen, pend and state, which nobody reads before list_wait().
 */
static void *
list_thread(void *arg)
{
    struct run *r = arg;
    struct diag *d = &r->listdiag;

    r->listrc = -1;
    if ((r->subs = subs_load(r->o->subs_path, SUBS_MISSING_OK, NULL, d)) == NULL ||
        campaign_list(r->cfg->paths.state_dir, &r->camps, d) == -1)
        return NULL;
    r->softprev = xcalloc(r->subs->n + 1, sizeof(*r->softprev));
    if (each_event(r->cfg->paths.state_dir, load_one, r, d) == -1)
        return NULL;
    r->state = xcalloc(r->subs->n + 1, sizeof(*r->state));
    r->listrc = 0;
    return NULL;
}

/* The list is loaded (the lister joined, once): 0, or -1 with its error into d. */
static int
list_wait(struct run *r, struct diag *d)
{
    if (r->listing) {
        pthread_join(r->lister, NULL);
        r->listing = false;
    }
    if (r->listrc == -1) {
        if (d->code == 0)
            *d = r->listdiag;
        return -1;
    }
    return 0;
}

/* ---- sources ------------------------------------------------------------------------------ */

/*
 * Read at most max bytes of path into *bufp (capacity *capp, grown as needed and kept for
 * the next file: one buffer per reading thread, not 64 KB allocated per message), NUL-
 * terminated.  0, or -1 with errno.
 */
static int
read_reuse(const char *path, size_t max, char **bufp, size_t *capp, size_t *lenp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0, want;

    if (fd == -1)
        return -1;
    if (*bufp == NULL) {
        *capp = 65536;
        *bufp = xmalloc(*capp + 1);
    }
    for (;;) {
        ssize_t n;

        if (len == *capp) {
            if (*capp >= max)
                break;
            *capp = *capp * 2 > max ? max : *capp * 2;
            *bufp = xreallocarray(*bufp, *capp + 1, 1);
        }
        want = *capp - len;
        n = read(fd, *bufp + len, want);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1) {
            int e = errno;

            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if ((size_t)n < want)
            break;              /* a short read of a regular file is its end */
    }
    close(fd);
    (*bufp)[len] = '\0';
    *lenp = len;
    return 0;
}

static int
namecmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The Maildir name with the S (seen) flag in its info ("NAME:2,FLAGS"). */
static char *
seen_name(const char *name)
{
    const char *info = strstr(name, ":2,");
    struct buf b;

    buf_init(&b, 0);
    if (info == NULL) {
        buf_putf(&b, "%s:2,S", name);
    } else {
        const char *f = info + 3;
        bool put = false;

        buf_put(&b, name, (size_t)(f - name));
        for (; *f; f++) {           /* flags stay in ASCII order */
            if (!put && *f > 'S') {
                buf_putc(&b, 'S');
                put = true;
            }
            if (*f == 'S')
                put = true;
            buf_putc(&b, *f);
        }
        if (!put)
            buf_putc(&b, 'S');
    }
    return buf_steal(&b);
}

/*
 * A Maildir's messages are read and classified by a few threads at once (bounce_parse is
 * thread-safe; GMime objects are never shared), from the start of the run: the list is
 * loaded meanwhile, on a thread of its own (it is needed only to apply the reports).
 * This thread applies the reports in the order of the names, exactly as one at a time,
 * as soon as the list is there and each report is ready.  A report waiting for it is
 * kept packed (report_pack): a report is ~23 KB of mostly empty arrays.
 */
#define MAILDIR_THREADS_MAX 8
#define POOL_LAG 64                 /* jobs the readers get ahead before the applier wakes */
#define POOL_WINDOW 65536           /* jobs the readers may get ahead of the applier at most:
                                       what waits for the list is bounded (~0.8 KB a job,
                                       1.9 KB at most: 50-120 MB); enough to overlap the
                                       load of a 1M list (4,096: 6-10% slower wall) */

struct job {
    char *from, *to;                /* the file, and its name in cur/ with the S flag */
    uint64_t h;                     /* digest */
    int err;                        /* errno when it cannot be read, else 0 */
    void *packed;                   /* its report (report_pack), until applied */
    bool done;                      /* read and classified (under pool.mu) */
};

/* What one reading thread keeps from message to message. */
struct worker {
    char *data;                     /* the message (read_reuse) */
    size_t cap;
    struct bounce_report *rep;
    unsigned char *scratch;         /* REPORT_PACK_MAX bytes */
};

struct pool {
    struct job *v;
    size_t n;
    size_t next;                    /* the next job to take (atomic) */
    bool stop;                      /* atomic: take no more jobs */
    pthread_mutex_t mu;             /* job.done, waiting */
    pthread_cond_t cv;
    size_t waiting;                 /* the job the applier waits for, or SIZE_MAX */
    size_t applied;                 /* the job the applier is at */
    size_t window;                  /* POOL_WINDOW (smaller in tests) */
    size_t nblocked;                /* readers waiting for room */
    pthread_cond_t room;
    pthread_t tid[MAILDIR_THREADS_MAX];
    size_t started;
    struct worker self;             /* when no thread could start: the applier's own */
};

#define REPORT_WORDS (sizeof(struct bounce_report) / sizeof(uint64_t))
_Static_assert(sizeof(struct bounce_report) % sizeof(uint64_t) == 0 &&
    REPORT_WORDS < UINT16_MAX, "report_pack counts a report's words in 16 bits");

/*
 * rep's bytes without its runs of zero words: pairs of 16-bit counts (zero words, then
 * literal words) each followed by the literal words, up to REPORT_WORDS.  Exact for any
 * layout of the report, so a field bounce.h adds travels too.  scratch holds at least
 * REPORT_PACK_MAX bytes.  Caller frees.
 */
#define REPORT_PACK_MAX (REPORT_WORDS * (sizeof(uint64_t) + 2 * sizeof(uint16_t)))

static void *
report_pack(const struct bounce_report *rep, unsigned char *scratch)
{
    const unsigned char *s = (const unsigned char *)rep;
    size_t i = 0, o = 0;

    while (i < REPORT_WORDS) {
        uint16_t z = 0, l = 0;
        uint64_t w;

        for (; i < REPORT_WORDS; i++, z++) {
            memcpy(&w, s + i * sizeof(w), sizeof(w));
            if (w != 0)
                break;
        }
        for (; i + l < REPORT_WORDS; l++) {
            memcpy(&w, s + (i + l) * sizeof(w), sizeof(w));
            if (w == 0)
                break;
        }
        memcpy(scratch + o, &z, sizeof(z));
        memcpy(scratch + o + sizeof(z), &l, sizeof(l));
        o += sizeof(z) + sizeof(l);
        memcpy(scratch + o, s + i * sizeof(w), l * sizeof(w));
        o += l * sizeof(w);
        i += l;
    }
    return memcpy(xmalloc(o ? o : 1), scratch, o);
}

static void
report_unpack(const void *packed, struct bounce_report *rep)
{
    const unsigned char *p = packed;
    unsigned char *d = (unsigned char *)rep;
    size_t i = 0;

    while (i < REPORT_WORDS) {
        uint16_t z, l;

        memcpy(&z, p, sizeof(z));
        memcpy(&l, p + sizeof(z), sizeof(l));
        p += sizeof(z) + sizeof(l);
        memset(d + i * sizeof(uint64_t), 0, z * sizeof(uint64_t));
        i += z;
        memcpy(d + i * sizeof(uint64_t), p, l * sizeof(uint64_t));
        p += l * sizeof(uint64_t);
        i += l;
    }
}

static void
worker_fini(struct worker *w)
{
    free(w->data);
    free(w->rep);
    free(w->scratch);
    memset(w, 0, sizeof(*w));
}

/* Read and classify one job (its done flag is the caller's to set). */
static void
job_run(struct job *j, struct worker *w)
{
    size_t len;

    if (w->rep == NULL) {
        w->rep = xmalloc(sizeof(*w->rep));
        w->scratch = xmalloc(REPORT_PACK_MAX);
    }
    if (read_reuse(j->from, BOUNCE_MESSAGE_MAX, &w->data, &w->cap, &len) == -1) {
        j->err = errno ? errno : EIO;
        return;
    }
    /* every message is classified, even one handled before: the set of digests is the
       list thread's until the applier has it (a handled message is still in new/ only
       after a crash between the events and the renames) */
    j->h = text_hash64(w->data, len);
    bounce_parse(w->data, len, w->rep);
    j->packed = report_pack(w->rep, w->scratch);
}

static void *
pool_work(void *arg)
{
    struct pool *p = arg;
    struct worker w;
    size_t i;

    memset(&w, 0, sizeof(w));
    while (!__atomic_load_n(&p->stop, __ATOMIC_RELAXED) &&
        (i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->n) {
        if (i >= p->window) {       /* no further than the window ahead of the applier */
            pthread_mutex_lock(&p->mu);
            while (i >= p->applied + p->window && !__atomic_load_n(&p->stop,
                __ATOMIC_RELAXED)) {
                p->nblocked++;
                pthread_cond_wait(&p->room, &p->mu);
                p->nblocked--;
            }
            pthread_mutex_unlock(&p->mu);
        }
        job_run(&p->v[i], &w);
        pthread_mutex_lock(&p->mu);
        p->v[i].done = true;
        if (p->waiting == i)
            pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    worker_fini(&w);
    return NULL;
}

static size_t
worker_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > MAILDIR_THREADS_MAX ? MAILDIR_THREADS_MAX : (size_t)n;
}

/* Start reading and classifying jobs v[0..n).  With no thread, pool_wait does the work. */
static void
pool_start(struct pool *p, struct job *v, size_t n)
{
    size_t nt = worker_count();
    const char *e;
    long w;

    memset(p, 0, sizeof(*p));
    p->v = v;
    p->n = n;
    p->waiting = SIZE_MAX;
    p->window = POOL_WINDOW;
    if ((e = getenv("GAZETTE_TEST_POOL_WINDOW")) != NULL && parse_long(e, 1, POOL_WINDOW,
        &w) == 0)
        p->window = (size_t)w;              /* the tests: readers wait often */
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->room, NULL);
    for (size_t t = 0; t < nt && t < n; t++) {
        if (pthread_create(&p->tid[p->started], NULL, pool_work, p) != 0)
            break;                  /* fewer threads: the same work, slower */
        p->started++;
    }
}

/* Job i, once read and classified. */
static struct job *
pool_wait(struct pool *p, size_t i)
{
    if (p->started == 0) {          /* no thread could start: this one does the work */
        job_run(&p->v[i], &p->self);
        return &p->v[i];
    }
    pthread_mutex_lock(&p->mu);
    p->applied = i;
    if (p->nblocked > 0)
        pthread_cond_broadcast(&p->room);
    while (!p->v[i].done) {
        /* woken when the readers are POOL_LAG jobs ahead, not at every job (a wake-up per
           message would cost more than applying it); for job i itself only if that one
           is done already (the readers take jobs in order, so it rarely is) */
        size_t lag = POOL_LAG < p->window ? POOL_LAG : p->window - 1;
        size_t ahead = i + lag < p->n ? i + lag : p->n - 1;    /* inside the window */

        p->waiting = p->v[ahead].done ? i : ahead;
        pthread_cond_wait(&p->cv, &p->mu);
    }
    p->waiting = SIZE_MAX;
    pthread_mutex_unlock(&p->mu);
    return &p->v[i];
}

/* Stop taking jobs (those under way finish), join the threads. */
static void
pool_end(struct pool *p)
{
    __atomic_store_n(&p->stop, true, __ATOMIC_RELAXED);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->room);
    pthread_mutex_unlock(&p->mu);
    for (size_t t = 0; t < p->started; t++)
        pthread_join(p->tid[t], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->room);
    worker_fini(&p->self);
}

/* The names of dir (new/ or cur/) to handle, sorted, appended to *v as jobs. */
static int
list_folder(const char *md, const char *sub, struct job **v, size_t *n, struct diag *d)
{
    struct buf p;
    DIR *dp;
    struct dirent *de;
    char **names = NULL;
    size_t nn = 0;
    bool cur = strcmp(sub, "cur") == 0;

    buf_init(&p, 0);
    buf_putf(&p, "%s/%s", md, sub);
    if ((dp = opendir(buf_str(&p))) == NULL) {
        diag_set(d, EX_NOINPUT, "cannot read the Maildir: %s", strerror(errno));
        diag_path(d, buf_str(&p));
        buf_fini(&p);
        return -1;
    }
    while ((de = readdir(dp)) != NULL) {
        const char *info = strstr(de->d_name, ":2,");

        if (de->d_name[0] == '.')
            continue;
        if (cur && info != NULL && strchr(info + 3, 'S') != NULL)
            continue;               /* handled (or read by a person) */
        names = xreallocarray(names, nn + 1, sizeof(*names));
        names[nn++] = xstrdup(de->d_name);
    }
    closedir(dp);
    if (nn > 1)
        qsort(names, nn, sizeof(*names), namecmp);
    *v = xreallocarray(*v, *n + nn + 1, sizeof(**v));
    for (size_t i = 0; i < nn; i++) {
        struct job *j = &(*v)[(*n)++];
        struct buf f, to;
        char *sn = seen_name(names[i]);

        memset(j, 0, sizeof(*j));
        buf_init(&f, 0);
        buf_putf(&f, "%s/%s", buf_str(&p), names[i]);
        buf_init(&to, 0);
        buf_putf(&to, "%s/cur/%s", md, sn);
        free(sn);
        j->from = buf_steal(&f);
        j->to = buf_steal(&to);
        free(names[i]);
    }
    free(names);
    buf_fini(&p);
    return 0;
}

static int
do_maildir(struct run *r, const char *dir, struct diag *d)
{
    struct job *jobs = NULL;
    struct bounce_report *rep = NULL;
    struct pool pool;
    size_t n = 0, i = 0;
    int rc = -1;

    if (list_folder(dir, "new", &jobs, &n, d) == -1 ||
        list_folder(dir, "cur", &jobs, &n, d) == -1) {
        (void)list_wait(r, d);      /* a list with an error says so first */
        goto out;
    }
    pool_start(&pool, jobs, n);
    if (list_wait(r, d) == -1) {
        pool_end(&pool);
        goto out;
    }
    rep = xmalloc(sizeof(*rep));
    for (; i < n; i++) {
        struct job *j = pool_wait(&pool, i);

        if (j->err != 0) {
            say(r, true, j->from, "cannot read: %s", strerror(j->err));
            free(j->from);
            free(j->to);
            continue;
        }
        r->st->messages++;
        if (seen(r, j->h, true)) {
            r->st->seen++;
            say(r, false, j->to, "handled before; skipped");
        } else {
            report_unpack(j->packed, rep);
            handle_report(r, j->h, rep, j->to);     /* named where it will be kept */
        }
        free(j->packed);
        j->packed = NULL;
        r->renames = xreallocarray(r->renames, r->nrenames + 2, sizeof(char *));
        r->renames[r->nrenames++] = j->from;
        r->renames[r->nrenames++] = j->to;
    }
    pool_end(&pool);
    rc = 0;
out:
    for (; i < n; i++) {            /* not handled (an error): not moved */
        free(jobs[i].from);
        free(jobs[i].to);
        free(jobs[i].packed);
    }
    free(jobs);
    free(rep);
    return rc;
}

/* An mbox: messages start at "From " lines (mboxrd); the bytes are mapped, not read. */
static int
do_mbox(struct run *r, const char *path, struct diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    const char *p;
    size_t n, start = 0, count = 0;

    if (fd == -1 || fstat(fd, &sb) == -1) {
        diag_set(d, EX_NOINPUT, "cannot read: %s", strerror(errno));
        diag_path(d, path);
        if (fd != -1)
            close(fd);
        return -1;
    }
    n = (size_t)sb.st_size;
    if (n == 0) {
        close(fd);
        return 0;
    }
    p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        diag_set(d, EX_NOINPUT, "cannot read: %s", strerror(errno));
        diag_path(d, path);
        return -1;
    }
    if (n < 5 || memcmp(p, "From ", 5) != 0) {
        handle(r, p, n < BOUNCE_MESSAGE_MAX ? n : BOUNCE_MESSAGE_MAX, path);  /* one message */
        munmap((void *)p, n);
        return 0;
    }
    while (start < n) {
        size_t end = start + 5;
        struct buf name;

        for (;;) {
            const char *nl = memchr(p + end, '\n', n - end);

            if (nl == NULL) {
                end = n;
                break;
            }
            end = (size_t)(nl - p) + 1;
            if (n - end >= 5 && memcmp(p + end, "From ", 5) == 0)
                break;
        }
        buf_init(&name, 0);
        buf_putf(&name, "%s#%zu", path, ++count);
        handle(r, p + start, end - start < BOUNCE_MESSAGE_MAX ? end - start :
            BOUNCE_MESSAGE_MAX, buf_str(&name));
        buf_fini(&name);
        start = end;
    }
    munmap((void *)p, n);
    return 0;
}

static int
do_stdin(struct run *r, struct diag *d)
{
    struct buf in;
    char chunk[65536];
    bool cut = false;

    buf_init(&in, 0);
    for (;;) {
        ssize_t k = read(0, chunk, sizeof(chunk));

        if (k == -1 && errno == EINTR)
            continue;
        if (k == -1) {
            diag_set(d, EX_IOERR, "cannot read standard input: %s", strerror(errno));
            buf_fini(&in);
            return -1;
        }
        if (k == 0)
            break;
        if (!cut && in.len + (size_t)k <= BOUNCE_MESSAGE_MAX)
            buf_put(&in, chunk, (size_t)k);
        else
            cut = true;             /* read to the end (a pipe's writer waits), keep the head */
    }
    handle(r, buf_str(&in), in.len, "-");
    buf_fini(&in);
    return 0;
}

/* ---- applying ------------------------------------------------------------------------------ */

static int
apply(struct run *r, struct diag *d)
{
    const struct config *c = r->cfg;
    struct subs_change *ch = NULL;
    char **hardaddr = NULL, **over = NULL;
    size_t nch = 0, nhard = 0, nover = 0;
    int rc = -1;

    /* hard bounces go through the same counters as the SMTP-time refusals the mailer
       records (STATE/bounces): one history */
    for (size_t i = 0; i < r->subs->n; i++) {
        struct subst *ss = r->state[i];

        if (ss == NULL)
            continue;
        for (unsigned k = 0; k < ss->hard; k++) {
            hardaddr = xreallocarray(hardaddr, nhard + 1, sizeof(*hardaddr));
            hardaddr[nhard++] = (char *)r->subs->v[i].addr;
        }
    }
    if (!r->o->dry_run && nhard > 0 && campaign_count_bounces(c->paths.state_dir, hardaddr,
        nhard, c->bounce.hard_after, &over, &nover, d) == -1)
        goto out;
    for (size_t k = 0; k < nover; k++) {
        struct subscriber *s = subs_find(r->subs, over[k]);

        if (s != NULL && state_of(r, (size_t)(s - r->subs->v))->act == ACT_NONE)
            state_of(r, (size_t)(s - r->subs->v))->act = ACT_BOUNCE;
    }
    if (r->o->dry_run && c->bounce.hard_after > 0) {
        for (size_t i = 0; i < r->subs->n; i++)     /* what the counters would say */
            if (r->state[i] != NULL && r->state[i]->act == ACT_NONE &&
                r->state[i]->hard >= c->bounce.hard_after)
                r->state[i]->act = ACT_BOUNCE;
    }
    /* what an earlier run decided but could not see through to the list: decided again
       (once more only for whoever is still mailed: an edit that did happen is not made
       twice) */
    for (size_t k = 0; k < r->npend; k++) {
        struct subscriber *s = subs_find(r->subs, r->pend[k].addr);
        struct subst *ss;

        if (s == NULL)
            continue;
        ss = state_of(r, (size_t)(s - r->subs->v));
        if (ss->act == ACT_NONE || (r->pend[k].unsub && ss->act == ACT_BOUNCE)) {
            ss->act = r->pend[k].unsub ? ACT_UNSUB : ACT_BOUNCE;
            snprintf(ss->why, sizeof(ss->why), "%s", r->pend[k].why);
        }
    }
    /* soft bounces: soft_after within soft_days, this run's and the events file's */
    for (size_t i = 0; i < r->subs->n; i++) {
        struct subst *ss = r->state[i];

        if (ss != NULL && ss->act == ACT_NONE && ss->soft > 0 && c->bounce.soft_after > 0 &&
            (size_t)r->softprev[i] + ss->soft >= (size_t)c->bounce.soft_after) {
            ss->act = ACT_BOUNCE;
            snprintf(ss->why, sizeof(ss->why), "%zu soft bounces within %ld days",
                (size_t)r->softprev[i] + ss->soft, c->bounce.soft_days);
        }
    }
    for (size_t i = 0; i < r->subs->n; i++) {
        struct subst *ss = r->state[i];
        const struct subscriber *s = &r->subs->v[i];
        int want;

        if (ss == NULL || ss->act == ACT_NONE)
            continue;
        want = ss->act == ACT_UNSUB ? SUBS_UNSUBSCRIBED : SUBS_BOUNCED;
        /* only someone still mailed changes: an unsubscribed reader whose old copy
           bounces stays unsubscribed; a bounced one who complains stays bounced */
        if (s->status != SUBS_ACTIVE && s->status != SUBS_PENDING)
            continue;
        ch = xreallocarray(ch, nch + 1, sizeof(*ch));
        memset(&ch[nch], 0, sizeof(ch[nch]));
        ch[nch].op = SUBS_SET_STATUS;
        ch[nch].email = xstrdup(s->addr);  /* the list is freed before the edit */
        ch[nch].status = want;
        nch++;
        if (want == SUBS_BOUNCED)
            r->st->bounced++;
        else
            r->st->unsubscribed++;
        {
            char t[32];

            iso_time(r->now, t);
            buf_putf(&r->events, "{\"time\":\"%s\",\"kind\":\"status\",\"run\":\"%s\","
                "\"subscriber\":", t, r->runid);
            value_json_string(&r->events, s->addr, strlen(s->addr));
            buf_putf(&r->events, ",\"action\":\"%s\",\"reason\":",
                want == SUBS_BOUNCED ? "bounced" : "unsubscribed");
            value_json_string(&r->events, ss->why, strlen(ss->why));
            buf_puts(&r->events, "}\n");
        }
    }
    r->ch = ch;                     /* edit_list() makes them */
    r->nch = nch;
    ch = NULL;
    nch = 0;
    rc = 0;
out:
    for (size_t k = 0; k < nover; k++)
        free(over[k]);
    free(over);
    free(hardaddr);
    for (size_t i = 0; i < nch; i++)
        free((char *)ch[i].email);
    free(ch);
    return rc;
}

static int
record(struct run *r, struct diag *d)
{
    char *path = events_path(r->cfg->paths.state_dir);
    bool created;
    int fd, rc = -1;

    if (r->events.len == 0) {
        free(path);
        return 0;
    }
    created = access(path, F_OK) != 0;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1 || write_all(fd, buf_str(&r->events), r->events.len) == -1 ||
        fdatasync(fd) == -1 || (created && fsync_dir(r->cfg->paths.state_dir) == -1)) {
        diag_set(d, EX_IOERR, "cannot write the events: %s", strerror(errno));
        diag_path(d, path);
    } else {
        rc = 0;
    }
    if (fd != -1)
        close(fd);
    free(path);
    return rc;
}

/* An open folder, kept while the names that follow are in it. */
struct dircache {
    char *path;
    int fd;
};

/* fsync the folder c holds (the renames into or out of it reach the disk), and drop it. */
static void
dir_done(struct dircache *c)
{
    if (c->fd >= 0) {
        (void)fsync(c->fd);
        close(c->fd);
    }
    free(c->path);
    c->path = NULL;
    c->fd = -1;
}

/* The folder of file (its path up to the last '/'), open, or -1; *name its last part.
   Another folder than the one held: that one is synced and closed first. */
static int
dir_of(struct dircache *c, const char *file, const char **name)
{
    const char *sl = strrchr(file, '/');
    size_t n = sl != NULL ? (size_t)(sl - file) : 1;
    const char *dir = sl != NULL ? file : ".";

    *name = sl != NULL ? sl + 1 : file;
    if (c->path != NULL && strlen(c->path) == n && memcmp(c->path, dir, n) == 0)
        return c->fd;
    dir_done(c);
    c->path = xstrndup(dir, n);
    c->fd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return c->fd;
}

/*
 * The handled Maildir messages, from new/ (or cur/) to cur/ with the S flag: renameat()
 * in folders opened once (no path walk per message), and one fsync per folder for all of
 * them (a group commit: after it, a crash can no longer put a handled message back in
 * new/; before it, the events file already names it, so a re-run skips it).
 */
static void
move_all(struct run *r)
{
    struct dircache from = { NULL, -1 }, to = { NULL, -1 };

    for (size_t i = 0; i + 1 < r->nrenames; i += 2) {
        const char *fn, *tn;
        int ffd = dir_of(&from, r->renames[i], &fn);
        int tfd = dir_of(&to, r->renames[i + 1], &tn);

        if ((ffd == -1 || tfd == -1 || renameat(ffd, fn, tfd, tn) == -1) &&
            r->o->report != NULL)
            fprintf(r->o->report, "%s: cannot move to cur/: %s\n", r->renames[i],
                strerror(errno));
    }
    dir_done(&from);
    dir_done(&to);
}

static void *
move_thread(void *arg)
{
    move_all(arg);
    return NULL;
}

/*
 * The list edit of the run (recorded already as status lines), once, through the locked,
 * byte-preserving editor; then a commit line for this run and the earlier ones whose
 * status lines it made again.  A list that cannot be edited leaves no commit line: the
 * next run makes the same changes.
 */
static int
edit_list(struct run *r, struct diag *d)
{
    struct subs *list = r->subs;

    if (r->nch == 0 && r->npend == 0)
        return 0;
    /* the list is read once per run: the editor takes this copy and, under its lock,
       parses the file again only if it changed since (a million subscribers are some
       300 MB and a second of parsing) */
    for (size_t i = 0; i < r->subs->n; i++)
        free(r->state[i]);
    free(r->state);
    r->state = NULL;
    free(r->sids);
    r->sids = NULL;
    r->subs = NULL;
    if (r->nch > 0 &&
        subs_apply_loaded(list, r->o->subs_path, r->ch, r->nch, LIST_LOCK_WAIT_MS, d) == -1)
        return -1;
    if (r->nch == 0)
        subs_free(list);
    for (size_t i = 0; i < r->nch; i++)
        if (r->ch[i].done == SUBS_DONE_REJECTED && r->o->report != NULL)
            fprintf(r->o->report, "%s: not changed: %s\n", r->ch[i].email, r->ch[i].why);
    buf_reset(&r->events);
    if (r->nch > 0)
        buf_putf(&r->events, "{\"kind\":\"commit\",\"run\":\"%s\"}\n", r->runid);
    for (size_t k = 0; k < r->npend; k++) {
        /* a run's lines are together in the file */
        if (k == 0 || strcmp(r->pend[k - 1].run, r->pend[k].run) != 0)
            buf_putf(&r->events, "{\"kind\":\"commit\",\"run\":\"%s\"}\n",
                r->pend[k].run);
    }
    return record(r, d);
}

int
inbox_run(const struct inbox_opts *o, char *const *paths, size_t n, struct inbox_stats *st,
    struct diag *d)
{
    struct run r;
    const char *bad = NULL;
    char *evp = NULL;
    pthread_t mover;
    bool moving = false;
    int lockfd = -1, rc = -1, k;

    memset(st, 0, sizeof(*st));
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.cfg = o->cfg;
    r.st = st;
    r.now = time(NULL);
    snprintf(r.runid, sizeof(r.runid), "%lld.%ld", (long long)r.now, (long)getpid());
    buf_init(&r.events, 0);
    if (mkdir_p(o->cfg->paths.state_dir, 0700, &bad) == -1) {
        diag_set(d, EX_CANTCREAT, "cannot create the folder %s: %s", bad, strerror(errno));
        goto out;
    }
    evp = events_path(o->cfg->paths.state_dir);
    if ((lockfd = lock_file(evp, INBOX_LOCK_WAIT_MS, d)) == -1)
        goto out;
    if (pthread_create(&r.lister, NULL, list_thread, &r) == 0)
        r.listing = true;
    else
        (void)list_thread(&r);      /* no thread: loaded here, before the messages */
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        struct buf nd;
        bool md = false;

        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            buf_init(&nd, 0);
            buf_putf(&nd, "%s/new", paths[i]);
            md = access(buf_str(&nd), F_OK) == 0;
            buf_fini(&nd);
        }
        /* a Maildir's messages are read while the list loads (do_maildir waits for it);
           anything else, and an error, after: a list with an error says so first */
        if (!md && list_wait(&r, d) == -1)
            goto out;
        if (strcmp(paths[i], "-") == 0) {
            k = do_stdin(&r, d);
        } else if (md) {
            k = do_maildir(&r, paths[i], d);
        } else if (stat(paths[i], &sb) == -1) {
            diag_set(d, EX_NOINPUT, "cannot read: %s", strerror(errno));
            diag_path(d, paths[i]);
            k = -1;
        } else if (S_ISDIR(sb.st_mode)) {
            diag_set(d, EX_NOINPUT, "not a Maildir (no new/ folder); give a Maildir, "
                "an mbox file or - for standard input");
            diag_path(d, paths[i]);
            k = -1;
        } else {
            k = do_mbox(&r, paths[i], d);
        }
        if (k == -1)
            goto out;
    }
    if (list_wait(&r, d) == -1)     /* no path given */
        goto out;
    if (apply(&r, d) == -1)
        goto out;
    if (o->dry_run) {
        rc = 0;
        goto out;
    }
    /*
     * The events first (one write, one fdatasync: the group commit of the whole run),
     * then the Maildir's renames (in a thread) while the list is edited; a commit line
     * last.  A crash anywhere loses nothing and applies nothing twice: before the events
     * are on disk, nothing is recorded and the next run does it all; after, the messages
     * are known (skipped by digest even if still in new/) and the status lines without
     * a commit line are made again by the next run, for whoever is still mailed.
     */
    if (record(&r, d) == -1)
        goto out;
    if (r.nrenames > 0 && pthread_create(&mover, NULL, move_thread, &r) == 0)
        moving = true;
    else
        move_all(&r);
    k = edit_list(&r, d);
    if (moving)
        pthread_join(mover, NULL);
    if (k == -1)
        goto out;
    rc = 0;
out:
    if (r.listing)
        pthread_join(r.lister, NULL);
    if (lockfd != -1)
        lock_release(lockfd);
    free(evp);
    if (r.state != NULL && r.subs != NULL)
        for (size_t i = 0; i < r.subs->n; i++)
            free(r.state[i]);
    free(r.state);
    free(r.sids);
    subs_free(r.subs);
    campaign_list_fini(&r.camps);
    free(r.seen);
    free(r.softprev);
    for (size_t i = 0; i < r.nrenames; i++)
        free(r.renames[i]);
    free(r.renames);
    buf_fini(&r.events);
    free(r.pend);
    for (size_t i = 0; i < r.nch; i++)
        free((char *)r.ch[i].email);
    free(r.ch);
    return rc;
}

/* ---- for status and subscribers list -------------------------------------------------- */

struct count_arg {
    const char *campaign;
    struct inbox_counts *c;
};

static bool
has_str(const char *p, size_t n, const char *s)
{
    size_t m = strlen(s);

    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(p + i, s, m) == 0)
            return true;
    return false;
}

static void
count_one(void *arg, const char *p, size_t n)
{
    struct count_arg *a = arg;
    char kind[32], camp[128], sub[BOUNCE_ADDR_MAX];
    bool has = ev_field(p, n, "campaign", camp, sizeof(camp));

    if (!ev_field(p, n, "kind", kind, sizeof(kind)) ||
        !ev_field(p, n, "subscriber", sub, sizeof(sub)))
        return;
    if (a->campaign == NULL ? has : (!has || strcmp(camp, a->campaign) != 0))
        return;
    if (strcmp(kind, "bounce") == 0 && has_str(p, n, "\"action\":\"counted\""))
        a->c->bounces++;
    else if (strcmp(kind, "complaint") == 0 && has_str(p, n, "\"action\":\"unsubscribed\""))
        a->c->complaints++;
    else if (strcmp(kind, "unsubscribe") == 0)
        a->c->unsubscribes++;
}

int
inbox_campaign_counts(const char *state_dir, const char *campaign, struct inbox_counts *c,
    struct diag *d)
{
    struct count_arg a = { campaign, c };

    memset(c, 0, sizeof(*c));
    return each_event(state_dir, count_one, &a, d);
}

struct inbox_history {
    char **addr, **date, **why;
    size_t n;
};

static void
hist_one(void *arg, const char *p, size_t n)
{
    struct inbox_history *h = arg;
    char kind[16], sub[BOUNCE_ADDR_MAX], t[40], why[256], act[32];
    size_t k;

    if (!ev_field(p, n, "kind", kind, sizeof(kind)) || strcmp(kind, "status") != 0 ||
        !ev_field(p, n, "subscriber", sub, sizeof(sub)) ||
        !ev_field(p, n, "time", t, sizeof(t)) || !ev_field(p, n, "action", act, sizeof(act)))
        return;
    if (!ev_field(p, n, "reason", why, sizeof(why)))
        why[0] = '\0';
    for (k = 0; k < h->n && strcmp(h->addr[k], sub) != 0; k++)
        ;
    if (k == h->n) {
        h->addr = xreallocarray(h->addr, h->n + 1, sizeof(char *));
        h->date = xreallocarray(h->date, h->n + 1, sizeof(char *));
        h->why = xreallocarray(h->why, h->n + 1, sizeof(char *));
        h->addr[k] = xstrdup(sub);
        h->date[k] = h->why[k] = NULL;
        h->n++;
    }
    free(h->date[k]);
    free(h->why[k]);
    t[10] = '\0';                   /* the date of "YYYY-MM-DDTHH:MM:SSZ" */
    h->date[k] = xstrdup(t);
    h->why[k] = xstrdup(why);
}

struct inbox_history *
inbox_history_load(const char *state_dir)
{
    struct inbox_history *h = xcalloc(1, sizeof(*h));
    struct diag d = DIAG_INIT;

    (void)each_event(state_dir, hist_one, h, &d);  /* unreadable: no history to show */
    return h;
}

bool
inbox_history_find(const struct inbox_history *h, const char *addr, char date[11], char *why,
    size_t whysize)
{
    for (size_t k = h ? h->n : 0; k > 0; k--) {
        if (ascii_strcasecmp(h->addr[k - 1], addr) == 0) {
            snprintf(date, 11, "%s", h->date[k - 1]);
            snprintf(why, whysize, "%s", h->why[k - 1]);
            return true;
        }
    }
    return false;
}

void
inbox_history_free(struct inbox_history *h)
{
    if (h == NULL)
        return;
    for (size_t k = 0; k < h->n; k++) {
        free(h->addr[k]);
        free(h->date[k]);
        free(h->why[k]);
    }
    free(h->addr);
    free(h->date);
    free(h->why);
    free(h);
}
