/*
 * spec_mustache: runs the official Mustache spec files through tmpl.  The JSON files are
 * read at run time with value_load() (no case is copied into C) from argv[1], or from
 * tests/spec/mustache/ (vendored, MIT; under $TOP when set).  Each case prints "ok - FILE:
 * NAME" or "not ok - ..." with the template, expected and actual text; ~lambdas cases
 * print "skip - ..." (C has no lambdas in data).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "tmpl.h"
#include "util.h"
#include "value.h"

/* Spec modules, required first; the ~ ones are optional in the spec. */
static const struct {
    const char *file;
    bool skip;                  /* not implemented: every case is a printed skip */
} modules[] = {
    { "comments", false }, { "delimiters", false }, { "interpolation", false },
    { "inverted", false }, { "partials", false }, { "sections", false },
    { "~inheritance", false }, { "~dynamic-names", false }, { "~lambdas", true },
};

/* tmpl_source_fn over the case's "partials" map. */
static char *
map_source(void *ctx, const char *name, size_t *len, char **origin, struct diag *d)
{
    const struct value *v = value_get(ctx, name);

    (void)origin;
    (void)d;
    if (v == NULL || v->type != VALUE_STR)
        return NULL;
    *len = v->len;
    return xstrndup(v->str, v->len);
}

/* Print s as a C string literal, so that blanks, CR and LF show. */
static void
show(const char *label, const char *s, size_t n)
{
    printf("#   %-9s \"", label);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\n')
            printf("\\n");
        else if (c == '\r')
            printf("\\r");
        else if (c == '\t')
            printf("\\t");
        else if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("\"\n");
}

static const char *
str_field(const struct value *test, const char *key)
{
    const struct value *v = value_get(test, key);

    return v != NULL && v->type == VALUE_STR ? v->str : NULL;
}

/* Render test once to got; 0 ok, -1 with the reason in got. */
static int
render_case(const struct value *test, const char *label, struct buf *got)
{
    const struct value *tv = value_get(test, "template");
    struct tmpl_partials *parts = tmpl_partials_new(map_source, value_get(test, "partials"));
    struct diag d = DIAG_INIT;
    struct tmpl *t = tmpl_parse(tv->str, tv->len, label, &d);
    struct buf again;
    int rc = -1;
    char msg[DIAG_PATH_MAX + DIAG_MSG_MAX + 32];

    buf_init(&again, BUF_MAX_DEFAULT);
    if (t == NULL ||
        tmpl_render(t, value_get(test, "data"), parts, TMPL_ESCAPE_HTML, got, &d) == -1 ||
        tmpl_render(t, value_get(test, "data"), parts, TMPL_ESCAPE_HTML, &again, &d) == -1) {
        buf_reset(got);
        buf_adds(got, diag_format(&d, msg, sizeof(msg)));
        goto out;
    }
    /* Compiled once, rendered many times: the second run must give the same text. */
    if (again.len != got->len || memcmp(buf_str(&again), buf_str(got), got->len) != 0) {
        buf_reset(got);
        buf_addf(got, "second render differs: %s", buf_str(&again));
        goto out;
    }
    rc = 0;
out:
    buf_fini(&again);
    tmpl_free(t);
    tmpl_partials_free(parts);
    return rc;
}

static void
run_file(const char *dir, const char *module, bool skip)
{
    char msg[DIAG_PATH_MAX + DIAG_MSG_MAX + 32];
    struct diag d = DIAG_INIT;
    struct value *root;
    const struct value *tests;
    struct buf path;
    int pass = 0, fail = 0, skipped = 0;

    buf_init(&path, BUF_MAX_DEFAULT);
    buf_addf(&path, "%s/%s.json", dir, module);
    root = value_load(buf_str(&path), &d);
    tests = value_get(root, "tests");
    if (root == NULL || tests == NULL || tests->type != VALUE_LIST || tests->n == 0) {
        check_failed++;
        if (root == NULL)
            printf("not ok - %s: cannot load: %s\n", module, diag_format(&d, msg, sizeof(msg)));
        else
            printf("not ok - %s: no \"tests\" list in %s\n", module, buf_str(&path));
        value_free(root);
        buf_fini(&path);
        return;
    }
    for (size_t i = 0; i < tests->n; i++) {
        const struct value *test = tests->items[i];
        const char *name = str_field(test, "name"), *tmpl = str_field(test, "template");
        const char *want = str_field(test, "expected");
        const struct value *wv = value_get(test, "expected");
        char label[512];
        struct buf got;
        bool ok;

        snprintf(label, sizeof(label), "%s: %s", module, name != NULL ? name : "(no name)");
        if (skip) {
            printf("skip - %s (lambdas are not supported)\n", label);
            skipped++;
            continue;
        }
        if (name == NULL || tmpl == NULL || want == NULL) {
            check_failed++;
            fail++;
            printf("not ok - %s: case %zu lacks name, template or expected\n", module, i);
            continue;
        }
        buf_init(&got, BUF_MAX_DEFAULT);
        ok = render_case(test, label, &got) == 0 && got.len == wv->len &&
            memcmp(buf_str(&got), want, wv->len) == 0;
        if (ok) {
            printf("ok - %s\n", label);
            pass++;
        } else {
            check_failed++;
            fail++;
            printf("not ok - %s\n", label);
            show("template:", tmpl, strlen(tmpl));
            show("expected:", want, wv->len);
            show("got:", buf_str(&got), got.len);
        }
        buf_fini(&got);
    }
    printf("# %s: %d passed, %d failed, %d skipped\n", module, pass, fail, skipped);
    value_free(root);
    buf_fini(&path);
}

int
main(int argc, char **argv)
{
    const char *top = getenv("TOP");
    struct buf dir;

    buf_init(&dir, BUF_MAX_DEFAULT);
    if (argc > 1)
        buf_adds(&dir, argv[1]);
    else
        buf_addf(&dir, "%s/tests/spec/mustache", top != NULL && top[0] != '\0' ? top : ".");
    for (size_t i = 0; i < ARRAY_LEN(modules); i++)
        run_file(buf_str(&dir), modules[i].file, modules[i].skip);
    buf_fini(&dir);
    return check_exit();
}
