/*
 * diag.h: source locations and diagnostics.
 *
 * A location is a file id and a range of byte offsets; line and column are
 * only computed when a diagnostic is printed, from the file's line table
 * (as jq's locfile.c does), so the lexer just counts bytes.
 *
 * Every message of the compiler goes through nidl_diag() or nidl_warn():
 * they count errors, stop after the error limit, honour -W switches, and
 * format "file:line:col: level: message" plus the source line and a caret
 * for the sink. Deep code never prints.
 */
#ifndef NIDL_DIAG_H
#define NIDL_DIAG_H

#include <stdint.h>

#include "nidl/nidl.h"
#include "util.h"

/* A range [start, end) of bytes in file `file` (1-based id; 0: no file). */
typedef struct nidl_loc {
    uint32_t file;
    uint32_t start;
    uint32_t end;
} nidl_loc_t;

typedef enum nidl_level {
    NIDL_ERROR,
    NIDL_WARNING, /* use nidl_warn(), which names the switch */
    NIDL_NOTE     /* a related place; follows an error or warning */
} nidl_level_t;

/* Named warnings; the names (for -W) are in diag.c. */
typedef enum nidl_warning {
    NIDL_W_UNUSED_IMPORT,
    NIDL_W_DANGLING_DOC,
    NIDL_W_PADDING,
    NIDL_W_COUNT
} nidl_warning_t;

/*
 * Report a diagnostic at loc (NULL: no location, reported as coming from
 * the program itself). An error raises the context's status to at least
 * NIDL_ESCHEMA. A note is dropped when the message it belongs to was.
 */
void nidl_diag(nidl_ctx_t *ctx, nidl_level_t level, const nidl_loc_t *loc, const char *fmt,
               ...) NIDL_PRINTF(4, 5);

/* Report warning w if it is enabled (as an error under -Werror). */
void nidl_warn(nidl_ctx_t *ctx, nidl_warning_t w, const nidl_loc_t *loc, const char *fmt,
               ...) NIDL_PRINTF(4, 5);

/* Fill on[] with each warning's default state. */
void nidl__warning_defaults(bool *on);

/* Whether warning w is enabled, so callers can skip costly checks. */
bool nidl__warning_enabled(const nidl_ctx_t *ctx, nidl_warning_t w);

/* Whether the error limit was reached: stop doing work that only reports. */
bool nidl__diag_stopped(const nidl_ctx_t *ctx);

/* Raise the context status to at least s. */
void nidl__set_status(nidl_ctx_t *ctx, nidl_status_t s);

/* 1-based line and column of a byte offset (column in characters). */
void nidl__line_col(const nidl_ctx_t *ctx, uint32_t file, uint32_t offset, uint32_t *line,
                    uint32_t *col);

/* Build the line table of a file's text: offsets where lines start. */
uint32_t *nidl__line_table(const char *text, size_t len, size_t *nlines);

#endif /* NIDL_DIAG_H */
