/*
 * libFuzzer entry for the HTML reader (src/article/html.c, meta.c): the first byte picks
 * the charset an HTTP header would name, the rest is the page.  Never a crash, a leak or
 * UB; a parsed page has a title, single-line metadata and a body in the safe subset.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/article/html.h"
#include "article.h"
#include "diag.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
single_line(const char *s)
{
    for (; s != NULL && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const charsets[] = { NULL, "utf-8", "iso-8859-1", "shift_jis",
        "utf-16", "no-such-charset" };
    struct diag d = DIAG_INIT;
    struct article *a;

    if (size < 1 || size > ARTICLE_MAX_BYTES)
        return 0;
    a = xcalloc(1, sizeof(*a));
    if (article_html_parse((const char *)data + 1, size - 1, "https://example.org/a/b.html",
        charsets[data[0] % 6], a, &d) == 0) {
        if (a->title == NULL || a->body_html == NULL || a->body_text == NULL ||
            strstr(a->body_html, "<script") != NULL ||
            !utf8_is_valid(a->body_html, strlen(a->body_html)))
            abort();
        single_line(a->title);
        single_line(a->source);
        single_line(a->author);
        single_line(a->date);
        single_line(a->summary);
    }
    article_free(a);
    return 0;
}
