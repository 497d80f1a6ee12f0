/*
 * test_generated.c: the code nexus-idlc generates, compiled with strict
 * warnings (see meson.build) and checked at run time: layouts against the
 * C compiler, the descriptors and idlc's own numbers; defaults after
 * _init; _validate on valid and corrupted values, nested ones included;
 * _to_string; the topic descriptors and typed wrappers; fingerprints.
 *
 * The schemas: the golden ones (tests/golden), the examples and common
 * types of schemas/, and variant.nidl.in in this directory.
 *
 *   test_generated GOLDEN-DIR SCHEMAS-DIR
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "everything.nidl.h"
#include "geometry.nidl.h"
#include "hello.nidl.h"
#include "nopkg.nidl.h"
#include "sensors.nidl.h"
#include "variant_a.nidl.h"
#include "variant_b.nidl.h"

#include "nidl/nidl.h"

static const char *golden_dir;
static const char *schemas_dir;

#define NX_CHECK(want, expr)                                                               \
    do {                                                                                   \
        nx_err_t e_ = (expr);                                                              \
        if (e_ != (want))                                                                  \
            fail_msg("%s -> %d, want %d", #expr, (int)e_, (int)(want));                    \
    } while (0)

/* Load a schema file in process, with schemas/ on the import path. */
static nidl_ctx_t *load(const char *dir, const char *name, const nidl_schema_t **out)
{
    nidl_ctx_t *ctx = nidl_ctx_create();
    assert_non_null(ctx);
    nidl_ctx_add_include_dir(ctx, schemas_dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *out = nidl_load_file(ctx, path);
    assert_non_null(*out);
    return ctx;
}

/*
 * A descriptor against idlc's layout of the same type and against the C
 * compiler (size, alignment, fingerprint; every field's offset and size).
 */
static void check_desc(const nidl_schema_t *s, const char *name, const nx_type_desc_t *d,
                       size_t c_size, size_t c_align)
{
    nidl_type_info_t t;
    assert_int_equal(nidl_schema_type_info(s, name, &t), 0);
    assert_string_equal(d->name, t.qname);
    assert_int_equal(d->size, c_size);
    assert_int_equal(d->size, t.size);
    assert_int_equal(d->align, c_align);
    /* idlc's alignment is the layout's (8 for 64-bit members); the C type's
     * is the platform ABI's. They agree on every 64-bit ABI and ARM's EABI;
     * the i386 psABI aligns 64-bit members to 4 inside structs. The layout
     * is the same everywhere all the same: idlc pads explicitly, so every
     * offset and the size agree (checked here). */
    if (sizeof(void *) == 8)
        assert_int_equal(d->align, t.align);
    else
        assert_true(d->align <= t.align && t.align % d->align == 0);
    assert_true(d->fingerprint == t.fingerprint);
    assert_int_equal(d->field_count, t.field_count);
    assert_non_null(d->validate);
    for (uint32_t i = 0; i < d->field_count; i++) {
        nidl_field_info_t f;
        assert_int_equal(nidl_schema_field_info(s, name, i, &f), 0);
        assert_string_equal(d->fields[i].name, f.name);
        assert_int_equal(d->fields[i].offset, f.offset);
        assert_int_equal(d->fields[i].size, f.size);
    }
}

static void generated_layouts_agree_with_the_compiler_and_idlc(void **state)
{
    (void)state;
    const nidl_schema_t *s;
    nidl_ctx_t *ctx = load(golden_dir, "everything.nidl", &s);
    check_desc(s, "Everything", &golden_all_Everything_desc, sizeof(golden_all_Everything),
               _Alignof(golden_all_Everything));
    check_desc(s, "Inner", &golden_all_Inner_desc, sizeof(golden_all_Inner),
               _Alignof(golden_all_Inner));
    check_desc(s, "Holder", &golden_all_Holder_desc, sizeof(golden_all_Holder),
               _Alignof(golden_all_Holder));
    check_desc(s, "Small", &golden_all_Small_desc, sizeof(golden_all_Small),
               _Alignof(golden_all_Small));
    nidl_ctx_destroy(ctx);

    ctx = load(golden_dir, "base.nidl", &s);
    check_desc(s, "Point", &golden_base_Point_desc, sizeof(golden_base_Point),
               _Alignof(golden_base_Point));
    nidl_ctx_destroy(ctx);

    ctx = load(schemas_dir, "examples/sensors.nidl", &s);
    check_desc(s, "Zone", &vehicle_sensors_Zone_desc, sizeof(vehicle_sensors_Zone),
               _Alignof(vehicle_sensors_Zone));
    check_desc(s, "Temperature", &vehicle_sensors_Temperature_desc,
               sizeof(vehicle_sensors_Temperature), _Alignof(vehicle_sensors_Temperature));
    check_desc(s, "CameraFrame", &vehicle_sensors_CameraFrame_desc,
               sizeof(vehicle_sensors_CameraFrame), _Alignof(vehicle_sensors_CameraFrame));
    nidl_ctx_destroy(ctx);

    ctx = load(schemas_dir, "examples/hello.nidl", &s);
    check_desc(s, "Greeting", &hello_Greeting_desc, sizeof(hello_Greeting),
               _Alignof(hello_Greeting));
    check_desc(s, "Ping", &hello_Ping_desc, sizeof(hello_Ping), _Alignof(hello_Ping));
    nidl_ctx_destroy(ctx);

    /* A few offsets by name, against offsetof. */
    assert_int_equal(offsetof(golden_all_Everything, i64), 8);
    assert_int_equal(offsetof(golden_all_Everything, f64), 40);
    assert_int_equal(offsetof(golden_all_Everything, inner), 364);
    assert_int_equal(offsetof(golden_all_Everything, doubles.items), 208 + 8);
    assert_int_equal(sizeof(golden_all_Everything), 392);
    assert_int_equal(offsetof(vehicle_sensors_Temperature, zones), 20);
    assert_int_equal(offsetof(vehicle_sensors_Temperature, valid), 248);
    assert_int_equal(sizeof(vehicle_sensors_Temperature), 256);
    assert_int_equal(sizeof(vehicle_sensors_CameraFrame), 8388620);
    assert_int_equal(sizeof(hello_Ping), 8 + 8 + 204 + 4);
}

static void generated_constants_keep_type_and_value(void **state)
{
    (void)state;
    assert_int_equal(VEHICLE_SENSORS_MAX_ZONES, 8);
    assert_true(VEHICLE_SENSORS_ABSOLUTE_ZERO == -273.15);
    assert_true(GOLDEN_BASE_FLAG);
    assert_int_equal(GOLDEN_BASE_LETTER, 'A');
    assert_int_equal(GOLDEN_BASE_NEWLINE, '\n');
    assert_true(GOLDEN_BASE_I8_MIN == INT8_MIN);
    assert_true(GOLDEN_BASE_I16_MIN == INT16_MIN);
    assert_true(GOLDEN_BASE_I32_MIN == INT32_MIN);
    assert_true(GOLDEN_BASE_I64_MIN == INT64_MIN);
    assert_true(GOLDEN_BASE_U32_MAX == UINT32_MAX);
    assert_true(GOLDEN_BASE_U64_MAX == UINT64_MAX);
    assert_true(GOLDEN_BASE_HALF == 0.5f);
    assert_true(GOLDEN_BASE_AVOGADRO == 6.02214076e23);
    assert_true(GOLDEN_BASE_TINY == 1e-30);
    assert_int_equal(GOLDEN_BASE_TWICE, 8);
    assert_int_equal(GOLDEN_ALL_N, 4);
    assert_int_equal(GOLDEN_BASE_QUALITY_BAD, 11);
    assert_true(GOLDEN_BASE_WIDE_LOWEST == INT64_MIN);
    assert_true(GOLDEN_BASE_WIDE_HIGHEST == INT64_MAX);
    assert_int_equal(PORT, 8080);
    assert_int_equal(COMMON_SOURCE_MAX, 31);
    assert_true(COMMON_NSEC_PER_SEC == 1000000000);
}

/* Fill a value with a pattern, then _init it. */
#define INIT_OVER(T, ptr, pattern)                                                         \
    do {                                                                                   \
        memset((ptr), (pattern), sizeof(T));                                               \
        T##_init(ptr);                                                                     \
    } while (0)

static void generated_init_zeroes_then_sets_defaults(void **state)
{
    (void)state;
    golden_all_Everything a, b;
    INIT_OVER(golden_all_Everything, &a, 0xAA);
    INIT_OVER(golden_all_Everything, &b, 0x55);
    /* Every byte, padding included, is set: no garbage reaches a peer. */
    assert_memory_equal(&a, &b, sizeof a);

    assert_false(a.b);
    assert_int_equal(a.i8, -8);
    assert_int_equal(a.i16, -16);
    assert_true(a.i32 == INT32_MIN);
    assert_true(a.i64 == INT64_MIN);
    assert_int_equal(a.u8, 8);
    assert_int_equal(a.u16, 16);
    assert_true(a.u32 == UINT32_MAX);
    assert_true(a.u64 == UINT64_MAX);
    assert_true(a.f32 == 0.1f);
    assert_true(a.f64 == 0.0 && signbit(a.f64));
    assert_int_equal(a.c, 0);
    assert_int_equal(a.by, 0xAB);
    assert_int_equal(a.quality, GOLDEN_BASE_QUALITY_UNKNOWN);
    assert_int_equal(a.plain, GOLDEN_ALL_PLAIN_C);
    assert_string_equal(a.name, "tab\there \"q\"?");
    assert_int_equal(a.blob.len, 0);
    assert_int_equal(a.shorts.count, 0);
    assert_int_equal(a.inners.count, 0);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++)
            assert_int_equal(a.mode_grid[i][j], GOLDEN_ALL_MODE_ONE);
        assert_int_equal(a.inner_grid[i].mode, GOLDEN_ALL_MODE_ONE);
        assert_string_equal(a.inner_grid[i].label, "inner");
    }
    assert_true(a.inner.on);
    assert_int_equal(a.inner.tag, 't');
    assert_string_equal(a.inner.label, "inner");
    assert_true(a.inner.point.x == 1.5f);
    assert_true(a.inner.point.y == -2.25f);
    assert_int_equal(a.inner.point.quality, GOLDEN_BASE_QUALITY_GOOD);
    /* Sequence items stay zero: the sequence is empty. */
    assert_int_equal(a.inners.items[0].mode, 0);

    vehicle_sensors_Zone z;
    INIT_OVER(vehicle_sensors_Zone, &z, 0xFF);
    assert_true(z.value == 20.0f);
    assert_string_equal(z.name, "");
    vehicle_sensors_Temperature t;
    INIT_OVER(vehicle_sensors_Temperature, &t, 0xFF);
    assert_int_equal(t.unit, VEHICLE_SENSORS_UNIT_CELSIUS);
    common_Quaternion q;
    INIT_OVER(common_Quaternion, &q, 0xFF);
    assert_true(q.w == 1.0 && q.x == 0.0);

    variant_alpha_Batch va;
    variant_beta_two_Batch vb;
    INIT_OVER(variant_alpha_Batch, &va, 0xFF);
    INIT_OVER(variant_beta_two_Batch, &vb, 0xFF);
    assert_int_equal(va.id, 7);
    assert_string_equal(vb.first.name, "item");
    assert_int_equal(vb.first.level, VARIANT_BETA_TWO_LEVEL_LOW);
    assert_int_equal(sizeof va, sizeof vb);
    assert_memory_equal(&va, &vb, sizeof va);
}

static void generated_validate_accepts_init_values(void **state)
{
    (void)state;
    golden_all_Everything e;
    golden_all_Everything_init(&e);
    NX_CHECK(NX_OK, golden_all_Everything_validate(&e));
    NX_CHECK(NX_OK, golden_all_Everything_desc.validate(&e));
    golden_all_Holder h;
    golden_all_Holder_init(&h);
    NX_CHECK(NX_OK, golden_all_Holder_validate(&h));
    vehicle_sensors_Temperature t;
    vehicle_sensors_Temperature_init(&t);
    NX_CHECK(NX_OK, vehicle_sensors_Temperature_validate(&t));
    hello_Greeting g;
    hello_Greeting_init(&g);
    NX_CHECK(NX_OK, hello_Greeting_validate(&g));
    Pixel p;
    Pixel_init(&p);
    NX_CHECK(NX_OK, Pixel_validate(&p));
    /* A large message: 8 MiB of pixels. */
    vehicle_sensors_CameraFrame *f = malloc(sizeof *f);
    assert_non_null(f);
    vehicle_sensors_CameraFrame_init(f);
    f->pixels.len = 8388608;
    NX_CHECK(NX_OK, vehicle_sensors_CameraFrame_validate(f));
    f->pixels.len = 8388609;
    NX_CHECK(NX_ECORRUPT, vehicle_sensors_CameraFrame_validate(f));
    free(f);
}

/* One corruption of an Everything that _validate must catch. */
typedef void (*corrupt_fn)(golden_all_Everything *e);

static void c_bool(golden_all_Everything *e)
{
    memset(&e->b, 2, 1);
}
static void c_string(golden_all_Everything *e)
{
    memset(e->name, 'x', sizeof e->name);
}
static void c_bytes_len(golden_all_Everything *e)
{
    e->blob.len = 6;
}
static void c_seq_count(golden_all_Everything *e)
{
    e->shorts.count = 4;
}
static void c_enum(golden_all_Everything *e)
{
    e->plain = 3;
}
static void c_imported_enum(golden_all_Everything *e)
{
    e->quality = 5;
}
static void c_seq_enum(golden_all_Everything *e)
{
    e->modes.count = 2;
    e->modes.items[0] = GOLDEN_ALL_MODE_TWO;
    e->modes.items[1] = 0;
}
static void c_seq_struct(golden_all_Everything *e)
{
    e->inners.count = 1;
    golden_all_Inner_init(&e->inners.items[0]);
    memset(e->inners.items[0].label, 'y', sizeof e->inners.items[0].label);
}
static void c_seq_string(golden_all_Everything *e)
{
    e->names.count = 2;
    memset(e->names.items[1], 'z', sizeof e->names.items[1]);
}
static void c_seq_bytes(golden_all_Everything *e)
{
    e->blobs.count = 1;
    e->blobs.items[0].len = 3;
}
static void c_seq_seq(golden_all_Everything *e)
{
    e->nested.count = 2;
    e->nested.items[1].count = 3;
}
static void c_seq_seq_bool(golden_all_Everything *e)
{
    e->nested.count = 1;
    e->nested.items[0].count = 2;
    memset(&e->nested.items[0].items[1], 0x80, 1);
}
static void c_array_enum(golden_all_Everything *e)
{
    e->mode_grid[1][1] = 7;
}
static void c_array_struct(golden_all_Everything *e)
{
    memset(&e->inner_grid[1].on, 9, 1);
}
static void c_array_string(golden_all_Everything *e)
{
    memset(e->labels[1], 'w', 4);
}
static void c_array_bytes(golden_all_Everything *e)
{
    e->blob_array[1].len = 4;
}
static void c_array_seq(golden_all_Everything *e)
{
    e->seq_array[0].count = 3;
}
static void c_array_bool(golden_all_Everything *e)
{
    memset(&e->flags[0][0][0][0], 3, 1);
}
static void c_nested(golden_all_Everything *e)
{
    e->inner.mode = 0;
}
static void c_nested_twice(golden_all_Everything *e)
{
    e->inner.point.quality = 12;
}

static void generated_validate_rejects_each_corruption(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        corrupt_fn fn;
    } cases[] = {
        {"bool byte 2", c_bool},
        {"unterminated string", c_string},
        {"bytes len over bound", c_bytes_len},
        {"sequence count over bound", c_seq_count},
        {"undeclared enum value", c_enum},
        {"undeclared value of an imported enum", c_imported_enum},
        {"undeclared enum in a sequence", c_seq_enum},
        {"unterminated string in a sequence of structs", c_seq_struct},
        {"unterminated string in a sequence of strings", c_seq_string},
        {"bytes len in a sequence", c_seq_bytes},
        {"count of an inner sequence", c_seq_seq},
        {"bool in a sequence of sequences", c_seq_seq_bool},
        {"undeclared enum in an array", c_array_enum},
        {"bool in an array of structs", c_array_struct},
        {"unterminated string in an array", c_array_string},
        {"bytes len in an array", c_array_bytes},
        {"sequence count in an array", c_array_seq},
        {"bool in a 4-d array", c_array_bool},
        {"nested struct", c_nested},
        {"struct nested twice, imported", c_nested_twice},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        golden_all_Everything e;
        golden_all_Everything_init(&e);
        cases[i].fn(&e);
        if (golden_all_Everything_validate(&e) != NX_ECORRUPT)
            fail_msg("not caught: %s", cases[i].what);
        if (golden_all_Everything_desc.validate(&e) != NX_ECORRUPT)
            fail_msg("not caught by the descriptor: %s", cases[i].what);
        golden_all_Holder h;
        golden_all_Holder_init(&h);
        cases[i].fn(&h.everything);
        if (golden_all_Holder_validate(&h) != NX_ECORRUPT)
            fail_msg("not caught when nested: %s", cases[i].what);
    }
}

static void generated_validate_ignores_what_is_not_in_use(void **state)
{
    (void)state;
    golden_all_Everything e;
    golden_all_Everything_init(&e);
    /* Past count and len nothing is read; after the NUL neither. */
    e.modes.count = 1;
    e.modes.items[0] = GOLDEN_ALL_MODE_THREE;
    e.modes.items[1] = 99;
    e.blob.len = 5;
    e.name[0] = '\0';
    memset(e.name + 1, 'q', sizeof e.name - 1);
    memset(e.inners.items, 0xEE, sizeof e.inners.items);
    NX_CHECK(NX_OK, golden_all_Everything_validate(&e));
    e.u64 = 12345; /* numbers are never wrong */
    e.f64 = -1e300;
    NX_CHECK(NX_OK, golden_all_Everything_validate(&e));
}

static void generated_enum_names(void **state)
{
    (void)state;
    assert_string_equal(golden_all_Mode_to_string(GOLDEN_ALL_MODE_ONE), "ONE");
    assert_string_equal(golden_all_Mode_to_string(GOLDEN_ALL_MODE_THREE), "THREE");
    assert_string_equal(golden_all_Mode_to_string(0), "?");
    assert_string_equal(golden_all_Mode_to_string(4), "?");
    assert_true(golden_all_Mode_is_valid(GOLDEN_ALL_MODE_TWO));
    assert_false(golden_all_Mode_is_valid(0));
    assert_string_equal(golden_base_Quality_to_string(GOLDEN_BASE_QUALITY_BAD), "BAD");
    assert_string_equal(golden_base_Wide_to_string(GOLDEN_BASE_WIDE_LOWEST), "LOWEST");
    assert_string_equal(golden_base_Wide_to_string(1), "?");
    assert_string_equal(vehicle_sensors_Unit_to_string(VEHICLE_SENSORS_UNIT_FAHRENHEIT),
                        "FAHRENHEIT");
    assert_string_equal(Color_to_string(COLOR_GREEN), "GREEN");
    assert_string_equal(variant_alpha_Level_to_string(VARIANT_ALPHA_LEVEL_HIGH), "HIGH");
}

static const nx_field_desc_t *field(const nx_type_desc_t *d, const char *name)
{
    for (uint32_t i = 0; i < d->field_count; i++) {
        if (strcmp(d->fields[i].name, name) == 0)
            return &d->fields[i];
    }
    fail_msg("no field %s in %s", name, d->name);
    return NULL;
}

static void generated_descriptors_describe_every_field(void **state)
{
    (void)state;
    const nx_type_desc_t *d = &golden_all_Everything_desc;
    assert_string_equal(d->name, "golden.all.Everything");
    assert_int_equal(d->field_count, 32);
    const nx_field_desc_t *f = field(d, "i16");
    assert_int_equal(f->kind, NX_KIND_INT16);
    assert_int_equal(f->offset, offsetof(golden_all_Everything, i16));
    assert_int_equal(f->size, 2);
    assert_int_equal(field(d, "by")->kind, NX_KIND_BYTE);
    assert_int_equal(field(d, "c")->kind, NX_KIND_CHAR);
    f = field(d, "quality");
    assert_int_equal(f->kind, NX_KIND_ENUM);
    assert_int_equal(f->enum_base, NX_KIND_UINT8);
    f = field(d, "name");
    assert_int_equal(f->kind, NX_KIND_STRING);
    assert_int_equal(f->bound, 15);
    assert_int_equal(f->size, 16);
    f = field(d, "blob");
    assert_int_equal(f->kind, NX_KIND_BYTES);
    assert_int_equal(f->bound, 5);
    assert_int_equal(f->size, sizeof(((golden_all_Everything *)0)->blob));
    f = field(d, "modes");
    assert_int_equal(f->kind, NX_KIND_SEQUENCE);
    assert_int_equal(f->elem_kind, NX_KIND_ENUM);
    assert_int_equal(f->enum_base, NX_KIND_UINT16);
    assert_int_equal(f->bound, 2);
    f = field(d, "inners");
    assert_int_equal(f->elem_kind, NX_KIND_STRUCT);
    assert_ptr_equal(f->type, &golden_all_Inner_desc);
    assert_int_equal(field(d, "names")->elem_kind, NX_KIND_STRING);
    assert_int_equal(field(d, "nested")->elem_kind, NX_KIND_SEQUENCE);
    f = field(d, "grid");
    assert_int_equal(f->kind, NX_KIND_UINT8);
    assert_int_equal(f->ndims, 2);
    assert_int_equal(f->dims[0], 2);
    assert_int_equal(f->dims[1], 3);
    assert_int_equal(f->size, 6);
    f = field(d, "inner_grid");
    assert_int_equal(f->kind, NX_KIND_STRUCT);
    assert_int_equal(f->ndims, 1);
    assert_ptr_equal(f->type, &golden_all_Inner_desc);
    f = field(d, "flags");
    assert_int_equal(f->ndims, 4);
    f = field(d, "b");
    assert_int_equal(f->ndims, 0);
    assert_int_equal(f->bound, 0);
    assert_null(f->type);
    f = field(&golden_all_Inner_desc, "point");
    assert_ptr_equal(f->type, &golden_base_Point_desc);
    f = field(&vehicle_sensors_Temperature_desc, "stamp");
    assert_ptr_equal(f->type, &common_Time_desc);
}

static void generated_topic_descriptors(void **state)
{
    (void)state;
    const nx_topic_desc_t *t = &golden_all_everything_topic;
    assert_string_equal(t->name, "golden/all/everything");
    assert_ptr_equal(t->type, &golden_all_Everything_desc);
    assert_int_equal(t->on_full, NX_ON_FULL_FAIL);
    assert_int_equal(t->block_ms, 0);
    t = &golden_all_everything_block_topic;
    assert_int_equal(t->on_full, NX_ON_FULL_BLOCK);
    assert_int_equal(t->block_ms, 100);
    t = &golden_all_holders_topic;
    assert_string_equal(t->name, "golden/holders-v1.0");
    assert_int_equal(t->block_ms, 250);
    assert_ptr_equal(golden_all_pings_topic.type, &golden_base_Ping_desc);
    assert_string_equal(vehicle_sensors_cabin_temp_topic.name,
                        "vehicle/sensors/cabin_temp");
    assert_string_equal(vehicle_sensors_engine_temp_topic.name, "engine/temp");
    assert_int_equal(vehicle_sensors_engine_temp_topic.block_ms, 20);
    assert_string_equal(vehicle_sensors_front_camera_topic.name, "camera/front");
    assert_string_equal(hello_greetings_topic.name, "hello/greetings");
    assert_string_equal(hello_ping_topic.name, "hello/ping");
    assert_string_equal(hello_pong_topic.name, "hello/pong");
    assert_string_equal(pixels_topic.name, "pixels");
    assert_string_equal(variant_beta_two_batches_topic.name, "variant/beta/two/batches");
}

static void on_greeting(const hello_Greeting *msg, const nx_msg_info_t *info, void *user)
{
    (void)msg;
    (void)info;
    (void)user;
}

static void generated_wrappers_reject_a_null_node(void **state)
{
    (void)state;
    hello_Greeting g;
    hello_Greeting_init(&g);
    NX_CHECK(NX_EINVAL, hello_greetings_publish(NULL, &g));
    NX_CHECK(NX_EINVAL, hello_greetings_subscribe(NULL, on_greeting, NULL));
    NX_CHECK(NX_EINVAL, hello_greetings_unsubscribe(NULL));
    hello_Greeting *loan = &g;
    NX_CHECK(NX_EINVAL, hello_greetings_loan(NULL, &loan));
    assert_ptr_equal(loan, &g); /* untouched on failure */
    NX_CHECK(NX_EINVAL, hello_greetings_loan(NULL, NULL));
    NX_CHECK(NX_EINVAL, hello_greetings_publish_loan(NULL, &g));
    NX_CHECK(NX_EINVAL, hello_greetings_loan_release(NULL, &g));
    golden_all_Holder h;
    golden_all_Holder_init(&h);
    NX_CHECK(NX_EINVAL, golden_all_holders_publish(NULL, &h));
    NX_CHECK(NX_EINVAL, golden_all_holders_unsubscribe(NULL));
    NX_CHECK(NX_EINVAL, pixels_unsubscribe(NULL));
}

static uint64_t fingerprint(const char *src, const char *type)
{
    nidl_ctx_t *ctx = nidl_ctx_create();
    assert_non_null(ctx);
    const nidl_schema_t *s = nidl_load_string(ctx, "f.nidl", src, strlen(src));
    if (s == NULL)
        fail_msg("does not compile: %s", src);
    nidl_type_info_t t;
    assert_int_equal(nidl_schema_type_info(s, type, &t), 0);
    nidl_ctx_destroy(ctx);
    return t.fingerprint;
}

static void generated_fingerprints_follow_the_layout_only(void **state)
{
    (void)state;
    static const char *const base =
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[2]; }\n";
    /* The same canonical form. */
    static const char *const same[] = {
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M {\n  // a comment\n  uint32 a = 5; /* another */\n  string<8> s = \"x\";\n"
        "  /// a doc comment\n  In in;\n  E e = B;\n  float64 arr[1 + 1];\n}\n",
        "package fp;\nconst uint32 EIGHT = 8;\nenum E : uint8 { A, B, }\nstruct In { uint16 v; }\n"
        "struct M { uint32 a; string<EIGHT> s; In in; E e; float64 arr[2]; }\n",
        "/// The file.\npackage fp;\n\n\n   enum E : uint8 { A = 0, B = 1 }"
        "  struct In{uint16 v;}message M{uint32 a;string<8>s;In in;E e;float64 arr[2];}",
    };
    /* A different one. */
    static const char *const different[] = {
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { uint32 b; string<8> s; In in; E e; float64 arr[2]; }\n", /* renamed */
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { string<8> s; uint32 a; In in; E e; float64 arr[2]; }\n", /* reordered */
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { int32 a; string<8> s; In in; E e; float64 arr[2]; }\n", /* retyped */
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<9> s; In in; E e; float64 arr[2]; }\n", /* rebound */
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[3]; }\n", /* dimension */
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[2][1]; }\n", /* dims */
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint32 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[2]; }\n", /* nested type */
        "package fp;\nenum E : uint8 { A, C }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[2]; }\n", /* enum item */
        "package fp;\nenum E : uint8 { A, B = 5 }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[2]; }\n", /* enum value */
        "package fp;\nenum E : uint16 { A, B }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[2]; }\n", /* enum base */
        "package fp2;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[2]; }\n", /* package */
        "package fp;\nenum E : uint8 { A, B }\nstruct In { uint16 v; }\n"
        "message M { uint32 a; string<8> s; In in; E e; float64 arr[2]; bool more; }\n",
    };
    uint64_t want = fingerprint(base, "M");
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        if (fingerprint(same[i], "M") != want)
            fail_msg("fingerprint changed for an equivalent schema:\n%s", same[i]);
    }
    for (size_t i = 0; i < sizeof different / sizeof different[0]; i++) {
        if (fingerprint(different[i], "M") == want)
            fail_msg("fingerprint did not change for:\n%s", different[i]);
    }
    /* Renaming the type itself changes it too. */
    assert_true(fingerprint("struct A { uint8 x; }", "A") !=
                fingerprint("struct B { uint8 x; }", "B"));
}

static void generated_type_ids_match_descriptors_and_idlc(void **state)
{
    (void)state;
    assert_true(GOLDEN_ALL_EVERYTHING_TYPE_ID == golden_all_Everything_desc.fingerprint);
    assert_true(GOLDEN_ALL_INNER_TYPE_ID == golden_all_Inner_desc.fingerprint);
    assert_true(GOLDEN_BASE_POINT_TYPE_ID == golden_base_Point_desc.fingerprint);
    assert_true(VEHICLE_SENSORS_TEMPERATURE_TYPE_ID ==
                vehicle_sensors_Temperature_desc.fingerprint);
    assert_true(HELLO_GREETING_TYPE_ID == hello_Greeting_desc.fingerprint);
    assert_true(PIXEL_TYPE_ID == Pixel_desc.fingerprint);
    /* The two packages of the variant differ in name only. */
    assert_true(VARIANT_ALPHA_BATCH_TYPE_ID != VARIANT_BETA_TWO_BATCH_TYPE_ID);
    assert_int_equal(variant_alpha_Batch_desc.size, variant_beta_two_Batch_desc.size);

    const nidl_schema_t *s;
    nidl_ctx_t *ctx = load(schemas_dir, "examples/sensors.nidl", &s);
    nidl_type_info_t t;
    assert_int_equal(nidl_schema_type_info(s, "Temperature", &t), 0);
    assert_true(t.fingerprint == VEHICLE_SENSORS_TEMPERATURE_TYPE_ID);
    nidl_ctx_destroy(ctx);
    /* The same type in another file (here: the golden copy of the NIDL.md
     * example) has the same fingerprint: the file is not part of it. */
    ctx = load(golden_dir, "sensors.nidl", &s);
    assert_int_equal(nidl_schema_type_info(s, "Temperature", &t), 0);
    assert_true(t.fingerprint == VEHICLE_SENSORS_TEMPERATURE_TYPE_ID);
    nidl_ctx_destroy(ctx);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_generated GOLDEN-DIR SCHEMAS-DIR\n");
        return 2;
    }
    golden_dir = argv[1];
    schemas_dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_layouts_agree_with_the_compiler_and_idlc),
        cmocka_unit_test(generated_constants_keep_type_and_value),
        cmocka_unit_test(generated_init_zeroes_then_sets_defaults),
        cmocka_unit_test(generated_validate_accepts_init_values),
        cmocka_unit_test(generated_validate_rejects_each_corruption),
        cmocka_unit_test(generated_validate_ignores_what_is_not_in_use),
        cmocka_unit_test(generated_enum_names),
        cmocka_unit_test(generated_descriptors_describe_every_field),
        cmocka_unit_test(generated_topic_descriptors),
        cmocka_unit_test(generated_wrappers_reject_a_null_node),
        cmocka_unit_test(generated_fingerprints_follow_the_layout_only),
        cmocka_unit_test(generated_type_ids_match_descriptors_and_idlc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
