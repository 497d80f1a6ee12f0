/*
 * pub.c: publishing. A node keeps one nx_pub_t per (group, topic) it
 * publishes, each with a route: the subscribers of the topic as the
 * registry listed them at one generation, resolved to local nodes (direct
 * call) or peers (a queue we own in their segment). A publish checks the
 * registry's generation (one atomic load); only when it moved is the
 * route rebuilt. The message path itself takes no shared lock: a
 * process-local mutex per peer serialises our own threads on that peer's
 * single-producer ring (rule 6).
 */
#include "node_impl.h"

#include "large_impl.h"
#include "log_impl.h"
#include "notify_impl.h"
#include "platform/platform.h"
#include "segment.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- peers ---------------------------------------------------------- */

static void peer_put(nx_peer_t *p)
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
        if (!atomic_compare_exchange_strong_explicit(
                &q->flags, &expect, NX_Q_CLAIMING, memory_order_acq_rel,
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

/* Connect to the node in registry slot n (copied under the registry lock). */
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
    atomic_flag_clear(&p->lock.flag);

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
            NX_LOGW("node", "%s: node '%s' has no free inbound queue "
                    "(max_inbound_queues); messages to it are dropped",
                    node->name, p->name);
    } else {
        NX_LOGW("node", "%s: cannot attach segment of node '%s' (%s): %s",
                node->name, p->name, seg, nx_strerror(err));
    }
    if (err != NX_OK)
        atomic_store(&p->broken, true);
    return p;
}

static void peer_close_queue(nx_node_t *node, nx_peer_t *p);

/* The peer for registry slot `slot`, incarnation n->incarnation, with a
 * reference for the caller. peers_lock held. */
static nx_peer_t *peer_get_locked(nx_node_t *node, uint32_t slot,
                                  const nx_reg_node_t *n)
{
    nx_peer_t *p = node->peers[slot];
    if (p && (p->incarnation != n->incarnation ||
              atomic_load_explicit(&p->broken, memory_order_relaxed))) {
        /* Restarted, or unusable last time (no free queue, a queue taken
         * from us, a bad segment): try afresh. */
        peer_close_queue(node, p);
        node->peers[slot] = NULL;
        peer_put(p);
        p = NULL;
    }
    if (!p) {
        p = peer_open(node, slot, n);
        if (!p)
            return NULL;
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
        peer_put(p);
    }
    pthread_mutex_unlock(&node->peers_lock);
}

void nx__peers_prune(nx_node_t *node)
{
    /* Snapshot identities under the registry lock, then drop stale peers. */
    uint32_t inc[NX_REG_MAX_NODES];
    bool alive[NX_REG_MAX_NODES];
    if (nx__registry_lock(node->reg) != NX_OK)
        return;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        alive[i] = node->reg->shm->nodes[i].state == NX_NODE_ALIVE;
        inc[i] = node->reg->shm->nodes[i].incarnation;
    }
    nx__registry_unlock(node->reg);
    pthread_mutex_lock(&node->peers_lock);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_peer_t *p = node->peers[i];
        if (p && (!alive[i] || inc[i] != p->incarnation)) {
            peer_close_queue(node, p);
            node->peers[i] = NULL;
            peer_put(p);
        }
    }
    pthread_mutex_unlock(&node->peers_lock);
}

/* ---- routes ----------------------------------------------------------- */

static void route_free(nx_route_t *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->count; i++)
        peer_put(r->targets[i].peer);
    free(r);
}

/* Free the retired routes if no publisher holds one. route_lock held. */
static void routes_collect_locked(nx_pub_t *pub)
{
    /* seq_cst: pairs with the increment-then-load in nx__route_get(). A
     * reader that incremented before this load is seen here; one that
     * increments after it loads the current route, never a retired one. */
    if (!pub->retired || atomic_load_explicit(&pub->readers, memory_order_seq_cst) != 0)
        return;
    while (pub->retired) {
        nx_route_t *r = pub->retired;
        pub->retired = r->next;
        route_free(r);
    }
}

/* Build the route of pub from the registry as it is now. */
static nx_route_t *route_build(nx_node_t *node, nx_pub_t *pub)
{
    nx_registry_t *reg = node->reg;
    uint32_t slots[NX_REG_MAX_NODES];
    nx_reg_node_t *entries = malloc(sizeof(nx_reg_node_t) * NX_REG_MAX_NODES);
    if (!entries || nx__registry_lock(reg) != NX_OK) {
        free(entries);
        return NULL;
    }
    uint64_t gen = nx__registry_generation(reg);
    uint32_t n = 0;
    uint64_t id = atomic_load_explicit(&pub->topic_id, memory_order_relaxed);
    uint32_t tslot = (uint32_t)id, tinc = (uint32_t)(id >> 32);
    const nx_reg_topic_t *tp = tslot < NX_REG_MAX_TOPICS ? &reg->shm->topics[tslot] : NULL;
    if (tp && tp->used && tp->incarnation == tinc) {
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
            if (!(tp->subs[i / 64] & (UINT64_C(1) << (i % 64))))
                continue;
            const nx_reg_node_t *e = &reg->shm->nodes[i];
            if (e->state != NX_NODE_ALIVE)
                continue;
            slots[n] = i;
            entries[n] = *e;
            n++;
        }
    }
    nx__registry_unlock(reg);

    nx_route_t *r = calloc(1, sizeof *r + n * sizeof(nx_target_t));
    if (!r) {
        free(entries);
        return NULL;
    }
    r->gen = gen;
    pthread_mutex_lock(&node->peers_lock);
    for (uint32_t k = 0; k < n; k++) {
        nx_target_t *t = &r->targets[r->count];
        if (entries[k].pid == (uint32_t)node->pid) {
            if (nx__inproc_find(node->domain, slots[k], entries[k].incarnation,
                                &t->local, &t->local_gen))
                r->count++;
            /* Not found: a node of ours that is being created or destroyed. */
        } else {
            t->peer = peer_get_locked(node, slots[k], &entries[k]);
            if (t->peer)
                r->count++;
        }
    }
    pthread_mutex_unlock(&node->peers_lock);
    free(entries);
    return r;
}

nx_route_t *nx__route_get(nx_node_t *node, nx_pub_t *pub)
{
    for (;;) {
        /* Count ourselves before looking: see routes_collect_locked(). */
        atomic_fetch_add_explicit(&pub->readers, 1, memory_order_seq_cst);
        nx_route_t *r = atomic_load_explicit(&pub->route, memory_order_seq_cst);
        uint64_t gen = nx__registry_generation(node->reg);
        if (r && r->gen == gen)
            return r;
        /* Stale: rebuild under the lock, without counting ourselves (so
         * that retired routes can be freed), then look again. */
        atomic_fetch_sub_explicit(&pub->readers, 1, memory_order_release);
        pthread_mutex_lock(&pub->route_lock);
        nx_route_t *cur = atomic_load_explicit(&pub->route, memory_order_relaxed);
        if (!cur || cur->gen != nx__registry_generation(node->reg)) {
            nx_route_t *fresh = route_build(node, pub);
            if (!fresh) {
                pthread_mutex_unlock(&pub->route_lock);
                if (!cur)
                    return NULL;
                /* Out of memory: use the old route rather than nothing. */
                atomic_fetch_add_explicit(&pub->readers, 1, memory_order_seq_cst);
                return atomic_load_explicit(&pub->route, memory_order_seq_cst);
            }
            atomic_store_explicit(&pub->route, fresh, memory_order_seq_cst);
            if (cur) {
                cur->next = pub->retired;
                pub->retired = cur;
            }
        }
        routes_collect_locked(pub);
        pthread_mutex_unlock(&pub->route_lock);
    }
}

void nx__route_put(nx_pub_t *pub)
{
    /* Release: our use of the route happens before a collector that sees
     * the count drop frees it. */
    atomic_fetch_sub_explicit(&pub->readers, 1, memory_order_release);
}

void nx__routes_collect(nx_node_t *node)
{
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        nx_pub_t *p = atomic_load_explicit(&node->pubs[i], memory_order_acquire);
        if (!p)
            continue;
        pthread_mutex_lock(&p->route_lock);
        routes_collect_locked(p);
        pthread_mutex_unlock(&p->route_lock);
    }
}

/* ---- the publisher table ---------------------------------------------- */

static uint32_t name_hash(const char *group, const char *topic)
{
    uint32_t h = 2166136261u;
    for (const char *s = group; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    h = (h ^ 0xffu) * 16777619u;
    for (const char *s = topic; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* A node may publish one topic both raw and typed: each is its own
 * publisher, so raw bytes never travel with a type's fingerprint. */
static nx_pub_t *pub_lookup(nx_node_t *node, const char *group, const char *topic,
                            uint64_t fingerprint, uint32_t hash)
{
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        /* Acquire pairs with the release store in pub_get(): a pub seen
         * here is fully built. */
        nx_pub_t *p = atomic_load_explicit(&node->pubs[(hash + i) % NX_PUB_TABLE],
                                           memory_order_acquire);
        if (!p)
            return NULL;
        if (p->fingerprint == fingerprint && strcmp(p->topic, topic) == 0 &&
            strcmp(p->group, group) == 0)
            return p;
    }
    return NULL;
}

nx_err_t nx__pub_get(nx_node_t *node, const char *group, const char *topic,
                     const nx_topic_desc_t *desc, nx_pub_t **out)
{
    uint32_t hash = name_hash(group, topic);
    uint64_t fp = desc ? desc->type->fingerprint : 0;
    nx_pub_t *p = pub_lookup(node, group, topic, fp, hash);
    if (p) {
        *out = p;
        return NX_OK;
    }
    /* First publish of this topic: the names are checked once, here. */
    if (!nx__topic_name_ok(group, true) || !nx__topic_name_ok(topic, false))
        return NX_EINVAL;
    pthread_mutex_lock(&node->pubs_lock);
    p = pub_lookup(node, group, topic, fp, hash);
    if (p) {
        pthread_mutex_unlock(&node->pubs_lock);
        *out = p;
        return NX_OK;
    }
    uint32_t at = UINT32_MAX;
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        uint32_t k = (hash + i) % NX_PUB_TABLE;
        if (!atomic_load_explicit(&node->pubs[k], memory_order_relaxed)) {
            at = k;
            break;
        }
    }
    if (at == UINT32_MAX || at == (hash + NX_PUB_TABLE - 1) % NX_PUB_TABLE) {
        /* Keep one empty slot so lookups always terminate early. */
        pthread_mutex_unlock(&node->pubs_lock);
        return NX_ELIMIT;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        pthread_mutex_unlock(&node->pubs_lock);
        return NX_ENOMEM;
    }
    memcpy(p->group, group, strlen(group) + 1);
    memcpy(p->topic, topic, strlen(topic) + 1);
    p->desc = desc;
    p->fingerprint = desc ? desc->type->fingerprint : 0;
    atomic_init(&p->on_full, desc ? (uint32_t)desc->on_full : NX_ON_FULL_FAIL);
    atomic_init(&p->block_ms, desc ? desc->block_ms : 0);
    pthread_mutex_init(&p->route_lock, NULL);
    char other[NX_TYPE_NAME_MAX + 1] = "";
    uint32_t tslot, tinc;
    nx_err_t err = nx__registry_topic_attach(node->reg, group, topic,
                                             desc ? desc->type : NULL, node->slot,
                                             true, &tslot, &tinc, other, sizeof other);
    atomic_init(&p->topic_id, nx__topic_id(tslot, tinc));
    if (err != NX_OK) {
        pthread_mutex_unlock(&node->pubs_lock);
        if (err == NX_ETYPE)
            NX_LOGE("node", "%s: publish to '%s' refused: type mismatch: the topic "
                    "carries '%s', this publisher writes '%s'", node->name, topic,
                    other, desc->type->name ? desc->type->name : "?");
        pthread_mutex_destroy(&p->route_lock);
        free(p);
        return err;
    }
    atomic_store_explicit(&node->pubs[at], p, memory_order_release);
    pthread_mutex_unlock(&node->pubs_lock);
    *out = p;
    return NX_OK;
}

void nx__pubs_free(nx_node_t *node)
{
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        nx_pub_t *p = atomic_exchange(&node->pubs[i], NULL);
        if (!p)
            continue;
        uint64_t id = atomic_load(&p->topic_id);
        nx__registry_topic_detach(node->reg, (uint32_t)id, (uint32_t)(id >> 32),
                                  node->slot, true);
        route_free(atomic_load(&p->route));
        while (p->retired) {
            nx_route_t *r = p->retired;
            p->retired = r->next;
            route_free(r);
        }
        pthread_mutex_destroy(&p->route_lock);
        free(p);
    }
}

void nx__pubs_rejoin(nx_node_t *node)
{
    pthread_mutex_lock(&node->pubs_lock);
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        nx_pub_t *p = atomic_load_explicit(&node->pubs[i], memory_order_acquire);
        if (!p)
            continue;
        uint32_t tslot, tinc;
        if (nx__registry_topic_attach(node->reg, p->group, p->topic,
                                      p->desc ? p->desc->type : NULL, node->slot, true,
                                      &tslot, &tinc, NULL, 0) == NX_OK)
            atomic_store(&p->topic_id, nx__topic_id(tslot, tinc));
        else
            NX_LOGE("node", "%s: cannot publish '%s' again after rejoining", node->name,
                    p->topic);
    }
    pthread_mutex_unlock(&node->pubs_lock);
}

/* ---- sending ----------------------------------------------------------- */

void nx__send_init(nx_send_t *s, nx_node_t *node, nx_pub_t *pub)
{
    memset(s, 0, sizeof *s);
    s->node = node;
    s->pub = pub;
    s->seq = atomic_fetch_add_explicit(&pub->seq, 1, memory_order_relaxed) + 1;
    uint64_t id = atomic_load_explicit(&pub->topic_id, memory_order_relaxed);
    s->topic_slot = (uint32_t)id;
    s->topic_inc = (uint32_t)(id >> 32);
    s->now = nx__plat_now_ns();
}

static void inproc_deliver(nx_node_t *target, void *arg)
{
    nx_send_t *c = arg;
    nx_delivery_t d = {.data = c->local_data, .size = c->local_size};
    nx_msg_info_t info = {
        .sender = c->node->name,
        .seq = c->seq,
        .send_time_ns = c->now,
        .recv_time_ns = c->now,
        .sender_pid = (uint32_t)c->node->pid,
        .flags = NX_MSG_INPROC | c->flags,
        .ref = &d,
    };
    nx__sub_deliver(target, c->topic_slot, c->topic_inc, c->local_data,
                    c->local_size, c->pub->fingerprint, &info, true);
    NX_STAT_INC(c->node, delivered_inproc);
}

void nx__send_local(nx_send_t *s, const nx_target_t *t)
{
    nx__inproc_with(t->local, t->local_gen, inproc_deliver, s);
}

/* Is the receiver of p still there? (pid + start time; cheap enough to do
 * every few milliseconds while blocked.) */
static bool peer_alive(nx_peer_t *p)
{
    return atomic_load_explicit(&p->seg->state, memory_order_relaxed) == 1 &&
           nx__plat_proc_alive(p->pid, p->seg->start_time);
}

/* Is the receiver of p still in the registry as the node we attached
 * to? Not if it was reaped as hung: then waiting for room is pointless. */
static bool peer_registered(nx_node_t *node, const nx_peer_t *p)
{
    if (nx__registry_lock(node->reg) != NX_OK)
        return true;
    const nx_reg_node_t *n = &node->reg->shm->nodes[p->slot];
    bool ok = n->state == NX_NODE_ALIVE && n->incarnation == p->incarnation;
    nx__registry_unlock(node->reg);
    return ok;
}

nx_err_t nx__send_remote(nx_send_t *c, nx_peer_t *p)
{
    if (atomic_load_explicit(&p->broken, memory_order_relaxed)) {
        NX_STAT_INC(c->node, dropped_no_queue);
        return NX_ENOTFOUND;
    }
    nx_on_full_t on_full = atomic_load_explicit(&c->pub->on_full, memory_order_relaxed);
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
            NX_STAT_INC(c->node, dropped_no_queue);
            return NX_ENOTFOUND;
        }
        void *slot;
        nx_err_t err = nx__ring_reserve(&p->prod, &slot);
        if (err == NX_OK) {
            nx_msg_hdr_t *h = slot;
            h->magic = NX_MSG_MAGIC;
            h->kind = c->kind;
            h->size = (uint32_t)c->size;
            h->topic_slot = c->topic_slot;
            h->topic_inc = c->topic_inc;
            h->flags = c->flags;
            h->seq = c->seq;
            h->send_time_ns = c->now;
            h->fingerprint = c->pub->fingerprint;
            memcpy(h + 1, c->data, c->size);
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
                deadline = now + (uint64_t)atomic_load(&c->pub->block_ms) * 1000000u;
            if (now < deadline) {
                if (now >= p->next_live_check_ns) {
                    p->next_live_check_ns = now + 10000000u;
                    if (!peer_alive(p) || !peer_registered(c->node, p)) {
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
                if (nx__node_help() > 0)
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

static nx_err_t publish_route(nx_node_t *node, nx_pub_t *pub, const void *data,
                              size_t size)
{
    nx_route_t *r = nx__route_get(node, pub);
    if (!r)
        return NX_ENOMEM;
    nx_send_t c;
    nx__send_init(&c, node, pub);
    c.data = c.local_data = data;
    c.size = c.local_size = size;
    c.kind = NX_MSGK_DATA;
    nx_err_t result = NX_OK;
    for (uint32_t i = 0; i < r->count; i++) {
        const nx_target_t *t = &r->targets[i];
        if (t->peer) {
            if (nx__send_remote(&c, t->peer) == NX_ETIMEOUT)
                result = NX_ETIMEOUT;
        } else {
            nx__send_local(&c, t);
        }
    }
    nx__route_put(pub);
    return result;
}

nx_err_t nx__publish(nx_node_t *node, const char *group, const char *topic,
                     const nx_topic_desc_t *desc, const void *data, size_t size,
                     bool large_only)
{
    nx_pub_t *pub;
    nx_err_t err = nx__pub_get(node, group, topic, desc, &pub);
    if (err != NX_OK) {
        NX_STAT_INC(node, publish_failed);
        return err;
    }
    size_t inline_max = node->cfg.node.message_size - sizeof(nx_msg_hdr_t);
    if (size > inline_max || large_only) {
        err = nx__large_publish(node, pub, data, size);
    } else {
        err = publish_route(node, pub, data, size);
    }
    if (err == NX_OK)
        NX_STAT_INC(node, published);
    else
        NX_STAT_INC(node, publish_failed);
    return err;
}

nx_err_t nx_publish(nx_node_t *node, const char *group, const char *topic,
                    const void *data, size_t size)
{
    /* Names are checked when the topic is first published (nx__pub_get). */
    if (!node || !group || !topic || (!data && size) || size > UINT32_MAX)
        return NX_EINVAL;
    return nx__publish(node, group, topic, NULL, data, size, false);
}

nx_err_t nx_send_large_data(nx_node_t *node, const char *channel,
                            const char *topic, const void *data, size_t size)
{
    if (!node || !nx__topic_name_ok(channel, true) || !nx__topic_name_ok(topic, false) ||
        (!data && size) || size > UINT32_MAX)
        return NX_EINVAL;
    if (node->cfg.large_data.ring_size == 0)
        return NX_ENOTINIT;
    return nx__publish(node, channel, topic, NULL, data, size, true);
}

nx_err_t nx_topic_publish(nx_node_t *node, const nx_topic_desc_t *topic,
                          const void *msg)
{
    if (!node || !topic || !topic->type || !topic->name || !msg)
        return NX_EINVAL;
    if (topic->type->validate && topic->type->validate(msg) != NX_OK)
        return NX_EINVAL; /* an invalid message never leaves the process */
    return nx__publish(node, "", topic->name, topic, msg, topic->type->size, false);
}

nx_err_t nx_publisher_set_policy(nx_node_t *node, const char *group,
                                 const char *topic, nx_on_full_t on_full,
                                 uint32_t block_ms)
{
    if (!node || !nx__topic_name_ok(group, true) || !nx__topic_name_ok(topic, false) ||
        (on_full != NX_ON_FULL_FAIL && on_full != NX_ON_FULL_BLOCK))
        return NX_EINVAL;
    /* The raw publisher of the topic (created if need be) and any typed
     * one this node has all take the policy. */
    nx_pub_t *raw;
    nx_err_t err = nx__pub_get(node, group, topic, NULL, &raw);
    if (err != NX_OK)
        return err;
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        nx_pub_t *p = atomic_load_explicit(&node->pubs[i], memory_order_acquire);
        if (p && strcmp(p->topic, topic) == 0 && strcmp(p->group, group) == 0) {
            atomic_store(&p->on_full, (uint32_t)on_full);
            atomic_store(&p->block_ms, block_ms);
        }
    }
    return NX_OK;
}

/* Messages queued to peers: the live peers' counts plus the freed ones'. */
uint64_t nx__node_sent_remote(nx_node_t *node)
{
    uint64_t n = atomic_load(&node->sent_remote_gone);
    pthread_mutex_lock(&node->peers_lock);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        if (node->peers[i])
            n += atomic_load(&node->peers[i]->sent);
    pthread_mutex_unlock(&node->peers_lock);
    return n;
}

nx_err_t nx_node_outbound_stats(nx_node_t *node, nx_queue_stats_t *out,
                                size_t max, size_t *count)
{
    if (!node || !count || (!out && max))
        return NX_EINVAL;
    size_t n = 0;
    pthread_mutex_lock(&node->peers_lock);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_peer_t *p = node->peers[i];
        if (!p || p->queue == UINT32_MAX)
            continue;
        if (n < max) {
            nx__queue_stats_fill(p->prod.q, p->prod.capacity, &out[n]);
            memcpy(out[n].peer, p->name, sizeof out[n].peer);
            out[n].peer_pid = (uint32_t)p->pid;
        }
        n++;
    }
    pthread_mutex_unlock(&node->peers_lock);
    *count = n;
    return NX_OK;
}

nx_err_t nx_subscriber_count(nx_node_t *node, const char *group, const char *topic,
                             size_t *count)
{
    if (!node || !count || !nx__topic_name_ok(group, true) ||
        !nx__topic_name_ok(topic, false))
        return NX_EINVAL;
    nx_err_t err = nx__registry_lock(node->reg);
    if (err != NX_OK)
        return err;
    size_t n = 0;
    const nx_registry_shm_t *s = node->reg->shm;
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        const nx_reg_topic_t *tp = &s->topics[t];
        if (!tp->used || strncmp(tp->group, group, sizeof tp->group) != 0 ||
            strncmp(tp->name, topic, sizeof tp->name) != 0)
            continue;
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
            if ((tp->subs[i / 64] >> (i % 64)) & 1u && s->nodes[i].state == NX_NODE_ALIVE)
                n++;
        break;
    }
    nx__registry_unlock(node->reg);
    *count = n;
    return NX_OK;
}
