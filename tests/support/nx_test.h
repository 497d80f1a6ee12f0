/*
 * tests/support/nx_test.h: helpers shared by the cmocka test binaries.
 * Include after <setjmp.h>, <stdarg.h>, <stddef.h> and <cmocka.h>.
 */
#ifndef NX_TEST_H
#define NX_TEST_H

#include <nexus/nexus.h>
#include <stdio.h>
#include <stdlib.h>

/* Fail with the error's name and text unless expr returns NX_OK. */
#define NX_ASSERT_OK(expr)                                                                 \
    do {                                                                                   \
        nx_err_t e_ = (expr);                                                              \
        if (e_ != NX_OK)                                                                   \
            fail_msg("%s -> %s: %s", #expr, nx_err_name(e_), nx_strerror(e_));             \
    } while (0)

/* Fail unless expr returns exactly the error `want`. */
#define NX_ASSERT_ERR(want, expr)                                                          \
    do {                                                                                   \
        nx_err_t e_ = (expr);                                                              \
        if (e_ != (want))                                                                  \
            fail_msg("%s -> %s, want %s", #expr, nx_err_name(e_), nx_err_name(want));      \
    } while (0)

#endif /* NX_TEST_H */
