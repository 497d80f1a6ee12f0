/*
 * sema.h: the checks of a parsed file (every rule of NIDL.md and of
 * docs/nidl-reference.md), constant evaluation, name resolution, and the
 * facts the code generator needs (layouts, fingerprints, C prefixes).
 */
#ifndef NIDL_SEMA_H
#define NIDL_SEMA_H

#include "ast.h"
#include "ctx.h"

/* Deepest expression sema evaluates (the parser allows deeper ones). */
#define NIDL_MAX_EXPR_DEPTH 256

/* Services (NIDL.md, "Services"; the runtime's nexus/service.h): the
 * longest wire name (NX_SERVICE_NAME_MAX), the default call timeout
 * (NX_SERVICE_TIMEOUT_MS) and the largest timeout_ms a schema may give
 * (one hour). */
#define NIDL_SERVICE_NAME_MAX    120
#define NIDL_SERVICE_TIMEOUT_MS  1000u
#define NIDL_SERVICE_TIMEOUT_MAX 3600000u

/* Deepest nesting of sequence element types. */
#define NIDL_MAX_TYPE_DEPTH 8

/*
 * Check a parsed file whose imports are loaded. Reports every error;
 * declarations that pass get state ST_OK and their derived facts.
 */
void nidl__sema(nidl_ctx_t *ctx, nidl_file_t *f);

/* Whether a value is what zeroing gives (so _init need not set it). */
bool nidl__value_is_zero(const nidl_value_t *v);

/* Whether _validate has something to check in a value of type t. */
bool nidl__type_needs_check(const ast_type_t *t);

/* Why `name` is reserved ("a C keyword", ...), or NULL. names.c. */
const char *nidl__reserved_name(nidl_map_t *map, const char *name);

/* Whether `name` is a parameter or local of the generated code. names.c. */
bool nidl__generated_local(const char *name);

/* ---- integer arithmetic on values in (-2^64, 2^64) (eval.c) ----------- */

typedef enum nidl_wi_status {
    WI_OK,
    WI_OVERFLOW, /* the exact result is outside (-2^64, 2^64) */
    WI_DIV_ZERO,
    WI_NEG_SHIFT,  /* shifting a negative value */
    WI_SHIFT_RANGE /* shift count outside 0..63 */
} nidl_wi_status_t;

/* r = op(a) for EX_NEG, EX_PLUS, EX_NOT; a and r are VAL_INT. */
nidl_wi_status_t nidl__wi_unary(ast_expr_kind_t op, const nidl_value_t *a, nidl_value_t *r);

/* r = a op b for the binary operators, exactly (C semantics for / and %). */
nidl_wi_status_t nidl__wi_binary(ast_expr_kind_t op, const nidl_value_t *a,
                                 const nidl_value_t *b, nidl_value_t *r);

/* Whether an integer value fits an integer (or char/bool) primitive. */
bool nidl__wi_fits(const nidl_value_t *v, nidl_prim_t prim);

/* Format an integer value in decimal ("-5"); buf holds at least 24 bytes. */
const char *nidl__wi_format(const nidl_value_t *v, char *buf, size_t size);

#endif /* NIDL_SEMA_H */
