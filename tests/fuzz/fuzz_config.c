/*
 * libFuzzer entry for the config loader: any bytes in, a config or a diag out, never a
 * crash, a leak or undefined behaviour.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag d = DIAG_INIT;
    struct config *c = config_parse((const char *)data, size, "fuzz.yaml", &d);

    config_free(c);
    return 0;
}
