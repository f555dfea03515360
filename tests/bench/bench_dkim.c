/*
 * bench_dkim: the CPU time of dkim_sign() on one message, and the floor under it: one bare
 * signature (Ed25519 over a 32-byte hash, or RSA-2048 PKCS#1 v1.5 over one) and SHA-256
 * over the message's body and over its header section, each timed alone with OpenSSL.
 * No signer can do less for a personalised message: everything dkim_sign() spends above
 * the floor is canonicalisation, copying and bookkeeping.  Used by `make bench`'s DKIM
 * section (tests/bench/run.sh), which turns the floor into the best possible signed/unsigned
 * send rate and verifies the message written to OUT with dkimpy.
 *   build/bench_dkim MESSAGE KEY [N [OUT]]
 * MESSAGE: an RFC 5322 message with CRLF (a DKIM-Signature field at its top is removed).
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "buf.h"
#include "diag.h"
#include "dkim.h"
#include "util.h"

#define BENCH_ROUNDS 3              /* each figure: the least of this many timed loops */

static double
cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);    /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
    fprintf(stderr, "bench_dkim: %s\n", what);
    exit(1);
}

/* The message without a DKIM-Signature field at its top (one signed earlier). */
static size_t
strip_signature(const char *m, size_t n)
{
    const char *p = m, *end = m + n;

    if (n < 15 || ascii_strncasecmp(m, "DKIM-Signature:", 15) != 0)
        return 0;
    do {
        const char *lf = memchr(p, '\n', (size_t)(end - p));

        p = lf != NULL ? lf + 1 : end;
    } while (p < end && (*p == ' ' || *p == '\t'));
    return (size_t)(p - m);
}

/* us per dkim_sign() of msg, the copy into the buffer subtracted; the last result in out */
static double
time_sign(const struct dkim *k, const char *msg, size_t len, int n, struct buf *out)
{
    struct diag d = DIAG_INIT;
    double best = 0;

    for (int r = 0; r < BENCH_ROUNDS; r++) {
        double t0 = cpu_s(), t1, t2;

        for (int i = 0; i < n; i++) {
            buf_reset(out);
            buf_put(out, msg, len);
        }
        t1 = cpu_s();
        for (int i = 0; i < n; i++) {
            buf_reset(out);
            buf_put(out, msg, len);
            if (dkim_sign(k, out, 0, 0, &d) == -1) {
                fprintf(stderr, "bench_dkim: %s\n", d.msg);
                exit(1);
            }
        }
        t2 = cpu_s();
        if (r == 0 || (t2 - t1) - (t1 - t0) < best)
            best = (t2 - t1) - (t1 - t0);
    }
    return best * 1e6 / n;
}

/* us per SHA-256 of p[0..n) (one EVP_Digest: init, one update, final) */
static double
time_sha(const char *p, size_t len, int n)
{
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl;
    double best = 0;

    if (md == NULL || c == NULL)
        die("no SHA-256");
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        double t = cpu_s();

        for (int i = 0; i < n; i++)
            if (EVP_DigestInit_ex(c, md, NULL) != 1 || EVP_DigestUpdate(c, p, len) != 1 ||
                EVP_DigestFinal_ex(c, h, &hl) != 1)
                die("SHA-256 failed");
        t = cpu_s() - t;
        if (r == 0 || t < best)
            best = t;
    }
    EVP_MD_CTX_free(c);
    EVP_MD_free(md);
    return best * 1e6 / n;
}

/* us per bare signature of a 32-byte hash, the context set up once (OpenSSL's best case) */
static double
time_sig(EVP_PKEY *key, int n)
{
    unsigned char hash[32], sig[512];
    size_t sl;
    bool ed = EVP_PKEY_is_a(key, "ED25519");
    EVP_MD_CTX *mc = NULL;
    EVP_PKEY_CTX *pc = NULL;
    double best = 0;

    memset(hash, 0x5a, sizeof(hash));
    if (ed) {
        if ((mc = EVP_MD_CTX_new()) == NULL ||
            EVP_DigestSignInit_ex(mc, NULL, NULL, NULL, NULL, key, NULL) != 1)
            die("cannot set up Ed25519");
    } else if ((pc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
        EVP_PKEY_sign_init(pc) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) != 1)
        die("cannot set up RSA");
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        double t = cpu_s();

        for (int i = 0; i < n; i++) {
            sl = sizeof(sig);
            if (ed ? EVP_DigestSign(mc, sig, &sl, hash, sizeof(hash)) != 1 :
                EVP_PKEY_sign(pc, sig, &sl, hash, sizeof(hash)) != 1)
                die("the signature failed");
        }
        t = cpu_s() - t;
        if (r == 0 || t < best)
            best = t;
    }
    EVP_MD_CTX_free(mc);
    EVP_PKEY_CTX_free(pc);
    return best * 1e6 / n;
}

int
main(int argc, char **argv)
{
    struct diag d = DIAG_INIT;
    struct dkim *k;
    struct buf out;
    EVP_PKEY *key;
    FILE *f;
    char *raw, *msg;
    const char *sep;
    size_t rawlen, len, hlen, blen;
    int n = argc > 3 ? atoi(argv[3]) : 2000;
    double sign, sig, sha_b, sha_h;

    if (argc < 3 || n <= 0)
        die("usage: bench_dkim MESSAGE KEY [N [OUT]]");
    if ((raw = read_file(argv[1], &rawlen)) == NULL)
        die("cannot read the message");
    msg = raw + strip_signature(raw, rawlen);
    len = rawlen - (size_t)(msg - raw);
    for (sep = msg; sep + 4 <= msg + len && memcmp(sep, "\r\n\r\n", 4) != 0; sep++)
        ;
    if (sep + 4 > msg + len)
        die("the message has no CRLF CRLF after its header");
    hlen = (size_t)(sep - msg) + 2;
    blen = len - hlen - 2;
    if ((k = dkim_new("bench.example.org", "bench", argv[2], &d)) == NULL) {
        fprintf(stderr, "bench_dkim: %s\n", d.msg);
        return 1;
    }
    if ((f = fopen(argv[2], "r")) == NULL || (key = PEM_read_PrivateKey(f, NULL, NULL,
        NULL)) == NULL)
        die("cannot read the key");
    fclose(f);
    buf_init(&out, 0);
    sign = time_sign(k, msg, len, n, &out);
    sig = time_sig(key, n);
    sha_b = time_sha(msg + hlen + 2, blen, n);
    sha_h = time_sha(msg, hlen, n);
    if (argc > 4 && ((f = fopen(argv[4], "wb")) == NULL ||
        fwrite(buf_str(&out), 1, out.len, f) != out.len || fclose(f) != 0))
        die("cannot write OUT");
    printf("  %s: dkim_sign %.1f us/message (%zu-byte message, body %zu bytes)\n",
        dkim_algorithm(k), sign, len, blen);
    printf("  %s floor: one signature %.1f us + SHA-256 of the body %.1f us + of the header "
        "%.1f us = %.1f us\n", dkim_algorithm(k), sig, sha_b, sha_h, sig + sha_b + sha_h);
    printf("RESULT alg=%s sign_us=%.1f floor_sig_us=%.1f floor_sha_us=%.1f floor_us=%.1f "
        "body=%zu\n", dkim_algorithm(k), sign, sig, sha_b + sha_h, sig + sha_b + sha_h, blen);
    EVP_PKEY_free(key);
    buf_fini(&out);
    dkim_free(k);
    free(raw);
    return 0;
}
