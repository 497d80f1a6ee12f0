/*
 * calc-server: serves example.calc.add until it has answered --count calls
 * (or forever without it), then leaves.
 */
#include "calc.nidl.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int answered;

/* BEGIN HANDLER */
/* Runs on the node's receive thread for every call; rep starts zeroed. */
static nx_err_t on_add(const example_calc_AddRequest *req, example_calc_AddReply *rep,
                       const nx_msg_info_t *info, void *user)
{
    (void)user;
    if ((req->b > 0 && req->a > INT64_MAX - req->b) ||
        (req->b < 0 && req->a < INT64_MIN - req->b))
        return NX_EINVAL; /* the caller gets this as the call's result */
    rep->sum = req->a + req->b;
    printf("calc-server: %lld + %lld for %s\n", (long long)req->a, (long long)req->b,
           info->sender);
    atomic_fetch_add(&answered, 1);
    return NX_OK;
}
/* END HANDLER */

int main(int argc, char **argv)
{
    int count = argc > 2 && strcmp(argv[1], "--count") == 0 ? atoi(argv[2]) : 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    nx_node_t *node;
    nx_err_t err = nx_node_create("calc-server", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "calc-server: %s\n", nx_strerror(err));
        return 1;
    }
    /* BEGIN SERVE */
    err = example_calc_add_serve(node, on_add, NULL);
    if (err != NX_OK) { /* NX_EEXIST: another process serves it already */
        fprintf(stderr, "calc-server: serve: %s\n", nx_strerror(err));
        nx_node_destroy(node);
        return 1;
    }
    /* END SERVE */
    printf("calc-server: serving %s\n", example_calc_add_service.name);
    const struct timespec tick = {0, 10000000}; /* 10 ms */
    while (count == 0 || atomic_load(&answered) < count)
        nanosleep(&tick, NULL);
    nx_node_destroy(node);
    printf("calc-server: answered %d calls, bye\n", atomic_load(&answered));
    return 0;
}
