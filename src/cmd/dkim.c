/*
 * cmd_dkim: `gazette dkim keygen` makes a DKIM signing key (mode 600) and prints the DNS
 * TXT record to publish; `gazette dkim record` prints the record of the configured key.
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
#include "dkim.h"

static const char usage_text[] =
    "usage: gazette dkim keygen --selector S --domain D [--type rsa|ed25519] [--out FILE]\n"
    "       gazette dkim record\n"
    "\n"
    "keygen writes a new private key (PEM, mode 600; an existing file is never replaced)\n"
    "to --out, else dkim.key_file, else S.key, and prints the TXT record to publish at\n"
    "S._domainkey.D.  Types: rsa (2048 bits, the default) or ed25519 (RFC 8463; sign\n"
    "with both if some receivers do not know it yet).  Then set dkim.selector,\n"
    "dkim.domain and dkim.key_file in gazette.yaml: every message is signed.\n"
    "record prints the TXT record of the configured key.\n";

static int
print_record(const char *domain, const char *selector, const char *path, struct diag *d)
{
    struct dkim *k = dkim_new(domain, selector, path, d);
    struct buf out;

    if (k == NULL)
        return -1;
    buf_init(&out, 0);
    dkim_record_zone(k, &out);
    fputs(buf_str(&out), stdout);
    buf_fini(&out);
    dkim_free(k);
    return 0;
}

int
cmd_dkim(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "selector", required_argument, NULL, 's' },
        { "domain", required_argument, NULL, 'd' },
        { "type", required_argument, NULL, 't' },
        { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *selector = NULL, *domain = NULL, *type = "rsa", *out = NULL;
    struct diag d = DIAG_INIT;
    struct buf def;
    int ch, rc;

    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            selector = optarg;
            break;
        case 'd':
            domain = optarg;
            break;
        case 't':
            type = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return cli_usage("dkim", "bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage("dkim", "keygen or record expected");
    if (cli_config(c, &d) == -1)
        return cli_fail(&d);
    if (strcmp(argv[optind], "record") == 0) {
        if (print_record(c->cfg->dkim.domain, c->cfg->dkim.selector, c->cfg->dkim.key_file,
            &d) == -1)
            return cli_fail(&d);
        return 0;
    }
    if (strcmp(argv[optind], "keygen") != 0)
        return cli_usage("dkim", "unknown action \"%s\"; keygen or record", argv[optind]);
    selector = selector ? selector : c->cfg->dkim.selector;
    domain = domain ? domain : c->cfg->dkim.domain;
    if (selector == NULL || domain == NULL)
        return cli_usage("dkim", "keygen needs --selector and --domain");
    buf_init(&def, 0);
    if (out == NULL && c->cfg->dkim.key_file != NULL)
        out = c->cfg->dkim.key_file;
    if (out == NULL) {
        buf_putf(&def, "%s.key", selector);
        out = buf_str(&def);
    }
    rc = 0;
    if (dkim_keygen(out, type, &d) == -1 || print_record(domain, selector, out, &d) == -1)
        rc = cli_fail(&d);
    buf_fini(&def);
    return rc;
}
