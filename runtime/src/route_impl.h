/*
 * route_impl.h: routes (route.c). A route is where one publisher's
 * messages go: the topic's subscribers as the registry listed them at one
 * generation, resolved to local nodes or peers. Immutable once built.
 *
 * Thread-safety: a publisher reads its route without a lock, counting
 * itself in pub->readers while it uses it (nx__route_get/nx__route_put);
 * a replaced route is retired and freed once no reader is counted.
 */
#ifndef NX_ROUTE_IMPL_H
#define NX_ROUTE_IMPL_H

#include "send_impl.h"

#include <stdint.h>

struct nx_pub;

typedef struct nx_route {
    struct nx_route *next; /* on the publisher's retired list */
    uint64_t gen;          /* registry generation it was built at */
    uint32_t count;
    uint32_t unreached; /* listed subscribers without a target (out of memory) */
    nx_target_t targets[];
} nx_route_t;

/* The current route of pub (rebuilt first if the registry changed); hold
 * it until nx__route_put(pub). NULL only when out of memory. */
nx_route_t *nx__route_get(nx_node_t *node, struct nx_pub *pub);
void nx__route_put(struct nx_pub *pub);

/* A subscriber of pub could not be reached: build the route again at the
 * next publish (which retries the connection), at most every
 * NX_ROUTE_RETRY_NS. */
#define NX_ROUTE_RETRY_NS 100000000u
void nx__route_retry(struct nx_pub *pub, uint64_t now_ns);

/* Free a route and drop its peer references. Accepts NULL. */
void nx__route_free(nx_route_t *r);

/* Free routes of every publisher retired since no reader held them
 * (receive thread tick). */
void nx__routes_collect(nx_node_t *node);

#endif /* NX_ROUTE_IMPL_H */
