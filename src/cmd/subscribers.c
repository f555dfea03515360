/*
 * cmd_subscribers: the subscriber-list commands.  Reads go through subs_load(); every
 * change goes through subs_apply(), which locks, splices and replaces the file atomically.
 * CSV is read by subs_csv_record() (src/subs/csv.c, RFC 4180).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "addr.h"
#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "diag.h"
#include "inbox.h"
#include "log.h"
#include "subs.h"
#include "text.h"
#include "util.h"
#include "value.h"

#define LOCK_WAIT_MS 30000      /* how long a CLI edit waits for a running send */
#define CSV_MAX_COLS 256
#define CSV_MAX_FILE ((size_t)1 << 30)
#define SUBS_MAX_TAGS_CSV 256

static const char usage_text[] =
    "usage: gazette subscribers COMMAND [options]\n"
    "\n"
    "  list [--status S] [--tag T] [--format table|csv|yaml|json]\n"
    "  count [--status S] [--tag T]\n"
    "  add EMAIL [--name N] [--tag T]... [--field K=V]... [--status S]\n"
    "  remove EMAIL\n"
    "  unsubscribe EMAIL\n"
    "  resubscribe EMAIL\n"
    "  import [--delimiter C] FILE.csv\n"
    "                         header row: email, name, status, tags (separated by ;),\n"
    "                         subscribed_at; any other column becomes a field.  The\n"
    "                         delimiter (, ; or tab) is found from the header row or a\n"
    "                         sep= first line.  Exit 0: all rows imported; 1: written, but\n"
    "                         some rows rejected; 65: nothing written\n"
    "  export [--format csv|yaml|json]\n"
    "\n"
    "Statuses: active, pending, unsubscribed, bounced.  Only active subscribers get mail.\n"
    "Edits change only the entry they touch; the rest of the file stays as written.\n";

enum fmt { FMT_TABLE, FMT_CSV, FMT_YAML, FMT_JSON };

struct filter {
    int status;                 /* -1 any */
    const char *tag;            /* NULL any */
};

static bool
matches(const struct subscriber *s, const struct filter *f)
{
    if (f->status >= 0 && s->status != f->status)
        return false;
    if (f->tag != NULL) {
        for (size_t i = 0; i < s->ntags; i++)
            if (strcmp(s->tags[i], f->tag) == 0)
                return true;
        return false;
    }
    return true;
}

/* A cell a spreadsheet would run as a formula (OWASP's CSV injection rule). */
static bool
csv_formula(const char *s)
{
    return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

static void
csv_field(struct buf *out, const char *s)
{
    if (csv_formula(s)) {
        /* Quoted and prefixed with ', which spreadsheets show as text; import takes the
           prefix off again, so export and import still round-trip. */
        buf_puts(out, "\"'");
        for (; *s; s++) {
            if (*s == '"')
                buf_putc(out, '"');
            buf_putc(out, *s);
        }
        buf_putc(out, '"');
        return;
    }
    if (strpbrk(s, ",\"\r\n") == NULL && s[0] != ' ' && s[0] != '\0') {
        buf_puts(out, s);
        return;
    }
    if (s[0] == '\0')
        return;
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(out, '"');
        buf_putc(out, *s);
    }
    buf_putc(out, '"');
}

/* Terminal columns of UTF-8 text (East Asian wide characters take two). */
static size_t
width(const char *s)
{
    return text_width(s, strlen(s));
}

static void
pad(struct buf *out, const char *s, size_t w)
{
    buf_puts(out, s);
    for (size_t i = width(s); i < w; i++)
        buf_putc(out, ' ');
}

static void
join_tags(struct buf *out, const struct subscriber *s, const char *sep)
{
    for (size_t i = 0; i < s->ntags; i++) {
        if (i)
            buf_puts(out, sep);
        buf_puts(out, s->tags[i]);
    }
}

/*
 * The table; hist (NULL: none): what `gazette inbox` recorded, shown as SINCE and REASON
 * columns (with --status bounced or unsubscribed).
 */
static void
list_table(struct buf *out, const struct subs *list, const struct filter *f,
    const struct inbox_history *hist)
{
    size_t w[4] = { 5, 4, 6, 6 };
    char date[11], why[256];

    for (size_t i = 0; i < list->n; i++) {
        const struct subscriber *s = &list->v[i];

        if (!matches(s, f))
            continue;
        if (width(s->email) > w[0])
            w[0] = width(s->email);
        if (width(s->name) > w[1])
            w[1] = width(s->name);
        if (width(subs_status_name(s->status)) > w[2])
            w[2] = width(subs_status_name(s->status));
        if (hist != NULL && inbox_history_find(hist, s->addr, date, why, sizeof(why)) &&
            width(why) > w[3])
            w[3] = width(why);
    }
    pad(out, "EMAIL", w[0] + 2);
    pad(out, "NAME", w[1] + 2);
    pad(out, "STATUS", w[2] + 2);
    if (hist != NULL) {
        pad(out, "SINCE", 12);
        pad(out, "REASON", w[3] + 2);
    }
    buf_puts(out, "TAGS\n");
    for (size_t i = 0; i < list->n; i++) {
        const struct subscriber *s = &list->v[i];

        if (!matches(s, f))
            continue;
        pad(out, s->email, w[0] + 2);
        pad(out, s->name, w[1] + 2);
        pad(out, subs_status_name(s->status), w[2] + 2);
        if (hist != NULL) {
            if (!inbox_history_find(hist, s->addr, date, why, sizeof(why))) {
                memcpy(date, "-", 2);
                memcpy(why, "-", 2);
            }
            pad(out, date, 12);
            pad(out, why, w[3] + 2);
        }
        join_tags(out, s, ",");
        buf_putc(out, '\n');
    }
}

/* CSV (RFC 4180): every field name used by a listed subscriber becomes a column. */
static void
list_csv(struct buf *out, const struct subs *list, const struct filter *f)
{
    const char **fk = NULL;
    size_t nfk = 0;

    for (size_t i = 0; i < list->n; i++) {
        const struct subscriber *s = &list->v[i];

        if (!matches(s, f))
            continue;
        for (size_t j = 0; j < s->nfields; j++) {
            size_t k;

            for (k = 0; k < nfk; k++)
                if (strcmp(fk[k], s->fields[j].key) == 0)
                    break;
            if (k == nfk) {
                fk = xreallocarray(fk, nfk + 1, sizeof(*fk));
                fk[nfk++] = s->fields[j].key;
            }
        }
    }
    buf_puts(out, "email,name,status,tags,subscribed_at");
    for (size_t k = 0; k < nfk; k++) {
        buf_putc(out, ',');
        csv_field(out, fk[k]);
    }
    buf_puts(out, "\r\n");
    for (size_t i = 0; i < list->n; i++) {
        const struct subscriber *s = &list->v[i];
        struct buf tags;

        if (!matches(s, f))
            continue;
        buf_init(&tags, 0);
        join_tags(&tags, s, ";");
        csv_field(out, s->email);
        buf_putc(out, ',');
        csv_field(out, s->name);
        buf_putf(out, ",%s,", subs_status_name(s->status));
        csv_field(out, buf_str(&tags));
        buf_putc(out, ',');
        csv_field(out, s->subscribed_at);
        for (size_t k = 0; k < nfk; k++) {
            buf_putc(out, ',');
            for (size_t j = 0; j < s->nfields; j++)
                if (strcmp(s->fields[j].key, fk[k]) == 0)
                    csv_field(out, s->fields[j].val);
        }
        buf_puts(out, "\r\n");
        buf_fini(&tags);
    }
    free(fk);
}

static void
list_json(struct buf *out, const struct subs *list, const struct filter *f)
{
    size_t n = 0;

    buf_puts(out, "[");
    for (size_t i = 0; i < list->n; i++) {
        const struct subscriber *s = &list->v[i];

        if (!matches(s, f))
            continue;
        buf_puts(out, n++ ? ",\n  {" : "\n  {");
        buf_puts(out, "\"email\": ");
        value_json_string(out, s->email, strlen(s->email));
        buf_puts(out, ", \"name\": ");
        value_json_string(out, s->name, strlen(s->name));
        buf_putf(out, ", \"status\": \"%s\", \"tags\": [", subs_status_name(s->status));
        for (size_t j = 0; j < s->ntags; j++) {
            if (j)
                buf_puts(out, ", ");
            value_json_string(out, s->tags[j], strlen(s->tags[j]));
        }
        buf_puts(out, "], \"subscribed_at\": ");
        value_json_string(out, s->subscribed_at, strlen(s->subscribed_at));
        buf_puts(out, ", \"fields\": {");
        for (size_t j = 0; j < s->nfields; j++) {
            if (j)
                buf_puts(out, ", ");
            value_json_string(out, s->fields[j].key, strlen(s->fields[j].key));
            buf_puts(out, ": ");
            value_json_string(out, s->fields[j].val, strlen(s->fields[j].val));
        }
        buf_puts(out, "}}");
    }
    buf_puts(out, n ? "\n]\n" : "]\n");
}

static void
write_list(struct buf *out, const struct subs *list, const struct filter *f, enum fmt fmt,
    const struct inbox_history *hist)
{
    switch (fmt) {
    case FMT_TABLE:
        list_table(out, list, f, hist);
        break;
    case FMT_CSV:
        list_csv(out, list, f);
        break;
    case FMT_YAML:
        buf_puts(out, "subscribers:\n");
        for (size_t i = 0; i < list->n; i++)
            if (matches(&list->v[i], f))
                subs_render_entry(out, &list->v[i], 2, 4);
        break;
    case FMT_JSON:
        list_json(out, list, f);
        break;
    }
}

static int
print_buf(const struct buf *b)
{
    if (fwrite(buf_str(b), 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
        log_warn("cannot write the output");
        return EX_IOERR;
    }
    return 0;
}

static int
parse_fmt(const char *s, enum fmt *out, bool table_ok)
{
    static const char *const names[] = { "table", "csv", "yaml", "json" };

    for (size_t i = table_ok ? 0 : 1; i < ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum fmt)i;
            return 0;
        }
    return -1;
}

static int
load_list(struct cli *c, struct subs **out)
{
    struct diag d = DIAG_INIT;

    if (cli_config(c, &d) == -1)
        return cli_fail(&d);
    /* no list is an error for reading (a cron job in the wrong folder); add and import
       create it */
    *out = subs_load(cli_subs_path(c), 0, NULL, &d);
    return *out != NULL ? 0 : cli_fail(&d);
}

/* list, count and export share their options. */
static int
do_read(struct cli *c, const char *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "status", required_argument, NULL, 's' },
        { "tag", required_argument, NULL, 't' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    struct filter f = { -1, NULL };
    enum fmt fmt = strcmp(cmd, "export") == 0 ? FMT_CSV : FMT_TABLE;
    struct subs *list = NULL;
    struct buf out;
    int ch, rc;

    optind = 0;
    while ((ch = getopt_long(argc, argv, "s:t:f:hvq", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if ((f.status = subs_status_parse(optarg)) == -1)
                return cli_usage("subscribers", "unknown status \"%s\"; use active, pending, "
                    "unsubscribed or bounced", optarg);
            break;
        case 't':
            f.tag = optarg;
            break;
        case 'f':
            if (strcmp(cmd, "count") == 0 ||
                parse_fmt(optarg, &fmt, strcmp(cmd, "list") == 0) == -1)
                return cli_usage("subscribers", "%s: unknown format \"%s\"", cmd, optarg);
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'v':
        case 'q':
            cli_verbosity(ch);
            break;
        default:
            return cli_usage("subscribers", "%s: bad option", cmd);
        }
    }
    if (optind != argc)
        return cli_usage("subscribers", "%s takes no arguments", cmd);
    if ((rc = load_list(c, &list)) != 0)
        return rc;
    buf_init(&out, 0);
    if (strcmp(cmd, "count") == 0) {
        size_t n = 0;

        for (size_t i = 0; i < list->n; i++)
            n += matches(&list->v[i], &f);
        buf_putf(&out, "%zu\n", n);
        if (log_level() >= LOGLEVEL_VERBOSE) {
            size_t by[SUBS_NSTATUS] = { 0 };

            for (size_t i = 0; i < list->n; i++)
                by[list->v[i].status]++;
            for (int i = 0; i < SUBS_NSTATUS; i++)
                log_info("%s: %zu", subs_status_name((enum subs_status)i), by[i]);
        }
    } else
    {
        /* who left and why: the inbox's record, for those it made bounced or unsubscribed */
        struct inbox_history *h = NULL;

        if (fmt == FMT_TABLE && strcmp(cmd, "list") == 0 && (f.status == SUBS_BOUNCED ||
            f.status == SUBS_UNSUBSCRIBED))
            h = inbox_history_load(c->cfg->paths.state_dir);
        write_list(&out, list, &f, fmt, h);
        inbox_history_free(h);
    }
    rc = print_buf(&out);
    buf_fini(&out);
    subs_free(list);
    return rc;
}

static const char *
done_name(int done)
{
    static const char *const names[] = { "added", "updated", "unchanged", "removed",
        "rejected" };

    return names[done];
}

static int
apply_one(struct cli *c, struct subs_change *ch)
{
    struct diag d = DIAG_INIT;

    if (cli_config(c, &d) == -1)
        return cli_fail(&d);
    if (subs_apply(cli_subs_path(c), ch, 1, LOCK_WAIT_MS, &d) == -1)
        return cli_fail(&d);
    if (ch->done == SUBS_DONE_REJECTED) {
        log_warnx("%s: %s", cli_subs_path(c), ch->why);
        return ch->notfound ? EX_NOUSER : EX_DATAERR;
    }
    log_info("%s: %s %s", cli_subs_path(c), ch->email, done_name(ch->done));
    return 0;
}

static int
do_add(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, 'n' },
        { "tag", required_argument, NULL, 't' },
        { "field", required_argument, NULL, 'F' },
        { "status", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    struct subs_change ch;
    const char **tags = xcalloc((size_t)argc, sizeof(char *));
    const char **fk = xcalloc((size_t)argc, sizeof(char *));
    const char **fv = xcalloc((size_t)argc, sizeof(char *));
    char **owned = xcalloc((size_t)argc, sizeof(char *));
    size_t nowned = 0;
    int opt, rc = EX_USAGE;

    memset(&ch, 0, sizeof(ch));
    ch.op = SUBS_ADD;
    ch.status = -1;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "n:t:F:s:hvq", opts, NULL)) != -1) {
        char *eq;

        switch (opt) {
        case 'n':
            ch.name = optarg;
            break;
        case 't':
            tags[ch.ntags++] = optarg;
            break;
        case 'F':
            if ((eq = strchr(optarg, '=')) == NULL || eq == optarg) {
                rc = cli_usage("subscribers", "add: --field takes KEY=VALUE, not \"%s\"",
                    optarg);
                goto out;
            }
            owned[nowned] = xstrndup(optarg, (size_t)(eq - optarg));
            fk[ch.nfields] = owned[nowned++];
            fv[ch.nfields++] = eq + 1;
            break;
        case 's':
            if ((ch.status = subs_status_parse(optarg)) == -1) {
                rc = cli_usage("subscribers", "add: unknown status \"%s\"", optarg);
                goto out;
            }
            break;
        case 'h':
            fputs(usage_text, stdout);
            rc = 0;
            goto out;
        case 'v':
        case 'q':
            cli_verbosity(opt);
            break;
        default:
            rc = cli_usage("subscribers", "add: bad option");
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage("subscribers", "add takes one EMAIL");
        goto out;
    }
    ch.email = argv[optind];
    ch.tags = ch.ntags ? tags : NULL;
    ch.fkeys = ch.nfields ? fk : NULL;
    ch.fvals = fv;
    rc = apply_one(c, &ch);
out:
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    free(tags);
    free(fk);
    free(fv);
    return rc;
}

static int
do_simple(struct cli *c, const char *cmd, int argc, char **argv)
{
    struct subs_change ch;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage("subscribers", "%s takes one EMAIL", cmd);
    memset(&ch, 0, sizeof(ch));
    ch.email = argv[1];
    ch.status = -1;
    if (strcmp(cmd, "remove") == 0)
        ch.op = SUBS_REMOVE;
    else {
        ch.op = SUBS_SET_STATUS;
        ch.status = strcmp(cmd, "unsubscribe") == 0 ? SUBS_UNSUBSCRIBED : SUBS_ACTIVE;
    }
    return apply_one(c, &ch);
}

/* ---- import ------------------------------------------------------------------------- */

static char *
trim(char *s)
{
    char *e = s + strlen(s);

    while (*s == ' ' || *s == '\t')
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

enum col { COL_EMAIL, COL_NAME, COL_STATUS, COL_TAGS, COL_AT, COL_FIELD };

/* Exit statuses of import (docs/gazette.1): nothing written is EX_DATAERR; written with
   some rows rejected is 1, so that a script can tell "fix the file and rerun" from "the
   list changed, look at the rejected rows". */
#define IMPORT_PARTIAL 1

/* A problem with a row, printed in line order once the import is done. */
struct row_msg {
    size_t line;
    char *msg;
};

struct msgs {
    struct row_msg *v;
    size_t n, cap;
};

static void msg_add(struct msgs *m, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
msg_add(struct msgs *m, size_t line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = xreallocarray(m->v, m->cap, sizeof(*m->v));
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);     /* a cut message is still a message */
    va_end(ap);
    m->v[m->n].line = line;
    m->v[m->n++].msg = xstrdup(msg);
}

static int
msg_cmp(const void *a, const void *b)
{
    const struct row_msg *x = a, *y = b;

    return x->line < y->line ? -1 : x->line > y->line;
}

/* Print the messages sorted by line (qsort is not stable: lines are unique per row). */
static void
msg_flush(struct msgs *m, const char *path)
{
    if (m->n > 1)
        qsort(m->v, m->n, sizeof(*m->v), msg_cmp);
    for (size_t i = 0; i < m->n; i++) {
        log_warnx("%s:%zu: %s", path, m->v[i].line, m->v[i].msg);
        free(m->v[i].msg);
    }
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

/*
 * The delimiter: a "sep=X" first line (Excel's), else the one of , ; and tab that the
 * header line holds most often outside quotes (a comma on a tie).
 */
static char
sniff_delimiter(const char *p, const char *end)
{
    static const char cand[] = { ',', ';', '\t' };
    size_t count[3] = { 0 };
    bool quoted = false;
    char best = ',';
    size_t bestn = 0;

    for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
        if (*p == '"')
            quoted = !quoted;
        for (size_t i = 0; !quoted && i < 3; i++)
            if (*p == cand[i])
                count[i]++;
    }
    for (size_t i = 0; i < 3; i++)
        if (count[i] > bestn) {
            bestn = count[i];
            best = cand[i];
        }
    return best;
}

/* An email cell written as "Name <addr>" or "mailto:addr": the hint, or NULL. */
static const char *
email_hint(const char *v, struct buf *hint)
{
    const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;

    if (lt != NULL && gt != NULL && gt > lt + 1) {
        buf_puts(hint, "write the address alone, ");
        buf_put(hint, lt + 1, (size_t)(gt - lt - 1));
        buf_puts(hint, ", and the name in a name column");
        return buf_str(hint);
    }
    if (ascii_strncasecmp(v, "mailto:", 7) == 0) {
        const char *q = strchr(v + 7, '?');

        buf_puts(hint, "write the address without \"mailto:\", ");
        buf_put(hint, v + 7, q ? (size_t)(q - v - 7) : strlen(v + 7));
        return buf_str(hint);
    }
    return NULL;
}

static const char *const known_cols[] = { "email", "name", "status", "tags", "subscribed_at" };

/* One import: the file, the header's columns, the changes built from the rows. */
struct import {
    const char *path;
    char *text;
    size_t len;
    struct subs_csv csv;
    struct buf rec, hdrbuf, hint;
    struct msgs msgs;
    enum col cols[CSV_MAX_COLS];
    char *colname[CSV_MAX_COLS];
    size_t offs[CSV_MAX_COLS];
    int ncols;
    struct subs_change *ch;
    size_t *lines;                  /* the CSV line of each change */
    size_t nch, cap;
    char **owned;                   /* what the changes point into, freed at the end */
    size_t nowned, ownedcap;
    size_t counts[5];
};

static void
import_own(struct import *im, void *p)
{
    if (im->nowned == im->ownedcap) {
        im->ownedcap = im->ownedcap ? im->ownedcap * 2 : 256;
        im->owned = xreallocarray(im->owned, im->ownedcap, sizeof(*im->owned));
    }
    im->owned[im->nowned++] = p;
}

static void
import_fini(struct import *im)
{
    for (size_t i = 0; i < im->nowned; i++)
        free(im->owned[i]);
    free(im->owned);
    free(im->ch);
    free(im->lines);
    free(im->text);
    buf_fini(&im->rec);
    buf_fini(&im->hdrbuf);
    buf_fini(&im->hint);
}

/* The delimiter and the header row, checked once: 0, or -1 with the problem logged. */
static int
read_header(struct import *im, char sep)
{
    struct subs_csv *csv = &im->csv;
    const char *path = im->path;
    int have_email = 0, ncols;

    csv->p = im->text;
    csv->end = im->text + im->len;
    csv->nextline = 1;
    csv->sep = ',';
    if (im->len >= 3 && memcmp(im->text, "\xef\xbb\xbf", 3) == 0)
        csv->p += 3;
    if (!utf8_is_valid(im->text, im->len)) {
        log_warnx("%s: not valid UTF-8; save the file as UTF-8 (CSV UTF-8)", path);
        return -1;
    }
    if (csv->end - csv->p >= 5 && ascii_strncasecmp(csv->p, "sep=", 4) == 0 &&
        csv->p[4] != '\n' && csv->p[4] != '\r') {
        const char *nl = memchr(csv->p, '\n', (size_t)(csv->end - csv->p));

        if (sep == 0)
            sep = csv->p[4];
        csv->p = nl ? nl + 1 : csv->end;
        csv->nextline = 2;
    }
    csv->sep = sep ? sep : sniff_delimiter(csv->p, csv->end);
    ncols = im->ncols = subs_csv_record(csv, &im->hdrbuf, im->offs, CSV_MAX_COLS);
    if (ncols <= 0) {
        log_warnx("%s:%zu: expected a header row such as \"email,name,tags\"", path, csv->line);
        return -1;
    }
    /* the header is checked once, here: a problem with it is one error, not one per row */
    for (int i = 0; i < ncols; i++) {
        char *h = trim(im->hdrbuf.p + im->offs[i]);

        im->colname[i] = h;
        if (ascii_strcasecmp(h, "email") == 0 || ascii_strcasecmp(h, "e-mail") == 0 ||
            ascii_strcasecmp(h, "email address") == 0) {
            im->cols[i] = COL_EMAIL;
            have_email++;
        } else if (ascii_strcasecmp(h, "name") == 0)
            im->cols[i] = COL_NAME;
        else if (ascii_strcasecmp(h, "status") == 0)
            im->cols[i] = COL_STATUS;
        else if (ascii_strcasecmp(h, "tags") == 0)
            im->cols[i] = COL_TAGS;
        else if (ascii_strcasecmp(h, "subscribed_at") == 0)
            im->cols[i] = COL_AT;
        else
            im->cols[i] = COL_FIELD;
    }
    for (int i = 0; i < ncols; i++) {
        if (im->colname[i][0] == '\0') {
            log_warnx("%s:%zu: column %d of the header row has no name; name it (it becomes "
                "a field) or remove it; nothing was imported", path, csv->line, i + 1);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (ascii_strcasecmp(im->colname[i], im->colname[j]) == 0) {
                log_warnx("%s:%zu: the header row has the column \"%s\" twice; keep one; "
                    "nothing was imported", path, csv->line, im->colname[i]);
                return -1;
            }
        for (size_t k = 0; im->cols[i] == COL_FIELD && k < ARRAY_LEN(known_cols); k++) {
            bool have = false;

            for (int j = 0; j < ncols; j++)
                have |= im->cols[j] != COL_FIELD &&
                    ascii_strcasecmp(im->colname[j], known_cols[k]) == 0;
            if (!have && edit_distance(im->colname[i], known_cols[k]) <= 2 &&
                strlen(im->colname[i]) >= 4) {
                log_warnx("%s:%zu: column \"%s\"; did you mean \"%s\"? (a column that is not "
                    "email, name, status, tags or subscribed_at becomes a field); nothing was "
                    "imported", path, csv->line, im->colname[i], known_cols[k]);
                return -1;
            }
        }
    }
    if (have_email != 1) {
        log_warnx("%s:%zu: the header row needs exactly one \"email\" column (the columns "
            "are separated by \"%s\"; --delimiter sets another); nothing was imported", path,
            csv->line, csv->sep == '\t' ? "tab" : (char[]){ csv->sep, '\0' });
        return -1;
    }
    return 0;
}

/* The row just read (n cells in im->rec) as the next change; a row that is blank or
   rejected (noted in im->msgs) takes no change. */
static void
take_row(struct import *im, int n)
{
    struct subs_change *x;
    const char **tags, **fk, **fv;
    char *cell[CSV_MAX_COLS];
    const char *h;
    bool blank = true;
    size_t line = im->csv.line;

    for (int i = 0; i < n; i++) {
        cell[i] = trim(im->rec.p + im->offs[i]);
        if (cell[i][0] == '\'' && csv_formula(cell[i] + 1))
            cell[i]++;              /* export's guard against formulas */
        blank &= cell[i][0] == '\0';
    }
    if (blank)
        return;
    if (n > im->ncols) {
        msg_add(&im->msgs, line, "%d cells, but the header row has %d columns; quote a "
            "value that holds \"%s\" (\"Doe, Jane\")", n, im->ncols, im->csv.sep == '\t' ?
            "tab" : (char[]){ im->csv.sep, '\0' });
        im->counts[SUBS_DONE_REJECTED]++;
        return;
    }
    if (im->nch == im->cap) {
        im->cap = im->cap ? im->cap * 2 : 64;
        im->ch = xreallocarray(im->ch, im->cap, sizeof(*im->ch));
        im->lines = xreallocarray(im->lines, im->cap, sizeof(*im->lines));
    }
    x = &im->ch[im->nch];
    memset(x, 0, sizeof(*x));
    x->op = SUBS_UPSERT;
    x->status = -1;
    im->lines[im->nch] = line;
    tags = xcalloc(SUBS_MAX_TAGS_CSV, sizeof(char *));
    fk = xcalloc((size_t)im->ncols, sizeof(char *));
    fv = xcalloc((size_t)im->ncols, sizeof(char *));
    import_own(im, tags);
    import_own(im, fk);
    import_own(im, fv);
    for (int i = 0; i < im->ncols && i < n; i++) {
        char *v = xstrdup(cell[i]);

        import_own(im, v);
        switch (im->cols[i]) {
        case COL_EMAIL:
            x->email = v;
            break;
        case COL_NAME:
            if (*v)
                x->name = v;
            break;
        case COL_STATUS:
            if (*v && (x->status = subs_status_parse(v)) == -1)
                x->status = -2;
            break;
        case COL_TAGS:
            if (*v) {
                x->tags = tags;
                for (char *t = v, *semi; t != NULL && x->ntags < SUBS_MAX_TAGS_CSV; t = semi) {
                    if ((semi = strchr(t, ';')) != NULL)
                        *semi++ = '\0';
                    t = trim(t);
                    if (*t)
                        tags[x->ntags++] = t;
                }
            }
            break;
        case COL_AT:
            if (*v)
                x->subscribed_at = v;
            break;
        case COL_FIELD:
            if (*v) {
                x->fkeys = fk;
                x->fvals = fv;
                fk[x->nfields] = im->colname[i];
                fv[x->nfields++] = v;
            }
            break;
        }
    }
    if (x->email == NULL || x->email[0] == '\0') {
        msg_add(&im->msgs, line, "no email in this row; skipped");
        im->counts[SUBS_DONE_REJECTED]++;
        return;
    }
    buf_reset(&im->hint);
    if ((h = email_hint(x->email, &im->hint)) != NULL) {
        msg_add(&im->msgs, line, "\"%s\" is not an address; %s", x->email, h);
        im->counts[SUBS_DONE_REJECTED]++;
        return;
    }
    if (x->status == -2) {
        msg_add(&im->msgs, line, "unknown status; use active, pending, unsubscribed or "
            "bounced");
        im->counts[SUBS_DONE_REJECTED]++;
        return;
    }
    im->nch++;
}

/* Every row after the header: 0, or -1 when the file cannot be read to its end. */
static int
read_rows(struct import *im)
{
    int n;

    while ((n = subs_csv_record(&im->csv, &im->rec, im->offs, CSV_MAX_COLS)) != 0) {
        if (n < 0) {
            msg_add(&im->msgs, im->csv.line, "%s; nothing was imported", n == -1 ?
                "a quoted field is not closed; end it with \"" : "too many columns");
            msg_flush(&im->msgs, im->path);
            return -1;
        }
        take_row(im, n);
    }
    return 0;
}

/* Write the changes, print the rejected rows and the counts: the exit status. */
static int
apply_and_report(struct cli *c, struct import *im, struct diag *d)
{
    size_t *counts = im->counts;

    if (im->nch > 0 && subs_apply(cli_subs_path(c), im->ch, im->nch, LOCK_WAIT_MS, d) == -1) {
        msg_flush(&im->msgs, im->path);
        return cli_fail(d);
    }
    for (size_t i = 0; i < im->nch; i++) {
        counts[im->ch[i].done]++;
        if (im->ch[i].done == SUBS_DONE_REJECTED)
            msg_add(&im->msgs, im->lines[i], "%s", im->ch[i].why);
    }
    msg_flush(&im->msgs, im->path);
    if (log_level() >= LOGLEVEL_NORMAL)
        printf("%s: %zu added, %zu updated, %zu unchanged, %zu rejected\n", im->path,
            counts[SUBS_DONE_ADDED], counts[SUBS_DONE_UPDATED], counts[SUBS_DONE_UNCHANGED],
            counts[SUBS_DONE_REJECTED]);
    if (counts[SUBS_DONE_REJECTED] == 0)
        return 0;
    if (counts[SUBS_DONE_ADDED] + counts[SUBS_DONE_UPDATED] > 0)
        return IMPORT_PARTIAL;          /* written, with rejected rows */
    return EX_DATAERR;                  /* nothing written */
}

static int
do_import(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "delimiter", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { NULL, 0, NULL, 0 },
    };
    struct diag d = DIAG_INIT;
    struct import im;
    char sep = 0;
    int rc = EX_DATAERR, opt;

    optind = 0;
    while ((opt = getopt_long(argc, argv, "d:hvq", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
                sep = '\t';
            else if (strlen(optarg) == 1 && strchr(",;|\t", optarg[0]) != NULL)
                sep = optarg[0];
            else
                return cli_usage("subscribers", "--delimiter takes , ; | or tab");
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'v':
        case 'q':
            cli_verbosity(opt);
            break;
        default:
            return cli_usage("subscribers", "import [--delimiter C] FILE.csv");
        }
    }
    if (optind + 1 != argc)
        return cli_usage("subscribers", "import takes one FILE.csv");
    memset(&im, 0, sizeof(im));
    im.path = argv[optind];
    if (cli_config(c, &d) == -1)
        return cli_fail(&d);
    if ((im.text = read_file_max(im.path, CSV_MAX_FILE, &im.len)) == NULL) {
        log_warnx("%s: cannot read: %s", im.path, read_file_strerror(errno));
        return EX_NOINPUT;
    }
    if (memchr(im.text, '\0', im.len) != NULL) {
        /* cells are cut at a NUL: refuse the file rather than import cut values */
        log_warnx("%s: the file holds a NUL byte; a CSV file is text", im.path);
        free(im.text);
        return EX_DATAERR;
    }
    buf_init(&im.rec, CSV_MAX_FILE);
    buf_init(&im.hdrbuf, 0);
    buf_init(&im.hint, 0);
    if (read_header(&im, sep) == 0 && read_rows(&im) == 0)
        rc = apply_and_report(c, &im, &d);
    import_fini(&im);
    return rc;
}

/* What `gazette serve` accepted goes into the list before it is read or edited. */
static int
apply_requests(struct cli *c)
{
    struct diag d = DIAG_INIT;

    if (cli_config(c, &d) == -1 || cli_apply_requests(c, &d) == -1)
        return cli_fail(&d);
    return 0;
}

int
cmd_subscribers(struct cli *c, int argc, char **argv)
{
    const char *sub;
    int rc;

    if (argc < 2)
        return cli_usage("subscribers", "which one: list, count, add, remove, unsubscribe, "
            "resubscribe, import or export?");
    sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    argc--;
    argv++;
    if ((rc = apply_requests(c)) != 0)
        return rc;
    if (strcmp(sub, "list") == 0 || strcmp(sub, "count") == 0 || strcmp(sub, "export") == 0)
        return do_read(c, sub, argc, argv);
    if (strcmp(sub, "add") == 0)
        return do_add(c, argc, argv);
    if (strcmp(sub, "remove") == 0 || strcmp(sub, "unsubscribe") == 0 ||
        strcmp(sub, "resubscribe") == 0)
        return do_simple(c, sub, argc, argv);
    if (strcmp(sub, "import") == 0)
        return do_import(c, argc, argv);
    return cli_usage("subscribers", "unknown command \"%s\"", sub);
}
