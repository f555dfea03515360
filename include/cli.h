/*
 * cli: what every command shares: the global options, loading the config and finding the
 * subscriber list as they say, and reporting errors and usage mistakes the one way.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CLI_H
#define GAZETTE_CLI_H

struct config;
struct diag;

struct cli {
    const char *config_path;    /* -c FILE, or NULL for ./gazette.yaml or defaults */
    const char *subs_path;      /* --subscribers FILE, or NULL for the config's */
    struct config *cfg;         /* set by cli_config() */
};

/* Load the config once.  0 ok; -1 with d set (EX_CONFIG, EX_NOINPUT). */
int cli_config(struct cli *c, struct diag *d);
/* The subscriber list's path (after cli_config()); borrowed. */
const char *cli_subs_path(const struct cli *c);
/*
 * Apply the subscribers' requests that `gazette serve` (or another writer of the request
 * log) accepted and the list does not show yet, so that what is read next is current
 * (an acknowledged unsubscribe is never sent to).  0, or -1 with d set (reqlog_apply).
 */
int cli_apply_requests(struct cli *c, struct diag *d);
/* -v or -q given after the command: adjust the log level as the global ones do. */
void cli_verbosity(int opt);
/* Print the error and return its exit code. */
int cli_fail(const struct diag *d);
/* Print "gazette: CMD: MESSAGE" and a hint to see --help; return EX_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
