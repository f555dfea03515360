/*
 * The measurement behind docs/ARCHITECTURE.md's DKIM choice: the time to sign one ~20 KB
 * gazette message with our signer (dkim.c: OpenSSL EVP, own canonicalisation) and with
 * libopendkim (Debian's libopendkim-dev), rsa-sha256 and ed25519-sha256, on one thread.
 * Not part of `make bench` (gazette does not link libopendkim, whose dkim_sign and
 * dkim_free share our names: it is opened with dlopen and RTLD_DEEPBIND).  Build and run
 * with tests/bench/opendkim_compare.sh.
 * SPDX-License-Identifier: MIT
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "dkim.h"
#include "util.h"

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
ours(const char *msg, size_t len, const char *key, int n)
{
    struct diag d = DIAG_INIT;
    struct dkim *k = dkim_new("example.org", "sel", key, &d);
    struct buf b;
    double t;

    if (k == NULL) {
        fprintf(stderr, "%s\n", d.msg);
        exit(1);
    }
    buf_init(&b, 0);
    t = now();
    for (int i = 0; i < n; i++) {
        buf_reset(&b);
        buf_add(&b, msg, len);
        if (dkim_sign(k, &b, 0, 0, &d) == -1)
            exit(1);
    }
    t = now() - t;
    buf_fini(&b);
    dkim_free(k);
    return t * 1e6 / n;
}

/* The few libopendkim calls, from <opendkim/dkim.h> (1.0: DKIM_STAT is int). */
#define ODK_CANON_RELAXED 1
#define ODK_SIGN_RSASHA256 1
#define ODK_SIGN_ED25519SHA256 2
#define ODK_OP_SETOPT 1
#define ODK_OPTS_SIGNHDRS 4
#define ODK_OPTS_OVERSIGNHDRS 5

struct odk {
    void *(*init)(void *, void *);
    void (*close)(void *);
    int (*options)(void *, int, int, void *, size_t);
    void *(*sign)(void *, const unsigned char *, void *, const unsigned char *,
        const unsigned char *, const unsigned char *, int, int, int, long, int *);
    int (*header)(void *, unsigned char *, size_t);
    int (*eoh)(void *);
    int (*body)(void *, unsigned char *, size_t);
    int (*eom)(void *, void *);
    int (*getsighdr_d)(void *, size_t, unsigned char **, size_t *);
    int (*free)(void *);
    const char *(*geterror)(void *);
};

static void *
sym(void *h, const char *name)
{
    void *f = dlsym(h, name);

    if (f == NULL) {
        fprintf(stderr, "libopendkim: no %s\n", name);
        exit(1);
    }
    return f;
}

static double
theirs(const struct odk *o, const char *msg, size_t len, const char *keyfile, int ed, int n)
{
    static const char *signh[] = { "from", "to", "subject", "date", "message-id",
        "mime-version", "content-type", "list-id", "list-unsubscribe",
        "list-unsubscribe-post", NULL };
    static const char *over[] = { "from", NULL };
    void *lib = o->init(NULL, NULL);
    size_t klen;
    char *key = read_file(keyfile, &klen);
    const char *body = strstr(msg, "\r\n\r\n") + 4;
    double t;

    o->options(lib, ODK_OP_SETOPT, ODK_OPTS_SIGNHDRS, signh, sizeof(signh));
    o->options(lib, ODK_OP_SETOPT, ODK_OPTS_OVERSIGNHDRS, over, sizeof(over));
    t = now();
    for (int i = 0; i < n; i++) {
        int st;
        void *dk = o->sign(lib, (const unsigned char *)"job", NULL, (unsigned char *)key,
            (const unsigned char *)"sel", (const unsigned char *)"example.org",
            ODK_CANON_RELAXED, ODK_CANON_RELAXED, ed ? ODK_SIGN_ED25519SHA256 :
            ODK_SIGN_RSASHA256, -1L, &st);
        unsigned char *hdr;
        size_t hl;

        if (dk == NULL) {
            fprintf(stderr, "dkim_sign: %d\n", st);
            exit(1);
        }
        for (const char *p = msg; p < body - 2;) {
            const char *e = p;

            do {
                e = strstr(e, "\r\n") + 2;
            } while (*e == ' ' || *e == '\t');
            o->header(dk, (unsigned char *)p, (size_t)(e - p) - 2);
            p = e;
        }
        o->eoh(dk);
        o->body(dk, (unsigned char *)body, len - (size_t)(body - msg));
        if (o->eom(dk, NULL) != 0 || o->getsighdr_d(dk, 16, &hdr, &hl) != 0) {
            fprintf(stderr, "dkim_eom: %s\n", o->geterror(dk));
            exit(1);
        }
        o->free(dk);
    }
    t = now() - t;
    free(key);
    o->close(lib);
    return t * 1e6 / n;
}

int
main(int argc, char **argv)
{
    size_t len;
    char *msg;
    int n = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 2000;
    void *h = dlopen("libopendkim.so.11", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    struct odk o;

    if (h == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        return 69;
    }
    *(void **)&o.init = sym(h, "dkim_init");
    *(void **)&o.close = sym(h, "dkim_close");
    *(void **)&o.options = sym(h, "dkim_options");
    *(void **)&o.sign = sym(h, "dkim_sign");
    *(void **)&o.header = sym(h, "dkim_header");
    *(void **)&o.eoh = sym(h, "dkim_eoh");
    *(void **)&o.body = sym(h, "dkim_body");
    *(void **)&o.eom = sym(h, "dkim_eom");
    *(void **)&o.getsighdr_d = sym(h, "dkim_getsighdr_d");
    *(void **)&o.free = sym(h, "dkim_free");
    *(void **)&o.geterror = sym(h, "dkim_geterror");

    if (argc < 4 || (msg = read_file(argv[1], &len)) == NULL) {
        fprintf(stderr, "usage: opendkim_compare MESSAGE.eml RSA.key ED25519.key [N]\n");
        return 64;
    }
    printf("message %zu bytes, %d signatures each, us per message:\n", len, n);
    printf("  rsa-sha256:     ours %6.1f  libopendkim %6.1f\n", ours(msg, len, argv[2], n),
        theirs(&o, msg, len, argv[2], 0, n));
    printf("  ed25519-sha256: ours %6.1f  libopendkim %6.1f\n", ours(msg, len, argv[3], n),
        theirs(&o, msg, len, argv[3], 1, n));
    free(msg);
    return 0;
}
