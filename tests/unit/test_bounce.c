/*
 * Unit tests for bounce: a table of small reports (what each format must give), then
 * hostile input: malformed MIME, deep nesting, huge parts, thousands of recipients, wrong
 * charsets, NUL bytes, no headers at all.  Each must give a sane report, never a crash
 * (the runner's timeout catches a hang).
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "check.h"
#include "util.h"

static const struct {
    const char *name, *msg;
    enum bounce_kind kind;
    const char *rcpt, *status;
    int hard;                       /* -1: not checked */
} cases[] = {
    { "RFC 3464 DSN, 5.1.1",
      "From: MAILER-DAEMON@mx.example\nTo: b@example.org\nSubject: Undelivered\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\n"
      "Content-Type: text/plain\n\nfailed\n--B\nContent-Type: message/delivery-status\n\n"
      "Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; Ann@Example.ORG\n"
      "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n--B--\n",
      BOUNCE_FAILED, "ann@example.org", "5.1.1", 1 },
    { "DSN, mailbox full is soft",
      "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; "
      "report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822;a@b.example\nAction: failed\nStatus: 5.2.2\n"
      "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n--B--\n",
      BOUNCE_FAILED, "a@b.example", "5.2.2", 0 },
    { "DSN, 4.1.1 is never hard",
      "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; "
      "report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822;a@b.example\nAction: delayed\nStatus: 4.1.1\n--B--\n",
      BOUNCE_FAILED, "a@b.example", "4.1.1", 0 },
    { "DSN that only says delivered",
      "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; "
      "report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822;a@b.example\nAction: delivered\nStatus: 2.0.0\n--B--\n",
      BOUNCE_DELIVERED, NULL, NULL, -1 },
    { "ARF complaint",
      "From: fbl@isp.example\nContent-Type: multipart/report; report-type=feedback-report; "
      "boundary=F\n\n--F\nContent-Type: text/plain\n\nreport\n--F\n"
      "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n"
      "Original-Rcpt-To: <reader@example.net>\n--F--\n",
      BOUNCE_COMPLAINT, "reader@example.net", NULL, -1 },
    { "out of office",
      "From: a@b.example\nSubject: Out of Office: hello\nAuto-Submitted: auto-replied\n\naway\n",
      BOUNCE_AUTOREPLY, NULL, NULL, -1 },
    { "Exim bounce with Auto-Submitted is still a bounce",
      "From: Mail Delivery System <Mailer-Daemon@mx.example>\nAuto-Submitted: auto-replied\n"
      "Subject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: "
      "x@y.example\n\nThis message was created automatically by mail delivery software.\n\n"
      "  x@y.example\n    SMTP error from remote mail server after RCPT TO:<x@y.example>:\n"
      "    550 5.1.1 <x@y.example>: Recipient address rejected: User unknown\n",
      BOUNCE_FAILED, "x@y.example", "5.1.1", 1 },
    { "qmail-style text report",
      "From: MAILER-DAEMON@mx.example\nSubject: failure notice\n\nHi. This is the qmail-send "
      "program.\n\n<z@q.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
      BOUNCE_FAILED, "z@q.example", "5.1.1", 1 },
    { "user unknown in reply to DATA is soft",
      "From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n\n<d@d.example>: host mx "
      "said: 550 Unknown user d@d.example (in reply to end of DATA command)\n",
      BOUNCE_FAILED, "d@d.example", "5.0.0", 0 },
    /* the cases below come from the held-out messages (tests/data/bounces-heldout/):
       each failed before the fix it names */
    { "qmail report about the report's own addressee (a sender that mailed itself)",
      "From: MAILER-DAEMON@q.example\nTo: me@q.example\nSubject: failure notice\n\nHi. This "
      "is the qmail-send program at q.example.\n\n<me@q.example>:\nq.example does not like "
      "recipient.\nRemote host said: 552 Error: disk quota exceeded\n",
      BOUNCE_FAILED, "me@q.example", "5.0.0", 0 },
    { "the returned original's recipient is a system address",
      "From: postmaster@isp.example\nTo: a@b.example\nSubject: Returned mail\n"
      "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\n"
      "The number of messages in recipient's mailbox exceeded the local limit.\n--M\n"
      "Content-Type: message/rfc822\n\nFrom: a@b.example\nTo: <postmaster@mx.isp.example>\n"
      "Subject: hi\n\nhi\n--M--\n",
      BOUNCE_FAILED, "postmaster@mx.isp.example", "5.2.2", 0 },
    { "SMTP transcript from post_master, boundary lost: a bounce, the reply's words",
      "From: post_master@sms.example\nTo: a@b.example\nSubject: Re:Test message\n"
      "Content-Type: multipart/mixed;\nboundary=\"X\"\n\n--X\nContent-Type: text/plain\n\n"
      "Error: Invalid user address\n\nError message below:\n550 - Requested action not taken: "
      "no such user here\n\nMessage details:\n  Subject: Test message\n  MAIL FROM: a@b.example\n"
      "  RCPT TO: 0123@sms.example\n  From: c@b.example\n  Size (in bytes): 39\n\n--X--\n",
      BOUNCE_FAILED, "0123@sms.example", "5.0.0", 1 },
    { "X.7.1 answer to RCPT TO that says the recipient is invalid is hard",
      "From: MAILER-DAEMON@mx.example\nSubject: Returned mail: see transcript for details\n"
      "\n   ----- The following addresses had permanent fatal errors -----\n<d@e.example>\n\n"
      "   ----- Transcript of session follows -----\n>>> RCPT TO:<d@e.example>\n"
      "<<< 553 5.7.1 Invalid recipient d@e.example (Mode: normal)\n",
      BOUNCE_FAILED, "d@e.example", "5.7.1", 1 },
    { "\"Recipient address rejected: Access denied\" after RCPT TO is hard",
      "From: Mail Delivery System <Mailer-Daemon@mx.example>\nSubject: Mail delivery failed\n"
      "X-Failed-Recipients: f@g.example\n\nThis message was created automatically by mail "
      "delivery software.\n\n  f@g.example\n    SMTP error from remote mail server after "
      "RCPT TO:<f@g.example>:\n    host mx.g.example [192.0.2.1]: 554 5.7.1 <f@g.example>:\n"
      "    Recipient address rejected: Access denied\n",
      BOUNCE_FAILED, "f@g.example", "5.7.1", 1 },
    { "Exim, after MAIL FROM: the sender's domain does not exist, not the recipient",
      "From: Mail Delivery System <Mailer-Daemon@mx.example>\nSubject: Mail delivery failed\n"
      "X-Failed-Recipients: h@i.example\n\nThis message was created automatically by mail "
      "delivery software.\n\n  h@i.example\n    host mx.i.example [192.0.2.2]\n    SMTP error "
      "from remote mail server after MAIL FROM:<me@my.example> SIZE=1022:\n    553 5.1.0 "
      "my.example does not exist\n",
      BOUNCE_FAILED, "h@i.example", "5.1.0", 0 },
    { "no code at all: the words name one (size limit: X.3.4)",
      "From: \"Mail Delivery System\" <mailer-daemon@isp.example>\nSubject: Mail delivery "
      "failed: returning message to sender\n\nA message that you sent could not be delivered to "
      "one or more of\nits recipients. This is a permanent error.\n\nThe following address "
      "failed:\n\nj@k.example\n\nFor the following reason:\n\nMail size limit exceeded.\n",
      BOUNCE_FAILED, "j@k.example", "5.3.4", 0 },
    { "a delay warning without a code is class 4",
      "From: Mailer Daemon <MAILER-DAEMON@mx.example>\nSubject: Delivery status notification: "
      "warning\n\n    A message is delayed for more than 10 minutes for the following\n    list "
      "of recipients:\n\nl@m.example: Network error on destination MXs\n\n    Please note that "
      "this is only a temporary failure report.\n",
      BOUNCE_FAILED, "l@m.example", "4.4.1", 0 },
    { "a telephone number is no reply code",
      "From: postmaster@isp.example\nSubject: Undeliverable mail\n\nYour mail message to the "
      "following address(es) could not be delivered. This is a permanent error.\n\n"
      "<n@o.example>\n\nPlease call Customer Support at 000-000-440\n",
      BOUNCE_FAILED, "n@o.example", "5.0.0", -1 },
    { "\"Unroutable sender address\" refuses the sender: soft",
      "From: Mail Delivery System <Mailer-Daemon@mx.example>\nSubject: Mail delivery failed\n"
      "X-Failed-Recipients: p@q.example\n\nThis message was created automatically by mail "
      "delivery software.\n\n  p@q.example\n    host mail.q.example [192.0.2.3]\n    SMTP "
      "error from remote mail server after MAIL FROM:<me@my.example> SIZE=1024:\n"
      "    550 Unroutable sender address\n",
      BOUNCE_FAILED, "p@q.example", "5.0.0", 0 },
    { "Status 4.4.7 (the MTA gave up): the remote's own code says why",
      "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; "
      "report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\n"
      "Final-Recipient: RFC822; r@s.example\nAction: failed\nStatus: 4.4.7\n"
      "Diagnostic-Code: SMTP; 450 4.2.2 <r@s.example>... Mailbox Full\n--B--\n",
      BOUNCE_FAILED, "r@s.example", "4.2.2", 0 },
    { "German: the recipient does not exist (reply to RCPT TO)",
      "From: MAILER-DAEMON@mx.example\nSubject: Unzustellbar\n\n<t@u.example>: host mx.u.example "
      "said: 550 <t@u.example>: Empf\xc3\xa4nger existiert nicht (in reply to RCPT TO command)\n",
      BOUNCE_FAILED, "t@u.example", "5.0.0", 1 },
    { "Russian: the mailbox is full, whatever the code says",
      "From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n\n<v@w.example>: host "
      "mx.w.example said: 550 5.1.1 <v@w.example>: "
      "\xd0\xbf\xd0\xbe\xd1\x87\xd1\x82\xd0\xbe\xd0\xb2\xd1\x8b\xd0\xb9 "    /* pochtovyi */
      "\xd1\x8f\xd1\x89\xd0\xb8\xd0\xba "                                  /* yashchik */
      /* perepolnen */ "\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd0\xbf\xd0\xbe\xd0\xbb\xd0\xbd\xd0\xb5\xd0\xbd "
      "(in reply to RCPT TO command)\n",
      BOUNCE_FAILED, "v@w.example", "5.1.1", 0 },
    { "Yahoo: \"This user doesn't have a yahoo.com account\" is hard",
      "From: MAILER-DAEMON@yahoo.example\nSubject: Failure Notice\n\nSorry, we were unable to "
      "deliver your message to the following address.\n\n<x@yahoo.example>:\n554: delivery error: "
      "dd This user doesn't have a yahoo.example account (x@yahoo.example) [0] - mta1.example\n\n"
      "--- Below this line is a copy of the message.\n",
      BOUNCE_FAILED, "x@yahoo.example", NULL, 1 },
    { "a personal mail",
      "From: friend@else.example\nTo: bounces@example.org\nSubject: lunch\n\nFriday?\n",
      BOUNCE_UNKNOWN, NULL, NULL, -1 },
};

static void
check_clean(const struct bounce_report *r, const char *what)
{
    bool ok = r->nrcpt <= BOUNCE_MAX_RCPT && r->nto <= BOUNCE_MAX_TO;

    for (size_t i = 0; ok && i < r->nrcpt; i++)
        ok = utf8_is_valid(r->rcpt[i].diag, strlen(r->rcpt[i].diag)) &&
            strlen(r->rcpt[i].addr) < BOUNCE_ADDR_MAX;
    CHECK(ok && utf8_is_valid(r->subject, strlen(r->subject)) &&
        utf8_is_valid(r->mta, strlen(r->mta)), "%s: a sane report (%s, %zu recipients)", what,
        bounce_kind_name(r->kind), r->nrcpt);
}

int
main(void)
{
    struct bounce_report *r = xmalloc(sizeof(*r));
    struct buf b;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        bounce_parse(cases[i].msg, strlen(cases[i].msg), r);
        CHECK(r->kind == cases[i].kind, "%s: kind %s", cases[i].name,
            bounce_kind_name(r->kind));
        if (cases[i].rcpt != NULL)
            CHECK_STR_EQ(r->nrcpt ? r->rcpt[0].addr : "", cases[i].rcpt, "%s: recipient",
                cases[i].name);
        if (cases[i].status != NULL)
            CHECK_STR_EQ(r->nrcpt ? r->rcpt[0].status : "", cases[i].status, "%s: status",
                cases[i].name);
        if (cases[i].hard >= 0)
            CHECK(r->nrcpt > 0 && r->rcpt[0].hard == (cases[i].hard == 1), "%s: %s",
                cases[i].name, cases[i].hard ? "hard" : "soft");
    }

    bounce_parse(cases[0].msg, strlen(cases[0].msg), r);
    CHECK(r->nrcpt == 1 && !r->rcpt[0].inferred, "a status from the report is not inferred");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        if (strcmp(cases[i].name, "a delay warning without a code is class 4") == 0) {
            bounce_parse(cases[i].msg, strlen(cases[i].msg), r);
            CHECK(r->nrcpt == 1 && r->rcpt[0].inferred, "a status from the words is inferred");
        }

    /* a report's quoted header summary ("To: ...") and an inline original after "Original
       message follows." name no failed recipient */
    {
        static const char imail[] = "From: \"Postmaster\" <postmaster@isp.example>\nTo: "
            "<me@my.example>\nSubject: Undeliverable Mail\n\nInvalid final delivery userid: "
            "a@isp.example\n\n\nOriginal message follows.\n\nDate: Thu, 29 Apr 2008 23:45:10 "
            "-0500\nTo: <b@isp.example>\nSubject: hi\nFrom: me@my.example\n\nhi\n";
        static const char exch[] = "From: postmaster@ex.example\nTo: me@my.example\nSubject: "
            "Undeliverable: hi\n\nYour message\n\n  To:      c@ex.example\n  Subject: hi\n\n"
            "did not reach the following recipient(s):\n\nd@ex.example on Thu, 29 Apr 2010\n"
            "    The recipient name is not recognized\n";

        bounce_parse(imail, sizeof(imail) - 1, r);
        CHECK(r->nrcpt == 1 && strcmp(r->rcpt[0].addr, "a@isp.example") == 0,
            "the original after \"Original message follows.\" is not the report (%zu)", r->nrcpt);
        bounce_parse(exch, sizeof(exch) - 1, r);
        CHECK(r->nrcpt == 1 && strcmp(r->rcpt[0].addr, "d@ex.example") == 0,
            "a quoted \"To:\" line names no failed recipient (%zu)", r->nrcpt);
    }

    /* an address too long to keep is left out, never cut to a prefix (which could be
       somebody else's address) */
    {
        struct buf lb;

        buf_init(&lb, 0);
        buf_puts(&lb, "From: Mail Delivery System <Mailer-Daemon@mx.example>\nSubject: Mail "
            "delivery failed\nX-Failed-Recipients: ");
        for (int i = 0; i < 300; i++)
            buf_putc(&lb, 'a');
        buf_puts(&lb, "@long.example, k@l.example\n\nThis message was created automatically "
            "by mail delivery software.\n\n  k@l.example\n    SMTP error from remote mail "
            "server after RCPT TO:<k@l.example>:\n    550 5.1.1 user unknown\n");
        bounce_parse(buf_str(&lb), lb.len, r);
        CHECK(r->nrcpt == 1 && strcmp(r->rcpt[0].addr, "k@l.example") == 0,
            "X-Failed-Recipients: a 300-byte address is left out, not cut (%zu, %s)", r->nrcpt,
            r->nrcpt > 0 ? r->rcpt[0].addr : "-");
        buf_fini(&lb);
    }
    /* the same for a domain past 253 bytes that the length cap would stop at a dot
       ("u@aaa...a.b" of "u@aaa...a.b.example"), and for the first address of a field */
    {
        struct buf lb, dom;

        buf_init(&lb, 0);
        buf_init(&dom, 0);
        for (int i = 0; i < 251; i++)
            buf_putc(&dom, 'a');
        buf_puts(&dom, ".b.example");
        buf_putf(&lb, "From: Mail Delivery System <Mailer-Daemon@mx.example>\nSubject: Mail "
            "delivery failed\nX-Failed-Recipients: u@%s, k@l.example\n\nThis message was "
            "created automatically by mail delivery software.\n\n  u@%s\n  k@l.example\n"
            "    SMTP error from remote mail server after RCPT TO:<k@l.example>:\n"
            "    550 5.1.1 user unknown\n", buf_str(&dom), buf_str(&dom));
        bounce_parse(buf_str(&lb), lb.len, r);
        CHECK(r->nrcpt == 1 && strcmp(r->rcpt[0].addr, "k@l.example") == 0,
            "a 261-byte domain is left out, not cut at a dot (%zu, %.40s)", r->nrcpt,
            r->nrcpt > 0 ? r->rcpt[0].addr : "-");
        buf_reset(&lb);
        buf_putf(&lb, "From: Mail Delivery System <Mailer-Daemon@mx.example>\nSubject: Mail "
            "delivery failed\nContent-Type: multipart/report; report-type=delivery-status; "
            "boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nDelivery failed.\n\n"
            "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n"
            "\nFinal-Recipient: rfc822; u@%s\nAction: failed\nStatus: 5.1.1\n\n--b--\n",
            buf_str(&dom));
        bounce_parse(buf_str(&lb), lb.len, r);
        CHECK(r->nrcpt == 0 || strncmp(r->rcpt[0].addr, "u@", 2) != 0,
            "Final-Recipient: a 261-byte domain is no recipient, not a cut one (%zu, %.40s)",
            r->nrcpt, r->nrcpt > 0 ? r->rcpt[0].addr : "-");
        buf_fini(&dom);
        buf_fini(&lb);
    }

    /* ---- hostile input ---- */
    bounce_parse("", 0, r);
    CHECK(r->kind == BOUNCE_UNKNOWN, "empty input: unknown");
    bounce_parse("From \n", 6, r);
    CHECK(r->kind == BOUNCE_UNKNOWN, "only an mbox From line: unknown");
    bounce_parse("\0\0\0\xff\xfe", 5, r);
    check_clean(r, "NUL and 0xff bytes");

    buf_init(&b, 0);
    /* 5,000 nested multiparts, each boundary its own */
    buf_puts(&b, "From: MAILER-DAEMON@x.example\n");
    for (int i = 0; i < 5000; i++)
        buf_putf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
    buf_puts(&b, "Content-Type: text/plain\n\n<a@b.example>: 550 5.1.1 user unknown\n");
    bounce_parse(buf_str(&b), b.len, r);
    check_clean(r, "5,000 nested multiparts");

    /* a 24 MB base64 part (more than bounce_parse looks at) */
    buf_reset(&b);
    buf_puts(&b, "From: MAILER-DAEMON@x.example\nSubject: Undeliverable\nContent-Type: "
        "multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n"
        "Content-Transfer-Encoding: base64\n\n");
    for (int i = 0; i < 24 * 1024 * 1024 / 77; i++)
        buf_puts(&b, "NTUwIDUuMS4xIDxhQGIuZXhhbXBsZT46IHVzZXIgdW5rbm93bgpmYWlsZWQgZmFpbGVkIGZh\n");
    bounce_parse(buf_str(&b), b.len, r);
    check_clean(r, "a 24 MB base64 part");

    /* one 4 MB line without a line end */
    buf_reset(&b);
    buf_puts(&b, "From: MAILER-DAEMON@x.example\nSubject: failure notice\n\n");
    for (int i = 0; i < 4 * 1024 * 1024 / 16; i++)
        buf_puts(&b, "a@b.example 550 ");
    bounce_parse(buf_str(&b), b.len, r);
    check_clean(r, "a 4 MB line of addresses");
    CHECK(r->nrcpt <= BOUNCE_MAX_RCPT, "recipients capped at %d", BOUNCE_MAX_RCPT);

    /* 10,000 DSN recipients */
    buf_reset(&b);
    buf_puts(&b, "From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; "
        "report-type=delivery-status; boundary=B\n\n--B\n"
        "Content-Type: message/delivery-status\n\n");
    for (int i = 0; i < 10000; i++)
        buf_putf(&b, "Final-Recipient: rfc822; u%d@x.example\nAction: failed\n"
            "Status: 5.1.1\n\n", i);
    buf_puts(&b, "--B--\n");
    bounce_parse(buf_str(&b), b.len, r);
    CHECK(r->kind == BOUNCE_FAILED && r->nrcpt == BOUNCE_MAX_RCPT,
        "10,000 DSN recipients: the first %d", BOUNCE_MAX_RCPT);

    /* wrong and unknown charsets, broken encoded words, control bytes in fields */
    buf_reset(&b);
    buf_puts(&b, "From: \"\x01\" <MAILER-DAEMON@x.example>\nSubject: =?x-none?B?////?= "
        "=?utf-8?Q?=FF=FE?=\nContent-Type: multipart/report; report-type=delivery-status; "
        "boundary=B\n\n--B\nContent-Type: text/plain; charset=utf-16\n\n\xff\xfe\x00\x41\n--B\n"
        "Content-Type: message/delivery-status; charset=x-unknown\n\n"
        "Reporting-MTA: dns; mx\x07\x1b[31m.example\nFinal-Recipient: rfc822; a@b.example\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 \xc3\x28 \x1b[2J bad\n--B--\n");
    bounce_parse(buf_str(&b), b.len, r);
    check_clean(r, "wrong charsets and control bytes");
    CHECK(r->nrcpt == 1 && strchr(r->rcpt[0].diag, 0x1b) == NULL &&
        strchr(r->mta, 0x07) == NULL, "control bytes never reach the report");

    /* a multipart whose boundary never comes, and one with an empty boundary */
    bounce_parse("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n", 44, r);
    check_clean(r, "empty boundary");
    bounce_parse("From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; boundary=nope\n\n"
        "Final-Recipient: rfc822; p@q.example\nStatus: 5.1.1\nAction: failed\n", 126, r);
    CHECK(r->kind == BOUNCE_FAILED && r->nrcpt == 1 && strcmp(r->rcpt[0].addr, "p@q.example") == 0,
        "DSN fields in a multipart whose boundary never comes are still read");
    buf_fini(&b);
    free(r);
    return check_exit();
}
