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
#include "issue.h"
#include "article.h"
#include "log.h"
#include "subs.h"
#include "transport.h"

static const char usage_text[] =
    "usage: gazette check [--templates] [--smtp] [--print-config]\n"
    "\n"
    "Reads the config and the subscriber list and reports every problem as\n"
    "FILE:LINE:COL: what is wrong; what would be right.  Prints nothing when all is well.\n"
    "Also checks what a run will need: the unsubscribe secret, the SMTP password, the\n"
    "articles folder (and each article's image), and the templates (paths.templates over\n"
    "the built-in ones) for names the data does not have and partials that do not exist.\n"
    "  --templates      the templates only matter (kept for scripts; they are always checked)\n"
    "  --smtp           connect to the SMTP server, do STARTTLS and AUTH as configured,\n"
    "                   and quit (nothing is sent)\n"
    "  --print-config   print the effective configuration (secrets are never shown)\n";

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
        struct issue_select sel = { NULL, NULL, 0, true, NULL, NULL, false };
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
        diag_set(d, r.outcome == TRANSPORT_TEMPFAIL ? EX_TEMPFAIL : r.stage != NULL &&
            strcmp(r.stage, "auth") == 0 ? EX_NOPERM : EX_UNAVAILABLE, "%s: %s at %s: %d %s",
            cfg->smtp.url ? cfg->smtp.url : config_transport_name(cfg),
            transport_outcome_name(r.outcome),
            r.stage ? r.stage : "?", r.code, r.text);
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
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    struct subs_report rep = { report, NULL };
    struct diag d = DIAG_INIT;
    struct subs *list;
    bool print = false, templates = false, smtp = false;
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
