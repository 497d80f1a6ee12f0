/*
 * notify_impl.h: the doorbell of a receiving node (one per node, rule 1).
 *
 * Protocol (no lost wake-up by construction, rule 2):
 *   receiver: rung = 0; sleeping = 1; full fence; re-check every ring;
 *             sleep only if all are empty; then sleeping = 0, rung = 0.
 *   sender:   commit (release store of head); full fence; if sleeping and
 *             rung goes 0 -> 1, post the semaphore or signal the condvar
 *             under its mutex.
 * Either the receiver's re-check sees the sender's message, or the sender
 * sees `sleeping` and rings: the two fences forbid both missing each
 * other. `rung` batches wake-ups: one per sleep, however many senders.
 * The timeout is only a safety net; waits use CLOCK_MONOTONIC (rule 3).
 *
 * Thread-safety: ring from any thread of any process; wait from the
 * owner's receive thread only.
 */
#ifndef NX_NOTIFY_IMPL_H
#define NX_NOTIFY_IMPL_H

#include "shm_layout.h"

#include <nexus/config.h>

/* Set up a doorbell in freshly created shared memory (owner only). */
nx_err_t nx__bell_init(nx_doorbell_t *b, nx_notify_mode_t mode);

/* Wake the receiver if it sleeps. Call after committing a message. */
void nx__bell_ring(nx_doorbell_t *b);

/* Wake the receiver unconditionally (shutdown, configuration change). */
void nx__bell_force(nx_doorbell_t *b);

/*
 * Sleep until rung or until deadline_ns (CLOCK_MONOTONIC), unless
 * has_work(ctx) finds work after announcing the sleep. Returns true if
 * woken by a ring, false on timeout or when work was found at once.
 */
bool nx__bell_wait(nx_doorbell_t *b, uint64_t deadline_ns, bool (*has_work)(void *ctx),
                   void *ctx);

#endif /* NX_NOTIFY_IMPL_H */
