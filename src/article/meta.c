/*
 * meta: an HTML page's own metadata, before any guessing: JSON-LD (schema.org Article and
 * kin, read tolerantly with json-c), OpenGraph and Twitter cards, Dublin Core and other
 * <meta> tags, itemprop microdata, <time datetime>, <link rel=canonical>, <base>,
 * <html lang> and <title>.  Every field records where it came from.  Used by html.c.
 * SPDX-License-Identifier: MIT
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "html.h"
#include "buf.h"
#include "text.h"
#include "util.h"

/* JSON-LD blocks larger than this are skipped (real ones are a few KB). */
#define JSONLD_MAX ((size_t)1 << 20)
/* Longest element text tried as a date ("Updated: Sunday, 19 October 2014 at 4:55 p.m.
 * EDT" has 48 characters). */
#define DATE_TEXT_MAX 80
/* Objects visited inside one JSON-LD block (@graph arrays, nested lists). */
#define JSONLD_MAX_OBJECTS 256

/* <meta> names we read, after lower-casing, dropping white space and '.' -> ':'. */
enum mkey {
    M_DC_TITLE, M_DCTERM_TITLE, M_OG_TITLE, M_WEIBO_A_TITLE, M_WEIBO_W_TITLE, M_TITLE,
    M_TW_TITLE, M_PARSELY_TITLE, M_DC_CREATOR, M_DCTERM_CREATOR, M_AUTHOR, M_PARSELY_AUTHOR,
    M_ARTICLE_AUTHOR,
    M_DC_DESC, M_DCTERM_DESC, M_OG_DESC, M_WEIBO_A_DESC, M_WEIBO_W_DESC, M_DESC, M_TW_DESC,
    M_OG_SITE, M_PUBLISHED, M_PARSELY_DATE, M_DC_DATE, M_DC_ISSUED, M_DATE, M_PUBDATE,
    M_PUBLISHDATE, M_SAILTHRU_DATE, M_OG_PUBLISHED, M_ITEMPROP_DATE, M_OG_IMAGE,
    M_OG_IMAGE_ALT, M_OG_IMAGE_SECURE, M_OG_IMAGE_W, M_OG_IMAGE_H, M_TW_IMAGE, M_OG_URL,
    M_OG_LOCALE, M_DC_LANG, M_NKEYS
};

static const char *const mkey_names[M_NKEYS] = {
    "dc:title", "dcterm:title", "og:title", "weibo:article:title", "weibo:webpage:title",
    "title", "twitter:title", "parsely-title", "dc:creator", "dcterm:creator", "author",
    "parsely-author", "article:author", "dc:description", "dcterm:description", "og:description",
    "weibo:article:description", "weibo:webpage:description", "description",
    "twitter:description", "og:site_name", "article:published_time", "parsely-pub-date",
    "dc:date", "dc:date:issued", "date", "pubdate", "publishdate", "sailthru:date",
    "og:published_time", "itemprop:datepublished", "og:image", "og:image:alt",
    "og:image:secure_url", "og:image:width", "og:image:height", "twitter:image", "og:url",
    "og:locale", "dc:language",
};

struct jsonld {
    char *title, *author, *summary, *site, *date, *image;
};

struct mctx {
    char *v[M_NKEYS];           /* heap values; the last tag of a name wins (Readability) */
    struct jsonld ld;
    bool have_ld;
    char *time_dt;              /* first <time datetime> after the first <h1>, or before */
    char *rel_author;           /* text of the first rel=author link */
    char *text_date;            /* a short date-classed element's text that parses as a date */
    bool text_date_after_h1;
    char *url_date;             /* yyyy-mm-dd from a /yyyy/mm/dd/ canonical path */
    char *clean_title;          /* <title> without its site part */
    char *title_suffix;         /* that site part */
    bool seen_h1;
};

/* ------------------------------------------------------------------------------------ */
/* Shared tree helpers (declared in html.h) */

bool
html_is(xmlNodePtr n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->name != NULL &&
        strcmp((const char *)n->name, name) == 0;
}

char *
html_squeeze(char *s)
{
    char *w = s;
    bool space = false;

    for (const char *r = s; *r; r++) {
        unsigned char c = (unsigned char)*r;

        if (IS_SPACE(c) || (c == 0xc2 && (unsigned char)r[1] == 0xa0)) {
            if (c == 0xc2)
                r++;
            space = w != s;
            continue;
        }
        if (space)
            *w++ = ' ';
        space = false;
        *w++ = *r;
    }
    *w = '\0';
    return s;
}

const char *
html_attr_at(xmlNodePtr n, size_t i, const char **value)
{
    const struct html_attrs *at;
    xmlAttrPtr a;

    if (n == NULL || n->type != XML_ELEMENT_NODE)
        return NULL;
    if ((at = n->psvi) != NULL) {
        if (i >= at->n)
            return NULL;
        *value = at->a[i].value;
        return at->a[i].name;
    }
    for (a = n->properties; a != NULL && i > 0; a = a->next)
        i--;
    if (a == NULL)
        return NULL;
    *value = a->children != NULL && a->children->type == XML_TEXT_NODE &&
        a->children->next == NULL && a->children->content != NULL ?
        (const char *)a->children->content : "";
    return (const char *)a->name;
}

const char *
html_attr_ref(xmlNodePtr n, const char *name)
{
    const struct html_attrs *at;
    xmlAttrPtr a;

    if (n == NULL || n->type != XML_ELEMENT_NODE)
        return NULL;
    if ((at = n->psvi) != NULL) {
        for (size_t i = 0; i < at->n; i++)
            if (strcmp(at->a[i].name, name) == 0)
                return at->a[i].value;
        return NULL;
    }
    for (a = n->properties; a != NULL; a = a->next)
        if (a->name != NULL && strcmp((const char *)a->name, name) == 0)
            break;
    if (a == NULL)
        return NULL;
    if (a->children == NULL)
        return "";
    if (a->children->type == XML_TEXT_NODE && a->children->next == NULL)
        return a->children->content != NULL ? (const char *)a->children->content : "";
    return NULL;                                /* entity parts: rare; callers copy then */
}

char *
html_attr(xmlNodePtr n, const char *name)
{
    const char *ref = html_attr_ref(n, name);
    xmlChar *v;
    char *s;

    if (ref != NULL)
        return html_squeeze(xstrdup(ref));
    v = n != NULL && n->psvi == NULL ? xmlGetProp(n, (const xmlChar *)name) : NULL;
    if (v == NULL)
        return NULL;
    s = html_squeeze(xstrdup((const char *)v));
    xmlFree(v);
    return s;
}

/* Append the text under n to b, iteratively and depth-bounded; stops once b is over its
 * limit (b is then empty and failed). */
static void
text_of(xmlNodePtr top, struct buf *b)
{
    int depth = 1;

    if (top->type == XML_TEXT_NODE || top->type == XML_CDATA_SECTION_NODE) {
        buf_puts(b, (const char *)top->content);
        return;
    }
    for (xmlNodePtr n = top->children; n != NULL; n = html_walk_next(n, top, &depth))
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
            n->content != NULL && buf_adds(b, (const char *)n->content) == -1)
            return;                             /* over the limit: stop walking */
}

char *
html_text(xmlNodePtr n)
{
    struct buf b;
    char *s;

    buf_init(&b, (size_t)64 << 20);
    if (n != NULL)
        text_of(n, &b);
    /* text past 64 MiB counts as none: an empty string, as a failed buffer reads */
    s = xstrdup(buf_failed(&b) ? "" : buf_str(&b));
    buf_fini(&b);
    return html_squeeze(s);
}

/* Characters of text with white space runs counted once (no trim: callers trim the
 * whole). */
static size_t
count_chars(const char *s, bool *space, size_t *n)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (IS_SPACE(*p)) {
            if (!*space)
                (*n)++;
            *space = true;
            continue;
        }
        *space = false;
        if ((*p & 0xc0) != 0x80)
            (*n)++;
    }
    return *n;
}

size_t
html_text_len(xmlNodePtr top)
{
    size_t len = 0;
    bool space = true;
    int depth = 1;

    if (top == NULL)
        return 0;
    if (top->type == XML_TEXT_NODE)
        return top->content ? count_chars((const char *)top->content, &space, &len) : 0;
    for (xmlNodePtr n = top->children; n != NULL; n = html_walk_next(n, top, &depth))
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
            n->content != NULL)
            count_chars((const char *)n->content, &space, &len);
    if (space && len > 0)
        len--;                                  /* a trailing space */
    return len;
}

xmlNodePtr
html_walk_next(xmlNodePtr n, xmlNodePtr top, int *depth)
{
    if (n->type == XML_ELEMENT_NODE && n->children != NULL && *depth < HTML_MAX_DEPTH) {
        (*depth)++;
        return n->children;
    }
    while (n != NULL && n->next == NULL && n != top) {
        n = n->parent;
        (*depth)--;
    }
    if (n == NULL || n == top)
        return NULL;
    return n->next;
}

/* Words of s, lower-cased, split on anything that is not a letter or digit (ASCII) or
 * a non-ASCII byte; returned as a NUL-separated list in b with the count. */
static size_t
words_of(const char *s, struct buf *b)
{
    size_t n = 0;
    bool in = false;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool w = IS_ALNUM(*p) || *p >= 0x80;

        if (w) {
            buf_putc(b, (char)TO_LOWER(*p));
            in = true;
        } else if (in) {
            buf_put(b, "", 1);
            n++;
            in = false;
        }
    }
    if (in) {
        buf_put(b, "", 1);
        n++;
    }
    return n;
}

static bool
word_in(const char *w, const char *list, size_t len)
{
    for (const char *p = list; p < list + len; p += strlen(p) + 1)
        if (strcmp(p, w) == 0)
            return true;
    return false;
}

double
html_similarity(const char *a, const char *b)
{
    struct buf wa, wb;
    size_t na, nb, miss = 0, blen = 0, mlen = 0;
    double r;

    /* no limit of their own: the words are no longer than a and b, already in memory */
    buf_init(&wa, 0);
    buf_init(&wb, 0);
    na = words_of(a, &wa);
    nb = words_of(b, &wb);
    if (na == 0 || nb == 0) {
        buf_fini(&wa);
        buf_fini(&wb);
        return 0;
    }
    for (const char *p = buf_str(&wb); p < buf_str(&wb) + wb.len; p += strlen(p) + 1) {
        blen += strlen(p) + 1;
        if (!word_in(p, buf_str(&wa), wa.len)) {
            miss++;
            mlen += strlen(p) + 1;
        }
    }
    (void)miss;
    r = 1.0 - (double)mlen / (double)blen;      /* by characters, as Readability does */
    buf_fini(&wa);
    buf_fini(&wb);
    return r;
}

/* ------------------------------------------------------------------------------------ */
/* JSON-LD */

static bool
is_article_type(const char *t)
{
    static const char *const types[] = {
        "Article", "AdvertiserContentArticle", "NewsArticle", "AnalysisNewsArticle",
        "AskPublicNewsArticle", "BackgroundNewsArticle", "OpinionNewsArticle",
        "ReportageNewsArticle", "ReviewNewsArticle", "Report", "SatiricalArticle",
        "ScholarlyArticle", "MedicalScholarlyArticle", "SocialMediaPosting", "BlogPosting",
        "LiveBlogPosting", "DiscussionForumPosting", "TechArticle", "APIReference",
    };

    if (strncmp(t, "http://schema.org/", 18) == 0)
        t += 18;
    else if (strncmp(t, "https://schema.org/", 19) == 0)
        t += 19;
    for (size_t i = 0; i < ARRAY_LEN(types); i++)
        if (strcmp(t, types[i]) == 0)
            return true;
    return false;
}

static bool
has_article_type(struct json_object *o)
{
    struct json_object *t;

    if (!json_object_object_get_ex(o, "@type", &t))
        return false;
    if (json_object_is_type(t, json_type_string))
        return is_article_type(json_object_get_string(t));
    if (json_object_is_type(t, json_type_array))
        for (size_t i = 0; i < json_object_array_length(t); i++) {
            struct json_object *e = json_object_array_get_idx(t, i);

            if (json_object_is_type(e, json_type_string) &&
                is_article_type(json_object_get_string(e)))
                return true;
        }
    return false;
}

static char *
jstr(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    if (json_object_get_string(v)[0] == '\0')
        return NULL;
    return html_squeeze(xstrdup(json_object_get_string(v)));
}

/* A person, organisation, string or a list of them: names joined by ", ". */
static char *
jnames(struct json_object *v)
{
    struct buf b;
    char *s = NULL;

    if (v == NULL)
        return NULL;
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string(v)[0] ? html_squeeze(xstrdup(json_object_get_string(v)))
            : NULL;
    if (json_object_is_type(v, json_type_object))
        return jstr(v, "name");
    if (!json_object_is_type(v, json_type_array))
        return NULL;
    buf_init(&b, 4096);
    for (size_t i = 0; i < json_object_array_length(v) && i < 32; i++) {
        char *n = jnames(json_object_array_get_idx(v, i));

        if (n != NULL && n[0] != '\0') {
            if (b.len > 0)
                buf_puts(&b, ", ");
            buf_puts(&b, n);
        }
        free(n);
    }
    /* names past 4 KiB: none (a failed buffer is empty, as before), not a cut list */
    if (!buf_failed(&b) && b.len > 0)
        s = xstrdup(buf_str(&b));
    buf_fini(&b);
    return s;
}

static char *
jimage(struct json_object *v)
{
    if (v == NULL)
        return NULL;
    if (json_object_is_type(v, json_type_string))
        return xstrdup(json_object_get_string(v));
    if (json_object_is_type(v, json_type_object))
        return jstr(v, "url");
    if (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0)
        return jimage(json_object_array_get_idx(v, 0));
    return NULL;
}

static void
ld_take(struct json_object *o, struct jsonld *ld, const char *doc_title)
{
    struct json_object *v;
    char *name = jstr(o, "name"), *headline = jstr(o, "headline");

    /* name and headline both set and different: the one closer to <title> */
    if (name != NULL && headline != NULL && strcmp(name, headline) != 0 && doc_title != NULL &&
        html_similarity(headline, doc_title) > 0.75 && html_similarity(name, doc_title) <= 0.75) {
        ld->title = headline;
        free(name);
    } else {
        ld->title = name != NULL ? name : headline;
        if (name != NULL)
            free(headline);
    }
    ld->author = json_object_object_get_ex(o, "author", &v) ? jnames(v) : NULL;
    ld->summary = jstr(o, "description");
    ld->site = json_object_object_get_ex(o, "publisher", &v) ? jnames(v) : NULL;
    ld->date = jstr(o, "datePublished");
    ld->image = json_object_object_get_ex(o, "image", &v) ? jimage(v) : NULL;
}

/* The first article object in v (an object, a list, or an object with @graph). */
static struct json_object *
ld_find(struct json_object *v, int *budget)
{
    struct json_object *g;

    if (v == NULL || --*budget < 0)
        return NULL;
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            struct json_object *r = ld_find(json_object_array_get_idx(v, i), budget);

            if (r != NULL)
                return r;
        }
        return NULL;
    }
    if (!json_object_is_type(v, json_type_object))
        return NULL;
    if (has_article_type(v))
        return v;
    if (json_object_object_get_ex(v, "@graph", &g))
        return ld_find(g, budget);
    return NULL;
}

/* JSON-LD as sites write it: control characters inside strings (raw newlines) and
 * trailing commas, which json-c refuses, are repaired in a copy. */
static char *
ld_repair(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(n + 1), *w = out;
    bool str = false, esc = false;

    for (const char *p = s; *p; p++) {
        char c = *p;

        if (str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                str = false;
            else if ((unsigned char)c < 0x20)
                c = ' ';
        } else if (c == '"') {
            str = true;
        } else if (c == ',') {
            const char *q = p + 1;

            while (IS_SPACE(*q))
                q++;
            if (*q == '}' || *q == ']')
                continue;
        }
        *w++ = c;
    }
    *w = '\0';
    return out;
}

/* Parse every JSON value in s (several objects may follow each other). */
static void
ld_parse(struct mctx *c, const char *s, const char *doc_title)
{
    struct json_tokener *tok = json_tokener_new();
    char *fixed = ld_repair(s);
    const char *p = fixed;
    size_t len = strlen(fixed);

    while (!c->have_ld && len > 0) {
        struct json_object *v;
        int budget = JSONLD_MAX_OBJECTS;
        size_t used;

        while (len > 0 && (IS_SPACE(*p) || *p == ';')) {
            p++;
            len--;
        }
        if (len == 0)
            break;
        json_tokener_reset(tok);
        v = json_tokener_parse_ex(tok, p, (int)len);
        if (v == NULL)
            break;
        used = (size_t)json_tokener_get_parse_end(tok);
        if (ld_find(v, &budget) != NULL) {
            ld_take(ld_find(v, &(int){ JSONLD_MAX_OBJECTS }), &c->ld, doc_title);
            c->have_ld = true;
        }
        json_object_put(v);
        if (used == 0 || used > len)
            break;
        p += used;
        len -= used;
    }
    json_tokener_free(tok);
    free(fixed);
}

static void
read_jsonld(struct mctx *c, xmlNodePtr script, const char *doc_title)
{
    char *t, *s;
    size_t n;

    if (c->have_ld)
        return;
    t = html_text(script);
    s = t;
    n = strlen(s);
    if (n > JSONLD_MAX) {
        free(t);
        return;
    }
    if (strncmp(s, "<![CDATA[", 9) == 0)
        s += 9;
    n = strlen(s);
    if (n >= 3 && strcmp(s + n - 3, "]]>") == 0)
        s[n - 3] = '\0';
    ld_parse(c, s, doc_title);
    free(t);
}

/* ------------------------------------------------------------------------------------ */
/* <meta>, <link>, microdata */

static void
norm_key(const char *s, char *out, size_t size)
{
    size_t w = 0;

    for (; *s && w + 1 < size; s++) {
        unsigned char ch = (unsigned char)*s;

        if (IS_SPACE(ch))
            continue;
        out[w++] = ch == '.' ? ':' : (char)TO_LOWER(ch);
    }
    out[w] = '\0';
}

static void
set_key(struct mctx *c, const char *name, const char *content)
{
    char key[64];

    norm_key(name, key, sizeof(key));
    for (int i = 0; i < M_NKEYS; i++)
        if (strcmp(key, mkey_names[i]) == 0) {
            free(c->v[i]);
            c->v[i] = xstrdup(content);
            return;
        }
}

static void
read_meta(struct mctx *c, xmlNodePtr n)
{
    char *content = html_attr(n, "content"), *name = NULL, *prop = NULL, *ip = NULL;

    if (content == NULL || content[0] == '\0')
        goto out;
    name = html_attr(n, "name");
    prop = html_attr(n, "property");
    ip = html_attr(n, "itemprop");
    if (prop != NULL) {                 /* several space-separated properties */
        char *save = prop;

        for (char *p = prop; *p;) {
            char *e = strchr(p, ' ');

            if (e != NULL)
                *e = '\0';
            set_key(c, p, content);
            if (e == NULL)
                break;
            p = e + 1;
        }
        prop = save;
    }
    if (name != NULL)
        set_key(c, name, content);
    if (ip != NULL && ascii_strcasecmp(ip, "datePublished") == 0 &&
        c->v[M_ITEMPROP_DATE] == NULL)
        c->v[M_ITEMPROP_DATE] = xstrdup(content);
out:
    free(content);
    free(name);
    free(prop);
    free(ip);
}

static bool
rel_has(xmlNodePtr n, const char *word)
{
    char *rel = html_attr(n, "rel");
    bool r = false;

    if (rel != NULL) {
        for (char *p = rel; *p;) {
            size_t k = strcspn(p, " ");

            if (k == strlen(word) && ascii_strncasecmp(p, word, k) == 0)
                r = true;
            p += k;
            while (*p == ' ')
                p++;
        }
    }
    free(rel);
    return r;
}

/* The text date finder near the headline: an element whose class or id says date, time,
 * published or posted, with a short text that is a whole date ("Published: 4 May 2015").
 * The first after the <h1> wins over those before it. */
static void
text_date(struct mctx *c, xmlNodePtr n)
{
    static const char *const words[] = { "date", "time", "publish", "posted", "dateline" };
    const char *cls = html_attr_ref(n, "class"), *id = html_attr_ref(n, "id");
    char iso[ARTICLE_ISO_MAX], *t;
    bool dateish = false;
    size_t len;

    if (cls == NULL && id == NULL)
        return;
    for (size_t i = 0; i < ARRAY_LEN(words); i++)
        if ((cls != NULL && strstr(cls, words[i])) || (id != NULL && strstr(id, words[i])))
            dateish = true;
    if (!dateish || (len = html_text_len(n)) < 6 || len > DATE_TEXT_MAX)
        return;
    t = html_text(n);
    if (article_parse_date(t, iso) == 0) {
        free(c->text_date);
        c->text_date = t;
        c->text_date_after_h1 = c->seen_h1;
    } else {
        free(t);
    }
}

static void
read_element(struct mctx *c, struct html_meta *m, xmlNodePtr n, const char *doc_title)
{
    const char *name = (const char *)n->name;

    if (strcmp(name, "meta") == 0) {
        read_meta(c, n);
    } else if (strcmp(name, "script") == 0) {
        char *type = html_attr(n, "type");

        if (type != NULL && ascii_strcasecmp(type, "application/ld+json") == 0)
            read_jsonld(c, n, doc_title);
        free(type);
    } else if (strcmp(name, "link") == 0 && m->canonical.value == NULL &&
        rel_has(n, "canonical")) {
        m->canonical.value = html_attr(n, "href");
        m->canonical.origin = "<link rel=canonical>";
    } else if (strcmp(name, "base") == 0 && m->base == NULL) {
        m->base = html_attr(n, "href");
    } else if (strcmp(name, "h1") == 0) {
        c->seen_h1 = true;
    } else if (strcmp(name, "time") == 0 && (c->time_dt == NULL || !c->seen_h1)) {
        char *dt = html_attr(n, "datetime");

        if (dt != NULL && dt[0] != '\0' && (c->time_dt == NULL || c->seen_h1)) {
            free(c->time_dt);
            c->time_dt = dt;
        } else {
            free(dt);
        }
    } else if (strcmp(name, "a") == 0 && c->rel_author == NULL && rel_has(n, "author")) {
        c->rel_author = html_text(n);
    } else {
        const char *ip = html_attr_ref(n, "itemprop");

        if (!c->text_date_after_h1)
            text_date(c, n);
        if (ip != NULL && ascii_strcasecmp(ip, "datePublished") == 0 &&
            c->v[M_ITEMPROP_DATE] == NULL) {
            char *v = html_attr(n, "datetime");

            c->v[M_ITEMPROP_DATE] = v != NULL ? v : html_text(n);
        }
    }
}

/* Every element in document order, iteratively, at most HTML_MAX_DEPTH deep. */
static void
walk(struct mctx *c, struct html_meta *m, xmlNodePtr root, const char *doc_title)
{
    xmlNodePtr n = root;
    int depth = 0;

    while (n != NULL) {
        if (n->type == XML_ELEMENT_NODE) {
            read_element(c, m, n, doc_title);
            if (n->children != NULL && depth < HTML_MAX_DEPTH) {
                n = n->children;
                depth++;
                continue;
            }
        }
        while (n != NULL && n->next == NULL) {
            n = n->parent;
            depth--;
            if (n == root || depth < 0)
                return;
        }
        if (n == NULL || n == root)
            return;
        n = n->next;
    }
}

static xmlNodePtr
find_first(xmlNodePtr root, const char *name)
{
    xmlNodePtr n = root;
    int depth = 0;

    while (n != NULL) {
        if (html_is(n, name))
            return n;
        if (n->type == XML_ELEMENT_NODE && n->children != NULL && depth < HTML_MAX_DEPTH) {
            n = n->children;
            depth++;
            continue;
        }
        while (n != NULL && n->next == NULL) {
            n = n->parent;
            if (--depth < 0 || n == root)
                return NULL;
        }
        if (n == NULL || n == root)
            return NULL;
        n = n->next;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* Choosing the fields */

static void
field(struct html_field *f, char *value, const char *origin)
{
    if (f->value != NULL || value == NULL || value[0] == '\0') {
        free(value);
        return;
    }
    f->value = value;
    f->origin = origin;
}

/* Character references left in a value (pages escape twice: "That&#039;s"): decoded,
 * as Readability does for metadata. */
static void
unescape(char *s)
{
    static const struct { const char *name; const char *utf8; } named[] = {
        { "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" }, { "apos;", "'" },
        { "nbsp;", " " },
    };
    char *w = s;

    for (char *r = s; *r;) {
        unsigned long cp = 0;
        char *e = NULL;
        size_t k;

        if (*r != '&') {
            *w++ = *r++;
            continue;
        }
        for (k = 0; k < ARRAY_LEN(named); k++)
            if (strncmp(r + 1, named[k].name, strlen(named[k].name)) == 0)
                break;
        if (k < ARRAY_LEN(named)) {
            size_t l = strlen(named[k].utf8);

            memcpy(w, named[k].utf8, l);        /* never longer than the reference */
            w += l;
            r += 1 + strlen(named[k].name);
            continue;
        }
        if (r[1] == '#' && (r[2] == 'x' || r[2] == 'X'))
            cp = strtoul(r + 3, &e, 16);
        else if (r[1] == '#')
            cp = strtoul(r + 2, &e, 10);
        if (e == NULL || e == r + 2 || e == r + 3 || *e != ';') {
            *w++ = *r++;
            continue;
        }
        if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            cp = 0xfffd;
        r = e + 1;      /* "&#NN;" is at least 4 bytes, 2 bytes of UTF-8 need "&#NNN;" */
        w += text_utf8_put(w, (uint32_t)cp);
    }
    *w = '\0';
}

static char *
dup_or_null(const char *s)
{
    char *r;

    if (s == NULL || s[0] == '\0')
        return NULL;
    r = xstrdup(s);
    unescape(r);
    return html_squeeze(r);
}

static size_t
word_count(const char *s, size_t n)
{
    size_t w = 0;
    bool in = false;

    for (size_t i = 0; i < n; i++) {
        if (IS_SPACE(s[i]))
            in = false;
        else if (!in) {
            in = true;
            w++;
        }
    }
    return w;
}

/* Is s[i..] a " X " title separator (| - – — \ / > »)?  Its byte length, else 0. */
static size_t
title_sep(const char *s, size_t i, size_t n, bool *hier)
{
    static const char *const seps[] = { "|", "-", "\\", "/", ">", "\xc2\xbb",
        "\xe2\x80\x93", "\xe2\x80\x94" };

    if (s[i] != ' ')
        return 0;
    for (size_t k = 0; k < ARRAY_LEN(seps); k++) {
        size_t l = strlen(seps[k]);

        if (i + 1 + l < n && memcmp(s + i + 1, seps[k], l) == 0 && s[i + 1 + l] == ' ') {
            *hier = k >= 2 && k <= 5;
            return l + 2;
        }
    }
    return 0;
}

/* Is there an <h1> or <h2> whose text is s? */
static bool
heading_is(xmlNodePtr root, const char *s)
{
    xmlNodePtr n = root;
    int depth = 0;

    while (n != NULL) {
        if (html_is(n, "h1") || html_is(n, "h2")) {
            char *t = html_text(n);
            bool eq = strcmp(t, s) == 0;

            free(t);
            if (eq)
                return true;
        } else if (n->type == XML_ELEMENT_NODE && n->children != NULL &&
            depth < HTML_MAX_DEPTH) {
            n = n->children;
            depth++;
            continue;
        }
        while (n != NULL && n->next == NULL) {
            n = n->parent;
            if (--depth < 0 || n == root)
                return false;
        }
        if (n == NULL || n == root)
            return false;
        n = n->next;
    }
    return false;
}

/* Readability's title from <title>: drop a " | Site" part (or a leading "Site: "),
 * unless that leaves too few words.  *suffix gets the dropped site part, if any. */
static char *
clean_title(const char *orig, xmlNodePtr root, char **suffix)
{
    size_t n = strlen(orig), last = 0, lastlen = 0, first = 0, firstlen = 0, nwords;
    bool hier = false, any_hier = false, h;
    char *cur = NULL;

    *suffix = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t l = title_sep(orig, i, n, &h);

        if (l > 0) {
            if (lastlen == 0) {
                first = i;
                firstlen = l;
            }
            last = i;
            lastlen = l;
            any_hier |= h;
        }
    }
    hier = any_hier;
    if (lastlen > 0) {
        cur = xstrndup(orig, last);
        if (word_count(cur, strlen(cur)) < 3) {
            free(cur);
            cur = xstrdup(orig + first + firstlen);
            *suffix = xstrndup(orig, first);
        } else {
            *suffix = xstrdup(orig + last + lastlen);
        }
    } else if (strstr(orig, ": ") != NULL) {
        if (!heading_is(root, orig)) {
            const char *lc = strrchr(orig, ':'), *fc = strchr(orig, ':');

            cur = xstrdup(lc + 1);
            if (word_count(cur, strlen(cur)) < 3) {
                free(cur);
                cur = xstrdup(fc + 1);
            } else if (word_count(orig, (size_t)(fc - orig)) > 5) {
                free(cur);
                cur = xstrdup(orig);
            }
        }
    } else if (n > 150 || n < 15) {
        xmlNodePtr h1 = find_first(root, "h1");

        if (h1 != NULL)
            cur = html_text(h1);
    }
    if (cur == NULL)
        cur = xstrdup(orig);
    html_squeeze(cur);
    nwords = word_count(cur, strlen(cur));
    if (nwords <= 4) {
        size_t ow = 0;
        bool in = false;

        for (const char *p = orig; *p; p++) {   /* words of orig without separators */
            bool sepc = strchr("|-\\/>", *p) != NULL || IS_SPACE(*p);

            if (sepc)
                in = false;
            else if (!in) {
                in = true;
                ow++;
            }
        }
        if (!hier || nwords != ow - 1) {
            free(cur);
            cur = xstrdup(orig);
            free(*suffix);
            *suffix = NULL;
        }
    }
    return cur;
}

static void
choose_title(struct mctx *c, struct html_meta *m, xmlNodePtr root)
{
    static const enum mkey order[] = { M_DC_TITLE, M_DCTERM_TITLE, M_OG_TITLE,
        M_WEIBO_A_TITLE, M_WEIBO_W_TITLE, M_TITLE, M_TW_TITLE, M_PARSELY_TITLE };
    static const char *const origin[] = { "Dublin Core", "Dublin Core", "OpenGraph",
        "Weibo", "Weibo", "<meta name=title>", "Twitter card", "Parse.ly" };

    field(&m->title, dup_or_null(c->ld.title), "JSON-LD");
    for (size_t i = 0; i < ARRAY_LEN(order); i++)
        field(&m->title, dup_or_null(c->v[order[i]]), origin[i]);
    field(&m->title, c->clean_title, "<title>");
    c->clean_title = NULL;
    field(&m->site, c->title_suffix, "<title> suffix");
    c->title_suffix = NULL;
    if (m->title.value == NULL) {
        xmlNodePtr h1 = find_first(root, "h1");

        if (h1 != NULL)
            field(&m->title, html_text(h1), "<h1>");
    }
}

/* yyyy/mm/dd in a URL path, as yyyy-mm-dd. */
static char *
url_date(const char *url)
{
    for (const char *p = url; p != NULL && *p; p++) {
        if (*p != '/' || !IS_DIGIT(p[1]))
            continue;
        if (IS_DIGIT(p[2]) && IS_DIGIT(p[3]) && IS_DIGIT(p[4]) && p[5] == '/' &&
            IS_DIGIT(p[6]) && IS_DIGIT(p[7]) && p[8] == '/' && IS_DIGIT(p[9]) &&
            IS_DIGIT(p[10]) && (p[11] == '/' || p[11] == '\0')) {
            int y = (p[1] - '0') * 1000 + (p[2] - '0') * 100 + (p[3] - '0') * 10 + p[4] - '0';
            int mo = (p[6] - '0') * 10 + p[7] - '0', d = (p[9] - '0') * 10 + p[10] - '0';
            char out[16];

            if (y >= 1990 && y <= 2100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
                snprintf(out, sizeof(out), "%04d-%02d-%02d", y, mo, d);
                return xstrdup(out);
            }
        }
    }
    return NULL;
}

static void
choose_rest(struct mctx *c, struct html_meta *m, const char *page_url)
{
    static const enum mkey desc[] = { M_DC_DESC, M_DCTERM_DESC, M_OG_DESC, M_WEIBO_A_DESC,
        M_WEIBO_W_DESC, M_DESC, M_TW_DESC };
    static const enum mkey dates[] = { M_PARSELY_DATE, M_DC_ISSUED, M_DC_DATE, M_OG_PUBLISHED,
        M_DATE, M_PUBDATE, M_PUBLISHDATE, M_SAILTHRU_DATE };

    field(&m->author, dup_or_null(c->ld.author), "JSON-LD");
    field(&m->author, dup_or_null(c->v[M_DC_CREATOR]), "Dublin Core");
    field(&m->author, dup_or_null(c->v[M_DCTERM_CREATOR]), "Dublin Core");
    field(&m->author, dup_or_null(c->v[M_AUTHOR]), "<meta name=author>");
    field(&m->author, dup_or_null(c->v[M_PARSELY_AUTHOR]), "Parse.ly");
    if (c->v[M_ARTICLE_AUTHOR] != NULL && !text_is_web_url(c->v[M_ARTICLE_AUTHOR],
        strlen(c->v[M_ARTICLE_AUTHOR])))
        field(&m->author, dup_or_null(c->v[M_ARTICLE_AUTHOR]), "OpenGraph");
    field(&m->author, dup_or_null(c->rel_author), "rel=author");

    field(&m->summary, dup_or_null(c->ld.summary), "JSON-LD");
    for (size_t i = 0; i < ARRAY_LEN(desc); i++)
        field(&m->summary, dup_or_null(c->v[desc[i]]), "<meta> description");

    field(&m->site, dup_or_null(c->ld.site), "JSON-LD publisher");
    field(&m->site, dup_or_null(c->v[M_OG_SITE]), "OpenGraph");

    field(&m->date, dup_or_null(c->ld.date), "JSON-LD");
    field(&m->date, dup_or_null(c->v[M_PUBLISHED]), "OpenGraph");
    field(&m->date, dup_or_null(c->v[M_ITEMPROP_DATE]), "itemprop=datePublished");
    for (size_t i = 0; i < ARRAY_LEN(dates); i++)
        field(&m->date, dup_or_null(c->v[dates[i]]), "<meta> date");
    field(&m->date, dup_or_null(c->time_dt), "<time datetime>");
    field(&m->date, url_date(m->canonical.value), "URL path");
    field(&m->date, url_date(c->v[M_OG_URL]), "URL path");
    field(&m->date, url_date(page_url), "URL path");
    field(&m->date, dup_or_null(c->text_date), "text near the headline");

    field(&m->image, dup_or_null(c->v[M_OG_IMAGE_SECURE]), "OpenGraph");
    field(&m->image, dup_or_null(c->ld.image), "JSON-LD");
    field(&m->image, dup_or_null(c->v[M_OG_IMAGE]), "OpenGraph");
    field(&m->image, dup_or_null(c->v[M_TW_IMAGE]), "Twitter card");
    if (m->image.value != NULL) {
        field(&m->image_alt, dup_or_null(c->v[M_OG_IMAGE_ALT]), "OpenGraph");
        if (strcmp(m->image.origin, "OpenGraph") == 0) {    /* og:image's own size */
            field(&m->image_width, dup_or_null(c->v[M_OG_IMAGE_W]), "OpenGraph");
            field(&m->image_height, dup_or_null(c->v[M_OG_IMAGE_H]), "OpenGraph");
        }
    }
    field(&m->canonical, dup_or_null(c->v[M_OG_URL]), "OpenGraph");
    field(&m->lang, dup_or_null(c->v[M_DC_LANG]), "Dublin Core");
    field(&m->lang, dup_or_null(c->v[M_OG_LOCALE]), "OpenGraph");
}

void
html_meta_read(htmlDocPtr doc, struct html_meta *m)
{
    struct mctx c;
    xmlNodePtr root = xmlDocGetRootElement(doc), t;

    memset(&c, 0, sizeof(c));
    memset(m, 0, sizeof(*m));
    if (root == NULL)
        return;
    t = find_first(root, "title");
    if (t != NULL) {
        m->doc_title = html_text(t);
        if (m->doc_title[0] == '\0') {
            free(m->doc_title);
            m->doc_title = NULL;
        }
    }
    field(&m->lang, html_attr(root, "lang"), "<html lang>");
    if (m->doc_title != NULL)
        c.clean_title = clean_title(m->doc_title, root, &c.title_suffix);
    walk(&c, m, root, c.clean_title);
    choose_title(&c, m, root);
    choose_rest(&c, m, (const char *)doc->URL);
    for (int i = 0; i < M_NKEYS; i++)
        free(c.v[i]);
    free(c.ld.title);
    free(c.ld.author);
    free(c.ld.summary);
    free(c.ld.site);
    free(c.ld.date);
    free(c.ld.image);
    free(c.time_dt);
    free(c.rel_author);
    free(c.text_date);
    free(c.url_date);
    free(c.clean_title);
    free(c.title_suffix);
}

void
html_meta_fini(struct html_meta *m)
{
    struct html_field *f[] = { &m->title, &m->author, &m->date, &m->site, &m->summary,
        &m->image, &m->image_alt, &m->image_width, &m->image_height, &m->canonical,
        &m->lang };

    for (size_t i = 0; i < ARRAY_LEN(f); i++)
        free(f[i]->value);
    free(m->base);
    free(m->doc_title);
    memset(m, 0, sizeof(*m));
}
