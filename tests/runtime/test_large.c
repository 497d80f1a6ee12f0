/*
 * test_large.c: the large-data channel between real processes: frames
 * from 1 KiB to 32 MiB at sizes that wrap the ring at odd places, 1 and 3
 * subscribers, the loan path, a slow subscriber (back-pressure), and a
 * subscriber killed while it holds chunks. Every frame is checked byte
 * for byte (checksum) and by sequence number: nothing lost in block mode.
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

#include "nx_proc.h"
#include "nx_test.h"

static const char *peer;
static const char *domain;

#define ARGV(...) ((char *const[]){(char *)peer, __VA_ARGS__, NULL})
#define SIZES     "1024,4097,65539,1048589,3146505,2000000,777,524288"

#define start nx_proc_spawn

static int setup(void **state)
{
    (void)state;
    domain = nx_proc_domain("large");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(nx_proc_finish(domain), 0);
    return 0;
}

static void expect_all(nx_proc_t *sub, long long count)
{
    int rc = nx_proc_wait(sub, 120000);
    if (rc != 0 || nx_proc_field(sub, "RESULT", "count") != count ||
        nx_proc_field(sub, "RESULT", "bad") != 0 ||
        nx_proc_field(sub, "RESULT", "gaps") != 0 ||
        nx_proc_field(sub, "RESULT", "dups") != 0)
        fail_msg("subscriber (exit %d) did not get frames 1..%lld intact:\n%s", rc, count,
                 sub->buf);
}

static void expect_done(nx_proc_t *pub)
{
    int rc = nx_proc_wait(pub, 120000);
    if (rc != 0)
        fail_msg("publisher exited %d:\n%s", rc, pub->buf);
}

static void frames(int nsubs, const char *ring, const char *sizes, const char *count,
                   const char *loan)
{
    nx_proc_t *subs[3];
    char name[3][16], waits[16];
    for (int i = 0; i < nsubs; i++) {
        snprintf(name[i], sizeof name[i], "s%d", i);
        subs[i] = loan ? start(ARGV("sub", "--node", name[i], "--count", (char *)count,
                                    "--loan", (char *)loan, "--ring", (char *)ring))
                       : start(ARGV("sub", "--node", name[i], "--count", (char *)count,
                                    "--sizes", (char *)sizes, "--ring", (char *)ring));
        assert_true(nx_proc_wait_line(subs[i], "READY", 10000));
    }
    snprintf(waits, sizeof waits, "%d", nsubs);
    nx_proc_t *pub = loan ? start(ARGV("pub", "--node", "p", "--count", (char *)count,
                                       "--loan", (char *)loan, "--ring", (char *)ring,
                                       "--block-ms", "10000", "--wait-subs", waits))
                          : start(ARGV("pub", "--node", "p", "--count", (char *)count,
                                       "--sizes", (char *)sizes, "--ring", (char *)ring,
                                       "--block-ms", "10000", "--wait-subs", waits));
    for (int i = 0; i < nsubs; i++)
        expect_all(subs[i], atoll(count));
    expect_done(pub);
}

static void large_odd_sizes_wrap_the_ring_one_subscriber(void **state)
{
    (void)state;
    frames(1, "4194304", SIZES, "80", NULL);
}

static void large_odd_sizes_three_subscribers(void **state)
{
    (void)state;
    frames(3, "8388608", SIZES, "60", NULL);
}

static void large_32mib_frames(void **state)
{
    (void)state;
    frames(1, "67108864", "33554432,1024", "8", NULL);
}

static void large_loan_path_two_subscribers(void **state)
{
    (void)state;
    frames(2, "8388608", NULL, "60", "1048576");
}

static void large_slow_subscriber_applies_back_pressure(void **state)
{
    (void)state;
    nx_proc_t *sub = start(ARGV("sub", "--node", "slow", "--count", "40", "--sizes",
                                "1048576", "--ring", "4194304", "--slow-ms", "15"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    /* Fail mode: the publisher sees NX_ETIMEOUT at once and retries. */
    nx_proc_t *pub = start(ARGV("pub", "--node", "p", "--count", "40", "--sizes", "1048576",
                                "--ring", "4194304", "--wait-subs", "1"));
    expect_all(sub, 40);
    expect_done(pub);
    /* The ring filled up, and its statistics name who held it. */
    assert_true(nx_proc_field(pub, "STATS", "timeouts") > 0);
    assert_true(nx_proc_field(pub, "STATS", "full") > 0);
    assert_true(nx_proc_field(pub, "READER slow", "stalls") > 0);
}

static void large_killed_subscriber_holding_chunks_does_not_stall(void **state)
{
    (void)state;
    nx_proc_t *holder = start(ARGV("sub", "--node", "holder", "--count", "1000", "--sizes",
                                   "1048576", "--ring", "4194304", "--hold-all"));
    nx_proc_t *good = start(ARGV("sub", "--node", "good", "--count", "60", "--sizes",
                                 "1048576", "--ring", "4194304"));
    assert_true(nx_proc_wait_line(holder, "READY", 10000));
    assert_true(nx_proc_wait_line(good, "READY", 10000));
    nx_proc_t *pub =
        start(ARGV("pub", "--node", "p", "--count", "60", "--sizes", "1048576", "--ring",
                   "4194304", "--block-ms", "30000", "--wait-subs", "2"));
    /* The holder keeps every chunk: the 4 MiB ring fills and the publisher
     * blocks. Then the holder dies; its chunks must be freed. */
    usleep(500000);
    nx_proc_signal(holder, SIGKILL);
    nx_proc_wait(holder, 5000);
    expect_all(good, 60);
    expect_done(pub);
}

static void large_holds_are_released_from_another_thread(void **state)
{
    (void)state;
    /* The subscriber holds each 1 MiB chunk past its callback and its main
     * thread releases them later (checking the bytes are still intact):
     * with a 4 MiB ring the publisher can only go on if releases work. */
    nx_proc_t *sub = start(ARGV("sub", "--node", "keeper", "--count", "50", "--sizes",
                                "1048576", "--ring", "4194304", "--hold-release"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    nx_proc_t *pub =
        start(ARGV("pub", "--node", "p", "--count", "50", "--sizes", "1048576", "--ring",
                   "4194304", "--block-ms", "10000", "--wait-subs", "1"));
    expect_all(sub, 50);
    expect_done(pub);
    assert_true(nx_proc_wait_line(sub, "RELEASED 50", 0));
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    peer = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(large_odd_sizes_wrap_the_ring_one_subscriber, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(large_odd_sizes_three_subscribers, setup, teardown),
        cmocka_unit_test_setup_teardown(large_32mib_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(large_loan_path_two_subscribers, setup, teardown),
        cmocka_unit_test_setup_teardown(large_slow_subscriber_applies_back_pressure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            large_killed_subscriber_holding_chunks_does_not_stall, setup, teardown),
        cmocka_unit_test_setup_teardown(large_holds_are_released_from_another_thread, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
