/*
 * dkim: RFC 6376 signatures on finished messages.  The relaxed canonicalisation of
 * headers (3.4.2) and body (3.4.4), the header selection (5.4.2, From oversigned) and the
 * DKIM-Signature field (3.5) are written here; OpenSSL's EVP hashes and signs:
 * rsa-sha256 (RFC 8301) and ed25519-sha256 (RFC 8463: Ed25519 over the SHA-256 hash).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "diag.h"
#include "dkim.h"
#include "util.h"

#define DKIM_FOLD 76                /* fold the signature's b= value (RFC 5322 2.1.1: 78) */
#define DKIM_MAX_FIELDS 256         /* header fields looked at for signing */

struct dkim {
    EVP_PKEY *key;
    bool ed25519;
    EVP_MD *sha256;                 /* fetched once: per-call lookups take a global lock */
    EVP_MD_CTX *proto;              /* RSA: a DigestSign context set up once, copied per
                                       message (the signing context reused) */
    char *domain, *selector;
};

static bool
is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* A DNS name of labels [A-Za-z0-9-_], dots between (selector and domain). */
static bool
dns_name_ok(const char *s)
{
    size_t label = 0;

    if (*s == '\0' || strlen(s) > 253)
        return false;
    for (; *s; s++) {
        if (*s == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (IS_ALNUM(*s) || *s == '-' || *s == '_') {
            if (++label > 63)
                return false;
        } else
            return false;
    }
    return label > 0;
}

struct dkim *
dkim_new(const char *domain, const char *selector, const char *key_file, struct diag *d)
{
    struct dkim *k = NULL;
    BIO *bio = NULL;

    if (domain == NULL || selector == NULL || key_file == NULL) {
        diag_set(d, EX_CONFIG, "dkim needs selector, domain and key_file together; set all "
            "three (gazette dkim keygen makes a key) or none");
        return NULL;
    }
    if (!dns_name_ok(domain) || !dns_name_ok(selector)) {
        diag_set(d, EX_CONFIG, "dkim.%s \"%.60s\" is not a DNS name; letters, digits, '-' "
            "and '_' in dot-separated labels", dns_name_ok(domain) ? "selector" : "domain",
            dns_name_ok(domain) ? selector : domain);
        return NULL;
    }
    k = xcalloc(1, sizeof(*k));
    k->domain = xstrdup(domain);
    k->selector = xstrdup(selector);
    if ((bio = BIO_new_file(key_file, "r")) == NULL) {
        diag_set(d, EX_NOINPUT, "cannot read the DKIM key: %s", strerror(errno ? errno :
            ENOENT));
        diag_path(d, key_file);
        goto fail;
    }
    k->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (k->key == NULL) {
        diag_set(d, EX_DATAERR, "not a PEM private key (unencrypted PKCS#8 or RSA); "
            "gazette dkim keygen writes one");
        diag_path(d, key_file);
        goto fail;
    }
    if (EVP_PKEY_is_a(k->key, "ED25519"))
        k->ed25519 = true;
    else if (!EVP_PKEY_is_a(k->key, "RSA") || EVP_PKEY_get_bits(k->key) < DKIM_RSA_MIN_BITS) {
        diag_set(d, EX_DATAERR, "the DKIM key is %s %d bits; an RSA key of at least %d bits "
            "(2048 recommended, RFC 8301) or an Ed25519 key", EVP_PKEY_get0_type_name(k->key),
            EVP_PKEY_get_bits(k->key), DKIM_RSA_MIN_BITS);
        diag_path(d, key_file);
        goto fail;
    }
    if ((k->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
        xoom();
    if (!k->ed25519) {
        if ((k->proto = EVP_MD_CTX_new()) == NULL ||
            EVP_DigestSignInit_ex(k->proto, NULL, "SHA256", NULL, NULL, k->key, NULL) != 1) {
            diag_set(d, EX_SOFTWARE, "OpenSSL cannot sign with the DKIM key");
            goto fail;
        }
    }
    return k;
fail:
    dkim_free(k);
    return NULL;
}

void
dkim_free(struct dkim *k)
{
    if (k == NULL)
        return;
    EVP_MD_CTX_free(k->proto);
    EVP_MD_free(k->sha256);
    EVP_PKEY_free(k->key);
    free(k->domain);
    free(k->selector);
    free(k);
}

const char *
dkim_algorithm(const struct dkim *k)
{
    return k->ed25519 ? "ed25519-sha256" : "rsa-sha256";
}

/* ---- canonicalisation ---------------------------------------------------------------- */

typedef void (*sink_fn)(void *ctx, const char *p, size_t n);

static void
sink_buf(void *ctx, const char *p, size_t n)
{
    buf_put(ctx, p, n);
}

static void
sink_md(void *ctx, const char *p, size_t n)
{
    EVP_DigestUpdate(ctx, p, n);
}

/*
 * RFC 6376 3.4.2: field name lower-cased, unfolded, runs of WSP made one SP, WSP at the
 * end of the value and around the colon removed.
 */
static void
canon_header(sink_fn out, void *ctx, const char *f, size_t n, bool crlf)
{
    const char *end = f + n, *colon = memchr(f, ':', n), *p;
    char low[64];
    size_t nl = 0;
    bool space = false, any = false;

    if (colon == NULL)
        return;
    for (p = f; p < colon; p++) {
        if (is_wsp(*p) || *p == '\r' || *p == '\n')
            continue;
        low[nl++] = (char)TO_LOWER((unsigned char)*p);
        if (nl == sizeof(low)) {
            out(ctx, low, nl);
            nl = 0;
        }
    }
    out(ctx, low, nl);
    out(ctx, ":", 1);
    for (p = colon + 1; p < end;) {
        const char *run = p;

        if (*p == '\r' || *p == '\n') {
            p++;
            continue;
        }
        if (is_wsp(*p)) {
            space = true;
            p++;
            continue;
        }
        while (p < end && !is_wsp(*p) && *p != '\r' && *p != '\n')
            p++;
        if (space && any)
            out(ctx, " ", 1);
        out(ctx, run, (size_t)(p - run));
        space = false;
        any = true;
    }
    if (crlf)
        out(ctx, "\r\n", 2);
}

/*
 * RFC 6376 3.4.4: per line, WSP at the end removed and runs of WSP made one SP; empty
 * lines at the end of the body removed; a non-empty body ends with CRLF.  Lines that are
 * already canonical (all of a QP or base64 part) go to out in runs, not word by word.
 */
static void
canon_body(sink_fn out, void *ctx, const char *p, size_t n)
{
    const char *end = p + n, *run = p;      /* run: canonical lines not yet passed on */
    size_t empty = 0;

    while (p < end) {
        const char *eol = p, *next;
        bool clean = true, prev_wsp = false;

        for (; eol < end && !(eol[0] == '\r' && eol + 1 < end && eol[1] == '\n'); eol++) {
            if (*eol == '\t' || (*eol == ' ' && prev_wsp))
                clean = false;
            prev_wsp = *eol == ' ';
        }
        if (prev_wsp || eol == end)
            clean = false;                  /* trailing WSP, or no CRLF at the end */
        next = eol < end ? eol + 2 : end;
        if (eol == p) {                     /* empty: held back until text follows */
            if (empty == 0)
                out(ctx, run, (size_t)(p - run));
            empty++;
            p = run = next;
            continue;
        }
        if (clean) {
            if (empty > 0) {
                for (; empty > 0; empty--)
                    out(ctx, "\r\n", 2);
                run = p;
            }
            p = next;
            continue;
        }
        out(ctx, run, (size_t)(p - run));
        {
            bool space = false, wrote = false;

            for (const char *q = p; q < eol;) {
                const char *w = q;

                if (is_wsp(*q)) {
                    space = true;
                    q++;
                    continue;
                }
                while (q < eol && !is_wsp(*q))
                    q++;
                if (!wrote)
                    for (; empty > 0; empty--)
                        out(ctx, "\r\n", 2);
                if (space)
                    out(ctx, " ", 1);
                out(ctx, w, (size_t)(q - w));
                space = false;
                wrote = true;
            }
            if (wrote)
                out(ctx, "\r\n", 2);
            else
                empty++;            /* only blanks: empty once they are gone */
        }
        p = run = next;
    }
    if (empty == 0)
        out(ctx, run, (size_t)(p - run));
}

void
dkim_canon_header(struct buf *out, const char *f, size_t n, int crlf)
{
    canon_header(sink_buf, out, f, n, crlf != 0);
}

void
dkim_canon_body(struct buf *out, const char *p, size_t n)
{
    canon_body(sink_buf, out, p, n);
}

/* ---- signing ----------------------------------------------------------------------- */

struct field {
    const char *p;                  /* the field, CRLFs of its folding and its last included */
    size_t n, namelen;
    bool used;
};

/* Split the header section h[0..n) into fields.  Returns how many (at most max). */
static size_t
fields_of(const char *h, size_t n, struct field *f, size_t max)
{
    const char *p = h, *end = h + n;
    size_t nf = 0;

    while (p < end && nf < max) {
        const char *q = p, *colon;

        do {
            const char *lf = memchr(q, '\n', (size_t)(end - q));

            q = lf != NULL ? lf + 1 : end;
        } while (q < end && is_wsp(*q));
        colon = memchr(p, ':', (size_t)(q - p));
        if (colon != NULL) {
            const char *ne = colon;

            while (ne > p && is_wsp(ne[-1]))
                ne--;
            f[nf++] = (struct field){ p, (size_t)(q - p), (size_t)(ne - p), false };
        }
        p = q;
    }
    return nf;
}

static void
b64(struct buf *out, const unsigned char *p, size_t n)
{
    unsigned char tmp[4 * ((1024 + 2) / 3) + 1];

    while (n > 0) {
        size_t chunk = n > 1023 ? 1023 : n;     /* a multiple of 3: no padding inside */
        int len = EVP_EncodeBlock(tmp, p, (int)chunk);

        buf_put(out, tmp, (size_t)len);
        p += chunk;
        n -= chunk;
    }
}

/* Fold the list of names at colons so that no line passes DKIM_FOLD. */
static void
add_folded_list(struct buf *out, size_t *col, const char *list)
{
    const char *p = list;

    while (*p) {
        const char *c = strchr(p, ':');
        size_t len = c ? (size_t)(c - p) + 1 : strlen(p);

        if (*col + len > DKIM_FOLD) {
            buf_puts(out, "\r\n\t");
            *col = 1;
        }
        buf_put(out, p, len);
        *col += len;
        p += len;
    }
}

int
dkim_sign(const struct dkim *k, struct buf *msg, size_t start, time_t t, struct diag *d)
{
    const char *m = buf_str(msg) + start, *sep;
    size_t mlen = msg->len - start, hlen, nf, col, siglen = 0;
    struct field *f = NULL;
    struct buf sig, names;
    EVP_MD_CTX *bh = NULL, *hc = NULL;
    unsigned char hash[EVP_MAX_MD_SIZE], *sigbytes = NULL;
    unsigned int hashlen = 0;
    char *list, *save = NULL;
    int rc = -1;

    buf_init(&sig, 0);
    buf_init(&names, 0);
    for (sep = m; sep + 4 <= m + mlen && memcmp(sep, "\r\n\r\n", 4) != 0; sep++)
        ;
    if (sep + 4 > m + mlen) {
        diag_set(d, EX_DATAERR, "a message without a blank line after its header cannot "
            "be signed");
        goto out;
    }
    hlen = (size_t)(sep - m) + 2;
    /* the body hash, bh= (3.7) */
    if ((bh = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(bh, k->sha256, NULL) != 1)
        goto ssl;
    canon_body(sink_md, bh, sep + 4, (size_t)(m + mlen - (sep + 4)));
    if (EVP_DigestFinal_ex(bh, hash, &hashlen) != 1)
        goto ssl;

    f = xcalloc(DKIM_MAX_FIELDS, sizeof(*f));
    nf = fields_of(m, hlen, f, DKIM_MAX_FIELDS);
    /* h=: each listed field present, From once more (5.4.2: a second From would break it) */
    list = xstrdup(DKIM_HEADERS ":From");
    save = list;
    if ((hc = EVP_MD_CTX_new()) == NULL)
        goto ssl;
    if (k->ed25519 ? EVP_DigestInit_ex(hc, k->sha256, NULL) != 1 :
        EVP_MD_CTX_copy_ex(hc, k->proto) != 1)
        goto ssl;
    for (char *name = list, *next; name != NULL && *name; name = next) {
        size_t nl;
        bool found = false;

        next = strchr(name, ':');
        if (next != NULL)
            *next++ = '\0';
        nl = strlen(name);
        /* the last unused instance, from the bottom up (5.4.2) */
        for (size_t i = nf; i-- > 0;) {
            if (f[i].used || f[i].namelen != nl || ascii_strncasecmp(f[i].p, name, nl) != 0)
                continue;
            f[i].used = true;
            found = true;
            canon_header(sink_md, hc, f[i].p, f[i].n, true);
            break;
        }
        if (found || (next == NULL && strcmp(name, "From") == 0)) {
            if (names.len > 0)
                buf_putc(&names, ':');
            buf_puts(&names, name);
        }
    }
    /* the signature field itself, b= empty, without its CRLF (3.7) */
    buf_putf(&sig, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed;\r\n"
        "\td=%s; s=%s; t=%lld;\r\n\th=",
        dkim_algorithm(k), k->domain, k->selector, (long long)(t ? t : time(NULL)));
    {
        const char *last = strrchr(buf_str(&sig), '\n');

        col = (size_t)(buf_str(&sig) + sig.len - last) - 1;
    }
    add_folded_list(&sig, &col, buf_str(&names));
    buf_puts(&sig, ";\r\n\tbh=");
    b64(&sig, hash, hashlen);
    buf_puts(&sig, ";\r\n\tb=");
    canon_header(sink_md, hc, buf_str(&sig), sig.len, false);
    if (k->ed25519) {
        EVP_MD_CTX *sc = NULL;
        unsigned char h2[EVP_MAX_MD_SIZE];
        unsigned int h2len = 0;

        /* RFC 8463 3: PureEdDSA over the SHA-256 hash of the canonical data */
        if (EVP_DigestFinal_ex(hc, h2, &h2len) != 1 || (sc = EVP_MD_CTX_new()) == NULL ||
            EVP_DigestSignInit_ex(sc, NULL, NULL, NULL, NULL, k->key, NULL) != 1 ||
            EVP_DigestSign(sc, NULL, &siglen, h2, h2len) != 1) {
            EVP_MD_CTX_free(sc);
            goto ssl;
        }
        sigbytes = xmalloc(siglen);
        if (EVP_DigestSign(sc, sigbytes, &siglen, h2, h2len) != 1) {
            EVP_MD_CTX_free(sc);
            goto ssl;
        }
        EVP_MD_CTX_free(sc);
    } else {
        if (EVP_DigestSignFinal(hc, NULL, &siglen) != 1)
            goto ssl;
        sigbytes = xmalloc(siglen);
        if (EVP_DigestSignFinal(hc, sigbytes, &siglen) != 1)
            goto ssl;
    }
    {
        struct buf s64;

        buf_init(&s64, 0);
        b64(&s64, sigbytes, siglen);
        col = 3;                                /* "\tb=" */
        for (size_t i = 0; i < s64.len;) {
            size_t take = s64.len - i < DKIM_FOLD - col ? s64.len - i : DKIM_FOLD - col;

            buf_put(&sig, buf_str(&s64) + i, take);
            i += take;
            if (i < s64.len) {
                buf_puts(&sig, "\r\n\t ");
                col = 2;
            }
        }
        buf_fini(&s64);
    }
    buf_puts(&sig, "\r\n");
    /* insert it in front of the message */
    {
        size_t old = msg->len;

        if (buf_add(msg, buf_str(&sig), sig.len) == -1) {
            diag_set(d, EX_DATAERR, "the signed message would pass its size limit");
            goto out;
        }
        memmove(msg->p + start + sig.len, msg->p + start, old - start);
        memcpy(msg->p + start, buf_str(&sig), sig.len);
    }
    rc = 0;
    goto out;
ssl:
    diag_set(d, EX_SOFTWARE, "OpenSSL failed to make the DKIM signature");
out:
    free(sigbytes);
    free(save);
    free(f);
    EVP_MD_CTX_free(bh);
    EVP_MD_CTX_free(hc);
    buf_fini(&sig);
    buf_fini(&names);
    return rc;
}

/* ---- keys and records ------------------------------------------------------------- */

char *
dkim_record(const struct dkim *k)
{
    struct buf b;
    unsigned char *der = NULL, raw[64];
    size_t rawlen = sizeof(raw);
    int len;

    buf_init(&b, 0);
    if (k->ed25519) {
        if (EVP_PKEY_get_raw_public_key(k->key, raw, &rawlen) != 1)
            xoom();
        buf_puts(&b, "v=DKIM1; k=ed25519; p=");
        b64(&b, raw, rawlen);
    } else {
        if ((len = i2d_PUBKEY(k->key, &der)) <= 0)
            xoom();
        buf_puts(&b, "v=DKIM1; k=rsa; p=");
        b64(&b, der, (size_t)len);
        OPENSSL_free(der);
    }
    return buf_steal(&b);
}

char *
dkim_record_name(const struct dkim *k)
{
    struct buf b;

    buf_init(&b, 0);
    buf_putf(&b, "%s._domainkey.%s", k->selector, k->domain);
    return buf_steal(&b);
}

void
dkim_record_zone(const struct dkim *k, struct buf *out)
{
    char *name = dkim_record_name(k), *rec = dkim_record(k);
    size_t n = strlen(rec);

    buf_putf(out, "%s. IN TXT (", name);
    for (size_t i = 0; i < n; i += DKIM_TXT_STRING_MAX) {
        size_t take = n - i < DKIM_TXT_STRING_MAX ? n - i : DKIM_TXT_STRING_MAX;

        buf_putf(out, " \"%.*s\"", (int)take, rec + i);
    }
    buf_puts(out, " )\n");
    free(name);
    free(rec);
}

/* The record's text: the quoted strings joined, or the text itself when it has none. */
static char *
record_text(const char *text, size_t len)
{
    struct buf b;
    const char *p = text, *end = text + len;
    bool quoted = memchr(text, '"', len) != NULL;

    buf_init(&b, 0);
    if (!quoted) {
        buf_put(&b, text, len);
        return buf_steal(&b);
    }
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p)), *e;

        if (q == NULL)
            break;
        for (e = q + 1; e < end && *e != '"'; e++)
            if (*e == '\\' && e + 1 < end)
                e++;
        for (const char *c = q + 1; c < e; c++) {
            if (*c == '\\' && c + 1 < e)
                c++;
            buf_putc(&b, *c);
        }
        p = e < end ? e + 1 : end;
    }
    return buf_steal(&b);
}

/* The value of tag in a tag list (3.2), white space removed; NULL when absent. */
static char *
tag_value(const char *rec, const char *tag)
{
    const char *p = rec;
    size_t tl = strlen(tag);

    while (*p) {
        const char *semi = strchr(p, ';'), *end = semi ? semi : p + strlen(p), *eq;

        while (p < end && (is_wsp(*p) || *p == '\r' || *p == '\n'))
            p++;
        eq = memchr(p, '=', (size_t)(end - p));
        if (eq != NULL) {
            const char *ne = eq;

            while (ne > p && is_wsp(ne[-1]))
                ne--;
            if ((size_t)(ne - p) == tl && strncmp(p, tag, tl) == 0) {
                struct buf v;

                buf_init(&v, 0);
                for (const char *c = eq + 1; c < end; c++)
                    if (!is_wsp(*c) && *c != '\r' && *c != '\n')
                        buf_putc(&v, *c);
                return buf_steal(&v);
            }
        }
        p = semi ? semi + 1 : end;
    }
    return NULL;
}

int
dkim_record_check(const struct dkim *k, const char *text, size_t len, struct diag *d)
{
    char *rec = record_text(text, len), *v = tag_value(rec, "v"), *kt = tag_value(rec, "k");
    char *p = tag_value(rec, "p"), *mine = dkim_record(k), *mp = tag_value(mine, "p");
    int rc = -1;

    if (v != NULL && strcmp(v, "DKIM1") != 0)
        diag_set(d, EX_DATAERR, "the record's v= is \"%.20s\"; a DKIM key record has "
            "v=DKIM1", v);
    else if (p == NULL || *p == '\0')
        diag_set(d, EX_DATAERR, "the record has no public key (p=); it should read %.60s...",
            mine);
    else if (strcmp(kt ? kt : "rsa", k->ed25519 ? "ed25519" : "rsa") != 0)
        diag_set(d, EX_CONFIG, "the record is for a k=%s key but dkim.key_file holds an %s "
            "key", kt ? kt : "rsa", k->ed25519 ? "ed25519" : "rsa");
    else if (strcmp(p, mp) != 0)
        diag_set(d, EX_CONFIG, "the record's public key does not match dkim.key_file; "
            "publish the record gazette dkim keygen printed (or `gazette check` shows)");
    else
        rc = 0;
    free(rec);
    free(v);
    free(kt);
    free(p);
    free(mine);
    free(mp);
    return rc;
}

int
dkim_keygen(const char *path, const char *type, struct diag *d)
{
    EVP_PKEY *key = NULL;
    BIO *mem = NULL;
    char *pem;
    long pemlen;
    int fd = -1, rc = -1;

    if (strcmp(type, "rsa") == 0)
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)DKIM_RSA_BITS);
    else if (strcmp(type, "ed25519") == 0)
        key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else {
        diag_set(d, EX_USAGE, "unknown key type \"%.20s\"; rsa or ed25519", type);
        return -1;
    }
    if (key == NULL || (mem = BIO_new(BIO_s_mem())) == NULL ||
        PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) != 1) {
        diag_set(d, EX_SOFTWARE, "OpenSSL cannot make a %s key", type);
        goto out;
    }
    pemlen = BIO_get_mem_data(mem, &pem);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
        diag_set(d, EX_CANTCREAT, "cannot create the key file: %s%s", strerror(errno),
            errno == EEXIST ? " (an existing key is never overwritten)" : "");
        diag_path(d, path);
        goto out;
    }
    if (write_all(fd, pem, (size_t)pemlen) == -1 || fsync(fd) == -1) {
        diag_set(d, EX_IOERR, "cannot write the key file: %s", strerror(errno));
        diag_path(d, path);
        close(fd);
        unlink(path);
        fd = -1;
        goto out;
    }
    rc = 0;
out:
    if (fd != -1 && close(fd) == -1 && rc == 0) {
        diag_set(d, EX_IOERR, "cannot write the key file: %s", strerror(errno));
        diag_path(d, path);
        rc = -1;
    }
    BIO_free(mem);
    EVP_PKEY_free(key);
    return rc;
}
