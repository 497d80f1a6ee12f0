/*
 * camera-pub: a camera publishing 8 MiB frames without copying them. Each
 * frame is a loan: a buffer inside the node's large-data ring, filled in
 * place and published; only a small descriptor travels, and the
 * subscribers read the pixels where the camera wrote them.
 *
 *   camera-pub [--frames N] [--subscribers N]
 *
 * Waits (up to 10 s) for --subscribers (default 1), sends --frames
 * (default 100), then waits for them to be read before it leaves.
 */
#define _POSIX_C_SOURCE 200809L
#include "sensors.nidl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    long frames = 100, want_subs = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--frames"))
            frames = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--subscribers"))
            want_subs = atol(argv[i + 1]);
    }
    nx_node_t *node;
    nx_err_t err = nx_node_create("camera", NULL, &node);
    if (err != NX_OK) {
        fprintf(stderr, "camera-pub: cannot join: %s\n", nx_strerror(err));
        return 1;
    }
    const char *topic = vehicle_sensors_front_camera_topic.name;
    size_t subs = 0;
    for (int i = 0; i < 1000 && subs < (size_t)want_subs; i++) {
        if (nx_subscriber_count(node, "", topic, &subs) != NX_OK ||
            subs < (size_t)want_subs)
            sleep_ms(10);
    }
    if (subs < (size_t)want_subs) {
        fprintf(stderr, "camera-pub: fewer than %ld subscribers on %s\n", want_subs, topic);
        nx_node_destroy(node);
        return 1;
    }

    long sent = 0, busy = 0;
    while (sent < frames) {
        vehicle_sensors_CameraFrame *frame;
        /* NX_ETIMEOUT: the ring is full of frames not read yet; retry. */
        err = vehicle_sensors_front_camera_loan(node, &frame);
        if (err == NX_ETIMEOUT) {
            busy++;
            sleep_ms(1);
            continue;
        }
        if (err != NX_OK) {
            fprintf(stderr, "camera-pub: loan: %s\n", nx_strerror(err));
            break;
        }
        /* A loan is not cleared: write every field. */
        frame->width = 2048;
        frame->height = 1024;
        frame->pixels.len = (uint32_t)sizeof frame->pixels.data; /* 2048 x 1024 x 4 B */
        memset(frame->pixels.data, (int)(sent & 0xff), sizeof frame->pixels.data);
        memcpy(frame->pixels.data, &sent, sizeof sent);               /* the frame number */
        err = vehicle_sensors_front_camera_publish_loan(node, frame); /* the loan ends */
        if (err != NX_OK) {
            fprintf(stderr, "camera-pub: publish: %s\n", nx_strerror(err));
            break;
        }
        sent++;
    }
    printf("camera-pub: sent %ld frames of %zu bytes through loans (%ld waits for room)\n",
           sent, sizeof(vehicle_sensors_CameraFrame), busy);
    /* Stay until the subscribers have read the frames still in the ring. */
    for (int i = 0; i < 1000; i++) {
        if (nx_subscriber_count(node, "", topic, &subs) != NX_OK || subs == 0)
            break;
        sleep_ms(10);
    }
    nx_node_destroy(node);
    return sent == frames ? 0 : 1;
}
