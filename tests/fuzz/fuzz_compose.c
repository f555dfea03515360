/*
 * libFuzzer entry for the composer (digest.c + tmpl.c + mime.c): article text or template
 * data in, two personal messages out (tests/fuzz/compose_one.h says how the input is read).
 * Seeds: tests/fuzz/seeds/compose/, made from tests/data/articles and the examples.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>

#include "compose_one.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (compose_one((const char *)data, size, NULL) == -1)
        abort();                        /* one subscriber's address in the other's message */
    return 0;
}
