/*
 * config.c: defaults, YAML loading and range checks of nx_config_t.
 *
 * Loading takes two passes over the file. The first walks libyaml's event
 * stream to learn where each key stands (so every error names its line),
 * and to reject unknown keys, duplicate keys and wrong shapes with the
 * exact line. The second lets libcyaml convert the values against a schema;
 * its error backtrace gives the line of a value it could not convert.
 * Range checks run last, on the converted values. libcyaml is only used
 * here, never on a hot path.
 */
#include "log_impl.h"
#include "names_impl.h"
#include "shm_layout.h"

#include <nexus/config.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- defaults and checks ---------------------------------------------- */

void nx_config_default(nx_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->domain, "default");
    cfg->node.max_inbound_queues = 32;
    cfg->node.queue_capacity = 256;
    cfg->node.message_size = 2048;
    cfg->node.notify = NX_NOTIFY_SEMAPHORE;
    cfg->node.busy_timeout_ms = 5;
    cfg->node.idle_timeout_ms = 50;
    cfg->node.idle_after_loops = 100;
    cfg->node.spin_before_sleep_us = 0;
    cfg->node.heartbeat_ms = 1000;
    cfg->node.heartbeat_timeout_ms = 5000;
    cfg->large_data.ring_size = UINT64_C(64) << 20;
    cfg->shm.mode = 0600;
    cfg->log.level = NX_LOG_INFO;
}

const char *nx_notify_mode_name(nx_notify_mode_t mode)
{
    switch (mode) {
    case NX_NOTIFY_SEMAPHORE:
        return "semaphore";
    case NX_NOTIFY_CONDVAR:
        return "condvar";
    case NX_NOTIFY_SPIN:
        return "spin";
    }
    return "?";
}

/* Where a message goes: a caller's buffer, plus file and line if known. */
typedef struct cfg_diag {
    char *msg;
    size_t size;
    const char *file;
} cfg_diag_t;

NX_ATTR_PRINTF(3, 4)
static void cfg_fail(cfg_diag_t *d, unsigned line, const char *fmt, ...)
{
    if (!d || !d->msg || d->size == 0)
        return;
    size_t n = 0;
    if (d->file && line > 0)
        n = (size_t)snprintf(d->msg, d->size, "%s:%u: ", d->file, line);
    else if (d->file)
        n = (size_t)snprintf(d->msg, d->size, "%s: ", d->file);
    if (n >= d->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg + n, d->size - n, fmt, ap);
    va_end(ap);
}

static bool is_pow2(uint64_t v)
{
    return v && (v & (v - 1)) == 0;
}

/* Keys of the file, in the order they are checked. `line` is where the key
 * was found (0: absent or checking a struct filled by hand). */
enum cfg_key {
    K_DOMAIN,
    K_NODE,
    K_MAX_INBOUND_QUEUES,
    K_QUEUE_CAPACITY,
    K_MESSAGE_SIZE,
    K_NOTIFY,
    K_BUSY_TIMEOUT,
    K_IDLE_TIMEOUT,
    K_IDLE_AFTER_LOOPS,
    K_SPIN_BEFORE_SLEEP,
    K_HEARTBEAT,
    K_HEARTBEAT_TIMEOUT,
    K_LARGE_DATA,
    K_RING_SIZE,
    K_SHM,
    K_MODE,
    K_LOG,
    K_LEVEL,
    K_COUNT
};

typedef struct cfg_keyinfo {
    const char *path;    /* dotted, as printed in errors */
    enum cfg_key parent; /* K_COUNT for top level */
    bool section;        /* a mapping, not a scalar */
} cfg_keyinfo_t;

static const cfg_keyinfo_t cfg_keys[K_COUNT] = {
    [K_DOMAIN] = {"domain", K_COUNT, false},
    [K_NODE] = {"node", K_COUNT, true},
    [K_MAX_INBOUND_QUEUES] = {"node.max_inbound_queues", K_NODE, false},
    [K_QUEUE_CAPACITY] = {"node.queue_capacity", K_NODE, false},
    [K_MESSAGE_SIZE] = {"node.message_size", K_NODE, false},
    [K_NOTIFY] = {"node.notify", K_NODE, false},
    [K_BUSY_TIMEOUT] = {"node.busy_timeout_ms", K_NODE, false},
    [K_IDLE_TIMEOUT] = {"node.idle_timeout_ms", K_NODE, false},
    [K_IDLE_AFTER_LOOPS] = {"node.idle_after_loops", K_NODE, false},
    [K_SPIN_BEFORE_SLEEP] = {"node.spin_before_sleep_us", K_NODE, false},
    [K_HEARTBEAT] = {"node.heartbeat_ms", K_NODE, false},
    [K_HEARTBEAT_TIMEOUT] = {"node.heartbeat_timeout_ms", K_NODE, false},
    [K_LARGE_DATA] = {"large_data", K_COUNT, true},
    [K_RING_SIZE] = {"large_data.ring_size", K_LARGE_DATA, false},
    [K_SHM] = {"shm", K_COUNT, true},
    [K_MODE] = {"shm.mode", K_SHM, false},
    [K_LOG] = {"log", K_COUNT, true},
    [K_LEVEL] = {"log.level", K_LOG, false},
};

/* The last component of a key's path: its name inside its section. */
static const char *cfg_key_leaf(enum cfg_key k)
{
    const char *dot = strrchr(cfg_keys[k].path, '.');
    return dot ? dot + 1 : cfg_keys[k].path;
}

/* A uint32 range check that names the key. */
static bool cfg_range(cfg_diag_t *d, const unsigned *lines, enum cfg_key k, uint64_t v,
                      uint64_t lo, uint64_t hi)
{
    if (v >= lo && v <= hi)
        return true;
    cfg_fail(d, lines[k], "%s: %" PRIu64 " is out of range (%" PRIu64 "..%" PRIu64 ")",
             cfg_keys[k].path, v, lo, hi);
    return false;
}

/* Smallest slot: the 64-byte message header plus 64 bytes of payload. */
#define CFG_MIN_MESSAGE_SIZE NX_SEG_MIN_MESSAGE

static nx_err_t cfg_check(const nx_config_t *c, const unsigned *lines, cfg_diag_t *d)
{
    if (!nx__domain_name_ok(c->domain)) {
        cfg_fail(d, lines[K_DOMAIN],
                 "domain: '%.40s' is not 1..%d characters of [A-Za-z0-9_-]", c->domain,
                 NX_DOMAIN_NAME_MAX);
        return NX_EINVAL;
    }
    if (!cfg_range(d, lines, K_MAX_INBOUND_QUEUES, c->node.max_inbound_queues, 1,
                   NX_SEG_MAX_QUEUES))
        return NX_EINVAL;
    if (!is_pow2(c->node.queue_capacity) || c->node.queue_capacity < NX_SEG_MIN_CAPACITY ||
        c->node.queue_capacity > NX_SEG_MAX_CAPACITY) {
        cfg_fail(d, lines[K_QUEUE_CAPACITY],
                 "node.queue_capacity: %" PRIu32 " is not a power of two in 2..65536",
                 c->node.queue_capacity);
        return NX_EINVAL;
    }
    if (c->node.message_size < CFG_MIN_MESSAGE_SIZE ||
        c->node.message_size > NX_SEG_MAX_MESSAGE ||
        c->node.message_size % NX_SEG_MESSAGE_ALIGN != 0) {
        cfg_fail(d, lines[K_MESSAGE_SIZE],
                 "node.message_size: %" PRIu32
                 " must be a multiple of 64 in %u..1048576 (the slot "
                 "includes a 64-byte header)",
                 c->node.message_size, CFG_MIN_MESSAGE_SIZE);
        return NX_EINVAL;
    }
    if ((uint64_t)c->node.max_inbound_queues * c->node.queue_capacity *
            c->node.message_size >
        (UINT64_C(1) << 32)) {
        cfg_fail(d, lines[K_MAX_INBOUND_QUEUES],
                 "node: max_inbound_queues x queue_capacity x message_size "
                 "exceeds 4 GiB of rings");
        return NX_EINVAL;
    }
    if ((unsigned)c->node.notify > NX_NOTIFY_SPIN) {
        cfg_fail(d, lines[K_NOTIFY], "node.notify: must be semaphore, condvar or spin");
        return NX_EINVAL;
    }
    if (!cfg_range(d, lines, K_BUSY_TIMEOUT, c->node.busy_timeout_ms, 1, 60000) ||
        !cfg_range(d, lines, K_IDLE_TIMEOUT, c->node.idle_timeout_ms, 1, 60000) ||
        !cfg_range(d, lines, K_IDLE_AFTER_LOOPS, c->node.idle_after_loops, 1, 1000000) ||
        !cfg_range(d, lines, K_SPIN_BEFORE_SLEEP, c->node.spin_before_sleep_us, 0,
                   100000) ||
        !cfg_range(d, lines, K_HEARTBEAT, c->node.heartbeat_ms, 10, 60000) ||
        !cfg_range(d, lines, K_HEARTBEAT_TIMEOUT, c->node.heartbeat_timeout_ms, 1000,
                   600000))
        return NX_EINVAL;
    if (c->node.heartbeat_timeout_ms < 2u * c->node.heartbeat_ms) {
        cfg_fail(d, lines[K_HEARTBEAT_TIMEOUT],
                 "node.heartbeat_timeout_ms: %" PRIu32
                 " must be at least twice heartbeat_ms (%" PRIu32 ")",
                 c->node.heartbeat_timeout_ms, c->node.heartbeat_ms);
        return NX_EINVAL;
    }
    if (c->large_data.ring_size != 0 &&
        !cfg_range(d, lines, K_RING_SIZE, c->large_data.ring_size, UINT64_C(1) << 20,
                   UINT64_C(16) << 30))
        return NX_EINVAL;
    if (c->shm.mode > 0777 || (c->shm.mode & 0600) != 0600) {
        cfg_fail(d, lines[K_MODE],
                 "shm.mode: 0%o must be permission bits (at most 0777) "
                 "that include owner read and write (0600)",
                 c->shm.mode);
        return NX_EINVAL;
    }
    if ((unsigned)c->log.level > NX_LOG_TRACE) {
        cfg_fail(d, lines[K_LEVEL], "log.level: must be error, warn, info, debug or trace");
        return NX_EINVAL;
    }
    return NX_OK;
}

nx_err_t nx_config_validate(const nx_config_t *cfg, char *msg, size_t msg_size)
{
    unsigned lines[K_COUNT] = {0};
    cfg_diag_t d = {msg, msg_size, NULL};
    if (msg && msg_size)
        msg[0] = '\0';
    if (!cfg) {
        cfg_fail(&d, 0, "config is NULL");
        return NX_EINVAL;
    }
    if (memchr(cfg->domain, '\0', sizeof cfg->domain) == NULL) {
        cfg_fail(&d, 0, "domain: not NUL-terminated");
        return NX_EINVAL;
    }
    return cfg_check(cfg, lines, &d);
}

/* ---- pass 1: shape, keys and their lines (libyaml) ---------------------- */

static enum cfg_key cfg_key_find(enum cfg_key parent, const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (cfg_keys[k].parent == parent &&
            strcmp(cfg_key_leaf((enum cfg_key)k), name) == 0)
            return (enum cfg_key)k;
    return K_COUNT;
}

/* Suggest a key of the same section that differs by a small edit. */
static const char *cfg_key_suggest(enum cfg_key parent, const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (int k = 0; k < K_COUNT; k++) {
        if (cfg_keys[k].parent != parent)
            continue;
        const char *cand = cfg_key_leaf((enum cfg_key)k);
        size_t la = strlen(name), lb = strlen(cand);
        if (la > 40 || lb > 40)
            continue;
        size_t row[42];
        for (size_t j = 0; j <= lb; j++)
            row[j] = j;
        for (size_t i = 1; i <= la; i++) {
            size_t prev = row[0];
            row[0] = i;
            for (size_t j = 1; j <= lb; j++) {
                size_t cur = row[j];
                size_t sub = prev + (name[i - 1] != cand[j - 1]);
                size_t del = row[j] + 1, ins = row[j - 1] + 1;
                row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                prev = cur;
            }
        }
        if (row[lb] < best_d) {
            best_d = row[lb];
            best = cand;
        }
    }
    return best;
}

/* Skip the value that starts with `ev` (already consumed); nested
 * collections are skipped whole. Returns false on a parser error. */
static bool yaml_skip(yaml_parser_t *p, yaml_event_t *ev)
{
    int depth = 0;
    if (ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT)
        depth = 1;
    while (depth > 0) {
        yaml_event_t e;
        if (!yaml_parser_parse(p, &e))
            return false;
        if (e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT)
            depth++;
        else if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT)
            depth--;
        yaml_event_delete(&e);
    }
    return true;
}

static nx_err_t yaml_syntax_error(yaml_parser_t *p, cfg_diag_t *d)
{
    cfg_fail(d, (unsigned)p->problem_mark.line + 1, "invalid YAML: %s%s%s",
             p->problem ? p->problem : "parse error", p->context ? " " : "",
             p->context ? p->context : "");
    return NX_ECONFIG;
}

/*
 * Read one mapping (the event stream is just past its MAPPING_START).
 * `parent` is the section (K_COUNT at top level). Records the line of
 * every key in lines[] (1-based) and rejects what the schema lacks.
 */
static nx_err_t yaml_scan_mapping(yaml_parser_t *p, enum cfg_key parent, unsigned *lines,
                                  cfg_diag_t *d)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev))
            return yaml_syntax_error(p, d);
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return NX_OK;
        }
        unsigned line = (unsigned)ev.start_mark.line + 1;
        if (ev.type != YAML_SCALAR_EVENT) {
            yaml_event_delete(&ev);
            cfg_fail(d, line, "%s%skeys must be plain names",
                     parent == K_COUNT ? "" : cfg_keys[parent].path,
                     parent == K_COUNT ? "" : ": ");
            return NX_ECONFIG;
        }
        char name[64];
        snprintf(name, sizeof name, "%s", (const char *)ev.data.scalar.value);
        yaml_event_delete(&ev);

        enum cfg_key k = cfg_key_find(parent, name);
        if (k == K_COUNT) {
            const char *hint = cfg_key_suggest(parent, name);
            cfg_fail(d, line, "unknown key '%s%s%s'%s%s%s",
                     parent == K_COUNT ? "" : cfg_keys[parent].path,
                     parent == K_COUNT ? "" : ".", name, hint ? "; did you mean '" : "",
                     hint ? hint : "", hint ? "'?" : "");
            return NX_ECONFIG;
        }
        if (lines[k]) {
            cfg_fail(d, line, "%s: duplicate key (first on line %u)", cfg_keys[k].path,
                     lines[k]);
            return NX_ECONFIG;
        }
        lines[k] = line;

        yaml_event_t val;
        if (!yaml_parser_parse(p, &val))
            return yaml_syntax_error(p, d);
        bool is_map = val.type == YAML_MAPPING_START_EVENT;
        bool is_scalar = val.type == YAML_SCALAR_EVENT;
        if (cfg_keys[k].section && !is_map) {
            bool empty = is_scalar && val.data.scalar.length == 0 &&
                         val.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (!yaml_skip(p, &val)) {
                yaml_event_delete(&val);
                return yaml_syntax_error(p, d);
            }
            yaml_event_delete(&val);
            if (empty)
                continue; /* "node:" with nothing: all defaults */
            cfg_fail(d, line, "%s: must be a mapping of keys", cfg_keys[k].path);
            return NX_ECONFIG;
        }
        if (!cfg_keys[k].section && !is_scalar) {
            yaml_skip(p, &val);
            yaml_event_delete(&val);
            cfg_fail(d, line, "%s: must be a single value, not a %s", cfg_keys[k].path,
                     val.type == YAML_SEQUENCE_START_EVENT ? "list" : "mapping");
            return NX_ECONFIG;
        }
        if (!cfg_keys[k].section && val.data.scalar.length == 0 &&
            val.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            yaml_event_delete(&val);
            cfg_fail(d, line, "%s: has no value", cfg_keys[k].path);
            return NX_ECONFIG;
        }
        yaml_event_delete(&val);
        if (is_map) {
            nx_err_t err = yaml_scan_mapping(p, k, lines, d);
            if (err != NX_OK)
                return err;
        }
    }
}

static nx_err_t yaml_scan(FILE *f, unsigned *lines, cfg_diag_t *d)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        cfg_fail(d, 0, "out of memory");
        return NX_ENOMEM;
    }
    yaml_parser_set_input_file(&p, f);
    nx_err_t err = NX_OK;
    bool seen_doc = false;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            err = yaml_syntax_error(&p, d);
            break;
        }
        yaml_event_type_t t = ev.type;
        unsigned line = (unsigned)ev.start_mark.line + 1;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            if (seen_doc) {
                cfg_fail(d, line, "more than one YAML document");
                err = NX_ECONFIG;
                break;
            }
            seen_doc = true;
            /* The root: a mapping, or an empty document (all defaults). */
            yaml_event_t root;
            if (!yaml_parser_parse(&p, &root)) {
                err = yaml_syntax_error(&p, d);
                break;
            }
            if (root.type == YAML_MAPPING_START_EVENT) {
                yaml_event_delete(&root);
                err = yaml_scan_mapping(&p, K_COUNT, lines, d);
            } else if (root.type == YAML_SCALAR_EVENT && root.data.scalar.length == 0) {
                yaml_event_delete(&root);
            } else {
                cfg_fail(d, (unsigned)root.start_mark.line + 1,
                         "the file must be a mapping of keys");
                yaml_skip(&p, &root);
                yaml_event_delete(&root);
                err = NX_ECONFIG;
            }
            if (err != NX_OK)
                break;
            continue;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return err;
}

/* ---- pass 2: values (libcyaml) ------------------------------------------ */

/* What libcyaml fills; copied into nx_config_t for the keys present. */
typedef struct cfg_raw {
    char domain[NX_DOMAIN_NAME_MAX + 1];
    struct {
        uint32_t max_inbound_queues, queue_capacity, message_size;
        int notify;
        uint32_t busy_timeout_ms, idle_timeout_ms, idle_after_loops;
        uint32_t spin_before_sleep_us, heartbeat_ms, heartbeat_timeout_ms;
    } node;
    struct {
        uint64_t ring_size;
    } large_data;
    struct {
        uint32_t mode;
    } shm;
    struct {
        int level;
    } log;
} cfg_raw_t;

static const cyaml_strval_t notify_strings[] = {
    {"semaphore", NX_NOTIFY_SEMAPHORE},
    {"condvar", NX_NOTIFY_CONDVAR},
    {"spin", NX_NOTIFY_SPIN},
};

static const cyaml_strval_t level_strings[] = {
    {"error", NX_LOG_ERROR}, {"warn", NX_LOG_WARN},   {"warning", NX_LOG_WARN},
    {"info", NX_LOG_INFO},   {"debug", NX_LOG_DEBUG}, {"trace", NX_LOG_TRACE},
};

#define OPT   CYAML_FLAG_OPTIONAL
#define N_(a) (sizeof(a) / sizeof((a)[0]))

static const cyaml_schema_field_t node_fields[] = {
    CYAML_FIELD_UINT("max_inbound_queues", OPT, cfg_raw_t, node.max_inbound_queues),
    CYAML_FIELD_UINT("queue_capacity", OPT, cfg_raw_t, node.queue_capacity),
    CYAML_FIELD_UINT("message_size", OPT, cfg_raw_t, node.message_size),
    CYAML_FIELD_ENUM("notify", OPT | CYAML_FLAG_STRICT, cfg_raw_t, node.notify,
                     notify_strings, N_(notify_strings)),
    CYAML_FIELD_UINT("busy_timeout_ms", OPT, cfg_raw_t, node.busy_timeout_ms),
    CYAML_FIELD_UINT("idle_timeout_ms", OPT, cfg_raw_t, node.idle_timeout_ms),
    CYAML_FIELD_UINT("idle_after_loops", OPT, cfg_raw_t, node.idle_after_loops),
    CYAML_FIELD_UINT("spin_before_sleep_us", OPT, cfg_raw_t, node.spin_before_sleep_us),
    CYAML_FIELD_UINT("heartbeat_ms", OPT, cfg_raw_t, node.heartbeat_ms),
    CYAML_FIELD_UINT("heartbeat_timeout_ms", OPT, cfg_raw_t, node.heartbeat_timeout_ms),
    CYAML_FIELD_END};

static const cyaml_schema_field_t large_fields[] = {
    CYAML_FIELD_UINT("ring_size", OPT, cfg_raw_t, large_data.ring_size), CYAML_FIELD_END};

static const cyaml_schema_field_t shm_fields[] = {
    CYAML_FIELD_UINT("mode", OPT, cfg_raw_t, shm.mode), CYAML_FIELD_END};

static const cyaml_schema_field_t log_fields[] = {
    CYAML_FIELD_ENUM("level", OPT | CYAML_FLAG_STRICT, cfg_raw_t, log.level, level_strings,
                     N_(level_strings)),
    CYAML_FIELD_END};

/*
 * The sections are mapped onto the same cfg_raw_t (offset 0) so that each
 * field names its full path in the struct; libcyaml only needs the offsets.
 */
static const cyaml_schema_field_t top_fields[] = {
    CYAML_FIELD_STRING("domain", OPT, cfg_raw_t, domain, 0),
    {.key = "node",
     .data_offset = 0,
     .value = {CYAML_VALUE_MAPPING(OPT, cfg_raw_t, node_fields)}},
    {.key = "large_data",
     .data_offset = 0,
     .value = {CYAML_VALUE_MAPPING(OPT, cfg_raw_t, large_fields)}},
    {.key = "shm",
     .data_offset = 0,
     .value = {CYAML_VALUE_MAPPING(OPT, cfg_raw_t, shm_fields)}},
    {.key = "log",
     .data_offset = 0,
     .value = {CYAML_VALUE_MAPPING(OPT, cfg_raw_t, log_fields)}},
    CYAML_FIELD_END};

static const cyaml_schema_value_t top_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, cfg_raw_t, top_fields)};

/* Collects libcyaml's error lines: the first message and the innermost
 * backtrace entry ("in mapping field 'x' (line: N, ...)"). */
typedef struct cyaml_capture {
    char first[160];
    char field[64];
    unsigned line;
} cyaml_capture_t;

NX_ATTR_PRINTF(3, 0)
static void cyaml_capture_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
    cyaml_capture_t *c = ctx;
    if (level < CYAML_LOG_ERROR)
        return;
    char buf[256];
    vsnprintf(buf, sizeof buf, fmt, args);
    buf[strcspn(buf, "\n")] = '\0';
    const char *in = strstr(buf, "in mapping field '");
    if (in) {
        if (c->line == 0) {
            const char *name = in + strlen("in mapping field '");
            const char *end = strchr(name, '\'');
            const char *ln = strstr(buf, "(line: ");
            if (end && ln) {
                snprintf(c->field, sizeof c->field, "%.*s", (int)(end - name), name);
                c->line = (unsigned)strtoul(ln + 7, NULL, 10);
            }
        }
        return;
    }
    if (c->first[0] == '\0' && strstr(buf, "Backtrace") == NULL) {
        const char *msg = strncmp(buf, "Load: ", 6) == 0 ? buf + 6 : buf;
        snprintf(c->first, sizeof c->first, "%.159s", msg);
    }
}

/* Turn libcyaml's "Invalid uint64_t value: 'x'" into words a user knows. */
static const char *cfg_explain(const char *leaf, const char *cy_msg)
{
    static _Thread_local char buf[200];
    const char *colon = strstr(cy_msg, ": ");
    if (strncmp(cy_msg, "Invalid ", 8) != 0 || !colon)
        return cy_msg;
    const char *v = colon + 2;
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
        v++;
        n -= 2;
    }
    if (strcmp(leaf, "notify") == 0)
        snprintf(buf, sizeof buf, "'%.*s' is not one of semaphore, condvar, spin",
                 (int)(n > 40 ? 40 : n), v);
    else if (strcmp(leaf, "level") == 0)
        snprintf(buf, sizeof buf, "'%.*s' is not one of error, warn, info, debug, trace",
                 (int)(n > 40 ? 40 : n), v);
    else if (strcmp(leaf, "domain") == 0)
        snprintf(buf, sizeof buf, "%s", cy_msg);
    else
        snprintf(buf, sizeof buf, "'%.*s' is not an unsigned integer in range",
                 (int)(n > 40 ? 40 : n), v);
    return buf;
}

/* Find the dotted key whose line the backtrace named. */
static const char *cfg_key_at(const unsigned *lines, unsigned line, const char *leaf)
{
    for (int k = 0; k < K_COUNT; k++)
        if (lines[k] == line && strcmp(cfg_key_leaf((enum cfg_key)k), leaf) == 0)
            return cfg_keys[k].path;
    return leaf;
}

nx_err_t nx_config_load_msg(const char *yaml_path, nx_config_t *cfg, char *msg,
                            size_t msg_size)
{
    cfg_diag_t d = {msg, msg_size, yaml_path};
    if (msg && msg_size)
        msg[0] = '\0';
    if (!yaml_path || !cfg) {
        d.file = NULL;
        cfg_fail(&d, 0, "NULL path or config");
        return NX_EINVAL;
    }

    FILE *f = fopen(yaml_path, "rb");
    if (!f) {
        cfg_fail(&d, 0, "cannot open: %s", strerror(errno));
        return NX_ECONFIG;
    }
    unsigned lines[K_COUNT] = {0};
    nx_err_t err = yaml_scan(f, lines, &d);
    fclose(f);
    if (err != NX_OK)
        return err;

    cyaml_capture_t cap = {{0}, {0}, 0};
    const cyaml_config_t cy = {
        .log_fn = cyaml_capture_fn,
        .log_ctx = &cap,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        .flags = CYAML_CFG_DEFAULT,
    };
    cfg_raw_t *raw = NULL;
    cyaml_err_t cerr =
        cyaml_load_file(yaml_path, &cy, &top_schema, (cyaml_data_t **)&raw, NULL);
    if (cerr != CYAML_OK) {
        if (cap.line)
            cfg_fail(
                &d, cap.line, "%s: %s", cfg_key_at(lines, cap.line, cap.field),
                cfg_explain(cap.field, cap.first[0] ? cap.first : cyaml_strerror(cerr)));
        else
            cfg_fail(&d, 0, "%s", cap.first[0] ? cap.first : cyaml_strerror(cerr));
        if (raw)
            cyaml_free(&cy, &top_schema, raw, 0);
        return NX_ECONFIG;
    }

    nx_config_t out;
    nx_config_default(&out);
    if (raw) {
#define TAKE_(key, dst, src)                                                               \
    if (lines[key])                                                                        \
        (dst) = (src);
        if (lines[K_DOMAIN])
            memcpy(out.domain, raw->domain, sizeof out.domain);
        TAKE_(K_MAX_INBOUND_QUEUES, out.node.max_inbound_queues,
              raw->node.max_inbound_queues)
        TAKE_(K_QUEUE_CAPACITY, out.node.queue_capacity, raw->node.queue_capacity)
        TAKE_(K_MESSAGE_SIZE, out.node.message_size, raw->node.message_size)
        TAKE_(K_NOTIFY, out.node.notify, (nx_notify_mode_t)raw->node.notify)
        TAKE_(K_BUSY_TIMEOUT, out.node.busy_timeout_ms, raw->node.busy_timeout_ms)
        TAKE_(K_IDLE_TIMEOUT, out.node.idle_timeout_ms, raw->node.idle_timeout_ms)
        TAKE_(K_IDLE_AFTER_LOOPS, out.node.idle_after_loops, raw->node.idle_after_loops)
        TAKE_(K_SPIN_BEFORE_SLEEP, out.node.spin_before_sleep_us,
              raw->node.spin_before_sleep_us)
        TAKE_(K_HEARTBEAT, out.node.heartbeat_ms, raw->node.heartbeat_ms)
        TAKE_(K_HEARTBEAT_TIMEOUT, out.node.heartbeat_timeout_ms,
              raw->node.heartbeat_timeout_ms)
        TAKE_(K_RING_SIZE, out.large_data.ring_size, raw->large_data.ring_size)
        TAKE_(K_MODE, out.shm.mode, raw->shm.mode)
        TAKE_(K_LEVEL, out.log.level, (nx_log_level_t)raw->log.level)
#undef TAKE_
        cyaml_free(&cy, &top_schema, raw, 0);
    }

    err = cfg_check(&out, lines, &d);
    if (err != NX_OK)
        return NX_ECONFIG;
    *cfg = out;
    return NX_OK;
}

nx_err_t nx_config_load(const char *yaml_path, nx_config_t *cfg)
{
    char msg[512];
    nx_err_t err = nx_config_load_msg(yaml_path, cfg, msg, sizeof msg);
    if (err != NX_OK)
        NX_LOGE("config", "%s", msg);
    return err;
}
