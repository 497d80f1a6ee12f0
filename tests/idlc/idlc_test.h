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
#define assert_compiles(c)                                                     \
    do {                                                                       \
        if ((c)->schema == NULL || (c)->len != 0)                              \
            fail_msg("expected a clean compile, got:\n%s", (c)->diag);        \
    } while (0)

/* Fail unless the diagnostics contain `want`. */
#define assert_diag_contains(c, want)                                          \
    do {                                                                       \
        if (strstr((c)->diag, (want)) == NULL)                                 \
            fail_msg("expected a diagnostic with\n  %s\ngot:\n%s", (want),    \
                     (c)->diag);                                              \
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

#endif /* IDLC_TEST_H */
