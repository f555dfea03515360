/*
 * mailer: worker threads, one transport (connection) each, over a shared queue.
 * Reply classes per RFC 5321 4.2.1 and RFC 3463 (transport_classify()).  The journal
 * rule: a message's "start" record is written (and, with smtp.journal_sync: message,
 * durable) before the end of its data goes out (transport_msg.before_end), so a crash
 * leaves it "uncertain" at worst, never unknown.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "journal.h"
#include "log.h"
#include "mailer.h"
#include "subs.h"
#include "transport.h"
#include "util.h"
#include "value.h"

#define MAILER_MAX_WORKERS 64
#define SPEEDUP_STREAK 20           /* successes in a row before speeding up again */
#define PUSHBACK_PACE 0.02          /* seconds between messages after a push-back ... */
#define PUSHBACK_SCALE_MAX 64.0     /* ... times at most this */
#define PARK_WAIT 0.1               /* a parked worker looks again this often */
#define MESSAGE_MAX ((size_t)64 << 20)
#define POLICY_STOP 3               /* identical refusals of us (not of the subscriber) in a
                                       row before the run stops */

struct job {
    const struct subscriber *s;
    int attempts;                   /* made so far */
    double due;
};

struct run {
    const struct mailer_opts *o;
    const struct config *cfg;
    const struct transport_ops *ops;
    struct transport_opts topts;
    const char *from;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const struct subscriber *const *subs;
    size_t n, next;
    struct job *retry;
    size_t nretry, capretry;
    size_t busy;
    int workers, allowed, running;
    int streak;
    bool stop, connected_once;
    int open_failures;
    bool greeted_once;              /* some reply got past a server's greeting */
    int greet_failures;             /* greetings that never came, in a row */
    int policy_streak;              /* refusals of the sender or relay in a row ... */
    int policy_code;                /* ... all with this code */
    char policy_enh[16];            /* ... and enhanced code */
    struct diag fatal;
    double interval, scale, next_start;
    double t0;
    struct mailer_stats *st;
    int logfd;
    size_t last_tenth;              /* progress_lines: tenths of the run reported */
    double last_line;               /* progress_lines: when the last line was printed */
};

#define PROGRESS_EVERY 10.0         /* progress_lines: at least a line this often (s) */

/* One progress line: done/total, percentage, sent, failed, rate, time left.  r->mu held. */
static void
progress_line(struct run *r, const char *lead, const char *tail)
{
    size_t sent = r->st->sent, fail = r->st->permfail + r->st->tempfail + r->st->uncertain;
    size_t done = sent + fail, total = r->n;
    double el = mono_now() - r->t0, rate = el > 0 ? (double)sent / el : 0.0;
    double left = rate > 0 && total > done ? (double)(total - done) / rate : 0.0;

    fprintf(stderr, "%sgazette: %s: %zu/%zu (%zu%%), %zu sent, %zu failed, %.1f msg/s, "
        "about %.0f s left%s", lead, r->o->campaign, done, total, total ? done * 100 / total :
        100, sent, fail, rate, left, tail);
    fflush(stderr);
    r->last_line = mono_now();
}

struct hook {
    struct journal *j;
    uint64_t seq;
    bool durable;               /* fdatasync, not only write (smtp.journal_sync: message) */
    struct diag err;            /* why the journal could not be written */
};

static void
sleep_until(double t)
{
    double d = t - mono_now();

    if (d > 0) {
        struct timespec ts = { (time_t)d, (long)((d - floor(d)) * 1e9) };

        nanosleep(&ts, NULL);
    }
}

static double
jitter(void)
{
    static __thread unsigned seed;

    if (seed == 0)
        seed = (unsigned)(mono_now() * 1e6) ^ (unsigned)(uintptr_t)&seed;
    return 0.5 + (double)rand_r(&seed) / RAND_MAX;      /* 0.5 .. 1.5 */
}

static int
hook(void *arg)
{
    struct hook *h = arg;

    if (h->j == NULL)
        return 0;
    return h->durable ? journal_sync(h->j, h->seq, &h->err) :
        journal_write(h->j, h->seq, &h->err);
}

/* ---- the log file ---------------------------------------------------------------- */

/* Start a log line: {"time": ..., "campaign": ... */
static void
log_head(struct run *r, struct buf *b)
{
    struct timespec ts;
    struct tm tm;
    char t[40];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
    buf_putf(b, "{\"time\": \"%s.%03ldZ\", \"campaign\": ", t, ts.tv_nsec / 1000000);
    value_json_string(b, r->o->campaign, strlen(r->o->campaign));
}

/* The last line of a run: what it did, in numbers. */
static void
log_summary(struct run *r)
{
    const struct mailer_stats *st = r->st;
    struct buf b;

    if (r->logfd == -1)
        return;
    buf_init(&b, 0);
    log_head(r, &b);
    buf_putf(&b, ", \"event\": \"summary\", \"total\": %zu, \"sent\": %zu, \"tempfail\": "
        "%zu, \"permfail\": %zu, \"uncertain\": %zu, \"retried\": %zu, \"slowdowns\": %zu, "
        "\"stopped\": %s, \"seconds\": %.3f, \"reason\": ", st->total, st->sent, st->tempfail,
        st->permfail, st->uncertain, st->retried, st->slowdowns,
        diag_is_set(&r->fatal) ? "true" : "false", st->seconds);
    /* why the run stopped (TLS, login, connection), for monitoring; null when it did not */
    if (diag_is_set(&r->fatal))
        value_json_string(&b, r->fatal.msg, strlen(r->fatal.msg));
    else
        buf_puts(&b, "null");
    buf_puts(&b, "}\n");
    if (write(r->logfd, buf_str(&b), b.len) != (ssize_t)b.len)
        log_warn("cannot write the log file");
    buf_fini(&b);
}

static void
log_event(struct run *r, const struct subscriber *s, const char *event, int attempt,
    const struct transport_result *res)
{
    struct buf b;

    if (r->logfd == -1 && !r->o->syslog)
        return;
    buf_init(&b, 0);
    log_head(r, &b);
    buf_puts(&b, ", \"subscriber\": ");
    value_json_string(&b, s->addr, strlen(s->addr));
    buf_putf(&b, ", \"event\": \"%s\", \"attempt\": %d", event, attempt);
    if (res != NULL) {
        buf_putf(&b, ", \"stage\": \"%s\", \"code\": %d, \"enhanced\": ",
            transport_stage_name(res->stage), res->code);
        value_json_string(&b, res->enhanced, strlen(res->enhanced));
        buf_puts(&b, ", \"text\": ");
        value_json_string(&b, res->text, strlen(res->text));
        buf_putf(&b, ", \"latency\": %.3f", res->latency);
    }
    buf_puts(&b, "}\n");
    /* one write(2) per line on an O_APPEND descriptor: lines never interleave */
    if (r->logfd != -1 && write(r->logfd, buf_str(&b), b.len) != (ssize_t)b.len)
        log_warn("cannot write the log file");
    if (r->o->syslog && strcmp(event, "sent") != 0)
        log_syslog(true, "campaign %s: %s: %s %d %s %s", r->o->campaign, s->addr, event,
            res ? res->code : 0, res ? res->enhanced : "", res ? res->text : "");
    buf_fini(&b);
}

/* ---- scheduling -------------------------------------------------------------------- */

/* The next job for worker id; false when there is nothing left (or the run stopped). */
static bool
take(struct run *r, int id, struct job *j)
{
    pthread_mutex_lock(&r->mu);
    for (;;) {
        double t = mono_now(), wake = t + PARK_WAIT;
        size_t best = (size_t)-1;

        if (r->stop)
            break;
        if (id < r->allowed) {
            for (size_t i = 0; i < r->nretry; i++) {
                if (r->retry[i].due <= t && (best == (size_t)-1 ||
                    r->retry[i].due < r->retry[best].due))
                    best = i;
                if (r->retry[i].due < wake)
                    wake = r->retry[i].due;
            }
            if (best != (size_t)-1) {
                *j = r->retry[best];
                r->retry[best] = r->retry[--r->nretry];
                r->busy++;
                pthread_mutex_unlock(&r->mu);
                return true;
            }
            if (r->next < r->n) {
                j->s = r->subs[r->next++];
                j->attempts = 0;
                j->due = 0;
                r->busy++;
                pthread_mutex_unlock(&r->mu);
                return true;
            }
        }
        if (r->next >= r->n && r->nretry == 0 && r->busy == 0)
            break;
        {
            struct timespec ts;
            double real;

            /* pthread_cond_timedwait wants CLOCK_REALTIME */
            clock_gettime(CLOCK_REALTIME, &ts);
            real = (double)ts.tv_sec + ts.tv_nsec / 1e9 + (wake - t);
            ts.tv_sec = (time_t)real;
            ts.tv_nsec = (long)((real - floor(real)) * 1e9);
            pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        }
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return false;
}

static void
done(struct run *r)
{
    pthread_mutex_lock(&r->mu);
    r->busy--;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Put a job back to be tried again at due (with the lock held). */
static void
requeue(struct run *r, const struct job *j, double due)
{
    if (r->nretry == r->capretry) {
        r->capretry = r->capretry ? r->capretry * 2 : 64;
        r->retry = xreallocarray(r->retry, r->capretry, sizeof(*r->retry));
    }
    r->retry[r->nretry] = *j;
    r->retry[r->nretry].due = due;
    r->nretry++;
}

/* Wait for this worker's turn under the rate limit (and the push-back pace). */
static void
pace(struct run *r)
{
    double start, iv;

    pthread_mutex_lock(&r->mu);
    iv = r->interval;
    if (r->scale > 1.0)
        iv = (iv > PUSHBACK_PACE ? iv : PUSHBACK_PACE) * r->scale;
    start = mono_now();
    if (r->next_start > start)
        start = r->next_start;
    r->next_start = start + iv;
    pthread_mutex_unlock(&r->mu);
    sleep_until(start);
}

/* The server pushed back: fewer connections, a slower pace, for the whole run. */
static void
slow_down(struct run *r, const char *why)
{
    int allowed;
    double scale;

    pthread_mutex_lock(&r->mu);
    r->st->slowdowns++;
    r->streak = 0;
    if (r->allowed > 1)
        r->allowed = (r->allowed + 1) / 2;
    r->scale = r->scale < 1.0 ? 2.0 : r->scale * 2;
    if (r->scale > PUSHBACK_SCALE_MAX)
        r->scale = PUSHBACK_SCALE_MAX;
    allowed = r->allowed;           /* what this call decided, read under the lock */
    scale = r->scale;
    pthread_mutex_unlock(&r->mu);
    log_info("campaign %s: the server pushed back (%s); slowing down to %d connection(s), "
        "pace x%.2f", r->o->campaign, why, allowed, scale);
}

/* A success: after a streak, speed up again, one step at a time. */
static void
speed_up(struct run *r)
{
    bool faster = false;
    int allowed = 0;
    double scale = 1.0;

    pthread_mutex_lock(&r->mu);
    if (++r->streak >= SPEEDUP_STREAK && (r->scale > 1.0 || r->allowed < r->workers)) {
        r->streak = 0;
        r->scale /= 1.5;
        if (r->scale <= 1.0)
            r->scale = 1.0;
        if (r->allowed < r->workers)
            r->allowed++;
        pthread_cond_broadcast(&r->cv);
        faster = true;
        allowed = r->allowed;
        scale = r->scale;
    }
    pthread_mutex_unlock(&r->mu);
    if (faster)
        log_info("campaign %s: %d sent in a row; speeding up to %d connection(s), pace "
            "x%.2f%s", r->o->campaign, SPEEDUP_STREAK, allowed, scale,
            scale <= 1.0 && allowed == r->workers ? " (full speed)" : "");
}

static bool
is_pushback(const struct transport_result *res)
{
    return res->code == 421 || res->code == 451 || res->code == 452 ||
        (res->code == 0 && res->stage == TRANSPORT_STAGE_CONNECT);
}

/* A permanent refusal that says the mailbox is bad (not a policy block, RFC 3463). */
static bool
is_bad_mailbox(const struct transport_result *res)
{
    if (res->stage != TRANSPORT_STAGE_RCPT)
        return false;
    if (res->enhanced[0] != '\0')
        return strncmp(res->enhanced, "5.1.", 4) == 0;
    return res->code == 550 || res->code == 551 || res->code == 553;
}

/*
 * A refusal at RCPT that is about the sender or the relay, not about the subscriber: an
 * RFC 3463 X.7.XXX code (security or policy: "5.7.1 Relay access denied", a sender
 * blocked), or a relay refusal without enhanced code.  Not a verdict on the address: it
 * stays due, and is never counted as a bounce.
 */
static bool
is_policy_refusal(const struct transport_result *res)
{
    static const char relay[] = "relay";

    if (res->outcome != TRANSPORT_PERMFAIL || res->stage != TRANSPORT_STAGE_RCPT)
        return false;
    if (res->enhanced[0] != '\0')
        return strncmp(res->enhanced, "5.7.", 4) == 0;
    for (const char *p = res->text; *p != '\0'; p++)
        if (ascii_strncasecmp(p, relay, sizeof(relay) - 1) == 0)
            return true;
    return false;
}

static void
stop_run(struct run *r, const struct diag *d)
{
    pthread_mutex_lock(&r->mu);
    if (!diag_is_set(&r->fatal))
        r->fatal = *d;
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

double
mailer_retry_delay(const struct config *cfg, enum transport_outcome outcome, int attempts,
    double elapsed, double jit)
{
    double delay;

    if (outcome != TRANSPORT_TEMPFAIL &&
        !(outcome == TRANSPORT_UNCERTAIN && cfg->smtp.resend_uncertain))
        return -1;
    delay = cfg->smtp.retry_delay * pow(2, attempts - 1) * jit;
    if (attempts >= cfg->smtp.max_attempts || elapsed + delay > (double)cfg->smtp.retry_max_time)
        return -1;
    return delay;
}

/* The journal's state and the log's event for an outcome. */
static enum journal_state
state_of(enum transport_outcome outcome, const char **event)
{
    switch (outcome) {
    case TRANSPORT_SENT:
        *event = "sent";
        return JOURNAL_SENT;
    case TRANSPORT_PERMFAIL:
        *event = "permfail";
        return JOURNAL_PERMFAIL;
    case TRANSPORT_UNCERTAIN:
        *event = "uncertain";
        return JOURNAL_UNCERTAIN;
    case TRANSPORT_FATAL:
        *event = "fatal";
        return JOURNAL_TEMPFAIL;
    case TRANSPORT_TEMPFAIL:
        break;
    }
    *event = "tempfail";
    return JOURNAL_TEMPFAIL;
}

/*
 * The attempt's record.  "sent" goes out with the next message's "start" (or the next
 * batch): killed before that, the message is "uncertain", not lost.  A failure is written
 * at once (and synced, with journal_sync: message): lost, it would leave its subscriber
 * "uncertain", without a copy.
 */
static void
record(struct run *r, const struct job *j, enum journal_state js,
    const struct transport_result *res)
{
    struct journal *jn = r->o->journal;
    uint64_t seq;

    if (jn == NULL)
        return;
    seq = journal_add(jn, j->s->addr, js, res->code, res->enhanced, res->text, res->latency);
    if (js != JOURNAL_SENT) {
        if (r->cfg->smtp.journal_sync == CONFIG_JSYNC_MESSAGE)
            journal_sync(jn, seq, NULL);
        else
            journal_write(jn, seq, NULL);
    }
}

/* Count the outcome, or put the job back; under r->mu. */
static void
count_locked(struct run *r, struct job *j, const struct transport_result *res, double delay,
    bool policy)
{
    if (delay >= 0) {
        requeue(r, j, mono_now() + delay);
        r->st->retried++;
        return;
    }
    switch (res->outcome) {
    case TRANSPORT_SENT:
        r->st->sent++;
        break;
    case TRANSPORT_PERMFAIL:
        if (policy) {
            r->st->tempfail++;              /* not a verdict on the subscriber */
            break;
        }
        r->st->permfail++;
        if (is_bad_mailbox(res)) {
            r->st->bounced = xreallocarray(r->st->bounced, r->st->nbounced + 1,
                sizeof(char *));
            r->st->bounced[r->st->nbounced++] = xstrdup(j->s->addr);
        }
        break;
    case TRANSPORT_UNCERTAIN:
        r->st->uncertain++;
        break;
    case TRANSPORT_TEMPFAIL:
        r->st->tempfail++;
        break;
    case TRANSPORT_FATAL:
        /* the message did not go: it stays due for the next run */
        requeue(r, j, mono_now());
        break;
    }
    if (r->o->progress_lines && r->n > 0) {
        /* every tenth of the run, counted here so that no tenth is missed however fast
           the run goes */
        size_t done = r->st->sent + r->st->permfail + r->st->tempfail + r->st->uncertain;

        if (done * 10 / r->n > r->last_tenth) {
            r->last_tenth = done * 10 / r->n;
            progress_line(r, "", "\n");
        }
    }
}

/*
 * No greeting (a server that takes the connection, then hangs or drops it): a transport
 * that connects in send() reports it per message.  As for a failed open
 * (connect_worker()), stop when nothing will get through, rather than wait out
 * smtp.timeout for every subscriber in turn.  Returns the failures in a row when it is
 * time to stop, else 0; under r->mu.
 */
static int
greetings_locked(struct run *r, const struct transport_result *res)
{
    if (res->outcome == TRANSPORT_TEMPFAIL && res->code == 0 &&
        res->stage == TRANSPORT_STAGE_CONNECT) {
        if (++r->greet_failures >= r->cfg->smtp.max_attempts * (r->greeted_once ? 4 : 1))
            return r->greet_failures;
    } else if (res->stage != TRANSPORT_STAGE_CONNECT) {
        r->greeted_once = true;
        r->greet_failures = 0;
    }
    return 0;
}

/*
 * Refusals of us (is_policy_refusal()) in a row, all with the same reply: the count when
 * it is time to stop the run, else 0; under r->mu.
 */
static int
policy_locked(struct run *r, const struct transport_result *res, bool policy)
{
    if (!policy) {
        r->policy_streak = 0;
        return 0;
    }
    if (r->policy_streak > 0 && r->policy_code == res->code &&
        strcmp(r->policy_enh, res->enhanced) == 0)
        return ++r->policy_streak >= POLICY_STOP ? r->policy_streak : 0;
    r->policy_streak = 1;
    r->policy_code = res->code;
    snprintf(r->policy_enh, sizeof(r->policy_enh), "%s", res->enhanced);
    return 0;
}

/* Pacing after an attempt, and stopping the run when nothing more can get through. */
static void
react(struct run *r, const struct transport_result *res, int give_up, int policy_stop)
{
    if (policy_stop) {
        struct diag d = DIAG_INIT;

        diag_set(&d, EX_UNAVAILABLE, "%s: %d recipients in a row refused with \"%s\": the "
            "server refuses the sender or the relay, not the subscribers; stopped, and "
            "every address not sent stays due (check smtp.url, the login and "
            "newsletter.from)", r->cfg->smtp.url ? r->cfg->smtp.url : r->ops->name,
            policy_stop, res->text);
        stop_run(r, &d);
    }
    if (give_up) {
        struct diag d = DIAG_INIT;

        diag_set(&d, EX_TEMPFAIL, "%s: no greeting from the server, %d times in a row: %s",
            r->cfg->smtp.url ? r->cfg->smtp.url : config_transport_name(r->cfg), give_up,
            res->text);
        stop_run(r, &d);
    }
    if (res->outcome == TRANSPORT_SENT)
        speed_up(r);
    else if (res->outcome == TRANSPORT_TEMPFAIL && is_pushback(res)) {
        char why[64];

        snprintf(why, sizeof(why), "%d %s", res->code, res->enhanced);
        slow_down(r, res->code ? why : "connection failed");
    }
    if (res->outcome == TRANSPORT_FATAL) {
        struct diag d = DIAG_INIT;

        diag_set(&d, transport_exit_code(res), "%s: stopped at %s: %s; every later message would "
            "fail the same way", r->cfg->smtp.url ? r->cfg->smtp.url :
            config_transport_name(r->cfg),
            transport_stage_name(res->stage), res->text);
        stop_run(r, &d);
    }
}

/* What to do with the result of one attempt. */
static void
settle(struct run *r, struct job *j, const struct transport_result *res)
{
    const char *event;
    enum journal_state js = state_of(res->outcome, &event);
    bool policy = is_policy_refusal(res);
    double delay;
    int give_up, policy_stop;

    if (policy) {                   /* a temporary failure, not tried again in this run */
        js = JOURNAL_TEMPFAIL;
        event = "tempfail";
    }
    j->attempts++;
    delay = mailer_retry_delay(r->cfg, res->outcome, j->attempts, mono_now() - r->t0,
        jitter());
    record(r, j, js, res);
    log_event(r, j->s, event, j->attempts, res);
    if (res->outcome != TRANSPORT_SENT)
        log_debug("%s: %s at %s: %d %s %s", j->s->addr, event,
            transport_stage_name(res->stage), res->code, res->enhanced, res->text);
    pthread_mutex_lock(&r->mu);
    count_locked(r, j, res, delay, policy);
    give_up = greetings_locked(r, res);
    policy_stop = policy_locked(r, res, policy);
    pthread_mutex_unlock(&r->mu);
    react(r, res, give_up, policy_stop);
}

/* ---- workers ---------------------------------------------------------------------- */

struct worker {
    struct run *r;
    int id;
    pthread_t th;
};

static struct transport *
connect_worker(struct run *r, struct worker *w, struct job *j)
{
    struct diag d = DIAG_INIT;
    struct transport *t = r->ops->open(&r->topts, &d);
    bool temp;

    if (t != NULL) {
        pthread_mutex_lock(&r->mu);
        r->connected_once = true;
        r->open_failures = 0;
        pthread_mutex_unlock(&r->mu);
        return t;
    }
    temp = d.code == EX_TEMPFAIL || d.code == EX_UNAVAILABLE;
    pthread_mutex_lock(&r->mu);
    r->open_failures++;
    requeue(r, j, mono_now() + (temp ? r->cfg->smtp.retry_delay * jitter() : 0));
    r->busy--;
    pthread_cond_broadcast(&r->cv);
    /* Never connected, or failing again and again: nothing will get through. */
    if (!temp || r->open_failures >= r->cfg->smtp.max_attempts * (r->connected_once ? 4 : 1)) {
        pthread_mutex_unlock(&r->mu);
        stop_run(r, &d);
        return NULL;
    }
    pthread_mutex_unlock(&r->mu);
    (void)w;
    slow_down(r, "cannot connect");
    return NULL;
}

static void *
work(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->r;
    struct transport *t = NULL;
    struct buf msg, vfrom;
    struct job j;

    buf_init(&msg, MESSAGE_MAX);
    buf_init(&vfrom, 0);
    while (take(r, w->id, &j)) {
        struct transport_result res;
        struct transport_msg m;
        struct hook h = { r->o->journal, 0,
            r->cfg->smtp.journal_sync == CONFIG_JSYNC_MESSAGE, DIAG_INIT };
        struct diag d = DIAG_INIT;

        if (t == NULL && (t = connect_worker(r, w, &j)) == NULL)
            continue;           /* the job went back to the queue */
        pace(r);
        buf_reset(&msg);
        if (digest_message(r->o->digest, j.s, &msg, &d) == -1) {
            memset(&res, 0, sizeof(res));
            res.outcome = TRANSPORT_PERMFAIL;
            res.stage = TRANSPORT_STAGE_COMPOSE;
            diag_message(&d, res.text, sizeof(res.text));
            j.attempts = r->cfg->smtp.max_attempts;
            settle(r, &j, &res);
            done(r);
            continue;
        }
        if (h.j != NULL)
            h.seq = journal_add(h.j, j.s->addr, JOURNAL_START, 0, NULL, NULL, 0);
        memset(&m, 0, sizeof(m));
        m.from = r->from;
        /* VERP: this subscriber's signed return path (the campaign's token), so that a
           bounce relayed back hours later still names both */
        if (r->cfg->newsletter.verp &&
            digest_verp_address(r->o->digest, r->from, j.s->addr, &vfrom) == 0)
            m.from = buf_str(&vfrom);
        m.rcpt = j.s->addr;
        m.data = buf_str(&msg);
        m.len = msg.len;
        m.before_end = hook;
        m.before_end_arg = &h;
        r->ops->send(t, &m, &res);
        if (res.outcome != TRANSPORT_SENT && res.stage == TRANSPORT_STAGE_JOURNAL) {
            /* The transport stopped before the end of the data, so this copy did not
               go; but without a journal no later one could go safely either. */
            res.outcome = TRANSPORT_FATAL;
            if (diag_is_set(&h.err)) {
                struct buf why;

                buf_init(&why, 0);
                buf_putf(&why, "%s (%s)", h.err.msg, h.err.path);
                transport_copy_text(res.text, sizeof(res.text), buf_str(&why), why.len);
                buf_fini(&why);
            }
        }
        settle(r, &j, &res);
        if (res.reconnect || res.outcome == TRANSPORT_FATAL) {
            r->ops->close(t);
            t = NULL;
        }
        done(r);
    }
    if (t != NULL)
        r->ops->close(t);
    buf_fini(&msg);
    buf_fini(&vfrom);
    pthread_mutex_lock(&r->mu);
    r->running--;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/*
 * The run stopped (no server, TLS, login, a hang, a relay that refuses us): each address
 * it never tried gets a temporary failure in the journal, so that the journal, `gazette
 * status` and the summary agree, and --retry-failed and the next run send to them.
 */
static void
record_not_attempted(struct run *r)
{
    struct buf why;

    if (r->o->journal == NULL)
        return;
    buf_init(&why, 0);
    buf_putf(&why, "not attempted: the run stopped before it (%s)", r->fatal.msg);
    for (size_t i = 0; i < r->nretry; i++)
        if (r->retry[i].attempts == 0)          /* requeued by a failed connect */
            journal_add(r->o->journal, r->retry[i].s->addr, JOURNAL_TEMPFAIL, 0, "",
                buf_str(&why), 0);
    for (size_t i = r->next; i < r->n; i++)
        journal_add(r->o->journal, r->subs[i]->addr, JOURNAL_TEMPFAIL, 0, "", buf_str(&why),
            0);
    buf_fini(&why);
}

static void
progress(struct run *r, bool final)
{
    pthread_mutex_lock(&r->mu);
    if (r->o->progress)
        progress_line(r, "\r", final ? "   \n" : "   ");
    else if (!final && mono_now() - r->last_line >= PROGRESS_EVERY)
        progress_line(r, "", "\n");
    pthread_mutex_unlock(&r->mu);
}

int
mailer_run(const struct mailer_opts *o, const struct subscriber *const *subs, size_t n,
    struct mailer_stats *st, struct diag *d)
{
    const struct config *cfg = o->cfg;
    struct worker *w;
    struct run r;
    int nw, rc = 0;

    memset(st, 0, sizeof(*st));
    memset(&r, 0, sizeof(r));
    st->total = n;
    r.o = o;
    r.cfg = cfg;
    r.st = st;
    r.subs = subs;
    r.n = n;
    r.logfd = -1;
    r.scale = 1.0;
    r.ops = transport_for(cfg);
    r.topts.cfg = cfg;
    r.topts.password = o->password;
    r.topts.maildir = cfg->paths.outbox;
    r.from = cfg->newsletter.bounce_to ? cfg->newsletter.bounce_to : cfg->newsletter.from;
    if (cfg->smtp.rate_per_second > 0)
        r.interval = 1.0 / cfg->smtp.rate_per_second;
    if (cfg->smtp.rate_per_hour > 0 && 3600.0 / (double)cfg->smtp.rate_per_hour > r.interval)
        r.interval = 3600.0 / (double)cfg->smtp.rate_per_hour;  /* spread over the hour */
    nw = (int)cfg->smtp.connections;
    if (nw > MAILER_MAX_WORKERS)
        nw = MAILER_MAX_WORKERS;
    if ((size_t)nw > n)
        nw = n > 0 ? (int)n : 1;
    r.workers = r.allowed = r.running = nw;
    if (o->log_path != NULL) {
        r.logfd = open(o->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
            0600);
        if (r.logfd == -1) {
            diag_set(d, errno == ELOOP ? EX_NOPERM : EX_CANTCREAT, "cannot open the log file: %s",
                errno == ELOOP ? "it is a symbolic link, which gazette never follows; remove it" :
                strerror(errno));
            diag_path(d, o->log_path);
            return -1;
        }
    }
    if (o->syslog)
        log_syslog_open();
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    r.t0 = mono_now();
    r.last_line = r.t0;
    w = xcalloc((size_t)nw, sizeof(*w));
    for (int i = 0; i < nw; i++) {
        w[i].r = &r;
        w[i].id = i;
        if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0) {
            diag_set(&r.fatal, EX_OSERR, "cannot start a sending thread");
            r.stop = true;
            nw = i;
            r.running = i;
            break;
        }
    }
    if (o->progress || o->progress_lines) {
        pthread_mutex_lock(&r.mu);
        while (r.running > 0) {
            struct timespec ts;

            pthread_mutex_unlock(&r.mu);
            progress(&r, false);
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_mutex_lock(&r.mu);
            if (r.running > 0)
                pthread_cond_timedwait(&r.cv, &r.mu, &ts);
        }
        pthread_mutex_unlock(&r.mu);
    }
    for (int i = 0; i < nw; i++)
        pthread_join(w[i].th, NULL);
    if (o->progress)
        progress(&r, true);
    /* what never got a final answer stays due: a re-run picks it up */
    st->tempfail += r.nretry + (r.n - r.next);
    if (diag_is_set(&r.fatal))
        record_not_attempted(&r);
    st->seconds = mono_now() - r.t0;
    log_summary(&r);
    if (diag_is_set(&r.fatal)) {
        *d = r.fatal;
        rc = -1;
    }
    if (o->journal != NULL && journal_flush(o->journal, d) == -1)
        rc = -1;
    if (r.logfd != -1)
        close(r.logfd);
    if (o->syslog)
        log_syslog_close();
    free(w);
    free(r.retry);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);
    return rc;
}

void
mailer_stats_fini(struct mailer_stats *st)
{
    for (size_t i = 0; i < st->nbounced; i++)
        free(st->bounced[i]);
    free(st->bounced);
    st->bounced = NULL;
    st->nbounced = 0;
}
