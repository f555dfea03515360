/*
 * transport_curl: SMTP with libcurl, the transport for real sending.  One easy handle is
 * one connection, kept open across messages (MAIL, RCPT, DATA per message; no new TCP,
 * TLS, EHLO or AUTH) and closed with QUIT after smtp.messages_per_connection messages.
 * Which command a reply answers comes from libcurl's debug callback (CURLOPT_VERBOSE) while
 * a connection is set up; over a kept connection the order is fixed (MAIL, RCPT, DATA, the
 * final dot), so replies are counted instead and verbose mode, which costs libcurl work on
 * every message, stays off.  Should libcurl want a new connection then, the open-socket
 * callback refuses it and the message is tried again at once with the debug callback on.
 * Specs: RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 8314 (implicit TLS), RFC 4954 (AUTH),
 * RFC 3463 (enhanced status codes), RFC 8996 (no TLS before 1.2).
 * SPDX-License-Identifier: MIT
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>

#include <curl/curl.h>

#include "addr.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "smtp.h"
#include "transport.h"
#include "util.h"


struct transport {
    CURL *h;
    const struct config_smtp *s;
    char where[SMTP_WHERE_MAX];      /* host:port, never the user or password */
    bool smtps;                 /* implicit TLS (RFC 8314) */
    bool has_user;
    long on_conn;               /* messages sent over the current connection */
    char errbuf[CURL_ERROR_SIZE];

    /* State of the current curl_easy_perform, filled by the callbacks. */
    enum transport_stage stage;          /* what the last command was: "mail", "rcpt", ... */
    int code;                   /* code of the complete reply to it; 0 while none */
    bool reply_done;
    bool any_reply;             /* the server said anything during this perform */
    char reply[SMTP_REPLY_KEEP];
    size_t reply_len;
    bool tls;                   /* this connection is encrypted now */
    bool cap_starttls, cap_auth;    /* from the last EHLO reply */
    bool quitting;              /* QUIT went out: what follows changes no result */
    bool counting;              /* kept connection: the stage from the count of replies */
    int nreplies;               /* complete replies in this perform (counting) */
    bool open_refused;          /* counting, and libcurl wanted a new connection */
    const char *refusal;        /* why the header callback stopped the session */
    enum transport_stage refusal_stage;

    /* The upload. */
    const char *data;
    size_t len, off;
    bool all_sent;              /* the read callback handed over every byte */
    const struct transport_msg *msg;    /* the message being sent */
    bool hook_failed;           /* before_end said no: the transfer was aborted */
};

static void
reply_reset(struct transport *t)
{
    t->code = 0;
    t->reply_done = false;
    t->reply_len = 0;
    t->reply[0] = '\0';
}

/* A command went out: it names the stage whose reply comes next. */
static void
command_sent(struct transport *t, const char *p, size_t n)
{
    bool in_auth = t->stage == TRANSPORT_STAGE_AUTH;
    enum transport_stage stage = smtp_command_stage(p, n);

    if (smtp_word_is(p, n, "QUIT")) {
        /* libcurl says QUIT when it closes a connection, also right after a refusal:
           the result stays that of the step that failed (or succeeded) before. */
        t->quitting = true;
        if (log_level() >= LOGLEVEL_DEBUG)
            smtp_debug_line("smtp", ">", p, n);
        return;
    }
    /* SASL responses (RFC 4954 4) are one base64 word: while in AUTH, only a command
       with an argument or a lone known verb ends the stage. */
    if (in_auth && (stage == TRANSPORT_STAGE_COMMAND || memchr(p, ' ', n) == NULL))
        stage = TRANSPORT_STAGE_NONE;
    if (stage != TRANSPORT_STAGE_NONE)
        t->stage = stage;
    if (t->stage == TRANSPORT_STAGE_EHLO)
        t->cap_starttls = t->cap_auth = false;
    reply_reset(t);
    if (log_level() < LOGLEVEL_DEBUG)
        return;
    if (t->stage == TRANSPORT_STAGE_AUTH) {
        /* Never log credentials, not even base64-encoded (RFC 4954 4, 14). */
        const char *sp = memchr(p, ' ', n);

        if (smtp_word_is(p, n, "AUTH") && sp != NULL) {
            const char *mech = sp + 1, *end = memchr(mech, ' ', n - (size_t)(mech - p));
            size_t ml = end ? (size_t)(end - mech) : n - (size_t)(mech - p);

            while (ml > 0 && (mech[ml - 1] == '\r' || mech[ml - 1] == '\n'))
                ml--;
            log_debug("smtp > AUTH %.*s (credentials not shown)", (int)ml, mech);
        } else {
            log_debug("smtp > (credentials not shown)");
        }
        return;
    }
    smtp_debug_line("smtp", ">", p, n);
}

static int
on_debug(CURL *h, curl_infotype type, char *p, size_t n, void *arg)
{
    struct transport *t = arg;

    (void)h;
    if (type == CURLINFO_HEADER_OUT)
        command_sent(t, p, n);
    else if ((type == CURLINFO_HEADER_IN || type == CURLINFO_TEXT) && log_level() >= LOGLEVEL_DEBUG)
        smtp_debug_line("smtp", type == CURLINFO_TEXT ? "*" : "<", p, n);
    return 0;
}

/*
 * Decide, at the end of a reply, whether to stop before curl sends the password.  libcurl
 * logs in after EHLO whenever the server offers AUTH, over plain text too, and skips the
 * login silently when AUTH is not offered.  Credentials never go out unencrypted unless
 * smtp.starttls is off (checklist T3), and a configured login is never skipped.
 */
static bool
stop_before_auth(struct transport *t)
{
    if (!t->has_user)
        return false;
    if (t->stage == TRANSPORT_STAGE_TLS && t->code != SMTP_STARTTLS_READY &&
        t->s->starttls == CONFIG_STARTTLS_OPPORTUNISTIC) {
        t->refusal = "the server refused STARTTLS; not sending the password without TLS "
            "(smtp.starttls: opportunistic)";
        t->refusal_stage = TRANSPORT_STAGE_TLS;
        return true;
    }
    if (t->stage != TRANSPORT_STAGE_EHLO || t->code / 100 != 2)
        return false;
    if (!t->tls && t->s->starttls != CONFIG_STARTTLS_OFF && t->cap_starttls)
        return false;                       /* STARTTLS comes next */
    if (!t->tls && t->s->starttls == CONFIG_STARTTLS_REQUIRED)
        return false;                       /* libcurl fails with CURLE_USE_SSL_FAILED */
    if (!t->tls && t->s->starttls == CONFIG_STARTTLS_OPPORTUNISTIC) {
        t->refusal = SMTP_NO_STARTTLS;
        t->refusal_stage = TRANSPORT_STAGE_TLS;
        return true;
    }
    if (!t->cap_auth) {
        t->refusal = SMTP_NO_AUTH;
        t->refusal_stage = TRANSPORT_STAGE_AUTH;
        return true;
    }
    return false;
}

/* libcurl hands every SMTP reply line to the header callback. */
static size_t
on_header(char *p, size_t size, size_t nitems, void *arg)
{
    struct transport *t = arg;
    size_t n = size * nitems, len = n;
    int code = -1;
    bool final = false;

    if (t->quitting)
        return n;
    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
        len--;
    if ((code = smtp_reply_code(p, len, &final)) < 0)
        final = false;
    if (t->reply_done) {
        reply_reset(t);                     /* a second reply to one command: keep the last */
        if (t->counting)                    /* no: the reply to the next command */
            t->stage = t->nreplies == 1 ? TRANSPORT_STAGE_RCPT : TRANSPORT_STAGE_DATA;
    }
    if (!t->any_reply && t->stage == TRANSPORT_STAGE_CONNECT) {
        t->tls = t->smtps;                  /* the greeting of a new connection */
        t->cap_starttls = t->cap_auth = false;
    }
    t->any_reply = true;
    if (code >= 0 && len > SMTP_CODE_LEN + 1 && t->stage == TRANSPORT_STAGE_EHLO) {
        const char *kw = p + SMTP_CODE_LEN + 1;
        size_t kl = len - SMTP_CODE_LEN - 1;

        if (smtp_word_is(kw, kl, "STARTTLS"))
            t->cap_starttls = true;
        if (smtp_word_is(kw, kl, "AUTH"))
            t->cap_auth = true;
    }
    /* Keep "550 5.1.1 first line" and the text of the continuation lines. */
    {
        const char *q = p;
        size_t ql = len;

        if (t->reply_len > 0 && code >= 0 && ql > SMTP_CODE_LEN) {
            q += SMTP_CODE_LEN + 1;
            ql -= SMTP_CODE_LEN + 1;
        }
        if (ql > SMTP_REPLY_LINE_MAX)
            ql = SMTP_REPLY_LINE_MAX;
        if (t->reply_len > 0 && t->reply_len + 1 < sizeof(t->reply))
            t->reply[t->reply_len++] = ' ';
        if (ql > sizeof(t->reply) - 1 - t->reply_len)
            ql = sizeof(t->reply) - 1 - t->reply_len;
        memcpy(t->reply + t->reply_len, q, ql);
        t->reply_len += ql;
        t->reply[t->reply_len] = '\0';
    }
    if (final) {
        t->code = code;
        t->reply_done = true;
        t->nreplies++;
        /* counting: after the reply to the final dot, or a refusal, libcurl is done with
           this message; what follows (the reply to QUIT) must not replace it */
        if (t->counting && (t->all_sent || code >= 400))
            t->quitting = true;
        if (t->stage == TRANSPORT_STAGE_TLS && code == SMTP_STARTTLS_READY)
            t->tls = true;                  /* the handshake follows; its failure is a
                                               CURLE_SSL_* or CURLE_PEER_FAILED_... */
        if (stop_before_auth(t))
            return 0;                       /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *arg)
{
    struct transport *t = arg;
    size_t room = size * nitems, left = t->len - t->off;

    if (left == 0) {
        if (!t->all_sent && t->msg != NULL && t->msg->before_end != NULL &&
            t->msg->before_end(t->msg->before_end_arg) != 0) {
            t->hook_failed = true;
            return CURL_READFUNC_ABORT;     /* no final dot: the server drops it */
        }
        if (!t->all_sent) {
            t->all_sent = true;
            reply_reset(t);                 /* what comes now answers the final dot */
        }
        return 0;
    }
    if (room > left)
        room = left;
    /*
     * The last bytes: libcurl 7.88 with a known upload size (CURLOPT_INFILESIZE) never
     * asks again for the end of the data, and sends the final dot right after these, so
     * the hook must run now.
     */
    if (room == left && !t->all_sent) {
        if (t->msg != NULL && t->msg->before_end != NULL &&
            t->msg->before_end(t->msg->before_end_arg) != 0) {
            t->hook_failed = true;
            return CURL_READFUNC_ABORT;
        }
        t->all_sent = true;
        reply_reset(t);
    }
    memcpy(buf, t->data + t->off, room);
    t->off += room;
    return room;
}

/* The reply to NOOP and the like arrives as "body": nobody needs it. */
static size_t
on_write(char *p, size_t size, size_t nitems, void *arg)
{
    (void)p;
    (void)arg;
    return size * nitems;
}

/* counting: over a kept connection, any new one is refused (see the top). */
static curl_socket_t
on_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct transport *t = arg;

    (void)purpose;
    if (t->counting) {
        t->open_refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Count replies (on a kept connection) or follow the commands (verbose). */
static void
set_counting(struct transport *t, bool on)
{
    t->counting = on;
    curl_easy_setopt(t->h, CURLOPT_VERBOSE, on ? 0L : 1L);
}

static CURLcode
perform(struct transport *t)
{
    t->stage = t->counting ? TRANSPORT_STAGE_MAIL : TRANSPORT_STAGE_CONNECT;
    t->nreplies = 0;
    t->open_refused = false;
    reply_reset(t);
    t->any_reply = false;
    t->quitting = false;
    t->refusal = NULL;
    t->refusal_stage = TRANSPORT_STAGE_NONE;
    t->errbuf[0] = '\0';
    t->off = 0;
    t->all_sent = false;
    t->hook_failed = false;
    return curl_easy_perform(t->h);
}

static bool
is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return true;
    default:
        return false;
    }
}

/* Turn what curl and the callbacks saw into the result of one perform. */
static void
finish(struct transport *t, CURLcode rc, struct transport_result *r)
{
    const char *msg;

    r->stage = t->stage;
    r->code = 0;
    r->enhanced[0] = '\0';
    r->text[0] = '\0';
    r->reconnect = false;
    if (rc == CURLE_OK) {
        r->outcome = TRANSPORT_SENT;
        r->code = t->code;
        transport_copy_text(r->text, sizeof(r->text), t->reply, t->reply_len);
        transport_enhanced(r, t->reply);
        return;
    }
    if (t->hook_failed) {
        static const char why[] = "the journal could not be written; the message was "
            "not completed";

        r->outcome = TRANSPORT_TEMPFAIL;
        r->stage = TRANSPORT_STAGE_JOURNAL;
        r->reconnect = true;
        transport_copy_text(r->text, sizeof(r->text), why, sizeof(why) - 1);
        return;
    }
    if (t->refusal != NULL) {
        r->outcome = TRANSPORT_FATAL;
        r->stage = t->refusal_stage;
        transport_copy_text(r->text, sizeof(r->text), t->refusal, strlen(t->refusal));
        return;
    }
    if (t->reply_done && t->code >= 400) {
        /* The server said no (curl: CURLE_SEND_ERROR for MAIL, RCPT and DATA alike,
           CURLE_LOGIN_DENIED, CURLE_WEIRD_SERVER_REPLY, ...): its code decides. */
        r->code = t->code;
        r->outcome = transport_classify(t->stage, t->code, t->reply);
        r->reconnect = t->code == SMTP_CLOSING;
        transport_copy_text(r->text, sizeof(r->text), t->reply, t->reply_len);
        transport_enhanced(r, t->reply);
        return;
    }
    /* No refusal from the server: the connection, TLS or our settings failed. */
    msg = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(rc);
    transport_copy_text(r->text, sizeof(r->text), msg, strlen(msg));
    if (rc == CURLE_USE_SSL_FAILED && t->stage == TRANSPORT_STAGE_EHLO) {
        static const char no_tls[] = "the server does not offer STARTTLS and smtp.starttls "
            "is required; refusing to send without TLS";

        transport_copy_text(r->text, sizeof(r->text), no_tls, sizeof(no_tls) - 1);
    }
    if (t->all_sent) {
        /* Every byte and the final dot went out, and the reply was lost: the server may
           have taken the message (RFC 1047's duplicate-message problem). */
        r->outcome = TRANSPORT_UNCERTAIN;
        r->stage = TRANSPORT_STAGE_DATA;
        r->reconnect = true;
        return;
    }
    if (is_tls_error(rc)) {
        r->outcome = TRANSPORT_FATAL;
        r->stage = TRANSPORT_STAGE_TLS;
        return;
    }
    switch (rc) {
    case CURLE_LOGIN_DENIED:
        r->outcome = TRANSPORT_FATAL;
        r->stage = TRANSPORT_STAGE_AUTH;
        return;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_SSL_CACERT_BADFILE:
        r->outcome = TRANSPORT_FATAL;
        r->stage = TRANSPORT_STAGE_CONFIG;
        return;
    default:
        break;
    }
    r->reconnect = true;                    /* the connection is gone */
    r->outcome = TRANSPORT_TEMPFAIL;
}

static void curl_close(struct transport *t);

/* Set an option; remember the first one libcurl refused. */
/*
 * smtp.url (and smtp.helo, which libcurl takes from the URL's path) into the URL to give
 * libcurl, with t->smtps and t->where set; caller frees with curl_free().  NULL with d set
 * (EX_CONFIG) for a URL that does not parse, holds a password, or a bad helo.
 */
static char *
curl_url_for(struct transport *t, const struct config_smtp *s, struct diag *d)
{
    CURLU *u = curl_url();
    char *url = NULL, *scheme = NULL, *host = NULL, *port = NULL, *pass = NULL;
    char *path = NULL;

    if (u == NULL || curl_url_set(u, CURLUPART_URL, s->url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        diag_set(d, EX_CONFIG, "smtp.url is not a valid address; write smtp://host:587 or "
            "smtps://host:465");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
        diag_set(d, EX_CONFIG, "smtp.url holds a password; remove it and use "
            "smtp.password_file or smtp.password_env");
        goto out;
    }
    t->smtps = ascii_strcasecmp(scheme, "smtps") == 0;
    snprintf(t->where, sizeof(t->where), "%s:%s", host, port);
    if (s->helo != NULL) {
        /* libcurl takes the EHLO name from the URL path (smtp://host/name). */
        size_t n = strlen(s->helo) + 2;

        if (!transport_helo_ok(s->helo)) {
            diag_set(d, EX_CONFIG, "smtp.helo: \"%s\" is not a host name; write a name "
                "such as mail.example.org", s->helo);
            goto out;
        }
        path = xmalloc(n);
        snprintf(path, n, "/%s", s->helo);
        if (curl_url_set(u, CURLUPART_PATH, path, CURLU_URLENCODE) != CURLUE_OK) {
            diag_set(d, EX_CONFIG, "smtp.helo: \"%s\" cannot be used", s->helo);
            goto out;
        }
    }
    if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
        diag_set(d, EX_CONFIG, "smtp.url is not a valid address");
        url = NULL;
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(pass);
    free(path);
    curl_url_cleanup(u);
    return url;
}

#define SETOPT(opt, val) do {                                       \
    if (bad == NULL && curl_easy_setopt(t->h, opt, val) != CURLE_OK) \
        bad = #opt;                                                 \
} while (0)

/* Every option of t->h for url and the config; the first option libcurl refused, or NULL. */
static const char *
curl_set_options(struct transport *t, const struct transport_opts *o, const char *url)
{
    const struct config_smtp *s = t->s;
    const char *bad = NULL;
    long tls_mode;

    switch (s->starttls) {
    case CONFIG_STARTTLS_REQUIRED:
        tls_mode = CURLUSESSL_ALL;
        break;
    case CONFIG_STARTTLS_OPPORTUNISTIC:
        tls_mode = CURLUSESSL_TRY;
        break;
    default:
        tls_mode = CURLUSESSL_NONE;
        break;
    }
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SETOPT(CURLOPT_NOSIGNAL, 1L);           /* threads: no SIGALRM for DNS timeouts */
    SETOPT(CURLOPT_ERRORBUFFER, t->errbuf);
    SETOPT(CURLOPT_VERBOSE, 1L);            /* the debug callback sees the commands */
    SETOPT(CURLOPT_DEBUGFUNCTION, on_debug);
    SETOPT(CURLOPT_DEBUGDATA, t);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, t);
    SETOPT(CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
    SETOPT(CURLOPT_OPENSOCKETDATA, t);
    SETOPT(CURLOPT_READFUNCTION, on_read);
    SETOPT(CURLOPT_READDATA, t);
    SETOPT(CURLOPT_WRITEFUNCTION, on_write);
    SETOPT(CURLOPT_WRITEDATA, t);
    SETOPT(CURLOPT_MAXCONNECTS, 1L);        /* one handle, one connection */
    SETOPT(CURLOPT_CONNECTTIMEOUT, s->connect_timeout);
    /* smtp.timeout is per command: the wait for each reply, and a stalled upload. */
    SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT, s->timeout);
    SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SETOPT(CURLOPT_LOW_SPEED_TIME, s->timeout);
    /* smtp.message_timeout bounds one message (each perform) as a whole: a server that
       answers each command just in time cannot hold the run (and its lock) for ever. */
    SETOPT(CURLOPT_TIMEOUT, s->message_timeout);
    SETOPT(CURLOPT_USE_SSL, tls_mode);
    SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SETOPT(CURLOPT_SSL_VERIFYPEER, s->tls_verify ? 1L : 0L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, s->tls_verify ? 2L : 0L);
    if (s->ca_file != NULL)
        SETOPT(CURLOPT_CAINFO, s->ca_file);
    if (s->username != NULL) {
        t->has_user = true;
        SETOPT(CURLOPT_USERNAME, s->username);
        /* libcurl keeps its own copy; ours stays with the caller, who zeroes it. */
        SETOPT(CURLOPT_PASSWORD, o->password != NULL ? o->password : "");
    }
    return bad;
}

static struct transport *
curl_open(const struct transport_opts *o, struct diag *d)
{
    const struct config_smtp *s;
    struct transport *t = NULL;
    struct transport_result r;
    char *url = NULL;
    const char *bad;

    if (o == NULL || o->cfg == NULL || o->cfg->smtp.url == NULL) {
        diag_set(d, EX_CONFIG, "smtp.url is not set; add url: smtp://host:587");
        return NULL;
    }
    s = &o->cfg->smtp;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        diag_set(d, EX_OSERR, "libcurl could not be initialised");
        return NULL;
    }
    t = xcalloc(1, sizeof(*t));
    t->s = s;
    t->stage = TRANSPORT_STAGE_CONNECT;
    if ((url = curl_url_for(t, s, d)) == NULL)
        goto fail;
    t->h = curl_easy_init();
    if (t->h == NULL) {
        diag_set(d, EX_OSERR, "libcurl could not make a handle");
        goto fail;
    }
    if ((bad = curl_set_options(t, o, url)) != NULL) {
        diag_set(d, EX_SOFTWARE, "libcurl %s refused %s",
            curl_version_info(CURLVERSION_NOW)->version, bad);
        goto fail;
    }
    if (!s->tls_verify)
        log_warnx("smtp %s: TLS certificate verification is OFF (smtp.tls_verify: false); "
            "anyone on the way can read the mail and the password", t->where);

    /* Connect, greet, STARTTLS and log in now, so that open() reports those failures;
       NOOP leaves the connection open for the first message. */
    curl_easy_setopt(t->h, CURLOPT_CUSTOMREQUEST, "NOOP");
    curl_easy_setopt(t->h, CURLOPT_UPLOAD, 0L);
    memset(&r, 0, sizeof(r));
    finish(t, perform(t), &r);
    curl_easy_setopt(t->h, CURLOPT_CUSTOMREQUEST, NULL);
    if (r.outcome != TRANSPORT_SENT) {
        diag_set(d, transport_exit_code(&r), "smtp %s: %s: %s", t->where,
            transport_stage_name(r.stage), r.text);
        goto fail;
    }
    log_debug("smtp %s: connected", t->where);
    goto out;
fail:
    curl_close(t);
    t = NULL;
out:
    curl_free(url);
    return t;
}

static int
curl_send(struct transport *t, const struct transport_msg *m, struct transport_result *r)
{
    struct curl_slist *rcpt = NULL;
    double t0 = mono_now();
    bool last;
    long connects = 0;
    CURLcode rc;

    if (transport_check_envelope(m, true, r) == -1)
        return -1;
    rcpt = curl_slist_append(NULL, m->rcpt);
    if (rcpt == NULL) {
        r->outcome = TRANSPORT_TEMPFAIL;
        snprintf(r->text, sizeof(r->text), "out of memory");
        return -1;
    }
    last = t->s->messages_per_connection > 0 &&
        t->on_conn + 1 >= t->s->messages_per_connection;
    curl_easy_setopt(t->h, CURLOPT_MAIL_FROM, m->from != NULL ? m->from : "");
    curl_easy_setopt(t->h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(t->h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(t->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->len);
    curl_easy_setopt(t->h, CURLOPT_FORBID_REUSE, last ? 1L : 0L);  /* then QUIT */
    t->data = m->data;
    t->len = m->len;
    t->msg = m;
    set_counting(t, t->on_conn > 0 && log_level() < LOGLEVEL_DEBUG);
    rc = perform(t);
    curl_easy_getinfo(t->h, CURLINFO_NUM_CONNECTS, &connects);
    if (rc != CURLE_OK && !t->all_sent && (t->open_refused || (connects == 0 &&
        !t->any_reply && (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
        rc == CURLE_GOT_NOTHING)))) {
        /* The kept connection died while idle (a server limit, a NAT timeout) and not
           a single reply came, or libcurl found it dead and wanted a new one: nothing was
           taken, so try once on a fresh connection, following its commands. */
        log_debug("smtp %s: the kept connection was closed; connecting again", t->where);
        set_counting(t, false);
        curl_easy_setopt(t->h, CURLOPT_FRESH_CONNECT, 1L);
        rc = perform(t);
        curl_easy_setopt(t->h, CURLOPT_FRESH_CONNECT, 0L);
        connects = 1;
    }
    if (t->counting)
        set_counting(t, false);
    finish(t, rc, r);
    if (connects > 0)
        t->on_conn = 0;
    t->on_conn++;
    if (last || rc != CURLE_OK)
        t->on_conn = 0;                     /* closed: libcurl closes after any failure */
    curl_easy_setopt(t->h, CURLOPT_FORBID_REUSE, 0L);
    curl_easy_setopt(t->h, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(t->h, CURLOPT_UPLOAD, 0L);
    curl_slist_free_all(rcpt);
    t->data = NULL;
    t->len = 0;
    t->msg = NULL;
    r->latency = mono_now() - t0;
    return r->outcome == TRANSPORT_SENT ? 0 : -1;
}

static int
curl_probe(struct transport *t, struct transport_result *r)
{
    double t0 = mono_now();

    memset(r, 0, sizeof(*r));
    curl_easy_setopt(t->h, CURLOPT_CUSTOMREQUEST, "NOOP");
    curl_easy_setopt(t->h, CURLOPT_UPLOAD, 0L);
    curl_easy_setopt(t->h, CURLOPT_FORBID_REUSE, 1L);
    finish(t, perform(t), r);
    curl_easy_setopt(t->h, CURLOPT_FORBID_REUSE, 0L);
    curl_easy_setopt(t->h, CURLOPT_CUSTOMREQUEST, NULL);
    t->on_conn = 0;
    r->latency = mono_now() - t0;
    return r->outcome == TRANSPORT_SENT ? 0 : -1;
}

static void
curl_close(struct transport *t)
{
    if (t == NULL)
        return;
    if (t->h != NULL)
        curl_easy_cleanup(t->h);            /* QUIT on a kept connection */
    curl_global_cleanup();
    explicit_bzero(t, sizeof(*t));
    free(t);
}

const struct transport_ops transport_curl_ops = {
    .name = "curl",
    .open = curl_open,
    .send = curl_send,
    .probe = curl_probe,
    .close = curl_close,
};
