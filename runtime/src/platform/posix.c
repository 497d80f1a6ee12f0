/*
 * posix.c: the platform contract (platform.h) with POSIX.1-2008 only, the
 * interfaces QNX Neutrino also offers: shm_open/mmap, robust
 * process-shared mutexes, sem_timedwait, classic fcntl record locks, kill.
 * Chosen with -Dplatform=posix; docs/porting.md compares it with linux.c
 * and says what a qnx.c must do.
 *
 * Liveness without open-file-description locks. Classic fcntl locks belong
 * to a process, not to a descriptor: closing ANY descriptor of a file drops
 * all of the process's locks on it, and F_GETLK never reports the caller's
 * own locks. The runtime opens and closes its own segments freely (a node
 * checking another node of the same process, the orphan scan, a peer
 * mapping a segment), so a lock on the segment itself would vanish at the
 * first such close. Instead, every process keeps ONE descriptor, never
 * closed, on a lock file per user, "/nexus-live.UID" (a shared-memory
 * object of size 0 in the same namespace, mode 0644), and locks bytes in
 * it:
 *   - byte 1 + (inode of the object mod 2^30 - 1): "the owner of this
 *     object lives" (nx__plat_live_lock); a checker finds the file from the
 *     object's owner uid (fstat) and asks with F_GETLK;
 *   - byte 2^30 + R, R random per process: the process's incarnation,
 *     which is what nx__plat_proc_start_time() returns for itself
 *     (uid << 32 | tag | R). nx__plat_proc_alive(pid, start) asks the
 *     file of uid for byte R and checks that pid holds it: a recycled pid
 *     does not, so pid reuse is told apart without /proc.
 * Checks about this process's own objects are answered from a table (its
 * own locks are invisible to F_GETLK). The table is per process: a forked
 * child starts empty with a new incarnation, as it holds no locks.
 * Unlinking an object through nx__plat_shm_unlink() releases its byte.
 * The lock file itself is never removed (removing it while another process
 * holds it open would split the processes between two files): it is the
 * one object this platform leaves in the shared-memory directory. Where
 * shared-memory objects cannot be locked (QNX's /dev/shmem has no record
 * locks), build with -DNX_POSIX_LOCK_DIR='"/some/dir"' to keep the lock
 * files as regular files there (docs/porting.md).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "platform.h"
#include "shared_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef NX_POSIX_SHM_DIR
#ifdef __QNX__
#define NX_POSIX_SHM_DIR "/dev/shmem"
#else
#define NX_POSIX_SHM_DIR "/dev/shm"
#endif
#endif

/* Byte ranges in the lock file (within a 32-bit off_t). */
#define LIVE_SPAN ((off_t)0x3fffffff)  /* object bytes: 1 .. 2^30 - 1 */
#define INC_BASE  ((off_t)0x40000000)  /* incarnation bytes: 2^30 + R */
#define INC_MASK  UINT64_C(0x3fffffff) /* R: 30 random bits */
#define INC_TAG   (UINT64_C(1) << 31)  /* marks a start time made here */
#define LOCK_NAME "/nexus-live.%lu"    /* one per user id */
#define MAX_UIDS  16                   /* other users' files kept open */

uint64_t nx__plat_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void nx__plat_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
}

void nx__plat_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

/* ---- the per-process liveness state ------------------------------------------ */

typedef struct owned {
    dev_t dev;
    ino_t ino;
} owned_t;

typedef struct uid_fd {
    uid_t uid;
    int fd;
} uid_fd_t;

static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t live_pid;       /* the process this state belongs to (fork) */
static int own_fd = -1;      /* our lock file, O_RDWR, never closed */
static uint64_t incarnation; /* our start time; 0 until taken */
static owned_t *owned;       /* objects whose byte we hold */
static size_t n_owned, cap_owned;
static uid_fd_t others[MAX_UIDS]; /* other users' lock files, O_RDONLY */
static size_t n_others;

static off_t live_offset(ino_t ino)
{
    return 1 + (off_t)((uint64_t)ino % (uint64_t)LIVE_SPAN);
}

static int set_lock(int fd, short type, off_t at)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = at;
    fl.l_len = 1;
    return fcntl(fd, F_SETLK, &fl);
}

/* 1 if another process holds byte `at`, 0 if it is free, -1 on error. */
static int test_lock(int fd, off_t at)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = at;
    fl.l_len = 1;
    if (fcntl(fd, F_GETLK, &fl) != 0)
        return -1;
    return fl.l_type != F_UNLCK;
}

/* Random bits without getrandom(): /dev/urandom where there is one (Linux,
 * QNX's random service), mixed with clocks, pid and an address. */
static uint64_t random_bits(void)
{
    uint64_t r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &r, sizeof r) != (ssize_t)sizeof r)
            r = 0;
        close(fd);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_REALTIME, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    uint64_t x = r ^ (uint64_t)a.tv_nsec ^ ((uint64_t)a.tv_sec << 20) ^
                 ((uint64_t)b.tv_nsec << 30) ^ ((uint64_t)getpid() << 40) ^
                 (uint64_t)(uintptr_t)&r;
    /* splitmix64 finaliser */
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Open uid's lock file: ours read-write (created if missing), another
 * user's read-only. Refused unless that user owns it and nobody else may
 * write it. */
static int lock_file_open(uid_t uid, bool own)
{
    char name[256];
#ifdef NX_POSIX_LOCK_DIR
    /* A directory of a file system with record locks (QNX's /dev/shmem
     * has none): a regular file there. */
    snprintf(name, sizeof name, NX_POSIX_LOCK_DIR LOCK_NAME, (unsigned long)uid);
    int fd = own ? open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0644)
                 : open(name, O_RDONLY | O_CLOEXEC);
#else
    snprintf(name, sizeof name, LOCK_NAME, (unsigned long)uid);
    int fd = own ? shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0644)
                 : shm_open(name, O_RDONLY | O_CLOEXEC, 0);
#endif
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_uid != uid || (st.st_mode & 0022) ||
        (own && (st.st_mode & 0644) != 0644 && fchmod(fd, 0644) != 0)) {
        int e = errno;
        close(fd);
        errno = e ? e : EPERM;
        return -1;
    }
    return fd;
}

/* Make the state ours (after a fork the child holds no locks: it starts
 * over) and open our lock file. Called with live_mu held. */
static int state_ready(void)
{
    pid_t me = getpid();
    if (live_pid != me) {
        live_pid = me;
        incarnation = 0;
        n_owned = 0;
        /* Inherited descriptors are kept: closing them would be harmless
         * (the child holds no locks), but they may be in use elsewhere. */
    }
    if (own_fd < 0)
        own_fd = lock_file_open(geteuid(), true);
    return own_fd;
}

/* Our incarnation, taken (its byte locked) on first use. live_mu held. */
static uint64_t incarnation_get(void)
{
    if (state_ready() < 0 || incarnation) /* state_ready() first: a forked */
        return incarnation;               /* child gets its own */
    uint64_t uid = (uint64_t)geteuid() & UINT64_C(0xffffffff);
    for (int tries = 0; tries < 64; tries++) {
        uint64_t r = random_bits() & INC_MASK;
        if (set_lock(own_fd, F_WRLCK, INC_BASE + (off_t)r) == 0) {
            incarnation = uid << 32 | INC_TAG | r;
            break;
        }
        /* EAGAIN, EACCES: another live process drew the same R: draw
         * again. Anything else: no incarnation (pid only, see below). */
        if (errno != EAGAIN && errno != EACCES)
            break;
    }
    return incarnation;
}

/* The descriptor of uid's lock file, -1 if it cannot be opened. live_mu
 * held. */
static int uid_fd_get(uid_t uid)
{
    if (state_ready() >= 0 && uid == geteuid())
        return own_fd;
    for (size_t i = 0; i < n_others; i++)
        if (others[i].uid == uid)
            return others[i].fd;
    int fd = lock_file_open(uid, false);
    if (fd >= 0 && n_others < MAX_UIDS)
        others[n_others++] = (uid_fd_t){uid, fd};
    /* Past MAX_UIDS the descriptor stays open but unlisted: we hold no
     * lock on another user's file, so it could be closed, but a leak of a
     * few descriptors beats reopening on every check. */
    return fd;
}

static bool owned_find(dev_t dev, ino_t ino, size_t *at)
{
    for (size_t i = 0; i < n_owned; i++)
        if (owned[i].dev == dev && owned[i].ino == ino) {
            if (at)
                *at = i;
            return true;
        }
    return false;
}

uint64_t nx__plat_proc_start_time(pid_t pid)
{
    if (pid != getpid())
        return 0; /* POSIX cannot tell another process's start */
    pthread_mutex_lock(&live_mu);
    uint64_t inc = incarnation_get();
    pthread_mutex_unlock(&live_mu);
    /* Without a lock file: still a per-process value, compared to
     * ourselves only. */
    return inc ? inc : (uint64_t)pid;
}

bool nx__plat_proc_alive(pid_t pid, uint64_t start_time)
{
    if (pid <= 0)
        return false;
    if (pid == getpid() && start_time != 0)
        return start_time == nx__plat_proc_start_time(pid);
    bool exists = kill(pid, 0) == 0 || errno == EPERM;
    /* A zombie has exited: kill() still finds it. POSIX tells only about
     * our own children (waitid, without collecting them); another
     * process's zombie is told by its incarnation byte below, which the
     * kernel released at exit. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (exists && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        si.si_pid == pid)
        return false;
    if (!exists || start_time == 0 || !(start_time & INC_TAG))
        return exists;
    /* Does pid hold the incarnation byte of this start time? */
    pthread_mutex_lock(&live_mu);
    int fd = uid_fd_get((uid_t)(start_time >> 32));
    int held = fd >= 0 ? test_lock(fd, INC_BASE + (off_t)(start_time & INC_MASK)) : -1;
    pthread_mutex_unlock(&live_mu);
    if (held == 0)
        return false; /* the process that made this start time is gone */
    /* Held: that process lives (a chance collision of R with another
     * live process errs on the side of alive). Unknown: trust kill(). */
    return true;
}

/* ---- shared-memory objects ----------------------------------------------------- */

nx_err_t nx__plat_shm_create(const char *name, size_t size, unsigned mode, int *fd)
{
    int f = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)(mode & 0777));
    if (f < 0)
        return nx__plat_errno_err(errno);
    /* fchmod, not the umask: the configured mode is what the object gets. */
    if (fchmod(f, (mode_t)(mode & 0777)) != 0 || ftruncate(f, (off_t)size) != 0)
        goto fail;
    /* posix_fallocate is optional for shared memory: where the system
     * does not support it (EINVAL, ENOTSUP; QNX commits the memory at
     * ftruncate) the object is kept as ftruncate made it. */
    int rc = posix_fallocate(f, 0, (off_t)size);
    if (rc != 0 && rc != EINVAL && rc != ENOTSUP && rc != EOPNOTSUPP) {
        errno = rc;
        goto fail;
    }
    *fd = f;
    return NX_OK;
fail:;
    int e = errno;
    close(f);
    shm_unlink(name);
    errno = e;
    return nx__plat_errno_err(e);
}

nx_err_t nx__plat_shm_create_locked(const char *name, size_t size, unsigned mode, int *fd,
                                    void **addr)
{
    int f;
    nx_err_t err = nx__plat_shm_create(name, size, mode, &f);
    if (err != NX_OK)
        return err;
    err = nx__plat_live_lock(f);
    if (err == NX_OK)
        err = nx__plat_shm_map(f, size, addr);
    if (err != NX_OK) {
        int e = errno;
        nx__plat_shm_unlink(name); /* releases the byte if taken */
        close(f);
        errno = e;
        return err;
    }
    *fd = f;
    return NX_OK;
}

nx_err_t nx__plat_shm_unlink(const char *name)
{
    /* If we hold the object's liveness byte, release it: the inode may be
     * reused by a new object once the last mapping goes. Opening and
     * closing the object is harmless here, no lock is ever taken on it. */
    pthread_mutex_lock(&live_mu);
    if (state_ready() >= 0 && n_owned > 0) {
        int f = shm_open(name, O_RDONLY | O_CLOEXEC, 0);
        struct stat st;
        size_t at;
        if (f >= 0 && fstat(f, &st) == 0 && owned_find(st.st_dev, st.st_ino, &at)) {
            set_lock(own_fd, F_UNLCK, live_offset(st.st_ino));
            owned[at] = owned[--n_owned];
        }
        if (f >= 0)
            close(f);
    }
    pthread_mutex_unlock(&live_mu);
    if (shm_unlink(name) == 0 || errno == ENOENT)
        return NX_OK;
    return nx__plat_errno_err(errno);
}

const char *nx__plat_shm_dir(void)
{
    return NX_POSIX_SHM_DIR;
}

void nx__plat_shm_list(const char *prefix, bool (*fn)(const char *, void *), void *user)
{
    DIR *d = opendir(nx__plat_shm_dir());
    if (!d)
        return;
    size_t plen = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, plen) != 0)
            continue;
        if (!fn(e->d_name, user))
            break;
    }
    closedir(d);
}

/* ---- liveness locks ---------------------------------------------------------------- */

nx_err_t nx__plat_live_lock(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return NX_ESYS;
    if (st.st_uid != geteuid()) {
        /* Checkers look in the file of the object's owner. */
        errno = EPERM;
        return NX_EPERM;
    }
    nx_err_t err = NX_OK;
    pthread_mutex_lock(&live_mu);
    if (state_ready() < 0) {
        err = NX_ESYS;
    } else if (owned_find(st.st_dev, st.st_ino, NULL)) {
        err = NX_EBUSY; /* as a second OFD lock on the object would be */
    } else if (n_owned == cap_owned &&
               !(owned = realloc(owned, (cap_owned = cap_owned ? 2 * cap_owned : 16) *
                                            sizeof *owned))) {
        cap_owned = n_owned = 0;
        err = NX_ENOMEM;
    } else if (set_lock(own_fd, F_WRLCK, live_offset(st.st_ino)) != 0) {
        err = errno == EAGAIN || errno == EACCES ? NX_EBUSY : NX_ESYS;
    } else {
        owned[n_owned++] = (owned_t){st.st_dev, st.st_ino};
    }
    pthread_mutex_unlock(&live_mu);
    return err;
}

int nx__plat_live_lock_held(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    pthread_mutex_lock(&live_mu);
    int held;
    if (state_ready() >= 0 && owned_find(st.st_dev, st.st_ino, NULL)) {
        held = 1; /* ours: F_GETLK would not show it */
    } else {
        int lf = uid_fd_get(st.st_uid);
        held = lf >= 0 ? test_lock(lf, live_offset(st.st_ino)) : -1;
    }
    pthread_mutex_unlock(&live_mu);
    return held;
}

/* ---- semaphores ------------------------------------------------------------------ */

/* sem_timedwait() measures its deadline on CLOCK_REALTIME, which may jump.
 * The monotonic deadline is converted for at most SEM_SLICE_NS at a time
 * and checked again on every timeout, so a step of the real-time clock
 * delays a wake-up by at most one slice and never ends a wait early. */
#define SEM_SLICE_NS UINT64_C(100000000)

int nx__plat_sem_wait_until(sem_t *sem, uint64_t deadline_ns)
{
    for (;;) {
        uint64_t now = nx__plat_now_ns();
        if (now >= deadline_ns) {
            if (sem_trywait(sem) == 0)
                return 0;
            return errno == EAGAIN ? ETIMEDOUT : errno;
        }
        uint64_t wait = deadline_ns - now;
        if (wait > SEM_SLICE_NS)
            wait = SEM_SLICE_NS;
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        uint64_t ns = (uint64_t)rt.tv_nsec + wait % 1000000000u;
        rt.tv_sec += (time_t)(wait / 1000000000u + ns / 1000000000u);
        rt.tv_nsec = (long)(ns % 1000000000u);
        if (sem_timedwait(sem, &rt) == 0)
            return 0;
        if (errno != EINTR && errno != ETIMEDOUT)
            return errno;
    }
}

/* Condition-variable layouts are the C library's: say which one. */
uint32_t nx__plat_abi_tag(void)
{
    /* Liveness by lock file and random incarnation, not linux.c's OFD
     * locks and /proc start times: never in one domain with linux.c. */
    return UINT32_C(0x40000000);
}

const char *nx__plat_libc_id(void)
{
#if defined(__GLIBC__)
#define NX_STR2(x) #x
#define NX_STR(x)  NX_STR2(x)
    return "posix/glibc " NX_STR(__GLIBC__) "." NX_STR(__GLIBC_MINOR__);
#else
    return "posix/unknown";
#endif
}
