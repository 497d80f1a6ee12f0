/* ast.c: the syntax tree builders called by parser.y; see ast.h. */
#include "ast.h"

#include <string.h>

#include "parse.h"

static void *node(nidl_parser_t *p, size_t size)
{
    return nidl__arena_alloc(&p->ctx->arena, size);
}

ast_ident_t *ast_ident(nidl_parser_t *p, const char *text, size_t len,
                       const nidl_loc_t *loc)
{
    ast_ident_t *id = node(p, sizeof *id);
    id->name = nidl__arena_strndup(&p->ctx->arena, text, len);
    id->len = len;
    id->loc = *loc;
    return id;
}

ast_name_t *ast_name(nidl_parser_t *p, nidl_vec_t *parts, const nidl_loc_t *loc)
{
    ast_name_t *n = node(p, sizeof *n);
    n->loc = *loc;
    size_t len = 0;
    for (size_t i = 0; i < parts->len; i++)
        len += ((ast_ident_t *)parts->items[i])->len + 1;
    char *text = nidl__arena_alloc(&p->ctx->arena, len + 1);
    char *w = text;
    for (size_t i = 0; i < parts->len; i++) {
        ast_ident_t *id = parts->items[i];
        if (i > 0)
            *w++ = '.';
        memcpy(w, id->name, id->len);
        w += id->len;
    }
    *w = '\0';
    n->text = text;
    n->parts = (ast_ident_t **)nidl__arena_adopt(&p->ctx->arena, parts, &n->nparts);
    return n;
}

static ast_expr_t *expr(nidl_parser_t *p, ast_expr_kind_t kind, const nidl_loc_t *loc)
{
    ast_expr_t *e = node(p, sizeof *e);
    e->kind = kind;
    e->loc = *loc;
    e->op_loc = *loc;
    e->depth = 1;
    return e;
}

ast_expr_t *ast_expr_int(nidl_parser_t *p, uint64_t v, bool bad, const nidl_loc_t *loc)
{
    ast_expr_t *e = expr(p, EX_INT, loc);
    e->ival = v;
    e->bad = bad;
    return e;
}

ast_expr_t *ast_expr_float(nidl_parser_t *p, double v, bool bad, const nidl_loc_t *loc)
{
    ast_expr_t *e = expr(p, EX_FLOAT, loc);
    e->fval = v;
    e->bad = bad;
    return e;
}

ast_expr_t *ast_expr_bool(nidl_parser_t *p, bool v, const nidl_loc_t *loc)
{
    ast_expr_t *e = expr(p, EX_BOOL, loc);
    e->bval = v;
    return e;
}

ast_expr_t *ast_expr_string(nidl_parser_t *p, const char *s, size_t len,
                            const nidl_loc_t *loc)
{
    ast_expr_t *e = expr(p, EX_STRING, loc);
    e->sval = nidl__arena_strndup(&p->ctx->arena, s, len);
    e->slen = len;
    return e;
}

ast_expr_t *ast_expr_name(nidl_parser_t *p, ast_name_t *name)
{
    ast_expr_t *e = expr(p, EX_NAME, &name->loc);
    e->name = name;
    return e;
}

ast_expr_t *ast_expr_unary(nidl_parser_t *p, ast_expr_kind_t kind, ast_expr_t *sub,
                           const nidl_loc_t *loc, const nidl_loc_t *op)
{
    ast_expr_t *e = expr(p, kind, loc);
    e->op_loc = *op;
    e->lhs = sub;
    e->depth = sub->depth + 1;
    return e;
}

ast_expr_t *ast_expr_binary(nidl_parser_t *p, ast_expr_kind_t kind, ast_expr_t *l,
                            ast_expr_t *r, const nidl_loc_t *loc, const nidl_loc_t *op)
{
    ast_expr_t *e = expr(p, kind, loc);
    e->op_loc = *op;
    e->lhs = l;
    e->rhs = r;
    e->depth = (l->depth > r->depth ? l->depth : r->depth) + 1;
    return e;
}

ast_expr_t *ast_expr_paren(nidl_parser_t *p, ast_expr_t *e, const nidl_loc_t *loc)
{
    /* Parentheses only group; widen the location so messages about the
     * whole expression underline the parentheses too. */
    (void)p;
    e->loc = *loc;
    return e;
}

static ast_type_t *type(nidl_parser_t *p, ast_type_kind_t kind, const nidl_loc_t *loc)
{
    ast_type_t *t = node(p, sizeof *t);
    t->kind = kind;
    t->loc = *loc;
    t->depth = 1;
    return t;
}

ast_type_t *ast_type_prim(nidl_parser_t *p, nidl_prim_t prim, const nidl_loc_t *loc)
{
    ast_type_t *t = type(p, TY_PRIM, loc);
    t->prim = prim;
    return t;
}

ast_type_t *ast_type_bounded(nidl_parser_t *p, ast_type_kind_t kind, ast_type_t *elem,
                             ast_expr_t *bound, const nidl_loc_t *loc)
{
    ast_type_t *t = type(p, kind, loc);
    t->elem = elem;
    t->bound_expr = bound;
    if (elem != NULL)
        t->depth = elem->depth + 1;
    return t;
}

ast_type_t *ast_type_named(nidl_parser_t *p, ast_name_t *name)
{
    ast_type_t *t = type(p, TY_NAMED, &name->loc);
    t->name = name;
    return t;
}

ast_field_t *ast_field(nidl_parser_t *p, ast_type_t *ty, ast_ident_t *name,
                       nidl_vec_t *dims, ast_expr_t *def, const nidl_loc_t *loc)
{
    ast_field_t *f = node(p, sizeof *f);
    f->type = ty;
    f->name = name;
    f->dims = (ast_expr_t **)nidl__arena_adopt(&p->ctx->arena, dims, &f->ndims);
    f->def = def;
    f->loc = *loc;
    f->doc = ast_take_doc(p, loc->start);
    return f;
}

ast_item_t *ast_item(nidl_parser_t *p, ast_ident_t *name, ast_expr_t *value,
                     const nidl_loc_t *loc)
{
    ast_item_t *it = node(p, sizeof *it);
    it->name = name;
    it->value = value;
    it->loc = *loc;
    it->doc = ast_take_doc(p, loc->start);
    return it;
}

ast_prop_t *ast_prop(nidl_parser_t *p, ast_ident_t *name, ast_expr_t *value,
                     const nidl_loc_t *loc)
{
    ast_prop_t *pr = node(p, sizeof *pr);
    pr->name = name;
    pr->value = value;
    pr->loc = *loc;
    return pr;
}

void ast_package(nidl_parser_t *p, ast_name_t *name, const nidl_loc_t *loc)
{
    nidl_file_t *f = p->file;
    if (f->package != NULL) {
        nidl_diag(p->ctx, NIDL_ERROR, loc, "a file has only one package declaration");
        nidl_diag(p->ctx, NIDL_NOTE, &f->package_loc, "the package is declared here");
        return;
    }
    f->package = name;
    f->package_loc = *loc;
    f->package_doc = ast_take_doc(p, loc->start);
}

void ast_import(nidl_parser_t *p, ast_expr_t *path, const nidl_loc_t *loc)
{
    ast_import_t *im = node(p, sizeof *im);
    im->path = path;
    im->loc = *loc;
    im->from = p->file;
    nidl__vec_push(&p->file->imports, im);
}

static ast_decl_t *decl(nidl_parser_t *p, ast_decl_kind_t kind, ast_ident_t *name,
                        const nidl_loc_t *loc)
{
    ast_decl_t *d = node(p, sizeof *d);
    d->kind = kind;
    d->name = name;
    d->loc = *loc;
    d->file = p->file;
    d->doc = ast_take_doc(p, loc->start);
    nidl__vec_push(&p->file->decls, d);
    return d;
}

void ast_const(nidl_parser_t *p, ast_type_t *ty, ast_ident_t *name, ast_expr_t *value,
               const nidl_loc_t *loc)
{
    ast_decl_t *d = decl(p, DECL_CONST, name, loc);
    d->type = ty;
    d->value = value;
}

void ast_enum(nidl_parser_t *p, ast_ident_t *name, ast_type_t *base, nidl_vec_t *items,
              const nidl_loc_t *loc)
{
    ast_decl_t *d = decl(p, DECL_ENUM, name, loc);
    d->type = base;
    if (items != NULL) {
        d->items = (ast_item_t **)nidl__arena_adopt(&p->ctx->arena, items, &d->nitems);
    } else {
        /* The body had a syntax error: keep the enum (so its uses do not
         * cascade into "unknown type") but check nothing inside it. */
        d->state = ST_BROKEN;
    }
}

void ast_struct(nidl_parser_t *p, bool is_message, ast_ident_t *name, nidl_vec_t *fields,
                const nidl_loc_t *loc)
{
    ast_decl_t *d = decl(p, DECL_STRUCT, name, loc);
    d->is_message = is_message;
    d->fields = (ast_field_t **)nidl__arena_adopt(&p->ctx->arena, fields, &d->nfields);
}

void ast_topic(nidl_parser_t *p, ast_ident_t *name, ast_name_t *ty, nidl_vec_t *props,
               const nidl_loc_t *loc)
{
    ast_decl_t *d = decl(p, DECL_TOPIC, name, loc);
    d->msg_name = ty;
    if (props != NULL)
        d->props = (ast_prop_t **)nidl__arena_adopt(&p->ctx->arena, props, &d->nprops);
}

void ast_service(nidl_parser_t *p, ast_ident_t *name, ast_type_t *req, ast_type_t *rep,
                 nidl_vec_t *props, const nidl_loc_t *loc)
{
    ast_decl_t *d = decl(p, DECL_SERVICE, name, loc);
    d->req_type = req;
    d->rep_type = rep;
    if (props != NULL)
        d->props = (ast_prop_t **)nidl__arena_adopt(&p->ctx->arena, props, &d->nprops);
}

void ast_stray_semicolon(nidl_parser_t *p, const nidl_loc_t *loc)
{
    p->file->syntax_errors = true;
    nidl_diag(p->ctx, NIDL_ERROR, loc,
              "unexpected ';' (declarations do not end with ';' after '}')");
}

const char *ast_take_doc(nidl_parser_t *p, uint32_t offset)
{
    /* Docs are queued in source order, so the one for this token, if any,
     * is found by binary search. */
    nidl_vec_t *v = &p->file->docs;
    size_t lo = 0, hi = v->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        ast_doc_t *d = v->items[mid];
        if (d->offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < v->len) {
        ast_doc_t *d = v->items[lo];
        if (d->offset == offset && !d->taken) {
            d->taken = true;
            return d->text;
        }
    }
    return NULL;
}
