/*
 * config: the schema of gazette.yaml and its strict loader.  One table lists every key
 * with its type, default and limits; loading, defaults, "did you mean" and the dump all
 * read that table.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "text.h"
#include "log.h"
#include "util.h"
#include "value.h"

enum ktype {
    K_STR,          /* any single-line text */
    K_ADDR,         /* an e-mail address */
    K_URL,          /* http:// or https:// */
    K_SMTPURL,      /* smtp:// or smtps:// */
    K_PATH,         /* resolved against the config's folder */
    K_BOOL,
    K_INT,
    K_NUM,
    K_ENUM,
    K_STRLIST,
};

struct key {
    const char *section, *name;
    enum ktype type;
    size_t off;
    const char *def;            /* default, as text; NULL for none */
    long min, max;              /* K_INT / K_NUM */
    const char *const *choices; /* K_ENUM, NULL-terminated; index stored as int */
    const char *help;           /* what would be right */
};

static const char *const starttls_names[] = { "required", "opportunistic", "off", NULL };
static const char *const journal_sync_names[] = { "batch", "message", NULL };
static const char *const order_names[] = { "newest", "oldest", NULL };
static const char *const transport_names[] = { "maildir", "smtp", "esmtp", NULL };
static const char *const verp_delimiters[] = { "+", "-", NULL };

#define CONFIG_SECRET_MAX 65536     /* ours: a secret file (a password, a key) */

#define N(f) offsetof(struct config, newsletter.f)
#define S(f) offsetof(struct config, smtp.f)
#define P(f) offsetof(struct config, paths.f)
#define C(f) offsetof(struct config, compose.f)
#define L(f) offsetof(struct config, log.f)
#define SV(f) offsetof(struct config, serve.f)
#define K(f) offsetof(struct config, dkim.f)
#define B(f) offsetof(struct config, bounce.f)

static const struct key keys[] = {
    { "newsletter", "name", K_STR, N(name), "Newsletter", 0, 0, NULL, "a short title" },
    { "newsletter", "from", K_ADDR, N(from), "newsletter@example.org", 0, 0, NULL,
      "an address such as news@example.org" },
    { "newsletter", "from_name", K_STR, N(from_name), NULL, 0, 0, NULL, "a display name" },
    { "newsletter", "reply_to", K_ADDR, N(reply_to), NULL, 0, 0, NULL, "an address" },
    { "newsletter", "bounce_to", K_ADDR, N(bounce_to), NULL, 0, 0, NULL, "an address" },
    { "newsletter", "list_id", K_STR, N(list_id), NULL, 0, 0, NULL,
      "a dotted name such as news.example.org (RFC 2919)" },
    { "newsletter", "base_url", K_URL, N(base_url), NULL, 0, 0, NULL, "an https:// address" },
    { "newsletter", "unsubscribe_url", K_URL, N(unsubscribe_url), NULL, 0, 0, NULL,
      "an https:// address; {{token}} and {{email}} are filled in per subscriber" },
    { "newsletter", "unsubscribe_mailto", K_ADDR, N(unsubscribe_mailto), NULL, 0, 0, NULL,
      "an address that takes unsubscribe requests" },
    { "newsletter", "secret_file", K_PATH, N(secret_file), NULL, 0, 0, NULL,
      "a file holding the unsubscribe-token secret" },
    { "newsletter", "secret_env", K_STR, N(secret_env), NULL, 0, 0, NULL,
      "the name of an environment variable holding the unsubscribe-token secret" },
    { "newsletter", "language", K_STR, N(language), "en", 0, 0, NULL, "a language tag such as en" },
    { "newsletter", "postal_address", K_STR, N(postal_address), NULL, 0, 0, NULL,
      "the sender's postal address" },
    { "newsletter", "verp", K_BOOL, N(verp), "false", 0, 0, NULL,
      "true or false (true needs bounce_to and a secret)" },
    { "newsletter", "verp_delimiter", K_ENUM, N(verp_delimiter), "+", 0, 0, verp_delimiters,
      "+ or -" },

    { "smtp", "transport", K_ENUM, S(transport), "maildir", 0, 0, transport_names,
      "maildir, smtp or esmtp" },
    { "smtp", "url", K_SMTPURL, S(url), NULL, 0, 0, NULL,
      "smtp://host:587 or smtps://host:465" },
    { "smtp", "starttls", K_ENUM, S(starttls), "required", 0, 0, starttls_names,
      "required, opportunistic or off" },
    { "smtp", "username", K_STR, S(username), NULL, 0, 0, NULL, "a login name" },
    { "smtp", "password_file", K_PATH, S(password_file), NULL, 0, 0, NULL,
      "a file holding the password (never the password itself)" },
    { "smtp", "password_env", K_STR, S(password_env), NULL, 0, 0, NULL,
      "the name of an environment variable holding the password" },
    { "smtp", "ca_file", K_PATH, S(ca_file), NULL, 0, 0, NULL, "a PEM file of CA certificates" },
    { "smtp", "tls_verify", K_BOOL, S(tls_verify), "true", 0, 0, NULL, "true or false" },
    { "smtp", "helo", K_STR, S(helo), NULL, 0, 0, NULL, "a host name for EHLO" },
    { "smtp", "connect_timeout", K_INT, S(connect_timeout), "30", 1, 3600, NULL, "seconds" },
    { "smtp", "timeout", K_INT, S(timeout), "120", 1, 3600, NULL, "seconds" },
    { "smtp", "message_timeout", K_INT, S(message_timeout), "600", 1, 86400, NULL,
      "seconds for one whole message, all its replies and data" },
    { "smtp", "connections", K_INT, S(connections), "4", 1, 64, NULL, "parallel connections" },
    { "smtp", "messages_per_connection", K_INT, S(messages_per_connection), "100", 1, 100000,
      NULL, "messages sent over one connection" },
    { "smtp", "rate_per_second", K_NUM, S(rate_per_second), "0", 0, 100000, NULL,
      "messages per second, 0 for no limit" },
    { "smtp", "rate_per_hour", K_INT, S(rate_per_hour), "0", 0, 100000000, NULL,
      "messages per hour, 0 for no limit" },
    { "smtp", "max_attempts", K_INT, S(max_attempts), "5", 1, 100, NULL, "attempts per message" },
    { "smtp", "retry_delay", K_NUM, S(retry_delay), "5", 0, 3600, NULL,
      "seconds before the first retry (it doubles, with jitter)" },
    { "smtp", "retry_max_time", K_INT, S(retry_max_time), "600", 0, 604800, NULL, "seconds" },
    { "smtp", "retry_after", K_INT, S(retry_after), "3600", 0, 604800, NULL,
      "seconds before a later run retries a campaign's temporary failures" },
    { "smtp", "retry_for", K_INT, S(retry_for), "259200", 0, 31536000, NULL,
      "seconds after a campaign's start that its temporary failures are retried" },
    { "smtp", "resend_uncertain", K_BOOL, S(resend_uncertain), "false", 0, 0, NULL,
      "true or false" },
    { "smtp", "journal_sync", K_ENUM, S(journal_sync), "batch", 0, 0, journal_sync_names,
      "batch (fdatasync every 100 ms) or message (before each message ends)" },
    { "smtp", "bounce_after", K_INT, S(bounce_after), "3", 0, 1000, NULL,
      "permanent failures before a subscriber is marked bounced; 0 never" },

    { "paths", "subscribers", K_PATH, P(subscribers), "subscribers.yaml", 0, 0, NULL, "a file" },
    { "paths", "articles", K_PATH, P(articles), "articles", 0, 0, NULL, "a folder" },
    { "paths", "templates", K_PATH, P(templates), "templates", 0, 0, NULL, "a folder" },
    { "paths", "state_dir", K_PATH, P(state_dir), "state", 0, 0, NULL, "a folder" },
    { "paths", "outbox", K_PATH, P(outbox), "outbox", 0, 0, NULL, "a Maildir folder" },
    { "paths", "log_file", K_PATH, P(log_file), NULL, 0, 0, NULL, "a file" },

    { "compose", "allow_html", K_BOOL, C(allow_html), "false", 0, 0, NULL, "true or false" },
    { "compose", "drop_patterns", K_STRLIST, C(drop_patterns), NULL, 0, 0, NULL,
      "a list of texts" },
    { "compose", "max_articles", K_INT, C(max_articles), "0", 0, 1000, NULL,
      "articles per issue, 0 for no limit" },
    { "compose", "min_articles", K_INT, C(min_articles), "1", 0, 1000, NULL,
      "articles needed to send an issue" },
    { "compose", "order", K_ENUM, C(order), "newest", 0, 0, order_names,
      "newest (first) or oldest (first)" },

    { "log", "syslog", K_BOOL, L(syslog), "false", 0, 0, NULL, "true or false" },

    { "serve", "listen", K_STR, SV(listen), "127.0.0.1:8025", 0, 0, NULL,
      "HOST:PORT such as 127.0.0.1:8025 or [::1]:8025, or unix:/path/to/socket" },
    { "serve", "confirm_hours", K_INT, SV(confirm_hours), "48", 1, 8760, NULL,
      "hours a sign-up's confirmation link works" },
    { "serve", "tags", K_STRLIST, SV(tags), NULL, 0, 0, NULL,
      "a list of tags readers may choose when they sign up" },
    { "serve", "signup_per_hour", K_INT, SV(signup_per_hour), "10", 0, 100000, NULL,
      "sign-ups per client address and hour, 0 for no limit" },
    { "serve", "apply_seconds", K_INT, SV(apply_seconds), "5", 1, 3600, NULL,
      "seconds between two batches of requests written to the subscriber list" },
    { "serve", "trust_proxy", K_BOOL, SV(trust_proxy), "true", 0, 0, NULL,
      "true or false (X-Forwarded-For from a loopback or Unix-socket peer)" },

    { "dkim", "selector", K_STR, K(selector), NULL, 0, 0, NULL,
      "a DNS label such as news2026 (SELECTOR._domainkey.DOMAIN)" },
    { "dkim", "domain", K_STR, K(domain), NULL, 0, 0, NULL,
      "the signing domain, the From domain or its parent (DMARC alignment)" },
    { "dkim", "key_file", K_PATH, K(key_file), NULL, 0, 0, NULL,
      "a PEM private key file (gazette dkim keygen writes one)" },

    { "bounce", "hard_after", K_INT, B(hard_after), "1", 0, 1000, NULL,
      "hard bounces (no such user or domain) before a subscriber is marked bounced; 0 never" },
    { "bounce", "soft_after", K_INT, B(soft_after), "5", 0, 1000, NULL,
      "soft bounces within soft_days before a subscriber is marked bounced; 0 never" },
    { "bounce", "soft_days", K_INT, B(soft_days), "30", 1, 3650, NULL, "days" },

};

static const char *const sections[] = { "newsletter", "smtp", "paths", "compose", "log",
    "serve", "dkim", "bounce" };

#define FIELD(c, k, type) ((type *)((char *)(c) + (k)->off))
/* A K_STRLIST's count sits in the field named here. */
#define COUNT(c, k) ((size_t *)((char *)(c) + ((k)->off == SV(tags) ? SV(ntags) : C(ndrop))))

/* The port of a URL (after the host, "[v6]" included): -1 when one is written and is not
   a number from 1 to 65535, with [*pp, *pe) its text; 0 otherwise. */
static int
url_port(const char *u, const char **pp, const char **pe)
{
    const char *h = strstr(u, "://"), *end, *colon;
    long port = 0;

    *pp = *pe = u;
    if (h == NULL)
        return 0;
    h += 3;
    end = h + strcspn(h, "/?#");
    for (const char *at = h; at < end; at++)
        if (*at == '@')
            h = at + 1;             /* user:password@host: the port comes after the host */
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));

        if (rb == NULL)
            return 0;
        h = rb;
    }
    if ((colon = memchr(h, ':', (size_t)(end - h))) == NULL)
        return 0;
    *pp = colon + 1;
    *pe = end;
    if (*pp == end)
        return -1;
    for (const char *p = *pp; p < end; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return -1;
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535 ? 0 : -1;
}

static char *
resolve(const struct config *c, const char *p)
{
    struct buf b;

    if (p[0] == '/' || c->dir == NULL || strcmp(c->dir, ".") == 0)
        return xstrdup(p);
    buf_init(&b, 0);
    buf_putf(&b, "%s/%s", c->dir, p);
    return buf_steal(&b);
}

static void
set_default(struct config *c, const struct key *k)
{
    long l;

    switch (k->type) {
    case K_BOOL:
        *FIELD(c, k, bool) = k->def != NULL && strcmp(k->def, "true") == 0;
        break;
    case K_INT:
        *FIELD(c, k, long) = k->def != NULL && parse_long(k->def, k->min, k->max, &l) == 0 ? l : 0;
        break;
    case K_NUM:
        *FIELD(c, k, double) = k->def != NULL ? strtod(k->def, NULL) : 0;
        break;
    case K_ENUM:
        *FIELD(c, k, int) = 0;
        for (int i = 0; k->def != NULL && k->choices[i] != NULL; i++)
            if (strcmp(k->choices[i], k->def) == 0)
                *FIELD(c, k, int) = i;
        break;
    case K_STRLIST:
        break;
    case K_PATH:
        *FIELD(c, k, char *) = k->def != NULL ? resolve(c, k->def) : NULL;
        break;
    default:
        *FIELD(c, k, char *) = k->def != NULL ? xstrdup(k->def) : NULL;
        break;
    }
}

struct config *
config_defaults(const char *dir)
{
    struct config *c = xcalloc(1, sizeof(*c));

    c->dir = xstrdup(dir ? dir : ".");
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        set_default(c, &keys[i]);
    return c;
}

void
config_free(struct config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        const struct key *k = &keys[i];

        switch (k->type) {
        case K_BOOL: case K_INT: case K_NUM: case K_ENUM:
            break;
        case K_STRLIST:
            for (size_t j = 0; j < *COUNT(c, k); j++)
                free((*FIELD(c, k, char **))[j]);
            free(*FIELD(c, k, char **));
            break;
        default:
            free(*FIELD(c, k, char *));
            break;
        }
    }
    free(c->path);
    free(c->dir);
    free(c);
}

/* "did you mean" for an unknown key: the closest name within two edits, or NULL. */
static const char *
closest(const char *section, const char *name)
{
    struct text_suggest sg;

    text_suggest_init(&sg, 2);
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        if (section != NULL && strcmp(keys[i].section, section) != 0)
            continue;
        if (section == NULL && (i > 0 && strcmp(keys[i].section, keys[i - 1].section) == 0))
            continue;
        text_suggest_try(&sg, name, section ? keys[i].name : keys[i].section);
    }
    return sg.best;
}

static bool
is_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* "section.key: expected HELP, found a TYPE", at v; returns -1. */
static int
type_error(const struct key *k, const struct value *v, struct diag *d)
{
    diag_setat(d, EX_CONFIG, v->line, v->col, "%s.%s: expected %s, found a %s", k->section,
        k->name, k->help, value_type_name(v->type));
    return -1;
}

/* A list of texts (K_STRLIST): replaces the list the key held. */
static int
set_strlist(struct config *c, const struct key *k, const struct value *v, struct diag *d)
{
    if (v->type != VALUE_LIST)
        return type_error(k, v, d);
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->type == VALUE_LIST || v->items[i]->type == VALUE_MAP ||
            v->items[i]->type == VALUE_NULL)
            return type_error(k, v->items[i], d);
    for (size_t i = 0; i < *COUNT(c, k); i++)
        free((*FIELD(c, k, char **))[i]);
    free(*FIELD(c, k, char **));
    *FIELD(c, k, char **) = xcalloc(v->n ? v->n : 1, sizeof(char *));
    for (size_t i = 0; i < v->n; i++)
        (*FIELD(c, k, char **))[i] = xstrdup(v->items[i]->str);
    *COUNT(c, k) = v->n;
    return 0;
}

/* A boolean, a whole number, a number or a choice (k's type is one of those). */
static int
set_scalar(struct config *c, const struct key *k, const struct value *v, struct diag *d)
{
    long l;

    switch (k->type) {
    case K_BOOL:
        if (v->type != VALUE_BOOL)
            return type_error(k, v, d);
        *FIELD(c, k, bool) = v->b;
        return 0;
    case K_INT:
        if (v->type != VALUE_NUM || parse_long(v->str, k->min, k->max, &l) == -1) {
            diag_setat(d, EX_CONFIG, v->line, v->col, "%s.%s: \"%s\" is not allowed; write a "
                "whole number from %ld to %ld (%s)", k->section, k->name, v->str, k->min,
                k->max, k->help);
            return -1;
        }
        *FIELD(c, k, long) = l;
        return 0;
    case K_NUM:
        if (v->type != VALUE_NUM || v->num < k->min || v->num > k->max) {
            diag_setat(d, EX_CONFIG, v->line, v->col, "%s.%s: \"%s\" is not allowed; write a "
                "number from %ld to %ld (%s)", k->section, k->name, v->str, k->min, k->max,
                k->help);
            return -1;
        }
        *FIELD(c, k, double) = v->num;
        return 0;
    default:                            /* K_ENUM */
        for (int i = 0; k->choices[i] != NULL; i++) {
            if (strcmp(k->choices[i], v->str) == 0) {
                *FIELD(c, k, int) = i;
                return 0;
            }
        }
        diag_setat(d, EX_CONFIG, v->line, v->col, "%s.%s: \"%s\" is not a choice; write %s",
            k->section, k->name, v->str, k->help);
        return -1;
    }
}

/*
 * Is text v right for k: one line; for an address, valid (its A-label form into canon);
 * for a web or SMTP URL, the right scheme and a port from 1 to 65535?
 */
static int
check_text(const struct key *k, const struct value *v, char canon[ADDR_BUF], struct diag *d)
{
    const char *why, *pp, *pe;

    if (text_has_control(v->str, v->len) || strlen(v->str) != v->len) {
        diag_setat(d, EX_CONFIG, v->line, v->col, "%s.%s: control characters (such as line "
            "breaks) are not allowed here; write %s on one line", k->section, k->name, k->help);
        return -1;
    }
    if (k->type == K_ADDR && addr_check(v->str, v->len, canon, &why) == -1) {
        diag_setat(d, EX_CONFIG, v->line, v->col, "%s.%s: \"%s\" is not a valid address: %s",
            k->section, k->name, v->str, why);
        return -1;
    }
    if (k->type == K_URL && !text_is_web_url(v->str, v->len)) {
        diag_setat(d, EX_CONFIG, v->line, v->col, "%s.%s: \"%s\" is not a web address; write %s",
            k->section, k->name, v->str, k->help);
        return -1;
    }
    if (k->type == K_SMTPURL && ascii_strncasecmp(v->str, "smtp://", 7) != 0 &&
        ascii_strncasecmp(v->str, "smtps://", 8) != 0) {
        diag_setat(d, EX_CONFIG, v->line, v->col, "%s.%s: \"%s\" is not an SMTP address; write %s",
            k->section, k->name, v->str, k->help);
        return -1;
    }
    if ((k->type == K_SMTPURL || k->type == K_URL) && url_port(v->str, &pp, &pe) == -1) {
        diag_setat(d, EX_CONFIG, v->line, v->col + (int)(pp - v->str), "%s.%s: "
            "\"%.*s\" is not a port; write a number from 1 to 65535, as in %s",
            k->section, k->name, (int)(pe - pp), pp, k->type == K_SMTPURL ?
            "smtp://host:587" : "https://host:8443/");
        return -1;
    }
    return 0;
}

/* Store v as key k of c, if it is the kind of value k takes; else -1 with d set. */
static int
set_value(struct config *c, const struct key *k, const struct value *v, struct diag *d)
{
    char canon[ADDR_BUF];

    if (k->type == K_STRLIST)
        return set_strlist(c, k, v, d);
    if (v->type == VALUE_NULL) {
        if (k->type == K_STR || k->type == K_ADDR || k->type == K_URL ||
            k->type == K_SMTPURL || k->type == K_PATH) {
            free(*FIELD(c, k, char *));
            *FIELD(c, k, char *) = NULL;
            return 0;
        }
        return type_error(k, v, d);
    }
    if (v->type == VALUE_LIST || v->type == VALUE_MAP)
        return type_error(k, v, d);
    if (k->type == K_BOOL || k->type == K_INT || k->type == K_NUM || k->type == K_ENUM)
        return set_scalar(c, k, v, d);
    /* text kinds: booleans and numbers are taken as written */
    if (check_text(k, v, canon, d) == -1)
        return -1;
    free(*FIELD(c, k, char *));
    if (k->type == K_ADDR && !is_ascii(v->str))
        *FIELD(c, k, char *) = xstrdup(canon);  /* an IDN: the A-label form, as SMTP and
                                                   the list have it (RFC 5890) */
    else
        *FIELD(c, k, char *) = k->type == K_PATH ? resolve(c, v->str) : xstrdup(v->str);
    return 0;
}

static int
load_section(struct config *c, const char *section, const struct value *m, struct diag *d)
{
    if (m->type == VALUE_NULL)
        return 0;
    if (m->type != VALUE_MAP) {
        diag_setat(d, EX_CONFIG, m->line, m->col, "%s: expected a map of settings, found a %s",
            section, value_type_name(m->type));
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct value_pair *pr = &m->pairs[i];
        const struct key *k = NULL;
        const char *hint;

        for (size_t j = 0; j < ARRAY_LEN(keys); j++)
            if (strcmp(keys[j].section, section) == 0 && strcmp(keys[j].name, pr->key) == 0)
                k = &keys[j];
        if (k == NULL) {
            if ((hint = closest(section, pr->key)) != NULL)
                diag_setat(d, EX_CONFIG, pr->line, pr->col, "unknown key \"%s\" in %s; did you "
                    "mean \"%s\"?", pr->key, section, hint);
            else
                diag_setat(d, EX_CONFIG, pr->line, pr->col, "unknown key \"%s\" in %s; see "
                    "gazette.yaml.example for the keys", pr->key, section);
            return -1;
        }
        if (set_value(c, k, pr->val, d) == -1)
            return -1;
    }
    return 0;
}

/* Rules that join several keys. */
static int
check_whole(struct config *c, const struct value *root, struct diag *d)
{
    const struct value *smtp = value_get(root, "smtp");
    int line = smtp ? smtp->line : 1, col = smtp ? smtp->col : 1;

    if (c->smtp.transport != CONFIG_TRANSPORT_MAILDIR && c->smtp.url == NULL) {
        diag_setat(d, EX_CONFIG, line, col, "smtp.url is required with transport \"%s\"; "
            "add url: smtp://host:587", transport_names[c->smtp.transport]);
        return -1;
    }
    if (c->smtp.password_file != NULL && c->smtp.password_env != NULL) {
        diag_setat(d, EX_CONFIG, line, col, "smtp: give password_file or password_env, "
            "not both");
        return -1;
    }
    if ((c->smtp.password_file != NULL || c->smtp.password_env != NULL) &&
        c->smtp.username == NULL) {
        diag_setat(d, EX_CONFIG, line, col, "smtp: a password is set but no username; "
            "add username:");
        return -1;
    }
    if (c->smtp.url != NULL && ascii_strncasecmp(c->smtp.url, "smtps://", 8) == 0 &&
        c->smtp.starttls == CONFIG_STARTTLS_REQUIRED)
        c->smtp.starttls = CONFIG_STARTTLS_OFF;     /* implicit TLS: no STARTTLS on top */
    return 0;
}

/* Build the config from a parsed tree; takes ownership of root. */
static struct config *
from_value(struct value *root, const char *path, struct diag *d)
{
    struct config *c;
    char *copy;

    copy = xstrdup(path);
    c = config_defaults(dirname(copy));
    free(copy);
    c->path = xstrdup(path);
    if (root->type != VALUE_MAP && root->type != VALUE_NULL) {
        diag_setat(d, EX_CONFIG, root->line, root->col, "expected a map with the sections "
            "newsletter, smtp, paths, compose, log, dkim");
        goto fail;
    }
    for (size_t i = 0; i < root->n; i++) {
        const struct value_pair *pr = &root->pairs[i];
        const char *hint;
        size_t j;

        for (j = 0; j < ARRAY_LEN(sections); j++)
            if (strcmp(sections[j], pr->key) == 0)
                break;
        if (j == ARRAY_LEN(sections)) {
            hint = closest(NULL, pr->key);
            if (hint != NULL)
                diag_setat(d, EX_CONFIG, pr->line, pr->col, "unknown section \"%s\"; did you "
                    "mean \"%s\"?", pr->key, hint);
            else
                diag_setat(d, EX_CONFIG, pr->line, pr->col, "unknown section \"%s\"; the "
                    "sections are newsletter, smtp, paths, compose, log, serve and dkim", pr->key);
            goto fail;
        }
        if (load_section(c, pr->key, pr->val, d) == -1)
            goto fail;
    }
    if (check_whole(c, root, d) == -1)
        goto fail;
    value_free(root);
    return c;
fail:
    diag_path(d, path);
    value_free(root);
    config_free(c);
    return NULL;
}

struct config *
config_parse(const char *text, size_t len, const char *path, struct diag *d)
{
    struct value *root = value_parse(text, len, path, d);

    if (root == NULL) {
        if (d->code == EX_DATAERR)
            d->code = EX_CONFIG;
        return NULL;
    }
    return from_value(root, path, d);
}

struct config *
config_load(const char *path, struct diag *d)
{
    struct value *root;
    struct stat st;

    if (path == NULL) {
        if (stat(CONFIG_DEFAULT_PATH, &st) == -1)
            return config_defaults(".");
        path = CONFIG_DEFAULT_PATH;
    }
    if ((root = value_load(path, d)) == NULL) {
        if (d->code == EX_DATAERR)
            d->code = EX_CONFIG;
        return NULL;
    }
    return from_value(root, path, d);
}

static bool insecure;

void
config_allow_insecure(bool yes)
{
    insecure = yes;
}

/* A secret's file must be the user's (or root's) and private to its owner. */
static int
secret_file_ok(const char *file, const char *what, struct diag *d)
{
    struct stat st;
    const char *why = NULL;

    if (stat(file, &st) == -1)
        return 0;                           /* read_file() says why */
    if (st.st_uid != geteuid() && st.st_uid != 0)
        why = "belongs to another user";
    else if ((st.st_mode & 077) != 0)
        why = "is readable or writable by others";
    if (why == NULL)
        return 0;
    if (insecure) {
        log_warnx("%s: the %s %s (allowed by --insecure); chmod 600 it", file, what, why);
        return 0;
    }
    diag_set(d, EX_CONFIG, "the %s %s; make it yours alone ('chmod 600 %s', 'chown %ld "
        "%s'), or run with --insecure to go on anyway", what, why, file, (long)geteuid(), file);
    diag_path(d, file);
    return -1;
}

static int
read_secret(const char *file, const char *env, const char *what, struct buf *out,
    struct diag *d)
{
    buf_reset(out);
    if (env != NULL) {
        const char *s = getenv(env);

        if (s == NULL || *s == '\0') {
            diag_set(d, EX_CONFIG, "the environment variable %s (the %s) is not set", env, what);
            return -1;
        }
        buf_puts(out, s);
    } else if (file != NULL) {
        size_t len;
        char *s;

        if (secret_file_ok(file, what, d) == -1)
            return -1;
        if ((s = read_file_max(file, CONFIG_SECRET_MAX, &len)) == NULL) {
            diag_set(d, EX_CONFIG, "cannot read the %s: %s", what, read_file_strerror(errno));
            diag_path(d, file);
            return -1;
        }
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
            len--;
        buf_put(out, s, len);
        explicit_bzero(s, len);
        free(s);
        if (len == 0) {         /* the real cause, not "no secret is set" later on */
            diag_set(d, EX_CONFIG, "the %s file is empty; %s", what,
                strcmp(what, "SMTP password") == 0 ? "write the password in it" :
                "put a long random string in it (head -c 32 /dev/urandom | od -An -tx1 | "
                "tr -d ' \\n' > FILE)");
            diag_path(d, file);
            return -1;
        }
    }
    if (buf_failed(out)) {      /* a caller's buffer with a limit: never a cut secret */
        diag_set(d, EX_CONFIG, "the %s is longer than %zu bytes", what, out->max);
        if (env == NULL)
            diag_path(d, file);
        return -1;
    }
    if (text_has_control(buf_str(out), out->len)) {
        diag_set(d, EX_CONFIG, "the %s holds a control character or line break", what);
        return -1;
    }
    return 0;
}

int
config_password(const struct config *c, struct buf *out, struct diag *d)
{
    return read_secret(c->smtp.password_file, c->smtp.password_env, "SMTP password", out, d);
}

const char *
config_transport_name(const struct config *c)
{
    return transport_names[c->smtp.transport];
}

int
config_secret(const struct config *c, struct buf *out, struct diag *d)
{
    if (read_secret(c->newsletter.secret_file, c->newsletter.secret_env,
        "unsubscribe secret", out, d) == -1)
        return -1;
    /* One token and a short secret give the secret away by brute force, and with it every
       subscriber's token: at least 16 random bytes (as 32 hex digits). */
    if (out->len > 0 && out->len < CONFIG_SECRET_MIN) {
        diag_set(d, EX_CONFIG, "the unsubscribe secret is %zu characters; it must be at "
            "least %d (16 random bytes in hex): make one with 'gazette secret new FILE'",
            out->len, CONFIG_SECRET_MIN);
        if (c->newsletter.secret_file != NULL)
            diag_path(d, c->newsletter.secret_file);
        explicit_bzero(out->p, out->len);
        buf_reset(out);
        return -1;
    }
    return 0;
}

void
config_dump(const struct config *c, struct buf *out)
{
    const char *section = "";

    buf_putf(out, "# effective configuration (%s)\n", c->path ? c->path : "built-in defaults");
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        const struct key *k = &keys[i];
        const char *s;

        if (strcmp(section, k->section) != 0) {
            section = k->section;
            buf_putf(out, "%s:\n", section);
        }
        buf_putf(out, "  %s: ", k->name);
        switch (k->type) {
        case K_BOOL:
            buf_puts(out, *FIELD(c, k, bool) ? "true" : "false");
            break;
        case K_INT:
            buf_putf(out, "%ld", *FIELD(c, k, long));
            break;
        case K_NUM:
            buf_putf(out, "%g", *FIELD(c, k, double));
            break;
        case K_ENUM:
            buf_puts(out, k->choices[*FIELD(c, k, int)]);
            break;
        case K_STRLIST:
            buf_puts(out, "[");
            for (size_t j = 0; j < *COUNT(c, k); j++) {
                const char *e = (*FIELD(c, k, char **))[j];

                if (j)
                    buf_puts(out, ", ");
                value_yaml_scalar(out, e, strlen(e));
            }
            buf_puts(out, "]");
            break;
        default:
            s = *FIELD(c, k, char *);
            if (s == NULL)
                buf_puts(out, "~");
            else
                value_yaml_scalar(out, s, strlen(s));
            break;
        }
        buf_puts(out, "\n");
    }
}
