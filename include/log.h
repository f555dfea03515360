/*
 * log: messages for people on stderr ("gazette: ..."), by verbosity, and syslog.
 * warn appends strerror(errno), warnx does not (OpenSMTPD); every call keeps errno.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_LOG_H
#define GAZETTE_LOG_H

#include <stdbool.h>
#include <stddef.h>


enum log_level {
    LOGLEVEL_QUIET = -1,        /* -q: errors only */
    LOGLEVEL_NORMAL = 0,
    LOGLEVEL_VERBOSE = 1,       /* -v */
    LOGLEVEL_DEBUG = 2,         /* -vv */
};

void log_set_level(int level);
int log_level(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown with -v only. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown with -vv only. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* syslog(3) for the mailer's failures and summaries (facility mail). */
void log_syslog_open(void);
void log_syslog(bool warning, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_syslog_close(void);

#endif
