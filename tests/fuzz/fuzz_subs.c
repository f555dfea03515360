/*
 * libFuzzer entry for the subscriber list.  Besides "never crash", it checks that the
 * fast path and libyaml agree: when the fast path reads a file, libyaml must read the
 * same entries with the same spans.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "subs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag d1 = DIAG_INIT, d2 = DIAG_INIT;
    struct subs *f = subs_parse((const char *)data, size, "fuzz.yaml", 0, NULL, &d1);
    struct subs *y;

    if (f == NULL || !f->fast) {
        subs_free(f);
        return 0;
    }
    y = subs_parse((const char *)data, size, "fuzz.yaml", SUBS_NO_FAST, NULL, &d2);
    if (y == NULL || y->n != f->n)
        abort();
    for (size_t i = 0; i < f->n; i++) {
        const struct subscriber *a = &f->v[i], *b = &y->v[i];

        if (strcmp(a->email, b->email) || strcmp(a->name, b->name) ||
            strcmp(a->subscribed_at, b->subscribed_at) || a->status != b->status ||
            a->ntags != b->ntags || a->nfields != b->nfields || a->start != b->start ||
            a->len != b->len || a->st_off != b->st_off || a->st_len != b->st_len ||
            a->line != b->line)
            abort();
        for (size_t j = 0; j < a->ntags; j++)
            if (strcmp(a->tags[j], b->tags[j]))
                abort();
        for (size_t j = 0; j < a->nfields; j++)
            if (strcmp(a->fields[j].key, b->fields[j].key) ||
                strcmp(a->fields[j].val, b->fields[j].val))
                abort();
    }
    if (f->append_at != y->append_at || f->dash_col != y->dash_col || f->key_col != y->key_col)
        abort();
    subs_free(f);
    subs_free(y);
    return 0;
}
