/*
 * segment_impl.h: the node segment format's one validator (segment.c).
 *
 * Every reader of a node segment (a publisher attaching to a peer in
 * pub.c, the inspection snapshot in inspect.c) checks the header with
 * nx__segment_check() before it trusts a single offset in it.
 *
 * Thread-safety: pure functions; call from any thread.
 */
#ifndef NX_SEGMENT_IMPL_H
#define NX_SEGMENT_IMPL_H

#include "shm_layout.h"

#include <stddef.h>

/*
 * Validate a node segment header: magic, layout version, ABI word, the
 * object size, the owner (pid and incarnation against its registry entry
 * when entry is not NULL), the geometry limits (NX_SEG_*), the queue and
 * slot offsets (computed without overflow: a header whose bounds wrap is
 * refused), and the C library when the doorbell is a condition variable.
 *
 * h may point into shared memory or to a private copy; size is the size
 * of the object as the file system reports it. why (may be NULL) gets a
 * sentence saying what is wrong.
 *
 * @retval NX_OK        Usable: queues at h->queues_offset, slots at
 *                      h->slots_offset, all inside size bytes.
 * @retval NX_ECORRUPT  Wrong magic, size, owner, geometry or offsets.
 * @retval NX_EVERSION  Another layout version, ABI or C library.
 */
nx_err_t nx__segment_check(const nx_seg_header_t *h, size_t size,
                           const nx_reg_node_t *entry, char *why, size_t why_size);

#endif /* NX_SEGMENT_IMPL_H */
