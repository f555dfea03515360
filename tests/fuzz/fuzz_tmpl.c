/*
 * libFuzzer entry for tmpl: the input is a template, then up to three partials named
 * "a", "b" and "c", separated by NUL bytes.  Each input is parsed, rendered in HTML and
 * text mode against a small fixed data tree, and its names are listed.
 * Build: clang -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz_tmpl.c
 *        src/{tmpl,value,buf,diag,util}.c $(pkg-config --cflags --libs yaml-0.1) -lm
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "tmpl.h"
#include "util.h"
#include "value.h"

#define FUZZ_OUT_MAX (1 << 20)
#define FUZZ_PARTIALS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_yaml[] =
    "title: \"T <&> 'q'\"\n"
    "n: 1.5\n"
    "int: 85\n"
    "yes: true\n"
    "no: false\n"
    "nil: ~\n"
    "dyn: a\n"
    "list: [1, \"two\", {x: y, list: [a, b]}]\n"
    "empty: []\n"
    "map: {a: {b: c}, dyn: b, list: [{x: 1}, {x: 2}]}\n";

struct fuzz_parts {
    const char *text[FUZZ_PARTIALS];
    size_t len[FUZZ_PARTIALS];
};

static char *
fuzz_source(void *ctx, const char *name, size_t *len, char **origin, struct diag *d)
{
    const struct fuzz_parts *fp = ctx;

    (void)origin;
    (void)d;
    if (name[0] < 'a' || name[0] >= 'a' + FUZZ_PARTIALS || name[1] != '\0' ||
        fp->text[name[0] - 'a'] == NULL)
        return NULL;
    *len = fp->len[name[0] - 'a'];
    return xstrndup(fp->text[name[0] - 'a'], *len);
}

static void
fuzz_name(void *ctx, const struct tmpl_name *n)
{
    size_t *count = ctx;

    /* Touch every string so ASan sees a bad pointer. */
    *count += strlen(n->name) + strlen(n->origin);
    for (size_t i = 0; i < n->nsections; i++)
        *count += strlen(n->sections[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct value *tree;
    const char *s = (const char *)data, *end = s + size, *nul;
    struct fuzz_parts fp = { { NULL }, { 0 } };
    struct tmpl_partials *parts;
    struct tmpl *t;
    struct diag d = DIAG_INIT;
    size_t tlen, count = 0;

    if (tree == NULL && (tree = value_parse(fuzz_yaml, sizeof(fuzz_yaml) - 1, "fuzz",
        &d)) == NULL)
        abort();
    nul = memchr(s, '\0', size);
    tlen = nul != NULL ? (size_t)(nul - s) : size;
    for (int i = 0; i < FUZZ_PARTIALS && nul != NULL; i++) {
        const char *p = nul + 1, *next = memchr(p, '\0', (size_t)(end - p));

        fp.text[i] = p;
        fp.len[i] = (size_t)((next != NULL ? next : end) - p);
        nul = next;
    }
    parts = tmpl_partials_new(fuzz_source, &fp);
    if ((t = tmpl_parse(s, tlen, "fuzz", &d)) != NULL) {
        for (int flags = 0; flags <= TMPL_ESCAPE_HTML; flags += TMPL_ESCAPE_HTML) {
            struct buf out;

            buf_init(&out, FUZZ_OUT_MAX);
            diag_clear(&d);
            tmpl_render(t, tree, parts, flags, &out, &d);
            buf_fini(&out);
        }
        diag_clear(&d);
        tmpl_names(t, parts, fuzz_name, &count, &d);
    }
    tmpl_free(t);
    tmpl_partials_free(parts);
    return 0;
}
