/* common.c: see common.h. */
#include "common.h"

#include <nexus/nexus.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- time, CPU --------------------------------------------------------- */

uint64_t bn_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bn_sleep_until(uint64_t t_ns)
{
    struct timespec ts = {(time_t)(t_ns / 1000000000u), (long)(t_ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

uint64_t bn_seconds_ns(double s)
{
    if (!(s > 0))
        return 0;
    if (s > BN_MAX_SECONDS)
        s = BN_MAX_SECONDS;
    return (uint64_t)(s * 1e9); /* <= 3.6e12 */
}

void bn_sleep_ns(uint64_t ns)
{
    bn_sleep_until(bn_now_ns() + ns);
}

uint64_t bn_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

int bn_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n <= 1024 ? (int)n : 1; /* CPU_SETSIZE is 1024 */
}

void bn_pin(int core)
{
    int n = bn_ncpus();
    /* 0 <= core % n < n <= 1024: fits a size_t and the CPU set. */
    size_t cpu = core >= 0 ? (size_t)(core % n) : 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        fprintf(stderr, "bench: sched_setaffinity(core %d): %s\n", core, strerror(errno));
}

void bn_precise_timers(void)
{
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

/* ---- histogram --------------------------------------------------------- */

void bn_hist_init(bn_hist_t *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

static unsigned hist_index(uint64_t v)
{
    if (v < 256)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    if (e > BN_HIST_MAX_EXP)
        return BN_HIST_BUCKETS - 1;
    unsigned shift = e - BN_HIST_SUB_BITS;
    unsigned sub = (unsigned)(v >> shift) - 128u;
    return 256u + (e - 8u) * 128u + sub;
}

static uint64_t hist_value(unsigned i)
{
    if (i < 256)
        return i;
    unsigned k = i - 256u;
    unsigned e = k / 128u + 8u;
    uint64_t sub = k % 128u + 128u;
    unsigned shift = e - BN_HIST_SUB_BITS;
    return (sub << shift) + ((UINT64_C(1) << shift) >> 1);
}

void bn_hist_add(bn_hist_t *h, uint64_t v)
{
    h->b[hist_index(v)]++;
    h->count++;
    h->sum += v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void bn_hist_merge(bn_hist_t *dst, const bn_hist_t *src)
{
    for (unsigned i = 0; i < BN_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->count && src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t bn_hist_quantile(const bn_hist_t *h, double q)
{
    if (!h->count)
        return 0;
    if (q >= 1.0)
        return h->max;
    uint64_t target = (uint64_t)ceil(q * (double)h->count);
    if (target < 1)
        target = 1;
    uint64_t cum = 0;
    for (unsigned i = 0; i < BN_HIST_BUCKETS; i++) {
        cum += h->b[i];
        if (cum >= target) {
            uint64_t v = hist_value(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

/* ---- results ----------------------------------------------------------- */

const char *bn_hist_out;

void bn_hist_dump(const bn_hist_t *h, const char *label)
{
    if (!bn_hist_out || !h->count)
        return;
    FILE *f = fopen(bn_hist_out, "a");
    if (!f) {
        fprintf(stderr, "bench: cannot append to %s\n", bn_hist_out);
        return;
    }
    fprintf(f, "# %s\n", label);
    for (unsigned i = 0; i < BN_HIST_BUCKETS; i++)
        if (h->b[i])
            fprintf(f, "b %llu %llu\n", (unsigned long long)hist_value(i),
                    (unsigned long long)h->b[i]);
    fprintf(f, "m %llu\n", (unsigned long long)h->max);
    fclose(f);
}

void bn_result(double value, const char *fmt, ...)
{
    char key[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    if (!isfinite(value))
        printf("@ %s null\n", key);
    else if (value == floor(value) && fabs(value) < 1e15)
        printf("@ %s %.0f\n", key, value);
    else
        printf("@ %s %.10g\n", key, value);
    fflush(stdout);
}

void bn_result_null(const char *fmt, ...)
{
    char key[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    printf("@ %s null\n", key);
    fflush(stdout);
}

void bn_result_latency(const char *prefix, const bn_hist_t *h, double scale)
{
    bn_result(round((double)bn_hist_quantile(h, 0.50) * scale), "%s.p50_ns", prefix);
    bn_result(round((double)bn_hist_quantile(h, 0.99) * scale), "%s.p99_ns", prefix);
    bn_result(round((double)bn_hist_quantile(h, 0.999) * scale), "%s.p999_ns", prefix);
    bn_result(round((double)h->max * scale), "%s.max_ns", prefix);
}

void bn_result_latency_null(const char *prefix)
{
    bn_result_null("%s.p50_ns", prefix);
    bn_result_null("%s.p99_ns", prefix);
    bn_result_null("%s.p999_ns", prefix);
    bn_result_null("%s.max_ns", prefix);
}

/* ---- shared memory -------------------------------------------------------- */

void *bn_shared_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "bench: mmap %zu bytes: %s\n", size, strerror(errno));
        exit(2);
    }
    return p;
}

void bn_shared_free(void *p, size_t size)
{
    if (p)
        munmap(p, size);
}

void *bn_shm_anon_file(size_t size)
{
    static unsigned seq;
    char name[64];
    snprintf(name, sizeof name, "/nxbench.%d.%u", (int)getpid(), seq++);
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) {
        fprintf(stderr, "bench: shm_open %s: %s\n", name, strerror(errno));
        exit(2);
    }
    void *p = MAP_FAILED;
    errno = EINVAL;
    if (size <= (size_t)1 << 40 && ftruncate(fd, (off_t)size) == 0) /* fits an off_t */
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int saved = errno;
    shm_unlink(name);
    close(fd);
    if (p == MAP_FAILED) {
        fprintf(stderr, "bench: map %s: %s\n", name, strerror(saved));
        exit(2);
    }
    return p;
}

/* ---- roles as processes ---------------------------------------------------- */

#define MAX_CHILDREN 32
static volatile pid_t g_children[MAX_CHILDREN];
static volatile sig_atomic_t g_interrupted;
static bool g_handlers;

static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (g_children[i] > 0)
            kill(g_children[i], SIGKILL);
}

static void install_handlers(void)
{
    if (g_handlers)
        return;
    g_handlers = true;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

bool bn_interrupted(void)
{
    return g_interrupted != 0;
}

static void child_setup(pid_t parent, int deathsig)
{
    prctl(PR_SET_PDEATHSIG, deathsig);
    if (getppid() != parent)
        _exit(3); /* the supervisor died before we got here */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

int bn_run_roles(int n, const bn_role_fn *fns, void *ctx, const int *cores,
                 unsigned timeout_s)
{
    if (n <= 0 || n > MAX_CHILDREN)
        return -1;
    install_handlers();
    if (g_interrupted)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pids[MAX_CHILDREN];
    int started = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "bench: fork: %s\n", strerror(errno));
            break;
        }
        if (pid == 0) {
            child_setup(parent, SIGKILL);
            if (cores && cores[i] >= 0)
                bn_pin(cores[i]);
            int rc = fns[i](ctx, i);
            /* exit, not _exit: libraries (iceoryx) deregister in their
             * destructors. Nothing was registered with atexit before fork. */
            exit(rc);
        }
        pids[i] = pid;
        g_children[i] = pid;
        started++;
    }
    int result = started == n ? 0 : -1;
    bool alive[MAX_CHILDREN];
    for (int i = 0; i < started; i++)
        alive[i] = true;
    int remaining = started;
    uint64_t deadline = bn_now_ns() + (uint64_t)timeout_s * 1000000000u;
    bool killed = started != n;
    while (remaining > 0) {
        for (int i = 0; i < started; i++) {
            if (!alive[i])
                continue;
            int st;
            pid_t r = waitpid(pids[i], &st, WNOHANG);
            if (r == pids[i]) {
                alive[i] = false;
                g_children[i] = 0;
                remaining--;
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                    if (!killed && !g_interrupted) {
                        if (WIFSIGNALED(st))
                            fprintf(stderr, "bench: role %d (pid %d) killed by signal %d\n",
                                    i, (int)pids[i], WTERMSIG(st));
                        else
                            fprintf(stderr, "bench: role %d (pid %d) exited with %d\n", i,
                                    (int)pids[i], WEXITSTATUS(st));
                    }
                    if (result == 0)
                        result = 1;
                }
            } else if (r < 0 && errno == ECHILD) {
                alive[i] = false;
                g_children[i] = 0;
                remaining--;
            }
        }
        if (!remaining)
            break;
        if (!killed && (g_interrupted || bn_now_ns() > deadline)) {
            if (!g_interrupted)
                fprintf(stderr, "bench: timeout after %u s, killing the roles\n",
                        timeout_s);
            for (int i = 0; i < started; i++)
                if (alive[i])
                    kill(pids[i], SIGKILL);
            killed = true;
            result = -1;
        }
        bn_sleep_ns(20000000u);
    }
    for (int i = 0; i < MAX_CHILDREN; i++)
        g_children[i] = 0;
    return result;
}

int bn_spawn(char *const argv[], const char *log_path)
{
    install_handlers();
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* SIGTERM lets the helper clean up after itself if we die. */
        child_setup(parent, SIGTERM);
        int fd =
            open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) {
            dup2(nul, 0);
            close(nul);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    g_children[MAX_CHILDREN - 1] = pid;
    return (int)pid;
}

void bn_stop(int pid, unsigned grace_ms)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    uint64_t deadline = bn_now_ns() + (uint64_t)grace_ms * 1000000u;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            break;
        if (bn_now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        bn_sleep_ns(10000000u);
    }
    if (g_children[MAX_CHILDREN - 1] == pid)
        g_children[MAX_CHILDREN - 1] = 0;
}

/* ---- Nexus domains ---------------------------------------------------------- */

static char g_domain[32];

const char *bn_domain_new(void)
{
    static unsigned seq;
    const char *tag = getenv("NXBENCH_TAG");
    char t[16];
    if (tag && tag[0] && strspn(tag, "0123456789") == strlen(tag) && strlen(tag) < 10)
        snprintf(t, sizeof t, "%s", tag);
    else
        snprintf(t, sizeof t, "%d", (int)getpid() % 10000000);
    snprintf(g_domain, sizeof g_domain, "b%s_%d_%u", t, (int)getpid() % 10000000, seq++);
    setenv("NEXUS_DOMAIN", g_domain, 1);
    return g_domain;
}

void bn_domain_cleanup(void)
{
    if (!g_domain[0])
        return;
    /*
     * Every role of the domain has exited (or was killed): remove every
     * object of the domain, whatever its state, the registry included
     * even if it fails validation.
     */
    nx_clean_opts_t opts;
    nx_clean_opts_init(&opts);
    opts.force = true;
    nx_err_t err = nx_domain_cleanup(g_domain, &opts, NULL);
    if (err != NX_OK)
        fprintf(stderr, "bench: removing domain %s: %s\n", g_domain, nx_err_name(err));
}

/* ---- options ------------------------------------------------------------------ */

const char *bn_opt_str(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

/* The value of an option as a finite number; exits on a malformed one. */
static bool opt_value(int argc, char **argv, const char *name, double *out)
{
    const char *s = bn_opt_str(argc, argv, name, NULL);
    if (!s)
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fprintf(stderr, "%s: %s: not a number: '%s'\n", bn_program.name, name, s);
        exit(2);
    }
    *out = v;
    return true;
}

double bn_opt_num(int argc, char **argv, const char *name, double def, double min,
                  double max)
{
    double v;
    if (!opt_value(argc, argv, name, &v))
        return def;
    if (!(v >= min && v <= max)) {
        fprintf(stderr, "%s: %s must be %g..%g\n", bn_program.name, name, min, max);
        exit(2);
    }
    return v;
}

uint64_t bn_opt_uint(int argc, char **argv, const char *name, uint64_t def, uint64_t min,
                     uint64_t max)
{
    double v;
    if (!opt_value(argc, argv, name, &v))
        return def;
    /* max <= 2^53, so (double)min and (double)max are exact. */
    if (!(v >= (double)min && v <= (double)max && v <= 0x1p53 && v == floor(v))) {
        fprintf(stderr, "%s: %s must be %llu..%llu\n", bn_program.name, name,
                (unsigned long long)min, (unsigned long long)max);
        exit(2);
    }
    return (uint64_t)v; /* whole, in [min, max]: exact */
}

bool bn_opt_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

bool bn_wait_flag(_Atomic uint32_t *flag, uint32_t want, unsigned timeout_ms)
{
    uint64_t deadline = bn_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (unsigned spins = 0;; spins++) {
        if (atomic_load_explicit(flag, memory_order_acquire) >= want)
            return true;
        if (bn_now_ns() > deadline)
            return false;
        if (spins < 2000)
            bn_relax();
        else
            bn_sleep_ns(100000u);
    }
}
