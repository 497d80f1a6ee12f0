/*
 * node.c: a node's lifetime. Creating one resolves its configuration,
 * creates its segment, joins the domain's registry and the process's
 * table of nodes, and starts its receive thread (rx.c); destroying one
 * undoes that in the reverse order. A node removed from the registry
 * while it hung rejoins here under a new identity.
 */
#include "svc_impl.h"
#include "node_impl.h"

#include "domain_impl.h"
#include "inproc_impl.h"
#include "large_impl.h"
#include "loan_impl.h"
#include "log_impl.h"
#include "names_impl.h"
#include "notify_impl.h"
#include "platform/platform.h"
#include "segment_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- fork ----------------------------------------------------------- */

_Atomic uint32_t nx__fork_gen;

static void on_fork_child(void)
{
    /* The child has the parent's nodes in its memory but none of their
     * threads, and their rings have one producer: the parent. Every node
     * created before this point now belongs to someone else. */
    atomic_fetch_add_explicit(&nx__fork_gen, 1, memory_order_relaxed);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_watch(void)
{
    pthread_atfork(NULL, NULL, on_fork_child);
}

const char *nx_node_name(const nx_node_t *node)
{
    return node ? node->name : "";
}
const char *nx_node_domain(const nx_node_t *node)
{
    return node ? node->domain : "";
}

/* ---- the segment ----------------------------------------------------- */

static nx_err_t segment_create(nx_node_t *node)
{
    nx_err_t err =
        nx__segment_create(node->domain, node->name, node->pid, &node->cfg, node->seg_name,
                           &node->seg_fd, &node->seg, &node->seg_size);
    if (err != NX_OK)
        return err;
    node->queues = (nx_queue_hdr_t *)((uint8_t *)node->seg + node->seg->queues_offset);
    node->slots = (uint8_t *)node->seg + node->seg->slots_offset;
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
        .heartbeat_ms = node->cfg.node.heartbeat_ms,
        .heartbeat_timeout_ms = node->cfg.node.heartbeat_timeout_ms,
    };
    return info;
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
        NX_LOGE("node",
                "%s: removed from domain '%s' while not responding, and cannot "
                "rejoin: %s",
                node->name, node->domain,
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
    nx__svc_rejoin(node);
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
            NX_LOGE("node",
                    "NEXUS_DOMAIN='%.40s' is not 1..%d characters of "
                    "[A-Za-z0-9_-]",
                    dom, NX_DOMAIN_NAME_MAX);
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
    pthread_once(&fork_once, fork_watch);
    node->fork_gen = atomic_load_explicit(&nx__fork_gen, memory_order_relaxed);
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
    /* message_size is a multiple of 64 (nx_config_validate), as
     * aligned_alloc wants of the size. */
    node->rx_buf = aligned_alloc(64, node->cfg.node.message_size);
    if (!node->rxq || !node->active || !node->subs || !node->rx_buf) {
        err = NX_ENOMEM;
        goto fail;
    }
    if ((err = nx__svc_init(node)) != NX_OK)
        goto fail;

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
    /* Inherited across fork(): everything it holds is the parent's (its
     * registry entry, segment, queues in peers), and its locks may have
     * been held by parent threads that the child does not have. Touch
     * nothing; its memory goes with this process. */
    if (nx__node_forked(node))
        return;
    nx__rx_stop(node);
    /* Stop serving and end pending calls before we leave the registry. */
    nx__svc_fini(node);
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
    nx__segment_destroy(node->seg_name, node->seg_fd, node->seg, node->seg_size);
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
    if (nx__node_forked(node))
        return NX_EFORK;
    return nx__registry_node_pid(node->reg, name, pid);
}
