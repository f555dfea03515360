/*
 * cmd_inbox: "gazette inbox [PATH...|-]": bounces, complaints, mailed unsubscribe requests
 * and auto-replies, from a Maildir, an mbox or standard input, applied to the list.
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "inbox.h"
#include "log.h"

static const char usage_text[] =
    "usage: gazette inbox [--dry-run] [-v|-q] PATH...|-\n"
    "\n"
    "Reads the mail that came back to newsletter.bounce_to and newsletter.unsubscribe_mailto\n"
    "and applies it to the list: a Maildir (handled messages move from new/ to cur/ with\n"
    "the S flag), an mbox file, or one message on standard input (\"-\", for a Postfix alias\n"
    "such as  bounces: \"|gazette -c /etc/gazette.yaml inbox -\").\n"
    "\n"
    "Delivery status notifications and the non-standard reports of real mail servers count\n"
    "as hard bounces (the address or its domain does not exist) or soft ones; a subscriber\n"
    "becomes \"bounced\" after bounce.hard_after hard ones or bounce.soft_after soft ones\n"
    "within bounce.soft_days.  A complaint (ARF feedback report) and a mail to the\n"
    "unsubscribe address with a token make the subscriber \"unsubscribed\" at once.\n"
    "Auto-replies are ignored.  A message is tied to a subscriber by its VERP token first\n"
    "(newsletter.verp); a token whose signature does not hold is never attributed.\n"
    "Every message is an event in STATE/events.jsonl; a message handled once is never\n"
    "handled again.  Prints a line for each message a person should look at (not\n"
    "understood, forged token, nobody on the list), nothing else unless -v.\n"
    "  --dry-run   classify and report, change nothing (with -v: a line per message)\n";

int
cmd_inbox(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct diag d = DIAG_INIT;
    struct inbox_opts o;
    struct inbox_stats st;
    struct buf secret;
    int ch, rc;

    memset(&o, 0, sizeof(o));
    optind = 0;
    while ((ch = getopt_long(argc, argv, "nvqh", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            o.dry_run = true;
            break;
        case 'v':
        case 'q':
            cli_verbosity(ch);
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return cli_usage("inbox", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage("inbox", "give a Maildir, an mbox file, or - for standard input");
    if (cli_config(c, &d) == -1)
        return cli_fail(&d);
    buf_init(&secret, 0);
    if (config_secret(c->cfg, &secret, &d) == -1) {
        buf_fini(&secret);
        return cli_fail(&d);
    }
    o.cfg = c->cfg;
    o.subs_path = cli_subs_path(c);
    o.secret = secret.len > 0 ? buf_str(&secret) : NULL;
    o.report = log_level() >= LOGLEVEL_NORMAL ? stdout : NULL;
    o.verbose = log_level() > LOGLEVEL_NORMAL;
    rc = inbox_run(&o, argv + optind, (size_t)(argc - optind), &st, &d);
    if (secret.p != NULL)
        explicit_bzero(secret.p, secret.len);
    buf_fini(&secret);
    if (rc == -1)
        return cli_fail(&d);
    log_info("inbox: %zu messages (%zu handled before): %zu hard and %zu soft bounces, "
        "%zu complaints, %zu unsubscribe requests, %zu auto-replies, %zu not understood, "
        "%zu for nobody on the list, %zu forged tokens; %zu subscribers bounced, %zu "
        "unsubscribed%s", st.messages, st.seen, st.hard, st.soft, st.complaints,
        st.unsubscribes, st.autoreplies, st.unknown, st.unattributed, st.forged, st.bounced,
        st.unsubscribed, o.dry_run ? " (dry run: nothing changed)" : "");
    return 0;
}
