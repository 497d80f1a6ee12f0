/* diag.c: diagnostics; see diag.h. */
#include "diag.h"

#include <stdio.h>
#include <string.h>

#include "ctx.h"

static const struct {
    const char *name;
    bool on_by_default;
} warnings[NIDL_W_COUNT] = {
    [NIDL_W_UNUSED_IMPORT] = {"unused-import", true},
    [NIDL_W_DANGLING_DOC] = {"dangling-doc", true},
    [NIDL_W_PADDING] = {"padding", false},
};

/* Source lines longer than this are not echoed (a 10 MB one-line file
 * would otherwise be copied into every message). */
#define MAX_ECHO_COLUMNS 256

const char *nidl_warning_name(size_t i, bool *on_by_default)
{
    if (i >= NIDL_W_COUNT)
        return NULL;
    if (on_by_default != NULL)
        *on_by_default = warnings[i].on_by_default;
    return warnings[i].name;
}

void nidl__warning_defaults(bool *on)
{
    for (size_t i = 0; i < NIDL_W_COUNT; i++)
        on[i] = warnings[i].on_by_default;
}

int nidl_ctx_set_warning(nidl_ctx_t *ctx, const char *name, bool enabled)
{
    if (strcmp(name, "error") == 0) {
        ctx->werror = enabled;
        return 0;
    }
    for (size_t i = 0; i < NIDL_W_COUNT; i++) {
        if (strcmp(name, warnings[i].name) == 0) {
            ctx->warn_on[i] = enabled;
            return 0;
        }
    }
    return -1;
}

bool nidl__warning_enabled(const nidl_ctx_t *ctx, nidl_warning_t w)
{
    return ctx->warn_on[w];
}

bool nidl__diag_stopped(const nidl_ctx_t *ctx)
{
    return ctx->stopped;
}

void nidl__set_status(nidl_ctx_t *ctx, nidl_status_t s)
{
    if (s > ctx->status)
        ctx->status = s;
}

uint32_t *nidl__line_table(const char *text, size_t len, size_t *nlines)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    uint32_t *lines = nidl__xmalloc(n * sizeof *lines);
    size_t k = 0;
    lines[k++] = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n')
            lines[k++] = (uint32_t)(i + 1);
    }
    *nlines = n;
    return lines;
}

/* Index of the line holding offset. */
static size_t line_index(const nidl_file_t *f, uint32_t offset)
{
    size_t lo = 0, hi = f->nlines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->lines[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Columns count characters, not bytes: a UTF-8 continuation byte adds
 * nothing, every other byte (a tab included) adds one.
 */
static uint32_t columns(const char *s, size_t n)
{
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

void nidl__line_col(const nidl_ctx_t *ctx, uint32_t file, uint32_t offset, uint32_t *line,
                    uint32_t *col)
{
    nidl_file_t *f = nidl__file_get(ctx, file);
    if (f == NULL) {
        *line = *col = 0;
        return;
    }
    if (offset > f->len)
        offset = (uint32_t)f->len;
    size_t li = line_index(f, offset);
    *line = (uint32_t)li + 1;
    /* Diagnostics mostly move forward through a file: continue counting
     * from the last position asked for when it is on the same line, so
     * many messages on one huge line stay linear. */
    uint32_t from = f->lines[li], base = 0;
    if (f->col_cache_line == li + 1 && f->col_cache_offset <= offset) {
        from = f->col_cache_offset;
        base = f->col_cache_col;
    }
    uint32_t c = base + columns(f->text + from, offset - from);
    f->col_cache_line = li + 1;
    f->col_cache_offset = offset;
    f->col_cache_col = c;
    *col = c + 1;
}

/*
 * Echo the line of loc and underline the range (its first line only):
 *    14 |     Zonee zones[4];
 *       |     ^~~~~
 * Tabs are copied into the caret line so the caret lines up; control
 * characters print as spaces and bytes of invalid UTF-8 as '?'.
 */
static void echo_source(nidl_buf_t *b, const nidl_file_t *f, const nidl_loc_t *loc)
{
    uint32_t start = loc->start > f->len ? (uint32_t)f->len : loc->start;
    size_t li = line_index(f, start);
    size_t ls = f->lines[li];
    /* A UTF-8 character has at most 4 bytes: a line of more bytes than
     * that many columns is not echoed, nor even scanned to its end. */
    size_t window =
        f->len - ls < 4 * MAX_ECHO_COLUMNS + 1 ? f->len - ls : 4 * MAX_ECHO_COLUMNS + 1;
    const char *nl = memchr(f->text + ls, '\n', window);
    if (nl == NULL && window < f->len - ls)
        return;
    size_t le = nl ? (size_t)(nl - f->text) : f->len;
    if (le > ls && f->text[le - 1] == '\r')
        le--;
    if (le - ls > 4 * MAX_ECHO_COLUMNS || columns(f->text + ls, le - ls) > MAX_ECHO_COLUMNS)
        return;
    uint32_t end = loc->end < start ? start : loc->end;
    if (end > le)
        end = (uint32_t)le;

    char num[16];
    int width = snprintf(num, sizeof num, "%zu", li + 1);
    if (width < 4)
        width = 4;
    nidl_buf_t caret = {0};
    nidl__buf_printf(b, " %*zu | ", width, li + 1);
    nidl__buf_printf(&caret, " %*s | ", width, "");
    size_t marks = 0;
    for (size_t i = ls; i < le;) {
        const unsigned char *s = (const unsigned char *)f->text + i;
        size_t n = 1;
        bool valid = true;
        if (s[0] >= 0x80) {
            /* Copy a whole UTF-8 character or mark a bad byte. */
            size_t want = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
            valid = want > 0 && i + want <= le;
            for (size_t k = 1; valid && k < want; k++)
                valid = (s[k] & 0xc0) == 0x80;
            n = valid ? want : 1;
        }
        if (s[0] == '\t')
            nidl__buf_putc(b, '\t');
        else if (s[0] < 0x20 || s[0] == 0x7f)
            nidl__buf_putc(b, ' ');
        else if (!valid)
            nidl__buf_putc(b, '?');
        else
            nidl__buf_put(b, s, n);
        if (i < start)
            nidl__buf_putc(&caret, s[0] == '\t' ? '\t' : ' ');
        else if (i < end || (i == start && end == start)) {
            nidl__buf_putc(&caret, marks == 0 ? '^' : '~');
            marks++;
        }
        i += n;
    }
    if (marks == 0)
        nidl__buf_putc(&caret, '^'); /* at the end of the line */
    nidl__buf_putc(b, '\n');
    nidl__buf_put(b, caret.data, caret.len);
    nidl__buf_putc(b, '\n');
    nidl__buf_free(&caret);
}

static void emit(nidl_ctx_t *ctx, const char *level, const nidl_loc_t *loc,
                 const char *suffix, const char *fmt, va_list ap) NIDL_PRINTF(5, 0);

static void emit(nidl_ctx_t *ctx, const char *level, const nidl_loc_t *loc,
                 const char *suffix, const char *fmt, va_list ap)
{
    nidl_buf_t b = {0};
    const nidl_file_t *f = loc ? nidl__file_get(ctx, loc->file) : NULL;
    if (f != NULL) {
        uint32_t line, col;
        nidl__line_col(ctx, loc->file, loc->start, &line, &col);
        nidl__buf_printf(&b, "%s:%u:%u: %s: ", f->path, line, col, level);
    } else {
        nidl__buf_printf(&b, "nexus-idlc: %s: ", level);
    }
    nidl__buf_vprintf(&b, fmt, ap);
    if (suffix != NULL)
        nidl__buf_puts(&b, suffix);
    nidl__buf_putc(&b, '\n');
    if (f != NULL)
        echo_source(&b, f, loc);
    if (ctx->diag_fn != NULL) {
        ctx->diag_fn(ctx->diag_user, b.data, b.len);
    } else {
        fwrite(b.data, 1, b.len, stderr);
        fflush(stderr);
    }
    nidl__buf_free(&b);
}

/* Count an error; false if it must not be printed (limit reached). */
static bool count_error(nidl_ctx_t *ctx)
{
    nidl__set_status(ctx, NIDL_ESCHEMA);
    ctx->errors++;
    if (ctx->stopped) {
        ctx->last_dropped = true;
        return false;
    }
    ctx->last_dropped = false;
    return true;
}

static void check_limit(nidl_ctx_t *ctx)
{
    if (ctx->error_limit != 0 && ctx->errors >= ctx->error_limit && !ctx->stopped) {
        ctx->stopped = true;
        nidl_buf_t b = {0};
        nidl__buf_printf(&b, "nexus-idlc: note: too many errors (%u), stopping\n",
                         ctx->errors);
        if (ctx->diag_fn != NULL) {
            ctx->diag_fn(ctx->diag_user, b.data, b.len);
        } else {
            fwrite(b.data, 1, b.len, stderr);
            fflush(stderr);
        }
        nidl__buf_free(&b);
    }
}

void nidl_diag(nidl_ctx_t *ctx, nidl_level_t level, const nidl_loc_t *loc, const char *fmt,
               ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (level == NIDL_NOTE) {
        if (!ctx->last_dropped)
            emit(ctx, "note", loc, NULL, fmt, ap);
    } else if (level == NIDL_WARNING) {
        ctx->warnings++;
        ctx->last_dropped = ctx->stopped;
        if (!ctx->stopped)
            emit(ctx, "warning", loc, NULL, fmt, ap);
    } else if (count_error(ctx)) {
        emit(ctx, "error", loc, NULL, fmt, ap);
        check_limit(ctx);
    }
    va_end(ap);
}

void nidl_warn(nidl_ctx_t *ctx, nidl_warning_t w, const nidl_loc_t *loc, const char *fmt,
               ...)
{
    if (!ctx->warn_on[w]) {
        ctx->last_dropped = true;
        return;
    }
    char suffix[64];
    va_list ap;
    va_start(ap, fmt);
    if (ctx->werror) {
        snprintf(suffix, sizeof suffix, " [-Werror=%s]", warnings[w].name);
        if (count_error(ctx)) {
            emit(ctx, "error", loc, suffix, fmt, ap);
            check_limit(ctx);
        }
    } else {
        snprintf(suffix, sizeof suffix, " [-W%s]", warnings[w].name);
        ctx->warnings++;
        ctx->last_dropped = ctx->stopped;
        if (!ctx->stopped)
            emit(ctx, "warning", loc, suffix, fmt, ap);
    }
    va_end(ap);
}
