/* layout.c: see layout.h. */
#include "layout.h"

#include "ctx.h"

#define INT(name, ctype, kind, size, sgn, max, min)                                        \
    {                                                                                      \
        name, ctype, kind, size, size, true, sgn, false, max, min                          \
    }

static const nidl_prim_info_t prims[NIDL_PRIM_COUNT] = {
    [NIDL_PRIM_NONE] = {"?", "?", "?", 1, 1, false, false, false, 0, 0},
    [NIDL_PRIM_BOOL] = {"bool", "bool", "NX_KIND_BOOL", 1, 1, false, false, false, 1, 0},
    [NIDL_PRIM_INT8] =
        INT("int8", "int8_t", "NX_KIND_INT8", 1, true, INT8_MAX, UINT64_C(1) << 7),
    [NIDL_PRIM_INT16] =
        INT("int16", "int16_t", "NX_KIND_INT16", 2, true, INT16_MAX, UINT64_C(1) << 15),
    [NIDL_PRIM_INT32] =
        INT("int32", "int32_t", "NX_KIND_INT32", 4, true, INT32_MAX, UINT64_C(1) << 31),
    [NIDL_PRIM_INT64] =
        INT("int64", "int64_t", "NX_KIND_INT64", 8, true, INT64_MAX, UINT64_C(1) << 63),
    [NIDL_PRIM_UINT8] = INT("uint8", "uint8_t", "NX_KIND_UINT8", 1, false, UINT8_MAX, 0),
    [NIDL_PRIM_UINT16] =
        INT("uint16", "uint16_t", "NX_KIND_UINT16", 2, false, UINT16_MAX, 0),
    [NIDL_PRIM_UINT32] =
        INT("uint32", "uint32_t", "NX_KIND_UINT32", 4, false, UINT32_MAX, 0),
    [NIDL_PRIM_UINT64] =
        INT("uint64", "uint64_t", "NX_KIND_UINT64", 8, false, UINT64_MAX, 0),
    [NIDL_PRIM_FLOAT32] = {"float32", "float", "NX_KIND_FLOAT32", 4, 4, false, true, true,
                           0, 0},
    [NIDL_PRIM_FLOAT64] = {"float64", "double", "NX_KIND_FLOAT64", 8, 8, false, true, true,
                           0, 0},
    /* char holds text; its constants and defaults are ASCII (0..127), so
     * whether C's char is signed does not matter. */
    [NIDL_PRIM_CHAR] = {"char", "char", "NX_KIND_CHAR", 1, 1, false, false, false, 127, 0},
    [NIDL_PRIM_BYTE] = INT("byte", "uint8_t", "NX_KIND_BYTE", 1, false, UINT8_MAX, 0),
};

const nidl_prim_info_t *nidl__prim(nidl_prim_t prim)
{
    return &prims[prim < NIDL_PRIM_COUNT ? prim : NIDL_PRIM_NONE];
}

uint64_t nidl__align_up(uint64_t n, uint32_t align)
{
    return (n + align - 1) / align * align;
}

bool nidl__layout_struct(nidl_ctx_t *ctx, ast_decl_t *d)
{
    uint64_t offset = 0;
    uint32_t align = 1;
    for (size_t i = 0; i < d->nfields; i++) {
        ast_field_t *f = d->fields[i];
        uint64_t at = nidl__align_up(offset, f->align);
        if (at != offset)
            nidl_warn(ctx, NIDL_W_PADDING, &f->name->loc,
                      "%llu bytes of padding before field '%s'",
                      (unsigned long long)(at - offset), f->name->name);
        f->offset = (uint32_t)(at <= NIDL_MAX_TYPE_SIZE ? at : 0);
        offset = at + f->size;
        if (offset > NIDL_MAX_TYPE_SIZE)
            break;
        if (f->align > align)
            align = f->align;
    }
    uint64_t size = nidl__align_up(offset, align);
    if (size > NIDL_MAX_TYPE_SIZE) {
        nidl_diag(ctx, NIDL_ERROR, &d->name->loc, "'%s' is too large: more than %lu bytes",
                  d->name->name, (unsigned long)NIDL_MAX_TYPE_SIZE);
        return false;
    }
    if (size != offset)
        nidl_warn(ctx, NIDL_W_PADDING, &d->name->loc, "%llu bytes of tail padding in '%s'",
                  (unsigned long long)(size - offset), d->name->name);
    d->size = (uint32_t)size;
    d->align = align;
    return true;
}
