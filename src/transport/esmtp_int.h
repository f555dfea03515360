/*
 * transport/esmtp_int: what the three files of the libESMTP transport share: esmtp.c
 * (the ops, settings, sessions and their threads, results), esmtp_wire.c (the protocol
 * read from the wire, the deadlines, the login gate) and esmtp_tls.c (our own verified
 * TLS context).  Private to src/transport/.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_TRANSPORT_ESMTP_INT_H
#define GAZETTE_TRANSPORT_ESMTP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>
/* auth-client.h and openssl/ssl.h first: libesmtp.h declares smtp_auth_set_context() and
   smtp_starttls_set_ctx() only when it sees them. */
#include <auth-client.h>
#include <libesmtp.h>

#include "config.h"
#include "smtp.h"
#include "transport.h"

struct diag;

#define SMTP_SERVER_IDLE_MIN 300    /* RFC 5321 4.5.3.2.7: a server waits 5 minutes */
#define IDLE_MAX (SMTP_SERVER_IDLE_MIN - 60)    /* we close a connection idle this long */
#define PORT_MAX 65535
#define PENDING_MAX 16              /* pipelined commands awaiting replies (RFC 2920) */
#define SESSION_MSG_MAX 1000        /* libESMTP keeps every message of a session until it
                                       ends (a few KiB each): end a connection after this */
#define CHUNK_MAX (1 << 30)         /* libESMTP's reader takes an int length */
#define PROBE_NODE "gazette.invalid"    /* RFC 2606: a name that queues nothing */
#define PROBE_RCPT "postmaster"     /* RFC 5321 4.5.1: every server must take it */
#define REPLY_LINES_MAX 1000        /* lines of one reply (EHLO lists a few dozen at most) */
#define REPLY_LINE_JUNK (64 * 1024) /* a reply line this long is no SMTP: stop */
#define CLAIM_MAX 256               /* sockets of live connections (64 workers at most) */

struct transport;

/* One send() waiting for its result (the flags are under the connection's mutex). */
struct job {
    const struct transport_msg *m;
    struct transport_result *r;
    bool done;
    bool started;                   /* the message's data was read by libESMTP */
    bool hook_asked, hook_answered; /* m->before_end runs in send()'s thread */
    int hook_rc;
};

/* One message queued in a session; libESMTP frees it with the session. */
struct letter {
    struct conn *c;
    struct job *job;                /* NULL once the result is out */
    smtp_recipient_t rcpt;
    const char *data;               /* borrowed from the job's message */
    size_t len, off;
    bool probe;                     /* a test transaction: never send its data */
    bool all_sent;                  /* every byte was handed to libESMTP */
    bool hook_failed;               /* before_end said no: the data was abandoned */
};

enum conn_mode { CONN_SEND, CONN_CHECK, CONN_PROBE };
enum conn_state { CONN_RUNNING, CONN_PARKED, CONN_DONE };

/* What the protocol monitor learnt about the replies of the current connection. */
struct track {
    enum transport_stage pending[PENDING_MAX];   /* stages of the commands awaiting a reply */
    unsigned head, n;
    bool any_reply, in_reply, after_go;
    enum transport_stage reading;            /* the stage of the reply being read */
    char line[SMTP_REPLY_LINE_MAX + 1];
    size_t ll;
    char text[SMTP_REPLY_KEEP];          /* the reply being read: "550 5.1.1 no ..." */
    size_t tl;
    enum transport_stage stage;              /* the last complete reply: its command's stage */
    int code;                       /* and code */
    bool cap_starttls, cap_auth, cap_chunking;  /* from the last EHLO reply */
    char mechs[128];                /* the AUTH mechanisms it offered */
    double last_io;
    bool reply_open;                /* bytes of a reply came, its last line not yet */
    double reply_t0;                /* when its first byte came */
    unsigned reply_lines;
    size_t line_junk;               /* bytes of the current line beyond the line limit */
};

/* One connection: a libESMTP session and the thread that runs it. */
struct conn {
    struct transport *t;
    enum conn_mode mode;
    smtp_session_t s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    enum conn_state state;          /* under mu */
    struct job *job;                /* handed over while parked; under mu */
    bool quit;                      /* close() wants the connection closed; under mu */
    long nmsg;                      /* messages queued on this connection */
    struct letter *cur;             /* the message in flight */
    struct track tr;

    /* Per TCP connection (libESMTP may try several addresses of a name). */
    bool connected, tls_up, authed, login_checked, closing, etrn_seen, starttls_missing;
    char tls_failed[160];           /* why the TLS session was refused */
    int auth_code;                  /* the last refusal of AUTH */
    char auth_text[SMTP_REPLY_KEEP];
    enum transport_stage abort_stage;        /* set: this connection must not carry data */
    int abort_code;
    char abort_text[256];
    enum transport_stage refusal_stage;      /* the last refusal (4xx, 5xx) before QUIT */
    int refusal_code;
    char refusal_text[SMTP_REPLY_KEEP];
    int mail_code;                  /* the probe's MAIL FROM reply, */
    struct transport_result verdict;    /* as a result */

    int err;                        /* smtp_errno() when the session ended */
    char sslerr[128];

    /* The TCP socket libESMTP made (found at connect, see esmtp_claim_socket()), to shut it
       down when a deadline passes; -1 when unknown.  Under claim_mu. */
    int sock;
    ino_t sock_ino;
    bool connect_locked;            /* this thread holds esmtp_connect_mu */
    char killed[160];               /* why the connection was cut ("" if it was not) */
};

struct transport {
    const struct config_smtp *s;
    char where[SMTP_WHERE_MAX];          /* host:port, never the user or password */
    char *server;                   /* what smtp_set_server() gets */
    char *host;
    bool host_is_ip;
    char *helo;
    char *user, *pass;
    const char *probe_from;         /* MAIL FROM of probe()'s test transaction */
    enum starttls_option starttls;
    long port;
    long cmd_ms;                    /* smtp.timeout: the wait for each reply */
    SSL_CTX *tls;
    auth_context_t auth;
    long verify_err;                /* from the verify callback of the last handshake */
    int verify_depth;
    struct conn *live;              /* the connection send() uses, or NULL */
};

/* ---- esmtp_wire.c ---- */

/* Held from a session's start to its SMTP_EV_CONNECT, and around open()'s TCP check:
   one new socket to the server at a time (see esmtp_claim_socket()). */
extern pthread_mutex_t esmtp_connect_mu;
/* At SMTP_EV_CONNECT: find the connection's own socket (c->sock), for the deadlines. */
void esmtp_claim_socket(struct conn *c, long port);
void esmtp_unclaim_socket(struct conn *c);
/* Release esmtp_connect_mu if this connection holds it. */
void esmtp_connect_unlock(struct conn *c);
/* Cut the connection now (any thread); the first reason is kept for the result. */
void esmtp_conn_kill(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void esmtp_track_reset(struct track *tr);
/* The stage of the reply due next. */
enum transport_stage esmtp_track_peek(const struct track *tr);
/* libESMTP's protocol monitor: every byte each way. */
void esmtp_on_monitor(const char *buf, int buflen, int writing, void *arg);
/* This connection must not carry data: why (the message's result). */
void esmtp_set_abort(struct conn *c, enum transport_stage stage, int code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
/* At the first MAIL FROM of a connection: was the configured login done? */
void esmtp_check_login(struct conn *c);
/* libESMTP's SASL callback: the user and password. */
int esmtp_on_interact(auth_client_request_t req, char **result, int fields, void *arg);

/* ---- esmtp_tls.c ---- */

/* t->tls: TLS 1.2, verified in the handshake (chain and name).  0, or -1 (EX_CONFIG...). */
int esmtp_tls_setup(struct transport *t, struct diag *d);
/* Why the TLS session of c failed, when it did: true with out set. */
bool esmtp_tls_failure(struct conn *c, char *out, size_t size);

#endif
