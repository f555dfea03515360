/*
 * bounce: what an incoming message to the bounce address is.  The message is parsed with
 * GMime; then, in this order: a delivery status notification (RFC 3464 multipart/report,
 * or any message/delivery-status part), a feedback report (ARF, RFC 5965), an
 * auto-reply (RFC 3834 Auto-Submitted, vacation headers and subjects), or a delivery
 * failure in one of the non-standard formats of real MTAs, read by general rules (the
 * recipients named beside the failure, the status and reply codes, the wording), never
 * by a table per vendor.  Anything else is "unknown".  No configuration: the inbox
 * (src/inbox/) decides what a report means for the list (VERP first).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_BOUNCE_H
#define GAZETTE_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#define BOUNCE_ADDR_MAX 256         /* RFC 5321 4.5.3.1.3: a path is at most 256 octets */
#define BOUNCE_TEXT_MAX 256         /* a diagnostic kept for the report (cut) */
#define BOUNCE_MAX_RCPT 32          /* recipients taken from one report */
#define BOUNCE_MAX_TO 16            /* addresses the report was delivered to */
#define BOUNCE_MESSAGE_MAX ((size_t)16 << 20)   /* bytes of a message looked at */

enum bounce_kind {
    BOUNCE_UNKNOWN,                 /* not understood */
    BOUNCE_FAILED,                  /* a delivery failure (or a delay) report */
    BOUNCE_COMPLAINT,               /* a feedback report (ARF): the reader said "spam" */
    BOUNCE_AUTOREPLY,               /* out of office, vacation: never counted */
    BOUNCE_DELIVERED,               /* a DSN that says only "delivered"/"relayed" */
};

struct bounce_rcpt {
    char addr[BOUNCE_ADDR_MAX];     /* the failed recipient, as reported ("" if none) */
    char status[16];                /* RFC 3463 code such as "5.1.1", or "" */
    bool inferred;                  /* status not in the report: the class of its SMTP
                                       reply, or (no reply either) the code its words
                                       name, X.0.0 if none, class 4 for a delay */
    char action[16];                /* RFC 3464 Action (failed, delayed...), or "" */
    bool hard;                      /* the address does not exist (no such user/domain) */
    char diag[BOUNCE_TEXT_MAX];     /* the diagnostic, one line, control bytes as \xNN */
};

struct bounce_report {
    enum bounce_kind kind;
    const char *format;             /* "dsn", "arf", "text", "rfc3834", ... (static) */
    struct bounce_rcpt rcpt[BOUNCE_MAX_RCPT];
    size_t nrcpt;
    /* where the report was sent: Delivered-To, X-Original-To, Envelope-To, To, Cc; then
       the Return-Path and From of the returned original (VERP tokens are looked for in
       these, in order) */
    char to[BOUNCE_MAX_TO][BOUNCE_ADDR_MAX];
    size_t nto;
    char mta[BOUNCE_TEXT_MAX];      /* Reporting-MTA, or the host that reported */
    char feedback[32];              /* ARF Feedback-Type (abuse, fraud...) */
    char subject[BOUNCE_TEXT_MAX];
    char why[BOUNCE_TEXT_MAX];      /* for BOUNCE_UNKNOWN: what was missing */
};

/*
 * Classify the message in data[0..len) (a complete RFC 5322 message; a leading mbox
 * "From " line is skipped; bytes past BOUNCE_MESSAGE_MAX are ignored).  Never fails:
 * anything unreadable is BOUNCE_UNKNOWN with a reason in r->why.  Thread-safe.
 */
void bounce_parse(const char *data, size_t len, struct bounce_report *r);

/* "unknown", "failed", ... */
const char *bounce_kind_name(enum bounce_kind k);

/*
 * Is this (status, diagnostic) the kind of failure that means the address does not exist
 * (no such user, no such domain, moved away, a domain that accepts no mail)?  status may
 * be "" and text NULL.  The rule the classifier uses for bounce_rcpt.hard.
 */
bool bounce_is_hard(const char *status, const char *text);

#endif
