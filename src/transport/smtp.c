/*
 * transport/smtp: the SMTP numbers and wire helpers curl.c and esmtp.c share (RFC 5321
 * 4.1 commands, 4.2 replies; RFC 3207, RFC 4954).  See smtp.h.
 * SPDX-License-Identifier: MIT
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "log.h"
#include "smtp.h"
#include "transport.h"
#include "util.h"

bool
smtp_word_is(const char *p, size_t n, const char *w)
{
    size_t wl = strlen(w);

    return n >= wl && ascii_strncasecmp(p, w, wl) == 0 && (n == wl || p[wl] == ' ' ||
        p[wl] == '\r' || p[wl] == '\n' || p[wl] == ':' || p[wl] == '=');
}

enum transport_stage
smtp_command_stage(const char *p, size_t n)
{
    static const struct { const char *word; enum transport_stage stage; } cmds[] = {
        { "EHLO", TRANSPORT_STAGE_EHLO }, { "HELO", TRANSPORT_STAGE_EHLO },
        { "STARTTLS", TRANSPORT_STAGE_TLS }, { "AUTH", TRANSPORT_STAGE_AUTH },
        { "MAIL", TRANSPORT_STAGE_MAIL }, { "RCPT", TRANSPORT_STAGE_RCPT },
        { "DATA", TRANSPORT_STAGE_DATA }, { "BDAT", TRANSPORT_STAGE_DATA },
        { "QUIT", TRANSPORT_STAGE_QUIT }, { "RSET", TRANSPORT_STAGE_RSET },
        { "ETRN", TRANSPORT_STAGE_ETRN }, { "NOOP", TRANSPORT_STAGE_NOOP },
    };

    if (n == 0)
        return TRANSPORT_STAGE_NONE;
    for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
        if (smtp_word_is(p, n, cmds[i].word))
            return cmds[i].stage;
    return TRANSPORT_STAGE_COMMAND;
}

int
smtp_reply_code(const char *p, size_t n, bool *last)
{
    *last = true;
    if (n < SMTP_CODE_LEN || !IS_DIGIT(p[0]) || !IS_DIGIT(p[1]) || !IS_DIGIT(p[2]))
        return -1;
    *last = n == SMTP_CODE_LEN || p[SMTP_CODE_LEN] != '-';
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

void
smtp_debug_line(const char *who, const char *dir, const char *p, size_t n)
{
    char line[SMTP_REPLY_LINE_MAX * 2];

    if (log_level() < LOGLEVEL_DEBUG)
        return;
    while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    transport_copy_text(line, sizeof(line), p, n);
    log_debug("%s %s %s", who, dir, line);
}
