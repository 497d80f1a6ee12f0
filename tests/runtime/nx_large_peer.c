/*
 * nx_large_peer: one side of a large-data test, run by test_large.
 *
 *   nx_large_peer pub --node N --count F [--sizes a,b,c] [--loan SIZE]
 *                     [--ring BYTES] [--block-ms MS] [--wait-subs K]
 *   nx_large_peer sub --node N --count F [--sizes a,b,c] [--loan SIZE]
 *                     [--slow-ms MS] [--hold-all | --hold-release] [--ring BYTES]
 *
 * Frame k (from 1) has size sizes[(k-1) % n] (or the loan type's size),
 * a header {magic, seq, size} and a pattern derived from seq; the
 * subscriber checks every byte through a checksum the header carries.
 * The subscriber prints "READY", "GOT k" for every 10th frame, then
 * "RESULT count=C first=F last=L gaps=G dups=D bad=B" and "DONE ok|fail".
 * The publisher prints "STATS stalls=S full=E dropped=D" from the
 * large-data ring's statistics, then "DONE ok|fail".
 */
#include <nexus/nexus.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC UINT64_C(0x4c41524745465231)

typedef struct frame_hdr {
    uint64_t magic;
    uint64_t seq;
    uint64_t size;
    uint64_t sum;
} frame_hdr_t;

static struct {
    const char *node;
    uint64_t count, ring, loan;
    uint64_t sizes[16];
    unsigned nsizes;
    uint32_t block_ms, wait_subs, slow_ms, timeout_s;
    bool block, hold_all, hold_release;
} opt = {.ring = 16u << 20, .timeout_s = 120};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t size_of(uint64_t seq)
{
    return opt.loan ? opt.loan : opt.sizes[(seq - 1) % opt.nsizes];
}

/* A word-wise checksum: cheap enough for 32 MiB frames. */
static uint64_t checksum(const uint8_t *p, uint64_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3u;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static void fill(uint8_t *buf, uint64_t seq, uint64_t size)
{
    frame_hdr_t *h = (frame_hdr_t *)buf;
    uint64_t x = seq * 0x2545f4914f6cdd1du + 1;
    for (uint64_t i = sizeof *h; i + 8 <= size; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }
    for (uint64_t i = size - size % 8; i < size; i++)
        if (i >= sizeof *h)
            buf[i] = (uint8_t)(seq + i);
    h->magic = MAGIC;
    h->seq = seq;
    h->size = size;
    h->sum = checksum(buf + sizeof *h, size - sizeof *h);
}

/* The typed topic for the loan path: one fixed-size frame type. */
static nx_type_desc_t frame_type = {
    .name = "test.Frame", .align = 8, .fingerprint = UINT64_C(0xf4a3e000)};
static nx_topic_desc_t frame_topic = {.name = "frames", .type = &frame_type};

static nx_config_t make_config(void)
{
    nx_config_t c;
    nx_config_default(&c);
    c.large_data.ring_size = opt.ring;
    c.node.heartbeat_ms = 100;
    c.node.heartbeat_timeout_ms = 2000;
    return c;
}

/* ---- subscriber --------------------------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t got, first, last, gaps, dups, bad, next_seq = 1;
static nx_node_t *sub_node;
/* --hold-release: chunks kept past their callback, released later by the
 * main thread after checking their bytes are still intact. */
static nx_hold_t *holds[64];
static unsigned nholds;
static uint64_t released;

static bool frame_ok(const void *data, size_t size)
{
    const frame_hdr_t *h = data;
    return size >= sizeof *h && h->magic == MAGIC && h->size == size &&
           checksum((const uint8_t *)data + sizeof *h, size - sizeof *h) == h->sum;
}

/* Release all but `keep` holds (main thread). */
static void release_holds(unsigned keep)
{
    pthread_mutex_lock(&lock);
    while (nholds > keep) {
        nx_hold_t *h = holds[0];
        memmove(holds, holds + 1, --nholds * sizeof holds[0]);
        if (!frame_ok(nx_hold_data(h), nx_hold_size(h)))
            bad++;
        nx_hold_release(sub_node, h);
        released++;
    }
    pthread_mutex_unlock(&lock);
}

static void check(const void *data, size_t size, const nx_msg_info_t *info)
{
    const frame_hdr_t *h = data;
    bool ok = size >= sizeof *h && h->magic == MAGIC && h->size == size &&
              size == size_of(h->seq) &&
              checksum((const uint8_t *)data + sizeof *h, size - sizeof *h) == h->sum &&
              (info->flags & NX_MSG_LARGE);
    pthread_mutex_lock(&lock);
    if (!ok) {
        bad++;
    } else {
        if (got == 0)
            first = h->seq;
        if (h->seq > next_seq)
            gaps += h->seq - next_seq;
        else if (h->seq < next_seq)
            dups++;
        next_seq = h->seq + 1;
        last = h->seq;
        got++;
        if (got % 10 == 0)
            printf("GOT %" PRIu64 "\n", got);
    }
    pthread_mutex_unlock(&lock);
    if (opt.slow_ms)
        usleep(opt.slow_ms * 1000u);
    if (opt.hold_all || opt.hold_release) {
        /* Keep the chunk: forever (a subscriber that never lets go), or
         * until the main thread releases it. */
        nx_hold_t *hold;
        if (nx_hold_take(sub_node, info, &hold) != NX_OK) {
            fprintf(stderr, "hold failed\n");
        } else if (opt.hold_release) {
            for (;;) {
                pthread_mutex_lock(&lock);
                bool room = nholds < 64;
                if (room)
                    holds[nholds++] = hold;
                pthread_mutex_unlock(&lock);
                if (room)
                    break;
                usleep(1000);
            }
        }
    }
}

static void on_raw(const void *data, size_t size, const nx_msg_info_t *info, void *user)
{
    (void)user;
    check(data, size, info);
}

static void on_typed(const void *msg, const nx_msg_info_t *info, nx_generic_fn fn,
                     void *user)
{
    (void)fn;
    (void)user;
    check(msg, frame_type.size, info);
}
static void placeholder(void) {}

static int run_sub(void)
{
    nx_config_t c = make_config();
    if (nx_node_create(opt.node, &c, &sub_node) != NX_OK)
        return 1;
    nx_err_t err =
        opt.loan ? nx_topic_subscribe(sub_node, &frame_topic, on_typed, placeholder, NULL)
                 : nx_subscribe(sub_node, "cam", "frames", on_raw, NULL);
    if (err != NX_OK) {
        printf("DONE fail subscribe %s\n", nx_err_name(err));
        return 1;
    }
    printf("READY\n");
    uint64_t deadline = now_ns() + (uint64_t)opt.timeout_s * 1000000000u;
    for (;;) {
        pthread_mutex_lock(&lock);
        bool done = got >= opt.count;
        pthread_mutex_unlock(&lock);
        if (done || now_ns() > deadline)
            break;
        if (opt.hold_release)
            release_holds(2);
        usleep(2000);
    }
    if (opt.hold_release) {
        release_holds(0);
        printf("RELEASED %" PRIu64 "\n", released);
    }
    nx_node_destroy(sub_node);
    printf("RESULT count=%" PRIu64 " first=%" PRIu64 " last=%" PRIu64 " gaps=%" PRIu64
           " dups=%" PRIu64 " bad=%" PRIu64 "\n",
           got, first, last, gaps, dups, bad);
    bool ok = got == opt.count && first == 1 && last == opt.count && !gaps && !dups && !bad;
    printf(ok ? "DONE ok\n" : "DONE fail\n");
    return ok ? 0 : 1;
}

/* ---- publisher ---------------------------------------------------------- */

static int run_pub(void)
{
    nx_config_t c = make_config();
    nx_node_t *node;
    if (nx_node_create(opt.node, &c, &node) != NX_OK)
        return 1;
    if (opt.block)
        nx_publisher_set_policy(node, "cam", "frames", NX_ON_FULL_BLOCK, opt.block_ms);
    frame_topic.on_full = opt.block ? NX_ON_FULL_BLOCK : NX_ON_FULL_FAIL;
    frame_topic.block_ms = opt.block_ms;
    if (opt.wait_subs) {
        size_t n = 0;
        uint64_t deadline = now_ns() + 20000000000u;
        while (nx_subscriber_count(node, opt.loan ? "" : "cam", "frames", &n) == NX_OK &&
               n < opt.wait_subs && now_ns() < deadline)
            usleep(2000);
    }
    printf("READY\n");
    uint8_t *buf = opt.loan ? NULL : malloc(opt.sizes[0] ? 64u << 20 : 1);
    uint64_t timeouts = 0;
    int rc = 0;
    for (uint64_t seq = 1; seq <= opt.count && rc == 0;) {
        nx_err_t err;
        if (opt.loan) {
            void *msg;
            err = nx_loan_take(node, &frame_topic, &msg);
            if (err == NX_OK) {
                fill(msg, seq, opt.loan);
                err = nx_loan_publish(node, &frame_topic, msg);
            }
        } else {
            fill(buf, seq, size_of(seq));
            err = nx_send_large_data(node, "cam", "frames", buf, size_of(seq));
        }
        if (err == NX_OK) {
            seq++;
        } else if (err == NX_ETIMEOUT) {
            timeouts++; /* ring or queue full: retry the same frame */
            usleep(1000);
        } else {
            fprintf(stderr, "publish: %s\n", nx_err_name(err));
            rc = 1;
        }
    }
    nx_large_stats_t st;
    nx_node_large_stats(node, &st);
    uint64_t stalls = 0, dropped = 0;
    for (uint32_t i = 0; i < st.reader_count; i++) {
        stalls += st.readers[i].stalls;
        dropped += st.readers[i].dropped;
        printf("READER %s stalls=%" PRIu64 " dropped=%" PRIu64 "\n", st.readers[i].name,
               st.readers[i].stalls, st.readers[i].dropped);
    }
    printf("STATS stalls=%" PRIu64 " full=%" PRIu64 " dropped=%" PRIu64 " timeouts=%" PRIu64
           "\n",
           stalls, st.full_events, dropped, timeouts);
    free(buf);
    nx_node_destroy(node);
    printf(rc ? "DONE fail\n" : "DONE ok\n");
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--node"))
            opt.node = v, i++;
        else if (!strcmp(a, "--count"))
            opt.count = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--ring"))
            opt.ring = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--loan"))
            opt.loan = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--block-ms"))
            opt.block = true, opt.block_ms = (uint32_t)atoi(v), i++;
        else if (!strcmp(a, "--wait-subs"))
            opt.wait_subs = (uint32_t)atoi(v), i++;
        else if (!strcmp(a, "--slow-ms"))
            opt.slow_ms = (uint32_t)atoi(v), i++;
        else if (!strcmp(a, "--timeout-s"))
            opt.timeout_s = (uint32_t)atoi(v), i++;
        else if (!strcmp(a, "--hold-all"))
            opt.hold_all = true;
        else if (!strcmp(a, "--hold-release"))
            opt.hold_release = true;
        else if (!strcmp(a, "--sizes")) {
            char *s = strdup(v), *save = NULL;
            for (char *t = strtok_r(s, ",", &save); t && opt.nsizes < 16;
                 t = strtok_r(NULL, ",", &save))
                opt.sizes[opt.nsizes++] = strtoull(t, NULL, 0);
            free(s);
            i++;
        } else {
            fprintf(stderr, "unknown option %s\n", a);
            return 2;
        }
    }
    if (!opt.node || (!opt.loan && !opt.nsizes))
        return 2;
    for (unsigned k = 0; k < opt.nsizes; k++)
        if (opt.sizes[k] < sizeof(frame_hdr_t) || opt.sizes[k] > (64u << 20))
            return 2;
    frame_type.size = (uint32_t)opt.loan;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(argv[1], "sub"))
        return run_sub();
    if (!strcmp(argv[1], "pub"))
        return run_pub();
    return 2;
}
