/*
 * inproc.c: the in-process send path. A message to a node of this process
 * is a direct call into its callbacks on the publishing thread (no shared
 * memory touched), through the process-wide table of live nodes.
 *
 * Entries live in a static array and are never freed, so a route may keep
 * (index, generation) of a node without pinning it: delivery bumps the
 * entry's in-flight count, then checks the generation; removal changes
 * the generation, then waits for the count to drain. The two sides use
 * seq_cst so that at least one sees the other (a Dekker pair), hence no
 * delivery reaches a node after nx__inproc_remove() returned.
 */
#include "inproc_impl.h"

#include "frame_impl.h"
#include "hold_impl.h"
#include "node_impl.h"
#include "platform/platform.h"
#include "sub_impl.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

typedef struct nx_local {
    _Atomic uint64_t gen; /* odd: in use; even: free */
    _Atomic uint32_t inflight;
    nx_node_t *node; /* valid while gen is odd and matches */
    char domain[NX_DOMAIN_NAME_MAX + 1];
    uint32_t slot, inc; /* registry identity of the node */
} nx_local_t;

static nx_local_t locals[NX_MAX_LOCAL_NODES];
static pthread_mutex_t locals_lock = PTHREAD_MUTEX_INITIALIZER;

nx_err_t nx__inproc_add(nx_node_t *node)
{
    pthread_mutex_lock(&locals_lock);
    for (uint32_t i = 0; i < NX_MAX_LOCAL_NODES; i++) {
        nx_local_t *l = &locals[i];
        uint64_t g = atomic_load_explicit(&l->gen, memory_order_relaxed);
        if (g & 1u)
            continue;
        l->node = node;
        memcpy(l->domain, node->domain, sizeof l->domain);
        l->slot = node->slot;
        l->inc = node->incarnation;
        /* Release: the fields above are visible to whoever sees gen. */
        atomic_store_explicit(&l->gen, g + 1, memory_order_release);
        node->local = i;
        node->local_gen = g + 1;
        pthread_mutex_unlock(&locals_lock);
        return NX_OK;
    }
    pthread_mutex_unlock(&locals_lock);
    return NX_ELIMIT;
}

void nx__inproc_remove(nx_node_t *node)
{
    if (node->local >= NX_MAX_LOCAL_NODES || !(node->local_gen & 1u))
        return;
    nx_local_t *l = &locals[node->local];
    pthread_mutex_lock(&locals_lock);
    /* seq_cst store, then seq_cst loads of inflight: pairs with the
     * fetch_add then load of gen in nx__nx__inproc_run(). */
    atomic_store_explicit(&l->gen, node->local_gen + 1, memory_order_seq_cst);
    pthread_mutex_unlock(&locals_lock);
    while (atomic_load_explicit(&l->inflight, memory_order_seq_cst) != 0)
        sched_yield();
    node->local_gen = 0;
}

void nx__inproc_rekey(nx_node_t *node)
{
    if (node->local >= NX_MAX_LOCAL_NODES)
        return;
    pthread_mutex_lock(&locals_lock);
    locals[node->local].slot = node->slot;
    locals[node->local].inc = node->incarnation;
    pthread_mutex_unlock(&locals_lock);
}

bool nx__inproc_find(const char *domain, uint32_t slot, uint32_t inc, uint32_t *local,
                     uint64_t *gen)
{
    bool found = false;
    pthread_mutex_lock(&locals_lock);
    for (uint32_t i = 0; i < NX_MAX_LOCAL_NODES && !found; i++) {
        nx_local_t *l = &locals[i];
        uint64_t g = atomic_load_explicit(&l->gen, memory_order_relaxed);
        if ((g & 1u) && l->slot == slot && l->inc == inc &&
            strcmp(l->domain, domain) == 0) {
            *local = i;
            *gen = g;
            found = true;
        }
    }
    pthread_mutex_unlock(&locals_lock);
    return found;
}

bool nx__inproc_run(uint32_t local, uint64_t gen,
                    void (*fn)(nx_node_t *node, const void *arg), const void *arg)
{
    if (local >= NX_MAX_LOCAL_NODES)
        return false;
    nx_local_t *l = &locals[local];
    atomic_fetch_add_explicit(&l->inflight, 1, memory_order_seq_cst);
    bool ok = atomic_load_explicit(&l->gen, memory_order_seq_cst) == gen;
    if (ok)
        fn(l->node, arg);
    /* Release: our use of the node happens before the remover frees it. */
    atomic_fetch_sub_explicit(&l->inflight, 1, memory_order_release);
    return ok;
}

/* ---- sending ---------------------------------------------------------------- */

static void inproc_deliver(nx_node_t *target, const void *arg)
{
    const nx_send_t *c = arg;
    nx_delivery_t d = {.data = c->local_data, .size = c->local_size};
    nx_msg_info_t info = nx__frame_info(c->node->name, (uint32_t)c->node->pid, c->seq,
                                        c->now, c->now, NX_MSG_INPROC | c->flags, &d);
    nx__sub_deliver(target, c->topic_slot, c->topic_inc, c->local_data, c->local_size,
                    c->fingerprint, &info, true);
    NX_STAT_INC(c->node, delivered_inproc);
}

/*
 * In-process delivery runs on the publisher's thread, so a callback that
 * publishes in-process (node.h allows it, also to its own topic) would
 * nest one delivery inside the other without bound. Instead, a thread
 * already inside an in-process delivery queues the message (with a copy
 * of its bytes) and the outermost delivery on that thread delivers the
 * queue when its callback has returned, oldest first: the stack stays
 * one delivery deep, and messages keep their order.
 */
typedef struct inproc_deferred {
    struct inproc_deferred *next;
    nx_send_t s;
    nx_target_t t;
    uint8_t data[]; /* the copy of s.local_data */
} inproc_deferred_t;

static _Thread_local unsigned tl_depth;
static _Thread_local inproc_deferred_t *tl_head, *tl_tail;

nx_err_t nx__inproc_send(const nx_send_t *s, const nx_target_t *t)
{
    if (tl_depth > 0) {
        inproc_deferred_t *d = malloc(sizeof *d + s->local_size);
        if (!d)
            return NX_ENOMEM;
        d->next = NULL;
        d->s = *s;
        d->t = *t;
        if (s->local_size)
            memcpy(d->data, s->local_data, s->local_size);
        d->s.local_data = d->data;
        if (tl_tail)
            tl_tail->next = d;
        else
            tl_head = d;
        tl_tail = d;
        return NX_OK;
    }
    tl_depth++;
    nx__inproc_run(t->local, t->local_gen, inproc_deliver, s);
    while (tl_head) {
        inproc_deferred_t *d = tl_head;
        tl_head = d->next;
        if (!tl_head)
            tl_tail = NULL;
        nx__inproc_run(d->t.local, d->t.local_gen, inproc_deliver, &d->s);
        free(d);
    }
    tl_depth--;
    return NX_OK;
}
