/*
 * ring_impl.h: the single-producer single-consumer ring of one inbound
 * queue. One producer (the sending node, its threads serialised by the
 * sender) and one consumer (the receiving node's receive thread).
 *
 * Indices run freely (64-bit, never wrap in practice) and are masked on
 * use; capacity is a power of two. Each side keeps its own index in
 * private memory (the shared copy is only ever written by its side) and a
 * cached copy of the other side's index, refreshed only when the cache
 * says full (producer) or empty (consumer), so the common case touches
 * one shared cache line.
 *
 * The indices in shared memory are untrusted: a peer may have scribbled
 * on them. Both sides check that 0 <= head - tail <= capacity before using
 * them; a violation is reported as NX_ECORRUPT and never turned into an
 * out-of-bounds access.
 */
#ifndef NX_RING_IMPL_H
#define NX_RING_IMPL_H

#include "shm_layout.h"

#include <stddef.h>

typedef struct nx_ring_prod {
    nx_queue_hdr_t *q;
    uint8_t *slots; /* capacity * msg_size bytes */
    uint64_t mask;  /* capacity - 1 */
    uint32_t capacity;
    uint32_t msg_size;
    uint64_t head;        /* our index: the shared copy is only written by us */
    uint64_t cached_tail; /* consumer's index as last read */
} nx_ring_prod_t;

typedef struct nx_ring_cons {
    nx_queue_hdr_t *q;
    uint8_t *slots;
    uint64_t mask;
    uint32_t capacity;
    uint32_t msg_size;
    uint64_t tail;        /* our index */
    uint64_t cached_head; /* producer's index as last read */
} nx_ring_cons_t;

/* Attach a producer to a queue the caller just claimed (indices zero). */
static inline void nx__ring_prod_init(nx_ring_prod_t *p, nx_queue_hdr_t *q, uint8_t *slots,
                                      uint32_t capacity, uint32_t msg_size)
{
    p->q = q;
    p->slots = slots;
    p->capacity = capacity;
    p->mask = capacity - 1u;
    p->msg_size = msg_size;
    p->head = atomic_load_explicit(&q->head, memory_order_relaxed);
    p->cached_tail = atomic_load_explicit(&q->tail, memory_order_acquire);
}

static inline void nx__ring_cons_init(nx_ring_cons_t *c, nx_queue_hdr_t *q, uint8_t *slots,
                                      uint32_t capacity, uint32_t msg_size)
{
    c->q = q;
    c->slots = slots;
    c->capacity = capacity;
    c->mask = capacity - 1u;
    c->msg_size = msg_size;
    c->tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    c->cached_head = c->tail;
}

/*
 * Reserve the next slot. Producer only.
 * @retval NX_OK       *slot points at msg_size bytes to fill, then commit.
 * @retval NX_ETIMEOUT the ring is full (nothing changed).
 * @retval NX_ECORRUPT the consumer's index is impossible (nothing changed).
 */
static inline nx_err_t nx__ring_reserve(nx_ring_prod_t *p, void **slot)
{
    if (p->head - p->cached_tail >= p->capacity) {
        /* Acquire pairs with the consumer's release store of tail in
         * nx__ring_release(): its reads of the slot are done before we
         * overwrite it. */
        uint64_t tail = atomic_load_explicit(&p->q->tail, memory_order_acquire);
        if (tail > p->head || p->head - tail > p->capacity)
            return NX_ECORRUPT;
        p->cached_tail = tail;
        if (p->head - tail >= p->capacity)
            return NX_ETIMEOUT;
    }
    *slot = p->slots + (size_t)(p->head & p->mask) * p->msg_size;
    return NX_OK;
}

/* Publish the slot returned by the last reserve. Producer only. */
static inline void nx__ring_commit(nx_ring_prod_t *p)
{
    p->head++;
    /* Release pairs with the acquire load of head in nx__ring_peek(): the
     * consumer sees the message bytes before it sees the new head. */
    atomic_store_explicit(&p->q->head, p->head, memory_order_release);
}

/*
 * The oldest unread slot, or NULL when empty. Consumer only.
 * *corrupt is set when the producer's index is impossible; nothing is
 * read until the producer's next commit rewrites it.
 */
static inline const void *nx__ring_peek(nx_ring_cons_t *c, bool *corrupt)
{
    if (c->cached_head == c->tail) {
        /* Acquire pairs with the release store in nx__ring_commit(). */
        uint64_t head = atomic_load_explicit(&c->q->head, memory_order_acquire);
        if (head < c->tail || head - c->tail > c->capacity) {
            *corrupt = true;
            return NULL;
        }
        c->cached_head = head;
        if (head == c->tail)
            return NULL;
        /* Exact occupancy at this moment: the high-water mark. Only the
         * receiver writes it, on its own cache line. */
        if (head - c->tail > atomic_load_explicit(&c->q->high_water, memory_order_relaxed))
            atomic_store_explicit(&c->q->high_water, head - c->tail, memory_order_relaxed);
    }
    return c->slots + (size_t)(c->tail & c->mask) * c->msg_size;
}

/* Give the slot returned by the last peek back to the producer. */
static inline void nx__ring_release(nx_ring_cons_t *c)
{
    c->tail++;
    /* Release pairs with the producer's acquire load of tail in
     * nx__ring_reserve(): we are done reading before it may rewrite. */
    atomic_store_explicit(&c->q->tail, c->tail, memory_order_release);
}

/* True if the producer has written something we have not read. */
static inline bool nx__ring_pending(const nx_ring_cons_t *c)
{
    return atomic_load_explicit(&c->q->head, memory_order_acquire) != c->tail;
}

/*
 * Restore the shared tail if someone overwrote it. The producer's head
 * heals the same way on its next commit, since each side rewrites its own
 * index from its private copy; corruption of an index therefore costs the
 * messages in flight, never the queue.
 */
static inline bool nx__ring_heal_tail(nx_ring_cons_t *c)
{
    if (atomic_load_explicit(&c->q->tail, memory_order_relaxed) == c->tail)
        return false;
    atomic_store_explicit(&c->q->tail, c->tail, memory_order_release);
    return true;
}

#endif /* NX_RING_IMPL_H */
