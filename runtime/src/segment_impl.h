/*
 * segment_impl.h: the node segment (segment.c): created and removed by its
 * owner, and checked by its one validator.
 *
 * Every reader of a node segment (a publisher attaching to a peer in
 * peer.c, the inspection snapshot in inspect.c) checks the header with
 * nx__segment_check() before it trusts a single offset in it.
 *
 * Thread-safety: the validator is a pure function (any thread); creation
 * and removal are the owner's, once each.
 */
#ifndef NX_SEGMENT_IMPL_H
#define NX_SEGMENT_IMPL_H

#include "platform/platform.h"
#include "shm_layout.h"

#include <nexus/config.h>
#include <sys/types.h>

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

/*
 * Create the segment of node node_name (pid) of domain: name
 * "/nexus.D.n.NAME.PID.SEQ" (written to name), geometry from c->node,
 * permissions c->shm.mode, the liveness lock taken, header and doorbell
 * set up, the magic stored last. On failure nothing is left (*fd is -1).
 * Owner only.
 */
nx_err_t nx__segment_create(const char *domain, const char *node_name, pid_t pid,
                            const nx_config_t *c, char name[NX_SHM_NAME_MAX], int *fd,
                            nx_seg_header_t **hdr, size_t *size);

/* Mark the segment closing, unlink its name and unmap it (peers keep
 * their mappings). Accepts h == NULL and fd < 0. Owner only. */
void nx__segment_destroy(const char *name, int fd, nx_seg_header_t *h, size_t size);

#endif /* NX_SEGMENT_IMPL_H */
