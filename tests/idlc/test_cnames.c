/*
 * test_cnames.c: the table of generated C names (idlc/src/cnames.h) against
 * its two users. Every case is derived from the table, so a new row is
 * tested without touching this file:
 *   - the collision check finds a user's name that equals the row's name
 *     (or, for the names ending in '_', which no user name may, the check
 *     lists the row and the user's name is rejected);
 *   - the generated code of a schema using every construct spells every
 *     row's name in the files the row says, and every identifier it
 *     derives from the schema is a name of the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "idlc_test.h"

#include "ast.h"
#include "cnames.h"

/* Supports a topic or service under test; generates no name the cases below use. */
#define PRELUDE "message M { uint8 a; }\n"

/* A declaration of the kind a row is derived from, named `name`. */
static char *decl_src(nidl_cname_of_t of, const char *name)
{
    char buf[256];
    switch (of) {
    case NIDL_CN_OF_CONST:
        snprintf(buf, sizeof buf, "const uint8 %s = 1;\n", name);
        break;
    case NIDL_CN_OF_ENUM:
    case NIDL_CN_OF_ITEM:
        snprintf(buf, sizeof buf, "enum %s { A }\n", name);
        break;
    case NIDL_CN_OF_STRUCT:
        snprintf(buf, sizeof buf, "struct %s { uint8 a; }\n", name);
        break;
    case NIDL_CN_OF_TOPIC:
        snprintf(buf, sizeof buf, "topic %s : M;\n", name);
        break;
    case NIDL_CN_OF_SERVICE:
        snprintf(buf, sizeof buf, "service %s : M -> M;\n", name);
        break;
    case NIDL_CN_OF_FILE:
        buf[0] = '\0';
        break;
    }
    return strdup(buf);
}

/* The declaration named `name` of a compiled schema. */
static const ast_decl_t *find_decl(const nidl_schema_t *f, const char *name)
{
    for (size_t i = 0; i < f->decls.len; i++) {
        const ast_decl_t *d = f->decls.items[i];
        if (strcmp(d->name->name, name) == 0)
            return d;
    }
    fail_msg("no declaration '%s'", name);
    return NULL;
}

/* The name row id gives for declaration `name` (or the file) of src. */
static char *row_name(nidl_cname_id_t id, const char *src, const char *name)
{
    compiled_t c;
    compile(&c, src);
    assert_compiles(&c);
    const nidl_cname_rule_t *r = &nidl__cname_rules[id];
    const ast_decl_t *d = r->of == NIDL_CN_OF_FILE ? NULL : find_decl(c.schema, name);
    nidl_arena_t a = {0};
    char *n = strdup(
        nidl__cname(&a, id, c.schema, d, r->of == NIDL_CN_OF_ITEM ? d->items[0] : NULL));
    nidl__arena_free(&a);
    compiled_free(&c);
    return n;
}

/* Whether d (NULL: the file) of src generates `name` under row id, as the
 * collision check sees it. */
static bool listed(const char *src, const char *decl, nidl_cname_id_t id, const char *name)
{
    compiled_t c;
    compile(&c, src);
    assert_compiles(&c);
    nidl_arena_t a = {0};
    nidl_vec_t list = {0};
    nidl__cnames_list(&a, c.schema, decl ? find_decl(c.schema, decl) : NULL, &list);
    bool found = false;
    for (size_t i = 0; i < list.len; i++) {
        const nidl_cname_t *n = list.items[i];
        found = found || (n->id == id && strcmp(n->name, name) == 0);
    }
    nidl__vec_free(&list);
    nidl__arena_free(&a);
    compiled_free(&c);
    return found;
}

static void expect_error(const char *row, const char *src, const char *want)
{
    compiled_t c;
    compile(&c, src);
    if (c.schema != NULL || strstr(c.diag, want) == NULL)
        fail_msg("row %s: schema\n%s\nwant a diagnostic with\n  %s\ngot:\n%s", row, src,
                 want, c.diag);
    compiled_free(&c);
}

/*
 * A row whose name equals its declaration's own name (the type of an enum
 * or struct) collides with another declaration's suffixed name: find a row
 * of the same case with a suffix that a user name may carry.
 */
static nidl_cname_id_t suffixed_partner(const nidl_cname_rule_t *r)
{
    for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
        const nidl_cname_rule_t *p = &nidl__cname_rules[i];
        size_t len = strlen(p->suffix);
        if (p->upper == r->upper && len > 0 && p->suffix[len - 1] != '_' &&
            p->of != NIDL_CN_OF_FILE && p->of != NIDL_CN_OF_ITEM)
            return (nidl_cname_id_t)i;
    }
    fail_msg("row %s: no row to collide with", r->name);
    return NIDL_CN_COUNT;
}

static void cnames_collision_is_found_for_every_row(void **state)
{
    (void)state;
    for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
        nidl_cname_id_t id = (nidl_cname_id_t)i;
        const nidl_cname_rule_t *r = &nidl__cname_rules[id];
        char *self = decl_src(r->of, "Foo");
        char *src = malloc(strlen(PRELUDE) + strlen(self) + 1);
        sprintf(src, "%s%s", PRELUDE, self);
        char *name = row_name(id, src, "Foo");
        size_t len = strlen(name);
        char want[256], both[1024];
        const char *partner_what = r->upper ? "constant" : "struct";
        char *partner = decl_src(r->upper ? NIDL_CN_OF_CONST : NIDL_CN_OF_STRUCT, name);
        if (name[len - 1] == '_') {
            /* No user name ends in '_': the row can only meet another
             * row. Show that the check lists it and that a user cannot
             * take the name. */
            if (!listed(src, r->of == NIDL_CN_OF_FILE ? NULL : "Foo", id, name))
                fail_msg("row %s: the collision check does not list '%s'", r->name, name);
            snprintf(both, sizeof both, "%s%s", src, partner);
            snprintf(want, sizeof want, "'%s' is reserved: names ending in '_'", name);
            expect_error(r->name, both, want);
        } else if (r->of != NIDL_CN_OF_FILE && strcmp(name, "Foo") == 0) {
            /* The declaration's own name: declare "Foo<suffix>" after a
             * "Foo" whose row adds that suffix. */
            nidl_cname_id_t p = suffixed_partner(r);
            const nidl_cname_rule_t *pr = &nidl__cname_rules[p];
            char mine[128];
            snprintf(mine, sizeof mine, "Foo%s", pr->suffix);
            char *first = decl_src(pr->of, "Foo");
            char *second = decl_src(r->of, mine);
            snprintf(both, sizeof both, "%s%s%s", PRELUDE, first, second);
            snprintf(want, sizeof want, "C name '%s' generated for ", mine);
            expect_error(r->name, both, want);
            snprintf(want, sizeof want, "'%s' is also generated for", mine);
            expect_error(r->name, both, want);
            free(first);
            free(second);
        } else {
            /* A struct or constant whose own name is the row's name. */
            snprintf(both, sizeof both, "%s%s", src, partner);
            if (r->of == NIDL_CN_OF_FILE)
                snprintf(want, sizeof want, "C name '%s' generated for %s '%s' is %s", name,
                         partner_what, name, r->what);
            else
                snprintf(want, sizeof want,
                         "C name '%s' generated for %s '%s' is also generated for ", name,
                         partner_what, name);
            expect_error(r->name, both, want);
        }
        free(partner);
        free(name);
        free(src);
        free(self);
    }
}

/* ---- drift: the table against the generated code ---------------------------------- */

/* Every construct, so that every row (the source's helpers included)
 * generates its name. */
static const char drift_schema[] = "package drift.all;\n"
                                   "/// A constant.\n"
                                   "const uint32 N = 2;\n"
                                   "enum Mode : uint8 { ONE = 1, TWO }\n"
                                   "struct Inner {\n"
                                   "    bool on = true;\n"
                                   "    string<7> label = \"x\";\n"
                                   "    Mode mode;\n"
                                   "}\n"
                                   "message Msg {\n"
                                   "    Inner inner;\n"
                                   "    sequence<Inner, N> inners;\n"
                                   "    uint8 grid[2];\n"
                                   "}\n"
                                   "message Inner2 { Inner inner; }\n"
                                   "topic msgs : Msg;\n"
                                   "topic blocked : Msg { on_full = block; }\n"
                                   "service calc : Msg -> Inner2;\n";

typedef struct idents {
    char **v;
    size_t n;
} idents_t;

/* The identifiers of C text, outside comments and literals. */
static void scan_idents(const char *s, idents_t *out)
{
    while (*s) {
        if (s[0] == '/' && s[1] == '*') {
            const char *end = strstr(s + 2, "*/");
            s = end ? end + 2 : s + strlen(s);
        } else if (s[0] == '/' && s[1] == '/') {
            s += strcspn(s, "\n");
        } else if (*s == '"' || *s == '\'') {
            char q = *s++;
            while (*s && *s != q)
                s += (*s == '\\' && s[1]) ? 2 : 1;
            if (*s)
                s++;
        } else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_') {
            size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789_");
            out->v = realloc(out->v, (out->n + 1) * sizeof *out->v);
            assert_non_null(out->v);
            out->v[out->n++] = strndup(s, n);
            s += n;
        } else if (*s >= '0' && *s <= '9') {
            s += strspn(s, "0123456789abcdefABCDEFxXuUlL.+-");
        } else {
            s++;
        }
    }
}

static bool has_ident(const idents_t *ids, const char *name)
{
    for (size_t i = 0; i < ids->n; i++) {
        if (strcmp(ids->v[i], name) == 0)
            return true;
    }
    return false;
}

static void idents_free(idents_t *ids)
{
    for (size_t i = 0; i < ids->n; i++)
        free(ids->v[i]);
    free(ids->v);
}

static void cnames_table_matches_the_generated_code(void **state)
{
    (void)state;
    compiled_t c;
    compile(&c, drift_schema);
    assert_compiles(&c);
    nidl_output_t out;
    assert_int_equal(nidl_generate(c.ctx, c.schema, &out), NIDL_OK);
    idents_t h = {0}, src = {0};
    scan_idents(out.header, &h);
    scan_idents(out.source, &src);

    /* Every name of the table, for the file and each declaration. */
    nidl_arena_t a = {0};
    nidl_vec_t list = {0};
    nidl__cnames_list(&a, c.schema, NULL, &list);
    for (size_t i = 0; i < c.schema->decls.len; i++)
        nidl__cnames_list(&a, c.schema, c.schema->decls.items[i], &list);
    bool seen[NIDL_CN_COUNT] = {false};
    for (size_t i = 0; i < list.len; i++) {
        const nidl_cname_t *n = list.items[i];
        const nidl_cname_rule_t *r = &nidl__cname_rules[n->id];
        seen[n->id] = true;
        if ((r->in & NIDL_CN_H) && !has_ident(&h, n->name))
            fail_msg("row %s: '%s' is not in the header:\n%s", r->name, n->name,
                     out.header);
        if ((r->in & NIDL_CN_C) && !has_ident(&src, n->name))
            fail_msg("row %s: '%s' is not in the source:\n%s", r->name, n->name,
                     out.source);
    }
    for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
        if (!seen[i])
            fail_msg("row %s: the drift schema has nothing it applies to",
                     nidl__cname_rules[i].name);
    }

    /* Every identifier derived from the schema (it starts with the
     * package's prefix) is a name of the table. */
    const idents_t *files[] = {&h, &src};
    for (size_t f = 0; f < 2; f++) {
        for (size_t i = 0; i < files[f]->n; i++) {
            const char *id = files[f]->v[i];
            if (strncmp(id, "drift_all_", 10) != 0 && strncmp(id, "DRIFT_ALL_", 10) != 0)
                continue;
            bool known = false;
            for (size_t k = 0; k < list.len && !known; k++)
                known = strcmp(((const nidl_cname_t *)list.items[k])->name, id) == 0;
            if (!known)
                fail_msg("'%s' in the generated %s is not a name of idlc/src/cnames.h", id,
                         f == 0 ? "header" : "source");
        }
    }
    nidl__vec_free(&list);
    nidl__arena_free(&a);
    idents_free(&h);
    idents_free(&src);
    nidl_output_free(&out);
    compiled_free(&c);
}

/* The placeholder of a row is unique within its scope, or the templates
 * could not tell two names apart. */
static void cnames_keys_are_unique_per_scope(void **state)
{
    (void)state;
    for (size_t i = 0; i < NIDL_CN_COUNT; i++) {
        for (size_t k = i + 1; k < NIDL_CN_COUNT; k++) {
            const nidl_cname_rule_t *x = &nidl__cname_rules[i], *y = &nidl__cname_rules[k];
            if (x->of == y->of && strcmp(x->key, y->key) == 0)
                fail_msg("rows %s and %s share the placeholder '%s'", x->name, y->name,
                         x->key);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cnames_collision_is_found_for_every_row),
        cmocka_unit_test(cnames_table_matches_the_generated_code),
        cmocka_unit_test(cnames_keys_are_unique_per_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
