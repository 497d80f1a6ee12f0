/* names.c: the rules for domain, node, topic and group names. */
#include "names_impl.h"

#include <nexus/nexus.h>

#include <string.h>

/* Are the first n characters of s letters, digits, '_', '-' or one of extra? */
static bool name_chars_ok(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || (c && strchr(extra, c))))
            return false;
    }
    return true;
}

bool nx__domain_name_ok(const char *s)
{
    size_t n = s ? strnlen(s, NX_DOMAIN_NAME_MAX + 1) : 0;
    return n > 0 && n <= NX_DOMAIN_NAME_MAX && name_chars_ok(s, n, "");
}

bool nx__node_name_ok(const char *s)
{
    size_t n = s ? strnlen(s, NX_NODE_NAME_MAX + 1) : 0;
    return n > 0 && n <= NX_NODE_NAME_MAX && strcmp(s, ".") != 0 && !strstr(s, "..") &&
           name_chars_ok(s, n, ".");
}

bool nx__topic_name_ok(const char *s, bool allow_empty)
{
    size_t n = s ? strnlen(s, NX_TOPIC_NAME_MAX + 1) : 0;
    return s && n <= NX_TOPIC_NAME_MAX && (n > 0 || allow_empty) &&
           name_chars_ok(s, n, "/.");
}
