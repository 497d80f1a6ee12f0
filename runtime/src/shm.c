/*
 * shm.c: the shared-memory send path. A message becomes a frame in the
 * peer's inbound ring that this node owns (one producer: our threads take
 * turns through the peer's spin lock, rule 6), then the peer's doorbell
 * rings if its receive thread may be asleep. A full ring follows the
 * publisher's on_full policy: fail at once (counted as a drop), or wait
 * up to block_ms while checking that the receiver still lives.
 */
#include "send_impl.h"

#include "frame_impl.h"
#include "node_impl.h"
#include "notify_impl.h"
#include "peer_impl.h"
#include "platform/platform.h"
#include "pub_impl.h"
#include "rx_impl.h"

#include <sched.h>

/* The message cannot be queued for p at all. A subscriber that is gone
 * is no loss (NX_ENOTFOUND); one that lives but cannot be reached (no
 * free queue, its queue taken from us, a segment that failed validation)
 * misses it: NX_EPARTIAL, counted against it. */
static nx_err_t shm_unreached(const nx_send_t *c, nx_peer_t *p)
{
    NX_STAT_INC(c->node, dropped_no_queue);
    if (nx__peer_gone(c->node, p))
        return NX_ENOTFOUND;
    atomic_fetch_add_explicit(&p->missed, 1, memory_order_relaxed);
    return NX_EPARTIAL;
}

nx_err_t nx__shm_send(const nx_send_t *c, nx_peer_t *p)
{
    if (atomic_load_explicit(&p->broken, memory_order_relaxed))
        return shm_unreached(c, p);
    nx_on_full_t on_full = (nx_on_full_t)c->on_full;
    uint64_t deadline = 0;
    uint64_t backoff_ns = 1000;
    nx__spin_lock(&p->lock);
    for (;;) {
        nx_queue_hdr_t *q = p->prod.q;
        /* Still ours? The receiver frees queues of nodes it believes gone. */
        uint32_t f = atomic_load_explicit(&q->flags, memory_order_acquire);
        if (f != NX_Q_VALID || q->owner_slot != c->node->slot ||
            q->owner_incarnation != c->node->incarnation) {
            atomic_store(&p->broken, true);
            nx__spin_unlock(&p->lock);
            return shm_unreached(c, p);
        }
        void *slot;
        nx_err_t err = nx__ring_reserve(&p->prod, &slot);
        if (err == NX_OK) {
            nx__frame_write(slot, c);
            nx__ring_commit(&p->prod);
            NX_COUNT1(q->sent); /* writers serialised by p->lock */
            NX_COUNT1(p->sent);
            nx__spin_unlock(&p->lock);
            nx__bell_ring(&p->seg->bell);
            return NX_OK;
        }
        /* Full (or an impossible tail, treated as full until it heals). */
        if (on_full == NX_ON_FULL_BLOCK) {
            uint64_t now = nx__plat_now_ns();
            if (!deadline)
                deadline = now + (uint64_t)c->block_ms * 1000000u;
            if (now < deadline) {
                if (now >= p->next_live_check_ns) {
                    p->next_live_check_ns = now + 10000000u;
                    if (!nx__peer_alive(p) || !nx__peer_registered(c->node, p)) {
                        atomic_store(&p->broken, true);
                        nx__spin_unlock(&p->lock);
                        return NX_ENOTFOUND; /* it died or was removed: nothing to wait for */
                    }
                }
                /* Let other threads use the ring while we wait (a topic
                 * that fails at once must not queue behind us). */
                nx__spin_unlock(&p->lock);
                nx__bell_force(&p->seg->bell);
                /* A callback replying to a node that is itself blocked
                 * replying to us: keep our own queues moving meanwhile. */
                if (nx__rx_help() > 0)
                    backoff_ns = 1000;
                else if (backoff_ns < 4000)
                    sched_yield();
                else
                    nx__plat_sleep_ns(backoff_ns);
                if (backoff_ns < 500000)
                    backoff_ns *= 2;
                nx__spin_lock(&p->lock);
                continue;
            }
        }
        atomic_fetch_add_explicit(&q->dropped, 1, memory_order_relaxed);
        nx__spin_unlock(&p->lock);
        NX_STAT_INC(c->node, dropped_full);
        return NX_ETIMEOUT;
    }
}
