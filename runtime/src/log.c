/*
 * log.c: levels, the stderr sink and the application hook.
 *
 * The level sits in one atomic so that a disabled line costs a relaxed
 * load and a compare. Sinks run under a mutex so lines never interleave
 * and a hook that is being replaced is never called after the swap.
 */
#include "log_impl.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

/* -1: not read from NEXUS_LOG yet. The env override is read once. */
static atomic_int log_level = -1;
static atomic_int log_env_level = -2; /* -2 unread, -1 unset/invalid */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static nx_log_fn log_hook;
static void *log_hook_user;

static int log_env(void)
{
    int env = atomic_load_explicit(&log_env_level, memory_order_acquire);
    if (env == -2) {
        nx_log_level_t parsed;
        const char *s = getenv("NEXUS_LOG");
        env = (s && nx_log_level_parse(s, &parsed)) ? (int)parsed : -1;
        atomic_store_explicit(&log_env_level, env, memory_order_release);
    }
    return env;
}

static int log_current(void)
{
    int lvl = atomic_load_explicit(&log_level, memory_order_relaxed);
    if (NX_UNLIKELY(lvl < 0)) {
        int env = log_env();
        lvl = env >= 0 ? env : NX_LOG_INFO;
        atomic_store_explicit(&log_level, lvl, memory_order_relaxed);
    }
    return lvl;
}

bool nx_log_level_parse(const char *name, nx_log_level_t *out)
{
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            if (out)
                *out = (nx_log_level_t)i;
            return true;
        }
    }
    if (strcmp(name, "warning") == 0) {
        if (out)
            *out = NX_LOG_WARN;
        return true;
    }
    return false;
}

const char *nx_log_level_name(nx_log_level_t level)
{
    if ((unsigned)level < sizeof level_names / sizeof level_names[0])
        return level_names[level];
    return "?";
}

void nx_log_set_level(nx_log_level_t level)
{
    if ((unsigned)level > NX_LOG_TRACE)
        return;
    int env = log_env();
    atomic_store_explicit(&log_level, env >= 0 ? env : (int)level, memory_order_relaxed);
}

nx_log_level_t nx_log_get_level(void)
{
    return (nx_log_level_t)log_current();
}

bool nx_log_enabled(nx_log_level_t level)
{
    return (int)level <= log_current();
}

void nx_log_set_hook(nx_log_fn fn, void *user)
{
    pthread_mutex_lock(&log_lock);
    log_hook = fn;
    log_hook_user = user;
    pthread_mutex_unlock(&log_lock);
}

void nx__log_reset(void)
{
    atomic_store(&log_env_level, -2);
    atomic_store(&log_level, -1);
    nx_log_set_hook(NULL, NULL);
}

NX_ATTR_PRINTF(3, 0)
static void log_vwrite(nx_log_level_t level, const char *module, const char *fmt,
                       va_list ap)
{
    char line[1024];
    int n = vsnprintf(line, sizeof line, fmt, ap);
    if (n < 0)
        return;
    /* A line cut by the buffer says so rather than ending mid-word silently. */
    if ((size_t)n >= sizeof line)
        memcpy(line + sizeof line - 4, "...", 4);

    pthread_mutex_lock(&log_lock);
    if (log_hook) {
        log_hook(level, module, line, log_hook_user);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        fprintf(stderr, "%02d:%02d:%02d.%03ld nexus %-5s %s: %s\n", tm.tm_hour, tm.tm_min,
                tm.tm_sec, ts.tv_nsec / 1000000L, nx_log_level_name(level),
                module ? module : "-", line);
    }
    pthread_mutex_unlock(&log_lock);
}

void nx_log_write(nx_log_level_t level, const char *module, const char *fmt, ...)
{
    if (!nx_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, module, fmt, ap);
    va_end(ap);
}
