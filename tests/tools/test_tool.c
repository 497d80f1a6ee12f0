/*
 * test_tool.c: the `nexus` command-line tool against real processes.
 *
 * Usage: test_tool PATH-TO-nexus PATH-TO-nx_hostile [GROUP]   (GROUP
 * selects the tests whose name starts with it; meson registers one test
 * per group.) Public headers only: hostile shared memory is written by
 * nx_hostile (tests/runtime), which may know the private layout.
 *
 * Each test runs in a domain of its own (tool_<pid>_<n>, exported as
 * NEXUS_DOMAIN so that the tool and every node use it), runs the nexus
 * binary with fork/exec and its stdout and stderr captured, creates nodes
 * in this process with nx_node_create, and forks children that create
 * nodes of their own. Children are forked before this process creates a
 * node, so the fork never happens in a threaded process. The teardown
 * kills (by pid) whatever still runs, and asserts that nothing of the
 * domain is left in /dev/shm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <nexus/nexus.h>

#include "nx_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NX_ASSERT_OK(expr)                                                                 \
    do {                                                                                   \
        nx_err_t e_ = (expr);                                                              \
        if (e_ != NX_OK)                                                                   \
            fail_msg("%s -> %s: %s", #expr, nx_err_name(e_), nx_strerror(e_));             \
    } while (0)

static const char *nexus_bin;
static const char *hostile_bin;
static char domain[32];
static unsigned domain_seq;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- running the tool -------------------------------------------------------- */

typedef struct run {
    pid_t pid;
    int out_fd, err_fd;
    char out[65536];
    size_t out_len;
    char err[16384];
    size_t err_len;
    int code; /* exit status; -1 killed by a signal */
    bool done;
} run_t;

#define MAX_RUNS 64
static run_t *runs[MAX_RUNS];
static int nruns;

static run_t *run_start(const char *const args[])
{
    const char *argv[32];
    int n = 0;
    argv[n++] = nexus_bin;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int out[2], err[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(pipe2(err, O_CLOEXEC), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        execv(nexus_bin, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    run_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->pid = pid;
    r->out_fd = out[0];
    r->err_fd = err[0];
    assert_true(nruns < MAX_RUNS);
    runs[nruns++] = r;
    return r;
}

/* Read what the child wrote, for up to timeout_ms. */
static void run_pump(run_t *r, int timeout_ms)
{
    struct pollfd pf[2] = {{r->out_fd, POLLIN, 0}, {r->err_fd, POLLIN, 0}};
    if (r->out_fd < 0 && r->err_fd < 0)
        return;
    if (poll(pf, 2, timeout_ms) <= 0)
        return;
    for (int k = 0; k < 2; k++) {
        if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char *buf = k ? r->err : r->out;
        size_t *len = k ? &r->err_len : &r->out_len;
        size_t cap = k ? sizeof r->err : sizeof r->out;
        int *fd = k ? &r->err_fd : &r->out_fd;
        char scratch[4096];
        bool full = *len >= cap - 1;
        ssize_t got =
            read(*fd, full ? scratch : buf + *len, full ? sizeof scratch : cap - 1 - *len);
        if (got <= 0) {
            close(*fd);
            *fd = -1;
        } else if (!full) {
            *len += (size_t)got;
            buf[*len] = '\0';
        }
    }
}

/* Wait for the exit (reading output); SIGKILL by pid after timeout_ms. */
static int run_wait(run_t *r, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    while (!r->done) {
        run_pump(r, 20);
        int status;
        pid_t w = waitpid(r->pid, &status, WNOHANG);
        if (w == r->pid) {
            /* Drain what is left in the pipes. */
            while (r->out_fd >= 0 || r->err_fd >= 0)
                run_pump(r, 1000);
            r->done = true;
            r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            break;
        }
        if (now_ms() > end) {
            kill(r->pid, SIGKILL);
            waitpid(r->pid, &status, 0);
            r->done = true;
            r->code = -1;
            fail_msg("nexus did not finish in %d ms; stdout:\n%s\nstderr:\n%s", timeout_ms,
                     r->out, r->err);
        }
    }
    return r->code;
}

/* Read the child's output until its stderr holds needle. */
static void run_wait_err(run_t *r, const char *needle, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    while (!strstr(r->err, needle)) {
        if (now_ms() > end || (r->out_fd < 0 && r->err_fd < 0))
            fail_msg("'%s' not seen on stderr:\n%s", needle, r->err);
        run_pump(r, 20);
    }
}

/* Run the tool to the end; returns the run (freed in the teardown). */
static run_t *run_sync(const char *const args[])
{
    run_t *r = run_start(args);
    run_wait(r, 30000);
    return r;
}

#define NEXUS(...) run_sync((const char *const[]){__VA_ARGS__, NULL})

/* Fail with the run's output unless it exited with `code`. */
static void assert_exit(const run_t *r, int code)
{
    if (r->code != code)
        fail_msg("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", r->code, code, r->out,
                 r->err);
}

static void assert_contains(const char *hay, const char *needle, const run_t *r)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' not found; stdout:\n%s\nstderr:\n%s", needle, r->out, r->err);
}

static void assert_lacks(const char *hay, const char *needle, const run_t *r)
{
    if (strstr(hay, needle))
        fail_msg("'%s' unexpected; stdout:\n%s\nstderr:\n%s", needle, r->out, r->err);
}

/* The line of text that starts with `prefix` (copied into line). */
static bool find_line(const char *text, const char *prefix, char *line, size_t size)
{
    size_t n = strlen(prefix);
    for (const char *s = text; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
        if (strncmp(s, prefix, n) == 0) {
            const char *e = strchr(s, '\n');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if (len >= size)
                len = size - 1;
            memcpy(line, s, len);
            line[len] = '\0';
            return true;
        }
    }
    return false;
}

/* The line whose first two words are w1 and w2 (copied into line). */
static bool find_row(const char *text, const char *w1, const char *w2, char *line,
                     size_t size)
{
    for (const char *s = text; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
        char a[128], b[128];
        if (sscanf(s, "%127s %127s", a, b) == 2 && strcmp(a, w1) == 0 &&
            strcmp(b, w2) == 0) {
            const char *e = strchr(s, '\n');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if (len >= size)
                len = size - 1;
            memcpy(line, s, len);
            line[len] = '\0';
            return true;
        }
    }
    return false;
}

/* ---- forked nodes ---------------------------------------------------------------- */

typedef struct kid {
    pid_t pid;
    int to;   /* write end: commands to the child */
    int from; /* read end: replies */
} kid_t;

#define MAX_KIDS 8
static kid_t kids[MAX_KIDS];
static int nkids;

/* Fork a child that runs body(in, out) and exits. Call before this process
 * creates a node (no threads to lose in the child). */
static kid_t *kid_start(void (*body)(int in, int out, const void *arg), const void *arg)
{
    int down[2], up[2];
    assert_int_equal(pipe2(down, O_CLOEXEC), 0);
    assert_int_equal(pipe2(up, O_CLOEXEC), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        body(down[0], up[1], arg);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    assert_true(nkids < MAX_KIDS);
    kid_t *k = &kids[nkids++];
    k->pid = pid;
    k->to = down[1];
    k->from = up[0];
    return k;
}

/* Read one byte from the child; '\0' on EOF or timeout. */
static char kid_read(kid_t *k, int timeout_ms)
{
    struct pollfd pf = {k->from, POLLIN, 0};
    char c = 0;
    if (poll(&pf, 1, timeout_ms) == 1 && read(k->from, &c, 1) == 1)
        return c;
    return 0;
}

static void kid_send(kid_t *k, char c)
{
    assert_int_equal(write(k->to, &c, 1), 1);
}

/* Wait for the child's exit; returns its status. */
static int kid_wait(kid_t *k, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    int status = 0;
    while (k->pid > 0) {
        pid_t w = waitpid(k->pid, &status, WNOHANG);
        if (w == k->pid) {
            k->pid = -1;
            return status;
        }
        if (now_ms() > end) {
            kill(k->pid, SIGKILL);
            waitpid(k->pid, &status, 0);
            k->pid = -1;
            fail_msg("child did not exit in %d ms", timeout_ms);
        }
        sleep_ms(5);
    }
    return status;
}

static void kid_byte(int out, char c)
{
    if (write(out, &c, 1) != 1)
        _exit(20);
}

static char kid_wait_byte(int in)
{
    char c = 0;
    if (read(in, &c, 1) != 1)
        return 0;
    return c;
}

/* A node "tpub" that publishes *arg messages to grp/stats on 'G', says
 * 'D', and leaves on 'X' (or when the parent goes away). */
static void body_publisher(int in, int out, const void *arg)
{
    int count = *(const int *)arg;
    nx_node_t *node;
    if (nx_node_create("tpub", NULL, &node) != NX_OK)
        _exit(10);
    kid_byte(out, 'R');
    if (kid_wait_byte(in) == 'G') {
        for (int i = 1; i <= count; i++) {
            char msg[32];
            int len = snprintf(msg, sizeof msg, "m%d", i);
            if (nx_publish(node, "grp", "stats", msg, (size_t)len) != NX_OK)
                _exit(11);
        }
        kid_byte(out, 'D');
        kid_wait_byte(in);
    }
    nx_node_destroy(node);
}

static void noop_cb(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)data;
    (void)size;
    (void)info;
    (void)user;
}

/* A node "victim" that subscribes, says 'R' and dies of SIGKILL. */
static void body_victim(int in, int out, const void *arg)
{
    (void)in;
    (void)arg;
    nx_node_t *node;
    if (nx_node_create("victim", NULL, &node) != NX_OK)
        _exit(10);
    if (nx_subscribe(node, "grp", "vt", noop_cb, NULL) != NX_OK)
        _exit(11);
    kid_byte(out, 'R');
    raise(SIGKILL);
}

/* ---- nodes of this process ----------------------------------------------------------- */

#define MAX_NODES 4
static nx_node_t *nodes[MAX_NODES];

static nx_node_t *node_new(const char *name)
{
    for (int i = 0; i < MAX_NODES; i++) {
        if (!nodes[i]) {
            NX_ASSERT_OK(nx_node_create(name, NULL, &nodes[i]));
            return nodes[i];
        }
    }
    fail_msg("too many nodes");
    return NULL;
}

static void node_free(nx_node_t *node)
{
    for (int i = 0; i < MAX_NODES; i++) {
        if (nodes[i] == node) {
            nx_node_destroy(node);
            nodes[i] = NULL;
        }
    }
}

/* What a subscriber of this process received. */
typedef struct inbox {
    pthread_mutex_t lock;
    atomic_int count;
    char last[256];
    size_t last_size;
    char sender[64];
} inbox_t;

static inbox_t inbox = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void inbox_cb(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    inbox_t *b = user;
    pthread_mutex_lock(&b->lock);
    b->last_size = size < sizeof b->last ? size : sizeof b->last;
    memcpy(b->last, data, b->last_size);
    snprintf(b->sender, sizeof b->sender, "%s", info->sender);
    pthread_mutex_unlock(&b->lock);
    atomic_fetch_add(&b->count, 1);
}

static void inbox_reset(void)
{
    pthread_mutex_lock(&inbox.lock);
    atomic_store(&inbox.count, 0);
    inbox.last_size = 0;
    inbox.sender[0] = '\0';
    pthread_mutex_unlock(&inbox.lock);
}

static void inbox_wait(int want, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    while (atomic_load(&inbox.count) < want) {
        if (now_ms() > end)
            fail_msg("received %d messages, want %d", atomic_load(&inbox.count), want);
        sleep_ms(5);
    }
}

static void wait_subscribers(nx_node_t *node, const char *group, const char *topic,
                             size_t want)
{
    long long end = now_ms() + 15000;
    size_t n = 0;
    while (nx_subscriber_count(node, group, topic, &n) == NX_OK && n < want) {
        if (now_ms() > end)
            fail_msg("%zu subscribers to %s/%s, want %zu", n, group, topic, want);
        sleep_ms(10);
    }
}

/* ---- /dev/shm ---------------------------------------------------------------------- */

/* Count (and with unlink, remove) the objects of the domain; with `like`,
 * only those whose name starts with "nexus.<domain>.<like>". */
/* Count (and with unlink, remove) the domain's objects whose name after
 * "nexus.D." starts with like (NULL: all), through the public listing. */
static int shm_objects(const char *like, bool unlink)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "nexus.%s.%s", domain, like ? like : "");
    char **names;
    size_t count;
    if (nx_domain_objects(domain, &names, &count) != NX_OK)
        return 0;
    int n = 0;
    for (size_t i = 0; i < count; i++) {
        if (strncmp(names[i], prefix, strlen(prefix)) != 0)
            continue;
        n++;
        if (unlink) {
            char path[300];
            snprintf(path, sizeof path, "/%s", names[i]);
            shm_unlink(path);
        }
    }
    nx_domain_objects_free(names, count);
    return n;
}

static int shm_count(const char *like)
{
    return shm_objects(like, false);
}

/* ---- setup / teardown ------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    snprintf(domain, sizeof domain, "tool_%d_%u", (int)getpid(), domain_seq++);
    setenv("NEXUS_DOMAIN", domain, 1);
    inbox_reset();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_NODES; i++) {
        nx_node_destroy(nodes[i]);
        nodes[i] = NULL;
    }
    for (int i = 0; i < nkids; i++) {
        close(kids[i].to);
        close(kids[i].from);
        if (kids[i].pid > 0) {
            /* Closing its pipe tells it to leave; a stuck one is killed. */
            long long end = now_ms() + 5000;
            while (waitpid(kids[i].pid, NULL, WNOHANG) == 0) {
                if (now_ms() > end) {
                    kill(kids[i].pid, SIGKILL);
                    waitpid(kids[i].pid, NULL, 0);
                    break;
                }
                sleep_ms(5);
            }
        }
    }
    nkids = 0;
    for (int i = 0; i < nruns; i++) {
        if (!runs[i]->done) {
            kill(runs[i]->pid, SIGKILL);
            waitpid(runs[i]->pid, NULL, 0);
        }
        if (runs[i]->out_fd >= 0)
            close(runs[i]->out_fd);
        if (runs[i]->err_fd >= 0)
            close(runs[i]->err_fd);
        free(runs[i]);
    }
    nruns = 0;
    int left = shm_count(NULL);
    shm_objects(NULL, true);
    if (left)
        fail_msg("%d objects of domain %s left in /dev/shm", left, domain);
    return 0;
}

/* ---- tests -------------------------------------------------------------------- */

static void usage_errors_exit_2(void **state)
{
    (void)state;
    run_t *r = run_sync((const char *const[]){NULL});
    assert_exit(r, 2);
    assert_contains(r->err, "no command given", r);
    r = NEXUS("bogus");
    assert_exit(r, 2);
    assert_contains(r->err, "unknown command 'bogus'", r);
    assert_exit(NEXUS("nodes", "--bogus"), 2);
    assert_exit(NEXUS("nodes", "extra"), 2);
    assert_exit(NEXUS("nodes", "--hung-ms", "0"), 2);
    assert_exit(NEXUS("stats", "a", "b"), 2);
    assert_exit(NEXUS("--domain"), 2);
    r = NEXUS("--domain", "bad.domain", "nodes");
    assert_exit(r, 2);
    assert_contains(r->err, "bad domain name", r);
    r = NEXUS("echo");
    assert_exit(r, 2);
    assert_contains(r->err, "missing TOPIC", r);
    assert_exit(NEXUS("echo", "t", "--count", "x"), 2);
    assert_exit(NEXUS("echo", "t", "--count", "0"), 2);
    assert_exit(NEXUS("echo", "t", "--timeout", "-1"), 2);
    assert_exit(NEXUS("echo", "bad topic!"), 2);
    r = NEXUS("pub", "t");
    assert_exit(r, 2);
    assert_contains(r->err, "missing payload", r);
    assert_exit(NEXUS("pub", "t", "--text", "a", "--hex", "00"), 2);
    assert_exit(NEXUS("pub", "t", "--hex", "zz"), 2);
    assert_exit(NEXUS("pub", "t", "--hex", "123"), 2);
    assert_exit(NEXUS("pub", "t", "--text", "a", "--rate", "fast"), 2);
    assert_exit(NEXUS("pub", "--group", "g g", "t", "--text", "a"), 2);
    assert_exit(NEXUS("clean", "--all-domains", "--domain", "x"), 2);
    assert_exit(NEXUS("clean", "now"), 2);
    assert_exit(NEXUS("help", "bogus"), 2);
    setenv("NEXUS_DOMAIN", "no/slash", 1);
    r = NEXUS("nodes");
    setenv("NEXUS_DOMAIN", domain, 1);
    assert_exit(r, 2);
    assert_contains(r->err, "NEXUS_DOMAIN", r);
    /* None of that touched shared memory. */
    assert_int_equal(shm_count(NULL), 0);
}

static void noop_fn(void) {}

static nx_err_t svc_dispatch(const void *req, void *rep, const nx_msg_info_t *info,
                             nx_generic_fn fn, void *user)
{
    (void)req;
    (void)rep;
    (void)info;
    (void)fn;
    (void)user;
    return NX_OK;
}

static void services_lists_server_and_types(void **state)
{
    (void)state;
    static const nx_type_desc_t req = {
        .name = "tt.Req", .size = 8, .align = 8, .fingerprint = 0x1111};
    static const nx_type_desc_t rep = {
        .name = "tt.Rep", .size = 8, .align = 8, .fingerprint = 0x2222};
    static const nx_service_desc_t svc = {
        .name = "math/add", .request = &req, .reply = &rep};
    nx_node_t *node = node_new("tnode");
    NX_ASSERT_OK(nx_service_serve(node, &svc, svc_dispatch, noop_fn, NULL));
    run_t *r = NEXUS("services");
    assert_exit(r, 0);
    assert_contains(r->out, "1 service\n", r);
    char line[512], want[64];
    if (!find_line(r->out, "math/add ", line, sizeof line))
        fail_msg("no line for math/add:\n%s", r->out);
    assert_contains(line, " tt.Req -> tt.Rep ", r);
    assert_contains(line, " 0x0000000000001111 -> 0x0000000000002222 ", r);
    snprintf(want, sizeof want, " tnode (pid %d)", (int)getpid());
    assert_contains(line, want, r);
    r = NEXUS("--json", "services");
    assert_exit(r, 0);
    assert_contains(r->out, "\"name\":\"math/add\",\"types\":\"tt.Req -> tt.Rep\"", r);
    assert_contains(r->out, "\"reply_fingerprint\":\"0x0000000000002222\"", r);
    /* Not a topic. */
    r = NEXUS("topics");
    assert_exit(r, 0);
    assert_contains(r->out, "0 topics", r);
    NX_ASSERT_OK(nx_service_unserve(node, &svc));
    r = NEXUS("services");
    assert_contains(r->out, "0 services", r);
    node_free(node);
}

static void help_and_version_exit_0(void **state)
{
    (void)state;
    run_t *r = NEXUS("--help");
    assert_exit(r, 0);
    assert_contains(r->out, "Usage: nexus", r);
    const char *cmds[] = {"domains", "nodes", "topics", "services", "stats",
                          "echo",    "pub",   "clean",  "version"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "Usage: nexus %s", cmds[i]);
        r = NEXUS(cmds[i], "--help");
        assert_exit(r, 0);
        assert_contains(r->out, want, r);
        r = NEXUS("help", cmds[i]);
        assert_exit(r, 0);
        assert_contains(r->out, want, r);
    }
    r = NEXUS("version");
    assert_exit(r, 0);
    assert_contains(r->out, "nexus " NX_VERSION_STRING, r);
    r = NEXUS("--json", "version");
    assert_exit(r, 0);
    assert_contains(r->out,
                    "{\"version\":\"" NX_VERSION_STRING "\",\"layout_version\":", r);
}

static void nodes_lists_this_process(void **state)
{
    (void)state;
    /* No registry yet: not an error, an empty list. */
    run_t *r = NEXUS("nodes");
    assert_exit(r, 0);
    assert_contains(r->err, "has no registry", r);
    r = NEXUS("nodes", "--json");
    assert_exit(r, 0);
    assert_contains(r->out, "\"registry\":false,\"nodes\":[]", r);

    nx_node_t *node = node_new("tnode");
    r = NEXUS("nodes");
    assert_exit(r, 0);
    char line[512], want[64];
    if (!find_line(r->out, "tnode ", line, sizeof line))
        fail_msg("no line for tnode:\n%s", r->out);
    snprintf(want, sizeof want, " %d ", (int)getpid());
    assert_contains(line, want, r);
    assert_contains(line, " alive ", r);
    assert_contains(line, " semaphore ", r);
    assert_contains(line, " 0/32 ", r);
    assert_contains(line, "/nexus.", r);
    assert_contains(r->out, "1 node (1 alive, 0 hung, 0 dead)", r);

    r = NEXUS("--json", "nodes");
    assert_exit(r, 0);
    snprintf(want, sizeof want, "\"name\":\"tnode\",\"pid\":%d,\"state\":\"alive\"",
             (int)getpid());
    assert_contains(r->out, want, r);
    assert_contains(r->out, "\"process_alive\":true", r);
    /* --domain after the command, and another domain: empty. */
    r = NEXUS("nodes", "--domain", "tool_nobody_here");
    assert_exit(r, 0);
    assert_lacks(r->out, "tnode", r);
    node_free(node);
}

static void topics_shows_subscriber_and_publisher(void **state)
{
    (void)state;
    nx_node_t *node = node_new("tnode");
    NX_ASSERT_OK(nx_subscribe(node, "grp", "t1", noop_cb, NULL));
    NX_ASSERT_OK(nx_publish(node, "grp", "t2", "x", 1)); /* registers the publisher */
    run_t *r = NEXUS("topics");
    assert_exit(r, 0);
    assert_contains(r->out, "2 topics", r);
    char line[512];
    if (!find_row(r->out, "grp", "t1", line, sizeof line))
        fail_msg("no line for grp/t1:\n%s", r->out);
    /* GROUP TOPIC TYPE FINGERPRINT PUBLISHERS SUBSCRIBERS */
    char g[64], t[64], type[64], fp[64], pubs[256], subs[256];
    assert_int_equal(
        sscanf(line, "%63s %63s %63s %63s %255s %255s", g, t, type, fp, pubs, subs), 6);
    assert_string_equal(type, "-");
    assert_string_equal(pubs, "-");
    assert_string_equal(subs, "tnode");
    if (!find_row(r->out, "grp", "t2", line, sizeof line))
        fail_msg("no line for grp/t2:\n%s", r->out);
    assert_int_equal(
        sscanf(line, "%63s %63s %63s %63s %255s %255s", g, t, type, fp, pubs, subs), 6);
    assert_string_equal(pubs, "tnode");
    assert_string_equal(subs, "-");

    r = NEXUS("topics", "--json");
    assert_exit(r, 0);
    char want[160];
    snprintf(want, sizeof want,
             "\"group\":\"grp\",\"name\":\"t1\",\"type\":null,\"fingerprint\":null,"
             "\"publishers\":[],\"subscribers\":[{\"slot\":");
    assert_contains(r->out, want, r);
    snprintf(want, sizeof want, "\"name\":\"tnode\",\"pid\":%d,\"alive\":true}]",
             (int)getpid());
    assert_contains(r->out, want, r);
    node_free(node);
}

static void stats_counts_messages_of_another_process(void **state)
{
    (void)state;
    const int count = 7;
    kid_t *k = kid_start(body_publisher, &count);
    assert_int_equal(kid_read(k, 15000), 'R');
    nx_node_t *node = node_new("tnode");
    NX_ASSERT_OK(nx_subscribe(node, "grp", "stats", inbox_cb, &inbox));
    kid_send(k, 'G');
    assert_int_equal(kid_read(k, 15000), 'D');
    inbox_wait(count, 10000);

    run_t *r = NEXUS("stats", "tnode");
    assert_exit(r, 0);
    assert_contains(r->out, "tnode (pid ", r);
    assert_contains(r->out, "1 queue in use of 32 (256 slots x 2048 bytes)", r);
    const char *q = strstr(r->out, " tpub ");
    if (!q)
        fail_msg("no queue from tpub:\n%s", r->out);
    /* SENDER PID CAPACITY PENDING SENT RECEIVED DROPPED REJECTED HIGH-WATER */
    char sender[64];
    int pid;
    unsigned cap;
    long long pending, sent, received, dropped, rejected, hw;
    assert_int_equal(sscanf(q, "%63s %d %u %lld %lld %lld %lld %lld %lld", sender, &pid,
                            &cap, &pending, &sent, &received, &dropped, &rejected, &hw),
                     9);
    assert_string_equal(sender, "tpub");
    assert_int_equal(pid, k->pid);
    assert_int_equal(cap, 256);
    assert_int_equal(pending, 0);
    assert_int_equal(sent, count);
    assert_int_equal(received, count);
    assert_int_equal(dropped, 0);
    assert_int_equal(rejected, 0);
    assert_true(hw >= 1 && hw <= count);

    r = NEXUS("stats", "--json");
    assert_exit(r, 0);
    char want[256];
    snprintf(want, sizeof want,
             "\"sender\":\"tpub\",\"sender_pid\":%d,\"sender_alive\":true,\"closed\":false,"
             "\"capacity\":256,\"pending\":0,\"sent\":%d,\"received\":%d,\"dropped\":0,"
             "\"rejected\":0",
             (int)k->pid, count, count);
    assert_contains(r->out, want, r);
    /* Both nodes are listed; tpub receives nothing. */
    assert_contains(r->out, "\"name\":\"tpub\"", r);

    r = NEXUS("stats", "nosuchnode");
    assert_exit(r, 1);
    assert_contains(r->err, "no node named 'nosuchnode'", r);

    kid_send(k, 'X');
    int status = kid_wait(k, 15000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    node_free(node);
}

static void echo_prints_three_messages(void **state)
{
    (void)state;
    run_t *echo = run_start((const char *const[]){"echo", "--group", "grp", "techo",
                                                  "--count", "3", "--timeout", "30", NULL});
    nx_node_t *node = node_new("tnode");
    wait_subscribers(node, "grp", "techo", 1);
    for (int i = 1; i <= 3; i++) {
        char msg[16];
        snprintf(msg, sizeof msg, "msg-%d", i);
        NX_ASSERT_OK(nx_publish(node, "grp", "techo", msg, strlen(msg)));
    }
    run_wait(echo, 30000);
    assert_exit(echo, 0);
    char want[128], line[512];
    for (int i = 1; i <= 3; i++) {
        snprintf(want, sizeof want, "seq=%d sender=tnode pid=%d size=5 latency=", i,
                 (int)getpid());
        if (!find_line(echo->out, want, line, sizeof line))
            fail_msg("no line '%s':\n%s", want, echo->out);
        snprintf(want, sizeof want, " data=6d 73 67 2d %02x |msg-%d|", '0' + i, i);
        assert_contains(line, want, echo);
    }
    assert_lacks(echo->out, "seq=4", echo);
    assert_contains(echo->err, "3 messages", echo);
    /* The echo node left: nobody subscribes any more. */
    size_t n = 1;
    NX_ASSERT_OK(nx_subscriber_count(node, "grp", "techo", &n));
    assert_int_equal(n, 0);

    /* JSON, every byte with --hex. */
    echo = run_start((const char *const[]){"--json", "echo", "tjson", "-n", "1", "--hex",
                                           "--timeout", "30", NULL});
    wait_subscribers(node, "", "tjson", 1);
    char big[40];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)i;
    NX_ASSERT_OK(nx_publish(node, "", "tjson", big, sizeof big));
    run_wait(echo, 30000);
    assert_exit(echo, 0);
    snprintf(want, sizeof want,
             "\"topic\":\"tjson\",\"seq\":1,\"sender\":\"tnode\","
             "\"sender_pid\":%d,\"size\":40,\"latency_ns\":",
             (int)getpid());
    assert_contains(echo->out, want, echo);
    assert_contains(echo->out,
                    "\"data\":\"000102030405060708090a0b0c0d0e0f10111213"
                    "1415161718191a1b1c1d1e1f2021222324252627\",\"truncated\":false",
                    echo);

    /* SIGINT ends it cleanly: exit 0, its segment gone. */
    echo = run_start((const char *const[]){"echo", "tint", NULL});
    wait_subscribers(node, "", "tint", 1);
    char seg[64];
    snprintf(seg, sizeof seg, "n.nexus-echo-%d.", (int)echo->pid);
    assert_int_equal(shm_count(seg), 1);
    kill(echo->pid, SIGINT);
    run_wait(echo, 30000);
    assert_exit(echo, 0);
    assert_contains(echo->err, "0 messages (interrupted)", echo);
    assert_int_equal(shm_count(seg), 0);

    /* --timeout before --count is reached: exit 1. */
    echo = NEXUS("echo", "tnothing", "--count", "1", "--timeout", "0.2");
    assert_exit(echo, 1);
    assert_contains(echo->err, "timed out", echo);
    node_free(node);
}

static void pub_delivers_to_this_process(void **state)
{
    (void)state;
    nx_node_t *node = node_new("tnode");
    NX_ASSERT_OK(nx_subscribe(node, "grp", "tpub", inbox_cb, &inbox));

    run_t *r = NEXUS("pub", "--group", "grp", "tpub", "--text", "hello", "--count", "2",
                     "--rate", "100");
    assert_exit(r, 0);
    assert_contains(r->out, "published 2 messages of 5 bytes to 'grp/tpub' (1 subscriber)",
                    r);
    inbox_wait(2, 10000);
    pthread_mutex_lock(&inbox.lock);
    assert_int_equal(inbox.last_size, 5);
    assert_memory_equal(inbox.last, "hello", 5);
    char want[64];
    snprintf(want, sizeof want, "nexus-pub-%d", (int)r->pid);
    assert_string_equal(inbox.sender, want);
    pthread_mutex_unlock(&inbox.lock);

    inbox_reset();
    r = NEXUS("pub", "-g", "grp", "tpub", "--hex", "de ad:BE 0xef", "--json");
    assert_exit(r, 0);
    assert_contains(r->out, "\"size\":4,\"subscribers\":1,\"published\":1,\"dropped\":0",
                    r);
    inbox_wait(1, 10000);
    pthread_mutex_lock(&inbox.lock);
    assert_int_equal(inbox.last_size, 4);
    assert_memory_equal(inbox.last, "\xde\xad\xbe\xef", 4);
    pthread_mutex_unlock(&inbox.lock);

    inbox_reset();
    char path[] = "/tmp/nexus-tool-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char payload[] = "from a file\n\x01\x02";
    assert_int_equal(write(fd, payload, sizeof payload - 1), (ssize_t)(sizeof payload - 1));
    close(fd);
    r = NEXUS("pub", "--group=grp", "tpub", "--file", path, "--count", "3", "--rate", "0");
    unlink(path);
    assert_exit(r, 0);
    inbox_wait(3, 10000);
    pthread_mutex_lock(&inbox.lock);
    assert_int_equal(inbox.last_size, sizeof payload - 1);
    assert_memory_equal(inbox.last, payload, sizeof payload - 1);
    pthread_mutex_unlock(&inbox.lock);

    /* Waiting for more subscribers than there are: exit 1, nothing sent. */
    inbox_reset();
    r = NEXUS("pub", "-g", "grp", "tpub", "--text", "x", "--wait-subscribers", "2",
              "--timeout", "0.3");
    assert_exit(r, 1);
    assert_contains(r->err, "1 of 2 subscribers", r);
    sleep_ms(100);
    assert_int_equal(atomic_load(&inbox.count), 0);
    /* A file that is not there: exit 1. */
    r = NEXUS("pub", "tpub", "--file", "/nonexistent/nexus-tool-test");
    assert_exit(r, 1);
    node_free(node);
}

/* Start `nexus echo` on a topic, wait until it is subscribed, kill -9 it. */
static pid_t start_and_kill_echo(nx_node_t *observer, const char *topic)
{
    run_t *echo = run_start((const char *const[]){"echo", (char *)topic, NULL});
    wait_subscribers(observer, "", topic, 1);
    kill(echo->pid, SIGKILL);
    run_wait(echo, 10000);
    assert_int_equal(echo->code, -1);
    return echo->pid;
}

static void clean_live_removes_killed_keeps_live(void **state)
{
    (void)state;
    nx_node_t *node = node_new("alive");
    pid_t dead = start_and_kill_echo(node, "tclean");
    char seg[64];
    snprintf(seg, sizeof seg, "n.nexus-echo-%d.", (int)dead);
    assert_int_equal(shm_count(seg), 1); /* left behind by the killed process */
    assert_int_equal(shm_count("n.alive."), 1);

    run_t *r = NEXUS("clean", "--dry-run");
    assert_exit(r, 0);
    char want[128];
    snprintf(want, sizeof want, "would remove  /nexus.%s.n.nexus-echo-%d.", domain,
             (int)dead);
    assert_contains(r->out, want, r);
    assert_int_equal(shm_count(seg), 1);

    r = NEXUS("clean");
    assert_exit(r, 0);
    snprintf(want, sizeof want, "removed  /nexus.%s.n.nexus-echo-%d.", domain, (int)dead);
    assert_contains(r->out, want, r);
    snprintf(want, sizeof want, "(process %d runs)", (int)getpid());
    assert_contains(r->out, want, r);
    assert_contains(r->out, "live nodes use it", r);
    assert_int_equal(shm_count(seg), 0);
    assert_int_equal(shm_count("n.alive."), 1);
    assert_int_equal(shm_count("registry"), 1);

    /* Nothing more to do; the live node still works. */
    r = NEXUS("clean", "--json");
    assert_exit(r, 0);
    assert_contains(r->out, "\"registry\":\"kept\",\"removed\":[]", r);
    r = NEXUS("nodes");
    assert_exit(r, 0);
    assert_contains(r->out, "1 node (1 alive, 0 hung, 0 dead)", r);
    node_free(node);
    /* The last node removed the registry itself. */
    assert_int_equal(shm_count(NULL), 0);
}

/* A child node that beats every 100 ms and counts as hung after 1 s. */
static void body_quick(int in, int out, const void *arg)
{
    (void)arg;
    nx_config_t cfg;
    nx_config_default(&cfg);
    cfg.node.heartbeat_ms = 100;
    cfg.node.heartbeat_timeout_ms = 1000;
    nx_node_t *node;
    if (nx_node_create("quick", &cfg, &node) != NX_OK)
        _exit(10);
    kid_byte(out, 'R');
    char c;
    while (read(in, &c, 1) < 0 && errno == EINTR) {
    }
    nx_node_destroy(node);
    _exit(0);
}

/* The state the snapshot API gives the node named name (-1: not listed). */
static int snapshot_state(const char *name)
{
    nx_snapshot_t *snap;
    NX_ASSERT_OK(nx_snapshot_take(domain, NULL, &snap));
    const nx_inspect_node_t *n = nx_snapshot_find_node(snap, name);
    int st = n ? (int)n->state : -1;
    nx_snapshot_free(snap);
    return st;
}

/* `nexus nodes --json` and `nexus stats --json` both say name is `state`. */
static void assert_tool_state(const char *name, pid_t pid, const char *state)
{
    char want[160];
    snprintf(want, sizeof want, "\"name\":\"%s\",\"pid\":%d,\"state\":\"%s\"", name,
             (int)pid, state);
    run_t *r = NEXUS("nodes", "--json");
    assert_exit(r, 0);
    assert_contains(r->out, want, r);
    r = NEXUS("stats", "--json");
    assert_exit(r, 0);
    assert_contains(r->out, want, r);
}

static void hung_nodes_and_stats_agree(void **state)
{
    (void)state;
    kid_t *k = kid_start(body_quick, NULL);
    assert_int_equal(kid_read(k, 15000), 'R');
    /* Stopped: its process runs, its heartbeat stops. */
    kill(k->pid, SIGSTOP);
    sleep_ms(1600);
    assert_int_equal(snapshot_state("quick"), NX_NODE_STATE_HUNG);
    assert_tool_state("quick", k->pid, "hung");
    run_t *r = NEXUS("nodes");
    assert_contains(r->out, "(0 alive, 1 hung, 0 dead)", r);
    assert_contains(r->out, "older than its heartbeat_timeout_ms", r);
    kill(k->pid, SIGCONT);
    long long end = now_ms() + 5000;
    while (snapshot_state("quick") != NX_NODE_STATE_ALIVE && now_ms() < end)
        sleep_ms(20);
    assert_int_equal(snapshot_state("quick"), NX_NODE_STATE_ALIVE);
    assert_tool_state("quick", k->pid, "alive");

    /* A healthy node with the default 1 s heartbeat and 5 s timeout is
     * alive for both commands whenever they look (stats once judged it
     * against a threshold that overflowed 32 bits to 0.7 s). */
    node_new("steady");
    for (int i = 0; i < 12; i++) {
        assert_tool_state("steady", getpid(), "alive");
        sleep_ms(120);
    }
    kid_send(k, 'q');
    int status = kid_wait(k, 15000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void hung_node_reported_and_kept_by_clean(void **state)
{
    (void)state;
    /* No node of this process: nobody reaps the stopped one meanwhile. */
    run_t *echo = run_start((const char *const[]){"echo", "thung", NULL});
    run_wait_err(echo, "listening", 15000);
    kill(echo->pid, SIGSTOP);
    sleep_ms(1600); /* heartbeat period 1 s: its beat is now > 600 ms old */
    run_t *r = NEXUS("nodes", "--hung-ms", "500");
    kill(echo->pid, SIGCONT);
    assert_exit(r, 0);
    char name[64], line[512];
    snprintf(name, sizeof name, "nexus-echo-%d", (int)echo->pid);
    if (!find_line(r->out, name, line, sizeof line))
        fail_msg("no line for %s:\n%s", name, r->out);
    assert_contains(line, " hung ", r);
    assert_contains(r->out, "hung: the process runs but its heartbeat is older than 500 ms",
                    r);
    /* With the default 5 s it is alive again. */
    r = NEXUS("nodes");
    assert_contains(r->out, "(1 alive, 0 hung, 0 dead)", r);

    /* clean never touches a living process, hung or not. */
    kill(echo->pid, SIGSTOP);
    r = NEXUS("clean");
    kill(echo->pid, SIGCONT);
    assert_exit(r, 0);
    char want[128];
    snprintf(want, sizeof want, "(process %d runs)", (int)echo->pid);
    assert_contains(r->out, want, r);
    assert_contains(r->out, "removed 0 objects, kept 2", r);
    assert_int_equal(shm_count(NULL), 2);

    kill(echo->pid, SIGTERM);
    run_wait(echo, 15000);
    assert_exit(echo, 0);
    assert_int_equal(shm_count(NULL), 0);
}

static void clean_dead_removes_everything(void **state)
{
    (void)state;
    kid_t *k = kid_start(body_victim, NULL);
    assert_int_equal(kid_read(k, 15000), 'R');
    pid_t victim = k->pid;
    int status = kid_wait(k, 15000);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(shm_count("n.victim."), 1);
    assert_int_equal(shm_count("registry"), 1);

    /* nodes shows it dead, topics still lists its subscription. */
    run_t *r = NEXUS("nodes");
    assert_exit(r, 0);
    char line[512], want[160];
    if (!find_line(r->out, "victim ", line, sizeof line))
        fail_msg("no line for victim:\n%s", r->out);
    snprintf(want, sizeof want, " %d ", (int)victim);
    assert_contains(line, want, r);
    assert_contains(line, " dead ", r);
    assert_contains(r->out, "dead: the process is gone", r);
    r = NEXUS("topics");
    assert_exit(r, 0);
    if (!find_row(r->out, "grp", "vt", line, sizeof line))
        fail_msg("no line for grp/vt:\n%s", r->out);
    assert_contains(line, " victim(dead)", r);
    r = NEXUS("nodes", "--json");
    snprintf(want, sizeof want,
             "\"name\":\"victim\",\"pid\":%d,\"state\":\"dead\","
             "\"process_alive\":false",
             (int)victim);
    assert_contains(r->out, want, r);
    r = NEXUS("domains");
    assert_exit(r, 0);
    if (!find_line(r->out, domain, line, sizeof line))
        fail_msg("no line for %s:\n%s", domain, r->out);
    char dom[64], reg[64];
    unsigned live, dead, topics, objects;
    assert_int_equal(
        sscanf(line, "%63s %u %u %u %u %63s", dom, &live, &dead, &topics, &objects, reg),
        6);
    assert_int_equal(live, 0);
    assert_int_equal(dead, 1);
    assert_int_equal(topics, 1);
    assert_int_equal(objects, 2);
    assert_string_equal(reg, "ok");

    r = NEXUS("clean", "--dry-run");
    assert_exit(r, 0);
    snprintf(want, sizeof want,
             "would drop    registry entry 'victim' (process %d is gone)", (int)victim);
    assert_contains(r->out, want, r);
    snprintf(want, sizeof want, "would remove  /nexus.%s.registry (no live node left)",
             domain);
    assert_contains(r->out, want, r);
    assert_int_equal(shm_count(NULL), 2);

    r = NEXUS("clean", "--json");
    assert_exit(r, 0);
    snprintf(want, sizeof want, "{\"domain\":\"%s\",\"registry\":\"removed\"", domain);
    assert_contains(r->out, want, r);
    assert_contains(r->out, "\"entries_dropped\":[\"victim\"],\"ok\":true", r);
    assert_int_equal(shm_count(NULL), 0);

    /* The domain is gone: a second clean has nothing to do. */
    r = NEXUS("clean");
    assert_exit(r, 0);
    assert_contains(r->out, "nothing to clean", r);
}

static void clean_force_removes_live_objects(void **state)
{
    (void)state;
    nx_node_t *node = node_new("alive");
    NX_ASSERT_OK(nx_subscribe(node, "", "t", noop_cb, NULL));
    assert_int_equal(shm_count(NULL), 2);
    run_t *r = NEXUS("clean", "--force", "--dry-run");
    assert_exit(r, 0);
    assert_contains(r->err, "warning: --force would remove 2 objects", r);
    assert_contains(r->err, "alive (pid", r);
    assert_int_equal(shm_count(NULL), 2);
    r = NEXUS("clean", "--force");
    assert_exit(r, 0);
    assert_contains(r->err, "warning", r);
    char want[128];
    snprintf(want, sizeof want, "removed  /nexus.%s.registry (--force)", domain);
    assert_contains(r->out, want, r);
    assert_int_equal(shm_count(NULL), 0);
    /* The node whose objects went still leaves without trouble. */
    node_free(node);
    assert_int_equal(shm_count(NULL), 0);
}

/* Create the domain's registry with the given bytes. */
static void fake_registry(const void *data, size_t size, size_t total)
{
    char name[64];
    snprintf(name, sizeof name, "/nexus.%s.registry", domain);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)total), 0);
    if (size)
        assert_int_equal(pwrite(fd, data, size, 0), (ssize_t)size);
    close(fd);
}

static void corrupt_registry_reported_and_forced_out(void **state)
{
    (void)state;
    /* Garbage: wrong magic. */
    static uint8_t junk[1 << 20];
    memset(junk, 0xab, sizeof junk);
    fake_registry(junk, 4096, sizeof junk);
    run_t *r = NEXUS("nodes");
    assert_exit(r, 1);
    assert_contains(r->err, "failed validation: wrong magic 0xabababababababab", r);
    assert_contains(r->err, "nexus clean --force --domain", r);
    assert_exit(NEXUS("topics"), 1);
    assert_exit(NEXUS("stats"), 1);
    r = NEXUS("domains", "--json");
    assert_exit(r, 0);
    char want[128];
    snprintf(want, sizeof want,
             "{\"domain\":\"%s\",\"registry\":\"bad\",\"problem\":", domain);
    assert_contains(r->out, want, r);
    r = NEXUS("clean");
    assert_exit(r, 1);
    assert_contains(r->out, "failed validation; --force removes it", r);
    assert_int_equal(shm_count("registry"), 1);
    r = NEXUS("clean", "--force");
    assert_exit(r, 0);
    assert_int_equal(shm_count(NULL), 0);

    /* Right magic, another layout version. */
    struct {
        uint64_t magic;
        uint32_t version;
    } hdr = {UINT64_C(0x3147455258454e4e), 99};
    fake_registry(&hdr, sizeof hdr, sizeof junk);
    r = NEXUS("nodes");
    assert_exit(r, 1);
    assert_contains(r->err, "layout version 99", r);
    r = NEXUS("pub", "t", "--text", "x");
    assert_exit(r, 1);
    assert_contains(r->err, "cannot join domain", r);
    assert_exit(NEXUS("clean", "--force"), 0);

    /* Empty: created but never sized. */
    fake_registry(NULL, 0, 0);
    r = NEXUS("nodes");
    assert_exit(r, 1);
    assert_contains(r->err, "only 0 bytes long", r);
    assert_exit(NEXUS("clean", "--force"), 0);
    assert_int_equal(shm_count(NULL), 0);
}

/* ---- hostile shared memory ------------------------------------------------------ */

/* Run nx_hostile: a hostile registry and segments in our domain. */
static void make_hostile_domain(void)
{
    char *argv[] = {(char *)hostile_bin, (char *)domain, NULL};
    assert_int_equal(nx_proc_run(argv, 10000), 0);
}

static void assert_sane_run(const run_t *r)
{
    if (r->code != 0 && r->code != 1)
        fail_msg("exit status %d; stderr:\n%s", r->code, r->err);
    if (strstr(r->err, "Sanitizer") || strstr(r->err, "runtime error"))
        fail_msg("sanitizer report:\n%s", r->err);
    for (size_t i = 0; i < r->out_len; i++) {
        unsigned char c = (unsigned char)r->out[i];
        if ((c < 0x20 && c != '\n') || c >= 0x7f)
            fail_msg("byte 0x%02x at %zu of stdout:\n%s", c, i, r->out);
    }
}

static void hostile_registry_and_segments_never_crash(void **state)
{
    (void)state;
    make_hostile_domain();

    const char *const cmds[][4] = {
        {"nodes", NULL},
        {"--json", "nodes", NULL},
        {"topics", NULL},
        {"--json", "topics", NULL},
        {"stats", NULL},
        {"--json", "stats", NULL},
        {"stats", "queues", NULL},
        {"domains", NULL},
        {"--json", "domains", NULL},
        {"clean", "--dry-run", NULL},
        {"--json", "clean", "--dry-run", NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        assert_sane_run(run_sync(cmds[i]));
    run_t *r = NEXUS("--json", "stats");
    assert_contains(r->out, "\"pending\":null", r); /* head < tail: impossible */
    assert_contains(r->out, "impossible geometry", r);
    assert_contains(r->out, "impossible offsets", r);
    assert_contains(r->out, "wrong magic", r);
    assert_contains(r->out, "only 10 bytes long", r);
    assert_contains(r->out, "is not a node segment name", r);
    assert_contains(r->out, "belongs to pid 1 incarnation 8", r);
    /* Bounds that wrap around 2^64 are refused too. */
    char want[160];
    snprintf(want, sizeof want,
             "\"segment\":\"/nexus.%s.n.wrap.1.0\",\"problem\":"
             "\"impossible offsets",
             domain);
    assert_contains(r->out, want, r);
    /* The runtime's own clean copes too; --force leaves nothing. */
    assert_sane_run(NEXUS("clean"));
    assert_exit(NEXUS("clean", "--force"), 0);
    assert_int_equal(shm_count(NULL), 0);
}

static void domains_lists_live_domain(void **state)
{
    (void)state;
    nx_node_t *node = node_new("tnode");
    NX_ASSERT_OK(nx_subscribe(node, "g", "t", noop_cb, NULL));
    run_t *r = NEXUS("domains");
    assert_exit(r, 0);
    assert_contains(r->out, "DOMAIN", r);
    char line[512];
    if (!find_line(r->out, domain, line, sizeof line))
        fail_msg("no line for %s:\n%s", domain, r->out);
    char dom[64], reg[64];
    unsigned live, dead, topics, objects;
    assert_int_equal(
        sscanf(line, "%63s %u %u %u %u %63s", dom, &live, &dead, &topics, &objects, reg),
        6);
    assert_string_equal(dom, domain);
    assert_int_equal(live, 1);
    assert_int_equal(dead, 0);
    assert_int_equal(topics, 1);
    assert_int_equal(objects, 2);
    assert_string_equal(reg, "ok");
    r = NEXUS("--json", "domains");
    assert_exit(r, 0);
    char want[160];
    snprintf(want, sizeof want,
             "{\"domain\":\"%s\",\"registry\":\"ok\",\"live_nodes\":1,"
             "\"dead_nodes\":0,\"topics\":1,\"objects\":2}",
             domain);
    assert_contains(r->out, want, r);
    /* A dry run over every domain only reads. */
    r = NEXUS("clean", "--all-domains", "--dry-run");
    assert_contains(r->out, domain, r);
    assert_int_equal(shm_count(NULL), 2);
    node_free(node);
}

/* The rough edges a new user hit (issue 17), each fixed. */
static void rough_edges_fixed(void **state)
{
    (void)state;
    /* -vv is a cluster of two -v (debug), before or after the command. */
    run_t *r = NEXUS("-vv", "nodes");
    assert_exit(r, 0);
    assert_lacks(r->err, "unknown option", r);
    r = NEXUS("nodes", "-vv");
    assert_exit(r, 0);
    r = NEXUS("-vx", "nodes");
    assert_exit(r, 2);
    assert_contains(r->err, "'-x' is not an option", r);
    r = NEXUS("-dfoo", "nodes");
    assert_exit(r, 2);
    assert_contains(r->err, "write '-d foo'", r);

    /* One problem, one error line. */
    r = NEXUS("stats", "nosuchnode");
    assert_exit(r, 1);
    assert_contains(r->err, "no node named 'nosuchnode'", r);
    assert_contains(r->err, "has no registry", r);
    assert_int_equal(strchr(r->err, '\n') - r->err + 1, (long)strlen(r->err));

    /* -n is --count (echo, pub); clean refuses it and names --dry-run. */
    r = NEXUS("clean", "-n");
    assert_exit(r, 2);
    assert_contains(r->err, "write --dry-run", r);
    assert_exit(NEXUS("echo", "t", "-n", "0"), 2); /* a count, and 0 is not one */

    /* An unknown command gets the closest one. */
    r = NEXUS("nods");
    assert_exit(r, 2);
    assert_contains(r->err, "unknown command 'nods'; did you mean 'nodes'?", r);
    r = NEXUS("stat");
    assert_contains(r->err, "did you mean 'stats'?", r);
    r = NEXUS("help", "ehco");
    assert_exit(r, 2);
    assert_contains(r->err, "did you mean 'echo'?", r);
    r = NEXUS("xyzzy");
    assert_exit(r, 2);
    assert_lacks(r->err, "did you mean", r);

    /* A NEXUS_CONFIG that does not load is an error, not a fallback to
     * the domain 'default'. */
    unsetenv("NEXUS_DOMAIN");
    char path[64];
    snprintf(path, sizeof path, "/tmp/nexus-tool-%d.yaml", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("domain: fine\nnode:\n  queue_capacity: 100\n", f);
    fclose(f);
    setenv("NEXUS_CONFIG", path, 1);
    r = NEXUS("nodes");
    run_t *missing = NULL;
    setenv("NEXUS_CONFIG", "/nonexistent/nexus.yaml", 1);
    missing = NEXUS("nodes");
    unsetenv("NEXUS_CONFIG");
    setenv("NEXUS_DOMAIN", domain, 1);
    unlink(path);
    assert_exit(r, 2);
    assert_contains(r->err, "NEXUS_CONFIG does not load", r);
    assert_contains(r->err, ":3: node.queue_capacity", r);
    assert_lacks(r->err, "default", r);
    assert_int_equal(r->out_len, 0);
    assert_exit(missing, 2);
    assert_contains(missing->err, "/nonexistent/nexus.yaml", missing);
    assert_int_equal(shm_count(NULL), 0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PATH-TO-nexus PATH-TO-nx_hostile [GROUP]\n", argv[0]);
        return 2;
    }
    nexus_bin = argv[1];
    hostile_bin = argv[2];
    unsetenv("NEXUS_CONFIG");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(usage_errors_exit_2, setup, teardown),
        cmocka_unit_test_setup_teardown(help_and_version_exit_0, setup, teardown),
        cmocka_unit_test_setup_teardown(nodes_lists_this_process, setup, teardown),
        cmocka_unit_test_setup_teardown(services_lists_server_and_types, setup, teardown),
        cmocka_unit_test_setup_teardown(topics_shows_subscriber_and_publisher, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(stats_counts_messages_of_another_process, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(echo_prints_three_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(pub_delivers_to_this_process, setup, teardown),
        cmocka_unit_test_setup_teardown(clean_live_removes_killed_keeps_live, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(hung_node_reported_and_kept_by_clean, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(hung_nodes_and_stats_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(clean_dead_removes_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(clean_force_removes_live_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_registry_reported_and_forced_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(hostile_registry_and_segments_never_crash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(domains_lists_live_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(rough_edges_fixed, setup, teardown),
    };
    if (argc > 3) {
        /* Meson's group names are the first word of the test names. */
        static char filter[64];
        snprintf(filter, sizeof filter, "%s*", argv[3]);
        cmocka_set_test_filter(filter);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
