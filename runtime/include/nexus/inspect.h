/*
 * nexus/inspect.h: look inside a domain without being part of it, and
 * clean up what crashed processes left.
 *
 * A snapshot is a validated, private copy of what a domain's shared
 * memory says: its nodes (with their state by the same rule the runtime
 * uses), topics, inbound queues and large-data rings. It is taken without
 * waiting for anyone (readers of the registry never lock), so a stopped
 * or hung process cannot hang the inspector, and it reads shared memory with pread(), so an object that a
 * dying process truncates cannot raise SIGBUS in the caller. Everything
 * in it has been checked: strings are terminated and hold only printable
 * ASCII ('?' replaces the rest), counts and indices are bounded, and a
 * node segment that fails validation is described, never followed.
 *
 * A snapshot is one look: counters are read without stopping traffic
 * (each is exact, the set is not one instant), and a registry that
 * changes while it is copied is retried a few times (consistent says
 * whether the copy settled).
 *
 * Thread-safety: every function may be called from any thread; a
 * snapshot is immutable and may be read by several threads at once.
 * Lifetimes: every pointer a snapshot hands out lives until
 * nx_snapshot_free().
 */
#ifndef NEXUS_INSPECT_H
#define NEXUS_INSPECT_H

#include <nexus/config.h>
#include <nexus/node.h>
#include <nexus/stats.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest shared-memory object name, with the leading '/' and the NUL. */
#define NX_OBJECT_NAME_MAX       128
/** Longest type name of a topic, without the NUL. */
#define NX_INSPECT_TYPE_NAME_MAX 127
/** Size of the problem descriptions in snapshots and reports. */
#define NX_PROBLEM_MAX           256

/** What a domain's registry is like. */
typedef enum nx_registry_status {
    NX_REGISTRY_OK = 0,        /**< read and validated */
    NX_REGISTRY_MISSING = 1,   /**< no registry: no node runs in the domain */
    NX_REGISTRY_BAD = 2,       /**< failed validation (problem says how) */
    NX_REGISTRY_UNREADABLE = 3 /**< cannot be opened (permission, system error) */
} nx_registry_status_t;

/** "ok", "missing", "bad", "unreadable"; "?" for other values. Never NULL. */
NX_API const char *nx_registry_status_name(nx_registry_status_t status);

/** How a node is doing. */
typedef enum nx_node_state {
    NX_NODE_STATE_ALIVE = 0, /**< its process runs and its heartbeat is recent */
    NX_NODE_STATE_HUNG =
        1,                 /**< its process runs, its heartbeat is older than its timeout */
    NX_NODE_STATE_DEAD = 2 /**< its process is gone (clean-up removes what it left) */
} nx_node_state_t;

/** "alive", "hung", "dead"; "?" for other values. Never NULL. */
NX_API const char *nx_node_state_name(nx_node_state_t state);

/** Options of nx_snapshot_take(); set them with nx_snapshot_opts_init(). */
typedef struct nx_snapshot_opts {
    /** Heartbeat age after which a running node counts as hung, in ms;
     *  0 (default): each node's own heartbeat_timeout_ms, as the runtime
     *  judges it. */
    uint32_t hung_ms;
    /** Read the node segments and large-data rings (queues, statistics);
     *  default true. False reads only the registry. */
    bool segments;
} nx_snapshot_opts_t;

/** Set the defaults: hung_ms 0, segments true. */
NX_API void nx_snapshot_opts_init(nx_snapshot_opts_t *opts);

/** One inbound queue of a node: the ring one sending node writes into. */
typedef struct nx_inspect_queue {
    uint32_t index;         /**< position in the node's segment */
    nx_queue_stats_t stats; /**< peer = the sender (sanitised); pending is 0
                                  when pending_valid is false */
    bool pending_valid;     /**< false: the ring's indices are impossible (corrupt) */
    bool sender_alive;      /**< the sender's process (pid + start time) runs */
    bool closed;            /**< the sender left; the receiver drains, then frees it */
} nx_inspect_queue_t;

/** A node as its registry entry, segment and large-data ring show it. */
typedef struct nx_inspect_node {
    uint32_t slot;                   /**< registry slot (what topics refer to) */
    uint32_t incarnation;            /**< bumped each time the slot is reused */
    char name[NX_NODE_NAME_MAX + 1]; /**< sanitised */
    uint32_t pid;
    nx_node_state_t state;         /**< by the runtime's own rule */
    bool process_alive;            /**< state != NX_NODE_STATE_DEAD */
    uint64_t heartbeat_age_ns;     /**< age of its last heartbeat */
    uint32_t heartbeat_timeout_ms; /**< its own hang timeout (0: not recorded) */
    uint32_t hung_ms;              /**< the threshold state was judged by */
    uint32_t notify;               /**< nx_notify_mode_t; > NX_NOTIFY_SPIN: unknown */
    uint32_t max_queues;           /**< geometry the entry records */
    uint32_t queue_capacity;
    uint32_t message_size;
    char segment[NX_OBJECT_NAME_MAX];       /**< node segment name (sanitised) */
    char large_segment[NX_OBJECT_NAME_MAX]; /**< "" if the node has no large-data ring */

    /** NX_OK: the segment was read and validated; else why it was not
     *  (NX_ENOTFOUND missing, NX_ECORRUPT / NX_EVERSION failed validation,
     *  NX_EPERM / NX_ESYS cannot be opened, NX_ENOTINIT not read because
     *  nx_snapshot_opts_t.segments was false). */
    nx_err_t segment_err;
    char segment_problem[NX_PROBLEM_MAX]; /**< "" when segment_err is NX_OK */
    uint32_t seg_max_queues;              /**< validated geometry of the segment */
    uint32_t seg_queue_capacity;
    uint32_t seg_message_size;
    uint32_t seg_ref_count;           /**< processes that map it */
    uint32_t seg_state;               /**< 1 running, 2 closing (others: corrupt) */
    const nx_inspect_queue_t *queues; /**< the queues in use, by index */
    size_t queue_count;

    /** Large-data ring: NX_OK read and valid; NX_ENOTFOUND none; else why
     *  not (large_problem). held is not measured from outside (0). */
    nx_err_t large_err;
    char large_problem[NX_PROBLEM_MAX];
    nx_large_stats_t large;
} nx_inspect_node_t;

/** A node at one end of a topic. */
typedef struct nx_inspect_endpoint {
    uint32_t slot;                 /**< registry slot */
    const nx_inspect_node_t *node; /**< NULL: the slot holds no node (stale bit) */
    nx_on_full_t on_full;          /**< publishers: what a full queue does; else FAIL */
    uint32_t block_ms;             /**< publishers with on_full BLOCK: the wait; else 0 */
} nx_inspect_endpoint_t;

/** A topic of the registry, with its publishers (and their on_full
 *  policies, as each publisher recorded them) and subscribers. */
typedef struct nx_inspect_topic {
    uint32_t slot;                                /**< registry slot */
    char group[NX_TOPIC_NAME_MAX + 1];            /**< "" for none; sanitised */
    char name[NX_TOPIC_NAME_MAX + 1];             /**< sanitised */
    char type_name[NX_INSPECT_TYPE_NAME_MAX + 1]; /**< "" for raw topics */
    uint64_t fingerprint;                         /**< 0: raw (untyped) */
    uint32_t type_size;                           /**< bytes of the type if typed */
    /** A service (group NX_SERVICE_GROUP): its reply type's fingerprint
     *  (`fingerprint` is its request type's, `type_name` "Request -> Reply",
     *  its server the one subscriber); 0 for topics. */
    uint64_t reply_fingerprint;
    const nx_inspect_endpoint_t *publishers;
    size_t publisher_count;
    const nx_inspect_endpoint_t *subscribers;
    size_t subscriber_count;
} nx_inspect_topic_t;

/** The domain as a whole. */
typedef struct nx_inspect_domain {
    char name[NX_DOMAIN_NAME_MAX + 1];
    char registry_name[NX_OBJECT_NAME_MAX]; /**< "/nexus.D.registry" */
    nx_registry_status_t registry;
    char problem[NX_PROBLEM_MAX]; /**< why the registry is not OK */
    uint64_t generation;          /**< registry generation copied */
    bool consistent;              /**< the copy settled (no change during it) */
    uint32_t
        repairs; /**< times its writers' lease was taken over (holder gone or stopped) */
    size_t object_count; /**< shared-memory objects of the domain */
} nx_inspect_domain_t;

/** A snapshot of one domain. Opaque; see nx_snapshot_take(). */
typedef struct nx_snapshot nx_snapshot_t;

/**
 * Take a snapshot of a domain. Never locks the registry, never writes to
 * shared memory, never signals a process. A registry that is missing or
 * fails validation is not an error: the snapshot says so
 * (nx_snapshot_domain()) and lists no node or topic.
 *
 * @param[in]  domain  The domain; NULL: $NEXUS_DOMAIN, else "default".
 * @param[in]  opts    Options; NULL for the defaults. Borrowed.
 * @param[out] out     Set on success. Returns; caller frees with
 *                     nx_snapshot_free().
 * @retval NX_OK      *out is set.
 * @retval NX_EINVAL  out is NULL or domain is not a valid domain name.
 * @retval NX_ENOMEM  Out of memory; nothing allocated.
 */
NX_API nx_err_t nx_snapshot_take(const char *domain, const nx_snapshot_opts_t *opts,
                                 nx_snapshot_t **out);

/** Free a snapshot and everything it handed out. Accepts NULL. */
NX_API void nx_snapshot_free(nx_snapshot_t *snap);

/** The domain part of a snapshot. Never NULL for a snapshot. */
NX_API const nx_inspect_domain_t *nx_snapshot_domain(const nx_snapshot_t *snap);

/** Number of nodes (registry entries in use, dead ones included). */
NX_API size_t nx_snapshot_node_count(const nx_snapshot_t *snap);

/** Node i (0..count-1, in registry slot order); NULL if i is out of range. */
NX_API const nx_inspect_node_t *nx_snapshot_node(const nx_snapshot_t *snap, size_t i);

/** The node named name (the first if a dead entry shares it with a live
 *  one: live entries come first); NULL if none. */
NX_API const nx_inspect_node_t *nx_snapshot_find_node(const nx_snapshot_t *snap,
                                                      const char *name);

/** Number of topics. */
NX_API size_t nx_snapshot_topic_count(const nx_snapshot_t *snap);

/** Topic i (0..count-1, in registry slot order); NULL if out of range. */
NX_API const nx_inspect_topic_t *nx_snapshot_topic(const nx_snapshot_t *snap, size_t i);

/* ---- domains and their objects ------------------------------------------ */

/**
 * List the domains that have shared-memory objects (whether or not their
 * registry exists), sorted. Thread-safe.
 * @param[out] names  Returns; caller frees with nx_domain_objects_free().
 * @param[out] count  Number of names.
 * @retval NX_OK, NX_EINVAL (NULL argument), NX_ENOMEM.
 */
NX_API nx_err_t nx_domains_list(char ***names, size_t *count);

/**
 * List the shared-memory objects of `domain` (registry, node segments,
 * large-data rings), names without the leading '/', sorted. Thread-safe.
 * @param[in]  domain  The domain.
 * @param[out] names   Returns; caller frees with nx_domain_objects_free().
 * @param[out] count   Number of names.
 * @retval NX_OK       Listed (possibly none).
 * @retval NX_EINVAL   Bad domain name or NULL argument.
 * @retval NX_ENOMEM   Out of memory; nothing returned.
 */
NX_API nx_err_t nx_domain_objects(const char *domain, char ***names, size_t *count);

/** Free a list from nx_domain_objects() or nx_domains_list(). Accepts NULL. */
NX_API void nx_domain_objects_free(char **names, size_t count);

/* ---- clean-up -------------------------------------------------------------- */

/** Options of nx_domain_cleanup(); set them with nx_clean_opts_init(). */
typedef struct nx_clean_opts {
    /** Only say what would be done; change nothing. */
    bool dry_run;
    /** Remove every object of the domain even if its owner looks alive
     *  (tests, after every node is gone), and a registry that fails
     *  validation. Running nodes lose the domain. */
    bool force;
} nx_clean_opts_t;

/** Set the defaults: dry_run false, force false. */
NX_API void nx_clean_opts_init(nx_clean_opts_t *opts);

/** What clean-up did (or would do) with one object or registry entry. */
typedef enum nx_clean_action {
    NX_CLEAN_REMOVED = 0,      /**< the object was removed */
    NX_CLEAN_WOULD_REMOVE = 1, /**< dry run: it would be removed */
    NX_CLEAN_DROPPED = 2,      /**< the registry entry of a gone process was dropped */
    NX_CLEAN_WOULD_DROP = 3,   /**< dry run: it would be dropped */
    NX_CLEAN_KEPT = 4,         /**< kept (its owner runs, or it is not ours to remove) */
    NX_CLEAN_FAILED = 5        /**< should have gone but could not be removed */
} nx_clean_action_t;

/** "removed", "would remove", "dropped", "would drop", "kept", "FAILED";
 *  "?" for other values. Never NULL. */
NX_API const char *nx_clean_action_name(nx_clean_action_t action);

/** One line of a clean-up report. */
typedef struct nx_clean_item {
    nx_clean_action_t action;
    bool entry;                    /**< a registry entry (what = node name), else an
                                          object (what = "/nexus...") */
    char what[NX_OBJECT_NAME_MAX]; /**< sanitised */
    char reason[128];              /**< why, e.g. "process 123 is gone" */
} nx_clean_item_t;

/** What became of the registry. */
typedef enum nx_clean_registry {
    NX_CLEAN_REG_MISSING = 0, /**< there was none */
    NX_CLEAN_REG_REMOVED = 1, /**< removed (or would be, in a dry run) */
    NX_CLEAN_REG_KEPT = 2,    /**< kept: live nodes use it (or it could not go) */
    NX_CLEAN_REG_BAD = 3,     /**< kept: fails validation (force removes it) */
    NX_CLEAN_REG_ERROR = 4    /**< kept: cannot be read or opened */
} nx_clean_registry_t;

/** "missing", "removed", "kept", "bad", "error"; "?" otherwise. Never NULL. */
NX_API const char *nx_clean_registry_name(nx_clean_registry_t reg);

/** The report of nx_domain_cleanup(). */
typedef struct nx_clean_report {
    char domain[NX_DOMAIN_NAME_MAX + 1];
    bool dry_run;
    bool force;
    nx_clean_registry_t registry;
    char problem[NX_PROBLEM_MAX]; /**< why the registry is bad or unreadable */
    const nx_clean_item_t *items; /**< in the order things were done */
    size_t item_count;
    size_t removed;                  /**< objects removed (or that would be) */
    size_t kept;                     /**< objects kept or failed */
    size_t dropped;                  /**< registry entries dropped (or that would be) */
    uint32_t live_users;             /**< force: running processes that use the domain */
    char live_names[NX_PROBLEM_MAX]; /**< force: "name (pid N), ..." of live nodes */
    bool ok;                         /**< nothing failed and the registry was usable */
} nx_clean_report_t;

/**
 * Remove what crashed processes left in a domain: node and large-data
 * segments whose owner is gone, their registry entries, and the registry
 * once no live node remains. A living process's objects are kept, a hung
 * one's too, and no process is ever signalled. With opts->force every
 * object of the domain goes (report->live_users says how many running
 * processes lose it). A real run changes the registry to drop entries: it
 * waits at most about a second for the writers' lease (a stopped holder's
 * lease is taken over after 200 ms), then reports NX_EBUSY.
 *
 * @param[in]  domain  The domain; NULL: $NEXUS_DOMAIN, else "default".
 * @param[in]  opts    Options; NULL for the defaults. Borrowed.
 * @param[out] report  May be NULL. Returns (also on the errors below, except
 *                     NX_EINVAL and NX_ENOMEM); caller frees with
 *                     nx_clean_report_free().
 * @retval NX_OK        Done: everything that should go went.
 * @retval NX_EINVAL    Bad domain name; nothing done.
 * @retval NX_ENOMEM    Out of memory; nothing done.
 * @retval NX_ECORRUPT  The registry fails validation (kept; force removes it).
 * @retval NX_EPERM     The registry or an object belongs to another user.
 * @retval NX_ESYS      An object could not be removed, or the registry read.
 */
NX_API nx_err_t nx_domain_cleanup(const char *domain, const nx_clean_opts_t *opts,
                                  nx_clean_report_t **report);

/** Free a report. Accepts NULL. */
NX_API void nx_clean_report_free(nx_clean_report_t *report);

/* ---- names and layout --------------------------------------------------------- */

/** The kinds of names the runtime accepts. */
typedef enum nx_name_kind {
    NX_NAME_DOMAIN = 0, /**< 1..NX_DOMAIN_NAME_MAX of [A-Za-z0-9_-] */
    NX_NAME_NODE = 1,   /**< 1..NX_NODE_NAME_MAX of [A-Za-z0-9_.-], no ".." */
    NX_NAME_TOPIC = 2,  /**< 1..NX_TOPIC_NAME_MAX of [A-Za-z0-9_/.-] */
    NX_NAME_GROUP = 3   /**< as a topic, or empty */
} nx_name_kind_t;

/** Would the runtime accept name as a name of this kind? NULL: false. */
NX_API bool nx_name_valid(nx_name_kind_t kind, const char *name);

/** What this library reads and writes in shared memory. */
typedef struct nx_layout_info {
    uint32_t layout_version; /**< version of the shared-memory layout */
    uint32_t abi_word;       /**< what must match to share objects */
    char libc[32];           /**< the C library's identity */
    char shm_dir[64];        /**< where the objects are listed */
} nx_layout_info_t;

/** Fill *out. */
NX_API void nx_layout_info(nx_layout_info_t *out);

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_INSPECT_H */
