/*
 * parse.h: state shared by the flex scanner (lexer.l) and the bison parser
 * (parser.y). Both are reentrant: everything lives in nidl_parser_t, which
 * the parser receives through %param and the scanner as its extra data.
 */
#ifndef NIDL_PARSE_H
#define NIDL_PARSE_H

#include "ast.h"
#include "ctx.h"

struct nidl_parser {
    nidl_ctx_t *ctx;
    nidl_file_t *file;
    uint32_t offset; /* bytes consumed by the scanner */
    /* Doc comment lines seen since the last token. */
    nidl_buf_t doc;
    bool doc_pending;
    nidl_loc_t doc_loc;
    /* Block comment being skipped. */
    nidl_loc_t comment_loc;
    /* Scratch for string literals. */
    nidl_buf_t str;
    /* The last two tokens, for error messages. */
    int tok[2]; /* tok[0] most recent */
    nidl_loc_t tok_loc[2];
    const char *tok_text[2]; /* identifier text, or NULL */
    /* The last token was INVALID: the message to print instead of bison's. */
    char invalid_msg[64];
};

/* Hand a token to the parser: claims a pending doc comment, records the
 * token for error messages, and ends the input once the error limit hit. */
int nidl__token(nidl_parser_t *p, int tok, const nidl_loc_t *loc, const char *text);

/* The name bison gives a token ("identifier", "'struct'", "';'"). */
const char *nidl__token_name(int tok);

/* Scan a registered file alone, calling fn for every token up to and
 * including the end (token 0). For the lexer's tests. */
typedef void (*nidl_token_fn)(void *user, int tok, const nidl_loc_t *loc);
void nidl__lex(nidl_ctx_t *ctx, nidl_file_t *file, nidl_token_fn fn, void *user);

#endif /* NIDL_PARSE_H */
