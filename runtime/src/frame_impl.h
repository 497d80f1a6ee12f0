/*
 * frame_impl.h: the message frame, the 64-byte nx_msg_hdr_t in front of
 * every payload in a ring slot (layout in shm_layout.h). It is written
 * here (nx__frame_write, sender side) and checked here (nx__frame_check,
 * receiver side), and the receiver's view of a delivered frame, the
 * nx_msg_info_t handed to callbacks, is built here for all three paths
 * (in-process, ring, large data). Inline: this is the message path.
 */
#ifndef NX_FRAME_IMPL_H
#define NX_FRAME_IMPL_H

#include "send_impl.h"
#include "shm_layout.h"

#include <nexus/node.h>

#include <string.h>

/* Write the frame of message s, with its payload, into a reserved slot. */
static inline void nx__frame_write(void *slot, const nx_send_t *s)
{
    nx_msg_hdr_t *h = slot;
    h->magic = NX_MSG_MAGIC;
    h->kind = s->kind;
    h->size = (uint32_t)s->size;
    h->topic_slot = s->topic_slot;
    h->topic_inc = s->topic_inc;
    h->flags = s->flags;
    h->seq = s->seq;
    h->send_time_ns = s->now;
    h->fingerprint = s->fingerprint;
    memcpy(h + 1, s->data, s->size);
}

/*
 * Is a frame header (a private copy: the sender cannot change it after
 * the check) well formed for a slot carrying at most max_payload bytes?
 * The payload itself is checked by whoever interprets it (the type's
 * validate function, the large-data descriptor check).
 */
static inline bool nx__frame_check(const nx_msg_hdr_t *h, size_t max_payload)
{
    return h->magic == NX_MSG_MAGIC && h->size <= max_payload && h->kind >= NX_MSGK_DATA &&
           h->kind <= NX_MSGK_REPLY;
}

/* The receiver's view of one delivered message. ref is the runtime's
 * record of the delivery (nx_delivery_t), for nx_hold_take(). */
static inline nx_msg_info_t nx__frame_info(const char *sender, uint32_t sender_pid,
                                           uint64_t seq, uint64_t send_time_ns,
                                           uint64_t recv_time_ns, uint32_t flags, void *ref)
{
    nx_msg_info_t info = {
        .sender = sender,
        .seq = seq,
        .send_time_ns = send_time_ns,
        .recv_time_ns = recv_time_ns,
        .sender_pid = sender_pid,
        .flags = flags,
        .ref = ref,
    };
    return info;
}

#endif /* NX_FRAME_IMPL_H */
