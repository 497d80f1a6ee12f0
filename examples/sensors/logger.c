/*
 * sensors-logger: records the cabin readings with their latency (one
 * topic, several subscribers: the dashboard and this logger both get
 * every reading of the cabin sensor).
 *
 *   sensors-logger [--count N]
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"
#include "sensors.nidl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long logged;

static void on_cabin(const vehicle_sensors_Temperature *t, const nx_msg_info_t *info,
                     void *user)
{
    (void)user;
    double us = (double)(info->recv_time_ns - info->send_time_ns) / 1000.0;
    if (t->zones.count == 0)
        return;
    printf("logger: %lld.%09u %s seq %llu: %.1f C, %.0f us in transit\n",
           (long long)t->stamp.sec, t->stamp.nsec, info->sender,
           (unsigned long long)info->seq, (double)t->zones.items[0].value, us);
    fflush(stdout);
    atomic_fetch_add(&logged, 1);
}

int main(int argc, char **argv)
{
    long want = argc > 2 && !strcmp(argv[1], "--count") ? atol(argv[2]) : 0;
    catch_stop_signals();

    nx_node_t *node;
    nx_err_t err = nx_node_create("logger", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "logger: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    if ((err = vehicle_sensors_cabin_temp_subscribe(node, on_cabin, NULL)) != NX_OK) {
        fprintf(stderr, "logger: cannot subscribe: %s\n", nx_strerror(err));
        nx_node_destroy(node);
        return 1;
    }
    printf("logger: ready\n");
    fflush(stdout);
    while (!atomic_load(&stop_requested) && (want == 0 || atomic_load(&logged) < want))
        sleep_ms(10);
    nx_node_destroy(node);
    printf("logger: logged %ld cabin readings\n", atomic_load(&logged));
    return 0;
}
