/*
 * Unit tests for config: a table of gazette.yaml texts against the value they set or the
 * error (FILE:LINE:COL and a part of the message) they must give; defaults; the dump
 * reads back as the same configuration.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "check.h"
#include "config.h"
#include "diag.h"
#include "util.h"

static void
test_errors(void)
{
    static const struct {
        const char *yaml;
        const char *err;            /* NULL: loads */
        int line, col;
    } rows[] = {
        { "smtp:\n  connections: 8\n", NULL, 0, 0 },
        { "smtp:\n  conections: 8\n", "did you mean \"connections\"", 2, 3 },
        { "smpt:\n  connections: 8\n", "smtp", 1, 1 },
        { "smtp:\n  connections: 0\n", "connections", 2, 16 },
        { "smtp:\n  connections: 65\n", "connections", 2, 16 },
        { "smtp:\n  connections: many\n", "connections", 2, 16 },
        { "smtp:\n  transport: pigeon\n", "maildir, smtp or esmtp", 2, 14 },
        { "smtp:\n  tls_verify: maybe\n", "true or false", 2, 15 },
        { "smtp:\n  retry_delay: -1\n", "retry_delay", 2, 16 },
        { "newsletter:\n  from: not an address\n", "from", 2, 9 },
        { "newsletter:\n  unsubscribe_url: ftp://x\n", "unsubscribe_url", 2, 20 },
        { "compose:\n  drop_patterns: [a, b]\n", NULL, 0, 0 },
        { "- a\n", "map", 1, 1 },
        { "smtp: [1]\n", "smtp", 1, 7 },
        { "smtp:\n  connections: 1\nsmtp:\n  connections: 2\n", "duplicate", 3, 1 },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d = DIAG_INIT;
        struct config *c = config_parse(rows[i].yaml, strlen(rows[i].yaml), "g.yaml", &d);

        if (rows[i].err == NULL)
            CHECK(c != NULL, "config %zu loads (%s)", i, d.msg);
        else
            CHECK(c == NULL && d.code != 0 && strstr(d.msg, rows[i].err) != NULL &&
                d.line == rows[i].line && d.col == rows[i].col && strcmp(d.path, "g.yaml") == 0,
                "config %zu: g.yaml:%d:%d: ...%s... (got %s:%d:%d: %s)", i, rows[i].line,
                rows[i].col, rows[i].err, d.path, d.line, d.col, d.msg);
        config_free(c);
    }
}

static void
test_values(void)
{
    static const char yaml[] = "newsletter:\n  name: Weekly\n  from: news@example.org\n"
        "smtp:\n  transport: smtp\n  url: smtp://mail.example.org:587\n  connections: 8\n"
        "  retry_delay: 0.5\n  resend_uncertain: true\n"
        "compose:\n  drop_patterns: [\"Share this\", \"* cookies *\"]\n";
    struct diag d = DIAG_INIT;
    struct config *c = config_parse(yaml, sizeof(yaml) - 1, "/etc/gz/g.yaml", &d);
    struct config *def = config_defaults("/srv/news");

    CHECK(c != NULL, "config: values load (%s)", d.msg);
    if (c != NULL) {
        CHECK(c->smtp.transport == CONFIG_TRANSPORT_SMTP && c->smtp.connections == 8 &&
            c->smtp.retry_delay == 0.5 && c->smtp.resend_uncertain,
            "config: enum, int, number and bool keys");
        CHECK(c->compose.ndrop == 2 && strcmp(c->compose.drop_patterns[1], "* cookies *") == 0,
            "config: a list of strings");
        CHECK(c->smtp.max_attempts == 5 && c->smtp.journal_sync == CONFIG_JSYNC_BATCH,
            "config: keys not given take their defaults");
        CHECK_STR_EQ(c->paths.subscribers, "/etc/gz/subscribers.yaml",
            "config: relative paths are anchored at the config file's folder");
    }
    CHECK(def != NULL && def->smtp.transport == CONFIG_TRANSPORT_MAILDIR &&
        strcmp(def->paths.state_dir, "/srv/news/state") == 0,
        "config: built-in defaults, paths resolved against the folder");
    /* the dump is a configuration that loads to the same values */
    if (c != NULL) {
        struct buf out, again;
        struct config *c2;

        buf_init(&out, 0);
        buf_init(&again, 0);
        config_dump(c, &out);
        c2 = config_parse(buf_str(&out), out.len, "/etc/gz/g.yaml", &d);
        if (c2 != NULL)
            config_dump(c2, &again);
        CHECK(c2 != NULL && strcmp(buf_str(&out), buf_str(&again)) == 0,
            "config: the dump reads back as the same configuration (%s)", d.msg);
        config_free(c2);
        buf_fini(&out);
        buf_fini(&again);
    }
    config_free(c);
    config_free(def);
}

/* A secret that passes the caller's buffer limit is an error, never an empty or cut one. */
static void
test_secret_limit(void)
{
    static const char yaml[] = "newsletter:\n  secret_env: GAZETTE_TEST_SECRET\n";
    struct diag d = DIAG_INIT;
    struct config *c = config_parse(yaml, strlen(yaml), "t.yaml", &d);
    char secret[101];
    struct buf b;

    memset(secret, 'a', 100);
    secret[100] = '\0';
    setenv("GAZETTE_TEST_SECRET", secret, 1);
    CHECK(c != NULL, "a config with secret_env loads (%s)", d.msg);
    if (c == NULL)
        return;
    buf_init(&b, 40);
    CHECK(config_secret(c, &b, &d) == -1 && d.code == EX_CONFIG &&
        strstr(d.msg, "longer than 40 bytes") != NULL,
        "a secret over the buffer's limit is refused (%s)", d.msg);
    buf_fini(&b);
    diag_clear(&d);
    buf_init(&b, 0);
    CHECK(config_secret(c, &b, &d) == 0 && b.len == 100, "without a limit it is read whole");
    buf_fini(&b);
    config_free(c);
}

int
main(void)
{
    test_errors();
    test_values();
    test_secret_limit();
    return check_exit();
}
