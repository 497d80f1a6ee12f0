/*
 * sub.c: subscriptions, and delivery of a message to a subscription.
 *
 * A subscription is a handler pointer in the node's table, indexed by the
 * registry topic slot. Delivery counts itself in the entry's `inflight`,
 * loads the handler and calls it; unsubscribing swaps the handler out and
 * waits until no call is running (other than frames of the unsubscribing
 * thread itself, so a callback may unsubscribe itself). No lock is held
 * while a callback runs (rule 13).
 */
#include "sub_impl.h"

#include "names_impl.h"
#include "node_impl.h"

#include "log_impl.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* Callbacks running on this thread, innermost first. */
typedef struct sub_frame {
    const nx_sub_t *sub;
    struct sub_frame *up;
} sub_frame_t;

static _Thread_local sub_frame_t *tl_frames;

static uint32_t frames_on_this_thread(const nx_sub_t *sub)
{
    uint32_t n = 0;
    for (sub_frame_t *f = tl_frames; f; f = f->up)
        n += f->sub == sub;
    return n;
}

/* Wait until only this thread's own frames are inside sub's callbacks. */
static void sub_quiesce(nx_sub_t *sub)
{
    uint32_t own = frames_on_this_thread(sub);
    /* seq_cst: pairs with the increment-then-load in nx__sub_deliver(). */
    while (atomic_load_explicit(&sub->inflight, memory_order_seq_cst) > own)
        sched_yield();
}

void nx__sub_deliver(nx_node_t *node, uint32_t topic_slot, uint32_t topic_inc,
                     const void *data, size_t size, uint64_t fingerprint,
                     nx_msg_info_t *info, bool trusted)
{
    if (topic_slot >= NX_REG_MAX_TOPICS) {
        NX_STAT_INC(node, rejected_corrupt);
        return;
    }
    nx_sub_t *sub = &node->subs[topic_slot];
    atomic_fetch_add_explicit(&sub->inflight, 1, memory_order_seq_cst);
    nx_handler_t *h = atomic_load_explicit(&sub->h, memory_order_seq_cst);
    if (!h || h->topic_inc != topic_inc) {
        NX_STAT_INC(node, unrouted);
        goto out;
    }
    info->group = h->group;
    info->topic = h->topic;
    info->fingerprint = fingerprint;
    sub_frame_t frame = {sub, tl_frames};
    if (h->type) {
        /* A typed subscriber gets only its own type, whole and valid. */
        if (fingerprint != h->type->fingerprint || size != h->type->size) {
            NX_STAT_INC(node, rejected_type);
            goto out;
        }
        if (!trusted && h->type->validate && h->type->validate(data) != NX_OK) {
            NX_STAT_INC(node, rejected_corrupt);
            goto out;
        }
        tl_frames = &frame;
        h->dispatch(data, info, h->fn, h->user);
    } else {
        tl_frames = &frame;
        h->raw(data, size, info, h->user);
    }
    tl_frames = frame.up;
    if (!trusted)
        NX_COUNT1(node->st.dispatched); /* receive thread only */
out:
    /* Release: the callback's accesses happen before an unsubscriber
     * that sees the decrement frees the handler. */
    atomic_fetch_sub_explicit(&sub->inflight, 1, memory_order_release);
}

static nx_err_t sub_install(nx_node_t *node, const char *group, const char *topic,
                            nx_handler_t *h)
{
    char other[NX_TYPE_NAME_MAX + 1] = "";
    pthread_mutex_lock(&node->subs_lock);
    /* The callback goes in place before the change that makes our
     * subscriber bit visible is published: a publisher that finds us in
     * the registry (its route, nx_subscriber_count) finds us ready, so its
     * next message is not dropped as unrouted. */
    nx_handler_t *old = NULL;
    nx_sub_t *sub = NULL;
    nx_err_t err = NX_EBUSY;
    for (int attempt = 0; attempt < 100 && err == NX_EBUSY; attempt++) {
        nx_reg_txn_t tx;
        if ((err = nx__registry_begin(node->reg, true, &tx)) != NX_OK)
            break;
        uint32_t slot, inc;
        err = nx__registry_tx_topic_attach(&tx, group, topic, h->type, node->slot, false,
                                           &slot, &inc, other, sizeof other);
        if (err != NX_OK) {
            nx__registry_abort(&tx);
            break;
        }
        h->topic_slot = slot;
        h->topic_inc = inc;
        sub = &node->subs[slot];
        /* seq_cst: a delivery that loads the old handler has already
         * counted itself in inflight, so sub_quiesce() waits for it. */
        old = atomic_exchange_explicit(&sub->h, h, memory_order_seq_cst);
        if (!nx__registry_commit(&tx)) {
            /* Another writer published first: the slot may differ. Nobody
             * could route to (slot, inc) meanwhile: it was never current. */
            atomic_store_explicit(&sub->h, old, memory_order_seq_cst);
            old = NULL;
            err = NX_EBUSY;
        }
    }
    if (err != NX_OK) {
        pthread_mutex_unlock(&node->subs_lock);
        if (err == NX_ETYPE)
            NX_LOGE("node",
                    "%s: subscribe to '%s%s%s' refused: type mismatch: "
                    "the topic carries '%s', this subscriber expects '%s'",
                    node->name, group, group[0] ? "/" : "", topic, other,
                    h->type && h->type->name ? h->type->name : "?");
        free(h);
        return err;
    }
    pthread_mutex_unlock(&node->subs_lock);
    /* Outside both locks: a callback still running on the old handler may
     * itself subscribe, unsubscribe or need the registry. */
    if (old) {
        sub_quiesce(sub);
        free(old);
    }
    return NX_OK;
}

static nx_handler_t *handler_new(const char *group, const char *topic)
{
    nx_handler_t *h = calloc(1, sizeof *h);
    if (h) {
        memcpy(h->group, group, strlen(group) + 1);
        memcpy(h->topic, topic, strlen(topic) + 1);
    }
    return h;
}

nx_err_t nx_subscribe(nx_node_t *node, const char *group, const char *topic, nx_raw_fn fn,
                      void *user)
{
    if (!node || !fn || !nx__topic_name_ok(group, true) || !nx__topic_name_ok(topic, false))
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    nx_handler_t *h = handler_new(group, topic);
    if (!h)
        return NX_ENOMEM;
    h->raw = fn;
    h->user = user;
    return sub_install(node, group, topic, h);
}

nx_err_t nx_topic_subscribe(nx_node_t *node, const nx_topic_desc_t *topic,
                            nx_dispatch_fn dispatch, nx_generic_fn fn, void *user)
{
    if (!node || !topic || !topic->type || !dispatch || !fn ||
        !nx__topic_name_ok(topic->name, false))
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    nx_handler_t *h = handler_new("", topic->name);
    if (!h)
        return NX_ENOMEM;
    h->dispatch = dispatch;
    h->fn = fn;
    h->user = user;
    h->type = topic->type;
    return sub_install(node, "", topic->name, h);
}

nx_err_t nx_unsubscribe(nx_node_t *node, const char *group, const char *topic)
{
    if (!node || !nx__topic_name_ok(group, true) || !nx__topic_name_ok(topic, false))
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    pthread_mutex_lock(&node->subs_lock);
    for (uint32_t i = 0; i < NX_REG_MAX_TOPICS; i++) {
        nx_sub_t *sub = &node->subs[i];
        nx_handler_t *h = atomic_load_explicit(&sub->h, memory_order_relaxed);
        if (!h || strcmp(h->group, group) != 0 || strcmp(h->topic, topic) != 0)
            continue;
        nx__registry_topic_detach(node->reg, h->topic_slot, h->topic_inc, node->slot,
                                  false);
        atomic_store_explicit(&sub->h, NULL, memory_order_seq_cst);
        /* Wait for running callbacks without the lock: one of them may be
         * subscribing or unsubscribing itself. */
        pthread_mutex_unlock(&node->subs_lock);
        sub_quiesce(sub);
        free(h);
        return NX_OK;
    }
    pthread_mutex_unlock(&node->subs_lock);
    return NX_ENOTFOUND;
}

nx_err_t nx_topic_unsubscribe(nx_node_t *node, const nx_topic_desc_t *topic)
{
    if (!topic)
        return NX_EINVAL;
    return nx_unsubscribe(node, "", topic->name);
}

void nx__subs_free(nx_node_t *node)
{
    if (!node->subs)
        return;
    for (uint32_t i = 0; i < NX_REG_MAX_TOPICS; i++) {
        nx_handler_t *h = atomic_exchange(&node->subs[i].h, NULL);
        if (h) {
            sub_quiesce(&node->subs[i]);
            free(h);
        }
    }
}

void nx__subs_rejoin(nx_node_t *node)
{
    /* The receive thread calls this, so no delivery from other processes
     * runs; in-process publishers may still be delivering, hence the
     * quiesce before each old handler is freed. */
    pthread_mutex_lock(&node->subs_lock);
    nx_handler_t **old = calloc(NX_REG_MAX_TOPICS, sizeof *old);
    uint32_t n = 0;
    for (uint32_t i = 0; old && i < NX_REG_MAX_TOPICS; i++) {
        nx_handler_t *h =
            atomic_exchange_explicit(&node->subs[i].h, NULL, memory_order_seq_cst);
        if (!h)
            continue;
        sub_quiesce(&node->subs[i]);
        old[n++] = h;
    }
    for (uint32_t k = 0; k < n; k++) {
        nx_handler_t *h = old[k];
        uint32_t slot, inc;
        if (nx__registry_topic_attach(node->reg, h->group, h->topic, h->type, node->slot,
                                      false, &slot, &inc, NULL, 0) != NX_OK) {
            NX_LOGE("node", "%s: cannot subscribe to '%s' again after rejoining",
                    node->name, h->topic);
            free(h);
            continue;
        }
        h->topic_slot = slot;
        h->topic_inc = inc;
        nx_handler_t *prev =
            atomic_exchange_explicit(&node->subs[slot].h, h, memory_order_seq_cst);
        if (prev) {
            sub_quiesce(&node->subs[slot]);
            free(prev);
        }
    }
    free(old);
    pthread_mutex_unlock(&node->subs_lock);
}
