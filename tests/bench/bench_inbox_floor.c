/*
 * bench_inbox_floor: the least work `gazette inbox` cannot avoid on a Maildir and a list,
 * timed, as the floor its benchmark is measured against: every message in new/ read
 * (open, read, close) and moved to cur/ with ":2,S" (renameat, then one fsync of each
 * folder), and the list read once and written back once the way gazette replaces it (a
 * temp file in the same folder, write, fsync, rename, fsync of the folder).  No parsing.
 * The list on its own thread and the messages on NT threads (default 2), all at once: the
 * best arrangement of that work on this machine, so a wall time no program can beat here.
 *   build/bench_inbox_floor MAILDIR LIST [NT]
 * Prints "floor: S s wall, C s CPU (messages M s on NT threads, list L s); N messages...".
 * The CPU time matters as much as the wall time: on a machine of K cores no program does
 * this work in less than C / K seconds.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_THREADS_MAX 16
#define FLOOR_NAME_MAX 256

struct work {
    int newfd, curfd;               /* MAILDIR/new and MAILDIR/cur, open */
    char (*names)[FLOOR_NAME_MAX];
    size_t n;
    size_t next;                    /* the next name to take (atomic) */
    size_t moved;                   /* atomic */
    unsigned long long bytes;       /* atomic */
    int failed;                     /* atomic: an errno, or 0 */
};

struct list {
    const char *path;
    double secs;
    size_t len;
    int failed;
};

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
messages(void *arg)
{
    struct work *w = arg;
    char buf[65536], to[FLOOR_NAME_MAX + 8];
    size_t i;

    while ((i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->n) {
        int fd = openat(w->newfd, w->names[i], O_RDONLY | O_CLOEXEC);
        unsigned long long got = 0;
        ssize_t k;

        if (fd == -1) {
            __atomic_store_n(&w->failed, errno, __ATOMIC_RELAXED);
            continue;
        }
        while ((k = read(fd, buf, sizeof(buf))) > 0)
            got += (unsigned long long)k;
        close(fd);
        if (k == -1) {
            __atomic_store_n(&w->failed, errno, __ATOMIC_RELAXED);
            continue;
        }
        __atomic_fetch_add(&w->bytes, got, __ATOMIC_RELAXED);
        if ((size_t)snprintf(to, sizeof(to), "%s:2,S", w->names[i]) >= sizeof(to) ||
            renameat(w->newfd, w->names[i], w->curfd, to) == -1) {
            __atomic_store_n(&w->failed, errno ? errno : ENAMETOOLONG, __ATOMIC_RELAXED);
            continue;
        }
        __atomic_fetch_add(&w->moved, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* Read the list whole, then replace it with the same bytes as atomic.c does. */
static void *
list_rewrite(void *arg)
{
    struct list *l = arg;
    double t0 = now();
    char *text = NULL, tmp[4096], dir[4096];
    const char *sl = strrchr(l->path, '/');
    struct stat sb;
    size_t len = 0;
    int fd = open(l->path, O_RDONLY | O_CLOEXEC), out = -1, dfd = -1;

    l->failed = EIO;
    if (fd == -1 || fstat(fd, &sb) == -1)
        goto out;
    text = malloc((size_t)sb.st_size + 1);
    while (text != NULL && len < (size_t)sb.st_size) {
        ssize_t k = read(fd, text + len, (size_t)sb.st_size - len);

        if (k <= 0)
            goto out;
        len += (size_t)k;
    }
    if (text == NULL)
        goto out;
    snprintf(dir, sizeof(dir), "%.*s", sl ? (int)(sl - l->path) : 1, sl ? l->path : ".");
    snprintf(tmp, sizeof(tmp), "%s.floor.%ld", l->path, (long)getpid());
    if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1)
        goto out;
    for (size_t w = 0; w < len;) {
        ssize_t k = write(out, text + w, len - w);

        if (k <= 0)
            goto out;
        w += (size_t)k;
    }
    if (fsync(out) == -1 || close(out) == -1) {
        out = -1;
        goto out;
    }
    out = -1;
    if (rename(tmp, l->path) == -1 ||
        (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 || fsync(dfd) == -1)
        goto out;
    l->failed = 0;
    l->len = len;
out:
    if (l->failed != 0)
        l->failed = errno ? errno : EIO;
    if (out != -1) {
        close(out);
        unlink(tmp);
    }
    if (dfd != -1)
        close(dfd);
    if (fd != -1)
        close(fd);
    free(text);
    l->secs = now() - t0;
    return NULL;
}

static int
namecmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

int
main(int argc, char **argv)
{
    struct work w;
    struct list l;
    pthread_t lt, mt[FLOOR_THREADS_MAX];
    char path[4096];
    size_t nt = 2, cap = 0, started = 0;
    DIR *dp;
    struct dirent *de;
    double t0, tm, cpu = 0;
    struct rusage ru;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: bench_inbox_floor MAILDIR LIST [THREADS]\n");
        return 64;
    }
    if (argc == 4) {
        nt = (size_t)strtoul(argv[3], NULL, 10);
        nt = nt < 1 ? 1 : nt > FLOOR_THREADS_MAX ? FLOOR_THREADS_MAX : nt;
    }
    memset(&w, 0, sizeof(w));
    memset(&l, 0, sizeof(l));
    l.path = argv[2];
    /* the clock runs from before the folder is listed, as gazette's does */
    t0 = now();
    if (pthread_create(&lt, NULL, list_rewrite, &l) != 0) {
        perror("bench_inbox_floor: pthread_create");
        return 71;
    }
    snprintf(path, sizeof(path), "%s/new", argv[1]);
    w.newfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof(path), "%s/cur", argv[1]);
    w.curfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w.newfd == -1 || w.curfd == -1 || (dp = fdopendir(dup(w.newfd))) == NULL) {
        fprintf(stderr, "bench_inbox_floor: %s: not a Maildir: %s\n", argv[1],
            strerror(errno));
        return 66;
    }
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.' || strlen(de->d_name) >= FLOOR_NAME_MAX)
            continue;
        if (w.n == cap) {
            void *v;

            cap = cap ? 2 * cap : 4096;
            if ((v = realloc(w.names, cap * FLOOR_NAME_MAX)) == NULL) {
                perror("bench_inbox_floor");
                return 71;
            }
            w.names = v;
        }
        memcpy(w.names[w.n++], de->d_name, strlen(de->d_name) + 1);
    }
    closedir(dp);
    /* gazette handles them in name order: the same order of renames */
    qsort(w.names, w.n, FLOOR_NAME_MAX, namecmp);
    for (size_t t = 1; t < nt; t++)
        if (pthread_create(&mt[started], NULL, messages, &w) == 0)
            started++;
    messages(&w);
    for (size_t t = 0; t < started; t++)
        pthread_join(mt[t], NULL);
    if (fsync(w.newfd) == -1 || fsync(w.curfd) == -1)
        w.failed = errno;
    tm = now() - t0;
    pthread_join(lt, NULL);
    t0 = now() - t0;
    close(w.newfd);
    close(w.curfd);
    free(w.names);
    if (w.failed != 0 || l.failed != 0) {
        fprintf(stderr, "bench_inbox_floor: %s\n", strerror(w.failed ? w.failed : l.failed));
        return 74;
    }
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("floor: %.2f s wall, %.2f s CPU (messages %.2f s on %zu threads, list %.2f s); "
        "%zu messages moved, %llu bytes read, list %zu bytes rewritten\n",
        t0, cpu, tm, started + 1, l.secs, w.moved, w.bytes, l.len);
    return w.moved == w.n ? 0 : 1;
}
