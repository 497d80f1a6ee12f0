/*
 * tool.h: what the files of the `nexus` command-line tool share.
 *
 *   nexus.c      main: global options, subcommand dispatch, usage
 *   util.c       option parsing, number parsing, tables, JSON, sanitising
 *   cmd_view.c   domains, nodes, topics, stats
 *   cmd_io.c     echo, pub
 *   cmd_clean.c  clean
 *
 * The tool uses public headers only: it sees a domain through the
 * snapshot of <nexus/inspect.h> (validated and sanitised by the library,
 * by the runtime's own rules) and cleans it with nx_domain_cleanup(). It
 * never reads or writes shared memory itself.
 *
 * The tool is single-threaded apart from the receive thread of the node
 * that `echo` creates.
 */
#ifndef NEXUS_TOOL_H
#define NEXUS_TOOL_H

#include <nexus/nexus.h>

#include <stdio.h>

/* The most nodes a domain holds (the registry's node table). */
#define TOOL_MAX_NODES 128

/* Exit statuses. */
enum {
    TOOL_OK = 0,    /* done */
    TOOL_ERR = 1,   /* a runtime or system condition (missing node, bad registry...) */
    TOOL_USAGE = 2, /* the command line is wrong */
};

/* Options every subcommand understands. */
typedef struct tool_ctx {
    char domain[NX_DOMAIN_NAME_MAX +
                1]; /* resolved: --domain, NEXUS_DOMAIN, NEXUS_CONFIG, "default" */
    bool json;      /* --json */
    int verbose;    /* -v, repeatable */
    nx_log_level_t log_level; /* for runtime lines, from verbose */
} tool_ctx_t;

/* ---- command-line parsing (util.c) -------------------------------------- */

typedef struct tool_opt {
    const char *name; /* long name without "--" */
    char short_name;  /* 0 if none */
    bool has_arg;
    int id; /* returned by tool_args_next(); > 0 */
} tool_opt_t;

/* Results of tool_args_next() besides an option id. */
enum {
    TOOL_ARG_END = 0,         /* no more arguments */
    TOOL_ARG_POSITIONAL = -1, /* *val is a positional argument */
    TOOL_ARG_ERROR = -2,      /* unknown option or missing value (printed) */
};

/* Ids of the options every subcommand accepts (tool_args_common). */
enum {
    TOOL_OPT_HELP = 1000,
    TOOL_OPT_DOMAIN,
    TOOL_OPT_JSON,
    TOOL_OPT_VERBOSE,
};

typedef struct tool_args {
    int argc;
    char **argv;
    int i;               /* next argument */
    bool only_pos;       /* after "--" */
    const char *cmd;     /* for messages: "nexus nodes" */
    const char *cluster; /* the rest of a cluster of short flags ("-vv"), or NULL */
} tool_args_t;

/*
 * Next argument: an option id (with *val its value, or NULL), a positional
 * (TOOL_ARG_POSITIONAL, *val), TOOL_ARG_END, or TOOL_ARG_ERROR after
 * printing what is wrong. Accepts "--name value", "--name=value", "-x value".
 * specs is terminated by an entry with name NULL; the common options
 * (--help, --domain, --json, -v) are always recognised.
 */
int tool_args_next(tool_args_t *a, const tool_opt_t *specs, const char **val);

/*
 * Apply a common option (TOOL_OPT_*) to ctx. Returns TOOL_OK, or
 * TOOL_USAGE after printing why (bad domain name).
 */
int tool_apply_common(tool_ctx_t *ctx, int id, const char *val);

/*
 * Fill ctx->domain unless --domain set it: $NEXUS_DOMAIN, else the domain
 * of the file $NEXUS_CONFIG names, else "default". TOOL_USAGE (printed)
 * if $NEXUS_DOMAIN is not a valid name.
 */
int tool_resolve_domain(tool_ctx_t *ctx, const char *cmd);

/* The runtime's log lines, in the tool's format, on stderr; none while
 * tool_log_quiet is set (around a call whose error the tool reports). */
void tool_log_hook(nx_log_level_t level, const char *module, const char *line, void *user);
extern bool tool_log_quiet;

/* Set the log level the runtime uses for its own lines (verbose). */
void tool_apply_log_level(tool_ctx_t *ctx);

/* Parse an unsigned decimal in [min, max]; false (nothing printed) if not. */
bool tool_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parse a non-negative decimal number (e.g. "2.5"); false if not. */
bool tool_parse_double(const char *s, double max, double *out);

/* Print "nexus CMD: message" to stderr. */
void tool_err(const char *cmd, const char *fmt, ...) NX_ATTR_PRINTF(2, 3);

/* Print a usage error to stderr with a hint to --help; returns TOOL_USAGE. */
int tool_usage_err(const char *cmd, const char *fmt, ...) NX_ATTR_PRINTF(2, 3);

/* ---- output helpers (util.c) ------------------------------------------- */

/* Copy src into dst (size > 0), replacing bytes that are not printable
 * ASCII with '?', so text read from shared memory cannot drive a terminal. */
void tool_sanitize(char *dst, size_t size, const char *src);

/* Write s as a JSON string literal (quoted, escaped; bytes >= 0x80 as \u00XX). */
void tool_json_str(FILE *f, const char *s);

/* Write "key":"value", with a leading comma unless first. */
void tool_json_kv_str(FILE *f, bool *first, const char *key, const char *value);
void tool_json_kv_u64(FILE *f, bool *first, const char *key, uint64_t value);
void tool_json_kv_i64(FILE *f, bool *first, const char *key, int64_t value);
void tool_json_kv_bool(FILE *f, bool *first, const char *key, bool value);
void tool_json_kv_null(FILE *f, bool *first, const char *key);
/* "key": then the caller writes the value. */
void tool_json_key(FILE *f, bool *first, const char *key);

/* A text table whose columns are as wide as their widest cell. */
typedef struct tool_table {
    size_t ncols;
    size_t nrows;
    size_t cap;    /* cells allocated */
    size_t ncells; /* cells filled */
    char **cells;  /* row-major, each malloc'd (NULL on allocation failure) */
} tool_table_t;

void tool_table_init(tool_table_t *t, size_t ncols);
/* Append one cell (printf format, sanitised). Rows fill left to right. */
void tool_table_cell(tool_table_t *t, const char *fmt, ...) NX_ATTR_PRINTF(2, 3);
/* Print with two spaces between columns, each line prefixed by indent. */
void tool_table_print(const tool_table_t *t, FILE *f, const char *indent);
void tool_table_free(tool_table_t *t);

/* Format a duration in ns as "0.4s", "12ms", "3.2us"... */
void tool_fmt_duration(char *buf, size_t size, uint64_t ns);

/* CLOCK_MONOTONIC in ns. */
uint64_t tool_now_ns(void);

/* Print why the snapshot of a domain has no usable registry (BAD or
 * UNREADABLE); returns TOOL_ERR. */
int tool_report_reg_problem(const char *cmd, const nx_inspect_domain_t *d);

/* ---- subcommands ---------------------------------------------------------- */

int tool_cmd_domains(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_nodes(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_topics(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_services(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_stats(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_echo(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_pub(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_clean(tool_ctx_t *ctx, tool_args_t *a);

#endif /* NEXUS_TOOL_H */
