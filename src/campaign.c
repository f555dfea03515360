/*
 * campaign: manifests, history and bounce counts in the state folder.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
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
#include "lock.h"
#include "state.h"
#include "util.h"
#include "value.h"

#define BOUNCE_LOCK_WAIT_MS 30000

char *
campaign_dir(const char *state_dir)
{
    struct buf b;

    buf_init(&b, 0);
    buf_addf(&b, "%s/campaigns", state_dir);
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
 */
static struct value *
manifest_load(const char *state_dir, const char *path, struct diag *d)
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
    if ((ok = state_verify(state_dir, text, len, d)) == 0)
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

        if (n <= 6 || strcmp(de->d_name + n - 6, ".issue") != 0 || de->d_name[0] == '.')
            continue;
        buf_init(&p, 0);
        buf_addf(&p, "%s/%s", dir, de->d_name);
        if ((v = manifest_load(state_dir, buf_str(&p), d)) == NULL) {
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
        buf_addf(&p, "%s/%s.done", dir, ci->id);
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
    buf_addf(b, "%*s%s: ", indent, "", key);
    value_yaml_scalar(b, s, strlen(s));
    buf_addc(b, '\n');
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
    buf_addf(&b, "# gazette campaign %s: the issue as it was first sent, to compose it "
        "again on a resume\nnumber: %ld\ndate: %s\n", id, is->info.number, day);
    if (is->info.title != NULL && *is->info.title)
        scalar(&b, "title", is->info.title, 0);
    if (is->info.intro != NULL)
        scalar(&b, "intro", is->info.intro, 0);
    buf_adds(&b, "articles:\n");
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
            buf_adds(&b, "  - ");
            value_write_json(&b, keep);
            buf_addc(&b, '\n');
            value_free(v);
            value_free(keep);
            continue;
        }
        if (is->summaries != NULL && is->summaries[i] != NULL) {
            buf_adds(&b, "  - path: ");
            value_yaml_scalar(&b, p, strlen(p));
            buf_adds(&b, "\n    summary: ");
            value_yaml_scalar(&b, is->summaries[i], strlen(is->summaries[i]));
            buf_addc(&b, '\n');
        } else {
            buf_adds(&b, "  - ");
            value_yaml_scalar(&b, p, strlen(p));
            buf_addc(&b, '\n');
        }
    }
    buf_addf(&path, "%s/%s.issue", dir, id);
    {
        char sig[96];

        if (state_sign(state_dir, buf_str(&b), b.len, sig, d) == -1)
            goto out;
        buf_adds(&b, sig);
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
    buf_addf(&p, "%s/%s.issue", dir, id);
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
    buf_addf(&p, "%s/%s.done", dir, id);
    rc = atomic_replace(buf_str(&p), "", 0, d);
    free(dir);
    buf_fini(&p);
    return rc;
}

int
campaign_count_bounces(const char *state_dir, char *const *addrs, size_t n, long limit,
    char ***over, size_t *nover, struct diag *d)
{
    struct buf path, out;
    char *text = NULL, **names = NULL;
    long *counts = NULL;
    size_t nn = 0, len;
    int fd, rc = -1;

    *over = NULL;
    *nover = 0;
    if (n == 0)
        return 0;
    buf_init(&path, 0);
    buf_init(&out, 0);
    buf_addf(&path, "%s/bounces", state_dir);
    if (mkdirs(state_dir, d) == -1 ||
        (fd = lock_file(buf_str(&path), BOUNCE_LOCK_WAIT_MS, d)) == -1)
        goto out;
    /* "ADDRESS TAB COUNT" lines */
    if ((text = read_file(buf_str(&path), &len)) != NULL) {
        for (char *p = text, *nl; *p; p = nl + 1) {
            char *tab;
            long c;

            if ((nl = strchr(p, '\n')) == NULL)
                break;
            *nl = '\0';
            if ((tab = strchr(p, '\t')) == NULL)
                continue;
            *tab = '\0';
            if (parse_long(tab + 1, 0, 1000000, &c) == -1)
                continue;
            names = xreallocarray(names, nn + 1, sizeof(*names));
            counts = xreallocarray(counts, nn + 1, sizeof(*counts));
            names[nn] = xstrdup(p);
            counts[nn++] = c;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t k;

        for (k = 0; k < nn; k++)
            if (ascii_strcasecmp(names[k], addrs[i]) == 0)
                break;
        if (k == nn) {
            names = xreallocarray(names, nn + 1, sizeof(*names));
            counts = xreallocarray(counts, nn + 1, sizeof(*counts));
            names[nn] = xstrdup(addrs[i]);
            counts[nn++] = 0;
        }
        counts[k]++;
        if (limit > 0 && counts[k] >= limit) {   /* >=: again after a resubscribe */
            *over = xreallocarray(*over, *nover + 1, sizeof(char *));
            (*over)[(*nover)++] = xstrdup(names[k]);
        }
    }
    for (size_t k = 0; k < nn; k++)
        buf_addf(&out, "%s\t%ld\n", names[k], counts[k]);
    rc = atomic_replace(buf_str(&path), buf_str(&out), out.len, d);
    lock_release(fd);
out:
    for (size_t k = 0; k < nn; k++)
        free(names[k]);
    free(names);
    free(counts);
    free(text);
    buf_fini(&path);
    buf_fini(&out);
    return rc;
}
