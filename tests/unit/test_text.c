/*
 * Unit tests for text: tables of inputs and outputs for each helper.  The hash must keep
 * its values (shards and journal indexes depend on it); width follows UAX #11.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
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
    buf_fini(&b);
    CHECK(text_has_control("a\tb", 3) && text_has_control("a\x7f", 2) &&
        text_has_control("a\nb", 3) && !text_has_control("caf\xc3\xa9", 5) &&
        !text_has_control("a\0b", 1), "has_control: C0 and DEL, within n only");
    CHECK_STR_EQ(text_did_you_mean("emial", cands, 4, 2), "email", "did you mean: emial");
    CHECK_STR_EQ(text_did_you_mean("stats", cands, 4, 2), "status", "did you mean: stats");
    CHECK(text_did_you_mean("colour", cands, 4, 2) == NULL, "did you mean: nothing close");
    CHECK(text_is_web_url("https://x", 9) && text_is_web_url("HTTP://x", 8) &&
        !text_is_web_url("ftp://x", 7) && !text_is_web_url("https:/", 7) &&
        !text_is_web_url("javascript:x", 12), "is_web_url");
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
    char out[64];

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        text_base64url(out, (const unsigned char *)rows[i].in, strlen(rows[i].in));
        CHECK_STR_EQ(out, rows[i].out, "base64url: row %zu", i);
    }
}

int
main(void)
{
    test_hash();
    test_small();
    test_width();
    test_base64url();
    return check_exit();
}
