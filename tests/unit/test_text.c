/*
 * Unit tests for text: tables of inputs and outputs for each helper.  The hash must keep
 * its values (shards and journal indexes depend on it); width follows UAX #11.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "text.h"
#include "util.h"

static void
test_hash(void)
{
    /* FNV-1a 32-bit reference values (of the lower-cased text) */
    static const struct { const char *s; uint32_t h; } rows[] = {
        { "", 0x811c9dc5u }, { "a", 0xe40c292cu }, { "A", 0xe40c292cu },
        { "foobar", 0xbf9cf968u }, { "FooBar", 0xbf9cf968u },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        CHECK(text_hash_fold(rows[i].s) == rows[i].h, "hash: \"%s\" is %08x (got %08x)",
            rows[i].s, rows[i].h, text_hash_fold(rows[i].s));
    CHECK(text_hash_fold("Bob@Example.ORG") == text_hash_fold("bob@example.org"),
        "hash: ASCII case folded");
    CHECK(text_hash_fold("\xc3\x89") != text_hash_fold("\xc3\xa9"), "hash: not beyond ASCII");
    CHECK(text_hash("foobar") == 0xbf9cf968u && text_hash("FooBar") != 0xbf9cf968u &&
        text_hash("") == 0x811c9dc5u, "hash: unfolded FNV-1a 32");
    /* FNV-1a 64-bit reference values */
    CHECK(text_hash64("", 0) == 0xcbf29ce484222325ULL &&
        text_hash64("a", 1) == 0xaf63dc4c8601ec8cULL &&
        text_hash64("foobar", 6) == 0x85944171f73967e8ULL, "hash64: FNV-1a 64 vectors");
    CHECK(text_hash64("FooBar", 6) != text_hash64("foobar", 6) &&
        text_hash64_fold("FooBar", 6) == 0x85944171f73967e8ULL &&
        text_hash64("foobar!", 6) == 0x85944171f73967e8ULL, "hash64: fold, and n bytes only");
    CHECK(text_hash64_add(text_hash64_add(TEXT_HASH64_INIT, "foo", 3), "bar", 3) ==
        0x85944171f73967e8ULL && text_hash64_add(TEXT_HASH64_INIT, "", 0) == TEXT_HASH64_INIT,
        "hash64_add: piece by piece, the same hash");
}

static void
test_small(void)
{
    static const struct { const char *in, *out; } esc[] = {
        { "plain", "plain" }, { "a & b", "a &amp; b" }, { "<p class=\"x\">", "&lt;p class=&quot;x&quot;&gt;" },
        { "it's", "it&#39;s" }, { "", "" }, { "&amp;", "&amp;amp;" },
    };
    static const char *const cands[] = { "email", "name", "status", "tags" };
    struct buf b;

    buf_init(&b, 0);
    for (size_t i = 0; i < ARRAY_LEN(esc); i++) {
        buf_reset(&b);
        text_html_escape(&b, esc[i].in, strlen(esc[i].in));
        CHECK_STR_EQ(buf_str(&b), esc[i].out, "html_escape: %s", esc[i].in);
    }
    CHECK(text_has_control("a\tb", 3) && text_has_control("a\x7f", 2) &&
        text_has_control("a\nb", 3) && !text_has_control("caf\xc3\xa9", 5) &&
        !text_has_control("a\0b", 1), "has_control: C0 and DEL, within n only");
    CHECK(text_has_ascii_control("a\tb", 3) && text_has_ascii_control("a\x7f", 2) &&
        !text_has_ascii_control("a\xc2\x85", 3) && !text_has_ascii_control("\xe2\x80\xa8", 3) &&
        !text_has_ascii_control("a\nb", 1) && text_has_control("a\xc2\x85", 3),
        "has_ascii_control: C0 and DEL only, not C1 or U+2028");
    for (size_t i = 0; i < 3; i++) {
        /* the NUL is text like any other byte: kept, never taken for the end of which */
        static const char in[] = "<a href=\"x\">'&'\0<";
        static const char *const which[] = { "&<>", "&<>\"", "\"'" };
        static const char *const want[] = { "&lt;a href=\"x\"&gt;'&amp;'\0&lt;",
            "&lt;a href=&quot;x&quot;&gt;'&amp;'\0&lt;", "<a href=&quot;x&quot;>&#39;&&#39;\0<" };
        size_t wlen = strlen(want[i]) + 1 + strlen(want[i] + strlen(want[i]) + 1);

        buf_reset(&b);
        text_html_escape_some(&b, in, sizeof(in) - 1, which[i]);
        CHECK(b.len == wlen && memcmp(b.p, want[i], wlen) == 0, "html_escape_some: \"%s\"",
            which[i]);
    }
    buf_fini(&b);
    buf_init(&b, 0);
    text_url_encode(&b, "a b/c?d=\xc3\xa9&e~f-g.h_i%");
    CHECK_STR_EQ(buf_str(&b), "a%20b%2Fc%3Fd%3D%C3%A9%26e~f-g.h_i%25", "url_encode");
    buf_fini(&b);
    CHECK(text_hex_value('0') == 0 && text_hex_value('9') == 9 && text_hex_value('a') == 10 &&
        text_hex_value('F') == 15 && text_hex_value('g') == -1 && text_hex_value('\0') == -1,
        "hex_value");
    CHECK_STR_EQ(text_did_you_mean("emial", cands, 4, 2), "email", "did you mean: emial");
    CHECK_STR_EQ(text_did_you_mean("stats", cands, 4, 2), "status", "did you mean: stats");
    CHECK(text_did_you_mean("colour", cands, 4, 2) == NULL, "did you mean: nothing close");
    CHECK(text_is_web_url("https://x", 9) && text_is_web_url("HTTP://x", 8) &&
        !text_is_web_url("ftp://x", 7) && !text_is_web_url("https:/", 7) &&
        !text_is_web_url("javascript:x", 12), "is_web_url");
    CHECK(text_is_web_address("https://example.org/a?b#c") && text_is_web_address("HTTP://x") &&
        !text_is_web_address("https://") && !text_is_web_address("http:///x") &&
        !text_is_web_address("https://x/a b") && !text_is_web_address("https://x/\"") &&
        !text_is_web_address("https://x/<") && !text_is_web_address("https://x\\y") &&
        !text_is_web_address("https://x/\x7f") && !text_is_web_address("ftp://x") &&
        !text_is_web_address("htt") && text_is_web_address("https://x/\xc3\xa9"),
        "is_web_address: a host, no blank, quote, bracket, backslash or control");
}

static void
test_width(void)
{
    static const struct { const char *s; size_t w; } rows[] = {
        { "abc", 3 }, { "caf\xc3\xa9", 4 }, { "e\xcc\x81", 1 },            /* combining */
        { "\xe6\x97\xa5\xe6\x9c\xac", 4 }, { "\xed\x95\x9c", 2 },          /* 日本, 한 */
        { "\xef\xbc\xa1", 2 }, { "\xef\xbd\xb1", 1 },                      /* Ａ, ｱ */
        { "", 0 },
    };
    size_t len;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        CHECK(text_width(rows[i].s, strlen(rows[i].s)) == rows[i].w, "width: row %zu is %zu "
            "(got %zu)", i, rows[i].w, text_width(rows[i].s, strlen(rows[i].s)));
    CHECK(text_utf8_next("\xe2\x82\xac!", "\xe2\x82\xac!" + 4, &len) == 0x20ac && len == 3,
        "utf8_next: the euro sign");
    {
        static const struct { uint32_t cp; const char *u; } enc[] = {
            { 'A', "A" }, { 0xe9, "\xc3\xa9" }, { 0x20ac, "\xe2\x82\xac" },
            { 0x1f600, "\xf0\x9f\x98\x80" }, { 0xd800, "\xef\xbf\xbd" },
            { 0x110000, "\xef\xbf\xbd" },
        };
        char u[4];

        for (size_t i = 0; i < ARRAY_LEN(enc); i++) {
            size_t k = text_utf8_put(u, enc[i].cp);

            CHECK(k == strlen(enc[i].u) && memcmp(u, enc[i].u, k) == 0,
                "utf8_put: U+%04X", (unsigned)enc[i].cp);
        }
    }
    {
        /* valid kept, 0x80 is the euro sign, 0x81 a hole, 0xe9 Latin-1; NUL kept or not */
        static const char in[] = "ok \xc3\xa9 \x80\x81\xe9\0!";
        static const char kept[] = "ok \xc3\xa9 \xe2\x82\xac\xef\xbf\xbd\xc3\xa9\0!";
        static const char nul[] = "ok \xc3\xa9 \xe2\x82\xac\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd!";
        struct buf b;

        buf_init(&b, 0);
        CHECK(text_utf8_repair(&b, in, sizeof(in) - 1, false) == 0 &&
            b.len == sizeof(kept) - 1 && memcmp(b.p, kept, b.len) == 0,
            "utf8_repair: Windows-1252 for bad bytes, NUL kept");
        buf_reset(&b);
        CHECK(text_utf8_repair(&b, in, sizeof(in) - 1, true) == 0 &&
            b.len == sizeof(nul) - 1 && memcmp(b.p, nul, b.len) == 0,
            "utf8_repair: NUL as U+FFFD");
        buf_fini(&b);
        buf_init(&b, 4);
        CHECK(text_utf8_repair(&b, in, sizeof(in) - 1, false) == -1 && buf_failed(&b),
            "utf8_repair: -1 past the buffer's limit");
        buf_fini(&b);
    }
    CHECK(text_utf8_next("\xff", "\xff" + 1, &len) == 0xfffd && len == 1,
        "utf8_next: a bad byte is U+FFFD, one byte");
}

static void
test_base64url(void)
{
    /* RFC 4648 10 vectors, in the URL alphabet without padding */
    static const struct { const char *in, *out; } rows[] = {
        { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg" },
        { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" }, { "\xfb\xff\xbf", "-_-_" },
    };
    static const char *const padded[] = {
        "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", "+/+/",
    };
    char out[64];
    struct buf b;
    unsigned char big[3000];
    size_t ok = 0;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        text_base64url(out, (const unsigned char *)rows[i].in, strlen(rows[i].in));
        CHECK_STR_EQ(out, rows[i].out, "base64url: row %zu", i);
    }
    buf_init(&b, 0);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        buf_reset(&b);
        text_base64(&b, rows[i].in, strlen(rows[i].in));
        CHECK_STR_EQ(buf_str(&b), padded[i], "base64: row %zu", i);
        CHECK(text_base64_to(out, rows[i].in, strlen(rows[i].in)) == strlen(padded[i]) &&
            strcmp(out, padded[i]) == 0, "base64_to: row %zu", i);
    }
    /* past one 1023-byte chunk: the same as the URL form but for the alphabet */
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 7 + i / 256);
    buf_reset(&b);
    text_base64(&b, big, sizeof(big));
    {
        char *u = xmalloc(4 * sizeof(big) / 3 + 2);

        text_base64url(u, big, sizeof(big));
        for (size_t i = 0; u[i] != '\0' && i < b.len; i++)
            ok += (u[i] == '-' ? '+' : u[i] == '_' ? '/' : u[i]) == b.p[i];
        CHECK(b.len == 4000 && ok == 4000, "base64: 3000 bytes in chunks (%zu of %zu match)",
            ok, b.len);
        free(u);
    }
    buf_fini(&b);
}

/* HTML character references: one decoder for article text, metadata, fetched pages,
 * code blocks and bounces (HTML 4's names on libxml2, HTML 5's rules for numbers). */
static void
test_html_ref(void)
{
    static const struct { const char *in; size_t took; const char *out; } refs[] = {
        { "&amp;x", 5, "&" }, { "&lt;", 4, "<" }, { "&apos;", 6, "'" },
        { "&ndash; 2", 7, "\xe2\x80\x93" }, { "&eacute;t\xc3\xa9", 8, "\xc3\xa9" },
        { "&hellip;", 8, "\xe2\x80\xa6" }, { "&nbsp;", 6, " " }, { "&#160;", 6, " " },
        { "&#8217;s", 7, "\xe2\x80\x99" }, { "&#x2019;", 8, "\xe2\x80\x99" },
        { "&#X41;", 6, "A" }, { "&#146;", 6, "\xe2\x80\x99" },   /* Windows-1252 */
        { "&#0;", 4, "\xef\xbf\xbd" }, { "&#xD800;", 8, "\xef\xbf\xbd" },
        { "&#99999999999999999999;", 23, "\xef\xbf\xbd" },
        { "&#1;", 4, " " }, { "&#x7f;", 6, " " }, { "&#129;", 6, " " },
        { "&foo;", 0, NULL }, { "& amp;", 0, NULL }, { "&amp", 0, NULL }, { "&#;", 0, NULL },
        { "&#x;", 0, NULL }, { "&#12a;", 0, NULL }, { "&;", 0, NULL }, { "&", 0, NULL },
        { "&averyveryveryveryverylongname;", 0, NULL },
    };

    for (size_t i = 0; i < ARRAY_LEN(refs); i++) {
        char u[4];
        size_t ul = 0, k = text_html_ref(refs[i].in, strlen(refs[i].in), u, &ul);

        CHECK(k == refs[i].took && (refs[i].out == NULL ||
            (ul == strlen(refs[i].out) && memcmp(u, refs[i].out, ul) == 0)),
            "text_html_ref(\"%s\") takes %zu (got %zu)", refs[i].in, refs[i].took, k);
    }
    {
        char u[4];
        size_t ul;

        CHECK(text_html_ref("&amp;", 3, u, &ul) == 0, "text_html_ref reads no further than n");
    }
}

int
main(void)
{
    test_hash();
    test_html_ref();
    test_small();
    test_width();
    test_base64url();
    return check_exit();
}
