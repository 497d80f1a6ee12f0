/*
 * test_inspect.c: the inspection and clean-up API (<nexus/inspect.h>)
 * and the one segment validator (segment.c).
 *
 * Usage: test_inspect PATH-TO-nx_hostile
 *
 * Each test uses a domain of its own (insp_<pid>_<n>) and removes every
 * object of it. Children are forked before this process creates a node.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <nexus/nexus.h>

#include "nx_proc.h"
#include "nx_test.h"
#include "segment_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *hostile_bin;
static char domain[32];
static unsigned domain_seq;
static pid_t child = -1;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static size_t object_count(void)
{
    char **names;
    size_t n;
    NX_ASSERT_OK(nx_domain_objects(domain, &names, &n));
    nx_domain_objects_free(names, n);
    return n;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

static void noop_cb(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)data;
    (void)size;
    (void)info;
    (void)user;
}

/* A node config whose receive thread does not reap peers during a test. */
static void quiet_config(nx_config_t *cfg)
{
    nx_config_default(cfg);
    snprintf(cfg->domain, sizeof cfg->domain, "%s", domain);
    cfg->node.heartbeat_ms = 60000;
    cfg->node.heartbeat_timeout_ms = 120000;
}

static int setup(void **state)
{
    (void)state;
    snprintf(domain, sizeof domain, "insp_%d_%u", (int)getpid(), domain_seq++);
    setenv("NEXUS_DOMAIN", domain, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
    nx_clean_opts_t o;
    nx_clean_opts_init(&o);
    o.force = true;
    nx_err_t err = nx_domain_cleanup(domain, &o, NULL);
    if (err != NX_OK || object_count() != 0)
        fail_msg("objects of %s left: %s", domain, nx_err_name(err));
    return 0;
}

/* ---- the user guide's snippet (docs/user-guide.md, "Inspecting a
 * domain"), verbatim between the markers; docs_snippet checks they match. */
/* BEGIN user-guide inspect */
#include <nexus/nexus.h>
#include <stdio.h>

/* Print every node of a domain and how it is doing. */
static int print_nodes(const char *name)
{
    nx_snapshot_t *snap;
    nx_err_t err = nx_snapshot_take(name, NULL, &snap);
    if (err != NX_OK)
        return -1;
    const nx_inspect_domain_t *d = nx_snapshot_domain(snap);
    if (d->registry != NX_REGISTRY_OK)
        printf("%s: registry %s %s\n", d->name, nx_registry_status_name(d->registry),
               d->problem);
    for (size_t i = 0; i < nx_snapshot_node_count(snap); i++) {
        const nx_inspect_node_t *n = nx_snapshot_node(snap, i);
        printf("%s (pid %u): %s, %zu inbound queue(s)\n", n->name, n->pid,
               nx_node_state_name(n->state), n->queue_count);
    }
    nx_snapshot_free(snap);
    return 0;
}
/* END user-guide inspect */

/* ---- tests ---------------------------------------------------------------- */

static void names_and_objects(void **state)
{
    (void)state;
    char **names;
    size_t n;
    assert_int_equal(nx_domain_objects("bad/name", &names, &n), NX_EINVAL);
    assert_int_equal(nx_domain_objects(domain, NULL, &n), NX_EINVAL);
    assert_true(nx_name_valid(NX_NAME_DOMAIN, "ok_1"));
    assert_false(nx_name_valid(NX_NAME_DOMAIN, "a.b"));
    assert_true(nx_name_valid(NX_NAME_GROUP, ""));
    assert_false(nx_name_valid(NX_NAME_TOPIC, ""));
    assert_false(nx_name_valid(NX_NAME_NODE, NULL));
    nx_snapshot_t *snap;
    assert_int_equal(nx_snapshot_take("no/such", NULL, &snap), NX_EINVAL);
    /* No registry: a snapshot that says so. */
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    assert_int_equal(nx_snapshot_domain(snap)->registry, NX_REGISTRY_MISSING);
    assert_int_equal(nx_snapshot_node_count(snap), 0);
    assert_null(nx_snapshot_node(snap, 0));
    nx_snapshot_free(snap);
    assert_string_equal(nx_node_state_name(NX_NODE_STATE_HUNG), "hung");
    assert_string_equal(nx_node_state_name((nx_node_state_t)9), "?");
}

static void snapshot_in_process(void **state)
{
    (void)state;
    nx_config_t cfg;
    quiet_config(&cfg);
    nx_node_t *node;
    NX_ASSERT_OK(nx_node_create("insp_a", &cfg, &node));
    NX_ASSERT_OK(nx_subscribe(node, "g", "t", noop_cb, NULL));
    NX_ASSERT_OK(nx_publish(node, "g", "t2", "x", 1));
    nx_snapshot_t *snap;
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    const nx_inspect_domain_t *d = nx_snapshot_domain(snap);
    assert_int_equal(d->registry, NX_REGISTRY_OK);
    assert_int_equal(d->object_count, 2);
    assert_int_equal(nx_snapshot_node_count(snap), 1);
    const nx_inspect_node_t *n = nx_snapshot_find_node(snap, "insp_a");
    assert_non_null(n);
    assert_int_equal(n->pid, (uint32_t)getpid());
    assert_int_equal(n->state, NX_NODE_STATE_ALIVE);
    assert_int_equal(n->heartbeat_timeout_ms, 120000);
    assert_int_equal(n->hung_ms, 120000);
    assert_int_equal(n->segment_err, NX_OK);
    assert_int_equal(n->seg_max_queues, cfg.node.max_inbound_queues);
    assert_int_equal(n->seg_state, 1);
    assert_int_equal(nx_snapshot_topic_count(snap), 2);
    bool seen_t = false, seen_t2 = false;
    for (size_t i = 0; i < nx_snapshot_topic_count(snap); i++) {
        const nx_inspect_topic_t *t = nx_snapshot_topic(snap, i);
        assert_string_equal(t->group, "g");
        if (strcmp(t->name, "t") == 0) {
            seen_t = true;
            assert_int_equal(t->subscriber_count, 1);
            assert_int_equal(t->publisher_count, 0);
            assert_ptr_equal(t->subscribers[0].node, n);
        } else if (strcmp(t->name, "t2") == 0) {
            seen_t2 = true;
            assert_int_equal(t->publisher_count, 1);
            assert_ptr_equal(t->publishers[0].node, n);
            assert_int_equal(t->publishers[0].on_full, NX_ON_FULL_FAIL);
            assert_int_equal(t->publishers[0].block_ms, 0);
        }
    }
    assert_true(seen_t && seen_t2);
    nx_snapshot_free(snap);
    /* A publisher's policy, as set, is what the domain shows. */
    NX_ASSERT_OK(nx_publisher_set_policy(node, "g", "t2", NX_ON_FULL_BLOCK, 250));
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    for (size_t i = 0; i < nx_snapshot_topic_count(snap); i++) {
        const nx_inspect_topic_t *t = nx_snapshot_topic(snap, i);
        if (strcmp(t->name, "t2") == 0) {
            assert_int_equal(t->publisher_count, 1);
            assert_int_equal(t->publishers[0].on_full, NX_ON_FULL_BLOCK);
            assert_int_equal(t->publishers[0].block_ms, 250);
        }
    }
    nx_snapshot_free(snap);
    /* A hang threshold of 1 ms makes any node hung, by the same rule. */
    nx_snapshot_opts_t o;
    nx_snapshot_opts_init(&o);
    o.hung_ms = 1;
    sleep_ms(5);
    NX_ASSERT_OK(nx_snapshot_take(domain, &o, &snap));
    assert_int_equal(nx_snapshot_node(snap, 0)->state, NX_NODE_STATE_HUNG);
    nx_snapshot_free(snap);
    assert_int_equal(print_nodes(domain), 0);
    nx_node_destroy(node);
    assert_int_equal(object_count(), 0);
}

/* Child: a node that subscribes to g/t and waits to be killed. */
static pid_t fork_subscriber(void)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        nx_config_t cfg;
        quiet_config(&cfg);
        nx_node_t *node;
        if (nx_node_create("insp_kid", &cfg, &node) != NX_OK ||
            nx_subscribe(node, "g", "t", noop_cb, NULL) != NX_OK)
            _exit(10);
        if (write(p[1], "R", 1) != 1)
            _exit(11);
        for (;;)
            pause();
    }
    close(p[1]);
    char c = 0;
    assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    child = pid;
    return pid;
}

static void forked_node_dead_and_cleanup(void **state)
{
    (void)state;
    pid_t kid = fork_subscriber();
    nx_config_t cfg;
    quiet_config(&cfg);
    nx_node_t *node;
    NX_ASSERT_OK(nx_node_create("insp_p", &cfg, &node));
    NX_ASSERT_OK(nx_publish(node, "g", "t", "hello", 5));

    nx_snapshot_t *snap;
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    const nx_inspect_node_t *k = nx_snapshot_find_node(snap, "insp_kid");
    assert_non_null(k);
    assert_int_equal(k->pid, (uint32_t)kid);
    assert_int_equal(k->state, NX_NODE_STATE_ALIVE);
    assert_int_equal(k->segment_err, NX_OK);
    assert_int_equal(k->queue_count, 1);
    assert_string_equal(k->queues[0].stats.peer, "insp_p");
    assert_int_equal(k->queues[0].stats.sent, 1);
    assert_true(k->queues[0].sender_alive);
    nx_snapshot_free(snap);

    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    child = -1;
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    k = nx_snapshot_find_node(snap, "insp_kid");
    assert_non_null(k);
    assert_int_equal(k->state, NX_NODE_STATE_DEAD);
    assert_false(k->process_alive);
    nx_snapshot_free(snap);

    /* Dry run: lists, removes nothing. */
    size_t before = object_count();
    assert_int_equal(before, 3);
    nx_clean_opts_t o;
    nx_clean_opts_init(&o);
    assert_false(o.dry_run || o.force);
    o.dry_run = true;
    nx_clean_report_t *rep;
    NX_ASSERT_OK(nx_domain_cleanup(domain, &o, &rep));
    assert_int_equal(object_count(), before);
    assert_true(rep->ok);
    assert_int_equal(rep->registry, NX_CLEAN_REG_KEPT);
    assert_int_equal(rep->dropped, 1);
    assert_int_equal(rep->removed, 1);
    char seg_prefix[64];
    snprintf(seg_prefix, sizeof seg_prefix, "/nexus.%s.n.insp_kid.%d.", domain, (int)kid);
    bool listed = false;
    for (size_t i = 0; i < rep->item_count; i++) {
        const nx_clean_item_t *it = &rep->items[i];
        if (it->entry) {
            assert_int_equal(it->action, NX_CLEAN_WOULD_DROP);
            assert_string_equal(it->what, "insp_kid");
        } else if (strncmp(it->what, seg_prefix, strlen(seg_prefix)) == 0) {
            assert_int_equal(it->action, NX_CLEAN_WOULD_REMOVE);
            listed = true;
        } else {
            assert_int_equal(it->action, NX_CLEAN_KEPT); /* ours and the registry */
        }
    }
    assert_true(listed);
    nx_clean_report_free(rep);

    /* Real run: the orphan goes, the live node's objects stay. */
    o.dry_run = false;
    NX_ASSERT_OK(nx_domain_cleanup(domain, &o, &rep));
    assert_int_equal(rep->removed, 1);
    assert_int_equal(rep->registry, NX_CLEAN_REG_KEPT);
    nx_clean_report_free(rep);
    assert_int_equal(object_count(), 2);
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    assert_null(nx_snapshot_find_node(snap, "insp_kid"));
    assert_non_null(nx_snapshot_find_node(snap, "insp_p"));
    nx_snapshot_free(snap);

    /* Force: everything goes, the live node's too; it still leaves cleanly. */
    o.force = true;
    NX_ASSERT_OK(nx_domain_cleanup(domain, &o, &rep));
    assert_int_equal(rep->live_users, 2); /* its registry entry and its segment */
    assert_non_null(strstr(rep->live_names, "insp_p (pid"));
    assert_int_equal(rep->registry, NX_CLEAN_REG_REMOVED);
    nx_clean_report_free(rep);
    assert_int_equal(object_count(), 0);
    nx_node_destroy(node);
    assert_int_equal(object_count(), 0);
}

static void run_hostile(void)
{
    char *argv[] = {(char *)hostile_bin, (char *)domain, NULL};
    assert_int_equal(nx_proc_run(argv, 10000), 0);
}

static const nx_inspect_node_t *node_with_segment(const nx_snapshot_t *snap,
                                                  const char *suffix)
{
    char want[128];
    snprintf(want, sizeof want, "/nexus.%s.n.%s", domain, suffix);
    for (size_t i = 0; i < nx_snapshot_node_count(snap); i++)
        if (strcmp(nx_snapshot_node(snap, i)->segment, want) == 0)
            return nx_snapshot_node(snap, i);
    fail_msg("no node with segment %s", want);
    return NULL;
}

static void hostile_domain_refused_clearly(void **state)
{
    (void)state;
    run_hostile();
    nx_snapshot_t *snap;
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    assert_int_equal(nx_snapshot_domain(snap)->registry, NX_REGISTRY_OK);
    for (size_t i = 0; i < nx_snapshot_node_count(snap); i++) {
        const nx_inspect_node_t *n = nx_snapshot_node(snap, i);
        assert_true(printable(n->name) && printable(n->segment) &&
                    printable(n->large_segment) && printable(n->segment_problem));
        assert_true(n->state <= NX_NODE_STATE_DEAD);
        for (size_t q = 0; q < n->queue_count; q++)
            assert_true(printable(n->queues[q].stats.peer));
    }
    for (size_t i = 0; i < nx_snapshot_topic_count(snap); i++) {
        const nx_inspect_topic_t *t = nx_snapshot_topic(snap, i);
        assert_true(printable(t->group) && printable(t->name) && printable(t->type_name));
        assert_true(t->publisher_count <= 128 && t->subscriber_count <= 128);
    }
    const nx_inspect_node_t *n = node_with_segment(snap, "wrap.1.0");
    assert_int_equal(n->segment_err, NX_ECORRUPT);
    assert_non_null(strstr(n->segment_problem, "impossible offsets"));
    assert_int_equal(n->queue_count, 0);
    n = node_with_segment(snap, "mismatch.1.0");
    assert_non_null(strstr(n->segment_problem, "belongs to pid 1 incarnation 8"));
    n = node_with_segment(snap, "geometry.1.0");
    assert_non_null(strstr(n->segment_problem, "impossible geometry"));
    n = node_with_segment(snap, "short.1.0");
    assert_non_null(strstr(n->segment_problem, "only 10 bytes long"));
    n = node_with_segment(snap, "queues.1.0");
    assert_int_equal(n->segment_err, NX_OK);
    assert_int_equal(n->queue_count, 4);
    assert_false(n->queues[2].pending_valid); /* head < tail */
    /* 64 escape characters, unterminated: 63 '?' (escapes never reach a terminal). */
    assert_int_equal(strlen(n->queues[1].stats.peer), 63);
    assert_int_equal(strspn(n->queues[1].stats.peer, "?"), 63);
    n = node_with_segment(snap, "evil/../../../etc/passwd");
    assert_int_equal(n->segment_err, NX_ECORRUPT);
    assert_non_null(strstr(n->segment_problem, "is not a node segment name"));
    nx_snapshot_free(snap);

    /* Clean-up copes, keeps what it cannot judge, force removes all. */
    nx_clean_report_t *rep;
    nx_domain_cleanup(domain, NULL, &rep);
    assert_non_null(rep);
    nx_clean_report_free(rep);
    nx_clean_opts_t o;
    nx_clean_opts_init(&o);
    o.force = true;
    NX_ASSERT_OK(nx_domain_cleanup(domain, &o, NULL));
    assert_int_equal(object_count(), 0);
}

static void bad_registry_refused(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "/nexus.%s.registry", domain);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    static uint8_t junk[1 << 20];
    memset(junk, 0xab, sizeof junk);
    assert_int_equal(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    close(fd);
    nx_snapshot_t *snap;
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    const nx_inspect_domain_t *d = nx_snapshot_domain(snap);
    assert_int_equal(d->registry, NX_REGISTRY_BAD);
    assert_non_null(strstr(d->problem, "wrong magic 0xabababababababab"));
    assert_int_equal(nx_snapshot_node_count(snap), 0);
    nx_snapshot_free(snap);
    nx_clean_report_t *rep;
    assert_int_equal(nx_domain_cleanup(domain, NULL, &rep), NX_ECORRUPT);
    assert_int_equal(rep->registry, NX_CLEAN_REG_BAD);
    assert_false(rep->ok);
    nx_clean_report_free(rep);
    assert_int_equal(object_count(), 1);
    nx_clean_opts_t o;
    nx_clean_opts_init(&o);
    o.force = true;
    o.dry_run = true;
    NX_ASSERT_OK(nx_domain_cleanup(domain, &o, NULL));
    assert_int_equal(object_count(), 1);
    o.dry_run = false;
    NX_ASSERT_OK(nx_domain_cleanup(domain, &o, NULL));
    assert_int_equal(object_count(), 0);
}

/* Truncate shared-memory object `name` (with its leading '/') to size. */
static void truncate_object(const char *name, off_t size)
{
    int fd = shm_open(name, O_RDWR, 0);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    close(fd);
}

/*
 * Row 7 of the reliability issue: a same-user process truncates a node's
 * segment, then the registry (ftruncate). The processes that map them
 * fault (outside the threat model: that process could kill them too),
 * but inspection and clean-up, which never map what they read, report it
 * and go on.
 */
static void truncated_objects_survived(void **state)
{
    (void)state;
    pid_t kid = fork_subscriber();
    char seg_prefix[64];
    snprintf(seg_prefix, sizeof seg_prefix, "nexus.%s.n.insp_kid.", domain);
    char **names;
    size_t count;
    NX_ASSERT_OK(nx_domain_objects(domain, &names, &count));
    char seg[128] = "";
    for (size_t i = 0; i < count; i++)
        if (strncmp(names[i], seg_prefix, strlen(seg_prefix)) == 0)
            snprintf(seg, sizeof seg, "/%s", names[i]);
    nx_domain_objects_free(names, count);
    assert_true(seg[0]);

    /* The segment first: the node is listed, its segment refused. */
    truncate_object(seg, 100);
    nx_snapshot_t *snap;
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    assert_int_equal(nx_snapshot_domain(snap)->registry, NX_REGISTRY_OK);
    const nx_inspect_node_t *k = nx_snapshot_find_node(snap, "insp_kid");
    assert_non_null(k);
    assert_int_equal(k->segment_err, NX_ECORRUPT);
    nx_snapshot_free(snap);
    assert_int_equal(print_nodes(domain), 0);
    uint32_t removed = 99;
    NX_ASSERT_OK(nx_domain_clean(domain, &removed));

    /* Then the registry: refused with the reason, nobody crashes. */
    char reg[64];
    snprintf(reg, sizeof reg, "/nexus.%s.registry", domain);
    truncate_object(reg, 100);
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    const nx_inspect_domain_t *d = nx_snapshot_domain(snap);
    assert_int_equal(d->registry, NX_REGISTRY_BAD);
    assert_non_null(strstr(d->problem, "100 bytes"));
    nx_snapshot_free(snap);
    assert_int_equal(print_nodes(domain), 0);
    assert_int_equal(nx_domain_clean(domain, &removed), NX_ECORRUPT);
    nx_clean_report_t *rep;
    assert_int_equal(nx_domain_cleanup(domain, NULL, &rep), NX_ECORRUPT);
    assert_int_equal(rep->registry, NX_CLEAN_REG_BAD);
    nx_clean_report_free(rep);
    /* Zero bytes: the same. */
    truncate_object(reg, 0);
    assert_int_equal(nx_domain_clean(domain, &removed), NX_ECORRUPT);
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    assert_int_equal(nx_snapshot_domain(snap)->registry, NX_REGISTRY_BAD);
    nx_snapshot_free(snap);

    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    child = -1;
    nx_clean_opts_t o;
    nx_clean_opts_init(&o);
    o.force = true;
    NX_ASSERT_OK(nx_domain_cleanup(domain, &o, NULL));
    assert_int_equal(object_count(), 0);
}

/* The validator on its own: a header that passes, then one fault each. */
static void segment_check_refuses_wrapping_bounds(void **state)
{
    (void)state;
    nx_seg_header_t *h = aligned_alloc(64, sizeof *h);
    assert_non_null(h);
    memset(h, 0, sizeof *h);
    h->magic = NX_SEG_MAGIC;
    h->version = NX_LAYOUT_VERSION;
    h->abi = NX_ABI_WORD;
    h->size = 16384;
    h->max_queues = 4;
    h->queue_capacity = 2;
    h->message_size = 128;
    h->queues_offset = 4096;
    h->slots_offset = 8192;
    char why[256];
    NX_ASSERT_OK(nx__segment_check(h, 16384, NULL, why, sizeof why));
    assert_string_equal(why, "");
    h->slots_offset = UINT64_C(0) - 512; /* + 1024 bytes of slots wraps to 512 */
    assert_int_equal(nx__segment_check(h, 16384, NULL, why, sizeof why), NX_ECORRUPT);
    assert_non_null(strstr(why, "impossible offsets"));
    h->slots_offset = 8192;
    h->queues_offset = UINT64_C(0) - 512; /* + 4 queue headers wraps */
    assert_int_equal(nx__segment_check(h, 16384, NULL, why, sizeof why), NX_ECORRUPT);
    h->queues_offset = 4096;
    h->queue_capacity = 3;
    assert_int_equal(nx__segment_check(h, 16384, NULL, why, sizeof why), NX_ECORRUPT);
    assert_non_null(strstr(why, "impossible geometry"));
    h->queue_capacity = 2;
    h->version = 99;
    assert_int_equal(nx__segment_check(h, 16384, NULL, NULL, 0), NX_EVERSION);
    h->version = NX_LAYOUT_VERSION;
    assert_int_equal(nx__segment_check(h, 100, NULL, why, sizeof why), NX_ECORRUPT);
    free(h);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-nx_hostile\n", argv[0]);
        return 2;
    }
    hostile_bin = argv[1];
    unsetenv("NEXUS_CONFIG");
    nx_log_set_level(NX_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(names_and_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(snapshot_in_process, setup, teardown),
        cmocka_unit_test_setup_teardown(forked_node_dead_and_cleanup, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_domain_refused_clearly, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_registry_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_objects_survived, setup, teardown),
        cmocka_unit_test_setup_teardown(segment_check_refuses_wrapping_bounds, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
