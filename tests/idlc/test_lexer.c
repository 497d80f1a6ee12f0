/*
 * test_lexer.c: the scanner alone, table-driven. Each case is source text,
 * the tokens it must produce (bison's names, space-separated, without the
 * final end of file) and a diagnostic it must produce ("" for none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "idlc_test.h"
#include "parse.h"

typedef struct tokens {
    char names[4096];
    nidl_loc_t locs[64];
    size_t count;
} tokens_t;

static void collect(void *user, int tok, const nidl_loc_t *loc)
{
    tokens_t *t = user;
    if (tok == 0)
        return;
    if (t->count < 64)
        t->locs[t->count] = *loc;
    if (t->count++ > 0)
        strncat(t->names, " ", sizeof t->names - strlen(t->names) - 1);
    strncat(t->names, nidl__token_name(tok), sizeof t->names - strlen(t->names) - 1);
}

/* Scan len bytes of text as "t.nidl"; diagnostics go to c->diag. */
static void scan(compiled_t *c, tokens_t *t, const char *text, size_t len)
{
    capture_ctx(c);
    memset(t, 0, sizeof *t);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    copy[len] = '\0';
    nidl_file_t *f = nidl__file_add(c->ctx, "t.nidl", "string:t", copy, len, true);
    nidl__lex(c->ctx, f, collect, t);
}

typedef struct lex_case {
    const char *text;
    const char *tokens;
    const char *diag; /* substring of the diagnostics; "" for none */
} lex_case_t;

static const lex_case_t cases[] = {
    /* punctuation and operators */
    {"{ } ( ) [ ] < > = ; : , .", "'{' '}' '(' ')' '[' ']' '<' '>' '=' ';' ':' ',' '.'",
     ""},
    {"+ - * / % & | ^ ~ << >>", "'+' '-' '*' '/' '%' '&' '|' '^' '~' '<<' '>>'", ""},
    {"a<<b>>c", "identifier '<<' identifier '>>' identifier", ""},
    {"A->B - > -->", "identifier '->' identifier '-' '>' '-' '->'", ""},
    /* keywords, and identifiers that merely start like one */
    {"package import const enum struct message topic service",
     "'package' 'import' 'const' 'enum' 'struct' 'message' 'topic' 'service'", ""},
    {"bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 char byte",
     "'bool' 'int8' 'int16' 'int32' 'int64' 'uint8' 'uint16' 'uint32' 'uint64' 'float32' "
     "'float64' 'char' 'byte'",
     ""},
    {"string bytes sequence true false", "'string' 'bytes' 'sequence' 'true' 'false'", ""},
    {"packages structx _a a1 int7 Bool services timeout_ms",
     "identifier identifier identifier identifier "
     "identifier identifier identifier identifier",
     ""},
    {"a123456789012345678901234567890123456789012345678901234567890bc", "identifier", ""},
    {"a1234567890123456789012345678901234567890123456789012345678901cd", "identifier",
     "is longer than 63 characters"},
    /* integers */
    {"0 42 0x1F 0XfF 0b101 0B1 1_000_000 0xFF_FF 0b1_0",
     "integer literal integer literal integer literal integer literal integer literal "
     "integer literal integer literal integer literal integer literal",
     ""},
    {"18446744073709551615", "integer literal", ""},
    {"18446744073709551616", "integer literal", "does not fit in 64 bits"},
    {"0x1_0000_0000_0000_0000", "integer literal", "does not fit in 64 bits"},
    {"007", "integer literal", "has a leading zero (octal is not supported)"},
    {"1__0", "integer literal", "invalid number '1__0'"},
    {"12_", "integer literal", "invalid number '12_'"},
    {"0x", "integer literal", "invalid number '0x'"},
    {"0b2", "integer literal", "invalid number '0b2'"},
    {"123abc", "integer literal", "invalid number '123abc'"},
    {"1.2.3", "integer literal", "invalid number '1.2.3'"},
    /* floats */
    {"1.5 1e-3 2.5E+10 0.25 1e5",
     "float literal float literal float literal float literal "
     "float literal",
     ""},
    {"1e999", "float literal", "float literal '1e999' is out of range"},
    {"-0.25", "'-' float literal", ""},
    /* strings */
    {"\"plain\" \"\"", "string literal string literal", ""},
    {"\"a\\n\\t\\\\\\\"\\x41\\xff\"", "string literal", ""},
    {"\"caf\xc3\xa9\"", "string literal", ""},
    {"\"a\\qb\"", "string literal", "unknown escape sequence '\\q'"},
    {"\"a\\x4\"", "string literal", "'\\x' must be followed by two hex digits"},
    {"\"a\\x00\"", "string literal", "a string cannot contain a NUL byte"},
    {"\"abc\nx", "string literal identifier", "missing terminating '\"' character"},
    {"\"abc\\\nx", "string literal identifier", "missing terminating '\"' character"},
    {"\"a\x01\"", "string literal", "control character 0x01 in a string"},
    {"\"a\x80\"", "string literal", "invalid UTF-8 in a string"},
    {"\"\xed\xa0\x80\"", "string literal", "invalid UTF-8 in a string"},
    /* comments and doc comments produce no tokens */
    {"a // comment\nb /* block\n * more */ c", "identifier identifier identifier", ""},
    {"/// doc\n/// more\nx //// not a doc\ny", "identifier identifier", ""},
    {"a /* never closed", "identifier", "unterminated comment"},
    {"a /* ** / * */ b", "identifier identifier", ""},
    /* whitespace, CRLF */
    {"a\r\nb\tc\fd\ve", "identifier identifier identifier identifier identifier", ""},
    /* stray bytes become INVALID tokens; the parser reports them */
    {"$", "invalid character", ""},
    {"a@b", "identifier invalid character identifier", ""},
    {"\xc3\xa9", "invalid character", ""},
    {"\xe2\x82\xac", "invalid character", ""},
    {"\x80\xff", "invalid character invalid character", ""},
    {"#include", "invalid character identifier", ""},
};

static void lexer_table_cases_produce_their_tokens(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        compiled_t c;
        tokens_t t;
        scan(&c, &t, cases[i].text, strlen(cases[i].text));
        if (strcmp(t.names, cases[i].tokens) != 0)
            fail_msg("case %zu <%s>:\n  want %s\n  got  %s", i, cases[i].text,
                     cases[i].tokens, t.names);
        if (cases[i].diag[0] == '\0' ? c.len != 0 : strstr(c.diag, cases[i].diag) == NULL)
            fail_msg("case %zu <%s>: want diagnostic '%s', got:\n%s", i, cases[i].text,
                     cases[i].diag, c.diag);
        compiled_free(&c);
    }
}

static void lexer_nul_byte_is_an_invalid_token(void **state)
{
    (void)state;
    compiled_t c;
    tokens_t t;
    scan(&c, &t, "a\0b", 3);
    assert_string_equal(t.names, "identifier invalid character identifier");
    compiled_free(&c);
}

static void lexer_locations_are_byte_ranges(void **state)
{
    (void)state;
    compiled_t c;
    tokens_t t;
    scan(&c, &t, "ab  cde\n\tx", 10);
    assert_int_equal(t.count, 3);
    assert_int_equal(t.locs[0].start, 0);
    assert_int_equal(t.locs[0].end, 2);
    assert_int_equal(t.locs[1].start, 4);
    assert_int_equal(t.locs[1].end, 7);
    assert_int_equal(t.locs[2].start, 9);
    assert_int_equal(t.locs[2].end, 10);
    compiled_free(&c);
}

static void lexer_string_values_are_unescaped(void **state)
{
    (void)state;
    /* The value reaches the generated code as a string default. */
    compiled_t c;
    compile(&c, "struct S { string<20> s = \"a\\tb\\\\c\\\"d\\x41\"; }");
    assert_compiles(&c);
    nidl_output_t out;
    assert_int_equal(nidl_generate(c.ctx, c.schema, &out), NIDL_OK);
    assert_non_null(strstr(out.source, "\"a\\011b\\\\c\\\"dA\""));
    nidl_output_free(&out);
    compiled_free(&c);
}

static void lexer_integer_values_are_exact(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c, "const uint64 A = 0xFFFF_FFFF_FFFF_FFFF;\n"
                "const uint32 B = 0b1010_1010;\n"
                "const int64 C = 1_000_000;\n");
    assert_compiles(&c);
    nidl_value_info_t v;
    assert_int_equal(nidl_schema_const_value(c.schema, "A", &v), 0);
    assert_true(v.magnitude == UINT64_MAX);
    assert_int_equal(nidl_schema_const_value(c.schema, "B", &v), 0);
    assert_int_equal(v.magnitude, 170);
    assert_int_equal(nidl_schema_const_value(c.schema, "C", &v), 0);
    assert_int_equal(v.magnitude, 1000000);
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lexer_table_cases_produce_their_tokens),
        cmocka_unit_test(lexer_nul_byte_is_an_invalid_token),
        cmocka_unit_test(lexer_locations_are_byte_ranges),
        cmocka_unit_test(lexer_string_values_are_unescaped),
        cmocka_unit_test(lexer_integer_values_are_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
