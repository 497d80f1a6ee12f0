/*
 * pattern.h: the three measurement patterns, written once for every
 * transport that can be driven by blocking send/receive calls (the floors,
 * the Unix socket pair, iceoryx). Nexus is callback driven and has its own
 * copies of the same patterns in bench_nexus.c, kept step for step alike.
 *
 * Side 0 ("A": pinger, publisher) runs pinned to core 0, side 1 ("B":
 * ponger, subscriber) to core 1; each in its own process.
 *
 *   latency     A stamps t0, sends, waits for B's echo, stamps t1; the
 *               histogram holds t1 - t0 (the round trip), reported / 2.
 *   throughput  A sends back to back for `seconds` (waiting when full, so
 *               nothing is lost), then an end marker carrying the count;
 *               B checks every sequence number and the count. Rate =
 *               messages / (B's end time - A's start time).
 *   paced       A sends `rate` messages per second on absolute deadlines
 *               (clock_nanosleep), stamping each; B records one-way latency
 *               (its clock - the stamp, same machine, CLOCK_MONOTONIC) and
 *               both record their CPU time (getrusage) over the run.
 */
#ifndef NXBENCH_PATTERN_H
#define NXBENCH_PATTERN_H

#include "common.h"

typedef struct bn_transport {
    const char *name;
    /* In the role's process, after fork. 0 on success. */
    int (*open)(void *t, int side);
    /* Blocking send to the other side (waits while full). 0 on success. */
    int (*send)(void *t, int side, const void *buf, size_t len);
    /* Blocking receive from the other side. 0 on success, *len set. */
    int (*recv)(void *t, int side, void *buf, size_t cap, size_t *len);
    void (*close)(void *t, int side);
    void *ctx;
} bn_transport_t;

typedef struct bn_paced_result {
    bn_hist_t hist;          /* one-way latency, ns */
    double pub_pct, sub_pct; /* CPU % of one core */
    double rate;             /* msg/s */
    uint64_t received, errors;
} bn_paced_result_t;

/* Each returns 0 on success (results valid), non-zero otherwise. */
int bn_pattern_latency(const bn_transport_t *t, uint32_t size, uint64_t warmup,
                       uint64_t count, bn_hist_t *rtt);
int bn_pattern_throughput(const bn_transport_t *t, uint32_t size, double seconds,
                          double *msgs_per_s);
int bn_pattern_paced(const bn_transport_t *t, uint32_t size, double rate, double seconds,
                     bn_paced_result_t *out);

/* Report helpers: print the result lines for a name, or nulls. */
void bn_report_latency(const char *name, int rc, const bn_hist_t *rtt);

/* Run and report command cmd ("latency", "throughput" or "cpu") over
 * transport t, options read from argv. Returns the pattern's status, or -1
 * for an unknown command. */
int bn_pattern_run(const bn_transport_t *t, const char *cmd, uint32_t size, int argc,
                   char **argv);
void bn_report_throughput(const char *name, uint32_t size, int rc, double msgs_per_s);
void bn_report_cpu(const char *name, int rc, const bn_paced_result_t *r);

#endif /* NXBENCH_PATTERN_H */
