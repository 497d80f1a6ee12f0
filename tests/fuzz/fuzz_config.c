/*
 * fuzz_config.c: the YAML configuration loader on arbitrary bytes. Every
 * input either loads into a configuration that passes nx_config_validate()
 * or is refused with NX_ECONFIG and a message naming the file; nothing
 * else may happen (no crash, leak, hang, or other error code).
 *
 * Seeds: the files of tests/runtime/config. Run for 10 minutes with:
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz_config -max_total_time=600 \
 *       /tmp/corpus-config tests/runtime/config
 */
#define _GNU_SOURCE
#include <nexus/nexus.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        nx_log_set_level(NX_LOG_ERROR);
        quiet = 1;
    }
    /* The loader reads a path: give it an in-memory file. */
    int fd = memfd_create("nx-fuzz-config", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
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
    close(fd);
    return 0;
}
