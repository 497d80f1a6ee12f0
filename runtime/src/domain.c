/*
 * domain.c: a domain as a whole: the one liveness rule, segment-name
 * validation, orphan detection, listing its objects and domains, and
 * clean-up (nx_domain_clean, nx_domain_cleanup). See domain_impl.h.
 *
 * Objects are opened read-only and read with pread(), never mapped: a
 * dying or hostile process may truncate an object at any time, and a
 * read past the end of a mapping would raise SIGBUS in the caller, which
 * a library must not catch. Only clean-up writes, and only by unlinking
 * names and by the registry functions the runtime itself uses.
 */
#include "domain_impl.h"

#include "log_impl.h"
#include "names_impl.h"
#include "platform/platform.h"
#include "registry_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small helpers ---------------------------------------------------- */

size_t nx__pread_all(int fd, void *buf, size_t size, uint64_t offset)
{
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, (uint8_t *)buf + done, size - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

void nx__text_sanitize(char *dst, size_t size, const char *src, size_t src_size)
{
    if (!size)
        return;
    size_t n = src ? strnlen(src, src_size) : 0;
    if (n > size - 1)
        n = size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[n] = '\0';
}

nx_err_t nx__shm_open_ro(const char *path, int *fd, size_t *size)
{
    int f = shm_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (f < 0)
        return errno == ENOENT ? NX_ENOTFOUND : errno == EACCES ? NX_EPERM : NX_ESYS;
    struct stat st;
    if (fstat(f, &st) != 0) {
        int e = errno;
        close(f);
        errno = e;
        return NX_ESYS;
    }
    *fd = f;
    *size = (size_t)st.st_size;
    return NX_OK;
}

/* Does the object exist (or exist for another user)? */
static bool obj_exists(const char *path)
{
    int f = shm_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (f >= 0) {
        close(f);
        return true;
    }
    return errno != ENOENT;
}

/* ---- names and liveness ------------------------------------------------ */

bool nx__segment_name_ok(const char *domain, const char *name, char kind, bool slash)
{
    if (!domain || !name)
        return false;
    size_t n = strnlen(name, NX_SHM_NAME_MAX);
    if (n >= NX_SHM_NAME_MAX || strstr(name, "..") != NULL)
        return false;
    const char *kinds = kind ? (kind == 'n' ? "n" : "l") : "nl";
    for (const char *k = kinds; *k; k++) {
        char prefix[NX_SHM_NAME_MAX];
        int len =
            snprintf(prefix, sizeof prefix, "%snexus.%s.%c.", slash ? "/" : "", domain, *k);
        if (len <= 0 || (size_t)len >= sizeof prefix)
            return false;
        if (strncmp(name, prefix, (size_t)len) == 0 && name[len] != '\0' &&
            strchr(name + len, '/') == NULL)
            return true;
    }
    return false;
}

bool nx__node_process_alive(const char *domain, const nx_reg_node_t *n)
{
    /* The entry may be in shared memory: copy what we use, once. */
    char seg[NX_SEG_NAME_MAX + 1];
    memcpy(seg, n->segment, NX_SEG_NAME_MAX);
    seg[NX_SEG_NAME_MAX] = '\0';
    pid_t pid = (pid_t)n->pid;
    uint64_t start = n->start_time;
    if (nx__segment_name_ok(domain, seg, 'n', true)) {
        int fd;
        size_t size;
        if (nx__shm_open_ro(seg, &fd, &size) == NX_OK) {
            int held = nx__plat_live_lock_held(fd);
            close(fd);
            if (held == 0)
                return false; /* the kernel dropped it: the process died */
        }
    }
    /* Liveness lock held (or no segment to ask): pid + start time rule out
     * a recycled pid. */
    return n->pid != 0 && n->pid <= INT32_MAX && nx__plat_proc_alive(pid, start);
}

nx_node_state_t nx__node_liveness(const char *domain, const nx_reg_node_t *n,
                                  uint64_t now_ns, uint64_t hung_ns, uint64_t *age_ns)
{
    uint64_t beat =
        atomic_load_explicit(&((nx_reg_node_t *)n)->heartbeat_ns, memory_order_relaxed);
    uint64_t age = now_ns > beat ? now_ns - beat : 0;
    if (age_ns)
        *age_ns = age;
    if (hung_ns == 0) {
        uint32_t ms =
            n->heartbeat_timeout_ms ? n->heartbeat_timeout_ms : NX_DEFAULT_HUNG_MS;
        hung_ns = (uint64_t)ms * UINT64_C(1000000);
    }
    if (n->state != NX_NODE_ALIVE || !nx__node_process_alive(domain, n))
        return NX_NODE_STATE_DEAD;
    return age > hung_ns ? NX_NODE_STATE_HUNG : NX_NODE_STATE_ALIVE;
}

const char *nx_node_state_name(nx_node_state_t state)
{
    switch (state) {
    case NX_NODE_STATE_ALIVE:
        return "alive";
    case NX_NODE_STATE_HUNG:
        return "hung";
    case NX_NODE_STATE_DEAD:
        return "dead";
    }
    return "?";
}

/* ---- orphans ------------------------------------------------------------ */

bool nx__segment_owner_gone(const char *name, long *pid_out)
{
    *pid_out = 0;
    /* "nexus.D.k.NAME.PID.SEQ": the pid is the next-to-last field. */
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
    int fd;
    size_t size;
    if (nx__shm_open_ro(path, &fd, &size) != NX_OK)
        return false; /* another user's, or gone already */
    int held = nx__plat_live_lock_held(fd);
    /* The owner's start time, from whichever header this object has. */
    uint64_t start = 0, magic = 0;
    if (nx__pread_all(fd, &magic, sizeof magic, 0) == sizeof magic) {
        uint64_t off = magic == NX_SEG_MAGIC     ? offsetof(nx_seg_header_t, start_time)
                       : magic == NX_LARGE_MAGIC ? offsetof(nx_large_hdr_t, owner_start)
                                                 : 0;
        if (off && nx__pread_all(fd, &start, sizeof start, off) != sizeof start)
            start = 0;
    }
    close(fd);
    if (held == 1)
        return false;
    bool alive = pid > 0 && pid <= INT32_MAX && nx__plat_proc_alive((pid_t)pid, start);
    return held == 0 && !alive;
}

typedef struct orphan_scan {
    const char *domain;
    uint32_t removed;
} orphan_scan_t;

static bool orphan_check(const char *name, void *user)
{
    orphan_scan_t *s = user;
    long pid;
    if (!nx__segment_name_ok(s->domain, name, 0, false) ||
        !nx__segment_owner_gone(name, &pid))
        return true;
    char path[NX_SHM_NAME_MAX + 2];
    snprintf(path, sizeof path, "/%s", name);
    if (nx__plat_shm_unlink(path) == NX_OK) {
        s->removed++;
        NX_LOGI("node", "removed %s left by process %ld", path, pid);
    }
    return true;
}

uint32_t nx__orphans_remove(const char *domain)
{
    char prefix[NX_SHM_NAME_MAX];
    orphan_scan_t s = {domain, 0};
    snprintf(prefix, sizeof prefix, "nexus.%s.n.", domain);
    nx__plat_shm_list(prefix, orphan_check, &s);
    snprintf(prefix, sizeof prefix, "nexus.%s.l.", domain);
    nx__plat_shm_list(prefix, orphan_check, &s);
    return s.removed;
}

/* ---- listing objects and domains -------------------------------------------- */

typedef struct name_list {
    char **names;
    size_t n, cap;
    bool failed;
    const char *domain; /* nx_domains_list: NULL */
} name_list_t;

static bool list_push(name_list_t *l, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **names = realloc(l->names, cap * sizeof *names);
        if (!names) {
            l->failed = true;
            return false;
        }
        l->names = names;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) {
        l->failed = true;
        return false;
    }
    l->names[l->n++] = copy;
    return true;
}

static bool objects_add(const char *name, void *user)
{
    return list_push(user, name);
}

static int names_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void nx_domain_objects_free(char **names, size_t count)
{
    if (!names)
        return;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

static nx_err_t list_finish(name_list_t *l, char ***names, size_t *count)
{
    if (l->failed) {
        nx_domain_objects_free(l->names, l->n);
        return NX_ENOMEM;
    }
    if (l->n > 1)
        qsort(l->names, l->n, sizeof *l->names, names_cmp);
    *names = l->names;
    *count = l->n;
    return NX_OK;
}

nx_err_t nx_domain_objects(const char *domain, char ***names, size_t *count)
{
    if (!names || !count || !nx__domain_name_ok(domain))
        return NX_EINVAL;
    char prefix[NX_SHM_NAME_MAX];
    snprintf(prefix, sizeof prefix, "nexus.%s.", domain);
    name_list_t l = {NULL, 0, 0, false, domain};
    nx__plat_shm_list(prefix, objects_add, &l);
    return list_finish(&l, names, count);
}

/* "nexus.D.rest": add D once (names come unsorted, so search). */
static bool domains_add(const char *name, void *user)
{
    name_list_t *l = user;
    const char *d = name + strlen("nexus.");
    const char *dot = strchr(d, '.');
    size_t len = dot ? (size_t)(dot - d) : 0;
    if (len == 0 || len > NX_DOMAIN_NAME_MAX)
        return true;
    char dom[NX_DOMAIN_NAME_MAX + 1];
    memcpy(dom, d, len);
    dom[len] = '\0';
    if (!nx__domain_name_ok(dom))
        return true;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], dom) == 0)
            return true;
    return list_push(l, dom);
}

nx_err_t nx_domains_list(char ***names, size_t *count)
{
    if (!names || !count)
        return NX_EINVAL;
    name_list_t l = {NULL, 0, 0, false, NULL};
    nx__plat_shm_list("nexus.", domains_add, &l);
    return list_finish(&l, names, count);
}

/* ---- clean-up ------------------------------------------------------------------- */

static const char *domain_or_default(const char *domain)
{
    if (!domain) {
        domain = getenv("NEXUS_DOMAIN");
        if (!domain || !domain[0])
            domain = "default";
    }
    return domain;
}

nx_err_t nx_domain_clean(const char *domain, uint32_t *removed)
{
    domain = domain_or_default(domain);
    if (!nx__domain_name_ok(domain))
        return NX_EINVAL;
    uint32_t n = 0;
    char reg_name[NX_SHM_NAME_MAX];
    snprintf(reg_name, sizeof reg_name, "/nexus.%s.registry", domain);
    int fd;
    size_t size;
    nx_err_t err = nx__plat_shm_open(reg_name, &fd, &size);
    if (err == NX_OK) {
        close(fd);
        nx_registry_t *reg;
        err = nx__registry_open(domain, 0600, &reg);
        if (err == NX_OK) {
            /* Only nodes whose process is gone: no heartbeat verdicts here. */
            n += nx__registry_reap(reg, nx__plat_now_ns(), 0, UINT32_MAX, true, true);
            nx__registry_close(reg, true);
        }
    } else if (err == NX_ENOTFOUND) {
        err = NX_OK;
    }
    n += nx__orphans_remove(domain);
    if (removed)
        *removed = n;
    return err;
}

void nx_clean_opts_init(nx_clean_opts_t *opts)
{
    if (opts)
        memset(opts, 0, sizeof *opts);
}

const char *nx_clean_action_name(nx_clean_action_t action)
{
    switch (action) {
    case NX_CLEAN_REMOVED:
        return "removed";
    case NX_CLEAN_WOULD_REMOVE:
        return "would remove";
    case NX_CLEAN_DROPPED:
        return "dropped";
    case NX_CLEAN_WOULD_DROP:
        return "would drop";
    case NX_CLEAN_KEPT:
        return "kept";
    case NX_CLEAN_FAILED:
        return "FAILED";
    }
    return "?";
}

const char *nx_clean_registry_name(nx_clean_registry_t reg)
{
    switch (reg) {
    case NX_CLEAN_REG_MISSING:
        return "missing";
    case NX_CLEAN_REG_REMOVED:
        return "removed";
    case NX_CLEAN_REG_KEPT:
        return "kept";
    case NX_CLEAN_REG_BAD:
        return "bad";
    case NX_CLEAN_REG_ERROR:
        return "error";
    }
    return "?";
}

/* The report under construction (items grow; the public struct points
 * at them when done). */
typedef struct clean_ctx {
    nx_clean_report_t rep;
    nx_clean_item_t *items;
    size_t cap;
    bool nomem;
    nx_err_t err; /* first error to return */
} clean_ctx_t;

static void clean_fail(clean_ctx_t *c, nx_err_t err)
{
    c->rep.ok = false;
    if (c->err == NX_OK)
        c->err = err;
}

static void clean_item(clean_ctx_t *c, nx_clean_action_t action, bool entry,
                       const char *what, const char *fmt, ...) NX_ATTR_PRINTF(5, 6);
static void clean_item(clean_ctx_t *c, nx_clean_action_t action, bool entry,
                       const char *what, const char *fmt, ...)
{
    if (c->rep.item_count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        nx_clean_item_t *items = realloc(c->items, cap * sizeof *items);
        if (!items) {
            c->nomem = true;
            return;
        }
        c->items = items;
        c->cap = cap;
    }
    nx_clean_item_t *it = &c->items[c->rep.item_count++];
    memset(it, 0, sizeof *it);
    it->action = action;
    it->entry = entry;
    nx__text_sanitize(it->what, sizeof it->what, what, NX_SHM_NAME_MAX + 2);
    char reason[sizeof it->reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    nx__text_sanitize(it->reason, sizeof it->reason, reason, sizeof reason);
    switch (action) {
    case NX_CLEAN_REMOVED:
    case NX_CLEAN_WOULD_REMOVE:
        c->rep.removed++;
        break;
    case NX_CLEAN_DROPPED:
    case NX_CLEAN_WOULD_DROP:
        c->rep.dropped++;
        break;
    case NX_CLEAN_KEPT:
    case NX_CLEAN_FAILED:
        c->rep.kept++;
        break;
    }
}

static bool is_registry_name(const char *domain, const char *name)
{
    char want[NX_SHM_NAME_MAX];
    snprintf(want, sizeof want, "nexus.%s.registry", domain);
    return strcmp(name, want) == 0;
}

/* force: unlink everything of the domain. */
static void clean_force(clean_ctx_t *c, const char *domain, char **names, size_t n)
{
    /* Who still uses the domain? Reported so the caller can warn. */
    size_t plen = 0;
    nx_reg_view_t *reg = NULL;
    char why[NX_PROBLEM_MAX];
    if (nx__registry_load(domain, &reg, NULL, why, sizeof why) == NX_REGISTRY_OK) {
        for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
            const nx_reg_node_t *nd = &reg->t.nodes[i];
            if (nd->state != NX_NODE_ALIVE || !nx__node_process_alive(domain, nd))
                continue;
            c->rep.live_users++;
            char name[NX_NODE_NAME_MAX + 1];
            nx__text_sanitize(name, sizeof name, nd->name, sizeof nd->name);
            size_t room = sizeof c->rep.live_names - plen;
            int w = snprintf(c->rep.live_names + plen, room, "%s%s (pid %u)",
                             plen ? ", " : "", name, nd->pid);
            if (w > 0 && (size_t)w < room)
                plen += (size_t)w;
            else
                c->rep.live_names[plen] = '\0';
        }
        free(reg);
    }
    /* Segments with a running owner count too (the registry may be gone). */
    for (size_t i = 0; i < n; i++) {
        long pid;
        if (nx__segment_name_ok(domain, names[i], 'n', false) &&
            !nx__segment_owner_gone(names[i], &pid))
            c->rep.live_users++;
    }
    c->rep.registry = NX_CLEAN_REG_MISSING;
    for (size_t i = 0; i < n; i++) {
        char path[NX_SHM_NAME_MAX + 2];
        snprintf(path, sizeof path, "/%s", names[i]);
        bool is_reg = is_registry_name(domain, names[i]);
        if (c->rep.dry_run) {
            clean_item(c, NX_CLEAN_WOULD_REMOVE, false, path, "--force");
            if (is_reg)
                c->rep.registry = NX_CLEAN_REG_REMOVED;
            continue;
        }
        nx_err_t err = nx__plat_shm_unlink(path);
        if (err == NX_OK || err == NX_ENOTFOUND) {
            clean_item(c, NX_CLEAN_REMOVED, false, path, "--force");
            if (is_reg)
                c->rep.registry = NX_CLEAN_REG_REMOVED;
        } else {
            clean_item(c, NX_CLEAN_FAILED, false, path, "%s", nx_strerror(err));
            clean_fail(c, err == NX_EPERM ? NX_EPERM : NX_ESYS);
            if (is_reg)
                c->rep.registry = NX_CLEAN_REG_KEPT;
        }
    }
}

/* Drop registry entries of gone processes; unlink the registry when no
 * live node remains. */
static void clean_registry(clean_ctx_t *c, const char *domain)
{
    char path[NX_SHM_NAME_MAX];
    snprintf(path, sizeof path, "/nexus.%s.registry", domain);
    nx_reg_view_t *reg = NULL;
    char why[NX_PROBLEM_MAX];
    nx_registry_status_t st = nx__registry_load(domain, &reg, NULL, why, sizeof why);
    if (st == NX_REGISTRY_MISSING) {
        c->rep.registry = NX_CLEAN_REG_MISSING;
        return;
    }
    if (st != NX_REGISTRY_OK) {
        c->rep.registry = st == NX_REGISTRY_BAD ? NX_CLEAN_REG_BAD : NX_CLEAN_REG_ERROR;
        nx__text_sanitize(c->rep.problem, sizeof c->rep.problem, why, sizeof why);
        clean_item(c, NX_CLEAN_KEPT, false, path, "%s",
                   st == NX_REGISTRY_BAD ? "failed validation; --force removes it"
                                         : "unreadable");
        clean_fail(c, st == NX_REGISTRY_BAD ? NX_ECORRUPT : NX_ESYS);
        return;
    }
    uint32_t live = 0;
    for (uint32_t i = 0; i < NX_REG_MAX_NODES; i++) {
        const nx_reg_node_t *nd = &reg->t.nodes[i];
        if (nd->state != NX_NODE_ALIVE)
            continue;
        if (nx__node_process_alive(domain, nd)) {
            live++;
            continue;
        }
        clean_item(c, c->rep.dry_run ? NX_CLEAN_WOULD_DROP : NX_CLEAN_DROPPED, true,
                   nd->name, "process %u is gone", nd->pid);
    }
    free(reg);
    if (c->rep.dry_run) {
        c->rep.registry = live ? NX_CLEAN_REG_KEPT : NX_CLEAN_REG_REMOVED;
        clean_item(c, live ? NX_CLEAN_KEPT : NX_CLEAN_WOULD_REMOVE, false, path, "%s",
                   live ? "live nodes use it" : "no live node left");
        return;
    }
    nx_registry_t *r;
    nx_err_t err = nx__registry_open(domain, 0600, &r);
    if (err != NX_OK) {
        c->rep.registry = NX_CLEAN_REG_ERROR;
        snprintf(c->rep.problem, sizeof c->rep.problem, "cannot open the registry: %s",
                 nx_strerror(err));
        clean_item(c, NX_CLEAN_KEPT, false, path, "%s", c->rep.problem);
        clean_fail(c, err);
        return;
    }
    /* An infinite heartbeat timeout: only gone processes are dropped. */
    nx__registry_reap(r, nx__plat_now_ns(), UINT64_MAX, UINT32_MAX, true, true);
    nx__registry_close(r, true);
    if (obj_exists(path)) {
        c->rep.registry = NX_CLEAN_REG_KEPT;
        clean_item(c, NX_CLEAN_KEPT, false, path, "live nodes use it");
    } else {
        c->rep.registry = NX_CLEAN_REG_REMOVED;
        clean_item(c, NX_CLEAN_REMOVED, false, path, "no live node left");
    }
}

/* Report node and large-data segments: removed (by the registry reap or
 * nx__orphans_remove), kept, or failed. gone[] was decided before any
 * removal: reaping the registry may already unlink segments. */
static void segments_report(clean_ctx_t *c, const char *domain, char **names, size_t n,
                            const bool *gone, const long *pids)
{
    for (size_t i = 0; i < n; i++) {
        char path[NX_SHM_NAME_MAX + 2];
        snprintf(path, sizeof path, "/%s", names[i]);
        if (is_registry_name(domain, names[i]))
            continue; /* clean_registry() */
        if (!nx__segment_name_ok(domain, names[i], 0, false)) {
            clean_item(c, NX_CLEAN_KEPT, false, path,
                       "not a Nexus object; --force removes it");
            continue;
        }
        if (!gone[i]) {
            if (obj_exists(path)) /* else its node just left */
                clean_item(c, NX_CLEAN_KEPT, false, path, "process %ld runs", pids[i]);
            continue;
        }
        if (c->rep.dry_run) {
            clean_item(c, NX_CLEAN_WOULD_REMOVE, false, path, "process %ld is gone",
                       pids[i]);
        } else if (!obj_exists(path)) {
            clean_item(c, NX_CLEAN_REMOVED, false, path, "process %ld is gone", pids[i]);
        } else {
            clean_item(c, NX_CLEAN_FAILED, false, path,
                       "still there (another user's object?)");
            clean_fail(c, NX_EPERM);
        }
    }
}

void nx_clean_report_free(nx_clean_report_t *report)
{
    if (!report)
        return;
    free((void *)report->items);
    free(report);
}

nx_err_t nx_domain_cleanup(const char *domain, const nx_clean_opts_t *opts,
                           nx_clean_report_t **report)
{
    domain = domain_or_default(domain);
    if (!nx__domain_name_ok(domain))
        return NX_EINVAL;
    nx_clean_opts_t o;
    nx_clean_opts_init(&o);
    if (opts)
        o = *opts;
    clean_ctx_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.rep.domain, sizeof c.rep.domain, "%s", domain);
    c.rep.dry_run = o.dry_run;
    c.rep.force = o.force;
    c.rep.ok = true;
    char **names = NULL;
    size_t n = 0;
    nx_err_t err = nx_domain_objects(domain, &names, &n);
    if (err != NX_OK)
        return err;
    if (o.force) {
        clean_force(&c, domain, names, n);
    } else {
        bool *gone = calloc(n ? n : 1, sizeof *gone);
        long *pids = calloc(n ? n : 1, sizeof *pids);
        if (!gone || !pids) {
            c.nomem = true;
        } else {
            for (size_t i = 0; i < n; i++)
                if (nx__segment_name_ok(domain, names[i], 0, false))
                    gone[i] = nx__segment_owner_gone(names[i], &pids[i]);
            clean_registry(&c, domain);
            if (!o.dry_run)
                nx__orphans_remove(domain);
            segments_report(&c, domain, names, n, gone, pids);
        }
        free(gone);
        free(pids);
    }
    nx_domain_objects_free(names, n);
    nx_clean_report_t *rep = c.nomem ? NULL : malloc(sizeof *rep);
    if (!rep) {
        free(c.items);
        return NX_ENOMEM;
    }
    *rep = c.rep;
    rep->items = c.items;
    if (report)
        *report = rep;
    else
        nx_clean_report_free(rep);
    return c.err;
}

/* ---- names and layout ------------------------------------------------------------- */

bool nx_name_valid(nx_name_kind_t kind, const char *name)
{
    if (!name)
        return false;
    switch (kind) {
    case NX_NAME_DOMAIN:
        return nx__domain_name_ok(name);
    case NX_NAME_NODE:
        return nx__node_name_ok(name);
    case NX_NAME_TOPIC:
        return nx__topic_name_ok(name, false);
    case NX_NAME_GROUP:
        return nx__topic_name_ok(name, true);
    }
    return false;
}

void nx_layout_info(nx_layout_info_t *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->layout_version = NX_LAYOUT_VERSION;
    out->abi_word = NX_ABI_WORD;
    snprintf(out->libc, sizeof out->libc, "%s", nx__plat_libc_id());
    snprintf(out->shm_dir, sizeof out->shm_dir, "%s", nx__plat_shm_dir());
}
