/*
 * test_parser.c: the grammar, table-driven. Valid sources must compile
 * without a diagnostic; invalid ones must give exactly the expected
 * diagnostics (location, message, source line and caret), which also
 * shows that error recovery reports later errors instead of stopping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "idlc_test.h"

static const char *const valid[] = {
    "",
    "package a;",
    "package a.b.c;\n",
    "/// doc\npackage a;\nconst uint8 X = 1;",
    "const int32 X = (1 + 2) * 3 / 4 % 5 << 1 >> 1 & 7 | 8 ^ ~0;",
    "const float64 F = -1.5e3;\nconst bool B = true;\nconst char C = \"c\";",
    "enum E { A }",
    "enum E { A, B, }",
    "enum E : uint16 { A = 1, B, C = 10 }",
    "struct S { uint8 a; }",
    "message M { uint8 a; string<4> s; bytes<9> b; sequence<uint32, 3> q; }",
    "struct S { uint8 a[2][3][4][5]; }",
    "struct S { sequence<sequence<int8, 2>, 3> nested; }",
    "struct S { float32 x = 1.0; bool b = false; string<3> s = \"abc\"; }",
    "message M { uint8 a; }\ntopic t : M;",
    "message M { uint8 a; }\ntopic t : M { }",
    "message M { uint8 a; }\ntopic t : M { name = \"x/y\"; on_full = block; block_ms = 5; }",
    "struct S { uint8 a; } struct T { S s; } message U { T t; }",
    "message M { uint8 a; }\nservice s : M -> M;",
    "message M { uint8 a; }\nservice s : M -> M { }",
    "message M { uint8 a; }\nservice s : M -> M { name = \"a/b\"; timeout_ms = 5; }",
    "message Q { uint8 a; } message R { uint8 b; }\n/// doc\nservice s : Q -> R;",
    "message M{uint8 a;}service s:M->M;",
    "/* a */ // b\n/// doc\nstruct S {\n    /// field doc\n    uint8 a; // trailing\n}",
};

static void parser_accepts_every_construct(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        compiled_t c;
        compile(&c, valid[i]);
        if (c.schema == NULL || c.len != 0)
            fail_msg("case %zu <%s>:\n%s", i, valid[i], c.diag);
        compiled_free(&c);
    }
}

typedef struct bad_case {
    const char *src;
    const char *diag; /* the exact diagnostics */
} bad_case_t;

static const bad_case_t bad[] = {
    {"struct A { uint8 x }\n",
     "t.nidl:1:20: error: syntax error, unexpected '}', expecting ';' or '=' or '['\n"
     "    1 | struct A { uint8 x }\n"
     "      |                    ^\n"},
    /* A missing ';' is reported at the end of its line; recovery at the
     * field level then finds the error three fields later. */
    {"struct A {\n    uint8 x\n    uint8 y;\n    uint8 z;\n    int8 w = ;\n}\n",
     "t.nidl:2:12: error: syntax error, unexpected 'uint8', expecting ';' or '=' or '['\n"
     "    2 |     uint8 x\n"
     "      |            ^\n"
     "t.nidl:5:14: error: syntax error, unexpected ';'\n"
     "    5 |     int8 w = ;\n"
     "      |              ^\n"},
    {"struct A { uint8 x",
     "t.nidl:1:19: error: syntax error, unexpected end of file, expecting ';' or '=' or '['\n"
     "    1 | struct A { uint8 x\n"
     "      |                   ^\n"},
    {"struct A { uint8 x; };\n",
     "t.nidl:1:22: error: unexpected ';' (declarations do not end with ';' after '}')\n"
     "    1 | struct A { uint8 x; };\n"
     "      |                      ^\n"},
    {"strcut Zone { uint8 x; }\n",
     "t.nidl:1:1: error: syntax error, unexpected identifier; did you mean 'struct'?\n"
     "    1 | strcut Zone { uint8 x; }\n"
     "      | ^~~~~~\n"},
    {"struct S { strng<5> s; }\n",
     "t.nidl:1:17: error: syntax error, unexpected '<', expecting identifier or '.'; "
     "did you mean 'string'?\n"
     "    1 | struct S { strng<5> s; }\n"
     "      |                 ^\n"},
    {"struct S {\n\tuint8 $x;\n}\n", "t.nidl:2:8: error: invalid character '$'\n"
                                     "    2 | \tuint8 $x;\n"
                                     "      | \t      ^\n"},
    {"struct S { uint8 \xc3\xa9; }\n",
     "t.nidl:1:18: error: invalid character '\xc3\xa9' (U+00E9)\n"
     "    1 | struct S { uint8 \xc3\xa9; }\n"
     "      |                  ^\n"},
    {"enum E {}\n",
     "t.nidl:1:9: error: syntax error, unexpected '}', expecting identifier\n"
     "    1 | enum E {}\n"
     "      |         ^\n"},
    {"import x;\n",
     "t.nidl:1:8: error: syntax error, unexpected identifier, expecting string literal\n"
     "    1 | import x;\n"
     "      |        ^\n"},
    {"topic t : M { name = \"x\" }\n",
     "t.nidl:1:26: error: syntax error, unexpected '}', expecting ';'\n"
     "    1 | topic t : M { name = \"x\" }\n"
     "      |                          ^\n"},
    {"package a;\npackage b;\n",
     "t.nidl:2:1: error: a file has only one package declaration\n"
     "    2 | package b;\n"
     "      | ^~~~~~~~~~\n"
     "t.nidl:1:1: note: the package is declared here\n"
     "    1 | package a;\n"
     "      | ^~~~~~~~~~\n"},
    /* '->' is one token: a service's arrow, nothing else. */
    {"message M { uint8 a; }\nservice s : M - > M;\n",
     "t.nidl:2:15: error: syntax error, unexpected '-', expecting '->' or '.'\n"
     "    2 | service s : M - > M;\n"
     "      |               ^\n"},
    {"struct S { int8 a = 1->2; }\n", "t.nidl:1:22: error: syntax error, unexpected '->'\n"
                                      "    1 | struct S { int8 a = 1->2; }\n"
                                      "      |                      ^~\n"},
    {"message M { uint8 a; }\nservice s -> M;\n",
     "t.nidl:2:11: error: syntax error, unexpected '->', expecting ':'\n"
     "    2 | service s -> M;\n"
     "      |           ^~\n"},
    /* Recovery inside a service's properties, then a service without
     * its reply type. */
    {"message M { uint8 a; }\nservice s : M -> M { x = ; }\nservice t : M;\n",
     "t.nidl:2:26: error: syntax error, unexpected ';'\n"
     "    2 | service s : M -> M { x = ; }\n"
     "      |                          ^\n"
     "t.nidl:3:14: error: syntax error, unexpected ';', expecting '->' or '.'\n"
     "    3 | service t : M;\n"
     "      |              ^\n"},
    {"servise s : M -> M;\n",
     "t.nidl:1:1: error: syntax error, unexpected identifier; did you mean 'service'?\n"
     "    1 | servise s : M -> M;\n"
     "      | ^~~~~~~\n"},
    /* Two broken declarations: both are reported. */
    {"const uint8 = 1;\nstruct S { uint8 x; }\nenum E { A B }\n",
     "t.nidl:1:13: error: syntax error, unexpected '=', expecting identifier\n"
     "    1 | const uint8 = 1;\n"
     "      |             ^\n"
     "t.nidl:3:12: error: syntax error, unexpected identifier, expecting '=' or '}' or ','\n"
     "    3 | enum E { A B }\n"
     "      |            ^\n"},
};

static void parser_reports_each_syntax_error_exactly(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        compiled_t c;
        compile(&c, bad[i].src);
        assert_null(c.schema);
        if (strcmp(c.diag, bad[i].diag) != 0)
            fail_msg("case %zu:\n--- want\n%s--- got\n%s", i, bad[i].diag, c.diag);
        compiled_free(&c);
    }
}

static void parser_survives_deep_nesting(void **state)
{
    (void)state;
    /* 100000 nested parentheses: the parse stack has a limit, reached
     * with a clean error rather than a crash. */
    size_t n = 100000;
    char *src = malloc(2 * n + 64);
    assert_non_null(src);
    strcpy(src, "const int32 X = ");
    size_t len = strlen(src);
    memset(src + len, '(', n);
    len += n;
    src[len++] = '1';
    memset(src + len, ')', n);
    len += n;
    strcpy(src + len, ";");
    compiled_t c;
    compile(&c, src);
    assert_null(c.schema);
    assert_diag_contains(&c, "error: input is nested too deeply");
    compiled_free(&c);

    /* Deep, but within the parser's limit: sema refuses to recurse. */
    n = 3000;
    len = strlen("const int32 X = ");
    memset(src + len, '-', n);
    strcpy(src + len + n, "1;");
    compile(&c, src);
    assert_null(c.schema);
    assert_diag_contains(&c, "error: expression is nested more than 256 levels deep");
    compiled_free(&c);
    free(src);
}

static void parser_attaches_doc_comments(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c, "/// The file.\npackage p;\n/// A struct\n/// on two lines.\n"
                "struct S {\n    /// A field.\n    uint8 a;\n}\n");
    assert_compiles(&c);
    nidl_output_t out;
    assert_int_equal(nidl_generate(c.ctx, c.schema, &out), NIDL_OK);
    assert_non_null(strstr(out.header, "/**\n * The file.\n */\n#ifndef"));
    assert_non_null(strstr(out.header, "/**\n * A struct\n * on two lines.\n */\ntypedef"));
    assert_non_null(
        strstr(out.header, "    /**\n     * A field.\n     */\n    uint8_t a;"));
    nidl_output_free(&out);
    compiled_free(&c);
}

static void parser_warns_about_dangling_doc_comments(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c, "struct S { uint8 a; /// documents nothing\n}\n");
    assert_non_null(c.schema);
    assert_string_equal(
        c.diag, "t.nidl:1:21: warning: doc comment does not document a declaration, "
                "field or item [-Wdangling-doc]\n"
                "    1 | struct S { uint8 a; /// documents nothing\n"
                "      |                     ^~~~~~~~~~~~~~~~~~~~~\n");
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parser_accepts_every_construct),
        cmocka_unit_test(parser_reports_each_syntax_error_exactly),
        cmocka_unit_test(parser_survives_deep_nesting),
        cmocka_unit_test(parser_attaches_doc_comments),
        cmocka_unit_test(parser_warns_about_dangling_doc_comments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
