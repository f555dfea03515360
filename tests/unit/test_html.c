/*
 * The HTML reader (src/article/html.c, meta.c): metadata with origins, tolerant JSON-LD,
 * charsets, link resolution, the safe output subset, and hostile pages (20 MB, nested
 * 100,000 deep, invalid UTF-8, entity bombs) that must give a result or a clear error.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/article/html.h"
#include "article.h"
#include "buf.h"
#include "check.h"
#include "diag.h"
#include "util.h"

static const char para[] = "<p>The council met on Tuesday to discuss the new budget, which "
    "includes money for parks, schools and roads, and it was approved after a long debate "
    "that went on, as these things do, well into the evening.</p>\n";

static struct article *
page(const char *html, struct diag *d)
{
    return article_parse(html, strlen(html), ARTICLE_HTML, "page.html", NULL, d);
}

static char *
body_page(const char *head, const char *body)
{
    struct buf b;
    char *s;

    buf_init(&b, BUF_MAX_DEFAULT);
    buf_putf(&b, "<!DOCTYPE html><html lang=\"en\"><head>%s</head><body>%s", head, body);
    for (int i = 0; i < 4; i++)
        buf_puts(&b, para);
    buf_puts(&b, "</body></html>");
    s = buf_steal(&b);
    buf_fini(&b);
    return s;
}

static void
test_metadata(void)
{
    struct diag d = DIAG_INIT;
    /* JSON-LD as sites write it: a raw newline in a string, trailing commas, @graph */
    char *html = body_page(
        "<title>Budget approved | The Daily Example</title>"
        "<meta property=\"og:title\" content=\"Budget approved after long debate\">"
        "<meta property=\"og:site_name\" content=\"The Daily Example\">"
        "<meta name=\"description\" content=\"Parks &amp;amp; schools win.\">"
        "<meta property=\"og:image\" content=\"/img/lead.jpg\">"
        "<meta property=\"og:image:width\" content=\"1200\">"
        "<meta property=\"og:image:height\" content=\"630\">"
        "<link rel=\"canonical\" href=\"https://news.example.org/2024/budget\">"
        "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\","
        "\"@graph\":[{\"@type\":\"WebSite\",\"name\":\"x\"},{\"@type\":\"NewsArticle\","
        "\"headline\":\"Council approves\nthe budget\",\"datePublished\":"
        "\"2024-03-15T09:30:00+01:00\",\"author\":[{\"@type\":\"Person\",\"name\":\"Ann Lee\"},"
        "{\"name\":\"Bo Chen\"},],},]}</script>",
        "<nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav>"
        "<h1>Council approves the budget</h1>");
    struct article *a = page(html, &d);

    CHECK(a != NULL, "a page with tolerant JSON-LD is read");
    if (a != NULL) {
        CHECK_STR_EQ(a->title, "Council approves the budget", "title from JSON-LD headline");
        CHECK_STR_EQ(a->from.title, "JSON-LD", "title origin");
        CHECK_STR_EQ(a->author, "Ann Lee, Bo Chen", "authors joined");
        CHECK_STR_EQ(a->date_iso, "2024-03-15T09:30:00+01:00", "date from JSON-LD, as printed");
        CHECK_STR_EQ(a->source, "The Daily Example", "site from og:site_name");
        CHECK_STR_EQ(a->from.source, "OpenGraph", "site origin");
        CHECK_STR_EQ(a->summary, "Parks & schools win.", "summary, double escaping undone");
        CHECK_STR_EQ(a->language, "en", "language from <html lang>");
        CHECK_STR_EQ(a->url, "https://news.example.org/2024/budget", "canonical URL");
        CHECK_STR_EQ(a->image, "https://news.example.org/img/lead.jpg",
            "lead image resolved against the canonical URL");
        CHECK(a->image_width == 1200 && a->image_height == 630, "its size from og:image:*");
        CHECK(strstr(a->body_text, "Home") == NULL, "the menu is not in the body");
        CHECK(a->nparagraphs == 4, "four paragraphs (%zu)", a->nparagraphs);
    }
    article_free(a);
    free(html);
}

static void
test_fallbacks(void)
{
    struct diag d = DIAG_INIT;
    char *html = body_page("<title>A plain page about parks - Town Hall News</title>",
        "<div class=\"byline\">By Maria Gomez</div><time datetime=\"2023-07-01\">July 1</time>");
    struct article *a = page(html, &d);

    CHECK(a != NULL, "a page with only <title> is read");
    if (a != NULL) {
        CHECK_STR_EQ(a->title, "A plain page about parks", "title without the site suffix");
        CHECK_STR_EQ(a->source, "Town Hall News", "source from the <title> suffix");
        CHECK_STR_EQ(a->author, "Maria Gomez", "author from a byline element");
        CHECK_STR_EQ(a->date_iso, "2023-07-01", "date from <time datetime>");
        CHECK(strncmp(a->summary, "The council met", 15) == 0, "summary: the first paragraph");
    }
    article_free(a);
    free(html);
}

static void
test_text_date(void)
{
    struct diag d = DIAG_INIT;
    char *html = body_page("<title>A page that prints its date only as text</title>",
        "<span class=\"post-date\">Sunday 3 March 2024</span><h1>A page that prints its "
        "date only as text</h1><div class=\"meta-date\">Published: 4 May 2015 10:30 BST</div>"
        "<p class=\"dateline\">not a date at all, just words</p>");
    struct article *a = page(html, &d);

    CHECK(a != NULL, "a page with a date in text");
    if (a != NULL) {
        CHECK_STR_EQ(a->date_iso, "2015-05-04T10:30:00+01:00", "the first text date after the h1");
        CHECK_STR_EQ(a->from.date, "text near the headline", "its origin");
    }
    article_free(a);
    free(html);
}

static void
test_edges(void)
{
    struct diag d = DIAG_INIT;
    struct buf b;
    struct article *a;

    buf_init(&b, BUF_MAX_DEFAULT);
    buf_puts(&b, "<html><head><title>Edges of an article page</title></head><body>"
        "<div class=\"story\"><p>Share this article</p>");
    for (int i = 0; i < 4; i++)
        buf_puts(&b, para);
    buf_puts(&b, "<p>Read more:</p><ul><li><a href=\"https://example.org/1\">Another story</a></li>"
        "<li><a href=\"https://example.org/2\">And another one</a></li></ul></div>"
        "</body></html>");
    a = article_parse(buf_str(&b), b.len, ARTICLE_HTML, "edges.html", NULL, &d);
    CHECK(a != NULL, "a page with boxes at its edges");
    if (a != NULL) {
        CHECK(strstr(a->body_text, "Share this") == NULL, "a share line before the text goes");
        CHECK(strstr(a->body_text, "Read more") == NULL &&
            strstr(a->body_text, "Another story") == NULL, "a 'Read more' link list goes");
        CHECK(a->nparagraphs == 4, "the text stays (%zu paragraphs)", a->nparagraphs);
    }
    article_free(a);
    buf_fini(&b);

    buf_init(&b, BUF_MAX_DEFAULT);
    buf_puts(&b, "<html><body><div class=\"story\">");
    for (int i = 0; i < 4; i++)
        buf_puts(&b, para);
    buf_puts(&b, "<p><a href=\"https://example.org/end\">The end, as a link.</a></p></div>"
        "</body></html>");
    a = article_parse(buf_str(&b), b.len, ARTICLE_HTML, "edges2.html", NULL, &d);
    CHECK(a != NULL && strstr(a->body_text, "The end, as a link.") != NULL,
        "a last line that is a link stays");
    article_free(a);
    buf_fini(&b);
}

static void
test_bylines(void)
{
    static const struct {
        const char *line, *want;
    } rows[] = {
        { "Science by Ann Lee May 20, 2019 11:00 PM @annlee", "Ann Lee" },
        { "BY JOHN SMITH \xe2\x80\xa2 8h", "JOHN SMITH" },
        { "Written by Rob Ewaschuk Edited by Betsy Beyer", "Rob Ewaschuk" },
        { "Maria Gomez, MA", "Maria Gomez, MA" },
        { "Last Updated: January 7, 2025", NULL },
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct diag d = DIAG_INIT;
        struct buf b;
        char *html;
        struct article *a;

        buf_init(&b, BUF_MAX_DEFAULT);
        buf_putf(&b, "<p class=\"byline\">%s</p>", rows[i].line);
        html = body_page("<title>Bylines in the wild, as pages print them</title>",
            buf_str(&b));
        a = page(html, &d);
        if (rows[i].want != NULL)
            CHECK_STR_EQ(a != NULL ? a->author : NULL, rows[i].want, "byline \"%s\"",
                rows[i].line);
        else
            CHECK(a != NULL && a->author == NULL, "no name in byline \"%s\"", rows[i].line);
        article_free(a);
        free(html);
        buf_fini(&b);
    }
}

static void
test_links(void)
{
    struct diag d = DIAG_INIT;
    char *html = body_page("<base href=\"https://example.org/a/b/\">",
        "<p>See <a href=\"../c?x=1\">the report</a>, <a href=\"javascript:alert(1)\">this</a>"
        " and <a href=\"mailto:ed@example.org\">write</a>; <img src=\"pic.jpg\" alt=\"A park\" "
        "width=\"1200\" height=\"800px\"><img src=\"nosize.jpg\" alt=\"no size\">"
        "<img src=\"http://plain.example.org/p.jpg\" width=\"10\" height=\"10\" alt=\"http\">"
        "<img data-src=\"//cdn.example.org/lazy.png\" src=\"data:image/gif;base64,R0lGOD\" "
        "alt=\"lazy\" width=\"300\" height=\"200\"> "
        "<span onclick=\"evil()\" style=\"color:red\">styled</span> "
        "<script>evil()</script><iframe src=\"https://ads.example\"></iframe>"
        "and the rest of a sentence long enough to count, with commas, here.</p>");
    struct article *a = page(html, &d);

    CHECK(a != NULL, "a page with links is read");
    if (a != NULL) {
        CHECK(strstr(a->body_html, "<a href=\"https://example.org/a/c?x=1\">the report</a>")
            != NULL, "a relative link resolved against <base>");
        CHECK(strstr(a->body_html, "javascript:") == NULL, "javascript: links are dropped");
        CHECK(strstr(a->body_html, "this") != NULL, "but their text stays");
        CHECK(strstr(a->body_html, "<img src=\"https://example.org/a/b/pic.jpg\" alt=\"A park\" "
            "width=\"600\" height=\"400\" style=\"display:block;border:0;") != NULL,
            "image: absolute src, alt, size scaled to the 600 px column, display:block");
        CHECK(strstr(a->body_html, "nosize") == NULL && strstr(a->body_html, "http:") == NULL,
            "images without a size or over http are left out (email needs both)");
        CHECK(strstr(a->body_html, "https://cdn.example.org/lazy.png") != NULL,
            "a lazy image's real address");
        CHECK(strstr(a->body_html, "onclick") == NULL && strstr(a->body_html, "color:red") == NULL
            && strstr(a->body_html, "<script") == NULL && strstr(a->body_html, "evil") == NULL
            && strstr(a->body_html, "iframe") == NULL, "no scripts, handlers or styles");
        CHECK(a->nlinks == 2, "two links numbered (%zu)", a->nlinks);
        CHECK(strstr(a->body_text, "the report [1]") != NULL, "body_text numbers the links");
    }
    article_free(a);
    free(html);
}

static void
test_charsets(void)
{
    struct diag d = DIAG_INIT;
    char *html = body_page("<meta charset=\"iso-8859-1\">", "<p>Caf\xe9 na\xefve "
        "\x93quoted\x94, and enough words to make a paragraph of text for the scorer.</p>");
    struct article *a = page(html, &d), *b;
    const char ru[] = "<html><body><p>\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0! "
        "\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0! \xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0!</p>"
        "</body></html>";

    CHECK(a != NULL && strstr(a->body_text, "Caf\xc3\xa9 na\xc3\xafve \xe2\x80\x9cquoted"
        "\xe2\x80\x9d") != NULL, "<meta charset=iso-8859-1> read as Windows-1252");
    article_free(a);
    free(html);

    b = xcalloc(1, sizeof(*b));
    CHECK(article_html_parse(ru, strlen(ru), "https://example.ru/x", "windows-1251", b, &d)
        == 0 && strstr(b->body_text, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82") != NULL,
        "the HTTP header's charset (windows-1251)");
    article_free(b);

    html = body_page("", "<p>Broken \xff\xfe bytes \xc3 here and \xe2\x82 there, in a "
        "paragraph long enough to be the article's text.</p>");
    a = page(html, &d);
    CHECK(a != NULL && utf8_is_valid(a->body_text, strlen(a->body_text)) &&
        utf8_is_valid(a->body_html, strlen(a->body_html)), "invalid UTF-8 gives valid UTF-8");
    article_free(a);
    free(html);
}

static void
test_hostile(void)
{
    struct diag d = DIAG_INIT;
    struct buf b;
    struct article *a;
    size_t big = (size_t)20 << 20;
    char *s = xmalloc(big + 1);

    /* 20 MB: refused with a clear message */
    memset(s, 'a', big);
    memcpy(s, "<html><body><p>", 15);
    s[big] = '\0';
    a = article_parse(s, big, ARTICLE_HTML, "big.html", NULL, &d);
    CHECK(a == NULL && strstr(d.msg, "larger than") != NULL, "a 20 MB page: %s", d.msg);
    article_free(a);
    free(s);

    /* nested 100,000 deep: a result or a clear error, never a crash */
    buf_init(&b, BUF_MAX_DEFAULT);
    buf_puts(&b, "<html><body>");
    buf_puts(&b, para);
    for (int i = 0; i < 100000; i++)
        buf_puts(&b, i % 2 ? "<div>" : "<span>");
    buf_puts(&b, "deep text");
    diag_clear(&d);
    a = article_parse(buf_str(&b), b.len, ARTICLE_HTML, "deep.html", NULL, &d);
    CHECK(a != NULL || diag_is_set(&d), "a page nested 100,000 deep: %s",
        a != NULL ? "read" : d.msg);
    CHECK(a == NULL || strstr(a->body_text, "The council met") != NULL,
        "the text before the nesting is kept");
    article_free(a);
    buf_fini(&b);

    /* billion laughs: HTML has no internal entities; nothing is expanded */
    buf_init(&b, BUF_MAX_DEFAULT);
    buf_puts(&b, "<!DOCTYPE html [<!ENTITY a \"lollollollollollollollollollol\">");
    for (char c = 'b'; c <= 'j'; c++)
        buf_putf(&b, "<!ENTITY %c \"&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;\">", c, c - 1,
            c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    buf_puts(&b, "]><html><body><p>&j;&j;&j;</p>");
    buf_puts(&b, para);
    buf_puts(&b, "</body></html>");
    diag_clear(&d);
    a = article_parse(buf_str(&b), b.len, ARTICLE_HTML, "lol.html", NULL, &d);
    CHECK(a != NULL && strlen(a->body_html) < 100000, "an entity bomb is not expanded (%zu)",
        a != NULL ? strlen(a->body_html) : 0);
    article_free(a);
    buf_fini(&b);

    /* not a page at all */
    diag_clear(&d);
    a = article_parse("", 0, ARTICLE_HTML, "empty.html", NULL, &d);
    CHECK(a == NULL && diag_is_set(&d), "an empty file: %s", d.msg);
    article_free(a);
}

int
main(void)
{
    test_metadata();
    test_fallbacks();
    test_bylines();
    test_text_date();
    test_edges();
    test_links();
    test_charsets();
    test_hostile();
    return check_exit();
}
