/*
 * hold.c: holds. nx_hold_take() lets a message outlive its callback: a
 * large-data chunk of another process stays in place (zero copy) with our
 * holder bit kept set until nx_hold_release(); any other message is copied
 * into process memory. Holds are released from any thread (atomics only).
 */
#include "hold_impl.h"

#include "large_impl.h"
#include "node_impl.h"

#include <stdlib.h>
#include <string.h>

struct nx_hold {
    const void *data;
    size_t size;
    nx_large_map_t *map; /* zero copy: a chunk of another process's ring */
    nx_chunk_hdr_t *chunk;
    uint64_t bit;
    void *copy; /* otherwise: our own copy */
};

nx_err_t nx_hold_take(nx_node_t *node, const nx_msg_info_t *info, nx_hold_t **out)
{
    if (!node || !info || !info->ref || !out)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    nx_delivery_t *d = (nx_delivery_t *)info->ref;
    if (d->held)
        return NX_EINVAL;
    nx_hold_t *h = calloc(1, sizeof *h);
    if (!h)
        return NX_ENOMEM;
    h->size = d->size;
    if (d->chunk) {
        atomic_fetch_add_explicit(&d->map->refs, 1, memory_order_relaxed);
        h->map = d->map;
        h->chunk = d->chunk;
        h->bit = d->bit;
        h->data = d->data;
    } else {
        /* Inline and in-process messages do not outlive the callback in
         * place: the hold keeps a copy. */
        h->copy = malloc(d->size ? d->size : 1);
        if (!h->copy) {
            free(h);
            return NX_ENOMEM;
        }
        memcpy(h->copy, d->data, d->size);
        h->data = h->copy;
    }
    d->held = true;
    *out = h;
    return NX_OK;
}

const void *nx_hold_data(const nx_hold_t *hold)
{
    return hold ? hold->data : NULL;
}
size_t nx_hold_size(const nx_hold_t *hold)
{
    return hold ? hold->size : 0;
}

void nx_hold_release(nx_node_t *node, nx_hold_t *hold)
{
    if (!hold || (node && nx__node_forked(node)))
        return; /* a parent's hold: its holder bit is the parent's to clear */
    if (hold->chunk) {
        atomic_fetch_and_explicit(&hold->chunk->holders, ~hold->bit, memory_order_release);
        nx__large_map_put(hold->map);
    }
    free(hold->copy);
    free(hold);
}
