/*
 * libFuzzer entry for the shared HTML character-reference decoder text_html_ref()
 * (src/text.c): the promises of textref_check.h at every '&' of the input.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "textref_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (textref_check((const char *)data, size) != 0)
        abort();
    return 0;
}
