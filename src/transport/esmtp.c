/*
 * transport_esmtp: SMTP with libESMTP, the alternative to transport/curl.c.  One libESMTP
 * session is one connection, run by a thread of its own that waits in the event callback
 * between messages, so that send() after send() shares one connection (no new TCP, TLS,
 * EHLO or AUTH).  Specs: RFC 5321, RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 3463.
 * SPDX-License-Identifier: MIT
 */

/*
 * How libESMTP 1.1.0 is made to fit transport.h, and what it cannot do:
 *
 * - smtp_start_session() connects, sends every message queued in the session and QUITs
 *   before it returns.  So each connection runs in its own thread: when a message is done
 *   (SMTP_EV_MESSAGESENT, or a refused MAIL FROM or RCPT TO) the event callback hands the
 *   result to send() and waits for the next message, which it queues with
 *   smtp_add_message(); libESMTP looks for the next message only after that event, so it
 *   goes out over the same connection.  After a refused DATA command libESMTP has already
 *   chosen to QUIT; the next send() then opens a new connection by itself.
 * - libESMTP cannot connect without a message to send, nor stop between AUTH and MAIL
 *   FROM.  So open() only checks the settings and that the server takes a TCP connection
 *   (within smtp.connect_timeout); the first send() connects, and a failed greeting, TLS
 *   or login comes back as that message's FATAL result.  When the login fails (libESMTP
 *   then goes on to MAIL FROM regardless), the DATA is abandoned by closing the
 *   connection: nothing is ever delivered without the configured login.
 * - probe() without a username QUITs after EHLO: a required ETRN that the server lacks
 *   makes libESMTP QUIT (a server with ETRN gets "ETRN @gazette.invalid", which queues
 *   nothing).  With a username it runs a test transaction (AUTH, MAIL FROM, RCPT
 *   TO:<postmaster>, DATA) and closes the connection before the data: nothing is sent.
 * - No implicit TLS (smtps:// fails with EX_CONFIG), no IPv6 literal in the URL
 *   (smtp_set_server() splits host:port at the first colon), no SMTPUTF8, no TLS 1.3 (see
 *   esmtp_tls_setup()).  Its connect() blocks with no timeout of its own (the kernel gives up
 *   after its SYN retries, about two minutes on Linux) once open() has checked the server.
 * - libESMTP dot-stuffs by itself and rewrites some headers (drops Return-Path and a
 *   repeated To, From, Date, ...; adds Date, From or Message-Id when missing): send()
 *   refuses such a message, so that the server gets exactly the bytes it was given.
 * - With CHUNKING (RFC 3030) libESMTP sends BDAT, pipelined behind RCPT TO: it reads the
 *   message even when the recipient is refused, so that result waits for the end of the
 *   transaction; and it stops calling the protocol monitor after the first BDAT, so the
 *   -vv transcript ends there.
 * - The message's before_end hook runs in the thread that called send() (which waits in
 *   wait_job()): the session thread asks for it when libESMTP reads past the last byte.
 * - libESMTP 1.1.0 does not notice plain text pipelined after the STARTTLS reply (1.1.1
 *   does): the protocol monitor here does, and refuses that connection.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
/* auth-client.h and openssl/ssl.h first: libesmtp.h declares smtp_auth_set_context() and
   smtp_starttls_set_ctx() only when it sees them. */
#include <auth-client.h>
#include <libesmtp.h>

#include "addr.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "smtp.h"
#include "transport.h"
#include "util.h"

#include "esmtp_int.h"

/* ---- results ---- */

static void
set_enhanced(struct transport_result *r, const smtp_status_t *st)
{
    if ((st->enh_class == 2 || st->enh_class == 4 || st->enh_class == 5) &&
        st->enh_subject >= 0 && st->enh_subject <= 999 && st->enh_detail >= 0 &&
        st->enh_detail <= 999)
        snprintf(r->enhanced, sizeof(r->enhanced), "%d.%d.%d", st->enh_class,
            st->enh_subject, st->enh_detail);
    else
        transport_enhanced(r, st->text);
}

/* A reply libESMTP parsed (it cuts the code, and the enhanced code when the server
   announced ENHANCEDSTATUSCODES): the result gets "550 5.1.1 text" as curl's does. */
static void
from_status(struct transport_result *r, enum transport_stage stage, const smtp_status_t *st)
{
    char text[SMTP_REPLY_KEEP], full[SMTP_REPLY_KEEP + 32];

    r->stage = stage;
    r->code = st->code;
    r->enhanced[0] = '\0';
    set_enhanced(r, st);
    transport_copy_text(text, sizeof(text), st->text != NULL ? st->text : "", SIZE_MAX);
    if (r->enhanced[0] != '\0' && strncmp(text, r->enhanced, strlen(r->enhanced)) != 0)
        snprintf(full, sizeof(full), "%d %s %s", st->code, r->enhanced, text);
    else
        snprintf(full, sizeof(full), "%d %s", st->code, text);
    transport_copy_text(r->text, sizeof(r->text), full, SIZE_MAX);
    r->outcome = transport_classify(stage, st->code, r->text);
    r->reconnect = st->code == SMTP_CLOSING;
}

/* A reply the monitor read: text is "535 5.7.8 ...". */
static void
from_reply(struct transport_result *r, enum transport_stage stage, int code, const char *text)
{
    r->stage = stage;
    r->code = code;
    transport_copy_text(r->text, sizeof(r->text), text, SIZE_MAX);
    transport_enhanced(r, text);
    r->outcome = transport_classify(stage, code, text);
    r->reconnect = code == SMTP_CLOSING;
}

static void
fatal(struct transport_result *r, enum transport_stage stage, const char *text)
{
    r->outcome = TRANSPORT_FATAL;
    r->stage = stage;
    r->code = 0;
    r->enhanced[0] = '\0';
    transport_copy_text(r->text, sizeof(r->text), text, SIZE_MAX);
}

/* The result of a message, or of a check, when the connection ended without a reply to
   it: from what the monitor and the events saw. */
static void
from_session(struct conn *c, struct transport_result *r, bool all_sent)
{
    struct track *tr = &c->tr;
    char why[256], buf[128];
    const char *e;

    r->reconnect = true;
    if (c->cur != NULL && c->cur->hook_failed) {
        r->outcome = TRANSPORT_TEMPFAIL;
        r->stage = TRANSPORT_STAGE_JOURNAL;
        r->code = 0;
        snprintf(r->text, sizeof(r->text), "the journal could not be written; the message "
            "was not completed");
        return;
    }
    if (c->abort_stage != TRANSPORT_STAGE_NONE) {
        fatal(r, c->abort_stage, c->abort_text);
        r->code = c->abort_code;
        if (c->abort_code != 0)
            transport_enhanced(r, c->abort_text);
        return;
    }
    if (esmtp_tls_failure(c, why, sizeof(why))) {
        fatal(r, TRANSPORT_STAGE_TLS, why);
        return;
    }
    if (c->starttls_missing) {
        fatal(r, TRANSPORT_STAGE_TLS, "the server does not offer STARTTLS and smtp.starttls "
            "is required; refusing to send without TLS");
        return;
    }
    if (all_sent) {
        /* Every byte and the final dot went out, and the reply was lost: the server may
           have taken the message (RFC 1047's duplicate-message problem). */
        r->outcome = TRANSPORT_UNCERTAIN;
        r->stage = TRANSPORT_STAGE_DATA;
        snprintf(r->text, sizeof(r->text), "no reply to the end of the data: %s",
            c->killed[0] != '\0' ? c->killed :
            mono_now() - tr->last_io >= (double)c->t->cmd_ms / 1000.0 - 0.5 ? "timed out" :
            "connection closed");
        return;
    }
    if (c->killed[0] != '\0') {
        r->outcome = TRANSPORT_TEMPFAIL;
        r->stage = tr->in_reply ? tr->reading : tr->any_reply || c->connected ?
            esmtp_track_peek(tr) : TRANSPORT_STAGE_CONNECT;
        transport_copy_text(r->text, sizeof(r->text), c->killed, SIZE_MAX);
        return;
    }
    if (c->refusal_code != 0) {
        /* The server said no to the greeting, EHLO, STARTTLS or RSET, and libESMTP quit. */
        from_reply(r, c->refusal_stage, c->refusal_code, c->refusal_text);
        r->reconnect = true;
        return;
    }
    r->outcome = TRANSPORT_TEMPFAIL;
    r->stage = tr->any_reply || c->connected ? esmtp_track_peek(tr) : TRANSPORT_STAGE_CONNECT;
    e = smtp_strerror(c->err, buf, sizeof(buf));
    if (c->err == 0 || c->err == SMTP_ERR_DROPPED_CONNECTION)
        e = mono_now() - tr->last_io >= (double)c->t->cmd_ms / 1000.0 - 0.5 ? "no reply in time" :
            "the server closed the connection";
    transport_copy_text(r->text, sizeof(r->text), e != NULL ? e : "connection failed", SIZE_MAX);
}

/* ---- handing messages to the session thread and results back ---- */

static void conn_park(struct conn *c);

/* The message's result is out: wake send(). */
static void
publish(struct conn *c, struct letter *l)
{
    pthread_mutex_lock(&c->mu);
    l->job->done = true;
    l->job = NULL;
    l->data = NULL;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* A message is done; keep the connection for the next one when that is possible. */
static void
finish(struct conn *c, struct letter *l, bool can_park)
{
    struct transport *t = c->t;
    bool keep;

    if (l->job->r->code == SMTP_CLOSING)
        c->closing = true;
    keep = can_park && c->mode == CONN_SEND && !c->closing &&
        c->abort_stage == TRANSPORT_STAGE_NONE &&
        c->nmsg < t->s->messages_per_connection && c->nmsg < SESSION_MSG_MAX;
    publish(c, l);
    if (keep)
        conn_park(c);
}

/* A letter whose connection must not carry data (a failed login, ...). */
static void
finish_abort(struct conn *c, struct letter *l)
{
    from_session(c, l->job->r, false);
    finish(c, l, false);
}

static void
on_mail(struct conn *c, smtp_message_t msg)
{
    struct letter *l = smtp_message_get_application_data(msg);
    const smtp_status_t *st = smtp_reverse_path_status(msg);

    esmtp_check_login(c);
    if (l == NULL)
        return;
    if (l->probe) {
        c->mail_code = st->code;
        from_status(&c->verdict, TRANSPORT_STAGE_MAIL, st);
        return;
    }
    if (l->job == NULL || st->code / 100 == 2)
        return;
    if (c->abort_stage != TRANSPORT_STAGE_NONE) {
        finish_abort(c, l);
        return;
    }
    from_status(l->job->r, TRANSPORT_STAGE_MAIL, st);
    /* libESMTP looks for the next message after this event: parking works. */
    finish(c, l, true);
}

static void
on_rcpt(struct conn *c, smtp_recipient_t rcpt)
{
    struct letter *l = c->cur;
    const smtp_status_t *st = smtp_recipient_status(rcpt);

    if (l == NULL || l->job == NULL || l->probe || st->code / 100 == 2)
        return;
    /* With CHUNKING, libESMTP pipelines BDAT behind RCPT and reads the message even now:
       the result waits for SMTP_EV_MESSAGESENT, lest send() return and the caller free
       the bytes libESMTP is still reading. */
    if (c->tr.cap_chunking)
        return;
    if (c->abort_stage != TRANSPORT_STAGE_NONE) {
        finish_abort(c, l);
        return;
    }
    from_status(l->job->r, TRANSPORT_STAGE_RCPT, st);
    /* The one recipient is refused: DATA (pipelined or next) will fail, and libESMTP
       looks for the next message only after that reply, so parking here keeps the
       connection (it then sends RSET). */
    finish(c, l, true);
}

static void
on_sent(struct conn *c, smtp_message_t msg)
{
    struct letter *l = smtp_message_get_application_data(msg);

    const smtp_status_t *st;

    if (l == NULL || l->job == NULL || l->probe)
        return;
    if (c->abort_stage != TRANSPORT_STAGE_NONE) {
        finish_abort(c, l);
        return;
    }
    st = smtp_recipient_status(l->rcpt);
    if (st->code / 100 != 2) {
        from_status(l->job->r, TRANSPORT_STAGE_RCPT, st);     /* deferred by on_rcpt() (BDAT) */
        finish(c, l, true);
        return;
    }
    st = smtp_message_transfer_status(msg);
    if (st->code == 0) {
        /* BDAT reports a lost reply as a message sent with no status. */
        from_session(c, l->job->r, l->all_sent);
        finish(c, l, false);
        return;
    }
    from_status(l->job->r, TRANSPORT_STAGE_DATA, st);
    if (st->code / 100 == 2 && !l->all_sent) {
        /* A 2yz although libESMTP never handed over the whole message: the server
           answered DATA with 250 where 354 was due (RFC 5321 4.3.2), and libESMTP takes
           that reply for the end of the transaction.  No body went out: not a delivery. */
        l->job->r->outcome = TRANSPORT_TEMPFAIL;
        l->job->r->reconnect = true;
        snprintf(l->job->r->text, sizeof(l->job->r->text), "the server answered DATA with "
            "%d, not 354, and was sent no message; not a delivery", st->code);
        finish(c, l, false);
        return;
    }
    /* Without data, this is the reply to the DATA command, and libESMTP has already
       chosen QUIT (it looks for the next message before this event); BDAT reports
       after the last chunk, before it looks. */
    finish(c, l, l->all_sent || l->off > 0);
}

/* The message's before_end hook, run by the thread waiting in send() (the contract
   says the sending thread): ask it and wait for the answer.  true: go on. */
static bool
before_end(struct letter *l)
{
    struct job *job = l->job;
    struct conn *c = l->c;
    bool go;

    if (job == NULL || job->m->before_end == NULL)
        return true;
    pthread_mutex_lock(&c->mu);
    job->hook_asked = true;
    pthread_cond_broadcast(&c->cv);
    while (!job->hook_answered)
        pthread_cond_wait(&c->cv, &c->mu);
    go = job->hook_rc == 0;
    pthread_mutex_unlock(&c->mu);
    return go;
}

/* libESMTP reads the message through this: our bytes as they are (it dot-stuffs). */
static const char *
read_message(void **ctx, int *len, void *arg)
{
    struct letter *l = arg;
    size_t n;

    (void)ctx;
    if (len == NULL) {                      /* rewind */
        l->off = 0;
        return NULL;
    }
    *len = 0;
    if (l->probe || l->c->abort_stage != TRANSPORT_STAGE_NONE) {
        /* libESMTP closes the connection when the reader fails: the server never sees
           the final dot and discards the transaction (RFC 5321 4.1.1.4). */
        errno = ECANCELED;
        return NULL;
    }
    if (l->data == NULL)
        return NULL;    /* refused at RCPT, and BDAT (RFC 3030) sends a body regardless:
                           an empty one, which the server must refuse too */
    if (l->job != NULL)
        l->job->started = true;
    n = l->len - l->off;
    if (n == 0 && !l->all_sent && !before_end(l)) {
        l->hook_failed = true;
        errno = ECANCELED;                  /* no final dot (or BDAT LAST) */
        return NULL;
    }
    if (n == 0) {
        l->all_sent = true;
        return NULL;
    }
    if (n > CHUNK_MAX)
        n = CHUNK_MAX;
    *len = (int)n;
    l->off += n;
    return l->data + l->off - n;
}

/* A message for the session: queued before it starts, or by its thread while parked. */
static void
queue_letter(struct conn *c, struct job *job, bool probe)
{
    struct transport *t = c->t;
    const struct transport_msg *m = job != NULL ? job->m : NULL;
    struct letter *l = xcalloc(1, sizeof(*l));
    smtp_message_t msg = smtp_add_message(c->s);
    const char *from = probe ? t->probe_from : m->from != NULL ? m->from : "";

    if (msg == NULL)
        xoom();
    l->c = c;
    l->job = job;
    l->probe = probe;
    if (m != NULL) {
        l->data = m->data;
        l->len = m->len;
    }
    smtp_message_set_application_data_release(msg, l, free);
    if (!smtp_set_reverse_path(msg, from) ||
        (l->rcpt = smtp_add_recipient(msg, probe ? PROBE_RCPT : m->rcpt)) == NULL ||
        !smtp_set_messagecb(msg, read_message, l))
        xoom();
    if (m != NULL)
        smtp_size_set_estimate(msg, (unsigned long)m->len);   /* RFC 1870 SIZE= */
    c->cur = l;
    c->nmsg++;
}

/* Wait, inside libESMTP's event callback, for the next message or for close(). */
static void
conn_park(struct conn *c)
{
    struct job *job;
    struct timespec until;
    int rc = 0;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += IDLE_MAX;
    pthread_mutex_lock(&c->mu);
    c->state = CONN_PARKED;
    pthread_cond_broadcast(&c->cv);
    while (c->job == NULL && !c->quit && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&c->cv, &c->mu, &until);
    job = c->job;
    c->job = NULL;
    c->state = CONN_RUNNING;
    pthread_mutex_unlock(&c->mu);
    if (job != NULL)
        queue_letter(c, job, false);        /* libESMTP finds it next: same connection */
    else if (rc == ETIMEDOUT)
        log_debug("esmtp %s: idle for %d s; closing the connection", c->t->where, IDLE_MAX);
}

/* ---- libESMTP's events ---- */

/*
 * libESMTP keeps Nagle's algorithm on and writes the final dot in a small segment of its
 * own, which then waits for the server's delayed ACK: about 40 ms per message (measured
 * by `make bench`: 22 messages/s per connection).  It gives no access to its socket: the
 * connection's own, found at connect (esmtp_claim_socket()), gets TCP_NODELAY.
 */
static void
nodelay(const struct conn *c)
{
    int one = 1;

    if (c->sock >= 0)
        setsockopt(c->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
on_event(smtp_session_t s, int event, void *arg, ...)
{
    struct conn *c = arg;
    struct transport *t = c->t;
    va_list ap;
    int *ok;

    va_start(ap, arg);
    switch (event) {
    case SMTP_EV_CONNECT:
        /* A new TCP connection (libESMTP tries each address of the name in turn). */
        esmtp_unclaim_socket(c);
        esmtp_claim_socket(c, t->port);
        nodelay(c);
        esmtp_connect_unlock(c);
        esmtp_track_reset(&c->tr);
        c->connected = true;
        c->tls_up = c->authed = c->login_checked = c->closing = false;
        c->etrn_seen = c->starttls_missing = false;
        c->tls_failed[0] = '\0';
        c->auth_code = c->refusal_code = 0;
        c->abort_stage = TRANSPORT_STAGE_NONE;
        t->verify_err = X509_V_OK;
        if (c->mode != CONN_CHECK && t->user != NULL && t->starttls != Starttls_DISABLED)
            smtp_auth_set_context(s, NULL);
        break;
    case SMTP_EV_MAILSTATUS:
        (void)va_arg(ap, const char *);
        on_mail(c, va_arg(ap, smtp_message_t));
        break;
    case SMTP_EV_RCPTSTATUS:
        (void)va_arg(ap, const char *);
        on_rcpt(c, va_arg(ap, smtp_recipient_t));
        break;
    case SMTP_EV_MESSAGESENT:
        on_sent(c, va_arg(ap, smtp_message_t));
        break;
    case SMTP_EV_STARTTLS_OK:
        c->tls_up = true;
        (void)va_arg(ap, SSL *);
        log_debug("esmtp %s: TLS with %s", t->where, va_arg(ap, const char *));
        /* Only now may the password go out (the login follows the new EHLO). */
        if (c->mode != CONN_CHECK && t->user != NULL)
            smtp_auth_set_context(s, t->auth);
        break;
    case SMTP_EV_EXTNA_STARTTLS:
        c->starttls_missing = true;
        break;
    case SMTP_EV_EXTNA_ETRN:
        /* The check connection's way out after EHLO: keep libESMTP's "quit". */
        c->etrn_seen = true;
        ok = va_arg(ap, int *);
        if (ok != NULL)
            *ok = 1;
        break;
    case SMTP_EV_ETRNSTATUS:
        c->etrn_seen = true;
        break;
    case SMTP_EV_INVALID_PEER_CERTIFICATE: {
        long vr = va_arg(ap, long);

        ok = va_arg(ap, int *);
        *ok = !t->s->tls_verify;
        if (!*ok)
            snprintf(c->tls_failed, sizeof(c->tls_failed), "the server's certificate is not "
                "trusted: %s", X509_verify_cert_error_string(vr));
        break;
    }
    case SMTP_EV_NO_PEER_CERTIFICATE:
        ok = va_arg(ap, int *);
        *ok = !t->s->tls_verify;
        if (!*ok)
            snprintf(c->tls_failed, sizeof(c->tls_failed), "the server sent no certificate");
        break;
    case SMTP_EV_WRONG_PEER_CERTIFICATE:
        /* libESMTP's name check (DNS names only): OpenSSL has checked the configured
           name in the handshake already, or checking is off. */
        ok = va_arg(ap, int *);
        *ok = 1;
        break;
    case SMTP_EV_WEAK_CIPHER:
        (void)va_arg(ap, int);
        ok = va_arg(ap, int *);
        *ok = 0;
        snprintf(c->tls_failed, sizeof(c->tls_failed), "the TLS cipher is too weak");
        break;
    case SMTP_EV_NO_CLIENT_CERTIFICATE:
        ok = va_arg(ap, int *);
        *ok = 0;
        snprintf(c->tls_failed, sizeof(c->tls_failed), "libESMTP found a client certificate "
            "it cannot use (see ~/.config/libesmtp)");
        break;
    case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
    case SMTP_EV_UNUSABLE_CA_LIST:
        snprintf(c->tls_failed, sizeof(c->tls_failed), "libESMTP found certificate files "
            "it cannot use (see ~/.config/libesmtp; they must be private to the user)");
        break;
    default:
        break;
    }
    va_end(ap);
}

/* ---- connections ---- */

static struct conn *
conn_new(struct transport *t, enum conn_mode mode)
{
    struct conn *c = xcalloc(1, sizeof(*c));
    pthread_condattr_t ca;
    int to = Timeout_OVERRIDE_RFC2822_MINIMUM;

    c->t = t;
    c->mode = mode;
    c->sock = -1;
    c->state = CONN_RUNNING;
    esmtp_track_reset(&c->tr);
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    c->s = smtp_create_session();
    if (c->s == NULL || !smtp_set_server(c->s, t->server) ||
        (t->helo != NULL && !smtp_set_hostname(c->s, t->helo)))
        xoom();
    smtp_set_eventcb(c->s, on_event, c);
    smtp_set_monitorcb(c->s, esmtp_on_monitor, c, 0);
    /* libESMTP's timeouts are in milliseconds, whatever its documentation says. */
    smtp_set_timeout(c->s, Timeout_GREETING | to, t->cmd_ms);
    smtp_set_timeout(c->s, Timeout_ENVELOPE | to, t->cmd_ms);
    smtp_set_timeout(c->s, Timeout_DATA | to, t->cmd_ms);
    smtp_set_timeout(c->s, Timeout_TRANSFER | to, t->cmd_ms);
    smtp_set_timeout(c->s, Timeout_DATA2 | to, t->cmd_ms);
    smtp_starttls_enable(c->s, t->starttls);
    if (t->tls != NULL)
        smtp_starttls_set_ctx(c->s, t->tls);
    if (mode != CONN_CHECK && t->user != NULL && t->starttls == Starttls_DISABLED)
        smtp_auth_set_context(c->s, t->auth);
    if (mode == CONN_CHECK && smtp_etrn_add_node(c->s, '@', PROBE_NODE) == NULL)
        xoom();
    return c;
}

static void *
conn_main(void *arg)
{
    struct conn *c = arg;
    unsigned long e;

    /* until SMTP_EV_CONNECT: see esmtp_claim_socket() */
    pthread_mutex_lock(&esmtp_connect_mu);
    c->connect_locked = true;
    smtp_start_session(c->s);
    c->err = smtp_errno();                  /* libESMTP's errno is per thread */
    esmtp_connect_unlock(c);
    esmtp_unclaim_socket(c);
    if ((e = ERR_peek_last_error()) != 0)
        ERR_error_string_n(e, c->sslerr, sizeof(c->sslerr));
    ERR_clear_error();
    if (c->mode == CONN_SEND && c->cur != NULL && c->cur->job != NULL) {
        from_session(c, c->cur->job->r, c->cur->all_sent);
        publish(c, c->cur);
    }
    pthread_mutex_lock(&c->mu);
    c->state = CONN_DONE;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Start the session thread.  It gets no asynchronous signal: SIGPIPE from a write to a
   closed connection (libESMTP uses write(), not MSG_NOSIGNAL) stays pending in it and
   is dropped when it ends; SIGINT and the like go to the program's other threads. */
static void
conn_start(struct conn *c)
{
    static const int sync_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT,
        SIGSYS };
    sigset_t set, old;
    int rc;

    sigfillset(&set);
    for (size_t i = 0; i < ARRAY_LEN(sync_signals); i++)
        sigdelset(&set, sync_signals[i]);
    pthread_sigmask(SIG_SETMASK, &set, &old);
    rc = pthread_create(&c->thread, NULL, conn_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errno = rc;
        log_warn("esmtp: cannot start a thread");
        exit(EX_OSERR);
    }
}

/* Wait until the connection's thread waits for a message or has ended. */
static enum conn_state
conn_settle(struct conn *c)
{
    enum conn_state st;

    pthread_mutex_lock(&c->mu);
    while (c->state == CONN_RUNNING)
        pthread_cond_wait(&c->cv, &c->mu);
    st = c->state;
    pthread_mutex_unlock(&c->mu);
    return st;
}

/* QUIT (if still connected), join the thread, free everything. */
static void
conn_end(struct conn *c)
{
    if (c == NULL)
        return;
    if (conn_settle(c) == CONN_PARKED) {
        pthread_mutex_lock(&c->mu);
        c->quit = true;
        pthread_cond_broadcast(&c->cv);
        while (c->state != CONN_DONE)
            pthread_cond_wait(&c->cv, &c->mu);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_join(c->thread, NULL);
    smtp_destroy_session(c->s);             /* frees the letters too */
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Run a check or probe connection to its end and take its verdict. */
static void
conn_run(struct transport *t, enum conn_mode mode, struct transport_result *r)
{
    struct conn *c = conn_new(t, mode);

    if (mode == CONN_PROBE)
        queue_letter(c, NULL, true);
    conn_start(c);
    pthread_join(c->thread, NULL);
    memset(r, 0, sizeof(*r));
    if (mode == CONN_CHECK && c->etrn_seen && c->abort_stage == TRANSPORT_STAGE_NONE &&
        c->tls_failed[0] == '\0') {
        r->outcome = TRANSPORT_SENT;
        r->stage = TRANSPORT_STAGE_EHLO;
        r->code = 250;
        snprintf(r->text, sizeof(r->text), "%s", c->tls_up ? "greeting, EHLO and STARTTLS "
            "done" : t->starttls == Starttls_DISABLED ? "greeting and EHLO done (STARTTLS "
            "off)" : "greeting and EHLO done; the server does not offer STARTTLS");
    } else if (mode == CONN_PROBE && c->login_checked && c->abort_stage == TRANSPORT_STAGE_NONE &&
        c->mail_code / 100 == 2) {
        r->outcome = TRANSPORT_SENT;
        r->stage = TRANSPORT_STAGE_AUTH;
        r->code = SMTP_AUTH_OK;
        snprintf(r->text, sizeof(r->text), "logged in as %s%s; MAIL FROM:<%s> taken; the "
            "test transaction was abandoned before its data", t->user,
            c->tls_up ? " over TLS" : "", t->probe_from);
    } else if (mode == CONN_PROBE && c->login_checked && c->abort_stage == TRANSPORT_STAGE_NONE &&
        c->mail_code != 0) {
        *r = c->verdict;                    /* MAIL FROM refused */
    } else {
        from_session(c, r, false);
    }
    smtp_destroy_session(c->s);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- settings ---- */

static bool
is_ipv4(const char *h)
{
    int dots = 0;

    for (const char *p = h; *p != '\0'; p++) {
        if (*p == '.')
            dots++;
        else if (!IS_DIGIT(*p))
            return false;
    }
    return dots == 3;
}

/* smtp://host[:port][/ehlo-name]: what libESMTP's "host:port" can express. */
static int
parse_url(struct transport *t, const char *url, struct diag *d)
{
    const char *p, *auth_end, *colon, *path = NULL;
    size_t hl;
    long port = SMTP_PORT_DEFAULT;

    if (ascii_strncasecmp(url, "smtps://", 8) == 0) {
        diag_set(d, EX_CONFIG, "smtp.url: libESMTP has no implicit TLS (smtps://, RFC 8314); "
            "write smtp://host:587 with starttls: required, or use transport: smtp");
        return -1;
    }
    if (ascii_strncasecmp(url, "smtp://", 7) != 0) {
        diag_set(d, EX_CONFIG, "smtp.url: \"%s\" is not an SMTP address; write "
            "smtp://host:587", url);
        return -1;
    }
    p = url + 7;
    auth_end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(auth_end - p)) != NULL) {
        diag_set(d, EX_CONFIG, "smtp.url holds a login; remove it and use smtp.username with "
            "smtp.password_file or smtp.password_env");
        return -1;
    }
    if (*p == '[') {
        diag_set(d, EX_CONFIG, "smtp.url: libESMTP cannot connect to an IPv6 address "
            "literal; write a host name, or use transport: smtp");
        return -1;
    }
    if (*auth_end == '?' || *auth_end == '#') {
        diag_set(d, EX_CONFIG, "smtp.url: \"%s\" has a query or fragment; write "
            "smtp://host:587", url);
        return -1;
    }
    if (*auth_end == '/')
        path = auth_end + 1;
    colon = memchr(p, ':', (size_t)(auth_end - p));
    hl = (size_t)((colon != NULL ? colon : auth_end) - p);
    if (colon != NULL) {
        char digits[8];
        size_t dl = (size_t)(auth_end - colon - 1);

        if (dl == 0 || dl >= sizeof(digits)) {
            diag_set(d, EX_CONFIG, "smtp.url: bad port in \"%s\"; write a number from 1 to "
                "%d", url, PORT_MAX);
            return -1;
        }
        memcpy(digits, colon + 1, dl);
        digits[dl] = '\0';
        if (parse_long(digits, 1, PORT_MAX, &port) != 0) {
            diag_set(d, EX_CONFIG, "smtp.url: bad port \"%s\"; write a number from 1 to %d",
                digits, PORT_MAX);
            return -1;
        }
    }
    if (hl == 0 || hl > TRANSPORT_HELO_MAX) {
        diag_set(d, EX_CONFIG, "smtp.url: \"%s\" names no host; write smtp://host:587", url);
        return -1;
    }
    for (size_t i = 0; i < hl; i++)
        if (!IS_ALNUM(p[i]) && p[i] != '.' && p[i] != '-' && p[i] != '_') {
            diag_set(d, EX_CONFIG, "smtp.url: \"%.*s\" is not a host name", (int)hl, p);
            return -1;
        }
    t->host = xstrndup(p, hl);
    t->host_is_ip = is_ipv4(t->host);
    t->port = port;
    snprintf(t->where, sizeof(t->where), "%s:%ld", t->host, port);
    t->server = xstrdup(t->where);
    /* As libcurl does: the path names the EHLO host when smtp.helo does not. */
    if (path != NULL && *path != '\0' && t->s->helo == NULL) {
        if (!transport_helo_ok(path)) {
            diag_set(d, EX_CONFIG, "smtp.url: \"/%s\" is not a host name for EHLO", path);
            return -1;
        }
        t->helo = xstrdup(path);
    }
    return 0;
}

/*
 * Is anything listening?  One TCP connection, closed at once, within smtp.connect_timeout
 * (which libESMTP's blocking connect() cannot honour).  No SMTP: libESMTP connects again
 * in the first send(), and a check with EHLO would cost each transport a second SMTP
 * connection.  Like transport/curl.c, a server that cannot be reached is EX_TEMPFAIL.
 */
static int
tcp_check(struct transport *t, struct diag *d)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    double deadline = mono_now() + (double)t->s->connect_timeout;
    int rc, err = ETIMEDOUT;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%ld", t->port);
    if ((rc = getaddrinfo(t->host, port, &hints, &res)) != 0) {
        diag_set(d, EX_TEMPFAIL, "smtp %s: connect: %s", t->where,
            rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    pthread_mutex_lock(&esmtp_connect_mu);    /* no stray socket at an esmtp_claim_socket() */
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
            ai->ai_protocol);
        struct pollfd pfd;
        socklen_t sl = sizeof(err);
        long left;

        if (fd == -1) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            err = 0;
        } else if (errno != EINPROGRESS) {
            err = errno;
        } else {
            pfd.fd = fd;
            pfd.events = POLLOUT;
            do {
                left = (long)((deadline - mono_now()) * 1000.0);
                rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
            } while (rc == -1 && errno == EINTR);
            if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
                err = errno;
            else if (rc != 1)
                err = rc == 0 ? ETIMEDOUT : errno;
        }
        close(fd);
        if (err == 0 || mono_now() >= deadline)
            break;
    }
    freeaddrinfo(res);
    pthread_mutex_unlock(&esmtp_connect_mu);
    if (err == 0)
        return 0;
    diag_set(d, EX_TEMPFAIL, "smtp %s: connect: %s%s", t->where, strerror(err),
        err == ETIMEDOUT ? " (smtp.connect_timeout)" : "");
    return -1;
}

static void esmtp_close(struct transport *t);

static struct transport *
esmtp_open(const struct transport_opts *o, struct diag *d)
{
    const struct config_smtp *s;
    struct transport *t;
    const struct config_newsletter *nl;

    if (o == NULL || o->cfg == NULL || o->cfg->smtp.url == NULL) {
        diag_set(d, EX_CONFIG, "smtp.url is not set; add url: smtp://host:587");
        return NULL;
    }
    s = &o->cfg->smtp;
    nl = &o->cfg->newsletter;
    t = xcalloc(1, sizeof(*t));
    t->s = s;
    if (parse_url(t, s->url, d) == -1)
        goto fail;
    if (s->helo != NULL) {
        if (!transport_helo_ok(s->helo)) {
            diag_set(d, EX_CONFIG, "smtp.helo: \"%s\" is not a host name; write a name "
                "such as mail.example.org", s->helo);
            goto fail;
        }
        t->helo = xstrdup(s->helo);
    }
    switch (s->starttls) {
    case CONFIG_STARTTLS_REQUIRED:
        t->starttls = Starttls_REQUIRED;
        break;
    case CONFIG_STARTTLS_OPPORTUNISTIC:
        t->starttls = Starttls_ENABLED;
        break;
    default:
        t->starttls = Starttls_DISABLED;
        break;
    }
    t->cmd_ms = s->timeout * 1000L;
    t->probe_from = nl->bounce_to != NULL ? nl->bounce_to : nl->from != NULL ? nl->from : "";
    if (t->starttls != Starttls_DISABLED && esmtp_tls_setup(t, d) == -1)
        goto fail;
    if (s->username != NULL) {
        t->user = xstrdup(s->username);
        t->pass = xstrdup(o->password != NULL ? o->password : "");
        auth_client_init();
        t->auth = auth_create_context();
        if (t->auth == NULL)
            xoom();
        /* PLAIN and LOGIN are "plain text" mechanisms: libESMTP wants them allowed; the
           password waits for TLS anyway unless smtp.starttls is off. */
        auth_set_mechanism_flags(t->auth, AUTH_PLUGIN_PLAIN, 0);
        auth_set_interact_cb(t->auth, esmtp_on_interact, t);
    }

    if (tcp_check(t, d) == -1)
        goto fail;
    return t;
fail:
    esmtp_close(t);
    return NULL;
}

/* ---- what libESMTP would change in a message, so that send() refuses it ---- */

/* libESMTP's header table (headers.c): what it drops, keeps once, or adds. */
static const struct {
    const char *name;
    bool once, needed, dropped;
} esmtp_headers[] = {
    { "Date", true, true, false }, { "From", true, true, false },
    { "Message-Id", true, true, false }, { "Sender", true, false, false },
    { "To", true, false, false }, { "Cc", true, false, false },
    { "Bcc", true, false, false }, { "Reply-To", true, false, false },
    { "Disposition-Notification-To", true, false, false },
    { "Return-Path", false, false, true }, { "Original-Recipient", false, false, true },
};

/* NULL when libESMTP sends the message byte for byte (with dot-stuffing), else why not. */
static const char *
data_problem(const char *p, size_t n, char *why, size_t size)
{
    int seen[ARRAY_LEN(esmtp_headers)] = { 0 };
    const char *end = p + n, *line = p;
    bool in_header = true;

    for (size_t i = 0; i < n; i++) {
        /* RFC 5321 2.3.8: lines end with CRLF; a bare LF or CR could end the data early
           on a lax server ("SMTP smuggling"), and libESMTP only stuffs dots after CRLF. */
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
            return "the message has a bare LF; lines must end with CRLF";
        if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
            return "the message has a bare CR; lines must end with CRLF";
    }
    while (in_header && line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl != NULL ? (size_t)(nl - line) - 1 : (size_t)(end - line);
        const char *colon;

        if (nl == NULL)
            break;
        if (len == 0) {
            in_header = false;
            break;
        }
        colon = memchr(line, ':', len);
        if (line[0] != ' ' && line[0] != '\t' && colon != NULL) {
            size_t nlen = (size_t)(colon - line);

            for (size_t k = 0; k < ARRAY_LEN(esmtp_headers); k++) {
                if (strlen(esmtp_headers[k].name) != nlen ||
                    ascii_strncasecmp(line, esmtp_headers[k].name, nlen) != 0)
                    continue;
                if (esmtp_headers[k].dropped) {
                    snprintf(why, size, "libESMTP would remove the %s: header",
                        esmtp_headers[k].name);
                    return why;
                }
                if (seen[k]++ > 0) {
                    snprintf(why, size, "libESMTP would drop the second %s: header",
                        esmtp_headers[k].name);
                    return why;
                }
            }
        }
        line = nl + 1;
    }
    if (in_header)
        return "the message has no empty line after its header; libESMTP would add one";
    for (size_t k = 0; k < ARRAY_LEN(esmtp_headers); k++)
        if (esmtp_headers[k].needed && seen[k] == 0) {
            snprintf(why, size, "the message has no %s: header; libESMTP would make one up",
                esmtp_headers[k].name);
            return why;
        }
    return NULL;
}

/* ---- the ops ---- */

/* Wait (holding c->mu) for the job's result, running its before_end hook when the
   session thread asks. */
static void
wait_job(struct conn *c, struct job *job, double deadline)
{
    struct timespec until;
    double whole;

    until.tv_nsec = (long)(modf(deadline, &whole) * 1e9);
    until.tv_sec = (time_t)whole;
    while (!job->done) {
        if (job->hook_asked && !job->hook_answered) {
            pthread_mutex_unlock(&c->mu);
            job->hook_rc = job->m->before_end(job->m->before_end_arg);
            pthread_mutex_lock(&c->mu);
            job->hook_answered = true;
            pthread_cond_broadcast(&c->cv);
            continue;
        }
        /* The cv runs on CLOCK_MONOTONIC, as mono_now() does. */
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT && !job->done) {
            pthread_mutex_unlock(&c->mu);
            esmtp_conn_kill(c, "the message was not done within %ld s (smtp.message_timeout)",
                c->t->s->message_timeout);
            pthread_mutex_lock(&c->mu);
            until.tv_sec += 1;              /* then wait for the session to end */
        }
    }
}

/* Hand the job to the kept connection if it waits for one, else to a new connection.
   true when the kept one took it. */
static bool
hand_over(struct transport *t, struct job *job, double deadline)
{
    struct conn *c = t->live;
    bool kept = c != NULL && conn_settle(c) == CONN_PARKED;

    if (!kept) {
        conn_end(c);
        t->live = c = conn_new(t, CONN_SEND);
        queue_letter(c, job, false);
        conn_start(c);
    }
    pthread_mutex_lock(&c->mu);
    if (kept) {
        c->job = job;
        c->state = CONN_RUNNING;
        pthread_cond_broadcast(&c->cv);
    }
    wait_job(c, job, deadline);
    pthread_mutex_unlock(&c->mu);
    return kept;
}

static int
esmtp_send(struct transport *t, const struct transport_msg *m, struct transport_result *r)
{
    struct job job = { m, r, false, false, false, false, 0 };
    char why[160];
    const char *bad = NULL;
    double t0 = mono_now();
    bool kept;

    if (transport_check_envelope(m, false, r) == -1)
        return -1;
    if (m->data == NULL || (bad = data_problem(m->data, m->len, why, sizeof(why))) != NULL) {
        fatal(r, TRANSPORT_STAGE_DATA, m->data == NULL ? "no message" : bad);
        return -1;
    }
    kept = hand_over(t, &job, t0 + (double)t->s->message_timeout);
    if (kept && r->outcome == TRANSPORT_TEMPFAIL && r->code == 0 && !job.started) {
        /* The kept connection died while idle (a server limit, a NAT timeout) before a
           single reply to this message: nothing was taken, so try once on a fresh one. */
        log_debug("esmtp %s: the kept connection was closed; connecting again", t->where);
        memset(r, 0, sizeof(*r));
        job.done = job.started = job.hook_asked = job.hook_answered = false;
        hand_over(t, &job, t0 + (double)t->s->message_timeout);
    }
    r->latency = mono_now() - t0;
    return r->outcome == TRANSPORT_SENT ? 0 : -1;
}

static int
esmtp_probe(struct transport *t, struct transport_result *r)
{
    double t0 = mono_now();

    if (t->live != NULL)
        conn_settle(t->live);               /* one TLS handshake of ours at a time */
    conn_run(t, t->user != NULL ? CONN_PROBE : CONN_CHECK, r);
    r->latency = mono_now() - t0;
    return r->outcome == TRANSPORT_SENT ? 0 : -1;
}

static void
esmtp_close(struct transport *t)
{
    if (t == NULL)
        return;
    conn_end(t->live);                      /* QUIT on a kept connection */
    if (t->auth != NULL)
        auth_destroy_context(t->auth);
    SSL_CTX_free(t->tls);                   /* each session held a reference of its own */
    if (t->pass != NULL) {
        explicit_bzero(t->pass, strlen(t->pass));
        free(t->pass);
    }
    free(t->user);
    free(t->server);
    free(t->host);
    free(t->helo);
    explicit_bzero(t, sizeof(*t));
    free(t);
}

const struct transport_ops transport_esmtp_ops = {
    .name = "esmtp",
    .open = esmtp_open,
    .send = esmtp_send,
    .probe = esmtp_probe,
    .close = esmtp_close,
};
