/*
 * Unit tests for tmpl (the Mustache engine): escaping modes, number text, parse errors
 * with positions, render limits, the directory resolver's override order, the names
 * listing, and a digest-like tree built with the value_new_* builders.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "diag.h"
#include "tmpl.h"
#include "util.h"
#include "value.h"

/* Partials from a NULL-terminated list of name, text pairs. */
static char *
pairs_source(void *ctx, const char *name, size_t *len, char **origin, struct diag *d)
{
    const char *const *kv = ctx;

    (void)origin;
    (void)d;
    for (; kv[0] != NULL; kv += 2) {
        if (strcmp(kv[0], name) == 0) {
            *len = strlen(kv[1]);
            return xstrdup(kv[1]);
        }
    }
    return NULL;
}

/* Parse and render text; the output (caller frees) or NULL with d set. */
static char *
render(const char *text, const struct value *data, struct tmpl_partials *p, int flags,
    size_t max, struct diag *d)
{
    struct tmpl *t = tmpl_parse(text, strlen(text), "t.mustache", d);
    struct buf out;

    buf_init(&out, max);
    if (t == NULL || tmpl_render(t, data, p, flags, &out, d) == -1) {
        buf_fini(&out);
        tmpl_free(t);
        return NULL;
    }
    tmpl_free(t);
    if (out.p == NULL)
        return xstrdup("");
    return buf_steal(&out);
}

static void
test_escape(void)
{
    static const char evil[] = "<script>alert(1)</script> & \"x\" 'y'";
    static const struct {
        const char *tmpl;
        int flags;
        const char *want;
    } rows[] = {
        { "{{v}}", TMPL_ESCAPE_HTML,
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;" },
        { "<p>{{ v }}</p>", TMPL_ESCAPE_HTML,
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;</p>" },
        { "{{{v}}}", TMPL_ESCAPE_HTML, evil },
        { "{{& v}}", TMPL_ESCAPE_HTML, evil },
        { "{{v}}", 0, evil },
        { "{{{v}}}", 0, evil },
        { "a & b {{v}}", 0, "a & b <script>alert(1)</script> & \"x\" 'y'" },
    };
    struct value *data = value_new(VALUE_MAP);

    value_set_str(data, "v", evil);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d = DIAG_INIT;
        char *got = render(rows[i].tmpl, data, NULL, rows[i].flags, BUF_MAX_DEFAULT, &d);

        CHECK_STR_EQ(got, rows[i].want, "escape: %s (%s)", rows[i].tmpl,
            rows[i].flags ? "html" : "text");
        free(got);
    }
    value_free(data);
}

static void
test_scalars(void)
{
    static const struct {
        double num;
        const char *want;
    } nums[] = {
        { 85, "85" }, { 1.21, "1.21" }, { -3, "-3" }, { 0.1 + 0.2, "0.30000000000000004" },
        { 1.0 / 3, "0.3333333333333333" }, { 1e20, "1e+20" }, { 2.5e-7, "2.5e-07" },
        { 9007199254740991.0, "9007199254740991" },
    };
    static const struct {
        const char *yaml, *want;
    } parsed[] = {
        { "v: 1.210", "1.21" }, { "v: 85", "85" }, { "v: true", "true" }, { "v: ~", "" },
        { "v: \"0\"", "0" }, { "v: 1e3", "1000" },
    };

    for (size_t i = 0; i < ARRAY_LEN(nums); i++) {
        struct value *data = value_new(VALUE_MAP);
        struct diag d = DIAG_INIT;
        char *got;

        value_set(data, "n", value_new_num(nums[i].num));
        got = render("{{n}}", data, NULL, 0, BUF_MAX_DEFAULT, &d);
        CHECK_STR_EQ(got, nums[i].want, "number %.17g prints as %s", nums[i].num,
            nums[i].want);
        free(got);
        value_free(data);
    }
    for (size_t i = 0; i < ARRAY_LEN(parsed); i++) {
        struct diag d = DIAG_INIT;
        struct value *data = value_parse(parsed[i].yaml, strlen(parsed[i].yaml), "d", &d);
        char *got = render("{{v}}", data, NULL, 0, BUF_MAX_DEFAULT, &d);

        CHECK_STR_EQ(got, parsed[i].want, "YAML %s prints as \"%s\"", parsed[i].yaml,
            parsed[i].want);
        free(got);
        value_free(data);
    }
}

static void
test_parse_errors(void)
{
    static const struct {
        const char *tmpl;
        int line, col;
        const char *needle;
    } rows[] = {
        { "{{#a}}\nx", 1, 1, "\"a\" is never closed" },
        { "a\n  {{/b}}", 2, 3, "no open section" },
        { "{{#a}}\n{{/b}}", 2, 1, "does not match \"a\" opened at line 1, column 1" },
        { "x {{=<% %>", 1, 3, "never closed" },
        { "l1\nl2 {{name", 2, 4, "end it with \"}}\"" },
        { "{{{x}}", 1, 1, "end it with \"}}}\"" },
        { "{{= a =}}", 1, 1, "set-delimiter" },
        { "{{=a b c=}}", 1, 1, "set-delimiter" },
        { "{{=<% %>=}}\n<%#a%><%/b%>", 2, 7, "does not match" },
        { "ok\n\n  {{a b}}", 3, 3, "contains a blank" },
        { "{{}}", 1, 1, "no name" },
        { "{{ a..b }}", 1, 1, "empty part between dots" },
        { "{{#.a}}{{/.a}}", 1, 1, "empty part between dots" },
        { "{{<p}}{{/*p}}", 1, 7, "does not match" },
    };
    struct buf deep;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d = DIAG_INIT;
        struct tmpl *t = tmpl_parse(rows[i].tmpl, strlen(rows[i].tmpl), "t.mustache", &d);

        CHECK(t == NULL && d.code == EX_DATAERR && d.line == rows[i].line &&
            d.col == rows[i].col && strstr(d.msg, rows[i].needle) != NULL &&
            strcmp(d.path, "t.mustache") == 0,
            "parse error %d:%d \"%s\" (got %d:%d %s)", rows[i].line, rows[i].col,
            rows[i].needle, d.line, d.col, d.msg);
        tmpl_free(t);
    }
    buf_init(&deep, BUF_MAX_DEFAULT);
    for (int i = 0; i <= TMPL_MAX_NEST; i++)
        buf_adds(&deep, "{{#a}}");
    {
        struct diag d = DIAG_INIT;
        struct tmpl *t = tmpl_parse(buf_str(&deep), deep.len, "deep", &d);

        CHECK(t == NULL && d.code == EX_DATAERR && strstr(d.msg, "nested") != NULL &&
            d.col == 6 * TMPL_MAX_NEST + 1, "%d nested sections are refused at the last one",
            TMPL_MAX_NEST + 1);
        tmpl_free(t);
    }
    buf_fini(&deep);
}

static void
test_limits(void)
{
    static const char *const parts[] = {
        "self", "a\n  {{>self}}",
        "ping", "{{>pong}}", "pong", "{{#x}}{{>ping}}{{/x}}",
        "parent", "{{<parent}}{{$b}}{{/b}}{{/parent}}",
        NULL,
    };
    static const struct {
        const char *tmpl, *needle, *origin;
        int line, col;
    } rows[] = {
        { "{{>self}}", "nested more than", "self", 2, 3 },
        { "{{>ping}}", "nested more than", NULL, 1, 0 },
        { "{{<parent}}{{/parent}}", "nested more than", "parent", 1, 1 },
        { "{{list}}", "is a list, not text", "t.mustache", 1, 1 },
        { "\n  {{{map}}}", "is a map, not text", "t.mustache", 2, 3 },
    };
    struct tmpl_partials *p = tmpl_partials_new(pairs_source, (void *)parts);
    struct value *data = value_new(VALUE_MAP), *list = value_new(VALUE_LIST);
    struct diag d = DIAG_INIT;
    char *got;

    value_set(data, "x", value_new_bool(true));
    value_set(data, "map", value_new(VALUE_MAP));
    value_set(data, "list", list);
    value_push(list, value_new_num(1));
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        diag_clear(&d);
        got = render(rows[i].tmpl, data, p, 0, BUF_MAX_DEFAULT, &d);
        CHECK(got == NULL && d.code == EX_DATAERR && strstr(d.msg, rows[i].needle) != NULL &&
            (rows[i].origin == NULL || (strcmp(d.path, rows[i].origin) == 0 &&
            d.line == rows[i].line && d.col == rows[i].col)),
            "limits row %zu fails: %s (got %s:%d:%d: %s)", i, rows[i].needle, d.path,
            d.line, d.col, d.msg);
        free(got);
    }
    /* Output is capped by the buffer's maximum. */
    diag_clear(&d);
    got = render("{{#list}}0123456789{{/list}}", data, p, 0, 5, &d);
    CHECK(got == NULL && d.code == EX_DATAERR && strstr(d.msg, "longer than 5") != NULL,
        "output over the buffer maximum fails (%s)", d.msg);
    free(got);
    /* Work is capped: 3200 x 3200 empty iterations pass TMPL_MAX_STEPS. */
    for (int i = 1; i < 3200; i++)
        value_push(list, value_new_num(i));
    diag_clear(&d);
    got = render("{{#list}}{{#list}}{{/list}}{{/list}}", data, p, 0, BUF_MAX_DEFAULT, &d);
    CHECK(got == NULL && d.code == EX_DATAERR && strstr(d.msg, "steps") != NULL,
        "more than %lu steps fails (%s)", TMPL_MAX_STEPS, d.msg);
    free(got);
    value_free(data);
    tmpl_partials_free(p);
}

/* Files for the directory resolver test. */
static const struct {
    const char *path, *text;
} files[] = {
    { "user/header.mustache", "user header {{who}}\n" },
    { "default/header.mustache", "default header\n" },
    { "default/footer.mustache", "default footer\n" },
    { "default/layout.mustache", "<{{$body}}default body{{/body}}>\n" },
    { "secret.mustache", "secret\n" },
};

static void
test_dirs(void)
{
    static const struct {
        const char *tmpl, *want;
    } rows[] = {
        { "{{>header}}", "user header you\n" },
        { "{{>footer}}", "default footer\n" },
        { "{{>missing}}.", "." },
        { "{{>../secret}}.", "." },
        { "{{>*evil}}.", "." },
        { "{{<layout}}{{$body}}mine{{/body}}{{/layout}}", "<mine>\n" },
        { "  {{>header}}  {{>footer}}", "  user header you\n  default footer\n" },
    };
    char base[] = "/tmp/test_tmpl.XXXXXX";
    char path[512], udir[64], ddir[64];
    const char *dirs[2];
    struct tmpl_partials *p = NULL;
    struct value *data = value_new(VALUE_MAP);
    struct diag d = DIAG_INIT;
    const struct tmpl *t;
    char *got;

    if (mkdtemp(base) == NULL) {
        CHECK(0, "mkdtemp");
        value_free(data);
        return;
    }
    snprintf(udir, sizeof(udir), "%s/user", base);
    snprintf(ddir, sizeof(ddir), "%s/default", base);
    mkdir(udir, 0700);
    mkdir(ddir, 0700);
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", base, files[i].path);
        if ((f = fopen(path, "w")) != NULL) {
            fputs(files[i].text, f);
            fclose(f);
        }
    }
    /* A template that exists but cannot be read (a directory) is an error, not a miss. */
    snprintf(path, sizeof(path), "%s/broken.mustache", udir);
    mkdir(path, 0700);

    dirs[0] = udir;
    dirs[1] = ddir;
    p = tmpl_partials_new_dirs(dirs, 2);
    value_set_str(data, "who", "you");
    value_set_str(data, "evil", "../secret");
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        diag_clear(&d);
        got = render(rows[i].tmpl, data, p, 0, BUF_MAX_DEFAULT, &d);
        CHECK_STR_EQ(got, rows[i].want, "dirs: %s", rows[i].tmpl);
        free(got);
    }
    diag_clear(&d);
    got = render("{{>broken}}", data, p, 0, BUF_MAX_DEFAULT, &d);
    CHECK(got == NULL && d.code == EX_NOINPUT && strcmp(d.path, path) == 0,
        "an unreadable template is EX_NOINPUT with its path (got %d %s: %s)", d.code,
        d.path, d.msg);
    free(got);
    diag_clear(&d);
    t = tmpl_partials_find(p, "header", &d);
    CHECK(t != NULL && t == tmpl_partials_find(p, "header", &d),
        "tmpl_partials_find loads a main template once and caches it");

    /* Order matters: the default directory first hides the user's file. */
    tmpl_partials_free(p);
    dirs[0] = ddir;
    dirs[1] = udir;
    p = tmpl_partials_new_dirs(dirs, 2);
    got = render("{{>header}}", data, p, 0, BUF_MAX_DEFAULT, &d);
    CHECK_STR_EQ(got, "default header\n", "dirs: the first directory listed wins");
    free(got);

    tmpl_partials_free(p);
    value_free(data);
    rmdir(path);
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", base, files[i].path);
        unlink(path);
    }
    rmdir(udir);
    rmdir(ddir);
    rmdir(base);
}

static void
collect(void *ctx, const struct tmpl_name *n)
{
    static const char *const uses[] = { "var", "section", "inverted", "partial" };
    struct buf *b = ctx;

    buf_addf(b, "%s %s [", uses[n->use], n->name);
    for (size_t i = 0; i < n->nsections; i++)
        buf_addf(b, "%s%s", i ? ">" : "", n->sections[i]);
    buf_addf(b, "]%s %s:%d:%d\n", n->use == TMPL_USE_PARTIAL ? (n->found ? " found" :
        " missing") : "", n->origin, n->line, n->col);
}

static void
test_names(void)
{
    static const char *const parts[] = {
        "footer", "{{site.name}}{{>footer}}",
        "layout", "{{#page}}{{$main}}{{dflt}}{{/main}}{{/page}}{{$side}}{{side_default}}{{/side}}",
        NULL,
    };
    static const char tmpl[] =
        "{{title}}\n"
        "{{#articles}}\n"
        "  {{title}} {{{url}}}\n"
        "  {{#tags}}{{.}}{{/tags}}\n"
        "  {{^tags}}none{{/tags}}\n"
        "{{/articles}}\n"
        "{{>footer}}{{>nothere}}{{>*dyn}}\n"
        "{{#a.b}}{{<layout}}{{$main}}{{c}}{{/main}}{{ignored}}{{/layout}}{{/a.b}}\n";
    static const char want[] =
        "var title [] t.mustache:1:1\n"
        "section articles [] t.mustache:2:1\n"
        "var title [articles] t.mustache:3:3\n"
        "var url [articles] t.mustache:3:13\n"
        "section tags [articles] t.mustache:4:3\n"
        "var . [articles>tags] t.mustache:4:12\n"
        "inverted tags [articles] t.mustache:5:3\n"
        "partial footer [] found t.mustache:7:1\n"
        "var site.name [] footer:1:1\n"
        "partial footer [] found footer:1:14\n"
        "partial nothere [] missing t.mustache:7:12\n"
        "var dyn [] t.mustache:7:24\n"
        "section a.b [] t.mustache:8:1\n"
        "partial layout [a.b] found t.mustache:8:9\n"
        "section page [a.b] layout:1:1\n"
        "var c [a.b>page] t.mustache:8:29\n"
        "var side_default [a.b] layout:1:54\n";
    struct tmpl_partials *p = tmpl_partials_new(pairs_source, (void *)parts);
    struct diag d = DIAG_INIT;
    struct tmpl *t = tmpl_parse(tmpl, strlen(tmpl), "t.mustache", &d);
    struct buf b;
    int rc;

    buf_init(&b, BUF_MAX_DEFAULT);
    rc = t != NULL ? tmpl_names(t, p, collect, &b, &d) : -1;
    CHECK(rc == 0, "tmpl_names succeeds (%s)", d.msg);
    CHECK_STR_EQ(buf_str(&b), want, "tmpl_names lists every name with its sections; a block "
        "passed to a parent where the parent renders it (inside its sections), not the default "
        "it replaces; a default nobody replaces");
    buf_fini(&b);
    tmpl_free(t);
    tmpl_partials_free(p);
}

/* Parents of parents: the outermost {{$block}} is the one rendered, and reported. */
static void
test_names_nested(void)
{
    static const char *const parts[] = {
        "g", "{{#gs}}{{$b}}{{gdef}}{{/b}}{{/gs}}",
        "p", "{{<g}}{{$b}}{{pdef}}{{/b}}{{/g}}",
        NULL,
    };
    static const char tmpl[] = "{{<p}}{{$b}}{{mine}}{{/b}}{{/p}}";
    static const char want[] =
        "partial p [] found t:1:1\n"
        "partial g [] found p:1:1\n"
        "section gs [] g:1:1\n"
        "var mine [gs] t:1:13\n";
    struct tmpl_partials *p = tmpl_partials_new(pairs_source, (void *)parts);
    struct diag d = DIAG_INIT;
    struct tmpl *t = tmpl_parse(tmpl, strlen(tmpl), "t", &d);
    struct value *data = NULL;
    struct buf b;

    buf_init(&b, BUF_MAX_DEFAULT);
    CHECK(t != NULL && tmpl_names(t, p, collect, &b, &d) == 0, "nested parents: names (%s)",
        d.msg);
    CHECK_STR_EQ(buf_str(&b), want, "nested parents: only the outermost block is reported, "
        "inside the grandparent's section");
    /* and that is what rendering does */
    buf_reset(&b);
    {
        static const char yaml[] = "gs:\n  - {mine: M, pdef: P, gdef: G}\n";

        data = value_parse(yaml, strlen(yaml), "data", &d);
    }
    CHECK(t != NULL && data != NULL && tmpl_render(t, data, p, 0, &b, &d) == 0 &&
        strcmp(buf_str(&b), "M") == 0, "nested parents: the render agrees (%s)", buf_str(&b));
    value_free(data);
    buf_fini(&b);
    tmpl_free(t);
    tmpl_partials_free(p);
}

static struct value *
article(const char *title, const char *url, bool read, const char *const *tags)
{
    struct value *a = value_new(VALUE_MAP), *list = value_new(VALUE_LIST);

    value_set_str(a, "title", title);
    value_set_str(a, "url", url);
    value_set(a, "read", value_new_bool(read));
    for (; *tags != NULL; tags++)
        value_push(list, value_new_str(*tags));
    value_set(a, "tags", list);
    return a;
}

static void
test_nested(void)
{
    static const char *const tags1[] = { "c", "mail", NULL }, *const tags2[] = { NULL };
    static const char tmpl[] =
        "{{title}} ({{count}} articles, {{site.name}})\n"
        "{{#articles}}\n"
        "* {{title}} <{{{url}}}>\n"
        "  {{#tags}}[{{.}}]{{/tags}}{{^tags}}(no tags){{/tags}}\n"
        "  {{#read}}read{{/read}}{{^read}}new{{/read}} on {{site.name}}\n"
        "{{/articles}}\n"
        "{{^none}}\n"
        "-- {{#site}}{{name}} <{{url}}>{{/site}}\n"
        "{{/none}}\n";
    static const char want1[] =
        "Weekly &amp; more (2 articles, Ex &quot;1&quot;)\n"
        "* A &amp; B <https://x/a?b=1&c=2>\n"
        "  [c][mail]\n"
        "  read on Ex &quot;1&quot;\n"
        "* Second <https://x/2>\n"
        "  (no tags)\n"
        "  new on Ex &quot;1&quot;\n"
        "-- Ex &quot;1&quot; <https://example.org/?a=1&amp;b=2>\n";
    static const char want2[] =
        "Weekly &amp; more (0 articles, Ex &quot;1&quot;)\n"
        "-- Ex &quot;1&quot; <https://example.org/?a=1&amp;b=2>\n";
    struct value *data = value_new(VALUE_MAP), *site = value_new(VALUE_MAP);
    struct value *list = value_new(VALUE_LIST), *empty;
    struct diag d = DIAG_INIT;
    struct tmpl *t = tmpl_parse(tmpl, strlen(tmpl), "nested", &d);
    struct buf out;

    value_set_str(data, "title", "Weekly & more");
    value_set(data, "count", value_new_num(2));
    value_set_str(site, "name", "Ex \"1\"");
    value_set_str(site, "url", "https://example.org/?a=1&b=2");
    value_set(data, "site", site);
    value_push(list, article("A & B", "https://x/a?b=1&c=2", true, tags1));
    value_push(list, article("Second", "https://x/2", false, tags2));
    value_set(data, "articles", list);
    value_set(data, "none", value_new(VALUE_LIST));

    /* Parse once, render for two "subscribers". */
    buf_init(&out, BUF_MAX_DEFAULT);
    CHECK(t != NULL && tmpl_render(t, data, NULL, TMPL_ESCAPE_HTML, &out, &d) == 0,
        "nested render succeeds (%s)", d.msg);
    CHECK_STR_EQ(buf_str(&out), want1, "nested structure renders");
    empty = value_dup(data);
    value_set(empty, "articles", value_new(VALUE_LIST));
    value_set(empty, "count", value_new_num(0));
    buf_reset(&out);
    CHECK(t != NULL && tmpl_render(t, empty, NULL, TMPL_ESCAPE_HTML, &out, &d) == 0,
        "second render of the same template succeeds");
    CHECK_STR_EQ(buf_str(&out), want2, "second render uses the second data");
    buf_fini(&out);
    tmpl_free(t);
    value_free(data);
    value_free(empty);
}

/*
 * Standalone partial indentation: each line of the partial, blank ones included, but not
 * the lines of interpolated data (spec partials "Standalone Indentation").
 */
static void
test_indent(void)
{
    static const char *const parts[] = {
        "outer", "o1\n  {{>inner}}\n{{#items}}\n- {{.}}\n{{/items}}\nlast",
        "inner", "i1\n\ni2 {{x}}\n",
        NULL,
    };
    static const struct {
        const char *tmpl, *want;
    } rows[] = {
        { "top\n  {{>outer}}\nend\n",
            "top\n  o1\n    i1\n    \n    i2 a\nb\n  - 1\n  - 2\n  lastend\n" },
        { "x {{>inner}}|", "x i1\n\ni2 a\nb\n|" },
        { "\t{{>inner}}", "\ti1\n\t\n\ti2 a\nb\n" },
    };
    struct tmpl_partials *p = tmpl_partials_new(pairs_source, (void *)parts);
    struct value *data = value_new(VALUE_MAP), *items = value_new(VALUE_LIST);

    value_set_str(data, "x", "a\nb");
    value_push(items, value_new_num(1));
    value_push(items, value_new_num(2));
    value_set(data, "items", items);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d = DIAG_INIT;
        char *got = render(rows[i].tmpl, data, p, 0, BUF_MAX_DEFAULT, &d);

        CHECK_STR_EQ(got, rows[i].want, "indent row %zu", i);
        free(got);
    }
    value_free(data);
    tmpl_partials_free(p);
}

/*
 * tmpl_render_over: the per-subscriber map sits above the shared data, which is only read
 * (worker threads share it), and partials and sections see both.
 */
static void
test_over(void)
{
    static const char *const parts[] = { "p", "[{{who.name}}:{{site}}]", NULL };
    struct tmpl_partials *p = tmpl_partials_new(pairs_source, (void *)parts);
    struct diag d = DIAG_INIT;
    const char *yaml = "site: S\nwho: {name: shared}\nitems: [{t: a}, {t: b}]\n";
    struct value *data = value_parse(yaml, strlen(yaml), "data", &d);
    struct value *top = value_new(VALUE_MAP), *who = value_new(VALUE_MAP);
    struct tmpl *t = NULL;
    struct buf out, before, after;
    const char *src = "{{#who.name}}{{who.name}}{{/who.name}} {{#items}}{{t}}{{>p}}{{/items}}";

    buf_init(&out, 0);
    buf_init(&before, 0);
    buf_init(&after, 0);
    value_set_str(who, "name", "Ann");
    value_set(top, "who", who);
    if (data != NULL)
        value_write_json(&before, data);
    t = tmpl_parse(src, strlen(src), "over", &d);
    CHECK(t != NULL && tmpl_render_over(t, data, top, p, 0, &out, &d) == 0,
        "render_over: renders");
    CHECK_STR_EQ(buf_str(&out), "Ann a[Ann:S]b[Ann:S]",
        "render_over: the top map hides the data's key, the rest comes from the data");
    buf_reset(&out);
    CHECK(t != NULL && tmpl_render_over(t, data, NULL, p, 0, &out, &d) == 0 &&
        strcmp(buf_str(&out), "shared a[shared:S]b[shared:S]") == 0,
        "render_over: without a top map it is tmpl_render");
    if (data != NULL)
        value_write_json(&after, data);
    CHECK_STR_EQ(buf_str(&after), buf_str(&before), "render_over: the shared data is unchanged");
    tmpl_free(t);
    value_free(top);
    value_free(data);
    buf_fini(&out);
    buf_fini(&before);
    buf_fini(&after);
    tmpl_partials_free(p);
}

int
main(void)
{
    test_over();
    test_escape();
    test_scalars();
    test_parse_errors();
    test_limits();
    test_dirs();
    test_names();
    test_names_nested();
    test_nested();
    test_indent();
    return check_exit();
}
