/*
 * peer_impl.h: peers (peer.c). A peer is a node in another process that
 * this node sends to: its segment mapped and validated, and the one
 * inbound queue we claimed in it (one producer: us; our threads take
 * turns through the peer's spin lock, rule 6).
 *
 * Thread-safety: the node's peer table is guarded by node->peers_lock;
 * a peer is reference counted (the table holds one reference, each route
 * one more) and its ring by its spin lock.
 */
#ifndef NX_PEER_IMPL_H
#define NX_PEER_IMPL_H

#include "ring_impl.h"
#include "shm_layout.h"
#include "spin_impl.h"

#include <nexus/node.h>

#include <stdatomic.h>
#include <sys/types.h>

typedef struct nx_peer {
    _Atomic uint32_t refs;
    uint32_t slot, incarnation; /* registry identity */
    char name[NX_NODE_NAME_MAX + 1];
    pid_t pid;
    int fd;
    nx_seg_header_t *seg;
    size_t seg_size;
    uint32_t queue;                   /* our queue in its segment; UINT32_MAX: none */
    nx_spin_t lock;                   /* serialises our threads on the SPSC ring (rule 6) */
    nx_ring_prod_t prod;              /* guarded by lock */
    _Atomic uint64_t sent;            /* messages we queued to it (guarded by lock) */
    _Atomic uint64_t *sent_total;     /* the node's sent_remote_gone, added to when freed */
    _Atomic bool broken;              /* queue lost or segment invalid: skip */
    uint64_t next_live_check_ns;      /* guarded by lock */
    _Atomic uint64_t missed;          /* messages it did not get: unreachable */
    _Atomic bool gone;                /* cache of nx__peer_gone() ... */
    _Atomic uint64_t gone_checked_ns; /* ... and when it was checked */
} nx_peer_t;

/*
 * The peer for registry slot `slot` whose entry (copied under the
 * registry) is n, connected on first use, with a reference for the
 * caller (drop it with nx__peer_put). A peer that restarted or broke is
 * reconnected. NULL only when out of memory. node->peers_lock held.
 */
nx_peer_t *nx__peer_get_locked(nx_node_t *node, uint32_t slot, const nx_reg_node_t *n);

/* Drop a reference; the last one unmaps and frees. Accepts NULL. */
void nx__peer_put(nx_peer_t *p);

/* Is the receiver of p still running as the process we attached to? */
bool nx__peer_alive(const nx_peer_t *p);

/* Is it still in the registry as the node we attached to? Not if it was
 * reaped as hung: then waiting for room is pointless. */
bool nx__peer_registered(nx_node_t *node, const nx_peer_t *p);

/* Has it gone for good (its process dead, or no longer in the registry as
 * the node we attached to)? Then what it misses is no loss. Answered from
 * a cache at most 10 ms old: cheap enough for every failed send. */
bool nx__peer_gone(nx_node_t *node, nx_peer_t *p);

/* Mark our queue closed in every peer and drop them (node destroy, rejoin). */
void nx__peers_close(nx_node_t *node);

/* Drop the peers that left the registry (receive thread tick). */
void nx__peers_prune(nx_node_t *node);

/* Messages queued to peers: the live peers' counts plus the freed ones'. */
uint64_t nx__peers_sent(nx_node_t *node);

#endif /* NX_PEER_IMPL_H */
