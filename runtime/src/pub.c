/*
 * pub.c: publishing. A node keeps one publisher (nx_pub_t) per (group,
 * topic, type) it publishes, created on first use and registered in the
 * domain; a publish takes the publisher's route (route.c) and sends to
 * each target through the one send interface (send_impl.h), inline or,
 * when the payload does not fit a slot, through the large-data channel
 * (large.c). The public publish entry points and the on_full policy live
 * here.
 */
#include "pub_impl.h"

#include "large_impl.h"
#include "log_impl.h"
#include "names_impl.h"
#include "node_impl.h"
#include "platform/platform.h"

#include <stdlib.h>
#include <string.h>

static uint32_t name_hash(const char *group, const char *topic)
{
    uint32_t h = 2166136261u;
    for (const char *s = group; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    h = (h ^ 0xffu) * 16777619u;
    for (const char *s = topic; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* A node may publish one topic both raw and typed: each is its own
 * publisher, so raw bytes never travel with a type's fingerprint. */
static nx_pub_t *pub_lookup(nx_node_t *node, const char *group, const char *topic,
                            uint64_t fingerprint, uint32_t hash)
{
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        /* Acquire pairs with the release store in pub_get(): a pub seen
         * here is fully built. */
        nx_pub_t *p = atomic_load_explicit(&node->pubs[(hash + i) % NX_PUB_TABLE],
                                           memory_order_acquire);
        if (!p)
            return NULL;
        if (p->fingerprint == fingerprint && strcmp(p->topic, topic) == 0 &&
            strcmp(p->group, group) == 0)
            return p;
    }
    return NULL;
}

/* Tell the domain the publisher's on_full policy (for tools). */
static void pub_record_policy(nx_node_t *node, nx_pub_t *p)
{
    uint64_t id = atomic_load_explicit(&p->topic_id, memory_order_relaxed);
    nx__registry_topic_set_policy(node->reg, (uint32_t)id, (uint32_t)(id >> 32), node->slot,
                                  (nx_on_full_t)atomic_load(&p->on_full),
                                  atomic_load(&p->block_ms));
}

nx_err_t nx__pub_get(nx_node_t *node, const char *group, const char *topic,
                     const nx_topic_desc_t *desc, nx_pub_t **out)
{
    uint32_t hash = name_hash(group, topic);
    uint64_t fp = desc ? desc->type->fingerprint : 0;
    nx_pub_t *p = pub_lookup(node, group, topic, fp, hash);
    if (p) {
        *out = p;
        return NX_OK;
    }
    /* First publish of this topic: the names are checked once, here. */
    if (!nx__topic_name_ok(group, true) || !nx__topic_name_ok(topic, false))
        return NX_EINVAL;
    pthread_mutex_lock(&node->pubs_lock);
    p = pub_lookup(node, group, topic, fp, hash);
    if (p) {
        pthread_mutex_unlock(&node->pubs_lock);
        *out = p;
        return NX_OK;
    }
    uint32_t at = UINT32_MAX;
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        uint32_t k = (hash + i) % NX_PUB_TABLE;
        if (!atomic_load_explicit(&node->pubs[k], memory_order_relaxed)) {
            at = k;
            break;
        }
    }
    if (at == UINT32_MAX || at == (hash + NX_PUB_TABLE - 1) % NX_PUB_TABLE) {
        /* Keep one empty slot so lookups always terminate early. */
        pthread_mutex_unlock(&node->pubs_lock);
        return NX_ELIMIT;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        pthread_mutex_unlock(&node->pubs_lock);
        return NX_ENOMEM;
    }
    memcpy(p->group, group, strlen(group) + 1);
    memcpy(p->topic, topic, strlen(topic) + 1);
    p->desc = desc;
    p->fingerprint = desc ? desc->type->fingerprint : 0;
    atomic_init(&p->on_full, desc ? (uint32_t)desc->on_full : NX_ON_FULL_FAIL);
    atomic_init(&p->block_ms, desc ? desc->block_ms : 0);
    pthread_mutex_init(&p->route_lock, NULL);
    char other[NX_TYPE_NAME_MAX + 1] = "";
    uint32_t tslot, tinc;
    nx_err_t err =
        nx__registry_topic_attach(node->reg, group, topic, desc ? desc->type : NULL,
                                  node->slot, true, &tslot, &tinc, other, sizeof other);
    atomic_init(&p->topic_id, nx__topic_id(tslot, tinc));
    if (err != NX_OK) {
        pthread_mutex_unlock(&node->pubs_lock);
        if (err == NX_ETYPE)
            NX_LOGE("node",
                    "%s: publish to '%s' refused: type mismatch: the topic "
                    "carries '%s', this publisher writes '%s'",
                    node->name, topic, other, desc->type->name ? desc->type->name : "?");
        pthread_mutex_destroy(&p->route_lock);
        free(p);
        return err;
    }
    pub_record_policy(node, p);
    atomic_store_explicit(&node->pubs[at], p, memory_order_release);
    pthread_mutex_unlock(&node->pubs_lock);
    *out = p;
    return NX_OK;
}

void nx__pubs_free(nx_node_t *node)
{
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        nx_pub_t *p = atomic_exchange(&node->pubs[i], NULL);
        if (!p)
            continue;
        uint64_t id = atomic_load(&p->topic_id);
        nx__registry_topic_detach(node->reg, (uint32_t)id, (uint32_t)(id >> 32), node->slot,
                                  true);
        nx__route_free(atomic_load(&p->route));
        while (p->retired) {
            nx_route_t *r = p->retired;
            p->retired = r->next;
            nx__route_free(r);
        }
        pthread_mutex_destroy(&p->route_lock);
        free(p);
    }
}

void nx__pubs_rejoin(nx_node_t *node)
{
    pthread_mutex_lock(&node->pubs_lock);
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        nx_pub_t *p = atomic_load_explicit(&node->pubs[i], memory_order_acquire);
        if (!p)
            continue;
        uint32_t tslot, tinc;
        if (nx__registry_topic_attach(node->reg, p->group, p->topic,
                                      p->desc ? p->desc->type : NULL, node->slot, true,
                                      &tslot, &tinc, NULL, 0) == NX_OK) {
            atomic_store(&p->topic_id, nx__topic_id(tslot, tinc));
            pub_record_policy(node, p);
        } else {
            NX_LOGE("node", "%s: cannot publish '%s' again after rejoining", node->name,
                    p->topic);
        }
    }
    pthread_mutex_unlock(&node->pubs_lock);
}

/* ---- one message ------------------------------------------------------------ */

void nx__send_init(nx_send_t *s, nx_node_t *node, nx_pub_t *pub)
{
    memset(s, 0, sizeof *s);
    s->node = node;
    s->pub = pub;
    s->seq = atomic_fetch_add_explicit(&pub->seq, 1, memory_order_relaxed) + 1;
    uint64_t id = atomic_load_explicit(&pub->topic_id, memory_order_relaxed);
    s->topic_slot = (uint32_t)id;
    s->topic_inc = (uint32_t)(id >> 32);
    s->now = nx__plat_now_ns();
    s->fingerprint = pub->fingerprint;
    s->on_full = atomic_load_explicit(&pub->on_full, memory_order_relaxed);
    s->block_ms = atomic_load_explicit(&pub->block_ms, memory_order_relaxed);
}

static nx_err_t publish_route(nx_node_t *node, nx_pub_t *pub, const void *data, size_t size)
{
    nx_route_t *r = nx__route_get(node, pub);
    if (!r)
        return NX_ENOMEM;
    nx_send_t c;
    nx__send_init(&c, node, pub);
    c.data = c.local_data = data;
    c.size = c.local_size = size;
    c.kind = NX_MSGK_DATA;
    bool full = false, unreached = r->unreached != 0;
    nx_err_t other = NX_OK;
    for (uint32_t i = 0; i < r->count; i++) {
        nx_err_t e = nx__send(&c, &r->targets[i]);
        if (e == NX_ETIMEOUT)
            full = true;
        else if (e == NX_EPARTIAL)
            unreached = true;
        else if (e != NX_OK && e != NX_ENOTFOUND) /* gone: no loss */
            other = e;
    }
    nx__route_put(pub);
    if (unreached)
        nx__route_retry(pub, c.now);
    return nx__publish_status(full, unreached, other);
}

nx_err_t nx__publish(nx_node_t *node, const char *group, const char *topic,
                     const nx_topic_desc_t *desc, const void *data, size_t size,
                     bool large_only)
{
    nx_pub_t *pub;
    nx_err_t err = nx__pub_get(node, group, topic, desc, &pub);
    if (err != NX_OK) {
        NX_STAT_INC(node, publish_failed);
        return err;
    }
    size_t inline_max = node->cfg.node.message_size - sizeof(nx_msg_hdr_t);
    if (size > inline_max || large_only) {
        err = nx__large_publish(node, pub, data, size);
    } else {
        err = publish_route(node, pub, data, size);
    }
    if (err == NX_OK)
        NX_STAT_INC(node, published);
    else
        NX_STAT_INC(node, publish_failed);
    return err;
}

nx_err_t nx_publish(nx_node_t *node, const char *group, const char *topic, const void *data,
                    size_t size)
{
    /* Names are checked when the topic is first published (nx__pub_get). */
    if (!node || !group || !topic || (!data && size) || size > UINT32_MAX)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    return nx__publish(node, group, topic, NULL, data, size, false);
}

nx_err_t nx_send_large_data(nx_node_t *node, const char *channel, const char *topic,
                            const void *data, size_t size)
{
    if (!node || !nx__topic_name_ok(channel, true) || !nx__topic_name_ok(topic, false) ||
        (!data && size) || size > UINT32_MAX)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    if (node->cfg.large_data.ring_size == 0)
        return NX_ENOTINIT;
    return nx__publish(node, channel, topic, NULL, data, size, true);
}

nx_err_t nx_topic_publish(nx_node_t *node, const nx_topic_desc_t *topic, const void *msg)
{
    if (!node || !topic || !topic->type || !topic->name || !msg)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    if (topic->type->validate && topic->type->validate(msg) != NX_OK)
        return NX_EINVAL; /* an invalid message never leaves the process */
    return nx__publish(node, "", topic->name, topic, msg, topic->type->size, false);
}

nx_err_t nx_publisher_set_policy(nx_node_t *node, const char *group, const char *topic,
                                 nx_on_full_t on_full, uint32_t block_ms)
{
    if (!node || !nx__topic_name_ok(group, true) || !nx__topic_name_ok(topic, false) ||
        (on_full != NX_ON_FULL_FAIL && on_full != NX_ON_FULL_BLOCK))
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    /* The raw publisher of the topic (created if need be) and any typed
     * one this node has all take the policy. */
    nx_pub_t *raw;
    nx_err_t err = nx__pub_get(node, group, topic, NULL, &raw);
    if (err != NX_OK)
        return err;
    for (uint32_t i = 0; i < NX_PUB_TABLE; i++) {
        nx_pub_t *p = atomic_load_explicit(&node->pubs[i], memory_order_acquire);
        if (p && strcmp(p->topic, topic) == 0 && strcmp(p->group, group) == 0) {
            atomic_store(&p->on_full, (uint32_t)on_full);
            atomic_store(&p->block_ms, block_ms);
            pub_record_policy(node, p);
        }
    }
    return NX_OK;
}

nx_err_t nx_subscriber_count(nx_node_t *node, const char *group, const char *topic,
                             size_t *count)
{
    if (!node || !count || !nx__topic_name_ok(group, true) ||
        !nx__topic_name_ok(topic, false))
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    return nx__registry_subscriber_count(node->reg, group, topic, count);
}
