/*
 * campaign: manifests, history and bounce counts in the state folder.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "article.h"
#include "atomic.h"
#include "buf.h"
#include "campaign.h"
#include "diag.h"
#include "issue.h"
#include "journal.h"
#include "lock.h"
#include "state.h"
#include "subs.h"
#include "text.h"
#include "util.h"
#include "value.h"

#define BOUNCE_LOCK_WAIT_MS 30000

char *
campaign_dir(const char *state_dir)
{
    struct buf b;

    buf_init(&b, 0);
    buf_putf(&b, "%s/campaigns", state_dir);
    return buf_steal(&b);
}

static int
mkdirs(const char *dir, struct diag *d)
{
    const char *bad = dir;

    if (mkdir_p(dir, 0700, &bad) == -1) {
        diag_set(d, EX_CANTCREAT, "cannot create the folder %s: %s", bad, strerror(errno));
        return -1;
    }
    return 0;
}

static int
info_cmp(const void *a, const void *b)
{
    const struct campaign_info *x = a, *y = b;

    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A manifest names the files that are mailed to every subscriber: one is used only when
 * gazette signed it (state.h), never one that someone else put in the state folder.
 * history_ok: the campaign is done, and the manifest only says which articles went out
 * (a gazette older than the signatures wrote none): an unsigned one is read for that.
 */
static struct value *
manifest_load(const char *state_dir, const char *path, bool history_ok, struct diag *d)
{
    size_t len;
    char *text = state_read(path, &len, d);
    struct value *v = NULL;
    int ok;

    if (text == NULL) {
        if (errno == ENOENT)
            diag_set(d, EX_IOERR, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if ((ok = state_verify(state_dir, text, len, d)) == 0 && history_ok)
        ok = 1;
    else if (ok == 0)
        diag_set(d, EX_DATAERR, "%s: this manifest was not written by gazette (its "
            "signature is missing or wrong), so its articles are not sent; remove it if "
            "you did not put it there, or move it out and send that issue with 'gazette "
            "send ISSUE_FILE'", path);
    if (ok == 1)
        v = value_parse(text, len, path, d);
    free(text);
    return v;
}

int
campaign_manifest_check(const char *state_dir, const char *path, struct diag *d)
{
    struct value *v = manifest_load(state_dir, path, false, d);

    value_free(v);
    return v != NULL ? 0 : -1;
}

int
campaign_list(const char *state_dir, struct campaign_list *out, struct diag *d)
{
    char *dir = campaign_dir(state_dir);
    DIR *dh;
    struct dirent *de;

    memset(out, 0, sizeof(*out));
    if ((dh = opendir(dir)) == NULL) {
        free(dir);
        if (errno == ENOENT)
            return 0;
        diag_set(d, EX_IOERR, "cannot read the state folder: %s", strerror(errno));
        return -1;
    }
    while ((de = readdir(dh)) != NULL) {
        size_t n = strlen(de->d_name);
        struct campaign_info *ci;
        struct value *v, *arts;
        struct buf p;
        struct stat st;
        bool done;

        if (n <= 6 || strcmp(de->d_name + n - 6, ".issue") != 0 || de->d_name[0] == '.')
            continue;
        buf_init(&p, 0);
        buf_putf(&p, "%s/%.*s.done", dir, (int)(n - 6), de->d_name);
        done = access(buf_str(&p), F_OK) == 0;
        buf_reset(&p);
        buf_putf(&p, "%s/%s", dir, de->d_name);
        if ((v = manifest_load(state_dir, buf_str(&p), done, d)) == NULL) {
            buf_fini(&p);
            closedir(dh);
            free(dir);
            return -1;
        }
        out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
        ci = &out->v[out->n++];
        memset(ci, 0, sizeof(*ci));
        ci->id = xstrndup(de->d_name, n - 6);
        if (stat(buf_str(&p), &st) == 0)
            ci->created = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
        if (value_get(v, "number") != NULL && value_get(v, "number")->type == VALUE_NUM)
            ci->number = (long)value_get(v, "number")->num;
        if (ci->number > out->last_number)
            out->last_number = ci->number;
        arts = value_get(v, "articles");
        for (size_t i = 0; arts != NULL && arts->type == VALUE_LIST && i < arts->n; i++) {
            const struct value *a = arts->items[i];

            if (a->type == VALUE_MAP)
                a = value_get(a, "path");
            if (a != NULL && a->type == VALUE_STR) {
                out->paths = xreallocarray(out->paths, out->npaths + 1, sizeof(char *));
                out->paths[out->npaths++] = xstrdup(a->str);
            }
        }
        value_free(v);
        buf_reset(&p);
        buf_putf(&p, "%s/%s.done", dir, ci->id);
        ci->done = access(buf_str(&p), F_OK) == 0;
        buf_fini(&p);
    }
    closedir(dh);
    free(dir);
    if (out->n > 1)             /* qsort() must not be given a NULL array */
        qsort(out->v, out->n, sizeof(*out->v), info_cmp);
    if (out->npaths > 1)
        qsort(out->paths, out->npaths, sizeof(char *), str_cmp);
    return 0;
}

void
campaign_list_fini(struct campaign_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].id);
    for (size_t i = 0; i < l->npaths; i++)
        free(l->paths[i]);
    free(l->v);
    free(l->paths);
    memset(l, 0, sizeof(*l));
}

bool
campaign_list_has(const struct campaign_list *l, const char *path)
{
    /* no history yet: paths is NULL, which bsearch() must not be given */
    return l->npaths > 0 &&
        bsearch(&path, l->paths, l->npaths, sizeof(char *), str_cmp) != NULL;
}

static void
scalar(struct buf *b, const char *key, const char *s, int indent)
{
    buf_putf(b, "%*s%s: ", indent, "", key);
    value_yaml_scalar(b, s, strlen(s));
    buf_putc(b, '\n');
}

int
campaign_save(const char *state_dir, const char *id, const struct issue *is, struct diag *d)
{
    char *dir = campaign_dir(state_dir);
    struct buf b, path;
    char day[16];
    struct tm tm;
    time_t t = is->info.date ? is->info.date : time(NULL);
    int rc = -1;

    buf_init(&b, 0);
    buf_init(&path, 0);
    if (mkdirs(dir, d) == -1)
        goto out;
    gmtime_r(&t, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    buf_putf(&b, "# gazette campaign %s: the issue as it was first sent, to compose it "
        "again on a resume\nnumber: %ld\ndate: %s\n", id, is->info.number, day);
    if (is->info.title != NULL && *is->info.title)
        scalar(&b, "title", is->info.title, 0);
    if (is->info.intro != NULL)
        scalar(&b, "intro", is->info.intro, 0);
    buf_puts(&b, "articles:\n");
    for (size_t i = 0; i < is->n; i++) {
        const struct article *a = is->articles[i];
        char abs[PATH_MAX];
        const char *p = a->path;

        if (realpath(a->path, abs) != NULL)
            p = abs;
        else if (a->path[0] != '/') {
            /* an inline article: keep what it says */
            struct value *v = article_to_value(a), *keep = value_new(VALUE_MAP);
            static const char *const keys[] = { "title", "url", "source", "author", "date",
                "summary", "image", "image_alt", "tags", "paragraphs" };

            for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
                struct value *x = value_get(v, keys[k]);

                if (x != NULL && x->type != VALUE_NULL)
                    value_set(keep, keys[k], value_dup(x));
            }
            buf_puts(&b, "  - ");
            value_write_json(&b, keep);
            buf_putc(&b, '\n');
            value_free(v);
            value_free(keep);
            continue;
        }
        if (is->summaries != NULL && is->summaries[i] != NULL) {
            buf_puts(&b, "  - path: ");
            value_yaml_scalar(&b, p, strlen(p));
            buf_puts(&b, "\n    summary: ");
            value_yaml_scalar(&b, is->summaries[i], strlen(is->summaries[i]));
            buf_putc(&b, '\n');
        } else {
            buf_puts(&b, "  - ");
            value_yaml_scalar(&b, p, strlen(p));
            buf_putc(&b, '\n');
        }
    }
    buf_putf(&path, "%s/%s.issue", dir, id);
    {
        char sig[96];

        if (state_sign(state_dir, buf_str(&b), b.len, sig, d) == -1)
            goto out;
        buf_puts(&b, sig);
    }
    rc = atomic_replace(buf_str(&path), buf_str(&b), b.len, d);
out:
    free(dir);
    buf_fini(&b);
    buf_fini(&path);
    return rc;
}

char *
campaign_manifest(const char *state_dir, const char *id)
{
    char *dir = campaign_dir(state_dir);
    struct buf p;

    buf_init(&p, 0);
    buf_putf(&p, "%s/%s.issue", dir, id);
    free(dir);
    if (access(buf_str(&p), F_OK) != 0) {
        buf_fini(&p);
        return NULL;
    }
    return buf_steal(&p);
}

int
campaign_mark_done(const char *state_dir, const char *id, struct diag *d)
{
    char *dir = campaign_dir(state_dir);
    struct buf p;
    int rc;

    buf_init(&p, 0);
    buf_putf(&p, "%s/%s.done", dir, id);
    rc = atomic_replace(buf_str(&p), "", 0, d);
    free(dir);
    buf_fini(&p);
    return rc;
}

/* STATE/campaigns/ID.retry: temporary failures wait for a later run; its mtime is the run's
   end, from which smtp.retry_after counts. */
static char *
retry_path(const char *state_dir, const char *id)
{
    char *dir = campaign_dir(state_dir);
    struct buf p;

    buf_init(&p, 0);
    buf_putf(&p, "%s/%s.retry", dir, id);
    free(dir);
    return buf_steal(&p);
}

int
campaign_mark_retry(const char *state_dir, const char *id, struct diag *d)
{
    char *p = retry_path(state_dir, id);
    int rc = atomic_replace(p, "", 0, d);

    free(p);
    return rc;
}

time_t
campaign_retry_since(const char *state_dir, const char *id)
{
    char *p = retry_path(state_dir, id);
    struct stat st;
    time_t t = stat(p, &st) == 0 ? (st.st_mtime > 0 ? st.st_mtime : 1) : 0;

    free(p);
    return t;
}

void
campaign_clear_retry(const char *state_dir, const char *id)
{
    char *p = retry_path(state_dir, id);

    (void)unlink(p);
    free(p);
}

static char *
side_path(const char *state_dir, const char *id, const char *ext)
{
    char *dir = campaign_dir(state_dir);
    struct buf p;

    buf_init(&p, 0);
    buf_putf(&p, "%s/%s.%s", dir, id, ext);
    free(dir);
    return buf_steal(&p);
}

static char *
stopped_path(const char *state_dir, const char *id)
{
    return side_path(state_dir, id, "stopped");
}

int
campaign_save_subject(const char *state_dir, const char *id, const char *subject,
    struct diag *d)
{
    char *p = side_path(state_dir, id, "subject");
    int rc = atomic_replace(p, subject, strlen(subject), d);

    free(p);
    return rc;
}

/* The text of a side file made one line for a table (control bytes as spaces); frees P. */
static char *
read_one_line(char *p)
{
    size_t len;
    char *text = read_file(p, &len);

    free(p);
    if (text != NULL)
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)text[i] < 0x20)
                text[i] = ' ';
    return text;
}

char *
campaign_subject(const char *state_dir, const char *id)
{
    return read_one_line(side_path(state_dir, id, "subject"));
}

int
campaign_mark_stopped(const char *state_dir, const char *id, const char *reason,
    struct diag *d)
{
    char *p = stopped_path(state_dir, id);
    int rc = atomic_replace(p, reason, strlen(reason), d);

    free(p);
    return rc;
}

char *
campaign_stopped(const char *state_dir, const char *id)
{
    return read_one_line(stopped_path(state_dir, id));
}

void
campaign_clear_stopped(const char *state_dir, const char *id)
{
    char *p = stopped_path(state_dir, id);

    (void)unlink(p);
    free(p);
}

/* ---- bounce counts ------------------------------------------------------------------ */

/*
 * STATE/bounces: "ADDRESS TAB COUNT" lines.  A line we cannot read is kept as it is when
 * the file is rewritten (a later version may write more); addresses are looked up through
 * an open-addressing index on the ASCII case-folded address, not by scanning the list.
 */
struct bline {
    const char *text;           /* the line as read (not for a new address) */
    size_t len;
    char *addr;                 /* NULL: a line we keep as it is */
    long count;
};

struct bounces {
    struct bline *v;
    size_t n, cap;
    size_t *slot;               /* index + 1, 0 empty */
    size_t nslot;
};

static void
bounces_index(struct bounces *b, size_t i)
{
    size_t mask = b->nslot - 1, k;

    for (k = text_hash_fold(b->v[i].addr) & mask; b->slot[k] != 0; k = (k + 1) & mask)
        ;
    b->slot[k] = i + 1;
}

static void
bounces_grow_index(struct bounces *b)
{
    size_t want = 64;

    while (want < b->n * 2 + 2)
        want *= 2;
    if (want <= b->nslot)
        return;
    free(b->slot);
    b->slot = xcalloc(want, sizeof(*b->slot));
    b->nslot = want;
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].addr != NULL)
            bounces_index(b, i);
}

static struct bline *
bounces_push(struct bounces *b)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
    }
    memset(&b->v[b->n], 0, sizeof(b->v[0]));
    return &b->v[b->n++];
}

static struct bline *
bounces_find(const struct bounces *b, const char *addr)
{
    size_t mask, k;

    if (b->nslot == 0)
        return NULL;
    mask = b->nslot - 1;
    for (k = text_hash_fold(addr) & mask; b->slot[k] != 0; k = (k + 1) & mask)
        if (ascii_strcasecmp(b->v[b->slot[k] - 1].addr, addr) == 0)
            return &b->v[b->slot[k] - 1];
    return NULL;
}

/* Read text (NUL-terminated): every line is kept, those that parse are indexed. */
static void
bounces_parse(struct bounces *b, const char *text, size_t len)
{
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl != NULL ? nl : end;
        const char *tab = memchr(p, '\t', (size_t)(e - p));
        struct bline *l = bounces_push(b);
        char num[24];
        long c;

        l->text = p;
        l->len = (size_t)(e - p);
        if (tab != NULL && tab > p && (size_t)(e - tab - 1) < sizeof(num)) {
            memcpy(num, tab + 1, (size_t)(e - tab - 1));
            num[e - tab - 1] = '\0';
            if (parse_long(num, 0, 1000000, &c) == 0) {
                l->addr = xstrndup(p, (size_t)(tab - p));
                l->count = c;
                if (bounces_find(b, l->addr) != NULL) {
                    free(l->addr);          /* a second line for one address: keep it */
                    l->addr = NULL;         /* as text; the first one counts */
                } else {
                    bounces_grow_index(b);
                    bounces_index(b, b->n - 1);
                }
            }
        }
        p = nl != NULL ? nl + 1 : end;
    }
}

static void
bounces_fini(struct bounces *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].addr);
    free(b->v);
    free(b->slot);
}

int
campaign_count_bounces(const char *state_dir, char *const *addrs, size_t n, long limit,
    char ***over, size_t *nover, struct diag *d)
{
    struct bounces b = { 0 };
    struct buf path, out;
    char *text = NULL;
    size_t len = 0;
    int fd = -1, rc = -1;

    *over = NULL;
    *nover = 0;
    if (n == 0)
        return 0;
    buf_init(&path, 0);
    buf_init(&out, 0);
    buf_putf(&path, "%s/bounces", state_dir);
    if (mkdirs(state_dir, d) == -1 ||
        (fd = lock_file(buf_str(&path), BOUNCE_LOCK_WAIT_MS, d)) == -1)
        goto out;
    /* Only "no such file" is an empty history: anything else would be rewritten with
       this run's counts alone, and every earlier count lost. */
    if ((text = read_file(buf_str(&path), &len)) == NULL && errno != ENOENT) {
        diag_set(d, EX_IOERR, "cannot read the bounce history: %s; it was left as it is",
            read_file_strerror(errno));
        diag_path(d, buf_str(&path));
        goto out;
    }
    if (text != NULL)
        bounces_parse(&b, text, len);
    for (size_t i = 0; i < n; i++) {
        struct bline *l = bounces_find(&b, addrs[i]);

        if (l == NULL) {
            l = bounces_push(&b);
            l->addr = xstrdup(addrs[i]);
            bounces_grow_index(&b);
            bounces_index(&b, b.n - 1);
        }
        l->count++;
        l->text = NULL;                     /* rewritten */
        if (limit > 0 && l->count >= limit) {   /* >=: again after a resubscribe */
            *over = xreallocarray(*over, *nover + 1, sizeof(char *));
            (*over)[(*nover)++] = xstrdup(l->addr);
        }
    }
    for (size_t i = 0; i < b.n; i++) {
        if (b.v[i].text != NULL) {
            buf_put(&out, b.v[i].text, b.v[i].len);
            buf_putc(&out, '\n');
        } else
            buf_putf(&out, "%s\t%ld\n", b.v[i].addr, b.v[i].count);
    }
    rc = atomic_replace(buf_str(&path), buf_str(&out), out.len, d);
out:
    if (fd != -1)
        lock_release(fd);
    bounces_fini(&b);
    free(text);
    buf_fini(&path);
    buf_fini(&out);
    return rc;
}

int
campaign_record_bounces(const char *state_dir, const char *subs_path, char *const *addrs,
    size_t n, long limit, size_t *marked, struct diag *d)
{
    struct subs_change *ch = NULL;
    char **over = NULL;
    size_t nover = 0;
    int rc = -1;

    *marked = 0;
    if (campaign_count_bounces(state_dir, addrs, n, limit, &over, &nover, d) == -1)
        goto out;
    if (nover > 0) {
        ch = xcalloc(nover, sizeof(*ch));
        for (size_t i = 0; i < nover; i++) {
            ch[i].op = SUBS_SET_STATUS;
            ch[i].email = over[i];
            ch[i].status = SUBS_BOUNCED;
        }
        if (subs_apply(subs_path, ch, nover, BOUNCE_LOCK_WAIT_MS, d) == -1)
            goto out;
        for (size_t i = 0; i < nover; i++)
            *marked += ch[i].done == SUBS_DONE_UPDATED;
    }
    rc = 0;
out:
    for (size_t i = 0; i < nover; i++)
        free(over[i]);
    free(over);
    free(ch);
    return rc;
}

/* ---- who is due ---------------------------------------------------------------------- */

uint32_t
campaign_shard_hash(const char *addr)
{
    return text_hash_fold(addr);
}

/* The journal's word on one subscriber: still to send in this run? */
static bool
due_by_journal(struct journal *jn, const char *addr, const struct campaign_due_opts *o)
{
    struct journal_entry e;
    bool uncertain_again;

    if (jn == NULL)
        return !o->retry_failed;    /* nothing sent yet; nothing failed either */
    e = journal_get(jn, addr);
    uncertain_again = e.state == JOURNAL_UNCERTAIN && o->resend_uncertain;
    if (o->retry_failed)
        return e.state == JOURNAL_TEMPFAIL || uncertain_again;
    /* the exactly-once rule: sent, refused for good, skipped on purpose, or maybe
       delivered (unless the config says to resend those) are never sent again */
    return !(e.state == JOURNAL_SENT || e.state == JOURNAL_PERMFAIL ||
        e.state == JOURNAL_SKIPPED || (e.state == JOURNAL_UNCERTAIN && !uncertain_again));
}

size_t
campaign_due(const struct subs *list, struct journal *jn, const struct campaign_due_opts *o,
    const struct subscriber ***todo, bool *cut)
{
    size_t n = 0;

    *todo = xcalloc(list->n ? list->n : 1, sizeof(**todo));
    *cut = false;
    for (size_t i = 0; i < list->n; i++) {
        const struct subscriber *s = &list->v[i];

        if (s->status != SUBS_ACTIVE)
            continue;           /* unsubscribed or bounced since: never on resume either */
        if (o->shard_n > 0 && (long)(campaign_shard_hash(s->addr) % (uint32_t)o->shard_n) !=
            o->shard_i - 1)
            continue;
        if (!due_by_journal(jn, s->addr, o))
            continue;
        if (o->limit > 0 && (long)n >= o->limit) {
            *cut = true;        /* more are due: the campaign goes on in a later run */
            break;
        }
        (*todo)[n++] = s;
    }
    return n;
}
