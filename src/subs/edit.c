/*
 * subs editor: changes spliced into the file's bytes under a lock, replaced atomically;
 * the rest of the file (comments, order, formatting) stays byte for byte.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "arena.h"
#include "atomic.h"
#include "buf.h"
#include "diag.h"
#include "lock.h"
#include "log.h"
#include "subs.h"
#include "util.h"
#include "value.h"

#include "subs_int.h"
#include "text.h"

static void
spaces(struct buf *out, int n)
{
    for (int i = 0; i < n; i++)
        buf_putc(out, ' ');
}

void
subs_render_entry(struct buf *out, const struct subscriber *sub, int dash_col, int key_col)
{
    if (key_col <= dash_col)
        key_col = dash_col + 2;
    spaces(out, dash_col);
    buf_putc(out, '-');
    spaces(out, key_col - dash_col - 1);
    buf_puts(out, "email: ");
    value_yaml_scalar(out, sub->email, strlen(sub->email));
    buf_putc(out, '\n');
    if (sub->name[0] != '\0') {
        spaces(out, key_col);
        buf_puts(out, "name: ");
        value_yaml_scalar(out, sub->name, strlen(sub->name));
        buf_putc(out, '\n');
    }
    spaces(out, key_col);
    buf_putf(out, "status: %s\n", subs_status_name(sub->status));
    if (sub->ntags > 0) {
        spaces(out, key_col);
        buf_puts(out, "tags: [");
        for (size_t i = 0; i < sub->ntags; i++) {
            if (i)
                buf_puts(out, ", ");
            value_yaml_scalar(out, sub->tags[i], strlen(sub->tags[i]));
        }
        buf_puts(out, "]\n");
    }
    if (sub->subscribed_at[0] != '\0') {
        spaces(out, key_col);
        buf_puts(out, "subscribed_at: ");
        value_yaml_scalar(out, sub->subscribed_at, strlen(sub->subscribed_at));
        buf_putc(out, '\n');
    }
    if (sub->nfields > 0) {
        spaces(out, key_col);
        buf_puts(out, "fields:\n");
        for (size_t i = 0; i < sub->nfields; i++) {
            spaces(out, key_col + 2);
            value_yaml_scalar(out, sub->fields[i].key, strlen(sub->fields[i].key));
            buf_puts(out, ": ");
            value_yaml_scalar(out, sub->fields[i].val, strlen(sub->fields[i].val));
            buf_putc(out, '\n');
        }
    }
}

struct splice {
    size_t start, end;
    char *text;
    size_t seq;                 /* insertions at one offset keep the order they were made */
};

static int
splice_cmp(const void *a, const void *b)
{
    const struct splice *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
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
    ed->v[ed->n].seq = ed->n;
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

/* ---- an update that keeps the entry's comments and style (import's upserts) ------------
 * A block entry is edited key by key: a changed value is replaced where it stands (its
 * comment after it stays), a new key gets a line of its own; a flow entry {...} is written
 * again as a flow map.  What this cannot edit in place (a multi-line scalar, say) makes it
 * return false, and the entry is written again in block style as before. */

struct kline {
    char key[32];
    size_t line, vstart, vend, end;     /* offsets in the file: the line's start, the value's
                                           span (comment and trailing blanks excluded), and
                                           the end of the key's last continuation line */
    bool cont;                          /* has continuation lines (block list or map) */
};

/* The end of a value on the line [p, le): before a " #" comment outside quotes. */
static const char *
value_end(const char *p, const char *le)
{
    char q = 0;
    const char *e;

    for (e = p; e < le; e++) {
        if (q != 0) {
            if (*e == q)
                q = 0;
        } else if (*e == '"' || *e == '\'')
            q = *e;
        else if (*e == '#' && (e == p || e[-1] == ' ' || e[-1] == '\t'))
            break;
    }
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    return e;
}

/* The top-level keys of a block entry, at column key_col.  Returns their count. */
static size_t
entry_keys(const struct subs *s, const struct subscriber *sub, struct kline *k, size_t max)
{
    const char *t = s->text, *p = t + sub->start, *end = p + sub->len;
    size_t n = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *q = p;
        int col = 0;

        while (q < le && (*q == ' ' || (*q == '-' && n == 0 && p == t + sub->start))) {
            q++;
            col++;
        }
        if (col == sub->key_col && q < le && *q != '#') {
            const char *colon = memchr(q, ':', (size_t)(le - q)), *v;

            if (colon == NULL || n == max || (size_t)(colon - q) >= sizeof(k[n].key))
                return SIZE_MAX;
            memcpy(k[n].key, q, (size_t)(colon - q));
            k[n].key[colon - q] = '\0';
            for (v = colon + 1; v < le && (*v == ' ' || *v == '\t'); v++)
                ;
            k[n].line = (size_t)(p - t);
            k[n].vstart = (size_t)(v - t);
            k[n].vend = (size_t)(value_end(v, le) - t);
            k[n].end = (size_t)((nl ? nl + 1 : end) - t);
            k[n].cont = false;
            n++;
        } else if (n > 0 && (col > sub->key_col || q == le || *q == '#')) {
            if (q < le && *q != '#') {
                k[n - 1].cont = true;
                k[n - 1].end = (size_t)((nl ? nl + 1 : end) - t);
            }
        } else if (n > 0)
            return SIZE_MAX;                /* something we do not understand */
        p = nl ? nl + 1 : end;
    }
    return n;
}

static const struct kline *
kfind(const struct kline *k, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(k[i].key, key) == 0)
            return &k[i];
    return NULL;
}

static void
flow_list(struct buf *b, const char *const *v, size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ", ");
        value_yaml_scalar(b, v[i], strlen(v[i]));
    }
    buf_putc(b, ']');
}

static void
flow_fields(struct buf *b, const struct subscriber *x)
{
    buf_putc(b, '{');
    for (size_t i = 0; i < x->nfields; i++) {
        if (i)
            buf_puts(b, ", ");
        value_yaml_scalar(b, x->fields[i].key, strlen(x->fields[i].key));
        buf_puts(b, ": ");
        value_yaml_scalar(b, x->fields[i].val, strlen(x->fields[i].val));
    }
    buf_putc(b, '}');
}

static const char *
field_val(const struct subscriber *x, const char *key)
{
    for (size_t i = 0; i < x->nfields; i++)
        if (strcmp(x->fields[i].key, key) == 0)
            return x->fields[i].val;
    return NULL;
}

/* A flow entry "- {email: ..., ...}": the map written again, on its line. */
static bool
update_flow(const struct subs *s, const struct subscriber *sub, const struct subscriber *x,
    struct edit *ed, struct arena *tmp)
{
    const char *p = s->text + sub->start, *end = p + sub->len, *open, *close = NULL;
    int depth = 0;
    char q = 0;
    struct buf b;

    if ((open = memchr(p, '{', (size_t)(end - p))) == NULL)
        return false;
    for (const char *c = open; c < end && close == NULL; c++) {
        if (q != 0) {
            if (*c == q)
                q = 0;
        } else if (*c == '"' || *c == '\'')
            q = *c;
        else if (*c == '{')
            depth++;
        else if (*c == '}' && --depth == 0)
            close = c;
    }
    if (close == NULL)
        return false;
    buf_init(&b, 0);
    buf_puts(&b, "{email: ");
    value_yaml_scalar(&b, x->email, strlen(x->email));
    if (x->name[0] != '\0') {
        buf_puts(&b, ", name: ");
        value_yaml_scalar(&b, x->name, strlen(x->name));
    }
    buf_putf(&b, ", status: %s", subs_status_name(x->status));
    if (x->ntags > 0) {
        buf_puts(&b, ", tags: ");
        flow_list(&b, x->tags, x->ntags);
    }
    if (x->subscribed_at[0] != '\0') {
        buf_puts(&b, ", subscribed_at: ");
        value_yaml_scalar(&b, x->subscribed_at, strlen(x->subscribed_at));
    }
    if (x->nfields > 0) {
        buf_puts(&b, ", fields: ");
        flow_fields(&b, x);
    }
    buf_putc(&b, '}');
    edit_add(ed, (size_t)(open - s->text), (size_t)(close + 1 - s->text),
        arena_strdup(tmp, buf_str(&b)));
    buf_fini(&b);
    return true;
}

/* The fields block of a block entry: each changed value replaced, each new key added. */
static bool
update_fields(const struct subs *s, const struct kline *f, const struct subscriber *old,
    const struct subscriber *x, struct edit *ed, struct arena *tmp)
{
    const char *t = s->text, *p = t + f->line, *end = t + f->end;
    int child = -1;
    struct buf add;

    p = memchr(p, '\n', (size_t)(end - p));
    p = p ? p + 1 : end;
    buf_init(&add, 0);
    for (const char *l = p; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l)), *le = nl ? nl : end, *q = l;

        while (q < le && *q == ' ')
            q++;
        if (q < le && *q != '#') {
            const char *colon = memchr(q, ':', (size_t)(le - q)), *v;

            if (child == -1)
                child = (int)(q - l);
            if (colon == NULL || (int)(q - l) != child) {
                buf_fini(&add);
                return false;               /* a nested map or a multi-line value */
            }
            for (size_t i = 0; i < x->nfields; i++) {
                const char *k = x->fields[i].key, *ov = field_val(old, k);

                if (strlen(k) != (size_t)(colon - q) || memcmp(q, k, strlen(k)) != 0 ||
                    (ov != NULL && strcmp(ov, x->fields[i].val) == 0))
                    continue;
                for (v = colon + 1; v < le && *v == ' '; v++)
                    ;
                buf_reset(&add);
                value_yaml_scalar(&add, x->fields[i].val, strlen(x->fields[i].val));
                edit_add(ed, (size_t)(v - t), (size_t)(value_end(v, le) - t),
                    arena_strdup(tmp, buf_str(&add)));
            }
        }
        l = nl ? nl + 1 : end;
    }
    if (child == -1) {
        buf_fini(&add);
        return false;
    }
    buf_reset(&add);
    for (size_t i = 0; i < x->nfields; i++) {
        if (field_val(old, x->fields[i].key) != NULL)
            continue;
        spaces(&add, child);
        value_yaml_scalar(&add, x->fields[i].key, strlen(x->fields[i].key));
        buf_puts(&add, ": ");
        value_yaml_scalar(&add, x->fields[i].val, strlen(x->fields[i].val));
        buf_putc(&add, '\n');
    }
    if (add.len > 0) {
        if (t[f->end - 1] != '\n')
            edit_add(ed, f->end, f->end, arena_strdup(tmp, "\n"));
        edit_add(ed, f->end, f->end, arena_strdup(tmp, buf_str(&add)));
    }
    buf_fini(&add);
    return true;
}

/* One update_in_place() call: the entry, its new values, the splices, the lines to add. */
struct inplace {
    const struct subs *s;
    const struct subscriber *sub, *x;
    struct edit *ed;
    struct arena *tmp;
    struct buf tail;                        /* new keys, written after the entry's last */
};

/* A new name: the value's bytes, or a line of its own under the email line e. */
static bool
name_in_place(struct inplace *u, const struct kline *e, const struct kline *kn)
{
    struct buf v;

    if (kn != NULL && kn->cont)
        return false;
    buf_init(&v, 0);
    value_yaml_scalar(&v, u->x->name, strlen(u->x->name));
    if (kn != NULL)
        edit_add(u->ed, kn->vstart, kn->vend, arena_strdup(u->tmp, buf_str(&v)));
    else {                                  /* a line of its own, under the email */
        struct buf line;

        buf_init(&line, 0);
        if (u->s->text[e->end - 1] != '\n')
            buf_putc(&line, '\n');
        spaces(&line, u->sub->key_col);
        buf_putf(&line, "name: %s\n", buf_str(&v));
        edit_add(u->ed, e->end, e->end, arena_strdup(u->tmp, buf_str(&line)));
        buf_fini(&line);
    }
    buf_fini(&v);
    return true;
}

/* A new status: the value's bytes, or a line for the tail. */
static bool
status_in_place(struct inplace *u, const struct kline *ks)
{
    if (ks != NULL && ks->cont)
        return false;
    if (ks != NULL)
        edit_add(u->ed, ks->vstart, ks->vend,
            arena_strdup(u->tmp, subs_status_name(u->x->status)));
    else {
        spaces(&u->tail, u->sub->key_col);
        buf_putf(&u->tail, "status: %s\n", subs_status_name(u->x->status));
    }
    return true;
}

/* New tags: the items of a block list, a flow list's bytes, or a line for the tail. */
static bool
tags_in_place(struct inplace *u, const struct kline *kt)
{
    const struct subscriber *x = u->x;
    struct buf v;

    buf_init(&v, 0);
    if (kt != NULL && kt->cont) {
        /* a block list: the items again, indented as the first one was */
        const char *l = memchr(u->s->text + kt->line, '\n', kt->end - kt->line), *q;
        int ind;

        if (l == NULL) {
            buf_fini(&v);
            return false;
        }
        for (q = ++l; *q == ' '; q++)
            ;
        ind = (int)(q - l);
        for (size_t i = 0; i < x->ntags; i++) {
            spaces(&v, ind);
            buf_puts(&v, "- ");
            value_yaml_scalar(&v, x->tags[i], strlen(x->tags[i]));
            buf_putc(&v, '\n');
        }
        edit_add(u->ed, (size_t)(l - u->s->text), kt->end, arena_strdup(u->tmp, buf_str(&v)));
    } else if (kt != NULL) {
        flow_list(&v, x->tags, x->ntags);
        edit_add(u->ed, kt->vstart, kt->vend, arena_strdup(u->tmp, buf_str(&v)));
    } else {
        spaces(&u->tail, u->sub->key_col);
        buf_puts(&u->tail, "tags: ");
        flow_list(&u->tail, x->tags, x->ntags);
        buf_putc(&u->tail, '\n');
    }
    buf_fini(&v);
    return true;
}

/* New fields: in a block map (update_fields()), a flow map's bytes, or a block for the tail. */
static bool
fields_in_place(struct inplace *u, const struct kline *kf)
{
    const struct subscriber *x = u->x;

    if (kf != NULL && kf->cont) {
        if (!update_fields(u->s, kf, u->sub, x, u->ed, u->tmp))
            return false;
    } else if (kf != NULL) {
        struct buf v;

        buf_init(&v, 0);
        flow_fields(&v, x);
        edit_add(u->ed, kf->vstart, kf->vend, arena_strdup(u->tmp, buf_str(&v)));
        buf_fini(&v);
    } else if (x->nfields > 0) {
        spaces(&u->tail, u->sub->key_col);
        buf_puts(&u->tail, "fields:\n");
        for (size_t i = 0; i < x->nfields; i++) {
            spaces(&u->tail, u->sub->key_col + 2);
            value_yaml_scalar(&u->tail, x->fields[i].key, strlen(x->fields[i].key));
            buf_puts(&u->tail, ": ");
            value_yaml_scalar(&u->tail, x->fields[i].val, strlen(x->fields[i].val));
            buf_putc(&u->tail, '\n');
        }
    }
    return true;
}

/* The tail's lines after the entry's last key kl (comments and blank lines after it stay
   after it). */
static void
tail_in_place(struct inplace *u, const struct kline *kl)
{
    size_t at = kl->end, entry_end = u->sub->start + u->sub->len;

    if (at > entry_end)
        at = entry_end;
    if (u->s->text[at - 1] != '\n')
        edit_add(u->ed, at, at, arena_strdup(u->tmp, "\n"));
    edit_add(u->ed, at, at, arena_strdup(u->tmp, buf_str(&u->tail)));
}

/*
 * The changed keys of sub (now x) spliced into its lines, comments and style kept; false
 * (nothing added) when the entry is not simple enough, and is then written again whole.
 */
static bool
update_in_place(const struct subs *s, const struct subscriber *sub,
    const struct subscriber *x, struct edit *ed, struct arena *tmp)
{
    struct inplace u = { .s = s, .sub = sub, .x = x, .ed = ed, .tmp = tmp };
    struct kline k[16];
    size_t n;
    const struct kline *e;
    size_t nsplice = ed->n;
    bool ok = false, tags_same = x->ntags == sub->ntags;

    if (sub->flow)
        return update_flow(s, sub, x, ed, tmp);
    if ((n = entry_keys(s, sub, k, ARRAY_LEN(k))) == SIZE_MAX || n == 0 ||
        (e = kfind(k, n, "email")) == NULL || e->cont)
        return false;
    for (size_t i = 0; tags_same && i < x->ntags; i++)
        tags_same = strcmp(x->tags[i], sub->tags[i]) == 0;
    buf_init(&u.tail, 0);
    if ((strcmp(x->name, sub->name) != 0 && !name_in_place(&u, e, kfind(k, n, "name"))) ||
        (x->status != sub->status && !status_in_place(&u, kfind(k, n, "status"))) ||
        (!tags_same && !tags_in_place(&u, kfind(k, n, "tags"))) ||
        ((x->nfields != sub->nfields || x->fields != sub->fields) &&
        !fields_in_place(&u, kfind(k, n, "fields"))))
        goto out;
    if (u.tail.len > 0)
        tail_in_place(&u, &k[n - 1]);
    ok = true;
out:
    if (!ok)
        ed->n = nsplice;                    /* drop what was added for this entry */
    buf_fini(&u.tail);
    return ok;
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
    if (c->name != NULL && text_has_control(c->name, strlen(c->name))) {
        reject(c, "the name holds a control character or line break");
        return false;
    }
    for (size_t i = 0; c->tags != NULL && i < c->ntags; i++)
        if (c->tags[i][0] == '\0' || text_has_control(c->tags[i], strlen(c->tags[i]))) {
            reject(c, "a tag must be a non-empty word on one line");
            return false;
        }
    for (size_t i = 0; c->fkeys != NULL && i < c->nfields; i++) {
        if (!is_field_key(c->fkeys[i])) {
            reject(c, "field name \"%s\" is not usable in templates; use letters, digits, "
                "_ and -", c->fkeys[i]);
            return false;
        }
        if (text_has_control(c->fvals[i], strlen(c->fvals[i]))) {
            reject(c, "field \"%s\" holds a control character or line break", c->fkeys[i]);
            return false;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(c->fkeys[k], c->fkeys[i]) == 0) {
                reject(c, "field \"%s\" is given twice; give it once", c->fkeys[i]);
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

/* One subs_apply() call: the list as read, the splices so far, the new entries' text. */
struct apply {
    struct subs *s;
    struct edit ed;
    struct arena tmp;           /* strings the splices point to */
    struct buf added;           /* new entries, in the list's style */
    char now[32];
    uint8_t *touched;           /* per entry: changed already in this call */
    char **newaddr;             /* addresses added in this call */
    size_t nnew;
    bool dirty;
};

/* A change for an address not on the list: a new entry (ADD, UPSERT) or a rejection. */
static void
add_entry(struct apply *ap, struct subs_change *c, const char *canon)
{
    struct subscriber nsub;

    if (c->op == SUBS_REMOVE || c->op == SUBS_SET_STATUS) {
        reject(c, "%s is not on the list; see 'gazette subscribers list'", c->email);
        c->notfound = true;
        return;
    }
    if (ap->s->shape == SHAPE_FLOW) {
        reject(c, "the list is written as a flow list [...]; write one entry per "
            "line (\"- email: ...\") for gazette to edit it");
        return;
    }
    memset(&nsub, 0, sizeof(nsub));
    nsub.email = c->email;
    nsub.addr = canon;
    nsub.name = c->name ? c->name : "";
    nsub.status = (uint8_t)(c->status >= 0 ? c->status : SUBS_ACTIVE);
    nsub.tags = (const char **)c->tags;
    nsub.ntags = c->tags ? (uint16_t)c->ntags : 0;
    nsub.subscribed_at = c->subscribed_at ? c->subscribed_at : ap->now;
    if (c->fkeys != NULL) {
        nsub.fields = arena_alloc(&ap->tmp, (c->nfields ? c->nfields : 1) *
            sizeof(*nsub.fields));
        for (size_t j = 0; j < c->nfields; j++) {
            nsub.fields[j].key = c->fkeys[j];
            nsub.fields[j].val = c->fvals[j];
        }
        nsub.nfields = (uint16_t)c->nfields;
    }
    subs_render_entry(&ap->added, &nsub, ap->s->dash_col, ap->s->key_col);
    ap->newaddr[ap->nnew++] = arena_strdup(&ap->tmp, canon);
    c->done = SUBS_DONE_ADDED;
    ap->dirty = true;
}

/* Replace sub's whole entry with its rendering as nsub. */
static void
rerender(struct apply *ap, const struct subscriber *sub, const struct subscriber *nsub)
{
    struct buf e;

    buf_init(&e, 0);
    subs_render_entry(&e, nsub, ap->s->dash_col, ap->s->key_col);
    edit_add(&ap->ed, sub->start, sub->start + sub->len, arena_strdup(&ap->tmp, buf_str(&e)));
    buf_fini(&e);
}

/* A new status for sub: the value's bytes, a line at the entry's end, or (flow) all of it. */
static void
set_status(struct apply *ap, const struct subscriber *sub, int status)
{
    const struct subs *s = ap->s;

    if (sub->st_len > 0) {
        edit_add(&ap->ed, sub->start + sub->st_off, sub->start + sub->st_off + sub->st_len,
            arena_strdup(&ap->tmp, subs_status_name((enum subs_status)status)));
    } else if (!sub->flow) {
        struct buf line;

        buf_init(&line, 0);
        spaces(&line, sub->key_col);
        buf_putf(&line, "status: %s\n", subs_status_name((enum subs_status)status));
        /* at the end of the entry, which ends with a newline (or the file's end) */
        if (s->text[sub->start + sub->len - 1] != '\n') {
            edit_add(&ap->ed, sub->start + sub->len, sub->start + sub->len,
                arena_strdup(&ap->tmp, "\n"));
        }
        edit_add(&ap->ed, sub->start + sub->len, sub->start + sub->len,
            arena_strdup(&ap->tmp, buf_str(&line)));
        buf_fini(&line);
    } else {
        struct subscriber nsub = *sub;

        nsub.status = (uint8_t)status;
        rerender(ap, sub, &nsub);
    }
}

/* A change for an entry on the list. */
static void
change_entry(struct apply *ap, struct subs_change *c, struct subscriber *sub)
{
    struct subscriber nsub;

    switch (c->op) {
    case SUBS_ADD:
        reject(c, "%s is on the list already (line %u, %s)", c->email,
            (unsigned)sub->line, subs_status_name(sub->status));
        return;
    case SUBS_REMOVE:
        edit_add(&ap->ed, sub->start, sub->start + sub->len, NULL);
        c->done = SUBS_DONE_REMOVED;
        break;
    case SUBS_SET_STATUS:
        if (sub->status == c->status) {
            c->done = SUBS_DONE_UNCHANGED;
            return;
        }
        set_status(ap, sub, c->status);
        c->done = SUBS_DONE_UPDATED;
        break;
    case SUBS_UPSERT:
        if (!merge(&nsub, sub, c, &ap->tmp)) {
            c->done = SUBS_DONE_UNCHANGED;
            return;
        }
        if (!update_in_place(ap->s, sub, &nsub, &ap->ed, &ap->tmp))
            rerender(ap, sub, &nsub);       /* else: done, comments and style kept */
        c->done = SUBS_DONE_UPDATED;
        break;
    }
    ap->touched[sub - ap->s->v] = 1;
    ap->dirty = true;
}

/* One change: checked, then an edit of its entry or a new one (or rejected). */
static void
apply_one(struct apply *ap, struct subs_change *c)
{
    char canon[ADDR_BUF];
    const char *why;
    struct subscriber *sub;

    c->why[0] = '\0';
    c->notfound = false;
    if (addr_check(c->email, strlen(c->email), canon, &why) == -1) {
        reject(c, "\"%s\" is not a valid address: %s", text_has_control(c->email,
            strlen(c->email)) ? "(with control characters)" : c->email, why);
        return;
    }
    if (!change_is_valid(c))
        return;
    for (size_t j = 0; j < ap->nnew; j++)
        if (same_addr(ap->newaddr[j], canon)) {
            reject(c, "%s appears twice in this change", c->email);
            return;
        }
    sub = find_canon(ap->s, canon);
    if (sub != NULL && ap->touched[sub - ap->s->v]) {
        reject(c, "%s appears twice in this change", c->email);
        return;
    }
    if (sub != NULL && ap->s->shape == SHAPE_FLOW) {
        reject(c, "the list is written as a flow list [...]; write one entry per line "
            "(\"- email: ...\") for gazette to edit it");
        return;
    }
    if (sub == NULL)
        add_entry(ap, c, canon);
    else
        change_entry(ap, c, sub);
}

/* The new entries go after the last one (or under a new "subscribers:"). */
static void
append_added(struct apply *ap)
{
    const struct subs *s = ap->s;
    size_t at = s->append_at;
    struct buf pre;

    if (ap->added.len == 0)
        return;
    buf_init(&pre, 0);
    if (s->shape == SHAPE_EMPTY) {
        at = s->len;
        if (s->len > 0 && s->text[s->len - 1] != '\n')
            buf_putc(&pre, '\n');
        buf_puts(&pre, "subscribers:\n");
    } else if (at > 0 && s->text[at - 1] != '\n')
        buf_putc(&pre, '\n');
    if (s->empty_end > s->empty_start)
        edit_add(&ap->ed, s->empty_start, s->empty_end, NULL);
    buf_put(&pre, buf_str(&ap->added), ap->added.len);
    edit_add(&ap->ed, at, at, arena_strdup(&ap->tmp, buf_str(&pre)));
    buf_fini(&pre);
}

/* The file's bytes with every splice made, into text. */
static void
splice_all(struct apply *ap, struct buf *text)
{
    size_t pos = 0;

    qsort(ap->ed.v, ap->ed.n, sizeof(*ap->ed.v), splice_cmp);
    for (size_t i = 0; i < ap->ed.n; i++) {
        buf_put(text, ap->s->text + pos, ap->ed.v[i].start - pos);
        if (ap->ed.v[i].text != NULL)
            buf_puts(text, ap->ed.v[i].text);
        pos = ap->ed.v[i].end;
    }
    buf_put(text, ap->s->text + pos, ap->s->len - pos);
}

/* Never write a file we could not read back. */
static int
write_checked(const char *path, const struct buf *text, struct diag *d)
{
    struct diag cd = DIAG_INIT;
    struct subs *check = subs_parse(buf_str(text), text->len, path, 0, NULL, &cd);

    if (check == NULL) {
        char msg[DIAG_PATH_MAX + DIAG_MSG_MAX + 32];

        diag_set(d, EX_SOFTWARE, "internal error: the edited list would not read back (%s); "
            "the file was not changed", diag_format(&cd, msg, sizeof(msg)));
        return -1;
    }
    subs_free(check);
    return atomic_replace(path, buf_str(text), text->len, d);
}

/*
 * The temporary files of edits that were killed (kill -9, SIGXFSZ) before their rename:
 * atomic_open()'s "LIST.tmp.PID.N" beside the list.  Called with the list's lock held, so
 * no other gazette edit of this list is under way and each one left is stale.
 */
static void
remove_stale_temps(const char *path)
{
    char *c1 = xstrdup(path), *c2 = xstrdup(path);
    const char *dir = dirname(c1), *base = basename(c2);
    size_t bl = strlen(base);
    DIR *dh = opendir(dir);
    struct dirent *de;

    while (dh != NULL && (de = readdir(dh)) != NULL) {
        const char *t = de->d_name;
        struct stat st;
        struct buf p;
        size_t k;

        if (strncmp(t, base, bl) != 0 || strncmp(t + bl, ".tmp.", 5) != 0)
            continue;
        t += bl + 5;
        for (k = 0; IS_DIGIT(t[k]); k++)
            ;
        if (k == 0 || t[k] != '.' || !IS_DIGIT(t[k + 1]))
            continue;
        for (k++; IS_DIGIT(t[k]); k++)
            ;
        if (t[k] != '\0')
            continue;
        buf_init(&p, 0);
        buf_putf(&p, "%s/%s", dir, de->d_name);
        if (lstat(buf_str(&p), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
            unlink(buf_str(&p)) == 0)
            log_info("removed %s, left by an edit that was killed", buf_str(&p));
        buf_fini(&p);
    }
    if (dh != NULL)
        closedir(dh);
    free(c1);
    free(c2);
}

/*
 * The file an edit writes: a symbolic link's target (a link is never replaced by a plain
 * file, and two paths to one list take one lock), else path.  Caller frees.  A list
 * nobody may write (mode 444) is refused, not rewritten: EX_NOPERM.
 */
static char *
edit_target(const char *path, struct diag *d)
{
    char real[PATH_MAX];
    struct stat st;

    if (lstat(path, &st) == -1)
        return xstrdup(path);               /* a new list */
    if (S_ISLNK(st.st_mode)) {
        if (realpath(path, real) == NULL) {
            diag_set(d, EX_NOINPUT, "%s is a symbolic link to nothing usable: %s", path,
                strerror(errno));
            return NULL;
        }
        if (stat(real, &st) == -1)
            return xstrdup(real);
        path = real;
    }
    if ((st.st_mode & 0222) == 0) {
        diag_set(d, EX_NOPERM, "%s is read-only (mode %03o); gazette does not rewrite it: "
            "'chmod u+w %s' to allow edits", path, (unsigned)(st.st_mode & 0777), path);
        return NULL;
    }
    return xstrdup(path);
}

/*
 * The list under the lock: loaded when the file still has its bytes, byte for byte (no
 * second parse), else a fresh parse of the file (and loaded is freed).  Always the
 * caller's to free.
 */
static struct subs *
locked_list(const char *path, struct subs *loaded, struct diag *d)
{
    size_t len;
    char *text;
    bool same;

    if (loaded == NULL)
        return subs_load(path, SUBS_MISSING_OK, NULL, d);
    if ((text = read_file(path, &len)) == NULL)
        same = errno == ENOENT && loaded->len == 0;
    else
        same = len == loaded->len && memcmp(text, loaded->text, len) == 0;
    free(text);
    if (same)
        return loaded;
    subs_free(loaded);                  /* changed since it was read: read it again */
    return subs_load(path, SUBS_MISSING_OK, NULL, d);
}

static int
apply_with(const char *path, struct subs *loaded, struct subs_change *ch, size_t n,
    int wait_ms, struct diag *d)
{
    struct apply ap;
    struct buf text;
    char *target;
    int lockfd = -1, rc = -1;

    if ((target = edit_target(path, d)) == NULL) {
        subs_free(loaded);
        return -1;
    }
    path = target;
    memset(&ap, 0, sizeof(ap));
    ap.tmp = (struct arena)ARENA_INIT;
    ap.newaddr = xcalloc(n ? n : 1, sizeof(char *));
    buf_init(&ap.added, 0);
    buf_init(&text, 0);
    now_iso(ap.now);
    ap.s = loaded;          /* ours from here: freed at out */
    if ((lockfd = lock_file(path, wait_ms, d)) == -1)
        goto out;
    remove_stale_temps(path);
    if ((ap.s = locked_list(path, ap.s, d)) == NULL)
        goto out;
    ap.touched = xcalloc(ap.s->n ? ap.s->n : 1, 1);
    for (size_t i = 0; i < n; i++)
        apply_one(&ap, &ch[i]);
    if (!ap.dirty) {
        rc = 0;
        goto out;
    }
    append_added(&ap);
    splice_all(&ap, &text);
    subs_free(ap.s);        /* not needed past the splice: the check reads a second copy */
    ap.s = NULL;
    if (write_checked(path, &text, d) == -1)
        goto out;
    rc = 0;
out:
    lock_release(lockfd);
    subs_free(ap.s);
    buf_fini(&ap.added);
    buf_fini(&text);
    free(ap.ed.v);
    free(ap.newaddr);
    free(ap.touched);
    arena_fini(&ap.tmp);
    free(target);
    return rc;
}

int
subs_apply(const char *path, struct subs_change *ch, size_t n, int wait_ms, struct diag *d)
{
    return apply_with(path, NULL, ch, n, wait_ms, d);
}

int
subs_apply_loaded(struct subs *loaded, const char *path, struct subs_change *ch, size_t n,
    int wait_ms, struct diag *d)
{
    return apply_with(path, loaded, ch, n, wait_ms, d);
}
