/* err.c: names and messages of the error codes (see nexus/err.h). */
#include <nexus/err.h>

const char *nx_strerror(nx_err_t err)
{
    switch (err) {
#define NX_ERR_MSG_(name, val, msg)                                                        \
    case NX_##name:                                                                        \
        return msg;
        NX_ERR_LIST(NX_ERR_MSG_)
#undef NX_ERR_MSG_
    }
    return "unknown error";
}

const char *nx_err_name(nx_err_t err)
{
    switch (err) {
#define NX_ERR_NAME_(name, val, msg)                                                       \
    case NX_##name:                                                                        \
        return "NX_" #name;
        NX_ERR_LIST(NX_ERR_NAME_)
#undef NX_ERR_NAME_
    }
    return "NX_E?";
}
