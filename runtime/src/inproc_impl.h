/*
 * inproc_impl.h: the process-wide table of live nodes (inproc.c), through
 * which a node reaches the other nodes of its process by direct call.
 * Thread-safety: every function may be called from any thread.
 */
#ifndef NX_INPROC_IMPL_H
#define NX_INPROC_IMPL_H

#include <nexus/node.h>

#include <stdbool.h>
#include <stdint.h>

/* Most nodes alive in one process at once. */
#define NX_MAX_LOCAL_NODES 64u

/* Enter node in the table. NX_ELIMIT when NX_MAX_LOCAL_NODES are in it. */
nx_err_t nx__inproc_add(nx_node_t *node);

/* Leave the table; returns once no delivery to node is in flight. */
void nx__inproc_remove(nx_node_t *node);

/* Take the node's new registry identity (after it rejoined). */
void nx__inproc_rekey(nx_node_t *node);

/* The table entry (*local, *gen) of the node (domain, slot, inc) of this
 * process; false if it is not in the table. */
bool nx__inproc_find(const char *domain, uint32_t slot, uint32_t inc, uint32_t *local,
                     uint64_t *gen);

/* Run fn(node, arg) on local node `local` if it still has generation gen
 * (the node cannot go away meanwhile); false if it is gone. */
bool nx__inproc_run(uint32_t local, uint64_t gen,
                    void (*fn)(nx_node_t *node, const void *arg), const void *arg);

#endif /* NX_INPROC_IMPL_H */
