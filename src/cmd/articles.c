/*
 * cmd_articles: article diagnostics: title, source, author, date as printed and as ISO
 * 8601, url, paragraphs, and the noise lines dropped from a scraped page, with why.
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "article.h"
#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "fetch.h"
#include "digest.h"
#include "log.h"
#include "text.h"
#include "util.h"
#include "value.h"

#define PREVIEW_BYTES 70         /* of each paragraph in the text listing */

static const char usage_text[] =
    "usage: gazette articles FILE|URL... [--format text|json|yaml] [--keep-going]\n"
    "       gazette articles fetch URL... [--out DIR] [--timeout SECONDS]\n"
    "\n"
    "Shows what gazette made of each article: every field (title, source, author, date as\n"
    "printed and as ISO 8601, url, summary, language) with where it came from, the\n"
    "paragraphs and, for scraped pages, each line it dropped and why.  A URL is fetched and\n"
    "read but not saved.\n"
    "\n"
    "fetch: fetch each page (http/https) and save it as a Markdown article with front\n"
    "matter (all fields, url, fetched) into DIR (default: paths.articles), named from its\n"
    "date and title, to read and edit before composing.  A page that cannot be fetched\n"
    "is named with the HTTP status or the error, and nothing is written for it.\n";

static const char *const formats[] = { "Markdown", "YAML", "scraped text", "HTML" };

static struct value *
describe(const struct article *a)
{
    struct value *v = article_to_value(a), *noise = value_new(VALUE_LIST);

    value_set_str(v, "path", a->path);
    value_set_str(v, "format", formats[a->format]);
    for (size_t i = 0; i < a->nnoise; i++) {
        struct value *n = value_new(VALUE_MAP);

        value_set(n, "line", value_new_num(a->noise[i].line));
        value_set_str(n, "text", a->noise[i].text);
        value_set_str(n, "why", a->noise[i].why);
        value_push(noise, n);
    }
    value_set(v, "noise", noise);
    {
        struct value *from = value_new(VALUE_MAP), *warn = value_new(VALUE_LIST);
        const char *const names[] = { "title", "url", "source", "author", "date", "summary",
            "image" };
        const char *const vals[] = { a->from.title, a->from.url, a->from.source,
            a->from.author, a->from.date, a->from.summary, a->from.image };

        for (size_t i = 0; i < ARRAY_LEN(names); i++)
            if (vals[i] != NULL)
                value_set_str(from, names[i], vals[i]);
        value_set(v, "from", from);
        for (size_t i = 0; i < a->nwarnings; i++)
            value_push(warn, value_new_str(a->warnings[i]));
        value_set(v, "warnings", warn);
        if (a->language != NULL)
            value_set_str(v, "language", a->language);
    }
    return v;
}

static void
text_field(struct buf *out, const char *label, const char *s, const char *from)
{
    buf_putf(out, "  %-10s %s", label, s != NULL && *s ? s : "-");
    if (s != NULL && *s && from != NULL)
        buf_putf(out, "    [%s]", from);
    buf_putc(out, '\n');
}

static void
write_text(struct buf *out, const struct article *a)
{
    buf_putf(out, "%s (%s)\n", a->path, formats[a->format]);
    text_field(out, "title", a->title, a->from.title);
    text_field(out, "source", a->source, a->from.source);
    text_field(out, "author", a->author, a->from.author);
    text_field(out, "date", a->date, a->from.date);
    text_field(out, "date_iso", a->date_iso, NULL);
    text_field(out, "url", a->url, a->from.url);
    if (a->summary != NULL)
        text_field(out, "summary", a->summary, a->from.summary);
    if (a->image != NULL)
        text_field(out, "image", a->image, a->from.image);
    if (a->image_alt != NULL)
        text_field(out, "image_alt", a->image_alt, NULL);
    for (size_t i = 0; i < a->ntags; i++)
        text_field(out, i == 0 ? "tags" : "", a->tags[i], NULL);
    if (a->language != NULL)
        text_field(out, "language", a->language, a->format == ARTICLE_TEXT ?
            "stop words and script" : NULL);
    for (size_t i = 0; i < a->nwarnings; i++)
        buf_putf(out, "  %-10s %s\n", "warning", a->warnings[i]);
    buf_putf(out, "  %-10s %zu\n", "paragraphs", a->nparagraphs);
    for (size_t i = 0; i < a->nparagraphs; i++) {
        const char *p = a->paragraphs[i];
        size_t n = strlen(p), k = n > PREVIEW_BYTES ? PREVIEW_BYTES : n;

        while (k < n && k > 0 && ((unsigned char)p[k] & 0xc0) == 0x80)
            k--;                            /* never cut a UTF-8 character in half */
        buf_putf(out, "    %2zu. %.*s%s\n", i + 1, (int)k, p, k < n ? "..." : "");
    }
    if (a->nnoise > 0) {
        buf_putf(out, "  %-10s %zu lines dropped\n", "noise", a->nnoise);
        for (size_t i = 0; i < a->nnoise; i++)
            buf_putf(out, "    line %d (%s): %s\n", a->noise[i].line, a->noise[i].why,
                a->noise[i].text);
    }
}

/* YAML output through the JSON writer would be valid YAML too, but people read this. */
static void
write_yaml(struct buf *out, const struct value *v, int indent)
{
    for (size_t i = 0; i < v->n; i++) {
        const struct value *x = v->pairs[i].val;

        buf_putf(out, "%*s%s:", indent, "", v->pairs[i].key);
        if (x->type == VALUE_MAP) {
            buf_puts(out, x->n ? "\n" : " {}\n");
            write_yaml(out, x, indent + 2);
        } else if (x->type == VALUE_LIST) {
            buf_puts(out, x->n ? "\n" : " []\n");
            for (size_t k = 0; k < x->n; k++) {
                const struct value *it = x->items[k];

                if (it->type == VALUE_MAP) {
                    buf_putf(out, "%*s-\n", indent + 2, "");
                    write_yaml(out, it, indent + 4);
                } else {
                    buf_putf(out, "%*s- ", indent + 2, "");
                    value_yaml_scalar(out, it->str ? it->str : "", it->str ? it->len : 0);
                    buf_putc(out, '\n');
                }
            }
        } else if (x->type == VALUE_NULL)
            buf_puts(out, " ~\n");
        else if (x->type == VALUE_STR) {
            buf_putc(out, ' ');
            value_yaml_scalar(out, x->str, x->len);
            buf_putc(out, '\n');
        } else
            buf_putf(out, " %s\n", x->str);
    }
}

/* The time now in ISO 8601 with the local offset ("2024-03-05T10:30:00+01:00"). */
static void
now_iso(char out[40])
{
    time_t t = time(NULL);
    struct tm tm;
    char z[8];

    localtime_r(&t, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(z, sizeof(z), "%z", &tm);              /* +0100 */
    snprintf(out + strlen(out), 8, "%.3s:%.2s", z, z + 3);
}

/* "gazette articles fetch URL... [--out DIR]". */
static int
articles_fetch(struct cli *c, int argc, char **argv, const struct article_opts *ao)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct fetch_opts fo = { 0, 0, 0 };
    const char *out = NULL;
    int ch, rc = 0;
    long secs;

    optind = 0;
    while ((ch = getopt_long(argc, argv, "o:t:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 't':
            if (parse_long(optarg, 1, 3600, &secs) == -1)
                return cli_usage("articles fetch", "--timeout takes seconds (1 to 3600)");
            fo.timeout_ms = secs * 1000;
            fo.connect_timeout_ms = secs * 1000;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return cli_usage("articles fetch", "bad option");
        }
    }
    if (optind == argc)
        return cli_usage("articles fetch", "give at least one URL");
    if (out == NULL)
        out = c->cfg->paths.articles != NULL ? c->cfg->paths.articles : ".";
    for (int i = optind; i < argc; i++) {
        struct diag d = DIAG_INIT;
        char when[40], *path;
        struct article *a = article_fetch(argv[i], &fo, ao, &d);

        now_iso(when);
        if (a == NULL || (path = article_save_markdown(a, out, when, &d)) == NULL) {
            rc = cli_fail(&d);
            article_free(a);
            continue;
        }
        for (size_t k = 0; k < a->nwarnings; k++)
            log_warnx("%s: %s", argv[i], a->warnings[k]);
        printf("%s\n", path);                   /* where to read and edit it */
        free(path);
        article_free(a);
    }
    return rc;
}

/* The config's article options. */
static int
article_opts_of(struct cli *c, struct article_opts *ao, struct diag *d)
{
    if (cli_config(c, d) == -1)
        return -1;
    memset(ao, 0, sizeof(*ao));
    ao->allow_html = c->cfg->compose.allow_html;
    ao->drop_patterns = (const char *const *)c->cfg->compose.drop_patterns;
    ao->ndrop = c->cfg->compose.ndrop;
    return 0;
}

/* One article (a file or a URL) in the chosen format onto out; n articles so far. */
static void
show(struct buf *out, const struct article *a, int fmt, int n)
{
    struct value *v;

    if (fmt == 0) {
        if (n)
            buf_putc(out, '\n');
        write_text(out, a);
        return;
    }
    v = describe(a);
    if (fmt == 1) {
        buf_puts(out, n ? ",\n  " : "\n  ");
        value_write_json(out, v);
    } else {
        buf_puts(out, "---\n");
        write_yaml(out, v, 0);
    }
    value_free(v);
}

int
cmd_articles(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "keep-going", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const fmts[] = { "text", "json", "yaml" };
    struct article_opts ao;
    struct diag d = DIAG_INIT;
    struct buf out;
    int ch, fmt = 0, rc = 0, n = 0;
    bool keep = false;

    if (argc >= 2 && strcmp(argv[1], "fetch") == 0)
        return article_opts_of(c, &ao, &d) == -1 ? cli_fail(&d) :
            articles_fetch(c, argc - 1, argv + 1, &ao);
    optind = 0;
    while ((ch = getopt_long(argc, argv, "f:kh", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            for (fmt = 0; fmt < 3 && strcmp(optarg, fmts[fmt]) != 0; fmt++)
                ;
            if (fmt == 3)
                return cli_usage("articles", "unknown format \"%s\"; use text, json or yaml",
                    optarg);
            break;
        case 'k':
            keep = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return cli_usage("articles", "bad option");
        }
    }
    if (optind == argc)
        return cli_usage("articles", "give at least one article FILE or URL");
    if (article_opts_of(c, &ao, &d) == -1)
        return cli_fail(&d);
    buf_init(&out, 0);
    if (fmt == 1)
        buf_puts(&out, "[");
    for (int i = optind; i < argc; i++) {
        struct article *a;

        diag_clear(&d);
        a = text_is_web_url(argv[i], strlen(argv[i])) ? article_fetch(argv[i], NULL, &ao, &d) :
            article_load(argv[i], &ao, &d);
        if (a == NULL) {
            rc = cli_fail(&d);
            if (!keep)
                break;
            continue;
        }
        digest_warn_image(c->cfg, a);
        show(&out, a, fmt, n++);
        article_free(a);
    }
    if (fmt == 1)
        buf_puts(&out, n ? "\n]\n" : "]\n");
    if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len)
        rc = EX_IOERR;
    buf_fini(&out);
    return rc;
}
