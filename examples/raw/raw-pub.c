/*
 * raw-pub: publishes bytes with no schema, LibRPC style:
 * nx_publish(node, group, topic, data, size). For porting code that sends
 * its own structs; the receiver gets the bytes and their size, nothing is
 * checked against a type. Also sends one large buffer with
 * nx_send_large_data().
 *
 *   raw-pub [--count N]
 */
#define _POSIX_C_SOURCE 200809L
#include <nexus/nexus.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The layout both sides agree on, as in a LibRPC header. */
struct status {
    uint32_t code;
    char text[28];
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    int count = argc > 2 && !strcmp(argv[1], "--count") ? atoi(argv[2]) : 3;
    nx_node_t *node;
    nx_err_t err = nx_node_create("raw-pub", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "raw-pub: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    size_t subs = 0;
    for (int i = 0; i < 1000 && subs == 0; i++) {
        if (nx_subscriber_count(node, "diag", "status", &subs) != NX_OK || subs == 0)
            sleep_ms(10);
    }
    for (int i = 1; i <= count && err == NX_OK; i++) {
        struct status s = {.code = (uint32_t)(200 + i)};
        snprintf(s.text, sizeof s.text, "all good, #%d", i);
        err = nx_publish(node, "diag", "status", &s, sizeof s);
    }
    /* 1 MiB: more than a ring slot, so it travels on the large-data channel. */
    size_t big_size = 1u << 20;
    unsigned char *big = malloc(big_size);
    if (err == NX_OK && big) {
        memset(big, 0x5a, big_size);
        err = nx_send_large_data(node, "diag", "dump", big, big_size);
    }
    free(big);
    if (err != NX_OK)
        fprintf(stderr, "raw-pub: publish: %s\n", nx_strerror(err));
    else
        printf("raw-pub: sent %d status messages and a %zu-byte dump\n", count, big_size);
    /* Leave once the subscriber is done. */
    for (int i = 0; i < 1000 && nx_node_find(node, "raw-sub", NULL) == NX_OK; i++)
        sleep_ms(10);
    nx_node_destroy(node);
    return err == NX_OK ? 0 : 1;
}
