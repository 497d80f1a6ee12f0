/*
 * nexus/log.h: the runtime's logging.
 *
 * Lines go to stderr by default, or to a hook the application installs.
 * The level comes from NEXUS_LOG (error|warn|info|debug|trace) when set,
 * else from nx_log_set_level() (nx_node_create applies the config's
 * log.level unless NEXUS_LOG is set). A disabled level costs one relaxed
 * atomic load: the message is never formatted.
 *
 * Thread-safety: all functions are thread-safe. The hook may be called
 * from any thread, concurrently; it must not call back into the logger.
 */
#ifndef NEXUS_LOG_H
#define NEXUS_LOG_H

#include <nexus/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Log levels, most severe first. A level enables itself and all before it. */
typedef enum nx_log_level {
    NX_LOG_ERROR = 0,
    NX_LOG_WARN = 1,
    NX_LOG_INFO = 2,
    NX_LOG_DEBUG = 3,
    NX_LOG_TRACE = 4
} nx_log_level_t;

/**
 * A log sink. `line` is one formatted line without a trailing newline,
 * borrowed for the call; `module` names the runtime module ("node",
 * "config", ...).
 */
typedef void (*nx_log_fn)(nx_log_level_t level, const char *module, const char *line,
                          void *user);

/**
 * Route log lines to fn (NULL: back to stderr). Sinks are called under a
 * lock, one line at a time, so once this returns no line reaches the
 * previous sink.
 */
NX_API void nx_log_set_hook(nx_log_fn fn, void *user);

/** Set the level. NEXUS_LOG, when set and valid, still wins. */
NX_API void nx_log_set_level(nx_log_level_t level);

/** The level in force (after NEXUS_LOG). */
NX_API nx_log_level_t nx_log_get_level(void);

/** True if a line at `level` would be written. Cheap. */
NX_API bool nx_log_enabled(nx_log_level_t level);

/**
 * Parse a level name ("error", "warn", "info", "debug", "trace").
 * @retval true  *out set.  @retval false  unknown name, *out untouched.
 */
NX_API NX_ATTR_WARN_UNUSED bool nx_log_level_parse(const char *name, nx_log_level_t *out);

/** The name of a level; "?" for an unknown value. */
NX_API const char *nx_log_level_name(nx_log_level_t level);

/** Write a line (printf format) if `level` is enabled. */
NX_API void nx_log_write(nx_log_level_t level, const char *module, const char *fmt, ...)
    NX_ATTR_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_LOG_H */
