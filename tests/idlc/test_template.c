/*
 * test_template.c: the template engine: rendering, standalone tag lines,
 * and the checks that make a template's placeholders and its schema agree
 * (an unknown placeholder and an unused key are both errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "idlc_test.h"
#include "template.h"

static const nidl_tpl_key_t item_keys[] = {{"name", NULL}, {"value", NULL}, {NULL, NULL}};
static const nidl_tpl_key_t keys[] = {{"title", NULL}, {"items", item_keys}, {NULL, NULL}};

/* Parse text against `keys`; diagnostics go to c. */
static nidl_tpl_t *parse(compiled_t *c, const char *text)
{
    capture_ctx(c);
    char *copy = strdup(text);
    assert_non_null(copy);
    nidl_file_t *f =
        nidl__file_add(c->ctx, "x.in", "builtin:x.in", copy, strlen(copy), false);
    return nidl__tpl_parse(c->ctx, f, keys);
}

static char *render(nidl_tpl_t *t, size_t nitems)
{
    nidl_arena_t arena = {0};
    nidl_tpl_data_t *d = nidl__tpl_data(&arena);
    nidl__tpl_set(d, "title", "T");
    nidl__tpl_list(d, "items");
    for (size_t i = 0; i < nitems; i++) {
        nidl_tpl_data_t *it = nidl__tpl_add(d, "items");
        nidl__tpl_setf(it, "name", "n%zu", i);
        nidl__tpl_setf(it, "value", "%zu", i * 10);
    }
    nidl_buf_t out = {0};
    char *err = NULL;
    bool ok = nidl__tpl_render(t, d, &out, &err);
    nidl__arena_free(&arena);
    if (!ok)
        fail_msg("render failed: %s", err);
    return nidl__buf_take(&out);
}

static void template_renders_values_and_lists(void **state)
{
    (void)state;
    compiled_t c;
    nidl_tpl_t *t =
        parse(&c, "<{{title}}>{{#items}}[{{name}}={{value}} in {{ title }}]{{/items}}.");
    assert_non_null(t);
    char *s = render(t, 2);
    assert_string_equal(s, "<T>[n0=0 in T][n1=10 in T].");
    free(s);
    s = render(t, 0);
    assert_string_equal(s, "<T>.");
    free(s);
    nidl__tpl_free(t);
    compiled_free(&c);
}

static void template_drops_lines_holding_only_a_block_tag(void **state)
{
    (void)state;
    compiled_t c;
    nidl_tpl_t *t = parse(&c, "{{! a comment\n    over two lines }}\n"
                              "head {{title}}\n"
                              "  {{#items}}  \n"
                              "    {{name}}={{value}};\n"
                              "{{/items}}\n"
                              "tail\n");
    if (t == NULL)
        fail_msg("%s", c.diag);
    char *s = render(t, 2);
    assert_string_equal(s, "head T\n    n0=0;\n    n1=10;\ntail\n");
    free(s);
    nidl__tpl_free(t);
    compiled_free(&c);
}

typedef struct bad_template {
    const char *text;
    const char *diag;
} bad_template_t;

static const bad_template_t bad[] = {
    {"{{title}}{{#items}}{{name}}{{value}}{{nope}}{{/items}}",
     "x.in:1:37: error: unknown placeholder 'nope'\n"},
    {"{{title}}{{#items}}{{name}}{{/items}}",
     "nexus-idlc: error: template 'x.in' never uses 'items.value'\n"},
    {"{{#items}}{{name}}{{value}}{{/items}}",
     "nexus-idlc: error: template 'x.in' never uses 'title'\n"},
    {"{{title}}{{items}}", "x.in:1:10: error: 'items' is a list: use it as a section"},
    {"{{#title}}{{/title}}", "x.in:1:1: error: 'title' is a value, not a list"},
    {"{{title}", "x.in:1:1: error: unterminated tag"},
    {"{{#items}}{{name}}{{value}}", "x.in:1:1: error: section 'items' is not closed"},
    {"{{title}}{{/items}}",
     "x.in:1:10: error: '{{/items}}' does not close the open section"},
    {"{{ti-tle}}", "x.in:1:1: error: invalid tag '{{ti-tle}}'"},
};

static void template_rejects_unknown_and_unused_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        compiled_t c;
        nidl_tpl_t *t = parse(&c, bad[i].text);
        assert_null(t);
        if (strstr(c.diag, bad[i].diag) == NULL)
            fail_msg("case %zu <%s>: want\n%s\ngot\n%s", i, bad[i].text, bad[i].diag,
                     c.diag);
        compiled_free(&c);
    }
}

static void template_render_rejects_data_outside_the_schema(void **state)
{
    (void)state;
    compiled_t c;
    nidl_tpl_t *t = parse(&c, "{{title}}{{#items}}{{name}}{{value}}{{/items}}");
    assert_non_null(t);
    nidl_arena_t arena = {0};
    nidl_tpl_data_t *d = nidl__tpl_data(&arena);
    nidl__tpl_set(d, "title", "T");
    nidl__tpl_set(d, "extra", "x");
    nidl__tpl_list(d, "items");
    nidl_buf_t out = {0};
    char *err = NULL;
    assert_false(nidl__tpl_render(t, d, &out, &err));
    assert_string_equal(err, "the data has 'extra', which the schema does not");
    free(err);
    nidl__buf_free(&out);

    /* A value the template needs but emit.c forgot. */
    d = nidl__tpl_data(&arena);
    nidl__tpl_list(d, "items");
    err = NULL;
    assert_false(nidl__tpl_render(t, d, &out, &err));
    assert_string_equal(err, "no value 'title' in the data");
    free(err);
    nidl__buf_free(&out);
    nidl__arena_free(&arena);
    nidl__tpl_free(t);
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_renders_values_and_lists),
        cmocka_unit_test(template_drops_lines_holding_only_a_block_tag),
        cmocka_unit_test(template_rejects_unknown_and_unused_names),
        cmocka_unit_test(template_render_rejects_data_outside_the_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
