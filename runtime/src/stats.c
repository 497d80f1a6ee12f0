/*
 * stats.c: a node's statistics, as <nexus/stats.h> presents them: the
 * node's counters, its inbound queues (read from its own segment), its
 * outbound queues (one per peer) and its large-data ring. Every function
 * reads counters that other threads and processes update: each value is
 * recent, not a consistent snapshot of all of them.
 */
#include "stats_impl.h"

#include "large_impl.h"
#include "node_impl.h"

#include <string.h>

nx_err_t nx_node_stats(nx_node_t *node, nx_node_stats_t *out)
{
    if (!node || !out)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
#define ST_(f) out->f = atomic_load_explicit(&node->st.f, memory_order_relaxed)
    ST_(published);
    ST_(publish_failed);
    out->sent_remote = nx__peers_sent(node);
    ST_(delivered_inproc);
    ST_(received);
    ST_(dispatched);
    ST_(dropped_full);
    ST_(dropped_no_queue);
    ST_(rejected_corrupt);
    ST_(rejected_type);
    ST_(unrouted);
    ST_(wakeups);
    ST_(timeouts);
    ST_(peers_reaped);
    ST_(calls);
    ST_(served);
    ST_(late_replies);
#undef ST_
    return NX_OK;
}

void nx__queue_stats_fill(const nx_queue_hdr_t *q, uint32_t capacity, nx_queue_stats_t *s)
{
    memset(s, 0, sizeof *s);
    s->capacity = capacity;
    s->sent = atomic_load(&q->sent);
    s->received = atomic_load(&q->received);
    s->dropped = atomic_load(&q->dropped);
    s->rejected = atomic_load(&q->rejected);
    /* Indices are untrusted: an impossible pair shows as nothing pending. */
    uint64_t h = atomic_load(&q->head), t = atomic_load(&q->tail);
    s->pending = h >= t && h - t <= capacity ? h - t : 0;
    /* The receiver updates the mark as it drains; what is queued now counts. */
    uint64_t hw = atomic_load(&q->high_water);
    s->high_water = hw > s->pending ? hw : s->pending;
}

nx_err_t nx_node_inbound_stats(nx_node_t *node, nx_queue_stats_t *out, size_t max,
                               size_t *count)
{
    if (!node || !count || (!out && max))
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    size_t n = 0;
    for (uint32_t i = 0; i < node->cfg.node.max_inbound_queues; i++) {
        nx_queue_hdr_t *q = &node->queues[i];
        if (!(atomic_load_explicit(&q->flags, memory_order_acquire) & NX_Q_VALID))
            continue;
        if (n < max) {
            nx__queue_stats_fill(q, node->cfg.node.queue_capacity, &out[n]);
            memcpy(out[n].peer, q->owner_name, sizeof out[n].peer);
            out[n].peer[sizeof out[n].peer - 1] = '\0';
            out[n].peer_pid = q->owner_pid;
        }
        n++;
    }
    *count = n;
    return NX_OK;
}

nx_err_t nx_node_outbound_stats(nx_node_t *node, nx_queue_stats_t *out, size_t max,
                                size_t *count)
{
    if (!node || !count || (!out && max))
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    size_t n = 0;
    pthread_mutex_lock(&node->peers_lock);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_peer_t *p = node->peers[i];
        if (!p)
            continue;
        if (n < max) {
            memset(&out[n], 0, sizeof out[n]);
            if (p->queue != UINT32_MAX)
                nx__queue_stats_fill(p->prod.q, p->prod.capacity, &out[n]);
            memcpy(out[n].peer, p->name, sizeof out[n].peer);
            out[n].peer_pid = (uint32_t)p->pid;
            out[n].unreached = atomic_load_explicit(&p->missed, memory_order_relaxed);
        }
        n++;
    }
    pthread_mutex_unlock(&node->peers_lock);
    *count = n;
    return NX_OK;
}

nx_err_t nx_node_large_stats(nx_node_t *node, nx_large_stats_t *out)
{
    if (!node || !out)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&node->large_lock);
    if (node->large)
        nx__large_stats(node->large, out);
    pthread_mutex_unlock(&node->large_lock);
    return NX_OK;
}
