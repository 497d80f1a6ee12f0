/*
 * sensors-temp: one temperature sensor. Publishes a reading of its zone
 * every --period-ms (default 100) on the cabin or the engine topic.
 *
 *   sensors-temp --zone cabin|engine [--count N] [--subscribers N] [--period-ms MS]
 *
 * --count 0 (the default) runs until Ctrl-C; --subscribers N first waits
 * (up to 10 s) until the topic has N subscribers.
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"
#include "sensors.nidl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *zone = "cabin";
    long count = 0, subscribers = 0, period_ms = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--zone"))
            zone = argv[i + 1];
        else if (!strcmp(argv[i], "--count"))
            count = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--subscribers"))
            subscribers = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--period-ms"))
            period_ms = atol(argv[i + 1]);
    }
    bool engine = !strcmp(zone, "engine");
    if (!engine && strcmp(zone, "cabin")) {
        fprintf(stderr, "sensors-temp: --zone is cabin or engine, not '%s'\n", zone);
        return 2;
    }
    const nx_topic_desc_t *topic =
        engine ? &vehicle_sensors_engine_temp_topic : &vehicle_sensors_cabin_temp_topic;
    catch_stop_signals();

    char name[32];
    snprintf(name, sizeof name, "%s-sensor", zone);
    nx_node_t *node;
    nx_err_t err = nx_node_create(name, NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "sensors-temp: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    if (subscribers > 0 &&
        !wait_subscribers(node, topic->name, (size_t)subscribers, 10000)) {
        fprintf(stderr, "%s: fewer than %ld subscribers on %s\n", name, subscribers,
                topic->name);
        nx_node_destroy(node);
        return 1;
    }
    printf("%s: publishing on %s\n", name, topic->name);
    fflush(stdout);

    long sent = 0;
    while (!atomic_load(&stop_requested) && (count == 0 || sent < count)) {
        vehicle_sensors_Temperature t;
        vehicle_sensors_Temperature_init(&t); /* the schema's defaults */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        t.stamp.sec = now.tv_sec;
        t.stamp.nsec = (uint32_t)now.tv_nsec;
        t.zones.count = 1;
        snprintf(t.zones.items[0].name, sizeof t.zones.items[0].name, "%s", zone);
        t.zones.items[0].value = (engine ? 90.0f : 21.0f) + (float)(sent % 10) / 10.0f;
        t.valid = true;
        err = engine ? vehicle_sensors_engine_temp_publish(node, &t)
                     : vehicle_sensors_cabin_temp_publish(node, &t);
        if (err != NX_OK)
            fprintf(stderr, "%s: publish: %s\n", name, nx_strerror(err));
        sent++;
        sleep_ms(period_ms);
    }
    printf("%s: sent %ld readings\n", name, sent);
    nx_node_destroy(node);
    return 0;
}
