/*
 * Small helpers shared by the sensors programs: a sleep, a stop flag set by
 * Ctrl-C, and a wait for subscribers (discovery).
 */
#ifndef SENSORS_COMMON_H
#define SENSORS_COMMON_H

#include <nexus/nexus.h>

#include <signal.h>
#include <stdatomic.h>
#include <time.h>

static atomic_bool stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, true);
}

static inline void catch_stop_signals(void)
{
    signal(SIGINT, on_stop_signal);
    signal(SIGTERM, on_stop_signal);
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait up to timeout_ms until `topic` has at least `want` subscribers. */
static inline bool wait_subscribers(nx_node_t *node, const char *topic, size_t want,
                                    long timeout_ms)
{
    for (long waited = 0; waited <= timeout_ms && !atomic_load(&stop_requested);
         waited += 10) {
        size_t n = 0;
        if (nx_subscriber_count(node, "", topic, &n) == NX_OK && n >= want)
            return true;
        sleep_ms(10);
    }
    return false;
}

#endif
