/*
 * cmd_view.c: the commands that only look: domains, nodes, topics, stats.
 * They read one snapshot of the domain (<nexus/inspect.h>); they never
 * lock or write anything.
 */
#include "tool.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
    "State: alive; hung (the process runs but its heartbeat is older than the\n"
    "node's own heartbeat_timeout_ms, as its peers judge it, or than --hung-ms\n"
    "when given); dead (the process is gone: 'nexus clean' removes what it left).\n";

static const char topics_help[] =
    "Usage: nexus topics [--domain D] [--json]\n"
    "\n"
    "List the topic table of the domain's registry: group (\"-\" for none),\n"
    "name, type name and fingerprint (\"-\" for raw topics), and the nodes that\n"
    "publish and subscribe.\n";

static const char services_help[] =
    "Usage: nexus services [--domain D] [--json]\n"
    "\n"
    "List the services of the domain: name, request and reply types with their\n"
    "fingerprints, and the node that serves each (at most one per service).\n";

static const char stats_help[] =
    "Usage: nexus stats [--domain D] [--json] [NODE]\n"
    "\n"
    "For each node (or only NODE), read its segment and list its inbound queues,\n"
    "one per sending node: sender, capacity, pending, sent, received, dropped\n"
    "(queue full), rejected (failed validation) and the high-water mark.\n"
    "A sender marked (left) has closed its queue; (gone) means its process died.\n"
    "A node's state is judged as 'nexus nodes' does.\n";

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

/* Take the domain's snapshot; returns -1 when its registry is usable,
 * else an exit status (the snapshot is freed then). */
static int load_snapshot(const tool_ctx_t *ctx, const char *cmd, const char *list,
                         uint32_t hung_ms, bool segments, const char *only,
                         nx_snapshot_t **snap)
{
    nx_snapshot_opts_t o;
    nx_snapshot_opts_init(&o);
    o.hung_ms = hung_ms;
    o.segments = segments;
    nx_err_t err = nx_snapshot_take(ctx->domain, &o, snap);
    if (err != NX_OK) {
        tool_err(cmd, "cannot inspect domain '%s': %s", ctx->domain, nx_strerror(err));
        return TOOL_ERR;
    }
    const nx_inspect_domain_t *d = nx_snapshot_domain(*snap);
    if (d->registry == NX_REGISTRY_OK)
        return -1;
    int rc;
    if (d->registry == NX_REGISTRY_MISSING && only && !ctx->json) {
        /* One error for one problem: the node asked for is not there. */
        char shown[NX_NODE_NAME_MAX + 1];
        tool_sanitize(shown, sizeof shown, only);
        tool_err(
            cmd,
            "no node named '%s' in domain '%s' (it has no registry: no node runs in it)",
            shown, ctx->domain);
        rc = TOOL_ERR;
    } else {
        rc = d->registry == NX_REGISTRY_MISSING ? report_missing(ctx, cmd, list)
                                                : tool_report_reg_problem(cmd, d);
    }
    nx_snapshot_free(*snap);
    *snap = NULL;
    return rc;
}

static const char *notify_name(uint32_t mode)
{
    return mode <= NX_NOTIFY_SPIN ? nx_notify_mode_name((nx_notify_mode_t)mode) : "?";
}

/* ---- domains ------------------------------------------------------------------ */

int tool_cmd_domains(tool_ctx_t *ctx, tool_args_t *a)
{
    int npos;
    int rc = parse_simple(ctx, a, NULL, domains_help, NULL, 0, &npos, NULL, NULL);
    if (rc != -1)
        return rc;

    char **doms;
    size_t ndoms;
    if (nx_domains_list(&doms, &ndoms) != NX_OK) {
        tool_err(a->cmd, "out of memory");
        return TOOL_ERR;
    }
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
        nx_snapshot_opts_t o;
        nx_snapshot_opts_init(&o);
        o.segments = false;
        nx_snapshot_t *snap;
        if (nx_snapshot_take(doms[k], &o, &snap) != NX_OK)
            continue;
        const nx_inspect_domain_t *d = nx_snapshot_domain(snap);
        size_t live = 0, dead = 0;
        for (size_t i = 0; i < nx_snapshot_node_count(snap); i++) {
            if (nx_snapshot_node(snap, i)->state == NX_NODE_STATE_DEAD)
                dead++;
            else
                live++;
        }
        size_t topics = nx_snapshot_topic_count(snap);
        char status[NX_PROBLEM_MAX + 64] = "ok";
        const char *st_name = nx_registry_status_name(d->registry);
        if (d->registry == NX_REGISTRY_MISSING)
            snprintf(status, sizeof status, "missing (leftovers: nexus clean --domain %s)",
                     d->name);
        else if (d->registry != NX_REGISTRY_OK)
            snprintf(status, sizeof status, "%s: %s", st_name, d->problem);
        if (ctx->json) {
            bool first = true;
            fputs(first_dom ? "{" : ",{", stdout);
            first_dom = false;
            tool_json_kv_str(stdout, &first, "domain", d->name);
            tool_json_kv_str(stdout, &first, "registry", st_name);
            if (d->registry != NX_REGISTRY_OK && d->registry != NX_REGISTRY_MISSING)
                tool_json_kv_str(stdout, &first, "problem", d->problem);
            tool_json_kv_u64(stdout, &first, "live_nodes", live);
            tool_json_kv_u64(stdout, &first, "dead_nodes", dead);
            tool_json_kv_u64(stdout, &first, "topics", topics);
            tool_json_kv_u64(stdout, &first, "objects", d->object_count);
            fputc('}', stdout);
        } else {
            tool_table_cell(&t, "%s", d->name);
            if (d->registry == NX_REGISTRY_OK) {
                tool_table_cell(&t, "%zu", live);
                tool_table_cell(&t, "%zu", dead);
                tool_table_cell(&t, "%zu", topics);
            } else {
                for (int c = 0; c < 3; c++)
                    tool_table_cell(&t, "-");
            }
            tool_table_cell(&t, "%zu", d->object_count);
            tool_table_cell(&t, "%s", status);
        }
        nx_snapshot_free(snap);
    }
    if (ctx->json) {
        fputs("]}\n", stdout);
    } else if (ndoms == 0) {
        nx_layout_info_t li;
        nx_layout_info(&li);
        printf("no Nexus domain has objects in %s\n", li.shm_dir);
    } else {
        tool_table_print(&t, stdout, "");
    }
    tool_table_free(&t);
    nx_domain_objects_free(doms, ndoms);
    return TOOL_OK;
}

/* ---- nodes ---------------------------------------------------------------------- */

enum { OPT_HUNG_MS = 1 };

static int nodes_opt(int id, const char *val, void *user)
{
    uint64_t *hung_ms = user;
    if (id == OPT_HUNG_MS && tool_parse_u64(val, 1, 3600000, hung_ms))
        return -1;
    return tool_usage_err("nexus nodes",
                          "--hung-ms wants milliseconds (1..3600000), "
                          "not '%s'",
                          val);
}

int tool_cmd_nodes(tool_ctx_t *ctx, tool_args_t *a)
{
    static const tool_opt_t opts[] = {
        {"hung-ms", 0, true, OPT_HUNG_MS},
        {NULL, 0, false, 0},
    };
    uint64_t hung_ms = 0; /* 0: each node's own timeout */
    int npos;
    int rc = parse_simple(ctx, a, opts, nodes_help, NULL, 0, &npos, nodes_opt, &hung_ms);
    if (rc != -1)
        return rc;
    nx_snapshot_t *snap;
    rc = load_snapshot(ctx, a->cmd, "nodes", (uint32_t)hung_ms, true, NULL, &snap);
    if (rc != -1)
        return rc;

    tool_table_t t;
    tool_table_init(&t, 7);
    const char *head[] = {"NAME",   "PID",       "STATE",  "NOTIFY",
                          "QUEUES", "HEARTBEAT", "SEGMENT"};
    for (size_t i = 0; i < 7; i++)
        tool_table_cell(&t, "%s", head[i]);
    uint32_t counts[3] = {0, 0, 0};
    bool first_node = true;
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "domain", ctx->domain);
        tool_json_kv_bool(stdout, &first, "registry", true);
        tool_json_kv_u64(stdout, &first, "generation",
                         nx_snapshot_domain(snap)->generation);
        tool_json_key(stdout, &first, "nodes");
        fputc('[', stdout);
    }
    for (size_t i = 0; i < nx_snapshot_node_count(snap); i++) {
        const nx_inspect_node_t *n = nx_snapshot_node(snap, i);
        counts[n->state <= NX_NODE_STATE_DEAD ? n->state : NX_NODE_STATE_DEAD]++;
        bool seg_ok = n->segment_err == NX_OK;
        uint64_t age = n->heartbeat_age_ns;
        if (ctx->json) {
            bool first = true;
            fputs(first_node ? "{" : ",{", stdout);
            first_node = false;
            tool_json_kv_u64(stdout, &first, "slot", n->slot);
            tool_json_kv_str(stdout, &first, "name", n->name);
            tool_json_kv_u64(stdout, &first, "pid", n->pid);
            tool_json_kv_str(stdout, &first, "state", nx_node_state_name(n->state));
            tool_json_kv_bool(stdout, &first, "process_alive", n->process_alive);
            tool_json_kv_str(stdout, &first, "notify", notify_name(n->notify));
            if (seg_ok)
                tool_json_kv_u64(stdout, &first, "queues_used", n->queue_count);
            else
                tool_json_kv_null(stdout, &first, "queues_used");
            tool_json_kv_u64(stdout, &first, "max_queues", n->max_queues);
            tool_json_kv_u64(stdout, &first, "queue_capacity", n->queue_capacity);
            tool_json_kv_u64(stdout, &first, "message_size", n->message_size);
            tool_json_kv_u64(stdout, &first, "heartbeat_age_ms", age / 1000000u);
            tool_json_kv_u64(stdout, &first, "heartbeat_timeout_ms",
                             n->heartbeat_timeout_ms);
            tool_json_kv_u64(stdout, &first, "hung_ms", n->hung_ms);
            tool_json_kv_str(stdout, &first, "segment", n->segment);
            if (!seg_ok)
                tool_json_kv_str(stdout, &first, "segment_problem", n->segment_problem);
            tool_json_kv_str(stdout, &first, "large_segment", n->large_segment);
            fputc('}', stdout);
        } else {
            char beat[32];
            tool_fmt_duration(beat, sizeof beat, age);
            tool_table_cell(&t, "%s", n->name);
            tool_table_cell(&t, "%" PRIu32, n->pid);
            tool_table_cell(&t, "%s", nx_node_state_name(n->state));
            tool_table_cell(&t, "%s", notify_name(n->notify));
            if (seg_ok)
                tool_table_cell(&t, "%zu/%" PRIu32, n->queue_count, n->max_queues);
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
        printf("domain '%s': %" PRIu32 " node%s (%" PRIu32 " alive, %" PRIu32
               " hung, %" PRIu32 " dead)\n",
               ctx->domain, total, total == 1 ? "" : "s", counts[0], counts[1], counts[2]);
        if (total)
            tool_table_print(&t, stdout, "");
        if (counts[NX_NODE_STATE_DEAD])
            printf("dead: the process is gone; 'nexus clean --domain %s' removes what "
                   "it left\n",
                   ctx->domain);
        if (counts[NX_NODE_STATE_HUNG] && hung_ms)
            printf("hung: the process runs but its heartbeat is older than %" PRIu64
                   " ms\n",
                   hung_ms);
        else if (counts[NX_NODE_STATE_HUNG])
            printf("hung: the process runs but its heartbeat is older than its "
                   "heartbeat_timeout_ms\n");
    }
    tool_table_free(&t);
    nx_snapshot_free(snap);
    return TOOL_OK;
}

/* ---- topics ---------------------------------------------------------------------- */

/* The names of the endpoints, comma-separated; a publisher that blocks on
 * a full queue shows its policy, "name[block 100ms]". */
static void node_list(const nx_inspect_endpoint_t *e, size_t n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char pol[32] = "";
        if (e[i].on_full == NX_ON_FULL_BLOCK)
            snprintf(pol, sizeof pol, "[block %" PRIu32 "ms]", e[i].block_ms);
        int w = e[i].node ? snprintf(buf + len, size - len, "%s%s%s%s", len ? "," : "",
                                     e[i].node->name,
                                     e[i].node->process_alive ? "" : "(dead)", pol)
                          : snprintf(buf + len, size - len, "%s#%" PRIu32 "?",
                                     len ? "," : "", e[i].slot);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
    if (!len)
        snprintf(buf, size, "-");
}

static void json_node_list(const nx_inspect_endpoint_t *e, size_t n, bool policy)
{
    fputc('[', stdout);
    for (size_t i = 0; i < n; i++) {
        bool first = true;
        fputs(i ? ",{" : "{", stdout);
        tool_json_kv_u64(stdout, &first, "slot", e[i].slot);
        if (e[i].node) {
            tool_json_kv_str(stdout, &first, "name", e[i].node->name);
            tool_json_kv_u64(stdout, &first, "pid", e[i].node->pid);
            tool_json_kv_bool(stdout, &first, "alive", e[i].node->process_alive);
        } else {
            tool_json_kv_null(stdout, &first, "name");
        }
        if (policy) {
            tool_json_kv_str(stdout, &first, "on_full",
                             e[i].on_full == NX_ON_FULL_BLOCK ? "block" : "fail");
            tool_json_kv_u64(stdout, &first, "block_ms", e[i].block_ms);
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
    nx_snapshot_t *snap;
    rc = load_snapshot(ctx, a->cmd, "topics", 0, false, NULL, &snap);
    if (rc != -1)
        return rc;
    tool_table_t t;
    tool_table_init(&t, 6);
    const char *head[] = {"GROUP",       "TOPIC",      "TYPE",
                          "FINGERPRINT", "PUBLISHERS", "SUBSCRIBERS"};
    for (size_t i = 0; i < 6; i++)
        tool_table_cell(&t, "%s", head[i]);
    size_t count = nx_snapshot_topic_count(snap);
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "domain", ctx->domain);
        tool_json_kv_bool(stdout, &first, "registry", true);
        tool_json_kv_u64(stdout, &first, "generation",
                         nx_snapshot_domain(snap)->generation);
        tool_json_key(stdout, &first, "topics");
        fputc('[', stdout);
    }
    /* Big enough for every node's name of 63 characters and their commas. */
    static char pubs[TOOL_MAX_NODES * (NX_NODE_NAME_MAX + 8) + 1];
    static char subs[sizeof pubs];
    size_t shown = 0;
    for (size_t i = 0; i < count; i++) {
        const nx_inspect_topic_t *tp = nx_snapshot_topic(snap, i);
        if (strcmp(tp->group, NX_SERVICE_GROUP) == 0)
            continue; /* `nexus services` lists them */
        char fp[24];
        snprintf(fp, sizeof fp, "0x%016" PRIx64, tp->fingerprint);
        if (ctx->json) {
            bool first = true;
            fputs(shown++ ? ",{" : "{", stdout);
            tool_json_kv_u64(stdout, &first, "slot", tp->slot);
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
            json_node_list(tp->publishers, tp->publisher_count, true);
            tool_json_key(stdout, &first, "subscribers");
            json_node_list(tp->subscribers, tp->subscriber_count, false);
            fputc('}', stdout);
        } else {
            node_list(tp->publishers, tp->publisher_count, pubs, sizeof pubs);
            node_list(tp->subscribers, tp->subscriber_count, subs, sizeof subs);
            tool_table_cell(&t, "%s", tp->group[0] ? tp->group : "-");
            tool_table_cell(&t, "%s", tp->name);
            tool_table_cell(&t, "%s", tp->fingerprint ? tp->type_name : "-");
            tool_table_cell(&t, "%s", tp->fingerprint ? fp : "-");
            tool_table_cell(&t, "%s", pubs);
            tool_table_cell(&t, "%s", subs);
            shown++;
        }
    }
    if (ctx->json) {
        fputs("]}\n", stdout);
    } else {
        printf("domain '%s': %zu topic%s\n", ctx->domain, shown, shown == 1 ? "" : "s");
        if (shown)
            tool_table_print(&t, stdout, "");
    }
    tool_table_free(&t);
    nx_snapshot_free(snap);
    return TOOL_OK;
}

/* ---- services ------------------------------------------------------------------- */

int tool_cmd_services(tool_ctx_t *ctx, tool_args_t *a)
{
    int npos;
    int rc = parse_simple(ctx, a, NULL, services_help, NULL, 0, &npos, NULL, NULL);
    if (rc != -1)
        return rc;
    nx_snapshot_t *snap;
    rc = load_snapshot(ctx, a->cmd, "services", 0, false, NULL, &snap);
    if (rc != -1)
        return rc;
    tool_table_t t;
    tool_table_init(&t, 4);
    const char *head[] = {"SERVICE", "TYPES", "FINGERPRINTS", "SERVER"};
    for (size_t i = 0; i < 4; i++)
        tool_table_cell(&t, "%s", head[i]);
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "domain", ctx->domain);
        tool_json_kv_u64(stdout, &first, "generation",
                         nx_snapshot_domain(snap)->generation);
        tool_json_key(stdout, &first, "services");
        fputc('[', stdout);
    }
    size_t count = nx_snapshot_topic_count(snap), shown = 0;
    for (size_t i = 0; i < count; i++) {
        const nx_inspect_topic_t *tp = nx_snapshot_topic(snap, i);
        if (strcmp(tp->group, NX_SERVICE_GROUP) != 0)
            continue;
        char fps[48], server[NX_NODE_NAME_MAX + 24] = "-";
        snprintf(fps, sizeof fps, "0x%016" PRIx64 " -> 0x%016" PRIx64, tp->fingerprint,
                 tp->reply_fingerprint);
        const nx_inspect_endpoint_t *srv =
            tp->subscriber_count ? &tp->subscribers[0] : NULL;
        if (srv && srv->node)
            snprintf(server, sizeof server, "%s (pid %" PRIu32 ")", srv->node->name,
                     srv->node->pid);
        if (ctx->json) {
            bool first = true;
            fputs(shown ? ",{" : "{", stdout);
            tool_json_kv_str(stdout, &first, "name", tp->name);
            tool_json_kv_str(stdout, &first, "types", tp->type_name);
            char fp[24];
            snprintf(fp, sizeof fp, "0x%016" PRIx64, tp->fingerprint);
            tool_json_kv_str(stdout, &first, "request_fingerprint", fp);
            snprintf(fp, sizeof fp, "0x%016" PRIx64, tp->reply_fingerprint);
            tool_json_kv_str(stdout, &first, "reply_fingerprint", fp);
            tool_json_key(stdout, &first, "server");
            json_node_list(tp->subscribers, tp->subscriber_count, false);
            fputc('}', stdout);
        } else {
            tool_table_cell(&t, "%s", tp->name);
            tool_table_cell(&t, "%s", tp->type_name);
            tool_table_cell(&t, "%s", fps);
            tool_table_cell(&t, "%s", server);
        }
        shown++;
    }
    if (ctx->json) {
        fputs("]}\n", stdout);
    } else {
        printf("domain '%s': %zu service%s\n", ctx->domain, shown, shown == 1 ? "" : "s");
        if (shown)
            tool_table_print(&t, stdout, "");
    }
    tool_table_free(&t);
    nx_snapshot_free(snap);
    return TOOL_OK;
}

/* ---- stats ---------------------------------------------------------------------- */

static void stats_json_queue(const nx_inspect_queue_t *q)
{
    bool first = true;
    fputc('{', stdout);
    tool_json_kv_u64(stdout, &first, "index", q->index);
    tool_json_kv_str(stdout, &first, "sender", q->stats.peer);
    tool_json_kv_u64(stdout, &first, "sender_pid", q->stats.peer_pid);
    tool_json_kv_bool(stdout, &first, "sender_alive", q->sender_alive);
    tool_json_kv_bool(stdout, &first, "closed", q->closed);
    tool_json_kv_u64(stdout, &first, "capacity", q->stats.capacity);
    if (q->pending_valid)
        tool_json_kv_u64(stdout, &first, "pending", q->stats.pending);
    else
        tool_json_kv_null(stdout, &first, "pending");
    tool_json_kv_u64(stdout, &first, "sent", q->stats.sent);
    tool_json_kv_u64(stdout, &first, "received", q->stats.received);
    tool_json_kv_u64(stdout, &first, "dropped", q->stats.dropped);
    tool_json_kv_u64(stdout, &first, "rejected", q->stats.rejected);
    tool_json_kv_u64(stdout, &first, "high_water", q->stats.high_water);
    fputc('}', stdout);
}

static void stats_json_large(const nx_inspect_node_t *n)
{
    bool first = true;
    const nx_large_stats_t *l = &n->large;
    fputc('{', stdout);
    tool_json_kv_str(stdout, &first, "segment", n->large_segment);
    if (n->large_err != NX_OK) {
        tool_json_kv_str(stdout, &first, "problem", n->large_problem);
    } else {
        tool_json_kv_u64(stdout, &first, "ring_size", l->ring_size);
        tool_json_kv_u64(stdout, &first, "used", l->used);
        tool_json_kv_u64(stdout, &first, "chunks", l->chunks);
        tool_json_kv_u64(stdout, &first, "full_events", l->full_events);
        tool_json_key(stdout, &first, "readers");
        fputc('[', stdout);
        for (uint32_t i = 0; i < l->reader_count && i < NX_LARGE_STATS_READERS; i++) {
            const nx_large_reader_stats_t *r = &l->readers[i];
            bool f = true;
            fputs(i ? ",{" : "{", stdout);
            tool_json_kv_str(stdout, &f, "name", r->name);
            tool_json_kv_u64(stdout, &f, "pid", r->pid);
            tool_json_kv_u64(stdout, &f, "delivered", r->delivered);
            tool_json_kv_u64(stdout, &f, "released", r->released);
            tool_json_kv_u64(stdout, &f, "stalls", r->stalls);
            tool_json_kv_u64(stdout, &f, "dropped", r->dropped);
            fputc('}', stdout);
        }
        fputc(']', stdout);
    }
    fputc('}', stdout);
}

/* Print one node's queues. Returns false if its segment is unreadable. */
static bool stats_node(const tool_ctx_t *ctx, const nx_inspect_node_t *n, bool *first_node)
{
    bool ok = n->segment_err == NX_OK;
    const char *state = nx_node_state_name(n->state);
    if (ctx->json) {
        bool first = true;
        fputs(*first_node ? "{" : ",{", stdout);
        tool_json_kv_str(stdout, &first, "name", n->name);
        tool_json_kv_u64(stdout, &first, "pid", n->pid);
        tool_json_kv_str(stdout, &first, "state", state);
        tool_json_kv_str(stdout, &first, "segment", n->segment);
        if (ok) {
            tool_json_kv_u64(stdout, &first, "max_queues", n->seg_max_queues);
            tool_json_kv_u64(stdout, &first, "queue_capacity", n->seg_queue_capacity);
            tool_json_kv_u64(stdout, &first, "message_size", n->seg_message_size);
            tool_json_kv_u64(stdout, &first, "ref_count", n->seg_ref_count);
        } else {
            tool_json_kv_str(stdout, &first, "problem", n->segment_problem);
        }
        tool_json_key(stdout, &first, "queues");
        fputc('[', stdout);
        for (size_t i = 0; i < n->queue_count; i++) {
            if (i)
                fputc(',', stdout);
            stats_json_queue(&n->queues[i]);
        }
        fputc(']', stdout);
        if (n->large_segment[0]) {
            tool_json_key(stdout, &first, "large");
            stats_json_large(n);
        }
        fputc('}', stdout);
    } else {
        if (!*first_node)
            fputc('\n', stdout);
        if (!ok) {
            printf("%s (pid %" PRIu32 ", %s): segment %s: %s\n", n->name, n->pid, state,
                   n->segment, n->segment_problem);
        } else {
            size_t used = n->queue_count;
            printf("%s (pid %" PRIu32 ", %s): %zu queue%s in use of %" PRIu32 " (%" PRIu32
                   " slots x %" PRIu32 " bytes), segment %s\n",
                   n->name, n->pid, state, used, used == 1 ? "" : "s", n->seg_max_queues,
                   n->seg_queue_capacity, n->seg_message_size, n->segment);
            tool_table_t t;
            tool_table_init(&t, 10);
            const char *head[] = {"QUEUE", "SENDER",   "PID",     "CAPACITY", "PENDING",
                                  "SENT",  "RECEIVED", "DROPPED", "REJECTED", "HIGH-WATER"};
            for (size_t i = 0; i < 10; i++)
                tool_table_cell(&t, "%s", head[i]);
            for (size_t i = 0; i < used; i++) {
                const nx_inspect_queue_t *q = &n->queues[i];
                tool_table_cell(&t, "%" PRIu32, q->index);
                tool_table_cell(&t, "%s%s", q->stats.peer,
                                !q->sender_alive ? " (gone)"
                                : q->closed      ? " (left)"
                                                 : "");
                tool_table_cell(&t, "%" PRIu32, q->stats.peer_pid);
                tool_table_cell(&t, "%" PRIu32, q->stats.capacity);
                if (q->pending_valid)
                    tool_table_cell(&t, "%" PRIu64, q->stats.pending);
                else
                    tool_table_cell(&t, "? (corrupt indices)");
                tool_table_cell(&t, "%" PRIu64, q->stats.sent);
                tool_table_cell(&t, "%" PRIu64, q->stats.received);
                tool_table_cell(&t, "%" PRIu64, q->stats.dropped);
                tool_table_cell(&t, "%" PRIu64, q->stats.rejected);
                tool_table_cell(&t, "%" PRIu64, q->stats.high_water);
            }
            if (used)
                tool_table_print(&t, stdout, "  ");
            tool_table_free(&t);
            if (n->large_segment[0] && n->large_err == NX_OK)
                printf("  large-data ring %s: %" PRIu64 " of %" PRIu64
                       " bytes used, %" PRIu64 " chunks, full %" PRIu64 " times, %" PRIu32
                       " reader%s\n",
                       n->large_segment, n->large.used, n->large.ring_size, n->large.chunks,
                       n->large.full_events, n->large.reader_count,
                       n->large.reader_count == 1 ? "" : "s");
            else if (n->large_segment[0])
                printf("  large-data ring %s: %s\n", n->large_segment, n->large_problem);
        }
    }
    *first_node = false;
    return ok;
}

int tool_cmd_stats(tool_ctx_t *ctx, tool_args_t *a)
{
    const char *pos[1] = {NULL};
    int npos;
    int rc = parse_simple(ctx, a, NULL, stats_help, pos, 1, &npos, NULL, NULL);
    if (rc != -1)
        return rc;
    const char *only = npos ? pos[0] : NULL;
    nx_snapshot_t *snap;
    rc = load_snapshot(ctx, a->cmd, "nodes", 0, true, only, &snap);
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
    for (size_t i = 0; i < nx_snapshot_node_count(snap); i++) {
        const nx_inspect_node_t *n = nx_snapshot_node(snap, i);
        if (only && strcmp(n->name, only) != 0)
            continue;
        found = true;
        all_ok &= stats_node(ctx, n, &first_node);
    }
    if (ctx->json)
        fputs("]}\n", stdout);
    else if (!found && !only)
        printf("domain '%s' has no node\n", ctx->domain);
    nx_snapshot_free(snap);
    if (only && !found) {
        char shown[NX_NODE_NAME_MAX + 1];
        tool_sanitize(shown, sizeof shown, only);
        tool_err(a->cmd, "no node named '%s' in domain '%s'", shown, ctx->domain);
        return TOOL_ERR;
    }
    return only && !all_ok ? TOOL_ERR : TOOL_OK;
}
