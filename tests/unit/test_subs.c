/*
 * Unit tests for subs: the fast path against libyaml (same list, same spans), the shapes
 * a list can take, and the error for each kind of bad entry (line, column, message).
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "subs.h"
#include "util.h"

static const char *const good[] = {
    /* 0: the common style */
    "subscribers:\n  - email: a@example.org\n    name: Ann\n    status: active\n"
    "    tags: [weekly, tech]\n    subscribed_at: 2026-01-15T09:30:00Z\n"
    "    fields:\n      city: Lyon\n      plan: pro\n"
    "  - email: b@example.org\n    status: pending\n",
    /* 1: comments everywhere, blank lines, quoted values, a trailing comment on a value */
    "# head\nsubscribers:   # the list\n\n  # about a\n  - email: \"a@example.org\"  # q\n"
    "    name: 'Ann O Nym'\n    # inside\n    status: bounced\n\n  - email: c@example.org\n"
    "# tail\n",
    /* 2: a top-level list, compact dashes, no final newline */
    "- email: a@example.org\n  name: A\n- email: b@example.org\n  tags:\n    - x\n    - y",
    /* 3: non-ASCII names and IDN domains (byte vs character positions) */
    "subscribers:\n- email: z@bücher.example\n  name: Zoë Ångström\n  status: unsubscribed\n"
    "- email: y@example.org\n  name: Ÿves\n  status: active\n",
    /* 4: odd spacing after the dash, one-word tags, fields with dashes */
    "subscribers:\n    -    email: a@example.org\n         tags: solo\n         fields:\n"
    "           x-y: 1\n           z_w: \"two\"\n",
    /* 5: things only libyaml reads: flow entries, escapes, multi-line plain values */
    "subscribers:\n  - {email: a@example.org, name: A}\n  - email: b@example.org\n"
    "    name: \"B\\u00e9\"\n  - email: c@example.org\n    name: Long\n      Name\n",
    /* 6: tabs and CRLF: libyaml too */
    "subscribers:\r\n  - email: a@example.org\r\n    name: A\r\n",
    /* 7: several entries with tags and fields, one in flow style (libyaml reuses slots) */
    "subscribers:\n  - email: a@example.org\n    tags: [x, y]\n    fields: {k: v}\n"
    "  - email: b@example.org\n    tags: [z]\n    fields:\n      k: w\n"
    "  - email: c@example.org\n    tags:\n      - q\n",
    /* 8-11: empty shapes */
    "subscribers: []\n",
    "subscribers:\n",
    "# nothing yet\n",
    "",
};

static int
same_list(const struct subs *a, const struct subs *b, char *why, size_t n)
{
    if (a->n != b->n)
        return snprintf(why, n, "count %zu vs %zu", a->n, b->n), 0;
    if (a->n > 0 && (a->shape != b->shape || a->append_at != b->append_at ||
        a->dash_col != b->dash_col || a->key_col != b->key_col))
        return snprintf(why, n, "shape/append/indent differ (%zu vs %zu, %d/%d vs %d/%d)",
            a->append_at, b->append_at, a->dash_col, a->key_col, b->dash_col, b->key_col), 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct subscriber *x = &a->v[i], *y = &b->v[i];

        if (strcmp(x->email, y->email) || strcmp(x->addr, y->addr) || strcmp(x->name, y->name) ||
            strcmp(x->subscribed_at, y->subscribed_at) || x->status != y->status ||
            x->ntags != y->ntags || x->nfields != y->nfields || x->line != y->line ||
            x->start != y->start || x->len != y->len || x->st_off != y->st_off ||
            x->st_len != y->st_len || x->key_col != y->key_col || x->flow != y->flow)
            return snprintf(why, n, "entry %zu differs (start %zu/%zu len %u/%u line %u/%u)",
                i, x->start, y->start, x->len, y->len, x->line, y->line), 0;
        for (size_t j = 0; j < x->ntags; j++)
            if (strcmp(x->tags[j], y->tags[j]))
                return snprintf(why, n, "entry %zu tag %zu differs", i, j), 0;
        for (size_t j = 0; j < x->nfields; j++)
            if (strcmp(x->fields[j].key, y->fields[j].key) ||
                strcmp(x->fields[j].val, y->fields[j].val))
                return snprintf(why, n, "entry %zu field %zu differs", i, j), 0;
    }
    return 1;
}

static void
test_paths_agree(void)
{
    static const int want_fast[] = { 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0 };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct diag d1 = DIAG_INIT, d2 = DIAG_INIT;
        struct subs *f = subs_parse(good[i], strlen(good[i]), "t.yaml", 0, NULL, &d1);
        struct subs *y = subs_parse(good[i], strlen(good[i]), "t.yaml", SUBS_NO_FAST, NULL,
            &d2);
        char why[200] = "";

        CHECK(f != NULL && y != NULL, "good list %zu parses (%s%s)", i, d1.msg, d2.msg);
        if (f == NULL || y == NULL) {
            subs_free(f);
            subs_free(y);
            continue;
        }
        CHECK(f->fast == want_fast[i], "good list %zu: fast path %s", i,
            want_fast[i] ? "taken" : "declined");
        CHECK(same_list(f, y, why, sizeof(why)), "good list %zu: fast path and libyaml "
            "agree %s", i, why);
        subs_free(f);
        subs_free(y);
    }
}

static void
test_fields(void)
{
    struct diag d = DIAG_INIT;
    struct subs *s = subs_parse(good[3], strlen(good[3]), "t.yaml", 0, NULL, &d);
    const struct subscriber *z;

    if (s == NULL) {
        CHECK(0, "list 3 parses");
        return;
    }
    z = subs_find(s, "Z@BÜCHER.example");
    CHECK(z != NULL && z == &s->v[0], "subs_find folds case and converts the IDN");
    CHECK(z != NULL && strcmp(z->addr, "z@xn--bcher-kva.example") == 0, "canonical A-label");
    CHECK(z != NULL && z->status == SUBS_UNSUBSCRIBED && strcmp(z->name, "Zoë Ångström") == 0,
        "status and UTF-8 name");
    CHECK(z != NULL && z->st_len == strlen("unsubscribed") &&
        memcmp(s->text + z->start + z->st_off, "unsubscribed", z->st_len) == 0,
        "the status span points at the bytes, after multi-byte characters");
    CHECK(s->v[1].line == 5 && s->v[1].start == (size_t)(strstr(good[3], "- email: y") - good[3]),
        "second entry's line and start");
    CHECK(subs_find(s, "nobody@example.org") == NULL, "subs_find misses cleanly");
    subs_free(s);
}

struct bad {
    const char *text;
    int line, col;
    const char *msg;
};

static const struct bad bad[] = {
    { "subscribers:\n  - emial: a@example.org\n", 2, 5, "unknown key \"emial\"; did you mean \"email\"?" },
    { "subscribers:\n  - name: A\n", 2, 5, "this subscriber has no email" },
    { "subscribers:\n  - email: a@@example.org\n", 2, 12, "is not a valid address" },
    { "subscribers:\n  - email: a@example.org\n  - email: A@Example.ORG\n", 3, 12,
      "A@Example.ORG is on the list already (line 2)" },
    { "subscribers:\n  - email: a@example.org\n    status: actve\n", 3, 13,
      "unknown status \"actve\"; did you mean \"active\"?" },
    { "subscribers:\n  - email: a@example.org\n    subscribed_at: yesterday\n", 3, 20,
      "is not a date" },
    { "subscribers:\n  - email: a@example.org\n    tags: {a: b}\n", 3, 11, "tags must be a list" },
    { "subscribers:\n  - email: a@example.org\n    fields: [x]\n", 3, 13, "fields must be a map" },
    { "subscribers:\n  - email: a@example.org\n    fields:\n      \"a b\": 1\n", 4, 7,
      "field name \"a b\" is not usable" },
    { "subscribers:\n  - email: a@example.org\n    name: \"A\\nB\"\n", 3, 11, "control character" },
    { "subscribers:\n  - email: a@example.org\n    email: b@example.org\n", 3, 5, "appears twice" },
    { "subscribers:\n  - a@example.org\n", 2, 5, "each subscriber is a map" },
    { "subscriber:\n  - email: a@example.org\n", 1, 1, "did you mean \"subscribers\"?" },
    { "subscribers:\n  - email: a@example.org\n    name: \"unclosed\n", 4, 1,
      "YAML syntax error: found unexpected end of stream while scanning a quoted scalar" },
    { "subscribers:\n  - email: a@example.org\n---\nsubscribers: []\n", 3, 1, "second YAML document" },
    { "subscribers:\n  - email: \"a@example.org\r\nBcc: b@example.org\"\n", 2, 12,
      "is not a valid address" },
    { "subscribers:\n  - email: a@example.org\n    status:\n", 3, 12, "status is empty" },
    /* YAML keys are unique (YAML 1.2 3.2.1.1): other readers keep only the second list */
    { "subscribers:\n  - email: a@example.org\nsubscribers:\n  - email: b@example.org\n", 3, 1,
      "\"subscribers:\" appears twice" },
};

static void
collect(void *ctx, const struct diag *d)
{
    (*(int *)ctx)++;
    (void)d;
}

static void
test_errors(void)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct diag d = DIAG_INIT;
        struct subs *s = subs_parse(bad[i].text, strlen(bad[i].text), "bad.yaml", 0, NULL, &d);

        CHECK(s == NULL && d.code == EX_DATAERR && d.line == bad[i].line &&
            d.col == bad[i].col && strstr(d.msg, bad[i].msg) != NULL &&
            strcmp(d.path, "bad.yaml") == 0,
            "bad list %zu: %d:%d %s (got %d:%d %s)", i, bad[i].line, bad[i].col, bad[i].msg,
            d.line, d.col, d.msg);
        subs_free(s);
    }
    {
        const char *t = "subscribers:\n  - email: a@\n  - email: b@example.org\n    statu: x\n"
            "  - email: c@example.org\n    status: nope\n";
        struct diag d = DIAG_INIT;
        int count = 0;
        struct subs_report rep = { collect, &count };
        struct subs *s = subs_parse(t, strlen(t), "m.yaml", 0, &rep, &d);

        CHECK(s == NULL && count == 3 && d.line == 2, "every problem is reported, the first "
            "is kept (%d reported)", count);
        subs_free(s);
    }
    {
        struct diag d = DIAG_INIT;
        struct subs *s = subs_parse("subscribers:\n  - email: \xff@x.org\n", 30, "u.yaml", 0,
            NULL, &d);

        CHECK(s == NULL && strstr(d.msg, "UTF-8") != NULL, "invalid UTF-8 is refused");
        subs_free(s);
    }
}

static void
test_render(void)
{
    struct diag d = DIAG_INIT;
    struct subs *s = subs_parse(good[0], strlen(good[0]), "t.yaml", 0, NULL, &d), *back;
    struct buf out;

    if (s == NULL) {
        CHECK(0, "list 0 parses");
        return;
    }
    buf_init(&out, 0);
    buf_puts(&out, "subscribers:\n");
    for (size_t i = 0; i < s->n; i++)
        subs_render_entry(&out, &s->v[i], 2, 4);
    back = subs_parse(buf_str(&out), out.len, "r.yaml", SUBS_NO_FAST, NULL, &d);
    CHECK(back != NULL && back->n == 2 && strcmp(back->v[0].fields[1].val, "pro") == 0 &&
        back->v[0].ntags == 2 && back->v[1].status == SUBS_PENDING,
        "rendered entries read back the same");
    subs_free(back);
    buf_fini(&out);
    subs_free(s);
}

/* Inputs the fuzzer once found the two readers disagreeing on: they must agree now. */
static void
test_fuzz_fixtures(void)
{
    const char *dirpath = "tests/data/subs/fuzz";
    DIR *dir = opendir(dirpath);
    struct dirent *de;
    int n = 0;

    if (dir == NULL) {
        CHECK(0, "open %s (run from the top of the tree)", dirpath);
        return;
    }
    while ((de = readdir(dir)) != NULL) {
        struct diag d1 = DIAG_INIT, d2 = DIAG_INIT;
        struct subs *f, *y;
        char path[512], why[200] = "";
        size_t len;
        char *text;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
        if ((text = read_file(path, &len)) == NULL)
            continue;
        f = subs_parse(text, len, path, 0, NULL, &d1);
        y = subs_parse(text, len, path, SUBS_NO_FAST, NULL, &d2);
        CHECK((f == NULL) == (y == NULL) && (f == NULL || same_list(f, y, why, sizeof(why))),
            "fuzz fixture %s: both readers agree %s", de->d_name, why);
        subs_free(f);
        subs_free(y);
        free(text);
        n++;
    }
    closedir(dir);
    CHECK(n > 0, "fuzz fixtures found (%d)", n);
}

/* A problem quoting a long value is cut to fit the diag on a character boundary. */
static void
test_long_utf8(void)
{
    struct buf y;
    struct diag d = DIAG_INIT;
    struct subs *s;

    buf_init(&y, 0);
    buf_puts(&y, "- email: a@example.org\n  status: ");
    for (int i = 0; i < 700; i++)
        buf_puts(&y, "\xc3\xa9");
    buf_puts(&y, "\n");
    s = subs_parse(buf_str(&y), y.len, "s.yaml", 0, NULL, &d);
    CHECK(s == NULL && d.code != 0 && strncmp(d.msg, "unknown status", 14) == 0 &&
        utf8_is_valid(d.msg, strlen(d.msg)), "a message cut inside a long UTF-8 value "
        "stays valid UTF-8");
    subs_free(s);
    buf_fini(&y);
}

int
main(void)
{
    test_long_utf8();
    test_fuzz_fixtures();
    test_paths_agree();
    test_fields();
    test_errors();
    test_render();
    return check_exit();
}
