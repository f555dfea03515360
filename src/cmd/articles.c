/*
 * cmd_articles: article diagnostics: title, source, author, date as printed and as ISO
 * 8601, url, paragraphs, and the noise lines dropped from a scraped page, with why.
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "article.h"
#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "util.h"
#include "value.h"

#define PREVIEW_BYTES 70         /* of each paragraph in the text listing */

static const char usage_text[] =
    "usage: gazette articles FILE... [--format text|json|yaml] [--keep-going]\n"
    "\n"
    "Shows what gazette made of each article: title, source, author, date (as printed and\n"
    "as ISO 8601), url, paragraphs and, for scraped pages, the noise lines it dropped.\n";

static const char *const formats[] = { "Markdown", "YAML", "scraped text" };

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
    return v;
}

static void
text_field(struct buf *out, const char *label, const char *s)
{
    buf_putf(out, "  %-10s %s\n", label, s != NULL && *s ? s : "-");
}

static void
write_text(struct buf *out, const struct article *a)
{
    buf_putf(out, "%s (%s)\n", a->path, formats[a->format]);
    text_field(out, "title", a->title);
    text_field(out, "source", a->source);
    text_field(out, "author", a->author);
    text_field(out, "date", a->date);
    text_field(out, "date_iso", a->date_iso);
    text_field(out, "url", a->url);
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

int
cmd_articles(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "keep-going", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct article_opts ao;
    struct diag d = DIAG_INIT;
    struct buf out;
    int ch, fmt = 0, rc = 0, n = 0;
    bool keep = false;

    optind = 0;
    while ((ch = getopt_long(argc, argv, "f:kh", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            if (strcmp(optarg, "text") == 0)
                fmt = 0;
            else if (strcmp(optarg, "json") == 0)
                fmt = 1;
            else if (strcmp(optarg, "yaml") == 0)
                fmt = 2;
            else
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
        return cli_usage("articles", "give at least one article FILE");
    if (cli_config(c, &d) == -1)
        return cli_fail(&d);
    memset(&ao, 0, sizeof(ao));
    ao.allow_html = c->cfg->compose.allow_html;
    ao.drop_patterns = (const char *const *)c->cfg->compose.drop_patterns;
    ao.ndrop = c->cfg->compose.ndrop;
    buf_init(&out, 0);
    if (fmt == 1)
        buf_puts(&out, "[");
    for (int i = optind; i < argc; i++) {
        struct article *a;
        struct value *v;

        diag_clear(&d);
        if ((a = article_load(argv[i], &ao, &d)) == NULL) {
            rc = cli_fail(&d);
            if (!keep)
                break;
            continue;
        }
        if (fmt == 0) {
            if (n)
                buf_putc(&out, '\n');
            write_text(&out, a);
        } else {
            v = describe(a);
            if (fmt == 1) {
                buf_puts(&out, n ? ",\n  " : "\n  ");
                value_write_json(&out, v);
            } else {
                buf_puts(&out, "---\n");
                write_yaml(&out, v, 0);
            }
            value_free(v);
        }
        n++;
        article_free(a);
    }
    if (fmt == 1)
        buf_puts(&out, n ? "\n]\n" : "]\n");
    if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len)
        rc = EX_IOERR;
    buf_fini(&out);
    return rc;
}
