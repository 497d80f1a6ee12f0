/*
 * send_impl.h: one message on its way out, and the one small interface
 * behind which the two send paths sit: nx__send() picks the in-process
 * path (inproc.c: a direct call into a local node's callbacks) or the
 * shared-memory path (shm.c: a frame in the peer's ring, its doorbell
 * rung). The choice is static dispatch on the route target (an inline
 * branch): the message path pays no indirect call.
 */
#ifndef NX_SEND_IMPL_H
#define NX_SEND_IMPL_H

#include <nexus/node.h>

#include <stddef.h>
#include <stdint.h>

struct nx_pub;
struct nx_peer;

/* A message being sent. Built by nx__send_init(), then filled by the
 * publisher (pub.c) or the large-data channel (large.c). */
typedef struct nx_send {
    nx_node_t *node;
    struct nx_pub *pub;
    const void *data; /* what goes into rings: payload or large descriptor */
    size_t size;
    const void *local_data; /* what subscribers in this process get */
    size_t local_size;
    uint32_t topic_slot, topic_inc; /* the publisher's topic at send time */
    uint64_t seq, now;
    uint64_t fingerprint; /* the publisher's type, 0 if raw */
    uint32_t kind;        /* NX_MSGK_* */
    uint32_t flags;       /* NX_MSG_* */
    uint32_t on_full;     /* nx_on_full_t, when a peer's ring is full */
    uint32_t block_ms;    /* ... and how long block waits */
} nx_send_t;

/* Where a route sends (route.c builds them): a peer in another process,
 * or a node of this process. */
typedef struct nx_target {
    struct nx_peer *peer; /* remote, or NULL for local */
    uint32_t local;       /* local: index in the in-process table */
    uint64_t local_gen;   /* ... and its generation */
} nx_target_t;

/* Start a message of pub: next sequence number, topic, clock, type. */
void nx__send_init(nx_send_t *s, nx_node_t *node, struct nx_pub *pub);

/*
 * shm.c: queue s in the peer's ring and ring its doorbell, honouring the
 * publisher's on_full policy.
 * NX_OK queued; NX_ENOTFOUND the subscriber is gone (not a loss);
 * NX_EPARTIAL it lives but cannot be reached (no queue, its queue taken,
 * a bad segment: counted against it); NX_ETIMEOUT full (counted as a
 * drop).
 */
nx_err_t nx__shm_send(const nx_send_t *s, struct nx_peer *p);

/* inproc.c: call the local target's callbacks for s, on this thread; from
 * inside an in-process delivery, queue s (copied) for when the outermost
 * one returns. NX_OK delivered or queued; NX_ENOMEM not queued. */
nx_err_t nx__inproc_send(const nx_send_t *s, const nx_target_t *t);

/* Send s to one target of a route: the results of nx__shm_send() or
 * nx__inproc_send(). */
static inline nx_err_t nx__send(const nx_send_t *s, const nx_target_t *t)
{
    if (t->peer)
        return nx__shm_send(s, t->peer);
    return nx__inproc_send(s, t);
}

#endif /* NX_SEND_IMPL_H */
