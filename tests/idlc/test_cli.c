/*
 * test_cli.c: the nexus-idlc command line, run as a separate process:
 * options, exit statuses (0 ok, 1 schema errors, 2 usage or I/O error),
 * output and dependency files, templates from --template-dir, and that a
 * failed run never leaves a partial or changed output file behind; inputs
 * that are not regular files (FIFOs, directories, devices) or too large,
 * and running out of memory under RLIMIT_AS.
 *
 *   test_idlc_cli /path/to/nexus-idlc /path/to/templates/c
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "idlc_test.h"
#include "run_child.h"

static char idlc[PATH_MAX];
static char templates[PATH_MAX];

/* A scratch directory per test, removed afterwards. */
typedef struct scratch {
    char dir[64];
} scratch_t;

static int setup(void **state)
{
    scratch_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    strcpy(s->dir, "/tmp/nidl-cli-XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    *state = s;
    return 0;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(path);
}

static int teardown(void **state)
{
    scratch_t *s = *state;
    remove_tree(s->dir);
    free(s);
    return 0;
}

static void write_file(const scratch_t *s, const char *name, const char *text)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", s->dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *slurp(const scratch_t *s, const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", s->dir, name);
    return read_all(p, NULL);
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Run nexus-idlc with up to 12 arguments in s->dir. */
#define IDLC(s, r, ...)                                                                    \
    do {                                                                                   \
        char *argv_[] = {idlc, __VA_ARGS__, NULL};                                         \
        assert_int_equal(run(argv_, (s)->dir, (r)), 0);                                    \
    } while (0)

/*
 * As run(), but the child gets limits first: an address-space limit of
 * `as_bytes` (0: none), no core files, and an alarm of 10 s, so that a
 * child that hangs (on a FIFO, say) is killed and fails the test instead
 * of hanging it (the alarm survives exec).
 */
static int run_limited(char *const argv[], const char *cwd, rlim_t as_bytes,
                       run_result_t *r)
{
    memset(r, 0, sizeof *r);
    int out = spawn_tmpfile(), err = spawn_tmpfile();
    if (out < 0 || err < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        struct rlimit core = {0, 0};
        struct rlimit as = {as_bytes, as_bytes};
        if (dup2(out, 1) < 0 || dup2(err, 2) < 0 || (cwd != NULL && chdir(cwd) != 0) ||
            setrlimit(RLIMIT_CORE, &core) != 0 ||
            (as_bytes != 0 && setrlimit(RLIMIT_AS, &as) != 0))
            _exit(127);
        alarm(10);
        execv(argv[0], argv);
        _exit(127);
    }
    return spawn_collect(pid, out, err, r);
}

/* Run nexus-idlc under run_limited() with up to 12 arguments in s->dir. */
#define IDLC_LIMITED(s, as, r, ...)                                                        \
    do {                                                                                   \
        char *argv_[] = {idlc, __VA_ARGS__, NULL};                                         \
        assert_int_equal(run_limited(argv_, (s)->dir, (as), (r)), 0);                      \
    } while (0)

static const char *const good = "package demo;\nimport \"dep.nidl\";\n"
                                "message M { dep.D d; uint8 x = 7; }\ntopic t : M;\n";
static const char *const dep = "package dep;\nstruct D { uint16 v; }\n";

static void cli_version_and_help(void **state)
{
    scratch_t *s = *state;
    run_result_t r;
    IDLC(s, &r, "--version");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "nexus-idlc " NIDL_VERSION "\n");
    run_free(&r);
    IDLC(s, &r, "--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: nexus-idlc [options] FILE.nidl..."));
    assert_non_null(strstr(r.out, "-Wunused-import"));
    run_free(&r);
}

static void cli_usage_errors_exit_2(void **state)
{
    scratch_t *s = *state;
    static const struct {
        const char *arg;
        const char *err;
    } cases[] = {
        {"--frobnicate", "nexus-idlc: error: unknown option '--frobnicate'\n"},
        {"-Wno-such-thing", "nexus-idlc: error: unknown warning '-Wno-such-thing'\n"},
        {"-o", "nexus-idlc: error: missing value after '-o'\n"},
        {"--depfile", "nexus-idlc: error: missing value after '--depfile'\n"},
    };
    run_result_t r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        IDLC(s, &r, (char *)cases[i].arg);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, cases[i].err));
        run_free(&r);
    }
    {
        char *argv[] = {idlc, NULL};
        assert_int_equal(run(argv, s->dir, &r), 0);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "no input files"));
        run_free(&r);
    }
    IDLC(s, &r, "missing.nidl");
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "nexus-idlc: error: cannot read 'missing.nidl': "
                               "No such file or directory\n");
    run_free(&r);
}

static void cli_writes_both_files_for_every_output_option(void **state)
{
    scratch_t *s = *state;
    write_file(s, "good.nidl", good);
    write_file(s, "dep.nidl", dep);
    static const char *const forms[][2] = {
        {"-o", "out1"},           {"-oout2", NULL},
        {"--output-dir", "out3"}, {"--output-dir=out4", NULL},
        {"--out-dir", "out5"},    {"--out-dir=out6", NULL},
    };
    run_result_t r;
    for (size_t i = 0; i < 6; i++) {
        char dir[16], path[PATH_MAX];
        snprintf(dir, sizeof dir, "out%zu", i + 1);
        snprintf(path, sizeof path, "%s/%s", s->dir, dir);
        assert_int_equal(mkdir(path, 0777), 0);
        if (forms[i][1] != NULL)
            IDLC(s, &r, (char *)forms[i][0], (char *)forms[i][1], "good.nidl");
        else
            IDLC(s, &r, (char *)forms[i][0], "good.nidl");
        if (r.status != 0)
            fail_msg("%s: %s", forms[i][0], r.err);
        assert_int_equal(r.err_len, 0);
        assert_int_equal(count_files(path), 2); /* no temporary left */
        char name[64];
        snprintf(name, sizeof name, "%s/good.nidl.h", dir);
        char *h = slurp(s, name);
        assert_non_null(h);
        assert_non_null(strstr(h, "/* good.nidl.h: generated by nexus-idlc " NIDL_VERSION
                                  " from good.nidl. Do not edit. */\n"));
        assert_non_null(strstr(h, "#include \"dep.nidl.h\""));
        free(h);
        snprintf(name, sizeof name, "%s/good.nidl.c", dir);
        char *c = slurp(s, name);
        assert_non_null(c);
        assert_non_null(strstr(c, "#include \"good.nidl.h\""));
        free(c);
        run_free(&r);
    }
}

static void cli_check_writes_nothing(void **state)
{
    scratch_t *s = *state;
    write_file(s, "good.nidl", good);
    write_file(s, "dep.nidl", dep);
    run_result_t r;
    IDLC(s, &r, "--check", "--depfile", "x.d", "good.nidl");
    assert_int_equal(r.status, 0);
    assert_int_equal(count_files(s->dir), 2);
    run_free(&r);
}

static void cli_writes_a_depfile_with_every_input_and_import(void **state)
{
    scratch_t *s = *state;
    write_file(s, "good.nidl", good);
    write_file(s, "dep.nidl", dep);
    write_file(s, "other file.nidl", "struct O { uint8 o; }\n");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/out", s->dir);
    assert_int_equal(mkdir(path, 0777), 0);
    run_result_t r;
    IDLC(s, &r, "--depfile", "deps.d", "-o", "out", "good.nidl", "other file.nidl");
    if (r.status != 0)
        fail_msg("%s", r.err);
    char *d = slurp(s, "deps.d");
    assert_non_null(d);
    assert_string_equal(d, "out/good.nidl.h out/good.nidl.c out/other\\ file.nidl.h "
                           "out/other\\ file.nidl.c: \\\n"
                           "  good.nidl \\\n"
                           "  dep.nidl \\\n"
                           "  other\\ file.nidl\n");
    free(d);
    assert_int_equal(count_files(path), 4);
    run_free(&r);
}

static void cli_errors_leave_existing_outputs_untouched(void **state)
{
    scratch_t *s = *state;
    write_file(s, "good.nidl", good);
    write_file(s, "dep.nidl", dep);
    write_file(s, "bad.nidl", "struct B { uint8 x = 300; }\n");
    write_file(s, "good.nidl.h", "old header\n");
    write_file(s, "good.nidl.c", "old source\n");
    run_result_t r;
    /* One bad input: nothing is written, not even for the good one. */
    IDLC(s, &r, "good.nidl", "bad.nidl");
    assert_int_equal(r.status, 1);
    assert_non_null(
        strstr(r.err, "bad.nidl:1:22: error: value 300 does not fit in 'uint8'"));
    run_free(&r);
    char *h = slurp(s, "good.nidl.h"), *c = slurp(s, "good.nidl.c");
    assert_string_equal(h, "old header\n");
    assert_string_equal(c, "old source\n");
    free(h);
    free(c);
    assert_int_equal(count_files(s->dir), 5);
}

static void cli_reports_unwritable_output_with_status_2(void **state)
{
    scratch_t *s = *state;
    write_file(s, "good.nidl", good);
    write_file(s, "dep.nidl", dep);
    run_result_t r;
    IDLC(s, &r, "-o", "no/such/dir", "good.nidl");
    assert_int_equal(r.status, 2);
    assert_non_null(
        strstr(r.err, "nexus-idlc: error: cannot create 'no/such/dir/good.nidl.h.tmp."));
    run_free(&r);
}

static void cli_rejects_two_inputs_with_the_same_outputs(void **state)
{
    scratch_t *s = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/a", s->dir);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/b", s->dir);
    assert_int_equal(mkdir(path, 0777), 0);
    write_file(s, "a/x.nidl", "package a;\nstruct S { uint8 v; }\n");
    write_file(s, "b/x.nidl", "package b;\nstruct S { uint8 v; }\n");
    run_result_t r;
    IDLC(s, &r, "a/x.nidl", "b/x.nidl");
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "nexus-idlc: error: 'a/x.nidl' and 'b/x.nidl' would both "
                               "generate 'x.nidl.h'\n");
    assert_int_equal(count_files(s->dir), 2);
    run_free(&r);
}

static void cli_switches_warnings(void **state)
{
    scratch_t *s = *state;
    write_file(s, "dep.nidl", dep);
    write_file(s, "w.nidl", "import \"dep.nidl\";\nstruct W { uint8 a; uint32 b; }\n");
    run_result_t r;
    IDLC(s, &r, "--check", "w.nidl");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "w.nidl:1:1: warning: nothing from 'dep.nidl' is used "
                                  "[-Wunused-import]"));
    run_free(&r);
    IDLC(s, &r, "--check", "-Wno-unused-import", "w.nidl");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err_len, 0);
    run_free(&r);
    IDLC(s, &r, "--check", "-Wno-unused-import", "-Wpadding", "w.nidl");
    assert_int_equal(r.status, 0);
    assert_non_null(
        strstr(r.err, "warning: 3 bytes of padding before field 'b' [-Wpadding]"));
    run_free(&r);
    IDLC(s, &r, "--check", "-Werror", "w.nidl");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "error: nothing from 'dep.nidl' is used "
                                  "[-Werror=unused-import]"));
    run_free(&r);
}

static void copy_template(const scratch_t *s, const char *name, const char *edit_from,
                          const char *edit_to)
{
    char src[PATH_MAX + 64];
    snprintf(src, sizeof src, "%s/%s", templates, name);
    char *text = read_all(src, NULL);
    assert_non_null(text);
    char dst[64];
    snprintf(dst, sizeof dst, "tpl/%s", name);
    if (edit_from != NULL) {
        char *at = strstr(text, edit_from);
        assert_non_null(at);
        size_t n = strlen(text) + strlen(edit_to) + 1;
        char *edited = malloc(n);
        assert_non_null(edited);
        snprintf(edited, n, "%.*s%s%s", (int)(at - text), text, edit_to,
                 at + strlen(edit_from));
        free(text);
        text = edited;
    }
    write_file(s, dst, text);
    free(text);
}

static void cli_uses_templates_from_template_dir(void **state)
{
    scratch_t *s = *state;
    write_file(s, "good.nidl", good);
    write_file(s, "dep.nidl", dep);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/tpl", s->dir);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/ref", s->dir);
    assert_int_equal(mkdir(path, 0777), 0);
    run_result_t r;

    /* Copies of the built-in templates give the same output, and are
     * dependencies. */
    copy_template(s, "header.h.in", "Do not edit.", "Do not edit (custom).");
    copy_template(s, "source.c.in", NULL, NULL);
    IDLC(s, &r, "--template-dir", "tpl", "--depfile", "d.d", "good.nidl");
    if (r.status != 0)
        fail_msg("%s", r.err);
    run_free(&r);
    char *h = slurp(s, "good.nidl.h");
    assert_non_null(strstr(h, "Do not edit (custom). */"));
    free(h);
    char *d = slurp(s, "d.d");
    assert_non_null(strstr(d, "  tpl/header.h.in \\\n  tpl/source.c.in\n"));
    free(d);

    /* An unknown placeholder: status 2, reported where it is. */
    copy_template(s, "header.h.in", "{{guard}}\n#define", "{{gaurd}}\n#define");
    IDLC(s, &r, "--template-dir", "tpl", "-o", "ref", "good.nidl");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "tpl/header.h.in:"));
    assert_non_null(strstr(r.err, "error: unknown placeholder 'gaurd'"));
    assert_int_equal(count_files(path), 0);
    run_free(&r);

    /* A value the template forgets to use: status 2 as well. */
    copy_template(s, "header.h.in", "{{version}}", "0.0");
    IDLC(s, &r, "--template-dir", "tpl", "-o", "ref", "good.nidl");
    assert_int_equal(r.status, 2);
    assert_non_null(
        strstr(r.err, "error: template 'tpl/header.h.in' never uses 'version'"));
    run_free(&r);

    /* A missing template. */
    IDLC(s, &r, "--template-dir", "nowhere", "-o", "ref", "good.nidl");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "cannot read template 'nowhere/header.h.in'"));
    assert_int_equal(count_files(path), 0);
    run_free(&r);
}

static void cli_accepts_inputs_after_double_dash(void **state)
{
    scratch_t *s = *state;
    write_file(s, "-odd.nidl", "struct O { uint8 o; }\n");
    run_result_t r;
    IDLC(s, &r, "--check", "--", "-odd.nidl");
    assert_int_equal(r.status, 0);
    run_free(&r);
}

static void make_fifo(const scratch_t *s, const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", s->dir, name);
    assert_int_equal(mkfifo(p, 0600), 0);
}

static void cli_refuses_a_fifo_as_input_without_blocking(void **state)
{
    scratch_t *s = *state;
    make_fifo(s, "pipe.nidl");
    run_result_t r;
    IDLC_LIMITED(s, 0, &r, "--check", "pipe.nidl");
    assert_int_equal(r.status, 2);
    assert_string_equal(
        r.err, "nexus-idlc: error: cannot read 'pipe.nidl': not a regular file (a FIFO)\n");
    run_free(&r);
}

static void cli_refuses_a_fifo_as_import_without_blocking(void **state)
{
    scratch_t *s = *state;
    make_fifo(s, "pipe.nidl");
    write_file(s, "main.nidl",
               "package m;\nimport \"pipe.nidl\";\nstruct S { uint8 x; }\n");
    run_result_t r;
    IDLC_LIMITED(s, 0, &r, "-o", ".", "main.nidl");
    assert_int_equal(r.status, 2);
    assert_string_equal(
        r.err, "main.nidl:2:8: error: cannot read imported file 'pipe.nidl': not a "
               "regular file (a FIFO)\n"
               "    2 | import \"pipe.nidl\";\n"
               "      |        ^~~~~~~~~~~\n");
    assert_int_equal(count_files(s->dir), 2); /* nothing written */
    run_free(&r);
}

static void cli_refuses_directories_and_devices(void **state)
{
    scratch_t *s = *state;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/dir.nidl", s->dir);
    assert_int_equal(mkdir(p, 0700), 0);
    run_result_t r;
    IDLC_LIMITED(s, 0, &r, "--check", "dir.nidl");
    assert_int_equal(r.status, 2);
    assert_string_equal(
        r.err,
        "nexus-idlc: error: cannot read 'dir.nidl': not a regular file (a directory)\n");
    run_free(&r);
    IDLC_LIMITED(s, 0, &r, "--check", "/dev/null");
    assert_int_equal(r.status, 2);
    assert_string_equal(
        r.err,
        "nexus-idlc: error: cannot read '/dev/null': not a regular file (a character device)\n");
    run_free(&r);
    /* The import search passes over a directory of the name, to the next
     * directory of the path; with none left the import is not found. */
    write_file(s, "main.nidl", "import \"dir.nidl\";\nstruct S { uint8 x; }\n");
    IDLC_LIMITED(s, 0, &r, "--check", "main.nidl");
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "main.nidl:1:8: error: cannot find imported file 'dir.nidl' "
                               "(searched '.')\n"
                               "    1 | import \"dir.nidl\";\n"
                               "      |        ^~~~~~~~~~\n");
    run_free(&r);
}

static void cli_refuses_an_oversized_file_before_reading_it(void **state)
{
    scratch_t *s = *state;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/huge.nidl", s->dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    /* Sparse: 1 TiB costs nothing unless someone reads it. */
    assert_int_equal(ftruncate(fd, (off_t)1 << 40), 0);
    close(fd);
    snprintf(p, sizeof p, "%s/over.nidl", s->dir);
    fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 16 * 1024 * 1024 + 1), 0);
    close(fd);
    run_result_t r;
    IDLC_LIMITED(s, 0, &r, "--check", "huge.nidl");
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "nexus-idlc: error: cannot read 'huge.nidl': it is "
                               "1099511627776 bytes, over the limit of 16777216 bytes (16 "
                               "MiB) per file\n");
    run_free(&r);
    write_file(s, "main.nidl", "import \"over.nidl\";\nstruct S { uint8 x; }\n");
    IDLC_LIMITED(s, 0, &r, "--check", "main.nidl");
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err,
                        "main.nidl:1:8: error: cannot read imported file 'over.nidl': "
                        "it is 16777217 bytes, over the limit of 16777216 bytes (16 "
                        "MiB) per file\n"
                        "    1 | import \"over.nidl\";\n"
                        "      |        ^~~~~~~~~~~\n");
    run_free(&r);
}

static void cli_reports_out_of_memory_with_status_2(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* ASan reserves terabytes of address space: no RLIMIT_AS */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    skip();
#endif
#endif
    scratch_t *s = *state;
    /* An 8 MB schema (under the 16 MiB limit) in a 64 MiB address space:
     * the text, the scanner's copy and the syntax tree do not fit. */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/big.nidl", s->dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("package big;\n", f);
    for (int i = 0; i < 40000; i++)
        fprintf(f,
                "/// Message %d.\nmessage M%d {\n    uint64 seq;\n    int32 a = -1;\n"
                "    string<31> name = \"m%d\";\n    sequence<uint16, 4> shorts;\n"
                "    float32 v[4];\n    bool ok;\n}\ntopic t%d : M%d;\n",
                i, i, i, i, i);
    assert_int_equal(fclose(f), 0);
    snprintf(p, sizeof p, "%s/out", s->dir);
    assert_int_equal(mkdir(p, 0700), 0);
    run_result_t r;
    IDLC_LIMITED(s, (rlim_t)64 << 20, &r, "-o", "out", "big.nidl");
    assert_int_equal(r.status, 2); /* not 128 + SIGABRT or SIGSEGV */
    assert_string_equal(r.err, "nexus-idlc: error: out of memory\n");
    assert_int_equal(count_files(p), 0);
    run_free(&r);
    /* Without the limit it compiles: the failure was memory. */
    IDLC_LIMITED(s, 0, &r, "--check", "big.nidl");
    assert_int_equal(r.status, 0);
    run_free(&r);
}

int main(int argc, char **argv)
{
    if (argc != 3 || realpath(argv[1], idlc) == NULL ||
        realpath(argv[2], templates) == NULL) {
        fprintf(stderr, "usage: test_idlc_cli NEXUS-IDLC TEMPLATE-DIR\n");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cli_version_and_help, setup, teardown),
        cmocka_unit_test_setup_teardown(cli_usage_errors_exit_2, setup, teardown),
        cmocka_unit_test_setup_teardown(cli_writes_both_files_for_every_output_option,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(cli_check_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(cli_writes_a_depfile_with_every_input_and_import,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(cli_errors_leave_existing_outputs_untouched, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cli_reports_unwritable_output_with_status_2, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cli_rejects_two_inputs_with_the_same_outputs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cli_switches_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(cli_uses_templates_from_template_dir, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cli_accepts_inputs_after_double_dash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cli_refuses_a_fifo_as_input_without_blocking, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cli_refuses_a_fifo_as_import_without_blocking,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(cli_refuses_directories_and_devices, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cli_refuses_an_oversized_file_before_reading_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(cli_reports_out_of_memory_with_status_2, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
