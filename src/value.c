/*
 * value: YAML/JSON -> data tree with positions, via libyaml's event parser.
 * Scalar typing follows the YAML 1.2 core schema (yaml.org/spec/1.2.2 10.3.2).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <yaml.h>

#include "buf.h"
#include "diag.h"
#include "text.h"
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

/*
 * The keys of one map being parsed, for the duplicate check in O(1): an open-addressing
 * table of indices into map->pairs (a linear scan made a map of 100,000 keys take 44 s).
 */
struct keyset {
    uint32_t *slot;             /* index + 1; 0 empty */
    size_t cap;                 /* a power of two, or 0 */
};

/* Is key in map already?  Else note that it will be pairs[map->n]. */
static bool
keyset_seen(struct keyset *ks, const struct value *map, const char *key)
{
    size_t mask, i;

    if ((map->n + 1) * 2 > ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 16;
        uint32_t *slot = xcalloc(cap, sizeof(*slot));

        for (size_t k = 0; k < map->n; k++) {
            for (i = text_hash(map->pairs[k].key) & (cap - 1); slot[i] != 0; i = (i + 1) &
                (cap - 1))
                ;
            slot[i] = (uint32_t)k + 1;
        }
        free(ks->slot);
        ks->slot = slot;
        ks->cap = cap;
    }
    mask = ks->cap - 1;
    for (i = text_hash(key) & mask; ks->slot[i] != 0; i = (i + 1) & mask)
        if (strcmp(map->pairs[ks->slot[i] - 1].key, key) == 0)
            return true;
    ks->slot[i] = (uint32_t)map->n + 1;
    return false;
}

/* Append a key known to be new (keyset_seen() said so): no scan. */
static void
map_append(struct value *map, char *key, struct value *val, int line, int col)
{
    if (map->n == map->cap) {
        map->cap = map->cap ? map->cap * 2 : 4;
        map->pairs = xreallocarray(map->pairs, map->cap, sizeof(*map->pairs));
    }
    map->pairs[map->n].key = key;           /* taken */
    map->pairs[map->n].line = line;
    map->pairs[map->n].col = col;
    map->pairs[map->n].val = val;
    map->n++;
}

/* A NUL inside text ("\0" in a quoted YAML scalar, \u0000 in JSON) would cut it short
   wherever it is used as a C string: refused, never truncated. */
static bool
has_nul(const yaml_event_t *e, struct parser *p, int line, int col, const char *what)
{
    if (memchr(e->data.scalar.value, '\0', e->data.scalar.length) == NULL)
        return false;
    diag_setat(p->d, EX_DATAERR, line, col, "%s holds a NUL character (\\0); remove it",
        what);
    return true;
}

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
    struct keyset ks = { NULL, 0 };
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
        if (has_nul(ev, p, line, col, "the text"))
            return NULL;
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
            if (has_nul(&k, p, kl, kc, "the key")) {
                yaml_event_delete(&k);
                goto fail;
            }
            key = xstrndup((const char *)k.data.scalar.value, k.data.scalar.length);
            yaml_event_delete(&k);
            if (keyset_seen(&ks, v, key)) {
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
            map_append(v, key, val, kl, kc);
        }
        break;
    default:
        diag_setat(p->d, EX_DATAERR, line, col, "unexpected YAML event");
        return NULL;
    }
    free(ks.slot);
    v->line = line;
    v->col = col;
    return v;
fail:
    free(ks.slot);
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
        buf_put(out, s, n);
        return;
    }
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            buf_putc(out, '\\');
            buf_putc(out, (char)c);
        } else if (c == '\n')
            buf_puts(out, "\\n");
        else if (c == '\t')
            buf_puts(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            buf_putf(out, "\\x%02x", c);
        else
            buf_putc(out, (char)c);
    }
    buf_putc(out, '"');
}

void
value_json_string(struct buf *out, const char *s, size_t n)
{
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            buf_putc(out, '\\');
            buf_putc(out, (char)c);
        } else if (c == '\n')
            buf_puts(out, "\\n");
        else if (c == '\r')
            buf_puts(out, "\\r");
        else if (c == '\t')
            buf_puts(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            buf_putf(out, "\\u%04x", c);
        else
            buf_putc(out, (char)c);
    }
    buf_putc(out, '"');
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
        buf_puts(out, "null");
        break;
    case VALUE_BOOL:
        buf_puts(out, v->b ? "true" : "false");
        break;
    case VALUE_NUM:
        /* JSON has no infinity or NaN (RFC 8259 6): null, as JavaScript writes them */
        if (!isfinite(v->num)) {
            buf_puts(out, "null");
            break;
        }
        value_num_text(v->num, num, sizeof(num));
        buf_puts(out, num);
        break;
    case VALUE_STR:
        value_json_string(out, v->str, v->len);
        break;
    case VALUE_LIST:
        buf_putc(out, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                buf_puts(out, ", ");
            value_write_json(out, v->items[i]);
        }
        buf_putc(out, ']');
        break;
    case VALUE_MAP:
        buf_putc(out, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                buf_puts(out, ", ");
            value_json_string(out, v->pairs[i].key, strlen(v->pairs[i].key));
            buf_puts(out, ": ");
            value_write_json(out, v->pairs[i].val);
        }
        buf_putc(out, '}');
        break;
    }
}
