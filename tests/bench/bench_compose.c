/*
 * bench_compose: personalised messages per second for a ~20 KB digest.  Generates Markdown
 * articles until one message reaches the target size, then writes the message of each of
 * N generated subscribers into one reused buffer, timed, and verifies what it wrote (every
 * size, and a sample in full).  Used by `make bench` (tests/bench/run.sh), which also
 * re-parses the sample with Python's email package and sends the same articles over SMTP.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "article.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "subs.h"
#include "util.h"
#include "value.h"

#define BENCH_TARGET_RATE 20000.0       /* the issue: 20,000 messages/s on one core */
#define BENCH_TARGET_BYTES 20000        /* "a 20 KB digest": the first message at least this */
#define BENCH_MAX_ARTICLES 64
#define BENCH_SAMPLE_EVERY 10000        /* verify in full (and write) every 10,000th message */
#define BENCH_MAX_SAMPLES 64
#define BENCH_SIZE_SLACK 1024           /* personal parts change a message by less than this */
#define BENCH_SECRET "bench-secret-0123456789abcdef"
#define BENCH_CAMPAIGN "bench"

static double
clock_s(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A deterministic generator (the figures must not depend on the run). */
static unsigned long rng_state = 88172645463325252UL;

static unsigned long
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Prose with the punctuation real newsletters carry (UTF-8 quotes, dashes, accents). */
static void
sentence(struct buf *b)
{
    static const char *const words[] = { "council", "harbour", "river", "library", "school",
        "festival", "budget", "station", "residents", "volunteers", "plans", "report",
        "weekend", "market", "bridge", "museum", "committee", "caf\xc3\xa9", "na\xc3\xafve",
        "season", "tickets", "survey", "the", "a", "of", "and", "to", "in", "for", "with",
        "new", "old", "local", "first", "after", "before", "three", "twelve", "north",
        "garden", "lanes", "ferry", "night", "team", "teachers", "students", "funding" };
    size_t n = 8 + rng() % 14;

    for (size_t i = 0; i < n; i++) {
        const char *w = words[rng() % ARRAY_LEN(words)];

        if (i == 0)
            buf_putc(b, (char)(*w >= 'a' && *w <= 'z' ? *w - 'a' + 'A' : *w));
        buf_puts(b, i == 0 ? w + 1 : w);
        if (i + 1 < n)
            buf_puts(b, rng() % 11 == 0 ? ", " : rng() % 29 == 0 ? " \xe2\x80\x94 " : " ");
    }
    buf_puts(b, rng() % 9 == 0 ? " \xe2\x80\x9c" "for now\xe2\x80\x9d." : ".");
}

/* Article number k as Markdown with front matter (what `gazette send` reads from files). */
static void
article_text(struct buf *b, int k)
{
    size_t npara = 2 + rng() % 2;

    buf_putf(b, "---\ntitle: \"Bench story %d: the council\xe2\x80\x99s new plan\"\n"
        "url: https://news.example.org/2026/11/story-%d\nsource: The Bench Ledger\n"
        "author: Ren\xc3\xa9" "e Dupont\ndate: \"2026-11-%02d 09:%02d\"\ntags: [city, bench]\n"
        "summary: >\n  ", k, k, 1 + k % 26, k % 60);
    sentence(b);
    buf_puts(b, "\n---\n\n");
    for (size_t i = 0; i < npara; i++) {
        size_t ns = 1 + rng() % 3;

        for (size_t j = 0; j < ns; j++) {
            if (j > 0)
                buf_putc(b, ' ');
            sentence(b);
        }
        if (i == 1)
            buf_putf(b, " Read the [full report](https://news.example.org/reports/%d.pdf).", k);
        buf_puts(b, "\n\n");
    }
}

/* Names: none, ASCII, and non-ASCII (encoded-words in To), so every path is measured. */
static void
make_subscriber(struct subscriber *s, struct arena *a, long i)
{
    char tmp[128];

    memset(s, 0, sizeof(*s));
    snprintf(tmp, sizeof(tmp), "reader%ld@example%ld.org", i, i % 1000);
    s->email = s->addr = arena_strdup(a, tmp);
    if (i % 5 == 0)
        tmp[0] = '\0';
    else if (i % 7 == 0)
        snprintf(tmp, sizeof(tmp), "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m %ld", i);
    else
        snprintf(tmp, sizeof(tmp), "Reader %ld", i);
    s->name = arena_strdup(a, tmp);
    s->subscribed_at = "";
    s->status = SUBS_ACTIVE;
}

static void
set_str(char **field, const char *s)
{
    free(*field);
    *field = s ? xstrdup(s) : NULL;
}

/* Trim and collapse SP/TAB runs: the form mime.c gives display names and subjects. */
static void
norm_ws(struct buf *out, const char *s)
{
    bool sp = false;

    buf_reset(out);
    buf_put(out, "", 0);
    for (; *s == ' ' || *s == '\t'; s++)
        ;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t') {
            sp = true;
            continue;
        }
        if (sp)
            buf_putc(out, ' ');
        sp = false;
        buf_putc(out, *s);
    }
}

static void
json_field(struct buf *j, const char *key, const char *s, bool last)
{
    buf_putf(j, "  \"%s\": ", key);
    if (s == NULL)
        buf_puts(j, "null");
    else
        value_json_string(j, s, strlen(s));
    buf_puts(j, last ? "\n}\n" : ",\n");
}

static void
to_lf(struct buf *out, const char *s, size_t n)
{
    buf_reset(out);
    buf_put(out, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            continue;
        buf_putc(out, s[i] == '\r' ? '\n' : s[i]);
    }
}

static int
write_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(p, 1, n, f) != n) {
        fprintf(stderr, "bench_compose: %s: %s\n", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_compose: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Write DIR/sample-I.eml and the sidecar DIR/sample-I.json that
 * tests/integration/check_eml.py compares it with: what every header and both bodies must
 * decode to, taken from digest_parts() (the composer's own view, not the MIME writer's).
 */
static int
write_sample(const char *dir, const struct config *c, const struct digest *g,
    const struct subscriber *s, long i, const char *msg, size_t len, const char *url)
{
    struct diag d = DIAG_INIT;
    struct buf subj, text, html, j, t, path;
    int rc = -1;

    buf_init(&subj, 0);
    buf_init(&text, 0);
    buf_init(&html, 0);
    buf_init(&j, 0);
    buf_init(&t, 0);
    buf_init(&path, 0);
    if (digest_parts(g, s, &subj, &text, &html, &d) == -1) {
        fprintf(stderr, "bench_compose: digest_parts: %s\n", d.msg);
        goto out;
    }
    buf_putf(&path, "%s/sample-%06ld.eml", dir, i);
    if (write_file(buf_str(&path), msg, len) == -1)
        goto out;
    buf_puts(&j, "{\n");
    norm_ws(&t, buf_str(&subj));
    json_field(&j, "subject", buf_str(&t), false);
    norm_ws(&t, c->newsletter.from_name ? c->newsletter.from_name : c->newsletter.name);
    json_field(&j, "from_name", buf_str(&t), false);
    json_field(&j, "from_addr", c->newsletter.from, false);
    norm_ws(&t, s->name);
    json_field(&j, "to_name", buf_str(&t), false);
    json_field(&j, "to_addr", s->addr, false);
    json_field(&j, "reply_to_name", c->newsletter.reply_to ? "" : NULL, false);
    json_field(&j, "reply_to_addr", c->newsletter.reply_to, false);
    norm_ws(&t, c->newsletter.name);
    buf_putf(&t, " <%s>", c->newsletter.list_id);
    json_field(&j, "list_id", buf_str(&t), false);
    json_field(&j, "unsub_url", url, false);
    json_field(&j, "unsub_mailto", c->newsletter.unsubscribe_mailto, false);
    json_field(&j, "extra_name", "X-Gazette-Campaign", false);
    json_field(&j, "extra_value", BENCH_CAMPAIGN, false);
    json_field(&j, "msgid_domain", strrchr(c->newsletter.from, '@') + 1, false);
    to_lf(&t, buf_str(&html), html.len);
    json_field(&j, "html", buf_str(&t), false);
    to_lf(&t, buf_str(&text), text.len);
    json_field(&j, "text", buf_str(&t), true);
    buf_reset(&path);
    buf_putf(&path, "%s/sample-%06ld.json", dir, i);
    rc = write_file(buf_str(&path), buf_str(&j), j.len);
out:
    buf_fini(&subj);
    buf_fini(&text);
    buf_fini(&html);
    buf_fini(&j);
    buf_fini(&t);
    buf_fini(&path);
    return rc;
}

/* The unfolded value of header field name in msg, or NULL. */
static char *
header(const char *msg, const char *name)
{
    const char *end = strstr(msg, "\r\n\r\n"), *p = msg;
    size_t nl = strlen(name);
    struct buf v;

    if (end == NULL)
        return NULL;
    while (p < end) {
        if (ascii_strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            buf_init(&v, 0);
            buf_put(&v, "", 0);
            for (p += nl + 1; p < end; p++) {
                if (p[0] == '\r' && p[1] == '\n' && p[2] != ' ' && p[2] != '\t')
                    break;
                if (*p != '\r' && *p != '\n')
                    buf_putc(&v, *p);
            }
            return buf_steal(&v);
        }
        p = strstr(p, "\r\n");
        if (p == NULL)
            break;
        p += 2;
    }
    return NULL;
}

/* What can be checked in C about one sample; the full check is check_eml.py's. */
static int
check_sample(const struct digest *g, const struct subscriber *s, const char *msg, size_t len,
    size_t want_len, char *tokens, size_t ntok, char *msgids, size_t nmid, struct buf *url)
{
    char tok[32], *to = header(msg, "To"), *lu = header(msg, "List-Unsubscribe");
    char *mid = header(msg, "Message-ID");
    const char *why = NULL;
    size_t line = 0;

    digest_token(BENCH_SECRET, s->addr, tok);
    buf_reset(url);
    digest_unsubscribe_url(g, s->addr, url);
    for (size_t i = 0; i < len && why == NULL; i++) {
        if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
            why = "a bare LF";
        line = msg[i] == '\n' ? 0 : line + 1;
        if (line > 998 + 1)     /* RFC 5322 2.1.1, plus the CR */
            why = "a line over 998 octets";
    }
    if (why != NULL)
        goto out;
    if (to == NULL || strstr(to, s->addr) == NULL)
        why = "To does not hold the subscriber's address";
    else if (lu == NULL || strstr(lu, tok) == NULL || strstr(lu, buf_str(url)) == NULL)
        why = "List-Unsubscribe does not hold the subscriber's URL with its token";
    else if (strstr(tokens, tok) != NULL)
        why = "the unsubscribe token is the same as another subscriber's";
    else if (mid == NULL || strstr(msgids, mid) != NULL)
        why = "the Message-ID is missing or repeats";
    else if (len + BENCH_SIZE_SLACK < want_len || len > want_len + BENCH_SIZE_SLACK)
        why = "the size is far from the first message's";
    else if (len < 4 || memcmp(msg + len - 4, "--\r\n", 4) != 0)
        why = "the message does not end with the closing boundary";
    if (why == NULL) {
        /* remember token and Message-ID: the next samples must differ */
        size_t tl = strlen(tokens), ml = strlen(msgids);

        if (tl + strlen(tok) + 2 < ntok)
            snprintf(tokens + tl, ntok - tl, "%s ", tok);
        if (ml + strlen(mid) + 2 < nmid)
            snprintf(msgids + ml, nmid - ml, "%s ", mid);
    }
out:
    if (why != NULL)
        printf("verify: message for %s: %s\n", s->addr, why);
    free(to);
    free(lu);
    free(mid);
    return why == NULL ? 0 : -1;
}

static void
usage(void)
{
    fprintf(stderr, "usage: bench_compose [-n SUBSCRIBERS] [-s SAMPLE_DIR] [-a ARTICLE_DIR]\n"
        "  -a DIR  only write the articles of the ~20 KB digest to DIR and exit\n");
    exit(64);
}

int
main(int argc, char **argv)
{
    struct diag d = DIAG_INIT;
    struct config *c = config_defaults("/nonexistent-bench-dir");   /* built-in templates */
    struct article *arts[BENCH_MAX_ARTICLES];
    struct digest_issue iss = { 1, 1795737600, NULL, NULL };   /* 2026-11-27 */
    struct digest_opts o;
    struct digest *g = NULL;
    struct arena a = ARENA_INIT;
    struct subscriber *subs = NULL, probe;
    struct buf m, at, url;
    struct rusage ru;
    const char *sample_dir = NULL, *article_dir = NULL;
    char tokens[BENCH_MAX_SAMPLES * 32], msgids[BENCH_MAX_SAMPLES * 128];
    char *samples[BENCH_MAX_SAMPLES];
    long samp_idx[BENCH_MAX_SAMPLES];
    size_t samp_len[BENCH_MAX_SAMPLES], nsamp = 0, narts = 0, want_len = 0, total = 0;
    size_t minlen = (size_t)-1, maxlen = 0;
    long n = 100000, bad = 0;
    double w0, w1, c0, c1;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            if (parse_long(argv[++i], 1, 100000000, &n) == -1)
                usage();
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            sample_dir = argv[++i];
        else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc)
            article_dir = argv[++i];
        else
            usage();
    }
    tokens[0] = msgids[0] = '\0';
    set_str(&c->newsletter.name, "The Bench Gazette");
    set_str(&c->newsletter.from, "news@bench.example.org");
    set_str(&c->newsletter.from_name, "The Bench Gazette");
    set_str(&c->newsletter.reply_to, "editor@bench.example.org");
    set_str(&c->newsletter.list_id, "weekly.bench.example.org");
    set_str(&c->newsletter.base_url, "https://bench.example.org/gazette");
    set_str(&c->newsletter.unsubscribe_url, "https://bench.example.org/u?t={{token}}");
    set_str(&c->newsletter.unsubscribe_mailto, "unsubscribe@bench.example.org");
    set_str(&c->newsletter.postal_address, "The Bench Gazette, 1 Example Street, Paris");
    memset(&o, 0, sizeof(o));
    o.cfg = c;
    o.secret = BENCH_SECRET;
    o.campaign = BENCH_CAMPAIGN;
    buf_init(&m, 0);
    buf_init(&at, 0);
    buf_init(&url, 0);
    make_subscriber(&probe, &a, 123456);

    /* add articles until the message reaches the target size */
    while (narts < BENCH_MAX_ARTICLES && m.len < BENCH_TARGET_BYTES) {
        char name[64];

        buf_reset(&at);
        article_text(&at, (int)narts + 1);
        snprintf(name, sizeof(name), "story-%02zu.md", narts + 1);
        if ((arts[narts] = article_parse(buf_str(&at), at.len, ARTICLE_MARKDOWN, name, NULL,
            &d)) == NULL)
            goto fail;
        narts++;
        if (article_dir != NULL) {
            struct buf p;
            int w;

            buf_init(&p, 0);
            buf_putf(&p, "%s/%s", article_dir, name);
            w = write_file(buf_str(&p), buf_str(&at), at.len);
            buf_fini(&p);
            if (w == -1)
                goto out;
        }
        digest_free(g);
        if ((g = digest_new(&o, arts, narts, &iss, &d)) == NULL)
            goto fail;
        buf_reset(&m);
        if (digest_message(g, &probe, &m, &d) == -1)
            goto fail;
    }
    if (m.len < BENCH_TARGET_BYTES) {
        printf("bench_compose: %zu articles make only %zu bytes\n", narts, m.len);
        goto out;
    }
    if (article_dir != NULL) {
        printf("%zu articles written to %s (one message: %zu bytes)\n", narts, article_dir,
            m.len);
        rc = 0;
        goto out;
    }
    want_len = m.len;
    printf("digest: %zu generated articles, message %zu bytes (%.1f KB)\n", narts, want_len,
        (double)want_len / 1024);

    subs = xcalloc((size_t)n, sizeof(*subs));
    for (long i = 0; i < n; i++)
        make_subscriber(&subs[i], &a, i);

    w0 = clock_s(CLOCK_MONOTONIC);
    c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (long i = 0; i < n; i++) {
        buf_reset(&m);
        if (digest_message(g, &subs[i], &m, &d) == -1) {
            diag_path(&d, subs[i].email);
            goto fail;
        }
        total += m.len;
        if (m.len < minlen)
            minlen = m.len;
        if (m.len > maxlen)
            maxlen = m.len;
        /* every 10,000th, shifted so that the sample has every kind of name */
        if (i % BENCH_SAMPLE_EVERY == (i / BENCH_SAMPLE_EVERY) % BENCH_SAMPLE_EVERY &&
            nsamp < BENCH_MAX_SAMPLES) {
            samples[nsamp] = xstrndup(m.p, m.len);
            samp_len[nsamp] = m.len;
            samp_idx[nsamp++] = i;
        }
    }
    c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    w1 = clock_s(CLOCK_MONOTONIC);
    getrusage(RUSAGE_SELF, &ru);

    for (size_t k = 0; k < nsamp; k++) {
        const struct subscriber *s = &subs[samp_idx[k]];

        if (check_sample(g, s, samples[k], samp_len[k], want_len, tokens, sizeof(tokens),
            msgids, sizeof(msgids), &url) == -1)
            bad++;
        if (sample_dir != NULL && write_sample(sample_dir, c, g, s, samp_idx[k], samples[k],
            samp_len[k], buf_str(&url)) == -1)
            bad++;
    }
    if (minlen + BENCH_SIZE_SLACK < want_len || maxlen > want_len + BENCH_SIZE_SLACK) {
        printf("verify: message sizes %zu..%zu are far from %zu\n", minlen, maxlen, want_len);
        bad++;
    }
    printf("compose: %ld messages, %.1f MB, sizes %zu..%zu bytes, in %.2f s wall, %.2f s CPU\n",
        n, (double)total / 1e6, minlen, maxlen, w1 - w0, c1 - c0);
    printf("rate: %.0f messages/s wall, %.0f messages/s per CPU second (one core, one thread)"
        "\n", (double)n / (w1 - w0), (double)n / (c1 - c0));
    printf("peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024);
    printf("target: %.0f messages/s on one core: %s (%.0f%% of it, by CPU time)\n",
        BENCH_TARGET_RATE, (double)n / (c1 - c0) >= BENCH_TARGET_RATE ? "PASS" :
        "BELOW TARGET", 100.0 * (double)n / (c1 - c0) / BENCH_TARGET_RATE);
    printf("verify: %s (%zu sampled messages checked%s, %ld problems)\n", bad ? "FAILED" : "ok",
        nsamp, sample_dir ? " and written" : "", bad);
    rc = bad ? 1 : 0;
    goto out;
fail:
    diag_print(&d);
out:
    for (size_t k = 0; k < nsamp; k++)
        free(samples[k]);
    free(subs);
    digest_free(g);
    for (size_t k = 0; k < narts; k++)
        article_free(arts[k]);
    arena_fini(&a);
    buf_fini(&m);
    buf_fini(&at);
    buf_fini(&url);
    config_free(c);
    return rc;
}
