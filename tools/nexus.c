/*
 * nexus.c: the `nexus` command-line tool: see and debug a running system.
 *
 *   nexus [--domain D] [--json] [-v] COMMAND [ARGS]
 *
 * This file holds main(): the global options, the choice of the domain
 * and the dispatch to the subcommands (cmd_*.c). Exit statuses: 0 done,
 * 1 a runtime or system condition, 2 a usage error. docs/nexus-tool.md
 * shows every command with real output.
 */
#include "tool.h"

#include <stdlib.h>
#include <string.h>

typedef struct tool_cmd {
    const char *name;
    int (*run)(tool_ctx_t *ctx, tool_args_t *a);
    const char *summary;
} tool_cmd_t;

static int cmd_version(tool_ctx_t *ctx, tool_args_t *a);
static int cmd_help(tool_ctx_t *ctx, tool_args_t *a);

static const tool_cmd_t commands[] = {
    {"domains", tool_cmd_domains, "list the domains that have a registry"},
    {"nodes", tool_cmd_nodes, "list the nodes of a domain and whether they live"},
    {"topics", tool_cmd_topics, "list the topics with their publishers and subscribers"},
    {"services", tool_cmd_services, "list the services with their types and servers"},
    {"stats", tool_cmd_stats, "show the inbound queues of nodes and their counters"},
    {"echo", tool_cmd_echo, "subscribe to a topic and print every message"},
    {"pub", tool_cmd_pub, "publish raw bytes to a topic"},
    {"clean", tool_cmd_clean, "remove shared memory left by processes that are gone"},
    {"version", cmd_version, "print the versions of the tool and of the layout"},
    {"help", cmd_help, "show the help of a command"},
};

static void usage(FILE *f)
{
    fputs("Usage: nexus [--domain D] [--json] [-v] COMMAND [ARGS]\n"
          "\n"
          "See and debug a running Nexus system.\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "Options (also accepted after the command):\n"
          "  -d, --domain D  the domain to look at (default: $NEXUS_DOMAIN, else the\n"
          "                  domain of $NEXUS_CONFIG, else \"default\")\n"
          "      --json      machine-readable output (one JSON document; echo: one\n"
          "                  object per message)\n"
          "  -v, --verbose   show the runtime's log lines (-v info, -vv debug)\n"
          "  -h, --help      show help (nexus COMMAND --help for a command)\n"
          "\n"
          "Exit status: 0 done, 1 runtime or system error, 2 usage error.\n",
          f);
}

static int cmd_version(tool_ctx_t *ctx, tool_args_t *a)
{
    const char *val;
    for (int id; (id = tool_args_next(a, NULL, &val)) != TOOL_ARG_END;) {
        if (id == TOOL_ARG_ERROR)
            return TOOL_USAGE;
        if (id == TOOL_OPT_HELP) {
            printf("Usage: nexus version [--json]\n\nPrint the versions of the tool, "
                   "of the runtime it was built with and of the shared-memory "
                   "layout it reads.\n");
            return TOOL_OK;
        }
        if (id == TOOL_ARG_POSITIONAL)
            return tool_usage_err(a->cmd, "unexpected argument '%s'", val);
        if (tool_apply_common(ctx, id, val) != TOOL_OK)
            return TOOL_USAGE;
    }
    nx_layout_info_t li;
    nx_layout_info(&li);
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "version", NX_VERSION_STRING);
        tool_json_kv_u64(stdout, &first, "layout_version", li.layout_version);
        char abi[16];
        snprintf(abi, sizeof abi, "0x%08x", (unsigned)li.abi_word);
        tool_json_kv_str(stdout, &first, "abi", abi);
        tool_json_kv_str(stdout, &first, "libc", li.libc);
        tool_json_kv_str(stdout, &first, "shm_dir", li.shm_dir);
        fputs("}\n", stdout);
    } else {
        printf("nexus %s (shared-memory layout %u, ABI word 0x%08x, C library %s, "
               "objects in %s)\n",
               NX_VERSION_STRING, (unsigned)li.layout_version, (unsigned)li.abi_word,
               li.libc, li.shm_dir);
    }
    return TOOL_OK;
}

static const tool_cmd_t *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Edit distance (insert, delete, substitute, swap two neighbours) between
 * two short words, capped: for "did you mean". */
static size_t edit_distance(const char *x, const char *y)
{
    size_t n = strlen(x), m = strlen(y);
    if (n > 31 || m > 31)
        return 99;
    size_t d[32][32];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t best = d[i - 1][j - 1] + (x[i - 1] != y[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

/* The command closest to name (a prefix of it, or at most two edits
 * away), or NULL. */
static const tool_cmd_t *suggest_command(const char *name)
{
    const tool_cmd_t *best = NULL;
    size_t best_d = 3, len = strlen(name);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        size_t d = len >= 2 && strncmp(commands[i].name, name, len) == 0
                       ? 0
                       : edit_distance(name, commands[i].name);
        if (d < best_d && d < strlen(commands[i].name)) {
            best = &commands[i];
            best_d = d;
        }
    }
    return best;
}

static int unknown_command(const char *cmd, const char *name)
{
    char shown[64];
    tool_sanitize(shown, sizeof shown, name);
    const tool_cmd_t *c = suggest_command(name);
    if (c)
        return tool_usage_err(cmd, "unknown command '%s'; did you mean '%s'?", shown,
                              c->name);
    return tool_usage_err(cmd, "unknown command '%s'", shown);
}

static int cmd_help(tool_ctx_t *ctx, tool_args_t *a)
{
    const char *val;
    const char *topic = NULL;
    for (int id; (id = tool_args_next(a, NULL, &val)) != TOOL_ARG_END;) {
        if (id == TOOL_ARG_ERROR)
            return TOOL_USAGE;
        if (id == TOOL_ARG_POSITIONAL && !topic)
            topic = val;
        else if (id == TOOL_ARG_POSITIONAL)
            return tool_usage_err(a->cmd, "unexpected argument '%s'", val);
        else if (id == TOOL_OPT_HELP)
            topic = NULL;
        else if (tool_apply_common(ctx, id, val) != TOOL_OK)
            return TOOL_USAGE;
    }
    if (!topic) {
        usage(stdout);
        return TOOL_OK;
    }
    const tool_cmd_t *c = find_command(topic);
    if (!c || c->run == cmd_help)
        return unknown_command("nexus help", topic);
    char *argv[] = {(char *)"--help", NULL};
    char name[64];
    snprintf(name, sizeof name, "nexus %s", c->name);
    tool_args_t sub = {1, argv, 0, false, name, NULL};
    return c->run(ctx, &sub);
}

int main(int argc, char **argv)
{
    tool_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    nx_log_set_hook(tool_log_hook, NULL);
    tool_apply_log_level(&ctx);

    tool_args_t a = {argc - 1, argv + 1, 0, false, "nexus", NULL};
    const tool_cmd_t *cmd = NULL;
    const char *val;
    static const tool_opt_t global_opts[] = {
        {"version", 0, false, 1},
        {NULL, 0, false, 0},
    };
    for (int id; !cmd && (id = tool_args_next(&a, global_opts, &val)) != TOOL_ARG_END;) {
        switch (id) {
        case TOOL_ARG_ERROR:
            return TOOL_USAGE;
        case TOOL_ARG_POSITIONAL:
            cmd = find_command(val);
            if (!cmd)
                return unknown_command("nexus", val);
            break;
        case TOOL_OPT_HELP:
            usage(stdout);
            return TOOL_OK;
        case 1: {
            char *vargv[] = {NULL};
            tool_args_t none = {0, vargv, 0, false, "nexus version", NULL};
            return cmd_version(&ctx, &none);
        }
        default:
            if (tool_apply_common(&ctx, id, val) != TOOL_OK)
                return TOOL_USAGE;
        }
    }
    if (!cmd) {
        fputs("nexus: no command given\n\n", stderr);
        usage(stderr);
        return TOOL_USAGE;
    }
    char name[64];
    snprintf(name, sizeof name, "nexus %s", cmd->name);
    tool_args_t sub = {a.argc, a.argv, a.i, false, name, NULL};
    int rc = cmd->run(&ctx, &sub);
    if (fflush(stdout) != 0 && rc == TOOL_OK) {
        tool_err(name, "cannot write the output");
        rc = TOOL_ERR;
    }
    return rc;
}
