/*
 * article: read one article (Markdown + front matter, YAML, or scraped text) into a struct
 * article; the first stage of the pipeline, before digest.c.  Markdown is CommonMark 0.30
 * via libcmark; dates follow RFC 5322 3.3, ISO 8601 / RFC 3339 and newspaper styles
 * (Latin-script and CJK: "2024年3月15日").  Scraped text may be CJK (no spaces, 。).
 * SPDX-License-Identifier: MIT
 */
#include <cmark.h>
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
#include "html.h"
#include "util.h"
#include "value.h"

/* Tokens in one date; "Sun, 19 Oct 2014 16:55:00 +0100 (BST)" has 17. */
#define DATE_MAX_TOKENS 48
/* Lines longer than this are never searched for a date, a byline or a source. */
#define META_LINE_MAX 200
/* Words in a date ("Sunday, 19 October 2014 at 4:55 p.m. EDT" has 9). */
#define DATE_MAX_WORDS 10
/* Dates and bylines are looked for in the first and last lines of a page only. */
#define META_HEAD_UNITS 500
#define META_TAIL_UNITS 100
/* Nesting of block quotes and lists rendered with prefixes in body_text; deeper content is
 * flattened, so hostile nesting cannot make the text quadratic or the recursion deep. */
#define TEXT_MAX_DEPTH 16
/* Output limit for a rendered body (a few times ARTICLE_MAX_BYTES for markup). */
#define BODY_MAX ((size_t)64 << 20)

/* ------------------------------------------------------------------------------------ */
/* Small helpers */

struct ctx {
    struct article *a;
    const struct article_opts *o;
    struct diag *d;
    const char *name;
    size_t tagcap, paracap, linkcap, noisecap;
    size_t *linkhash;           /* open addressing: link index + 1, 0 for empty */
    size_t linkhcap;            /* a power of two, at least twice nlinks */
};

/* Grow an array kept in the arena (the old copy stays there until article_free()). Counts
 * are bounded by ARTICLE_MAX_BYTES, so cap * size cannot overflow. */
static void *
grow(struct arena *ar, void *items, size_t n, size_t *cap, size_t size)
{
    void *p;

    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 8;
    p = arena_alloc(ar, *cap * size);
    if (n > 0)
        memcpy(p, items, n * size);
    return p;
}

static const char *
adup(struct ctx *c, const char *s, size_t n)
{
    return arena_strndup(&c->a->arena, s, n);
}

static void
add_tag(struct ctx *c, const char *s)
{
    c->a->tags = grow(&c->a->arena, c->a->tags, c->a->ntags, &c->tagcap, sizeof(char *));
    c->a->tags[c->a->ntags++] = arena_strdup(&c->a->arena, s);
}

static void
add_para(struct ctx *c, const char *s, size_t n)
{
    c->a->paragraphs = grow(&c->a->arena, c->a->paragraphs, c->a->nparagraphs, &c->paracap,
        sizeof(char *));
    c->a->paragraphs[c->a->nparagraphs++] = adup(c, s, n);
}

static void
add_noise(struct ctx *c, const char *s, size_t n, int line, const char *why)
{
    struct article *a = c->a;

    a->noise = grow(&a->arena, a->noise, a->nnoise, &c->noisecap, sizeof(*a->noise));
    a->noise[a->nnoise].text = adup(c, s, n);
    a->noise[a->nnoise].line = line;
    a->noise[a->nnoise].why = why;
    a->nnoise++;
}

static size_t
hash_str(const char *s)
{
    size_t h = 14695981039346656037u;       /* FNV-1a */

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The hash table slot for url: where it is, or the empty slot where it would go. */
static size_t *
link_slot(struct ctx *c, const char *url)
{
    size_t i = hash_str(url) & (c->linkhcap - 1);

    while (c->linkhash[i] != 0 && strcmp(c->a->links[c->linkhash[i] - 1].url, url) != 0)
        i = (i + 1) & (c->linkhcap - 1);
    return &c->linkhash[i];
}

/* Number of the link to url, adding it if new; duplicates share a number. */
static size_t
add_link(struct ctx *c, const char *url, const char *text)
{
    struct article *a = c->a;
    size_t *slot;

    if (2 * (a->nlinks + 1) > c->linkhcap) {
        size_t *old = c->linkhash, oldcap = c->linkhcap;

        c->linkhcap = oldcap ? oldcap * 2 : 64;
        c->linkhash = xcalloc(c->linkhcap, sizeof(*c->linkhash));
        for (size_t i = 0; i < oldcap; i++)
            if (old[i] != 0)
                *link_slot(c, a->links[old[i] - 1].url) = old[i];
        free(old);
    }
    slot = link_slot(c, url);
    if (*slot != 0)
        return *slot;
    a->links = grow(&a->arena, a->links, a->nlinks, &c->linkcap, sizeof(*a->links));
    a->links[a->nlinks].url = arena_strdup(&a->arena, url);
    a->links[a->nlinks].text = arena_strdup(&a->arena, text);
    *slot = ++a->nlinks;
    return a->nlinks;
}

/* Is the UTF-8 sequence at s[i] (n bytes left) a space we collapse: NBSP, thin spaces? */
static size_t
uspace_len(const unsigned char *s, size_t n)
{
    if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
        return 2;                                       /* U+00A0 */
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] >= 0x80 && s[2] <= 0x8a))
        return 3;                                       /* U+2000..U+200A */
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0xaf)
        return 3;                                       /* U+202F */
    if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
        return 3;                                       /* U+3000 */
    return 0;
}

/* Invisible characters we delete: U+200B..U+200D, U+2060, U+FEFF. */
static size_t
uinvisible_len(const unsigned char *s, size_t n)
{
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0x8b && s[2] <= 0x8d)
        return 3;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0xa0)
        return 3;
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
        return 3;
    return 0;
}

/*
 * Append s[0..n) to b as one line: runs of whitespace and control characters become one
 * space (so a value can never carry CR or LF into a header), invisible characters go,
 * leading and trailing space is trimmed.
 */
static int
add_oneline(struct buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    bool space = false;
    size_t start = b->len, k;

    for (size_t i = 0; i < n; ) {
        k = p[i] <= 0x20 || p[i] == 0x7f ? 1 : uspace_len(p + i, n - i);
        if (k > 0) {
            space = true;
            i += k;
            continue;
        }
        if ((k = uinvisible_len(p + i, n - i)) > 0) {
            i += k;
            continue;
        }
        if (space && b->len > start && buf_addc(b, ' ') == -1)
            return -1;
        space = false;
        if (buf_addc(b, (char)p[i]) == -1)
            return -1;
        i++;
    }
    return 0;
}

/* s as a trimmed single line in the arena; NULL when nothing is left. */
static const char *
oneline(struct ctx *c, const char *s, size_t n)
{
    struct buf b;
    const char *r = NULL;

    buf_init(&b, BUF_MAX_DEFAULT);
    if (add_oneline(&b, s, n) == 0 && b.len > 0)
        r = adup(c, b.p, b.len);
    buf_fini(&b);
    return r;
}

static int
html_escape(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc;

        switch (s[i]) {
        case '&': rc = buf_adds(b, "&amp;"); break;
        case '<': rc = buf_adds(b, "&lt;"); break;
        case '>': rc = buf_adds(b, "&gt;"); break;
        case '"': rc = buf_adds(b, "&quot;"); break;
        case '\'': rc = buf_adds(b, "&#39;"); break;
        default: rc = buf_addc(b, s[i]); break;
        }
        if (rc == -1)
            return -1;
    }
    return 0;
}

/* Length of the URL scheme of s ("https" -> 5) when s starts with one and ':', else 0. */
static size_t
scheme_len(const char *s)
{
    size_t i = 0;

    if (!IS_ALPHA((unsigned char)s[0]))
        return 0;
    while (IS_ALNUM((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i : 0;
}

/* An absolute http(s) URL with a host and no space, quote or control character. */
static bool
url_is_web(const char *s)
{
    size_t k;

    if (ascii_strncasecmp(s, "http://", 7) == 0)
        k = 7;
    else if (ascii_strncasecmp(s, "https://", 8) == 0)
        k = 8;
    else
        return false;
    if (s[k] == '\0' || s[k] == '/' || s[k] == '?' || s[k] == '#')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    return true;
}

/*
 * Resolve a relative link against the article's url (RFC 3986 5.2, the common cases:
 * "//host/x", "/x", "?q", "#f" and "x" relative to the base's directory).  Returns a heap
 * string, or NULL when url needs no change or cannot be resolved.
 */
static char *
resolve_url(const char *base, const char *url)
{
    struct buf b;
    const char *host, *path, *end;

    if (base == NULL || url[0] == '\0' || scheme_len(url) > 0 || !url_is_web(base))
        return NULL;
    host = strstr(base, "://") + 3;
    path = host + strcspn(host, "/?#");
    buf_init(&b, BUF_MAX_DEFAULT);
    if (url[0] == '/' && url[1] == '/') {
        buf_add(&b, base, (size_t)(host - 3 - base) + 1);          /* "https:" */
    } else if (url[0] == '/') {
        buf_add(&b, base, (size_t)(path - base));
    } else if (url[0] == '#') {
        buf_add(&b, base, strcspn(base, "#"));
    } else if (url[0] == '?') {
        buf_add(&b, base, strcspn(base, "?#"));
    } else {
        end = path + strcspn(path, "?#");
        while (end > path && end[-1] != '/')
            end--;
        buf_add(&b, base, (size_t)(end - base));
        if (end == path)
            buf_addc(&b, '/');
    }
    if (buf_adds(&b, url) == -1)
        return NULL;
    return buf_steal(&b);
}

/* Case-folded (ASCII) glob match of pat (* and ?) against all of s[0..n). */
static bool
glob_match(const char *pat, const char *s, size_t n)
{
    const char *p = pat, *star = NULL;
    size_t i = 0, mark = 0;

    while (i < n) {
        if (*p == '*') {
            star = ++p;
            mark = i;
        } else if (*p != '\0' && (*p == '?' || TO_LOWER((unsigned char)*p) ==
            TO_LOWER((unsigned char)s[i]))) {
            p++;
            i++;
        } else if (star != NULL) {
            p = star;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* Case-folded (ASCII) substring search. */
static bool
ci_contains(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (ascii_strncasecmp(s + i, needle, k) == 0)
            return true;
    return false;
}

/* Line and column (in characters) of the first invalid UTF-8 sequence in s. */
static void
utf8_error_pos(const char *s, size_t n, int *line, int *col)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    *line = 1;
    *col = 1;
    while (i < n && (k = utf8_seq_len(p + i, n - i)) > 0) {
        if (p[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
        i += k;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Dates */

enum { TK_NUM, TK_WORD, TK_PUNCT };

struct tok {
    int kind;
    const char *p;
    size_t n;                   /* bytes (for TK_NUM: number of digits) */
    long num;
};

struct dparse {
    const struct tok *t;
    size_t n, i;
};

static const char *const month_names[] = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
};
static const char *const day_names[] = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};
/* Words before a date that only label it: "Updated: ...", "Posted on ...". */
static const char *const date_labels[] = {
    "updated", "published", "posted", "on", "last", "date", "dated", "modified", "first",
    "created", "at",
};

/* Zone abbreviations: offset in minutes east of UTC; us: a US zone name without S/D
 * (ET, PT) whose offset follows the US daylight saving rules; eu: numeric dates near it are
 * day first. */
static const struct zone {
    const char *name;
    int off;
    bool us, eu;
} zones[] = {
    { "Z", 0, false, false }, { "UT", 0, false, false }, { "UTC", 0, false, false },
    { "GMT", 0, false, false }, { "WET", 0, false, true }, { "WEST", 60, false, true },
    { "BST", 60, false, true }, { "CET", 60, false, true }, { "MET", 60, false, true },
    { "CEST", 120, false, true }, { "MEST", 120, false, true }, { "EET", 120, false, true },
    { "EEST", 180, false, true }, { "MSK", 180, false, true }, { "IST", 330, false, false },
    { "EST", -300, false, false }, { "EDT", -240, false, false },
    { "CST", -360, false, false }, { "CDT", -300, false, false },
    { "MST", -420, false, false }, { "MDT", -360, false, false },
    { "PST", -480, false, false }, { "PDT", -420, false, false },
    { "AKST", -540, false, false }, { "AKDT", -480, false, false },
    { "HST", -600, false, false }, { "AST", -240, false, false },
    { "ADT", -180, false, false }, { "NST", -210, false, false },
    { "NDT", -150, false, false }, { "JST", 540, false, false }, { "KST", 540, false, false },
    { "HKT", 480, false, false }, { "SGT", 480, false, false }, { "AWST", 480, false, false },
    { "ACST", 570, false, false }, { "ACDT", 630, false, false },
    { "AEST", 600, false, false }, { "AEDT", 660, false, false },
    { "NZST", 720, false, false }, { "NZDT", 780, false, false },
    { "SAST", 120, false, false }, { "CAT", 120, false, false }, { "EAT", 180, false, false },
    { "WAT", 60, false, false },
    { "ET", -300, true, false }, { "CT", -360, true, false }, { "MT", -420, true, false },
    { "PT", -480, true, false },
};

static int
tokenize(const char *s, size_t n, struct tok *t, size_t max, size_t *nt)
{
    size_t i = 0, k = 0, sp;

    while (i < n) {
        unsigned char ch = (unsigned char)s[i];

        if (IS_SPACE(ch)) {
            i++;
            continue;
        }
        if ((sp = uspace_len((const unsigned char *)s + i, n - i)) > 0) {
            i += sp;
            continue;
        }
        if (k == max)
            return -1;
        t[k].p = s + i;
        t[k].num = 0;
        if (IS_DIGIT(ch)) {
            size_t j = i;

            while (j < n && IS_DIGIT(s[j])) {
                if (j - i < 9)
                    t[k].num = t[k].num * 10 + (s[j] - '0');
                j++;
            }
            t[k].kind = TK_NUM;
            t[k].n = j - i;
            i = j;
        } else if (IS_ALPHA(ch)) {
            size_t j = i;

            while (j < n && IS_ALPHA((unsigned char)s[j]))
                j++;
            t[k].kind = TK_WORD;
            t[k].n = j - i;
            i = j;
        } else {
            size_t j = i + 1;

            if (ch >= 0x80)
                while (j < n && ((unsigned char)s[j] & 0xc0) == 0x80)
                    j++;
            t[k].kind = TK_PUNCT;
            t[k].n = j - i;
            i = j;
        }
        k++;
    }
    *nt = k;
    return 0;
}

static const struct tok *
cur(const struct dparse *p)
{
    return p->i < p->n ? &p->t[p->i] : NULL;
}

static bool
tok_is_word(const struct tok *t, const char *w)
{
    return t != NULL && t->kind == TK_WORD && t->n == strlen(w) &&
        ascii_strncasecmp(t->p, w, t->n) == 0;
}

static bool
tok_is_punct(const struct tok *t, char c)
{
    return t != NULL && t->kind == TK_PUNCT && t->n == 1 && t->p[0] == c;
}

static bool
tok_is_num(const struct tok *t, size_t mindig, size_t maxdig)
{
    return t != NULL && t->kind == TK_NUM && t->n >= mindig && t->n <= maxdig;
}

static bool
accept_punct(struct dparse *p, char c)
{
    if (!tok_is_punct(cur(p), c))
        return false;
    p->i++;
    return true;
}

static bool
accept_word(struct dparse *p, const char *w)
{
    if (!tok_is_word(cur(p), w))
        return false;
    p->i++;
    return true;
}

/* The suffix of "19th", "1st". */
static void
accept_ordinal(struct dparse *p)
{
    if (!accept_word(p, "st") && !accept_word(p, "nd") && !accept_word(p, "rd"))
        accept_word(p, "th");
}

/* Is t one of the characters of set, a string of UTF-8 characters ("年년")? */
static bool
tok_in_set(const struct tok *t, const char *set)
{
    if (t == NULL || t->kind != TK_PUNCT)
        return false;
    for (const char *q = set; *q != '\0'; ) {
        size_t k = 1;

        while (((unsigned char)q[k] & 0xc0) == 0x80)
            k++;
        if (k == t->n && memcmp(q, t->p, k) == 0)
            return true;
        q += k;
    }
    return false;
}

static bool
accept_in_set(struct dparse *p, const char *set)
{
    if (!tok_in_set(cur(p), set))
        return false;
    p->i++;
    return true;
}

/* A weekday after a CJK date: "(金)", "（金曜日）", "(금)", "星期五", "周五". */
static void
accept_cjk_weekday(struct dparse *p)
{
    static const char zh_days[] = "一二三四五六日天";
    size_t save = p->i;
    bool ok, paren = accept_punct(p, '(') || accept_in_set(p, "（");

    if (accept_in_set(p, "星")) {
        ok = accept_in_set(p, "期") && accept_in_set(p, zh_days);
    } else if (accept_in_set(p, "周週")) {
        ok = accept_in_set(p, zh_days);
    } else if (accept_in_set(p, "日月火水木金土일월화수목금토")) {
        bool yobi = accept_in_set(p, "曜");

        if (yobi)
            accept_in_set(p, "日");
        ok = paren || yobi;                 /* a bare "月" is not a weekday */
    } else {
        ok = false;
    }
    if (ok && paren)
        ok = accept_punct(p, ')') || accept_in_set(p, "）");
    if (!ok)
        p->i = save;
}

/* 1..12 for a month name or its abbreviation ("Oct", "Sept"), else 0. */
static int
month_of(const struct tok *t)
{
    if (t == NULL || t->kind != TK_WORD || t->n < 3)
        return 0;
    for (size_t i = 0; i < ARRAY_LEN(month_names); i++) {
        size_t len = strlen(month_names[i]);

        if ((t->n == len || t->n == 3) && ascii_strncasecmp(t->p, month_names[i], t->n) == 0)
            return (int)i + 1;
    }
    if (t->n == 4 && ascii_strncasecmp(t->p, "sept", 4) == 0)
        return 9;
    return 0;
}

static bool
is_weekday(const struct tok *t)
{
    static const char *const abbr[] = { "tues", "thur", "thurs" };

    if (t == NULL || t->kind != TK_WORD || t->n < 3)
        return false;
    for (size_t i = 0; i < ARRAY_LEN(day_names); i++)
        if ((t->n == 3 || t->n == strlen(day_names[i])) &&
            ascii_strncasecmp(t->p, day_names[i], t->n) == 0)
            return true;
    for (size_t i = 0; i < ARRAY_LEN(abbr); i++)
        if (tok_is_word(t, abbr[i]))
            return true;
    return false;
}

static bool
is_date_label(const struct tok *t)
{
    for (size_t i = 0; i < ARRAY_LEN(date_labels); i++)
        if (tok_is_word(t, date_labels[i]))
            return true;
    return false;
}

static bool
is_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(long y, int m)
{
    static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long
days_from_civil(long y, int m, int d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, long *y, int *m, int *d)
{
    long era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Day of the month of the nth Sunday of y-m (nth 0: the last one). */
static int
nth_sunday(long y, int m, int nth)
{
    long wd = ((days_from_civil(y, m, 1) + 4) % 7 + 7) % 7;      /* 0 = Sunday */
    int day = 1 + (int)((7 - wd) % 7);

    if (nth > 0)
        return day + 7 * (nth - 1);
    while (day + 7 <= days_in_month(y, m))
        day += 7;
    return day;
}

/* US daylight saving time at local y-m-d h:00 (Energy Policy Act of 2005 from 2007:
 * second Sunday of March to first Sunday of November, 2 a.m.; before: April to October). */
static bool
us_dst(long y, int m, int d, int h)
{
    int start, end, key = m * 100 + d;

    if (y >= 2007) {
        start = 300 + nth_sunday(y, 3, 2);
        end = 1100 + nth_sunday(y, 11, 1);
    } else {
        start = 400 + nth_sunday(y, 4, 1);
        end = 1000 + nth_sunday(y, 10, 0);
    }
    if (key == start)
        return h >= 2;
    if (key == end)
        return h < 1;
    return key > start && key < end;
}

/* "am"/"pm"/"a.m."/"p.m." at p: 1 am, 2 pm, 0 none (consumed when found). */
static int
accept_ampm(struct dparse *p)
{
    const struct tok *t = cur(p);

    if (tok_is_word(t, "am") || tok_is_word(t, "pm")) {
        p->i++;
        return TO_LOWER((unsigned char)t->p[0]) == 'a' ? 1 : 2;
    }
    if ((tok_is_word(t, "a") || tok_is_word(t, "p")) && p->i + 2 < p->n + 1 &&
        tok_is_punct(p->i + 1 < p->n ? &p->t[p->i + 1] : NULL, '.') &&
        tok_is_word(p->i + 2 < p->n ? &p->t[p->i + 2] : NULL, "m")) {
        int r = TO_LOWER((unsigned char)t->p[0]) == 'a' ? 1 : 2;

        p->i += 3;
        accept_punct(p, '.');
        return r;
    }
    return 0;
}

/* A time of day at p: 1 found, 0 none (nothing consumed), -1 out of range. */
static int
parse_time(struct dparse *p, int *h, int *mi, int *se)
{
    size_t save = p->i;
    bool minutes = false;
    int ampm;

    if (!tok_is_num(cur(p), 1, 2))
        return 0;
    *h = (int)cur(p)->num;
    *mi = *se = 0;
    p->i++;
    if (accept_in_set(p, "時时点시")) {         /* CJK: 18時30分, 8点, 9시 30분 */
        minutes = true;
        if (tok_is_num(cur(p), 1, 2) && p->i + 1 < p->n &&
            tok_in_set(&p->t[p->i + 1], "分분")) {
            *mi = (int)cur(p)->num;
            p->i += 2;
            if (tok_is_num(cur(p), 1, 2) && p->i + 1 < p->n &&
                tok_in_set(&p->t[p->i + 1], "秒초")) {
                *se = (int)cur(p)->num;
                p->i += 2;
            }
        }
    } else if ((tok_is_punct(cur(p), ':') || tok_is_punct(cur(p), '.')) && p->i + 1 < p->n &&
        tok_is_num(&p->t[p->i + 1], 2, 2)) {
        *mi = (int)p->t[p->i + 1].num;
        p->i += 2;
        minutes = true;
        if (tok_is_punct(cur(p), ':') && p->i + 1 < p->n && tok_is_num(&p->t[p->i + 1], 2, 2)) {
            *se = (int)p->t[p->i + 1].num;
            p->i += 2;
            if ((tok_is_punct(cur(p), '.') || tok_is_punct(cur(p), ',')) &&
                p->i + 1 < p->n && tok_is_num(&p->t[p->i + 1], 1, 9))
                p->i += 2;                          /* fraction of a second */
        }
    }
    ampm = accept_ampm(p);
    if (!minutes && ampm == 0) {
        p->i = save;
        return 0;
    }
    if (ampm != 0) {
        if (*h < 1 || *h > 12)
            return -1;
        *h = (*h % 12) + (ampm == 2 ? 12 : 0);
    }
    if (*h > 23 || *mi > 59 || *se > 60)
        return -1;
    if (*se == 60)
        *se = 59;                                   /* a leap second: close enough */
    return 1;
}

/* "+hhmm", "+hh:mm", "+hh" at p into minutes: 1 found, 0 none, -1 out of range. */
static int
parse_offset(struct dparse *p, int *off)
{
    const struct tok *t = cur(p);
    int sign, hh, mm = 0;

    if (!tok_is_punct(t, '+') && !tok_is_punct(t, '-'))
        return 0;
    if (p->i + 1 >= p->n)
        return 0;
    sign = t->p[0] == '-' ? -1 : 1;
    t = &p->t[p->i + 1];
    if (tok_is_num(t, 4, 4)) {
        hh = (int)t->num / 100;
        mm = (int)t->num % 100;
        p->i += 2;
    } else if (tok_is_num(t, 1, 2)) {
        hh = (int)t->num;
        p->i += 2;
        if (tok_is_punct(cur(p), ':') && p->i + 1 < p->n && tok_is_num(&p->t[p->i + 1], 2, 2)) {
            mm = (int)p->t[p->i + 1].num;
            p->i += 2;
        }
    } else {
        return 0;
    }
    if (hh > 14 || mm > 59)
        return -1;
    *off = sign * (hh * 60 + mm);
    return 1;
}

static const struct zone *
zone_of(const struct tok *t)
{
    if (t == NULL || t->kind != TK_WORD)
        return NULL;
    for (size_t i = 0; i < ARRAY_LEN(zones); i++)
        if (tok_is_word(t, zones[i].name))
            return &zones[i];
    return NULL;
}

/* An abbreviation we do not know ("WIB"): 2 to 5 capital letters. */
static bool
looks_like_zone(const struct tok *t)
{
    if (t == NULL || t->kind != TK_WORD || t->n < 2 || t->n > 5)
        return false;
    for (size_t i = 0; i < t->n; i++)
        if (t->p[i] < 'A' || t->p[i] > 'Z')
            return false;
    return true;
}

struct dzone {
    int kind;                   /* 0 none, 1 known, 2 an unknown abbreviation */
    int off;
    const struct zone *z;
};

/* A zone at p: 1 found, 0 none, -1 invalid. */
static int
parse_zone(struct dparse *p, struct dzone *z)
{
    bool paren = false;
    int r, extra = 0;

    if (tok_is_punct(cur(p), '(') && p->i + 2 < p->n && p->t[p->i + 1].kind == TK_WORD &&
        tok_is_punct(&p->t[p->i + 2], ')')) {
        paren = true;
        p->i++;
    }
    if ((z->z = zone_of(cur(p))) != NULL) {
        p->i++;
        z->kind = 1;
        z->off = z->z->off;
        if (z->z->off == 0 && !z->z->eu && (r = parse_offset(p, &extra)) != 0) {
            if (r == -1)
                return -1;
            z->off = extra;                         /* "GMT+1", "UTC-05:00" */
        }
    } else if (looks_like_zone(cur(p))) {
        p->i++;
        z->kind = 2;
    } else if (!paren && (r = parse_offset(p, &z->off)) != 0) {
        if (r == -1)
            return -1;
        z->kind = 1;
    } else {
        if (paren)
            p->i--;
        return 0;
    }
    if (paren)
        p->i++;                                     /* the ')' */
    /* RFC 5322 3.3 allows a comment after the zone: "+0100 (BST)". */
    if (tok_is_punct(cur(p), '(')) {
        while (p->i < p->n && !tok_is_punct(cur(p), ')'))
            p->i++;
        if (!accept_punct(p, ')'))
            return -1;
    }
    return 1;
}

/* Year from a 2- or 4-digit number (RFC 5322 4.3: 00-49 are 20xx, 50-99 are 19xx). */
static long
full_year(const struct tok *t)
{
    if (t->n == 2)
        return t->num < 50 ? 2000 + t->num : 1900 + t->num;
    return t->num;
}

/* "YYYY-MM-DD" or, when h >= 0, "YYYY-MM-DDTHH:MM:SSZ"; y is in 1899..2200. */
static void
format_iso(char iso[ARTICLE_ISO_MAX], long y, int mo, int d, int h, int mi, int s)
{
    const int parts[] = { mo, d, h, mi, s };
    static const char seps[] = "--T::";
    size_t k = 0;

    for (int i = 3; i >= 0; i--, y /= 10)
        iso[i] = (char)('0' + y % 10);
    k = 4;
    for (size_t i = 0; i < ARRAY_LEN(parts) && (i < 2 || h >= 0); i++) {
        iso[k++] = seps[i];
        iso[k++] = (char)('0' + parts[i] / 10 % 10);
        iso[k++] = (char)('0' + parts[i] % 10);
    }
    if (h >= 0)
        iso[k++] = 'Z';
    iso[k] = '\0';
}

/*
 * Parse s[0..n) as one date.  0: iso written; 1: a date with a time in a zone we do not
 * know (iso empty, but the text is recognisably a date); -1: not a date.
 */
static int
parse_date(const char *s, size_t n, char iso[ARTICLE_ISO_MAX])
{
    struct tok t[DATE_MAX_TOKENS];
    struct dparse p = { t, 0, 0 };
    struct dzone zone = { 0, 0, NULL };
    long y = -1;
    int mo = 0, da = 0, h = -1, mi = 0, se = 0, r, na = 0, nb = 0;
    bool numeric = false, ctime_year = false;
    char sep = 0;

    iso[0] = '\0';
    if (tokenize(s, n, t, ARRAY_LEN(t), &p.n) == -1 || p.n == 0)
        return -1;
    while (is_date_label(cur(&p))) {
        p.i++;
        accept_punct(&p, ':');
    }
    if (is_weekday(cur(&p))) {
        p.i++;
        accept_punct(&p, '.');
        accept_punct(&p, ',');
    }
    if (tok_is_num(cur(&p), 4, 4) && p.i + 1 < p.n && tok_in_set(&t[p.i + 1], "年년")) {
        y = cur(&p)->num;                           /* 2014年10月19日, 2014년 10월 19일 */
        p.i += 2;
        if (!tok_is_num(cur(&p), 1, 2))
            return -1;
        mo = (int)cur(&p)->num;
        p.i++;
        if (!accept_in_set(&p, "月월") || !tok_is_num(cur(&p), 1, 2))
            return -1;
        da = (int)cur(&p)->num;
        p.i++;
        if (!accept_in_set(&p, "日일"))
            return -1;
        accept_cjk_weekday(&p);
    } else if (tok_is_num(cur(&p), 4, 4)) {         /* 2014-10-19, 2014/10/19 */
        y = cur(&p)->num;
        p.i++;
        if (!(tok_is_punct(cur(&p), '-') || tok_is_punct(cur(&p), '/') ||
            tok_is_punct(cur(&p), '.')))
            return -1;
        sep = cur(&p)->p[0];
        p.i++;
        if (!tok_is_num(cur(&p), 1, 2))
            return -1;
        mo = (int)cur(&p)->num;
        p.i++;
        if (!accept_punct(&p, sep) || !tok_is_num(cur(&p), 1, 2))
            return -1;
        da = (int)cur(&p)->num;
        p.i++;
    } else if (tok_is_num(cur(&p), 1, 2)) {
        na = (int)cur(&p)->num;
        p.i++;
        if ((tok_is_punct(cur(&p), '/') || tok_is_punct(cur(&p), '-') ||
            tok_is_punct(cur(&p), '.')) && p.i + 3 < p.n + 1 && p.i + 1 < p.n &&
            tok_is_num(&t[p.i + 1], 1, 2)) {        /* 10/19/2014, 19.10.2014 */
            sep = cur(&p)->p[0];
            nb = (int)t[p.i + 1].num;
            p.i += 2;
            if (!accept_punct(&p, sep) || !(tok_is_num(cur(&p), 4, 4) ||
                tok_is_num(cur(&p), 2, 2)))
                return -1;
            y = full_year(cur(&p));
            p.i++;
            numeric = true;
        } else {                                    /* 19 Oct 2014, 19th of October 2014 */
            accept_ordinal(&p);
            accept_punct(&p, '-');
            accept_word(&p, "of");
            if ((mo = month_of(cur(&p))) == 0)
                return -1;
            p.i++;
            accept_punct(&p, '.');
            if (!accept_punct(&p, '-'))
                accept_punct(&p, ',');
            if (!tok_is_num(cur(&p), 4, 4) && !tok_is_num(cur(&p), 2, 2))
                return -1;
            y = full_year(cur(&p));
            da = na;
            p.i++;
        }
    } else if ((mo = month_of(cur(&p))) != 0) {     /* Oct 19, 2014; Oct 19 16:55:00 2014 */
        p.i++;
        accept_punct(&p, '.');
        if (!tok_is_num(cur(&p), 1, 2))
            return -1;
        da = (int)cur(&p)->num;
        p.i++;
        accept_ordinal(&p);
        accept_punct(&p, ',');
        if (tok_is_num(cur(&p), 4, 4)) {
            y = cur(&p)->num;
            p.i++;
        } else {
            ctime_year = true;                      /* asctime(3): the year comes last */
        }
    } else {
        return -1;
    }

    /* Between the date and the time: "," "at" "-" "|" "@" "T" (ISO 8601). */
    while (accept_punct(&p, ',') || accept_word(&p, "at") || accept_punct(&p, '-') ||
        accept_punct(&p, '|') || accept_punct(&p, '@') || accept_word(&p, "t"))
        ;
    if (p.i < p.n && cur(&p)->kind == TK_NUM && !(ctime_year && tok_is_num(cur(&p), 4, 4))) {
        if ((r = parse_time(&p, &h, &mi, &se)) != 1)
            return -1;
    }
    if ((r = parse_zone(&p, &zone)) == -1)
        return -1;
    if (ctime_year) {
        if (!tok_is_num(cur(&p), 4, 4))
            return -1;
        y = cur(&p)->num;
        p.i++;
    }
    if (!accept_punct(&p, '.'))
        accept_punct(&p, ',');
    if (p.i != p.n)
        return -1;

    if (numeric) {
        if (sep == '.' || na > 12 || (nb <= 12 && zone.z != NULL && zone.z->eu)) {
            da = na;                                /* day first */
            mo = nb;
        } else {
            mo = na;                                /* US: month first */
            da = nb;
        }
    }
    if (y < 1900 || y > 2199 || mo < 1 || mo > 12 || da < 1 || da > days_in_month(y, mo))
        return -1;
    if (h < 0) {
        format_iso(iso, y, mo, da, -1, 0, 0);
        return 0;
    }
    if (zone.kind == 2)
        return 1;
    {
        int off = zone.off;
        long mins, days;
        int m2, d2;

        if (zone.z != NULL && zone.z->us && us_dst(y, mo, da, h))
            off += 60;
        mins = days_from_civil(y, mo, da) * 1440 + h * 60 + mi - off;
        days = mins >= 0 ? mins / 1440 : -((-mins + 1439) / 1440);
        mins -= days * 1440;
        civil_from_days(days, &y, &m2, &d2);
        format_iso(iso, y, m2, d2, (int)(mins / 60), (int)(mins % 60), se);
    }
    return 0;
}

int
article_parse_date(const char *s, char iso[ARTICLE_ISO_MAX])
{
    if (parse_date(s, strlen(s), iso) != 0) {
        iso[0] = '\0';
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Markdown: HTML from cmark, plain text from our own walk of cmark's tree */

/* Is url worth a numbered reference in the text: absolute http(s) or mailto. */
static bool
url_is_referable(const char *url)
{
    return url != NULL && (url_is_web(url) || (ascii_strncasecmp(url, "mailto:", 7) == 0 &&
        url[7] != '\0'));
}

/* Make relative link and image URLs absolute against the article's url. */
static void
md_fix_urls(cmark_node *doc, const char *base)
{
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;

    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(n);
        const char *url;
        char *abs;

        if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE))
            continue;
        url = cmark_node_get_url(n);
        if (url != NULL && (abs = resolve_url(base, url)) != NULL) {
            cmark_node_set_url(n, abs);
            free(abs);
        }
    }
    cmark_iter_free(it);
}

struct tr {
    struct ctx *c;
    bool refs;                  /* number the links ("text [1]") */
    bool err;                   /* an output buffer hit its maximum */
};

/*
 * Append the inline content under n as plain text: emphasis dropped, code kept, raw HTML
 * dropped, line breaks kept, links as "text [N]" with the URL in the article's links,
 * images as their alt text in brackets.  Iterative, so deep nesting costs no stack.
 */
static void
tr_inlines(struct tr *t, cmark_node *n, struct buf *b)
{
    cmark_iter *it = cmark_iter_new(n);
    cmark_event_type ev;
    size_t marks[TEXT_MAX_DEPTH * 4];
    size_t nmarks = 0;

    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *x = cmark_iter_get_node(it);
        cmark_node_type ty = cmark_node_get_type(x);
        const char *lit;
        int rc = 0;

        if (x == n)
            continue;
        switch (ty) {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
            lit = cmark_node_get_literal(x);
            rc = buf_adds(b, lit ? lit : "");
            break;
        case CMARK_NODE_SOFTBREAK:
            rc = buf_addc(b, ' ');
            break;
        case CMARK_NODE_LINEBREAK:
            rc = buf_addc(b, '\n');
            break;
        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE:
            if (ev == CMARK_EVENT_ENTER) {
                if (ty == CMARK_NODE_IMAGE)
                    rc = buf_addc(b, '[');
                if (nmarks < ARRAY_LEN(marks))
                    marks[nmarks] = b->len;
                nmarks++;
            } else if (--nmarks < ARRAY_LEN(marks)) {
                const char *url = cmark_node_get_url(x);
                const char *text = buf_str(b) + marks[nmarks];
                const char *bare = url;

                if (ty == CMARK_NODE_IMAGE) {
                    rc = buf_addc(b, ']');
                    break;
                }
                if (url != NULL && ascii_strncasecmp(url, "mailto:", 7) == 0)
                    bare = url + 7;
                /* An autolink already shows its URL: no reference needed. */
                if (t->refs && url_is_referable(url) && strcmp(text, url) != 0 &&
                    strcmp(text, bare) != 0) {
                    char *copy = xstrdup(text);
                    size_t num = add_link(t->c, url, copy);

                    free(copy);
                    rc = buf_addf(b, " [%zu]", num);
                }
            }
            break;
        case CMARK_NODE_PARAGRAPH:
        case CMARK_NODE_HEADING:
        case CMARK_NODE_ITEM:
            /* Only met when flattening blocks nested past TEXT_MAX_DEPTH. */
            if (ev == CMARK_EVENT_EXIT)
                rc = buf_addc(b, '\n');
            break;
        default:                /* emphasis, strong, raw HTML (dropped), custom nodes */
            break;
        }
        if (rc == -1) {
            t->err = true;
            break;
        }
    }
    cmark_iter_free(it);
}

/* Number of characters (not bytes) in s[0..n). */
static size_t
utf8_width(const char *s, size_t n)
{
    size_t w = 0;

    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            w++;
    return w;
}

/* Append text to b with first before its first line and rest before the others (no
 * prefix on empty lines beyond the prefix's trailing spaces). */
static void
tr_prefixed(struct tr *t, struct buf *b, const char *text, const char *first, const char *rest)
{
    const char *p = text;
    bool firstline = true;

    while (*p != '\0' || firstline) {
        size_t len = strcspn(p, "\n");
        const char *pre = firstline ? first : rest;
        size_t plen = strlen(pre);

        if (len == 0)
            while (plen > 0 && pre[plen - 1] == ' ')
                plen--;
        if (buf_add(b, pre, plen) == -1 || buf_add(b, p, len) == -1) {
            t->err = true;
            return;
        }
        firstline = false;
        p += len;
        if (*p == '\0')
            break;
        p++;
        if (buf_addc(b, '\n') == -1) {
            t->err = true;
            return;
        }
    }
}

static void tr_block(struct tr *t, cmark_node *n, struct buf *out, int depth);

/* The blocks under n separated by a blank line (one newline in a tight list item). */
static void
tr_children(struct tr *t, cmark_node *n, struct buf *out, int depth, bool tight)
{
    bool any = false;

    for (cmark_node *ch = cmark_node_first_child(n); ch != NULL && !t->err;
        ch = cmark_node_next(ch)) {
        struct buf one;

        buf_init(&one, BODY_MAX);
        tr_block(t, ch, &one, depth);
        if (one.len > 0) {
            if (any && buf_adds(out, tight ? "\n" : "\n\n") == -1)
                t->err = true;
            if (buf_add(out, one.p, one.len) == -1)
                t->err = true;
            any = true;
        }
        buf_fini(&one);
    }
}

/* Render one block as plain text into out (nothing for raw HTML). */
static void
tr_block(struct tr *t, cmark_node *n, struct buf *out, int depth)
{
    struct buf tmp;
    const char *lit;
    int level, rc = 0;
    size_t w;

    if (depth > 2 * TEXT_MAX_DEPTH) {
        tr_inlines(t, n, out);                  /* hostile nesting: flat text, no recursion */
        return;
    }
    buf_init(&tmp, BODY_MAX);
    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_PARAGRAPH:
        tr_inlines(t, n, out);
        break;
    case CMARK_NODE_HEADING:
        tr_inlines(t, n, &tmp);
        level = cmark_node_get_heading_level(n);
        rc = buf_add(out, tmp.p ? tmp.p : "", tmp.len);
        /* Setext underlines for the two top levels: readable in any mail client. */
        if (level <= 2 && tmp.len > 0) {
            rc |= buf_addc(out, '\n');
            w = utf8_width(tmp.p, tmp.len);
            for (size_t i = 0; i < w && i < 72 && rc == 0; i++)
                rc = buf_addc(out, level == 1 ? '=' : '-');
        }
        break;
    case CMARK_NODE_THEMATIC_BREAK:
        rc = buf_adds(out, "* * *");
        break;
    case CMARK_NODE_CODE_BLOCK:
        lit = cmark_node_get_literal(n);
        if (lit != NULL && *lit != '\0') {
            size_t len = strlen(lit);
            char *copy = xstrndup(lit, len > 0 && lit[len - 1] == '\n' ? len - 1 : len);

            tr_prefixed(t, out, copy, "    ", "    ");
            free(copy);
        }
        break;
    case CMARK_NODE_BLOCK_QUOTE:
        tr_children(t, n, &tmp, depth + 1, false);
        if (depth < TEXT_MAX_DEPTH)
            tr_prefixed(t, out, buf_str(&tmp), "> ", "> ");
        else
            rc = buf_add(out, buf_str(&tmp), tmp.len);
        break;
    case CMARK_NODE_LIST: {
        bool ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
        bool tight = cmark_node_get_list_tight(n) != 0;
        int num = cmark_node_get_list_start(n);
        bool paren = cmark_node_get_list_delim(n) == CMARK_PAREN_DELIM;
        bool any = false;

        for (cmark_node *it = cmark_node_first_child(n); it != NULL && !t->err;
            it = cmark_node_next(it), num++) {
            char marker[32], pad[32];
            struct buf item;

            buf_init(&item, BODY_MAX);
            tr_children(t, it, &item, depth + 1, tight);
            if (ordered)
                snprintf(marker, sizeof(marker), "%d%c ", num, paren ? ')' : '.');
            else
                snprintf(marker, sizeof(marker), "- ");
            if (depth >= TEXT_MAX_DEPTH)
                marker[0] = '\0';
            memset(pad, ' ', strlen(marker));
            pad[strlen(marker)] = '\0';
            if (any && buf_adds(out, tight ? "\n" : "\n\n") == -1)
                t->err = true;
            tr_prefixed(t, out, buf_str(&item), marker, pad);
            buf_fini(&item);
            any = true;
        }
        break;
    }
    case CMARK_NODE_HTML_BLOCK:
    case CMARK_NODE_CUSTOM_BLOCK:
        break;
    default:
        tr_children(t, n, out, depth + 1, false);
        break;
    }
    if (rc != 0)
        t->err = true;
    buf_fini(&tmp);
}

/* Text of a heading or paragraph as one line (for a title, without link references, or a
 * paragraph, with them). */
static const char *
md_inline_text(struct ctx *c, cmark_node *n, bool refs)
{
    struct tr t = { c, refs, false };
    struct buf b;
    const char *r;

    buf_init(&b, BODY_MAX);
    tr_inlines(&t, n, &b);
    r = oneline(c, buf_str(&b), b.len);
    buf_fini(&b);
    return r;
}

/*
 * Render a Markdown body into body_html and body_text, collect the top-level paragraphs,
 * and take the title from the first heading when there is none yet (removing that heading
 * when it opens the body, so the digest does not show the title twice).
 */
static int
md_render(struct ctx *c, const char *md, size_t len)
{
    struct article *a = c->a;
    int opts = CMARK_OPT_DEFAULT | (c->o->allow_html ? CMARK_OPT_UNSAFE : 0);
    cmark_node *doc = cmark_parse_document(md, len, opts);
    struct tr t = { c, true, false };
    struct buf text;
    char *html = NULL;
    int rc = -1;

    buf_init(&text, BODY_MAX);
    if (doc == NULL) {
        diag_set(c->d, EX_SOFTWARE, "cmark could not parse the body");
        goto out;
    }
    md_fix_urls(doc, a->url);
    if (a->title == NULL) {
        cmark_iter *it = cmark_iter_new(doc);
        cmark_event_type ev;
        cmark_node *h = NULL;

        while (h == NULL && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
            cmark_node *n = cmark_iter_get_node(it);

            if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(n) == CMARK_NODE_HEADING)
                h = n;
        }
        cmark_iter_free(it);
        if (h != NULL && (a->title = md_inline_text(c, h, false)) != NULL &&
            h == cmark_node_first_child(doc))
            cmark_node_free(h);                 /* unlinks it too */
    }
    tr_block(&t, doc, &text, 0);            /* first, so links are numbered in order */
    if (t.err) {
        diag_set(c->d, EX_DATAERR, "the body is too large once rendered (over %zu MiB)",
            BODY_MAX >> 20);
        goto out;
    }
    for (cmark_node *n = cmark_node_first_child(doc); n != NULL; n = cmark_node_next(n)) {
        const char *p;

        if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH &&
            (p = md_inline_text(c, n, true)) != NULL)
            add_para(c, p, strlen(p));
    }
    html = cmark_render_html(doc, opts);
    a->body_html = arena_strdup(&a->arena, html);
    a->body_text = adup(c, buf_str(&text), text.len);
    rc = 0;
out:
    free(html);
    buf_fini(&text);
    if (doc != NULL)
        cmark_node_free(doc);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Front matter and YAML article files */

enum meta_key {
    K_TITLE, K_URL, K_SOURCE, K_AUTHOR, K_DATE, K_TAGS, K_SUMMARY, K_IMAGE, K_IMAGE_ALT,
    K_BODY, K_PARAGRAPHS,
};

static const char *const meta_keys[] = {
    "title", "url", "source", "author", "date", "tags", "summary", "image", "image_alt",
    "body", "paragraphs",
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
    const char *best = NULL;
    int bestd = 3;

    for (size_t i = 0; i < ARRAY_LEN(meta_keys); i++) {
        int dist;

        if (!yaml && (i == K_BODY || i == K_PARAGRAPHS))
            continue;
        if (TO_LOWER((unsigned char)key[0]) != meta_keys[i][0])
            continue;
        dist = edit_distance(key, meta_keys[i]);
        if (dist < bestd) {
            bestd = dist;
            best = meta_keys[i];
        }
    }
    return best;
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
            if ((s = oneline(c, s, strlen(s))) != NULL)
                add_tag(c, s);
        }
        return 0;
    }
    if ((s = meta_scalar(c, "tags", v, lineoff)) == NULL)
        return -1;
    while (*s != '\0') {                    /* "tags: china, cyber security" */
        size_t len = strcspn(s, ",");
        const char *t = oneline(c, s, len);

        if (t != NULL)
            add_tag(c, t);
        s += len;
        if (*s == ',')
            s++;
    }
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
    struct article *a = c->a;

    for (size_t i = 0; i < map->n; i++) {
        const struct value_pair *kv = &map->pairs[i];
        const struct value *v = kv->val;
        int line = v->line + lineoff, col = v->col;
        const char *s = NULL, *sug;
        size_t k;

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
                    "tags, summary, image, image_alt, and body or paragraphs", kv->key);
                return -1;
            }
            continue;
        }
        if (v->type == VALUE_NULL)
            continue;
        if (k == K_TAGS) {
            if (meta_tags(c, v, lineoff) == -1)
                return -1;
            continue;
        }
        if (k == K_PARAGRAPHS) {
            if (mb->body != NULL) {
                diag_setat(c->d, EX_DATAERR, kv->line + lineoff, kv->col,
                    "give either body or paragraphs, not both");
                return -1;
            }
            if (v->type != VALUE_LIST) {
                diag_setat(c->d, EX_DATAERR, line, col, "paragraphs must be a list of "
                    "strings (lines starting with \"- \"), not a %s", value_type_name(v->type));
                return -1;
            }
            for (size_t j = 0; j < v->n; j++)
                if (meta_scalar(c, "each paragraph", v->items[j], lineoff) == NULL)
                    return -1;
            mb->paragraphs = v;
            continue;
        }
        if ((s = meta_scalar(c, kv->key, v, lineoff)) == NULL)
            return -1;
        switch (k) {
        case K_BODY:
            if (mb->paragraphs != NULL) {
                diag_setat(c->d, EX_DATAERR, kv->line + lineoff, kv->col,
                    "give either body or paragraphs, not both");
                return -1;
            }
            mb->body = v;
            break;
        case K_TITLE:
            a->title = oneline(c, s, strlen(s));
            break;
        case K_SOURCE:
            a->source = oneline(c, s, strlen(s));
            break;
        case K_AUTHOR:
            a->author = oneline(c, s, strlen(s));
            break;
        case K_SUMMARY:
            a->summary = oneline(c, s, strlen(s));
            break;
        case K_IMAGE_ALT:
            a->image_alt = oneline(c, s, strlen(s));
            break;
        case K_URL:
            if (!url_is_web(s)) {
                diag_setat(c->d, EX_DATAERR, line, col, "url \"%.200s\" is not a web address; "
                    "write an absolute http:// or https:// URL", s);
                return -1;
            }
            a->url = adup(c, s, strlen(s));
            break;
        case K_IMAGE:
            if (!url_is_web(s) && (scheme_len(s) > 0 || s[strcspn(s, "\r\n\t")] != '\0' ||
                *s == '\0')) {
                diag_setat(c->d, EX_DATAERR, line, col, "image \"%.200s\" is neither a web "
                    "address nor a file path; write an http(s) URL or a path such as "
                    "images/photo.jpg", s);
                return -1;
            }
            a->image = adup(c, s, strlen(s));
            break;
        case K_DATE:
            a->date = oneline(c, s, strlen(s));
            if (a->date == NULL || parse_date(a->date, strlen(a->date), a->date_iso) != 0) {
                diag_setat(c->d, EX_DATAERR, line, col, "date \"%.100s\" is not a date; write "
                    "it as 2020-01-31 or \"Jan 31, 2020\"", s);
                return -1;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

/* Paragraphs given as plain text (YAML "paragraphs", scraped text) into the bodies. */
static int
plain_bodies(struct ctx *c)
{
    struct article *a = c->a;
    struct buf html, text;
    int rc = 0;

    buf_init(&html, BODY_MAX);
    buf_init(&text, BODY_MAX);
    for (size_t i = 0; i < a->nparagraphs && rc == 0; i++) {
        const char *p = a->paragraphs[i];

        rc |= buf_adds(&html, "<p>");
        rc |= html_escape(&html, p, strlen(p));
        rc |= buf_adds(&html, "</p>\n");
        if (i > 0)
            rc |= buf_adds(&text, "\n\n");
        rc |= buf_adds(&text, p);
    }
    if (rc != 0)
        diag_set(c->d, EX_DATAERR, "the body is too large once rendered");
    else {
        a->body_html = adup(c, buf_str(&html), html.len);
        a->body_text = adup(c, buf_str(&text), text.len);
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
            const char *p = oneline(c, v->str ? v->str : "", v->len);

            if (p != NULL)
                add_para(c, p, strlen(p));
        }
        return plain_bodies(c);
    }
    if (mb->body != NULL)
        return md_render(c, mb->body->str ? mb->body->str : "", mb->body->len);
    return md_render(c, md, mdlen);
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

static int
parse_markdown(struct ctx *c, const char *text, size_t len)
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
    if (md_render(c, p, (size_t)(end - p)) == -1)
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

static int
parse_yaml(struct ctx *c, const char *text, size_t len)
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

/* ------------------------------------------------------------------------------------ */
/* Scraped text: find the title, source, byline, date and paragraphs among page noise */

/*
 * Noise patterns, matched with glob_match() (case folded).  Whole-line patterns are
 * compared with leading and trailing punctuation removed ("Share:" is "share"); "short"
 * patterns apply to lines of at most NOISE_SHORT_WORDS words, so a paragraph that happens
 * to say "click here" survives; "any" patterns are specific enough for every line.
 */
#define NOISE_SHORT_WORDS 25

static const char *const noise_line[] = {
    "home", "menu", "main menu", "search", "sections", "navigation", "skip to *",
    "jump to *", "advertisement", "advertisements", "advertising", "ad", "ads", "sponsored",
    "sponsored content", "paid content", "promoted", "share", "shares", "share this",
    "share this article", "share this story", "share this page", "share this post",
    "share article", "share story", "share on *", "share via *", "share with *", "tweet",
    "tweet this", "pin it", "email", "e-mail", "email this", "email this article", "print",
    "print this", "print this article", "save", "save article", "save for later",
    "copy link", "link copied", "comment", "comments", "view comments", "show comments",
    "log in", "login", "log out", "sign in", "sign out", "sign up", "register",
    "create account", "my account", "subscribe", "subscribe now", "subscribe today",
    "follow", "follow us", "follow us on *", "follow * on *", "like us on *",
    "connect with us", "back to top", "top", "read more", "read more *", "continue reading",
    "continue reading *", "next", "previous", "prev", "next article", "previous article",
    "next story", "previous story", "close", "open", "toggle *", "accept", "accept all",
    "accept cookies", "reject all", "decline", "agree", "i agree", "ok", "got it",
    "manage preferences", "manage cookies", "manage settings", "cookie settings",
    "privacy settings", "more", "more info", "learn more", "loading", "please wait",
    "related", "related: *", "see also", "see also: *", "also read: *", "also read *",
    "read also: *", "read: *", "watch", "watch: *", "watch live", "video", "video: *",
    "listen", "listen: *", "listen to this article*", "audio", "photo", "photos", "photo: *",
    "photograph: *", "image", "image: *", "image source*", "image caption*", "photo credit*",
    "caption: *", "getty images", "file photo", "tags", "tags: *", "tag: *", "topics",
    "topics: *", "topic: *", "categories: *", "category: *", "filed under*", "posted in *",
    "keywords: *", "* min read", "* mins read", "* minute read", "* minutes read",
    "* min. read", "reading time*", "more on this story", "more on this topic",
    "related topics", "top stories", "latest", "latest news", "breaking news", "breaking",
    "live", "updated", "newsletter", "newsletters", "podcast", "podcasts", "copyright*",
    "all rights reserved*", "terms", "terms of use", "privacy", "privacy policy",
    "cookie policy", "contact", "contact us", "about", "about us", "help", "faq", "rss",
    "site map", "sitemap", "careers", "advertise", "advertise with us", "download the app",
    "get the app", "open in app", "open app", "scroll to continue*", "story continues below*",
    "article continues below*", "continue below*", "thanks for reading*",
    "thank you for reading*", "facebook", "twitter", "x", "instagram", "linkedin",
    "whatsapp", "telegram", "reddit", "pinterest", "youtube", "tiktok", "flipboard",
    "messenger", "sms", "copy", "link", "join the mailing list*", "join our mailing list*",
    "join the conversation*", "join the discussion*",
    /* Chinese, Japanese, Korean: share, log in / register, back to top, ad */
    "分享", "分享到*", "分享至*", "分享本文*", "シェア", "シェアする", "ツイート", "공유",
    "공유하기", "登录", "注册", "登录*注册", "ログイン", "会員登録", "ログイン*会員登録*",
    "로그인", "회원가입", "返回顶部", "ページの先頭へ", "广告", "広告", "광고",
};

static const char *const noise_short[] = {
    "*buy it here*", "*buy now*", "*shop now*", "*order now*", "*add to cart*",
    "*mailing list*", "*our newsletter*", "*newsletter sign*", "*sign up for our*",
    "*sign up to our*", "*subscribe to our*", "*subscribe for *", "*subscribe now*",
    "*follow us on*", "*follow us:*", "*like us on*", "*find us on*", "*share on facebook*",
    "*share on twitter*", "*share this article*", "*share this story*", "*click here*",
    "*tap here*", "*privacy policy*", "*terms of use*", "*terms of service*",
    "*terms and conditions*", "*cookie policy*", "*cookie settings*", "*accept cookies*",
    "*uses cookies*", "*use cookies*", "*getty images*", "*reuters/*", "*ap photo*",
    "*afp photo*", "*photo by *", "*photo credit*", "*image credit*", "*download the app*",
    "*download our app*", "*get the app*", "*story continues*", "*article continues*",
    "*continue reading*", "*read more:*", "*read more at*", "*read the full*",
    "*was originally published*", "*originally appeared*", "*first appeared on*", "*©*",
    "*(c) 19*", "*(c) 20*", "*all rights reserved*", "*enable javascript*",
    "*javascript is disabled*", "*your browser does not support*", "*update your browser*",
    "*ad blocker*", "*adblock*", "*support our journalism*",
    "*support independent journalism*", "*become a member*", "*become a subscriber*",
    "*already a subscriber*", "*already have an account*", "*sign in to *",
    "*to continue reading*", "*subscribers only*",
    "*版权所有*", "*版權所有*", "*不得转载*", "*禁止转载*", "*無断転載*", "*무단 전재*",
};

static const char *const noise_any[] = {
    "*we use cookies*", "*this site uses cookies*", "*this website uses cookies*",
    "*use of cookies*", "*uses cookies to*", "*by continuing to browse*",
    "*by continuing to use this*", "*all rights reserved*", "*enable javascript*",
    "*ad blocker*", "*your browser does not support*",
    "*may not be published, broadcast, rewritten*",
    "*本网站使用cookie*", "*本站使用cookie*", "*我们使用cookie*", "*当サイトでは*cookie*",
    "*cookieを使用しています*", "*クッキーを使用しています*", "*쿠키를 사용합니다*",
};

/* Whole lines after which the article is over: what follows is comments or other stories. */
static const char *const end_line[] = {
    "comments", "* comments", "comment", "leave a comment*", "post a comment*",
    "add a comment*", "join the discussion*", "join the conversation*", "related",
    "related articles", "related stories", "related posts", "related content",
    "related coverage", "related news", "related topics", "more from *", "more stories*",
    "more news*", "more on this*", "you may also like*", "you might also like*",
    "you may be interested in*", "recommended", "recommended for you", "recommended stories",
    "recommended reading", "most read", "most popular", "most viewed", "popular",
    "popular now", "popular stories", "trending", "trending now", "trending stories",
    "read next", "what to read next", "up next", "latest news", "latest stories",
    "top stories", "about the author", "about the authors",
    "相关新闻", "相关阅读", "相关文章", "相关报道", "相關新聞", "延伸阅读", "関連記事",
    "関連ニュース", "관련기사", "관련 기사",
};

/* Words in the names of publications: a line next to the date with one of these is the
 * source; without, a bare "Jane Doe" there is more likely the author. */
static const char *const media_words[] = {
    "news", "times", "post", "press", "tv", "radio", "daily", "weekly", "journal", "herald",
    "tribune", "gazette", "courier", "observer", "chronicle", "guardian", "telegraph",
    "reuters", "ap", "afp", "upi", "bbc", "cnn", "agency", "wire", "media", "magazine",
    "review", "today", "ledger", "mail", "star", "express", "standard", "independent",
    "globe", "bulletin", "network", "channel", "online", "blog", "digest", "dispatch",
    "record", "register", "monitor", "examiner", "inquirer", "sentinel", "report",
    "broadcasting", "newsroom", "associated", "bloomberg", "xinhua",
};

/* Words of a byline or source that make a comma-separated part a job title, not a name. */
static const char *const role_words[] = {
    "writer", "editor", "correspondent", "reporter", "contributor", "columnist", "staff",
    "producer", "journalist", "analyst", "critic", "chief", "bureau", "senior", "associate",
    "special", "freelance", "intern",
};

/* Lowercase words allowed inside a person's name ("Ludwig van Beethoven"). */
static const char *const name_particles[] = {
    "and", "&", "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "van",
    "von", "bin", "al", "el", "y", "ten", "ter",
};

static const char *const byline_prefixes[] = {
    "by ", "by: ", "written by ", "words by ", "story by ", "posted by ", "author: ",
    "authors: ",
};

enum {
    U_TERMINAL = 1 << 0,        /* ends like a sentence */
    U_PROSE = 1 << 1,           /* mostly lowercase words: running text, not a label */
    U_SENTENCE = 1 << 2,        /* a paragraph, possibly a short one */
    U_STRONG = 1 << 3,          /* surely a paragraph */
    U_NOISE = 1 << 4,           /* matched a noise pattern */
    U_END = 1 << 5,             /* the article ends before this line */
    U_DATE = 1 << 6,            /* a date line (with perhaps a byline or source) */
    U_BYLINE = 1 << 7,          /* "By Jane Doe" */
    U_SRCLABEL = 1 << 8,        /* "Source: Reuters" */
};

enum role { R_NONE, R_TITLE, R_PARA, R_SUMMARY, R_META };

struct unit {
    const char *s;              /* cleaned text (scratch arena), NUL-terminated */
    size_t n;
    int line;                   /* of its first line in the file */
    int words, caps;
    unsigned f;
    int repeat;                 /* how many units have exactly this text */
    int hrepeat;                /* the same, counting the header (before the text) only */
    enum role role;
    const char *why;            /* for the noise list */
    size_t da, db;              /* the date's span in s (U_DATE) */
    int datestat;               /* parse_date(): 0 with iso, 1 without */
    char iso[ARTICLE_ISO_MAX];
    const char *author;         /* from a byline on this line (scratch) */
    const char *src;            /* a source named on this line (scratch) */
};

struct scrape {
    struct ctx *c;
    struct arena scratch;
    struct unit *u;
    size_t nu, cap;
};

/* Windows-1252 bytes 0x80..0x9f as Unicode (0 where undefined); the rest is Latin-1. */
static const unsigned short cp1252[32] = {
    0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

static int
add_utf8(struct buf *b, unsigned long cp)
{
    char t[4];
    size_t n;

    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xc0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xe0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        t[0] = (char)(0xf0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return buf_add(b, t, n);
}

/* Scraped pages are not always UTF-8: read invalid sequences as Windows-1252. */
static int
to_utf8(const char *s, size_t n, struct buf *b)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n; ) {
        size_t k = utf8_seq_len(p + i, n - i);

        if (k > 0) {
            if (buf_add(b, p + i, k) == -1)
                return -1;
            i += k;
            continue;
        }
        if (add_utf8(b, p[i] >= 0x80 && p[i] < 0xa0 ? (cp1252[p[i] - 0x80] ?
            cp1252[p[i] - 0x80] : 0xfffd) : p[i]) == -1)
            return -1;
        i++;
    }
    return 0;
}

/* HTML character references left in scraped text ("&amp;", "&#8217;"). */
static size_t
decode_entity(const char *s, size_t n, struct buf *b)
{
    static const struct { const char *name; unsigned long cp; } ents[] = {
        { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
        { "nbsp", ' ' }, { "ndash", 0x2013 }, { "mdash", 0x2014 }, { "lsquo", 0x2018 },
        { "rsquo", 0x2019 }, { "ldquo", 0x201c }, { "rdquo", 0x201d }, { "hellip", 0x2026 },
        { "copy", 0xa9 }, { "reg", 0xae }, { "trade", 0x2122 }, { "laquo", 0xab },
        { "raquo", 0xbb }, { "middot", 0xb7 }, { "bull", 0x2022 },
    };
    const char *semi = memchr(s, ';', n < 12 ? n : 12);
    size_t len;

    if (semi == NULL || semi == s + 1)
        return 0;
    len = (size_t)(semi - s);
    if (s[1] == '#') {
        unsigned long cp = 0;
        bool hex = len > 2 && (s[2] == 'x' || s[2] == 'X');
        size_t i = hex ? 3 : 2;

        if (i >= len)
            return 0;
        for (; i < len; i++) {
            int dv;

            if (IS_DIGIT(s[i]))
                dv = s[i] - '0';
            else if (hex && TO_LOWER((unsigned char)s[i]) >= 'a' &&
                TO_LOWER((unsigned char)s[i]) <= 'f')
                dv = TO_LOWER((unsigned char)s[i]) - 'a' + 10;
            else
                return 0;
            cp = cp * (hex ? 16 : 10) + (unsigned long)dv;
            if (cp > 0x10ffff)
                return 0;
        }
        if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        return add_utf8(b, cp < 0x20 ? ' ' : cp) == -1 ? 0 : len + 1;
    }
    for (size_t i = 0; i < ARRAY_LEN(ents); i++)
        if (strlen(ents[i].name) == len - 1 && memcmp(s + 1, ents[i].name, len - 1) == 0)
            return add_utf8(b, ents[i].cp) == -1 ? 0 : len + 1;
    return 0;
}

/* One line cleaned: entities decoded, whitespace collapsed, trimmed. */
static const char *
clean_line(struct scrape *sc, const char *s, size_t n, size_t *outlen)
{
    struct buf dec, one;
    const char *r;

    buf_init(&dec, ARTICLE_MAX_BYTES * 2);
    buf_init(&one, ARTICLE_MAX_BYTES * 2);
    for (size_t i = 0; i < n; ) {
        size_t k = s[i] == '&' ? decode_entity(s + i, n - i, &dec) : 0;

        if (k > 0) {
            i += k;
        } else {
            buf_addc(&dec, s[i]);
            i++;
        }
    }
    add_oneline(&one, buf_str(&dec), dec.len);
    *outlen = one.len;
    r = arena_strndup(&sc->scratch, buf_str(&one), one.len);
    buf_fini(&dec);
    buf_fini(&one);
    return r;
}

/* Strip trailing closing quotes and brackets; the byte offset where they start. */
static size_t
trim_closers(const char *s, size_t n)
{
    static const char *const closers[] = {
        "\"", "'", ")", "]", "\xe2\x80\x9d", "\xe2\x80\x99", "\xc2\xbb", "*",
        "\xe3\x80\x8d", "\xe3\x80\x8f", "\xef\xbc\x89", "\xe3\x80\x91",    /* 」』）】 */
        "\xe3\x80\x8b", "\xe3\x80\x89",                                  /* 》〉 */
    };
    bool again = true;

    while (again && n > 0) {
        again = false;
        for (size_t i = 0; i < ARRAY_LEN(closers); i++) {
            size_t k = strlen(closers[i]);

            if (n >= k && memcmp(s + n - k, closers[i], k) == 0) {
                n -= k;
                again = true;
                break;
            }
        }
    }
    return n;
}

/* The code point of the valid UTF-8 sequence at s (n bytes left), its length in *len;
 * 0 when it is not valid. */
static unsigned long
utf8_cp(const unsigned char *s, size_t n, size_t *len)
{
    unsigned long cp;

    if ((*len = utf8_seq_len(s, n)) <= 1)
        return *len == 1 ? s[0] : 0;
    cp = s[0] & (0x7fu >> *len);
    for (size_t i = 1; i < *len; i++)
        cp = cp << 6 | (s[i] & 0x3f);
    return cp;
}

/* The code point of the last character of s[0..n), or 0. */
static unsigned long
last_cp(const char *s, size_t n)
{
    size_t i = n, k;
    unsigned long cp;

    while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0)
        return 0;
    cp = utf8_cp((const unsigned char *)s + i - 1, n - i + 1, &k);
    return k == n - i + 1 ? cp : 0;
}

/*
 * Chinese and Japanese are written without spaces between words, and Korean words
 * (Hangul) have no capitals, so the word and sentence heuristics below need to know these
 * scripts: CJK_LETTER for ideographs, kana, Hangul syllables and fullwidth letters and
 * digits, CJK_PUNCT for the CJK and fullwidth punctuation that separates them.
 */
enum { CJK_NONE, CJK_LETTER, CJK_PUNCT };

static int
cjk_of(unsigned long cp)
{
    static const struct { unsigned long lo, hi; int cls; } ranges[] = {
        { 0x3000, 0x3004, CJK_PUNCT },      /* ideographic space, 、 。 */
        { 0x3005, 0x3007, CJK_LETTER },     /* iteration mark, 〆, ideographic zero */
        { 0x3008, 0x303f, CJK_PUNCT },      /* brackets 「」【】, 〜 */
        { 0x3040, 0x30fa, CJK_LETTER },     /* Hiragana, Katakana */
        { 0x30fb, 0x30fb, CJK_PUNCT },      /* katakana middle dot */
        { 0x30fc, 0x30ff, CJK_LETTER },     /* prolonged sound mark, iteration marks */
        { 0x3400, 0x4dbf, CJK_LETTER },     /* CJK Unified Ideographs Extension A */
        { 0x4e00, 0x9fff, CJK_LETTER },     /* CJK Unified Ideographs */
        { 0xac00, 0xd7af, CJK_LETTER },     /* Hangul syllables */
        { 0xf900, 0xfaff, CJK_LETTER },     /* CJK Compatibility Ideographs */
        { 0xff01, 0xff0f, CJK_PUNCT },      /* fullwidth ！ to ／ */
        { 0xff10, 0xff19, CJK_LETTER },     /* fullwidth digits */
        { 0xff1a, 0xff20, CJK_PUNCT },
        { 0xff21, 0xff3a, CJK_LETTER },     /* fullwidth capitals (caseless here) */
        { 0xff3b, 0xff40, CJK_PUNCT },
        { 0xff41, 0xff5a, CJK_LETTER },
        { 0xff5b, 0xff65, CJK_PUNCT },      /* fullwidth ｛ to ～, halfwidth ｡｢｣､･ */
        { 0xff66, 0xff9f, CJK_LETTER },     /* halfwidth Katakana */
        { 0x20000, 0x3134f, CJK_LETTER },   /* ideographs beyond the BMP */
    };

    for (size_t i = 0; i < ARRAY_LEN(ranges) && cp >= ranges[i].lo; i++)
        if (cp <= ranges[i].hi)
            return ranges[i].cls;
    return CJK_NONE;
}

/* cjk_of() for the character at s (n bytes left); *len gets its length unless CJK_NONE. */
static int
cjk_class(const unsigned char *s, size_t n, size_t *len)
{
    size_t k;
    int cls;

    if (s[0] < 0xe3)                        /* every CJK character is U+3000 or above */
        return CJK_NONE;
    if ((cls = cjk_of(utf8_cp(s, n, &k))) != CJK_NONE)
        *len = k;
    return cls;
}

/* A full stop: . and the CJK ones (。 ． ｡). */
static bool
is_full_stop(unsigned long cp)
{
    return cp == '.' || cp == 0x3002 || cp == 0xff0e || cp == 0xff61;
}

/* Does s end like a sentence: . ! ? (or 。！？．) or an ellipsis, maybe inside quotes or
 * brackets. */
static bool
ends_sentence(const char *s, size_t n)
{
    unsigned long cp = last_cp(s, trim_closers(s, n));

    return is_full_stop(cp) || cp == '!' || cp == '?' || cp == 0x2026 ||    /* ... */
        cp == 0xff01 || cp == 0xff1f;                                       /* ！？ */
}

/*
 * Count words and capitalised ones.  A word is a space-separated token with a letter or
 * digit, except in CJK text, which has no spaces between words: there a run of CJK
 * letters counts one word per two characters (at least one), so that a 60-character
 * Chinese sentence counts like prose and a 4-character heading like a short line, and
 * CJK punctuation separates like a space; between the runs of a token, only a piece with
 * an ASCII letter or digit ("Cookie", "2024") is a word, not a lone quote.  CJK has no
 * capitals: its words never count in caps, so long CJK text reads as prose.  *cjk (may
 * be NULL) gets the number of CJK words, for the checks where a caseless word may be part
 * of a name.
 */
static void
count_words(const char *s, size_t n, int *words, int *caps, int *cjk)
{
    const unsigned char *p = (const unsigned char *)s;
    bool alnum = false, ascii = false, cap = false, first = true, mixed = false;
    int run = 0, nc = 0;

    *words = *caps = 0;
    for (size_t i = 0; i <= n; ) {
        size_t k = 1;
        int cls = i < n ? cjk_class(p + i, n - i, &k) : CJK_NONE;

        if (cls != CJK_LETTER && run > 0) {
            nc += (run + 1) / 2;
            run = 0;
        }
        if (i == n || p[i] == ' ' || cls != CJK_NONE) {
            mixed |= cls != CJK_NONE;
            if (mixed ? ascii : alnum) {
                (*words)++;
                *caps += cap;
            }
            alnum = ascii = cap = false;
            first = true;
            if (cls == CJK_NONE)
                mixed = false;              /* a space: the next token */
            run += cls == CJK_LETTER;
        } else if (IS_ALNUM(p[i]) || p[i] >= 0x80) {
            if (first)
                cap = p[i] >= 'A' && p[i] <= 'Z';
            first = false;
            alnum = true;
            ascii |= IS_ALNUM(p[i]);
        }
        i += k;
    }
    *words += nc;
    if (cjk != NULL)
        *cjk = nc;
}

static bool
match_any(const char *const *pats, size_t npats, const char *s, size_t n)
{
    for (size_t i = 0; i < npats; i++)
        if (glob_match(pats[i], s, n))
            return true;
    return false;
}

/* s without leading and trailing punctuation and symbols, for whole-line patterns. */
static void
core_span(const char *s, size_t n, size_t *a, size_t *b)
{
    static const char lead[] = " -|>*#:.\xc2\xbb\xe2\x80\xa2\xc2\xb7\xe2\x80\xba\x86\x92";
    static const char trail[] = " -|>*#:.!,;\xc2\xbb\xe2\x80\xba\x86\x92";

    *a = 0;
    *b = n;
    while (*a < *b && strchr(lead, s[*a]) != NULL && s[*a] != '\0')
        (*a)++;
    while (*b > *a && strchr(trail, s[*b - 1]) != NULL && s[*b - 1] != '\0')
        (*b)--;
    /* Do not cut a multibyte character in half.  The sets hold the bytes of » • · › →,
     * which other characters share ("闻" ends in the last byte of »): a character cut at
     * the end was not one of those, so it stays whole. */
    while (*a < *b && ((unsigned char)s[*a] & 0xc0) == 0x80)
        (*a)++;
    while (*b > *a && *b < n && ((unsigned char)s[*b] & 0xc0) == 0x80)
        (*b)++;
}

/* Does the user's pattern match: a glob over the whole line, else a substring. */
static bool
user_match(const char *pat, const char *s, size_t n)
{
    if (*pat == '\0')
        return false;
    if (strpbrk(pat, "*?") != NULL)
        return glob_match(pat, s, n);
    return ci_contains(s, n, pat);
}

static bool
word_in(const char *s, size_t n, const char *const *list, size_t nlist)
{
    for (size_t i = 0; i < nlist; i++)
        if (strlen(list[i]) == n && ascii_strncasecmp(s, list[i], n) == 0)
            return true;
    return false;
}

/* Separators between the parts of a meta line: | - – — · • / , ; : */
static size_t
sep_len(const char *s, size_t n)
{
    static const char *const seps[] = {
        "|", "-", "\xe2\x80\x93", "\xe2\x80\x94", "\xc2\xb7", "\xe2\x80\xa2", "/", ",", ";",
        ":", "(", ")", "[", "]",
    };

    for (size_t i = 0; i < ARRAY_LEN(seps); i++) {
        size_t k = strlen(seps[i]);

        if (n >= k && memcmp(s, seps[i], k) == 0)
            return k;
    }
    return 0;
}

/* Trim spaces and separators from both ends of s[*a..*b). */
static void
trim_seps(const char *s, size_t *a, size_t *b)
{
    size_t k;

    for (;;) {
        if (*a < *b && s[*a] == ' ')
            (*a)++;
        else if (*a < *b && (k = sep_len(s + *a, *b - *a)) > 0)
            *a += k;
        else
            break;
    }
    for (;;) {
        bool cut = false;

        if (*b > *a && s[*b - 1] == ' ') {
            (*b)--;
            continue;
        }
        for (size_t back = 1; back <= 3 && back <= *b - *a; back++) {
            if (sep_len(s + *b - back, back) == back) {
                *b -= back;
                cut = true;
                break;
            }
        }
        if (!cut)
            break;
    }
}

/* Is a word (n bytes at s) a date label ("Updated", "Posted", "on")? */
static bool
is_label_word(const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == ':')
        n--;
    return word_in(s, n, date_labels, ARRAY_LEN(date_labels));
}

/* Remove label words from the end (prefix) or start (suffix) of s[*a..*b); true if any. */
static bool
strip_labels(const char *s, size_t *a, size_t *b, bool from_end)
{
    bool any = false;

    for (;;) {
        size_t wa, wb;

        trim_seps(s, a, b);
        if (*a >= *b)
            return any;
        if (from_end) {
            wb = *b;
            wa = wb;
            while (wa > *a && s[wa - 1] != ' ')
                wa--;
        } else {
            wa = *a;
            wb = wa;
            while (wb < *b && s[wb] != ' ')
                wb++;
        }
        if (!is_label_word(s + wa, wb - wa))
            return any;
        any = true;
        if (from_end)
            *b = wa;
        else
            *a = wb;
    }
}

/* A person's name: 1..6 words, the first capitalised, the others capitalised, initials
 * or particles, no digits. */
static bool
is_name(const char *s, size_t n)
{
    int words = 0;

    for (size_t i = 0; i < n; ) {
        size_t j = i;
        unsigned char ch = (unsigned char)s[i];

        while (j < n && s[j] != ' ')
            j++;
        for (size_t k = i; k < j; k++)
            if (IS_DIGIT(s[k]))
                return false;
        if (!((ch >= 'A' && ch <= 'Z') || ch >= 0x80) &&
            (words == 0 || !word_in(s + i, j - i, name_particles, ARRAY_LEN(name_particles))))
            return false;
        words++;
        i = j + 1;
    }
    return words >= 1 && words <= 6;
}

/* Does s hold a CJK letter? */
static bool
has_cjk(const char *s, size_t n)
{
    size_t k;

    for (size_t i = 0; i < n; i++)
        if (cjk_class((const unsigned char *)s + i, n - i, &k) == CJK_LETTER)
            return true;
    return false;
}

static bool
has_role_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; ) {
        size_t j = i;

        while (j < n && IS_ALPHA((unsigned char)s[j]))
            j++;
        if (j > i && word_in(s + i, j - i, role_words, ARRAY_LEN(role_words)))
            return true;
        i = j + 1;
    }
    return false;
}

/* Does a short part of a meta line look like a source: 1..6 words, mostly capitalised
 * ("Iran Press TV", "The Daily Widget") or caseless CJK ("江南日报"), or a domain
 * ("example.com"); no sentence. */
static bool
is_source_like(const char *s, size_t n)
{
    int words, caps, cjk;
    size_t first = strcspn(s, " ");

    count_words(s, n, &words, &caps, &cjk);
    if (words < 1 || words > 6 || n > 60 || ends_sentence(s, n))
        return false;
    if (is_label_word(s, first < n ? first : n))
        return false;
    if (words == 1 && memchr(s, '.', n) != NULL && memchr(s, ' ', n) == NULL)
        return true;
    return (caps + cjk) * 2 >= words;
}

/*
 * A byline "By Jane Doe", "By Jane Doe and John Roe | Reuters": the name and what follows
 * a separator (a source, unless it is a job title).
 */
static bool
parse_byline(struct scrape *sc, const char *s, size_t n, const char **author,
    const char **src)
{
    size_t k = 0, a, b, ra, rb;

    for (size_t i = 0; i < ARRAY_LEN(byline_prefixes); i++) {
        size_t len = strlen(byline_prefixes[i]);

        if (n > len && ascii_strncasecmp(s, byline_prefixes[i], len) == 0) {
            k = len;
            break;
        }
    }
    if (k == 0)
        return false;
    a = k;
    for (b = a; b < n; b++) {
        if (sep_len(s + b, n - b) == 0)
            continue;
        /* A hyphen joins a name ("Jean-Pierre") unless spaced like a dash. */
        if (s[b] == '-' && !(b > a && s[b - 1] == ' ' && b + 1 < n && s[b + 1] == ' '))
            continue;
        break;
    }
    ra = b;
    rb = n;
    while (b > a && s[b - 1] == ' ')
        b--;
    /* "By JANE DOE Associated Press": a publication of two or more words after the name. */
    for (size_t i = a, words = 0; i < b; words++) {
        size_t j = i, tail = 0;

        while (j < b && s[j] != ' ')
            j++;
        if (words >= 2 && word_in(s + i, j - i, media_words, ARRAY_LEN(media_words))) {
            for (size_t x = i; x < b; x++)
                tail += s[x] == ' ';
            if (tail >= 1) {
                ra = i;
                b = i - 1;
                break;
            }
        }
        i = j + 1;
    }
    if (b == a || !is_name(s + a, b - a))
        return false;
    *author = arena_strndup(&sc->scratch, s + a, b - a);
    trim_seps(s, &ra, &rb);
    strip_labels(s, &ra, &rb, false);
    if (ra < rb && is_source_like(s + ra, rb - ra) && !has_role_word(s + ra, rb - ra))
        *src = arena_strndup(&sc->scratch, s + ra, rb - ra);
    return true;
}

/* Can a date span start at this word: a digit, a month or a weekday. */
static bool
date_start_word(const char *s, size_t n)
{
    struct tok t;
    size_t k = 0;

    while (k < n && (s[k] == '(' || s[k] == '['))
        k++;
    if (k == n)
        return false;
    if (IS_DIGIT(s[k]))
        return true;
    t.kind = TK_WORD;
    t.p = s + k;
    t.n = 0;
    while (k + t.n < n && IS_ALPHA((unsigned char)s[k + t.n]))
        t.n++;
    return month_of(&t) != 0 || is_weekday(&t);
}

/*
 * "3 hours ago", "Published an hour ago": a date line whose date we
 * cannot place without knowing when the page was saved (date kept, date_iso empty).
 */
static void
relative_date(struct unit *u)
{
    static const char *const units[] = {
        "second", "seconds", "min", "mins", "minute", "minutes", "hour", "hours", "hr",
        "hrs", "day", "days", "week", "weeks", "month", "months", "year", "years",
    };
    struct tok t[DATE_MAX_TOKENS];
    struct dparse p = { t, 0, 0 };
    size_t start;

    if (tokenize(u->s, u->n, t, ARRAY_LEN(t), &p.n) == -1)
        return;
    while (is_date_label(cur(&p))) {
        p.i++;
        accept_punct(&p, ':');
    }
    if (p.i >= p.n)
        return;
    start = (size_t)(cur(&p)->p - u->s);
    if (!(tok_is_num(cur(&p), 1, 3) || tok_is_word(cur(&p), "an") ||
        tok_is_word(cur(&p), "a")) || p.i + 2 >= p.n ||
        !word_in(p.t[p.i + 1].p, p.t[p.i + 1].n, units, ARRAY_LEN(units)) ||
        !tok_is_word(&p.t[p.i + 2], "ago"))
        return;
    p.i += 3;
    accept_punct(&p, '.');
    if (p.i != p.n)
        return;
    u->f |= U_DATE;
    u->da = start;
    u->db = u->n;
    u->datestat = 1;
}

/*
 * Find a date line: the longest run of words that parses as a date, with at most a label
 * ("Updated:"), a byline or a short source around it, set apart by separators.  "He
 * arrived on October 19, 2014." is a sentence, not a date line.
 */
static void
find_date(struct scrape *sc, struct unit *u)
{
    size_t ws[64], we[64], nw = 0, besta = 0, bestb = 0, pa, pb, xa, xb;
    char iso[ARTICLE_ISO_MAX], bestiso[ARTICLE_ISO_MAX] = "";
    int beststat = -1;
    const char *s = u->s;

    for (size_t i = 0; i < u->n && nw < ARRAY_LEN(ws); ) {
        while (i < u->n && s[i] == ' ')
            i++;
        if (i >= u->n)
            break;
        ws[nw] = i;
        while (i < u->n && s[i] != ' ')
            i++;
        we[nw++] = i;
    }
    for (size_t i = 0; i < nw; i++) {
        if (!date_start_word(s + ws[i], we[i] - ws[i]))
            continue;
        for (size_t j = nw < i + DATE_MAX_WORDS ? nw : i + DATE_MAX_WORDS; j-- > i; ) {
            size_t a = ws[i], b = we[j];
            int st;

            while (a < b && (s[a] == '(' || s[a] == '['))
                a++;
            while (b > a && strchr(",;|)]", s[b - 1]) != NULL)
                b--;
            if (b - a <= bestb - besta)
                break;
            if ((st = parse_date(s + a, b - a, iso)) >= 0) {
                besta = a;
                bestb = b;
                beststat = st;
                memcpy(bestiso, iso, sizeof(iso));
                break;
            }
        }
    }
    if (beststat < 0) {
        relative_date(u);
        return;
    }
    /* What comes before: nothing, a label, a byline, or a part set off by a separator. */
    pa = 0;
    pb = besta;
    strip_labels(s, &pa, &pb, true);
    if (pa < pb) {
        const char *author = NULL, *src = NULL;
        bool sep = false;

        for (size_t i = pb; i < besta && !sep; i++)
            sep = s[i] != ' ' && sep_len(s + i, besta - i) > 0;
        if (parse_byline(sc, s + pa, pb - pa, &author, &src)) {
            u->author = author;
            u->src = src;
        } else if (sep && is_source_like(s + pa, pb - pa)) {
            u->src = arena_strndup(&sc->scratch, s + pa, pb - pa);
        } else {
            return;                                 /* words run into the date: a sentence */
        }
    }
    /* What comes after: nothing, or a part after a separator. */
    xa = bestb;
    xb = u->n;
    while (xa < xb && s[xa] == ' ')
        xa++;
    if (xa < xb) {
        const char *author = NULL, *src = NULL;

        if (xb - xa > 3 && ascii_strncasecmp(s + xa, "by ", 3) == 0) {
            int words, caps;

            /* "Posted on October 19, 2014 by admin": blog software names the account. */
            count_words(s + xa + 3, xb - xa - 3, &words, &caps, NULL);
            if (words < 1 || words > 4)
                return;
            if (parse_byline(sc, s + xa, xb - xa, &author, &src))
                u->author = author;
            else
                u->author = arena_strndup(&sc->scratch, s + xa + 3, xb - xa - 3);
            xa = xb;
        } else if (sep_len(s + xa, xb - xa) == 0) {
            return;
        }
        strip_labels(s, &xa, &xb, false);
        if (xa < xb) {
            if (parse_byline(sc, s + xa, xb - xa, &author, &src)) {
                if (u->author == NULL)
                    u->author = author;
                if (u->src == NULL)
                    u->src = src;
            } else if (is_source_like(s + xa, xb - xa)) {
                if (u->src == NULL)
                    u->src = arena_strndup(&sc->scratch, s + xa, xb - xa);
            } else {
                return;
            }
        }
    }
    u->f |= U_DATE;
    u->da = besta;
    u->db = bestb;
    u->datestat = beststat;
    memcpy(u->iso, bestiso, sizeof(bestiso));
}

static void
push_unit(struct scrape *sc, const char *s, size_t n, int line)
{
    if (sc->nu == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 64;
        sc->u = xreallocarray(sc->u, sc->cap, sizeof(*sc->u));
    }
    memset(&sc->u[sc->nu], 0, sizeof(sc->u[0]));
    sc->u[sc->nu].s = s;
    sc->u[sc->nu].n = n;
    sc->u[sc->nu].line = line;
    sc->nu++;
}

struct rawline {
    const char *s;
    size_t n;
    int line;
};

/* Columns s[0..n) takes on a terminal, as text is wrapped: CJK characters are two wide
 * (but for the halfwidth forms), others one. */
static size_t
text_cols(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0, k;

    for (size_t i = 0; i < n; ) {
        if (cjk_class(p + i, n - i, &k) != CJK_NONE) {
            unsigned long cp = utf8_cp(p + i, n - i, &k);

            w += cp >= 0xff61 && cp <= 0xff9f ? 1 : 2;
            i += k;
            continue;
        }
        w += (p[i] & 0xc0) != 0x80;
        i++;
    }
    return w;
}

/*
 * Does hard-wrapped text continue from cur to next?  Only inside a block (no blank line)
 * whose lines are 50..100 columns wide, when cur fills most of the width, does not end
 * a sentence, and next looks like a continuation.  One-paragraph-per-line text (the usual
 * scrape) has wider lines or blank lines between them and is never joined.
 */
static bool
continues(const struct rawline *cur, const struct rawline *next, size_t maxw)
{
    size_t wc = text_cols(cur->s, cur->n), wn = text_cols(next->s, next->n), k;
    char last = cur->s[cur->n - 1];

    if (maxw < 50 || maxw > 100 || wc * 10 < maxw * 7 || ends_sentence(cur->s, cur->n))
        return false;
    /* CJK text is wrapped between CJK characters: a CJK line does not run on into a
     * Latin one (a related headline above a copyright line). */
    if (cjk_of(last_cp(cur->s, cur->n)) != CJK_NONE &&
        cjk_class((const unsigned char *)next->s, next->n, &k) == CJK_NONE)
        return false;
    return (next->s[0] >= 'a' && next->s[0] <= 'z') || last == ',' || last == ';' ||
        last == '-' || wn * 10 >= maxw * 7 || ends_sentence(next->s, next->n);
}

/* Wrapped CJK text joins without a space where both sides of the break are CJK. */
static bool
joins_tight(const struct rawline *cur, const struct rawline *next)
{
    size_t k;

    return cjk_of(last_cp(cur->s, cur->n)) != CJK_NONE &&
        cjk_class((const unsigned char *)next->s, next->n, &k) != CJK_NONE;
}

static int
split_units(struct scrape *sc, const char *text, size_t len)
{
    struct rawline *ln = NULL;
    size_t nl = 0, lcap = 0;
    int lineno = 0;

    for (const char *p = text, *end = text + len; p < end; ) {
        const char *nlp = memchr(p, '\n', (size_t)(end - p));
        size_t n = nlp != NULL ? (size_t)(nlp - p) : (size_t)(end - p);

        lineno++;
        if (nl == lcap) {
            lcap = lcap ? lcap * 2 : 256;
            ln = xreallocarray(ln, lcap, sizeof(*ln));
        }
        ln[nl].s = clean_line(sc, p, n, &ln[nl].n);
        ln[nl].line = lineno;
        nl++;
        p += n + 1;
    }
    for (size_t i = 0; i < nl; ) {
        size_t j = i, maxw = 0;

        if (ln[i].n == 0) {
            i++;
            continue;
        }
        for (; j < nl && ln[j].n > 0; j++) {
            size_t w = text_cols(ln[j].s, ln[j].n);

            if (w > maxw)
                maxw = w;
        }
        for (size_t k = i; k < j; ) {
            size_t m = k;

            while (m + 1 < j && continues(&ln[m], &ln[m + 1], maxw))
                m++;
            /* Wrapped prose ends a sentence; a list of headlines does not.  Every run
             * starting inside this one ends at the same line, so none of them is prose. */
            if (m > k && !ends_sentence(ln[m].s, ln[m].n)) {
                for (size_t x = k; x <= m; x++)
                    push_unit(sc, ln[x].s, ln[x].n, ln[x].line);
                k = m + 1;
                continue;
            }
            if (m == k) {
                push_unit(sc, ln[k].s, ln[k].n, ln[k].line);
            } else {
                struct buf b;

                buf_init(&b, ARTICLE_MAX_BYTES * 2);
                for (size_t x = k; x <= m; x++) {
                    if (x > k && !joins_tight(&ln[x - 1], &ln[x]))
                        buf_addc(&b, ' ');
                    buf_add(&b, ln[x].s, ln[x].n);
                }
                push_unit(sc, arena_strndup(&sc->scratch, buf_str(&b), b.len), b.len,
                    ln[k].line);
                buf_fini(&b);
            }
            k = m + 1;
        }
        i = j;
    }
    free(ln);
    return 0;
}

/* Length of a "Source:" label at the start of s (with "来源：", "出典：" and the like on
 * CJK pages), or 0; something must follow it. */
static size_t
source_label_len(const char *s, size_t n)
{
    static const char *const labels[] = {
        "source", "\xe6\x9d\xa5\xe6\xba\x90", "\xe4\xbe\x86\xe6\xba\x90",    /* 来源 來源 */
        "\xe5\x87\xba\xe5\x85\xb8", "\xec\xb6\x9c\xec\xb2\x98",           /* 出典 출처 */
    };

    for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
        size_t k = strlen(labels[i]);

        if (n <= k || ascii_strncasecmp(s, labels[i], k) != 0)
            continue;
        if (s[k] == ':' && n > k + 1)
            return k + 1;
        if (n > k + 3 && memcmp(s + k, "\xef\xbc\x9a", 3) == 0)    /* fullwidth colon */
            return k + 3;
    }
    return 0;
}

static bool
has_letter(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (IS_ALPHA((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

static void
classify(struct scrape *sc, struct unit *u, bool meta)
{
    const struct article_opts *o = sc->c->o;
    size_t ca, cb, k;

    count_words(u->s, u->n, &u->words, &u->caps, NULL);
    if (ends_sentence(u->s, u->n))
        u->f |= U_TERMINAL;
    if (u->words >= 3 && u->caps * 10 <= u->words * 6)
        u->f |= U_PROSE;
    if ((u->f & U_TERMINAL) && (u->f & U_PROSE))
        u->f |= U_SENTENCE;
    if ((u->f & U_PROSE) && (((u->f & U_TERMINAL) && (u->words >= 12 || u->n >= 80)) ||
        u->words >= 30))
        u->f |= U_STRONG | U_SENTENCE;
    for (size_t i = 0; i < o->ndrop; i++) {
        if (o->drop_patterns[i] != NULL && user_match(o->drop_patterns[i], u->s, u->n)) {
            u->f |= U_NOISE;
            u->why = "user pattern";
            return;
        }
    }
    if (meta && u->n <= META_LINE_MAX) {
        if (strpbrk(u->s, "0123456789") != NULL)
            find_date(sc, u);               /* every date we read has a digit */
        else
            relative_date(u);
        if (!(u->f & U_DATE) && parse_byline(sc, u->s, u->n, &u->author, &u->src))
            u->f |= U_BYLINE;
        if (!(u->f & (U_DATE | U_BYLINE)) && (k = source_label_len(u->s, u->n)) > 0) {
            size_t a = k, b = u->n;

            trim_seps(u->s, &a, &b);
            if (a < b && is_source_like(u->s + a, b - a)) {
                u->f |= U_SRCLABEL;
                u->src = arena_strndup(&sc->scratch, u->s + a, b - a);
            }
        }
    }
    if (u->f & (U_DATE | U_BYLINE | U_SRCLABEL))
        return;
    core_span(u->s, u->n, &ca, &cb);
    u->why = "pattern";
    if (ca == cb || !has_letter(u->s, u->n))
        u->f |= U_NOISE;
    else if (match_any(end_line, ARRAY_LEN(end_line), u->s + ca, cb - ca))
        u->f |= U_NOISE | U_END;
    else if (match_any(noise_line, ARRAY_LEN(noise_line), u->s + ca, cb - ca))
        u->f |= U_NOISE;
    else if (u->words <= NOISE_SHORT_WORDS &&
        match_any(noise_short, ARRAY_LEN(noise_short), u->s, u->n))
        u->f |= U_NOISE;
    else if (match_any(noise_any, ARRAY_LEN(noise_any), u->s, u->n))
        u->f |= U_NOISE;
    else
        u->why = NULL;
}

static int
cmp_unit_text(const void *a, const void *b)
{
    const struct unit *x = *(const struct unit *const *)a, *y = *(const struct unit *const *)b;

    return strcmp(x->s, y->s);
}

/* How many of the first n units have exactly the same text (a source or a menu repeats;
 * text does not): into repeat, or into hrepeat for the header. */
static void
count_repeats(struct scrape *sc, size_t n, bool header)
{
    struct unit **v = xreallocarray(NULL, n ? n : 1, sizeof(*v));

    for (size_t i = 0; i < n; i++)
        v[i] = &sc->u[i];
    qsort(v, n, sizeof(*v), cmp_unit_text);
    for (size_t i = 0; i < n; ) {
        size_t j = i;

        while (j < n && strcmp(v[i]->s, v[j]->s) == 0)
            j++;
        for (size_t k = i; k < j; k++) {
            if (header)
                v[k]->hrepeat = (int)(j - i);
            else
                v[k]->repeat = (int)(j - i);
        }
        i = j;
    }
    free(v);
}

#define META_FLAGS (U_DATE | U_BYLINE | U_SRCLABEL)

static bool
is_para(const struct unit *u)
{
    return (u->f & U_SENTENCE) && !(u->f & (U_NOISE | META_FLAGS));
}

/*
 * Prefix counts over the header, so that scoring every line stays linear: block[k] is the
 * number of lines among the first k that would separate a title from its anchor (text of
 * more than four words that is neither noise nor a date or byline), cand[k] the number of
 * title-like lines; prevmeta[i] and nextmeta[i] the nearest date or byline line at or
 * before i and after i (SIZE_MAX for none).
 */
struct header {
    size_t *block, *cand, *prevmeta, *nextmeta;
};

static void
header_init(struct header *h, const struct scrape *sc, size_t body)
{
    h->block = xreallocarray(NULL, body + 1, sizeof(size_t));
    h->cand = xreallocarray(NULL, body + 1, sizeof(size_t));
    h->prevmeta = xreallocarray(NULL, body + 1, sizeof(size_t));
    h->nextmeta = xreallocarray(NULL, body + 1, sizeof(size_t));
    h->block[0] = h->cand[0] = 0;
    for (size_t k = 0; k < body; k++) {
        const struct unit *u = &sc->u[k];
        bool meta = (u->f & (U_DATE | U_BYLINE)) != 0;

        h->block[k + 1] = h->block[k] + (u->words > 4 && !(u->f & (U_NOISE | META_FLAGS)));
        h->cand[k + 1] = h->cand[k] + (u->words >= 3 && !(u->f & (U_NOISE | META_FLAGS)));
        h->prevmeta[k] = meta ? k : (k > 0 ? h->prevmeta[k - 1] : SIZE_MAX);
    }
    h->nextmeta[body] = SIZE_MAX;
    for (size_t k = body; k-- > 0; ) {
        bool meta = (sc->u[k].f & (U_DATE | U_BYLINE)) != 0;

        h->nextmeta[k] = meta ? k : h->nextmeta[k + 1];
    }
}

static void
header_fini(struct header *h)
{
    free(h->block);
    free(h->cand);
    free(h->prevmeta);
    free(h->nextmeta);
}

/* Separating lines strictly between i and j. */
static size_t
between(const struct header *h, size_t i, size_t j)
{
    if (i > j) {
        size_t t = i;

        i = j;
        j = t;
    }
    return j > i ? h->block[j] - h->block[i + 1] : 0;
}

/*
 * Score a header line as the title.  A headline is a line of a few words to a couple
 * of dozen, without a full stop, next to the byline/date block or right above the text;
 * short lines (sections, sources) and repeated ones (sources, menus) are unlikely.
 */
static int
title_score(const struct scrape *sc, const struct header *h, size_t i, size_t body)
{
    const struct unit *u = &sc->u[i];
    size_t n = trim_closers(u->s, u->n), dist, cands, m;
    unsigned long last = last_cp(u->s, n);
    int score = u->words < 14 ? u->words : 14;

    if (u->words <= 3)
        score -= 4;
    if (u->words == 1)
        score -= 4;
    if (u->repeat > 1 && u->words <= 5)
        score -= 6;
    if (is_full_stop(last) && !(n >= 3 && memcmp(u->s + n - 3, "...", 3) == 0))
        score -= 4;
    if (last == ':' || last == ',' || last == ';' || last == 0xff1a || last == 0xff0c ||
        last == 0xff1b || last == 0x3001)                          /* ： ， ； 、 */
        score -= 8;
    if (u->s[0] >= 'a' && u->s[0] <= 'z')
        score -= 4;
    if (u->f & U_SENTENCE)
        score -= 2;
    dist = between(h, i, body);
    if ((m = h->prevmeta[i]) != SIZE_MAX && between(h, m, i) < dist)
        dist = between(h, m, i);
    if ((m = h->nextmeta[i]) != SIZE_MAX && between(h, i, m) < dist)
        dist = between(h, i, m);
    if (dist == 0)
        score += 6;
    else if (dist == 1)
        score += 2;
    cands = h->cand[body] - h->cand[i + 1];
    score -= (int)(cands < 6 ? cands : 6);
    return score;
}

/* Does s contain one of the media words as a word? */
static bool
has_media_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; ) {
        size_t j = i;

        while (j < n && IS_ALPHA((unsigned char)s[j]))
            j++;
        if (j > i && word_in(s + i, j - i, media_words, ARRAY_LEN(media_words)))
            return true;
        i = j + 1;
    }
    return false;
}

/* A line next to the date that names the source: "Iran Press TV", "The Valley Courier",
 * "AP", "example.com", or any short line the page's header repeats (a category repeated
 * in the footer's topic list does not count). */
static bool
source_candidate(const struct unit *u, bool need_repeat)
{
    if (u->role != R_NONE || (u->f & (U_NOISE | META_FLAGS | U_TERMINAL)))
        return false;
    if (!is_source_like(u->s, u->n))
        return false;
    if (u->hrepeat > 1)
        return true;
    if (need_repeat)
        return false;
    return has_media_word(u->s, u->n) || strncmp(u->s, "The ", 4) == 0 ||
        (memchr(u->s, '.', u->n) != NULL && memchr(u->s, ' ', u->n) == NULL) ||
        (u->caps == u->words && u->n <= 6 && u->words == 1);
}

/* "LONDON (Reuters) - ..." at the start of the first paragraph: the agency. */
static const char *
dateline_source(struct scrape *sc, const char *p)
{
    const char *open = strchr(p, '('), *close;
    size_t k;

    if (open == NULL || open - p > 60)
        return NULL;
    for (const char *q = p; q < open; q++)
        if (*q >= 'a' && *q <= 'z')
            return NULL;                            /* the city is in capitals */
    if ((close = strchr(open, ')')) == NULL || close - open > 40)
        return NULL;
    k = close[1] == ' ' ? 2 : 1;
    if (!(close[k] == '-' || strncmp(close + k, "\xe2\x80\x93", 3) == 0 ||
        strncmp(close + k, "\xe2\x80\x94", 3) == 0))
        return NULL;
    if (!is_source_like(open + 1, (size_t)(close - open - 1)))
        return NULL;
    return arena_strndup(&sc->scratch, open + 1, (size_t)(close - open - 1));
}

/* The article's end of a " | Site" or " - Site" title suffix; 0 when there is none. */
static size_t
title_suffix(const char *s, size_t n, const char *source, const char **site, size_t *sitelen)
{
    for (size_t i = n; i-- > 1; ) {
        size_t k;

        if (s[i - 1] != ' ' || (k = sep_len(s + i, n - i)) == 0 || i + k >= n ||
            s[i + k] != ' ' || s[i] == ',' || s[i] == ':' || s[i] == '(' || s[i] == '/')
            continue;
        *site = s + i + k + 1;
        *sitelen = n - (i + k + 1);
        if (s[i] == '|' ? is_source_like(*site, *sitelen) : (source != NULL &&
            strlen(source) == *sitelen && ascii_strncasecmp(*site, source, *sitelen) == 0)) {
            int words, caps;

            count_words(s, i - 1, &words, &caps, NULL);
            return words >= 3 ? i - 1 : 0;
        }
        return 0;
    }
    return 0;
}

static int
parse_text(struct ctx *c, const char *text, size_t len)
{
    struct article *a = c->a;
    struct scrape sc = { c, ARENA_INIT, NULL, 0, 0 };
    struct header hdr;
    bool have_hdr = false;
    struct buf utf;
    struct unit *u;
    size_t body = SIZE_MAX, dek = SIZE_MAX, lastpara = 0, title = SIZE_MAX, hdate = SIZE_MAX;
    size_t hbyline = SIZE_MAX, pending_start = 0;
    const char *src = NULL, *srcunit = NULL;
    bool first_seg = true, seg_strong = false;
    int gap = 0, best = 0, rc = -1;

    buf_init(&utf, ARTICLE_MAX_BYTES * 4);
    if (to_utf8(text, len, &utf) == -1) {
        diag_set(c->d, EX_DATAERR, "the text is too large");
        goto out;
    }
    split_units(&sc, buf_str(&utf), utf.len);
    u = sc.u;
    for (size_t i = 0; i < sc.nu; i++)
        classify(&sc, &u[i], i < META_HEAD_UNITS || sc.nu - i <= META_TAIL_UNITS);
    count_repeats(&sc, sc.nu, false);

    /* The body starts at the first line that is surely a paragraph. */
    for (size_t i = 0; i < sc.nu && body == SIZE_MAX; i++)
        if (is_para(&u[i]) && (u[i].f & U_STRONG))
            body = i;
    for (size_t i = 0; i < sc.nu && body == SIZE_MAX; i++)
        if (is_para(&u[i]))
            body = i;
    if (body == SIZE_MAX) {
        diag_set(c->d, EX_DATAERR, "no article text found: no line reads like a paragraph "
            "(sentences ending in . ! ? or 。)");
        goto out;
    }
    /* A standfirst right before the byline/date block is the summary, not the text. */
    if ((body + 1 < sc.nu && (u[body + 1].f & (U_DATE | U_BYLINE))) || (body + 2 < sc.nu &&
        (u[body + 2].f & (U_DATE | U_BYLINE)) && u[body + 1].words <= 4 &&
        !is_para(&u[body + 1]))) {
        for (size_t i = body + 2; i < sc.nu; i++) {
            if (is_para(&u[i]) && (u[i].f & U_STRONG)) {
                dek = body;
                body = i;
                break;
            }
        }
    }
    /* Short opening sentences before the first long paragraph belong to the text. */
    while (body > 0 && body - 1 != dek && is_para(&u[body - 1]) &&
        is_full_stop(last_cp(u[body - 1].s, trim_closers(u[body - 1].s, u[body - 1].n))))
        body--;

    /* Paragraphs: runs of paragraph lines; after a gap of two or more other lines (an
     * ad block, a list of links) a run counts only if it has a long paragraph. */
    for (size_t i = body; i <= sc.nu; i++) {
        bool stop = i == sc.nu || (u[i].f & U_END);

        if (stop || (is_para(&u[i]) && gap >= 2)) {
            if (first_seg || seg_strong) {
                for (size_t k = pending_start; k < i; k++) {
                    if (is_para(&u[k]) && k >= body) {
                        u[k].role = R_PARA;
                        lastpara = k;
                    }
                }
            }
            first_seg = false;
            seg_strong = false;
            pending_start = i;
            if (stop)
                break;
        }
        if (i == body)
            pending_start = body;
        if (is_para(&u[i])) {
            gap = 0;
            if (u[i].f & U_STRONG)
                seg_strong = true;
        } else {
            gap++;
        }
    }

    /* The header: date, byline, title, source, summary. */
    count_repeats(&sc, body, true);
    header_init(&hdr, &sc, body);
    have_hdr = true;
    for (size_t i = 0; i < body && hdate == SIZE_MAX; i++)
        if (u[i].f & U_DATE)
            hdate = i;
    for (size_t i = lastpara + 1; i < sc.nu && hdate == SIZE_MAX; i++)
        if (u[i].f & U_DATE)
            hdate = i;
    for (size_t i = 0; i < body && hbyline == SIZE_MAX; i++)
        if (u[i].f & U_BYLINE)
            hbyline = i;
    for (size_t i = 0; i < body; i++) {
        int sco;

        if ((u[i].f & (U_NOISE | META_FLAGS | U_STRONG)) || i == dek || u[i].n > 300 ||
            u[i].words < 1)
            continue;
        sco = title_score(&sc, &hdr, i, body);
        if (title == SIZE_MAX || sco >= best) {
            best = sco;
            title = i;
        }
    }
    if (title == SIZE_MAX) {
        diag_setat(c->d, EX_DATAERR, u[body].line, 1, "no title found: expected a short "
            "headline line before the first paragraph");
        goto out;
    }
    /* A long line right under a shorter headline-like one is the standfirst. */
    {
        size_t p = title;

        while (p > 0 && (u[p - 1].f & U_NOISE))
            p--;
        if (p > 0 && !(u[p - 1].f & (META_FLAGS | U_TERMINAL | U_STRONG)) &&
            u[p - 1].words >= 4 && u[p - 1].repeat == 1 && u[title].words >= 12 &&
            u[title].words > u[p - 1].words && dek == SIZE_MAX) {
            dek = title;
            title = p - 1;
        }
    }
    u[title].role = R_TITLE;
    if (dek != SIZE_MAX) {
        u[dek].role = R_SUMMARY;
    } else {
        /* The first sentence between the title and the text is the standfirst. */
        for (size_t i = title + 1; i < body; i++) {
            if (is_para(&u[i]) && u[i].words >= 5) {
                u[i].role = R_SUMMARY;
                dek = i;
                break;
            }
        }
    }

    for (size_t i = 0; i < sc.nu && src == NULL; i++)
        if (u[i].f & U_SRCLABEL)
            src = u[i].src;
    if (src == NULL && hdate != SIZE_MAX)
        src = u[hdate].src;
    if (src == NULL && hbyline != SIZE_MAX)
        src = u[hbyline].src;
    if (src == NULL && hdate != SIZE_MAX && hdate < body) {
        static const int near[] = { -1, 1, -2, 2 };

        for (int pass = 0; pass < 2 && src == NULL; pass++) {
            for (size_t k = 0; k < ARRAY_LEN(near) && src == NULL; k++) {
                size_t j = hdate + (size_t)near[k], mid = hdate + (size_t)(near[k] / 2);

                if ((near[k] < 0 && hdate < (size_t)-near[k]) || j >= body)
                    continue;
                if ((near[k] == -2 || near[k] == 2) && u[mid].role == R_NONE &&
                    !(u[mid].f & (U_NOISE | META_FLAGS)))
                    continue;
                if (source_candidate(&u[j], pass == 0))
                    src = srcunit = u[j].s;
            }
        }
    }
    for (size_t i = 0; i < body && src == NULL; i++)
        if (source_candidate(&u[i], true) && u[i].words <= 6)
            src = srcunit = u[i].s;
    /* The page's <title> as well as its headline: "Headline | Site". */
    for (size_t i = 0; i < body && src == NULL; i++) {
        const struct unit *t = &u[title];
        size_t k;

        if (i == title || u[i].n <= t->n + 2 || memcmp(u[i].s, t->s, t->n) != 0 ||
            u[i].s[t->n] != ' ' || (k = sep_len(u[i].s + t->n + 1, u[i].n - t->n - 1)) == 0)
            continue;
        k += t->n + 1;
        while (k < u[i].n && u[i].s[k] == ' ')
            k++;
        if (is_source_like(u[i].s + k, u[i].n - k))
            src = arena_strndup(&sc.scratch, u[i].s + k, u[i].n - k);
    }
    {
        const char *site;
        size_t sitelen, cut = title_suffix(u[title].s, u[title].n, src, &site, &sitelen);

        if (cut > 0) {
            if (src == NULL)
                src = arena_strndup(&sc.scratch, site, sitelen);
            a->title = oneline(c, u[title].s, cut);
        } else {
            a->title = oneline(c, u[title].s, u[title].n);
        }
    }
    for (size_t i = body; i < sc.nu && src == NULL; i++)
        if (u[i].role == R_PARA) {
            src = dateline_source(&sc, u[i].s);
            break;
        }
    if (src != NULL)
        a->source = oneline(c, src, strlen(src));
    if (srcunit != NULL)
        for (size_t i = 0; i < sc.nu; i++)
            if (u[i].role == R_NONE && strcmp(u[i].s, srcunit) == 0) {
                u[i].role = R_META;
                u[i].why = "source";
            }
    if (hbyline != SIZE_MAX && u[hbyline].author != NULL)
        a->author = oneline(c, u[hbyline].author, strlen(u[hbyline].author));
    else if (hdate != SIZE_MAX && hdate < body && u[hdate].author != NULL)
        a->author = oneline(c, u[hdate].author, strlen(u[hdate].author));
    /* A bare name right next to the date, which is not a publication: the author.  CJK
     * has no capitals, so a short CJK line there ("国内新闻") may as well be a label. */
    for (int k = -1; k <= 1 && a->author == NULL && hdate != SIZE_MAX && hdate < body; k += 2) {
        size_t j = hdate + (size_t)k;
        struct unit *n;

        if ((k < 0 && hdate == 0) || j >= body)
            continue;
        n = &u[j];                          /* only once j is known to be in range */
        if (n->role != R_NONE || n->repeat > 1 ||
            (n->f & (U_NOISE | META_FLAGS | U_TERMINAL)) || n->words < 2 || n->words > 4 ||
            !is_name(n->s, n->n) || has_cjk(n->s, n->n) || has_media_word(n->s, n->n) ||
            strncmp(n->s, "The ", 4) == 0 || (src != NULL && strcmp(src, n->s) == 0))
            continue;
        a->author = oneline(c, n->s, n->n);
        n->role = R_META;
        n->why = "byline";
    }
    if (hdate != SIZE_MAX) {
        a->date = oneline(c, u[hdate].s + u[hdate].da, u[hdate].db - u[hdate].da);
        if (u[hdate].datestat == 0)
            memcpy(a->date_iso, u[hdate].iso, sizeof(a->date_iso));
    }
    if (dek != SIZE_MAX)
        a->summary = oneline(c, u[dek].s, u[dek].n);

    for (size_t i = 0; i < sc.nu; i++) {
        const char *why = u[i].why;

        if (u[i].role == R_PARA) {
            add_para(c, u[i].s, u[i].n);
            continue;
        }
        if (u[i].role == R_TITLE || u[i].role == R_SUMMARY)
            continue;
        if (why == NULL || u[i].role != R_META) {
            if (u[i].f & U_NOISE)
                why = u[i].why;
            else if (u[i].f & U_DATE)
                why = "date";
            else if (u[i].f & U_BYLINE)
                why = "byline";
            else if (u[i].f & U_SRCLABEL)
                why = "source";
            else if (i < body)
                why = "header";
            else if (i > lastpara)
                why = "footer";
            else
                why = "body";
        }
        add_noise(c, u[i].s, u[i].n, u[i].line, why);
    }
    rc = plain_bodies(c);
out:
    if (have_hdr)
        header_fini(&hdr);
    buf_fini(&utf);
    free(sc.u);
    arena_fini(&sc.scratch);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Public entry points */

void
article_free(struct article *a)
{
    if (a == NULL)
        return;
    arena_fini(&a->arena);
    free(a);
}

struct article *
article_parse(const char *text, size_t len, enum article_format format, const char *name,
    const struct article_opts *o, struct diag *d)
{
    static const struct article_opts defaults = { false, NULL, 0 };
    struct article *a = xcalloc(1, sizeof(*a));
    struct ctx c = { a, o != NULL ? o : &defaults, d, name, 0, 0, 0, 0, NULL, 0 };
    int rc = -1;

    a->format = format;
    a->path = arena_strdup(&a->arena, name != NULL ? name : "");
    c.name = a->path;
    if (len > ARTICLE_MAX_BYTES) {
        diag_set(d, EX_DATAERR, "the article is larger than %zu MiB; is this the right file?",
            ARTICLE_MAX_BYTES >> 20);
        goto out;
    }
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;                                  /* a byte order mark */
        len -= 3;
    }
    if (format != ARTICLE_TEXT && format != ARTICLE_HTML) {
        int line, col;

        if (!utf8_is_valid(text, len)) {
            utf8_error_pos(text, len, &line, &col);
            diag_setat(d, EX_DATAERR, line, col, "not valid UTF-8; save the file as UTF-8");
            goto out;
        }
        if (memchr(text, '\0', len) != NULL) {
            diag_set(d, EX_DATAERR, "the file contains NUL bytes; is it text?");
            goto out;
        }
    }
    switch (format) {
    case ARTICLE_MARKDOWN:
        rc = parse_markdown(&c, text, len);
        break;
    case ARTICLE_YAML:
        rc = parse_yaml(&c, text, len);
        break;
    case ARTICLE_TEXT:
        rc = parse_text(&c, text, len);
        break;
    case ARTICLE_HTML:
        rc = article_html_parse(text, len, url_is_web(a->path) ? a->path : NULL, NULL, a, d);
        break;
    }
    if (rc == 0) {
        if (a->body_html == NULL)
            a->body_html = "";
        if (a->body_text == NULL)
            a->body_text = "";
    }
out:
    free(c.linkhash);
    if (rc != 0) {
        diag_path(d, name);
        article_free(a);
        return NULL;
    }
    return a;
}

static bool
has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);

    return n >= k && ascii_strcasecmp(s + n - k, suf) == 0;
}

struct article *
article_load(const char *path, const struct article_opts *o, struct diag *d)
{
    static const char *const md[] = { ".md", ".markdown", ".mdown", ".mkd" };
    enum article_format f = ARTICLE_TEXT;
    struct article *a;
    size_t len;
    char *text = read_file(path, &len);
    bool known = false;

    if (text == NULL) {
        diag_set(d, EX_NOINPUT, "cannot read the article: %s", strerror(errno));
        diag_path(d, path);
        return NULL;
    }
    for (size_t i = 0; i < ARRAY_LEN(md); i++)
        if (has_suffix(path, md[i])) {
            f = ARTICLE_MARKDOWN;
            known = true;
        }
    if (has_suffix(path, ".yaml") || has_suffix(path, ".yml")) {
        f = ARTICLE_YAML;
        known = true;
    }
    if (has_suffix(path, ".txt"))
        known = true;
    if (has_suffix(path, ".html") || has_suffix(path, ".htm")) {
        f = ARTICLE_HTML;
        known = true;
    }
    if (!known) {
        const char *p = text;

        if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
            p += 3;
        while (*p == '\n' || *p == '\r' || *p == ' ')
            p++;
        if (strncmp(p, "---", 3) == 0 || strncmp(p, "# ", 2) == 0)
            f = ARTICLE_MARKDOWN;
    }
    a = article_parse(text, len, f, path, o, d);
    free(text);
    return a;
}

static void
set_opt(struct value *m, const char *key, const char *s)
{
    value_set(m, key, s != NULL ? value_new_str(s) : value_new(VALUE_NULL));
}

struct value *
article_to_value(const struct article *a)
{
    struct value *m = value_new(VALUE_MAP), *tags, *paras, *links;

    set_opt(m, "title", a->title);
    set_opt(m, "url", a->url);
    set_opt(m, "source", a->source);
    set_opt(m, "author", a->author);
    set_opt(m, "date", a->date);
    set_opt(m, "date_iso", a->date_iso[0] != '\0' ? a->date_iso : NULL);
    set_opt(m, "summary", a->summary);
    set_opt(m, "image", a->image);
    set_opt(m, "image_alt", a->image_alt);
    set_opt(m, "body_html", a->body_html);
    set_opt(m, "body_text", a->body_text);
    tags = value_new(VALUE_LIST);
    for (size_t i = 0; i < a->ntags; i++)
        value_push(tags, value_new_str(a->tags[i]));
    value_set(m, "tags", tags);
    paras = value_new(VALUE_LIST);
    for (size_t i = 0; i < a->nparagraphs; i++)
        value_push(paras, value_new_str(a->paragraphs[i]));
    value_set(m, "paragraphs", paras);
    links = value_new(VALUE_LIST);
    for (size_t i = 0; i < a->nlinks; i++) {
        struct value *l = value_new(VALUE_MAP);

        value_set(l, "number", value_new_num((double)(i + 1)));
        value_set_str(l, "url", a->links[i].url);
        value_set_str(l, "text", a->links[i].text);
        value_push(links, l);
    }
    value_set(m, "links", links);
    return m;
}
