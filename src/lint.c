/*
 * lint: a small scanner over the rendered HTML (tags and attributes only; no DOM).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "buf.h"
#include "lint.h"
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
    return (n >= 8 && ascii_strncasecmp(v, "https://", 8) == 0) ||
        (n >= 7 && ascii_strncasecmp(v, "http://", 7) == 0) ||
        (n >= 7 && ascii_strncasecmp(v, "mailto:", 7) == 0);
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
    for (const char *c = s; *c; c++) {
        switch (*c) {
        case '&': buf_adds(&esc, "&amp;"); break;
        case '<': buf_adds(&esc, "&lt;"); break;
        case '>': buf_adds(&esc, "&gt;"); break;
        case '"': buf_adds(&esc, "&quot;"); break;
        case '\'': buf_adds(&esc, "&#39;"); break;
        default: buf_addc(&esc, *c); break;
        }
    }
    found = contains(html, hlen, s) || contains(html, hlen, buf_str(&esc));
    buf_fini(&esc);
    return found;
}

int
lint_message(const char *html, size_t hlen, const char *text, size_t tlen,
    const char *unsub, const char *postal, struct buf *report)
{
    const char *p = html, *end = html + hlen;
    int errors = 0;

    if (hlen > LINT_HTML_CLIP) {
        buf_addf(report, "error: the HTML part is %zu bytes; Gmail clips messages past about "
            "102 KB and hides the rest, unsubscribe link included: use fewer or shorter "
            "articles\n", hlen);
        errors++;
    } else if (hlen > LINT_HTML_WARN)
        buf_addf(report, "warning: the HTML part is %zu bytes, close to Gmail's ~102 KB "
            "clipping size\n", hlen);
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        const char *tend = memchr(p, '>', (size_t)(end - p)), *v;
        size_t vl;

        if (tend == NULL)
            break;
        if (ascii_strncasecmp(p, "<img", 4) == 0 && IS_SPACE((unsigned char)p[4])) {
            if (attr(p + 4, tend, "alt", &vl) == NULL) {
                v = attr(p + 4, tend, "src", &vl);
                buf_addf(report, "error: an image has no alt text (%.*s); add alt=\"...\" "
                    "(alt=\"\" if it is decoration)\n", v ? (int)(vl > 80 ? 80 : vl) : 1,
                    v ? v : "?");
                errors++;
            }
            if ((v = attr(p + 4, tend, "src", &vl)) != NULL && !absolute(v, vl)) {
                buf_addf(report, "error: image source \"%.*s\" is not an absolute http(s) "
                    "address; mail clients cannot load it\n", (int)(vl > 80 ? 80 : vl), v);
                errors++;
            }
        } else if (ascii_strncasecmp(p, "<a", 2) == 0 && IS_SPACE((unsigned char)p[2])) {
            if ((v = attr(p + 2, tend, "href", &vl)) != NULL && !absolute(v, vl) &&
                !(vl > 0 && v[0] == '#')) {
                buf_addf(report, "error: link \"%.*s\" is not absolute (https://..., "
                    "mailto:...); it will not work in a mail client\n",
                    (int)(vl > 80 ? 80 : vl), v);
                errors++;
            }
        }
        p = tend + 1;
    }
    if (postal == NULL || *postal == '\0') {
        buf_adds(report, "error: no postal address; set newsletter.postal_address (bulk mail "
            "must show the sender's postal address, CAN-SPAM)\n");
        errors++;
    } else {
        if (!contains_escaped(html, hlen, postal)) {
            buf_adds(report, "error: the HTML part does not show the postal address; use "
                "{{newsletter.postal_address}} in the template\n");
            errors++;
        }
        if (!contains(text, tlen, postal)) {
            buf_adds(report, "error: the text part does not show the postal address; use "
                "{{newsletter.postal_address}} in the template\n");
            errors++;
        }
    }
    if (unsub == NULL || *unsub == '\0') {
        buf_adds(report, "error: no unsubscribe link is configured; set "
            "newsletter.unsubscribe_url or newsletter.unsubscribe_mailto\n");
        errors++;
    } else {
        struct buf esc;

        /* in HTML the URL appears with & escaped */
        buf_init(&esc, 0);
        for (const char *c = unsub; *c; c++)
            if (*c == '&')
                buf_adds(&esc, "&amp;");
            else
                buf_addc(&esc, *c);
        if (!contains(html, hlen, unsub) && !contains(html, hlen, buf_str(&esc))) {
            buf_adds(report, "error: the HTML part has no visible unsubscribe link; "
                "use {{unsubscribe_url}} in the template\n");
            errors++;
        }
        if (!contains(text, tlen, unsub)) {
            buf_adds(report, "error: the text part has no unsubscribe link; use "
                "{{unsubscribe_url}} in the template\n");
            errors++;
        }
        buf_fini(&esc);
    }
    return errors;
}
