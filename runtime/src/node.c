/*
 * node.c: a node's lifetime. Creating one resolves its configuration,
 * creates its segment, joins the domain's registry and the process's
 * table of nodes, and starts its receive thread (rx.c); destroying one
 * undoes that in the reverse order. A node removed from the registry
 * while it hung rejoins here under a new identity.
 */
#include "node_impl.h"

#include "inproc_impl.h"
#include "large_impl.h"
#include "loan_impl.h"
#include "log_impl.h"
#include "names_impl.h"
#include "notify_impl.h"
#include "platform/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static _Atomic uint32_t segment_seq;

const char *nx_node_name(const nx_node_t *node) { return node ? node->name : ""; }
const char *nx_node_domain(const nx_node_t *node) { return node ? node->domain : ""; }

/* ---- the segment ----------------------------------------------------- */

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

static nx_err_t segment_create(nx_node_t *node)
{
    const nx_config_t *c = &node->cfg;
    size_t qoff = align_up(sizeof(nx_seg_header_t), 4096);
    size_t soff = align_up(qoff + (size_t)c->node.max_inbound_queues * sizeof(nx_queue_hdr_t),
                           4096);
    size_t size = soff + (size_t)c->node.max_inbound_queues * c->node.queue_capacity *
                             c->node.message_size;
    snprintf(node->seg_name, sizeof node->seg_name, "/nexus.%s.n.%s.%d.%u",
             node->domain, node->name, (int)node->pid,
             atomic_fetch_add(&segment_seq, 1));
    /* With the liveness lock: the kernel drops it when we die (rule 10). */
    nx_err_t err = nx__plat_shm_create_locked(node->seg_name, size, c->shm.mode,
                                              &node->seg_fd, (void **)&node->seg);
    if (err != NX_OK) {
        NX_LOGE("node", "%s: cannot create segment %s (%zu bytes): %s (%s)", node->name,
                node->seg_name, size, nx_strerror(err), strerror(errno));
        node->seg_fd = -1;
        node->seg = NULL;
        return err;
    }
    node->seg_size = size;
    nx_seg_header_t *h = node->seg;
    h->version = NX_LAYOUT_VERSION;
    h->abi = NX_ABI_WORD;
    h->size = size;
    snprintf(h->libc, sizeof h->libc, "%s", nx__plat_libc_id());
    h->pid = (uint32_t)node->pid;
    h->start_time = nx__plat_proc_start_time(node->pid);
    h->max_queues = c->node.max_inbound_queues;
    h->queue_capacity = c->node.queue_capacity;
    h->message_size = c->node.message_size;
    h->queues_offset = qoff;
    h->slots_offset = soff;
    memcpy(h->name, node->name, strlen(node->name) + 1);
    atomic_store(&h->ref_count, 1);
    atomic_store(&h->state, NX_SEG_RUNNING);
    atomic_store(&h->heartbeat_ns, nx__plat_now_ns());
    err = nx__bell_init(&h->bell, c->node.notify);
    if (err != NX_OK) {
        nx__plat_shm_unlink(node->seg_name);
        return err;
    }
    node->queues = (nx_queue_hdr_t *)((uint8_t *)h + qoff);
    node->slots = (uint8_t *)h + soff;
    /* Magic last: a peer that sees it sees a complete header. */
    atomic_store_explicit((_Atomic uint64_t *)&h->magic, NX_SEG_MAGIC,
                          memory_order_release);
    return NX_OK;
}

/* What the node puts in its registry entry. */
static nx_reg_node_info_t node_reg_info(const nx_node_t *node)
{
    nx_reg_node_info_t info = {
        .name = node->name,
        .segment = node->seg_name,
        .notify = node->cfg.node.notify,
        .max_queues = node->cfg.node.max_inbound_queues,
        .queue_capacity = node->cfg.node.queue_capacity,
        .message_size = node->cfg.node.message_size,
        .heartbeat_timeout_ms = node->cfg.node.heartbeat_timeout_ms,
    };
    return info;
}

/* ---- orphans -------------------------------------------------------- */

typedef struct orphan_scan {
    const char *prefix;
    uint32_t removed;
} orphan_scan_t;

/* Remove a node or large-data segment whose owner is gone. Names end in
 * ".PID.SEQ"; the owner is gone when the liveness lock is free and that
 * pid no longer runs with the start time recorded in the header. */
static bool orphan_check(const char *name, void *user)
{
    orphan_scan_t *s = user;
    const char *dot2 = strrchr(name, '.');
    if (!dot2)
        return true;
    const char *dot1 = dot2 - 1;
    while (dot1 > name && *dot1 != '.')
        dot1--;
    long pid = strtol(dot1 + 1, NULL, 10);
    char path[NX_SHM_NAME_MAX + 2];
    snprintf(path, sizeof path, "/%s", name);
    int fd;
    size_t size;
    if (nx__plat_shm_open(path, &fd, &size) != NX_OK)
        return true; /* another user's, or gone already */
    int held = nx__plat_live_lock_held(fd);
    /* The owner's start time, from whichever header this object has. */
    uint64_t start = 0;
    size_t need = sizeof(nx_seg_header_t) > sizeof(nx_large_hdr_t) ? sizeof(nx_seg_header_t)
                                                                   : sizeof(nx_large_hdr_t);
    if (size >= need) {
        void *p = mmap(NULL, need, PROT_READ, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            uint64_t magic = *(const uint64_t *)p;
            if (magic == NX_SEG_MAGIC)
                start = ((const nx_seg_header_t *)p)->start_time;
            else if (magic == NX_LARGE_MAGIC)
                start = ((const nx_large_hdr_t *)p)->owner_start;
            munmap(p, need);
        }
    }
    close(fd);
    if (held == 1)
        return true;
    bool alive = pid > 0 && nx__plat_proc_alive((pid_t)pid, start);
    if (held == 0 && !alive) {
        nx__plat_shm_unlink(path);
        s->removed++;
        NX_LOGI("node", "removed %s left by process %ld", path, pid);
    }
    return true;
}

uint32_t nx__orphans_remove(const char *domain);
uint32_t nx__orphans_remove(const char *domain)
{
    char prefix[NX_SHM_NAME_MAX];
    orphan_scan_t s = {prefix, 0};
    snprintf(prefix, sizeof prefix, "nexus.%s.n.", domain);
    nx__plat_shm_list(prefix, orphan_check, &s);
    snprintf(prefix, sizeof prefix, "nexus.%s.l.", domain);
    nx__plat_shm_list(prefix, orphan_check, &s);
    return s.removed;
}

/*
 * Join the registry again under a new incarnation, with every publication
 * and subscription, after we were removed while hung. Peers see a new
 * node and reconnect on their own.
 */
static void node_rejoin(nx_node_t *node)
{
    nx_reg_node_info_t info = node_reg_info(node);
    /* Our queues in peers belong to the old identity: close them first. */
    nx__peers_close(node);
    uint32_t slot, inc;
    nx_err_t err = nx__registry_node_add(node->reg, &info, &slot, &inc);
    if (err != NX_OK) {
        NX_LOGE("node", "%s: removed from domain '%s' while not responding, and cannot "
                "rejoin: %s", node->name, node->domain,
                err == NX_EEXIST ? "another node took the name" : nx_strerror(err));
        return;
    }
    NX_LOGW("node", "%s: was removed from domain '%s' while not responding; rejoined",
            node->name, node->domain);
    node->slot = slot;
    node->incarnation = inc;
    node->seg->reg_slot = slot;
    node->seg->incarnation = inc;
    nx__inproc_rekey(node);
    nx__large_rejoin(node);
    nx__subs_rejoin(node);
    nx__pubs_rejoin(node);
}

void nx__node_check_membership(nx_node_t *node)
{
    /* Are we still in the registry as ourselves? Not if we were hung (or
     * stopped) long enough for another node to reap us. */
    if (!nx__registry_node_current(node->reg, node->slot, node->incarnation,
                                   (uint32_t)node->pid))
        node_rejoin(node);
}

/* ---- create / destroy --------------------------------------------------- */

static nx_err_t config_resolve(const nx_config_t *in, nx_config_t *out)
{
    if (in) {
        *out = *in;
    } else {
        nx_config_default(out);
        const char *path = getenv("NEXUS_CONFIG");
        if (path && path[0]) {
            nx_err_t err = nx_config_load(path, out);
            if (err != NX_OK)
                return NX_ECONFIG;
        }
    }
    const char *dom = getenv("NEXUS_DOMAIN");
    if (dom && dom[0]) {
        if (!nx__domain_name_ok(dom)) {
            NX_LOGE("node", "NEXUS_DOMAIN='%.40s' is not 1..%d characters of "
                    "[A-Za-z0-9_-]", dom, NX_DOMAIN_NAME_MAX);
            return NX_EINVAL;
        }
        snprintf(out->domain, sizeof out->domain, "%s", dom);
    }
    char msg[256];
    if (nx_config_validate(out, msg, sizeof msg) != NX_OK) {
        NX_LOGE("node", "invalid configuration: %s", msg);
        return NX_EINVAL;
    }
    return NX_OK;
}

nx_err_t nx_node_create(const char *name, const nx_config_t *cfg, nx_node_t **out)
{
    if (!out || !nx__node_name_ok(name))
        return NX_EINVAL;
    nx_node_t *node = calloc(1, sizeof *node);
    if (!node)
        return NX_ENOMEM;
    node->seg_fd = -1;
    node->local = UINT32_MAX;
    node->pid = getpid();
    memcpy(node->name, name, strlen(name) + 1);
    pthread_mutex_init(&node->subs_lock, NULL);
    pthread_mutex_init(&node->pubs_lock, NULL);
    pthread_mutex_init(&node->peers_lock, NULL);
    pthread_mutex_init(&node->large_lock, NULL);

    nx_err_t err = config_resolve(cfg, &node->cfg);
    if (err != NX_OK)
        goto fail;
    if (!cfg || getenv("NEXUS_LOG") == NULL)
        nx_log_set_level(node->cfg.log.level);
    memcpy(node->domain, node->cfg.domain, sizeof node->domain);

    uint32_t nq = node->cfg.node.max_inbound_queues;
    node->rxq = calloc(nq, sizeof *node->rxq);
    node->active = calloc(nq, sizeof *node->active);
    node->subs = calloc(NX_REG_MAX_TOPICS, sizeof *node->subs);
    node->rx_buf = aligned_alloc(64, align_up(node->cfg.node.message_size, 64));
    if (!node->rxq || !node->active || !node->subs || !node->rx_buf) {
        err = NX_ENOMEM;
        goto fail;
    }

    nx__orphans_remove(node->domain);
    err = nx__registry_open(node->domain, node->cfg.shm.mode, &node->reg);
    if (err != NX_OK)
        goto fail;
    err = segment_create(node);
    if (err != NX_OK)
        goto fail;
    nx_reg_node_info_t info = node_reg_info(node);
    uint32_t slot = UINT32_MAX, inc = 0;
    err = nx__registry_node_add(node->reg, &info, &slot, &inc);
    node->slot = slot;
    node->incarnation = inc;
    if (err != NX_OK) {
        if (err == NX_EEXIST)
            NX_LOGE("node", "a node named '%s' is already running in domain '%s'",
                    node->name, node->domain);
        node->slot = UINT32_MAX;
        goto fail;
    }
    node->seg->reg_slot = node->slot;
    node->seg->incarnation = node->incarnation;
    err = nx__inproc_add(node);
    if (err != NX_OK)
        goto fail;
    err = nx__rx_start(node);
    if (err != NX_OK)
        goto fail;
    NX_LOGD("node", "%s: joined domain '%s' (slot %u, %s mode, segment %s)", node->name,
            node->domain, node->slot, nx_notify_mode_name(node->cfg.node.notify),
            node->seg_name);
    *out = node;
    return NX_OK;
fail:
    nx_node_destroy(node);
    return err;
}

void nx_node_destroy(nx_node_t *node)
{
    if (!node)
        return;
    nx__rx_stop(node);
    /* No in-process delivery reaches us after this. */
    nx__inproc_remove(node);
    if (node->reg && node->slot != UINT32_MAX && node->seg) {
        nx__pubs_free(node);
        nx__registry_node_remove(node->reg, node->slot, node->incarnation);
    }
    nx__peers_close(node);
    nx__loans_free(node);
    nx__large_fini(node);
    for (uint32_t i = 0; node->rxq && i < node->cfg.node.max_inbound_queues; i++)
        nx__large_map_put(node->rxq[i].lmap);
    nx__subs_free(node);
    if (node->seg) {
        /* Peers that still map the segment keep their mapping; the name
         * goes now so that nothing new attaches to a node that left. The
         * process-shared objects in it are not destroyed: a peer may be
         * ringing the doorbell at this moment, and the memory goes with
         * the last mapping. */
        atomic_store(&node->seg->state, NX_SEG_CLOSING);
        nx__plat_shm_unlink(node->seg_name);
        munmap(node->seg, node->seg_size);
    }
    if (node->seg_fd >= 0)
        close(node->seg_fd);
    nx__registry_close(node->reg, true);
    pthread_mutex_destroy(&node->subs_lock);
    pthread_mutex_destroy(&node->pubs_lock);
    pthread_mutex_destroy(&node->peers_lock);
    pthread_mutex_destroy(&node->large_lock);
    free(node->rxq);
    free(node->active);
    free(node->subs);
    free(node->rx_buf);
    free(node->backlog.slots);
    free(node->backlog.queue);
    free(node);
}

nx_err_t nx_node_find(nx_node_t *node, const char *name, uint32_t *pid)
{
    if (!node || !nx__node_name_ok(name))
        return NX_EINVAL;
    return nx__registry_node_pid(node->reg, name, pid);
}

nx_err_t nx_domain_clean(const char *domain, uint32_t *removed)
{
    if (!domain) {
        domain = getenv("NEXUS_DOMAIN");
        if (!domain || !domain[0])
            domain = "default";
    }
    if (!nx__domain_name_ok(domain))
        return NX_EINVAL;
    uint32_t n = 0;
    char reg_name[NX_SHM_NAME_MAX];
    snprintf(reg_name, sizeof reg_name, "/nexus.%s.registry", domain);
    int fd;
    size_t size;
    nx_err_t err = nx__plat_shm_open(reg_name, &fd, &size);
    if (err == NX_OK) {
        close(fd);
        nx_registry_t *reg;
        err = nx__registry_open(domain, 0600, &reg);
        if (err == NX_OK) {
            /* Only nodes whose process is gone: no heartbeat verdicts here. */
            n += nx__registry_reap(reg, nx__plat_now_ns(), 0, UINT32_MAX);
            nx__registry_close(reg, true);
        }
    } else if (err == NX_ENOTFOUND) {
        err = NX_OK;
    }
    n += nx__orphans_remove(domain);
    if (removed)
        *removed = n;
    return err;
}

