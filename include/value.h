/*
 * value: a small data tree (null, bool, number, string, list, map) loaded from YAML or
 * JSON with libyaml, keeping each node's line and column for error messages.  Plain
 * scalars are typed by the YAML 1.2 core schema; quoted scalars are always strings.
 * The config loader, the template data and the Mustache engine all work on it.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_VALUE_H
#define GAZETTE_VALUE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct diag;

#define VALUE_FILE_MAX ((size_t)64 << 20)  /* ours: a data file value_load() reads */

enum value_type {
    VALUE_NULL,
    VALUE_BOOL,
    VALUE_NUM,
    VALUE_STR,
    VALUE_LIST,
    VALUE_MAP,
};

struct value;

struct value_pair {
    char *key;
    int line, col;              /* of the key */
    struct value *val;
};

struct value {
    enum value_type type;
    int line, col;              /* 1-based; 0 when built in code */
    bool b;                     /* VALUE_BOOL */
    double num;                 /* VALUE_NUM */
    char *str;                  /* scalars: the text as written (NUL-terminated) */
    size_t len;
    size_t n, cap;              /* LIST and MAP: number of items */
    struct value **items;       /* LIST */
    struct value_pair *pairs;   /* MAP, in file order */
    int slot;                   /* > 0: a placeholder for personal value slot - 1 (digest.c):
                                   tmpl_render_slots() records where it goes, writes nothing */
};

/*
 * Parse the first document of text (YAML or JSON).  name is used in errors.  An empty
 * document gives a VALUE_NULL.  Duplicate map keys, aliases and non-scalar keys are
 * errors (EX_DATAERR, with line and column).  Caller frees with value_free().
 */
struct value *value_parse(const char *text, size_t len, const char *name, struct diag *d);
/* Read and parse a file; errors carry the path (EX_NOINPUT when it cannot be read). */
struct value *value_load(const char *path, struct diag *d);
void value_free(struct value *v);

/* Builders (used for template data); the new node is owned by the caller or the parent. */
struct value *value_new(enum value_type type);
struct value *value_new_str(const char *s);
struct value *value_new_strn(const char *s, size_t n);
struct value *value_new_bool(bool b);
struct value *value_new_num(double num);
/* Add to a list or a map (replacing an existing key); the container takes ownership. */
void value_push(struct value *list, struct value *item);
void value_set(struct value *map, const char *key, struct value *val);
struct value *value_set_str(struct value *map, const char *key, const char *s);

/* The value of key in map, or NULL (borrowed). */
struct value *value_get(const struct value *map, const char *key);
/* A deep copy (caller frees). */
struct value *value_dup(const struct value *v);
/* Mustache's falsiness: null, false, empty list are false; everything else true. */
bool value_is_truthy(const struct value *v);
/* Append s[0..n) to out as a YAML scalar: plain when that reads back as the same string,
   else double-quoted with escapes. */
void value_yaml_scalar(struct buf *out, const char *s, size_t n);
/* Append s[0..n) to out as a JSON string (quotes included; UTF-8 kept, controls escaped). */
void value_json_string(struct buf *out, const char *s, size_t n);
/* Append v as JSON. */
/* v as JSON (RFC 8259): numbers as value_num_text() writes them, non-finite ones null. */
void value_write_json(struct buf *out, const struct value *v);
/*
 * A number as text, as templates and JSON show it: integers (up to 2^53) without a
 * fraction, others in the shortest form that reads back the same (0.1, 1.21); "inf",
 * "-inf", "nan" for the others.  size 40 always suffices.
 */
void value_num_text(double x, char *tmp, size_t size);
/* "string", "list", ... for messages. */
const char *value_type_name(enum value_type type);

#endif
