/*
 * Unit tests for campaign: the bounce history (STATE/bounces).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "campaign.h"
#include "check.h"
#include "diag.h"
#include "util.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, "w")) != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static char *
get(const char *name)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return read_file(path, NULL);
}

static void
free_over(char **over, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(over[i]);
    free(over);
}

static void
test_bounces(void)
{
    char *a1[] = { "a@example.org", "b@example.org" };
    char *a2[] = { "A@Example.org", "c@example.org" };
    struct diag d = DIAG_INIT;
    char **over = NULL, *text;
    size_t nover = 0;
    int rc;

    /* no file: an empty history */
    rc = campaign_count_bounces(dir, a1, 2, 2, &over, &nover, &d);
    text = get("bounces");
    CHECK(rc == 0 && nover == 0, "bounces: a missing file is an empty history (%s)", d.msg);
    CHECK_STR_EQ(text, "a@example.org\t1\nb@example.org\t1\n", "bounces: first counts written");
    free(text);
    free_over(over, nover);

    /* lines that do not parse survive the rewrite; the address matches case-insensitively */
    put("bounces", "# kept by hand\na@example.org\t1\nnot a count line\nb@example.org\tx\n"
        "b@example.org\t1\nz@example.org\t7");
    rc = campaign_count_bounces(dir, a2, 2, 2, &over, &nover, &d);
    text = get("bounces");
    CHECK(rc == 0, "bounces: counted again (%s)", d.msg);
    CHECK_STR_EQ(text, "# kept by hand\na@example.org\t2\nnot a count line\nb@example.org\tx\n"
        "b@example.org\t1\nz@example.org\t7\nc@example.org\t1\n",
        "bounces: unparsed lines kept in place, counts updated, new addresses appended, "
        "a last line without a newline kept");
    CHECK(nover == 1 && strcmp(over[0], "a@example.org") == 0,
        "bounces: the address that reached the limit is reported once, as first written");
    free(text);
    free_over(over, nover);

    /* a history that exists but cannot be read is an error, and is left alone */
    {
        char path[128];

        snprintf(path, sizeof(path), "%s/bounces", dir);
        unlink(path);
        mkdir(path, 0700);
        diag_clear(&d);
        rc = campaign_count_bounces(dir, a1, 2, 2, &over, &nover, &d);
        CHECK(rc == -1 && d.code == EX_IOERR && strstr(d.msg, "cannot read the bounce "
            "history") != NULL, "bounces: an unreadable history is EX_IOERR (%s)", d.msg);
        free_over(over, nover);
        rmdir(path);
    }
    /* many addresses: the index, not a scan (and each counted once per call) */
    {
        enum { N = 5000 };
        char **many = xcalloc(N, sizeof(*many));
        size_t ok = 0;

        for (size_t i = 0; i < N; i++) {
            char a[64];

            snprintf(a, sizeof(a), "user%zu@example.org", i);
            many[i] = xstrdup(a);
        }
        diag_clear(&d);
        rc = campaign_count_bounces(dir, many, N, 2, &over, &nover, &d);
        free_over(over, nover);
        rc |= campaign_count_bounces(dir, many, N, 2, &over, &nover, &d);
        text = get("bounces");
        for (const char *p = text; p != NULL && (p = strstr(p, "\t2\n")) != NULL; p += 3)
            ok++;
        CHECK(rc == 0 && nover == N && ok == N, "bounces: %d addresses counted twice "
            "(%zu at 2, %zu over the limit)", N, ok, nover);
        free(text);
        free_over(over, nover);
        for (size_t i = 0; i < N; i++)
            free(many[i]);
        free(many);
    }
}

int
main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/gazette-campaign-test.%ld", (long)getpid());
    mkdir(dir, 0700);
    test_bounces();
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void)!system(cmd);
    }
    return check_exit();
}
