/* test_log.c: level filtering, NEXUS_LOG, the hook, and the stderr sink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_impl.h"
#include "nx_test.h"

typedef struct captured {
    int count;
    nx_log_level_t level[16];
    char module[16][32];
    char line[16][256];
} captured_t;

static void capture(nx_log_level_t level, const char *module, const char *line, void *user)
{
    captured_t *c = user;
    if (c->count < 16) {
        c->level[c->count] = level;
        snprintf(c->module[c->count], sizeof c->module[0], "%s", module);
        snprintf(c->line[c->count], sizeof c->line[0], "%s", line);
    }
    c->count++;
}

static int reset(void **state)
{
    (void)state;
    unsetenv("NEXUS_LOG");
    nx__log_reset();
    return 0;
}

static void log_default_level_is_info(void **state)
{
    (void)state;
    assert_int_equal(nx_log_get_level(), NX_LOG_INFO);
    assert_true(nx_log_enabled(NX_LOG_ERROR));
    assert_true(nx_log_enabled(NX_LOG_INFO));
    assert_false(nx_log_enabled(NX_LOG_DEBUG));
}

static void log_hook_gets_enabled_lines_only(void **state)
{
    (void)state;
    captured_t c = {0};
    nx_log_set_hook(capture, &c);
    nx_log_set_level(NX_LOG_WARN);
    nx_log_write(NX_LOG_ERROR, "node", "bad %d", 1);
    nx_log_write(NX_LOG_WARN, "ring", "careful %s", "now");
    nx_log_write(NX_LOG_INFO, "node", "hidden");
    nx_log_write(NX_LOG_TRACE, "node", "hidden too");
    assert_int_equal(c.count, 2);
    assert_int_equal(c.level[0], NX_LOG_ERROR);
    assert_string_equal(c.module[0], "node");
    assert_string_equal(c.line[0], "bad 1");
    assert_int_equal(c.level[1], NX_LOG_WARN);
    assert_string_equal(c.module[1], "ring");
    assert_string_equal(c.line[1], "careful now");

    nx_log_set_level(NX_LOG_TRACE);
    NX_LOGT("x", "now %s", "visible");
    assert_int_equal(c.count, 3);
    assert_int_equal(c.level[2], NX_LOG_TRACE);
}

static int evaluated;
static int side_effect(void)
{
    return ++evaluated;
}

static void log_disabled_level_does_not_evaluate_arguments(void **state)
{
    (void)state;
    captured_t c = {0};
    nx_log_set_hook(capture, &c);
    nx_log_set_level(NX_LOG_ERROR);
    evaluated = 0;
    NX_LOGD("x", "%d", side_effect());
    assert_int_equal(evaluated, 0);
    assert_int_equal(c.count, 0);
    NX_LOGE("x", "%d", side_effect());
    assert_int_equal(evaluated, 1);
    assert_int_equal(c.count, 1);
    assert_string_equal(c.line[0], "1");
}

static void log_env_overrides_set_level(void **state)
{
    (void)state;
    captured_t c = {0};
    setenv("NEXUS_LOG", "debug", 1);
    nx__log_reset();
    nx_log_set_hook(capture, &c);
    nx_log_set_level(NX_LOG_ERROR); /* NEXUS_LOG wins */
    assert_int_equal(nx_log_get_level(), NX_LOG_DEBUG);
    nx_log_write(NX_LOG_DEBUG, "m", "seen");
    assert_int_equal(c.count, 1);
}

static void log_invalid_env_is_ignored(void **state)
{
    (void)state;
    setenv("NEXUS_LOG", "loud", 1);
    nx__log_reset();
    assert_int_equal(nx_log_get_level(), NX_LOG_INFO);
    nx_log_set_level(NX_LOG_WARN);
    assert_int_equal(nx_log_get_level(), NX_LOG_WARN);
}

static void log_level_names_round_trip(void **state)
{
    (void)state;
    for (int l = NX_LOG_ERROR; l <= NX_LOG_TRACE; l++) {
        nx_log_level_t out = (nx_log_level_t)-1;
        assert_true(nx_log_level_parse(nx_log_level_name((nx_log_level_t)l), &out));
        assert_int_equal(out, l);
    }
    nx_log_level_t keep = NX_LOG_DEBUG;
    assert_false(nx_log_level_parse("verbose", &keep));
    assert_false(nx_log_level_parse(NULL, &keep));
    assert_int_equal(keep, NX_LOG_DEBUG);
    assert_string_equal(nx_log_level_name((nx_log_level_t)9), "?");
}

static void log_long_line_is_truncated_visibly(void **state)
{
    (void)state;
    captured_t c = {0};
    nx_log_set_hook(capture, &c);
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nx_log_write(NX_LOG_ERROR, "m", "%s", big);
    assert_int_equal(c.count, 1);
    /* The capture keeps 255 bytes; the sink got 1023 with "..." at the end. */
    assert_int_equal(strlen(c.line[0]), 255);
}

static void log_default_sink_writes_stderr(void **state)
{
    (void)state;
    char path[] = "/tmp/nx_test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    nx_log_set_level(NX_LOG_INFO);
    nx_log_write(NX_LOG_WARN, "cfg", "hello %d", 7);
    nx_log_write(NX_LOG_DEBUG, "cfg", "filtered");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[512] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "warn  cfg: hello 7\n"));
    assert_null(strstr(buf, "filtered"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(log_default_level_is_info, reset),
        cmocka_unit_test_setup(log_hook_gets_enabled_lines_only, reset),
        cmocka_unit_test_setup(log_disabled_level_does_not_evaluate_arguments, reset),
        cmocka_unit_test_setup(log_env_overrides_set_level, reset),
        cmocka_unit_test_setup(log_invalid_env_is_ignored, reset),
        cmocka_unit_test_setup(log_level_names_round_trip, reset),
        cmocka_unit_test_setup(log_long_line_is_truncated_visibly, reset),
        cmocka_unit_test_setup(log_default_sink_writes_stderr, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
