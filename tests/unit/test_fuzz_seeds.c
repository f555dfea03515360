/*
 * Replays every fuzz seed and past crasher (tests/fuzz/seeds/NAME/) through its parser
 * under the sanitizers, so that a bug the fuzzer found stays fixed in `make test`.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "check.h"
#include "config.h"
#include "diag.h"
#include "subs.h"
#include "tmpl.h"
#include "util.h"
#include "../fuzz/compose_one.h"

static void
run_article(const char *p, size_t n)
{
    struct diag d = DIAG_INIT;
    struct article *a;

    if (n < 1)
        return;
    a = article_parse(p + 1, n - 1, (enum article_format)((unsigned char)p[0] % 3), "seed",
        NULL, &d);
    article_free(a);
}

static void
run_subs(const char *p, size_t n)
{
    struct diag d = DIAG_INIT;

    subs_free(subs_parse(p, n, "seed", 0, NULL, &d));
    subs_free(subs_parse(p, n, "seed", SUBS_NO_FAST, NULL, &d));
}

static void
run_config(const char *p, size_t n)
{
    struct diag d = DIAG_INIT;

    config_free(config_parse(p, n, "seed", &d));
}

static void
run_tmpl(const char *p, size_t n)
{
    struct diag d = DIAG_INIT;

    tmpl_free(tmpl_parse(p, n, "seed", &d));
}

/* The composer; with GAZETTE_EML_DIR set, each message is kept there for the corpus test
   (tests/integration/corpus.sh re-parses them). */
static void
run_compose(const char *p, size_t n)
{
    static int seq;
    const char *dir = getenv("GAZETTE_EML_DIR");
    struct buf m;

    buf_init(&m, 0);
    CHECK(compose_one(p, n, &m) == 0, "compose seed %d: no address in another's message",
        seq);
    if (dir != NULL && m.len > 0) {
        char path[1024];
        FILE *f;

        snprintf(path, sizeof(path), "%s/compose-seed-%03d.eml", dir, seq);
        if ((f = fopen(path, "wb")) != NULL) {
            fwrite(buf_str(&m), 1, m.len, f);
            fclose(f);
        }
    }
    seq++;
    buf_fini(&m);
}

static const struct {
    const char *dir;
    void (*fn)(const char *, size_t);
} targets[] = {
    { "article", run_article },
    { "subs", run_subs },
    { "config", run_config },
    { "tmpl", run_tmpl },
    { "compose", run_compose },
};

int
main(void)
{
    for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
        char path[512];
        DIR *dir;
        struct dirent *de;
        int n = 0;

        snprintf(path, sizeof(path), "tests/fuzz/seeds/%s", targets[t].dir);
        if ((dir = opendir(path)) == NULL) {
            printf("skip - no seeds for %s\n", targets[t].dir);
            continue;
        }
        while ((de = readdir(dir)) != NULL) {
            char file[1024];
            size_t len;
            char *text;

            if (de->d_name[0] == '.')
                continue;
            snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
            if ((text = read_file(file, &len)) == NULL)
                continue;
            targets[t].fn(text, len);       /* a sanitizer report would abort here */
            free(text);
            n++;
        }
        closedir(dir);
        CHECK(n > 0, "%s: %d seeds replayed without a sanitizer report", targets[t].dir, n);
    }
    return check_exit();
}
