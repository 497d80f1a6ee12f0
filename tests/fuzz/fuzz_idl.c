/*
 * fuzz_idl.c: libFuzzer target for the schema compiler. Each input is a
 * .nidl file; it is parsed, checked and, if valid, turned into C, all in
 * memory. Inputs cannot touch the disk: the file system is off, and the
 * only files an input can import are the virtual ones below (and itself,
 * as "fuzz.nidl", which exercises import cycles).
 *
 * Built two ways (tests/fuzz/meson.build):
 *   - with -Dfuzz=true and clang: `fuzz_idl`, a libFuzzer binary with ASan
 *     and UBSan (how to run it: docs/idlc.md, "Fuzzing");
 *   - always: `fuzz_idl_replay`, which feeds every file of the directories
 *     it is given to the same entry point, so `meson test` replays the seed
 *     corpus and every input that once crashed (tests/idlc/regress/).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nidl/nidl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(void *user, const char *text, size_t len)
{
    (void)user;
    (void)text;
    (void)len;
}

static const char dep_nidl[] =
    "package dep;\n"
    "const uint32 N = 4;\n"
    "enum E : uint8 { A, B = 5 }\n"
    "struct S { uint16 v = 1; string<3> s = \"ab\"; sequence<E, N> es; }\n"
    "message M { S s; E e; bytes<8> b; }\n"
    "topic m : M;\n";

static const char time_nidl[] = "package common;\n"
                                "struct Time { int64 sec; uint32 nsec; }\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nidl_ctx_t *ctx = nidl_ctx_create();
    if (ctx == NULL)
        return 0;
    nidl_ctx_set_diag_fn(ctx, discard, NULL);
    nidl_ctx_set_filesystem(ctx, false);
    nidl_ctx_add_virtual_file(ctx, "dep.nidl", dep_nidl, sizeof dep_nidl - 1);
    nidl_ctx_add_virtual_file(ctx, "common/time.nidl", time_nidl, sizeof time_nidl - 1);
    nidl_ctx_add_virtual_file(ctx, "fuzz.nidl", (const char *)data, size);
    const nidl_schema_t *schema = nidl_load_file(ctx, "fuzz.nidl");
    if (schema != NULL) {
        nidl_output_t out;
        if (nidl_generate(ctx, schema, &out) == NIDL_OK)
            nidl_output_free(&out);
    }
    nidl_ctx_destroy(ctx);
    return 0;
}
