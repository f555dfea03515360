/*
 * bouncedump: what the bounce classifier makes of each message file, one line per
 * recipient: FILE TAB KIND TAB RECIPIENT TAB STATUS TAB hard|soft|- TAB FORMAT TAB DIAG.
 * A message with no recipient prints one line with "-" for them.  For
 * tests/integration/bounce_corpus.sh.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "util.h"

int
main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        struct bounce_report *r = xmalloc(sizeof(*r));
        const char *base = strrchr(argv[i], '/');
        size_t len;
        char *data = read_file(argv[i], &len);

        base = base ? base + 1 : argv[i];
        if (data == NULL) {
            fprintf(stderr, "bouncedump: %s: cannot read\n", argv[i]);
            free(r);
            return 1;
        }
        bounce_parse(data, len, r);
        if (r->nrcpt == 0)
            printf("%s\t%s\t-\t-\t-\t%s\t%s\n", base, bounce_kind_name(r->kind), r->format,
                r->why);
        for (size_t k = 0; k < r->nrcpt; k++)
            printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", base, bounce_kind_name(r->kind),
                r->rcpt[k].addr[0] ? r->rcpt[k].addr : "-",
                r->rcpt[k].status[0] ? r->rcpt[k].status : "-",
                r->kind != BOUNCE_FAILED ? "-" : r->rcpt[k].hard ? "hard" : "soft",
                r->format, r->rcpt[k].diag);
        free(data);
        free(r);
    }
    return 0;
}
