/*
 * svc_impl.h: services inside a node (service.c): what the receive thread
 * and the node's lifetime call.
 *
 * A server's services are entries in the node's table; a request from
 * another process arrives as an NX_MSGK_REQUEST frame on the service's
 * topic, runs the handler on the receive thread and goes back as an
 * NX_MSGK_REPLY frame straight into the caller's queue (its node only),
 * with the call id in `seq`. A caller keeps its pending calls in a list:
 * a reply is matched by id and by the server it was sent to, anything
 * else is late or forged and only counted.
 */
#ifndef NX_SVC_IMPL_H
#define NX_SVC_IMPL_H

#include "shm_layout.h"

#include <nexus/service.h>

struct nx_svc;

/* Set up / tear down the node's services (node create / destroy: after
 * the receive thread stopped; pending calls end with NX_ENOTFOUND). */
nx_err_t nx__svc_init(nx_node_t *node);
void nx__svc_fini(nx_node_t *node);

/* Serve again under the node's new registry identity (after a rejoin). */
void nx__svc_rejoin(nx_node_t *node);

/* The sender of a frame, as the receive thread knows it. */
typedef struct nx_svc_peer {
    uint32_t slot, inc, pid;
    const char *name;
} nx_svc_peer_t;

/* Receive thread: a request or a reply frame (header and payload are
 * private copies). */
void nx__svc_request(nx_node_t *node, const nx_svc_peer_t *from, const nx_msg_hdr_t *h,
                     const uint8_t *payload);
void nx__svc_reply(nx_node_t *node, const nx_svc_peer_t *from, const nx_msg_hdr_t *h,
                   const uint8_t *payload);

/* When the receive thread must call nx__svc_tick next (CLOCK_MONOTONIC;
 * UINT64_MAX: no asynchronous call pending). */
uint64_t nx__svc_deadline(nx_node_t *node);

/* Receive thread: end asynchronous calls whose time is up or whose server
 * is gone. */
void nx__svc_tick(nx_node_t *node, uint64_t now_ns);

#endif /* NX_SVC_IMPL_H */
