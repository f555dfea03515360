/*
 * subs libyaml reader: everything YAML allows, with positions.  libyaml marks count
 * characters, so they are converted to byte offsets as the parse goes (the file is UTF-8).
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "subs.h"
#include "util.h"

#include "subs_int.h"
#include "text.h"

static const char *const entry_keys[] = {
    "email", "name", "status", "tags", "fields", "subscribed_at",
};

static size_t
bytepos(struct pos *p, size_t ci)
{
    if (p->ascii)
        return ci + p->base < p->len ? ci + p->base : p->len;
    if (ci < p->ci) {
        p->ci = 0;
        p->bi = p->base;
    }
    while (p->ci < ci && p->bi < p->len) {
        p->bi++;
        while (p->bi < p->len && ((unsigned char)p->text[p->bi] & 0xc0) == 0x80)
            p->bi++;
        p->ci++;
    }
    return p->bi;
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

#define SUBS_YAML_DEPTH_MAX 64     /* levels of [ and { skipped before giving up */
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
        if ((e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT) &&
            ++depth > SUBS_YAML_DEPTH_MAX) {
            /* libyaml's time grows with the square of the nesting (it rechecks every
               open simple key per token): stop long before that matters */
            problem(p, MLINE(e.start_mark), MCOL(e.start_mark), "nesting deeper than %d "
                "levels; a subscriber list needs 4", SUBS_YAML_DEPTH_MAX);
            p->fatal = true;
            yaml_event_delete(&e);
            return -1;
        }
        else if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT)
            depth--;
        yaml_event_delete(&e);
    }
    return 0;
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

/* Which of entry_keys key is; ARRAY_LEN(entry_keys) (reported at kl:kc) when none. */
static size_t
key_index(struct parser *p, const char *key, int kl, int kc)
{
    const char *best;
    size_t ki;

    for (ki = 0; ki < ARRAY_LEN(entry_keys); ki++)
        if (strcmp(key, entry_keys[ki]) == 0)
            return ki;
    best = text_did_you_mean(key, entry_keys, ARRAY_LEN(entry_keys), 2);
    if (best != NULL)
        problem(p, kl, kc, "unknown key \"%s\"; did you mean \"%s\"?", key, best);
    else
        problem(p, kl, kc, "unknown key \"%s\"; a subscriber has email, name, status, "
            "tags, fields and subscribed_at (put your own data under fields:)", key);
    return ki;
}

/* Extend the entry's span to the end of an event. */
static void
span_to(struct parser *p, const yaml_mark_t *end)
{
    size_t b = bytepos(&p->pos, end->index);

    if (b > p->e.last)
        p->e.last = b;
}

/* email, name, status, subscribed_at: one scalar.  0, or -1 for a bad value (reported). */
static int
entry_scalar(struct parser *p, struct rscalar *r, const char *key, bool may_be_empty,
    const yaml_event_t *v)
{
    if (v->type != YAML_SCALAR_EVENT) {
        problem(p, MLINE(v->start_mark), MCOL(v->start_mark), "%s must be a single "
            "value, not a list or a map", key);
        return -1;
    }
    take_scalar(p, r, v);
    if (is_null_scalar(v) && !may_be_empty) {
        problem(p, MLINE(v->start_mark), MCOL(v->start_mark), "%s is empty; give a "
            "value or remove the key", key);
        return -1;
    }
    if (is_null_scalar(v)) {        /* "name:" with nothing: no name */
        r->len = 0;
        r->s[0] = '\0';
    }
    return 0;
}

/* tags: [a, b] or a block list, or one word.  0, 1 for a bad value (reported), -1 fatal. */
static int
entry_tags(struct parser *p, const yaml_event_t *v)
{
    struct rentry *e = &p->e;
    bool flow;

    if (v->type == YAML_SCALAR_EVENT) {
        if (!is_null_scalar(v))
            take_scalar(p, &e->tags[e->ntags++], v);
        else
            span_to(p, &v->end_mark);
        return 0;
    }
    if (v->type != YAML_SEQUENCE_START_EVENT) {
        problem(p, MLINE(v->start_mark), MCOL(v->start_mark), "tags must be a list "
            "such as [weekly, tech]");
        return 1;
    }
    flow = v->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    for (;;) {
        yaml_event_t t;

        if (next(p, &t) == -1)
            return -1;
        if (t.type == YAML_SEQUENCE_END_EVENT) {
            if (flow)
                span_to(p, &t.end_mark);
            yaml_event_delete(&t);
            return 0;
        }
        if (t.type != YAML_SCALAR_EVENT || e->ntags == SUBS_MAX_TAGS) {
            problem(p, MLINE(t.start_mark), MCOL(t.start_mark), e->ntags ==
                SUBS_MAX_TAGS ? "too many tags (at most 256)" :
                "each tag is a single word");
            e->bad = true;
            if (skip_node(p, &t) == -1) {
                yaml_event_delete(&t);
                return -1;
            }
        } else
            take_scalar(p, &e->tags[e->ntags++], &t);
        yaml_event_delete(&t);
    }
}

/* fields: a map of name: value.  0, 1 for a bad value (reported), -1 fatal. */
static int
entry_fields(struct parser *p, const yaml_event_t *v)
{
    struct rentry *e = &p->e;
    bool flow;

    if (v->type == YAML_SCALAR_EVENT && is_null_scalar(v)) {
        span_to(p, &v->end_mark);
        return 0;
    }
    if (v->type != YAML_MAPPING_START_EVENT) {
        problem(p, MLINE(v->start_mark), MCOL(v->start_mark), "fields must be a map "
            "such as {city: Lyon}");
        return 1;
    }
    flow = v->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
    for (;;) {
        yaml_event_t fk, fv;

        if (next(p, &fk) == -1)
            return -1;
        if (fk.type == YAML_MAPPING_END_EVENT) {
            if (flow)
                span_to(p, &fk.end_mark);
            yaml_event_delete(&fk);
            return 0;
        }
        if ((fk.type != YAML_SCALAR_EVENT && skip_node(p, &fk) == -1) ||
            next(p, &fv) == -1) {
            yaml_event_delete(&fk);
            return -1;
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
                return -1;
            }
        } else {
            take_scalar(p, &e->fk[e->nf], &fk);
            take_scalar(p, &e->fv[e->nf], &fv);
            e->nf++;
        }
        yaml_event_delete(&fk);
        yaml_event_delete(&fv);
    }
}

/* One key: value of an entry (the key event k is a scalar).  0, 1 bad, -1 fatal. */
static int
entry_pair(struct parser *p, const yaml_event_t *k, const yaml_event_t *v)
{
    struct rentry *e = &p->e;
    const char *key = (const char *)k->data.scalar.value;
    int kl = MLINE(k->start_mark), kc = MCOL(k->start_mark);
    size_t ki = key_index(p, key, kl, kc);

    if (ki == ARRAY_LEN(entry_keys))
        return 1;
    if ((ki == 0 && e->email.set) || (ki == 1 && e->name.set) ||
        (ki == 2 && e->status.set) || (ki == 5 && e->at.set)) {
        problem(p, kl, kc, "key \"%s\" appears twice in this subscriber", key);
        return 1;
    }
    if (ki == 0 || ki == 1 || ki == 2 || ki == 5) {
        struct rscalar *r = ki == 0 ? &e->email : ki == 1 ? &e->name :
            ki == 2 ? &e->status : &e->at;

        return entry_scalar(p, r, key, ki == 1, v) == -1 ? 1 : 0;
    }
    return ki == 3 ? entry_tags(p, v) : entry_fields(p, v);
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
        int rc;

        if (next(p, &k) == -1)
            return -1;
        if (k.type == YAML_MAPPING_END_EVENT) {
            if (e->flow)
                e->last = bytepos(&p->pos, k.end_mark.index);
            yaml_event_delete(&k);
            break;
        }
        if (k.type != YAML_SCALAR_EVENT) {
            problem(p, MLINE(k.start_mark), MCOL(k.start_mark), "keys of a subscriber are "
                "plain words such as email or name");
            if (skip_node(p, &k) == -1 || next(p, &v) == -1 || skip_node(p, &v) == -1) {
                yaml_event_delete(&k);
                return -1;
            }
            yaml_event_delete(&k);
            yaml_event_delete(&v);
            e->bad = true;
            continue;
        }
        if (next(p, &v) == -1) {
            yaml_event_delete(&k);
            return -1;
        }
        rc = entry_pair(p, &k, &v);
        /* a bad value: skip it, and keep reading the rest of this map so that later
           problems are reported too */
        if (rc == 1) {
            e->bad = true;
            if (skip_node(p, &v) == -1)
                rc = -1;
        }
        yaml_event_delete(&k);
        yaml_event_delete(&v);
        if (rc == -1)
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

/* The document's root node into ev, past the stream and document starts; 0: none (an
   empty file), 1: ev is set (the caller deletes it), -1: a YAML error. */
static int
root_node(struct parser *p, yaml_event_t *ev)
{
    for (;;) {
        if (next(p, ev) == -1)
            return -1;
        if (ev->type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(ev);
            return 0;               /* empty file */
        }
        if (ev->type != YAML_DOCUMENT_START_EVENT && ev->type != YAML_STREAM_START_EVENT)
            return 1;
        yaml_event_delete(ev);
    }
}

/*
 * One key k of the root map, with its value v: "subscribers:" and the list (or nothing).
 * *seen: a "subscribers:" came before (YAML keys are unique, YAML 1.2 3.2.1.1; other
 * readers would keep only the last list).
 */
static int
root_pair(struct parser *p, const yaml_event_t *k, yaml_event_t *v, bool *seen)
{
    struct subs *s = p->s;

    if (k->type == YAML_SCALAR_EVENT &&
        strcmp((const char *)k->data.scalar.value, "subscribers") == 0 && *seen) {
        problem(p, MLINE(k->start_mark), MCOL(k->start_mark), "\"subscribers:\" appears "
            "twice; keep one list");
        return skip_node(p, v) == -1 ? -1 : 0;
    }
    if (k->type != YAML_SCALAR_EVENT ||
        strcmp((const char *)k->data.scalar.value, "subscribers") != 0) {
        const char *key = k->type == YAML_SCALAR_EVENT ?
            (const char *)k->data.scalar.value : "?";

        problem(p, MLINE(k->start_mark), MCOL(k->start_mark), "unknown key \"%s\"%s; "
            "the file holds one key, subscribers:, with the list under it", key,
            edit_distance(key, "subscribers") <= 3 ? " (did you mean \"subscribers\"?)"
            : "");
        return skip_node(p, v) == -1 ? -1 : 0;
    }
    *seen = true;
    if (v->type == YAML_SEQUENCE_START_EVENT) {
        s->dash_col = 2;
        s->key_col = 4;
        return parse_list(p, v);
    }
    if (v->type == YAML_SCALAR_EVENT && is_null_scalar(v)) {
        size_t b0 = bytepos(&p->pos, v->start_mark.index);
        size_t b1 = bytepos(&p->pos, v->end_mark.index);

        s->dash_col = 2;
        s->key_col = 4;
        s->empty_start = b0;
        s->empty_end = b1;
        s->append_at = line_end(s->text, s->len, b1 > b0 ? b1 :
            bytepos(&p->pos, k->end_mark.index));
        return 0;
    }
    problem(p, MLINE(v->start_mark), MCOL(v->start_mark), "subscribers: must be "
        "a list of entries such as \"- email: name@example.org\"");
    return skip_node(p, v) == -1 ? -1 : 0;
}

/* A root map (its start read): each key and value through root_pair(). */
static int
parse_root_map(struct parser *p)
{
    bool seen = false;

    for (;;) {
        yaml_event_t k, v;
        int rc;

        if (next(p, &k) == -1)
            return -1;
        if (k.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&k);
            return 0;
        }
        /* a key that is a list or a map: skip all of it before its value */
        if (k.type != YAML_SCALAR_EVENT && skip_node(p, &k) == -1) {
            yaml_event_delete(&k);
            return -1;
        }
        if (next(p, &v) == -1) {
            yaml_event_delete(&k);
            return -1;
        }
        rc = root_pair(p, &k, &v, &seen);
        yaml_event_delete(&k);
        yaml_event_delete(&v);
        if (rc == -1)
            return -1;
    }
}

/* After the root node: the stream's end; a second document is refused. */
static int
only_one_doc(struct parser *p)
{
    yaml_event_t ev;

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

int
parse_doc(struct parser *p)
{
    struct subs *s = p->s;
    yaml_event_t ev;
    int rc;

    if ((rc = root_node(p, &ev)) != 1)
        return rc;
    if (ev.type == YAML_SEQUENCE_START_EVENT) {
        s->shape = SHAPE_ROOT_SEQ;
        s->dash_col = 0;
        s->key_col = 2;
        rc = parse_list(p, &ev);
    } else if (ev.type == YAML_MAPPING_START_EVENT) {
        s->shape = SHAPE_KEY_SEQ;
        rc = parse_root_map(p);
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
    return only_one_doc(p);
}
