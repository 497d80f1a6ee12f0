/*
 * cmd_io.c: the commands that join the domain as a node: echo (subscribe
 * and print) and pub (publish raw bytes). Both block SIGINT, SIGTERM and
 * SIGHUP before the node exists, so that its receive thread never takes
 * them, and wait for them with sigtimedwait(): a signal ends the command
 * through the normal path, which destroys the node and leaves the domain
 * clean.
 */
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PUB_MAX_FILE (16u << 20) /* bytes read from --file at most */
#define ECHO_PREVIEW 16u         /* bytes shown without --hex */

static const char echo_help[] =
    "Usage: nexus echo [--domain D] [--group G] TOPIC [--count N] [--hex]\n"
    "                  [--timeout SECONDS] [--json]\n"
    "\n"
    "Join the domain as node nexus-echo-PID, subscribe to TOPIC (raw: any type)\n"
    "and print every message: sequence number, sender, size, latency (send to\n"
    "receive, CLOCK_MONOTONIC) and the first 16 bytes in hex and as text.\n"
    "\n"
    "  -g, --group G        the topic's group (default: none)\n"
    "  -n, --count N        stop after N messages (default: run until Ctrl-C)\n"
    "  -x, --hex            dump every byte of each message\n"
    "  -t, --timeout S      stop after S seconds; exit status 1 if --count was\n"
    "                       not reached by then\n"
    "      --json           one JSON object per message\n";

static const char pub_help[] =
    "Usage: nexus pub [--domain D] [--group G] TOPIC (--text STRING | --hex HEX |\n"
    "                 --file PATH) [--count N] [--rate HZ] [--wait-subscribers N]\n"
    "                 [--timeout SECONDS] [--json]\n"
    "\n"
    "Join the domain as node nexus-pub-PID and publish raw bytes to TOPIC.\n"
    "\n"
    "  -g, --group G             the topic's group (default: none)\n"
    "      --text STRING         the bytes of STRING (no terminating NUL)\n"
    "      --hex HEX             bytes in hex: \"48656c6c6f\", \"48 65 6c\", \"0x48:65\"\n"
    "      --file PATH           the contents of a file (\"-\": standard input)\n"
    "  -n, --count N             messages to publish (default 1; 0: until Ctrl-C)\n"
    "  -r, --rate HZ             messages per second (default 10; 0: as fast as\n"
    "                            possible)\n"
    "  -w, --wait-subscribers N  first wait until the topic has N subscribers\n"
    "  -t, --timeout S           how long --wait-subscribers waits (default 10)\n"
    "      --json                print the summary as JSON\n"
    "\n"
    "A full subscriber queue blocks a publish for up to one second; a message\n"
    "still not queued then is counted as dropped and the exit status is 1.\n";

/* ---- common to both ------------------------------------------------------------- */

/* Block the signals that end the command (before any thread exists). */
static void signals_block(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    /* A closed stdout (echo | head) is seen as a write error, not SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
}

/* Wait up to ns for one of the blocked signals; true if one came. */
static bool signals_wait(const sigset_t *set, uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig > 0)
            return true;
        if (errno != EINTR)
            return false;
    }
}

/* The configuration of the tool's node: defaults, then $NEXUS_CONFIG, then
 * the tool's domain and log level. */
static int node_config(const tool_ctx_t *ctx, const char *cmd, nx_config_t *cfg)
{
    nx_config_default(cfg);
    const char *path = getenv("NEXUS_CONFIG");
    if (path && path[0]) {
        char msg[256];
        if (nx_config_load_msg(path, cfg, msg, sizeof msg) != NX_OK) {
            tool_err(cmd, "NEXUS_CONFIG: %s", msg);
            return TOOL_ERR;
        }
    }
    snprintf(cfg->domain, sizeof cfg->domain, "%s", ctx->domain);
    /* nx_node_create lets NEXUS_DOMAIN override cfg->domain: make them agree. */
    setenv("NEXUS_DOMAIN", ctx->domain, 1);
    cfg->log.level = ctx->log_level;
    return TOOL_OK;
}

static int node_start(const tool_ctx_t *ctx, const char *cmd, const char *role,
                      nx_node_t **node)
{
    nx_config_t cfg;
    if (node_config(ctx, cmd, &cfg) != TOOL_OK)
        return TOOL_ERR;
    char name[NX_NODE_NAME_MAX + 1];
    snprintf(name, sizeof name, "nexus-%s-%ld", role, (long)getpid());
    nx_err_t err = nx_node_create(name, &cfg, node);
    if (err != NX_OK) {
        tool_err(cmd, "cannot join domain '%s' as node '%s': %s (%s)", ctx->domain, name,
                 nx_strerror(err), nx_err_name(err));
        return TOOL_ERR;
    }
    return TOOL_OK;
}

static int check_names(const char *cmd, const char *group, const char *topic)
{
    if (!topic)
        return tool_usage_err(cmd, "missing TOPIC");
    if (!nx_name_valid(NX_NAME_TOPIC, topic))
        return tool_usage_err(cmd,
                              "bad topic name '%.*s': 1..%d characters of "
                              "[A-Za-z0-9_/.-]",
                              NX_TOPIC_NAME_MAX, topic, NX_TOPIC_NAME_MAX);
    if (!nx_name_valid(NX_NAME_GROUP, group))
        return tool_usage_err(cmd,
                              "bad group name '%.*s': up to %d characters of "
                              "[A-Za-z0-9_/.-]",
                              NX_TOPIC_NAME_MAX, group, NX_TOPIC_NAME_MAX);
    return TOOL_OK;
}

/* ---- echo ------------------------------------------------------------------------ */

typedef struct echo_state {
    bool json;
    bool hex;
    uint64_t count;            /* 0: no limit */
    _Atomic uint64_t received; /* messages the callback saw */
    _Atomic bool write_failed;
} echo_state_t;

static void hex_bytes(FILE *f, const uint8_t *p, size_t n, bool spaced)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, spaced && i ? " %02x" : "%02x", p[i]);
}

static void text_bytes(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', f);
}

/* Runs on the echo node's receive thread; the main thread does not write
 * to stdout while the node exists. */
static void echo_cb(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    echo_state_t *st = user;
    uint64_t n = atomic_fetch_add_explicit(&st->received, 1, memory_order_relaxed) + 1;
    if (st->count && n > st->count)
        return;
    const uint8_t *p = data;
    uint64_t latency = info->recv_time_ns > info->send_time_ns
                           ? info->recv_time_ns - info->send_time_ns
                           : 0;
    size_t shown = st->hex || size <= ECHO_PREVIEW ? size : ECHO_PREVIEW;
    char sender[NX_NODE_NAME_MAX + 1];
    tool_sanitize(sender, sizeof sender, info->sender);
    if (st->json) {
        bool first = true;
        char fp[24];
        snprintf(fp, sizeof fp, "0x%016" PRIx64, info->fingerprint);
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "group", info->group);
        tool_json_kv_str(stdout, &first, "topic", info->topic);
        tool_json_kv_u64(stdout, &first, "seq", info->seq);
        tool_json_kv_str(stdout, &first, "sender", info->sender);
        tool_json_kv_u64(stdout, &first, "sender_pid", info->sender_pid);
        tool_json_kv_u64(stdout, &first, "size", size);
        tool_json_kv_u64(stdout, &first, "latency_ns", latency);
        tool_json_kv_str(stdout, &first, "fingerprint", fp);
        tool_json_kv_bool(stdout, &first, "inproc", (info->flags & NX_MSG_INPROC) != 0);
        tool_json_key(stdout, &first, "data");
        fputc('"', stdout);
        hex_bytes(stdout, p, shown, false);
        fputc('"', stdout);
        tool_json_kv_bool(stdout, &first, "truncated", shown < size);
        fputs("}\n", stdout);
    } else {
        char lat[32];
        tool_fmt_duration(lat, sizeof lat, latency);
        printf("seq=%" PRIu64 " sender=%s pid=%" PRIu32 " size=%zu latency=%s", info->seq,
               sender, info->sender_pid, size, lat);
        if (!st->hex) {
            fputs(" data=", stdout);
            hex_bytes(stdout, p, shown, true);
            fputs(shown < size ? " ... |" : " |", stdout);
            text_bytes(stdout, p, shown);
            fputs("|\n", stdout);
        } else {
            fputc('\n', stdout);
            for (size_t off = 0; off < size; off += 16) {
                size_t k = size - off < 16 ? size - off : 16;
                printf("  %04zx  ", off);
                hex_bytes(stdout, p + off, k, true);
                printf("%*s  |", (int)(3 * (16 - k)), "");
                text_bytes(stdout, p + off, k);
                fputs("|\n", stdout);
            }
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        atomic_store_explicit(&st->write_failed, true, memory_order_relaxed);
}

enum {
    OPT_GROUP = 1,
    OPT_COUNT,
    OPT_HEX,
    OPT_TIMEOUT,
    OPT_TEXT,
    OPT_FILE,
    OPT_RATE,
    OPT_WAIT
};

int tool_cmd_echo(tool_ctx_t *ctx, tool_args_t *a)
{
    static const tool_opt_t opts[] = {
        {"group", 'g', true, OPT_GROUP},
        {"count", 'n', true, OPT_COUNT},
        {"hex", 'x', false, OPT_HEX},
        {"timeout", 't', true, OPT_TIMEOUT},
        {NULL, 0, false, 0},
    };
    const char *group = "", *topic = NULL, *val;
    double timeout_s = 0;
    static echo_state_t st; /* outlives the node: the callback points at it */
    memset(&st, 0, sizeof st);
    for (int id; (id = tool_args_next(a, opts, &val)) != TOOL_ARG_END;) {
        switch (id) {
        case TOOL_ARG_ERROR:
            return TOOL_USAGE;
        case TOOL_OPT_HELP:
            fputs(echo_help, stdout);
            return TOOL_OK;
        case TOOL_ARG_POSITIONAL:
            if (topic)
                return tool_usage_err(a->cmd, "unexpected argument '%s'", val);
            topic = val;
            break;
        case OPT_GROUP:
            group = val;
            break;
        case OPT_COUNT:
            if (!tool_parse_u64(val, 1, UINT64_MAX, &st.count))
                return tool_usage_err(a->cmd, "--count wants a positive number, not '%s'",
                                      val);
            break;
        case OPT_HEX:
            st.hex = true;
            break;
        case OPT_TIMEOUT:
            if (!tool_parse_double(val, 1e7, &timeout_s) || timeout_s <= 0)
                return tool_usage_err(a->cmd, "--timeout wants seconds > 0, not '%s'", val);
            break;
        default:
            if (tool_apply_common(ctx, id, val) != TOOL_OK)
                return TOOL_USAGE;
        }
    }
    if (check_names(a->cmd, group, topic) != TOOL_OK)
        return TOOL_USAGE;
    if (tool_resolve_domain(ctx, a->cmd) != TOOL_OK)
        return TOOL_USAGE;
    st.json = ctx->json;

    sigset_t sigs;
    signals_block(&sigs);
    nx_node_t *node;
    if (node_start(ctx, a->cmd, "echo", &node) != TOOL_OK)
        return TOOL_ERR;
    nx_err_t err = nx_subscribe(node, group, topic, echo_cb, &st);
    if (err != NX_OK) {
        tool_err(a->cmd, "cannot subscribe to '%s%s%s': %s", group, group[0] ? "/" : "",
                 topic, nx_strerror(err));
        nx_node_destroy(node);
        return TOOL_ERR;
    }
    fprintf(stderr, "nexus echo: listening to '%s%s%s' in domain '%s' as node '%s'\n",
            group, group[0] ? "/" : "", topic, ctx->domain, nx_node_name(node));

    uint64_t start = tool_now_ns();
    uint64_t deadline = timeout_s > 0 ? start + (uint64_t)(timeout_s * 1e9) : 0;
    bool timed_out = false, interrupted = false;
    for (;;) {
        if (st.count && atomic_load(&st.received) >= st.count)
            break;
        if (atomic_load(&st.write_failed))
            break;
        uint64_t now = tool_now_ns();
        if (deadline && now >= deadline) {
            timed_out = true;
            break;
        }
        uint64_t wait = 20000000u; /* 20 ms: how soon --count is noticed */
        if (deadline && deadline - now < wait)
            wait = deadline - now;
        if (signals_wait(&sigs, wait)) {
            interrupted = true;
            break;
        }
    }
    nx_node_destroy(node);
    uint64_t got = atomic_load(&st.received);
    if (st.count && got > st.count)
        got = st.count;
    if (atomic_load(&st.write_failed)) {
        tool_err(a->cmd, "cannot write to the standard output; stopped");
        return TOOL_ERR;
    }
    fprintf(stderr, "nexus echo: %" PRIu64 " message%s%s\n", got, got == 1 ? "" : "s",
            interrupted ? " (interrupted)" : "");
    if (timed_out && st.count && got < st.count) {
        tool_err(a->cmd, "timed out after %g s with %" PRIu64 " of %" PRIu64 " messages",
                 timeout_s, got, st.count);
        return TOOL_ERR;
    }
    return TOOL_OK;
}

/* ---- pub ------------------------------------------------------------------------ */

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse HEX into a malloc'd buffer. Separators: white space and ':';
 * each byte may be written 0xNN. */
static bool parse_hex(const char *s, uint8_t **out, size_t *len)
{
    size_t cap = strlen(s) / 2 + 1, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return false;
    const char *p = s;
    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == ':') {
            p++;
            continue;
        }
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
            p += 2;
        int hi = hex_digit((unsigned char)p[0]);
        int lo = hi >= 0 ? hex_digit((unsigned char)p[1]) : -1;
        if (hi < 0 || lo < 0 || n >= cap) {
            free(buf);
            return false;
        }
        buf[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    *out = buf;
    *len = n;
    return true;
}

static bool read_file(const char *path, uint8_t **out, size_t *len, char *why, size_t wsize)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(why, wsize, "%s", strerror(errno));
        return false;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    bool ok = buf != NULL;
    while (ok) {
        if (n == cap) {
            if (cap >= PUB_MAX_FILE) {
                snprintf(why, wsize, "larger than %u bytes", PUB_MAX_FILE);
                ok = false;
                break;
            }
            uint8_t *b = realloc(buf, cap * 2);
            if (!b) {
                snprintf(why, wsize, "out of memory");
                ok = false;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                snprintf(why, wsize, "%s", strerror(errno));
                ok = false;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    if (!ok) {
        free(buf);
        return false;
    }
    *out = buf;
    *len = n;
    return true;
}

/* Warn when the registry says the topic is typed: typed subscribers drop
 * raw messages (their fingerprint check fails). */
static void pub_warn_typed(const tool_ctx_t *ctx, const char *cmd, const char *group,
                           const char *topic)
{
    nx_snapshot_opts_t o;
    nx_snapshot_opts_init(&o);
    o.segments = false;
    nx_snapshot_t *snap;
    if (nx_snapshot_take(ctx->domain, &o, &snap) != NX_OK)
        return;
    for (size_t i = 0; i < nx_snapshot_topic_count(snap); i++) {
        const nx_inspect_topic_t *tp = nx_snapshot_topic(snap, i);
        if (tp->fingerprint && strcmp(tp->group, group) == 0 &&
            strcmp(tp->name, topic) == 0) {
            tool_err(cmd,
                     "warning: '%s' carries type %s (%" PRIu32 " bytes); typed "
                     "subscribers drop raw messages, only raw subscribers get them",
                     topic, tp->type_name, tp->type_size);
            break;
        }
    }
    nx_snapshot_free(snap);
}

int tool_cmd_pub(tool_ctx_t *ctx, tool_args_t *a)
{
    static const tool_opt_t opts[] = {
        {"group", 'g', true, OPT_GROUP},
        {"count", 'n', true, OPT_COUNT},
        {"hex", 0, true, OPT_HEX},
        {"text", 0, true, OPT_TEXT},
        {"file", 0, true, OPT_FILE},
        {"rate", 'r', true, OPT_RATE},
        {"wait-subscribers", 'w', true, OPT_WAIT},
        {"timeout", 't', true, OPT_TIMEOUT},
        {NULL, 0, false, 0},
    };
    const char *group = "", *topic = NULL, *val;
    const char *text = NULL, *hex = NULL, *file = NULL;
    uint64_t count = 1, wait_subs = 0;
    double rate = 10, timeout_s = 10;
    int sources = 0;
    for (int id; (id = tool_args_next(a, opts, &val)) != TOOL_ARG_END;) {
        switch (id) {
        case TOOL_ARG_ERROR:
            return TOOL_USAGE;
        case TOOL_OPT_HELP:
            fputs(pub_help, stdout);
            return TOOL_OK;
        case TOOL_ARG_POSITIONAL:
            if (topic)
                return tool_usage_err(a->cmd, "unexpected argument '%s'", val);
            topic = val;
            break;
        case OPT_GROUP:
            group = val;
            break;
        case OPT_COUNT:
            if (!tool_parse_u64(val, 0, UINT64_MAX, &count))
                return tool_usage_err(a->cmd, "--count wants a number, not '%s'", val);
            break;
        case OPT_TEXT:
            text = val;
            sources++;
            break;
        case OPT_HEX:
            hex = val;
            sources++;
            break;
        case OPT_FILE:
            file = val;
            sources++;
            break;
        case OPT_RATE:
            if (!tool_parse_double(val, 1e9, &rate))
                return tool_usage_err(a->cmd, "--rate wants messages per second, not '%s'",
                                      val);
            break;
        case OPT_WAIT:
            if (!tool_parse_u64(val, 0, TOOL_MAX_NODES, &wait_subs))
                return tool_usage_err(a->cmd, "--wait-subscribers wants 0..%u, not '%s'",
                                      TOOL_MAX_NODES, val);
            break;
        case OPT_TIMEOUT:
            if (!tool_parse_double(val, 1e7, &timeout_s) || timeout_s <= 0)
                return tool_usage_err(a->cmd, "--timeout wants seconds > 0, not '%s'", val);
            break;
        default:
            if (tool_apply_common(ctx, id, val) != TOOL_OK)
                return TOOL_USAGE;
        }
    }
    if (check_names(a->cmd, group, topic) != TOOL_OK)
        return TOOL_USAGE;
    if (sources != 1)
        return tool_usage_err(a->cmd, "%s",
                              sources ? "give only one of --text, --hex, --file"
                                      : "missing payload: --text, --hex or --file");
    if (tool_resolve_domain(ctx, a->cmd) != TOOL_OK)
        return TOOL_USAGE;

    uint8_t *data = NULL;
    size_t size = 0;
    if (text) {
        size = strlen(text);
        data = malloc(size ? size : 1);
        if (data)
            memcpy(data, text, size);
    } else if (hex) {
        if (!parse_hex(hex, &data, &size))
            return tool_usage_err(a->cmd, "--hex wants pairs of hex digits, not '%s'", hex);
    } else {
        char why[128];
        if (!read_file(file, &data, &size, why, sizeof why)) {
            tool_err(a->cmd, "cannot read '%s': %s", file, why);
            return TOOL_ERR;
        }
    }
    if (!data) {
        tool_err(a->cmd, "out of memory");
        return TOOL_ERR;
    }

    sigset_t sigs;
    signals_block(&sigs);
    nx_node_t *node;
    if (node_start(ctx, a->cmd, "pub", &node) != TOOL_OK) {
        free(data);
        return TOOL_ERR;
    }
    int rc = TOOL_OK;
    uint64_t sent = 0, dropped = 0;
    size_t subs = 0;
    bool interrupted = false;
    /* Wait for subscribers first if asked. */
    uint64_t deadline = tool_now_ns() + (uint64_t)(timeout_s * 1e9);
    for (;;) {
        nx_err_t err = nx_subscriber_count(node, group, topic, &subs);
        if (err != NX_OK) {
            tool_err(a->cmd, "cannot count subscribers: %s", nx_strerror(err));
            rc = TOOL_ERR;
            goto out;
        }
        if (subs >= wait_subs)
            break;
        if (tool_now_ns() >= deadline) {
            tool_err(a->cmd, "%zu of %" PRIu64 " subscribers after %g s; nothing published",
                     subs, wait_subs, timeout_s);
            rc = TOOL_ERR;
            goto out;
        }
        if (signals_wait(&sigs, 10000000u)) {
            interrupted = true;
            goto out;
        }
    }
    if (subs == 0)
        tool_err(a->cmd,
                 "warning: '%s%s%s' has no subscriber: the message%s go%s nowhere "
                 "(--wait-subscribers 1 waits for one)",
                 group, group[0] ? "/" : "", topic, count == 1 ? "" : "s",
                 count == 1 ? "es" : "");
    pub_warn_typed(ctx, a->cmd, group, topic);
    nx_err_t err = nx_publisher_set_policy(node, group, topic, NX_ON_FULL_BLOCK, 1000);
    if (err != NX_OK) {
        tool_err(a->cmd, "cannot publish to '%s': %s", topic, nx_strerror(err));
        rc = TOOL_ERR;
        goto out;
    }
    uint64_t period = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
    uint64_t start = tool_now_ns();
    for (uint64_t i = 0; count == 0 || i < count; i++) {
        if (i && period) {
            uint64_t next = start + i * period, now = tool_now_ns();
            if (next > now && signals_wait(&sigs, next - now)) {
                interrupted = true;
                break;
            }
        } else if (signals_wait(&sigs, 0)) {
            interrupted = true;
            break;
        }
        err = nx_publish(node, group, topic, data, size);
        if (err == NX_ETIMEOUT || err == NX_EPARTIAL) {
            dropped++; /* queued for the others */
        } else if (err != NX_OK) {
            tool_err(a->cmd, "publish of %zu bytes to '%s' failed: %s (%s)", size, topic,
                     nx_strerror(err), nx_err_name(err));
            rc = TOOL_ERR;
            break;
        } else {
            sent++;
        }
    }
    if (dropped) {
        tool_err(a->cmd,
                 "%" PRIu64 " message%s not queued by every subscriber (a queue "
                 "full for 1 s, or a subscriber that could not be reached)",
                 dropped, dropped == 1 ? "" : "s");
        rc = TOOL_ERR;
    }
out:
    nx_node_destroy(node);
    free(data);
    if (ctx->json) {
        bool first = true;
        fputc('{', stdout);
        tool_json_kv_str(stdout, &first, "domain", ctx->domain);
        tool_json_kv_str(stdout, &first, "group", group);
        tool_json_kv_str(stdout, &first, "topic", topic);
        tool_json_kv_u64(stdout, &first, "size", size);
        tool_json_kv_u64(stdout, &first, "subscribers", subs);
        tool_json_kv_u64(stdout, &first, "published", sent);
        tool_json_kv_u64(stdout, &first, "dropped", dropped);
        tool_json_kv_bool(stdout, &first, "interrupted", interrupted);
        fputs("}\n", stdout);
    } else {
        printf("published %" PRIu64 " message%s of %zu byte%s to '%s%s%s' (%zu "
               "subscriber%s)%s\n",
               sent, sent == 1 ? "" : "s", size, size == 1 ? "" : "s", group,
               group[0] ? "/" : "", topic, subs, subs == 1 ? "" : "s",
               interrupted ? ", interrupted" : "");
    }
    return rc;
}
