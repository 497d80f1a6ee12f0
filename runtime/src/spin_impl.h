/*
 * spin_impl.h: the spin lock of the message path. It serialises this
 * process's threads on one single-producer ring of a peer (rule 6); it is
 * never held across a sleep, a system call or a callback.
 */
#ifndef NX_SPIN_IMPL_H
#define NX_SPIN_IMPL_H

#include "platform/platform.h"

#include <sched.h>
#include <stdatomic.h>

/*
 * One atomic exchange to take, a release store to give back. A waiter
 * spins briefly, then yields, so a holder that was preempted still
 * finishes on a busy core.
 */
typedef struct nx_spin {
    atomic_flag flag;
} nx_spin_t;

#define NX_SPIN_INIT                                                                       \
    {                                                                                      \
        ATOMIC_FLAG_INIT                                                                   \
    }

static inline void nx__spin_init(nx_spin_t *s)
{
    atomic_flag_clear_explicit(&s->flag, memory_order_relaxed);
}

static inline void nx__spin_lock(nx_spin_t *s)
{
    for (unsigned i = 0; atomic_flag_test_and_set_explicit(&s->flag, memory_order_acquire);
         i++) {
        if (i < 64)
            nx__plat_cpu_relax();
        else
            sched_yield();
    }
}

static inline void nx__spin_unlock(nx_spin_t *s)
{
    atomic_flag_clear_explicit(&s->flag, memory_order_release);
}

#endif /* NX_SPIN_IMPL_H */
