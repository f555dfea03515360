/*
 * log: stderr messages by verbosity; sanitising of outside text.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

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

static void
vlog(int min, const char *err, const char *fmt, va_list ap)
{
    if (level < min)
        return;
    fputs("gazette: ", stderr);
    vfprintf(stderr, fmt, ap);
    if (err != NULL)
        fprintf(stderr, ": %s", err);
    fputc('\n', stderr);
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
