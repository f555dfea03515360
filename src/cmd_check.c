/*
 * cmd_check: validation of everything gazette will read, with one line per problem.
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "cmd_check.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "log.h"
#include "subs.h"

static const char usage_text[] =
    "usage: gazette check [--templates] [--print-config]\n"
    "\n"
    "Reads the config and the subscriber list and reports every problem as\n"
    "FILE:LINE:COL: what is wrong; what would be right.  Prints nothing when all is well.\n"
    "  --templates      also check the templates (paths.templates over the built-in ones)\n"
    "                   for names the data does not have and partials that do not exist\n"
    "  --print-config   print the effective configuration (secrets are never shown)\n";

static void
report(void *ctx, const struct diag *d)
{
    (void)ctx;
    diag_print(d);
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "print-config", no_argument, NULL, 'p' },
        { "templates", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    struct subs_report rep = { report, NULL };
    struct diag d = DIAG_INIT;
    struct subs *list;
    bool print = false, templates = false;
    int ch;

    optind = 0;
    while ((ch = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            print = true;
            break;
        case 't':
            templates = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'v':
        case 'q':
            cli_verbosity(ch);
            break;
        default:
            return cli_usage("check", "bad option");
        }
    }
    if (optind != argc)
        return cli_usage("check", "no arguments expected");
    if (cli_config(c, &d) == -1)
        return cli_fail(&d);
    if (print) {
        struct buf out;

        buf_init(&out, 0);
        config_dump(c->cfg, &out);
        fputs(buf_str(&out), stdout);
        buf_fini(&out);
    }
    if (templates) {
        int n = digest_check_templates(c->cfg->paths.templates, report, NULL, &d);

        if (n == -1)
            return cli_fail(&d);
        if (n > 0)
            return EX_DATAERR;
        diag_clear(&d);
    }
    list = subs_load(cli_subs_path(c), 0, &rep, &d);
    if (list == NULL) {
        if (d.code == EX_NOINPUT)
            return cli_fail(&d);
        return d.code;          /* every problem was printed by report() */
    }
    if (log_level() >= LOGLEVEL_VERBOSE) {
        size_t by[SUBS_NSTATUS] = { 0 };

        for (size_t i = 0; i < list->n; i++)
            by[list->v[i].status]++;
        log_info("%s: ok", c->cfg->path ? c->cfg->path : "built-in configuration");
        log_info("%s: %zu subscribers: %zu active, %zu pending, %zu unsubscribed, %zu bounced",
            list->path, list->n, by[SUBS_ACTIVE], by[SUBS_PENDING], by[SUBS_UNSUBSCRIBED],
            by[SUBS_BOUNCED]);
    }
    subs_free(list);
    return 0;
}
