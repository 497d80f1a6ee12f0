/*
 * nexus/defs.h: portability macros shared by every public header and by
 * the code that nexus-idlc generates.
 */
#ifndef NEXUS_DEFS_H
#define NEXUS_DEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Symbols of libnexus are hidden unless marked NX_API. */
#if defined(NX_BUILDING_LIBRARY) && defined(__GNUC__)
#define NX_API __attribute__((visibility("default")))
#else
#define NX_API
#endif

/* Compile-time assertion usable in C11 and C++11. */
#ifdef __cplusplus
#define NX_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define NX_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#if defined(__GNUC__)
#define NX_ATTR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define NX_ATTR_NONNULL(...)      __attribute__((nonnull(__VA_ARGS__)))
#define NX_ATTR_WARN_UNUSED       __attribute__((warn_unused_result))
#define NX_LIKELY(x)              __builtin_expect(!!(x), 1)
#define NX_UNLIKELY(x)            __builtin_expect(!!(x), 0)
#else
#define NX_ATTR_PRINTF(fmt, args)
#define NX_ATTR_NONNULL(...)
#define NX_ATTR_WARN_UNUSED
#define NX_LIKELY(x)   (x)
#define NX_UNLIKELY(x) (x)
#endif

/** Version of the runtime, also printed by the tools. */
#define NX_VERSION_MAJOR  0
#define NX_VERSION_MINOR  1
#define NX_VERSION_PATCH  0
#define NX_VERSION_STRING "0.1.0"

#endif /* NEXUS_DEFS_H */
