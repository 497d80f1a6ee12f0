/*
 * test_notify.c: the doorbell. A wait with nothing to do times out on
 * CLOCK_MONOTONIC; a ring while nobody sleeps posts nothing; and in both
 * modes a waiter never misses a ring (a lost wake-up would show up as a
 * 2-second timeout).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "notify_impl.h"
#include "nx_test.h"
#include "platform/platform.h"

static nx_doorbell_t *bell_new(nx_notify_mode_t mode)
{
    nx_doorbell_t *b = aligned_alloc(64, (sizeof *b + 63) / 64 * 64);
    NX_ASSERT_OK(nx__bell_init(b, mode));
    return b;
}

static bool never(void *ctx)
{
    (void)ctx;
    return false;
}

static void bell_wait_times_out_at_deadline(void **state)
{
    (void)state;
    for (int m = 0; m < 2; m++) {
        nx_doorbell_t *b = bell_new(m ? NX_NOTIFY_CONDVAR : NX_NOTIFY_SEMAPHORE);
        uint64_t t0 = nx__plat_now_ns();
        assert_false(nx__bell_wait(b, t0 + 30000000u, never, NULL));
        uint64_t dt = nx__plat_now_ns() - t0;
        assert_true(dt >= 30000000u);
        assert_true(dt < 2000000000u);
        assert_int_equal(atomic_load(&b->sleeping), 0);
        free(b);
    }
}

static void bell_ring_without_sleeper_posts_nothing(void **state)
{
    (void)state;
    nx_doorbell_t *b = bell_new(NX_NOTIFY_SEMAPHORE);
    for (int i = 0; i < 10; i++)
        nx__bell_ring(b);
    int v = -1;
    sem_getvalue(&b->sem, &v);
    assert_int_equal(v, 0);
    free(b);
}

static bool work_now(void *ctx)
{
    (void)ctx;
    return true;
}

static void bell_wait_returns_at_once_when_work_is_there(void **state)
{
    (void)state;
    nx_doorbell_t *b = bell_new(NX_NOTIFY_CONDVAR);
    uint64_t t0 = nx__plat_now_ns();
    nx__bell_wait(b, t0 + 5000000000u, work_now, NULL);
    assert_true(nx__plat_now_ns() - t0 < 1000000000u);
    free(b);
}

/* Ping-pong through a counter: the consumer sleeps whenever it caught up. */
typedef struct pp {
    nx_doorbell_t *bell;
    _Atomic uint64_t produced;
    uint64_t consumed;
    uint64_t timeouts;
    uint64_t woken; /* waits ended by a ring: the path under test ran */
} pp_t;

#define ROUNDS 20000u

static bool pp_has_work(void *ctx)
{
    pp_t *p = ctx;
    return atomic_load_explicit(&p->produced, memory_order_acquire) != p->consumed;
}

static void *pp_consumer(void *arg)
{
    pp_t *p = arg;
    while (p->consumed < ROUNDS) {
        if (pp_has_work(p)) {
            p->consumed = atomic_load_explicit(&p->produced, memory_order_acquire);
            continue;
        }
        uint64_t deadline = nx__plat_now_ns() + 2000000000u;
        if (nx__bell_wait(p->bell, deadline, pp_has_work, p))
            p->woken++;
        if (!pp_has_work(p) && nx__plat_now_ns() >= deadline)
            p->timeouts++;
    }
    return NULL;
}

static void no_lost_wakeup(nx_notify_mode_t mode)
{
    pp_t p = {.bell = bell_new(mode)};
    pthread_t th;
    pthread_create(&th, NULL, pp_consumer, &p);
    for (uint64_t i = 1; i <= ROUNDS; i++) {
        atomic_store_explicit(&p.produced, i, memory_order_release);
        nx__bell_ring(p.bell);
        /* Vary the timing so the ring lands at every point of the wait. */
        if (i % 3 == 0)
            for (volatile int k = 0; k < (int)(i % 200); k++) {
            }
        if (i % 100 == 0)
            nx__plat_sleep_ns(50000); /* let the consumer fall asleep */
    }
    pthread_join(th, NULL);
    assert_int_equal(p.consumed, ROUNDS);
    assert_int_equal(p.timeouts, 0);
    assert_true(p.woken >= 10);
    free(p.bell);
}

static void bell_semaphore_loses_no_wakeup(void **state) { (void)state; no_lost_wakeup(NX_NOTIFY_SEMAPHORE); }
static void bell_condvar_loses_no_wakeup(void **state) { (void)state; no_lost_wakeup(NX_NOTIFY_CONDVAR); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bell_wait_times_out_at_deadline),
        cmocka_unit_test(bell_ring_without_sleeper_posts_nothing),
        cmocka_unit_test(bell_wait_returns_at_once_when_work_is_there),
        cmocka_unit_test(bell_semaphore_loses_no_wakeup),
        cmocka_unit_test(bell_condvar_loses_no_wakeup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
