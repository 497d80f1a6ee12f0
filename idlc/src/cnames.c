/*
 * cnames.c: the table of the C names the generator derives from a schema
 * (see cnames.h), and the spelling of each name.
 */
#include "cnames.h"

#include <string.h>

const nidl_cname_rule_t nidl__cname_rules[NIDL_CN_COUNT] = {
#define NIDL_CN_ROW_(id, of, suffix, upper, key, in, what)                                 \
    [NIDL_CN_##id] = {#id, NIDL_CN_OF_##of, suffix, upper, key, in, what},
    NIDL_CNAME_LIST(NIDL_CN_ROW_)
#undef NIDL_CN_ROW_
};

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

char *nidl__cname_file_id(nidl_arena_t *a, const nidl_file_t *f)
{
    /* The file name may hold any byte but the ones sema rejects. */
    char *fid = nidl__arena_printf(a, "%s%s", f->prefix, f->base);
    for (char *c = fid; *c; c++) {
        if (!ident_char(*c))
            *c = '_';
    }
    return (fid[0] >= '0' && fid[0] <= '9') ? nidl__arena_printf(a, "nidl_%s", fid) : fid;
}

char *nidl__cname(nidl_arena_t *a, nidl_cname_id_t id, const nidl_file_t *f,
                  const ast_decl_t *d, const ast_item_t *it)
{
    const nidl_cname_rule_t *r = &nidl__cname_rules[id];
    char *name;
    if (r->of == NIDL_CN_OF_FILE)
        name = nidl__arena_printf(a, "%s%s", nidl__cname_file_id(a, f), r->suffix);
    else if (r->of == NIDL_CN_OF_ITEM)
        name = nidl__arena_printf(a, "%s%s_%s%s", d->file->prefix, d->name->name,
                                  it->name->name, r->suffix);
    else
        name = nidl__arena_printf(a, "%s%s%s", d->file->prefix, d->name->name, r->suffix);
    if (r->upper) {
        for (char *c = name; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
    }
    return name;
}

static nidl_cname_of_t decl_of(const ast_decl_t *d)
{
    switch (d->kind) {
    case DECL_CONST:
        return NIDL_CN_OF_CONST;
    case DECL_ENUM:
        return NIDL_CN_OF_ENUM;
    case DECL_STRUCT:
        return NIDL_CN_OF_STRUCT;
    case DECL_TOPIC:
        return NIDL_CN_OF_TOPIC;
    case DECL_SERVICE:
        break;
    }
    return NIDL_CN_OF_SERVICE;
}

static void push(nidl_arena_t *a, nidl_vec_t *out, nidl_cname_id_t id, const nidl_file_t *f,
                 const ast_decl_t *d, const ast_item_t *it)
{
    nidl_cname_t *n = nidl__arena_alloc(a, sizeof *n);
    n->id = id;
    n->name = nidl__cname(a, id, f, d, it);
    nidl__vec_push(out, n);
}

void nidl__cnames_list(nidl_arena_t *a, const nidl_file_t *f, const ast_decl_t *d,
                       nidl_vec_t *out)
{
    nidl_cname_of_t of = d == NULL ? NIDL_CN_OF_FILE : decl_of(d);
    for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
        if (nidl__cname_rules[i].of == of)
            push(a, out, (nidl_cname_id_t)i, f, d, NULL);
    }
    if (of != NIDL_CN_OF_ENUM)
        return;
    for (size_t k = 0; k < d->nitems; k++) {
        for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
            if (nidl__cname_rules[i].of == NIDL_CN_OF_ITEM)
                push(a, out, (nidl_cname_id_t)i, f, d, d->items[k]);
        }
    }
}
