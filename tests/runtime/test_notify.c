/*
 * test_notify.c: the doorbell. A wait with nothing to do times out on
 * CLOCK_MONOTONIC; a ring while nobody sleeps posts nothing; and in both
 * modes a waiter never misses a ring: a wait that sleeps and returns
 * unrung while a rung message is pending fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
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

/*
 * Lost wake-up hunt: a strict ping-pong between a producer and a consumer
 * that sleeps on the doorbell whenever it has caught up.
 *
 * The producer publishes round i, rings, records when its ring returned,
 * then waits for the consumer to acknowledge i before the next round (after
 * a delay that varies so the ring lands at every point of the wait). So
 * every sleep of the consumer has exactly one message racing towards it.
 *
 * A lost wake-up is a wait whose re-check inside nx__bell_wait() did not
 * find the message (found nothing, or never looked) and that came back
 * without being rung -- by timeout or otherwise -- while a message was
 * pending whose ring had already returned: the ring completed before the
 * wait returned, and well before its deadline, so the sleeper had to see
 * it. The first one stops the run and fails the test with what happened.
 */
typedef struct pp {
    nx_doorbell_t *bell;
    _Atomic uint64_t produced;   /* last round published (release) */
    _Atomic uint64_t acked;      /* last round consumed (release) */
    _Atomic uint64_t rang_round; /* last round whose ring returned */
    _Atomic uint64_t rang_ns;    /* when that ring returned */
    _Atomic bool stop;           /* set by the consumer on a lost wake-up */
    /* Consumer thread only (read by the test after the join). */
    uint64_t consumed;
    int recheck; /* what the last wait's re-check found: RECHECK_* */
    uint64_t waits;
    uint64_t woken;    /* waits ended by a ring: the sleep path ran */
    uint64_t rechecks; /* waits whose re-check found the message */
    uint64_t timeouts; /* waits that slept and timed out with nothing pending */
    uint64_t lost;
    uint64_t lost_round, lost_late_ns, lost_slept_ns;
} pp_t;

enum { RECHECK_NOT_RUN, RECHECK_EMPTY, RECHECK_FOUND };

#define ROUNDS    20000u
/* How long one wait may sleep: what a lost wake-up costs. */
#define WAIT_NS   1000000000u
/* A ring this close to the deadline may legitimately lose the race with
 * the timeout; it is not counted. */
#define MARGIN_NS 100000000u

static bool pp_has_work(pp_t *p)
{
    /* Acquire pairs with the producer's release store of produced. */
    return atomic_load_explicit(&p->produced, memory_order_acquire) != p->consumed;
}

/* The re-check nx__bell_wait() runs after announcing its sleep. */
static bool pp_recheck(void *ctx)
{
    pp_t *p = ctx;
    bool work = pp_has_work(p);
    p->recheck = work ? RECHECK_FOUND : RECHECK_EMPTY;
    return work;
}

/* After a wait that slept and returned unrung: is a rung message pending? */
static void pp_judge(pp_t *p, uint64_t deadline, uint64_t t0, uint64_t t_ret)
{
    uint64_t round = atomic_load_explicit(&p->produced, memory_order_acquire);
    if (round == p->consumed) {
        p->timeouts++; /* nothing pending: an honest timeout */
        return;
    }
    /* The producer is inside its ring for this round, or past it: wait
     * for it to record when the ring returned. */
    while (atomic_load_explicit(&p->rang_round, memory_order_acquire) < round)
        nx__plat_cpu_relax();
    uint64_t rang = atomic_load_explicit(&p->rang_ns, memory_order_relaxed);
    if (rang < t_ret && rang + MARGIN_NS < deadline) {
        if (p->lost++ == 0) {
            p->lost_round = round;
            p->lost_late_ns = t_ret - rang;
            p->lost_slept_ns = t_ret - t0;
        }
        atomic_store_explicit(&p->stop, true, memory_order_relaxed);
    } else {
        p->timeouts++; /* rung only after the deadline: not lost */
    }
}

static void *pp_consumer(void *arg)
{
    pp_t *p = arg;
    while (p->consumed < ROUNDS && !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        if (pp_has_work(p)) {
            p->consumed = atomic_load_explicit(&p->produced, memory_order_acquire);
            atomic_store_explicit(&p->acked, p->consumed, memory_order_release);
            continue;
        }
        /* Sometimes dawdle between our own check and the wait, so the
         * ring also lands before the wait announces its sleep: the case
         * the re-check inside the wait exists for. */
        if (++p->waits % 4 == 1)
            for (volatile int k = 0; k < (int)(p->waits * 7 % 400); k++) {
            }
        p->recheck = RECHECK_NOT_RUN;
        uint64_t t0 = nx__plat_now_ns();
        uint64_t deadline = t0 + WAIT_NS;
        bool rung = nx__bell_wait(p->bell, deadline, pp_recheck, p);
        uint64_t t_ret = nx__plat_now_ns();
        if (rung)
            p->woken++;
        else if (p->recheck == RECHECK_FOUND)
            p->rechecks++; /* the re-check caught the message: by design */
        else
            pp_judge(p, deadline, t0, t_ret); /* slept (or never looked) */
    }
    return NULL;
}

static void no_lost_wakeup(nx_notify_mode_t mode)
{
    pp_t p = {.bell = bell_new(mode)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, pp_consumer, &p), 0);
    for (uint64_t i = 1; i <= ROUNDS; i++) {
        /* Vary the timing so the ring lands at every point of the wait:
         * before the consumer announces its sleep, between the announcement
         * and the re-check, and while it sleeps. */
        if (i % 3 == 0)
            for (volatile int k = 0; k < (int)(i % 500); k++) {
            }
        if (i % 100 == 0)
            nx__plat_sleep_ns(50000); /* let the consumer fall asleep */
        atomic_store_explicit(&p.produced, i, memory_order_release);
        nx__bell_ring(p.bell);
        atomic_store_explicit(&p.rang_ns, nx__plat_now_ns(), memory_order_relaxed);
        /* Release: the consumer that sees this round sees its time. */
        atomic_store_explicit(&p.rang_round, i, memory_order_release);
        /* Acknowledged before the next round; spin briefly, then yield the
         * CPU (the machine may have fewer cores than runnable threads). */
        for (unsigned spin = 0; atomic_load_explicit(&p.acked, memory_order_acquire) < i;
             spin++) {
            if (atomic_load_explicit(&p.stop, memory_order_relaxed))
                goto done;
            if (spin < 1000)
                nx__plat_cpu_relax();
            else
                sched_yield();
        }
    }
done:
    pthread_join(th, NULL);
    print_message("%s: %" PRIu64 " waits, %" PRIu64 " woken by a ring, %" PRIu64
                  " caught by the re-check, %" PRIu64 " honest timeouts\n",
                  mode == NX_NOTIFY_CONDVAR ? "condvar" : "semaphore", p.waits, p.woken,
                  p.rechecks, p.timeouts);
    if (p.lost)
        fail_msg("lost wake-up (%s): round %" PRIu64 " was rung %" PRIu64
                 " us before the wait returned unrung after sleeping %" PRIu64 " us",
                 mode == NX_NOTIFY_CONDVAR ? "condvar" : "semaphore", p.lost_round,
                 p.lost_late_ns / 1000, p.lost_slept_ns / 1000);
    assert_int_equal(p.consumed, ROUNDS);
    /* The sleep path must have run, or the test proved nothing. */
    assert_true(p.woken >= 10);
    free(p.bell);
}

static void bell_semaphore_loses_no_wakeup(void **state)
{
    (void)state;
    no_lost_wakeup(NX_NOTIFY_SEMAPHORE);
}
static void bell_condvar_loses_no_wakeup(void **state)
{
    (void)state;
    no_lost_wakeup(NX_NOTIFY_CONDVAR);
}

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
