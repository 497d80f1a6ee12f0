/* log_impl.h: the runtime's internal logging macros. */
#ifndef NX_LOG_IMPL_H
#define NX_LOG_IMPL_H

#include <nexus/log.h>

/* Check the level before evaluating any argument. */
#define NX_LOG_AT_(lvl, mod, ...)                                                          \
    do {                                                                                   \
        if (nx_log_enabled(lvl))                                                           \
            nx_log_write(lvl, mod, __VA_ARGS__);                                           \
    } while (0)

#define NX_LOGE(mod, ...) NX_LOG_AT_(NX_LOG_ERROR, mod, __VA_ARGS__)
#define NX_LOGW(mod, ...) NX_LOG_AT_(NX_LOG_WARN, mod, __VA_ARGS__)
#define NX_LOGI(mod, ...) NX_LOG_AT_(NX_LOG_INFO, mod, __VA_ARGS__)
#define NX_LOGD(mod, ...) NX_LOG_AT_(NX_LOG_DEBUG, mod, __VA_ARGS__)
#define NX_LOGT(mod, ...) NX_LOG_AT_(NX_LOG_TRACE, mod, __VA_ARGS__)

/* Forget NEXUS_LOG and the hook (tests only). */
void nx__log_reset(void);

#endif /* NX_LOG_IMPL_H */
