/*
 * test_invalid.c: runs the real nexus-idlc on every invalid/NAME.nidl and
 * compares its stderr byte for byte with invalid/NAME.expected (location,
 * message, source line and caret). Each must exit with status 1, print
 * nothing on stdout, and write nothing into its output directory.
 *
 * invalid/NAME.args, when present, holds extra arguments (one per line).
 * Files that only serve as imports live in invalid/inc/ and are not cases.
 *
 *   test_idlc_invalid /path/to/nexus-idlc /path/to/tests/idlc/invalid
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>

#include "idlc_test.h"
#include "run_child.h"

static char idlc[PATH_MAX];
static char dir[PATH_MAX];

static size_t dir_entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    }
    closedir(d);
    return n;
}

static void invalid_schema_fails_with_expected_stderr(void **state)
{
    const char *name = *state;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.expected", dir, name);
    size_t want_len = 0;
    char *want = read_all(path, &want_len);
    if (want == NULL)
        fail_msg("%s.nidl has no %s.expected", name, name);

    char *argv[64];
    size_t argc = 0;
    argv[argc++] = idlc;
    snprintf(path, sizeof path, "%s/%s.args", dir, name);
    char *args = read_all(path, NULL);
    if (args != NULL) {
        for (char *tok = strtok(args, "\n"); tok != NULL && argc < 56;
             tok = strtok(NULL, "\n"))
            argv[argc++] = tok;
    }
    char out_dir[] = "/tmp/nidl-invalid-XXXXXX";
    assert_non_null(mkdtemp(out_dir));
    char nidl[PATH_MAX];
    snprintf(nidl, sizeof nidl, "%s.nidl", name);
    argv[argc++] = "-o";
    argv[argc++] = out_dir;
    argv[argc++] = nidl;
    argv[argc] = NULL;

    run_result_t r;
    assert_int_equal(run(argv, dir, &r), 0);
    size_t written = dir_entries(out_dir);
    rmdir(out_dir);
    if (r.err_len != want_len || memcmp(r.err, want, want_len) != 0)
        fail_msg("%s: stderr differs\n--- want\n%s--- got\n%s", name, want, r.err);
    if (r.status != 1)
        fail_msg("%s: exit status %d, want 1", name, r.status);
    if (r.out_len != 0)
        fail_msg("%s: unexpected stdout:\n%s", name, r.out);
    if (written != 0)
        fail_msg("%s: %zu files written despite the errors", name, written);
    run_free(&r);
    free(args);
    free(want);
}

int main(int argc, char **argv)
{
    if (argc != 3 || realpath(argv[1], idlc) == NULL || realpath(argv[2], dir) == NULL) {
        fprintf(stderr, "usage: test_idlc_invalid NEXUS-IDLC INVALID-DIR\n");
        return 2;
    }
    return run_tests_per_schema("invalid", dir, true,
                                invalid_schema_fails_with_expected_stderr);
}
