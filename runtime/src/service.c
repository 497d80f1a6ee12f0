/*
 * service.c: request/response between nodes (nexus/service.h).
 * (Entry points only so far: the transport follows.)
 */
#include <nexus/service.h>

nx_err_t nx_service_serve(nx_node_t *node, const nx_service_desc_t *svc,
                          nx_serve_dispatch_fn dispatch, nx_generic_fn fn, void *user)
{
    (void)user;
    if (!node || !svc || !dispatch || !fn)
        return NX_EINVAL;
    return NX_ENOTINIT;
}

nx_err_t nx_service_unserve(nx_node_t *node, const nx_service_desc_t *svc)
{
    if (!node || !svc)
        return NX_EINVAL;
    return NX_ENOTFOUND;
}

nx_err_t nx_service_call(nx_node_t *node, const nx_service_desc_t *svc, const void *req,
                         void *rep, uint32_t timeout_ms)
{
    (void)timeout_ms;
    if (!node || !svc || !req || !rep)
        return NX_EINVAL;
    return NX_ENOTFOUND;
}

nx_err_t nx_service_call_async(nx_node_t *node, const nx_service_desc_t *svc,
                               const void *req, nx_reply_dispatch_fn dispatch,
                               nx_generic_fn fn, void *user, uint32_t timeout_ms)
{
    (void)user;
    (void)timeout_ms;
    if (!node || !svc || !req || !dispatch || !fn)
        return NX_EINVAL;
    return NX_ENOTFOUND;
}
