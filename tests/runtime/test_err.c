/* test_err.c: every error code has its LibRPC number, a name and a text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "nx_test.h"

static void err_keeps_librpc_numbers(void **state)
{
    (void)state;
    assert_int_equal(NX_OK, 0);
    assert_int_equal(NX_EINVAL, 1);
    assert_int_equal(NX_ENOTINIT, 2);
    assert_int_equal(NX_EEXIST, 3);
    assert_int_equal(NX_ENOTFOUND, 4);
    assert_int_equal(NX_ENETWORK, 5);
    assert_int_equal(NX_ETIMEOUT, 6);
    assert_int_equal(NX_EFORK, 18);
    assert_int_equal(NX_EPARTIAL, 19);
    assert_int_equal(NX_EUNEXPECTED, 99);
}

static void err_every_code_has_distinct_text_and_name(void **state)
{
    (void)state;
    static const struct {
        nx_err_t code;
        const char *name;
        const char *text;
    } codes[] = {
#define ROW_(name, val, msg) {NX_##name, "NX_" #name, msg},
        NX_ERR_LIST(ROW_)
#undef ROW_
    };
    size_t n = sizeof codes / sizeof codes[0];
    assert_true(n >= 19);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(nx_strerror(codes[i].code), codes[i].text);
        assert_string_equal(nx_err_name(codes[i].code), codes[i].name);
        assert_string_not_equal(nx_strerror(codes[i].code), "unknown error");
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(codes[i].code, codes[j].code);
            assert_string_not_equal(nx_strerror(codes[i].code), nx_strerror(codes[j].code));
        }
    }
    /* A few spelled out, so a wrong table cannot pass by construction. */
    assert_string_equal(nx_strerror(NX_OK), "success");
    assert_string_equal(nx_strerror(NX_ETIMEOUT), "timed out: queue full");
    assert_string_equal(nx_strerror(NX_ETYPE), "type mismatch");
    assert_string_equal(nx_err_name(NX_ENOTFOUND), "NX_ENOTFOUND");
}

static void err_unknown_codes_are_handled(void **state)
{
    (void)state;
    const int unknown[] = {-1, 20, 42, 98, 100, 1000000};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_string_equal(nx_strerror((nx_err_t)unknown[i]), "unknown error");
        assert_string_equal(nx_err_name((nx_err_t)unknown[i]), "NX_E?");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(err_keeps_librpc_numbers),
        cmocka_unit_test(err_every_code_has_distinct_text_and_name),
        cmocka_unit_test(err_unknown_codes_are_handled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
