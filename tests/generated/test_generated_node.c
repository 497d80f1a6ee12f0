/*
 * test_generated_node.c: the generated typed functions against the real
 * runtime: a Temperature (nested structs, a sequence, an enum, arrays)
 * and an 8 MiB CameraFrame, within one process (direct call) and to a
 * subscriber in another process (rings and the large-data channel, by
 * copy and by zero-copy loan), compared field by field and byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nx_proc.h"
#include "nx_test.h"
#include "sensors.nidl.h"

static const char *domain;

static int setup(void **state)
{
    (void)state;
    domain = nx_proc_domain("gen");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(nx_proc_finish(domain), 0);
    return 0;
}

static void make_temperature(vehicle_sensors_Temperature *t, uint32_t k)
{
    vehicle_sensors_Temperature_init(t);
    t->stamp.sec = 1000 + k;
    t->stamp.nsec = k;
    t->unit = VEHICLE_SENSORS_UNIT_KELVIN;
    t->zones.count = 3;
    for (uint32_t i = 0; i < 3; i++) {
        snprintf(t->zones.items[i].name, sizeof t->zones.items[i].name, "zone-%u-%u", k, i);
        t->zones.items[i].value = (float)(k * 10 + i);
    }
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 16; c++)
            t->raw[r][c] = (uint8_t)(k + (uint32_t)(r * 16 + c));
    t->valid = true;
}

static uint64_t frame_sum(const vehicle_sensors_CameraFrame *f)
{
    uint64_t h = 1469598103934665603u;
    for (uint32_t i = 0; i < f->pixels.len; i += 4096)
        h = (h ^ f->pixels.data[i]) * 1099511628211u;
    return h ^ f->width ^ ((uint64_t)f->height << 32) ^ f->pixels.len;
}

static void fill_frame(vehicle_sensors_CameraFrame *f, uint32_t k)
{
    f->width = 1920 + k;
    f->height = 1080;
    f->pixels.len = sizeof f->pixels.data;
    for (uint32_t i = 0; i < f->pixels.len; i++)
        f->pixels.data[i] = (uint8_t)(i * 7u + k);
}

/* ---- what a subscriber records ------------------------------------------ */

typedef struct seen {
    int temps, frames;
    vehicle_sensors_Temperature last_temp;
    uint64_t frame_sums[4];
    uint32_t flags;
} seen_t;

static void on_temp(const vehicle_sensors_Temperature *msg, const nx_msg_info_t *info,
                    void *user)
{
    seen_t *s = user;
    s->last_temp = *msg;
    s->flags = info->flags;
    s->temps++;
}

static void on_frame(const vehicle_sensors_CameraFrame *msg, const nx_msg_info_t *info,
                     void *user)
{
    seen_t *s = user;
    if (s->frames < 4)
        s->frame_sums[s->frames] = frame_sum(msg);
    s->flags = info->flags;
    s->frames++;
}

static void typed_in_process_round_trip(void **state)
{
    (void)state;
    nx_node_t *pub, *sub;
    NX_ASSERT_OK(nx_node_create("gen-pub", NULL, &pub));
    NX_ASSERT_OK(nx_node_create("gen-sub", NULL, &sub));
    seen_t seen = {0};
    NX_ASSERT_OK(vehicle_sensors_cabin_temp_subscribe(sub, on_temp, &seen));
    NX_ASSERT_OK(vehicle_sensors_front_camera_subscribe(sub, on_frame, &seen));

    vehicle_sensors_Temperature t;
    make_temperature(&t, 5);
    NX_ASSERT_OK(vehicle_sensors_cabin_temp_publish(pub, &t));
    assert_int_equal(seen.temps, 1);
    assert_memory_equal(&seen.last_temp, &t, sizeof t);
    assert_true(seen.flags & NX_MSG_INPROC);
    /* A message that fails its generated _validate never leaves. */
    t.zones.count = VEHICLE_SENSORS_MAX_ZONES + 1;
    NX_ASSERT_ERR(NX_EINVAL, vehicle_sensors_cabin_temp_publish(pub, &t));
    assert_int_equal(seen.temps, 1);

    /* 8 MiB by copy, then by loan. */
    vehicle_sensors_CameraFrame *f = malloc(sizeof *f);
    fill_frame(f, 1);
    NX_ASSERT_OK(vehicle_sensors_front_camera_publish(pub, f));
    vehicle_sensors_CameraFrame *loan = NULL;
    NX_ASSERT_OK(vehicle_sensors_front_camera_loan(pub, &loan));
    fill_frame(loan, 2);
    uint64_t want2 = frame_sum(loan);
    NX_ASSERT_OK(vehicle_sensors_front_camera_publish_loan(pub, loan));
    assert_int_equal(seen.frames, 2);
    assert_true(seen.frame_sums[0] == frame_sum(f));
    assert_true(seen.frame_sums[1] == want2);
    assert_true(seen.flags & NX_MSG_LOANED);
    NX_ASSERT_OK(vehicle_sensors_front_camera_loan(pub, &loan));
    NX_ASSERT_OK(vehicle_sensors_front_camera_loan_release(pub, loan));
    NX_ASSERT_OK(vehicle_sensors_cabin_temp_unsubscribe(sub));
    make_temperature(&t, 6);
    NX_ASSERT_OK(vehicle_sensors_cabin_temp_publish(pub, &t));
    assert_int_equal(seen.temps, 1);
    free(f);
    nx_node_destroy(sub);
    nx_node_destroy(pub);
}

static void typed_across_processes_with_large_frames(void **state)
{
    (void)state;
    int ready[2], done[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(done), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* The subscriber: reports what it got through the done pipe. */
        nx_node_t *sub;
        seen_t seen = {0};
        if (nx_node_create("gen-remote", NULL, &sub) != NX_OK ||
            vehicle_sensors_cabin_temp_subscribe(sub, on_temp, &seen) != NX_OK ||
            vehicle_sensors_front_camera_subscribe(sub, on_frame, &seen) != NX_OK)
            _exit(3);
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        for (int i = 0; i < 2000 && (seen.temps < 1 || seen.frames < 2); i++) {
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
        nx_node_destroy(sub);
        if (write(done[1], &seen, sizeof seen) != (ssize_t)sizeof seen)
            _exit(5);
        _exit(0);
    }
    char ch;
    assert_int_equal(read(ready[0], &ch, 1), 1);
    nx_node_t *pub;
    NX_ASSERT_OK(nx_node_create("gen-pub", NULL, &pub));
    vehicle_sensors_Temperature t;
    make_temperature(&t, 9);
    NX_ASSERT_OK(vehicle_sensors_cabin_temp_publish(pub, &t));
    vehicle_sensors_CameraFrame *f = malloc(sizeof *f);
    fill_frame(f, 3);
    NX_ASSERT_OK(vehicle_sensors_front_camera_publish(pub, f));
    vehicle_sensors_CameraFrame *loan = NULL;
    NX_ASSERT_OK(vehicle_sensors_front_camera_loan(pub, &loan));
    fill_frame(loan, 4);
    uint64_t want_loan = frame_sum(loan);
    NX_ASSERT_OK(vehicle_sensors_front_camera_publish_loan(pub, loan));

    seen_t seen;
    assert_int_equal(read(done[0], &seen, sizeof seen), (ssize_t)sizeof seen);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(seen.temps, 1);
    assert_memory_equal(&seen.last_temp, &t, sizeof t);
    assert_int_equal(seen.frames, 2);
    assert_true(seen.frame_sums[0] == frame_sum(f));
    assert_true(seen.frame_sums[1] == want_loan);
    assert_true(seen.flags & NX_MSG_LARGE);
    assert_true(seen.flags & NX_MSG_LOANED);
    assert_false(seen.flags & NX_MSG_INPROC);
    free(f);
    nx_node_destroy(pub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(typed_in_process_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(typed_across_processes_with_large_frames, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
