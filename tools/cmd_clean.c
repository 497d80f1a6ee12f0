/*
 * cmd_clean.c: `nexus clean`, removing what dead processes left in shared
 * memory.
 *
 * The work is nx_domain_cleanup() of <nexus/inspect.h>: without --force
 * only objects whose owner is provably gone are touched (a hung but
 * living node is never dropped), and the registry goes only when no live
 * node remains; --force unlinks every object of the domain whatever its
 * owner, after a warning. This file parses options and prints the
 * library's report. No process is ever signalled.
 */
#include "tool.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char clean_help[] =
    "Usage: nexus clean [--domain D | --all-domains] [--dry-run] [--force] [--json]\n"
    "\n"
    "Remove the shared-memory objects of the domain whose owner process is gone:\n"
    "node and large-data segments, the registry entries of dead nodes, and the\n"
    "registry itself once no live node remains. Objects of living processes are\n"
    "kept (a hung node too). No process is ever signalled.\n"
    "\n"
    "      --all-domains  clean every domain found in shared memory\n"
    "      --dry-run      only say what would be removed (no short form: -n is\n"
    "                     --count in echo and pub)\n"
    "      --force        remove EVERY object of the domain, even those of running\n"
    "                     nodes (they lose the domain), and a registry that fails\n"
    "                     validation. A warning names the running owners.\n";

typedef struct clean_opts {
    bool dry_run;
    bool force;
    bool json;
    bool first_domain;
} clean_opts_t;

/* A registry change waits at most about a second (a stopped writer's
 * lease is taken over after 200 ms); the watchdog is a last line against
 * anything else that could block clean (a hung file system). Exiting
 * while we wait is safe: nothing is changed before a change is
 * published. */
#define LOCK_WAIT_S 10

static void lock_watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "nexus clean: did not finish within 10 s (a stopped or "
                              "hung process in the domain?); gave up\n";
    ssize_t rc = write(2, msg, sizeof msg - 1);
    (void)rc;
    _exit(TOOL_ERR);
}

/* JSON list of the report's items whose action is one of a0, a1. */
static void json_list(const char *key, bool *first, const nx_clean_report_t *rep,
                      bool entries, nx_clean_action_t a0, nx_clean_action_t a1)
{
    tool_json_key(stdout, first, key);
    fputc('[', stdout);
    bool first_el = true;
    for (size_t i = 0; i < rep->item_count; i++) {
        const nx_clean_item_t *it = &rep->items[i];
        if (it->entry != entries || (it->action != a0 && it->action != a1))
            continue;
        if (!first_el)
            fputc(',', stdout);
        first_el = false;
        tool_json_str(stdout, it->what);
    }
    fputc(']', stdout);
}

static bool clean_domain(const char *domain, clean_opts_t *o)
{
    nx_clean_opts_t co;
    nx_clean_opts_init(&co);
    co.dry_run = o->dry_run;
    co.force = o->force;
    bool watch = !o->dry_run && !o->force;
    if (watch) {
        signal(SIGALRM, lock_watchdog);
        alarm(LOCK_WAIT_S);
    }
    nx_clean_report_t *rep = NULL;
    nx_err_t err = nx_domain_cleanup(domain, &co, &rep);
    if (watch)
        alarm(0);
    if (!rep) {
        tool_err("nexus clean", "domain '%s': %s", domain, nx_strerror(err));
        return false;
    }
    if (rep->force && rep->live_users && rep->item_count)
        fprintf(stderr,
                "nexus clean: warning: --force %s %zu object%s of domain '%s' "
                "that running processes use%s%s%s: those nodes keep running but lose "
                "the domain\n",
                o->dry_run ? "would remove" : "removes", rep->item_count,
                rep->item_count == 1 ? "" : "s", domain, rep->live_names[0] ? " (" : "",
                rep->live_names, rep->live_names[0] ? ")" : "");
    if (o->json) {
        bool first = true;
        fputs(o->first_domain ? "{" : ",{", stdout);
        tool_json_kv_str(stdout, &first, "domain", domain);
        tool_json_kv_str(stdout, &first, "registry", nx_clean_registry_name(rep->registry));
        if (rep->problem[0])
            tool_json_kv_str(stdout, &first, "problem", rep->problem);
        json_list("removed", &first, rep, false, NX_CLEAN_REMOVED, NX_CLEAN_WOULD_REMOVE);
        json_list("kept", &first, rep, false, NX_CLEAN_KEPT, NX_CLEAN_FAILED);
        json_list("entries_dropped", &first, rep, true, NX_CLEAN_DROPPED,
                  NX_CLEAN_WOULD_DROP);
        tool_json_kv_bool(stdout, &first, "ok", rep->ok);
        fputc('}', stdout);
    } else {
        tool_table_t lines;
        tool_table_init(&lines, 2);
        for (size_t i = 0; i < rep->item_count; i++) {
            const nx_clean_item_t *it = &rep->items[i];
            tool_table_cell(&lines, "%s", nx_clean_action_name(it->action));
            const char *r = it->reason;
            if (it->entry)
                tool_table_cell(&lines, "registry entry '%s'%s%s%s", it->what,
                                r[0] ? " (" : "", r, r[0] ? ")" : "");
            else
                tool_table_cell(&lines, "%s%s%s%s", it->what, r[0] ? " (" : "", r,
                                r[0] ? ")" : "");
        }
        printf("domain '%s':%s\n", domain, rep->item_count ? "" : " nothing to clean");
        tool_table_print(&lines, stdout, "  ");
        if (rep->problem[0])
            printf("  registry problem: %s\n", rep->problem);
        if (rep->item_count)
            printf("  %s %zu object%s, kept %zu\n", o->dry_run ? "would remove" : "removed",
                   rep->removed, rep->removed == 1 ? "" : "s", rep->kept);
        tool_table_free(&lines);
    }
    o->first_domain = false;
    bool ok = rep->ok;
    nx_clean_report_free(rep);
    return ok;
}

enum { OPT_ALL = 1, OPT_DRY, OPT_FORCE };

int tool_cmd_clean(tool_ctx_t *ctx, tool_args_t *a)
{
    static const tool_opt_t opts[] = {
        {"all-domains", 0, false, OPT_ALL},
        {"dry-run", 0, false, OPT_DRY},
        {"force", 0, false, OPT_FORCE},
        {NULL, 0, false, 0},
    };
    clean_opts_t o = {false, false, false, true};
    bool all = false;
    const char *val;
    for (;;) {
        /* -n was --dry-run here once; it is --count in echo and pub. Refuse
         * it with the long name rather than guess which one was meant. */
        if (!a->only_pos && a->i < a->argc && !strcmp(a->argv[a->i], "-n"))
            return tool_usage_err(a->cmd,
                                  "'-n' is not an option of clean (it is --count in echo "
                                  "and pub); write --dry-run to only see what would be "
                                  "removed");
        int id = tool_args_next(a, opts, &val);
        if (id == TOOL_ARG_END)
            break;
        switch (id) {
        case TOOL_ARG_ERROR:
            return TOOL_USAGE;
        case TOOL_OPT_HELP:
            fputs(clean_help, stdout);
            return TOOL_OK;
        case TOOL_ARG_POSITIONAL:
            return tool_usage_err(a->cmd, "unexpected argument '%s'", val);
        case OPT_ALL:
            all = true;
            break;
        case OPT_DRY:
            o.dry_run = true;
            break;
        case OPT_FORCE:
            o.force = true;
            break;
        default:
            if (tool_apply_common(ctx, id, val) != TOOL_OK)
                return TOOL_USAGE;
        }
    }
    if (all && ctx->domain[0])
        return tool_usage_err(a->cmd, "--all-domains and --domain exclude each other");
    if (!all && tool_resolve_domain(ctx, a->cmd) != TOOL_OK)
        return TOOL_USAGE;
    o.json = ctx->json;
    /* clean reports what it does itself; the runtime's lines about reaped
     * nodes would only repeat it (-v shows them). */
    if (!ctx->verbose)
        nx_log_set_level(NX_LOG_ERROR);

    /* The domains to clean. */
    char **doms = NULL;
    size_t ndoms = 0;
    if (all) {
        if (nx_domains_list(&doms, &ndoms) != NX_OK) {
            tool_err(a->cmd, "out of memory");
            return TOOL_ERR;
        }
    } else {
        doms = malloc(sizeof *doms);
        if (doms)
            doms[0] = strdup(ctx->domain);
        if (!doms || !doms[0]) {
            free(doms);
            tool_err(a->cmd, "out of memory");
            return TOOL_ERR;
        }
        ndoms = 1;
    }

    bool ok = true;
    if (o.json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_bool(stdout, &first, "dry_run", o.dry_run);
        tool_json_kv_bool(stdout, &first, "force", o.force);
        tool_json_key(stdout, &first, "domains");
        fputc('[', stdout);
    }
    for (size_t i = 0; i < ndoms; i++)
        if (doms[i])
            ok &= clean_domain(doms[i], &o);
    if (o.json)
        fputs("]}\n", stdout);
    else if (all && ndoms == 0) {
        nx_layout_info_t li;
        nx_layout_info(&li);
        printf("no Nexus domain has objects in %s\n", li.shm_dir);
    }
    nx_domain_objects_free(doms, ndoms);
    return ok ? TOOL_OK : TOOL_ERR;
}
