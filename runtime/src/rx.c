/*
 * rx.c: a node's receive thread. It drains every active inbound queue in
 * a batch, checks each frame (frame_impl.h) on a private copy, and
 * dispatches it to the node's callbacks (sub.c), large-data descriptors
 * to the large-data channel (large.c); then it sleeps on the node's one
 * doorbell (notify.c) with the adaptive timeout of LibRPC:
 * busy_timeout_ms while traffic flows, idle_timeout_ms after
 * idle_after_loops empty wake-ups. Once per heartbeat period it beats,
 * reaps dead nodes from the registry and frees queues of senders that
 * left.
 */
#include "rx_impl.h"

#include "frame_impl.h"
#include "hold_impl.h"
#include "large_impl.h"
#include "log_impl.h"
#include "node_impl.h"
#include "notify_impl.h"
#include "platform/platform.h"
#include "route_impl.h"
#include "svc_impl.h"

#include <stdlib.h>
#include <string.h>

uint64_t nx__rx_time(nx_node_t *node, uint64_t send_time_ns)
{
    if (!node->rx_now)
        node->rx_now = nx__plat_now_ns();
    return node->rx_now > send_time_ns ? node->rx_now : send_time_ns;
}

/* Rebuild the list of active queues after a claim or a free. */
static void rx_refresh(nx_node_t *node)
{
    uint32_t gen = atomic_load_explicit(&node->seg->queues_gen, memory_order_acquire);
    node->seen_queues_gen = gen;
    uint32_t n = 0;
    for (uint32_t i = 0; i < node->cfg.node.max_inbound_queues; i++) {
        nx_queue_hdr_t *q = &node->queues[i];
        nx_rxq_t *r = &node->rxq[i];
        uint32_t f = atomic_load_explicit(&q->flags, memory_order_acquire);
        if (!(f & NX_Q_VALID)) {
            r->active = false;
            continue;
        }
        if (r->active &&
            (q->owner_slot != r->owner_slot || q->owner_incarnation != r->owner_inc))
            r->active = false; /* freed and claimed again since we looked */
        if (!r->active) {
            /* A new sender: our cursor starts where its ring starts. */
            r->active = true;
            r->corrupt_logged = false;
            nx__ring_cons_init(&r->cons, q,
                               node->slots + (size_t)i * node->cfg.node.queue_capacity *
                                                 node->cfg.node.message_size,
                               node->cfg.node.queue_capacity, node->cfg.node.message_size);
            r->owner_pid = q->owner_pid;
            r->owner_slot = q->owner_slot;
            r->owner_inc = q->owner_incarnation;
            r->owner_start = q->owner_start;
            nx__large_map_put(r->lmap);
            r->lmap = NULL;
            memcpy(r->owner_name, q->owner_name, sizeof r->owner_name);
            r->owner_name[sizeof r->owner_name - 1] = '\0';
        }
        node->active[n++] = i;
    }
    node->n_active = n;
}

/* Free a queue whose sender is gone and whose ring we drained. */
static void rx_free_queue(nx_node_t *node, uint32_t i)
{
    nx_rxq_t *r = &node->rxq[i];
    r->active = false;
    nx__large_map_put(r->lmap);
    r->lmap = NULL;
    atomic_store_explicit(&node->queues[i].flags, 0, memory_order_release);
    atomic_fetch_add_explicit(&node->seg->queues_gen, 1, memory_order_release);
}

/* A backlog entry that nx__rx_pump() already handled (never on the wire:
 * the frame check refuses it). */
#define NX_MSGK_HANDLED 0xdeadu

static void rx_service(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h,
                       const uint8_t *payload)
{
    nx_svc_peer_t from = {q->owner_slot, q->owner_inc, q->owner_pid, q->owner_name};
    if (h->kind == NX_MSGK_REQUEST)
        nx__svc_request(node, &from, h, payload);
    else
        nx__svc_reply(node, &from, h, payload);
}

/* Deliver one message whose header and payload are private copies. */
static void rx_deliver(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h,
                       const uint8_t *payload)
{
    if (h->kind == NX_MSGK_LARGE) {
        nx__large_receive(node, q, h, payload);
        return;
    }
    if (h->kind == NX_MSGK_REQUEST || h->kind == NX_MSGK_REPLY) {
        rx_service(node, q, h, payload);
        return;
    }
    nx_delivery_t d = {.data = payload, .size = h->size};
    nx_msg_info_t info =
        nx__frame_info(q->owner_name, q->owner_pid, h->seq, h->send_time_ns,
                       nx__rx_time(node, h->send_time_ns), 0, &d);
    nx__sub_deliver(node, h->topic_slot, h->topic_inc, payload, h->size, h->fingerprint,
                    &info, false);
}

/* Check a message header copied out of shared memory. */
static bool rx_header_ok(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h)
{
    if (nx__frame_check(h, node->cfg.node.message_size - sizeof *h))
        return true;
    NX_STAT_INC(node, rejected_corrupt);
    atomic_fetch_add_explicit(&q->cons.q->rejected, 1, memory_order_relaxed);
    if (!q->corrupt_logged) {
        q->corrupt_logged = true;
        NX_LOGW("node",
                "%s: malformed message from '%s' dropped "
                "(magic %08x kind %u size %u); further ones are only counted",
                node->name, q->owner_name, h->magic, h->kind, h->size);
    }
    return false;
}

/* Handle the message in `slot` (the oldest of q) and give the slot back. */
static void rx_dispatch(nx_node_t *node, nx_rxq_t *q, const void *slot)
{
    nx_msg_hdr_t h;
    memcpy(&h, slot, sizeof h);
    if (!rx_header_ok(node, q, &h)) {
        nx__ring_release(&q->cons);
        return;
    }
    /* Copy out of shared memory before validating: the sender cannot
     * change what we check after we checked it. */
    memcpy(node->rx_buf, (const uint8_t *)slot + sizeof h, h.size);
    nx__ring_release(&q->cons);
    rx_deliver(node, q, &h, node->rx_buf);
}

/* Deliver what nx__rx_help() set aside, oldest first. Each entry is
 * copied out and removed before its callback runs, so help() may grow the
 * backlog meanwhile. */
static uint32_t rx_backlog(nx_node_t *node)
{
    uint32_t n = 0;
    while (node->backlog.count) {
        uint32_t i = node->backlog.head;
        const uint8_t *slot = node->backlog.slots + (size_t)i * node->cfg.node.message_size;
        nx_rxq_t *q = &node->rxq[node->backlog.queue[i]];
        nx_msg_hdr_t h;
        memcpy(&h, slot, sizeof h);
        if (h.kind == NX_MSGK_HANDLED) {
            node->backlog.head = (i + 1) % node->backlog.cap;
            node->backlog.count--;
            continue;
        }
        bool ok = rx_header_ok(node, q, &h);
        if (ok)
            memcpy(node->rx_buf, slot + sizeof h, h.size);
        node->backlog.head = (i + 1) % node->backlog.cap;
        node->backlog.count--;
        if (ok)
            rx_deliver(node, q, &h, node->rx_buf);
        n++;
    }
    return n;
}

/* Drain every active queue once, up to one ring's worth each. */
static uint32_t rx_drain(nx_node_t *node)
{
    if (atomic_load_explicit(&node->seg->queues_gen, memory_order_acquire) !=
        node->seen_queues_gen)
        rx_refresh(node);
    uint32_t total = rx_backlog(node);
    for (uint32_t k = 0; k < node->n_active && !node->backlog.count; k++) {
        uint32_t i = node->active[k];
        nx_rxq_t *r = &node->rxq[i];
        if (!r->active)
            continue;
        uint32_t f = atomic_load_explicit(&node->queues[i].flags, memory_order_acquire);
        if (!(f & NX_Q_VALID)) {
            r->active = false;
            continue;
        }
        nx__ring_heal_tail(&r->cons);
        uint32_t n = 0;
        /* Stop as soon as help() set messages aside: they are older than
         * what is left in the rings and go first. */
        while (n < r->cons.capacity && !node->backlog.count) {
            bool corrupt = false;
            const void *slot = nx__ring_peek(&r->cons, &corrupt);
            if (!slot) {
                if (corrupt && !r->corrupt_logged) {
                    r->corrupt_logged = true;
                    NX_STAT_INC(node, rejected_corrupt);
                    NX_LOGW("node",
                            "%s: queue from '%s' has an impossible write "
                            "index; ignored until its sender rewrites it",
                            node->name, r->owner_name);
                }
                break;
            }
            n++;
            NX_COUNT1(node->queues[i].received); /* receive thread only */
            NX_COUNT1(node->st.received);
            rx_dispatch(node, r, slot);
        }
        total += n;
        if (n == 0 && (f & NX_Q_CLOSED) && !node->backlog.count)
            rx_free_queue(node, i);
    }
    return total;
}

/* Is anything new in the rings (the backlog does not count: what is left
 * there waits for the callback to return)? */
static bool rx_rings_pending(void *ctx)
{
    nx_node_t *node = ctx;
    if (atomic_load_explicit(&node->stop, memory_order_relaxed))
        return true;
    if (atomic_load_explicit(&node->seg->queues_gen, memory_order_acquire) !=
        node->seen_queues_gen)
        return true;
    for (uint32_t k = 0; k < node->n_active; k++) {
        nx_rxq_t *r = &node->rxq[node->active[k]];
        if (r->active && nx__ring_pending(&r->cons))
            return true;
    }
    return false;
}

/* Anything to do: the rings, or what nx__rx_help() set aside. */
static bool rx_has_work(void *ctx)
{
    const nx_node_t *node = ctx;
    return node->backlog.count || rx_rings_pending(ctx);
}

/* Once per heartbeat period: beat, reap the dead, free orphan queues. */
static void rx_tick(nx_node_t *node, uint64_t now)
{
    /* Beat before anything that may wait: nothing another process holds
     * can stop our heartbeat. (A node that was reaped while stopped beats
     * its old slot once more; the slot's next owner overwrites it.) */
    atomic_store_explicit(&node->seg->heartbeat_ns, now, memory_order_relaxed);
    nx__registry_node_beat(node->reg, node->slot, now);
    nx__node_check_membership(node);
    uint64_t timeout = (uint64_t)node->cfg.node.heartbeat_timeout_ms * 1000000u;
    /* Never waits for the lease: if another writer holds it, the next
     * tick (ours or another node's) removes the dead. */
    uint32_t reaped = nx__registry_reap(node->reg, now, timeout, node->slot, false, false);
    if (reaped)
        atomic_fetch_add_explicit(&node->st.peers_reaped, reaped, memory_order_relaxed);
    /* Queues whose sender died: drained by now? then free them. A hung
     * sender (alive but silent) keeps its queue: it may wake up. */
    for (uint32_t i = 0; i < node->cfg.node.max_inbound_queues && !node->backlog.count;
         i++) {
        nx_rxq_t *r = &node->rxq[i];
        if (!r->active || nx__ring_pending(&r->cons))
            continue;
        if (!nx__plat_proc_alive((pid_t)r->owner_pid, r->owner_start))
            rx_free_queue(node, i);
    }
    nx__peers_prune(node);
    nx__routes_collect(node);
    nx__large_tick(node, now);
}

/* The node whose receive thread this is (NULL on other threads). */
static _Thread_local nx_node_t *tl_rx_node;

uint32_t nx__rx_help(void)
{
    nx_node_t *node = tl_rx_node;
    if (!node)
        return 0;
    uint32_t ms = node->cfg.node.message_size;
    /* Room for everything the rings hold now, growing up to the capacity
     * of all of them: a loop of replies never needs more. */
    uint32_t need = node->backlog.count;
    for (uint32_t k = 0; k < node->n_active; k++) {
        nx_rxq_t *r = &node->rxq[node->active[k]];
        if (r->active)
            need +=
                (uint32_t)(atomic_load_explicit(&r->cons.q->head, memory_order_acquire) -
                           r->cons.tail) &
                (r->cons.capacity * 2 - 1);
    }
    uint32_t max = node->cfg.node.max_inbound_queues * node->cfg.node.queue_capacity;
    if (need > max)
        need = max;
    if (need > node->backlog.cap) {
        uint32_t cap =
            node->backlog.cap ? node->backlog.cap : node->cfg.node.queue_capacity;
        while (cap < need)
            cap *= 2;
        if (cap > max)
            cap = max;
        uint8_t *slots = malloc((size_t)cap * ms);
        uint32_t *queue = malloc(cap * sizeof *queue);
        if (slots && queue) {
            /* Move the entries in order to the start of the new arrays. */
            for (uint32_t j = 0; j < node->backlog.count; j++) {
                uint32_t from = (node->backlog.head + j) % node->backlog.cap;
                memcpy(slots + (size_t)j * ms, node->backlog.slots + (size_t)from * ms, ms);
                queue[j] = node->backlog.queue[from];
            }
            free(node->backlog.slots);
            free(node->backlog.queue);
            node->backlog.slots = slots;
            node->backlog.queue = queue;
            node->backlog.cap = cap;
            node->backlog.head = 0;
        } else {
            free(slots);
            free(queue);
        }
    }
    if (!node->backlog.cap)
        return 0;
    /* Copy whole slots, oldest first per queue; headers are checked when
     * the backlog is delivered. */
    uint32_t moved = 0;
    for (uint32_t k = 0; k < node->n_active; k++) {
        uint32_t i = node->active[k];
        nx_rxq_t *r = &node->rxq[i];
        while (r->active && node->backlog.count < node->backlog.cap) {
            bool corrupt = false;
            const void *slot = nx__ring_peek(&r->cons, &corrupt);
            if (!slot)
                break;
            uint32_t at = (node->backlog.head + node->backlog.count) % node->backlog.cap;
            memcpy(node->backlog.slots + (size_t)at * ms, slot, ms);
            node->backlog.queue[at] = i;
            node->backlog.count++;
            nx__ring_release(&r->cons);
            NX_COUNT1(node->queues[i].received); /* receive thread only */
            NX_COUNT1(node->st.received);
            moved++;
        }
    }
    return moved;
}

bool nx__rx_on_thread(const nx_node_t *node)
{
    return tl_rx_node == node;
}

uint32_t nx__rx_pump(nx_node_t *node)
{
    /* A sender that connected while we wait (the server of our call,
     * answering for the first time) must be read too. */
    if (atomic_load_explicit(&node->seg->queues_gen, memory_order_acquire) !=
        node->seen_queues_gen)
        rx_refresh(node);
    nx__rx_help();
    uint32_t handled = 0, ms = node->cfg.node.message_size;
    /* By position from the head: a handler's own pump may grow (and so
     * move) the backlog, but keeps the order and marks what it handled. */
    for (uint32_t j = 0; j < node->backlog.count; j++) {
        uint32_t i = (node->backlog.head + j) % node->backlog.cap;
        uint8_t *slot = node->backlog.slots + (size_t)i * ms;
        nx_msg_hdr_t h;
        memcpy(&h, slot, sizeof h);
        if (h.kind != NX_MSGK_REQUEST && h.kind != NX_MSGK_REPLY)
            continue;
        nx_rxq_t *q = &node->rxq[node->backlog.queue[i]];
        ((nx_msg_hdr_t *)slot)->kind = NX_MSGK_HANDLED;
        if (!rx_header_ok(node, q, &h))
            continue;
        uint8_t *payload = malloc(h.size ? h.size : 1);
        if (!payload)
            continue; /* lost: the caller times out */
        memcpy(payload, slot + sizeof h, h.size);
        rx_service(node, q, &h, payload);
        free(payload);
        handled++;
    }
    return handled;
}

void nx__rx_wait(nx_node_t *node, uint64_t until_ns)
{
    /* The thread is busy for its node, not hung: keep beating. */
    uint64_t now = nx__plat_now_ns();
    if (now >= node->next_tick_ns) {
        atomic_store_explicit(&node->seg->heartbeat_ns, now, memory_order_relaxed);
        nx__registry_node_beat(node->reg, node->slot, now);
        node->next_tick_ns = now + (uint64_t)node->cfg.node.heartbeat_ms * 1000000u;
    }
    if (until_ns > node->next_tick_ns)
        until_ns = node->next_tick_ns;
    nx__bell_wait(&node->seg->bell, until_ns, rx_rings_pending, node);
}

static void *rx_thread(void *arg)
{
    nx_node_t *node = arg;
    tl_rx_node = node;
    const nx_config_t *c = &node->cfg;
    uint32_t empty_loops = 0;
    uint64_t heartbeat_ns = (uint64_t)c->node.heartbeat_ms * 1000000u;
    node->next_tick_ns = nx__plat_now_ns() + heartbeat_ns;
    uint32_t busy = 0;
    while (!atomic_load_explicit(&node->stop, memory_order_acquire)) {
        /* The clock is read lazily, at the batch's first message (its
         * receive time, nx__rx_time) - clock_gettime is a good part of the
         * cost of a message on a virtual machine. */
        node->rx_now = 0;
        uint32_t n = rx_drain(node);
        if (n) {
            empty_loops = 0;
            /* While busy, look at the heartbeat clock now and then. */
            if (++busy % 64 == 0 && node->rx_now >= node->next_tick_ns) {
                rx_tick(node, node->rx_now);
                node->next_tick_ns = node->rx_now + heartbeat_ns;
            }
            continue;
        }
        if (c->node.notify == NX_NOTIFY_SPIN) {
            /* Poll only the write indices, without the clock or a full
             * drain; after a round with nothing, mind the heartbeat. */
            bool work = false;
            for (int i = 0; i < 1024 && !(work = rx_has_work(node)); i++)
                nx__plat_cpu_relax();
            if (!work) {
                uint64_t now = nx__plat_now_ns();
                if (now >= node->next_tick_ns) {
                    rx_tick(node, now);
                    node->next_tick_ns = now + heartbeat_ns;
                }
                if (nx__svc_deadline(node) <= now)
                    nx__svc_tick(node, now);
            }
            continue;
        }
        uint64_t now = nx__plat_now_ns();
        if (now >= node->next_tick_ns) {
            rx_tick(node, now);
            node->next_tick_ns = now + heartbeat_ns;
        }
        if (c->node.spin_before_sleep_us) {
            /* Poll a little before paying for a sleep and a wake-up. */
            uint64_t until = now + (uint64_t)c->node.spin_before_sleep_us * 1000u;
            bool work = false;
            while (!(work = rx_has_work(node)) && nx__plat_now_ns() < until)
                nx__plat_cpu_relax();
            if (work)
                continue;
        }
        if (empty_loops < c->node.idle_after_loops)
            empty_loops++;
        uint64_t wait_ms = empty_loops >= c->node.idle_after_loops
                               ? c->node.idle_timeout_ms
                               : c->node.busy_timeout_ms;
        uint64_t deadline = now + wait_ms * 1000000u;
        if (deadline > node->next_tick_ns)
            deadline = node->next_tick_ns;
        /* Asynchronous service calls end on time. */
        uint64_t svc_due = nx__svc_deadline(node);
        if (svc_due <= now) {
            nx__svc_tick(node, now);
            continue;
        }
        if (deadline > svc_due)
            deadline = svc_due;
        if (nx__bell_wait(&node->seg->bell, deadline, rx_has_work, node))
            NX_STAT_INC(node, wakeups);
        else
            NX_STAT_INC(node, timeouts);
    }
    return NULL;
}

nx_err_t nx__rx_start(nx_node_t *node)
{
    if (pthread_create(&node->thread, NULL, rx_thread, node) != 0)
        return NX_ESYS;
    node->thread_started = true;
    return NX_OK;
}

void nx__rx_stop(nx_node_t *node)
{
    if (!node->thread_started)
        return;
    atomic_store_explicit(&node->stop, true, memory_order_release);
    nx__bell_force(&node->seg->bell);
    pthread_join(node->thread, NULL);
    node->thread_started = false;
}
