/*
 * large.c: loans. (The large-data ring itself arrives with its own change;
 * until then payloads larger than a slot are refused with NX_ETOOBIG.)
 */
#include "large_impl.h"

#include "log_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct nx_loan {
    struct nx_loan *next;
    const nx_topic_desc_t *topic;
    void *buf;
} nx_loan_t;

struct nx_large {
    nx_loan_t *loans;
};

nx_err_t nx__large_publish(nx_node_t *node, nx_pub_t *pub, const void *data,
                           size_t size)
{
    (void)node;
    (void)pub;
    (void)data;
    (void)size;
    return NX_ETOOBIG;
}

void nx__large_receive(nx_node_t *node, nx_rxq_t *q, const nx_msg_hdr_t *h,
                       const void *payload)
{
    (void)q;
    (void)h;
    (void)payload;
    NX_STAT_INC(node, rejected_corrupt);
}

void nx__large_tick(nx_node_t *node, uint64_t now_ns)
{
    (void)node;
    (void)now_ns;
}

static nx_large_t *large_get(nx_node_t *node)
{
    if (!node->large)
        node->large = calloc(1, sizeof *node->large);
    return node->large;
}

nx_err_t nx_topic_loan(nx_node_t *node, const nx_topic_desc_t *topic, void **out)
{
    if (!node || !topic || !topic->type || !out || topic->type->size == 0)
        return NX_EINVAL;
    size_t size = (topic->type->size + 63u) & ~(size_t)63u;
    nx_loan_t *l = calloc(1, sizeof *l);
    void *buf = aligned_alloc(64, size);
    pthread_mutex_lock(&node->large_lock);
    nx_large_t *lg = large_get(node);
    if (!l || !buf || !lg) {
        pthread_mutex_unlock(&node->large_lock);
        free(l);
        free(buf);
        return NX_ENOMEM;
    }
    memset(buf, 0, size);
    l->topic = topic;
    l->buf = buf;
    l->next = lg->loans;
    lg->loans = l;
    pthread_mutex_unlock(&node->large_lock);
    *out = buf;
    return NX_OK;
}

/* Take the loan of buf out of the list; NULL if it is not one. */
static nx_loan_t *loan_take(nx_node_t *node, void *buf)
{
    pthread_mutex_lock(&node->large_lock);
    nx_loan_t **pp = node->large ? &node->large->loans : NULL;
    nx_loan_t *l = NULL;
    for (; pp && *pp; pp = &(*pp)->next) {
        if ((*pp)->buf == buf) {
            l = *pp;
            *pp = l->next;
            break;
        }
    }
    pthread_mutex_unlock(&node->large_lock);
    return l;
}

nx_err_t nx_topic_publish_loan(nx_node_t *node, const nx_topic_desc_t *topic, void *msg)
{
    if (!node || !topic || !msg)
        return NX_EINVAL;
    nx_loan_t *l = loan_take(node, msg);
    if (!l)
        return NX_EINVAL;
    nx_err_t err = l->topic == topic ? nx_topic_publish(node, topic, msg) : NX_EINVAL;
    free(l->buf);
    free(l);
    return err;
}

nx_err_t nx_loan_release(nx_node_t *node, void *msg)
{
    if (!node || !msg)
        return NX_EINVAL;
    nx_loan_t *l = loan_take(node, msg);
    if (!l)
        return NX_EINVAL;
    free(l->buf);
    free(l);
    return NX_OK;
}

void nx__large_fini(nx_node_t *node)
{
    if (!node->large)
        return;
    while (node->large->loans) {
        nx_loan_t *l = node->large->loans;
        node->large->loans = l->next;
        free(l->buf);
        free(l);
    }
    free(node->large);
    node->large = NULL;
}
