/*
 * names_impl.h: the rules for names (names.c). Every name that reaches a
 * shared-memory object name or the registry passes through these, so none
 * can hold '/', '..', spaces or control characters, or be too long.
 */
#ifndef NX_NAMES_IMPL_H
#define NX_NAMES_IMPL_H

#include <stdbool.h>

/* A domain: 1..NX_DOMAIN_NAME_MAX characters of [A-Za-z0-9_-]. */
bool nx__domain_name_ok(const char *s);

/* A node: 1..NX_NODE_NAME_MAX characters of [A-Za-z0-9_.-], no "..". */
bool nx__node_name_ok(const char *s);

/* A topic or group: up to NX_TOPIC_NAME_MAX characters of
 * [A-Za-z0-9_/.-]; empty only if allow_empty (groups). */
bool nx__topic_name_ok(const char *s, bool allow_empty);

#endif /* NX_NAMES_IMPL_H */
