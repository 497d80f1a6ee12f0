/*
 * util.c: option parsing, number parsing, text tables and JSON output of
 * the `nexus` tool (see tool.h).
 */
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- messages ------------------------------------------------------------ */

void tool_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cmd ? cmd : "nexus");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int tool_usage_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cmd ? cmd : "nexus");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help'.\n", cmd ? cmd : "nexus");
    va_end(ap);
    return TOOL_USAGE;
}

/* ---- options ------------------------------------------------------------- */

static const tool_opt_t common_opts[] = {
    {"help", 'h', false, TOOL_OPT_HELP},
    {"domain", 'd', true, TOOL_OPT_DOMAIN},
    {"json", 0, false, TOOL_OPT_JSON},
    {"verbose", 'v', false, TOOL_OPT_VERBOSE},
    {NULL, 0, false, 0},
};

static const tool_opt_t *opt_find_long(const tool_opt_t *specs, const char *name,
                                       size_t len)
{
    const tool_opt_t *lists[2] = {specs, common_opts};
    for (int l = 0; l < 2; l++) {
        for (const tool_opt_t *o = lists[l]; o && o->name; o++)
            if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                return o;
    }
    return NULL;
}

static const tool_opt_t *opt_find_short(const tool_opt_t *specs, char c)
{
    const tool_opt_t *lists[2] = {specs, common_opts};
    for (int l = 0; l < 2; l++) {
        for (const tool_opt_t *o = lists[l]; o && o->name; o++)
            if (o->short_name && o->short_name == c)
                return o;
    }
    return NULL;
}

int tool_args_next(tool_args_t *a, const tool_opt_t *specs, const char **val)
{
    *val = NULL;
    if (a->cluster && *a->cluster) {
        /* The next flag of "-vv": checked whole when the cluster was read. */
        return opt_find_short(specs, *a->cluster++)->id;
    }
    a->cluster = NULL;
    if (a->i >= a->argc)
        return TOOL_ARG_END;
    const char *arg = a->argv[a->i++];
    if (a->only_pos || arg[0] != '-' || arg[1] == '\0') {
        *val = arg; /* "-" alone is a positional too */
        return TOOL_ARG_POSITIONAL;
    }
    if (strcmp(arg, "--") == 0) {
        a->only_pos = true;
        return tool_args_next(a, specs, val);
    }
    const tool_opt_t *o;
    const char *inline_val = NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        o = opt_find_long(specs, name, len);
        if (!o) {
            tool_usage_err(a->cmd, "unknown option '--%.*s'", (int)len, name);
            return TOOL_ARG_ERROR;
        }
        if (eq)
            inline_val = eq + 1;
    } else {
        o = opt_find_short(specs, arg[1]);
        if (!o) {
            tool_usage_err(a->cmd, "unknown option '-%c'", arg[1]);
            return TOOL_ARG_ERROR;
        }
        if (arg[2] != '\0') {
            /* "-vv": a cluster of flags that take no value, as in getopt. */
            if (o->has_arg) {
                tool_usage_err(a->cmd,
                               "option '-%c' takes its value as the next argument: "
                               "write '-%c %s'",
                               arg[1], arg[1], arg + 2);
                return TOOL_ARG_ERROR;
            }
            for (const char *c = arg + 2; *c; c++) {
                const tool_opt_t *f = opt_find_short(specs, *c);
                if (!f || f->has_arg) {
                    tool_usage_err(a->cmd, "unknown option '%s' ('-%c' %s)", arg, *c,
                                   f ? "takes a value and cannot be grouped"
                                     : "is not an option");
                    return TOOL_ARG_ERROR;
                }
            }
            a->cluster = arg + 2;
        }
    }
    if (o->has_arg) {
        if (inline_val) {
            *val = inline_val;
        } else if (a->i < a->argc) {
            *val = a->argv[a->i++];
        } else {
            tool_usage_err(a->cmd, "option '--%s' needs a value", o->name);
            return TOOL_ARG_ERROR;
        }
    } else if (inline_val) {
        tool_usage_err(a->cmd, "option '--%s' takes no value", o->name);
        return TOOL_ARG_ERROR;
    }
    return o->id;
}

int tool_apply_common(tool_ctx_t *ctx, int id, const char *val)
{
    switch (id) {
    case TOOL_OPT_DOMAIN:
        if (!nx_name_valid(NX_NAME_DOMAIN, val))
            return tool_usage_err("nexus",
                                  "bad domain name '%s': 1..%d characters "
                                  "of [A-Za-z0-9_-]",
                                  val, NX_DOMAIN_NAME_MAX);
        snprintf(ctx->domain, sizeof ctx->domain, "%s", val);
        return TOOL_OK;
    case TOOL_OPT_JSON:
        ctx->json = true;
        return TOOL_OK;
    case TOOL_OPT_VERBOSE:
        ctx->verbose++;
        tool_apply_log_level(ctx);
        return TOOL_OK;
    default:
        return TOOL_OK;
    }
}

void tool_apply_log_level(tool_ctx_t *ctx)
{
    ctx->log_level = ctx->verbose >= 2   ? NX_LOG_DEBUG
                     : ctx->verbose == 1 ? NX_LOG_INFO
                                         : NX_LOG_WARN;
    nx_log_set_level(ctx->log_level);
}

bool tool_log_quiet;

void tool_log_hook(nx_log_level_t level, const char *module, const char *line, void *user)
{
    (void)user;
    if (!tool_log_quiet)
        fprintf(stderr, "nexus: %s: %s: %s\n", nx_log_level_name(level),
                module ? module : "runtime", line);
}

int tool_resolve_domain(tool_ctx_t *ctx, const char *cmd)
{
    if (ctx->domain[0])
        return TOOL_OK;
    char shown[48];
    const char *env = getenv("NEXUS_DOMAIN");
    if (env && env[0]) {
        if (!nx_name_valid(NX_NAME_DOMAIN, env)) {
            tool_sanitize(shown, sizeof shown, env);
            return tool_usage_err(cmd,
                                  "NEXUS_DOMAIN='%s' is not a domain name "
                                  "(1..%d characters of [A-Za-z0-9_-])",
                                  shown, NX_DOMAIN_NAME_MAX);
        }
        snprintf(ctx->domain, sizeof ctx->domain, "%s", env);
        return TOOL_OK;
    }
    const char *path = getenv("NEXUS_CONFIG");
    if (path && path[0]) {
        /* A file that does not load is an error, as it is for every node
         * of the system: guessing another domain would show the wrong one. */
        nx_config_t cfg;
        char msg[256];
        tool_log_quiet = true; /* the message below says it once */
        nx_err_t err = nx_config_load_msg(path, &cfg, msg, sizeof msg);
        tool_log_quiet = false;
        if (err == NX_OK) {
            snprintf(ctx->domain, sizeof ctx->domain, "%s", cfg.domain);
            return TOOL_OK;
        }
        char shown_msg[256];
        tool_sanitize(shown_msg, sizeof shown_msg, msg);
        tool_err(cmd,
                 "NEXUS_CONFIG does not load: %s\n"
                 "(fix the file, unset NEXUS_CONFIG, or name the domain with --domain)",
                 shown_msg);
        return TOOL_USAGE;
    }
    snprintf(ctx->domain, sizeof ctx->domain, "default");
    return TOOL_OK;
}

bool tool_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return false;
    *out = (uint64_t)v;
    return true;
}

bool tool_parse_double(const char *s, double max, double *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end != '\0' || !isfinite(v) || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- text and JSON ----------------------------------------------------- */

void tool_sanitize(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < size; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[i] = '\0';
}

void tool_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            /* Control bytes and bytes >= 0x80 (shared memory may hold any
             * byte, not UTF-8) are escaped so the output is valid JSON. */
            if (*p < 0x20 || *p >= 0x7f)
                fprintf(f, "\\u%04x", (unsigned)*p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void tool_json_key(FILE *f, bool *first, const char *key)
{
    if (!*first)
        fputc(',', f);
    *first = false;
    tool_json_str(f, key);
    fputc(':', f);
}

void tool_json_kv_str(FILE *f, bool *first, const char *key, const char *value)
{
    tool_json_key(f, first, key);
    tool_json_str(f, value);
}

void tool_json_kv_u64(FILE *f, bool *first, const char *key, uint64_t value)
{
    tool_json_key(f, first, key);
    fprintf(f, "%" PRIu64, value);
}

void tool_json_kv_i64(FILE *f, bool *first, const char *key, int64_t value)
{
    tool_json_key(f, first, key);
    fprintf(f, "%" PRId64, value);
}

void tool_json_kv_bool(FILE *f, bool *first, const char *key, bool value)
{
    tool_json_key(f, first, key);
    fputs(value ? "true" : "false", f);
}

void tool_json_kv_null(FILE *f, bool *first, const char *key)
{
    tool_json_key(f, first, key);
    fputs("null", f);
}

/* ---- tables ------------------------------------------------------------------ */

void tool_table_init(tool_table_t *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
}

void tool_table_cell(tool_table_t *t, const char *fmt, ...)
{
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **cells = realloc(t->cells, cap * sizeof *cells);
        if (!cells)
            return; /* the table just ends early; the tool keeps going */
        t->cells = cells;
        t->cap = cap;
    }
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *cell = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (cell) {
        vsnprintf(cell, (size_t)len + 1, fmt, ap2);
        tool_sanitize(cell, (size_t)len + 1, cell);
    }
    va_end(ap2);
    t->cells[t->ncells++] = cell;
    t->nrows = (t->ncells + t->ncols - 1) / t->ncols;
}

void tool_table_print(const tool_table_t *t, FILE *f, const char *indent)
{
    size_t width[16] = {0};
    size_t ncols = t->ncols < 16 ? t->ncols : 16;
    for (size_t k = 0; k < t->ncells; k++) {
        size_t c = k % t->ncols;
        size_t len = t->cells[k] ? strlen(t->cells[k]) : 0;
        if (c < ncols && len > width[c])
            width[c] = len;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(indent ? indent : "", f);
        for (size_t c = 0; c < ncols; c++) {
            size_t k = r * t->ncols + c;
            const char *cell = k < t->ncells && t->cells[k] ? t->cells[k] : "";
            bool last = c + 1 == ncols;
            if (last)
                fputs(cell, f);
            else
                fprintf(f, "%-*s  ", (int)width[c], cell);
        }
        fputc('\n', f);
    }
}

void tool_table_free(tool_table_t *t)
{
    for (size_t k = 0; k < t->ncells; k++)
        free(t->cells[k]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void tool_fmt_duration(char *buf, size_t size, uint64_t ns)
{
    if (ns >= UINT64_C(100000000000))
        snprintf(buf, size, "%" PRIu64 "s", ns / 1000000000u);
    else if (ns >= 1000000000u)
        snprintf(buf, size, "%.1fs", (double)ns / 1e9);
    else if (ns >= 1000000u)
        snprintf(buf, size, "%.1fms", (double)ns / 1e6);
    else if (ns >= 1000u)
        snprintf(buf, size, "%.1fus", (double)ns / 1e3);
    else
        snprintf(buf, size, "%" PRIu64 "ns", ns);
}

uint64_t tool_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int tool_report_reg_problem(const char *cmd, const nx_inspect_domain_t *d)
{
    if (d->registry == NX_REGISTRY_BAD)
        tool_err(cmd,
                 "the registry %s of domain '%s' failed validation: %s.\n"
                 "No node can join the domain while it is there. If no node of the "
                 "domain runs, remove it with: nexus clean --force --domain %s",
                 d->registry_name, d->name, d->problem, d->name);
    else
        tool_err(cmd, "cannot read the registry %s of domain '%s': %s", d->registry_name,
                 d->name, d->problem);
    return TOOL_ERR;
}
