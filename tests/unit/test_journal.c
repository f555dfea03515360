/*
 * Unit tests for the journal: replay, torn lines, in-flight -> uncertain, the campaign
 * lock, group commit from many threads, written vs. appended, the flusher's batches, and
 * a real kill -9 of a writer: every record it was told was written (or durable) must be
 * there afterwards.
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "diag.h"
#include "journal.h"
#include "util.h"

static char dir[256];

static void
test_replay(void)
{
    struct diag d = DIAG_INIT;
    struct journal *j = journal_open(dir, "c1", &d), *j2;
    struct journal_entry e;
    struct journal_counts c;

    CHECK(j != NULL, "open creates a journal %s", d.msg);
    if (j == NULL)
        return;
    journal_add(j, "a@example.org", JOURNAL_START, 0, NULL, NULL, 0);
    journal_add(j, "a@example.org", JOURNAL_SENT, 250, "2.0.0", "ok\tqueued\r\nas 123", 0.01);
    journal_add(j, "b@example.org", JOURNAL_START, 0, NULL, NULL, 0);
    journal_add(j, "b@example.org", JOURNAL_TEMPFAIL, 451, "4.3.0", "try later", 0.02);
    journal_add(j, "b@example.org", JOURNAL_START, 0, NULL, NULL, 0);
    journal_add(j, "c@example.org", JOURNAL_START, 0, NULL, NULL, 0);
    j2 = journal_open(dir, "c1", &d);
    CHECK(j2 == NULL && d.code == EX_TEMPFAIL && strstr(d.msg, "another gazette run"),
        "a second run of the same campaign is refused with EX_TEMPFAIL");
    diag_clear(&d);
    CHECK(journal_close(j, &d) == 0, "close syncs");

    j = journal_open(dir, "c1", &d);
    CHECK(j != NULL, "reopen");
    if (j == NULL)
        return;
    e = journal_get(j, "A@EXAMPLE.ORG");
    CHECK(e.state == JOURNAL_SENT && e.code == 250 && strcmp(e.enhanced, "2.0.0") == 0 &&
        strcmp(e.text, "ok queued  as 123") == 0 && e.attempts == 1,
        "sent state, code, enhanced code and cleaned text survive (%s)", e.text);
    e = journal_get(j, "b@example.org");
    CHECK(e.state == JOURNAL_UNCERTAIN && e.attempts == 2, "a started retry with no outcome "
        "is uncertain after a restart (attempts %d)", e.attempts);
    e = journal_get(j, "c@example.org");
    CHECK(e.state == JOURNAL_UNCERTAIN, "an in-flight message is uncertain");
    e = journal_get(j, "nobody@example.org");
    CHECK(e.state == JOURNAL_NONE && e.attempts == 0, "unknown address: none");
    journal_counts(j, &c);
    CHECK(c.n[JOURNAL_SENT] == 1 && c.n[JOURNAL_UNCERTAIN] == 2, "counts");
    journal_close(j, NULL);
    j = journal_read(dir, "c1", &d);
    e = j ? journal_get(j, "c@example.org") : e;
    CHECK(j != NULL && e.state == JOURNAL_UNCERTAIN, "the uncertain record was written");
    journal_close(j, NULL);
}

static void
test_torn(void)
{
    struct diag d = DIAG_INIT;
    char path[512];
    struct journal *j;
    FILE *f;

    snprintf(path, sizeof(path), "%s/torn.journal", dir);
    f = fopen(path, "w");
    fputs("# gazette journal v1 campaign torn\n"
        "1\t1700000000000\tstart\ta@example.org\t0\t\t\t0.000\n"
        "2\t1700000000001\tsent\ta@example.org\t250\t\tok\t0.010\n"
        "3\t1700000000002\tsta", f);
    fclose(f);
    j = journal_open(dir, "torn", &d);
    CHECK(j != NULL && journal_get(j, "a@example.org").state == JOURNAL_SENT,
        "a torn last line is ignored");
    if (j != NULL) {
        journal_add(j, "b@example.org", JOURNAL_SENT, 250, "", "ok", 0);
        journal_close(j, NULL);
    }
    j = journal_open(dir, "torn", &d);
    CHECK(j != NULL && journal_get(j, "b@example.org").state == JOURNAL_SENT,
        "the torn line was cut, so the next record starts on its own line");
    journal_close(j, NULL);

    snprintf(path, sizeof(path), "%s/bad.journal", dir);
    f = fopen(path, "w");
    fputs("1\t1\tstart\ta@example.org\t0\t\t\t0\nnonsense line\n", f);
    fclose(f);
    diag_clear(&d);
    j = journal_open(dir, "bad", &d);
    CHECK(j == NULL && d.code == EX_DATAERR && d.line == 2 && strstr(d.path, "bad.journal"),
        "a damaged line is an error naming the line");
    diag_clear(&d);
    j = journal_open(dir, "../escape", &d);
    CHECK(j == NULL && d.code == EX_DATAERR, "a campaign id with a slash is refused");
    diag_clear(&d);
    j = journal_read(dir, "never", &d);
    CHECK(j == NULL && d.code == EX_NOINPUT, "reading a missing journal: EX_NOINPUT");
}

static bool
file_has(const char *campaign, const char *needle)
{
    char path[512], *text;
    size_t len;
    bool has;

    snprintf(path, sizeof(path), "%s/%s.journal", dir, campaign);
    text = read_file(path, &len);
    has = text != NULL && strstr(text, needle) != NULL;
    free(text);
    return has;
}

/* Appended records stay in memory until journal_write(), or until the flusher's batch. */
static void
test_write_batch(void)
{
    struct diag d = DIAG_INIT;
    struct journal *j = journal_open(dir, "wb", &d);
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    uint64_t s;

    if (j == NULL) {
        CHECK(0, "open wb journal: %s", d.msg);
        return;
    }
    s = journal_add(j, "x@example.org", JOURNAL_START, 0, NULL, NULL, 0);
    CHECK(!file_has("wb", "x@example.org"), "an appended record is not in the file yet");
    CHECK(journal_write(j, s, &d) == 0 && file_has("wb", "start\tx@example.org"),
        "journal_write puts it in the file");
    journal_add(j, "y@example.org", JOURNAL_SENT, 250, "2.0.0", "ok", 0);
    /* every 100 ms in a quiet machine; wait for it rather than for a time (a busy machine
       may take longer), up to a minute */
    for (int i = 0; i < 600 && !file_has("wb", "sent\ty@example.org"); i++)
        nanosleep(&ts, NULL);
    CHECK(file_has("wb", "sent\ty@example.org"), "the flusher writes (and syncs) an "
        "appended record, with no call");
    journal_close(j, NULL);
}

struct worker {
    struct journal *j;
    int id;
    int fails;
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    char addr[64];

    for (int i = 0; i < 500; i++) {
        uint64_t s;

        snprintf(addr, sizeof(addr), "t%d-%d@example.org", w->id, i);
        journal_add(w->j, addr, JOURNAL_START, 0, NULL, NULL, 0);
        s = journal_add(w->j, addr, JOURNAL_SENT, 250, "2.0.0", "ok", 0.001);
        if (journal_sync(w->j, s, NULL) == -1)
            w->fails++;
    }
    return NULL;
}

static void
test_threads(void)
{
    struct diag d = DIAG_INIT;
    struct journal *j = journal_open(dir, "threads", &d);
    struct worker w[8];
    pthread_t t[8];
    struct journal_counts c;
    int fails = 0;

    if (j == NULL) {
        CHECK(0, "open threads journal");
        return;
    }
    for (int i = 0; i < 8; i++) {
        w[i].j = j;
        w[i].id = i;
        w[i].fails = 0;
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        fails += w[i].fails;
    }
    journal_close(j, NULL);
    j = journal_open(dir, "threads", &d);
    journal_counts(j, &c);
    CHECK(fails == 0 && c.n[JOURNAL_SENT] == 4000, "8 threads x 500 group-committed records "
        "all read back (%zu)", c.n[JOURNAL_SENT]);
    journal_close(j, NULL);
}

/* A writer that says on a pipe which sequence numbers are written (even rounds) or
   durable (odd rounds); kill -9 it after a given number.  Written is enough to survive
   the process. */
static void
test_kill(void)
{
    int rounds = 5, lost = 0, acked_total = 0;

    for (int r = 0; r < rounds; r++) {
        int fds[2];
        pid_t pid;
        char campaign[32];

        snprintf(campaign, sizeof(campaign), "kill%d", r);
        if (pipe(fds) == -1)
            return;
        pid = fork();
        if (pid == 0) {
            struct journal *j = journal_open(dir, campaign, NULL);

            close(fds[0]);
            for (int i = 0; j != NULL; i++) {
                char addr[64];
                uint64_t s;

                snprintf(addr, sizeof(addr), "k%d@example.org", i);
                s = journal_add(j, addr, JOURNAL_SENT, 250, "", "ok", 0);
                if ((r % 2 == 0 ? journal_write(j, s, NULL) : journal_sync(j, s, NULL)) == -1 ||
                    write(fds[1], &i, sizeof(i)) != sizeof(i))
                    _exit(1);
            }
            _exit(1);
        }
        close(fds[1]);
        {
            int last = -1, v;
            struct journal *j;
            struct diag d = DIAG_INIT;

            /* kill it once it has said so for 10 + 17r records (a count, not a time) */
            for (int k = 0; k < 10 + r * 17 && read(fds[0], &v, sizeof(v)) == sizeof(v); k++)
                last = v;
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            while (read(fds[0], &v, sizeof(v)) == sizeof(v))
                last = v;
            close(fds[0]);
            j = journal_open(dir, campaign, &d);
            if (j == NULL) {
                lost++;
                continue;
            }
            for (int i = 0; i <= last; i++) {
                char addr[64];

                snprintf(addr, sizeof(addr), "k%d@example.org", i);
                if (journal_get(j, addr).state != JOURNAL_SENT)
                    lost++;
            }
            acked_total += last + 1;
            journal_close(j, NULL);
        }
    }
    CHECK(lost == 0 && acked_total > 0, "kill -9 of a writer, %d times: all %d records it was "
        "told were written or durable are there", rounds, acked_total);
}

int
main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/gazette-journal-test.%ld", (long)getpid());
    test_replay();
    test_torn();
    test_write_batch();
    test_threads();
    test_kill();
    {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return check_exit();
}
