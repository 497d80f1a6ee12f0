/*
 * raw-sub: subscribes to raw (group, topic) pairs with nx_subscribe() and
 * checks the size of what arrives itself: raw bytes carry no type.
 *
 *   raw-sub [--count N]
 */
#define _POSIX_C_SOURCE 200809L
#include <nexus/nexus.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct status {
    uint32_t code;
    char text[28];
};

static atomic_int statuses, dumps;

static void on_status(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)user;
    struct status s;
    if (size != sizeof s) {
        fprintf(stderr, "raw-sub: %s/%s: %zu bytes, expected %zu\n", info->group,
                info->topic, size, sizeof s);
        return;
    }
    memcpy(&s, data, sizeof s); /* data may not be aligned for struct status */
    s.text[sizeof s.text - 1] = '\0';
    printf("raw-sub: %s/%s from %s: code %u, \"%s\" (%zu bytes)\n", info->group,
           info->topic, info->sender, s.code, s.text, size);
    fflush(stdout);
    atomic_fetch_add(&statuses, 1);
}

static void on_dump(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)user;
    const unsigned char *b = data;
    printf("raw-sub: %s/%s from %s: %zu bytes%s, first byte 0x%02x\n", info->group,
           info->topic, info->sender, size,
           (info->flags & NX_MSG_LARGE) ? " on the large-data channel" : "",
           size ? b[0] : 0);
    fflush(stdout);
    atomic_fetch_add(&dumps, 1);
}

int main(int argc, char **argv)
{
    int want = argc > 2 && !strcmp(argv[1], "--count") ? atoi(argv[2]) : 3;
    nx_node_t *node;
    nx_err_t err = nx_node_create("raw-sub", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "raw-sub: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    /* The dump first: raw-pub starts once "status" has a subscriber. */
    if ((err = nx_subscribe(node, "diag", "dump", on_dump, NULL)) != NX_OK ||
        (err = nx_subscribe(node, "diag", "status", on_status, NULL)) != NX_OK) {
        fprintf(stderr, "raw-sub: cannot subscribe: %s\n", nx_strerror(err));
        nx_node_destroy(node);
        return 1;
    }
    for (int i = 0; i < 1000 && (atomic_load(&statuses) < want || atomic_load(&dumps) < 1);
         i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    nx_node_destroy(node);
    printf("raw-sub: got %d status messages and %d dump\n", atomic_load(&statuses),
           atomic_load(&dumps));
    return atomic_load(&statuses) == want && atomic_load(&dumps) == 1 ? 0 : 1;
}
