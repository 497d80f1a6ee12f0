/*
 * shared.c: what every platform file built on POSIX shared memory and
 * process-shared pthread mutexes has in common (linux.c, posix.c): opening
 * and mapping an object, the rule for attaching another user's object,
 * robust mutexes, and errno turned into nx_err_t. POSIX.1-2008 only.
 * Creating and unlinking objects, liveness and waiting stay in the
 * platform file: they differ.
 */
#include "platform.h"
#include "shared_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

nx_err_t nx__plat_errno_err(int e)
{
    switch (e) {
    case EEXIST:
        return NX_EEXIST;
    case ENOENT:
        return NX_ENOTFOUND;
    case EACCES:
    case EPERM:
        return NX_EPERM;
    case ENOSPC:
    case EFBIG:
        return NX_ENOSPC;
    case ENOMEM:
        return NX_ENOMEM;
    case EINVAL:
    case ENAMETOOLONG:
        return NX_EINVAL;
    default:
        return NX_ESYS;
    }
}

/* Is gid ours: the effective group or a supplementary one? */
static bool group_is_ours(gid_t gid)
{
    if (gid == getegid())
        return true;
    gid_t groups[256];
    int n = getgroups((int)(sizeof groups / sizeof groups[0]), groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return true;
    return false;
}

/*
 * May we attach an object with these owner and permission bits? Ours,
 * always. Another user's only when it is shared with a group we belong
 * to (group read and write, as shm.mode 0660 makes it) and is not
 * writable by everybody: an object anyone could have written is never
 * trusted.
 */
static bool shm_trusted(const struct stat *st)
{
    if (st->st_uid == geteuid())
        return true;
    return (st->st_mode & 0060) == 0060 && !(st->st_mode & 0002) &&
           group_is_ours(st->st_gid);
}

nx_err_t nx__plat_shm_open(const char *name, int *fd, size_t *size)
{
    int f = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    if (f < 0)
        return nx__plat_errno_err(errno);
    struct stat st;
    if (fstat(f, &st) != 0) {
        int e = errno;
        close(f);
        return nx__plat_errno_err(e);
    }
    if (!shm_trusted(&st)) {
        close(f);
        errno = EPERM;
        return NX_EPERM;
    }
    *fd = f;
    *size = (size_t)st.st_size;
    return NX_OK;
}

nx_err_t nx__plat_shm_map(int fd, size_t size, void **addr)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return nx__plat_errno_err(errno);
    *addr = p;
    return NX_OK;
}

int nx__plat_mutex_init_robust(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    int rc = pthread_mutexattr_init(&a);
    if (rc)
        return rc;
    rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (!rc)
        rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (!rc)
        rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return rc;
}

int nx__plat_mutex_trylock_robust(pthread_mutex_t *m, bool *repaired)
{
    int rc = pthread_mutex_trylock(m);
    if (rc == EOWNERDEAD) {
        if (repaired)
            *repaired = true;
        rc = pthread_mutex_consistent(m);
    }
    return rc;
}

int nx__plat_mutex_lock_robust(pthread_mutex_t *m, bool *repaired)
{
    int rc = pthread_mutex_lock(m);
    if (rc == EOWNERDEAD) {
        /* The holder died. What the mutex guards is re-checked by the
         * caller (told through *repaired); the mutex itself is fine. */
        if (repaired)
            *repaired = true;
        rc = pthread_mutex_consistent(m);
    }
    return rc;
}
