/*
 * util.h: memory, growable buffers, pointer vectors, an arena and a string
 * map, shared by every part of the compiler.
 *
 * Running out of memory is not fatal, but it is not checked at every call
 * either: the x-allocators never return NULL. When one fails it calls
 * nidl__oom(), which jumps back to the public entry point that is running
 * (set up with nidl__oom_catch(), see ctx.h NIDL_OOM_GUARD); that call
 * returns NIDL_ENOMEM and the context refuses further work. That keeps
 * every other error path about the schema, not about malloc.
 */
#ifndef NIDL_UTIL_H
#define NIDL_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define NIDL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define NIDL_PRINTF(fmt, args)
#endif

#define NIDL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation (never NULL: a failure jumps to nidl__oom_catch) ----- */

void *nidl__xmalloc(size_t size);
void *nidl__xcalloc(size_t count, size_t size);
void *nidl__xrealloc(void *ptr, size_t size);
char *nidl__xstrdup(const char *s);
char *nidl__xstrndup(const char *s, size_t len);
/* malloc() that returns NULL on failure, for callers with something to
 * release first (a file descriptor); counted by the test hook below. */
void *nidl__malloc(size_t size);
/*
 * An allocation failed (or a size would overflow): longjmp to the innermost
 * nidl__oom_catch() of this thread. With none (a library bug: every public
 * entry point that allocates catches), print one line and abort().
 */
_Noreturn void nidl__oom(void);
/*
 * Make `env` this thread's target for nidl__oom() and return the previous
 * one, which the caller gives back to nidl__oom_release() on every way out
 * (setjmp(env) returning non-zero included). Per thread, so separate
 * contexts on separate threads stay independent.
 */
jmp_buf *nidl__oom_catch(jmp_buf *env);
void nidl__oom_release(jmp_buf *prev);
/*
 * Test hook: make the allocation after the next `n` ones fail (n = 0: the
 * next one); -1 turns it off. Per thread. Returns the number of
 * allocations made since the last call, for tests that sweep every one.
 */
long nidl__oom_fail_after(long n);

/* ---- growable byte buffer, always NUL-terminated once used ----------- */

typedef struct nidl_buf {
    char *data; /* NULL until the first write */
    size_t len;
    size_t cap;
} nidl_buf_t;

void nidl__buf_put(nidl_buf_t *b, const void *data, size_t len);
void nidl__buf_puts(nidl_buf_t *b, const char *s);
void nidl__buf_putc(nidl_buf_t *b, char c);
void nidl__buf_printf(nidl_buf_t *b, const char *fmt, ...) NIDL_PRINTF(2, 3);
void nidl__buf_vprintf(nidl_buf_t *b, const char *fmt, va_list ap) NIDL_PRINTF(2, 0);
/* Append n spaces. */
void nidl__buf_spaces(nidl_buf_t *b, size_t n);
/* Return the contents (never NULL, NUL-terminated) and reset b; caller frees. */
char *nidl__buf_take(nidl_buf_t *b);
/* The contents as a C string ("" when empty); borrowed, valid until the next write. */
const char *nidl__buf_str(nidl_buf_t *b);
void nidl__buf_free(nidl_buf_t *b);

/* ---- vector of pointers ---------------------------------------------- */

typedef struct nidl_vec {
    void **items;
    size_t len;
    size_t cap;
} nidl_vec_t;

void nidl__vec_push(nidl_vec_t *v, void *item);
/* Make room for `extra` more items, so that as many pushes cannot fail. */
void nidl__vec_reserve(nidl_vec_t *v, size_t extra);
void nidl__vec_free(nidl_vec_t *v);

/* ---- arena: many small objects freed at once ------------------------- */

typedef struct nidl_arena {
    struct nidl_arena_block *head;
} nidl_arena_t;

/* Zeroed memory aligned for any object; lives until nidl__arena_free(). */
void *nidl__arena_alloc(nidl_arena_t *a, size_t size);
char *nidl__arena_strndup(nidl_arena_t *a, const char *s, size_t len);
char *nidl__arena_strdup(nidl_arena_t *a, const char *s);
char *nidl__arena_printf(nidl_arena_t *a, const char *fmt, ...) NIDL_PRINTF(2, 3);
/* Copy a heap vector's items into the arena and free the vector. */
void **nidl__arena_adopt(nidl_arena_t *a, nidl_vec_t *v, size_t *len);
void nidl__arena_free(nidl_arena_t *a);

/* ---- map from byte strings to pointers (keys are borrowed) ----------- */

typedef struct nidl_map {
    struct nidl_map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
} nidl_map_t;

/* The value stored under key, or NULL. */
void *nidl__map_get(const nidl_map_t *m, const char *key, size_t klen);
/*
 * Store value under key unless the key is present. Returns NULL when
 * stored, else the value already there (which is kept). The key bytes are
 * borrowed and must outlive the map.
 */
void *nidl__map_put(nidl_map_t *m, const char *key, size_t klen, void *value);
void nidl__map_free(nidl_map_t *m);

/* ---- small helpers ---------------------------------------------------- */

/* 64-bit FNV-1a, continuing from h (start with NIDL_FNV_BASIS). */
#define NIDL_FNV_BASIS UINT64_C(0xcbf29ce484222325)
uint64_t nidl__fnv1a(uint64_t h, const void *data, size_t len);

/* Optimal string alignment distance, or limit + 1 if it exceeds limit. */
size_t nidl__edit_distance(const char *a, const char *b, size_t limit);

#endif /* NIDL_UTIL_H */
