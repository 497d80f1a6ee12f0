/*
 * large_impl.h: the large-data channel and loans (large.c).
 */
#ifndef NX_LARGE_IMPL_H
#define NX_LARGE_IMPL_H

#include "node_impl.h"

/* Publish size bytes of data through the node's large-data ring. */
nx_err_t nx__large_publish(nx_node_t *node, nx_pub_t *pub, const void *data,
                           size_t size);

/* Send a descriptor message through the normal rings (pub.c). */
nx_err_t nx__publish_desc(nx_node_t *node, nx_pub_t *pub, const void *desc,
                          size_t size, uint32_t flags);

/* Deliver a large descriptor received from queue q (receive thread). */
void nx__large_receive(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h,
                       const void *payload);

/* Free everything of the node's channel and its loans (node destroy). */
void nx__large_fini(nx_node_t *node);

/* Periodic upkeep (receive thread): drop cursors of dead readers, etc. */
void nx__large_tick(nx_node_t *node, uint64_t now_ns);

#endif /* NX_LARGE_IMPL_H */
