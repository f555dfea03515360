/*
 * subs: subscribers.yaml -> struct subs (one arena).  This file validates and stores each
 * entry both readers gather (fast.c first, yaml.c when it gives up) and frees the list;
 * index.c finds addresses, edit.c splices changes back, csv.c reads imports.
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

#include "subs_int.h"
#include "text.h"

static const char *const status_names[SUBS_NSTATUS] = {
    "active", "pending", "unsubscribed", "bounced",
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

size_t
line_start(const char *text, size_t b)
{
    while (b > 0 && text[b - 1] != '\n')
        b--;
    return b;
}

size_t
line_end(const char *text, size_t len, size_t b)
{
    const char *nl = memchr(text + b, '\n', len - b);

    return nl ? (size_t)(nl - text) + 1 : len;
}

void
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
    diag_vsetat(&one, EX_DATAERR, line, col, fmt, ap);
    va_end(ap);
    diag_path(&one, p->s->path);
    if (!diag_is_set(p->d))
        *p->d = one;
    if (p->rep != NULL && p->rep->cb != NULL && p->s->nerrors <= SUBS_MAX_ERRORS)
        p->rep->cb(p->rep->ctx, &one);
}

void
rs_free(struct rscalar *r)
{
    if (!r->borrowed)
        free(r->s);
    r->s = NULL;
    r->borrowed = false;
}

void
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

/* YYYY-MM-DD, optionally THH:MM[:SS[.frac]] and Z or +-HH:MM (RFC 3339 / ISO 8601). */
bool
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

bool
is_field_key(const char *k)
{
    if (*k == '\0')
        return false;
    for (; *k; k++)
        if (!IS_ALNUM(*k) && *k != '_' && *k != '-')
            return false;
    return true;
}

/* Whether the gathered entry is a valid subscriber (each problem reported); *st its status. */
static bool
entry_ok(struct parser *p, char *canon, int *st)
{
    struct rentry *e = &p->e;
    struct subs *s = p->s;
    struct subscriber *dup;
    const char *why;
    bool bad = false;

    *st = SUBS_ACTIVE;
    if (!e->email.set) {
        problem(p, e->line, e->col, "this subscriber has no email; add \"email: "
            "name@example.org\"");
        return false;
    }
    if (addr_check(e->email.s, e->email.len, canon, &why) == -1) {
        problem(p, e->email.line, e->email.col, "\"%s\" is not a valid address: %s",
            text_has_control(e->email.s, e->email.len) ? "(with control characters)" : e->email.s,
            why);
        return false;
    }
    if ((dup = find_canon(s, canon)) != NULL) {
        problem(p, e->email.line, e->email.col, "%s is on the list already (line %u); "
            "keep one entry per address", e->email.s, (unsigned)dup->line);
        return false;
    }
    if (e->status.set && (*st = subs_status_parse(e->status.s)) == -1) {
        const char *best = text_did_you_mean(e->status.s, status_names, SUBS_NSTATUS, 3);

        if (best != NULL)
            problem(p, e->status.line, e->status.col, "unknown status \"%s\"; did you mean "
                "\"%s\"? (active, pending, unsubscribed or bounced)", e->status.s, best);
        else
            problem(p, e->status.line, e->status.col, "unknown status \"%s\"; write active, "
                "pending, unsubscribed or bounced", e->status.s);
        return false;
    }
    if (e->at.set && !is_timestamp(e->at.s)) {
        problem(p, e->at.line, e->at.col, "subscribed_at \"%s\" is not a date; write it as "
            "2026-01-31 or 2026-01-31T09:30:00Z", e->at.s);
        return false;
    }
    if (e->name.set && text_has_control(e->name.s, e->name.len)) {
        problem(p, e->name.line, e->name.col, "the name holds a control character or line "
            "break; write it on one line");
        return false;
    }
    for (size_t i = 0; i < e->ntags; i++)
        if (e->tags[i].len == 0 || text_has_control(e->tags[i].s, e->tags[i].len)) {
            problem(p, e->tags[i].line, e->tags[i].col, "a tag must be a non-empty word on "
                "one line");
            bad = true;
        }
    for (size_t i = 0; i < e->nf; i++) {
        if (!is_field_key(e->fk[i].s)) {
            problem(p, e->fk[i].line, e->fk[i].col, "field name \"%s\" is not usable in "
                "templates; use letters, digits, _ and -", e->fk[i].s);
            bad = true;
        } else if (text_has_control(e->fv[i].s, e->fv[i].len)) {
            problem(p, e->fv[i].line, e->fv[i].col, "field \"%s\" holds a control character "
                "or line break; write it on one line", e->fk[i].s);
            bad = true;
        }
        for (size_t k = 0; k < i; k++)      /* at most SUBS_MAX_FIELDS: a scan will do */
            if (e->fk[k].len == e->fk[i].len &&
                memcmp(e->fk[k].s, e->fk[i].s, e->fk[i].len) == 0) {
                problem(p, e->fk[i].line, e->fk[i].col, "field \"%s\" appears twice; keep "
                    "one", e->fk[i].s);
                bad = true;
                break;
            }
    }
    return !bad;
}

/* Where the entry is in the text: from the line of the "-" before its map to the end of
   its last line, and the columns its keys are at (for edits in the same style). */
static void
entry_span(struct subs *s, const struct rentry *e, struct subscriber *sub)
{
    size_t b0 = e->b0, dash = b0;

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
}

/* Validate the gathered entry and store it. */
void
finish_entry(struct parser *p)
{
    struct rentry *e = &p->e;
    struct subs *s = p->s;
    struct subscriber *sub;
    char canon[ADDR_BUF];
    int st;

    if (!entry_ok(p, canon, &st))
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
    entry_span(s, e, sub);
    s->append_at = sub->start + sub->len;
    s->n++;
    hash_insert(s, s->n - 1);
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
    p.pos.ci = 0;
    p.pos.base = p.pos.bi = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    for (size_t i = p.pos.base; i < len; i++)
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
        diag_set(d, EX_NOINPUT, "cannot read the subscriber list: %s",
            read_file_strerror(errno));
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
