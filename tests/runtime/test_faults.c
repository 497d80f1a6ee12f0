/*
 * test_faults.c: crashes, hangs, dead lock holders, corrupt and hostile
 * peers, and permissions, with real processes and real signals. Each test
 * checks that the survivors keep exchanging messages, that detection
 * happened within heartbeat_timeout + one heartbeat period (plus a little
 * scheduling slack on a shared 2-core machine), and that the domain
 * leaves nothing in /dev/shm.
 *
 * usage: test_faults PATH-TO-nx_peer PATH-TO-nx_fault
 */
/* Sanitizer builds (gcc: __SANITIZE_*__; clang: __has_feature). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NX_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NX_TEST_SANITIZED 1
#endif
#endif
#ifndef NX_TEST_SANITIZED
#define NX_TEST_SANITIZED 0
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nx_proc.h"
#include "nx_test.h"

#define HB_MS         100
#define HB_TIMEOUT_MS 2000
#define SLACK_MS      400 /* scheduling on a shared machine, polling granularity */

static const char *peer, *fault;
static const char *domain;
static nx_node_t *observer;

#define PEER(...)  ((char *const[]){(char *)peer, __VA_ARGS__, NULL})
#define FAULT(...) ((char *const[]){(char *)fault, __VA_ARGS__, NULL})

#define start nx_proc_spawn

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
    (void)state;
    domain = nx_proc_domain("faults");
    nx_config_t c;
    nx_config_default(&c);
    c.node.heartbeat_ms = HB_MS;
    c.node.heartbeat_timeout_ms = HB_TIMEOUT_MS;
    c.large_data.ring_size = 0;
    NX_ASSERT_OK(nx_node_create("observer", &c, &observer));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nx_proc_finish(NULL); /* children first: the observer may be the last node */
    nx_node_destroy(observer);
    observer = NULL;
    /* The group test's second domain, whatever became of its children. */
    char group_domain[48];
    snprintf(group_domain, sizeof group_domain, "%sg", domain);
    nx_proc_shm_clean(group_domain);
    assert_int_equal(nx_proc_finish(domain), 0);
    return 0;
}

/* Wait until node `name` is (present) or is not (!present) in the domain;
 * returns the milliseconds it took, or fails after limit_ms. */
static uint64_t wait_node(const char *name, bool present, uint64_t limit_ms)
{
    uint64_t t0 = now_ms();
    for (;;) {
        nx_err_t err = nx_node_find(observer, name, NULL);
        if ((err == NX_OK) == present)
            return now_ms() - t0;
        if (now_ms() - t0 > limit_ms)
            fail_msg("node '%s' still %s after %llu ms", name,
                     present ? "absent" : "present", (unsigned long long)limit_ms);
        usleep(5000);
    }
}

static void stop_ok(nx_proc_t *p, const char *who)
{
    nx_proc_signal(p, SIGTERM);
    int rc = nx_proc_wait(p, 30000);
    if (rc != 0 || !nx_proc_wait_line(p, "DONE ok", 0))
        fail_msg("%s exited %d:\n%s", who, rc, p->buf);
}

/* A subscriber stopped with SIGTERM received exactly 1..sent, in order. */
static void assert_everything(nx_proc_t *sub, int id, long long sent)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "RESULT id=%d ", id);
    if (nx_proc_field(sub, prefix, "count") != sent ||
        nx_proc_field(sub, prefix, "first") != 1 ||
        nx_proc_field(sub, prefix, "gaps") != 0 ||
        nx_proc_field(sub, prefix, "dups") != 0 ||
        nx_proc_field(sub, prefix, "disorder") != 0)
        fail_msg("want exactly 1..%lld from publisher %d:\n%s", sent, id, sub->buf);
}

static nx_proc_t *start_pub(const char *name, const char *id, const char *block_ms)
{
    nx_proc_t *p =
        start(PEER("pub", "--node", (char *)name, "--id", (char *)id, "--forever",
                   "--interval-us", "200", "--block-ms", (char *)block_ms));
    assert_true(nx_proc_wait_line(p, "READY", 10000));
    return p;
}

static nx_proc_t *start_sub(const char *name, const char *pubs)
{
    nx_proc_t *p =
        start(PEER("sub", "--node", (char *)name, "--forever", "--pubs", (char *)pubs));
    assert_true(nx_proc_wait_line(p, "READY", 10000));
    return p;
}

/* ---- crashes ------------------------------------------------------------ */

static void faults_subscriber_killed_mid_stream(void **state)
{
    (void)state;
    nx_proc_t *s1 = start_sub("s1", "1");
    nx_proc_t *s2 = start_sub("s2", "1");
    nx_proc_t *p = start_pub("p", "0", "5000");
    usleep(300000);
    nx_proc_signal(s1, SIGKILL);
    uint64_t t = wait_node("s1", false, HB_TIMEOUT_MS + HB_MS + SLACK_MS);
    printf("# killed subscriber detected after %llu ms\n", (unsigned long long)t);
    usleep(300000); /* the survivors go on */
    stop_ok(p, "publisher");
    long long sent = nx_proc_field(p, "SENT", "count");
    assert_true(sent > 500);
    assert_int_equal(nx_proc_field(p, "SENT", "timeouts"), 0);
    stop_ok(s2, "subscriber 2");
    assert_everything(s2, 0, sent);
}

static void faults_publisher_killed_mid_stream(void **state)
{
    (void)state;
    nx_proc_t *s = start(PEER("sub", "--node", "s", "--forever", "--pubs", "2"));
    assert_true(nx_proc_wait_line(s, "READY", 10000));
    nx_proc_t *p0 = start_pub("p", "0", "5000");
    usleep(300000);
    nx_proc_signal(p0, SIGKILL);
    uint64_t t = wait_node("p", false, HB_TIMEOUT_MS + HB_MS + SLACK_MS);
    printf("# killed publisher detected after %llu ms\n", (unsigned long long)t);
    /* The publisher restarts under the same name; the subscriber was
     * never restarted and gets everything the new one sends. */
    nx_proc_t *p1 = start_pub("p", "1", "5000");
    usleep(300000);
    stop_ok(p1, "restarted publisher");
    long long sent = nx_proc_field(p1, "SENT", "count");
    usleep(100000);
    stop_ok(s, "subscriber");
    assert_everything(s, 1, sent);
    /* From the killed one: a run from 1 with no gap or duplicate. */
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "gaps"), 0);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "dups"), 0);
    assert_true(nx_proc_field(s, "RESULT id=0 ", "count") > 100);
}

static void faults_killed_while_holding_registry_lock(void **state)
{
    (void)state;
    nx_proc_t *s1 = start_sub("s1", "1");
    nx_proc_t *p = start_pub("p", "0", "5000");
    nx_proc_t *f = start(FAULT("lock-registry"));
    assert_true(nx_proc_wait_line(f, "LOCKED", 10000));
    nx_proc_signal(f, SIGKILL);
    nx_proc_wait(f, 5000);
    /* Nobody blocks: the next locker repairs the registry. */
    uint64_t t0 = now_ms();
    NX_ASSERT_OK(nx_node_find(observer, "s1", NULL));
    assert_true(now_ms() - t0 < 1000);
    /* A node joins and gets messages from the running publisher. */
    nx_proc_t *s2 = start(PEER("sub", "--node", "s2", "--count", "1000", "--contiguous"));
    int rc = nx_proc_wait(s2, 30000);
    if (rc != 0)
        fail_msg("late subscriber after the repair:\n%s", s2->buf);
    stop_ok(p, "publisher");
    long long sent = nx_proc_field(p, "SENT", "count");
    usleep(100000);
    stop_ok(s1, "subscriber 1");
    assert_everything(s1, 0, sent);
}

/* Attack 5: a writer stopped (SIGSTOP, a debugger, a frozen cgroup) in
 * the middle of a registry change. Before, it held the registry mutex and
 * the whole domain stalled: receive threads blocked in their tick,
 * heartbeats stopped, nodes reaped each other. Now its lease is taken
 * over once its lifetime passes; heartbeats never wait for it. */
static void faults_stopped_while_holding_registry_lease(void **state)
{
    (void)state;
    nx_proc_t *s1 = start_sub("s1", "1");
    nx_proc_t *p = start_pub("p", "0", "5000");
    nx_proc_t *f = start(FAULT("lock-registry"));
    assert_true(nx_proc_wait_line(f, "LOCKED", 10000));
    nx_proc_signal(f, SIGSTOP);
    /* Reads never wait; a change waits at most the lease's lifetime. */
    uint64_t t0 = now_ms();
    NX_ASSERT_OK(nx_node_find(observer, "s1", NULL));
    assert_true(now_ms() - t0 < 1000);
    /* A node joins (a registry change) and gets messages. */
    nx_proc_t *s2 = start(PEER("sub", "--node", "s2", "--count", "1000", "--contiguous"));
    int rc = nx_proc_wait(s2, 30000);
    if (rc != 0)
        fail_msg("late subscriber while a writer is stopped:\n%s", s2->buf);
    /* Longer than the hang timeout of the pair (2 s here): heartbeats went
     * on, nobody was reaped. */
    usleep(2500000);
    NX_ASSERT_OK(nx_node_find(observer, "s1", NULL));
    NX_ASSERT_OK(nx_node_find(observer, "p", NULL));
    /* The stopped writer resumes: its change is never published. */
    nx_proc_signal(f, SIGCONT);
    usleep(100000);
    nx_proc_signal(f, SIGKILL);
    nx_proc_wait(f, 5000);
    stop_ok(p, "publisher");
    long long sent = nx_proc_field(p, "SENT", "count");
    usleep(100000);
    stop_ok(s1, "subscriber 1");
    assert_everything(s1, 0, sent);
    /* Nobody was taken for hung meanwhile. */
    assert_int_equal(nx_proc_field(s1, "NODESTATS", "reaped"), 0);
}

/* Attack 5, second half: four bytes of garbage in the lease word. Before,
 * a corrupt lock word hung nx_node_create for good. */
static void faults_garbage_in_registry_lease_word(void **state)
{
    (void)state;
    for (int half = 0; half < 2; half++) {
        char arg[2] = {(char)('0' + half), 0};
        nx_proc_t *f = start(FAULT("garbage-lease", arg));
        assert_int_equal(nx_proc_wait(f, 10000), 0);
        uint64_t t0 = now_ms();
        char name[16];
        snprintf(name, sizeof name, "after%d", half);
        nx_proc_t *s = start(PEER("sub", "--node", name, "--count", "1"));
        assert_true(nx_proc_wait_line(s, "READY", 10000));
        assert_true(now_ms() - t0 < 5000);
        nx_proc_signal(s, SIGTERM);
        nx_proc_wait(s, 10000);
    }
}

/* Row X: a subscriber that the registry lists, alive, but that cannot be
 * reached (here: its one inbound queue belongs to another publisher; the
 * same path covers a queue taken from us, a segment that fails
 * validation, and running out of file descriptors). Before, publish said
 * NX_OK for every message it never got. Now every publish says
 * NX_EPARTIAL, the other subscriber still gets everything, and the misses
 * are counted against the unreachable one. */
static void faults_unreachable_subscriber_makes_publish_partial(void **state)
{
    (void)state;
    nx_proc_t *narrow = start(PEER("sub", "--node", "narrow", "--forever", "--queues", "1",
                                   "--pubs", "2", "--allow-gaps"));
    assert_true(nx_proc_wait_line(narrow, "READY", 10000));
    nx_proc_t *wide = start_sub("wide", "2");
    nx_proc_t *a = start_pub("a", "0", "5000"); /* takes narrow's one queue */
    usleep(300000);
    nx_proc_t *b = start(PEER("pub", "--node", "b", "--id", "1", "--count", "300",
                              "--interval-us", "200", "--wait-subs", "2"));
    int rc = nx_proc_wait(b, 30000);
    if (rc != 0)
        fail_msg("publisher b exited %d:\n%s", rc, b->buf);
    assert_int_equal(nx_proc_field(b, "SENT", "count"), 300);
    assert_int_equal(nx_proc_field(b, "SENT", "partial"), 300);
    assert_int_equal(nx_proc_field(b, "OUTBOUND peer=narrow", "unreached"), 300);
    assert_int_equal(nx_proc_field(b, "OUTBOUND peer=wide", "unreached"), 0);
    stop_ok(a, "publisher a");
    long long sent_a = nx_proc_field(a, "SENT", "count");
    assert_int_equal(nx_proc_field(a, "SENT", "partial"), 0);
    usleep(100000);
    stop_ok(wide, "wide subscriber");
    assert_everything(wide, 1, 300);
    assert_everything(wide, 0, sent_a);
    stop_ok(narrow, "narrow subscriber");
    assert_everything(narrow, 0, sent_a);
    assert_int_equal(nx_proc_field(narrow, "RESULT id=1 ", "count"), 0);
}

static void faults_killed_while_holding_doorbell_mutex(void **state)
{
    (void)state;
    nx_proc_t *s =
        start(PEER("sub", "--node", "cv", "--notify", "condvar", "--count", "20000"));
    assert_true(nx_proc_wait_line(s, "READY", 10000));
    nx_proc_t *f = start(FAULT("lock-bell", "cv"));
    assert_true(nx_proc_wait_line(f, "LOCKED", 10000));
    nx_proc_t *p =
        start(PEER("pub", "--node", "p", "--count", "20000", "--block-ms", "5000"));
    usleep(200000);
    nx_proc_signal(f, SIGKILL);
    int rc = nx_proc_wait(s, 60000);
    if (rc != 0)
        fail_msg("condvar subscriber after its doorbell holder died:\n%s", s->buf);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "count"), 20000);
    assert_int_equal(nx_proc_field(s, "RESULT id=0 ", "gaps"), 0);
    assert_int_equal(nx_proc_wait(p, 30000), 0);
}

/* Attack: a process that holds a condvar doorbell's mutex and does not let
 * go (stopped, hung, hostile; nx_fault pauses holding it). Before, every
 * publisher to that node hung in nx_publish (and nx_node_destroy), and the
 * hang cascaded to their own peers. Now a sender only ever tries the
 * mutex: the publisher queues its whole stream and leaves while the lock
 * is held. (The receiver itself waits in pthread_cond_timedwait, which
 * must take the mutex back before it returns: it resumes when the holder
 * dies, and then gets everything.) */
static void faults_held_doorbell_mutex_blocks_no_sender(void **state)
{
    (void)state;
    nx_proc_t *s =
        start(PEER("sub", "--node", "cv2", "--notify", "condvar", "--count", "200"));
    assert_true(nx_proc_wait_line(s, "READY", 10000));
    nx_proc_t *f = start(FAULT("lock-bell", "cv2"));
    assert_true(nx_proc_wait_line(f, "LOCKED", 10000));
    /* 200 messages fit the subscriber's 256-slot queue: no back-pressure. */
    nx_proc_t *p = start(PEER("pub", "--node", "p2", "--count", "200", "--wait-subs", "1"));
    int prc = nx_proc_wait(p, 30000);
    /* Only now does the holder go. */
    nx_proc_signal(f, SIGKILL);
    nx_proc_wait(f, 5000);
    if (prc != 0)
        fail_msg("publisher to a node whose doorbell mutex is held (exit %d):\n%s", prc,
                 p->buf);
    int rc = nx_proc_wait(s, 30000);
    if (rc != 0)
        fail_msg("subscriber after its doorbell holder died (exit %d):\n%s", rc, s->buf);
    assert_everything(s, 0, 200);
}

/* ---- hangs -------------------------------------------------------------- */

static void faults_hung_subscriber_detected_then_resumes(void **state)
{
    (void)state;
    nx_proc_t *s1 = start(PEER("sub", "--node", "s1", "--forever", "--allow-gaps"));
    assert_true(nx_proc_wait_line(s1, "READY", 10000));
    nx_proc_t *s2 = start_sub("s2", "1");
    nx_proc_t *p = start_pub("p", "0", "10000");
    usleep(300000);
    nx_proc_signal(s1, SIGSTOP);
    uint64_t t = wait_node("s1", false, HB_TIMEOUT_MS + HB_MS + SLACK_MS);
    printf("# hung subscriber detected after %llu ms (timeout %d + heartbeat %d)\n",
           (unsigned long long)t, HB_TIMEOUT_MS, HB_MS);
    assert_true(t + 50 >= HB_TIMEOUT_MS - HB_MS); /* not before the timeout */
    usleep(300000);
    nx_proc_signal(s1, SIGCONT);
    /* It notices on its next heartbeat and rejoins. */
    uint64_t back = wait_node("s1", true, 3 * HB_MS + SLACK_MS);
    printf("# resumed subscriber rejoined after %llu ms\n", (unsigned long long)back);
    usleep(500000);
    stop_ok(p, "publisher");
    long long sent = nx_proc_field(p, "SENT", "count");
    assert_int_equal(nx_proc_field(p, "SENT", "timeouts"), 0);
    usleep(200000);
    stop_ok(s2, "subscriber 2");
    assert_everything(s2, 0, sent);
    stop_ok(s1, "resumed subscriber");
    /* It missed what was sent while it was out, but got the end, and
     * nothing twice. */
    assert_int_equal(nx_proc_field(s1, "RESULT id=0 ", "last"), sent);
    assert_int_equal(nx_proc_field(s1, "RESULT id=0 ", "dups"), 0);
    assert_true(nx_proc_field(s1, "RESULT id=0 ", "gaps") > 0);
}

static void faults_node_restarted_ten_times_under_load(void **state)
{
    (void)state;
    nx_proc_t *stable = start_sub("stable", "1");
    nx_proc_t *p = start_pub("p", "0", "5000");
    for (int i = 0; i < 10; i++) {
        if (i % 2 == 0) {
            /* A clean restart: the same name, a contiguous run. */
            nx_proc_t *s =
                start(PEER("sub", "--node", "flaky", "--count", "300", "--contiguous"));
            int rc = nx_proc_wait(s, 30000);
            if (rc != 0)
                fail_msg("restart %d:\n%s", i, s->buf);
        } else {
            /* A crash: killed while receiving, restarted at once. */
            nx_proc_t *s =
                start(PEER("sub", "--node", "flaky", "--forever", "--contiguous"));
            assert_true(nx_proc_wait_line(s, "READY", 10000));
            usleep(100000);
            nx_proc_signal(s, SIGKILL);
            nx_proc_wait(s, 5000);
        }
    }
    usleep(200000);
    stop_ok(p, "publisher");
    long long sent = nx_proc_field(p, "SENT", "count");
    assert_int_equal(nx_proc_field(p, "SENT", "timeouts"), 0);
    usleep(100000);
    stop_ok(stable, "stable subscriber");
    assert_everything(stable, 0, sent);
    wait_node("flaky", false, HB_TIMEOUT_MS + HB_MS + SLACK_MS);
}

/* ---- corrupt and hostile peers ---------------------------------------- */

static void faults_random_corruption_of_live_segment_and_registry(void **state)
{
    (void)state;
    nx_proc_t *victim = start(PEER("sub", "--node", "victim", "--forever", "--tolerant"));
    assert_true(nx_proc_wait_line(victim, "READY", 10000));
    nx_proc_t *p = start(PEER("pub", "--node", "p", "--forever", "--interval-us", "50"));
    assert_true(nx_proc_wait_line(p, "READY", 10000));
    usleep(200000);
    /* One corrupter: it reads the segment's layout before it starts
     * flipping bytes (the header fields are among its targets). */
    long long rounds = 9000;
    nx_proc_t *f = start(FAULT("corrupt", "victim", "7919", "9000"));
    assert_int_equal(nx_proc_wait(f, 120000), 0);
    printf("# %lld rounds of random corruption done\n", rounds);
    usleep(300000);
    /* Everyone survived: both stop cleanly when asked. */
    nx_proc_signal(p, SIGTERM);
    assert_int_equal(nx_proc_wait(p, 30000), 0);
    stop_ok(victim, "victim");
    long long rejected = nx_proc_field(victim, "NODESTATS", "rejected_corrupt");
    long long received = nx_proc_field(victim, "NODESTATS", "received");
    printf("# victim: %lld messages taken, %lld rejected as corrupt\n", received, rejected);
    assert_true(rejected > 0);
    assert_true(received > 0);
}

static void faults_hostile_peer_messages_are_counted_never_read(void **state)
{
    (void)state;
    nx_proc_t *victim = start(PEER("sub", "--node", "victim", "--count", "1"));
    assert_true(nx_proc_wait_line(victim, "READY", 10000));
    nx_proc_t *h = start(FAULT("hostile", "victim", "t"));
    assert_int_equal(nx_proc_wait(h, 30000), 0);
    long long bad = nx_proc_field(h, "SENT", "bad");
    assert_int_equal(bad, 10);
    int rc = nx_proc_wait(victim, 30000);
    if (rc != 0)
        fail_msg("victim:\n%s", victim->buf);
    /* Every crafted message was refused and counted; the good one came. */
    assert_int_equal(nx_proc_field(victim, "NODESTATS", "rejected_corrupt"), bad);
    assert_int_equal(nx_proc_field(victim, "RESULT id=0 ", "count"), 1);
}

/* ---- fork ------------------------------------------------------------------ */

static void fork_count(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)data;
    (void)size;
    if (strcmp(info->sender, "forkchild") == 0)
        atomic_fetch_add((_Atomic int *)user, 1);
}

/* Attack: fork() after creating a node, and the child uses it. Before, the
 * child's publishes corrupted the parent's single-producer rings and its
 * nx_node_destroy() removed the parent's entry and segment: the parent was
 * deaf for good. Now every call of the child on the inherited node is
 * NX_EFORK and touches nothing; a node of its own works. */
static void faults_child_of_fork_cannot_use_the_parents_node(void **state)
{
    (void)state;
    nx_node_t *n;
    _Atomic int got = 0;
    NX_ASSERT_OK(nx_node_create("forker", NULL, &n));
    NX_ASSERT_OK(nx_subscribe(n, "g", "t", fork_count, (void *)&got));
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (nx_publish(n, "g", "t", "x", 1) != NX_EFORK)
            _exit(10);
        if (nx_subscribe(n, "g", "u", fork_count, NULL) != NX_EFORK)
            _exit(11);
        size_t cnt;
        if (nx_subscriber_count(n, "g", "t", &cnt) != NX_EFORK)
            _exit(12);
        nx_node_stats_t st;
        if (nx_node_stats(n, &st) != NX_EFORK)
            _exit(13);
        nx_node_destroy(n); /* must leave the parent's node alone */
#if NX_TEST_SANITIZED
        /* A sanitizer's allocator is not fork-safe (gcc 12's takes no lock
         * around fork): a thread the child starts can block for good on a
         * lock a parent thread held at the fork. So here the child's own
         * node is a fresh image of nx_peer. */
        execl(peer, peer, "pub", "--node", "forkchild", "--count", "1", "--wait-subs", "1",
              (char *)NULL);
        _exit(16);
#endif
        nx_node_t *own;
        if (nx_node_create("forkchild", NULL, &own) != NX_OK)
            _exit(14);
        nx_err_t err = nx_publish(own, "g", "t", "hello", 5);
        nx_node_destroy(own);
        _exit(err == NX_OK ? 0 : 15);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The parent's node is whole: in the registry, its segment there, and
     * it got the child's own node's message. */
    NX_ASSERT_OK(nx_node_find(observer, "forker", NULL));
    assert_int_equal(nx_proc_shm_count_like(domain, "n.forker."), 1);
    for (int i = 0; i < 500 && atomic_load(&got) == 0; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&got), 1);
    nx_node_destroy(n);
}

/* ---- permissions and foreign objects ------------------------------------ */

/* Become uid with primary and only group gid (child processes only). */
static bool become(uid_t uid, gid_t gid)
{
    return setgroups(1, &gid) == 0 && setgid(gid) == 0 && setuid(uid) == 0;
}

static void group_noop(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)data;
    (void)size;
    (void)info;
    atomic_fetch_add((_Atomic int *)user, 1);
}

/* In a child: as uid 4243 of group 4242, own a 0660 domain whose node
 * "owner" subscribes to g/t; exit 0 once a message arrived (in 10 s). */
static int group_owner(const char *dom, int ready_fd)
{
    if (!become(4243, 4242))
        return 10;
    setenv("NEXUS_DOMAIN", dom, 1);
    nx_config_t c;
    nx_config_default(&c);
    c.shm.mode = 0660;
    c.log.level = NX_LOG_ERROR;
    nx_node_t *n;
    _Atomic int got = 0;
    if (nx_node_create("owner", &c, &n) != NX_OK ||
        nx_subscribe(n, "g", "t", group_noop, (void *)&got) != NX_OK)
        return 11;
    if (write(ready_fd, "R", 1) != 1)
        return 12;
    for (int i = 0; i < 1000 && !atomic_load(&got); i++)
        usleep(10000);
    nx_node_destroy(n);
    return atomic_load(&got) ? 0 : 13;
}

/* In a child: as uid in group gid, join the domain and publish to g/t. */
static int group_guest(const char *dom, uid_t uid, gid_t gid)
{
    if (!become(uid, gid))
        return 10;
    setenv("NEXUS_DOMAIN", dom, 1);
    nx_config_t c;
    nx_config_default(&c);
    c.shm.mode = 0660;
    c.log.level = NX_LOG_ERROR;
    nx_node_t *n;
    nx_err_t err = nx_node_create("guest", &c, &n);
    if (err == NX_EPERM)
        return 1; /* refused */
    if (err != NX_OK)
        return 20 + (int)err;
    size_t subs = 0;
    for (int i = 0; i < 500 && subs == 0; i++) {
        nx_subscriber_count(n, "g", "t", &subs);
        usleep(10000);
    }
    err = subs ? nx_publish(n, "g", "t", "hi", 2) : NX_ENOTFOUND;
    nx_node_destroy(n);
    return err == NX_OK ? 0 : 40 + (int)err;
}

static pid_t fork_run(int (*fn)(const char *, uid_t, gid_t), const char *dom, uid_t uid,
                      gid_t gid)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn(dom, uid, gid));
    return pid;
}

static int exit_code(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* shm.mode 0660 shares a domain with the members of the owning group, as
 * docs/nexus.yaml says, and with nobody else. Before, any other uid got
 * NX_EPERM. Real processes under other uids (root only). */
static void faults_group_member_joins_a_0660_domain(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        printf("# not root: cannot switch uid, group test skipped\n");
        skip();
    }
    char dom[48];
    snprintf(dom, sizeof dom, "%sg", domain);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t owner = fork();
    assert_true(owner >= 0);
    if (owner == 0) {
        close(p[0]);
        _exit(group_owner(dom, p[1]));
    }
    close(p[1]);
    char c = 0;
    assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    /* A user of another group is refused (while the owner is there: its
     * domain goes with its last node). */
    int outsider = exit_code(fork_run(group_guest, dom, 4247, 4246));
    /* Another user of group 4242 joins and reaches the owner. */
    int member = exit_code(fork_run(group_guest, dom, 4245, 4242));
    int owner_rc = exit_code(owner);
    nx_clean_opts_t o;
    nx_clean_opts_init(&o);
    o.force = true;
    NX_ASSERT_OK(nx_domain_cleanup(dom, &o, NULL));
    assert_int_equal(member, 0);
    assert_int_equal(outsider, 1);
    assert_int_equal(owner_rc, 0);
}

/* Attack: a registry entry of a dead process that names a live node's
 * segment. Before, a peer's reaper unlinked the live node's segment (the
 * entry said its owner was dead), and new publishers then got NX_OK for
 * messages that never arrived. An object whose liveness lock is held is
 * never unlinked, whatever an entry says. */
static void faults_forged_entry_cannot_unlink_a_live_segment(void **state)
{
    (void)state;
    nx_proc_t *sub =
        start(PEER("sub", "--node", "victim", "--count", "200", "--pubs", "1"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    nx_proc_t *f = start(FAULT("forge-entry", "victim"));
    int frc = nx_proc_wait(f, 10000);
    if (frc != 0 || nx_proc_field(f, "FORGED", "slot") < 0)
        fail_msg("nx_fault forge-entry exited %d:\n%s", frc, f->buf);
    /* The reapers (the victim's and the observer's) see the forged entry
     * dead within a heartbeat or two, and remove it. */
    wait_node("forged", false, 5000);
    /* The victim's segment is still there: a new publisher reaches it. */
    assert_int_equal(nx_proc_shm_count_like(domain, "n.victim."), 1);
    nx_proc_t *pub = start(PEER("pub", "--node", "p2", "--id", "0", "--count", "200",
                                "--wait-subs", "1", "--block-ms", "2000"));
    int rc = nx_proc_wait(sub, 30000);
    if (rc != 0)
        fail_msg("victim exited %d:\n%s\npublisher:\n%s", rc, sub->buf, pub->buf);
    assert_everything(sub, 0, 200);
    assert_int_equal(nx_proc_wait(pub, 30000), 0);
}

/* Attack: holder bits of a reader slot that nobody uses, forged into every
 * chunk of a publisher's large-data ring. Before, that ring could never
 * reclaim those chunks and the publisher stalled for good; the writer now
 * clears bits of unassigned slots within one heartbeat. */
static void faults_forged_holder_bits_do_not_stall_large_data(void **state)
{
    (void)state;
    nx_proc_t *sub = start(PEER("sub", "--node", "lsub", "--count", "600", "--pubs", "1",
                                "--ring", "4194304"));
    assert_true(nx_proc_wait_line(sub, "READY", 10000));
    /* 600 frames of 64 KiB (large: more than a 2 KiB slot) go round a
     * 4 MiB ring nine times. */
    nx_proc_t *pub = start(PEER("pub", "--node", "lpub", "--id", "0", "--count", "600",
                                "--size", "65536", "--ring", "4194304", "--block-ms",
                                "20000", "--wait-subs", "1", "--interval-us", "500"));
    assert_true(nx_proc_wait_line(pub, "READY", 10000));
    usleep(100000); /* let the ring fill part way */
    nx_proc_t *f = start(FAULT("large-holders", "lpub", "400"));
    int frc = nx_proc_wait(f, 10000);
    if (frc != 0 || nx_proc_field(f, "SET", "n") <= 0)
        fail_msg("nx_fault large-holders exited %d:\n%s", frc, f->buf);
    int rc = nx_proc_wait(sub, 60000);
    if (rc != 0)
        fail_msg("subscriber exited %d (the publisher stalled?):\n%s\npublisher:\n%s", rc,
                 sub->buf, pub->buf);
    assert_everything(sub, 0, 600);
    assert_int_equal(nx_proc_wait(pub, 30000), 0);
}

static void faults_other_uid_cannot_attach_0600_objects(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        printf("# not root: cannot switch uid, permission test skipped\n");
        skip();
    }
    /* The observer created the registry and its segment, 0600, as root. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(10);
        nx_node_t *n;
        nx_err_t err = nx_node_create("intruder", NULL, &n);
        _exit(err == NX_EPERM ? 0 : 20 + (int)err);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* The other way round: an object another user made (even 0666) in our
     * domain's name space is never attached. */
    char name[128];
    snprintf(name, sizeof name, "/nexus.%s.registry", domain);
    nx_node_destroy(observer); /* the last node: the registry goes */
    observer = NULL;
    child = fork();
    if (child == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(10);
        int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0666);
        if (fd < 0 || fchmod(fd, 0666) != 0 || ftruncate(fd, 1 << 20) != 0)
            _exit(11);
        _exit(0);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(WEXITSTATUS(status), 0);
    nx_node_t *n;
    NX_ASSERT_ERR(NX_EPERM, nx_node_create("victim", NULL, &n));
    shm_unlink(name);
    /* Recreate the observer for the teardown. */
    assert_int_equal(setup(NULL), 0);
}

static void faults_registry_with_wrong_magic_or_version_is_refused(void **state)
{
    (void)state;
    char name[128];
    snprintf(name, sizeof name, "/nexus.%s.registry", domain);
    nx_node_destroy(observer);
    observer = NULL;
    /* The same size as a registry, but garbage inside. */
    nx_node_t *n;
    NX_ASSERT_OK(nx_node_create("probe", NULL, &n));
    /* Opened by its POSIX name, as a hostile process would: no public call
     * maps a registry for writing, by design. */
    int fd = shm_open(name, O_RDWR, 0);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    uint32_t *version = (uint32_t *)((uint8_t *)p + 8);
    uint32_t saved = *version;
    *version = 999;
    nx_node_t *m;
    NX_ASSERT_ERR(NX_EVERSION, nx_node_create("second", NULL, &m));
    *version = saved;
    uint64_t *magic = p;
    uint64_t saved_magic = *magic;
    *magic = UINT64_C(0x0123456789abcdef);
    NX_ASSERT_ERR(NX_ECORRUPT, nx_node_create("second", NULL, &m));
    *magic = saved_magic;
    NX_ASSERT_OK(nx_node_create("second", NULL, &m));
    nx_node_destroy(m);
    munmap(p, (size_t)st.st_size);
    close(fd);
    nx_node_destroy(n);
    assert_int_equal(setup(NULL), 0);
}

static int shm_count(const char *what)
{
    return nx_proc_shm_count_like(domain, what);
}

static void faults_domain_clean_removes_only_dead_objects(void **state)
{
    (void)state;
    nx_proc_t *live = start_sub("alive", "1");
    nx_proc_t *dead = start_sub("dead", "1");
    /* No reaper may get there first: the observer leaves, the live node
     * is stopped, the other one dies. */
    nx_node_destroy(observer);
    observer = NULL;
    nx_proc_signal(live, SIGSTOP);
    nx_proc_signal(dead, SIGKILL);
    nx_proc_wait(dead, 5000);
    assert_int_equal(shm_count("n.dead."), 1);
    uint32_t removed = 0;
    NX_ASSERT_OK(nx_domain_clean(domain, &removed));
    assert_true(removed >= 1);
    assert_int_equal(shm_count("n.dead."), 0);  /* the dead node's segment went */
    assert_int_equal(shm_count("n.alive."), 1); /* a live (stopped) one stays */
    assert_int_equal(shm_count("registry"), 1); /* a node still lives */
    NX_ASSERT_ERR(NX_EINVAL, nx_domain_clean("bad/name", NULL));
    nx_proc_signal(live, SIGCONT);
    stop_ok(live, "live subscriber");
    assert_int_equal(setup(NULL), 0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s nx_peer nx_fault\n", argv[0]);
        return 2;
    }
    peer = argv[1];
    fault = argv[2];
    setvbuf(stdout, NULL, _IOLBF, 0);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(faults_subscriber_killed_mid_stream),
        T(faults_publisher_killed_mid_stream),
        T(faults_killed_while_holding_registry_lock),
        T(faults_stopped_while_holding_registry_lease),
        T(faults_garbage_in_registry_lease_word),
        T(faults_unreachable_subscriber_makes_publish_partial),
        T(faults_killed_while_holding_doorbell_mutex),
        T(faults_held_doorbell_mutex_blocks_no_sender),
        T(faults_hung_subscriber_detected_then_resumes),
        T(faults_node_restarted_ten_times_under_load),
        T(faults_random_corruption_of_live_segment_and_registry),
        T(faults_hostile_peer_messages_are_counted_never_read),
        T(faults_forged_holder_bits_do_not_stall_large_data),
        T(faults_forged_entry_cannot_unlink_a_live_segment),
        T(faults_other_uid_cannot_attach_0600_objects),
        T(faults_group_member_joins_a_0660_domain),
        T(faults_child_of_fork_cannot_use_the_parents_node),
        T(faults_registry_with_wrong_magic_or_version_is_refused),
        T(faults_domain_clean_removes_only_dead_objects),
    };
    /* NX_TEST_FILTER=faults_child_* runs only those (to repeat one by hand). */
    const char *filter = getenv("NX_TEST_FILTER");
    if (filter && filter[0])
        cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
