/*
 * builtin.h: the templates compiled into nexus-idlc. The table is written
 * at build time by embed.c from templates/c/, so an installed compiler
 * needs no files besides itself.
 */
#ifndef NIDL_BUILTIN_H
#define NIDL_BUILTIN_H

#include <stddef.h>

typedef struct nidl_builtin {
    const char *name; /* file name, "header.h.in" */
    const char *text; /* contents, NUL-terminated */
    size_t len;
} nidl_builtin_t;

extern const nidl_builtin_t nidl__builtin_templates[];
extern const size_t nidl__builtin_template_count;

#endif /* NIDL_BUILTIN_H */
