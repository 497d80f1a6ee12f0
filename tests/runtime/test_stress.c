/*
 * test_stress.c: N messages of 256 B (1,000,000 in the normal build)
 * from one process to another through each notification mode with
 * on_full = block, and through two publishers at once: the subscriber
 * must get every sequence number exactly once, in order per sender.
 *
 * usage: test_stress PATH-TO-nx_peer [COUNT]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_proc.h"
#include "nx_test.h"

static const char *peer_path;
static const char *domain;
static char count[32] = "1000000";

#define ARGV(...) ((char *const[]){(char *)peer_path, __VA_ARGS__, NULL})

#define start nx_proc_spawn

static int setup(void **state)
{
    (void)state;
    domain = nx_proc_domain("stress");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(nx_proc_finish(domain), 0);
    return 0;
}

static void check(nx_proc_t *sub, int id)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "RESULT id=%d ", id);
    long long n = atoll(count);
    if (nx_proc_field(sub, prefix, "count") != n ||
        nx_proc_field(sub, prefix, "first") != 1 ||
        nx_proc_field(sub, prefix, "last") != n ||
        nx_proc_field(sub, prefix, "gaps") != 0 ||
        nx_proc_field(sub, prefix, "dups") != 0 ||
        nx_proc_field(sub, prefix, "disorder") != 0 ||
        nx_proc_field(sub, prefix, "bad") != 0)
        fail_msg("sender %d: want exactly 1..%lld, in order:\n%s", id, n, sub->buf);
    printf("# sender %d: %lld received, 0 lost, 0 duplicated, in order\n", id, n);
}

static void stress(const char *mode, int pubs)
{
    char npubs[8];
    snprintf(npubs, sizeof npubs, "%d", pubs);
    nx_proc_t *sub = start(ARGV("sub", "--node", "s", "--notify", (char *)mode, "--count",
                                count, "--pubs", npubs, "--timeout-s", "240"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    nx_proc_t *pub[2];
    for (int i = 0; i < pubs; i++)
        pub[i] =
            start(ARGV("pub", "--node", i ? "p1" : "p0", "--id", i ? "1" : "0", "--notify",
                       (char *)mode, "--count", count, "--block-ms", "5000"));
    int rc = nx_proc_wait(sub, 300000);
    if (rc != 0)
        fail_msg("subscriber exited %d:\n%s", rc, sub->buf);
    for (int i = 0; i < pubs; i++) {
        assert_int_equal(nx_proc_wait(pub[i], 30000), 0);
        check(sub, i);
    }
}

static void stress_semaphore(void **state)
{
    (void)state;
    stress("semaphore", 1);
}
static void stress_condvar(void **state)
{
    (void)state;
    stress("condvar", 1);
}
static void stress_spin(void **state)
{
    (void)state;
    stress("spin", 1);
}
static void stress_two_senders(void **state)
{
    (void)state;
    stress("semaphore", 2);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-nx_peer [COUNT]\n", argv[0]);
        return 2;
    }
    peer_path = argv[1];
    if (argc > 2)
        snprintf(count, sizeof count, "%s", argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stress_semaphore, setup, teardown),
        cmocka_unit_test_setup_teardown(stress_condvar, setup, teardown),
        cmocka_unit_test_setup_teardown(stress_spin, setup, teardown),
        cmocka_unit_test_setup_teardown(stress_two_senders, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
