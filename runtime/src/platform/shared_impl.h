/*
 * shared_impl.h: helpers of platform/shared.c for the platform files.
 */
#ifndef NX_PLATFORM_SHARED_IMPL_H
#define NX_PLATFORM_SHARED_IMPL_H

#include <nexus/err.h>

/* errno of a failed call as an nx_err_t (EEXIST -> NX_EEXIST, ENOENT ->
 * NX_ENOTFOUND, EACCES/EPERM -> NX_EPERM, ENOSPC/EFBIG -> NX_ENOSPC,
 * ENOMEM -> NX_ENOMEM, EINVAL/ENAMETOOLONG -> NX_EINVAL, else NX_ESYS). */
nx_err_t nx__plat_errno_err(int e);

#endif /* NX_PLATFORM_SHARED_IMPL_H */
