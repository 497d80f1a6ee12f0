/*
 * segment.c: the node segment format's one validator (see segment.h and
 * docs/shm-format.md).
 */
#include "segment_impl.h"

#include "platform/platform.h"

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
                        "impossible geometry: %u queues x %u slots x %u bytes", q, cap,
                        ms);
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
