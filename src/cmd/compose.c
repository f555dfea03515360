/*
 * cmd_compose: compose and preview.  Both select the articles (an issue file, or files
 * and folders, or paths.articles), render the digest, and write files into --out DIR,
 * each replaced atomically.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "addr.h"
#include "article.h"
#include "atomic.h"
#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "issue.h"
#include "lint.h"
#include "log.h"
#include "subs.h"
#include "util.h"
#include "value.h"

static const char compose_usage[] =
    "usage: gazette compose [ARTICLE|FOLDER...] [--issue FILE] [--since YYYY-MM-DD]\n"
    "                       [--tag T] [--limit N] [--keep-going] [--templates DIR] --out DIR\n"
    "\n"
    "Writes DIR/digest.html, DIR/digest.txt and DIR/sample.eml (the message for the first\n"
    "active subscriber).  Without articles or --issue, reads paths.articles.\n";

static const char preview_usage[] =
    "usage: gazette preview [--subscriber EMAIL] [ARTICLE|FOLDER...] [--issue FILE]\n"
    "                       [--data FILE.yaml]\n"
    "                       [--since D] [--tag T] [--limit N] [--keep-going]\n"
    "                       [--templates DIR] --out DIR\n"
    "\n"
    "Writes the exact message EMAIL (default: the first active subscriber) would get as\n"
    "DIR/message.eml, with its parts as DIR/message.html and DIR/message.txt, and prints\n"
    "a lint report: an HTML part past Gmail's clipping size, images without alt text,\n"
    "links that are not absolute, a missing unsubscribe link.  Exit 65 if it found errors.\n";

struct job {
    struct cli *c;
    struct issue *issue;
    struct subs *list;
    struct digest *digest;
    struct buf secret;
    const char *out;
    const char *subscriber;
    const char *templates;
    struct value *data;         /* preview --data */
};

static int
write_file(const char *dir, const char *name, const struct buf *b, struct diag *d)
{
    struct buf path;
    int rc;

    buf_init(&path, 0);
    buf_addf(&path, "%s/%s", dir, name);
    rc = atomic_replace(buf_str(&path), buf_str(b), b->len, d);
    buf_fini(&path);
    return rc;
}

/* A stand-in subscriber when the list has no active one. */
static const struct subscriber *
sample_subscriber(const struct job *j, struct subscriber *tmp)
{
    for (size_t i = 0; j->list != NULL && i < j->list->n; i++)
        if (j->list->v[i].status == SUBS_ACTIVE)
            return &j->list->v[i];
    memset(tmp, 0, sizeof(*tmp));
    tmp->email = tmp->addr = "reader@example.org";
    tmp->name = "Sample Reader";
    tmp->subscribed_at = "";
    return tmp;
}

static int
prepare(struct job *j, int argc, char **argv, const char *cmd, const char *usage)
{
    static const struct option opts[] = {
        { "issue", required_argument, NULL, 'i' },
        { "since", required_argument, NULL, 's' },
        { "tag", required_argument, NULL, 't' },
        { "limit", required_argument, NULL, 'l' },
        { "keep-going", no_argument, NULL, 'k' },
        { "templates", required_argument, NULL, 'T' },
        { "out", required_argument, NULL, 'o' },
        { "subscriber", required_argument, NULL, 'S' },
        { "data", required_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    struct issue_select sel = { NULL, NULL, 0, false, NULL, NULL, NULL };
    struct article_opts ao;
    struct digest_opts dop;
    struct diag d = DIAG_INIT;
    const char *issue_path = NULL, *data_path = NULL;
    time_t day;
    long l;
    int ch;

    optind = 0;
    while ((ch = getopt_long(argc, argv, "i:s:t:l:kT:o:S:D:hvq", opts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            issue_path = optarg;
            break;
        case 's':
            if (issue_parse_day(optarg, &day) == -1)
                return cli_usage(cmd, "--since takes a date such as 2026-11-01, not \"%s\"",
                    optarg);
            sel.since = optarg;
            break;
        case 't':
            sel.tag = optarg;
            break;
        case 'l':
            if (parse_long(optarg, 1, 1000, &l) == -1)
                return cli_usage(cmd, "--limit takes a number from 1 to 1000");
            sel.limit = l;
            break;
        case 'k':
            sel.keep_going = true;
            break;
        case 'T':
            j->templates = optarg;
            break;
        case 'o':
            j->out = optarg;
            break;
        case 'S':
            if (strcmp(cmd, "preview") != 0)
                return cli_usage(cmd, "--subscriber is for preview");
            j->subscriber = optarg;
            break;
        case 'D':
            if (strcmp(cmd, "preview") != 0)
                return cli_usage(cmd, "--data is for preview");
            data_path = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return -2;
        case 'v':
        case 'q':
            cli_verbosity(ch);
            break;
        default:
            return cli_usage(cmd, "bad option");
        }
    }
    if (j->out == NULL)
        return cli_usage(cmd, "--out DIR is required");
    if (issue_path != NULL && optind < argc)
        return cli_usage(cmd, "give --issue or articles, not both");
    if (cli_config(j->c, &d) == -1)
        return cli_fail(&d);
    memset(&ao, 0, sizeof(ao));
    ao.allow_html = j->c->cfg->compose.allow_html;
    ao.drop_patterns = (const char *const *)j->c->cfg->compose.drop_patterns;
    ao.ndrop = j->c->cfg->compose.ndrop;
    sel.articles_dir = j->c->cfg->paths.articles;      /* url: entries are fetched there */
    if (data_path != NULL) {
        if ((j->data = value_load(data_path, &d)) == NULL)
            return cli_fail(&d);
        if (j->data->type != VALUE_MAP) {
            diag_setat(&d, EX_DATAERR, j->data->line, j->data->col, "template data must be "
                "a map (see docs/TEMPLATES.md)");
            diag_path(&d, data_path);
            return cli_fail(&d);
        }
        j->issue = xcalloc(1, sizeof(*j->issue));   /* the articles come from the data */
        j->issue->info.number = 1;
    } else if (issue_path != NULL)
        j->issue = issue_load(issue_path, &ao, &sel, &d);
    else if (optind < argc)
        j->issue = issue_from_paths(argv + optind, (size_t)(argc - optind), &ao, &sel, &d);
    else {
        char *dir = j->c->cfg->paths.articles;

        j->issue = issue_from_paths(&dir, 1, &ao, &sel, &d);
    }
    if (j->issue == NULL)
        return cli_fail(&d);
    if (j->issue->n == 0 && j->data == NULL) {
        diag_set(&d, EX_DATAERR, "no articles selected; give article files or folders, "
            "or loosen --since/--tag");
        return cli_fail(&d);
    }
    j->list = subs_load(cli_subs_path(j->c), SUBS_MISSING_OK, NULL, &d);
    if (j->list == NULL)
        return cli_fail(&d);
    buf_init(&j->secret, 0);
    if (config_secret(j->c->cfg, &j->secret, &d) == -1)
        return cli_fail(&d);
    if (mkdir(j->out, 0755) == -1 && errno != EEXIST) {
        log_warn("%s: cannot create the folder", j->out);
        return EX_CANTCREAT;
    }
    memset(&dop, 0, sizeof(dop));
    dop.cfg = j->c->cfg;
    dop.template_dir = j->templates;
    dop.secret = buf_str(&j->secret);
    dop.summaries = (const char *const *)j->issue->summaries;
    dop.data = j->data;
    j->digest = digest_new(&dop, j->issue->articles, j->issue->n, &j->issue->info, &d);
    if (j->digest == NULL)
        return cli_fail(&d);
    return 0;
}

static void
finish(struct job *j)
{
    digest_free(j->digest);
    subs_free(j->list);
    issue_free(j->issue);
    value_free(j->data);
    if (j->secret.p != NULL)
        explicit_bzero(j->secret.p, j->secret.len);
    buf_fini(&j->secret);
}

int
cmd_compose(struct cli *c, int argc, char **argv)
{
    struct job j = { .c = c };
    struct buf subject, text, html, eml;
    struct diag d = DIAG_INIT;
    struct subscriber tmp;
    const struct subscriber *sub;
    int rc;

    buf_init(&subject, 0);
    buf_init(&text, 0);
    buf_init(&html, 0);
    buf_init(&eml, 0);
    if ((rc = prepare(&j, argc, argv, "compose", compose_usage)) != 0) {
        rc = rc == -2 ? 0 : rc;
        goto out;
    }
    sub = sample_subscriber(&j, &tmp);
    if (digest_parts(j.digest, sub, &subject, &text, &html, &d) == -1 ||
        digest_message(j.digest, sub, &eml, &d) == -1 ||
        write_file(j.out, "digest.html", &html, &d) == -1 ||
        write_file(j.out, "digest.txt", &text, &d) == -1 ||
        write_file(j.out, "sample.eml", &eml, &d) == -1) {
        rc = cli_fail(&d);
        goto out;
    }
    log_info("%s: %zu articles, subject \"%s\", sample message for %s", j.out, j.issue->n,
        buf_str(&subject), sub->email);
out:
    buf_fini(&subject);
    buf_fini(&text);
    buf_fini(&html);
    buf_fini(&eml);
    finish(&j);
    return rc;
}

int
cmd_preview(struct cli *c, int argc, char **argv)
{
    struct job j = { .c = c };
    struct buf subject, text, html, eml, report, unsub;
    struct diag d = DIAG_INIT;
    struct subscriber tmp;
    const struct subscriber *sub;
    int rc, errors;

    buf_init(&subject, 0);
    buf_init(&text, 0);
    buf_init(&html, 0);
    buf_init(&eml, 0);
    buf_init(&report, 0);
    buf_init(&unsub, 0);
    if ((rc = prepare(&j, argc, argv, "preview", preview_usage)) != 0) {
        rc = rc == -2 ? 0 : rc;
        goto out;
    }
    if (j.subscriber != NULL) {
        if ((sub = subs_find(j.list, j.subscriber)) == NULL) {
            log_warnx("%s: %s is not on the list", cli_subs_path(c), j.subscriber);
            rc = EX_NOUSER;
            goto out;
        }
    } else
        sub = sample_subscriber(&j, &tmp);
    if (digest_parts(j.digest, sub, &subject, &text, &html, &d) == -1 ||
        digest_message(j.digest, sub, &eml, &d) == -1 ||
        write_file(j.out, "message.eml", &eml, &d) == -1 ||
        write_file(j.out, "message.html", &html, &d) == -1 ||
        write_file(j.out, "message.txt", &text, &d) == -1) {
        rc = cli_fail(&d);
        goto out;
    }
    digest_unsubscribe_url(j.digest, sub->addr, &unsub);
    errors = lint_message(buf_str(&html), html.len, buf_str(&text), text.len,
        unsub.len ? buf_str(&unsub) : NULL, c->cfg->newsletter.postal_address, &report);
    if (log_level() >= LOGLEVEL_NORMAL) {
        printf("%s/message.eml: to %s, subject \"%s\", %zu bytes (HTML %zu, text %zu)\n",
            j.out, sub->email, buf_str(&subject), eml.len, html.len, text.len);
        fputs(buf_str(&report), stdout);
        if (report.len == 0)
            puts("lint: no problems found");
    }
    rc = errors ? EX_DATAERR : 0;
out:
    buf_fini(&subject);
    buf_fini(&text);
    buf_fini(&html);
    buf_fini(&eml);
    buf_fini(&report);
    buf_fini(&unsub);
    finish(&j);
    return rc;
}
