/*
 * hello-sub: prints the greetings it receives and answers every ping with
 * a pong. Stops once it got --count greetings (default 10) and hello-pub
 * has left the domain, or on Ctrl-C.
 */
#define _POSIX_C_SOURCE 200809L
#include "hello.nidl.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static atomic_int greetings;
static atomic_bool stop;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop, true);
}

/* Runs on the node's receive thread. */
static void on_greeting(const hello_Greeting *msg, const nx_msg_info_t *info, void *user)
{
    (void)user;
    uint64_t us = (info->recv_time_ns - info->send_time_ns) / 1000u;
    printf("hello-sub: #%u from %s (seq %llu): \"%s\" (%llu us in transit)\n", msg->count,
           msg->header.source, (unsigned long long)msg->header.seq, msg->text,
           (unsigned long long)us);
    fflush(stdout);
    atomic_fetch_add(&greetings, 1);
}

/* Answer a ping: a callback may publish. */
static void on_ping(const hello_Ping *msg, const nx_msg_info_t *info, void *user)
{
    (void)info;
    nx_node_t *node = user;
    hello_Pong pong;
    pong.seq = msg->seq;
    pong.t_send_ns = msg->t_send_ns;
    pong.payload.len = msg->payload.len;
    memcpy(pong.payload.data, msg->payload.data, sizeof pong.payload.data);
    nx_err_t err = hello_pong_publish(node, &pong);
    if (err != NX_OK)
        fprintf(stderr, "hello-sub: pong: %s\n", nx_strerror(err));
}

int main(int argc, char **argv)
{
    int want = argc > 2 && strcmp(argv[1], "--count") == 0 ? atoi(argv[2]) : 10;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    nx_node_t *node;
    nx_err_t err = nx_node_create("hello-sub", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "hello-sub: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    if ((err = hello_greetings_subscribe(node, on_greeting, NULL)) != NX_OK ||
        (err = hello_ping_subscribe(node, on_ping, node)) != NX_OK) {
        fprintf(stderr, "hello-sub: cannot subscribe: %s\n", nx_strerror(err));
        nx_node_destroy(node);
        return 1;
    }
    printf("hello-sub: ready in domain '%s'\n", nx_node_domain(node));
    fflush(stdout);
    while (!atomic_load(&stop) && atomic_load(&greetings) < want)
        sleep_ms(10);
    /* Keep answering pings until the publisher is done. */
    while (!atomic_load(&stop) && nx_node_find(node, "hello-pub", NULL) == NX_OK)
        sleep_ms(10);
    nx_node_destroy(node);
    printf("hello-sub: got %d greetings, bye\n", atomic_load(&greetings));
    return atomic_load(&greetings) >= want ? 0 : 1;
}
