/*
 * linux.c: the platform contract (platform.h) for Linux and glibc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "platform.h"
#include "shared_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Read /proc/PID/stat: the process's state letter and start time. False
 * if there is no such entry (or it cannot be parsed). */
static bool proc_stat(pid_t pid, char *state, uint64_t *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and ')': start after the
     * last ')'. Field 3 is the state, field 22 starttime. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2])
        return false;
    *state = p[2];
    p++;
    for (int field = 3; field < 22 && *p; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return false;
    }
    *start = strtoull(p, NULL, 10);
    return true;
}

uint64_t nx__plat_proc_start_time(pid_t pid)
{
    char state;
    uint64_t start;
    return proc_stat(pid, &state, &start) ? start : 0;
}

bool nx__plat_proc_alive(pid_t pid, uint64_t start_time)
{
    if (pid <= 0)
        return false;
    char state = 0;
    uint64_t st = 0;
    if (!proc_stat(pid, &state, &st)) /* no /proc entry: exists only if kill(0) says so */
        return kill(pid, 0) == 0 || errno == EPERM;
    /* A zombie has exited: only its parent has not collected it yet. */
    if (state == 'Z' || state == 'X')
        return false;
    return start_time == 0 || st == start_time;
}

nx_err_t nx__plat_shm_create(const char *name, size_t size, unsigned mode, int *fd)
{
    int f = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)(mode & 0777));
    if (f < 0)
        return nx__plat_errno_err(errno);
    /* fchmod, not the umask: the configured mode is what the object gets. */
    if (fchmod(f, (mode_t)(mode & 0777)) != 0 || ftruncate(f, (off_t)size) != 0)
        goto fail;
    int rc = posix_fallocate(f, 0, (off_t)size);
    if (rc != 0) {
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
        close(f);
        shm_unlink(name);
        errno = e;
        return err;
    }
    *fd = f;
    return NX_OK;
}

nx_err_t nx__plat_shm_unlink(const char *name)
{
    if (shm_unlink(name) == 0 || errno == ENOENT)
        return NX_OK;
    return nx__plat_errno_err(errno);
}

const char *nx__plat_shm_dir(void)
{
    return "/dev/shm";
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

nx_err_t nx__plat_live_lock(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0)
        return errno == EAGAIN || errno == EACCES ? NX_EBUSY : NX_ESYS;
    return NX_OK;
}

int nx__plat_live_lock_held(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0)
        return -1;
    return fl.l_type != F_UNLCK;
}

int nx__plat_sem_wait_until(sem_t *sem, uint64_t deadline_ns)
{
    struct timespec ts = {(time_t)(deadline_ns / 1000000000u),
                          (long)(deadline_ns % 1000000000u)};
    for (;;) {
        if (sem_clockwait(sem, CLOCK_MONOTONIC, &ts) == 0)
            return 0;
        if (errno != EINTR)
            return errno;
    }
}

uint32_t nx__plat_abi_tag(void)
{
    return 0;
}

const char *nx__plat_libc_id(void)
{
    return gnu_get_libc_version();
}
