/*
 * ctx.c: the context, reading files, loading schemas with their imports,
 * and the query functions of nidl.h.
 *
 * Loading a file parses it, loads each import (searched in the importing
 * file's directory, then in the -I directories, in order), and then checks
 * the file with sema. An import that is still being loaded when it is
 * imported again closes a cycle, reported with the whole chain.
 */
#include "ctx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit.h"
#include "sema.h"

/* ---- context ------------------------------------------------------------ */

nidl_ctx_t *nidl_ctx_create(void)
{
    nidl_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return NULL;
    ctx->fs_enabled = true;
    ctx->error_limit = 20;
    ctx->max_file_size = NIDL_MAX_FILE_SIZE;
    ctx->max_total_size = NIDL_MAX_TOTAL_SIZE;
    nidl__warning_defaults(ctx->warn_on);
    return ctx;
}

void nidl_ctx_destroy(nidl_ctx_t *ctx)
{
    if (ctx == NULL)
        return;
    for (size_t i = 0; i < ctx->files.len; i++) {
        nidl_file_t *f = ctx->files.items[i];
        free(f->text);
        free(f->lines);
        nidl__vec_free(&f->imports);
        nidl__vec_free(&f->decls);
        nidl__vec_free(&f->docs);
        nidl__map_free(&f->names);
    }
    nidl__vec_free(&ctx->files);
    nidl__map_free(&ctx->file_keys);
    for (size_t i = 0; i < ctx->include_dirs.len; i++)
        free(ctx->include_dirs.items[i]);
    nidl__vec_free(&ctx->include_dirs);
    for (size_t i = 0; i < ctx->vfiles.len; i++) {
        nidl_vfile_t *v = ctx->vfiles.items[i];
        free(v->path);
        free(v->text);
        free(v);
    }
    nidl__vec_free(&ctx->vfiles);
    nidl__vec_free(&ctx->import_stack);
    nidl__map_free(&ctx->reserved);
    nidl__emit_free(ctx);
    free(ctx->template_dir);
    nidl__arena_free(&ctx->arena);
    free(ctx);
}

void nidl_ctx_set_diag_fn(nidl_ctx_t *ctx, nidl_diag_fn fn, void *user)
{
    ctx->diag_fn = fn;
    ctx->diag_user = user;
}

void nidl_ctx_set_error_limit(nidl_ctx_t *ctx, unsigned limit)
{
    ctx->error_limit = limit;
}

/* ---- running out of memory ------------------------------------------------ */

bool nidl__guard_enter(nidl_ctx_t *ctx, jmp_buf *env, jmp_buf **prev)
{
    *prev = NULL;
    if (ctx->status == NIDL_ENOMEM)
        return true; /* nothing caught: the caller must not release */
    *prev = nidl__oom_catch(env);
    return false;
}

void nidl__guard_fail(nidl_ctx_t *ctx, jmp_buf *prev)
{
    if (ctx->status == NIDL_ENOMEM)
        return; /* refused at the door, nothing was caught */
    nidl__oom_release(prev);
    ctx->status = NIDL_ENOMEM;
    /* The interrupted call may have been anywhere: drop what is in
     * flight. The files it registered stay owned by the context. */
    ctx->import_stack.len = 0;
    nidl__emit_abandon(ctx);
}

/* ---- options ----------------------------------------------------------------- */

void nidl_ctx_add_include_dir(nidl_ctx_t *ctx, const char *dir)
{
    jmp_buf env;
    jmp_buf *prev;
    if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0) {
        nidl__guard_fail(ctx, prev);
        return;
    }
    char *copy = nidl__xstrdup(dir);
    nidl__vec_reserve(&ctx->include_dirs, 1);
    nidl__vec_push(&ctx->include_dirs, copy);
    nidl__oom_release(prev);
}

void nidl_ctx_add_virtual_file(nidl_ctx_t *ctx, const char *path, const char *text,
                               size_t len)
{
    jmp_buf env;
    jmp_buf *prev;
    if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0) {
        nidl__guard_fail(ctx, prev);
        return;
    }
    nidl_vfile_t *v = nidl__xcalloc(1, sizeof *v);
    nidl__vec_push(&ctx->vfiles, v); /* owned by the context from here on */
    v->path = nidl__xstrdup(path);
    v->text = nidl__xstrndup(text, len);
    v->len = len;
    nidl__oom_release(prev);
}

void nidl_ctx_set_filesystem(nidl_ctx_t *ctx, bool enabled)
{
    ctx->fs_enabled = enabled;
}

void nidl_ctx_set_template_dir(nidl_ctx_t *ctx, const char *dir)
{
    jmp_buf env;
    jmp_buf *prev;
    if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0) {
        nidl__guard_fail(ctx, prev);
        return;
    }
    char *copy = dir ? nidl__xstrdup(dir) : NULL;
    free(ctx->template_dir);
    ctx->template_dir = copy;
    nidl__oom_release(prev);
}

nidl_status_t nidl_ctx_status(const nidl_ctx_t *ctx)
{
    return ctx->status;
}

unsigned nidl_ctx_error_count(const nidl_ctx_t *ctx)
{
    return ctx->errors;
}

unsigned nidl_ctx_warning_count(const nidl_ctx_t *ctx)
{
    return ctx->warnings;
}

/* ---- files ---------------------------------------------------------------- */

nidl_file_t *nidl__file_get(const nidl_ctx_t *ctx, uint32_t id)
{
    if (id == 0 || id > ctx->files.len)
        return NULL;
    return ctx->files.items[id - 1];
}

static char *dir_of(nidl_arena_t *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return nidl__arena_strdup(a, ".");
    if (slash == path)
        return nidl__arena_strdup(a, "/");
    return nidl__arena_strndup(a, path, (size_t)(slash - path));
}

nidl_file_t *nidl__file_add(nidl_ctx_t *ctx, const char *path, const char *key, char *text,
                            size_t len, bool is_schema)
{
    nidl_file_t *f = nidl__arena_alloc(&ctx->arena, sizeof *f);
    f->id = (uint32_t)ctx->files.len + 1;
    f->path = nidl__arena_strdup(&ctx->arena, path);
    f->dir = dir_of(&ctx->arena, path);
    f->key = nidl__arena_strdup(&ctx->arena, key);
    f->text = text;
    f->len = len;
    f->lines = nidl__line_table(text, len, &f->nlines);
    f->is_schema = is_schema;
    nidl__vec_push(&ctx->files, f);
    ctx->total_bytes += len;
    nidl__map_put(&ctx->file_keys, f->key, strlen(f->key), f);
    return f;
}

static nidl_vfile_t *vfile_find(const nidl_ctx_t *ctx, const char *path)
{
    for (size_t i = 0; i < ctx->vfiles.len; i++) {
        nidl_vfile_t *v = ctx->vfiles.items[i];
        if (strcmp(v->path, path) == 0)
            return v;
    }
    return NULL;
}

bool nidl__size_ok(const nidl_ctx_t *ctx, uint64_t len, char *why, size_t whylen)
{
    if (len > ctx->max_file_size) {
        snprintf(why, whylen,
                 "it is %llu bytes, over the limit of %u bytes (%u MiB) per file",
                 (unsigned long long)len, ctx->max_file_size, ctx->max_file_size >> 20);
        return false;
    }
    if (ctx->total_bytes > ctx->max_total_size ||
        len > ctx->max_total_size - ctx->total_bytes) {
        snprintf(
            why, whylen,
            "it is %llu bytes, which with the %zu bytes already read is over the limit of "
            "%u bytes (%u MiB) in all",
            (unsigned long long)len, ctx->total_bytes, ctx->max_total_size,
            ctx->max_total_size >> 20);
        return false;
    }
    return true;
}

/* "not a regular file (a FIFO)" and friends, or false for a regular file. */
static bool not_regular(mode_t mode, char *why, size_t whylen)
{
    const char *what = S_ISDIR(mode)    ? " (a directory)"
                       : S_ISFIFO(mode) ? " (a FIFO)"
                       : S_ISCHR(mode)  ? " (a character device)"
                       : S_ISBLK(mode)  ? " (a block device)"
                       : S_ISSOCK(mode) ? " (a socket)"
                                        : "";
    if (S_ISREG(mode))
        return false;
    snprintf(why, whylen, "not a regular file%s", what);
    return true;
}

int nidl__read_file(nidl_ctx_t *ctx, const char *path, char **text, size_t *len, char **key,
                    char *why, size_t whylen)
{
    nidl_vfile_t *v = vfile_find(ctx, path);
    if (v != NULL) {
        if (!nidl__size_ok(ctx, v->len, why, whylen))
            return -1;
        *text = nidl__xstrndup(v->text, v->len);
        *len = v->len;
        size_t n = strlen(path) + 9;
        *key = nidl__xmalloc(n);
        snprintf(*key, n, "virtual:%s", path);
        return 0;
    }
    if (!ctx->fs_enabled) {
        snprintf(why, whylen, "%s", strerror(ENOENT));
        return -1;
    }
    /* Refuse anything but a regular file before opening it: opening a
     * FIFO for reading waits for a writer, opening a device may act. */
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (not_regular(st.st_mode, why, whylen))
        return -1;
    /* It may have been replaced since: O_NONBLOCK keeps the open of a FIFO
     * from blocking, and fstat() checks what was actually opened. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    char k[64];
    snprintf(k, sizeof k, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    /* A file read before is not counted twice against the total. */
    bool known = nidl__map_get(&ctx->file_keys, k, strlen(k)) != NULL;
    if (not_regular(st.st_mode, why, whylen) ||
        !((known && (uint64_t)st.st_size <= ctx->max_file_size) ||
          nidl__size_ok(ctx, (uint64_t)st.st_size, why, whylen))) {
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    char *buf = nidl__malloc(size + 1);
    if (buf == NULL) {
        close(fd);
        nidl__oom();
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, whylen, "%s", strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break; /* the file shrank while we read it: take what is there */
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    char *kp = nidl__malloc(strlen(k) + 1);
    if (kp == NULL) {
        free(buf);
        nidl__oom();
    }
    strcpy(kp, k);
    *text = buf;
    *len = got;
    *key = kp;
    return 0;
}

/* Whether `path` names something the search can use. */
static bool file_exists(const nidl_ctx_t *ctx, const char *path)
{
    if (vfile_find(ctx, path) != NULL)
        return true;
    if (!ctx->fs_enabled)
        return false;
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

static char *join_path(nidl_arena_t *a, const char *dir, const char *name)
{
    if (name[0] == '/' || strcmp(dir, ".") == 0)
        return nidl__arena_strdup(a, name);
    if (strcmp(dir, "/") == 0)
        return nidl__arena_printf(a, "/%s", name);
    return nidl__arena_printf(a, "%s/%s", dir, name);
}

/* ---- loading ---------------------------------------------------------------- */

static void load_file(nidl_ctx_t *ctx, nidl_file_t *f);

static void report_cycle(nidl_ctx_t *ctx, ast_import_t *im, nidl_file_t *target)
{
    /* The imports on the stack from the one made by `target` onwards,
     * followed by `im`, form the cycle. */
    size_t first = ctx->import_stack.len;
    for (size_t i = 0; i < ctx->import_stack.len; i++) {
        ast_import_t *s = ctx->import_stack.items[i];
        if (s->from == target) {
            first = i;
            break;
        }
    }
    nidl_buf_t msg = {0};
    if (target == im->from) {
        nidl__buf_printf(&msg, "import cycle: '%s' imports itself", target->path);
    } else {
        nidl__buf_printf(&msg, "import cycle: '%s' imports '%s'", im->from->path,
                         target->path);
        for (size_t i = first; i < ctx->import_stack.len; i++) {
            ast_import_t *s = ctx->import_stack.items[i];
            nidl__buf_printf(&msg, ", which imports '%s'", s->file->path);
        }
    }
    nidl_diag(ctx, NIDL_ERROR, &im->loc, "%s", nidl__buf_str(&msg));
    for (size_t i = first; i < ctx->import_stack.len; i++) {
        ast_import_t *s = ctx->import_stack.items[i];
        nidl_diag(ctx, NIDL_NOTE, &s->loc, "'%s' imports '%s' here", s->from->path,
                  s->file->path);
    }
    nidl__buf_free(&msg);
}

/* Resolve and load one import of f; `seen` maps the keys of the files f
 * already imported to their import, to catch duplicates in O(1). */
static void resolve_import(nidl_ctx_t *ctx, nidl_file_t *f, ast_import_t *im,
                           nidl_map_t *seen)
{
    if (im->path->bad)
        return; /* the literal was already reported */
    const char *name = im->path->sval;
    if (name[0] == '\0') {
        nidl_diag(ctx, NIDL_ERROR, &im->path->loc, "empty import path");
        return;
    }
    /* The importing file's own directory first, then the -I directories. */
    nidl_vec_t tried = {0};
    char *found = NULL;
    char *cand = join_path(&ctx->arena, f->dir, name);
    nidl__vec_push(&tried, f->dir);
    if (file_exists(ctx, cand))
        found = cand;
    for (size_t i = 0; found == NULL && name[0] != '/' && i < ctx->include_dirs.len; i++) {
        const char *dir = ctx->include_dirs.items[i];
        cand = join_path(&ctx->arena, dir, name);
        nidl__vec_push(&tried, (void *)dir);
        if (file_exists(ctx, cand))
            found = cand;
    }
    if (found == NULL) {
        nidl_buf_t where = {0};
        for (size_t i = 0; i < tried.len; i++)
            nidl__buf_printf(&where, "%s'%s'", i ? ", " : "", (const char *)tried.items[i]);
        nidl_diag(ctx, NIDL_ERROR, &im->path->loc,
                  "cannot find imported file '%s' (searched %s)", name,
                  nidl__buf_str(&where));
        nidl__buf_free(&where);
        nidl__vec_free(&tried);
        f->failed = true;
        return;
    }
    nidl__vec_free(&tried);

    char *text, *key;
    size_t len;
    char why[NIDL_WHY_LEN];
    if (nidl__read_file(ctx, found, &text, &len, &key, why, sizeof why) != 0) {
        nidl_diag(ctx, NIDL_ERROR, &im->path->loc, "cannot read imported file '%s': %s",
                  found, why);
        nidl__set_status(ctx, NIDL_EIO);
        f->failed = true;
        return;
    }
    nidl_file_t *target = nidl__map_get(&ctx->file_keys, key, strlen(key));
    if (target != NULL) {
        free(text);
        free(key);
    } else {
        target = nidl__file_add(ctx, found, key, text, len, true);
        free(key);
    }
    /* The same file twice in one file's imports. */
    ast_import_t *other = nidl__map_put(seen, target->key, strlen(target->key), im);
    if (other != NULL) {
        nidl_diag(ctx, NIDL_ERROR, &im->loc, "'%s' is already imported", target->path);
        nidl_diag(ctx, NIDL_NOTE, &other->loc, "imported here");
        return;
    }
    if (target->state == FILE_LOADING) {
        report_cycle(ctx, im, target);
        f->failed = true;
        return;
    }
    im->file = target;
    if (target->state == FILE_NEW) {
        if (ctx->import_stack.len >= NIDL_MAX_IMPORT_DEPTH) {
            nidl_diag(ctx, NIDL_ERROR, &im->loc, "imports are nested more than %d deep",
                      NIDL_MAX_IMPORT_DEPTH);
            im->file = NULL;
            f->failed = true;
            return;
        }
        nidl__vec_push(&ctx->import_stack, im);
        load_file(ctx, target);
        ctx->import_stack.len--;
    }
    if (target->failed)
        f->failed = true;
}

static void load_file(nidl_ctx_t *ctx, nidl_file_t *f)
{
    unsigned errors = ctx->errors;
    f->errors_at_load = errors;
    f->state = FILE_LOADING;
    nidl__parse(ctx, f);
    nidl_map_t seen = {0};
    for (size_t i = 0; i < f->imports.len && !ctx->stopped; i++)
        resolve_import(ctx, f, f->imports.items[i], &seen);
    nidl__map_free(&seen);
    if (!ctx->stopped)
        nidl__sema(ctx, f);
    f->state = FILE_DONE;
    if (ctx->errors != errors)
        f->failed = true;
    /* A declaration never fails without a message; should one, fail the
     * file loudly rather than generate code without it. */
    for (size_t i = 0; i < f->decls.len && !f->failed; i++) {
        ast_decl_t *d = f->decls.items[i];
        if (d->state != ST_OK) {
            nidl_diag(ctx, NIDL_ERROR, &d->name->loc,
                      "internal error: '%s' failed its checks without a message",
                      d->name->name);
            f->failed = true;
        }
    }
}

static const nidl_schema_t *load_path(nidl_ctx_t *ctx, const char *path)
{
    char *text, *key;
    size_t len;
    char why[NIDL_WHY_LEN];
    if (nidl__read_file(ctx, path, &text, &len, &key, why, sizeof why) != 0) {
        nidl_diag(ctx, NIDL_ERROR, NULL, "cannot read '%s': %s", path, why);
        nidl__set_status(ctx, NIDL_EIO);
        return NULL;
    }
    nidl_file_t *f = nidl__map_get(&ctx->file_keys, key, strlen(key));
    if (f != NULL) {
        free(text);
        free(key);
    } else {
        f = nidl__file_add(ctx, path, key, text, len, true);
        free(key);
        load_file(ctx, f);
    }
    return f->failed ? NULL : f;
}

const nidl_schema_t *nidl_load_file(nidl_ctx_t *ctx, const char *path)
{
    jmp_buf env;
    jmp_buf *prev;
    if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0) {
        nidl__guard_fail(ctx, prev);
        return NULL;
    }
    const nidl_schema_t *s = load_path(ctx, path);
    nidl__oom_release(prev);
    return s;
}

static const nidl_schema_t *load_string(nidl_ctx_t *ctx, const char *name, const char *text,
                                        size_t len)
{
    char why[NIDL_WHY_LEN];
    if (!nidl__size_ok(ctx, len, why, sizeof why)) {
        nidl_diag(ctx, NIDL_ERROR, NULL, "cannot read '%s': %s", name, why);
        nidl__set_status(ctx, NIDL_EIO);
        return NULL;
    }
    /* Each string is a file of its own, even under a name used before. */
    char key[64];
    snprintf(key, sizeof key, "string:%zu", ctx->files.len + 1);
    nidl_file_t *f = nidl__file_add(ctx, name, key, nidl__xstrndup(text, len), len, true);
    load_file(ctx, f);
    return f->failed ? NULL : f;
}

const nidl_schema_t *nidl_load_string(nidl_ctx_t *ctx, const char *name, const char *text,
                                      size_t len)
{
    jmp_buf env;
    jmp_buf *prev;
    if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0) {
        nidl__guard_fail(ctx, prev);
        return NULL;
    }
    const nidl_schema_t *s = load_string(ctx, name, text, len);
    nidl__oom_release(prev);
    return s;
}

/* ---- queries ---------------------------------------------------------------- */

const char *nidl_schema_path(const nidl_schema_t *schema)
{
    return schema->path;
}

const char *nidl_schema_package(const nidl_schema_t *schema)
{
    return schema->pkg ? schema->pkg : "";
}

static ast_decl_t *find_decl(const nidl_schema_t *s, const char *name, ast_decl_kind_t kind)
{
    ast_decl_t *d = nidl__map_get(&s->names, name, strlen(name));
    return d != NULL && d->kind == kind && d->file == s && d->state == ST_OK ? d : NULL;
}

int nidl_schema_type_info(const nidl_schema_t *schema, const char *name,
                          nidl_type_info_t *out)
{
    ast_decl_t *d = find_decl(schema, name, DECL_STRUCT);
    if (d == NULL)
        return -1;
    out->qname = d->qname;
    out->size = d->size;
    out->align = d->align;
    out->fingerprint = d->fingerprint;
    out->field_count = (uint32_t)d->nfields;
    out->is_message = d->is_message;
    return 0;
}

int nidl_schema_field_info(const nidl_schema_t *schema, const char *name, size_t index,
                           nidl_field_info_t *out)
{
    ast_decl_t *d = find_decl(schema, name, DECL_STRUCT);
    if (d == NULL || index >= d->nfields)
        return -1;
    ast_field_t *f = d->fields[index];
    out->name = f->name->name;
    out->offset = f->offset;
    out->size = f->size;
    out->align = f->align;
    return 0;
}

static void value_info(const nidl_value_t *v, nidl_value_info_t *out)
{
    memset(out, 0, sizeof *out);
    switch (v->kind) {
    case VAL_INT:
        out->negative = v->neg;
        out->magnitude = v->mag;
        break;
    case VAL_FLOAT:
        out->is_float = true;
        out->fvalue = v->f;
        break;
    case VAL_BOOL:
        out->magnitude = v->b;
        break;
    default:
        break;
    }
}

int nidl_schema_const_value(const nidl_schema_t *schema, const char *name,
                            nidl_value_info_t *out)
{
    ast_decl_t *d = find_decl(schema, name, DECL_CONST);
    if (d == NULL)
        return -1;
    value_info(&d->cval, out);
    return 0;
}

int nidl_schema_enum_value(const nidl_schema_t *schema, const char *name, const char *item,
                           nidl_value_info_t *out)
{
    ast_decl_t *d = find_decl(schema, name, DECL_ENUM);
    if (d == NULL)
        return -1;
    for (size_t i = 0; i < d->nitems; i++) {
        if (strcmp(d->items[i]->name->name, item) == 0) {
            nidl_value_t v = {
                .kind = VAL_INT, .neg = d->items[i]->neg, .mag = d->items[i]->mag};
            value_info(&v, out);
            return 0;
        }
    }
    return -1;
}

int nidl_schema_topic_info(const nidl_schema_t *schema, const char *name,
                           nidl_topic_info_t *out)
{
    ast_decl_t *d = find_decl(schema, name, DECL_TOPIC);
    if (d == NULL)
        return -1;
    out->wire_name = d->wire;
    out->type = d->msg->qname;
    out->block = d->block;
    out->block_ms = d->block_ms;
    return 0;
}

int nidl_schema_service_info(const nidl_schema_t *schema, const char *name,
                             nidl_service_info_t *out)
{
    ast_decl_t *d = find_decl(schema, name, DECL_SERVICE);
    if (d == NULL)
        return -1;
    out->wire_name = d->wire;
    out->request = d->req->qname;
    out->reply = d->rep->qname;
    out->timeout_ms = d->timeout_ms;
    return 0;
}
