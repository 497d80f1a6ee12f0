/*
 * test_generated_service.c: the code nexus-idlc generates for `service`
 * declarations (tests/golden/services.nidl, package `math`), compiled with
 * strict warnings (see meson.build) and checked without a server: the
 * descriptors against idlc's own view of the schema, and the typed
 * wrappers against the runtime entry points they must call.
 *
 * The runtime's nx_service_* functions are wrapped at link time
 * (-Wl,--wrap=nx_service_serve, ...): the generated code's calls land in
 * the __wrap_ functions below, which record their arguments, so a test can
 * check what the wrapper passed and then call the generated static
 * adapter (the nx_serve_dispatch_fn or nx_reply_dispatch_fn it handed
 * over) directly, as the runtime would. A call with a NULL node goes on
 * to the real runtime (__real_), which must refuse it.
 *
 *   test_generated_service GOLDEN-DIR SCHEMAS-DIR
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "services.nidl.h"

#include "nidl/nidl.h"

static const char *golden_dir;
static const char *schemas_dir;

#define NX_CHECK(want, expr)                                                               \
    do {                                                                                   \
        nx_err_t e_ = (expr);                                                              \
        if (e_ != (want))                                                                  \
            fail_msg("%s -> %d, want %d", #expr, (int)e_, (int)(want));                    \
    } while (0)

/* ---- the runtime, wrapped ------------------------------------------------------ */

nx_err_t __real_nx_service_serve(nx_node_t *node, const nx_service_desc_t *svc,
                                 nx_serve_dispatch_fn dispatch, nx_generic_fn fn,
                                 void *user);
nx_err_t __real_nx_service_unserve(nx_node_t *node, const nx_service_desc_t *svc);
nx_err_t __real_nx_service_call(nx_node_t *node, const nx_service_desc_t *svc,
                                const void *req, void *rep, uint32_t timeout_ms);
nx_err_t __real_nx_service_call_async(nx_node_t *node, const nx_service_desc_t *svc,
                                      const void *req, nx_reply_dispatch_fn dispatch,
                                      nx_generic_fn fn, void *user, uint32_t timeout_ms);
nx_err_t __wrap_nx_service_serve(nx_node_t *node, const nx_service_desc_t *svc,
                                 nx_serve_dispatch_fn dispatch, nx_generic_fn fn,
                                 void *user);
nx_err_t __wrap_nx_service_unserve(nx_node_t *node, const nx_service_desc_t *svc);
nx_err_t __wrap_nx_service_call(nx_node_t *node, const nx_service_desc_t *svc,
                                const void *req, void *rep, uint32_t timeout_ms);
nx_err_t __wrap_nx_service_call_async(nx_node_t *node, const nx_service_desc_t *svc,
                                      const void *req, nx_reply_dispatch_fn dispatch,
                                      nx_generic_fn fn, void *user, uint32_t timeout_ms);

/* What the last wrapped call received. */
static struct {
    int calls;
    const char *entry;
    nx_node_t *node;
    const nx_service_desc_t *svc;
    nx_serve_dispatch_fn serve_dispatch;
    nx_reply_dispatch_fn reply_dispatch;
    nx_generic_fn fn;
    void *user;
    const void *req;
    void *rep;
    uint32_t timeout_ms;
    nx_err_t result; /* what the wrapper returns */
} seen;

static void seen_reset(nx_err_t result)
{
    memset(&seen, 0, sizeof seen);
    seen.result = result;
}

nx_err_t __wrap_nx_service_serve(nx_node_t *node, const nx_service_desc_t *svc,
                                 nx_serve_dispatch_fn dispatch, nx_generic_fn fn,
                                 void *user)
{
    if (node == NULL)
        return __real_nx_service_serve(node, svc, dispatch, fn, user);
    seen.calls++;
    seen.entry = "serve";
    seen.node = node;
    seen.svc = svc;
    seen.serve_dispatch = dispatch;
    seen.fn = fn;
    seen.user = user;
    return seen.result;
}

nx_err_t __wrap_nx_service_unserve(nx_node_t *node, const nx_service_desc_t *svc)
{
    if (node == NULL)
        return __real_nx_service_unserve(node, svc);
    seen.calls++;
    seen.entry = "unserve";
    seen.node = node;
    seen.svc = svc;
    return seen.result;
}

nx_err_t __wrap_nx_service_call(nx_node_t *node, const nx_service_desc_t *svc,
                                const void *req, void *rep, uint32_t timeout_ms)
{
    if (node == NULL)
        return __real_nx_service_call(node, svc, req, rep, timeout_ms);
    seen.calls++;
    seen.entry = "call";
    seen.node = node;
    seen.svc = svc;
    seen.req = req;
    seen.rep = rep;
    seen.timeout_ms = timeout_ms;
    return seen.result;
}

nx_err_t __wrap_nx_service_call_async(nx_node_t *node, const nx_service_desc_t *svc,
                                      const void *req, nx_reply_dispatch_fn dispatch,
                                      nx_generic_fn fn, void *user, uint32_t timeout_ms)
{
    if (node == NULL)
        return __real_nx_service_call_async(node, svc, req, dispatch, fn, user, timeout_ms);
    seen.calls++;
    seen.entry = "call_async";
    seen.node = node;
    seen.svc = svc;
    seen.req = req;
    seen.reply_dispatch = dispatch;
    seen.fn = fn;
    seen.user = user;
    seen.timeout_ms = timeout_ms;
    return seen.result;
}

/* A node handle the wrappers pass along but never dereference. */
static int node_storage;
#define FAKE_NODE ((nx_node_t *)(void *)&node_storage)

/* ---- typed handlers and callbacks ------------------------------------------------ */

/* What the last typed handler or reply callback received. */
static struct {
    int calls;
    const char *which;
    const void *req;
    const void *rep;
    const nx_msg_info_t *info;
    void *user;
    nx_err_t status;
} got;

static nx_err_t add_handler(const math_AddRequest *req, math_AddReply *rep,
                            const nx_msg_info_t *info, void *user)
{
    got.calls++;
    got.which = "add";
    got.req = req;
    got.rep = rep;
    got.info = info;
    got.user = user;
    if (req->a == 13)
        return NX_EBUSY; /* an error of the handler: the caller's result */
    rep->sum = req->a + req->b;
    return NX_OK;
}

static nx_err_t add_slowly_handler(const math_AddRequest *req, math_AddReply *rep,
                                   const nx_msg_info_t *info, void *user)
{
    got.calls++;
    got.which = "add_slowly";
    got.req = req;
    got.rep = rep;
    got.info = info;
    got.user = user;
    rep->sum = req->a - req->b;
    return NX_OK;
}

static nx_err_t echo_handler(const golden_base_Ping *req, golden_base_Ping *rep,
                             const nx_msg_info_t *info, void *user)
{
    got.calls++;
    got.which = "echo";
    got.req = req;
    got.rep = rep;
    got.info = info;
    got.user = user;
    rep->seq = req->seq + 1;
    return NX_OK;
}

static void add_reply(nx_err_t status, const math_AddReply *rep, const nx_msg_info_t *info,
                      void *user)
{
    got.calls++;
    got.which = "add_reply";
    got.status = status;
    got.rep = rep;
    got.info = info;
    got.user = user;
}

static void echo_reply(nx_err_t status, const golden_base_Ping *rep,
                       const nx_msg_info_t *info, void *user)
{
    got.calls++;
    got.which = "echo_reply";
    got.status = status;
    got.rep = rep;
    got.info = info;
    got.user = user;
}

/* ---- tests --------------------------------------------------------------------- */

static void check_against_idlc(const nidl_schema_t *s, const char *name,
                               const nx_service_desc_t *d)
{
    nidl_service_info_t info;
    assert_int_equal(nidl_schema_service_info(s, name, &info), 0);
    assert_string_equal(d->name, info.wire_name);
    assert_string_equal(d->request->name, info.request);
    assert_string_equal(d->reply->name, info.reply);
    assert_int_equal(d->timeout_ms, info.timeout_ms);
    assert_true(strlen(d->name) <= NX_SERVICE_NAME_MAX);
}

static void generated_service_descriptors(void **state)
{
    (void)state;
    /* Defaults: the package path and the service's name; the runtime's
     * default timeout. */
    assert_string_equal(math_add_service.name, "math/add");
    assert_ptr_equal(math_add_service.request, &math_AddRequest_desc);
    assert_ptr_equal(math_add_service.reply, &math_AddReply_desc);
    assert_int_equal(math_add_service.timeout_ms, NX_SERVICE_TIMEOUT_MS);
    assert_int_equal(math_add_service.timeout_ms, 1000);
    /* Both properties, the timeout a constant expression (SLOW_MS * 2). */
    assert_string_equal(math_add_slowly_service.name, "calc/add-slowly.v2");
    assert_ptr_equal(math_add_slowly_service.request, &math_AddRequest_desc);
    assert_ptr_equal(math_add_slowly_service.reply, &math_AddReply_desc);
    assert_int_equal(math_add_slowly_service.timeout_ms, 500);
    /* Types of an imported package, the same for request and reply. */
    assert_string_equal(math_echo_service.name, "math/echo");
    assert_ptr_equal(math_echo_service.request, &golden_base_Ping_desc);
    assert_ptr_equal(math_echo_service.reply, &golden_base_Ping_desc);
    assert_int_equal(math_echo_service.timeout_ms, 3600000);
    /* The message descriptors they point to are the generated ones. */
    assert_string_equal(math_add_service.request->name, "math.AddRequest");
    assert_int_equal(math_add_service.request->fingerprint, MATH_ADDREQUEST_TYPE_ID);
    assert_int_equal(math_add_service.reply->fingerprint, MATH_ADDREPLY_TYPE_ID);
    assert_int_equal(math_add_service.request->size, sizeof(math_AddRequest));

    nidl_ctx_t *ctx = nidl_ctx_create();
    assert_non_null(ctx);
    nidl_ctx_add_include_dir(ctx, schemas_dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/services.nidl", golden_dir);
    const nidl_schema_t *s = nidl_load_file(ctx, path);
    assert_non_null(s);
    check_against_idlc(s, "add", &math_add_service);
    check_against_idlc(s, "add_slowly", &math_add_slowly_service);
    check_against_idlc(s, "echo", &math_echo_service);
    nidl_service_info_t info;
    assert_int_equal(nidl_schema_service_info(s, "AddRequest", &info), -1);
    nidl_ctx_destroy(ctx);
}

static void generated_serve_hands_the_runtime_an_adapter_to_the_handler(void **state)
{
    (void)state;
    int user = 0;
    seen_reset(NX_OK);
    NX_CHECK(NX_OK, math_add_serve(FAKE_NODE, add_handler, &user));
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.entry, "serve");
    assert_ptr_equal(seen.node, FAKE_NODE);
    assert_ptr_equal(seen.svc, &math_add_service);
    assert_true(seen.fn == (nx_generic_fn)add_handler);
    assert_ptr_equal(seen.user, &user);
    assert_non_null(seen.serve_dispatch);

    /* The runtime calls the adapter with untyped pointers: the typed
     * handler gets the same pointers, and its result comes back. */
    math_AddRequest req;
    math_AddRequest_init(&req);
    req.a = 40;
    req.b = 2;
    math_AddReply rep;
    math_AddReply_init(&rep);
    nx_msg_info_t info;
    memset(&info, 0, sizeof info);
    memset(&got, 0, sizeof got);
    NX_CHECK(NX_OK, seen.serve_dispatch(&req, &rep, &info, seen.fn, seen.user));
    assert_int_equal(got.calls, 1);
    assert_string_equal(got.which, "add");
    assert_ptr_equal(got.req, &req);
    assert_ptr_equal(got.rep, &rep);
    assert_ptr_equal(got.info, &info);
    assert_ptr_equal(got.user, &user);
    assert_int_equal(rep.sum, 42);
    req.a = 13;
    NX_CHECK(NX_EBUSY, seen.serve_dispatch(&req, &rep, &info, seen.fn, seen.user));
    assert_int_equal(got.calls, 2);

    /* The runtime's refusal is the wrapper's result. */
    seen_reset(NX_EEXIST);
    NX_CHECK(NX_EEXIST, math_add_serve(FAKE_NODE, add_handler, NULL));
    assert_null(seen.user);
}

static void generated_serve_of_each_service_has_its_own_descriptor(void **state)
{
    (void)state;
    /* add and add_slowly share their types but not their descriptor. */
    seen_reset(NX_OK);
    NX_CHECK(NX_OK, math_add_slowly_serve(FAKE_NODE, add_slowly_handler, NULL));
    assert_ptr_equal(seen.svc, &math_add_slowly_service);
    math_AddRequest req = {.a = 5, .b = 7};
    math_AddReply rep = {.sum = 0};
    memset(&got, 0, sizeof got);
    NX_CHECK(NX_OK, seen.serve_dispatch(&req, &rep, NULL, seen.fn, seen.user));
    assert_string_equal(got.which, "add_slowly");
    assert_int_equal(rep.sum, -2);
    assert_null(got.info);

    seen_reset(NX_OK);
    int user = 0;
    NX_CHECK(NX_OK, math_echo_serve(FAKE_NODE, echo_handler, &user));
    assert_ptr_equal(seen.svc, &math_echo_service);
    golden_base_Ping ping = {.seq = 9}, pong = {.seq = 0};
    memset(&got, 0, sizeof got);
    NX_CHECK(NX_OK, seen.serve_dispatch(&ping, &pong, NULL, seen.fn, seen.user));
    assert_string_equal(got.which, "echo");
    assert_ptr_equal(got.req, &ping);
    assert_ptr_equal(got.rep, &pong);
    assert_ptr_equal(got.user, &user);
    assert_int_equal(pong.seq, 10);

    seen_reset(NX_OK);
    NX_CHECK(NX_OK, math_add_unserve(FAKE_NODE));
    assert_string_equal(seen.entry, "unserve");
    assert_ptr_equal(seen.svc, &math_add_service);
    seen_reset(NX_ENOTFOUND);
    NX_CHECK(NX_ENOTFOUND, math_echo_unserve(FAKE_NODE));
    assert_ptr_equal(seen.svc, &math_echo_service);
}

static void generated_call_passes_its_arguments_through(void **state)
{
    (void)state;
    math_AddRequest req = {.a = 1, .b = 2};
    math_AddReply rep = {.sum = 0};
    seen_reset(NX_OK);
    NX_CHECK(NX_OK, math_add_call(FAKE_NODE, &req, &rep, 0));
    assert_string_equal(seen.entry, "call");
    assert_ptr_equal(seen.svc, &math_add_service);
    assert_ptr_equal(seen.req, &req);
    assert_ptr_equal(seen.rep, &rep);
    assert_int_equal(seen.timeout_ms, 0); /* the runtime applies the default */
    seen_reset(NX_ETIMEOUT);
    NX_CHECK(NX_ETIMEOUT, math_add_slowly_call(FAKE_NODE, &req, &rep, 77));
    assert_ptr_equal(seen.svc, &math_add_slowly_service);
    assert_int_equal(seen.timeout_ms, 77);
    golden_base_Ping ping = {.seq = 1}, pong = {.seq = 0};
    seen_reset(NX_ENOTFOUND);
    NX_CHECK(NX_ENOTFOUND, math_echo_call(FAKE_NODE, &ping, &pong, 5));
    assert_ptr_equal(seen.svc, &math_echo_service);
    assert_ptr_equal(seen.req, &ping);
    assert_ptr_equal(seen.rep, &pong);
}

static void generated_call_async_hands_the_runtime_an_adapter_to_the_callback(void **state)
{
    (void)state;
    int user = 0;
    math_AddRequest req = {.a = 3, .b = 4};
    seen_reset(NX_OK);
    NX_CHECK(NX_OK, math_add_call_async(FAKE_NODE, &req, add_reply, &user, 250));
    assert_string_equal(seen.entry, "call_async");
    assert_ptr_equal(seen.svc, &math_add_service);
    assert_ptr_equal(seen.req, &req);
    assert_true(seen.fn == (nx_generic_fn)add_reply);
    assert_ptr_equal(seen.user, &user);
    assert_int_equal(seen.timeout_ms, 250);
    assert_non_null(seen.reply_dispatch);

    /* A reply: the callback gets the status and the same pointers. */
    math_AddReply rep = {.sum = 7};
    nx_msg_info_t info;
    memset(&info, 0, sizeof info);
    memset(&got, 0, sizeof got);
    seen.reply_dispatch(NX_OK, &rep, &info, seen.fn, seen.user);
    assert_int_equal(got.calls, 1);
    assert_string_equal(got.which, "add_reply");
    assert_int_equal(got.status, NX_OK);
    assert_ptr_equal(got.rep, &rep);
    assert_ptr_equal(got.info, &info);
    assert_ptr_equal(got.user, &user);
    /* No reply: the status and NULL. */
    seen.reply_dispatch(NX_ETIMEOUT, NULL, NULL, seen.fn, seen.user);
    assert_int_equal(got.calls, 2);
    assert_int_equal(got.status, NX_ETIMEOUT);
    assert_null(got.rep);
    assert_null(got.info);

    golden_base_Ping ping = {.seq = 1};
    seen_reset(NX_OK);
    NX_CHECK(NX_OK, math_echo_call_async(FAKE_NODE, &ping, echo_reply, NULL, 0));
    assert_ptr_equal(seen.svc, &math_echo_service);
    golden_base_Ping pong = {.seq = 2};
    memset(&got, 0, sizeof got);
    seen.reply_dispatch(NX_OK, &pong, NULL, seen.fn, seen.user);
    assert_string_equal(got.which, "echo_reply");
    assert_ptr_equal(got.rep, &pong);
    assert_null(got.user);
}

static void generated_service_wrappers_reach_the_runtime(void **state)
{
    (void)state;
    /* A NULL node goes on to the real entry points, which refuse it. */
    seen_reset(NX_OK);
    math_AddRequest req = {.a = 1, .b = 1};
    math_AddReply rep = {.sum = 5};
    NX_CHECK(NX_EINVAL, math_add_serve(NULL, add_handler, NULL));
    NX_CHECK(NX_EINVAL, math_add_unserve(NULL));
    NX_CHECK(NX_EINVAL, math_add_call(NULL, &req, &rep, 0));
    assert_int_equal(rep.sum, 5); /* untouched on failure */
    NX_CHECK(NX_EINVAL, math_add_call_async(NULL, &req, add_reply, NULL, 0));
    assert_int_equal(seen.calls, 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_generated_service GOLDEN-DIR SCHEMAS-DIR\n");
        return 2;
    }
    golden_dir = argv[1];
    schemas_dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_service_descriptors),
        cmocka_unit_test(generated_serve_hands_the_runtime_an_adapter_to_the_handler),
        cmocka_unit_test(generated_serve_of_each_service_has_its_own_descriptor),
        cmocka_unit_test(generated_call_passes_its_arguments_through),
        cmocka_unit_test(generated_call_async_hands_the_runtime_an_adapter_to_the_callback),
        cmocka_unit_test(generated_service_wrappers_reach_the_runtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
