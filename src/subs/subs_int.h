/*
 * subs_int.h: what the files of src/subs/ share; not a public interface (include/subs.h is).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_SUBS_INT_H
#define GAZETTE_SUBS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "subs.h"

struct diag;

#define SUBS_MAX_TAGS 256
#define SUBS_MAX_FIELDS 256
#define SUBS_MAX_ERRORS 1000    /* stop reporting after this many */

enum shape { SHAPE_EMPTY, SHAPE_ROOT_SEQ, SHAPE_KEY_SEQ, SHAPE_FLOW };

struct pos {
    const char *text;
    size_t len;
    bool ascii;
    size_t ci, bi;              /* a known pair: character ci starts at byte bi */
};

struct rscalar {
    char *s;                    /* NUL-terminated: a heap copy, or in the fast path's scratch */
    size_t len;
    int line, col;
    size_t b0, b1;              /* bytes in the file */
    bool set;
    bool borrowed;              /* s points into the scratch area: not freed */
};

struct rentry {
    int line, col;
    size_t b0, last;            /* first byte of the map, last byte of its content */
    bool flow;
    struct rscalar email, name, status, at;
    struct rscalar tags[SUBS_MAX_TAGS];
    size_t ntags;
    struct rscalar fk[SUBS_MAX_FIELDS], fv[SUBS_MAX_FIELDS];
    size_t nf;
    bool bad;                   /* a problem was reported: do not store it */
};

struct parser {
    yaml_parser_t yp;
    struct pos pos;
    struct subs *s;
    const struct subs_report *rep;
    struct diag *d;
    struct rentry e;
    const char **tagv;          /* interned tag strings */
    size_t ntagv, tagcap;
    bool fatal;
    bool fast;                  /* in the fast path: a problem means "fall back", not report */
    bool bail;
    char *scratch;              /* the fast path's copies of one entry's scalars */
    size_t scratch_used;
};

#define FAST_SCRATCH 65536      /* one entry's scalars; a bigger entry takes libyaml */

/* subs.c */
size_t line_start(const char *text, size_t b);
size_t line_end(const char *text, size_t len, size_t b);
/* A problem at line:col: the first goes in the diag, all to the report callback; in the
   fast path it only makes the reader give up. */
void problem(struct parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rs_free(struct rscalar *r);
void entry_reset(struct rentry *e);
bool has_control(const char *s, size_t n);
bool is_timestamp(const char *s);
bool is_field_key(const char *k);
/* Validate the gathered entry p->e and store it in p->s. */
void finish_entry(struct parser *p);

/* index.c */
bool same_addr(const char *a, const char *b);
void hash_reserve(struct subs *s, size_t want);
void hash_insert(struct subs *s, size_t idx);
struct subscriber *find_canon(const struct subs *s, const char *canon);

/* yaml.c: the whole document through libyaml; -1 on a fatal problem. */
int parse_doc(struct parser *p);

/* fast.c: 0 when the whole file was read; -1 to fall back to libyaml. */
int parse_fast(struct parser *p);

#endif
