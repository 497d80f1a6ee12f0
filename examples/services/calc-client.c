/*
 * calc-client: calls example.calc.add a few times, synchronously and
 * asynchronously, and shows what a call returns when it cannot succeed.
 */
#include "calc.nidl.h"

#include <semaphore.h>
#include <stdio.h>

static sem_t replied;

/* BEGIN ASYNC */
/* Runs once per asynchronous call, on the node's receive thread. */
static void on_sum(nx_err_t status, const example_calc_AddReply *rep,
                   const nx_msg_info_t *info, void *user)
{
    (void)info;
    long long a = *(const long long *)user;
    if (status == NX_OK)
        printf("calc-client: async %lld + 1000 = %lld\n", a, (long long)rep->sum);
    else
        printf("calc-client: async call failed: %s\n", nx_err_name(status));
    sem_post(&replied);
}
/* END ASYNC */

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sem_init(&replied, 0, 0);
    nx_node_t *node;
    nx_err_t err = nx_node_create("calc-client", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "calc-client: %s\n", nx_strerror(err));
        return 1;
    }
    int failures = 0;
    /* BEGIN CALL */
    for (int i = 1; i <= 3; i++) {
        example_calc_AddRequest req = {.a = i, .b = 10 * i};
        example_calc_AddReply rep;
        err = example_calc_add_call(node, &req, &rep, 0); /* 0: the service's 500 ms */
        if (err == NX_OK)
            printf("calc-client: %lld + %lld = %lld\n", (long long)req.a, (long long)req.b,
                   (long long)rep.sum);
        else /* NX_ENOTFOUND: no server (or it died); NX_ETIMEOUT: no answer in time */
            printf("calc-client: call failed: %s\n", nx_err_name(err)), failures++;
    }
    /* END CALL */
    /* The handler's own error is the call's result. */
    example_calc_AddRequest big = {.a = INT64_MAX, .b = 1};
    example_calc_AddReply rep;
    printf("calc-client: INT64_MAX + 1: %s\n",
           nx_err_name(example_calc_add_call(node, &big, &rep, 0)));
    static long long a = 7;
    example_calc_AddRequest req = {.a = a, .b = 1000};
    if (example_calc_add_call_async(node, &req, on_sum, &a, 0) == NX_OK)
        sem_wait(&replied);
    else
        failures++;
    nx_node_destroy(node);
    return failures ? 1 : 0;
}
