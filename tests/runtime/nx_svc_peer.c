/*
 * nx_svc_peer: one side of a multi-process service test (test_service.c),
 * using the public service API with hand-made descriptors (no generated
 * code).
 *
 *   nx_svc_peer serve --node N --service S [--delay-ms D] [--fingerprint F]
 *       serve S: reply.v = 2 * req.v + 1, client and seq echoed; print
 *       READY, then on SIGTERM "SERVED count=C" and "DONE ok"
 *   nx_svc_peer call --node N --service S --count K [--client I]
 *                    [--timeout-ms T] [--fingerprint F] [--until-ok]
 *       K calls with v = seq * 3 + client; each reply checked; prints
 *       "RET status=NAME at_ms=M elapsed_ms=E" for every call that failed
 *       (and, with --until-ok, retries until one succeeds, then prints
 *       "RECOVERED after=R"), then
 *       "CALLS ok=O bad=B notfound=N timeout=T type=Y other=X" and DONE
 *   nx_svc_peer chain --node A --other B
 *       serve A/x, A/y and A/z: x(v) calls B/y(v+1), y(v) calls B/z(v+1)
 *       (so A/x -> B/y -> A/z: each node calls the other from inside a
 *       handler), z(v) = v+1, and each of x, y adds 1 to what it got:
 *       calling A/x with v returns v+5
 *   nx_svc_peer chaincall --node C --service S --count K --add A
 *       K calls of S, expecting v + A
 */
#include <nexus/nexus.h>

#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct msg {
    int64_t v;
    uint32_t client;
    uint32_t seq;
} msg_t;

static nx_type_desc_t req_type = {
    .name = "svctest.Req", .size = sizeof(msg_t), .align = 8, .fingerprint = 0x5eed0001u};
static nx_type_desc_t rep_type = {
    .name = "svctest.Rep", .size = sizeof(msg_t), .align = 8, .fingerprint = 0x5eed0002u};

static struct {
    const char *mode, *node, *service, *other;
    uint32_t count, client, timeout_ms, delay_ms;
    uint64_t fingerprint;
    int64_t add;
    bool until_ok;
} opt = {.count = 1, .add = 5};

static atomic_bool stop_requested;
static atomic_uint_fast64_t served;
static nx_node_t *self;

static void on_term(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, true);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The typed shape generated code would have, and its adapters. */
typedef nx_err_t (*handler_fn)(const msg_t *req, msg_t *rep, const nx_msg_info_t *info,
                               void *user);

static nx_err_t serve_dispatch(const void *req, void *rep, const nx_msg_info_t *info,
                               nx_generic_fn fn, void *user)
{
    return ((handler_fn)(void (*)(void))fn)(req, rep, info, user);
}

static nx_service_desc_t desc_of(const char *name)
{
    nx_service_desc_t d = {.name = name, .request = &req_type, .reply = &rep_type};
    return d;
}

static nx_err_t on_double(const msg_t *req, msg_t *rep, const nx_msg_info_t *info,
                          void *user)
{
    (void)info;
    (void)user;
    if (opt.delay_ms)
        usleep(opt.delay_ms * 1000u);
    rep->v = req->v * 2 + 1;
    rep->client = req->client;
    rep->seq = req->seq;
    atomic_fetch_add(&served, 1);
    return NX_OK;
}

static int run_serve(void)
{
    nx_service_desc_t d = desc_of(opt.service);
    nx_err_t err = nx_service_serve(self, &d, serve_dispatch,
                                    (nx_generic_fn)(void (*)(void))on_double, NULL);
    if (err != NX_OK) {
        printf("SERVE %s\n", nx_err_name(err));
        printf("DONE fail\n");
        return 1;
    }
    printf("READY\n");
    while (!atomic_load(&stop_requested))
        usleep(10000);
    printf("SERVED count=%" PRIu64 "\n", (uint64_t)atomic_load(&served));
    printf("DONE ok\n");
    return 0;
}

static int run_call(void)
{
    nx_service_desc_t d = desc_of(opt.service);
    d.timeout_ms = opt.timeout_ms;
    uint64_t ok = 0, bad = 0, notfound = 0, timeout = 0, type = 0, other = 0;
    printf("READY\n");
    for (uint32_t seq = 0; seq < opt.count && !atomic_load(&stop_requested); seq++) {
        msg_t req = {.v = (int64_t)seq * 3 + opt.client, .client = opt.client, .seq = seq};
        msg_t rep;
        memset(&rep, 0xee, sizeof rep);
        uint64_t t0 = now_ms();
        nx_err_t err = nx_service_call(self, &d, &req, &rep, 0);
        if (err == NX_OK) {
            if (rep.v == req.v * 2 + 1 && rep.client == req.client && rep.seq == req.seq)
                ok++;
            else
                bad++;
            continue;
        }
        uint64_t t1 = now_ms();
        printf("RET status=%s at_ms=%" PRIu64 " elapsed_ms=%" PRIu64 "\n", nx_err_name(err),
               t1, t1 - t0);
        notfound += err == NX_ENOTFOUND;
        timeout += err == NX_ETIMEOUT;
        type += err == NX_ETYPE;
        other += err != NX_ENOTFOUND && err != NX_ETIMEOUT && err != NX_ETYPE;
        if (opt.until_ok) {
            /* The server went: call again until one is back. */
            uint64_t r0 = now_ms();
            while (!atomic_load(&stop_requested) &&
                   (err = nx_service_call(self, &d, &req, &rep, 0)) != NX_OK)
                usleep(10000);
            if (err == NX_OK && rep.v == req.v * 2 + 1) {
                ok++;
                printf("RECOVERED after_ms=%" PRIu64 "\n", now_ms() - r0);
            }
        }
    }
    printf("CALLS ok=%" PRIu64 " bad=%" PRIu64 " notfound=%" PRIu64 " timeout=%" PRIu64
           " type=%" PRIu64 " other=%" PRIu64 "\n",
           ok, bad, notfound, timeout, type, other);
    printf("DONE %s\n", bad ? "fail" : "ok");
    return bad ? 1 : 0;
}

/* ---- chain: two nodes calling each other from inside their handlers ---- */

static char name_x[64], name_y[64], name_z[64], other_y[64], other_z[64];
static atomic_uint_fast64_t chain_errors;

static nx_err_t chain_next(const char *service, const msg_t *req, msg_t *rep)
{
    nx_service_desc_t d = desc_of(service);
    msg_t next = *req;
    next.v = req->v + 1;
    nx_err_t err = nx_service_call(self, &d, &next, rep, 5000);
    if (err != NX_OK) {
        atomic_fetch_add(&chain_errors, 1);
        return err;
    }
    rep->v += 1;
    return NX_OK;
}

static nx_err_t on_x(const msg_t *req, msg_t *rep, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    return chain_next(other_y, req, rep);
}

static nx_err_t on_y(const msg_t *req, msg_t *rep, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    return chain_next(other_z, req, rep);
}

static nx_err_t on_z(const msg_t *req, msg_t *rep, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    *rep = *req;
    rep->v = req->v + 1;
    return NX_OK;
}

static int run_chain(void)
{
    snprintf(name_x, sizeof name_x, "%s/x", opt.node);
    snprintf(name_y, sizeof name_y, "%s/y", opt.node);
    snprintf(name_z, sizeof name_z, "%s/z", opt.node);
    snprintf(other_y, sizeof other_y, "%s/y", opt.other);
    snprintf(other_z, sizeof other_z, "%s/z", opt.other);
    static nx_service_desc_t dx, dy, dz;
    dx = desc_of(name_x);
    dy = desc_of(name_y);
    dz = desc_of(name_z);
    if (nx_service_serve(self, &dx, serve_dispatch, (nx_generic_fn)(void (*)(void))on_x,
                         NULL) != NX_OK ||
        nx_service_serve(self, &dy, serve_dispatch, (nx_generic_fn)(void (*)(void))on_y,
                         NULL) != NX_OK ||
        nx_service_serve(self, &dz, serve_dispatch, (nx_generic_fn)(void (*)(void))on_z,
                         NULL) != NX_OK) {
        printf("DONE fail serve\n");
        return 1;
    }
    printf("READY\n");
    while (!atomic_load(&stop_requested))
        usleep(10000);
    printf("CHAIN errors=%" PRIu64 "\n", (uint64_t)atomic_load(&chain_errors));
    printf("DONE ok\n");
    return 0;
}

static int run_chaincall(void)
{
    nx_service_desc_t d = desc_of(opt.service);
    uint64_t ok = 0, bad = 0, failed = 0;
    printf("READY\n");
    for (uint32_t seq = 0; seq < opt.count && !atomic_load(&stop_requested); seq++) {
        msg_t req = {.v = (int64_t)seq * 7, .client = opt.client, .seq = seq}, rep;
        nx_err_t err = nx_service_call(self, &d, &req, &rep, 10000);
        if (err != NX_OK) {
            if (failed++ < 5)
                printf("RET status=%s seq=%u\n", nx_err_name(err), seq);
            continue;
        }
        if (rep.v == req.v + opt.add && rep.seq == seq)
            ok++;
        else
            bad++;
    }
    printf("CALLS ok=%" PRIu64 " bad=%" PRIu64 " failed=%" PRIu64 "\n", ok, bad, failed);
    printf("DONE %s\n", bad || failed ? "fail" : "ok");
    return bad || failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nx_svc_peer serve|call|chain|chaincall [options]\n");
        return 2;
    }
    opt.mode = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--until-ok")) {
            opt.until_ok = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "nx_svc_peer: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--node"))
            opt.node = v;
        else if (!strcmp(a, "--service"))
            opt.service = v;
        else if (!strcmp(a, "--other"))
            opt.other = v;
        else if (!strcmp(a, "--count"))
            opt.count = (uint32_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--client"))
            opt.client = (uint32_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--timeout-ms"))
            opt.timeout_ms = (uint32_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--delay-ms"))
            opt.delay_ms = (uint32_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--fingerprint"))
            opt.fingerprint = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--add"))
            opt.add = strtoll(v, NULL, 0);
        else {
            fprintf(stderr, "nx_svc_peer: unknown option %s\n", a);
            return 2;
        }
    }
    if (!opt.node) {
        fprintf(stderr, "nx_svc_peer: --node is required\n");
        return 2;
    }
    if (opt.fingerprint)
        req_type.fingerprint = opt.fingerprint;
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    nx_config_t c;
    nx_config_default(&c);
    c.node.heartbeat_ms = 100;
    c.node.heartbeat_timeout_ms = 2000;
    nx_err_t err = nx_node_create(opt.node, &c, &self);
    if (err != NX_OK) {
        printf("DONE fail create %s\n", nx_err_name(err));
        return 1;
    }
    int rc = 2;
    if (!strcmp(opt.mode, "serve") && opt.service)
        rc = run_serve();
    else if (!strcmp(opt.mode, "call") && opt.service)
        rc = run_call();
    else if (!strcmp(opt.mode, "chain") && opt.other)
        rc = run_chain();
    else if (!strcmp(opt.mode, "chaincall") && opt.service)
        rc = run_chaincall();
    else
        fprintf(stderr, "nx_svc_peer: bad mode or missing option\n");
    nx_node_destroy(self);
    return rc;
}
