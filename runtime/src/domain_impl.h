/*
 * domain_impl.h: a domain as a whole (domain.c): the one liveness rule for
 * registry entries, segment-name validation, orphan detection, listing
 * its objects, and clean-up. (The lock-free copy of the registry that
 * inspection and clean-up read is the registry's: nx__registry_load.)
 *
 * Thread-safety: every function may be called from any thread; only the
 * clean-up of a real run changes the registry (as a writer, registry.c).
 */
#ifndef NX_DOMAIN_IMPL_H
#define NX_DOMAIN_IMPL_H

#include "shm_layout.h"

#include <nexus/inspect.h>

#include <stddef.h>

/* The hang timeout of an entry that records none (hostile or zeroed):
 * the configuration's default. */
#define NX_DEFAULT_HUNG_MS 5000u

/*
 * Is name "/nexus.D.n.*" or "/nexus.D.l.*" (without the '/' when slash is
 * false), with no further '/' and no ".."? kind 'n' or 'l' accepts only
 * that kind, 0 either. Names read from the registry pass through here
 * before they are opened, so a hostile entry cannot point anywhere else.
 */
bool nx__segment_name_ok(const char *domain, const char *name, char kind, bool slash);

/*
 * Does the process that owns registry entry n still run? The liveness
 * lock on its node segment (dropped by the kernel when the process dies,
 * rule 10) when the segment name is valid and the object exists; pid +
 * start time otherwise, and when the lock is held (a recycled pid).
 * n may point into shared memory: the fields are copied first.
 */
bool nx__node_process_alive(const char *domain, const nx_reg_node_t *n);

/*
 * THE liveness rule, used by the runtime (registry.c), the snapshot and
 * the tool: dead when the entry is not NX_NODE_ALIVE or its process is
 * gone (nx__node_process_alive); hung when the process runs but its
 * heartbeat is older than hung_ns (0: the entry's own
 * heartbeat_timeout_ms, NX_DEFAULT_HUNG_MS if it records none); alive
 * otherwise. All arithmetic in 64 bits. *age_ns (may be NULL) gets the
 * heartbeat's age at now_ns (CLOCK_MONOTONIC).
 */
nx_node_state_t nx__node_liveness(const char *domain, const nx_reg_node_t *n,
                                  uint64_t now_ns, uint64_t hung_ns, uint64_t *age_ns);

/*
 * Is the owner of node or large-data object `name` (no leading '/',
 * "nexus.D.k.NAME.PID.SEQ") gone? Gone when the liveness lock is free
 * and the pid in the name no longer runs with the start time recorded in
 * the object's header (read with pread: a truncated object cannot fault).
 * *pid gets the pid of the name. False if the object cannot be opened.
 */
bool nx__segment_owner_gone(const char *name, long *pid);

/* Remove node and large-data segments of the domain whose owner is gone;
 * returns how many were removed. */
uint32_t nx__orphans_remove(const char *domain);

/* Open object `path` ("/nexus...") read-only, without mapping it; *size
 * from fstat. NX_ENOTFOUND missing, NX_EPERM not ours to read, NX_ESYS
 * (errno kept) otherwise. */
nx_err_t nx__shm_open_ro(const char *path, int *fd, size_t *size);

/* Read up to size bytes at offset of an object, retrying on EINTR.
 * Returns the bytes read (short at the end of a truncated object). */
size_t nx__pread_all(int fd, void *buf, size_t size, uint64_t offset);

/* Terminate a string field and replace every byte that is not printable
 * ASCII with '?' (text read from shared memory never drives a terminal). */
void nx__text_sanitize(char *dst, size_t size, const char *src, size_t src_size);

#endif /* NX_DOMAIN_IMPL_H */
