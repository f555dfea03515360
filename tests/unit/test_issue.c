/*
 * Unit tests for issue: issue files (a table of {file text, expected error}) and the
 * selection from folders, including the ISSUE_MAX_ARTICLES limit.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "article.h"
#include "buf.h"
#include "check.h"
#include "diag.h"
#include "issue.h"
#include "util.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, "w")) != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static void
test_files(void)
{
    static const struct {
        const char *yaml;
        size_t n;               /* articles when it loads */
        const char *err;        /* a part of the error, or NULL */
        int line, col;
    } cases[] = {
        { "number: 3\ntitle: T\narticles: [a.md, {path: b.md, summary: S}]\n", 2, NULL, 0, 0 },
        { "articles:\n  - {title: Inline, url: https://example.org/x, body: Hello}\n", 1, NULL,
            0, 0 },
        { "nubmer: 3\narticles: []\n", 0, "did you mean \"number\"", 1, 1 },
        { "color: red\narticles: []\n", 0, "an issue has number, date", 1, 1 },
        { "number: 0\narticles: []\n", 0, "whole number from 1", 1, 9 },
        { "date: 2026-02-30\narticles: []\n", 0, "is not a date", 1, 7 },
        { "title: T\n", 0, "articles must be a list", 1, 1 },
        { "articles: [42]\narticles2: 1\n", 0, "unknown key \"articles2\"", 2, 1 },
        { "articles: [[a.md]]\n", 0, "each article is a path", 1, 12 },
        { "articles: [{path: a.md, colour: X}]\n", 0, "takes only summary, title", 1, 25 },
        { "articles: [{path: a.md, title: X, date: 2024-03-05}]\n", 1, NULL, 0, 0 },
        { "- a.md\n", 0, "an issue file is a map", 1, 1 },
        /* URL schemes are case-insensitive (RFC 3986 3.1), as everywhere else */
        { "articles: [{path: a.md, url: HTTPS://example.org/A}]\n", 1, NULL, 0, 0 },
        { "articles: [{path: a.md, url: ftp://example.org/A}]\n", 0, "not a web address", 1, 30 },
    };

    put("a.md", "---\ntitle: A\nurl: https://example.org/a\n---\n\nBody A.\n");
    put("b.md", "---\ntitle: B\nurl: https://example.org/b\n---\n\nBody B.\n");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct diag d = DIAG_INIT;
        struct issue *is;
        char path[256];

        put("issue.yaml", cases[i].yaml);
        snprintf(path, sizeof(path), "%s/issue.yaml", dir);
        is = issue_load(path, NULL, NULL, &d);
        if (cases[i].err == NULL)
            CHECK(is != NULL && is->n == cases[i].n, "issue %zu loads with %zu articles (%s)",
                i, cases[i].n, d.msg);
        else
            CHECK(is == NULL && d.code == EX_DATAERR && strstr(d.msg, cases[i].err) != NULL &&
                d.line == cases[i].line && d.col == cases[i].col,
                "issue %zu: %d:%d %s (got %d:%d %s)", i, cases[i].line, cases[i].col,
                cases[i].err, d.line, d.col, d.msg);
        issue_free(is);
    }
}

/* More than ISSUE_MAX_ARTICLES: refused with a clear error, never cut silently. */
static void
test_max(void)
{
    struct buf y;
    struct diag d = DIAG_INIT;
    struct issue *is;
    char path[256], sub[256];
    char *paths[1];

    buf_init(&y, 0);
    buf_puts(&y, "articles:\n");
    for (int i = 0; i <= ISSUE_MAX_ARTICLES; i++)
        buf_puts(&y, "  - a.md\n");
    put("big.yaml", buf_str(&y));
    buf_fini(&y);
    snprintf(path, sizeof(path), "%s/big.yaml", dir);
    is = issue_load(path, NULL, NULL, &d);
    CHECK(is == NULL && d.code == EX_DATAERR && d.line == ISSUE_MAX_ARTICLES + 2 &&
        strstr(d.msg, "at most 1000") != NULL, "issue file with %d articles: refused at the "
        "first one too many (%d:%d %s)", ISSUE_MAX_ARTICLES + 1, d.line, d.col, d.msg);
    issue_free(is);

    snprintf(sub, sizeof(sub), "%s/many", dir);
    mkdir(sub, 0700);
    for (int i = 0; i <= ISSUE_MAX_ARTICLES; i++) {
        char name[64], text[128];

        snprintf(name, sizeof(name), "many/a%04d.md", i);
        snprintf(text, sizeof(text), "---\ntitle: A%d\nurl: https://example.org/%d\n---\n\nB.\n",
            i, i);
        put(name, text);
    }
    paths[0] = sub;
    diag_clear(&d);
    is = issue_from_paths(paths, 1, NULL, NULL, &d);
    CHECK(is == NULL && d.code == EX_DATAERR && strstr(d.msg, "1001 articles selected") != NULL,
        "a folder of %d articles: refused (%s)", ISSUE_MAX_ARTICLES + 1, d.msg);
    issue_free(is);
    {
        struct issue_select sel = { .limit = 10 };

        diag_clear(&d);
        is = issue_from_paths(paths, 1, NULL, &sel, &d);
        CHECK(is != NULL && is->n == 10, "... and taken with --limit 10 (%s)", d.msg);
        issue_free(is);
    }
}

int
main(void)
{
    char cmd[128];

    snprintf(dir, sizeof(dir), "/tmp/gazette-issue-test.%ld", (long)getpid());
    mkdir(dir, 0700);
    test_files();
    test_max();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void)!system(cmd);
    return check_exit();
}
