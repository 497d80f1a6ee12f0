/*
 * node.c: a node's lifetime (create, destroy) and its receive thread.
 *
 * The receive thread drains every active inbound queue in a batch, then
 * sleeps on the node's one doorbell (notify.c) with the adaptive timeout
 * of LibRPC: busy_timeout_ms while traffic flows, idle_timeout_ms after
 * idle_after_loops empty wake-ups. It also beats the heartbeat, reaps dead
 * nodes from the registry and frees queues of senders that left.
 */
#include "node_impl.h"

#include "domain.h"
#include "large_impl.h"
#include "log_impl.h"
#include "notify_impl.h"
#include "platform/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static _Atomic uint32_t segment_seq;

const char *nx_node_name(const nx_node_t *node) { return node ? node->name : ""; }
const char *nx_node_domain(const nx_node_t *node) { return node ? node->domain : ""; }

/* ---- the segment ----------------------------------------------------- */

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

static nx_err_t segment_create(nx_node_t *node)
{
    const nx_config_t *c = &node->cfg;
    size_t qoff = align_up(sizeof(nx_seg_header_t), 4096);
    size_t soff = align_up(qoff + (size_t)c->node.max_inbound_queues * sizeof(nx_queue_hdr_t),
                           4096);
    size_t size = soff + (size_t)c->node.max_inbound_queues * c->node.queue_capacity *
                             c->node.message_size;
    snprintf(node->seg_name, sizeof node->seg_name, "/nexus.%s.n.%s.%d.%u",
             node->domain, node->name, (int)node->pid,
             atomic_fetch_add(&segment_seq, 1));
    /* With the liveness lock: the kernel drops it when we die (rule 10). */
    nx_err_t err = nx__plat_shm_create_locked(node->seg_name, size, c->shm.mode,
                                              &node->seg_fd, (void **)&node->seg);
    if (err != NX_OK) {
        NX_LOGE("node", "%s: cannot create segment %s (%zu bytes): %s (%s)", node->name,
                node->seg_name, size, nx_strerror(err), strerror(errno));
        node->seg_fd = -1;
        node->seg = NULL;
        return err;
    }
    node->seg_size = size;
    nx_seg_header_t *h = node->seg;
    h->version = NX_LAYOUT_VERSION;
    h->abi = NX_ABI_WORD;
    h->size = size;
    snprintf(h->libc, sizeof h->libc, "%s", nx__plat_libc_id());
    h->pid = (uint32_t)node->pid;
    h->start_time = nx__plat_proc_start_time(node->pid);
    h->max_queues = c->node.max_inbound_queues;
    h->queue_capacity = c->node.queue_capacity;
    h->message_size = c->node.message_size;
    h->queues_offset = qoff;
    h->slots_offset = soff;
    memcpy(h->name, node->name, strlen(node->name) + 1);
    atomic_store(&h->ref_count, 1);
    atomic_store(&h->state, 1);
    atomic_store(&h->heartbeat_ns, nx__plat_now_ns());
    err = nx__bell_init(&h->bell, c->node.notify);
    if (err != NX_OK) {
        nx__plat_shm_unlink(node->seg_name);
        return err;
    }
    node->queues = (nx_queue_hdr_t *)((uint8_t *)h + qoff);
    node->slots = (uint8_t *)h + soff;
    /* Magic last: a peer that sees it sees a complete header. */
    atomic_store_explicit((_Atomic uint64_t *)&h->magic, NX_SEG_MAGIC,
                          memory_order_release);
    return NX_OK;
}

/* What the node puts in its registry entry. */
static nx_reg_node_info_t node_reg_info(const nx_node_t *node)
{
    nx_reg_node_info_t info = {
        .name = node->name,
        .segment = node->seg_name,
        .notify = node->cfg.node.notify,
        .max_queues = node->cfg.node.max_inbound_queues,
        .queue_capacity = node->cfg.node.queue_capacity,
        .message_size = node->cfg.node.message_size,
        .heartbeat_timeout_ms = node->cfg.node.heartbeat_timeout_ms,
    };
    return info;
}

/* ---- receive thread ------------------------------------------------------ */

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
        if (r->active && (q->owner_slot != r->owner_slot || q->owner_incarnation != r->owner_inc))
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

/* Deliver one message whose header and payload are private copies. */
static void rx_deliver(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h,
                       const uint8_t *payload)
{
    if (h->kind == NX_MSGK_LARGE) {
        nx__large_receive(node, q, h, payload);
        return;
    }
    nx_delivery_t d = {.data = payload, .size = h->size};
    nx_msg_info_t info = {
        .sender = q->owner_name,
        .seq = h->seq,
        .send_time_ns = h->send_time_ns,
        .recv_time_ns = nx__rx_time(node, h->send_time_ns),
        .sender_pid = q->owner_pid,
        .flags = 0,
        .ref = &d,
    };
    nx__sub_deliver(node, h->topic_slot, h->topic_inc, payload, h->size, h->fingerprint,
                    &info, false);
}

/* Check a message header copied out of shared memory. */
static bool rx_header_ok(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h)
{
    size_t max = node->cfg.node.message_size - sizeof *h;
    if (h->magic == NX_MSG_MAGIC && h->size <= max &&
        (h->kind == NX_MSGK_DATA || h->kind == NX_MSGK_LARGE))
        return true;
    NX_STAT_INC(node, rejected_corrupt);
    atomic_fetch_add_explicit(&q->cons.q->rejected, 1, memory_order_relaxed);
    if (!q->corrupt_logged) {
        q->corrupt_logged = true;
        NX_LOGW("node", "%s: malformed message from '%s' dropped "
                "(magic %08x kind %u size %u); further ones are only counted",
                node->name, q->owner_name, h->magic, h->kind, h->size);
    }
    return false;
}

/* Handle the message in `slot` (the oldest of q) and give the slot back. */
void nx__node_rx_dispatch(nx_node_t *node, nx_rxq_t *q, const void *slot)
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

/* Deliver what nx__node_help() set aside, oldest first. Each entry is
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
                    NX_LOGW("node", "%s: queue from '%s' has an impossible write "
                            "index; ignored until its sender rewrites it",
                            node->name, r->owner_name);
                }
                break;
            }
            n++;
            NX_COUNT1(node->queues[i].received); /* receive thread only */
            NX_COUNT1(node->st.received);
            nx__node_rx_dispatch(node, r, slot);
        }
        total += n;
        if (n == 0 && (f & NX_Q_CLOSED) && !node->backlog.count)
            rx_free_queue(node, i);
    }
    return total;
}

static bool rx_has_work(void *ctx)
{
    nx_node_t *node = ctx;
    if (atomic_load_explicit(&node->stop, memory_order_relaxed))
        return true;
    if (atomic_load_explicit(&node->seg->queues_gen, memory_order_acquire) !=
        node->seen_queues_gen)
        return true;
    if (node->backlog.count)
        return true;
    for (uint32_t k = 0; k < node->n_active; k++) {
        nx_rxq_t *r = &node->rxq[node->active[k]];
        if (r->active && nx__ring_pending(&r->cons))
            return true;
    }
    return false;
}

/* Are we still in the registry as ourselves? Not if we were hung (or
 * stopped) long enough for another node to reap us. */
static bool node_registered(nx_node_t *node)
{
    if (nx__registry_lock(node->reg) != NX_OK)
        return true; /* cannot tell; try again next tick */
    const nx_reg_node_t *n = &node->reg->shm->nodes[node->slot];
    bool ok = n->state == NX_NODE_ALIVE && n->incarnation == node->incarnation &&
              n->pid == (uint32_t)node->pid;
    nx__registry_unlock(node->reg);
    return ok;
}

/*
 * Join the registry again under a new incarnation, with every publication
 * and subscription, after we were removed while hung. Peers see a new
 * node and reconnect on their own.
 */
static void node_rejoin(nx_node_t *node)
{
    nx_reg_node_info_t info = node_reg_info(node);
    /* Our queues in peers belong to the old identity: close them first. */
    nx__peers_close(node);
    uint32_t slot, inc;
    nx_err_t err = nx__registry_node_add(node->reg, &info, &slot, &inc);
    if (err != NX_OK) {
        NX_LOGE("node", "%s: removed from domain '%s' while not responding, and cannot "
                "rejoin: %s", node->name, node->domain,
                err == NX_EEXIST ? "another node took the name" : nx_strerror(err));
        return;
    }
    NX_LOGW("node", "%s: was removed from domain '%s' while not responding; rejoined",
            node->name, node->domain);
    node->slot = slot;
    node->incarnation = inc;
    node->seg->reg_slot = slot;
    node->seg->incarnation = inc;
    nx__inproc_rekey(node);
    nx__large_rejoin(node);
    nx__subs_rejoin(node);
    nx__pubs_rejoin(node);
}

/* Once per heartbeat period: beat, reap the dead, free orphan queues. */
static void rx_tick(nx_node_t *node, uint64_t now)
{
    if (!node_registered(node))
        node_rejoin(node);
    atomic_store_explicit(&node->seg->heartbeat_ns, now, memory_order_relaxed);
    nx__registry_node_beat(node->reg, node->slot, now);
    uint64_t timeout = (uint64_t)node->cfg.node.heartbeat_timeout_ms * 1000000u;
    uint32_t reaped = nx__registry_reap(node->reg, now, timeout, node->slot);
    if (reaped)
        atomic_fetch_add_explicit(&node->st.peers_reaped, reaped, memory_order_relaxed);
    /* Queues whose sender died: drained by now? then free them. A hung
     * sender (alive but silent) keeps its queue: it may wake up. */
    for (uint32_t i = 0; i < node->cfg.node.max_inbound_queues && !node->backlog.count; i++) {
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

uint32_t nx__node_help(void)
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
            need += (uint32_t)(atomic_load_explicit(&r->cons.q->head, memory_order_acquire) -
                               r->cons.tail) & (r->cons.capacity * 2 - 1);
    }
    uint32_t max = node->cfg.node.max_inbound_queues * node->cfg.node.queue_capacity;
    if (need > max)
        need = max;
    if (need > node->backlog.cap) {
        uint32_t cap = node->backlog.cap ? node->backlog.cap : node->cfg.node.queue_capacity;
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
        if (nx__bell_wait(&node->seg->bell, deadline, rx_has_work, node))
            NX_STAT_INC(node, wakeups);
        else
            NX_STAT_INC(node, timeouts);
    }
    return NULL;
}

/* ---- create / destroy --------------------------------------------------- */

static nx_err_t config_resolve(const nx_config_t *in, nx_config_t *out)
{
    if (in) {
        *out = *in;
    } else {
        nx_config_default(out);
        const char *path = getenv("NEXUS_CONFIG");
        if (path && path[0]) {
            nx_err_t err = nx_config_load(path, out);
            if (err != NX_OK)
                return NX_ECONFIG;
        }
    }
    const char *dom = getenv("NEXUS_DOMAIN");
    if (dom && dom[0]) {
        if (!nx__domain_name_ok(dom)) {
            NX_LOGE("node", "NEXUS_DOMAIN='%.40s' is not 1..%d characters of "
                    "[A-Za-z0-9_-]", dom, NX_DOMAIN_NAME_MAX);
            return NX_EINVAL;
        }
        snprintf(out->domain, sizeof out->domain, "%s", dom);
    }
    char msg[256];
    if (nx_config_validate(out, msg, sizeof msg) != NX_OK) {
        NX_LOGE("node", "invalid configuration: %s", msg);
        return NX_EINVAL;
    }
    return NX_OK;
}

nx_err_t nx_node_create(const char *name, const nx_config_t *cfg, nx_node_t **out)
{
    if (!out || !nx__node_name_ok(name))
        return NX_EINVAL;
    nx_node_t *node = calloc(1, sizeof *node);
    if (!node)
        return NX_ENOMEM;
    node->seg_fd = -1;
    node->local = UINT32_MAX;
    node->pid = getpid();
    memcpy(node->name, name, strlen(name) + 1);
    pthread_mutex_init(&node->subs_lock, NULL);
    pthread_mutex_init(&node->pubs_lock, NULL);
    pthread_mutex_init(&node->peers_lock, NULL);
    pthread_mutex_init(&node->large_lock, NULL);

    nx_err_t err = config_resolve(cfg, &node->cfg);
    if (err != NX_OK)
        goto fail;
    if (!cfg || getenv("NEXUS_LOG") == NULL)
        nx_log_set_level(node->cfg.log.level);
    memcpy(node->domain, node->cfg.domain, sizeof node->domain);

    uint32_t nq = node->cfg.node.max_inbound_queues;
    node->rxq = calloc(nq, sizeof *node->rxq);
    node->active = calloc(nq, sizeof *node->active);
    node->subs = calloc(NX_REG_MAX_TOPICS, sizeof *node->subs);
    node->rx_buf = aligned_alloc(64, align_up(node->cfg.node.message_size, 64));
    if (!node->rxq || !node->active || !node->subs || !node->rx_buf) {
        err = NX_ENOMEM;
        goto fail;
    }

    nx__orphans_remove(node->domain);
    err = nx__registry_open(node->domain, node->cfg.shm.mode, &node->reg);
    if (err != NX_OK)
        goto fail;
    err = segment_create(node);
    if (err != NX_OK)
        goto fail;
    nx_reg_node_info_t info = node_reg_info(node);
    uint32_t slot = UINT32_MAX, inc = 0;
    err = nx__registry_node_add(node->reg, &info, &slot, &inc);
    node->slot = slot;
    node->incarnation = inc;
    if (err != NX_OK) {
        if (err == NX_EEXIST)
            NX_LOGE("node", "a node named '%s' is already running in domain '%s'",
                    node->name, node->domain);
        node->slot = UINT32_MAX;
        goto fail;
    }
    node->seg->reg_slot = node->slot;
    node->seg->incarnation = node->incarnation;
    err = nx__inproc_add(node);
    if (err != NX_OK)
        goto fail;
    if (pthread_create(&node->thread, NULL, rx_thread, node) != 0) {
        err = NX_ESYS;
        goto fail;
    }
    node->thread_started = true;
    NX_LOGD("node", "%s: joined domain '%s' (slot %u, %s mode, segment %s)", node->name,
            node->domain, node->slot, nx_notify_mode_name(node->cfg.node.notify),
            node->seg_name);
    *out = node;
    return NX_OK;
fail:
    nx_node_destroy(node);
    return err;
}

void nx_node_destroy(nx_node_t *node)
{
    if (!node)
        return;
    if (node->thread_started) {
        atomic_store_explicit(&node->stop, true, memory_order_release);
        nx__bell_force(&node->seg->bell);
        pthread_join(node->thread, NULL);
    }
    /* No in-process delivery reaches us after this. */
    nx__inproc_remove(node);
    if (node->reg && node->slot != UINT32_MAX && node->seg) {
        nx__pubs_free(node);
        nx__registry_node_remove(node->reg, node->slot, node->incarnation);
    }
    nx__peers_close(node);
    nx__large_fini(node);
    for (uint32_t i = 0; node->rxq && i < node->cfg.node.max_inbound_queues; i++)
        nx__large_map_put(node->rxq[i].lmap);
    nx__subs_free(node);
    if (node->seg) {
        /* Peers that still map the segment keep their mapping; the name
         * goes now so that nothing new attaches to a node that left. The
         * process-shared objects in it are not destroyed: a peer may be
         * ringing the doorbell at this moment, and the memory goes with
         * the last mapping. */
        atomic_store(&node->seg->state, 2);
        nx__plat_shm_unlink(node->seg_name);
        munmap(node->seg, node->seg_size);
    }
    if (node->seg_fd >= 0)
        close(node->seg_fd);
    nx__registry_close(node->reg, true);
    pthread_mutex_destroy(&node->subs_lock);
    pthread_mutex_destroy(&node->pubs_lock);
    pthread_mutex_destroy(&node->peers_lock);
    pthread_mutex_destroy(&node->large_lock);
    free(node->rxq);
    free(node->active);
    free(node->subs);
    free(node->rx_buf);
    free(node->backlog.slots);
    free(node->backlog.queue);
    free(node);
}

nx_err_t nx_node_find(nx_node_t *node, const char *name, uint32_t *pid)
{
    if (!node || !nx__node_name_ok(name))
        return NX_EINVAL;
    nx_err_t err = nx__registry_lock(node->reg);
    if (err != NX_OK)
        return err;
    err = NX_ENOTFOUND;
    size_t len = strlen(name);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *n = &node->reg->shm->nodes[i];
        if (n->state == NX_NODE_ALIVE && memcmp(n->name, name, len) == 0 &&
            n->name[len] == '\0') {
            if (pid)
                *pid = n->pid;
            err = NX_OK;
            break;
        }
    }
    nx__registry_unlock(node->reg);
    return err;
}

/* ---- statistics ------------------------------------------------------------- */

nx_err_t nx_node_stats(nx_node_t *node, nx_node_stats_t *out)
{
    if (!node || !out)
        return NX_EINVAL;
#define ST_(f) out->f = atomic_load_explicit(&node->st.f, memory_order_relaxed)
    ST_(published);
    ST_(publish_failed);
    out->sent_remote = nx__node_sent_remote(node);
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
