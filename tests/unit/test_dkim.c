/*
 * Unit tests for dkim: the relaxed canonicalisation (RFC 6376 3.4.2, 3.4.4, and the
 * example of 3.4.5), the record check, and a signature inserted at an offset of a buffer.
 * dkimpy verifies the signatures end to end in tests/integration/dkim.sh.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "dkim.h"

static void
test_canon(void)
{
    static const struct { const char *in, *out; } headers[] = {
        { "A: X\r\n", "a:X\r\n" },                          /* RFC 6376 3.4.5 */
        { "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n" },
        { "Subject:   a  \t b\r\n  c\r\n", "subject:a b c\r\n" },
        { "X-Empty:\r\n", "x-empty:\r\n" },
        { "DKIM-Signature: v=1;\r\n\tb=", "dkim-signature:v=1; b=" },
    };
    static const struct { const char *in, *out; } bodies[] = {
        { " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n" },  /* RFC 6376 3.4.5 */
        { "", "" },
        { "\r\n\r\n", "" },
        { "x", "x\r\n" },
        { "a\r\n\r\nb\r\n \t \r\n\r\n", "a\r\n\r\nb\r\n" },
        { "a\r\n  \r\nb", "a\r\n\r\nb\r\n" },
        { "a\r\nb  c\r\n\r\nd\r\n", "a\r\nb c\r\n\r\nd\r\n" },
        { "x\r\n\r\n  \r\n\r\ny \r\nz\r\n\r\n", "x\r\n\r\n\r\n\r\ny\r\nz\r\n" },
        { "\r\n\r\nq\r\n", "\r\n\r\nq\r\n" },
        { "p\tq\r\n", "p q\r\n" },
    };

    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        struct buf b;
        size_t n = strlen(headers[i].in);
        int crlf = headers[i].in[n - 1] == '\n';

        buf_init(&b, 0);
        dkim_canon_header(&b, headers[i].in, n, crlf);
        CHECK_STR_EQ(buf_str(&b), headers[i].out, "relaxed header %zu", i);
        buf_fini(&b);
    }
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct buf b;

        buf_init(&b, 0);
        dkim_canon_body(&b, bodies[i].in, strlen(bodies[i].in));
        CHECK_STR_EQ(buf_str(&b), bodies[i].out, "relaxed body %zu", i);
        buf_fini(&b);
    }
}

static void
test_sign(void)
{
    char path[64];
    struct diag d = DIAG_INIT;
    struct dkim *k;
    struct buf m;
    char *rec;
    const char *msg = "From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n";

    snprintf(path, sizeof(path), "/tmp/gazette-dkim-test.%ld.key", (long)getpid());
    unlink(path);
    CHECK(dkim_keygen(path, "ed25519", &d) == 0, "keygen %s", d.msg);
    CHECK(dkim_keygen(path, "ed25519", &d) == -1, "keygen does not overwrite");
    diag_clear(&d);
    k = dkim_new("example.org", "sel", path, &d);
    CHECK(k != NULL, "load the key %s", d.msg);
    unlink(path);
    if (k == NULL)
        return;
    buf_init(&m, 0);
    buf_adds(&m, "PREFIX");
    buf_adds(&m, msg);
    CHECK(dkim_sign(k, &m, 6, 1700000000, &d) == 0, "sign %s", d.msg);
    CHECK(strncmp(buf_str(&m), "PREFIXDKIM-Signature: v=1; a=ed25519-sha256;", 44) == 0 &&
        strstr(buf_str(&m), "t=1700000000;") != NULL &&
        strcmp(buf_str(&m) + m.len - strlen(msg), msg) == 0,
        "the field goes in at the offset, the message after it unchanged");
    CHECK(strstr(buf_str(&m), "h=From:To:Subject:From;") != NULL,
        "h= lists the fields present, From twice");
    buf_reset(&m);
    buf_adds(&m, "From: a@example.org\r\nno separator");
    CHECK(dkim_sign(k, &m, 0, 0, &d) == -1, "a message without a body separator is refused");
    diag_clear(&d);
    rec = dkim_record(k);
    CHECK(dkim_record_check(k, rec, strlen(rec), &d) == 0, "its own record matches %s", d.msg);
    {
        char zone[512];

        snprintf(zone, sizeof(zone), "sel._domainkey.example.org. IN TXT ( \"%.20s\" \"%s\" )",
            rec, rec + 20);
        CHECK(dkim_record_check(k, zone, strlen(zone), &d) == 0,
            "a zone line in two strings matches %s", d.msg);
    }
    CHECK(dkim_record_check(k, "v=DKIM1; k=rsa; p=AAAA", 22, &d) == -1,
        "a record for another key type does not");
    diag_clear(&d);
    CHECK(dkim_record_check(k, "v=DKIM1; k=ed25519; p=", 22, &d) == -1,
        "an empty (revoked) key does not");
    diag_clear(&d);
    free(rec);
    buf_fini(&m);
    dkim_free(k);
    CHECK(dkim_new("example.org", NULL, "x", &d) == NULL && d.code == 78,
        "a partial configuration is EX_CONFIG");
}

int
main(void)
{
    test_canon();
    test_sign();
    return check_exit();
}
