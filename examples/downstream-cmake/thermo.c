/*
 * thermo: a sensor node and a display node in one process; the display
 * prints what the sensor publishes on thermo/readings.
 */
#include "thermo.nidl.h"

#include <stdio.h>

static int shown;

static void on_reading(const thermo_Reading *r, const nx_msg_info_t *info, void *user)
{
    (void)user;
    printf("thermo: %s %.1f C (from %s)\n", r->room, (double)r->celsius, info->sender);
    shown++;
}

int main(void)
{
    nx_node_t *sensor, *display;
    nx_err_t err = nx_node_create("thermo-sensor", NULL, &sensor);
    if (err != NX_OK) {
        fprintf(stderr, "thermo: %s\n", nx_strerror(err));
        return 1;
    }
    if ((err = nx_node_create("thermo-display", NULL, &display)) != NX_OK) {
        fprintf(stderr, "thermo: %s\n", nx_strerror(err));
        nx_node_destroy(sensor);
        return 1;
    }
    if ((err = thermo_readings_subscribe(display, on_reading, NULL)) == NX_OK) {
        thermo_Reading r;
        thermo_Reading_init(&r);
        snprintf(r.room, sizeof r.room, "kitchen");
        r.celsius = 21.5f;
        err = thermo_readings_publish(sensor, &r);
    }
    nx_node_destroy(display);
    nx_node_destroy(sensor);
    if (err != NX_OK) {
        fprintf(stderr, "thermo: %s\n", nx_strerror(err));
        return 1;
    }
    return shown == 1 ? 0 : 1;
}
