/*
 * platform.h: the porting contract. Everything that differs between Linux
 * and QNX (or another POSIX system) is behind these functions; the rest of
 * the runtime is plain POSIX.1-2008 + C11 and compiles with
 * _POSIX_C_SOURCE=200809L. meson picks one file, platform/<system>.c
 * (runtime/meson.build): linux.c for Linux; a QNX port supplies qnx.c with
 * the same functions. Only that file may use system extensions.
 *
 * All functions are thread-safe. Errors come back as nx_err_t with errno
 * preserved for the log.
 */
#ifndef NX_PLATFORM_H
#define NX_PLATFORM_H

#include <nexus/err.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest shared-memory object name we create, NUL included. */
#define NX_SHM_NAME_MAX 128

/** CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t nx__plat_now_ns(void);

/** Sleep for ns nanoseconds on CLOCK_MONOTONIC (restarts after signals). */
void nx__plat_sleep_ns(uint64_t ns);

/** A CPU hint inside spin loops (pause on x86). */
void nx__plat_cpu_relax(void);

/** The start time of a process, in a unit only compared for equality
 *  (clock ticks since boot on Linux). 0 if the process does not exist. */
uint64_t nx__plat_proc_start_time(pid_t pid);

/** True if process pid exists, runs (a zombie has exited: false) and
 *  started at start_time (0: any). */
bool nx__plat_proc_alive(pid_t pid, uint64_t start_time);

/**
 * Create a shared-memory object: O_CREAT|O_EXCL, permission bits `mode`
 * set with fchmod (the umask does not narrow them), `size` bytes reserved
 * with posix_fallocate so a full /dev/shm fails here, not with SIGBUS later.
 * @retval NX_OK *fd is the open object.
 * @retval NX_EEXIST the name exists. @retval NX_ENOSPC no room.
 * @retval NX_EPERM  no permission.  @retval NX_ESYS other failures.
 */
nx_err_t nx__plat_shm_create(const char *name, size_t size, unsigned mode, int *fd);

/**
 * Open an existing object for reading and writing. Refused unless it
 * belongs to our effective uid, or is shared with a group we belong to
 * (group read-write, as shm.mode 0660 makes it) and not writable by
 * others: any other user's object is never attached. *size is its
 * current size.
 * @retval NX_OK, NX_ENOTFOUND, NX_EPERM, NX_ESYS
 */
nx_err_t nx__plat_shm_open(const char *name, int *fd, size_t *size);

/** Map fd whole, shared, read-write. */
nx_err_t nx__plat_shm_map(int fd, size_t size, void **addr);

/**
 * Create an object as nx__plat_shm_create() does, take the liveness lock
 * on it (nx__plat_live_lock) and map it. On failure nothing is left: the
 * descriptor is closed and the name unlinked.
 */
nx_err_t nx__plat_shm_create_locked(const char *name, size_t size, unsigned mode, int *fd,
                                    void **addr);

/** Unlink a name; NX_OK also if it was already gone. */
nx_err_t nx__plat_shm_unlink(const char *name);

/**
 * Call fn(name, user) for every shared-memory object whose name starts
 * with prefix (names given without the leading '/'). Stops early if fn
 * returns false.
 */
void nx__plat_shm_list(const char *prefix, bool (*fn)(const char *name, void *user),
                       void *user);

/** Where shared-memory objects are listed ("/dev/shm" on Linux). */
const char *nx__plat_shm_dir(void);

/**
 * Liveness lock: take an exclusive lock that the kernel drops when the
 * process dies (an open-file-description lock on Linux), on fd.
 */
nx_err_t nx__plat_live_lock(int fd);

/**
 * Is the liveness lock on fd's object held by someone? Returns 1 if held
 * (owner alive), 0 if free (owner gone), -1 if it cannot be told (then
 * fall back to pid + start time).
 */
int nx__plat_live_lock_held(int fd);

/** Wait on a process-shared semaphore until CLOCK_MONOTONIC deadline
 *  (absolute ns). Returns 0 when posted, ETIMEDOUT, or another errno. */
int nx__plat_sem_wait_until(sem_t *sem, uint64_t deadline_ns);

/** What this platform file adds to the ABI word of every object (bits that
 *  differ between platform files): processes built with different
 *  platform files judge each other's liveness differently and must never
 *  share a domain. linux.c: 0. */
uint32_t nx__plat_abi_tag(void);

/** Version of the C library, for layouts that depend on it
 *  (process-shared condvars): e.g. "2.36" for glibc 2.36. Static. */
const char *nx__plat_libc_id(void);

/** Initialise a robust, process-shared mutex in shared memory (its owner's
 *  death is reported to the next locker instead of deadlocking it).
 *  Returns 0 or an errno. */
int nx__plat_mutex_init_robust(pthread_mutex_t *m);

/** Lock a mutex made by nx__plat_mutex_init_robust(). If its holder died,
 *  the mutex is made consistent again and *repaired (if not NULL) set to
 *  true: what it guards must then be checked by the caller. Returns 0, or
 *  an errno if the mutex is unusable. */
int nx__plat_mutex_lock_robust(pthread_mutex_t *m, bool *repaired);

/** Take a mutex made by nx__plat_mutex_init_robust() if it is free, as
 *  nx__plat_mutex_lock_robust() does; EBUSY (never waits) if another
 *  thread or process holds it. */
int nx__plat_mutex_trylock_robust(pthread_mutex_t *m, bool *repaired);

#endif /* NX_PLATFORM_H */
