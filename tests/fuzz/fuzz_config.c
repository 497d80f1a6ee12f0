/*
 * fuzz_config.c: the YAML configuration loader on arbitrary bytes. Every
 * input either loads into a configuration that passes nx_config_validate()
 * or is refused with NX_ECONFIG and a message naming the file; nothing
 * else may happen (no crash, leak, hang, or other error code).
 *
 * Seeds: the files of tests/runtime/config and tests/fuzz/corpus/config.
 * Run for 10 minutes with:
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz_config -max_total_time=600 \
 *       /tmp/corpus-config tests/runtime/config tests/fuzz/corpus/config
 */
#include <nexus/nexus.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The file every input is written to: one per run, removed at exit. */
static char file_path[64];

static void file_remove(void)
{
    unlink(file_path);
}

/* Replace the file's content with data; false if that failed. */
static bool file_write(const uint8_t *data, size_t size)
{
    if (!file_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(file_path, sizeof file_path, "%s/nx-fuzz-config.XXXXXX",
                 dir && dir[0] && strlen(dir) < 32 ? dir : "/tmp");
        int fd = mkstemp(file_path);
        if (fd < 0) {
            file_path[0] = '\0';
            return false;
        }
        close(fd);
        atexit(file_remove);
    }
    FILE *f = fopen(file_path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        nx_log_set_level(NX_LOG_ERROR);
        quiet = 1;
    }
    /* The loader reads a path: give it a file (a portable one, not
     * /proc/self/fd, which only Linux has). */
    if (!file_write(data, size))
        return 0;
    const char *path = file_path;
    nx_config_t cfg;
    char msg[512];
    nx_err_t err = nx_config_load_msg(path, &cfg, msg, sizeof msg);
    if (err == NX_OK) {
        char again[256];
        if (nx_config_validate(&cfg, again, sizeof again) != NX_OK)
            abort(); /* loaded but invalid: a real bug */
    } else if (err != NX_ECONFIG || strncmp(msg, path, strlen(path)) != 0) {
        abort(); /* every refusal names the file */
    }
    return 0;
}
