/*
 * node_impl.h: the private structure of a node and the functions its
 * modules share (node.c: lifetime and receive thread; pub.c: publishing,
 * routes and peers; sub.c: subscriptions and delivery; inproc.c: the
 * process-wide table of local nodes).
 */
#ifndef NX_NODE_IMPL_H
#define NX_NODE_IMPL_H

#include "registry_impl.h"
#include "ring_impl.h"

#include <nexus/nexus.h>

#include <pthread.h>
#include <sched.h>

/* Most nodes alive in one process at once. */
#define NX_MAX_LOCAL_NODES 64u
/* Publisher table size (open addressing): most (group, topic) a node publishes. */
#define NX_PUB_TABLE 1024u

typedef struct nx_large nx_large_t;

/*
 * A lock for short critical sections on the message path (a peer's ring):
 * one atomic exchange to take, a release store to give back. A waiter
 * spins briefly, then yields, so a holder that was preempted still
 * finishes on a busy core.
 */
typedef struct nx_spin {
    atomic_flag flag;
} nx_spin_t;

#define NX_SPIN_INIT {ATOMIC_FLAG_INIT}

static inline void nx__spin_lock(nx_spin_t *s)
{
    for (unsigned i = 0;
         atomic_flag_test_and_set_explicit(&s->flag, memory_order_acquire); i++) {
        if (i < 64)
            nx__plat_cpu_relax();
        else
            sched_yield();
    }
}

static inline void nx__spin_unlock(nx_spin_t *s)
{
    atomic_flag_clear_explicit(&s->flag, memory_order_release);
}

/* ---- subscriptions (sub.c) -------------------------------------------- */

/* What a subscription calls. Immutable once published in nx_sub_t.h. */
typedef struct nx_handler {
    nx_raw_fn raw;                /* raw subscription, or */
    nx_dispatch_fn dispatch;      /* typed: dispatch(msg, info, fn, user) */
    nx_generic_fn fn;
    void *user;
    const nx_type_desc_t *type;   /* NULL for raw */
    uint32_t topic_slot, topic_inc;
    char group[NX_TOPIC_NAME_MAX + 1];
    char topic[NX_TOPIC_NAME_MAX + 1];
} nx_handler_t;

/* A node's subscription to the topic in registry slot i is subs[i]. */
typedef struct nx_sub {
    _Atomic(nx_handler_t *) h;    /* NULL: not subscribed */
    _Atomic uint32_t inflight;    /* callbacks running (any thread) */
} nx_sub_t;

/* ---- publishing (pub.c) ------------------------------------------------ */

/* A node in another process that we send to. Reference counted: the
 * node's peer table holds one reference, each route one more. */
typedef struct nx_peer {
    _Atomic uint32_t refs;
    uint32_t slot, incarnation;   /* registry identity */
    char name[NX_NODE_NAME_MAX + 1];
    pid_t pid;
    int fd;
    nx_seg_header_t *seg;
    size_t seg_size;
    uint32_t queue;               /* our queue in its segment; UINT32_MAX: none */
    nx_spin_t lock;               /* serialises our threads on the SPSC ring (rule 6) */
    nx_ring_prod_t prod;          /* guarded by lock */
    _Atomic uint64_t sent;        /* messages we queued to it (guarded by lock) */
    _Atomic uint64_t *sent_total; /* the node's sent_remote_gone, added to when freed */
    _Atomic bool broken;          /* queue lost or segment invalid: skip */
    uint64_t next_live_check_ns;  /* guarded by lock */
} nx_peer_t;

/* Where a topic's messages go, built from the registry at one generation.
 * Immutable once built; reference counted. */
typedef struct nx_target {
    nx_peer_t *peer;              /* remote, or NULL for local */
    uint32_t local;               /* local: index in the in-process table */
    uint64_t local_gen;           /* ... and its generation */
} nx_target_t;

typedef struct nx_route {
    struct nx_route *next;        /* on the publisher's retired list */
    uint64_t gen;                 /* registry generation it was built at */
    uint32_t count;
    nx_target_t targets[];
} nx_route_t;

/* One message on its way out (pub.c, large.c). */
typedef struct nx_send {
    nx_node_t *node;
    struct nx_pub *pub;
    const void *data;        /* what goes into rings: payload or large descriptor */
    size_t size;
    const void *local_data;  /* what subscribers in this process get */
    size_t local_size;
    uint32_t topic_slot, topic_inc; /* the publisher's topic at send time */
    uint64_t seq, now;
    uint32_t kind;           /* NX_MSGK_DATA or NX_MSGK_LARGE */
    uint32_t flags;          /* NX_MSG_* */
} nx_send_t;

/* The runtime's record of one delivery; nx_msg_info_t.ref points to it. */
typedef struct nx_delivery {
    const void *data;
    size_t size;
    struct nx_large_map *map; /* a large message from another process, or NULL */
    nx_chunk_hdr_t *chunk;
    uint64_t bit;             /* our holder bit in the chunk */
    bool held;                /* nx_msg_hold() took it over */
} nx_delivery_t;

typedef struct nx_pub {
    char group[NX_TOPIC_NAME_MAX + 1];
    char topic[NX_TOPIC_NAME_MAX + 1];
    const nx_topic_desc_t *desc;  /* typed, or NULL */
    uint64_t fingerprint;
    /* Registry topic slot (low 32 bits) and incarnation (high 32 bits),
     * one atomic word: a node that rejoins the registry changes both. */
    _Atomic uint64_t topic_id;
    _Atomic uint32_t on_full;     /* nx_on_full_t */
    _Atomic uint32_t block_ms;
    _Atomic uint64_t seq;
    /* The route is read without a lock: a publisher counts itself in
     * `readers` while it uses the route; a replaced route is retired and
     * freed once no reader is counted (see nx__route_get). */
    _Atomic(nx_route_t *) route;
    _Atomic uint32_t readers;
    pthread_mutex_t route_lock;   /* serialises rebuilds; guards retired */
    nx_route_t *retired;
} nx_pub_t;

/* ---- the node ----------------------------------------------------------- */

/* Receive side of one inbound queue. Receive thread only. */
typedef struct nx_rxq {
    bool active;
    bool corrupt_logged;
    nx_ring_cons_t cons;
    uint32_t owner_pid;
    uint32_t owner_slot;
    uint32_t owner_inc;
    uint64_t owner_start;
    struct nx_large_map *lmap;    /* the sender's large-data ring, once mapped */
    char owner_name[NX_NODE_NAME_MAX + 1];
} nx_rxq_t;

struct nx_node {
    char name[NX_NODE_NAME_MAX + 1];
    char domain[NX_DOMAIN_NAME_MAX + 1];
    nx_config_t cfg;
    pid_t pid;

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
    nx_rxq_t *rxq;                /* [max_queues] */
    uint32_t *active;             /* indices of active queues */
    uint32_t n_active;
    uint32_t seen_queues_gen;
    uint8_t *rx_buf;              /* private copy of the payload being delivered */
    uint64_t rx_now;              /* CLOCK_MONOTONIC of the current receive batch */
    /* Messages moved out of the rings by nx__node_help() while the receive
     * thread waited inside a callback; delivered, in order, before the
     * rings are read again. Receive thread only. */
    struct {
        uint8_t *slots;           /* cap x message_size bytes, allocated on first use */
        uint32_t *queue;          /* the queue each came from */
        uint32_t cap, head, count;
    } backlog;
    uint64_t next_tick_ns;

    /* Subscriptions, indexed by registry topic slot. */
    nx_sub_t *subs;               /* [NX_REG_MAX_TOPICS] */
    pthread_mutex_t subs_lock;    /* serialises subscribe / unsubscribe */

    /* Publications. */
    _Atomic(nx_pub_t *) pubs[NX_PUB_TABLE];
    pthread_mutex_t pubs_lock;    /* serialises inserts */

    /* Peers by registry slot. */
    nx_peer_t *peers[NX_REG_MAX_NODES];
    pthread_mutex_t peers_lock;

    /* Large-data channel and loans (large.c). */
    nx_large_t *large;
    pthread_mutex_t large_lock;

    /* Sum of the `sent` of peers already freed (nx_node_stats adds the
     * live ones). */
    _Atomic uint64_t sent_remote_gone;
    struct {
        _Atomic uint64_t published, publish_failed,
            delivered_inproc, received, dispatched, dropped_full,
            dropped_no_queue, rejected_corrupt, rejected_type, unrouted,
            wakeups, timeouts, peers_reaped;
    } st;
};

#define NX_STAT_INC(node, field)                                               \
    atomic_fetch_add_explicit(&(node)->st.field, 1, memory_order_relaxed)

/* Increment a counter that only one thread ever writes (or whose writers
 * are serialised by a lock): a relaxed load and store, no locked add.
 * Readers on other threads or processes see a recent value. */
#define NX_COUNT1(var)                                                         \
    atomic_store_explicit(&(var), atomic_load_explicit(&(var), memory_order_relaxed) + 1, \
                          memory_order_relaxed)

static inline uint64_t nx__topic_id(uint32_t slot, uint32_t inc)
{
    return (uint64_t)inc << 32 | slot;
}

/* ---- shared between modules ------------------------------------------- */

/* inproc.c */
nx_err_t nx__inproc_add(nx_node_t *node);
void nx__inproc_remove(nx_node_t *node); /* waits for deliveries in flight */
void nx__inproc_rekey(nx_node_t *node); /* after the node rejoined the registry */
bool nx__inproc_find(const char *domain, uint32_t slot, uint32_t inc,
                     uint32_t *local, uint64_t *gen);
/* Run fn(node, arg) on local node `local` if it still has generation gen. */
bool nx__inproc_with(uint32_t local, uint64_t gen,
                     void (*fn)(nx_node_t *node, void *arg), void *arg);

/* sub.c */
void nx__sub_deliver(nx_node_t *node, uint32_t topic_slot, uint32_t topic_inc,
                     const void *data, size_t size, uint64_t fingerprint,
                     nx_msg_info_t *info, bool trusted);
void nx__subs_free(nx_node_t *node);
void nx__subs_rejoin(nx_node_t *node); /* re-register every subscription */

/* pub.c */
/* The node's publisher of (group, topic, type), created on first use. */
nx_err_t nx__pub_get(nx_node_t *node, const char *group, const char *topic,
                     const nx_topic_desc_t *desc, nx_pub_t **out);
/* The current route of pub (rebuilt first if the registry changed); hold
 * it until nx__route_put(pub). NULL only when out of memory. */
nx_route_t *nx__route_get(nx_node_t *node, nx_pub_t *pub);
void nx__route_put(nx_pub_t *pub);
/* Free routes retired since no reader held them (receive thread tick). */
void nx__routes_collect(nx_node_t *node);
/* NX_OK queued; NX_ENOTFOUND the subscriber cannot be reached (gone, no
 * queue: not a loss); NX_ETIMEOUT full (counted as a drop). */
nx_err_t nx__send_remote(nx_send_t *s, nx_peer_t *p);
void nx__send_local(nx_send_t *s, const nx_target_t *t);
void nx__send_init(nx_send_t *s, nx_node_t *node, nx_pub_t *pub);
void nx__pubs_free(nx_node_t *node);
uint64_t nx__node_sent_remote(nx_node_t *node);
void nx__pubs_rejoin(nx_node_t *node); /* re-register every publication */
void nx__peers_close(nx_node_t *node);  /* marks our queues closed in peers */
void nx__peers_prune(nx_node_t *node);  /* drops peers that left the registry */
nx_err_t nx__publish(nx_node_t *node, const char *group, const char *topic,
                     const nx_topic_desc_t *desc, const void *data, size_t size,
                     bool large_only);

/* node.c */
/* When a message of the current receive batch was received: the batch's
 * time (read at its first message), never before the message was sent.
 * Receive thread only. */
uint64_t nx__plat_now_ns(void);
static inline uint64_t nx__rx_time(nx_node_t *node, uint64_t send_time_ns)
{
    if (!node->rx_now)
        node->rx_now = nx__plat_now_ns();
    return node->rx_now > send_time_ns ? node->rx_now : send_time_ns;
}
/* Counters, pending and high-water of queue q (peer name and pid not set). */
void nx__queue_stats_fill(const nx_queue_hdr_t *q, uint32_t capacity, nx_queue_stats_t *s);
void nx__node_rx_dispatch(nx_node_t *node, nx_rxq_t *q, const void *slot);
/* Called while a publish waits for room: if this thread is a receive
 * thread (so we are inside a callback), move the messages waiting in its
 * node's rings into the node's private backlog, freeing ring slots for
 * their senders. Two nodes whose callbacks reply to each other through
 * full queues thus cannot block each other. Returns how many it moved. */
uint32_t nx__node_help(void);

#endif /* NX_NODE_IMPL_H */
