/*
 * parser.y: the grammar of .nidl files (NIDL.md, "Declarations").
 *
 * A pure, reentrant parser: all state is in nidl_parser_t, passed with
 * %param to the parser and the scanner. Actions are one-line calls to the
 * ast_* builders; whole-file rules are checked later by sema.c.
 *
 * Error recovery: an `error` token at the level of declarations, fields,
 * topic and service properties and enum bodies resynchronises on ';' or '}', so one
 * typo does not hide the errors after it.
 */

%require "3.8"
%define api.pure full
%define api.prefix {nidl_yy}
%define api.location.type {nidl_loc_t}
%define parse.error detailed
%define parse.lac full
%locations
%param {yyscan_t scanner} {nidl_parser_t *p}
%expect 0

%code requires {
#include "ast.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
}

%code provides {
#define YY_DECL int nidl_yylex(NIDL_YYSTYPE *yylval_param, NIDL_YYLTYPE *yylloc_param, \
                               yyscan_t yyscanner, nidl_parser_t *p)
YY_DECL;
void nidl_yyerror(NIDL_YYLTYPE *loc, yyscan_t scanner, nidl_parser_t *p, const char *msg);
}

%code {
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* A location spans its first and last symbols; an empty rule sits at the
 * end of the previous symbol. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                            \
    do {                                                                       \
        if (n) {                                                               \
            (cur).file = YYRHSLOC(rhs, 1).file;                                \
            (cur).start = YYRHSLOC(rhs, 1).start;                              \
            (cur).end = YYRHSLOC(rhs, n).end;                                  \
        } else {                                                               \
            (cur).file = YYRHSLOC(rhs, 0).file;                                \
            (cur).start = (cur).end = YYRHSLOC(rhs, 0).end;                    \
        }                                                                      \
    } while (0)

/* The parse stack holds at most this many symbols; deeper input (100000
 * nested parentheses, say) ends with "nested too deeply", not a crash. */
#define YYMAXDEPTH 10000

/* The parse stack grows through the compiler's allocator, so running out
 * of memory is reported as that, not as "nested too deeply". */
#define YYMALLOC nidl__xmalloc
#define YYFREE free
}

%union {
    ast_ident_t *ident;
    ast_name_t *name;
    ast_expr_t *expr;
    ast_type_t *type;
    ast_field_t *field;
    ast_item_t *item;
    ast_prop_t *prop;
    nidl_vec_t list;
    nidl_prim_t prim;
    bool flag;
}

/* Nodes are owned by the context's arena, so a node dropped during error
 * recovery needs no freeing; only the heap vectors of lists do. */
%destructor { (void)$$; } <ident> <name> <expr> <type> <field> <item> <prop>
%destructor { nidl__vec_free(&$$); } <list>

%token END 0 "end of file"
%token <ident> IDENT "identifier"
%token <expr> INTEGER "integer literal"
%token <expr> FLOAT "float literal"
%token <expr> STRING "string literal"
%token INVALID "invalid character"
%token PACKAGE "'package'"
%token IMPORT "'import'"
%token CONST "'const'"
%token ENUM "'enum'"
%token STRUCT "'struct'"
%token MESSAGE "'message'"
%token TOPIC "'topic'"
%token SERVICE "'service'"
%token BOOL "'bool'"
%token INT8 "'int8'"
%token INT16 "'int16'"
%token INT32 "'int32'"
%token INT64 "'int64'"
%token UINT8 "'uint8'"
%token UINT16 "'uint16'"
%token UINT32 "'uint32'"
%token UINT64 "'uint64'"
%token FLOAT32 "'float32'"
%token FLOAT64 "'float64'"
%token CHAR "'char'"
%token BYTE "'byte'"
%token STRING_KW "'string'"
%token BYTES "'bytes'"
%token SEQUENCE "'sequence'"
%token TRUE "'true'"
%token FALSE "'false'"
%token SHL "'<<'"
%token SHR "'>>'"
%token ARROW "'->'"

%type <name> qname
%type <list> ident_list fields dims enum_items props
%type <expr> expr value default
%type <type> type opt_base
%type <prim> prim_type
%type <field> field
%type <item> enum_item
%type <prop> prop
%type <flag> struct_kw

/* C's precedence and associativity. */
%left '|'
%left '^'
%left '&'
%left SHL SHR
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY

%%

file
    : %empty
    | file item
    ;

item
    : PACKAGE qname ';'                 { ast_package(p, $2, &@$); }
    | IMPORT STRING ';'                 { ast_import(p, $2, &@$); }
    | CONST type IDENT '=' value ';'    { ast_const(p, $2, $3, $5, &@$); }
    | ENUM IDENT opt_base '{' enum_items opt_comma '}'
                                        { ast_enum(p, $2, $3, &$5, &@$); }
    | ENUM IDENT opt_base '{' error '}' { ast_enum(p, $2, $3, NULL, &@$); }
    | struct_kw IDENT '{' fields '}'    { ast_struct(p, $1, $2, &$4, &@$); }
    | struct_kw IDENT '{' fields error '}'
                                        { ast_struct(p, $1, $2, &$4, &@$); }
    | TOPIC IDENT ':' qname ';'         { ast_topic(p, $2, $4, NULL, &@$); }
    | TOPIC IDENT ':' qname '{' props '}'
                                        { ast_topic(p, $2, $4, &$6, &@$); }
    | TOPIC IDENT ':' qname '{' props error '}'
                                        { ast_topic(p, $2, $4, &$6, &@$); }
    | SERVICE IDENT ':' type ARROW type ';'
                                        { ast_service(p, $2, $4, $6, NULL, &@$); }
    | SERVICE IDENT ':' type ARROW type '{' props '}'
                                        { ast_service(p, $2, $4, $6, &$8, &@$); }
    | SERVICE IDENT ':' type ARROW type '{' props error '}'
                                        { ast_service(p, $2, $4, $6, &$8, &@$); }
    | ';'                               { ast_stray_semicolon(p, &@1); }
    | error ';'
    | error '}'
    ;

struct_kw
    : STRUCT                            { $$ = false; }
    | MESSAGE                           { $$ = true; }
    ;

opt_base
    : %empty                            { $$ = NULL; }
    | ':' type                          { $$ = $2; }
    ;

enum_items
    : enum_item                         { $$ = (nidl_vec_t){0}; nidl__vec_push(&$$, $1); }
    | enum_items ',' enum_item          { $$ = $1; nidl__vec_push(&$$, $3); }
    ;

enum_item
    : IDENT                             { $$ = ast_item(p, $1, NULL, &@$); }
    | IDENT '=' expr                    { $$ = ast_item(p, $1, $3, &@$); }
    ;

opt_comma
    : %empty
    | ','
    ;

fields
    : %empty                            { $$ = (nidl_vec_t){0}; }
    | fields field                      { $$ = $1; if ($2) nidl__vec_push(&$$, $2); }
    ;

field
    : type IDENT dims default ';'       { $$ = ast_field(p, $1, $2, &$3, $4, &@$); }
    | error ';'                         { $$ = NULL; }
    ;

dims
    : %empty                            { $$ = (nidl_vec_t){0}; }
    | dims '[' expr ']'                 { $$ = $1; nidl__vec_push(&$$, $3); }
    ;

default
    : %empty                            { $$ = NULL; }
    | '=' value                         { $$ = $2; }
    ;

props
    : %empty                            { $$ = (nidl_vec_t){0}; }
    | props prop                        { $$ = $1; if ($2) nidl__vec_push(&$$, $2); }
    ;

prop
    : IDENT '=' value ';'               { $$ = ast_prop(p, $1, $3, &@$); }
    | error ';'                         { $$ = NULL; }
    ;

type
    : prim_type                         { $$ = ast_type_prim(p, $1, &@$); }
    | STRING_KW '<' expr '>'            { $$ = ast_type_bounded(p, TY_STRING, NULL, $3, &@$); }
    | BYTES '<' expr '>'                { $$ = ast_type_bounded(p, TY_BYTES, NULL, $3, &@$); }
    | SEQUENCE '<' type ',' expr '>'    { $$ = ast_type_bounded(p, TY_SEQ, $3, $5, &@$); }
    | qname                             { $$ = ast_type_named(p, $1); }
    ;

prim_type
    : BOOL                              { $$ = NIDL_PRIM_BOOL; }
    | INT8                              { $$ = NIDL_PRIM_INT8; }
    | INT16                             { $$ = NIDL_PRIM_INT16; }
    | INT32                             { $$ = NIDL_PRIM_INT32; }
    | INT64                             { $$ = NIDL_PRIM_INT64; }
    | UINT8                             { $$ = NIDL_PRIM_UINT8; }
    | UINT16                            { $$ = NIDL_PRIM_UINT16; }
    | UINT32                            { $$ = NIDL_PRIM_UINT32; }
    | UINT64                            { $$ = NIDL_PRIM_UINT64; }
    | FLOAT32                           { $$ = NIDL_PRIM_FLOAT32; }
    | FLOAT64                           { $$ = NIDL_PRIM_FLOAT64; }
    | CHAR                              { $$ = NIDL_PRIM_CHAR; }
    | BYTE                              { $$ = NIDL_PRIM_BYTE; }
    ;

qname
    : ident_list                        { $$ = ast_name(p, &$1, &@$); }
    ;

ident_list
    : IDENT                             { $$ = (nidl_vec_t){0}; nidl__vec_push(&$$, $1); }
    | ident_list '.' IDENT              { $$ = $1; nidl__vec_push(&$$, $3); }
    ;

value
    : expr
    | STRING
    ;

expr
    : INTEGER
    | FLOAT
    | TRUE                              { $$ = ast_expr_bool(p, true, &@$); }
    | FALSE                             { $$ = ast_expr_bool(p, false, &@$); }
    | qname                             { $$ = ast_expr_name(p, $1); }
    | '(' expr ')'                      { $$ = ast_expr_paren(p, $2, &@$); }
    | '-' expr %prec UNARY              { $$ = ast_expr_unary(p, EX_NEG, $2, &@$, &@1); }
    | '+' expr %prec UNARY              { $$ = ast_expr_unary(p, EX_PLUS, $2, &@$, &@1); }
    | '~' expr %prec UNARY              { $$ = ast_expr_unary(p, EX_NOT, $2, &@$, &@1); }
    | expr '+' expr                     { $$ = ast_expr_binary(p, EX_ADD, $1, $3, &@$, &@2); }
    | expr '-' expr                     { $$ = ast_expr_binary(p, EX_SUB, $1, $3, &@$, &@2); }
    | expr '*' expr                     { $$ = ast_expr_binary(p, EX_MUL, $1, $3, &@$, &@2); }
    | expr '/' expr                     { $$ = ast_expr_binary(p, EX_DIV, $1, $3, &@$, &@2); }
    | expr '%' expr                     { $$ = ast_expr_binary(p, EX_MOD, $1, $3, &@$, &@2); }
    | expr SHL expr                     { $$ = ast_expr_binary(p, EX_SHL, $1, $3, &@$, &@2); }
    | expr SHR expr                     { $$ = ast_expr_binary(p, EX_SHR, $1, $3, &@$, &@2); }
    | expr '&' expr                     { $$ = ast_expr_binary(p, EX_AND, $1, $3, &@$, &@2); }
    | expr '|' expr                     { $$ = ast_expr_binary(p, EX_OR, $1, $3, &@$, &@2); }
    | expr '^' expr                     { $$ = ast_expr_binary(p, EX_XOR, $1, $3, &@$, &@2); }
    ;

%%

/* Keywords that start a declaration, for "did you mean" after a typo. */
static const char *const decl_keywords[] = {
    "package", "import", "const", "enum", "struct", "message", "topic", "service",
};
static const char *const type_keywords[] = {"string", "bytes", "sequence"};

static const char *keyword_like(const char *text, const char *const *kw, size_t n)
{
    if (text == NULL || strlen(text) < 3)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (nidl__edit_distance(text, kw[i], 2) <= 2)
            return kw[i];
    }
    return NULL;
}

void nidl_yyerror(NIDL_YYLTYPE *loc, yyscan_t scanner, nidl_parser_t *p, const char *msg)
{
    (void)scanner;
    p->file->syntax_errors = true;
    if (p->invalid_msg[0] != '\0' && p->tok[0] == INVALID) {
        /* The scanner described the stray byte better than bison can. */
        nidl_diag(p->ctx, NIDL_ERROR, loc, "%s", p->invalid_msg);
        return;
    }
    if (strcmp(msg, "memory exhausted") == 0) {
        nidl_diag(p->ctx, NIDL_ERROR, loc, "input is nested too deeply");
        return;
    }
    /* A missing ';' is noticed at the first token of the next line; point
     * at the end of the line that lacks it, as C compilers do. */
    nidl_loc_t at = *loc;
    const char *expecting = strstr(msg, "expecting");
    if (expecting != NULL && strstr(expecting, "';'") != NULL && p->tok[1] != 0) {
        uint32_t l0, l1, col;
        nidl__line_col(p->ctx, loc->file, loc->start, &l0, &col);
        nidl__line_col(p->ctx, p->tok_loc[1].file, p->tok_loc[1].start, &l1, &col);
        if (l0 > l1)
            at.start = at.end = p->tok_loc[1].end;
    }
    /* "strcut Zone {": the typo is the unexpected identifier itself;
     * "strng<15> name": the typo is the identifier before the '<'. */
    const char *hint = NULL;
    if (p->tok[0] == IDENT)
        hint = keyword_like(p->tok_text[0], decl_keywords, NIDL_ARRAY_SIZE(decl_keywords));
    else if (p->tok[0] == '<' && p->tok[1] == IDENT)
        hint = keyword_like(p->tok_text[1], type_keywords, NIDL_ARRAY_SIZE(type_keywords));
    if (hint != NULL)
        nidl_diag(p->ctx, NIDL_ERROR, &at, "%s; did you mean '%s'?", msg, hint);
    else
        nidl_diag(p->ctx, NIDL_ERROR, &at, "%s", msg);
}

const char *nidl__token_name(int tok)
{
    return yysymbol_name(YYTRANSLATE(tok));
}
