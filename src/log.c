/*
 * log: stderr messages by verbosity; sanitising of outside text.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static int level = LOGLEVEL_NORMAL;

void
log_set_level(int l)
{
    level = l;
}

int
log_level(void)
{
    return level;
}

/*
 * One write(2) per line: the mailer's threads log at once, and stdio would send a line in
 * several writes (prefix, message, error, newline) that other threads' lines can split.
 */
static void
vlog(int min, const char *err, const char *fmt, va_list ap)
{
    char stack[1024], *line = stack;
    size_t cap = sizeof(stack), len;
    va_list ap2;
    int n;

    if (level < min)
        return;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    len = sizeof("gazette: ") - 1 + (size_t)n + (err != NULL ? strlen(err) + 2 : 0) + 1;
    if (len + 1 > cap) {
        if ((line = malloc(len + 1)) == NULL)
            return;
        cap = len + 1;
    }
    memcpy(line, "gazette: ", sizeof("gazette: ") - 1);
    vsnprintf(line + sizeof("gazette: ") - 1, cap - (sizeof("gazette: ") - 1), fmt, ap);
    if (err != NULL)
        snprintf(line + strlen(line), cap - strlen(line), ": %s", err);
    len = strlen(line);
    line[len++] = '\n';
    (void)write_all(STDERR_FILENO, line, len);
    if (line != stack)
        free(line);
}

void
log_warn(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOGLEVEL_QUIET, strerror(saved), fmt, ap);
    va_end(ap);
    errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOGLEVEL_QUIET, NULL, fmt, ap);
    va_end(ap);
    errno = saved;
}

void
log_info(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOGLEVEL_VERBOSE, NULL, fmt, ap);
    va_end(ap);
    errno = saved;
}

void
log_debug(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOGLEVEL_DEBUG, NULL, fmt, ap);
    va_end(ap);
    errno = saved;
}


void
log_syslog_open(void)
{
    openlog("gazette", LOG_PID, LOG_MAIL);
}

void
log_syslog(bool warning, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vsyslog(warning ? LOG_WARNING : LOG_INFO, fmt, ap);
    va_end(ap);
    errno = saved;
}

void
log_syslog_close(void)
{
    closelog();
}
