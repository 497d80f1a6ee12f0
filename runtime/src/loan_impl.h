/*
 * loan_impl.h: loans (loan.c). A loan is a buffer lent to the application
 * to build a message in place: a chunk of the node's large-data ring
 * (zero copy: publishing sends only descriptors), or process memory when
 * no ring is configured. Loans are listed in the node's large-data state
 * and guarded by node->large_lock.
 */
#ifndef NX_LOAN_IMPL_H
#define NX_LOAN_IMPL_H

#include "shm_layout.h"

#include <nexus/node.h>

typedef struct nx_loan {
    struct nx_loan *next;
    const nx_topic_desc_t *topic;
    void *buf;
    nx_chunk_hdr_t *chunk; /* NULL: a process-memory loan (no ring) */
} nx_loan_t;

/* Free every loan still out (node destroy). */
void nx__loans_free(nx_node_t *node);

#endif /* NX_LOAN_IMPL_H */
