/*
 * tmpl: Mustache templates compiled to a flat node array, rendered against a value tree.
 * Sits between digest.c (the data) and mime.c (the text).  Mustache spec 1.4.2
 * (github.com/mustache/spec): the required modules plus ~inheritance and ~dynamic-names.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "diag.h"
#include "text.h"
#include "tmpl.h"
#include "util.h"
#include "value.h"

#define IS_BLANK(c) ((c) == ' ' || (c) == '\t')
/* How much of a bad name an error message quotes. */
#define NAME_QUOTE 40

/*
 * The compiled form.  Nodes are stored in pre-order; a node's subtree is nodes[i + 1 ..
 * end), so a section's body is a range and a leaf has end == i + 1.  Strings point into
 * the template's own copy of the source.
 */
enum node_type {
    NODE_TEXT,
    NODE_VAR,                   /* {{name}}: escaped under TMPL_ESCAPE_HTML */
    NODE_RAW,                   /* {{{name}}}, {{&name}} */
    NODE_SECTION,
    NODE_INVERTED,
    NODE_PARTIAL,
    NODE_PARENT,                /* {{<name}}: a partial whose {{$blocks}} we override */
    NODE_BLOCK,                 /* {{$name}} */
};

#define NODE_BOL        0x01    /* TEXT: starts a source line; gets the line prefix */
#define NODE_BODY       0x02    /* TEXT, empty: a block body that starts mid-line */
#define NODE_STANDALONE 0x04    /* PARTIAL, PARENT, BLOCK: the tag had its line to itself */
#define NODE_DYNAMIC    0x08    /* PARTIAL, PARENT: {{>*name}}, the name is looked up */

struct node {
    unsigned char type, flags;
    int line, col;
    size_t end;
    const char *s;              /* TEXT: the text; others: the name */
    size_t n;
    const char *ws;             /* standalone PARTIAL, PARENT, BLOCK: blanks before the tag */
    size_t wsn;
    const char *ded;            /* BLOCK opened standalone: indentation common to its body */
    size_t dedn;
};

struct tmpl {
    char *name;
    char *src;
    size_t len;
    struct node *nodes;
    size_t n, cap;
};

/*
 * Parsing runs in four passes over a token list: scan (text and tags, following set
 * delimiter tags), match (pair each closing tag with its opener), standalone (a tag
 * alone on its line takes the whole line away) and build (the node array).
 */
enum tok_type {
    TOK_TEXT,
    TOK_VAR,
    TOK_RAW,
    TOK_SECTION,
    TOK_INVERTED,
    TOK_CLOSE,
    TOK_COMMENT,
    TOK_DELIM,
    TOK_PARTIAL,
    TOK_PARENT,
    TOK_BLOCK,
};

struct tok {
    enum tok_type type;
    bool dynamic;               /* PARTIAL, PARENT, CLOSE: the name had a leading '*' */
    bool standalone;
    size_t start, end;          /* the text, or the tag with its delimiters */
    size_t lo, hi;              /* TEXT: the part standalone tags left */
    size_t cut_lo, cut_hi;      /* tags: what the tag removes (its whole line if standalone) */
    size_t name, namelen;       /* tags: the trimmed name */
    size_t match;               /* CLOSE: its opener; openers: their CLOSE */
    int line, col;
};

struct parser {
    const char *src;
    size_t len;
    struct diag *d;
    struct tok *toks;
    size_t ntoks, tokcap;
    int line;                   /* line of scanned, which starts at offset lstart */
    size_t lstart, scanned;
    struct tmpl *t;
};

/* Offset of the first needle[0..m) in s[from..len), or len. */
static size_t
find(const char *s, size_t from, size_t len, const char *needle, size_t m)
{
    while (from < len && len - from >= m) {
        const char *p = memchr(s + from, needle[0], len - from - m + 1);

        if (p == NULL)
            break;
        if (memcmp(p, needle, m) == 0)
            return (size_t)(p - s);
        from = (size_t)(p - s) + 1;
    }
    return len;
}

/* Line and column (1-based) of offset off; offsets must not go backwards. */
static void
where(struct parser *ps, size_t off, int *line, int *col)
{
    while (ps->scanned < off) {
        const char *nl = memchr(ps->src + ps->scanned, '\n', off - ps->scanned);

        if (nl == NULL) {
            ps->scanned = off;
            break;
        }
        ps->line++;
        ps->scanned = ps->lstart = (size_t)(nl - ps->src) + 1;
    }
    *line = ps->line;
    *col = (int)(off - ps->lstart) + 1;
}

static struct tok *
tok_add(struct parser *ps, enum tok_type type, size_t start, size_t end)
{
    struct tok *tk;

    if (ps->ntoks == ps->tokcap) {
        ps->tokcap = ps->tokcap ? ps->tokcap * 2 : 64;
        ps->toks = xreallocarray(ps->toks, ps->tokcap, sizeof(*ps->toks));
    }
    tk = &ps->toks[ps->ntoks++];
    memset(tk, 0, sizeof(*tk));
    tk->type = type;
    tk->start = tk->lo = tk->cut_lo = start;
    tk->end = tk->hi = tk->cut_hi = end;
    where(ps, start, &tk->line, &tk->col);
    return tk;
}

static enum tok_type
sigil_type(int c)
{
    switch (c) {
    case '{':
    case '&':
        return TOK_RAW;
    case '#':
        return TOK_SECTION;
    case '^':
        return TOK_INVERTED;
    case '/':
        return TOK_CLOSE;
    case '!':
        return TOK_COMMENT;
    case '=':
        return TOK_DELIM;
    case '>':
        return TOK_PARTIAL;
    case '<':
        return TOK_PARENT;
    case '$':
        return TOK_BLOCK;
    default:
        return TOK_VAR;
    }
}

/* Names of data: one word, or dotted words, or "." for the current item. */
static int
check_name(struct parser *ps, const struct tok *tk)
{
    const char *s = ps->src + tk->name;
    size_t n = tk->namelen;
    int q = n > NAME_QUOTE ? NAME_QUOTE : (int)n;

    if (n == 0) {
        diag_setat(ps->d, EX_DATAERR, tk->line, tk->col,
            "tag has no name; write a name between the delimiters, e.g. {{title}}");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (IS_SPACE(s[i])) {
            diag_setat(ps->d, EX_DATAERR, tk->line, tk->col, "tag name \"%.*s\" contains a "
                "blank; a name is one word such as \"article.title\"", q, s);
            return -1;
        }
    }
    if (tk->type == TOK_VAR || tk->type == TOK_RAW || tk->type == TOK_SECTION ||
        tk->type == TOK_INVERTED) {
        bool dotted_ok = n == 1 || (s[0] != '.' && s[n - 1] != '.');

        for (size_t i = 1; dotted_ok && i < n; i++)
            if (s[i] == '.' && s[i - 1] == '.')
                dotted_ok = false;
        if (!dotted_ok) {
            diag_setat(ps->d, EX_DATAERR, tk->line, tk->col, "bad name \"%.*s\": empty part "
                "between dots; write \"a.b\", or \".\" for the current item", q, s);
            return -1;
        }
    }
    return 0;
}

/* {{=<% %>=}}: the two new delimiters, separated by blanks, without blanks or '='. */
static int
set_delims(struct parser *ps, const struct tok *tk, const char **otag, size_t *olen,
    const char **ctag, size_t *clen)
{
    const char *s = ps->src + tk->name, *e = s + tk->namelen, *a = s, *b;

    while (a < e && !IS_SPACE(*a) && *a != '=')
        a++;
    b = a;
    while (b < e && IS_SPACE(*b))
        b++;
    if (a == s || b == a || b == e)
        goto bad;
    for (const char *p = b; p < e; p++)
        if (IS_SPACE(*p) || *p == '=')
            goto bad;
    *otag = s;
    *olen = (size_t)(a - s);
    *ctag = b;
    *clen = (size_t)(e - b);
    return 0;
bad:
    diag_setat(ps->d, EX_DATAERR, tk->line, tk->col, "bad set-delimiter tag; write two "
        "delimiters without blanks or '=' in them, separated by a blank: {{=<%% %%>=}}");
    return -1;
}

static int
scan(struct parser *ps)
{
    const char *src = ps->src, *otag = "{{", *ctag = "}}";
    size_t olen = 2, clen = 2, pos = 0;

    while (pos < ps->len) {
        size_t open = find(src, pos, ps->len, otag, olen), p, q, cs, ce;
        enum tok_type type;
        struct tok *tk;
        char closer = 0;

        if (open > pos)
            tok_add(ps, TOK_TEXT, pos, open);
        if (open == ps->len)
            break;
        p = open + olen;
        type = sigil_type(p < ps->len ? (unsigned char)src[p] : 0);
        if (type != TOK_VAR)
            p++;
        if (type == TOK_RAW && src[p - 1] == '{')
            closer = '}';
        else if (type == TOK_DELIM)
            closer = '=';
        /* The tag ends at the first closing delimiter, preceded by '}' or '=' for those. */
        for (q = p;; q++) {
            q = find(src, q, ps->len, ctag, clen);
            if (q == ps->len || closer == 0 || (q > p && src[q - 1] == closer))
                break;
        }
        tk = tok_add(ps, type, open, q == ps->len ? ps->len : q + clen);
        if (q == ps->len) {
            diag_setat(ps->d, EX_DATAERR, tk->line, tk->col, "tag is never closed; end it "
                "with \"%s%.*s\"", closer == '}' ? "}" : closer == '=' ? "=" : "",
                (int)clen, ctag);
            return -1;
        }
        ce = closer ? q - 1 : q;
        cs = p;
        while (cs < ce && IS_SPACE(src[cs]))
            cs++;
        while (ce > cs && IS_SPACE(src[ce - 1]))
            ce--;
        if ((type == TOK_PARTIAL || type == TOK_PARENT || type == TOK_CLOSE) && cs < ce &&
            src[cs] == '*') {
            tk->dynamic = true;
            for (cs++; cs < ce && IS_SPACE(src[cs]); cs++)
                ;
        }
        tk->name = cs;
        tk->namelen = ce - cs;
        if (type == TOK_DELIM) {
            if (set_delims(ps, tk, &otag, &olen, &ctag, &clen) == -1)
                return -1;
        } else if (type != TOK_COMMENT && check_name(ps, tk) == -1) {
            return -1;
        }
        pos = tk->end;
    }
    return 0;
}

static bool
is_opener(enum tok_type type)
{
    return type == TOK_SECTION || type == TOK_INVERTED || type == TOK_PARENT ||
        type == TOK_BLOCK;
}

static int
match(struct parser *ps)
{
    size_t stack[TMPL_MAX_NEST], n = 0;

    for (size_t i = 0; i < ps->ntoks; i++) {
        struct tok *tk = &ps->toks[i], *o;
        const char *name = ps->src + tk->name;
        int q = tk->namelen > NAME_QUOTE ? NAME_QUOTE : (int)tk->namelen;

        if (is_opener(tk->type)) {
            if (n == TMPL_MAX_NEST) {
                diag_setat(ps->d, EX_DATAERR, tk->line, tk->col, "sections nested more "
                    "than %d deep", TMPL_MAX_NEST);
                return -1;
            }
            stack[n++] = i;
            continue;
        }
        if (tk->type != TOK_CLOSE)
            continue;
        if (n == 0) {
            diag_setat(ps->d, EX_DATAERR, tk->line, tk->col, "closing tag \"/%.*s\" has "
                "no open section to close; remove it", q, name);
            return -1;
        }
        o = &ps->toks[stack[--n]];
        if (o->dynamic != tk->dynamic || o->namelen != tk->namelen ||
            memcmp(ps->src + o->name, name, tk->namelen) != 0) {
            diag_setat(ps->d, EX_DATAERR, tk->line, tk->col, "closing tag \"/%s%.*s\" "
                "does not match \"%s%.*s\" opened at line %d, column %d; close that first",
                tk->dynamic ? "*" : "", q, name, o->dynamic ? "*" : "",
                o->namelen > NAME_QUOTE ? NAME_QUOTE : (int)o->namelen, ps->src + o->name,
                o->line, o->col);
            return -1;
        }
        tk->match = stack[n];
        o->match = i;
    }
    if (n > 0) {
        struct tok *o = &ps->toks[stack[n - 1]];
        int q = o->namelen > NAME_QUOTE ? NAME_QUOTE : (int)o->namelen;

        diag_setat(ps->d, EX_DATAERR, o->line, o->col, "section \"%s%.*s\" is never "
            "closed; end it with {{/%s%.*s}}", o->dynamic ? "*" : "", q, ps->src + o->name,
            o->dynamic ? "*" : "", q, ps->src + o->name);
        return -1;
    }
    return 0;
}

/* Only blanks between the start of tag i's line and the tag?  *ws: where they start. */
static bool
blank_before(const struct parser *ps, size_t i, size_t *ws)
{
    const struct tok *prev;
    size_t p;

    if (i == 0) {
        *ws = ps->toks[0].start;
        return true;
    }
    prev = &ps->toks[i - 1];
    if (prev->type != TOK_TEXT)
        return false;
    for (p = prev->end; p > prev->start && IS_BLANK(ps->src[p - 1]); p--)
        ;
    if (p > prev->start ? ps->src[p - 1] != '\n' : i - 1 != 0)
        return false;
    *ws = p;
    return true;
}

/* Only blanks after tag i to the end of its line?  *nl: the line end; *next: after it. */
static bool
blank_after(const struct parser *ps, size_t i, size_t *nl, size_t *next)
{
    const struct tok *nt;
    size_t p;

    if (i + 1 == ps->ntoks) {
        *nl = *next = ps->toks[i].end;
        return true;
    }
    nt = &ps->toks[i + 1];
    if (nt->type != TOK_TEXT)
        return false;
    for (p = nt->start; p < nt->end && IS_BLANK(ps->src[p]); p++)
        ;
    *nl = p;
    if (p + 1 < nt->end && ps->src[p] == '\r' && ps->src[p + 1] == '\n')
        *next = p + 2;
    else if (p < nt->end && ps->src[p] == '\n')
        *next = p + 1;
    else if (p == nt->end && i + 2 == ps->ntoks)
        *next = p;
    else
        return false;
    return true;
}

/*
 * The inheritance spec treats some tag pairs sharing a line as standalone: {{<p}}{{/p}},
 * {{$b}}{{/b}}, {{<p}}{{$b}} (parent and its first block) and {{/b}}{{/p}} (last block
 * and its parent).
 */
static bool
is_pair(const struct parser *ps, size_t i)
{
    const struct tok *a = &ps->toks[i], *b = &ps->toks[i + 1];

    if (a->end != b->start)
        return false;
    if ((a->type == TOK_PARENT || a->type == TOK_BLOCK) && b->type == TOK_CLOSE)
        return b->match == i;
    if (a->type == TOK_PARENT)
        return b->type == TOK_BLOCK;
    return a->type == TOK_CLOSE && b->type == TOK_CLOSE &&
        ps->toks[a->match].type == TOK_BLOCK && ps->toks[b->match].type == TOK_PARENT;
}

/* Tags first..last take [from, to) away from the texts around them. */
static void
cut(struct parser *ps, size_t first, size_t last, size_t from, size_t to)
{
    ps->toks[first].cut_lo = from;
    ps->toks[last].cut_hi = to;
    for (size_t i = first; i <= last; i++)
        ps->toks[i].standalone = true;
    if (first > 0 && ps->toks[first - 1].type == TOK_TEXT)
        ps->toks[first - 1].hi = from;
    if (last + 1 < ps->ntoks && ps->toks[last + 1].type == TOK_TEXT)
        ps->toks[last + 1].lo = to;
}

/*
 * Spec "standalone" rule: a line holding one non-interpolation tag and blanks vanishes,
 * newline included.  Decided on the original text, so neighbouring standalone lines
 * don't interfere.
 */
static void
standalone(struct parser *ps)
{
    for (size_t i = 0; i < ps->ntoks; i++) {
        enum tok_type type = ps->toks[i].type;
        size_t ws, nl, next;

        if (type == TOK_TEXT || type == TOK_VAR || type == TOK_RAW)
            continue;
        if (i + 1 < ps->ntoks && is_pair(ps, i) && blank_before(ps, i, &ws) &&
            blank_after(ps, i + 1, &nl, &next)) {
            /* An empty {{$b}}{{/b}} keeps its newline (mustache/spec PR 131). */
            cut(ps, i, i + 1, ws, type == TOK_BLOCK ? nl : next);
            i++;
        } else if (blank_before(ps, i, &ws) && blank_after(ps, i, &nl, &next)) {
            cut(ps, i, i, ws, next);
        }
    }
}

static struct node *
node_add(struct tmpl *t, enum node_type type, const char *s, size_t n, unsigned flags)
{
    struct node *nd;

    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->nodes = xreallocarray(t->nodes, t->cap, sizeof(*t->nodes));
    }
    nd = &t->nodes[t->n++];
    memset(nd, 0, sizeof(*nd));
    nd->type = (unsigned char)type;
    nd->flags = (unsigned char)flags;
    nd->s = s;
    nd->n = n;
    nd->end = t->n;
    return nd;
}

/*
 * The indentation common to the non-blank lines of src[lo..hi): a block body loses it
 * where it is defined and gets the indentation of the place it is expanded instead.
 */
static void
common_indent(const char *src, size_t lo, size_t hi, struct node *nd)
{
    size_t p = lo;

    nd->ded = NULL;
    nd->dedn = 0;
    while (p < hi) {
        size_t q = p;
        const char *nl;

        while (q < hi && IS_BLANK(src[q]))
            q++;
        if (q < hi && src[q] != '\n' && src[q] != '\r') {
            size_t k = 0;

            if (nd->ded == NULL) {
                nd->ded = src + p;
                nd->dedn = q - p;
            }
            while (k < q - p && k < nd->dedn && nd->ded[k] == src[p + k])
                k++;
            nd->dedn = k;
        }
        if ((nl = memchr(src + q, '\n', hi - q)) == NULL)
            break;
        p = (size_t)(nl - src) + 1;
    }
}

static enum node_type
node_type_of(enum tok_type type)
{
    switch (type) {
    case TOK_VAR:
        return NODE_VAR;
    case TOK_RAW:
        return NODE_RAW;
    case TOK_SECTION:
        return NODE_SECTION;
    case TOK_INVERTED:
        return NODE_INVERTED;
    case TOK_PARTIAL:
        return NODE_PARTIAL;
    case TOK_PARENT:
        return NODE_PARENT;
    case TOK_BLOCK:
        return NODE_BLOCK;
    default:
        return NODE_TEXT;
    }
}

/* Texts become one node per line, so that line starts can be found when rendering. */
static void
build(struct parser *ps)
{
    struct tmpl *t = ps->t;
    size_t stack[TMPL_MAX_NEST], n = 0;
    bool bol = true;

    for (size_t i = 0; i < ps->ntoks; i++) {
        const struct tok *tk = &ps->toks[i];
        struct node *nd;

        if (tk->type == TOK_TEXT) {
            for (size_t p = tk->lo; p < tk->hi;) {
                const char *nl = memchr(t->src + p, '\n', tk->hi - p);
                size_t e = nl != NULL ? (size_t)(nl - t->src) + 1 : tk->hi;

                node_add(t, NODE_TEXT, t->src + p, e - p, bol ? NODE_BOL : 0);
                bol = nl != NULL;
                p = e;
            }
            continue;
        }
        /* A tag starting a line still carries the line start (its prefix) for the text. */
        if (!tk->standalone && bol)
            node_add(t, NODE_TEXT, t->src + tk->start, 0, NODE_BOL);
        bol = tk->standalone && (tk->cut_hi == ps->len || t->src[tk->cut_hi - 1] == '\n');
        if (tk->type == TOK_CLOSE) {
            const struct tok *o = &ps->toks[tk->match];

            nd = &t->nodes[stack[--n]];
            nd->end = t->n;
            if (nd->type == NODE_BLOCK && o->standalone)
                common_indent(t->src, o->cut_hi, tk->cut_lo, nd);
            continue;
        }
        if (tk->type == TOK_COMMENT || tk->type == TOK_DELIM)
            continue;
        nd = node_add(t, node_type_of(tk->type), t->src + tk->name, tk->namelen,
            (tk->standalone ? NODE_STANDALONE : 0) | (tk->dynamic ? NODE_DYNAMIC : 0));
        nd->line = tk->line;
        nd->col = tk->col;
        if (tk->standalone) {
            nd->ws = t->src + tk->cut_lo;
            nd->wsn = tk->start - tk->cut_lo;
        }
        if (is_opener(tk->type)) {
            stack[n++] = t->n - 1;
            if (tk->type == TOK_BLOCK && !tk->standalone)
                node_add(t, NODE_TEXT, t->src + tk->end, 0, NODE_BODY);
        }
    }
}

struct tmpl *
tmpl_parse(const char *text, size_t len, const char *name, struct diag *d)
{
    struct tmpl *t = xcalloc(1, sizeof(*t));
    struct parser ps = { .len = len, .d = d, .line = 1, .t = t };

    t->name = xstrdup(name != NULL ? name : "template");
    t->src = xmalloc(len + 1);
    memcpy(t->src, text, len);
    t->src[len] = '\0';
    t->len = len;
    ps.src = t->src;
    if (scan(&ps) == -1 || match(&ps) == -1) {
        diag_path(d, t->name);
        tmpl_free(t);
        t = NULL;
        goto out;
    }
    standalone(&ps);
    build(&ps);
out:
    free(ps.toks);
    return t;
}

void
tmpl_free(struct tmpl *t)
{
    if (t == NULL)
        return;
    free(t->name);
    free(t->src);
    free(t->nodes);
    free(t);
}

/* Partials: a cache of compiled templates in front of a source function. */

struct partial {
    char *name;
    struct tmpl *t;             /* NULL: there is no such partial */
};

/*
 * The cache is shared by the mailer's worker threads: a digest that branches on a
 * subscriber value renders per message on the workers, and a dynamic partial ({{>*name}})
 * can only be loaded then, because its name comes from the data.  One mutex guards the
 * list; a compiled partial never moves or changes once added, so it is used unlocked.
 */
struct tmpl_partials {
    pthread_mutex_t lock;
    tmpl_source_fn fn;
    void *ctx;
    char **dirs;                /* tmpl_partials_new_dirs() */
    size_t ndirs;
    struct partial *v;
    size_t n, cap;
};

struct tmpl_partials *
tmpl_partials_new(tmpl_source_fn fn, void *ctx)
{
    struct tmpl_partials *p = xcalloc(1, sizeof(*p));

    pthread_mutex_init(&p->lock, NULL);
    p->fn = fn;
    p->ctx = ctx;
    return p;
}

/* Partial names a directory may serve: no path separators, no hidden files, no "..". */
static bool
file_name_ok(const char *name)
{
    if (name[0] == '\0' || name[0] == '.')
        return false;
    for (const char *s = name; *s != '\0'; s++)
        if (!IS_ALNUM(*s) && *s != '.' && *s != '-' && *s != '_')
            return false;
    return true;
}

static char *
dirs_source(void *ctx, const char *name, size_t *len, char **origin, struct diag *d)
{
    const struct tmpl_partials *p = ctx;

    if (!file_name_ok(name))
        return NULL;
    for (size_t i = 0; i < p->ndirs; i++) {
        size_t n = strlen(p->dirs[i]) + strlen(name) + sizeof("/.mustache");
        char *path = xmalloc(n), *text;

        snprintf(path, n, "%s/%s.mustache", p->dirs[i], name);
        if ((text = read_file_max(path, TMPL_SOURCE_MAX, len)) != NULL) {
            *origin = path;
            return text;
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            diag_set(d, EX_NOINPUT, "cannot read template: %s", read_file_strerror(errno));
            diag_path(d, path);
            free(path);
            return NULL;
        }
        free(path);
    }
    return NULL;
}

struct tmpl_partials *
tmpl_partials_new_dirs(const char *const *dirs, size_t ndirs)
{
    struct tmpl_partials *p = tmpl_partials_new(dirs_source, NULL);

    p->ctx = p;
    p->dirs = xcalloc(ndirs ? ndirs : 1, sizeof(*p->dirs));
    for (size_t i = 0; i < ndirs; i++)
        if (dirs[i] != NULL)
            p->dirs[p->ndirs++] = xstrdup(dirs[i]);
    return p;
}

void
tmpl_partials_free(struct tmpl_partials *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        tmpl_free(p->v[i].t);
    }
    for (size_t i = 0; i < p->ndirs; i++)
        free(p->dirs[i]);
    free(p->dirs);
    free(p->v);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static const struct tmpl *
partials_find_locked(struct tmpl_partials *p, const char *name, size_t n, struct diag *d)
{
    struct tmpl *t = NULL;
    char *key, *text, *origin = NULL;
    size_t len = 0;

    for (size_t i = 0; i < p->n; i++)
        if (strncmp(p->v[i].name, name, n) == 0 && p->v[i].name[n] == '\0')
            return p->v[i].t;
    key = xstrndup(name, n);
    text = p->fn(p->ctx, key, &len, &origin, d);
    if (text == NULL && diag_is_set(d))
        goto fail;
    if (text != NULL && (t = tmpl_parse(text, len, origin ? origin : key, d)) == NULL)
        goto fail;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
    }
    p->v[p->n].name = key;
    p->v[p->n].t = t;
    p->n++;
    free(text);
    free(origin);
    return t;
fail:
    free(key);
    free(text);
    free(origin);
    return NULL;
}

static const struct tmpl *
partials_find(struct tmpl_partials *p, const char *name, size_t n, struct diag *d)
{
    const struct tmpl *t;

    if (p == NULL || memchr(name, '\0', n) != NULL)
        return NULL;
    pthread_mutex_lock(&p->lock);
    t = partials_find_locked(p, name, n, d);
    pthread_mutex_unlock(&p->lock);
    return t;
}

const struct tmpl *
tmpl_partials_find(struct tmpl_partials *p, const char *name, struct diag *d)
{
    return partials_find(p, name, strlen(name), d);
}

/* Rendering. */

struct ctx {                    /* the context stack, innermost first */
    const struct value *v;
    const struct ctx *up;
};

struct over {                   /* the {{<parent}} tags being expanded, innermost first */
    const struct tmpl *t;
    size_t parent;              /* index of the PARENT node whose blocks override */
    const struct over *up;
};

/*
 * What each source line gets when it starts: up to strip leading blanks removed (a
 * block body's own indentation), then the prefix ind[start..indlen) (the indentation of
 * the standalone partials and blocks it is expanded in).
 */
struct lines {
    size_t start;
    size_t strip;
    bool body;                  /* a block body expanded standalone: its first line too */
};

struct render {
    struct tmpl_partials *parts;
    int flags;
    struct buf *out;
    struct diag *d;
    int depth;
    unsigned long steps;
    char *ind;                  /* the indentation stack */
    size_t indlen, indcap;
    struct tmpl_slots *slots;   /* tmpl_render_slots(): where placeholders go */
};

static int render_nodes(struct render *r, const struct tmpl *t, size_t i, size_t end,
    const struct ctx *c, const struct over *ov, const struct lines *ln);

static void render_error(struct render *r, const struct tmpl *t, const struct node *nd,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
render_error(struct render *r, const struct tmpl *t, const struct node *nd,
    const char *fmt, ...)
{
    char msg[DIAG_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_setat(r->d, EX_DATAERR, nd->line, nd->col, "%s", msg);
    diag_path(r->d, t->name);
}

static int
put(struct render *r, const char *s, size_t n)
{
    size_t max = r->out->max;

    if (n > 0 && buf_add(r->out, s, n) == -1) {
        diag_set(r->d, EX_DATAERR, "rendered text would be longer than %zu bytes", max);
        return -1;
    }
    return 0;
}

static int
put_html(struct render *r, const char *s, size_t n)
{
    size_t max = r->out->max;

    text_html_escape(r->out, s, n);
    if (buf_failed(r->out)) {
        diag_set(r->d, EX_DATAERR, "rendered text would be longer than %zu bytes", max);
        return -1;
    }
    return 0;
}

/* The text of a scalar (missing and null: ""); -1 for lists and maps. */
static int
value_text(const struct value *v, char *tmp, size_t size, const char **s, size_t *n)
{
    *s = "";
    *n = 0;
    if (v == NULL)
        return 0;
    switch (v->type) {
    case VALUE_NULL:
        return 0;
    case VALUE_BOOL:
        *s = v->b ? "true" : "false";
        break;
    case VALUE_NUM:
        value_num_text(v->num, tmp, size);
        *s = tmp;
        break;
    case VALUE_STR:
        *s = v->str != NULL ? v->str : "";
        *n = v->str != NULL ? v->len : 0;
        return 0;
    default:
        return -1;
    }
    *n = strlen(*s);
    return 0;
}

static const struct value *
map_find(const struct value *map, const char *s, size_t n)
{
    if (map == NULL || map->type != VALUE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->pairs[i].key;

        if (strncmp(k, s, n) == 0 && k[n] == '\0')
            return map->pairs[i].val;
    }
    return NULL;
}

/*
 * Spec name resolution: "." is the top of the stack; otherwise the first part is looked
 * up from the innermost context outwards and the other parts strictly inside it.
 */
static const struct value *
lookup(const struct ctx *c, const char *name, size_t n)
{
    const char *end = name + n, *dot;
    const struct value *v = NULL;

    if (n == 1 && name[0] == '.')
        return c->v;
    dot = memchr(name, '.', n);
    for (; c != NULL && v == NULL; c = c->up)
        v = map_find(c->v, name, (size_t)((dot != NULL ? dot : end) - name));
    while (v != NULL && dot != NULL) {
        name = dot + 1;
        dot = memchr(name, '.', (size_t)(end - name));
        v = map_find(v, name, (size_t)((dot != NULL ? dot : end) - name));
    }
    return v;
}

static int
render_var(struct render *r, const struct tmpl *t, const struct node *nd, const struct ctx *c)
{
    const struct value *v = lookup(c, nd->s, nd->n);
    char tmp[64];
    const char *s;
    size_t n;
    int q = nd->n > NAME_QUOTE ? NAME_QUOTE : (int)nd->n;

    if (v != NULL && v->slot > 0 && r->slots != NULL) {
        struct tmpl_slots *ts = r->slots;

        if (ts->n == ts->cap) {
            ts->cap = ts->cap ? ts->cap * 2 : 16;
            ts->v = xreallocarray(ts->v, ts->cap, sizeof(*ts->v));
        }
        ts->v[ts->n++] = (struct tmpl_slot){ r->out->len, v->slot - 1 };
        return 0;
    }
    if (value_text(v, tmp, sizeof(tmp), &s, &n) == -1) {
        render_error(r, t, nd, "\"%.*s\" is a %s, not text; go through it with "
            "{{#%.*s}}...{{/%.*s}}", q, nd->s, value_type_name(v->type), q, nd->s, q, nd->s);
        return -1;
    }
    if (nd->type == NODE_VAR && (r->flags & TMPL_ESCAPE_HTML))
        return put_html(r, s, n);
    return put(r, s, n);
}

static int
text_node(struct render *r, const struct node *nd, const struct lines *ln)
{
    const char *s = nd->s;
    size_t n = nd->n;

    if (nd->flags & NODE_BOL) {
        for (size_t k = 0; k < ln->strip && n > 0 && IS_BLANK(*s); k++) {
            s++;
            n--;
        }
    }
    if (((nd->flags & NODE_BOL) || ((nd->flags & NODE_BODY) && ln->body)) &&
        r->indlen > ln->start && put(r, r->ind + ln->start, r->indlen - ln->start) == -1)
        return -1;
    return put(r, s, n);
}

/*
 * Push the indentation ws of a standalone tag (less what the enclosing block strips) on
 * the indentation stack.
 */
static void
indent_push(struct render *r, const char *ws, size_t n, const struct lines *ln)
{
    size_t k = n < ln->strip ? n : ln->strip;

    ws += k;
    n -= k;
    if (r->indlen + n > r->indcap) {
        r->indcap = r->indlen + n > 2 * r->indcap ? r->indlen + n : 2 * r->indcap;
        r->ind = xreallocarray(r->ind, r->indcap, 1);
    }
    if (n > 0)
        memcpy(r->ind + r->indlen, ws, n);
    r->indlen += n;
}

/* Render the partial or parent nd (the spec renders them in the tag's context). */
static int
render_partial(struct render *r, const struct tmpl *t, size_t i, const struct ctx *c,
    const struct over *ov, const struct lines *ln)
{
    const struct node *nd = &t->nodes[i];
    const struct tmpl *pt;
    const char *name = nd->s;
    size_t n = nd->n, saved = r->indlen;
    struct over o = { t, i, ov };
    struct lines pl = { r->indlen, 0, false };
    char tmp[64];
    int rc;

    if (nd->flags & NODE_DYNAMIC) {
        if (value_text(lookup(c, nd->s, nd->n), tmp, sizeof(tmp), &name, &n) == -1 || n == 0)
            return 0;
    }
    /* Not found renders as nothing (spec); a partial that can't be read is an error. */
    if ((pt = partials_find(r->parts, name, n, r->d)) == NULL)
        return diag_is_set(r->d) ? -1 : 0;
    /* Spec: a standalone partial's indentation goes in front of each of its lines. */
    if (nd->flags & NODE_STANDALONE) {
        pl.start = ln->start;
        indent_push(r, nd->ws, nd->wsn, ln);
    }
    rc = render_nodes(r, pt, 0, pt->n, c, nd->type == NODE_PARENT ? &o : ov, &pl);
    r->indlen = saved;
    return rc;
}

/* Block name in the direct children of PARENT node nodes[p], or 0. */
static size_t
find_block(const struct tmpl *t, size_t p, const char *name, size_t n)
{
    for (size_t i = p + 1; i < t->nodes[p].end; i = t->nodes[i].end) {
        const struct node *nd = &t->nodes[i];

        if (nd->type == NODE_BLOCK && nd->n == n && memcmp(nd->s, name, n) == 0)
            return i;
    }
    return 0;
}

/*
 * A block renders the body passed by the outermost parent that overrides it (spec:
 * "top-level substitutions take precedence"), or its own default.  Standalone, the
 * body's own indentation is swapped for the block's: that of its default body if it
 * has one, else the blanks before the tag.
 */
static int
render_block(struct render *r, const struct tmpl *t, size_t i, const struct ctx *c,
    const struct over *ov, const struct lines *ln)
{
    const struct node *nd = &t->nodes[i], *body;
    const struct tmpl *bt = t;
    size_t bi = i, saved = r->indlen;
    struct lines bl = { r->indlen, 0, false };
    int rc;

    for (const struct over *o = ov; o != NULL; o = o->up) {
        size_t k = find_block(o->t, o->parent, nd->s, nd->n);

        if (k != 0) {
            bt = o->t;
            bi = k;
        }
    }
    body = &bt->nodes[bi];
    bl.strip = body->dedn;
    if (nd->flags & NODE_STANDALONE) {
        bl.start = ln->start;
        bl.body = true;
        if (nd->dedn > 0)
            indent_push(r, nd->ded, nd->dedn, ln);
        else
            indent_push(r, nd->ws, nd->wsn, ln);
    }
    rc = render_nodes(r, bt, bi + 1, body->end, c, ov, &bl);
    r->indlen = saved;
    return rc;
}

static int
render_section(struct render *r, const struct tmpl *t, size_t i, const struct ctx *c,
    const struct over *ov, const struct lines *ln)
{
    const struct node *nd = &t->nodes[i];
    const struct value *v = lookup(c, nd->s, nd->n);
    struct ctx item = { v, c };

    if (nd->type == NODE_INVERTED)
        return value_is_truthy(v) ? 0 : render_nodes(r, t, i + 1, nd->end, c, ov, ln);
    if (!value_is_truthy(v))
        return 0;
    if (v->type != VALUE_LIST)
        return render_nodes(r, t, i + 1, nd->end, &item, ov, ln);
    for (size_t k = 0; k < v->n; k++) {
        item.v = v->items[k];
        if (render_nodes(r, t, i + 1, nd->end, &item, ov, ln) == -1)
            return -1;
    }
    return 0;
}

static int
render_nodes(struct render *r, const struct tmpl *t, size_t i, size_t end,
    const struct ctx *c, const struct over *ov, const struct lines *ln)
{
    int rc = 0;

    /* Each body entered counts too: a long list over an empty body is work as well. */
    r->depth++;
    r->steps++;
    while (rc == 0 && i < end) {
        const struct node *nd = &t->nodes[i];

        if (++r->steps > TMPL_MAX_STEPS) {
            render_error(r, t, nd, "rendering takes more than %lu steps; does a section "
                "or partial repeat without end?", TMPL_MAX_STEPS);
            rc = -1;
            break;
        }
        if (nd->type != NODE_TEXT && nd->type != NODE_VAR && nd->type != NODE_RAW &&
            r->depth >= TMPL_MAX_DEPTH) {
            render_error(r, t, nd, "templates nested more than %d deep; does a partial "
                "include itself without end?", TMPL_MAX_DEPTH);
            rc = -1;
            break;
        }
        switch (nd->type) {
        case NODE_TEXT:
            rc = text_node(r, nd, ln);
            break;
        case NODE_VAR:
        case NODE_RAW:
            rc = render_var(r, t, nd, c);
            break;
        case NODE_SECTION:
        case NODE_INVERTED:
            rc = render_section(r, t, i, c, ov, ln);
            break;
        case NODE_PARTIAL:
        case NODE_PARENT:
            rc = render_partial(r, t, i, c, ov, ln);
            break;
        case NODE_BLOCK:
            rc = render_block(r, t, i, c, ov, ln);
            break;
        }
        i = nd->end;
    }
    r->depth--;
    return rc;
}

int
tmpl_render(const struct tmpl *t, const struct value *data, struct tmpl_partials *p,
    int flags, struct buf *out, struct diag *d)
{
    return tmpl_render_slots(t, data, NULL, p, flags, out, NULL, d);
}

int
tmpl_render_over(const struct tmpl *t, const struct value *data, const struct value *top,
    struct tmpl_partials *p, int flags, struct buf *out, struct diag *d)
{
    return tmpl_render_slots(t, data, top, p, flags, out, NULL, d);
}

int
tmpl_render_slots(const struct tmpl *t, const struct value *data, const struct value *top,
    struct tmpl_partials *p, int flags, struct buf *out, struct tmpl_slots *slots,
    struct diag *d)
{
    struct render r = { .parts = p, .flags = flags, .out = out, .d = d, .slots = slots };
    struct ctx root = { data, NULL }, over = { top, &root };
    struct lines ln = { 0, 0, false };
    int rc = render_nodes(&r, t, 0, t->n, top != NULL ? &over : &root, NULL, &ln);

    free(r.ind);
    return rc;
}

/* The names listing for `gazette check --templates`. */

struct names {
    struct tmpl_partials *parts;
    tmpl_name_fn fn;
    void *ctx;
    struct diag *d;
    const char *secs[TMPL_MAX_DEPTH];       /* enclosing sections (heap copies) */
    size_t nsecs;
    const struct tmpl *chain[TMPL_MAX_DEPTH];       /* partials being walked */
    size_t nchain;
};

static void
report(struct names *nm, const struct tmpl *t, const struct node *nd, enum tmpl_use use,
    bool found)
{
    char *name = xstrndup(nd->s, nd->n);
    struct tmpl_name n = {
        .use = use, .name = name, .sections = nm->secs, .nsections = nm->nsecs,
        .origin = t->name, .line = nd->line, .col = nd->col, .found = found,
    };

    nm->fn(nm->ctx, &n);
    free(name);
}

static int names_walk(struct names *nm, const struct tmpl *t, size_t i, size_t end,
    const struct over *ov);

static int
names_partial(struct names *nm, const struct tmpl *t, size_t i, const struct over *ov)
{
    const struct node *nd = &t->nodes[i];
    const struct tmpl *pt;
    size_t k;
    int rc;

    if (nd->flags & NODE_DYNAMIC) {
        report(nm, t, nd, TMPL_USE_VAR, false);
        pt = NULL;
    } else {
        pt = partials_find(nm->parts, nd->s, nd->n, nm->d);
        if (pt == NULL && diag_is_set(nm->d))
            return -1;
        report(nm, t, nd, TMPL_USE_PARTIAL, pt != NULL);
    }
    for (k = 0; pt != NULL && k < nm->nchain && nm->chain[k] != pt; k++)
        ;
    if (pt != NULL && k == nm->nchain) {
        if (nm->nchain == TMPL_MAX_DEPTH) {
            diag_setat(nm->d, EX_DATAERR, nd->line, nd->col, "partials nested more than "
                "%d deep", TMPL_MAX_DEPTH);
            diag_path(nm->d, t->name);
            return -1;
        }
        struct over o = { t, i, ov };

        nm->chain[nm->nchain++] = pt;
        /* as rendered: a parent's blocks are replaced by this tag's, where they stand */
        rc = names_walk(nm, pt, 0, pt->n, nd->type == NODE_PARENT ? &o : ov);
        nm->nchain--;
        if (rc == -1)
            return -1;
    }
    return 0;
}

static int
names_walk(struct names *nm, const struct tmpl *t, size_t i, size_t end,
    const struct over *ov)
{
    while (i < end) {
        const struct node *nd = &t->nodes[i];
        int rc = 0;

        switch (nd->type) {
        case NODE_TEXT:
            break;
        case NODE_VAR:
        case NODE_RAW:
            report(nm, t, nd, TMPL_USE_VAR, false);
            break;
        case NODE_INVERTED:
            report(nm, t, nd, TMPL_USE_INVERTED, false);
            rc = names_walk(nm, t, i + 1, nd->end, ov);
            break;
        case NODE_SECTION:
            report(nm, t, nd, TMPL_USE_SECTION, false);
            if (nm->nsecs == TMPL_MAX_DEPTH) {
                diag_setat(nm->d, EX_DATAERR, nd->line, nd->col, "sections nested more "
                    "than %d deep", TMPL_MAX_DEPTH);
                diag_path(nm->d, t->name);
                return -1;
            }
            nm->secs[nm->nsecs++] = xstrndup(nd->s, nd->n);
            rc = names_walk(nm, t, i + 1, nd->end, ov);
            free((char *)nm->secs[--nm->nsecs]);
            break;
        case NODE_PARTIAL:
        case NODE_PARENT:
            rc = names_partial(nm, t, i, ov);
            break;
        case NODE_BLOCK: {
            const struct tmpl *bt = t;
            size_t bi = i;

            /* the outermost override wins, as in render_block() */
            for (const struct over *o = ov; o != NULL; o = o->up) {
                size_t k = find_block(o->t, o->parent, nd->s, nd->n);

                if (k != 0) {
                    bt = o->t;
                    bi = k;
                }
            }
            rc = names_walk(nm, bt, bi + 1, bt->nodes[bi].end, ov);
            break;
        }
        }
        if (rc == -1)
            return -1;
        i = nd->end;
    }
    return 0;
}

int
tmpl_names(const struct tmpl *t, struct tmpl_partials *p, tmpl_name_fn fn, void *ctx,
    struct diag *d)
{
    struct names *nm = xcalloc(1, sizeof(*nm));
    int rc;

    nm->parts = p;
    nm->fn = fn;
    nm->ctx = ctx;
    nm->d = d;
    nm->chain[nm->nchain++] = t;
    rc = names_walk(nm, t, 0, t->n, NULL);
    free(nm);
    return rc;
}

bool
tmpl_name_is_safe(const char *name)
{
    if (name[0] == '\0' || name[0] == '.')
        return false;
    for (const char *c = name; *c; c++)
        if (!IS_ALNUM(*c) && *c != '.' && *c != '_' && *c != '-')
            return false;
    return true;
}
