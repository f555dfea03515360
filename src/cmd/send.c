/*
 * cmd_send: one run of a campaign.  Picks the campaign (an issue file, articles given,
 * an unfinished campaign to resume, or the next issue of articles not sent before),
 * composes it, and hands the subscribers still due to the mailer.  Quiet on success.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "article.h"
#include "buf.h"
#include "campaign.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "inbox.h"
#include "digest.h"
#include "issue.h"
#include "journal.h"
#include "lint.h"
#include "log.h"
#include "mailer.h"
#include "reqlog.h"
#include "state.h"
#include "subs.h"
#include "transport.h"
#include "util.h"
#include "value.h"


static const char send_usage[] =
    "usage: gazette send [ARTICLE|FOLDER...] [--issue FILE] [--campaign ID]\n"
    "                    [--retry-failed ID] [--dry-run] [--test-to ADDRESS]\n"
    "                    [--limit N] [--shard I/N] [--min-articles N]\n"
    "                    [--since D] [--tag T] [--keep-going] [--force]\n"
    "\n"
    "Sends the digest to every active subscriber not yet sent this campaign.  Without\n"
    "articles or --issue it resumes an unfinished campaign, or else composes the next issue\n"
    "from the articles in paths.articles that no earlier campaign included (nothing new:\n"
    "it sends nothing, prints nothing and exits 0).  A second run of the same campaign\n"
    "while one is going exits 75 at once.\n"
    "\n"
    "  --campaign ID        name the campaign (default: issue-NUMBER)\n"
    "  --retry-failed ID    send again only to those of campaign ID that failed temporarily\n"
    "  --dry-run            compose and check every message, send nothing\n"
    "  --test-to ADDRESS    one copy to ADDRESS, outside the journal\n"
    "  --limit N            at most N messages this run\n"
    "  --shard I/N          only the I-th of N disjoint parts of the list (I from 1)\n"
    "  --min-articles N     send nothing when fewer new articles (default compose.min_articles)\n"
    "  --force              send even when the message fails the checks `gazette preview`\n"
    "                       reports as errors (no postal address, no unsubscribe link, an\n"
    "                       HTML part Gmail clips...); each one is logged\n"
    "\n"
    "Exit: 0 nothing left to do; 75 temporary failures left (retry later) or campaign busy;\n"
    "77 login refused; 76 TLS failure; 69 server refuses every message; 65 bad input.\n";

struct sendopts {
    const char *campaign, *retry_failed, *issue_path, *test_to;
    bool dry_run, force;
    long limit, min_articles;
    long shard_i, shard_n;
    struct issue_select sel;
    char *const *paths;
    size_t npaths;
};

/*
 * What bulk mail needs, checked on the message sub would get, before any connection
 * (issue 9): the errors `gazette preview` reports (lint.c: the postal address, a visible
 * unsubscribe link in both parts, the HTML part under Gmail's clipping size, absolute
 * links and images with alt text).  0 when clean or forced (each problem is then logged),
 * else -1 with d set (EX_DATAERR) after printing every problem.
 */
static int
send_gate(const struct config *cfg, const struct digest *g, const struct subscriber *sub,
    bool force, struct diag *d)
{
    struct buf subject, text, html, unsub, report;
    int errors = 0, rc = 0;

    buf_init(&subject, 0);
    buf_init(&text, 0);
    buf_init(&html, 0);
    buf_init(&unsub, 0);
    buf_init(&report, 0);
    if (digest_parts(g, sub, &subject, &text, &html, d) == -1) {
        rc = -1;
        goto out;
    }
    digest_unsubscribe_url(g, sub->addr, &unsub);
    errors = lint_message(buf_str(&html), html.len, buf_str(&text), text.len,
        unsub.len ? buf_str(&unsub) : NULL, cfg->newsletter.postal_address, &report);
    for (const char *p = buf_str(&report), *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        if (strncmp(p, "error: ", 7) != 0)
            continue;
        if (force)
            log_warnx("send --force: sending despite: %.*s", (int)(nl - p - 7), p + 7);
        else
            log_warnx("%.*s", (int)(nl - p - 7), p + 7);
    }
    if (errors > 0 && !force) {
        diag_set(d, EX_DATAERR, "refusing to send: %d problem%s above (`gazette preview` "
            "shows them); fix them, or send anyway with --force", errors,
            errors == 1 ? "" : "s");
        rc = -1;
    }
out:
    buf_fini(&subject);
    buf_fini(&text);
    buf_fini(&html);
    buf_fini(&unsub);
    buf_fini(&report);
    return rc;
}

static int
parse_shard(const char *s, long *i, long *n)
{
    const char *slash = strchr(s, '/');
    char tmp[32];

    if (slash == NULL || (size_t)(slash - s) >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, (size_t)(slash - s));
    tmp[slash - s] = '\0';
    if (parse_long(slash + 1, 1, 1000, n) == -1 || parse_long(tmp, 1, *n, i) == -1)
        return -1;
    return 0;
}

static void
article_opts_of(const struct config *cfg, struct article_opts *ao)
{
    memset(ao, 0, sizeof(*ao));
    ao->allow_html = cfg->compose.allow_html;
    ao->drop_patterns = (const char *const *)cfg->compose.drop_patterns;
    ao->ndrop = cfg->compose.ndrop;
}

/* issue_select.skip for cron: an article file an earlier campaign included. */
static bool
already_sent(void *ctx, const char *path)
{
    char abs[PATH_MAX];

    return campaign_list_has(ctx, realpath(path, abs) != NULL ? abs : path);
}

/*
 * Compose campaign ID as it was, from its manifest in the state folder.  Returns 0 with
 * *id and *is set, 1 when ID has no manifest, -1 on error (d says why).
 */
static int
load_campaign(const struct config *cfg, const struct article_opts *ao, const char *want,
    char **id, struct issue **is, struct diag *d)
{
    char *manifest = campaign_manifest(cfg->paths.state_dir, want);

    if (manifest == NULL)
        return 1;
    *id = xstrdup(want);
    *is = campaign_manifest_check(cfg->paths.state_dir, manifest, d) == -1 ? NULL :
        issue_load(manifest, ao, NULL, d);
    free(manifest);
    return *is != NULL ? 0 : -1;
}

/*
 * Cron, first step: finish what earlier runs left unfinished, oldest first.  Temporary
 * failures left by a run are retried after smtp.retry_after, for up to smtp.retry_for
 * after the campaign began; no new issue before them.  Returns 0 with *is set when a
 * campaign is to be resumed, 0 with *is NULL and *wait true when the next retry is not
 * due yet, 1 when nothing is unfinished, -1 on error.
 */
static int
pick_unfinished(const struct config *cfg, const struct article_opts *ao,
    const struct campaign_list *cl, char **id, struct issue **is, bool *wait, struct diag *d)
{
    *wait = false;
    for (size_t i = 0; i < cl->n; i++) {
        const char *cid = cl->v[i].id;
        time_t since, now = time(NULL);
        int rc;

        if (cl->v[i].done)
            continue;
        if ((since = campaign_retry_since(cfg->paths.state_dir, cid)) != 0) {
            if ((double)now - cl->v[i].created >= (double)cfg->smtp.retry_for) {
                log_warnx("campaign %s: temporary failures retried for %ld s "
                    "(smtp.retry_for); giving up, 'gazette status %s' lists them",
                    cid, cfg->smtp.retry_for, cid);
                if (campaign_mark_done(cfg->paths.state_dir, cid, d) == -1)
                    return -1;
                campaign_clear_retry(cfg->paths.state_dir, cid);
                continue;
            }
            if (now - since < cfg->smtp.retry_after) {
                log_info("campaign %s: its temporary failures are retried from %ld s "
                    "from now (smtp.retry_after); nothing to send before", cid,
                    (long)(cfg->smtp.retry_after - (now - since)));
                *wait = true;
                return 0;
            }
        }
        if ((rc = load_campaign(cfg, ao, cid, id, is, d)) == 1)
            diag_set(d, EX_SOFTWARE, "campaign %s lost its manifest while gazette "
                "read the state folder; run again", cid);
        return rc == 0 ? 0 : -1;
    }
    return 1;
}

/*
 * Cron, second step: the next issue, made of the articles no campaign has included yet
 * (those are not even read).  *is stays NULL when there are fewer than the minimum.
 */
static int
pick_new(const struct config *cfg, const struct sendopts *so, const struct article_opts *ao,
    struct campaign_list *cl, struct issue **is, struct diag *d)
{
    char *dir = cfg->paths.articles;
    struct issue_select sel = so->sel;
    long min = so->min_articles >= 0 ? so->min_articles : cfg->compose.min_articles;
    struct issue *all;
    size_t k = 0;

    sel.skip = already_sent;
    sel.skip_ctx = cl;
    if ((all = issue_from_paths(&dir, 1, ao, &sel, d)) == NULL) {
        if (d->code == EX_NOINPUT && access(dir, F_OK) != 0) {
            /* not "nothing to send": a cron line without its cd lands here */
            diag_clear(d);
            diag_set(d, EX_NOINPUT, "the articles folder (paths.articles) does not "
                "exist; create it, or run gazette where %s is (cd in the cron line)",
                cfg->path ? cfg->path : "gazette.yaml");
            diag_path(d, dir);
        }
        return -1;
    }
    for (size_t i = 0; i < all->n; i++) {
        if (cfg->compose.max_articles > 0 && (long)k >= cfg->compose.max_articles)
            article_free(all->articles[i]);
        else
            all->articles[k++] = all->articles[i];
    }
    all->n = k;
    if (k == 0 || (long)k < min) {
        log_info("%zu new article(s), fewer than %ld: nothing to send", k, min > 1 ? min : 1);
        issue_free(all);
        return 0;
    }
    all->info.number = cl->last_number + 1;
    *is = all;
    return 0;
}

/*
 * Decide the campaign and its issue.  *id is set (caller frees); *is is NULL when there is
 * nothing to send (not an error).
 */
static int
pick(struct cli *c, const struct sendopts *so, char **id, struct issue **is, struct diag *d)
{
    const struct config *cfg = c->cfg;
    struct campaign_list cl;
    struct article_opts ao;
    bool wait = false;
    int rc = -1;

    *id = NULL;
    *is = NULL;
    article_opts_of(cfg, &ao);
    if (campaign_list(cfg->paths.state_dir, &cl, d) == -1)
        return -1;
    if (so->retry_failed != NULL || so->campaign != NULL) {
        const char *want = so->retry_failed ? so->retry_failed : so->campaign;

        if ((rc = load_campaign(cfg, &ao, want, id, is, d)) != 1)
            goto out;           /* an existing campaign: compose it as it was */
        rc = -1;
        if (so->retry_failed != NULL) {
            diag_set(d, EX_DATAERR, "there is no campaign \"%s\"; see 'gazette status'", want);
            goto out;
        }
    }
    if (so->issue_path != NULL || so->npaths > 0) {
        *is = so->issue_path ? issue_load(so->issue_path, &ao, &so->sel, d) :
            issue_from_paths(so->paths, so->npaths, &ao, &so->sel, d);
        if (*is == NULL)
            goto out;
        if (so->issue_path == NULL)
            (*is)->info.number = cl.last_number + 1;
    } else {
        /* not when --campaign names a new campaign: that one is made of new articles */
        rc = so->campaign == NULL ? pick_unfinished(cfg, &ao, &cl, id, is, &wait, d) : 1;
        if (rc != 1)
            goto out;
        if ((rc = pick_new(cfg, so, &ao, &cl, is, d)) == -1 || *is == NULL)
            goto out;
    }
    if (*id == NULL) {
        if (so->campaign != NULL)
            *id = xstrdup(so->campaign);
        else {
            char name[32];

            (void)snprintf(name, sizeof(name), "issue-%ld", (*is)->info.number);
            *id = xstrdup(name);
        }
    }
    rc = 0;
out:
    campaign_list_fini(&cl);
    if (rc == -1) {
        free(*id);
        *id = NULL;
        issue_free(*is);
        *is = NULL;
    }
    return rc;
}

int
send_pick_next(struct cli *c, const struct issue_select *sel, char **id, struct issue **is,
    struct diag *d)
{
    struct sendopts so;

    memset(&so, 0, sizeof(so));
    so.min_articles = -1;
    if (sel != NULL)
        so.sel = *sel;
    so.sel.oldest_first = c->cfg->compose.order == CONFIG_ORDER_OLDEST;
    return pick(c, &so, id, is, d);
}

/* Seconds since the campaign began (its manifest was written); 0 when unknown. */
static double
campaign_age(const struct config *cfg, const char *id)
{
    char *m = campaign_manifest(cfg->paths.state_dir, id);
    struct stat st;
    double age = m != NULL && stat(m, &st) == 0 ? difftime(time(NULL), st.st_mtime) : 0;

    free(m);
    return age;
}

static void
summary(const char *id, const struct mailer_stats *st, bool always)
{
    char line[512];

    snprintf(line, sizeof(line), "campaign %s: %zu sent, %zu failed (%zu temporary, %zu "
        "permanent, %zu uncertain), %zu retried, in %.1f s (%.0f msg/s)", id, st->sent,
        st->tempfail + st->permfail + st->uncertain, st->tempfail, st->permfail,
        st->uncertain, st->retried, st->seconds, st->seconds > 0 ?
        (double)st->sent / st->seconds : 0.0);
    if (always)
        log_warnx("%s", line);
    else
        log_info("%s", line);
}

/* Options into so; -1 to go on, else the exit code (0 after --help, EX_USAGE). */
static int
parse_opts(int argc, char **argv, struct sendopts *so)
{
    static const struct option opts[] = {
        { "campaign", required_argument, NULL, 'C' },
        { "retry-failed", required_argument, NULL, 'R' },
        { "issue", required_argument, NULL, 'i' },
        { "dry-run", no_argument, NULL, 'n' },
        { "test-to", required_argument, NULL, 'T' },
        { "limit", required_argument, NULL, 'l' },
        { "shard", required_argument, NULL, 'S' },
        { "min-articles", required_argument, NULL, 'm' },
        { "since", required_argument, NULL, 's' },
        { "tag", required_argument, NULL, 't' },
        { "keep-going", no_argument, NULL, 'k' },
        { "force", no_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    time_t day;
    int ch;

    memset(so, 0, sizeof(*so));
    so->min_articles = -1;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "C:R:i:nT:l:S:m:s:t:khvq", opts, NULL)) != -1) {
        switch (ch) {
        case 'C':
            so->campaign = optarg;
            break;
        case 'R':
            so->retry_failed = optarg;
            break;
        case 'i':
            so->issue_path = optarg;
            break;
        case 'n':
            so->dry_run = true;
            break;
        case 'T':
            so->test_to = optarg;
            break;
        case 'l':
            if (parse_long(optarg, 1, 100000000, &so->limit) == -1)
                return cli_usage("send", "--limit takes a number from 1");
            break;
        case 'S':
            if (parse_shard(optarg, &so->shard_i, &so->shard_n) == -1)
                return cli_usage("send", "--shard takes I/N with 1 <= I <= N, such as 2/4");
            break;
        case 'm':
            if (parse_long(optarg, 0, 1000, &so->min_articles) == -1)
                return cli_usage("send", "--min-articles takes a number from 0 to 1000");
            break;
        case 's':
            if (issue_parse_day(optarg, &day) == -1)
                return cli_usage("send", "--since takes a date such as 2026-11-01");
            so->sel.since = optarg;
            break;
        case 't':
            so->sel.tag = optarg;
            break;
        case 'k':
            so->sel.keep_going = true;
            break;
        case 'F':
            so->force = true;
            break;
        case 'h':
            fputs(send_usage, stdout);
            return 0;
        case 'v':
        case 'q':
            cli_verbosity(ch);
            break;
        default:
            return cli_usage("send", "bad option");
        }
    }
    so->paths = argv + optind;
    so->npaths = (size_t)(argc - optind);
    if (so->retry_failed != NULL && (so->issue_path != NULL || so->npaths > 0 ||
        so->campaign))
        return cli_usage("send", "--retry-failed takes the campaign from its journal alone");
    if (so->issue_path != NULL && so->npaths > 0)
        return cli_usage("send", "give --issue or articles, not both");
    return -1;
}

/* What one run holds, from the campaign picked to the mailer's numbers. */
struct run {
    struct cli *c;
    struct sendopts so;
    char *id;
    struct issue *is;
    struct subs *list;
    struct digest *g;
    struct journal *jn;
    struct buf secret, password;
    struct mailer_opts mo;
    struct mailer_stats st;
};

/* The list, the secrets and the composed digest; the mailer's options. */
static int
prepare(struct run *r, struct diag *d)
{
    const struct config *cfg = r->c->cfg;
    struct digest_opts dop;

    /* what `gazette serve` accepted first: an acknowledged unsubscribe is never sent to */
    if (cli_apply_requests(r->c, d) == -1 ||
        (r->list = subs_load(cli_subs_path(r->c), 0, NULL, d)) == NULL ||
        config_secret(cfg, &r->secret, d) == -1 ||
        (!r->so.dry_run && config_password(cfg, &r->password, d) == -1))
        return -1;
    memset(&dop, 0, sizeof(dop));
    dop.cfg = cfg;
    dop.secret = buf_str(&r->secret);
    dop.summaries = (const char *const *)r->is->summaries;
    dop.campaign = r->id;
    if ((r->g = digest_new(&dop, r->is->articles, r->is->n, &r->is->info, d)) == NULL)
        return -1;
    if (cfg->smtp.transport != CONFIG_TRANSPORT_MAILDIR &&
        cfg->newsletter.unsubscribe_url == NULL && cfg->newsletter.unsubscribe_mailto == NULL) {
        diag_set(d, EX_CONFIG, "refusing to send a newsletter without a way to unsubscribe; "
            "set newsletter.unsubscribe_url or newsletter.unsubscribe_mailto");
        diag_path(d, cfg->path ? cfg->path : "built-in configuration");
        return -1;
    }
    memset(&r->mo, 0, sizeof(r->mo));
    r->mo.cfg = cfg;
    r->mo.digest = r->g;
    r->mo.campaign = r->id;
    r->mo.password = r->password.len ? buf_str(&r->password) : NULL;
    r->mo.log_path = cfg->paths.log_file;
    r->mo.syslog = cfg->log.syslog;
    r->mo.progress = log_level() >= LOGLEVEL_VERBOSE && isatty(2);
    r->mo.progress_lines = log_level() >= LOGLEVEL_VERBOSE && !isatty(2);
    return 0;
}

/* --test-to: one copy, outside the journal; the exit code. */
static int
send_test(struct run *r)
{
    struct diag d = DIAG_INIT;
    struct subscriber one;
    const struct subscriber *p = &one;
    char canon[ADDR_BUF];
    const char *why;
    int rc = 0;

    if (addr_check(r->so.test_to, strlen(r->so.test_to), canon, &why) == -1)
        return cli_usage("send", "--test-to: \"%s\" is not a valid address: %s",
            r->so.test_to, why);
    memset(&one, 0, sizeof(one));
    one.email = r->so.test_to;
    one.addr = canon;
    one.name = "";
    one.subscribed_at = "";
    r->mo.log_path = NULL;
    r->mo.progress_lines = false;
    if (send_gate(r->c->cfg, r->g, &one, r->so.force, &d) == -1)
        return cli_fail(&d);
    if (r->so.dry_run) {
        struct buf m;

        buf_init(&m, 0);
        rc = digest_message(r->g, &one, &m, &d) == -1 ? cli_fail(&d) : 0;
        if (rc == 0 && log_level() >= LOGLEVEL_NORMAL)
            printf("dry run: the test message to %s composed (%zu bytes), nothing sent\n",
                r->so.test_to, m.len);
        buf_fini(&m);
        return rc;
    }
    if (mailer_run(&r->mo, &p, 1, &r->st, &d) == -1)
        return cli_fail(&d);
    if (r->st.sent != 1) {
        log_warnx("the test message to %s was not accepted; see -vv for the reply",
            r->so.test_to);
        return EX_TEMPFAIL;
    }
    if (log_level() >= LOGLEVEL_NORMAL)
        printf("test message sent to %s via %s (campaign %s is not changed)\n",
            r->so.test_to, config_transport_name(r->c->cfg), r->id);
    return 0;
}

/* The campaign's subject, for status (as everyone gets it; personal parts by name). */
static void
save_subject(struct run *r)
{
    struct buf subj, tx, ht;
    struct diag sd = DIAG_INIT;

    buf_init(&subj, 0);
    buf_init(&tx, 0);
    buf_init(&ht, 0);
    if (digest_parts(r->g, NULL, &subj, &tx, &ht, &sd) == 0)
        (void)campaign_save_subject(r->c->cfg->paths.state_dir, r->id, buf_str(&subj), &sd);
    buf_fini(&subj);
    buf_fini(&tx);
    buf_fini(&ht);
}

/*
 * The campaign's journal: one run at a time (a busy one is 75, quietly), and what was
 * done already; the manifest is saved with the first run.  A dry run only reads it (none
 * yet is fine).  -1 to go on, else the exit code.
 */
static int
open_journal(struct run *r)
{
    const char *state = r->c->cfg->paths.state_dir;
    struct diag d = DIAG_INIT;
    char *jdir = campaign_dir(state), *mf = NULL;
    int rc = -1;

    if (r->so.dry_run) {
        r->jn = journal_read(jdir, r->id, &d);     /* may be NULL: nothing sent yet */
        goto out;
    }
    if ((r->jn = journal_open(jdir, r->id, &d)) == NULL) {
        if (d.code == EX_TEMPFAIL) {
            log_info("%s", d.msg);      /* another run has it: quietly try later */
            rc = EX_TEMPFAIL;
        } else
            rc = cli_fail(&d);
        goto out;
    }
    if ((mf = campaign_manifest(state, r->id)) == NULL) {
        if (campaign_save(state, r->id, r->is, &d) == -1)
            rc = cli_fail(&d);
        else
            save_subject(r);
    }
out:
    free(mf);
    free(jdir);
    return rc;
}

/* --dry-run: compose every due message, send none; the exit code. */
static int
dry_run(struct run *r, const struct subscriber **todo, size_t ntodo)
{
    struct diag d = DIAG_INIT;
    struct buf m;
    size_t bytes = 0;
    int rc = 0;

    buf_init(&m, 0);
    for (size_t i = 0; i < ntodo; i++) {
        buf_reset(&m);
        if (digest_message(r->g, todo[i], &m, &d) == -1) {
            diag_path(&d, todo[i]->email);
            rc = cli_fail(&d);
            goto out;
        }
        bytes += m.len;
    }
    if (log_level() >= LOGLEVEL_NORMAL)
        printf("campaign %s: dry run: %zu message(s) composed (%zu bytes) for %zu "
            "article(s), nothing sent (they would go via %s)\n", r->id, ntodo, bytes,
            r->is->n, config_transport_name(r->c->cfg));
out:
    buf_fini(&m);
    return rc;
}

/*
 * After the mailer: bounce bookkeeping, the done marker (only when this run covered the
 * whole list: after --limit or --shard the next plain run must resume the campaign, not
 * start another), the summary; the exit code.
 */
static int
finish(struct run *r, bool cut)
{
    const struct config *cfg = r->c->cfg;
    const struct mailer_stats *st = &r->st;
    struct diag d = DIAG_INIT;
    int rc = 0, bounce_rc = 0;

    if (st->nbounced > 0) {
        size_t marked = 0;

        if (campaign_record_bounces(cfg->paths.state_dir, cli_subs_path(r->c), st->bounced,
            st->nbounced, cfg->smtp.bounce_after, &marked, &d) == -1)
            bounce_rc = cli_fail(&d);
        else if (marked > 0)
            log_info("%zu address(es) marked bounced after %ld permanent failures", marked,
                cfg->smtp.bounce_after);
    }
    diag_clear(&d);
    if (cut || r->so.shard_n > 0)
        log_info("campaign %s is not finished: the next run goes on with it", r->id);
    else if (st->tempfail > 0 && campaign_age(cfg, r->id) < (double)cfg->smtp.retry_for) {
        /* not done: a later plain run retries them (issue 14 item 10) */
        if (campaign_mark_retry(cfg->paths.state_dir, r->id, &d) == -1)
            log_warnx("%s", d.msg);
    } else {
        campaign_clear_retry(cfg->paths.state_dir, r->id);
        if (campaign_mark_done(cfg->paths.state_dir, r->id, &d) == -1)
            log_warnx("%s", d.msg);
    }
    if (st->tempfail > 0 || st->uncertain > 0) {
        bool later = st->tempfail > 0 || (st->uncertain > 0 && cfg->smtp.resend_uncertain);

        summary(r->id, st, true);
        if (st->tempfail > 0 && !cut && r->so.shard_n == 0 &&
            campaign_retry_since(cfg->paths.state_dir, r->id) != 0)
            log_warnx("%zu left to retry: a plain run %ld s from now or later retries them "
                "(smtp.retry_after), or at once 'gazette send --retry-failed %s'; 'gazette "
                "status %s' lists them", st->tempfail, cfg->smtp.retry_after, r->id, r->id);
        else if (st->tempfail > 0)
            log_warnx("%zu left to retry: 'gazette send --retry-failed %s' later; 'gazette "
                "status %s' lists them", st->tempfail, r->id, r->id);
        if (st->uncertain > 0)
            log_warnx("%zu message(s) uncertain: the server may have them (its reply after "
                "the data was lost); 'gazette status %s' lists them", st->uncertain, r->id);
        /* 75 says "run again later"; uncertain copies are resent only if configured */
        rc = later ? EX_TEMPFAIL : 0;
    } else if (st->permfail > 0) {
        summary(r->id, st, true);
        log_warnx("%zu address(es) refused permanently; 'gazette status %s' lists them",
            st->permfail, r->id);
    } else
        summary(r->id, st, false);
    if (cfg->log.syslog)
        log_syslog(st->tempfail + st->permfail > 0, "campaign %s: %zu sent, %zu failed",
            r->id, st->sent, st->tempfail + st->permfail + st->uncertain);
    if (bounce_rc != 0 && rc == 0)
        rc = bounce_rc;             /* the bounce history needs a look (EX_IOERR) */
    return rc;
}

int
cmd_send(struct cli *c, int argc, char **argv)
{
    struct run r;
    struct diag d = DIAG_INIT;
    struct campaign_due_opts due;
    const struct subscriber **todo = NULL;
    size_t ntodo;
    bool cut = false;
    int rc;

    memset(&r, 0, sizeof(r));
    r.c = c;
    if ((rc = parse_opts(argc, argv, &r.so)) != -1)
        return rc;
    rc = 0;
    buf_init(&r.secret, 0);
    buf_init(&r.password, 0);
    if (cli_config(c, &d) == -1 ||
        state_dir_check(c->cfg->paths.state_dir, "campaigns", &d) == -1)
        return cli_fail(&d);
    r.so.sel.articles_dir = c->cfg->paths.articles;    /* url: entries are fetched there */
    r.so.sel.oldest_first = c->cfg->compose.order == CONFIG_ORDER_OLDEST;
    /* no list is an error even when there is nothing new (a cron line in the wrong folder
       must not stay silent); nothing new with a list is quiet */
    if (access(cli_subs_path(c), F_OK) != 0) {
        diag_set(&d, EX_NOINPUT, "cannot read the subscriber list: %s; run gazette where "
            "%s is (cd in the cron line), or set paths.subscribers", strerror(errno),
            c->cfg->path ? c->cfg->path : "gazette.yaml");
        diag_path(&d, cli_subs_path(c));
        return cli_fail(&d);
    }
    if (pick(c, &r.so, &r.id, &r.is, &d) == -1) {
        rc = cli_fail(&d);
        goto out;
    }
    if (r.is == NULL)
        goto out;                       /* nothing new: quiet, 0 */
    if (prepare(&r, &d) == -1) {
        rc = cli_fail(&d);
        goto out;
    }
    if (r.so.test_to != NULL) {
        rc = send_test(&r);
        goto out;
    }
    /* before the journal is touched: a refused issue leaves no campaign behind */
    for (size_t i = 0; i < r.list->n; i++) {
        if (r.list->v[i].status != SUBS_ACTIVE)
            continue;
        if (send_gate(c->cfg, r.g, &r.list->v[i], r.so.force, &d) == -1) {
            rc = cli_fail(&d);
            goto out;
        }
        break;
    }
    if ((rc = open_journal(&r)) != -1)
        goto out;
    rc = 0;
    due = (struct campaign_due_opts){
        .retry_failed = r.so.retry_failed != NULL,
        .resend_uncertain = c->cfg->smtp.resend_uncertain,
        .shard_i = r.so.shard_i, .shard_n = r.so.shard_n, .limit = r.so.limit,
    };
    ntodo = campaign_due(r.list, r.jn, &due, &todo, &cut);
    if (r.so.dry_run) {
        rc = dry_run(&r, todo, ntodo);
        goto out;
    }
    r.mo.journal = r.jn;
    log_info("campaign %s: %zu article(s), %zu subscriber(s) to send to via %s", r.id,
        r.is->n, ntodo, config_transport_name(c->cfg));
    if (c->cfg->smtp.transport != CONFIG_TRANSPORT_MAILDIR && !c->cfg->smtp.tls_verify)
        log_warnx("smtp.tls_verify is false: TLS certificates are NOT checked");
    campaign_clear_stopped(c->cfg->paths.state_dir, r.id);
    if (mailer_run(&r.mo, todo, ntodo, &r.st, &d) == -1) {
        struct diag sd = DIAG_INIT;

        summary(r.id, &r.st, true);
        rc = cli_fail(&d);
        (void)campaign_mark_stopped(c->cfg->paths.state_dir, r.id, d.msg, &sd);
        goto out;
    }
    rc = finish(&r, cut);
out:
    diag_clear(&d);
    if (r.jn != NULL && journal_close(r.jn, &d) == -1 && rc == 0)
        rc = cli_fail(&d);
    mailer_stats_fini(&r.st);
    free(todo);
    free(r.id);
    digest_free(r.g);
    issue_free(r.is);
    subs_free(r.list);
    if (r.password.p != NULL)
        explicit_bzero(r.password.p, r.password.len);
    if (r.secret.p != NULL)
        explicit_bzero(r.secret.p, r.secret.len);
    buf_fini(&r.password);
    buf_fini(&r.secret);
    return rc;
}

/* ---- status ------------------------------------------------------------------------ */

struct failures {
    size_t shown;
};

static void
show_failure(void *ctx, const char *addr, const struct journal_entry *e)
{
    struct failures *f = ctx;

    if (e->state == JOURNAL_SENT || e->state == JOURNAL_NONE || e->state == JOURNAL_SKIPPED)
        return;
    if (f->shown++ == 0)
        printf("%-40s %-10s %-8s %s\n", "ADDRESS", "STATE", "TRIES", "LAST REPLY");
    char code[16];

    /* the reply text is the whole reply, code included: print it once (issue 14) */
    snprintf(code, sizeof(code), "%d ", e->code);
    if (strncmp(e->text, code, strlen(code)) == 0 || e->code == 0)
        printf("%-40s %-10s %-8d %s\n", addr, journal_state_name(e->state), e->attempts,
            e->text[0] ? e->text : "(no reply)");
    else
        printf("%-40s %-10s %-8d %d %s %s\n", addr, journal_state_name(e->state), e->attempts,
            e->code, e->enhanced, e->text);
}

/* s as a JSON string (campaign ids are ours: letters, digits, - _ .; escaped anyway). */
static void
json_str(const char *s)
{
    struct buf b;

    buf_init(&b, 0);
    value_json_string(&b, s, strlen(s));
    fputs(buf_str(&b), stdout);
    buf_fini(&b);
}

/* Subscribers' requests accepted by `gazette serve` and not yet in the list. */
static void
show_requests(struct cli *c)
{
    struct diag d = DIAG_INIT;
    size_t n;
    time_t oldest;
    char when[32];
    struct tm tm;

    if (reqlog_pending(c->cfg->paths.state_dir, &n, &oldest, &d) == -1) {
        diag_print(&d);
        return;
    }
    if (n == 0)
        return;
    gmtime_r(&oldest, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("subscriber requests: %zu pending (oldest %s); the next send or 'gazette "
        "subscribers' applies them\n", n, when);
}

/* `gazette status CAMPAIGN`: the counts and every address that did not get its copy. */
static int
status_one(const char *dir, const char *id)
{
    struct diag d = DIAG_INIT;
    struct journal *jn = journal_read(dir, id, &d);
    struct journal_counts n;
    struct failures f = { 0 };

    if (jn == NULL) {
        if (d.code == EX_NOINPUT) {
            log_warnx("no campaign \"%s\"; 'gazette status' lists them", id);
            return EX_NOINPUT;
        }
        return cli_fail(&d);
    }
    journal_counts(jn, &n);
    printf("campaign %s: %zu sent, %zu temporary failures, %zu permanent failures, %zu "
        "uncertain\n", id, n.n[JOURNAL_SENT], n.n[JOURNAL_TEMPFAIL],
        n.n[JOURNAL_PERMFAIL], n.n[JOURNAL_UNCERTAIN]);
    journal_each(jn, show_failure, &f);
    journal_close(jn, NULL);
    return 0;
}

/* One line of `gazette status`: a campaign as its journal and state files tell it. */
struct status_row {
    const struct campaign_info *ci;
    struct journal_counts n;
    struct inbox_counts ic;     /* what came back (gazette inbox) */
    long pid;                   /* a run sending it now: its pid, -1 unknown, 0 none */
    char *stopped, *subject;
    time_t next;                /* the next retry, 0 none */
    char state[48], when[32], nextw[32];
};

static void
status_row_load(const struct config *cfg, const char *dir, const struct campaign_info *ci,
    struct status_row *r)
{
    struct diag d = DIAG_INIT;
    struct journal *jn = journal_read(dir, ci->id, &d);
    time_t since, created = (time_t)ci->created;
    struct tm tm;

    memset(r, 0, sizeof(*r));
    r->ci = ci;
    if (jn != NULL) {
        journal_counts(jn, &r->n);
        journal_close(jn, NULL);
    }
    diag_clear(&d);
    r->pid = ci->done ? 0 : journal_sender(dir, ci->id);
    r->stopped = ci->done || r->pid != 0 ? NULL : campaign_stopped(cfg->paths.state_dir, ci->id);
    r->subject = campaign_subject(cfg->paths.state_dir, ci->id);
    since = ci->done ? 0 : campaign_retry_since(cfg->paths.state_dir, ci->id);
    /* a run that is sending has messages in flight, not uncertain ones (issue 14) */
    if (r->pid != 0)
        snprintf(r->state, sizeof(r->state), r->pid > 0 ? "sending (pid %ld)" : "sending",
            r->pid);
    else if (ci->done)
        snprintf(r->state, sizeof(r->state), "done");
    else if (r->stopped != NULL)
        snprintf(r->state, sizeof(r->state), "stopped");
    else if (since != 0) {
        r->next = since + (time_t)cfg->smtp.retry_after;
        gmtime_r(&r->next, &tm);
        strftime(r->nextw, sizeof(r->nextw), "%Y-%m-%d %H:%M UTC", &tm);
        snprintf(r->state, sizeof(r->state), "retrying");
    } else
        snprintf(r->state, sizeof(r->state), "unfinished");
    gmtime_r(&created, &tm);
    strftime(r->when, sizeof(r->when), "%Y-%m-%d %H:%M", &tm);
    if (inbox_campaign_counts(cfg->paths.state_dir, ci->id, &r->ic, &d) == -1)
        memset(&r->ic, 0, sizeof(r->ic));
    diag_clear(&d);
}

static void
json_str_or_null(const char *s)
{
    if (s != NULL)
        json_str(s);
    else
        fputs("null", stdout);
}

static void
status_row_json(const struct status_row *r, bool first)
{
    const struct journal_counts *n = &r->n;

    printf("%s\n  {\"id\": ", first ? "" : ",");
    json_str(r->ci->id);
    printf(", \"issue\": %ld, \"state\": \"%s\", \"pid\": %ld, \"created\": \"%s\", "
        "\"sent\": %zu, \"tempfail\": %zu, \"permfail\": %zu, \"%s\": %zu, "
        "\"bounces\": %zu, \"complaints\": %zu, \"unsubscribes\": %zu, "
        "\"next_retry\": %s%s%s", r->ci->number, r->pid != 0 ? "sending" : r->state,
        r->pid > 0 ? r->pid : 0, r->when, n->n[JOURNAL_SENT], n->n[JOURNAL_TEMPFAIL],
        n->n[JOURNAL_PERMFAIL], r->pid != 0 ? "in_flight" : "uncertain",
        n->n[JOURNAL_UNCERTAIN], r->ic.bounces, r->ic.complaints, r->ic.unsubscribes,
        r->next ? "\"" : "", r->next ? r->nextw : "null", r->next ? "\"" : "");
    fputs(", \"reason\": ", stdout);
    json_str_or_null(r->stopped);
    fputs(", \"subject\": ", stdout);
    json_str_or_null(r->subject);
    putchar('}');
}

static void
status_row_text(const struct status_row *r)
{
    const struct journal_counts *n = &r->n;

    printf("%-24s issue %-4ld %-9s %6zu sent %6zu failed %6zu %s  %s%s%s%s%s",
        r->ci->id, r->ci->number, r->state, n->n[JOURNAL_SENT],
        n->n[JOURNAL_TEMPFAIL] + n->n[JOURNAL_PERMFAIL], n->n[JOURNAL_UNCERTAIN],
        r->pid != 0 ? "in flight" : "uncertain", r->when, r->next ? ", next try after " : "",
        r->nextw, r->stopped ? ": " : "", r->stopped ? r->stopped : "");
    if (r->ic.bounces + r->ic.complaints + r->ic.unsubscribes > 0)
        printf(" %6zu bounces %6zu complaints %6zu unsubscribes", r->ic.bounces,
            r->ic.complaints, r->ic.unsubscribes);
    putchar('\n');
    if (r->subject != NULL && log_level() >= LOGLEVEL_NORMAL)
        printf("%-24s \"%s\"\n", "", r->subject);
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
    struct diag d = DIAG_INIT;
    struct campaign_list cl;
    char *dir;
    int rc;
    bool json = false;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: gazette status [--format json] [CAMPAIGN]\n\nWithout CAMPAIGN: every "
            "campaign with its state (done, unfinished, retrying,\nsending (pid N)), counts "
            "and date; --format json for monitoring.  With it: the\ncounts and every address "
            "that did not get its copy, with the server's last reply.");
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "--format") == 0) {
        if (strcmp(argv[2], "json") != 0 && strcmp(argv[2], "text") != 0)
            return cli_usage("status", "--format takes text or json");
        json = strcmp(argv[2], "json") == 0;
        argv += 2;
        argc -= 2;
    }
    if (argc > 2)
        return cli_usage("status", "give at most one CAMPAIGN");
    if (json && argc > 1)
        return cli_usage("status", "--format json is for the list of campaigns");
    if (cli_config(c, &d) == -1 ||
        state_dir_check(c->cfg->paths.state_dir, "campaigns", &d) == -1)
        return cli_fail(&d);
    dir = campaign_dir(c->cfg->paths.state_dir);
    if (argc == 2) {
        rc = status_one(dir, argv[1]);
        free(dir);
        return rc;
    }
    if (campaign_list(c->cfg->paths.state_dir, &cl, &d) == -1) {
        free(dir);
        return cli_fail(&d);
    }
    if (cl.n == 0 && log_level() >= LOGLEVEL_NORMAL && !json)
        puts("no campaigns yet");
    if (json)
        fputs("[", stdout);
    for (size_t i = 0; i < cl.n; i++) {
        struct status_row r;

        status_row_load(c->cfg, dir, &cl.v[i], &r);
        if (json)
            status_row_json(&r, i == 0);
        else
            status_row_text(&r);
        free(r.stopped);
        free(r.subject);
    }
    if (json)
        fputs(cl.n ? "\n]\n" : "]\n", stdout);
    campaign_list_fini(&cl);
    free(dir);
    show_requests(c);
    return 0;
}
