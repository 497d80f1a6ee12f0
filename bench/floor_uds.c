/*
 * floor_uds: what a user would otherwise write: a Unix domain socket pair
 * (socketpair(AF_UNIX, SOCK_SEQPACKET): message boundaries kept, blocking
 * reads and writes, the kernel copies each message twice). Two processes
 * pinned to cores 0 and 1, same patterns as the other programs.
 *
 * Usage: floor_uds latency|throughput|cpu [options]
 */
#include "pattern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct uds_ctx {
    int fd[2]; /* fd[i]: side i's end */
} uds_ctx_t;

static int uds_open(void *arg, int side)
{
    uds_ctx_t *c = arg;
    close(c->fd[1 - side]); /* our copy of the other end */
    c->fd[1 - side] = -1;
    return 0;
}

static void uds_close(void *arg, int side)
{
    uds_ctx_t *c = arg;
    close(c->fd[side]);
}

static int uds_send(void *arg, int side, const void *buf, size_t len)
{
    uds_ctx_t *c = arg;
    for (;;) {
        ssize_t n = send(c->fd[side], buf, len, 0);
        if (n == (ssize_t)len)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return 1;
    }
}

static int uds_recv(void *arg, int side, void *buf, size_t cap, size_t *len)
{
    uds_ctx_t *c = arg;
    for (;;) {
        ssize_t n = recv(c->fd[side], buf, cap, 0);
        if (n > 0) {
            *len = (size_t)n;
            return 0;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return 1;
    }
}

static const char uds_usage[] =
    "usage: floor_uds latency|throughput|cpu [options]\n"
    "  Unix domain socket pair (SOCK_SEQPACKET) between two processes pinned\n"
    "  to cores 0 and 1.\n"
    "  --size B           message bytes (default 256)\n"
    "  latency:    --count N (200000) --warmup W (10000)\n"
    "  throughput: --seconds S (1.5)\n"
    "  cpu:        --rate R msg/s (1000) --seconds S (10)\n"
    "  --hist FILE        latency: also append the raw histogram to FILE\n"
    "Prints '@ key value' result lines (read by tools/scripts/bench.sh).\n";

/* Every command: the socket pair, then the pattern argv[1] names. */
static int uds_run(int argc, char **argv)
{
    uint32_t size =
        (uint32_t)bn_opt_uint(argc, argv, "--size", 256, sizeof(bn_msg_t), 65536);
    uds_ctx_t ctx;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctx.fd) != 0) {
        perror("floor_uds: socketpair");
        return 1;
    }
    bn_transport_t t = {.name = "uds",
                        .open = uds_open,
                        .send = uds_send,
                        .recv = uds_recv,
                        .close = uds_close,
                        .ctx = &ctx};
    int rc = bn_pattern_run(&t, argv[1], size, argc, argv);
    close(ctx.fd[0]);
    close(ctx.fd[1]);
    return rc == 0 ? 0 : rc < 0 ? 2 : 1;
}

static const bn_command_t uds_commands[] = {
    {"latency", uds_run},
    {"throughput", uds_run},
    {"cpu", uds_run},
    {NULL, NULL},
};

const bn_program_t bn_program = {
    .name = "floor_uds",
    .usage = uds_usage,
    .commands = uds_commands,
};
