/*
 * test_soak.c: a stable publisher and subscriber under on_full = block
 * for DURATION seconds (60 in the normal build), while other processes
 * come and go around them: subscribers of the same topic killed with
 * SIGKILL, stopped with SIGSTOP (briefly, or long enough to be reaped as
 * hung) and resumed, restarted under the same name; another publisher and
 * subscriber pair on another topic killed and restarted. Every message the
 * stable publisher's publish call reported as sent must reach the stable
 * subscriber exactly once, in order. A churner subscribes and unsubscribes
 * without pause (every call a registry change) and is stopped with SIGSTOP
 * at random points, often in the middle of a change, for up to a second:
 * nothing it holds may stall the others. The test prints the totals.
 *
 * usage: test_soak PATH-TO-nx_peer [DURATION-S]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nx_proc.h"
#include "nx_test.h"

static const char *peer;
static const char *domain;
static int duration_s = 60;

#define PEER(...) ((char *const[]){(char *)peer, __VA_ARGS__, NULL})

/* Children are tracked, so a failed assertion still stops them all. */
#define start nx_proc_spawn

static int teardown(void **state)
{
    (void)state;
    nx_proc_finish(domain);
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void stop(nx_proc_t *p, const char *who)
{
    nx_proc_signal(p, SIGCONT);
    nx_proc_signal(p, SIGTERM);
    int rc = nx_proc_wait(p, 30000);
    if (rc != 0)
        fail_msg("%s exited %d:\n%s", who, rc, p->buf);
}

static void soak_block_mode_with_churn(void **state)
{
    (void)state;
    domain = nx_proc_domain("soak");
    nx_proc_t *s = start(PEER("sub", "--node", "stable-sub", "--forever"));
    assert_true(nx_proc_wait_line(s, "READY", 10000));
    nx_proc_t *p = start(PEER("pub", "--node", "stable-pub", "--forever", "--interval-us",
                              "100", "--block-ms", "10000"));
    assert_true(nx_proc_wait_line(p, "READY", 10000));

    nx_proc_t *churn = start(PEER("churn", "--node", "churner"));
    assert_true(nx_proc_wait_line(churn, "READY", 10000));

    unsigned seed = 12345;
    int kills = 0, restarts = 0, short_hangs = 0, long_hangs = 0, other_kills = 0;
    int churn_stops = 0;
    nx_proc_t *other_pub = NULL, *other_sub = NULL;
    uint64_t end = now_ms() + (uint64_t)duration_s * 1000;
    for (int round = 0; now_ms() < end; round++) {
        seed = seed * 1103515245u + 12345u;
        unsigned what = (seed >> 16) % 4;
        /* A transient subscriber of the stable topic, same name each time. */
        nx_proc_t *v = start(PEER("sub", "--node", "transient", "--forever", "--allow-gaps",
                                  "--contiguous"));
        if (!nx_proc_wait_line(v, "READY", 10000))
            fail_msg("transient subscriber did not start:\n%s", v->buf);
        restarts++;
        /* Stop the churner at a random point, for a random time (up to a
         * second: several lease lifetimes, less than the hang timeout). */
        usleep((seed >> 4) % 100000);
        nx_proc_signal(churn, SIGSTOP);
        usleep(100000 + (seed >> 8) % 900000);
        nx_proc_signal(churn, SIGCONT);
        churn_stops++;
        usleep(100000 + (seed >> 8) % 200000);
        if (what == 0) {
            nx_proc_signal(v, SIGKILL);
            nx_proc_wait(v, 5000);
            kills++;
        } else if (what == 1) {
            nx_proc_signal(v, SIGSTOP); /* a short stall: not reaped */
            usleep(300000);
            nx_proc_signal(v, SIGCONT);
            short_hangs++;
            usleep(200000);
            stop(v, "transient subscriber");
        } else if (what == 2 && now_ms() + 4000 < end) {
            nx_proc_signal(v, SIGSTOP); /* long enough to be reaped as hung */
            usleep(2600000);
            nx_proc_signal(v, SIGCONT);
            long_hangs++;
            usleep(300000);
            stop(v, "transient subscriber");
        } else {
            stop(v, "transient subscriber");
        }
        /* Another pair on another topic: killed and restarted. */
        if (other_pub) {
            nx_proc_signal(other_pub, SIGKILL);
            nx_proc_signal(other_sub, SIGKILL);
            nx_proc_wait(other_pub, 5000);
            nx_proc_wait(other_sub, 5000);
            other_kills += 2;
        }
        other_sub = start(PEER("sub", "--node", "other-sub", "--topic", "u", "--forever",
                               "--allow-gaps", "--contiguous"));
        other_pub = start(PEER("pub", "--node", "other-pub", "--topic", "u", "--forever",
                               "--interval-us", "300"));
    }
    nx_proc_signal(other_pub, SIGKILL);
    nx_proc_signal(other_sub, SIGKILL);
    nx_proc_wait(other_pub, 5000);
    nx_proc_wait(other_sub, 5000);
    other_kills += 2;

    stop(churn, "churner");
    long long churned = nx_proc_field(churn, "CHURN", "changes");
    assert_true(churned > 100);

    stop(p, "stable publisher");
    long long sent = nx_proc_field(p, "SENT", "count");
    long long timeouts = nx_proc_field(p, "SENT", "timeouts");
    usleep(300000);
    stop(s, "stable subscriber");
    long long got = nx_proc_field(s, "RESULT id=0 ", "count");
    printf(
        "# soak: %d s; stable publisher sent %lld (timeouts %lld), stable subscriber got "
        "%lld (first %lld, last %lld, gaps %lld, dups %lld, out of order %lld)\n",
        duration_s, sent, timeouts, got, nx_proc_field(s, "RESULT id=0 ", "first"),
        nx_proc_field(s, "RESULT id=0 ", "last"), nx_proc_field(s, "RESULT id=0 ", "gaps"),
        nx_proc_field(s, "RESULT id=0 ", "dups"),
        nx_proc_field(s, "RESULT id=0 ", "disorder"));
    printf(
        "# churn: %d transient subscribers (%d killed, %d short stalls, %d reaped as hung "
        "and resumed), %d kills of the other pair; churner made %lld registry changes "
        "and was stopped %d times\n",
        restarts, kills, short_hangs, long_hangs, other_kills, churned, churn_stops);
    assert_true(sent > 1000);
    assert_int_equal(timeouts, 0);
    assert_int_equal(got, sent);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "first"), 1);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "last"), sent);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "gaps"), 0);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "dups"), 0);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "disorder"), 0);
    /* Everything stopped: the last node out removed the registry, and the
     * killed ones' objects were reaped. Give a reaper-less domain a clean. */
    uint32_t removed = 0;
    NX_ASSERT_OK(nx_domain_clean(domain, &removed));
    int left = nx_proc_shm_count(domain);
    nx_proc_shm_clean(domain);
    printf("# objects a clean had to remove at the end: %u\n", removed);
    assert_int_equal(left, 0);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    peer = argv[1];
    if (argc > 2)
        duration_s = atoi(argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(soak_block_mode_with_churn, teardown)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
