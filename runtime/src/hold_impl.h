/*
 * hold_impl.h: the runtime's record of one delivery (hold.c). Every
 * callback's nx_msg_info_t.ref points to one, on the delivering thread's
 * stack; nx_hold_take() takes the message over from it so that it outlives
 * the callback (zero copy for a large-data chunk, a private copy
 * otherwise).
 */
#ifndef NX_HOLD_IMPL_H
#define NX_HOLD_IMPL_H

#include "shm_layout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nx_large_map;

typedef struct nx_delivery {
    const void *data;
    size_t size;
    struct nx_large_map *map; /* a large message from another process, or NULL */
    nx_chunk_hdr_t *chunk;
    uint64_t bit; /* our holder bit in the chunk */
    bool held;    /* nx_hold_take() took it over */
} nx_delivery_t;

#endif /* NX_HOLD_IMPL_H */
