/*
 * lint: a small scanner over the rendered HTML (tags and attributes only; no DOM).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "buf.h"
#include "lint.h"
#include "text.h"
#include "util.h"

/* The value of attribute name in the tag at p..end (after "<tag"), or NULL. */
static const char *
attr(const char *p, const char *end, const char *name, size_t *len)
{
    size_t n = strlen(name);

    for (const char *q = p; q + n < end; q++) {
        if ((q == p || IS_SPACE((unsigned char)q[-1])) && ascii_strncasecmp(q, name, n) == 0) {
            const char *v = q + n;

            while (v < end && IS_SPACE((unsigned char)*v))
                v++;
            if (v >= end || *v != '=') {
                if (v <= end) {
                    *len = 0;
                    return v;   /* present without a value */
                }
                continue;
            }
            v++;
            while (v < end && IS_SPACE((unsigned char)*v))
                v++;
            if (v < end && (*v == '"' || *v == '\'')) {
                const char *c = memchr(v + 1, *v, (size_t)(end - v - 1));

                if (c == NULL)
                    return NULL;
                *len = (size_t)(c - v - 1);
                return v + 1;
            }
            {
                const char *c = v;

                while (c < end && !IS_SPACE((unsigned char)*c) && *c != '>')
                    c++;
                *len = (size_t)(c - v);
                return v;
            }
        }
    }
    return NULL;
}

static bool
absolute(const char *v, size_t n)
{
    return text_is_web_url(v, n) || (n >= 7 && ascii_strncasecmp(v, "mailto:", 7) == 0);
}

static bool
contains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    if (k == 0 || k > n)
        return false;
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

/* s in the HTML, as the templates write it: & < > " ' escaped */
static bool
contains_escaped(const char *html, size_t hlen, const char *s)
{
    struct buf esc;
    bool found;

    buf_init(&esc, 0);
    text_html_escape(&esc, s, strlen(s));
    found = contains(html, hlen, s) || contains(html, hlen, buf_str(&esc));
    buf_fini(&esc);
    return found;
}

/* The href value v[0..n) as a reader sees it: the entities the templates write undone
   (&amp; &lt; &gt; &quot; &#39; and other numeric ASCII references). */
static void
unescape_href(struct buf *out, const char *v, size_t n)
{
    static const struct { const char *ent; char c; } named[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
        { "&apos;", '\'' },
    };

    for (size_t i = 0; i < n;) {
        size_t k;

        if (v[i] != '&') {
            buf_putc(out, v[i++]);
            continue;
        }
        for (k = 0; k < ARRAY_LEN(named); k++) {
            size_t el = strlen(named[k].ent);

            if (el <= n - i && ascii_strncasecmp(v + i, named[k].ent, el) == 0) {
                buf_putc(out, named[k].c);
                i += el;
                break;
            }
        }
        if (k < ARRAY_LEN(named))
            continue;
        if (i + 2 < n && v[i + 1] == '#') {
            bool hex = v[i + 2] == 'x' || v[i + 2] == 'X';
            size_t j = i + (hex ? 3 : 2);
            unsigned c = 0;

            while (j < n && j < i + 8 && (hex ? text_hex_value(v[j]) >= 0 : IS_DIGIT(
                (unsigned char)v[j]))) {
                c = c * (hex ? 16 : 10) + (unsigned)(hex ? text_hex_value(v[j]) : v[j] - '0');
                j++;
            }
            if (j < n && v[j] == ';' && c > 0 && c < 128) {
                buf_putc(out, (char)c);
                i = j + 1;
                continue;
            }
        }
        buf_putc(out, v[i++]);
    }
}

/*
 * EMAIL-CHECKLIST M6: the text part carries the link at v[0..vl) (an href of the HTML
 * part).  A mailto link may show as its bare address.  An error line when it does not,
 * once per link.
 */
static int
text_has_link(const char *text, size_t tlen, const char *v, size_t vl, const char *unsub,
    struct buf *report)
{
    struct buf url, line;
    const char *u;
    int errors = 0;

    buf_init(&url, 0);
    buf_init(&line, 0);
    unescape_href(&url, v, vl);
    u = buf_str(&url);
    if (unsub != NULL && strcmp(u, unsub) == 0)
        goto out;                   /* reported with the unsubscribe checks */
    if (contains(text, tlen, u))
        goto out;
    if (ascii_strncasecmp(u, "mailto:", 7) == 0) {
        size_t al = strcspn(u + 7, "?");
        struct buf addr;
        bool found;

        buf_init(&addr, 0);
        buf_put(&addr, u + 7, al);
        found = al > 0 && contains(text, tlen, buf_str(&addr));
        buf_fini(&addr);
        if (found)
            goto out;
    }
    buf_putf(&line, "error: the text part lacks the link \"%.*s\" of the HTML part (both parts "
        "must carry every link); add it to the text template ({{url}}, {{#links}})\n",
        (int)(url.len > 200 ? 200 : url.len), u);
    if (!contains(buf_str(report), report->len, buf_str(&line))) {
        buf_put(report, buf_str(&line), line.len);
        errors = 1;
    }
out:
    buf_fini(&url);
    buf_fini(&line);
    return errors;
}

int
lint_message(const char *html, size_t hlen, const char *text, size_t tlen,
    const char *unsub, const char *postal, struct buf *report)
{
    const char *p = html, *end = html + hlen;
    int errors = 0;

    if (hlen > LINT_HTML_CLIP) {
        buf_putf(report, "error: the HTML part is %zu bytes; Gmail clips messages past about "
            "102 KB and hides the rest, unsubscribe link included: use fewer or shorter "
            "articles\n", hlen);
        errors++;
    } else if (hlen > LINT_HTML_WARN)
        buf_putf(report, "warning: the HTML part is %zu bytes, close to Gmail's ~102 KB "
            "clipping size\n", hlen);
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        const char *tend = memchr(p, '>', (size_t)(end - p)), *v;
        size_t vl;

        if (tend == NULL)
            break;
        if (ascii_strncasecmp(p, "<img", 4) == 0 && IS_SPACE((unsigned char)p[4])) {
            if (attr(p + 4, tend, "alt", &vl) == NULL) {
                v = attr(p + 4, tend, "src", &vl);
                buf_putf(report, "error: an image has no alt text (%.*s); add alt=\"...\" "
                    "(alt=\"\" if it is decoration)\n", v ? (int)(vl > 80 ? 80 : vl) : 1,
                    v ? v : "?");
                errors++;
            }
            if ((v = attr(p + 4, tend, "src", &vl)) != NULL && !absolute(v, vl)) {
                buf_putf(report, "error: image source \"%.*s\" is not an absolute http(s) "
                    "address; mail clients cannot load it\n", (int)(vl > 80 ? 80 : vl), v);
                errors++;
            }
        } else if (ascii_strncasecmp(p, "<a", 2) == 0 && IS_SPACE((unsigned char)p[2])) {
            if ((v = attr(p + 2, tend, "href", &vl)) != NULL && !absolute(v, vl) &&
                !(vl > 0 && v[0] == '#')) {
                buf_putf(report, "error: link \"%.*s\" is not absolute (https://..., "
                    "mailto:...); it will not work in a mail client\n",
                    (int)(vl > 80 ? 80 : vl), v);
                errors++;
            } else if (v != NULL && absolute(v, vl))
                errors += text_has_link(text, tlen, v, vl, unsub, report);
        }
        p = tend + 1;
    }
    if (postal == NULL || *postal == '\0') {
        buf_puts(report, "error: no postal address; set newsletter.postal_address (bulk mail "
            "must show the sender's postal address, CAN-SPAM)\n");
        errors++;
    } else {
        if (!contains_escaped(html, hlen, postal)) {
            buf_puts(report, "error: the HTML part does not show the postal address; use "
                "{{newsletter.postal_address}} in the template\n");
            errors++;
        }
        if (!contains(text, tlen, postal)) {
            buf_puts(report, "error: the text part does not show the postal address; use "
                "{{newsletter.postal_address}} in the template\n");
            errors++;
        }
    }
    if (unsub == NULL || *unsub == '\0') {
        buf_puts(report, "error: no unsubscribe link is configured; set "
            "newsletter.unsubscribe_url or newsletter.unsubscribe_mailto\n");
        errors++;
    } else {
        struct buf esc;

        /* in HTML the URL appears escaped (& as &amp;), as templates write it */
        buf_init(&esc, 0);
        text_html_escape(&esc, unsub, strlen(unsub));
        if (!contains(html, hlen, unsub) && !contains(html, hlen, buf_str(&esc))) {
            buf_puts(report, "error: the HTML part has no visible unsubscribe link; "
                "use {{unsubscribe_url}} in the template\n");
            errors++;
        }
        if (!contains(text, tlen, unsub)) {
            buf_puts(report, "error: the text part has no unsubscribe link; use "
                "{{unsubscribe_url}} in the template\n");
            errors++;
        }
        if (ascii_strncasecmp(unsub, "mailto:", 7) == 0)
            buf_puts(report, "warning: unsubscribing takes an email (mailto: only); Gmail "
                "and Yahoo require one-click unsubscribe (RFC 8058, an https link) from "
                "bulk senders: set newsletter.unsubscribe_url (gazette serve answers it)\n");
        buf_fini(&esc);
    }
    return errors;
}
