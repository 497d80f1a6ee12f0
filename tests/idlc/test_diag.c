/*
 * test_diag.c: the format of diagnostics: line and column (in characters,
 * a tab counting one), the echoed source line and its caret, notes, the
 * error limit, and the end-of-file position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "idlc_test.h"

static void check(const char *src, const char *want)
{
    compiled_t c;
    compile(&c, src);
    if (strcmp(c.diag, want) != 0)
        fail_msg("<%s>\n--- want\n%s--- got\n%s", src, want, c.diag);
    compiled_free(&c);
}

static void diag_counts_columns_in_characters(void **state)
{
    (void)state;
    /* 'é' is two bytes but one column; the caret lines up under 300. */
    check("/* \xc3\xa9 */ const uint8 X = 300;\n",
          "t.nidl:1:25: error: value 300 does not fit in 'uint8' (0..255)\n"
          "    1 | /* \xc3\xa9 */ const uint8 X = 300;\n"
          "      |                         ^~~\n");
}

static void diag_copies_tabs_into_the_caret_line(void **state)
{
    (void)state;
    check("struct S {\n\tuint8\tx = 300;\n}\n",
          "t.nidl:2:12: error: value 300 does not fit in 'uint8' (0..255)\n"
          "    2 | \tuint8\tx = 300;\n"
          "      | \t     \t    ^~~\n");
}

static void diag_prints_notes_after_their_error(void **state)
{
    (void)state;
    check("struct Zone { uint8 a; }\nstruct S { Zonee z; }\n",
          "t.nidl:2:12: error: unknown type 'Zonee'; did you mean 'Zone'?\n"
          "    2 | struct S { Zonee z; }\n"
          "      |            ^~~~~\n"
          "t.nidl:1:8: note: 'Zone' is declared here\n"
          "    1 | struct Zone { uint8 a; }\n"
          "      |        ^~~~\n");
}

static void diag_widens_the_line_number_gutter(void **state)
{
    (void)state;
    char src[200000];
    size_t n = 0;
    for (int i = 0; i < 12344; i++)
        src[n++] = '\n';
    strcpy(src + n, "const uint8 X = 300;\n");
    check(src, "t.nidl:12345:17: error: value 300 does not fit in 'uint8' (0..255)\n"
               " 12345 | const uint8 X = 300;\n"
               "       |                 ^~~\n");
}

static void diag_points_at_the_end_of_the_last_line_at_eof(void **state)
{
    (void)state;
    check("struct S {\n    uint8 x;\n",
          "t.nidl:2:13: error: syntax error, unexpected end of file\n"
          "    2 |     uint8 x;\n"
          "      |             ^\n");
}

static void diag_shows_crlf_and_control_characters_plainly(void **state)
{
    (void)state;
    check("const uint8 X = 300;\r\n",
          "t.nidl:1:17: error: value 300 does not fit in 'uint8' (0..255)\n"
          "    1 | const uint8 X = 300;\n"
          "      |                 ^~~\n");
    check("const uint8 X = \"\x01\";\n",
          "t.nidl:1:18: error: control character 0x01 in a string; use an escape\n"
          "    1 | const uint8 X = \" \";\n"
          "      |                  ^\n");
}

static void diag_does_not_echo_very_long_lines(void **state)
{
    (void)state;
    char src[2048];
    memset(src, ' ', 1000);
    strcpy(src + 1000, "const uint8 X = 300;");
    check(src, "t.nidl:1:1017: error: value 300 does not fit in 'uint8' (0..255)\n");
}

static void diag_stops_at_the_error_limit(void **state)
{
    (void)state;
    char src[4096] = "";
    for (int i = 0; i < 30; i++) {
        char line[64];
        snprintf(line, sizeof line, "const uint8 X%d = 300;\n", i);
        strcat(src, line);
    }
    compiled_t c;
    compile(&c, src);
    size_t errors = 0;
    for (const char *p = c.diag; (p = strstr(p, ": error: ")) != NULL; p++)
        errors++;
    assert_int_equal(errors, 20);
    assert_diag_contains(&c, "nexus-idlc: note: too many errors (20), stopping\n");
    compiled_free(&c);

    capture_ctx(&c);
    nidl_ctx_set_error_limit(c.ctx, 0);
    assert_null(nidl_load_string(c.ctx, "t.nidl", src, strlen(src)));
    assert_int_equal(nidl_ctx_error_count(c.ctx), 30);
    compiled_free(&c);
}

static void diag_reports_unreadable_files_without_a_location(void **state)
{
    (void)state;
    compiled_t c;
    capture_ctx(&c);
    assert_null(nidl_load_file(c.ctx, "does/not/exist.nidl"));
    assert_string_equal(c.diag, "nexus-idlc: error: cannot read 'does/not/exist.nidl': "
                                "No such file or directory\n");
    assert_int_equal(nidl_ctx_status(c.ctx), NIDL_EIO);
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diag_counts_columns_in_characters),
        cmocka_unit_test(diag_copies_tabs_into_the_caret_line),
        cmocka_unit_test(diag_prints_notes_after_their_error),
        cmocka_unit_test(diag_widens_the_line_number_gutter),
        cmocka_unit_test(diag_points_at_the_end_of_the_last_line_at_eof),
        cmocka_unit_test(diag_shows_crlf_and_control_characters_plainly),
        cmocka_unit_test(diag_does_not_echo_very_long_lines),
        cmocka_unit_test(diag_stops_at_the_error_limit),
        cmocka_unit_test(diag_reports_unreadable_files_without_a_location),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
