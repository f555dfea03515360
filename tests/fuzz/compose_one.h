/*
 * The composer under fuzzing, shared by tests/fuzz/fuzz_compose.c and the seed replay in
 * tests/unit/test_fuzz_seeds.c.  The first byte picks what the rest is: 0, 1, 2 an article
 * (Markdown, YAML, scraped text), 3 template data (YAML or JSON, as `preview --data`).
 * The digest is composed from the built-in templates and written for two subscribers; a
 * message may be refused with an error, but never crash, and neither subscriber's address
 * may appear in the other's message (issue 9: a forged placeholder did that).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_COMPOSE_ONE_H
#define GAZETTE_COMPOSE_ONE_H

#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "subs.h"
#include "util.h"
#include "value.h"

#define COMPOSE_ONE_OUT_MAX ((size_t)64 << 20)

/* Does p[0..n) (any bytes, NUL too) hold the string s? */
static int
compose_one_has(const char *p, size_t n, const char *s)
{
    size_t sl = strlen(s);

    for (size_t i = 0; i + sl <= n; i++)
        if (memcmp(p + i, s, sl) == 0)
            return 1;
    return 0;
}

/* out (optional): the first subscriber's message.  Returns -1 when a message leaks. */
static int
compose_one(const char *p, size_t n, struct buf *out)
{
    static struct config *cfg;
    struct digest_issue is = { 3, 1795000000, "Issue", NULL };
    struct subscriber s[2];
    struct digest_opts o;
    struct diag d = DIAG_INIT;
    struct article *a = NULL;
    struct value *data = NULL;
    struct digest *g = NULL;
    struct buf m[2];
    int rc = 0;

    if (n < 1)
        return 0;
    if (cfg == NULL) {
        cfg = config_defaults(".");
        free(cfg->newsletter.unsubscribe_url);
        cfg->newsletter.unsubscribe_url = xstrdup("https://example.org/u?t={{token}}");
        free(cfg->newsletter.from);
        cfg->newsletter.from = xstrdup("news@example.org");
    }
    memset(&o, 0, sizeof(o));
    o.cfg = cfg;
    o.template_dir = "/nonexistent";
    o.secret = "fuzz";
    if (p[0] % 4 == 3) {
        if ((data = value_parse(p + 1, n - 1, "data", &d)) == NULL)
            return 0;
        o.data = data;
    } else if ((a = article_parse(p + 1, n - 1, (enum article_format)(p[0] % 4), "fuzz",
        NULL, &d)) == NULL)
        return 0;
    memset(s, 0, sizeof(s));
    s[0].email = s[0].addr = "ann@example.org";
    s[0].name = "Ann";
    s[1].email = s[1].addr = "bob@example.net";
    s[1].name = "";
    s[0].subscribed_at = s[1].subscribed_at = "";
    if ((g = digest_new(&o, a ? &a : NULL, a ? 1 : 0, &is, &d)) != NULL) {
        for (int i = 0; i < 2; i++) {
            buf_init(&m[i], COMPOSE_ONE_OUT_MAX);
            diag_clear(&d);
            const char *other = i == 0 ? "bob@example.net" : "ann@example.org";

            /* the other's address, unless the input itself holds it */
            if (digest_message(g, &s[i], &m[i], &d) == 0 &&
                compose_one_has(buf_str(&m[i]), m[i].len, other) &&
                !compose_one_has(p, n, other))
                rc = -1;
        }
        if (out != NULL)
            buf_add(out, buf_str(&m[0]), m[0].len);
        buf_fini(&m[0]);
        buf_fini(&m[1]);
    }
    digest_free(g);
    article_free(a);
    value_free(data);
    return rc;
}

#endif
