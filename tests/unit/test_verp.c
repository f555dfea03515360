/*
 * Unit tests for verp: tokens round-trip, name the subscriber and the campaign, fold case,
 * and a forged or altered token never checks.
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "util.h"
#include "verp.h"

int
main(void)
{
    static const char *const addrs[] = { "ann@example.org", "bob.smith@xn--bcher-kva.example",
        "a@b.example" };
    static const char *const camps[] = { "2026-12-06-1", "issue-7" };
    struct verp_ref ref;
    struct buf b;
    char tok[VERP_TOKEN_LEN + 1], tok2[VERP_TOKEN_LEN + 1];

    buf_init(&b, 0);
    for (size_t i = 0; i < ARRAY_LEN(addrs); i++) {
        for (size_t k = 0; k < ARRAY_LEN(camps); k++) {
            verp_token("s3cret", addrs[i], camps[k], tok);
            CHECK(strlen(tok) == VERP_TOKEN_LEN && strspn(tok,
                "abcdefghijklmnopqrstuvwxyz234567") == VERP_TOKEN_LEN,
                "token of %s/%s is 24 lower-case base32 characters", addrs[i], camps[k]);
            buf_reset(&b);
            CHECK(verp_address("bounces@example.org", '+', tok, &b) == 0 &&
                verp_parse(buf_str(&b), b.len, "bounces@example.org", '+', &ref) &&
                verp_check("s3cret", addrs[i], camps[k], &ref),
                "%s round-trips and checks", buf_str(&b));
            CHECK(!verp_check("other", addrs[i], camps[k], &ref),
                "another secret does not check (%s)", addrs[i]);
            CHECK(!verp_check("s3cret", addrs[(i + 1) % ARRAY_LEN(addrs)], camps[k], &ref),
                "another subscriber does not check (%s)", addrs[i]);
            CHECK(!verp_check("s3cret", addrs[i], camps[(k + 1) % ARRAY_LEN(camps)], &ref),
                "another campaign does not check (%s)", addrs[i]);
        }
    }
    /* case folded by a relay: still the same token */
    verp_token("s3cret", "Ann@Example.org", "c1", tok);
    verp_token("s3cret", "ann@example.org", "c1", tok2);
    CHECK(strcmp(tok, tok2) == 0, "the address's case does not change the token");
    buf_reset(&b);
    verp_address("Bounces@example.org", '-', tok, &b);
    for (char *p = b.p; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    CHECK(verp_parse(buf_str(&b), b.len, "bounces@example.org", '-', &ref) &&
        verp_check("s3cret", "ann@example.org", "c1", &ref),
        "an upper-cased return path with '-' still parses and checks: %s", buf_str(&b));
    CHECK(!verp_parse(buf_str(&b), b.len, "bounces@example.org", '+', &ref),
        "the wrong delimiter is not a VERP address");
    /* every single-character change to the token is caught */
    {
        int caught = 0, total = 0;

        for (size_t i = 0; i < VERP_TOKEN_LEN; i++) {
            char f[VERP_TOKEN_LEN + 1];

            memcpy(f, tok2, sizeof(f));
            f[i] = f[i] == 'a' ? 'b' : 'a';
            total++;
            if (!verp_decode(f, VERP_TOKEN_LEN, &ref) ||
                !verp_check("s3cret", "ann@example.org", "c1", &ref))
                caught++;
        }
        CHECK(caught == total, "%d of %d altered tokens refused", caught, total);
    }
    CHECK(!verp_decode("abc", 3, &ref) && !verp_decode("0000000000000000000000000", 24, &ref),
        "short tokens and characters outside base32 are not tokens");
    CHECK(!verp_parse("bounces+x@example.org", 21, "bounces@example.org", '+', &ref) &&
        !verp_parse("other+aaaaaaaaaaaaaaaaaaaaaaaa@example.org", 42, "bounces@example.org",
        '+', &ref), "another local part or a bad token is not a VERP address");
    buf_reset(&b);
    CHECK(verp_address("a-very-long-local-part-that-is-almost-sixty-four-octets@example.org",
        '+', tok, &b) == -1, "a return path whose local part would pass 64 octets is refused");
    buf_fini(&b);
    buf_init(&b, 20);
    CHECK(verp_address("bounces@example.org", '+', tok, &b) == -1 && buf_failed(&b) &&
        b.len == 0, "an address that passes out's own limit fails, nothing half-written");
    buf_fini(&b);
    return check_exit();
}
