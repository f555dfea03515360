/*
 * lint: the preview's report on a rendered message: what would hurt delivery or
 * readers (EMAIL-CHECKLIST Z1, C5, C6, X2, L-items): an HTML part past Gmail's ~102 KB
 * clipping size, images without alt, links that are not absolute, no unsubscribe link,
 * a link of the HTML part that the text part lacks (M6).
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_LINT_H
#define GAZETTE_LINT_H

#include <stddef.h>

struct buf;

#define LINT_HTML_CLIP 102000       /* Gmail clips the HTML part past ~102 KB */
#define LINT_HTML_WARN 90000        /* warn before that */

/*
 * Check the html and text parts (unsubscribe: this recipient's unsubscribe link, or NULL
 * when none is configured; postal: newsletter.postal_address or NULL, which must show in
 * both parts, CAN-SPAM / EMAIL-CHECKLIST K1).  Appends one line per finding to report
 * ("warning: ..." or "error: ...") and returns the number of errors.  `gazette preview`
 * prints them; `gazette send` refuses to send on any error unless --force.
 */
int lint_message(const char *html, size_t hlen, const char *text, size_t tlen,
    const char *unsubscribe, const char *postal, struct buf *report);

#endif
