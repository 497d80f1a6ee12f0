/*
 * main.c: the one main() of every benchmark program. Each program file
 * (bench_nexus.c, floor_ring.c, floor_uds.c, bench_iceoryx.c) defines
 * bn_program: its name, its --help text and its commands; this file does
 * what they all share:
 *
 *   prog                 the usage on stderr, exit 2
 *   prog --help | -h     the usage on stdout, exit 0 (anywhere in argv)
 *   prog UNKNOWN ...     the usage on stderr, exit 2
 *   prog COMMAND ...     stdout line-buffered (bench.sh reads it through a
 *                        pipe), --hist FILE noted, then the command runs
 *                        and its return value is the exit status.
 */
#include "common.h"

#include <stdio.h>
#include <string.h>

static const bn_command_t *command_find(const bn_program_t *p, const char *name)
{
    for (const bn_command_t *c = p->commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int main(int argc, char **argv)
{
    const bn_program_t *p = &bn_program;
    if (argc < 2 || bn_opt_flag(argc, argv, "--help") || bn_opt_flag(argc, argv, "-h")) {
        fputs(p->usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const bn_command_t *c = command_find(p, argv[1]);
    if (!c) {
        fputs(p->usage, stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    bn_hist_out = bn_opt_str(argc, argv, "--hist", NULL);
    return c->run(argc, argv);
}
