/*
 * sensors-dashboard: shows the readings of every temperature sensor
 * (many-to-one: the cabin and the engine sensors publish to it).
 *
 *   sensors-dashboard [--count N]
 *
 * Stops after N readings of each topic (default 0: until Ctrl-C).
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"
#include "sensors.nidl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long cabin_count, engine_count;

/* Runs on the node's receive thread, one message at a time. */
static void on_temp(const vehicle_sensors_Temperature *t, const nx_msg_info_t *info,
                    void *user)
{
    atomic_long *counter = user;
    atomic_fetch_add(counter, 1);
    for (uint32_t i = 0; i < t->zones.count; i++)
        printf("dashboard: %-6s %5.1f C  (%s, seq %llu, topic %s)\n",
               t->zones.items[i].name, (double)t->zones.items[i].value, info->sender,
               (unsigned long long)info->seq, info->topic);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    long want = argc > 2 && !strcmp(argv[1], "--count") ? atol(argv[2]) : 0;
    catch_stop_signals();

    nx_node_t *node;
    nx_err_t err = nx_node_create("dashboard", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "dashboard: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    if ((err = vehicle_sensors_cabin_temp_subscribe(node, on_temp, &cabin_count)) !=
            NX_OK ||
        (err = vehicle_sensors_engine_temp_subscribe(node, on_temp, &engine_count)) !=
            NX_OK) {
        fprintf(stderr, "dashboard: cannot subscribe: %s\n", nx_strerror(err));
        nx_node_destroy(node);
        return 1;
    }
    printf("dashboard: ready in domain '%s'\n", nx_node_domain(node));
    fflush(stdout);
    while (!atomic_load(&stop_requested) &&
           (want == 0 || atomic_load(&cabin_count) < want ||
            atomic_load(&engine_count) < want))
        sleep_ms(10);
    nx_node_destroy(node); /* no callback runs once this returns */
    printf("dashboard: %ld cabin and %ld engine readings\n", atomic_load(&cabin_count),
           atomic_load(&engine_count));
    return 0;
}
