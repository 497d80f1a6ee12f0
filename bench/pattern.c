/* pattern.c: see pattern.h. */
#include "pattern.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSG          65536
#define READY_TIMEOUT_MS 20000

typedef struct pat {
    const bn_transport_t *t;
    uint32_t size;
    uint64_t warmup, count;
    double seconds, rate;
    _Atomic uint32_t ready_b;
    uint64_t sent, received, errors;
    uint64_t t_start, t_end;
    uint64_t cpu_a, wall_a, cpu_b, wall_b;
    bn_hist_t hist;
} pat_t;

static const int k_cores[2] = {0, 1};

static void fill(uint8_t *buf, uint32_t size)
{
    for (uint32_t i = sizeof(bn_msg_t); i < size; i++)
        buf[i] = (uint8_t)(i * 7u);
}

/* ---- latency ------------------------------------------------------------ */

static int lat_a(void *arg, int side)
{
    pat_t *p = arg;
    const bn_transport_t *t = p->t;
    _Alignas(64) uint8_t buf[MAX_MSG], in[MAX_MSG];
    fill(buf, p->size);
    bn_msg_t *m = (bn_msg_t *)buf;
    const bn_msg_t *r = (const bn_msg_t *)in;
    if (t->open(t->ctx, side) != 0)
        return 1;
    int rc = 1;
    if (!bn_wait_flag(&p->ready_b, 1, READY_TIMEOUT_MS)) {
        fprintf(stderr, "%s: peer not ready\n", t->name);
        goto out;
    }
    uint64_t total = p->warmup + p->count;
    for (uint64_t i = 0; i < total; i++) {
        m->seq = i + 1;
        m->kind = BN_MSG_DATA;
        size_t len = 0;
        uint64_t t0 = bn_now_ns();
        if (t->send(t->ctx, side, buf, p->size) != 0 ||
            t->recv(t->ctx, side, in, sizeof in, &len) != 0)
            goto out;
        uint64_t t1 = bn_now_ns();
        if (len != p->size || r->seq != i + 1) {
            p->errors++;
            continue;
        }
        if (i >= p->warmup)
            bn_hist_add(&p->hist, t1 - t0);
    }
    rc = p->errors ? 1 : 0;
out:
    m->kind = BN_MSG_STOP;
    t->send(t->ctx, side, buf, p->size);
    t->close(t->ctx, side);
    return rc;
}

static int lat_b(void *arg, int side)
{
    pat_t *p = arg;
    const bn_transport_t *t = p->t;
    if (t->open(t->ctx, side) != 0)
        return 1;
    atomic_store(&p->ready_b, 1);
    _Alignas(64) uint8_t in[MAX_MSG];
    const bn_msg_t *r = (const bn_msg_t *)in;
    int rc = 0;
    for (;;) {
        size_t len = 0;
        if (t->recv(t->ctx, side, in, sizeof in, &len) != 0) {
            rc = 1;
            break;
        }
        if (r->kind == BN_MSG_STOP)
            break;
        if (t->send(t->ctx, side, in, len) != 0) {
            rc = 1;
            break;
        }
    }
    t->close(t->ctx, side);
    return rc;
}

static pat_t *pat_new(const bn_transport_t *t, uint32_t size)
{
    pat_t *p = bn_shared_alloc(sizeof *p);
    p->t = t;
    p->size = size < sizeof(bn_msg_t) ? (uint32_t)sizeof(bn_msg_t) : size;
    if (p->size > MAX_MSG)
        p->size = MAX_MSG;
    bn_hist_init(&p->hist);
    return p;
}

int bn_pattern_latency(const bn_transport_t *t, uint32_t size, uint64_t warmup,
                       uint64_t count, bn_hist_t *rtt)
{
    pat_t *p = pat_new(t, size);
    p->warmup = warmup;
    p->count = count;
    const bn_role_fn fns[2] = {lat_a, lat_b};
    /* warmup + count <= 2 * BN_MAX_COUNT: the quotient fits an unsigned. */
    unsigned timeout = 60 + (unsigned)((warmup + count) / 2000);
    int rc = bn_run_roles(2, fns, p, k_cores, timeout);
    if (rc == 0 && p->hist.count != count)
        rc = 1;
    *rtt = p->hist;
    bn_shared_free(p, sizeof *p);
    return rc;
}

/* ---- throughput ------------------------------------------------------------ */

static int tp_a(void *arg, int side)
{
    pat_t *p = arg;
    const bn_transport_t *t = p->t;
    if (t->open(t->ctx, side) != 0)
        return 1;
    int rc = 1;
    if (!bn_wait_flag(&p->ready_b, 1, READY_TIMEOUT_MS)) {
        fprintf(stderr, "%s: peer not ready\n", t->name);
        goto out;
    }
    _Alignas(64) uint8_t buf[MAX_MSG];
    fill(buf, p->size);
    bn_msg_t *m = (bn_msg_t *)buf;
    m->kind = BN_MSG_DATA;
    uint64_t start = bn_now_ns();
    uint64_t end = start + bn_seconds_ns(p->seconds);
    p->t_start = start;
    uint64_t seq = 0;
    for (;;) {
        m->seq = ++seq;
        if (t->send(t->ctx, side, buf, p->size) != 0)
            goto out;
        if ((seq & 63) == 0 && bn_now_ns() >= end)
            break;
    }
    p->sent = seq;
    m->kind = BN_MSG_END;
    m->extra = seq;
    m->seq = seq + 1;
    rc = t->send(t->ctx, side, buf, p->size) != 0;
out:
    t->close(t->ctx, side);
    return rc;
}

static int tp_b(void *arg, int side)
{
    pat_t *p = arg;
    const bn_transport_t *t = p->t;
    if (t->open(t->ctx, side) != 0)
        return 1;
    atomic_store(&p->ready_b, 1);
    _Alignas(64) uint8_t in[MAX_MSG];
    const bn_msg_t *r = (const bn_msg_t *)in;
    uint64_t expect = 1, got = 0, errors = 0;
    int rc = 0;
    for (;;) {
        size_t len = 0;
        if (t->recv(t->ctx, side, in, sizeof in, &len) != 0) {
            rc = 1;
            break;
        }
        if (r->kind == BN_MSG_END) {
            p->t_end = bn_now_ns();
            if (r->extra != got)
                errors++;
            break;
        }
        if (len != p->size || r->seq != expect)
            errors++;
        expect = r->seq + 1;
        got++;
    }
    p->received = got;
    p->errors = errors;
    t->close(t->ctx, side);
    return rc || errors;
}

int bn_pattern_throughput(const bn_transport_t *t, uint32_t size, double seconds,
                          double *msgs_per_s)
{
    pat_t *p = pat_new(t, size);
    p->seconds = seconds;
    const bn_role_fn fns[2] = {tp_a, tp_b};
    /* seconds <= BN_MAX_SECONDS (the options): the timeout fits. */
    int rc = bn_run_roles(2, fns, p, k_cores, 60 + (unsigned)seconds * 4);
    if (rc == 0 && (p->received != p->sent || p->t_end <= p->t_start)) {
        fprintf(stderr, "%s: sent %" PRIu64 " received %" PRIu64 "\n", t->name, p->sent,
                p->received);
        rc = 1;
    }
    *msgs_per_s = rc == 0 ? (double)p->received * 1e9 / (double)(p->t_end - p->t_start) : 0;
    bn_shared_free(p, sizeof *p);
    return rc;
}

/* ---- paced ------------------------------------------------------------------- */

static int paced_a(void *arg, int side)
{
    pat_t *p = arg;
    const bn_transport_t *t = p->t;
    if (t->open(t->ctx, side) != 0)
        return 1;
    int rc = 1;
    if (!bn_wait_flag(&p->ready_b, 1, READY_TIMEOUT_MS)) {
        fprintf(stderr, "%s: peer not ready\n", t->name);
        goto out;
    }
    bn_precise_timers();
    _Alignas(64) uint8_t buf[MAX_MSG];
    fill(buf, p->size);
    bn_msg_t *m = (bn_msg_t *)buf;
    m->kind = BN_MSG_DATA;
    uint64_t n = (uint64_t)(p->rate * p->seconds); /* < 2^36 (the options) */
    double period = 1e9 / p->rate;
    uint64_t t0 = bn_now_ns() + 1000000u;
    uint64_t c0 = bn_cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t due = t0 + (uint64_t)((double)i * period);
        if (bn_now_ns() < due)
            bn_sleep_until(due);
        m->seq = i + 1;
        m->t_ns = bn_now_ns();
        if (t->send(t->ctx, side, buf, p->size) != 0)
            goto out;
    }
    uint64_t c1 = bn_cpu_ns(), t1 = bn_now_ns();
    p->cpu_a = c1 - c0;
    p->wall_a = t1 - t0;
    p->sent = n;
    bn_sleep_until(t0 + (uint64_t)((double)n * period));
    m->kind = BN_MSG_END;
    m->extra = n;
    m->t_ns = bn_now_ns();
    rc = t->send(t->ctx, side, buf, p->size) != 0;
out:
    t->close(t->ctx, side);
    return rc;
}

static int paced_b(void *arg, int side)
{
    pat_t *p = arg;
    const bn_transport_t *t = p->t;
    if (t->open(t->ctx, side) != 0)
        return 1;
    atomic_store(&p->ready_b, 1);
    _Alignas(64) uint8_t in[MAX_MSG];
    const bn_msg_t *r = (const bn_msg_t *)in;
    uint64_t expect = 1, got = 0, errors = 0, c0 = 0, w0 = 0;
    int rc = 0;
    for (;;) {
        size_t len = 0;
        if (t->recv(t->ctx, side, in, sizeof in, &len) != 0) {
            rc = 1;
            break;
        }
        uint64_t now = bn_now_ns();
        if (r->kind == BN_MSG_END) {
            p->cpu_b = bn_cpu_ns() - c0;
            p->wall_b = now - w0;
            if (r->extra != got)
                errors++;
            break;
        }
        if (got == 0) {
            c0 = bn_cpu_ns();
            w0 = now;
        }
        bn_hist_add(&p->hist, now - r->t_ns);
        if (r->seq != expect)
            errors++;
        expect = r->seq + 1;
        got++;
    }
    p->received = got;
    p->errors = errors;
    t->close(t->ctx, side);
    return rc || errors;
}

int bn_pattern_paced(const bn_transport_t *t, uint32_t size, double rate, double seconds,
                     bn_paced_result_t *out)
{
    pat_t *p = pat_new(t, size);
    p->rate = rate;
    p->seconds = seconds;
    const bn_role_fn fns[2] = {paced_a, paced_b};
    /* seconds <= BN_MAX_SECONDS (the options): the timeout fits. */
    int rc = bn_run_roles(2, fns, p, k_cores, 60 + (unsigned)seconds * 3);
    out->hist = p->hist;
    out->rate = rate;
    out->received = p->received;
    out->errors = p->errors;
    out->pub_pct = p->wall_a ? 100.0 * (double)p->cpu_a / (double)p->wall_a : 0;
    out->sub_pct = p->wall_b ? 100.0 * (double)p->cpu_b / (double)p->wall_b : 0;
    if (rc == 0 && p->received != p->sent)
        rc = 1;
    bn_shared_free(p, sizeof *p);
    return rc;
}

/* ---- reports ----------------------------------------------------------------- */

void bn_report_latency(const char *name, int rc, const bn_hist_t *rtt)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "latency.%s", name);
    if (rc != 0) {
        printf("%-18s latency: FAILED\n", name);
        bn_result_latency_null(prefix);
        return;
    }
    printf("%-18s one-way latency (RTT/2): p50 %.2f us  p99 %.2f us  p99.9 %.2f us  "
           "max %.2f us  (%" PRIu64 " round trips)\n",
           name, (double)bn_hist_quantile(rtt, 0.5) / 2e3,
           (double)bn_hist_quantile(rtt, 0.99) / 2e3,
           (double)bn_hist_quantile(rtt, 0.999) / 2e3, (double)rtt->max / 2e3, rtt->count);
    bn_result_latency(prefix, rtt, 0.5);
    bn_hist_dump(rtt, prefix);
}

void bn_report_throughput(const char *name, uint32_t size, int rc, double msgs_per_s)
{
    if (rc != 0) {
        printf("%-18s throughput %5u B: FAILED\n", name, size);
        bn_result_null("throughput.%s.%u.msgs_per_s", name, size);
        bn_result_null("throughput.%s.%u.mb_per_s", name, size);
        return;
    }
    double mb = msgs_per_s * size / 1e6;
    printf("%-18s throughput %5u B: %10.0f msg/s  %8.1f MB/s\n", name, size, msgs_per_s,
           mb);
    bn_result(round(msgs_per_s), "throughput.%s.%u.msgs_per_s", name, size);
    bn_result(round(mb * 10) / 10, "throughput.%s.%u.mb_per_s", name, size);
}

void bn_report_cpu(const char *name, int rc, const bn_paced_result_t *r)
{
    if (rc != 0) {
        printf("%-18s cpu: FAILED\n", name);
        bn_result_null("cpu.%s.pub_pct", name);
        bn_result_null("cpu.%s.sub_pct", name);
        return;
    }
    printf("%-18s cpu at %.0f msg/s: publisher %.2f %%  subscriber %.2f %%  "
           "(one-way p50 %.1f us, p99 %.1f us)\n",
           name, r->rate, r->pub_pct, r->sub_pct,
           (double)bn_hist_quantile(&r->hist, 0.5) / 1e3,
           (double)bn_hist_quantile(&r->hist, 0.99) / 1e3);
    bn_result(round(r->pub_pct * 1000) / 1000, "cpu.%s.pub_pct", name);
    bn_result(round(r->sub_pct * 1000) / 1000, "cpu.%s.sub_pct", name);
}

int bn_pattern_run(const bn_transport_t *t, const char *cmd, uint32_t size, int argc,
                   char **argv)
{
    int rc;
    if (strcmp(cmd, "latency") == 0) {
        uint64_t count = bn_opt_uint(argc, argv, "--count", 200000, 1, BN_MAX_COUNT);
        uint64_t warmup = bn_opt_uint(argc, argv, "--warmup", 10000, 0, BN_MAX_COUNT);
        bn_hist_t *h = malloc(sizeof *h);
        rc = h ? bn_pattern_latency(t, size, warmup, count, h) : 1;
        bn_report_latency(t->name, rc, h);
        free(h);
    } else if (strcmp(cmd, "throughput") == 0) {
        double mps = 0;
        rc = bn_pattern_throughput(
            t, size, bn_opt_num(argc, argv, "--seconds", 1.5, 0, BN_MAX_SECONDS), &mps);
        bn_report_throughput(t->name, size, rc, mps);
    } else if (strcmp(cmd, "cpu") == 0) {
        double rate = bn_opt_num(argc, argv, "--rate", 1000, 1, BN_MAX_RATE);
        double seconds = bn_opt_num(argc, argv, "--seconds", 10, 0, BN_MAX_SECONDS);
        bn_paced_result_t *r = malloc(sizeof *r);
        rc = r ? bn_pattern_paced(t, size, rate, seconds, r) : 1;
        bn_report_cpu(t->name, rc, r);
        free(r);
    } else {
        return -1;
    }
    return rc;
}
