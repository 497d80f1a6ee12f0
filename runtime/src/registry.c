/*
 * registry.c: the domain registry: creating, attaching and validating it,
 * its robust lock (repaired after a dead holder), node and topic entries,
 * reaping dead nodes, and the query functions through which every other
 * module reads its tables (see registry_impl.h).
 */
#include "registry_impl.h"

#include "domain_impl.h"
#include "log_impl.h"
#include "notify_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

void nx__registry_bump(nx_registry_t *r)
{
    atomic_fetch_add_explicit(&r->shm->hdr.generation, 1, memory_order_release);
}

/* Check and repair the tables after a holder died mid-change (or on a
 * suspicion of corruption): every entry is made self-consistent. */
static void registry_repair_locked(nx_registry_t *r)
{
    nx_registry_shm_t *s = r->shm;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &s->nodes[i];
        n->name[sizeof n->name - 1] = '\0';
        n->segment[sizeof n->segment - 1] = '\0';
        n->large_segment[sizeof n->large_segment - 1] = '\0';
        if (n->state > NX_NODE_DEAD)
            n->state = NX_NODE_DEAD;
    }
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        nx_reg_topic_t *tp = &s->topics[t];
        tp->group[sizeof tp->group - 1] = '\0';
        tp->name[sizeof tp->name - 1] = '\0';
        tp->type_name[sizeof tp->type_name - 1] = '\0';
        if (tp->used > 1)
            tp->used = 1;
        /* Bits for slots that hold no live node are dropped. */
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
            if (s->nodes[i].state != NX_NODE_ALIVE) {
                bitmap_clear(tp->pubs, i);
                bitmap_clear(tp->subs, i);
            }
        }
        if (tp->used && bitmap_empty(tp->pubs) && bitmap_empty(tp->subs))
            tp->used = 0;
    }
    s->hdr.repairs++;
    nx__registry_bump(r);
}

nx_err_t nx__registry_lock(nx_registry_t *r)
{
    bool repaired = false;
    int rc = nx__plat_mutex_lock_robust(&r->shm->hdr.lock, &repaired);
    if (rc != 0) {
        NX_LOGE("registry", "domain '%s': registry lock unusable (%s)", r->domain,
                strerror(rc));
        return NX_ECORRUPT;
    }
    if (repaired) {
        NX_LOGW("registry",
                "domain '%s': a process died holding the registry "
                "lock; tables checked and repaired",
                r->domain);
        registry_repair_locked(r);
    }
    return NX_OK;
}

void nx__registry_unlock(nx_registry_t *r)
{
    pthread_mutex_unlock(&r->shm->hdr.lock);
}

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
        s->hdr.max_topics != NX_REG_MAX_TOPICS)
        return NX_ECORRUPT;
    return NX_OK;
}

static nx_err_t registry_create(nx_registry_t *r, unsigned mode)
{
    int fd;
    size_t size = sizeof(nx_registry_shm_t);
    nx_err_t err = nx__plat_shm_create(r->shm_name, size, mode, &fd);
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
    /* The object is zero-filled; set up the header, store the magic last
     * so an opener never uses a half-built registry. */
    s->hdr.version = NX_LAYOUT_VERSION;
    s->hdr.abi = NX_ABI_WORD;
    s->hdr.size = size;
    s->hdr.max_nodes = NX_REG_MAX_NODES;
    s->hdr.max_topics = NX_REG_MAX_TOPICS;
    s->hdr.creator_pid = (uint32_t)getpid();
    s->hdr.creator_start = nx__plat_proc_start_time(getpid());
    if (nx__plat_mutex_init_robust(&s->hdr.lock) != 0) {
        munmap(p, size);
        close(fd);
        nx__plat_shm_unlink(r->shm_name);
        return NX_ESYS;
    }
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

    nx_err_t err = NX_ESYS;
    for (int attempt = 0; attempt < 50; attempt++) {
        err = registry_attach(r);
        if (err == NX_ENOTFOUND) {
            err = registry_create(r, mode);
            if (err == NX_EEXIST)
                continue; /* lost the race to create it: open it */
            if (err != NX_OK)
                break;
        } else if (err != NX_OK) {
            if (err == NX_ECORRUPT)
                NX_LOGE("registry",
                        "%s failed validation (wrong magic or size); "
                        "remove it with 'nexus clean --domain %s' when no node runs",
                        r->shm_name, domain);
            else if (err == NX_EVERSION)
                NX_LOGE("registry", "%s has another layout version or ABI", r->shm_name);
            else if (err == NX_EPERM)
                NX_LOGE("registry", "%s belongs to another user", r->shm_name);
            break;
        }
        /* A registry whose last node is leaving is closed: retry. */
        if ((err = nx__registry_lock(r)) != NX_OK)
            break;
        bool closed = r->shm->hdr.closed != 0;
        nx__registry_unlock(r);
        if (!closed) {
            *out = r;
            return NX_OK;
        }
        munmap(r->shm, r->size);
        close(r->fd);
        r->shm = NULL;
        r->fd = -1;
        nx__plat_sleep_ns(1000000);
        err = NX_EBUSY;
    }
    free(r);
    return err;
}

void nx__registry_close(nx_registry_t *r, bool unlink_if_empty)
{
    if (!r)
        return;
    if (r->shm && unlink_if_empty && nx__registry_lock(r) == NX_OK) {
        bool any = false;
        for (uint32_t i = 0; i < NX_REG_MAX_NODES && !any; i++)
            any = r->shm->nodes[i].state == NX_NODE_ALIVE &&
                  nx__registry_node_alive_locked(r, &r->shm->nodes[i]);
        if (!any) {
            r->shm->hdr.closed = 1;
            nx__plat_shm_unlink(r->shm_name);
            NX_LOGD("registry", "last node left; removed %s", r->shm_name);
        }
        nx__registry_unlock(r);
    }
    if (r->shm)
        munmap(r->shm, r->size);
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}

bool nx__registry_node_alive_locked(nx_registry_t *r, const nx_reg_node_t *n)
{
    /* The one rule (domain.c): the liveness lock on the node's segment
     * goes when its process dies (rule 10); pid + start time cover a
     * missing segment and a recycled pid. */
    return n->state == NX_NODE_ALIVE && nx__node_process_alive(r->domain, n);
}

/* Free a node slot: drop its bits, free topics nobody uses. Lock held. */
static void node_free_locked(nx_registry_t *r, uint32_t slot)
{
    nx_registry_shm_t *s = r->shm;
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        nx_reg_topic_t *tp = &s->topics[t];
        if (!tp->used)
            continue;
        bitmap_clear(tp->pubs, slot);
        bitmap_clear(tp->subs, slot);
        tp->pub_policy[slot] = 0;
        if (bitmap_empty(tp->pubs) && bitmap_empty(tp->subs))
            tp->used = 0;
    }
    nx_reg_node_t *n = &s->nodes[slot];
    n->state = NX_NODE_FREE;
    n->pid = 0;
    n->start_time = 0;
    n->incarnation++;
    nx__registry_bump(r);
}

nx_err_t nx__registry_node_add(nx_registry_t *r, const nx_reg_node_info_t *info,
                               uint32_t *slot_out, uint32_t *inc_out)
{
    nx_err_t err = nx__registry_lock(r);
    if (err != NX_OK)
        return err;
    nx_registry_shm_t *s = r->shm;
    uint32_t free_slot = UINT32_MAX;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &s->nodes[i];
        if (n->state == NX_NODE_ALIVE && field_eq(n->name, sizeof n->name, info->name)) {
            if (nx__registry_node_alive_locked(r, n)) {
                nx__registry_unlock(r);
                return NX_EEXIST;
            }
            NX_LOGI("registry", "node '%s' (pid %u) is gone; reusing its name", info->name,
                    n->pid);
            node_free_locked(r, i);
        }
        if (n->state != NX_NODE_ALIVE && free_slot == UINT32_MAX)
            free_slot = i;
    }
    if (free_slot == UINT32_MAX) {
        nx__registry_unlock(r);
        return NX_ELIMIT;
    }
    nx_reg_node_t *n = &s->nodes[free_slot];
    n->incarnation++;
    n->pid = (uint32_t)getpid();
    n->start_time = nx__plat_proc_start_time(getpid());
    n->notify = info->notify;
    n->max_queues = info->max_queues;
    n->queue_capacity = info->queue_capacity;
    n->message_size = info->message_size;
    n->heartbeat_timeout_ms = info->heartbeat_timeout_ms;
    copy_name(n->name, sizeof n->name, info->name);
    copy_name(n->segment, sizeof n->segment, info->segment);
    memset(n->large_segment, 0, sizeof n->large_segment);
    atomic_store_explicit(&n->heartbeat_ns, nx__plat_now_ns(), memory_order_relaxed);
    n->state = NX_NODE_ALIVE;
    *slot_out = free_slot;
    *inc_out = n->incarnation;
    nx__registry_bump(r);
    nx__registry_unlock(r);
    return NX_OK;
}

void nx__registry_node_remove(nx_registry_t *r, uint32_t slot, uint32_t inc)
{
    if (slot >= NX_REG_MAX_NODES || nx__registry_lock(r) != NX_OK)
        return;
    nx_reg_node_t *n = &r->shm->nodes[slot];
    if (n->state == NX_NODE_ALIVE && n->incarnation == inc)
        node_free_locked(r, slot);
    nx__registry_unlock(r);
}

void nx__registry_node_set_large(nx_registry_t *r, uint32_t slot, uint32_t inc,
                                 const char *segment)
{
    if (slot >= NX_REG_MAX_NODES || nx__registry_lock(r) != NX_OK)
        return;
    nx_reg_node_t *n = &r->shm->nodes[slot];
    if (n->state == NX_NODE_ALIVE && n->incarnation == inc) {
        copy_name(n->large_segment, sizeof n->large_segment, segment);
        atomic_fetch_add_explicit(&n->large_gen, 1, memory_order_relaxed);
        nx__registry_bump(r);
    }
    nx__registry_unlock(r);
}

void nx__registry_node_beat(nx_registry_t *r, uint32_t slot, uint64_t now_ns)
{
    if (slot < NX_REG_MAX_NODES)
        atomic_store_explicit(&r->shm->nodes[slot].heartbeat_ns, now_ns,
                              memory_order_relaxed);
}

nx_err_t nx__registry_topic_attach(nx_registry_t *r, const char *group, const char *topic,
                                   const nx_type_desc_t *type, uint32_t node_slot,
                                   bool publisher, uint32_t *topic_slot,
                                   uint32_t *topic_inc, char *other_type, size_t other_size)
{
    nx_err_t err = nx__registry_lock(r);
    if (err != NX_OK)
        return err;
    err = nx__registry_topic_attach_locked(r, group, topic, type, node_slot, publisher,
                                           topic_slot, topic_inc, other_type, other_size);
    nx__registry_unlock(r);
    return err;
}

nx_err_t nx__registry_topic_attach_locked(nx_registry_t *r, const char *group,
                                          const char *topic, const nx_type_desc_t *type,
                                          uint32_t node_slot, bool publisher,
                                          uint32_t *topic_slot, uint32_t *topic_inc,
                                          char *other_type, size_t other_size)
{
    if (node_slot >= NX_REG_MAX_NODES)
        return NX_EINVAL;
    nx_registry_shm_t *s = r->shm;
    uint32_t found = UINT32_MAX, free_slot = UINT32_MAX;
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        nx_reg_topic_t *tp = &s->topics[t];
        if (!tp->used) {
            if (free_slot == UINT32_MAX)
                free_slot = t;
            continue;
        }
        if (field_eq(tp->group, sizeof tp->group, group) &&
            field_eq(tp->name, sizeof tp->name, topic)) {
            found = t;
            break;
        }
    }
    if (found == UINT32_MAX) {
        if (free_slot == UINT32_MAX)
            return NX_ELIMIT;
        found = free_slot;
        nx_reg_topic_t *tp = &s->topics[found];
        memset(tp->pubs, 0, sizeof tp->pubs);
        memset(tp->subs, 0, sizeof tp->subs);
        copy_name(tp->group, sizeof tp->group, group);
        copy_name(tp->name, sizeof tp->name, topic);
        tp->fingerprint = 0;
        tp->type_size = 0;
        memset(tp->type_name, 0, sizeof tp->type_name);
        tp->incarnation++;
        tp->used = 1;
    }
    nx_reg_topic_t *tp = &s->topics[found];
    if (type) {
        if (tp->fingerprint == 0) {
            tp->fingerprint = type->fingerprint;
            tp->type_size = type->size;
            copy_name(tp->type_name, sizeof tp->type_name, type->name ? type->name : "?");
        } else if (tp->fingerprint != type->fingerprint) {
            if (other_type && other_size)
                snprintf(other_type, other_size, "%s", tp->type_name);
            if (bitmap_empty(tp->pubs) && bitmap_empty(tp->subs))
                tp->used = 0; /* we created it only to find the clash */
            return NX_ETYPE;
        }
    }
    bitmap_set(publisher ? tp->pubs : tp->subs, node_slot);
    *topic_slot = found;
    *topic_inc = tp->incarnation;
    nx__registry_bump(r);
    return NX_OK;
}

void nx__registry_topic_detach(nx_registry_t *r, uint32_t topic_slot, uint32_t topic_inc,
                               uint32_t node_slot, bool publisher)
{
    if (topic_slot >= NX_REG_MAX_TOPICS || node_slot >= NX_REG_MAX_NODES ||
        nx__registry_lock(r) != NX_OK)
        return;
    nx_reg_topic_t *tp = &r->shm->topics[topic_slot];
    if (tp->used && tp->incarnation == topic_inc) {
        bitmap_clear(publisher ? tp->pubs : tp->subs, node_slot);
        if (publisher)
            tp->pub_policy[node_slot] = 0;
        if (bitmap_empty(tp->pubs) && bitmap_empty(tp->subs))
            tp->used = 0;
        nx__registry_bump(r);
    }
    nx__registry_unlock(r);
}

/* Unlink a segment named in a registry entry, but only if the name is one
 * of this domain's node or large-data objects (the entry is untrusted). */
static void registry_unlink_owned(nx_registry_t *r, const char *field)
{
    char seg[NX_SEG_NAME_MAX + 1], node_prefix[64], large_prefix[64];
    copy_name(seg, sizeof seg, field);
    snprintf(node_prefix, sizeof node_prefix, "/nexus.%s.n.", r->domain);
    snprintf(large_prefix, sizeof large_prefix, "/nexus.%s.l.", r->domain);
    if ((strncmp(seg, node_prefix, strlen(node_prefix)) != 0 &&
         strncmp(seg, large_prefix, strlen(large_prefix)) != 0) ||
        strchr(seg + 1, '/') != NULL || strstr(seg, "..") != NULL)
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

uint32_t nx__registry_reap(nx_registry_t *r, uint64_t now_ns, uint64_t timeout_ns,
                           uint32_t self)
{
    if (nx__registry_lock(r) != NX_OK)
        return 0;
    uint32_t reaped = 0;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        nx_reg_node_t *n = &r->shm->nodes[i];
        if (i == self || n->state != NX_NODE_ALIVE)
            continue;
        /* The one liveness rule (domain.c), with the reaper's timeout; a
         * timeout of 0 asks only whether the process is gone. */
        nx_node_state_t st = nx__node_liveness(r->domain, n, now_ns,
                                               timeout_ns ? timeout_ns : UINT64_MAX, NULL);
        if (st == NX_NODE_STATE_ALIVE)
            continue;
        bool gone = st == NX_NODE_STATE_DEAD;
        char name[NX_NODE_NAME_MAX + 1];
        copy_name(name, sizeof name, n->name);
        NX_LOGW("registry", "node '%s' (pid %u) is %s; removing it", name, n->pid,
                gone ? "gone" : "not responding (heartbeat stopped)");
        if (gone) {
            /* Its process is dead: nobody else will remove its objects. A
             * hung node keeps them; it may wake up and leave cleanly. */
            registry_unlink_owned(r, n->segment);
            registry_unlink_owned(r, n->large_segment);
        }
        node_free_locked(r, i);
        reaped++;
    }
    nx__registry_unlock(r);
    return reaped;
}

void nx__registry_topic_set_policy(nx_registry_t *r, uint32_t topic_slot,
                                   uint32_t topic_inc, uint32_t node_slot,
                                   nx_on_full_t on_full, uint32_t block_ms)
{
    if (topic_slot >= NX_REG_MAX_TOPICS || node_slot >= NX_REG_MAX_NODES ||
        nx__registry_lock(r) != NX_OK)
        return;
    nx_reg_topic_t *tp = &r->shm->topics[topic_slot];
    /* Not a change of who talks to whom: routes stay, no generation bump. */
    if (tp->used && tp->incarnation == topic_inc && bitmap_test(tp->pubs, node_slot))
        tp->pub_policy[node_slot] =
            (on_full == NX_ON_FULL_BLOCK ? NX_REG_POLICY_BLOCK : 0) |
            (block_ms & NX_REG_POLICY_MS_MASK);
    nx__registry_unlock(r);
}

/* ---- queries: the only way other modules read the tables ---------------- */

bool nx__registry_node_current(nx_registry_t *r, uint32_t slot, uint32_t inc, uint32_t pid)
{
    if (slot >= NX_REG_MAX_NODES)
        return false;
    if (nx__registry_lock(r) != NX_OK)
        return true; /* cannot tell: the caller asks again later */
    const nx_reg_node_t *n = &r->shm->nodes[slot];
    bool ok = n->state == NX_NODE_ALIVE && n->incarnation == inc && (!pid || n->pid == pid);
    nx__registry_unlock(r);
    return ok;
}

nx_err_t nx__registry_node_copy(nx_registry_t *r, uint32_t slot, uint32_t inc,
                                nx_reg_node_t *out)
{
    if (slot >= NX_REG_MAX_NODES)
        return NX_ENOTFOUND;
    nx_err_t err = nx__registry_lock(r);
    if (err != NX_OK)
        return err;
    const nx_reg_node_t *n = &r->shm->nodes[slot];
    err = NX_ENOTFOUND;
    if (n->state == NX_NODE_ALIVE && n->incarnation == inc) {
        *out = *n;
        err = NX_OK;
    }
    nx__registry_unlock(r);
    if (err == NX_OK) {
        out->name[sizeof out->name - 1] = '\0';
        out->segment[sizeof out->segment - 1] = '\0';
        out->large_segment[sizeof out->large_segment - 1] = '\0';
    }
    return err;
}

nx_err_t nx__registry_alive(nx_registry_t *r, bool alive[NX_REG_MAX_NODES],
                            uint32_t inc[NX_REG_MAX_NODES])
{
    nx_err_t err = nx__registry_lock(r);
    if (err != NX_OK)
        return err;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        alive[i] = r->shm->nodes[i].state == NX_NODE_ALIVE;
        inc[i] = r->shm->nodes[i].incarnation;
    }
    nx__registry_unlock(r);
    return NX_OK;
}

nx_err_t nx__registry_subscribers(nx_registry_t *r, uint32_t topic_slot, uint32_t topic_inc,
                                  uint32_t slots[NX_REG_MAX_NODES],
                                  nx_reg_node_t entries[NX_REG_MAX_NODES], uint32_t *count,
                                  uint64_t *gen)
{
    nx_err_t err = nx__registry_lock(r);
    if (err != NX_OK)
        return err;
    *gen = nx__registry_generation(r);
    uint32_t n = 0;
    const nx_reg_topic_t *tp =
        topic_slot < NX_REG_MAX_TOPICS ? &r->shm->topics[topic_slot] : NULL;
    if (tp && tp->used && tp->incarnation == topic_inc) {
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
            const nx_reg_node_t *e = &r->shm->nodes[i];
            if (!bitmap_test(tp->subs, i) || e->state != NX_NODE_ALIVE)
                continue;
            slots[n] = i;
            entries[n] = *e;
            n++;
        }
    }
    nx__registry_unlock(r);
    *count = n;
    return NX_OK;
}

nx_err_t nx__registry_subscriber_count(nx_registry_t *r, const char *group,
                                       const char *topic, size_t *count)
{
    nx_err_t err = nx__registry_lock(r);
    if (err != NX_OK)
        return err;
    size_t n = 0;
    const nx_registry_shm_t *s = r->shm;
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        const nx_reg_topic_t *tp = &s->topics[t];
        if (!tp->used || !field_eq(tp->group, sizeof tp->group, group) ||
            !field_eq(tp->name, sizeof tp->name, topic))
            continue;
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
            if (bitmap_test(tp->subs, i) && s->nodes[i].state == NX_NODE_ALIVE)
                n++;
        break;
    }
    nx__registry_unlock(r);
    *count = n;
    return NX_OK;
}

nx_err_t nx__registry_node_pid(nx_registry_t *r, const char *name, uint32_t *pid)
{
    nx_err_t err = nx__registry_lock(r);
    if (err != NX_OK)
        return err;
    err = NX_ENOTFOUND;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *n = &r->shm->nodes[i];
        if (n->state == NX_NODE_ALIVE && field_eq(n->name, sizeof n->name, name)) {
            if (pid)
                *pid = n->pid;
            err = NX_OK;
            break;
        }
    }
    nx__registry_unlock(r);
    return err;
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

/* Terminate every string of a registry copy, so the rest may treat them
 * as C strings. (Printing sanitises them further.) */
static void reg_terminate(nx_registry_shm_t *s)
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

nx_registry_status_t nx__registry_load(const char *domain, nx_registry_shm_t **copy_out,
                                       uint64_t *generation, bool *consistent, char *why,
                                       size_t why_size)
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
    nx_registry_shm_t *copy = NULL;
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
    } else if (hdr.max_nodes != NX_REG_MAX_NODES || hdr.max_topics != NX_REG_MAX_TOPICS) {
        why_set(why, why_size, "table sizes %u nodes / %u topics, want %u / %u",
                hdr.max_nodes, hdr.max_topics, NX_REG_MAX_NODES, NX_REG_MAX_TOPICS);
    } else {
        result = NX_REGISTRY_OK;
    }
    if (result != NX_REGISTRY_OK)
        goto out;
    copy = aligned_alloc(_Alignof(nx_registry_shm_t), want);
    if (!copy) {
        why_set(why, why_size, "out of memory");
        result = NX_REGISTRY_UNREADABLE;
        goto out;
    }
    /* No lock. The generation is bumped after every change, so an
     * unchanged generation around the copy makes a torn copy unlikely (it
     * is not a seqlock: a change in progress before the bump can still
     * tear). The copy is terminated either way, and every user of it
     * bounds what it reads. */
    const uint64_t gen_off = offsetof(nx_reg_header_t, generation);
    bool settled = false;
    uint64_t g2 = 0;
    for (int attempt = 0; attempt < 20 && !settled; attempt++) {
        uint64_t g1 = 0;
        if (nx__pread_all(fd, &g1, sizeof g1, gen_off) != sizeof g1 ||
            nx__pread_all(fd, copy, want, 0) != want ||
            nx__pread_all(fd, &g2, sizeof g2, gen_off) != sizeof g2) {
            why_set(why, why_size, "it shrank while being read");
            result = NX_REGISTRY_BAD;
            goto out;
        }
        settled = g1 == g2;
        if (!settled)
            nx__plat_sleep_ns(1000000);
    }
    reg_terminate(copy);
    if (generation)
        *generation = g2;
    if (consistent)
        *consistent = settled;
    *copy_out = copy;
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
