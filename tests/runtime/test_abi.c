/*
 * test_abi.c: processes of different data models (ILP32 and LP64) never
 * share a domain. Every shared object carries the ABI word (pointer size,
 * sizes of the process-shared pthread and semaphore objects, byte order);
 * a process that finds another word refuses the object with NX_EVERSION.
 *
 * Always: a registry whose ABI word is the other data model's is refused.
 * With NX_ABI_OTHER set to this program built for the other data model
 * (tools/scripts/cross.sh builds it for i386 and sets it; optionally
 * NX_ABI_WRAPPER, an absolute path such as /usr/bin/qemu-i386-static, to
 * run it through), both ways with real processes: the other process
 * attaches to our domain, and we attach to the other's. Without it those
 * two tests are skipped.
 *
 * Modes of the program itself (used by the tests, through NEXUS_DOMAIN):
 *   test_abi --attach   create a node; print "RESULT <error name>"; exit 0
 *                       if it was refused with NX_EVERSION, 1 otherwise
 *   test_abi --hold     create a node; print "READY"; destroy it and exit 0
 *                       on SIGTERM
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nexus/nexus.h>

#include "nx_proc.h"
#include "nx_test.h"
#include "registry_impl.h"
#include "shm_layout.h"

/* ---- the modes run by the other data model --------------------------- */

static int mode_attach(void)
{
    nx_node_t *n = NULL;
    nx_err_t err = nx_node_create("abi_attach", NULL, &n);
    printf("RESULT %s\n", nx_err_name(err));
    fflush(stdout);
    if (err == NX_OK)
        nx_node_destroy(n);
    return err == NX_EVERSION ? 0 : 1;
}

static int mode_hold(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    nx_node_t *n = NULL;
    nx_err_t err = nx_node_create("abi_hold", NULL, &n);
    if (err != NX_OK) {
        printf("FAILED %s\n", nx_err_name(err));
        return 1;
    }
    printf("READY\n");
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    nx_node_destroy(n);
    printf("DONE ok\n");
    fflush(stdout);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static const char *domain;

static int setup(void **state)
{
    (void)state;
    domain = nx_proc_domain("abi");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(nx_proc_finish(domain), 0);
    return 0;
}

/* The ABI word of the other data model: pointer and pthread/semaphore
 * sizes of glibc on i386 and on x86_64 (aarch64 has x86_64's pointer and
 * semaphore sizes, and a 48-byte mutex). */
static uint32_t other_abi_word(void)
{
    bool lp64 = sizeof(void *) == 8;
    uint32_t ptr = lp64 ? 4 : 8, mutex = lp64 ? 24 : 40, cond = 48, sem = lp64 ? 16 : 32;
    return (ptr | mutex << 8 | cond << 16 | sem << 24) ^
           (uint32_t)(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 0x80000000u);
}

static void abi_word_names_the_data_model(void **state)
{
    (void)state;
    assert_int_equal(NX_ABI_WORD & 0xff, sizeof(void *));
    assert_int_equal((NX_ABI_WORD >> 8) & 0xff, sizeof(pthread_mutex_t));
    assert_int_equal((NX_ABI_WORD >> 24) & 0x3f, sizeof(sem_t));
    assert_true(other_abi_word() != NX_ABI_WORD);
    /* The platform file is in the word too (bit 30: posix.c). */
    assert_int_equal(NX_ABI_WORD & 0x40000000u, nx__plat_abi_tag());
}

/* The shared layouts use 64-bit atomics. Where they are not lock-free
 * (some 32-bit targets), the C library emulates them with a lock table
 * private to each process: another process would not see the lock. */
static void abi_shared_atomics_are_lock_free(void **state)
{
    (void)state;
    _Atomic uint64_t a64 = 0;
    _Atomic uint32_t a32 = 0;
    assert_true(atomic_is_lock_free(&a64));
    assert_true(atomic_is_lock_free(&a32));
    assert_int_equal(ATOMIC_LLONG_LOCK_FREE, 2);
}

static void abi_registry_of_the_other_data_model_is_refused(void **state)
{
    (void)state;
    nx_registry_shm_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->hdr.magic = NX_REG_MAGIC;
    s->hdr.version = NX_LAYOUT_VERSION;
    s->hdr.abi = NX_ABI_WORD;
    s->hdr.size = sizeof *s;
    s->hdr.max_nodes = NX_REG_MAX_NODES;
    s->hdr.max_topics = NX_REG_MAX_TOPICS;
    /* Ours passes the version check (other fields may still be refused:
     * only the fields the ABI check needs are filled in). */
    assert_true(nx__registry_check(s, sizeof *s) != NX_EVERSION);
    s->hdr.abi = other_abi_word();
    assert_int_equal(nx__registry_check(s, sizeof *s), NX_EVERSION);
    /* Made by a process with the other platform file (linux.c / posix.c):
     * they judge liveness differently, so they never share a domain. */
    s->hdr.abi = NX_ABI_WORD ^ 0x40000000u;
    assert_int_equal(nx__registry_check(s, sizeof *s), NX_EVERSION);
    free(s);
}

/* argv for the other data model's build of this program, in `mode`. */
static bool other_argv(char *argv[4], const char *mode)
{
    const char *other = getenv("NX_ABI_OTHER");
    const char *wrapper = getenv("NX_ABI_WRAPPER");
    if (!other || !*other)
        return false;
    int i = 0;
    if (wrapper && *wrapper)
        argv[i++] = (char *)wrapper;
    argv[i++] = (char *)other;
    argv[i++] = (char *)mode;
    argv[i] = NULL;
    return true;
}

static void abi_other_data_model_cannot_join_our_domain(void **state)
{
    (void)state;
    char *argv[4];
    if (!other_argv(argv, "--attach")) {
        print_message("NX_ABI_OTHER is not set: no other data model to try\n");
        skip();
    }
    nx_node_t *n = NULL;
    NX_ASSERT_OK(nx_node_create("abi_self", NULL, &n));
    nx_proc_t *p = nx_proc_spawn(argv);
    int rc = nx_proc_wait(p, 120000);
    if (rc != 0 || !nx_proc_wait_line(p, "RESULT NX_EVERSION", 0))
        fail_msg("the other data model's process (exit %d) was not refused with "
                 "NX_EVERSION:\n%s",
                 rc, p->buf);
    /* Our node is unharmed: the domain still works for us. */
    nx_node_t *m = NULL;
    NX_ASSERT_OK(nx_node_create("abi_self2", NULL, &m));
    nx_node_destroy(m);
    nx_node_destroy(n);
}

static void abi_we_cannot_join_the_other_data_models_domain(void **state)
{
    (void)state;
    char *argv[4];
    if (!other_argv(argv, "--hold")) {
        print_message("NX_ABI_OTHER is not set: no other data model to try\n");
        skip();
    }
    nx_proc_t *p = nx_proc_spawn(argv);
    if (!nx_proc_wait_line(p, "READY", 120000))
        fail_msg("the other data model's process did not create its node:\n%s", p->buf);
    nx_node_t *n = NULL;
    NX_ASSERT_ERR(NX_EVERSION, nx_node_create("abi_self", NULL, &n));
    nx_proc_signal(p, SIGTERM);
    int rc = nx_proc_wait(p, 120000);
    if (rc != 0 || !nx_proc_wait_line(p, "DONE ok", 0))
        fail_msg("the other process (exit %d) did not leave cleanly:\n%s", rc, p->buf);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--attach") == 0)
        return mode_attach();
    if (argc > 1 && strcmp(argv[1], "--hold") == 0)
        return mode_hold();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(abi_word_names_the_data_model),
        cmocka_unit_test(abi_shared_atomics_are_lock_free),
        cmocka_unit_test(abi_registry_of_the_other_data_model_is_refused),
        cmocka_unit_test_setup_teardown(abi_other_data_model_cannot_join_our_domain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(abi_we_cannot_join_the_other_data_models_domain,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
