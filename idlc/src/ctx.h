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

/* Largest file the compiler reads; locations are 32-bit offsets. */
#define NIDL_MAX_FILE_SIZE (256u * 1024u * 1024u)

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
};

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
 * frees). Returns an errno value when the file cannot be read; ENOENT also
 * when the file system is disabled and no virtual file matches.
 */
int nidl__read_file(nidl_ctx_t *ctx, const char *path, char **text, size_t *len,
                    char **key);

/* Parse a registered schema file into its syntax tree (parser.y). */
void nidl__parse(nidl_ctx_t *ctx, nidl_file_t *file);

#endif /* NIDL_CTX_H */
