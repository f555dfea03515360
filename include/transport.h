/*
 * transport: one interface over the ways a message leaves gazette (OpenSMTPD's queue.c
 * over queue_fs.c and queue_ram.c): transport/curl.c (SMTP with libcurl, the default for
 * real sending), transport/esmtp.c (SMTP with libESMTP) and transport/maildir.c (a local
 * Maildir, the embedded default).  A transport object is one connection: the mailer runs
 * several of them, one per worker thread, and each sends many messages in turn over its
 * connection (no new TCP/TLS/EHLO/AUTH per message).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_TRANSPORT_H
#define GAZETTE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct diag;
struct transport;

/* One message for one recipient. */
struct transport_msg {
    const char *from;           /* envelope sender (MAIL FROM), ASCII, checked */
    const char *rcpt;           /* envelope recipient (RCPT TO), canonical (A-label) */
    const char *data;           /* the message: CRLF line ends, NOT dot-stuffed */
    size_t len;
    const char *id;             /* a unique name for it (Maildir file name part), or NULL */
    /*
     * Called once, just before the end of the data goes out (SMTP: before the final dot;
     * Maildir: before the rename into new/), from the sending thread.  The mailer makes
     * the message's journal record durable here, so that a crash can never leave a
     * delivered message unrecorded.  Nonzero aborts the message: the server never sees
     * the end of the data, and the result is TEMPFAIL at stage "journal".  NULL: none.
     */
    int (*before_end)(void *arg);
    void *before_end_arg;
};

/* Where a message stopped: the command whose reply decided (or the local step). */
enum transport_stage {
    TRANSPORT_STAGE_NONE,       /* "": not set */
    TRANSPORT_STAGE_CONNECT,    /* "connect": the TCP connection and the greeting */
    TRANSPORT_STAGE_EHLO,       /* "ehlo": EHLO (or HELO) */
    TRANSPORT_STAGE_TLS,        /* "tls": STARTTLS and the handshake */
    TRANSPORT_STAGE_AUTH,       /* "auth": AUTH and its exchange */
    TRANSPORT_STAGE_MAIL,       /* "mail": MAIL FROM */
    TRANSPORT_STAGE_RCPT,       /* "rcpt": RCPT TO */
    TRANSPORT_STAGE_DATA,       /* "data": DATA (or BDAT) and the end of the data */
    TRANSPORT_STAGE_RSET,       /* "rset" */
    TRANSPORT_STAGE_NOOP,       /* "noop": the check of a kept connection */
    TRANSPORT_STAGE_QUIT,       /* "quit" */
    TRANSPORT_STAGE_ETRN,       /* "etrn": libESMTP's way out of a check connection */
    TRANSPORT_STAGE_COMMAND,    /* "command": any other command, or a reply unasked for */
    TRANSPORT_STAGE_CONFIG,     /* "config": the settings (nothing was sent) */
    TRANSPORT_STAGE_MAILDIR,    /* "maildir": the Maildir folder */
    TRANSPORT_STAGE_JOURNAL,    /* "journal": the journal could not be written first */
    TRANSPORT_STAGE_COMPOSE,    /* "compose": the message could not be made (mailer) */
};

enum transport_outcome {
    TRANSPORT_SENT,             /* the server took it (2xx after the data) */
    TRANSPORT_TEMPFAIL,         /* 4xx, timeout, dropped connection before the data was
                                   accepted: try again later */
    TRANSPORT_PERMFAIL,         /* 5xx to RCPT or to the data: this recipient, never again */
    TRANSPORT_UNCERTAIN,        /* the data went out but the final reply was lost */
    TRANSPORT_FATAL,            /* every later message would fail the same way: 5xx to the
                                   greeting, EHLO, AUTH or MAIL FROM, a TLS failure, STARTTLS
                                   required but not offered: stop the run */
};

struct transport_result {
    enum transport_outcome outcome;
    int code;                   /* SMTP reply code of the failing (or last) step; 0 if none */
    char enhanced[16];          /* RFC 3463 status such as "5.1.1", or "" */
    char text[256];             /* reply text or error, sanitised (no control bytes) */
    enum transport_stage stage; /* where it stopped (or, when sent, "data") */
    double latency;             /* seconds spent on this message */
    bool reconnect;             /* the connection is gone (421, drop): open a new one */
};

struct transport_opts {
    const struct config *cfg;   /* smtp.* settings; borrowed for the transport's life */
    const char *password;       /* from config_password(); NULL or "" for none; copied */
    const char *maildir;        /* for the maildir transport: the Maildir folder */
};

struct transport_ops {
    const char *name;
    /*
     * Open one connection (or, for maildir, check and create the folder).  Fails with
     * EX_UNAVAILABLE/EX_TEMPFAIL when the server cannot be reached, EX_NOPERM when the
     * login is refused, EX_PROTOCOL for TLS trouble, EX_CONFIG for bad settings.  Caller
     * frees with close().
     */
    struct transport *(*open)(const struct transport_opts *o, struct diag *d);
    /* Send one message over the connection; blocks; always fills r; 0, or -1 when
       r->outcome is not TRANSPORT_SENT. */
    int (*send)(struct transport *t, const struct transport_msg *m,
        struct transport_result *r);
    /* Connect, greet, STARTTLS and AUTH as configured, then QUIT: `gazette check --smtp`. */
    int (*probe)(struct transport *t, struct transport_result *r);
    void (*close)(struct transport *t);     /* QUIT and free; NULL does nothing */
};

extern const struct transport_ops transport_curl_ops;
extern const struct transport_ops transport_esmtp_ops;
extern const struct transport_ops transport_maildir_ops;

/* The ops for the config's smtp.transport. */
const struct transport_ops *transport_for(const struct config *cfg);
/* "sent", "tempfail", ... */
const char *transport_outcome_name(enum transport_outcome o);
/* "connect", "rcpt", ... ("" for TRANSPORT_STAGE_NONE): the names in logs and journals. */
const char *transport_stage_name(enum transport_stage st);
/*
 * The sysexits code for a result that stops a run or a check: EX_CONFIG (settings),
 * EX_TEMPFAIL (temporary or uncertain), EX_NOPERM (login refused, 530), EX_PROTOCOL
 * (TLS), EX_IOERR (journal), else EX_UNAVAILABLE.
 */
int transport_exit_code(const struct transport_result *r);
/*
 * Classify an SMTP reply at a stage into an outcome (RFC 5321 4.2.1, RFC 3463): shared by
 * every SMTP transport so that they agree.  text may hold an enhanced code ("5.1.1 ...").
 * The reply code decides: 2yz SENT; 4yz TEMPFAIL (421 too: the caller reconnects); 5yz
 * to "rcpt" PERMFAIL but 552 TEMPFAIL (RFC 5321 4.5.3.1.10); 5yz to "data" PERMFAIL;
 * 530 anywhere and 5yz at any other stage FATAL.  Code 0 (no reply) and 1yz/3yz are
 * TEMPFAIL: a transport that handed over the whole message and then lost the reply
 * reports TRANSPORT_UNCERTAIN itself.
 */
enum transport_outcome transport_classify(enum transport_stage stage, int code,
    const char *text);
#define TRANSPORT_HELO_MAX 255      /* RFC 5321 4.5.3.1.2: a domain; literals are shorter */
/*
 * Why a would make a bad MAIL FROM or RCPT TO, or NULL: empty (unless null_ok, the null
 * reverse-path), over 254 octets, a control character or an angle bracket (no command
 * injection), non-ASCII (unless utf8_ok).
 */
const char *transport_address_problem(const char *a, bool null_ok, bool utf8_ok);
/*
 * Clear r and check m's envelope before any command goes out: a bad sender is FATAL
 * (every message has it), a bad recipient PERMFAIL (stage "rcpt").  0, or -1 with r set.
 */
int transport_check_envelope(const struct transport_msg *m, bool utf8_ok,
    struct transport_result *r);
/* A usable EHLO name: letters, digits, '.', '-' and an address literal's "[", "]", ":". */
bool transport_helo_ok(const char *h);
/*
 * Copy outside text (a server's reply, an error) into a fixed field such as r->text, as
 * utf8_escape() does (line ends one space; control bytes and invalid UTF-8 \xNN; C1,
 * bidi controls and line separators \uXXXX: only valid UTF-8 that shows as it is), with
 * trailing blanks gone; stops at n bytes or a NUL.
 */
void transport_copy_text(char *dst, size_t size, const char *p, size_t n);
/* Fill r->enhanced from the start of text when it holds an RFC 3463 code. */
void transport_enhanced(struct transport_result *r, const char *text);

#endif
