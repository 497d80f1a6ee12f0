/*
 * registry.c: the domain registry: creating and attaching it, the
 * versioned tables and how writers change them (lease, claimed staging
 * buffers, one compare-and-swap to publish; see registry_impl.h and
 * "Registry updates" in docs/shm-format.md), node and topic entries,
 * reaping dead nodes, and the query functions through which every other
 * module reads the tables.
 */
#include "registry_impl.h"

#include "domain_impl.h"
#include "log_impl.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a writer waits for the lease or a staging buffer. Longer than
 * NX_REG_LEASE_MS, so a stopped holder's lease is taken over first. */
#define NX_REG_WAIT_NS (UINT64_C(1000000000))

/* Bounded copy that always terminates. */
static void copy_name(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    memset(dst + n, 0, size - n);
}

/* Does a fixed-size char field hold exactly `s`? (Never reads past it.) */
static bool field_eq(const char *field, size_t size, const char *s)
{
    size_t n = strlen(s);
    return n < size && memcmp(field, s, n) == 0 && field[n] == '\0';
}

static void bitmap_set(uint64_t *bm, uint32_t bit)
{
    bm[bit / 64] |= UINT64_C(1) << (bit % 64);
}
static void bitmap_clear(uint64_t *bm, uint32_t bit)
{
    bm[bit / 64] &= ~(UINT64_C(1) << (bit % 64));
}
static bool bitmap_test(const uint64_t *bm, uint32_t bit)
{
    return (bm[bit / 64] >> (bit % 64)) & 1u;
}
static bool bitmap_empty(const uint64_t *bm)
{
    for (uint32_t i = 0; i < NX_REG_BITMAP_WORDS; i++)
        if (bm[i])
            return false;
    return true;
}

static bool topic_in_use(const nx_reg_tables_t *t, uint32_t slot)
{
    return slot < NX_REG_MAX_TOPICS && bitmap_test(t->topic_used, slot);
}

/* The reaper's working memory (one per registry object: see
 * nx_registry_t.reap). */
typedef struct reap_entry {
    uint32_t slot, inc, pid;
    bool gone;
    char segment[NX_SEG_NAME_MAX], large_segment[NX_SEG_NAME_MAX];
} reap_entry_t;

struct reap_ctx {
    nx_reg_node_t nodes[NX_REG_MAX_NODES];
    reap_entry_t victims[NX_REG_MAX_NODES];
    uint32_t n_victims, reaped;
};
typedef struct reap_ctx reap_ctx_t;

/* ---- writers: tokens, the lease, staging buffers ------------------------ */

static uint32_t now_ms24(void)
{
    return (uint32_t)(nx__plat_now_ns() / 1000000u) & 0xffffffu;
}

/* A token for one change: our pid, 8 random bits, the millisecond. */
static uint64_t token_new(void)
{
    static _Thread_local uint32_t x;
    if (!x)
        x = (uint32_t)(nx__plat_now_ns() ^ ((uintptr_t)&x >> 4)) | 1u;
    x ^= x << 13; /* xorshift32 */
    x ^= x >> 17;
    x ^= x << 5;
    uint64_t t = NX_REG_TOKEN(getpid(), x, now_ms24());
    return t ? t : 1;
}

/* Has the writer of token `t` gone (its process exited)? A recycled pid
 * looks alive: the lease then expires instead. */
static bool token_gone(uint64_t t)
{
    uint32_t pid = NX_REG_TOKEN_PID(t);
    return pid == 0 || pid > INT32_MAX || !nx__plat_proc_alive((pid_t)pid, 0);
}

/* How long ago (ms) was token t taken? Only the low 24 bits of the
 * millisecond are kept: enough to tell a lease older than
 * NX_REG_LEASE_MS. */
static uint32_t token_age_ms(uint64_t t)
{
    return (now_ms24() - NX_REG_TOKEN_MS(t)) & 0xffffffu;
}

static void backoff(unsigned i)
{
    if (i < 16)
        nx__plat_cpu_relax();
    else if (i < 64)
        sched_yield();
    else
        nx__plat_sleep_ns(i < 256 ? 50000 : 500000);
}

/*
 * Take the lease. Free: take it. Held: wait until the deadline, and take
 * it over from a holder whose process is gone or who has held it longer
 * than NX_REG_LEASE_MS (stopped, or a garbage token). Taking it over is
 * safe whatever the old holder does next: it can only write to the buffer
 * it claimed, and its publishing compare-and-swap fails.
 */
static nx_err_t lease_take(nx_registry_t *r, uint64_t deadline, uint64_t *token)
{
    _Atomic uint64_t *lease = &r->shm->hdr.lease;
    uint64_t seen = 0, probed_at = 0;
    for (unsigned i = 0;; i++) {
        uint64_t tok = token_new();
        uint64_t cur = 0;
        if (atomic_compare_exchange_strong_explicit(lease, &cur, tok, memory_order_acq_rel,
                                                    memory_order_acquire)) {
            *token = tok;
            return NX_OK;
        }
        uint64_t now = nx__plat_now_ns();
        bool take = token_age_ms(cur) > NX_REG_LEASE_MS;
        if (!take && (cur != seen || now - probed_at >= 1000000u)) {
            seen = cur;
            probed_at = now;
            take = token_gone(cur);
        }
        if (take && atomic_compare_exchange_strong_explicit(
                        lease, &cur, tok, memory_order_acq_rel, memory_order_acquire)) {
            atomic_fetch_add_explicit(&r->shm->hdr.takeovers, 1, memory_order_relaxed);
            NX_LOGW("registry",
                    "domain '%s': took over the registry lease from pid %u "
                    "(gone, stopped or not responding)",
                    r->domain, NX_REG_TOKEN_PID(cur));
            *token = tok;
            return NX_OK;
        }
        if (now >= deadline)
            return NX_EBUSY;
        backoff(i);
    }
}

static void lease_give(nx_registry_t *r, uint64_t token)
{
    /* If it was taken over meanwhile it is not ours to free. */
    uint64_t want = token;
    atomic_compare_exchange_strong_explicit(&r->shm->hdr.lease, &want, 0,
                                            memory_order_release, memory_order_relaxed);
}

/*
 * Claim a staging buffer: one that is not current and that nobody claims,
 * or whose claimer's process is gone. A claimer that is alive keeps its
 * buffer even when stopped: it may resume and write to it.
 */
static nx_err_t claim_take(nx_registry_t *r, uint64_t token, uint32_t *buf)
{
    nx_reg_header_t *h = &r->shm->hdr;
    for (uint32_t b = 0; b < NX_REG_TABLES; b++) {
        uint64_t cur = atomic_load_explicit(&h->current, memory_order_acquire);
        if (NX_REG_CUR_BUF(cur) == b)
            continue;
        uint64_t old = atomic_load_explicit(&h->claim[b], memory_order_acquire);
        if (old != 0 && !token_gone(old))
            continue;
        if (!atomic_compare_exchange_strong_explicit(
                &h->claim[b], &old, token, memory_order_acq_rel, memory_order_relaxed))
            continue;
        /* Only the claimer of b makes b current: if it is not current now,
         * it stays so while we hold it. */
        if (NX_REG_CUR_BUF(atomic_load_explicit(&h->current, memory_order_acquire)) == b) {
            atomic_store_explicit(&h->claim[b], 0, memory_order_release);
            continue;
        }
        *buf = b;
        return NX_OK;
    }
    return NX_EBUSY;
}

static void claim_give(nx_registry_t *r, uint32_t buf, uint64_t token)
{
    uint64_t want = token;
    atomic_compare_exchange_strong_explicit(&r->shm->hdr.claim[buf], &want, 0,
                                            memory_order_release, memory_order_relaxed);
}

/* Free a node slot in t: drop its bits, free topics nobody uses. */
static void tables_node_free(nx_reg_tables_t *t, uint32_t slot)
{
    for (uint32_t w = 0; w < NX_REG_TOPIC_WORDS; w++) {
        for (uint64_t m = t->topic_used[w]; m; m &= m - 1) {
            uint32_t ts = w * 64 + (uint32_t)__builtin_ctzll(m);
            nx_reg_topic_t *tp = &t->topics[ts];
            bitmap_clear(tp->pubs, slot);
            bitmap_clear(tp->subs, slot);
            tp->pub_policy[slot] = 0;
            if (bitmap_empty(tp->pubs) && bitmap_empty(tp->subs)) {
                tp->used = 0;
                bitmap_clear(t->topic_used, ts);
            }
        }
    }
    nx_reg_node_t *n = &t->nodes[slot];
    n->state = NX_NODE_FREE;
    n->pid = 0;
    n->start_time = 0;
    n->incarnation++;
}

/*
 * Copy the current version into a staging buffer, checking it on the way:
 * the current version is in shared memory, and a hostile or buggy process
 * of ours may have written into it. Strings are terminated, states
 * clamped, bits of slots that hold no alive node dropped, empty topics
 * freed: every version a writer publishes is self-consistent.
 */
static void tables_copy(nx_reg_tables_t *dst, const nx_reg_tables_t *src)
{
    dst->closed = src->closed != 0;
    memcpy(dst->topic_used, src->topic_used, sizeof dst->topic_used);
    memcpy(dst->topic_inc, src->topic_inc, sizeof dst->topic_inc);
    memcpy(dst->nodes, src->nodes, sizeof dst->nodes);
    for (uint32_t w = 0; w < NX_REG_TOPIC_WORDS; w++)
        for (uint64_t m = dst->topic_used[w]; m; m &= m - 1) {
            uint32_t ts = w * 64 + (uint32_t)__builtin_ctzll(m);
            memcpy(&dst->topics[ts], &src->topics[ts], sizeof dst->topics[ts]);
        }
    uint64_t alive[NX_REG_BITMAP_WORDS] = {0};
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &dst->nodes[i];
        n->name[sizeof n->name - 1] = '\0';
        n->segment[sizeof n->segment - 1] = '\0';
        n->large_segment[sizeof n->large_segment - 1] = '\0';
        if (n->state > NX_NODE_DEAD)
            n->state = NX_NODE_DEAD;
        if (n->state == NX_NODE_ALIVE)
            bitmap_set(alive, i);
    }
    for (uint32_t w = 0; w < NX_REG_TOPIC_WORDS; w++)
        for (uint64_t m = dst->topic_used[w]; m; m &= m - 1) {
            uint32_t ts = w * 64 + (uint32_t)__builtin_ctzll(m);
            nx_reg_topic_t *tp = &dst->topics[ts];
            tp->group[sizeof tp->group - 1] = '\0';
            tp->name[sizeof tp->name - 1] = '\0';
            tp->type_name[sizeof tp->type_name - 1] = '\0';
            tp->used = 1;
            for (uint32_t k = 0; k < NX_REG_BITMAP_WORDS; k++) {
                tp->pubs[k] &= alive[k];
                tp->subs[k] &= alive[k];
            }
            if (bitmap_empty(tp->pubs) && bitmap_empty(tp->subs)) {
                tp->used = 0;
                bitmap_clear(dst->topic_used, ts);
            }
        }
}

nx_err_t nx__registry_begin(nx_registry_t *r, bool wait, nx_reg_txn_t *tx)
{
    memset(tx, 0, sizeof *tx);
    tx->r = r;
    uint64_t deadline = nx__plat_now_ns() + (wait ? NX_REG_WAIT_NS : 0);
    for (unsigned i = 0;; i++) {
        nx_err_t err = lease_take(r, deadline, &tx->token);
        if (err != NX_OK)
            return err;
        err = claim_take(r, tx->token, &tx->buf);
        if (err == NX_OK)
            break;
        /* Every other buffer is claimed by a live writer (stopped ones keep
         * theirs): let the lease go and wait for one to finish. */
        lease_give(r, tx->token);
        if (nx__plat_now_ns() >= deadline) {
            NX_LOGW("registry", "domain '%s': no free registry buffer (writers stopped?)",
                    r->domain);
            return NX_EBUSY;
        }
        backoff(64 + i);
    }
    tx->base = atomic_load_explicit(&r->shm->hdr.current, memory_order_acquire);
    uint32_t cb = NX_REG_CUR_BUF(tx->base);
    if (cb >= NX_REG_TABLES || cb == tx->buf) {
        NX_LOGE("registry", "domain '%s': registry current word is garbage (0x%016llx)",
                r->domain, (unsigned long long)tx->base);
        claim_give(r, tx->buf, tx->token);
        lease_give(r, tx->token);
        return NX_ECORRUPT;
    }
    tx->t = &r->shm->tables[tx->buf];
    tables_copy(tx->t, &r->shm->tables[cb]);
    return NX_OK;
}

bool nx__registry_commit(nx_reg_txn_t *tx)
{
    nx_registry_t *r = tx->r;
    bool ok = true;
    if (tx->changed) {
        uint64_t want = tx->base;
        uint64_t next = NX_REG_CUR(NX_REG_CUR_SEQ(tx->base) + 1, tx->buf);
        /* Release: the copy's contents before the word that names it. */
        ok = atomic_compare_exchange_strong_explicit(
            &r->shm->hdr.current, &want, next, memory_order_acq_rel, memory_order_acquire);
    }
    claim_give(r, tx->buf, tx->token);
    lease_give(r, tx->token);
    return ok;
}

void nx__registry_abort(nx_reg_txn_t *tx)
{
    tx->changed = false;
    nx__registry_commit(tx);
}

/* A change applied by registry_update(): NX_OK with tx->changed set to
 * publish, NX_OK without it for "nothing to do", an error to give up. */
typedef nx_err_t (*change_fn)(nx_reg_txn_t *tx, void *ctx);

/* Apply fn to a fresh copy until it is published (fn runs again when
 * another writer published first: it must have no side effect). */
static nx_err_t registry_update(nx_registry_t *r, bool wait, change_fn fn, void *ctx)
{
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        nx_reg_txn_t tx;
        nx_err_t err = nx__registry_begin(r, wait, &tx);
        if (err != NX_OK)
            return err;
        err = fn(&tx, ctx);
        if (err != NX_OK) {
            nx__registry_abort(&tx);
            return err;
        }
        if (nx__registry_commit(&tx))
            return NX_OK;
    }
    return NX_EBUSY;
}

/* ---- readers ---------------------------------------------------------- */

typedef void (*read_fn)(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx);

/*
 * Run fn on the current version until it stays current for the whole run
 * (a writer can only change a version that is no longer current, so then
 * fn saw a version that nobody changed). fn copies what it needs and
 * bounds every index: the data may be torn until checked.
 */
static nx_err_t registry_read(nx_registry_t *r, read_fn fn, void *ctx)
{
    _Atomic uint64_t *current = &r->shm->hdr.current;
    for (unsigned i = 0; i < 10000; i++) {
        uint64_t cur = atomic_load_explicit(current, memory_order_acquire);
        uint32_t buf = NX_REG_CUR_BUF(cur);
        if (buf >= NX_REG_TABLES)
            return NX_ECORRUPT;
        fn(&r->shm->tables[buf], r, ctx);
        /* Order fn's reads before the re-check (seqlock). */
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(current, memory_order_relaxed) == cur)
            return NX_OK;
        backoff(i);
    }
    return NX_EBUSY;
}

static uint64_t beat_of(nx_registry_t *r, uint32_t slot)
{
    return atomic_load_explicit(&r->shm->beat_ns[slot], memory_order_relaxed);
}

/* ---- creating and attaching -------------------------------------------- */

nx_err_t nx__registry_check(const nx_registry_shm_t *s, size_t size)
{
    if (size < sizeof *s)
        return NX_ECORRUPT;
    if (atomic_load_explicit((_Atomic uint64_t *)&s->hdr.magic, memory_order_acquire) !=
        NX_REG_MAGIC)
        return NX_ECORRUPT;
    if (s->hdr.version != NX_LAYOUT_VERSION || s->hdr.abi != NX_ABI_WORD)
        return NX_EVERSION;
    if (s->hdr.size != sizeof *s || s->hdr.max_nodes != NX_REG_MAX_NODES ||
        s->hdr.max_topics != NX_REG_MAX_TOPICS || s->hdr.tables != NX_REG_TABLES)
        return NX_ECORRUPT;
    return NX_OK;
}

static nx_err_t registry_create(nx_registry_t *r)
{
    int fd;
    size_t size = sizeof(nx_registry_shm_t);
    nx_err_t err = nx__plat_shm_create(r->shm_name, size, r->mode, &fd);
    if (err != NX_OK)
        return err;
    void *p;
    err = nx__plat_shm_map(fd, size, &p);
    if (err != NX_OK) {
        close(fd);
        nx__plat_shm_unlink(r->shm_name);
        return err;
    }
    nx_registry_shm_t *s = p;
    /* The object is zero-filled: buffer 0 holds the first version, empty.
     * Set up the header, store the magic last so an opener never uses a
     * half-built registry. */
    s->hdr.version = NX_LAYOUT_VERSION;
    s->hdr.abi = NX_ABI_WORD;
    s->hdr.size = size;
    s->hdr.max_nodes = NX_REG_MAX_NODES;
    s->hdr.max_topics = NX_REG_MAX_TOPICS;
    s->hdr.tables = NX_REG_TABLES;
    s->hdr.creator_pid = (uint32_t)getpid();
    s->hdr.creator_start = nx__plat_proc_start_time(getpid());
    atomic_store_explicit(&s->hdr.current, NX_REG_CUR(1, 0), memory_order_relaxed);
    atomic_store_explicit((_Atomic uint64_t *)&s->hdr.magic, NX_REG_MAGIC,
                          memory_order_release);
    r->shm = s;
    r->size = size;
    r->fd = fd;
    NX_LOGD("registry", "created %s", r->shm_name);
    return NX_OK;
}

/* Open an existing registry; waits briefly for its creator to finish. */
static nx_err_t registry_attach(nx_registry_t *r)
{
    int fd;
    size_t size;
    nx_err_t err = nx__plat_shm_open(r->shm_name, &fd, &size);
    if (err != NX_OK)
        return err;
    if (size < sizeof(nx_reg_header_t)) {
        /* Created but not sized yet, or truncated: give the creator time. */
        for (int i = 0; i < 200 && size < sizeof(nx_reg_header_t); i++) {
            nx__plat_sleep_ns(5000000);
            close(fd);
            err = nx__plat_shm_open(r->shm_name, &fd, &size);
            if (err != NX_OK)
                return err;
        }
        if (size < sizeof(nx_registry_shm_t)) {
            close(fd);
            return NX_ECORRUPT;
        }
    }
    if (size != sizeof(nx_registry_shm_t)) {
        close(fd);
        return size < sizeof(nx_registry_shm_t) ? NX_ECORRUPT : NX_EVERSION;
    }
    void *p;
    err = nx__plat_shm_map(fd, size, &p);
    if (err != NX_OK) {
        close(fd);
        return err;
    }
    nx_registry_shm_t *s = p;
    /* Up to a second for the creator to store the magic. */
    for (int i = 0; i < 200; i++) {
        err = nx__registry_check(s, size);
        if (err != NX_ECORRUPT || atomic_load_explicit((_Atomic uint64_t *)&s->hdr.magic,
                                                       memory_order_acquire) != 0)
            break;
        nx__plat_sleep_ns(5000000);
    }
    if (err != NX_OK) {
        munmap(p, size);
        close(fd);
        return err;
    }
    r->shm = s;
    r->size = size;
    r->fd = fd;
    return NX_OK;
}

static void registry_unmap(nx_registry_t *r)
{
    if (r->shm)
        munmap(r->shm, r->size);
    if (r->fd >= 0)
        close(r->fd);
    r->shm = NULL;
    r->fd = -1;
}

static void read_closed(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    (void)r;
    *(bool *)ctx = t->closed != 0;
}

/* Attach to the domain's registry or create it; one whose last node is
 * leaving (closed) is left for a new one. */
static nx_err_t registry_connect(nx_registry_t *r)
{
    nx_err_t err = NX_ESYS;
    for (int attempt = 0; attempt < 50; attempt++) {
        err = registry_attach(r);
        if (err == NX_ENOTFOUND) {
            err = registry_create(r);
            if (err == NX_EEXIST)
                continue; /* lost the race to create it: open it */
            if (err != NX_OK)
                break;
        } else if (err != NX_OK) {
            if (err == NX_ECORRUPT)
                NX_LOGE("registry",
                        "%s failed validation (wrong magic or size); "
                        "remove it with 'nexus clean --domain %s' when no node runs",
                        r->shm_name, r->domain);
            else if (err == NX_EVERSION)
                NX_LOGE("registry", "%s has another layout version or ABI", r->shm_name);
            else if (err == NX_EPERM)
                NX_LOGE("registry", "%s belongs to another user", r->shm_name);
            break;
        }
        bool closed = false;
        if ((err = registry_read(r, read_closed, &closed)) != NX_OK) {
            registry_unmap(r);
            break;
        }
        if (!closed)
            return NX_OK;
        registry_unmap(r);
        nx__plat_sleep_ns(1000000);
        err = NX_EBUSY;
    }
    return err;
}

nx_err_t nx__registry_open(const char *domain, unsigned mode, nx_registry_t **out)
{
    if (!nx__domain_name_ok(domain))
        return NX_EINVAL;
    nx_registry_t *r = calloc(1, sizeof *r);
    if (!r)
        return NX_ENOMEM;
    copy_name(r->domain, sizeof r->domain, domain);
    snprintf(r->shm_name, sizeof r->shm_name, "/nexus.%s.registry", domain);
    r->fd = -1;
    r->mode = mode;
    r->reap = malloc(sizeof *r->reap);
    if (!r->reap) {
        free(r);
        return NX_ENOMEM;
    }
    nx_err_t err = registry_connect(r);
    if (err != NX_OK) {
        free(r->reap);
        free(r);
        return err;
    }
    *out = r;
    return NX_OK;
}

static nx_err_t change_close(nx_reg_txn_t *tx, void *ctx)
{
    (void)ctx;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *n = &tx->t->nodes[i];
        if (n->state == NX_NODE_ALIVE && nx__node_process_alive(tx->r->domain, n))
            return NX_OK; /* somebody is still here: nothing to do */
    }
    tx->t->closed = 1;
    tx->changed = true;
    return NX_OK;
}

void nx__registry_close(nx_registry_t *r, bool unlink_if_empty)
{
    if (!r)
        return;
    if (r->shm && unlink_if_empty) {
        /* Closed and unlinked in that order: a node that attached before
         * the unlink sees `closed` in its next change and starts over. */
        uint64_t before = nx__registry_generation(r);
        if (registry_update(r, true, change_close, NULL) == NX_OK) {
            bool closed = false;
            registry_read(r, read_closed, &closed);
            if (closed && nx__registry_generation(r) != before) {
                nx__plat_shm_unlink(r->shm_name);
                NX_LOGD("registry", "last node left; removed %s", r->shm_name);
            }
        }
    }
    registry_unmap(r);
    free(r->reap);
    free(r);
}

/* ---- node entries --------------------------------------------------------- */

typedef struct add_ctx {
    const nx_reg_node_info_t *info;
    uint32_t slot, inc;
    bool closed;
} add_ctx_t;

static nx_err_t change_node_add(nx_reg_txn_t *tx, void *ctx)
{
    add_ctx_t *a = ctx;
    const nx_reg_node_info_t *info = a->info;
    nx_reg_tables_t *t = tx->t;
    if (t->closed) {
        a->closed = true;
        return NX_EBUSY;
    }
    uint32_t free_slot = UINT32_MAX;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &t->nodes[i];
        if (n->state == NX_NODE_ALIVE && field_eq(n->name, sizeof n->name, info->name)) {
            if (nx__node_process_alive(tx->r->domain, n))
                return NX_EEXIST;
            NX_LOGI("registry", "node '%s' (pid %u) is gone; reusing its name", info->name,
                    n->pid);
            tables_node_free(t, i);
        }
        if (n->state != NX_NODE_ALIVE && free_slot == UINT32_MAX)
            free_slot = i;
    }
    if (free_slot == UINT32_MAX)
        return NX_ELIMIT;
    nx_reg_node_t *n = &t->nodes[free_slot];
    n->incarnation++;
    n->pid = (uint32_t)getpid();
    n->start_time = nx__plat_proc_start_time(getpid());
    n->notify = info->notify;
    n->max_queues = info->max_queues;
    n->queue_capacity = info->queue_capacity;
    n->message_size = info->message_size;
    n->heartbeat_ms = info->heartbeat_ms;
    n->heartbeat_timeout_ms = info->heartbeat_timeout_ms;
    copy_name(n->name, sizeof n->name, info->name);
    copy_name(n->segment, sizeof n->segment, info->segment);
    memset(n->large_segment, 0, sizeof n->large_segment);
    atomic_store_explicit(&n->heartbeat_ns, 0, memory_order_relaxed);
    n->state = NX_NODE_ALIVE;
    /* The beat goes first: nobody sees the entry before it has one. */
    atomic_store_explicit(&tx->r->shm->beat_ns[free_slot], nx__plat_now_ns(),
                          memory_order_relaxed);
    a->slot = free_slot;
    a->inc = n->incarnation;
    tx->changed = true;
    return NX_OK;
}

nx_err_t nx__registry_node_add(nx_registry_t *r, const nx_reg_node_info_t *info,
                               uint32_t *slot_out, uint32_t *inc_out)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        add_ctx_t a = {.info = info};
        nx_err_t err = registry_update(r, true, change_node_add, &a);
        if (err == NX_OK) {
            *slot_out = a.slot;
            *inc_out = a.inc;
            return NX_OK;
        }
        if (!a.closed)
            return err;
        /* Its last node closed it after we opened it: a new one. */
        registry_unmap(r);
        if ((err = registry_connect(r)) != NX_OK)
            return err;
    }
    return NX_EBUSY;
}

typedef struct node_ref {
    uint32_t slot, inc;
    const char *segment; /* set_large */
} node_ref_t;

static nx_err_t change_node_remove(nx_reg_txn_t *tx, void *ctx)
{
    const node_ref_t *ref = ctx;
    nx_reg_node_t *n = &tx->t->nodes[ref->slot];
    if (n->state == NX_NODE_ALIVE && n->incarnation == ref->inc) {
        tables_node_free(tx->t, ref->slot);
        tx->changed = true;
    }
    return NX_OK;
}

void nx__registry_node_remove(nx_registry_t *r, uint32_t slot, uint32_t inc)
{
    node_ref_t ref = {slot, inc, NULL};
    if (slot < NX_REG_MAX_NODES)
        registry_update(r, true, change_node_remove, &ref);
}

static nx_err_t change_node_set_large(nx_reg_txn_t *tx, void *ctx)
{
    const node_ref_t *ref = ctx;
    nx_reg_node_t *n = &tx->t->nodes[ref->slot];
    if (n->state == NX_NODE_ALIVE && n->incarnation == ref->inc) {
        copy_name(n->large_segment, sizeof n->large_segment, ref->segment);
        atomic_fetch_add_explicit(&n->large_gen, 1, memory_order_relaxed);
        tx->changed = true;
    }
    return NX_OK;
}

void nx__registry_node_set_large(nx_registry_t *r, uint32_t slot, uint32_t inc,
                                 const char *segment)
{
    node_ref_t ref = {slot, inc, segment};
    if (slot < NX_REG_MAX_NODES)
        registry_update(r, true, change_node_set_large, &ref);
}

void nx__registry_node_beat(nx_registry_t *r, uint32_t slot, uint64_t now_ns)
{
    if (slot < NX_REG_MAX_NODES)
        atomic_store_explicit(&r->shm->beat_ns[slot], now_ns, memory_order_relaxed);
}

/* ---- topic entries --------------------------------------------------------- */

nx_err_t nx__registry_tx_topic_attach(nx_reg_txn_t *tx, const char *group,
                                      const char *topic, const nx_type_desc_t *type,
                                      uint32_t node_slot, bool publisher,
                                      uint32_t *topic_slot, uint32_t *topic_inc,
                                      char *other_type, size_t other_size)
{
    if (node_slot >= NX_REG_MAX_NODES)
        return NX_EINVAL;
    nx_reg_tables_t *t = tx->t;
    uint32_t found = UINT32_MAX, free_slot = UINT32_MAX;
    for (uint32_t ts = 0; ts < NX_REG_MAX_TOPICS; ts++) {
        if (!topic_in_use(t, ts)) {
            if (free_slot == UINT32_MAX)
                free_slot = ts;
            continue;
        }
        const nx_reg_topic_t *tp = &t->topics[ts];
        if (field_eq(tp->group, sizeof tp->group, group) &&
            field_eq(tp->name, sizeof tp->name, topic)) {
            found = ts;
            break;
        }
    }
    if (found == UINT32_MAX) {
        if (free_slot == UINT32_MAX)
            return NX_ELIMIT;
        found = free_slot;
        nx_reg_topic_t *tp = &t->topics[found];
        memset(tp, 0, sizeof *tp);
        copy_name(tp->group, sizeof tp->group, group);
        copy_name(tp->name, sizeof tp->name, topic);
        tp->incarnation = ++t->topic_inc[found];
        tp->used = 1;
        bitmap_set(t->topic_used, found);
    }
    nx_reg_topic_t *tp = &t->topics[found];
    if (type) {
        if (tp->fingerprint == 0) {
            tp->fingerprint = type->fingerprint;
            tp->type_size = type->size;
            copy_name(tp->type_name, sizeof tp->type_name, type->name ? type->name : "?");
        } else if (tp->fingerprint != type->fingerprint) {
            if (other_type && other_size)
                snprintf(other_type, other_size, "%s", tp->type_name);
            /* The caller aborts: a topic created only to find the clash
             * is never published. */
            return NX_ETYPE;
        }
    }
    bitmap_set(publisher ? tp->pubs : tp->subs, node_slot);
    *topic_slot = found;
    *topic_inc = tp->incarnation;
    tx->changed = true;
    return NX_OK;
}

typedef struct attach_ctx {
    const char *group, *topic;
    const nx_type_desc_t *type;
    uint32_t node_slot;
    bool publisher;
    uint32_t topic_slot, topic_inc;
    char *other;
    size_t other_size;
} attach_ctx_t;

static nx_err_t change_topic_attach(nx_reg_txn_t *tx, void *ctx)
{
    attach_ctx_t *a = ctx;
    return nx__registry_tx_topic_attach(tx, a->group, a->topic, a->type, a->node_slot,
                                        a->publisher, &a->topic_slot, &a->topic_inc,
                                        a->other, a->other_size);
}

nx_err_t nx__registry_topic_attach(nx_registry_t *r, const char *group, const char *topic,
                                   const nx_type_desc_t *type, uint32_t node_slot,
                                   bool publisher, uint32_t *topic_slot,
                                   uint32_t *topic_inc, char *other_type, size_t other_size)
{
    attach_ctx_t a = {group, topic, type,       node_slot, publisher,
                      0,     0,     other_type, other_size};
    nx_err_t err = registry_update(r, true, change_topic_attach, &a);
    if (err == NX_OK) {
        *topic_slot = a.topic_slot;
        *topic_inc = a.topic_inc;
    }
    return err;
}

typedef struct svc_ctx {
    const char *name;
    const nx_type_desc_t *request, *reply;
    uint32_t node_slot, topic_slot, topic_inc;
    nx_reg_service_t *out;
    bool found;
} svc_ctx_t;

/* The slot of topic (group, name) in t, or UINT32_MAX. */
static uint32_t topic_find(const nx_reg_tables_t *t, const char *group, const char *name)
{
    for (uint32_t ts = 0; ts < NX_REG_MAX_TOPICS; ts++) {
        if (!topic_in_use(t, ts))
            continue;
        const nx_reg_topic_t *tp = &t->topics[ts];
        if (field_eq(tp->group, sizeof tp->group, group) &&
            field_eq(tp->name, sizeof tp->name, name))
            return ts;
    }
    return UINT32_MAX;
}

static nx_err_t change_service_serve(nx_reg_txn_t *tx, void *ctx)
{
    svc_ctx_t *c = ctx;
    nx_reg_tables_t *t = tx->t;
    uint32_t ts = topic_find(t, NX_SVC_GROUP, c->name);
    if (ts != UINT32_MAX) {
        /* The copy keeps bits of alive entries only: any bit is a server. */
        if (!bitmap_empty(t->topics[ts].subs))
            return NX_EEXIST;
    } else {
        for (ts = 0; ts < NX_REG_MAX_TOPICS && topic_in_use(t, ts); ts++)
            ;
        if (ts == NX_REG_MAX_TOPICS)
            return NX_ELIMIT;
        nx_reg_topic_t *tp = &t->topics[ts];
        memset(tp, 0, sizeof *tp);
        copy_name(tp->group, sizeof tp->group, NX_SVC_GROUP);
        copy_name(tp->name, sizeof tp->name, c->name);
        tp->incarnation = ++t->topic_inc[ts];
        tp->used = 1;
        bitmap_set(t->topic_used, ts);
    }
    nx_reg_topic_t *tp = &t->topics[ts];
    tp->fingerprint = c->request->fingerprint;
    tp->reply_fingerprint = c->reply->fingerprint;
    tp->type_size = c->request->size;
    snprintf(tp->type_name, sizeof tp->type_name, "%.60s -> %.60s",
             c->request->name ? c->request->name : "?",
             c->reply->name ? c->reply->name : "?");
    bitmap_set(tp->subs, c->node_slot);
    c->topic_slot = ts;
    c->topic_inc = tp->incarnation;
    tx->changed = true;
    return NX_OK;
}

nx_err_t nx__registry_service_serve(nx_registry_t *r, const char *name,
                                    const nx_type_desc_t *request,
                                    const nx_type_desc_t *reply, uint32_t node_slot,
                                    uint32_t *topic_slot, uint32_t *topic_inc)
{
    if (node_slot >= NX_REG_MAX_NODES)
        return NX_EINVAL;
    svc_ctx_t c = {
        .name = name, .request = request, .reply = reply, .node_slot = node_slot};
    nx_err_t err = registry_update(r, true, change_service_serve, &c);
    if (err == NX_OK) {
        *topic_slot = c.topic_slot;
        *topic_inc = c.topic_inc;
    }
    return err;
}

static void read_service(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    (void)r;
    svc_ctx_t *c = ctx;
    c->found = false;
    uint32_t ts = topic_find(t, NX_SVC_GROUP, c->name);
    if (ts == UINT32_MAX)
        return;
    const nx_reg_topic_t *tp = &t->topics[ts];
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        if (!bitmap_test(tp->subs, i) || t->nodes[i].state != NX_NODE_ALIVE)
            continue;
        nx_reg_service_t *o = c->out;
        o->topic_slot = ts;
        o->topic_inc = tp->incarnation;
        o->request_fp = tp->fingerprint;
        o->reply_fp = tp->reply_fingerprint;
        memcpy(o->type_name, tp->type_name, sizeof o->type_name);
        o->server_slot = i;
        memcpy(&o->server, &t->nodes[i], sizeof o->server);
        c->found = true;
        return;
    }
}

nx_err_t nx__registry_service_find(nx_registry_t *r, const char *name,
                                   nx_reg_service_t *out)
{
    svc_ctx_t c = {.name = name, .out = out};
    nx_err_t err = registry_read(r, read_service, &c);
    if (err != NX_OK)
        return err;
    if (!c.found)
        return NX_ENOTFOUND;
    out->type_name[sizeof out->type_name - 1] = '\0';
    out->server.name[sizeof out->server.name - 1] = '\0';
    out->server.segment[sizeof out->server.segment - 1] = '\0';
    out->server.large_segment[sizeof out->server.large_segment - 1] = '\0';
    return NX_OK;
}

typedef struct topic_ref {
    uint32_t topic_slot, topic_inc, node_slot;
    bool publisher;
    uint32_t policy; /* set_policy */
} topic_ref_t;

static nx_err_t change_topic_detach(nx_reg_txn_t *tx, void *ctx)
{
    const topic_ref_t *ref = ctx;
    nx_reg_tables_t *t = tx->t;
    if (!topic_in_use(t, ref->topic_slot))
        return NX_OK;
    nx_reg_topic_t *tp = &t->topics[ref->topic_slot];
    if (tp->incarnation != ref->topic_inc)
        return NX_OK;
    bitmap_clear(ref->publisher ? tp->pubs : tp->subs, ref->node_slot);
    if (ref->publisher)
        tp->pub_policy[ref->node_slot] = 0;
    if (bitmap_empty(tp->pubs) && bitmap_empty(tp->subs)) {
        tp->used = 0;
        bitmap_clear(t->topic_used, ref->topic_slot);
    }
    tx->changed = true;
    return NX_OK;
}

void nx__registry_topic_detach(nx_registry_t *r, uint32_t topic_slot, uint32_t topic_inc,
                               uint32_t node_slot, bool publisher)
{
    topic_ref_t ref = {topic_slot, topic_inc, node_slot, publisher, 0};
    if (topic_slot < NX_REG_MAX_TOPICS && node_slot < NX_REG_MAX_NODES)
        registry_update(r, true, change_topic_detach, &ref);
}

static nx_err_t change_topic_policy(nx_reg_txn_t *tx, void *ctx)
{
    const topic_ref_t *ref = ctx;
    if (!topic_in_use(tx->t, ref->topic_slot))
        return NX_OK;
    nx_reg_topic_t *tp = &tx->t->topics[ref->topic_slot];
    if (tp->incarnation == ref->topic_inc && bitmap_test(tp->pubs, ref->node_slot) &&
        tp->pub_policy[ref->node_slot] != ref->policy) {
        tp->pub_policy[ref->node_slot] = ref->policy;
        tx->changed = true;
    }
    return NX_OK;
}

void nx__registry_topic_set_policy(nx_registry_t *r, uint32_t topic_slot,
                                   uint32_t topic_inc, uint32_t node_slot,
                                   nx_on_full_t on_full, uint32_t block_ms)
{
    topic_ref_t ref = {topic_slot, topic_inc, node_slot, true,
                       (on_full == NX_ON_FULL_BLOCK ? NX_REG_POLICY_BLOCK : 0) |
                           (block_ms & NX_REG_POLICY_MS_MASK)};
    if (topic_slot < NX_REG_MAX_TOPICS && node_slot < NX_REG_MAX_NODES)
        registry_update(r, true, change_topic_policy, &ref);
}

/* ---- reaping ------------------------------------------------------------------ */

/* Unlink a segment named in a registry entry, but only if the name is one
 * of this domain's node or large-data objects (the entry is untrusted). */
static void registry_unlink_owned(nx_registry_t *r, const char *field)
{
    char seg[NX_SEG_NAME_MAX + 1];
    copy_name(seg, sizeof seg, field);
    if (!nx__segment_name_ok(r->domain, seg, 0, true))
        return;
    /* Whatever the entry says, an object whose liveness lock is held
     * belongs to a running process: a forged or stale entry must not make
     * us unlink a live node's segment. */
    int fd;
    size_t size;
    if (nx__plat_shm_open(seg, &fd, &size) == NX_OK) {
        int held = nx__plat_live_lock_held(fd);
        close(fd);
        if (held == 1) {
            NX_LOGW("registry", "%s is in use by a running process: not removed", seg);
            return;
        }
    }
    nx__plat_shm_unlink(seg);
}

static void read_nodes(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    reap_ctx_t *c = ctx;
    memcpy(c->nodes, t->nodes, sizeof c->nodes);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        atomic_store_explicit(&c->nodes[i].heartbeat_ns, beat_of(r, i),
                              memory_order_relaxed);
}

static nx_err_t change_reap(nx_reg_txn_t *tx, void *ctx)
{
    reap_ctx_t *c = ctx;
    c->reaped = 0;
    for (uint32_t k = 0; k < c->n_victims; k++) {
        const reap_entry_t *v = &c->victims[k];
        nx_reg_node_t *n = &tx->t->nodes[v->slot];
        if (n->state != NX_NODE_ALIVE || n->incarnation != v->inc || n->pid != v->pid)
            continue; /* left or reaped meanwhile */
        tables_node_free(tx->t, v->slot);
        c->reaped++;
        tx->changed = true;
    }
    return NX_OK;
}

uint32_t nx__registry_reap(nx_registry_t *r, uint64_t now_ns, uint64_t timeout_ns,
                           uint32_t self, bool all, bool wait)
{
    reap_ctx_t *c = r->reap;
    c->n_victims = 0;
    c->reaped = 0;
    if (registry_read(r, read_nodes, c) != NX_OK)
        return 0;
    /* Probe (system calls) only the late, and without the lease. */
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &c->nodes[i];
        if (i == self || n->state != NX_NODE_ALIVE)
            continue;
        n->name[sizeof n->name - 1] = '\0';
        n->segment[sizeof n->segment - 1] = '\0';
        n->large_segment[sizeof n->large_segment - 1] = '\0';
        uint64_t beat = atomic_load_explicit(&n->heartbeat_ns, memory_order_relaxed);
        uint64_t period_ns =
            (uint64_t)(n->heartbeat_ms ? n->heartbeat_ms : 1000u) * 1000000u;
        if (!all && now_ns <= beat + period_ns + period_ns / 2)
            continue;
        /* The one liveness rule (domain.c), with the reaper's timeout; a
         * timeout of 0 asks only whether the process is gone. */
        nx_node_state_t st = nx__node_liveness(r->domain, n, now_ns,
                                               timeout_ns ? timeout_ns : UINT64_MAX, NULL);
        if (st == NX_NODE_STATE_ALIVE)
            continue;
        reap_entry_t *v = &c->victims[c->n_victims++];
        v->slot = i;
        v->inc = n->incarnation;
        v->pid = n->pid;
        v->gone = st == NX_NODE_STATE_DEAD;
        memcpy(v->segment, n->segment, sizeof v->segment);
        memcpy(v->large_segment, n->large_segment, sizeof v->large_segment);
    }
    uint32_t reaped = 0;
    if (c->n_victims && registry_update(r, wait, change_reap, c) == NX_OK) {
        reaped = c->reaped;
        for (uint32_t k = 0; k < c->n_victims; k++) {
            const reap_entry_t *v = &c->victims[k];
            char name[NX_NODE_NAME_MAX + 1];
            copy_name(name, sizeof name, c->nodes[v->slot].name);
            NX_LOGW("registry", "node '%s' (pid %u) is %s; removed it", name, v->pid,
                    v->gone ? "gone" : "not responding (heartbeat stopped)");
            /* Its process is dead: nobody else will remove its objects. A
             * hung node keeps them; it may wake up and leave cleanly. */
            if (v->gone) {
                registry_unlink_owned(r, v->segment);
                registry_unlink_owned(r, v->large_segment);
            }
        }
    }
    return reaped;
}

/* ---- queries: the only way other modules read the tables ---------------- */

typedef struct query_ctx {
    uint32_t slot, inc, pid;
    bool ok;
    nx_reg_node_t *out;
} query_ctx_t;

static void read_node_current(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    (void)r;
    query_ctx_t *q = ctx;
    const nx_reg_node_t *n = &t->nodes[q->slot];
    q->ok = n->state == NX_NODE_ALIVE && n->incarnation == q->inc &&
            (!q->pid || n->pid == q->pid);
}

bool nx__registry_node_current(nx_registry_t *r, uint32_t slot, uint32_t inc, uint32_t pid)
{
    if (slot >= NX_REG_MAX_NODES)
        return false;
    query_ctx_t q = {slot, inc, pid, false, NULL};
    if (registry_read(r, read_node_current, &q) != NX_OK)
        return true; /* cannot tell: the caller asks again later */
    return q.ok;
}

static void read_node_copy(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    query_ctx_t *q = ctx;
    const nx_reg_node_t *n = &t->nodes[q->slot];
    q->ok = n->state == NX_NODE_ALIVE && n->incarnation == q->inc;
    if (q->ok) {
        memcpy(q->out, n, sizeof *q->out);
        atomic_store_explicit(&q->out->heartbeat_ns, beat_of(r, q->slot),
                              memory_order_relaxed);
    }
}

nx_err_t nx__registry_node_copy(nx_registry_t *r, uint32_t slot, uint32_t inc,
                                nx_reg_node_t *out)
{
    if (slot >= NX_REG_MAX_NODES)
        return NX_ENOTFOUND;
    query_ctx_t q = {slot, inc, 0, false, out};
    nx_err_t err = registry_read(r, read_node_copy, &q);
    if (err != NX_OK)
        return err;
    if (!q.ok)
        return NX_ENOTFOUND;
    out->name[sizeof out->name - 1] = '\0';
    out->segment[sizeof out->segment - 1] = '\0';
    out->large_segment[sizeof out->large_segment - 1] = '\0';
    return NX_OK;
}

typedef struct alive_ctx {
    bool *alive;
    uint32_t *inc;
} alive_ctx_t;

static void read_alive(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    (void)r;
    alive_ctx_t *a = ctx;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        a->alive[i] = t->nodes[i].state == NX_NODE_ALIVE;
        a->inc[i] = t->nodes[i].incarnation;
    }
}

nx_err_t nx__registry_alive(nx_registry_t *r, bool alive[NX_REG_MAX_NODES],
                            uint32_t inc[NX_REG_MAX_NODES])
{
    alive_ctx_t a = {alive, inc};
    return registry_read(r, read_alive, &a);
}

typedef struct subs_ctx {
    uint32_t topic_slot, topic_inc;
    uint32_t *slots;
    nx_reg_node_t *entries;
    uint32_t count;
    uint64_t gen;
} subs_ctx_t;

static void read_subscribers(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    subs_ctx_t *s = ctx;
    s->count = 0;
    s->gen = nx__registry_generation(r);
    if (!topic_in_use(t, s->topic_slot))
        return;
    const nx_reg_topic_t *tp = &t->topics[s->topic_slot];
    if (tp->incarnation != s->topic_inc)
        return;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *e = &t->nodes[i];
        if (!bitmap_test(tp->subs, i) || e->state != NX_NODE_ALIVE)
            continue;
        s->slots[s->count] = i;
        memcpy(&s->entries[s->count], e, sizeof *e);
        s->count++;
    }
}

nx_err_t nx__registry_subscribers(nx_registry_t *r, uint32_t topic_slot, uint32_t topic_inc,
                                  uint32_t slots[NX_REG_MAX_NODES],
                                  nx_reg_node_t entries[NX_REG_MAX_NODES], uint32_t *count,
                                  uint64_t *gen)
{
    subs_ctx_t s = {topic_slot, topic_inc, slots, entries, 0, 0};
    nx_err_t err = registry_read(r, read_subscribers, &s);
    if (err != NX_OK)
        return err;
    for (uint32_t k = 0; k < s.count; k++) {
        entries[k].name[sizeof entries[k].name - 1] = '\0';
        entries[k].segment[sizeof entries[k].segment - 1] = '\0';
        entries[k].large_segment[sizeof entries[k].large_segment - 1] = '\0';
    }
    *count = s.count;
    *gen = s.gen;
    return NX_OK;
}

typedef struct count_ctx {
    const char *group, *topic, *name;
    size_t count;
    uint32_t pid;
    bool found;
} count_ctx_t;

static void read_subscriber_count(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    (void)r;
    count_ctx_t *c = ctx;
    c->count = 0;
    for (uint32_t ts = 0; ts < NX_REG_MAX_TOPICS; ts++) {
        if (!topic_in_use(t, ts))
            continue;
        const nx_reg_topic_t *tp = &t->topics[ts];
        if (!field_eq(tp->group, sizeof tp->group, c->group) ||
            !field_eq(tp->name, sizeof tp->name, c->topic))
            continue;
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
            if (bitmap_test(tp->subs, i) && t->nodes[i].state == NX_NODE_ALIVE)
                c->count++;
        break;
    }
}

nx_err_t nx__registry_subscriber_count(nx_registry_t *r, const char *group,
                                       const char *topic, size_t *count)
{
    count_ctx_t c = {.group = group, .topic = topic};
    nx_err_t err = registry_read(r, read_subscriber_count, &c);
    if (err == NX_OK)
        *count = c.count;
    return err;
}

static void read_node_pid(const nx_reg_tables_t *t, nx_registry_t *r, void *ctx)
{
    (void)r;
    count_ctx_t *c = ctx;
    c->found = false;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *n = &t->nodes[i];
        if (n->state == NX_NODE_ALIVE && field_eq(n->name, sizeof n->name, c->name)) {
            c->pid = n->pid;
            c->found = true;
            break;
        }
    }
}

nx_err_t nx__registry_node_pid(nx_registry_t *r, const char *name, uint32_t *pid)
{
    count_ctx_t c = {.name = name};
    nx_err_t err = registry_read(r, read_node_pid, &c);
    if (err != NX_OK)
        return err;
    if (!c.found)
        return NX_ENOTFOUND;
    if (pid)
        *pid = c.pid;
    return NX_OK;
}

/* ---- the tables, copied without the lock (inspection, clean-up) -------------- */

static void why_set(char *why, size_t size, const char *fmt, ...) NX_ATTR_PRINTF(3, 4);
static void why_set(char *why, size_t size, const char *fmt, ...)
{
    if (!why || !size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
}

/* Make a copy of the current tables safe to read as C data: strings
 * terminated, unused topic entries zeroed. */
static void view_finish(nx_reg_view_t *v, const uint64_t beats[NX_REG_MAX_NODES])
{
    nx_reg_tables_t *t = &v->t;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &t->nodes[i];
        n->name[sizeof n->name - 1] = '\0';
        n->segment[sizeof n->segment - 1] = '\0';
        n->large_segment[sizeof n->large_segment - 1] = '\0';
        atomic_store_explicit(&n->heartbeat_ns, beats[i], memory_order_relaxed);
    }
    for (uint32_t ts = 0; ts < NX_REG_MAX_TOPICS; ts++) {
        nx_reg_topic_t *tp = &t->topics[ts];
        if (!topic_in_use(t, ts)) {
            memset(tp, 0, sizeof *tp);
            continue;
        }
        tp->used = 1;
        tp->group[sizeof tp->group - 1] = '\0';
        tp->name[sizeof tp->name - 1] = '\0';
        tp->type_name[sizeof tp->type_name - 1] = '\0';
    }
}

nx_registry_status_t nx__registry_load(const char *domain, nx_reg_view_t **view_out,
                                       bool *consistent, char *why, size_t why_size)
{
    why_set(why, why_size, "%s", "");
    char path[NX_SHM_NAME_MAX];
    snprintf(path, sizeof path, "/nexus.%s.registry", domain);
    int fd;
    size_t size = 0;
    nx_err_t err = nx__shm_open_ro(path, &fd, &size);
    if (err == NX_ENOTFOUND)
        return NX_REGISTRY_MISSING;
    if (err != NX_OK) {
        why_set(why, why_size, "cannot open it: %s", strerror(errno));
        return NX_REGISTRY_UNREADABLE;
    }
    const size_t want = sizeof(nx_registry_shm_t);
    /* A creator sizes the object right after creating it: give it a second. */
    for (int i = 0; i < 100 && size < sizeof(nx_reg_header_t); i++) {
        nx__plat_sleep_ns(10000000);
        struct stat st;
        if (fstat(fd, &st) == 0)
            size = (size_t)st.st_size;
    }
    nx_registry_status_t result = NX_REGISTRY_BAD;
    nx_reg_view_t *copy = NULL;
    if (size < sizeof(nx_reg_header_t)) {
        why_set(why, why_size,
                "it is only %zu bytes long (truncated, or not a Nexus "
                "registry)",
                size);
        goto out;
    }
    nx_reg_header_t hdr;
    /* The creator stores the magic last: give it a second to finish. */
    for (int i = 0; i < 100; i++) {
        if (nx__pread_all(fd, &hdr, sizeof hdr, 0) != sizeof hdr) {
            why_set(why, why_size, "it shrank while being read");
            goto out;
        }
        if (hdr.magic != 0)
            break;
        nx__plat_sleep_ns(10000000);
    }
    if (hdr.magic != NX_REG_MAGIC) {
        why_set(why, why_size, "wrong magic 0x%016llx (want 0x%016llx%s)",
                (unsigned long long)hdr.magic, (unsigned long long)NX_REG_MAGIC,
                hdr.magic == 0 ? "; its creator never finished" : "");
    } else if (hdr.version != NX_LAYOUT_VERSION) {
        why_set(why, why_size,
                "layout version %u, this library reads version %u "
                "(written by another Nexus release)",
                hdr.version, NX_LAYOUT_VERSION);
    } else if (hdr.abi != NX_ABI_WORD) {
        why_set(why, why_size,
                "ABI word 0x%08x, this library has 0x%08x (written by a "
                "program for another architecture or C library)",
                hdr.abi, (unsigned)NX_ABI_WORD);
    } else if (size != want || hdr.size != want) {
        why_set(why, why_size, "size %zu bytes (header says %llu), want %zu", size,
                (unsigned long long)hdr.size, want);
    } else if (hdr.max_nodes != NX_REG_MAX_NODES || hdr.max_topics != NX_REG_MAX_TOPICS ||
               hdr.tables != NX_REG_TABLES) {
        why_set(why, why_size,
                "table sizes %u nodes / %u topics / %u versions, want %u / %u / %u",
                hdr.max_nodes, hdr.max_topics, hdr.tables, NX_REG_MAX_NODES,
                NX_REG_MAX_TOPICS, NX_REG_TABLES);
    } else {
        result = NX_REGISTRY_OK;
    }
    if (result != NX_REGISTRY_OK)
        goto out;
    result = NX_REGISTRY_BAD; /* until the copy is made */
    copy = aligned_alloc(_Alignof(nx_reg_view_t), sizeof *copy);
    uint64_t *beats = malloc(sizeof(uint64_t) * NX_REG_MAX_NODES);
    if (!copy || !beats) {
        free(beats);
        why_set(why, why_size, "out of memory");
        result = NX_REGISTRY_UNREADABLE;
        goto out;
    }
    /* No lease. A version is never changed while it is current, so a copy
     * of the current buffer with the same current word before and after
     * is exact (the seqlock of registry_read(), through pread). */
    const uint64_t cur_off = offsetof(nx_reg_header_t, current);
    bool settled = false;
    uint64_t c1 = 0, c2 = 0;
    for (int attempt = 0; attempt < 20 && !settled; attempt++) {
        if (nx__pread_all(fd, &c1, sizeof c1, cur_off) != sizeof c1) {
            why_set(why, why_size, "it shrank while being read");
            free(beats);
            goto out;
        }
        uint32_t buf = NX_REG_CUR_BUF(c1);
        if (buf >= NX_REG_TABLES) {
            why_set(why, why_size, "its current-version word is garbage (0x%016llx)",
                    (unsigned long long)c1);
            free(beats);
            goto out;
        }
        uint64_t off = offsetof(nx_registry_shm_t, tables) + buf * sizeof(nx_reg_tables_t);
        if (nx__pread_all(fd, &copy->t, sizeof copy->t, off) != sizeof copy->t ||
            nx__pread_all(fd, beats, sizeof(uint64_t) * NX_REG_MAX_NODES,
                          offsetof(nx_registry_shm_t, beat_ns)) !=
                sizeof(uint64_t) * NX_REG_MAX_NODES ||
            nx__pread_all(fd, &c2, sizeof c2, cur_off) != sizeof c2) {
            why_set(why, why_size, "it shrank while being read");
            free(beats);
            goto out;
        }
        settled = c1 == c2;
        if (!settled)
            nx__plat_sleep_ns(1000000);
    }
    view_finish(copy, beats);
    free(beats);
    copy->generation = NX_REG_CUR_SEQ(c2);
    copy->takeovers = atomic_load_explicit(&hdr.takeovers, memory_order_relaxed);
    if (consistent)
        *consistent = settled;
    result = NX_REGISTRY_OK;
    *view_out = copy;
    copy = NULL;
out:
    free(copy);
    close(fd);
    return result;
}

const char *nx_registry_status_name(nx_registry_status_t status)
{
    switch (status) {
    case NX_REGISTRY_OK:
        return "ok";
    case NX_REGISTRY_MISSING:
        return "missing";
    case NX_REGISTRY_BAD:
        return "bad";
    case NX_REGISTRY_UNREADABLE:
        return "unreadable";
    }
    return "?";
}
