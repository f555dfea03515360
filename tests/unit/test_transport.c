/*
 * Unit tests for transport.c: the reply classification every SMTP transport shares
 * (RFC 5321 4.2.1, 3.8, 4.5.3.1.10; RFC 4954 6), RFC 3463 enhanced codes, outcome names
 * and the choice of transport.  The transports themselves are tested against real
 * servers in tests/integration/transport_*.sh.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include <sysexits.h>

#include "check.h"
#include "config.h"
#include "transport.h"
#include "util.h"

static void
test_classify(void)
{
    static const struct {
        enum transport_stage stage;
        int code;
        const char *text;
        enum transport_outcome want;
    } rows[] = {
        /* success, whatever the stage */
        { TRANSPORT_STAGE_DATA, 250, "2.0.0 OK queued", TRANSPORT_SENT },
        { TRANSPORT_STAGE_RCPT, 251, "2.1.5 will forward", TRANSPORT_SENT },
        { TRANSPORT_STAGE_NOOP, 250, "OK", TRANSPORT_SENT },
        /* 4yz: transient everywhere, 421 included (the caller reconnects) */
        { TRANSPORT_STAGE_RCPT, 451, "4.3.0 try later", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_RCPT, 450, "4.2.1 mailbox busy", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_RCPT, 452, "4.5.3 too many recipients", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_RCPT, 421, "4.3.2 shutting down", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_MAIL, 451, "4.7.1 greylisted", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_DATA, 452, "4.3.1 out of space", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_CONNECT, 421, "4.7.0 too many connections", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_AUTH, 454, "4.7.0 temporary authentication failure", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_TLS, 454, "TLS not available", TRANSPORT_TEMPFAIL },
        /* 5yz to one recipient or one message: that one, never again */
        { TRANSPORT_STAGE_RCPT, 550, "5.1.1 no such user", TRANSPORT_PERMFAIL },
        { TRANSPORT_STAGE_RCPT, 553, "5.1.3 bad address syntax", TRANSPORT_PERMFAIL },
        { TRANSPORT_STAGE_RCPT, 551, "5.1.6 user not local", TRANSPORT_PERMFAIL },
        { TRANSPORT_STAGE_DATA, 554, "5.6.0 content rejected", TRANSPORT_PERMFAIL },
        { TRANSPORT_STAGE_DATA, 552, "5.3.4 message too big", TRANSPORT_PERMFAIL },
        { TRANSPORT_STAGE_DATA, 550, "5.7.1 spam", TRANSPORT_PERMFAIL },
        /* 552 to RCPT is temporary (RFC 5321 4.5.3.1.10; checklist S3) */
        { TRANSPORT_STAGE_RCPT, 552, "5.2.2 mailbox full", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_RCPT, 552, "5.5.3 too many recipients", TRANSPORT_TEMPFAIL },
        /* 5yz to the session: every later message would fail the same way */
        { TRANSPORT_STAGE_CONNECT, 554, "5.7.1 no SMTP service here", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_EHLO, 501, "5.5.4 bad EHLO name", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_TLS, 501, "5.5.4 syntax error", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_AUTH, 535, "5.7.8 credentials invalid", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_AUTH, 534, "5.7.9 mechanism too weak", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_MAIL, 550, "5.7.1 sender rejected", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_MAIL, 552, "5.3.4 SIZE too big", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_MAIL, 530, "5.7.0 authentication required", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_RCPT, 530, "5.7.0 authentication required", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_DATA, 530, "5.7.0 authentication required", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_RSET, 500, "unrecognised command", TRANSPORT_FATAL },
        { TRANSPORT_STAGE_NONE, 550, "no stage", TRANSPORT_FATAL },
        /* the reply code wins over a disagreeing enhanced code (RFC 3463 2) */
        { TRANSPORT_STAGE_RCPT, 550, "4.2.2 mailbox full", TRANSPORT_PERMFAIL },
        { TRANSPORT_STAGE_RCPT, 450, "5.1.1 no such user", TRANSPORT_TEMPFAIL },
        /* no reply, or no final one: try again */
        { TRANSPORT_STAGE_RCPT, 0, "", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_CONNECT, 0, NULL, TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_DATA, 354, "go ahead", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_AUTH, 334, "", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_RCPT, 999, "junk", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_RCPT, -1, "junk", TRANSPORT_TEMPFAIL },
        { TRANSPORT_STAGE_RCPT, 150, "junk", TRANSPORT_TEMPFAIL },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        enum transport_outcome got = transport_classify(rows[i].stage, rows[i].code,
            rows[i].text);

        CHECK(got == rows[i].want, "classify(%s, %d, \"%s\") = %s (got %s)",
            transport_stage_name(rows[i].stage), rows[i].code,
            rows[i].text ? rows[i].text : "NULL", transport_outcome_name(rows[i].want),
            transport_outcome_name(got));
    }
}

/* The text of a row, printable on one line. */
static const char *
shown(const char *s, char *out, size_t size)
{
    size_t o = 0;

    if (s == NULL)
        return "NULL";
    for (; *s != '\0' && o + 3 < size; s++) {
        if (*s == '\r' || *s == '\n' || *s == '\t') {
            out[o++] = '\\';
            out[o++] = *s == '\r' ? 'r' : *s == '\n' ? 'n' : 't';
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
    return out;
}

static void
test_enhanced(void)
{
    static const struct { const char *text, *want; } rows[] = {
        { "5.1.1 no such user", "5.1.1" },
        { "550 5.1.1 no such user", "5.1.1" },
        { "550-5.7.26 unauthenticated mail", "5.7.26" },
        { "4.3.0", "4.3.0" },
        { "2.0.0 OK", "2.0.0" },
        { "250 2.0.0 OK queued as 0001", "2.0.0" },
        { "5.123.456 widest allowed", "5.123.456" },
        { "5.1.1\r\n", "5.1.1" },
        { "5.1.1\ttab", "5.1.1" },
        { "5.1234.1 subject too long", "" },
        { "5.1.1234 detail too long", "" },
        { "3.1.1 no such class", "" },
        { "6.1.1 no such class", "" },
        { "5.1 two parts", "" },
        { "5..1 empty part", "" },
        { "5.1. empty detail", "" },
        { "5.1.1x glued text", "" },
        { ".5.1.1", "" },
        { "550 OK no enhanced code", "" },
        { "550", "" },
        { "no code at all", "" },
        { "", "" },
        { NULL, "" },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct transport_result r;
        char buf[64];

        memset(&r, 0, sizeof(r));
        memcpy(r.enhanced, "stale", 6);
        transport_enhanced(&r, rows[i].text);
        CHECK_STR_EQ(r.enhanced, rows[i].want, "enhanced code of \"%s\"",
            shown(rows[i].text, buf, sizeof(buf)));
    }
}

static void
test_names(void)
{
    static const struct { enum transport_outcome o; const char *name; } rows[] = {
        { TRANSPORT_SENT, "sent" }, { TRANSPORT_TEMPFAIL, "tempfail" },
        { TRANSPORT_PERMFAIL, "permfail" }, { TRANSPORT_UNCERTAIN, "uncertain" },
        { TRANSPORT_FATAL, "fatal" },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        CHECK_STR_EQ(transport_outcome_name(rows[i].o), rows[i].name, "outcome name %s",
            rows[i].name);
    CHECK_STR_EQ(transport_outcome_name((enum transport_outcome)99), "unknown",
        "an out-of-range outcome has a name too");
}

static void
test_for(void)
{
    struct config *c = config_defaults(".");

    CHECK(transport_for(c) == &transport_maildir_ops, "the default transport is maildir");
    c->smtp.transport = CONFIG_TRANSPORT_SMTP;
    CHECK(transport_for(c) == &transport_curl_ops, "transport smtp is libcurl");
    c->smtp.transport = CONFIG_TRANSPORT_ESMTP;
    CHECK(transport_for(c) == &transport_esmtp_ops, "transport esmtp is libESMTP");
    CHECK(transport_for(NULL) == NULL, "no config, no transport");
    CHECK_STR_EQ(transport_curl_ops.name, "curl", "the libcurl ops are named");
    CHECK_STR_EQ(transport_maildir_ops.name, "maildir", "the maildir ops are named");
    CHECK(transport_curl_ops.open && transport_curl_ops.send && transport_curl_ops.probe &&
        transport_curl_ops.close, "the libcurl ops are complete");
    CHECK(transport_maildir_ops.open && transport_maildir_ops.send &&
        transport_maildir_ops.probe && transport_maildir_ops.close,
        "the maildir ops are complete");
    transport_curl_ops.close(NULL);
    transport_maildir_ops.close(NULL);
    CHECK(1, "close(NULL) does nothing");
    config_free(c);
}

/* One sysexits code per result, whoever asks (mailer, check, curl's open). */
static void
test_exit_code(void)
{
    static const struct {
        enum transport_stage stage;
        enum transport_outcome outcome;
        int code, want;
    } rows[] = {
        { TRANSPORT_STAGE_CONFIG, TRANSPORT_FATAL, 0, EX_CONFIG },
        { TRANSPORT_STAGE_CONFIG, TRANSPORT_TEMPFAIL, 0, EX_CONFIG },
        { TRANSPORT_STAGE_JOURNAL, TRANSPORT_FATAL, 0, EX_IOERR },
        { TRANSPORT_STAGE_CONNECT, TRANSPORT_TEMPFAIL, 0, EX_TEMPFAIL },
        { TRANSPORT_STAGE_DATA, TRANSPORT_UNCERTAIN, 0, EX_TEMPFAIL },
        { TRANSPORT_STAGE_AUTH, TRANSPORT_FATAL, 535, EX_NOPERM },
        { TRANSPORT_STAGE_MAIL, TRANSPORT_FATAL, 530, EX_NOPERM },
        { TRANSPORT_STAGE_TLS, TRANSPORT_FATAL, 0, EX_PROTOCOL },
        { TRANSPORT_STAGE_MAIL, TRANSPORT_FATAL, 550, EX_UNAVAILABLE },
        { TRANSPORT_STAGE_CONNECT, TRANSPORT_FATAL, 554, EX_UNAVAILABLE },
    };
    static const struct { enum transport_stage st; const char *name; } names[] = {
        { TRANSPORT_STAGE_NONE, "" }, { TRANSPORT_STAGE_CONNECT, "connect" },
        { TRANSPORT_STAGE_TLS, "tls" }, { TRANSPORT_STAGE_RCPT, "rcpt" },
        { TRANSPORT_STAGE_DATA, "data" }, { TRANSPORT_STAGE_COMPOSE, "compose" },
        { (enum transport_stage)999, "?" },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct transport_result r;

        memset(&r, 0, sizeof(r));
        r.stage = rows[i].stage;
        r.outcome = rows[i].outcome;
        r.code = rows[i].code;
        CHECK(transport_exit_code(&r) == rows[i].want, "exit code of %s %s %d is %d",
            transport_stage_name(rows[i].stage), transport_outcome_name(rows[i].outcome),
            rows[i].code, rows[i].want);
    }
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        CHECK_STR_EQ(transport_stage_name(names[i].st), names[i].name, "stage name");
}

int
main(void)
{
    test_exit_code();
    test_classify();
    test_enhanced();
    test_names();
    test_for();
    return check_exit();
}
