/*
 * nx_fault: fault injection for test_faults, using the runtime's internal
 * layout (it links the static library and its private headers).
 *
 *   nx_fault lock-registry              lock the registry, print LOCKED, wait
 *                                       (to be SIGKILLed while holding it)
 *   nx_fault lock-bell NODE             lock NODE's doorbell mutex, same
 *   nx_fault corrupt NODE SEED ROUNDS   flip random bytes of NODE's segment
 *                                       (queues, slots, header fields) and of
 *                                       the registry tables, ROUNDS times
 *   nx_fault large-holders NODE MS      for MS milliseconds, set the holder
 *                                       bit of reader slot 40 (assigned to
 *                                       nobody) in every chunk of NODE's
 *                                       large-data ring; prints "SET n=N"
 *   nx_fault forge-entry NODE           add a registry entry "forged" whose
 *                                       process is dead but whose segment
 *                                       name is NODE's (live) segment;
 *                                       prints "FORGED slot=S"
 *   nx_fault hostile NODE TOPIC         join as node "hostile", claim a queue
 *                                       in NODE's segment and write crafted
 *                                       messages, each with one defect, then
 *                                       one good one; prints "SENT bad=N good=1"
 *
 * The domain is NEXUS_DOMAIN. Locks and bytes that the kernel or the C
 * library own (mutexes, condvars, semaphores) are never flipped: a
 * corrupted futex word can block a process forever, which no user-space
 * check can prevent; everything Nexus itself reads is fair game.
 */
#include "large_impl.h"
#include "node_impl.h"
#include "notify_impl.h"
#include "registry_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PEER_MAGIC 0x50454552u

static const char *domain(void)
{
    const char *d = getenv("NEXUS_DOMAIN");
    return d && d[0] ? d : "default";
}

static nx_registry_t *open_registry(void)
{
    nx_registry_t *r;
    nx_err_t err = nx__registry_open(domain(), 0600, &r);
    if (err != NX_OK) {
        fprintf(stderr, "nx_fault: registry: %s\n", nx_err_name(err));
        exit(1);
    }
    return r;
}

/* The current version of the registry's tables (read in place: this is
 * a test tool, and the tests give it a quiet registry). */
static nx_reg_tables_t *cur_tables(nx_registry_t *r)
{
    uint64_t c = atomic_load(&r->shm->hdr.current);
    if (NX_REG_CUR_BUF(c) >= NX_REG_TABLES) {
        fprintf(stderr, "nx_fault: registry current word is garbage\n");
        exit(1);
    }
    return &r->shm->tables[NX_REG_CUR_BUF(c)];
}

/* Map the segment of the live node `name`. */
static nx_seg_header_t *map_node(nx_registry_t *r, const char *name, size_t *size)
{
    char seg[NX_SEG_NAME_MAX + 1] = "";
    nx_reg_tables_t *t = cur_tables(r);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &t->nodes[i];
        if (n->state == NX_NODE_ALIVE && strcmp(n->name, name) == 0)
            memcpy(seg, n->segment, NX_SEG_NAME_MAX);
    }
    int fd;
    void *p;
    if (!seg[0] || nx__plat_shm_open(seg, &fd, size) != NX_OK ||
        nx__plat_shm_map(fd, *size, &p) != NX_OK) {
        fprintf(stderr, "nx_fault: no segment for node %s\n", name);
        exit(1);
    }
    close(fd);
    return p;
}

/* Start a registry change and never finish it: the lease and a staging
 * buffer stay ours until we are killed (or stopped, then resumed). */
static int lock_registry(void)
{
    nx_registry_t *r = open_registry();
    nx_reg_txn_t tx;
    if (nx__registry_begin(r, true, &tx) != NX_OK)
        return 1;
    printf("LOCKED\n");
    fflush(stdout);
    for (;;)
        pause(); /* until the test kills us */
    return 0;
}

/* Write 4 bytes of garbage into the registry's lease word (half `half`),
 * as a stray write would. */
static int garbage_lease(int half)
{
    nx_registry_t *r = open_registry();
    uint32_t junk = 0xdeadbeefu;
    memcpy((uint8_t *)&r->shm->hdr.lease + (half ? 4 : 0), &junk, sizeof junk);
    printf("DONE lease=0x%016llx\n", (unsigned long long)atomic_load(&r->shm->hdr.lease));
    nx__registry_close(r, false);
    return 0;
}

static int lock_bell(const char *node)
{
    nx_registry_t *r = open_registry();
    size_t size;
    nx_seg_header_t *h = map_node(r, node, &size);
    nx__plat_mutex_lock_robust(&h->bell.mutex, NULL);
    printf("LOCKED\n");
    fflush(stdout);
    for (;;)
        pause(); /* until the test kills us */
    return 0;
}

/* xorshift64*: the corruption is reproducible from its seed. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

/* Flip one random byte in [base + lo, base + hi), avoiding [skip_lo, skip_hi). */
static void flip(uint8_t *base, size_t lo, size_t hi, size_t skip_lo, size_t skip_hi)
{
    if (hi <= lo)
        return;
    size_t off = lo + (size_t)(rnd() % (hi - lo));
    if (off >= skip_lo && off < skip_hi)
        return;
    base[off] ^= (uint8_t)(1u << (rnd() % 8));
    if (rnd() % 4 == 0)
        base[off] = (uint8_t)rnd(); /* sometimes a whole new value */
}

static int corrupt(const char *node, uint64_t seed, long rounds)
{
    nx_registry_t *r = open_registry();
    size_t size;
    nx_seg_header_t *h = map_node(r, node, &size);
    uint8_t *seg = (uint8_t *)h;
    uint8_t *reg = (uint8_t *)r->shm;
    size_t bell_lo = offsetof(nx_seg_header_t, bell), bell_hi = bell_lo + sizeof h->bell;
    size_t qoff = h->queues_offset, soff = h->slots_offset;
    size_t qend = qoff + (size_t)h->max_queues * sizeof(nx_queue_hdr_t);
    size_t send = soff + (size_t)h->max_queues * h->queue_capacity * h->message_size;
    if (qend > size || send > size) {
        fprintf(stderr, "nx_fault: odd segment\n");
        munmap(h, size);
        nx__registry_close(r, false);
        return 1;
    }
    size_t tables =
        offsetof(nx_registry_shm_t, tables) +
        NX_REG_CUR_BUF(atomic_load(&r->shm->hdr.current)) * sizeof(nx_reg_tables_t);
    rng_state = seed ? seed : 1;
    for (long i = 0; i < rounds; i++) {
        switch (rnd() % 8) {
        case 0:
        case 1: /* queue headers: flags, owners, indices, counters */
            flip(seg, qoff, qend, 0, 0);
            break;
        case 2:
        case 3:
        case 4: /* message headers and payloads in the slots */
            flip(seg, soff, send, 0, 0);
            break;
        case 5: /* the segment header, but not the doorbell's objects */
            flip(seg, 0, sizeof *h, bell_lo, bell_hi);
            break;
        default: /* registry node and topic tables */
            flip(reg, tables, tables + sizeof(nx_reg_tables_t), 0, 0);
            break;
        }
        if (i % 4 == 0)
            usleep(200); /* spread over about a second of live traffic */
    }
    printf("DONE rounds=%ld\n", rounds);
    munmap(h, size);
    nx__registry_close(r, false);
    return 0;
}

/* ---- hostile: crafted messages, one defect each ----------------------- */

static nx_queue_hdr_t *hq;
static uint8_t *hslots;
static uint32_t hcap, hmsz;
static uint64_t hhead;

static nx_msg_hdr_t *next_slot(void)
{
    nx_msg_hdr_t *m = (nx_msg_hdr_t *)(hslots + (hhead % hcap) * hmsz);
    memset(m, 0, hmsz);
    return m;
}

static void commit(nx_doorbell_t *bell)
{
    hhead++;
    atomic_store_explicit(&hq->head, hhead, memory_order_release);
    nx__bell_force(bell);
    /* One at a time, so the ring never fills. */
    while (atomic_load_explicit(&hq->tail, memory_order_acquire) != hhead)
        usleep(1000);
}

static int hostile(const char *victim, const char *topic)
{
    nx_config_t c;
    nx_config_default(&c);
    c.large_data.ring_size = 1u << 20;
    nx_node_t *me;
    if (nx_node_create("hostile", &c, &me) != NX_OK)
        return 1;
    /* Make our large ring exist (a loan creates it). */
    static nx_type_desc_t t = {
        .name = "x.Dummy", .size = 4096, .align = 8, .fingerprint = 9};
    static nx_topic_desc_t td = {.name = "dummy", .type = &t};
    void *loan;
    if (nx_loan_take(me, &td, &loan) != NX_OK)
        return 1;
    nx_loan_release(me, loan);

    nx_registry_t *r = me->reg;
    size_t size;
    nx_seg_header_t *h = map_node(r, victim, &size);
    /* The victim's subscription (topic slot and incarnation) and identity. */
    uint32_t tslot = UINT32_MAX, tinc = 0, vslot = UINT32_MAX, vinc = 0;
    nx_reg_tables_t *rt = cur_tables(r);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        if (rt->nodes[i].state == NX_NODE_ALIVE && !strcmp(rt->nodes[i].name, victim))
            vslot = i, vinc = rt->nodes[i].incarnation;
    for (uint32_t i = 0; i < NX_REG_MAX_TOPICS; i++) {
        nx_reg_topic_t *tp = &rt->topics[i];
        if (((rt->topic_used[i / 64] >> (i % 64)) & 1u) && strcmp(tp->group, "g") == 0 &&
            strcmp(tp->name, topic) == 0) {
            tslot = i;
            tinc = tp->incarnation;
        }
    }
    if (tslot == UINT32_MAX)
        return 1;
    /* Claim a queue by hand, as a sender would. */
    nx_queue_hdr_t *qs = (nx_queue_hdr_t *)((uint8_t *)h + h->queues_offset);
    uint32_t qi = UINT32_MAX;
    for (uint32_t i = 0; i < h->max_queues && qi == UINT32_MAX; i++) {
        uint32_t expect = 0;
        if (atomic_compare_exchange_strong(&qs[i].flags, &expect, NX_Q_CLAIMING))
            qi = i;
    }
    if (qi == UINT32_MAX)
        return 1;
    hq = &qs[qi];
    hq->owner_slot = me->slot;
    hq->owner_incarnation = me->incarnation;
    hq->owner_pid = (uint32_t)getpid();
    hq->owner_start = nx__plat_proc_start_time(getpid());
    strcpy(hq->owner_name, "hostile");
    atomic_store(&hq->head, 0);
    atomic_store(&hq->tail, 0);
    atomic_store(&hq->flags, NX_Q_VALID);
    atomic_fetch_add(&h->queues_gen, 1);
    hcap = h->queue_capacity;
    hmsz = h->message_size;
    hslots = (uint8_t *)h + h->slots_offset + (size_t)qi * hcap * hmsz;

    /* Our large ring, to aim descriptors into. */
    nx_large_t *lg = me->large;
    nx_large_hdr_t *lh = lg->hdr;
    uint8_t *ldata = (uint8_t *)lh + lh->data_offset;
    uint64_t ds = lh->data_size;
    /* Give the victim reader slot 0, so that each descriptor below gets
     * past that check and meets the one it is meant for. */
    lh->readers[0].node_slot = vslot;
    lh->readers[0].node_inc = vinc;
    atomic_store(&lh->readers[0].state, 1);

    int bad = 0;
    nx_msg_hdr_t *m;
#define BASE(k, sz)                                                                        \
    m = next_slot();                                                                       \
    m->magic = NX_MSG_MAGIC;                                                               \
    m->kind = (k);                                                                         \
    m->size = (sz);                                                                        \
    m->topic_slot = tslot;                                                                 \
    m->topic_inc = tinc;                                                                   \
    m->seq = 1

    BASE(NX_MSGK_DATA, 256);
    m->magic = 0xdeadbeef;
    commit(&h->bell);
    bad++;
    BASE(NX_MSGK_DATA, hmsz);
    commit(&h->bell);
    bad++; /* size beyond the slot */
    BASE(77, 256);
    commit(&h->bell);
    bad++; /* unknown kind */
    BASE(NX_MSGK_DATA, 256);
    m->topic_slot = 5000;
    commit(&h->bell);
    bad++; /* no such topic */
    BASE(NX_MSGK_LARGE, 8);
    commit(&h->bell);
    bad++; /* descriptor too short */

    nx_large_desc_t d = {.owner_inc = me->incarnation};
    /* Descriptor outside the ring. */
    BASE(NX_MSGK_LARGE, sizeof d);
    d.pos = ds * 5 + 64 * 3;
    d.length = ds; /* longer than what is left */
    d.seq = 1;
    memcpy(m + 1, &d, sizeof d);
    commit(&h->bell);
    bad++;
    /* Misaligned position. */
    BASE(NX_MSGK_LARGE, sizeof d);
    d.pos = 100;
    d.length = 256;
    memcpy(m + 1, &d, sizeof d);
    commit(&h->bell);
    bad++;
    /* A chunk whose header does not match (garbage where it points). */
    memset(ldata, 0x5a, 4096);
    BASE(NX_MSGK_LARGE, sizeof d);
    d.pos = 0;
    d.length = 256;
    memcpy(m + 1, &d, sizeof d);
    commit(&h->bell);
    bad++;
    /* A proper chunk header, but a length beyond the chunk. */
    nx_chunk_hdr_t *ch = (nx_chunk_hdr_t *)ldata;
    memset(ch, 0, sizeof *ch);
    ch->magic = NX_CHUNK_MAGIC;
    ch->pos = 0;
    ch->seq = 1;
    ch->length = 256;
    ch->total = 320;
    atomic_store(&ch->holders, ~UINT64_C(0));
    BASE(NX_MSGK_LARGE, sizeof d);
    d.length = 100000;
    memcpy(m + 1, &d, sizeof d);
    commit(&h->bell);
    bad++;
    /* Right chunk, but we never gave the victim a reader bit in it. */
    atomic_store(&ch->holders, 0);
    BASE(NX_MSGK_LARGE, sizeof d);
    d.length = 256;
    memcpy(m + 1, &d, sizeof d);
    commit(&h->bell);
    bad++;

    /* Finally one good message, in the format nx_peer checks. */
    BASE(NX_MSGK_DATA, 256);
    uint32_t *p = (uint32_t *)(m + 1);
    memset(p, 0, 256);
    p[0] = PEER_MAGIC; /* magic */
    p[1] = 0;          /* id */
    p[2] = 1;          /* seq (low word) */
    p[4] = 256;        /* size */
    uint32_t sum = 2166136261u;
    for (size_t i = 24; i < 256; i++)
        sum = (sum ^ ((uint8_t *)p)[i]) * 16777619u;
    p[5] = sum;
    commit(&h->bell);

    printf("SENT bad=%d good=1\n", bad);
    fflush(stdout);
    atomic_store(&hq->flags, NX_Q_VALID | NX_Q_CLOSED);
    munmap(h, size);
    nx_node_destroy(me);
    return 0;
}

/* A pid that belonged to a process that has exited. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    int status;
    waitpid(pid, &status, 0);
    return pid;
}

/* Add a registry entry of a dead process that names NODE's live segment. */
static int forge_entry(const char *node)
{
    nx_registry_t *r = open_registry();
    pid_t dead = dead_pid();
    nx_reg_txn_t tx;
    if (nx__registry_begin(r, true, &tx) != NX_OK)
        return 1;
    char seg[NX_SEG_NAME_MAX] = "";
    uint32_t free_slot = UINT32_MAX;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &tx.t->nodes[i];
        if (n->state == NX_NODE_ALIVE && strcmp(n->name, node) == 0)
            memcpy(seg, n->segment, sizeof seg);
        else if (n->state == NX_NODE_FREE && free_slot == UINT32_MAX)
            free_slot = i;
    }
    if (!seg[0] || free_slot == UINT32_MAX) {
        nx__registry_abort(&tx);
        fprintf(stderr, "nx_fault: no node %s or no free slot\n", node);
        return 1;
    }
    nx_reg_node_t *f = &tx.t->nodes[free_slot];
    f->incarnation++;
    f->pid = (uint32_t)dead;
    f->start_time = 12345;
    f->notify = 0;
    nx__registry_node_beat(r, free_slot, nx__plat_now_ns());
    f->heartbeat_timeout_ms = 2000;
    snprintf(f->name, sizeof f->name, "forged");
    memcpy(f->segment, seg, sizeof f->segment);
    f->large_segment[0] = '\0';
    f->state = NX_NODE_ALIVE;
    tx.changed = true;
    if (!nx__registry_commit(&tx)) {
        fprintf(stderr, "nx_fault: lost the race to change the registry\n");
        return 1;
    }
    printf("FORGED slot=%u\n", free_slot);
    nx__registry_close(r, false);
    return 0;
}

/* Forge holder bits of an unused reader slot in NODE's large-data ring. */
static int large_holders(const char *node, long ms)
{
    nx_registry_t *r = open_registry();
    char seg[NX_SEG_NAME_MAX + 1] = "";
    nx_reg_tables_t *rt = cur_tables(r);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &rt->nodes[i];
        if (n->state == NX_NODE_ALIVE && strcmp(n->name, node) == 0)
            memcpy(seg, n->large_segment, NX_SEG_NAME_MAX);
    }
    int fd;
    size_t size;
    void *p;
    if (!seg[0] || nx__plat_shm_open(seg, &fd, &size) != NX_OK ||
        nx__plat_shm_map(fd, size, &p) != NX_OK) {
        fprintf(stderr, "nx_fault: no large-data ring for node %s\n", node);
        return 1;
    }
    close(fd);
    nx_large_hdr_t *h = p;
    uint8_t *data = (uint8_t *)p + h->data_offset;
    uint64_t set = 0;
    for (uint64_t t0 = nx__plat_now_ns();
         nx__plat_now_ns() - t0 < (uint64_t)ms * 1000000u;) {
        uint64_t tail = atomic_load(&h->tail), head = atomic_load(&h->head);
        for (uint64_t pos = tail; pos < head;) {
            nx_chunk_hdr_t *c = (nx_chunk_hdr_t *)(data + pos % h->data_size);
            if (c->total < sizeof *c || c->total > h->data_size)
                break;
            if (c->magic == NX_CHUNK_MAGIC) {
                atomic_fetch_or(&c->holders, UINT64_C(1) << 40);
                set++;
            }
            pos += c->total;
        }
        nx__plat_sleep_ns(1000000);
    }
    printf("SET n=%llu\n", (unsigned long long)set);
    munmap(p, size);
    nx__registry_close(r, false);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "lock-registry"))
        return lock_registry();
    if (argc >= 3 && !strcmp(argv[1], "garbage-lease"))
        return garbage_lease(atoi(argv[2]));
    if (argc >= 3 && !strcmp(argv[1], "lock-bell"))
        return lock_bell(argv[2]);
    if (argc >= 5 && !strcmp(argv[1], "corrupt"))
        return corrupt(argv[2], strtoull(argv[3], NULL, 0), atol(argv[4]));
    if (argc >= 4 && !strcmp(argv[1], "hostile"))
        return hostile(argv[2], argv[3]);
    if (argc >= 3 && !strcmp(argv[1], "forge-entry"))
        return forge_entry(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "large-holders"))
        return large_holders(argv[2], atol(argv[3]));
    fprintf(
        stderr,
        "usage: nx_fault lock-registry | garbage-lease 0|1 | lock-bell NODE | corrupt NODE SEED ROUNDS"
        " | hostile NODE TOPIC | large-holders NODE MS | forge-entry NODE\n");
    return 2;
}
