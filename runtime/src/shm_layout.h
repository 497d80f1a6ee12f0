/*
 * shm_layout.h: the layout of every shared-memory object of a domain.
 * docs/shm-format.md describes the same in prose.
 *
 * Rules: fixed-width types and offsets only, never pointers; each object
 * starts with magic, layout version, ABI word and size; everything read
 * from here is validated before use (another process may be buggy or
 * hostile); every struct's size is asserted at compile time.
 *
 * Objects of domain D (names without the leading '/'):
 *   nexus.D.registry            the registry (one per domain)
 *   nexus.D.n.NAME.PID.SEQ      a node segment: doorbell + inbound queues
 *   nexus.D.l.NAME.PID.SEQ      a node's large-data ring (see large.c)
 */
#ifndef NX_SHM_LAYOUT_H
#define NX_SHM_LAYOUT_H

#include <nexus/node.h>
#include <nexus/service.h>

#include "platform/platform.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#define NX_CACHELINE 64

#define NX_LAYOUT_VERSION 3u /* 3: versioned tables, lease; 2: publisher policies */
#define NX_REG_MAGIC      UINT64_C(0x3147455258454e4e) /* "NNEXREG1" */
#define NX_SEG_MAGIC      UINT64_C(0x31474553584e4e4e) /* "NNNXSEG1" */
#define NX_MSG_MAGIC      0x4d584e4eu                  /* "NNXM" */

/* The ABI word: what must match to share an object. Pointer size, byte
 * order, the sizes of the process-shared pthread/semaphore objects, and
 * the platform file (nx__plat_abi_tag: liveness rules differ). */
#define NX_ABI_WORD                                                                        \
    ((uint32_t)(sizeof(void *) | (sizeof(pthread_mutex_t) << 8) |                          \
                (sizeof(pthread_cond_t) << 16) | (sizeof(sem_t) << 24)) ^                  \
     (uint32_t)(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 0x80000000u) ^             \
     nx__plat_abi_tag())

/* ---- registry ------------------------------------------------------- */

#define NX_REG_MAX_NODES    128u /* slots; bitmaps below have this many bits */
#define NX_REG_MAX_TOPICS   1024u
#define NX_REG_BITMAP_WORDS (NX_REG_MAX_NODES / 64u)
#define NX_SEG_NAME_MAX     128u
#define NX_TYPE_NAME_MAX    127u

/* Node entry states. */
enum {
    NX_NODE_FREE = 0,
    NX_NODE_ALIVE = 1,
    NX_NODE_DEAD = 2, /* detected dead; slot freed once nobody needs it */
};

typedef struct nx_reg_node {
    uint32_t state;       /* NX_NODE_* */
    uint32_t incarnation; /* bumped every time the slot is (re)used */
    uint32_t pid;
    uint32_t notify;     /* nx_notify_mode_t, informational */
    uint64_t start_time; /* of pid, nx__plat_proc_start_time() */
    /* CLOCK_MONOTONIC of the last beat. In the shared tables: unused (the
     * beats are in nx_registry_shm_t.beat_ns); copies for readers get it
     * filled in from there. */
    _Atomic uint64_t heartbeat_ns;
    uint32_t max_queues;
    uint32_t queue_capacity;
    uint32_t message_size;
    uint32_t heartbeat_timeout_ms; /* its own hang timeout, for tools */
    char name[NX_NODE_NAME_MAX + 1];
    char segment[NX_SEG_NAME_MAX];       /* node segment name */
    char large_segment[NX_SEG_NAME_MAX]; /* "" if none yet */
    _Atomic uint32_t large_gen;          /* bumped when large_segment changes */
    uint32_t heartbeat_ms;               /* its beat period */
    uint32_t reserved1[2];
} nx_reg_node_t;

NX_STATIC_ASSERT(sizeof(nx_reg_node_t) == 384, "registry node entry layout");

typedef struct nx_reg_topic {
    uint32_t used;              /* 0 free, 1 used */
    uint32_t incarnation;       /* bumped every time the slot is (re)used */
    uint64_t fingerprint;       /* 0: untyped so far; a service: its request type's */
    uint64_t reply_fingerprint; /* a service (group NX_SVC_GROUP): its reply type's */
    uint32_t type_size;         /* size of the type if typed */
    uint32_t reserved0;
    char group[NX_TOPIC_NAME_MAX + 1];
    char name[NX_TOPIC_NAME_MAX + 1];
    char type_name[NX_TYPE_NAME_MAX + 1];
    uint64_t pubs[NX_REG_BITMAP_WORDS]; /* node slots publishing */
    uint64_t subs[NX_REG_BITMAP_WORDS]; /* node slots subscribed */
    /* The on_full policy of each publishing node slot (valid where its
     * pubs bit is set): NX_REG_POLICY_BLOCK for block, the block time in
     * the low bits. Written by the publisher, read by tools. */
    uint32_t pub_policy[NX_REG_MAX_NODES];
} nx_reg_topic_t;

NX_STATIC_ASSERT(sizeof(nx_reg_topic_t) == 960, "registry topic entry layout");

/* Services live in the topic table under this group (not a valid group
 * name for topics, so they never meet): the server is the one subscriber,
 * type_name is "Request -> Reply". */
#define NX_SVC_GROUP NX_SERVICE_GROUP

/* nx_reg_topic_t.pub_policy: bit 31 on_full = block, bits 0..30 block_ms. */
#define NX_REG_POLICY_BLOCK   (UINT32_C(1) << 31)
#define NX_REG_POLICY_MS_MASK (NX_REG_POLICY_BLOCK - 1u)

/* How many copies of the tables the registry holds: the current one and
 * staging copies for writers (a writer that stops keeps its copy claimed;
 * see "Registry updates" in docs/shm-format.md). */
#define NX_REG_TABLES      4u
#define NX_REG_TOPIC_WORDS (NX_REG_MAX_TOPICS / 64u)

/* One version of the registry's tables. Writers never change the current
 * version: they copy it into a staging buffer, change the copy and publish
 * it with one compare-and-swap of nx_reg_header_t.current. */
typedef struct nx_reg_tables {
    uint32_t closed; /* set by the last node before it unlinks the registry */
    uint32_t reserved0;
    /* Which topic entries are in use: only these are copied and read; the
     * entries of unused topics hold nothing meaningful. */
    uint64_t topic_used[NX_REG_TOPIC_WORDS];
    /* Incarnation of each topic slot, kept while the slot is unused so a
     * reused slot gets a new one. */
    uint32_t topic_inc[NX_REG_MAX_TOPICS];
    alignas(NX_CACHELINE) nx_reg_node_t nodes[NX_REG_MAX_NODES];
    nx_reg_topic_t topics[NX_REG_MAX_TOPICS];
} nx_reg_tables_t;

/* nx_reg_header_t.current: the sequence number of the current version
 * (the registry's generation) and the buffer that holds it. */
#define NX_REG_CUR_BUF_BITS  8u
#define NX_REG_CUR(seq, buf) (((uint64_t)(seq) << NX_REG_CUR_BUF_BITS) | (uint64_t)(buf))
#define NX_REG_CUR_SEQ(cur)  ((cur) >> NX_REG_CUR_BUF_BITS)
#define NX_REG_CUR_BUF(cur)  ((uint32_t)((cur) & ((1u << NX_REG_CUR_BUF_BITS) - 1u)))

/* A writer's token, in the lease and in the claims: its pid, 8 random
 * bits and the CLOCK_MONOTONIC millisecond (low 24 bits) it took the word;
 * 0 is nobody. */
#define NX_REG_TOKEN(pid, rnd, ms)                                                         \
    (((uint64_t)(uint32_t)(pid) << 32) | ((uint64_t)((rnd)&0xffu) << 24) |                 \
     ((uint64_t)(ms)&0xffffffu))
#define NX_REG_TOKEN_PID(t) ((uint32_t)((t) >> 32))
#define NX_REG_TOKEN_MS(t)  ((uint32_t)((t)&0xffffffu))

typedef struct nx_reg_header {
    uint64_t magic;   /* NX_REG_MAGIC, stored last at creation */
    uint32_t version; /* NX_LAYOUT_VERSION */
    uint32_t abi;     /* NX_ABI_WORD */
    uint64_t size;    /* bytes of the whole object */
    uint32_t max_nodes;
    uint32_t max_topics;
    uint32_t tables; /* NX_REG_TABLES */
    uint32_t creator_pid;
    uint64_t creator_start;
    /* NX_REG_CUR(generation, buffer of the current tables). */
    alignas(NX_CACHELINE) _Atomic uint64_t current;
    /* The writers' lease: who may prepare the next version. Taken over when
     * its holder is dead or has held it longer than NX_REG_LEASE_MS. */
    alignas(NX_CACHELINE) _Atomic uint64_t lease;
    _Atomic uint32_t takeovers; /* leases taken from a dead or stopped holder */
    uint32_t reserved1;
    /* Who prepares a version in each buffer (0: free). A claim is given up
     * by its writer, or taken back when the writer's process is gone. */
    _Atomic uint64_t claim[NX_REG_TABLES];
} nx_reg_header_t;

/* The lease's longest legitimate hold: a writer that holds it longer is
 * stopped (or its token is garbage) and the next writer takes it over. */
#define NX_REG_LEASE_MS 200u

typedef struct nx_registry_shm {
    nx_reg_header_t hdr;
    /* Heartbeats, outside the versioned tables: one atomic store a beat. */
    alignas(NX_CACHELINE) _Atomic uint64_t beat_ns[NX_REG_MAX_NODES];
    alignas(NX_CACHELINE) nx_reg_tables_t tables[NX_REG_TABLES];
} nx_registry_shm_t;

/* ---- node segment --------------------------------------------------- */

/* Geometry limits of a node segment: what the configuration accepts
 * (config.c) and what a peer's header must respect (segment.c). */
#define NX_SEG_MAX_QUEUES    1024u /* inbound queues per node */
#define NX_SEG_MIN_CAPACITY  2u    /* slots per queue, power of two */
#define NX_SEG_MAX_CAPACITY  65536u
#define NX_SEG_MIN_MESSAGE   128u /* slot bytes: 64-byte header + 64 */
#define NX_SEG_MAX_MESSAGE   (1u << 20)
#define NX_SEG_MESSAGE_ALIGN 64u /* slot bytes are a multiple of this */

/* States of a node segment (nx_seg_header_t.state). */
enum {
    NX_SEG_RUNNING = 1, /* its owner uses it */
    NX_SEG_CLOSING = 2, /* its owner left; the name is unlinked */
};

/* Queue flags. A queue is owned by one sending node. */
enum {
    NX_Q_CLAIMING = 1u << 0, /* a sender is setting it up */
    NX_Q_VALID = 1u << 1,    /* owner fields are set; ring usable */
    NX_Q_CLOSED = 1u << 2,   /* the sender left: drain, then free */
};

typedef struct nx_queue_hdr {
    _Atomic uint32_t flags;     /* NX_Q_* */
    uint32_t owner_slot;        /* sender's registry node slot */
    uint32_t owner_incarnation; /* ... and its incarnation */
    uint32_t owner_pid;
    uint64_t owner_start;
    char owner_name[NX_NODE_NAME_MAX + 1];
    /* Producer side: written by the sender only. */
    alignas(NX_CACHELINE) _Atomic uint64_t head; /* next slot to write */
    _Atomic uint64_t sent;
    _Atomic uint64_t dropped;    /* queue full on a fail topic, or timed out */
    _Atomic uint32_t want_space; /* sender waits for room (block topics) */
    /* Consumer side: written by the receiver only. */
    alignas(NX_CACHELINE) _Atomic uint64_t tail; /* next slot to read */
    _Atomic uint64_t received;
    _Atomic uint64_t rejected; /* messages that failed validation */
    /* Most slots in use at once, measured by the receiver each time it
     * reads the write index (exact then; the sender's cached copy of the
     * read index is stale, so it cannot measure it cheaply). */
    _Atomic uint64_t high_water;
} nx_queue_hdr_t;

NX_STATIC_ASSERT(sizeof(nx_queue_hdr_t) == 4 * NX_CACHELINE, "queue header layout");

/* The doorbell: one per receiving node, rung by every sender. */
typedef struct nx_doorbell {
    _Atomic uint32_t sleeping; /* receiver announced it is about to sleep */
    _Atomic uint32_t rung;     /* a wake-up is outstanding (0->1 batching) */
    uint32_t mode;             /* nx_notify_mode_t of the receiver */
    uint32_t reserved;
    alignas(16) sem_t sem;             /* semaphore mode */
    alignas(16) pthread_mutex_t mutex; /* condvar mode: robust, process-shared */
    alignas(16) pthread_cond_t cond;   /* condvar mode: CLOCK_MONOTONIC */
} nx_doorbell_t;

typedef struct nx_seg_header {
    uint64_t magic; /* NX_SEG_MAGIC, stored last at creation */
    uint32_t version;
    uint32_t abi;
    uint64_t size; /* bytes of the whole segment */
    char libc[32]; /* C library id: condvar layouts depend on it */
    uint32_t pid;
    uint32_t reg_slot; /* owner's registry slot */
    uint64_t start_time;
    uint32_t incarnation; /* owner's registry incarnation */
    uint32_t max_queues;
    uint32_t queue_capacity; /* power of two */
    uint32_t message_size;   /* slot bytes, header included */
    uint64_t queues_offset;  /* nx_queue_hdr_t[max_queues] */
    uint64_t
        slots_offset; /* slots of queue q at slots_offset + q * capacity * message_size */
    char name[NX_NODE_NAME_MAX + 1];
    _Atomic uint32_t ref_count; /* processes that map it (owner included) */
    _Atomic uint32_t state;     /* NX_SEG_RUNNING, NX_SEG_CLOSING */
    _Atomic uint64_t heartbeat_ns;
    _Atomic uint32_t queues_gen; /* bumped when a queue is claimed or freed */
    alignas(NX_CACHELINE) nx_doorbell_t bell;
} nx_seg_header_t;

/* The header of every message in a slot: 64 bytes, payload follows. */
enum {
    NX_MSGK_DATA = 1,    /* payload inline */
    NX_MSGK_LARGE = 2,   /* payload is an nx_large_desc_t */
    NX_MSGK_REQUEST = 3, /* a service call: nx_svc_req_t + request; seq: call id */
    NX_MSGK_REPLY = 4,   /* its answer: nx_svc_rep_t + reply; seq: call id */
};

typedef struct nx_msg_hdr {
    uint32_t magic;      /* NX_MSG_MAGIC */
    uint32_t kind;       /* NX_MSGK_* */
    uint32_t size;       /* bytes that follow the header in the slot */
    uint32_t topic_slot; /* registry topic index */
    uint32_t topic_inc;  /* its incarnation */
    uint32_t flags;      /* NX_MSG_* as seen by the subscriber */
    uint64_t seq;
    uint64_t send_time_ns;
    uint64_t fingerprint; /* writer's type, 0 if raw */
    uint8_t reserved[16];
} nx_msg_hdr_t;

NX_STATIC_ASSERT(sizeof(nx_msg_hdr_t) == 64, "message header is 64 bytes");

/* In front of a request's bytes: the reply type the caller expects.
 * 16 bytes, so the request stays 16-byte aligned in the receiver's copy. */
typedef struct nx_svc_req {
    uint64_t reply_fingerprint;
    uint64_t reserved;
} nx_svc_req_t;

/* In front of a reply's bytes: the handler's result (an nx_err_t; the
 * reply follows only when it is NX_OK). */
typedef struct nx_svc_rep {
    int32_t status;
    uint32_t reserved0;
    uint64_t reserved1;
} nx_svc_rep_t;

NX_STATIC_ASSERT(sizeof(nx_svc_req_t) == 16 && sizeof(nx_svc_rep_t) == 16,
                 "service headers keep payloads 16-byte aligned");

/* ---- large-data ring (one per publishing node that needs it) ---------- */

#define NX_LARGE_MAGIC       UINT64_C(0x314752414c584e4e) /* "NNXLARG1" */
#define NX_CHUNK_MAGIC       0x4b4e4843u                  /* "CHNK" */
#define NX_CHUNK_PAD         0x44415050u                  /* "PPAD": skip to the start */
/* Bits 0..62 of a chunk's holders are readers; bit 63 is the writer's
 * own hold while it fills the chunk or lends it out as a loan. */
#define NX_LARGE_MAX_READERS 63u
#define NX_CHUNK_WRITER_BIT  (UINT64_C(1) << 63)

typedef struct nx_large_reader {
    _Atomic uint32_t state; /* 0 free, 1 in use (written by the writer) */
    uint32_t node_slot;     /* the reading node's registry identity */
    uint32_t node_inc;
    uint32_t pid;
    char name[NX_NODE_NAME_MAX + 1];
    _Atomic uint64_t delivered; /* descriptors sent to it (writer) */
    _Atomic uint64_t released;  /* chunks it gave back (reader) */
    _Atomic uint64_t stalls;    /* times the writer waited on a chunk it held */
    _Atomic uint64_t dropped;   /* chunks it did not get (queue full, unreachable) */
    uint8_t reserved[16];
} nx_large_reader_t;

NX_STATIC_ASSERT(sizeof(nx_large_reader_t) == 128, "large reader layout");

typedef struct nx_large_hdr {
    uint64_t magic; /* NX_LARGE_MAGIC, stored last */
    uint32_t version;
    uint32_t abi;
    uint64_t size;        /* bytes of the whole object */
    uint64_t data_offset; /* where the chunk area starts */
    uint64_t data_size;   /* bytes of the chunk area, multiple of 64 */
    uint32_t owner_pid;
    uint32_t owner_slot;
    uint32_t owner_inc;
    uint32_t reserved0;
    uint64_t owner_start;
    _Atomic uint64_t head;        /* next free position (writer's mirror) */
    _Atomic uint64_t tail;        /* oldest unreclaimed position (writer's mirror) */
    _Atomic uint64_t chunks;      /* chunks written */
    _Atomic uint64_t full_events; /* times the writer found no room */
    alignas(NX_CACHELINE) nx_large_reader_t readers[NX_LARGE_MAX_READERS];
} nx_large_hdr_t;

/* Every chunk starts with this; the payload follows. Positions grow
 * forever; a chunk lives at position % data_size, never across the end. */
typedef struct nx_chunk_hdr {
    uint32_t magic;           /* NX_CHUNK_MAGIC or NX_CHUNK_PAD */
    uint32_t flags;           /* NX_MSG_* for the subscriber */
    uint64_t pos;             /* its own position: a stale descriptor does not match */
    uint64_t seq;             /* the message's sequence number */
    uint64_t length;          /* payload bytes */
    uint64_t total;           /* bytes the chunk occupies, header included, x64 */
    uint64_t fingerprint;     /* writer's type, 0 if raw */
    _Atomic uint64_t holders; /* reader bits still holding it, + writer bit */
    uint64_t reserved;
} nx_chunk_hdr_t;

NX_STATIC_ASSERT(sizeof(nx_chunk_hdr_t) == 64, "chunk header is 64 bytes");

/* What travels through the normal ring for a large message. */
typedef struct nx_large_desc {
    uint64_t pos;
    uint64_t length;
    uint64_t seq;
    uint32_t owner_inc; /* the writer's incarnation */
    uint32_t reserved;
} nx_large_desc_t;

#endif /* NX_SHM_LAYOUT_H */
