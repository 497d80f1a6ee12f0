/*
 * tests/idlc/idlc_test.h: helpers of the compiler's cmocka tests. Include
 * after <setjmp.h>, <stdarg.h>, <stddef.h> and <cmocka.h>.
 *
 * A `compiled_t` holds a context whose diagnostics are captured in memory,
 * so a test can feed a schema string to the library and compare the exact
 * text the compiler would have printed.
 */
#ifndef IDLC_TEST_H
#define IDLC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nidl/nidl.h"

#include <dirent.h>
#include <stdbool.h>

typedef struct compiled {
    nidl_ctx_t *ctx;
    const nidl_schema_t *schema; /* NULL if it had errors */
    char *diag;                  /* every diagnostic, NUL-terminated */
    size_t len;
    size_t cap;
} compiled_t;

static inline void capture_diag(void *user, const char *text, size_t len)
{
    compiled_t *c = user;
    if (c->len + len + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 256;
        while (cap < c->len + len + 1)
            cap *= 2;
        char *p = realloc(c->diag, cap);
        assert_non_null(p);
        c->diag = p;
        c->cap = cap;
    }
    memcpy(c->diag + c->len, text, len);
    c->len += len;
    c->diag[c->len] = '\0';
}

/* A context that captures its diagnostics into c. */
static inline nidl_ctx_t *capture_ctx(compiled_t *c)
{
    memset(c, 0, sizeof *c);
    c->ctx = nidl_ctx_create();
    assert_non_null(c->ctx);
    c->diag = calloc(1, 1);
    assert_non_null(c->diag);
    c->cap = 1;
    nidl_ctx_set_diag_fn(c->ctx, capture_diag, c);
    nidl_ctx_set_filesystem(c->ctx, false);
    return c->ctx;
}

/* Compile `text` as the file "t.nidl" (no file system access). */
static inline void compile(compiled_t *c, const char *text)
{
    capture_ctx(c);
    c->schema = nidl_load_string(c->ctx, "t.nidl", text, strlen(text));
}

static inline void compiled_free(compiled_t *c)
{
    nidl_ctx_destroy(c->ctx);
    free(c->diag);
    memset(c, 0, sizeof *c);
}

/* Fail, showing the diagnostics, unless the schema compiled cleanly. */
#define assert_compiles(c)                                                                 \
    do {                                                                                   \
        if ((c)->schema == NULL || (c)->len != 0)                                          \
            fail_msg("expected a clean compile, got:\n%s", (c)->diag);                     \
    } while (0)

/* Fail unless the diagnostics contain `want`. */
#define assert_diag_contains(c, want)                                                      \
    do {                                                                                   \
        if (strstr((c)->diag, (want)) == NULL)                                             \
            fail_msg("expected a diagnostic with\n  %s\ngot:\n%s", (want), (c)->diag);     \
    } while (0)

/* Read a whole file; NULL if it cannot be read. Caller frees. */
static inline char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        if (len != NULL)
            *len = n;
    }
    return buf;
}

/*
 * Run test_fn once per "*.nidl" file of dir, in name order, as the cmocka
 * group `group`. Each test's state is the file name, without ".nidl" if
 * strip_ext. Returns what cmocka returns (failures), or 2 if dir cannot be
 * read.
 */
static inline int nidl_files_cmp_(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline int run_tests_per_schema(const char *group, const char *dir, bool strip_ext,
                                       CMUnitTestFunction test_fn)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        perror(dir);
        return 2;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".nidl") != 0)
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (grown == NULL)
            return 2;
        names = grown;
        names[n] = strip_ext ? strndup(e->d_name, len - 5) : strdup(e->d_name);
        if (names[n] == NULL)
            return 2;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, nidl_files_cmp_);
    struct CMUnitTest *tests = calloc(n ? n : 1, sizeof *tests);
    if (tests == NULL)
        return 2;
    for (size_t i = 0; i < n; i++) {
        tests[i].name = names[i];
        tests[i].test_func = test_fn;
        tests[i].initial_state = names[i];
    }
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tests);
    return failed;
}

#endif /* IDLC_TEST_H */
