/*
 * ctx.h: the compilation context (struct nidl_ctx) and file loading.
 * Private to the library.
 */
#ifndef NIDL_CTX_H
#define NIDL_CTX_H

#include "ast.h"
#include "diag.h"
#include "nidl/nidl.h"
#include "util.h"

/*
 * Largest file the compiler reads, and most bytes it reads in all (schemas,
 * imports, templates, strings) in one context. Checked before anything is
 * read or parsed, so that memory stays bounded (docs/idlc.md, "Limits").
 */
#define NIDL_MAX_FILE_SIZE  (16u * 1024u * 1024u)
#define NIDL_MAX_TOTAL_SIZE (64u * 1024u * 1024u)

/* Deepest chain of imports (a.nidl imports b.nidl imports ...). */
#define NIDL_MAX_IMPORT_DEPTH 64

typedef struct nidl_vfile {
    char *path;
    char *text;
    size_t len;
} nidl_vfile_t;

struct nidl_ctx {
    nidl_arena_t arena;
    nidl_vec_t files;        /* nidl_file_t *; id = index + 1 */
    nidl_map_t file_keys;    /* key -> nidl_file_t * */
    nidl_vec_t include_dirs; /* char * */
    nidl_vec_t vfiles;       /* nidl_vfile_t * */
    bool fs_enabled;
    char *template_dir;
    /* Diagnostics. */
    nidl_diag_fn diag_fn;
    void *diag_user;
    unsigned error_limit;
    unsigned errors;
    unsigned warnings;
    bool stopped;      /* error limit reached */
    bool last_dropped; /* the last error/warning was not printed */
    bool warn_on[NIDL_W_COUNT];
    bool werror;
    nidl_status_t status;
    nidl_map_t reserved;     /* reserved identifiers, built on first use */
    struct nidl_tpl *tpl[2]; /* header and source templates, once loaded */
    unsigned tmp_counter;    /* names temporary output files */
    /* Imports being loaded, innermost last: for cycle reports. */
    nidl_vec_t import_stack; /* ast_import_t * */
    size_t total_bytes;      /* text of every file added so far */
    /* NIDL_MAX_FILE_SIZE and NIDL_MAX_TOTAL_SIZE; white-box tests lower them. */
    uint32_t max_file_size, max_total_size;
    /* What nidl_generate() and the writers have in flight, here rather
     * than on the stack so that an allocation failure can free it. */
    nidl_arena_t gen_arena; /* template data */
    nidl_buf_t gen_out[2];  /* header and source being rendered */
    char *gen_tmp[2];       /* temporary files being written (paths) */
    bool gen_tmp_made[2];   /* ... and whether they exist yet */
};

/*
 * The body of every public entry point that allocates runs under a guard:
 *
 *     jmp_buf env;
 *     jmp_buf *prev;
 *     if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0)
 *         return nidl__guard_fail(ctx, prev), NULL;
 *     ...
 *     nidl__oom_release(prev);
 *
 * nidl__guard_enter() is true when the context already ran out of memory
 * (it then refuses all work); an allocation failure inside lands in the
 * setjmp with a non-zero value. nidl__guard_fail() releases the guard,
 * records NIDL_ENOMEM and drops the state of the interrupted call.
 */
bool nidl__guard_enter(nidl_ctx_t *ctx, jmp_buf *env, jmp_buf **prev);
void nidl__guard_fail(nidl_ctx_t *ctx, jmp_buf *prev);

/*
 * Register a file whose text is already in memory (the context takes
 * `text`, which must have a NUL after len bytes). Returns the new file.
 */
nidl_file_t *nidl__file_add(nidl_ctx_t *ctx, const char *path, const char *key, char *text,
                            size_t len, bool is_schema);

/* The file with this id (1-based), or NULL. */
nidl_file_t *nidl__file_get(const nidl_ctx_t *ctx, uint32_t id);

/*
 * Read a whole file from the virtual files or the disk. On success returns
 * 0 and sets *text (NUL-terminated, caller frees), *len and *key (caller
 * frees). Returns -1 when the file cannot be read, with the reason in
 * why[0..whylen) ("No such file or directory", "not a regular file (a
 * FIFO)", "..., over the limit of ..."); the reason is ENOENT's also when
 * the file system is disabled and no virtual file matches.
 *
 * Only a regular file is read: the path is stat()ed first, anything else
 * refused without opening it; then it is opened with O_NONBLOCK (so a
 * FIFO swapped in meanwhile cannot block the open) and fstat()ed again
 * before reading. The per-file and total size limits are checked against
 * the size fstat() reports, before anything is read.
 */
#define NIDL_WHY_LEN 160
int nidl__read_file(nidl_ctx_t *ctx, const char *path, char **text, size_t *len, char **key,
                    char *why, size_t whylen);

/*
 * Whether a text of `len` more bytes fits the limits; if not, writes the
 * reason into why (as nidl__read_file()) and returns false.
 */
bool nidl__size_ok(const nidl_ctx_t *ctx, uint64_t len, char *why, size_t whylen);

/* Parse a registered schema file into its syntax tree (parser.y). */
void nidl__parse(nidl_ctx_t *ctx, nidl_file_t *file);

#endif /* NIDL_CTX_H */
