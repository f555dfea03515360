/*
 * bench_html DIR [REPEAT]: extract every page DIR/NAME/source.html (Readability's test
 * pages) REPEAT times with gazette's HTML reader; print pages/s, MB/s, the peak RSS above
 * the process's baseline (after a warm-up page) and the largest page.  Verifies its own
 * results: every page gives an article with a title and a body, and every repetition gives
 * the same output (a hash of all bodies).  It names the page during which the peak was
 * reached (the pages' memory is what the target is about).  The last line is for tests/bench/run.sh:
 *   RESULT pages SECONDS BYTES PEAK_KB BASE_KB LARGEST_BYTES
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "article.h"
#include "diag.h"
#include "util.h"

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned long long
hash(unsigned long long h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int
main(int argc, char **argv)
{
    char **names = NULL;
    size_t nn = 0, bytes = 0, largest = 0, pages = 0;
    long repeat = 5, base, top;
    const char *top_name = "(none)";
    unsigned long long first = 0;
    double secs = 0;
    int bad = 0;
    DIR *dp;
    struct dirent *e;

    if (argc < 2 || (argc > 2 && parse_long(argv[2], 1, 1000, &repeat) == -1)) {
        fprintf(stderr, "usage: bench_html DIR [REPEAT]\n");
        return 2;
    }
    if ((dp = opendir(argv[1])) == NULL) {
        perror(argv[1]);
        return 1;
    }
    while ((e = readdir(dp)) != NULL)
        if (e->d_name[0] != '.' && strchr(e->d_name, '.') == NULL) {
            names = xreallocarray(names, nn + 1, sizeof(*names));
            names[nn++] = xstrdup(e->d_name);
        }
    closedir(dp);
    qsort(names, nn, sizeof(*names), cmp_str);
    {
        /* warm up: libxml2's and libcurl's code and tables paged in, so that the baseline
         * is the program ready to work and the growth above it is the pages' memory */
        static const char warm[] = "<html><head><title>Warm up</title></head><body><p>"
            "A first paragraph, with commas, long enough to be the article's body text for "
            "the scorer, and <a href=\"/x\">a link</a>.</p></body></html>";
        struct diag d = DIAG_INIT;

        article_free(article_parse(warm, sizeof(warm) - 1, ARTICLE_HTML,
            "http://fakehost/test/page.html", NULL, &d));
    }
    base = top = peak_kb();
    for (long r = 0; r < repeat; r++) {
        unsigned long long h = 1469598103934665603ull;

        for (size_t i = 0; i < nn; i++) {
            char path[4096];
            struct diag d = DIAG_INIT;
            struct article *a;
            size_t len;
            char *src;
            double t;

            snprintf(path, sizeof(path), "%s/%s/source.html", argv[1], names[i]);
            if ((src = read_file(path, &len)) == NULL)
                continue;
            t = now();
            a = article_parse(src, len, ARTICLE_HTML, "http://fakehost/test/page.html", NULL,
                &d);
            secs += now() - t;
            free(src);
            if (r == 0) {
                bytes += len;
                pages++;
                largest = len > largest ? len : largest;
            }
            if (a == NULL || a->title[0] == '\0' || a->body_text[0] == '\0') {
                if (r == 0)
                    printf("FAILED: %s gave no article (%s)\n", names[i], d.msg);
                bad++;
            } else {
                h = hash(hash(h, a->title), a->body_html);
            }
            article_free(a);
            if (peak_kb() > top) {
                top = peak_kb();
                top_name = names[i];
            }
        }
        if (r == 0)
            first = h;
        else if (h != first) {
            printf("FAILED: repetition %ld gave different output\n", r + 1);
            bad++;
        }
    }
    printf("gazette: %zu pages (%.1f MB) x %ld in %.3f s: %.0f pages/s, %.1f MB/s\n", pages,
        (double)bytes / 1048576, repeat, secs, (double)(pages * (size_t)repeat) / secs,
        (double)bytes * (double)repeat / 1048576 / secs);
    printf("peak RSS %.1f MB (%.1f MB above the %.1f MB baseline, reached on %s); largest "
        "page %.2f MB\n", (double)peak_kb() / 1024, (double)(peak_kb() - base) / 1024,
        (double)base / 1024, top_name, (double)largest / 1048576);
    printf("RESULT %zu %.6f %zu %ld %ld %zu\n", pages * (size_t)repeat, secs,
        bytes * (size_t)repeat, peak_kb(), base, largest);
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    return bad ? 1 : 0;
}
