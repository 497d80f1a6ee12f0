/*
 * test_oom.c: running out of memory at every allocation of a whole run
 * (load with an import, generate, write the outputs and a depfile), made
 * to fail one at a time with the library's test hook
 * (nidl__oom_fail_after). Each run must end with NIDL_ENOMEM from the call
 * that ran out, refuse all later work, leave no temporary file behind and
 * be freed by nidl_ctx_destroy(); never crash or abort.
 *
 * The small temporaries of the interrupted call (the scanner's buffers, a
 * list being parsed) are documented as possibly not returned (nidl.h), so
 * leak checking is off in this binary only; ASan still checks every access
 * of the interrupted runs and of the clean-up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>

#include "idlc_test.h"
#include "util.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

static const char *const schema =
    "package demo;\nimport \"dep.nidl\";\n"
    "/// A message.\nmessage M { dep.D d; string<8> s = \"x\";\n"
    "  sequence<uint16, 4> v; uint8 x = 7; }\ntopic t : M;\n";
static const char *const dep = "package dep;\nstruct D { uint16 v; }\n";

/* Entries of dir whose name contains ".tmp." */
static size_t count_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void remove_all(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

/* One whole run with the allocation after `fail_after` others failing
 * (-1: none). Returns the final status; *allocs is how many allocations
 * were made. */
static nidl_status_t one_run(const char *dir, long fail_after, long *allocs)
{
    compiled_t c;
    nidl_ctx_t *ctx = capture_ctx(&c);
    nidl__oom_fail_after(fail_after);
    nidl_ctx_add_include_dir(ctx, "inc");
    nidl_ctx_add_virtual_file(ctx, "dep.nidl", dep, strlen(dep));
    const nidl_schema_t *s = nidl_load_string(ctx, "demo.nidl", schema, strlen(schema));
    nidl_output_t out;
    nidl_status_t st = s != NULL ? nidl_generate(ctx, s, &out) : nidl_ctx_status(ctx);
    if (st == NIDL_OK) {
        st = nidl_write_output(ctx, &out, dir);
        if (st == NIDL_OK) {
            char dfile[512];
            snprintf(dfile, sizeof dfile, "%s/demo.d", dir);
            const char *targets[] = {"demo.nidl.h", "demo.nidl.c"};
            st = nidl_write_depfile(ctx, dfile, targets, 2);
        }
        nidl_output_free(&out);
    }
    *allocs = nidl__oom_fail_after(-1);
    if (st == NIDL_ENOMEM) {
        assert_int_equal(nidl_ctx_status(ctx), NIDL_ENOMEM);
        /* Every later call is refused at once, without allocating. */
        assert_null(nidl_load_string(ctx, "again.nidl", dep, strlen(dep)));
        nidl_output_t o2;
        assert_int_equal(nidl_generate(ctx, s, &o2), NIDL_ENOMEM);
        assert_null(o2.header);
        assert_int_equal(nidl_write_output(ctx, &o2, dir), NIDL_ENOMEM);
        assert_int_equal(nidl__oom_fail_after(-1), 0);
    }
    compiled_free(&c);
    assert_int_equal(count_temporaries(dir), 0);
    return st;
}

static void oom_at_every_allocation_is_an_error(void **state)
{
    (void)state;
    char dir[] = "/tmp/nidl-oom-XXXXXX";
    assert_non_null(mkdtemp(dir));
    long total;
    assert_int_equal(one_run(dir, -1, &total), NIDL_OK);
    assert_true(total > 100);
    remove_all(dir);
    for (long n = 0; n < total; n++) {
        long allocs;
        nidl_status_t st = one_run(dir, n, &allocs);
        if (st != NIDL_ENOMEM)
            fail_msg("failing allocation %ld of %ld gave status %d", n, total, (int)st);
        remove_all(dir);
    }
    print_message("%ld allocations, each failed once\n", total);
    rmdir(dir);
}

static void oom_in_a_setter_poisons_the_context(void **state)
{
    (void)state;
    compiled_t c;
    nidl_ctx_t *ctx = capture_ctx(&c);
    nidl__oom_fail_after(0);
    nidl_ctx_set_template_dir(ctx, "somewhere");
    nidl__oom_fail_after(-1);
    assert_int_equal(nidl_ctx_status(ctx), NIDL_ENOMEM);
    assert_null(nidl_load_string(ctx, "t.nidl", dep, strlen(dep)));
    assert_string_equal(c.diag, ""); /* the caller reports it, not the library */
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oom_at_every_allocation_is_an_error),
        cmocka_unit_test(oom_in_a_setter_poisons_the_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
