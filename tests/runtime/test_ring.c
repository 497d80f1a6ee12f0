/* test_ring.c: the SPSC ring: order, full, wrap, corrupt indices, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nx_test.h"
#include "ring_impl.h"

#define CAP 8u
#define MSZ 64u

typedef struct fixture {
    nx_queue_hdr_t q;
    uint8_t slots[CAP * MSZ];
} fixture_t;

static fixture_t *fx_new(void)
{
    fixture_t *f = aligned_alloc(64, sizeof(fixture_t));
    memset(f, 0, sizeof *f);
    return f;
}

static void ring_fills_then_reports_full_and_wraps_in_order(void **state)
{
    (void)state;
    fixture_t *f = fx_new();
    nx_ring_prod_t p;
    nx_ring_cons_t c;
    nx__ring_prod_init(&p, &f->q, f->slots, CAP, MSZ);
    nx__ring_cons_init(&c, &f->q, f->slots, CAP, MSZ);
    void *slot = NULL;
    bool corrupt = false;
    assert_null(nx__ring_peek(&c, &corrupt));
    for (uint32_t round = 0; round < 5; round++) {
        for (uint32_t i = 0; i < CAP; i++) {
            NX_ASSERT_OK(nx__ring_reserve(&p, &slot));
            *(uint32_t *)slot = round * 100 + i;
            nx__ring_commit(&p);
        }
        NX_ASSERT_ERR(NX_ETIMEOUT, nx__ring_reserve(&p, &slot));
        assert_true(nx__ring_pending(&c));
        for (uint32_t i = 0; i < CAP; i++) {
            const void *s = nx__ring_peek(&c, &corrupt);
            assert_non_null(s);
            assert_int_equal(*(const uint32_t *)s, round * 100 + i);
            nx__ring_release(&c);
        }
        assert_null(nx__ring_peek(&c, &corrupt));
        assert_false(corrupt);
        /* The receiver saw the ring full once: the high-water mark. */
        assert_int_equal(atomic_load(&f->q.high_water), CAP);
    }
    assert_int_equal(atomic_load(&f->q.head), 5 * CAP);
    assert_int_equal(atomic_load(&f->q.tail), 5 * CAP);
    free(f);
}

static void ring_impossible_head_is_reported_then_healed(void **state)
{
    (void)state;
    fixture_t *f = fx_new();
    nx_ring_prod_t p;
    nx_ring_cons_t c;
    nx__ring_prod_init(&p, &f->q, f->slots, CAP, MSZ);
    nx__ring_cons_init(&c, &f->q, f->slots, CAP, MSZ);
    /* A hostile peer writes a head far ahead of the tail. */
    atomic_store(&f->q.head, UINT64_C(1) << 40);
    bool corrupt = false;
    assert_null(nx__ring_peek(&c, &corrupt));
    assert_true(corrupt);
    /* The producer's next commit rewrites head from its private copy. */
    void *slot = NULL;
    NX_ASSERT_OK(nx__ring_reserve(&p, &slot));
    *(uint32_t *)slot = 7;
    nx__ring_commit(&p);
    corrupt = false;
    const void *s = nx__ring_peek(&c, &corrupt);
    assert_false(corrupt);
    assert_non_null(s);
    assert_int_equal(*(const uint32_t *)s, 7);
    nx__ring_release(&c);
    free(f);
}

static void ring_impossible_tail_is_reported_then_healed(void **state)
{
    (void)state;
    fixture_t *f = fx_new();
    nx_ring_prod_t p;
    nx_ring_cons_t c;
    nx__ring_prod_init(&p, &f->q, f->slots, CAP, MSZ);
    nx__ring_cons_init(&c, &f->q, f->slots, CAP, MSZ);
    void *slot = NULL;
    for (uint32_t i = 0; i < CAP; i++) {
        NX_ASSERT_OK(nx__ring_reserve(&p, &slot));
        nx__ring_commit(&p);
    }
    /* Tail moved beyond head: the producer refuses rather than overwrite. */
    atomic_store(&f->q.tail, 12345);
    NX_ASSERT_ERR(NX_ECORRUPT, nx__ring_reserve(&p, &slot));
    assert_true(nx__ring_heal_tail(&c));
    assert_false(nx__ring_heal_tail(&c));
    NX_ASSERT_ERR(NX_ETIMEOUT, nx__ring_reserve(&p, &slot)); /* full, honestly */
    free(f);
}

#define N_THREADED 2000000u

static void *consumer(void *arg)
{
    fixture_t *f = arg;
    nx_ring_cons_t c;
    nx__ring_cons_init(&c, &f->q, f->slots, CAP, MSZ);
    uint64_t next = 0, errors = 0;
    while (next < N_THREADED) {
        bool corrupt = false;
        const uint64_t *s = nx__ring_peek(&c, &corrupt);
        if (corrupt)
            errors++;
        if (!s)
            continue;
        if (s[0] != next || s[1] != ~next)
            errors++;
        next++;
        nx__ring_release(&c);
    }
    return (void *)(uintptr_t)errors;
}

static void ring_two_threads_pass_every_value_in_order(void **state)
{
    (void)state;
    fixture_t *f = fx_new();
    nx_ring_prod_t p;
    nx__ring_prod_init(&p, &f->q, f->slots, CAP, MSZ);
    pthread_t th;
    pthread_create(&th, NULL, consumer, f);
    for (uint64_t i = 0; i < N_THREADED; i++) {
        void *slot = NULL;
        while (nx__ring_reserve(&p, &slot) != NX_OK) {
        }
        ((uint64_t *)slot)[0] = i;
        ((uint64_t *)slot)[1] = ~i;
        nx__ring_commit(&p);
    }
    void *errors;
    pthread_join(th, &errors);
    assert_int_equal((uintptr_t)errors, 0);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_fills_then_reports_full_and_wraps_in_order),
        cmocka_unit_test(ring_impossible_head_is_reported_then_healed),
        cmocka_unit_test(ring_impossible_tail_is_reported_then_healed),
        cmocka_unit_test(ring_two_threads_pass_every_value_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
