/*
 * test_scale.c: a full domain (128 nodes, the registry's limit) at
 * heartbeat_ms 100, the shortest documented period, for DURATION seconds
 * (60 in the normal build). Before, every node probed every entry (an
 * shm_open, a lock query and a /proc read each) under the one registry
 * lock every period: O(N^2) system calls serialised, hundreds of live
 * nodes reaped as hung every few seconds and a healthy pair losing
 * thousands of messages reported as sent (issue 11, row 8). Now liveness
 * reads the heartbeats (memory) and probes only the late.
 *
 * The hang timeout is 2 s (20 periods): short enough that a node starved
 * of its tick by the registry would be reaped, long enough for a loaded
 * 2-core machine running the sanitizer builds.
 *
 * Asserts: no node was ever removed by another (each process reports how
 * many its nodes reaped: 0), all 128 are alive at the end as a snapshot
 * sees them, and a pair publishing under on_full = block the whole time
 * loses nothing.
 *
 * usage: test_scale PATH-TO-nx_peer [DURATION-S]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nexus/nexus.h>

#include "nx_proc.h"
#include "nx_test.h"

static const char *peer;
static const char *domain;
static int duration_s = 60;

#define PEER(...) ((char *const[]){(char *)peer, __VA_ARGS__, NULL})
#define start     nx_proc_spawn

/* Idle nodes: 3 processes; with the pair and the observer, 128 nodes. */
#define IDLE_PROCS 3
static const char *const idle_counts[IDLE_PROCS] = {"42", "42", "41"};

static int teardown(void **state)
{
    (void)state;
    nx_proc_finish(domain);
    return 0;
}

static void stop_ok(nx_proc_t *p, const char *who)
{
    nx_proc_signal(p, SIGTERM);
    int rc = nx_proc_wait(p, 60000);
    if (rc != 0)
        fail_msg("%s exited %d:\n%s", who, rc, p->buf);
}

static void scale_full_domain_at_100ms_heartbeat_is_stable(void **state)
{
    (void)state;
    domain = nx_proc_domain("scale");
    nx_config_t c;
    nx_config_default(&c);
    snprintf(c.domain, sizeof c.domain, "%s", domain);
    c.node.heartbeat_ms = 100;
    c.node.heartbeat_timeout_ms = 2000;
    c.node.max_inbound_queues = 4;
    c.node.queue_capacity = 16;
    nx_node_t *observer;
    NX_ASSERT_OK(nx_node_create("observer", &c, &observer));

    nx_proc_t *s = start(PEER("sub", "--node", "pair-sub", "--forever", "--hb-ms", "100",
                              "--hb-timeout-ms", "2000"));
    assert_true(nx_proc_wait_line(s, "READY", 10000));
    nx_proc_t *idle[IDLE_PROCS];
    for (int i = 0; i < IDLE_PROCS; i++) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "idle%d", i);
        idle[i] = start(PEER("idle", "--node", prefix, "--nodes", (char *)idle_counts[i],
                             "--hb-ms", "100", "--hb-timeout-ms", "2000", "--queues", "4",
                             "--queue-capacity", "16"));
        if (!nx_proc_wait_line(idle[i], "READY", 60000))
            fail_msg("idle nodes did not start:\n%s", idle[i]->buf);
    }
    nx_proc_t *p =
        start(PEER("pub", "--node", "pair-pub", "--forever", "--interval-us", "200",
                   "--block-ms", "10000", "--hb-ms", "100", "--hb-timeout-ms", "2000"));
    assert_true(nx_proc_wait_line(p, "READY", 10000));

    nx_snapshot_t *snap = NULL;
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    assert_int_equal(nx_snapshot_node_count(snap), 128);
    nx_snapshot_free(snap);

    sleep((unsigned)duration_s);

    /* Everyone is still there, alive. */
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    size_t alive = 0, n = nx_snapshot_node_count(snap);
    for (size_t i = 0; i < n; i++)
        alive += nx_snapshot_node(snap, i)->state == NX_NODE_STATE_ALIVE;
    nx_snapshot_free(snap);
    assert_int_equal(n, 128);
    assert_int_equal(alive, 128);
    nx_node_stats_t st;
    NX_ASSERT_OK(nx_node_stats(observer, &st));
    assert_int_equal(st.peers_reaped, 0);

    stop_ok(p, "pair publisher");
    long long sent = nx_proc_field(p, "SENT", "count");
    usleep(300000);
    stop_ok(s, "pair subscriber");
    long long reaped = nx_proc_field(s, "NODESTATS", "reaped");
    for (int i = 0; i < IDLE_PROCS; i++) {
        stop_ok(idle[i], "idle nodes");
        reaped += nx_proc_field(idle[i], "IDLE", "reaped");
    }
    printf("# scale: 128 nodes at heartbeat 100 ms for %d s; the pair sent %lld, "
           "nodes reaped by others: %lld\n",
           duration_s, sent, reaped);
    assert_int_equal(reaped, 0);
    assert_true(sent > 1000);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "count"), sent);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "first"), 1);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "gaps"), 0);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "dups"), 0);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "disorder"), 0);
    nx_node_destroy(observer);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-nx_peer [DURATION-S]\n", argv[0]);
        return 2;
    }
    peer = argv[1];
    if (argc > 2)
        duration_s = atoi(argv[2]);
    const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(
        scale_full_domain_at_100ms_heartbeat_is_stable, teardown)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
