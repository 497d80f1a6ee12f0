/*
 * template.h: logic-free templates for the generated C.
 *
 * A template is text with
 *   {{name}}                 a value
 *   {{#list}} ... {{/list}}  the enclosed text once per item of a list
 *                            (a list of zero or one item is how a
 *                            template says "only if")
 *   {{! comment }}           nothing
 * A line holding only a {{#..}}, {{/..}} or {{!..}} tag (and blanks) is
 * dropped whole, so tags can sit on lines of their own.
 *
 * What a template may use is fixed by a schema (nidl_tpl_key_t): the keys
 * of the top level and of each list's items. A name is looked up in the
 * innermost list item first, then outwards. When a template is loaded it
 * is checked against its schema: a placeholder the schema does not have,
 * and a key of the schema the template never uses, are both errors, so a
 * template cannot silently drop a piece of the generated code. Every
 * decision (what to emit, how to spell it) is made by emit.c, which fills
 * the data; the templates only arrange it.
 */
#ifndef NIDL_TEMPLATE_H
#define NIDL_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"

/* One key of a schema; an array of them ends with {NULL, NULL}. */
typedef struct nidl_tpl_key {
    const char *name;
    const struct nidl_tpl_key *items; /* non-NULL: a list, with these item keys */
} nidl_tpl_key_t;

typedef struct nidl_tpl nidl_tpl_t;
typedef struct nidl_tpl_data nidl_tpl_data_t;

/*
 * Parse and check a template held by file `file` of the context (errors
 * are reported at their line and column in it).
 * @return The template (free with nidl__tpl_free()), or NULL after
 *         reporting errors.
 */
nidl_tpl_t *nidl__tpl_parse(nidl_ctx_t *ctx, const nidl_file_t *file,
                            const nidl_tpl_key_t *schema);
void nidl__tpl_free(nidl_tpl_t *t);

/* A new, empty top-level scope; everything lives in arena a. */
nidl_tpl_data_t *nidl__tpl_data(nidl_arena_t *a);
/* Set a value (copied). */
void nidl__tpl_set(nidl_tpl_data_t *d, const char *key, const char *value);
void nidl__tpl_setf(nidl_tpl_data_t *d, const char *key, const char *fmt, ...)
    NIDL_PRINTF(3, 4);
/* Make sure a list exists (it may stay empty). */
void nidl__tpl_list(nidl_tpl_data_t *d, const char *list);
/* Append an item to a list (created if needed); returns the item's scope. */
nidl_tpl_data_t *nidl__tpl_add(nidl_tpl_data_t *d, const char *list);

/*
 * Render t with data d into out. Fails (returning a message in *err, which
 * the caller frees) only when the data does not match the schema, which is
 * a bug in emit.c.
 */
bool nidl__tpl_render(const nidl_tpl_t *t, nidl_tpl_data_t *d, nidl_buf_t *out, char **err);

#endif /* NIDL_TEMPLATE_H */
