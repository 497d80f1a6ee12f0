/*
 * test_service.c: services (nexus/service.h), in one process and across
 * real processes (nx_svc_peer): replies matched to their calls under load,
 * a server killed (NX_ENOTFOUND within 100 ms, then a restarted server is
 * called without restarting the clients), a stopped server (NX_ETIMEOUT at
 * the call's timeout), a second server (NX_EEXIST), types that differ
 * (NX_ETYPE), late replies dropped and counted, two nodes calling each
 * other from inside their handlers.
 *
 * usage: test_service PATH-TO-nx_svc_peer [CALLS-PER-CLIENT]
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

#include <nexus/nexus.h>

#include "nx_proc.h"
#include "nx_test.h"

static const char *peer;
static const char *domain;
static unsigned calls_per_client = 10000;

#define PEER(...) ((char *const[]){(char *)peer, __VA_ARGS__, NULL})
#define start     nx_proc_spawn

typedef struct msg {
    int64_t v;
    uint32_t client;
    uint32_t seq;
} msg_t;

static nx_err_t validate_msg(const void *m)
{
    return ((const msg_t *)m)->v == -1 ? NX_ECORRUPT : NX_OK;
}

/* The same types as nx_svc_peer. */
static const nx_type_desc_t req_type = {.name = "svctest.Req",
                                        .size = sizeof(msg_t),
                                        .align = 8,
                                        .fingerprint = 0x5eed0001u,
                                        .validate = validate_msg};
static const nx_type_desc_t rep_type = {.name = "svctest.Rep",
                                        .size = sizeof(msg_t),
                                        .align = 8,
                                        .fingerprint = 0x5eed0002u,
                                        .validate = validate_msg};
static const nx_type_desc_t other_type = {
    .name = "svctest.Other", .size = sizeof(msg_t), .align = 8, .fingerprint = 0x0dd};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int setup(void **state)
{
    (void)state;
    domain = nx_proc_domain("svc");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(nx_proc_finish(domain), 0);
    return 0;
}

static nx_node_t *make_node(const char *name)
{
    nx_config_t c;
    nx_config_default(&c);
    snprintf(c.domain, sizeof c.domain, "%s", domain);
    c.node.heartbeat_ms = 100;
    c.node.heartbeat_timeout_ms = 2000;
    nx_node_t *n;
    NX_ASSERT_OK(nx_node_create(name, &c, &n));
    return n;
}

/* ---- typed adapters, as generated code has them ------------------------ */

typedef nx_err_t (*handler_fn)(const msg_t *req, msg_t *rep, const nx_msg_info_t *info,
                               void *user);
typedef void (*reply_fn)(nx_err_t status, const msg_t *rep, const nx_msg_info_t *info,
                         void *user);

static nx_err_t serve_dispatch(const void *req, void *rep, const nx_msg_info_t *info,
                               nx_generic_fn fn, void *user)
{
    return ((handler_fn)(void (*)(void))fn)(req, rep, info, user);
}

static void reply_dispatch(nx_err_t status, const void *rep, const nx_msg_info_t *info,
                           nx_generic_fn fn, void *user)
{
    ((reply_fn)(void (*)(void))fn)(status, rep, info, user);
}

#define GENERIC(f) ((nx_generic_fn)(void (*)(void))(f))

static nx_err_t on_double(const msg_t *req, msg_t *rep, const nx_msg_info_t *info,
                          void *user)
{
    (void)info;
    if (user)
        (*(int *)user)++;
    if (req->v == 13)
        return NX_EBUSY; /* a handler's own error goes back to the caller */
    if (req->v == 99)
        rep->v = -1; /* an invalid reply: never leaves */
    else
        rep->v = req->v * 2 + 1;
    rep->client = req->client;
    rep->seq = req->seq;
    return NX_OK;
}

/* ---- in one process ---------------------------------------------------- */

typedef struct async_result {
    int runs;
    nx_err_t status;
    int64_t v;
} async_result_t;

static void on_reply(nx_err_t status, const msg_t *rep, const nx_msg_info_t *info,
                     void *user)
{
    (void)info;
    async_result_t *r = user;
    r->runs++;
    r->status = status;
    r->v = rep ? rep->v : 0;
}

static void service_in_process(void **state)
{
    (void)state;
    nx_node_t *server = make_node("server"), *client = make_node("client");
    nx_service_desc_t d = {.name = "t/double", .request = &req_type, .reply = &rep_type};
    msg_t req = {.v = 20}, rep = {0};

    /* Nobody serves it yet. */
    NX_ASSERT_ERR(NX_ENOTFOUND, nx_service_call(client, &d, &req, &rep, 100));
    int handled = 0;
    NX_ASSERT_OK(
        nx_service_serve(server, &d, serve_dispatch, GENERIC(on_double), &handled));
    /* One server per service, this node included. */
    NX_ASSERT_ERR(NX_EEXIST,
                  nx_service_serve(client, &d, serve_dispatch, GENERIC(on_double), NULL));
    NX_ASSERT_ERR(NX_EEXIST,
                  nx_service_serve(server, &d, serve_dispatch, GENERIC(on_double), NULL));

    NX_ASSERT_OK(nx_service_call(client, &d, &req, &rep, 0));
    assert_int_equal(rep.v, 41);
    assert_int_equal(handled, 1);
    /* A node may call its own service. */
    NX_ASSERT_OK(nx_service_call(server, &d, &req, &rep, 0));
    assert_int_equal(handled, 2);

    /* The handler's error is the call's result; rep is left alone. */
    msg_t keep = {.v = 555};
    req.v = 13;
    NX_ASSERT_ERR(NX_EBUSY, nx_service_call(client, &d, &req, &keep, 0));
    assert_int_equal(keep.v, 555);
    /* An invalid request never leaves; an invalid reply never arrives. */
    req.v = -1;
    NX_ASSERT_ERR(NX_EINVAL, nx_service_call(client, &d, &req, &keep, 0));
    req.v = 99;
    NX_ASSERT_ERR(NX_ECORRUPT, nx_service_call(client, &d, &req, &keep, 0));
    assert_int_equal(keep.v, 555);

    /* Other types: refused, naming both (in the log). */
    nx_service_desc_t wrong = d;
    wrong.request = &other_type;
    req.v = 1;
    NX_ASSERT_ERR(NX_ETYPE, nx_service_call(client, &wrong, &req, &rep, 0));
    wrong = d;
    wrong.reply = &other_type;
    NX_ASSERT_ERR(NX_ETYPE, nx_service_call(client, &wrong, &req, &rep, 0));

    /* Asynchronous, in process: the callback runs before the call returns. */
    async_result_t r = {0};
    req.v = 4;
    NX_ASSERT_OK(
        nx_service_call_async(client, &d, &req, reply_dispatch, GENERIC(on_reply), &r, 0));
    assert_int_equal(r.runs, 1);
    NX_ASSERT_OK(r.status);
    assert_int_equal(r.v, 9);

    /* Bad arguments. */
    NX_ASSERT_ERR(NX_EINVAL, nx_service_call(NULL, &d, &req, &rep, 0));
    NX_ASSERT_ERR(NX_EINVAL, nx_service_call(client, NULL, &req, &rep, 0));
    nx_service_desc_t bad = d;
    bad.name = "no spaces";
    NX_ASSERT_ERR(NX_EINVAL, nx_service_call(client, &bad, &req, &rep, 0));
    NX_ASSERT_ERR(NX_EINVAL,
                  nx_service_serve(server, &bad, serve_dispatch, GENERIC(on_double), NULL));

    /* Unserved: gone for callers; a second unserve finds nothing. */
    NX_ASSERT_OK(nx_service_unserve(server, &d));
    NX_ASSERT_ERR(NX_ENOTFOUND, nx_service_unserve(server, &d));
    NX_ASSERT_ERR(NX_ENOTFOUND, nx_service_call(client, &d, &req, &rep, 100));
    /* ... and another node may serve it now. */
    NX_ASSERT_OK(nx_service_serve(client, &d, serve_dispatch, GENERIC(on_double), NULL));
    NX_ASSERT_OK(nx_service_call(server, &d, &req, &rep, 0));
    assert_int_equal(rep.v, 9);

    nx_node_stats_t st;
    NX_ASSERT_OK(nx_node_stats(client, &st));
    assert_int_equal(st.calls, 4); /* those that found a server of their types */
    assert_int_equal(st.late_replies, 0);
    nx_node_destroy(client);
    nx_node_destroy(server);
}

/* ---- across processes --------------------------------------------------- */

static void stop_ok(nx_proc_t *p, const char *who)
{
    nx_proc_signal(p, SIGCONT);
    nx_proc_signal(p, SIGTERM);
    int rc = nx_proc_wait(p, 60000);
    if (rc != 0)
        fail_msg("%s exited %d:\n%s", who, rc, p->buf);
}

static nx_proc_t *start_server(const char *node, const char *delay_ms)
{
    nx_proc_t *s = start(PEER("serve", "--node", (char *)node, "--service", "t/double",
                              "--delay-ms", (char *)delay_ms));
    if (!nx_proc_wait_line(s, "READY", 10000))
        fail_msg("server did not start:\n%s", s->buf);
    return s;
}

static void service_four_clients_every_reply_matches(void **state)
{
    (void)state;
    nx_proc_t *s = start_server("server", "0");
    char count[16];
    snprintf(count, sizeof count, "%u", calls_per_client);
    nx_proc_t *c[4];
    for (int i = 0; i < 4; i++) {
        char node[16], client[8];
        snprintf(node, sizeof node, "client%d", i);
        snprintf(client, sizeof client, "%d", i);
        c[i] = start(PEER("call", "--node", node, "--service", "t/double", "--count", count,
                          "--client", client, "--timeout-ms", "10000"));
    }
    for (int i = 0; i < 4; i++) {
        int rc = nx_proc_wait(c[i], 300000);
        if (rc != 0 || nx_proc_field(c[i], "CALLS", "ok") != calls_per_client)
            fail_msg("client %d (exit %d):\n%s", i, rc, c[i]->buf);
        assert_int_equal(nx_proc_field(c[i], "CALLS", "bad"), 0);
    }
    stop_ok(s, "server");
    assert_int_equal(nx_proc_field(s, "SERVED", "count"), 4 * (long long)calls_per_client);
}

/* The number after `key` in the first line starting with prefix. */
static void service_killed_server_ends_calls_then_a_new_one_serves(void **state)
{
    (void)state;
    nx_proc_t *s = start_server("server", "3000"); /* every call takes 3 s */
    nx_proc_t *c = start(PEER("call", "--node", "client", "--service", "t/double",
                              "--count", "2", "--timeout-ms", "20000", "--until-ok"));
    assert_true(nx_proc_wait_line(c, "READY", 10000));
    usleep(500000); /* the first call is pending now */
    uint64_t killed = now_ms();
    nx_proc_signal(s, SIGKILL);
    nx_proc_wait(s, 5000);
    /* The call returns NX_ENOTFOUND within 100 ms of the death. */
    uint64_t t0 = now_ms();
    while (nx_proc_field(c, "RET", "at_ms") < 0 && now_ms() - t0 < 5000)
        nx_proc_wait_line(c, "never", 50);
    long long at = nx_proc_field(c, "RET", "at_ms");
    if (at < 0)
        fail_msg("the pending call did not return:\n%s", c->buf);
    assert_non_null(strstr(c->buf, "RET status=NX_ENOTFOUND"));
    printf("# call ended %lld ms after the server was killed\n", at - (long long)killed);
    assert_true(at - (long long)killed <= 100);
    /* A new server: the same client calls it, without a restart. */
    nx_proc_t *s2 = start_server("server", "0");
    int rc = nx_proc_wait(c, 60000);
    if (rc != 0)
        fail_msg("client after the restart (exit %d):\n%s", rc, c->buf);
    assert_true(nx_proc_field(c, "RECOVERED", "after_ms") >= 0);
    assert_int_equal(nx_proc_field(c, "CALLS", "ok"), 2);
    stop_ok(s2, "new server");
}

static void service_stopped_server_times_out(void **state)
{
    (void)state;
    nx_proc_t *s = start_server("server", "0");
    nx_proc_signal(s, SIGSTOP);
    nx_proc_t *c = start(PEER("call", "--node", "client", "--service", "t/double",
                              "--count", "1", "--timeout-ms", "300"));
    int rc = nx_proc_wait(c, 30000);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(c->buf, "RET status=NX_ETIMEOUT"));
    long long elapsed = nx_proc_field(c, "RET", "elapsed_ms");
    printf("# call to a stopped server ended after %lld ms (timeout 300)\n", elapsed);
    assert_true(elapsed >= 290 && elapsed < 1500);
    stop_ok(s, "server");
}

static void service_second_server_and_other_types_refused(void **state)
{
    (void)state;
    nx_proc_t *s = start_server("server", "0");
    nx_proc_t *s2 = start(PEER("serve", "--node", "server2", "--service", "t/double"));
    int rc = nx_proc_wait(s2, 10000);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(s2->buf, "SERVE NX_EEXIST"));
    /* A caller whose request type differs: refused. */
    nx_proc_t *c = start(PEER("call", "--node", "client", "--service", "t/double",
                              "--count", "1", "--fingerprint", "0x1234"));
    assert_int_equal(nx_proc_wait(c, 10000), 0);
    assert_int_equal(nx_proc_field(c, "CALLS", "type"), 1);
    stop_ok(s, "server");
    assert_int_equal(nx_proc_field(s, "SERVED", "count"), 0);
}

/* A reply that comes after its call gave up is dropped and counted, never
 * delivered to the next call. */
static void service_late_reply_dropped_and_counted(void **state)
{
    (void)state;
    nx_proc_t *s = start_server("server", "400");
    nx_node_t *client = make_node("client");
    nx_service_desc_t d = {.name = "t/double", .request = &req_type, .reply = &rep_type};
    msg_t req = {.v = 1, .seq = 1}, rep = {0};
    NX_ASSERT_ERR(NX_ETIMEOUT, nx_service_call(client, &d, &req, &rep, 100));
    /* The next call gets its own reply, not the first one's. */
    req.v = 7;
    req.seq = 2;
    NX_ASSERT_OK(nx_service_call(client, &d, &req, &rep, 5000));
    assert_int_equal(rep.v, 15);
    assert_int_equal(rep.seq, 2);
    nx_node_stats_t st;
    NX_ASSERT_OK(nx_node_stats(client, &st));
    assert_int_equal(st.late_replies, 1);

    /* Asynchronous: the callback runs once, on time, then again never. */
    async_result_t r = {0};
    req.v = 3;
    NX_ASSERT_OK(nx_service_call_async(client, &d, &req, reply_dispatch, GENERIC(on_reply),
                                       &r, 5000));
    for (int i = 0; i < 500 && r.runs == 0; i++)
        usleep(10000);
    assert_int_equal(r.runs, 1);
    NX_ASSERT_OK(r.status);
    assert_int_equal(r.v, 7);
    async_result_t t = {0};
    NX_ASSERT_OK(nx_service_call_async(client, &d, &req, reply_dispatch, GENERIC(on_reply),
                                       &t, 100));
    for (int i = 0; i < 500 && t.runs == 0; i++)
        usleep(10000);
    assert_int_equal(t.runs, 1);
    assert_int_equal(t.status, NX_ETIMEOUT);
    usleep(600000);
    assert_int_equal(t.runs, 1);
    NX_ASSERT_OK(nx_node_stats(client, &st));
    assert_int_equal(st.late_replies, 2);
    nx_node_destroy(client);
    stop_ok(s, "server");
}

/* Two nodes that call each other from inside their handlers, both ways at
 * once: a -> b -> a and b -> a -> b, each calls-per-client times. */
static void service_nodes_calling_each_other_from_handlers(void **state)
{
    (void)state;
    nx_proc_t *a = start(PEER("chain", "--node", "a", "--other", "b"));
    nx_proc_t *b = start(PEER("chain", "--node", "b", "--other", "a"));
    assert_true(nx_proc_wait_line(a, "READY", 10000));
    assert_true(nx_proc_wait_line(b, "READY", 10000));
    char count[16];
    snprintf(count, sizeof count, "%u", calls_per_client);
    nx_proc_t *ca = start(PEER("chaincall", "--node", "ca", "--service", "a/x", "--count",
                               count, "--add", "5"));
    nx_proc_t *cb = start(PEER("chaincall", "--node", "cb", "--service", "b/x", "--count",
                               count, "--add", "5", "--client", "1"));
    int ra = nx_proc_wait(ca, 600000), rb = nx_proc_wait(cb, 600000);
    if (ra != 0 || rb != 0)
        fail_msg("chains (exit %d, %d):\n%s\n%s\n%s\n%s", ra, rb, ca->buf, cb->buf, a->buf,
                 b->buf);
    assert_int_equal(nx_proc_field(ca, "CALLS", "ok"), calls_per_client);
    assert_int_equal(nx_proc_field(cb, "CALLS", "ok"), calls_per_client);
    stop_ok(a, "node a");
    stop_ok(b, "node b");
    assert_int_equal(nx_proc_field(a, "CHAIN", "errors"), 0);
    assert_int_equal(nx_proc_field(b, "CHAIN", "errors"), 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-nx_svc_peer [CALLS-PER-CLIENT]\n", argv[0]);
        return 2;
    }
    peer = argv[1];
    if (argc > 2)
        calls_per_client = (unsigned)atoi(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(service_in_process, setup, teardown),
        cmocka_unit_test_setup_teardown(service_four_clients_every_reply_matches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            service_killed_server_ends_calls_then_a_new_one_serves, setup, teardown),
        cmocka_unit_test_setup_teardown(service_stopped_server_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(service_second_server_and_other_types_refused,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(service_late_reply_dropped_and_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(service_nodes_calling_each_other_from_handlers,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
