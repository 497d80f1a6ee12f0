/*
 * nexus/stats.h: statistics of a node and of its queues.
 *
 * Counters are read without stopping traffic: each value is exact, but a
 * snapshot of several is not taken at one instant.
 * Thread-safety: all functions may be called from any thread.
 */
#ifndef NEXUS_STATS_H
#define NEXUS_STATS_H

#include <nexus/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One queue: an inbound ring of this node, or this node's ring in a peer. */
typedef struct nx_queue_stats {
    char peer[64];       /**< the node at the other end */
    uint32_t peer_pid;   /**< its process id */
    uint32_t capacity;   /**< slots */
    uint64_t sent;       /**< messages the sender committed */
    uint64_t received;   /**< messages the receiver took out */
    uint64_t dropped;    /**< messages the sender could not queue (full) */
    uint64_t rejected;   /**< messages the receiver refused (failed validation) */
    uint64_t high_water; /**< most slots ever in use, as the sender saw it */
    uint64_t pending;    /**< slots in use now */
    /** Outbound only: messages this subscriber did not get because it could
     *  not be reached at all (no free queue, its queue taken from us, its
     *  segment unusable); each made the publish return NX_EPARTIAL. */
    uint64_t unreached;
} nx_queue_stats_t;

/** Totals of a node. (The struct tag differs from nx_node_stats() so that
 *  the header also compiles as C++.) */
typedef struct nx_node_totals {
    uint64_t published;        /**< successful publish calls */
    uint64_t publish_failed;   /**< publish calls that returned an error */
    uint64_t sent_remote;      /**< messages put into other processes' queues */
    uint64_t delivered_inproc; /**< direct calls to subscribers in this process */
    uint64_t received;         /**< messages taken from inbound queues */
    uint64_t dispatched;       /**< callbacks run for them (other processes' messages) */
    uint64_t dropped_full;     /**< messages not queued: a queue was full */
    uint64_t dropped_no_queue; /**< not sent: the subscriber had no free queue */
    uint64_t rejected_corrupt; /**< inbound messages that failed validation */
    uint64_t
        rejected_type; /**< inbound messages of the wrong type for a typed subscription */
    uint64_t unrouted; /**< inbound messages for a topic no longer subscribed */
    uint64_t wakeups;  /**< times the receive thread was woken by the doorbell */
    uint64_t timeouts; /**< times it woke by the safety-net timeout */
    uint64_t peers_reaped; /**< dead or hung nodes this node removed */
    uint64_t calls;        /**< service calls made (that found a server) */
    uint64_t served;       /**< service requests its handlers answered */
    uint64_t late_replies; /**< replies that came after their call ended (or
                                from a node the call was not sent to): dropped */
} nx_node_stats_t;

/** One subscriber of the node's large-data ring. */
typedef struct nx_large_reader_stats {
    char name[64]; /**< the subscribing node */
    uint32_t pid;
    uint64_t delivered; /**< descriptors sent to it */
    uint64_t released;  /**< chunks it gave back */
    uint64_t held;      /**< chunks it holds now */
    uint64_t stalls;    /**< times the ring was full while it held the oldest chunk */
    uint64_t dropped;   /**< chunks it did not get (its queue full, or unreachable) */
} nx_large_reader_stats_t;

#define NX_LARGE_STATS_READERS 16

/** The node's large-data ring (all zero until the node first needs it). */
typedef struct nx_large_stats {
    uint64_t ring_size;    /**< bytes of the chunk area */
    uint64_t used;         /**< bytes not yet reclaimed */
    uint64_t chunks;       /**< chunks written */
    uint64_t full_events;  /**< times a publish or loan found no room */
    uint32_t reader_count; /**< entries filled in readers[] */
    nx_large_reader_stats_t readers[NX_LARGE_STATS_READERS];
} nx_large_stats_t;

/**
 * Read the node's large-data ring: who reads it, who holds chunks, who
 * made the publisher wait (stalls).
 * @retval NX_OK, NX_EINVAL
 */
NX_API nx_err_t nx_node_large_stats(nx_node_t *node, nx_large_stats_t *out);

/**
 * Read the node's totals.
 * @retval NX_OK      *out filled.
 * @retval NX_EINVAL  NULL argument.
 */
NX_API nx_err_t nx_node_stats(nx_node_t *node, nx_node_stats_t *out);

/**
 * Read the node's inbound queues in use (one per sending node).
 * Writes up to max entries; *count gets how many queues are in use
 * (which may exceed max).
 * @retval NX_OK, NX_EINVAL
 */
NX_API nx_err_t nx_node_inbound_stats(nx_node_t *node, nx_queue_stats_t *out, size_t max,
                                      size_t *count);

/**
 * Read this node's queues in the nodes it sends to (one per peer), and
 * the peers it could not get a queue in (capacity 0, counts in
 * `unreached`). Same conventions as nx_node_inbound_stats().
 */
NX_API nx_err_t nx_node_outbound_stats(nx_node_t *node, nx_queue_stats_t *out, size_t max,
                                       size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_STATS_H */
