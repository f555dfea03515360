/*
 * cli: shared command-line context and error reporting.
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "reqlog.h"

int
cli_config(struct cli *c, struct diag *d)
{
    if (c->cfg != NULL)
        return 0;
    c->cfg = config_load(c->config_path, d);
    return c->cfg != NULL ? 0 : -1;
}

const char *
cli_subs_path(const struct cli *c)
{
    return c->subs_path != NULL ? c->subs_path : c->cfg->paths.subscribers;
}

#define CLI_APPLY_WAIT_MS 30000     /* a running server's batch takes its turn first */

int
cli_apply_requests(struct cli *c, struct diag *d)
{
    struct reqlog_stats st;

    if (reqlog_apply(c->cfg->paths.state_dir, cli_subs_path(c), CLI_APPLY_WAIT_MS, &st, d) == -1)
        return -1;
    if (st.records > 0)
        log_info("applied %zu subscriber requests (%zu entries changed)", st.records,
            st.changed);
    return 0;
}

int
cli_fail(const struct diag *d)
{
    diag_print(d);
    return d->code != 0 ? d->code : EX_SOFTWARE;
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "gazette: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; see 'gazette %s --help'\n", cmd);
    return EX_USAGE;
}

void
cli_verbosity(int opt)
{
    if (opt == 'q')
        log_set_level(LOGLEVEL_QUIET);
    else if (log_level() >= LOGLEVEL_NORMAL)
        log_set_level(log_level() + 1);
}
