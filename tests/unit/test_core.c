/*
 * Unit tests for the small core modules: util, buf, arena, value, diag.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "check.h"
#include "diag.h"
#include "util.h"
#include "value.h"

static void
test_util(void)
{
    static const struct { const char *s; int ok; long v; } nums[] = {
        { "0", 1, 0 }, { "42", 1, 42 }, { "-7", 1, -7 }, { "", 0, 0 }, { " 1", 0, 0 },
        { "1x", 0, 0 }, { "99999999999999999999", 0, 0 }, { "101", 0, 0 },
    };
    static const struct { const char *a, *b; int d; } dist[] = {
        { "email", "emial", 2 }, { "name", "name", 0 }, { "status", "stats", 1 },
        { "", "abc", 3 }, { "tags", "tag", 1 },
    };
    static const struct { const char *s; int ok; } utf8[] = {
        { "plain", 1 }, { "caf\xc3\xa9", 1 }, { "\xe2\x82\xac", 1 }, { "\xf0\x9f\x93\xb0", 1 },
        { "\xc3", 0 }, { "\xc0\xaf", 0 }, { "\xed\xa0\x80", 0 }, { "\xff", 0 },
        { "\xe0\x80\xaf", 0 }, { "\xf4\x90\x80\x80", 0 },
    };

    for (size_t i = 0; i < ARRAY_LEN(nums); i++) {
        long v = -1;
        int rc = parse_long(nums[i].s, -100, 100, &v);

        CHECK((rc == 0) == nums[i].ok && (!nums[i].ok || v == nums[i].v),
            "parse_long(\"%s\")", nums[i].s);
    }
    for (size_t i = 0; i < ARRAY_LEN(dist); i++)
        CHECK(edit_distance(dist[i].a, dist[i].b) == dist[i].d, "edit_distance(%s, %s) = %d",
            dist[i].a, dist[i].b, dist[i].d);
    for (size_t i = 0; i < ARRAY_LEN(utf8); i++)
        CHECK(utf8_is_valid(utf8[i].s, strlen(utf8[i].s)) == (bool)utf8[i].ok,
            "utf8_is_valid row %zu", i);
    CHECK(ascii_strcasecmp("Example.COM", "example.com") == 0, "ascii_strcasecmp folds case");
    CHECK(ascii_strcasecmp("a", "b") < 0, "ascii_strcasecmp orders");
    {
        const char *s = "Ab", *p = s;
        int c = TO_LOWER((unsigned char)*p++);

        CHECK(c == 'a' && p == s + 1, "TO_LOWER reads its argument once");
    }
}

static void
test_buf(void)
{
    struct buf b;

    buf_init(&b, 16);
    CHECK(buf_adds(&b, "hello") == 0 && buf_addf(&b, " %d", 42) == 0, "buf adds");
    CHECK_STR_EQ(buf_str(&b), "hello 42", "buf contents");
    CHECK(buf_adds(&b, "123456789") == -1, "buf refuses to pass its maximum");
    CHECK(b.len == 0 && b.p == NULL, "buf is emptied on overflow");
    CHECK(buf_adds(&b, "x") == -1 && buf_failed(&b) && b.len == 0,
        "buf stays failed after an overflow (no silent restart from empty)");
    buf_puts(&b, "y");
    CHECK(b.len == 0 && buf_failed(&b), "buf_put on a failed buffer adds nothing");
    buf_reset(&b);
    CHECK(buf_adds(&b, "ok") == 0 && !buf_failed(&b), "buf_reset clears the failure");
    buf_fini(&b);
    /* a buffer without a limit of its own exits past BUF_MAX_DEFAULT, as xmalloc does
       (tried with a small max set by hand, in a child) */
    {
        pid_t pid;
        int st = 0;

        fflush(stdout);
        if ((pid = fork()) == 0) {
            buf_init(&b, 0);
            b.max = 8;
            buf_puts(&b, "123456789");
            _exit(0);
        }
        waitpid(pid, &st, 0);
        CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == EX_OSERR,
            "an unlimited buffer past its size exits EX_OSERR");
    }
    buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        buf_putf(&b, "%04d", i);
    CHECK(b.len == 4000 && memcmp(b.p + 3996, "0999", 4) == 0, "buf grows");
    buf_fini(&b);
}

static void
test_arena(void)
{
    struct arena a = ARENA_INIT;
    char *s[5000];
    int good = 1;

    for (int i = 0; i < 5000; i++) {
        char tmp[32];

        snprintf(tmp, sizeof(tmp), "string-%d", i);
        s[i] = arena_strdup(&a, tmp);
    }
    for (int i = 0; i < 5000; i++) {
        char tmp[32];

        snprintf(tmp, sizeof(tmp), "string-%d", i);
        good &= strcmp(s[i], tmp) == 0;
    }
    CHECK(good, "arena keeps 5000 strings intact");
    CHECK(((uintptr_t)arena_alloc(&a, 3) % 8) == 0, "arena_alloc is aligned");
    CHECK(arena_alloc(&a, 4 << 20) != NULL, "arena takes a block bigger than a chunk");
    arena_fini(&a);
}

static void
test_value(void)
{
    const char *y = "a: 1\nb: \"1\"\nc: [x, true, null, 2.5]\nd:\n  e: ~\n  f: 'no'\n";
    struct diag d = DIAG_INIT;
    struct value *v = value_parse(y, strlen(y), "t.yaml", &d), *c;

    CHECK(v != NULL && v->type == VALUE_MAP && v->n == 4, "value parses a map");
    if (v == NULL)
        return;
    CHECK(value_get(v, "a")->type == VALUE_NUM && value_get(v, "a")->num == 1, "plain 1 is a number");
    CHECK(value_get(v, "b")->type == VALUE_STR, "quoted \"1\" is a string");
    c = value_get(v, "c");
    CHECK(c->type == VALUE_LIST && c->n == 4 && c->items[1]->type == VALUE_BOOL &&
        c->items[2]->type == VALUE_NULL && c->items[3]->num == 2.5, "flow list is typed");
    CHECK(value_get(value_get(v, "d"), "f")->type == VALUE_STR, "'no' stays a string");
    CHECK(v->pairs[3].line == 4 && v->pairs[3].col == 1, "key position is kept");
    CHECK(value_get(value_get(v, "d"), "e")->line == 5, "value line is kept");
    value_free(v);

    v = value_parse("a: 1\na: 2\n", 10, "dup.yaml", &d);
    CHECK(v == NULL && d.code == EX_DATAERR && d.line == 2 && d.col == 1 &&
        strstr(d.msg, "duplicate key") != NULL, "duplicate key is an error at 2:1");
    diag_clear(&d);
    v = value_parse("a: [1, 2\n", 9, "bad.yaml", &d);
    CHECK(v == NULL && d.code == EX_DATAERR && d.line > 0 && strcmp(d.path, "bad.yaml") == 0,
        "syntax error names file and line");
    diag_clear(&d);
    v = value_parse("{\"x\": {\"y\": [1, \"two\"]}}", 24, "j.json", &d);
    CHECK(v != NULL && value_get(value_get(v, "x"), "y")->n == 2, "JSON is read as YAML");
    value_free(v);
    v = value_parse("a: \xff\n", 5, "bin.yaml", &d);
    CHECK(v == NULL && strstr(d.msg, "UTF-8") != NULL, "invalid UTF-8 is refused");
    diag_clear(&d);
    v = value_parse("", 0, "empty.yaml", &d);
    CHECK(v != NULL && v->type == VALUE_NULL, "empty document is null");
    value_free(v);
}

/* JSON numbers: as templates print them, and never inf or nan (not JSON). */
static void
test_json_numbers(void)
{
    static const struct { const char *yaml, *json; } rows[] = {
        { "3", "3" }, { "-0.5", "-0.5" }, { "1.21", "1.21" }, { "0.1", "0.1" },
        { "0.30000000000000004", "0.30000000000000004" },
        { "9007199254740991", "9007199254740991" }, { "1e300", "1e+300" },
        { "1e999", "\"1e999\"" },     /* out of range: the core schema keeps a string */
    };
    static const double odd[] = { INFINITY, -INFINITY, NAN };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d = DIAG_INIT;
        struct value *v = value_parse(rows[i].yaml, strlen(rows[i].yaml), "n", &d);
        struct buf out;
        char tmp[40] = "";

        buf_init(&out, 0);
        if (v != NULL) {
            value_write_json(&out, v);
            value_num_text(v->num, tmp, sizeof(tmp));
        }
        CHECK_STR_EQ(buf_str(&out), rows[i].json, "json: %s", rows[i].yaml);
        if (v != NULL && v->type == VALUE_NUM)
            CHECK_STR_EQ(tmp, rows[i].json, "json: %s as a template shows it", rows[i].yaml);
        buf_fini(&out);
        value_free(v);
    }
    for (size_t i = 0; i < ARRAY_LEN(odd); i++) {
        struct value *m = value_new(VALUE_MAP);
        struct buf out;

        buf_init(&out, 0);
        value_set(m, "x", value_new_num(odd[i]));
        value_write_json(&out, m);
        CHECK_STR_EQ(buf_str(&out), "{\"x\": null}", "json: a non-finite number (%g) is null",
            odd[i]);
        buf_fini(&out);
        value_free(m);
    }
}

static void
test_diag(void)
{
    struct diag d = DIAG_INIT;
    char out[256];

    diag_setat(&d, EX_CONFIG, 3, 5, "first");
    diag_set(&d, EX_DATAERR, "second");
    diag_path(&d, "g.yaml");
    CHECK_STR_EQ(diag_format(&d, out, sizeof(out)), "g.yaml:3:5: first", "first error wins");
    CHECK(d.code == EX_CONFIG, "first code wins");
    /* "%.4s" of 日付 (6 bytes) keeps 日 and one byte of 付: that byte is dropped */
    diag_clear(&d);
    diag_set(&d, EX_DATAERR, "date \"%.4s\" is not a date", "\xe6\x97\xa5\xe4\xbb\x98");
    CHECK_STR_EQ(d.msg, "date \"\xe6\x97\xa5\" is not a date",
        "a multibyte character split by a cut quote is dropped, not printed broken");
    CHECK(utf8_seq_len((const unsigned char *)"\xe6\x97\xa5", 3) == 3 &&
        utf8_seq_len((const unsigned char *)"\xe6\x97", 2) == 0 &&
        utf8_seq_len((const unsigned char *)"a", 1) == 1, "utf8_seq_len");
    /* diag_message: the mailer's fixed reply field takes the message cut on a character */
    diag_clear(&d);
    diag_set(&d, EX_DATAERR, "ab\xe6\x97\xa5\xe4\xbb\x98");
    CHECK_STR_EQ(diag_message(&d, out, 7), "ab\xe6\x97\xa5",
        "diag_message: a cut inside a character drops its bytes");
    CHECK_STR_EQ(diag_message(&d, out, sizeof(out)), d.msg, "diag_message: the whole message");
}

static void
on_alarm(int sig)
{
    static const char msg[] = "not ok - read_file: blocked on a FIFO or a device\n";

    (void)sig;
    (void)!write(1, msg, sizeof(msg) - 1);
    _exit(1);
}

/* read_file_max: regular files only, never blocking, never past the caller's cap. */
static void
test_read_file(void)
{
    char dir[] = "/tmp/gazette-core.XXXXXX", fifo[64], reg[64];
    size_t len = 99;
    char *p;
    int fd;

    if (mkdtemp(dir) == NULL) {
        CHECK(0, "read_file: mkdtemp");
        return;
    }
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    snprintf(reg, sizeof(reg), "%s/reg", dir);
    signal(SIGALRM, on_alarm);
    alarm(20);                  /* the old read_file blocked for ever on these */
    if (mkfifo(fifo, 0600) == 0) {
        /* with a writer on it, the open does not block: only a read would */
        int w = open(fifo, O_RDWR | O_NONBLOCK);

        errno = 0;
        p = read_file(fifo, &len);
        CHECK(p == NULL && errno == EINVAL, "read_file: a FIFO with a writer is refused "
            "(not a regular file), without reading");
        free(p);
        if (w != -1)
            close(w);
        errno = 0;
        p = read_file(fifo, &len);
        CHECK(p == NULL && errno == EINVAL, "read_file: a FIFO without a writer is refused "
            "without blocking in open");
        free(p);
    }
    errno = 0;
    p = read_file("/dev/zero", &len);
    CHECK(p == NULL && errno == EINVAL, "read_file: /dev/zero is refused (it never ends)");
    free(p);
    alarm(0);
    errno = 0;
    p = read_file(dir, &len);
    CHECK(p == NULL && errno == EISDIR, "read_file: a folder is EISDIR");
    free(p);
    if ((fd = open(reg, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
        (void)!write(fd, "0123456789", 10);
        close(fd);
    }
    p = read_file_max(reg, 10, &len);
    CHECK(p != NULL && len == 10 && strcmp(p, "0123456789") == 0,
        "read_file_max: a file of exactly max bytes is read");
    free(p);
    errno = 0;
    p = read_file_max(reg, 9, &len);
    CHECK(p == NULL && errno == EFBIG, "read_file_max: one byte past max is EFBIG");
    free(p);
    CHECK_STR_EQ(read_file_strerror(EFBIG), "the file is larger than gazette reads",
        "read_file_strerror: EFBIG in words");
    CHECK_STR_EQ(read_file_strerror(EINVAL), "not a regular file",
        "read_file_strerror: EINVAL in words");
    unlink(fifo);
    unlink(reg);
    rmdir(dir);
}

/* utf8_escape(): outside text made safe for a terminal, a log line and JSON. */
static void
test_utf8_escape(void)
{
    static const struct {
        const char *in, *want;
        size_t size;
    } rows[] = {
        { "plain text", "plain text", 64 },
        { "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", 64 },
        { "a\r\nb\nc", "a b c", 64 },
        { "tab\there\x1b[2J", "tab\\x09here\\x1B[2J", 64 },
        { "bad \xff\xfe end", "bad \\xFF\\xFE end", 64 },
        { "overlong \xc0\xaf", "overlong \\xC0\\xAF", 64 },
        { "surrogate \xed\xa0\x80", "surrogate \\xED\\xA0\\x80", 64 },
        { "cut \xe2\x80", "cut \\xE2\\x80", 64 },
        { "C1 \xc2\x9b" "31m", "C1 \\u009B31m", 64 },
        { "NEL \xc2\x85", "NEL \\u0085", 64 },
        { "bidi \xe2\x80\xae evil", "bidi \\u202E evil", 64 },
        { "iso \xe2\x81\xa6 x", "iso \\u2066 x", 64 },
        { "ls \xe2\x80\xa8 ps \xe2\x80\xa9", "ls \\u2028 ps \\u2029", 64 },
        { "del \x7f", "del \\x7F", 64 },
        /* cut to fit, never inside a character or an escape */
        { "\xc3\xa9\xc3\xa9", "\xc3\xa9", 4 },
        { "ab\xff", "ab", 6 },
        { "ab\xe2\x80\xae", "ab", 8 },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        char out[64];
        size_t n = utf8_escape(out, rows[i].size, rows[i].in, strlen(rows[i].in));

        CHECK(strcmp(out, rows[i].want) == 0 && n == strlen(out) &&
            utf8_is_valid(out, n), "utf8_escape row %zu: \"%s\"", i, out);
    }
}

int
main(void)
{
    test_utf8_escape();
    test_read_file();
    test_json_numbers();
    test_util();
    test_buf();
    test_arena();
    test_value();
    test_diag();
    return check_exit();
}
