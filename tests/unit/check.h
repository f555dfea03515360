/*
 * check: the two-macro unit test harness.  Each check prints "ok - what" or
 * "not ok - what: why"; tests/run.sh counts them.  main() returns check_exit().
 * SPDX-License-Identifier: MIT
 */
#ifndef GAZETTE_CHECK_H
#define GAZETTE_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed;

#define CHECK(expr, ...) do {                                           \
    if (expr) {                                                         \
        printf("ok - ");                                                \
        printf(__VA_ARGS__);                                            \
        printf("\n");                                                   \
    } else {                                                            \
        check_failed++;                                                 \
        printf("not ok - ");                                            \
        printf(__VA_ARGS__);                                            \
        printf(" (%s:%d: %s)\n", __FILE__, __LINE__, #expr);            \
    }                                                                   \
} while (0)

#define CHECK_STR_EQ(got, want, ...) do {                               \
    const char *g_ = (got), *w_ = (want);                               \
    if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) {              \
        printf("ok - ");                                                \
        printf(__VA_ARGS__);                                            \
        printf("\n");                                                   \
    } else {                                                            \
        check_failed++;                                                 \
        printf("not ok - ");                                            \
        printf(__VA_ARGS__);                                            \
        printf(" (%s:%d)\n#   got:  \"%s\"\n#   want: \"%s\"\n", __FILE__, __LINE__, \
            g_ ? g_ : "(null)", w_ ? w_ : "(null)");                    \
    }                                                                   \
} while (0)

static inline int
check_exit(void)
{
    fflush(stdout);
    return check_failed ? 1 : 0;
}

#endif
