/*
 * serve: the HTTP side of `gazette serve` on libmicrohttpd: listening (TCP over IPv4 or
 * IPv6, or a Unix socket), routing, the pages (templates/web/), security headers, and
 * the group commit: a request that changes the list is written to the request log, its
 * connection suspended, and resumed by the committer thread once an fdatasync covers it
 * (one fdatasync answers every request written meanwhile).  RFC 8058 (one-click
 * unsubscribe), RFC 9110 (HTTP semantics), RFC 7034 (X-Frame-Options).
 * SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "addr.h"
#include "buf.h"
#include "builtin_templates.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "log.h"
#include "mime.h"
#include "reqlog.h"
#include "serve.h"
#include "text.h"
#include "tmpl.h"
#include "transport.h"
#include "util.h"
#include "value.h"

#define BODY_MAX 8192               /* a form or a one-click body; more is 413 */
#define CONFIRM_MAIL_MAX (1 << 20)  /* a confirmation mail, encoded; its text: the same */
#define PAGE_MAX (1 << 20)          /* a rendered page */
#define HEADER_MEM (32 * 1024)      /* per connection: request line + headers; more is 431 */
#define CONN_MAX 4096               /* connections at once */
#define NAME_MAX_BYTES 200          /* a sign-up's name */
#define TAGS_MAX 32
#define RATE_SLOTS 4096             /* client addresses remembered for the rate limit */
#define CONFIRM_SLOTS 4096          /* addresses remembered for "one confirmation an hour" */
#define CONFIRM_EVERY 3600          /* seconds between two confirmation mails to one address */
#define APPLY_WAIT_MS 10000
#define APPLY_SETTLE_MS 100         /* a batch waits while requests still come, ... */
#define APPLY_SETTLE_TRIES 10       /* ... this many times at most */
#define MAILQ_MAX 1000              /* confirmation mails waiting; more are dropped (logged) */

/* Strict headers for every page: no script, no framing, no referrer (RFC 7034, CSP 3). */
#define CSP_HEAD "default-src 'none'; form-action 'self'; frame-ancestors 'none'; " \
    "base-uri 'none'"

enum cstate { C_NEW, C_BODY, C_WAIT, C_DONE };

struct conn {
    enum cstate state;
    struct buf body;
    char *boundary;             /* multipart/form-data's, or NULL for urlencoded */
    bool too_big;
    /* what to answer once the request is durable */
    unsigned status;
    const char *page;
    struct value *data;
    bool durable;               /* set by the committer: the sync succeeded */
    uint64_t ticket;
    char email[ADDR_BUF];
    bool mail;                  /* send a confirmation once durable */
    char *confirm_url;
    char *name;
};

struct waiter {
    struct MHD_Connection *mc;
    struct conn *c;
};

struct rate {
    char key[64];
    time_t start;
    long count;
};

struct mailjob {
    char email[ADDR_BUF];
    char *name;
    char *url;
};

struct server {
    const struct config *cfg;
    const char *subs_path;
    char *secret;
    struct reqlog *log;
    int logfd;
    struct MHD_Daemon *mhd;
    /* routes */
    char *unsub_path, *email_param, *token_param;
    char *base_path;            /* base_url's path without a trailing "/" ("" for none) */
    char *base_url;             /* without a trailing "/" */
    char *p_subscribe, *p_confirm, *p_resubscribe;
    /* templates */
    pthread_mutex_t tmu;
    struct tmpl_partials *parts;
    /* committer */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct waiter *w;
    size_t nw, capw;
    size_t inflight;            /* requests between the stopping check and their wait */
    bool busy;                  /* the committer holds a batch */
    bool stopping;              /* no new request is parked (shutdown) */
    bool stop;
    /* applier */
    pthread_mutex_t amu;
    pthread_cond_t acv;
    bool astop;
    /* limits */
    pthread_mutex_t rmu;
    struct rate rates[RATE_SLOTS];
    struct rate confirms[CONFIRM_SLOTS];
    /* mailer */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    struct mailjob *q;
    size_t nq, capq;
    bool qstop;
};

/* ---- small helpers ------------------------------------------------------------------- */

/*
 * The values of key in an application/x-www-form-urlencoded body (WHATWG URL 5.1), decoded,
 * one after another: pass *pos 0 first.  NULL when there is no further one.  Caller frees.
 */
static char *
form_next(const char *body, size_t len, const char *key, size_t *pos)
{
    size_t kl = strlen(key);

    while (*pos < len) {
        const char *p = body + *pos, *end = memchr(p, '&', len - *pos), *eq;
        size_t n;

        if (end == NULL)
            end = body + len;
        *pos = (size_t)(end - body) + 1;
        eq = memchr(p, '=', (size_t)(end - p));
        n = (size_t)((eq ? eq : end) - p);
        if (n == kl && memcmp(p, key, kl) == 0) {
            struct buf v;
            const char *s = eq ? eq + 1 : end;

            buf_init(&v, 0);                /* no longer than the body: BODY_MAX */
            buf_puts(&v, "");
            for (; s < end; s++) {
                if (*s == '+')
                    buf_putc(&v, ' ');
                else if (*s == '%' && end - s >= 3 && text_hex_value(s[1]) >= 0 &&
                    text_hex_value(s[2]) >= 0) {
                    buf_putc(&v, (char)(text_hex_value(s[1]) << 4 | text_hex_value(s[2])));
                    s += 2;
                } else
                    buf_putc(&v, *s);
            }
            return buf_steal(&v);
        }
    }
    return NULL;
}

/* find needle[0..nn) in p[0..n), or NULL */
static const char *
mem_find(const char *p, size_t n, const char *needle, size_t nn)
{
    for (size_t i = 0; nn > 0 && i + nn <= n; i++)
        if (p[i] == needle[0] && memcmp(p + i, needle, nn) == 0)
            return p + i;
    return NULL;
}

/*
 * The values of key in a multipart/form-data body (RFC 7578; RFC 8058 3.1 says one-click
 * POSTs SHOULD use it): parts between "--boundary" lines, the name in Content-Disposition.
 */
static char *
multipart_next(const char *body, size_t len, const char *boundary, const char *key,
    size_t *pos)
{
    char delim[256], want[256];
    size_t dl, wl;

    if (snprintf(delim, sizeof(delim), "\r\n--%s", boundary) >= (int)sizeof(delim) ||
        snprintf(want, sizeof(want), "name=\"%s\"", key) >= (int)sizeof(want))
        return NULL;
    dl = strlen(delim);
    wl = strlen(want);
    if (*pos == 0) {
        /* the first delimiter may open the body without the CRLF before it */
        if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0)
            *pos = dl - 2;
        else {
            const char *f = mem_find(body, len, delim, dl);

            if (f == NULL)
                return NULL;
            *pos = (size_t)(f - body) + dl;
        }
    }
    while (*pos < len) {
        const char *p = body + *pos, *end = body + len, *hdr_end, *next;

        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return NULL;                            /* the closing delimiter */
        hdr_end = mem_find(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (hdr_end == NULL)
            return NULL;
        next = mem_find(hdr_end + 4, (size_t)(end - hdr_end - 4), delim, dl);
        if (next == NULL)
            return NULL;
        *pos = (size_t)(next - body) + dl;
        if (mem_find(p, (size_t)(hdr_end - p), want, wl) != NULL)
            return xstrndup(hdr_end + 4, (size_t)(next - hdr_end - 4));
    }
    return NULL;
}

static char *
field_next(const struct conn *c, const char *key, size_t *pos)
{
    if (c->boundary != NULL)
        return multipart_next(buf_str(&c->body), c->body.len, c->boundary, key, pos);
    return form_next(buf_str(&c->body), c->body.len, key, pos);
}

static char *
field_get(const struct conn *c, const char *key)
{
    size_t pos = 0;

    return field_next(c, key, &pos);
}

/* The boundary of a multipart/form-data Content-Type, or NULL. */
static char *
boundary_of(const char *ct)
{
    const char *b;
    size_t n;

    if (ct == NULL || ascii_strncasecmp(ct, "multipart/form-data", 19) != 0 ||
        (b = strstr(ct, "boundary=")) == NULL)
        return NULL;
    b += 9;
    if (*b == '"') {
        b++;
        n = strcspn(b, "\"");
    } else
        n = strcspn(b, "; \t");
    return n > 0 && n <= 70 ? xstrndup(b, n) : NULL;   /* RFC 2046 5.1.1: 1 to 70 */
}

static bool
ct_equal(const char *a, const char *b, size_t n)
{
    unsigned char r = 0;

    for (size_t i = 0; i < n; i++)
        r |= (unsigned char)(a[i] ^ b[i]);
    return r == 0;
}

/* The canonical address of s, or false. */
static bool
canon_addr(const char *s, char out[ADDR_BUF])
{
    return s != NULL && addr_check(s, strlen(s), out, NULL) == 0;
}

/* Is token the unsubscribe token of the canonical address?  In constant time. */
static bool
unsub_token_ok(const struct server *sv, const char *canon, const char *token)
{
    char want[32];
    bool ok;

    if (token == NULL || strlen(token) != 22)
        return false;
    digest_token(sv->secret, canon, want);
    ok = ct_equal(want, token, 22);
    explicit_bzero(want, sizeof(want));
    return ok;
}

/* The confirm token of addr until exp: the unsubscribe token's HMAC under a derived key. */
static void
confirm_token(const struct server *sv, const char *canon, long long exp, char out[32])
{
    struct buf key;

    buf_init(&key, 0);
    buf_putf(&key, "%s\037confirm\037%lld", sv->secret, exp);
    digest_token(buf_str(&key), canon, out);
    explicit_bzero(key.p, key.len);
    buf_fini(&key);
}

static bool
confirm_ok(const struct server *sv, const char *canon, const char *exps, const char *token)
{
    char want[32];
    long e;
    bool ok;
    time_t now = time(NULL);

    if (token == NULL || exps == NULL || strlen(token) != 22 ||
        parse_long(exps, 0, 0x7fffffffL, &e) == -1)
        return false;
    confirm_token(sv, canon, e, want);
    ok = ct_equal(want, token, 22);
    explicit_bzero(want, sizeof(want));
    return ok && (time_t)e >= now;
}

/* ---- the JSON log -------------------------------------------------------------------- */

/* One line per event; addresses yes, tokens never. */
static void
jlog(struct server *sv, const char *event, const char *email, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
jlog(struct server *sv, const char *event, const char *email, const char *fmt, ...)
{
    struct timespec ts;
    struct tm tm;
    char t[40];
    struct buf b;
    va_list ap;

    if (sv->logfd == -1)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
    buf_init(&b, 0);
    buf_putf(&b, "{\"time\": \"%s.%03ldZ\", \"event\": \"%s\"", t, ts.tv_nsec / 1000000, event);
    if (email != NULL) {
        buf_puts(&b, ", \"subscriber\": ");
        value_json_string(&b, email, strlen(email));
    }
    if (fmt != NULL) {
        char extra[512];

        va_start(ap, fmt);
        vsnprintf(extra, sizeof(extra), fmt, ap);
        va_end(ap);
        buf_putf(&b, ", %s", extra);
    }
    buf_puts(&b, "}\n");
    if (write(sv->logfd, buf_str(&b), b.len) != (ssize_t)b.len)
        log_warn("cannot write the log file");
    buf_fini(&b);
}

/* ---- templates ----------------------------------------------------------------------- */

struct tsrc {
    const char *dir;            /* the user's template folder, or NULL */
};

/* DIR/web/NAME.mustache first, then the built-in web/NAME. */
static char *
tsource(void *ctx, const char *name, size_t *len, char **origin, struct diag *d)
{
    const struct tsrc *s = ctx;
    struct buf b;

    if (!tmpl_name_is_safe(name))
        return NULL;
    if (s->dir != NULL) {
        char *text;

        buf_init(&b, 0);
        buf_putf(&b, "%s/web/%s.mustache", s->dir, name);
        if ((text = read_file(buf_str(&b), len)) != NULL) {
            *origin = buf_steal(&b);
            return text;
        }
        if (errno != ENOENT) {
            diag_set(d, EX_NOINPUT, "cannot read the template: %s", strerror(errno));
            diag_path(d, buf_str(&b));
            buf_fini(&b);
            return NULL;
        }
        buf_fini(&b);
    }
    buf_init(&b, 0);
    buf_putf(&b, "web/%s", name);
    for (size_t i = 0; i < builtin_ntemplates; i++) {
        if (strcmp(builtin_templates[i].name, buf_str(&b)) == 0) {
            buf_fini(&b);
            buf_putf(&b, "(built-in)/web/%s.mustache", name);
            *origin = buf_steal(&b);
            *len = builtin_templates[i].len;
            return xstrndup(builtin_templates[i].text, builtin_templates[i].len);
        }
    }
    buf_fini(&b);
    return NULL;
}

static const char *const pages[] = { "unsubscribe.html", "unsubscribed.html",
    "resubscribed.html", "subscribe.html", "subscribe-sent.html", "confirm.html",
    "confirmed.html", "error.html", "confirm-mail.txt", "confirm-mail.subject" };

static struct tsrc
tsrc_of(const struct config *cfg)
{
    struct tsrc s = { cfg->paths.templates };

    return s;
}

static struct value *
page_data(const struct server *sv)
{
    struct value *v = value_new(VALUE_MAP), *n = value_new(VALUE_MAP);
    const struct config *cfg = sv->cfg;

    value_set_str(n, "name", cfg->newsletter.name ? cfg->newsletter.name : "");
    value_set_str(n, "language", cfg->newsletter.language ? cfg->newsletter.language : "en");
    if (sv->base_url != NULL)
        value_set_str(n, "base_url", sv->base_url);
    value_set(v, "newsletter", n);
    value_set(v, "confirm_hours", value_new_num((double)cfg->serve.confirm_hours));
    return v;
}

static int
render(struct server *sv, const char *page, const struct value *data, int flags,
    struct buf *out, struct diag *d)
{
    const struct tmpl *t;
    int rc;

    pthread_mutex_lock(&sv->tmu);
    t = tmpl_partials_find(sv->parts, page, d);
    if (t == NULL && !diag_is_set(d))
        diag_set(d, EX_NOINPUT, "no template web/%s.mustache", page);
    rc = t == NULL ? -1 : tmpl_render(t, data, sv->parts, flags, out, d);
    pthread_mutex_unlock(&sv->tmu);
    return rc;
}

static const char *
find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);

    for (; p != NULL && (size_t)(end - p) >= n; p++) {
        p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p, needle, n) == 0)
            return p;
    }
    return NULL;
}

/* 'sha256-...' for each inline <style> of html: the CSP allows exactly those. */
static void
style_hashes(struct buf *csp, const char *html, size_t len)
{
    const char *p = html, *end = html + len;

    while (p < end) {
        const char *s = find(p, end, "<style>"), *e;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;

        if (s == NULL || (e = find(s + 7, end, "</style>")) == NULL)
            break;
        if (EVP_Digest(s + 7, (size_t)(e - s - 7), md, &mdlen, EVP_sha256(), NULL) != 1)
            xoom();
        buf_puts(csp, " 'sha256-");
        text_base64(csp, md, mdlen);
        buf_putc(csp, '\'');
        p = e + 8;
    }
}

static enum MHD_Result
send_page(struct server *sv, struct MHD_Connection *mc, unsigned status, const char *page,
    struct value *data)
{
    struct diag d = DIAG_INIT;
    struct buf html, csp;
    struct MHD_Response *r;
    enum MHD_Result ret;

    buf_init(&html, PAGE_MAX);              /* render() reports an overflow */
    buf_init(&csp, 0);
    if (render(sv, page, data, TMPL_ESCAPE_HTML, &html, &d) == -1) {
        char msg[DIAG_MSG_MAX + DIAG_PATH_MAX + 32];

        log_warnx("%s", diag_format(&d, msg, sizeof(msg)));
        jlog(sv, "template_error", NULL, "\"page\": \"%s\"", page);
        buf_reset(&html);
        buf_puts(&html, "<!DOCTYPE html><title>Error</title><p>The page cannot be shown.");
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    buf_puts(&csp, CSP_HEAD "; style-src");
    style_hashes(&csp, buf_str(&html), html.len);
    if (strstr(buf_str(&csp), "sha256") == NULL)
        buf_puts(&csp, " 'none'");
    r = MHD_create_response_from_buffer(html.len, (void *)buf_str(&html), MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "Content-Security-Policy", buf_str(&csp));
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD, POST");
    ret = MHD_queue_response(mc, status, r);
    MHD_destroy_response(r);
    buf_fini(&html);
    buf_fini(&csp);
    value_free(data);
    return ret;
}

static enum MHD_Result
send_error(struct server *sv, struct MHD_Connection *mc, unsigned status, const char *heading,
    const char *message, bool offer_subscribe)
{
    struct value *v = page_data(sv);

    value_set_str(v, "heading", heading);
    value_set_str(v, "message", message);
    if (offer_subscribe)
        value_set_str(v, "subscribe_action", sv->p_subscribe);
    return send_page(sv, mc, status, "error.html", v);
}

static enum MHD_Result
bad_link(struct server *sv, struct MHD_Connection *mc)
{
    /* the same words whatever is wrong: nothing about the address or the list */
    return send_error(sv, mc, MHD_HTTP_BAD_REQUEST, "This link does not work",
        "The link is incomplete, has expired or was changed. Use the newest link from "
        "one of our messages.", true);
}

/* ---- limits -------------------------------------------------------------------------- */

/* Count one event for key in a window of `window` seconds; false past limit. */
static bool
rate_take(struct server *sv, struct rate *tab, size_t n, const char *key, long limit,
    time_t window)
{
    struct rate *r = &tab[text_hash64(key, strlen(key)) % n];
    time_t now = time(NULL);
    bool ok;

    if (limit <= 0)
        return true;
    pthread_mutex_lock(&sv->rmu);
    if (strcmp(r->key, key) != 0 || now - r->start >= window) {
        /* a new key, or a new window; a collision forgets the older key (fails open) */
        snprintf(r->key, sizeof(r->key), "%s", key);
        r->start = now;
        r->count = 0;
    }
    ok = r->count < limit;
    if (ok)
        r->count++;
    pthread_mutex_unlock(&sv->rmu);
    return ok;
}

/* The client's address: the peer's, or X-Forwarded-For's last from a local proxy. */
static void
client_key(struct server *sv, struct MHD_Connection *mc, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc,
        MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    bool local = sa == NULL || sa->sa_family == AF_UNIX;
    const char *xff;

    snprintf(out, size, "local");
    if (sa != NULL && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

        inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)size);
        local = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

        inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)size);
        local = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
    }
    if (sv->cfg->serve.trust_proxy && local &&
        (xff = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "X-Forwarded-For")) != NULL) {
        const char *last = strrchr(xff, ',');

        last = last ? last + 1 : xff;
        while (*last == ' ')
            last++;
        snprintf(out, size, "%.*s", (int)strcspn(last, " "), last);
    }
}

/* ---- the committer ------------------------------------------------------------------- */

static void *
committer(void *arg)
{
    struct server *sv = arg;
    struct waiter *batch = NULL;
    size_t cap = 0;

    pthread_mutex_lock(&sv->mu);
    for (;;) {
        size_t n;
        uint64_t top = 0;
        struct diag d = DIAG_INIT;
        int rc;

        while (sv->nw == 0 && !sv->stop)
            pthread_cond_wait(&sv->cv, &sv->mu);
        /* (the broadcast also wakes the shutdown's drain, which waits on the same cv) */
        if (sv->nw == 0 && sv->stop)
            break;
        /* everything waiting now shares one fdatasync; later arrivals form the next batch */
        n = sv->nw;
        if (n > cap) {
            batch = xreallocarray(batch, n, sizeof(*batch));
            cap = n;
        }
        memcpy(batch, sv->w, n * sizeof(*batch));
        sv->nw = 0;
        sv->busy = true;
        pthread_mutex_unlock(&sv->mu);
        for (size_t i = 0; i < n; i++)
            if (batch[i].c->ticket > top)
                top = batch[i].c->ticket;
        rc = reqlog_sync(sv->log, top, &d);
        if (rc == -1) {
            char msg[DIAG_MSG_MAX + DIAG_PATH_MAX + 32];

            log_warnx("%s", diag_format(&d, msg, sizeof(msg)));
        }
        for (size_t i = 0; i < n; i++) {
            batch[i].c->durable = rc == 0;
            batch[i].c->state = C_DONE;
            MHD_resume_connection(batch[i].mc);
        }
        pthread_mutex_lock(&sv->mu);
        sv->busy = false;
        pthread_cond_broadcast(&sv->cv);
    }
    pthread_mutex_unlock(&sv->mu);
    free(batch);
    return NULL;
}

/* Write q to the log and park the connection until it is on disk. */
static enum MHD_Result
accept_request(struct server *sv, struct MHD_Connection *mc, struct conn *c,
    const struct reqlog_req *q)
{
    struct diag d = DIAG_INIT;

    pthread_mutex_lock(&sv->mu);
    if (sv->stopping) {
        /* shutting down: nothing is written, the client may try again */
        pthread_mutex_unlock(&sv->mu);
        value_free(c->data);
        c->data = NULL;
        c->mail = false;
        return send_error(sv, mc, MHD_HTTP_SERVICE_UNAVAILABLE, "Please try again later",
            "The server is restarting. Nothing was changed.", false);
    }
    sv->inflight++;
    pthread_mutex_unlock(&sv->mu);
    if (reqlog_append(sv->log, q, &c->ticket, &d) == -1) {
        char msg[DIAG_MSG_MAX + DIAG_PATH_MAX + 32];

        pthread_mutex_lock(&sv->mu);
        sv->inflight--;
        pthread_cond_broadcast(&sv->cv);
        pthread_mutex_unlock(&sv->mu);
        log_warnx("%s", diag_format(&d, msg, sizeof(msg)));
        value_free(c->data);
        c->data = NULL;
        return send_error(sv, mc, MHD_HTTP_SERVICE_UNAVAILABLE, "Please try again later",
            "Your request could not be recorded. Nothing was changed.", false);
    }
    c->state = C_WAIT;
    MHD_suspend_connection(mc);
    pthread_mutex_lock(&sv->mu);
    if (sv->nw == sv->capw) {
        sv->capw = sv->capw ? sv->capw * 2 : 64;
        sv->w = xreallocarray(sv->w, sv->capw, sizeof(*sv->w));
    }
    sv->w[sv->nw].mc = mc;
    sv->w[sv->nw].c = c;
    sv->nw++;
    sv->inflight--;
    pthread_cond_broadcast(&sv->cv);
    pthread_mutex_unlock(&sv->mu);
    return MHD_YES;
}

/* ---- confirmation mail --------------------------------------------------------------- */

static void
mail_enqueue(struct server *sv, const char *email, const char *name, const char *url)
{
    pthread_mutex_lock(&sv->qmu);
    if (sv->nq >= MAILQ_MAX) {
        pthread_mutex_unlock(&sv->qmu);
        jlog(sv, "confirm_mail_dropped", email, NULL);
        return;
    }
    if (sv->nq == sv->capq) {
        sv->capq = sv->capq ? sv->capq * 2 : 16;
        sv->q = xreallocarray(sv->q, sv->capq, sizeof(*sv->q));
    }
    snprintf(sv->q[sv->nq].email, ADDR_BUF, "%s", email);
    sv->q[sv->nq].name = xstrdup(name ? name : "");
    sv->q[sv->nq].url = xstrdup(url);
    sv->nq++;
    pthread_cond_signal(&sv->qcv);
    pthread_mutex_unlock(&sv->qmu);
}

static int
mail_build(struct server *sv, const struct mailjob *j, struct buf *msg, struct diag *d)
{
    const struct config *cfg = sv->cfg;
    struct value *v = page_data(sv);
    struct buf subject, body;
    unsigned char rnd[12];
    const char *dom;
    int rc = -1;
    enum mime_cte cte;

    buf_init(&subject, 4096);               /* render() reports an overflow of these two */
    buf_init(&body, CONFIRM_MAIL_MAX);
    value_set_str(v, "email", j->email);
    if (j->name[0])
        value_set_str(v, "name", j->name);
    value_set_str(v, "confirm_url", j->url);
    if (render(sv, "confirm-mail.subject", v, 0, &subject, d) == -1 ||
        render(sv, "confirm-mail.txt", v, 0, &body, d) == -1)
        goto out;
    if (mime_header_mailbox(msg, "From", cfg->newsletter.from_name ? cfg->newsletter.from_name :
        cfg->newsletter.name, cfg->newsletter.from, d) == -1 ||
        mime_header_mailbox(msg, "To", NULL, j->email, d) == -1 ||
        mime_header_text(msg, "Subject", buf_str(&subject), d) == -1)
        goto out;
    /* from here on, appends without a result: msg's limit is checked once at the end */
    buf_puts(msg, "Date: ");
    if (mime_date_write(msg, time(NULL)) == -1 && !buf_failed(msg)) {
        diag_set(d, EX_SOFTWARE, "the clock is outside the years 1900-9999; cannot date the mail");
        goto out;
    }
    if (getentropy(rnd, sizeof(rnd)) == -1) {
        diag_set(d, EX_OSERR, "cannot get random bytes for a Message-ID");
        goto out;
    }
    dom = strrchr(cfg->newsletter.from, '@');
    buf_puts(msg, "\r\nMessage-ID: <confirm.");
    for (size_t i = 0; i < sizeof(rnd); i++)
        buf_putf(msg, "%02x", rnd[i]);
    buf_putf(msg, "%s>\r\n", dom ? dom : "@localhost");
    buf_puts(msg, "Auto-Submitted: auto-generated\r\n");    /* RFC 3834: no auto-replies */
    cte = mime_cte_choose(buf_str(&body), body.len);
    buf_putf(msg, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: %s\r\n\r\n", mime_cte_name(cte));
    (void)mime_body_encode(msg, cte, buf_str(&body), body.len);   /* -1: msg failed */
    buf_puts(msg, "\r\n");
    if (buf_failed(msg)) {
        diag_set(d, EX_DATAERR, "the confirmation mail would pass %d bytes once encoded "
            "(its text is %zu bytes); shorten web/confirm-mail.txt.mustache",
            CONFIRM_MAIL_MAX, body.len);
        goto out;
    }
    rc = 0;
out:
    value_free(v);
    buf_fini(&subject);
    buf_fini(&body);
    return rc;
}

static void *
mailer(void *arg)
{
    struct server *sv = arg;

    pthread_mutex_lock(&sv->qmu);
    for (;;) {
        struct mailjob j;
        struct diag d = DIAG_INIT;
        struct buf msg, pw;
        struct transport_opts to;
        const struct transport_ops *ops = transport_for(sv->cfg);
        struct transport *t = NULL;
        struct transport_result res;
        struct transport_msg m;
        char emsg[DIAG_MSG_MAX + DIAG_PATH_MAX + 32];

        while (sv->nq == 0 && !sv->qstop)
            pthread_cond_wait(&sv->qcv, &sv->qmu);
        if (sv->nq == 0)
            break;
        j = sv->q[0];
        memmove(sv->q, sv->q + 1, (sv->nq - 1) * sizeof(*sv->q));
        sv->nq--;
        pthread_mutex_unlock(&sv->qmu);

        buf_init(&msg, CONFIRM_MAIL_MAX);   /* mail_build() reports an overflow */
        buf_init(&pw, 0);                   /* the password file is capped when read */
        memset(&to, 0, sizeof(to));
        memset(&m, 0, sizeof(m));
        to.cfg = sv->cfg;
        to.maildir = sv->cfg->paths.outbox;
        if (mail_build(sv, &j, &msg, &d) == 0 && config_password(sv->cfg, &pw, &d) == 0) {
            to.password = buf_str(&pw);
            if ((t = ops->open(&to, &d)) != NULL) {
                m.from = sv->cfg->newsletter.bounce_to ? sv->cfg->newsletter.bounce_to :
                    sv->cfg->newsletter.from;
                m.rcpt = j.email;
                m.data = buf_str(&msg);
                m.len = msg.len;
                m.id = "confirm";
                if (ops->send(t, &m, &res) == 0)
                    jlog(sv, "confirm_mail_sent", j.email, NULL);
                else {
                    log_warnx("confirmation to %s not sent: %s", j.email, res.text);
                    jlog(sv, "confirm_mail_failed", j.email, "\"outcome\": \"%s\"",
                        transport_outcome_name(res.outcome));
                }
                ops->close(t);
            }
        }
        if (diag_is_set(&d)) {
            log_warnx("confirmation to %s not sent: %s", j.email,
                diag_format(&d, emsg, sizeof(emsg)));
            jlog(sv, "confirm_mail_failed", j.email, NULL);
        }
        if (pw.p != NULL)
            explicit_bzero(pw.p, pw.len);
        buf_fini(&pw);
        buf_fini(&msg);
        free(j.name);
        free(j.url);
        pthread_mutex_lock(&sv->qmu);
    }
    pthread_mutex_unlock(&sv->qmu);
    return NULL;
}

/* ---- the applier --------------------------------------------------------------------- */

static void
apply_now(struct server *sv)
{
    struct reqlog_stats st;
    struct diag d = DIAG_INIT;
    double t0 = mono_now();

    if (reqlog_apply(sv->cfg->paths.state_dir, sv->subs_path, APPLY_WAIT_MS, &st, &d) == -1) {
        char msg[DIAG_MSG_MAX + DIAG_PATH_MAX + 32];

        log_warnx("requests not applied yet: %s", diag_format(&d, msg, sizeof(msg)));
        jlog(sv, "apply_failed", NULL, "\"code\": %d", d.code);
        return;
    }
    if (st.other_list) {
        log_warnx("%s is not the list the request log in %s/requests is for (see its file "
            "\"list\"); the requests wait", sv->subs_path, sv->cfg->paths.state_dir);
        jlog(sv, "apply_other_list", NULL, NULL);
    }
    if (st.records > 0) {
        log_info("applied %zu requests, %zu entries changed", st.records, st.changed);
        jlog(sv, "applied", NULL, "\"requests\": %zu, \"changed\": %zu, \"unsubscribe\": %zu, "
            "\"resubscribe\": %zu, \"pending\": %zu, \"confirm\": %zu, \"rewrites\": %d, "
            "\"seconds\": %.3f",
            st.records, st.changed, st.per_type[REQLOG_UNSUBSCRIBE],
            st.per_type[REQLOG_RESUBSCRIBE], st.per_type[REQLOG_PENDING],
            st.per_type[REQLOG_CONFIRM], st.rewrites, mono_now() - t0);
    }
}

static void *
applier(void *arg)
{
    struct server *sv = arg;

    pthread_mutex_lock(&sv->amu);
    while (!sv->astop) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += sv->cfg->serve.apply_seconds;
        while (!sv->astop && pthread_cond_timedwait(&sv->acv, &sv->amu, &ts) != ETIMEDOUT)
            ;
        if (sv->astop)
            break;
        pthread_mutex_unlock(&sv->amu);
        /* a burst still arriving (a send's readers unsubscribing) goes into one batch:
           rewriting a big list twice costs twice; wait while it lasts, a second at most */
        for (int i = 0; i < APPLY_SETTLE_TRIES && sv->log != NULL; i++) {
            uint64_t w = reqlog_written(sv->log);
            struct timespec nap = { 0, APPLY_SETTLE_MS * 1000000L };

            nanosleep(&nap, NULL);
            if (reqlog_written(sv->log) == w)
                break;
        }
        apply_now(sv);
        pthread_mutex_lock(&sv->amu);
    }
    pthread_mutex_unlock(&sv->amu);
    return NULL;
}

/* ---- routes -------------------------------------------------------------------------- */

static const char *
qarg(struct MHD_Connection *mc, const char *key)
{
    return MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, key);
}

/* The unsubscribe URL of canon, as the server's own path and query. */
static void
unsub_action(const struct server *sv, const char *canon, const char *token, struct buf *out)
{
    buf_putf(out, "%s?%s=", sv->unsub_path, sv->email_param);
    text_url_encode(out, canon);
    buf_putf(out, "&%s=", sv->token_param);
    text_url_encode(out, token);
}

static enum MHD_Result
route_unsubscribe(struct server *sv, struct MHD_Connection *mc, struct conn *c, bool post)
{
    const char *email = qarg(mc, sv->email_param), *token = qarg(mc, sv->token_param);
    struct value *v;
    struct buf act;
    char *oneclick;

    if (!canon_addr(email, c->email) || !unsub_token_ok(sv, c->email, token)) {
        jlog(sv, "bad_token", NULL, "\"route\": \"unsubscribe\"");
        return bad_link(sv, mc);
    }
    v = page_data(sv);
    value_set_str(v, "email", c->email);
    if (!post) {
        /* a person (or a mail scanner): show the button, change nothing (RFC 8058 3.2) */
        buf_init(&act, 0);
        unsub_action(sv, c->email, token, &act);
        value_set_str(v, "action", buf_str(&act));
        buf_fini(&act);
        return send_page(sv, mc, MHD_HTTP_OK, "unsubscribe.html", v);
    }
    oneclick = field_get(c, "List-Unsubscribe");
    if (oneclick == NULL || strcmp(oneclick, "One-Click") != 0) {
        free(oneclick);
        value_free(v);
        return send_error(sv, mc, MHD_HTTP_BAD_REQUEST, "Nothing was changed",
            "This request did not say what to do.", false);
    }
    free(oneclick);
    value_set_str(v, "resubscribe_action", sv->p_resubscribe);
    value_set_str(v, "token", token);
    c->data = v;
    c->page = "unsubscribed.html";
    jlog(sv, "unsubscribe", c->email, NULL);
    {
        struct reqlog_req q = { REQLOG_UNSUBSCRIBE, c->email, NULL, NULL, 0, 0 };

        return accept_request(sv, mc, c, &q);
    }
}

static enum MHD_Result
route_resubscribe(struct server *sv, struct MHD_Connection *mc, struct conn *c, bool post)
{
    char *email, *token;
    bool ok;
    struct reqlog_req q = { REQLOG_RESUBSCRIBE, c->email, NULL, NULL, 0, 0 };

    if (!post)
        return send_error(sv, mc, MHD_HTTP_METHOD_NOT_ALLOWED, "Nothing to see here",
            "This address takes a form's answer only.", true);
    email = field_get(c, "email");
    token = field_get(c, "token");
    ok = canon_addr(email, c->email) && unsub_token_ok(sv, c->email, token);
    free(email);
    free(token);
    if (!ok) {
        jlog(sv, "bad_token", NULL, "\"route\": \"resubscribe\"");
        return bad_link(sv, mc);
    }
    c->data = page_data(sv);
    value_set_str(c->data, "email", c->email);
    c->page = "resubscribed.html";
    jlog(sv, "resubscribe", c->email, NULL);
    return accept_request(sv, mc, c, &q);
}

static bool
tag_allowed(const struct config *cfg, const char *t)
{
    for (size_t i = 0; i < cfg->serve.ntags; i++)
        if (strcmp(cfg->serve.tags[i], t) == 0)
            return true;
    return false;
}

/* The form, with what was typed and an error, for GET and for a mistake. */
static enum MHD_Result
signup_form(struct server *sv, struct MHD_Connection *mc, unsigned status, const char *error,
    const char *email, const char *name, char **chosen, size_t nchosen)
{
    struct value *v = page_data(sv), *tags = value_new(VALUE_LIST);

    value_set_str(v, "action", sv->p_subscribe);
    if (error)
        value_set_str(v, "error", error);
    if (email)
        value_set_str(v, "email", email);
    if (name)
        value_set_str(v, "name", name);
    for (size_t i = 0; i < sv->cfg->serve.ntags; i++) {
        struct value *t = value_new(VALUE_MAP);
        bool on = false;

        for (size_t k = 0; k < nchosen; k++)
            on = on || strcmp(chosen[k], sv->cfg->serve.tags[i]) == 0;
        value_set_str(t, "tag", sv->cfg->serve.tags[i]);
        value_set(t, "checked", value_new_bool(on));
        value_push(tags, t);
    }
    value_set(v, "has_tags", value_new_bool(sv->cfg->serve.ntags > 0));
    value_set(v, "tags", tags);
    return send_page(sv, mc, status, "subscribe.html", v);
}

static enum MHD_Result
route_subscribe(struct server *sv, struct MHD_Connection *mc, struct conn *c, bool post)
{
    char *email = NULL, *name = NULL, *trap = NULL, *tags[TAGS_MAX];
    size_t ntags = 0, pos = 0;
    char client[64];
    const char *why = NULL;
    enum MHD_Result ret;
    struct buf url;
    char token[32];
    long long exp;

    if (!post)
        return signup_form(sv, mc, MHD_HTTP_OK, NULL, NULL, NULL, NULL, 0);
    email = field_get(c, "email");
    name = field_get(c, "name");
    trap = field_get(c, "website");
    for (char *t; ntags < TAGS_MAX && (t = field_next(c, "tag", &pos)) != NULL;) {
        bool dup = false;

        for (size_t k = 0; k < ntags; k++)
            dup = dup || strcmp(tags[k], t) == 0;
        if (!dup && tag_allowed(sv->cfg, t))
            tags[ntags++] = t;
        else
            free(t);
    }
    if (trap != NULL && *trap != '\0') {
        /* a bot filled the hidden field: the usual answer, nothing done */
        jlog(sv, "signup_trap", NULL, NULL);
        ret = send_page(sv, mc, MHD_HTTP_OK, "subscribe-sent.html", page_data(sv));
        goto out;
    }
    client_key(sv, mc, client, sizeof(client));
    if (!rate_take(sv, sv->rates, RATE_SLOTS, client, sv->cfg->serve.signup_per_hour, 3600)) {
        jlog(sv, "signup_rate_limited", NULL, NULL);
        ret = send_error(sv, mc, MHD_HTTP_TOO_MANY_REQUESTS, "Too many sign-ups",
            "Too many sign-ups came from your network in the last hour. Please try again "
            "later.", false);
        goto out;
    }
    if (email == NULL || addr_check(email, strlen(email), c->email, &why) == -1) {
        ret = signup_form(sv, mc, MHD_HTTP_BAD_REQUEST, why ? why : "Please give your email "
            "address.", email, name, tags, ntags);
        goto out;
    }
    if (name != NULL && (strlen(name) > NAME_MAX_BYTES || text_has_ascii_control(name, strlen(name)) ||
        !utf8_is_valid(name, strlen(name)))) {
        ret = signup_form(sv, mc, MHD_HTTP_BAD_REQUEST, "Please give a shorter name, on one "
            "line.", email, NULL, tags, ntags);
        goto out;
    }
    /* the confirm link, signed and expiring */
    exp = (long long)time(NULL) + sv->cfg->serve.confirm_hours * 3600;
    confirm_token(sv, c->email, exp, token);
    buf_init(&url, 0);
    buf_putf(&url, "%s/confirm?email=", sv->base_url);
    text_url_encode(&url, c->email);
    buf_putf(&url, "&exp=%lld&token=%s", exp, token);
    c->confirm_url = buf_steal(&url);
    c->name = xstrdup(name ? name : "");
    /* at most one confirmation an hour per address, whatever the address's state */
    c->mail = rate_take(sv, sv->confirms, CONFIRM_SLOTS, c->email, 1, CONFIRM_EVERY);
    c->data = page_data(sv);
    c->page = "subscribe-sent.html";
    jlog(sv, "signup", c->email, "\"mail\": %s", c->mail ? "true" : "false");
    {
        struct reqlog_req q = { REQLOG_PENDING, c->email, name, (const char *const *)tags,
            ntags, 0 };

        ret = accept_request(sv, mc, c, &q);
    }
out:
    free(email);
    free(name);
    free(trap);
    for (size_t k = 0; k < ntags; k++)
        free(tags[k]);
    return ret;
}

static enum MHD_Result
route_confirm(struct server *sv, struct MHD_Connection *mc, struct conn *c, bool post)
{
    const char *email = qarg(mc, "email"), *exps = qarg(mc, "exp"), *token = qarg(mc, "token");
    struct value *v;
    struct buf act;

    if (!canon_addr(email, c->email) || !confirm_ok(sv, c->email, exps, token)) {
        jlog(sv, "bad_token", NULL, "\"route\": \"confirm\"");
        return bad_link(sv, mc);
    }
    v = page_data(sv);
    value_set_str(v, "email", c->email);
    if (!post) {
        buf_init(&act, 0);
        buf_putf(&act, "%s?email=", sv->p_confirm);
        text_url_encode(&act, c->email);
        buf_putf(&act, "&exp=%s&token=%s", exps, token);
        value_set_str(v, "action", buf_str(&act));
        buf_fini(&act);
        return send_page(sv, mc, MHD_HTTP_OK, "confirm.html", v);
    }
    c->data = v;
    c->page = "confirmed.html";
    jlog(sv, "confirm", c->email, NULL);
    {
        struct reqlog_req q = { REQLOG_CONFIRM, c->email, NULL, NULL, 0, 0 };

        return accept_request(sv, mc, c, &q);
    }
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **cctx)
{
    struct server *sv = cls;
    struct conn *c = *cctx;
    bool post = strcmp(method, "POST") == 0;
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    (void)version;
    if (c == NULL) {
        const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
        long n;

        c = xcalloc(1, sizeof(*c));
        buf_init(&c->body, BODY_MAX);
        c->boundary = boundary_of(MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
            "Content-Type"));
        *cctx = c;
        if (cl != NULL && (parse_long(cl, 0, BODY_MAX, &n) == -1)) {
            c->state = C_DONE;
            return send_error(sv, mc, MHD_HTTP_CONTENT_TOO_LARGE, "Too much",
                "The request is larger than this server takes.", false);
        }
        c->state = C_BODY;
        return MHD_YES;
    }
    if (c->state == C_BODY && *upload_size > 0) {
        if (!c->too_big && buf_add(&c->body, upload, *upload_size) == -1)
            c->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (c->state == C_DONE) {
        struct value *v = c->data;

        if (c->page == NULL)
            return MHD_NO;          /* answered already */
        c->data = NULL;
        if (!c->durable) {
            value_free(v);
            c->page = NULL;
            return send_error(sv, mc, MHD_HTTP_SERVICE_UNAVAILABLE, "Please try again later",
                "Your request could not be recorded. Nothing was changed.", false);
        }
        if (c->mail)
            mail_enqueue(sv, c->email, c->name, c->confirm_url);
        {
            const char *page = c->page;

            c->page = NULL;
            return send_page(sv, mc, MHD_HTTP_OK, page, v);
        }
    }
    if (c->state != C_BODY)
        return MHD_NO;
    c->state = C_DONE;
    if (c->too_big)
        return send_error(sv, mc, MHD_HTTP_CONTENT_TOO_LARGE, "Too much",
            "The request is larger than this server takes.", false);
    if (!get && !post)
        return send_error(sv, mc, MHD_HTTP_METHOD_NOT_ALLOWED, "Not allowed",
            "This server takes GET and POST only.", false);
    if (strcmp(url, sv->unsub_path) == 0)
        return route_unsubscribe(sv, mc, c, post);
    if (strcmp(url, sv->p_subscribe) == 0 || (get && strcmp(url, sv->base_path) == 0) ||
        (get && sv->base_path[0] == '\0' && strcmp(url, "/") == 0))
        return route_subscribe(sv, mc, c, post);
    if (strcmp(url, sv->p_confirm) == 0)
        return route_confirm(sv, mc, c, post);
    if (strcmp(url, sv->p_resubscribe) == 0)
        return route_resubscribe(sv, mc, c, post);
    return send_error(sv, mc, MHD_HTTP_NOT_FOUND, "Not found", "There is no page here.", true);
}

static void
completed(void *cls, struct MHD_Connection *mc, void **cctx, enum MHD_RequestTerminationCode tc)
{
    struct conn *c = *cctx;

    (void)cls;
    (void)mc;
    (void)tc;
    if (c == NULL)
        return;
    buf_fini(&c->body);
    free(c->boundary);
    value_free(c->data);
    free(c->confirm_url);
    free(c->name);
    free(c);
    *cctx = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("http: %s", msg);
}

/* ---- setup --------------------------------------------------------------------------- */

/* The path part of an http(s) URL ("" when it has none), without a trailing "/". */
static char *
url_path(const char *u, char **query)
{
    const char *p = strstr(u, "://"), *q;
    char *path;

    p = p ? strchr(p + 3, '/') : NULL;
    if (p == NULL)
        p = "";
    q = strchr(p, '?');
    path = xstrndup(p, q ? (size_t)(q - p) : strlen(p));
    if (query != NULL)
        *query = q ? xstrdup(q + 1) : NULL;
    return path;
}

/* The query parameter whose value is exactly placeholder ("{{email}}"), or NULL. */
static char *
param_for(const char *query, const char *placeholder)
{
    for (const char *p = query; p != NULL && *p;) {
        const char *amp = strchr(p, '&'), *eq = strchr(p, '=');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);

        if (eq != NULL && eq < p + n && (size_t)(p + n - eq - 1) == strlen(placeholder) &&
            memcmp(eq + 1, placeholder, strlen(placeholder)) == 0)
            return xstrndup(p, (size_t)(eq - p));
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

struct problems {
    void (*fn)(void *, const struct diag *);
    void *ctx;
    int n;
};

static void
problem(struct problems *pr, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
problem(struct problems *pr, int code, const char *fmt, ...)
{
    struct diag d = DIAG_INIT;
    va_list ap;
    char msg[DIAG_MSG_MAX];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_set(&d, code, "%s", msg);
    pr->n++;
    if (pr->fn)
        pr->fn(pr->ctx, &d);
}

/* Fill the routes from the config; problems go to pr. */
static void
routes(struct server *sv, struct problems *pr)
{
    const struct config *cfg = sv->cfg;
    char *query = NULL;
    struct buf b;

    if (cfg->newsletter.unsubscribe_url != NULL) {
        sv->unsub_path = url_path(cfg->newsletter.unsubscribe_url, &query);
        sv->email_param = param_for(query, "{{email}}");
        sv->token_param = param_for(query, "{{token}}");
        if (sv->email_param == NULL || sv->token_param == NULL || sv->unsub_path[0] == '\0' ||
            strstr(sv->unsub_path, "{{") != NULL)
            problem(pr, EX_CONFIG, "newsletter.unsubscribe_url: gazette serve answers a URL "
                "such as https://news.example.org/unsubscribe?email={{email}}&token={{token}}"
                " (a path, and {{email}} and {{token}} as whole query values)");
    } else {
        sv->unsub_path = xstrdup("/unsubscribe");
    }
    free(query);
    if (sv->email_param == NULL)
        sv->email_param = xstrdup("email");
    if (sv->token_param == NULL)
        sv->token_param = xstrdup("token");
    if (cfg->newsletter.base_url != NULL) {
        size_t n = strlen(cfg->newsletter.base_url);

        while (n > 0 && cfg->newsletter.base_url[n - 1] == '/')
            n--;
        sv->base_url = xstrndup(cfg->newsletter.base_url, n);
        sv->base_path = url_path(sv->base_url, NULL);
        if (strchr(cfg->newsletter.base_url, '?') != NULL)
            problem(pr, EX_CONFIG, "newsletter.base_url: give an address without a query, "
                "such as https://news.example.org");
    } else {
        sv->base_path = xstrdup("");
        problem(pr, EX_CONFIG, "newsletter.base_url is not set; gazette serve needs it for "
            "the links in confirmation messages (the address readers reach it at, such as "
            "https://news.example.org)");
    }
    buf_init(&b, 0);
    buf_putf(&b, "%s/subscribe", sv->base_path);
    sv->p_subscribe = buf_steal(&b);
    buf_putf(&b, "%s/confirm", sv->base_path);
    sv->p_confirm = buf_steal(&b);
    buf_putf(&b, "%s/resubscribe", sv->base_path);
    sv->p_resubscribe = buf_steal(&b);
}

/* Parse "HOST:PORT", "[V6]:PORT" or "unix:/path"; problems go to pr; -1 on one. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, struct problems *pr)
{
    memset(ss, 0, sizeof(*ss));
    if (strncmp(s, "unix:", 5) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;

        if (s[5] == '\0' || strlen(s + 5) >= sizeof(un->sun_path)) {
            problem(pr, EX_CONFIG, "serve.listen: \"%s\": the socket path is empty or longer "
                "than %zu bytes", s, sizeof(un->sun_path) - 1);
            return -1;
        }
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, s + 5, strlen(s + 5) + 1);
        *len = (socklen_t)sizeof(*un);
        return 0;
    } else {
        const char *colon = strrchr(s, ':');
        char host[128];
        long port;
        struct addrinfo hints, *ai = NULL;
        size_t hl;

        if (colon == NULL || parse_long(colon + 1, 0, 65535, &port) == -1) {
            problem(pr, EX_CONFIG, "serve.listen: \"%s\" is not an address; write "
                "127.0.0.1:8025, [::1]:8025 or unix:/path/to/socket", s);
            return -1;
        }
        hl = (size_t)(colon - s);
        if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
            s++;
            hl -= 2;
        }
        if (hl == 0 || hl >= sizeof(host)) {
            problem(pr, EX_CONFIG, "serve.listen: \"%s\" has no host; write 127.0.0.1:8025",
                s);
            return -1;
        }
        memcpy(host, s, hl);
        host[hl] = '\0';
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
        if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL) {
            problem(pr, EX_CONFIG, "serve.listen: \"%s\" is not a numeric IPv4 or IPv6 "
                "address; write 127.0.0.1 or [::1]", host);
            return -1;
        }
        memcpy(ss, ai->ai_addr, ai->ai_addrlen);
        *len = ai->ai_addrlen;
        if (ss->ss_family == AF_INET)
            ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
        else
            ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
        freeaddrinfo(ai);
        return 0;
    }
}

static int
listen_on(const char *spec, struct diag *d)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct problems pr = { NULL, NULL, 0 };
    int fd, one = 1;

    if (parse_listen(spec, &ss, &len, &pr) == -1) {
        diag_set(d, EX_CONFIG, "serve.listen: \"%s\" is not an address; write 127.0.0.1:8025, "
            "[::1]:8025 or unix:/path", spec);
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd == -1)
        goto fail;
    if (ss.ss_family == AF_UNIX) {
        struct stat st;
        const char *path = ((struct sockaddr_un *)&ss)->sun_path;

        /* a socket left by a killed server is replaced; any other file is not */
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(path);
    } else {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ss.ss_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (bind(fd, (struct sockaddr *)&ss, len) == -1 || listen(fd, 1024) == -1)
        goto fail;
    return fd;
fail:
    diag_set(d, EX_UNAVAILABLE, "cannot listen on %s: %s", spec, strerror(errno));
    if (fd != -1)
        close(fd);
    return -1;
}

static void
server_fini(struct server *sv)
{
    tmpl_partials_free(sv->parts);
    if (sv->secret != NULL) {
        explicit_bzero(sv->secret, strlen(sv->secret));
        free(sv->secret);
    }
    free(sv->unsub_path);
    free(sv->email_param);
    free(sv->token_param);
    free(sv->base_path);
    free(sv->base_url);
    free(sv->p_subscribe);
    free(sv->p_confirm);
    free(sv->p_resubscribe);
    free(sv->w);
    for (size_t i = 0; i < sv->nq; i++) {
        free(sv->q[i].name);
        free(sv->q[i].url);
    }
    free(sv->q);
}

static struct tsrc check_src;

int
serve_check(const struct serve_opts *o, void (*fn)(void *, const struct diag *), void *ctx)
{
    struct server sv;
    struct problems pr = { fn, ctx, 0 };
    struct sockaddr_storage ss;
    socklen_t len;
    struct buf sec;
    struct diag d = DIAG_INIT;

    memset(&sv, 0, sizeof(sv));
    sv.cfg = o->cfg;
    routes(&sv, &pr);
    parse_listen(o->listen ? o->listen : o->cfg->serve.listen, &ss, &len, &pr);
    buf_init(&sec, 0);                      /* the secret file is capped when read */
    if (config_secret(o->cfg, &sec, &d) == -1) {
        pr.n++;
        if (fn)
            fn(ctx, &d);
    } else if (sec.len == 0)
        problem(&pr, EX_CONFIG, "no unsubscribe secret: gazette serve checks tokens with it; "
            "set newsletter.secret_file or newsletter.secret_env");
    if (sec.p != NULL)
        explicit_bzero(sec.p, sec.len);
    buf_fini(&sec);
    if (o->cfg->newsletter.from == NULL)
        problem(&pr, EX_CONFIG, "newsletter.from is not set; confirmation messages need it");
    for (size_t i = 0; i < o->cfg->serve.ntags; i++)
        if (o->cfg->serve.tags[i][0] == '\0' || strchr(o->cfg->serve.tags[i], ',') != NULL ||
            text_has_ascii_control(o->cfg->serve.tags[i], strlen(o->cfg->serve.tags[i])))
            problem(&pr, EX_CONFIG, "serve.tags: \"%s\" is not a tag; write a short word",
                o->cfg->serve.tags[i]);
    check_src = tsrc_of(o->cfg);
    sv.parts = tmpl_partials_new(tsource, &check_src);
    for (size_t i = 0; i < ARRAY_LEN(pages); i++) {
        struct diag td = DIAG_INIT;

        if (tmpl_partials_find(sv.parts, pages[i], &td) == NULL) {
            if (!diag_is_set(&td))
                diag_set(&td, EX_NOINPUT, "no template web/%s.mustache", pages[i]);
            pr.n++;
            if (fn)
                fn(ctx, &td);
        }
    }
    server_fini(&sv);
    return pr.n;
}

static void
print_problem(void *ctx, const struct diag *d)
{
    (void)ctx;
    diag_print(d);
}

static void
server_sync_init(struct server *sv)
{
    pthread_mutex_init(&sv->tmu, NULL);
    pthread_mutex_init(&sv->mu, NULL);
    pthread_cond_init(&sv->cv, NULL);
    pthread_mutex_init(&sv->amu, NULL);
    pthread_cond_init(&sv->acv, NULL);
    pthread_mutex_init(&sv->rmu, NULL);
    pthread_mutex_init(&sv->qmu, NULL);
    pthread_cond_init(&sv->qcv, NULL);
}

/* libmicrohttpd on the listening socket FD, its own polling thread; NULL on failure. */
static struct MHD_Daemon *
start_daemon(struct server *sv, int fd, unsigned timeout)
{
    return MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
        MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, sv,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEM,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout,
        MHD_OPTION_NOTIFY_COMPLETED, completed, sv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, sv,
        MHD_OPTION_END);
}

/*
 * No new request is parked; those parked get their answer before the daemon goes (it
 * frees connections, and the committer must not touch one after).
 */
static void
stop_daemon(struct server *sv)
{
    MHD_socket ls = MHD_quiesce_daemon(sv->mhd);

    pthread_mutex_lock(&sv->mu);
    sv->stopping = true;
    while (sv->inflight > 0 || sv->nw > 0 || sv->busy)
        pthread_cond_wait(&sv->cv, &sv->mu);
    pthread_mutex_unlock(&sv->mu);
    MHD_stop_daemon(sv->mhd);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);                  /* quiesced: the listening socket is ours again */
}

/* The committer, the applier and the mailer, stopped in that order. */
static void
stop_threads(struct server *sv, pthread_t tc, pthread_t ta, pthread_t tm)
{
    pthread_mutex_lock(&sv->mu);
    sv->stop = true;
    pthread_cond_broadcast(&sv->cv);
    pthread_mutex_unlock(&sv->mu);
    pthread_join(tc, NULL);
    pthread_mutex_lock(&sv->amu);
    sv->astop = true;
    pthread_cond_signal(&sv->acv);
    pthread_mutex_unlock(&sv->amu);
    pthread_join(ta, NULL);
    pthread_mutex_lock(&sv->qmu);
    sv->qstop = true;
    pthread_cond_signal(&sv->qcv);
    pthread_mutex_unlock(&sv->qmu);
    pthread_join(tm, NULL);
}

int
serve_run(const struct serve_opts *o, struct diag *d)
{
    struct server sv;
    struct problems pr = { print_problem, NULL, 0 };
    struct tsrc src = tsrc_of(o->cfg);
    const char *spec = o->listen ? o->listen : o->cfg->serve.listen;
    pthread_t tc, ta, tm;
    bool started = false;
    struct buf sec;
    sigset_t set;
    int fd = -1, sig, rc = -1;

    memset(&sv, 0, sizeof(sv));
    sv.cfg = o->cfg;
    sv.subs_path = o->subs_path;
    sv.logfd = -1;
    if (serve_check(o, print_problem, NULL) > 0) {
        diag_set(d, EX_CONFIG, "gazette serve cannot start; see the problems above");
        return -1;
    }
    routes(&sv, &pr);
    buf_init(&sec, 0);                      /* the secret file is capped when read */
    if (config_secret(o->cfg, &sec, d) == -1)
        goto out;
    sv.secret = buf_steal(&sec);
    sv.parts = tmpl_partials_new(tsource, &src);
    server_sync_init(&sv);
    if (o->cfg->paths.log_file != NULL) {
        sv.logfd = open(o->cfg->paths.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (sv.logfd == -1) {
            diag_set(d, EX_CANTCREAT, "cannot open the log file: %s", strerror(errno));
            diag_path(d, o->cfg->paths.log_file);
            goto out;
        }
    }
    /* what an earlier run (maybe killed) accepted goes in first */
    apply_now(&sv);
    if ((sv.log = reqlog_open(o->cfg->paths.state_dir, o->subs_path, d)) == NULL)
        goto out;
    if ((fd = listen_on(spec, d)) == -1)
        goto out;
    /* signals go to sigwait() below, not to the threads */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_create(&tc, NULL, committer, &sv);
    pthread_create(&ta, NULL, applier, &sv);
    pthread_create(&tm, NULL, mailer, &sv);
    started = true;
    if ((sv.mhd = start_daemon(&sv, fd, o->timeout)) == NULL) {
        diag_set(d, EX_UNAVAILABLE, "cannot start the HTTP server on %s", spec);
        goto out;
    }
    fd = -1;                            /* the daemon's now */
    log_info("listening on %s", spec);
    jlog(&sv, "serve_start", NULL, "\"listen\": \"%s\"", spec);
    while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
        ;
    log_info("stopping (signal %d)", sig);
    rc = 0;
out:
    if (sv.mhd != NULL)
        stop_daemon(&sv);
    if (fd != -1)
        close(fd);
    if (started)
        stop_threads(&sv, tc, ta, tm);
    if (sv.log != NULL) {
        jlog(&sv, "request_log", NULL, "\"requests\": %llu, \"syncs\": %llu",
            (unsigned long long)reqlog_written(sv.log),
            (unsigned long long)reqlog_syncs(sv.log));
        reqlog_close(sv.log);
        sv.log = NULL;
        apply_now(&sv);                 /* everything accepted reaches the list */
    }
    if (spec != NULL && strncmp(spec, "unix:", 5) == 0 && rc == 0)
        unlink(spec + 5);
    jlog(&sv, "serve_stop", NULL, NULL);
    if (sv.logfd != -1)
        close(sv.logfd);
    server_fini(&sv);
    return rc;
}
