/*
 * names.c: identifiers a schema may not use, because the generated C (or
 * its use from C++) would break: C and C++ keywords, and names the C
 * standard library defines as macros or types. A field called `errno` or
 * a constant called `EOF` compiles into something else entirely.
 */
#include "sema.h"

#include <string.h>

static const char *const c_keywords[] = {
    "_Alignas", "_Alignof", "_Atomic", "_BitInt", "_Bool", "_Complex", "_Decimal128",
    "_Decimal32", "_Decimal64", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert",
    "_Thread_local", "alignas", "alignof", "auto", "bool", "break", "case", "char",
    "const", "constexpr", "continue", "default", "do", "double", "else", "enum",
    "extern", "false", "float", "for", "goto", "if", "inline", "int", "long",
    "nullptr", "register", "restrict", "return", "short", "signed", "sizeof",
    "static", "static_assert", "struct", "switch", "thread_local", "true", "typedef",
    "typeof", "typeof_unqual", "union", "unsigned", "void", "volatile", "while",
    "asm", "__asm__", "__attribute__", "__extension__", "__inline", "__restrict",
    "__typeof__",
};

static const char *const cxx_keywords[] = {
    "and", "and_eq", "bitand", "bitor", "catch", "char16_t", "char32_t", "char8_t",
    "class", "co_await", "co_return", "co_yield", "compl", "concept", "const_cast",
    "consteval", "constinit", "decltype", "delete", "dynamic_cast", "explicit",
    "export", "final", "friend", "module", "mutable", "namespace", "new", "noexcept",
    "not", "not_eq", "operator", "or", "or_eq", "override", "private", "protected",
    "public", "reinterpret_cast", "requires", "static_cast", "template", "this",
    "throw", "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor",
    "xor_eq",
};

/* Macros and types of the C standard headers (and of POSIX/GNU where a
 * compiler predefines them), plus the names the generated code uses. */
static const char *const c_library[] = {
    /* <assert.h> <errno.h> <stddef.h> <stdbool.h> <stdalign.h> <stdnoreturn.h> */
    "assert", "errno", "EDOM", "EILSEQ", "ERANGE", "NULL", "offsetof", "size_t",
    "ptrdiff_t", "wchar_t", "max_align_t", "nullptr_t", "noreturn",
    "__bool_true_false_are_defined", "__alignas_is_defined", "__alignof_is_defined",
    /* <stdint.h> */
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
    "uint64_t", "intptr_t", "uintptr_t", "intmax_t", "uintmax_t", "int_least8_t",
    "int_least16_t", "int_least32_t", "int_least64_t", "uint_least8_t",
    "uint_least16_t", "uint_least32_t", "uint_least64_t", "int_fast8_t",
    "int_fast16_t", "int_fast32_t", "int_fast64_t", "uint_fast8_t", "uint_fast16_t",
    "uint_fast32_t", "uint_fast64_t", "INT8_MIN", "INT16_MIN", "INT32_MIN",
    "INT64_MIN", "INT8_MAX", "INT16_MAX", "INT32_MAX", "INT64_MAX", "UINT8_MAX",
    "UINT16_MAX", "UINT32_MAX", "UINT64_MAX", "INTPTR_MIN", "INTPTR_MAX",
    "UINTPTR_MAX", "INTMAX_MIN", "INTMAX_MAX", "UINTMAX_MAX", "PTRDIFF_MIN",
    "PTRDIFF_MAX", "SIZE_MAX", "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX", "WCHAR_MIN",
    "WCHAR_MAX", "WINT_MIN", "WINT_MAX", "INT8_C", "INT16_C", "INT32_C", "INT64_C",
    "UINT8_C", "UINT16_C", "UINT32_C", "UINT64_C", "INTMAX_C", "UINTMAX_C",
    /* <limits.h> <float.h> <math.h> */
    "CHAR_BIT", "SCHAR_MIN", "SCHAR_MAX", "UCHAR_MAX", "CHAR_MIN", "CHAR_MAX",
    "MB_LEN_MAX", "SHRT_MIN", "SHRT_MAX", "USHRT_MAX", "INT_MIN", "INT_MAX",
    "UINT_MAX", "LONG_MIN", "LONG_MAX", "ULONG_MAX", "LLONG_MIN", "LLONG_MAX",
    "ULLONG_MAX", "FLT_MAX", "FLT_MIN", "FLT_EPSILON", "DBL_MAX", "DBL_MIN",
    "DBL_EPSILON", "HUGE_VAL", "HUGE_VALF", "INFINITY", "NAN", "FP_NAN",
    "FP_INFINITE", "FP_ZERO", "FP_NORMAL", "FP_SUBNORMAL", "isnan", "isinf",
    "isfinite", "signbit", "fpclassify",
    /* <stdio.h> <stdlib.h> <stdarg.h> <setjmp.h> <signal.h> <time.h> <locale.h> */
    "EOF", "BUFSIZ", "FILENAME_MAX", "FOPEN_MAX", "L_tmpnam", "SEEK_CUR", "SEEK_END",
    "SEEK_SET", "TMP_MAX", "stdin", "stdout", "stderr", "FILE", "fpos_t",
    "EXIT_FAILURE", "EXIT_SUCCESS", "RAND_MAX", "MB_CUR_MAX", "div_t", "ldiv_t",
    "lldiv_t", "va_arg", "va_copy", "va_end", "va_start", "va_list", "setjmp",
    "jmp_buf", "SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM",
    "SIG_DFL", "SIG_ERR", "SIG_IGN", "sig_atomic_t", "CLOCKS_PER_SEC", "clock_t",
    "time_t", "LC_ALL", "LC_COLLATE", "LC_CTYPE", "LC_MONETARY", "LC_NUMERIC",
    "LC_TIME",
    /* <complex.h> <iso646.h> <stdatomic.h> <threads.h> */
    "complex", "imaginary", "I", "_Complex_I", "_Imaginary_I", "thread_local",
    "ATOMIC_VAR_INIT", "ONCE_FLAG_INIT", "TSS_DTOR_ITERATIONS",
    /* Predefined by GCC and Clang in GNU modes. */
    "linux", "unix", "i386",
};

/* Parameters and locals of the generated functions. Without a package
 * prefix a type of that name would be shadowed inside them. */
static const char *const generated_locals[] = {
    "msg", "node", "user", "info", "fn", "out", "value", "buf", "err", "typed",
};

bool nidl__generated_local(const char *name)
{
    /* Loop indices: i0, i1, ... */
    if (name[0] == 'i' && name[1] != '\0' && strspn(name + 1, "0123456789") == strlen(name + 1))
        return true;
    for (size_t i = 0; i < NIDL_ARRAY_SIZE(generated_locals); i++) {
        if (strcmp(name, generated_locals[i]) == 0)
            return true;
    }
    return false;
}

static void add_all(nidl_map_t *m, const char *const *names, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        nidl__map_put(m, names[i], strlen(names[i]), (void *)what);
}

const char *nidl__reserved_name(nidl_map_t *map, const char *name)
{
    if (map->len == 0) {
        add_all(map, c_keywords, NIDL_ARRAY_SIZE(c_keywords), "a C keyword");
        add_all(map, cxx_keywords, NIDL_ARRAY_SIZE(cxx_keywords), "a C++ keyword");
        add_all(map, c_library, NIDL_ARRAY_SIZE(c_library),
                "a name of the C standard library");
    }
    return nidl__map_get(map, name, strlen(name));
}
