/*
 * common.h: what every benchmark program shares: the program's commands
 * (main.c holds the one main()), validated options, clocks, CPU pinning, a
 * log-linear latency histogram, CPU accounting, a supervisor that runs the
 * measured roles as child processes (killed by pid on timeout or signal,
 * never by name), private Nexus domains that are removed afterwards, and
 * the result lines that tools/scripts/bench.sh turns into JSON:
 *
 *     @ latency.nexus_semaphore.p50_ns 5123
 *     @ large.1048576.copy_mb_s null
 *
 * Everything else a program prints is for humans.
 */
#ifndef NXBENCH_COMMON_H
#define NXBENCH_COMMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define BN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BN_PRINTF(f, a)
#endif

/* ---- the program: commands and the shared main ------------------------ */

/** One command of a program: argv[1] selects it. */
typedef struct bn_command {
    const char *name;
    /** Runs the command (argv[1] is its name); returns the exit status:
     * 0 measured, 1 the measurement failed, 2 usage error. */
    int (*run)(int argc, char **argv);
} bn_command_t;

/** What a benchmark program is: main.c does the rest (--help, the
 * command look-up, --hist, line-buffered stdout). */
typedef struct bn_program {
    const char *name;             /**< for messages, e.g. "floor_ring" */
    const char *usage;            /**< the --help text, printed as is */
    const bn_command_t *commands; /**< ends with {NULL, NULL} */
} bn_program_t;

/** Each program file defines exactly one (main.c reads it). */
extern const bn_program_t bn_program;

/* ---- time, CPU ------------------------------------------------------- */

/** CLOCK_MONOTONIC now, in ns (the clock Nexus stamps messages with). */
uint64_t bn_now_ns(void);

/** Sleep until the absolute CLOCK_MONOTONIC time t_ns. */
void bn_sleep_until(uint64_t t_ns);

/** s seconds in ns, s clamped to 0..BN_MAX_SECONDS so that it fits. */
uint64_t bn_seconds_ns(double s);

/** Sleep for ns nanoseconds. */
void bn_sleep_ns(uint64_t ns);

/** CPU time (user + system) of this process, all threads, in ns. */
uint64_t bn_cpu_ns(void);

/** A pause hint for spin loops. */
static inline void bn_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/** Online CPUs. */
int bn_ncpus(void);

/** Pin the calling process (all its future threads) to core % ncpus. */
void bn_pin(int core);

/** Shrink the timer slack so clock_nanosleep pacing is precise. */
void bn_precise_timers(void);

/* ---- histogram --------------------------------------------------------- */

/*
 * Log-linear buckets, HDR style: values below 256 ns are exact; above,
 * each power of two is split into 128 buckets (relative error < 0.8 %).
 * Up to 2^44 ns (about 4.9 hours).
 */
#define BN_HIST_SUB_BITS 7
#define BN_HIST_MAX_EXP  44
#define BN_HIST_BUCKETS  (256 + (BN_HIST_MAX_EXP - 8 + 1) * 128)

typedef struct bn_hist {
    uint64_t count, min, max, sum;
    uint64_t b[BN_HIST_BUCKETS];
} bn_hist_t;

void bn_hist_init(bn_hist_t *h);
void bn_hist_add(bn_hist_t *h, uint64_t v);
void bn_hist_merge(bn_hist_t *dst, const bn_hist_t *src);
/** Value at quantile q (0..1): the midpoint of the bucket; exact max for 1. */
uint64_t bn_hist_quantile(const bn_hist_t *h, double q);

/* ---- results ----------------------------------------------------------- */

/**
 * If set (from --hist FILE), latency reports also append the raw histogram
 * to this file, one "b <value_ns> <count>" line per non-empty bucket and a
 * final "m <max_ns>" line, so bench.sh can merge interleaved rounds.
 */
extern const char *bn_hist_out;
void bn_hist_dump(const bn_hist_t *h, const char *label);

/** Print "@ key value" (value with up to 6 significant decimals). */
void bn_result(double value, const char *fmt, ...) BN_PRINTF(2, 3);
/** Print "@ key null". */
void bn_result_null(const char *fmt, ...) BN_PRINTF(1, 2);
/** Print p50/p99/p999/max of h, each scaled by `scale` (0.5 for RTT/2). */
void bn_result_latency(const char *prefix, const bn_hist_t *h, double scale);
/** The same four keys, null. */
void bn_result_latency_null(const char *prefix);

/* ---- shared memory between the supervisor and its roles ------------------ */

/** Zeroed MAP_SHARED|MAP_ANONYMOUS memory, inherited by fork. Exits on failure. */
void *bn_shared_alloc(size_t size);
void bn_shared_free(void *p, size_t size);

/**
 * Shared memory that a role would get from shm_open (a tmpfs file, like a
 * Nexus segment): created as /nxbench.<pid>.<n>, mapped, and unlinked at
 * once, so nothing is left in /dev/shm whatever happens next.
 */
void *bn_shm_anon_file(size_t size);

/* ---- roles as processes --------------------------------------------------- */

typedef int (*bn_role_fn)(void *ctx, int index);

/**
 * Run n roles, each in a child process forked from this one (no exec) and
 * pinned to cores[i] (or not pinned if cores is NULL or cores[i] < 0).
 * Waits for all of them; after timeout_s seconds, or on SIGINT/SIGTERM,
 * kills the children (by pid) and returns -1. Returns 0 if every role
 * returned 0, else 1. Children die with the supervisor (PR_SET_PDEATHSIG).
 */
int bn_run_roles(int n, const bn_role_fn *fns, void *ctx, const int *cores,
                 unsigned timeout_s);

/** Start a helper program (iox-roudi) as a child; returns its pid or -1. */
int bn_spawn(char *const argv[], const char *log_path);
/** Stop a child started by bn_spawn: SIGTERM, wait up to grace_ms, SIGKILL. */
void bn_stop(int pid, unsigned grace_ms);

/** True once SIGINT or SIGTERM reached the supervisor. */
bool bn_interrupted(void);

/* ---- Nexus domains ------------------------------------------------------- */

/**
 * Choose a fresh private domain for the next test and export it as
 * NEXUS_DOMAIN (inherited by the roles): "b<tag>_<pid>_<n>", where tag is
 * NXBENCH_TAG (set by bench.sh to its pid) or this process's pid.
 */
const char *bn_domain_new(void);
/**
 * Remove every shared-memory object of the current domain, through the
 * runtime's public API (never by listing /dev/shm). Call it once every
 * role of the domain has exited.
 */
void bn_domain_cleanup(void);

/* ---- options --------------------------------------------------------------- */

/*
 * Options are "--name V" anywhere after the command. A value that is not a
 * number, or out of [min, max], is a usage error: the functions print
 * "<program>: --name must be min..max" and exit with status 2 (they are
 * only called before any role starts).
 */

/* Bounds of the options every program shares. Within them every figure
 * derived from the options fits the integer it is converted to: a timeout
 * in s (seconds * 8 < 2^15), a message count (rate * seconds < 2^36), a
 * duration in ns (< 2^42). */
#define BN_MAX_COUNT   100000000u /* --count, --warmup: round trips */
#define BN_MAX_SECONDS 3600.0     /* --seconds */
#define BN_MAX_RATE    10000000.0 /* --rate, msg/s */

/** Value of "--name V" in argv, or def. */
const char *bn_opt_str(int argc, char **argv, const char *name, const char *def);
/** A number in [min, max] (both finite), or def when absent. */
double bn_opt_num(int argc, char **argv, const char *name, double def, double min,
                  double max);
/** A whole number in [min, max] (max <= 2^53, exact as a double), or def. */
uint64_t bn_opt_uint(int argc, char **argv, const char *name, uint64_t def, uint64_t min,
                     uint64_t max);
bool bn_opt_flag(int argc, char **argv, const char *name);

/* ---- a process-shared wait for one event (start/stop handshakes) ---------- */

/** Spin-then-sleep until *flag >= want or timeout; true if reached. */
bool bn_wait_flag(_Atomic uint32_t *flag, uint32_t want, unsigned timeout_ms);

/** Payload written by every benchmark: sequence, timestamp, kind. */
typedef struct bn_msg {
    uint64_t seq;
    uint64_t t_ns;
    uint32_t kind; /* BN_MSG_* */
    uint32_t size;
    uint64_t extra; /* e.g. the total count in an end marker */
} bn_msg_t;

enum { BN_MSG_DATA = 1, BN_MSG_END = 2, BN_MSG_STOP = 3, BN_MSG_LAT = 4 };

#endif /* NXBENCH_COMMON_H */
