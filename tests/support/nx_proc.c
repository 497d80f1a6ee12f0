/* tests/support/nx_proc.c: see nx_proc.h. */
#define _GNU_SOURCE
#include "nx_proc.h"

#include <nexus/nexus.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *nx_proc_domain(const char *tag)
{
    static char dom[32];
    static unsigned n;
    snprintf(dom, sizeof dom, "t%d_%u_%.12s", (int)getpid(), n++, tag);
    setenv("NEXUS_DOMAIN", dom, 1);
    return dom;
}

nx_proc_t *nx_proc_start(char *const argv[])
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return NULL;
    if (pid == 0) {
        dup2(fds[1], 1);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    nx_proc_t *p = calloc(1, sizeof *p);
    p->pid = pid;
    p->out = fds[0];
    return p;
}

/* Read what is available within timeout; false on EOF or timeout. */
static bool proc_read(nx_proc_t *p, int timeout_ms)
{
    if (p->out < 0)
        return false;
    struct pollfd pf = {p->out, POLLIN, 0};
    if (poll(&pf, 1, timeout_ms) <= 0)
        return false;
    if (p->len >= sizeof p->buf - 1)
        p->len = 0; /* keep reading; tests look for recent lines */
    ssize_t n = read(p->out, p->buf + p->len, sizeof p->buf - 1 - p->len);
    if (n <= 0) {
        close(p->out);
        p->out = -1;
        return false;
    }
    p->len += (size_t)n;
    p->buf[p->len] = '\0';
    return true;
}

static bool has_line(const nx_proc_t *p, const char *line)
{
    size_t n = strlen(line);
    for (const char *s = p->buf; (s = strstr(s, line)) != NULL; s++)
        if ((s == p->buf || s[-1] == '\n') && (s[n] == '\n' || s[n] == ' '))
            return true;
    return false;
}

bool nx_proc_wait_line(nx_proc_t *p, const char *line, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    while (!has_line(p, line)) {
        long long left = end - now_ms();
        if (left <= 0)
            return false;
        if (!proc_read(p, (int)left) && p->out < 0)
            return has_line(p, line);
    }
    return true;
}

int nx_proc_wait(nx_proc_t *p, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    while (!p->reaped) {
        proc_read(p, 10);
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid) {
            p->reaped = true;
            break;
        }
        if (now_ms() > end) {
            fprintf(stderr, "nx_proc: pid %d still running after %d ms; killing it\n",
                    (int)p->pid, timeout_ms);
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &p->status, 0);
            p->reaped = true;
            while (proc_read(p, 10)) {
            }
            return -1;
        }
    }
    while (proc_read(p, 10)) {
    }
    return WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
}

int nx_proc_run(char *const argv[], int timeout_ms)
{
    nx_proc_t *p = nx_proc_start(argv);
    if (!p)
        return -1;
    int code = nx_proc_wait(p, timeout_ms);
    nx_proc_free(p);
    return code;
}

void nx_proc_signal(nx_proc_t *p, int sig)
{
    if (!p->reaped)
        kill(p->pid, sig);
}

void nx_proc_free(nx_proc_t *p)
{
    if (!p)
        return;
    if (!p->reaped) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &p->status, 0);
    }
    if (p->out >= 0)
        close(p->out);
    free(p);
}

/* Call fn(name, user) for each shared-memory object of the domain (name
 * without the leading '/'), through the public inspection API; returns
 * how many there were. */
static int proc_objects(const char *domain, void (*fn)(const char *name, void *user),
                        void *user)
{
    char **names = NULL;
    size_t count = 0;
    if (nx_domain_objects(domain, &names, &count) != NX_OK) {
        fprintf(stderr, "nx_proc: cannot list the objects of domain %s\n", domain);
        return -1;
    }
    for (size_t i = 0; i < count && fn; i++)
        fn(names[i], user);
    nx_domain_objects_free(names, count);
    return (int)count;
}

/* Remove every object of the domain, whatever state its owner is in. */
static void proc_remove_objects(const char *domain)
{
    nx_clean_opts_t opts;
    nx_clean_opts_init(&opts);
    opts.force = true;
    nx_err_t err = nx_domain_cleanup(domain, &opts, NULL);
    if (err != NX_OK)
        fprintf(stderr, "nx_proc: cleaning domain %s: %s\n", domain, nx_err_name(err));
}

static void report_left(const char *name, void *user)
{
    (void)user;
    fprintf(stderr, "left behind: %s\n", name);
}

int nx_proc_shm_count(const char *domain)
{
    return proc_objects(domain, report_left, NULL);
}

typedef struct count_like {
    const char *domain, *what;
    int n;
} count_like_t;

static void match_like(const char *name, void *user)
{
    count_like_t *c = user;
    /* Compare what follows "nexus.<domain>." (or the whole name, should
     * a listing ever give names without that prefix). */
    char prefix[64];
    snprintf(prefix, sizeof prefix, "nexus.%s.", c->domain);
    const char *rest =
        strncmp(name, prefix, strlen(prefix)) == 0 ? name + strlen(prefix) : name;
    c->n += strncmp(rest, c->what, strlen(c->what)) == 0;
}

int nx_proc_shm_count_like(const char *domain, const char *what)
{
    if (!what || !*what)
        return proc_objects(domain, NULL, NULL);
    count_like_t c = {domain, what, 0};
    proc_objects(domain, match_like, &c);
    return c.n;
}

void nx_proc_shm_clean(const char *domain)
{
    proc_remove_objects(domain);
}

long long nx_proc_field(const nx_proc_t *p, const char *prefix, const char *key)
{
    const char *s = p->buf;
    size_t plen = strlen(prefix);
    while ((s = strstr(s, prefix)) != NULL) {
        if (s == p->buf || s[-1] == '\n') {
            const char *eol = strchr(s, '\n');
            char k[64];
            snprintf(k, sizeof k, " %s=", key);
            const char *f = strstr(s + plen - 1, k);
            if (f && (!eol || f < eol))
                return strtoll(f + strlen(k), NULL, 10);
        }
        s += plen;
    }
    return -1;
}

static nx_proc_t *tracked[512];
static int ntracked;

nx_proc_t *nx_proc_spawn(char *const argv[])
{
    nx_proc_t *p = nx_proc_start(argv);
    if (!p || ntracked >= 512) {
        fprintf(stderr, "nx_proc: cannot start %s\n", argv[0]);
        abort();
    }
    tracked[ntracked++] = p;
    return p;
}

int nx_proc_finish(const char *domain)
{
    for (int i = 0; i < ntracked; i++)
        nx_proc_free(tracked[i]);
    ntracked = 0;
    int left = domain ? nx_proc_shm_count(domain) : 0;
    if (domain)
        nx_proc_shm_clean(domain);
    return left;
}
