/*
 * transport: what every transport shares: the ops for the configured transport, and the
 * one reading of SMTP replies (RFC 5321 4.2.1 reply classes, 3.8 for 421, 4.5.3.1.10 for
 * 552 to RCPT; RFC 3463 enhanced status codes; RFC 4954 6 for 530) so that the libcurl
 * and libESMTP transports agree on what is permanent.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "addr.h"
#include "config.h"
#include "transport.h"
#include "util.h"

#define SMTP_CLOSING 421        /* RFC 5321 3.8: service closing the channel */
#define SMTP_AUTH_REQUIRED 530  /* RFC 4954 6: authentication required */
#define SMTP_RCPT_TOO_MANY 552  /* RFC 5321 4.5.3.1.10: treat as temporary on RCPT */
#define ENH_PART_DIGITS 3       /* RFC 3463 2: subject and detail are 1 to 3 digits */

const struct transport_ops *
transport_for(const struct config *cfg)
{
    if (cfg == NULL)
        return NULL;
    switch (cfg->smtp.transport) {
    case CONFIG_TRANSPORT_MAILDIR:
        return &transport_maildir_ops;
    case CONFIG_TRANSPORT_SMTP:
        return &transport_curl_ops;
    case CONFIG_TRANSPORT_ESMTP:
        return &transport_esmtp_ops;
    }
    return NULL;
}

const char *
transport_outcome_name(enum transport_outcome o)
{
    switch (o) {
    case TRANSPORT_SENT:
        return "sent";
    case TRANSPORT_TEMPFAIL:
        return "tempfail";
    case TRANSPORT_PERMFAIL:
        return "permfail";
    case TRANSPORT_UNCERTAIN:
        return "uncertain";
    case TRANSPORT_FATAL:
        return "fatal";
    }
    return "unknown";
}

const char *
transport_stage_name(enum transport_stage st)
{
    static const char *const names[] = {
        [TRANSPORT_STAGE_NONE] = "", [TRANSPORT_STAGE_CONNECT] = "connect",
        [TRANSPORT_STAGE_EHLO] = "ehlo", [TRANSPORT_STAGE_TLS] = "tls",
        [TRANSPORT_STAGE_AUTH] = "auth", [TRANSPORT_STAGE_MAIL] = "mail",
        [TRANSPORT_STAGE_RCPT] = "rcpt", [TRANSPORT_STAGE_DATA] = "data",
        [TRANSPORT_STAGE_RSET] = "rset", [TRANSPORT_STAGE_NOOP] = "noop",
        [TRANSPORT_STAGE_QUIT] = "quit", [TRANSPORT_STAGE_ETRN] = "etrn",
        [TRANSPORT_STAGE_COMMAND] = "command", [TRANSPORT_STAGE_CONFIG] = "config",
        [TRANSPORT_STAGE_MAILDIR] = "maildir", [TRANSPORT_STAGE_JOURNAL] = "journal",
        [TRANSPORT_STAGE_COMPOSE] = "compose",
    };

    return (size_t)st < ARRAY_LEN(names) && names[st] != NULL ? names[st] : "?";
}

int
transport_exit_code(const struct transport_result *r)
{
    switch (r->stage) {
    case TRANSPORT_STAGE_CONFIG:
        return EX_CONFIG;
    case TRANSPORT_STAGE_JOURNAL:
        return EX_IOERR;
    default:
        break;
    }
    if (r->outcome == TRANSPORT_TEMPFAIL || r->outcome == TRANSPORT_UNCERTAIN)
        return EX_TEMPFAIL;
    if (r->stage == TRANSPORT_STAGE_AUTH || r->code == SMTP_AUTH_REQUIRED)
        return EX_NOPERM;
    if (r->stage == TRANSPORT_STAGE_TLS)
        return EX_PROTOCOL;
    return EX_UNAVAILABLE;
}

enum transport_outcome
transport_classify(enum transport_stage stage, int code, const char *text)
{
    /*
     * The reply code decides.  RFC 3463 2 says the enhanced code's class must agree with
     * it; when a server sends them disagreeing, RFC 5321 (the reply code) wins, so text
     * is not consulted.
     */
    (void)text;
    if (code >= 200 && code <= 299)
        return TRANSPORT_SENT;
    if (code >= 400 && code <= 499)
        return TRANSPORT_TEMPFAIL;          /* 421 included: the caller reconnects */
    if (code >= 500 && code <= 599) {
        if (code == SMTP_AUTH_REQUIRED)
            return TRANSPORT_FATAL;
        if (stage == TRANSPORT_STAGE_RCPT)
            return code == SMTP_RCPT_TOO_MANY ? TRANSPORT_TEMPFAIL : TRANSPORT_PERMFAIL;
        if (stage == TRANSPORT_STAGE_DATA)
            return TRANSPORT_PERMFAIL;
        /* greeting, EHLO, STARTTLS, AUTH, MAIL FROM, RSET: every later message would be
           refused the same way */
        return TRANSPORT_FATAL;
    }
    /* No reply (0), an intermediate reply where a final one was due (1yz, 3yz), junk. */
    return TRANSPORT_TEMPFAIL;
}

void
transport_enhanced(struct transport_result *r, const char *text)
{
    const char *p = text;
    size_t n;

    r->enhanced[0] = '\0';
    if (p == NULL)
        return;
    /* Skip a leading reply code: "550 5.1.1 ..." or "550-5.1.1 ...". */
    if (IS_DIGIT(p[0]) && IS_DIGIT(p[1]) && IS_DIGIT(p[2]) && (p[3] == ' ' || p[3] == '-'))
        p += 4;
    if (p[0] != '2' && p[0] != '4' && p[0] != '5')
        return;
    if (p[1] != '.')
        return;
    n = 2;
    for (int part = 0; part < 2; part++) {
        size_t digits = 0;

        while (IS_DIGIT(p[n]) && digits < ENH_PART_DIGITS + 1) {
            n++;
            digits++;
        }
        if (digits == 0 || digits > ENH_PART_DIGITS)
            return;
        if (part == 0) {
            if (p[n] != '.')
                return;
            n++;
        }
    }
    if (p[n] != '\0' && p[n] != ' ' && p[n] != '\r' && p[n] != '\n' && p[n] != '\t')
        return;
    if (n >= sizeof(r->enhanced))
        return;
    memcpy(r->enhanced, p, n);
    r->enhanced[n] = '\0';
}

const char *
transport_address_problem(const char *a, bool null_ok, bool utf8_ok)
{
    size_t n;

    if (a == NULL || a[0] == '\0')
        return null_ok ? NULL : "the address is empty";
    n = strlen(a);
    if (n > ADDR_MAX)
        return "the address is longer than 254 octets (RFC 5321 4.5.3.1.3)";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)a[i];

        if (ch < 0x20 || ch == 0x7f || ch == '<' || ch == '>')
            return "the address contains a control character or angle bracket";
        if (ch >= 0x80 && !utf8_ok)
            return "the address is not ASCII and libESMTP has no SMTPUTF8 (RFC 6531); use "
                "transport: smtp";
    }
    return NULL;
}

bool
transport_helo_ok(const char *h)
{
    size_t n = strlen(h);

    if (n == 0 || n > TRANSPORT_HELO_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!IS_ALNUM(h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '[' && h[i] != ']' &&
            h[i] != ':')
            return false;
    return true;
}

int
transport_check_envelope(const struct transport_msg *m, bool utf8_ok,
    struct transport_result *r)
{
    const char *why;

    memset(r, 0, sizeof(*r));
    r->stage = TRANSPORT_STAGE_MAIL;
    if ((why = transport_address_problem(m->from, true, utf8_ok)) != NULL) {
        r->outcome = TRANSPORT_FATAL;
        snprintf(r->text, sizeof(r->text), "MAIL FROM: %s", why);
        return -1;
    }
    if ((why = transport_address_problem(m->rcpt, false, utf8_ok)) != NULL) {
        r->outcome = TRANSPORT_PERMFAIL;
        r->stage = TRANSPORT_STAGE_RCPT;
        snprintf(r->text, sizeof(r->text), "RCPT TO: %s", why);
        return -1;
    }
    return 0;
}

void
transport_copy_text(char *dst, size_t size, const char *p, size_t n)
{
    size_t o = utf8_escape(dst, size, p, n);

    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
}
