/*
 * issue: which articles go into a digest, in which order, with the issue's number, date,
 * title and intro: from an issue file (issue.yaml) or from files and folders given on the
 * command line, filtered by date and tag.  Pipeline: ISSUE + article -> digest.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_ISSUE_H
#define GAZETTE_ISSUE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "digest.h"

struct article;
struct article_opts;
struct diag;

#define ISSUE_MAX_ARTICLES 1000     /* ours: a digest, not an archive */

struct issue {
    struct article **articles;
    size_t n;
    char **summaries;           /* per article: an override from issue.yaml, or NULL */
    struct digest_issue info;   /* title and intro point into this struct's strings */
    char *title, *intro;
    size_t skipped;             /* bad articles left out under keep_going */
};

struct issue_select {
    const char *since;          /* ISO date: only articles dated on or after it */
    const char *tag;            /* only articles with this tag */
    long limit;                 /* at most this many (0: all) */
    bool keep_going;            /* skip bad articles with a warning instead of failing */
    /* files found in folders for which this says true are not even read (cron: the
       articles earlier campaigns sent); NULL: none */
    bool (*skip)(void *ctx, const char *path);
    void *skip_ctx;
    /* where "url:" entries of an issue file are fetched to (once: a Markdown file there
       with that url is read instead); NULL: the issue file's folder */
    const char *articles_dir;
    bool oldest_first;          /* files and folders: oldest article first (compose.order) */
};

/*
 * Load an issue file: number, date (YYYY-MM-DD), title, intro, and articles: a list of
 * paths (relative to the file), {path, summary, title, url, date, source, author} maps
 * (the keys beside path correct the article file), web addresses ("https://..." or
 * {url: ...}: fetched once into sel->articles_dir as a Markdown article, which later
 * loads read instead), or inline articles (maps with title, url, body...).  Errors: EX_DATAERR with FILE:LINE:COL (also for more than
 * ISSUE_MAX_ARTICLES articles), EX_NOINPUT; those of article_fetch().
 * Caller frees with issue_free().
 */
struct issue *issue_load(const char *path, const struct article_opts *ao,
    const struct issue_select *sel, struct diag *d);
/*
 * Build an issue from files and folders (folders: every .md .markdown .yaml .yml .txt in
 * them, not recursive), sorted by date, newest first or with sel->oldest_first oldest first (undated last,
 * then by name),
 * filtered by sel.  Errors as above (EX_DATAERR when more than ISSUE_MAX_ARTICLES are
 * selected); an empty selection is not an error.
 */
struct issue *issue_from_paths(char *const *paths, size_t n, const struct article_opts *ao,
    const struct issue_select *sel, struct diag *d);
void issue_free(struct issue *is);
/* Parse YYYY-MM-DD (UTC midnight); -1 if it is not such a date. */
int issue_parse_day(const char *s, time_t *out);

#endif
