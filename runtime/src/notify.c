/*
 * notify.c: the doorbell of a receiving node, in its three modes
 * (semaphore, condition variable, spin); the protocol is in notify_impl.h.
 */
#include "notify_impl.h"

#include "log_impl.h"
#include "platform/platform.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

nx_err_t nx__bell_init(nx_doorbell_t *b, nx_notify_mode_t mode)
{
    memset(b, 0, sizeof *b);
    b->mode = (uint32_t)mode;
    if (sem_init(&b->sem, 1, 0) != 0)
        return NX_ESYS;
    if (nx__plat_mutex_init_robust(&b->mutex) != 0) {
        sem_destroy(&b->sem);
        return NX_ESYS;
    }
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);
    if (!rc)
        rc = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    if (!rc)
        rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (!rc)
        rc = pthread_cond_init(&b->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc) {
        pthread_mutex_destroy(&b->mutex);
        sem_destroy(&b->sem);
        return NX_ESYS;
    }
    return NX_OK;
}

/*
 * Take the doorbell's mutex, which lives in the receiver's segment,
 * without ever waiting for its holder: the receiver holds it only between
 * announcing its sleep and entering the wait (a few instructions), so a
 * short bounded spin gets it; a holder that is stopped, hung or hostile
 * (or a corrupt lock word) makes us give up after NX_BELL_TRY_NS instead.
 */
#define NX_BELL_TRY_NS 200000u

static bool bell_lock(nx_doorbell_t *b)
{
    uint64_t until = 0;
    for (unsigned i = 0;; i++) {
        int rc = nx__plat_mutex_trylock_robust(&b->mutex, NULL);
        if (rc == 0)
            return true;
        if (rc != EBUSY)
            return false; /* unusable mutex */
        if (i < 64) {
            nx__plat_cpu_relax();
            continue;
        }
        uint64_t now = nx__plat_now_ns();
        if (!until)
            until = now + NX_BELL_TRY_NS;
        else if (now >= until)
            return false;
        sched_yield();
    }
}

static void bell_signal(nx_doorbell_t *b)
{
    /* The mode is read from shared memory: anything but condvar gets the
     * semaphore, which is always initialised. */
    if (b->mode == NX_NOTIFY_CONDVAR) {
        if (!bell_lock(b)) {
            /* Held for long, or unusable: the receiver's timeout is the
             * safety net; a sender never blocks on a receiver's mutex. */
            atomic_store_explicit(&b->rung, 1, memory_order_relaxed);
            return;
        }
        /* Signal under the mutex so the receiver cannot be between its
         * check and its wait (rule 2, condition-variable mode). */
        atomic_store_explicit(&b->rung, 1, memory_order_relaxed);
        pthread_cond_signal(&b->cond);
        pthread_mutex_unlock(&b->mutex);
    } else {
        sem_post(&b->sem);
    }
}

void nx__bell_ring(nx_doorbell_t *b)
{
    /* A spinning receiver never sleeps: nothing to ring, no fence to pay.
     * (The mode is fixed when the segment is created.) */
    if (b->mode == NX_NOTIFY_SPIN)
        return;
    /* Full fence: orders our release store of the ring's head before the
     * load of `sleeping` (store-load needs seq_cst). Pairs with the fence
     * in nx__bell_wait() after the receiver announces its sleep. */
    atomic_thread_fence(memory_order_seq_cst);
    if (!atomic_load_explicit(&b->sleeping, memory_order_relaxed))
        return;
    if (b->mode == NX_NOTIFY_CONDVAR) {
        if (atomic_load_explicit(&b->rung, memory_order_relaxed))
            return; /* already rung for this sleep */
        bell_signal(b);
    } else if (atomic_exchange_explicit(&b->rung, 1, memory_order_relaxed) == 0) {
        bell_signal(b);
    }
}

void nx__bell_force(nx_doorbell_t *b)
{
    atomic_store_explicit(&b->rung, 1, memory_order_seq_cst);
    bell_signal(b);
}

static struct timespec ts_of(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    return ts;
}

bool nx__bell_wait(nx_doorbell_t *b, uint64_t deadline_ns, bool (*has_work)(void *ctx),
                   void *ctx)
{
    bool woken = false;
    if (b->mode == NX_NOTIFY_CONDVAR) {
        if (!bell_lock(b)) {
            /* Held by someone else for long (a stopped or hostile process)
             * or unusable: poll with a short sleep, never block on it. */
            nx__plat_sleep_ns(1000000);
            return false;
        }
        atomic_store_explicit(&b->rung, 0, memory_order_relaxed);
        atomic_store_explicit(&b->sleeping, 1, memory_order_relaxed);
        /* Pairs with the fence in nx__bell_ring(). */
        atomic_thread_fence(memory_order_seq_cst);
        if (!has_work(ctx)) {
            struct timespec ts = ts_of(deadline_ns);
            while (!atomic_load_explicit(&b->rung, memory_order_relaxed)) {
                int rc = pthread_cond_timedwait(&b->cond, &b->mutex, &ts);
                if (rc == EOWNERDEAD) {
                    pthread_mutex_consistent(&b->mutex);
                } else if (rc != 0) {
                    break; /* ETIMEDOUT or an error: back to polling */
                }
            }
            woken = atomic_load_explicit(&b->rung, memory_order_relaxed);
        }
        atomic_store_explicit(&b->sleeping, 0, memory_order_relaxed);
        atomic_store_explicit(&b->rung, 0, memory_order_relaxed);
        pthread_mutex_unlock(&b->mutex);
    } else {
        atomic_store_explicit(&b->rung, 0, memory_order_relaxed);
        atomic_store_explicit(&b->sleeping, 1, memory_order_relaxed);
        /* Pairs with the fence in nx__bell_ring(). */
        atomic_thread_fence(memory_order_seq_cst);
        if (!has_work(ctx))
            woken = nx__plat_sem_wait_until(&b->sem, deadline_ns) == 0;
        atomic_store_explicit(&b->sleeping, 0, memory_order_relaxed);
    }
    /* Order the stores above before the drain that follows: a sender that
     * read rung == 1 before our reset relies on this drain to see its
     * message. */
    atomic_thread_fence(memory_order_seq_cst);
    return woken;
}
