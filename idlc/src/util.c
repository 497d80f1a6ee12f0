/* util.c: see util.h. */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocation ------------------------------------------------------- */

static _Thread_local jmp_buf *oom_target;
static _Thread_local long oom_countdown = -1; /* allocations left before a failure */
static _Thread_local long oom_count;          /* allocations since the last hook call */

_Noreturn void nidl__oom(void)
{
    if (oom_target != NULL)
        longjmp(*oom_target, 1);
    fputs("nexus-idlc: internal error: out of memory outside the library's guard\n",
          stderr);
    abort();
}

jmp_buf *nidl__oom_catch(jmp_buf *env)
{
    jmp_buf *prev = oom_target;
    oom_target = env;
    return prev;
}

void nidl__oom_release(jmp_buf *prev)
{
    oom_target = prev;
}

long nidl__oom_fail_after(long n)
{
    long count = oom_count;
    oom_count = 0;
    oom_countdown = n;
    return count;
}

/* Whether the test hook says this allocation fails. */
static bool injected_failure(void)
{
    oom_count++;
    if (oom_countdown < 0)
        return false;
    if (oom_countdown == 0) {
        oom_countdown = -1;
        return true;
    }
    oom_countdown--;
    return false;
}

void *nidl__malloc(size_t size)
{
    return injected_failure() ? NULL : malloc(size == 0 ? 1 : size);
}

void *nidl__xmalloc(size_t size)
{
    void *p = injected_failure() ? NULL : malloc(size == 0 ? 1 : size);
    if (p == NULL)
        nidl__oom();
    return p;
}

void *nidl__xcalloc(size_t count, size_t size)
{
    void *p =
        injected_failure() ? NULL : calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
    if (p == NULL)
        nidl__oom();
    return p;
}

void *nidl__xrealloc(void *ptr, size_t size)
{
    void *p = injected_failure() ? NULL : realloc(ptr, size == 0 ? 1 : size);
    if (p == NULL)
        nidl__oom(); /* ptr is still valid and still owned by the caller */
    return p;
}

char *nidl__xstrndup(const char *s, size_t len)
{
    char *p = nidl__xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *nidl__xstrdup(const char *s)
{
    return nidl__xstrndup(s, strlen(s));
}

/* ---- buffer ----------------------------------------------------------- */

static void buf_reserve(nidl_buf_t *b, size_t extra)
{
    if (extra >= SIZE_MAX / 2 - b->len)
        nidl__oom();
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = nidl__xrealloc(b->data, cap);
    b->cap = cap;
}

void nidl__buf_put(nidl_buf_t *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void nidl__buf_puts(nidl_buf_t *b, const char *s)
{
    nidl__buf_put(b, s, strlen(s));
}

void nidl__buf_putc(nidl_buf_t *b, char c)
{
    nidl__buf_put(b, &c, 1);
}

void nidl__buf_spaces(nidl_buf_t *b, size_t n)
{
    buf_reserve(b, n);
    memset(b->data + b->len, ' ', n);
    b->len += n;
    b->data[b->len] = '\0';
}

void nidl__buf_vprintf(nidl_buf_t *b, const char *fmt, va_list ap)
{
    /* Most pieces are short: format into the stack first, and only
     * measure and format again for the long ones. */
    char small[256];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0)
        return; /* only for invalid formats, which are programming errors */
    if ((size_t)n < sizeof small) {
        nidl__buf_put(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void nidl__buf_printf(nidl_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nidl__buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *nidl__buf_take(nidl_buf_t *b)
{
    char *s = b->data ? b->data : nidl__xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

const char *nidl__buf_str(nidl_buf_t *b)
{
    return b->data ? b->data : "";
}

void nidl__buf_free(nidl_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- vector ----------------------------------------------------------- */

void nidl__vec_reserve(nidl_vec_t *v, size_t extra)
{
    if (extra <= v->cap - v->len)
        return;
    if (extra > SIZE_MAX / sizeof(void *) / 2 - v->len)
        nidl__oom();
    size_t cap = v->cap ? v->cap : 8;
    while (cap < v->len + extra)
        cap *= 2;
    v->items = nidl__xrealloc(v->items, cap * sizeof(void *));
    v->cap = cap;
}

void nidl__vec_push(nidl_vec_t *v, void *item)
{
    nidl__vec_reserve(v, 1);
    v->items[v->len++] = item;
}

void nidl__vec_free(nidl_vec_t *v)
{
    free(v->items);
    v->items = NULL;
    v->len = v->cap = 0;
}

/* ---- arena ------------------------------------------------------------ */

struct nidl_arena_block {
    struct nidl_arena_block *next;
    size_t used;
    size_t cap;
    max_align_t data[]; /* cap bytes */
};

#define ARENA_BLOCK (64 * 1024)
#define ARENA_ALIGN (sizeof(max_align_t))

void *nidl__arena_alloc(nidl_arena_t *a, size_t size)
{
    if (size > SIZE_MAX / 2)
        nidl__oom();
    size = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (size == 0)
        size = ARENA_ALIGN;
    struct nidl_arena_block *blk = a->head;
    if (blk == NULL || blk->cap - blk->used < size) {
        /* Large objects get a block of their own behind the current one,
         * so the current block's free space is not wasted. */
        size_t cap = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
        struct nidl_arena_block *nb = nidl__xmalloc(sizeof *nb + cap);
        nb->used = 0;
        nb->cap = cap;
        if (blk != NULL && cap != ARENA_BLOCK) {
            nb->next = blk->next;
            blk->next = nb;
        } else {
            nb->next = blk;
            a->head = nb;
        }
        blk = nb;
    }
    void *p = (char *)blk->data + blk->used;
    blk->used += size;
    memset(p, 0, size);
    return p;
}

char *nidl__arena_strndup(nidl_arena_t *a, const char *s, size_t len)
{
    char *p = nidl__arena_alloc(a, len + 1);
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *nidl__arena_strdup(nidl_arena_t *a, const char *s)
{
    return nidl__arena_strndup(a, s, strlen(s));
}

char *nidl__arena_printf(nidl_arena_t *a, const char *fmt, ...)
{
    nidl_buf_t b = {0};
    va_list ap;
    va_start(ap, fmt);
    nidl__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *s = nidl__arena_strndup(a, nidl__buf_str(&b), b.len);
    nidl__buf_free(&b);
    return s;
}

void **nidl__arena_adopt(nidl_arena_t *a, nidl_vec_t *v, size_t *len)
{
    void **items = nidl__arena_alloc(a, v->len * sizeof(void *));
    if (v->len > 0)
        memcpy(items, v->items, v->len * sizeof(void *));
    *len = v->len;
    nidl__vec_free(v);
    return items;
}

void nidl__arena_free(nidl_arena_t *a)
{
    struct nidl_arena_block *b = a->head;
    while (b != NULL) {
        struct nidl_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- map -------------------------------------------------------------- */

struct nidl_map_slot {
    const char *key; /* NULL: empty */
    size_t klen;
    uint64_t hash;
    void *value;
};

static struct nidl_map_slot *map_find(struct nidl_map_slot *slots, size_t cap,
                                      const char *key, size_t klen, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    for (;;) {
        struct nidl_map_slot *s = &slots[i];
        if (s->key == NULL ||
            (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0))
            return s;
        i = (i + 1) & (cap - 1);
    }
}

void *nidl__map_get(const nidl_map_t *m, const char *key, size_t klen)
{
    if (m->cap == 0)
        return NULL;
    uint64_t h = nidl__fnv1a(NIDL_FNV_BASIS, key, klen);
    struct nidl_map_slot *s = map_find(m->slots, m->cap, key, klen, h);
    return s->key ? s->value : NULL;
}

void *nidl__map_put(nidl_map_t *m, const char *key, size_t klen, void *value)
{
    if ((m->len + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct nidl_map_slot *slots = nidl__xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < m->cap; i++) {
            struct nidl_map_slot *old = &m->slots[i];
            if (old->key != NULL)
                *map_find(slots, cap, old->key, old->klen, old->hash) = *old;
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    uint64_t h = nidl__fnv1a(NIDL_FNV_BASIS, key, klen);
    struct nidl_map_slot *s = map_find(m->slots, m->cap, key, klen, h);
    if (s->key != NULL)
        return s->value;
    s->key = key;
    s->klen = klen;
    s->hash = h;
    s->value = value;
    m->len++;
    return NULL;
}

void nidl__map_free(nidl_map_t *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->len = 0;
}

/* ---- helpers ---------------------------------------------------------- */

uint64_t nidl__fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

size_t nidl__edit_distance(const char *a, const char *b, size_t limit)
{
    size_t n = strlen(a), m = strlen(b);
    /* The distance is at least the difference in length; this also keeps
     * the quadratic table small, since suggestions are only made for
     * identifiers (at most 63 characters) and limit is small. */
    if ((n > m ? n - m : m - n) > limit || n > 255 || m > 255)
        return limit + 1;
    size_t rows[3][256];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        size_t best = cur[0];
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1; /* transposition */
            cur[j] = d;
            if (d < best)
                best = d;
        }
        if (best > limit)
            return limit + 1;
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[m] <= limit ? prev[m] : limit + 1;
}
