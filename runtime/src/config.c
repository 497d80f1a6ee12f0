/*
 * config.c: defaults, YAML loading and range checks of nx_config_t.
 *
 * The file is read once into memory, and refused unread if it is larger
 * than CFG_MAX_BYTES. Loading then takes two passes over those bytes. The
 * first walks libyaml's event stream to learn where each key stands (so
 * every error names its line), to reject unknown keys, duplicate keys and
 * wrong shapes with the exact line, and to read every number strictly
 * (cfg_number()). It stops at the first event that does not fit the
 * schema, which nests two mappings deep: libyaml's cost grows with the
 * square of the nesting, so a deep file is refused where it first goes too
 * deep, never read to its end. The second pass lets libcyaml convert the
 * strings and enums; its error backtrace gives the line of a value it
 * could not convert. It ignores the numbers: its own reading of integers
 * (strtoull with base 0, then a look at the first character only) takes
 * "256abc" as 256, "2.56e2" as 2 and "0256" as octal, and cannot be told
 * otherwise. Range checks run last, on the converted values. libcyaml is
 * only used here, never on a hot path.
 */
#include "log_impl.h"
#include "names_impl.h"
#include "shm_layout.h"

#include <nexus/config.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest configuration file read, in bytes. A Nexus file is a few
 * hundred bytes; the limit bounds the memory and the time a hostile or
 * mistaken file (a log, a core dump) can cost. Documented in
 * docs/nexus.yaml and nexus/config.h. */
#define CFG_MAX_BYTES (UINT32_C(1) << 20)

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

/* How a key's value is read. Numbers are read by cfg_number(), the rest
 * by libcyaml. */
enum cfg_kind {
    CFG_SECTION, /* a mapping of keys */
    CFG_TEXT,    /* a string or an enum (libcyaml) */
    CFG_UINT,    /* decimal digits */
    CFG_SIZE,    /* decimal digits, then KiB, MiB or GiB if wanted */
    CFG_MODE     /* octal digits */
};

typedef struct cfg_keyinfo {
    const char *path;    /* dotted, as printed in errors */
    enum cfg_key parent; /* K_COUNT for top level */
    enum cfg_kind kind;
    uint64_t max; /* largest number the field can hold */
} cfg_keyinfo_t;

#define U32_ UINT32_MAX
#define U64_ UINT64_MAX

static const cfg_keyinfo_t cfg_keys[K_COUNT] = {
    [K_DOMAIN] = {"domain", K_COUNT, CFG_TEXT, 0},
    [K_NODE] = {"node", K_COUNT, CFG_SECTION, 0},
    [K_MAX_INBOUND_QUEUES] = {"node.max_inbound_queues", K_NODE, CFG_UINT, U32_},
    [K_QUEUE_CAPACITY] = {"node.queue_capacity", K_NODE, CFG_UINT, U32_},
    [K_MESSAGE_SIZE] = {"node.message_size", K_NODE, CFG_SIZE, U32_},
    [K_NOTIFY] = {"node.notify", K_NODE, CFG_TEXT, 0},
    [K_BUSY_TIMEOUT] = {"node.busy_timeout_ms", K_NODE, CFG_UINT, U32_},
    [K_IDLE_TIMEOUT] = {"node.idle_timeout_ms", K_NODE, CFG_UINT, U32_},
    [K_IDLE_AFTER_LOOPS] = {"node.idle_after_loops", K_NODE, CFG_UINT, U32_},
    [K_SPIN_BEFORE_SLEEP] = {"node.spin_before_sleep_us", K_NODE, CFG_UINT, U32_},
    [K_HEARTBEAT] = {"node.heartbeat_ms", K_NODE, CFG_UINT, U32_},
    [K_HEARTBEAT_TIMEOUT] = {"node.heartbeat_timeout_ms", K_NODE, CFG_UINT, U32_},
    [K_LARGE_DATA] = {"large_data", K_COUNT, CFG_SECTION, 0},
    [K_RING_SIZE] = {"large_data.ring_size", K_LARGE_DATA, CFG_SIZE, U64_},
    [K_SHM] = {"shm", K_COUNT, CFG_SECTION, 0},
    [K_MODE] = {"shm.mode", K_SHM, CFG_MODE, U32_},
    [K_LOG] = {"log", K_COUNT, CFG_SECTION, 0},
    [K_LEVEL] = {"log.level", K_LOG, CFG_TEXT, 0},
};

#undef U32_
#undef U64_

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

/* What pass 1 learns: the line of every key present (0: absent) and the
 * value of every number. */
typedef struct cfg_seen {
    unsigned lines[K_COUNT];
    uint64_t nums[K_COUNT];
} cfg_seen_t;

/* Copy at most 40 characters of a scalar into buf for a message: '?' for
 * a byte that is not printable ASCII, "..." when cut. Returns buf. */
static const char *cfg_show(char *buf, size_t size, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < size; i++) {
        if (i == 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[o] = '\0';
    return buf;
}

static bool cfg_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The unit a key's name ends in ("ms", "us"), or NULL. */
static const char *cfg_key_unit(enum cfg_key k)
{
    const char *p = cfg_keys[k].path;
    size_t n = strlen(p);
    if (n > 3 && strcmp(p + n - 3, "_ms") == 0)
        return "ms";
    if (n > 3 && strcmp(p + n - 3, "_us") == 0)
        return "us";
    return NULL;
}

/*
 * Read the number of key k from its scalar s (n bytes), strictly:
 *  - decimal digits only: no sign, no fraction, no exponent, no base
 *    prefix, nothing after them; a leading zero is refused (except "0"
 *    itself) rather than read as octal or silently as decimal;
 *  - a size in bytes (CFG_SIZE) may end in KiB, MiB or GiB (1024, 1024^2,
 *    1024^3), with no space;
 *  - shm.mode (CFG_MODE) is octal digits, as for chmod, with or without
 *    a leading 0;
 *  - at most the largest value the field holds (ranges are checked later).
 * On failure writes the reason into why and returns false.
 */
static bool cfg_number(enum cfg_key k, const char *s, size_t n, uint64_t *out, char *why,
                       size_t why_size)
{
    const cfg_keyinfo_t *ki = &cfg_keys[k];
    char shown[48];
    cfg_show(shown, sizeof shown, s, n);

    if (ki->kind == CFG_MODE) {
        uint64_t v = 0;
        size_t i = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '7'; i++) {
            v = v * 8 + (uint64_t)(s[i] - '0');
            if (v > ki->max) {
                snprintf(why, why_size, "'%s' is too large for permission bits", shown);
                return false;
            }
        }
        if (i == 0 || i < n) {
            snprintf(why, why_size,
                     "'%s' is not an octal mode such as 0660 (digits 0 to 7)", shown);
            return false;
        }
        *out = v;
        return true;
    }

    uint64_t v = 0;
    bool big = false;
    size_t i = 0;
    for (; i < n && cfg_is_digit(s[i]); i++) {
        unsigned dig = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - dig) / 10)
            big = true;
        else
            v = v * 10 + dig;
    }
    if (i == 0) {
        snprintf(why, why_size, "'%s' is not an unsigned integer%s", shown,
                 n && s[0] == '-'   ? ": negative values are not allowed"
                 : n && s[0] == '+' ? ": write the digits without a sign"
                                    : "");
        return false;
    }
    const char *rest = s + i;
    size_t rn = n - i;
    if (s[0] == '0' && i == 1 && rn > 0 &&
        (rest[0] == 'x' || rest[0] == 'X' || rest[0] == 'o' || rest[0] == 'O' ||
         rest[0] == 'b' || rest[0] == 'B')) {
        snprintf(why, why_size,
                 "'%s' is not a decimal integer: write the value in decimal digits", shown);
        return false;
    }
    if (s[0] == '0' && i > 1) {
        size_t z = 0;
        while (z + 1 < i && s[z] == '0')
            z++;
        snprintf(why, why_size,
                 "'%s' has a leading zero; write %.*s (a leading zero is refused, not "
                 "read as octal)",
                 shown, (int)(i - z > 40 ? 40 : i - z), s + z);
        return false;
    }

    uint64_t mult = 1;
    if (rn > 0) {
        bool letters = true;
        for (size_t j = 0; j < rn; j++)
            if (!((rest[j] >= 'a' && rest[j] <= 'z') || (rest[j] >= 'A' && rest[j] <= 'Z')))
                letters = false;
        bool binary =
            rn == 3 && (strncmp(rest, "KiB", 3) == 0 || strncmp(rest, "MiB", 3) == 0 ||
                        strncmp(rest, "GiB", 3) == 0);
        const char *unit = cfg_key_unit(k);
        if (rest[0] == '.' || rest[0] == ',' ||
            ((rest[0] == 'e' || rest[0] == 'E') && rn > 1 &&
             (cfg_is_digit(rest[1]) || rest[1] == '-' || rest[1] == '+'))) {
            snprintf(why, why_size,
                     "'%s' is not an unsigned integer: fractions and exponents are not "
                     "accepted",
                     shown);
            return false;
        }
        if (ki->kind == CFG_SIZE && binary) {
            mult = rest[0] == 'K'   ? UINT64_C(1) << 10
                   : rest[0] == 'M' ? UINT64_C(1) << 20
                                    : UINT64_C(1) << 30;
        } else if (ki->kind == CFG_SIZE && letters) {
            char sfx[48];
            snprintf(why, why_size,
                     "'%s' has an unknown unit '%s': a size is in bytes, optionally "
                     "followed by KiB, MiB or GiB",
                     shown, cfg_show(sfx, sizeof sfx, rest, rn));
            return false;
        } else if (binary) {
            snprintf(why, why_size,
                     "'%s': KiB, MiB and GiB are only accepted for sizes in bytes", shown);
            return false;
        } else if (unit && letters) {
            snprintf(why, why_size,
                     "'%s' is not an unsigned integer: the unit is already %s, as the "
                     "key's name says; write %.*s",
                     shown, unit, (int)(i > 40 ? 40 : i), s);
            return false;
        } else {
            char sfx[48];
            snprintf(why, why_size,
                     "'%s' is not an unsigned integer: '%s' after the digits", shown,
                     cfg_show(sfx, sizeof sfx, rest, rn));
            return false;
        }
    }
    if (big || v > ki->max / mult) {
        snprintf(why, why_size, "'%s' is too large (at most %" PRIu64 "%s)", shown, ki->max,
                 ki->kind == CFG_SIZE ? " bytes" : "");
        return false;
    }
    *out = v * mult;
    return true;
}

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

static nx_err_t yaml_syntax_error(yaml_parser_t *p, cfg_diag_t *d)
{
    cfg_fail(d, (unsigned)p->problem_mark.line + 1, "invalid YAML: %s%s%s",
             p->problem ? p->problem : "parse error", p->context ? " " : "",
             p->context ? p->context : "");
    return NX_ECONFIG;
}

static const char *yaml_event_what(yaml_event_type_t t)
{
    return t == YAML_SEQUENCE_START_EVENT  ? "list"
           : t == YAML_MAPPING_START_EVENT ? "mapping"
           : t == YAML_ALIAS_EVENT         ? "alias"
                                           : "value";
}

/*
 * Read one mapping (the event stream is just past its MAPPING_START).
 * `parent` is the section (K_COUNT at top level). Records the line of
 * every key (1-based) and the value of every number in seen, and rejects
 * what the schema lacks. A value of the wrong shape is refused at its
 * first event and never read further, so the work done on a deeply nested
 * file stops where it leaves the schema's two levels.
 */
static nx_err_t yaml_scan_mapping(yaml_parser_t *p, enum cfg_key parent, cfg_seen_t *seen,
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
        /* A name with a NUL or longer than any key matches none. */
        const char *text = (const char *)ev.data.scalar.value;
        size_t text_len = ev.data.scalar.length;
        char name[64], shown[48];
        snprintf(name, sizeof name, "%s", text);
        cfg_show(shown, sizeof shown, text, text_len);
        bool name_ok = text_len < sizeof name && memchr(text, '\0', text_len) == NULL;
        yaml_event_delete(&ev);

        enum cfg_key k = name_ok ? cfg_key_find(parent, name) : K_COUNT;
        if (k == K_COUNT) {
            const char *hint = name_ok ? cfg_key_suggest(parent, name) : NULL;
            cfg_fail(d, line, "unknown key '%s%s%s'%s%s%s",
                     parent == K_COUNT ? "" : cfg_keys[parent].path,
                     parent == K_COUNT ? "" : ".", shown, hint ? "; did you mean '" : "",
                     hint ? hint : "", hint ? "'?" : "");
            return NX_ECONFIG;
        }
        if (seen->lines[k]) {
            cfg_fail(d, line, "%s: duplicate key (first on line %u)", cfg_keys[k].path,
                     seen->lines[k]);
            return NX_ECONFIG;
        }
        seen->lines[k] = line;

        yaml_event_t val;
        if (!yaml_parser_parse(p, &val))
            return yaml_syntax_error(p, d);
        yaml_event_type_t vt = val.type;
        bool empty = vt == YAML_SCALAR_EVENT && val.data.scalar.length == 0 &&
                     val.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (cfg_keys[k].kind == CFG_SECTION) {
            yaml_event_delete(&val);
            if (vt == YAML_MAPPING_START_EVENT) {
                nx_err_t err = yaml_scan_mapping(p, k, seen, d);
                if (err != NX_OK)
                    return err;
                continue;
            }
            if (empty)
                continue; /* "node:" with nothing: all defaults */
            cfg_fail(d, line, "%s: must be a mapping of keys", cfg_keys[k].path);
            return NX_ECONFIG;
        }
        if (vt != YAML_SCALAR_EVENT) {
            yaml_event_delete(&val);
            cfg_fail(d, line, "%s: must be a single value, not a%s %s", cfg_keys[k].path,
                     vt == YAML_ALIAS_EVENT ? "n" : "", yaml_event_what(vt));
            return NX_ECONFIG;
        }
        if (empty) {
            yaml_event_delete(&val);
            cfg_fail(d, line, "%s: has no value", cfg_keys[k].path);
            return NX_ECONFIG;
        }
        if (k == K_DOMAIN &&
            (val.data.scalar.length > NX_DOMAIN_NAME_MAX ||
             memchr(val.data.scalar.value, '\0', val.data.scalar.length))) {
            /* libcyaml would quote all of it, or stop at a NUL. */
            cfg_show(shown, sizeof shown, (const char *)val.data.scalar.value,
                     val.data.scalar.length);
            yaml_event_delete(&val);
            cfg_fail(d, line, "domain: '%s' is not 1..%d characters of [A-Za-z0-9_-]",
                     shown, NX_DOMAIN_NAME_MAX);
            return NX_ECONFIG;
        }
        if (cfg_keys[k].kind != CFG_TEXT) {
            char why[240];
            bool ok = cfg_number(k, (const char *)val.data.scalar.value,
                                 val.data.scalar.length, &seen->nums[k], why, sizeof why);
            yaml_event_delete(&val);
            if (!ok) {
                cfg_fail(d, line, "%s: %s", cfg_keys[k].path, why);
                return NX_ECONFIG;
            }
            continue;
        }
        yaml_event_delete(&val);
    }
}

static nx_err_t yaml_scan(const unsigned char *buf, size_t len, cfg_seen_t *seen,
                          cfg_diag_t *d)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        cfg_fail(d, 0, "out of memory");
        return NX_ENOMEM;
    }
    yaml_parser_set_input_string(&p, buf, len);
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
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
        if (t != YAML_DOCUMENT_START_EVENT)
            continue;
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
        yaml_event_type_t rt = root.type;
        bool root_empty = rt == YAML_SCALAR_EVENT && root.data.scalar.length == 0;
        unsigned root_line = (unsigned)root.start_mark.line + 1;
        yaml_event_delete(&root);
        if (rt == YAML_MAPPING_START_EVENT) {
            err = yaml_scan_mapping(&p, K_COUNT, seen, d);
        } else if (!root_empty) {
            cfg_fail(d, root_line, "the file must be a mapping of keys");
            err = NX_ECONFIG;
        }
        if (err != NX_OK)
            break;
    }
    yaml_parser_delete(&p);
    return err;
}

/* ---- pass 2: strings and enums (libcyaml) ------------------------------- */

/* What libcyaml fills; copied into nx_config_t for the keys present. The
 * numbers come from pass 1 (cfg_seen_t); libcyaml ignores them. */
typedef struct cfg_raw {
    char domain[NX_DOMAIN_NAME_MAX + 1];
    int notify;
    int level;
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
    CYAML_FIELD_IGNORE("max_inbound_queues", OPT),
    CYAML_FIELD_IGNORE("queue_capacity", OPT),
    CYAML_FIELD_IGNORE("message_size", OPT),
    CYAML_FIELD_ENUM("notify", OPT | CYAML_FLAG_STRICT, cfg_raw_t, notify, notify_strings,
                     N_(notify_strings)),
    CYAML_FIELD_IGNORE("busy_timeout_ms", OPT),
    CYAML_FIELD_IGNORE("idle_timeout_ms", OPT),
    CYAML_FIELD_IGNORE("idle_after_loops", OPT),
    CYAML_FIELD_IGNORE("spin_before_sleep_us", OPT),
    CYAML_FIELD_IGNORE("heartbeat_ms", OPT),
    CYAML_FIELD_IGNORE("heartbeat_timeout_ms", OPT),
    CYAML_FIELD_END};

static const cyaml_schema_field_t large_fields[] = {CYAML_FIELD_IGNORE("ring_size", OPT),
                                                    CYAML_FIELD_END};

static const cyaml_schema_field_t shm_fields[] = {CYAML_FIELD_IGNORE("mode", OPT),
                                                  CYAML_FIELD_END};

static const cyaml_schema_field_t log_fields[] = {
    CYAML_FIELD_ENUM("level", OPT | CYAML_FLAG_STRICT, cfg_raw_t, level, level_strings,
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
    for (char *b = buf; *b; b++) /* values are quoted: keep the log readable */
        if ((unsigned char)*b < 0x20 || (unsigned char)*b >= 0x7f)
            *b = '?';
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

/* Turn libcyaml's "Invalid enum value: 'x'" into words a user knows. */
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
    char shown[48];
    cfg_show(shown, sizeof shown, v, n);
    if (strcmp(leaf, "notify") == 0)
        snprintf(buf, sizeof buf, "'%s' is not one of semaphore, condvar, spin", shown);
    else if (strcmp(leaf, "level") == 0)
        snprintf(buf, sizeof buf, "'%s' is not one of error, warn, info, debug, trace",
                 shown);
    else
        return cy_msg;
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

/*
 * Read the whole file into *out (caller frees with free()). A regular file
 * larger than CFG_MAX_BYTES is refused before a byte of it is read; any
 * other file (a pipe, a device) as soon as it yields more than that. Both
 * passes then parse these bytes, so they see the same content.
 */
static nx_err_t cfg_read_file(const char *path, unsigned char **out, size_t *len,
                              cfg_diag_t *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cfg_fail(d, 0, "cannot open: %s", strerror(errno));
        return NX_ECONFIG;
    }
    struct stat st;
    size_t cap = 4096;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        if (st.st_size > (off_t)CFG_MAX_BYTES) {
            cfg_fail(d, 0,
                     "the file is %jd bytes; a configuration file is at most 1 MiB "
                     "(%u bytes)",
                     (intmax_t)st.st_size, (unsigned)CFG_MAX_BYTES);
            fclose(f);
            return NX_ECONFIG;
        }
        cap = (size_t)st.st_size + 1; /* +1 sees the end in one read */
    }
    unsigned char *buf = malloc(cap);
    size_t n = 0;
    nx_err_t err = NX_OK;
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n > CFG_MAX_BYTES) {
            cfg_fail(d, 0, "the file is more than 1 MiB (%u bytes), the limit",
                     (unsigned)CFG_MAX_BYTES);
            err = NX_ECONFIG;
            break;
        }
        if (n < cap) {
            if (ferror(f)) {
                cfg_fail(d, 0, "cannot read: %s", strerror(errno));
                err = NX_ECONFIG;
            }
            break;
        }
        size_t grow = cap * 2 > CFG_MAX_BYTES + 1 ? CFG_MAX_BYTES + 1 : cap * 2;
        unsigned char *more = realloc(buf, grow);
        if (!more) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = more;
        cap = grow;
    }
    fclose(f);
    if (!buf) {
        cfg_fail(d, 0, "out of memory");
        return NX_ENOMEM;
    }
    if (err != NX_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = n;
    return NX_OK;
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

    unsigned char *text = NULL;
    size_t text_len = 0;
    nx_err_t err = cfg_read_file(yaml_path, &text, &text_len, &d);
    if (err != NX_OK)
        return err;
    cfg_seen_t seen;
    memset(&seen, 0, sizeof seen);
    err = yaml_scan(text, text_len, &seen, &d);
    if (err != NX_OK) {
        free(text);
        return err;
    }

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
        cyaml_load_data(text, text_len, &cy, &top_schema, (cyaml_data_t **)&raw, NULL);
    free(text);
    const unsigned *lines = seen.lines;
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
        if (lines[K_DOMAIN])
            memcpy(out.domain, raw->domain, sizeof out.domain);
        if (lines[K_NOTIFY])
            out.node.notify = (nx_notify_mode_t)raw->notify;
        if (lines[K_LEVEL])
            out.log.level = (nx_log_level_t)raw->level;
        cyaml_free(&cy, &top_schema, raw, 0);
    }
    /* cfg_number() kept each number within its field's type. */
#define TAKE_(key, dst, type)                                                              \
    if (lines[key])                                                                        \
        (dst) = (type)seen.nums[key];
    TAKE_(K_MAX_INBOUND_QUEUES, out.node.max_inbound_queues, uint32_t)
    TAKE_(K_QUEUE_CAPACITY, out.node.queue_capacity, uint32_t)
    TAKE_(K_MESSAGE_SIZE, out.node.message_size, uint32_t)
    TAKE_(K_BUSY_TIMEOUT, out.node.busy_timeout_ms, uint32_t)
    TAKE_(K_IDLE_TIMEOUT, out.node.idle_timeout_ms, uint32_t)
    TAKE_(K_IDLE_AFTER_LOOPS, out.node.idle_after_loops, uint32_t)
    TAKE_(K_SPIN_BEFORE_SLEEP, out.node.spin_before_sleep_us, uint32_t)
    TAKE_(K_HEARTBEAT, out.node.heartbeat_ms, uint32_t)
    TAKE_(K_HEARTBEAT_TIMEOUT, out.node.heartbeat_timeout_ms, uint32_t)
    TAKE_(K_RING_SIZE, out.large_data.ring_size, uint64_t)
    TAKE_(K_MODE, out.shm.mode, uint32_t)
#undef TAKE_

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
