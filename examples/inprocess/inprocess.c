/*
 * inprocess: two nodes in one process. A message between nodes of the
 * same process is delivered by a direct call: the subscriber's callback
 * runs on the publisher's thread, before publish() returns, and nothing
 * goes through shared memory.
 */
#define _POSIX_C_SOURCE 200809L
#include "sensors.nidl.h"

#include <pthread.h>
#include <stdio.h>

static int delivered;

static void on_temp(const vehicle_sensors_Temperature *t, const nx_msg_info_t *info,
                    void *user)
{
    pthread_t *publisher_thread = user;
    printf("consumer: %.1f C from %s, %s, on the %s thread\n",
           (double)t->zones.items[0].value, info->sender,
           (info->flags & NX_MSG_INPROC) ? "direct call" : "through shared memory",
           pthread_equal(pthread_self(), *publisher_thread) ? "publisher's" : "receive");
    delivered++;
}

int main(void)
{
    nx_node_t *producer, *consumer;
    nx_err_t err = nx_node_create("producer", NULL, &producer);
    if (err != NX_OK) {
        fprintf(stderr, "inprocess: cannot create producer: %s\n", nx_strerror(err));
        return 1;
    }
    if ((err = nx_node_create("consumer", NULL, &consumer)) != NX_OK) {
        fprintf(stderr, "inprocess: cannot create consumer: %s\n", nx_strerror(err));
        nx_node_destroy(producer);
        return 1;
    }
    pthread_t self = pthread_self();
    if ((err = vehicle_sensors_cabin_temp_subscribe(consumer, on_temp, &self)) != NX_OK) {
        fprintf(stderr, "inprocess: cannot subscribe: %s\n", nx_strerror(err));
        nx_node_destroy(consumer);
        nx_node_destroy(producer);
        return 1;
    }
    for (int i = 0; i < 3 && err == NX_OK; i++) {
        vehicle_sensors_Temperature t;
        vehicle_sensors_Temperature_init(&t);
        t.zones.count = 1;
        snprintf(t.zones.items[0].name, sizeof t.zones.items[0].name, "cabin");
        t.zones.items[0].value = 20.5f + (float)i;
        int before = delivered;
        err = vehicle_sensors_cabin_temp_publish(producer, &t);
        printf("producer: published #%d, the consumer had it %s publish returned\n", i + 1,
               delivered > before ? "before" : "after");
    }
    nx_node_destroy(consumer);
    nx_node_destroy(producer);
    if (err != NX_OK) {
        fprintf(stderr, "inprocess: publish: %s\n", nx_strerror(err));
        return 1;
    }
    printf("inprocess: %d of 3 delivered\n", delivered);
    return delivered == 3 ? 0 : 1;
}
