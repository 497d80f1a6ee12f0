/*
 * loan.c: loans, buffers lent to the application to build a typed
 * message in place. With a large-data ring the buffer is a chunk of it,
 * held by the writer's bit: publishing the loan sends only descriptors
 * (zero copy). Without one it is process memory, published by copy.
 * Loans are listed in the node's large-data state, under large_lock.
 */
#include "loan_impl.h"

#include "large_impl.h"
#include "names_impl.h"
#include "node_impl.h"

#include <stdlib.h>

nx_err_t nx_loan_take(nx_node_t *node, const nx_topic_desc_t *topic, void **out)
{
    if (!node || !topic || !topic->type || !out || topic->type->size == 0 ||
        !nx__topic_name_ok(topic->name, false))
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    nx_loan_t *l = calloc(1, sizeof *l);
    if (!l)
        return NX_ENOMEM;
    l->topic = topic;
    pthread_mutex_lock(&node->large_lock);
    nx_large_t *lg = NULL;
    nx_err_t err = nx__large_get(node, &lg);
    if (err == NX_OK && lg->hdr) {
        /* Zero copy: the buffer is a chunk of our ring, held by our bit
         * until it is published or released. */
        err = nx__large_alloc(node, lg, topic->type->size, topic->on_full, topic->block_ms,
                              &l->chunk);
        if (err == NX_OK) {
            l->chunk->flags = NX_MSG_LOANED;
            l->buf = l->chunk + 1;
        }
    } else if (err == NX_OK) {
        /* No ring configured: a loan in process memory. */
        size_t size = (topic->type->size + 63u) & ~(size_t)63u;
        l->buf = aligned_alloc(64, size);
        err = l->buf ? NX_OK : NX_ENOMEM;
    }
    if (err == NX_OK) {
        l->next = lg->loans;
        lg->loans = l;
    }
    pthread_mutex_unlock(&node->large_lock);
    if (err != NX_OK) {
        free(l);
        return err;
    }
    *out = l->buf;
    return NX_OK;
}

/* Take the loan of buf out of the list; NULL if it is not one. */
static nx_loan_t *loan_take(nx_node_t *node, void *buf)
{
    nx_loan_t *l = NULL;
    pthread_mutex_lock(&node->large_lock);
    for (nx_loan_t **pp = node->large ? &node->large->loans : NULL; pp && *pp;
         pp = &(*pp)->next) {
        if ((*pp)->buf == buf) {
            l = *pp;
            *pp = l->next;
            break;
        }
    }
    pthread_mutex_unlock(&node->large_lock);
    return l;
}

static void loan_free(nx_loan_t *l)
{
    if (l->chunk)
        atomic_fetch_and_explicit(&l->chunk->holders, ~NX_CHUNK_WRITER_BIT,
                                  memory_order_release);
    else
        free(l->buf);
    free(l);
}

nx_err_t nx_loan_publish(nx_node_t *node, const nx_topic_desc_t *topic, void *msg)
{
    if (!node || !topic || !msg)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    nx_loan_t *l = loan_take(node, msg);
    if (!l)
        return NX_EINVAL;
    nx_err_t err = NX_EINVAL;
    if (l->topic != topic || !topic->type ||
        (topic->type->validate && topic->type->validate(msg) != NX_OK)) {
        loan_free(l);
        return NX_EINVAL;
    }
    if (!l->chunk) {
        err = nx_topic_publish(node, topic, msg);
        loan_free(l);
        return err;
    }
    nx_pub_t *pub;
    err = nx__pub_get(node, "", topic->name, topic, &pub);
    nx_route_t *r = err == NX_OK ? nx__route_get(node, pub) : NULL;
    if (!r) {
        loan_free(l);
        NX_STAT_INC(node, publish_failed);
        return err == NX_OK ? NX_ENOMEM : err;
    }
    /* The bytes are already in the ring: only descriptors travel. */
    err = nx__large_send(node, pub, r, node->large, l->chunk, msg, NX_MSG_LOANED);
    nx__route_put(pub);
    free(l);
    if (err == NX_OK)
        NX_STAT_INC(node, published);
    else
        NX_STAT_INC(node, publish_failed);
    return err;
}

nx_err_t nx_loan_release(nx_node_t *node, void *msg)
{
    if (!node || !msg)
        return NX_EINVAL;
    if (nx__node_forked(node))
        return NX_EFORK;
    nx_loan_t *l = loan_take(node, msg);
    if (!l)
        return NX_EINVAL;
    loan_free(l);
    return NX_OK;
}

void nx__loans_free(nx_node_t *node)
{
    pthread_mutex_lock(&node->large_lock);
    nx_large_t *lg = node->large;
    while (lg && lg->loans) {
        nx_loan_t *l = lg->loans;
        lg->loans = l->next;
        loan_free(l);
    }
    pthread_mutex_unlock(&node->large_lock);
}
