/*
 * registry_impl.h: the domain's registry in shared memory (registry.c).
 *
 * One object per domain holds the node table and the topic table. Every
 * change happens under one robust process-shared mutex and bumps the
 * generation counter, so nodes cache what they need and re-read only when
 * the generation moved. Nothing here is on the message path.
 *
 * Thread-safety: every function locks as needed and may be called from
 * any thread; functions ending in _locked expect the caller to hold the
 * lock (nx__registry_lock).
 */
#ifndef NX_REGISTRY_IMPL_H
#define NX_REGISTRY_IMPL_H

#include "names_impl.h"
#include "platform/platform.h"
#include "shm_layout.h"

#include <nexus/config.h>
#include <nexus/inspect.h>

typedef struct nx_registry {
    nx_registry_shm_t *shm;
    size_t size;
    int fd;
    char domain[NX_DOMAIN_NAME_MAX + 1];
    char shm_name[NX_SHM_NAME_MAX]; /* "/nexus.D.registry" */
} nx_registry_t;

/* What a node puts in its registry entry. */
typedef struct nx_reg_node_info {
    const char *name;
    const char *segment;
    uint32_t notify;
    uint32_t max_queues, queue_capacity, message_size;
    uint32_t heartbeat_timeout_ms;
} nx_reg_node_info_t;

/* Validate a registry of size bytes (mapped) before trusting anything in
 * it: magic, layout version, ABI, size and table sizes. NX_ECORRUPT or
 * NX_EVERSION if it does not pass. */
nx_err_t nx__registry_check(const nx_registry_shm_t *s, size_t size);

/* Open the domain's registry, creating it if needed (mode: shm.mode). */
nx_err_t nx__registry_open(const char *domain, unsigned mode, nx_registry_t **out);

/* Unmap. If `unlink_if_empty`, and no node is alive, mark it closed and
 * unlink it (under the lock, so a newcomer never joins a dead registry). */
void nx__registry_close(nx_registry_t *r, bool unlink_if_empty);

/* Lock / unlock the registry. A dead holder is repaired (tables checked). */
nx_err_t nx__registry_lock(nx_registry_t *r);
void nx__registry_unlock(nx_registry_t *r);

static inline uint64_t nx__registry_generation(const nx_registry_t *r)
{
    /* Acquire pairs with the release increment in nx__registry_bump():
     * whoever sees the new generation and then takes the lock sees the
     * change (the lock orders it anyway; this keeps the fast check cheap). */
    return atomic_load_explicit(&r->shm->hdr.generation, memory_order_acquire);
}

/* Bump the generation (with the lock held). */
void nx__registry_bump(nx_registry_t *r);

/*
 * Add a node. A live node of the same name is NX_EEXIST; a dead one (its
 * process gone) is reaped first.
 */
nx_err_t nx__registry_node_add(nx_registry_t *r, const nx_reg_node_info_t *info,
                               uint32_t *slot, uint32_t *incarnation);

/* Remove a node: clears its publications and subscriptions. */
void nx__registry_node_remove(nx_registry_t *r, uint32_t slot, uint32_t incarnation);

/* Record the node's large-data segment name ("" to clear). */
void nx__registry_node_set_large(nx_registry_t *r, uint32_t slot, uint32_t incarnation,
                                 const char *segment);

/* Heartbeat of a node (no lock: one atomic store). */
void nx__registry_node_beat(nx_registry_t *r, uint32_t slot, uint64_t now_ns);

/*
 * Attach a node to (group, topic) as publisher or subscriber, creating
 * the topic if needed. type may be NULL (raw). A typed attach whose
 * fingerprint differs from the topic's is NX_ETYPE, and *other_type gets
 * the registered type name (for the caller's message).
 */
nx_err_t nx__registry_topic_attach(nx_registry_t *r, const char *group, const char *topic,
                                   const nx_type_desc_t *type, uint32_t node_slot,
                                   bool publisher, uint32_t *topic_slot,
                                   uint32_t *topic_inc, char *other_type,
                                   size_t other_size);

/* The same with the lock held: a subscriber installs its callback before
 * unlocking, so no publisher can see it in the domain before it is ready. */
nx_err_t nx__registry_topic_attach_locked(nx_registry_t *r, const char *group,
                                          const char *topic, const nx_type_desc_t *type,
                                          uint32_t node_slot, bool publisher,
                                          uint32_t *topic_slot, uint32_t *topic_inc,
                                          char *other_type, size_t other_size);

/* Detach; frees the topic when nobody uses it. */
void nx__registry_topic_detach(nx_registry_t *r, uint32_t topic_slot, uint32_t topic_inc,
                               uint32_t node_slot, bool publisher);

/* Record the on_full policy of publisher node_slot on topic (slot, inc),
 * for tools (the publisher keeps its own copy on the message path). */
void nx__registry_topic_set_policy(nx_registry_t *r, uint32_t topic_slot,
                                   uint32_t topic_inc, uint32_t node_slot,
                                   nx_on_full_t on_full, uint32_t block_ms);

/*
 * Remove the nodes that the one liveness rule (nx__node_liveness, with
 * hung_ns = timeout_ns) finds dead (liveness lock free, or pid
 * and start time no longer match) or whose heartbeat is older than
 * timeout_ns (0: no heartbeat verdict); frees their entries, and unlinks
 * the segments of the dead. Returns how many were reaped.
 * `self` is never reaped.
 */
uint32_t nx__registry_reap(nx_registry_t *r, uint64_t now_ns, uint64_t timeout_ns,
                           uint32_t self);

/* Is the owner of a registry entry alive? (pid + start time + the
 * liveness lock on its segment.) Lock held. */
bool nx__registry_node_alive_locked(nx_registry_t *r, const nx_reg_node_t *n);

/*
 * Copy the registry of `domain` into private memory without locking it
 * (a hung node holding the lock must not hang an inspector), reading with
 * pread so that an object truncated meanwhile cannot raise SIGBUS. The
 * copy is retried while the generation moves (*consistent says whether
 * it settled), then every string is terminated. On NX_REGISTRY_OK *copy
 * is set (caller frees with free()); otherwise why says what is wrong.
 */
nx_registry_status_t nx__registry_load(const char *domain, nx_registry_shm_t **copy,
                                       uint64_t *generation, bool *consistent, char *why,
                                       size_t why_size);

/* ---- queries ------------------------------------------------------------
 * The registry's tables are read only through these (each takes the lock
 * itself); no other module indexes nx_registry_shm_t.
 */

/* Is (slot, inc) an alive node (with that pid, unless pid is 0)? True
 * also when the registry cannot be locked: the caller cannot tell, and
 * asks again on its next tick. */
bool nx__registry_node_current(nx_registry_t *r, uint32_t slot, uint32_t inc, uint32_t pid);

/* Copy the entry of the alive node (slot, inc), strings terminated.
 * NX_ENOTFOUND if the slot holds no such node. */
nx_err_t nx__registry_node_copy(nx_registry_t *r, uint32_t slot, uint32_t inc,
                                nx_reg_node_t *out);

/* For every node slot: is it alive, and its incarnation. */
nx_err_t nx__registry_alive(nx_registry_t *r, bool alive[NX_REG_MAX_NODES],
                            uint32_t inc[NX_REG_MAX_NODES]);

/* The alive subscribers of topic (slot, inc): their slots and entries
 * (*count of them), and the generation the answer belongs to. */
nx_err_t nx__registry_subscribers(nx_registry_t *r, uint32_t topic_slot, uint32_t topic_inc,
                                  uint32_t slots[NX_REG_MAX_NODES],
                                  nx_reg_node_t entries[NX_REG_MAX_NODES], uint32_t *count,
                                  uint64_t *gen);

/* How many alive nodes subscribe (group, topic). */
nx_err_t nx__registry_subscriber_count(nx_registry_t *r, const char *group,
                                       const char *topic, size_t *count);

/* The pid of the alive node called name; NX_ENOTFOUND if there is none. */
nx_err_t nx__registry_node_pid(nx_registry_t *r, const char *name, uint32_t *pid);

#endif /* NX_REGISTRY_IMPL_H */
