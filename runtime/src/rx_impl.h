/*
 * rx_impl.h: the receive side of a node (rx.c): its receive thread, which
 * drains every active inbound queue in a batch, checks each frame,
 * dispatches it to the callbacks, and sleeps on the node's doorbell.
 */
#ifndef NX_RX_IMPL_H
#define NX_RX_IMPL_H

#include "platform/platform.h"
#include "ring_impl.h"

#include <nexus/node.h>

#include <stdbool.h>
#include <stdint.h>

struct nx_large_map;

/* Receive side of one inbound queue. Receive thread only. */
typedef struct nx_rxq {
    bool active;
    bool corrupt_logged;
    nx_ring_cons_t cons;
    uint32_t owner_pid;
    uint32_t owner_slot;
    uint32_t owner_inc;
    uint64_t owner_start;
    struct nx_large_map *lmap; /* the sender's large-data ring, once mapped */
    char owner_name[NX_NODE_NAME_MAX + 1];
} nx_rxq_t;

/* Start the node's receive thread. NX_ESYS if it cannot be created. */
nx_err_t nx__rx_start(nx_node_t *node);

/* Stop it and wait for it (no callback runs on it afterwards). Accepts a
 * node whose thread never started. */
void nx__rx_stop(nx_node_t *node);

/* When a message of the current receive batch was received: the batch's
 * time (read at its first message), never before the message was sent.
 * Receive thread only. */
uint64_t nx__rx_time(nx_node_t *node, uint64_t send_time_ns);

/* Called while a publish waits for room: if this thread is a receive
 * thread (so we are inside a callback), move the messages waiting in its
 * node's rings into the node's private backlog, freeing ring slots for
 * their senders. Two nodes whose callbacks reply to each other through
 * full queues thus cannot block each other. Returns how many it moved. */
uint32_t nx__rx_help(void);

/* Is this thread node's receive thread? */
bool nx__rx_on_thread(const nx_node_t *node);

/*
 * For a service call waiting on its node's own receive thread (from a
 * callback or a handler): take what the rings hold into the backlog
 * (nx__rx_help) and handle the requests and replies there at once; other
 * messages keep their place and are delivered later. Returns how many it
 * handled. Receive thread of node only.
 */
uint32_t nx__rx_pump(nx_node_t *node);

/* Sleep on the node's doorbell until a frame arrives or until_ns.
 * Receive thread of node only (the doorbell has one waiter). */
void nx__rx_wait(nx_node_t *node, uint64_t until_ns);

#endif /* NX_RX_IMPL_H */
