/*
 * subs: subscribers.yaml -> struct subs (one arena), and surgical edits back to the file.
 * Positions come from libyaml's marks, which count characters, so they are converted to
 * byte offsets as the parse goes (the file is UTF-8).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <yaml.h>

#include "addr.h"
#include "atomic.h"
#include "buf.h"
#include "diag.h"
#include "lock.h"
#include "subs.h"
#include "util.h"
#include "value.h"

#define SUBS_MAX_TAGS 256
#define SUBS_MAX_FIELDS 256
#define SUBS_MAX_ERRORS 1000    /* stop reporting after this many */

enum shape { SHAPE_EMPTY, SHAPE_ROOT_SEQ, SHAPE_KEY_SEQ, SHAPE_FLOW };

static const char *const status_names[SUBS_NSTATUS] = {
    "active", "pending", "unsubscribed", "bounced",
};

static const char *const entry_keys[] = {
    "email", "name", "status", "tags", "fields", "subscribed_at",
};

const char *
subs_status_name(enum subs_status st)
{
    return (unsigned)st < SUBS_NSTATUS ? status_names[st] : "?";
}

int
subs_status_parse(const char *name)
{
    for (int i = 0; i < SUBS_NSTATUS; i++)
        if (strcmp(status_names[i], name) == 0)
            return i;
    return -1;
}

/* ---- character index -> byte offset ------------------------------------------------ */

struct pos {
    const char *text;
    size_t len;
    bool ascii;
    size_t ci, bi;              /* a known pair: character ci starts at byte bi */
};

static size_t
bytepos(struct pos *p, size_t ci)
{
    if (p->ascii)
        return ci < p->len ? ci : p->len;
    if (ci < p->ci)
        p->ci = p->bi = 0;
    while (p->ci < ci && p->bi < p->len) {
        p->bi++;
        while (p->bi < p->len && ((unsigned char)p->text[p->bi] & 0xc0) == 0x80)
            p->bi++;
        p->ci++;
    }
    return p->bi;
}

static size_t
line_start(const char *text, size_t b)
{
    while (b > 0 && text[b - 1] != '\n')
        b--;
    return b;
}

static size_t
line_end(const char *text, size_t len, size_t b)
{
    const char *nl = memchr(text + b, '\n', len - b);

    return nl ? (size_t)(nl - text) + 1 : len;
}

/* ---- the hash on canonical addresses -------------------------------------------------- */

/*
 * Duplicates are found on the whole canonical address with ASCII case folded: RFC 5321
 * 2.4 lets a local part be case-sensitive, but no mail system we know of uses that, and
 * two copies to one reader are worse than refusing "Bob@" next to "bob@" (Leniency).
 */
static uint32_t
hash_str(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)TO_LOWER((unsigned char)*s)) * 16777619u;
    return h;
}

static bool
same_addr(const char *a, const char *b)
{
    return ascii_strcasecmp(a, b) == 0;
}

/* A slot holds the address's hash in its high half and index + 1 in its low half, so a
   probe touches the entry itself only when the hashes match. */
static void
hash_put(struct subs *s, size_t idx)
{
    uint32_t h = hash_str(s->v[idx].addr);
    size_t mask = s->hcap - 1, i;

    for (i = h & mask; s->hash[i] != 0; i = (i + 1) & mask)
        ;
    s->hash[i] = (uint64_t)h << 32 | ((uint64_t)idx + 1);
}

/* Size the table for want entries at most half full, and put the current ones back. */
static void
hash_reserve(struct subs *s, size_t want)
{
    size_t ncap = 1024;

    while (ncap < want * 2)
        ncap *= 2;
    if (ncap <= s->hcap)
        return;
    free(s->hash);
    s->hash = xcalloc(ncap, sizeof(*s->hash));
    s->hcap = ncap;
    for (size_t j = 0; j < s->n; j++)
        hash_put(s, j);
}

/* Index entry idx (already counted in s->n). */
static void
hash_insert(struct subs *s, size_t idx)
{
    if (s->n * 2 > s->hcap) {
        s->n--;                 /* rebuild without the new entry, then add it */
        hash_reserve(s, (s->n + 1) * 2);
        s->n++;
    }
    hash_put(s, idx);
}

static struct subscriber *
find_canon(const struct subs *s, const char *canon)
{
    size_t mask, i;
    uint32_t h;

    if (s->hcap == 0)
        return NULL;
    h = hash_str(canon);
    mask = s->hcap - 1;
    for (i = h & mask; s->hash[i] != 0; i = (i + 1) & mask) {
        size_t idx = (uint32_t)s->hash[i] - 1;

        if ((uint32_t)(s->hash[i] >> 32) == h && same_addr(s->v[idx].addr, canon))
            return &s->v[idx];
    }
    return NULL;
}

struct subscriber *
subs_find(const struct subs *s, const char *email)
{
    char canon[ADDR_BUF];
    const char *why;

    if (addr_check(email, strlen(email), canon, &why) == -1)
        return NULL;
    return find_canon(s, canon);
}

/* ---- parsing ------------------------------------------------------------------------ */

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

static void
problem(struct parser *p, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
problem(struct parser *p, int line, int col, const char *fmt, ...)
{
    struct diag one = DIAG_INIT;
    va_list ap;

    if (p->fast) {
        p->bail = true;         /* libyaml will read it again and say what is wrong */
        return;
    }
    p->s->nerrors++;
    va_start(ap, fmt);
    one.code = EX_DATAERR;
    one.line = line;
    one.col = col;
    vsnprintf(one.msg, sizeof(one.msg), fmt, ap);
    va_end(ap);
    snprintf(one.path, sizeof(one.path), "%s", p->s->path);
    if (!diag_is_set(p->d))
        *p->d = one;
    if (p->rep != NULL && p->rep->cb != NULL && p->s->nerrors <= SUBS_MAX_ERRORS)
        p->rep->cb(p->rep->ctx, &one);
}

static int
next(struct parser *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&p->yp, ev)) {
        problem(p, (int)p->yp.problem_mark.line + 1, (int)p->yp.problem_mark.column + 1,
            "YAML syntax error: %s%s%s",
            p->yp.problem ? p->yp.problem : "unknown problem",
            p->yp.context ? " " : "", p->yp.context ? p->yp.context : "");
        p->fatal = true;
        return -1;
    }
    if (ev->type == YAML_NO_EVENT) {
        /* past the end of the stream: no caller's loop may wait for ever */
        problem(p, (int)p->yp.mark.line + 1, 1, "unexpected end of the file");
        p->fatal = true;
        return -1;
    }
    return 0;
}

#define MLINE(m) ((int)(m).line + 1)
#define MCOL(m) ((int)(m).column + 1)

/* Consume the rest of a node whose start event was ev (for error recovery). */
static int
skip_node(struct parser *p, const yaml_event_t *ev)
{
    int depth;

    if (ev->type != YAML_SEQUENCE_START_EVENT && ev->type != YAML_MAPPING_START_EVENT)
        return 0;
    for (depth = 1; depth > 0;) {
        yaml_event_t e;

        if (next(p, &e) == -1)
            return -1;
        if (e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT)
            depth++;
        else if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT)
            depth--;
        yaml_event_delete(&e);
    }
    return 0;
}

static void
rs_free(struct rscalar *r)
{
    if (!r->borrowed)
        free(r->s);
    r->s = NULL;
    r->borrowed = false;
}

static void
take_scalar(struct parser *p, struct rscalar *r, const yaml_event_t *ev)
{
    rs_free(r);
    r->borrowed = false;
    r->s = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
    r->len = ev->data.scalar.length;
    r->line = MLINE(ev->start_mark);
    r->col = MCOL(ev->start_mark);
    r->b0 = bytepos(&p->pos, ev->start_mark.index);
    r->b1 = bytepos(&p->pos, ev->end_mark.index);
    r->set = true;
    if (r->b1 > p->e.last)
        p->e.last = r->b1;
}

static bool
is_null_scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;

    return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (ev->data.scalar.length == 0 ||
        strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
        strcmp(v, "NULL") == 0);
}

static void
entry_reset(struct rentry *e)
{
    rs_free(&e->email);
    rs_free(&e->name);
    rs_free(&e->status);
    rs_free(&e->at);
    for (size_t i = 0; i < e->ntags; i++)
        rs_free(&e->tags[i]);
    for (size_t i = 0; i < e->nf; i++) {
        rs_free(&e->fk[i]);
        rs_free(&e->fv[i]);
    }
    /* not memset(e): the arrays are large and only their first ntags/nf items count */
    memset(e, 0, offsetof(struct rentry, tags));
    e->ntags = e->nf = 0;
    e->bad = false;
}

static bool
has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

/* YYYY-MM-DD, optionally THH:MM[:SS[.frac]] and Z or +-HH:MM (RFC 3339 / ISO 8601). */
static bool
is_timestamp(const char *s)
{
    int n = 0;

#define DIGITS(k) do {                                                  \
        for (int i_ = 0; i_ < (k); i_++, n++)                           \
            if (!IS_DIGIT(s[n]))                                        \
                return false;                                           \
    } while (0)
    DIGITS(4);
    if (s[n++] != '-')
        return false;
    DIGITS(2);
    if (s[n++] != '-')
        return false;
    DIGITS(2);
    if (s[n] == '\0')
        return true;
    if (s[n] != 'T' && s[n] != 't' && s[n] != ' ')
        return false;
    n++;
    DIGITS(2);
    if (s[n++] != ':')
        return false;
    DIGITS(2);
    if (s[n] == ':') {
        n++;
        DIGITS(2);
        if (s[n] == '.') {
            n++;
            DIGITS(1);
            while (IS_DIGIT(s[n]))
                n++;
        }
    }
    if (s[n] == '\0' || ((s[n] == 'Z' || s[n] == 'z') && s[n + 1] == '\0'))
        return true;
    if (s[n] != '+' && s[n] != '-')
        return false;
    n++;
    DIGITS(2);
    if (s[n] == ':')
        n++;
    DIGITS(2);
    return s[n] == '\0';
#undef DIGITS
}

static const char *
intern_tag(struct parser *p, const char *t, size_t n)
{
    for (size_t i = 0; i < p->ntagv; i++)
        if (strncmp(p->tagv[i], t, n) == 0 && p->tagv[i][n] == '\0')
            return p->tagv[i];
    if (p->ntagv == p->tagcap) {
        p->tagcap = p->tagcap ? p->tagcap * 2 : 16;
        p->tagv = xreallocarray(p->tagv, p->tagcap, sizeof(*p->tagv));
    }
    return p->tagv[p->ntagv++] = arena_strndup(&p->s->arena, t, n);
}

static bool
is_field_key(const char *k)
{
    if (*k == '\0')
        return false;
    for (; *k; k++)
        if (!IS_ALNUM(*k) && *k != '_' && *k != '-')
            return false;
    return true;
}

/* Validate the gathered entry and store it. */
static void
finish_entry(struct parser *p)
{
    struct rentry *e = &p->e;
    struct subs *s = p->s;
    struct subscriber *sub, *dup;
    char canon[ADDR_BUF];
    const char *why;
    size_t b0, dash;
    int st = SUBS_ACTIVE;
    bool bad = false;

    if (!e->email.set) {
        problem(p, e->line, e->col, "this subscriber has no email; add \"email: "
            "name@example.org\"");
        return;
    }
    if (addr_check(e->email.s, e->email.len, canon, &why) == -1) {
        problem(p, e->email.line, e->email.col, "\"%s\" is not a valid address: %s",
            has_control(e->email.s, e->email.len) ? "(with control characters)" : e->email.s,
            why);
        return;
    }
    if ((dup = find_canon(s, canon)) != NULL) {
        problem(p, e->email.line, e->email.col, "%s is on the list already (line %u); "
            "keep one entry per address", e->email.s, (unsigned)dup->line);
        return;
    }
    if (e->status.set && (st = subs_status_parse(e->status.s)) == -1) {
        const char *best = NULL;
        int bestd = 4;

        for (int i = 0; i < SUBS_NSTATUS; i++) {
            int dd = edit_distance(e->status.s, status_names[i]);

            if (dd < bestd) {
                bestd = dd;
                best = status_names[i];
            }
        }
        if (best != NULL)
            problem(p, e->status.line, e->status.col, "unknown status \"%s\"; did you mean "
                "\"%s\"? (active, pending, unsubscribed or bounced)", e->status.s, best);
        else
            problem(p, e->status.line, e->status.col, "unknown status \"%s\"; write active, "
                "pending, unsubscribed or bounced", e->status.s);
        return;
    }
    if (e->at.set && !is_timestamp(e->at.s)) {
        problem(p, e->at.line, e->at.col, "subscribed_at \"%s\" is not a date; write it as "
            "2026-01-31 or 2026-01-31T09:30:00Z", e->at.s);
        return;
    }
    if (e->name.set && has_control(e->name.s, e->name.len)) {
        problem(p, e->name.line, e->name.col, "the name holds a control character or line "
            "break; write it on one line");
        return;
    }
    for (size_t i = 0; i < e->ntags; i++)
        if (e->tags[i].len == 0 || has_control(e->tags[i].s, e->tags[i].len)) {
            problem(p, e->tags[i].line, e->tags[i].col, "a tag must be a non-empty word on "
                "one line");
            bad = true;
        }
    for (size_t i = 0; i < e->nf; i++) {
        if (!is_field_key(e->fk[i].s)) {
            problem(p, e->fk[i].line, e->fk[i].col, "field name \"%s\" is not usable in "
                "templates; use letters, digits, _ and -", e->fk[i].s);
            bad = true;
        } else if (has_control(e->fv[i].s, e->fv[i].len)) {
            problem(p, e->fv[i].line, e->fv[i].col, "field \"%s\" holds a control character "
                "or line break; write it on one line", e->fk[i].s);
            bad = true;
        }
    }
    if (bad)
        return;

    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap + s->cap / 2 : 256;
        s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
    }
    sub = &s->v[s->n];
    memset(sub, 0, sizeof(*sub));
    sub->email = arena_strndup(&s->arena, e->email.s, e->email.len);
    sub->addr = strcmp(canon, sub->email) == 0 ? sub->email : arena_strdup(&s->arena, canon);
    sub->name = e->name.set ? arena_strndup(&s->arena, e->name.s, e->name.len) : "";
    sub->subscribed_at = e->at.set ? arena_strndup(&s->arena, e->at.s, e->at.len) : "";
    sub->status = (uint8_t)st;
    sub->flow = e->flow;
    sub->line = (uint32_t)e->line;
    if (e->ntags > 0) {
        sub->tags = arena_alloc(&s->arena, e->ntags * sizeof(*sub->tags));
        for (size_t i = 0; i < e->ntags; i++)
            sub->tags[i] = intern_tag(p, e->tags[i].s, e->tags[i].len);
        sub->ntags = (uint16_t)e->ntags;
    }
    if (e->nf > 0) {
        sub->fields = arena_alloc(&s->arena, e->nf * sizeof(*sub->fields));
        for (size_t i = 0; i < e->nf; i++) {
            sub->fields[i].key = intern_tag(p, e->fk[i].s, e->fk[i].len);
            sub->fields[i].val = arena_strndup(&s->arena, e->fv[i].s, e->fv[i].len);
        }
        sub->nfields = (uint16_t)e->nf;
    }
    /* The span: from the line of the "-" before the map to the end of its last line. */
    b0 = e->b0;
    dash = b0;
    while (dash > 0 && (s->text[dash - 1] == ' ' || s->text[dash - 1] == '\n' ||
        s->text[dash - 1] == '\r' || s->text[dash - 1] == '\t'))
        dash--;
    if (dash > 0 && s->text[dash - 1] == '-') {
        dash--;
        s->dash_col = (int)(dash - line_start(s->text, dash));
        if (line_start(s->text, dash) == line_start(s->text, b0) && !e->flow)
            s->key_col = (int)(b0 - line_start(s->text, b0));
        else
            s->key_col = s->dash_col + 2;
    }
    sub->key_col = (uint8_t)(s->key_col < 255 ? s->key_col : 255);
    sub->start = line_start(s->text, dash);
    sub->len = (uint32_t)(line_end(s->text, s->len, e->last) - sub->start);
    if (e->status.set) {
        sub->st_off = (uint32_t)(e->status.b0 - sub->start);
        sub->st_len = (uint32_t)(e->status.b1 - e->status.b0);
    }
    s->append_at = sub->start + sub->len;
    s->n++;
    hash_insert(s, s->n - 1);
}

/* One subscriber map; ev is its MAPPING_START. */
static int
parse_entry(struct parser *p, const yaml_event_t *start)
{
    struct rentry *e = &p->e;

    entry_reset(e);
    e->line = MLINE(start->start_mark);
    e->col = MCOL(start->start_mark);
    e->b0 = bytepos(&p->pos, start->start_mark.index);
    e->last = e->b0;
    e->flow = start->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
    for (;;) {
        yaml_event_t k, v;
        const char *key;
        size_t ki;
        int kl, kc;

        if (next(p, &k) == -1)
            return -1;
        if (k.type == YAML_MAPPING_END_EVENT) {
            if (e->flow)
                e->last = bytepos(&p->pos, k.end_mark.index);
            yaml_event_delete(&k);
            break;
        }
        kl = MLINE(k.start_mark);
        kc = MCOL(k.start_mark);
        if (k.type != YAML_SCALAR_EVENT) {
            problem(p, kl, kc, "keys of a subscriber are plain words such as email or name");
            if (skip_node(p, &k) == -1 || next(p, &v) == -1 || skip_node(p, &v) == -1) {
                yaml_event_delete(&k);
                return -1;
            }
            yaml_event_delete(&k);
            yaml_event_delete(&v);
            e->bad = true;
            continue;
        }
        key = (const char *)k.data.scalar.value;
        for (ki = 0; ki < ARRAY_LEN(entry_keys); ki++)
            if (strcmp(key, entry_keys[ki]) == 0)
                break;
        if (next(p, &v) == -1) {
            yaml_event_delete(&k);
            return -1;
        }
        if (ki == ARRAY_LEN(entry_keys)) {
            const char *best = NULL;
            int bestd = 3;

            for (size_t i = 0; i < ARRAY_LEN(entry_keys); i++) {
                int dd = edit_distance(key, entry_keys[i]);

                if (dd < bestd) {
                    bestd = dd;
                    best = entry_keys[i];
                }
            }
            if (best != NULL)
                problem(p, kl, kc, "unknown key \"%s\"; did you mean \"%s\"?", key, best);
            else
                problem(p, kl, kc, "unknown key \"%s\"; a subscriber has email, name, status, "
                    "tags, fields and subscribed_at (put your own data under fields:)", key);
            goto bad;
        }
        if ((ki == 0 && e->email.set) || (ki == 1 && e->name.set) ||
            (ki == 2 && e->status.set) || (ki == 5 && e->at.set)) {
            problem(p, kl, kc, "key \"%s\" appears twice in this subscriber", key);
            goto bad;
        }
        if (ki == 0 || ki == 1 || ki == 2 || ki == 5) {
            struct rscalar *r = ki == 0 ? &e->email : ki == 1 ? &e->name :
                ki == 2 ? &e->status : &e->at;

            if (v.type != YAML_SCALAR_EVENT) {
                problem(p, MLINE(v.start_mark), MCOL(v.start_mark), "%s must be a single "
                    "value, not a list or a map", key);
                goto bad;
            }
            take_scalar(p, r, &v);
            if (is_null_scalar(&v) && ki != 1) {
                problem(p, MLINE(v.start_mark), MCOL(v.start_mark), "%s is empty; give a "
                    "value or remove the key", key);
                goto bad;
            }
            if (is_null_scalar(&v)) {       /* "name:" with nothing: no name */
                r->len = 0;
                r->s[0] = '\0';
            }
        } else if (ki == 3) {               /* tags: [a, b] or a block list, or one word */
            if (v.type == YAML_SCALAR_EVENT) {
                if (!is_null_scalar(&v))
                    take_scalar(p, &e->tags[e->ntags++], &v);
                else if (bytepos(&p->pos, v.end_mark.index) > e->last)
                    e->last = bytepos(&p->pos, v.end_mark.index);
            } else if (v.type == YAML_SEQUENCE_START_EVENT) {
                bool flow = v.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;

                for (;;) {
                    yaml_event_t t;

                    if (next(p, &t) == -1)
                        goto fatal;
                    if (t.type == YAML_SEQUENCE_END_EVENT) {
                        if (flow && bytepos(&p->pos, t.end_mark.index) > e->last)
                            e->last = bytepos(&p->pos, t.end_mark.index);
                        yaml_event_delete(&t);
                        break;
                    }
                    if (t.type != YAML_SCALAR_EVENT || e->ntags == SUBS_MAX_TAGS) {
                        problem(p, MLINE(t.start_mark), MCOL(t.start_mark), e->ntags ==
                            SUBS_MAX_TAGS ? "too many tags (at most 256)" :
                            "each tag is a single word");
                        e->bad = true;
                        if (skip_node(p, &t) == -1) {
                            yaml_event_delete(&t);
                            goto fatal;
                        }
                    } else
                        take_scalar(p, &e->tags[e->ntags++], &t);
                    yaml_event_delete(&t);
                }
            } else {
                problem(p, MLINE(v.start_mark), MCOL(v.start_mark), "tags must be a list "
                    "such as [weekly, tech]");
                goto bad;
            }
        } else {                            /* fields: a map of name: value */
            if (v.type == YAML_SCALAR_EVENT && is_null_scalar(&v)) {
                if (bytepos(&p->pos, v.end_mark.index) > e->last)
                    e->last = bytepos(&p->pos, v.end_mark.index);
            } else if (v.type == YAML_MAPPING_START_EVENT) {
                bool flow = v.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;

                for (;;) {
                    yaml_event_t fk, fv;

                    if (next(p, &fk) == -1)
                        goto fatal;
                    if (fk.type == YAML_MAPPING_END_EVENT) {
                        if (flow && bytepos(&p->pos, fk.end_mark.index) > e->last)
                            e->last = bytepos(&p->pos, fk.end_mark.index);
                        yaml_event_delete(&fk);
                        break;
                    }
                    if ((fk.type != YAML_SCALAR_EVENT && skip_node(p, &fk) == -1) ||
                        next(p, &fv) == -1) {
                        yaml_event_delete(&fk);
                        goto fatal;
                    }
                    if (fk.type != YAML_SCALAR_EVENT || fv.type != YAML_SCALAR_EVENT ||
                        e->nf == SUBS_MAX_FIELDS) {
                        problem(p, MLINE(fv.start_mark), MCOL(fv.start_mark), e->nf ==
                            SUBS_MAX_FIELDS ? "too many fields (at most 256)" :
                            "each field is name: value, with a single value");
                        e->bad = true;
                        if (skip_node(p, &fv) == -1) {
                            yaml_event_delete(&fk);
                            yaml_event_delete(&fv);
                            goto fatal;
                        }
                    } else {
                        take_scalar(p, &e->fk[e->nf], &fk);
                        take_scalar(p, &e->fv[e->nf], &fv);
                        e->nf++;
                    }
                    yaml_event_delete(&fk);
                    yaml_event_delete(&fv);
                }
            } else {
                problem(p, MLINE(v.start_mark), MCOL(v.start_mark), "fields must be a map "
                    "such as {city: Lyon}");
                goto bad;
            }
        }
        yaml_event_delete(&k);
        yaml_event_delete(&v);
        continue;
bad:
        e->bad = true;
        if (skip_node(p, &v) == -1)
            goto fatal;
        yaml_event_delete(&k);
        yaml_event_delete(&v);
        /* keep reading the rest of this map so later problems are reported too */
        continue;
fatal:
        yaml_event_delete(&k);
        yaml_event_delete(&v);
        return -1;
    }
    if (!e->bad)
        finish_entry(p);
    return 0;
}

/* The list of subscribers; start is its SEQUENCE_START. */
static int
parse_list(struct parser *p, const yaml_event_t *start)
{
    bool flow = start->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    size_t count = 0;

    for (;;) {
        yaml_event_t ev;

        if (next(p, &ev) == -1)
            return -1;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            if (flow && count == 0) {
                p->s->empty_start = bytepos(&p->pos, start->start_mark.index);
                p->s->empty_end = bytepos(&p->pos, ev.end_mark.index);
                p->s->append_at = line_end(p->s->text, p->s->len, p->s->empty_end);
            } else if (flow)
                p->s->shape = SHAPE_FLOW;
            yaml_event_delete(&ev);
            return 0;
        }
        count++;
        if (ev.type == YAML_MAPPING_START_EVENT) {
            if (parse_entry(p, &ev) == -1) {
                yaml_event_delete(&ev);
                return -1;
            }
        } else {
            problem(p, MLINE(ev.start_mark), MCOL(ev.start_mark), "each subscriber is a map "
                "such as \"- email: name@example.org\"");
            if (skip_node(p, &ev) == -1) {
                yaml_event_delete(&ev);
                return -1;
            }
        }
        yaml_event_delete(&ev);
    }
}

static int
parse_doc(struct parser *p)
{
    struct subs *s = p->s;
    yaml_event_t ev;
    int rc = -1;

    do {
        if (next(p, &ev) == -1)
            return -1;
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;               /* empty file */
        }
        if (ev.type == YAML_DOCUMENT_START_EVENT || ev.type == YAML_STREAM_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        break;
    } while (1);

    if (ev.type == YAML_SEQUENCE_START_EVENT) {
        s->shape = SHAPE_ROOT_SEQ;
        s->dash_col = 0;
        s->key_col = 2;
        rc = parse_list(p, &ev);
    } else if (ev.type == YAML_MAPPING_START_EVENT) {
        s->shape = SHAPE_KEY_SEQ;
        rc = 0;
        for (;;) {
            yaml_event_t k, v;

            if (next(p, &k) == -1) {
                rc = -1;
                break;
            }
            if (k.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&k);
                break;
            }
            /* a key that is a list or a map: skip all of it before its value */
            if (k.type != YAML_SCALAR_EVENT && skip_node(p, &k) == -1) {
                yaml_event_delete(&k);
                rc = -1;
                break;
            }
            if (next(p, &v) == -1) {
                yaml_event_delete(&k);
                rc = -1;
                break;
            }
            if (k.type != YAML_SCALAR_EVENT ||
                strcmp((const char *)k.data.scalar.value, "subscribers") != 0) {
                const char *key = k.type == YAML_SCALAR_EVENT ?
                    (const char *)k.data.scalar.value : "?";

                problem(p, MLINE(k.start_mark), MCOL(k.start_mark), "unknown key \"%s\"%s; "
                    "the file holds one key, subscribers:, with the list under it", key,
                    edit_distance(key, "subscribers") <= 3 ? " (did you mean \"subscribers\"?)"
                    : "");
                if (skip_node(p, &v) == -1)
                    rc = -1;
            } else if (v.type == YAML_SEQUENCE_START_EVENT) {
                s->dash_col = 2;
                s->key_col = 4;
                rc = parse_list(p, &v);
            } else if (v.type == YAML_SCALAR_EVENT && is_null_scalar(&v)) {
                size_t b0 = bytepos(&p->pos, v.start_mark.index);
                size_t b1 = bytepos(&p->pos, v.end_mark.index);

                s->dash_col = 2;
                s->key_col = 4;
                s->empty_start = b0;
                s->empty_end = b1;
                s->append_at = line_end(s->text, s->len, b1 > b0 ? b1 :
                    bytepos(&p->pos, k.end_mark.index));
            } else {
                problem(p, MLINE(v.start_mark), MCOL(v.start_mark), "subscribers: must be "
                    "a list of entries such as \"- email: name@example.org\"");
                if (skip_node(p, &v) == -1)
                    rc = -1;
            }
            yaml_event_delete(&k);
            yaml_event_delete(&v);
            if (rc == -1)
                break;
        }
    } else if (ev.type == YAML_SCALAR_EVENT && is_null_scalar(&ev)) {
        rc = 0;                     /* "~" or a document of comments */
    } else {
        problem(p, MLINE(ev.start_mark), MCOL(ev.start_mark), "expected \"subscribers:\" "
            "followed by a list of entries");
        rc = skip_node(p, &ev);
    }
    yaml_event_delete(&ev);
    if (rc == -1)
        return -1;
    /* Only one document: a second one would be silently ignored otherwise. */
    for (;;) {
        if (next(p, &ev) == -1)
            return -1;
        if (ev.type == YAML_DOCUMENT_START_EVENT) {
            problem(p, MLINE(ev.start_mark), MCOL(ev.start_mark), "a second YAML document "
                "(---) is not allowed; keep one list");
            yaml_event_delete(&ev);
            return -1;
        }
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        yaml_event_delete(&ev);
    }
}


/* ---- the fast path ------------------------------------------------------------------ */

/*
 * Nearly every list is written in one plain block style.  This reads that subset
 * directly, several times faster than libyaml's event parser.  At the first thing outside
 * the subset, and at any problem at all, it gives up and the file is read again through
 * libyaml, which then reports the problem with its position.  Both paths must give the
 * same list, spans included: the unit tests and the fuzzer compare them.
 */
#define FAST_SCRATCH 65536      /* one entry's scalars; a bigger entry takes libyaml */

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
static int
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

/* A rough count of entries ("-" first on a line) to size the arrays once. */
static size_t
estimate(const char *text, size_t len)
{
    size_t n = 0;

    for (const char *c = text, *end = text + len; c < end;) {
        const char *nl = memchr(c, '\n', (size_t)(end - c));

        while (c < end && *c == ' ')
            c++;
        n += c < end && *c == '-';
        c = nl ? nl + 1 : end;
    }
    return n;
}

static void
reset(struct subs *s)
{
    arena_fini(&s->arena);
    s->n = 0;
    if (s->hash != NULL)
        memset(s->hash, 0, s->hcap * sizeof(*s->hash));
    s->shape = SHAPE_EMPTY;
    s->dash_col = 2;
    s->key_col = 4;
    s->append_at = s->len;
    s->empty_start = s->empty_end = 0;
}

/* Parse text (NUL-terminated, len bytes), which the list takes over. */
static struct subs *
parse_owned(char *text, size_t len, const char *path, int flags,
    const struct subs_report *rep, struct diag *d)
{
    struct parser p;
    struct subs *s = xcalloc(1, sizeof(*s));
    size_t guess;
    int rc;

    s->path = xstrdup(path);
    s->text = text;
    s->len = len;
    reset(s);
    memset(&p, 0, sizeof(p));
    p.s = s;
    p.rep = rep;
    p.d = d;
    if (!utf8_is_valid(text, len)) {
        problem(&p, 0, 0, "not valid UTF-8; save the file as UTF-8");
        goto fail;
    }
    guess = estimate(text, len);
    if (guess > 0) {
        s->cap = guess + 1;
        s->v = xreallocarray(NULL, s->cap, sizeof(*s->v));
        hash_reserve(s, guess + 1);
    }
    if (!(flags & SUBS_NO_FAST)) {
        p.fast = true;
        p.scratch = xmalloc(FAST_SCRATCH);
        rc = parse_fast(&p);
        entry_reset(&p.e);
        free(p.scratch);
        p.scratch = NULL;
        p.fast = false;
        if (rc == 0) {
            s->fast = true;
            goto done;
        }
        reset(s);               /* start again with libyaml */
        p.ntagv = 0;
        p.bail = false;
    }
    p.pos.text = s->text;
    p.pos.len = len;
    p.pos.ascii = true;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] >= 0x80) {
            p.pos.ascii = false;
            break;
        }
    yaml_parser_initialize(&p.yp);
    yaml_parser_set_input_string(&p.yp, (const unsigned char *)s->text, len);
    rc = parse_doc(&p);
    yaml_parser_delete(&p.yp);
    entry_reset(&p.e);
    if (rc == -1 || s->nerrors > 0)
        goto fail;
done:
    free(p.tagv);
    return s;
fail:
    free(p.tagv);
    entry_reset(&p.e);
    diag_path(d, path);
    subs_free(s);
    return NULL;
}

struct subs *
subs_parse(const char *text, size_t len, const char *path, int flags,
    const struct subs_report *rep, struct diag *d)
{
    return parse_owned(xstrndup(text, len), len, path, flags, rep, d);
}

struct subs *
subs_load(const char *path, int flags, const struct subs_report *rep, struct diag *d)
{
    size_t len;
    char *text = read_file(path, &len);

    if (text == NULL) {
        if (errno == ENOENT && (flags & SUBS_MISSING_OK))
            return subs_parse("", 0, path, flags, rep, d);
        diag_set(d, EX_NOINPUT, "cannot read the subscriber list: %s", strerror(errno));
        diag_path(d, path);
        return NULL;
    }
    return parse_owned(text, len, path, flags, rep, d);
}

void
subs_free(struct subs *s)
{
    if (s == NULL)
        return;
    arena_fini(&s->arena);
    free(s->v);
    free(s->hash);
    free(s->text);
    free(s->path);
    free(s);
}

/* ---- writing ------------------------------------------------------------------------ */

static void
spaces(struct buf *out, int n)
{
    for (int i = 0; i < n; i++)
        buf_addc(out, ' ');
}

void
subs_render_entry(struct buf *out, const struct subscriber *sub, int dash_col, int key_col)
{
    if (key_col <= dash_col)
        key_col = dash_col + 2;
    spaces(out, dash_col);
    buf_addc(out, '-');
    spaces(out, key_col - dash_col - 1);
    buf_adds(out, "email: ");
    value_yaml_scalar(out, sub->email, strlen(sub->email));
    buf_addc(out, '\n');
    if (sub->name[0] != '\0') {
        spaces(out, key_col);
        buf_adds(out, "name: ");
        value_yaml_scalar(out, sub->name, strlen(sub->name));
        buf_addc(out, '\n');
    }
    spaces(out, key_col);
    buf_addf(out, "status: %s\n", subs_status_name(sub->status));
    if (sub->ntags > 0) {
        spaces(out, key_col);
        buf_adds(out, "tags: [");
        for (size_t i = 0; i < sub->ntags; i++) {
            if (i)
                buf_adds(out, ", ");
            value_yaml_scalar(out, sub->tags[i], strlen(sub->tags[i]));
        }
        buf_adds(out, "]\n");
    }
    if (sub->subscribed_at[0] != '\0') {
        spaces(out, key_col);
        buf_adds(out, "subscribed_at: ");
        value_yaml_scalar(out, sub->subscribed_at, strlen(sub->subscribed_at));
        buf_addc(out, '\n');
    }
    if (sub->nfields > 0) {
        spaces(out, key_col);
        buf_adds(out, "fields:\n");
        for (size_t i = 0; i < sub->nfields; i++) {
            spaces(out, key_col + 2);
            value_yaml_scalar(out, sub->fields[i].key, strlen(sub->fields[i].key));
            buf_adds(out, ": ");
            value_yaml_scalar(out, sub->fields[i].val, strlen(sub->fields[i].val));
            buf_addc(out, '\n');
        }
    }
}

struct splice {
    size_t start, end;
    char *text;
};

static int
splice_cmp(const void *a, const void *b)
{
    const struct splice *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

struct edit {
    struct splice *v;
    size_t n, cap;
};

static void
edit_add(struct edit *ed, size_t start, size_t end, char *text)
{
    if (ed->n == ed->cap) {
        ed->cap = ed->cap ? ed->cap * 2 : 16;
        ed->v = xreallocarray(ed->v, ed->cap, sizeof(*ed->v));
    }
    ed->v[ed->n].start = start;
    ed->v[ed->n].end = end;
    ed->v[ed->n].text = text;
    ed->n++;
}

static void
now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Build the new state of sub (in a scratch subscriber) from a change; true if it differs. */
static bool
merge(struct subscriber *out, const struct subscriber *old, const struct subs_change *c,
    struct arena *tmp)
{
    bool changed = false;

    *out = *old;
    if (c->name != NULL && strcmp(c->name, old->name) != 0) {
        out->name = c->name;
        changed = true;
    }
    if (c->status >= 0 && c->status != old->status) {
        out->status = (uint8_t)c->status;
        changed = true;
    }
    if (c->tags != NULL) {
        bool same = c->ntags == old->ntags;

        for (size_t i = 0; same && i < c->ntags; i++)
            same = strcmp(c->tags[i], old->tags[i]) == 0;
        if (!same) {
            out->tags = (const char **)c->tags;
            out->ntags = (uint16_t)c->ntags;
            changed = true;
        }
    }
    if (c->fkeys != NULL && c->nfields > 0) {
        struct subs_field *f = arena_alloc(tmp, (old->nfields + c->nfields) * sizeof(*f));
        size_t n = old->nfields;

        if (old->nfields > 0)
            memcpy(f, old->fields, old->nfields * sizeof(*f));
        for (size_t i = 0; i < c->nfields; i++) {
            size_t j;

            for (j = 0; j < n; j++)
                if (strcmp(f[j].key, c->fkeys[i]) == 0)
                    break;
            if (j == n) {
                f[n].key = c->fkeys[i];
                f[n++].val = c->fvals[i];
                changed = true;
            } else if (strcmp(f[j].val, c->fvals[i]) != 0) {
                f[j].val = c->fvals[i];
                changed = true;
            }
        }
        out->fields = f;
        out->nfields = (uint16_t)n;
    }
    return changed;
}

static void
reject(struct subs_change *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reject(struct subs_change *c, const char *fmt, ...)
{
    va_list ap;

    c->done = SUBS_DONE_REJECTED;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof(c->why), fmt, ap);
    va_end(ap);
}

static bool
change_is_valid(struct subs_change *c)
{
    if (c->name != NULL && has_control(c->name, strlen(c->name))) {
        reject(c, "the name holds a control character or line break");
        return false;
    }
    for (size_t i = 0; c->tags != NULL && i < c->ntags; i++)
        if (c->tags[i][0] == '\0' || has_control(c->tags[i], strlen(c->tags[i]))) {
            reject(c, "a tag must be a non-empty word on one line");
            return false;
        }
    for (size_t i = 0; c->fkeys != NULL && i < c->nfields; i++) {
        if (!is_field_key(c->fkeys[i])) {
            reject(c, "field name \"%s\" is not usable in templates; use letters, digits, "
                "_ and -", c->fkeys[i]);
            return false;
        }
        if (has_control(c->fvals[i], strlen(c->fvals[i]))) {
            reject(c, "field \"%s\" holds a control character or line break", c->fkeys[i]);
            return false;
        }
    }
    if (c->ntags > SUBS_MAX_TAGS || c->nfields > SUBS_MAX_FIELDS) {
        reject(c, "too many tags or fields (at most 256 each)");
        return false;
    }
    if (c->subscribed_at != NULL && !is_timestamp(c->subscribed_at)) {
        reject(c, "subscribed_at \"%s\" is not a date; write it as 2026-01-31 or "
            "2026-01-31T09:30:00Z", c->subscribed_at);
        return false;
    }
    return true;
}

int
subs_apply(const char *path, struct subs_change *ch, size_t n, int wait_ms, struct diag *d)
{
    struct edit ed = { NULL, 0, 0 };
    struct arena tmp = ARENA_INIT;
    struct subs *s = NULL, *check = NULL;
    struct buf added, text;
    struct diag cd = DIAG_INIT;
    char now[32];
    uint8_t *touched = NULL;
    /* addresses added in this batch, to refuse a second ADD of the same one */
    char **newaddr = xcalloc(n ? n : 1, sizeof(char *));
    size_t nnew = 0;
    int lockfd, rc = -1;
    bool dirty = false;

    buf_init(&added, 0);
    buf_init(&text, 0);
    now_iso(now);
    if ((lockfd = lock_file(path, wait_ms, d)) == -1)
        goto out;
    if ((s = subs_load(path, SUBS_MISSING_OK, NULL, d)) == NULL)
        goto out;
    touched = xcalloc(s->n ? s->n : 1, 1);
    for (size_t i = 0; i < n; i++) {
        struct subs_change *c = &ch[i];
        char canon[ADDR_BUF];
        const char *why;
        struct subscriber *sub, nsub;
        size_t idx;
        bool isnew = false;

        c->why[0] = '\0';
        c->notfound = false;
        if (addr_check(c->email, strlen(c->email), canon, &why) == -1) {
            reject(c, "\"%s\" is not a valid address: %s", has_control(c->email,
                strlen(c->email)) ? "(with control characters)" : c->email, why);
            continue;
        }
        if (!change_is_valid(c))
            continue;
        for (size_t j = 0; j < nnew; j++)
            if (same_addr(newaddr[j], canon))
                isnew = true;
        if (isnew) {
            reject(c, "%s appears twice in this change", c->email);
            continue;
        }
        sub = find_canon(s, canon);
        if (sub != NULL && touched[sub - s->v]) {
            reject(c, "%s appears twice in this change", c->email);
            continue;
        }
        if (sub != NULL && s->shape == SHAPE_FLOW) {
            reject(c, "the list is written as a flow list [...]; write one entry per line "
                "(\"- email: ...\") for gazette to edit it");
            continue;
        }
        if (sub == NULL) {
            if (c->op == SUBS_REMOVE || c->op == SUBS_SET_STATUS) {
                reject(c, "%s is not on the list; see 'gazette subscribers list'", c->email);
                c->notfound = true;
                continue;
            }
            if (s->shape == SHAPE_FLOW) {
                reject(c, "the list is written as a flow list [...]; write one entry per "
                    "line (\"- email: ...\") for gazette to edit it");
                continue;
            }
            memset(&nsub, 0, sizeof(nsub));
            nsub.email = c->email;
            nsub.addr = canon;
            nsub.name = c->name ? c->name : "";
            nsub.status = (uint8_t)(c->status >= 0 ? c->status : SUBS_ACTIVE);
            nsub.tags = (const char **)c->tags;
            nsub.ntags = c->tags ? (uint16_t)c->ntags : 0;
            nsub.subscribed_at = c->subscribed_at ? c->subscribed_at : now;
            if (c->fkeys != NULL) {
                nsub.fields = arena_alloc(&tmp, (c->nfields ? c->nfields : 1) *
                    sizeof(*nsub.fields));
                for (size_t j = 0; j < c->nfields; j++) {
                    nsub.fields[j].key = c->fkeys[j];
                    nsub.fields[j].val = c->fvals[j];
                }
                nsub.nfields = (uint16_t)c->nfields;
            }
            subs_render_entry(&added, &nsub, s->dash_col, s->key_col);
            newaddr[nnew++] = arena_strdup(&tmp, canon);
            c->done = SUBS_DONE_ADDED;
            dirty = true;
            continue;
        }
        idx = (size_t)(sub - s->v);
        switch (c->op) {
        case SUBS_ADD:
            reject(c, "%s is on the list already (line %u, %s)", c->email,
                (unsigned)sub->line, subs_status_name(sub->status));
            continue;
        case SUBS_REMOVE:
            edit_add(&ed, sub->start, sub->start + sub->len, NULL);
            c->done = SUBS_DONE_REMOVED;
            break;
        case SUBS_SET_STATUS:
            if (sub->status == c->status) {
                c->done = SUBS_DONE_UNCHANGED;
                continue;
            }
            if (sub->st_len > 0) {
                edit_add(&ed, sub->start + sub->st_off, sub->start + sub->st_off + sub->st_len,
                    arena_strdup(&tmp, subs_status_name((enum subs_status)c->status)));
            } else if (!sub->flow) {
                struct buf line;

                buf_init(&line, 0);
                spaces(&line, sub->key_col);
                buf_addf(&line, "status: %s\n", subs_status_name((enum subs_status)c->status));
                /* at the end of the entry, which ends with a newline (or the file's end) */
                if (s->text[sub->start + sub->len - 1] != '\n') {
                    edit_add(&ed, sub->start + sub->len, sub->start + sub->len,
                        arena_strdup(&tmp, "\n"));
                }
                edit_add(&ed, sub->start + sub->len, sub->start + sub->len,
                    arena_strdup(&tmp, buf_str(&line)));
                buf_fini(&line);
            } else {
                struct buf e;

                nsub = *sub;
                nsub.status = (uint8_t)c->status;
                buf_init(&e, 0);
                subs_render_entry(&e, &nsub, s->dash_col, s->key_col);
                edit_add(&ed, sub->start, sub->start + sub->len, arena_strdup(&tmp, buf_str(&e)));
                buf_fini(&e);
            }
            c->done = SUBS_DONE_UPDATED;
            break;
        case SUBS_UPSERT:
            if (!merge(&nsub, sub, c, &tmp)) {
                c->done = SUBS_DONE_UNCHANGED;
                continue;
            } else {
                struct buf e;

                buf_init(&e, 0);
                subs_render_entry(&e, &nsub, s->dash_col, s->key_col);
                edit_add(&ed, sub->start, sub->start + sub->len, arena_strdup(&tmp, buf_str(&e)));
                buf_fini(&e);
            }
            c->done = SUBS_DONE_UPDATED;
            break;
        }
        touched[idx] = 1;
        dirty = true;
    }
    if (!dirty) {
        rc = 0;
        goto out;
    }
    if (added.len > 0) {
        size_t at = s->append_at;
        struct buf pre;

        buf_init(&pre, 0);
        if (s->shape == SHAPE_EMPTY) {
            at = s->len;
            if (s->len > 0 && s->text[s->len - 1] != '\n')
                buf_addc(&pre, '\n');
            buf_adds(&pre, "subscribers:\n");
        } else if (at > 0 && s->text[at - 1] != '\n')
            buf_addc(&pre, '\n');
        if (s->empty_end > s->empty_start)
            edit_add(&ed, s->empty_start, s->empty_end, NULL);
        buf_add(&pre, buf_str(&added), added.len);
        edit_add(&ed, at, at, arena_strdup(&tmp, buf_str(&pre)));
        buf_fini(&pre);
    }
    qsort(ed.v, ed.n, sizeof(*ed.v), splice_cmp);
    {
        size_t pos = 0;

        for (size_t i = 0; i < ed.n; i++) {
            buf_add(&text, s->text + pos, ed.v[i].start - pos);
            if (ed.v[i].text != NULL)
                buf_adds(&text, ed.v[i].text);
            pos = ed.v[i].end;
        }
        buf_add(&text, s->text + pos, s->len - pos);
    }
    /* Never write a file we could not read back. */
    if ((check = subs_parse(buf_str(&text), text.len, path, 0, NULL, &cd)) == NULL) {
        char msg[DIAG_PATH_MAX + DIAG_MSG_MAX + 32];

        diag_set(d, EX_SOFTWARE, "internal error: the edited list would not read back (%s); "
            "the file was not changed", diag_format(&cd, msg, sizeof(msg)));
        goto out;
    }
    if (atomic_replace(path, buf_str(&text), text.len, d) == -1)
        goto out;
    rc = 0;
out:
    lock_release(lockfd);
    subs_free(s);
    subs_free(check);
    buf_fini(&added);
    buf_fini(&text);
    free(ed.v);
    free(newaddr);
    free(touched);
    arena_fini(&tmp);
    return rc;
}
