/*
 * The check of the shared HTML character-reference decoder text_html_ref() (src/text.c)
 * at every '&' of an input, shared by tests/fuzz/fuzz_textref.c and the seed replay in
 * tests/unit/test_fuzz_seeds.c.  What its callers rely on: a reference takes at most n
 * bytes and ends at its first ';', its output is 1..4 bytes of valid UTF-8 without
 * control characters and never longer than the reference (meta.c decodes in place), and
 * a numeric reference gives the code point a plain reading of HTML 5's rules gives.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_TEXTREF_CHECK_H
#define GAZETTE_TEXTREF_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "text.h"
#include "util.h"

/* The reference: "&#" digits ";" or "&#x" hex digits ";" within 34 bytes, as a code point
 * (0: not a numeric reference). */
static uint32_t
textref_plain_numeric(const char *s, size_t n, size_t *took)
{
    static const uint32_t w1252[32] = { 0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026,
        0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f, 0x90,
        0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161,
        0x203a, 0x0153, 0x9d, 0x017e, 0x0178 };
    size_t i = 2, digits = 0;
    int base = 10;
    uint64_t cp = 0;
    bool big = false;

    if (n < 4 || s[0] != '&' || s[1] != '#')
        return 0;
    if (s[2] == 'x' || s[2] == 'X') {
        base = 16;
        i = 3;
    }
    for (; i < n && i < 33 && text_hex_value(s[i]) >= 0 && text_hex_value(s[i]) < base; i++) {
        cp = cp * (uint64_t)base + (uint64_t)text_hex_value(s[i]);
        if (cp > 0x10ffff)
            big = true, cp = 0x110000;
        digits++;
    }
    if (digits == 0 || i >= n || s[i] != ';')
        return 0;
    *took = i + 1;
    if (cp >= 0x80 && cp <= 0x9f)
        cp = w1252[cp - 0x80];
    if (big || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0xa0)
        cp = ' ';
    return (uint32_t)cp;
}

/* 0 when every reference in s[0..size) keeps the promises above, -1 when one does not. */
static int
textref_check(const char *s, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        char u[4], want[4];
        size_t ul = 0, took = 0, k;
        uint32_t cp;

        if (s[i] != '&')
            continue;
        k = text_html_ref(s + i, size - i, u, &ul);
        if (k > 0 && (k > size - i || k > 34 || s[i + k - 1] != ';' || ul < 1 || ul > 4 ||
            ul > k || !utf8_is_valid(u, ul) || text_has_ascii_control(u, ul) ||
            ((unsigned char)u[0] == 0xc2 && (unsigned char)u[1] < 0xa0) ||
            memchr(s + i, ';', k - 1) != NULL))
            return -1;
        cp = textref_plain_numeric(s + i, size - i, &took);
        if (cp != 0 && (k != took || ul != text_utf8_put(want, cp) || memcmp(u, want, ul)))
            return -1;
        if (cp == 0 && k > 0 && s[i + 1] == '#')
            return -1;
    }
    return 0;
}

#endif
