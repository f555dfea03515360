/*
 * Unit tests for addr: a table of addresses by category (valid, obsolete, CFWS, literals,
 * invalid, control/injection, non-ASCII), generated length limits, canonical-form
 * properties, addr_same, an optional IDN cross-check against python3-idna, and a timing.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "check.h"
#include "util.h"

/*
 * One row: input (len 0 means strlen), whether it is accepted, and then either the
 * canonical form or a piece of the reason (NULL: any non-empty reason).
 */
struct row {
    const char *in;
    size_t len;
    int ok;
    const char *want;
};

#define OK(in, canon) { in, 0, 1, canon }
#define BAD(in, why) { in, 0, 0, why }

static const struct row valid[] = {
    OK("jane@example.com", "jane@example.com"),
    OK("Jane.Doe@Example.COM", "Jane.Doe@example.com"),
    OK("USER@EXAMPLE.ORG", "USER@example.org"),
    OK("jane+news@example.com", "jane+news@example.com"),
    OK("jane.doe+tag-1@mail.example.co.uk", "jane.doe+tag-1@mail.example.co.uk"),
    OK("first_last@example.com", "first_last@example.com"),
    OK("o'brien@example.ie", "o'brien@example.ie"),
    OK("a@b.co", "a@b.co"),
    OK("a@a.b", "a@a.b"),
    OK("123@example.com", "123@example.com"),
    OK("test@123.com", "test@123.com"),
    OK("test@1.example", "test@1.example"),
    OK("x@example.museum", "x@example.museum"),
    OK("!#$%&'*+-/=?^_`{|}~@example.org", "!#$%&'*+-/=?^_`{|}~@example.org"),
    OK("user@mason-dixon.com", "user@mason-dixon.com"),
    OK("user@c--n.com", "user@c--n.com"),
    OK("xn--test@example.org", "xn--test@example.org"),
    OK("user@sub.domain.example.travel", "user@sub.domain.example.travel"),
    OK("test@abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghikl.com",
        "test@abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghikl.com"),
    /* quoted local parts, canonical form with the least quoting */
    OK("\"john doe\"@example.com", "\"john doe\"@example.com"),
    OK("\"Fred Bloggs\"@Example.COM", "\"Fred Bloggs\"@example.com"),
    OK("\"john\"@example.com", "john@example.com"),
    OK("\"j\\ohn\"@example.com", "john@example.com"),
    OK("\"first.last\"@example.com", "first.last@example.com"),
    OK("\"a@b\"@example.com", "\"a@b\"@example.com"),
    OK("\"Abc\\@def\"@example.com", "\"Abc@def\"@example.com"),
    OK("\"\\\"\"@example.com", "\"\\\"\"@example.com"),
    OK("\"\\\\\"@example.com", "\"\\\\\"@example.com"),
    OK("\"test\\ test\"@example.com", "\"test test\"@example.com"),
    OK("\"a..b\"@example.com", "\"a..b\"@example.com"),
    OK("\".a\"@example.com", "\".a\"@example.com"),
    OK("\"a,b:c\"@example.com", "\"a,b:c\"@example.com"),
    /* IDNs (expected A-labels cross-checked with python3-idna 3.3, uts46 non-transitional) */
    OK("user@b\xc3\xbc" "cher.example", "user@xn--bcher-kva.example"),
    OK("user@B\xc3\x9c" "CHER.Example", "user@xn--bcher-kva.example"),
    OK("user@bu\xcc\x88" "cher.example", "user@xn--bcher-kva.example"),
    OK("user@b\xc3\xbc" "cher\xe3\x80\x82" "example", "user@xn--bcher-kva.example"),
    OK("user@fa\xc3\x9f.de", "user@xn--fa-hia.de"),
    OK("test@\xcf\x80\xce\xb1\xcf\x81\xce\xac\xce\xb4\xce\xb5\xce\xb9\xce\xb3\xce\xbc\xce\xb1."
        "\xce\xb4\xce\xbf\xce\xba\xce\xb9\xce\xbc\xce\xae",
        "test@xn--hxajbheg2az3al.xn--jxalpdlp"),
    OK("test@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
        "test@xn--r8jz45g.xn--zckzah"),
    OK("test@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84",
        "test@xn--e1afmkfd.xn--p1ai"),
    OK("user@ma\xc3\xb1" "ana.com", "user@xn--maana-pta.com"),
    OK("user@a\xc2\xad" "b.example", "user@ab.example"),
    OK("user@example\xe3\x80\x82" "com", "user@example.com"),
    OK("test@xn--hxajbheg2az3al.xn--jxalpdlp", "test@xn--hxajbheg2az3al.xn--jxalpdlp"),
    OK("test@XN--BCHER-KVA.Example", "test@xn--bcher-kva.example"),
};

static const struct row obsolete[] = {
    BAD("\"test\".\"test\"@example.com", "obsolete"),
    BAD("\"test\".test@example.com", "obsolete"),
    BAD("test.\"test\"@example.com", "obsolete"),
    BAD("a.\"b\".c@example.com", "obsolete"),
    BAD("\"test\"test@example.com", "obsolete"),
    BAD("\"test\"\"test\"@example.com", "obsolete"),
    BAD("test\"@example.com", "obsolete"),
    BAD("\"test\\\x07\"@example.com", "control"),        /* obs-qp */
    BAD("\"\x07\"@example.com", "control"),              /* obs-qtext */
    BAD("test . test@example.com", "white space"),       /* obs FWS in a dot-atom */
};

static const struct row cfws[] = {
    BAD("(comment)test@example.com", "comment"),
    BAD("((comment)test@example.com", "comment"),
    BAD("()test@example.com", "comment"),
    BAD("test(comment)@example.com", "comment"),
    BAD("test.(comment)test@example.com", "comment"),
    BAD("test@(comment)example.com", "comment"),
    BAD("test@example.com(comment)", "comment"),
    BAD("\"test\"(comment)@example.com", "comment"),
    BAD(" test@example.com", "white space"),
    BAD("test@example.com ", "white space"),
    BAD("test @example.com", "white space"),
    BAD("test@ example.com", "white space"),
    BAD("\"test\" @example.com", "white space"),
    BAD("\r\n test@example.com", "line break"),
    BAD("test@example.com\r\n ", "line break"),
    BAD("Jane Doe <jane@example.com>", "white space"),
};

static const struct row literal[] = {
    BAD("test@[127.0.0.1]", "literal"),
    BAD("test@[IPv6:1111:2222:3333:4444:5555:6666:7777:8888]", "literal"),
    BAD("test@[1.2.3.4", "literal"),
    BAD("test@a[255.255.255.255]", "literal"),
    BAD("test@255.255.255.255", "all-numeric"),
};

static const struct row invalid[] = {
    BAD("", "empty"),
    BAD("test", "no @"),
    BAD("test.example.com", "no @"),
    BAD("@", "local part"),
    BAD("test@", "domain"),
    BAD("@example.com", "local part"),
    BAD("a@b@example.com", "more than one @"),
    BAD("test\\@test@example.com", "backslash"),
    BAD(".test@example.com", "starts with a dot"),
    BAD("test.@example.com", "ends with a dot"),
    BAD("te..st@example.com", "two dots"),
    BAD("test@.example.com", "starts with a dot"),
    BAD("test@example.com.", "trailing dot"),
    BAD("test@example..com", "two dots"),
    BAD("test@-example.com", "hyphen"),
    BAD("test@example-.com", "hyphen"),
    BAD("test@example.com-", "hyphen"),
    BAD("test@ab--cd.example", "reserved"),
    BAD("test@localhost", "only one label"),
    BAD("test@com", "only one label"),
    BAD("test@example.123", "all-numeric"),
    BAD("test@exa_mple.com", "underscore"),
    BAD("test@example/icann.org", "\"/\""),
    BAD("test@exam\"ple.com", "'\"'"),
    BAD("test@xn--zz.example", "internationalised"),
    BAD("test@xn--abc.example", "internationalised"),
    BAD("test@xn--bcher-kva", "only one label"),
    BAD("\"test@example.com", "closing quote"),
    BAD("\"test\\\"@example.com", "closing quote"),
    BAD("\"test\\", "closing quote"),
    BAD("\"test\"", "no @"),
    BAD("\"\"@example.com", "empty"),
    BAD("a,b@example.com", "\",\""),
    BAD("a:b@example.com", "\":\""),
    BAD("a;b@example.com", "\";\""),
    BAD("a[b]@example.com", "\"[\""),
    BAD("<jane@example.com>", "\"<\""),
    BAD("jane@example.com>", "\">\""),
    BAD("test@ex ample.com", "white space"),
};

static const struct row control[] = {
    BAD("a@b.com\r\nBcc: x@y.com", "line break"),
    BAD("a@b.com\nBcc: x@y.com", "line break"),
    BAD("a@b.com\r", "line break"),
    BAD("\r\na@b.com", "line break"),
    BAD("te\nst@example.com", "line break"),
    BAD("\"te\r\nst\"@example.com", "line break"),
    BAD("\"\\\r\"@example.com", "line break"),
    BAD("test@example.com\r\n", "line break"),
    { "a@b.com\0evil.example", 20, 0, "control" },
    { "\0a@b.com", 8, 0, "control" },
    { "a@b.com\0", 8, 0, "control" },
    BAD("te\tst@example.com", "control"),
    BAD("\"te\tst\"@example.com", "control"),
    BAD("test@exa\x7fmple.com", "control"),
    BAD("test@example.com\x1b[31m", "control"),
};

static const struct row nonascii[] = {
    BAD("\xc3\xbcser@example.com", "SMTPUTF8"),
    BAD("\"\xc3\xbcser\"@example.com", "SMTPUTF8"),
    BAD("user\xc3\xa9@example.com", "SMTPUTF8"),
    BAD("\"test\\\xc2\xa9\"@example.com", "SMTPUTF8"),
    BAD("user\xef\xbc\xa0" "example.com", "SMTPUTF8"),            /* U+FF20 fullwidth @ */
    BAD("user@b\xfc" "cher.example", "UTF-8"),                    /* Latin-1 */
    BAD("\xff@example.com", "UTF-8"),
    BAD("user@\xc0\xae.example", "UTF-8"),                        /* overlong '.' */
    BAD("user@\xed\xa0\x80.example", "UTF-8"),                    /* surrogate */
    BAD("user@\xe2\x98\x83.net", "disallowed"),                   /* U+2603 snowman */
    BAD("user@a\xe2\x80\x8d" "b.example", "context"),             /* U+200D ZWJ */
    BAD("user@\xe2\x80\xae" "moc.example", "internationalised"),  /* U+202E RLO */
    BAD("user@exa\xe2\x80\xa8mple.com", "internationalised"),     /* U+2028 */
    BAD("user@exa\xc2\xa0mple.com", "white space"),               /* U+00A0 -> space */
    BAD("user@exa\xc2\x85mple.com", "internationalised"),         /* U+0085 NEL */
    BAD("user@b\xc3\xbc_cher.example", "underscore"),
    BAD("user@-b\xc3\xbc" "cher.example", "hyphen"),
    BAD("user@b\xc3\xbc" "cher.example.", "trailing dot"),
    BAD("user@b\xc3\xbc" "cher", "only one label"),
    BAD("user@b\xc3\xbc" "cher..example", "two dots"),
    BAD("user@[b\xc3\xbc" "cher]", "literal"),
};

static size_t rows_run;

static void
run_rows(const char *cat, const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        size_t len = r->len ? r->len : strlen(r->in);
        char out[ADDR_BUF];
        const char *why = NULL;
        int rc;

        memset(out, 'X', sizeof(out));
        rc = addr_check(r->in, len, out, &why);
        rows_run++;
        if (r->ok) {
            CHECK(rc == 0, "%s row %zu accepted", cat, i);
            if (rc != 0)
                printf("#   why: %s\n", why);
            CHECK_STR_EQ(rc == 0 ? out : "(rejected)", r->want, "%s row %zu canonical form",
                cat, i);
        } else {
            bool named = rc == -1 && why != NULL && why[0] != '\0' && out[0] == '\0' &&
                (r->want == NULL || strstr(why, r->want) != NULL);

            CHECK(named, "%s row %zu rejected, reason names \"%s\"", cat, i,
                r->want ? r->want : "");
            if (!named)
                printf("#   rc %d, why: %s, out: %.40s\n", rc, why ? why : "(null)",
                    rc == 0 ? out : "");
        }
    }
}

/* Property: an accepted canonical form is a fixed point and carries no unsafe octet. */
static bool
canon_is_sane(const char *canon)
{
    char again[ADDR_BUF];
    const char *why = NULL, *at = strrchr(canon, '@');
    size_t n = strlen(canon);
    bool quoted = canon[0] == '"';

    if (n > ADDR_MAX || at == NULL || at == canon || (size_t)(at - canon) > ADDR_LOCAL_MAX)
        return false;
    for (const char *p = canon; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;

        if (c < 0x20 || c >= 0x7f || (c == ' ' && (!quoted || p > at)))
            return false;
        if (p > at && !(IS_DIGIT(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '.'))
            return false;
    }
    return addr_check(canon, n, again, &why) == 0 && strcmp(again, canon) == 0;
}

static void
test_canonical_properties(void)
{
    int bad = 0;
    char out[ADDR_BUF];
    const char *why = NULL;

    for (size_t i = 0; i < ARRAY_LEN(valid); i++) {
        if (addr_check(valid[i].in, strlen(valid[i].in), out, &why) != 0 || !canon_is_sane(out))
            bad++;
    }
    CHECK(bad == 0, "every canonical form is ASCII, bounded and a fixed point (%d bad)", bad);

    /* s need not be NUL-terminated: only len bytes count */
    CHECK(addr_check("jane@example.comXYZ", 16, out, &why) == 0 &&
        strcmp(out, "jane@example.com") == 0, "only len bytes are read");
    CHECK(addr_check("jane@example.com", 15, out, &why) == 0 &&
        strcmp(out, "jane@example.co") == 0, "a shorter len cuts the domain");
    CHECK(addr_check("x", 0, out, &why) == -1, "len 0 is empty");
    CHECK(addr_check(NULL, 0, out, &why) == -1, "NULL, 0 is empty");
    CHECK(addr_check("a b@example.com", 15, out, NULL) == -1, "why may be NULL");

    /* a reason with a detail lives in thread-local storage and survives the return */
    CHECK(addr_check("a,b@example.com", 15, out, &why) == -1 && strstr(why, "\",\"") != NULL,
        "detailed reason names the character: %s", why);
}

/* Mutations of good addresses: whatever is accepted must still be sane. */
static void
test_mutations(void)
{
    static const char *seeds[] = {
        "jane.doe+x@example.com", "\"john doe\"@Example.ORG", "user@b\xc3\xbc" "cher.example",
        "a@b.co",
    };
    static const char alphabet[] = "@.\"\\ ()[]<>,;:-_+aZ09\r\n\t\x7f\x80\xc3\xbc";
    uint32_t seed = 12345;
    int accepted = 0, bad = 0;

    for (int iter = 0; iter < 20000; iter++) {
        char buf[128], out[ADDR_BUF];
        const char *why = NULL;
        const char *src = seeds[iter % ARRAY_LEN(seeds)];
        size_t n = strlen(src);
        int edits;

        memcpy(buf, src, n);
        seed = seed * 1103515245u + 12345u;
        edits = 1 + (int)(seed >> 16) % 3;
        for (int e = 0; e < edits; e++) {
            size_t pos;
            char c;

            seed = seed * 1103515245u + 12345u;
            pos = (seed >> 8) % (n + 1);
            c = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
            if ((seed & 3) == 0 && n > 1 && pos < n) {          /* delete */
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
            } else if ((seed & 3) == 1 && pos < n) {            /* replace */
                buf[pos] = c;
            } else if (n < sizeof(buf) - 1) {                   /* insert */
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = c;
                n++;
            }
        }
        if (addr_check(buf, n, out, &why) == 0) {
            accepted++;
            if (!canon_is_sane(out) || memchr(buf, '\r', n) || memchr(buf, '\n', n)) {
                bad++;
                printf("#   accepted: %s\n", out);
            }
        } else if (why == NULL || why[0] == '\0' || out[0] != '\0') {
            bad++;
        }
    }
    CHECK(bad == 0, "20000 mutated addresses: %d accepted, all sane; every rejection explained",
        accepted);
}

static void
fill(char *p, size_t n, char c)
{
    memset(p, c, n);
}

/* Address limits made to measure: 64/65 local, 254/255 total, 63/64 label, 253+ domain. */
static void
test_lengths(void)
{
    char in[1200], out[ADDR_BUF];
    const char *why = NULL;
    size_t n;
    int rc;

    fill(in, 64, 'a');
    memcpy(in + 64, "@example.com", 12);
    rc = addr_check(in, 76, out, &why);
    CHECK(rc == 0 && strlen(out) == 76, "64-octet local part accepted");
    fill(in, 65, 'a');
    memcpy(in + 65, "@example.com", 12);
    CHECK(addr_check(in, 77, out, &why) == -1 && strstr(why, "64 octets") != NULL,
        "65-octet local part rejected: %s", why);

    /* the quotes count: the limit is on the local part as sent (RFC 5321 4.5.3.1.1) */
    in[0] = '"';
    fill(in + 1, 62, 'x');
    in[31] = ' ';
    memcpy(in + 63, "\"@example.com", 13);
    CHECK(addr_check(in, 76, out, &why) == 0 && strchr(out, '@') - out == 64,
        "64-octet quoted local part accepted");
    fill(in + 1, 63, 'x');
    in[31] = ' ';
    memcpy(in + 64, "\"@example.com", 13);
    CHECK(addr_check(in, 77, out, &why) == -1 && strstr(why, "64 octets") != NULL,
        "65-octet quoted local part rejected");
    /* 70 octets as written, 64 once the needless escapes are gone */
    n = 0;
    in[n++] = '"';
    for (int i = 0; i < 6; i++) {
        in[n++] = '\\';
        in[n++] = 'q';
    }
    fill(in + n, 55, 'x');
    n += 55;
    in[n++] = ' ';
    memcpy(in + n, "\"@example.com", 13);
    n += 13;
    CHECK(addr_check(in, n, out, &why) == 0 && strchr(out, '@') - out == 64,
        "length is measured on the least-quoted form");

    /* 254 total: 64 local @ 189 domain (63.63.61) */
    fill(in, 64, 'a');
    in[64] = '@';
    fill(in + 65, 189, 'b');
    in[65 + 63] = '.';
    in[65 + 127] = '.';
    CHECK(addr_check(in, 254, out, &why) == 0 && strlen(out) == 254, "254-octet address accepted");
    fill(in + 65, 190, 'b');
    in[65 + 63] = '.';
    in[65 + 127] = '.';
    CHECK(addr_check(in, 255, out, &why) == -1 && strstr(why, "254 octets") != NULL,
        "255-octet address rejected: %s", why);

    /* labels: 63 ok, 64 not */
    memcpy(in, "a@", 2);
    fill(in + 2, 63, 'c');
    memcpy(in + 65, ".com", 4);
    CHECK(addr_check(in, 69, out, &why) == 0, "63-octet label accepted");
    fill(in + 2, 64, 'c');
    memcpy(in + 66, ".com", 4);
    CHECK(addr_check(in, 70, out, &why) == -1 && strstr(why, "63 octets") != NULL,
        "64-octet label rejected: %s", why);

    /* a 254-octet domain (address 256) names the domain limit */
    memcpy(in, "a@", 2);
    fill(in + 2, 254, 'd');
    for (size_t i = 2 + 50; i < 256; i += 51)
        in[i] = '.';
    CHECK(addr_check(in, 256, out, &why) == -1 && strstr(why, "253 octets") != NULL,
        "254-octet domain rejected: %s", why);
    /* far too long input is refused before any parsing */
    fill(in, 1100, 'a');
    in[300] = '@';
    memcpy(in + 1090, ".com", 4);
    CHECK(addr_check(in, 1100, out, &why) == -1 && strstr(why, "254 octets") != NULL,
        "1100-octet input rejected");

    /* IDN: 59 x U+00FC is a 118-octet U-label whose A-label exceeds 63 octets */
    memcpy(in, "u@", 2);
    n = 2;
    for (int i = 0; i < 59; i++) {
        in[n++] = '\xc3';
        in[n++] = '\xbc';
    }
    memcpy(in + n, ".example", 8);
    n += 8;
    CHECK(addr_check(in, n, out, &why) == -1 && strstr(why, "63 octets") != NULL,
        "IDN label over 63 octets after conversion rejected: %s", why);
    /* ...while a 100-octet U-label that converts to <= 63 is fine */
    n = 2;
    for (int i = 0; i < 50; i++) {
        in[n++] = '\xc3';
        in[n++] = '\xbc';
    }
    memcpy(in + n, ".example", 8);
    n += 8;
    rc = addr_check(in, n, out, &why);
    CHECK(rc == 0 && strncmp(out, "u@xn--", 6) == 0 && strchr(out, '.') - out - 2 <= 63,
        "100-octet U-label accepted as %s", rc == 0 ? out : why);
}

static void
test_same(void)
{
    static const struct { const char *a, *b; bool same; } rows[] = {
        { "jane@example.com", "jane@example.com", true },
        { "jane@example.com", "jane@EXAMPLE.com", true },
        { "Jane@example.com", "jane@example.com", false },
        { "jane@example.com", "jane@example.org", false },
        { "jane@example.com", "jane.@example.com", false },
        { "\"a@b\"@example.com", "\"a@b\"@Example.COM", true },
        { "\"a@b\"@example.com", "\"a@c\"@example.com", false },
        { "ab@example.com", "a@bexample.com", false },
        { "jane@example.com", NULL, false },
    };
    static const struct { const char *a, *b; bool same; } raw[] = {
        { "A@Example.COM", "A@example.com", true },
        { "\"john\"@example.com", "john@EXAMPLE.com", true },
        { "\"j\\ohn\"@example.com", "john@example.com", true },
        { "user@B\xc3\x9c" "CHER.example", "user@xn--bcher-kva.example", true },
        { "user@b\xc3\xbc" "cher\xe3\x80\x82" "example", "user@xn--bcher-kva.EXAMPLE", true },
        { "A@example.com", "a@example.com", false },
        { "\"john doe\"@example.com", "john.doe@example.com", false },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        CHECK(addr_same(rows[i].a, rows[i].b) == rows[i].same, "addr_same(%s, %s) is %s",
            rows[i].a, rows[i].b ? rows[i].b : "NULL", rows[i].same ? "true" : "false");
    CHECK(!addr_same(NULL, NULL), "addr_same(NULL, NULL) is false");
    for (size_t i = 0; i < ARRAY_LEN(raw); i++) {
        char ca[ADDR_BUF], cb[ADDR_BUF];
        const char *why;
        int ra = addr_check(raw[i].a, strlen(raw[i].a), ca, &why);
        int rb = addr_check(raw[i].b, strlen(raw[i].b), cb, &why);

        CHECK(ra == 0 && rb == 0 && addr_same(ca, cb) == raw[i].same,
            "canonical forms of raw pair %zu are %s", i, raw[i].same ? "the same" : "different");
    }
}

/*
 * Cross-check some A-labels against an independent IDNA2008/UTS #46 implementation
 * (python3-idna).  Optional: without it the check is a printed skip.
 */
static void
test_idn_cross_check(void)
{
    static const char *doms[] = {
        "b\xc3\xbc" "cher.example", "B\xc3\x9c" "CHER.Example", "fa\xc3\x9f.de",
        "ma\xc3\xb1" "ana.com", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84",
        "\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
        "\xcf\x80\xce\xb1\xcf\x81\xce\xac\xce\xb4\xce\xb5\xce\xb9\xce\xb3\xce\xbc\xce\xb1."
        "\xce\xb4\xce\xbf\xce\xba\xce\xb9\xce\xbc\xce\xae",
        "\xe0\xa4\x89\xe0\xa4\xa6\xe0\xa4\xbe\xe0\xa4\xb9\xe0\xa4\xb0\xe0\xa4\xa3.example",
        "\xd9\x85\xd8\xab\xd8\xa7\xd9\x84.example",
        "sm\xc3\xb6rg\xc3\xa5sbord.example",
    };
    char cmd[2048], line[300];
    size_t n;
    FILE *fp;
    int agree = 0, lines = 0;

    n = (size_t)snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c 'import sys, idna\n"
        "for a in sys.argv[1:]: print(idna.encode(a, uts46=True, transitional=False)"
        ".decode())' 2>/dev/null");
    for (size_t i = 0; i < ARRAY_LEN(doms) && n < sizeof(cmd); i++)
        n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " '%s'", doms[i]);
    if (n >= sizeof(cmd) || (fp = popen(cmd, "r")) == NULL) {
        printf("skip - IDN cross-check: cannot run python3\n");
        return;
    }
    for (size_t i = 0; fgets(line, sizeof(line), fp) != NULL && i < ARRAY_LEN(doms); i++) {
        char in[300], out[ADDR_BUF];
        const char *why = NULL;
        int len = snprintf(in, sizeof(in), "u@%s", doms[i]);

        line[strcspn(line, "\n")] = '\0';
        lines++;
        if (addr_check(in, (size_t)len, out, &why) == 0 && strcmp(out + 2, line) == 0)
            agree++;
        else
            printf("#   %s: python3-idna %s, addr_check %s\n", doms[i], line,
                why ? why : out);
    }
    if (pclose(fp) != 0 || lines == 0) {
        printf("skip - IDN cross-check: /usr/bin/python3 with idna (python3-idna) not found\n");
        return;
    }
    CHECK(agree == (int)ARRAY_LEN(doms), "A-labels agree with python3-idna for %d of %zu "
        "domains", agree, ARRAY_LEN(doms));
}

/* Not a check: the subscriber loader needs >= 500k/s, so print what one address costs. */
static void
bench(void)
{
    enum { N = 1000, ROUNDS = 500 };
    static char addrs[N][64];
    struct timespec t0, t1;
    char out[ADDR_BUF];
    const char *why;
    long ok = 0;
    double ns;

    for (int i = 0; i < N; i++)
        snprintf(addrs[i], sizeof(addrs[i]), "first.last%d+news@Mail-%d.Example%d.com", i,
            i % 17, i % 5);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < N; i++)
            ok += addr_check(addrs[i], strlen(addrs[i]), out, &why) == 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
        ((double)N * ROUNDS);
    printf("# %.0f ns per address (plain ASCII, %ld checks; this build's flags apply)\n", ns, ok);
}

int
main(void)
{
    run_rows("valid", valid, ARRAY_LEN(valid));
    run_rows("obsolete", obsolete, ARRAY_LEN(obsolete));
    run_rows("cfws", cfws, ARRAY_LEN(cfws));
    run_rows("literal", literal, ARRAY_LEN(literal));
    run_rows("invalid", invalid, ARRAY_LEN(invalid));
    run_rows("control", control, ARRAY_LEN(control));
    run_rows("nonascii", nonascii, ARRAY_LEN(nonascii));
    printf("# %zu table rows\n", rows_run);
    test_canonical_properties();
    test_lengths();
    test_same();
    test_mutations();
    test_idn_cross_check();
    bench();
    return check_exit();
}
