/* template.c: see template.h. */
#include "template.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum tnode_type { T_TEXT, T_VAR, T_SECTION } tnode_type_t;

typedef struct tnode {
    tnode_type_t type;
    const char *text; /* T_TEXT: the text; else the name */
    size_t len;
    uint32_t offset; /* of the tag, for messages */
    nidl_vec_t kids; /* T_SECTION and the root: struct tnode * */
} tnode_t;

struct nidl_tpl {
    nidl_arena_t arena;
    tnode_t root;
    const nidl_tpl_key_t *schema;
    const nidl_file_t *file;
};

typedef struct tpl_entry {
    const char *key;
    const char *value;      /* a value, or NULL for a list */
    nidl_tpl_data_t *first; /* a list's items */
    nidl_tpl_data_t *last;
    struct tpl_entry *next;
} tpl_entry_t;

struct nidl_tpl_data {
    nidl_arena_t *arena;
    tpl_entry_t *entries;
    tpl_entry_t *last;
    nidl_tpl_data_t *next; /* next item of the same list */
};

/* ---- parsing ------------------------------------------------------------------ */

static void free_kids(tnode_t *n)
{
    for (size_t i = 0; i < n->kids.len; i++)
        free_kids(n->kids.items[i]);
    nidl__vec_free(&n->kids);
}

void nidl__tpl_free(nidl_tpl_t *t)
{
    if (t == NULL)
        return;
    free_kids(&t->root);
    nidl__arena_free(&t->arena);
    free(t);
}

static tnode_t *add_node(nidl_tpl_t *t, tnode_t *parent, tnode_type_t type,
                         const char *text, size_t len, uint32_t offset)
{
    tnode_t *n = nidl__arena_alloc(&t->arena, sizeof *n);
    n->type = type;
    n->text = text;
    n->len = len;
    n->offset = offset;
    nidl__vec_push(&parent->kids, n);
    return n;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool name_ok(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static void tpl_error(nidl_ctx_t *ctx, const nidl_file_t *f, uint32_t at, uint32_t len,
                      const char *fmt, ...) NIDL_PRINTF(5, 6);

static void tpl_error(nidl_ctx_t *ctx, const nidl_file_t *f, uint32_t at, uint32_t len,
                      const char *fmt, ...)
{
    nidl_loc_t loc = {f->id, at, at + len};
    nidl_buf_t b = {0};
    va_list ap;
    va_start(ap, fmt);
    nidl__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    nidl_diag(ctx, NIDL_ERROR, &loc, "%s", nidl__buf_str(&b));
    nidl__buf_free(&b);
}

/* At most this many characters of a name in a message. */
#define SHOWN(len) ((int)((len) > 60 ? 60 : (len)))

static bool parse(nidl_ctx_t *ctx, nidl_tpl_t *t)
{
    const nidl_file_t *f = t->file;
    const char *s = f->text;
    size_t n = f->len;
    nidl_vec_t stack = {0};
    tnode_t *cur = &t->root;
    size_t pos = 0; /* start of the pending text */
    bool ok = true;
    for (size_t i = 0; i + 1 < n;) {
        if (s[i] != '{' || s[i + 1] != '{') {
            i++;
            continue;
        }
        const char *close = NULL;
        for (size_t k = i + 2; k + 1 < n; k++) {
            if (s[k] == '}' && s[k + 1] == '}') {
                close = s + k;
                break;
            }
        }
        if (close == NULL) {
            tpl_error(ctx, f, (uint32_t)i, 2, "unterminated tag");
            ok = false;
            break;
        }
        size_t tag_end = (size_t)(close - s) + 2;
        char sigil = s[i + 2];
        const char *name = s + i + 2 + (sigil == '#' || sigil == '/' || sigil == '!');
        size_t nlen = (size_t)(close - name);
        while (nlen > 0 && is_blank(*name)) {
            name++;
            nlen--;
        }
        while (nlen > 0 && is_blank(name[nlen - 1]))
            nlen--;

        /* A block tag alone on its line takes the whole line with it. */
        size_t text_end = i, next = tag_end;
        if (sigil == '#' || sigil == '/' || sigil == '!') {
            size_t ls = i;
            while (ls > 0 && is_blank(s[ls - 1]))
                ls--;
            size_t le = tag_end;
            while (le < n && is_blank(s[le]))
                le++;
            if ((ls == 0 || s[ls - 1] == '\n') && (le == n || s[le] == '\n')) {
                text_end = ls;
                next = le < n ? le + 1 : le;
            }
        }
        if (text_end > pos)
            add_node(t, cur, T_TEXT, s + pos, text_end - pos, (uint32_t)pos);

        if (sigil == '!') {
            /* a comment */
        } else if (!name_ok(name, nlen)) {
            tpl_error(ctx, f, (uint32_t)i, (uint32_t)(tag_end - i), "invalid tag '%.*s'",
                      SHOWN(tag_end - i), s + i);
            ok = false;
        } else if (sigil == '#') {
            tnode_t *sec = add_node(t, cur, T_SECTION, name, nlen, (uint32_t)i);
            nidl__vec_push(&stack, cur);
            cur = sec;
        } else if (sigil == '/') {
            if (stack.len == 0 || cur->len != nlen || memcmp(cur->text, name, nlen) != 0) {
                tpl_error(ctx, f, (uint32_t)i, (uint32_t)(tag_end - i),
                          "'{{/%.*s}}' does not close the open section", SHOWN(nlen), name);
                ok = false;
            } else {
                cur = stack.items[--stack.len];
            }
        } else {
            add_node(t, cur, T_VAR, name, nlen, (uint32_t)i);
        }
        pos = i = next;
    }
    if (ok && pos < n)
        add_node(t, cur, T_TEXT, s + pos, n - pos, (uint32_t)pos);
    if (ok && stack.len > 0) {
        tpl_error(ctx, f, cur->offset, (uint32_t)cur->len + 5,
                  "section '%.*s' is not closed", SHOWN(cur->len), cur->text);
        ok = false;
    }
    nidl__vec_free(&stack);
    return ok;
}

/* ---- checking against the schema -------------------------------------------------- */

static const nidl_tpl_key_t *find_key(const nidl_tpl_key_t *const *scopes, size_t depth,
                                      const char *name, size_t len)
{
    for (size_t d = depth; d-- > 0;) {
        for (const nidl_tpl_key_t *k = scopes[d]; k->name != NULL; k++) {
            if (strlen(k->name) == len && memcmp(k->name, name, len) == 0)
                return k;
        }
    }
    return NULL;
}

#define MAX_SCOPES 16

static bool check(nidl_ctx_t *ctx, const nidl_tpl_t *t, const tnode_t *n,
                  const nidl_tpl_key_t **scopes, size_t depth, nidl_vec_t *used)
{
    bool ok = true;
    for (size_t i = 0; i < n->kids.len; i++) {
        const tnode_t *k = n->kids.items[i];
        if (k->type == T_TEXT)
            continue;
        const nidl_tpl_key_t *key = find_key(scopes, depth, k->text, k->len);
        if (key == NULL) {
            tpl_error(ctx, t->file, k->offset, (uint32_t)k->len + 4,
                      "unknown placeholder '%.*s'", SHOWN(k->len), k->text);
            ok = false;
            continue;
        }
        nidl__vec_push(used, (void *)key);
        if (k->type == T_VAR && key->items != NULL) {
            tpl_error(ctx, t->file, k->offset, (uint32_t)k->len + 4,
                      "'%.*s' is a list: use it as a section, {{#...}}", SHOWN(k->len),
                      k->text);
            ok = false;
        } else if (k->type == T_SECTION && key->items == NULL) {
            tpl_error(ctx, t->file, k->offset, (uint32_t)k->len + 5,
                      "'%.*s' is a value, not a list", SHOWN(k->len), k->text);
            ok = false;
        } else if (k->type == T_SECTION) {
            if (depth >= MAX_SCOPES) {
                tpl_error(ctx, t->file, k->offset, (uint32_t)k->len + 5,
                          "sections nested too deeply at '%.*s'", SHOWN(k->len), k->text);
                ok = false;
                continue;
            }
            scopes[depth] = key->items;
            if (!check(ctx, t, k, scopes, depth + 1, used))
                ok = false;
        }
    }
    return ok;
}

static bool was_used(const nidl_vec_t *used, const nidl_tpl_key_t *key)
{
    for (size_t i = 0; i < used->len; i++) {
        if (used->items[i] == key)
            return true;
    }
    return false;
}

static bool check_unused(nidl_ctx_t *ctx, const nidl_tpl_t *t, const nidl_tpl_key_t *keys,
                         const nidl_vec_t *used, const char *path)
{
    bool ok = true;
    for (const nidl_tpl_key_t *k = keys; k->name != NULL; k++) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", k->name);
        if (!was_used(used, k)) {
            nidl_diag(ctx, NIDL_ERROR, NULL, "template '%s' never uses '%s'", t->file->path,
                      sub);
            ok = false;
        } else if (k->items != NULL && !check_unused(ctx, t, k->items, used, sub)) {
            ok = false;
        }
    }
    return ok;
}

nidl_tpl_t *nidl__tpl_parse(nidl_ctx_t *ctx, const nidl_file_t *file,
                            const nidl_tpl_key_t *schema)
{
    nidl_tpl_t *t = nidl__xcalloc(1, sizeof *t);
    t->file = file;
    t->schema = schema;
    bool ok = parse(ctx, t);
    if (ok) {
        const nidl_tpl_key_t *scopes[MAX_SCOPES];
        nidl_vec_t used = {0};
        scopes[0] = schema;
        ok = check(ctx, t, &t->root, scopes, 1, &used);
        if (ok)
            ok = check_unused(ctx, t, schema, &used, "");
        nidl__vec_free(&used);
    }
    if (!ok) {
        nidl__tpl_free(t);
        return NULL;
    }
    return t;
}

/* ---- data ----------------------------------------------------------------------------- */

nidl_tpl_data_t *nidl__tpl_data(nidl_arena_t *a)
{
    nidl_tpl_data_t *d = nidl__arena_alloc(a, sizeof *d);
    d->arena = a;
    return d;
}

static tpl_entry_t *entry(nidl_tpl_data_t *d, const char *key)
{
    for (tpl_entry_t *e = d->entries; e != NULL; e = e->next) {
        if (strcmp(e->key, key) == 0)
            return e;
    }
    tpl_entry_t *e = nidl__arena_alloc(d->arena, sizeof *e);
    e->key = key;
    if (d->last != NULL)
        d->last->next = e;
    else
        d->entries = e;
    d->last = e;
    return e;
}

void nidl__tpl_set(nidl_tpl_data_t *d, const char *key, const char *value)
{
    entry(d, key)->value = nidl__arena_strdup(d->arena, value);
}

void nidl__tpl_setf(nidl_tpl_data_t *d, const char *key, const char *fmt, ...)
{
    nidl_buf_t b = {0};
    va_list ap;
    va_start(ap, fmt);
    nidl__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    entry(d, key)->value = nidl__arena_strndup(d->arena, nidl__buf_str(&b), b.len);
    nidl__buf_free(&b);
}

void nidl__tpl_list(nidl_tpl_data_t *d, const char *list)
{
    (void)entry(d, list);
}

nidl_tpl_data_t *nidl__tpl_add(nidl_tpl_data_t *d, const char *list)
{
    tpl_entry_t *e = entry(d, list);
    nidl_tpl_data_t *item = nidl__tpl_data(d->arena);
    if (e->last != NULL)
        e->last->next = item;
    else
        e->first = item;
    e->last = item;
    return item;
}

/* ---- rendering ------------------------------------------------------------------------ */

typedef struct render {
    nidl_tpl_data_t *scopes[MAX_SCOPES];
    size_t depth;
    nidl_buf_t *out;
    nidl_buf_t err;
} render_t;

static const tpl_entry_t *lookup(const render_t *r, const char *name, size_t len)
{
    for (size_t d = r->depth; d-- > 0;) {
        for (const tpl_entry_t *e = r->scopes[d]->entries; e != NULL; e = e->next) {
            if (strlen(e->key) == len && memcmp(e->key, name, len) == 0)
                return e;
        }
    }
    return NULL;
}

/* Every key emit.c set must be one of the schema's at that level. */
static bool conforms(render_t *r, const nidl_tpl_data_t *d, const nidl_tpl_key_t *keys)
{
    for (const tpl_entry_t *e = d->entries; e != NULL; e = e->next) {
        const nidl_tpl_key_t *k = keys;
        while (k->name != NULL && strcmp(k->name, e->key) != 0)
            k++;
        if (k->name == NULL || (k->items != NULL) != (e->value == NULL)) {
            nidl__buf_printf(&r->err, "the data has '%s', which the schema does not",
                             e->key);
            return false;
        }
    }
    return true;
}

static bool render(render_t *r, const tnode_t *n, const nidl_tpl_key_t *const *keys)
{
    for (size_t i = 0; i < n->kids.len; i++) {
        const tnode_t *k = n->kids.items[i];
        if (k->type == T_TEXT) {
            nidl__buf_put(r->out, k->text, k->len);
            continue;
        }
        const tpl_entry_t *e = lookup(r, k->text, k->len);
        if (e == NULL || (k->type == T_VAR) != (e->value != NULL)) {
            nidl__buf_printf(&r->err, "no %s '%.*s' in the data",
                             k->type == T_VAR ? "value" : "list", (int)k->len, k->text);
            return false;
        }
        if (k->type == T_VAR) {
            nidl__buf_puts(r->out, e->value);
            continue;
        }
        const nidl_tpl_key_t *key = find_key(keys, r->depth, k->text, k->len);
        const nidl_tpl_key_t *inner[MAX_SCOPES];
        memcpy(inner, keys, r->depth * sizeof *keys);
        inner[r->depth] = key->items;
        for (nidl_tpl_data_t *item = e->first; item != NULL; item = item->next) {
            if (!conforms(r, item, key->items))
                return false;
            r->scopes[r->depth++] = item;
            bool ok = render(r, k, inner);
            r->depth--;
            if (!ok)
                return false;
        }
    }
    return true;
}

bool nidl__tpl_render(const nidl_tpl_t *t, nidl_tpl_data_t *d, nidl_buf_t *out, char **err)
{
    render_t r = {.out = out};
    r.scopes[0] = d;
    r.depth = 1;
    const nidl_tpl_key_t *keys[MAX_SCOPES] = {t->schema};
    bool ok = conforms(&r, d, t->schema) && render(&r, &t->root, keys);
    if (!ok)
        *err = nidl__buf_take(&r.err);
    else
        nidl__buf_free(&r.err);
    return ok;
}
