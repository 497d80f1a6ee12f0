/*
 * cmd_view.c: the commands that only look: domains, nodes, topics, stats.
 * They read the registry through a private copy and node segments through
 * read-only mappings (shmview.c); they never lock or write anything.
 */
#include "tool.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HUNG_MS 5000u

static const char domains_help[] =
    "Usage: nexus domains [--json]\n"
    "\n"
    "List the domains that have objects in shared memory: for each, whether its\n"
    "registry is usable, how many of its nodes live, how many are dead (process\n"
    "gone), its topics and its number of shared-memory objects. A domain with\n"
    "objects but no registry holds leftovers that 'nexus clean' removes.\n";

static const char nodes_help[] =
    "Usage: nexus nodes [--domain D] [--hung-ms MS] [--json]\n"
    "\n"
    "List the node table of the domain's registry: name, pid, state, notify\n"
    "mode, inbound queues in use / configured, heartbeat age and segment.\n"
    "\n"
    "State: alive; hung (the process runs but its heartbeat is older than\n"
    "--hung-ms, default 5000); dead (the process is gone: 'nexus clean'\n"
    "removes what it left).\n";

static const char topics_help[] =
    "Usage: nexus topics [--domain D] [--json]\n"
    "\n"
    "List the topic table of the domain's registry: group (\"-\" for none),\n"
    "name, type name and fingerprint (\"-\" for raw topics), and the nodes that\n"
    "publish and subscribe.\n";

static const char stats_help[] =
    "Usage: nexus stats [--domain D] [--json] [NODE]\n"
    "\n"
    "For each node (or only NODE), read its segment and list its inbound queues,\n"
    "one per sending node: sender, capacity, pending, sent, received, dropped\n"
    "(queue full), rejected (failed validation) and the high-water mark.\n"
    "A sender marked (left) has closed its queue; (gone) means its process died.\n";

/* Parse arguments made of common options only, plus at most max_pos
 * positionals stored in pos[]. Returns -1 to go on, else an exit status. */
static int parse_simple(tool_ctx_t *ctx, tool_args_t *a, const tool_opt_t *specs,
                        const char *help, const char **pos, int max_pos, int *npos,
                        int (*opt_fn)(int id, const char *val, void *user), void *user)
{
    const char *val;
    *npos = 0;
    for (int id; (id = tool_args_next(a, specs, &val)) != TOOL_ARG_END;) {
        if (id == TOOL_ARG_ERROR)
            return TOOL_USAGE;
        if (id == TOOL_OPT_HELP) {
            fputs(help, stdout);
            return TOOL_OK;
        }
        if (id == TOOL_ARG_POSITIONAL) {
            if (*npos >= max_pos)
                return tool_usage_err(a->cmd, "unexpected argument '%s'", val);
            pos[(*npos)++] = val;
            continue;
        }
        if (id >= TOOL_OPT_HELP) {
            if (tool_apply_common(ctx, id, val) != TOOL_OK)
                return TOOL_USAGE;
            continue;
        }
        int rc = opt_fn ? opt_fn(id, val, user) : TOOL_USAGE;
        if (rc != -1)
            return rc;
    }
    if (tool_resolve_domain(ctx, a->cmd) != TOOL_OK)
        return TOOL_USAGE;
    return -1;
}

/* A registry that is not there: nothing runs. Not an error. */
static int report_missing(const tool_ctx_t *ctx, const char *cmd, const char *list)
{
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "domain", ctx->domain);
        tool_json_kv_bool(stdout, &first, "registry", false);
        tool_json_key(stdout, &first, list);
        fputs("[]}\n", stdout);
    } else {
        tool_err(cmd, "domain '%s' has no registry: no node runs in it", ctx->domain);
    }
    return TOOL_OK;
}

/* Load the domain's registry; returns -1 when loaded, else an exit status. */
static int load_registry(const tool_ctx_t *ctx, const char *cmd, const char *list,
                         tool_reg_t *reg)
{
    char why[256];
    tool_reg_status_t st = tool_reg_load(ctx->domain, reg, why, sizeof why);
    if (st == TOOL_REG_OK)
        return -1;
    if (st == TOOL_REG_MISSING)
        return report_missing(ctx, cmd, list);
    return tool_report_reg_problem(cmd, reg, st, why);
}

static const char *notify_name(uint32_t mode)
{
    return mode <= NX_NOTIFY_SPIN ? nx_notify_mode_name((nx_notify_mode_t)mode) : "?";
}

/* ---- domains ------------------------------------------------------------------ */

typedef struct domain_info {
    char name[NX_DOMAIN_NAME_MAX + 1];
    size_t objects;
    bool has_registry;
} domain_info_t;

int tool_cmd_domains(tool_ctx_t *ctx, tool_args_t *a)
{
    int npos;
    int rc = parse_simple(ctx, a, NULL, domains_help, NULL, 0, &npos, NULL, NULL);
    if (rc != -1)
        return rc;

    char **names;
    size_t n = tool_shm_names("nexus.", &names);
    domain_info_t *doms = calloc(n ? n : 1, sizeof *doms);
    size_t ndoms = 0;
    if (!doms) {
        tool_names_free(names, n);
        tool_err(a->cmd, "out of memory");
        return TOOL_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        const char *d = names[i] + strlen("nexus.");
        const char *dot = strchr(d, '.');
        size_t len = dot ? (size_t)(dot - d) : 0;
        if (len == 0 || len > NX_DOMAIN_NAME_MAX)
            continue;
        char dom[NX_DOMAIN_NAME_MAX + 1];
        memcpy(dom, d, len);
        dom[len] = '\0';
        if (!nx__domain_name_ok(dom))
            continue;
        size_t k = 0;
        while (k < ndoms && strcmp(doms[k].name, dom) != 0)
            k++;
        if (k == ndoms)
            memcpy(doms[ndoms++].name, dom, len + 1);
        doms[k].objects++;
        if (strcmp(dot, ".registry") == 0)
            doms[k].has_registry = true;
    }
    tool_names_free(names, n);

    tool_table_t t;
    tool_table_init(&t, 6);
    tool_table_cell(&t, "DOMAIN");
    tool_table_cell(&t, "LIVE");
    tool_table_cell(&t, "DEAD");
    tool_table_cell(&t, "TOPICS");
    tool_table_cell(&t, "OBJECTS");
    tool_table_cell(&t, "REGISTRY");
    bool first_dom = true;
    if (ctx->json)
        fputs("{\"domains\":[", stdout);
    for (size_t k = 0; k < ndoms; k++) {
        uint32_t live = 0, dead = 0, topics = 0;
        char status[320] = "ok";
        char why[256] = "";
        tool_reg_status_t st = TOOL_REG_MISSING;
        if (doms[k].has_registry) {
            tool_reg_t reg;
            st = tool_reg_load(doms[k].name, &reg, why, sizeof why);
            if (st == TOOL_REG_OK) {
                for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
                    const nx_reg_node_t *nd = &reg.copy->nodes[i];
                    if (nd->state == NX_NODE_FREE)
                        continue;
                    uint64_t age;
                    if (tool_node_liveness(doms[k].name, nd, UINT64_MAX, &age) ==
                        TOOL_NODE_DEAD)
                        dead++;
                    else
                        live++;
                }
                for (uint32_t i = 0; i < NX_REG_MAX_TOPICS; i++)
                    topics += reg.copy->topics[i].used != 0;
                tool_reg_free(&reg);
            }
        }
        const char *st_name = st == TOOL_REG_OK        ? "ok"
                              : st == TOOL_REG_MISSING ? "missing"
                              : st == TOOL_REG_BAD     ? "bad"
                                                       : "unreadable";
        if (st == TOOL_REG_MISSING)
            snprintf(status, sizeof status, "missing (leftovers: nexus clean --domain %s)",
                     doms[k].name);
        else if (st != TOOL_REG_OK)
            snprintf(status, sizeof status, "%s: %s", st_name, why);
        if (ctx->json) {
            bool first = true;
            fputs(first_dom ? "{" : ",{", stdout);
            first_dom = false;
            tool_json_kv_str(stdout, &first, "domain", doms[k].name);
            tool_json_kv_str(stdout, &first, "registry", st_name);
            if (st != TOOL_REG_OK && st != TOOL_REG_MISSING)
                tool_json_kv_str(stdout, &first, "problem", why);
            tool_json_kv_u64(stdout, &first, "live_nodes", live);
            tool_json_kv_u64(stdout, &first, "dead_nodes", dead);
            tool_json_kv_u64(stdout, &first, "topics", topics);
            tool_json_kv_u64(stdout, &first, "objects", doms[k].objects);
            fputc('}', stdout);
        } else {
            bool ok = st == TOOL_REG_OK;
            tool_table_cell(&t, "%s", doms[k].name);
            if (ok) {
                tool_table_cell(&t, "%" PRIu32, live);
                tool_table_cell(&t, "%" PRIu32, dead);
                tool_table_cell(&t, "%" PRIu32, topics);
            } else {
                for (int c = 0; c < 3; c++)
                    tool_table_cell(&t, "-");
            }
            tool_table_cell(&t, "%zu", doms[k].objects);
            tool_table_cell(&t, "%s", status);
        }
    }
    if (ctx->json)
        fputs("]}\n", stdout);
    else if (ndoms == 0)
        printf("no Nexus domain has objects in %s\n", nx__plat_shm_dir());
    else
        tool_table_print(&t, stdout, "");
    tool_table_free(&t);
    free(doms);
    return TOOL_OK;
}

/* ---- nodes ---------------------------------------------------------------------- */

enum { OPT_HUNG_MS = 1 };

static int nodes_opt(int id, const char *val, void *user)
{
    uint64_t *hung_ms = user;
    if (id == OPT_HUNG_MS && tool_parse_u64(val, 1, 3600000, hung_ms))
        return -1;
    return tool_usage_err("nexus nodes", "--hung-ms wants milliseconds (1..3600000), "
                          "not '%s'", val);
}

int tool_cmd_nodes(tool_ctx_t *ctx, tool_args_t *a)
{
    static const tool_opt_t opts[] = {
        {"hung-ms", 0, true, OPT_HUNG_MS},
        {NULL, 0, false, 0},
    };
    uint64_t hung_ms = DEFAULT_HUNG_MS;
    int npos;
    int rc = parse_simple(ctx, a, opts, nodes_help, NULL, 0, &npos, nodes_opt, &hung_ms);
    if (rc != -1)
        return rc;
    tool_reg_t reg;
    rc = load_registry(ctx, a->cmd, "nodes", &reg);
    if (rc != -1)
        return rc;

    tool_table_t t;
    tool_table_init(&t, 7);
    const char *head[] = {"NAME", "PID", "STATE", "NOTIFY", "QUEUES", "HEARTBEAT", "SEGMENT"};
    for (size_t i = 0; i < 7; i++)
        tool_table_cell(&t, "%s", head[i]);
    uint32_t counts[3] = {0, 0, 0};
    bool first_node = true;
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "domain", ctx->domain);
        tool_json_kv_bool(stdout, &first, "registry", true);
        tool_json_kv_u64(stdout, &first, "generation", reg.generation);
        tool_json_key(stdout, &first, "nodes");
        fputc('[', stdout);
    }
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *n = &reg.copy->nodes[i];
        if (n->state == NX_NODE_FREE)
            continue;
        uint64_t age;
        tool_liveness_t l = tool_node_liveness(ctx->domain, n, hung_ms * 1000000u, &age);
        counts[l]++;
        tool_seg_t seg;
        char why[256];
        bool seg_ok = tool_seg_open(ctx->domain, n->segment, n, &seg, why, sizeof why) ==
                      NX_OK;
        uint32_t used = seg_ok ? tool_seg_queues_used(&seg) : 0;
        if (seg_ok)
            tool_seg_close(&seg);
        if (ctx->json) {
            bool first = true;
            fputs(first_node ? "{" : ",{", stdout);
            first_node = false;
            tool_json_kv_u64(stdout, &first, "slot", i);
            tool_json_kv_str(stdout, &first, "name", n->name);
            tool_json_kv_u64(stdout, &first, "pid", n->pid);
            tool_json_kv_str(stdout, &first, "state", tool_liveness_name(l));
            tool_json_kv_bool(stdout, &first, "process_alive", l != TOOL_NODE_DEAD);
            tool_json_kv_str(stdout, &first, "notify", notify_name(n->notify));
            if (seg_ok)
                tool_json_kv_u64(stdout, &first, "queues_used", used);
            else
                tool_json_kv_null(stdout, &first, "queues_used");
            tool_json_kv_u64(stdout, &first, "max_queues", n->max_queues);
            tool_json_kv_u64(stdout, &first, "queue_capacity", n->queue_capacity);
            tool_json_kv_u64(stdout, &first, "message_size", n->message_size);
            tool_json_kv_u64(stdout, &first, "heartbeat_age_ms", age / 1000000u);
            tool_json_kv_str(stdout, &first, "segment", n->segment);
            if (!seg_ok)
                tool_json_kv_str(stdout, &first, "segment_problem", why);
            tool_json_kv_str(stdout, &first, "large_segment", n->large_segment);
            fputc('}', stdout);
        } else {
            char beat[32];
            tool_fmt_duration(beat, sizeof beat, age);
            tool_table_cell(&t, "%s", n->name);
            tool_table_cell(&t, "%" PRIu32, n->pid);
            tool_table_cell(&t, "%s", tool_liveness_name(l));
            tool_table_cell(&t, "%s", notify_name(n->notify));
            if (seg_ok)
                tool_table_cell(&t, "%" PRIu32 "/%" PRIu32, used, n->max_queues);
            else
                tool_table_cell(&t, "-/%" PRIu32, n->max_queues);
            tool_table_cell(&t, "%s", beat);
            tool_table_cell(&t, "%s%s", n->segment, seg_ok ? "" : " (unreadable)");
        }
    }
    if (ctx->json) {
        fputs("]}\n", stdout);
    } else {
        uint32_t total = counts[0] + counts[1] + counts[2];
        printf("domain '%s': %" PRIu32 " node%s (%" PRIu32 " alive, %" PRIu32 " hung, %"
               PRIu32 " dead)\n", ctx->domain, total, total == 1 ? "" : "s", counts[0],
               counts[1], counts[2]);
        if (total)
            tool_table_print(&t, stdout, "");
        if (counts[TOOL_NODE_DEAD])
            printf("dead: the process is gone; 'nexus clean --domain %s' removes what "
                   "it left\n", ctx->domain);
        if (counts[TOOL_NODE_HUNG])
            printf("hung: the process runs but its heartbeat is older than %" PRIu64
                   " ms\n", hung_ms);
    }
    tool_table_free(&t);
    tool_reg_free(&reg);
    return TOOL_OK;
}

/* ---- topics ---------------------------------------------------------------------- */

/* Append the names of the nodes whose bits are set, comma-separated. */
static void node_list(const nx_registry_shm_t *s, const bool *alive, const uint64_t *bits,
                      char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        if (!((bits[i / 64] >> (i % 64)) & 1u))
            continue;
        const nx_reg_node_t *n = &s->nodes[i];
        int w = n->state == NX_NODE_ALIVE
                    ? snprintf(buf + len, size - len, "%s%s%s", len ? "," : "", n->name,
                               alive[i] ? "" : "(dead)")
                    : snprintf(buf + len, size - len, "%s#%u?", len ? "," : "", i);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
    if (!len)
        snprintf(buf, size, "-");
}

static void json_node_list(const nx_registry_shm_t *s, const bool *alive,
                           const uint64_t *bits)
{
    bool first_el = true;
    fputc('[', stdout);
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        if (!((bits[i / 64] >> (i % 64)) & 1u))
            continue;
        const nx_reg_node_t *n = &s->nodes[i];
        bool first = true;
        fputs(first_el ? "{" : ",{", stdout);
        first_el = false;
        tool_json_kv_u64(stdout, &first, "slot", i);
        if (n->state == NX_NODE_ALIVE) {
            tool_json_kv_str(stdout, &first, "name", n->name);
            tool_json_kv_u64(stdout, &first, "pid", n->pid);
            tool_json_kv_bool(stdout, &first, "alive", alive[i]);
        } else {
            tool_json_kv_null(stdout, &first, "name");
        }
        fputc('}', stdout);
    }
    fputc(']', stdout);
}

int tool_cmd_topics(tool_ctx_t *ctx, tool_args_t *a)
{
    int npos;
    int rc = parse_simple(ctx, a, NULL, topics_help, NULL, 0, &npos, NULL, NULL);
    if (rc != -1)
        return rc;
    tool_reg_t reg;
    rc = load_registry(ctx, a->cmd, "topics", &reg);
    if (rc != -1)
        return rc;
    const nx_registry_shm_t *s = reg.copy;
    /* Whose process still runs: a name is marked (dead) otherwise. */
    bool alive[NX_REG_MAX_NODES];
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++)
        alive[i] = s->nodes[i].state == NX_NODE_ALIVE &&
                   tool_node_process_alive(ctx->domain, &s->nodes[i]);
    tool_table_t t;
    tool_table_init(&t, 6);
    const char *head[] = {"GROUP", "TOPIC", "TYPE", "FINGERPRINT", "PUBLISHERS",
                          "SUBSCRIBERS"};
    for (size_t i = 0; i < 6; i++)
        tool_table_cell(&t, "%s", head[i]);
    uint32_t count = 0;
    bool first_topic = true;
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "domain", ctx->domain);
        tool_json_kv_bool(stdout, &first, "registry", true);
        tool_json_kv_u64(stdout, &first, "generation", reg.generation);
        tool_json_key(stdout, &first, "topics");
        fputc('[', stdout);
    }
    /* Big enough for 128 names of 63 characters and their commas. */
    static char pubs[NX_REG_MAX_NODES * (NX_NODE_NAME_MAX + 1) + 1];
    static char subs[sizeof pubs];
    for (uint32_t i = 0; i < NX_REG_MAX_TOPICS; i++) {
        const nx_reg_topic_t *tp = &s->topics[i];
        if (!tp->used)
            continue;
        count++;
        char fp[24];
        snprintf(fp, sizeof fp, "0x%016" PRIx64, tp->fingerprint);
        if (ctx->json) {
            bool first = true;
            fputs(first_topic ? "{" : ",{", stdout);
            first_topic = false;
            tool_json_kv_u64(stdout, &first, "slot", i);
            tool_json_kv_str(stdout, &first, "group", tp->group);
            tool_json_kv_str(stdout, &first, "name", tp->name);
            if (tp->fingerprint) {
                tool_json_kv_str(stdout, &first, "type", tp->type_name);
                tool_json_kv_str(stdout, &first, "fingerprint", fp);
                tool_json_kv_u64(stdout, &first, "type_size", tp->type_size);
            } else {
                tool_json_kv_null(stdout, &first, "type");
                tool_json_kv_null(stdout, &first, "fingerprint");
            }
            tool_json_key(stdout, &first, "publishers");
            json_node_list(s, alive, tp->pubs);
            tool_json_key(stdout, &first, "subscribers");
            json_node_list(s, alive, tp->subs);
            fputc('}', stdout);
        } else {
            node_list(s, alive, tp->pubs, pubs, sizeof pubs);
            node_list(s, alive, tp->subs, subs, sizeof subs);
            tool_table_cell(&t, "%s", tp->group[0] ? tp->group : "-");
            tool_table_cell(&t, "%s", tp->name);
            tool_table_cell(&t, "%s", tp->fingerprint ? tp->type_name : "-");
            tool_table_cell(&t, "%s", tp->fingerprint ? fp : "-");
            tool_table_cell(&t, "%s", pubs);
            tool_table_cell(&t, "%s", subs);
        }
    }
    if (ctx->json) {
        fputs("]}\n", stdout);
    } else {
        printf("domain '%s': %" PRIu32 " topic%s\n", ctx->domain, count,
               count == 1 ? "" : "s");
        if (count)
            tool_table_print(&t, stdout, "");
    }
    tool_table_free(&t);
    tool_reg_free(&reg);
    return TOOL_OK;
}

/* ---- stats ---------------------------------------------------------------------- */

static void stats_json_queue(const tool_queue_t *q)
{
    bool first = true;
    fputc('{', stdout);
    tool_json_kv_u64(stdout, &first, "index", q->index);
    tool_json_kv_str(stdout, &first, "sender", q->sender);
    tool_json_kv_u64(stdout, &first, "sender_pid", q->sender_pid);
    tool_json_kv_bool(stdout, &first, "sender_alive", q->sender_alive);
    tool_json_kv_bool(stdout, &first, "closed", (q->flags & NX_Q_CLOSED) != 0);
    tool_json_kv_u64(stdout, &first, "capacity", q->capacity);
    if (q->pending >= 0)
        tool_json_kv_i64(stdout, &first, "pending", q->pending);
    else
        tool_json_kv_null(stdout, &first, "pending");
    tool_json_kv_u64(stdout, &first, "sent", q->sent);
    tool_json_kv_u64(stdout, &first, "received", q->received);
    tool_json_kv_u64(stdout, &first, "dropped", q->dropped);
    tool_json_kv_u64(stdout, &first, "rejected", q->rejected);
    tool_json_kv_u64(stdout, &first, "high_water", q->high_water);
    fputc('}', stdout);
}

/* Print one node's queues. Returns false if its segment is unreadable. */
static bool stats_node(const tool_ctx_t *ctx, const nx_reg_node_t *n, bool *first_node)
{
    uint64_t age;
    tool_liveness_t l = tool_node_liveness(ctx->domain, n, DEFAULT_HUNG_MS * 1000000u,
                                           &age);
    tool_seg_t seg;
    char why[256];
    nx_err_t err = tool_seg_open(ctx->domain, n->segment, n, &seg, why, sizeof why);
    if (ctx->json) {
        bool first = true;
        fputs(*first_node ? "{" : ",{", stdout);
        tool_json_kv_str(stdout, &first, "name", n->name);
        tool_json_kv_u64(stdout, &first, "pid", n->pid);
        tool_json_kv_str(stdout, &first, "state", tool_liveness_name(l));
        tool_json_kv_str(stdout, &first, "segment", n->segment);
        if (err == NX_OK) {
            tool_json_kv_u64(stdout, &first, "max_queues", seg.max_queues);
            tool_json_kv_u64(stdout, &first, "queue_capacity", seg.capacity);
            tool_json_kv_u64(stdout, &first, "message_size", seg.message_size);
            tool_json_kv_u64(stdout, &first, "ref_count", seg.ref_count);
        } else {
            tool_json_kv_str(stdout, &first, "problem", why);
        }
        tool_json_key(stdout, &first, "queues");
        fputc('[', stdout);
        bool first_q = true;
        tool_queue_t q;
        for (uint32_t i = 0; err == NX_OK && i < seg.max_queues; i++) {
            if (!tool_seg_queue(&seg, i, &q))
                continue;
            if (!first_q)
                fputc(',', stdout);
            first_q = false;
            stats_json_queue(&q);
        }
        fputs("]}", stdout);
    } else {
        /* Printed directly, not through a table: sanitise by hand. */
        char name[NX_NODE_NAME_MAX + 1], segname[NX_SEG_NAME_MAX], reason[sizeof why];
        tool_sanitize(name, sizeof name, n->name);
        tool_sanitize(segname, sizeof segname, n->segment);
        tool_sanitize(reason, sizeof reason, why);
        if (!*first_node)
            fputc('\n', stdout);
        if (err != NX_OK) {
            printf("%s (pid %" PRIu32 ", %s): segment %s: %s\n", name, n->pid,
                   tool_liveness_name(l), segname, reason);
        } else {
            uint32_t used = tool_seg_queues_used(&seg);
            printf("%s (pid %" PRIu32 ", %s): %" PRIu32 " queue%s in use of %" PRIu32
                   " (%" PRIu32 " slots x %" PRIu32 " bytes), segment %s\n",
                   name, n->pid, tool_liveness_name(l), used, used == 1 ? "" : "s",
                   seg.max_queues, seg.capacity, seg.message_size, segname);
            tool_table_t t;
            tool_table_init(&t, 10);
            const char *head[] = {"QUEUE", "SENDER", "PID", "CAPACITY", "PENDING",
                                  "SENT", "RECEIVED", "DROPPED", "REJECTED", "HIGH-WATER"};
            for (size_t i = 0; i < 10; i++)
                tool_table_cell(&t, "%s", head[i]);
            tool_queue_t q;
            for (uint32_t i = 0; i < seg.max_queues; i++) {
                if (!tool_seg_queue(&seg, i, &q))
                    continue;
                tool_table_cell(&t, "%" PRIu32, q.index);
                tool_table_cell(&t, "%s%s", q.sender,
                                !q.sender_alive               ? " (gone)"
                                : (q.flags & NX_Q_CLOSED) != 0 ? " (left)"
                                                               : "");
                tool_table_cell(&t, "%" PRIu32, q.sender_pid);
                tool_table_cell(&t, "%" PRIu32, q.capacity);
                if (q.pending >= 0)
                    tool_table_cell(&t, "%" PRId64, q.pending);
                else
                    tool_table_cell(&t, "? (corrupt indices)");
                tool_table_cell(&t, "%" PRIu64, q.sent);
                tool_table_cell(&t, "%" PRIu64, q.received);
                tool_table_cell(&t, "%" PRIu64, q.dropped);
                tool_table_cell(&t, "%" PRIu64, q.rejected);
                tool_table_cell(&t, "%" PRIu64, q.high_water);
            }
            if (used)
                tool_table_print(&t, stdout, "  ");
            tool_table_free(&t);
        }
    }
    *first_node = false;
    if (err == NX_OK)
        tool_seg_close(&seg);
    return err == NX_OK;
}

int tool_cmd_stats(tool_ctx_t *ctx, tool_args_t *a)
{
    const char *pos[1] = {NULL};
    int npos;
    int rc = parse_simple(ctx, a, NULL, stats_help, pos, 1, &npos, NULL, NULL);
    if (rc != -1)
        return rc;
    const char *only = npos ? pos[0] : NULL;
    tool_reg_t reg;
    rc = load_registry(ctx, a->cmd, "nodes", &reg);
    if (rc != -1) {
        if (rc == TOOL_OK && only) {
            char shown[NX_NODE_NAME_MAX + 1];
            tool_sanitize(shown, sizeof shown, only);
            tool_err(a->cmd, "no node named '%s' in domain '%s'", shown, ctx->domain);
            return TOOL_ERR;
        }
        return rc;
    }
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "domain", ctx->domain);
        tool_json_kv_bool(stdout, &first, "registry", true);
        tool_json_key(stdout, &first, "nodes");
        fputc('[', stdout);
    }
    bool first_node = true, found = false, all_ok = true;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *n = &reg.copy->nodes[i];
        if (n->state == NX_NODE_FREE || (only && strcmp(n->name, only) != 0))
            continue;
        found = true;
        all_ok &= stats_node(ctx, n, &first_node);
    }
    if (ctx->json)
        fputs("]}\n", stdout);
    else if (!found && !only)
        printf("domain '%s' has no node\n", ctx->domain);
    tool_reg_free(&reg);
    if (only && !found) {
        char shown[NX_NODE_NAME_MAX + 1];
        tool_sanitize(shown, sizeof shown, only);
        tool_err(a->cmd, "no node named '%s' in domain '%s'", shown, ctx->domain);
        return TOOL_ERR;
    }
    return only && !all_ok ? TOOL_ERR : TOOL_OK;
}
