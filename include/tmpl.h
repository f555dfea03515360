/*
 * tmpl: the Mustache engine.  digest.c hands it the digest as a value tree, mime.c takes
 * the text it renders.  Implements Mustache spec 1.4.2: interpolation, sections, inverted,
 * comments, partials, set delimiters, and the optional inheritance ({{<parent}} {{$block}})
 * and dynamic names ({{>*name}}) modules; not lambdas.
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_TMPL_H
#define GAZETTE_TMPL_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct diag;
struct value;

/* A compiled template: parse once, render many times.  Opaque. */
struct tmpl;
/* Where partials ({{>name}}, {{<name}}) come from, with their compiled forms cached. */
struct tmpl_partials;

/* tmpl_render() flags. */
#define TMPL_ESCAPE_HTML 0x1    /* {{name}} escapes & < > " ' (HTML); without it nothing is */

/* Limits (they keep a template that includes itself from exhausting the stack). */
#define TMPL_MAX_NEST   64          /* sections open at once inside one template */
#define TMPL_MAX_DEPTH  256         /* sections, partials and blocks entered while rendering */
#define TMPL_MAX_STEPS  10000000UL  /* tags, texts and bodies visited by one render */
#define TMPL_SOURCE_MAX ((size_t)4 << 20)   /* ours: a template file read from disk */

/*
 * Compile len bytes of Mustache text.  name is used in error messages (a file name or a
 * partial name).  Errors (unclosed tag or section, mismatched closing tag, bad set
 * delimiters, empty or blank-containing names, sections nested over TMPL_MAX_NEST): NULL
 * and EX_DATAERR with line and column.  Caller frees with tmpl_free().
 */
struct tmpl *tmpl_parse(const char *text, size_t len, const char *name, struct diag *d);
void tmpl_free(struct tmpl *t);

/*
 * A partial's source: the text of the partial called name as a heap string (the caller
 * frees it) with its length in *len, and optionally *origin, a heap string naming where it
 * came from (a path) for error messages.  Return NULL without touching d when there is
 * no such partial (it renders as nothing, as the spec says), or NULL with d set when it
 * exists but cannot be read.
 */
typedef char *(*tmpl_source_fn)(void *ctx, const char *name, size_t *len, char **origin,
    struct diag *d);

/* A partial cache over fn, safe to use from several threads at once (a mutex guards
   loading).  Caller frees with tmpl_partials_free(). */
struct tmpl_partials *tmpl_partials_new(tmpl_source_fn fn, void *ctx);
/*
 * A partial cache over template directories: partial NAME is the file NAME.mustache in
 * the first of dirs[0..ndirs) that has it, so a user's directory listed before the
 * default one overrides it file by file.  Names other than [A-Za-z0-9._-]+ or starting
 * with '.' are never looked up (dynamic names come from data: no "../").  A file that
 * exists but cannot be read is EX_NOINPUT.  The strings are copied.
 */
struct tmpl_partials *tmpl_partials_new_dirs(const char *const *dirs, size_t ndirs);
void tmpl_partials_free(struct tmpl_partials *p);
/*
 * The compiled partial called name (borrowed, valid until tmpl_partials_free()), loading
 * and parsing it on first use; gazette loads its main templates this way too.  NULL with
 * d unset when there is none; NULL with d set when it cannot be read or parsed (the
 * failure is not cached).
 */
const struct tmpl *tmpl_partials_find(struct tmpl_partials *p, const char *name,
    struct diag *d);

/*
 * Render t with data (NULL: empty) as the root context and append the text to out;
 * missing names render as nothing, as the spec says.  Partials come from p (NULL: there
 * are none); compiled partials are cached in p, so p is not const.  flags:
 * TMPL_ESCAPE_HTML or 0.  Numbers print in the shortest form that reads back the same
 * (85, 1.21).  Returns 0, or -1 with d set and out holding partial output to discard:
 * EX_DATAERR for a list or map in {{name}}, output over out's maximum, a limit above; the
 * errors of tmpl_partials_find().
 */
int tmpl_render(const struct tmpl *t, const struct value *data, struct tmpl_partials *p,
    int flags, struct buf *out, struct diag *d);
/*
 * tmpl_render() with top (a map; NULL: none) pushed on the context stack above data: its
 * keys hide data's of the same name, the rest is looked up in data.  data is only read,
 * so threads can share it, each rendering with its own top (the per-subscriber values).
 */
int tmpl_render_over(const struct tmpl *t, const struct value *data, const struct value *top,
    struct tmpl_partials *p, int flags, struct buf *out, struct diag *d);

/*
 * Where the placeholders of personal values went (digest.c): a value with slot > 0 in
 * {{name}}, {{{name}}} or {{&name}} writes nothing; its slot (slot - 1) and the offset in
 * out where its text belongs are appended here instead, in output order.  The offsets
 * are recorded, never marked in the text, so no data and no template can forge one.
 */
struct tmpl_slot {
    size_t off;                     /* byte offset in out */
    int slot;
};
struct tmpl_slots {
    struct tmpl_slot *v;            /* heap; caller frees v */
    size_t n, cap;
};
/* tmpl_render_over() that records slot placeholders in slots (appended to). */
int tmpl_render_slots(const struct tmpl *t, const struct value *data, const struct value *top,
    struct tmpl_partials *p, int flags, struct buf *out, struct tmpl_slots *slots,
    struct diag *d);

/*
 * A template or partial name that is safe to look up as a file: not empty, not starting
 * with '.', only letters, digits, '.', '_' and '-' (so never a path out of the folder).
 */
bool tmpl_name_is_safe(const char *name);

/* What a name reported by tmpl_names() is used for. */
enum tmpl_use {
    TMPL_USE_VAR,           /* {{name}}, {{{name}}}, {{&name}}, the data of {{>*name}} */
    TMPL_USE_SECTION,       /* {{#name}}: pushes the value (or each item) as context */
    TMPL_USE_INVERTED,      /* {{^name}} */
    TMPL_USE_PARTIAL,       /* {{>name}} or {{<name}}: name is a partial, not data */
};

struct tmpl_name {
    enum tmpl_use use;
    const char *name;               /* dotted name as written; "." is the current item */
    /*
     * The {{#sections}} around the use, outermost first (inverted sections push no
     * context and are not listed).  "title" inside {{#articles}} has sections[0] =
     * "articles": it is looked up in each item of articles first, then outwards.
     */
    const char *const *sections;
    size_t nsections;
    const char *origin;             /* the template or partial the tag is in */
    int line, col;
    bool found;                     /* TMPL_USE_PARTIAL: the partial exists */
};

typedef void (*tmpl_name_fn)(void *ctx, const struct tmpl_name *n);

/*
 * Call fn for every name t uses, in template order, following partials and parents
 * through p (each once per chain: a partial including itself is not walked again).
 * A block passed to a parent is reported where the parent has that block, with the
 * sections around it there (as it is rendered); an overridden default is not.  All
 * strings are borrowed for the duration of the call.  Returns 0, or -1 with d set when a
 * partial cannot be read or parsed (EX_NOINPUT, EX_DATAERR) or TMPL_MAX_DEPTH is passed.
 */
int tmpl_names(const struct tmpl *t, struct tmpl_partials *p, tmpl_name_fn fn, void *ctx,
    struct diag *d);

#endif
