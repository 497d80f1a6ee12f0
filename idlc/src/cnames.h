/*
 * cnames.h: every C identifier the generator derives from a schema, in one
 * table (NIDL_CNAME_LIST).
 *
 * A row says what a name is derived from (the file, a constant, an enum,
 * an enum item, a struct or message, a topic, a service), the suffix appended to that
 * base, whether the whole name is upper-cased (macros), the template
 * placeholder that carries it and which of the two templates use it. The
 * table has three readers, so they cannot drift apart:
 *   - sema.c's collision check iterates it (nidl__cnames_list()), so two
 *     declarations, or a declaration and the header guard, never generate
 *     the same C name;
 *   - emit.c computes every generated name from it (nidl__cname()) and
 *     hands each to the templates under the row's placeholder;
 *   - emit.c adds the placeholders to the templates' schemas, so a
 *     template that never uses a row of its file, or uses a placeholder
 *     the table does not have, fails to load (template.h).
 * Adding a generated function is one row here plus one template line.
 */
#ifndef NIDL_CNAMES_H
#define NIDL_CNAMES_H

#include <stdbool.h>

#include "ast.h"
#include "util.h"

/* What a name is derived from, and so which template scope carries it. */
typedef enum nidl_cname_of {
    NIDL_CN_OF_FILE,   /* the file id: package prefix and file name, "pkg_base" */
    NIDL_CN_OF_CONST,  /* a constant: "pkg_Name" */
    NIDL_CN_OF_ENUM,   /* an enum: "pkg_Name" */
    NIDL_CN_OF_ITEM,   /* an enum item: "pkg_Enum_ITEM" */
    NIDL_CN_OF_STRUCT, /* a struct or message: "pkg_Name" */
    NIDL_CN_OF_TOPIC,  /* a topic: "pkg_name" */
    NIDL_CN_OF_SERVICE /* a service: "pkg_name" */
} nidl_cname_of_t;

/* Which generated file's template uses a row's placeholder (a bit set). */
#define NIDL_CN_H  1u /* header.h.in */
#define NIDL_CN_C  2u /* source.c.in */
#define NIDL_CN_HC 3u /* both */

/*
 * X(id, of, suffix, upper, key, in, what): the name is base + suffix,
 * upper-cased if upper; `key` is its placeholder in the templates, `in`
 * the templates that use it, `what` a phrase for diagnostics and tests.
 * Within a kind, rows are listed in the order the collision check reports
 * them: the first name of a declaration that collides is the one named.
 */
#define NIDL_CNAME_LIST(X)                                                                 \
    X(GUARD, FILE, "_NIDL_H", true, "guard", NIDL_CN_H, "the header guard")                \
    X(ZERO_BYTES, FILE, "_zero_bytes_", false, "zero_bytes_fn", NIDL_CN_C,                 \
      "a helper of the generated source")                                                  \
    X(COPY_STRING, FILE, "_copy_string_", false, "copy_string_fn", NIDL_CN_C,              \
      "a helper of the generated source")                                                  \
    X(STRING_OK, FILE, "_string_ok_", false, "string_ok_fn", NIDL_CN_C,                    \
      "a helper of the generated source")                                                  \
    X(BOOL_OK, FILE, "_bool_ok_", false, "bool_ok_fn", NIDL_CN_C,                          \
      "a helper of the generated source")                                                  \
    X(CONST_MACRO, CONST, "", true, "macro", NIDL_CN_H, "the constant's macro")            \
    X(ENUM_TYPE, ENUM, "", false, "ctype", NIDL_CN_HC, "the enum's type")                  \
    X(ENUM_TO_STRING, ENUM, "_to_string", false, "to_string_fn", NIDL_CN_HC,               \
      "the enum's name function")                                                          \
    X(ENUM_IS_VALID, ENUM, "_is_valid", false, "is_valid_fn", NIDL_CN_HC,                  \
      "the enum's check")                                                                  \
    X(ITEM_MACRO, ITEM, "", true, "macro", NIDL_CN_HC, "the item's macro")                 \
    X(STRUCT_TYPE, STRUCT, "", false, "ctype", NIDL_CN_HC, "the struct's type")            \
    X(STRUCT_INIT, STRUCT, "_init", false, "init_fn", NIDL_CN_HC, "the initialiser")       \
    X(STRUCT_VALIDATE, STRUCT, "_validate", false, "validate_fn", NIDL_CN_HC,              \
      "the validator")                                                                     \
    X(STRUCT_DESC, STRUCT, "_desc", false, "desc", NIDL_CN_HC, "the type descriptor")      \
    X(STRUCT_VALIDATE_ANY, STRUCT, "_validate_any_", false, "validate_any_fn", NIDL_CN_C,  \
      "the descriptor's untyped validator")                                                \
    X(STRUCT_FIELDS, STRUCT, "_fields_", false, "fields_array", NIDL_CN_C,                 \
      "the field descriptors")                                                             \
    X(STRUCT_TYPE_ID, STRUCT, "_TYPE_ID", true, "type_id", NIDL_CN_HC,                     \
      "the fingerprint macro")                                                             \
    X(TOPIC_CALLBACK, TOPIC, "_fn", false, "callback_type", NIDL_CN_HC,                    \
      "the callback type")                                                                 \
    X(TOPIC_DESC, TOPIC, "_topic", false, "topic_desc", NIDL_CN_HC,                        \
      "the topic descriptor")                                                              \
    X(TOPIC_PUBLISH, TOPIC, "_publish", false, "publish_fn", NIDL_CN_HC,                   \
      "the publish function")                                                              \
    X(TOPIC_SUBSCRIBE, TOPIC, "_subscribe", false, "subscribe_fn", NIDL_CN_HC,             \
      "the subscribe function")                                                            \
    X(TOPIC_UNSUBSCRIBE, TOPIC, "_unsubscribe", false, "unsubscribe_fn", NIDL_CN_HC,       \
      "the unsubscribe function")                                                          \
    X(TOPIC_LOAN, TOPIC, "_loan", false, "loan_fn", NIDL_CN_HC, "the loan function")       \
    X(TOPIC_PUBLISH_LOAN, TOPIC, "_publish_loan", false, "publish_loan_fn", NIDL_CN_HC,    \
      "the loan publish function")                                                         \
    X(TOPIC_LOAN_RELEASE, TOPIC, "_loan_release", false, "loan_release_fn", NIDL_CN_HC,    \
      "the loan release function")                                                         \
    X(TOPIC_DISPATCH, TOPIC, "_dispatch_", false, "dispatch_fn", NIDL_CN_C,                \
      "the typed dispatcher")                                                              \
    X(SERVICE_HANDLER, SERVICE, "_handler_fn", false, "handler_type", NIDL_CN_HC,          \
      "the handler type")                                                                  \
    X(SERVICE_REPLY_FN, SERVICE, "_reply_fn", false, "reply_type", NIDL_CN_HC,             \
      "the reply callback type")                                                           \
    X(SERVICE_DESC, SERVICE, "_service", false, "service_desc", NIDL_CN_HC,                \
      "the service descriptor")                                                            \
    X(SERVICE_SERVE, SERVICE, "_serve", false, "serve_fn", NIDL_CN_HC,                     \
      "the serve function")                                                                \
    X(SERVICE_UNSERVE, SERVICE, "_unserve", false, "unserve_fn", NIDL_CN_HC,               \
      "the unserve function")                                                              \
    X(SERVICE_CALL, SERVICE, "_call", false, "call_fn", NIDL_CN_HC, "the call function")   \
    X(SERVICE_CALL_ASYNC, SERVICE, "_call_async", false, "call_async_fn", NIDL_CN_HC,      \
      "the asynchronous call function")                                                    \
    X(SERVICE_SERVE_DISPATCH, SERVICE, "_serve_dispatch_", false, "serve_dispatch_fn",     \
      NIDL_CN_C, "the typed handler adapter")                                              \
    X(SERVICE_REPLY_DISPATCH, SERVICE, "_reply_dispatch_", false, "reply_dispatch_fn",     \
      NIDL_CN_C, "the typed reply adapter")

typedef enum nidl_cname_id {
#define NIDL_CN_ENUM_(id, of, suffix, upper, key, in, what) NIDL_CN_##id,
    NIDL_CNAME_LIST(NIDL_CN_ENUM_)
#undef NIDL_CN_ENUM_
        NIDL_CN_COUNT
} nidl_cname_id_t;

/* One row of the table. */
typedef struct nidl_cname_rule {
    const char *name; /* the row's id as text, "STRUCT_INIT" */
    nidl_cname_of_t of;
    const char *suffix;
    bool upper;
    const char *key; /* template placeholder */
    unsigned in;     /* NIDL_CN_H | NIDL_CN_C */
    const char *what;
} nidl_cname_rule_t;

/* The table, indexed by nidl_cname_id_t. */
extern const nidl_cname_rule_t nidl__cname_rules[NIDL_CN_COUNT];

/* One generated name: its row and its spelling. */
typedef struct nidl_cname {
    nidl_cname_id_t id;
    const char *name;
} nidl_cname_t;

/*
 * The file id of f: its package prefix and file name with every byte that
 * cannot be in an identifier replaced by '_' ("vehicle_sensors_sensors"),
 * "nidl_" in front if it would start with a digit. The base of the file's
 * rows: the source's static helpers are named after the file so that two
 * generated sources can share a translation unit (unity builds).
 * Arena-allocated.
 */
char *nidl__cname_file_id(nidl_arena_t *a, const nidl_file_t *f);

/*
 * The name row id gives: for a file row, from file f (d and it unused);
 * for a declaration's row, from d and the prefix of d->file (f unused);
 * for an item row, from item it of enum d. Arena-allocated. The files'
 * prefix and base must be set (sema).
 */
char *nidl__cname(nidl_arena_t *a, nidl_cname_id_t id, const nidl_file_t *f,
                  const ast_decl_t *d, const ast_item_t *it);

/*
 * Append to out (nidl_cname_t *, arena-allocated) every name d generates,
 * in table order (an enum's items after its own rows), or with d NULL
 * every name of file f's rows.
 */
void nidl__cnames_list(nidl_arena_t *a, const nidl_file_t *f, const ast_decl_t *d,
                       nidl_vec_t *out);

#endif /* NIDL_CNAMES_H */
