/*
 * libFuzzer entry for the article readers: the first byte picks the format (Markdown,
 * YAML, scraped text), the rest is the file.  Never a crash, a leak or UB; a parsed
 * article always has a title and single-line fields without control characters.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "diag.h"
#include "value.h"

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
    struct diag d = DIAG_INIT;
    struct article *a;

    if (size < 1)
        return 0;
    a = article_parse((const char *)data + 1, size - 1, (enum article_format)(data[0] % 3),
        "fuzz", NULL, &d);
    if (a != NULL) {
        struct value *v = article_to_value(a);

        if (a->title == NULL || a->body_html == NULL || a->body_text == NULL)
            abort();
        single_line(a->title);
        single_line(a->source);
        single_line(a->author);
        single_line(a->date);
        value_free(v);
        article_free(a);
    }
    return 0;
}
