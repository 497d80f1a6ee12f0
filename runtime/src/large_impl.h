/*
 * large_impl.h: the large-data channel (large.c): the writer's ring and
 * the readers' mappings of other writers' rings.
 */
#ifndef NX_LARGE_IMPL_H
#define NX_LARGE_IMPL_H

#include "loan_impl.h"
#include "pub_impl.h"
#include "rx_impl.h"
#include "shm_layout.h"

#include <nexus/stats.h>

/* Chunks start at multiples of this many bytes of the ring. */
#define NX_CHUNK_ALIGN 64u

/* The writer's side of its ring (node->large). Guarded by node->large_lock. */
typedef struct nx_large nx_large_t;
struct nx_large {
    char name[NX_SHM_NAME_MAX];
    int fd;
    nx_large_hdr_t *hdr;
    size_t size;
    uint8_t *data;
    uint64_t data_size;
    uint64_t head, tail; /* private copies; mirrored in hdr for tools */
    nx_loan_t *loans;    /* loans still out (loan.c) */
    uint64_t next_check_ns;
    uint64_t stray_clears; /* ticks that found holder bits of unused reader slots */
};

/* A reader's mapping of a writer's ring; shared by holds (refcounted). */
typedef struct nx_large_map {
    _Atomic uint32_t refs;
    nx_large_hdr_t *hdr;
    size_t size;
    uint8_t *data;
    uint64_t data_size;
    uint32_t owner_inc;
    int bit; /* our reader slot, -1 until the writer assigned one */
} nx_large_map_t;

/* ---- writer side (node->large_lock held where said) ---------------------- */

/* The node's ring state, created on first use (the ring itself only when
 * large_data.ring_size is not 0: lg->hdr is NULL otherwise). Lock held. */
nx_err_t nx__large_get(nx_node_t *node, nx_large_t **out);

/* Allocate a chunk of length bytes held by the writer's bit, waiting for
 * room as on_full and block_ms say. NX_ETIMEOUT no room; NX_ETOOBIG it
 * can never fit. Lock held. */
nx_err_t nx__large_alloc(nx_node_t *node, nx_large_t *lg, uint64_t length,
                         nx_on_full_t on_full, uint32_t block_ms, nx_chunk_hdr_t **out);

/* Send a filled chunk along route r: the remote targets get a descriptor
 * (and their bit in the chunk's mask), the local ones a direct call with
 * local_data. Drops the writer's bit. Lock not held. */
nx_err_t nx__large_send(nx_node_t *node, nx_pub_t *pub, nx_route_t *r, nx_large_t *lg,
                        nx_chunk_hdr_t *c, const void *local_data, uint32_t flags);

/* Publish size bytes of data through the node's large-data ring. */
nx_err_t nx__large_publish(nx_node_t *node, nx_pub_t *pub, const void *data, size_t size);

/* Free the node's ring (node destroy; loans are freed first). */
void nx__large_fini(nx_node_t *node);

/* Our ring under the node's new registry identity (after a rejoin). */
void nx__large_rejoin(nx_node_t *node);

/* Periodic upkeep (receive thread): free the holds of dead readers. */
void nx__large_tick(nx_node_t *node, uint64_t now_ns);

/* Fill the ring's figures in out (zeroed by the caller). Lock held. */
void nx__large_stats(nx_large_t *lg, nx_large_stats_t *out);

/* ---- reader side (receive thread; holds from any thread) -------------------- */

/* Deliver a large descriptor received from queue q. */
void nx__large_receive(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h,
                       const void *payload);

/* Is h, the header of a writer's ring of size bytes (mapped), valid and
 * owned by (owner_pid, owner_inc)? The one check before any offset in it
 * is used. */
bool nx__large_hdr_check(const nx_large_hdr_t *h, size_t size, uint32_t owner_pid,
                         uint32_t owner_inc);

/* Check descriptor d (a private copy) against the mapped ring m, for our
 * reader slot bit. NULL and *chunk set if the chunk may be read in place;
 * otherwise why not (for the log), *chunk untouched. */
const char *nx__large_desc_check(const nx_large_map_t *m, const nx_large_desc_t *d, int bit,
                                 nx_chunk_hdr_t **chunk);

/* Drop a reference to a mapping of a writer's ring. Accepts NULL. */
void nx__large_map_put(nx_large_map_t *m);

#endif /* NX_LARGE_IMPL_H */
