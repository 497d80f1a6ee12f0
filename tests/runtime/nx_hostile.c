/*
 * nx_hostile.c: build a hostile domain in shared memory, for the tests of
 * the inspection API and of the `nexus` tool (which use public headers
 * only and so cannot write the layout themselves).
 *
 * Usage: nx_hostile DOMAIN
 *
 * Creates /nexus.DOMAIN.registry full of random bytes behind a valid
 * header (impossible states, unterminated and non-ASCII names, segment
 * names that point elsewhere) and node segments that must be refused:
 * random bytes, too short, impossible geometry, offsets out of range,
 * offsets whose bounds wrap around 2^64, queues with corrupt indices and
 * escape characters in names, and an owner that does not match its entry.
 * Exits 0 when everything was written. The caller removes the objects.
 */
#include "shm_layout.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *domain;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static void fill_random(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        b[i] = (uint8_t)rng;
    }
}

/* Create /nexus.<domain>.<suffix> of size bytes and map it. */
static void *make_object(const char *suffix, size_t size)
{
    char name[160];
    snprintf(name, sizeof name, "/nexus.%s.%s", domain, suffix);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        perror(name);
        exit(1);
    }
    void *p = size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : NULL;
    close(fd);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static void set_field(char *dst, size_t size, const char *rest)
{
    memset(dst, 0, size);
    snprintf(dst, size, "/nexus.%s.%s", domain, rest);
}

/* A node segment header that passes validation, but for what the caller breaks. */
static nx_seg_header_t *make_segment(const char *name, uint32_t pid, uint32_t inc,
                                     uint32_t queues, uint64_t qoff, uint64_t soff)
{
    char suffix[96];
    snprintf(suffix, sizeof suffix, "n.%s", name);
    size_t size = 16384; /* room for 4 queues of 2 slots of 128 bytes after 8192 */
    nx_seg_header_t *h = make_object(suffix, size);
    h->magic = NX_SEG_MAGIC;
    h->version = NX_LAYOUT_VERSION;
    h->abi = NX_ABI_WORD;
    h->size = size;
    h->pid = pid;
    h->incarnation = inc;
    h->max_queues = queues;
    h->queue_capacity = 2;
    h->message_size = 128;
    h->queues_offset = qoff;
    h->slots_offset = soff;
    return h;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DOMAIN\n", argv[0]);
        return 2;
    }
    domain = argv[1];
    nx_registry_shm_t *reg = make_object("registry", sizeof *reg);
    fill_random(reg, sizeof *reg);
    memset(&reg->hdr, 0, sizeof reg->hdr);
    reg->hdr.version = NX_LAYOUT_VERSION;
    reg->hdr.abi = NX_ABI_WORD;
    reg->hdr.size = sizeof *reg;
    reg->hdr.max_nodes = NX_REG_MAX_NODES;
    reg->hdr.max_topics = NX_REG_MAX_TOPICS;
    reg->hdr.tables = NX_REG_TABLES;
    /* The current version in buffer 2; every table stays random garbage. */
    nx_reg_tables_t *tb = &reg->tables[2];
    atomic_store(&reg->hdr.current, NX_REG_CUR(5, 2));
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &tb->nodes[i];
        n->state = i % 4; /* free, alive, dead and an impossible 3 */
        n->pid = i % 8 == 1 ? 0x7fffff00u + i : n->pid; /* some pids that cannot exist */
        memset(n->name, 0xff, sizeof n->name);          /* unterminated, not ASCII */
    }
    /* Segment names that must not be followed, and segments that must be refused. */
    set_field(tb->nodes[1].segment, sizeof tb->nodes[1].segment,
              "n.evil/../../../etc/passwd");
    set_field(tb->nodes[5].segment, sizeof tb->nodes[5].segment, "registry");
    memset(tb->nodes[9].segment, 'A', sizeof tb->nodes[9].segment); /* unterminated */
    const char *bad[] = {"garbage.1.0", "short.1.0",    "geometry.1.0", "offsets.1.0",
                         "queues.1.0",  "mismatch.1.0", "wrap.1.0"};
    for (uint32_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        nx_reg_node_t *n = &tb->nodes[13 + 4 * k]; /* state 1: alive */
        char rest[64];
        snprintf(rest, sizeof rest, "n.%s", bad[k]);
        set_field(n->segment, sizeof n->segment, rest);
        memset(n->name, 0, sizeof n->name);
        snprintf(n->name, sizeof n->name, "hostile-%s", bad[k]);
        n->pid = 0x7ffffff0u;
        n->incarnation = 7;
    }
    uint8_t *g = make_object("n.garbage.1.0", 8192);
    fill_random(g, 8192);
    make_object("n.short.1.0", 10);
    make_segment("geometry.1.0", 0x7ffffff0u, 7, 5000, 4096, 8192);
    make_segment("offsets.1.0", 0x7ffffff0u, 7, 4, 4096, UINT64_C(1) << 40);
    nx_seg_header_t *q = make_segment("queues.1.0", 0x7ffffff0u, 7, 4, 4096, 8192);
    nx_queue_hdr_t *qs = (nx_queue_hdr_t *)((uint8_t *)q + 4096);
    for (uint32_t k = 0; k < 4; k++) {
        fill_random(&qs[k], sizeof qs[k]);
        atomic_store(&qs[k].flags, NX_Q_VALID | (k ? NX_Q_CLOSED : 0));
        memset(qs[k].owner_name, k ? 0x1b : 0xfe, sizeof qs[k].owner_name); /* ESC */
        atomic_store(&qs[k].head, k == 2 ? 1 : UINT64_C(5));
        atomic_store(&qs[k].tail, k == 2 ? UINT64_C(9) : 4);
    }
    make_segment("mismatch.1.0", 1, 8, 4, 4096, 8192);
    /* slots_offset + 4 queues x 2 slots x 128 bytes wraps around 2^64 to
     * 512, "inside" the object: only overflow-safe arithmetic refuses it. */
    make_segment("wrap.1.0", 0x7ffffff0u, 7, 4, 4096, UINT64_C(0) - 512);
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        nx_reg_topic_t *tp = &tb->topics[t];
        tp->used = t % 3 == 0 ? 1 : t % 3 == 1 ? 0 : 77;
        if (t % 2)
            memset(tp->name, 0x07, sizeof tp->name); /* BEL, unterminated */
    }
    /* The magic last, as the runtime does. */
    atomic_store((_Atomic uint64_t *)&reg->hdr.magic, NX_REG_MAGIC);
    munmap(reg, sizeof *reg);
    return 0;
}
