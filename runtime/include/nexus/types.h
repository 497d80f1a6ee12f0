/*
 * nexus/types.h: the plain types shared by the runtime and the code that
 * nexus-idlc generates: message information handed to callbacks, and the
 * type and topic descriptors that describe a schema at run time.
 *
 * Descriptors are immutable data, normally `static const` in generated
 * code; the runtime only reads them and keeps pointers to them for as long
 * as a subscription or publication uses them, so they must outlive the
 * node (static storage satisfies that).
 */
#ifndef NEXUS_TYPES_H
#define NEXUS_TYPES_H

#include <nexus/defs.h>
#include <nexus/err.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A node: one participant of a domain. Opaque; see nexus/node.h. */
typedef struct nx_node nx_node_t;

/** Flags of nx_msg_info_t.flags. */
enum {
    NX_MSG_INPROC = 1u << 0, /**< delivered by a direct call, same process */
    NX_MSG_LARGE = 1u << 1,  /**< payload lives in a large-data ring */
    NX_MSG_LOANED = 1u << 2, /**< payload was published from a loan */
};

/**
 * What a subscriber learns about a message besides its bytes. Valid only
 * during the callback that receives it; copy what must be kept.
 */
typedef struct nx_msg_info {
    const char *group;     /**< group the message was published to ("" for typed topics) */
    const char *topic;     /**< topic name */
    const char *sender;    /**< name of the sending node */
    uint64_t seq;          /**< per (sender, topic) sequence number, from 1 */
    uint64_t send_time_ns; /**< CLOCK_MONOTONIC at publish, in ns */
    uint64_t recv_time_ns; /**< CLOCK_MONOTONIC when dispatched, in ns */
    uint64_t fingerprint;  /**< type fingerprint of the writer, 0 if raw */
    uint32_t sender_pid;   /**< process id of the sender */
    uint32_t flags;        /**< NX_MSG_* bits */
    const void *ref;       /**< the runtime's handle of this delivery, for nx_hold_take() */
} nx_msg_info_t;

/**
 * Raw callback: called on the node's receive thread (or the publisher's
 * thread for in-process delivery) with a pointer to the bytes, valid until
 * the callback returns.
 */
typedef void (*nx_raw_fn)(const void *data, size_t size, const nx_msg_info_t *info,
                          void *user);

/**
 * A function pointer of any type, carried through the runtime untouched and
 * cast back to its real type by the generated dispatcher. (Casting to and
 * from `void (*)(void)` is how C passes a function pointer generically.)
 */
typedef void (*nx_generic_fn)(void);

/**
 * Generated adapter that turns a raw, already validated message into a
 * call of the typed user callback `fn` (cast back to its real type).
 */
typedef void (*nx_dispatch_fn)(const void *msg, const nx_msg_info_t *info, nx_generic_fn fn,
                               void *user);

/** Kind of a field, or of the elements of an array or sequence. */
typedef enum nx_kind {
    NX_KIND_BOOL = 1,
    NX_KIND_INT8,
    NX_KIND_INT16,
    NX_KIND_INT32,
    NX_KIND_INT64,
    NX_KIND_UINT8,
    NX_KIND_UINT16,
    NX_KIND_UINT32,
    NX_KIND_UINT64,
    NX_KIND_FLOAT32,
    NX_KIND_FLOAT64,
    NX_KIND_CHAR,
    NX_KIND_BYTE,
    NX_KIND_ENUM,     /**< `enum_type` gives the underlying integer kind */
    NX_KIND_STRING,   /**< char[bound + 1], NUL-terminated */
    NX_KIND_BYTES,    /**< struct { uint32_t len; uint8_t data[bound]; } */
    NX_KIND_SEQUENCE, /**< struct { uint32_t count; T items[bound]; } */
    NX_KIND_STRUCT    /**< nested struct, described by `type` */
} nx_kind_t;

/** Most array dimensions a field may have (`T name[A][B]...`). */
#define NX_MAX_DIMS 4

struct nx_type_desc;

/** One field of a struct or message. */
typedef struct nx_field_desc {
    const char *name;    /**< field name as in the schema */
    nx_kind_t kind;      /**< kind of the field (of each element for arrays) */
    nx_kind_t elem_kind; /**< for SEQUENCE: kind of the items; else 0 */
    nx_kind_t
        enum_base;   /**< for ENUM (or sequence of ENUM): underlying integer kind; else 0 */
    uint32_t offset; /**< byte offset in the enclosing struct */
    uint32_t size;   /**< total bytes of the field, arrays included */
    uint32_t bound;  /**< string/bytes/sequence bound N; else 0 */
    uint32_t ndims;  /**< number of fixed array dimensions, 0..NX_MAX_DIMS */
    uint32_t dims[NX_MAX_DIMS]; /**< the dimensions, outermost first */
    const struct nx_type_desc
        *type; /**< STRUCT (or sequence of STRUCT): its descriptor; else NULL */
} nx_field_desc_t;

/** A struct or message type. */
typedef struct nx_type_desc {
    const char *name;     /**< fully qualified schema name, "vehicle.sensors.Temperature" */
    uint32_t size;        /**< sizeof the C struct */
    uint32_t align;       /**< alignment of the C struct */
    uint64_t fingerprint; /**< 64-bit layout fingerprint (NIDL.md) */
    uint32_t field_count; /**< number of entries in `fields` */
    const nx_field_desc_t *fields;
    /** Check a value of this type (NUL-terminated strings, len/count within
     *  bounds, declared enum values). Returns NX_OK or NX_ECORRUPT. */
    nx_err_t (*validate)(const void *msg);
} nx_type_desc_t;

/** What a publisher does when a subscriber's queue is full. */
typedef enum nx_on_full {
    NX_ON_FULL_FAIL = 0, /**< return NX_ETIMEOUT at once, count a drop */
    NX_ON_FULL_BLOCK = 1 /**< wait for room up to block_ms, then NX_ETIMEOUT */
} nx_on_full_t;

/** Longest topic or group name, in characters (without the NUL). */
#define NX_TOPIC_NAME_MAX 127

/** A topic declared in a schema. */
typedef struct nx_topic_desc {
    const char *name;           /**< wire name, e.g. "vehicle/sensors/cabin_temp" */
    const nx_type_desc_t *type; /**< the message type it carries */
    nx_on_full_t on_full;       /**< fail (default) or block */
    uint32_t block_ms;          /**< how long `block` may wait */
} nx_topic_desc_t;

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_TYPES_H */
