/*
 * subs fast reader: the common block style of subscribers.yaml read directly; at anything
 * else it gives up and yaml.c reads the file again.
 * SPDX-License-Identifier: MIT
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "subs.h"
#include "util.h"

#include "subs_int.h"

/*
 * Nearly every list is written in one plain block style.  This reads that subset
 * directly, several times faster than libyaml's event parser.  At the first thing outside
 * the subset, and at any problem at all, it gives up and the file is read again through
 * libyaml, which then reports the problem with its position.  Both paths must give the
 * same list, spans included: the unit tests and the fuzzer compare them.
 */

struct fast {
    struct parser *p;
    const char *text, *cur, *end;
    uint32_t lineno;            /* of the line at cur */
};

struct fline {
    const char *start;          /* first byte of the line */
    const char *p;              /* first non-space */
    const char *end;            /* before the newline */
    int indent;
    uint32_t no;
};

/* The next line that is not blank or only a comment; false at the end. */
static bool
fast_line(struct fast *f, struct fline *l, bool consume)
{
    const char *c = f->cur;
    uint32_t no = f->lineno;

    while (c < f->end) {
        const char *nl = memchr(c, '\n', (size_t)(f->end - c)), *q = c;
        const char *e = nl ? nl : f->end;

        while (q < e && *q == ' ')
            q++;
        if (q < e && *q != '#') {
            l->start = c;
            l->p = q;
            l->end = e;
            l->indent = (int)(q - c);
            l->no = no;
            if (consume) {
                f->cur = nl ? nl + 1 : f->end;
                f->lineno = no + 1;
            } else {
                f->cur = c;
                f->lineno = no;
            }
            return true;
        }
        c = nl ? nl + 1 : f->end;
        no++;
    }
    f->cur = f->end;
    f->lineno = no;
    return false;
}

static void
fast_consume(struct fast *f, const struct fline *l)
{
    f->cur = l->end < f->end ? l->end + 1 : f->end;
    f->lineno = l->no + 1;
}

/* Only spaces, or a comment after at least one space, from q to end. */
static bool
rest_is_empty(const char *q, const char *end)
{
    const char *s = q;

    while (q < end && *q == ' ')
        q++;
    return q == end || (*q == '#' && q > s);
}

static int
keep(struct fast *f, struct rscalar *r, const char *v, size_t n, const char *b0,
    const char *b1, uint32_t no)
{
    struct parser *p = f->p;

    if (p->scratch_used + n + 1 > FAST_SCRATCH)
        return -1;
    r->s = p->scratch + p->scratch_used;
    memcpy(r->s, v, n);
    r->s[n] = '\0';
    p->scratch_used += n + 1;
    r->len = n;
    r->b0 = (size_t)(b0 - f->text);
    r->b1 = (size_t)(b1 - f->text);
    r->line = (int)no;
    r->set = true;
    r->borrowed = true;
    if (r->b1 > p->e.last)
        p->e.last = r->b1;
    return 0;
}

/*
 * A block-context scalar from v to the end of the line: "double" or 'single' quoted
 * without escapes, or plain.  Anything else (escapes, indicators, nulls, multi-line
 * values, ": " inside) is left to libyaml.
 */
static int
fast_scalar(struct fast *f, const char *v, const char *end, uint32_t no, struct rscalar *r)
{
    const char *q;

    if (v >= end)
        return -1;                          /* empty: a null, libyaml's business */
    if (*v == '"' || *v == '\'') {
        q = v + 1;
        while (q < end && *q != *v && *q != '\\')
            q++;
        if (q >= end || *q != *v || (*v == '\'' && q + 1 < end && q[1] == '\''))
            return -1;
        if (*v == '"' && memchr(v + 1, '\\', (size_t)(q - v - 1)) != NULL)
            return -1;
        if (!rest_is_empty(q + 1, end))
            return -1;
        return keep(f, r, v + 1, (size_t)(q - v - 1), v, q + 1, no);
    }
    if (strchr("-?:,[]{}#&*!|>%@`", *v) != NULL)
        return -1;
    for (q = v; q < end; q++) {
        if (*q == ':' && (q + 1 == end || q[1] == ' '))
            return -1;
        if (*q == '#' && q[-1] == ' ')
            break;
    }
    while (q > v && q[-1] == ' ')
        q--;
    if ((q - v == 1 && *v == '~') || (q - v == 4 && (memcmp(v, "null", 4) == 0 ||
        memcmp(v, "Null", 4) == 0 || memcmp(v, "NULL", 4) == 0)))
        return -1;
    return keep(f, r, v, (size_t)(q - v), v, q, no);
}

/* tags: [a, b] with plain words only. */
static int
fast_flow_tags(struct fast *f, const char *v, const char *end, uint32_t no)
{
    struct rentry *e = &f->p->e;
    const char *q = v + 1;

    for (;;) {
        const char *w, *we;

        while (q < end && *q == ' ')
            q++;
        if (q < end && *q == ']' && e->ntags == 0)
            break;
        w = q;
        while (q < end && *q != ',' && *q != ']')
            q++;
        we = q;
        while (we > w && we[-1] == ' ')
            we--;
        if (q >= end || we == w || e->ntags == SUBS_MAX_TAGS ||
            strchr("-?:,[]{}#&*!|>%@`'\"", *w) != NULL)
            return -1;
        for (const char *c = w; c < we; c++)
            if (*c == ':' || *c == '#' || *c == '[' || *c == '{' || *c == '}')
                return -1;
        if (keep(f, &e->tags[e->ntags++], w, (size_t)(we - w), w, we, no) == -1)
            return -1;
        if (*q == ']')
            break;
        q++;
    }
    if (!rest_is_empty(q + 1, end))
        return -1;
    if ((size_t)(q + 1 - f->text) > e->last)
        e->last = (size_t)(q + 1 - f->text);
    return 0;
}

/* One entry; l is its "- key: value" line. */
static int
fast_entry(struct fast *f, const struct fline *l)
{
    struct parser *p = f->p;
    struct rentry *e = &p->e;
    struct fline k;
    const char *q = l->p + 1;
    int key_col;
    bool first = true;

    entry_reset(e);
    p->scratch_used = 0;
    while (q < l->end && *q == ' ')
        q++;
    if (q == l->p + 1 || q >= l->end || *q == '{' || *q == '-')
        return -1;
    key_col = (int)(q - l->start);
    e->line = (int)l->no;
    e->col = key_col + 1;
    e->b0 = (size_t)(q - f->text);
    e->last = e->b0;
    k = *l;
    k.p = q;
    k.indent = key_col;
    for (;;) {
        const char *c = k.p, *v;
        size_t klen;
        uint32_t no = k.no;

        if (!first) {
            if (!fast_line(f, &k, false) || k.indent != key_col)
                break;
            c = k.p;
            no = k.no;
        }
        fast_consume(f, &k);
        first = false;
        while (c < k.end && (IS_ALPHA(*c) || *c == '_'))
            c++;
        klen = (size_t)(c - k.p);
        if (c >= k.end || *c != ':' || (c + 1 < k.end && c[1] != ' '))
            return -1;
        v = c + 1;
        while (v < k.end && *v == ' ')
            v++;
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(k.p, s, klen) == 0)
        if (KEY("email") || KEY("name") || KEY("status") || KEY("subscribed_at")) {
            struct rscalar *r = KEY("email") ? &e->email : KEY("name") ? &e->name :
                KEY("status") ? &e->status : &e->at;

            if (r->set || fast_scalar(f, v, k.end, no, r) == -1)
                return -1;
        } else if (KEY("tags")) {
            if (e->ntags > 0)
                return -1;
            if (v < k.end && *v == '[') {
                if (fast_flow_tags(f, v, k.end, no) == -1)
                    return -1;
            } else if (!rest_is_empty(v, k.end)) {
                if (fast_scalar(f, v, k.end, no, &e->tags[e->ntags++]) == -1)
                    return -1;
            } else {                        /* a block list, deeper than the key */
                struct fline t;
                int ti = -1;

                while (fast_line(f, &t, false) && t.indent > key_col) {
                    const char *w = t.p + 1;

                    if ((ti != -1 && t.indent != ti) || *t.p != '-' || w >= t.end ||
                        *w != ' ' || e->ntags == SUBS_MAX_TAGS)
                        return -1;
                    ti = t.indent;
                    while (w < t.end && *w == ' ')
                        w++;
                    if (fast_scalar(f, w, t.end, t.no, &e->tags[e->ntags++]) == -1)
                        return -1;
                    fast_consume(f, &t);
                }
                if (ti == -1)
                    return -1;              /* "tags:" alone is a null */
            }
        } else if (KEY("fields")) {
            struct fline t;
            int fi = -1;

            if (e->nf > 0 || !rest_is_empty(v, k.end))
                return -1;
            while (fast_line(f, &t, false) && t.indent > key_col) {
                const char *w = t.p, *x;

                if ((fi != -1 && t.indent != fi) || e->nf == SUBS_MAX_FIELDS)
                    return -1;
                fi = t.indent;
                while (w < t.end && (IS_ALNUM(*w) || *w == '_' || *w == '-'))
                    w++;
                if (w == t.p || w >= t.end || *w != ':' || w + 1 >= t.end || w[1] != ' ' ||
                    *t.p == '-')
                    return -1;
                x = w + 1;
                while (x < t.end && *x == ' ')
                    x++;
                if (keep(f, &e->fk[e->nf], t.p, (size_t)(w - t.p), t.p, w, t.no) == -1 ||
                    fast_scalar(f, x, t.end, t.no, &e->fv[e->nf]) == -1)
                    return -1;
                e->nf++;
                fast_consume(f, &t);
            }
            if (fi == -1)
                return -1;
        } else
            return -1;
#undef KEY
    }
    /* a key of another name or a deeper line that belongs to nothing: libyaml's turn */
    if (f->cur < f->end) {
        struct fline t;

        if (fast_line(f, &t, false) && t.indent > key_col)
            return -1;
    }
    finish_entry(p);
    return p->bail ? -1 : 0;
}

/* 0 when the whole file was read; -1 to fall back to libyaml. */
int
parse_fast(struct parser *p)
{
    struct subs *s = p->s;
    struct fast f = { p, s->text, s->text, s->text + s->len, 1 };
    struct fline l;
    int dash = -1;

    if (s->len >= 3 && memcmp(s->text, "\xef\xbb\xbf", 3) == 0)
        return -1;
    /* Tabs, CRs and whatever YAML does not count as printable (1.2 5.1: C0 and C1 controls
       but NEL, DEL, U+FFFE/U+FFFF): libyaml's business. */
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->text[i];

        if ((c < 0x20 && c != '\n') || c == 0x7f)
            return -1;
        if (c == 0xc2 && i + 1 < s->len && (unsigned char)s->text[i + 1] < 0xa0 &&
            (unsigned char)s->text[i + 1] != 0x85)
            return -1;
        if (c == 0xef && i + 2 < s->len && (unsigned char)s->text[i + 1] == 0xbf &&
            (unsigned char)s->text[i + 2] >= 0xbe)
            return -1;
    }
    if (!fast_line(&f, &l, false))
        return -1;
    if (l.indent == 0 && l.end - l.p >= 12 && memcmp(l.p, "subscribers:", 12) == 0 &&
        rest_is_empty(l.p + 12, l.end)) {
        s->shape = SHAPE_KEY_SEQ;
        fast_consume(&f, &l);
    } else if (l.indent == 0 && *l.p == '-')
        s->shape = SHAPE_ROOT_SEQ;
    else
        return -1;
    while (fast_line(&f, &l, false)) {
        if (*l.p != '-' || (dash != -1 && l.indent != dash))
            return -1;
        dash = l.indent;
        if (fast_entry(&f, &l) == -1)
            return -1;
    }
    return s->n > 0 ? 0 : -1;
}
