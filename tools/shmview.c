/*
 * shmview.c: read-only views of a domain's shared memory for the `nexus`
 * tool (see tool.h).
 *
 * Objects are opened O_RDONLY and mapped PROT_READ: the tool can look at a
 * running system without being able to disturb it, and a bug here faults
 * instead of corrupting a peer. Every check the runtime makes before it
 * trusts an object (registry_check() in registry.c, peer_check() in
 * pub.c) is repeated, and a SIGBUS (an object truncated under us) is
 * caught and reported instead of killing the tool.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- SIGBUS guard ------------------------------------------------------------ */

/* An object that another process truncates after we mapped it raises
 * SIGBUS on access. Reads of mapped objects run between bus_arm() and
 * bus_disarm(); a SIGBUS in between jumps back to the sigsetjmp. */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void bus_handler(int sig)
{
    if (bus_armed) {
        bus_armed = 0;
        siglongjmp(bus_jmp, 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void bus_install(void)
{
    static bool installed;
    if (installed)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bus_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
    installed = true;
}

/* Usage (sigsetjmp must be the whole controlling expression):
 *     bus_install();
 *     if (sigsetjmp(bus_jmp, 1) != 0) { ...the object shrank... }
 *     bus_armed = 1; ...reads...; bus_armed = 0;
 * Locals changed between the two must not be read on the SIGBUS path. */

/* ---- names -------------------------------------------------------------------- */

void tool_reg_name(char *buf, size_t size, const char *domain)
{
    snprintf(buf, size, "/nexus.%s.registry", domain);
}

bool tool_segment_name_ok(const char *domain, const char *name, char kind, bool slash)
{
    char prefix[NX_SHM_NAME_MAX];
    size_t n = strnlen(name, NX_SHM_NAME_MAX);
    if (n >= NX_SHM_NAME_MAX)
        return false;
    const char *kinds = kind ? (kind == 'n' ? "n" : "l") : "nl";
    for (const char *k = kinds; *k; k++) {
        int len = snprintf(prefix, sizeof prefix, "%snexus.%s.%c.", slash ? "/" : "",
                           domain, *k);
        if (len <= 0 || (size_t)len >= sizeof prefix)
            return false;
        if (strncmp(name, prefix, (size_t)len) == 0 && name[len] != '\0' &&
            strchr(name + len, '/') == NULL)
            return true;
    }
    return false;
}

typedef struct name_list {
    char **names;
    size_t n, cap;
} name_list_t;

static bool names_add(const char *name, void *user)
{
    name_list_t *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **names = realloc(l->names, cap * sizeof *names);
        if (!names)
            return false;
        l->names = names;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return false;
    l->names[l->n++] = copy;
    return true;
}

static int names_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tool_shm_names(const char *prefix, char ***names)
{
    name_list_t l = {NULL, 0, 0};
    nx__plat_shm_list(prefix, names_add, &l);
    if (l.n > 1)
        qsort(l.names, l.n, sizeof *l.names, names_cmp);
    *names = l.names;
    return l.n;
}

void tool_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

bool tool_shm_exists(const char *name)
{
    char path[NX_SHM_NAME_MAX + 2];
    snprintf(path, sizeof path, "/%s", name);
    int fd = shm_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd >= 0) {
        close(fd);
        return true;
    }
    return errno != ENOENT;
}

/* ---- the registry --------------------------------------------------------------- */

/* Terminate every string of a registry copy and bound its states, so the
 * rest of the tool may treat them as C strings. */
static void reg_sanitize(nx_registry_shm_t *s)
{
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &s->nodes[i];
        n->name[sizeof n->name - 1] = '\0';
        n->segment[sizeof n->segment - 1] = '\0';
        n->large_segment[sizeof n->large_segment - 1] = '\0';
    }
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        nx_reg_topic_t *tp = &s->topics[t];
        tp->group[sizeof tp->group - 1] = '\0';
        tp->name[sizeof tp->name - 1] = '\0';
        tp->type_name[sizeof tp->type_name - 1] = '\0';
    }
}

tool_reg_status_t tool_reg_load(const char *domain, tool_reg_t *reg, char *why,
                                size_t why_size)
{
    memset(reg, 0, sizeof *reg);
    snprintf(reg->domain, sizeof reg->domain, "%s", domain);
    tool_reg_name(reg->shm_name, sizeof reg->shm_name, domain);
    why[0] = '\0';

    int fd = shm_open(reg->shm_name, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == ENOENT)
            return TOOL_REG_MISSING;
        snprintf(why, why_size, "cannot open it: %s", strerror(errno));
        return TOOL_REG_ERROR;
    }
    const size_t want = sizeof(nx_registry_shm_t);
    struct stat st;
    /* A creator sizes the object right after creating it: give it a second. */
    for (int i = 0;; i++) {
        if (fstat(fd, &st) != 0) {
            snprintf(why, why_size, "cannot stat it: %s", strerror(errno));
            close(fd);
            return TOOL_REG_ERROR;
        }
        if ((size_t)st.st_size >= sizeof(nx_reg_header_t) || i >= 100)
            break;
        nx__plat_sleep_ns(10000000);
    }
    size_t size = (size_t)st.st_size;
    if (size < sizeof(nx_reg_header_t)) {
        snprintf(why, why_size, "it is only %zu bytes long (truncated, or not a "
                 "Nexus registry)", size);
        close(fd);
        return TOOL_REG_BAD;
    }
    size_t map_len = size < want ? size : want;
    void *p = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, 0);
    int map_errno = errno;
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(why, why_size, "cannot map it: %s", strerror(map_errno));
        return TOOL_REG_ERROR;
    }
    nx_registry_shm_t *s = p;
    tool_reg_status_t result = TOOL_REG_OK;
    /* Allocated before the sigsetjmp, so the SIGBUS path may free it; with
     * the struct's own alignment (cache-line aligned members). */
    nx_registry_shm_t *copy = aligned_alloc(_Alignof(nx_registry_shm_t), want);
    if (!copy) {
        munmap(p, map_len);
        snprintf(why, why_size, "out of memory");
        return TOOL_REG_ERROR;
    }
    bus_install();
    if (sigsetjmp(bus_jmp, 1) != 0) {
        snprintf(why, why_size, "it shrank while being read (SIGBUS)");
        result = TOOL_REG_BAD;
        goto out;
    }
    bus_armed = 1;
    /* The creator stores the magic last: give it a second to finish. */
    uint64_t magic = 0;
    for (int i = 0; i < 100; i++) {
        magic = atomic_load_explicit((_Atomic uint64_t *)&s->hdr.magic,
                                     memory_order_acquire);
        if (magic != 0)
            break;
        nx__plat_sleep_ns(10000000);
    }
    if (magic != NX_REG_MAGIC) {
        snprintf(why, why_size, "wrong magic 0x%016llx (want 0x%016llx%s)",
                 (unsigned long long)magic, (unsigned long long)NX_REG_MAGIC,
                 magic == 0 ? "; its creator never finished" : "");
        result = TOOL_REG_BAD;
    } else if (s->hdr.version != NX_LAYOUT_VERSION) {
        snprintf(why, why_size, "layout version %u, this tool reads version %u "
                 "(written by another Nexus release)", s->hdr.version,
                 NX_LAYOUT_VERSION);
        result = TOOL_REG_BAD;
    } else if (s->hdr.abi != NX_ABI_WORD) {
        snprintf(why, why_size, "ABI word 0x%08x, this tool has 0x%08x (written "
                 "by a program for another architecture or C library)",
                 s->hdr.abi, (unsigned)NX_ABI_WORD);
        result = TOOL_REG_BAD;
    } else if (size != want || s->hdr.size != want) {
        snprintf(why, why_size, "size %zu bytes (header says %llu), want %zu",
                 size, (unsigned long long)s->hdr.size, want);
        result = TOOL_REG_BAD;
    } else if (s->hdr.max_nodes != NX_REG_MAX_NODES ||
               s->hdr.max_topics != NX_REG_MAX_TOPICS) {
        snprintf(why, why_size, "table sizes %u nodes / %u topics, want %u / %u",
                 s->hdr.max_nodes, s->hdr.max_topics, NX_REG_MAX_NODES,
                 NX_REG_MAX_TOPICS);
        result = TOOL_REG_BAD;
    }
    if (result == TOOL_REG_OK) {
        /* No lock: the tool must work while a hung node holds it. The
         * generation is bumped after every change, so an unchanged
         * generation around the copy makes a torn copy unlikely (it is not
         * a seqlock: a change in progress before the bump can still tear).
         * The copy is sanitised either way. */
        for (int attempt = 0; attempt < 20; attempt++) {
            uint64_t g1 = atomic_load_explicit(&s->hdr.generation, memory_order_acquire);
            memcpy(copy, s, want);
            atomic_thread_fence(memory_order_acquire);
            uint64_t g2 = atomic_load_explicit(&s->hdr.generation, memory_order_acquire);
            reg->generation = g2;
            reg->consistent = g1 == g2;
            if (reg->consistent)
                break;
            nx__plat_sleep_ns(1000000);
        }
    }
    bus_armed = 0;
out:
    munmap(p, map_len);
    if (result != TOOL_REG_OK) {
        free(copy);
        return result;
    }
    reg_sanitize(copy);
    reg->copy = copy;
    return TOOL_REG_OK;
}

void tool_reg_free(tool_reg_t *reg)
{
    free(reg->copy);
    reg->copy = NULL;
}

int tool_report_reg_problem(const char *cmd, const tool_reg_t *reg,
                            tool_reg_status_t st, const char *why)
{
    if (st == TOOL_REG_BAD)
        tool_err(cmd, "the registry %s of domain '%s' failed validation: %s.\n"
                 "No node can join the domain while it is there. If no node of the "
                 "domain runs, remove it with: nexus clean --force --domain %s",
                 reg->shm_name, reg->domain, why, reg->domain);
    else
        tool_err(cmd, "cannot read the registry %s of domain '%s': %s",
                 reg->shm_name, reg->domain, why);
    return TOOL_ERR;
}

/* ---- liveness -------------------------------------------------------------- */

bool tool_node_process_alive(const char *domain, const nx_reg_node_t *n)
{
    /* As nx__registry_node_alive_locked(): the liveness lock on the node's
     * segment is dropped by the kernel when the process dies (rule 10);
     * pid + start time cover a missing segment and a recycled pid. */
    if (tool_segment_name_ok(domain, n->segment, 'n', true)) {
        int fd = shm_open(n->segment, O_RDONLY | O_CLOEXEC, 0);
        if (fd >= 0) {
            int held = nx__plat_live_lock_held(fd);
            close(fd);
            if (held == 0)
                return false;
        }
    }
    return nx__plat_proc_alive((pid_t)n->pid, n->start_time);
}

tool_liveness_t tool_node_liveness(const char *domain, const nx_reg_node_t *n,
                                   uint64_t hung_ns, uint64_t *age_ns)
{
    uint64_t now = nx__plat_now_ns();
    uint64_t beat = n->heartbeat_ns; /* a private copy: plain read */
    *age_ns = now > beat ? now - beat : 0;
    if (n->state != NX_NODE_ALIVE || !tool_node_process_alive(domain, n))
        return TOOL_NODE_DEAD;
    return *age_ns > hung_ns ? TOOL_NODE_HUNG : TOOL_NODE_ALIVE;
}

const char *tool_liveness_name(tool_liveness_t l)
{
    switch (l) {
    case TOOL_NODE_ALIVE:
        return "alive";
    case TOOL_NODE_HUNG:
        return "hung";
    default:
        return "dead";
    }
}

/* ---- node segments ------------------------------------------------------------ */

static size_t page_round(size_t v)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t p = page > 0 ? (size_t)page : 4096;
    return (v + p - 1) / p * p;
}

nx_err_t tool_seg_open(const char *domain, const char *name, const nx_reg_node_t *entry,
                       tool_seg_t *seg, char *why, size_t why_size)
{
    memset(seg, 0, sizeof *seg);
    seg->fd = -1;
    why[0] = '\0';
    if (!tool_segment_name_ok(domain, name, 'n', true)) {
        snprintf(why, why_size, "'%.*s' is not a node segment name of domain '%s'",
                 NX_SHM_NAME_MAX, name, domain);
        return NX_ECORRUPT;
    }
    int fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(why, why_size, "cannot open it: %s", strerror(e));
        return e == ENOENT ? NX_ENOTFOUND : e == EACCES ? NX_EPERM : NX_ESYS;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(why, why_size, "cannot stat it: %s", strerror(errno));
        close(fd);
        return NX_ESYS;
    }
    size_t size = (size_t)st.st_size;
    if (size < sizeof(nx_seg_header_t)) {
        snprintf(why, why_size, "only %zu bytes long", size);
        close(fd);
        return NX_ECORRUPT;
    }
    size_t hdr_len = sizeof(nx_seg_header_t);
    void *p = mmap(NULL, hdr_len, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(why, why_size, "cannot map it: %s", strerror(errno));
        close(fd);
        return NX_ESYS;
    }
    nx_seg_header_t *h = p;
    nx_err_t err = NX_OK;
    uint32_t q = 0, cap = 0, ms = 0;
    uint64_t qoff = 0, qend = 0;
    bus_install();
    if (sigsetjmp(bus_jmp, 1) != 0) {
        snprintf(why, why_size, "it shrank while being read (SIGBUS)");
        err = NX_ECORRUPT;
        goto out;
    }
    bus_armed = 1;
    /* The same checks as peer_check() in pub.c, in the same order. */
    uint64_t magic = atomic_load_explicit((_Atomic uint64_t *)&h->magic,
                                          memory_order_acquire);
    q = h->max_queues;
    cap = h->queue_capacity;
    ms = h->message_size;
    qoff = h->queues_offset;
    uint64_t soff = h->slots_offset;
    qend = qoff + (uint64_t)q * sizeof(nx_queue_hdr_t);
    uint64_t send = soff + (uint64_t)q * cap * ms;
    if (magic != NX_SEG_MAGIC) {
        snprintf(why, why_size, "wrong magic 0x%016llx%s", (unsigned long long)magic,
                 magic == 0 ? " (still being created, or abandoned mid-way)" : "");
        err = NX_ECORRUPT;
    } else if (h->version != NX_LAYOUT_VERSION || h->abi != NX_ABI_WORD) {
        snprintf(why, why_size, "layout version %u / ABI 0x%08x, want %u / 0x%08x",
                 h->version, h->abi, NX_LAYOUT_VERSION, (unsigned)NX_ABI_WORD);
        err = NX_EVERSION;
    } else if (h->size != size) {
        snprintf(why, why_size, "header says %llu bytes, the object has %zu",
                 (unsigned long long)h->size, size);
        err = NX_ECORRUPT;
    } else if (entry && (h->pid != entry->pid || h->incarnation != entry->incarnation)) {
        snprintf(why, why_size, "it belongs to pid %u incarnation %u, the registry "
                 "entry to pid %u incarnation %u", h->pid, h->incarnation, entry->pid,
                 entry->incarnation);
        err = NX_ECORRUPT;
    } else if (q == 0 || q > 1024 || cap < 2 || cap > 65536 || (cap & (cap - 1)) ||
               ms < 128 || ms > (1u << 20) || ms % 64) {
        snprintf(why, why_size, "impossible geometry: %u queues x %u slots x %u bytes",
                 q, cap, ms);
        err = NX_ECORRUPT;
    } else if (qoff < sizeof *h || qoff % NX_CACHELINE || qend > soff ||
               soff % NX_CACHELINE || send > size) {
        snprintf(why, why_size, "impossible offsets: queues at %llu, slots at %llu",
                 (unsigned long long)qoff, (unsigned long long)soff);
        err = NX_ECORRUPT;
    } else {
        seg->pid = h->pid;
        seg->ref_count = atomic_load_explicit(&h->ref_count, memory_order_relaxed);
        seg->state = atomic_load_explicit(&h->state, memory_order_relaxed);
        seg->heartbeat_ns = atomic_load_explicit(&h->heartbeat_ns, memory_order_relaxed);
        seg->bell_mode = h->bell.mode;
    }
    bus_armed = 0;
out:
    munmap(p, hdr_len);
    if (err != NX_OK) {
        close(fd);
        return err;
    }
    /* Map the header and the queue headers, never the slots: the tool has
     * no business with message bytes, and it keeps the mapping small. The
     * geometry used from here on is the one validated above. */
    size_t map_len = page_round((size_t)qend);
    if (map_len > size)
        map_len = size;
    p = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, 0);
    int map_errno = errno;
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(why, why_size, "cannot map it: %s", strerror(map_errno));
        return NX_ESYS;
    }
    seg->base = p;
    seg->map_size = map_len;
    seg->size = size;
    seg->h = p;
    seg->queues = (nx_queue_hdr_t *)((uint8_t *)p + qoff);
    seg->max_queues = q;
    seg->capacity = cap;
    seg->message_size = ms;
    return NX_OK;
}

void tool_seg_close(tool_seg_t *seg)
{
    if (seg->base)
        munmap(seg->base, seg->map_size);
    if (seg->fd >= 0)
        close(seg->fd);
    memset(seg, 0, sizeof *seg);
    seg->fd = -1;
}

bool tool_seg_queue(const tool_seg_t *seg, uint32_t i, tool_queue_t *out)
{
    if (!seg->base || i >= seg->max_queues)
        return false;
    nx_queue_hdr_t *q = &seg->queues[i];
    memset(out, 0, sizeof *out);
    char name[NX_NODE_NAME_MAX + 1];
    uint64_t owner_start = 0;
    bool valid = false;
    bus_install();
    if (sigsetjmp(bus_jmp, 1) != 0)
        return false;
    bus_armed = 1;
    /* Acquire pairs with the release store of VALID in peer_claim(): the
     * owner fields are set before the flag. Counters are relaxed: each is
     * exact, the set is not one instant (as nx_node_inbound_stats). */
    uint32_t f = atomic_load_explicit(&q->flags, memory_order_acquire);
    if (f & NX_Q_VALID) {
        valid = true;
        memcpy(name, q->owner_name, sizeof name);
        name[sizeof name - 1] = '\0';
        out->flags = f;
        out->sender_pid = q->owner_pid;
        owner_start = q->owner_start;
        uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
        uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
        out->sent = atomic_load_explicit(&q->sent, memory_order_relaxed);
        out->received = atomic_load_explicit(&q->received, memory_order_relaxed);
        out->dropped = atomic_load_explicit(&q->dropped, memory_order_relaxed);
        out->rejected = atomic_load_explicit(&q->rejected, memory_order_relaxed);
        out->high_water = atomic_load_explicit(&q->high_water, memory_order_relaxed);
        out->pending = head >= tail && head - tail <= seg->capacity
                           ? (int64_t)(head - tail)
                           : -1;
    }
    bus_armed = 0;
    if (!valid)
        return false;
    out->index = i;
    out->capacity = seg->capacity;
    tool_sanitize(out->sender, sizeof out->sender, name);
    out->sender_alive = nx__plat_proc_alive((pid_t)out->sender_pid, owner_start);
    return true;
}

uint32_t tool_seg_queues_used(const tool_seg_t *seg)
{
    uint32_t n = 0;
    tool_queue_t q;
    for (uint32_t i = 0; i < seg->max_queues; i++)
        n += tool_seg_queue(seg, i, &q);
    return n;
}
