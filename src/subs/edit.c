/*
 * subs editor: changes spliced into the file's bytes under a lock, replaced atomically;
 * the rest of the file (comments, order, formatting) stays byte for byte.
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "addr.h"
#include "arena.h"
#include "atomic.h"
#include "buf.h"
#include "diag.h"
#include "lock.h"
#include "subs.h"
#include "util.h"
#include "value.h"

#include "subs_int.h"

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
        buf_addf(&line, "status: %s\n", subs_status_name((enum subs_status)status));
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
        rerender(ap, sub, &nsub);
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
        reject(c, "\"%s\" is not a valid address: %s", has_control(c->email,
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
            buf_addc(&pre, '\n');
        buf_adds(&pre, "subscribers:\n");
    } else if (at > 0 && s->text[at - 1] != '\n')
        buf_addc(&pre, '\n');
    if (s->empty_end > s->empty_start)
        edit_add(&ap->ed, s->empty_start, s->empty_end, NULL);
    buf_add(&pre, buf_str(&ap->added), ap->added.len);
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
        buf_add(text, ap->s->text + pos, ap->ed.v[i].start - pos);
        if (ap->ed.v[i].text != NULL)
            buf_adds(text, ap->ed.v[i].text);
        pos = ap->ed.v[i].end;
    }
    buf_add(text, ap->s->text + pos, ap->s->len - pos);
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

int
subs_apply(const char *path, struct subs_change *ch, size_t n, int wait_ms, struct diag *d)
{
    struct apply ap;
    struct buf text;
    int lockfd, rc = -1;

    memset(&ap, 0, sizeof(ap));
    ap.tmp = (struct arena)ARENA_INIT;
    ap.newaddr = xcalloc(n ? n : 1, sizeof(char *));
    buf_init(&ap.added, 0);
    buf_init(&text, 0);
    now_iso(ap.now);
    if ((lockfd = lock_file(path, wait_ms, d)) == -1)
        goto out;
    if ((ap.s = subs_load(path, SUBS_MISSING_OK, NULL, d)) == NULL)
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
    return rc;
}
