/*
 * config: gazette.yaml, loaded strictly with libyaml (through value.h).  Every key has a
 * type and a default; an unknown key, a wrong type or a missing required key is an error
 * with FILE:LINE:COL, and a misspelt key gets a "did you mean" hint.  Relative paths are
 * resolved against the config file's folder.  Secrets (SMTP password, unsubscribe secret)
 * are never stored here: only where to read them from.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CONFIG_H
#define GAZETTE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct buf;

enum config_starttls { CONFIG_STARTTLS_REQUIRED, CONFIG_STARTTLS_OPPORTUNISTIC,
    CONFIG_STARTTLS_OFF };
enum config_journal_sync { CONFIG_JSYNC_BATCH, CONFIG_JSYNC_MESSAGE };
enum config_order { CONFIG_ORDER_NEWEST, CONFIG_ORDER_OLDEST };
enum config_transport { CONFIG_TRANSPORT_MAILDIR, CONFIG_TRANSPORT_SMTP,
    CONFIG_TRANSPORT_ESMTP };

struct config_newsletter {
    char *name;                 /* shown as From's display name unless from_name is set */
    char *from;                 /* From address (required for sending) */
    char *from_name;
    char *reply_to;
    char *bounce_to;            /* MAIL FROM; defaults to from */
    char *list_id;              /* RFC 2919 list id, e.g. news.example.org */
    char *base_url;             /* public web address of the newsletter */
    char *unsubscribe_url;      /* https URL template, {{token}} and {{email}} expand */
    char *unsubscribe_mailto;   /* address for mailto: unsubscribe */
    char *secret_file;          /* HMAC secret for unsubscribe tokens: file ... */
    char *secret_env;           /* ... or environment variable */
    char *language;             /* html lang, e.g. "en" */
    char *postal_address;       /* sender's postal address (CAN-SPAM) */
    bool verp;                  /* MAIL FROM bounce_to+TOKEN@... per message (verp.h) */
    int verp_delimiter;         /* 0 '+', 1 '-' */
};

/* What `gazette inbox` makes of bounces (issue 13). */
struct config_bounce {
    long hard_after;            /* hard bounces (no such user/domain) before "bounced" */
    long soft_after;            /* soft bounces ... */
    long soft_days;             /* ... within this many days */
};

struct config_smtp {
    enum config_transport transport;
    char *url;                  /* smtp://host:port or smtps://host:port */
    enum config_starttls starttls;
    char *username;
    char *password_file;
    char *password_env;
    char *ca_file;
    bool tls_verify;
    char *helo;
    long connect_timeout;       /* seconds */
    long timeout;               /* seconds, per command */
    long message_timeout;       /* seconds, per message (all its replies and data) */
    long connections;
    long messages_per_connection;
    double rate_per_second;     /* 0: no limit */
    long rate_per_hour;         /* 0: no limit */
    long max_attempts;
    double retry_delay;         /* seconds before the first retry; doubles each time */
    long retry_max_time;        /* seconds */
    long retry_after;           /* seconds before a later run retries temporary failures */
    long retry_for;             /* seconds after a campaign's start they are retried */
    bool resend_uncertain;
    enum config_journal_sync journal_sync;  /* when a "start" record is made durable */
    long bounce_after;          /* permanent failures before "bounced"; 0 never */
};

struct config_paths {
    char *subscribers;
    char *articles;
    char *templates;            /* the user's templates, overriding the defaults per file */
    char *state_dir;
    char *outbox;               /* Maildir for the maildir transport */
    char *log_file;             /* JSON lines; NULL for none */
};

struct config_compose {
    bool allow_html;            /* raw HTML in Markdown articles */
    char **drop_patterns;       /* extra noise lines for scraped articles */
    size_t ndrop;
    long max_articles;          /* 0: no limit */
    long min_articles;
    enum config_order order;    /* articles not picked by an issue file: newest first */
};

struct config_log {
    bool syslog;
};

struct config_serve {
    char *listen;               /* "127.0.0.1:8025", "[::1]:8025" or "unix:/path" */
    long confirm_hours;         /* how long a sign-up's confirm link works */
    char **tags;                /* tags a reader may pick on the sign-up form */
    size_t ntags;
    long signup_per_hour;       /* sign-ups per client address and hour; 0: no limit */
    long apply_seconds;         /* how often accepted requests reach subscribers.yaml */
    bool trust_proxy;           /* X-Forwarded-For from a loopback or Unix-socket peer */
};

/* DKIM signing (RFC 6376): every message is signed when selector, domain and key_file
   are all set (see dkim.h). */
struct config_dkim {
    char *selector;             /* the s= tag: SELECTOR._domainkey.DOMAIN holds the key */
    char *domain;               /* the d= tag, aligned with the From domain (DMARC) */
    char *key_file;             /* PEM private key, RSA (2048 bits) or Ed25519 */
};

struct config {
    char *path;                 /* file it came from; NULL for built-in defaults */
    char *dir;                  /* folder relative paths were resolved against */
    struct config_newsletter newsletter;
    struct config_smtp smtp;
    struct config_paths paths;
    struct config_compose compose;
    struct config_log log;
    struct config_serve serve;
    struct config_dkim dkim;
    struct config_bounce bounce;
};

/* The VERP delimiter character of c ('+' or '-'). */
#define CONFIG_VERP_DELIM(c) ((c)->newsletter.verp_delimiter == 1 ? '-' : '+')

#define CONFIG_DEFAULT_PATH "gazette.yaml"

/*
 * Load path; when path is NULL, load ./gazette.yaml if it exists, else the built-in
 * defaults.  Errors: EX_CONFIG (FILE:LINE:COL), EX_NOINPUT when an explicit path is
 * missing.  Caller frees with config_free().
 */
struct config *config_load(const char *path, struct diag *d);
/* The same from text in memory; path names it in errors and anchors relative paths. */
struct config *config_parse(const char *text, size_t len, const char *path, struct diag *d);
/* The built-in defaults, with relative paths resolved against dir. */
struct config *config_defaults(const char *dir);
void config_free(struct config *c);

/*
 * Read the SMTP password from password_file or password_env into out (a trailing newline
 * is dropped).  0 with an empty out when none is configured.  Errors: EX_CONFIG (also
 * when out has a limit and the secret passes it).  The caller zeroes out with
 * explicit_bzero() when done.
 */
int config_password(const struct config *c, struct buf *out, struct diag *d);
/* smtp.transport as the config writes it ("smtp", "esmtp", "maildir"), for messages. */
const char *config_transport_name(const struct config *c);
#define CONFIG_SECRET_MIN 32        /* characters of an unsubscribe secret: 16 bytes in hex */
/* Same for the unsubscribe-token secret, which must be at least CONFIG_SECRET_MIN long. */
int config_secret(const struct config *c, struct buf *out, struct diag *d);
/*
 * --insecure: a secret or password file that is not private to the user (mode or owner)
 * is only a warning instead of an EX_CONFIG error.
 */
void config_allow_insecure(bool yes);

/* Write the effective configuration as YAML (secrets are not included, only their source). */
void config_dump(const struct config *c, struct buf *out);

#endif
