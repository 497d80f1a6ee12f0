/*
 * hello-pub: waits for hello-sub, sends it --count greetings (default 10),
 * then measures the round trip of --pings ping/pong exchanges (default
 * 2000) and prints the one-way latency (round trip / 2).
 */
#define _POSIX_C_SOURCE 200809L
#include "hello.nidl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The pong callback hands the round trip to the main thread. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static uint64_t last_pong_seq, last_rtt_ns;

static void on_pong(const hello_Pong *msg, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    uint64_t rtt = now_ns() - msg->t_send_ns;
    pthread_mutex_lock(&lock);
    last_pong_seq = msg->seq;
    last_rtt_ns = rtt;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int count = 10, pings = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--count"))
            count = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pings"))
            pings = atoi(argv[i + 1]);
    }
    nx_node_t *node;
    nx_err_t err = nx_node_create("hello-pub", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "hello-pub: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    if ((err = hello_pong_subscribe(node, on_pong, NULL)) != NX_OK) {
        fprintf(stderr, "hello-pub: cannot subscribe: %s\n", nx_strerror(err));
        nx_node_destroy(node);
        return 1;
    }
    /* Discovery: wait (up to 10 s) until someone listens. */
    size_t subs = 0;
    for (int i = 0; i < 1000 && subs == 0; i++) {
        nx_subscriber_count(node, "", hello_greetings_topic.name, &subs);
        if (subs == 0)
            sleep_ms(10);
    }
    if (subs == 0) {
        fprintf(stderr, "hello-pub: nobody subscribes to %s\n", hello_greetings_topic.name);
        nx_node_destroy(node);
        return 1;
    }

    for (int i = 1; i <= count; i++) {
        hello_Greeting g;
        hello_Greeting_init(&g);
        g.header.seq = (uint64_t)i;
        g.header.stamp.sec = (int64_t)time(NULL);
        snprintf(g.header.source, sizeof g.header.source, "%s", nx_node_name(node));
        snprintf(g.text, sizeof g.text, "hello, world number %d", i);
        g.count = (uint32_t)i;
        if ((err = hello_greetings_publish(node, &g)) != NX_OK) {
            fprintf(stderr, "hello-pub: publish: %s\n", nx_strerror(err));
            nx_node_destroy(node);
            return 1;
        }
        sleep_ms(20);
    }
    printf("hello-pub: sent %d greetings\n", count);

    /* Latency: one ping at a time, wait for its pong. */
    uint64_t *rtt = calloc((size_t)pings, sizeof *rtt);
    int done = 0;
    for (int i = 1; i <= pings && rtt; i++) {
        hello_Ping p;
        hello_Ping_init(&p);
        p.seq = (uint64_t)i;
        p.payload.len = sizeof p.payload.data;
        memset(p.payload.data, i & 0xff, sizeof p.payload.data);
        p.t_send_ns = now_ns();
        if (hello_ping_publish(node, &p) != NX_OK)
            break;
        pthread_mutex_lock(&lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 2;
        while (last_pong_seq != (uint64_t)i &&
               pthread_cond_timedwait(&cond, &lock, &until) == 0) {
        }
        if (last_pong_seq == (uint64_t)i)
            rtt[done++] = last_rtt_ns;
        pthread_mutex_unlock(&lock);
        if (last_pong_seq != (uint64_t)i)
            break;
    }
    nx_node_destroy(node);
    if (done < pings) {
        fprintf(stderr, "hello-pub: only %d of %d pings answered\n", done, pings);
        free(rtt);
        return 1;
    }
    qsort(rtt, (size_t)done, sizeof *rtt, cmp_u64);
    printf("hello-pub: %d ping/pongs of %zu B, one-way latency (round trip / 2): "
           "p50 %.1f us, p99 %.1f us, max %.1f us\n",
           done, sizeof(hello_Ping), (double)rtt[done / 2] / 2000.0,
           (double)rtt[done * 99 / 100] / 2000.0, (double)rtt[done - 1] / 2000.0);
    free(rtt);
    return 0;
}
