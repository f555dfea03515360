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

#include "buf.h"
#include "campaign.h"
#include "check.h"
#include "diag.h"
#include "journal.h"
#include "subs.h"
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

/* The due list as "a1 a3" (the local parts). */
static void
names(const struct subscriber **v, size_t n, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addc(out, ' ');
        buf_add(out, v[i]->addr, strcspn(v[i]->addr, "@"));
    }
}

/* campaign_due over a table: journal states x options. */
static void
test_due(void)
{
    static const char list_yaml[] =
        "- email: a1@x.example\n- email: a2@x.example\n- email: a3@x.example\n"
        "- email: a4@x.example\n- email: a5@x.example\n- email: a6@x.example\n"
        "- email: a7@x.example\n"
        "- email: u1@x.example\n  status: unsubscribed\n"
        "- email: b1@x.example\n  status: bounced\n"
        "- email: p1@x.example\n  status: pending\n";
    /* a1 never tried, a2 sent, a3 tempfail, a4 permfail, a5 uncertain (written so), a6
       skipped, a7 started and never finished (uncertain when read back); b1 tempfail */
    static const struct { const char *addr; enum journal_state st; } journal[] = {
        { "a2@x.example", JOURNAL_SENT }, { "a3@x.example", JOURNAL_TEMPFAIL },
        { "a4@x.example", JOURNAL_PERMFAIL }, { "a5@x.example", JOURNAL_UNCERTAIN },
        { "a6@x.example", JOURNAL_SKIPPED }, { "a7@x.example", JOURNAL_START },
        { "b1@x.example", JOURNAL_TEMPFAIL },
    };
    static const struct {
        bool journal, retry, resend;
        long limit;
        const char *due;
        bool cut;
    } rows[] = {
        { true, false, false, 0, "a1 a3", false },
        { true, false, true, 0, "a1 a3 a5 a7", false },
        { true, true, false, 0, "a3", false },
        { true, true, true, 0, "a3 a5 a7", false },
        { true, false, false, 1, "a1", true },
        { true, false, false, 2, "a1 a3", false },
        { true, false, true, 3, "a1 a3 a5", true },
        { false, false, false, 0, "a1 a2 a3 a4 a5 a6 a7", false },
        { false, false, true, 4, "a1 a2 a3 a4", true },
        { false, true, false, 0, "", false },
    };
    struct diag d = DIAG_INIT;
    struct subs *list = subs_parse(list_yaml, sizeof(list_yaml) - 1, "s.yaml", 0, NULL, &d);
    struct journal *jn = journal_open(dir, "due", &d);
    struct buf got;

    if (list == NULL || jn == NULL) {
        CHECK(0, "due: set-up: %s", d.msg);
        subs_free(list);
        journal_close(jn, NULL);
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(journal); i++)
        journal_add(jn, journal[i].addr, journal[i].st, 0, NULL, NULL, 0);
    journal_close(jn, NULL);
    jn = journal_read(dir, "due", &d);
    CHECK(jn != NULL && journal_get(jn, "a7@x.example").state == JOURNAL_UNCERTAIN,
        "due: a start without an outcome reads back uncertain");
    buf_init(&got, 0);
    for (size_t i = 0; jn != NULL && i < ARRAY_LEN(rows); i++) {
        struct campaign_due_opts o = { .retry_failed = rows[i].retry,
            .resend_uncertain = rows[i].resend, .limit = rows[i].limit };
        const struct subscriber **v = NULL;
        bool cut = !rows[i].cut;
        size_t n = campaign_due(list, rows[i].journal ? jn : NULL, &o, &v, &cut);

        names(v, n, &got);
        CHECK(strcmp(buf_str(&got), rows[i].due) == 0 && cut == rows[i].cut,
            "due: journal %s, retry_failed %d, resend_uncertain %d, limit %ld: \"%s\"%s "
            "(got \"%s\"%s)", rows[i].journal ? "yes" : "no", rows[i].retry, rows[i].resend,
            rows[i].limit, rows[i].due, rows[i].cut ? ", cut" : "", buf_str(&got),
            cut ? ", cut" : "");
        free(v);
    }
    /* shards: disjoint, and together the whole due list */
    for (long ns = 1; jn != NULL && ns <= 4; ns++) {
        size_t total = 0, seen[16] = { 0 };
        bool ok = true;

        for (long si = 1; si <= ns; si++) {
            struct campaign_due_opts o = { .shard_i = si, .shard_n = ns };
            const struct subscriber **v = NULL;
            bool cut;
            size_t n = campaign_due(list, NULL, &o, &v, &cut);

            for (size_t k = 0; k < n; k++) {
                size_t idx = (size_t)(v[k] - list->v);

                ok &= idx < 16 && seen[idx]++ == 0 &&
                    campaign_shard_hash(v[k]->addr) % (uint32_t)ns == (uint32_t)(si - 1);
            }
            total += n;
            free(v);
        }
        CHECK(ok && total == 7, "due: %ld shard(s) are disjoint and cover the 7 active (%zu)",
            ns, total);
    }
    buf_fini(&got);
    journal_close(jn, NULL);
    subs_free(list);
}

int
main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/gazette-campaign-test.%ld", (long)getpid());
    mkdir(dir, 0700);
    test_bounces();
    test_due();
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void)!system(cmd);
    }
    return check_exit();
}
