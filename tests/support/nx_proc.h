/*
 * tests/support/nx_proc.h: real processes for multi-process tests.
 * Children are spawned with fork/exec, their stdout read through a pipe;
 * every test uses a domain of its own (nx_proc_domain) and checks that
 * none of its shared-memory objects is left. Nothing is ever killed by
 * name.
 */
#ifndef NX_PROC_H
#define NX_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct nx_proc {
    pid_t pid;
    int out;         /* read end of the child's stdout */
    char buf[65536]; /* everything read so far */
    size_t len;
    int status; /* waitpid status once reaped */
    bool reaped;
} nx_proc_t;

/* Make a fresh domain name for this test and export it as NEXUS_DOMAIN. */
const char *nx_proc_domain(const char *tag);

/* Start argv[0] (a path) with argv; NULL-terminated. */
nx_proc_t *nx_proc_start(char *const argv[]);

/* Read until a line equal to `line` appears, or timeout. */
bool nx_proc_wait_line(nx_proc_t *p, const char *line, int timeout_ms);

/* Wait for exit (reading output) up to timeout; SIGKILL after it. Returns
 * the exit code, or -1 if it was killed or died of a signal. */
int nx_proc_wait(nx_proc_t *p, int timeout_ms);

/* Run argv[0] (a path) with argv to its end, up to timeout_ms; returns its
 * exit code, or -1 if it could not start, was killed or died of a signal. */
int nx_proc_run(char *const argv[], int timeout_ms);

/* Send a signal to this child (never by name). */
void nx_proc_signal(nx_proc_t *p, int sig);

/* Free (kills the child first if it still runs). */
void nx_proc_free(nx_proc_t *p);

/* Number of shared-memory objects of the domain (nx_domain_objects), -1 if
 * they cannot be listed; each is named on stderr
 * as left behind (a test that expects 0 shows what it found). */
int nx_proc_shm_count(const char *domain);

/* Number of the domain's objects whose name, after "nexus.<domain>.",
 * starts with `what` (e.g. "registry", "n.alive."); NULL or "": all. */
int nx_proc_shm_count_like(const char *domain, const char *what);

/* Remove every shared-memory object of the domain (test cleanup). */
void nx_proc_shm_clean(const char *domain);

/* Start a child as nx_proc_start() and remember it (fails the test if it
 * cannot be started); nx_proc_finish() stops and frees every one. */
nx_proc_t *nx_proc_spawn(char *const argv[]);

/* The end of a test: kill and free every child nx_proc_spawn() started,
 * then remove the domain's shared-memory objects. Returns how many there were
 * (a test asserts 0: nothing may be left behind). */
int nx_proc_finish(const char *domain);

/* Find "key=" in the line starting with `prefix` and `sel` (e.g. "id=0 ");
 * returns its value or -1. */
long long nx_proc_field(const nx_proc_t *p, const char *prefix, const char *key);

#endif /* NX_PROC_H */
