/*
 * registry_impl.h: the domain's registry in shared memory (registry.c).
 *
 * One object per domain holds the node table and the topic table, in
 * versions (docs/shm-format.md, "Registry updates"). Readers never lock:
 * they read the current version and check it stayed current. A writer
 * takes the lease (a bounded wait; a dead or stopped holder's lease is
 * taken over), copies the current version into a staging buffer it
 * claims, changes the copy and publishes it with one compare-and-swap of
 * the current word, which also counts the generation. A writer that was
 * stopped and resumes can only change its own staging buffer, and its
 * compare-and-swap fails: it never writes over a newer version. Nothing
 * here is on the message path.
 *
 * Thread-safety: every function may be called from any thread.
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
    unsigned mode; /* shm.mode, to create it again after it closed */
    /* The reaper's working memory (nx__registry_reap), allocated with the
     * registry: the receive thread's tick allocates nothing. */
    struct reap_ctx *reap;
    char domain[NX_DOMAIN_NAME_MAX + 1];
    char shm_name[NX_SHM_NAME_MAX]; /* "/nexus.D.registry" */
} nx_registry_t;

/* What a node puts in its registry entry. */
typedef struct nx_reg_node_info {
    const char *name;
    const char *segment;
    uint32_t notify;
    uint32_t max_queues, queue_capacity, message_size;
    uint32_t heartbeat_ms, heartbeat_timeout_ms;
} nx_reg_node_info_t;

/* A copy of the registry for readers that must not map it (tools,
 * clean-up): the current tables, with every node's heartbeat filled in,
 * unused topic entries zeroed (used = 0) and every string terminated. */
typedef struct nx_reg_view {
    uint64_t generation;
    uint32_t takeovers;
    nx_reg_tables_t t;
} nx_reg_view_t;

/* A change in preparation (nx__registry_begin .. commit or abort). */
typedef struct nx_reg_txn {
    nx_registry_t *r;
    nx_reg_tables_t *t; /* the staging copy: change it freely */
    uint64_t base;      /* the current word it was copied from */
    uint64_t token;     /* ours, in the lease and the claim */
    uint32_t buf;       /* the staging buffer */
    bool changed;       /* set by whoever changes t; commit skips if not */
} nx_reg_txn_t;

/* Validate a registry of size bytes (mapped) before trusting anything in
 * it: magic, layout version, ABI, size and table sizes. NX_ECORRUPT or
 * NX_EVERSION if it does not pass. */
nx_err_t nx__registry_check(const nx_registry_shm_t *s, size_t size);

/* Open the domain's registry, creating it if needed (mode: shm.mode). */
nx_err_t nx__registry_open(const char *domain, unsigned mode, nx_registry_t **out);

/* Unmap. If `unlink_if_empty`, and no node is alive, mark it closed and
 * unlink it (a newcomer that opened it meanwhile sees `closed` and starts
 * over, so nobody joins a dead registry). */
void nx__registry_close(nx_registry_t *r, bool unlink_if_empty);

/*
 * Start a change: take the lease (waiting up to about a second if `wait`,
 * else not at all), claim a staging buffer and copy the current tables
 * into it (checked: strings terminated, states clamped, bits of free
 * slots dropped). NX_EBUSY if the lease or a buffer could not be had in
 * time, NX_ECORRUPT if the current word is garbage. On NX_OK the caller
 * must end with nx__registry_commit or nx__registry_abort.
 */
nx_err_t nx__registry_begin(nx_registry_t *r, bool wait, nx_reg_txn_t *tx);

/* Publish the staging copy if tx->changed (generation + 1) and end the
 * change. False if another writer published first (its lease taken over
 * meanwhile): nothing was changed, begin again. */
bool nx__registry_commit(nx_reg_txn_t *tx);

/* End a change without publishing it. */
void nx__registry_abort(nx_reg_txn_t *tx);

static inline uint64_t nx__registry_generation(const nx_registry_t *r)
{
    /* Acquire pairs with the publishing compare-and-swap: whoever sees the
     * new generation sees the version it names. */
    return NX_REG_CUR_SEQ(atomic_load_explicit(&r->shm->hdr.current, memory_order_acquire));
}

/*
 * Add a node. A live node of the same name is NX_EEXIST; a dead one (its
 * process gone) is reaped first. A registry closed meanwhile by its last
 * node is opened (or created) again.
 */
nx_err_t nx__registry_node_add(nx_registry_t *r, const nx_reg_node_info_t *info,
                               uint32_t *slot, uint32_t *incarnation);

/* Remove a node: clears its publications and subscriptions. */
void nx__registry_node_remove(nx_registry_t *r, uint32_t slot, uint32_t incarnation);

/* Record the node's large-data segment name ("" to clear). */
void nx__registry_node_set_large(nx_registry_t *r, uint32_t slot, uint32_t incarnation,
                                 const char *segment);

/* Heartbeat of a node (no lease: one atomic store). */
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

/* The same inside a change: a subscriber installs its callback before it
 * commits, so no publisher can see it in the domain before it is ready. */
nx_err_t nx__registry_tx_topic_attach(nx_reg_txn_t *tx, const char *group,
                                      const char *topic, const nx_type_desc_t *type,
                                      uint32_t node_slot, bool publisher,
                                      uint32_t *topic_slot, uint32_t *topic_inc,
                                      char *other_type, size_t other_size);

/* A service as a caller sees it (nx__registry_service_find). */
typedef struct nx_reg_service {
    uint32_t topic_slot, topic_inc;
    uint64_t request_fp, reply_fp;
    char type_name[NX_TYPE_NAME_MAX + 1]; /* "Request -> Reply" */
    uint32_t server_slot;                 /* its server's node slot */
    nx_reg_node_t server;                 /* ... and entry, strings terminated */
} nx_reg_service_t;

/*
 * Serve service `name` (the topic (NX_SVC_GROUP, name)) from node_slot.
 * NX_EEXIST if an alive node serves it already (node_slot too). The topic
 * records both fingerprints and "Request -> Reply" as its type name.
 */
nx_err_t nx__registry_service_serve(nx_registry_t *r, const char *name,
                                    const nx_type_desc_t *request,
                                    const nx_type_desc_t *reply, uint32_t node_slot,
                                    uint32_t *topic_slot, uint32_t *topic_inc);

/* Find the server of service `name`: NX_ENOTFOUND if no alive node
 * serves it. */
nx_err_t nx__registry_service_find(nx_registry_t *r, const char *name,
                                   nx_reg_service_t *out);

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
 * hung_ns = timeout_ns; 0: no heartbeat verdict) finds dead or hung, and
 * unlink the segments of the dead. Without `all`, only nodes whose
 * heartbeat is late (older than one and a half of their periods) are
 * probed, so a healthy domain costs one memory read per node; the probes
 * are made without the lease. Without `wait`, a lease held by another
 * writer defers the removal to the next call. Returns how many were
 * removed. `self` is never reaped.
 */
uint32_t nx__registry_reap(nx_registry_t *r, uint64_t now_ns, uint64_t timeout_ns,
                           uint32_t self, bool all, bool wait);

/*
 * Copy the registry of `domain` into private memory without mapping it,
 * reading with pread so that an object truncated meanwhile cannot raise
 * SIGBUS, and without taking the lease (a stopped writer must not hang an
 * inspector). The copy is retried while the current version moves
 * (*consistent says whether it settled). On NX_REGISTRY_OK *view is set
 * (caller frees with free()); otherwise why says what is wrong.
 */
nx_registry_status_t nx__registry_load(const char *domain, nx_reg_view_t **view,
                                       bool *consistent, char *why, size_t why_size);

/* ---- queries ------------------------------------------------------------
 * The registry's tables are read only through these (each reads the
 * current version without locking); no other module indexes
 * nx_registry_shm_t.
 */

/* Is (slot, inc) an alive node (with that pid, unless pid is 0)? True
 * also when the registry cannot be read: the caller cannot tell, and
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
