/*
 * nx_peer: one side of a multi-process test, run by the test drivers.
 *
 *   nx_peer sub [opts]   subscribe, check every message, report
 *   nx_peer pub [opts]   publish numbered messages
 *   nx_peer echo [opts]  republish everything from --topic to --out, from
 *                        inside the callback, until SIGTERM
 *   nx_peer churn [opts] subscribe and unsubscribe without pause until SIGTERM
 *   nx_peer idle --nodes N [opts]  N nodes (NAME-0 ...) that only live,
 *                        until SIGTERM; prints IDLE nodes=N reaped=R
 *
 * Options:
 *   --node NAME        node name (required)
 *   --topic T          topic (default "t"), group is always "g"
 *   --notify M         semaphore | condvar | spin
 *   --count N          pub: messages per thread; sub: messages per publisher expected
 *   --pubs P           sub: number of publisher ids expected (ids 0..P-1)
 *   --id I             pub: publisher id (threads use I, I+1, ...)
 *   --threads K        pub: publishing threads (default 1)
 *   --size B           pub: payload bytes (>= 32, default 256)
 *   --block-ms MS      pub: on_full = block with this wait (default: fail + retry)
 *   --wait-subs K      pub: wait until the topic has K subscribers
 *   --interval-us U    pub: pause between messages
 *   --forever          pub: publish until SIGTERM; sub: receive until SIGTERM
 *   --contiguous       sub: accept a late start: count N messages from the first seen
 *   --timeout-s S      give up after S seconds (default 60)
 *   --typed            use a schema-style typed topic instead of raw
 *   --queue-capacity C, --message-size M, --queues Q
 *   --ring BYTES       large-data ring size (default 0: none; payloads
 *                      larger than a slot then fail with NX_ETOOBIG)
 *   --unsub-after N    sub: unsubscribe after N messages, then verify none arrive
 *   --restarts R       sub: recreate the node R times (every 100 messages)
 *   --fingerprint F    --typed: use type fingerprint F (type-mismatch tests)
 *   --hb-ms H, --hb-timeout-ms T   heartbeat period and timeout (100, 2000)
 *   --allow-gaps       sub: missing messages are not a failure (hung subscriber)
 *   --tolerant         sub: only count; nothing is a failure (corruption tests)
 *
 * SIGTERM makes a publisher stop and leave cleanly.
 *
 * The subscriber prints "READY" once subscribed, then one line
 *   RESULT id=I count=C first=F last=L gaps=G dups=D disorder=O bad=B
 * per publisher id, then "DONE ok" or "DONE fail <why>". Exit 0 iff ok.
 */
#include <nexus/nexus.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_IDS    64
#define PEER_MAGIC 0x50454552u

typedef struct payload {
    uint32_t magic;
    uint32_t id;
    uint64_t seq;
    uint32_t size;
    uint32_t sum; /* over bytes [24, size) */
    uint64_t pad;
    /* fill follows */
} payload_t;

static struct {
    const char *mode, *node, *topic, *out;
    nx_notify_mode_t notify;
    uint64_t count;
    uint32_t pubs, id, threads, size, block_ms, wait_subs, interval_us;
    uint32_t timeout_s, queue_capacity, message_size, queues;
    uint64_t ring; /* large-data ring bytes; 0: none */
    uint64_t unsub_after;
    uint32_t restarts;
    uint32_t nodes;
    uint64_t fingerprint;
    uint32_t hb_ms, hb_timeout_ms;
    bool forever, contiguous, typed, block, allow_gaps, tolerant;
} opt = {
    .topic = "t", .count = 1000, .pubs = 1, .threads = 1, .size = 256, .timeout_s = 60};

/* A typed topic as nexus-idlc would generate it, written by hand so the
 * runtime tests do not depend on the compiler. */
typedef struct peer_msg {
    uint8_t bytes[256];
} peer_msg_t;
static nx_err_t peer_msg_validate(const void *m)
{
    const payload_t *p = m;
    return p->magic == PEER_MAGIC ? NX_OK : NX_ECORRUPT;
}
static const nx_field_desc_t peer_fields[] = {
    {.name = "bytes",
     .kind = NX_KIND_BYTE,
     .offset = 0,
     .size = 256,
     .ndims = 1,
     .dims = {256}},
};
static nx_type_desc_t peer_type = {
    .name = "test.PeerMsg",
    .size = sizeof(peer_msg_t),
    .align = 1,
    .fingerprint = UINT64_C(0x1122334455667788),
    .field_count = 1,
    .fields = peer_fields,
    .validate = peer_msg_validate,
};
static nx_topic_desc_t peer_topic = {.name = "t", .type = &peer_type};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t checksum(const uint8_t *b, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static nx_config_t make_config(void)
{
    nx_config_t c;
    nx_config_default(&c);
    c.node.notify = opt.notify;
    if (opt.queue_capacity)
        c.node.queue_capacity = opt.queue_capacity;
    if (opt.message_size)
        c.node.message_size = opt.message_size;
    if (opt.queues)
        c.node.max_inbound_queues = opt.queues;
    c.node.heartbeat_ms = opt.hb_ms ? opt.hb_ms : 100;
    c.node.heartbeat_timeout_ms = opt.hb_timeout_ms ? opt.hb_timeout_ms : 2000;
    c.large_data.ring_size = opt.ring;
    return c;
}

static atomic_bool stop_requested; /* SIGTERM: finish cleanly (lock-free: signal-safe) */

static void on_term(int sig)
{
    (void)sig;
    atomic_store(&stop_requested, true);
}

static void catch_term(void)
{
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- subscriber ------------------------------------------------------- */

typedef struct track {
    uint64_t count, first, last, gaps, dups, disorder;
    uint64_t next;
} track_t;

static track_t tracks[MAX_IDS];
/* The receive thread updates tracks; the main thread polls all_done(). */
static pthread_mutex_t tracks_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint_fast64_t total, bad, after_unsub;
static atomic_bool unsubscribed;

static void on_bytes(const void *data, size_t size)
{
    const payload_t *p = data;
    if (size < sizeof *p || p->magic != PEER_MAGIC || p->id >= MAX_IDS || p->size != size ||
        checksum((const uint8_t *)data + 24, size - 24) != p->sum) {
        atomic_fetch_add(&bad, 1);
        return;
    }
    if (atomic_load(&unsubscribed))
        atomic_fetch_add(&after_unsub, 1);
    pthread_mutex_lock(&tracks_lock);
    track_t *t = &tracks[p->id];
    if (t->count == 0) {
        t->first = p->seq;
        t->next = p->seq;
    }
    if (p->seq == t->next) {
        t->next++;
    } else if (p->seq > t->next) {
        t->gaps += p->seq - t->next;
        t->next = p->seq + 1;
    } else if (p->seq < t->next) {
        /* Seen before (a duplicate) or out of order; both are failures. */
        t->dups++;
    }
    if (t->count && p->seq < t->last)
        t->disorder++;
    t->last = p->seq;
    t->count++;
    pthread_mutex_unlock(&tracks_lock);
    atomic_fetch_add(&total, 1);
}

static void on_raw(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    on_bytes(data, size);
}

static void on_typed(const void *msg, const nx_msg_info_t *info, nx_generic_fn fn,
                     void *user)
{
    (void)info;
    (void)fn;
    (void)user;
    on_bytes(msg, sizeof(peer_msg_t));
}
static void typed_placeholder(void) {}

static nx_err_t do_subscribe(nx_node_t *node)
{
    if (opt.typed)
        return nx_topic_subscribe(node, &peer_topic, on_typed, typed_placeholder, NULL);
    return nx_subscribe(node, "g", opt.topic, on_raw, NULL);
}

static bool all_done(void)
{
    bool done = true;
    pthread_mutex_lock(&tracks_lock);
    for (uint32_t i = 0; i < opt.pubs && done; i++)
        done = tracks[i].count >= opt.count;
    pthread_mutex_unlock(&tracks_lock);
    return done;
}

static void print_node_stats(nx_node_t *node)
{
    nx_node_stats_t st;
    if (nx_node_stats(node, &st) == NX_OK)
        printf("NODESTATS received=%" PRIu64 " dispatched=%" PRIu64
               " rejected_corrupt=%" PRIu64 " rejected_type=%" PRIu64 " unrouted=%" PRIu64
               " reaped=%" PRIu64 "\n",
               st.received, st.dispatched, st.rejected_corrupt, st.rejected_type,
               st.unrouted, st.peers_reaped);
}

static int run_sub(void)
{
    catch_term();
    nx_config_t c = make_config();
    nx_node_t *node;
    nx_err_t err = nx_node_create(opt.node, &c, &node);
    if (err != NX_OK) {
        printf("DONE fail create %s\n", nx_err_name(err));
        return 1;
    }
    if ((err = do_subscribe(node)) != NX_OK) {
        printf("DONE fail subscribe %s\n", nx_err_name(err));
        nx_node_destroy(node);
        return 1;
    }
    printf("READY\n");
    fflush(stdout);
    uint64_t deadline = now_ns() + (uint64_t)opt.timeout_s * 1000000000u;
    uint32_t restarts = 0;
    const char *why = NULL;
    while (opt.forever || !all_done()) {
        if (atomic_load(&stop_requested))
            break;
        if (!opt.forever && now_ns() > deadline) {
            why = "timeout";
            break;
        }
        if (opt.unsub_after && !atomic_load(&unsubscribed) &&
            atomic_load(&total) >= opt.unsub_after) {
            if ((err = nx_unsubscribe(node, "g", opt.topic)) != NX_OK) {
                why = "unsubscribe";
                break;
            }
            atomic_store(&unsubscribed, true);
            printf("UNSUBSCRIBED\n");
            fflush(stdout);
            /* The publisher keeps going; nothing may arrive from now on. */
            usleep(300000);
            break;
        }
        if (restarts < opt.restarts && atomic_load(&total) >= (restarts + 1) * 100) {
            nx_node_destroy(node);
            if ((err = nx_node_create(opt.node, &c, &node)) != NX_OK ||
                (err = do_subscribe(node)) != NX_OK) {
                printf("DONE fail restart %s\n", nx_err_name(err));
                return 1;
            }
            restarts++;
            printf("RESTARTED %u\n", restarts);
            fflush(stdout);
        }
        usleep(1000);
    }
    print_node_stats(node);
    nx_node_destroy(node);
    for (uint32_t i = 0; i < opt.pubs; i++) {
        track_t *t = &tracks[i];
        printf("RESULT id=%u count=%" PRIu64 " first=%" PRIu64 " last=%" PRIu64
               " gaps=%" PRIu64 " dups=%" PRIu64 " disorder=%" PRIu64 " bad=%" PRIu64 "\n",
               i, t->count, t->first, t->last, t->gaps, t->dups, t->disorder,
               (uint64_t)atomic_load(&bad));
        if (!why && !opt.unsub_after && !opt.restarts && !opt.tolerant &&
            ((t->gaps && !opt.allow_gaps) || t->dups || t->disorder ||
             (!opt.contiguous && t->count && t->first != 1)))
            why = "sequence";
    }
    if (!why && atomic_load(&bad) && !opt.tolerant)
        why = "corrupt";
    if (!why && atomic_load(&after_unsub))
        why = "after-unsubscribe";
    printf(why ? "DONE fail %s\n" : "DONE ok\n", why);
    return why ? 1 : 0;
}

/* ---- publisher -------------------------------------------------------- */

static nx_node_t *pub_node;
static atomic_int pub_failed;
static atomic_uint_fast64_t pub_sent, pub_timeouts, pub_partial;

static void *pub_thread(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    uint8_t buf[65536] __attribute__((aligned(8)));
    payload_t *p = (payload_t *)buf;
    uint32_t size = opt.typed ? (uint32_t)sizeof(peer_msg_t) : opt.size;
    for (uint64_t seq = 1; (opt.forever || seq <= opt.count) && !stop_requested; seq++) {
        memset(buf, 0, size);
        p->magic = PEER_MAGIC;
        p->id = id;
        p->seq = seq;
        p->size = size;
        for (uint32_t i = 32; i < size; i++)
            buf[i] = (uint8_t)(seq * 31u + i + id);
        p->sum = checksum(buf + 24, size - 24);
        while (!stop_requested) {
            nx_err_t err = opt.typed ? nx_topic_publish(pub_node, &peer_topic, buf)
                                     : nx_publish(pub_node, "g", opt.topic, buf, size);
            if (err == NX_OK) {
                atomic_fetch_add(&pub_sent, 1);
                break;
            }
            if (err == NX_EPARTIAL) {
                /* Queued for every subscriber that could be reached. */
                atomic_fetch_add(&pub_sent, 1);
                atomic_fetch_add(&pub_partial, 1);
                break;
            }
            if (err == NX_ETIMEOUT)
                atomic_fetch_add(&pub_timeouts, 1);
            if (err == NX_ETIMEOUT && !opt.block) {
                usleep(50); /* fail mode: the test retries the same message */
                continue;
            }
            if (err == NX_ETIMEOUT) {
                fprintf(stderr, "pub %u: seq %" PRIu64 " timed out\n", id, seq);
                continue; /* block mode timed out: retry, never skip */
            }
            printf("PUBLISH %s\n", nx_err_name(err));
            fprintf(stderr, "pub %u: publish: %s\n", id, nx_err_name(err));
            atomic_store(&pub_failed, 1);
            return NULL;
        }
        if (opt.interval_us)
            usleep(opt.interval_us);
    }
    return NULL;
}

static int run_pub(void)
{
    catch_term();
    nx_config_t c = make_config();
    nx_err_t err = nx_node_create(opt.node, &c, &pub_node);
    if (err != NX_OK) {
        fprintf(stderr, "pub: create: %s\n", nx_err_name(err));
        return 1;
    }
    if (opt.typed)
        peer_topic.on_full = opt.block ? NX_ON_FULL_BLOCK : NX_ON_FULL_FAIL,
        peer_topic.block_ms = opt.block_ms;
    else if (opt.block)
        nx_publisher_set_policy(pub_node, "g", opt.topic, NX_ON_FULL_BLOCK, opt.block_ms);
    if (opt.wait_subs) {
        uint64_t deadline = now_ns() + (uint64_t)opt.timeout_s * 1000000000u;
        size_t n = 0;
        while ((nx_subscriber_count(pub_node, opt.typed ? "" : "g",
                                    opt.typed ? peer_topic.name : opt.topic, &n) != NX_OK ||
                n < opt.wait_subs) &&
               now_ns() < deadline)
            usleep(1000);
        if (n < opt.wait_subs) {
            fprintf(stderr, "pub: only %zu subscribers\n", n);
            nx_node_destroy(pub_node);
            return 1;
        }
    }
    printf("READY\n");
    fflush(stdout);
    pthread_t th[64];
    uint32_t k = opt.threads > 64 ? 64 : opt.threads;
    for (uint32_t i = 0; i < k; i++)
        pthread_create(&th[i], NULL, pub_thread, (void *)(uintptr_t)(opt.id + i));
    for (uint32_t i = 0; i < k; i++)
        pthread_join(th[i], NULL);
    nx_queue_stats_t out[16];
    size_t nout = 0;
    if (nx_node_outbound_stats(pub_node, out, 16, &nout) == NX_OK)
        for (size_t i = 0; i < nout && i < 16; i++)
            printf("OUTBOUND peer=%s sent=%" PRIu64 " unreached=%" PRIu64 "\n", out[i].peer,
                   out[i].sent, out[i].unreached);
    nx_node_destroy(pub_node);
    printf("SENT count=%" PRIu64 " timeouts=%" PRIu64 " partial=%" PRIu64 "\n",
           (uint64_t)atomic_load(&pub_sent), (uint64_t)atomic_load(&pub_timeouts),
           (uint64_t)atomic_load(&pub_partial));
    printf("DONE %s\n", atomic_load(&pub_failed) ? "fail" : "ok");
    return atomic_load(&pub_failed);
}

/* ---- echo: a callback that publishes ----------------------------------- */

static nx_node_t *echo_node;
static atomic_uint_fast64_t bounced, echo_timeouts, echo_errors;

static void on_echo(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)info;
    (void)user;
    nx_err_t err = nx_publish(echo_node, "g", opt.out, data, size);
    if (err == NX_OK)
        atomic_fetch_add(&bounced, 1);
    else if (err == NX_ETIMEOUT)
        atomic_fetch_add(&echo_timeouts, 1);
    else
        atomic_fetch_add(&echo_errors, 1);
}

static int run_echo(void)
{
    catch_term();
    nx_config_t c = make_config();
    if (!opt.out || nx_node_create(opt.node, &c, &echo_node) != NX_OK)
        return 1;
    nx_publisher_set_policy(echo_node, "g", opt.out,
                            opt.block ? NX_ON_FULL_BLOCK : NX_ON_FULL_FAIL, opt.block_ms);
    if (nx_subscribe(echo_node, "g", opt.topic, on_echo, NULL) != NX_OK)
        return 1;
    printf("READY\n");
    while (!atomic_load(&stop_requested))
        usleep(10000);
    nx_node_destroy(echo_node);
    printf("ECHO bounced=%" PRIu64 " timeouts=%" PRIu64 " errors=%" PRIu64 "\n",
           (uint64_t)atomic_load(&bounced), (uint64_t)atomic_load(&echo_timeouts),
           (uint64_t)atomic_load(&echo_errors));
    printf("DONE ok\n");
    return 0;
}

/* Registry churn: subscribe and unsubscribe, advertise and leave topics,
 * as fast as the registry allows, until told to stop; every change is a
 * registry write, so a SIGSTOP lands inside one often. */
static void on_nothing(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)data;
    (void)size;
    (void)info;
    (void)user;
}

static int run_churn(void)
{
    catch_term();
    nx_config_t c = make_config();
    nx_node_t *node;
    nx_err_t err = nx_node_create(opt.node, &c, &node);
    if (err != NX_OK) {
        printf("DONE fail create %s\n", nx_err_name(err));
        return 1;
    }
    printf("READY\n");
    uint64_t changes = 0, errors = 0;
    char topic[32];
    while (!atomic_load(&stop_requested)) {
        snprintf(topic, sizeof topic, "churn%u", (unsigned)(changes % 8));
        err = nx_subscribe(node, "g", (changes & 1) ? opt.topic : topic, on_nothing, NULL);
        errors += err != NX_OK;
        err = nx_unsubscribe(node, "g", (changes & 1) ? opt.topic : topic);
        errors += err != NX_OK;
        changes += 2;
        usleep(20); /* busy, but leaving the other tests some CPU */
    }
    nx_node_destroy(node);
    printf("CHURN changes=%" PRIu64 " errors=%" PRIu64 "\n", changes, errors);
    printf("DONE ok\n");
    return errors ? 1 : 0;
}

/* Many nodes that only live: they beat and reap, nothing else. The test
 * checks that none of them ever removed another (all stay alive). */
static int run_idle(void)
{
    catch_term();
    nx_config_t c = make_config();
    uint32_t n = opt.nodes ? opt.nodes : 1;
    nx_node_t **nodes = calloc(n, sizeof *nodes);
    if (!nodes)
        return 1;
    for (uint32_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%u", opt.node, i);
        nx_err_t err = nx_node_create(name, &c, &nodes[i]);
        if (err != NX_OK) {
            printf("DONE fail create %s: %s\n", name, nx_err_name(err));
            return 1;
        }
    }
    printf("READY\n");
    while (!atomic_load(&stop_requested))
        usleep(10000);
    uint64_t reaped = 0;
    for (uint32_t i = 0; i < n; i++) {
        nx_node_stats_t st;
        if (nx_node_stats(nodes[i], &st) == NX_OK)
            reaped += st.peers_reaped;
        nx_node_destroy(nodes[i]);
    }
    free(nodes);
    printf("IDLE nodes=%u reaped=%" PRIu64 "\n", n, reaped);
    printf("DONE ok\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nx_peer sub|pub [options]\n");
        return 2;
    }
    opt.mode = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT_S(name, field)                                                                 \
    if (!strcmp(a, name) && v) {                                                           \
        opt.field = v;                                                                     \
        i++;                                                                               \
        continue;                                                                          \
    }
#define OPT_U(name, field)                                                                 \
    if (!strcmp(a, name) && v) {                                                           \
        opt.field = (__typeof__(opt.field))strtoull(v, NULL, 0);                           \
        i++;                                                                               \
        continue;                                                                          \
    }
#define OPT_B(name, field)                                                                 \
    if (!strcmp(a, name)) {                                                                \
        opt.field = true;                                                                  \
        continue;                                                                          \
    }
        OPT_S("--node", node)
        OPT_S("--topic", topic)
        OPT_S("--out", out)
        OPT_U("--count", count)
        OPT_U("--pubs", pubs)
        OPT_U("--id", id)
        OPT_U("--threads", threads)
        OPT_U("--size", size)
        OPT_U("--wait-subs", wait_subs)
        OPT_U("--interval-us", interval_us)
        OPT_U("--timeout-s", timeout_s)
        OPT_U("--queue-capacity", queue_capacity)
        OPT_U("--message-size", message_size)
        OPT_U("--queues", queues)
        OPT_U("--ring", ring)
        OPT_U("--unsub-after", unsub_after)
        OPT_U("--restarts", restarts)
        OPT_U("--nodes", nodes)
        OPT_U("--fingerprint", fingerprint)
        OPT_U("--hb-ms", hb_ms)
        OPT_U("--hb-timeout-ms", hb_timeout_ms)
        OPT_B("--forever", forever)
        OPT_B("--contiguous", contiguous)
        OPT_B("--typed", typed)
        OPT_B("--allow-gaps", allow_gaps)
        OPT_B("--tolerant", tolerant)
        if (!strcmp(a, "--block-ms") && v) {
            opt.block = true;
            opt.block_ms = (uint32_t)strtoul(v, NULL, 0);
            i++;
            continue;
        }
        if (!strcmp(a, "--notify") && v) {
            opt.notify = !strcmp(v, "condvar") ? NX_NOTIFY_CONDVAR
                         : !strcmp(v, "spin")  ? NX_NOTIFY_SPIN
                                               : NX_NOTIFY_SEMAPHORE;
            i++;
            continue;
        }
        fprintf(stderr, "nx_peer: unknown option %s\n", a);
        return 2;
    }
    if (!opt.node || opt.size < 32 || opt.size > 65536 || opt.pubs > MAX_IDS) {
        fprintf(stderr, "nx_peer: bad options\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (opt.fingerprint)
        peer_type.fingerprint = opt.fingerprint;
    if (!strcmp(opt.mode, "sub"))
        return run_sub();
    if (!strcmp(opt.mode, "pub"))
        return run_pub();
    if (!strcmp(opt.mode, "echo"))
        return run_echo();
    if (!strcmp(opt.mode, "churn"))
        return run_churn();
    if (!strcmp(opt.mode, "idle"))
        return run_idle();
    fprintf(stderr, "nx_peer: unknown mode %s\n", opt.mode);
    return 2;
}
