/*
 * test_platform.c: the liveness and timing promises of the platform file
 * (platform/platform.h), for whichever one the build chose (linux.c or
 * posix.c). They are what posix.c must get right without OFD locks and
 * /proc: classic fcntl locks are per process, vanish when any descriptor
 * of the file is closed, and F_GETLK hides the caller's own locks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nx_test.h"
#include "platform/platform.h"

static char name[NX_SHM_NAME_MAX];

static int setup(void **state)
{
    (void)state;
    snprintf(name, sizeof name, "/nexus.plat%d.n.t.%d.0", (int)getpid(), (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(nx__plat_shm_unlink(name), NX_OK);
    int fd;
    size_t size;
    assert_int_equal(nx__plat_shm_open(name, &fd, &size), NX_ENOTFOUND);
    return 0;
}

/* In a child: is the liveness lock on `name` held? Its exit status. */
static int held_seen_by_child(void)
{
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        int fd;
        size_t size;
        if (nx__plat_shm_open(name, &fd, &size) != NX_OK)
            _exit(9);
        int held = nx__plat_live_lock_held(fd);
        _exit(held < 0 ? 8 : held);
    }
    int st;
    assert_int_equal(waitpid(c, &st, 0), c);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void plat_own_lock_is_held_and_survives_closing_other_descriptors(void **state)
{
    (void)state;
    int fd;
    void *addr;
    NX_ASSERT_OK(nx__plat_shm_create_locked(name, 4096, 0600, &fd, &addr));
    /* As the runtime does when one node checks another of the same
     * process, or the orphan scan meets our own segment: open, ask, close. */
    for (int i = 0; i < 3; i++) {
        int other;
        size_t size;
        NX_ASSERT_OK(nx__plat_shm_open(name, &other, &size));
        assert_int_equal(size, 4096);
        assert_int_equal(nx__plat_live_lock_held(other), 1); /* ours: alive */
        close(other);
    }
    /* Another process still sees it held after those closes. */
    assert_int_equal(held_seen_by_child(), 1);
    munmap(addr, 4096);
    close(fd);
}

static void plat_lock_is_dropped_when_its_owner_dies(void **state)
{
    (void)state;
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        close(go[1]);
        int fd;
        void *addr;
        char x =
            nx__plat_shm_create_locked(name, 4096, 0600, &fd, &addr) == NX_OK ? 'y' : 'n';
        if (write(ready[1], &x, 1) != 1 || read(go[0], &x, 1) < 0)
            _exit(2);
        _exit(0); /* dies holding it; the object stays */
    }
    char x = 0;
    assert_int_equal(read(ready[0], &x, 1), 1);
    assert_int_equal(x, 'y');
    int fd;
    size_t size;
    NX_ASSERT_OK(nx__plat_shm_open(name, &fd, &size));
    assert_int_equal(nx__plat_live_lock_held(fd), 1);
    close(go[1]);
    int st;
    assert_int_equal(waitpid(c, &st, 0), c);
    assert_int_equal(nx__plat_live_lock_held(fd), 0);
    /* Free: whoever takes the name next may lock it. */
    close(fd);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
}

static void plat_proc_alive_tells_pid_and_start_time(void **state)
{
    (void)state;
    pid_t me = getpid();
    uint64_t mine = nx__plat_proc_start_time(me);
    assert_true(mine != 0);
    assert_int_equal(nx__plat_proc_start_time(me), mine); /* stable */
    assert_true(nx__plat_proc_alive(me, mine));
    assert_true(nx__plat_proc_alive(me, 0));
    assert_false(nx__plat_proc_alive(me, mine ^ 0x5)); /* a recycled pid */
    assert_false(nx__plat_proc_alive(0, 0));

    int up[2], go[2];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(go), 0);
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        close(go[1]);
        uint64_t start = nx__plat_proc_start_time(getpid());
        char x;
        if (write(up[1], &start, sizeof start) != (ssize_t)sizeof start ||
            read(go[0], &x, 1) < 0)
            _exit(2);
        _exit(0);
    }
    uint64_t start = 0;
    assert_int_equal(read(up[0], &start, sizeof start), sizeof start);
    assert_true(start != 0);
    assert_true(nx__plat_proc_alive(c, start));
    assert_false(nx__plat_proc_alive(c, start ^ 0x5));
    close(go[1]);
    int st;
    assert_int_equal(waitpid(c, &st, 0), c);
    assert_false(nx__plat_proc_alive(c, start));
    close(up[0]);
    close(up[1]);
    close(go[0]);
}

static void *post_later(void *arg)
{
    nx__plat_sleep_ns(20000000);
    sem_post(arg);
    return NULL;
}

static void plat_sem_wait_until_keeps_the_monotonic_deadline(void **state)
{
    (void)state;
    sem_t sem;
    assert_int_equal(sem_init(&sem, 1, 0), 0);
    /* Times out at the deadline, not before, and not long after. */
    uint64_t t0 = nx__plat_now_ns();
    assert_int_equal(nx__plat_sem_wait_until(&sem, t0 + 250000000u), ETIMEDOUT);
    uint64_t took = nx__plat_now_ns() - t0;
    assert_true(took >= 250000000u);
    assert_true(took < 750000000u);
    /* A deadline in the past: only a post already made counts. */
    assert_int_equal(nx__plat_sem_wait_until(&sem, t0), ETIMEDOUT);
    sem_post(&sem);
    assert_int_equal(nx__plat_sem_wait_until(&sem, t0), 0);
    /* A post during the wait ends it. */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, post_later, &sem), 0);
    t0 = nx__plat_now_ns();
    assert_int_equal(nx__plat_sem_wait_until(&sem, t0 + 5000000000u), 0);
    assert_true(nx__plat_now_ns() - t0 < 2000000000u);
    pthread_join(th, NULL);
    sem_destroy(&sem);
}

static bool find_name(const char *found, void *user)
{
    if (strcmp(found, name + 1) == 0) /* listed without the '/' */
        *(int *)user += 1;
    return true;
}

static void plat_shm_list_finds_our_object(void **state)
{
    (void)state;
    int fd, seen = 0;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "nexus.plat%d.", (int)getpid());
    nx__plat_shm_list(prefix, find_name, &seen);
    assert_int_equal(seen, 0);
    NX_ASSERT_OK(nx__plat_shm_create(name, 4096, 0600, &fd));
    close(fd);
    nx__plat_shm_list(prefix, find_name, &seen);
    assert_int_equal(seen, 1);
    assert_true(strlen(nx__plat_libc_id()) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            plat_own_lock_is_held_and_survives_closing_other_descriptors, setup, teardown),
        cmocka_unit_test_setup_teardown(plat_lock_is_dropped_when_its_owner_dies, setup,
                                        teardown),
        cmocka_unit_test(plat_proc_alive_tells_pid_and_start_time),
        cmocka_unit_test(plat_sem_wait_until_keeps_the_monotonic_deadline),
        cmocka_unit_test_setup_teardown(plat_shm_list_finds_our_object, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
