/*
 * route.c: routes, where a publisher's messages go. A route lists the
 * topic's subscribers as the registry had them at one generation,
 * resolved to nodes of this process (direct call) or peers (a queue we
 * own in their segment). A publish checks the registry's generation (one
 * atomic load); only when it moved is the route rebuilt. Publishers read
 * routes without a lock (see nx__route_get).
 */
#include "route_impl.h"

#include "inproc_impl.h"
#include "node_impl.h"
#include "peer_impl.h"
#include "pub_impl.h"

#include <stdlib.h>

void nx__route_free(nx_route_t *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->count; i++)
        nx__peer_put(r->targets[i].peer);
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
        nx__route_free(r);
    }
}

/* Build the route of pub from the registry as it is now. */
static nx_route_t *route_build(nx_node_t *node, nx_pub_t *pub)
{
    uint32_t slots[NX_REG_MAX_NODES];
    nx_reg_node_t *entries = malloc(sizeof(nx_reg_node_t) * NX_REG_MAX_NODES);
    if (!entries)
        return NULL;
    uint64_t id = atomic_load_explicit(&pub->topic_id, memory_order_relaxed);
    uint32_t n = 0;
    uint64_t gen = 0;
    if (nx__registry_subscribers(node->reg, (uint32_t)id, (uint32_t)(id >> 32), slots,
                                 entries, &n, &gen) != NX_OK) {
        free(entries);
        return NULL;
    }

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
            if (nx__inproc_find(node->domain, slots[k], entries[k].incarnation, &t->local,
                                &t->local_gen))
                r->count++;
            /* Not found: a node of ours that is being created or destroyed. */
        } else {
            t->peer = nx__peer_get_locked(node, slots[k], &entries[k]);
            if (t->peer)
                r->count++;
            else
                r->unreached++;
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
        if (r && r->gen == gen &&
            !atomic_load_explicit(&pub->route_stale, memory_order_relaxed))
            return r;
        /* Stale: rebuild under the lock, without counting ourselves (so
         * that retired routes can be freed), then look again. */
        atomic_fetch_sub_explicit(&pub->readers, 1, memory_order_release);
        pthread_mutex_lock(&pub->route_lock);
        nx_route_t *cur = atomic_load_explicit(&pub->route, memory_order_relaxed);
        if (!cur || cur->gen != nx__registry_generation(node->reg) ||
            atomic_exchange_explicit(&pub->route_stale, false, memory_order_relaxed)) {
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

void nx__route_retry(nx_pub_t *pub, uint64_t now_ns)
{
    if (now_ns < atomic_load_explicit(&pub->route_retry_ns, memory_order_relaxed))
        return;
    atomic_store_explicit(&pub->route_retry_ns, now_ns + NX_ROUTE_RETRY_NS,
                          memory_order_relaxed);
    atomic_store_explicit(&pub->route_stale, true, memory_order_relaxed);
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
