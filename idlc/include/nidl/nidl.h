/*
 * nidl/nidl.h: the .nidl schema compiler as a library.
 *
 * nexus-idlc's main.c, the tests and the fuzz target all drive the
 * compiler through this header: create a context, set options, load one or
 * more schemas (each load parses the file, its imports, and checks them),
 * then generate the C header and source of each schema into memory and
 * write them out.
 *
 * Diagnostics are formatted like a C compiler's (file:line:col, message,
 * source line and caret) and handed to a sink, stderr by default. Nothing
 * in the library prints otherwise or exits.
 *
 * Ownership: strings passed in are copied unless stated; pointers returned
 * (schemas, names) are owned by the context and live until
 * nidl_ctx_destroy().
 *
 * Running out of memory never aborts: the call that ran out returns its
 * failure value (NULL, NIDL_ENOMEM, or nothing for the setters) and
 * nidl_ctx_status() says NIDL_ENOMEM from then on. The context then refuses
 * all work (every call fails the same way at once) and must be destroyed;
 * nidl_ctx_destroy() frees everything the context owns. A few small
 * temporaries of the interrupted call (the scanner's buffers, a message
 * being formatted) may not be returned.
 *
 * Limits (docs/idlc.md, "Limits"): only regular files are read (a FIFO,
 * directory, device or socket is refused before it is opened for reading);
 * a file larger than 16 MiB, or more than 64 MiB read in all by one
 * context (schemas, imports, templates and strings), is refused before it
 * is read or parsed. Both are reported like any unreadable file.
 *
 * Thread-safety: a context must be used by one thread at a time. Separate
 * contexts are independent and may be used concurrently.
 */
#ifndef NIDL_NIDL_H
#define NIDL_NIDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The compiler version, also printed in every generated file's banner. */
#ifndef NIDL_VERSION
#define NIDL_VERSION "0.1.0"
#endif

/** A compilation context: options, loaded files, diagnostics. Opaque. */
typedef struct nidl_ctx nidl_ctx_t;

/** A loaded and checked schema file. Opaque; owned by its context. */
typedef struct nidl_file nidl_schema_t;

/**
 * Outcome of a library call, ordered by severity. The values are the exit
 * statuses of nexus-idlc for NIDL_OK, NIDL_ESCHEMA and NIDL_EIO.
 */
typedef enum nidl_status {
    NIDL_OK = 0,        /**< success */
    NIDL_ESCHEMA = 1,   /**< the schema has errors (reported as diagnostics) */
    NIDL_EIO = 2,       /**< a file could not be read or written (reported) */
    NIDL_ETEMPLATE = 3, /**< a template is invalid (reported); exit status 2 */
    NIDL_ENOMEM = 4     /**< out of memory (not reported: the caller says it);
                             the context is unusable; exit status 2 */
} nidl_status_t;

/**
 * Receives one complete diagnostic: the "file:line:col: level: message"
 * line followed by the source excerpt, each line ending in '\n'.
 * `text` is borrowed for the call.
 */
typedef void (*nidl_diag_fn)(void *user, const char *text, size_t len);

/* ---- context and options ---------------------------------------------- */

/**
 * Create a context with the defaults: diagnostics to stderr, error limit
 * 20, default warnings, the file system enabled, built-in templates.
 * @return The context; free with nidl_ctx_destroy(). NULL if out of memory.
 *
 * The setters below that copy a string (include dirs, virtual files, the
 * template dir) record NIDL_ENOMEM in the context when the copy fails.
 */
nidl_ctx_t *nidl_ctx_create(void);

/** Free a context and everything it owns. Accepts NULL. */
void nidl_ctx_destroy(nidl_ctx_t *ctx);

/**
 * Send diagnostics to fn instead of stderr. fn NULL restores stderr.
 * @param[in] user  Passed to fn untouched.
 */
void nidl_ctx_set_diag_fn(nidl_ctx_t *ctx, nidl_diag_fn fn, void *user);

/**
 * Stop reporting after `limit` errors (0: no limit). When the limit is
 * reached one "too many errors" line is printed and parsing stops early.
 */
void nidl_ctx_set_error_limit(nidl_ctx_t *ctx, unsigned limit);

/**
 * Enable or disable a named warning ("unused-import", ...), the library
 * side of -W<name> and -Wno-<name>. The name "error" turns warnings into
 * errors (-Werror).
 * @retval 0   Done.
 * @retval -1  No warning has that name; nothing changed.
 */
int nidl_ctx_set_warning(nidl_ctx_t *ctx, const char *name, bool enabled);

/**
 * The i-th warning name (0-based) and whether it is on by default, for
 * --help. Returns NULL past the last one.
 */
const char *nidl_warning_name(size_t i, bool *on_by_default);

/**
 * Append a directory to the import search path (searched, in order, after
 * the importing file's own directory). `dir` is copied.
 */
void nidl_ctx_add_include_dir(nidl_ctx_t *ctx, const char *dir);

/**
 * Make a file with the given path and contents visible to imports and to
 * nidl_load_file() without touching the disk. Virtual files are looked up
 * before the file system, by the exact path the search would try
 * ("dir/name.nidl"). `path` and `text` are copied.
 */
void nidl_ctx_add_virtual_file(nidl_ctx_t *ctx, const char *path, const char *text,
                               size_t len);

/**
 * Allow or forbid reading the file system (default: allowed). With it
 * forbidden only virtual files can be loaded or imported; the fuzz target
 * uses this so that inputs cannot read arbitrary files.
 */
void nidl_ctx_set_filesystem(nidl_ctx_t *ctx, bool enabled);

/**
 * Use DIR/header.h.in and DIR/source.c.in instead of the built-in
 * templates. They are read and checked by the next nidl_generate().
 */
void nidl_ctx_set_template_dir(nidl_ctx_t *ctx, const char *dir);

/* ---- loading ------------------------------------------------------------ */

/**
 * Load a schema file: read, parse, load its imports (recursively), check.
 * Loading the same file twice returns the same schema. Errors are
 * reported through the diagnostic sink.
 *
 * Only a regular file is read, the schema and every import alike: the
 * path is stat()ed before it is opened, opened with O_NONBLOCK and
 * fstat()ed again, so a FIFO never blocks the call. "-" is a file named
 * "-", not stdin; "/dev/stdin" is read only when it is a regular file
 * (redirected from one), never a pipe or a terminal.
 *
 * @param[in] path  File name; kept as given for diagnostics and banners.
 * @return The checked schema, or NULL if it or one of its imports has an
 *         error, could not be read, is not a regular file or is over the
 *         size limits (NIDL_EIO), or memory ran out (NIDL_ENOMEM); see
 *         nidl_ctx_status().
 */
const nidl_schema_t *nidl_load_file(nidl_ctx_t *ctx, const char *path);

/**
 * As nidl_load_file() for text in memory. `name` plays the role of the
 * path: it appears in diagnostics and its directory is searched first for
 * imports. `text` (len bytes, NUL bytes allowed) is copied.
 */
const nidl_schema_t *nidl_load_string(nidl_ctx_t *ctx, const char *name, const char *text,
                                      size_t len);

/** The most severe status of every call so far (NIDL_OK if all went well). */
nidl_status_t nidl_ctx_status(const nidl_ctx_t *ctx);

/** Number of errors reported so far (warnings promoted by -Werror included). */
unsigned nidl_ctx_error_count(const nidl_ctx_t *ctx);

/** Number of warnings reported so far. */
unsigned nidl_ctx_warning_count(const nidl_ctx_t *ctx);

/* ---- queries on a checked schema ---------------------------------------- */

/** Size, alignment and fingerprint of a struct or message. */
typedef struct nidl_type_info {
    const char *qname;    /**< "pkg.path.Name" (borrowed) */
    uint32_t size;        /**< bytes, padding included */
    uint32_t align;       /**< alignment idlc assumes */
    uint64_t fingerprint; /**< as in the generated <TYPE>_TYPE_ID */
    uint32_t field_count; /**< schema fields, padding excluded */
    bool is_message;      /**< declared with `message` */
} nidl_type_info_t;

/** One field of a struct or message. */
typedef struct nidl_field_info {
    const char *name; /**< borrowed */
    uint32_t offset;  /**< bytes from the start of the struct */
    uint32_t size;    /**< bytes, arrays included */
    uint32_t align;   /**< alignment of the field */
} nidl_field_info_t;

/** The value of a constant or enum item. */
typedef struct nidl_value_info {
    bool is_float;      /**< float32/float64 constant: see fvalue */
    bool negative;      /**< integer: the sign */
    uint64_t magnitude; /**< integer: the absolute value (bool: 0 or 1) */
    double fvalue;      /**< float value */
} nidl_value_info_t;

/** A topic. */
typedef struct nidl_topic_info {
    const char *wire_name; /**< "pkg/path/name" or the `name` property */
    const char *type;      /**< qualified name of the message type */
    bool block;            /**< on_full = block */
    uint32_t block_ms;     /**< wait for block */
} nidl_topic_info_t;

/** A service. */
typedef struct nidl_service_info {
    const char *wire_name; /**< "pkg/path/name" or the `name` property */
    const char *request;   /**< qualified name of the request message */
    const char *reply;     /**< qualified name of the reply message */
    uint32_t timeout_ms;   /**< default call timeout: `timeout_ms` or 1000 */
} nidl_service_info_t;

/** The schema's path as given, and its package ("" if none). Borrowed. */
const char *nidl_schema_path(const nidl_schema_t *schema);
const char *nidl_schema_package(const nidl_schema_t *schema);

/**
 * Look up a struct or message declared in `schema` by its simple name.
 * @retval 0   *out is filled.
 * @retval -1  No such type; *out unchanged.
 */
int nidl_schema_type_info(const nidl_schema_t *schema, const char *name,
                          nidl_type_info_t *out);

/** Field `index` (0-based, schema order) of type `name`; 0 or -1 as above. */
int nidl_schema_field_info(const nidl_schema_t *schema, const char *name, size_t index,
                           nidl_field_info_t *out);

/** Value of constant `name`; 0 or -1 as above. */
int nidl_schema_const_value(const nidl_schema_t *schema, const char *name,
                            nidl_value_info_t *out);

/** Value of item `item` of enum `name`; 0 or -1 as above. */
int nidl_schema_enum_value(const nidl_schema_t *schema, const char *name, const char *item,
                           nidl_value_info_t *out);

/** Topic `name`; 0 or -1 as above. */
int nidl_schema_topic_info(const nidl_schema_t *schema, const char *name,
                           nidl_topic_info_t *out);

/** Service `name`; 0 or -1 as above. */
int nidl_schema_service_info(const nidl_schema_t *schema, const char *name,
                             nidl_service_info_t *out);

/* ---- generation ------------------------------------------------------------ */

/** The generated files of one schema, in memory. */
typedef struct nidl_output {
    char *header_name; /**< "sensors.nidl.h" */
    char *source_name; /**< "sensors.nidl.c" */
    char *header;      /**< NUL-terminated contents */
    size_t header_len;
    char *source;
    size_t source_len;
} nidl_output_t;

/**
 * Render the header and source of a checked schema from the templates.
 *
 * @param[out] out  Filled on success; free with nidl_output_free(). Zeroed
 *                  on failure.
 * @retval NIDL_OK         *out holds both files.
 * @retval NIDL_ESCHEMA    schema is NULL or had errors (reported).
 * @retval NIDL_EIO        A --template-dir template could not be read.
 * @retval NIDL_ETEMPLATE  A template is invalid (reported).
 * @retval NIDL_ENOMEM     Out of memory (not reported).
 */
nidl_status_t nidl_generate(nidl_ctx_t *ctx, const nidl_schema_t *schema,
                            nidl_output_t *out);

/** Free what nidl_generate() filled in; accepts a zeroed output. */
void nidl_output_free(nidl_output_t *out);

/**
 * Write both files into `dir` atomically: each goes to a temporary file in
 * `dir` first and is renamed over the target only when complete, so a
 * failure never leaves a partial file. Both temporaries are written before
 * either rename.
 * @retval NIDL_OK   Both written.
 * @retval NIDL_EIO  Reported; temporaries are removed. No target changed,
 *                   unless the source's rename failed after the header's
 *                   succeeded (then only the header is new).
 * @retval NIDL_ENOMEM  Out of memory (not reported); temporaries are
 *                   removed and no target changed.
 */
nidl_status_t nidl_write_output(nidl_ctx_t *ctx, const nidl_output_t *out, const char *dir);

/**
 * Write a make-style dependency file: "T1 T2 ...: D1 D2 ...\n" where the
 * targets are given and the dependencies are every file the context has
 * read (schemas, imports, templates from --template-dir), in load order.
 * Written atomically like nidl_write_output().
 * @retval NIDL_OK, NIDL_EIO, NIDL_ENOMEM  as nidl_write_output().
 */
nidl_status_t nidl_write_depfile(nidl_ctx_t *ctx, const char *path,
                                 const char *const *targets, size_t ntargets);

#ifdef __cplusplus
}
#endif

#endif /* NIDL_NIDL_H */
