/*
 * tool.h: what the files of the `nexus` command-line tool share.
 *
 *   nexus.c      main: global options, subcommand dispatch, usage
 *   util.c       option parsing, number parsing, tables, JSON, sanitising
 *   shmview.c    read-only views of the registry and of node segments
 *   cmd_view.c   domains, nodes, topics, stats
 *   cmd_io.c     echo, pub
 *   cmd_clean.c  clean
 *
 * Everything read from shared memory is untrusted: the registry is copied
 * into private memory and every string of the copy terminated before use;
 * node segments are mapped read-only and validated like the runtime does
 * before a single queue header is read. The tool never writes to shared
 * memory except through the runtime (echo, pub and clean).
 *
 * The tool is single-threaded apart from the receive thread of the node
 * that `echo` creates.
 */
#ifndef NEXUS_TOOL_H
#define NEXUS_TOOL_H

#include <nexus/nexus.h>

#include "registry_impl.h"
#include "shm_layout.h"

#include <stdio.h>

/* Exit statuses. */
enum {
    TOOL_OK = 0,    /* done */
    TOOL_ERR = 1,   /* a runtime or system condition (missing node, bad registry...) */
    TOOL_USAGE = 2, /* the command line is wrong */
};

/* Options every subcommand understands. */
typedef struct tool_ctx {
    char domain[NX_DOMAIN_NAME_MAX + 1]; /* resolved: --domain, NEXUS_DOMAIN, NEXUS_CONFIG, "default" */
    bool json;                           /* --json */
    int verbose;                         /* -v, repeatable */
    nx_log_level_t log_level;            /* for runtime lines, from verbose */
} tool_ctx_t;

/* ---- command-line parsing (util.c) -------------------------------------- */

typedef struct tool_opt {
    const char *name;  /* long name without "--" */
    char short_name;   /* 0 if none */
    bool has_arg;
    int id;            /* returned by tool_args_next(); > 0 */
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
    int i;            /* next argument */
    bool only_pos;    /* after "--" */
    const char *cmd;  /* for messages: "nexus nodes" */
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

/* ---- shared-memory views (shmview.c) ------------------------------------- */

/* Result of opening a registry. */
typedef enum tool_reg_status {
    TOOL_REG_OK = 0,
    TOOL_REG_MISSING, /* no registry object: no node runs in the domain */
    TOOL_REG_BAD,     /* exists but failed validation (why says how) */
    TOOL_REG_ERROR,   /* cannot be opened (permission, system error) */
} tool_reg_status_t;

/* A private, sanitised copy of a domain's registry. */
typedef struct tool_reg {
    char domain[NX_DOMAIN_NAME_MAX + 1];
    char shm_name[NX_SHM_NAME_MAX];      /* "/nexus.D.registry" */
    nx_registry_shm_t *copy;             /* malloc'd; strings terminated */
    uint64_t generation;
    bool consistent;                     /* generation did not move during the copy */
} tool_reg_t;

/*
 * Copy the registry of `domain` without locking it (a hung node holding
 * the lock must not hang the tool): the copy is retried while the
 * generation moves, then every string is terminated. On TOOL_REG_BAD and
 * TOOL_REG_ERROR, why describes the problem. reg->copy is NULL unless OK.
 */
tool_reg_status_t tool_reg_load(const char *domain, tool_reg_t *reg, char *why,
                                size_t why_size);
void tool_reg_free(tool_reg_t *reg);

/* Build "/nexus.D.registry". */
void tool_reg_name(char *buf, size_t size, const char *domain);

/* How a registry node entry is doing. */
typedef enum tool_liveness {
    TOOL_NODE_ALIVE = 0,
    TOOL_NODE_HUNG,  /* process runs, heartbeat older than the timeout */
    TOOL_NODE_DEAD,  /* process gone (or the entry says dead) */
} tool_liveness_t;

/* Is the owner of a registry entry (from a tool_reg copy) alive? Same
 * checks as the runtime: liveness lock on its segment, pid + start time. */
bool tool_node_process_alive(const char *domain, const nx_reg_node_t *n);

/* Liveness of an ALIVE or DEAD entry; *age_ns gets its heartbeat age. */
tool_liveness_t tool_node_liveness(const char *domain, const nx_reg_node_t *n,
                                   uint64_t hung_ns, uint64_t *age_ns);

const char *tool_liveness_name(tool_liveness_t l);

/* Is name "/nexus.D.n.*" or "/nexus.D.l.*" (or without the slash when
 * slash is false), with no further '/'? Segment names from the registry
 * are checked before they are opened, so a hostile entry cannot point
 * the tool at another object. */
bool tool_segment_name_ok(const char *domain, const char *name, char kind, bool slash);

/* One inbound queue as read from a segment. */
typedef struct tool_queue {
    uint32_t index;
    uint32_t flags;
    char sender[NX_NODE_NAME_MAX + 1]; /* sanitised */
    uint32_t sender_pid;
    bool sender_alive;
    uint32_t capacity;
    int64_t pending;      /* -1: the indices are impossible (corrupt) */
    uint64_t sent, received, dropped, rejected, high_water;
} tool_queue_t;

/* A node segment mapped read-only, validated. */
typedef struct tool_seg {
    int fd;
    void *base;
    size_t map_size;      /* bytes mapped: header and queue headers only */
    size_t size;          /* bytes of the object */
    nx_seg_header_t *h;
    nx_queue_hdr_t *queues;
    uint32_t max_queues, capacity, message_size;
    uint32_t pid;
    uint32_t ref_count, state, bell_mode;
    uint64_t heartbeat_ns;
} tool_seg_t;

/*
 * Map node segment `name` read-only and validate its header (magic,
 * version, ABI, size, geometry, offsets; and pid and incarnation against
 * entry when it is not NULL). NX_ENOTFOUND if it does not exist; on other
 * failures why says what is wrong.
 */
nx_err_t tool_seg_open(const char *domain, const char *name, const nx_reg_node_t *entry,
                       tool_seg_t *seg, char *why, size_t why_size);
void tool_seg_close(tool_seg_t *seg);

/* Read queue i (false if it is not in use). */
bool tool_seg_queue(const tool_seg_t *seg, uint32_t i, tool_queue_t *out);

/* Count queues in use. */
uint32_t tool_seg_queues_used(const tool_seg_t *seg);

/* Names of the /dev/shm objects starting with prefix (no leading '/'),
 * sorted. Returns the count; *names malloc'd (free with tool_names_free). */
size_t tool_shm_names(const char *prefix, char ***names);
void tool_names_free(char **names, size_t n);

/* Does /dev/shm hold `name` (no leading '/')? */
bool tool_shm_exists(const char *name);

/* ---- runtime internals the tool calls ----------------------------------- */

/* sub.c (declared in node_impl.h): is s a valid topic or group name? */
bool nx__topic_name_ok(const char *s, bool allow_empty);
/* node.c: remove node and large-data segments of the domain whose owner
 * process is gone; returns how many were removed. */
uint32_t nx__orphans_remove(const char *domain);

/* ---- subcommands ---------------------------------------------------------- */

int tool_cmd_domains(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_nodes(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_topics(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_stats(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_echo(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_pub(tool_ctx_t *ctx, tool_args_t *a);
int tool_cmd_clean(tool_ctx_t *ctx, tool_args_t *a);

/* Print the report of a registry that failed to load; returns TOOL_ERR. */
int tool_report_reg_problem(const char *cmd, const tool_reg_t *reg,
                            tool_reg_status_t st, const char *why);

#endif /* NEXUS_TOOL_H */
