/*
 * sema.c: checks a parsed file against every rule of NIDL.md and
 * docs/nidl-reference.md, evaluates constants, resolves names, and
 * computes what the generator needs (layouts, fingerprints, the C
 * prefix). The C names themselves come from the table of cnames.h, which
 * the collision check here and the generator share.
 *
 * Every error is reported, not only the first: a declaration that fails
 * is marked ST_BROKEN and whatever uses it fails quietly, so one mistake
 * yields one message. When names may be missing for another reason (a
 * syntax error dropped a declaration, an import was not found), "unknown
 * name" errors are not reported at all: they would only be noise.
 */
#include "sema.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cnames.h"
#include "fingerprint.h"
#include "layout.h"

typedef struct sema {
    nidl_ctx_t *ctx;
    nidl_file_t *f;
    bool quiet; /* names may be missing: report unknown ones only with a suggestion */
} sema_t;

#define ERR(s, loc, ...)  nidl_diag((s)->ctx, NIDL_ERROR, (loc), __VA_ARGS__)
#define NOTE(s, loc, ...) nidl_diag((s)->ctx, NIDL_NOTE, (loc), __VA_ARGS__)

static const char *decl_what(const ast_decl_t *d)
{
    switch (d->kind) {
    case DECL_CONST:
        return "constant";
    case DECL_ENUM:
        return "enum";
    case DECL_STRUCT:
        return d->is_message ? "message" : "struct";
    case DECL_TOPIC:
        return "topic";
    case DECL_SERVICE:
        return "service";
    }
    return "declaration";
}

/* The same with its article: "an enum". */
static const char *decl_what_a(const ast_decl_t *d)
{
    return d->kind == DECL_ENUM      ? "an enum"
           : d->kind == DECL_CONST   ? "a constant"
           : d->kind == DECL_TOPIC   ? "a topic"
           : d->kind == DECL_SERVICE ? "a service"
           : d->is_message           ? "a message"
                                     : "a struct";
}

/* ---- names ----------------------------------------------------------------- */

/*
 * Whether an identifier may name something. top_level: it becomes a C
 * name of its own (types, constants, topics), not a member or a macro
 * suffix.
 */
static bool check_name(sema_t *s, const ast_ident_t *id, bool top_level)
{
    const char *name = id->name;
    if (id->len > 63)
        return false; /* reported by the lexer */
    const char *why = nidl__reserved_name(&s->ctx->reserved, name);
    if (why != NULL) {
        ERR(s, &id->loc, "'%s' is %s and cannot be used as a name", name, why);
        return false;
    }
    if (name[0] == '_' && (name[1] == '_' || isupper((unsigned char)name[1]))) {
        ERR(s, &id->loc,
            "'%s' is reserved: C reserves names that begin with '__' or '_' and an "
            "uppercase letter",
            name);
        return false;
    }
    if (name[id->len - 1] == '_') {
        ERR(s, &id->loc,
            "'%s' is reserved: names ending in '_' belong to the generated code", name);
        return false;
    }
    if (top_level && s->f->prefix[0] == '\0') {
        if (strncmp(name, "nx_", 3) == 0 || strncmp(name, "NX_", 3) == 0) {
            ERR(s, &id->loc,
                "'%s' is reserved: without a package, names cannot begin with 'nx_' or "
                "'NX_', the runtime's prefix",
                name);
            return false;
        }
        if (nidl__generated_local(name)) {
            ERR(s, &id->loc,
                "without a package, '%s' cannot be a declaration's name: the generated "
                "code uses it for parameters and locals",
                name);
            return false;
        }
    }
    return true;
}

/* The package part of a dotted name ("a.b" of "a.b.C"), arena-allocated. */
static const char *name_package(sema_t *s, const ast_name_t *n)
{
    if (n->nparts == 1)
        return s->f->pkg;
    size_t len = strlen(n->text) - n->parts[n->nparts - 1]->len - 1;
    return nidl__arena_strndup(&s->ctx->arena, n->text, len);
}

typedef enum want { WANT_TYPE, WANT_CONST, WANT_MESSAGE } want_t;

static bool kind_matches(const ast_decl_t *d, want_t want)
{
    switch (want) {
    case WANT_TYPE:
        return d->kind == DECL_ENUM || d->kind == DECL_STRUCT;
    case WANT_CONST:
        return d->kind == DECL_CONST;
    case WANT_MESSAGE:
        return d->kind == DECL_STRUCT;
    }
    return false;
}

/* Closest candidate so far for "did you mean". */
typedef struct suggest {
    const char *want;
    size_t limit;
    size_t best;
    const char *name;
    const ast_decl_t *decl;
} suggest_t;

static void suggest_init(suggest_t *sg, const char *want)
{
    size_t len = strlen(want);
    sg->want = want;
    sg->limit = len < 3 ? 1 : (len + 2) / 3;
    sg->best = sg->limit + 1;
    sg->name = NULL;
    sg->decl = NULL;
}

static void suggest_try(suggest_t *sg, const char *cand, const ast_decl_t *d)
{
    size_t dist = nidl__edit_distance(sg->want, cand, sg->limit);
    if (dist < sg->best) {
        sg->best = dist;
        sg->name = cand;
        sg->decl = d;
    }
}

/* Suggest among the declarations of f (before `before`, if own file). */
static void suggest_file(suggest_t *sg, const nidl_file_t *f, want_t want, uint32_t before,
                         bool own)
{
    for (size_t i = 0; i < f->decls.len; i++) {
        const ast_decl_t *d = f->decls.items[i];
        if (own && d->name->loc.start >= before)
            break;
        /* Only a message can be where a message is wanted, though a
         * struct there gets an error of its own (not "unknown"). */
        if (kind_matches(d, want) && (want != WANT_MESSAGE || d->is_message))
            suggest_try(sg, d->name->name, d);
    }
}

static void report_unknown(sema_t *s, const ast_name_t *n, const char *pkg, bool own,
                           want_t want, uint32_t use_at)
{
    const char *name = n->parts[n->nparts - 1]->name;
    const char *what = want == WANT_TYPE    ? "type"
                       : want == WANT_CONST ? "constant"
                                            : "message";
    suggest_t sg;
    suggest_init(&sg, name);
    if (own)
        suggest_file(&sg, s->f, want, use_at, true);
    for (size_t i = 0; i < s->f->imports.len; i++) {
        const ast_import_t *im = s->f->imports.items[i];
        if (im->file != NULL && strcmp(im->file->pkg, pkg) == 0)
            suggest_file(&sg, im->file, want, 0, false);
    }
    if (want == WANT_TYPE && n->nparts == 1) {
        for (nidl_prim_t p = NIDL_PRIM_BOOL; p < NIDL_PRIM_COUNT; p++)
            suggest_try(&sg, nidl__prim(p)->name, NULL);
        suggest_try(&sg, "string", NULL);
        suggest_try(&sg, "bytes", NULL);
        suggest_try(&sg, "sequence", NULL);
    }
    if (sg.name == NULL) {
        /* When names may be missing (see sema_t.quiet), an unknown name
         * with nothing like it declared is more likely a casualty of the
         * earlier error than a mistake of its own. */
        if (!s->quiet)
            ERR(s, &n->loc, "unknown %s '%s'", what, n->text);
        return;
    }
    if (n->nparts > 1)
        ERR(s, &n->loc, "unknown %s '%s'; did you mean '%s.%s'?", what, n->text, pkg,
            sg.name);
    else
        ERR(s, &n->loc, "unknown %s '%s'; did you mean '%s'?", what, n->text, sg.name);
    if (sg.decl != NULL)
        NOTE(s, &sg.decl->name->loc, "'%s' is declared here", sg.name);
}

static void report_unknown_package(sema_t *s, const ast_name_t *n, const char *pkg)
{
    suggest_t sg;
    suggest_init(&sg, pkg);
    if (s->f->pkg[0] != '\0')
        suggest_try(&sg, s->f->pkg, NULL);
    for (size_t i = 0; i < s->f->imports.len; i++) {
        const ast_import_t *im = s->f->imports.items[i];
        if (im->file != NULL && im->file->pkg[0] != '\0')
            suggest_try(&sg, im->file->pkg, NULL);
    }
    if (sg.name != NULL)
        ERR(s, &n->loc, "unknown package '%s' in '%s'; did you mean '%s'?", pkg, n->text,
            sg.name);
    else
        ERR(s, &n->loc, "unknown package '%s' in '%s' (is its file imported?)", pkg,
            n->text);
}

/*
 * Resolve a (dotted) name used at offset use_at: a declaration of this
 * file made before that point, or of an imported file of the named
 * package (this file's package for a bare name).
 */
static ast_decl_t *lookup(sema_t *s, const ast_name_t *n, uint32_t use_at, want_t want)
{
    const ast_ident_t *last = n->parts[n->nparts - 1];
    const char *pkg = name_package(s, n);
    bool own = strcmp(pkg, s->f->pkg) == 0;
    bool pkg_known = own;
    ast_decl_t *d = NULL;
    ast_import_t *via = NULL;
    if (own) {
        d = nidl__map_get(&s->f->names, last->name, last->len);
        if (d != NULL && d->name->loc.start >= use_at) {
            ERR(s, &n->loc, "'%s' is used before its declaration", n->text);
            NOTE(s, &d->name->loc, "'%s' is declared here", d->name->name);
            return NULL;
        }
    }
    for (size_t i = 0; d == NULL && i < s->f->imports.len; i++) {
        ast_import_t *im = s->f->imports.items[i];
        if (im->file == NULL || strcmp(im->file->pkg, pkg) != 0)
            continue;
        pkg_known = true;
        im->used = true; /* even if the name is wrong: the import is meant */
        d = nidl__map_get(&im->file->names, last->name, last->len);
        via = im;
    }
    if (d == NULL) {
        if (pkg_known)
            report_unknown(s, n, pkg, own, want, use_at);
        else if (!s->quiet)
            report_unknown_package(s, n, pkg);
        return NULL;
    }
    if (via != NULL)
        via->used = true;
    if (!kind_matches(d, want)) {
        ERR(s, &n->loc, "'%s' is %s, not a %s", n->text, decl_what_a(d),
            want == WANT_CONST  ? "constant"
            : want == WANT_TYPE ? "type"
                                : "message");
        NOTE(s, &d->name->loc, "'%s' is declared here", d->name->name);
        return NULL;
    }
    return d;
}

/* ---- constant expressions ----------------------------------------------------- */

static const char *op_name(ast_expr_kind_t k)
{
    static const char *const names[] = {
        [EX_NEG] = "-", [EX_PLUS] = "+", [EX_NOT] = "~", [EX_ADD] = "+",  [EX_SUB] = "-",
        [EX_MUL] = "*", [EX_DIV] = "/",  [EX_MOD] = "%", [EX_SHL] = "<<", [EX_SHR] = ">>",
        [EX_AND] = "&", [EX_OR] = "|",   [EX_XOR] = "^",
    };
    return k < NIDL_ARRAY_SIZE(names) && names[k] ? names[k] : "?";
}

/* Whether constant d, used by e, has a value; reports a self-reference.
 * (Constants are checked in order and only earlier ones are visible, so
 * an unchecked one is the one being defined.) */
static bool const_ready(sema_t *s, const ast_decl_t *d, const ast_expr_t *e)
{
    if (d->state == ST_NEW) {
        ERR(s, &e->loc, "'%s' is used in its own definition", d->name->name);
        return false;
    }
    return d->state == ST_OK;
}

static double to_double(const nidl_value_t *v)
{
    if (v->kind == VAL_FLOAT)
        return v->f;
    double d = (double)v->mag;
    return v->neg ? -d : d;
}

/*
 * Evaluate as C would: integer operands give an exact integer result,
 * a float operand makes the operation a float one. Returns false after
 * reporting an error (or quietly, if a constant it uses is broken).
 */
static bool eval(sema_t *s, const ast_expr_t *e, nidl_value_t *out)
{
    nidl_value_t a, b;
    char buf[32];
    switch (e->kind) {
    case EX_INT:
        if (e->bad)
            return false;
        *out = (nidl_value_t){.kind = VAL_INT, .mag = e->ival};
        return true;
    case EX_FLOAT:
        if (e->bad)
            return false;
        *out = (nidl_value_t){.kind = VAL_FLOAT, .f = e->fval};
        return true;
    case EX_BOOL:
        ERR(s, &e->loc, "'%s' is not a number", e->bval ? "true" : "false");
        return false;
    case EX_STRING:
        if (!e->bad)
            ERR(s, &e->loc, "a string is not a number");
        return false;
    case EX_NAME: {
        ast_decl_t *d = lookup(s, e->name, e->loc.start, WANT_CONST);
        if (d == NULL || !const_ready(s, d, e))
            return false;
        if (d->cval.kind == VAL_BOOL) {
            ERR(s, &e->loc, "'%s' is a bool constant, not a number", e->name->text);
            NOTE(s, &d->name->loc, "'%s' is declared here", d->name->name);
            return false;
        }
        *out = d->cval;
        return true;
    }
    case EX_NEG:
    case EX_PLUS:
    case EX_NOT:
        if (!eval(s, e->lhs, &a))
            return false;
        if (a.kind == VAL_FLOAT) {
            if (e->kind == EX_NOT) {
                ERR(s, &e->op_loc, "'~' needs an integer operand");
                return false;
            }
            *out = (nidl_value_t){.kind = VAL_FLOAT, .f = e->kind == EX_NEG ? -a.f : a.f};
            return true;
        }
        if (nidl__wi_unary(e->kind, &a, out) != WI_OK) {
            ERR(s, &e->op_loc, "integer overflow in a constant expression");
            return false;
        }
        return true;
    default:
        break;
    }
    bool ok_l = eval(s, e->lhs, &a);
    bool ok_r = eval(s, e->rhs, &b);
    if (!ok_l || !ok_r)
        return false;
    if (a.kind == VAL_FLOAT || b.kind == VAL_FLOAT) {
        double x = to_double(&a), y = to_double(&b), r;
        switch (e->kind) {
        case EX_ADD:
            r = x + y;
            break;
        case EX_SUB:
            r = x - y;
            break;
        case EX_MUL:
            r = x * y;
            break;
        case EX_DIV:
            if (y == 0.0) {
                ERR(s, &e->op_loc, "division by zero");
                return false;
            }
            r = x / y;
            break;
        default:
            ERR(s, &e->op_loc, "'%s' needs integer operands", op_name(e->kind));
            return false;
        }
        if (!isfinite(r)) {
            ERR(s, &e->op_loc, "floating-point overflow in a constant expression");
            return false;
        }
        *out = (nidl_value_t){.kind = VAL_FLOAT, .f = r};
        return true;
    }
    switch (nidl__wi_binary(e->kind, &a, &b, out)) {
    case WI_OK:
        return true;
    case WI_OVERFLOW:
        ERR(s, &e->op_loc, "integer overflow in a constant expression");
        return false;
    case WI_DIV_ZERO:
        ERR(s, &e->op_loc, "division by zero");
        return false;
    case WI_NEG_SHIFT:
        ERR(s, &e->op_loc, "shift of a negative value");
        return false;
    case WI_SHIFT_RANGE:
        ERR(s, &e->op_loc, "shift count %s is outside 0..63",
            nidl__wi_format(&b, buf, sizeof buf));
        return false;
    }
    return false;
}

static bool eval_top(sema_t *s, const ast_expr_t *e, nidl_value_t *out)
{
    if (e->depth > NIDL_MAX_EXPR_DEPTH) {
        ERR(s, &e->loc, "expression is nested more than %d levels deep",
            NIDL_MAX_EXPR_DEPTH);
        return false;
    }
    return eval(s, e, out);
}

/* An integer constant expression. */
static bool eval_int(sema_t *s, const ast_expr_t *e, nidl_value_t *out)
{
    if (!eval_top(s, e, out))
        return false;
    if (out->kind != VAL_INT) {
        ERR(s, &e->loc, "expected an integer, not a float");
        return false;
    }
    return true;
}

static const char *range_text(nidl_prim_t prim, char *buf, size_t size)
{
    const nidl_prim_info_t *pi = nidl__prim(prim);
    if (pi->is_signed)
        snprintf(buf, size, "-%llu..%llu", (unsigned long long)pi->min_mag,
                 (unsigned long long)pi->max);
    else
        snprintf(buf, size, "0..%llu", (unsigned long long)pi->max);
    return buf;
}

/* A bound or dimension: an integer in 1..max. */
static bool eval_bound(sema_t *s, const ast_expr_t *e, const char *what, uint64_t max,
                       uint32_t *out)
{
    nidl_value_t v;
    char buf[32];
    if (!eval_int(s, e, &v))
        return false;
    if (v.neg || v.mag == 0 || v.mag > max) {
        ERR(s, &e->loc, "%s must be between 1 and %llu, not %s", what,
            (unsigned long long)max, nidl__wi_format(&v, buf, sizeof buf));
        return false;
    }
    *out = (uint32_t)v.mag;
    return true;
}

/*
 * A value of a primitive type (a constant or a field default): bool takes
 * true/false (or a bool constant), char a one-character ASCII string or an
 * integer 0..127, floats any numeric expression in range, integers an
 * integer expression in range.
 */
static bool check_prim_value(sema_t *s, const ast_expr_t *e, nidl_prim_t prim,
                             nidl_value_t *out)
{
    const nidl_prim_info_t *pi = nidl__prim(prim);
    char buf[32], range[64];
    if (prim == NIDL_PRIM_BOOL) {
        if (e->kind == EX_BOOL) {
            *out = (nidl_value_t){.kind = VAL_BOOL, .b = e->bval};
            return true;
        }
        if (e->kind == EX_NAME) {
            ast_decl_t *d = lookup(s, e->name, e->loc.start, WANT_CONST);
            if (d == NULL || !const_ready(s, d, e))
                return false;
            if (d->cval.kind == VAL_BOOL) {
                *out = d->cval;
                return true;
            }
        }
        ERR(s, &e->loc, "a bool value must be 'true' or 'false'");
        return false;
    }
    if (prim == NIDL_PRIM_CHAR && e->kind == EX_STRING) {
        if (e->bad)
            return false;
        if (e->slen != 1 || (unsigned char)e->sval[0] > 127) {
            ERR(s, &e->loc, "a char value is one ASCII character, like \"a\"");
            return false;
        }
        *out = (nidl_value_t){.kind = VAL_INT, .mag = (unsigned char)e->sval[0]};
        return true;
    }
    if (e->kind == EX_STRING) {
        if (!e->bad)
            ERR(s, &e->loc, "a value of type '%s' must be a number, not a string",
                pi->name);
        return false;
    }
    if (pi->is_float) {
        nidl_value_t v;
        if (!eval_top(s, e, &v))
            return false;
        double d = to_double(&v);
        if (prim == NIDL_PRIM_FLOAT32 && fabs(d) > FLT_MAX) {
            ERR(s, &e->loc, "value %g does not fit in 'float32'", d);
            return false;
        }
        *out = (nidl_value_t){.kind = VAL_FLOAT, .f = d};
        return true;
    }
    if (!eval_int(s, e, out))
        return false;
    if (!nidl__wi_fits(out, prim)) {
        ERR(s, &e->loc, "value %s does not fit in '%s' (%s)",
            nidl__wi_format(out, buf, sizeof buf), pi->name,
            range_text(prim, range, sizeof range));
        return false;
    }
    return true;
}

/* The default of an enum field: one of its items, by name. */
static bool check_item_value(sema_t *s, const ast_expr_t *e, ast_decl_t *en,
                             nidl_value_t *out)
{
    if (en->state != ST_OK)
        return false;
    if (e->kind != EX_NAME || e->name->nparts != 1) {
        ERR(s, &e->loc, "the value of an enum '%s' must be one of its items, like '%s'",
            en->name->name, en->items[0]->name->name);
        return false;
    }
    const char *name = e->name->parts[0]->name;
    suggest_t sg;
    suggest_init(&sg, name);
    for (size_t i = 0; i < en->nitems; i++) {
        if (strcmp(en->items[i]->name->name, name) == 0) {
            *out = (nidl_value_t){.kind = VAL_ITEM, .item = en->items[i]};
            return true;
        }
        suggest_try(&sg, en->items[i]->name->name, NULL);
    }
    if (sg.name != NULL)
        ERR(s, &e->loc, "'%s' is not an item of enum '%s'; did you mean '%s'?", name,
            en->name->name, sg.name);
    else
        ERR(s, &e->loc, "'%s' is not an item of enum '%s'", name, en->name->name);
    NOTE(s, &en->name->loc, "'%s' is declared here", en->name->name);
    return false;
}

/* ---- types -------------------------------------------------------------------- */

static bool resolve_type(sema_t *s, ast_type_t *t, ast_decl_t *self)
{
    switch (t->kind) {
    case TY_PRIM:
        t->rkind = RK_PRIM;
        t->size = nidl__prim(t->prim)->size;
        t->align = nidl__prim(t->prim)->align;
        return true;
    case TY_STRING:
        if (!eval_bound(s, t->bound_expr, "the bound of a string", 65535, &t->bound))
            return false;
        t->rkind = RK_STRING;
        t->size = t->bound + 1;
        t->align = 1;
        return true;
    case TY_BYTES:
        if (!eval_bound(s, t->bound_expr, "the bound of bytes", UINT32_C(1) << 30,
                        &t->bound))
            return false;
        t->rkind = RK_BYTES;
        t->size = (uint32_t)nidl__align_up(4 + (uint64_t)t->bound, 4);
        t->tail_pad = t->size - 4 - t->bound;
        t->align = 4;
        return true;
    case TY_SEQ: {
        if (t->depth > NIDL_MAX_TYPE_DEPTH) {
            ERR(s, &t->loc, "sequences are nested more than %d deep", NIDL_MAX_TYPE_DEPTH);
            return false;
        }
        bool ok = resolve_type(s, t->elem, self);
        if (!eval_bound(s, t->bound_expr, "the bound of a sequence", UINT32_C(1) << 24,
                        &t->bound) ||
            !ok)
            return false;
        uint32_t align = t->elem->align > 4 ? t->elem->align : 4;
        uint64_t items = nidl__align_up(4, t->elem->align);
        uint64_t end = items + (uint64_t)t->bound * t->elem->size;
        uint64_t size = nidl__align_up(end, align);
        if (size > NIDL_MAX_TYPE_SIZE) {
            ERR(s, &t->loc, "this sequence is too large: more than %lu bytes",
                (unsigned long)NIDL_MAX_TYPE_SIZE);
            return false;
        }
        t->rkind = RK_SEQ;
        t->items_offset = (uint32_t)items;
        t->size = (uint32_t)size;
        t->tail_pad = (uint32_t)(size - end);
        t->align = align;
        return true;
    }
    case TY_NAMED: {
        ast_decl_t *d = lookup(s, t->name, t->loc.start, WANT_TYPE);
        if (d == NULL)
            return false;
        if (d == self) {
            ERR(s, &t->loc, "%s '%s' cannot contain itself", decl_what(d), d->name->name);
            return false;
        }
        if (d->state != ST_OK)
            return false;
        t->decl = d;
        if (d->kind == DECL_ENUM) {
            t->rkind = RK_ENUM;
            t->prim = d->prim;
            t->size = nidl__prim(d->prim)->size;
            t->align = nidl__prim(d->prim)->align;
        } else {
            t->rkind = RK_STRUCT;
            t->size = d->size;
            t->align = d->align;
        }
        return true;
    }
    }
    return false;
}

bool nidl__type_needs_check(const ast_type_t *t)
{
    switch (t->rkind) {
    case RK_PRIM:
        return t->prim == NIDL_PRIM_BOOL;
    case RK_STRUCT:
        return t->decl->needs_check;
    case RK_NONE:
        return false;
    default:
        return true; /* enum values, string terminators, len and count */
    }
}

bool nidl__value_is_zero(const nidl_value_t *v)
{
    switch (v->kind) {
    case VAL_INT:
        return v->mag == 0;
    case VAL_FLOAT:
        return v->f == 0.0 && !signbit(v->f);
    case VAL_BOOL:
        return !v->b;
    case VAL_STRING:
        return v->slen == 0;
    case VAL_ITEM:
        return v->item->mag == 0;
    case VAL_NONE:
        return true;
    }
    return true;
}

/* ---- declarations ------------------------------------------------------------- */

static void check_const(sema_t *s, ast_decl_t *d)
{
    if (d->type->kind != TY_PRIM) {
        ERR(s, &d->type->loc,
            "a constant must have a primitive type (bool, char, an integer or a float)");
        d->state = ST_BROKEN;
        return;
    }
    d->prim = d->type->prim;
    d->state = check_prim_value(s, d->value, d->prim, &d->cval) ? ST_OK : ST_BROKEN;
}

static bool is_enum_base(nidl_prim_t p)
{
    return p >= NIDL_PRIM_INT8 && p <= NIDL_PRIM_UINT64;
}

static void check_enum(sema_t *s, ast_decl_t *d)
{
    d->prim = NIDL_PRIM_INT32;
    if (d->type != NULL) {
        if (d->type->kind != TY_PRIM || !is_enum_base(d->type->prim)) {
            ERR(s, &d->type->loc,
                "the underlying type of an enum must be an integer type (int8..int64, "
                "uint8..uint64)");
            d->state = ST_BROKEN;
            return;
        }
        d->prim = d->type->prim;
    }
    if (d->state == ST_BROKEN)
        return; /* its body had a syntax error */
    bool ok = true;
    nidl_map_t names = {0}, values = {0};
    nidl_value_t next = {.kind = VAL_INT};
    bool have_next = true;
    char buf[32], range[64];
    for (size_t i = 0; i < d->nitems; i++) {
        ast_item_t *it = d->items[i];
        if (!check_name(s, it->name, false))
            ok = false;
        ast_item_t *dup = nidl__map_put(&names, it->name->name, it->name->len, it);
        if (dup != NULL) {
            ERR(s, &it->name->loc, "duplicate item '%s' in enum '%s'", it->name->name,
                d->name->name);
            NOTE(s, &dup->name->loc, "'%s' is first declared here", dup->name->name);
            ok = false;
        }
        nidl_value_t v;
        if (it->value != NULL) {
            if (!eval_int(s, it->value, &v)) {
                ok = have_next = false;
                continue;
            }
            if (!nidl__wi_fits(&v, d->prim)) {
                ERR(s, &it->value->loc, "value %s of '%s' does not fit in '%s' (%s)",
                    nidl__wi_format(&v, buf, sizeof buf), it->name->name,
                    nidl__prim(d->prim)->name, range_text(d->prim, range, sizeof range));
                ok = have_next = false;
                continue;
            }
        } else {
            if (!have_next) {
                ok = false; /* the previous item's value is unknown */
                continue;
            }
            v = next;
            if (!nidl__wi_fits(&v, d->prim)) {
                ERR(s, &it->name->loc,
                    "value %s of '%s' (one more than the previous item) does not fit in "
                    "'%s' (%s)",
                    nidl__wi_format(&v, buf, sizeof buf), it->name->name,
                    nidl__prim(d->prim)->name, range_text(d->prim, range, sizeof range));
                ok = have_next = false;
                continue;
            }
        }
        it->neg = v.neg;
        it->mag = v.mag;
        it->ok = true;
        const char *key =
            nidl__arena_strdup(&s->ctx->arena, nidl__wi_format(&v, buf, sizeof buf));
        ast_item_t *same = nidl__map_put(&values, key, strlen(key), it);
        if (same != NULL) {
            ERR(s, &it->loc, "'%s' has the same value (%s) as '%s'", it->name->name, key,
                same->name->name);
            NOTE(s, &same->name->loc, "'%s' is declared here", same->name->name);
            ok = false;
        }
        nidl_value_t one = {.kind = VAL_INT, .mag = 1};
        have_next = nidl__wi_binary(EX_ADD, &v, &one, &next) == WI_OK;
    }
    nidl__map_free(&names);
    nidl__map_free(&values);
    d->state = ok ? ST_OK : ST_BROKEN;
    if (ok)
        nidl__fingerprint(d);
}

static bool check_default(sema_t *s, ast_field_t *f)
{
    ast_expr_t *e = f->def;
    ast_type_t *t = f->type;
    if (f->ndims > 0) {
        ERR(s, &e->loc, "an array field cannot have a default value");
        return false;
    }
    switch (t->rkind) {
    case RK_SEQ:
    case RK_BYTES:
    case RK_STRUCT:
        ERR(s, &e->loc, "a %s field cannot have a default value",
            t->rkind == RK_SEQ     ? "sequence"
            : t->rkind == RK_BYTES ? "bytes"
                                   : "struct");
        return false;
    case RK_STRING:
        if (e->kind != EX_STRING) {
            ERR(s, &e->loc, "the default of a string field must be a string literal");
            return false;
        }
        if (e->bad)
            return false;
        if (e->slen > t->bound) {
            ERR(s, &e->loc, "the default is %zu bytes long; 'string<%u>' holds at most %u",
                e->slen, t->bound, t->bound);
            return false;
        }
        f->defv = (nidl_value_t){.kind = VAL_STRING, .s = e->sval, .slen = e->slen};
        return true;
    case RK_ENUM:
        return check_item_value(s, e, t->decl, &f->defv);
    case RK_PRIM:
        return check_prim_value(s, e, t->prim, &f->defv);
    case RK_NONE:
        return false;
    }
    return false;
}

static bool check_field(sema_t *s, ast_decl_t *d, ast_field_t *f, nidl_map_t *names)
{
    bool ok = check_name(s, f->name, false);
    ast_field_t *dup = nidl__map_put(names, f->name->name, f->name->len, f);
    if (dup != NULL) {
        ERR(s, &f->name->loc, "duplicate field '%s' in '%s'", f->name->name, d->name->name);
        NOTE(s, &dup->name->loc, "'%s' is first declared here", dup->name->name);
        ok = false;
    }
    bool type_ok = resolve_type(s, f->type, d);
    uint64_t count = 1;
    if (f->ndims > NIDL_MAX_DIMS) {
        ERR(s, &f->dims[NIDL_MAX_DIMS]->loc, "a field has at most %d array dimensions",
            NIDL_MAX_DIMS);
        ok = false;
    } else {
        for (size_t i = 0; i < f->ndims; i++) {
            if (!eval_bound(s, f->dims[i], "an array dimension", NIDL_MAX_TYPE_SIZE,
                            &f->dimv[i]))
                ok = false;
            else if (count <= NIDL_MAX_TYPE_SIZE)
                count *= f->dimv[i];
        }
    }
    if (!type_ok)
        return false;
    if (ok) {
        uint64_t size = count * f->type->size;
        if (count > NIDL_MAX_TYPE_SIZE || size > NIDL_MAX_TYPE_SIZE) {
            ERR(s, &f->name->loc, "field '%s' is too large: more than %lu bytes",
                f->name->name, (unsigned long)NIDL_MAX_TYPE_SIZE);
            ok = false;
        } else {
            f->size = (uint32_t)size;
            f->align = f->type->align;
        }
    }
    if (f->def != NULL) {
        if (!check_default(s, f))
            ok = false;
    } else if (f->type->rkind == RK_ENUM) {
        /* No default: the first item, so that _init() gives a valid value
         * even when 0 is not an item. */
        f->defv = (nidl_value_t){.kind = VAL_ITEM, .item = f->type->decl->items[0]};
    }
    f->ok = ok;
    return ok;
}

static void check_struct(sema_t *s, ast_decl_t *d)
{
    if (d->nfields == 0) {
        if (!s->f->syntax_errors)
            ERR(s, &d->name->loc, "%s '%s' has no fields", decl_what(d), d->name->name);
        d->state = ST_BROKEN;
        return;
    }
    bool ok = true;
    nidl_map_t names = {0};
    for (size_t i = 0; i < d->nfields; i++) {
        if (!check_field(s, d, d->fields[i], &names))
            ok = false;
    }
    nidl__map_free(&names);
    if (!ok || !nidl__layout_struct(s->ctx, d)) {
        d->state = ST_BROKEN;
        return;
    }
    for (size_t i = 0; i < d->nfields; i++) {
        ast_field_t *f = d->fields[i];
        if (nidl__type_needs_check(f->type))
            d->needs_check = true;
        if (!nidl__value_is_zero(&f->defv) ||
            (f->type->rkind == RK_STRUCT && f->type->decl->needs_init))
            d->needs_init = true;
    }
    nidl__fingerprint(d);
    d->state = ST_OK;
}

static bool topic_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '/' || c == '.' || c == '-';
}

/*
 * Whether a wire name (what: "topic" or "service") is 1..max characters of
 * [A-Za-z0-9_/.-]. given: written in the schema (the location is the
 * string), not derived from the package and the declaration's name.
 */
static bool check_wire_name(sema_t *s, const char *what, size_t max, const char *name,
                            const nidl_loc_t *loc, bool given)
{
    size_t len = strlen(name);
    if (len == 0) {
        ERR(s, loc, "a %s name cannot be empty", what);
        return false;
    }
    if (len > max) {
        if (given)
            ERR(s, loc, "the %s name is %zu characters long; the limit is %zu", what, len,
                max);
        else
            ERR(s, loc,
                "the %s name '%.40s...' is %zu characters long; the limit is %zu (set a "
                "shorter one with name = \"...\")",
                what, name, len, max);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!topic_char_ok(name[i])) {
            ERR(s, loc, "the %s name contains '%c'; it may use only [A-Za-z0-9_/.-]", what,
                name[i]);
            return false;
        }
    }
    return true;
}

/*
 * Sort the properties of topic or service d (what) into seen[], one slot
 * per name of known[] (n of them); an unknown or repeated property is
 * reported. Returns false if one was.
 */
static bool sort_props(sema_t *s, const ast_decl_t *d, const char *what,
                       const char *const *known, size_t n, ast_prop_t **seen)
{
    bool ok = true;
    for (size_t i = 0; i < d->nprops; i++) {
        ast_prop_t *pr = d->props[i];
        size_t k = 0;
        while (k < n && strcmp(pr->name->name, known[k]) != 0)
            k++;
        if (k == n) {
            suggest_t sg;
            suggest_init(&sg, pr->name->name);
            for (size_t j = 0; j < n; j++)
                suggest_try(&sg, known[j], NULL);
            if (sg.name != NULL) {
                ERR(s, &pr->name->loc, "unknown %s property '%s'; did you mean '%s'?", what,
                    pr->name->name, sg.name);
            } else {
                char list[64] = "";
                for (size_t j = 0; j < n; j++) {
                    if (j > 0)
                        strncat(list, ", ", sizeof list - strlen(list) - 1);
                    strncat(list, known[j], sizeof list - strlen(list) - 1);
                }
                ERR(s, &pr->name->loc, "unknown %s property '%s' (known: %s)", what,
                    pr->name->name, list);
            }
            ok = false;
            continue;
        }
        if (seen[k] != NULL) {
            ERR(s, &pr->name->loc, "property '%s' is set twice", known[k]);
            NOTE(s, &seen[k]->name->loc, "first set here");
            ok = false;
            continue;
        }
        seen[k] = pr;
    }
    return ok;
}

/*
 * The wire name of topic or service d (what): its `name` property (pn,
 * or NULL), else the package path with '/' for '.', '/' and d's name.
 * NULL after reporting an error.
 */
static char *wire_name(sema_t *s, const ast_decl_t *d, const char *what, size_t max,
                       const ast_prop_t *pn)
{
    if (pn != NULL) {
        if (pn->value->kind != EX_STRING) {
            ERR(s, &pn->value->loc, "the %s name must be a string literal", what);
            return NULL;
        }
        if (pn->value->bad ||
            !check_wire_name(s, what, max, pn->value->sval, &pn->value->loc, true))
            return NULL;
        return nidl__arena_strdup(&s->ctx->arena, pn->value->sval);
    }
    char *w = nidl__arena_printf(&s->ctx->arena, "%s%s%s", s->f->pkg,
                                 s->f->pkg[0] ? "." : "", d->name->name);
    for (char *c = w; *c; c++)
        *c = *c == '.' ? '/' : *c;
    return check_wire_name(s, what, max, w, &d->name->loc, false) ? w : NULL;
}

static void check_topic(sema_t *s, ast_decl_t *d, nidl_map_t *wires)
{
    bool ok = true;
    ast_decl_t *m = lookup(s, d->msg_name, d->msg_name->loc.start, WANT_MESSAGE);
    if (m != NULL && !m->is_message) {
        ERR(s, &d->msg_name->loc,
            "'%s' is a struct; only a message can be the type of a topic",
            d->msg_name->text);
        NOTE(s, &m->name->loc, "'%s' is declared here", m->name->name);
        m = NULL;
        ok = false;
    }
    if (m == NULL || m->state != ST_OK)
        ok = false;
    d->msg = m;

    static const char *const known[] = {"name", "on_full", "block_ms"};
    ast_prop_t *seen[3] = {NULL, NULL, NULL};
    if (!sort_props(s, d, "topic", known, 3, seen))
        ok = false;
    /* name */
    d->wire = wire_name(s, d, "topic", 127, seen[0]);
    if (d->wire == NULL)
        ok = false;

    /* on_full */
    ast_prop_t *po = seen[1];
    bool on_full_bad = false;
    if (po != NULL) {
        const ast_expr_t *v = po->value;
        const char *word =
            v->kind == EX_NAME && v->name->nparts == 1 ? v->name->text : NULL;
        if (word != NULL && strcmp(word, "block") == 0) {
            d->block = true;
            d->block_ms = 100;
        } else if (word == NULL || strcmp(word, "fail") != 0) {
            suggest_t sg;
            suggest_init(&sg, word ? word : "");
            if (word != NULL) {
                suggest_try(&sg, "fail", NULL);
                suggest_try(&sg, "block", NULL);
            }
            if (sg.name != NULL)
                ERR(s, &v->loc, "on_full must be 'fail' or 'block'; did you mean '%s'?",
                    sg.name);
            else
                ERR(s, &v->loc, "on_full must be 'fail' or 'block'");
            ok = false;
            on_full_bad = true;
        }
    }

    /* block_ms */
    ast_prop_t *pb = seen[2];
    if (pb != NULL) {
        nidl_value_t v;
        char buf[32];
        if (!eval_int(s, pb->value, &v)) {
            ok = false;
        } else if (!nidl__wi_fits(&v, NIDL_PRIM_UINT32)) {
            ERR(s, &pb->value->loc, "block_ms must be between 0 and 4294967295, not %s",
                nidl__wi_format(&v, buf, sizeof buf));
            ok = false;
        } else if (!d->block) {
            if (!on_full_bad) {
                ERR(s, &pb->name->loc, "block_ms needs on_full = block");
                if (po != NULL)
                    NOTE(s, &po->loc, "on_full is set here");
            }
            ok = false;
        } else {
            d->block_ms = (uint32_t)v.mag;
        }
    }

    if (d->wire != NULL) {
        ast_decl_t *other = nidl__map_put(wires, d->wire, strlen(d->wire), d);
        if (other != NULL) {
            ERR(s, &d->name->loc, "topic name '%s' is already used by topic '%s'", d->wire,
                other->name->name);
            NOTE(s, &other->name->loc, "'%s' is declared here", other->name->name);
            ok = false;
        }
    }
    d->state = ok ? ST_OK : ST_BROKEN;
}

/*
 * The message that type t of service d names; role: "request" or
 * "reply". NULL after reporting an error (or quietly, if the message is
 * broken).
 */
static ast_decl_t *service_message(sema_t *s, const ast_decl_t *d, const ast_type_t *t,
                                   const char *role)
{
    if (t->kind != TY_NAMED) {
        const char *what = t->kind == TY_PRIM     ? nidl__prim(t->prim)->name
                           : t->kind == TY_STRING ? "a string"
                           : t->kind == TY_BYTES  ? "bytes"
                                                  : "a sequence";
        ERR(s, &t->loc, "the %s of service '%s' must be a message, not %s%s%s", role,
            d->name->name, t->kind == TY_PRIM ? "'" : "", what,
            t->kind == TY_PRIM ? "'" : "");
        return NULL;
    }
    ast_decl_t *m = lookup(s, t->name, t->name->loc.start, WANT_MESSAGE);
    if (m == NULL)
        return NULL;
    if (!m->is_message) {
        ERR(s, &t->name->loc, "'%s' is a struct; only a message can be the %s of a service",
            t->name->text, role);
        NOTE(s, &m->name->loc, "'%s' is declared here", m->name->name);
        return NULL;
    }
    return m->state == ST_OK ? m : NULL;
}

static void check_service(sema_t *s, ast_decl_t *d, nidl_map_t *wires)
{
    bool ok = true;
    d->req = service_message(s, d, d->req_type, "request");
    d->rep = service_message(s, d, d->rep_type, "reply");
    if (d->req == NULL || d->rep == NULL)
        ok = false;

    static const char *const known[] = {"name", "timeout_ms"};
    ast_prop_t *seen[2] = {NULL, NULL};
    if (!sort_props(s, d, "service", known, 2, seen))
        ok = false;
    d->wire = wire_name(s, d, "service", NIDL_SERVICE_NAME_MAX, seen[0]);
    if (d->wire == NULL)
        ok = false;

    d->timeout_ms = NIDL_SERVICE_TIMEOUT_MS;
    ast_prop_t *pt = seen[1];
    if (pt != NULL) {
        nidl_value_t v;
        char buf[32];
        if (!eval_int(s, pt->value, &v)) {
            ok = false;
        } else if (v.neg || v.mag < 1 || v.mag > NIDL_SERVICE_TIMEOUT_MAX) {
            ERR(s, &pt->value->loc, "timeout_ms must be between 1 and %lu, not %s",
                (unsigned long)NIDL_SERVICE_TIMEOUT_MAX,
                nidl__wi_format(&v, buf, sizeof buf));
            ok = false;
        } else {
            d->timeout_ms = (uint32_t)v.mag;
        }
    }

    if (d->wire != NULL) {
        ast_decl_t *other = nidl__map_put(wires, d->wire, strlen(d->wire), d);
        if (other != NULL) {
            ERR(s, &d->name->loc, "service name '%s' is already used by service '%s'",
                d->wire, other->name->name);
            NOTE(s, &other->name->loc, "'%s' is declared here", other->name->name);
            ok = false;
        }
    }
    d->state = ok ? ST_OK : ST_BROKEN;
}

/* ---- file-level checks ------------------------------------------------------ */

static void set_names(sema_t *s)
{
    nidl_file_t *f = s->f;
    nidl_arena_t *a = &s->ctx->arena;
    const char *slash = strrchr(f->path, '/');
    const char *base = slash ? slash + 1 : f->path;
    size_t blen = strlen(base);
    if (blen > 5 && strcmp(base + blen - 5, ".nidl") == 0)
        blen -= 5;
    f->base = nidl__arena_strndup(a, base, blen);
    /* The base name ends up between the quotes of #include lines, where
     * C processes no escapes (and trigraphs would still apply). */
    for (size_t i = 0; i < blen; i++) {
        unsigned char c = (unsigned char)base[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '?') {
            nidl_diag(s->ctx, NIDL_ERROR, NULL,
                      "'%s': a schema's file name cannot contain quotes, backslashes, "
                      "'?' or control characters (it is used in #include)",
                      f->path);
            break;
        }
    }
    f->header_name = nidl__arena_printf(a, "%s.nidl.h", f->base);
    f->source_name = nidl__arena_printf(a, "%s.nidl.c", f->base);

    if (f->package == NULL) {
        f->pkg = f->prefix = "";
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < f->package->nparts; i++) {
        if (!check_name(s, f->package->parts[i], false))
            ok = false;
    }
    if (ok && strcmp(f->package->parts[0]->name, "nx") == 0) {
        ERR(s, &f->package->parts[0]->loc,
            "package 'nx' is reserved: its prefix 'nx_' is the runtime's");
    }
    f->pkg = f->package->text;
    f->prefix = nidl__arena_printf(a, "%s_", f->pkg);
    for (char *c = f->prefix; *c; c++)
        *c = *c == '.' ? '_' : *c;
}

static void check_order(sema_t *s)
{
    nidl_file_t *f = s->f;
    uint32_t first_decl = UINT32_MAX, first_import = UINT32_MAX;
    if (f->decls.len > 0)
        first_decl = ((ast_decl_t *)f->decls.items[0])->loc.start;
    if (f->imports.len > 0)
        first_import = ((ast_import_t *)f->imports.items[0])->loc.start;
    if (f->package != NULL &&
        (f->package_loc.start > first_decl || f->package_loc.start > first_import))
        ERR(s, &f->package_loc, "the package declaration must come first in the file");
    for (size_t i = 0; i < f->imports.len; i++) {
        ast_import_t *im = f->imports.items[i];
        if (im->loc.start > first_decl) {
            ERR(s, &im->loc, "imports must come before the declarations");
            break;
        }
    }
}

/* Two schemas used together must not generate the same file or symbols. */
static void check_imports(sema_t *s)
{
    nidl_file_t *f = s->f;
    for (size_t i = 0; i < f->imports.len; i++) {
        ast_import_t *im = f->imports.items[i];
        if (im->file == NULL || im->file->base == NULL)
            continue;
        if (strcmp(im->file->base, f->base) == 0) {
            ERR(s, &im->loc, "'%s' would generate '%s', like this file; rename one of them",
                im->file->path, f->header_name);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            ast_import_t *other = f->imports.items[j];
            if (other->file != NULL && other->file->base != NULL &&
                strcmp(other->file->base, im->file->base) == 0) {
                ERR(s, &im->loc,
                    "'%s' and '%s' would both generate '%s'; rename one of them",
                    other->file->path, im->file->path, im->file->header_name);
                break;
            }
        }
        if (strcmp(im->file->pkg, f->pkg) != 0 && strcmp(im->file->prefix, f->prefix) == 0)
            ERR(s, &im->loc,
                "package '%s' of '%s' has the same C prefix '%s' as package '%s'",
                im->file->pkg, im->file->path, f->prefix, f->pkg);
    }
}

static void declare(sema_t *s)
{
    nidl_file_t *f = s->f;
    nidl_arena_t *a = &s->ctx->arena;
    for (size_t i = 0; i < f->decls.len; i++) {
        ast_decl_t *d = f->decls.items[i];
        d->qname =
            nidl__arena_printf(a, "%s%s%s", f->pkg, f->pkg[0] ? "." : "", d->name->name);
        bool ok = check_name(s, d->name, true);
        ast_decl_t *prev = nidl__map_put(&f->names, d->name->name, d->name->len, d);
        if (prev != NULL) {
            ERR(s, &d->name->loc, "redefinition of '%s'", d->name->name);
            NOTE(s, &prev->name->loc, "'%s' is first declared here", prev->name->name);
            ok = false;
        }
        for (size_t k = 0; ok && k < f->imports.len; k++) {
            ast_import_t *im = f->imports.items[k];
            if (im->file == NULL || strcmp(im->file->pkg, f->pkg) != 0)
                continue;
            ast_decl_t *there =
                nidl__map_get(&im->file->names, d->name->name, d->name->len);
            if (there != NULL) {
                ERR(s, &d->name->loc, "'%s' is already declared in package '%s'",
                    d->name->name, f->pkg[0] ? f->pkg : "(none)");
                NOTE(s, &there->name->loc, "'%s' is declared here", there->name->name);
                ok = false;
            }
        }
        if (!ok)
            d->state = ST_BROKEN;
    }
}

typedef struct cname_owner {
    const ast_decl_t *decl; /* NULL: a name of the file itself (cnames.h) */
    nidl_cname_id_t id;
    const ast_import_t *via;
} cname_owner_t;

/*
 * No two declarations, of this file or of its imports, may generate the
 * same C name, and none may generate a name of the file itself (the header
 * guard, the source's helpers). The names come from the table of
 * cnames.h, which the generator uses too.
 */
static void check_c_names(sema_t *s)
{
    nidl_file_t *f = s->f;
    nidl_arena_t *a = &s->ctx->arena;
    nidl_map_t names = {0};
    nidl_vec_t list = {0};
    for (size_t i = 0; i < f->imports.len; i++) {
        ast_import_t *im = f->imports.items[i];
        if (im->file == NULL || im->file->state != FILE_DONE)
            continue;
        for (size_t k = 0; k < im->file->decls.len; k++) {
            ast_decl_t *d = im->file->decls.items[k];
            list.len = 0;
            nidl__cnames_list(a, im->file, d, &list);
            for (size_t j = 0; j < list.len; j++) {
                const nidl_cname_t *n = list.items[j];
                cname_owner_t *o = nidl__arena_alloc(a, sizeof *o);
                o->decl = d;
                o->id = n->id;
                o->via = im;
                cname_owner_t *old = nidl__map_put(&names, n->name, strlen(n->name), o);
                if (old != NULL && old->via != im && old->decl->file != d->file) {
                    ERR(s, &im->loc,
                        "C name '%s' generated for '%s' is also generated for '%s'",
                        n->name, im->file->path, old->decl->file->path);
                    goto done;
                }
            }
        }
    }
    list.len = 0;
    nidl__cnames_list(a, f, NULL, &list);
    for (size_t j = 0; j < list.len; j++) {
        const nidl_cname_t *n = list.items[j];
        cname_owner_t *o = nidl__arena_alloc(a, sizeof *o);
        o->id = n->id;
        nidl__map_put(&names, n->name, strlen(n->name), o);
    }
    for (size_t i = 0; i < f->decls.len; i++) {
        ast_decl_t *d = f->decls.items[i];
        if (d->state == ST_BROKEN &&
            nidl__map_get(&f->names, d->name->name, d->name->len) != d)
            continue; /* a redefinition, already reported */
        list.len = 0;
        nidl__cnames_list(a, f, d, &list);
        for (size_t j = 0; j < list.len; j++) {
            const nidl_cname_t *n = list.items[j];
            cname_owner_t *o = nidl__arena_alloc(a, sizeof *o);
            o->decl = d;
            o->id = n->id;
            cname_owner_t *old = nidl__map_put(&names, n->name, strlen(n->name), o);
            if (old == NULL || old->decl == d)
                continue;
            if (old->decl == NULL) {
                ERR(s, &d->name->loc, "C name '%s' generated for %s '%s' is %s", n->name,
                    decl_what(d), d->name->name, nidl__cname_rules[old->id].what);
            } else {
                ERR(s, &d->name->loc,
                    "C name '%s' generated for %s '%s' is also generated for %s '%s'",
                    n->name, decl_what(d), d->name->name, decl_what(old->decl),
                    old->decl->name->name);
                NOTE(s, &old->decl->name->loc, "'%s' is declared here",
                     old->decl->name->name);
            }
            d->state = ST_BROKEN;
            break;
        }
    }
done:
    nidl__vec_free(&list);
    nidl__map_free(&names);
}

static void warn_file(sema_t *s)
{
    nidl_file_t *f = s->f;
    for (size_t i = 0; i < f->docs.len; i++) {
        ast_doc_t *d = f->docs.items[i];
        if (!d->taken)
            nidl_warn(s->ctx, NIDL_W_DANGLING_DOC, &d->loc,
                      "doc comment does not document a declaration, field or item");
    }
    /* With errors in this file, the use may be in text the parser skipped
     * or in a declaration that failed; an import that failed has its own
     * messages. */
    if (f->syntax_errors || s->ctx->errors != f->errors_at_load)
        return;
    for (size_t i = 0; i < f->imports.len; i++) {
        ast_import_t *im = f->imports.items[i];
        if (im->file != NULL && !im->file->failed && !im->used)
            nidl_warn(s->ctx, NIDL_W_UNUSED_IMPORT, &im->loc, "nothing from '%s' is used",
                      im->path->sval);
    }
}

void nidl__sema(nidl_ctx_t *ctx, nidl_file_t *f)
{
    sema_t s = {.ctx = ctx, .f = f, .quiet = f->syntax_errors};
    for (size_t i = 0; i < f->imports.len; i++) {
        ast_import_t *im = f->imports.items[i];
        if (im->file == NULL || im->file->syntax_errors)
            s.quiet = true;
    }
    set_names(&s);
    check_order(&s);
    check_imports(&s);
    declare(&s);
    /* Wire names of topics, and of services, are unique, those of the
     * imported files included. A topic and a service may share one: the
     * runtime keeps services apart from topics (a group of their own). */
    nidl_map_t wires = {0}, service_wires = {0};
    for (size_t i = 0; i < f->imports.len; i++) {
        ast_import_t *im = f->imports.items[i];
        for (size_t k = 0; im->file != NULL && k < im->file->decls.len; k++) {
            ast_decl_t *d = im->file->decls.items[k];
            if (d->kind == DECL_TOPIC && d->wire != NULL)
                nidl__map_put(&wires, d->wire, strlen(d->wire), d);
            else if (d->kind == DECL_SERVICE && d->wire != NULL)
                nidl__map_put(&service_wires, d->wire, strlen(d->wire), d);
        }
    }
    for (size_t i = 0; i < f->decls.len && !ctx->stopped; i++) {
        ast_decl_t *d = f->decls.items[i];
        if (d->state == ST_BROKEN)
            continue;
        switch (d->kind) {
        case DECL_CONST:
            check_const(&s, d);
            break;
        case DECL_ENUM:
            check_enum(&s, d);
            break;
        case DECL_STRUCT:
            check_struct(&s, d);
            break;
        case DECL_TOPIC:
            check_topic(&s, d, &wires);
            break;
        case DECL_SERVICE:
            check_service(&s, d, &service_wires);
            break;
        }
    }
    nidl__map_free(&wires);
    nidl__map_free(&service_wires);
    if (!ctx->stopped)
        check_c_names(&s);
    warn_file(&s);
}
