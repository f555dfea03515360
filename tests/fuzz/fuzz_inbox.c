/*
 * libFuzzer entry for the inbox's parser: bounce_parse() (GMime, then our reading of
 * DSNs, ARF, SES, auto-replies and free-text reports).  Besides "never crash or hang", it
 * checks what the inbox relies on: the counts stay in their bounds, every string is
 * terminated, recipients are plain ASCII addresses, diagnostics are valid UTF-8 without
 * control bytes, and a VERP token found in the message decodes or is refused cleanly.
 * Seeds: tests/fuzz/seeds/inbox/ and the corpus tests/data/bounces/.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "util.h"
#include "verp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
clean(const char *s, size_t size)
{
    size_t n = strnlen(s, size);

    if (n == size || !utf8_is_valid(s, n))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bounce_report *r = malloc(sizeof(*r));

    if (r == NULL)
        return 0;
    bounce_parse((const char *)data, size, r);
    if ((unsigned)r->kind > BOUNCE_DELIVERED || r->nrcpt > BOUNCE_MAX_RCPT ||
        r->nto > BOUNCE_MAX_TO || r->format == NULL)
        abort();
    clean(r->mta, sizeof(r->mta));
    clean(r->subject, sizeof(r->subject));
    clean(r->why, sizeof(r->why));
    clean(r->feedback, sizeof(r->feedback));
    for (size_t i = 0; i < r->nrcpt; i++) {
        const struct bounce_rcpt *rc = &r->rcpt[i];

        clean(rc->diag, sizeof(rc->diag));
        clean(rc->status, sizeof(rc->status));
        clean(rc->action, sizeof(rc->action));
        clean(rc->addr, sizeof(rc->addr));
        for (const char *p = rc->addr; *p; p++)
            if ((unsigned char)*p >= 0x80 || *p == ' ')
                abort();
    }
    for (size_t i = 0; i < r->nto; i++) {
        struct verp_ref ref;

        clean(r->to[i], sizeof(r->to[i]));
        (void)verp_parse(r->to[i], strlen(r->to[i]), "bounces@example.org", '+', &ref);
    }
    free(r);
    return 0;
}
