/*
 * fingerprint.h: the 64-bit fingerprint of a struct or message.
 *
 * The fingerprint is the FNV-1a 64 hash of the type's canonical form, a
 * text that spells the qualified name and, for each field in order, its
 * name and its type with bounds and dimensions as decimal numbers
 * (constants folded). A nested struct or an enum appears as its
 * qualified name and its own fingerprint (an enum's covers its underlying
 * type and every item's name and value), so the canonical form stays
 * linear in the schema size however deep types nest, while any change
 * inside the nested type still changes the outer fingerprint. Comments, doc comments, whitespace,
 * defaults and the file a type lives in are not part of it.
 *
 * The exact grammar is in docs/nidl-reference.md, "Fingerprints".
 */
#ifndef NIDL_FINGERPRINT_H
#define NIDL_FINGERPRINT_H

#include "ast.h"

/* Append the canonical form of a checked struct to b. */
void nidl__canonical_form(const ast_decl_t *d, nidl_buf_t *b);

/* Compute d->fingerprint of a checked struct or enum; nested structs and
 * enums must have theirs already. */
void nidl__fingerprint(ast_decl_t *d);

#endif /* NIDL_FINGERPRINT_H */
