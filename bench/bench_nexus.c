/*
 * bench_nexus: Nexus measured through its public API (raw nx_publish /
 * nx_subscribe, loans for large data), each role a separate process forked
 * from this one (before any node exists), every test in a private domain
 * (NEXUS_DOMAIN = b<tag>_<pid>_<n>) whose shared memory is removed after.
 *
 *   latency    ping-pong: "ping" node publishes on topic ping, "pong" node's
 *              callback publishes the same bytes back on pong; the ping
 *              node's callback stamps the round trip and sends the next
 *              ping. One-way = RTT / 2. Processes pinned to cores 0 and 1.
 *   throughput one publisher, one subscriber, back to back for --seconds,
 *              publisher policy on_full = block (nothing lost); the
 *              subscriber checks every sequence number and the count.
 *   cpu        publisher paced at --rate msg/s on absolute deadlines;
 *              both processes report getrusage CPU over the run.
 *   sbs        spin-before-sleep: as cpu, with node.spin_before_sleep_us.
 *   idle       one default node, no traffic: CPU % over --seconds, shared
 *              memory mapped and resident set (from /proc/self/smaps).
 *   large      1 MiB / 8 MiB frames: copy path (nx_send_large_data) and
 *              loan path (nx_loan_take + nx_loan_publish), plus a
 *              plain memcpy of the same bytes in the same run.
 *   fanout     one publisher, N subscriber processes: one-way latency at a
 *              paced rate (each subscriber: its clock - the publisher's
 *              stamp), then throughput in block mode.
 *
 * Usage: bench_nexus <command> [options]   (--help for the options)
 */
#include "common.h"

#include <nexus/nexus.h>

#include <inttypes.h>
#include <math.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GROUP            "bench"
#define MAX_SUBS         8
#define MAX_MSG          65536
#define READY_TIMEOUT_MS 20000

typedef struct sub_res {
    uint64_t received, lat_received, errors;
    uint64_t t_end, cpu, wall;
    bn_hist_t hist;
} sub_res_t;

typedef struct mem {
    bool measured; /* false where /proc is absent: the figures are 0 */
    uint64_t shm_size, shm_rss, vm_rss, rss_anon, rss_file, rss_shmem;
} mem_t;

typedef struct idle_res {
    double pct;
    mem_t mem;
    uint64_t wakeups, timeouts;
} idle_res_t;

typedef struct sh {
    /* parameters */
    nx_notify_mode_t notify;
    uint32_t spin_us, size, message_size;
    uint64_t warmup, count;
    double seconds, rate, lat_seconds, lat_rate;
    int nsubs;
    int loan;
    /* handshakes */
    _Atomic uint32_t ready;
    /* results */
    uint64_t sent, lat_sent, t_start, cpu_a, wall_a, pub_errors;
    nx_err_t failed_err;
    bn_hist_t hist;
    idle_res_t idle;
    sub_res_t sub[MAX_SUBS];
} sh_t;

static sh_t *sh_new(void)
{
    sh_t *s = bn_shared_alloc(sizeof *s);
    bn_hist_init(&s->hist);
    for (int i = 0; i < MAX_SUBS; i++)
        bn_hist_init(&s->sub[i].hist);
    s->size = 256;
    s->nsubs = 1;
    return s;
}

static nx_config_t make_cfg(const sh_t *s, nx_notify_mode_t notify)
{
    nx_config_t c;
    nx_config_default(&c);
    c.node.notify = notify;
    c.node.spin_before_sleep_us = s->spin_us;
    if (s->message_size)
        c.node.message_size = s->message_size;
    return c;
}

static nx_node_t *node_new_mode(const char *name, const sh_t *s, nx_notify_mode_t notify)
{
    nx_config_t c = make_cfg(s, notify);
    nx_node_t *n = NULL;
    nx_err_t err = nx_node_create(name, &c, &n);
    if (err != NX_OK) {
        fprintf(stderr, "bench_nexus: node %s: %s\n", name, nx_err_name(err));
        return NULL;
    }
    return n;
}

static nx_node_t *node_new(const char *name, const sh_t *s)
{
    return node_new_mode(name, s, s->notify);
}

static bool wait_subscribers(nx_node_t *n, const char *group, const char *topic, size_t k)
{
    uint64_t deadline = bn_now_ns() + (uint64_t)READY_TIMEOUT_MS * 1000000u;
    size_t have = 0;
    while (bn_now_ns() < deadline) {
        if (nx_subscriber_count(n, group, topic, &have) == NX_OK && have >= k)
            return true;
        bn_sleep_ns(1000000u);
    }
    fprintf(stderr, "bench_nexus: %s has %zu of %zu subscribers\n", topic, have, k);
    return false;
}

static void fill(uint8_t *buf, size_t size)
{
    for (size_t i = sizeof(bn_msg_t); i < size; i++)
        buf[i] = (uint8_t)(i * 7u);
}

static const char *mode_name(nx_notify_mode_t m)
{
    return m == NX_NOTIFY_CONDVAR ? "condvar" : m == NX_NOTIFY_SPIN ? "spin" : "semaphore";
}

/* ---- latency: ping-pong ------------------------------------------------- */

static struct {
    sh_t *s;
    nx_node_t *node;
    sem_t done;
    uint64_t i, total, t0;
    nx_err_t err;
    _Alignas(64) uint8_t buf[MAX_MSG];
} L;

static void send_ping(void)
{
    bn_msg_t *m = (bn_msg_t *)L.buf;
    m->seq = ++L.i;
    m->kind = BN_MSG_DATA;
    L.t0 = bn_now_ns();
    nx_err_t err = nx_publish(L.node, GROUP, "ping", L.buf, L.s->size);
    if (err != NX_OK) {
        L.err = err;
        sem_post(&L.done);
    }
}

static void on_pong(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    uint64_t t1 = bn_now_ns();
    const bn_msg_t *m = data;
    if (size != L.s->size || m->seq != L.i) {
        L.s->pub_errors++;
    } else if (L.i > L.s->warmup) {
        bn_hist_add(&L.s->hist, t1 - L.t0);
    }
    if (L.i >= L.total)
        sem_post(&L.done);
    else
        send_ping();
}

static void on_ping(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    const bn_msg_t *m = data;
    if (m->kind == BN_MSG_STOP) {
        sem_post(&L.done);
        return;
    }
    nx_err_t err = nx_publish(L.node, GROUP, "pong", data, size);
    if (err != NX_OK) {
        L.err = err;
        sem_post(&L.done);
    }
}

static int role_ping(void *arg, int idx)
{
    (void)idx;
    L.s = arg;
    sem_init(&L.done, 0, 0);
    fill(L.buf, L.s->size);
    L.total = L.s->warmup + L.s->count;
    if (!(L.node = node_new("ping", L.s)))
        return 1;
    int rc = 1;
    if (nx_subscribe(L.node, GROUP, "pong", on_pong, NULL) != NX_OK ||
        !wait_subscribers(L.node, GROUP, "ping", 1))
        goto out;
    send_ping();
    while (sem_wait(&L.done) != 0) {
    }
    if (L.err != NX_OK)
        fprintf(stderr, "bench_nexus: ping: publish: %s\n", nx_err_name(L.err));
    rc = L.err != NX_OK || L.s->pub_errors;
out:;
    bn_msg_t *m = (bn_msg_t *)L.buf;
    m->kind = BN_MSG_STOP;
    nx_publish(L.node, GROUP, "ping", L.buf, L.s->size);
    nx_node_destroy(L.node);
    return rc;
}

static int role_pong(void *arg, int idx)
{
    (void)idx;
    L.s = arg;
    sem_init(&L.done, 0, 0);
    if (!(L.node = node_new("pong", L.s)))
        return 1;
    if (nx_subscribe(L.node, GROUP, "ping", on_ping, NULL) != NX_OK) {
        nx_node_destroy(L.node);
        return 1;
    }
    while (sem_wait(&L.done) != 0) {
    }
    if (L.err != NX_OK)
        fprintf(stderr, "bench_nexus: pong: publish: %s\n", nx_err_name(L.err));
    nx_node_destroy(L.node);
    return L.err != NX_OK;
}

static int run(int n, const bn_role_fn *fns, sh_t *s, unsigned timeout_s)
{
    int cores[MAX_SUBS + 1];
    int nc = bn_ncpus();
    for (int i = 0; i < n; i++)
        cores[i] = i % nc;
    bn_domain_new();
    s->ready = 0;
    int rc = bn_run_roles(n, fns, s, cores, timeout_s);
    bn_domain_cleanup();
    return rc;
}

static int cmd_latency(sh_t *s)
{
    const bn_role_fn fns[2] = {role_ping, role_pong};
    char name[64];
    snprintf(name, sizeof name, "nexus_%s", mode_name(s->notify));
    /* warmup + count <= 2 * BN_MAX_COUNT: the quotient fits an unsigned. */
    int rc = run(2, fns, s, 60 + (unsigned)((s->warmup + s->count) / 2000));
    if (rc == 0 && s->hist.count != s->count)
        rc = 1;
    char prefix[96];
    snprintf(prefix, sizeof prefix, "latency.%s", name);
    if (rc != 0) {
        printf("%-18s latency: FAILED\n", name);
        bn_result_latency_null(prefix);
        return 1;
    }
    const bn_hist_t *h = &s->hist;
    printf("%-18s one-way latency (RTT/2): p50 %.2f us  p99 %.2f us  p99.9 %.2f us  "
           "max %.2f us  (%" PRIu64 " round trips)\n",
           name, (double)bn_hist_quantile(h, 0.5) / 2e3,
           (double)bn_hist_quantile(h, 0.99) / 2e3,
           (double)bn_hist_quantile(h, 0.999) / 2e3, (double)h->max / 2e3, h->count);
    bn_result_latency(prefix, h, 0.5);
    bn_hist_dump(h, prefix);
    return 0;
}

/* ---- services: call round trip and calls per second ---------------------- */

/* A request and its reply of s->size bytes each (a sequence number first). */
static nx_type_desc_t call_type = {
    .name = "bench.CallMsg", .align = 8, .fingerprint = UINT64_C(0x63616c6c)};
static nx_service_desc_t call_svc = {
    .name = "bench/echo", .request = &call_type, .reply = &call_type, .timeout_ms = 10000};

typedef nx_err_t (*call_handler_fn)(const void *req, void *rep);

static nx_err_t call_dispatch(const void *req, void *rep, const nx_msg_info_t *info,
                              nx_generic_fn fn, void *user)
{
    (void)info;
    (void)user;
    return ((call_handler_fn)(void (*)(void))fn)(req, rep);
}

static nx_err_t call_echo(const void *req, void *rep)
{
    memcpy(rep, req, call_type.size);
    return NX_OK;
}

static nx_err_t call_serve(nx_node_t *n)
{
    return nx_service_serve(n, &call_svc, call_dispatch,
                            (nx_generic_fn)(void (*)(void))call_echo, NULL);
}

/* Calls from n: a histogram of count round trips (after warmup), then as
 * many calls as fit in s->seconds. */
static int call_loop(nx_node_t *n, sh_t *s)
{
    static _Alignas(64) uint8_t req[MAX_MSG], rep[MAX_MSG];
    fill(req, s->size);
    for (uint64_t i = 0; i < s->warmup + s->count; i++) {
        ((bn_msg_t *)req)->seq = i;
        uint64_t t0 = bn_now_ns();
        nx_err_t err = nx_service_call(n, &call_svc, req, rep, 0);
        uint64_t t1 = bn_now_ns();
        if (err != NX_OK || ((bn_msg_t *)rep)->seq != i) {
            fprintf(stderr, "bench_nexus: call %" PRIu64 ": %s\n", i, nx_err_name(err));
            return 1;
        }
        if (i >= s->warmup)
            bn_hist_add(&s->hist, t1 - t0);
    }
    uint64_t end = bn_now_ns() + bn_seconds_ns(s->seconds), t0 = bn_now_ns(), calls = 0;
    while (bn_now_ns() < end) {
        ((bn_msg_t *)req)->seq = calls;
        if (nx_service_call(n, &call_svc, req, rep, 0) != NX_OK)
            return 1;
        calls++;
    }
    s->sent = calls;
    s->wall_a = bn_now_ns() - t0;
    return 0;
}

static int role_call_server(void *arg, int idx)
{
    (void)idx;
    sh_t *s = arg;
    nx_node_t *n = node_new("server", s);
    if (!n)
        return 1;
    if (call_serve(n) != NX_OK) {
        nx_node_destroy(n);
        return 1;
    }
    atomic_store(&s->ready, 1);
    /* Until the client says it is done. */
    while (atomic_load(&s->ready) != 2 && !bn_interrupted())
        bn_sleep_ns(1000000);
    nx_node_destroy(n);
    return 0;
}

static int role_call_client(void *arg, int idx)
{
    (void)idx;
    sh_t *s = arg;
    uint64_t t0 = bn_now_ns();
    while (atomic_load(&s->ready) != 1) {
        if (bn_now_ns() - t0 > (uint64_t)READY_TIMEOUT_MS * 1000000u)
            return 1;
        bn_sleep_ns(1000000);
    }
    nx_node_t *n = node_new("client", s);
    int rc = n ? call_loop(n, s) : 1;
    atomic_store(&s->ready, 2);
    nx_node_destroy(n);
    return rc;
}

/* Both nodes in this process: the call is a direct call of the handler. */
static int role_call_inproc(void *arg, int idx)
{
    (void)idx;
    sh_t *s = arg;
    nx_node_t *server = node_new("server", s), *client = node_new("client", s);
    int rc = 1;
    if (server && client && call_serve(server) == NX_OK)
        rc = call_loop(client, s);
    nx_node_destroy(client);
    nx_node_destroy(server);
    return rc;
}

static int cmd_call(sh_t *s)
{
    call_type.size = s->size;
    const char *where = s->nsubs ? "inproc" : "cross";
    const bn_role_fn cross[2] = {role_call_client, role_call_server};
    const bn_role_fn inproc[1] = {role_call_inproc};
    int rc = s->nsubs ? run(1, inproc, s, 120) : run(2, cross, s, 120);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "calls.%s", where);
    if (rc != 0 || s->hist.count != s->count) {
        printf("call %-8s FAILED\n", where);
        bn_result_latency_null(prefix);
        bn_result_null("%s.calls_per_s", prefix);
        return 1;
    }
    double per_s = s->wall_a ? (double)s->sent * 1e9 / (double)s->wall_a : 0;
    printf("call %-8s round trip: p50 %.2f us  p99 %.2f us  max %.2f us  (%" PRIu64
           " calls);  %.0f calls/s\n",
           where, (double)bn_hist_quantile(&s->hist, 0.5) / 1e3,
           (double)bn_hist_quantile(&s->hist, 0.99) / 1e3, (double)s->hist.max / 1e3,
           s->hist.count, per_s);
    bn_result_latency(prefix, &s->hist, 1.0);
    bn_result(per_s, "%s.calls_per_s", prefix);
    return 0;
}

/* ---- publisher / subscribers: throughput, paced, fan-out ------------------ */

static struct {
    sh_t *s;
    sub_res_t *r;
    sem_t done;
    uint64_t expect, lat_expect, c0, w0;
} S;

static void on_msg(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    uint64_t now = bn_now_ns();
    const bn_msg_t *m = data;
    sub_res_t *r = S.r;
    switch (m->kind) {
    case BN_MSG_DATA:
        if (size != S.s->size || m->seq != S.expect)
            r->errors++;
        S.expect = m->seq + 1;
        r->received++;
        break;
    case BN_MSG_LAT:
        if (r->lat_received == 0) {
            S.c0 = bn_cpu_ns();
            S.w0 = now;
        }
        bn_hist_add(&r->hist, now - m->t_ns);
        if (size != S.s->size || m->seq != S.lat_expect)
            r->errors++;
        S.lat_expect = m->seq + 1;
        r->lat_received++;
        break;
    case BN_MSG_END:
        r->t_end = now;
        if (r->lat_received) {
            r->cpu = bn_cpu_ns() - S.c0;
            r->wall = now - S.w0;
        }
        sem_post(&S.done);
        break;
    default:
        r->errors++;
    }
}

static int role_sub(void *arg, int idx)
{
    S.s = arg;
    S.r = &S.s->sub[idx - 1];
    S.expect = 1;
    S.lat_expect = 1;
    sem_init(&S.done, 0, 0);
    char name[32];
    snprintf(name, sizeof name, "sub%d", idx);
    nx_node_t *n = node_new(name, S.s);
    if (!n)
        return 1;
    if (nx_subscribe(n, GROUP, "tp", on_msg, NULL) != NX_OK) {
        nx_node_destroy(n);
        return 1;
    }
    atomic_fetch_add(&S.s->ready, 1);
    while (sem_wait(&S.done) != 0) {
    }
    nx_node_destroy(n);
    return S.r->errors != 0;
}

/* Publish, retrying while a block-mode wait times out (counted). */
static nx_err_t pub_one(nx_node_t *n, sh_t *s, const void *buf, size_t size)
{
    for (;;) {
        nx_err_t err = nx_publish(n, GROUP, "tp", buf, size);
        if (err != NX_ETIMEOUT)
            return err;
        s->pub_errors++;
    }
}

static int role_pub(void *arg, int idx)
{
    (void)idx;
    sh_t *s = arg;
    /* The publisher receives nothing: in spin mode only the subscribers
     * spin, so its receive thread does not take the publishing core. */
    nx_node_t *n = node_new_mode(
        "pub", s, s->notify == NX_NOTIFY_SPIN ? NX_NOTIFY_SEMAPHORE : s->notify);
    if (!n)
        return 1;
    int rc = 1;
    nx_err_t err = nx_publisher_set_policy(n, GROUP, "tp", NX_ON_FULL_BLOCK, 1000);
    if (err != NX_OK || !wait_subscribers(n, GROUP, "tp", (size_t)s->nsubs) ||
        !bn_wait_flag(&s->ready, (uint32_t)s->nsubs, READY_TIMEOUT_MS))
        goto out;
    _Alignas(64) static uint8_t buf[MAX_MSG];
    fill(buf, s->size);
    bn_msg_t *m = (bn_msg_t *)buf;

    /* Paced phase (cpu, sbs, fan-out latency). */
    if (s->lat_rate > 0 && s->lat_seconds > 0) {
        bn_precise_timers();
        uint64_t cnt = (uint64_t)(s->lat_rate * s->lat_seconds); /* < 2^36 (options) */
        double period = 1e9 / s->lat_rate;
        uint64_t t0 = bn_now_ns() + 1000000u;
        uint64_t c0 = bn_cpu_ns();
        m->kind = BN_MSG_LAT;
        for (uint64_t i = 0; i < cnt; i++) {
            uint64_t due = t0 + (uint64_t)((double)i * period);
            if (bn_now_ns() < due)
                bn_sleep_until(due);
            m->seq = i + 1;
            m->t_ns = bn_now_ns();
            if ((err = pub_one(n, s, buf, s->size)) != NX_OK)
                goto fail;
        }
        s->cpu_a = bn_cpu_ns() - c0;
        s->wall_a = bn_now_ns() - t0;
        s->lat_sent = cnt;
        bn_sleep_until(t0 + (uint64_t)((double)cnt * period));
    }
    /* Back-to-back phase (throughput, fan-out throughput). */
    if (s->seconds > 0) {
        m->kind = BN_MSG_DATA;
        uint64_t start = bn_now_ns();
        uint64_t end = start + bn_seconds_ns(s->seconds);
        s->t_start = start;
        uint64_t seq = 0;
        for (;;) {
            m->seq = ++seq;
            if ((err = pub_one(n, s, buf, s->size)) != NX_OK)
                goto fail;
            if ((seq & 63) == 0 && bn_now_ns() >= end)
                break;
        }
        s->sent = seq;
    }
    m->kind = BN_MSG_END;
    m->extra = s->sent;
    m->t_ns = bn_now_ns();
    if ((err = pub_one(n, s, buf, s->size)) != NX_OK)
        goto fail;
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "bench_nexus: publish: %s\n", nx_err_name(err));
    s->failed_err = err;
out:
    nx_node_destroy(n);
    return rc;
}

static int run_pubsub(sh_t *s)
{
    bn_role_fn fns[MAX_SUBS + 1];
    fns[0] = role_pub;
    for (int i = 1; i <= s->nsubs; i++)
        fns[i] = role_sub;
    unsigned timeout = 60 + (unsigned)((s->seconds + s->lat_seconds) * 4); /* < 2^15 */
    int rc = run(s->nsubs + 1, fns, s, timeout);
    for (int i = 0; rc == 0 && i < s->nsubs; i++) {
        const sub_res_t *r = &s->sub[i];
        if (r->received != s->sent || r->lat_received != s->lat_sent || r->errors) {
            fprintf(stderr,
                    "bench_nexus: subscriber %d: got %" PRIu64 "/%" PRIu64 " + %" PRIu64
                    "/%" PRIu64 ", %" PRIu64 " errors\n",
                    i + 1, r->received, s->sent, r->lat_received, s->lat_sent, r->errors);
            rc = 1;
        }
    }
    if (s->pub_errors)
        fprintf(stderr, "bench_nexus: %" PRIu64 " block-mode waits timed out (retried)\n",
                s->pub_errors);
    return rc;
}

static double tp_rate(const sh_t *s)
{
    uint64_t t_end = 0;
    for (int i = 0; i < s->nsubs; i++)
        if (s->sub[i].t_end > t_end)
            t_end = s->sub[i].t_end;
    return t_end > s->t_start ? (double)s->sent * 1e9 / (double)(t_end - s->t_start) : 0;
}

static int cmd_throughput(sh_t *s)
{
    char name[64];
    snprintf(name, sizeof name, "nexus_%s", mode_name(s->notify));
    s->nsubs = 1;
    /* The slot holds a 64-byte header: a 2 KiB payload needs 2112-byte slots. */
    if (!s->message_size && s->size + 64 > 2048)
        s->message_size = (s->size + 64 + 63) & ~63u;
    int rc = run_pubsub(s);
    if (rc != 0) {
        printf("%-18s throughput %5u B: FAILED\n", name, s->size);
        bn_result_null("throughput.%s.%u.msgs_per_s", name, s->size);
        bn_result_null("throughput.%s.%u.mb_per_s", name, s->size);
        return 1;
    }
    double mps = tp_rate(s), mb = mps * s->size / 1e6;
    printf("%-18s throughput %5u B: %10.0f msg/s  %8.1f MB/s%s\n", name, s->size, mps, mb,
           s->message_size ? "  (message_size raised to fit)" : "");
    bn_result(round(mps), "throughput.%s.%u.msgs_per_s", name, s->size);
    bn_result(round(mb * 10) / 10, "throughput.%s.%u.mb_per_s", name, s->size);
    return 0;
}

static int cmd_paced(sh_t *s, const char *kind)
{
    s->nsubs = 1;
    double seconds = s->seconds;
    s->lat_seconds = seconds;
    s->lat_rate = s->rate;
    s->seconds = 0;
    int rc = run_pubsub(s);
    const sub_res_t *r = &s->sub[0];
    double pub = s->wall_a ? 100.0 * (double)s->cpu_a / (double)s->wall_a : 0;
    double sub = r->wall ? 100.0 * (double)r->cpu / (double)r->wall : 0;
    if (strcmp(kind, "cpu") == 0) {
        char name[64];
        snprintf(name, sizeof name, "nexus_%s", mode_name(s->notify));
        if (rc != 0) {
            printf("%-18s cpu: FAILED\n", name);
            bn_result_null("cpu.%s.pub_pct", name);
            bn_result_null("cpu.%s.sub_pct", name);
            return 1;
        }
        printf("%-18s cpu at %.0f msg/s: publisher %.2f %%  subscriber %.2f %%  "
               "(one-way p50 %.1f us, p99 %.1f us)\n",
               name, s->rate, pub, sub, (double)bn_hist_quantile(&r->hist, 0.5) / 1e3,
               (double)bn_hist_quantile(&r->hist, 0.99) / 1e3);
        bn_result(round(pub * 1000) / 1000, "cpu.%s.pub_pct", name);
        bn_result(round(sub * 1000) / 1000, "cpu.%s.sub_pct", name);
        return 0;
    }
    /* spin-before-sleep */
    unsigned us = s->spin_us, rate = (unsigned)s->rate; /* <= BN_MAX_RATE */
    if (rc != 0) {
        printf("nexus spin_before_sleep %3u us at %6u msg/s: FAILED\n", us, rate);
        bn_result_null("spin_before_sleep.%u.%u.p50_ns", us, rate);
        bn_result_null("spin_before_sleep.%u.%u.p99_ns", us, rate);
        bn_result_null("spin_before_sleep.%u.%u.pub_pct", us, rate);
        bn_result_null("spin_before_sleep.%u.%u.sub_pct", us, rate);
        return 1;
    }
    uint64_t p50 = bn_hist_quantile(&r->hist, 0.5), p99 = bn_hist_quantile(&r->hist, 0.99);
    printf("nexus spin_before_sleep %3u us at %6u msg/s: one-way p50 %.1f us  p99 %.1f us  "
           "cpu publisher %.1f %%  subscriber %.1f %%\n",
           us, rate, (double)p50 / 1e3, (double)p99 / 1e3, pub, sub);
    bn_result((double)p50, "spin_before_sleep.%u.%u.p50_ns", us, rate);
    bn_result((double)p99, "spin_before_sleep.%u.%u.p99_ns", us, rate);
    bn_result(round(pub * 1000) / 1000, "spin_before_sleep.%u.%u.pub_pct", us, rate);
    bn_result(round(sub * 1000) / 1000, "spin_before_sleep.%u.%u.sub_pct", us, rate);
    return 0;
}

static int cmd_cpu(sh_t *s)
{
    return cmd_paced(s, "cpu");
}

static int cmd_sbs(sh_t *s)
{
    return cmd_paced(s, "sbs");
}

static int cmd_fanout(sh_t *s)
{
    int n = s->nsubs;
    int rc = run_pubsub(s);
    if (rc != 0) {
        printf("nexus fan-out to %d: FAILED\n", n);
        bn_result_null("fanout.%d.p50_ns", n);
        bn_result_null("fanout.%d.p99_ns", n);
        bn_result_null("fanout.%d.msgs_per_s", n);
        return 1;
    }
    bn_hist_t *all = malloc(sizeof *all);
    bn_hist_init(all);
    for (int i = 0; i < n; i++)
        bn_hist_merge(all, &s->sub[i].hist);
    uint64_t p50 = bn_hist_quantile(all, 0.5), p99 = bn_hist_quantile(all, 0.99);
    double mps = tp_rate(s);
    printf(
        "nexus fan-out to %d subscriber%s: one-way p50 %.1f us  p99 %.1f us (at %.0f msg/s)  "
        "throughput %.0f msg/s (%.0f deliveries/s)\n",
        n, n == 1 ? "" : "s", (double)p50 / 1e3, (double)p99 / 1e3, s->lat_rate, mps,
        mps * n);
    bn_result((double)p50, "fanout.%d.p50_ns", n);
    bn_result((double)p99, "fanout.%d.p99_ns", n);
    bn_result(round(mps), "fanout.%d.msgs_per_s", n);
    free(all);
    return 0;
}

/* ---- idle node: CPU and memory ----------------------------------------------- */

/*
 * The memory of this process, and how much of it is Nexus shared memory
 * (mappings of /dev/shm/nexus.*), mapped and resident. Linux only: no API
 * tells a process its resident set per mapping, so this reads the
 * kernel's own accounts in /proc/self/smaps and /proc/self/status. It is
 * a measurement of ourselves, not a way into Nexus' objects. Returns
 * false (and out->measured false) where /proc is absent: "not measured".
 */
static bool memory_measure_self(mem_t *out)
{
    memset(out, 0, sizeof *out);
    char line[512];
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return false;
    bool in_shm = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        unsigned long long kb;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2 &&
            strchr(line, ' ') > strchr(line, '-')) {
            in_shm = strstr(line, "/dev/shm/nexus.") != NULL;
        } else if (in_shm && sscanf(line, "Size: %llu kB", &kb) == 1) {
            out->shm_size += kb * 1024;
        } else if (in_shm && sscanf(line, "Rss: %llu kB", &kb) == 1) {
            out->shm_rss += kb * 1024;
        }
    }
    fclose(f);
    f = fopen("/proc/self/status", "r");
    if (!f)
        return false;
    while (fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
            out->vm_rss = kb * 1024;
        else if (sscanf(line, "RssAnon: %llu kB", &kb) == 1)
            out->rss_anon = kb * 1024;
        else if (sscanf(line, "RssFile: %llu kB", &kb) == 1)
            out->rss_file = kb * 1024;
        else if (sscanf(line, "RssShmem: %llu kB", &kb) == 1)
            out->rss_shmem = kb * 1024;
    }
    fclose(f);
    out->measured = true;
    return true;
}

static int role_idle(void *arg, int idx)
{
    (void)idx;
    sh_t *s = arg;
    idle_res_t *res = &s->idle;
    nx_node_t *n = NULL;
    if (nx_node_create("idle", NULL, &n) != NX_OK)
        return 1;
    bn_sleep_ns(1000000000u); /* let the receive thread settle into idle */
    nx_node_stats_t st0, st1;
    nx_node_stats(n, &st0);
    uint64_t c0 = bn_cpu_ns(), w0 = bn_now_ns();
    bn_sleep_ns(bn_seconds_ns(s->seconds));
    uint64_t c1 = bn_cpu_ns(), w1 = bn_now_ns();
    nx_node_stats(n, &st1);
    res->pct = 100.0 * (double)(c1 - c0) / (double)(w1 - w0);
    res->wakeups = st1.wakeups - st0.wakeups;
    res->timeouts = st1.timeouts - st0.timeouts;
    memory_measure_self(&res->mem);
    nx_node_destroy(n);
    return 0;
}

static int cmd_idle(sh_t *s)
{
    const bn_role_fn fns[1] = {role_idle};
    /* The idle node is meant to be quiet: nothing of ours runs beside it. */
    unsetenv("NEXUS_CONFIG");
    int rc = run(1, fns, s, 30 + (unsigned)s->seconds); /* <= BN_MAX_SECONDS */
    const idle_res_t *r = &s->idle;
    if (rc != 0) {
        printf("nexus idle node: FAILED\n");
        bn_result_null("cpu.nexus_idle.pct");
        bn_result_null("memory.nexus_idle.shm_bytes");
        bn_result_null("memory.nexus_idle.rss_bytes");
        return 1;
    }
    printf("nexus idle node (default config) over %.0f s: cpu %.3f %%  (%" PRIu64
           " timeouts, %" PRIu64 " wake-ups)\n",
           s->seconds, r->pct, r->timeouts, r->wakeups);
    bn_result(round(r->pct * 10000) / 10000, "cpu.nexus_idle.pct");
    if (!r->mem.measured) {
        printf("nexus idle node memory: not measured (no /proc on this system)\n");
        bn_result_null("memory.nexus_idle.shm_bytes");
        bn_result_null("memory.nexus_idle.rss_bytes");
        bn_result_null("memory.nexus_idle.shm_rss_bytes");
        bn_result_null("memory.nexus_idle.rss_anon_bytes");
        return 0;
    }
    printf("nexus idle node memory: shared memory mapped %.1f MiB (resident %.0f KiB); "
           "RSS %.0f KiB (anon %.0f, file %.0f, shmem %.0f KiB)\n",
           (double)r->mem.shm_size / 1048576.0, (double)r->mem.shm_rss / 1024.0,
           (double)r->mem.vm_rss / 1024.0, (double)r->mem.rss_anon / 1024.0,
           (double)r->mem.rss_file / 1024.0, (double)r->mem.rss_shmem / 1024.0);
    bn_result((double)r->mem.shm_size, "memory.nexus_idle.shm_bytes");
    bn_result((double)r->mem.vm_rss, "memory.nexus_idle.rss_bytes");
    bn_result((double)r->mem.shm_rss, "memory.nexus_idle.shm_rss_bytes");
    bn_result((double)r->mem.rss_anon, "memory.nexus_idle.rss_anon_bytes");
    return 0;
}

/* ---- large data ------------------------------------------------------------ */

static nx_field_desc_t frame_fields[1] = {
    {.name = "bytes", .kind = NX_KIND_BYTE, .offset = 0, .ndims = 1},
};
static nx_type_desc_t frame_type = {
    .name = "bench.Frame",
    .align = 64,
    .fingerprint = UINT64_C(0x4e58424e4652414d),
    .field_count = 1,
    .fields = frame_fields,
    .validate = NULL,
};
static nx_topic_desc_t frame_topic = {
    .name = "lframes",
    .type = &frame_type,
    .on_full = NX_ON_FULL_BLOCK,
    .block_ms = 1000,
};

static struct {
    sh_t *s;
    sub_res_t *r;
    sem_t done;
    uint64_t expect;
} F;

static void frame_check(const void *data, size_t size)
{
    const uint8_t *b = data;
    uint64_t first, last;
    memcpy(&first, b, 8);
    memcpy(&last, b + size - 8, 8);
    if (size != F.s->size || first != F.expect || last != F.expect)
        F.r->errors++;
    F.expect = first + 1;
    F.r->received++;
}

static void on_frame(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    frame_check(data, size);
}

static void on_frame_typed(const void *msg, const nx_msg_info_t *info, nx_generic_fn fn,
                           void *user)
{
    (void)info;
    (void)fn;
    (void)user;
    frame_check(msg, frame_type.size);
}

static void frame_fn_placeholder(void) {}

static void on_lctl(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)size;
    (void)info;
    (void)user;
    const bn_msg_t *m = data;
    if (m->kind == BN_MSG_END) {
        F.r->t_end = bn_now_ns();
        sem_post(&F.done);
    }
}

static int role_lsub(void *arg, int idx)
{
    (void)idx;
    F.s = arg;
    F.r = &F.s->sub[0];
    F.expect = 1;
    sem_init(&F.done, 0, 0);
    nx_node_t *n = node_new("lsub", F.s);
    if (!n)
        return 1;
    nx_err_t err = F.s->loan ? nx_topic_subscribe(n, &frame_topic, on_frame_typed,
                                                  frame_fn_placeholder, NULL)
                             : nx_subscribe(n, GROUP, "frames", on_frame, NULL);
    if (err == NX_OK)
        err = nx_subscribe(n, GROUP, "lctl", on_lctl, NULL);
    if (err != NX_OK) {
        fprintf(stderr, "bench_nexus: large subscribe: %s\n", nx_err_name(err));
        nx_node_destroy(n);
        return 1;
    }
    atomic_fetch_add(&F.s->ready, 1);
    while (sem_wait(&F.done) != 0) {
    }
    nx_node_destroy(n);
    return F.r->errors != 0;
}

static int role_lpub(void *arg, int idx)
{
    (void)idx;
    sh_t *s = arg;
    nx_node_t *n = node_new("lpub", s);
    if (!n)
        return 1;
    int rc = 1;
    nx_err_t err = nx_publisher_set_policy(n, GROUP, "frames", NX_ON_FULL_BLOCK, 1000);
    uint8_t *buf = NULL;
    if (err != NX_OK ||
        !wait_subscribers(n, s->loan ? "" : GROUP, s->loan ? frame_topic.name : "frames",
                          1) ||
        !bn_wait_flag(&s->ready, 1, READY_TIMEOUT_MS))
        goto out;
    size_t size = s->size;
    if (!s->loan) {
        buf = malloc(size);
        if (!buf)
            goto out;
        memset(buf, 0x5a, size);
    }
    uint64_t start = bn_now_ns(), end = start + bn_seconds_ns(s->seconds), seq = 0;
    s->t_start = start;
    for (;;) {
        uint64_t next = seq + 1;
        if (s->loan) {
            void *p = NULL;
            err = nx_loan_take(n, &frame_topic, &p);
            if (err == NX_OK) {
                memcpy(p, &next, 8);
                memcpy((uint8_t *)p + size - 8, &next, 8);
                err = nx_loan_publish(n, &frame_topic, p);
            }
        } else {
            memcpy(buf, &next, 8);
            memcpy(buf + size - 8, &next, 8);
            err = nx_send_large_data(n, GROUP, "frames", buf, size);
        }
        if (err == NX_ETIMEOUT) {
            s->pub_errors++;
            if (seq == 0 && s->pub_errors > 5)
                break; /* never got one through */
            continue;
        }
        if (err != NX_OK)
            break;
        seq = next;
        if (bn_now_ns() >= end)
            break;
    }
    s->sent = seq;
    if (err != NX_OK) {
        s->failed_err = err;
        if (seq != 0)
            fprintf(stderr, "bench_nexus: large %s: %s after %" PRIu64 " frames\n",
                    s->loan ? "loan" : "copy", nx_err_name(err), seq);
    }
    bn_msg_t m = {.kind = BN_MSG_END, .extra = seq};
    nx_publish(n, GROUP, "lctl", &m, sizeof m);
    rc = 0;
out:
    free(buf);
    nx_node_destroy(n);
    return rc;
}

/*
 * memcpy of one frame, MB/s. span == size: the same destination every
 * time (hot in cache). span > size: the destination walks through a
 * pre-faulted region of span bytes, as the copy path walks through the
 * large-data ring (64 MiB by default), so each frame lands in memory that
 * is not in cache.
 */
static double memcpy_mb_s(size_t size, size_t span, double seconds)
{
    size_t slots = span / size ? span / size : 1;
    uint8_t *src = malloc(size), *dst = malloc(slots * size);
    if (!src || !dst) {
        free(src);
        free(dst);
        return NAN;
    }
    memset(src, 0x5a, size);
    memset(dst, 0, slots * size);
    uint64_t n = 0, t0 = bn_now_ns(), t1;
    do {
        src[n % size] = (uint8_t)(n & 0xffu);
        memcpy(dst + (n % slots) * size, src, size);
        n++;
        t1 = bn_now_ns();
    } while (t1 - t0 < bn_seconds_ns(seconds) || n < 3);
    volatile uint8_t sink = dst[size / 2];
    (void)sink;
    free(src);
    free(dst);
    return (double)n * (double)size / ((double)(t1 - t0) / 1e9) / 1e6;
}

static int cmd_large(sh_t *s)
{
    uint32_t size = s->size;
    frame_type.size = size;
    frame_fields[0].size = size;
    frame_fields[0].dims[0] = size;
    const bn_role_fn fns[2] = {role_lpub, role_lsub};
    double seconds = s->seconds;
    double res[2][2]; /* [copy, loan][frames/s, MB/s] */
    nx_err_t errs[2] = {NX_OK, NX_OK};
    for (int loan = 0; loan < 2; loan++) {
        sh_t *t = sh_new();
        t->size = size;
        t->seconds = seconds;
        t->loan = loan;
        t->notify = s->notify;
        int rc = run(2, fns, t, 60 + (unsigned)seconds * 4); /* <= BN_MAX_SECONDS */
        const sub_res_t *r = &t->sub[0];
        errs[loan] = t->failed_err;
        if (rc == 0 && t->sent > 0 && r->received == t->sent && !r->errors &&
            r->t_end > t->t_start) {
            double fps = (double)r->received * 1e9 / (double)(r->t_end - t->t_start);
            res[loan][0] = fps;
            res[loan][1] = fps * size / 1e6;
        } else {
            res[loan][0] = res[loan][1] = NAN;
            if (rc == 0 && t->sent > 0)
                fprintf(stderr,
                        "bench_nexus: large: sent %" PRIu64 " received %" PRIu64
                        " errors %" PRIu64 "\n",
                        t->sent, r->received, r->errors);
            if (errs[loan] == NX_OK)
                errs[loan] = NX_EUNEXPECTED;
        }
        bn_shared_free(t, sizeof *t);
    }
    bn_pin(0);
    nx_config_t dc;
    nx_config_default(&dc);
    size_t span = dc.large_data.ring_size > size ? (size_t)dc.large_data.ring_size : size;
    double mc = memcpy_mb_s(size, span, 0.5);
    double hot = memcpy_mb_s(size, size, 0.3);
    printf("large %u B: memcpy %.0f MB/s into a %zu MiB region (as into the ring), "
           "%.0f MB/s into one hot buffer\n",
           size, mc, span >> 20, hot);
    const char *what[2] = {"copy (nx_send_large_data)", "loan (nx_loan_take)"};
    for (int i = 0; i < 2; i++) {
        if (isnan(res[i][0]))
            printf("large %u B %s: not available (%s)\n", size, what[i],
                   nx_err_name(errs[i]));
        else
            printf("large %u B %s: %.1f frames/s  %.0f MB/s\n", size, what[i], res[i][0],
                   res[i][1]);
    }
    bn_result(res[0][1], "large.%u.copy_mb_s", size);
    bn_result(res[0][0], "large.%u.copy_frames_per_s", size);
    bn_result(res[1][0], "large.%u.loan_frames_per_s", size);
    bn_result(res[1][1], "large.%u.loan_mb_s", size);
    bn_result(round(mc), "large.%u.memcpy_mb_s", size);
    bn_result(round(hot), "large.%u.memcpy_hot_mb_s", size);
    return 0;
}

/* ---- the program ------------------------------------------------------------- */

#define STR_(x) #x
#define STR(x)  STR_(x)

static const char nexus_usage[] =
    "usage: bench_nexus <command> [options]\n"
    "commands (each role a process; publisher/ping on core 0, peer on core 1):\n"
    "  latency     ping-pong one-way latency (RTT/2)\n"
    "                --notify semaphore|condvar|spin  --count N (200000)\n"
    "                --warmup W (10000)  --size B (256)\n"
    "  throughput  back-to-back, on_full=block  --size B (256) --seconds S (1.5)\n"
    "  cpu         paced publisher  --notify M --rate R (1000) --seconds S (10)\n"
    "  sbs         spin-before-sleep  --spin-us U (50) --rate R --seconds S (3)\n"
    "  idle        idle default node: CPU % and memory  --seconds S (10)\n"
    "  large       1 MiB/8 MiB frames, copy and loan paths, vs memcpy\n"
    "                --size B (1048576) --seconds S (1)\n"
    "  fanout      one publisher, N subscribers  --subs N (1.." STR(
        MAX_SUBS) ")\n"
                  "                --rate R (2000) --lat-seconds S (1) --seconds S (1.5)\n"
                  "  call        service call round trip (P50/P99) and calls/s\n"
                  "                --size B (256) --count N (50000) --warmup W (5000)\n"
                  "                --seconds S (1.5) --inproc 1 (both nodes in one process)\n"
                  "  --hist FILE  latency: also append the raw histogram to FILE\n"
                  "Each test runs in a private domain (NEXUS_DOMAIN=b<tag>_<pid>_<n>), removed\n"
                  "afterwards. Prints '@ key value' result lines (read by tools/scripts/bench.sh).\n";

/* The largest --size of `large` (a frame, and a memcpy source of that size). */
#define LARGE_MAX_SIZE (UINT32_C(1) << 30)

/*
 * The options every command shares (--notify, --size) in a new sh_t, or
 * NULL after a usage message. Message commands take --size up to MAX_MSG;
 * `large` takes frames of 16 bytes (its sequence numbers) and up.
 */
static sh_t *sh_from_args(int argc, char **argv, bool large)
{
    const char *notify = bn_opt_str(argc, argv, "--notify", "semaphore");
    nx_notify_mode_t mode;
    if (strcmp(notify, "semaphore") == 0) {
        mode = NX_NOTIFY_SEMAPHORE;
    } else if (strcmp(notify, "condvar") == 0) {
        mode = NX_NOTIFY_CONDVAR;
    } else if (strcmp(notify, "spin") == 0) {
        mode = NX_NOTIFY_SPIN;
    } else {
        fprintf(stderr, "bench_nexus: --notify must be semaphore, condvar or spin\n");
        return NULL;
    }
    uint64_t size = large
                        ? bn_opt_uint(argc, argv, "--size", 1048576, 16, LARGE_MAX_SIZE)
                        : bn_opt_uint(argc, argv, "--size", 256, sizeof(bn_msg_t), MAX_MSG);
    sh_t *s = sh_new();
    s->notify = mode;
    s->size = (uint32_t)size; /* <= LARGE_MAX_SIZE: fits */
    return s;
}

/* Run cmd on s, then free s. */
static int sh_run(sh_t *s, int (*cmd)(sh_t *s))
{
    int rc = cmd(s);
    bn_shared_free(s, sizeof *s);
    return rc;
}

static int run_latency(int argc, char **argv)
{
    sh_t *s = sh_from_args(argc, argv, false);
    if (!s)
        return 2;
    s->count = bn_opt_uint(argc, argv, "--count", 200000, 1, BN_MAX_COUNT);
    s->warmup = bn_opt_uint(argc, argv, "--warmup", 10000, 0, BN_MAX_COUNT);
    return sh_run(s, cmd_latency);
}

static int run_throughput(int argc, char **argv)
{
    sh_t *s = sh_from_args(argc, argv, false);
    if (!s)
        return 2;
    s->seconds = bn_opt_num(argc, argv, "--seconds", 1.5, 0, BN_MAX_SECONDS);
    return sh_run(s, cmd_throughput);
}

static int run_cpu(int argc, char **argv)
{
    sh_t *s = sh_from_args(argc, argv, false);
    if (!s)
        return 2;
    s->rate = bn_opt_num(argc, argv, "--rate", 1000, 1, BN_MAX_RATE);
    s->seconds = bn_opt_num(argc, argv, "--seconds", 10, 0, BN_MAX_SECONDS);
    return sh_run(s, cmd_cpu);
}

static int run_sbs(int argc, char **argv)
{
    sh_t *s = sh_from_args(argc, argv, false);
    if (!s)
        return 2;
    /* <= 1 s of spinning: fits the uint32_t of the node configuration. */
    s->spin_us = (uint32_t)bn_opt_uint(argc, argv, "--spin-us", 50, 0, 1000000);
    s->rate = bn_opt_num(argc, argv, "--rate", 1000, 1, BN_MAX_RATE);
    s->seconds = bn_opt_num(argc, argv, "--seconds", 3, 0, BN_MAX_SECONDS);
    return sh_run(s, cmd_sbs);
}

static int run_idle(int argc, char **argv)
{
    sh_t *s = sh_from_args(argc, argv, false);
    if (!s)
        return 2;
    s->seconds = bn_opt_num(argc, argv, "--seconds", 10, 0, BN_MAX_SECONDS);
    return sh_run(s, cmd_idle);
}

static int run_large(int argc, char **argv)
{
    sh_t *s = sh_from_args(argc, argv, true);
    if (!s)
        return 2;
    s->seconds = bn_opt_num(argc, argv, "--seconds", 1, 0, BN_MAX_SECONDS);
    return sh_run(s, cmd_large);
}

static int run_fanout(int argc, char **argv)
{
    sh_t *s = sh_from_args(argc, argv, false);
    if (!s)
        return 2;
    s->nsubs = (int)bn_opt_uint(argc, argv, "--subs", 1, 1, MAX_SUBS); /* <= MAX_SUBS */
    s->lat_rate = bn_opt_num(argc, argv, "--rate", 2000, 0, BN_MAX_RATE);
    s->lat_seconds = bn_opt_num(argc, argv, "--lat-seconds", 1, 0, BN_MAX_SECONDS);
    s->seconds = bn_opt_num(argc, argv, "--seconds", 1.5, 0, BN_MAX_SECONDS);
    return sh_run(s, cmd_fanout);
}

static int run_call(int argc, char **argv)
{
    sh_t *s = sh_from_args(argc, argv, false);
    if (!s)
        return 2;
    s->count = bn_opt_uint(argc, argv, "--count", 50000, 1, BN_MAX_COUNT);
    s->warmup = bn_opt_uint(argc, argv, "--warmup", 5000, 0, BN_MAX_COUNT);
    s->seconds = bn_opt_num(argc, argv, "--seconds", 1.5, 0, BN_MAX_SECONDS);
    s->nsubs = bn_opt_uint(argc, argv, "--inproc", 0, 0, 1) ? 1 : 0;
    return sh_run(s, cmd_call);
}

static const bn_command_t nexus_commands[] = {
    {"latency", run_latency},
    {"throughput", run_throughput},
    {"cpu", run_cpu},
    {"sbs", run_sbs},
    {"idle", run_idle},
    {"large", run_large},
    {"fanout", run_fanout},
    {"call", run_call},
    {NULL, NULL},
};

const bn_program_t bn_program = {
    .name = "bench_nexus",
    .usage = nexus_usage,
    .commands = nexus_commands,
};
