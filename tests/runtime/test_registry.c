/*
 * test_registry.c: the domain registry (registry.c) through its internal
 * interface. Open and attach; nodes added and removed; publishers and
 * subscribers as bits, topics freed when unused; both tables full; type
 * clashes; names held by live and by dead processes; reaping of gone and
 * hung nodes; repair after a process died holding the lock; and the
 * generation counter moving on every change and only then.
 *
 * Processes that must die (dead node owners, a dead lock holder) are real
 * forked children that use the inherited mapping and _exit(). Each test
 * runs in a domain of its own and leaves no object behind.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nx_test.h"
#include "registry_impl.h"

/* ---- fixture: one domain and one open registry per test ------------- */

typedef struct treg {
    char domain[NX_DOMAIN_NAME_MAX + 1];
    char prefix[NX_SHM_NAME_MAX]; /* "nexus.<domain>." as listed */
    nx_registry_t *r;
} treg_t;

static int treg_setup(void **state)
{
    static unsigned seq;
    treg_t *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    snprintf(t->domain, sizeof t->domain, "treg_%d_%u", (int)getpid(), ++seq);
    snprintf(t->prefix, sizeof t->prefix, "nexus.%s.", t->domain);
    if (nx__registry_open(t->domain, 0600, &t->r) != NX_OK) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

typedef struct leftovers {
    char names[8][NX_SHM_NAME_MAX];
    unsigned count;
} leftovers_t;

static bool collect(const char *name, void *user)
{
    leftovers_t *l = user;
    if (l->count < 8)
        snprintf(l->names[l->count], sizeof l->names[0], "/%s", name);
    l->count++;
    return true;
}

/* Remove the registry, then fail if the test left any other object. */
static int treg_teardown(void **state)
{
    treg_t *t = *state;
    char reg[NX_SHM_NAME_MAX];
    snprintf(reg, sizeof reg, "/nexus.%s.registry", t->domain);
    nx__registry_close(t->r, false);
    nx__plat_shm_unlink(reg);
    /* The one object a test makes outside the domain's prefix. */
    snprintf(reg, sizeof reg, "/nexus.%sx.n.gone3", t->domain);
    nx__plat_shm_unlink(reg);
    leftovers_t l = {.count = 0};
    nx__plat_shm_list(t->prefix, collect, &l);
    for (unsigned i = 0; i < l.count && i < 8; i++) {
        print_error("left behind: %s\n", l.names[i]);
        nx__plat_shm_unlink(l.names[i]);
    }
    free(t);
    return l.count ? -1 : 0;
}

/* ---- helpers --------------------------------------------------------- */

static nx_reg_node_info_t node_info(const char *name, const char *segment)
{
    nx_reg_node_info_t info = {
        .name = name,
        .segment = segment,
        .notify = NX_NOTIFY_SEMAPHORE,
        .max_queues = 4,
        .queue_capacity = 16,
        .message_size = 256,
        .heartbeat_timeout_ms = 1000,
    };
    return info;
}

static uint32_t add_node(nx_registry_t *r, const char *name)
{
    nx_reg_node_info_t info = node_info(name, "");
    uint32_t slot = UINT32_MAX, inc = 0;
    NX_ASSERT_OK(nx__registry_node_add(r, &info, &slot, &inc));
    assert_true(slot < NX_REG_MAX_NODES);
    return slot;
}

typedef struct topic_ref {
    uint32_t slot, inc;
} topic_ref_t;

static topic_ref_t attach(nx_registry_t *r, const char *topic, const nx_type_desc_t *type,
                          uint32_t node, bool publisher)
{
    topic_ref_t ref = {UINT32_MAX, 0};
    NX_ASSERT_OK(nx__registry_topic_attach(r, "g", topic, type, node, publisher, &ref.slot,
                                           &ref.inc, NULL, 0));
    assert_true(ref.slot < NX_REG_MAX_TOPICS);
    return ref;
}

static bool bit(const uint64_t *bm, uint32_t i)
{
    return (bm[i / 64] >> (i % 64)) & 1u;
}

/* The current version of the tables (what readers see). */
static nx_reg_tables_t *cur(nx_registry_t *r)
{
    uint64_t c = atomic_load(&r->shm->hdr.current);
    assert_true(NX_REG_CUR_BUF(c) < NX_REG_TABLES);
    return &r->shm->tables[NX_REG_CUR_BUF(c)];
}

#define TOPIC(r, ts) (&cur(r)->topics[ts])
#define NODE(r, i)   (&cur(r)->nodes[i])

/* Is topic slot ts in use in the current version? */
static bool topic_used(nx_registry_t *r, uint32_t ts)
{
    return bit(cur(r)->topic_used, ts);
}

static bool bitmap_empty(const uint64_t *bm)
{
    for (uint32_t i = 0; i < NX_REG_BITMAP_WORDS; i++)
        if (bm[i])
            return false;
    return true;
}

/* The slot of the used topic ("g", name), or UINT32_MAX. */
static uint32_t find_topic(nx_registry_t *r, const char *name)
{
    for (uint32_t t = 0; t < NX_REG_MAX_TOPICS; t++) {
        const nx_reg_topic_t *tp = &cur(r)->topics[t];
        if (topic_used(r, t) && strcmp(tp->group, "g") == 0 && strcmp(tp->name, name) == 0)
            return t;
    }
    return UINT32_MAX;
}

/* How many live entries are named `name`. */
static unsigned count_nodes(nx_registry_t *r, const char *name)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        n += cur(r)->nodes[i].state == NX_NODE_ALIVE &&
             strcmp(cur(r)->nodes[i].name, name) == 0;
    return n;
}

/* The generation moved since *gen; remember the new value. */
static void expect_bump(nx_registry_t *r, uint64_t *gen)
{
    uint64_t now = nx__registry_generation(r);
    if (now <= *gen)
        fail_msg("generation did not move: %llu -> %llu", (unsigned long long)*gen,
                 (unsigned long long)now);
    *gen = now;
}

static void expect_same_gen(nx_registry_t *r, uint64_t gen)
{
    assert_int_equal(nx__registry_generation(r), gen);
}

/* Run fn in a forked child that then _exit()s: a process that is gone
 * afterwards (waited for, so not even a zombie is left). fn returns the
 * child's exit status; 0 means it did what it was told. */
static void run_in_child(int (*fn)(nx_registry_t *r, void *arg), nx_registry_t *r,
                         void *arg)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn(r, arg));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static const nx_type_desc_t type_a = {
    .name = "treg.A", .size = 8, .align = 8, .fingerprint = UINT64_C(0x1111222233334444)};
static const nx_type_desc_t type_b = {
    .name = "treg.B", .size = 16, .align = 8, .fingerprint = UINT64_C(0x5555666677778888)};

/* ---- open / create ---------------------------------------------------- */

static void registry_open_creates_then_attaches(void **state)
{
    treg_t *t = *state;
    const nx_registry_shm_t *s = t->r->shm;
    assert_true(s->hdr.magic == NX_REG_MAGIC);
    assert_int_equal(s->hdr.version, NX_LAYOUT_VERSION);
    assert_int_equal(s->hdr.abi, NX_ABI_WORD);
    assert_int_equal(s->hdr.size, sizeof(nx_registry_shm_t));
    assert_int_equal(s->hdr.max_nodes, NX_REG_MAX_NODES);
    assert_int_equal(s->hdr.max_topics, NX_REG_MAX_TOPICS);
    assert_int_equal(s->hdr.creator_pid, (uint32_t)getpid());
    assert_int_equal(cur(t->r)->closed, 0);
    assert_int_equal(s->hdr.takeovers, 0);
    assert_int_equal(s->hdr.tables, NX_REG_TABLES);

    /* A second open maps the same object: a change through one handle is
     * seen through the other. */
    nx_registry_t *r2 = NULL;
    NX_ASSERT_OK(nx__registry_open(t->domain, 0600, &r2));
    assert_ptr_not_equal(r2->shm, t->r->shm);
    uint32_t slot = add_node(t->r, "first");
    assert_int_equal(cur(r2)->nodes[slot].state, NX_NODE_ALIVE);
    assert_string_equal(cur(r2)->nodes[slot].name, "first");
    assert_int_equal(nx__registry_generation(r2), nx__registry_generation(t->r));

    /* Bad domain names never reach shared memory. */
    nx_registry_t *bad = NULL;
    NX_ASSERT_ERR(NX_EINVAL, nx__registry_open("", 0600, &bad));
    NX_ASSERT_ERR(NX_EINVAL, nx__registry_open("a/b", 0600, &bad));
    NX_ASSERT_ERR(NX_EINVAL, nx__registry_open("a.b", 0600, &bad));
    assert_null(bad);

    /* Closing with unlink_if_empty keeps the object while a node lives... */
    char reg[NX_SHM_NAME_MAX];
    snprintf(reg, sizeof reg, "/nexus.%s.registry", t->domain);
    nx__registry_close(r2, true);
    int fd;
    size_t size;
    NX_ASSERT_OK(nx__plat_shm_open(reg, &fd, &size));
    close(fd);
    assert_int_equal(cur(t->r)->closed, 0);

    /* ...and removes it once none does. */
    nx__registry_node_remove(t->r, slot, cur(t->r)->nodes[slot].incarnation);
    nx__registry_close(t->r, true);
    t->r = NULL;
    NX_ASSERT_ERR(NX_ENOTFOUND, nx__plat_shm_open(reg, &fd, &size));

    /* The next open creates a fresh one. */
    NX_ASSERT_OK(nx__registry_open(t->domain, 0600, &t->r));
    assert_int_equal(cur(t->r)->nodes[slot].state, NX_NODE_FREE);
    assert_int_equal(nx__registry_generation(t->r), 1); /* its first version */
}

/* ---- nodes ------------------------------------------------------------ */

static void registry_node_add_fills_entry_and_remove_frees_it(void **state)
{
    treg_t *t = *state;
    uint64_t gen = nx__registry_generation(t->r);
    nx_reg_node_info_t info = node_info("n1", "/nexus.x.n.n1");
    uint32_t slot, inc;
    NX_ASSERT_OK(nx__registry_node_add(t->r, &info, &slot, &inc));
    expect_bump(t->r, &gen);
    const nx_reg_node_t *n = &cur(t->r)->nodes[slot];
    assert_int_equal(n->state, NX_NODE_ALIVE);
    assert_int_equal(n->incarnation, inc);
    assert_int_equal(n->pid, (uint32_t)getpid());
    assert_int_equal(n->start_time, nx__plat_proc_start_time(getpid()));
    assert_string_equal(n->name, "n1");
    assert_string_equal(n->segment, "/nexus.x.n.n1");
    assert_string_equal(n->large_segment, "");
    assert_int_equal(n->max_queues, 4);
    assert_int_equal(n->queue_capacity, 16);
    assert_int_equal(n->message_size, 256);
    assert_int_equal(n->heartbeat_timeout_ms, 1000);
    assert_true(atomic_load(&t->r->shm->beat_ns[slot]) > 0);

    /* A second node gets another slot. */
    uint32_t other = add_node(t->r, "n2");
    assert_int_not_equal(other, slot);
    expect_bump(t->r, &gen);

    /* Heartbeat: one store, not a table change. */
    nx__registry_node_beat(t->r, slot, 42);
    assert_int_equal(atomic_load(&t->r->shm->beat_ns[slot]), 42);
    nx__registry_node_beat(t->r, NX_REG_MAX_NODES, 42); /* ignored */

    /* Large-data segment name: recorded only for the right incarnation. */
    nx__registry_node_set_large(t->r, slot, inc + 1, "/nexus.x.l.n1");
    expect_same_gen(t->r, gen);
    assert_string_equal(NODE(t->r, slot)->large_segment, "");
    nx__registry_node_set_large(t->r, slot, inc, "/nexus.x.l.n1");
    expect_bump(t->r, &gen);
    assert_string_equal(NODE(t->r, slot)->large_segment, "/nexus.x.l.n1");
    assert_int_equal(atomic_load(&NODE(t->r, slot)->large_gen), 1);

    /* Remove: a stale incarnation or a bad slot changes nothing. */
    nx__registry_node_remove(t->r, slot, inc + 1);
    nx__registry_node_remove(t->r, NX_REG_MAX_NODES, inc);
    expect_same_gen(t->r, gen);
    assert_int_equal(NODE(t->r, slot)->state, NX_NODE_ALIVE);
    nx__registry_node_remove(t->r, slot, inc);
    expect_bump(t->r, &gen);
    assert_int_equal(NODE(t->r, slot)->state, NX_NODE_FREE);
    assert_int_equal(NODE(t->r, slot)->pid, 0);
    assert_true(NODE(t->r, slot)->incarnation != inc);
    nx__registry_node_remove(t->r, slot, inc); /* twice: nothing */
    expect_same_gen(t->r, gen);
    assert_int_equal(count_nodes(t->r, "n2"), 1);

    /* The slot is reused under a new incarnation. */
    uint32_t again, inc2;
    NX_ASSERT_OK(nx__registry_node_add(t->r, &info, &again, &inc2));
    assert_int_equal(again, slot);
    assert_true(inc2 != inc);
}

static void registry_node_table_full_returns_elimit(void **state)
{
    treg_t *t = *state;
    char name[32];
    uint32_t slots[NX_REG_MAX_NODES];
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        snprintf(name, sizeof name, "n%u", i);
        slots[i] = add_node(t->r, name);
    }
    uint64_t gen = nx__registry_generation(t->r);
    nx_reg_node_info_t info = node_info("one-too-many", "");
    uint32_t slot = UINT32_MAX, inc = UINT32_MAX;
    NX_ASSERT_ERR(NX_ELIMIT, nx__registry_node_add(t->r, &info, &slot, &inc));
    assert_int_equal(slot, UINT32_MAX); /* outputs untouched on failure */
    assert_int_equal(inc, UINT32_MAX);
    expect_same_gen(t->r, gen);
    assert_int_equal(count_nodes(t->r, "one-too-many"), 0);

    /* One leaves: room for exactly one more. */
    uint32_t victim = slots[NX_REG_MAX_NODES / 2];
    nx__registry_node_remove(t->r, victim, cur(t->r)->nodes[victim].incarnation);
    NX_ASSERT_OK(nx__registry_node_add(t->r, &info, &slot, &inc));
    assert_int_equal(slot, victim);
    info.name = "and-another";
    NX_ASSERT_ERR(NX_ELIMIT, nx__registry_node_add(t->r, &info, &slot, &inc));
}

static void registry_add_of_live_name_returns_eexist(void **state)
{
    treg_t *t = *state;
    uint32_t slot = add_node(t->r, "dup");
    uint64_t gen = nx__registry_generation(t->r);
    nx_reg_node_info_t info = node_info("dup", "");
    uint32_t s2 = UINT32_MAX, inc2 = UINT32_MAX;
    NX_ASSERT_ERR(NX_EEXIST, nx__registry_node_add(t->r, &info, &s2, &inc2));
    assert_int_equal(s2, UINT32_MAX);
    expect_same_gen(t->r, gen);
    assert_int_equal(count_nodes(t->r, "dup"), 1);
    assert_int_equal(cur(t->r)->nodes[slot].state, NX_NODE_ALIVE);
}

/* Child: register a node and subscribe it to "ghost-topic", then die. */
static int child_add_and_die(nx_registry_t *r, void *arg)
{
    const char *name = arg;
    nx_reg_node_info_t info = node_info(name, "");
    uint32_t slot, inc, ts, ti;
    if (nx__registry_node_add(r, &info, &slot, &inc) != NX_OK)
        return 1;
    if (nx__registry_topic_attach(r, "g", "ghost-topic", NULL, slot, false, &ts, &ti, NULL,
                                  0) != NX_OK)
        return 2;
    return 0; /* _exit() without removing anything */
}

static void registry_add_reaps_dead_node_of_same_name(void **state)
{
    treg_t *t = *state;
    run_in_child(child_add_and_die, t->r, "ghost");
    assert_int_equal(count_nodes(t->r, "ghost"), 1);
    uint32_t dead = UINT32_MAX;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        if (cur(t->r)->nodes[i].state == NX_NODE_ALIVE)
            dead = i;
    assert_true(dead < NX_REG_MAX_NODES);
    assert_int_not_equal(cur(t->r)->nodes[dead].pid, (uint32_t)getpid());
    uint32_t dead_inc = cur(t->r)->nodes[dead].incarnation;
    uint32_t topic = find_topic(t->r, "ghost-topic");
    assert_true(topic < NX_REG_MAX_TOPICS);
    assert_true(bit(cur(t->r)->topics[topic].subs, dead));

    uint64_t gen = nx__registry_generation(t->r);
    uint32_t slot = add_node(t->r, "ghost");
    expect_bump(t->r, &gen);
    assert_int_equal(count_nodes(t->r, "ghost"), 1);
    assert_int_equal(cur(t->r)->nodes[slot].pid, (uint32_t)getpid());
    assert_true(cur(t->r)->nodes[dead].incarnation != dead_inc);
    /* The dead node's subscription went with it, and so did its topic. */
    assert_int_equal(find_topic(t->r, "ghost-topic"), UINT32_MAX);
}

/* ---- topics ----------------------------------------------------------- */

static void registry_attach_sets_bits_and_detach_frees_topic(void **state)
{
    treg_t *t = *state;
    uint32_t a = add_node(t->r, "a"), b = add_node(t->r, "b");
    uint64_t gen = nx__registry_generation(t->r);

    topic_ref_t pa = attach(t->r, "temp", NULL, a, true);
    expect_bump(t->r, &gen);
    assert_true(topic_used(t->r, pa.slot));
    assert_int_equal(TOPIC(t->r, pa.slot)->incarnation, pa.inc);
    assert_string_equal(TOPIC(t->r, pa.slot)->group, "g");
    assert_string_equal(TOPIC(t->r, pa.slot)->name, "temp");
    assert_true(TOPIC(t->r, pa.slot)->fingerprint == 0); /* raw so far */
    assert_true(bit(TOPIC(t->r, pa.slot)->pubs, a));
    assert_false(bit(TOPIC(t->r, pa.slot)->pubs, b));
    assert_true(bitmap_empty(TOPIC(t->r, pa.slot)->subs));

    topic_ref_t sb = attach(t->r, "temp", NULL, b, false);
    expect_bump(t->r, &gen);
    assert_int_equal(sb.slot, pa.slot);
    assert_int_equal(sb.inc, pa.inc);
    assert_true(bit(TOPIC(t->r, pa.slot)->subs, b));
    assert_false(bit(TOPIC(t->r, pa.slot)->subs, a));

    /* Same name in another group is another topic. */
    uint32_t ts, ti;
    NX_ASSERT_OK(
        nx__registry_topic_attach(t->r, "h", "temp", NULL, b, false, &ts, &ti, NULL, 0));
    assert_int_not_equal(ts, pa.slot);
    expect_bump(t->r, &gen);

    /* A bad node slot is refused before anything changes. */
    NX_ASSERT_ERR(NX_EINVAL,
                  nx__registry_topic_attach(t->r, "g", "temp", NULL, NX_REG_MAX_NODES, true,
                                            &ts, &ti, NULL, 0));
    expect_same_gen(t->r, gen);

    /* Detach the publisher: the subscriber keeps the topic alive. */
    nx__registry_topic_detach(t->r, pa.slot, pa.inc, a, true);
    expect_bump(t->r, &gen);
    assert_true(topic_used(t->r, pa.slot));
    assert_true(bitmap_empty(TOPIC(t->r, pa.slot)->pubs));
    assert_true(bit(TOPIC(t->r, pa.slot)->subs, b));

    /* The last one out frees it. */
    nx__registry_topic_detach(t->r, sb.slot, sb.inc, b, false);
    expect_bump(t->r, &gen);
    assert_false(topic_used(t->r, pa.slot));

    /* Reused slot, new incarnation: a stale detach does nothing. */
    topic_ref_t again = attach(t->r, "temp", NULL, a, true);
    assert_true(again.inc != pa.inc || again.slot != pa.slot);
    gen = nx__registry_generation(t->r);
    nx__registry_topic_detach(t->r, again.slot, again.inc + 1, a, true);
    nx__registry_topic_detach(t->r, NX_REG_MAX_TOPICS, again.inc, a, true);
    nx__registry_topic_detach(t->r, again.slot, again.inc, NX_REG_MAX_NODES, true);
    expect_same_gen(t->r, gen);
    assert_true(bit(cur(t->r)->topics[again.slot].pubs, a));

    /* Removing a node drops its bits everywhere and frees what it alone
     * used; the other group's topic (b's) stays. */
    nx__registry_node_remove(t->r, a, cur(t->r)->nodes[a].incarnation);
    assert_false(topic_used(t->r, again.slot));
    assert_true(topic_used(t->r, ts));
    assert_true(bit(cur(t->r)->topics[ts].subs, b));
}

static void registry_topic_table_full_returns_elimit(void **state)
{
    treg_t *t = *state;
    uint32_t n = add_node(t->r, "hoarder");
    char name[32];
    topic_ref_t refs[NX_REG_MAX_TOPICS];
    for (uint32_t i = 0; i < NX_REG_MAX_TOPICS; i++) {
        snprintf(name, sizeof name, "t%u", i);
        refs[i] = attach(t->r, name, NULL, n, true);
    }
    uint64_t gen = nx__registry_generation(t->r);
    uint32_t ts = UINT32_MAX, ti = UINT32_MAX;
    NX_ASSERT_ERR(NX_ELIMIT, nx__registry_topic_attach(t->r, "g", "one-too-many", NULL, n,
                                                       true, &ts, &ti, NULL, 0));
    assert_int_equal(ts, UINT32_MAX);
    assert_int_equal(ti, UINT32_MAX);
    expect_same_gen(t->r, gen);

    /* Existing topics can still be joined when the table is full. */
    topic_ref_t join = attach(t->r, "t7", NULL, n, false);
    assert_int_equal(join.slot, refs[7].slot);

    /* One freed: room for exactly one more. */
    nx__registry_topic_detach(t->r, refs[3].slot, refs[3].inc, n, true);
    topic_ref_t fresh = attach(t->r, "one-too-many", NULL, n, true);
    assert_int_equal(fresh.slot, refs[3].slot);
    NX_ASSERT_ERR(NX_ELIMIT, nx__registry_topic_attach(t->r, "g", "and-another", NULL, n,
                                                       true, &ts, &ti, NULL, 0));
}

static void registry_typed_attach_with_other_fingerprint_returns_etype(void **state)
{
    treg_t *t = *state;
    uint32_t a = add_node(t->r, "a"), b = add_node(t->r, "b");
    topic_ref_t pa = attach(t->r, "pose", &type_a, a, true);
    assert_true(TOPIC(t->r, pa.slot)->fingerprint == type_a.fingerprint);
    assert_int_equal(TOPIC(t->r, pa.slot)->type_size, type_a.size);
    assert_string_equal(TOPIC(t->r, pa.slot)->type_name, "treg.A");

    uint64_t gen = nx__registry_generation(t->r);
    char other[64] = "untouched";
    uint32_t ts = UINT32_MAX, ti = UINT32_MAX;
    NX_ASSERT_ERR(NX_ETYPE, nx__registry_topic_attach(t->r, "g", "pose", &type_b, b, false,
                                                      &ts, &ti, other, sizeof other));
    assert_string_equal(other, "treg.A");
    assert_int_equal(ts, UINT32_MAX);
    expect_same_gen(t->r, gen);
    assert_false(bit(TOPIC(t->r, pa.slot)->subs, b));
    assert_true(TOPIC(t->r, pa.slot)->fingerprint ==
                type_a.fingerprint); /* first type stays */

    /* A short buffer gets a terminated prefix; no buffer is fine too. */
    char tiny[4] = "xxx";
    NX_ASSERT_ERR(NX_ETYPE, nx__registry_topic_attach(t->r, "g", "pose", &type_b, b, false,
                                                      &ts, &ti, tiny, sizeof tiny));
    assert_string_equal(tiny, "tre");
    NX_ASSERT_ERR(NX_ETYPE, nx__registry_topic_attach(t->r, "g", "pose", &type_b, b, false,
                                                      &ts, &ti, NULL, 0));

    /* The same type, or raw access, joins. */
    topic_ref_t sb = attach(t->r, "pose", &type_a, b, false);
    assert_int_equal(sb.slot, pa.slot);
    topic_ref_t raw = attach(t->r, "pose", NULL, b, true);
    assert_int_equal(raw.slot, pa.slot);
    assert_true(bit(TOPIC(t->r, pa.slot)->subs, b) && bit(TOPIC(t->r, pa.slot)->pubs, b));

    /* A raw topic takes the type of its first typed user. */
    topic_ref_t r0 = attach(t->r, "later", NULL, a, true);
    assert_true(cur(t->r)->topics[r0.slot].fingerprint == 0);
    attach(t->r, "later", &type_b, b, false);
    assert_true(cur(t->r)->topics[r0.slot].fingerprint == type_b.fingerprint);
    assert_string_equal(cur(t->r)->topics[r0.slot].type_name, "treg.B");
}

/* ---- reaping ---------------------------------------------------------- */

typedef struct gone_args {
    const char *name;
    const char *segment;
} gone_args_t;

/* Child: register a node with a segment name, publish, then die. */
static int child_register_and_die(nx_registry_t *r, void *arg)
{
    const gone_args_t *g = arg;
    nx_reg_node_info_t info = node_info(g->name, g->segment);
    uint32_t slot, inc, ts, ti;
    if (nx__registry_node_add(r, &info, &slot, &inc) != NX_OK)
        return 1;
    if (nx__registry_topic_attach(r, "g", g->name, NULL, slot, true, &ts, &ti, NULL, 0) !=
        NX_OK)
        return 2;
    return 0;
}

static void create_object(const char *name)
{
    int fd;
    NX_ASSERT_OK(nx__plat_shm_create(name, 4096, 0600, &fd));
    close(fd);
}

static bool object_exists(const char *name)
{
    int fd;
    size_t size;
    nx_err_t err = nx__plat_shm_open(name, &fd, &size);
    if (err == NX_OK)
        close(fd);
    else
        assert_int_equal(err, NX_ENOTFOUND);
    return err == NX_OK;
}

static void registry_reap_removes_nodes_whose_process_is_gone(void **state)
{
    treg_t *t = *state;
    /* Three dead owners: one found through its segment's free liveness
     * lock, one through pid + start time (no segment), and one whose
     * segment name lies outside the domain (never unlinked by reaping). */
    char seg[NX_SHM_NAME_MAX], foreign[NX_SHM_NAME_MAX];
    snprintf(seg, sizeof seg, "/nexus.%s.n.gone1", t->domain);
    snprintf(foreign, sizeof foreign, "/nexus.%sx.n.gone3", t->domain);
    create_object(seg);
    create_object(foreign);
    gone_args_t g1 = {"gone1", seg}, g2 = {"gone2", ""}, g3 = {"gone3", foreign};
    run_in_child(child_register_and_die, t->r, &g1);
    run_in_child(child_register_and_die, t->r, &g2);
    run_in_child(child_register_and_die, t->r, &g3);
    uint32_t self = add_node(t->r, "stays");
    topic_ref_t mine = attach(t->r, "gone1", NULL, self, false); /* shares a topic */

    uint64_t gen = nx__registry_generation(t->r);
    assert_int_equal(nx__registry_reap(t->r, nx__plat_now_ns(), 0, UINT32_MAX, true, true),
                     3);
    expect_bump(t->r, &gen);
    assert_int_equal(count_nodes(t->r, "gone1"), 0);
    assert_int_equal(count_nodes(t->r, "gone2"), 0);
    assert_int_equal(count_nodes(t->r, "gone3"), 0);
    assert_int_equal(count_nodes(t->r, "stays"), 1);
    assert_false(object_exists(seg));
    assert_true(object_exists(foreign));
    NX_ASSERT_OK(nx__plat_shm_unlink(foreign));
    /* Their topics went, except the one a live node still uses. */
    assert_int_equal(find_topic(t->r, "gone2"), UINT32_MAX);
    assert_int_equal(find_topic(t->r, "gone3"), UINT32_MAX);
    assert_true(topic_used(t->r, mine.slot));
    assert_true(bitmap_empty(TOPIC(t->r, mine.slot)->pubs));
    assert_true(bit(TOPIC(t->r, mine.slot)->subs, self));

    /* Nothing more to reap: nothing changes. */
    assert_int_equal(nx__registry_reap(t->r, nx__plat_now_ns(), 0, UINT32_MAX, true, true),
                     0);
    expect_same_gen(t->r, gen);
}

static void registry_reap_removes_hung_node_but_keeps_its_segment(void **state)
{
    treg_t *t = *state;
    /* A live owner (this process, holding the liveness lock) whose
     * heartbeat stopped: removed from the table, its segment kept. */
    char seg[NX_SHM_NAME_MAX];
    snprintf(seg, sizeof seg, "/nexus.%s.n.hung", t->domain);
    int fd;
    void *addr;
    NX_ASSERT_OK(nx__plat_shm_create_locked(seg, 4096, 0600, &fd, &addr));
    nx_reg_node_info_t info = node_info("hung", seg);
    uint32_t hung, inc;
    NX_ASSERT_OK(nx__registry_node_add(t->r, &info, &hung, &inc));
    uint32_t self = add_node(t->r, "self");

    /* Within the timeout nobody is reaped. */
    uint64_t now = nx__plat_now_ns();
    assert_int_equal(nx__registry_reap(t->r, now, 10000000000u, UINT32_MAX, true, true), 0);

    /* Ten seconds later both heartbeats are stale; `self` is exempt. */
    uint64_t gen = nx__registry_generation(t->r);
    assert_int_equal(
        nx__registry_reap(t->r, now + 10000000000u, 1000000000u, self, true, true), 1);
    expect_bump(t->r, &gen);
    assert_int_equal(cur(t->r)->nodes[hung].state, NX_NODE_FREE);
    assert_int_equal(count_nodes(t->r, "self"), 1);
    assert_true(object_exists(seg));

    munmap(addr, 4096);
    close(fd);
    NX_ASSERT_OK(nx__plat_shm_unlink(seg));
}

/* ---- hostile versions, dead and stopped writers ----------------------- */

typedef struct half_change {
    uint32_t live_topic; /* a used topic: gets a bit for a free node slot */
    uint32_t stray_node; /* a free node slot */
    uint32_t bogus_node; /* a free node slot: gets a bad state, long name */
    uint32_t half_topic; /* a free topic slot: made used, bits only for free slots */
} half_change_t;

/* Write garbage into the current version, as a hostile or buggy process
 * mapping the registry could. */
static void tamper_current(nx_registry_t *r, const half_change_t *h)
{
    nx_reg_tables_t *s = cur(r);
    s->topics[h->live_topic].subs[h->stray_node / 64] |= UINT64_C(1)
                                                         << (h->stray_node % 64);
    nx_reg_node_t *n = &s->nodes[h->bogus_node];
    n->state = 7;
    memset(n->name, 'x', sizeof n->name);
    s->topic_used[h->half_topic / 64] |= UINT64_C(1) << (h->half_topic % 64);
    nx_reg_topic_t *tp = &s->topics[h->half_topic];
    tp->used = 3;
    memset(tp->name, 'y', sizeof tp->name);
    tp->pubs[h->stray_node / 64] |= UINT64_C(1) << (h->stray_node % 64);
}

static void registry_change_over_a_tampered_version_publishes_a_consistent_one(void **state)
{
    treg_t *t = *state;
    uint32_t live = add_node(t->r, "live");
    topic_ref_t tr = attach(t->r, "kept", NULL, live, true);
    half_change_t h = {.live_topic = tr.slot,
                       .stray_node = NX_REG_MAX_NODES - 1,
                       .bogus_node = NX_REG_MAX_NODES - 2,
                       .half_topic = NX_REG_MAX_TOPICS - 1};
    assert_int_equal(cur(t->r)->nodes[h.stray_node].state, NX_NODE_FREE);
    assert_int_equal(cur(t->r)->nodes[h.bogus_node].state, NX_NODE_FREE);
    assert_false(topic_used(t->r, h.half_topic));
    tamper_current(t->r, &h);

    /* Readers bound what they read: no crash, sane answers. */
    size_t count = 99;
    NX_ASSERT_OK(nx__registry_subscriber_count(t->r, "g", "kept", &count));
    assert_int_equal(count, 0); /* the stray bit's slot holds no alive node */

    /* The next change publishes a version that is consistent again: bits
     * only for alive nodes, known states, terminated names, no used topic
     * without users. */
    uint64_t gen = nx__registry_generation(t->r);
    uint32_t other = add_node(t->r, "other");
    expect_bump(t->r, &gen);
    const nx_reg_tables_t *s = cur(t->r);
    assert_int_equal(s->nodes[h.bogus_node].state, NX_NODE_DEAD);
    assert_int_equal(s->nodes[h.bogus_node].name[sizeof s->nodes[0].name - 1], '\0');
    assert_false(bit(s->topics[tr.slot].subs, h.stray_node));
    assert_true(bit(s->topics[tr.slot].pubs, live));
    assert_true(topic_used(t->r, tr.slot));
    assert_false(topic_used(t->r, h.half_topic));
    assert_int_equal(s->nodes[live].state, NX_NODE_ALIVE);
    assert_int_equal(s->nodes[other].state, NX_NODE_ALIVE);

    /* And the registry works: the repaired slots are usable. */
    char name[32];
    for (uint32_t i = 0; i < NX_REG_MAX_NODES - 2; i++) {
        snprintf(name, sizeof name, "fill%u", i);
        add_node(t->r, name);
    }
    assert_int_equal(cur(t->r)->nodes[h.bogus_node].state, NX_NODE_ALIVE);
    assert_int_equal(cur(t->r)->nodes[h.stray_node].state, NX_NODE_ALIVE);
}

/* Child: start a change and die in the middle of it (lease and a staging
 * buffer held, half written). */
static int child_die_mid_change(nx_registry_t *r, void *arg)
{
    (void)arg;
    nx_reg_txn_t tx;
    if (nx__registry_begin(r, true, &tx) != NX_OK)
        return 1;
    memset(tx.t->nodes, 0xa5, sizeof tx.t->nodes);
    return 0; /* _exit() holding both */
}

static void registry_lease_and_buffer_of_a_dead_writer_are_taken_back(void **state)
{
    treg_t *t = *state;
    uint32_t live = add_node(t->r, "live");
    for (int i = 0; i < 3; i++) /* more dead claims than spare buffers */
        run_in_child(child_die_mid_change, t->r, NULL);
    assert_true(atomic_load(&t->r->shm->hdr.lease) != 0);
    /* (The second and third child took the lease over from the first.) */
    uint32_t takeovers = atomic_load(&t->r->shm->hdr.takeovers);

    /* The next writer takes the lease over and a buffer back at once. */
    uint64_t gen = nx__registry_generation(t->r);
    uint64_t t0 = nx__plat_now_ns();
    uint32_t other = add_node(t->r, "after");
    assert_true(nx__plat_now_ns() - t0 < 5000000000u);
    expect_bump(t->r, &gen);
    assert_int_equal(atomic_load(&t->r->shm->hdr.takeovers), takeovers + 1);
    assert_int_equal(cur(t->r)->nodes[live].state, NX_NODE_ALIVE);
    assert_int_equal(cur(t->r)->nodes[other].state, NX_NODE_ALIVE);
    assert_int_equal(atomic_load(&t->r->shm->hdr.lease), 0);
    /* Every buffer is usable again: many changes in a row. */
    for (int i = 0; i < 10; i++) {
        topic_ref_t tr = attach(t->r, "spin", NULL, live, true);
        nx__registry_topic_detach(t->r, tr.slot, tr.inc, live, true);
    }
    assert_int_equal(atomic_load(&t->r->shm->hdr.takeovers), takeovers + 1);
}

/*
 * A writer stopped in the middle of a change (SIGSTOP, a debugger, a
 * frozen cgroup) loses its lease to the next writer; when it resumes, its
 * commit fails and the version it prepared is never published.
 */
static void registry_stopped_writer_is_overtaken_and_cannot_publish(void **state)
{
    treg_t *t = *state;
    uint32_t live = add_node(t->r, "live");
    int ready[2], verdict[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(verdict), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        nx_reg_txn_t tx;
        if (nx__registry_begin(t->r, true, &tx) != NX_OK)
            _exit(2);
        uint32_t slot, inc;
        nx_reg_node_info_t info = node_info("stale", "");
        (void)info;
        if (nx__registry_tx_topic_attach(&tx, "g", "stale-topic", NULL, live, true, &slot,
                                         &inc, NULL, 0) != NX_OK)
            _exit(3);
        char c = 1;
        if (write(ready[1], &c, 1) != 1)
            _exit(4);
        raise(SIGSTOP); /* stopped holding the lease, change half made */
        bool published = nx__registry_commit(&tx);
        c = published ? 'P' : 'F';
        _exit(write(verdict[1], &c, 1) == 1 ? 0 : 5);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
    assert_true(WIFSTOPPED(status));

    /* Others change the registry while it is stopped: after at most the
     * lease's lifetime (plus the machine's noise). */
    uint32_t takeovers = atomic_load(&t->r->shm->hdr.takeovers);
    uint64_t t0 = nx__plat_now_ns();
    uint32_t after = add_node(t->r, "after");
    uint64_t waited = nx__plat_now_ns() - t0;
    assert_true(waited < 5000000000u);
    assert_int_equal(atomic_load(&t->r->shm->hdr.takeovers), takeovers + 1);
    topic_ref_t tr = attach(t->r, "fresh", NULL, after, false);
    uint64_t gen = nx__registry_generation(t->r);

    /* Resumed, it cannot write over the newer version. */
    kill(pid, SIGCONT);
    assert_int_equal(read(verdict[0], &c, 1), 1);
    assert_int_equal(c, 'F');
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    expect_same_gen(t->r, gen);
    assert_int_equal(find_topic(t->r, "stale-topic"), UINT32_MAX);
    assert_true(topic_used(t->r, tr.slot));
    assert_int_equal(cur(t->r)->nodes[after].state, NX_NODE_ALIVE);
    /* It gave its buffer back: nothing is left claimed. */
    for (uint32_t b = 0; b < NX_REG_TABLES; b++)
        assert_int_equal(atomic_load(&t->r->shm->hdr.claim[b]), 0);
    close(ready[0]);
    close(ready[1]);
    close(verdict[0]);
    close(verdict[1]);
}

static void registry_garbage_in_the_lease_and_current_words_is_survived(void **state)
{
    treg_t *t = *state;
    uint32_t live = add_node(t->r, "live");
    nx_reg_header_t *h = &t->r->shm->hdr;

    /* A token of no process: taken over at once. */
    atomic_store(&h->lease, UINT64_C(0xffffffffffffffff));
    add_node(t->r, "a");
    assert_int_equal(atomic_load(&h->lease), 0);
    /* A token naming a live process (us), taken just now: taken over once
     * the lease's lifetime has passed. */
    uint32_t ms = (uint32_t)(nx__plat_now_ns() / 1000000u);
    atomic_store(&h->lease, NX_REG_TOKEN(getpid(), 7, ms));
    add_node(t->r, "b");
    assert_int_equal(atomic_load(&h->lease), 0);

    /* Every spare buffer claimed by a live process: a writer that may not
     * wait says busy; one that may waits, then says busy too. */
    uint64_t saved[NX_REG_TABLES];
    uint32_t cb = NX_REG_CUR_BUF(atomic_load(&h->current));
    for (uint32_t b = 0; b < NX_REG_TABLES; b++) {
        saved[b] = atomic_load(&h->claim[b]);
        if (b != cb)
            atomic_store(&h->claim[b], NX_REG_TOKEN(getpid(), 1, ms));
    }
    nx_reg_txn_t tx;
    NX_ASSERT_ERR(NX_EBUSY, nx__registry_begin(t->r, false, &tx));
    uint32_t s2, i2;
    nx_reg_node_info_t info = node_info("c", "");
    NX_ASSERT_ERR(NX_EBUSY, nx__registry_node_add(t->r, &info, &s2, &i2));
    for (uint32_t b = 0; b < NX_REG_TABLES; b++)
        atomic_store(&h->claim[b], saved[b]);

    /* A current word naming no buffer: changes refuse, readers cannot
     * tell, nobody crashes; put back, all works again. */
    uint64_t good = atomic_load(&h->current);
    atomic_store(&h->current, NX_REG_CUR(NX_REG_CUR_SEQ(good), 200));
    NX_ASSERT_ERR(NX_ECORRUPT, nx__registry_begin(t->r, true, &tx));
    size_t count;
    NX_ASSERT_ERR(NX_ECORRUPT, nx__registry_subscriber_count(t->r, "g", "x", &count));
    atomic_store(&h->current, good);
    add_node(t->r, "d");
    assert_int_equal(cur(t->r)->nodes[live].state, NX_NODE_ALIVE);
}

/* Only late nodes are probed: a node whose heartbeat is fresh is not
 * reaped without `all`, even though its process is gone. */
static void registry_reap_without_all_probes_only_late_nodes(void **state)
{
    treg_t *t = *state;
    gone_args_t g = {"late", ""};
    run_in_child(child_register_and_die, t->r, &g);
    uint32_t self = add_node(t->r, "self");
    uint32_t dead = UINT32_MAX;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        if (cur(t->r)->nodes[i].state == NX_NODE_ALIVE && i != self)
            dead = i;
    assert_true(dead < NX_REG_MAX_NODES);
    uint64_t now = nx__plat_now_ns();
    nx__registry_node_beat(t->r, dead, now);
    assert_int_equal(nx__registry_reap(t->r, now, 0, self, false, true), 0);
    assert_int_equal(count_nodes(t->r, "late"), 1);
    /* Two periods later it is late: probed, found gone, reaped. */
    assert_int_equal(nx__registry_reap(t->r, now + 2100000000u, 0, self, false, true), 1);
    assert_int_equal(count_nodes(t->r, "late"), 0);
}

/* A process that exited but was not collected (a zombie) is gone: the
 * reaper removes it, and the tool never says it "runs". */
static void registry_zombie_counts_as_gone(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    /* Not collected yet: wait until the kernel shows it as a zombie. */
    uint64_t start = 0;
    for (int i = 0; i < 2000 && nx__plat_proc_alive(pid, 0); i++)
        nx__plat_sleep_ns(1000000);
    assert_false(nx__plat_proc_alive(pid, 0));
    assert_false(nx__plat_proc_alive(pid, start));
    assert_true(kill(pid, 0) == 0); /* it still exists, as a zombie */
    assert_true(nx__plat_proc_alive(getpid(), nx__plat_proc_start_time(getpid())));
    assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* ---- generation ------------------------------------------------------- */

static void registry_generation_moves_on_every_change_only(void **state)
{
    treg_t *t = *state;
    uint64_t gen = nx__registry_generation(t->r);
    nx_reg_node_info_t info = node_info("gen", "");
    uint32_t slot, inc, s2, i2;
    NX_ASSERT_OK(nx__registry_node_add(t->r, &info, &slot, &inc));
    expect_bump(t->r, &gen);
    NX_ASSERT_ERR(NX_EEXIST, nx__registry_node_add(t->r, &info, &s2, &i2));
    expect_same_gen(t->r, gen);
    nx__registry_node_set_large(t->r, slot, inc, "/nexus.x.l.gen");
    expect_bump(t->r, &gen);
    topic_ref_t p = attach(t->r, "g1", &type_a, slot, true);
    expect_bump(t->r, &gen);
    topic_ref_t q = attach(t->r, "g1", &type_a, slot, false);
    expect_bump(t->r, &gen);
    NX_ASSERT_ERR(NX_ETYPE, nx__registry_topic_attach(t->r, "g", "g1", &type_b, slot, false,
                                                      &s2, &i2, NULL, 0));
    expect_same_gen(t->r, gen);
    nx__registry_topic_detach(t->r, q.slot, q.inc, slot, false);
    expect_bump(t->r, &gen);
    nx__registry_topic_detach(t->r, p.slot, p.inc, slot, true);
    expect_bump(t->r, &gen);
    attach(t->r, "g2", NULL, slot, true);
    expect_bump(t->r, &gen);
    nx__registry_node_remove(t->r, slot, inc);
    expect_bump(t->r, &gen);
    assert_int_equal(nx__registry_reap(t->r, nx__plat_now_ns(), 0, UINT32_MAX, true, true),
                     0);
    expect_same_gen(t->r, gen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(registry_open_creates_then_attaches, treg_setup,
                                        treg_teardown),
        cmocka_unit_test_setup_teardown(registry_node_add_fills_entry_and_remove_frees_it,
                                        treg_setup, treg_teardown),
        cmocka_unit_test_setup_teardown(registry_node_table_full_returns_elimit, treg_setup,
                                        treg_teardown),
        cmocka_unit_test_setup_teardown(registry_add_of_live_name_returns_eexist,
                                        treg_setup, treg_teardown),
        cmocka_unit_test_setup_teardown(registry_add_reaps_dead_node_of_same_name,
                                        treg_setup, treg_teardown),
        cmocka_unit_test_setup_teardown(registry_attach_sets_bits_and_detach_frees_topic,
                                        treg_setup, treg_teardown),
        cmocka_unit_test_setup_teardown(registry_topic_table_full_returns_elimit,
                                        treg_setup, treg_teardown),
        cmocka_unit_test_setup_teardown(
            registry_typed_attach_with_other_fingerprint_returns_etype, treg_setup,
            treg_teardown),
        cmocka_unit_test_setup_teardown(registry_reap_removes_nodes_whose_process_is_gone,
                                        treg_setup, treg_teardown),
        cmocka_unit_test_setup_teardown(
            registry_reap_removes_hung_node_but_keeps_its_segment, treg_setup,
            treg_teardown),
        cmocka_unit_test_setup_teardown(
            registry_change_over_a_tampered_version_publishes_a_consistent_one, treg_setup,
            treg_teardown),
        cmocka_unit_test_setup_teardown(
            registry_lease_and_buffer_of_a_dead_writer_are_taken_back, treg_setup,
            treg_teardown),
        cmocka_unit_test_setup_teardown(
            registry_stopped_writer_is_overtaken_and_cannot_publish, treg_setup,
            treg_teardown),
        cmocka_unit_test_setup_teardown(
            registry_garbage_in_the_lease_and_current_words_is_survived, treg_setup,
            treg_teardown),
        cmocka_unit_test_setup_teardown(registry_reap_without_all_probes_only_late_nodes,
                                        treg_setup, treg_teardown),
        cmocka_unit_test(registry_zombie_counts_as_gone),
        cmocka_unit_test_setup_teardown(registry_generation_moves_on_every_change_only,
                                        treg_setup, treg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
