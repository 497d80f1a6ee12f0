/*
 * inspect.c: the public snapshot of a domain (<nexus/inspect.h>).
 *
 * Built from the lock-free registry copy (domain.c), the node segments
 * and large-data rings, each read with pread() into private memory and
 * validated (segment.c) before any offset in it is used. Nothing here
 * locks, writes to shared memory or signals a process.
 */
#include "domain_impl.h"
#include "registry_impl.h"
#include "names_impl.h"
#include "platform/platform.h"
#include "segment_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nx_snapshot {
    nx_inspect_domain_t dom;
    nx_inspect_node_t *nodes;
    size_t node_count;
    nx_inspect_topic_t *topics;
    size_t topic_count;
    nx_inspect_queue_t *queues; /* every node's, one after the other */
    size_t queue_count, queue_cap;
    nx_inspect_endpoint_t *endpoints; /* every topic's, one after the other */
};

void nx_snapshot_opts_init(nx_snapshot_opts_t *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->segments = true;
}

static void problem(char *dst, size_t size, const char *fmt, ...) NX_ATTR_PRINTF(3, 4);
static void problem(char *dst, size_t size, const char *fmt, ...)
{
    char buf[NX_PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    nx__text_sanitize(dst, size, buf, sizeof buf);
}

static bool queue_push(nx_snapshot_t *s, const nx_inspect_queue_t *q)
{
    if (s->queue_count == s->queue_cap) {
        size_t cap = s->queue_cap ? s->queue_cap * 2 : 64;
        nx_inspect_queue_t *qs = realloc(s->queues, cap * sizeof *qs);
        if (!qs)
            return false;
        s->queues = qs;
        s->queue_cap = cap;
    }
    s->queues[s->queue_count++] = *q;
    return true;
}

/* Read and validate node e's segment; its queues in use go to s->queues
 * (out->queues is fixed up once every node is read). False: no memory. */
static bool node_read_segment(nx_snapshot_t *s, const char *domain, const nx_reg_node_t *e,
                              nx_inspect_node_t *out, size_t *first_queue)
{
    *first_queue = s->queue_count;
    if (!nx__segment_name_ok(domain, e->segment, 'n', true)) {
        out->segment_err = NX_ECORRUPT;
        problem(out->segment_problem, sizeof out->segment_problem,
                "'%s' is not a node segment name of domain '%s'", e->segment, domain);
        return true;
    }
    int fd;
    size_t size;
    nx_err_t err = nx__shm_open_ro(e->segment, &fd, &size);
    if (err != NX_OK) {
        out->segment_err = err;
        problem(out->segment_problem, sizeof out->segment_problem, "cannot open it: %s",
                err == NX_ENOTFOUND ? "no such object" : strerror(errno));
        return true;
    }
    nx_seg_header_t h;
    memset(&h, 0, sizeof h);
    char why[NX_PROBLEM_MAX];
    size_t got = nx__pread_all(fd, &h, sizeof h, 0);
    if (got < sizeof h && size >= sizeof h) {
        err = NX_ECORRUPT;
        snprintf(why, sizeof why, "it shrank while being read");
    } else {
        err = nx__segment_check(&h, size, e, why, sizeof why);
    }
    if (err != NX_OK) {
        out->segment_err = err;
        problem(out->segment_problem, sizeof out->segment_problem, "%s", why);
        close(fd);
        return true;
    }
    out->seg_max_queues = h.max_queues;
    out->seg_queue_capacity = h.queue_capacity;
    out->seg_message_size = h.message_size;
    out->seg_ref_count = h.ref_count;
    out->seg_state = h.state;
    /* Only the queue headers, never the slots. Bounds checked above:
     * queues_offset + max_queues headers <= slots_offset <= size. */
    size_t qbytes = (size_t)h.max_queues * sizeof(nx_queue_hdr_t);
    nx_queue_hdr_t *qs = aligned_alloc(_Alignof(nx_queue_hdr_t), qbytes);
    if (!qs) {
        close(fd);
        return false;
    }
    got = nx__pread_all(fd, qs, qbytes, h.queues_offset);
    close(fd);
    if (got != qbytes) {
        out->segment_err = NX_ECORRUPT;
        problem(out->segment_problem, sizeof out->segment_problem,
                "it shrank while being read");
        free(qs);
        return true;
    }
    out->segment_err = NX_OK;
    bool ok = true;
    for (uint32_t i = 0; i < h.max_queues && ok; i++) {
        const nx_queue_hdr_t *q = &qs[i];
        uint32_t flags = q->flags;
        if (!(flags & NX_Q_VALID))
            continue;
        nx_inspect_queue_t iq;
        memset(&iq, 0, sizeof iq);
        iq.index = i;
        nx__text_sanitize(iq.stats.peer, sizeof iq.stats.peer, q->owner_name,
                          sizeof q->owner_name);
        iq.stats.peer_pid = q->owner_pid;
        iq.stats.capacity = h.queue_capacity;
        iq.stats.sent = q->sent;
        iq.stats.received = q->received;
        iq.stats.dropped = q->dropped;
        iq.stats.rejected = q->rejected;
        iq.stats.high_water = q->high_water;
        uint64_t head = q->head, tail = q->tail;
        iq.pending_valid = head >= tail && head - tail <= h.queue_capacity;
        iq.stats.pending = iq.pending_valid ? head - tail : 0;
        iq.closed = (flags & NX_Q_CLOSED) != 0;
        iq.sender_alive = q->owner_pid != 0 && q->owner_pid <= INT32_MAX &&
                          nx__plat_proc_alive((pid_t)q->owner_pid, q->owner_start);
        ok = queue_push(s, &iq);
    }
    free(qs);
    return ok;
}

static bool add_fits(uint64_t a, uint64_t b, uint64_t limit)
{
    return a <= limit && b <= limit - a;
}

/* Read node e's large-data ring, if it has one. */
static void node_read_large(const char *domain, const nx_reg_node_t *e,
                            nx_inspect_node_t *out)
{
    out->large_err = NX_ENOTFOUND;
    if (!e->large_segment[0])
        return;
    if (!nx__segment_name_ok(domain, e->large_segment, 'l', true)) {
        out->large_err = NX_ECORRUPT;
        problem(out->large_problem, sizeof out->large_problem,
                "'%s' is not a large-data ring name of domain '%s'", e->large_segment,
                domain);
        return;
    }
    int fd;
    size_t size;
    nx_err_t err = nx__shm_open_ro(e->large_segment, &fd, &size);
    if (err != NX_OK) {
        out->large_err = err;
        problem(out->large_problem, sizeof out->large_problem, "cannot open it: %s",
                err == NX_ENOTFOUND ? "no such object" : strerror(errno));
        return;
    }
    nx_large_hdr_t *h = aligned_alloc(_Alignof(nx_large_hdr_t), sizeof *h);
    if (!h) {
        close(fd);
        out->large_err = NX_ENOMEM;
        problem(out->large_problem, sizeof out->large_problem, "out of memory");
        return;
    }
    size_t got = nx__pread_all(fd, h, sizeof *h, 0);
    close(fd);
    out->large_err = NX_ECORRUPT;
    if (got != sizeof *h) {
        problem(out->large_problem, sizeof out->large_problem, "only %zu bytes long", size);
    } else if (h->magic != NX_LARGE_MAGIC) {
        problem(out->large_problem, sizeof out->large_problem, "wrong magic 0x%016llx",
                (unsigned long long)h->magic);
    } else if (h->version != NX_LAYOUT_VERSION || h->abi != NX_ABI_WORD) {
        out->large_err = NX_EVERSION;
        problem(out->large_problem, sizeof out->large_problem,
                "layout version %u / ABI 0x%08x, want %u / 0x%08x", h->version, h->abi,
                NX_LAYOUT_VERSION, (unsigned)NX_ABI_WORD);
    } else if (h->size != size || h->data_offset < sizeof *h ||
               h->data_offset % NX_CACHELINE || h->data_size == 0 ||
               h->data_size % NX_CACHELINE ||
               !add_fits(h->data_offset, h->data_size, size)) {
        problem(out->large_problem, sizeof out->large_problem,
                "impossible size or offsets: %llu bytes, data at %llu (%llu bytes)",
                (unsigned long long)h->size, (unsigned long long)h->data_offset,
                (unsigned long long)h->data_size);
    } else if (h->owner_pid != e->pid) {
        problem(out->large_problem, sizeof out->large_problem,
                "it belongs to pid %u, the registry entry to pid %u", h->owner_pid, e->pid);
    } else {
        out->large_err = NX_OK;
        nx_large_stats_t *st = &out->large;
        st->ring_size = h->data_size;
        uint64_t head = h->head, tail = h->tail;
        st->used = head >= tail && head - tail <= h->data_size ? head - tail : 0;
        st->chunks = h->chunks;
        st->full_events = h->full_events;
        for (uint32_t i = 0;
             i < NX_LARGE_MAX_READERS && st->reader_count < NX_LARGE_STATS_READERS; i++) {
            const nx_large_reader_t *r = &h->readers[i];
            if (r->state != 1)
                continue;
            nx_large_reader_stats_t *o = &st->readers[st->reader_count++];
            nx__text_sanitize(o->name, sizeof o->name, r->name, sizeof r->name);
            o->pid = r->pid;
            o->delivered = r->delivered;
            o->released = r->released;
            o->stalls = r->stalls;
            o->dropped = r->dropped;
        }
    }
    free(h);
}

static void node_fill(const char *domain, const nx_reg_node_t *e, uint32_t slot,
                      uint64_t now, uint64_t hung_ns, nx_inspect_node_t *out)
{
    memset(out, 0, sizeof *out);
    out->slot = slot;
    out->incarnation = e->incarnation;
    nx__text_sanitize(out->name, sizeof out->name, e->name, sizeof e->name);
    out->pid = e->pid;
    out->state = nx__node_liveness(domain, e, now, hung_ns, &out->heartbeat_age_ns);
    out->process_alive = out->state != NX_NODE_STATE_DEAD;
    out->heartbeat_timeout_ms = e->heartbeat_timeout_ms;
    out->hung_ms = hung_ns                   ? (uint32_t)(hung_ns / 1000000u)
                   : e->heartbeat_timeout_ms ? e->heartbeat_timeout_ms
                                             : NX_DEFAULT_HUNG_MS;
    out->notify = e->notify;
    out->max_queues = e->max_queues;
    out->queue_capacity = e->queue_capacity;
    out->message_size = e->message_size;
    nx__text_sanitize(out->segment, sizeof out->segment, e->segment, sizeof e->segment);
    nx__text_sanitize(out->large_segment, sizeof out->large_segment, e->large_segment,
                      sizeof e->large_segment);
    out->segment_err = NX_ENOTINIT;
    out->large_err = NX_ENOTINIT;
}

/* Endpoints of a bitmap, appended at *next; policy (publishers only, else
 * NULL) gives each one's on_full policy. */
static size_t endpoints_fill(const nx_snapshot_t *s, const int32_t *index_of_slot,
                             const uint64_t *bits, const uint32_t *policy,
                             nx_inspect_endpoint_t *at)
{
    size_t n = 0;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        if (!((bits[i / 64] >> (i % 64)) & 1u))
            continue;
        at[n].slot = i;
        at[n].node = index_of_slot[i] >= 0 ? &s->nodes[index_of_slot[i]] : NULL;
        at[n].on_full = policy && (policy[i] & NX_REG_POLICY_BLOCK) ? NX_ON_FULL_BLOCK
                                                                    : NX_ON_FULL_FAIL;
        at[n].block_ms = policy ? policy[i] & NX_REG_POLICY_MS_MASK : 0;
        n++;
    }
    return n;
}

static uint32_t bits_count(const uint64_t *bits)
{
    uint32_t n = 0;
    for (uint32_t w = 0; w < NX_REG_BITMAP_WORDS; w++)
        n += (uint32_t)__builtin_popcountll(bits[w]);
    return n;
}

nx_err_t nx_snapshot_take(const char *domain, const nx_snapshot_opts_t *opts,
                          nx_snapshot_t **out)
{
    if (!domain) {
        domain = getenv("NEXUS_DOMAIN");
        if (!domain || !domain[0])
            domain = "default";
    }
    if (!out || !nx__domain_name_ok(domain))
        return NX_EINVAL;
    nx_snapshot_opts_t o;
    nx_snapshot_opts_init(&o);
    if (opts)
        o = *opts;
    nx_snapshot_t *s = calloc(1, sizeof *s);
    if (!s)
        return NX_ENOMEM;
    nx_inspect_domain_t *d = &s->dom;
    snprintf(d->name, sizeof d->name, "%s", domain);
    snprintf(d->registry_name, sizeof d->registry_name, "/nexus.%s.registry", domain);
    char **names;
    size_t count;
    if (nx_domain_objects(domain, &names, &count) == NX_OK) {
        d->object_count = count;
        nx_domain_objects_free(names, count);
    }
    nx_reg_view_t *reg = NULL;
    char why[NX_PROBLEM_MAX];
    d->registry = nx__registry_load(domain, &reg, &d->consistent, why, sizeof why);
    if (d->registry != NX_REGISTRY_OK) {
        nx__text_sanitize(d->problem, sizeof d->problem, why, sizeof why);
        *out = s;
        return NX_OK;
    }
    d->generation = reg->generation;
    d->repairs = reg->takeovers;

    uint64_t now = nx__plat_now_ns();
    uint64_t hung_ns = (uint64_t)o.hung_ms * UINT64_C(1000000);
    int32_t index_of_slot[NX_REG_MAX_NODES];
    size_t nn = 0, nt = 0, nends = 0;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        nn += reg->t.nodes[i].state != NX_NODE_FREE;
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        const nx_reg_topic_t *tp = &reg->t.topics[t];
        if (tp->used) {
            nt++;
            nends += bits_count(tp->pubs) + bits_count(tp->subs);
        }
    }
    s->nodes = calloc(nn ? nn : 1, sizeof *s->nodes);
    s->topics = calloc(nt ? nt : 1, sizeof *s->topics);
    s->endpoints = calloc(nends ? nends : 1, sizeof *s->endpoints);
    size_t *first_queue = calloc(nn ? nn : 1, sizeof *first_queue);
    if (!s->nodes || !s->topics || !s->endpoints || !first_queue)
        goto nomem;

    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *e = &reg->t.nodes[i];
        index_of_slot[i] = -1;
        if (e->state == NX_NODE_FREE)
            continue;
        nx_inspect_node_t *n = &s->nodes[s->node_count];
        node_fill(domain, e, i, now, hung_ns, n);
        first_queue[s->node_count] = s->queue_count;
        if (o.segments) {
            if (!node_read_segment(s, domain, e, n, &first_queue[s->node_count]))
                goto nomem;
            node_read_large(domain, e, n);
        }
        n->queue_count = s->queue_count - first_queue[s->node_count];
        index_of_slot[i] = (int32_t)s->node_count++;
    }
    /* The queue array is complete: point each node at its part. */
    for (size_t k = 0; k < s->node_count; k++)
        s->nodes[k].queues = s->nodes[k].queue_count ? &s->queues[first_queue[k]] : NULL;

    nx_inspect_endpoint_t *ep = s->endpoints;
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        const nx_reg_topic_t *tp = &reg->t.topics[t];
        if (!tp->used)
            continue;
        nx_inspect_topic_t *x = &s->topics[s->topic_count++];
        x->slot = t;
        nx__text_sanitize(x->group, sizeof x->group, tp->group, sizeof tp->group);
        nx__text_sanitize(x->name, sizeof x->name, tp->name, sizeof tp->name);
        if (tp->fingerprint)
            nx__text_sanitize(x->type_name, sizeof x->type_name, tp->type_name,
                              sizeof tp->type_name);
        x->fingerprint = tp->fingerprint;
        x->reply_fingerprint = tp->reply_fingerprint;
        x->type_size = tp->fingerprint ? tp->type_size : 0;
        x->publishers = ep;
        x->publisher_count = endpoints_fill(s, index_of_slot, tp->pubs, tp->pub_policy, ep);
        ep += x->publisher_count;
        x->subscribers = ep;
        x->subscriber_count = endpoints_fill(s, index_of_slot, tp->subs, NULL, ep);
        ep += x->subscriber_count;
    }
    free(first_queue);
    free(reg);
    *out = s;
    return NX_OK;
nomem:
    free(first_queue);
    free(reg);
    nx_snapshot_free(s);
    return NX_ENOMEM;
}

void nx_snapshot_free(nx_snapshot_t *snap)
{
    if (!snap)
        return;
    free(snap->nodes);
    free(snap->topics);
    free(snap->queues);
    free(snap->endpoints);
    free(snap);
}

const nx_inspect_domain_t *nx_snapshot_domain(const nx_snapshot_t *snap)
{
    return snap ? &snap->dom : NULL;
}

size_t nx_snapshot_node_count(const nx_snapshot_t *snap)
{
    return snap ? snap->node_count : 0;
}

const nx_inspect_node_t *nx_snapshot_node(const nx_snapshot_t *snap, size_t i)
{
    return snap && i < snap->node_count ? &snap->nodes[i] : NULL;
}

const nx_inspect_node_t *nx_snapshot_find_node(const nx_snapshot_t *snap, const char *name)
{
    if (!snap || !name)
        return NULL;
    const nx_inspect_node_t *dead = NULL;
    for (size_t i = 0; i < snap->node_count; i++) {
        const nx_inspect_node_t *n = &snap->nodes[i];
        if (strcmp(n->name, name) != 0)
            continue;
        if (n->state != NX_NODE_STATE_DEAD)
            return n;
        if (!dead)
            dead = n;
    }
    return dead;
}

size_t nx_snapshot_topic_count(const nx_snapshot_t *snap)
{
    return snap ? snap->topic_count : 0;
}

const nx_inspect_topic_t *nx_snapshot_topic(const nx_snapshot_t *snap, size_t i)
{
    return snap && i < snap->topic_count ? &snap->topics[i] : NULL;
}
