/*
 * floor_ring: the floors that Nexus is measured against. A bare pair of
 * shared-memory SPSC rings (one per direction), written the way Nexus
 * writes its rings (free-running 64-bit indices, each side's index on its
 * own cache line, cached copy of the other side's index, power-of-two
 * capacity, 256 slots), with nothing else: no registry, no routing, no
 * validation, no receive thread.
 *
 *   --wake sem   (floor_semaphore) the floor for any blocking design: the
 *                receiver sleeps on a process-shared POSIX semaphore when
 *                its ring is empty, with the same announce/recheck protocol
 *                as Nexus: receiver: rung = 0; sleeping = 1; full fence;
 *                re-check; sem_wait only if still empty. Sender: commit;
 *                full fence; post only if sleeping and rung goes 0 -> 1.
 *                (One post per sleep, not one per message.)
 *   --wake spin  (floor_spin) the receiver busy-polls: the floor for any
 *                design at all.
 *
 * A full ring makes the sender spin until there is room (no loss).
 * Both sides copy the payload once (in on send, out on receive), as Nexus
 * and a socket do.
 *
 * Usage: floor_ring latency|throughput|cpu [--wake sem|spin] [options]
 */
#include "pattern.h"

#include <inttypes.h>
#include <math.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPACITY 256u
#define SLOT_HDR 8u

typedef struct ring_hdr {
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) _Atomic uint32_t sleeping;
    _Atomic uint32_t rung;
    sem_t sem;
    _Alignas(64) uint8_t slots[];
} ring_hdr_t;

typedef struct ring_end {
    ring_hdr_t *r;
    uint64_t mine;   /* head (producer) or tail (consumer) */
    uint64_t cached; /* the other side's index as last read */
} ring_end_t;

typedef struct floor_ctx {
    bool spin;
    uint32_t stride;
    ring_hdr_t *ring[2]; /* ring[i]: side i receives from it */
    ring_end_t tx, rx;   /* this process's ends (private after fork) */
} floor_ctx_t;

static int floor_open(void *arg, int side)
{
    floor_ctx_t *c = arg;
    c->tx = (ring_end_t){.r = c->ring[1 - side]};
    c->rx = (ring_end_t){.r = c->ring[side]};
    return 0;
}

static void floor_close(void *arg, int side)
{
    (void)arg;
    (void)side;
}

static int floor_send(void *arg, int side, const void *buf, size_t len)
{
    (void)side;
    floor_ctx_t *c = arg;
    ring_end_t *e = &c->tx;
    ring_hdr_t *r = e->r;
    if (len + SLOT_HDR > c->stride)
        return 1;
    while (e->mine - e->cached >= CAPACITY) {
        e->cached = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (e->mine - e->cached >= CAPACITY)
            bn_relax();
    }
    uint8_t *slot = r->slots + (size_t)(e->mine & (CAPACITY - 1)) * c->stride;
    *(uint32_t *)slot = (uint32_t)len; /* len < stride, checked above */
    memcpy(slot + SLOT_HDR, buf, len);
    e->mine++;
    atomic_store_explicit(&r->head, e->mine, memory_order_release);
    if (!c->spin) {
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&r->sleeping, memory_order_relaxed) &&
            atomic_exchange_explicit(&r->rung, 1, memory_order_relaxed) == 0)
            sem_post(&r->sem);
    }
    return 0;
}

static int floor_recv(void *arg, int side, void *buf, size_t cap, size_t *len)
{
    (void)side;
    floor_ctx_t *c = arg;
    ring_end_t *e = &c->rx;
    ring_hdr_t *r = e->r;
    while (e->cached == e->mine) {
        e->cached = atomic_load_explicit(&r->head, memory_order_acquire);
        if (e->cached != e->mine)
            break;
        if (c->spin) {
            bn_relax();
            continue;
        }
        atomic_store_explicit(&r->rung, 0, memory_order_relaxed);
        atomic_store_explicit(&r->sleeping, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&r->head, memory_order_acquire) == e->mine) {
            while (sem_wait(&r->sem) != 0) {
            }
        }
        atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
    }
    const uint8_t *slot = r->slots + (size_t)(e->mine & (CAPACITY - 1)) * c->stride;
    uint32_t n = *(const uint32_t *)slot;
    if (n > cap || n + SLOT_HDR > c->stride)
        return 1;
    memcpy(buf, slot + SLOT_HDR, n);
    *len = n;
    e->mine++;
    atomic_store_explicit(&r->tail, e->mine, memory_order_release);
    return 0;
}

static const char ring_usage[] =
    "usage: floor_ring latency|throughput|cpu [options]\n"
    "  Bare shared-memory SPSC ring pair between two processes pinned to\n"
    "  cores 0 and 1: the floor Nexus is measured against.\n"
    "  --wake sem|spin    receiver sleeps on a semaphore (floor_semaphore) or\n"
    "                     busy-polls (floor_spin); default sem\n"
    "  --size B           message bytes (default 256)\n"
    "  latency:    --count N (200000) --warmup W (10000)\n"
    "  throughput: --seconds S (1.5)\n"
    "  cpu:        --rate R msg/s (1000) --seconds S (10)\n"
    "  --hist FILE        latency: also append the raw histogram to FILE\n"
    "Prints '@ key value' result lines (read by tools/scripts/bench.sh).\n";

/* Every command: the ring pair, then the pattern argv[1] names. */
static int ring_run(int argc, char **argv)
{
    const char *wake = bn_opt_str(argc, argv, "--wake", "sem");
    bool spin = strcmp(wake, "spin") == 0;
    if (!spin && strcmp(wake, "sem") != 0) {
        fprintf(stderr, "floor_ring: --wake must be sem or spin\n");
        return 2;
    }
    const char *name = spin ? "floor_spin" : "floor_semaphore";
    uint32_t size =
        (uint32_t)bn_opt_uint(argc, argv, "--size", 256, sizeof(bn_msg_t), 65536);

    floor_ctx_t ctx = {.spin = spin};
    ctx.stride = (size + SLOT_HDR + 63u) & ~63u; /* size <= 65536: no overflow */
    size_t ring_bytes = sizeof(ring_hdr_t) + (size_t)CAPACITY * ctx.stride;
    ring_bytes = (ring_bytes + 4095u) & ~(size_t)4095u;
    uint8_t *mem = bn_shm_anon_file(2 * ring_bytes);
    for (int i = 0; i < 2; i++) {
        ctx.ring[i] = (ring_hdr_t *)(mem + (size_t)i * ring_bytes);
        if (sem_init(&ctx.ring[i]->sem, 1, 0) != 0) {
            perror("floor_ring: sem_init");
            return 1;
        }
    }
    bn_transport_t t = {.name = name,
                        .open = floor_open,
                        .send = floor_send,
                        .recv = floor_recv,
                        .close = floor_close,
                        .ctx = &ctx};
    int rc = bn_pattern_run(&t, argv[1], size, argc, argv);
    for (int i = 0; i < 2; i++)
        sem_destroy(&ctx.ring[i]->sem);
    bn_shared_free(mem, 2 * ring_bytes);
    return rc == 0 ? 0 : rc < 0 ? 2 : 1;
}

static const bn_command_t ring_commands[] = {
    {"latency", ring_run},
    {"throughput", ring_run},
    {"cpu", ring_run},
    {NULL, NULL},
};

const bn_program_t bn_program = {
    .name = "floor_ring",
    .usage = ring_usage,
    .commands = ring_commands,
};
