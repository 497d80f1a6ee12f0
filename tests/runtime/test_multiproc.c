/*
 * test_multiproc.c: publish/subscribe between real processes (fork/exec
 * of nx_peer), each test in a domain of its own. Every test asserts the
 * exact set of sequence numbers each subscriber received, and that the
 * domain leaves nothing in /dev/shm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_proc.h"
#include "nx_test.h"

static const char *peer_path;
static const char *domain;

#define ARGV(...) ((char *const[]){(char *)peer_path, __VA_ARGS__, NULL})

/* Children are tracked so a failed assertion still stops them all. */
#define start nx_proc_spawn

static int setup(void **state)
{
    (void)state;
    domain = nx_proc_domain("mp");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(nx_proc_finish(domain), 0);
    return 0;
}

/* The subscriber got exactly {1..count} from publisher id, in order. */
static void assert_exact(const nx_proc_t *sub, int id, long long count)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "RESULT id=%d ", id);
    long long got = nx_proc_field(sub, prefix, "count");
    if (got != count || nx_proc_field(sub, prefix, "first") != 1 ||
        nx_proc_field(sub, prefix, "last") != count ||
        nx_proc_field(sub, prefix, "gaps") != 0 ||
        nx_proc_field(sub, prefix, "dups") != 0 ||
        nx_proc_field(sub, prefix, "disorder") != 0 ||
        nx_proc_field(sub, prefix, "bad") != 0)
        fail_msg("publisher %d: want exactly 1..%lld in order; subscriber said:\n%s", id,
                 count, sub->buf);
}

/* The subscriber got a contiguous run of at least `count` (a late start is
 * allowed; it may count a few more before it notices it is done). */
static void assert_contiguous(const nx_proc_t *sub, int id, long long count)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "RESULT id=%d ", id);
    long long first = nx_proc_field(sub, prefix, "first");
    long long got = nx_proc_field(sub, prefix, "count");
    if (got < count || first < 1 || nx_proc_field(sub, prefix, "last") != first + got - 1 ||
        nx_proc_field(sub, prefix, "gaps") != 0 ||
        nx_proc_field(sub, prefix, "dups") != 0 || nx_proc_field(sub, prefix, "bad") != 0)
        fail_msg("publisher %d: want %lld contiguous messages; subscriber said:\n%s", id,
                 count, sub->buf);
}

static void wait_ok(nx_proc_t *p, const char *who)
{
    int rc = nx_proc_wait(p, 60000);
    if (rc != 0 || !nx_proc_wait_line(p, "DONE ok", 0))
        fail_msg("%s exited with %d:\n%s", who, rc, p->buf);
}

static void one_to_one(const char *mode, bool typed)
{
    nx_proc_t *sub = start(
        typed ? ARGV("sub", "--node", "s", "--notify", (char *)mode, "--count", "20000",
                     "--typed")
              : ARGV("sub", "--node", "s", "--notify", (char *)mode, "--count", "20000"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    nx_proc_t *pub = start(typed ? ARGV("pub", "--node", "p", "--notify", (char *)mode,
                                        "--count", "20000", "--block-ms", "1000", "--typed")
                                 : ARGV("pub", "--node", "p", "--notify", (char *)mode,
                                        "--count", "20000", "--block-ms", "1000"));
    wait_ok(sub, "subscriber");
    wait_ok(pub, "publisher");
    assert_exact(sub, 0, 20000);
}

static void mp_one_to_one_semaphore(void **state)
{
    (void)state;
    one_to_one("semaphore", false);
}
static void mp_one_to_one_condvar(void **state)
{
    (void)state;
    one_to_one("condvar", false);
}
static void mp_one_to_one_spin(void **state)
{
    (void)state;
    one_to_one("spin", false);
}
static void mp_one_to_one_typed(void **state)
{
    (void)state;
    one_to_one("semaphore", true);
}

static void mp_one_to_many_four_subscribers(void **state)
{
    (void)state;
    nx_proc_t *subs[4];
    char name[4][16];
    for (int i = 0; i < 4; i++) {
        snprintf(name[i], sizeof name[i], "s%d", i);
        subs[i] = start(ARGV("sub", "--node", name[i], "--count", "10000", "--notify",
                             i % 2 ? "condvar" : "semaphore"));
    }
    for (int i = 0; i < 4; i++)
        assert_true(nx_proc_wait_line(subs[i], "READY", 10000));
    nx_proc_t *pub = start(ARGV("pub", "--node", "p", "--count", "10000", "--block-ms",
                                "2000", "--wait-subs", "4"));
    for (int i = 0; i < 4; i++) {
        wait_ok(subs[i], "subscriber");
        assert_exact(subs[i], 0, 10000);
    }
    wait_ok(pub, "publisher");
}

static void mp_many_to_one_four_publishers(void **state)
{
    (void)state;
    nx_proc_t *sub = start(ARGV("sub", "--node", "s", "--pubs", "4", "--count", "10000"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    nx_proc_t *pubs[4];
    char name[4][16], id[4][16];
    for (int i = 0; i < 4; i++) {
        snprintf(name[i], sizeof name[i], "p%d", i);
        snprintf(id[i], sizeof id[i], "%d", i);
        pubs[i] = start(ARGV("pub", "--node", name[i], "--id", id[i], "--count", "10000",
                             "--block-ms", "2000"));
    }
    wait_ok(sub, "subscriber");
    for (int i = 0; i < 4; i++) {
        assert_exact(sub, i, 10000);
        wait_ok(pubs[i], "publisher");
    }
}

static void mp_late_subscriber_discovers_running_publisher(void **state)
{
    (void)state;
    nx_proc_t *pub = start(ARGV("pub", "--node", "p", "--forever", "--interval-us", "100",
                                "--block-ms", "1000"));
    assert_true(nx_proc_wait_line(pub, "READY", 10000));
    /* The publisher has been sending to nobody; a subscriber joins late. */
    nx_proc_t *sub = start(ARGV("sub", "--node", "s", "--count", "3000", "--contiguous"));
    wait_ok(sub, "subscriber");
    assert_contiguous(sub, 0, 3000);
    nx_proc_signal(pub, SIGTERM);
    wait_ok(pub, "publisher");
}

static void mp_late_publisher_discovers_waiting_subscriber(void **state)
{
    (void)state;
    nx_proc_t *sub = start(ARGV("sub", "--node", "s", "--count", "5000"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    /* No wait for subscribers: the very first publish must find it. */
    nx_proc_t *pub =
        start(ARGV("pub", "--node", "p", "--count", "5000", "--block-ms", "1000"));
    wait_ok(sub, "subscriber");
    wait_ok(pub, "publisher");
    assert_exact(sub, 0, 5000);
}

static void mp_unsubscribe_stops_delivery(void **state)
{
    (void)state;
    nx_proc_t *pub = start(ARGV("pub", "--node", "p", "--forever", "--interval-us", "100",
                                "--block-ms", "1000"));
    assert_true(nx_proc_wait_line(pub, "READY", 10000));
    nx_proc_t *sub =
        start(ARGV("sub", "--node", "s", "--unsub-after", "500", "--contiguous"));
    /* The subscriber fails with "after-unsubscribe" if anything arrives
     * in the 300 ms after nx_unsubscribe() returned. */
    wait_ok(sub, "subscriber");
    assert_true(nx_proc_wait_line(sub, "UNSUBSCRIBED", 0));
    long long got = nx_proc_field(sub, "RESULT id=0 ", "count");
    assert_true(got >= 500);
    assert_int_equal(nx_proc_field(sub, "RESULT id=0 ", "gaps"), 0);
    nx_proc_signal(pub, SIGTERM);
    wait_ok(pub, "publisher");
}

static void mp_restarted_subscriber_same_name_reconnects(void **state)
{
    (void)state;
    nx_proc_t *pub = start(ARGV("pub", "--node", "p", "--forever", "--interval-us", "100",
                                "--block-ms", "1000"));
    assert_true(nx_proc_wait_line(pub, "READY", 10000));
    for (int round = 0; round < 3; round++) {
        /* Same node name every time; the publisher is never restarted. */
        nx_proc_t *sub =
            start(ARGV("sub", "--node", "s", "--count", "2000", "--contiguous"));
        wait_ok(sub, "subscriber");
        assert_contiguous(sub, 0, 2000);
    }
    nx_proc_signal(pub, SIGTERM);
    wait_ok(pub, "publisher");
}

static void mp_eight_threads_publish_at_once(void **state)
{
    (void)state;
    nx_proc_t *sub = start(ARGV("sub", "--node", "s", "--pubs", "8", "--count", "20000"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    nx_proc_t *pub = start(ARGV("pub", "--node", "p", "--threads", "8", "--count", "20000",
                                "--block-ms", "2000"));
    wait_ok(sub, "subscriber");
    wait_ok(pub, "publisher");
    for (int i = 0; i < 8; i++)
        assert_exact(sub, i, 20000);
}

static void mp_type_mismatch_is_refused(void **state)
{
    (void)state;
    nx_proc_t *sub = start(ARGV("sub", "--node", "s", "--typed", "--count", "10",
                                "--fingerprint", "0x1111", "--timeout-s", "2"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    nx_proc_t *pub = start(
        ARGV("pub", "--node", "p", "--typed", "--count", "10", "--fingerprint", "0x2222"));
    int rc = nx_proc_wait(pub, 20000);
    assert_int_not_equal(rc, 0);
    assert_true(nx_proc_wait_line(pub, "PUBLISH NX_ETYPE", 0));
    /* The subscriber times out having received nothing. */
    nx_proc_wait(sub, 20000);
    assert_int_equal(nx_proc_field(sub, "RESULT id=0 ", "count"), 0);
}

static void mp_callbacks_replying_to_each_other_through_full_queues(void **state)
{
    (void)state;
    /* Two nodes whose callbacks republish to each other, on_full = block,
     * 4-slot queues, and 64 messages bouncing between them: both queues
     * fill and both receive threads end up waiting inside a callback.
     * Each keeps draining its own queue while it waits, so the bouncing
     * goes on and no publish times out. */
    nx_proc_t *a = start(ARGV("echo", "--node", "ea", "--topic", "a", "--out", "b",
                              "--block-ms", "3000", "--queue-capacity", "4"));
    nx_proc_t *b = start(ARGV("echo", "--node", "eb", "--topic", "b", "--out", "a",
                              "--block-ms", "3000", "--queue-capacity", "4"));
    assert_true(nx_proc_wait_line(a, "READY", 10000));
    assert_true(nx_proc_wait_line(b, "READY", 10000));
    nx_proc_t *inj = start(ARGV("pub", "--node", "inj", "--topic", "a", "--count", "64",
                                "--block-ms", "3000", "--wait-subs", "1"));
    assert_int_equal(nx_proc_wait(inj, 30000), 0);
    usleep(1500000);
    nx_proc_signal(a, SIGTERM);
    nx_proc_signal(b, SIGTERM);
    assert_int_equal(nx_proc_wait(a, 10000), 0);
    assert_int_equal(nx_proc_wait(b, 10000), 0);
    long long ba = nx_proc_field(a, "ECHO", "bounced"),
              bb = nx_proc_field(b, "ECHO", "bounced");
    printf("# bounced %lld + %lld times in 1.5 s\n", ba, bb);
    assert_int_equal(nx_proc_field(a, "ECHO", "timeouts"), 0);
    assert_int_equal(nx_proc_field(b, "ECHO", "timeouts"), 0);
    assert_int_equal(nx_proc_field(a, "ECHO", "errors"), 0);
    assert_true(ba > 1000 && bb > 1000);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-nx_peer\n", argv[0]);
        return 2;
    }
    peer_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mp_one_to_one_semaphore, setup, teardown),
        cmocka_unit_test_setup_teardown(mp_one_to_one_condvar, setup, teardown),
        cmocka_unit_test_setup_teardown(mp_one_to_one_spin, setup, teardown),
        cmocka_unit_test_setup_teardown(mp_one_to_one_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(mp_one_to_many_four_subscribers, setup, teardown),
        cmocka_unit_test_setup_teardown(mp_many_to_one_four_publishers, setup, teardown),
        cmocka_unit_test_setup_teardown(mp_late_subscriber_discovers_running_publisher,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(mp_late_publisher_discovers_waiting_subscriber,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(mp_unsubscribe_stops_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(mp_restarted_subscriber_same_name_reconnects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(mp_eight_threads_publish_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(mp_type_mismatch_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(
            mp_callbacks_replying_to_each_other_through_full_queues, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
