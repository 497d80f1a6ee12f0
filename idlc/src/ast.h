/*
 * ast.h: the syntax tree of a .nidl file, and the facts sema and layout
 * attach to it.
 *
 * Nodes and their strings live in the context's arena and are freed with
 * it, so the parser can drop a half-built node during error recovery
 * without freeing anything. Lists that grow while parsing are heap vectors
 * (nidl_vec_t) until a builder copies them into the arena.
 *
 * Builders (ast_*) are called from the grammar actions and do no checking
 * beyond what the grammar knows; sema.c checks the file as a whole.
 */
#ifndef NIDL_AST_H
#define NIDL_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "util.h"

/* Most fixed array dimensions of a field (nx_field_desc_t.dims). */
#define NIDL_MAX_DIMS 4

/* Primitive types, numbered like nx_kind_t so emit.c can rely on it. */
typedef enum nidl_prim {
    NIDL_PRIM_NONE = 0,
    NIDL_PRIM_BOOL,
    NIDL_PRIM_INT8,
    NIDL_PRIM_INT16,
    NIDL_PRIM_INT32,
    NIDL_PRIM_INT64,
    NIDL_PRIM_UINT8,
    NIDL_PRIM_UINT16,
    NIDL_PRIM_UINT32,
    NIDL_PRIM_UINT64,
    NIDL_PRIM_FLOAT32,
    NIDL_PRIM_FLOAT64,
    NIDL_PRIM_CHAR,
    NIDL_PRIM_BYTE,
    NIDL_PRIM_COUNT
} nidl_prim_t;

struct nidl_file;
struct ast_decl;
struct ast_item;

typedef struct ast_ident {
    const char *name; /* NUL-terminated; identifiers contain no NUL */
    size_t len;
    nidl_loc_t loc;
} ast_ident_t;

/* A dotted name: `Name` or `pkg.path.Name`. */
typedef struct ast_name {
    ast_ident_t **parts;
    size_t nparts;
    char *text; /* "pkg.path.Name" */
    nidl_loc_t loc;
} ast_name_t;

typedef enum ast_expr_kind {
    EX_INT,
    EX_FLOAT,
    EX_BOOL,
    EX_STRING, /* only as a value, never inside an operator */
    EX_NAME,
    EX_NEG,
    EX_PLUS,
    EX_NOT,
    EX_ADD,
    EX_SUB,
    EX_MUL,
    EX_DIV,
    EX_MOD,
    EX_SHL,
    EX_SHR,
    EX_AND,
    EX_OR,
    EX_XOR
} ast_expr_kind_t;

typedef struct ast_expr {
    ast_expr_kind_t kind;
    nidl_loc_t loc;
    nidl_loc_t op_loc; /* the operator, for binary and unary nodes */
    uint32_t depth;    /* 1 for a leaf; bounds the recursion of eval */
    bool bad;          /* a literal already reported as malformed */
    uint64_t ival;     /* EX_INT */
    double fval;       /* EX_FLOAT */
    bool bval;         /* EX_BOOL */
    const char *sval;  /* EX_STRING: bytes (no NUL inside), NUL-terminated */
    size_t slen;
    ast_name_t *name; /* EX_NAME */
    struct ast_expr *lhs, *rhs;
} ast_expr_t;

/* A value after evaluation. */
typedef enum nidl_value_kind {
    VAL_NONE, /* not evaluated, or in error */
    VAL_INT,
    VAL_FLOAT,
    VAL_BOOL,
    VAL_STRING,
    VAL_ITEM /* an enum item */
} nidl_value_kind_t;

typedef struct nidl_value {
    nidl_value_kind_t kind;
    bool neg;      /* VAL_INT: sign */
    uint64_t mag;  /* VAL_INT: magnitude */
    double f;      /* VAL_FLOAT */
    bool b;        /* VAL_BOOL */
    const char *s; /* VAL_STRING */
    size_t slen;
    struct ast_item *item; /* VAL_ITEM */
} nidl_value_t;

typedef enum ast_type_kind {
    TY_PRIM,
    TY_STRING,
    TY_BYTES,
    TY_SEQ,
    TY_NAMED
} ast_type_kind_t;

/* What a type resolved to. */
typedef enum nidl_rkind {
    RK_NONE, /* unresolved or in error */
    RK_PRIM,
    RK_ENUM,
    RK_STRING,
    RK_BYTES,
    RK_SEQ,
    RK_STRUCT
} nidl_rkind_t;

typedef struct ast_type {
    ast_type_kind_t kind;
    nidl_loc_t loc;
    uint32_t depth;         /* nesting of sequence element types */
    nidl_prim_t prim;       /* TY_PRIM */
    ast_expr_t *bound_expr; /* TY_STRING, TY_BYTES, TY_SEQ */
    struct ast_type *elem;  /* TY_SEQ */
    ast_name_t *name;       /* TY_NAMED */
    /* Set by sema and layout. */
    nidl_rkind_t rkind;
    struct ast_decl *decl; /* RK_ENUM, RK_STRUCT */
    uint32_t bound;        /* string/bytes/sequence N */
    uint32_t size;         /* bytes of one value */
    uint32_t align;
    uint32_t items_offset; /* RK_SEQ: offset of items in the wrapper */
    uint32_t tail_pad;     /* RK_BYTES/RK_SEQ: tail padding of the wrapper */
} ast_type_t;

typedef struct ast_field {
    ast_type_t *type;
    ast_ident_t *name;
    ast_expr_t **dims;
    size_t ndims;
    ast_expr_t *def; /* default value, or NULL */
    nidl_loc_t loc;
    const char *doc; /* doc comment or NULL */
    /* Set by sema and layout. */
    bool ok;
    uint32_t dimv[NIDL_MAX_DIMS];
    uint32_t offset, size, align;
    nidl_value_t defv; /* the default, VAL_NONE if zero-initialized */
} ast_field_t;

typedef struct ast_item {
    ast_ident_t *name;
    ast_expr_t *value; /* NULL: previous + 1 */
    nidl_loc_t loc;
    const char *doc;
    bool ok;
    bool neg;
    uint64_t mag;
} ast_item_t;

typedef struct ast_prop {
    ast_ident_t *name;
    ast_expr_t *value;
    nidl_loc_t loc;
} ast_prop_t;

typedef struct ast_import {
    ast_expr_t *path; /* string literal */
    nidl_loc_t loc;
    struct nidl_file *from;
    struct nidl_file *file; /* resolved, or NULL */
    bool used;
} ast_import_t;

typedef enum ast_decl_kind {
    DECL_CONST,
    DECL_ENUM,
    DECL_STRUCT,
    DECL_TOPIC,
    DECL_SERVICE
} ast_decl_kind_t;

typedef enum ast_state { ST_NEW, ST_OK, ST_BROKEN } ast_state_t;

typedef struct ast_decl {
    ast_decl_kind_t kind;
    bool is_message;
    ast_ident_t *name;
    nidl_loc_t loc;
    const char *doc;
    struct nidl_file *file;
    ast_type_t *type;   /* const type; enum base (NULL: int32) */
    ast_expr_t *value;  /* const value */
    ast_item_t **items; /* enum */
    size_t nitems;
    ast_field_t **fields; /* struct */
    size_t nfields;
    ast_name_t *msg_name; /* topic */
    ast_type_t *req_type; /* service: the request, as written */
    ast_type_t *rep_type; /* service: the reply, as written */
    ast_prop_t **props;   /* topic, service */
    size_t nprops;
    /* Set by sema, layout and fingerprint. */
    ast_state_t state;
    nidl_prim_t prim;  /* const type, enum base */
    nidl_value_t cval; /* const value */
    char *qname;       /* "pkg.path.Name" */
    uint32_t size, align;
    uint64_t fingerprint;
    bool needs_check;     /* validate has something to check */
    bool needs_init;      /* init has something to set beyond zero */
    struct ast_decl *msg; /* topic: the message */
    char *wire;           /* topic or service wire name */
    bool block;
    uint32_t block_ms;
    struct ast_decl *req; /* service: the request message */
    struct ast_decl *rep; /* service: the reply message */
    uint32_t timeout_ms;  /* service: the default call timeout */
} ast_decl_t;

/* A doc comment waiting for the token at `offset` to claim it. */
typedef struct ast_doc {
    uint32_t offset;
    nidl_loc_t loc;
    const char *text;
    bool taken;
} ast_doc_t;

typedef enum nidl_file_state { FILE_NEW, FILE_LOADING, FILE_DONE } nidl_file_state_t;

/* One file the context has read: a schema or a template. */
typedef struct nidl_file {
    uint32_t id; /* 1-based index in ctx->files */
    char *path;  /* as given or as found on the search path */
    char *dir;   /* directory part of path, "." if none */
    char *key;   /* identity: "dev:ino" or "virtual:path" */
    char *text;
    size_t len;
    uint32_t *lines; /* start offset of each line */
    size_t nlines;
    /* The last column computed (diag.c): 1-based line, offset, columns. */
    size_t col_cache_line;
    uint32_t col_cache_offset;
    uint32_t col_cache_col;
    bool is_schema;
    nidl_file_state_t state;
    bool failed;             /* errors here or in an import */
    bool syntax_errors;      /* parse errors: names may be missing */
    unsigned errors_at_load; /* the context's error count before parsing */
    /* Syntax tree. */
    ast_name_t *package;
    nidl_loc_t package_loc;
    const char *package_doc;
    nidl_vec_t imports; /* ast_import_t * */
    nidl_vec_t decls;   /* ast_decl_t *, in source order */
    nidl_vec_t docs;    /* ast_doc_t *, by offset */
    /* Set by sema. */
    char *pkg;    /* "vehicle.sensors" or "" */
    char *prefix; /* "vehicle_sensors_" or "" */
    char *base;   /* "sensors" */
    char *header_name;
    char *source_name;
    nidl_map_t names; /* declared name -> ast_decl_t * */
} nidl_file_t;

/* The parser's state, shared with the lexer (see parse.h). */
typedef struct nidl_parser nidl_parser_t;

/* ---- builders, called from parser.y ----------------------------------- */

ast_ident_t *ast_ident(nidl_parser_t *p, const char *text, size_t len,
                       const nidl_loc_t *loc);
ast_name_t *ast_name(nidl_parser_t *p, nidl_vec_t *parts, const nidl_loc_t *loc);
ast_expr_t *ast_expr_int(nidl_parser_t *p, uint64_t v, bool bad, const nidl_loc_t *loc);
ast_expr_t *ast_expr_float(nidl_parser_t *p, double v, bool bad, const nidl_loc_t *loc);
ast_expr_t *ast_expr_bool(nidl_parser_t *p, bool v, const nidl_loc_t *loc);
ast_expr_t *ast_expr_string(nidl_parser_t *p, const char *s, size_t len,
                            const nidl_loc_t *loc);
ast_expr_t *ast_expr_name(nidl_parser_t *p, ast_name_t *name);
ast_expr_t *ast_expr_unary(nidl_parser_t *p, ast_expr_kind_t kind, ast_expr_t *e,
                           const nidl_loc_t *loc, const nidl_loc_t *op);
ast_expr_t *ast_expr_binary(nidl_parser_t *p, ast_expr_kind_t kind, ast_expr_t *l,
                            ast_expr_t *r, const nidl_loc_t *loc, const nidl_loc_t *op);
ast_expr_t *ast_expr_paren(nidl_parser_t *p, ast_expr_t *e, const nidl_loc_t *loc);
ast_type_t *ast_type_prim(nidl_parser_t *p, nidl_prim_t prim, const nidl_loc_t *loc);
ast_type_t *ast_type_bounded(nidl_parser_t *p, ast_type_kind_t kind, ast_type_t *elem,
                             ast_expr_t *bound, const nidl_loc_t *loc);
ast_type_t *ast_type_named(nidl_parser_t *p, ast_name_t *name);
ast_field_t *ast_field(nidl_parser_t *p, ast_type_t *type, ast_ident_t *name,
                       nidl_vec_t *dims, ast_expr_t *def, const nidl_loc_t *loc);
ast_item_t *ast_item(nidl_parser_t *p, ast_ident_t *name, ast_expr_t *value,
                     const nidl_loc_t *loc);
ast_prop_t *ast_prop(nidl_parser_t *p, ast_ident_t *name, ast_expr_t *value,
                     const nidl_loc_t *loc);
void ast_package(nidl_parser_t *p, ast_name_t *name, const nidl_loc_t *loc);
void ast_import(nidl_parser_t *p, ast_expr_t *path, const nidl_loc_t *loc);
void ast_const(nidl_parser_t *p, ast_type_t *type, ast_ident_t *name, ast_expr_t *value,
               const nidl_loc_t *loc);
void ast_enum(nidl_parser_t *p, ast_ident_t *name, ast_type_t *base, nidl_vec_t *items,
              const nidl_loc_t *loc);
void ast_struct(nidl_parser_t *p, bool is_message, ast_ident_t *name, nidl_vec_t *fields,
                const nidl_loc_t *loc);
void ast_topic(nidl_parser_t *p, ast_ident_t *name, ast_name_t *type, nidl_vec_t *props,
               const nidl_loc_t *loc);
void ast_service(nidl_parser_t *p, ast_ident_t *name, ast_type_t *req, ast_type_t *rep,
                 nidl_vec_t *props, const nidl_loc_t *loc);
/* A ';' where a declaration should start (after a '}', C habit). */
void ast_stray_semicolon(nidl_parser_t *p, const nidl_loc_t *loc);

/* Claim the doc comment that precedes the token starting at offset. */
const char *ast_take_doc(nidl_parser_t *p, uint32_t offset);

#endif /* NIDL_AST_H */
