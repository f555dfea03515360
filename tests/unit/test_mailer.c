/*
 * Unit tests for the mailer's retry rule (mailer_retry_delay): a table of outcome,
 * attempts, elapsed time and jitter against the delay or "no more tries".  No clock, no
 * server: the sending itself is tested end to end in tests/integration/send*.sh.
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "diag.h"
#include "mailer.h"
#include "transport.h"
#include "util.h"

static void
test_retry(void)
{
    static const struct {
        enum transport_outcome outcome;
        bool resend;
        int attempts;
        double elapsed, jit;
        double want;                /* -1: no more tries */
    } rows[] = {
        /* retry_delay 2, max_attempts 4, retry_max_time 60 */
        { TRANSPORT_TEMPFAIL, false, 1, 0, 1.0, 2 },
        { TRANSPORT_TEMPFAIL, false, 2, 0, 1.0, 4 },
        { TRANSPORT_TEMPFAIL, false, 3, 0, 1.0, 8 },
        { TRANSPORT_TEMPFAIL, false, 3, 0, 0.5, 4 },
        { TRANSPORT_TEMPFAIL, false, 3, 0, 1.5, 12 },
        { TRANSPORT_TEMPFAIL, false, 4, 0, 1.0, -1 },       /* max_attempts reached */
        { TRANSPORT_TEMPFAIL, false, 1, 57, 1.0, 2 },       /* 59 s: still in time */
        { TRANSPORT_TEMPFAIL, false, 1, 58, 1.0, 2 },       /* 60 s: just in time */
        { TRANSPORT_TEMPFAIL, false, 1, 58.5, 1.0, -1 },    /* 60.5 s: past retry_max_time */
        { TRANSPORT_TEMPFAIL, false, 2, 55, 1.5, -1 },      /* 55 + 6 */
        { TRANSPORT_SENT, false, 1, 0, 1.0, -1 },
        { TRANSPORT_PERMFAIL, false, 1, 0, 1.0, -1 },
        { TRANSPORT_FATAL, false, 1, 0, 1.0, -1 },
        { TRANSPORT_UNCERTAIN, false, 1, 0, 1.0, -1 },      /* maybe delivered: not again */
        { TRANSPORT_UNCERTAIN, true, 1, 0, 1.0, 2 },        /* ... unless resend_uncertain */
        { TRANSPORT_UNCERTAIN, true, 4, 0, 1.0, -1 },
        { TRANSPORT_TEMPFAIL, true, 2, 0, 1.0, 4 },
    };
    static const char yaml[] = "smtp:\n  retry_delay: 2\n  max_attempts: 4\n"
        "  retry_max_time: 60\n";
    struct diag d = DIAG_INIT;
    struct config *c = config_parse(yaml, sizeof(yaml) - 1, "g.yaml", &d);

    if (c == NULL) {
        CHECK(0, "retry: config: %s", d.msg);
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        double got;

        c->smtp.resend_uncertain = rows[i].resend;
        got = mailer_retry_delay(c, rows[i].outcome, rows[i].attempts, rows[i].elapsed,
            rows[i].jit);
        CHECK(fabs(got - rows[i].want) < 1e-9, "retry: outcome %d%s, attempt %d at %.1f s, "
            "jitter %.1f: %g (got %g)", (int)rows[i].outcome, rows[i].resend ?
            " (resend_uncertain)" : "", rows[i].attempts, rows[i].elapsed, rows[i].jit,
            rows[i].want, got);
    }
    config_free(c);
}

int
main(void)
{
    test_retry();
    return check_exit();
}
