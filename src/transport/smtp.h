/*
 * transport/smtp: what the two SMTP transports (curl.c, esmtp.c) share below
 * transport.h: the protocol's numbers, named once with the RFC that sets them, and the
 * small helpers both use to follow a conversation they read from the wire (command verbs,
 * reply lines, the EHLO keywords, the login messages).  Private to src/transport/.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_TRANSPORT_SMTP_H
#define GAZETTE_TRANSPORT_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "transport.h"

#define SMTP_PORT_DEFAULT 25        /* RFC 5321 4.5.4.2 (IANA); libcurl's default too */
#define SMTP_REPLY_LINE_MAX 512     /* RFC 5321 4.5.3.1.5: a reply line, CRLF included */
#define SMTP_CODE_LEN 3             /* RFC 5321 4.2: three digits, then SP or "-" */
#define SMTP_STARTTLS_READY 220     /* RFC 3207 4 */
#define SMTP_AUTH_OK 235            /* RFC 4954 6 */
#define SMTP_AUTH_MORE 334          /* RFC 4954 4 */
#define SMTP_DATA_GO 354            /* RFC 5321 4.3.2 */
#define SMTP_CLOSING 421            /* RFC 5321 3.8: service closing the channel */
#define SMTP_AUTH_REQUIRED 530      /* RFC 4954 6 */
#define SMTP_WHERE_MAX 300          /* "host:port" in messages */
#define SMTP_REPLY_KEEP 1024        /* bytes of one (multi-line) reply kept for a result */

/* What to say when a login is configured and the server cannot take it safely. */
#define SMTP_NO_STARTTLS "the server does not offer STARTTLS; not sending the password " \
    "without TLS (smtp.starttls: opportunistic; use a server with TLS, or starttls: off " \
    "to allow it)"
#define SMTP_NO_AUTH "the server does not offer AUTH but smtp.username is set; check the " \
    "server address and port (submission is usually 587 or 465)"

/* Does the n bytes at p start with the word w (any case), followed by nothing, a blank,
   a line end, ':' or '='? */
bool smtp_word_is(const char *p, size_t n, const char *w);
/* The stage a command line starts (EHLO, STARTTLS, MAIL, ...); TRANSPORT_STAGE_COMMAND
   for a verb not in the table, TRANSPORT_STAGE_NONE for an empty line. */
enum transport_stage smtp_command_stage(const char *p, size_t n);
/* The code of a reply line ("250-..." or "250 ..."), or -1 when it has none; *last tells
   whether it is the reply's last line (no "-" after the code). */
int smtp_reply_code(const char *p, size_t n, bool *last);
/* Log one line of the conversation at -vv, escaped (who: "smtp", "esmtp"; dir: ">" or
   "<"); line ends at its end are dropped. */
void smtp_debug_line(const char *who, const char *dir, const char *p, size_t n);

#endif
