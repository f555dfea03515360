/*
 * dkim: RFC 6376 signatures on finished messages.  The relaxed canonicalisation of
 * headers (3.4.2) and body (3.4.4), the header selection (5.4.2, From oversigned) and the
 * DKIM-Signature field (3.5) are written here; OpenSSL's EVP hashes and signs:
 * rsa-sha256 (RFC 8301) and ed25519-sha256 (RFC 8463: Ed25519 over the SHA-256 hash).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
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
#include <openssl/rsa.h>
#include <openssl/x509.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DKIM_AVX2 1                 /* skip_canonical() in 32-byte steps where the CPU can */
#endif

#include "buf.h"
#include "diag.h"
#include "dkim.h"
#include "text.h"
#include "util.h"

#define DKIM_FOLD 76                /* fold the signature's b= value (RFC 5322 2.1.1: 78) */
#define DKIM_MAX_FIELDS 256         /* header fields looked at for signing */
#define DKIM_SLOTS 16               /* signing contexts kept: more than sending threads */

struct dkim {
    EVP_PKEY *key;
    bool ed25519;
    EVP_MD *sha256;                 /* fetched once: per-call lookups take a global lock */
    EVP_MD_CTX *proto;              /* Ed25519: a DigestSign context set up once, copied per
                                       message (the signing context reused) */
    struct slot *slot[DKIM_SLOTS];  /* signing contexts, kept for the next message */
    char *domain, *selector;
};

/*
 * A signing context, reused from message to message: the hashing contexts, the signature
 * context set up for the key, and the buffers.  dkim_sign() takes a free one (first the
 * one its thread had last), so that no message pays for setting them up.
 */
struct slot {
    atomic_bool busy;
    bool ready;
    EVP_MD_CTX *bh, *hh;            /* SHA-256: of the body (bh=), of the header fields */
    EVP_MD_CTX *ed;                 /* Ed25519: a copy of the key's set-up context */
    EVP_PKEY_CTX *rsa;              /* RSA: PKCS#1 v1.5 over a SHA-256 hash, set up once */
    unsigned char *sigbytes;        /* EVP_PKEY_get_size() bytes */
    struct buf hdr, sig;            /* the canonical header fields; the signature field */
};

static _Thread_local unsigned slot_hint;

static void slot_fini(struct slot *s);

/* Set s up on its first use.  Returns 0, or -1 (OpenSSL failed; s is as it was). */
static int
slot_ready(const struct dkim *k, struct slot *s)
{
    if (s->ready)
        return 0;
    buf_init(&s->hdr, 0);
    buf_init(&s->sig, 0);
    s->sigbytes = xmalloc((size_t)EVP_PKEY_get_size(k->key));
    s->ready = true;                /* from here slot_fini() frees what there is */
    if ((s->bh = EVP_MD_CTX_new()) == NULL || (s->hh = EVP_MD_CTX_new()) == NULL ||
        (k->ed25519 && (s->ed = EVP_MD_CTX_new()) == NULL) ||
        (!k->ed25519 && ((s->rsa = EVP_PKEY_CTX_new_from_pkey(NULL, k->key, NULL)) == NULL ||
        EVP_PKEY_sign_init(s->rsa) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(s->rsa, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(s->rsa, k->sha256) != 1))) {
        slot_fini(s);
        return -1;
    }
    return 0;
}

static void
slot_fini(struct slot *s)
{
    if (!s->ready)
        return;
    EVP_MD_CTX_free(s->bh);
    EVP_MD_CTX_free(s->hh);
    EVP_MD_CTX_free(s->ed);
    EVP_PKEY_CTX_free(s->rsa);
    free(s->sigbytes);
    buf_fini(&s->hdr);
    buf_fini(&s->sig);
    s->bh = s->hh = s->ed = NULL;   /* busy stays as it is: the caller holds the slot */
    s->rsa = NULL;
    s->sigbytes = NULL;
    s->ready = false;
}

/* A free slot of k's, or spare (set up for this message alone) when all are taken. */
static struct slot *
slot_take(const struct dkim *k, struct slot *spare)
{
    for (unsigned i = 0; i < DKIM_SLOTS; i++) {
        unsigned at = (slot_hint + i) % DKIM_SLOTS;

        if (!atomic_exchange_explicit(&k->slot[at]->busy, true, memory_order_acquire)) {
            slot_hint = at;
            return k->slot[at];
        }
    }
    memset(spare, 0, sizeof(*spare));
    return spare;
}

static void
slot_give(struct slot *s, struct slot *spare)
{
    if (s == spare)
        slot_fini(spare);
    else
        atomic_store_explicit(&s->busy, false, memory_order_release);
}

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
    if (k->ed25519 && ((k->proto = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit_ex(k->proto, NULL, NULL, NULL, NULL, k->key, NULL) != 1)) {
        diag_set(d, EX_SOFTWARE, "OpenSSL cannot sign with the DKIM key");
        goto fail;
    }
    for (size_t i = 0; i < DKIM_SLOTS; i++) {
        k->slot[i] = xcalloc(1, sizeof(*k->slot[i]));
        atomic_init(&k->slot[i]->busy, false);
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
    for (size_t i = 0; i < DKIM_SLOTS; i++) {
        if (k->slot[i] != NULL)
            slot_fini(k->slot[i]);
        free(k->slot[i]);
    }
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

/* Bytes gathered for a sink: one call per field rather than one per word. */
struct stage {
    sink_fn out;
    void *ctx;
    size_t n;
    char b[256];
};

static void
stage_flush(struct stage *st)
{
    if (st->n > 0)
        st->out(st->ctx, st->b, st->n);
    st->n = 0;
}

static void
stage_put(struct stage *st, const char *p, size_t n)
{
    if (st->n + n > sizeof(st->b)) {
        stage_flush(st);
        if (n > sizeof(st->b)) {
            st->out(st->ctx, p, n);
            return;
        }
    }
    memcpy(st->b + st->n, p, n);
    st->n += n;
}

/*
 * RFC 6376 3.4.2: field name lower-cased, unfolded, runs of WSP made one SP, WSP at the
 * end of the value and around the colon removed.
 */
static void
canon_header(sink_fn out, void *ctx, const char *f, size_t n, bool crlf)
{
    const char *end = f + n, *colon = memchr(f, ':', n), *p;
    struct stage st;
    bool space = false, any = false;

    if (colon == NULL)
        return;
    st.out = out;
    st.ctx = ctx;
    st.n = 0;
    for (p = f; p < colon; p++) {
        if (is_wsp(*p) || *p == '\r' || *p == '\n')
            continue;
        if (st.n == sizeof(st.b))
            stage_flush(&st);
        st.b[st.n++] = (char)TO_LOWER((unsigned char)*p);
    }
    stage_put(&st, ":", 1);
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
            stage_put(&st, " ", 1);
        stage_put(&st, run, (size_t)(p - run));
        space = false;
        any = true;
    }
    if (crlf)
        stage_put(&st, "\r\n", 2);
    stage_flush(&st);
}

/*
 * The relaxed body (RFC 6376 3.4.4) as a stream: per line, runs of WSP made one SP and WSP
 * at the end removed; empty lines at the end of the body removed; a non-empty body ends
 * with CRLF.  A line is what comes before a CRLF (a CR or LF alone is text).  The body may
 * come in pieces cut anywhere.  What is already canonical goes to out as one run straight
 * from the input (a body of QP and base64 lines: nearly all of it); only a WSP run to
 * rewrite, blank lines and what a cut leaves undecided are written by hand.
 */
struct canon {
    sink_fn out;
    void *ctx;
    size_t held;        /* CRLFs owed before the next text: the last text line's own and
                           those of the empty lines since; at the end all but one go */
    bool wsp;           /* WSP since the line's last text: one SP if text follows */
    bool cr;            /* the last piece ended in CR: half a CRLF, or text */
    bool open;          /* the current line has text: it owes a CRLF at the end */
    bool text;          /* the body has text (else it is empty, 3.4.4 and 3.4.3) */
};

static void
canon_init(struct canon *c, sink_fn out, void *ctx)
{
    *c = (struct canon){ .out = out, .ctx = ctx };
}

static bool
is_wsp_or_cr(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

#ifdef DKIM_AVX2
/*
 * skip_canonical() 32 bytes at a time: stops at the first 32-byte step holding a byte to
 * see, or where fewer than 34 bytes are left (skip_canonical() goes on from there).  SP,
 * HT and CR are found with one table lookup by the low nibble (a byte is one of them when
 * the table gives it back: the other entries are 0, which no byte of that nibble is).
 */
__attribute__((target("avx2")))
static const char *
skip_avx2(const char *p, const char *end)
{
    const __m256i tab = _mm256_set1_epi8('\t'), sp = _mm256_set1_epi8(' '),
        cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n'),
        wsp_cr = _mm256_setr_epi8(' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', 0, 0, 0, '\r', 0, 0,
            ' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', 0, 0, 0, '\r', 0, 0);

    while (end - p >= 34) {
        __m256i v0 = _mm256_loadu_si256((const void *)p);
        __m256i v1 = _mm256_loadu_si256((const void *)(p + 1));
        __m256i v2 = _mm256_loadu_si256((const void *)(p + 2));
        __m256i w1 = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(wsp_cr, v1), v1);
        __m256i w2 = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(wsp_cr, v2), v2);
        __m256i crlf_text = _mm256_andnot_si256(w2, _mm256_cmpeq_epi8(v1, lf));
        __m256i stop = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v0, tab),
            _mm256_and_si256(_mm256_cmpeq_epi8(v0, sp), w1)),
            _mm256_andnot_si256(crlf_text, _mm256_cmpeq_epi8(v0, cr)));

        if (_mm256_movemask_epi8(stop) != 0)
            break;
        p += 32;
    }
    return p;
}
#endif

/*
 * From p, nothing being owed, the first byte the state machine must see: a tab; a space
 * before SP, HT, CR or the end; a CR that is not CRLF followed by text.  What comes before
 * it is canonical as it stands: text, single spaces before text, CRLFs before text.
 */
static const char *
skip_canonical(const char *p, const char *end)
{
#ifdef DKIM_AVX2
    if (end - p >= 34 && __builtin_cpu_supports("avx2"))
        p = skip_avx2(p, end);
#endif
#ifdef __SSE2__
    {
        const __m128i tab = _mm_set1_epi8('\t'), sp = _mm_set1_epi8(' '),
            cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');

        while (end - p >= 18) {     /* byte i looks at i + 1 and i + 2 */
            __m128i v0 = _mm_loadu_si128((const void *)p);
            __m128i v1 = _mm_loadu_si128((const void *)(p + 1));
            __m128i v2 = _mm_loadu_si128((const void *)(p + 2));
            __m128i w1 = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v1, sp),
                _mm_cmpeq_epi8(v1, tab)), _mm_cmpeq_epi8(v1, cr));
            __m128i w2 = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v2, sp),
                _mm_cmpeq_epi8(v2, tab)), _mm_cmpeq_epi8(v2, cr));
            __m128i crlf_text = _mm_andnot_si128(w2, _mm_cmpeq_epi8(v1, lf));
            __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v0, tab),
                _mm_and_si128(_mm_cmpeq_epi8(v0, sp), w1)),
                _mm_andnot_si128(crlf_text, _mm_cmpeq_epi8(v0, cr)));
            unsigned bits = (unsigned)_mm_movemask_epi8(stop);

            if (bits != 0)
                return p + __builtin_ctz(bits);
            p += 16;
        }
    }
#endif
    for (; p < end; p++) {
        if (*p == '\t' || (*p == ' ' && (p + 1 == end || is_wsp_or_cr(p[1]))) ||
            (*p == '\r' && !(end - p > 2 && p[1] == '\n' && !is_wsp_or_cr(p[2]))))
            return p;
    }
    return end;
}

/* Pay what is owed before text, written by hand (it is not in the input as it stands). */
static void
canon_owe(struct canon *c)
{
    for (; c->held > 0; c->held--)
        c->out(c->ctx, "\r\n", 2);
    if (c->wsp)
        c->out(c->ctx, " ", 1);
    c->wsp = false;
}

static void
canon_piece(struct canon *c, const char *p, size_t n)
{
    const char *end = p + n, *run, *lit;
    bool lit_ok;        /* [lit, p), held since the last text, reads as what is owed */

    if (n == 0)
        return;
    if (c->cr) {
        c->cr = false;
        if (*p == '\n') {
            c->held++;
            c->wsp = c->open = false;
            p++;
        } else {
            canon_owe(c);
            c->out(c->ctx, "\r", 1);
            c->open = c->text = true;
        }
    }
    /* [run, lit): text to pass on as it stands; [lit, p): held, owed if text follows */
    run = lit = p;
    lit_ok = c->held == 0 && !c->wsp;
    while (p < end) {
        if (c->held == 0 && !c->wsp) {
            const char *q = skip_canonical(p, end);

            if (q > p) {
                c->open = c->text = true;
                p = lit = q;
                if (p == end)
                    break;
            }
        }
        if (*p == '\r' && p + 1 == end) {
            c->cr = true;
            break;
        }
        if (*p == '\r' && p[1] == '\n') {
            if (c->wsp)
                lit_ok = false;     /* WSP at the end of a line goes */
            c->held++;
            c->wsp = c->open = false;
            p += 2;
            continue;
        }
        if (is_wsp(*p)) {
            if (c->wsp || *p == '\t')
                lit_ok = false;     /* more than one SP, or HT: one SP instead */
            c->wsp = true;
            p++;
            continue;
        }
        /* text (a CR alone included) */
        if (!lit_ok) {
            if (lit > run)
                c->out(c->ctx, run, (size_t)(lit - run));
            canon_owe(c);
            run = p;
        }
        c->held = 0;
        c->wsp = false;
        c->open = c->text = true;
        lit = ++p;
        lit_ok = true;
    }
    if (lit > run)
        c->out(c->ctx, run, (size_t)(lit - run));
}

static void
canon_final(struct canon *c)
{
    if (c->cr) {                    /* a CR at the very end is text */
        c->cr = false;
        canon_owe(c);
        c->out(c->ctx, "\r", 1);
        c->open = c->text = true;
    }
    if (c->open || (c->text && c->held > 0))
        c->out(c->ctx, "\r\n", 2);
    c->held = 0;
    c->wsp = c->open = c->text = false;
}

void
dkim_canon_header(struct buf *out, const char *f, size_t n, int crlf)
{
    canon_header(sink_buf, out, f, n, crlf != 0);
}

void
dkim_canon_body(struct buf *out, const char *p, size_t n)
{
    dkim_canon_body_cut(out, p, n, NULL, 0);
}

void
dkim_canon_body_cut(struct buf *out, const char *p, size_t n, const size_t *cuts,
    size_t ncuts)
{
    struct canon c;
    size_t at = 0;

    canon_init(&c, sink_buf, out);
    for (size_t i = 0; i < ncuts; i++) {
        if (cuts[i] < at || cuts[i] > n)
            continue;
        canon_piece(&c, p + at, cuts[i] - at);
        at = cuts[i];
    }
    canon_piece(&c, p + at, n - at);
    canon_final(&c);
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

/* h=: the signed names in order, From once more (5.4.2: a second From would break it) */
static const char *const signed_names[] = { "From", "To", "Subject", "Date", "Message-ID",
    "MIME-Version", "Content-Type", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
    "From" };

/*
 * The header fields signed, h= (5.4.2): for each name of signed_names, the last unused
 * instance from the bottom up, canonicalised into hdr; the names of those present (and
 * From again) appended to sig as "Name:" (the last without its colon), folded so that no
 * line passes DKIM_FOLD.  h[0..n): the header section.
 */
static void
select_fields(const char *h, size_t n, struct buf *sig, struct buf *hdr)
{
    struct field f[DKIM_MAX_FIELDS];
    size_t nf = fields_of(h, n, f, DKIM_MAX_FIELDS), col = 3;      /* "\th=" */

    for (size_t j = 0; j < ARRAY_LEN(signed_names); j++) {
        const char *name = signed_names[j];
        size_t nl = strlen(name), piece;
        bool found = false;

        for (size_t i = nf; i-- > 0;) {
            if (f[i].used || f[i].namelen != nl || ascii_strncasecmp(f[i].p, name, nl) != 0)
                continue;
            f[i].used = found = true;
            canon_header(sink_buf, hdr, f[i].p, f[i].n, true);
            break;
        }
        if (!found && j + 1 < ARRAY_LEN(signed_names))
            continue;
        piece = j + 1 < ARRAY_LEN(signed_names) ? nl + 1 : nl;
        if (col + piece > DKIM_FOLD) {
            buf_puts(sig, "\r\n\t");
            col = 1;
        }
        buf_put(sig, name, nl);
        if (piece > nl)
            buf_putc(sig, ':');
        col += piece;
    }
}

/* The b= value p[0..n) after "\tb=", folded at DKIM_FOLD, and the field's CRLF. */
static void
put_folded(struct buf *sig, const char *p, size_t n)
{
    size_t col = 3;                                 /* "\tb=" */

    for (size_t i = 0; i < n;) {
        size_t take = n - i < DKIM_FOLD - col ? n - i : DKIM_FOLD - col;

        buf_put(sig, p + i, take);
        i += take;
        if (i < n) {
            buf_puts(sig, "\r\n\t ");
            col = 2;
        }
    }
    buf_puts(sig, "\r\n");
}

/* The end of the header section (the CRLF of CRLF CRLF), or NULL. */
static const char *
header_end(const char *m, size_t n)
{
    const char *p = m, *end = m + n;

    while (end - p >= 4 && (p = memchr(p, '\r', (size_t)(end - p - 3))) != NULL) {
        if (memcmp(p, "\r\n\r\n", 4) == 0)
            return p;
        p++;
    }
    return NULL;
}

/* The signature over hash into s->sigbytes; its length, or 0 when OpenSSL fails. */
static size_t
sign_hash(const struct dkim *k, struct slot *s, const unsigned char *hash, size_t hashlen)
{
    size_t len = (size_t)EVP_PKEY_get_size(k->key);

    if (k->ed25519) {
        /* RFC 8463 3: PureEdDSA over the SHA-256 hash of the canonical data; the context
           is copied from one set up with the key (setting one up costs more) */
        if (EVP_MD_CTX_copy_ex(s->ed, k->proto) != 1 ||
            EVP_DigestSign(s->ed, s->sigbytes, &len, hash, hashlen) != 1)
            return 0;
    } else if (EVP_PKEY_sign(s->rsa, s->sigbytes, &len, hash, hashlen) != 1)
        return 0;
    return len;
}

int
dkim_sign(const struct dkim *k, struct buf *msg, size_t start, time_t t, struct diag *d)
{
    const char *m = buf_str(msg) + start, *sep;
    size_t mlen = msg->len - start, siglen;
    struct slot spare, *s = NULL;
    struct canon c;
    struct buf *sig;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hashlen = 0;
    int rc = -1;

    if ((sep = header_end(m, mlen)) == NULL) {
        diag_set(d, EX_DATAERR, "a message without a blank line after its header cannot "
            "be signed");
        return -1;
    }
    s = slot_take(k, &spare);
    if (slot_ready(k, s) == -1)
        goto ssl;
    sig = &s->sig;
    buf_reset(sig);
    buf_reset(&s->hdr);
    /* the body hash, bh= (3.7): canonicalised straight into SHA-256 */
    if (EVP_DigestInit_ex(s->bh, k->sha256, NULL) != 1)
        goto ssl;
    canon_init(&c, sink_md, s->bh);
    canon_piece(&c, sep + 4, (size_t)(m + mlen - (sep + 4)));
    canon_final(&c);
    if (EVP_DigestFinal_ex(s->bh, hash, &hashlen) != 1)
        goto ssl;

    buf_putf(sig, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed;\r\n"
        "\td=%s; s=%s; t=%lld;\r\n\th=",
        dkim_algorithm(k), k->domain, k->selector, (long long)(t ? t : time(NULL)));
    select_fields(m, (size_t)(sep - m) + 2, sig, &s->hdr);
    buf_puts(sig, ";\r\n\tbh=");
    text_base64(sig, hash, hashlen);
    buf_puts(sig, ";\r\n\tb=");
    /* the signature field itself, b= empty, without its CRLF (3.7) */
    canon_header(sink_buf, &s->hdr, buf_str(sig), sig->len, false);
    if (EVP_DigestInit_ex(s->hh, k->sha256, NULL) != 1 ||
        EVP_DigestUpdate(s->hh, buf_str(&s->hdr), s->hdr.len) != 1 ||
        EVP_DigestFinal_ex(s->hh, hash, &hashlen) != 1 ||
        (siglen = sign_hash(k, s, hash, hashlen)) == 0)
        goto ssl;
    /* b=, folded; s->hdr is done with and holds the base64 */
    buf_reset(&s->hdr);
    text_base64(&s->hdr, s->sigbytes, siglen);
    put_folded(sig, buf_str(&s->hdr), s->hdr.len);
    /* insert it in front of the message */
    {
        size_t old = msg->len;

        if (buf_add(msg, buf_str(sig), sig->len) == -1) {
            diag_set(d, EX_DATAERR, "the signed message would pass its size limit");
            goto out;
        }
        memmove(msg->p + start + sig->len, msg->p + start, old - start);
        memcpy(msg->p + start, buf_str(sig), sig->len);
    }
    rc = 0;
    goto out;
ssl:
    diag_set(d, EX_SOFTWARE, "OpenSSL failed to make the DKIM signature");
out:
    slot_give(s, &spare);
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
        text_base64(&b, raw, rawlen);
    } else {
        if ((len = i2d_PUBKEY(k->key, &der)) <= 0)
            xoom();
        buf_puts(&b, "v=DKIM1; k=rsa; p=");
        text_base64(&b, der, (size_t)len);
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
