/*
 * nexus/node.h: nodes, publishing and subscribing.
 *
 * A node is one participant of a domain: it owns a shared-memory segment
 * with one inbound ring per sending node, a receive thread that drains
 * those rings and runs the subscribers' callbacks, and an entry in the
 * domain's registry. Messages between two nodes of the same process are
 * delivered by a direct call and never touch shared memory.
 *
 * Thread-safety: unless a function says otherwise, every function taking a
 * node may be called from any thread, concurrently, including from inside
 * a callback of that node (see "Callbacks" below). nx_node_destroy() is the
 * exception: call it once, when no other thread uses the node.
 *
 * fork(): a node belongs to the process that created it. In a child
 * process, every function taking a node its parent created returns
 * NX_EFORK and touches nothing (nx_node_destroy() and nx_hold_release()
 * return at once): the child must not publish into rings whose one
 * producer is the parent, nor remove the parent's entry or segment. A
 * child that wants to talk creates its own node.
 *
 * Callbacks run on the receiving node's receive thread for messages from
 * other processes, and on the publisher's thread for in-process delivery.
 * A message published in-process from inside an in-process callback is
 * delivered after that callback returns (still before the outermost
 * publish returns, and in publishing order), so callbacks that republish
 * never nest: the stack stays one delivery deep however long the chain.
 * A callback may publish (also to the topic it is serving), subscribe,
 * unsubscribe (itself included: it is not called again once
 * nx_unsubscribe returned), read statistics and hold large messages. It
 * must not call nx_node_destroy() on its own node. No runtime lock is held
 * while a callback runs. A callback that publishes to a full queue of a
 * topic with on_full=block waits for room as any publisher does; while it
 * waits, its node keeps taking messages out of its own queues (into a
 * private backlog, delivered in order afterwards), so two nodes whose
 * callbacks reply to each other cannot block each other.
 */
#ifndef NEXUS_NODE_H
#define NEXUS_NODE_H

#include <nexus/config.h>
#include <nexus/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest node name, in characters (without the NUL). */
#define NX_NODE_NAME_MAX 63

/**
 * Create a node and join its domain.
 *
 * The domain is cfg->domain, overridden by the NEXUS_DOMAIN environment
 * variable when that is set. Creates the domain's registry if it is the
 * first node, removes segments left behind by dead processes, creates the
 * node's own segment and starts its receive thread.
 *
 * @param[in]  name  Node name: 1..NX_NODE_NAME_MAX characters of
 *                   [A-Za-z0-9_.-]. Unique in the domain while alive.
 * @param[in]  cfg   Configuration, copied. NULL: defaults, then the file
 *                   named by NEXUS_CONFIG if that is set.
 * @param[out] out   The node on success; untouched on failure.
 * @retval NX_OK        *out is a running node; free with nx_node_destroy().
 * @retval NX_EINVAL    Bad name, NULL out, or an invalid configuration.
 * @retval NX_ECONFIG   NEXUS_CONFIG names a file that does not load.
 * @retval NX_EEXIST    A live node of that name is already in the domain.
 * @retval NX_ELIMIT    The domain's node table is full.
 * @retval NX_ENOSPC    Shared memory could not be reserved.
 * @retval NX_EPERM     A segment of the domain belongs to another user.
 * @retval NX_ECORRUPT  The registry failed validation.
 * @retval NX_EVERSION  The registry has another layout or ABI.
 * @retval NX_ESYS      Another system call failed (see the log).
 */
NX_API NX_ATTR_WARN_UNUSED nx_err_t nx_node_create(const char *name, const nx_config_t *cfg,
                                                   nx_node_t **out);

/**
 * Leave the domain and free the node: stops the receive thread (waiting
 * for a running callback to return), removes the node's subscriptions and
 * publications from the registry, marks its queues in peers invalid,
 * returns unpublished loans and unmaps everything. Accepts NULL.
 * Not thread-safe with other calls on the same node.
 */
NX_API void nx_node_destroy(nx_node_t *node);

/** The node's name, as given to nx_node_create(). Borrowed, lives with the node. */
NX_API const char *nx_node_name(const nx_node_t *node);

/** The domain the node joined (after the NEXUS_DOMAIN override). Borrowed. */
NX_API const char *nx_node_domain(const nx_node_t *node);

/**
 * Publish raw bytes to every subscriber of (group, topic).
 *
 * In-process subscribers are called before this returns; other processes
 * get a copy in their inbound ring (payloads larger than a slot go through
 * the large-data channel). With no subscriber at all the call succeeds and
 * nothing is sent.
 *
 * @param[in] group  Group name, "" or 1..NX_TOPIC_NAME_MAX characters.
 * @param[in] topic  Topic name, 1..NX_TOPIC_NAME_MAX characters of
 *                   [A-Za-z0-9_/.-].
 * @param[in] data   Payload, borrowed for the call; may be NULL if size is 0.
 * @retval NX_OK       Delivered to (or queued for) every subscriber the
 *                     registry lists. (A subscriber whose process is gone
 *                     or that left meanwhile is not one.)
 * @retval NX_EINVAL   Bad node, name, or data.
 * @retval NX_ETYPE    The topic is typed and size differs from its type.
 * @retval NX_ETOOBIG  Too large for a slot and no large-data channel.
 * @retval NX_ETIMEOUT A subscriber's queue was full (on_full=fail: at once;
 *                     block: after block_ms); the others still got it and
 *                     the drop is counted in that queue's statistics.
 * @retval NX_EPARTIAL No queue was full, but a live subscriber could not be
 *                     reached at all: it has no free inbound queue
 *                     (max_inbound_queues), its queue was taken from us
 *                     (it believed us gone), its segment failed validation,
 *                     or this process is out of file descriptors. The
 *                     others still got it; the miss is counted against that
 *                     subscriber (nx_node_outbound_stats(), `unreached`),
 *                     and the next publish, at most every 100 ms, tries to
 *                     connect to it again.
 */
NX_API nx_err_t nx_publish(nx_node_t *node, const char *group, const char *topic,
                           const void *data, size_t size);

/**
 * Subscribe to raw messages of (group, topic). One subscription per
 * (node, group, topic): subscribing again replaces fn and user.
 *
 * @param[in] fn    Called for every message; see "Callbacks" above.
 * @param[in] user  Passed to fn untouched.
 * @retval NX_OK       Subscribed; publishers discover it on their next publish.
 * @retval NX_EINVAL   Bad node, name or NULL fn.
 * @retval NX_ELIMIT   The registry's topic table is full.
 */
NX_API nx_err_t nx_subscribe(nx_node_t *node, const char *group, const char *topic,
                             nx_raw_fn fn, void *user);

/**
 * Remove the node's subscription to (group, topic). When this returns the
 * callback is not running and will not be called again.
 *
 * @retval NX_OK        Removed.
 * @retval NX_ENOTFOUND The node had no such subscription.
 * @retval NX_EINVAL    Bad node or name.
 */
NX_API nx_err_t nx_unsubscribe(nx_node_t *node, const char *group, const char *topic);

/**
 * Send a large payload explicitly through the node's large-data channel
 * (LibRPC's call): `channel` is the group the subscribers used.
 * Same errors as nx_publish(); NX_ENOTINIT if the channel is disabled
 * (large_data.ring_size = 0).
 */
NX_API nx_err_t nx_send_large_data(nx_node_t *node, const char *channel, const char *topic,
                                   const void *data, size_t size);

/**
 * Choose what publishing to (group, topic) does when a subscriber's queue
 * is full: NX_ON_FULL_FAIL (the default for raw topics: NX_ETIMEOUT at
 * once, a drop counted) or NX_ON_FULL_BLOCK (wait for room up to
 * block_ms, then NX_ETIMEOUT). Schema topics start with the policy their
 * schema declares; this overrides it for this node.
 * @retval NX_OK, NX_EINVAL, NX_ELIMIT (publisher table full)
 */
NX_API nx_err_t nx_publisher_set_policy(nx_node_t *node, const char *group,
                                        const char *topic, nx_on_full_t on_full,
                                        uint32_t block_ms);

/**
 * Count the live subscribers of (group, topic) in the domain, this node
 * and other processes included (as the registry lists them now).
 * @retval NX_OK      *count set (0 if the topic is unknown).
 * @retval NX_EINVAL  Bad node, name or NULL count.
 */
NX_API nx_err_t nx_subscriber_count(nx_node_t *node, const char *group, const char *topic,
                                    size_t *count);

/**
 * Look up a live node of the domain by name (as the registry lists it
 * now: a node that died is listed until a peer notices, within one
 * heartbeat period for a crash and heartbeat_timeout_ms for a hang).
 * @param[out] pid  Its process id; may be NULL.
 * @retval NX_OK        Found.
 * @retval NX_ENOTFOUND No live node of that name.
 * @retval NX_EINVAL    Bad node or name.
 */
NX_API NX_ATTR_WARN_UNUSED nx_err_t nx_node_find(nx_node_t *node, const char *name,
                                                 uint32_t *pid);

/**
 * Remove what crashed processes left in a domain: node and large-data
 * segments whose owner is gone, their registry entries, and the registry
 * itself when no node is alive. A live node's objects are never touched,
 * so this is safe while nodes run (nx_node_create() does the same for its
 * domain). Thread-safe.
 *
 * @param[in]  domain   The domain; NULL: NEXUS_DOMAIN, else "default".
 * @param[out] removed  How many objects and entries were removed; may be NULL.
 * @retval NX_OK, NX_EINVAL (bad domain name), NX_EPERM (another user's
 *         registry), NX_ECORRUPT / NX_EVERSION (registry unusable: remove
 *         it with `nexus clean --force`).
 */
NX_API nx_err_t nx_domain_clean(const char *domain, uint32_t *removed);

/* ---- Holding a message past its callback ------------------------------ */

/** A message kept after its callback returned; see nx_hold_take(). */
typedef struct nx_hold nx_hold_t;

/**
 * Keep the message being delivered beyond the callback. Call from inside
 * the callback, with the info it was given. A large message from another
 * process stays in place in the publisher's shared memory (zero copy), so
 * holding it keeps the publisher from reusing that space: release it
 * soon. Other messages are copied.
 *
 * @param[out] out  The hold; read it with nx_hold_data()/nx_hold_size(),
 *                  end it with nx_hold_release().
 * @retval NX_OK      Held.
 * @retval NX_EINVAL  Not called from a callback's info, or held already.
 * @retval NX_ENOMEM  No memory for the hold.
 */
NX_API NX_ATTR_WARN_UNUSED nx_err_t nx_hold_take(nx_node_t *node, const nx_msg_info_t *info,
                                                 nx_hold_t **out);

/** The bytes of a held message; valid until nx_hold_release(). */
NX_API const void *nx_hold_data(const nx_hold_t *hold);

/** The size of a held message. */
NX_API size_t nx_hold_size(const nx_hold_t *hold);

/** End a hold (any thread). Accepts NULL. */
NX_API void nx_hold_release(nx_node_t *node, nx_hold_t *hold);

/* ---- Typed entry points, called by the code nexus-idlc generates ------- */

/**
 * Publish one message of a schema topic (group ""). `msg` points to a value
 * of topic->type, borrowed for the call.
 * @retval NX_OK, NX_EINVAL, NX_ETOOBIG, NX_ETIMEOUT  as nx_publish().
 * @retval NX_ETYPE  The topic is registered with another fingerprint.
 */
NX_API nx_err_t nx_topic_publish(nx_node_t *node, const nx_topic_desc_t *topic,
                                 const void *msg);

/**
 * Subscribe to a schema topic. Each message is checked (size, fingerprint,
 * topic->type->validate) before `dispatch(msg, info, fn, user)` is called;
 * a message that fails is dropped and counted, never delivered.
 * @retval NX_OK, NX_EINVAL, NX_ELIMIT  as nx_subscribe().
 * @retval NX_ETYPE  A publisher or subscriber of the topic uses another
 *                   type; the log names the topic and both type names.
 */
NX_API nx_err_t nx_topic_subscribe(nx_node_t *node, const nx_topic_desc_t *topic,
                                   nx_dispatch_fn dispatch, nx_generic_fn fn, void *user);

/** Remove a schema topic subscription; as nx_unsubscribe(). */
NX_API nx_err_t nx_topic_unsubscribe(nx_node_t *node, const nx_topic_desc_t *topic);

/**
 * Borrow a buffer for one message of the topic, to be filled in place and
 * published without a copy by nx_loan_publish(). The buffer is NOT
 * cleared (clearing 8 MiB would cost what the loan saves): initialise it
 * with the type's _init() or write every field. It lives in the node's
 * large-data ring when the channel is enabled (zero copy to other
 * processes: only a descriptor travels), else in process memory.
 *
 * @param[out] out  Set on success to the buffer (aligned for the type).
 * @retval NX_OK       *out is yours until publish_loan or nx_loan_release.
 * @retval NX_EINVAL   Bad arguments.
 * @retval NX_ETIMEOUT No room: the ring is held by slow subscribers
 *                     (at once for on_full=fail, after block_ms for block).
 * @retval NX_ETOOBIG  The type is larger than the large-data ring.
 */
NX_API NX_ATTR_WARN_UNUSED nx_err_t nx_loan_take(nx_node_t *node,
                                                 const nx_topic_desc_t *topic, void **out);

/**
 * Publish a buffer obtained from nx_loan_take() for the same topic. The
 * loan ends in every case: on success and on failure alike the buffer
 * must not be touched again.
 * @retval NX_OK, NX_ETIMEOUT  as nx_topic_publish().
 * @retval NX_EINVAL  msg is not an outstanding loan of this node and topic.
 */
NX_API nx_err_t nx_loan_publish(nx_node_t *node, const nx_topic_desc_t *topic, void *msg);

/**
 * Give back a loan without publishing it.
 * @retval NX_OK      Released.
 * @retval NX_EINVAL  msg is not an outstanding loan of this node.
 */
NX_API nx_err_t nx_loan_release(nx_node_t *node, void *msg);

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_NODE_H */
