/*
 * Replays every fuzz seed and past crasher through its parser under the sanitizers, so
 * that a bug the fuzzer found stays fixed in `make test`.  The seeds are
 * tests/fuzz/seeds/NAME/ (crashers and inputs of their own) plus the fixtures they would
 * otherwise copy (tests/data/..., templates/, examples/); tests/fuzz/run.sh uses the same
 * folders.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/article/html.h"
#include "article.h"
#include "bounce.h"
#include "check.h"
#include "config.h"
#include "diag.h"
#include "subs.h"
#include "tmpl.h"
#include "util.h"
#include "../fuzz/compose_one.h"
#include "../fuzz/textref_check.h"

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
run_html(const char *p, size_t n)
{
    static const char *const charsets[] = { NULL, "utf-8", "iso-8859-1", "shift_jis",
        "utf-16", "no-such-charset" };
    struct diag d = DIAG_INIT;
    struct article *a;

    if (n < 1)
        return;
    a = xcalloc(1, sizeof(*a));
    if (article_html_parse(p + 1, n - 1, "https://example.org/a/b.html",
        charsets[(unsigned char)p[0] % 6], a, &d) == 0 && a->body_html != NULL &&
        !utf8_is_valid(a->body_html, strlen(a->body_html)))
        CHECK(0, "html seed: the body is valid UTF-8 (as tests/fuzz/fuzz_html.c checks)");
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

static void
run_inbox(const char *p, size_t n)
{
    struct bounce_report *r = xmalloc(sizeof(*r));

    bounce_parse(p, n, r);
    free(r);
}

static void
run_textref(const char *p, size_t n)
{
    CHECK(textref_check(p, n) == 0, "a character reference decoded against its promises");
}

static const struct {
    const char *name;
    void (*fn)(const char *, size_t);
    const char *dirs[4];
} targets[] = {
    { "article", run_article, { "tests/fuzz/seeds/article", "tests/data/articles" } },
    { "subs", run_subs, { "tests/fuzz/seeds/subs", "tests/data/subs", "tests/data/subs/fuzz",
        "examples" } },
    { "config", run_config, { "tests/fuzz/seeds/config", "tests/data/config" } },
    { "tmpl", run_tmpl, { "tests/fuzz/seeds/tmpl", "templates" } },
    { "compose", run_compose, { "tests/fuzz/seeds/compose" } },
    { "html", run_html, { "tests/fuzz/seeds/html" } },
    { "inbox", run_inbox, { "tests/fuzz/seeds/inbox", "tests/data/bounces",
        "tests/data/bounces-heldout" } },
    { "textref", run_textref, { "tests/fuzz/seeds/textref" } },
};

/* Every file in path through fn; how many. */
static int
replay(const char *path, void (*fn)(const char *, size_t))
{
    DIR *dir;
    struct dirent *de;
    int n = 0;

    if ((dir = opendir(path)) == NULL)
        return 0;
    while ((de = readdir(dir)) != NULL) {
        char file[1024];
        size_t len;
        char *text;

        if (de->d_name[0] == '.')
            continue;
        snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
        if ((text = read_file(file, &len)) == NULL)
            continue;                   /* a folder */
        fn(text, len);                  /* a sanitizer report would abort here */
        free(text);
        n++;
    }
    closedir(dir);
    return n;
}

int
main(void)
{
    for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
        int n = 0;

        for (size_t k = 0; k < 4 && targets[t].dirs[k] != NULL; k++)
            n += replay(targets[t].dirs[k], targets[t].fn);
        CHECK(n > 0, "%s: %d seeds replayed without a sanitizer report", targets[t].name, n);
    }
    return check_exit();
}
