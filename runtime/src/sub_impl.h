/*
 * sub_impl.h: subscriptions (sub.c) and delivery to their callbacks.
 */
#ifndef NX_SUB_IMPL_H
#define NX_SUB_IMPL_H

#include <nexus/node.h>

#include <stdatomic.h>

/* What a subscription calls. Immutable once published in nx_sub_t.h. */
typedef struct nx_handler {
    nx_raw_fn raw;           /* raw subscription, or */
    nx_dispatch_fn dispatch; /* typed: dispatch(msg, info, fn, user) */
    nx_generic_fn fn;
    void *user;
    const nx_type_desc_t *type; /* NULL for raw */
    uint32_t topic_slot, topic_inc;
    char group[NX_TOPIC_NAME_MAX + 1];
    char topic[NX_TOPIC_NAME_MAX + 1];
} nx_handler_t;

/* A node's subscription to the topic in registry slot i is subs[i]. */
typedef struct nx_sub {
    _Atomic(nx_handler_t *) h; /* NULL: not subscribed */
    _Atomic uint32_t inflight; /* callbacks running (any thread) */
} nx_sub_t;

/*
 * Call the node's callbacks for a message of topic (slot, inc): checks
 * the fingerprint and, unless trusted (in-process), size and validate().
 */
void nx__sub_deliver(nx_node_t *node, uint32_t topic_slot, uint32_t topic_inc,
                     const void *data, size_t size, uint64_t fingerprint,
                     nx_msg_info_t *info, bool trusted);

/* Unsubscribe everything and free (node destroy). */
void nx__subs_free(nx_node_t *node);

/* Register every subscription again (after the node rejoined). */
void nx__subs_rejoin(nx_node_t *node);

#endif /* NX_SUB_IMPL_H */
