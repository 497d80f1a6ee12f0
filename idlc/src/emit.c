/*
 * emit.c: from a checked schema to the generated header and source.
 *
 * Every decision about the generated C lives here: literals, the
 * declarators of nested types, padding members, what _init sets and what
 * _validate checks. Every generated name comes from the table of cnames.h
 * and reaches the templates as a placeholder of its own. The templates
 * (templates/c/, compiled in; see template.h) only arrange the values this
 * file computes. The schema of each template, below plus the table's
 * placeholders, lists every value it receives; templates/c/README.md
 * documents them.
 */
#include "emit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "cnames.h"
#include "layout.h"
#include "sema.h"
#include "template.h"

/* ---- template schemas ------------------------------------------------------------- */

#define KEY(name)                                                                          \
    {                                                                                      \
        name, NULL                                                                         \
    }
#define LIST(name, items)                                                                  \
    {                                                                                      \
        name, items                                                                        \
    }
#define END                                                                                \
    {                                                                                      \
        NULL, NULL                                                                         \
    }

static const nidl_tpl_key_t no_keys[] = {END};
static const nidl_tpl_key_t doc_line_keys[] = {KEY("text"), END};
static const nidl_tpl_key_t doc_keys[] = {LIST("lines", doc_line_keys), END};

/* header.h.in */
static const nidl_tpl_key_t h_import_keys[] = {KEY("header"), END};
static const nidl_tpl_key_t h_const_keys[] = {KEY("name"), KEY("where"),
                                              LIST("doc", doc_keys), KEY("value"), END};
static const nidl_tpl_key_t h_item_keys[] = {LIST("doc", doc_keys), KEY("gap"),
                                             KEY("value"), END};
static const nidl_tpl_key_t h_enum_keys[] = {KEY("name"),
                                             KEY("where"),
                                             LIST("doc", doc_keys),
                                             KEY("base_ctype"),
                                             LIST("items", h_item_keys),
                                             KEY("first_item"),
                                             END};
static const nidl_tpl_key_t h_member_keys[] = {LIST("doc", doc_keys), KEY("decl"),
                                               KEY("gap"), KEY("comment"), END};
static const nidl_tpl_key_t h_field_keys[] = {KEY("name"), KEY("offset"), END};
static const nidl_tpl_key_t h_struct_keys[] = {KEY("keyword"),
                                               KEY("name"),
                                               KEY("where"),
                                               LIST("doc", doc_keys),
                                               LIST("members", h_member_keys),
                                               KEY("size"),
                                               LIST("fields", h_field_keys),
                                               KEY("qname"),
                                               KEY("fingerprint"),
                                               END};
static const nidl_tpl_key_t h_topic_keys[] = {
    KEY("name"), KEY("wire"), KEY("msg_ctype"), KEY("where"), LIST("doc", doc_keys), END};
static const nidl_tpl_key_t h_service_keys[] = {
    KEY("name"),       KEY("wire"),  KEY("req_ctype"),      KEY("rep_ctype"),
    KEY("timeout_ms"), KEY("where"), LIST("doc", doc_keys), END};
static const nidl_tpl_key_t h_decl_keys[] = {
    LIST("const", h_const_keys),     LIST("enum", h_enum_keys),
    LIST("struct", h_struct_keys),   LIST("topic", h_topic_keys),
    LIST("service", h_service_keys), END};
static const nidl_tpl_key_t header_keys[] = {KEY("header_name"),
                                             KEY("version"),
                                             KEY("source_path"),
                                             LIST("file_doc", doc_keys),
                                             LIST("imports", h_import_keys),
                                             LIST("decls", h_decl_keys),
                                             END};

/* source.c.in */
static const nidl_tpl_key_t c_item_keys[] = {KEY("name"), END};
static const nidl_tpl_key_t c_enum_keys[] = {LIST("items", c_item_keys), END};
static const nidl_tpl_key_t c_line_keys[] = {KEY("line"), END};
static const nidl_tpl_key_t c_attr_keys[] = {KEY("attr"), KEY("value"), END};
static const nidl_tpl_key_t c_field_keys[] = {LIST("attrs", c_attr_keys), END};
static const nidl_tpl_key_t c_struct_keys[] = {LIST("init", c_line_keys),
                                               LIST("checks", c_line_keys),
                                               LIST("no_checks", no_keys),
                                               KEY("qname"),
                                               KEY("field_count"),
                                               LIST("fields", c_field_keys),
                                               END};
static const nidl_tpl_key_t c_topic_keys[] = {
    KEY("wire"), KEY("msg_ctype"), KEY("msg_desc"), KEY("on_full"), KEY("block_ms"), END};
static const nidl_tpl_key_t c_service_keys[] = {KEY("wire"),
                                                KEY("req_ctype"),
                                                KEY("rep_ctype"),
                                                KEY("req_desc"),
                                                KEY("rep_desc"),
                                                KEY("timeout_ms"),
                                                END};
static const nidl_tpl_key_t c_decl_keys[] = {
    LIST("enum", c_enum_keys), LIST("struct", c_struct_keys), LIST("topic", c_topic_keys),
    LIST("service", c_service_keys), END};
static const nidl_tpl_key_t source_keys[] = {KEY("source_name"),
                                             KEY("version"),
                                             KEY("source_path"),
                                             KEY("header_name"),
                                             LIST("zero_helper", no_keys),
                                             LIST("copy_helper", no_keys),
                                             LIST("string_helper", no_keys),
                                             LIST("bool_helper", no_keys),
                                             LIST("decls", c_decl_keys),
                                             END};

/* The keys above leave out the generated names: each template's schema
 * gets the placeholders of the rows of cnames.h that it uses, in the scope
 * of what the row is derived from (with_cnames()). */
static const struct {
    const char *file;
    const nidl_tpl_key_t *schema;
    unsigned in; /* NIDL_CN_H or NIDL_CN_C */
} templates[2] = {
    {"header.h.in", header_keys, NIDL_CN_H},
    {"source.c.in", source_keys, NIDL_CN_C},
};

#define NO_CNAMES (-1)

/* Which rows of cnames.h the items of a template list carry. */
static int list_cnames(int parent, const char *list)
{
    static const struct {
        const char *list;
        nidl_cname_of_t of;
    } scopes[] = {
        {"const", NIDL_CN_OF_CONST},     {"enum", NIDL_CN_OF_ENUM},
        {"struct", NIDL_CN_OF_STRUCT},   {"topic", NIDL_CN_OF_TOPIC},
        {"service", NIDL_CN_OF_SERVICE},
    };
    if (parent == NIDL_CN_OF_ENUM && strcmp(list, "items") == 0)
        return NIDL_CN_OF_ITEM;
    for (size_t i = 0; i < NIDL_ARRAY_SIZE(scopes); i++) {
        if (strcmp(list, scopes[i].list) == 0)
            return (int)scopes[i].of;
    }
    return NO_CNAMES;
}

/*
 * A copy of schema `keys` (a scope that carries the rows `of`, or
 * NO_CNAMES) with the placeholder of every row of cnames.h the template
 * `in` uses added to its scope, in the context's arena.
 */
static const nidl_tpl_key_t *with_cnames(nidl_arena_t *a, const nidl_tpl_key_t *keys,
                                         int of, unsigned in)
{
    size_t n = 0, extra = 0;
    while (keys[n].name != NULL)
        n++;
    for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
        const nidl_cname_rule_t *r = &nidl__cname_rules[i];
        if ((int)r->of == of && (r->in & in) != 0)
            extra++;
    }
    nidl_tpl_key_t *out = nidl__arena_alloc(a, (n + extra + 1) * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        out[i].name = keys[i].name;
        if (keys[i].items != NULL)
            out[i].items = with_cnames(a, keys[i].items, list_cnames(of, keys[i].name), in);
    }
    for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
        const nidl_cname_rule_t *r = &nidl__cname_rules[i];
        if ((int)r->of == of && (r->in & in) != 0)
            out[n++].name = r->key;
    }
    return out; /* the arena zeroes: the last key is {NULL, NULL} */
}

/* ---- templates ----------------------------------------------------------------------- */

void nidl__emit_abandon(nidl_ctx_t *ctx)
{
    nidl__arena_free(&ctx->gen_arena);
    for (size_t i = 0; i < 2; i++) {
        nidl__buf_free(&ctx->gen_out[i]);
        if (ctx->gen_tmp_made[i])
            unlink(ctx->gen_tmp[i]);
        ctx->gen_tmp_made[i] = false;
        free(ctx->gen_tmp[i]);
        ctx->gen_tmp[i] = NULL;
    }
}

void nidl__emit_free(nidl_ctx_t *ctx)
{
    nidl__emit_abandon(ctx);
    for (size_t i = 0; i < 2; i++) {
        nidl__tpl_free(ctx->tpl[i]);
        ctx->tpl[i] = NULL;
    }
}

static nidl_status_t load_templates(nidl_ctx_t *ctx)
{
    for (size_t i = 0; i < 2; i++) {
        if (ctx->tpl[i] != NULL)
            continue;
        nidl_file_t *f;
        if (ctx->template_dir != NULL) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", ctx->template_dir, templates[i].file);
            char *text, *key;
            size_t len;
            char why[NIDL_WHY_LEN];
            if (nidl__read_file(ctx, path, &text, &len, &key, why, sizeof why) != 0) {
                nidl_diag(ctx, NIDL_ERROR, NULL, "cannot read template '%s': %s", path,
                          why);
                nidl__set_status(ctx, NIDL_EIO);
                return NIDL_EIO;
            }
            f = nidl__file_add(ctx, path, key, text, len, false);
            free(key);
        } else {
            const nidl_builtin_t *b = NULL;
            for (size_t k = 0; k < nidl__builtin_template_count; k++) {
                if (strcmp(nidl__builtin_templates[k].name, templates[i].file) == 0)
                    b = &nidl__builtin_templates[k];
            }
            if (b == NULL) {
                nidl_diag(ctx, NIDL_ERROR, NULL, "no built-in template '%s'",
                          templates[i].file);
                nidl__set_status(ctx, NIDL_ETEMPLATE);
                return NIDL_ETEMPLATE;
            }
            char path[64], key[64];
            snprintf(path, sizeof path, "<built-in>/%s", b->name);
            snprintf(key, sizeof key, "builtin:%s", b->name);
            f = nidl__file_add(ctx, path, key, nidl__xstrndup(b->text, b->len), b->len,
                               false);
        }
        const nidl_tpl_key_t *schema =
            with_cnames(&ctx->arena, templates[i].schema, NIDL_CN_OF_FILE, templates[i].in);
        ctx->tpl[i] = nidl__tpl_parse(ctx, f, schema);
        if (ctx->tpl[i] == NULL) {
            nidl__set_status(ctx, NIDL_ETEMPLATE);
            return NIDL_ETEMPLATE;
        }
    }
    return NIDL_OK;
}

/* ---- spelling C ------------------------------------------------------------------------ */

typedef struct emitter {
    nidl_ctx_t *ctx;
    const nidl_file_t *f;
    nidl_arena_t *arena; /* the context's gen_arena: the data of one template */
    bool need_copy, need_string, need_bool;
} emitter_t;

static char *fmt(emitter_t *e, const char *f, ...) NIDL_PRINTF(2, 3);

static char *fmt(emitter_t *e, const char *f, ...)
{
    nidl_buf_t b = {0};
    va_list ap;
    va_start(ap, f);
    nidl__buf_vprintf(&b, f, ap);
    va_end(ap);
    char *s = nidl__arena_strndup(e->arena, nidl__buf_str(&b), b.len);
    nidl__buf_free(&b);
    return s;
}

/* Text that is safe inside a C block comment: no comment delimiters (a
 * nested "/" "*" would also trip -Wcomment), no control characters. */
static char *comment_text(emitter_t *e, const char *s, size_t len)
{
    nidl_buf_t b = {0};
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if ((unsigned char)c < 0x20 && c != '\t')
            c = '?';
        nidl__buf_putc(&b, c);
        if ((c == '*' && i + 1 < len && s[i + 1] == '/') ||
            (c == '/' && i + 1 < len && s[i + 1] == '*'))
            nidl__buf_putc(&b, ' ');
    }
    char *r = nidl__arena_strndup(e->arena, nidl__buf_str(&b), b.len);
    nidl__buf_free(&b);
    return r;
}

/* A C string literal's contents: quotes, backslashes and '?' (trigraphs)
 * escaped, every byte outside printable ASCII as a 3-digit octal escape
 * (which, unlike \x, cannot swallow the next character). */
static char *c_string(emitter_t *e, const char *s, size_t len)
{
    nidl_buf_t b = {0};
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '?')
            nidl__buf_printf(&b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            nidl__buf_printf(&b, "\\%03o", c);
        else
            nidl__buf_putc(&b, (char)c);
    }
    char *r = nidl__arena_strndup(e->arena, nidl__buf_str(&b), b.len);
    nidl__buf_free(&b);
    return r;
}

static bool reads_back(const char *buf, double v, bool f32)
{
    double back = strtod(buf, NULL);
    return f32 ? (float)back == (float)v : back == v;
}

/*
 * The shortest decimal that reads back as the same double (or float):
 * plain notation ("20.0", "-273.15") for ordinary magnitudes, exponent
 * notation ("1e+30") for the others.
 */
static void format_float(char *buf, size_t size, double v, bool f32)
{
    double mag = fabs(v);
    bool done = false;
    if (mag == 0.0 || (mag >= 1e-4 && mag < 1e15)) {
        for (int d = 0; d <= 20 && !done; d++) {
            snprintf(buf, size, "%.*f", d, v);
            done = reads_back(buf, v, f32);
        }
    }
    for (int p = 1; p <= 17 && !done; p++) {
        snprintf(buf, size, "%.*g", p, v);
        done = reads_back(buf, v, f32);
    }
    if (strpbrk(buf, ".e") == NULL)
        strncat(buf, ".0", size - strlen(buf) - 1);
}

/* A C literal of a primitive value, parenthesised if negative. */
static char *literal(emitter_t *e, nidl_prim_t prim, const nidl_value_t *v)
{
    char buf[64];
    switch (v->kind) {
    case VAL_BOOL:
        return fmt(e, "%s", v->b ? "true" : "false");
    case VAL_FLOAT:
        if (prim == NIDL_PRIM_FLOAT32) {
            format_float(buf, sizeof buf, (double)(float)v->f, true);
            return buf[0] == '-' ? fmt(e, "(%sf)", buf) : fmt(e, "%sf", buf);
        }
        format_float(buf, sizeof buf, v->f, false);
        return buf[0] == '-' ? fmt(e, "(%s)", buf) : fmt(e, "%s", buf);
    case VAL_INT:
        break;
    default:
        return fmt(e, "0");
    }
    unsigned long long m = v->mag;
    switch (prim) {
    case NIDL_PRIM_CHAR: {
        static const char esc[] = "\\'";
        if (m == '\n')
            return fmt(e, "'\\n'");
        if (m == '\t')
            return fmt(e, "'\\t'");
        if (m < 0x20 || m == 0x7f)
            return fmt(e, "'\\%03llo'", m);
        if (strchr(esc, (int)m) != NULL)
            return fmt(e, "'\\%c'", (char)m);
        return fmt(e, "'%c'", (char)m);
    }
    case NIDL_PRIM_INT64:
        if (v->neg && m == UINT64_C(1) << 63)
            return fmt(e, "(-INT64_C(9223372036854775807) - 1)");
        return v->neg ? fmt(e, "(-INT64_C(%llu))", m) : fmt(e, "INT64_C(%llu)", m);
    case NIDL_PRIM_UINT64:
        return fmt(e, "UINT64_C(%llu)", m);
    case NIDL_PRIM_INT8:
    case NIDL_PRIM_INT16:
    case NIDL_PRIM_INT32:
        if (v->neg && m == UINT64_C(1) << 31)
            return fmt(e, "(-2147483647 - 1)");
        return v->neg ? fmt(e, "(-%llu)", m) : fmt(e, "%llu", m);
    default: /* uint8, uint16, uint32, byte */
        return fmt(e, "%lluu", m);
    }
}

/* A generated name of declaration d (row id of cnames.h). */
static char *cname(emitter_t *e, nidl_cname_id_t id, const ast_decl_t *d)
{
    return nidl__cname(e->arena, id, d->file, d, NULL);
}

/* A generated name of the file (row id of cnames.h). */
static char *file_cname(emitter_t *e, nidl_cname_id_t id)
{
    return nidl__cname(e->arena, id, e->f, NULL, NULL);
}

/* The macro of an enum item: PKG_ENUM_ITEM. */
static char *item_macro(emitter_t *e, const ast_decl_t *en, const ast_item_t *it)
{
    return nidl__cname(e->arena, NIDL_CN_ITEM_MACRO, en->file, en, it);
}

/*
 * Set in scope x the placeholder of every row of kind `of` that template
 * `in` uses: d's names (d NULL: the file's), or item it's of enum d.
 */
static void set_cnames(emitter_t *e, nidl_tpl_data_t *x, nidl_cname_of_t of, unsigned in,
                       const ast_decl_t *d, const ast_item_t *it)
{
    for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
        const nidl_cname_rule_t *r = &nidl__cname_rules[i];
        if (r->of == of && (r->in & in) != 0)
            nidl__tpl_set(
                x, r->key,
                nidl__cname(e->arena, (nidl_cname_id_t)i, d ? d->file : e->f, d, it));
    }
}

/* A doc comment as a list of zero or one item, each with its lines. */
static void set_doc_list(emitter_t *e, nidl_tpl_data_t *d, const char *list,
                         const char *doc)
{
    nidl__tpl_list(d, list);
    if (doc == NULL)
        return;
    nidl_tpl_data_t *item = nidl__tpl_add(d, list);
    nidl__tpl_list(item, "lines");
    for (const char *s = doc;;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        nidl_tpl_data_t *line = nidl__tpl_add(item, "lines");
        if (len == 0)
            nidl__tpl_set(line, "text", "");
        else
            nidl__tpl_setf(line, "text", " %s", comment_text(e, s, len));
        if (nl == NULL)
            break;
        s = nl + 1;
    }
}

static void set_doc(emitter_t *e, nidl_tpl_data_t *d, const char *doc)
{
    set_doc_list(e, d, "doc", doc);
}

static char *where(emitter_t *e, const ast_decl_t *d)
{
    uint32_t line, col;
    nidl__line_col(e->ctx, d->name->loc.file, d->name->loc.start, &line, &col);
    return fmt(e, "%s:%" PRIu32, comment_text(e, e->f->path, strlen(e->f->path)), line);
}

/* ---- declarators ---------------------------------------------------------------------------- */

static void indent(nidl_buf_t *b, int n)
{
    nidl__buf_spaces(b, (size_t)n);
}

/*
 * The C type of a value of t, as a specifier and the suffix that follows
 * the declared name: string<15> is "char" and "[16]"; bytes and sequences
 * are anonymous structs written out over several lines, indented by ind.
 */
static void c_type(emitter_t *e, const ast_type_t *t, int ind, nidl_buf_t *spec,
                   nidl_buf_t *suffix)
{
    switch (t->rkind) {
    case RK_PRIM:
        nidl__buf_puts(spec, nidl__prim(t->prim)->ctype);
        break;
    case RK_ENUM:
        nidl__buf_puts(spec, cname(e, NIDL_CN_ENUM_TYPE, t->decl));
        break;
    case RK_STRUCT:
        nidl__buf_puts(spec, cname(e, NIDL_CN_STRUCT_TYPE, t->decl));
        break;
    case RK_STRING:
        nidl__buf_puts(spec, "char");
        nidl__buf_printf(suffix, "[%" PRIu32 "]", t->bound + 1);
        break;
    case RK_BYTES:
        nidl__buf_puts(spec, "struct {\n");
        indent(spec, ind + 4);
        nidl__buf_puts(spec, "uint32_t len;\n");
        indent(spec, ind + 4);
        nidl__buf_printf(spec, "uint8_t data[%" PRIu32 "];\n", t->bound);
        if (t->tail_pad > 0) {
            indent(spec, ind + 4);
            nidl__buf_printf(spec, "uint8_t pad_%" PRIu32 "_[%" PRIu32 "];\n",
                             t->size - t->tail_pad, t->tail_pad);
        }
        indent(spec, ind);
        nidl__buf_putc(spec, '}');
        break;
    case RK_SEQ: {
        nidl__buf_puts(spec, "struct {\n");
        indent(spec, ind + 4);
        nidl__buf_puts(spec, "uint32_t count;\n");
        if (t->items_offset > 4) {
            indent(spec, ind + 4);
            nidl__buf_printf(spec, "uint8_t pad_4_[%" PRIu32 "];\n", t->items_offset - 4);
        }
        nidl_buf_t es = {0}, ex = {0};
        c_type(e, t->elem, ind + 4, &es, &ex);
        indent(spec, ind + 4);
        nidl__buf_printf(spec, "%s items[%" PRIu32 "]%s;\n", nidl__buf_str(&es), t->bound,
                         nidl__buf_str(&ex));
        nidl__buf_free(&es);
        nidl__buf_free(&ex);
        if (t->tail_pad > 0) {
            indent(spec, ind + 4);
            nidl__buf_printf(spec, "uint8_t pad_%" PRIu32 "_[%" PRIu32 "];\n",
                             t->size - t->tail_pad, t->tail_pad);
        }
        indent(spec, ind);
        nidl__buf_putc(spec, '}');
        break;
    }
    case RK_NONE:
        break;
    }
}

static char *dims_text(emitter_t *e, const ast_field_t *f)
{
    nidl_buf_t b = {0};
    for (size_t i = 0; i < f->ndims; i++)
        nidl__buf_printf(&b, "[%" PRIu32 "]", f->dimv[i]);
    char *s = nidl__arena_strndup(e->arena, nidl__buf_str(&b), b.len);
    nidl__buf_free(&b);
    return s;
}

/* ---- the header ---------------------------------------------------------------------------- */

typedef struct member {
    const char *spec;       /* type specifier, maybe several lines */
    const char *declarator; /* name, dimensions, suffix */
    const char *doc;
    char *comment;
} member_t;

static size_t last_line_len(const char *s)
{
    const char *nl = strrchr(s, '\n');
    return strlen(nl ? nl + 1 : s);
}

static void add_members(emitter_t *e, nidl_tpl_data_t *sd, const ast_decl_t *d)
{
    nidl_vec_t members = {0};
    uint32_t offset = 0;
    for (size_t i = 0; i <= d->nfields; i++) {
        uint32_t at = i < d->nfields ? d->fields[i]->offset : d->size;
        if (at > offset) {
            member_t *m = nidl__arena_alloc(e->arena, sizeof *m);
            m->spec = "uint8_t";
            m->declarator = fmt(e, "pad_%" PRIu32 "_[%" PRIu32 "]", offset, at - offset);
            m->comment = fmt(e, "offset %" PRIu32 ", %spadding", offset,
                             i < d->nfields ? "" : "tail ");
            nidl__vec_push(&members, m);
        }
        if (i == d->nfields)
            break;
        const ast_field_t *f = d->fields[i];
        nidl_buf_t spec = {0}, suffix = {0};
        c_type(e, f->type, 4, &spec, &suffix);
        member_t *m = nidl__arena_alloc(e->arena, sizeof *m);
        m->spec = nidl__arena_strndup(e->arena, nidl__buf_str(&spec), spec.len);
        m->declarator =
            fmt(e, "%s%s%s", f->name->name, dims_text(e, f), nidl__buf_str(&suffix));
        m->doc = f->doc;
        m->comment = fmt(e, "offset %" PRIu32, f->offset);
        nidl__buf_free(&spec);
        nidl__buf_free(&suffix);
        nidl__vec_push(&members, m);
        offset = f->offset + f->size;
    }
    /* Line the names and the comments up in columns, as one would by hand;
     * the multi-line anonymous structs do not take part in the name column.
     * A one-line member is printed after the template's 4-space indent, the
     * last line of a multi-line one carries its own. */
    size_t spec_w = 0, decl_w = 0;
    for (size_t i = 0; i < members.len; i++) {
        member_t *m = members.items[i];
        if (strchr(m->spec, '\n') == NULL && strlen(m->spec) > spec_w)
            spec_w = strlen(m->spec);
    }
    nidl_vec_t decls = {0};
    for (size_t i = 0; i < members.len; i++) {
        member_t *m = members.items[i];
        bool multi = strchr(m->spec, '\n') != NULL;
        size_t pad = multi ? 1 : spec_w - strlen(m->spec) + 1;
        char *decl = fmt(e, "%s%*s%s", m->spec, (int)pad, "", m->declarator);
        nidl__vec_push(&decls, decl);
        size_t w = last_line_len(decl) + (multi ? 0 : 4);
        if (w > decl_w)
            decl_w = w;
    }
    nidl__tpl_list(sd, "members");
    for (size_t i = 0; i < members.len; i++) {
        member_t *m = members.items[i];
        const char *decl = decls.items[i];
        nidl_tpl_data_t *md = nidl__tpl_add(sd, "members");
        set_doc(e, md, m->doc);
        size_t w = last_line_len(decl) + (strchr(decl, '\n') ? 0 : 4);
        nidl__tpl_set(md, "decl", decl);
        nidl__tpl_setf(md, "gap", "%*s", (int)(decl_w - w + 1), "");
        nidl__tpl_set(md, "comment", m->comment);
    }
    nidl__vec_free(&decls);
    nidl__vec_free(&members);
}

static void header_decl(emitter_t *e, nidl_tpl_data_t *top, const ast_decl_t *d)
{
    nidl_tpl_data_t *dd = nidl__tpl_add(top, "decls");
    nidl__tpl_list(dd, "const");
    nidl__tpl_list(dd, "enum");
    nidl__tpl_list(dd, "struct");
    nidl__tpl_list(dd, "topic");
    nidl__tpl_list(dd, "service");
    switch (d->kind) {
    case DECL_CONST: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "const");
        nidl__tpl_set(x, "name", d->name->name);
        nidl__tpl_set(x, "where", where(e, d));
        set_doc(e, x, d->doc);
        set_cnames(e, x, NIDL_CN_OF_CONST, NIDL_CN_H, d, NULL);
        nidl__tpl_set(x, "value", literal(e, d->prim, &d->cval));
        break;
    }
    case DECL_ENUM: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "enum");
        nidl__tpl_set(x, "name", d->name->name);
        nidl__tpl_set(x, "where", where(e, d));
        set_doc(e, x, d->doc);
        nidl__tpl_set(x, "base_ctype", nidl__prim(d->prim)->ctype);
        set_cnames(e, x, NIDL_CN_OF_ENUM, NIDL_CN_H, d, NULL);
        nidl__tpl_set(x, "first_item", d->items[0]->name->name);
        size_t w = 0;
        for (size_t i = 0; i < d->nitems; i++) {
            size_t len = strlen(item_macro(e, d, d->items[i]));
            w = len > w ? len : w;
        }
        nidl__tpl_list(x, "items");
        for (size_t i = 0; i < d->nitems; i++) {
            const ast_item_t *it = d->items[i];
            nidl_tpl_data_t *y = nidl__tpl_add(x, "items");
            nidl_value_t v = {.kind = VAL_INT, .neg = it->neg, .mag = it->mag};
            char *macro = item_macro(e, d, it);
            set_doc(e, y, it->doc);
            set_cnames(e, y, NIDL_CN_OF_ITEM, NIDL_CN_H, d, it);
            nidl__tpl_setf(y, "gap", "%*s", (int)(w - strlen(macro) + 1), "");
            nidl__tpl_set(y, "value", literal(e, d->prim, &v));
        }
        break;
    }
    case DECL_STRUCT: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "struct");
        nidl__tpl_set(x, "keyword", d->is_message ? "message" : "struct");
        nidl__tpl_set(x, "name", d->name->name);
        nidl__tpl_set(x, "where", where(e, d));
        set_doc(e, x, d->doc);
        set_cnames(e, x, NIDL_CN_OF_STRUCT, NIDL_CN_H, d, NULL);
        add_members(e, x, d);
        nidl__tpl_setf(x, "size", "%" PRIu32, d->size);
        nidl__tpl_list(x, "fields");
        for (size_t i = 0; i < d->nfields; i++) {
            const ast_field_t *f = d->fields[i];
            nidl_tpl_data_t *y = nidl__tpl_add(x, "fields");
            nidl__tpl_set(y, "name", f->name->name);
            nidl__tpl_setf(y, "offset", "%" PRIu32, f->offset);
        }
        nidl__tpl_set(x, "qname", d->qname);
        nidl__tpl_setf(x, "fingerprint", "0x%016" PRIx64, d->fingerprint);
        break;
    }
    case DECL_TOPIC: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "topic");
        nidl__tpl_set(x, "name", d->name->name);
        nidl__tpl_set(x, "wire", comment_text(e, d->wire, strlen(d->wire)));
        nidl__tpl_set(x, "msg_ctype", cname(e, NIDL_CN_STRUCT_TYPE, d->msg));
        nidl__tpl_set(x, "where", where(e, d));
        set_doc(e, x, d->doc);
        set_cnames(e, x, NIDL_CN_OF_TOPIC, NIDL_CN_H, d, NULL);
        break;
    }
    case DECL_SERVICE: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "service");
        nidl__tpl_set(x, "name", d->name->name);
        nidl__tpl_set(x, "wire", comment_text(e, d->wire, strlen(d->wire)));
        nidl__tpl_set(x, "req_ctype", cname(e, NIDL_CN_STRUCT_TYPE, d->req));
        nidl__tpl_set(x, "rep_ctype", cname(e, NIDL_CN_STRUCT_TYPE, d->rep));
        nidl__tpl_setf(x, "timeout_ms", "%" PRIu32, d->timeout_ms);
        nidl__tpl_set(x, "where", where(e, d));
        set_doc(e, x, d->doc);
        set_cnames(e, x, NIDL_CN_OF_SERVICE, NIDL_CN_H, d, NULL);
        break;
    }
    }
}

static nidl_tpl_data_t *header_data(emitter_t *e)
{
    const nidl_file_t *f = e->f;
    nidl_tpl_data_t *top = nidl__tpl_data(e->arena);
    nidl__tpl_set(top, "header_name", f->header_name);
    nidl__tpl_set(top, "version", NIDL_VERSION);
    nidl__tpl_set(top, "source_path", comment_text(e, f->path, strlen(f->path)));
    /* The package's doc comment documents the whole file. */
    set_doc_list(e, top, "file_doc", f->package_doc);
    set_cnames(e, top, NIDL_CN_OF_FILE, NIDL_CN_H, NULL, NULL);
    nidl__tpl_list(top, "imports");
    for (size_t i = 0; i < f->imports.len; i++) {
        const ast_import_t *im = f->imports.items[i];
        nidl_tpl_data_t *x = nidl__tpl_add(top, "imports");
        nidl__tpl_set(x, "header", im->file->header_name); /* checked by sema */
    }
    nidl__tpl_list(top, "decls");
    for (size_t i = 0; i < f->decls.len; i++)
        header_decl(e, top, f->decls.items[i]);
    return top;
}

/* ---- the source ----------------------------------------------------------------------------- */

static void line(emitter_t *e, nidl_tpl_data_t *d, const char *list, int ind, const char *f,
                 ...) NIDL_PRINTF(5, 6);

static void line(emitter_t *e, nidl_tpl_data_t *d, const char *list, int ind, const char *f,
                 ...)
{
    nidl_buf_t b = {0};
    indent(&b, ind);
    va_list ap;
    va_start(ap, f);
    nidl__buf_vprintf(&b, f, ap);
    va_end(ap);
    nidl__tpl_set(nidl__tpl_add(d, list), "line", nidl__buf_str(&b));
    nidl__buf_free(&b);
    (void)e;
}

/* Open a loop per array dimension; returns the element's lvalue. */
static char *open_dims(emitter_t *e, nidl_tpl_data_t *d, const char *list,
                       const ast_field_t *f, const char *lv, int *ind, int *loop)
{
    char *cur = fmt(e, "%s", lv);
    for (size_t k = 0; k < f->ndims; k++) {
        int i = (*loop)++;
        line(e, d, list, *ind, "for (size_t i%d = 0; i%d < %" PRIu32 "u; i%d++) {", i, i,
             f->dimv[k], i);
        cur = fmt(e, "%s[i%d]", cur, i);
        *ind += 4;
    }
    return cur;
}

static void close_dims(emitter_t *e, nidl_tpl_data_t *d, const char *list,
                       const ast_field_t *f, int *ind)
{
    for (size_t k = 0; k < f->ndims; k++) {
        *ind -= 4;
        line(e, d, list, *ind, "}");
    }
}

/* _init: what zeroing does not give. */
static void init_lines(emitter_t *e, nidl_tpl_data_t *sd, const ast_decl_t *d)
{
    nidl__tpl_list(sd, "init");
    for (size_t i = 0; i < d->nfields; i++) {
        const ast_field_t *f = d->fields[i];
        const ast_type_t *t = f->type;
        bool nested = t->rkind == RK_STRUCT && t->decl->needs_init;
        if (!nested && nidl__value_is_zero(&f->defv))
            continue;
        int ind = 4, loop = 0;
        char *lv =
            open_dims(e, sd, "init", f, fmt(e, "msg->%s", f->name->name), &ind, &loop);
        if (nested) {
            line(e, sd, "init", ind, "%s(&%s);", cname(e, NIDL_CN_STRUCT_INIT, t->decl),
                 lv);
        } else if (f->defv.kind == VAL_STRING) {
            e->need_copy = true;
            line(e, sd, "init", ind, "%s(%s, \"%s\");", file_cname(e, NIDL_CN_COPY_STRING),
                 lv, c_string(e, f->defv.s, f->defv.slen));
        } else if (f->defv.kind == VAL_ITEM) {
            line(e, sd, "init", ind, "%s = %s;", lv, item_macro(e, t->decl, f->defv.item));
        } else {
            line(e, sd, "init", ind, "%s = %s;", lv, literal(e, t->prim, &f->defv));
        }
        close_dims(e, sd, "init", f, &ind);
    }
}

/* _validate: one check per value that can be wrong. */
static void check_value(emitter_t *e, nidl_tpl_data_t *sd, const ast_type_t *t,
                        const char *lv, int ind, int *loop)
{
    switch (t->rkind) {
    case RK_PRIM:
        if (t->prim != NIDL_PRIM_BOOL)
            return;
        e->need_bool = true;
        line(e, sd, "checks", ind, "if (!%s(&%s))", file_cname(e, NIDL_CN_BOOL_OK), lv);
        break;
    case RK_ENUM:
        line(e, sd, "checks", ind, "if (!%s(%s))", cname(e, NIDL_CN_ENUM_IS_VALID, t->decl),
             lv);
        break;
    case RK_STRING:
        e->need_string = true;
        line(e, sd, "checks", ind, "if (!%s(%s, %" PRIu32 "u))",
             file_cname(e, NIDL_CN_STRING_OK), lv, t->bound + 1);
        break;
    case RK_BYTES:
        line(e, sd, "checks", ind, "if (%s.len > %" PRIu32 "u)", lv, t->bound);
        break;
    case RK_SEQ:
        line(e, sd, "checks", ind, "if (%s.count > %" PRIu32 "u)", lv, t->bound);
        line(e, sd, "checks", ind + 4, "return NX_ECORRUPT;");
        if (nidl__type_needs_check(t->elem)) {
            int i = (*loop)++;
            line(e, sd, "checks", ind, "for (uint32_t i%d = 0; i%d < %s.count; i%d++) {", i,
                 i, lv, i);
            check_value(e, sd, t->elem, fmt(e, "%s.items[i%d]", lv, i), ind + 4, loop);
            line(e, sd, "checks", ind, "}");
        }
        return;
    case RK_STRUCT:
        if (!t->decl->needs_check)
            return;
        line(e, sd, "checks", ind, "if (%s(&%s) != NX_OK)",
             cname(e, NIDL_CN_STRUCT_VALIDATE, t->decl), lv);
        break;
    case RK_NONE:
        return;
    }
    line(e, sd, "checks", ind + 4, "return NX_ECORRUPT;");
}

static void check_lines(emitter_t *e, nidl_tpl_data_t *sd, const ast_decl_t *d)
{
    nidl__tpl_list(sd, "checks");
    nidl__tpl_list(sd, "no_checks");
    if (!d->needs_check) {
        nidl__tpl_add(sd, "no_checks");
        return;
    }
    for (size_t i = 0; i < d->nfields; i++) {
        const ast_field_t *f = d->fields[i];
        if (!nidl__type_needs_check(f->type))
            continue;
        int ind = 4, loop = 0;
        char *lv =
            open_dims(e, sd, "checks", f, fmt(e, "msg->%s", f->name->name), &ind, &loop);
        check_value(e, sd, f->type, lv, ind, &loop);
        close_dims(e, sd, "checks", f, &ind);
    }
}

static const char *kind_name(const ast_type_t *t)
{
    switch (t->rkind) {
    case RK_PRIM:
        return nidl__prim(t->prim)->kind;
    case RK_ENUM:
        return "NX_KIND_ENUM";
    case RK_STRING:
        return "NX_KIND_STRING";
    case RK_BYTES:
        return "NX_KIND_BYTES";
    case RK_SEQ:
        return "NX_KIND_SEQUENCE";
    case RK_STRUCT:
        return "NX_KIND_STRUCT";
    case RK_NONE:
        break;
    }
    return "0";
}

static void attr(emitter_t *e, nidl_tpl_data_t *fd, const char *name, const char *value)
{
    nidl_tpl_data_t *a = nidl__tpl_add(fd, "attrs");
    nidl__tpl_set(a, "attr", name);
    nidl__tpl_set(a, "value", value);
    (void)e;
}

static void field_desc(emitter_t *e, nidl_tpl_data_t *sd, const ast_field_t *f)
{
    const ast_type_t *t = f->type;
    nidl_tpl_data_t *fd = nidl__tpl_add(sd, "fields");
    nidl__tpl_list(fd, "attrs");
    attr(e, fd, "name", fmt(e, "\"%s\"", f->name->name));
    attr(e, fd, "kind", kind_name(t));
    const ast_type_t *inner = t->rkind == RK_SEQ ? t->elem : t;
    if (t->rkind == RK_SEQ)
        attr(e, fd, "elem_kind", kind_name(t->elem));
    if (inner->rkind == RK_ENUM)
        attr(e, fd, "enum_base", nidl__prim(inner->prim)->kind);
    attr(e, fd, "offset", fmt(e, "%" PRIu32 "u", f->offset));
    attr(e, fd, "size", fmt(e, "%" PRIu32 "u", f->size));
    if (t->rkind == RK_STRING || t->rkind == RK_BYTES || t->rkind == RK_SEQ)
        attr(e, fd, "bound", fmt(e, "%" PRIu32 "u", t->bound));
    if (f->ndims > 0) {
        attr(e, fd, "ndims", fmt(e, "%zuu", f->ndims));
        nidl_buf_t b = {0};
        for (size_t k = 0; k < f->ndims; k++)
            nidl__buf_printf(&b, "%s%" PRIu32 "u", k ? ", " : "", f->dimv[k]);
        attr(e, fd, "dims", fmt(e, "{%s}", nidl__buf_str(&b)));
        nidl__buf_free(&b);
    }
    if (inner->rkind == RK_STRUCT)
        attr(e, fd, "type", fmt(e, "&%s", cname(e, NIDL_CN_STRUCT_DESC, inner->decl)));
}

static void source_decl(emitter_t *e, nidl_tpl_data_t *top, const ast_decl_t *d)
{
    if (d->kind == DECL_CONST)
        return; /* a constant is only a macro in the header */
    nidl_tpl_data_t *dd = nidl__tpl_add(top, "decls");
    nidl__tpl_list(dd, "enum");
    nidl__tpl_list(dd, "struct");
    nidl__tpl_list(dd, "topic");
    nidl__tpl_list(dd, "service");
    switch (d->kind) {
    case DECL_ENUM: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "enum");
        set_cnames(e, x, NIDL_CN_OF_ENUM, NIDL_CN_C, d, NULL);
        nidl__tpl_list(x, "items");
        for (size_t i = 0; i < d->nitems; i++) {
            nidl_tpl_data_t *y = nidl__tpl_add(x, "items");
            set_cnames(e, y, NIDL_CN_OF_ITEM, NIDL_CN_C, d, d->items[i]);
            nidl__tpl_set(y, "name", d->items[i]->name->name);
        }
        break;
    }
    case DECL_STRUCT: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "struct");
        set_cnames(e, x, NIDL_CN_OF_STRUCT, NIDL_CN_C, d, NULL);
        init_lines(e, x, d);
        check_lines(e, x, d);
        nidl__tpl_set(x, "qname", c_string(e, d->qname, strlen(d->qname)));
        nidl__tpl_setf(x, "field_count", "%zuu", d->nfields);
        nidl__tpl_list(x, "fields");
        for (size_t i = 0; i < d->nfields; i++)
            field_desc(e, x, d->fields[i]);
        break;
    }
    case DECL_TOPIC: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "topic");
        set_cnames(e, x, NIDL_CN_OF_TOPIC, NIDL_CN_C, d, NULL);
        nidl__tpl_set(x, "wire", c_string(e, d->wire, strlen(d->wire)));
        nidl__tpl_set(x, "msg_ctype", cname(e, NIDL_CN_STRUCT_TYPE, d->msg));
        nidl__tpl_set(x, "msg_desc", cname(e, NIDL_CN_STRUCT_DESC, d->msg));
        nidl__tpl_set(x, "on_full", d->block ? "NX_ON_FULL_BLOCK" : "NX_ON_FULL_FAIL");
        nidl__tpl_setf(x, "block_ms", "%" PRIu32 "u", d->block_ms);
        break;
    }
    case DECL_SERVICE: {
        nidl_tpl_data_t *x = nidl__tpl_add(dd, "service");
        set_cnames(e, x, NIDL_CN_OF_SERVICE, NIDL_CN_C, d, NULL);
        nidl__tpl_set(x, "wire", c_string(e, d->wire, strlen(d->wire)));
        nidl__tpl_set(x, "req_ctype", cname(e, NIDL_CN_STRUCT_TYPE, d->req));
        nidl__tpl_set(x, "rep_ctype", cname(e, NIDL_CN_STRUCT_TYPE, d->rep));
        nidl__tpl_set(x, "req_desc", cname(e, NIDL_CN_STRUCT_DESC, d->req));
        nidl__tpl_set(x, "rep_desc", cname(e, NIDL_CN_STRUCT_DESC, d->rep));
        nidl__tpl_setf(x, "timeout_ms", "%" PRIu32 "u", d->timeout_ms);
        break;
    }
    case DECL_CONST:
        break;
    }
}

static nidl_tpl_data_t *source_data(emitter_t *e)
{
    const nidl_file_t *f = e->f;
    nidl_tpl_data_t *top = nidl__tpl_data(e->arena);
    nidl__tpl_set(top, "source_name", f->source_name);
    nidl__tpl_set(top, "version", NIDL_VERSION);
    nidl__tpl_set(top, "source_path", comment_text(e, f->path, strlen(f->path)));
    nidl__tpl_set(top, "header_name", f->header_name);
    set_cnames(e, top, NIDL_CN_OF_FILE, NIDL_CN_C, NULL, NULL);
    nidl__tpl_list(top, "decls");
    bool any_struct = false;
    for (size_t i = 0; i < f->decls.len; i++) {
        const ast_decl_t *d = f->decls.items[i];
        any_struct = any_struct || d->kind == DECL_STRUCT;
        source_decl(e, top, d);
    }
    /* Each helper only where it is used, so none is an unused function. */
    const struct {
        const char *name;
        bool used;
    } helpers[] = {
        {"zero_helper", any_struct},
        {"copy_helper", e->need_copy},
        {"string_helper", e->need_string},
        {"bool_helper", e->need_bool},
    };
    for (size_t i = 0; i < NIDL_ARRAY_SIZE(helpers); i++) {
        nidl__tpl_list(top, helpers[i].name);
        if (helpers[i].used)
            nidl__tpl_add(top, helpers[i].name);
    }
    return top;
}

/* ---- generate ---------------------------------------------------------------------------- */

/*
 * Render one template: build its data in the context's gen_arena, render
 * it into ctx->gen_out[which], then free the data, so that only one
 * template's data is alive at a time.
 */
static bool render_one(emitter_t *e, size_t which)
{
    nidl_ctx_t *ctx = e->ctx;
    nidl_tpl_data_t *d = which == 0 ? header_data(e) : source_data(e);
    char *err = NULL;
    bool ok = nidl__tpl_render(ctx->tpl[which], d, &ctx->gen_out[which], &err);
    nidl__arena_free(&ctx->gen_arena);
    if (!ok) {
        nidl_diag(ctx, NIDL_ERROR, NULL, "internal error: rendering '%s': %s", e->f->path,
                  err);
        free(err);
    }
    return ok;
}

static nidl_status_t generate(nidl_ctx_t *ctx, const nidl_schema_t *schema,
                              nidl_output_t *out)
{
    if (schema == NULL || schema->failed || schema->state != FILE_DONE) {
        nidl_diag(ctx, NIDL_ERROR, NULL, "cannot generate code for a schema with errors");
        return NIDL_ESCHEMA;
    }
    nidl_status_t st = load_templates(ctx);
    if (st != NIDL_OK)
        return st;
    emitter_t e = {.ctx = ctx, .f = schema, .arena = &ctx->gen_arena};
    if (!render_one(&e, 0) || !render_one(&e, 1)) {
        nidl__emit_abandon(ctx);
        nidl__set_status(ctx, NIDL_ETEMPLATE);
        return NIDL_ETEMPLATE;
    }
    nidl__buf_put(&ctx->gen_out[0], "", 0); /* so that taking them cannot allocate */
    nidl__buf_put(&ctx->gen_out[1], "", 0);
    char *hname = nidl__xstrdup(schema->header_name);
    char *sname = nidl__malloc(strlen(schema->source_name) + 1);
    if (sname == NULL) {
        free(hname);
        nidl__oom();
    }
    strcpy(sname, schema->source_name);
    /* Nothing below allocates: the output owns everything or nothing. */
    out->header_name = hname;
    out->source_name = sname;
    out->header_len = ctx->gen_out[0].len;
    out->header = nidl__buf_take(&ctx->gen_out[0]);
    out->source_len = ctx->gen_out[1].len;
    out->source = nidl__buf_take(&ctx->gen_out[1]);
    return NIDL_OK;
}

nidl_status_t nidl_generate(nidl_ctx_t *ctx, const nidl_schema_t *schema,
                            nidl_output_t *out)
{
    memset(out, 0, sizeof *out);
    jmp_buf env;
    jmp_buf *prev;
    if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0) {
        nidl__guard_fail(ctx, prev);
        return NIDL_ENOMEM;
    }
    nidl_status_t st = generate(ctx, schema, out);
    nidl__oom_release(prev);
    return st;
}

void nidl_output_free(nidl_output_t *out)
{
    if (out == NULL)
        return;
    free(out->header_name);
    free(out->source_name);
    free(out->header);
    free(out->source);
    memset(out, 0, sizeof *out);
}

/* ---- writing files ---------------------------------------------------------------------- */

static char *join(nidl_arena_t *a, const char *dir, const char *name)
{
    if (dir[0] == '\0')
        return nidl__arena_strdup(a, name);
    return nidl__arena_printf(a, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                              name);
}

static void io_error(nidl_ctx_t *ctx, const char *what, const char *path, int err)
{
    nidl_diag(ctx, NIDL_ERROR, NULL, "cannot %s '%s': %s", what, path, strerror(err));
    nidl__set_status(ctx, NIDL_EIO);
}

/* Remove temporary file `slot` (if it exists) and forget its name. */
static void drop_temp(nidl_ctx_t *ctx, size_t slot)
{
    if (ctx->gen_tmp_made[slot])
        unlink(ctx->gen_tmp[slot]);
    ctx->gen_tmp_made[slot] = false;
    free(ctx->gen_tmp[slot]);
    ctx->gen_tmp[slot] = NULL;
}

/*
 * Write data to a new temporary file next to `path` (same directory, so
 * the rename is atomic), named in ctx->gen_tmp[slot]. Returns false after
 * reporting, with the file removed. The file is recorded in the context
 * from the moment it exists, so that an allocation failure anywhere after
 * removes it (nidl__emit_abandon). It is created with mode 0666 minus the
 * umask, like any file a compiler writes.
 */
static bool write_temp(nidl_ctx_t *ctx, size_t slot, const char *path, const char *data,
                       size_t len)
{
    size_t n = strlen(path) + 48;
    ctx->gen_tmp[slot] = nidl__xmalloc(n);
    char *tmp = ctx->gen_tmp[slot];
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, n, "%s.tmp.%ld.%u", path, (long)getpid(), ctx->tmp_counter++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        io_error(ctx, "create", tmp, errno);
        return false;
    }
    ctx->gen_tmp_made[slot] = true;
    size_t done = 0;
    int err = 0;
    while (done < len && err == 0) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno != EINTR)
            err = errno;
        else if (w > 0)
            done += (size_t)w;
    }
    if (close(fd) != 0 && err == 0)
        err = errno;
    if (err != 0) {
        unlink(tmp);
        ctx->gen_tmp_made[slot] = false;
        io_error(ctx, "write", tmp, err);
        return false;
    }
    return true;
}

/* Rename temporary file `slot` over `path`; false after reporting. */
static bool replace(nidl_ctx_t *ctx, size_t slot, const char *path)
{
    if (rename(ctx->gen_tmp[slot], path) != 0) {
        int err = errno;
        drop_temp(ctx, slot);
        io_error(ctx, "replace", path, err);
        return false;
    }
    ctx->gen_tmp_made[slot] = false; /* it is the target now */
    return true;
}

static nidl_status_t write_output(nidl_ctx_t *ctx, const nidl_output_t *out,
                                  const char *dir)
{
    char *hpath = join(&ctx->gen_arena, dir, out->header_name);
    char *cpath = join(&ctx->gen_arena, dir, out->source_name);
    nidl_status_t st = NIDL_EIO;
    if (write_temp(ctx, 0, hpath, out->header, out->header_len) &&
        write_temp(ctx, 1, cpath, out->source, out->source_len)) {
        /* Both are complete: only now replace the targets. */
        if (replace(ctx, 0, hpath) && replace(ctx, 1, cpath))
            st = NIDL_OK;
    }
    nidl__emit_abandon(ctx); /* the temporaries left, the paths */
    return st;
}

nidl_status_t nidl_write_output(nidl_ctx_t *ctx, const nidl_output_t *out, const char *dir)
{
    jmp_buf env;
    jmp_buf *prev;
    if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0) {
        nidl__guard_fail(ctx, prev);
        return NIDL_ENOMEM;
    }
    nidl_status_t st = write_output(ctx, out, dir);
    nidl__oom_release(prev);
    return st;
}

/* A path in a make rule: spaces, '#' and '$' escaped as make and ninja
 * read them. */
static void dep_path(nidl_buf_t *b, const char *p)
{
    for (; *p; p++) {
        if (*p == ' ' || *p == '#')
            nidl__buf_putc(b, '\\');
        else if (*p == '$')
            nidl__buf_putc(b, '$');
        nidl__buf_putc(b, *p);
    }
}

static nidl_status_t write_depfile(nidl_ctx_t *ctx, const char *path,
                                   const char *const *targets, size_t ntargets)
{
    nidl_buf_t *b = &ctx->gen_out[0];
    for (size_t i = 0; i < ntargets; i++) {
        if (i > 0)
            nidl__buf_putc(b, ' ');
        dep_path(b, targets[i]);
    }
    nidl__buf_putc(b, ':');
    for (size_t i = 0; i < ctx->files.len; i++) {
        const nidl_file_t *f = ctx->files.items[i];
        /* Only real files: not strings, virtual files or built-in templates. */
        if (strncmp(f->key, "string:", 7) == 0 || strncmp(f->key, "virtual:", 8) == 0 ||
            strncmp(f->key, "builtin:", 8) == 0)
            continue;
        nidl__buf_puts(b, " \\\n  ");
        dep_path(b, f->path);
    }
    nidl__buf_putc(b, '\n');
    nidl_status_t st = NIDL_EIO;
    if (write_temp(ctx, 0, path, nidl__buf_str(b), b->len) && replace(ctx, 0, path))
        st = NIDL_OK;
    nidl__emit_abandon(ctx);
    return st;
}

nidl_status_t nidl_write_depfile(nidl_ctx_t *ctx, const char *path,
                                 const char *const *targets, size_t ntargets)
{
    jmp_buf env;
    jmp_buf *prev;
    if (nidl__guard_enter(ctx, &env, &prev) || setjmp(env) != 0) {
        nidl__guard_fail(ctx, prev);
        return NIDL_ENOMEM;
    }
    nidl_status_t st = write_depfile(ctx, path, targets, ntargets);
    nidl__oom_release(prev);
    return st;
}
