/*
 * node_impl.h: the private structure of a node, which the modules that
 * make up a node share (node.c: lifetime; rx.c: receive thread; pub.c,
 * route.c, peer.c, shm.c, inproc.c: sending; sub.c: subscriptions;
 * large.c, loan.c, hold.c: large data; stats.c: statistics). Each field
 * says which module owns it and what guards it.
 */
#ifndef NX_NODE_IMPL_H
#define NX_NODE_IMPL_H

#include "peer_impl.h"
#include "pub_impl.h"
#include "registry_impl.h"
#include "rx_impl.h"
#include "sub_impl.h"

#include <nexus/nexus.h>

#include <pthread.h>

typedef struct nx_large nx_large_t;
struct nx_svc;

/* Bumped in a child process after fork() (pthread_atfork, node.c). A node
 * remembers the value it was created under: a node whose value is old
 * was inherited from the parent and must not be used (nx__node_forked). */
extern _Atomic uint32_t nx__fork_gen;

struct nx_node {
    char name[NX_NODE_NAME_MAX + 1];
    char domain[NX_DOMAIN_NAME_MAX + 1];
    nx_config_t cfg;
    pid_t pid;
    uint32_t fork_gen; /* nx__fork_gen at creation */

    nx_registry_t *reg;
    /* Our registry entry. Atomic: a rejoin (receive thread) changes it
     * while publishing threads read it. */
    _Atomic uint32_t slot, incarnation;

    /* Our segment. */
    char seg_name[NX_SHM_NAME_MAX];
    int seg_fd;
    nx_seg_header_t *seg;
    size_t seg_size;
    nx_queue_hdr_t *queues;
    uint8_t *slots;

    /* In-process table entry (inproc.c). */
    uint32_t local;
    uint64_t local_gen;

    /* Receive thread. */
    pthread_t thread;
    bool thread_started;
    _Atomic bool stop;
    nx_rxq_t *rxq;    /* [max_queues] */
    uint32_t *active; /* indices of active queues */
    uint32_t n_active;
    uint32_t seen_queues_gen;
    uint8_t *rx_buf; /* private copy of the payload being delivered */
    uint64_t rx_now; /* CLOCK_MONOTONIC of the current receive batch */
    /* Messages moved out of the rings by nx__node_help() while the receive
     * thread waited inside a callback; delivered, in order, before the
     * rings are read again. Receive thread only. */
    struct {
        uint8_t *slots;  /* cap x message_size bytes, allocated on first use */
        uint32_t *queue; /* the queue each came from */
        uint32_t cap, head, count;
    } backlog;
    uint64_t next_tick_ns;

    /* Subscriptions, indexed by registry topic slot. */
    nx_sub_t *subs;            /* [NX_REG_MAX_TOPICS] */
    pthread_mutex_t subs_lock; /* serialises subscribe / unsubscribe */

    /* Publications. */
    _Atomic(nx_pub_t *) pubs[NX_PUB_TABLE];
    pthread_mutex_t pubs_lock; /* serialises inserts */

    /* Peers by registry slot. */
    nx_peer_t *peers[NX_REG_MAX_NODES];
    pthread_mutex_t peers_lock;

    /* Services served and calls pending (service.c). */
    struct nx_svc *svc;

    /* Large-data channel and loans (large.c). */
    nx_large_t *large;
    pthread_mutex_t large_lock;

    /* Sum of the `sent` of peers already freed (nx_node_stats adds the
     * live ones). */
    _Atomic uint64_t sent_remote_gone;
    struct {
        _Atomic uint64_t published, publish_failed, delivered_inproc, received, dispatched,
            dropped_full, dropped_no_queue, rejected_corrupt, rejected_type, unrouted,
            wakeups, timeouts, peers_reaped, calls, served, late_replies;
    } st;
};

#define NX_STAT_INC(node, field)                                                           \
    atomic_fetch_add_explicit(&(node)->st.field, 1, memory_order_relaxed)

/* Increment a counter that only one thread ever writes (or whose writers
 * are serialised by a lock): a relaxed load and store, no locked add.
 * Readers on other threads or processes see a recent value. */
#define NX_COUNT1(var)                                                                     \
    atomic_store_explicit(&(var), atomic_load_explicit(&(var), memory_order_relaxed) + 1,  \
                          memory_order_relaxed)

/* Was node created by the parent of this process (inherited by fork)?
 * One relaxed load: cheap enough for every publish. */
static inline bool nx__node_forked(const nx_node_t *node)
{
    return node->fork_gen != atomic_load_explicit(&nx__fork_gen, memory_order_relaxed);
}

/* Rejoin the registry if this node was removed from it while hung
 * (receive thread tick). */
void nx__node_check_membership(nx_node_t *node);

#endif /* NX_NODE_IMPL_H */
