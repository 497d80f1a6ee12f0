/*
 * large.c: the large-data channel, writer and reader sides.
 *
 * A publishing node that sends a payload larger than a slot (or loans a
 * buffer, loan.c) gets one large ring in shared memory. The payload is written
 * once into a chunk of it; each subscriber in another process gets a
 * 40-byte descriptor through its normal inbound queue and reads the bytes
 * in place. Each chunk carries a 64-bit holder mask: one bit per reader
 * the writer sent it to (readers have fixed slots in the ring's header,
 * assigned by the writer), plus the writer's own bit while it fills or
 * lends the chunk. A reader clears its bit when its callback returns (or
 * when it releases a hold, hold.c); the writer reclaims chunks from the oldest
 * on while their mask is zero. The writer clears the bits of readers that
 * died, so a dead subscriber cannot stall it.
 *
 * Subscribers in the publisher's own process get the bytes by direct
 * call and never touch the ring.
 *
 * Writer side: guarded by node->large_lock. Reader side: the receive
 * thread, plus holds (any thread, atomics only).
 */
#include "large_impl.h"

#include "frame_impl.h"
#include "hold_impl.h"
#include "log_impl.h"
#include "node_impl.h"
#include "platform/platform.h"
#include "stats_impl.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK_ALIGN NX_CHUNK_ALIGN

static _Atomic uint32_t large_seq;

/* ---- helpers ---------------------------------------------------------- */

static uint64_t chunk_total(uint64_t length)
{
    return (sizeof(nx_chunk_hdr_t) + length + CHUNK_ALIGN - 1) / CHUNK_ALIGN * CHUNK_ALIGN;
}

static nx_chunk_hdr_t *chunk_at(uint8_t *data, uint64_t data_size, uint64_t pos)
{
    return (nx_chunk_hdr_t *)(data + pos % data_size);
}

void nx__large_map_put(nx_large_map_t *m)
{
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    munmap(m->hdr, m->size);
    free(m);
}

/* ---- the writer's ring ------------------------------------------------ */

static nx_err_t large_create(nx_node_t *node, nx_large_t *lg)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t ds = (node->cfg.large_data.ring_size + (uint64_t)page - 1) / (uint64_t)page *
                  (uint64_t)page;
    uint64_t off =
        (sizeof(nx_large_hdr_t) + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
    size_t size = (size_t)(off + ds);
    snprintf(lg->name, sizeof lg->name, "/nexus.%s.l.%s.%d.%u", node->domain, node->name,
             (int)node->pid, atomic_fetch_add(&large_seq, 1));
    /* The same liveness lock as the node segment: orphans are found alike. */
    nx_err_t err = nx__plat_shm_create_locked(lg->name, size, node->cfg.shm.mode, &lg->fd,
                                              (void **)&lg->hdr);
    if (err != NX_OK) {
        NX_LOGE("large", "%s: cannot create large-data ring %s (%zu bytes): %s", node->name,
                lg->name, size, nx_strerror(err));
        lg->fd = -1;
        lg->hdr = NULL;
        return err;
    }
    nx_large_hdr_t *h = lg->hdr;
    h->version = NX_LAYOUT_VERSION;
    h->abi = NX_ABI_WORD;
    h->size = size;
    h->data_offset = off;
    h->data_size = ds;
    h->owner_pid = (uint32_t)node->pid;
    h->owner_slot = node->slot;
    h->owner_inc = node->incarnation;
    h->owner_start = nx__plat_proc_start_time(node->pid);
    atomic_store_explicit((_Atomic uint64_t *)&h->magic, NX_LARGE_MAGIC,
                          memory_order_release);
    lg->size = size;
    lg->data = (uint8_t *)h + off;
    lg->data_size = ds;
    nx__registry_node_set_large(node->reg, node->slot, node->incarnation, lg->name);
    NX_LOGD("large", "%s: created large-data ring %s (%llu bytes)", node->name, lg->name,
            (unsigned long long)ds);
    return NX_OK;
}

/* The node's channel, created on first use. large_lock held. */
nx_err_t nx__large_get(nx_node_t *node, nx_large_t **out)
{
    if (!node->large) {
        node->large = calloc(1, sizeof *node->large);
        if (!node->large)
            return NX_ENOMEM;
        node->large->fd = -1;
    }
    if (!node->large->hdr && node->cfg.large_data.ring_size) {
        nx_err_t err = large_create(node, node->large);
        if (err != NX_OK)
            return err;
    }
    *out = node->large;
    return NX_OK;
}

/*
 * Is the chunk at pos plausible? Readers map the ring writable (to clear
 * their bits), so a buggy or hostile one could scribble on a header; the
 * writer never follows a length it cannot trust.
 */
static bool chunk_sane(const nx_large_t *lg, const nx_chunk_hdr_t *c, uint64_t pos)
{
    return c->total >= sizeof *c && c->total % CHUNK_ALIGN == 0 &&
           c->total <= lg->head - pos && c->pos == pos;
}

/* A chunk header in our live region was overwritten: give the region up. */
static void large_reset(nx_large_t *lg)
{
    NX_LOGW("large",
            "large-data ring %s: a chunk header was overwritten; "
            "dropping %llu bytes of unreclaimed chunks",
            lg->name, (unsigned long long)(lg->head - lg->tail));
    lg->tail = lg->head;
}

/* Move the tail past every chunk nobody holds. large_lock held. */
static void large_reclaim(nx_large_t *lg)
{
    while (lg->tail < lg->head) {
        nx_chunk_hdr_t *c = chunk_at(lg->data, lg->data_size, lg->tail);
        if (!chunk_sane(lg, c, lg->tail)) {
            large_reset(lg);
            break;
        }
        if (c->magic != NX_CHUNK_PAD &&
            atomic_load_explicit(&c->holders, memory_order_acquire) != 0)
            break;
        /* Acquire above pairs with the readers' release when they clear
         * their bit: their reads are done before we reuse the bytes. */
        lg->tail += c->total;
    }
    atomic_store_explicit(&lg->hdr->tail, lg->tail, memory_order_relaxed);
}

/* Clear reader `bit` from every live chunk. large_lock held. */
static void large_drop_reader_bit(nx_large_t *lg, uint32_t bit)
{
    for (uint64_t pos = lg->tail; pos < lg->head;) {
        nx_chunk_hdr_t *c = chunk_at(lg->data, lg->data_size, pos);
        if (!chunk_sane(lg, c, pos)) {
            large_reset(lg);
            return;
        }
        if (c->magic == NX_CHUNK_MAGIC)
            atomic_fetch_and_explicit(&c->holders, ~(UINT64_C(1) << bit),
                                      memory_order_release);
        pos += c->total;
    }
}

/*
 * Clear the holder bits of reader slots that nobody uses. Only this writer
 * assigns reader slots and sets reader bits (under large_lock, for the
 * readers it assigned), so a bit of an unassigned slot can only come from
 * a torn or hostile write; left alone it would keep its chunk, and every
 * chunk after it, from ever being reclaimed. The writer's own bit is kept:
 * it marks a chunk being filled or lent out. large_lock held.
 */
static void large_clear_stray_bits(nx_node_t *node, nx_large_t *lg)
{
    uint64_t used = NX_CHUNK_WRITER_BIT;
    for (uint32_t i = 0; i < NX_LARGE_MAX_READERS; i++)
        if (atomic_load_explicit(&lg->hdr->readers[i].state, memory_order_relaxed))
            used |= UINT64_C(1) << i;
    uint64_t cleared = 0;
    for (uint64_t pos = lg->tail; pos < lg->head;) {
        nx_chunk_hdr_t *c = chunk_at(lg->data, lg->data_size, pos);
        if (!chunk_sane(lg, c, pos))
            break; /* large_reclaim() resets a ring that is not sane */
        if (c->magic == NX_CHUNK_MAGIC) {
            uint64_t stray =
                atomic_load_explicit(&c->holders, memory_order_relaxed) & ~used;
            if (stray) {
                atomic_fetch_and_explicit(&c->holders, ~stray, memory_order_release);
                cleared |= stray;
            }
        }
        pos += c->total;
    }
    if (cleared && lg->stray_clears++ == 0)
        NX_LOGW("large",
                "%s: holder bits 0x%016llx of reader slots nobody uses were set "
                "in the large-data ring (a torn or hostile write); cleared (further ones "
                "are cleared without a word)",
                node->name, (unsigned long long)cleared);
}

/* Free reader slots whose node is gone, and their holds. large_lock held. */
static void large_check_readers(nx_node_t *node, nx_large_t *lg)
{
    bool alive[NX_REG_MAX_NODES];
    uint32_t inc[NX_REG_MAX_NODES];
    if (nx__registry_alive(node->reg, alive, inc) != NX_OK)
        return;
    bool gone[NX_LARGE_MAX_READERS] = {false};
    for (uint32_t i = 0; i < NX_LARGE_MAX_READERS; i++) {
        nx_large_reader_t *r = &lg->hdr->readers[i];
        if (!atomic_load_explicit(&r->state, memory_order_relaxed))
            continue;
        uint32_t s = r->node_slot;
        gone[i] = s >= NX_REG_MAX_NODES || !alive[s] || inc[s] != r->node_inc;
    }
    for (uint32_t i = 0; i < NX_LARGE_MAX_READERS; i++) {
        if (!gone[i])
            continue;
        nx_large_reader_t *r = &lg->hdr->readers[i];
        NX_LOGI("large", "%s: reader '%.63s' is gone; its held chunks are freed",
                node->name, r->name);
        large_drop_reader_bit(lg, i);
        atomic_store_explicit(&r->state, 0, memory_order_release);
    }
    large_clear_stray_bits(node, lg);
    large_reclaim(lg);
}

/* The reader slot of a peer in our ring, assigned on first use. */
static int large_reader_for(nx_large_t *lg, const nx_peer_t *p)
{
    int free_slot = -1;
    for (uint32_t i = 0; i < NX_LARGE_MAX_READERS; i++) {
        nx_large_reader_t *r = &lg->hdr->readers[i];
        if (!atomic_load_explicit(&r->state, memory_order_relaxed)) {
            if (free_slot < 0)
                free_slot = (int)i;
            continue;
        }
        if (r->node_slot == p->slot && r->node_inc == p->incarnation)
            return (int)i;
    }
    if (free_slot < 0)
        return -1;
    nx_large_reader_t *r = &lg->hdr->readers[free_slot];
    r->node_slot = p->slot;
    r->node_inc = p->incarnation;
    r->pid = (uint32_t)p->pid;
    memcpy(r->name, p->name, sizeof r->name);
    atomic_store(&r->delivered, 0);
    atomic_store(&r->released, 0);
    atomic_store(&r->stalls, 0);
    atomic_store(&r->dropped, 0);
    /* Release: a reader that finds state 1 sees its identity. */
    atomic_store_explicit(&r->state, 1, memory_order_release);
    return free_slot;
}

/*
 * Reserve a chunk for `length` payload bytes, held by the writer bit.
 * large_lock held (released while waiting for room in block mode).
 */
nx_err_t nx__large_alloc(nx_node_t *node, nx_large_t *lg, uint64_t length,
                         nx_on_full_t on_full, uint32_t block_ms, nx_chunk_hdr_t **out)
{
    uint64_t total = chunk_total(length);
    if (total > lg->data_size)
        return NX_ETOOBIG;
    uint64_t deadline = 0, backoff = 2000;
    for (;;) {
        large_reclaim(lg);
        if (lg->tail == lg->head && lg->head % lg->data_size + total > lg->data_size) {
            /* Empty ring: start the next chunk at the beginning of the
             * area instead of padding (a pad would count against the
             * space, and a chunk larger than what is left after the pad
             * could then never be placed). */
            lg->head = lg->tail = (lg->head / lg->data_size + 1) * lg->data_size;
        }
        uint64_t off = lg->head % lg->data_size;
        uint64_t pad = off + total > lg->data_size ? lg->data_size - off : 0;
        if (lg->head + pad + total - lg->tail <= lg->data_size) {
            if (pad) {
                /* Wrap by skipping to the start: a pad marker fills the end. */
                nx_chunk_hdr_t *p = chunk_at(lg->data, lg->data_size, lg->head);
                memset(p, 0, sizeof *p);
                p->magic = NX_CHUNK_PAD;
                p->pos = lg->head;
                p->total = pad;
                lg->head += pad;
            }
            nx_chunk_hdr_t *c = chunk_at(lg->data, lg->data_size, lg->head);
            memset(c, 0, sizeof *c);
            c->magic = NX_CHUNK_MAGIC;
            c->pos = lg->head;
            c->length = length;
            c->total = total;
            atomic_store_explicit(&c->holders, NX_CHUNK_WRITER_BIT, memory_order_relaxed);
            lg->head += total;
            atomic_store_explicit(&lg->hdr->head, lg->head, memory_order_relaxed);
            atomic_fetch_add_explicit(&lg->hdr->chunks, 1, memory_order_relaxed);
            *out = c;
            return NX_OK;
        }
        /* No room: the oldest chunk is held. Say by whom, and check that
         * its holders still live (a dead one must not stall us). */
        atomic_fetch_add_explicit(&lg->hdr->full_events, 1, memory_order_relaxed);
        nx_chunk_hdr_t *old = chunk_at(lg->data, lg->data_size, lg->tail);
        uint64_t held = lg->tail < lg->head
                            ? atomic_load_explicit(&old->holders, memory_order_relaxed)
                            : 0;
        for (uint32_t i = 0; i < NX_LARGE_MAX_READERS; i++)
            if (held & (UINT64_C(1) << i))
                atomic_fetch_add_explicit(&lg->hdr->readers[i].stalls, 1,
                                          memory_order_relaxed);
        uint64_t now = nx__plat_now_ns();
        if (now >= lg->next_check_ns) {
            lg->next_check_ns = now + 10000000u;
            large_check_readers(node, lg);
            continue;
        }
        if (on_full != NX_ON_FULL_BLOCK)
            return NX_ETIMEOUT;
        if (!deadline)
            deadline = now + (uint64_t)block_ms * 1000000u;
        if (now >= deadline)
            return NX_ETIMEOUT;
        pthread_mutex_unlock(&node->large_lock);
        nx__plat_sleep_ns(backoff);
        if (backoff < 1000000)
            backoff *= 2;
        pthread_mutex_lock(&node->large_lock);
        if (!node->large || !node->large->hdr)
            return NX_ENOTINIT;
    }
}

/*
 * Send a filled chunk: the remote targets of the route get a descriptor
 * (and their bit in the mask), the local ones a direct call. Drops the
 * writer's bit. `local_data` is what local subscribers get.
 */
nx_err_t nx__large_send(nx_node_t *node, nx_pub_t *pub, nx_route_t *r, nx_large_t *lg,
                        nx_chunk_hdr_t *c, const void *local_data, uint32_t flags)
{
    nx_send_t s;
    nx__send_init(&s, node, pub);
    c->seq = s.seq;
    c->fingerprint = pub->fingerprint;
    c->flags = flags;
    nx_large_desc_t desc = {
        .pos = c->pos, .length = c->length, .seq = s.seq, .owner_inc = node->incarnation};
    s.data = &desc;
    s.size = sizeof desc;
    s.local_data = local_data;
    s.local_size = (size_t)c->length;
    s.kind = NX_MSGK_LARGE;
    s.flags = NX_MSG_LARGE | flags;

    /* Every reader's bit first, so none can see a descriptor for a chunk
     * the writer could still reclaim. */
    int bits[NX_REG_MAX_NODES];
    uint64_t mask = 0;
    pthread_mutex_lock(&node->large_lock);
    for (uint32_t i = 0; i < r->count; i++) {
        bits[i] = -1;
        if (r->targets[i].peer) {
            bits[i] = large_reader_for(lg, r->targets[i].peer);
            if (bits[i] >= 0)
                mask |= UINT64_C(1) << bits[i];
        }
    }
    pthread_mutex_unlock(&node->large_lock);
    /* Release: the chunk's bytes and header are visible to a reader that
     * sees its bit (it also gets the descriptor through a release/acquire
     * ring, so this is belt and braces). */
    atomic_store_explicit(&c->holders, mask, memory_order_release);

    bool full = false, unreached = r->unreached != 0;
    nx_err_t other = NX_OK;
    for (uint32_t i = 0; i < r->count; i++) {
        const nx_target_t *t = &r->targets[i];
        if (t->peer && bits[i] < 0) {
            /* More readers than the ring has slots: it misses this one. */
            NX_STAT_INC(node, dropped_no_queue);
            atomic_fetch_add_explicit(&t->peer->missed, 1, memory_order_relaxed);
            unreached = true;
            continue;
        }
        nx_err_t err = nx__send(&s, t);
        if (!t->peer) {
            if (err != NX_OK)
                other = err; /* in-process: could not be queued */
            continue;
        }
        nx_large_reader_t *rd = &lg->hdr->readers[bits[i]];
        if (err == NX_OK) {
            atomic_fetch_add_explicit(&rd->delivered, 1, memory_order_relaxed);
            continue;
        }
        /* Not queued: that reader will never release, so drop its bit. */
        atomic_fetch_and_explicit(&c->holders, ~(UINT64_C(1) << bits[i]),
                                  memory_order_release);
        atomic_fetch_add_explicit(&rd->dropped, 1, memory_order_relaxed);
        if (err == NX_ETIMEOUT)
            full = true;
        else if (err == NX_EPARTIAL)
            unreached = true;
    }
    if (unreached)
        nx__route_retry(pub, s.now);
    return nx__publish_status(full, unreached, other);
}

nx_err_t nx__large_publish(nx_node_t *node, nx_pub_t *pub, const void *data, size_t size)
{
    if (node->cfg.large_data.ring_size == 0)
        return NX_ETOOBIG;
    nx_route_t *r = nx__route_get(node, pub);
    if (!r)
        return NX_ENOMEM;
    bool remote = false;
    for (uint32_t i = 0; i < r->count && !remote; i++)
        remote = r->targets[i].peer != NULL;
    nx_err_t err = NX_OK;
    if (!remote) {
        /* Only subscribers in this process (or none): no ring needed. */
        nx_send_t s;
        nx__send_init(&s, node, pub);
        s.local_data = data;
        s.local_size = size;
        s.flags = NX_MSG_LARGE;
        nx_err_t result = NX_OK;
        for (uint32_t i = 0; i < r->count; i++) {
            nx_err_t e = nx__send(&s, &r->targets[i]); /* all local */
            if (e != NX_OK)
                result = e;
        }
        nx__route_put(pub);
        if (r->unreached)
            result = nx__publish_status(false, true, result);
        return result;
    }
    nx_large_t *lg;
    nx_chunk_hdr_t *c = NULL;
    pthread_mutex_lock(&node->large_lock);
    err = nx__large_get(node, &lg);
    if (err == NX_OK)
        err = nx__large_alloc(node, lg, size, atomic_load(&pub->on_full),
                              atomic_load(&pub->block_ms), &c);
    pthread_mutex_unlock(&node->large_lock);
    if (err == NX_OK) {
        /* The chunk is ours (writer bit): copy outside the lock. */
        memcpy(c + 1, data, size);
        err = nx__large_send(node, pub, r, lg, c, data, 0);
    } else if (err == NX_ETIMEOUT) {
        NX_STAT_INC(node, dropped_full);
    }
    nx__route_put(pub);
    return err;
}

/* ---- receive side ------------------------------------------------------ */

bool nx__large_hdr_check(const nx_large_hdr_t *h, size_t size, uint32_t owner_pid,
                         uint32_t owner_inc)
{
    /* Every sum is written so that it cannot wrap: a hostile header whose
     * data_offset + data_size overflows must not pass. */
    return size >= sizeof *h &&
           atomic_load_explicit((_Atomic uint64_t *)&h->magic, memory_order_acquire) ==
               NX_LARGE_MAGIC &&
           h->version == NX_LAYOUT_VERSION && h->abi == NX_ABI_WORD && h->size == size &&
           h->data_offset >= sizeof *h && h->data_offset % CHUNK_ALIGN == 0 &&
           h->data_offset <= size && h->data_size >= CHUNK_ALIGN &&
           h->data_size % CHUNK_ALIGN == 0 && h->data_size <= size - h->data_offset &&
           h->owner_pid == owner_pid && h->owner_inc == owner_inc;
}

const char *nx__large_desc_check(const nx_large_map_t *m, const nx_large_desc_t *d, int bit,
                                 nx_chunk_hdr_t **chunk)
{
    /* Bounds first (no sum that can wrap), then the chunk's own header
     * must agree with the descriptor. */
    if (bit < 0 || bit >= (int)NX_LARGE_MAX_READERS)
        return "no reader slot assigned to us";
    uint64_t off = d->pos % m->data_size;
    if (d->owner_inc != m->owner_inc || d->pos % CHUNK_ALIGN || d->length > m->data_size ||
        chunk_total(d->length) > m->data_size - off)
        return "descriptor outside the ring";
    nx_chunk_hdr_t *c = (nx_chunk_hdr_t *)(m->data + off);
    if (c->magic != NX_CHUNK_MAGIC || c->pos != d->pos || c->length != d->length ||
        c->total != chunk_total(d->length) || c->seq != d->seq ||
        !(atomic_load_explicit(&c->holders, memory_order_acquire) & (UINT64_C(1) << bit)))
        return "chunk header does not match its descriptor";
    *chunk = c;
    return NULL;
}

/* Map the large ring of the node that owns queue q. */
static nx_large_map_t *large_map_open(nx_node_t *node, nx_rxq_t *q)
{
    nx_reg_node_t owner;
    if (nx__registry_node_copy(node->reg, q->owner_slot, q->owner_inc, &owner) != NX_OK)
        return NULL;
    const char *name = owner.large_segment;
    if (name[0] != '/')
        return NULL;
    int fd;
    size_t size;
    if (nx__plat_shm_open(name, &fd, &size) != NX_OK)
        return NULL;
    void *p = NULL;
    nx_err_t err =
        size >= sizeof(nx_large_hdr_t) ? nx__plat_shm_map(fd, size, &p) : NX_ECORRUPT;
    close(fd);
    if (err != NX_OK)
        return NULL;
    nx_large_hdr_t *h = p;
    /* Validate the header before trusting an offset in it. */
    bool ok = nx__large_hdr_check(h, size, q->owner_pid, q->owner_inc);
    nx_large_map_t *m = ok ? calloc(1, sizeof *m) : NULL;
    if (!m) {
        if (!ok)
            NX_LOGW("large", "%s: large-data ring %s of '%s' failed validation", node->name,
                    name, q->owner_name);
        munmap(p, size);
        return NULL;
    }
    atomic_init(&m->refs, 1);
    m->hdr = h;
    m->size = size;
    m->data = (uint8_t *)h + h->data_offset;
    m->data_size = h->data_size;
    m->owner_inc = h->owner_inc;
    m->bit = -1;
    return m;
}

/* Our reader slot in the writer's ring (the writer assigns it before it
 * sends us the first descriptor). */
static int large_map_bit(nx_node_t *node, nx_large_map_t *m)
{
    if (m->bit >= 0) {
        nx_large_reader_t *r = &m->hdr->readers[m->bit];
        if (atomic_load_explicit(&r->state, memory_order_acquire) &&
            r->node_slot == node->slot && r->node_inc == node->incarnation)
            return m->bit;
        m->bit = -1;
    }
    for (uint32_t i = 0; i < NX_LARGE_MAX_READERS; i++) {
        nx_large_reader_t *r = &m->hdr->readers[i];
        if (atomic_load_explicit(&r->state, memory_order_acquire) &&
            r->node_slot == node->slot && r->node_inc == node->incarnation) {
            m->bit = (int)i;
            return m->bit;
        }
    }
    return -1;
}

static void large_reject(nx_node_t *node, nx_rxq_t *q, const char *why)
{
    NX_STAT_INC(node, rejected_corrupt);
    atomic_fetch_add_explicit(&q->cons.q->rejected, 1, memory_order_relaxed);
    if (!q->corrupt_logged) {
        q->corrupt_logged = true;
        NX_LOGW("large",
                "%s: large message from '%s' dropped: %s; further ones are only "
                "counted",
                node->name, q->owner_name, why);
    }
}

void nx__large_receive(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h,
                       const void *payload)
{
    nx_large_desc_t d;
    if (h->size != sizeof d) {
        large_reject(node, q, "bad descriptor size");
        return;
    }
    memcpy(&d, payload, sizeof d);
    if (q->lmap && q->lmap->owner_inc != q->owner_inc) {
        nx__large_map_put(q->lmap);
        q->lmap = NULL;
    }
    if (!q->lmap)
        q->lmap = large_map_open(node, q);
    nx_large_map_t *m = q->lmap;
    if (!m) {
        large_reject(node, q, "its large-data ring cannot be attached");
        return;
    }
    int bit = large_map_bit(node, m);
    nx_chunk_hdr_t *c = NULL;
    const char *why = nx__large_desc_check(m, &d, bit, &c);
    if (why) {
        large_reject(node, q, why);
        return;
    }
    uint64_t mybit = UINT64_C(1) << bit;
    nx_delivery_t dl = {
        .data = c + 1, .size = (size_t)d.length, .map = m, .chunk = c, .bit = mybit};
    nx_msg_info_t info = nx__frame_info(q->owner_name, q->owner_pid, h->seq,
                                        h->send_time_ns, nx__rx_time(node, h->send_time_ns),
                                        NX_MSG_LARGE | (h->flags & NX_MSG_LOANED), &dl);
    /* The payload stays in shared memory (zero copy): the callback reads
     * it in place, valid until it returns or, if held, until released. */
    nx__sub_deliver(node, h->topic_slot, h->topic_inc, c + 1, (size_t)d.length,
                    h->fingerprint, &info, false);
    if (!dl.held) {
        atomic_fetch_add_explicit(&m->hdr->readers[bit].released, 1, memory_order_relaxed);
        /* Release: our reads of the chunk are done before the writer,
         * seeing the bit clear, reuses it. */
        atomic_fetch_and_explicit(&c->holders, ~mybit, memory_order_release);
    }
}

void nx__large_tick(nx_node_t *node, uint64_t now_ns)
{
    (void)now_ns;
    pthread_mutex_lock(&node->large_lock);
    if (node->large && node->large->hdr)
        large_check_readers(node, node->large);
    pthread_mutex_unlock(&node->large_lock);
}

void nx__large_rejoin(nx_node_t *node)
{
    pthread_mutex_lock(&node->large_lock);
    nx_large_t *lg = node->large;
    if (lg && lg->hdr) {
        lg->hdr->owner_slot = node->slot;
        lg->hdr->owner_inc = node->incarnation;
        nx__registry_node_set_large(node->reg, node->slot, node->incarnation, lg->name);
    }
    pthread_mutex_unlock(&node->large_lock);
}

void nx__large_fini(nx_node_t *node)
{
    nx_large_t *lg = node->large;
    if (!lg)
        return;
    if (lg->hdr) {
        nx__plat_shm_unlink(lg->name);
        munmap(lg->hdr, lg->size);
    }
    if (lg->fd >= 0)
        close(lg->fd);
    free(lg);
    node->large = NULL;
}

/* ---- statistics --------------------------------------------------------- */

void nx__large_stats(nx_large_t *lg, nx_large_stats_t *out)
{
    if (!lg->hdr)
        return;
    large_reclaim(lg);
    out->ring_size = lg->data_size;
    out->used = lg->head - lg->tail;
    out->chunks = atomic_load(&lg->hdr->chunks);
    out->full_events = atomic_load(&lg->hdr->full_events);
    for (uint32_t i = 0;
         i < NX_LARGE_MAX_READERS && out->reader_count < NX_LARGE_STATS_READERS; i++) {
        nx_large_reader_t *r = &lg->hdr->readers[i];
        if (!atomic_load(&r->state))
            continue;
        nx_large_reader_stats_t *o = &out->readers[out->reader_count++];
        memcpy(o->name, r->name, sizeof o->name);
        o->name[sizeof o->name - 1] = '\0';
        o->pid = r->pid;
        o->delivered = atomic_load(&r->delivered);
        o->released = atomic_load(&r->released);
        o->stalls = atomic_load(&r->stalls);
        o->dropped = atomic_load(&r->dropped);
        for (uint64_t pos = lg->tail; pos < lg->head;) {
            nx_chunk_hdr_t *c = chunk_at(lg->data, lg->data_size, pos);
            if (!chunk_sane(lg, c, pos))
                break;
            if (c->magic == NX_CHUNK_MAGIC &&
                (atomic_load(&c->holders) & (UINT64_C(1) << i)))
                o->held++;
            pos += c->total;
        }
    }
}
