/* test_config.c: defaults, a full file, and bad files with their lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

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
     "bad_negative.yaml:2: node.busy_timeout_ms: '-5' is not an unsigned integer"},
    {"bad_duplicate.yaml",
     "bad_duplicate.yaml:3: node.queue_capacity: duplicate key (first on line 2)"},
    {"bad_syntax.yaml", "bad_syntax.yaml:2: invalid YAML: "},
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
     "bad_overflow.yaml:2: node.queue_capacity: '99999999999999999999' is not an unsigned integer"},
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
        cmocka_unit_test(config_full_file_sets_every_key),
        cmocka_unit_test(config_partial_file_keeps_other_defaults),
        cmocka_unit_test(config_missing_file_is_econfig),
        cmocka_unit_test(config_bad_files_name_file_line_and_key),
        cmocka_unit_test(config_validate_catches_hand_filled_struct),
        cmocka_unit_test(config_load_logs_the_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
