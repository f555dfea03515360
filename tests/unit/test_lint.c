/*
 * Unit tests for lint: a table of rendered HTML/text parts against the findings the
 * preview must report (each as a part of its line) and the error count.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "lint.h"
#include "util.h"

#define U "https://example.org/u?t=1&e=2"
#define POSTAL "1 Rue Exemple, Paris"   /* in both parts of every row, unless a row tests it */

/* The report on one line, for the check messages. */
static void
one_line(struct buf *rep)
{
    for (size_t i = 0; i < rep->len; i++)
        if (rep->p[i] == '\n')
            rep->p[i] = '|';
}

static void
test_table(void)
{
    static const struct {
        const char *html, *text, *unsub;
        int errors;
        const char *want[3];        /* parts of the report, in order; NULL-ended */
    } rows[] = {
        { "<p><a href=\"" "https://example.org/u?t=1&amp;e=2" "\">unsubscribe</a></p>",
            "unsubscribe: " U, U, 0, { NULL } },
        { "<p><a href=\"" U "\">u</a></p>", "u: " U, U, 0, { NULL } },
        { "<p>no link</p>", "u: " U, U, 1, { "HTML part has no visible unsubscribe", NULL } },
        { "<a href=\"" U "\">u</a>", "no link", U, 1, { "text part has no unsubscribe", NULL } },
        { "<p>x</p>", "x", NULL, 1, { "no unsubscribe link is configured", NULL } },
        { "<img src=\"https://example.org/a.png\"><a href=\"" U "\">u</a>", U, U, 1,
            { "image has no alt text (https://example.org/a.png)", NULL } },
        { "<img alt=\"\" src=\"/a.png\"><a href=\"" U "\">u</a>", U, U, 1,
            { "image source \"/a.png\" is not an absolute", NULL } },
        { "<IMG ALT='x' SRC='https://e.org/a.png'><a href=\"" U "\">u</a>", U, U, 0, { NULL } },
        { "<a href=\"page.html\">p</a><a href=\"#top\">t</a><a href=\"" U "\">u</a>", U, U, 1,
            { "link \"page.html\" is not absolute", NULL } },
        { "<a href=mailto:x@example.org>m</a><a href=" U ">u</a>", U " x@example.org", U, 0,
            { NULL } },
        /* M6: every link of the HTML part in the text part (the entities undone, a mailto
           as its bare address), each missing one an error, once */
        { "<a href=\"https://news.example.org/a?x=1&amp;y=2\">a</a><a href=\"" U "\">u</a>",
            U " https://news.example.org/a?x=1&y=2", U, 0, { NULL } },
        { "<a href=\"https://news.example.org/b\">b</a><a href=\"https://news.example.org/b\">"
            "again</a><a href=\"" U "\">u</a>", U, U, 1,
            { "text part lacks the link \"https://news.example.org/b\"", NULL } },
        { "<a href=\"mailto:x@example.org?subject=hi\">m</a><a href=\"" U "\">u</a>",
            U " write to x@example.org", U, 0, { NULL } },
        { "<a href=\"https://news.example.org/&#99;\">c</a><a href=\"" U "\">u</a>",
            U " https://news.example.org/c", U, 0, { NULL } },
        { "<img src=\"https://e.org/a.png\"><img src=\"b.png\" alt=\"\">", "none", NULL, 3,
            { "no alt text", "\"b.png\" is not an absolute", "no unsubscribe link is" } },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct buf rep;
        const char *at;
        int n;
        bool ok = true;

        struct buf html, text;

        buf_init(&rep, 0);
        buf_init(&html, 0);
        buf_init(&text, 0);
        buf_putf(&html, "%s<p>%s</p>", rows[i].html, POSTAL);
        buf_putf(&text, "%s\n%s\n", rows[i].text, POSTAL);
        n = lint_message(buf_str(&html), html.len, buf_str(&text), text.len, rows[i].unsub,
            POSTAL, &rep);
        one_line(&rep);
        buf_fini(&html);
        buf_fini(&text);
        at = buf_str(&rep);
        for (size_t k = 0; k < 3 && rows[i].want[k] != NULL; k++) {
            const char *f = strstr(at, rows[i].want[k]);

            ok &= f != NULL;
            at = f != NULL ? f : at;
        }
        if (rows[i].want[0] == NULL)
            ok &= rep.len == 0;
        CHECK(ok && n == rows[i].errors, "lint %zu: %d error(s)%s%s (got %d: %s)", i,
            rows[i].errors, rows[i].want[0] ? ": " : "", rows[i].want[0] ? rows[i].want[0] :
            "", n, buf_str(&rep));
        buf_fini(&rep);
    }
}

/* Gmail's clipping size: a warning close to it, an error past it. */
static void
test_size(void)
{
    static const size_t sizes[] = { LINT_HTML_WARN, LINT_HTML_WARN + 1, LINT_HTML_CLIP,
        LINT_HTML_CLIP + 1 };
    static const char *const want[] = { NULL, "warning: the HTML part is", NULL,
        "error: the HTML part is" };

    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        struct buf html, rep;
        int n;

        buf_init(&html, 0);
        buf_init(&rep, 0);
        buf_puts(&html, "<a href=\"" U "\">u</a>" POSTAL);
        while (html.len < sizes[i])
            buf_putc(&html, 'x');
        n = lint_message(buf_str(&html), html.len, U " " POSTAL, strlen(U " " POSTAL), U,
            POSTAL, &rep);
        one_line(&rep);
        if (want[i] == NULL)
            CHECK(n == 0 && (i != 2 || strstr(buf_str(&rep), "warning") != NULL) &&
                (i != 0 || rep.len == 0), "lint: %zu bytes of HTML (%s)", sizes[i],
                buf_str(&rep));
        else
            CHECK(strstr(buf_str(&rep), want[i]) != NULL && n == (want[i][0] == 'e'),
                "lint: %zu bytes of HTML: %s", sizes[i], want[i]);
        buf_fini(&html);
        buf_fini(&rep);
    }
}

/* The postal address (CAN-SPAM): configured, and shown in both parts. */
static void
test_postal(void)
{
    static const struct { const char *html, *text, *postal, *want; } rows[] = {
        { "<a href=\"" U "\">u</a> " POSTAL, U " " POSTAL, POSTAL, NULL },
        { "<a href=\"" U "\">u</a>", U, NULL, "no postal address" },
        { "<a href=\"" U "\">u</a>", U " " POSTAL, POSTAL, "HTML part does not show" },
        { "<a href=\"" U "\">u</a> " POSTAL, U, POSTAL, "text part does not show" },
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct buf rep;
        int n;

        buf_init(&rep, 0);
        n = lint_message(rows[i].html, strlen(rows[i].html), rows[i].text,
            strlen(rows[i].text), U, rows[i].postal, &rep);
        one_line(&rep);
        if (rows[i].want == NULL)
            CHECK(n == 0 && rep.len == 0, "lint postal %zu: shown in both parts (%s)", i,
                buf_str(&rep));
        else
            CHECK(n == 1 && strstr(buf_str(&rep), rows[i].want) != NULL,
                "lint postal %zu: %s (got %d: %s)", i, rows[i].want, n, buf_str(&rep));
        buf_fini(&rep);
    }
}

int
main(void)
{
    test_postal();
    test_table();
    test_size();
    return check_exit();
}
