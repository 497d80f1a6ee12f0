/*
 * emit.h: code generation. emit.c turns a checked schema into the data of
 * the two templates (every decision about the generated C is made there)
 * and renders them; it also writes output and dependency files atomically.
 * The public entry points are nidl_generate(), nidl_write_output() and
 * nidl_write_depfile() in nidl.h.
 */
#ifndef NIDL_EMIT_H
#define NIDL_EMIT_H

#include "ctx.h"

/* Free the templates cached in the context (called by nidl_ctx_destroy). */
void nidl__emit_free(nidl_ctx_t *ctx);

/*
 * Free what an interrupted nidl_generate() had in flight (its data and
 * output buffers, kept in the context for this reason) and remove the
 * temporary file an interrupted write left behind. Called after an
 * allocation failure and by nidl__emit_free().
 */
void nidl__emit_abandon(nidl_ctx_t *ctx);

#endif /* NIDL_EMIT_H */
