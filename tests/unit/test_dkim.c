/*
 * Unit tests for dkim: the relaxed canonicalisation (RFC 6376 3.4.2, 3.4.4, and the
 * example of 3.4.5), the body given in pieces cut anywhere and compared with a plain
 * line-by-line reference written here from the RFC's text, the record check, a signature
 * inserted at an offset of a buffer, its bh= against the canonical body hashed apart, and
 * signatures made by more threads than dkim.c keeps signing contexts for.
 * dkimpy verifies the signatures end to end in tests/integration/dkim.sh.
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "dkim.h"
#include "text.h"
#include "util.h"

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
        /* what a cut can fall inside (each case is cut at every place below) */
        { "a \r\n", "a\r\n" },                      /* WSP, then CR, then LF */
        { "a \t b\r\n", "a b\r\n" },
        { "a\r\r\nb", "a\r\r\nb\r\n" },            /* a CR alone is text */
        { "a\rb\r\n", "a\rb\r\n" },
        { "a\nb\r\n", "a\nb\r\n" },                /* so is an LF alone */
        { "a\r", "a\r\r\n" },
        { "a \r", "a \r\r\n" },
        { "\r", "\r\r\n" },
        { " ", "" },
        { "\t\r\n \r\n", "" },
        { "a\r\n\r\n\r\n\r\n", "a\r\n" },        /* trailing empty lines */
        { "a\r\n \r\n\t\r\n  ", "a\r\n" },
        { "a\r\n\r\n \r\nb \r\n \r\n", "a\r\n\r\n\r\nb\r\n" },
        { "abc", "abc\r\n" },                        /* no final CRLF */
        { "abc  ", "abc\r\n" },
        { "a\r\nb\r\n\r\nc", "a\r\nb\r\n\r\nc\r\n" },
        { "  lead\r\n\t lead2 \r\n", " lead\r\n lead2\r\n" },
        /* longer than the SSE2 step (18 bytes), the rewrites at each place in it */
        { "0123456789abcdefghij klmnopqrstuvwxyz\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ01234\r\n",
          "0123456789abcdefghij klmnopqrstuvwxyz\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ01234\r\n" },
        { "0123456789abcdefghij  klmnopqrstuvwxyz\r\n\r\nABCDEFGHIJKLMNOPQRST\tUV \r\n",
          "0123456789abcdefghij klmnopqrstuvwxyz\r\n\r\nABCDEFGHIJKLMNOPQRST UV\r\n" },
        { "0123456789abcdefghijklmnopq\r\n rstuvwxyz0123456789abcdefghij\r\n\r\n\r\n",
          "0123456789abcdefghijklmnopq\r\n rstuvwxyz0123456789abcdefghij\r\n" },
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
        size_t n = strlen(bodies[i].in), bad = 0, tried = 0;

        buf_init(&b, 0);
        dkim_canon_body(&b, bodies[i].in, n);
        CHECK_STR_EQ(buf_str(&b), bodies[i].out, "relaxed body %zu", i);
        /* the same in two and in three pieces, cut at every place */
        for (size_t x = 0; x <= n; x++) {
            for (size_t y = x; y <= n; y++) {
                size_t cuts[2] = { x, y };

                buf_reset(&b);
                dkim_canon_body_cut(&b, bodies[i].in, n, cuts, 2);
                tried++;
                if (strcmp(buf_str(&b), bodies[i].out) != 0 && bad++ == 0)
                    printf("# body %zu cut at %zu and %zu: \"%s\"\n", i, x, y,
                        buf_str(&b));
            }
        }
        CHECK(bad == 0, "relaxed body %zu cut in pieces at every place: %zu of %zu differ",
            i, bad, tried);
        buf_fini(&b);
    }
}

/*
 * The reference: RFC 6376 3.4.4 as it reads, line by line.  Lines are split at CRLF; in
 * each, WSP at its end goes and runs of WSP become one SP; empty lines at the end go;
 * each line left ends with CRLF.
 */
static void
ref_body(struct buf *out, const char *p, size_t n)
{
    const char *end = p + n;
    size_t keep = 0;                /* out->len after the last line with text */

    while (p <= end) {
        const char *eol = p;
        size_t at = out->len;

        while (eol < end && !(eol[0] == '\r' && eol + 1 < end && eol[1] == '\n'))
            eol++;
        for (const char *q = p; q < eol; q++) {
            if (*q == ' ' || *q == '\t') {
                if (out->len == at || buf_str(out)[out->len - 1] != ' ')
                    buf_putc(out, ' ');
            } else
                buf_putc(out, *q);
        }
        if (out->len > at && buf_str(out)[out->len - 1] == ' ')
            out->len--;
        if (out->len > at)
            keep = out->len + 2;
        buf_puts(out, "\r\n");
        if (eol == end)
            break;
        p = eol + 2;
    }
    out->len = keep;
    if (out->p != NULL)
        out->p[keep] = '\0';
}

static unsigned long rng_state = 0x9e3779b97f4a7c15UL;

static unsigned long
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random bodies of text, SP, HT, CR, LF and CRLF, in random pieces, against ref_body(). */
static void
test_canon_random(void)
{
    static const char *const atoms[] = { "a", "b", "xyz", " ", " ", "\t", "\r\n", "\r\n",
        "\r", "\n", "=\r\n", "0123456789abcdefghijklmnopqrstuvwxyz" };
    struct buf in, got, want;
    size_t bad = 0, runs = 20000;

    buf_init(&in, 0);
    buf_init(&got, 0);
    buf_init(&want, 0);
    for (size_t r = 0; r < runs; r++) {
        size_t natoms = rng() % 60, cuts[6], ncuts = rng() % 7;

        buf_reset(&in);
        for (size_t i = 0; i < natoms; i++)
            buf_puts(&in, atoms[rng() % ARRAY_LEN(atoms)]);
        for (size_t i = 0; i < ncuts; i++)
            cuts[i] = in.len ? rng() % (in.len + 1) : 0;
        for (size_t i = 1; i < ncuts; i++)         /* ascending */
            for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
                size_t t = cuts[j];

                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        buf_reset(&got);
        buf_reset(&want);
        dkim_canon_body_cut(&got, buf_str(&in), in.len, cuts, ncuts);
        ref_body(&want, buf_str(&in), in.len);
        if (got.len != want.len || memcmp(buf_str(&got), buf_str(&want), got.len) != 0) {
            if (bad++ == 0)
                printf("# \"%s\" (%zu cuts): got \"%s\", want \"%s\"\n", buf_str(&in),
                    ncuts, buf_str(&got), buf_str(&want));
        }
    }
    CHECK(bad == 0, "relaxed body of %zu random bodies in random pieces is the reference's: "
        "%zu differ", runs, bad);
    buf_fini(&in);
    buf_fini(&got);
    buf_fini(&want);
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
    buf_puts(&m, "PREFIX");
    buf_puts(&m, msg);
    CHECK(dkim_sign(k, &m, 6, 1700000000, &d) == 0, "sign %s", d.msg);
    CHECK(strncmp(buf_str(&m), "PREFIXDKIM-Signature: v=1; a=ed25519-sha256;", 44) == 0 &&
        strstr(buf_str(&m), "t=1700000000;") != NULL &&
        strcmp(buf_str(&m) + m.len - strlen(msg), msg) == 0,
        "the field goes in at the offset, the message after it unchanged");
    CHECK(strstr(buf_str(&m), "h=From:To:Subject:From;") != NULL,
        "h= lists the fields present, From twice");
    buf_reset(&m);
    buf_puts(&m, "From: a@example.org\r\nno separator");
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

/* A body that takes every path of the canonicaliser, in a message that signs it. */
static const char threaded_msg[] = "From: a@example.org\r\nTo: b@example.net\r\n"
    "Subject:  folded\r\n\tsubject\r\n\r\n \tindented  twice \r\n\r\n"
    "0123456789abcdefghijklmnopqrstuvwxyz 0123456789abcdefghijklmnopqrstuvwxyz\r\n"
    "a\tb\rc\nd\r\n\r\n \r\n\t\r\n";

struct signer {
    const struct dkim *k;
    const char *want;               /* the message signed on one thread */
    int rounds, bad;
};

static void *
sign_loop(void *arg)
{
    struct signer *w = arg;
    struct diag d = DIAG_INIT;
    struct buf m;

    buf_init(&m, 0);
    for (int i = 0; i < w->rounds; i++) {
        buf_reset(&m);
        buf_puts(&m, threaded_msg);
        if (dkim_sign(w->k, &m, 0, 1700000000, &d) == -1 || strcmp(buf_str(&m), w->want) != 0)
            w->bad++;
    }
    buf_fini(&m);
    return NULL;
}

/*
 * bh= is SHA-256 of what dkim_canon_body() gives (the hashing path against the buffer
 * path); and more threads than signing contexts (the spare path too) sign the same
 * message to the same bytes (Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic).
 */
static void
test_sign_reuse(const char *type, int rounds)
{
    char path[64];
    struct diag d = DIAG_INIT;
    struct dkim *k;
    struct buf m, canon, bh;
    const char *body = strstr(threaded_msg, "\r\n\r\n") + 4, *tag;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hashlen = 0;
    pthread_t th[24];
    struct signer w[24];
    int bad = 0, started = 0;

    snprintf(path, sizeof(path), "/tmp/gazette-dkim-test.%ld.%s", (long)getpid(), type);
    unlink(path);
    if (dkim_keygen(path, type, &d) == -1 || (k = dkim_new("example.org", "sel", path,
        &d)) == NULL) {
        CHECK(0, "%s key: %s", type, d.msg);
        unlink(path);
        return;
    }
    unlink(path);
    buf_init(&m, 0);
    buf_init(&canon, 0);
    buf_init(&bh, 0);
    buf_puts(&m, threaded_msg);
    CHECK(dkim_sign(k, &m, 0, 1700000000, &d) == 0, "%s: sign %s", type, d.msg);
    dkim_canon_body(&canon, body, strlen(body));
    EVP_Digest(buf_str(&canon), canon.len, hash, &hashlen, EVP_sha256(), NULL);
    buf_puts(&bh, "bh=");
    text_base64(&bh, hash, hashlen);
    buf_putc(&bh, ';');
    tag = strstr(buf_str(&m), "bh=");
    CHECK(tag != NULL && strncmp(tag, buf_str(&bh), bh.len) == 0,
        "%s: bh= is SHA-256 of the canonical body as dkim_canon_body() writes it (%s)", type,
        buf_str(&bh));
    for (int i = 0; i < 24; i++) {
        w[i] = (struct signer){ k, buf_str(&m), rounds, 0 };
        if (pthread_create(&th[i], NULL, sign_loop, &w[i]) != 0)
            break;
        started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        bad += w[i].bad;
    }
    CHECK(started == 24 && bad == 0, "%s: 24 threads x %d signatures, all the same as one "
        "thread's: %d differ", type, rounds, bad);
    buf_fini(&m);
    buf_fini(&canon);
    buf_fini(&bh);
    dkim_free(k);
}

int
main(void)
{
    test_canon();
    test_canon_random();
    test_sign();
    test_sign_reuse("ed25519", 40);
    test_sign_reuse("rsa", 3);
    return check_exit();
}
