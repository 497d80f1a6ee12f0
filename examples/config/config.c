/*
 * config: loads a YAML configuration and compares the notification modes.
 * For each mode (semaphore, condvar, spin) it starts an echo process and
 * measures --pings ping/pong round trips (default 200) with a 10 ms pause
 * between pings, so the receiver is asleep when a message comes: the
 * cost of waking it up is what the modes differ in.
 *
 *   config [--pings N] [--pause-us US] FILE.yaml
 *
 * An invalid file is reported with its line and key, and the program
 * stops (exit status 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <nexus/nexus.h>

#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
    nanosleep(&ts, NULL);
}

/* The echo process: answers every ping with a pong of the same bytes. */
static void on_ping(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)info;
    nx_publish(user, "", "example/pong", data, size);
}

static int run_echo(const nx_config_t *cfg)
{
    nx_node_t *node;
    if (nx_node_create("echo", cfg, &node) != NX_OK)
        return 1;
    if (nx_subscribe(node, "", "example/ping", on_ping, node) != NX_OK) {
        nx_node_destroy(node);
        return 1;
    }
    /* Until the measuring node has left. */
    for (int i = 0; i < 3000; i++) {
        sleep_us(10000);
        if (i > 100 && nx_node_find(node, "measure", NULL) != NX_OK)
            break;
    }
    nx_node_destroy(node);
    return 0;
}

static atomic_uint_fast64_t last_pong;

static void on_pong(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    uint64_t seq;
    if (size == sizeof seq) {
        memcpy(&seq, data, sizeof seq);
        atomic_store(&last_pong, seq);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Measure one mode; prints a line and returns 0, or 1 on failure. */
static int measure(const nx_config_t *cfg, int pings, long pause_us)
{
    pid_t echo = fork(); /* before any node exists: a node belongs to its process */
    if (echo < 0)
        return 1;
    if (echo == 0)
        _exit(run_echo(cfg));

    nx_node_t *node;
    nx_err_t err = nx_node_create("measure", cfg, &node);
    if (err == NX_OK &&
        (err = nx_subscribe(node, "", "example/pong", on_pong, NULL)) != NX_OK)
        nx_node_destroy(node);
    if (err != NX_OK) {
        fprintf(stderr, "config: %s\n", nx_strerror(err));
        kill(echo, SIGTERM);
        waitpid(echo, NULL, 0);
        return 1;
    }
    size_t subs = 0;
    for (int i = 0; i < 1000 && subs == 0; i++) {
        if (nx_subscriber_count(node, "", "example/ping", &subs) != NX_OK || subs == 0)
            sleep_us(10000);
    }
    uint64_t *rtt = calloc((size_t)pings, sizeof *rtt);
    int done = 0;
    for (uint64_t seq = 1; rtt && subs > 0 && seq <= (uint64_t)pings; seq++) {
        sleep_us(pause_us);
        uint64_t t0 = now_ns();
        if (nx_publish(node, "", "example/ping", &seq, sizeof seq) != NX_OK)
            break;
        while (atomic_load(&last_pong) != seq && now_ns() - t0 < 1000000000u)
            sched_yield(); /* leave the core to the receive threads */
        if (atomic_load(&last_pong) != seq)
            break;
        rtt[done++] = now_ns() - t0;
    }
    nx_node_destroy(node);
    int status = 1;
    waitpid(echo, &status, 0);
    atomic_store(&last_pong, 0);
    if (done < pings || status != 0) {
        fprintf(stderr, "config: %s: %d of %d pings answered\n",
                nx_notify_mode_name(cfg->node.notify), done, pings);
        free(rtt);
        return 1;
    }
    qsort(rtt, (size_t)done, sizeof *rtt, cmp_u64);
    printf("config: %-9s %d round trips: p50 %6.1f us, p99 %6.1f us\n",
           nx_notify_mode_name(cfg->node.notify), done, (double)rtt[done / 2] / 1000.0,
           (double)rtt[done * 99 / 100] / 1000.0);
    fflush(stdout);
    free(rtt);
    return 0;
}

int main(int argc, char **argv)
{
    int pings = 200;
    long pause_us = 10000;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pings") && i + 1 < argc)
            pings = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pause-us") && i + 1 < argc)
            pause_us = atol(argv[++i]);
        else
            path = argv[i];
    }
    if (!path || pings < 1) {
        fprintf(stderr, "usage: config [--pings N] [--pause-us US] FILE.yaml\n");
        return 2;
    }
    nx_config_t cfg;
    char msg[256];
    if (nx_config_load_msg(path, &cfg, msg, sizeof msg) != NX_OK) {
        fprintf(stderr, "config: %s\n", msg); /* file, line, key and what is wrong */
        return 1;
    }
    printf("config: %s: domain '%s', %u slots of %u bytes per queue\n", path, cfg.domain,
           cfg.node.queue_capacity, cfg.node.message_size);
    fflush(stdout);
    const nx_notify_mode_t modes[] = {NX_NOTIFY_SEMAPHORE, NX_NOTIFY_CONDVAR,
                                      NX_NOTIFY_SPIN};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        cfg.node.notify = modes[i];
        if (measure(&cfg, pings, pause_us) != 0)
            return 1;
    }
    return 0;
}
