/*
 * test_sema.c: the semantic rules, table-driven. Each invalid source must
 * fail with a diagnostic containing the expected text; each valid one must
 * compile cleanly and, where the table says so, give a constant its value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "idlc_test.h"

typedef struct sema_case {
    const char *src;
    const char *want; /* a substring of the diagnostics */
} sema_case_t;

#define MSG "message M { uint8 a; }\n"

static const sema_case_t errors[] = {
    /* identifiers */
    {"struct S { uint8 int; }", "'int' is a C keyword and cannot be used as a name"},
    {"struct S { uint8 class; }", "'class' is a C++ keyword"},
    {"struct S { uint8 errno; }", "'errno' is a name of the C standard library"},
    {"const uint8 EOF = 1;", "'EOF' is a name of the C standard library"},
    {"const uint8 NULL = 1;", "'NULL' is a name of the C standard library"},
    {"enum E { assert }", "'assert' is a name of the C standard library"},
    {"struct S { uint8 static; }", "'static' is a C keyword"},
    {"struct uint8_t { uint8 a; }", "'uint8_t' is a name of the C standard library"},
    {"struct S { uint8 __x; }", "C reserves names that begin with '__'"},
    {"struct S { uint8 _X; }",
     "C reserves names that begin with '__' or '_' and an uppercase"},
    {"struct S { uint8 x_; }", "names ending in '_' belong to the generated code"},
    {"struct nx_thing { uint8 a; }", "without a package, names cannot begin with 'nx_'"},
    {"struct msg { uint8 a; }", "without a package, 'msg' cannot be a declaration's name"},
    {"package nx.core;", "package 'nx' is reserved"},
    {"package a.int;", "'int' is a C keyword"},
    /* order of the file */
    {"const uint8 X = 1;\npackage p;", "the package declaration must come first"},
    {"const uint8 X = 1;\nimport \"x.nidl\";", "imports must come before the declarations"},
    /* duplicates */
    {"struct S { uint8 a; }\nstruct S { uint8 b; }", "redefinition of 'S'"},
    {"const uint8 X = 1;\nenum X { A }", "redefinition of 'X'"},
    {"struct S { uint8 a; uint16 a; }", "duplicate field 'a' in 'S'"},
    {"enum E { A, B, A }", "duplicate item 'A' in enum 'E'"},
    {MSG "topic t : M;\ntopic t : M;", "redefinition of 't'"},
    {MSG "topic a : M { name = \"x\"; }\ntopic b : M { name = \"x\"; }",
     "topic name 'x' is already used by topic 'a'"},
    {MSG "topic a : M;\ntopic b : M { name = \"a\"; }", "topic name 'a' is already used"},
    {"struct Zone_desc { uint8 a; }\nstruct Zone { uint8 a; }",
     "C name 'Zone_desc' generated for struct 'Zone' is also generated for struct 'Zone_desc'"},
    {"const uint8 UNIT_A = 1;\nenum Unit { A }",
     "C name 'UNIT_A' generated for enum 'Unit' is also generated for constant 'UNIT_A'"},
    {"const uint8 T_NIDL_H = 1;", "is the header guard"},
    /* names and visibility */
    {"struct S { Zone z; }\nstruct Zone { uint8 a; }",
     "'Zone' is used before its declaration"},
    {"struct Zone { uint8 a; }\nstruct S { Zonee z; }",
     "unknown type 'Zonee'; did you mean 'Zone'?"},
    {"struct S { uint23 x; }", "unknown type 'uint23'; did you mean 'uint32'?"},
    {"struct S { Nothing x; }", "unknown type 'Nothing'"},
    {"struct S { T t; }\nstruct T { uint8 a; }", "'T' is used before its declaration"},
    {"struct S { other.T t; }", "unknown package 'other' in 'other.T'"},
    {"const uint8 X = 1;\nstruct S { X x; }", "'X' is a constant, not a type"},
    {"struct T { uint8 a; }\nconst uint8 X = T;", "'T' is a struct, not a constant"},
    {"const uint8 X = Y;", "unknown constant 'Y'"},
    {"const uint8 X = X;", "'X' is used in its own definition"},
    {"const uint8 X = Y + 1;\nconst uint8 Y = 1;", "'Y' is used before its declaration"},
    /* containment */
    {"struct S { S s; }", "struct 'S' cannot contain itself"},
    {"struct S { sequence<S, 2> s; }", "struct 'S' cannot contain itself"},
    {"message S { uint8 a; S b[2]; }", "message 'S' cannot contain itself"},
    {"struct S { }", "struct 'S' has no fields"},
    /* constant expressions */
    {"const uint8 X = 256;", "value 256 does not fit in 'uint8' (0..255)"},
    {"const int8 X = -129;", "value -129 does not fit in 'int8' (-128..127)"},
    {"const int8 X = 128;", "value 128 does not fit in 'int8' (-128..127)"},
    {"const uint32 X = -1;", "value -1 does not fit in 'uint32'"},
    {"const int64 X = 0x8000000000000000;", "does not fit in 'int64'"},
    {"const uint64 X = 0xFFFFFFFFFFFFFFFF + 1;",
     "integer overflow in a constant expression"},
    {"const uint64 X = 0xFFFFFFFFFFFFFFFF * 2;", "integer overflow"},
    {"const int64 X = -0xFFFFFFFFFFFFFFFF - 2;", "integer overflow"},
    {"const uint32 X = 1 << 64;", "shift count 64 is outside 0..63"},
    {"const uint32 X = 1 << -1;", "shift count -1 is outside 0..63"},
    {"const uint64 X = 3 << 63;", "integer overflow"},
    {"const int32 X = -1 << 2;", "shift of a negative value"},
    {"const int32 X = -8 >> 1;", "shift of a negative value"},
    {"const uint32 X = 1 / 0;", "division by zero"},
    {"const uint32 X = 1 % (2 - 2);", "division by zero"},
    {"const float64 X = 1.0 / 0;", "division by zero"},
    {"const uint32 X = 1.5;", "expected an integer, not a float"},
    {"const uint32 X = 2 * 1.5;", "expected an integer, not a float"},
    {"const float64 F = 1.5;\nconst uint32 X = F;", "expected an integer, not a float"},
    {"const float64 X = 1.5 % 2;", "'%' needs integer operands"},
    {"const float64 X = ~1.5;", "'~' needs an integer operand"},
    {"const float64 X = 1e308 * 10;", "floating-point overflow"},
    {"const float32 X = 1e39;", "does not fit in 'float32'"},
    {"const uint32 X = true;", "'true' is not a number"},
    {"const bool B = true;\nconst uint32 X = B + 1;",
     "'B' is a bool constant, not a number"},
    {"const bool B = 1;", "a bool value must be 'true' or 'false'"},
    {"const uint32 X = \"a\";", "must be a number, not a string"},
    {"const char C = \"ab\";", "a char value is one ASCII character"},
    {"const char C = 200;", "value 200 does not fit in 'char' (0..127)"},
    {"const string<4> S = \"a\";", "a constant must have a primitive type"},
    /* bounds */
    {"struct S { string<0> s; }",
     "the bound of a string must be between 1 and 65535, not 0"},
    {"struct S { string<65536> s; }", "must be between 1 and 65535, not 65536"},
    {"struct S { string<-1> s; }", "must be between 1 and 65535, not -1"},
    {"struct S { bytes<0> b; }", "the bound of bytes must be between 1 and 1073741824"},
    {"struct S { bytes<1073741825> b; }", "not 1073741825"},
    {"struct S { sequence<uint8, 0> q; }",
     "the bound of a sequence must be between 1 and 16777216"},
    {"struct S { sequence<uint8, 16777217> q; }", "not 16777217"},
    {"struct S { uint8 a[0]; }",
     "an array dimension must be between 1 and 2147483647, not 0"},
    {"struct S { uint8 a[-2]; }", "not -2"},
    {"struct S { uint8 a[1][1][1][1][1]; }", "a field has at most 4 array dimensions"},
    {"struct S { uint64 a[65536][65536]; }", "field 'a' is too large"},
    {"struct S { bytes<1073741824> a; bytes<1073741824> b; }", "'S' is too large"},
    {"struct S { sequence<sequence<sequence<sequence<sequence<sequence<sequence<"
     "sequence<sequence<uint8,1>,1>,1>,1>,1>,1>,1>,1>,1> q; }",
     "sequences are nested more than 8 deep"},
    /* defaults */
    {"struct S { uint8 a = 256; }", "value 256 does not fit in 'uint8'"},
    {"struct S { uint8 a = 1.5; }", "expected an integer, not a float"},
    {"struct S { uint8 a = \"x\"; }", "must be a number, not a string"},
    {"struct S { bool b = 0; }", "a bool value must be 'true' or 'false'"},
    {"struct S { string<3> s = \"abcd\"; }",
     "the default is 4 bytes long; 'string<3>' holds at most 3"},
    {"struct S { string<3> s = 1; }",
     "the default of a string field must be a string literal"},
    {"enum E { A, B }\nstruct S { E e = C; }", "'C' is not an item of enum 'E'"},
    {"enum E { ALPHA, BETA }\nstruct S { E e = ALHPA; }", "did you mean 'ALPHA'?"},
    {"enum E { A }\nstruct S { E e = 0; }",
     "the value of an enum 'E' must be one of its items"},
    {"struct S { uint8 a[2] = 1; }", "an array field cannot have a default value"},
    {"struct S { sequence<uint8, 2> q = 1; }",
     "a sequence field cannot have a default value"},
    {"struct S { bytes<2> b = \"x\"; }", "a bytes field cannot have a default value"},
    {"struct T { uint8 a; }\nstruct S { T t = 1; }",
     "a struct field cannot have a default value"},
    /* enums */
    {"enum E : uint8 { A = 256 }", "value 256 of 'A' does not fit in 'uint8' (0..255)"},
    {"enum E : uint8 { A = 255, B }", "value 256 of 'B' (one more than the previous item)"},
    {"enum E : int8 { A = -129 }", "does not fit in 'int8'"},
    {"enum E { A = 2147483648 }", "does not fit in 'int32'"},
    {"enum E : float32 { A }", "the underlying type of an enum must be an integer type"},
    {"enum E : bool { A }", "the underlying type of an enum must be an integer type"},
    {"enum E : char { A }", "the underlying type of an enum must be an integer type"},
    {"enum E : string<3> { A }", "the underlying type of an enum must be an integer type"},
    {"enum E { A = 1, B = 1 }", "'B' has the same value (1) as 'A'"},
    {"enum E { A = 1.5 }", "expected an integer, not a float"},
    /* topics */
    {"struct S { uint8 a; }\ntopic t : S;",
     "'S' is a struct; only a message can be the type of a topic"},
    {"enum E { A }\ntopic t : E;", "'E' is an enum, not a message"},
    {"topic t : Nope;", "unknown message 'Nope'"},
    {MSG "topic t : M { nme = \"x\"; }",
     "unknown topic property 'nme'; did you mean 'name'?"},
    {MSG "topic t : M { colour = 1; }",
     "unknown topic property 'colour' (known: name, on_full, block_ms)"},
    {MSG "topic t : M { name = \"a\"; name = \"b\"; }", "property 'name' is set twice"},
    {MSG "topic t : M { name = 5; }", "the topic name must be a string literal"},
    {MSG "topic t : M { name = \"\"; }", "a topic name cannot be empty"},
    {MSG "topic t : M { name = \"a b\"; }",
     "the topic name contains ' '; it may use only [A-Za-z0-9_/.-]"},
    {MSG "topic t : M { name = \"a\\x01\"; }", "the topic name contains"},
    {MSG
     "topic t : M { name = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; }",
     "the topic name is 132 characters long; the limit is 127"},
    {"package aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb;\n" MSG
     "topic t : M;",
     "set a shorter one with name = \"...\""},
    {MSG "topic t : M { on_full = wait; }", "on_full must be 'fail' or 'block'"},
    {MSG "topic t : M { on_full = blok; }",
     "on_full must be 'fail' or 'block'; did you mean 'block'?"},
    {MSG "topic t : M { on_full = \"block\"; }", "on_full must be 'fail' or 'block'"},
    {MSG "topic t : M { block_ms = 5; }", "block_ms needs on_full = block"},
    {MSG "topic t : M { on_full = fail; block_ms = 5; }", "block_ms needs on_full = block"},
    {MSG "topic t : M { on_full = block; block_ms = -1; }",
     "block_ms must be between 0 and 4294967295, not -1"},
    {MSG "topic t : M { on_full = block; block_ms = 4294967296; }", "not 4294967296"},
    {MSG "topic t : M { on_full = block; block_ms = 1.5; }",
     "expected an integer, not a float"},
    {"message M { S s; }\ntopic t : M;", "unknown type 'S'"},
    /* services */
    {"struct S { uint8 a; }\n" MSG "service s : S -> M;",
     "'S' is a struct; only a message can be the request of a service"},
    {"struct S { uint8 a; }\n" MSG "service s : M -> S;",
     "'S' is a struct; only a message can be the reply of a service"},
    {MSG "enum E { A }\nservice s : M -> E;", "'E' is an enum, not a message"},
    {MSG "const uint8 C = 1;\nservice s : C -> M;", "'C' is a constant, not a message"},
    {MSG "service s : M -> M;\nservice t : s -> M;", "'s' is a service, not a message"},
    {MSG "service s : M -> M;\ntopic t : s;", "'s' is a service, not a message"},
    {MSG "service s : M -> Mm;", "unknown message 'Mm'; did you mean 'M'?"},
    {MSG "service s : Nope -> M;", "unknown message 'Nope'"},
    {MSG "service s : bool -> M;",
     "the request of service 's' must be a message, not 'bool'"},
    {MSG "service s : M -> string<4>;",
     "the reply of service 's' must be a message, not a string"},
    {MSG "service s : bytes<4> -> M;",
     "the request of service 's' must be a message, not bytes"},
    {MSG "service s : M -> M { timeout = 5; }",
     "unknown service property 'timeout'; did you mean 'timeout_ms'?"},
    {MSG "service s : M -> M { on_full = block; }",
     "unknown service property 'on_full' (known: name, timeout_ms)"},
    {MSG "service s : M -> M { name = \"a\"; name = \"b\"; }",
     "property 'name' is set twice"},
    {MSG "service s : M -> M { name = a; }", "the service name must be a string literal"},
    {MSG "service s : M -> M { name = \"\"; }", "a service name cannot be empty"},
    {MSG "service s : M -> M { name = \"a:b\"; }",
     "the service name contains ':'; it may use only [A-Za-z0-9_/.-]"},
    {MSG
     "service s : M -> M { name = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; }",
     "the service name is 121 characters long; the limit is 120"},
    {"package aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb;\n" MSG
     "service s : M -> M;",
     "the service name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is 121 characters long"},
    {MSG "service s : M -> M { timeout_ms = 0; }",
     "timeout_ms must be between 1 and 3600000, not 0"},
    {MSG "service s : M -> M { timeout_ms = -1; }",
     "timeout_ms must be between 1 and 3600000, not -1"},
    {MSG "service s : M -> M { timeout_ms = 3600001; }", "not 3600001"},
    {MSG "service s : M -> M { timeout_ms = 1e3; }", "expected an integer, not a float"},
    {MSG "service s : M -> M { timeout_ms = \"5\"; }", "a string is not a number"},
    {MSG "service s : M -> M;\nservice s : M -> M { name = \"other\"; }",
     "redefinition of 's'"},
    {MSG "service a : M -> M { name = \"x\"; }\nservice b : M -> M { name = \"x\"; }",
     "service name 'x' is already used by service 'a'"},
    {MSG "service a : M -> M;\nservice b : M -> M { name = \"a\"; }",
     "service name 'a' is already used by service 'a'"},
    {MSG "service a : M -> M;\nstruct a_serve { uint8 x; }",
     "C name 'a_serve' generated for struct 'a_serve' is also generated for service 'a'"},
    {"message req { uint8 a; }", "without a package, 'req' cannot be a declaration's name"},
    {"message Q { uint8 a; }\nenum timeout_ms { A }",
     "without a package, 'timeout_ms' cannot be a declaration's name"},
    /* imports (files are virtual here, see sema_imports_*) */
    {"import \"missing.nidl\";", "cannot find imported file 'missing.nidl' (searched '.')"},
    {"import \"\";", "empty import path"},
};

static void sema_rejects_every_rule_violation(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        compiled_t c;
        compile(&c, errors[i].src);
        if (c.schema != NULL || strstr(c.diag, errors[i].want) == NULL)
            fail_msg("case %zu <%s>:\n  want '%s'\n  got:\n%s", i, errors[i].src,
                     errors[i].want, c.diag);
        compiled_free(&c);
    }
}

typedef struct value_case {
    const char *src; /* declares constant X */
    bool negative;
    uint64_t magnitude;
} value_case_t;

static const value_case_t values[] = {
    {"const int32 X = 1 + 2 * 3;", false, 7},
    {"const int32 X = (1 + 2) * 3;", false, 9},
    {"const int32 X = -7 / 2;", true, 3}, /* truncates toward zero, as C */
    {"const int32 X = -7 % 2;", true, 1}, /* sign of the dividend, as C */
    {"const int32 X = 7 % -2;", false, 1},
    {"const uint32 X = 1 << 31;", false, UINT64_C(1) << 31},
    {"const uint64 X = 1 << 63;", false, UINT64_C(1) << 63},
    {"const uint32 X = 0xF0 >> 4;", false, 15},
    {"const int32 X = ~0;", true, 1},
    {"const uint8 X = ~0 & 0xFF;", false, 255},
    {"const int32 X = -1 & 6;", false, 6},
    {"const int32 X = -4 | 1;", true, 3},
    {"const int32 X = 5 ^ 3;", false, 6},
    {"const int32 X = -5 ^ 3;", true, 8},
    {"const int32 X = 1 | 2 ^ 3 & 4 << 1 + 1;", false, 3},
    {"const int64 X = -9223372036854775808;", true, UINT64_C(1) << 63},
    {"const uint64 X = 0xFFFFFFFFFFFFFFFF;", false, UINT64_MAX},
    {"const uint64 X = -1 + 0xFFFFFFFFFFFFFFFF;", false, UINT64_MAX - 1},
    {"const int64 X = -0xFFFFFFFFFFFFFFFF + 0xFFFFFFFFFFFFFFFF;", false, 0},
    {"const uint32 A = 6;\nconst uint32 X = A * A;", false, 36},
    {"const int8 X = -128;", true, 128},
    {"const char X = \"a\";", false, 'a'},
    {"const char X = 10;", false, 10},
    {"const byte X = 255;", false, 255},
    {"const bool X = true;", false, 1},
    {"const bool Y = true;\nconst bool X = Y;", false, 1},
};

static void sema_evaluates_constants_exactly(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        compiled_t c;
        compile(&c, values[i].src);
        if (c.schema == NULL)
            fail_msg("case %zu <%s>:\n%s", i, values[i].src, c.diag);
        nidl_value_info_t v;
        assert_int_equal(nidl_schema_const_value(c.schema, "X", &v), 0);
        if (v.negative != values[i].negative || v.magnitude != values[i].magnitude)
            fail_msg("case %zu <%s>: got %s%llu", i, values[i].src, v.negative ? "-" : "",
                     (unsigned long long)v.magnitude);
        compiled_free(&c);
    }
}

static void sema_evaluates_float_constants_as_c(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c, "const float64 A = -273.15;\n"
                "const float64 B = 1 / 2;\n" /* integer division first, as C */
                "const float64 C = 1.0 / 2;\n"
                "const float32 D = 3;\n"
                "const uint32 N = 4;\nconst float64 E = N * 0.5;\n");
    assert_compiles(&c);
    nidl_value_info_t v;
    assert_int_equal(nidl_schema_const_value(c.schema, "A", &v), 0);
    assert_true(v.is_float && v.fvalue == -273.15);
    assert_int_equal(nidl_schema_const_value(c.schema, "B", &v), 0);
    assert_true(v.fvalue == 0.0);
    assert_int_equal(nidl_schema_const_value(c.schema, "C", &v), 0);
    assert_true(v.fvalue == 0.5);
    assert_int_equal(nidl_schema_const_value(c.schema, "D", &v), 0);
    assert_true(v.fvalue == 3.0);
    assert_int_equal(nidl_schema_const_value(c.schema, "E", &v), 0);
    assert_true(v.fvalue == 2.0);
    compiled_free(&c);
}

static void sema_numbers_enum_items_like_c(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c,
            "const uint8 BASE = 5;\nenum E : int16 { A, B, C = BASE * 2, D, E = -3, F }");
    assert_compiles(&c);
    static const struct {
        const char *item;
        bool neg;
        uint64_t mag;
    } want[] = {{"A", false, 0},  {"B", false, 1}, {"C", false, 10},
                {"D", false, 11}, {"E", true, 3},  {"F", true, 2}};
    for (size_t i = 0; i < 6; i++) {
        nidl_value_info_t v;
        assert_int_equal(nidl_schema_enum_value(c.schema, "E", want[i].item, &v), 0);
        assert_int_equal(v.negative, want[i].neg);
        assert_int_equal(v.magnitude, want[i].mag);
    }
    compiled_free(&c);
}

static void sema_fills_in_topics(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c,
            "package vehicle.sensors;\nmessage M { uint8 a; }\n"
            "topic cabin : M;\n"
            "topic engine : M { name = \"engine/temp\"; on_full = block; block_ms = 20; }\n"
            "topic quick : M { on_full = block; }\n"
            "topic fast : M { on_full = fail; }\n");
    assert_compiles(&c);
    nidl_topic_info_t t;
    assert_int_equal(nidl_schema_topic_info(c.schema, "cabin", &t), 0);
    assert_string_equal(t.wire_name, "vehicle/sensors/cabin");
    assert_string_equal(t.type, "vehicle.sensors.M");
    assert_false(t.block);
    assert_int_equal(t.block_ms, 0);
    assert_int_equal(nidl_schema_topic_info(c.schema, "engine", &t), 0);
    assert_string_equal(t.wire_name, "engine/temp");
    assert_true(t.block);
    assert_int_equal(t.block_ms, 20);
    assert_int_equal(nidl_schema_topic_info(c.schema, "quick", &t), 0);
    assert_true(t.block);
    assert_int_equal(t.block_ms, 100); /* the documented default */
    assert_int_equal(nidl_schema_topic_info(c.schema, "fast", &t), 0);
    assert_false(t.block);
    assert_int_equal(nidl_schema_topic_info(c.schema, "nope", &t), -1);
    compiled_free(&c);
}

static void sema_fills_in_services(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c, "package vehicle.sensors;\nmessage Q { uint8 a; }\nmessage R { int64 b; }\n"
                "const uint32 MS = 20;\n"
                "service plain : Q -> R;\n"
                "service named : Q -> R { name = \"plan/ner\"; timeout_ms = MS * 25; }\n"
                "service quick : R -> R { timeout_ms = 1; }\n"
                "service slow : Q -> Q { timeout_ms = 3600000; }\n"
                /* A topic and a service may have one wire name: the
                 * runtime keeps them apart. */
                "topic plan : Q { name = \"plan/ner\"; }\n"
                "service event_log : Q -> Q { name = \"vehicle/sensors/events\"; }\n"
                "topic events : Q;\n");
    assert_compiles(&c);
    nidl_service_info_t s;
    assert_int_equal(nidl_schema_service_info(c.schema, "plain", &s), 0);
    assert_string_equal(s.wire_name, "vehicle/sensors/plain");
    assert_string_equal(s.request, "vehicle.sensors.Q");
    assert_string_equal(s.reply, "vehicle.sensors.R");
    assert_int_equal(s.timeout_ms, 1000); /* NX_SERVICE_TIMEOUT_MS */
    assert_int_equal(nidl_schema_service_info(c.schema, "named", &s), 0);
    assert_string_equal(s.wire_name, "plan/ner");
    assert_int_equal(s.timeout_ms, 500);
    assert_int_equal(nidl_schema_service_info(c.schema, "quick", &s), 0);
    assert_string_equal(s.request, "vehicle.sensors.R");
    assert_int_equal(s.timeout_ms, 1);
    assert_int_equal(nidl_schema_service_info(c.schema, "slow", &s), 0);
    assert_string_equal(s.reply, "vehicle.sensors.Q");
    assert_int_equal(s.timeout_ms, 3600000);
    assert_int_equal(nidl_schema_service_info(c.schema, "plan", &s), -1); /* a topic */
    assert_int_equal(nidl_schema_service_info(c.schema, "event_log", &s), 0);
    assert_string_equal(s.wire_name, "vehicle/sensors/events");
    assert_int_equal(nidl_schema_service_info(c.schema, "Q", &s), -1);
    assert_int_equal(nidl_schema_service_info(c.schema, "nope", &s), -1);
    compiled_free(&c);

    /* Without a package the default name is the service's name alone. */
    compile(&c, "message Q { uint8 a; }\nservice ask : Q -> Q;\n");
    assert_compiles(&c);
    assert_int_equal(nidl_schema_service_info(c.schema, "ask", &s), 0);
    assert_string_equal(s.wire_name, "ask");
    compiled_free(&c);
}

static void sema_reports_every_error_not_only_the_first(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c, "struct S {\n    uint8 a = 300;\n    Nope b;\n    string<0> c;\n}\n"
                "const int8 X = 1000;\nmessage M { S s; }\n");
    assert_null(c.schema);
    assert_diag_contains(&c, "t.nidl:2:15: error: value 300 does not fit");
    assert_diag_contains(&c, "t.nidl:3:5: error: unknown type 'Nope'");
    assert_diag_contains(&c, "t.nidl:4:12: error: the bound of a string");
    assert_diag_contains(&c, "t.nidl:6:16: error: value 1000 does not fit");
    /* M uses the broken S: no second message about it. */
    assert_int_equal(nidl_ctx_error_count(c.ctx), 4);
    compiled_free(&c);
}

/* Imports, with virtual files so no disk is needed. */
static void add(nidl_ctx_t *ctx, const char *path, const char *text)
{
    nidl_ctx_add_virtual_file(ctx, path, text, strlen(text));
}

static void sema_resolves_imports_and_scoped_names(void **state)
{
    (void)state;
    compiled_t c;
    capture_ctx(&c);
    nidl_ctx_add_include_dir(c.ctx, "inc");
    add(c.ctx, "inc/common/time.nidl",
        "package common;\nstruct Time { int64 sec; }\n"
        "const uint32 N = 3;\n");
    add(c.ctx, "dir/local.nidl", "package app;\nstruct Local { uint8 a; }\n");
    add(c.ctx, "dir/main.nidl",
        "package app;\nimport \"common/time.nidl\";\nimport \"local.nidl\";\n"
        "message M {\n    common.Time t;\n    Local l;\n    app.Local l2;\n"
        "    uint8 raw[common.N];\n}\n");
    c.schema = nidl_load_file(c.ctx, "dir/main.nidl");
    assert_compiles(&c);
    nidl_type_info_t ti;
    assert_int_equal(nidl_schema_type_info(c.schema, "M", &ti), 0);
    assert_string_equal(ti.qname, "app.M");
    assert_int_equal(ti.size, 8 + 1 + 1 + 3 + 3); /* 16: t, l, l2, raw, tail */
    compiled_free(&c);
}

static void sema_import_rules(void **state)
{
    (void)state;
    static const struct {
        const char *main;
        const char *want;
    } cases[] = {
        {"import \"a.nidl\";\nstruct S { uint8 x; }",
         "t.nidl:1:1: warning: nothing from 'a.nidl' is used [-Wunused-import]"},
        {"import \"a.nidl\";\nimport \"a.nidl\";\nstruct S { A x; }",
         "'a.nidl' is already imported"},
        {"import \"cyc1.nidl\";",
         "import cycle: 'cyc2.nidl' imports 'cyc1.nidl', which imports 'cyc2.nidl'"},
        {"import \"self.nidl\";", "import cycle: 'self.nidl' imports itself"},
        {"import \"a.nidl\";\nstruct S { a.A x; }",
         "unknown package 'a' in 'a.A'; did you mean 'pa'?"},
        {"import \"a.nidl\";\nstruct S { pa.B x; }", "unknown type 'pa.B'"},
        {"import \"a.nidl\";\nstruct S { pa.Aa x; }", "did you mean 'pa.A'?"},
        {"package pa;\nimport \"a.nidl\";\nstruct A { uint8 y; }",
         "'A' is already declared in package 'pa'"},
        {"import \"t.nidl\";", "import cycle"},
        {"import \"sub/t.nidl\";", "would generate 't.nidl.h', like this file"},
        {"import \"a.nidl\";\nimport \"sub/a.nidl\";\nstruct S { pa.A x; sb.A y; }",
         "'a.nidl' and 'sub/a.nidl' would both generate 'a.nidl.h'"},
        {"import \"broken.nidl\";\nstruct S { uint8 x; }",
         "broken.nidl:1:12: error: unknown type 'Q'"},
        {"import \"a.nidl\";\nmessage S { pa.A x; }\ntopic t : S { name = \"pa/at\"; }",
         "topic name 'pa/at' is already used by topic 'at'"},
        {"import \"a.nidl\";\nservice s : pa.AM -> pa.AM { name = \"pa/as\"; }",
         "service name 'pa/as' is already used by service 'as'"},
        {"package pa;\nimport \"a.nidl\";\nservice as : AM -> AM { name = \"pa/other\"; }",
         "'as' is already declared in package 'pa'"},
        {"import \"a.nidl\";\nservice s : pa.A -> pa.AM;",
         "'pa.A' is a struct; only a message can be the request of a service"},
        {"import \"a.nidl\";\nservice s : pa.AM -> pa.Am;",
         "unknown message 'pa.Am'; did you mean 'pa.AM'?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        compiled_t c;
        capture_ctx(&c);
        add(c.ctx, "a.nidl",
            "package pa;\nstruct A { uint8 a; }\nmessage AM { uint8 a; }\n"
            "topic at : AM;\nservice as : AM -> AM;\n");
        add(c.ctx, "sub/a.nidl", "package sb;\nstruct A { uint8 a; }\n");
        add(c.ctx, "sub/t.nidl", "package st;\nstruct Z { uint8 a; }\n");
        add(c.ctx, "cyc1.nidl", "import \"cyc2.nidl\";\n");
        add(c.ctx, "cyc2.nidl", "import \"cyc1.nidl\";\n");
        add(c.ctx, "self.nidl", "import \"self.nidl\";\n");
        add(c.ctx, "broken.nidl", "struct B { Q q; }\n");
        add(c.ctx, "p_a.nidl", "package p.a;\nstruct A { uint8 a; }\n");
        add(c.ctx, "t.nidl", cases[i].main);
        c.schema = nidl_load_file(c.ctx, "t.nidl");
        if (strstr(c.diag, cases[i].want) == NULL)
            fail_msg("case %zu:\n  want '%s'\n  got:\n%s", i, cases[i].want, c.diag);
        compiled_free(&c);
    }
}

static void sema_prefix_collision_between_packages(void **state)
{
    (void)state;
    compiled_t c;
    capture_ctx(&c);
    add(c.ctx, "x.nidl", "package p.a;\nstruct A { uint8 a; }\n");
    add(c.ctx, "t.nidl", "package p_a;\nimport \"x.nidl\";\nstruct S { p.a.A x; }\n");
    c.schema = nidl_load_file(c.ctx, "t.nidl");
    assert_null(c.schema);
    assert_diag_contains(
        &c, "package 'p.a' of 'x.nidl' has the same C prefix 'p_a_' as package 'p_a'");
    compiled_free(&c);
}

static void sema_warnings_can_be_switched(void **state)
{
    (void)state;
    const char *src = "struct S { uint8 a; uint32 b; }\n";
    compiled_t c;
    capture_ctx(&c);
    c.schema = nidl_load_string(c.ctx, "t.nidl", src, strlen(src));
    assert_compiles(&c); /* -Wpadding is off by default */
    compiled_free(&c);

    capture_ctx(&c);
    assert_int_equal(nidl_ctx_set_warning(c.ctx, "padding", true), 0);
    c.schema = nidl_load_string(c.ctx, "t.nidl", src, strlen(src));
    assert_non_null(c.schema);
    assert_diag_contains(
        &c, "t.nidl:1:28: warning: 3 bytes of padding before field 'b' [-Wpadding]");
    assert_int_equal(nidl_ctx_warning_count(c.ctx), 1);
    compiled_free(&c);

    capture_ctx(&c);
    assert_int_equal(nidl_ctx_set_warning(c.ctx, "padding", true), 0);
    assert_int_equal(nidl_ctx_set_warning(c.ctx, "error", true), 0);
    c.schema = nidl_load_string(c.ctx, "t.nidl", src, strlen(src));
    assert_null(c.schema);
    assert_diag_contains(&c,
                         "error: 3 bytes of padding before field 'b' [-Werror=padding]");
    assert_int_equal(nidl_ctx_status(c.ctx), NIDL_ESCHEMA);
    compiled_free(&c);

    capture_ctx(&c);
    assert_int_equal(nidl_ctx_set_warning(c.ctx, "no-such-warning", true), -1);
    assert_int_equal(nidl_ctx_set_warning(c.ctx, "unused-import", false), 0);
    add(c.ctx, "a.nidl", "struct A { uint8 a; }\n");
    src = "import \"a.nidl\";\nstruct S { uint8 x; }\n";
    c.schema = nidl_load_string(c.ctx, "t.nidl", src, strlen(src));
    assert_compiles(&c);
    compiled_free(&c);
}

static void sema_enum_fields_default_to_their_first_item(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c,
            "enum E : uint8 { ONE = 1, TWO }\nstruct S { E e; E arr[3]; E f = TWO; }\n");
    assert_compiles(&c);
    nidl_output_t out;
    assert_int_equal(nidl_generate(c.ctx, c.schema, &out), NIDL_OK);
    assert_non_null(strstr(out.source, "    msg->e = E_ONE;\n"));
    assert_non_null(strstr(out.source, "        msg->arr[i0] = E_ONE;\n"));
    assert_non_null(strstr(out.source, "    msg->f = E_TWO;\n"));
    nidl_output_free(&out);
    compiled_free(&c);
}

static void sema_rejects_file_names_unfit_for_include(void **state)
{
    (void)state;
    static const char *const names[] = {"we\"ird.nidl", "back\\slash.nidl", "what?.nidl",
                                        "new\nline.nidl"};
    const char *src = "struct S { uint8 a; }\n";
    for (size_t i = 0; i < 4; i++) {
        compiled_t c;
        capture_ctx(&c);
        assert_null(nidl_load_string(c.ctx, names[i], src, strlen(src)));
        assert_diag_contains(&c, "a schema's file name cannot contain quotes, backslashes");
        compiled_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sema_rejects_every_rule_violation),
        cmocka_unit_test(sema_evaluates_constants_exactly),
        cmocka_unit_test(sema_evaluates_float_constants_as_c),
        cmocka_unit_test(sema_numbers_enum_items_like_c),
        cmocka_unit_test(sema_fills_in_topics),
        cmocka_unit_test(sema_fills_in_services),
        cmocka_unit_test(sema_reports_every_error_not_only_the_first),
        cmocka_unit_test(sema_resolves_imports_and_scoped_names),
        cmocka_unit_test(sema_import_rules),
        cmocka_unit_test(sema_prefix_collision_between_packages),
        cmocka_unit_test(sema_warnings_can_be_switched),
        cmocka_unit_test(sema_enum_fields_default_to_their_first_item),
        cmocka_unit_test(sema_rejects_file_names_unfit_for_include),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
