/*
 * cmd_clean.c: `nexus clean`, removing what dead processes left in shared
 * memory.
 *
 * Without --force only objects whose owner is provably gone are touched,
 * with the runtime's own functions: nx__registry_reap() (with an infinite
 * heartbeat timeout, so a hung but living node is never dropped) for the
 * node table, nx__orphans_remove() for node and large-data segments, and
 * nx__registry_close(r, true) for the registry, which it unlinks under
 * the registry lock only when no live node remains. --force unlinks every
 * object of the domain whatever its owner, after a warning. No process is
 * ever signalled.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
    "  -n, --dry-run      only say what would be removed\n"
    "      --force        remove EVERY object of the domain, even those of running\n"
    "                     nodes (they lose the domain), and a registry that fails\n"
    "                     validation. A warning names the running owners.\n";

typedef struct clean_opts {
    bool dry_run;
    bool force;
    bool json;
    bool first_domain;
} clean_opts_t;

/* What happened to the objects of one domain. */
typedef struct clean_report {
    tool_table_t lines;       /* 2 columns: action, object + reason */
    char **removed;
    size_t nremoved;
    char **kept;
    size_t nkept;
    char **dropped;           /* registry entries */
    size_t ndropped;
    const char *registry;     /* "removed", "kept", "missing", "bad", "error" */
    char problem[320];
    bool failed;
} clean_report_t;

static void list_add(char ***list, size_t *n, const char *s)
{
    char **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l)
        return;
    *list = l;
    l[(*n)++] = strdup(s); /* NULL on failure: printed as "?" */
}

static void report_line(clean_report_t *rep, const char *action, const char *what,
                        const char *why)
{
    tool_table_cell(&rep->lines, "%s", action);
    tool_table_cell(&rep->lines, "%s%s%s%s", what, why[0] ? " (" : "", why,
                    why[0] ? ")" : "");
}

/* Is name (without '/') the registry of the domain? */
static bool is_registry_name(const char *domain, const char *name)
{
    char want[NX_SHM_NAME_MAX];
    snprintf(want, sizeof want, "nexus.%s.registry", domain);
    return strcmp(name, want) == 0;
}

/* Owner of a node or large-data segment "nexus.D.k.NAME.PID.SEQ": its pid
 * from the name, its start time from the header, the liveness lock. The
 * same rule as orphan_check() in node.c: gone when the lock is free and
 * pid + start time no longer run. */
static bool segment_owner_gone(const char *name, char kind, long *pid_out)
{
    *pid_out = 0;
    const char *dot2 = strrchr(name, '.');
    if (!dot2 || dot2 == name)
        return false;
    const char *dot1 = dot2 - 1;
    while (dot1 > name && *dot1 != '.')
        dot1--;
    long pid = strtol(dot1 + 1, NULL, 10);
    *pid_out = pid;
    char path[NX_SHM_NAME_MAX + 2];
    snprintf(path, sizeof path, "/%s", name);
    int fd = shm_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int held = nx__plat_live_lock_held(fd);
    uint64_t start = 0;
    struct stat st;
    /* The start time sits in a different place in the two layouts. */
    size_t hdr = kind == 'l' ? sizeof(nx_large_hdr_t) : sizeof(nx_seg_header_t);
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= hdr) {
        void *p = mmap(NULL, hdr, PROT_READ, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            start = kind == 'l' ? ((nx_large_hdr_t *)p)->owner_start
                                : ((nx_seg_header_t *)p)->start_time;
            munmap(p, hdr);
        }
    }
    close(fd);
    if (held == 1)
        return false;
    bool alive = pid > 0 && pid <= INT32_MAX && nx__plat_proc_alive((pid_t)pid, start);
    return held == 0 && !alive;
}

/* --force: unlink everything of the domain. */
static void clean_force(const char *domain, const clean_opts_t *o, char **names, size_t n,
                        clean_report_t *rep)
{
    /* Who still uses the domain? Named in the warning. */
    char pids[256] = "";
    size_t plen = 0;
    uint32_t live = 0;
    tool_reg_t reg;
    char why[256];
    if (tool_reg_load(domain, &reg, why, sizeof why) == TOOL_REG_OK) {
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
            const nx_reg_node_t *nd = &reg.copy->nodes[i];
            if (nd->state != NX_NODE_ALIVE || !tool_node_process_alive(domain, nd))
                continue;
            live++;
            char name[NX_NODE_NAME_MAX + 1];
            tool_sanitize(name, sizeof name, nd->name);
            int w = snprintf(pids + plen, sizeof pids - plen, "%s%s (pid %" PRIu32 ")",
                             plen ? ", " : "", name, nd->pid);
            if (w > 0 && (size_t)w < sizeof pids - plen)
                plen += (size_t)w;
        }
        tool_reg_free(&reg);
    }
    /* Segments with a running owner count too (the registry may be gone). */
    for (size_t i = 0; i < n; i++) {
        long pid;
        if (tool_segment_name_ok(domain, names[i], 'n', false) &&
            !segment_owner_gone(names[i], 'n', &pid))
            live++;
    }
    if (live && n)
        fprintf(stderr, "nexus clean: warning: --force %s %zu object%s of domain '%s' "
                "that running processes use%s%s%s: those nodes keep running but lose "
                "the domain\n", o->dry_run ? "would remove" : "removes", n,
                n == 1 ? "" : "s", domain, plen ? " (" : "", pids, plen ? ")" : "");
    rep->registry = "missing";
    for (size_t i = 0; i < n; i++) {
        char path[NX_SHM_NAME_MAX + 2];
        snprintf(path, sizeof path, "/%s", names[i]);
        bool is_reg = is_registry_name(domain, names[i]);
        if (o->dry_run) {
            report_line(rep, "would remove", path, "--force");
            list_add(&rep->removed, &rep->nremoved, path);
            if (is_reg)
                rep->registry = "removed";
            continue;
        }
        nx_err_t err = nx__plat_shm_unlink(path);
        if (err == NX_OK) {
            report_line(rep, "removed", path, "--force");
            list_add(&rep->removed, &rep->nremoved, path);
            if (is_reg)
                rep->registry = "removed";
        } else {
            report_line(rep, "FAILED", path, strerror(errno));
            list_add(&rep->kept, &rep->nkept, path);
            rep->failed = true;
            if (is_reg)
                rep->registry = "kept";
        }
    }
}

/* The registry lock is robust against dead holders, not against a living
 * process that stopped while holding it (SIGSTOP, a debugger): clean
 * then gives up after LOCK_WAIT_S instead of hanging. Exiting while we
 * wait is safe: nothing is changed before the lock is ours. */
#define LOCK_WAIT_S 10

static void lock_watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "nexus clean: the registry lock is held by a process "
                              "that does not release it (stopped or hung?); gave up "
                              "after 10 s\n";
    ssize_t rc = write(2, msg, sizeof msg - 1);
    (void)rc;
    _exit(TOOL_ERR);
}

/* Drop registry entries of gone processes; unlink the registry when no
 * live node remains. */
static void clean_registry(const char *domain, const clean_opts_t *o, clean_report_t *rep)
{
    tool_reg_t reg;
    char why[256];
    tool_reg_status_t st = tool_reg_load(domain, &reg, why, sizeof why);
    if (st == TOOL_REG_MISSING) {
        rep->registry = "missing";
        return;
    }
    if (st != TOOL_REG_OK) {
        rep->registry = st == TOOL_REG_BAD ? "bad" : "error";
        snprintf(rep->problem, sizeof rep->problem, "%s", why);
        report_line(rep, "kept", reg.shm_name,
                    st == TOOL_REG_BAD ? "failed validation; --force removes it"
                                       : "unreadable");
        list_add(&rep->kept, &rep->nkept, reg.shm_name);
        rep->failed = true;
        return;
    }
    uint32_t live = 0;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *nd = &reg.copy->nodes[i];
        if (nd->state != NX_NODE_ALIVE)
            continue;
        if (tool_node_process_alive(domain, nd)) {
            live++;
            continue;
        }
        char what[NX_NODE_NAME_MAX + 32], reason[48];
        snprintf(what, sizeof what, "registry entry '%s'", nd->name);
        snprintf(reason, sizeof reason, "process %" PRIu32 " is gone", nd->pid);
        report_line(rep, o->dry_run ? "would drop" : "dropped", what, reason);
        list_add(&rep->dropped, &rep->ndropped, nd->name);
    }
    tool_reg_free(&reg);
    if (o->dry_run) {
        rep->registry = live ? "kept" : "removed";
        report_line(rep, live ? "kept" : "would remove", reg.shm_name,
                    live ? "live nodes use it" : "no live node left");
        if (live)
            list_add(&rep->kept, &rep->nkept, reg.shm_name);
        else
            list_add(&rep->removed, &rep->nremoved, reg.shm_name);
        return;
    }
    signal(SIGALRM, lock_watchdog);
    alarm(LOCK_WAIT_S);
    nx_registry_t *r;
    nx_err_t err = nx__registry_open(domain, 0600, &r);
    if (err != NX_OK) {
        alarm(0);
        rep->registry = "error";
        snprintf(rep->problem, sizeof rep->problem, "cannot open the registry: %s",
                 nx_strerror(err));
        report_line(rep, "kept", reg.shm_name, rep->problem);
        list_add(&rep->kept, &rep->nkept, reg.shm_name);
        rep->failed = true;
        return;
    }
    /* An infinite heartbeat timeout: only gone processes are dropped. */
    nx__registry_reap(r, nx__plat_now_ns(), UINT64_MAX, UINT32_MAX);
    nx__registry_close(r, true);
    alarm(0);
    char name[NX_SHM_NAME_MAX];
    snprintf(name, sizeof name, "nexus.%s.registry", domain);
    if (tool_shm_exists(name)) {
        rep->registry = "kept";
        report_line(rep, "kept", reg.shm_name, "live nodes use it");
        list_add(&rep->kept, &rep->nkept, reg.shm_name);
    } else {
        rep->registry = "removed";
        report_line(rep, "removed", reg.shm_name, "no live node left");
        list_add(&rep->removed, &rep->nremoved, reg.shm_name);
    }
}

/* What the scan before any removal found about each object. */
typedef struct seg_class {
    bool gone; /* a node or large-data segment whose owner is gone */
    long pid;
} seg_class_t;

/* Classify the objects before anything is removed: reaping the registry
 * may already unlink the segments of the nodes it drops. */
static seg_class_t *segments_classify(const char *domain, char **names, size_t n)
{
    seg_class_t *c = calloc(n ? n : 1, sizeof *c);
    for (size_t i = 0; c && i < n; i++) {
        char kind = tool_segment_name_ok(domain, names[i], 'n', false)   ? 'n'
                    : tool_segment_name_ok(domain, names[i], 'l', false) ? 'l'
                                                                         : 0;
        if (kind)
            c[i].gone = segment_owner_gone(names[i], kind, &c[i].pid);
    }
    return c;
}

/* Report node and large-data segments: removed (by the registry reap or
 * nx__orphans_remove()), kept, or failed. */
static void segments_report(const char *domain, const clean_opts_t *o, char **names,
                            size_t n, const seg_class_t *cls, clean_report_t *rep)
{
    for (size_t i = 0; i < n; i++) {
        char path[NX_SHM_NAME_MAX + 2], reason[64];
        snprintf(path, sizeof path, "/%s", names[i]);
        if (is_registry_name(domain, names[i]))
            continue; /* clean_registry() */
        if (!tool_segment_name_ok(domain, names[i], 0, false)) {
            report_line(rep, "kept", path, "not a Nexus object; --force removes it");
            list_add(&rep->kept, &rep->nkept, path);
            continue;
        }
        if (!cls[i].gone) {
            if (tool_shm_exists(names[i])) { /* else its node just left */
                snprintf(reason, sizeof reason, "process %ld runs", cls[i].pid);
                report_line(rep, "kept", path, reason);
                list_add(&rep->kept, &rep->nkept, path);
            }
            continue;
        }
        snprintf(reason, sizeof reason, "process %ld is gone", cls[i].pid);
        if (o->dry_run || !tool_shm_exists(names[i])) {
            report_line(rep, o->dry_run ? "would remove" : "removed", path, reason);
            list_add(&rep->removed, &rep->nremoved, path);
        } else {
            report_line(rep, "FAILED", path, "still there (another user's object?)");
            list_add(&rep->kept, &rep->nkept, path);
            rep->failed = true;
        }
    }
}

static void json_list(const char *key, bool *first, char **items, size_t n)
{
    tool_json_key(stdout, first, key);
    fputc('[', stdout);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', stdout);
        tool_json_str(stdout, items[i] ? items[i] : "?");
    }
    fputc(']', stdout);
}

static bool clean_domain(const char *domain, clean_opts_t *o)
{
    clean_report_t rep;
    memset(&rep, 0, sizeof rep);
    tool_table_init(&rep.lines, 2);
    char prefix[NX_SHM_NAME_MAX];
    snprintf(prefix, sizeof prefix, "nexus.%s.", domain);
    char **names;
    size_t n = tool_shm_names(prefix, &names);
    if (o->force) {
        clean_force(domain, o, names, n, &rep);
    } else {
        seg_class_t *cls = segments_classify(domain, names, n);
        if (!cls) {
            tool_err("nexus clean", "out of memory");
            rep.failed = true;
        } else {
            clean_registry(domain, o, &rep);
            if (!o->dry_run)
                nx__orphans_remove(domain);
            segments_report(domain, o, names, n, cls, &rep);
            free(cls);
        }
    }
    tool_names_free(names, n);

    if (o->json) {
        bool first = true;
        fputs(o->first_domain ? "{" : ",{", stdout);
        tool_json_kv_str(stdout, &first, "domain", domain);
        tool_json_kv_str(stdout, &first, "registry", rep.registry ? rep.registry : "missing");
        if (rep.problem[0])
            tool_json_kv_str(stdout, &first, "problem", rep.problem);
        json_list("removed", &first, rep.removed, rep.nremoved);
        json_list("kept", &first, rep.kept, rep.nkept);
        json_list("entries_dropped", &first, rep.dropped, rep.ndropped);
        tool_json_kv_bool(stdout, &first, "ok", !rep.failed);
        fputc('}', stdout);
    } else {
        printf("domain '%s':%s\n", domain, rep.lines.ncells ? "" : " nothing to clean");
        tool_table_print(&rep.lines, stdout, "  ");
        if (rep.problem[0])
            printf("  registry problem: %s\n", rep.problem);
        if (rep.lines.ncells)
            printf("  %s %zu object%s, kept %zu\n", o->dry_run ? "would remove" : "removed",
                   rep.nremoved, rep.nremoved == 1 ? "" : "s", rep.nkept);
    }
    o->first_domain = false;
    tool_table_free(&rep.lines);
    tool_names_free(rep.removed, rep.nremoved);
    tool_names_free(rep.kept, rep.nkept);
    tool_names_free(rep.dropped, rep.ndropped);
    return !rep.failed;
}

enum { OPT_ALL = 1, OPT_DRY, OPT_FORCE };

int tool_cmd_clean(tool_ctx_t *ctx, tool_args_t *a)
{
    static const tool_opt_t opts[] = {
        {"all-domains", 0, false, OPT_ALL},
        {"dry-run", 'n', false, OPT_DRY},
        {"force", 0, false, OPT_FORCE},
        {NULL, 0, false, 0},
    };
    clean_opts_t o = {false, false, false, true};
    bool all = false;
    const char *val;
    for (int id; (id = tool_args_next(a, opts, &val)) != TOOL_ARG_END;) {
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
        char **names;
        size_t n = tool_shm_names("nexus.", &names);
        for (size_t i = 0; i < n; i++) {
            const char *d = names[i] + 6;
            const char *dot = strchr(d, '.');
            size_t len = dot ? (size_t)(dot - d) : 0;
            char dom[NX_DOMAIN_NAME_MAX + 1];
            if (len == 0 || len > NX_DOMAIN_NAME_MAX)
                continue;
            memcpy(dom, d, len);
            dom[len] = '\0';
            if (!nx__domain_name_ok(dom) || (ndoms && strcmp(doms[ndoms - 1], dom) == 0))
                continue; /* names are sorted: a domain's objects are adjacent */
            list_add(&doms, &ndoms, dom);
        }
        tool_names_free(names, n);
    } else {
        list_add(&doms, &ndoms, ctx->domain);
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
    else if (all && ndoms == 0)
        printf("no Nexus domain has objects in %s\n", nx__plat_shm_dir());
    tool_names_free(doms, ndoms);
    return ok ? TOOL_OK : TOOL_ERR;
}
