/*
 * bench_iceoryx: the iceoryx baseline, through its C binding (iceoryx 2.0),
 * driven by the same patterns as the floors (pattern.c): two processes
 * pinned to cores 0 and 1, each with a publisher and a subscriber; a
 * receiver that finds its queue empty blocks in a waitset (attached to
 * the subscriber's HAS_DATA state), the blocking equivalent of Nexus'
 * doorbell. Publishers use WAIT_FOR_CONSUMER and subscribers
 * BLOCK_PRODUCER (queue 256), so throughput runs lose nothing. The sender
 * loans a chunk and copies the message into it; the receiver copies it
 * out and releases the chunk (Nexus and the floors copy once each side
 * too).
 *
 * The program starts its own RouDi (iox-roudi, with a small config
 * written to /tmp/nxbench.<pid>.roudi.toml) and stops it at the end, by
 * pid. If a RouDi is already running on this machine it is used as is
 * (iceoryx 2.0 allows one per machine).
 *
 * Usage: bench_iceoryx all|latency|throughput [options]
 */
#include "pattern.h"

#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/types.h>
#include <iceoryx_binding_c/wait_set.h>

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IOX_MAX_SIZE  2048u /* the largest payload the RouDi config below has chunks for */
#define IOX_MAX_SIZES 8     /* entries of --sizes */

typedef struct iox_ctx {
    uint32_t size;
    iox_pub_storage_t pub_storage;
    iox_sub_storage_t sub_storage;
    iox_ws_storage_t ws_storage;
    iox_pub_t pub;
    iox_sub_t sub;
    iox_ws_t ws;
} iox_ctx_t;

static int iox_open(void *arg, int side)
{
    iox_ctx_t *c = arg;
    char name[64];
    snprintf(name, sizeof name, "nxbench_%d_%d", side, (int)getpid());
    iox_set_loglevel(Iceoryx_LogLevel_Warn);
    iox_runtime_init(name);

    iox_pub_options_t po;
    iox_pub_options_init(&po);
    po.historyCapacity = 0;
    po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
    c->pub = iox_pub_init(&c->pub_storage, "nxbench", side == 0 ? "ab" : "ba", "msg", &po);

    iox_sub_options_t so;
    iox_sub_options_init(&so);
    so.queueCapacity = 256;
    so.historyRequest = 0;
    so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
    c->sub = iox_sub_init(&c->sub_storage, "nxbench", side == 0 ? "ba" : "ab", "msg", &so);

    c->ws = iox_ws_init(&c->ws_storage);
    if (iox_ws_attach_subscriber_state(c->ws, c->sub, SubscriberState_HAS_DATA, 0, NULL) !=
        WaitSetResult_SUCCESS) {
        fprintf(stderr, "bench_iceoryx: waitset attach failed\n");
        return 1;
    }
    /* Both directions connected before the first message. */
    uint64_t deadline = bn_now_ns() + 20000000000u;
    while (!(iox_pub_has_subscribers(c->pub) &&
             iox_sub_get_subscription_state(c->sub) == SubscribeState_SUBSCRIBED)) {
        if (bn_now_ns() > deadline) {
            fprintf(stderr, "bench_iceoryx: side %d: peer never connected\n", side);
            return 1;
        }
        bn_sleep_ns(1000000u);
    }
    return 0;
}

static void iox_close(void *arg, int side)
{
    (void)side;
    iox_ctx_t *c = arg;
    /* Let the peer take what we sent last before our publisher goes. */
    bn_sleep_ns(50000000u);
    iox_ws_detach_subscriber_state(c->ws, c->sub, SubscriberState_HAS_DATA);
    iox_ws_deinit(c->ws);
    iox_sub_deinit(c->sub);
    iox_pub_deinit(c->pub);
}

static int iox_send(void *arg, int side, const void *buf, size_t len)
{
    (void)side;
    iox_ctx_t *c = arg;
    void *chunk = NULL;
    if (len > IOX_MAX_SIZE)
        return 1;
    for (unsigned tries = 0;; tries++) {
        enum iox_AllocationResult r =
            iox_pub_loan_chunk(c->pub, &chunk, (uint32_t)len); /* <= IOX_MAX_SIZE */
        if (r == AllocationResult_SUCCESS)
            break;
        if (r != AllocationResult_RUNNING_OUT_OF_CHUNKS || tries > 10000000u) {
            fprintf(stderr, "bench_iceoryx: loan failed (%d)\n", (int)r);
            return 1;
        }
        bn_relax();
    }
    memcpy(chunk, buf, len);
    iox_pub_publish_chunk(c->pub, chunk);
    return 0;
}

static int iox_recv(void *arg, int side, void *buf, size_t cap, size_t *len)
{
    (void)side;
    iox_ctx_t *c = arg;
    for (;;) {
        const void *chunk = NULL;
        enum iox_ChunkReceiveResult r = iox_sub_take_chunk(c->sub, &chunk);
        if (r == ChunkReceiveResult_SUCCESS) {
            size_t n = c->size < cap ? c->size : cap;
            memcpy(buf, chunk, n);
            iox_sub_release_chunk(c->sub, chunk);
            *len = n;
            return 0;
        }
        if (r != ChunkReceiveResult_NO_CHUNK_AVAILABLE) {
            fprintf(stderr, "bench_iceoryx: take failed (%d)\n", (int)r);
            return 1;
        }
        iox_notification_info_t info[2];
        uint64_t missed = 0;
        iox_ws_wait(c->ws, info, 2, &missed);
    }
}

/* ---- iceoryx's RouDi: its process and its files --------------------------- */

/*
 * These helpers are about the peer, not about Nexus: iceoryx needs its
 * daemon (RouDi) running, and its C binding offers no call to ask whether
 * one runs or to remove what a killed one left. So they read the Linux
 * places iceoryx 2.0 uses directly: /proc/<pid>/comm to find a running
 * iox-roudi, and /tmp and /dev/shm for its lock, socket and management
 * files. Nexus' own objects are never touched here.
 */

/* The pid of an iox-roudi process running on this machine, or 0. */
static int roudi_find_running(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(comm, sizeof comm, f) && strncmp(comm, "iox-roudi", 9) == 0)
            found = atoi(e->d_name);
        fclose(f);
    }
    closedir(d);
    return found;
}

/*
 * Remove what a RouDi we started, or our clients, may have left behind:
 * the clients' sockets /tmp/nxbench_<side>_<pid> of processes that are
 * gone, and (roudi_files: only when no RouDi runs) RouDi's own lock,
 * socket and shared-memory files.
 */
static void roudi_remove_leftovers(bool roudi_files)
{
    DIR *d = opendir("/tmp");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        int side, pid;
        if (sscanf(e->d_name, "nxbench_%d_%d", &side, &pid) == 2 && pid > 0 &&
            kill(pid, 0) != 0 && errno == ESRCH) {
            char path[300];
            snprintf(path, sizeof path, "/tmp/%s", e->d_name);
            unlink(path);
        }
    }
    if (d)
        closedir(d);
    if (roudi_files) {
        const char *files[] = {"/tmp/roudi", "/tmp/roudi.lock",
                               "/tmp/iox-unique-roudi.lock", "/dev/shm/iceoryx_mgmt"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
            unlink(files[i]);
        struct passwd *pw = getpwuid(geteuid());
        if (pw) {
            char path[300];
            snprintf(path, sizeof path, "/dev/shm/%s", pw->pw_name);
            unlink(path);
        }
    }
}

static char cfg_path[128], log_path[128];

/* Start our own iox-roudi; returns its pid once it is ready, or -1. */
static int roudi_start(void)
{
    snprintf(cfg_path, sizeof cfg_path, "/tmp/nxbench.%d.roudi.toml", (int)getpid());
    snprintf(log_path, sizeof log_path, "/tmp/nxbench.%d.roudi.log", (int)getpid());
    FILE *f = fopen(cfg_path, "w");
    if (!f)
        return -1;
    /* Chunks for 64 B, 256 B and 2 KiB payloads (plus the chunk header). */
    fprintf(f, "[general]\nversion = 1\n\n[[segment]]\n\n"
               "[[segment.mempool]]\nsize = 128\ncount = 4096\n\n"
               "[[segment.mempool]]\nsize = 512\ncount = 4096\n\n"
               "[[segment.mempool]]\nsize = 4096\ncount = 1024\n");
    fclose(f);
    /* -k 1: on SIGTERM, wait at most 1 s for clients before giving up. */
    char *argv[] = {"iox-roudi", "-c", cfg_path, "-l", "info", "-m", "on", "-k", "1", NULL};
    int pid = bn_spawn(argv, log_path);
    if (pid <= 0)
        return -1;
    uint64_t deadline = bn_now_ns() + 10000000000u;
    while (bn_now_ns() < deadline) {
        char line[512];
        bool ready = false;
        f = fopen(log_path, "r");
        while (f && fgets(line, sizeof line, f))
            if (strstr(line, "RouDi is ready for clients"))
                ready = true;
        if (f)
            fclose(f);
        if (ready)
            return pid;
        bn_sleep_ns(20000000u);
    }
    fprintf(stderr, "bench_iceoryx: iox-roudi did not become ready (log: %s)\n", log_path);
    bn_stop(pid, 2000);
    return -1;
}

static void roudi_stop(int pid)
{
    bn_stop(pid, 5000);
    /* A RouDi that exits cleanly removes its files; after SIGKILL it cannot. */
    roudi_remove_leftovers(roudi_find_running() == 0);
    unlink(cfg_path);
    unlink(log_path);
}

/* ---- the program ------------------------------------------------------------- */

static const char iox_usage[] =
    "usage: bench_iceoryx all|latency|throughput [options]\n"
    "  iceoryx (C binding) between two processes pinned to cores 0 and 1;\n"
    "  starts and stops its own iox-roudi.\n"
    "  --size B           message bytes (default 256)\n"
    "  latency:    --count N (200000) --warmup W (10000)\n"
    "  throughput: --seconds S (1.5)  --sizes 64,256,2048 (all: these three)\n"
    "  --hist FILE        latency: also append the raw histogram to FILE\n"
    "Prints '@ key value' result lines (read by tools/scripts/bench.sh).\n";

/* Parse "--sizes 64,256,2048" into sizes[]; entries out of range are
 * skipped. Returns how many were taken. */
static int parse_sizes(const char *list, uint32_t sizes[IOX_MAX_SIZES])
{
    int n = 0;
    for (const char *q = list; *q && n < IOX_MAX_SIZES;) {
        char *end;
        unsigned long v = strtoul(q, &end, 10);
        if (end == q)
            break;
        if (v >= sizeof(bn_msg_t) && v <= IOX_MAX_SIZE)
            sizes[n++] = (uint32_t)v; /* <= IOX_MAX_SIZE: fits */
        q = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* Every command: RouDi, then latency and/or throughput as argv[1] says. */
static int iox_run(int argc, char **argv)
{
    const char *cmd = argv[1];
    bool all = strcmp(cmd, "all") == 0;
    bool lat = all || strcmp(cmd, "latency") == 0;
    bool tp = all || strcmp(cmd, "throughput") == 0;
    uint32_t size =
        (uint32_t)bn_opt_uint(argc, argv, "--size", 256, sizeof(bn_msg_t), IOX_MAX_SIZE);
    uint64_t warmup = bn_opt_uint(argc, argv, "--warmup", 10000, 0, BN_MAX_COUNT);
    uint64_t count = bn_opt_uint(argc, argv, "--count", 200000, 1, BN_MAX_COUNT);
    double seconds = bn_opt_num(argc, argv, "--seconds", 1.5, 0, BN_MAX_SECONDS);
    /* --sizes 64,256,2048 (default for "all"), else --size. */
    uint32_t sizes[IOX_MAX_SIZES];
    int nsizes = 0;
    const char *list = bn_opt_str(argc, argv, "--sizes", all ? "64,256,2048" : NULL);
    if (list)
        nsizes = parse_sizes(list, sizes);
    else
        sizes[nsizes++] = size;

    int existing = roudi_find_running();
    int roudi = 0;
    if (existing) {
        printf("iceoryx: using the RouDi already running (pid %d)\n", existing);
    } else if ((roudi = roudi_start()) <= 0) {
        printf("iceoryx: skipped: could not start iox-roudi\n");
        if (lat)
            bn_result_latency_null("latency.iceoryx");
        return 1;
    }
    iox_ctx_t *ctx = bn_shared_alloc(sizeof *ctx);
    bn_transport_t t = {.name = "iceoryx",
                        .open = iox_open,
                        .send = iox_send,
                        .recv = iox_recv,
                        .close = iox_close,
                        .ctx = ctx};
    int failures = 0;
    if (lat && !bn_interrupted()) {
        ctx->size = size;
        bn_hist_t *h = malloc(sizeof *h);
        int rc = h ? bn_pattern_latency(&t, size, warmup, count, h) : 1;
        bn_report_latency("iceoryx", rc, h);
        failures += rc != 0;
        free(h);
    }
    for (int i = 0; tp && i < nsizes && !bn_interrupted(); i++) {
        ctx->size = sizes[i];
        double mps = 0;
        int rc = bn_pattern_throughput(&t, sizes[i], seconds, &mps);
        bn_report_throughput("iceoryx", sizes[i], rc, mps);
        failures += rc != 0;
    }
    if (roudi > 0)
        roudi_stop(roudi);
    bn_shared_free(ctx, sizeof *ctx);
    return failures ? 1 : 0;
}

static const bn_command_t iox_commands[] = {
    {"all", iox_run},
    {"latency", iox_run},
    {"throughput", iox_run},
    {NULL, NULL},
};

const bn_program_t bn_program = {
    .name = "bench_iceoryx",
    .usage = iox_usage,
    .commands = iox_commands,
};
