/*
 * layout.h: sizes, alignments and offsets of the generated C types.
 *
 * One table describes the primitives. Every primitive is aligned to its
 * own size (natural alignment), and idlc writes every byte of padding as
 * an explicit member, so the C compiler never adds a hole of its own. That
 * makes the layout the same on every ABI idlc targets: LP64 (x86_64,
 * aarch64) and ILP32 (arm, i386). On i386, where the C compiler would
 * align int64 and double to 4 only, the explicit padding still places
 * them at the offsets idlc computed; only _Alignof of such a struct is
 * smaller there, which is why the generated code asserts sizes and
 * offsets but takes the alignment from the compiler.
 */
#ifndef NIDL_LAYOUT_H
#define NIDL_LAYOUT_H

#include "ast.h"

/* Largest size of any generated type: it must fit the uint32_t of the
 * descriptors, and stay below PTRDIFF_MAX on 32-bit targets. */
#define NIDL_MAX_TYPE_SIZE UINT32_C(0x7fffffff)

typedef struct nidl_prim_info {
    const char *name;  /* schema spelling, "uint8" */
    const char *ctype; /* C type, "uint8_t" */
    const char *kind;  /* nx_kind_t constant, "NX_KIND_UINT8" */
    uint32_t size;
    uint32_t align;
    bool is_int; /* int8..uint64 and byte */
    bool is_signed;
    bool is_float;
    uint64_t max;     /* largest value (integers) */
    uint64_t min_mag; /* magnitude of the smallest value (signed) */
} nidl_prim_info_t;

const nidl_prim_info_t *nidl__prim(nidl_prim_t prim);

/* Round n up to a multiple of align (a power of two). */
uint64_t nidl__align_up(uint64_t n, uint32_t align);

/*
 * Lay out a checked struct whose field types and dimensions are resolved:
 * sets each field's offset and the struct's size and alignment. Reports
 * an error and returns false if the struct is larger than
 * NIDL_MAX_TYPE_SIZE; with -Wpadding, reports the padding it inserts.
 */
bool nidl__layout_struct(nidl_ctx_t *ctx, ast_decl_t *d);

#endif /* NIDL_LAYOUT_H */
