/*
 * tests/idlc/run_child.h: run a program (nexus-idlc) and capture its exit
 * status, stdout and stderr, for the tests that drive the real binary.
 * Needs _POSIX_C_SOURCE >= 200809L.
 *
 * The output goes to temporary files rather than pipes, so a chatty child
 * can never block on a full pipe while the test waits for it.
 */
#ifndef IDLC_RUN_CHILD_H
#define IDLC_RUN_CHILD_H

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct run_result {
    int status; /* exit status, or 128 + signal */
    char *out;  /* stdout, NUL-terminated */
    size_t out_len;
    char *err; /* stderr */
    size_t err_len;
} run_result_t;

static inline char *spawn_slurp(int fd, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        if (cap - n < 2) {
            char *nb = realloc(buf, cap *= 2);
            if (nb == NULL) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static inline int spawn_tmpfile(void)
{
    char path[] = "/tmp/nidl-test-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* Wait for child pid, then fill *r with its status and what it wrote to
 * the files out and err (closed here). 0, or -1 if that failed. */
static inline int spawn_collect(pid_t pid, int out, int err, run_result_t *r)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->out = spawn_slurp(out, &r->out_len);
    r->err = spawn_slurp(err, &r->err_len);
    close(out);
    close(err);
    return r->out && r->err ? 0 : -1;
}

/*
 * Run argv (argv[0] is the program's path) in directory `cwd` (NULL: the
 * current one). Returns 0 and fills *r (free with run_free), or -1.
 * The test process is single-threaded, so changing directory around the
 * spawn is safe.
 */
static inline int run(char *const argv[], const char *cwd, run_result_t *r)
{
    memset(r, 0, sizeof *r);
    int out = spawn_tmpfile(), err = spawn_tmpfile();
    if (out < 0 || err < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    char here[4096];
    if (cwd != NULL && (getcwd(here, sizeof here) == NULL || chdir(cwd) != 0))
        return -1;
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (cwd != NULL && chdir(here) != 0)
        return -1;
    if (rc != 0)
        return -1;
    return spawn_collect(pid, out, err, r);
}

static inline void run_free(run_result_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

#endif /* IDLC_RUN_CHILD_H */
