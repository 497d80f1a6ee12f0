/* fingerprint.c: see fingerprint.h. */
#include "fingerprint.h"

#include <inttypes.h>

#include "layout.h"

static void canon_type(const ast_type_t *t, nidl_buf_t *b)
{
    switch (t->rkind) {
    case RK_PRIM:
        nidl__buf_puts(b, nidl__prim(t->prim)->name);
        break;
    case RK_STRING:
        nidl__buf_printf(b, "string<%" PRIu32 ">", t->bound);
        break;
    case RK_BYTES:
        nidl__buf_printf(b, "bytes<%" PRIu32 ">", t->bound);
        break;
    case RK_SEQ:
        nidl__buf_puts(b, "sequence<");
        canon_type(t->elem, b);
        nidl__buf_printf(b, ",%" PRIu32 ">", t->bound);
        break;
    case RK_ENUM:
        nidl__buf_printf(b, "enum %s@%016" PRIx64, t->decl->qname, t->decl->fingerprint);
        break;
    case RK_STRUCT:
        nidl__buf_printf(b, "struct %s@%016" PRIx64, t->decl->qname, t->decl->fingerprint);
        break;
    case RK_NONE:
        nidl__buf_putc(b, '?');
        break;
    }
}

void nidl__canonical_form(const ast_decl_t *d, nidl_buf_t *b)
{
    nidl__buf_printf(b, "struct %s{", d->qname);
    for (size_t i = 0; i < d->nfields; i++) {
        const ast_field_t *f = d->fields[i];
        nidl__buf_printf(b, "%s:", f->name->name);
        canon_type(f->type, b);
        for (size_t k = 0; k < f->ndims; k++)
            nidl__buf_printf(b, "[%" PRIu32 "]", f->dimv[k]);
        nidl__buf_putc(b, ';');
    }
    nidl__buf_putc(b, '}');
}

/* An enum: "enum Q:base{A=0,B=1}", items in order. */
static void canon_enum(const ast_decl_t *e, nidl_buf_t *b)
{
    nidl__buf_printf(b, "enum %s:%s{", e->qname, nidl__prim(e->prim)->name);
    for (size_t i = 0; i < e->nitems; i++) {
        const ast_item_t *it = e->items[i];
        nidl__buf_printf(b, "%s%s=%s%" PRIu64, i ? "," : "", it->name->name,
                         it->neg ? "-" : "", it->mag);
    }
    nidl__buf_putc(b, '}');
}

void nidl__fingerprint(ast_decl_t *d)
{
    nidl_buf_t b = {0};
    if (d->kind == DECL_ENUM)
        canon_enum(d, &b);
    else
        nidl__canonical_form(d, &b);
    d->fingerprint = nidl__fnv1a(NIDL_FNV_BASIS, b.data, b.len);
    nidl__buf_free(&b);
}
