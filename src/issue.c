/*
 * issue: article selection and issue files.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "article.h"
#include "buf.h"
#include "diag.h"
#include "fetch.h"
#include "issue.h"
#include "log.h"
#include "text.h"
#include "util.h"
#include "value.h"

int
issue_parse_day(const char *s, time_t *out)
{
    struct tm tm;
    long y, m, dd;
    char tmp[16];

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    memcpy(tmp, s, 4);
    tmp[4] = '\0';
    if (parse_long(tmp, 1970, 9999, &y) == -1)
        return -1;
    memcpy(tmp, s + 5, 2);
    tmp[2] = '\0';
    if (parse_long(tmp, 1, 12, &m) == -1)
        return -1;
    memcpy(tmp, s + 8, 2);
    if (parse_long(tmp, 1, 31, &dd) == -1)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)m - 1;
    tm.tm_mday = (int)dd;
    *out = timegm(&tm);
    {
        struct tm back;

        gmtime_r(out, &back);
        if (back.tm_mday != (int)dd)
            return -1;              /* 31 April */
    }
    return 0;
}

static void
add(struct issue *is, struct article *a, const char *summary)
{
    is->articles = xreallocarray(is->articles, is->n + 1, sizeof(*is->articles));
    is->summaries = xreallocarray(is->summaries, is->n + 1, sizeof(*is->summaries));
    is->articles[is->n] = a;
    is->summaries[is->n] = summary ? xstrdup(summary) : NULL;
    is->n++;
}

static bool
selected(const struct article *a, const struct issue_select *sel)
{
    if (sel == NULL)
        return true;
    if (sel->since != NULL && (a->date_iso[0] == '\0' || strncmp(a->date_iso, sel->since, 10) < 0))
        return false;
    if (sel->tag != NULL) {
        for (size_t i = 0; i < a->ntags; i++)
            if (strcmp(a->tags[i], sel->tag) == 0)
                return true;
        return false;
    }
    return true;
}

/* Load one article; under keep_going a bad one is reported and skipped (NULL, d unset). */
static struct article *
one(struct issue *is, const char *path, const struct article_opts *ao,
    const struct issue_select *sel, struct diag *d)
{
    struct diag ad = DIAG_INIT;
    struct article *a = article_load(path, ao, &ad);

    if (a == NULL) {
        if (sel != NULL && sel->keep_going && ad.code != EX_NOINPUT) {
            char msg[DIAG_PATH_MAX + DIAG_MSG_MAX + 32];

            log_warnx("%s (skipped)", diag_format(&ad, msg, sizeof(msg)));
            is->skipped++;
            return NULL;
        }
        *d = ad;
    }
    for (size_t i = 0; a != NULL && i < a->nwarnings; i++)
        log_info("%s: %s", path, a->warnings[i]);      /* -v: what the reader guessed */
    return a;
}

static bool
is_article_name(const char *name)
{
    static const char *const exts[] = { ".md", ".markdown", ".yaml", ".yml", ".txt", ".html",
        ".htm" };
    size_t n = strlen(name);

    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < ARRAY_LEN(exts); i++) {
        size_t e = strlen(exts[i]);

        if (n > e && strcmp(name + n - e, exts[i]) == 0)
            return true;
    }
    return false;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
date_cmp(const void *x, const void *y)
{
    const struct article *a = *(struct article *const *)x, *b = *(struct article *const *)y;

    if (a->date_iso[0] == '\0' || b->date_iso[0] == '\0') {
        if (a->date_iso[0] != b->date_iso[0])
            return a->date_iso[0] == '\0' ? 1 : -1;
    } else {
        int c = strcmp(a->date_iso, b->date_iso);

        if (c != 0)
            return c;
    }
    return strcmp(a->path, b->path);
}

/* Newest first (compose.order's default): undated still last, ties still by name. */
static int
date_cmp_newest(const void *x, const void *y)
{
    const struct article *a = *(struct article *const *)x, *b = *(struct article *const *)y;

    if (a->date_iso[0] != '\0' && b->date_iso[0] != '\0') {
        int c = strcmp(b->date_iso, a->date_iso);

        if (c != 0)
            return c;
    }
    return date_cmp(x, y);
}

struct issue *
issue_from_paths(char *const *paths, size_t n, const struct article_opts *ao,
    const struct issue_select *sel, struct diag *d)
{
    struct issue *is = xcalloc(1, sizeof(*is));

    for (size_t i = 0; i < n; i++) {
        struct stat st;

        if (stat(paths[i], &st) == -1) {
            diag_set(d, EX_NOINPUT, "cannot read: %s", strerror(errno));
            diag_path(d, paths[i]);
            goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *dir = opendir(paths[i]);
            struct dirent *de;
            char **names = NULL;
            size_t nn = 0;

            if (dir == NULL) {
                diag_set(d, EX_NOINPUT, "cannot read the folder: %s", strerror(errno));
                diag_path(d, paths[i]);
                goto fail;
            }
            while ((de = readdir(dir)) != NULL) {
                if (!is_article_name(de->d_name))
                    continue;
                names = xreallocarray(names, nn + 1, sizeof(*names));
                names[nn++] = xstrdup(de->d_name);
            }
            closedir(dir);
            if (nn > 1)
                qsort(names, nn, sizeof(*names), name_cmp);
            for (size_t j = 0; j < nn; j++) {
                struct buf p;
                struct article *a;

                buf_init(&p, 0);
                buf_putf(&p, "%s/%s", paths[i], names[j]);
                a = sel != NULL && sel->skip != NULL && sel->skip(sel->skip_ctx, buf_str(&p)) ?
                    NULL : one(is, buf_str(&p), ao, sel, d);
                buf_fini(&p);
                if (a == NULL && diag_is_set(d)) {
                    for (size_t k = j; k < nn; k++)
                        free(names[k]);
                    free(names);
                    goto fail;
                }
                if (a != NULL)
                    add(is, a, NULL);
                free(names[j]);
            }
            free(names);
        } else {
            struct article *a = one(is, paths[i], ao, sel, d);

            if (a == NULL && diag_is_set(d))
                goto fail;
            if (a != NULL)
                add(is, a, NULL);
        }
    }
    if (is->n > 1)                  /* qsort() must not be given a NULL array */
        qsort(is->articles, is->n, sizeof(*is->articles),
            sel != NULL && sel->oldest_first ? date_cmp : date_cmp_newest);
    /* filter after sorting, then apply the limit */
    {
        size_t k = 0;

        for (size_t i = 0; i < is->n; i++) {
            if (selected(is->articles[i], sel) && (sel == NULL || sel->limit <= 0 ||
                (long)k < sel->limit))
                is->articles[k++] = is->articles[i];
            else
                article_free(is->articles[i]);
        }
        is->n = k;
    }
    if (is->n > ISSUE_MAX_ARTICLES) {
        diag_set(d, EX_DATAERR, "%zu articles selected; an issue holds at most %d: narrow "
            "the selection with --since, --tag or --limit", is->n, ISSUE_MAX_ARTICLES);
        if (n > 0)
            diag_path(d, paths[0]);
        goto fail;
    }
    is->info.number = 1;
    return is;
fail:
    issue_free(is);
    return NULL;
}

static const char *
str_of(const struct value *v)
{
    return v != NULL && v->type != VALUE_NULL && v->type != VALUE_LIST &&
        v->type != VALUE_MAP ? v->str : NULL;
}

static const char *const issue_keys[] = { "number", "date", "title", "intro", "articles" };

/* Every top-level key is one we know ("did you mean" for the others). */
static int
check_keys(const struct value *root, struct diag *d)
{
    for (size_t i = 0; i < root->n; i++) {
        const char *key = root->pairs[i].key, *best;
        size_t k;

        for (k = 0; k < ARRAY_LEN(issue_keys); k++)
            if (strcmp(key, issue_keys[k]) == 0)
                break;
        if (k < ARRAY_LEN(issue_keys))
            continue;
        best = text_did_you_mean(key, issue_keys, ARRAY_LEN(issue_keys), 2);
        diag_setat(d, EX_DATAERR, root->pairs[i].line, root->pairs[i].col,
            "unknown key \"%s\"%s%s%s", key, best ? "; did you mean \"" : "; "
            "an issue has number, date, title, intro and articles", best ? best : "",
            best ? "\"?" : "");
        return -1;
    }
    return 0;
}

/* number, date, title and intro into is. */
static int
read_header(struct issue *is, const struct value *root, struct diag *d)
{
    const struct value *v;
    long num = 1;

    if ((v = value_get(root, "number")) != NULL &&
        (v->type != VALUE_NUM || parse_long(v->str, 1, 1000000, &num) == -1)) {
        diag_setat(d, EX_DATAERR, v->line, v->col, "number must be a whole number from 1");
        return -1;
    }
    is->info.number = num;
    if ((v = value_get(root, "date")) != NULL && str_of(v) != NULL &&
        issue_parse_day(str_of(v), &is->info.date) == -1) {
        diag_setat(d, EX_DATAERR, v->line, v->col, "date \"%s\" is not a date; write it as "
            "2026-11-27", v->str);
        return -1;
    }
    if (str_of(value_get(root, "title")) != NULL)
        is->title = xstrdup(str_of(value_get(root, "title")));
    if (str_of(value_get(root, "intro")) != NULL)
        is->intro = xstrdup(str_of(value_get(root, "intro")));
    is->info.title = is->title;
    is->info.intro = is->intro;
    return 0;
}

/* An inline article: handed to the YAML article reader as JSON (JSON is YAML). */
static struct article *
inline_article(struct issue *is, const struct value *it, const char *path,
    const struct article_opts *ao, const struct issue_select *sel, struct diag *d)
{
    struct buf j, name;
    struct diag ad = DIAG_INIT;
    struct article *a;

    buf_init(&j, 0);
    buf_init(&name, 0);
    value_write_json(&j, it);
    buf_putf(&name, "%s:%d (inline article)", path, it->line);
    a = article_parse(buf_str(&j), j.len, ARTICLE_YAML, buf_str(&name), ao, &ad);
    if (a == NULL) {
        diag_setat(d, EX_DATAERR, it->line, it->col, "inline article: %s", ad.msg);
        if (sel != NULL && sel->keep_going) {
            char msg[DIAG_PATH_MAX + DIAG_MSG_MAX + 32];

            diag_path(d, path);
            log_warnx("%s (skipped)", diag_format(d, msg, sizeof(msg)));
            diag_clear(d);
            is->skipped++;
        }
    }
    buf_fini(&j);
    buf_fini(&name);
    return a;
}

/* The keys an entry with path: may carry to correct what the article file says. */
static const char *const override_keys[] = {
    "path", "summary", "title", "url", "date", "source", "author",
};

static int
check_overrides(const struct value *it, struct diag *d)
{
    for (size_t k = 0; k < it->n; k++) {
        size_t i;

        for (i = 0; i < ARRAY_LEN(override_keys); i++)
            if (strcmp(it->pairs[k].key, override_keys[i]) == 0)
                break;
        if (i == ARRAY_LEN(override_keys)) {
            diag_setat(d, EX_DATAERR, it->pairs[k].line, it->pairs[k].col, "with path:, an "
                "article entry takes only summary, title, url, date, source and author");
            return -1;
        }
        if (it->pairs[k].val->type != VALUE_STR && it->pairs[k].val->type != VALUE_NUM) {
            diag_setat(d, EX_DATAERR, it->pairs[k].val->line, it->pairs[k].val->col,
                "%s must be text", it->pairs[k].key);
            return -1;
        }
    }
    return 0;
}

/* title, url, date, source and author given next to path: replace what the file says. */
static int
apply_overrides(struct article *a, const struct value *it, struct diag *d)
{
    for (size_t k = 0; k < it->n; k++) {
        const char *key = it->pairs[k].key, *v = it->pairs[k].val->str;
        int line = it->pairs[k].val->line, col = it->pairs[k].val->col;

        if (strcmp(key, "url") == 0 && !text_is_web_url(v, strlen(v))) {
            diag_setat(d, EX_DATAERR, line, col, "url \"%.200s\" is not a web address; write "
                "an absolute http:// or https:// URL", v);
            return -1;
        }
        if (strcmp(key, "date") == 0 && article_parse_date(v, a->date_iso) == -1) {
            diag_setat(d, EX_DATAERR, line, col, "date \"%.100s\" is not a date; write it "
                "as 2020-01-31 or \"Jan 31, 2020\"", v);
            return -1;
        }
        if (strcmp(key, "title") == 0) {
            a->title = arena_strdup(&a->arena, v);
            a->from.title = "issue file";
        } else if (strcmp(key, "url") == 0) {
            a->url = arena_strdup(&a->arena, v);
            a->from.url = "issue file";
        } else if (strcmp(key, "date") == 0) {
            a->date = arena_strdup(&a->arena, v);
            a->from.date = "issue file";
        } else if (strcmp(key, "source") == 0) {
            a->source = arena_strdup(&a->arena, v);
            a->from.source = "issue file";
        } else if (strcmp(key, "author") == 0) {
            a->author = arena_strdup(&a->arena, v);
            a->from.author = "issue file";
        }
    }
    return 0;
}

/* An entry that is a web address ("- https://..." or "- url: https://..." alone). */
static const char *
web_entry(const struct value *it)
{
    const char *u = str_of(it);

    if (u == NULL && it->type == VALUE_MAP && it->n == 1 &&
        strcmp(it->pairs[0].key, "url") == 0)
        u = str_of(it->pairs[0].val);
    if (u != NULL && text_is_web_url(u, strlen(u)))
        return u;
    return NULL;
}

/* A URL entry: the article fetched into dir the first time, the saved file after. */
static struct article *
fetched_once(struct issue *is, const char *url, const char *dir,
    const struct article_opts *ao, const struct issue_select *sel, struct diag *d)
{
    char *path = article_find_fetched(dir, url), when[32];
    struct article *a;
    time_t now = time(NULL);
    struct tm tm;

    if (path == NULL) {
        if ((a = article_fetch(url, NULL, ao, d)) == NULL)
            return NULL;
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        path = article_save_markdown(a, dir, when, d);
        article_free(a);
        if (path == NULL)
            return NULL;
        log_info("%s: fetched into %s", url, path);
    }
    a = one(is, path, ao, sel, d);
    free(path);
    return a;
}

/*
 * One item of articles (a path, {path, summary, corrections}, a web address fetched once,
 * or an inline article) added to is.
 */
static int
load_entry(struct issue *is, const struct value *it, const char *dir, const char *path,
    const struct article_opts *ao, const struct issue_select *sel, struct diag *d)
{
    const char *p = str_of(it), *summary = NULL, *url = web_entry(it);
    struct article *a = NULL;

    if (p == NULL && it->type == VALUE_MAP && str_of(value_get(it, "path")) != NULL) {
        p = str_of(value_get(it, "path"));
        summary = str_of(value_get(it, "summary"));
        if (check_overrides(it, d) == -1)
            return -1;
    }
    if (url != NULL) {
        a = fetched_once(is, url, sel != NULL && sel->articles_dir != NULL ?
            sel->articles_dir : dir, ao, sel, d);
    } else if (p != NULL) {
        struct buf full;

        buf_init(&full, 0);
        if (p[0] == '/')
            buf_puts(&full, p);
        else
            buf_putf(&full, "%s/%s", dir, p);
        a = one(is, buf_str(&full), ao, sel, d);
        buf_fini(&full);
        if (a != NULL && it->type == VALUE_MAP && apply_overrides(a, it, d) == -1) {
            article_free(a);
            return -1;
        }
    } else if (it->type == VALUE_MAP) {
        a = inline_article(is, it, path, ao, sel, d);
    } else {
        diag_setat(d, EX_DATAERR, it->line, it->col, "each article is a path, "
            "{path: ..., summary: ...} or an inline article map");
        return -1;
    }
    if (a == NULL && diag_is_set(d))
        return -1;
    if (a != NULL) {
        if (selected(a, sel))
            add(is, a, summary);
        else
            article_free(a);
    }
    return 0;
}

struct issue *
issue_load(const char *path, const struct article_opts *ao, const struct issue_select *sel,
    struct diag *d)
{
    struct value *root = value_load(path, d), *list;
    struct issue *is = xcalloc(1, sizeof(*is));
    char *copy = xstrdup(path), *dir = dirname(copy);

    if (root == NULL)
        goto fail;
    if (root->type != VALUE_MAP) {
        diag_setat(d, EX_DATAERR, root->line, root->col, "an issue file is a map with "
            "number, date, title, intro and articles");
        goto fail;
    }
    if (check_keys(root, d) == -1 || read_header(is, root, d) == -1)
        goto fail;
    list = value_get(root, "articles");
    if (list == NULL || list->type != VALUE_LIST) {
        diag_setat(d, EX_DATAERR, list ? list->line : 1, list ? list->col : 1, "articles must "
            "be a list of paths or articles");
        goto fail;
    }
    if (list->n > ISSUE_MAX_ARTICLES) {
        const struct value *it = list->items[ISSUE_MAX_ARTICLES];

        diag_setat(d, EX_DATAERR, it->line, it->col, "%zu articles; an issue holds at most "
            "%d: split it into several issues", list->n, ISSUE_MAX_ARTICLES);
        goto fail;
    }
    for (size_t i = 0; i < list->n; i++)
        if (load_entry(is, list->items[i], dir, path, ao, sel, d) == -1)
            goto fail;
    if (sel != NULL && sel->limit > 0 && (long)is->n > sel->limit) {
        for (size_t i = (size_t)sel->limit; i < is->n; i++) {
            article_free(is->articles[i]);
            free(is->summaries[i]);
        }
        is->n = (size_t)sel->limit;
    }
    value_free(root);
    free(copy);
    return is;
fail:
    diag_path(d, path);
    value_free(root);
    free(copy);
    issue_free(is);
    return NULL;
}

void
issue_free(struct issue *is)
{
    if (is == NULL)
        return;
    for (size_t i = 0; i < is->n; i++) {
        article_free(is->articles[i]);
        free(is->summaries[i]);
    }
    free(is->articles);
    free(is->summaries);
    free(is->title);
    free(is->intro);
    free(is);
}
