/*
 * test_layout.c: sizes, alignments and offsets computed by idlc, and the
 * fingerprint's canonical form as docs/nidl-reference.md documents it.
 * (tests/generated checks the same layouts against the C compiler.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "idlc_test.h"

typedef struct layout_case {
    const char *fields; /* body of struct S */
    uint32_t size;
    uint32_t align;
    uint32_t offsets[4]; /* of the first fields */
} layout_case_t;

static const layout_case_t cases[] = {
    {"bool a; int8 b; char c; byte d;", 4, 1, {0, 1, 2, 3}},
    {"uint8 a; uint16 b; uint32 c; uint64 d;", 16, 8, {0, 2, 4, 8}},
    {"uint8 a; uint64 b;", 16, 8, {0, 8}},
    {"uint64 a; uint8 b;", 16, 8, {0, 8}},
    {"float32 a; float64 b; int16 c;", 24, 8, {0, 8, 16}},
    {"uint8 a; string<15> s; uint8 b;", 18, 1, {0, 1, 17}},
    {"uint8 a; bytes<5> b;", 16, 4, {0, 4}},             /* 4 + 5 + 3 tail */
    {"uint8 a; sequence<uint8, 3> q;", 12, 4, {0, 4}},   /* 4 + 3 + 1 */
    {"uint8 a; sequence<float64, 2> q;", 32, 8, {0, 8}}, /* count, pad 4, 16 */
    {"sequence<string<3>, 2> q;", 12, 4, {0}},
    {"sequence<bytes<1>, 3> q;", 28, 4, {0}},            /* 4 + 3 x 8 */
    {"sequence<sequence<uint64, 1>, 2> q;", 40, 8, {0}}, /* 8 + 2 x 16 */
    {"uint16 a[3][2]; uint8 b;", 14, 2, {0, 12}},
    {"uint8 a; float64 b[2][2][2][2];", 136, 8, {0, 8}},
    {"uint8 a; E e; uint8 b;", 6, 2, {0, 2, 4}}, /* E : uint16 */
    {"uint8 a; T t;", 24, 8, {0, 8}},            /* T holds a uint64 */
    {"bytes<8388608> pixels;", 8388612, 4, {0}},
    {"bytes<1073741824> big;", 1073741828, 4, {0}},
};

static void layout_matches_the_c_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char src[512];
        snprintf(
            src, sizeof src,
            "enum E : uint16 { X }\nstruct T { uint64 v; uint8 w; }\nstruct S { %s }\n",
            cases[i].fields);
        compiled_t c;
        compile(&c, src);
        if (c.schema == NULL)
            fail_msg("case %zu <%s>:\n%s", i, cases[i].fields, c.diag);
        nidl_type_info_t t;
        assert_int_equal(nidl_schema_type_info(c.schema, "S", &t), 0);
        if (t.size != cases[i].size || t.align != cases[i].align)
            fail_msg("case %zu <%s>: size %u align %u", i, cases[i].fields, t.size,
                     t.align);
        for (size_t k = 0; k < t.field_count && k < 4; k++) {
            nidl_field_info_t f;
            assert_int_equal(nidl_schema_field_info(c.schema, "S", k, &f), 0);
            if (f.offset != cases[i].offsets[k])
                fail_msg("case %zu <%s>: field %zu at %u", i, cases[i].fields, k, f.offset);
        }
        compiled_free(&c);
    }
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static uint64_t fingerprint(const char *src, const char *type)
{
    compiled_t c;
    compile(&c, src);
    if (c.schema == NULL)
        fail_msg("<%s>:\n%s", src, c.diag);
    nidl_type_info_t t;
    assert_int_equal(nidl_schema_type_info(c.schema, type, &t), 0);
    compiled_free(&c);
    return t.fingerprint;
}

static void layout_fingerprint_is_fnv1a_of_the_documented_canonical_form(void **state)
{
    (void)state;
    /* These strings are the examples of docs/nidl-reference.md. */
    assert_true(
        fingerprint("package p;\nstruct S { uint8 a; string<4> b; float64 c[2][3]; }",
                    "S") == fnv1a("struct p.S{a:uint8;b:string<4>;c:float64[2][3];}"));
    assert_true(fingerprint("struct S { bytes<9> b; sequence<int16, 7> q; }", "S") ==
                fnv1a("struct S{b:bytes<9>;q:sequence<int16,7>;}"));
    char want[128];
    uint64_t e;
    e = fnv1a("enum p.E:int8{A=0,B=-1}");
    snprintf(want, sizeof want, "struct p.S{e:enum p.E@%016llx;}", (unsigned long long)e);
    assert_true(fingerprint("package p;\nenum E : int8 { A, B = -1 }\nstruct S { E e; }",
                            "S") == fnv1a(want));
    uint64_t inner = fnv1a("struct p.In{x:uint32;}");
    snprintf(want, sizeof want, "struct p.O{i:struct p.In@%016llx;}",
             (unsigned long long)inner);
    assert_true(fingerprint("package p;\nstruct In { uint32 x; }\nstruct O { In i; }",
                            "O") == fnv1a(want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_matches_the_c_rules),
        cmocka_unit_test(layout_fingerprint_is_fnv1a_of_the_documented_canonical_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
