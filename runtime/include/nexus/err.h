/*
 * nexus/err.h: error codes of the Nexus runtime.
 *
 * Every fallible function of the runtime returns an nx_err_t. The first
 * seven codes keep the numbers of LibRPC so that code written against it
 * ports unchanged. One list (NX_ERR_LIST) generates the enum, the message
 * table and the name table, so the three cannot drift apart.
 *
 * Thread-safety: every function here is thread-safe and never allocates.
 */
#ifndef NEXUS_ERR_H
#define NEXUS_ERR_H

#include <nexus/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * X(name, value, message). What each code means where it is returned is
 * said by each function's @retval lines. Two codes are reserved: no
 * function of this release returns them, and the numbers stay taken so
 * that code written against LibRPC keeps compiling and a later release
 * can give them back their meaning:
 *   NX_ENETWORK     reserved: LibRPC's transport error (for a network
 *                   transport such as the bridge).
 *   NX_EUNEXPECTED  reserved: LibRPC's catch-all; Nexus maps every
 *                   failure to a precise code, NX_ESYS for system calls.
 */
#define NX_ERR_LIST(X)                                                                     \
    X(OK, 0, "success")                                                                    \
    X(EINVAL, 1, "invalid argument")                                                       \
    X(ENOTINIT, 2, "not initialized")                                                      \
    X(EEXIST, 3, "already exists")                                                         \
    X(ENOTFOUND, 4, "not found")                                                           \
    X(ENETWORK, 5, "transport error")                                                      \
    X(ETIMEOUT, 6, "timed out: queue full")                                                \
    X(ETYPE, 7, "type mismatch")                                                           \
    X(ETOOBIG, 8, "message too big")                                                       \
    X(ENOMEM, 9, "out of memory")                                                          \
    X(ECORRUPT, 10, "shared memory failed validation")                                     \
    X(ESYS, 11, "system call failed")                                                      \
    X(EPERM, 12, "permission denied")                                                      \
    X(ENOSPC, 13, "no space left for shared memory")                                       \
    X(EBUSY, 14, "resource busy")                                                          \
    X(ELIMIT, 15, "limit reached")                                                         \
    X(ECONFIG, 16, "invalid configuration")                                                \
    X(EVERSION, 17, "incompatible layout version")                                         \
    X(EFORK, 18, "node inherited across fork(): it belongs to the parent")                 \
    X(EPARTIAL, 19, "not every subscriber was reached")                                    \
    X(EUNEXPECTED, 99, "unexpected error")

/** Result of every fallible runtime function; NX_OK (0) is success. */
typedef enum nx_err {
#define NX_ERR_ENUM_(name, val, msg) NX_##name = val,
    NX_ERR_LIST(NX_ERR_ENUM_)
#undef NX_ERR_ENUM_
} nx_err_t;

/**
 * Describe an error code in a short English phrase.
 *
 * @param[in] err  Any value, known or not.
 * @return A static string, never NULL; "unknown error" for a value that is
 *         not an nx_err_t code. Thread-safe.
 */
NX_API const char *nx_strerror(nx_err_t err);

/**
 * Name an error code as it is spelled in C ("NX_ETIMEOUT"), for logs and
 * test output.
 *
 * @param[in] err  Any value, known or not.
 * @return A static string, never NULL; "NX_E?" for an unknown value.
 *         Thread-safe.
 */
NX_API const char *nx_err_name(nx_err_t err);

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_ERR_H */
