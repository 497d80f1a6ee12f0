/*
 * camera-view: receives the camera's 8 MiB frames in place (the message
 * points into the camera's large-data ring: nothing is copied) and prints
 * the rate in frames/s and MB/s.
 *
 *   camera-view [--frames N]
 *
 * Stops after --frames (default 100).
 */
#define _POSIX_C_SOURCE 200809L
#include "sensors.nidl.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_long received, damaged;
static atomic_bool stop;
static uint64_t first_ns, last_ns;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop, true);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_frame(const vehicle_sensors_CameraFrame *frame, const nx_msg_info_t *info,
                     void *user)
{
    (void)user;
    long number;
    memcpy(&number, frame->pixels.data, sizeof number);
    /* Look at a pixel of the last row: the whole frame is there. */
    uint8_t last = frame->pixels.data[frame->pixels.len - 1];
    if (frame->pixels.len != sizeof frame->pixels.data ||
        last != (uint8_t)(number & 0xff) || !(info->flags & NX_MSG_LARGE))
        atomic_fetch_add(&damaged, 1);
    if (atomic_load(&received) == 0)
        first_ns = info->send_time_ns;
    last_ns = now_ns();
    atomic_fetch_add(&received, 1);
}

int main(int argc, char **argv)
{
    long want = argc > 2 && !strcmp(argv[1], "--frames") ? atol(argv[2]) : 100;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    nx_node_t *node;
    nx_err_t err = nx_node_create("camera-view", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "camera-view: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    if ((err = vehicle_sensors_front_camera_subscribe(node, on_frame, NULL)) != NX_OK) {
        fprintf(stderr, "camera-view: cannot subscribe: %s\n", nx_strerror(err));
        nx_node_destroy(node);
        return 1;
    }
    printf("camera-view: ready\n");
    fflush(stdout);
    while (!atomic_load(&stop) && atomic_load(&received) < want) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    nx_node_destroy(node); /* no callback runs after this */

    long n = atomic_load(&received);
    double s = (double)(last_ns - first_ns) / 1e9;
    double bytes = (double)n * (double)sizeof(vehicle_sensors_CameraFrame);
    printf(
        "camera-view: %ld frames of 8 MiB in %.3f s: %.0f frames/s, %.0f MB/s, %ld damaged\n",
        n, s, s > 0 ? (double)n / s : 0.0, s > 0 ? bytes / s / 1e6 : 0.0,
        atomic_load(&damaged));
    return n == want && atomic_load(&damaged) == 0 ? 0 : 1;
}
