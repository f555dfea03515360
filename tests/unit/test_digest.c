/*
 * Unit tests for digest: wrapping, unsubscribe tokens, and messages built from the
 * built-in templates and from template overrides (escaping of personal values, the
 * per-subscriber path for templates that branch on personal values, URL safety).
 * SPDX-License-Identifier: MIT
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "article.h"
#include "buf.h"
#include "check.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "subs.h"
#include "util.h"

static void
test_wrap(void)
{
    static const struct { const char *in; size_t w; const char *out; } rows[] = {
        { "short line", 72, "short line" },
        { "aaa bbb ccc ddd", 7, "aaa bbb\nccc ddd" },
        { "see https://example.org/a/very/long/path/that/cannot/break ok", 20,
          "see\nhttps://example.org/a/very/long/path/that/cannot/break\nok" },
        { "para one\n\npara two", 72, "para one\n\npara two" },
        { "  indented text that wraps here", 16, "  indented text\n  that wraps\n  here" },
        { "> quoted words go on and on", 14, "> quoted words\n> go on and on" },
        /* 2 columns each: 8 wide characters fill a 16-column line */
        { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87\xe7\xab\xa0\xe3\x81\xa7"
          "\xe3\x81\x99\xe3\x80\x82\xe6\x94\xb9\xe8\xa1\x8c", 16,
          "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87\xe7\xab\xa0\xe3\x81\xa7"
          "\xe3\x81\x99\n\xe3\x80\x82\xe6\x94\xb9\xe8\xa1\x8c" },
        { "caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9", 9, "caf\xc3\xa9 caf\xc3\xa9\ncaf\xc3\xa9" },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct buf b;

        buf_init(&b, 0);
        digest_wrap(&b, rows[i].in, rows[i].w);
        CHECK_STR_EQ(buf_str(&b), rows[i].out, "wrap row %zu", i);
        buf_fini(&b);
    }
}

static void
test_token(void)
{
    char a[32], b[32], c[32], e[32];

    digest_token("secret", "ann@example.org", a);
    digest_token("secret", "ANN@Example.ORG", b);
    digest_token("secret", "bob@example.org", c);
    digest_token("other", "ann@example.org", e);
    CHECK(strlen(a) == 22 && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789-_") == 22, "token: 22 base64url characters (%s)", a);
    CHECK(strcmp(a, b) == 0, "token: one per mailbox whatever the case");
    CHECK(strcmp(a, c) != 0 && strcmp(a, e) != 0, "token: differs per address and secret");
    /* HMAC-SHA256 of RFC 4231 test case 2 (5bdcc146bf60754e...), base64url; and a key
       longer than a block (hashed first), both as Python's hmac module computes them */
    digest_token("Jefe", "what do ya want for nothing?", a);
    CHECK(strcmp(a, "W9zBRr9gdU5qBCQmCJV1x1") == 0, "token: the RFC 4231 HMAC-SHA256 (%s)", a);
    digest_token("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
        "kkkkkkkkkkkkkkkkkkk", "Ann@Example.org", a);
    CHECK(strcmp(a, "7vaFpO3NKoPE3ft56y6hJD") == 0, "token: a 100-byte key (%s)", a);
}

static char dir[256];

static void
put(const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static struct article *
article_of(const char *yaml)
{
    struct diag d = DIAG_INIT;
    struct article *a = article_parse(yaml, strlen(yaml), ARTICLE_YAML, "a.yaml", NULL, &d);

    if (a == NULL)
        printf("# article: %s\n", d.msg);
    return a;
}

static void
sub_init(struct subscriber *s, const char *email, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->email = s->addr = email;
    s->name = name;
    s->subscribed_at = "";
}

static void
test_messages(void)
{
    struct config *cfg = config_defaults(".");
    struct article *arts[2];
    struct digest_opts o;
    struct digest_issue is = { 7, 1795000000, NULL, "An intro." };
    struct subscriber s1, s2;
    struct digest *g;
    struct diag d = DIAG_INIT;
    struct buf m1, m2, subj, text, html;

    free(cfg->newsletter.unsubscribe_url);
    cfg->newsletter.unsubscribe_url = xstrdup("https://example.org/u?t={{token}}&e={{email}}");
    free(cfg->newsletter.base_url);
    cfg->newsletter.base_url = xstrdup("https://example.org/news/");
    arts[0] = article_of("title: First <story> & more\nurl: https://example.org/1\n"
        "image: img/pic.jpg\nimage_alt: A picture\nbody: |\n  ## A heading\n\n  Text.\n");
    arts[1] = article_of("title: Second\nurl: https://example.org/2\nbody: Plain text.\n");
    if (arts[0] == NULL || arts[1] == NULL) {
        CHECK(0, "articles parse");
        return;
    }
    memset(&o, 0, sizeof(o));
    o.cfg = cfg;
    o.template_dir = "/nonexistent";
    o.secret = "s3cret";
    g = digest_new(&o, arts, 2, &is, &d);
    CHECK(g != NULL, "digest from the built-in templates %s", d.msg);
    if (g == NULL)
        return;
    sub_init(&s1, "ann@example.org", "Ann");
    sub_init(&s2, "bob@example.org", "");
    buf_init(&m1, 0);
    buf_init(&m2, 0);
    buf_init(&subj, 0);
    buf_init(&text, 0);
    buf_init(&html, 0);
    CHECK(digest_message(g, &s1, &m1, &d) == 0 && digest_message(g, &s2, &m2, &d) == 0,
        "two messages %s", d.msg);
    CHECK(strstr(buf_str(&m1), "To: Ann <ann@example.org>") != NULL &&
        strstr(buf_str(&m2), "To: bob@example.org") != NULL, "To names each recipient only");
    {
        char t1[32], t2[32], want[128];

        digest_token("s3cret", "ann@example.org", t1);
        digest_token("s3cret", "bob@example.org", t2);
        snprintf(want, sizeof(want), "<https://example.org/u?t=%s&e=ann%%40example.org>", t1);
        CHECK(strstr(buf_str(&m1), want) != NULL, "List-Unsubscribe carries ann's token");
        snprintf(want, sizeof(want), "t=%s", t2);
        CHECK(strstr(buf_str(&m2), want) != NULL && strstr(buf_str(&m2), t1) == NULL,
            "bob's message has bob's token and not ann's");
    }
    CHECK(digest_parts(g, &s1, &subj, &text, &html, &d) == 0, "parts");
    CHECK(strstr(buf_str(&subj), "#7") != NULL && strstr(buf_str(&subj), ": \n") == NULL &&
        buf_str(&subj)[subj.len - 1] != ':', "subject without a title falls back (%s)",
        buf_str(&subj));
    CHECK(strstr(buf_str(&html), "First &lt;story&gt; &amp; more") != NULL &&
        strstr(buf_str(&html), "<story>") == NULL, "titles are HTML-escaped");
    CHECK(strstr(buf_str(&text), "First <story> & more") != NULL &&
        strstr(buf_str(&text), "&amp;") == NULL, "the text part is not escaped");
    CHECK(strstr(buf_str(&html), "https://example.org/news/img/pic.jpg") != NULL,
        "a relative image is made absolute against base_url");
    CHECK(strstr(buf_str(&html), "<h4") != NULL && strstr(buf_str(&html), "<h2>A heading") ==
        NULL, "body headings move under the article title");
    buf_reset(&subj);
    buf_reset(&text);
    buf_reset(&html);
    digest_free(g);

    /* overrides: personal values escaped, and a template that branches on them */
    snprintf(dir, sizeof(dir), "/tmp/gazette-digest-test.%ld", (long)getpid());
    mkdir(dir, 0700);
    put("digest.html.mustache", "<p>{{subscriber.name}}|{{{subscriber.name}}}|"
        "{{subscriber.fields.city}}</p><a href=\"{{unsubscribe_url}}\">unsubscribe</a>\n");
    put("digest.txt.mustache", "{{#subscriber.name}}Hi {{subscriber.name}}{{/subscriber.name}}"
        "{{^subscriber.name}}Hello reader{{/subscriber.name}}\n{{unsubscribe_url}}\n");
    put("subject.mustache", "News for {{subscriber.name}}\r\nBcc: x@example.org\n");
    o.template_dir = dir;
    g = digest_new(&o, arts, 2, &is, &d);
    CHECK(g != NULL, "digest with overrides %s", d.msg);
    if (g != NULL) {
        struct subs_field city = { "city", "Lyon & <Paris>" };

        s1.name = "<b>Ann</b> & Co";
        s1.fields = &city;
        s1.nfields = 1;
        CHECK(digest_parts(g, &s1, &subj, &text, &html, &d) == 0, "override parts");
        CHECK(strstr(buf_str(&html), "<p>&lt;b&gt;Ann&lt;/b&gt; &amp; Co|&lt;b&gt;Ann&lt;/b&gt; "
            "&amp; Co|Lyon &amp; &lt;Paris&gt;</p>") != NULL,
            "personal values are escaped in HTML, even in triple braces (%s)", buf_str(&html));
        CHECK(strstr(buf_str(&text), "Hi <b>Ann</b> & Co") != NULL, "a personal section "
            "renders for a named subscriber");
        CHECK(strstr(buf_str(&subj), "\n") == NULL && strstr(buf_str(&subj), "\r") == NULL,
            "a subject template cannot make a second header line (%s)", buf_str(&subj));
        buf_reset(&text);
        CHECK(digest_parts(g, &s2, &subj, &text, &html, &d) == 0 &&
            strstr(buf_str(&text), "Hello reader") != NULL, "and the other branch for an "
            "unnamed one");
        buf_reset(&m1);
        CHECK(digest_message(g, &s1, &m1, &d) == 0 && strstr(buf_str(&m1), "\nBcc:") == NULL,
            "no injected Bcc header");
        digest_free(g);
    }
    {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("# cannot remove %s\n", dir);
    }
    buf_fini(&m1);
    buf_fini(&m2);
    buf_fini(&subj);
    buf_fini(&text);
    buf_fini(&html);
    article_free(arts[0]);
    article_free(arts[1]);
    config_free(cfg);
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/*
 * Issue 9, defect 1: bytes 0x01/0x02 in article text were read as the composer's own
 * placeholders (\x01N\x02): "\x01" "0\x02" printed the subscriber's address, "\x01" "9\x02"
 * failed every message, "A\x01x" overflowed and read out of bounds.  Placeholders are now
 * offsets recorded by the renderer, and control characters are removed from article text.
 */
static void
test_forgery(void)
{
    static const char *const bodies[] = {
        "Body \x01" "0\x02 here\n", "Body \x01" "9\x02 here\n", "A\x01x\n",
        "Bell\x07, DEL\x7f, C1 \xc2\x85 and \x01" "99999999999999999999999\x02 end\n",
    };
    struct config *cfg = config_defaults(".");
    struct digest_issue is = { 1, 1795000000, NULL, NULL };
    struct subscriber s1, s2;
    struct digest_opts o;
    struct diag d = DIAG_INIT;
    struct buf m1, m2;

    free(cfg->newsletter.unsubscribe_url);
    cfg->newsletter.unsubscribe_url = xstrdup("https://example.org/u?t={{token}}");
    memset(&o, 0, sizeof(o));
    o.cfg = cfg;
    o.template_dir = "/nonexistent";
    o.secret = "s3cret";
    sub_init(&s1, "ann@example.org", "Ann");
    sub_init(&s2, "bob@example.org", "");
    buf_init(&m1, 0);
    buf_init(&m2, 0);
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct buf md, text, html, subj;
        struct article *a;
        struct digest *g;

        buf_init(&md, 0);
        buf_addf(&md, "---\ntitle: \"T\"\nurl: https://example.org/1\n---\n\n%s", bodies[i]);
        a = article_parse(buf_str(&md), md.len, ARTICLE_MARKDOWN, "a.md", NULL, &d);
        buf_fini(&md);
        CHECK(a != NULL, "forgery %zu: the article reads %s", i, d.msg);
        if (a == NULL)
            continue;
        g = digest_new(&o, &a, 1, &is, &d);
        CHECK(g != NULL, "forgery %zu: the digest composes %s", i, d.msg);
        if (g == NULL) {
            article_free(a);
            continue;
        }
        buf_reset(&m1);
        buf_reset(&m2);
        CHECK(digest_message(g, &s1, &m1, &d) == 0 && digest_message(g, &s2, &m2, &d) == 0,
            "forgery %zu: every subscriber gets a message %s", i, d.msg);
        CHECK(strstr(buf_str(&m2), "ann@example.org") == NULL &&
            strstr(buf_str(&m1), "bob@example.org") == NULL,
            "forgery %zu: no message carries another subscriber's address", i);
        buf_init(&text, 0);
        buf_init(&html, 0);
        buf_init(&subj, 0);
        CHECK(digest_parts(g, &s1, &subj, &text, &html, &d) == 0, "forgery %zu: parts", i);
        {
            bool clean = true;

            for (size_t k = 0; k < text.len; k++)
                if (((unsigned char)buf_str(&text)[k] < 0x20 && buf_str(&text)[k] != '\n') ||
                    buf_str(&text)[k] == 0x7f)
                    clean = false;
            CHECK(clean && strstr(buf_str(&text), "\xc2\x85") == NULL,
                "forgery %zu: control characters are removed from article text", i);
        }
        if (i == 2)
            CHECK(strstr(buf_str(&text), "Ax") != NULL, "forgery: A\\x01x reads Ax");
        buf_fini(&text);
        buf_fini(&html);
        buf_fini(&subj);
        digest_free(g);
        article_free(a);
    }

    /* not even the operator's own template can forge a placeholder: only real ones count */
    snprintf(dir, sizeof(dir), "/tmp/gazette-digest-forge.%ld", (long)getpid());
    mkdir(dir, 0700);
    put("digest.txt.mustache", "x\x01" "0\x02y \x01" "1\x02 \x01" "99999999999\x02 "
        "{{subscriber.email}} {{unsubscribe_url}}\n");
    put("subject.mustache", "S \x01" "0\x02 {{subscriber.name}}\n");
    o.template_dir = dir;
    {
        struct article *a = article_of("title: T\nurl: https://example.org/1\nbody: B\n");
        struct digest *g = a ? digest_new(&o, &a, 1, &is, &d) : NULL;
        struct buf text, html, subj;

        buf_init(&text, 0);
        buf_init(&html, 0);
        buf_init(&subj, 0);
        CHECK(g != NULL && digest_parts(g, &s1, &subj, &text, &html, &d) == 0,
            "forged markers in a template: composes %s", d.msg);
        CHECK(count(buf_str(&text), "ann@example.org") == 1 &&
            strstr(buf_str(&text), "x\x01" "0\x02y") != NULL,
            "forged markers in a template stay text; the real slot is filled once");
        CHECK(strstr(buf_str(&subj), "Ann") != NULL &&
            count(buf_str(&subj), "ann@") == 0, "the subject's slot is filled (%s)",
            buf_str(&subj));
        buf_fini(&text);
        buf_fini(&html);
        buf_fini(&subj);
        digest_free(g);
        article_free(a);
    }
    {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("# cannot remove %s\n", dir);
    }
    buf_fini(&m1);
    buf_fini(&m2);
    config_free(cfg);
}

/*
 * Issue 9, defect 2: format characters in titles were dropped (ZWJ broke a family emoji,
 * ZWNJ misspelt a Persian word, U+2060 and U+FEFF vanished).  They stay, in the subject
 * and in both parts.
 */
static void
test_format_chars(void)
{
    /* U+1F468 ZWJ U+1F469 ZWJ U+1F467; "mi<ZWNJ>khaham"; a<U+2060>b; c<U+FEFF>d */
    static const char title[] = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
        "\xf0\x9f\x91\xa7 \xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85 "
        "a\xe2\x81\xa0" "b c\xef\xbb\xbf" "d";
    struct config *cfg = config_defaults(".");
    struct digest_issue is = { 1, 1795000000, NULL, NULL };
    struct digest_opts o;
    struct diag d = DIAG_INIT;
    struct subscriber s1;
    struct buf md, subj, text, html, m;
    struct article *a;
    struct digest *g = NULL;

    memset(&o, 0, sizeof(o));
    o.cfg = cfg;
    o.template_dir = "/nonexistent";
    buf_init(&md, 0);
    buf_addf(&md, "---\ntitle: \"%s\"\nurl: https://example.org/1\n---\n\nBody.\n", title);
    a = article_parse(buf_str(&md), md.len, ARTICLE_MARKDOWN, "a.md", NULL, &d);
    CHECK(a != NULL && strcmp(a->title, title) == 0, "format characters: the article title "
        "keeps ZWJ, ZWNJ, U+2060 and U+FEFF");
    if (a != NULL)
        g = digest_new(&o, &a, 1, &is, &d);
    CHECK(g != NULL, "format characters: composes %s", d.msg);
    buf_init(&subj, 0);
    buf_init(&text, 0);
    buf_init(&html, 0);
    buf_init(&m, 0);
    sub_init(&s1, "ann@example.org", "Ann  Lee ");
    if (g != NULL) {
        CHECK(digest_parts(g, &s1, &subj, &text, &html, &d) == 0 &&
            strstr(buf_str(&subj), title) != NULL && strstr(buf_str(&text), title) != NULL &&
            strstr(buf_str(&html), title) != NULL,
            "format characters: kept in the subject, the text and the HTML");
        CHECK(digest_message(g, &s1, &m, &d) == 0 &&
            strstr(buf_str(&m), "To: =?UTF-8?") != NULL,
            "a display name with repeated and trailing blanks is encoded, not squeezed");
    }
    digest_free(g);
    article_free(a);
    buf_fini(&md);
    buf_fini(&subj);
    buf_fini(&text);
    buf_fini(&html);
    buf_fini(&m);
    config_free(cfg);
}

/* Issue 9, defect 6: every link, the article bodies' too, carries an inline style. */
static void
test_link_styles(void)
{
    static const char md[] = "---\ntitle: T\nurl: https://example.org/1\n---\n\n"
        "See [the report](https://example.org/r) and [the map](https://example.org/m \"Map\").\n";
    struct config *cfg = config_defaults(".");
    struct digest_issue is = { 1, 1795000000, NULL, NULL };
    struct digest_opts o;
    struct diag d = DIAG_INIT;
    struct subscriber s1;
    struct buf subj, text, html;
    struct article *a = article_parse(md, strlen(md), ARTICLE_MARKDOWN, "a.md", NULL, &d);
    struct digest *g = NULL;
    size_t links = 0, styled = 0;

    memset(&o, 0, sizeof(o));
    o.cfg = cfg;
    o.template_dir = "/nonexistent";
    if (a != NULL)
        g = digest_new(&o, &a, 1, &is, &d);
    buf_init(&subj, 0);
    buf_init(&text, 0);
    buf_init(&html, 0);
    sub_init(&s1, "ann@example.org", "");
    CHECK(g != NULL && digest_parts(g, &s1, &subj, &text, &html, &d) == 0, "links: composes %s",
        d.msg);
    for (const char *p = buf_str(&html); (p = strstr(p, "<a ")) != NULL; p++) {
        const char *gt = strchr(p, '>');
        struct buf tag;

        buf_init(&tag, 0);
        buf_add(&tag, p, gt ? (size_t)(gt - p) : strlen(p));
        links++;
        if (strstr(buf_str(&tag), "font-family:") && strstr(buf_str(&tag), "font-size:") &&
            strstr(buf_str(&tag), "color:"))
            styled++;
        buf_fini(&tag);
    }
    CHECK(links >= 4 && styled == links, "links: all %zu links have an inline font-family, "
        "font-size and color (%zu do)", links, styled);
    CHECK(strstr(buf_str(&html), "href=\"https://example.org/m\" title=\"Map\"") != NULL,
        "links: the attributes are kept");
    digest_free(g);
    article_free(a);
    buf_fini(&subj);
    buf_fini(&text);
    buf_fini(&html);
    config_free(cfg);
}

/* Dates as readers of each language write them (issue 14 item 3). */
static void
test_dates(void)
{
    static const struct {
        const char *iso, *lang, *want;
    } cases[] = {
        { "2026-11-24T14:30:00Z", "en", "24 November 2026" },
        { "2026-11-24", "en-GB", "24 November 2026" },
        { "2026-03-05", "de", "5. M\xc3\xa4rz 2026" },
        { "2026-03-05", "de_CH", "5. M\xc3\xa4rz 2026" },
        { "2026-02-01", "fr", "1 f\xc3\xa9vrier 2026" },
        { "2026-08-15", "es", "15 de agosto de 2026" },
        { "2026-11-24", "ja", "2026\xe5\xb9\xb4" "11\xe6\x9c\x88" "24\xe6\x97\xa5" },
        { "2026-11-24", "ko", "2026\xeb\x85\x84 11\xec\x9b\x94 24\xec\x9d\xbc" },
        { "2026-11-24", "xx", "2026-11-24" },
        { "2026-11-24", "english", "2026-11-24" },
    };
    struct buf b;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf_init(&b, 0);
        CHECK(digest_format_date(cases[i].iso, cases[i].lang, &b) == 0, "date %s %s",
            cases[i].iso, cases[i].lang);
        CHECK_STR_EQ(buf_str(&b), cases[i].want, "date %s in %s", cases[i].iso, cases[i].lang);
        buf_fini(&b);
    }
    buf_init(&b, 0);
    CHECK(digest_format_date("", "en", &b) == -1 && digest_format_date("2026-13-01", "en",
        &b) == -1 && digest_format_date("3 hours ago", "en", &b) == -1 && b.len == 0,
        "no date, a bad month, a relative date: -1, nothing written");
    buf_fini(&b);
}

/* The text part never wraps a code block (issue 14 item 2). */
static void
test_wrap_pre(void)
{
    const char *cmd = "curl --fail --silent --output /var/tmp/archive.tar.gz "
        "https://downloads.example.org/archive.tar.gz && tar -xzf /var/tmp/archive.tar.gz";
    const char *html = "<p>Run:</p>\n<pre><code class=\"language-sh\">curl --fail --silent "
        "--output /var/tmp/archive.tar.gz https://downloads.example.org/archive.tar.gz "
        "&amp;&amp; tar -xzf /var/tmp/archive.tar.gz\n</code></pre>\n"
        "<blockquote>\n<pre><code>if (a &lt; b) { printf(&quot;%d and a long, long, long, long "
        "line of code\\n&quot;, a); }\n</code></pre>\n</blockquote>\n";
    struct buf text, out;

    buf_init(&text, 0);
    buf_init(&out, 0);
    buf_addf(&text, "Run:\n\n    %s\n\n>     if (a < b) { printf(\"%%d and a long, long, "
        "long, long line of code\\n\", a); }\n\nA paragraph that is long enough to be "
        "wrapped at seventy-two columns, as every paragraph is.", cmd);
    digest_wrap_pre(&out, buf_str(&text), 72, html);
    CHECK(strstr(buf_str(&out), cmd) != NULL, "a code line longer than 72 is kept whole");
    CHECK(strstr(buf_str(&out), ">     if (a < b) { printf(\"%d and a long, long, long, long "
        "line of code\\n\", a); }\n") != NULL, "also in a quote, with entities in the HTML");
    CHECK(strstr(buf_str(&out), "wrapped at seventy-two columns, as every paragraph is.") ==
        NULL, "a paragraph is still wrapped");
    buf_reset(&out);
    digest_wrap(&out, buf_str(&text), 72);
    CHECK(strstr(buf_str(&out), cmd) == NULL, "without the HTML the code line is wrapped "
        "(what the text part did before)");
    buf_fini(&text);
    buf_fini(&out);
}

int
main(void)
{
    test_link_styles();
    test_format_chars();
    test_dates();
    test_wrap_pre();
    test_wrap();
    test_token();
    test_messages();
    test_forgery();
    return check_exit();
}
