/*
 * test_golden.c: regenerates every tests/golden/NAME.nidl in process and
 * compares the result byte for byte with the committed NAME.nidl.h and
 * NAME.nidl.c. After a deliberate change to the generator, run
 * tools/scripts/regen-golden and review the diff.
 *
 * The schemas are loaded from inside the golden directory by their bare
 * names, with ../../schemas on the import path, exactly as regen-golden
 * runs nexus-idlc, so the banners match.
 *
 *   test_idlc_golden /path/to/tests/golden
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include "idlc_test.h"

static void report_difference(const char *file, const char *want, const char *got)
{
    size_t line = 1, i = 0;
    while (want[i] != '\0' && want[i] == got[i]) {
        if (want[i] == '\n')
            line++;
        i++;
    }
    const char *ws = want + i, *gs = got + i;
    while (ws > want && ws[-1] != '\n') {
        ws--;
        gs--;
    }
    fail_msg(
        "%s differs from the generated code at line %zu:\n  committed: %.80s\n"
        "  generated: %.80s\n(run tools/scripts/regen-golden if the change is intended)",
        file, line, ws, gs);
}

static void compare(const char *file, const char *got, size_t got_len)
{
    size_t want_len = 0;
    char *want = read_all(file, &want_len);
    if (want == NULL)
        fail_msg("cannot read %s (run tools/scripts/regen-golden)", file);
    if (want_len != got_len || memcmp(want, got, got_len) != 0)
        report_difference(file, want, got);
    free(want);
}

static void golden_output_is_unchanged(void **state)
{
    const char *name = *state;
    compiled_t c;
    capture_ctx(&c);
    nidl_ctx_set_filesystem(c.ctx, true);
    nidl_ctx_add_include_dir(c.ctx, "../../schemas");
    c.schema = nidl_load_file(c.ctx, name);
    if (c.schema == NULL || c.len != 0)
        fail_msg("%s does not compile cleanly:\n%s", name, c.diag);
    nidl_output_t out;
    assert_int_equal(nidl_generate(c.ctx, c.schema, &out), NIDL_OK);
    compare(out.header_name, out.header, out.header_len);
    compare(out.source_name, out.source, out.source_len);

    /* Generating again gives the same bytes: nothing depends on time,
     * addresses or hash order. */
    nidl_output_t again;
    assert_int_equal(nidl_generate(c.ctx, c.schema, &again), NIDL_OK);
    assert_int_equal(again.header_len, out.header_len);
    assert_memory_equal(again.header, out.header, out.header_len);
    assert_int_equal(again.source_len, out.source_len);
    assert_memory_equal(again.source, out.source, out.source_len);
    nidl_output_free(&again);
    nidl_output_free(&out);
    compiled_free(&c);
}

int main(int argc, char **argv)
{
    if (argc != 2 || chdir(argv[1]) != 0) {
        fprintf(stderr, "usage: test_idlc_golden GOLDEN-DIR\n");
        return 2;
    }
    return run_tests_per_schema("golden", ".", false, golden_output_is_unchanged);
}
