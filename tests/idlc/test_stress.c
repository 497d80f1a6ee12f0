/*
 * test_stress.c: inputs that are large or hostile. None may crash, hang or
 * take long: a 5,000-line schema, a 10 MB file, huge literals and
 * identifiers, NUL bytes, invalid UTF-8, random bytes, a deep import chain.
 * (The parser's nesting limit is tested in test_parser.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <time.h>

#include "ctx.h"
#include "idlc_test.h"

/* The schema gen_big.c writes, built in memory: `structs` structs of 20
 * fields plus a topic each, about 25 lines per struct. */
static char *big_schema(size_t structs, size_t *len)
{
    size_t cap = structs * 1024 + 256, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    n += (size_t)snprintf(s + n, cap - n,
                          "package big.schema;\n\nconst uint32 N = 4;\n"
                          "enum Level : uint8 { LOW, MID, HIGH }\n\n");
    for (size_t i = 0; i < structs; i++) {
        n += (size_t)snprintf(
            s + n, cap - n,
            "/// Struct number %zu.\nmessage M%zu {\n"
            "    uint64 seq;\n    int32 a = -1;\n    float64 b = 2.5;\n    bool c = true;\n"
            "    string<31> name = \"m%zu\";\n    bytes<64> blob;\n"
            "    sequence<uint16, N> shorts;\n    Level level = MID;\n    uint8 grid[2][3];\n"
            "    float32 v[N];\n    char tag;\n    int8 i8;\n    int16 i16;\n"
            "    uint32 u32;\n    sequence<Level, 3> levels;\n    string<7> labels[2];\n"
            "%s    uint16 last;\n}\ntopic t%zu : M%zu;\n\n",
            i, i, i,
            i > 0 ? "    int64 prev_seq;\n    bool prev_ok;\n"
                  : "    int64 p;\n    bool q;\n",
            i, i);
    }
    *len = n;
    return s;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void stress_compiles_a_5000_line_schema(void **state)
{
    (void)state;
    size_t len;
    char *src = big_schema(210, &len);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += src[i] == '\n';
    assert_true(lines >= 5000);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    compiled_t c;
    compile(&c, src);
    assert_compiles(&c);
    nidl_output_t out;
    assert_int_equal(nidl_generate(c.ctx, c.schema, &out), NIDL_OK);
    print_message("%zu lines: %zu + %zu bytes generated in %.3f s\n", lines, out.header_len,
                  out.source_len, seconds_since(&t0));
    nidl_output_free(&out);
    compiled_free(&c);
    free(src);
}

static void stress_checks_a_10_mb_schema(void **state)
{
    (void)state;
    size_t len;
    char *src = big_schema(24000, &len);
    assert_true(len > 10u * 1000 * 1000);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    compiled_t c;
    compile(&c, src);
    assert_compiles(&c);
    print_message("%zu bytes checked in %.3f s\n", len, seconds_since(&t0));
    compiled_free(&c);
    free(src);
}

/* Files over 16 MiB, or over 64 MiB in all, are refused before parsing
 * (the total is tested with the context's limit lowered to 3 MiB, to keep
 * the test fast under ASan). */
static void stress_refuses_input_over_the_size_limits(void **state)
{
    (void)state;
    size_t mib16 = 16u * 1024 * 1024, mib = 1024 * 1024;
    char *blank = malloc(mib16 + 1);
    assert_non_null(blank);
    memset(blank, '\n', mib16 + 1);
    compiled_t c;
    nidl_ctx_t *ctx = capture_ctx(&c);
    assert_int_equal(ctx->max_total_size, 64u * mib);
    assert_null(nidl_load_string(ctx, "over.nidl", blank, mib16 + 1));
    assert_int_equal(nidl_ctx_status(ctx), NIDL_EIO);
    assert_string_equal(c.diag,
                        "nexus-idlc: error: cannot read 'over.nidl': it is 16777217 "
                        "bytes, over the limit of 16777216 bytes (16 MiB) per file\n");
    c.len = 0;
    c.diag[0] = '\0';
    /* Three files of exactly 1 MiB fit in 3 MiB; one byte more does not. */
    ctx->max_total_size = 3u * (uint32_t)mib;
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "b%d.nidl", i);
        assert_non_null(nidl_load_string(ctx, name, blank, mib));
    }
    assert_string_equal(c.diag, "");
    assert_null(nidl_load_string(ctx, "last.nidl", "\n", 1));
    assert_string_equal(c.diag,
                        "nexus-idlc: error: cannot read 'last.nidl': it is 1 bytes, "
                        "which with the 3145728 bytes already read is over the limit "
                        "of 3145728 bytes (3 MiB) in all\n");
    compiled_free(&c);
    free(blank);
}

static void stress_survives_10_mb_of_random_bytes(void **state)
{
    (void)state;
    size_t len = 10u * 1024 * 1024;
    char *src = malloc(len + 1);
    assert_non_null(src);
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        src[i] = (char)(x & 0xff);
    }
    src[len] = '\0';
    compiled_t c;
    capture_ctx(&c);
    assert_null(nidl_load_string(c.ctx, "r.nidl", src, len));
    assert_diag_contains(&c, "too many errors (20), stopping");
    compiled_free(&c);
    free(src);
}

static void stress_survives_huge_tokens(void **state)
{
    (void)state;
    size_t n = 10u * 1024 * 1024;
    char *src = malloc(n + 64);
    assert_non_null(src);
    static const struct {
        const char *head, *fill, *tail, *want;
    } cases[] = {
        {"const uint8 X = ", "9", ";", "does not fit in 64 bits"},
        {"const float64 X = 1.", "5", ";", NULL}, /* a long but fine float */
        {"const float64 X = 9", "9", ".0;", "is out of range"},
        {"struct ", "a", " { uint8 x; }", "is longer than 63 characters"},
        {"const uint8 X = \"", "x", "\";", "must be a number, not a string"},
        {"/* ", "*", "", "unterminated comment"},
        {"// ", "x", "\nstruct S { uint8 x = 300; }", "value 300 does not fit"},
        {"", "\n", "struct S { uint8 x = 300; }", "10485761:22: error: value 300"},
        {"const int32 X = ", "(", "", "input is nested too deeply"},
        {"struct S { uint8 x; }", "\xff", "", "invalid byte 0xff"},
        {"", "\x00", "struct S { }", "invalid byte 0x00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].head);
        memcpy(src, cases[i].head, len);
        memset(src + len, cases[i].fill[0], n);
        len += n;
        memcpy(src + len, cases[i].tail, strlen(cases[i].tail));
        len += strlen(cases[i].tail);
        src[len] = '\0';
        compiled_t c;
        capture_ctx(&c);
        const nidl_schema_t *s = nidl_load_string(c.ctx, "h.nidl", src, len);
        if (cases[i].want == NULL ? s == NULL : strstr(c.diag, cases[i].want) == NULL)
            fail_msg("case %zu: want '%s', got:\n%.2000s", i, cases[i].want, c.diag);
        compiled_free(&c);
    }
    free(src);
}

static void stress_reports_bad_utf8_and_nul_bytes(void **state)
{
    (void)state;
    static const char src[] =
        "struct S {\n    uint8 a\x00;\n    string<4> b = \"\xc0\xaf\";\n"
        "    uint8 \xe2\x82;\n}\n/// doc \xff\x01 with junk\nconst uint8 X = 1;\n";
    compiled_t c;
    capture_ctx(&c);
    assert_null(nidl_load_string(c.ctx, "u.nidl", src, sizeof src - 1));
    assert_diag_contains(&c, "u.nidl:2:12: error: invalid byte 0x00");
    assert_diag_contains(&c, "u.nidl:3:20: error: invalid UTF-8 in a string");
    compiled_free(&c);
}

static void stress_many_warnings_on_one_long_line(void **state)
{
    (void)state;
    /* 20000 structs on one line, each with padding, under -Wpadding: the
     * columns of the warnings must not be counted from the line's start
     * every time (that would be quadratic). */
    size_t n = 20000, cap = n * 48 + 1, len = 0;
    char *src = malloc(cap);
    assert_non_null(src);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(src + len, cap - len, "struct S%zu { uint8 a; uint32 b; } ",
                                i);
    compiled_t c;
    capture_ctx(&c);
    assert_int_equal(nidl_ctx_set_warning(c.ctx, "padding", true), 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_non_null(nidl_load_string(c.ctx, "w.nidl", src, len));
    assert_int_equal(nidl_ctx_warning_count(c.ctx), n);
    assert_diag_contains(&c, "w.nidl:1:29: warning: 3 bytes of padding before field 'b'");
    print_message("%zu warnings on one line in %.3f s\n", n, seconds_since(&t0));
    compiled_free(&c);
    free(src);
}

static void stress_limits_the_import_depth(void **state)
{
    (void)state;
    compiled_t c;
    capture_ctx(&c);
    char path[32], text[64];
    for (int i = 0; i < 70; i++) {
        snprintf(path, sizeof path, "f%d.nidl", i);
        snprintf(text, sizeof text, "import \"f%d.nidl\";\n", i + 1);
        nidl_ctx_add_virtual_file(c.ctx, path, text, strlen(text));
    }
    nidl_ctx_add_virtual_file(c.ctx, "f70.nidl", "", 0);
    assert_null(nidl_load_file(c.ctx, "f0.nidl"));
    assert_diag_contains(&c, "f64.nidl:1:1: error: imports are nested more than 64 deep");
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stress_compiles_a_5000_line_schema),
        cmocka_unit_test(stress_checks_a_10_mb_schema),
        cmocka_unit_test(stress_refuses_input_over_the_size_limits),
        cmocka_unit_test(stress_survives_10_mb_of_random_bytes),
        cmocka_unit_test(stress_survives_huge_tokens),
        cmocka_unit_test(stress_reports_bad_utf8_and_nul_bytes),
        cmocka_unit_test(stress_many_warnings_on_one_long_line),
        cmocka_unit_test(stress_limits_the_import_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
