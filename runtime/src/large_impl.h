/*
 * large_impl.h: the large-data channel and loans (large.c).
 */
#ifndef NX_LARGE_IMPL_H
#define NX_LARGE_IMPL_H

#include "node_impl.h"

typedef struct nx_loan {
    struct nx_loan *next;
    const nx_topic_desc_t *topic;
    void *buf;
    nx_chunk_hdr_t *chunk; /* NULL: a process-memory loan (no ring) */
} nx_loan_t;

/* The writer's side of its ring (node->large). */
struct nx_large {
    char name[NX_SHM_NAME_MAX];
    int fd;
    nx_large_hdr_t *hdr;
    size_t size;
    uint8_t *data;
    uint64_t data_size;
    uint64_t head, tail;  /* private copies; mirrored in hdr for tools */
    nx_loan_t *loans;
    uint64_t next_check_ns;
};

/* Publish size bytes of data through the node's large-data ring. */
nx_err_t nx__large_publish(nx_node_t *node, nx_pub_t *pub, const void *data,
                           size_t size);

/* Deliver a large descriptor received from queue q (receive thread). */
void nx__large_receive(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h,
                       const void *payload);

/* Free everything of the node's channel and its loans (node destroy). */
void nx__large_fini(nx_node_t *node);

/* Our ring under the node's new registry identity (after a rejoin). */
void nx__large_rejoin(nx_node_t *node);

/* Drop the receive side's mapping of a writer's ring (queue freed). */
void nx__large_map_put(struct nx_large_map *m);

/* Periodic upkeep (receive thread): free the holds of dead readers. */
void nx__large_tick(nx_node_t *node, uint64_t now_ns);

#endif /* NX_LARGE_IMPL_H */
