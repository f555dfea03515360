/*
 * The HTML reader (src/article/html.c, meta.c): metadata with origins, tolerant JSON-LD,
 * charsets, link resolution, the safe output subset, and hostile pages (20 MB, nested
 * 100,000 deep, invalid UTF-8, entity bombs) that must give a result or a clear error.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/article/article_int.h"
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

/* article:author holds a profile URL or a name; a URL's scheme is case-insensitive. */
static void
test_author_url(void)
{
    static const struct { const char *content, *want; } rows[] = {
        { "https://www.facebook.com/someone", NULL },
        { "HTTPS://www.facebook.com/someone", NULL },
        { "Ann Lee", "Ann Lee" },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct diag d = DIAG_INIT;
        char head[200], *html;
        struct article *a;

        snprintf(head, sizeof(head), "<title>Parks</title><meta property=\"article:author\" "
            "content=\"%s\">", rows[i].content);
        html = body_page(head, "");
        a = page(html, &d);
        if (rows[i].want != NULL)
            CHECK_STR_EQ(a != NULL ? a->author : NULL, rows[i].want, "article:author \"%s\"",
                rows[i].content);
        else
            CHECK(a != NULL && a->author == NULL, "article:author \"%s\" is no name (got %s)",
                rows[i].content, a != NULL && a->author ? a->author : "NULL");
        article_free(a);
        free(html);
    }
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

/* Loose inline text between blocks (a <time> line, "Updated" text) is an implied
 * paragraph; the blocks after it keep their tags and are paragraphs of their own.  (The
 * state saved around a block was taken before the implied paragraph was closed, so every
 * later block was written as loose text inside it.) */
static void
test_implied_paragraph(void)
{
    struct diag d = DIAG_INIT;
    static const char html[] = "<html><head><title>Harbour ferry</title></head><body>"
        "<article><h1>Harbour ferry gets a second boat</h1>\n"
        "<p>The harbour ferry will run a second boat from April, halving the wait at the "
        "busiest times of the day, the port authority said on Tuesday.</p>\n"
        "Updated <time datetime=\"2024-03-05\">5 March 2024</time>\n"
        "<p>The new boat, built in a yard up the coast, carries 120 passengers and twenty "
        "bicycles and their riders.</p>\n"
        "<p>Commuters have asked for a second boat for years, and a petition last autumn "
        "gathered more than four thousand names.</p>\n</article></body></html>";
    struct article *a = page(html, &d);

    CHECK(a != NULL, "a page with loose text between paragraphs");
    if (a != NULL) {
        CHECK(strstr(a->body_html, "<p>The new boat,") != NULL &&
            strstr(a->body_html, "<p>Commuters have") != NULL,
            "the paragraphs after loose text keep their <p>");
        CHECK(a->nparagraphs >= 3 && strncmp(a->paragraphs[a->nparagraphs - 1],
            "Commuters", 9) == 0 && strncmp(a->paragraphs[a->nparagraphs - 2],
            "The new boat", 12) == 0, "and are paragraphs of their own (%zu)", a->nparagraphs);
    }
    article_free(a);
}

/* The line classifier the text reader and the HTML reader share, on the blocks found at
 * the edges of articles, in several languages; and the running text it must leave. */
static void
test_shared_classifier(void)
{
    static const struct {
        const char *lang, *text;
        int want;                       /* 1: boilerplate, 2: author bio, 0: text */
    } cases[] = {
        { "en", "Read also: The ferry timetable for the summer", 1 },
        { "fr", "\xc3\x80 lire aussi : Le nouveau bac du port", 1 },
        { "de", "Lesen Sie auch: Die neue F\xc3\xa4hre im Hafen", 1 },
        { "es", "Lee tambi\xc3\xa9n: El nuevo ferry del puerto", 1 },
        { "it", "Leggi anche: Il nuovo traghetto del porto", 1 },
        { "pt", "Leia tamb\xc3\xa9m: A nova balsa do porto", 1 },
        { "nl", "Lees ook: De nieuwe veerboot in de haven", 1 },
        { "ru", "\xd0\xa7\xd0\xb8\xd1\x82\xd0\xb0\xd0\xb9\xd1\x82\xd0\xb5 \xd1\x82\xd0\xb0\xd0\xba"
            "\xd0\xb6\xd0\xb5: \xd0\x9d\xd0\xbe\xd0\xb2\xd1\x8b\xd0\xb9 \xd0\xbf\xd0\xb0\xd1\x80"
            "\xd0\xbe\xd0\xbc", 1 },                            /* Читайте также: Новый паром */
        { "en", "The new ferry leaves the harbour on Tuesday. Photo: Jane Smith/Reuters", 1 },
        { "fr", "Le nouveau bac quitte le port mardi. (Photo : AFP)", 1 },
        { "de", "Die neue F\xc3\xa4hre verl\xc3\xa4sst den Hafen. Foto: dpa", 1 },
        { "es", "El nuevo ferry sale del puerto el martes. (Foto: EFE)", 1 },
        { "ru", "\xd0\x9d\xd0\xbe\xd0\xb2\xd1\x8b\xd0\xb9 \xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbc "
            "\xd0\xb2 \xd0\xbf\xd0\xbe\xd1\x80\xd1\x82\xd1\x83. \xd0\xa4\xd0\xbe\xd1\x82\xd0\xbe: "
            "\xd0\xa2\xd0\x90\xd0\xa1\xd0\xa1", 1 },            /* Новый паром в порту. Фото: ТАСС */
        { "en", "Sign up for our daily newsletter to get the news first.", 1 },
        { "fr", "Inscrivez-vous \xc3\xa0 notre newsletter pour ne rien manquer.", 1 },
        { "de", "Abonnieren Sie unseren Newsletter, um nichts zu verpassen.", 1 },
        { "es", "Suscr\xc3\xad" "bete a nuestro bolet\xc3\xadn para recibir las noticias.", 1 },
        { "it", "Iscriviti alla nostra newsletter per non perdere nulla.", 1 },
        { "pt", "Assine a nossa newsletter e receba as not\xc3\xad" "cias.", 1 },
        { "nl", "Schrijf je in voor onze nieuwsbrief.", 1 },
        { "en", "Jane Doe is a transport reporter at The Bay Courier.", 2 },
        { "fr", "Marie Dupont est journaliste au service \xc3\xa9" "conomie.", 2 },
        { "de", "Hans M\xc3\xbcller ist Redakteur im Ressort Wirtschaft.", 2 },
        { "es", "Ana Garc\xc3\xad" "a es periodista especializada en transporte.", 2 },
        { "it", "Marco Rossi \xc3\xa8 giornalista e scrive di trasporti.", 2 },
        { "pt", "Jo\xc3\xa3o Silva \xc3\xa9 jornalista e cobre transportes.", 2 },
        { "ru", "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2 "
            "\xe2\x80\x94 \xd0\xba\xd0\xbe\xd1\x80\xd1\x80\xd0\xb5\xd1\x81\xd0\xbf\xd0\xbe\xd0\xbd"
            "\xd0\xb4\xd0\xb5\xd0\xbd\xd1\x82 \xd0\xbe\xd1\x82\xd0\xb4\xd0\xb5\xd0\xbb\xd0\xb0 "
            "\xd1\x8d\xd0\xba\xd0\xbe\xd0\xbd\xd0\xbe\xd0\xbc\xd0\xb8\xd0\xba\xd0\xb8.", 2 },
            /* Иван Петров — корреспондент отдела экономики. */
        { "en", "The harbour ferry will run a second boat from April, halving the wait at the "
            "busiest times of the day, the port authority said on Tuesday.", 0 },
        { "en", "Shares of the ferry company rose after the port authority's announcement.", 0 },
        { "en", "He is a reporter's dream of a story, the mayor said with a smile.", 0 },
        { "fr", "Le bac circulera avec un second bateau \xc3\xa0 partir d'avril, a indiqu\xc3\xa9 "
            "le port, ce qui divise par deux l'attente aux heures de pointe.", 0 },
        { "de", "Die Hafenf\xc3\xa4hre f\xc3\xa4hrt ab April mit einem zweiten Boot, und die "
            "Wartezeit zu den Sto\xc3\x9fzeiten halbiert sich, sagte die Hafenbeh\xc3\xb6rde.", 0 },
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct art_lines *l = art_lines_new(cases[i].lang);
        struct art_line r;
        int got;

        art_lines_classify(l, cases[i].text, strlen(cases[i].text), &r);
        got = r.bio ? 2 : r.cls == ART_LINE_BAD ? 1 : 0;
        CHECK(got == cases[i].want, "shared classifier, %s: \"%s\" is %s (got %d, %s)",
            cases[i].lang, cases[i].text, cases[i].want == 2 ? "an author bio" :
            cases[i].want == 1 ? "boilerplate" : "text", got, r.why ? r.why : "-");
        if (cases[i].want == 0)
            CHECK(r.cls >= ART_LINE_NEAR, "and good or near-good text (class %d)", r.cls);
        art_lines_free(l);
    }
}

/* The HTML reader trims the edges of the content with that classifier. */
static void
test_edges_shared(void)
{
    static const struct {
        const char *lang, *top, *caption, *cta, *bio, *gone[4];
    } pages[] = {
        { "en", "<p><strong>Read also:</strong> <a href=\"/t\">The ferry timetable</a></p>",
            "<p>The new ferry in the harbour. Photo: Jane Smith/Reuters</p>",
            "<p>Sign up for our daily newsletter to get the news first.</p>",
            "<p>Jane Doe is a transport reporter at The Bay Courier.</p>",
            { "Read also", "Reuters", "newsletter", "Jane Doe" } },
        { "de", "<p>Lesen Sie auch: <a href=\"/f\">Die neue F\xc3\xa4hre</a></p>",
            "<p>Die neue F\xc3\xa4hre im Hafen. Foto: dpa</p>",
            "<p>Abonnieren Sie unseren Newsletter, um nichts zu verpassen.</p>",
            "<p>Hans M\xc3\xbcller ist Redakteur im Ressort Wirtschaft.</p>",
            { "Lesen Sie", "dpa", "Newsletter", "Hans M" } },
        { "fr", "<p>\xc3\x80 lire aussi : <a href=\"/b\">Le nouveau bac</a></p>",
            "<p>Le nouveau bac quitte le port. (Photo : AFP)</p>",
            "<p>Inscrivez-vous \xc3\xa0 notre newsletter pour ne rien manquer.</p>",
            "<p>Marie Dupont est journaliste au service \xc3\xa9" "conomie.</p>",
            { "lire aussi", "AFP", "Inscrivez", "Marie Dupont" } },
    };

    for (size_t i = 0; i < ARRAY_LEN(pages); i++) {
        struct diag d = DIAG_INIT;
        struct article *a;
        struct buf b;

        buf_init(&b, BUF_MAX_DEFAULT);
        buf_putf(&b, "<html lang=\"%s\"><head><title>Ferry</title></head><body><article>%s",
            pages[i].lang, pages[i].top);
        for (int k = 0; k < 10; k++)          /* the edges stay under a tenth of the text */
            buf_puts(&b, para);
        buf_putf(&b, "%s%s%s</article></body></html>", pages[i].caption, pages[i].cta,
            pages[i].bio);
        a = article_parse(buf_str(&b), b.len, ARTICLE_HTML, "edges.html", NULL, &d);
        CHECK(a != NULL, "%s: a page with boxes at its edges", pages[i].lang);
        if (a != NULL) {
            for (size_t k = 0; k < 4; k++)
                CHECK(strstr(a->body_text, pages[i].gone[k]) == NULL,
                    "%s: the edge block with '%s' goes", pages[i].lang, pages[i].gone[k]);
            CHECK(a->nparagraphs == 10, "%s: the text stays (%zu paragraphs)",
                pages[i].lang, a->nparagraphs);
        }
        article_free(a);
        buf_fini(&b);
    }
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

    /* the same page naming its charset only in a <meta>, in capitals as most pages do (the
     * sniffer skipped letters of "WINDOWS-1251", no converter was found, and the bytes
     * were read as Windows-1252) */
    html = body_page("<meta charset=\"WINDOWS-1251\">", ru + strlen("<html><body>"));
    a = page(html, &d);
    CHECK(a != NULL && strstr(a->body_text, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
        "\xd1\x82") != NULL, "<meta charset=WINDOWS-1251> (upper case) read as Windows-1251");
    article_free(a);
    free(html);

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

/* What never reaches the tree: a page with 1 MB of inline script, a style sheet,
 * <noscript>, <svg>, <template>, comments and attributes nobody reads, around a JSON-LD
 * block that the metadata reader still needs. */
static void
test_tree_memory(void)
{
    static const char ld[] = "<script type=\"application/ld+json\">{\"@type\": "
        "\"NewsArticle\", \"headline\": \"Parks win the budget\", \"datePublished\": "
        "\"2024-05-02T08:00:00Z\", \"author\": {\"name\": \"Ann Lee\"}}</script>";
    struct html_tree_stats st;
    struct diag d = DIAG_INIT;
    struct article *a;
    size_t visible = 0;
    struct buf b;

    buf_init(&b, BUF_MAX_DEFAULT);
    buf_puts(&b, "<!DOCTYPE html><html lang=\"en\"><head><title>Parks</title>");
    buf_puts(&b, ld);
    buf_puts(&b, "<style>");
    for (int i = 0; i < 2000; i++)
        buf_puts(&b, ".styled-thing { color: red; }\n");
    buf_puts(&b, "</style><script>");
    while (b.len < ((size_t)1 << 20))
        buf_puts(&b, "var SCRIPTTEXT = 'a < b && c > d'; trackEverything(window);\n");
    buf_puts(&b, "</script></head><body><!-- COMMENTTEXT");
    for (int i = 0; i < 1000; i++)
        buf_puts(&b, " more comment text");
    buf_puts(&b, " --><noscript>NOSCRIPTTEXT</noscript><svg><text>SVGTEXT</text></svg>"
        "<template><p>TEMPLATETEXT</p></template>");
    for (int i = 0; i < 200; i++) {
        buf_puts(&b, "<p class=\"para\" data-track=\"TRACKVALUE-0123456789\" "
            "onclick=\"ONCLICKVALUE()\" title=\"TITLEVALUE\">");
        buf_puts(&b, para + 3);                 /* "The council met ... evening.</p>\n" */
        visible += strlen(para) - 8;
    }
    buf_puts(&b, "</body></html>");

    html_tree_count(buf_str(&b), b.len, &st);
    CHECK(st.elements >= 200 && st.elements < 215, "the tree: the page's elements only "
        "(%zu)", st.elements);
    CHECK(st.text_bytes < visible + 1000, "the tree holds the text and the JSON-LD, not the "
        "%zu bytes of script, style, comments and skipped elements (%zu bytes of text)",
        b.len, st.text_bytes);
    CHECK(st.attrs == 200 + 1 + 1, "only the attributes a reader reads are kept: class, "
        "lang, the JSON-LD type (%zu)", st.attrs);
    CHECK(st.attr_bytes < 2000, "no data-*, onclick or title values kept (%zu bytes)",
        st.attr_bytes);
    CHECK(st.tree_attrs == 0, "libxml2's own attribute lists stay empty (%zu)",
        st.tree_attrs);

    a = article_parse(buf_str(&b), b.len, ARTICLE_HTML, "big.html", NULL, &d);
    CHECK(a != NULL, "the page is read: %s", a != NULL ? "yes" : d.msg);
    if (a != NULL) {
        CHECK_STR_EQ(a->date_iso, "2024-05-02T08:00:00Z", "the date from JSON-LD");
        CHECK_STR_EQ(a->author, "Ann Lee", "the author from JSON-LD");
        CHECK_STR_EQ(a->from.date, "JSON-LD", "its origin");
        CHECK(strstr(a->body_text, "SCRIPTTEXT") == NULL &&
            strstr(a->body_text, "NOSCRIPTTEXT") == NULL &&
            strstr(a->body_text, "TEMPLATETEXT") == NULL &&
            strstr(a->body_text, "COMMENTTEXT") == NULL, "no hidden text in the body");
        CHECK(a->nparagraphs == 200, "the 200 paragraphs (%zu)", a->nparagraphs);
    }
    article_free(a);
    buf_fini(&b);
}

/* White space between inline elements is a word break, whatever the elements are
 * (libxml2's HTML_PARSE_NOBLANKS dropped it after <sup>, <time>, <mark>, ...). */
static void
test_inline_space(void)
{
    char *html = body_page("<title>Codecs</title>", "<p>Firefox would use an open "
        "source<sup>[17]</sup> <a href=\"/wiki/Codec\">codec</a> from a "
        "<time datetime=\"2013-10-30\">30 October</time> <mark>deal</mark> with Cisco, "
        "the <abbr>CTO</abbr> <bdi>said</bdi> <small>twice</small>.</p>");
    struct diag d = DIAG_INIT;
    struct article *a = page(html, &d);

    CHECK(a != NULL, "a page with inline elements: %s", a != NULL ? "read" : d.msg);
    if (a != NULL) {
        CHECK(strstr(a->body_text, "source[17] codec") != NULL, "a space after <sup>");
        CHECK(strstr(a->body_text, "30 October deal") != NULL,
            "a space between <time> and <mark>");
        CHECK(strstr(a->body_text, "CTO said") != NULL, "a space between <abbr> and <bdi>");
        CHECK(strstr(a->body_text, "said twice") != NULL, "a space between <bdi> and <small>");
    }
    article_free(a);
    free(html);
}

/* A <time> inside a sentence stays, even when its paragraph also holds an image (an
 * image is no sentence break); a <time> standing alone above the text goes. */
static void
test_time_in_sentence(void)
{
    char *html = body_page("<title>Codecs</title>", "<p><time>4 March 2024</time></p>"
        "<p><img src=\"/a.jpg\" alt=\"A chart\"> Firefox signed a deal on "
        "<time datetime=\"2013-10-30\">30 October</time> with Cisco.</p>");
    struct diag d = DIAG_INIT;
    struct article *a = page(html, &d);

    CHECK(a != NULL, "a page with a dated sentence: %s", a != NULL ? "read" : d.msg);
    if (a != NULL) {
        CHECK(strstr(a->body_text, "deal on 30 October with Cisco") != NULL,
            "the <time> inside the sentence stays: %.120s", a->body_text);
        CHECK(strstr(a->body_text, "4 March 2024") == NULL,
            "the date line above the text goes");
    }
    article_free(a);
    free(html);
}

int
main(void)
{
    test_metadata();
    test_fallbacks();
    test_author_url();
    test_bylines();
    test_text_date();
    test_edges();
    test_implied_paragraph();
    test_shared_classifier();
    test_edges_shared();
    test_links();
    test_charsets();
    test_hostile();
    test_tree_memory();
    test_inline_space();
    test_time_in_sentence();
    return check_exit();
}
