/*
 * peer.c: peers, the nodes in other processes that this node sends to.
 * Opening one maps its segment, validates the header against its registry
 * entry and claims one free inbound queue in it for this node; closing
 * marks that queue closed so the receiver drains and frees it. Peers are
 * reference counted: the node's peer table holds one reference, each
 * route one more (see peer_impl.h).
 */
#include "peer_impl.h"

#include "log_impl.h"
#include "node_impl.h"
#include "notify_impl.h"
#include "platform/platform.h"
#include "segment_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void nx__peer_put(nx_peer_t *p)
{
    if (!p)
        return;
    /* acq_rel: the last owner sees every use of the peer before freeing. */
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    atomic_fetch_add_explicit(p->sent_total, atomic_load(&p->sent), memory_order_relaxed);
    if (p->seg)
        munmap(p->seg, p->seg_size);
    if (p->fd >= 0)
        close(p->fd);
    free(p);
}

/* Claim a free queue in the peer's segment for us. */
static nx_err_t peer_claim(nx_node_t *node, nx_peer_t *p)
{
    nx_seg_header_t *h = p->seg;
    nx_queue_hdr_t *qs = (nx_queue_hdr_t *)((uint8_t *)h + h->queues_offset);
    for (uint32_t i = 0; i < h->max_queues; i++) {
        nx_queue_hdr_t *q = &qs[i];
        uint32_t expect = 0;
        if (!atomic_compare_exchange_strong_explicit(&q->flags, &expect, NX_Q_CLAIMING,
                                                     memory_order_acq_rel,
                                                     memory_order_relaxed))
            continue;
        q->owner_slot = node->slot;
        q->owner_incarnation = node->incarnation;
        q->owner_pid = (uint32_t)node->pid;
        q->owner_start = nx__plat_proc_start_time(node->pid);
        memset(q->owner_name, 0, sizeof q->owner_name);
        memcpy(q->owner_name, node->name, strlen(node->name));
        atomic_store_explicit(&q->head, 0, memory_order_relaxed);
        atomic_store_explicit(&q->tail, 0, memory_order_relaxed);
        atomic_store_explicit(&q->sent, 0, memory_order_relaxed);
        atomic_store_explicit(&q->dropped, 0, memory_order_relaxed);
        atomic_store_explicit(&q->high_water, 0, memory_order_relaxed);
        atomic_store_explicit(&q->received, 0, memory_order_relaxed);
        atomic_store_explicit(&q->rejected, 0, memory_order_relaxed);
        atomic_store_explicit(&q->want_space, 0, memory_order_relaxed);
        /* Release: the receiver that sees VALID sees the owner and the
         * zeroed indices. */
        atomic_store_explicit(&q->flags, NX_Q_VALID, memory_order_release);
        atomic_fetch_add_explicit(&h->queues_gen, 1, memory_order_release);
        p->queue = i;
        uint8_t *slots = (uint8_t *)h + h->slots_offset +
                         (size_t)i * h->queue_capacity * h->message_size;
        nx__ring_prod_init(&p->prod, q, slots, h->queue_capacity, h->message_size);
        return NX_OK;
    }
    return NX_ELIMIT;
}

/* Connect to the node in registry slot n (an entry copied from the registry). */
static nx_peer_t *peer_open(nx_node_t *node, uint32_t slot, const nx_reg_node_t *n)
{
    nx_peer_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    atomic_init(&p->refs, 1);
    p->sent_total = &node->sent_remote_gone;
    p->slot = slot;
    p->incarnation = n->incarnation;
    p->pid = (pid_t)n->pid;
    p->fd = -1;
    p->queue = UINT32_MAX;
    memcpy(p->name, n->name, sizeof p->name);
    p->name[sizeof p->name - 1] = '\0';
    nx__spin_init(&p->lock);

    char seg[NX_SEG_NAME_MAX + 1];
    memcpy(seg, n->segment, NX_SEG_NAME_MAX);
    seg[NX_SEG_NAME_MAX] = '\0';
    size_t size = 0;
    nx_err_t err = nx__plat_shm_open(seg, &p->fd, &size);
    if (err == NX_OK)
        err = nx__plat_shm_map(p->fd, size, (void **)&p->seg);
    if (err == NX_OK) {
        p->seg_size = size;
        err = nx__segment_check(p->seg, size, n, NULL, 0);
    }
    if (err == NX_OK) {
        err = peer_claim(node, p);
        if (err == NX_ELIMIT)
            NX_LOGW("node",
                    "%s: node '%s' has no free inbound queue "
                    "(max_inbound_queues); messages to it are dropped",
                    node->name, p->name);
    } else {
        NX_LOGW("node", "%s: cannot attach segment of node '%s' (%s): %s", node->name,
                p->name, seg, nx_strerror(err));
    }
    if (err != NX_OK)
        atomic_store(&p->broken, true);
    return p;
}

static void peer_close_queue(nx_node_t *node, nx_peer_t *p);

nx_peer_t *nx__peer_get_locked(nx_node_t *node, uint32_t slot, const nx_reg_node_t *n)
{
    nx_peer_t *p = node->peers[slot];
    uint64_t missed = 0;
    if (p && (p->incarnation != n->incarnation ||
              atomic_load_explicit(&p->broken, memory_order_relaxed))) {
        /* Restarted, or unusable last time (no free queue, a queue taken
         * from us, a bad segment): try afresh. The same node keeps its
         * count of missed messages. */
        if (p->incarnation == n->incarnation)
            missed = atomic_load_explicit(&p->missed, memory_order_relaxed);
        peer_close_queue(node, p);
        node->peers[slot] = NULL;
        nx__peer_put(p);
        p = NULL;
    }
    if (!p) {
        p = peer_open(node, slot, n);
        if (!p)
            return NULL;
        atomic_store_explicit(&p->missed, missed, memory_order_relaxed);
        node->peers[slot] = p;
    }
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

/* Mark our queue in the peer closed: the receiver drains it, then frees it. */
static void peer_close_queue(nx_node_t *node, nx_peer_t *p)
{
    nx__spin_lock(&p->lock);
    if (p->queue != UINT32_MAX && !atomic_load(&p->broken)) {
        nx_queue_hdr_t *q = p->prod.q;
        uint32_t f = atomic_load_explicit(&q->flags, memory_order_acquire);
        if ((f & NX_Q_VALID) && q->owner_slot == node->slot &&
            q->owner_incarnation == node->incarnation)
            atomic_fetch_or_explicit(&q->flags, NX_Q_CLOSED, memory_order_release);
        nx__bell_force(&p->seg->bell);
    }
    atomic_store(&p->broken, true);
    nx__spin_unlock(&p->lock);
}

void nx__peers_close(nx_node_t *node)
{
    pthread_mutex_lock(&node->peers_lock);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_peer_t *p = node->peers[i];
        if (!p)
            continue;
        peer_close_queue(node, p);
        node->peers[i] = NULL;
        nx__peer_put(p);
    }
    pthread_mutex_unlock(&node->peers_lock);
}

void nx__peers_prune(nx_node_t *node)
{
    /* Snapshot identities from the registry, then drop stale peers. */
    uint32_t inc[NX_REG_MAX_NODES];
    bool alive[NX_REG_MAX_NODES];
    if (nx__registry_alive(node->reg, alive, inc) != NX_OK)
        return;
    pthread_mutex_lock(&node->peers_lock);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_peer_t *p = node->peers[i];
        if (p && (!alive[i] || inc[i] != p->incarnation)) {
            peer_close_queue(node, p);
            node->peers[i] = NULL;
            nx__peer_put(p);
        }
    }
    pthread_mutex_unlock(&node->peers_lock);
}

bool nx__peer_alive(const nx_peer_t *p)
{
    /* pid + start time: cheap enough to do every few milliseconds while
     * blocked on a full ring. */
    return atomic_load_explicit(&p->seg->state, memory_order_relaxed) == NX_SEG_RUNNING &&
           nx__plat_proc_alive(p->pid, p->seg->start_time);
}

bool nx__peer_gone(nx_node_t *node, nx_peer_t *p)
{
    uint64_t now = nx__plat_now_ns();
    if (now < atomic_load_explicit(&p->gone_checked_ns, memory_order_relaxed))
        return atomic_load_explicit(&p->gone, memory_order_relaxed);
    bool alive = p->seg ? nx__peer_alive(p) : nx__plat_proc_alive(p->pid, 0);
    bool gone = !alive || !nx__peer_registered(node, p);
    atomic_store_explicit(&p->gone, gone, memory_order_relaxed);
    atomic_store_explicit(&p->gone_checked_ns, now + 10000000u, memory_order_relaxed);
    return gone;
}

bool nx__peer_registered(nx_node_t *node, const nx_peer_t *p)
{
    return nx__registry_node_current(node->reg, p->slot, p->incarnation, 0);
}

uint64_t nx__peers_sent(nx_node_t *node)
{
    uint64_t n = atomic_load(&node->sent_remote_gone);
    pthread_mutex_lock(&node->peers_lock);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        if (node->peers[i])
            n += atomic_load(&node->peers[i]->sent);
    pthread_mutex_unlock(&node->peers_lock);
    return n;
}
