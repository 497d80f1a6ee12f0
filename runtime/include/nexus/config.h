/*
 * nexus/config.h: node and domain configuration.
 *
 * nx_config_t is a plain struct: fill it with nx_config_default(), change
 * fields, or load a YAML file (keys and defaults in docs/nexus.yaml).
 * A config holds no resources and may be copied by assignment.
 *
 * Thread-safety: these functions touch only the structs they are given
 * (and the log), so they may run on any thread.
 */
#ifndef NEXUS_CONFIG_H
#define NEXUS_CONFIG_H

#include <nexus/defs.h>
#include <nexus/err.h>
#include <nexus/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest domain name, in characters (without the NUL). */
#define NX_DOMAIN_NAME_MAX 31

/** How a receiving node waits for messages. */
typedef enum nx_notify_mode {
    NX_NOTIFY_SEMAPHORE = 0, /**< process-shared POSIX semaphore (default) */
    NX_NOTIFY_CONDVAR = 1,   /**< robust process-shared mutex + condvar */
    NX_NOTIFY_SPIN = 2       /**< poll without sleeping (dedicated core) */
} nx_notify_mode_t;

/** Configuration of a node; see docs/nexus.yaml for every key. */
typedef struct nx_config {
    char domain[NX_DOMAIN_NAME_MAX + 1]; /**< "default"; [A-Za-z0-9_-] */
    struct {
        uint32_t max_inbound_queues; /**< 32; 1..1024 */
        uint32_t queue_capacity;     /**< 256; power of two, 2..65536 */
        uint32_t
            message_size; /**< 2048; slot bytes incl. 64-byte header, multiple of 64, 128..1048576 */
        nx_notify_mode_t notify;       /**< semaphore */
        uint32_t busy_timeout_ms;      /**< 5; 1..60000 */
        uint32_t idle_timeout_ms;      /**< 50; 1..60000 */
        uint32_t idle_after_loops;     /**< 100; 1..1000000 */
        uint32_t spin_before_sleep_us; /**< 0; 0..100000: poll this long before sleeping */
        uint32_t heartbeat_ms;         /**< 1000; 10..60000 */
        uint32_t heartbeat_timeout_ms; /**< 5000; 1000..600000, >= 2 x heartbeat_ms */
    } node;
    struct {
        uint64_t
            ring_size; /**< 64 MiB; 0 disables, else 1 MiB..16 GiB, rounded up to the page size */
    } large_data;
    struct {
        uint32_t mode; /**< 0600; permission bits of created objects, 0..0777 */
    } shm;
    struct {
        nx_log_level_t level; /**< info */
    } log;
} nx_config_t;

/** Fill cfg with the documented defaults. cfg must not be NULL. */
NX_API void nx_config_default(nx_config_t *cfg) NX_ATTR_NONNULL(1);

/**
 * Load a YAML file over the defaults. Every key is optional.
 * On failure the message (file:line: key: reason) is logged at error level.
 *
 * Limits, checked before the work they bound: the file is at most 1 MiB
 * (1048576 bytes; a larger regular file is refused unread), and it nests
 * only as docs/nexus.yaml shows, sections holding single values (a list or
 * deeper mapping is refused where it starts, unread). Numbers are decimal
 * digits only: no sign, fraction, exponent, prefix, unit or leading zero;
 * sizes in bytes may end in KiB, MiB or GiB; shm.mode is octal.
 *
 * @param[in]  yaml_path  File to read.
 * @param[out] cfg        Written only on success.
 * @retval NX_OK       Loaded and checked.
 * @retval NX_EINVAL   NULL argument.
 * @retval NX_ENOMEM   Out of memory.
 * @retval NX_ECONFIG  The file does not exist, cannot be read, is larger
 *                     than 1 MiB, is not valid YAML, has an unknown key, a
 *                     list or mapping where a value belongs, a value of the
 *                     wrong type, not written as above, or out of range.
 */
NX_API NX_ATTR_WARN_UNUSED nx_err_t nx_config_load(const char *yaml_path, nx_config_t *cfg);

/**
 * As nx_config_load(), and also write the error message into msg
 * (truncated to msg_size, always NUL-terminated; "" on success).
 * msg may be NULL when msg_size is 0.
 */
NX_API NX_ATTR_WARN_UNUSED nx_err_t nx_config_load_msg(const char *yaml_path,
                                                       nx_config_t *cfg, char *msg,
                                                       size_t msg_size);

/**
 * Check a configuration filled by hand: every field in its range.
 * On failure names the first bad field in msg (as nx_config_load_msg).
 * @retval NX_OK, NX_EINVAL
 */
NX_API nx_err_t nx_config_validate(const nx_config_t *cfg, char *msg, size_t msg_size);

/** The name of a notify mode ("semaphore", "condvar", "spin"). Never NULL. */
NX_API const char *nx_notify_mode_name(nx_notify_mode_t mode);

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_CONFIG_H */
