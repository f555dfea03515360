/*
 * value: YAML/JSON -> data tree with positions, via libyaml's event parser.
 * Scalar typing follows the YAML 1.2 core schema (yaml.org/spec/1.2.2 10.3.2).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <yaml.h>

#include "buf.h"
#include "diag.h"
#include "util.h"
#include "value.h"

#define VALUE_MAX_DEPTH 64

struct value *
value_new(enum value_type type)
{
    struct value *v = xcalloc(1, sizeof(*v));

    v->type = type;
    return v;
}

struct value *
value_new_strn(const char *s, size_t n)
{
    struct value *v = value_new(VALUE_STR);

    v->str = xstrndup(s, n);
    v->len = n;
    return v;
}

struct value *
value_new_str(const char *s)
{
    return value_new_strn(s, strlen(s));
}

struct value *
value_new_bool(bool b)
{
    struct value *v = value_new(VALUE_BOOL);

    v->b = b;
    v->str = xstrdup(b ? "true" : "false");
    v->len = strlen(v->str);
    return v;
}

struct value *
value_new_num(double num)
{
    struct value *v = value_new(VALUE_NUM);
    char tmp[64];

    v->num = num;
    snprintf(tmp, sizeof(tmp), "%.15g", num);
    v->str = xstrdup(tmp);
    v->len = strlen(tmp);
    return v;
}

void
value_free(struct value *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        if (v->type == VALUE_LIST)
            value_free(v->items[i]);
        else {
            free(v->pairs[i].key);
            value_free(v->pairs[i].val);
        }
    }
    free(v->items);
    free(v->pairs);
    free(v->str);
    free(v);
}

void
value_push(struct value *list, struct value *item)
{
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 4;
        list->items = xreallocarray(list->items, list->cap, sizeof(*list->items));
    }
    list->items[list->n++] = item;
}

void
value_set(struct value *map, const char *key, struct value *val)
{
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->pairs[i].key, key) == 0) {
            value_free(map->pairs[i].val);
            map->pairs[i].val = val;
            return;
        }
    }
    if (map->n == map->cap) {
        map->cap = map->cap ? map->cap * 2 : 4;
        map->pairs = xreallocarray(map->pairs, map->cap, sizeof(*map->pairs));
    }
    map->pairs[map->n].key = xstrdup(key);
    map->pairs[map->n].line = map->pairs[map->n].col = 0;
    map->pairs[map->n].val = val;
    map->n++;
}

struct value *
value_set_str(struct value *map, const char *key, const char *s)
{
    struct value *v = value_new_str(s ? s : "");

    value_set(map, key, v);
    return v;
}

struct value *
value_get(const struct value *map, const char *key)
{
    if (map == NULL || map->type != VALUE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->pairs[i].key, key) == 0)
            return map->pairs[i].val;
    return NULL;
}

struct value *
value_dup(const struct value *v)
{
    struct value *c = value_new(v->type);

    c->line = v->line;
    c->col = v->col;
    c->b = v->b;
    c->num = v->num;
    c->slot = v->slot;
    if (v->str != NULL) {
        c->str = xstrndup(v->str, v->len);
        c->len = v->len;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->type == VALUE_LIST)
            value_push(c, value_dup(v->items[i]));
        else {
            value_set(c, v->pairs[i].key, value_dup(v->pairs[i].val));
            c->pairs[c->n - 1].line = v->pairs[i].line;
            c->pairs[c->n - 1].col = v->pairs[i].col;
        }
    }
    return c;
}

bool
value_is_truthy(const struct value *v)
{
    if (v == NULL)
        return false;
    switch (v->type) {
    case VALUE_NULL:
        return false;
    case VALUE_BOOL:
        return v->b;
    case VALUE_LIST:
        return v->n > 0;
    default:
        return true;
    }
}

const char *
value_type_name(enum value_type type)
{
    static const char *names[] = { "null", "boolean", "number", "string", "list", "map" };

    return names[type];
}

/* YAML 1.2 core schema resolution of a plain scalar. */
static void
resolve_plain(struct value *v)
{
    const char *s = v->str;
    char *end;
    double d;

    if (v->len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
        strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0) {
        v->type = VALUE_NULL;
        return;
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0) {
        v->type = VALUE_BOOL;
        v->b = true;
        return;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0) {
        v->type = VALUE_BOOL;
        v->b = false;
        return;
    }
    /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
    {
        const char *p = s;
        bool digits = false;

        if (*p == '-' || *p == '+')
            p++;
        while (IS_DIGIT(*p)) {
            p++;
            digits = true;
        }
        if (*p == '.') {
            p++;
            while (IS_DIGIT(*p)) {
                p++;
                digits = true;
            }
        }
        if (!digits)
            return;
        if (*p == 'e' || *p == 'E') {
            p++;
            if (*p == '-' || *p == '+')
                p++;
            if (!IS_DIGIT(*p))
                return;
            while (IS_DIGIT(*p))
                p++;
        }
        if (*p != '\0')
            return;
    }
    errno = 0;
    d = strtod(s, &end);
    if (*end != '\0' || !isfinite(d))
        return;
    v->type = VALUE_NUM;
    v->num = d;
}

struct parser {
    yaml_parser_t yp;
    const char *name;
    struct diag *d;
};

static struct value *parse_node(struct parser *p, yaml_event_t *ev, int depth);

static int
next(struct parser *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&p->yp, ev)) {
        diag_setat(p->d, EX_DATAERR, (int)p->yp.problem_mark.line + 1,
            (int)p->yp.problem_mark.column + 1, "YAML syntax error: %s%s%s",
            p->yp.problem ? p->yp.problem : "unknown problem",
            p->yp.context ? " " : "", p->yp.context ? p->yp.context : "");
        return -1;
    }
    return 0;
}

static struct value *
parse_node(struct parser *p, yaml_event_t *ev, int depth)
{
    struct value *v = NULL;
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;

    if (depth > VALUE_MAX_DEPTH) {
        diag_setat(p->d, EX_DATAERR, line, col, "nesting deeper than %d levels",
            VALUE_MAX_DEPTH);
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        diag_setat(p->d, EX_DATAERR, line, col,
            "YAML aliases (*name) are not supported; write the value out");
        return NULL;
    case YAML_SCALAR_EVENT:
        v = value_new(VALUE_STR);
        v->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        v->len = ev->data.scalar.length;
        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL)
            resolve_plain(v);
        break;
    case YAML_SEQUENCE_START_EVENT:
        v = value_new(VALUE_LIST);
        for (;;) {
            yaml_event_t e;
            struct value *item;

            if (next(p, &e) == -1)
                goto fail;
            if (e.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&e);
                break;
            }
            item = parse_node(p, &e, depth + 1);
            yaml_event_delete(&e);
            if (item == NULL)
                goto fail;
            value_push(v, item);
        }
        break;
    case YAML_MAPPING_START_EVENT:
        v = value_new(VALUE_MAP);
        for (;;) {
            yaml_event_t k, e;
            struct value *val;
            char *key;
            int kl, kc;

            if (next(p, &k) == -1)
                goto fail;
            if (k.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&k);
                break;
            }
            kl = (int)k.start_mark.line + 1;
            kc = (int)k.start_mark.column + 1;
            if (k.type != YAML_SCALAR_EVENT) {
                diag_setat(p->d, EX_DATAERR, kl, kc, "map keys must be plain text");
                yaml_event_delete(&k);
                goto fail;
            }
            key = xstrndup((const char *)k.data.scalar.value, k.data.scalar.length);
            yaml_event_delete(&k);
            if (value_get(v, key) != NULL) {
                diag_setat(p->d, EX_DATAERR, kl, kc, "duplicate key \"%s\"; "
                    "each key may appear once in a map", key);
                free(key);
                goto fail;
            }
            if (next(p, &e) == -1) {
                free(key);
                goto fail;
            }
            val = parse_node(p, &e, depth + 1);
            yaml_event_delete(&e);
            if (val == NULL) {
                free(key);
                goto fail;
            }
            value_set(v, key, val);
            v->pairs[v->n - 1].line = kl;
            v->pairs[v->n - 1].col = kc;
            free(key);
        }
        break;
    default:
        diag_setat(p->d, EX_DATAERR, line, col, "unexpected YAML event");
        return NULL;
    }
    v->line = line;
    v->col = col;
    return v;
fail:
    value_free(v);
    return NULL;
}

struct value *
value_parse(const char *text, size_t len, const char *name, struct diag *d)
{
    struct parser p = { .name = name, .d = d };
    struct value *root = NULL;
    yaml_event_t ev;
    bool done = false;

    if (!utf8_is_valid(text, len)) {
        diag_set(d, EX_DATAERR, "not valid UTF-8; save the file as UTF-8");
        diag_path(d, name);
        return NULL;
    }
    yaml_parser_initialize(&p.yp);
    yaml_parser_set_input_string(&p.yp, (const unsigned char *)text, len);
    while (!done) {
        if (next(&p, &ev) == -1)
            goto fail;
        switch (ev.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
            break;
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            done = true;
            break;
        default:
            root = parse_node(&p, &ev, 0);
            if (root == NULL) {
                yaml_event_delete(&ev);
                goto fail;
            }
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p.yp);
    if (root == NULL)
        root = value_new(VALUE_NULL);
    return root;
fail:
    yaml_parser_delete(&p.yp);
    value_free(root);
    diag_path(d, name);
    return NULL;
}

struct value *
value_load(const char *path, struct diag *d)
{
    struct value *v;
    size_t len;
    char *text = read_file_max(path, VALUE_FILE_MAX, &len);

    if (text == NULL) {
        diag_set(d, EX_NOINPUT, "cannot read: %s", read_file_strerror(errno));
        diag_path(d, path);
        return NULL;
    }
    v = value_parse(text, len, path, d);
    free(text);
    return v;
}

/* Would s be read back by YAML as this very string if written plain? Be conservative. */
static bool
plain_is_safe(const char *s, size_t n)
{
    struct value probe;
    char tmp[8];

    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
        return false;
    if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]) != NULL && !(s[0] == '-' && n > 1 && s[1] != ' '))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f)
            return false;
        if (c == ':' && (i + 1 == n || s[i + 1] == ' '))
            return false;
        if (c == '#' && i > 0 && s[i - 1] == ' ')
            return false;
        if (c == '\\' || c == '"' || c == ',' || c == '[' || c == ']' || c == '{' || c == '}')
            return false;
    }
    /* Words that would turn into null, booleans or numbers (core schema and YAML 1.1). */
    if (n < sizeof(tmp)) {
        static const char *const words[] = { "yes", "no", "on", "off", "y", "n" };

        for (size_t i = 0; i < n; i++)
            tmp[i] = (char)TO_LOWER((unsigned char)s[i]);
        tmp[n] = '\0';
        for (size_t i = 0; i < ARRAY_LEN(words); i++)
            if (strcmp(tmp, words[i]) == 0)
                return false;
    }
    memset(&probe, 0, sizeof(probe));
    probe.type = VALUE_STR;
    probe.str = xstrndup(s, n);
    probe.len = n;
    resolve_plain(&probe);
    free(probe.str);
    return probe.type == VALUE_STR;
}

void
value_yaml_scalar(struct buf *out, const char *s, size_t n)
{
    if (plain_is_safe(s, n)) {
        buf_add(out, s, n);
        return;
    }
    buf_addc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            buf_addc(out, '\\');
            buf_addc(out, (char)c);
        } else if (c == '\n')
            buf_adds(out, "\\n");
        else if (c == '\t')
            buf_adds(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            buf_addf(out, "\\x%02x", c);
        else
            buf_addc(out, (char)c);
    }
    buf_addc(out, '"');
}

void
value_json_string(struct buf *out, const char *s, size_t n)
{
    buf_addc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            buf_addc(out, '\\');
            buf_addc(out, (char)c);
        } else if (c == '\n')
            buf_adds(out, "\\n");
        else if (c == '\r')
            buf_adds(out, "\\r");
        else if (c == '\t')
            buf_adds(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            buf_addf(out, "\\u%04x", c);
        else
            buf_addc(out, (char)c);
    }
    buf_addc(out, '"');
}

/* Integers as integers; others in the shortest %g form that reads back the same. */
void
value_num_text(double x, char *tmp, size_t size)
{
    if (!isfinite(x)) {
        snprintf(tmp, size, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
        return;
    }
    if (x == floor(x) && fabs(x) < 9007199254740992.0) {    /* 2^53: exact integers */
        snprintf(tmp, size, "%.0f", x);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, size, "%.*g", prec, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
}

void
value_write_json(struct buf *out, const struct value *v)
{
    char num[40];

    switch (v->type) {
    case VALUE_NULL:
        buf_adds(out, "null");
        break;
    case VALUE_BOOL:
        buf_adds(out, v->b ? "true" : "false");
        break;
    case VALUE_NUM:
        /* JSON has no infinity or NaN (RFC 8259 6): null, as JavaScript writes them */
        if (!isfinite(v->num)) {
            buf_adds(out, "null");
            break;
        }
        value_num_text(v->num, num, sizeof(num));
        buf_adds(out, num);
        break;
    case VALUE_STR:
        value_json_string(out, v->str, v->len);
        break;
    case VALUE_LIST:
        buf_addc(out, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                buf_adds(out, ", ");
            value_write_json(out, v->items[i]);
        }
        buf_addc(out, ']');
        break;
    case VALUE_MAP:
        buf_addc(out, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                buf_adds(out, ", ");
            value_json_string(out, v->pairs[i].key, strlen(v->pairs[i].key));
            buf_adds(out, ": ");
            value_write_json(out, v->pairs[i].val);
        }
        buf_addc(out, '}');
        break;
    }
}
