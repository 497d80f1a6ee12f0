/*
 * service.c: request/response between nodes (nexus/service.h; the frames
 * and the matching of replies are described in svc_impl.h).
 *
 * Serving registers the service as the topic (NX_SVC_GROUP, name) with
 * this node as its one subscriber, atomically refusing a second server
 * (registry.c). A call finds the server in the registry, checks both
 * fingerprints, then either calls the handler directly (a server in this
 * process) or sends a request frame into the server's queue and waits:
 * on a condition variable, or, on the node's own receive thread (a call
 * from a callback or a handler), by pumping that thread's rings so that
 * requests to this node and replies keep flowing while it waits; two
 * nodes calling each other from their handlers therefore cannot
 * deadlock. While waiting it looks at the server every 10 ms: a server
 * that died, left, stopped serving or was reaped ends the call with
 * NX_ENOTFOUND without waiting for the timeout.
 */
#include "svc_impl.h"

#include "frame_impl.h"
#include "inproc_impl.h"
#include "log_impl.h"
#include "names_impl.h"
#include "node_impl.h"
#include "notify_impl.h"
#include "platform/platform.h"
#include "rx_impl.h"
#include "send_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NX_SVC_MAX      32u       /* services one node serves */
#define NX_SVC_CHECK_NS 10000000u /* how often a waiting call looks at its server */
#define NX_SVC_REPLY_MS 1000u     /* how long a reply waits for room in a full queue */

typedef struct nx_served {
    const nx_service_desc_t *desc;
    nx_serve_dispatch_fn dispatch;
    nx_generic_fn fn;
    void *user;
    _Atomic uint32_t topic_slot, topic_inc;
    _Atomic bool active;
    _Atomic uint32_t inflight; /* handlers running (quiesced by unserve) */
} nx_served_t;

typedef struct nx_call {
    struct nx_call *next;
    uint64_t id;
    const nx_service_desc_t *desc;
    uint32_t server_slot, server_inc;
    uint32_t topic_slot, topic_inc;
    nx_peer_t *peer; /* a reference */
    uint64_t deadline_ns, next_check_ns, gen;
    /* Synchronous: the caller's buffer, and the outcome. */
    void *rep;
    _Atomic bool done; /* set (release) with the lock held, status first */
    nx_err_t status;
    /* Asynchronous. */
    nx_reply_dispatch_fn dispatch;
    nx_generic_fn fn;
    void *user;
} nx_call_t;

struct nx_svc {
    pthread_mutex_t lock; /* served[] changes, the calls list */
    pthread_cond_t done;  /* a synchronous call completed */
    nx_served_t served[NX_SVC_MAX];
    nx_call_t *calls;
    uint64_t id_base;
    _Atomic uint64_t next_id;
    _Atomic uint64_t async_due; /* UINT64_MAX: no asynchronous call */
    /* Where services were found, valid while the registry's generation is
     * the one recorded (guarded by lock): a call does not search the
     * registry again until it changed. */
    struct {
        char name[NX_SERVICE_NAME_MAX + 1]; /* by name: a descriptor may be a
                                               caller's stack variable */
        uint64_t gen;
        nx_reg_service_t found;
    } cache[8];
    uint32_t cache_next;
};

/* ---- set-up -------------------------------------------------------------- */

nx_err_t nx__svc_init(nx_node_t *node)
{
    struct nx_svc *s = calloc(1, sizeof *s);
    if (!s)
        return NX_ENOMEM;
    pthread_condattr_t ca;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NX_ESYS;
    }
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&s->done, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NX_ESYS;
    }
    /* Call ids: a per-node random start, so a reply meant for an earlier
     * incarnation of a node of the same name matches nothing. */
    s->id_base =
        nx__plat_now_ns() ^ ((uint64_t)(uint32_t)node->pid << 32) ^ (uint64_t)(uintptr_t)s;
    atomic_init(&s->next_id, 1);
    atomic_init(&s->async_due, UINT64_MAX);
    node->svc = s;
    return NX_OK;
}

static void call_finish_async(nx_node_t *node, nx_call_t *c, nx_err_t status,
                              const void *rep, const nx_msg_info_t *info);

void nx__svc_fini(nx_node_t *node)
{
    struct nx_svc *s = node->svc;
    if (!s)
        return;
    for (uint32_t i = 0; i < NX_SVC_MAX; i++) {
        nx_served_t *e = &s->served[i];
        if (atomic_load(&e->active)) {
            atomic_store(&e->active, false);
            if (node->reg && node->slot != UINT32_MAX)
                nx__registry_topic_detach(node->reg, atomic_load(&e->topic_slot),
                                          atomic_load(&e->topic_inc), node->slot, false);
        }
    }
    /* Calls still pending: they end now. */
    pthread_mutex_lock(&s->lock);
    nx_call_t *async = NULL;
    for (nx_call_t **pp = &s->calls; *pp;) {
        nx_call_t *c = *pp;
        if (c->dispatch) {
            *pp = c->next;
            c->next = async;
            async = c;
        } else {
            c->done = true;
            c->status = NX_ENOTFOUND;
            pp = &c->next;
        }
    }
    pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->lock);
    while (async) {
        nx_call_t *c = async;
        async = c->next;
        call_finish_async(node, c, NX_ENOTFOUND, NULL, NULL);
    }
    /* A synchronous caller on another thread takes its entry out itself;
     * calling on a node being destroyed is the caller's error, so only
     * wait briefly for them. */
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&s->lock);
        bool empty = s->calls == NULL;
        pthread_mutex_unlock(&s->lock);
        if (empty)
            break;
        nx__plat_sleep_ns(1000000);
    }
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->lock);
    free(s);
    node->svc = NULL;
}

void nx__svc_rejoin(nx_node_t *node)
{
    struct nx_svc *s = node->svc;
    for (uint32_t i = 0; i < NX_SVC_MAX; i++) {
        nx_served_t *e = &s->served[i];
        if (!atomic_load(&e->active))
            continue;
        uint32_t ts, ti;
        if (nx__registry_service_serve(node->reg, e->desc->name, e->desc->request,
                                       e->desc->reply, node->slot, &ts, &ti) == NX_OK) {
            atomic_store(&e->topic_slot, ts);
            atomic_store(&e->topic_inc, ti);
        } else {
            NX_LOGE("node", "%s: cannot serve '%s' again after rejoining", node->name,
                    e->desc->name);
        }
    }
}

/* ---- checks ------------------------------------------------------------ */

static bool desc_ok(const nx_service_desc_t *svc)
{
    return svc && svc->name && nx__topic_name_ok(svc->name, false) &&
           strlen(svc->name) <= NX_SERVICE_NAME_MAX && svc->request && svc->reply &&
           svc->request->size > 0 && svc->reply->size > 0;
}

/* Do a request and its reply fit a slot (with their headers)? */
static bool fits(const nx_node_t *node, const nx_service_desc_t *svc)
{
    size_t room = node->cfg.node.message_size - sizeof(nx_msg_hdr_t);
    return sizeof(nx_svc_req_t) + svc->request->size <= room &&
           sizeof(nx_svc_rep_t) + svc->reply->size <= room;
}

static uint32_t timeout_of(const nx_service_desc_t *svc, uint32_t timeout_ms)
{
    if (timeout_ms)
        return timeout_ms;
    return svc->timeout_ms ? svc->timeout_ms : NX_SERVICE_TIMEOUT_MS;
}

/* ---- serving -------------------------------------------------------------- */

nx_err_t nx_service_serve(nx_node_t *node, const nx_service_desc_t *svc,
                          nx_serve_dispatch_fn dispatch, nx_generic_fn fn, void *user)
{
    if (!node || !desc_ok(svc) || !dispatch || !fn)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    if (!fits(node, svc))
        return NX_ETOOBIG;
    struct nx_svc *s = node->svc;
    pthread_mutex_lock(&s->lock);
    nx_served_t *e = NULL;
    for (uint32_t i = 0; i < NX_SVC_MAX && !e; i++) {
        nx_served_t *x = &s->served[i];
        if (!atomic_load(&x->active) && atomic_load(&x->inflight) == 0)
            e = x;
    }
    if (!e) {
        pthread_mutex_unlock(&s->lock);
        return NX_ELIMIT;
    }
    /* The handler is in place before the registry shows us serving. */
    e->desc = svc;
    e->dispatch = dispatch;
    e->fn = fn;
    e->user = user;
    uint32_t ts, ti;
    nx_err_t err = nx__registry_service_serve(node->reg, svc->name, svc->request,
                                              svc->reply, node->slot, &ts, &ti);
    if (err == NX_OK) {
        atomic_store(&e->topic_slot, ts);
        atomic_store(&e->topic_inc, ti);
        atomic_store(&e->active, true);
    }
    pthread_mutex_unlock(&s->lock);
    if (err == NX_EEXIST)
        NX_LOGE("node", "%s: cannot serve '%s': another node serves it", node->name,
                svc->name);
    return err;
}

/* Wait until no handler of e runs (but those of this thread's own
 * frames: a handler may unserve its own service). */
static _Thread_local const nx_served_t *tl_serving;

nx_err_t nx_service_unserve(nx_node_t *node, const nx_service_desc_t *svc)
{
    if (!node || !svc || !svc->name)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    struct nx_svc *s = node->svc;
    pthread_mutex_lock(&s->lock);
    nx_served_t *e = NULL;
    for (uint32_t i = 0; i < NX_SVC_MAX && !e; i++) {
        nx_served_t *x = &s->served[i];
        if (atomic_load(&x->active) && strcmp(x->desc->name, svc->name) == 0)
            e = x;
    }
    if (e)
        atomic_store(&e->active, false);
    pthread_mutex_unlock(&s->lock);
    if (!e)
        return NX_ENOTFOUND;
    nx__registry_topic_detach(node->reg, atomic_load(&e->topic_slot),
                              atomic_load(&e->topic_inc), node->slot, false);
    uint32_t own = tl_serving == e;
    while (atomic_load_explicit(&e->inflight, memory_order_seq_cst) > own)
        nx__plat_sleep_ns(100000);
    return NX_OK;
}

/* The active entry serving topic (slot, inc), counted in its inflight;
 * NULL if none. Release with served_put(). */
static nx_served_t *served_get(nx_node_t *node, uint32_t slot, uint32_t inc)
{
    struct nx_svc *s = node->svc;
    for (uint32_t i = 0; i < NX_SVC_MAX; i++) {
        nx_served_t *e = &s->served[i];
        if (!atomic_load_explicit(&e->active, memory_order_acquire) ||
            atomic_load(&e->topic_slot) != slot || atomic_load(&e->topic_inc) != inc)
            continue;
        atomic_fetch_add_explicit(&e->inflight, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&e->active, memory_order_seq_cst))
            return e;
        atomic_fetch_sub_explicit(&e->inflight, 1, memory_order_release);
    }
    return NULL;
}

static void served_put(nx_served_t *e)
{
    atomic_fetch_sub_explicit(&e->inflight, 1, memory_order_release);
}

/*
 * Run e's handler on a request of exactly its request size (checked by
 * the caller) into rep (zeroed here, reply size). Returns the handler's
 * result, or NX_ECORRUPT if the request fails validation.
 */
static nx_err_t served_run(nx_node_t *node, nx_served_t *e, const void *req, void *rep,
                           const nx_msg_info_t *info)
{
    const nx_service_desc_t *svc = e->desc;
    if (svc->request->validate && svc->request->validate(req) != NX_OK) {
        NX_STAT_INC(node, rejected_corrupt);
        return NX_ECORRUPT;
    }
    memset(rep, 0, svc->reply->size);
    const nx_served_t *up = tl_serving;
    tl_serving = e;
    nx_err_t status = e->dispatch(req, rep, info, e->fn, e->user);
    tl_serving = up;
    NX_STAT_INC(node, served);
    /* A handler's own mistake must not leave the process as a reply. */
    if (status == NX_OK && svc->reply->validate && svc->reply->validate(rep) != NX_OK) {
        NX_LOGW("node", "%s: handler of '%s' filled an invalid reply; sent as NX_ECORRUPT",
                node->name, svc->name);
        status = NX_ECORRUPT;
    }
    return status;
}

/* Send a reply frame (status, then the reply if NX_OK) to node (slot, inc). */
static void reply_send(nx_node_t *node, uint32_t slot, uint32_t inc, uint32_t topic_slot,
                       uint32_t topic_inc, uint64_t id, uint64_t fingerprint,
                       nx_err_t status, const void *rep, uint32_t rep_size)
{
    nx_reg_node_t entry;
    if (nx__registry_node_copy(node->reg, slot, inc, &entry) != NX_OK)
        return; /* the caller left: nobody to answer */
    pthread_mutex_lock(&node->peers_lock);
    nx_peer_t *p = nx__peer_get_locked(node, slot, &entry);
    pthread_mutex_unlock(&node->peers_lock);
    if (!p)
        return;
    size_t size = sizeof(nx_svc_rep_t) + (status == NX_OK ? rep_size : 0);
    uint8_t *buf = malloc(size);
    if (buf) {
        nx_svc_rep_t h = {.status = (int32_t)status};
        memcpy(buf, &h, sizeof h);
        if (status == NX_OK)
            memcpy(buf + sizeof h, rep, rep_size);
        nx_send_t c = {
            .node = node,
            .data = buf,
            .size = size,
            .local_data = buf,
            .local_size = size,
            .topic_slot = topic_slot,
            .topic_inc = topic_inc,
            .seq = id,
            .now = nx__plat_now_ns(),
            .fingerprint = fingerprint,
            .kind = NX_MSGK_REPLY,
            .on_full = NX_ON_FULL_BLOCK,
            .block_ms = NX_SVC_REPLY_MS,
        };
        if (nx__shm_send(&c, p) != NX_OK)
            NX_LOGD("node", "%s: reply to '%s' not delivered", node->name, p->name);
        free(buf);
    }
    nx__peer_put(p);
}

void nx__svc_request(nx_node_t *node, const nx_svc_peer_t *from, const nx_msg_hdr_t *h,
                     const uint8_t *payload)
{
    nx_served_t *e = served_get(node, h->topic_slot, h->topic_inc);
    if (!e) {
        /* Not (or no longer) served here: tell the caller at once. */
        reply_send(node, from->slot, from->inc, h->topic_slot, h->topic_inc, h->seq, 0,
                   NX_ENOTFOUND, NULL, 0);
        return;
    }
    const nx_service_desc_t *svc = e->desc;
    nx_err_t status;
    nx_svc_req_t rh;
    void *rep = calloc(1, svc->reply->size);
    if (h->size != sizeof rh + svc->request->size) {
        NX_STAT_INC(node, rejected_corrupt);
        status = NX_ECORRUPT;
    } else if (memcpy(&rh, payload, sizeof rh),
               h->fingerprint != svc->request->fingerprint ||
                   rh.reply_fingerprint != svc->reply->fingerprint) {
        NX_LOGE("node",
                "%s: call of '%s' from '%s' refused: type mismatch: request %016llx / "
                "reply %016llx, this server has %016llx / %016llx",
                node->name, svc->name, from->name, (unsigned long long)h->fingerprint,
                (unsigned long long)rh.reply_fingerprint,
                (unsigned long long)svc->request->fingerprint,
                (unsigned long long)svc->reply->fingerprint);
        NX_STAT_INC(node, rejected_type);
        status = NX_ETYPE;
    } else if (!rep) {
        status = NX_ENOMEM;
    } else {
        nx_msg_info_t info = nx__frame_info(from->name, from->pid, h->seq, h->send_time_ns,
                                            nx__rx_time(node, h->send_time_ns), 0, NULL);
        status = served_run(node, e, payload + sizeof rh, rep, &info);
    }
    reply_send(node, from->slot, from->inc, h->topic_slot, h->topic_inc, h->seq,
               svc->reply->fingerprint, status, rep, svc->reply->size);
    free(rep);
    served_put(e);
}

/* ---- calling -------------------------------------------------------------- */

/* Take call c out of the pending list (lock held). True if it was there. */
static bool call_unlink(struct nx_svc *s, nx_call_t *c)
{
    for (nx_call_t **pp = &s->calls; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            return true;
        }
    return false;
}

static void async_due_update(struct nx_svc *s)
{
    uint64_t due = UINT64_MAX;
    for (nx_call_t *c = s->calls; c; c = c->next)
        if (c->dispatch) {
            uint64_t d =
                c->next_check_ns < c->deadline_ns ? c->next_check_ns : c->deadline_ns;
            if (d < due)
                due = d;
        }
    atomic_store_explicit(&s->async_due, due, memory_order_relaxed);
}

static void call_finish_async(nx_node_t *node, nx_call_t *c, nx_err_t status,
                              const void *rep, const nx_msg_info_t *info)
{
    nx_msg_info_t none = {.sender = ""};
    c->dispatch(status, status == NX_OK ? rep : NULL, info ? info : &none, c->fn, c->user);
    if (c->peer)
        nx__peer_put(c->peer);
    (void)node;
    free(c);
}

/*
 * Is the server of call c still there? A server that died, left, was
 * reaped or stopped serving ends the call (NX_ENOTFOUND). Looked at every
 * NX_SVC_CHECK_NS: the process (the peer's cached liveness), and the
 * registry when its generation moved.
 */
static bool call_server_gone(nx_node_t *node, nx_call_t *c, uint64_t now)
{
    if (now < c->next_check_ns)
        return false;
    c->next_check_ns = now + NX_SVC_CHECK_NS;
    if (c->peer && nx__peer_gone(node, c->peer))
        return true;
    uint64_t gen = nx__registry_generation(node->reg);
    if (gen == c->gen)
        return false;
    c->gen = gen;
    nx_reg_service_t found;
    return nx__registry_service_find(node->reg, c->desc->name, &found) != NX_OK ||
           found.server_slot != c->server_slot ||
           found.server.incarnation != c->server_inc || found.topic_slot != c->topic_slot ||
           found.topic_inc != c->topic_inc;
}

/* A call to a server in this process: the handler runs on this thread. */
typedef struct local_call {
    const nx_service_desc_t *svc;
    uint32_t topic_slot, topic_inc;
    const void *req;
    void *rep;
    const nx_node_t *caller;
    nx_err_t status;
} local_call_t;

static void local_call_run(nx_node_t *server, const void *arg)
{
    local_call_t *lc = (local_call_t *)arg;
    nx_served_t *e = served_get(server, lc->topic_slot, lc->topic_inc);
    if (!e) {
        lc->status = NX_ENOTFOUND;
        return;
    }
    nx_msg_info_t info =
        nx__frame_info(lc->caller->name, (uint32_t)lc->caller->pid, 0, nx__plat_now_ns(),
                       nx__plat_now_ns(), NX_MSG_INPROC, NULL);
    lc->status = served_run(server, e, lc->req, lc->rep, &info);
    served_put(e);
}

/* Find svc's server as of registry generation gen (read before): from the
 * cache, or the registry. */
static nx_err_t svc_find(nx_node_t *node, const nx_service_desc_t *svc, uint64_t gen,
                         nx_reg_service_t *out)
{
    struct nx_svc *s = node->svc;
    const uint32_t n = sizeof s->cache / sizeof s->cache[0];
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < n; i++)
        if (s->cache[i].gen == gen && strcmp(s->cache[i].name, svc->name) == 0) {
            *out = s->cache[i].found;
            pthread_mutex_unlock(&s->lock);
            return NX_OK;
        }
    pthread_mutex_unlock(&s->lock);
    nx_err_t err = nx__registry_service_find(node->reg, svc->name, out);
    if (err == NX_OK) {
        pthread_mutex_lock(&s->lock);
        uint32_t i = s->cache_next++ % n;
        snprintf(s->cache[i].name, sizeof s->cache[i].name, "%s", svc->name);
        s->cache[i].gen = gen;
        s->cache[i].found = *out;
        pthread_mutex_unlock(&s->lock);
    }
    return err;
}

/* Everything a call does before it waits. On NX_OK with *local set, the
 * call is done (in-process); otherwise *out is pending and sent. */
static nx_err_t call_start(nx_node_t *node, const nx_service_desc_t *svc, const void *req,
                           void *rep, uint32_t timeout_ms, nx_reply_dispatch_fn dispatch,
                           nx_generic_fn fn, void *user, bool *local, nx_call_t **out)
{
    /* *out: the synchronous caller's own (on its stack); NULL for an
     * asynchronous call, which gets one on the heap. */
    nx_call_t *own = *out;
    *local = false;
    if (!fits(node, svc))
        return NX_ETOOBIG;
    if (svc->request->validate && svc->request->validate(req) != NX_OK)
        return NX_EINVAL;
    uint64_t now = nx__plat_now_ns();
    uint64_t deadline = now + (uint64_t)timeout_of(svc, timeout_ms) * 1000000u;
    uint64_t gen = nx__registry_generation(node->reg);
    nx_reg_service_t found;
    nx_err_t err = svc_find(node, svc, gen, &found);
    if (err != NX_OK)
        return err == NX_EBUSY || err == NX_ECORRUPT ? err : NX_ENOTFOUND;
    if (found.request_fp != svc->request->fingerprint ||
        found.reply_fp != svc->reply->fingerprint) {
        NX_LOGE("node",
                "%s: call of '%s' refused: type mismatch: the server takes %s "
                "(%016llx -> %016llx), this caller has %s -> %s (%016llx -> %016llx)",
                node->name, svc->name, found.type_name,
                (unsigned long long)found.request_fp, (unsigned long long)found.reply_fp,
                svc->request->name ? svc->request->name : "?",
                svc->reply->name ? svc->reply->name : "?",
                (unsigned long long)svc->request->fingerprint,
                (unsigned long long)svc->reply->fingerprint);
        return NX_ETYPE;
    }
    NX_STAT_INC(node, calls);
    if (found.server.pid == (uint32_t)node->pid) {
        uint32_t lidx;
        uint64_t lgen;
        if (!nx__inproc_find(node->domain, found.server_slot, found.server.incarnation,
                             &lidx, &lgen))
            return NX_ENOTFOUND;
        void *buf = calloc(1, svc->reply->size);
        if (!buf)
            return NX_ENOMEM;
        local_call_t lc = {svc, found.topic_slot, found.topic_inc, req, buf, node, NX_OK};
        if (!nx__inproc_run(lidx, lgen, local_call_run, &lc))
            lc.status = NX_ENOTFOUND;
        if (lc.status == NX_OK) {
            if (dispatch) {
                nx_msg_info_t info =
                    nx__frame_info(found.server.name, found.server.pid, 0, now,
                                   nx__plat_now_ns(), NX_MSG_INPROC, NULL);
                dispatch(NX_OK, buf, &info, fn, user);
            } else {
                memcpy(rep, buf, svc->reply->size);
            }
        } else if (dispatch) {
            nx_msg_info_t none = {.sender = ""};
            dispatch(lc.status, NULL, &none, fn, user);
        }
        free(buf);
        *local = true;
        return dispatch ? NX_OK : lc.status;
    }

    nx_call_t *c = own ? own : calloc(1, sizeof *c);
    uint8_t small[512];
    size_t msg_size = sizeof(nx_svc_req_t) + svc->request->size;
    uint8_t *msg = msg_size <= sizeof small ? small : malloc(msg_size);
    if (!c || !msg) {
        if (!own)
            free(c);
        if (msg != small)
            free(msg);
        return NX_ENOMEM;
    }
    struct nx_svc *s = node->svc;
    c->id = s->id_base + atomic_fetch_add(&s->next_id, 1);
    c->desc = svc;
    c->server_slot = found.server_slot;
    c->server_inc = found.server.incarnation;
    c->topic_slot = found.topic_slot;
    c->topic_inc = found.topic_inc;
    c->deadline_ns = deadline;
    c->next_check_ns = now + NX_SVC_CHECK_NS;
    c->gen = gen;
    c->rep = rep;
    c->dispatch = dispatch;
    c->fn = fn;
    c->user = user;
    pthread_mutex_lock(&node->peers_lock);
    c->peer = nx__peer_get_locked(node, found.server_slot, &found.server);
    pthread_mutex_unlock(&node->peers_lock);
    if (!c->peer) {
        if (!own)
            free(c);
        if (msg != small)
            free(msg);
        return NX_ENOMEM;
    }
    /* Once pending, an asynchronous call may end (and be freed) on the
     * receive thread at any time: keep what the send needs, and a
     * reference of our own to the peer. */
    uint64_t id = c->id;
    nx_peer_t *peer = c->peer;
    atomic_fetch_add_explicit(&peer->refs, 1, memory_order_relaxed);
    /* Pending before it is sent: a quick reply must find it. */
    pthread_mutex_lock(&s->lock);
    c->next = s->calls;
    s->calls = c;
    if (dispatch)
        async_due_update(s);
    pthread_mutex_unlock(&s->lock);

    nx_svc_req_t rh = {.reply_fingerprint = svc->reply->fingerprint};
    memcpy(msg, &rh, sizeof rh);
    memcpy(msg + sizeof rh, req, svc->request->size);
    uint64_t left_ms = deadline > now ? (deadline - now) / 1000000u : 0;
    nx_send_t m = {
        .node = node,
        .data = msg,
        .size = sizeof rh + svc->request->size,
        .local_data = msg,
        .local_size = sizeof rh + svc->request->size,
        .topic_slot = found.topic_slot,
        .topic_inc = found.topic_inc,
        .seq = id,
        .now = now,
        .fingerprint = svc->request->fingerprint,
        .kind = NX_MSGK_REQUEST,
        .on_full = NX_ON_FULL_BLOCK,
        .block_ms = (uint32_t)(left_ms > UINT32_MAX ? UINT32_MAX : left_ms),
    };
    err = nx__shm_send(&m, peer);
    if (msg != small)
        free(msg);
    nx__peer_put(peer);
    if (err != NX_OK) {
        pthread_mutex_lock(&s->lock);
        bool mine = call_unlink(s, c);
        if (dispatch)
            async_due_update(s);
        pthread_mutex_unlock(&s->lock);
        if (!mine) /* fini took it: it answers for it */
            return NX_ENOTFOUND;
        nx__peer_put(c->peer);
        if (!own)
            free(c);
        return err == NX_ETIMEOUT ? NX_ETIMEOUT : NX_ENOTFOUND;
    }
    *out = c;
    return NX_OK;
}

nx_err_t nx_service_call(nx_node_t *node, const nx_service_desc_t *svc, const void *req,
                         void *rep, uint32_t timeout_ms)
{
    if (!node || !desc_ok(svc) || !req || !rep)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    bool local;
    nx_call_t call;
    memset(&call, 0, sizeof call);
    nx_call_t *c = &call;
    nx_err_t err =
        call_start(node, svc, req, rep, timeout_ms, NULL, NULL, NULL, &local, &c);
    if (err != NX_OK || local)
        return err;

    struct nx_svc *s = node->svc;
    bool pump = nx__rx_on_thread(node);
    pthread_mutex_lock(&s->lock);
    while (!c->done) {
        uint64_t now = nx__plat_now_ns();
        if (now >= c->deadline_ns) {
            c->done = true;
            c->status = NX_ETIMEOUT;
            break;
        }
        if (call_server_gone(node, c, now)) {
            c->done = true;
            c->status = NX_ENOTFOUND;
            break;
        }
        uint64_t until =
            c->deadline_ns < c->next_check_ns ? c->deadline_ns : c->next_check_ns;
        if (pump) {
            /* We are the thread that would deliver the reply: deliver it
             * (and the requests others make to us meanwhile) ourselves. */
            pthread_mutex_unlock(&s->lock);
            if (nx__rx_pump(node) == 0)
                nx__rx_wait(node, until);
            pthread_mutex_lock(&s->lock);
        } else {
            struct timespec ts = {(time_t)(until / 1000000000u),
                                  (long)(until % 1000000000u)};
            pthread_cond_timedwait(&s->done, &s->lock, &ts);
        }
    }
    call_unlink(s, c);
    nx_err_t status = c->status;
    pthread_mutex_unlock(&s->lock);
    nx__peer_put(c->peer);
    return status;
}

nx_err_t nx_service_call_async(nx_node_t *node, const nx_service_desc_t *svc,
                               const void *req, nx_reply_dispatch_fn dispatch,
                               nx_generic_fn fn, void *user, uint32_t timeout_ms)
{
    if (!node || !desc_ok(svc) || !req || !dispatch || !fn)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    bool local;
    nx_call_t *c = NULL;
    nx_err_t err =
        call_start(node, svc, req, NULL, timeout_ms, dispatch, fn, user, &local, &c);
    if (err == NX_OK && !local)
        nx__bell_force(&node->seg->bell); /* the receive thread minds the deadline */
    return err;
}

void nx__svc_reply(nx_node_t *node, const nx_svc_peer_t *from, const nx_msg_hdr_t *h,
                   const uint8_t *payload)
{
    struct nx_svc *s = node->svc;
    pthread_mutex_lock(&s->lock);
    nx_call_t *c = s->calls;
    while (c && c->id != h->seq)
        c = c->next;
    /* Only the server it was sent to answers a call. */
    if (!c || c->done || c->server_slot != from->slot || c->server_inc != from->inc ||
        c->topic_slot != h->topic_slot || c->topic_inc != h->topic_inc) {
        pthread_mutex_unlock(&s->lock);
        NX_STAT_INC(node, late_replies);
        return;
    }
    const nx_service_desc_t *svc = c->desc;
    nx_svc_rep_t rh = {.status = NX_ECORRUPT};
    nx_err_t status;
    if (h->size < sizeof rh) {
        status = NX_ECORRUPT;
    } else {
        memcpy(&rh, payload, sizeof rh);
        status = (nx_err_t)rh.status;
        if (status == NX_OK) {
            if (h->fingerprint != svc->reply->fingerprint) {
                NX_LOGE("node",
                        "%s: reply of '%s' refused: type mismatch: reply %016llx, this "
                        "caller expects %016llx",
                        node->name, svc->name, (unsigned long long)h->fingerprint,
                        (unsigned long long)svc->reply->fingerprint);
                status = NX_ETYPE;
            } else if (h->size != sizeof rh + svc->reply->size ||
                       (svc->reply->validate &&
                        svc->reply->validate(payload + sizeof rh) != NX_OK)) {
                NX_STAT_INC(node, rejected_corrupt);
                status = NX_ECORRUPT;
            }
        } else if (h->size != sizeof rh) {
            status = NX_ECORRUPT; /* an error carries no reply */
        }
    }
    if (!c->dispatch) {
        if (status == NX_OK)
            memcpy(c->rep, payload + sizeof rh, svc->reply->size);
        c->status = status;
        c->done = true;
        /* Wake it after the unlock, so it does not wake into a held lock
         * (c itself is not touched after the unlock: it may be gone). */
        pthread_mutex_unlock(&s->lock);
        pthread_cond_broadcast(&s->done);
        return;
    }
    call_unlink(s, c);
    async_due_update(s);
    pthread_mutex_unlock(&s->lock);
    nx_msg_info_t info = nx__frame_info(from->name, from->pid, h->seq, h->send_time_ns,
                                        nx__rx_time(node, h->send_time_ns), 0, NULL);
    call_finish_async(node, c, status, payload + sizeof rh, &info);
}

uint64_t nx__svc_deadline(nx_node_t *node)
{
    return atomic_load_explicit(&node->svc->async_due, memory_order_relaxed);
}

void nx__svc_tick(nx_node_t *node, uint64_t now)
{
    struct nx_svc *s = node->svc;
    nx_call_t *ended = NULL;
    pthread_mutex_lock(&s->lock);
    for (nx_call_t **pp = &s->calls; *pp;) {
        nx_call_t *c = *pp;
        if (!c->dispatch) {
            pp = &c->next;
            continue;
        }
        nx_err_t status = NX_OK;
        if (now >= c->deadline_ns)
            status = NX_ETIMEOUT;
        else if (call_server_gone(node, c, now))
            status = NX_ENOTFOUND;
        if (status == NX_OK) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        c->status = status;
        c->next = ended;
        ended = c;
    }
    async_due_update(s);
    pthread_mutex_unlock(&s->lock);
    while (ended) {
        nx_call_t *c = ended;
        ended = c->next;
        call_finish_async(node, c, c->status, NULL, NULL);
    }
}
