/*
 * pub_impl.h: publishers (pub.c). A node keeps one nx_pub_t per (group,
 * topic, type) it publishes, in an open-addressing table that publishing
 * threads read without a lock; inserts are serialised by node->pubs_lock.
 */
#ifndef NX_PUB_IMPL_H
#define NX_PUB_IMPL_H

#include "route_impl.h"
#include "shm_layout.h"

#include <nexus/node.h>

#include <pthread.h>
#include <stdatomic.h>

/* Publisher table size (open addressing): most (group, topic) a node publishes. */
#define NX_PUB_TABLE 1024u

typedef struct nx_pub {
    char group[NX_TOPIC_NAME_MAX + 1];
    char topic[NX_TOPIC_NAME_MAX + 1];
    const nx_topic_desc_t *desc; /* typed, or NULL */
    uint64_t fingerprint;
    /* Registry topic slot (low 32 bits) and incarnation (high 32 bits),
     * one atomic word: a node that rejoins the registry changes both. */
    _Atomic uint64_t topic_id;
    _Atomic uint32_t on_full; /* nx_on_full_t */
    _Atomic uint32_t block_ms;
    _Atomic uint64_t seq;
    /* The route is read without a lock: a publisher counts itself in
     * `readers` while it uses the route; a replaced route is retired and
     * freed once no reader is counted (see nx__route_get). */
    _Atomic(nx_route_t *) route;
    _Atomic uint32_t readers;
    /* Set when a subscriber could not be reached: the next publish builds
     * the route again (and so retries the connection), at most every
     * NX_ROUTE_RETRY_NS. */
    _Atomic bool route_stale;
    _Atomic uint64_t route_retry_ns;
    pthread_mutex_t route_lock; /* serialises rebuilds; guards retired */
    nx_route_t *retired;
} nx_pub_t;

static inline uint64_t nx__topic_id(uint32_t slot, uint32_t inc)
{
    return (uint64_t)inc << 32 | slot;
}

/* The node's publisher of (group, topic, type), created on first use. */
nx_err_t nx__pub_get(nx_node_t *node, const char *group, const char *topic,
                     const nx_topic_desc_t *desc, nx_pub_t **out);

/* Publish size bytes (inline, or through the large-data channel when
 * they do not fit a slot or large_only is set). */
nx_err_t nx__publish(nx_node_t *node, const char *group, const char *topic,
                     const nx_topic_desc_t *desc, const void *data, size_t size,
                     bool large_only);

/* What a publish returns after trying every subscriber: a full queue
 * first (NX_ETIMEOUT), then one that could not be reached (NX_EPARTIAL),
 * then any other failure; NX_OK only if none. */
static inline nx_err_t nx__publish_status(bool full, bool unreached, nx_err_t other)
{
    return full ? NX_ETIMEOUT : unreached ? NX_EPARTIAL : other;
}

/* Detach and free every publisher (node destroy). */
void nx__pubs_free(nx_node_t *node);

/* Register every publication again (after the node rejoined). */
void nx__pubs_rejoin(nx_node_t *node);

#endif /* NX_PUB_IMPL_H */
