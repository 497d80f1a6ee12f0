/* Placeholder until the runtime core lands: every call fails cleanly. */
#include <nexus/nexus.h>

nx_err_t nx_topic_publish(nx_node_t *node, const nx_topic_desc_t *topic, const void *msg)
{
    return (!node || !topic || !msg) ? NX_EINVAL : NX_ENOTINIT;
}
nx_err_t nx_topic_subscribe(nx_node_t *node, const nx_topic_desc_t *topic,
                            nx_dispatch_fn dispatch, nx_generic_fn fn, void *user)
{
    (void)user;
    return (!node || !topic || !dispatch || !fn) ? NX_EINVAL : NX_ENOTINIT;
}
nx_err_t nx_topic_unsubscribe(nx_node_t *node, const nx_topic_desc_t *topic)
{
    return (!node || !topic) ? NX_EINVAL : NX_ENOTINIT;
}
nx_err_t nx_topic_loan(nx_node_t *node, const nx_topic_desc_t *topic, void **out)
{
    return (!node || !topic || !out) ? NX_EINVAL : NX_ENOTINIT;
}
nx_err_t nx_topic_publish_loan(nx_node_t *node, const nx_topic_desc_t *topic, void *msg)
{
    return (!node || !topic || !msg) ? NX_EINVAL : NX_ENOTINIT;
}
nx_err_t nx_loan_release(nx_node_t *node, void *msg)
{
    return (!node || !msg) ? NX_EINVAL : NX_ENOTINIT;
}
