/*
 * article/frontmatter: YAML front matter of Markdown articles and whole YAML article files
 * (the keys title url source author date tags summary image image_alt body paragraphs).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "arena.h"
#include "article.h"
#include "buf.h"
#include "diag.h"
#include "text.h"
#include "util.h"
#include "value.h"
#include "article_int.h"
#include "newsdate.h"

enum meta_key {
    K_TITLE, K_URL, K_SOURCE, K_AUTHOR, K_DATE, K_TAGS, K_SUMMARY, K_IMAGE, K_IMAGE_ALT,
    K_IMAGE_WIDTH, K_IMAGE_HEIGHT, K_BODY, K_PARAGRAPHS, K_LANGUAGE, K_FETCHED,
};

/* language and fetched are written by `gazette articles fetch`. */
static const char *const meta_keys[] = {
    "title", "url", "source", "author", "date", "tags", "summary", "image", "image_alt",
    "image_width", "image_height", "body", "paragraphs", "language", "fetched",
};

/* What a YAML article or front matter gave besides the plain fields. */
struct meta_body {
    const struct value *body;           /* YAML "body": Markdown */
    const struct value *paragraphs;     /* YAML "paragraphs": a list of strings */
};

/* A known key close to key (same first letter, at most 2 edits), for "did you mean". */
static const char *
meta_suggest(const char *key, bool yaml)
{
    struct text_suggest sg;

    text_suggest_init(&sg, 2);
    for (size_t i = 0; i < ARRAY_LEN(meta_keys); i++) {
        if (!yaml && (i == K_BODY || i == K_PARAGRAPHS))
            continue;
        if (TO_LOWER((unsigned char)key[0]) != meta_keys[i][0])
            continue;
        text_suggest_try(&sg, key, meta_keys[i]);
    }
    return sg.best;
}

/* The text of a scalar value; NULL (with an error at its position) for a list or map. */
static const char *
meta_scalar(struct ctx *c, const char *key, const struct value *v, int lineoff)
{
    if (v->type == VALUE_LIST || v->type == VALUE_MAP) {
        diag_setat(c->d, EX_DATAERR, v->line + lineoff, v->col,
            "%s must be text, not a %s", key, value_type_name(v->type));
        return NULL;
    }
    return v->str != NULL ? v->str : "";
}

static int
meta_tags(struct ctx *c, const struct value *v, int lineoff)
{
    const char *s;

    if (v->type == VALUE_LIST) {
        for (size_t i = 0; i < v->n; i++) {
            if ((s = meta_scalar(c, "a tag", v->items[i], lineoff)) == NULL)
                return -1;
            if ((s = art_oneline(c, s, strlen(s))) != NULL)
                art_add_tag(c, s);
        }
        return 0;
    }
    if ((s = meta_scalar(c, "tags", v, lineoff)) == NULL)
        return -1;
    while (*s != '\0') {                    /* "tags: china, cyber security" */
        size_t len = strcspn(s, ",");
        const char *t = art_oneline(c, s, len);

        if (t != NULL)
            art_add_tag(c, t);
        s += len;
        if (*s == ',')
            s++;
    }
    return 0;
}

/* The index of kv's key in meta_keys; ARRAY_LEN(meta_keys) for a key to ignore; -1 with
 * c->d set for a key that is wrong here. */
static int
meta_key_index(struct ctx *c, const struct value_pair *kv, int lineoff, bool yaml)
{
    size_t k;
    const char *sug;

    for (k = 0; k < ARRAY_LEN(meta_keys); k++)
        if (strcmp(kv->key, meta_keys[k]) == 0)
            break;
    if (k < ARRAY_LEN(meta_keys) && !yaml && (k == K_BODY || k == K_PARAGRAPHS)) {
        diag_setat(c->d, EX_DATAERR, kv->line + lineoff, kv->col,
            "\"%s\" does not belong in front matter; write the body as Markdown after "
            "the closing ---", kv->key);
        return -1;
    }
    if (k == ARRAY_LEN(meta_keys)) {
        sug = meta_suggest(kv->key, yaml);
        if (sug != NULL) {
            diag_setat(c->d, EX_DATAERR, kv->line + lineoff, kv->col,
                "unknown key \"%s\"; did you mean \"%s\"?", kv->key, sug);
            return -1;
        }
        if (yaml) {
            diag_setat(c->d, EX_DATAERR, kv->line + lineoff, kv->col,
                "unknown key \"%s\"; an article has title, url, source, author, date, "
                "tags, summary, image, image_alt, image_width, image_height, and body or "
                "paragraphs", kv->key);
            return -1;
        }
    }
    return (int)k;
}

/* A YAML "paragraphs" list. */
static int
meta_paragraphs(struct ctx *c, const struct value_pair *kv, int lineoff, struct meta_body *mb)
{
    const struct value *v = kv->val;

    if (mb->body != NULL) {
        diag_setat(c->d, EX_DATAERR, kv->line + lineoff, kv->col,
            "give either body or paragraphs, not both");
        return -1;
    }
    if (v->type != VALUE_LIST) {
        diag_setat(c->d, EX_DATAERR, v->line + lineoff, v->col, "paragraphs must be a list of "
            "strings (lines starting with \"- \"), not a %s", value_type_name(v->type));
        return -1;
    }
    for (size_t j = 0; j < v->n; j++)
        if (meta_scalar(c, "each paragraph", v->items[j], lineoff) == NULL)
            return -1;
    mb->paragraphs = v;
    return 0;
}

/* url, image and date: checked values. */
static int
meta_checked(struct ctx *c, int k, const char *s, int line, int col)
{
    struct article *a = c->a;

    switch (k) {
    case K_URL:
        if (!text_is_web_address(s)) {
            diag_setat(c->d, EX_DATAERR, line, col, "url \"%.200s\" is not a web address; "
                "write an absolute http:// or https:// URL", s);
            return -1;
        }
        a->url = art_adup(c, s, strlen(s));
        break;
    case K_IMAGE:
        if (!text_is_web_address(s) && (art_scheme_len(s) > 0 || s[strcspn(s, "\r\n\t")] != '\0' ||
            *s == '\0')) {
            diag_setat(c->d, EX_DATAERR, line, col, "image \"%.200s\" is neither a web "
                "address nor a file path; write an http(s) URL or a path such as "
                "images/photo.jpg", s);
            return -1;
        }
        a->image = art_adup(c, s, strlen(s));
        break;
    case K_IMAGE_WIDTH:
    case K_IMAGE_HEIGHT: {
        long px;

        /* the image's size in pixels: the email gives it the box it will fill, and none
           when it is not given (no blank box for an image that does not load) */
        if (parse_long(s, 1, ARTICLE_IMAGE_MAX_PX, &px) == -1) {
            diag_setat(c->d, EX_DATAERR, line, col, "%s \"%.50s\" is not a size; write the "
                "image's pixels as a whole number from 1 to %d", meta_keys[k], s,
                ARTICLE_IMAGE_MAX_PX);
            return -1;
        }
        *(k == K_IMAGE_WIDTH ? &a->image_width : &a->image_height) = px;
        break;
    }
    case K_DATE:
        a->date = art_oneline(c, s, strlen(s));
        if (a->date == NULL || newsdate_parse(a->date, strlen(a->date), a->date_iso) < 0) {
            diag_setat(c->d, EX_DATAERR, line, col, "date \"%.100s\" is not a date; write "
                "it as 2020-01-31 or \"Jan 31, 2020\"", s);
            return -1;
        }
        break;
    default:
        break;
    }
    return 0;
}

/* One scalar key k with the value s. */
static int
meta_field(struct ctx *c, int k, const struct value_pair *kv, const char *s, int lineoff,
    struct meta_body *mb)
{
    struct article *a = c->a;
    const char **slot = NULL;

    switch (k) {
    case K_BODY:
        if (mb->paragraphs != NULL) {
            diag_setat(c->d, EX_DATAERR, kv->line + lineoff, kv->col,
                "give either body or paragraphs, not both");
            return -1;
        }
        mb->body = kv->val;
        return 0;
    case K_TITLE: slot = &a->title; break;
    case K_SOURCE: slot = &a->source; break;
    case K_AUTHOR: slot = &a->author; break;
    case K_SUMMARY: slot = &a->summary; break;
    case K_IMAGE_ALT: slot = &a->image_alt; break;
    case K_LANGUAGE: slot = &a->language; break;
    case K_FETCHED: return 0;
    default:
        return meta_checked(c, k, s, kv->val->line + lineoff, kv->val->col);
    }
    *slot = art_oneline(c, s, strlen(s));
    return 0;
}

/*
 * Take the keys of a front matter or YAML article map.  lineoff is added to libyaml's
 * lines (the front matter starts on line 2).  Unknown keys are errors in a YAML article;
 * in front matter (often written for a static site generator) only likely misspellings
 * of our keys are.
 */
static int
meta_apply(struct ctx *c, const struct value *map, int lineoff, bool yaml, struct meta_body *mb)
{
    for (size_t i = 0; i < map->n; i++) {
        const struct value_pair *kv = &map->pairs[i];
        const struct value *v = kv->val;
        const char *s;
        int k = meta_key_index(c, kv, lineoff, yaml);

        if (k == -1)
            return -1;
        if (k == (int)ARRAY_LEN(meta_keys) || v->type == VALUE_NULL)
            continue;
        if (k == K_TAGS) {
            if (meta_tags(c, v, lineoff) == -1)
                return -1;
            continue;
        }
        if (k == K_PARAGRAPHS) {
            if (meta_paragraphs(c, kv, lineoff, mb) == -1)
                return -1;
            continue;
        }
        if ((s = meta_scalar(c, kv->key, v, lineoff)) == NULL ||
            meta_field(c, k, kv, s, lineoff, mb) == -1)
            return -1;
    }
    return 0;
}

/* Paragraphs given as plain text (YAML "paragraphs", scraped text) into the bodies. */
int
art_plain_bodies(struct ctx *c)
{
    struct article *a = c->a;
    struct buf html, text;
    int rc = 0;

    buf_init(&html, BODY_MAX);
    buf_init(&text, BODY_MAX);
    for (size_t i = 0; i < a->nparagraphs && rc == 0; i++) {
        const char *p = a->paragraphs[i];

        rc |= buf_adds(&html, "<p>");
        text_html_escape(&html, p, strlen(p));  /* a failure shows in the next add */
        rc |= buf_adds(&html, "</p>\n");
        if (i > 0)
            rc |= buf_adds(&text, "\n\n");
        rc |= buf_adds(&text, p);
    }
    if (rc != 0)
        diag_set(c->d, EX_DATAERR, "the body is too large once rendered");
    else {
        a->body_html = art_adup(c, buf_str(&html), html.len);
        a->body_text = art_adup(c, buf_str(&text), text.len);
    }
    buf_fini(&html);
    buf_fini(&text);
    return rc == 0 ? 0 : -1;
}

static int
take_bodies(struct ctx *c, const struct meta_body *mb, const char *md, size_t mdlen)
{
    if (mb->paragraphs != NULL) {
        for (size_t i = 0; i < mb->paragraphs->n; i++) {
            const struct value *v = mb->paragraphs->items[i];
            const char *p = art_oneline(c, v->str ? v->str : "", v->len);

            if (p != NULL)
                art_add_para(c, p, strlen(p));
        }
        return art_plain_bodies(c);
    }
    if (mb->body != NULL)
        return art_md_render(c, mb->body->str ? mb->body->str : "", mb->body->len);
    return art_md_render(c, md, mdlen);
}

static int
no_title(struct ctx *c, bool yaml)
{
    diag_setat(c->d, EX_DATAERR, 1, 1, yaml ? "no title; add a line \"title: ...\"" :
        "no title; add \"title: ...\" to the front matter or start the text with a "
        "\"# Heading\"");
    return -1;
}

/* Parse YAML text whose first line is file line 1 + lineoff; errors get file positions. */
static struct value *
meta_parse(struct ctx *c, const char *text, size_t len, int lineoff)
{
    struct diag tmp = DIAG_INIT;
    struct value *v = value_parse(text, len, c->name, &tmp);

    if (v == NULL && !diag_is_set(c->d)) {
        if (tmp.line > 0)
            tmp.line += lineoff;
        *c->d = tmp;
    }
    return v;
}

/* A line that is exactly "---" or "..." (trailing blanks allowed); its length with the
 * newline in *len. */
static bool
fence_line(const char *p, const char *end, const char *fence, size_t *len)
{
    const char *q = p + 3;

    if (end - p < 3 || memcmp(p, fence, 3) != 0)
        return false;
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
        q++;
    if (q < end && *q != '\n')
        return false;
    *len = (size_t)(q - p) + (q < end);
    return true;
}

int
art_parse_markdown(struct ctx *c, const char *text, size_t len)
{
    const char *end = text + len, *p = text, *fm = NULL;
    struct meta_body mb = { NULL, NULL };
    struct value *v = NULL;
    size_t fl, fmlen = 0;
    int rc = -1;

    if (fence_line(p, end, "---", &fl)) {
        bool closed = false;

        fm = p + fl;
        for (p = fm; p < end && !closed; ) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t cl;

            if (fence_line(p, end, "---", &cl) || fence_line(p, end, "...", &cl)) {
                fmlen = (size_t)(p - fm);
                p += cl;
                closed = true;
            } else {
                p = nl != NULL ? nl + 1 : end;
            }
        }
        if (!closed) {
            diag_setat(c->d, EX_DATAERR, 1, 1, "the front matter opened here with --- is "
                "never closed; end it with a line of ---");
            goto out;
        }
        if ((v = meta_parse(c, fm, fmlen, 1)) == NULL)
            goto out;
        if (v->type != VALUE_MAP && v->type != VALUE_NULL) {
            diag_setat(c->d, EX_DATAERR, v->line + 1, v->col, "the front matter must be "
                "\"key: value\" lines (title: ..., date: ...), not a %s",
                value_type_name(v->type));
            goto out;
        }
        if (v->type == VALUE_MAP && meta_apply(c, v, 1, false, &mb) == -1)
            goto out;
    }
    if (art_md_render(c, p, (size_t)(end - p)) == -1)
        goto out;
    if (c->a->title == NULL) {
        no_title(c, false);
        goto out;
    }
    rc = 0;
out:
    value_free(v);
    return rc;
}

int
art_text_front_matter(struct ctx *c, const char *text, size_t len, struct value **out,
    size_t *skip, int *lines)
{
    const char *end = text + len, *p = text, *fm;
    size_t fl, fmlen = 0;
    bool closed = false;
    struct value *v;

    *out = NULL;
    *skip = 0;
    *lines = 0;
    if (!fence_line(p, end, "---", &fl))
        return 0;
    fm = p + fl;
    for (p = fm; p < end && !closed; ) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t cl;

        if (fence_line(p, end, "---", &cl) || fence_line(p, end, "...", &cl)) {
            fmlen = (size_t)(p - fm);
            p += cl;
            closed = true;
        } else {
            p = nl != NULL ? nl + 1 : end;
        }
    }
    if (!closed)
        return 0;                           /* a rule of dashes in the page, not ours */
    if ((v = meta_parse(c, fm, fmlen, 1)) == NULL)
        return -1;
    if (v->type != VALUE_MAP) {
        value_free(v);
        return 0;
    }
    *out = v;
    *skip = (size_t)(p - text);
    for (const char *q = text; q < p; q++)
        *lines += *q == '\n';
    return 0;
}

int
art_apply_front_matter(struct ctx *c, const struct value *map)
{
    struct meta_body mb = { NULL, NULL };
    struct article *a = c->a;
    struct { const char *key; const char **from; } f[] = {
        { "title", &a->from.title }, { "url", &a->from.url }, { "source", &a->from.source },
        { "author", &a->from.author }, { "date", &a->from.date },
        { "summary", &a->from.summary }, { "image", &a->from.image },
    };

    if (meta_apply(c, map, 1, false, &mb) == -1)
        return -1;
    for (size_t i = 0; i < ARRAY_LEN(f); i++)
        if (value_get(map, f[i].key) != NULL && value_get(map, f[i].key)->type != VALUE_NULL)
            *f[i].from = "front matter";
    return 0;
}

int
art_parse_yaml(struct ctx *c, const char *text, size_t len)
{
    struct meta_body mb = { NULL, NULL };
    struct value *v = meta_parse(c, text, len, 0);
    int rc = -1;

    if (v == NULL)
        goto out;
    if (v->type != VALUE_MAP) {
        diag_setat(c->d, EX_DATAERR, v->line > 0 ? v->line : 1, v->col > 0 ? v->col : 1,
            "an article file must be \"key: value\" lines (title: ..., body: ...), not a %s",
            value_type_name(v->type));
        goto out;
    }
    if (meta_apply(c, v, 0, true, &mb) == -1)
        goto out;
    if (c->a->title == NULL && mb.paragraphs != NULL) {
        no_title(c, true);
        goto out;
    }
    if (take_bodies(c, &mb, "", 0) == -1)
        goto out;
    if (c->a->title == NULL) {
        no_title(c, true);
        goto out;
    }
    rc = 0;
out:
    value_free(v);
    return rc;
}
