/*
 * main: the gazette command line.  Global options come before the command; a table maps
 * each command to its handler, and each handler parses its own options (getopt_long).
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "log.h"

#define GAZETTE_VERSION "0.1.0"

struct command {
    const char *name;
    int (*run)(struct cli *, int, char **);
    const char *help;
};

static const struct command commands[] = {
    { "subscribers", cmd_subscribers, "list, add, remove, (un)subscribe, import, export" },
    { "compose", cmd_compose, "render the digest and a sample message into a folder" },
    { "preview", cmd_preview, "the exact message one subscriber gets, with a lint report" },
    { "send", cmd_send, "send the digest to the list (what cron runs)" },
    { "status", cmd_status, "what each campaign's journal says" },
    { "articles", cmd_articles, "show what gazette made of article files" },
    { "check", cmd_check, "validate the config and the subscriber list" },
    { "render", cmd_render, "render a Mustache template with YAML or JSON data" },
    { "serve", cmd_serve, "unsubscribe and sign-up pages over HTTP (behind nginx/Caddy)" },
    { "dkim", cmd_dkim, "make a DKIM signing key and print its DNS record" },
    { "inbox", cmd_inbox, "bounces, complaints, mailed unsubscribes (Maildir, mbox, -)" },
};

static void
usage(FILE *f)
{
    fputs("usage: gazette [-c FILE] [--subscribers FILE] [-v|-q] COMMAND [options]\n"
        "\n"
        "gazette composes a newsletter digest from articles and mails it to a list.\n"
        "\n"
        "Commands:\n", f);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].help);
    fputs("\n"
        "Options:\n"
        "  -c, --config FILE      configuration (default ./gazette.yaml, else built-in)\n"
        "      --subscribers FILE subscriber list (default: the config's paths.subscribers)\n"
        "  -v, --verbose          say more (twice for debugging)\n"
        "  -q, --quiet            errors only\n"
        "  -h, --help             this help; 'gazette COMMAND --help' for a command\n"
        "      --version          print the version\n", f);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "subscribers", required_argument, NULL, 'S' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct cli c = { NULL, NULL, NULL };
    int ch, verbose = 0, quiet = 0, rc;

    /* "+": stop at the command, whose options are its own */
    while ((ch = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            c.config_path = optarg;
            break;
        case 'S':
            c.subs_path = optarg;
            break;
        case 'v':
            verbose++;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            puts("gazette " GAZETTE_VERSION);
            return 0;
        default:
            fputs("gazette: see 'gazette --help'\n", stderr);
            return EX_USAGE;
        }
    }
    log_set_level(quiet ? LOGLEVEL_QUIET : verbose);
    if (optind >= argc) {
        usage(stderr);
        return EX_USAGE;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[optind], commands[i].name) == 0) {
            rc = commands[i].run(&c, argc - optind, argv + optind);
            config_free(c.cfg);
            return rc;
        }
    }
    fprintf(stderr, "gazette: unknown command \"%s\"; see 'gazette --help'\n", argv[optind]);
    return EX_USAGE;
}
