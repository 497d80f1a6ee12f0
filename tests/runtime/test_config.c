/* test_config.c: defaults, a full file, and bad files with their lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nx_test.h"

#ifndef NX_TEST_CONFIG_DIR
#error "NX_TEST_CONFIG_DIR must name tests/runtime/config"
#endif

static const char *path_of(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", NX_TEST_CONFIG_DIR, name);
    return buf;
}

static void config_defaults_match_design(void **state)
{
    (void)state;
    nx_config_t c;
    memset(&c, 0xA5, sizeof c);
    nx_config_default(&c);
    assert_string_equal(c.domain, "default");
    assert_int_equal(c.node.max_inbound_queues, 32);
    assert_int_equal(c.node.queue_capacity, 256);
    assert_int_equal(c.node.message_size, 2048);
    assert_int_equal(c.node.notify, NX_NOTIFY_SEMAPHORE);
    assert_int_equal(c.node.busy_timeout_ms, 5);
    assert_int_equal(c.node.idle_timeout_ms, 50);
    assert_int_equal(c.node.idle_after_loops, 100);
    assert_int_equal(c.node.spin_before_sleep_us, 0);
    assert_int_equal(c.node.heartbeat_ms, 1000);
    assert_int_equal(c.node.heartbeat_timeout_ms, 5000);
    assert_true(c.large_data.ring_size == 64u * 1024 * 1024);
    assert_int_equal(c.shm.mode, 0600);
    assert_int_equal(c.log.level, NX_LOG_INFO);
    char msg[256];
    NX_ASSERT_OK(nx_config_validate(&c, msg, sizeof msg));
    assert_string_equal(msg, "");
}

static void config_empty_file_gives_defaults(void **state)
{
    (void)state;
    nx_config_t want, got;
    nx_config_default(&want);
    memset(&got, 0, sizeof got);
    NX_ASSERT_OK(nx_config_load(path_of("empty.yaml"), &got));
    assert_memory_equal(&want, &got, sizeof want);
}

/* sample.yaml is a copy of docs/nexus.yaml: every key at its default,
 * some written with a size suffix. */
static void config_sample_file_gives_defaults(void **state)
{
    (void)state;
    nx_config_t want, got;
    char msg[256];
    nx_config_default(&want);
    NX_ASSERT_OK(nx_config_load_msg(path_of("sample.yaml"), &got, msg, sizeof msg));
    assert_memory_equal(&want, &got, sizeof want);
}

static void config_full_file_sets_every_key(void **state)
{
    (void)state;
    nx_config_t c;
    char msg[256];
    NX_ASSERT_OK(nx_config_load_msg(path_of("full.yaml"), &c, msg, sizeof msg));
    assert_string_equal(c.domain, "plant_7");
    assert_int_equal(c.node.max_inbound_queues, 8);
    assert_int_equal(c.node.queue_capacity, 1024);
    assert_int_equal(c.node.message_size, 512);
    assert_int_equal(c.node.notify, NX_NOTIFY_CONDVAR);
    assert_int_equal(c.node.busy_timeout_ms, 2);
    assert_int_equal(c.node.idle_timeout_ms, 40);
    assert_int_equal(c.node.idle_after_loops, 10);
    assert_int_equal(c.node.spin_before_sleep_us, 20);
    assert_int_equal(c.node.heartbeat_ms, 500);
    assert_int_equal(c.node.heartbeat_timeout_ms, 1500);
    assert_true(c.large_data.ring_size == 4194304u);
    assert_int_equal(c.shm.mode, 0660); /* YAML 0660 is octal */
    assert_int_equal(c.log.level, NX_LOG_DEBUG);
}

static void config_partial_file_keeps_other_defaults(void **state)
{
    (void)state;
    nx_config_t c;
    NX_ASSERT_OK(nx_config_load(path_of("partial.yaml"), &c));
    assert_int_equal(c.node.notify, NX_NOTIFY_SPIN);
    assert_int_equal(c.node.queue_capacity, 256);
    assert_string_equal(c.domain, "default");
}

static void config_missing_file_is_econfig(void **state)
{
    (void)state;
    nx_config_t c;
    char msg[256];
    NX_ASSERT_ERR(NX_ECONFIG,
                  nx_config_load_msg(path_of("nope.yaml"), &c, msg, sizeof msg));
    assert_non_null(strstr(msg, "nope.yaml: cannot open"));
    NX_ASSERT_ERR(NX_EINVAL, nx_config_load(NULL, &c));
    NX_ASSERT_ERR(NX_EINVAL, nx_config_load(path_of("full.yaml"), NULL));
}

/* Each bad file: the error, and the exact "file:line: key..." prefix. */
static const struct bad_case {
    const char *file;
    const char *want; /* after "<path>/" */
} bad_cases[] = {
    {"bad_unknown_key.yaml",
     "bad_unknown_key.yaml:3: unknown key 'node.queue_capacty'; did you mean "
     "'queue_capacity'?"},
    {"bad_unknown_section.yaml",
     "bad_unknown_section.yaml:2: unknown key 'nodes'; did you mean 'node'?"},
    {"bad_capacity_not_pow2.yaml",
     "bad_capacity_not_pow2.yaml:2: node.queue_capacity: 100 is not a power of "
     "two in 2..65536"},
    {"bad_message_size_small.yaml",
     "bad_message_size_small.yaml:3: node.message_size: 64 must be a multiple "
     "of 64 in 128..1048576"},
    {"bad_message_size_align.yaml",
     "bad_message_size_align.yaml:2: node.message_size: 1000 must be a "
     "multiple of 64"},
    {"bad_wrong_type.yaml",
     "bad_wrong_type.yaml:2: node.max_inbound_queues: 'many' is not an unsigned integer"},
    {"bad_notify_enum.yaml",
     "bad_notify_enum.yaml:4: node.notify: 'pigeon' is not one of semaphore, condvar, spin"},
    {"bad_queues_range.yaml",
     "bad_queues_range.yaml:2: node.max_inbound_queues: 2000 is out of range "
     "(1..1024)"},
    {"bad_negative.yaml",
     "bad_negative.yaml:2: node.busy_timeout_ms: '-5' is not an unsigned integer: "
     "negative values are not allowed"},
    {"bad_duplicate.yaml",
     "bad_duplicate.yaml:3: node.queue_capacity: duplicate key (first on line 2)"},
    {"bad_syntax.yaml", "bad_syntax.yaml:3: invalid YAML: "},
    {"bad_section_scalar.yaml",
     "bad_section_scalar.yaml:2: node: must be a mapping of keys"},
    {"bad_domain.yaml", "bad_domain.yaml:1: domain: 'a/b' is not 1..31 characters"},
    {"bad_heartbeat_timeout.yaml",
     "bad_heartbeat_timeout.yaml:3: node.heartbeat_timeout_ms: 1500 must be at "
     "least twice heartbeat_ms (1000)"},
    {"bad_mode.yaml", "bad_mode.yaml:2: shm.mode: 0400 must be permission bits"},
    {"bad_log_level.yaml",
     "bad_log_level.yaml:2: log.level: 'loud' is not one of error, warn"},
    {"bad_top_list.yaml", "bad_top_list.yaml:1: the file must be a mapping"},
    {"bad_ring_size.yaml",
     "bad_ring_size.yaml:2: large_data.ring_size: 1000 is out of range"},
    {"bad_leaf_mapping.yaml",
     "bad_leaf_mapping.yaml:2: node.notify: must be a single value, not a "
     "mapping"},
    {"bad_overflow.yaml",
     "bad_overflow.yaml:2: node.queue_capacity: '99999999999999999999' is too large (at "
     "most 4294967295)"},
    /* Numbers are read strictly: digits only. */
    {"bad_trailing.yaml",
     "bad_trailing.yaml:2: node.queue_capacity: '256abc' is not an unsigned integer: "
     "'abc' after the digits"},
    {"bad_exponent.yaml",
     "bad_exponent.yaml:2: node.queue_capacity: '2.56e2' is not an unsigned integer: "
     "fractions and exponents are not accepted"},
    {"bad_fraction.yaml",
     "bad_fraction.yaml:2: node.heartbeat_ms: '100.9' is not an unsigned integer: "
     "fractions and exponents are not accepted"},
    {"bad_unit_ms.yaml",
     "bad_unit_ms.yaml:3: node.busy_timeout_ms: '250ms' is not an unsigned integer: the "
     "unit is already ms, as the key's name says; write 250"},
    {"bad_leading_zero.yaml",
     "bad_leading_zero.yaml:2: node.queue_capacity: '0256' has a leading zero; write 256 "
     "(a leading zero is refused, not read as octal)"},
    {"bad_hex.yaml",
     "bad_hex.yaml:2: node.queue_capacity: '0x100' is not a decimal integer"},
    {"bad_plus.yaml",
     "bad_plus.yaml:2: node.idle_after_loops: '+5' is not an unsigned integer: write the "
     "digits without a sign"},
    {"bad_negative_size.yaml",
     "bad_negative_size.yaml:2: large_data.ring_size: '-1' is not an unsigned integer: "
     "negative values are not allowed"},
    {"bad_overflow_u64.yaml",
     "bad_overflow_u64.yaml:2: large_data.ring_size: '99999999999999999999' is too large "
     "(at most 18446744073709551615 bytes)"},
    /* Sizes in bytes take KiB, MiB or GiB; nothing else does. */
    {"bad_size_range.yaml",
     "bad_size_range.yaml:2: node.message_size: 1073741824 must be a multiple of 64 in "
     "128..1048576"},
    {"bad_size_overflow.yaml",
     "bad_size_overflow.yaml:2: node.message_size: '4GiB' is too large (at most "
     "4294967295 bytes)"},
    {"bad_overflow_suffix.yaml",
     "bad_overflow_suffix.yaml:2: large_data.ring_size: '17179869184GiB' is too large"},
    {"bad_suffix_not_size.yaml",
     "bad_suffix_not_size.yaml:2: node.queue_capacity: '4KiB': KiB, MiB and GiB are only "
     "accepted for sizes in bytes"},
    {"bad_size_unit.yaml",
     "bad_size_unit.yaml:2: large_data.ring_size: '4MB' has an unknown unit 'MB'"},
    {"bad_mode_digit.yaml",
     "bad_mode_digit.yaml:2: shm.mode: '0680' is not an octal mode such as 0660"},
    {"bad_domain_long.yaml",
     "bad_domain_long.yaml:1: domain: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not "
     "1..31 characters"},
    /* Nesting beyond the schema's two levels is refused where it starts. */
    {"bad_nested.yaml", "bad_nested.yaml:2: node: must be a mapping of keys"},
};

static void config_bad_files_name_file_line_and_key(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        nx_config_t c, untouched;
        memset(&c, 0x5A, sizeof c);
        memcpy(&untouched, &c, sizeof c);
        char msg[512];
        const char *p = path_of(bad_cases[i].file);
        nx_err_t err = nx_config_load_msg(p, &c, msg, sizeof msg);
        if (err != NX_ECONFIG)
            fail_msg("%s: got %s (%s)", bad_cases[i].file, nx_err_name(err), msg);
        char want[600];
        snprintf(want, sizeof want, "%s/%s", NX_TEST_CONFIG_DIR, bad_cases[i].want);
        if (strncmp(msg, want, strlen(want)) != 0)
            fail_msg("%s:\n  got  '%s'\n  want '%s...'", bad_cases[i].file, msg, want);
        assert_memory_equal(&c, &untouched, sizeof c); /* out written only on success */
    }
}

static void config_sizes_take_binary_suffixes(void **state)
{
    (void)state;
    nx_config_t c;
    char msg[256];
    NX_ASSERT_OK(nx_config_load_msg(path_of("sizes.yaml"), &c, msg, sizeof msg));
    assert_int_equal(c.node.message_size, 4096);              /* 4KiB */
    assert_true(c.large_data.ring_size == UINT64_C(1) << 30); /* 1GiB */
    assert_int_equal(c.node.queue_capacity, 1024);
    assert_int_equal(c.node.spin_before_sleep_us, 0);
    assert_int_equal(c.shm.mode, 0640); /* always octal, as for chmod */
}

/* A file made at test time: pre, then unit count times, then post.
 * Returns its path (static buffer); the caller unlinks it. */
static const char *file_make(const char *pre, const char *unit, size_t count,
                             const char *post)
{
    static char path[256];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/nx-test-config.XXXXXX",
             dir && dir[0] && strlen(dir) < 200 ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    size_t unit_len = strlen(unit);
    assert_int_equal(fputs(pre, f) >= 0, 1);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(fwrite(unit, 1, unit_len, f), unit_len);
    assert_int_equal(fputs(post, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Load path, expect NX_ECONFIG with "path:<want>..." and return the CPU
 * seconds it took. Removes the file first if `made` (a file_make() one). */
static double load_refused(const char *path, const char *want, bool made)
{
    nx_config_t c;
    char msg[512];
    clock_t t0 = clock();
    nx_err_t err = nx_config_load_msg(path, &c, msg, sizeof msg);
    double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (made)
        unlink(path);
    if (err != NX_ECONFIG)
        fail_msg("%s: got %s (%s)", want, nx_err_name(err), msg);
    char full[600];
    snprintf(full, sizeof full, "%s%s", path, want);
    if (strncmp(msg, full, strlen(full)) != 0)
        fail_msg("got  '%s'\n  want '%s...'", msg, full);
    return cpu;
}

/*
 * 200,000 levels of nesting, in every shape YAML has: refused at the line
 * where the file leaves the schema, without reading the rest. libyaml's
 * cost grows with the square of the nesting, so reading it all took
 * minutes; the bound below (CPU time, generous for sanitizer builds) only
 * holds if the loader stops early.
 */
static void config_deep_nesting_is_refused_quickly(void **state)
{
    (void)state;
    static const struct {
        const char *pre, *unit, *want;
    } shapes[] = {
        {"", "[", ":1: the file must be a mapping of keys"},
        {"", "{", ":1: keys must be plain names"},
        {"", "[\n", ":1: the file must be a mapping of keys"},
        {"", "- ", ":1: the file must be a mapping of keys"},
        {"node: ", "[", ":1: node: must be a mapping of keys"},
        {"node:\n  notify: ", "{",
         ":2: node.notify: must be a single value, not a mapping"},
        {"node:\n  heartbeat_ms: ", "[ #\n",
         ":2: node.heartbeat_ms: must be a single "
         "value, not a list"},
        {"node: ", "{a: ", ":1: unknown key 'node.a'"},
    };
    const size_t depth = 200000;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const char *path = file_make(shapes[i].pre, shapes[i].unit, depth, "\n");
        char copy[256];
        snprintf(copy, sizeof copy, "%s", path);
        double cpu = load_refused(copy, shapes[i].want, true);
        if (cpu >= 2.0)
            fail_msg("shape %zu: %.2f s of CPU to refuse %zu levels", i, cpu, depth);
    }
}

/* The size limit (1 MiB) is checked before reading a regular file, and
 * while reading anything else. */
static void config_file_over_1mib_is_refused(void **state)
{
    (void)state;
    const size_t limit = 1024 * 1024;
    const char *head = "node:\n  notify: spin\n"; /* 21 bytes */
    /* Exactly the limit: comment lines of 16 bytes, then padding. */
    size_t lines = (limit - strlen(head)) / 16;
    char pad[32];
    size_t rest = limit - strlen(head) - lines * 16;
    assert_true(rest >= 2 && rest < sizeof pad);
    memset(pad, ' ', rest - 1);
    pad[0] = '#';
    pad[rest - 1] = '\n';
    pad[rest] = '\0';
    const char *path = file_make(head, "# fifteen bytes\n", lines, pad);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", path);
    nx_config_t c;
    char msg[512];
    nx_err_t err = nx_config_load_msg(copy, &c, msg, sizeof msg);
    if (err != NX_OK) {
        unlink(copy);
        fail_msg("exactly 1 MiB: %s (%s)", nx_err_name(err), msg);
    }
    assert_int_equal(c.node.notify, NX_NOTIFY_SPIN);
    /* One byte more. */
    FILE *f = fopen(copy, "ab");
    assert_non_null(f);
    assert_int_equal(fputc('\n', f), '\n');
    assert_int_equal(fclose(f), 0);
    double cpu = load_refused(copy,
                              ": the file is 1048577 bytes; a configuration file is "
                              "at most 1 MiB (1048576 bytes)",
                              true);
    assert_true(cpu < 2.0);
    /* A device has no size to check first: read until past the limit. */
    load_refused("/dev/zero", ": the file is more than 1 MiB (1048576 bytes), the limit",
                 false);
}

static void config_validate_catches_hand_filled_struct(void **state)
{
    (void)state;
    nx_config_t c;
    char msg[256];
    nx_config_default(&c);
    c.node.queue_capacity = 3;
    NX_ASSERT_ERR(NX_EINVAL, nx_config_validate(&c, msg, sizeof msg));
    assert_string_equal(msg, "node.queue_capacity: 3 is not a power of two in 2..65536");
    nx_config_default(&c);
    c.node.notify = (nx_notify_mode_t)7;
    NX_ASSERT_ERR(NX_EINVAL, nx_config_validate(&c, msg, sizeof msg));
    nx_config_default(&c);
    memset(c.domain, 'x', sizeof c.domain); /* not terminated */
    NX_ASSERT_ERR(NX_EINVAL, nx_config_validate(&c, msg, sizeof msg));
    NX_ASSERT_ERR(NX_EINVAL, nx_config_validate(NULL, NULL, 0));
    assert_string_equal(nx_notify_mode_name(NX_NOTIFY_CONDVAR), "condvar");
}

typedef struct {
    int count;
    char line[512];
} logcap_t;
static void logcap(nx_log_level_t level, const char *module, const char *line, void *user)
{
    logcap_t *c = user;
    (void)level;
    (void)module;
    c->count++;
    snprintf(c->line, sizeof c->line, "%s", line);
}

static void config_load_logs_the_error(void **state)
{
    (void)state;
    logcap_t cap = {0, ""};
    nx_log_set_hook(logcap, &cap);
    nx_config_t c;
    NX_ASSERT_ERR(NX_ECONFIG, nx_config_load(path_of("bad_queues_range.yaml"), &c));
    nx_log_set_hook(NULL, NULL);
    assert_int_equal(cap.count, 1);
    assert_non_null(strstr(cap.line, "bad_queues_range.yaml:2: node.max_inbound_queues"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_defaults_match_design),
        cmocka_unit_test(config_empty_file_gives_defaults),
        cmocka_unit_test(config_sample_file_gives_defaults),
        cmocka_unit_test(config_full_file_sets_every_key),
        cmocka_unit_test(config_partial_file_keeps_other_defaults),
        cmocka_unit_test(config_missing_file_is_econfig),
        cmocka_unit_test(config_bad_files_name_file_line_and_key),
        cmocka_unit_test(config_sizes_take_binary_suffixes),
        cmocka_unit_test(config_deep_nesting_is_refused_quickly),
        cmocka_unit_test(config_file_over_1mib_is_refused),
        cmocka_unit_test(config_validate_catches_hand_filled_struct),
        cmocka_unit_test(config_load_logs_the_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
