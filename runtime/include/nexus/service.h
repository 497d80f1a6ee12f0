/*
 * nexus/service.h: request/response between nodes ("services").
 *
 * A service has a name, a request type and a reply type. One node of the
 * domain serves it; any node calls it, from any thread, also from inside
 * a subscription callback or a service handler. A call sends the request
 * to the server's node only, and the reply goes to the calling node only
 * (never broadcast), matched to its call by a 64-bit correlation id that
 * a late or forged reply cannot confuse. In the same process the call is
 * a direct call of the handler.
 *
 * nexus-idlc generates typed wrappers for every `service` of a schema
 * (NIDL.md, "Services"): `pkg_svc_serve`, `pkg_svc_call`, ... which call
 * these functions with the service's descriptor. They can also be used
 * without generated code: fill an nx_service_desc_t by hand (the type
 * descriptors need only name, size and fingerprint).
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef NEXUS_SERVICE_H
#define NEXUS_SERVICE_H

#include <nexus/node.h>
#include <nexus/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest service name, in characters (without the NUL). */
#define NX_SERVICE_NAME_MAX 120

/** The group under which services appear among the topics of a domain
 *  (nx_snapshot_topic()): not a valid group name, so no topic meets them. */
#define NX_SERVICE_GROUP "@svc"

/** Default call timeout when neither the call nor the service gives one. */
#define NX_SERVICE_TIMEOUT_MS 1000u

/** A service declared in a schema (or filled in by hand). */
typedef struct nx_service_desc {
    const char *name; /**< "pkg/path/add", 1..NX_SERVICE_NAME_MAX of [A-Za-z0-9_/.-] */
    const nx_type_desc_t *request; /**< the request message type */
    const nx_type_desc_t *reply;   /**< the reply message type */
    uint32_t timeout_ms;           /**< default call timeout; 0: NX_SERVICE_TIMEOUT_MS */
} nx_service_desc_t;

/**
 * Generated adapter: call the typed handler `fn` (cast back to its real
 * type) with a validated request and the reply to fill. Returns the
 * handler's result.
 */
typedef nx_err_t (*nx_serve_dispatch_fn)(const void *req, void *rep,
                                         const nx_msg_info_t *info, nx_generic_fn fn,
                                         void *user);

/**
 * Generated adapter for asynchronous calls: call the typed reply callback
 * `fn` with the call's status and, when it is NX_OK, the validated reply
 * (NULL otherwise).
 */
typedef void (*nx_reply_dispatch_fn)(nx_err_t status, const void *rep,
                                     const nx_msg_info_t *info, nx_generic_fn fn,
                                     void *user);

/**
 * Serve `svc` on this node. Requests run `dispatch(req, rep, info, fn,
 * user)` on the node's receive thread (in-process callers: on their own
 * thread), with `rep` zero-filled; NX_OK sends `rep` back, any other code
 * is what the caller's call returns. A handler may itself call services
 * (also of the calling node) and publish.
 *
 * @param[in] svc  Borrowed: must outlive the service (generated
 *                 descriptors are static).
 * @retval NX_OK      Served; callers find it at once.
 * @retval NX_EEXIST  Another live node serves it (this node too).
 * @retval NX_ETYPE   It is known with other request or reply types: the
 *                    log names both fingerprints.
 * @retval NX_EINVAL  Bad node, descriptor, name or NULL dispatch/fn.
 * @retval NX_ELIMIT  The registry's topic table is full.
 * @retval NX_EFORK   The node was inherited across fork().
 */
NX_API nx_err_t nx_service_serve(nx_node_t *node, const nx_service_desc_t *svc,
                                 nx_serve_dispatch_fn dispatch, nx_generic_fn fn,
                                 void *user);

/**
 * Stop serving `svc`. When this returns the handler is not running and
 * will not run again; calls waiting for it return NX_ENOTFOUND.
 * @retval NX_OK, NX_ENOTFOUND (not served by this node), NX_EINVAL, NX_EFORK
 */
NX_API nx_err_t nx_service_unserve(nx_node_t *node, const nx_service_desc_t *svc);

/**
 * Call `svc`: send `req` to its server and wait for the reply in `rep`.
 *
 * @param[in]  req         A value of svc->request, borrowed for the call.
 * @param[out] rep         Filled with the reply on NX_OK; untouched otherwise.
 * @param[in]  timeout_ms  0: the service's timeout_ms (or
 *                         NX_SERVICE_TIMEOUT_MS).
 * @retval NX_OK        `rep` holds the reply.
 * @retval NX_ENOTFOUND Nobody serves it, or the server died, left or was
 *                      reaped as hung while we waited (seen within tens of
 *                      milliseconds of a crash: not after the timeout).
 * @retval NX_ETIMEOUT  No reply within the timeout (the server is slow or
 *                      stopped). A reply that comes later is dropped and
 *                      counted (nx_node_stats(): late_replies).
 * @retval NX_ETYPE     The server's request or reply type differs (the log
 *                      names both fingerprints).
 * @retval NX_EINVAL    Bad arguments, or `req` fails its type's validation.
 * @retval NX_ECORRUPT  The reply failed validation (counted, dropped).
 * @retval other        What the server's handler returned.
 */
NX_API nx_err_t nx_service_call(nx_node_t *node, const nx_service_desc_t *svc,
                                const void *req, void *rep, uint32_t timeout_ms);

/**
 * Call `svc` without waiting: `dispatch(status, rep, info, fn, user)` runs
 * exactly once, later, on the node's receive thread (an in-process server:
 * on the thread that calls, before this returns), with the statuses of
 * nx_service_call(). When this returns an error nothing was sent and the
 * callback does not run.
 *
 * @retval NX_OK        Sent; the callback will run exactly once.
 * @retval NX_ENOTFOUND, NX_ETYPE, NX_EINVAL, NX_ENOMEM  Not sent; the
 *                      callback will not run.
 */
NX_API nx_err_t nx_service_call_async(nx_node_t *node, const nx_service_desc_t *svc,
                                      const void *req, nx_reply_dispatch_fn dispatch,
                                      nx_generic_fn fn, void *user, uint32_t timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_SERVICE_H */
