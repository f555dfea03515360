/*
 * cmd_check: validation of everything gazette will read, with one line per problem.
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "log.h"
#include "subs.h"
#include "transport.h"

static const char usage_text[] =
    "usage: gazette check [--templates] [--smtp] [--print-config]\n"
    "\n"
    "Reads the config and the subscriber list and reports every problem as\n"
    "FILE:LINE:COL: what is wrong; what would be right.  Prints nothing when all is well.\n"
    "  --templates      also check the templates (paths.templates over the built-in ones)\n"
    "                   for names the data does not have and partials that do not exist\n"
    "  --smtp           connect to the SMTP server, do STARTTLS and AUTH as configured,\n"
    "                   and quit (nothing is sent)\n"
    "  --print-config   print the effective configuration (secrets are never shown)\n";

static void
report(void *ctx, const struct diag *d)
{
    (void)ctx;
    diag_print(d);
}

/* Connect, greet, STARTTLS and AUTH as configured, then quit. */
static int
check_smtp(const struct config *cfg, struct diag *d)
{
    const struct transport_ops *ops = transport_for(cfg);
    struct transport_opts o;
    struct transport_result r;
    struct transport *t;
    struct buf pw;
    int rc = -1;

    buf_init(&pw, 0);
    if (config_password(cfg, &pw, d) == -1)
        goto out;
    memset(&o, 0, sizeof(o));
    o.cfg = cfg;
    o.password = pw.len ? buf_str(&pw) : NULL;
    o.maildir = cfg->paths.outbox;
    if ((t = ops->open(&o, d)) == NULL)
        goto out;
    memset(&r, 0, sizeof(r));
    if (ops->probe != NULL && ops->probe(t, &r) == -1) {
        diag_set(d, transport_exit_code(&r), "%s: %s at %s: %d %s",
            cfg->smtp.url ? cfg->smtp.url : ops->name, transport_outcome_name(r.outcome),
            transport_stage_name(r.stage), r.code, r.text);
        ops->close(t);
        goto out;
    }
    ops->close(t);
    log_info("%s: %s ok", ops->name, cfg->smtp.url ? cfg->smtp.url : cfg->paths.outbox);
    rc = 0;
out:
    if (pw.p != NULL)
        explicit_bzero(pw.p, pw.len);
    buf_fini(&pw);
    return rc;
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "print-config", no_argument, NULL, 'p' },
        { "templates", no_argument, NULL, 't' },
        { "smtp", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    struct subs_report rep = { report, NULL };
    struct diag d = DIAG_INIT;
    struct subs *list;
    bool print = false, templates = false, smtp = false;
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
        case 's':
            smtp = true;
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
    if (smtp && check_smtp(c->cfg, &d) == -1)
        return cli_fail(&d);
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
