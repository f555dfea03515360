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
#include "bounce.h"
#include "check.h"
#include "config.h"
#include "diag.h"
#include "subs.h"
#include "tmpl.h"
#include "util.h"

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

static void
run_inbox(const char *p, size_t n)
{
    struct bounce_report *r = xmalloc(sizeof(*r));

    bounce_parse(p, n, r);
    free(r);
}

static const struct {
    const char *dir;
    void (*fn)(const char *, size_t);
} targets[] = {
    { "article", run_article },
    { "subs", run_subs },
    { "config", run_config },
    { "tmpl", run_tmpl },
    { "inbox", run_inbox },
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
