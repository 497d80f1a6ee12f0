/*
 * main.c: the nexus-idlc command line. Only argument handling and the
 * exit status live here; the compiler is the nidl library (nidl/nidl.h).
 *
 * Exit status: 0 ok, 1 the schema has errors, 2 usage or I/O error (an
 * unreadable, non-regular or oversized input or import, an unwritable
 * output, an invalid template) or out of memory. Nothing is written
 * unless every input compiles.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nidl/nidl.h"

enum { EXIT_SCHEMA = 1, EXIT_USAGE = 2 };

static void usage(FILE *out)
{
    fputs("usage: nexus-idlc [options] FILE.nidl...\n"
          "Compile .nidl schemas into C: FILE.nidl.h and FILE.nidl.c per input.\n"
          "\n"
          "  -o, --output-dir DIR     where the .nidl.h/.nidl.c go (default: .)\n"
          "                           (--out-dir is an alias)\n"
          "  -I, --include DIR        import search path, may repeat\n"
          "  --check                  parse and check only, write nothing\n"
          "  --depfile FILE           make-style dependencies (for meson and ninja)\n"
          "  --template-dir DIR       use these templates instead of the built-in ones\n"
          "  -W<name>, -Wno-<name>    enable or disable a warning; -Werror makes\n"
          "                           warnings errors\n"
          "  --version, --help\n"
          "\n"
          "warnings (default on/off):\n",
          out);
    bool on;
    const char *name;
    for (size_t i = 0; (name = nidl_warning_name(i, &on)) != NULL; i++)
        fprintf(out, "  -W%-22s %s\n", name, on ? "on" : "off");
    fputs("\nexit status: 0 ok, 1 the schema has errors, 2 usage or I/O error\n"
          "(unreadable, not a regular file or over the size limits), or out of memory\n",
          out);
}

/* Out of memory, in the library or here: one line, exit status 2. */
static int out_of_memory(void)
{
    fputs("nexus-idlc: error: out of memory\n", stderr);
    return EXIT_USAGE;
}

/* "nexus-idlc: error: WHAT 'ARG'" (or just WHAT when arg is NULL). */
static int usage_error(const char *what, const char *arg)
{
    if (arg != NULL)
        fprintf(stderr, "nexus-idlc: error: %s '%s'\n", what, arg);
    else
        fprintf(stderr, "nexus-idlc: error: %s\n", what);
    fputs("(try 'nexus-idlc --help')\n", stderr);
    return EXIT_USAGE;
}

/*
 * Match an option that takes a value: "-o DIR", "-oDIR" (short forms),
 * "--output-dir DIR", "--output-dir=DIR". Returns the value, advancing *i
 * past it, or NULL if argv[*i] is not this option. *missing is set when
 * the option is there but its value is not.
 */
static const char *option_value(int argc, char **argv, int *i, const char *short_opt,
                                const char *long_opt, bool *missing)
{
    const char *a = argv[*i];
    size_t sl = short_opt ? strlen(short_opt) : 0;
    size_t ll = strlen(long_opt);
    const char *inline_value = NULL;
    if (short_opt != NULL && strncmp(a, short_opt, sl) == 0) {
        if (a[sl] != '\0')
            inline_value = a + sl;
    } else if (strncmp(a, long_opt, ll) == 0 && (a[ll] == '\0' || a[ll] == '=')) {
        if (a[ll] == '=')
            inline_value = a + ll + 1;
    } else {
        return NULL;
    }
    if (inline_value != NULL)
        return inline_value;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int main(int argc, char **argv)
{
    nidl_ctx_t *ctx = nidl_ctx_create();
    if (ctx == NULL)
        return out_of_memory();
    const char *out_dir = ".";
    const char *depfile = NULL;
    bool check_only = false;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    size_t ninputs = 0;
    int status = 0;
    bool options_done = false;
    if (inputs == NULL) {
        nidl_ctx_destroy(ctx);
        return out_of_memory();
    }

    for (int i = 1; i < argc && status == 0; i++) {
        const char *a = argv[i];
        const char *v;
        bool missing = false;
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            inputs[ninputs++] = a;
        } else if (strcmp(a, "--") == 0) {
            options_done = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(inputs);
            nidl_ctx_destroy(ctx);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("nexus-idlc %s\n", NIDL_VERSION);
            free(inputs);
            nidl_ctx_destroy(ctx);
            return 0;
        } else if (strcmp(a, "--check") == 0) {
            check_only = true;
        } else if ((v = option_value(argc, argv, &i, "-o", "--output-dir", &missing)) ||
                   (!missing &&
                    (v = option_value(argc, argv, &i, NULL, "--out-dir", &missing)))) {
            out_dir = v;
        } else if (!missing &&
                   (v = option_value(argc, argv, &i, "-I", "--include", &missing))) {
            nidl_ctx_add_include_dir(ctx, v);
        } else if (!missing &&
                   (v = option_value(argc, argv, &i, NULL, "--depfile", &missing))) {
            depfile = v;
        } else if (!missing &&
                   (v = option_value(argc, argv, &i, NULL, "--template-dir", &missing))) {
            nidl_ctx_set_template_dir(ctx, v);
        } else if (missing) {
            status = usage_error("missing value after", a);
        } else if (strncmp(a, "-W", 2) == 0 && a[2] != '\0') {
            bool on = strncmp(a + 2, "no-", 3) != 0;
            const char *name = on ? a + 2 : a + 5;
            if (nidl_ctx_set_warning(ctx, name, on) != 0)
                status = usage_error("unknown warning", a);
        } else {
            status = usage_error("unknown option", a);
        }
    }
    if (status == 0 && ninputs == 0)
        status = usage_error("no input files", NULL);
    if (status == 0 && nidl_ctx_status(ctx) == NIDL_ENOMEM)
        status = out_of_memory(); /* copying an option's value */
    if (status != 0) {
        free(inputs);
        nidl_ctx_destroy(ctx);
        return status;
    }

    /* Load and check everything first: nothing is written unless all of
     * it compiles. */
    const nidl_schema_t **schemas = calloc(ninputs, sizeof *schemas);
    nidl_output_t *outs = calloc(ninputs, sizeof *outs);
    if (schemas == NULL || outs == NULL) {
        free(schemas);
        free(outs);
        free(inputs);
        nidl_ctx_destroy(ctx);
        return out_of_memory();
    }
    for (size_t i = 0; i < ninputs; i++)
        schemas[i] = nidl_load_file(ctx, inputs[i]);
    nidl_status_t st = nidl_ctx_status(ctx);

    if (st == NIDL_OK && !check_only) {
        for (size_t i = 0; i < ninputs && st == NIDL_OK; i++) {
            st = nidl_generate(ctx, schemas[i], &outs[i]);
            for (size_t k = 0; k < i && st == NIDL_OK; k++) {
                if (strcmp(outs[k].header_name, outs[i].header_name) == 0) {
                    fprintf(stderr,
                            "nexus-idlc: error: '%s' and '%s' would both generate '%s'\n",
                            inputs[k], inputs[i], outs[i].header_name);
                    st = NIDL_EIO;
                }
            }
        }
        for (size_t i = 0; i < ninputs && st == NIDL_OK; i++)
            st = nidl_write_output(ctx, &outs[i], out_dir);
        if (st == NIDL_OK && depfile != NULL) {
            const char **targets = calloc(2 * ninputs, sizeof *targets);
            char **paths = calloc(2 * ninputs, sizeof *paths);
            bool oom = targets == NULL || paths == NULL;
            for (size_t i = 0; !oom && i < 2 * ninputs; i++) {
                const char *name =
                    i % 2 ? outs[i / 2].source_name : outs[i / 2].header_name;
                size_t n = strlen(out_dir) + strlen(name) + 2;
                paths[i] = malloc(n);
                if (paths[i] == NULL) {
                    oom = true;
                    break;
                }
                size_t dl = strlen(out_dir);
                snprintf(paths[i], n, "%s%s%s", out_dir,
                         dl > 0 && out_dir[dl - 1] != '/' ? "/" : "", name);
                targets[i] = paths[i];
            }
            st = oom ? NIDL_ENOMEM : nidl_write_depfile(ctx, depfile, targets, 2 * ninputs);
            for (size_t i = 0; paths != NULL && i < 2 * ninputs; i++)
                free(paths[i]);
            free(paths);
            free(targets);
        }
    }

    for (size_t i = 0; i < ninputs; i++)
        nidl_output_free(&outs[i]);
    free(outs);
    free(schemas);
    free(inputs);
    nidl_ctx_destroy(ctx);
    switch (st) {
    case NIDL_OK:
        return 0;
    case NIDL_ESCHEMA:
        return EXIT_SCHEMA;
    case NIDL_ENOMEM:
        return out_of_memory();
    default:
        return EXIT_USAGE;
    }
}
