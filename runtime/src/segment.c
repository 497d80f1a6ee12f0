/*
 * segment.c: the node segment: its creation (header, doorbell, queues and
 * slots laid out as docs/shm-format.md says), its removal, and the one
 * validator every reader of a segment runs before trusting an offset.
 */
#include "segment_impl.h"

#include "log_impl.h"
#include "notify_impl.h"
#include "platform/platform.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static nx_err_t seg_fail(nx_err_t err, char *why, size_t why_size, const char *fmt, ...)
    NX_ATTR_PRINTF(4, 5);

static nx_err_t seg_fail(nx_err_t err, char *why, size_t why_size, const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* a + b <= limit, without overflow. */
static bool add_fits(uint64_t a, uint64_t b, uint64_t limit)
{
    return a <= limit && b <= limit - a;
}

nx_err_t nx__segment_check(const nx_seg_header_t *h, size_t size,
                           const nx_reg_node_t *entry, char *why, size_t why_size)
{
    if (why && why_size)
        why[0] = '\0';
    if (size < sizeof *h)
        return seg_fail(NX_ECORRUPT, why, why_size, "only %zu bytes long", size);
    /* Acquire pairs with the creator's release store of the magic, which
     * it makes last: the rest of the header is complete when we see it. */
    uint64_t magic =
        atomic_load_explicit((_Atomic uint64_t *)&h->magic, memory_order_acquire);
    if (magic != NX_SEG_MAGIC)
        return seg_fail(NX_ECORRUPT, why, why_size, "wrong magic 0x%016llx%s",
                        (unsigned long long)magic,
                        magic == 0 ? " (still being created, or abandoned mid-way)" : "");
    if (h->version != NX_LAYOUT_VERSION || h->abi != NX_ABI_WORD)
        return seg_fail(NX_EVERSION, why, why_size,
                        "layout version %u / ABI 0x%08x, want %u / 0x%08x", h->version,
                        h->abi, NX_LAYOUT_VERSION, (unsigned)NX_ABI_WORD);
    if (h->size != size)
        return seg_fail(NX_ECORRUPT, why, why_size,
                        "header says %llu bytes, the object has %zu",
                        (unsigned long long)h->size, size);
    if (entry && (h->pid != entry->pid || h->incarnation != entry->incarnation))
        return seg_fail(NX_ECORRUPT, why, why_size,
                        "it belongs to pid %u incarnation %u, the registry entry to "
                        "pid %u incarnation %u",
                        h->pid, h->incarnation, entry->pid, entry->incarnation);
    uint32_t q = h->max_queues, cap = h->queue_capacity, ms = h->message_size;
    if (q == 0 || q > NX_SEG_MAX_QUEUES || cap < NX_SEG_MIN_CAPACITY ||
        cap > NX_SEG_MAX_CAPACITY || (cap & (cap - 1)) || ms < NX_SEG_MIN_MESSAGE ||
        ms > NX_SEG_MAX_MESSAGE || ms % NX_SEG_MESSAGE_ALIGN)
        return seg_fail(NX_ECORRUPT, why, why_size,
                        "impossible geometry: %u queues x %u slots x %u bytes", q, cap, ms);
    /* The products cannot overflow (at most 2^10 x 2^16 x 2^20 and
     * 2^10 x 256); the sums with offsets from the header can. */
    uint64_t qoff = h->queues_offset, soff = h->slots_offset;
    uint64_t qbytes = (uint64_t)q * sizeof(nx_queue_hdr_t);
    uint64_t sbytes = (uint64_t)q * cap * ms;
    if (qoff < sizeof *h || qoff % NX_CACHELINE || soff % NX_CACHELINE ||
        !add_fits(qoff, qbytes, soff) || !add_fits(soff, sbytes, size))
        return seg_fail(NX_ECORRUPT, why, why_size,
                        "impossible offsets: queues at %llu, slots at %llu",
                        (unsigned long long)qoff, (unsigned long long)soff);
    /* Condvar layouts differ between C library versions (rule 12). */
    if (h->bell.mode == NX_NOTIFY_CONDVAR &&
        strncmp(h->libc, nx__plat_libc_id(), sizeof h->libc) != 0)
        return seg_fail(NX_EVERSION, why, why_size,
                        "condvar doorbell made with C library '%.*s', this one is '%s'",
                        (int)sizeof h->libc, h->libc, nx__plat_libc_id());
    return NX_OK;
}

/* ---- creation and removal (the owner) ---------------------------------------- */

static _Atomic uint32_t segment_seq;

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

nx_err_t nx__segment_create(const char *domain, const char *node_name, pid_t pid,
                            const nx_config_t *c, char name[NX_SHM_NAME_MAX], int *fd,
                            nx_seg_header_t **hdr, size_t *size_out)
{
    size_t qoff = align_up(sizeof(nx_seg_header_t), 4096);
    size_t soff =
        align_up(qoff + (size_t)c->node.max_inbound_queues * sizeof(nx_queue_hdr_t), 4096);
    size_t size = soff + (size_t)c->node.max_inbound_queues * c->node.queue_capacity *
                             c->node.message_size;
    snprintf(name, NX_SHM_NAME_MAX, "/nexus.%s.n.%s.%d.%u", domain, node_name, (int)pid,
             atomic_fetch_add(&segment_seq, 1));
    /* With the liveness lock: the kernel drops it when we die (rule 10). */
    void *mem = NULL;
    nx_err_t err = nx__plat_shm_create_locked(name, size, c->shm.mode, fd, &mem);
    if (err != NX_OK) {
        NX_LOGE("node", "%s: cannot create segment %s (%zu bytes): %s (%s)", node_name,
                name, size, nx_strerror(err), strerror(errno));
        *fd = -1;
        return err;
    }
    nx_seg_header_t *h = mem;
    h->version = NX_LAYOUT_VERSION;
    h->abi = NX_ABI_WORD;
    h->size = size;
    snprintf(h->libc, sizeof h->libc, "%s", nx__plat_libc_id());
    h->pid = (uint32_t)pid;
    h->start_time = nx__plat_proc_start_time(pid);
    h->max_queues = c->node.max_inbound_queues;
    h->queue_capacity = c->node.queue_capacity;
    h->message_size = c->node.message_size;
    h->queues_offset = qoff;
    h->slots_offset = soff;
    memcpy(h->name, node_name, strlen(node_name) + 1);
    atomic_store(&h->ref_count, 1);
    atomic_store(&h->state, NX_SEG_RUNNING);
    atomic_store(&h->heartbeat_ns, nx__plat_now_ns());
    err = nx__bell_init(&h->bell, c->node.notify);
    if (err != NX_OK) {
        nx__plat_shm_unlink(name);
        munmap(mem, size);
        close(*fd);
        *fd = -1;
        return err;
    }
    /* Magic last: a peer that sees it sees a complete header. */
    atomic_store_explicit((_Atomic uint64_t *)&h->magic, NX_SEG_MAGIC,
                          memory_order_release);
    *hdr = h;
    *size_out = size;
    return NX_OK;
}

void nx__segment_destroy(const char *name, int fd, nx_seg_header_t *h, size_t size)
{
    if (h) {
        /* Peers that still map the segment keep their mapping; the name
         * goes now so that nothing new attaches to a node that left. The
         * process-shared objects in it are not destroyed: a peer may be
         * ringing the doorbell at this moment, and the memory goes with
         * the last mapping. */
        atomic_store(&h->state, NX_SEG_CLOSING);
        nx__plat_shm_unlink(name);
        munmap(h, size);
    }
    if (fd >= 0)
        close(fd);
}
