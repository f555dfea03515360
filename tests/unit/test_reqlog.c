/*
 * test_reqlog: the request log on real files: records round-trip (names and tags with
 * blanks, percent signs and non-ASCII), a torn last line or a record with a wrong
 * checksum is never applied, the fold per address (a table of request sequences and the
 * entry they leave), applying twice changes nothing, pending counts.
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
#include "reqlog.h"
#include "subs.h"
#include "util.h"

static char dir[64], list[128], state[128];

static void
write_list(const char *text)
{
    FILE *f = fopen(list, "w");

    fputs(text, f);
    fclose(f);
}

static char *
read_list(void)
{
    return read_file(list, NULL);
}

static void
fresh(const char *text)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf %s/state", dir);
    if (system(cmd) != 0)
        exit(2);
    write_list(text);
}

static void
append(enum reqlog_type t, const char *email, const char *name, const char *const *tags,
    size_t ntags)
{
    struct diag d = DIAG_INIT;
    struct reqlog *r = reqlog_open(state, list, &d);
    struct reqlog_req q = { t, email, name, tags, ntags, 1700000000 };
    uint64_t ticket = 0;

    if (r == NULL || reqlog_append(r, &q, &ticket, &d) == -1 ||
        reqlog_sync(r, ticket, &d) == -1) {
        printf("not ok - append: %s\n", d.msg);
        exit(1);
    }
    reqlog_close(r);
}

static const char base[] =
    "# kept\n"
    "subscribers:\n"
    "  - email: ann@example.org    # the first\n"
    "    status: active\n"
    "  - email: ben@example.org\n"
    "    status: unsubscribed\n"
    "  - email: cat@example.org\n"
    "    status: pending\n";

/* One row: requests for one address (by letter) and the status line it ends with. */
struct row {
    const char *email;
    const char *seq;            /* U unsubscribe, R resubscribe, P pending, C confirm */
    const char *want;           /* the entry's status afterwards; NULL: not in the list */
};

static const struct row rows[] = {
    { "ann@example.org", "U", "unsubscribed" },
    { "ann@example.org", "UU", "unsubscribed" },
    { "ann@example.org", "UR", "active" },
    { "ann@example.org", "P", "active" },           /* a sign-up never demotes */
    { "ann@example.org", "C", "active" },
    { "ben@example.org", "R", "active" },
    { "ben@example.org", "P", "pending" },          /* signs up again: pending */
    { "ben@example.org", "PC", "active" },
    { "ben@example.org", "C", "unsubscribed" },     /* a confirm without a sign-up */
    { "cat@example.org", "C", "active" },
    { "cat@example.org", "U", "unsubscribed" },
    { "new@example.org", "U", NULL },               /* unknown: nothing */
    { "new@example.org", "P", "pending" },
    { "new@example.org", "PC", "active" },
    { "new@example.org", "PCU", "unsubscribed" },
    { "new@example.org", "C", NULL },
};

/* The status written for email in the list text, or NULL. */
static const char *
status_of(const char *text, const char *email, char *out, size_t size)
{
    const char *p = strstr(text, email), *st;

    if (p == NULL)
        return NULL;
    st = strstr(p, "status: ");
    if (st == NULL)
        return NULL;
    st += 8;
    snprintf(out, size, "%.*s", (int)strcspn(st, " \n"), st);
    return out;
}

int
main(void)
{
    struct diag d = DIAG_INIT;
    struct reqlog_stats st;
    size_t n;
    time_t oldest;
    char *text, got[64];

    snprintf(dir, sizeof(dir), "/tmp/test_reqlog.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 2;
    snprintf(list, sizeof(list), "%s/subscribers.yaml", dir);
    snprintf(state, sizeof(state), "%s/state", dir);

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        const struct row *r = &rows[i];

        fresh(base);
        for (const char *c = r->seq; *c; c++)
            append(*c == 'U' ? REQLOG_UNSUBSCRIBE : *c == 'R' ? REQLOG_RESUBSCRIBE :
                *c == 'P' ? REQLOG_PENDING : REQLOG_CONFIRM, r->email, NULL, NULL, 0);
        diag_clear(&d);
        CHECK(reqlog_apply(state, list, 1000, &st, &d) == 0 && st.records == strlen(r->seq),
            "%s %s: applied (%s)", r->email, r->seq, d.msg);
        text = read_list();
        if (r->want == NULL)
            CHECK(status_of(text, r->email, got, sizeof(got)) == NULL,
                "%s %s: not in the list", r->email, r->seq);
        else
            CHECK_STR_EQ(status_of(text, r->email, got, sizeof(got)), r->want, "%s %s",
                r->email, r->seq);
        CHECK(strncmp(text, "# kept\nsubscribers:\n  - email: ann@example.org    # the first\n",
            60) == 0, "%s %s: the rest of the file is kept", r->email, r->seq);
        free(text);
    }

    /* a sign-up's name and tags round-trip through the record's escaping */
    {
        const char *tags[] = { "tech", "50%", "caf\xc3\xa9" };

        fresh(base);
        append(REQLOG_PENDING, "dee@example.org", "Dee  O'Neil 100% \xc3\xa9", tags, 3);
        diag_clear(&d);
        CHECK(reqlog_apply(state, list, 1000, &st, &d) == 0 && st.changed == 1,
            "a sign-up is applied (%s)", d.msg);
        {
            struct subs *s = subs_load(list, 0, NULL, &d);
            const struct subscriber *sub = s ? subs_find(s, "dee@example.org") : NULL;

            CHECK(sub != NULL && sub->status == SUBS_PENDING, "the sign-up is pending");
            CHECK_STR_EQ(sub ? sub->name : NULL, "Dee  O'Neil 100% \xc3\xa9",
                "the name keeps blanks, %% and UTF-8");
            CHECK(sub != NULL && sub->ntags == 3 && strcmp(sub->tags[1], "50%") == 0 &&
                strcmp(sub->tags[2], "caf\xc3\xa9") == 0, "the tags keep %% and UTF-8");
            CHECK_STR_EQ(sub ? sub->subscribed_at : NULL, "2023-11-14T22:13:20Z",
                "subscribed_at is the request's time");
            subs_free(s);
        }
        text = read_list();
        diag_clear(&d);
        CHECK(reqlog_apply(state, list, 1000, &st, &d) == 0 && st.records == 0,
            "applying again finds nothing to do");
        {
            char *again = read_list();

            CHECK(strcmp(text, again) == 0, "and leaves the file byte for byte");
            free(again);
        }
        free(text);
    }

    /* a torn last line and a record with a wrong checksum are never applied */
    {
        char path[256], *log;
        int fd;
        size_t len;

        fresh(base);
        append(REQLOG_UNSUBSCRIBE, "ann@example.org", NULL, NULL, 0);
        snprintf(path, sizeof(path), "%s/requests/00000000000000000001.log", state);
        log = read_file(path, &len);
        CHECK(log != NULL && len > 20, "the log file holds the record");
        fd = open(path, O_WRONLY | O_APPEND);
        /* the same record for another address with the old checksum, then half a line */
        if (log != NULL && fd != -1) {
            char *bad = xstrdup(log), *at = strstr(bad, "ann@");

            memcpy(at, "cat@", 4);
            if (write(fd, bad, strlen(bad)) < 0 || write(fd, "unsubscribe 17 ben@", 19) < 0)
                return 2;
            free(bad);
        }
        if (fd != -1)
            close(fd);
        diag_clear(&d);
        CHECK(reqlog_pending(state, &n, &oldest, &d) == 0 && n == 1 && oldest == 1700000000,
            "pending: 1 (the forged and the torn lines do not count), oldest its time");
        CHECK(reqlog_apply(state, list, 1000, &st, &d) == 0 && st.records == 1,
            "one record applied");
        text = read_list();
        CHECK_STR_EQ(status_of(text, "ann@example.org", got, sizeof(got)), "unsubscribed",
            "the good record is applied");
        CHECK_STR_EQ(status_of(text, "cat@example.org", got, sizeof(got)), "pending",
            "the record with a wrong checksum is not");
        CHECK_STR_EQ(status_of(text, "ben@example.org", got, sizeof(got)), "unsubscribed",
            "nor is the torn line");
        CHECK(access(path, F_OK) == -1, "the complete, applied file is removed");
        CHECK(reqlog_pending(state, &n, NULL, &d) == 0 && n == 0, "nothing pending after");
        free(text);
        free(log);
    }

    /* a record over REQLOG_LINE_MAX is refused whole, never cut */
    {
        struct reqlog *r;
        char name[3000];
        uint64_t t = 0;

        memset(name, '%', sizeof(name) - 1);    /* each one 3 bytes once encoded */
        name[sizeof(name) - 1] = '\0';
        fresh(base);
        diag_clear(&d);
        r = reqlog_open(state, list, &d);
        {
            struct reqlog_req q = { REQLOG_PENDING, "long@example.org", name, NULL, 0, 0 };

            CHECK(r != NULL && reqlog_append(r, &q, &t, &d) == -1 && d.code == EX_DATAERR &&
                strstr(d.msg, "longer than 4096 bytes") != NULL,
                "a sign-up whose record passes 4096 bytes is refused (%s)", d.msg);
        }
        reqlog_close(r);
        CHECK(reqlog_pending(state, &n, NULL, &d) == 0 && n == 0,
            "and nothing of it is written");
    }

    /* the group commit: one fdatasync covers every record written before it */
    {
        struct reqlog *r;
        uint64_t t[10];
        char e[32];

        fresh(base);
        diag_clear(&d);
        r = reqlog_open(state, list, &d);
        for (int i = 0; r != NULL && i < 10; i++) {
            struct reqlog_req q = { REQLOG_UNSUBSCRIBE, e, NULL, NULL, 0, 0 };

            snprintf(e, sizeof(e), "g%d@example.org", i);
            reqlog_append(r, &q, &t[i], &d);
        }
        CHECK(r != NULL && reqlog_syncs(r) == 0, "ten records written, none synced yet");
        CHECK(r != NULL && reqlog_sync(r, t[9], &d) == 0 && reqlog_syncs(r) == 1,
            "waiting for the last: one fdatasync");
        CHECK(r != NULL && reqlog_sync(r, t[4], &d) == 0 && reqlog_sync(r, t[0], &d) == 0 &&
            reqlog_syncs(r) == 1, "waiting for earlier ones: none more");
        reqlog_close(r);
        CHECK(reqlog_pending(state, &n, NULL, &d) == 0 && n == 10, "all ten are pending");
    }

    /* the requests belong to the list they were first applied to */
    {
        char other[160];

        fresh(base);
        diag_clear(&d);
        CHECK(reqlog_apply(state, list, 1000, &st, &d) == 0 && !st.other_list,
            "the first apply claims the requests for its list");
        append(REQLOG_UNSUBSCRIBE, "ann@example.org", NULL, NULL, 0);
        snprintf(other, sizeof(other), "%s/other.yaml", dir);
        {
            FILE *f = fopen(other, "w");

            fputs(base, f);
            fclose(f);
        }
        CHECK(reqlog_apply(state, other, 1000, &st, &d) == 0 && st.other_list &&
            st.records == 0, "another list (a test list given with --subscribers): left alone");
        text = read_file(other, NULL);
        CHECK(text != NULL && strcmp(text, base) == 0, "that list is not changed");
        free(text);
        CHECK(reqlog_pending(state, &n, NULL, &d) == 0 && n == 1, "the request still waits");
        CHECK(reqlog_apply(state, list, 1000, &st, &d) == 0 && st.records == 1,
            "and goes to its own list");
        append(REQLOG_UNSUBSCRIBE, "ben@example.org", NULL, NULL, 0);
        diag_clear(&d);
        CHECK(reqlog_open(state, other, &d) == NULL && d.code == 78 &&
            strstr(d.msg, "1 subscriber requests wait for the list") != NULL,
            "a writer for another list while one waits: EX_CONFIG (%s)", d.msg);
        CHECK(reqlog_apply(state, list, 1000, &st, &d) == 0 && st.records == 1,
            "applied to its list");
        diag_clear(&d);
        {
            struct reqlog *r = reqlog_open(state, other, &d);

            CHECK(r != NULL, "nothing waiting: another list takes over (%s)", d.msg);
            reqlog_close(r);
        }
        CHECK(reqlog_apply(state, other, 1000, &st, &d) == 0 && !st.other_list,
            "and is the list now");
    }

    /* a list that does not parse: nothing written, the requests stay */
    fresh("subscribers:\n  - email: [broken\n");
    append(REQLOG_UNSUBSCRIBE, "ann@example.org", NULL, NULL, 0);
    diag_clear(&d);
    CHECK(reqlog_apply(state, list, 1000, &st, &d) == -1 && d.code == 65,
        "a broken list: EX_DATAERR (%d)", d.code);
    CHECK(reqlog_pending(state, &n, NULL, &d) == 0 && n == 1, "and the request waits");

    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            return 2;
    }
    return check_exit();
}
