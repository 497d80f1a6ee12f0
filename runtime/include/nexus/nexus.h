/*
 * nexus/nexus.h: the public API of the Nexus runtime. Include this one.
 *
 *   nexus/defs.h    portability macros, version
 *   nexus/err.h     error codes, nx_strerror()
 *   nexus/log.h     logging levels and hook
 *   nexus/config.h  nx_config_t, YAML loading
 *   nexus/types.h   message info, type and topic descriptors
 *   nexus/node.h    nodes, publish, subscribe, loans
 *   nexus/stats.h   node and queue statistics
 *   nexus/inspect.h looking inside a domain, clean-up
 *   nexus/service.h request/response (services)
 */
#ifndef NEXUS_NEXUS_H
#define NEXUS_NEXUS_H

#include <nexus/defs.h>
#include <nexus/err.h>
#include <nexus/log.h>
#include <nexus/config.h>
#include <nexus/types.h>
#include <nexus/node.h>
#include <nexus/stats.h>
#include <nexus/inspect.h>
#include <nexus/service.h>

#endif /* NEXUS_NEXUS_H */
