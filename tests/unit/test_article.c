/*
 * Unit tests for article: the date parser table, Markdown with front matter (HTML
 * suppression, the text rendering and its link references), YAML articles, scraped text
 * checked against the expected YAML files next to each page (the shared sample, vendored in
 * tests/data/samples, and our own in tests/data/articles), and errors with positions.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "article.h"
#include "check.h"
#include "diag.h"
#include "fetch.h"
#include "issue.h"
#include "util.h"
#include "value.h"

static const char *
top_dir(void)
{
    const char *t = getenv("TOP");

    return t != NULL && *t != '\0' ? t : ".";
}

static bool
starts_with(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n, k = strlen(suffix);

    if (s == NULL)
        return false;
    n = strlen(s);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static struct article *
parse(const char *text, enum article_format f, const char *name, bool allow_html,
    struct diag *d)
{
    struct article_opts o = { allow_html, NULL, 0, NULL };

    diag_clear(d);
    return article_parse(text, strlen(text), f, name, &o, d);
}

/* ------------------------------------------------------------------------------------ */

static void
test_dates(void)
{
    static const struct { const char *in, *iso; } rows[] = {
        /* the formats named in the brief; the printed day, time and offset are kept */
        { "Sun Oct 19, 2014 4:55PM GMT", "2014-10-19T16:55:00Z" },
        { "October 19, 2014", "2014-10-19" },
        { "2014-10-19T16:55:00+02:00", "2014-10-19T16:55:00+02:00" },
        { "19 Oct 2014 16:55 BST", "2014-10-19T16:55:00+01:00" },
        { "Sun, 19 Oct 2014 16:55:00 +0100", "2014-10-19T16:55:00+01:00" },
        { "Updated: 10/19/2014 4:55 PM ET", "2014-10-19T16:55:00-04:00" },
        /* RFC 5322 with a comment, ISO 8601 variants */
        { "Sun, 19 Oct 2014 16:55:00 +0100 (BST)", "2014-10-19T16:55:00+01:00" },
        { "2014-10-19T16:55:00Z", "2014-10-19T16:55:00Z" },
        { "2014-10-19T16:55:00.250Z", "2014-10-19T16:55:00Z" },
        { "2014-10-19 16:55:00 UTC", "2014-10-19T16:55:00Z" },
        { "2014-10-19T23:30:00-05:00", "2014-10-19T23:30:00-05:00" },   /* day not moved */
        { "2014-10-19", "2014-10-19" },
        /* newspaper styles and zone names */
        { "Oct. 19, 2014, 4:55 p.m. EDT", "2014-10-19T16:55:00-04:00" },
        { "Sunday 19 October 2014 16.55 BST", "2014-10-19T16:55:00+01:00" },
        { "19th of October, 2014", "2014-10-19" },
        { "Sun Oct 19 16:55:00 2014", "2014-10-19T16:55:00" },          /* no zone: none */
        { "19.10.2014 16:55 CEST", "2014-10-19T16:55:00+02:00" },
        { "Dec 31, 2014 11:30 PM PST", "2014-12-31T23:30:00-08:00" },
        { "Jan 15, 2015 9:00 AM CET", "2015-01-15T09:00:00+01:00" },
        { "Jan 15, 2015 9:00 AM CST", "2015-01-15T09:00:00-06:00" },
        { "Jan 15, 2015 9:00 AM PT", "2015-01-15T09:00:00-08:00" },     /* PT in winter */
        { "Jul 15, 2015 9:00 AM PT", "2015-07-15T09:00:00-07:00" },     /* PT in summer */
        { "Mar 9, 2014 1:00 AM ET", "2014-03-09T01:00:00-05:00" },      /* DST at 2 am */
        { "Mar 9, 2014 3:00 AM ET", "2014-03-09T03:00:00-04:00" },
        { "Oct 19, 2014 16:55 GMT+1", "2014-10-19T16:55:00+01:00" },
        { "Oct 19, 2014 12:00 AM UTC", "2014-10-19T00:00:00Z" },
        { "Oct 19, 2014 12:30 PM UTC", "2014-10-19T12:30:00Z" },
        { "03/10/2014 10:00 BST", "2014-10-03T10:00:00+01:00" },        /* European: D/M */
        { "03/10/2014 10:00 EST", "2014-03-10T10:00:00-05:00" },        /* US zone: M/D */
        { "19/10/2014", "2014-10-19" },                                 /* day > 12: D/M */
        { "10/19/2014", "2014-10-19" },                                 /* day > 12: M/D */
        { "19 Oct 14 16:55 GMT", "2014-10-19T16:55:00Z" },              /* RFC 5322 4.3 */
        { "Posted on October 19th, 2014 at 9am", "2014-10-19T09:00:00" },
        { "Feb 29, 2020", "2020-02-29" },
        { "Oct 19, 2014 5:30 PM IST", "2014-10-19T17:30:00+05:30" },
        { "Oct 19, 2014 4:55 PM WIB", "2014-10-19" },       /* unknown zone: still the day */
        /* other languages */
        { "5 mars 2024", "2024-03-05" },
        { "Publié le 5 mars 2024 à 10h30", "2024-03-05T10:30:00" },
        { "1er février 2024", "2024-02-01" },
        { "12 juil. 2024", "2024-07-12" },
        { "3 févr. 2024", "2024-02-03" },
        { "Dienstag, 5. März 2024, 14:30 Uhr", "2024-03-05T14:30:00" },
        { "5. März 2024 um 10.15 Uhr MEZ", "2024-03-05T10:15:00+01:00" },
        { "martes, 5 de marzo de 2024", "2024-03-05" },
        { "Publicado el 5 de marzo de 2024 a las 10:30", "2024-03-05T10:30:00" },
        { "martedì 5 marzo 2024 alle ore 10:30", "2024-03-05T10:30:00" },
        { "segunda-feira, 4 de março de 2024", "2024-03-04" },
        { "Gepubliceerd op 5 maart 2024 om 10:30", "2024-03-05T10:30:00" },
        { "5 марта 2024 г.", "2024-03-05" },
        { "Опубликовано 5 Марта 2024 года в 10:30", "2024-03-05T10:30:00" },
        { "15 OTTOBRE 2014", "2014-10-15" },
        /* Chinese, Japanese and Korean: year 年 month 月 day 日 */
        { "2024年3月15日", "2024-03-15" },
        { "2024年03月15日 08:30", "2024-03-15T08:30:00" },              /* no zone: none */
        { "2024年03月15日08:30", "2024-03-15T08:30:00" },
        { "2024年3月18日（月）", "2024-03-18" },
        { "2024年3月18日(月) 18時30分 JST", "2024-03-18T18:30:00+09:00" },
        { "2024年3月18日 月曜日", "2024-03-18" },
        { "2024年3月15日 星期五 8点05分", "2024-03-15T08:05:00" },
        { "2024년 3월 15일", "2024-03-15" },
        /* not dates */
        { "31/31/2020", NULL },
        { "2020-13-01", NULL },
        { "Feb 29, 2019", NULL },
        { "April 31, 2020", NULL },
        { "Oct 19, 2014 13:00 PM", NULL },
        { "Oct 19, 2014 25:00", NULL },
        { "3 jui 2024", NULL },                         /* juin or juillet? */
        { "31 mars 2024 et plus", NULL },
        { "October 2014", NULL },
        { "2 hours ago", NULL },
        { "12:00 PM", NULL },
        { "Oct 19, 2014 and more words", NULL },
        { "", NULL },
        { "Smarch 19, 2014", NULL },
        { "1850-01-01", NULL },
        { "2024年2月30日", NULL },
        { "2024年13月1日", NULL },
        { "2024年3月", NULL },
        { "2024年3月15日 月", NULL },                             /* a bare 月 */
        { "2024年3月15日发布", NULL },
    };
    char iso[ARTICLE_ISO_MAX];

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        int rc;

        memset(iso, 'x', sizeof(iso));
        rc = article_parse_date(rows[i].in, iso);
        if (rows[i].iso != NULL) {
            CHECK(rc == 0, "date \"%s\" parses", rows[i].in);
            CHECK_STR_EQ(iso, rows[i].iso, "date \"%s\" as printed", rows[i].in);
        } else {
            CHECK(rc == -1 && iso[0] == '\0', "\"%s\" is not a date", rows[i].in);
        }
    }
}

/* ------------------------------------------------------------------------------------ */

static void
test_markdown(void)
{
    static const char md[] =
        "---\n"
        "title: \"Riverside gets bike lanes\"\n"
        "url: https://news.example.org/2024/03/lanes\n"
        "source: The Riverside Ledger\n"
        "author: Maya Okafor\n"
        "date: \"March 4, 2024 9:30 AM EST\"\n"
        "tags: [transport, cycling]\n"
        "summary: Six kilometres of\n  kerb-separated lanes.\n"
        "image: https://news.example.org/img/a.jpg\n"
        "image_alt: A cyclist\n"
        "layout: post\n"
        "---\n"
        "The council voted **9 to 4** on Monday.\n"
        "\n"
        "## What will be built\n"
        "\n"
        "1. Mill Road\n"
        "2. The harbour front\n"
        "\n"
        "- one\n"
        "- two\n"
        "\n"
        "> A quote\n"
        "\n"
        "<script>alert(1)</script>\n"
        "\n"
        "See the [report](https://council.example.org/r/17), the [map](/maps/m.pdf),\n"
        "<https://example.com/auto> and [bad](javascript:alert(1)) and "
        "[report again](https://council.example.org/r/17).\n";
    struct diag d;
    struct article *a = parse(md, ARTICLE_MARKDOWN, "lanes.md", false, &d);

    CHECK(a != NULL, "Markdown with front matter loads");
    if (a == NULL) {
        diag_print(&d);
        return;
    }
    CHECK(a->format == ARTICLE_MARKDOWN, "format is Markdown");
    CHECK_STR_EQ(a->title, "Riverside gets bike lanes", "front matter title");
    CHECK_STR_EQ(a->url, "https://news.example.org/2024/03/lanes", "front matter url");
    CHECK_STR_EQ(a->source, "The Riverside Ledger", "front matter source");
    CHECK_STR_EQ(a->author, "Maya Okafor", "front matter author");
    CHECK_STR_EQ(a->date, "March 4, 2024 9:30 AM EST", "date as written");
    CHECK_STR_EQ(a->date_iso, "2024-03-04T09:30:00-05:00", "date as printed, with its offset");
    CHECK(a->ntags == 2 && strcmp(a->tags[0], "transport") == 0 &&
        strcmp(a->tags[1], "cycling") == 0, "tags list");
    CHECK_STR_EQ(a->summary, "Six kilometres of kerb-separated lanes.",
        "summary on one line");
    CHECK_STR_EQ(a->image, "https://news.example.org/img/a.jpg", "image");
    CHECK_STR_EQ(a->image_alt, "A cyclist", "image_alt");

    /* HTML */
    CHECK(strstr(a->body_html, "<strong>9 to 4</strong>") != NULL, "HTML has emphasis");
    CHECK(strstr(a->body_html, "<h2>What will be built</h2>") != NULL, "HTML has heading");
    CHECK(strstr(a->body_html, "<script>") == NULL && strstr(a->body_html, "alert(1)") ==
        NULL, "raw HTML and javascript: URLs are not in the HTML");
    CHECK(strstr(a->body_html, "<!-- raw HTML omitted -->") != NULL,
        "cmark replaces raw HTML with a comment");
    CHECK(strstr(a->body_html, "href=\"https://news.example.org/maps/m.pdf\"") != NULL,
        "relative link made absolute against the url");

    /* plain text */
    CHECK(strstr(a->body_text, "What will be built\n------------------") != NULL,
        "text: level-2 heading underlined");
    CHECK(strstr(a->body_text, "1. Mill Road\n2. The harbour front") != NULL,
        "text: ordered list");
    CHECK(strstr(a->body_text, "- one\n- two") != NULL, "text: bullet list with \"- \"");
    CHECK(strstr(a->body_text, "> A quote") != NULL, "text: block quote");
    CHECK(strstr(a->body_text, "The council voted 9 to 4 on Monday.") != NULL,
        "text: emphasis markers dropped");
    CHECK(strstr(a->body_text, "<script>") == NULL && strstr(a->body_text, "alert") == NULL,
        "text: no raw HTML");
    CHECK(strstr(a->body_text, "See the report [1], the map [2], https://example.com/auto "
        "and bad and report again [1].") != NULL, "text: numbered link references");
    CHECK(a->nlinks == 2, "two distinct referable links (autolink and javascript: skipped)");
    if (a->nlinks == 2) {
        CHECK_STR_EQ(a->links[0].url, "https://council.example.org/r/17", "link 1 url");
        CHECK_STR_EQ(a->links[0].text, "report", "link 1 text");
        CHECK_STR_EQ(a->links[1].url, "https://news.example.org/maps/m.pdf",
            "link 2 resolved");
    }
    CHECK(a->nparagraphs == 2 && starts_with(a->paragraphs[0], "The council voted"),
        "top-level paragraphs collected");
    article_free(a);

    /* allow_html passes raw HTML through */
    a = parse("---\ntitle: T\n---\n<b>bold</b> and <script>x()</script>\n", ARTICLE_MARKDOWN,
        "h.md", true, &d);
    CHECK(a != NULL && strstr(a->body_html, "<script>x()</script>") != NULL &&
        strstr(a->body_html, "<b>bold</b>") != NULL, "allow_html keeps raw HTML");
    article_free(a);

    /* no front matter: the first heading is the title and leaves the body */
    a = parse("# Lanes *approved*\n\nText here.\n\n# Second\n", ARTICLE_MARKDOWN, "n.md",
        false, &d);
    CHECK(a != NULL, "Markdown without front matter loads");
    if (a != NULL) {
        CHECK_STR_EQ(a->title, "Lanes approved", "title from the first heading");
        CHECK(strstr(a->body_html, "Lanes") == NULL && strstr(a->body_html, "<h1>Second</h1>")
            != NULL, "the title heading is removed from the body, others stay");
        CHECK(a->source == NULL && a->date == NULL && a->date_iso[0] == '\0' &&
            a->ntags == 0, "absent fields are NULL/empty");
    }
    article_free(a);

    /* a heading with a link makes a clean title; links are numbered in reading order */
    a = parse("# Read [this](https://t.example/)\n\n- item [one](https://one.example/)\n\n"
        "Then [two](https://two.example/).\n", ARTICLE_MARKDOWN, "o.md", false, &d);
    CHECK(a != NULL, "Markdown with links in a heading and a list loads");
    if (a != NULL) {
        CHECK_STR_EQ(a->title, "Read this", "title has no link reference");
        CHECK(a->nlinks == 2 && strcmp(a->links[0].url, "https://one.example/") == 0,
            "the title's link is not a reference; the list's link is [1]");
        CHECK(strstr(a->body_text, "- item one [1]\n\nThen two [2].") != NULL,
            "references numbered in reading order");
        CHECK(a->nparagraphs == 1 && strcmp(a->paragraphs[0], "Then two [2].") == 0,
            "paragraph text carries the same reference numbers");
    }
    article_free(a);

    /* a byte order mark and CRLF line ends */
    a = parse("\xef\xbb\xbf---\r\ntitle: Windows\r\ndate: 2024-01-02\r\n---\r\nBody.\r\n",
        ARTICLE_MARKDOWN, "w.md", false, &d);
    CHECK(a != NULL && strcmp(a->title, "Windows") == 0 && strcmp(a->date_iso, "2024-01-02")
        == 0 && strcmp(a->body_text, "Body.") == 0, "BOM and CRLF front matter");
    article_free(a);

    /* hostile nesting does not blow the stack or the output */
    {
        size_t depth = 20000;
        char *deep = xmalloc(depth * 2 + 64);
        size_t k = 0;

        k += (size_t)snprintf(deep, 64, "# Deep\n\n");
        for (size_t i = 0; i < depth; i++) {
            deep[k++] = '>';
            deep[k++] = ' ';
        }
        memcpy(deep + k, "x\n", 3);
        a = parse(deep, ARTICLE_MARKDOWN, "deep.md", false, &d);
        CHECK(a != NULL && strstr(a->body_text, "x") != NULL &&
            strlen(a->body_text) < 200, "20000 nested quotes render flat, without crashing");
        article_free(a);
        free(deep);
    }
}

/* ------------------------------------------------------------------------------------ */

static void
test_yaml(void)
{
    struct diag d;
    struct article *a;
    struct value *v;

    a = parse("title: Harbour festival\nsource: Coastline Today\n"
        "date: Fri, 12 Jul 2024 18:00:00 +0100\ntags: culture, food\n"
        "body: |\n  Night **market**.\n\n  - boats\n  - bands\n", ARTICLE_YAML, "f.yaml",
        false, &d);
    CHECK(a != NULL, "YAML article with a Markdown body loads");
    if (a != NULL) {
        CHECK(a->format == ARTICLE_YAML, "format is YAML");
        CHECK_STR_EQ(a->date_iso, "2024-07-12T18:00:00+01:00", "YAML date as printed");
        CHECK(a->ntags == 2 && strcmp(a->tags[1], "food") == 0, "comma-separated tags");
        CHECK(strstr(a->body_html, "<strong>market</strong>") != NULL &&
            strstr(a->body_text, "- boats\n- bands") != NULL, "YAML body is Markdown");
    }
    article_free(a);

    a = parse("title: Late trains\nparagraphs:\n  - First <one> & \"more\".\n"
        "  - Second\n    on two lines.\n", ARTICLE_YAML, "p.yaml", false, &d);
    CHECK(a != NULL, "YAML article with paragraphs loads");
    if (a != NULL) {
        CHECK(a->nparagraphs == 2, "two paragraphs");
        CHECK_STR_EQ(a->paragraphs[1], "Second on two lines.", "paragraph folded to a line");
        CHECK_STR_EQ(a->body_html, "<p>First &lt;one&gt; &amp; &quot;more&quot;.</p>\n"
            "<p>Second on two lines.</p>\n", "paragraphs are escaped, not Markdown");
        CHECK_STR_EQ(a->body_text, "First <one> & \"more\".\n\nSecond on two lines.",
            "paragraph text");

        v = article_to_value(a);
        CHECK(v != NULL && v->type == VALUE_MAP, "article_to_value gives a map");
        if (v != NULL) {
            static const char *const keys[] = {
                "title", "url", "source", "author", "date", "date_iso", "summary",
                "body_html", "body_text", "tags", "image", "image_alt", "paragraphs", "links",
            };
            struct value *x;

            for (size_t i = 0; i < ARRAY_LEN(keys); i++)
                CHECK(value_get(v, keys[i]) != NULL, "template data has key %s", keys[i]);
            x = value_get(v, "title");
            CHECK(x != NULL && x->type == VALUE_STR && strcmp(x->str, "Late trains") == 0,
                "template title");
            x = value_get(v, "source");
            CHECK(x != NULL && x->type == VALUE_NULL && !value_is_truthy(x),
                "absent source is null (falsy in a section)");
            x = value_get(v, "paragraphs");
            CHECK(x != NULL && x->type == VALUE_LIST && x->n == 2 &&
                strcmp(x->items[0]->str, "First <one> & \"more\".") == 0,
                "template paragraphs list");
            x = value_get(v, "tags");
            CHECK(x != NULL && x->type == VALUE_LIST && x->n == 0, "empty tags list");
        }
        value_free(v);
    }
    article_free(a);

    a = parse("title: Links\nbody: \"[a](https://a.example/) and [b](https://b.example/)\"\n",
        ARTICLE_YAML, "l.yaml", false, &d);
    v = a != NULL ? article_to_value(a) : NULL;
    if (v != NULL) {
        struct value *l = value_get(v, "links");

        CHECK(l != NULL && l->n == 2 && strcmp(value_get(l->items[1], "url")->str,
            "https://b.example/") == 0 && value_get(l->items[1], "number")->num == 2,
            "template links carry number, url and text");
    } else {
        CHECK(false, "YAML article with links loads");
    }
    value_free(v);
    article_free(a);
}

/* ------------------------------------------------------------------------------------ */

/* Errors: the formatted diag ("name:line:col: message") must start with want. */
static void
test_errors(void)
{
    static const struct {
        enum article_format f;
        const char *name, *text;
        int code;
        const char *want;
    } rows[] = {
        { ARTICLE_MARKDOWN, "a.md", "---\ntitle: T\ndate: \"31/31/2020\"\n---\nx\n", EX_DATAERR,
            "a.md:3:7: date \"31/31/2020\" is not a date; write it as 2020-01-31 or "
            "\"Jan 31, 2020\"" },
        { ARTICLE_MARKDOWN, "b.md", "---\ntitle: T\nauthor: [unclosed\n---\nx\n", EX_DATAERR,
            "b.md:4:1: YAML syntax error" },
        { ARTICLE_MARKDOWN, "c.md", "---\ntitle: T\n\nNo closing fence.\n", EX_DATAERR,
            "c.md:1:1: the front matter opened here with --- is never closed" },
        { ARTICLE_MARKDOWN, "d.md", "---\ntitle: T\nurl: javascript:alert(1)\n---\n",
            EX_DATAERR, "d.md:3:6: url \"javascript:alert(1)\" is not a web address" },
        { ARTICLE_MARKDOWN, "e.md", "---\ntitle: T\nurl: /relative/path\n---\n", EX_DATAERR,
            "e.md:3:6: url \"/relative/path\" is not a web address" },
        { ARTICLE_MARKDOWN, "f.md", "---\nsource: S\n---\nJust text.\n", EX_DATAERR,
            "f.md:1:1: no title" },
        { ARTICLE_MARKDOWN, "g.md", "---\ntitel: T\n---\n", EX_DATAERR,
            "g.md:2:1: unknown key \"titel\"; did you mean \"title\"?" },
        { ARTICLE_MARKDOWN, "h.md", "---\ntitle: T\ntags: {a: 1}\n---\n", EX_DATAERR,
            "h.md:3:7: tags must be text, not a map" },
        { ARTICLE_MARKDOWN, "i.md", "---\ntitle: T\nimage: javascript:x\n---\n", EX_DATAERR,
            "i.md:3:8: image \"javascript:x\" is neither a web address nor a file path" },
        { ARTICLE_MARKDOWN, "j.md", "# Title\n\nGood line\nbad \xff here\n", EX_DATAERR,
            "j.md:4:5: not valid UTF-8" },
        { ARTICLE_MARKDOWN, "k.md", "---\n- a\n- b\n---\n", EX_DATAERR,
            "k.md:2:1: the front matter must be \"key: value\" lines" },
        { ARTICLE_MARKDOWN, "l.md", "---\ntitle: T\nbody: x\n---\n", EX_DATAERR,
            "l.md:3:1: \"body\" does not belong in front matter" },
        { ARTICLE_YAML, "a.yaml", "title: T\nsumary: S\n", EX_DATAERR,
            "a.yaml:2:1: unknown key \"sumary\"; did you mean \"summary\"?" },
        { ARTICLE_YAML, "b.yaml", "title: T\nlayout: post\n", EX_DATAERR,
            "b.yaml:2:1: unknown key \"layout\"; an article has title" },
        { ARTICLE_YAML, "c.yaml", "- just\n- a list\n", EX_DATAERR,
            "c.yaml:1:1: an article file must be \"key: value\" lines" },
        { ARTICLE_YAML, "d.yaml", "title: T\nbody: x\nparagraphs: [a]\n", EX_DATAERR,
            "d.yaml:3:1: give either body or paragraphs, not both" },
        { ARTICLE_YAML, "e.yaml", "title: T\ndate: yesterday\n", EX_DATAERR,
            "e.yaml:2:7: date \"yesterday\" is not a date" },
        { ARTICLE_YAML, "f.yaml", "title: T\nparagraphs: text\n", EX_DATAERR,
            "f.yaml:2:13: paragraphs must be a list of strings" },
        { ARTICLE_YAML, "g.yaml", "paragraphs: [a]\n", EX_DATAERR, "g.yaml:1:1: no title" },
        { ARTICLE_YAML, "h.yaml", "title: [a, b]\n", EX_DATAERR,
            "h.yaml:1:8: title must be text, not a list" },
        { ARTICLE_TEXT, "a.txt", "Menu\nHome\nShare\n", EX_DATAERR,
            "a.txt: no article text found" },
    };
    char out[DIAG_PATH_MAX + DIAG_MSG_MAX + 32];
    struct diag d;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct article *a = parse(rows[i].text, rows[i].f, rows[i].name, false, &d);

        CHECK(a == NULL && d.code == rows[i].code, "%s is refused with exit class %d",
            rows[i].name, rows[i].code);
        diag_format(&d, out, sizeof(out));
        CHECK(starts_with(out, rows[i].want), "%s error message", rows[i].name);
        if (!starts_with(out, rows[i].want))
            printf("#   got:  %s\n#   want: %s...\n", out, rows[i].want);
        article_free(a);
    }

    diag_clear(&d);
    CHECK(article_load("/nonexistent/dir/x.md", NULL, &d) == NULL && d.code == EX_NOINPUT &&
        strcmp(d.path, "/nonexistent/dir/x.md") == 0, "missing file: EX_NOINPUT with path");

    /* first error wins: a diag that is already set keeps its message */
    diag_clear(&d);
    diag_set(&d, EX_CONFIG, "earlier problem");
    {
        struct article_opts o = { false, NULL, 0, NULL };
        const char *t = "---\ntitle: T\ndate: nope\n---\n";

        CHECK(article_parse(t, strlen(t), ARTICLE_MARKDOWN, "z.md", &o, &d) == NULL &&
            d.code == EX_CONFIG && strcmp(d.msg, "earlier problem") == 0,
            "an earlier error is not overwritten");
    }
}

/* ------------------------------------------------------------------------------------ */

/* Is s one of the noise lines recorded by the extractor? */
static bool
in_noise(const struct article *a, const char *s)
{
    for (size_t i = 0; i < a->nnoise; i++)
        if (strcmp(a->noise[i].text, s) == 0)
            return true;
    return false;
}

static void
check_optional(const char *name, const char *key, const char *got, const struct value *want)
{
    if (want->type == VALUE_NULL)
        CHECK(got == NULL || *got == '\0', "%s: no %s (got \"%s\")", name, key,
            got != NULL ? got : "");
    else
        CHECK_STR_EQ(got, want->str, "%s: %s", name, key);
}

/*
 * Check a scraped page against its expected YAML.  Every key of the YAML is checked; an
 * unknown key fails, so no expectation is skipped silently.
 */
static void
check_scraped(const char *txt, const char *yaml, const char *name)
{
    struct diag d = DIAG_INIT;
    struct value *exp = value_load(yaml, &d);
    struct article *a = NULL;

    CHECK(exp != NULL && exp->type == VALUE_MAP, "%s: expected values load", name);
    if (exp == NULL || exp->type != VALUE_MAP) {
        if (exp == NULL)
            diag_print(&d);
        goto out;
    }
    a = article_load(txt, NULL, &d);
    CHECK(a != NULL, "%s: page loads", name);
    if (a == NULL) {
        diag_print(&d);
        goto out;
    }
    CHECK(a->format == ARTICLE_TEXT, "%s: read as scraped text", name);
    for (size_t i = 0; i < exp->n; i++) {
        const char *key = exp->pairs[i].key;
        const struct value *w = exp->pairs[i].val;

        if (strcmp(key, "title") == 0) {
            CHECK_STR_EQ(a->title, w->str, "%s: title", name);
        } else if (strcmp(key, "source") == 0) {
            check_optional(name, key, a->source, w);
        } else if (strcmp(key, "author") == 0) {
            check_optional(name, key, a->author, w);
        } else if (strcmp(key, "date") == 0) {
            check_optional(name, key, a->date, w);
        } else if (strcmp(key, "summary") == 0) {
            check_optional(name, key, a->summary, w);
        } else if (strcmp(key, "date_iso") == 0) {
            CHECK_STR_EQ(a->date_iso, w->str ? w->str : "", "%s: date_iso", name);
        } else if (strcmp(key, "paragraphs") == 0) {
            CHECK(w->type == VALUE_NUM && a->nparagraphs == (size_t)w->num,
                "%s: %g paragraphs (got %zu)", name, w->num, a->nparagraphs);
        } else if (strcmp(key, "first_paragraph_starts") == 0) {
            CHECK(a->nparagraphs > 0 && starts_with(a->paragraphs[0], w->str),
                "%s: first paragraph starts \"%s\"", name, w->str);
        } else if (strcmp(key, "last_paragraph_ends") == 0) {
            CHECK(a->nparagraphs > 0 && ends_with(a->paragraphs[a->nparagraphs - 1], w->str),
                "%s: last paragraph ends \"%s\"", name, w->str);
        } else if (strcmp(key, "noise") == 0) {
            CHECK(w->type == VALUE_LIST && w->n > 0, "%s: noise list given", name);
            for (size_t k = 0; w->type == VALUE_LIST && k < w->n; k++) {
                const char *s = w->items[k]->str;
                /* A short line ("Wildlife") may be a word of the text: then only a whole
                 * paragraph, title or summary equal to it counts as a leak. */
                bool sub = strlen(s) >= 25;
                bool leaked = strcmp(a->title, s) == 0 || (sub && (strstr(a->body_text, s) !=
                    NULL || strstr(a->title, s) != NULL)) || (a->summary != NULL &&
                    (sub ? strstr(a->summary, s) != NULL : strcmp(a->summary, s) == 0));

                for (size_t p = 0; p < a->nparagraphs; p++)
                    leaked |= strcmp(a->paragraphs[p], s) == 0;
                CHECK(!leaked && in_noise(a, s), "%s: noise \"%s\" dropped", name, s);
            }
        } else {
            CHECK(false, "%s: unknown expectation \"%s\"", name, key);
        }
    }
    /* No noise anywhere: the rendered bodies hold the paragraphs and nothing else. */
    {
        size_t total = 0;

        for (size_t p = 0; p < a->nparagraphs; p++)
            total += strlen(a->paragraphs[p]) + (p > 0 ? 2 : 0);
        CHECK(strlen(a->body_text) == total, "%s: body_text is exactly the paragraphs", name);
    }
out:
    article_free(a);
    value_free(exp);
}

static void
test_scraped(void)
{
    static const char *const fixtures[] = {
        "scraped-date-before-title", "scraped-reuters-prefix", "scraped-cookie-banner",
        "scraped-iso-repeated-source", "scraped-no-source-no-date", "scraped-title-pipe",
        "scraped-wrapped-standfirst", "scraped-blog-cp1252-crlf", "scraped-cjk-zh-metro",
        "scraped-cjk-ja-wagashi",
        /* made by hand for the general method: 12 languages, many page shapes */
        "de-byline-zuerst",
        "de-stand-punkte",
        "en-blog-comments",
        "en-byline-first",
        "en-caption-credit",
        "en-duplicate-lede",
        "en-tag-cloud",
        "en-updated-published",
        "en-us-numeric",
        "es-sin-titulo",
        "es-titulo-sitio",
        "fr-date-avant-titre",
        "fr-date-numerique",
        "fr-dateline-afp",
        "it-didascalie",
        "it-senza-data",
        "ja-caption",
        "nl-herhaalde-menu",
        "pl-czytaj-takze",
        "pt-lista",
        "ru-avtor",
        "sv-nyheter",
        "zh-list",
    };
    char txt[1024], yaml[1024];

    snprintf(txt, sizeof(txt), "%s/tests/data/samples/000_d2d1ba047acaeeb0.txt", top_dir());
    snprintf(yaml, sizeof(yaml), "%s/tests/data/samples/000_d2d1ba047acaeeb0.expected.yaml",
        top_dir());
    check_scraped(txt, yaml, "sample 000");
    for (size_t i = 0; i < ARRAY_LEN(fixtures); i++) {
        snprintf(txt, sizeof(txt), "%s/tests/data/articles/%s.txt", top_dir(), fixtures[i]);
        snprintf(yaml, sizeof(yaml), "%s/tests/data/articles/%s.expected.yaml", top_dir(),
            fixtures[i]);
        check_scraped(txt, yaml, fixtures[i]);
    }
}

/* More page shapes, inline: NULL means "not checked", "" means "must be absent". */
static void
test_scraped_inline(void)
{
    static const struct {
        const char *name, *text, *title, *source, *author, *date, *iso;
        size_t paras;
    } rows[] = {
        { "question title, byline with date",
            "Is the four-day week here to stay?\nBy Kim Sato | Oct 19, 2014\n"
            "Companies that tried a shorter week last year mostly kept it, a new survey "
            "suggests, though many changed the details.\nRead more: The firms that said no\n"
            "Managers reported fewer sick days and said hiring had become easier.\n",
            "Is the four-day week here to stay?", "", "Kim Sato", "Oct 19, 2014", "2014-10-19",
            2 },
        { "AP byline and dateline",
            "AP NEWS\nTop Stories\nSenate passes stopgap bill to avert shutdown\n"
            "By JANE DOE Associated Press\nOctober 1, 2023, 1:05 AM\n"
            "WASHINGTON (AP) \xe2\x80\x94 The Senate passed a stopgap spending bill late "
            "Saturday, sending it to the president hours before a midnight deadline.\n"
            "The measure keeps agencies funded for 45 days.\n"
            "Copyright 2023 The Associated Press. All Rights Reserved.\n",
            "Senate passes stopgap bill to avert shutdown", "Associated Press", "JANE DOE",
            "October 1, 2023, 1:05 AM", "2023-10-01T01:05:00", 2 },
        { "headline list before the title",
            "Trending\nCelebrity chef opens third restaurant in the capital\n"
            "Storm warning issued for the west coast tonight\n"
            "Local team wins cup after penalty shoot-out drama\n\n"
            "New ferry timetable cuts crossing time to forty minutes\n\n12 January 2022\n\n"
            "The harbour company will introduce two faster boats from March, cutting the "
            "crossing from an hour to forty minutes.\n",
            "New ferry timetable cuts crossing time to forty minutes", NULL, "",
            "12 January 2022", "2022-01-12", 1 },
        { "relative date, capitals title",
            "MAYOR RESIGNS AFTER EXPENSES INQUIRY\nPublished 3 hours ago\n"
            "The mayor of Northbury resigned on Friday, two days after an inquiry found that "
            "she had claimed expenses for journeys she did not make.\n"
            "A by-election will be held in the spring.\n",
            "MAYOR RESIGNS AFTER EXPENSES INQUIRY", "", "", "3 hours ago", "", 2 },
        { "source label, Latin-1 bytes",
            "Menu\nCaf\xe9 owners protest new terrace rules\nSource: Le Petit Courrier\n"
            "Owners of caf\xe9s in the old town say the new rules on terrace sizes will cost "
            "them a third of their summer tables.\n",
            "Caf\xc3\xa9 owners protest new terrace rules", "Le Petit Courrier", "", "", "", 1 },
        { "Japanese: 。 inside 「」, a date with the weekday",
            "ホーム\n\n駅前に新しい図書館が開館\n\n2024年4月1日（月）\n\n"
            "市立図書館の新館が1日、駅前の再開発ビルに開館し、初日から多くの市民が訪れた。\n\n"
            "館長は「誰もが気軽に立ち寄れる場所にしたい。」\n\n"
            "蔵書は約二十万冊で、これまでの一・五倍に増えた。\n",
            "駅前に新しい図書館が開館", "", "", "2024年4月1日（月）", "2024-04-01", 3 },
        { "Korean: spaces but no capitals, a 출처 label",
            "뉴스 | 정치 | 경제\n로그인\n서울시, 내년부터 심야 버스 노선 두 배로 확대\n"
            "2024년 3월 15일\n출처: 한빛일보\n"
            "서울시는 내년부터 심야 버스 노선을 현재의 두 배인 스무 개로 늘린다고 15일 밝혔다.\n"
            "시 관계자는 늦은 시간에 귀가하는 시민들의 불편을 줄이기 위한 조치라고 설명했다.\n"
            "공유하기\n",
            "서울시, 내년부터 심야 버스 노선 두 배로 확대", "한빛일보", "", "2024년 3월 15일",
            "2024-03-15", 2 },
        { "a CJK label next to the date is not the author (no capitals to tell)",
            "首页\n\n国产大飞机完成首次跨洋试飞\n\n国内新闻\n\n2023年12月1日\n\n"
            "这架飞机今天上午从上海浦东国际机场起飞，经过十一个小时的飞行，顺利降落在大洋彼岸"
            "的机场。\n",
            "国产大飞机完成首次跨洋试飞", "", "", "2023年12月1日", "2023-12-01", 1 },
        { "sentence about a date stays a paragraph",
            "Council meets\n\nThe council will meet again on October 19, 2014.\n\n"
            "Members said the agenda would be published a week before, as the rules of the "
            "council require for every ordinary meeting.\n",
            "Council meets", "", "", "", "", 2 },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d;
        struct article *a = parse(rows[i].text, ARTICLE_TEXT, "inline.txt", false, &d);
        const char *want[] = { rows[i].title, rows[i].source, rows[i].author, rows[i].date,
            rows[i].iso };
        const char *names[] = { "title", "source", "author", "date", "date_iso" };

        CHECK(a != NULL, "%s: loads", rows[i].name);
        if (a == NULL) {
            diag_print(&d);
            continue;
        }
        {
            const char *got[] = { a->title, a->source, a->author, a->date, a->date_iso };

            for (size_t k = 0; k < ARRAY_LEN(want); k++) {
                if (want[k] == NULL)
                    continue;
                if (*want[k] == '\0')
                    CHECK(got[k] == NULL || *got[k] == '\0', "%s: no %s (got \"%s\")",
                        rows[i].name, names[k], got[k] ? got[k] : "");
                else
                    CHECK_STR_EQ(got[k], want[k], "%s: %s", rows[i].name, names[k]);
            }
        }
        CHECK(a->nparagraphs == rows[i].paras, "%s: %zu paragraphs (got %zu)", rows[i].name,
            rows[i].paras, a->nparagraphs);
        article_free(a);
    }
}

/*
 * CJK text has no spaces between words: a run of CJK characters counts as a word per two
 * characters, so short sentences ending in 。！？． (or 。 inside a quote) are paragraphs,
 * a four-character heading is a short line, and hard-wrapped lines join without a space.
 */
static void
test_scraped_cjk(void)
{
    static const char page[] =
        "首页 | 国内 | 国际\n"
        "科技前沿\n"
        "国产大飞机完成首次跨洋试飞\n"
        "2023年12月1日\n"
        "这架飞机今天上午从上海浦东国际机场起飞，经过十一个小时的飞行，顺利降落在\n"
        "大洋彼岸的机场，标志着国产大型客机研制工作迈出了关键一步。\n"
        "分享\n"
        "机组人员说：“飞行非常平稳。”\n"
        "你准备好了吗？\n"
        "这真是令人振奋的消息！\n"
        "明年将开始交付第一批飞机．\n"
        "相关新闻\n"
        "国产客机订单突破千架\n";
    static const char *const paras[] = {
        "这架飞机今天上午从上海浦东国际机场起飞，经过十一个小时的飞行，顺利降落在"
            "大洋彼岸的机场，标志着国产大型客机研制工作迈出了关键一步。",
        "机组人员说：“飞行非常平稳。”",
        "你准备好了吗？",
        "这真是令人振奋的消息！",
        "明年将开始交付第一批飞机．",
    };
    struct diag d;
    struct article *a = parse(page, ARTICLE_TEXT, "cjk.txt", false, &d);

    CHECK(a != NULL, "Chinese page loads");
    if (a == NULL) {
        diag_print(&d);
        return;
    }
    CHECK_STR_EQ(a->title, "国产大飞机完成首次跨洋试飞", "CJK title, not the short heading");
    CHECK_STR_EQ(a->date_iso, "2023-12-01", "CJK date");
    CHECK(a->nparagraphs == ARRAY_LEN(paras), "%zu CJK paragraphs (got %zu)",
        ARRAY_LEN(paras), a->nparagraphs);
    for (size_t i = 0; i < ARRAY_LEN(paras) && i < a->nparagraphs; i++)
        CHECK_STR_EQ(a->paragraphs[i], paras[i], "CJK paragraph %zu", i + 1);
    CHECK(in_noise(a, "科技前沿") && in_noise(a, "分享") && in_noise(a, "相关新闻") &&
        in_noise(a, "国产客机订单突破千架"), "heading, share line and related list are noise");
    article_free(a);
}

/* Issue 14: a pasted page can be corrected: front matter above it wins over extraction,
 * a URL line is the page's address, and the source/date/title it finds are kept where
 * the front matter is silent. */
static void
test_pasted_corrections(void)
{
    static const char page[] =
        "---\n"
        "title: The title I want\n"
        "date: 2024-03-06\n"
        "source: Harbour Weekly\n"
        "---\n"
        "https://news.example.org/ferry-second-boat\n"
        "Menu\n"
        "Ferry to get a second boat\n"
        "5 March 2024\n"
        "By Maria Lopes\n"
        "The harbour ferry will run a second boat from April, halving the wait at the "
        "busiest times of the day, the port authority said.\n"
        "Commuters have asked for a second boat for years, and a petition last autumn "
        "gathered more than four thousand names.\n";
    static const char plain[] =
        "Menu\nFerry to get a second boat\n5 March 2024\nURL: https://news.example.org/f\n"
        "The harbour ferry will run a second boat from April, halving the wait at the "
        "busiest times of the day, the port authority said.\n";
    struct diag d;
    struct article *a = parse(page, ARTICLE_TEXT, "pasted.txt", false, &d);

    CHECK(a != NULL, "a page with front matter loads");
    if (a == NULL) {
        diag_print(&d);
        return;
    }
    CHECK_STR_EQ(a->title, "The title I want", "front matter title wins");
    CHECK_STR_EQ(a->date_iso, "2024-03-06", "front matter date wins");
    CHECK_STR_EQ(a->source, "Harbour Weekly", "front matter source");
    CHECK_STR_EQ(a->author, "Maria Lopes", "the byline is still read");
    CHECK_STR_EQ(a->url, "https://news.example.org/ferry-second-boat", "URL line picked up");
    CHECK(a->from.title != NULL && strcmp(a->from.title, "front matter") == 0,
        "title from front matter");
    CHECK(a->from.url != NULL && strcmp(a->from.url, "text line 6") == 0,
        "url from text line 6 (got %s)", a->from.url ? a->from.url : "NULL");
    CHECK(a->nparagraphs == 2, "two paragraphs (got %zu)", a->nparagraphs);
    CHECK(a->nnoise > 1 && a->noise[1].line == 7 && strcmp(a->noise[1].text, "Menu") == 0,
        "noise lines numbered in the file, after the front matter");
    article_free(a);

    a = parse(plain, ARTICLE_TEXT, "plain.txt", false, &d);
    CHECK(a != NULL && a->url != NULL && strcmp(a->url, "https://news.example.org/f") == 0,
        "a labelled URL line is the address");
    CHECK(a != NULL && strcmp(a->title, "Ferry to get a second boat") == 0,
        "the title is still found");
    article_free(a);

    a = parse("---\ntitle: [broken\n---\nSome text of a page that reads like a sentence.\n",
        ARTICLE_TEXT, "broken.txt", false, &d);
    CHECK(a == NULL && d.code == EX_DATAERR, "broken front matter on a page is an error");
    article_free(a);
}

/* A page with no headline keeps its text, warns and takes the first sentence. */
static void
test_no_title(void)
{
    struct diag d;
    struct article *a = parse("The whole page is one paragraph, with no headline above it at "
        "all, which is odd. It goes on.\n", ARTICLE_TEXT, "b.txt", false, &d);

    CHECK(a != NULL, "a page without a headline loads");
    if (a == NULL)
        return;
    CHECK_STR_EQ(a->title, "The whole page is one paragraph, with no headline above it at "
        "all, which is odd", "the first sentence is the title");
    CHECK(a->nwarnings == 1 && strstr(a->warnings[0], "no headline") != NULL,
        "a warning says so");
    CHECK(a->nparagraphs == 1, "the text is kept");
    article_free(a);
}

/* Paragraphs shared by the page shapes below: running text around the part under test. */
#define P1 "The council approved the new harbour plan on Tuesday after a debate that lasted " \
    "most of the afternoon and drew a large crowd of residents.\n\n"
#define P2 "Work on the northern quay will begin in the spring, and the ferry will keep " \
    "running from the old pier until the new berth is finished next year.\n\n"
#define P3 "Fishermen said they welcomed the plan, although several asked the council to " \
    "keep the fish market where it is rather than move it to the industrial estate.\n\n"
/* Lines of a video player between a header and its text (nine lines). */
#define WIDGETS "Replay\n\nFull Screen\n\nAutoplay\n\nClose\n\nSettings\n\nEmbed\n\n" \
    "Video Quality\n\nCaptions\n\nVolume\n\n"
#define P4 "The mayor said the town would publish the final drawings in March and hold " \
    "two more public meetings before any contract is signed with a builder.\n\n"
#define P5 "Residents who cannot attend the meetings may send their comments by post or " \
    "leave them at the library, where the drawings will be on display all winter.\n\n"

/*
 * Page shapes from sites the fixtures do not cover (issue 11 item 5): what the title must
 * be (NULL: not checked), a line that must be in the body and one that must not be.
 */
static void
test_scraped_shapes(void)
{
    static const struct {
        const char *what, *page, *title, *in, *out;
    } rows[] = {
        { "code between paragraphs stays",
          "Menu\n\nCounting rows without reading the table\n\n" P1
          "SELECT count(*)\nFROM events\nWHERE day = '2024-01-01';\n\n" P2 P3,
          "Counting rows without reading the table", "SELECT count(*)", "Menu" },
        { "list items without a full stop stay",
          "Harbour plan approved after long debate\n\n" P1
          "Moving the ferry berth to the northern quay\n\nBuilding a new fish market hall\n\n"
          P2 P3, "Harbour plan approved after long debate",
          "Building a new fish market hall", NULL },
        { "a paragraph repeated inside the text stays twice",
          "Harbour plan approved after long debate\n\n" P1 P2 P1 P3, NULL,
          "finished next year.\n\nThe council approved", NULL },
        { "an end marker with much more text below is crossed",
          "Harbour plan approved after long debate\n\n" P1 P2 P3 P4 P5 "Comment\n\n" P2 P3
          P4 P5 P2 P3 P4 P5 P2 P3, "Harbour plan approved after long debate",
          "on display all winter.\n\nWork on", NULL },
        { "a long photo caption is dropped and is no headline",
          "Harbour plan approved after long debate\n\n" P1
          "The mayor of the town speaks to residents at the town hall on Tuesday during the "
          "debate on the harbour plan, which lasted most of the afternoon (Jane Roe/AFP/Getty "
          "Images)\n\n" P2 P3, "Harbour plan approved after long debate", "Fishermen said",
          "Jane Roe/AFP" },
        { "a breadcrumb is no headline",
          "Home > News > Local news > Harbour and ferries > Town council > Harbour plan "
          "approved after long debate\n\n"
          "Harbour plan approved after long debate\n\n" P1 P2 P3,
          "Harbour plan approved after long debate", "Fishermen said", NULL },
        { "a tagline above the headline is not the text",
          "Hi, I'm Ann.\n\nI write about towns. I take photos.\n\n"
          "What the harbour plan means for the ferry\n\n" P1 P2 P3 P4,
          "What the harbour plan means for the ferry", "The mayor said", "I take photos" },
        { "the headline above the date block beats the lines below it",
          "These Weeks in the Harbour: Issue 85\n\nAnn Lee\nDecember 18, 2020\n\n"
          "2 responses\n\nHighlights\n\nOur best pictures of the month\n\n"
          "Our best stories of the month\n\nOur best letters of the month\n\n"
          "Our best recipes of the month\n\nOur week in pictures\n\n" P1 P2 P3,
          "These Weeks in the Harbour: Issue 85", "Fishermen said", NULL },
        { "a page that is a list has an article",
          "Harbour Notes\n\nRelease 1.8 of the harbour app\n\n"
          "+ Added the ferry timetable for the winter season\n+ Added tides\n"
          "+ Added a map of the new quay with the berths numbered\n+ Added fish prices\n"
          "+ The market page now shows which stalls are open today\n+ Fixed the menu\n"
          "+ Alerts now arrive when a ferry is late by more than ten minutes\n",
          "Release 1.8 of the harbour app", "+ Added tides", NULL },
        { "headlines cut short above the text are teasers, not the text",
          "Menu\n\n23 things everyone who has worked in a harbour\xe2\x80\xa6\n\n"
          "19 things all people who have ever lived by the sea\xe2\x80\xa6\n\n"
          "These women post proud photos of their\xe2\x80\xa6\n\n"
          "Harbour plan approved after long debate\n\n" P1 P2 P3,
          "Harbour plan approved after long debate", "Fishermen said", "23 things" },
        { "a table of one cell per line stays",
          "Harbour plan approved after long debate\n\n" P1
          "Berth\nOpens\nNorth 1\nApril 2025\nNorth 2\nMay 2025\nNorth 3\nJune 2025\n"
          "South 1\nMarch 2026\n\n" P2 P3, "Harbour plan approved after long debate",
          "South 1", NULL },
        { "a related-stories label in CJK brackets ends the text",
          "\xe6\xb8\xaf\xe3\x81\xae\xe6\x96\xb0\xe3\x81\x97\xe3\x81\x84\xe8\xa8\x88"
          "\xe7\x94\xbb\xe3\x81\x8c\xe6\x89\xbf\xe8\xaa\x8d\xe3\x81\x95\xe3\x82\x8c"
          "\xe3\x81\x9f\n\n"
          "\xe5\xb8\x82\xe8\xad\xb0\xe4\xbc\x9a\xe3\x81\xaf\xe7\x81\xab\xe6\x9b\x9c"
          "\xe6\x97\xa5\xe3\x80\x81\xe9\x95\xb7\xe3\x81\x84\xe8\xad\xb0\xe8\xab\x96"
          "\xe3\x81\xae\xe6\x9c\xab\xe3\x81\xab\xe6\xb8\xaf\xe3\x81\xae\xe6\x96\xb0"
          "\xe3\x81\x97\xe3\x81\x84\xe6\x95\xb4\xe5\x82\x99\xe8\xa8\x88\xe7\x94\xbb"
          "\xe3\x82\x92\xe6\x89\xbf\xe8\xaa\x8d\xe3\x81\x97\xe3\x80\x81\xe5\xa4\x9a"
          "\xe3\x81\x8f\xe3\x81\xae\xe4\xbd\x8f\xe6\xb0\x91\xe3\x81\x8c\xe5\x82\x8d"
          "\xe8\x81\xb4\xe3\x81\xab\xe8\xa8\xaa\xe3\x82\x8c\xe3\x81\x9f\xe3\x80\x82"
          "\n\n"
          "\xe5\x8c\x97\xe5\x81\xb4\xe3\x81\xae\xe5\xb2\xb8\xe5\xa3\x81\xe3\x81\xae"
          "\xe5\xb7\xa5\xe4\xba\x8b\xe3\x81\xaf\xe6\x98\xa5\xe3\x81\xab\xe5\xa7\x8b"
          "\xe3\x81\xbe\xe3\x82\x8a\xe3\x80\x81\xe6\x96\xb0\xe3\x81\x97\xe3\x81\x84"
          "\xe6\xa1\x9f\xe6\xa9\x8b\xe3\x81\x8c\xe5\xae\x8c\xe6\x88\x90\xe3\x81\x99"
          "\xe3\x82\x8b\xe3\x81\xbe\xe3\x81\xa7\xe3\x83\x95\xe3\x82\xa7\xe3\x83\xaa"
          "\xe3\x83\xbc\xe3\x81\xaf\xe5\x8f\xa4\xe3\x81\x84\xe6\xa1\x9f\xe6\xa9\x8b"
          "\xe3\x81\x8b\xe3\x82\x89\xe9\x81\x8b\xe8\x88\xaa\xe3\x82\x92\xe7\xb6\x9a"
          "\xe3\x81\x91\xe3\x82\x8b\xe3\x80\x82\n\n"
          "\xe6\xbc\x81\xe6\xa5\xad\xe8\x80\x85\xe3\x81\xaf\xe8\xa8\x88\xe7\x94\xbb"
          "\xe3\x82\x92\xe6\xad\x93\xe8\xbf\x8e\xe3\x81\x97\xe3\x81\x9f\xe3\x81\x8c"
          "\xe3\x80\x81\xe9\xad\x9a\xe5\xb8\x82\xe5\xa0\xb4\xe3\x82\x92\xe5\xb7\xa5"
          "\xe6\xa5\xad\xe5\x9b\xa3\xe5\x9c\xb0\xe3\x81\xab\xe7\xa7\xbb\xe3\x81\x95"
          "\xe3\x81\x9a\xe7\x8f\xbe\xe5\x9c\xa8\xe3\x81\xae\xe5\xa0\xb4\xe6\x89\x80"
          "\xe3\x81\xab\xe6\xae\x8b\xe3\x81\x99\xe3\x82\x88\xe3\x81\x86\xe5\xb8\x82"
          "\xe3\x81\xab\xe6\xb1\x82\xe3\x82\x81\xe3\x82\x8b\xe5\xa3\xb0\xe3\x82\x82"
          "\xe5\xa4\x9a\xe3\x81\x8b\xe3\x81\xa3\xe3\x81\x9f\xe3\x80\x82\n\n"
          "\xe3\x80\x90\xe9\x96\xa2\xe9\x80\xa3\xe8\xa8\x98\xe4\xba\x8b\xe3\x80\x91"
          "\n\n"
          "\xe9\x9a\xa3\xe3\x81\xae\xe7\x94\xba\xe3\x81\xa7\xe3\x82\x82\xe6\x96\xb0"
          "\xe3\x81\x97\xe3\x81\x84\xe3\x83\x95\xe3\x82\xa7\xe3\x83\xaa\xe3\x83\xbc"
          "\xe4\xb9\x97\xe3\x82\x8a\xe5\xa0\xb4\xe3\x81\xae\xe5\xbb\xba\xe8\xa8\xad"
          "\xe8\xa8\x88\xe7\x94\xbb\xe3\x81\x8c\xe4\xbd\x8f\xe6\xb0\x91\xe8\xaa\xac"
          "\xe6\x98\x8e\xe4\xbc\x9a\xe3\x81\xa7\xe7\x99\xba\xe8\xa1\xa8\xe3\x81\x95"
          "\xe3\x82\x8c\xe3\x81\x9f\xe3\x80\x82\n\n"
          "\xe6\xbc\x81\xe6\xa5\xad\xe7\xb5\x84\xe5\x90\x88\xe3\x81\x8c\xe9\xad\x9a"
          "\xe5\xb8\x82\xe5\xa0\xb4\xe3\x81\xae\xe7\xa7\xbb\xe8\xbb\xa2\xe3\x81\xab"
          "\xe5\x8f\x8d\xe5\xaf\xbe\xe3\x81\x99\xe3\x82\x8b\xe7\xbd\xb2\xe5\x90\x8d"
          "\xe3\x82\x92\xe9\x9b\x86\xe3\x82\x81\xe3\x81\xa6\xe5\xb8\x82\xe9\x95\xb7"
          "\xe3\x81\xab\xe6\x8f\x90\xe5\x87\xba\xe3\x81\x97\xe3\x81\x9f\xe3\x80\x82"
          "\n\n\n",
          NULL, "\xe6\xbc\x81\xe6\xa5\xad\xe8\x80\x85", "\xe9\x9a\xa3\xe3\x81\xae" },
        { "a shell prompt between paragraphs is code and stays",
          "Cloning the harbour records\n\n" P1 "$ hg clone harbour records\n\n" P2 P3,
          "Cloning the harbour records", "$ hg clone harbour records", NULL },
        { "an aside in brackets is text, a credit in brackets is not",
          "Harbour plan approved after long debate\n\n" P1
          "(The council will vote again on the fish market, which the plan leaves out.)\n\n"
          P2 P3 "(Reporting by Ann Lee; Editing by Jo Park)\n", NULL,
          "(The council will vote again", "Reporting by" },
        { "a feedback widget is no headline",
          "Menu\n\nHow to Build a Harbour Model\n\n12 people found this helpful\n\n"
          "Was This Article Helpful?\n\n" P1 P2 P3, "How to Build a Harbour Model",
          "Fishermen said", NULL },
        { "a page of short lines keeps them", "abc\n\ndef ghi\n", NULL, "def ghi", NULL },
        { "a headline over its dated byline counts from far above the text",
          "Harbour plan approved after long debate\n\nBy Ann Lee, May 5, 2024\n\n"
          WIDGETS WIDGETS WIDGETS WIDGETS WIDGETS P1 P2 P3,
          "Harbour plan approved after long debate", "Fishermen said", NULL },
        { "a standfirst between the headline and the date takes no byline bonus",
          "Harbour plan approved after long debate\n\n"
          "The council said yes to the new quay and to the fish market hall.\n\n"
          "May 5, 2024\n\n" P1 P2 P3,
          "Harbour plan approved after long debate", "Fishermen said", NULL },
        { "other stories with their dates far above the text are no headline",
          "Ferry timetable changes for the winter season\nMay 4, 2024\n\n"
          "New fish market hall opens its doors on Monday\nMay 3, 2024\n\n"
          WIDGETS WIDGETS WIDGETS WIDGETS WIDGETS P1 P2 P3,
          "The council approved the new harbour plan on Tuesday after a debate that lasted "
          "most of the afternoon and drew a large crowd of residents", "Fishermen said", NULL },
        { "the line over the byline beats a teaser under it",
          "Harbour plan approved after long debate\n\nBy Ann Lee, May 5, 2024\n\nReplay\n\n"
          "Fishermen and the mayor on the new harbour plan\n\n" P1 P2 P3,
          "Harbour plan approved after long debate", "Fishermen said", NULL },
        { "a caption that says where people stand is no headline",
          "Harbour plan approved\n\n"
          "Ann Lee (left) and the mayor look at the new harbour plan on Tuesday\n\n"
          P1 P2 P3, "Harbour plan approved", "Fishermen said", NULL },
        { "a video player's next clip is no headline",
          "Harbour plan approved after long debate\n\nReplay\n\n"
          "Up next Fishermen welcome the harbour plan on Tuesday\n\n" P1 P2 P3,
          "Harbour plan approved after long debate", "Fishermen said", NULL },
        { "a line of two sentences is no headline",
          "Harbour plan approved after long debate\n\n"
          "The council approved the harbour plan. Fishermen are happy\n\n" P1 P2 P3,
          "Harbour plan approved after long debate", "Fishermen said", NULL },
        { "a headline shown again without its kicker is the full one",
          "Menu\n\nHarbour vote: The plan is approved after a long debate\n\n"
          "Share\n\nThe plan is approved after a long debate\n\n" P1 P2 P3,
          "Harbour vote: The plan is approved after a long debate", "Fishermen said", NULL },
        { "the text's first words name its subject",
          "Harbour Town\n\nFrom the town wiki, the free guide\n\nContents\n\n"
          "Harbour Town (officially Porthaven) is a fishing town on the north coast, with a "
          "ferry to the islands and a fish market that is older than the town hall.\n\n"
          P2 P3, "Harbour Town", "Fishermen said", NULL },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d;
        struct article *a = parse(rows[i].page, ARTICLE_TEXT, "shape.txt", false, &d);

        CHECK(a != NULL, "%s: the page loads", rows[i].what);
        if (a == NULL)
            continue;
        if (rows[i].title != NULL)
            CHECK(a->title != NULL && strcmp(a->title, rows[i].title) == 0,
                "%s: title \"%s\" (got \"%s\")", rows[i].what, rows[i].title,
                a->title ? a->title : "(none)");
        CHECK(strstr(a->body_text, rows[i].in) != NULL, "%s: the body has \"%.*s\"",
            rows[i].what, (int)strcspn(rows[i].in, "\n"), rows[i].in);
        if (rows[i].out != NULL)
            CHECK(strstr(a->body_text, rows[i].out) == NULL, "%s: the body lacks \"%s\"",
                rows[i].what, rows[i].out);
        article_free(a);
    }
}

/* A dated byline right above the text wins over a relative date under a headline that the
 * page put far above it, past a menu. */
static void
test_scraped_date_near_text(void)
{
    struct diag d;
    struct article *a = parse("Harbour plan approved after long debate\n\nAnn Lee\nAn hour ago\n\n"
        "Ferries\n\nFishing\n\nWeather\n\nTides\n\nBoats\n\nMarkets\n\nEvents\n\nSports\n\n"
        "Schools\n\nRoads\n\nPolice\n\nCourts\n\nJobs\n\nHomes\n\n"
        "Jane Roe\n9/11/13 10:00AM\n\n" P1 P2 P3, ARTICLE_TEXT, "near.txt", false, &d);

    CHECK(a != NULL, "a page with two dates loads");
    if (a == NULL)
        return;
    CHECK(a->date_iso[0] != '\0' && strncmp(a->date_iso, "2013-09-11", 10) == 0,
        "the date right above the text is the date (got \"%s\")", a->date_iso);
    article_free(a);
}

/* A dated byline with a handle after the name, or a publication or a reading time after
 * the date. */
static void
test_scraped_bylines(void)
{
    static const struct { const char *line, *author, *day; } rows[] = {
        { "By Ann Lee @annlee May 5, 2024", "Ann Lee", "2024-05-05" },
        { "By ANN LEE May 5, 2024 3:46 PM Harbour Weekly News", "ANN LEE", "2024-05-05" },
        /* a reading time after the date */
        { "Oct 15, 2015 \xc2\xb7 18 min read", NULL, "2015-10-15" },
        { "15 octobre 2015 \xc2\xb7 6 min de lecture", NULL, "2015-10-15" },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        char page[1024];
        struct diag d;
        struct article *a;

        snprintf(page, sizeof(page), "Harbour plan approved after long debate\n\n%s\n\n"
            P1 P2 P3, rows[i].line);
        a = parse(page, ARTICLE_TEXT, "byline.txt", false, &d);
        CHECK(a != NULL, "%s: the page loads", rows[i].line);
        if (a == NULL)
            continue;
        if (rows[i].author != NULL)
            CHECK(a->author != NULL && strcmp(a->author, rows[i].author) == 0,
                "%s: author \"%s\" (got \"%s\")", rows[i].line, rows[i].author,
                a->author ? a->author : "(none)");
        CHECK(strncmp(a->date_iso, rows[i].day, 10) == 0, "%s: date %s (got \"%s\")",
            rows[i].line, rows[i].day, a->date_iso);
        article_free(a);
    }
}

/* A last paragraph that reads like an author's bio goes, by the bio lexicon the HTML
 * reader shares, even when no byline named the author (French and German pages). */
static void
test_scraped_bio(void)
{
    static const struct { const char *page, *bio; } rows[] = {
        { "Le bac du port aura un second bateau\n\n"
          "Le bac du port circulera avec un second bateau \xc3\xa0 partir d'avril, ce qui "
          "divise par deux l'attente aux heures de pointe, a indiqu\xc3\xa9 le port mardi.\n\n"
          "Les usagers r\xc3\xa9" "clamaient un second bateau depuis des ann\xc3\xa9" "es, et "
          "une p\xc3\xa9tition a r\xc3\xa9uni plus de quatre mille noms l'automne dernier.\n\n"
          "Marie Dupont est journaliste au service \xc3\xa9" "conomie.\n", "Marie Dupont" },
        { "Die Hafenf\xc3\xa4hre bekommt ein zweites Boot\n\n"
          "Die Hafenf\xc3\xa4hre f\xc3\xa4hrt ab April mit einem zweiten Boot, und die "
          "Wartezeit zu den Sto\xc3\x9f" "zeiten halbiert sich, sagte die Hafenbeh\xc3\xb6rde am "
          "Dienstag.\n\n"
          "Pendler hatten seit Jahren ein zweites Boot gefordert, und eine Petition im letzten "
          "Herbst sammelte mehr als viertausend Namen.\n\n"
          "Hans M\xc3\xbcller ist Redakteur im Ressort Wirtschaft und schreibt seit 2015 "
          "\xc3\xbc" "ber den Verkehr, die H\xc3\xa4" "fen und die Schifffahrt in der Region.\n",
          "Hans M" },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d;
        struct article *a = parse(rows[i].page, ARTICLE_TEXT, "bio.txt", false, &d);
        bool dropped = false;

        CHECK(a != NULL, "page %zu with a bio at the end loads", i);
        if (a == NULL)
            continue;
        CHECK(strstr(a->body_text, rows[i].bio) == NULL, "page %zu: the bio is not in the body",
            i);
        for (size_t k = 0; k < a->nnoise; k++)
            dropped |= strstr(a->noise[k].text, rows[i].bio) != NULL &&
                strcmp(a->noise[k].why, "author bio") == 0;
        CHECK(dropped, "page %zu: it is dropped as an author bio", i);
        CHECK(a->nparagraphs == 2, "page %zu: the text stays (%zu paragraphs)", i,
            a->nparagraphs);
        article_free(a);
    }
}

static int
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Issue 14: an issue entry with path: corrects title, url, date, source, author;
 * issue 11: a url: entry reads the article fetched before (no network here). */
static void
test_issue_overrides(void)
{
    char dir[] = "/tmp/gazette-issue-XXXXXX", p[600], q[600];
    struct diag d = DIAG_INIT;
    struct issue *is;
    struct issue_select sel = { .limit = 0 };

    if (mkdtemp(dir) == NULL) {
        CHECK(false, "temporary folder");
        return;
    }
    snprintf(p, sizeof(p), "%s/a.md", dir);
    write_file(p, "---\ntitle: Old title\ndate: 2024-01-01\n---\nBody text.\n");
    snprintf(q, sizeof(q), "%s/2024-02-02-fetched.md", dir);
    write_file(q, "---\ntitle: Fetched before\nurl: \"https://news.example.org/x\"\n---\n"
        "Saved text.\n");
    snprintf(p, sizeof(p), "%s/issue.yaml", dir);
    write_file(p, "articles:\n"
        "  - path: a.md\n    title: New title\n    date: 2024-03-05\n"
        "    source: The Courier\n    author: Ana Ruiz\n    url: https://example.org/a\n"
        "    summary: Short.\n"
        "  - url: https://news.example.org/x\n"
        "  - https://news.example.org/x\n");
    sel.articles_dir = dir;
    is = issue_load(p, NULL, &sel, &d);
    CHECK(is != NULL && is->n == 3, "issue with overrides and url entries loads");
    if (is == NULL)
        diag_print(&d);
    if (is != NULL && is->n == 3) {
        const struct article *a = is->articles[0];

        CHECK_STR_EQ(a->title, "New title", "title corrected");
        CHECK_STR_EQ(a->date_iso, "2024-03-05", "date corrected");
        CHECK_STR_EQ(a->source, "The Courier", "source corrected");
        CHECK_STR_EQ(a->author, "Ana Ruiz", "author corrected");
        CHECK_STR_EQ(a->url, "https://example.org/a", "url corrected");
        CHECK(a->from.title != NULL && strcmp(a->from.title, "issue file") == 0,
            "title from the issue file");
        CHECK_STR_EQ(is->articles[1]->title, "Fetched before", "url: entry reads the saved file");
        CHECK_STR_EQ(is->articles[2]->title, "Fetched before", "a bare URL entry too");
    }
    issue_free(is);
    write_file(p, "articles:\n  - path: a.md\n    titel: Typo\n");
    diag_clear(&d);
    is = issue_load(p, NULL, &sel, &d);
    CHECK(is == NULL && d.code == EX_DATAERR && d.line == 3, "unknown key beside path: is an "
        "error at its line");
    issue_free(is);
    unlink(q);
    snprintf(q, sizeof(q), "%s/a.md", dir);
    unlink(q);
    unlink(p);
    rmdir(dir);
}

/* A fetched HTML page saved as Markdown keeps its structure, and reads back the same:
 * headings, lists, links, emphasis, quotes, code; Markdown characters in the text are
 * escaped so they stay text. */
static void
test_save_markdown(void)
{
    static const char page[] =
        "<html><body><article><h1>Title here</h1><p>First para with a <a "
        "href=\"https://example.org/x?a=1&amp;b=2\">link [1]</a> and *stars* long enough "
        "to count.</p><h2>A subheading</h2><ul><li>one item</li><li>two <strong>bold"
        "</strong></li></ul><blockquote><p>A quote that someone said in the article text "
        "here.</p></blockquote><p>2024. A year in review, with enough words to be a "
        "paragraph of text.</p><pre>code  line\n  indented</pre><p>Last paragraph of the "
        "article with plenty of words in it too.</p></article></body></html>";
    char dir[] = "/tmp/gazette-save-XXXXXX";
    struct diag d = DIAG_INIT;
    struct article *a, *b = NULL;
    char *path = NULL, *text = NULL;
    size_t len;

    if (mkdtemp(dir) == NULL) {
        CHECK(false, "temporary folder");
        return;
    }
    a = article_parse(page, sizeof(page) - 1, ARTICLE_HTML, "https://example.org/p", NULL,
        &d);
    CHECK(a != NULL, "the page reads");
    if (a == NULL) {
        diag_print(&d);
        goto out;
    }
    path = article_save_markdown(a, dir, "2024-03-05T10:00:00Z", &d);
    CHECK(path != NULL && strstr(path, "/2024-03-05-title-here.md") != NULL,
        "saved as DAY-title.md (%s)", path ? path : d.msg);
    if (path == NULL || (text = read_file(path, &len)) == NULL)
        goto out;
    CHECK(strstr(text, "[link \\[1\\]](https://example.org/x?a=1&b=2)") != NULL,
        "a link with its URL, brackets escaped");
    CHECK(strstr(text, "\\*stars\\*") != NULL, "stars stay text");
    CHECK(strstr(text, "\n## A subheading\n") != NULL, "a heading");
    CHECK(strstr(text, "\n- one item\n- two **bold**\n") != NULL, "a list with emphasis");
    CHECK(strstr(text, "\n> A quote that someone said") != NULL, "a quote");
    CHECK(strstr(text, "\n2024\\. A year") != NULL, "a number that would start a list");
    CHECK(strstr(text, "```\ncode  line\n  indented\n```") != NULL, "code kept as it is");
    b = article_load(path, NULL, &d);
    CHECK(b != NULL && strcmp(b->title, "Title here") == 0 && b->nlinks == 1 &&
        strcmp(b->links[0].url, "https://example.org/x?a=1&b=2") == 0,
        "the saved article reads back with its link");
    CHECK(b != NULL && strstr(b->body_text, "*stars*") != NULL &&
        strstr(b->body_text, "2024. A year") != NULL, "the text reads back the same");
    if (text != NULL && (b == NULL || b->nlinks != 1 || strstr(text, "- one item") == NULL ||
        strstr(text, "\n- one item\n- two **bold**\n") == NULL))
        fprintf(stderr, "# saved:\n%s\n", text);
out:
    article_free(a);
    article_free(b);
    if (path != NULL)
        unlink(path);
    free(path);
    free(text);
    rmdir(dir);
}

/* User drop patterns: a substring and a glob, on the shared sample. */
static void
test_drop_patterns(void)
{
    static const char *const pats[] = { "revelations exposed", "kerry and * talks." };
    struct article_opts o = { false, pats, ARRAY_LEN(pats), NULL };
    struct diag d = DIAG_INIT;
    char path[1024];
    struct article *a;
    size_t user = 0;

    snprintf(path, sizeof(path), "%s/tests/data/samples/000_d2d1ba047acaeeb0.txt", top_dir());
    a = article_load(path, &o, &d);
    CHECK(a != NULL, "sample loads with drop patterns");
    if (a == NULL)
        return;
    CHECK(a->nparagraphs == 10, "two paragraphs dropped by user patterns (got %zu)",
        a->nparagraphs);
    for (size_t i = 0; i < a->nnoise; i++)
        if (strcmp(a->noise[i].why, "user pattern") == 0)
            user++;
    CHECK(user == 2, "both are recorded as user-pattern noise");
    CHECK(strstr(a->body_text, "hypocrisy") == NULL && strstr(a->body_text, "Boston") == NULL,
        "dropped paragraphs are not in the text");
    article_free(a);
}

/* The examples shipped for users all load, in their detected formats. */
static void
test_examples(void)
{
    static const struct { const char *file; enum article_format f; } ex[] = {
        { "city-bike-lanes.md", ARTICLE_MARKDOWN }, { "library-reopens.md", ARTICLE_MARKDOWN },
        { "harbour-festival.yaml", ARTICLE_YAML }, { "rail-timetable.yaml", ARTICLE_YAML },
        { "council-budget.txt", ARTICLE_TEXT }, { "observatory-comet.txt", ARTICLE_TEXT },
    };
    char path[1024];

    for (size_t i = 0; i < ARRAY_LEN(ex); i++) {
        struct diag d = DIAG_INIT;
        struct article *a;

        snprintf(path, sizeof(path), "%s/examples/articles/%s", top_dir(), ex[i].file);
        a = article_load(path, NULL, &d);
        CHECK(a != NULL && a->format == ex[i].f && a->title != NULL && a->date_iso[0] != '\0'
            && a->body_text[0] != '\0', "example %s loads", ex[i].file);
        if (a == NULL)
            diag_print(&d);
        article_free(a);
    }
}

/* Without a known extension the content decides. */
static void
test_detect(void)
{
    static const struct { const char *text; enum article_format f; } rows[] = {
        { "---\ntitle: Front matter\n---\nBody.\n", ARTICLE_MARKDOWN },
        { "# A heading\n\nBody.\n", ARTICLE_MARKDOWN },
        { "Menu\n\nA headline here\n\nThe only paragraph of the page, which ends with a "
            "full stop like prose does.\n", ARTICLE_TEXT },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        char path[] = "/tmp/gazette-article-XXXXXX";
        int fd = mkstemp(path);
        struct diag d = DIAG_INIT;
        struct article *a = NULL;

        if (fd == -1 || write(fd, rows[i].text, strlen(rows[i].text)) == -1) {
            CHECK(false, "temporary file for detection row %zu", i);
        } else {
            a = article_load(path, NULL, &d);
            CHECK(a != NULL && a->format == rows[i].f, "format detected from content, row %zu",
                i);
        }
        if (fd != -1) {
            close(fd);
            unlink(path);
        }
        article_free(a);
    }
}

int
main(void)
{
    test_dates();
    test_markdown();
    test_yaml();
    test_errors();
    test_scraped();
    test_scraped_inline();
    test_scraped_cjk();
    test_pasted_corrections();
    test_no_title();
    test_scraped_bio();
    test_scraped_shapes();
    test_scraped_date_near_text();
    test_scraped_bylines();
    test_issue_overrides();
    test_save_markdown();
    test_drop_patterns();
    test_examples();
    test_detect();
    return check_exit();
}
