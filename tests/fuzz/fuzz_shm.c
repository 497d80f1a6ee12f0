/*
 * fuzz_shm.c: everything the runtime reads from shared memory, fed with
 * arbitrary bytes. Another process may be buggy or hostile, so each
 * validator must refuse what it cannot use without crashing, and what it
 * accepts must be safe to use: every accepted index, offset and length is
 * checked here against the memory it points into.
 *
 * The first input byte picks the object, the rest are its bytes:
 *   0  segment header   nx__segment_check()
 *   1  ring indices     nx__ring_peek/release/heal_tail, nx__ring_reserve
 *   2  frame header     nx__frame_check()
 *   3  large data       nx__large_hdr_check(), nx__large_desc_check()
 *   4  registry         nx__registry_check() and the query functions
 *
 * Built with libFuzzer (-Dfuzz=true, docs/fuzzing.md) and, in every
 * build, as a replay program over its seeds (tests/fuzz/corpus/shm).
 */
#include "frame_impl.h"
#include "large_impl.h"
#include "registry_impl.h"
#include "ring_impl.h"
#include "segment_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop with a message: a crash libFuzzer records, in the replay build too. */
#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_shm: %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Input consumed front to back; reads past the end give zeros. */
typedef struct input {
    const uint8_t *p;
    size_t n;
} input_t;

static void take(input_t *in, void *dst, size_t len)
{
    size_t k = len < in->n ? len : in->n;
    memcpy(dst, in->p, k);
    memset((uint8_t *)dst + k, 0, len - k);
    in->p += k;
    in->n -= k;
}

static uint64_t take_u64(input_t *in)
{
    uint64_t v;
    take(in, &v, sizeof v);
    return v;
}

static uint32_t take_u32(input_t *in)
{
    uint32_t v;
    take(in, &v, sizeof v);
    return v;
}

/* ---- 0: node segment header ------------------------------------------------ */

static void fuzz_segment(input_t *in)
{
    /* The header as another process wrote it, in a mapping of some size. */
    size_t size = (size_t)(take_u32(in) % (1u << 24));
    nx_seg_header_t *h = aligned_alloc(_Alignof(nx_seg_header_t), sizeof *h);
    if (!h)
        return;
    take(in, h, sizeof *h);
    nx_reg_node_t entry;
    memset(&entry, 0, sizeof entry);
    entry.pid = h->pid;
    entry.incarnation = h->incarnation;
    char why[256];
    if (nx__segment_check(h, size, &entry, why, sizeof why) == NX_OK) {
        /* Accepted: every queue header and every slot lies in the mapping. */
        uint64_t q = h->max_queues, cap = h->queue_capacity, ms = h->message_size;
        FUZZ_CHECK(q >= 1 && cap >= 2 && (cap & (cap - 1)) == 0 &&
                   ms >= sizeof(nx_msg_hdr_t));
        FUZZ_CHECK(h->queues_offset >= sizeof *h);
        FUZZ_CHECK(h->queues_offset <= size &&
                   q * sizeof(nx_queue_hdr_t) <= size - h->queues_offset);
        FUZZ_CHECK(h->slots_offset <= size);
        FUZZ_CHECK(cap <= UINT64_MAX / ms && q <= UINT64_MAX / (cap * ms));
        FUZZ_CHECK(q * cap * ms <= size - h->slots_offset);
    }
    /* Without a registry entry to compare against (the tool's view). */
    (void)nx__segment_check(h, size, NULL, why, sizeof why);
    free(h);
}

/* ---- 1: ring indices ---------------------------------------------------------- */

static void fuzz_ring(input_t *in)
{
    uint32_t cap = 2u << (take_u32(in) % 8); /* 2..256 */
    uint32_t ms = 128;
    nx_queue_hdr_t *q = aligned_alloc(_Alignof(nx_queue_hdr_t), sizeof *q);
    uint8_t *slots = calloc(cap, ms);
    if (!q || !slots) {
        free(q);
        free(slots);
        return;
    }
    memset(q, 0, sizeof *q);
    atomic_store(&q->head, take_u64(in));
    atomic_store(&q->tail, take_u64(in));

    /* The receiver: whatever the indices say, it reads inside the ring. */
    nx_ring_cons_t c;
    nx__ring_cons_init(&c, q, slots, cap, ms);
    uint32_t rounds = take_u32(in) % (2 * cap + 2);
    for (uint32_t i = 0; i < rounds; i++) {
        nx__ring_heal_tail(&c);
        bool corrupt = false;
        const uint8_t *s = nx__ring_peek(&c, &corrupt);
        if (!s)
            break;
        FUZZ_CHECK(s >= slots && s + ms <= slots + (size_t)cap * ms);
        FUZZ_CHECK(!corrupt);
        nx__ring_release(&c);
        /* The sender may move head at any time. */
        if (take_u32(in) % 4 == 0)
            atomic_store(&q->head, take_u64(in));
    }
    (void)nx__ring_pending(&c);

    /* The sender: a hostile tail never makes it write outside the ring. */
    atomic_store(&q->head, take_u64(in));
    atomic_store(&q->tail, take_u64(in));
    nx_ring_prod_t p;
    nx__ring_prod_init(&p, q, slots, cap, ms);
    for (uint32_t i = 0; i < 4; i++) {
        void *s = NULL;
        if (nx__ring_reserve(&p, &s) != NX_OK)
            break;
        FUZZ_CHECK((uint8_t *)s >= slots && (uint8_t *)s + ms <= slots + (size_t)cap * ms);
        nx__ring_commit(&p);
        atomic_store(&q->tail, take_u64(in));
    }
    free(q);
    free(slots);
}

/* ---- 2: frame header ------------------------------------------------------------ */

static void fuzz_frame(input_t *in)
{
    size_t max = take_u32(in) % (1u << 20);
    nx_msg_hdr_t h;
    take(in, &h, sizeof h);
    if (nx__frame_check(&h, max)) {
        FUZZ_CHECK(h.size <= max);
        FUZZ_CHECK(h.magic == NX_MSG_MAGIC);
        FUZZ_CHECK(h.kind == NX_MSGK_DATA || h.kind == NX_MSGK_LARGE ||
                   h.kind == NX_MSGK_REQUEST || h.kind == NX_MSGK_REPLY);
    }
}

/* ---- 3: large-data ring header and descriptor ---------------------------------- */

static void fuzz_large(input_t *in)
{
    /* A ring of 64 KiB of chunks behind its header. */
    const size_t data_size = 64u * 1024u;
    const size_t size = sizeof(nx_large_hdr_t) + data_size;
    uint8_t *mem = aligned_alloc(NX_CACHELINE, size);
    if (!mem)
        return;
    memset(mem, 0, size);
    nx_large_hdr_t *h = (nx_large_hdr_t *)mem;
    take(in, h, offsetof(nx_large_hdr_t, head)); /* the fields a reader validates */
    size_t claimed = (size_t)take_u64(in);
    uint32_t pid = take_u32(in), inc = take_u32(in);
    if (nx__large_hdr_check(h, claimed, pid, inc)) {
        FUZZ_CHECK(h->size == claimed && h->data_offset >= sizeof *h);
        FUZZ_CHECK(h->data_offset <= claimed && h->data_size <= claimed - h->data_offset);
    }

    /* A valid ring whose chunk area and descriptor are hostile. */
    uint8_t *area = mem + sizeof(nx_large_hdr_t);
    take(in, area, 4096); /* the first chunks, as the writer left them */
    nx_large_map_t m;
    memset(&m, 0, sizeof m);
    m.hdr = h;
    m.size = size;
    m.data = area;
    m.data_size = data_size;
    m.owner_inc = take_u32(in);
    nx_large_desc_t d;
    take(in, &d, sizeof d);
    int bit = (int)(take_u32(in) % 70) - 2; /* also out of range */
    nx_chunk_hdr_t *c = NULL;
    if (nx__large_desc_check(&m, &d, bit, &c) == NULL) {
        FUZZ_CHECK(c != NULL);
        uint8_t *cb = (uint8_t *)c;
        FUZZ_CHECK(cb >= area && cb + sizeof *c <= area + data_size);
        FUZZ_CHECK(c->length <= data_size &&
                   (size_t)(cb - area) + sizeof *c + c->length <= data_size);
        /* The payload, read in place the way a callback would. */
        volatile uint8_t sum = 0;
        const uint8_t *payload = (const uint8_t *)(c + 1);
        for (uint64_t i = 0; i < c->length; i += 512)
            sum = (uint8_t)(sum + payload[i]);
        (void)sum;
    }
    free(mem);
}

/* ---- 4: registry ------------------------------------------------------------------ */

/* A terminated, valid-looking name taken from the input. */
static void take_name(input_t *in, char *dst, size_t size)
{
    take(in, dst, size - 1);
    dst[size - 1] = '\0';
}

static void fuzz_registry(input_t *in)
{
    const size_t size = sizeof(nx_registry_shm_t);
    static nx_registry_shm_t *s;
    if (!s && !(s = aligned_alloc(_Alignof(nx_registry_shm_t), size)))
        return;
    /* The header as found, checked as found, with a claimed size. */
    memset(&s->hdr, 0, sizeof s->hdr);
    take(in, &s->hdr, offsetof(nx_reg_header_t, current));
    size_t claimed = take_u32(in) % (2 * size);
    (void)nx__registry_check(s, claimed);

    /* Then a registry that passes, with a hostile current version: the
     * input picks the buffer (sometimes none that exists) and fills the
     * topic bitmap and the first node and topic entries (names
     * unterminated, states and bitmaps arbitrary). */
    memset(&s->hdr, 0, sizeof s->hdr);
    s->hdr.magic = NX_REG_MAGIC;
    s->hdr.version = NX_LAYOUT_VERSION;
    s->hdr.abi = NX_ABI_WORD;
    s->hdr.size = size;
    s->hdr.max_nodes = NX_REG_MAX_NODES;
    s->hdr.max_topics = NX_REG_MAX_TOPICS;
    s->hdr.tables = NX_REG_TABLES;
    FUZZ_CHECK(nx__registry_check(s, size) == NX_OK);
    uint32_t buf = take_u32(in) % (NX_REG_TABLES + 2);
    atomic_store(&s->hdr.current, NX_REG_CUR(take_u32(in), buf));
    nx_reg_tables_t *t = &s->tables[buf % NX_REG_TABLES];
    memset(t, 0, sizeof *t);
    take(in, t->topic_used, sizeof t->topic_used);
    uint32_t nn = take_u32(in) % 8, nt = take_u32(in) % 8;
    take(in, t->nodes, nn * sizeof(nx_reg_node_t));
    take(in, t->topics, nt * sizeof(nx_reg_topic_t));

    nx_registry_t r;
    memset(&r, 0, sizeof r);
    r.shm = s;
    r.size = size;
    r.fd = -1;

    static uint32_t slots[NX_REG_MAX_NODES];
    static nx_reg_node_t entries[NX_REG_MAX_NODES];
    uint32_t count = 0;
    uint64_t gen = 0;
    uint32_t tslot = take_u32(in) % (NX_REG_MAX_TOPICS + 4), tinc = take_u32(in);
    if (nx__registry_subscribers(&r, tslot, tinc, slots, entries, &count, &gen) == NX_OK) {
        FUZZ_CHECK(count <= NX_REG_MAX_NODES);
        for (uint32_t i = 0; i < count; i++)
            FUZZ_CHECK(slots[i] < NX_REG_MAX_NODES && entries[i].state == NX_NODE_ALIVE);
    }
    char group[NX_TOPIC_NAME_MAX + 1], topic[NX_TOPIC_NAME_MAX + 1],
        name[NX_NODE_NAME_MAX + 1];
    take_name(in, group, sizeof group);
    take_name(in, topic, sizeof topic);
    take_name(in, name, sizeof name);
    size_t n = 0;
    if (nx__registry_subscriber_count(&r, group, topic, &n) == NX_OK)
        FUZZ_CHECK(n <= NX_REG_MAX_NODES);
    uint32_t pid = 0;
    (void)nx__registry_node_pid(&r, name, &pid);
    nx_reg_node_t copy;
    uint32_t slot = take_u32(in) % (NX_REG_MAX_NODES + 4);
    if (nx__registry_node_copy(&r, slot, take_u32(in), &copy) == NX_OK) {
        FUZZ_CHECK(memchr(copy.name, '\0', sizeof copy.name) != NULL);
        FUZZ_CHECK(memchr(copy.segment, '\0', sizeof copy.segment) != NULL);
        FUZZ_CHECK(memchr(copy.large_segment, '\0', sizeof copy.large_segment) != NULL);
    }
    static bool alive[NX_REG_MAX_NODES];
    static uint32_t incs[NX_REG_MAX_NODES];
    (void)nx__registry_alive(&r, alive, incs);
    (void)nx__registry_node_current(&r, slot, take_u32(in), take_u32(in));

    /* A writer's copy of the hostile version is self-consistent. */
    nx_reg_txn_t tx;
    if (nx__registry_begin(&r, false, &tx) == NX_OK) {
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
            const nx_reg_node_t *e = &tx.t->nodes[i];
            FUZZ_CHECK(e->state <= NX_NODE_DEAD);
            FUZZ_CHECK(e->name[sizeof e->name - 1] == '\0');
        }
        for (uint32_t ts = 0; ts < NX_REG_MAX_TOPICS; ts++) {
            if (!((tx.t->topic_used[ts / 64] >> (ts % 64)) & 1u))
                continue;
            const nx_reg_topic_t *tp = &tx.t->topics[ts];
            bool any = false;
            for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
                bool p = (tp->pubs[i / 64] >> (i % 64)) & 1u,
                     q = (tp->subs[i / 64] >> (i % 64)) & 1u;
                FUZZ_CHECK(!(p || q) || tx.t->nodes[i].state == NX_NODE_ALIVE);
                any |= p || q;
            }
            FUZZ_CHECK(any);
            FUZZ_CHECK(tp->name[sizeof tp->name - 1] == '\0');
        }
        nx__registry_abort(&tx);
    } else {
        FUZZ_CHECK(buf >= NX_REG_TABLES);
    }
    FUZZ_CHECK(atomic_load(&s->hdr.lease) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    input_t in = {data + 1, size - 1};
    switch (data[0] % 5) {
    case 0:
        fuzz_segment(&in);
        break;
    case 1:
        fuzz_ring(&in);
        break;
    case 2:
        fuzz_frame(&in);
        break;
    case 3:
        fuzz_large(&in);
        break;
    default:
        fuzz_registry(&in);
        break;
    }
    return 0;
}
