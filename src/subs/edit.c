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
