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
#include "campaign.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "issue.h"
#include "lint.h"
#include "log.h"
#include "serve.h"
#include "subs.h"
#include "util.h"
#include "value.h"

static const char compose_usage[] =
    "usage: gazette compose [ARTICLE|FOLDER...] [--issue FILE] [--all] [--since YYYY-MM-DD]\n"
    "                       [--tag T] [--limit N] [--keep-going] [--templates DIR] --out DIR\n"
    "\n"
    "Writes DIR/digest.html and DIR/digest.txt, the same for every subscriber (personal\n"
    "values shown as {{subscriber.email}}, {{unsubscribe_url}}), and DIR/sample.eml, the\n"
    "message for an example address (reader@example.org); `gazette preview` shows a real\n"
    "subscriber's.  Without articles or --issue: what `gazette send` would send now (an\n"
    "unfinished campaign, else the next issue from the new articles); --all: every article\n"
    "in paths.articles.\n";

static const char preview_usage[] =
    "usage: gazette preview [--subscriber EMAIL] [ARTICLE|FOLDER...] [--issue FILE] [--all]\n"
    "                       [--data FILE.yaml]\n"
    "                       [--since D] [--tag T] [--limit N] [--keep-going]\n"
    "                       [--templates DIR] --out DIR | --serve [--port N]\n"
    "\n"
    "Writes the exact message EMAIL (default: the first active subscriber) would get as\n"
    "DIR/message.eml, with its parts as DIR/message.html and DIR/message.txt, and prints\n"
    "a lint report: an HTML part past Gmail's clipping size, images without alt text,\n"
    "links that are not absolute, a missing unsubscribe link.  Exit 65 if it found errors.\n"
    "With --serve, shows it instead on http://127.0.0.1:N/ (default 8026): HTML at 600 and\n"
    "375 px, text, source, the lint report, a subscriber picker and dark mode; the page\n"
    "reloads itself when a template, an article, the issue, the list or the config changes.\n"
    "Without articles or --issue: what `gazette send` would send now; --all: every article.\n";

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
    bool serve;                 /* preview --serve */
    long port;
    struct diag *err;           /* set: errors go here instead of stderr (the live page) */
    const char *issue_path;
    char **paths;               /* article files and folders given */
    size_t npaths;
};

#define PREVIEW_PORT 8026
#define PREVIEW_PICKER_MAX 500      /* subscribers offered in the picker */

/* An error: into the live page's diag when serving, else printed. */
static int
fail(struct job *j, const struct diag *d)
{
    if (j->err != NULL) {
        *j->err = *d;
        return d->code != 0 ? d->code : EX_SOFTWARE;
    }
    return cli_fail(d);
}

static int
write_file(const char *dir, const char *name, const struct buf *b, struct diag *d)
{
    struct buf path;
    int rc;

    buf_init(&path, 0);
    buf_putf(&path, "%s/%s", dir, name);
    rc = atomic_replace(buf_str(&path), buf_str(b), b->len, d);
    buf_fini(&path);
    return rc;
}

/* An example subscriber, nobody on the list (compose's sample.eml). */
static const struct subscriber *
example_subscriber(struct subscriber *tmp)
{
    memset(tmp, 0, sizeof(*tmp));
    tmp->email = tmp->addr = "reader@example.org";
    tmp->name = "Sample Reader";
    tmp->subscribed_at = "";
    return tmp;
}

/* A stand-in subscriber when the list has no active one. */
static const struct subscriber *
sample_subscriber(const struct job *j, struct subscriber *tmp)
{
    for (size_t i = 0; j->list != NULL && i < j->list->n; i++)
        if (j->list->v[i].status == SUBS_ACTIVE)
            return &j->list->v[i];
    return example_subscriber(tmp);
}

/* What compose and preview were asked for, beyond what goes into the job. */
struct prep_opts {
    struct issue_select sel;
    const char *issue_path, *data_path;
    bool all;
};

/* The command line into J and O; 0, -2 after --help, else the exit code. */
static int
parse_opts(struct job *j, struct prep_opts *o, int argc, char **argv, const char *cmd,
    const char *usage)
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
        { "serve", no_argument, NULL, 'E' },
        { "port", required_argument, NULL, 'P' },
        { "all", no_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    time_t day;
    long l;
    int ch;

    optind = 0;
    while ((ch = getopt_long(argc, argv, "i:s:t:l:kT:o:S:D:ahvq", opts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            o->all = true;
            break;
        case 'i':
            o->issue_path = optarg;
            break;
        case 's':
            if (issue_parse_day(optarg, &day) == -1)
                return cli_usage(cmd, "--since takes a date such as 2026-11-01, not \"%s\"",
                    optarg);
            o->sel.since = optarg;
            break;
        case 't':
            o->sel.tag = optarg;
            break;
        case 'l':
            if (parse_long(optarg, 1, 1000, &l) == -1)
                return cli_usage(cmd, "--limit takes a number from 1 to 1000");
            o->sel.limit = l;
            break;
        case 'k':
            o->sel.keep_going = true;
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
            o->data_path = optarg;
            break;
        case 'E':
        case 'P':
            if (strcmp(cmd, "preview") != 0)
                return cli_usage(cmd, "--serve and --port are for preview");
            j->serve = true;
            if (ch == 'P' && parse_long(optarg, 1, 65535, &j->port) == -1)
                return cli_usage(cmd, "--port takes a number from 1 to 65535");
            break;
        case 'h':
            fputs(usage, stdout);
            return -2;
        case 'v':
        case 'q':
            if (j->err == NULL)         /* once, not again on each live render */
                cli_verbosity(ch);
            break;
        default:
            return cli_usage(cmd, "bad option");
        }
    }
    if (j->out == NULL && !j->serve)
        return cli_usage(cmd, "--out DIR is required");
    if (j->out != NULL && j->serve)
        return cli_usage(cmd, "give --out or --serve, not both");
    j->issue_path = o->issue_path;
    j->paths = argv + optind;
    j->npaths = (size_t)(argc - optind);
    if (o->issue_path != NULL && optind < argc)
        return cli_usage(cmd, "give --issue or articles, not both");
    if (o->all && (o->issue_path != NULL || optind < argc || o->data_path != NULL))
        return cli_usage(cmd, "--all is for paths.articles, without --issue or articles");
    return 0;
}

/* No articles named: what cron would send now (issue 14 item 7), as `gazette send` picks. */
static int
load_next(struct job *j, struct issue_select *sel, const char *cmd, struct diag *d)
{
    char *id = NULL, *manifest;

    if (send_pick_next(j->c, sel, &id, &j->issue, d) == -1)
        return cli_fail(d);
    if (j->issue == NULL && (sel->since != NULL || sel->tag != NULL)) {
        diag_set(d, EX_DATAERR, "no articles selected; give article files or folders, "
            "or loosen --since/--tag");
        return cli_fail(d);
    }
    if (j->issue == NULL) {
        if (log_level() >= LOGLEVEL_NORMAL)
            printf("%s: nothing new: `gazette send` would send nothing now (every "
                "article in %s went out); --all takes every article\n", cmd,
                j->c->cfg->paths.articles);
        return -2;
    }
    manifest = campaign_manifest(j->c->cfg->paths.state_dir, id);
    if (log_level() >= LOGLEVEL_NORMAL)
        printf("%s: %s, %s (what `gazette send` would send now; --all for every "
            "article)\n", cmd, id, manifest != NULL ? "the unfinished campaign" :
            "the next issue from the new articles");
    free(manifest);
    free(id);
    return 0;
}

/* The issue: from --data, --issue, the articles given, --all, or what send would pick. */
static int
load_issue(struct job *j, struct prep_opts *o, const char *cmd, struct diag *d)
{
    const struct config *cfg = j->c->cfg;
    struct article_opts ao;
    int rc;

    memset(&ao, 0, sizeof(ao));
    ao.allow_html = cfg->compose.allow_html;
    ao.drop_patterns = (const char *const *)cfg->compose.drop_patterns;
    ao.ndrop = cfg->compose.ndrop;
    o->sel.oldest_first = cfg->compose.order == CONFIG_ORDER_OLDEST;
    o->sel.articles_dir = cfg->paths.articles;      /* url: entries are fetched there */
    if (o->data_path != NULL) {
        if ((j->data = value_load(o->data_path, d)) == NULL)
            return fail(j, d);
        if (j->data->type != VALUE_MAP) {
            diag_setat(d, EX_DATAERR, j->data->line, j->data->col, "template data must be "
                "a map (see docs/TEMPLATES.md)");
            diag_path(d, o->data_path);
            return fail(j, d);
        }
        j->issue = xcalloc(1, sizeof(*j->issue));   /* the articles come from the data */
        j->issue->info.number = 1;
    } else if (o->issue_path != NULL)
        j->issue = issue_load(o->issue_path, &ao, &o->sel, d);
    else if (j->npaths > 0)
        j->issue = issue_from_paths(j->paths, j->npaths, &ao, &o->sel, d);
    else if (o->all) {
        char *dir = cfg->paths.articles;

        j->issue = issue_from_paths(&dir, 1, &ao, &o->sel, d);
    } else if ((rc = load_next(j, &o->sel, cmd, d)) != 0)
        return rc;
    if (j->issue == NULL)
        return fail(j, d);
    for (size_t i = 0; i < j->issue->n; i++)
        digest_warn_image(cfg, j->issue->articles[i]);
    if (j->issue->n == 0 && j->data == NULL) {
        diag_set(d, EX_DATAERR, "no articles selected; give article files or folders, "
            "or loosen --since/--tag");
        return fail(j, d);
    }
    return 0;
}

static int
prepare(struct job *j, int argc, char **argv, const char *cmd, const char *usage)
{
    struct prep_opts o;
    struct digest_opts dop;
    struct diag d = DIAG_INIT;
    int rc;

    memset(&o, 0, sizeof(o));
    if ((rc = parse_opts(j, &o, argc, argv, cmd, usage)) != 0)
        return rc;
    if (cli_config(j->c, &d) == -1)
        return fail(j, &d);
    if ((rc = load_issue(j, &o, cmd, &d)) != 0)
        return rc;
    j->list = subs_load(cli_subs_path(j->c), SUBS_MISSING_OK, NULL, &d);
    if (j->list == NULL)
        return fail(j, &d);
    buf_init(&j->secret, 0);
    if (config_secret(j->c->cfg, &j->secret, &d) == -1)
        return fail(j, &d);
    if (j->out != NULL && mkdir(j->out, 0755) == -1 && errno != EEXIST) {
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
        return fail(j, &d);
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
    /* digest.html and .txt are for everyone (no real address, no working token); only
       sample.eml is one message, to an example address (issue 14 item 6) */
    sub = example_subscriber(&tmp);
    if (digest_parts(j.digest, NULL, &subject, &text, &html, &d) == -1 ||
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

/* ---- preview --serve ------------------------------------------------------------- */

struct live {
    struct cli *c;
    int argc;
    char **argv;
};

/* One live rendering: everything read afresh (config, articles, templates, list). */
static void
live_render(void *ctx, const char *subscriber, struct preview_page *pg)
{
    struct live *lv = ctx;
    struct job j = { .c = lv->c };
    struct subscriber tmp;
    const struct subscriber *sub;
    struct buf unsub;
    int rc;

    buf_init(&unsub, 0);
    config_free(lv->c->cfg);
    lv->c->cfg = NULL;
    j.err = &pg->err;
    rc = prepare(&j, lv->argc, lv->argv, "preview", preview_usage);
    if (rc != 0) {
        if (!diag_is_set(&pg->err))
            diag_set(&pg->err, rc, "the preview cannot be made (exit %d)", rc);
        goto out;
    }
    for (size_t i = 0; j.list != NULL && i < j.list->n && i < PREVIEW_PICKER_MAX; i++) {
        pg->subscribers = xreallocarray(pg->subscribers, pg->nsubscribers + 1, sizeof(char *));
        pg->subscribers[pg->nsubscribers++] = xstrdup(j.list->v[i].email);
    }
    if (subscriber == NULL)
        subscriber = j.subscriber;
    if (subscriber != NULL) {
        if ((sub = subs_find(j.list, subscriber)) == NULL) {
            diag_set(&pg->err, EX_NOUSER, "%s is not on the list", subscriber);
            diag_path(&pg->err, cli_subs_path(lv->c));
            goto out;
        }
    } else
        sub = sample_subscriber(&j, &tmp);
    pg->current = xstrdup(sub->email);
    buf_puts(&pg->to, sub->email);
    if (digest_parts(j.digest, sub, &pg->subject, &pg->text, &pg->html, &pg->err) == -1 ||
        digest_message(j.digest, sub, &pg->eml, &pg->err) == -1)
        goto out;
    digest_unsubscribe_url(j.digest, sub->addr, &unsub);
    lint_message(buf_str(&pg->html), pg->html.len, buf_str(&pg->text), pg->text.len,
        unsub.len ? buf_str(&unsub) : NULL, lv->c->cfg->newsletter.postal_address,
        &pg->report);
out:
    buf_fini(&unsub);
    finish(&j);
}

static int
preview_serve(struct cli *c, struct job *first, int argc, char **argv)
{
    struct live lv = { c, argc, argv };
    struct preview_opts po;
    struct diag d = DIAG_INIT;
    const char *watch[16];
    size_t nw = 0;

    watch[nw++] = c->config_path ? c->config_path : CONFIG_DEFAULT_PATH;
    if (c->cfg != NULL) {
        watch[nw++] = c->cfg->paths.templates;
        watch[nw++] = cli_subs_path(c);
        if (first->npaths == 0 && first->issue_path == NULL)
            watch[nw++] = c->cfg->paths.articles;
    }
    if (first->templates != NULL)
        watch[nw++] = first->templates;
    if (first->issue_path != NULL)
        watch[nw++] = first->issue_path;
    for (size_t i = 0; i < first->npaths && nw < ARRAY_LEN(watch); i++)
        watch[nw++] = first->paths[i];
    memset(&po, 0, sizeof(po));
    po.port = first->port ? (int)first->port : PREVIEW_PORT;
    po.render = live_render;
    po.ctx = &lv;
    po.watch = watch;
    po.nwatch = nw;
    if (serve_preview(&po, &d) == -1)
        return cli_fail(&d);
    return 0;
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
    {
        /* --serve: errors after the options show in the page, not here */
        struct diag first = DIAG_INIT;
        bool serving = false;

        for (int i = 1; i < argc && !serving; i++)
            serving = strcmp(argv[i], "--serve") == 0 || strncmp(argv[i], "--port", 6) == 0;
        j.err = serving ? &first : NULL;
        rc = prepare(&j, argc, argv, "preview", preview_usage);
        if (serving && rc != -2 && rc != EX_USAGE) {
            if (diag_is_set(&first))
                diag_print(&first);
            j.err = NULL;
            rc = preview_serve(c, &j, argc, argv);
            goto out;
        }
    }
    if (rc != 0) {
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
