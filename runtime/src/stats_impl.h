/*
 * stats_impl.h: what the statistics module (stats.c) shares with others.
 */
#ifndef NX_STATS_IMPL_H
#define NX_STATS_IMPL_H

#include "shm_layout.h"

#include <nexus/stats.h>

/* Counters, pending and high-water of queue q (peer name and pid not
 * set). The queue's indices are untrusted: an impossible pair shows as
 * nothing pending. */
void nx__queue_stats_fill(const nx_queue_hdr_t *q, uint32_t capacity, nx_queue_stats_t *s);

#endif /* NX_STATS_IMPL_H */
