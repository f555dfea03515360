/*
 * Unit tests for value: YAML 1.2 core-schema typing of plain scalars (a table), quoted
 * scalars stay strings, truthiness as Mustache sees it, and text written back
 * (value_yaml_scalar, value_write_json) reads again as the same value.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "util.h"
#include "value.h"

static void
test_types(void)
{
    static const struct {
        const char *scalar;
        enum value_type type;
        double num;
        bool truthy;
    } rows[] = {
        { "42", VALUE_NUM, 42, true }, { "-7", VALUE_NUM, -7, true },
        { "+3", VALUE_NUM, 3, true }, { "0", VALUE_NUM, 0, true },
        { "2.5", VALUE_NUM, 2.5, true }, { ".5", VALUE_NUM, 0.5, true },
        { "1e3", VALUE_NUM, 1000, true }, { "1E-2", VALUE_NUM, 0.01, true },
        { "1e999", VALUE_STR, 0, true }, { ".inf", VALUE_STR, 0, true },
        { "0x1F", VALUE_STR, 0, true }, { "1_000", VALUE_STR, 0, true },
        { "1.2.3", VALUE_STR, 0, true }, { "e5", VALUE_STR, 0, true },
        { "true", VALUE_BOOL, 0, true }, { "False", VALUE_BOOL, 0, false },
        { "TRUE", VALUE_BOOL, 0, true }, { "yes", VALUE_STR, 0, true },
        { "no", VALUE_STR, 0, true }, { "null", VALUE_NULL, 0, false },
        { "~", VALUE_NULL, 0, false }, { "NULL", VALUE_NULL, 0, false },
        { "nil", VALUE_STR, 0, true }, { "'42'", VALUE_STR, 0, true },
        { "\"true\"", VALUE_STR, 0, true }, { "''", VALUE_STR, 0, true },  /* Mustache: only null, false, [] */
        { "[]", VALUE_LIST, 0, false }, { "[0]", VALUE_LIST, 0, true },
        { "{}", VALUE_MAP, 0, true },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d = DIAG_INIT;
        char doc[64];
        struct value *root, *v;

        snprintf(doc, sizeof(doc), "v: %s\n", rows[i].scalar);
        root = value_parse(doc, strlen(doc), "t.yaml", &d);
        v = root != NULL ? value_get(root, "v") : NULL;
        CHECK(v != NULL && v->type == rows[i].type && (v->type != VALUE_NUM ||
            v->num == rows[i].num) && value_is_truthy(v) == rows[i].truthy,
            "value: %s is a %s%s", rows[i].scalar, value_type_name(rows[i].type),
            rows[i].truthy ? "" : " (falsy)");
        value_free(root);
    }
}

/* Strings written as YAML scalars read back as the same strings, never retyped. */
static void
test_yaml_scalar(void)
{
    static const char *const strs[] = {
        "plain", "42", "true", "null", "~", "", " lead", "trail ", "a: b", "# no", "- x",
        "[x]", "{x}", "it's", "say \"hi\"", "tab\there", "line\nbreak", "caf\xc3\xa9", "@at",
        "`tick", "%pct", "&a", "*b", "!t", "|", ">", "?", "1e3", ".5", "yes", "0x10",
    };

    for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
        struct diag d = DIAG_INIT;
        struct buf doc;
        struct value *root, *v;

        buf_init(&doc, 0);
        buf_adds(&doc, "v: ");
        value_yaml_scalar(&doc, strs[i], strlen(strs[i]));
        buf_addc(&doc, '\n');
        root = value_parse(buf_str(&doc), doc.len, "t.yaml", &d);
        v = root != NULL ? value_get(root, "v") : NULL;
        CHECK(v != NULL && v->type == VALUE_STR && v->len == strlen(strs[i]) &&
            memcmp(v->str, strs[i], v->len) == 0, "value_yaml_scalar: string %zu reads back",
            i);
        value_free(root);
        buf_fini(&doc);
    }
}

/* JSON written from a tree reads back to the same JSON; dup is deep. */
static void
test_json_roundtrip(void)
{
    static const char yaml[] = "a: [1, 2.5, \"x\\u0001y\", null, true]\nb: {c: \"q\\\"t\", "
        "d: []}\ne: 0.30000000000000004\n";
    struct diag d = DIAG_INIT;
    struct value *v = value_parse(yaml, sizeof(yaml) - 1, "t.yaml", &d), *w = NULL, *dup;
    struct buf j1, j2, j3;

    buf_init(&j1, 0);
    buf_init(&j2, 0);
    buf_init(&j3, 0);
    if (v != NULL) {
        value_write_json(&j1, v);
        w = value_parse(buf_str(&j1), j1.len, "t.json", &d);
    }
    if (w != NULL)
        value_write_json(&j2, w);
    CHECK(w != NULL && strcmp(buf_str(&j1), buf_str(&j2)) == 0,
        "json: written JSON reads back to the same JSON (%s)", buf_str(&j1));
    dup = v != NULL ? value_dup(v) : NULL;
    value_free(v);
    if (dup != NULL)
        value_write_json(&j3, dup);
    CHECK(dup != NULL && strcmp(buf_str(&j1), buf_str(&j3)) == 0,
        "value_dup: a deep copy that outlives the original");
    value_free(w);
    value_free(dup);
    buf_fini(&j1);
    buf_fini(&j2);
    buf_fini(&j3);
}

int
main(void)
{
    test_types();
    test_yaml_scalar();
    test_json_roundtrip();
    return check_exit();
}
