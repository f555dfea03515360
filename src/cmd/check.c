/*
 * cmd_check: validation of everything gazette will read, with one line per problem.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "dkim.h"
#include "issue.h"
#include "article.h"
#include "log.h"
#include "subs.h"
#include "transport.h"
#include "util.h"

static const char usage_text[] =
    "usage: gazette check [--templates] [--smtp] [--print-config] [--dkim-record FILE]\n"
    "\n"
    "Reads the config and the subscriber list and reports every problem as\n"
    "FILE:LINE:COL: what is wrong; what would be right.  Prints nothing when all is well.\n"
    "Also checks what a run will need: the unsubscribe secret, the SMTP password, the\n"
    "articles folder (and each article's image), and the templates (paths.templates over\n"
    "the built-in ones) for names the data does not have and partials that do not exist.\n"
    "  --templates      the templates only matter (kept for scripts; they are always checked)\n"
    "  --smtp           connect to the SMTP server, do STARTTLS and AUTH as configured,\n"
    "                   and quit (nothing is sent)\n"
    "  --print-config   print the effective configuration (secrets are never shown)\n"
    "  --dkim-record FILE  check that the TXT record in FILE (as published, or a zone\n"
    "                   line) holds the public key of dkim.key_file\n"
    "A dkim.key_file is always loaded and checked; a From address at a free-mail domain\n"
    "is a warning (DMARC makes receivers reject it when sent from elsewhere).\n";

/* Domains whose DMARC policy rejects mail from them sent through other servers. */
static const char *const freemail[] = { "gmail.com", "googlemail.com", "yahoo.com",
    "yahoo.co.uk", "yahoo.fr", "ymail.com", "aol.com", "outlook.com", "hotmail.com",
    "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "gmx.com", "gmx.de",
    "gmx.net", "web.de", "mail.com", "yandex.ru", "yandex.com", "mail.ru", "proton.me",
    "protonmail.com", "zoho.com", "qq.com", "163.com", NULL };

/* Warnings that do not stop a run. */
static void
check_warnings(const struct config *cfg)
{
    const char *at = cfg->newsletter.from ? strrchr(cfg->newsletter.from, '@') : NULL;
    const char *u = cfg->newsletter.unsubscribe_url;

    for (size_t i = 0; at != NULL && freemail[i] != NULL; i++)
        if (ascii_strcasecmp(at + 1, freemail[i]) == 0)
            log_warnx("%s: warning: newsletter.from %s is at a free-mail domain; its DMARC "
                "policy makes receivers reject or junk it when gazette sends it from "
                "elsewhere: use an address at a domain you control",
                cfg->path ? cfg->path : "config", cfg->newsletter.from);
    if (u == NULL && cfg->newsletter.unsubscribe_mailto != NULL)
        log_warnx("%s: warning: no newsletter.unsubscribe_url: unsubscribing takes an "
            "email; Gmail and Yahoo require one-click unsubscribe (RFC 8058, an https "
            "link) from bulk senders (gazette serve answers it)", cfg->path ? cfg->path :
            "config");
    else if (u != NULL && strstr(u, "{{token}}") == NULL)
        log_warnx("%s: warning: newsletter.unsubscribe_url has no {{token}}: the link does "
            "not prove who asked, so anyone could unsubscribe anyone with it; add "
            "token={{token}}", cfg->path ? cfg->path : "config");
}

/* Load the DKIM key, and compare it with the record in record_file when given. */
static int
check_dkim(const struct config *cfg, const char *record_file, struct diag *d)
{
    struct dkim *k;
    char *text;
    size_t len;
    int rc;

    if (cfg->dkim.selector == NULL && cfg->dkim.domain == NULL && cfg->dkim.key_file == NULL) {
        if (record_file == NULL)
            return 0;
        diag_set(d, EX_CONFIG, "--dkim-record given but no dkim.key_file is configured");
        return -1;
    }
    if ((k = dkim_new(cfg->dkim.domain, cfg->dkim.selector, cfg->dkim.key_file, d)) == NULL)
        return -1;
    if (cfg->newsletter.from != NULL && strrchr(cfg->newsletter.from, '@') != NULL) {
        const char *dom = strrchr(cfg->newsletter.from, '@') + 1;
        size_t dl = strlen(dom), kl = strlen(cfg->dkim.domain);

        if (!(ascii_strcasecmp(dom, cfg->dkim.domain) == 0 || (dl > kl &&
            dom[dl - kl - 1] == '.' && ascii_strcasecmp(dom + dl - kl, cfg->dkim.domain) == 0)))
            log_warnx("%s: warning: dkim.domain %s is not the From domain %s nor a parent of "
                "it: the signature does not align for DMARC", cfg->path ? cfg->path : "config",
                cfg->dkim.domain, dom);
    }
    rc = 0;
    if (record_file != NULL) {
        if ((text = read_file(record_file, &len)) == NULL) {
            diag_set(d, EX_NOINPUT, "cannot read the DKIM record: %s", strerror(errno));
            diag_path(d, record_file);
            rc = -1;
        } else {
            if ((rc = dkim_record_check(k, text, len, d)) == -1)
                diag_path(d, record_file);
            free(text);
        }
    }
    if (rc == 0)
        log_info("dkim: %s key for %s._domainkey.%s ok%s", dkim_algorithm(k),
            cfg->dkim.selector, cfg->dkim.domain, record_file ? ", the record matches" : "");
    dkim_free(k);
    return rc;
}

static void
report(void *ctx, const struct diag *d)
{
    (void)ctx;
    diag_print(d);
}

/* Print d as one problem, keep the first problem's exit class in *rc, and clear d. */
static void
problem(struct diag *d, int *rc)
{
    diag_print(d);
    if (*rc == 0)
        *rc = d->code ? d->code : EX_SOFTWARE;
    diag_clear(d);
}

/*
 * What `gazette send` will need and would otherwise only find out under cron (issue 14
 * item 9): the unsubscribe secret (present, not empty; its mode is warned about by
 * config_secret()), the SMTP password, and the articles folder; each article whose image
 * the email must leave out is a warning (item 5).  Returns the first problem's exit class.
 */
static int
check_run(const struct config *cfg)
{
    struct diag d = DIAG_INIT;
    struct buf s;
    struct stat st;
    int rc = 0;

    buf_init(&s, 0);
    if (config_secret(cfg, &s, &d) == -1)
        problem(&d, &rc);
    else if (s.len == 0 && cfg->newsletter.unsubscribe_url != NULL &&
        strstr(cfg->newsletter.unsubscribe_url, "{{token}}") != NULL) {
        diag_set(&d, EX_CONFIG, "newsletter.unsubscribe_url uses {{token}} but no secret is "
            "set; add newsletter.secret_file or newsletter.secret_env");
        diag_path(&d, cfg->path ? cfg->path : "gazette.yaml");
        problem(&d, &rc);
    }
    if (s.p != NULL)
        explicit_bzero(s.p, s.len);
    if (cfg->smtp.transport != CONFIG_TRANSPORT_MAILDIR && config_password(cfg, &s, &d) == -1)
        problem(&d, &rc);
    if (s.p != NULL)
        explicit_bzero(s.p, s.len);
    buf_fini(&s);
    if (stat(cfg->paths.articles, &st) == -1 || !S_ISDIR(st.st_mode)) {
        diag_set(&d, EX_NOINPUT, "the articles folder (paths.articles) %s; create it or "
            "set paths.articles", errno == ENOENT ? "does not exist" : "is not a folder");
        diag_path(&d, cfg->paths.articles);
        problem(&d, &rc);
    } else {
        struct issue_select sel = { .keep_going = true };
        struct article_opts ao;
        struct issue *is;
        char *dir = cfg->paths.articles;

        memset(&ao, 0, sizeof(ao));
        ao.allow_html = cfg->compose.allow_html;
        ao.drop_patterns = (const char *const *)cfg->compose.drop_patterns;
        ao.ndrop = cfg->compose.ndrop;
        if ((is = issue_from_paths(&dir, 1, &ao, &sel, &d)) == NULL)
            problem(&d, &rc);
        else {
            for (size_t i = 0; i < is->n; i++)
                digest_warn_image(cfg, is->articles[i]);
            if (is->skipped > 0 && rc == 0)
                rc = EX_DATAERR;        /* each bad article was printed */
        }
        issue_free(is);
    }
    return rc;
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
            cfg->smtp.url ? cfg->smtp.url : config_transport_name(cfg), transport_outcome_name(r.outcome),
            transport_stage_name(r.stage), r.code, r.text);
        ops->close(t);
        goto out;
    }
    ops->close(t);
    log_info("%s: %s ok", config_transport_name(cfg), cfg->smtp.url ? cfg->smtp.url :
        cfg->paths.outbox);
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
        { "dkim-record", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    struct subs_report rep = { report, NULL };
    struct diag d = DIAG_INIT;
    struct subs *list;
    bool print = false, templates = false, smtp = false;
    const char *record = NULL;
    int ch, rc = 0, run;

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
        case 'k':
            record = optarg;
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
    check_warnings(c->cfg);
    if (check_dkim(c->cfg, record, &d) == -1)
        return cli_fail(&d);
    if (smtp && check_smtp(c->cfg, &d) == -1)
        return cli_fail(&d);
    (void)templates;            /* the templates are always checked: send checks them too */
    {
        int n = digest_check_templates(c->cfg->paths.templates, report, NULL, &d);

        if (n == -1)
            return cli_fail(&d);
        if (n > 0)
            rc = EX_DATAERR;
        diag_clear(&d);
    }
    run = check_run(c->cfg);
    rc = rc ? rc : run;
    list = subs_load(cli_subs_path(c), 0, &rep, &d);
    if (list == NULL) {
        if (d.code == EX_NOINPUT) {
            int lrc = cli_fail(&d);

            return rc ? rc : lrc;
        }
        return rc ? rc : d.code;    /* every problem was printed by report() */
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
    return rc;
}
