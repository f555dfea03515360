/*
 * cmd_serve: "gazette serve [--check] [--listen ADDR] [--timeout S]": the subscribers'
 * own web pages (serve.h).
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "serve.h"
#include "util.h"

#define SERVE_TIMEOUT_DEFAULT 30    /* seconds a connection may idle: slow clients go */

static const char usage_text[] =
    "usage: gazette serve [--check] [--listen ADDR] [--timeout SECONDS]\n"
    "\n"
    "Serve one-click unsubscribe (RFC 8058), sign-up with double opt-in, confirm and\n"
    "resubscribe pages, for a web server in front (nginx, Caddy) to pass on.  Accepted\n"
    "requests are on disk before the answer and reach the subscriber list every\n"
    "serve.apply_seconds, at exit, and before 'gazette send' or 'gazette subscribers'.\n"
    "\n"
    "  --check          check the web settings and templates, then exit (quiet if good)\n"
    "  --listen ADDR    127.0.0.1:8025, [::1]:8025 or unix:/path (default serve.listen)\n"
    "  --timeout S      seconds a connection may stay idle (default 30)\n";

static void
count_problem(void *ctx, const struct diag *d)
{
    (void)ctx;
    diag_print(d);
}

int
cmd_serve(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "check", no_argument, NULL, 'C' },
        { "listen", required_argument, NULL, 'l' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct diag d = DIAG_INIT;
    struct serve_opts so;
    bool check = false;
    long timeout = SERVE_TIMEOUT_DEFAULT;
    int ch;

    memset(&so, 0, sizeof(so));
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'C':
            check = true;
            break;
        case 'l':
            so.listen = optarg;
            break;
        case 't':
            if (parse_long(optarg, 1, 3600, &timeout) == -1)
                return cli_usage("serve", "--timeout takes seconds from 1 to 3600");
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return cli_usage("serve", "bad option");
        }
    }
    if (optind < argc)
        return cli_usage("serve", "unexpected argument \"%s\"", argv[optind]);
    if (cli_config(c, &d) == -1)
        return cli_fail(&d);
    so.cfg = c->cfg;
    so.subs_path = cli_subs_path(c);
    so.timeout = (unsigned)timeout;
    if (check)
        return serve_check(&so, count_problem, NULL) > 0 ? EX_CONFIG : 0;
    if (serve_run(&so, &d) == -1)
        return cli_fail(&d);
    return 0;
}
