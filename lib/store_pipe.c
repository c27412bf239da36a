/* store_pipe — what a store thread does with a batch of jobs (store_int.h): finds each
 * command's server, pipelines per server, follows a Redis Cluster's redirections and waits for
 * replicas after durable writes.
 *
 * A Redis Cluster client by hand, small, because no Debian package offers one for hiredis 0.14
 * (lib/cluster.h); the rules are the Redis Cluster specification's, as lib/cluster.c reads
 * them, applied here:
 * - What the server is: the first seed that answers INFO cluster says. A plain Redis gets
 *   every command, as before the cluster client existed.
 * - Where a command goes: the primary of its key's slot in this thread's map (CLUSTER SLOTS).
 *   The key is, for FCALL and EVAL, the first key, or without keys the first argument holding
 *   a hash tag (jubao's keyless Functions take the key prefix, "jb:{0}:", and build their keys
 *   from it, so the prefix's slot is where they must run); for XREAD and XREADGROUP the first
 *   stream after STREAMS; for XGROUP and XINFO the third word; commands without a key (PING,
 *   INFO, FUNCTION, ...) go to the first primary of the map; any other the second word.
 * - Redirections: MOVED moves the slot in the map (and the whole map is read again soon); ASK
 *   sends the command once to the named node, after ASKING; at most STORE_REDIRECTS_MAX in a
 *   row per command, then its job fails. TRYAGAIN (a multi-key command while its slot moves),
 *   CLUSTERDOWN, MASTERDOWN, LOADING and READONLY (the map named a replica) come before the
 *   command ran: it is sent again after a short pause, until its job's deadline (after
 *   TRYAGAIN until STORE_MIGRATE_WAIT_MS after submission, when that is later).
 * - A job that fails is logged with why (store_pipe_failed), at most once a second.
 * - A lost connection fails every job with a command on it (that command may have run: only
 *   the caller, with its idempotency, may try again), and the map is read again.
 * - The Function library is loaded on every primary of a new map, and on any node before the
 *   first command it gets (so again on a replica that became primary).
 * - A durable write (store_wait_replicas) is followed on the same connection, in the same
 *   pipeline, by WAIT; one WAIT after the last such write of a job to a server covers them all.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

#define STORE_REDIRECTS_MAX 5   /* MOVED and ASK followed in a row by one command */
#define STORE_REFRESH_MS 100    /* between two readings of the slot map at least */
#define STORE_PAUSE_MS 10       /* before a command refused for now is sent again; doubles */
#define STORE_PAUSE_MAX_MS 80
#define STORE_EAGER_MS 200      /* a connection made only to load the Functions, at most */
/* A command refused with TRYAGAIN (its keys are split between the two nodes of a slot that
 * moves) is sent again until this long after its job was submitted, even past the job's
 * deadline: the refusal lasts until every key of the slot has moved, which takes seconds for a
 * slot holding many keys (docs/SCALING.md), and the command has not run meanwhile. */
#define STORE_MIGRATE_WAIT_MS 20000

extern const char store_functions_lua[];
extern const unsigned long store_functions_lua_len;

/* One command of a job on its way. */
struct send {
    struct store_job *job;
    int cmd;
    int link;       /* this round's server, -1: not sent this round */
    int ask;        /* the server of an ASK, for the next round only; -1: none */
    bool asking;    /* ASKING goes before it this round */
    bool wait;      /* WAIT follows it this round */
    bool durable;
    bool pending;   /* no final reply yet */
    int moves;      /* redirections followed in a row */
    bool refused;   /* the last reply was TRYAGAIN: its slot moves */
};

/* ---- links: one connection per server ----------------------------------------------------- */

static const char *addr_name(const struct cluster_addr *a, char *out, size_t outlen)
{
    if (a->port)
        snprintf(out, outlen, "%s:%d", a->host, a->port);
    else
        snprintf(out, outlen, "%s", a->host);
    return out;
}

/* The link of address a, added when new. Returns its index, or -1 when the table is full. */
static int link_find(struct store_thread *t, const struct cluster_addr *a)
{
    for (int i = 0; i < t->nlinks; i++)
        if (cluster_addr_equal(&t->links[i].addr, a))
            return i;
    if (t->nlinks == STORE_LINKS_MAX)
        return -1;
    struct store_link *k = &t->links[t->nlinks];
    memset(k, 0, sizeof *k);
    k->addr = *a;
    return t->nlinks++;
}

static void link_drop(struct store_thread *t, int l, const char *why)
{
    struct store_link *k = &t->links[l];
    char name[CLUSTER_HOST_MAX + 8];
    if (k->conn) {
        log_warn("redis: connection to %s lost: %s", addr_name(&k->addr, name, sizeof name), why);
        store_conn_free(k->conn);
        k->conn = NULL;
    }
    k->loaded = false;
    k->next_connect = store_now_ms() + STORE_RECONNECT_MS;
    atomic_store(&t->st->connected, false);
    if (t->mode == STORE_CLUSTER)
        t->stale = true;
}

static int link_load(struct store_thread *t, int l)
{
    struct store_link *k = &t->links[l];
    char name[CLUSTER_HOST_MAX + 8];
    const char *argv[] = {"FUNCTION", "LOAD", "REPLACE", store_functions_lua};
    size_t lens[] = {8, 4, 7, store_functions_lua_len};
    struct store_reply *r = store_conn_call(k->conn, 4, argv, lens);
    if (!r || store_reply_type(r) == STORE_ERROR) {
        log_error("redis: FUNCTION LOAD on %s failed: %s", addr_name(&k->addr, name, sizeof name),
                  r ? store_reply_str(r, NULL) : store_conn_error(k->conn));
        store_reply_free(r);
        link_drop(t, l, "function library not loaded");
        return -1;
    }
    store_reply_free(r);
    k->loaded = true;
    log_info("redis: connected to %s, functions loaded", addr_name(&k->addr, name, sizeof name));
    atomic_store(&t->st->connected, true);
    return 0;
}

/* Connects link l unless it is connected (not while it waits to try again; within the time
 * left to deadline), and with load, loads the Function library through it unless done.
 * Returns 0, or -1 when the server cannot be used now. */
static int link_open(struct store_thread *t, int l, long long deadline, bool load)
{
    struct store_link *k = &t->links[l];
    long long now = store_now_ms();
    if (k->conn && k->checked != now && (k->checked = now, store_conn_closed(k->conn))) {
        /* The server went away while the link was idle (a restart, a failover): a new
         * connection is tried at once, so that no job fails for an old socket. At most one
         * check a millisecond: a round asks for its links once per command. */
        link_drop(t, l, "closed by the server while idle");
        k->next_connect = now;
    }
    if (!k->conn) {
        /* Between attempts, a job that can wait for the next one waits (a server back up
         * within STORE_RECONNECT_MS answers it); one that cannot fails now. */
        if (now < k->next_connect && k->next_connect < deadline) {
            struct timespec ts = {0, (long)(k->next_connect - now) * 1000000L};
            nanosleep(&ts, NULL);
            now = store_now_ms();
        }
        if (now < k->next_connect || now >= deadline)
            return -1;
        char err[256], name[CLUSTER_HOST_MAX + 8];
        k->conn = store_conn_open(&k->addr, deadline - now, err, sizeof err);
        if (!k->conn) {
            if (atomic_load(&t->st->connected) || !k->tried)
                log_warn("redis: cannot connect to %s: %s",
                         addr_name(&k->addr, name, sizeof name), err);
            k->tried = true;
            link_drop(t, l, err);
            return -1;
        }
        k->tried = true;
    } else if (!load || k->loaded) {
        return 0;
    }
    store_conn_timeout(k->conn, deadline - now);
    return !load || k->loaded ? 0 : link_load(t, l);
}

/* A reply on link l; on a broken connection the link is dropped. Returns 0 or -1. */
static int link_read(struct store_thread *t, int l, struct store_reply **r)
{
    struct store_conn *c = t->links[l].conn;
    if (!c)
        return -1;
    if (store_conn_read(c, r) == 0)
        return 0;
    char why[256];
    snprintf(why, sizeof why, "%s", store_conn_error(c));
    link_drop(t, l, why);
    return -1;
}

/* ---- the server and its slot map ------------------------------------------------------- */

/* Whether the seeds are a cluster: the first that answers INFO cluster decides. Returns 0, or
 * -1 when none answered. */
static int detect(struct store_thread *t, long long deadline)
{
    const struct cluster_seeds *seeds = &t->st->seeds;
    for (size_t i = 0; i < seeds->n; i++) {
        int l = link_find(t, &seeds->addr[i]);
        if (l < 0 || link_open(t, l, deadline, false) < 0)
            continue;
        const char *argv[] = {"INFO", "cluster"};
        size_t lens[] = {4, 7}, len;
        store_conn_timeout(t->links[l].conn, deadline - store_now_ms());
        struct store_reply *r = store_conn_call(t->links[l].conn, 2, argv, lens);
        if (!r) {
            link_drop(t, l, "no answer to INFO");
            continue;
        }
        const char *info = store_reply_str(r, &len);
        int cluster = store_reply_type(r) == STORE_STR && cluster_info_enabled(info, len) == 1;
        store_reply_free(r);
        char name[CLUSTER_HOST_MAX + 8];
        addr_name(&seeds->addr[i], name, sizeof name);
        if (cluster) {
            log_info("redis: %s is a cluster node: commands follow the slot map", name);
            t->mode = STORE_CLUSTER;
            t->stale = true;
            return 0;
        }
        if (seeds->n > 1)
            log_warn("redis: %s is no cluster node: every command goes to it alone", name);
        t->mode = STORE_SINGLE;
        t->single = l;
        return 0;
    }
    return -1;
}

/* Adds one entry of a CLUSTER SLOTS reply, [start, end, [host, port, ...], replicas...], to
 * m; a node without a host is asked_host. Returns 0, or -1 with the reason in err. */
static int map_add_range(struct cluster_map *m, const struct store_reply *range,
                         const char *asked_host, char *err, size_t errlen)
{
    struct cluster_addr nodes[CLUSTER_REPLICAS_MAX + 1];
    size_t n = store_reply_count(range), k = 0;
    long long start = store_reply_int(store_reply_at(range, 0));
    long long end = store_reply_int(store_reply_at(range, 1));
    for (size_t i = 2; i < n && k < CLUSTER_REPLICAS_MAX + 1; i++, k++) {
        const struct store_reply *node = store_reply_at(range, i);
        size_t hl;
        const char *host = store_reply_str(store_reply_at(node, 0), &hl);
        long long port = store_reply_int(store_reply_at(node, 1));
        if (cluster_addr_set(&nodes[k], host, hl, port, asked_host, err, errlen) < 0)
            return -1;
    }
    if (start < 0 || end < start || end >= CLUSTER_SLOTS || k == 0) {
        snprintf(err, errlen, "an entry that is not a slot range with its nodes");
        return -1;
    }
    return cluster_map_add(m, (unsigned)start, (unsigned)end, nodes, k, err, errlen);
}

/* The slot map as the server of link l sees it, or NULL. */
static struct cluster_map *map_read(struct store_thread *t, int l, long long deadline)
{
    if (link_open(t, l, deadline, false) < 0)
        return NULL;
    struct store_link *k = &t->links[l];
    const char *argv[] = {"CLUSTER", "SLOTS"};
    size_t lens[] = {7, 5};
    store_conn_timeout(k->conn, deadline - store_now_ms());
    struct store_reply *r = store_conn_call(k->conn, 2, argv, lens);
    if (!r) {
        link_drop(t, l, "no answer to CLUSTER SLOTS");
        return NULL;
    }
    struct cluster_map *m = cluster_map_new();
    char err[200] = "not a list of slot ranges", name[CLUSTER_HOST_MAX + 8];
    int rc = m && store_reply_type(r) == STORE_ARRAY && store_reply_count(r) > 0 ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < store_reply_count(r); i++)
        rc = map_add_range(m, store_reply_at(r, i), k->addr.host, err, sizeof err);
    store_reply_free(r);
    if (rc < 0) {
        log_warn("redis: CLUSTER SLOTS of %s: %s", addr_name(&k->addr, name, sizeof name),
                 m ? err : "out of memory");
        cluster_map_free(m);
        return NULL;
    }
    return m;
}

/* Loads the Functions on every primary of the map not loaded yet, each connection within
 * STORE_EAGER_MS (a primary that cannot be reached now gets them before its first command). */
static void map_load_primaries(struct store_thread *t, long long deadline)
{
    int p[CLUSTER_NODES_MAX];
    size_t n = cluster_map_primaries(t->map, p, CLUSTER_NODES_MAX);
    for (size_t i = 0; i < n && i < CLUSTER_NODES_MAX; i++) {
        int l = link_find(t, cluster_map_node(t->map, p[i]));
        long long now = store_now_ms(), until = now + STORE_EAGER_MS;
        if (l >= 0 && !t->links[l].loaded)
            link_open(t, l, until < deadline ? until : deadline, true);
    }
}

/* Reads the map again from the first server that gives it: those connected, then the seeds,
 * then the nodes of the old map. The old map stays when none does. */
static void map_refresh(struct store_thread *t, long long deadline)
{
    t->next_refresh = store_now_ms() + STORE_REFRESH_MS;
    struct cluster_map *m = NULL;
    for (int l = 0; !m && l < t->nlinks; l++)
        if (t->links[l].conn)
            m = map_read(t, l, deadline);
    for (size_t i = 0; !m && i < t->st->seeds.n; i++) {
        int l = link_find(t, &t->st->seeds.addr[i]);
        m = l < 0 ? NULL : map_read(t, l, deadline);
    }
    for (size_t i = 0; !m && t->map && i < cluster_map_nodes(t->map); i++) {
        int l = link_find(t, cluster_map_node(t->map, (int)i));
        m = l < 0 ? NULL : map_read(t, l, deadline);
    }
    if (!m)
        return;
    cluster_map_free(t->map);
    t->map = m;
    t->stale = false;
    for (size_t i = 0; i < CLUSTER_NODES_MAX; i++)
        t->link_of[i] = -1;
    map_load_primaries(t, deadline);
}

/* The link of command s's server, or -1 when no node serves its slot now. */
static int route(struct store_thread *t, struct send *s)
{
    if (t->mode == STORE_SINGLE)
        return t->single;
    if (s->ask >= 0)
        return s->ask;
    if (!t->map)
        return -1;
    int k = store_cmd_key(s->job, s->cmd), node;
    if (k < 0) {
        node = cluster_map_primaries(t->map, &node, 1) ? node : -1;
    } else {
        size_t len;
        const char *key = store_cmd_arg(s->job, s->cmd, k, &len);
        node = cluster_map_primary(t->map, cluster_keyslot(key, len));
    }
    if (node < 0 || node >= CLUSTER_NODES_MAX) {
        t->stale = true;
        return -1;
    }
    if (t->link_of[node] < 0)
        t->link_of[node] = (int16_t)link_find(t, cluster_map_node(t->map, node));
    return t->link_of[node];
}

/* ---- rounds: send what is pending, read, settle ---------------------------------------- */

/* Fails command s's job for the reason why (kept when the job failed already). */
static void send_fail(struct send *s, const char *why)
{
    if (!s->job->failed || !s->job->why)
        s->job->why = why;
    s->job->failed = true;
    s->pending = false;
}

/* Chooses this round's server of every pending command and connects to it; nothing of a job
 * goes out when one of its commands has nowhere to go. One WAIT follows the last durable write
 * of a job to each server. Returns how many commands go out. */
static int plan(struct store_thread *t, struct send *s, int n)
{
    long long now = store_now_ms();
    for (int i = 0; i < n; i++) {
        s[i].link = -1;
        s[i].wait = false;
        if (!s[i].pending)
            continue;
        const char *why = s[i].refused ? "its slot was still moving (TRYAGAIN) at the end "
                                         "of the wait for a migration"
                                       : "no answer before its deadline";
        int l = s[i].job->failed || now >= s[i].job->deadline ? -1 : route(t, &s[i]);
        if (l < 0 && !s[i].job->failed && now < s[i].job->deadline)
            why = "no node serves its slot now";
        s[i].asking = s[i].ask >= 0;
        s[i].ask = -1;
        if (l >= 0 && link_open(t, l, s[i].job->deadline, true) < 0)
            why = "its node cannot be reached now", l = -1;
        if (l < 0)
            send_fail(&s[i], why);
        else
            s[i].link = l;
    }
    int out = 0;
    long long last = now;
    for (int i = 0; i < n; i++) {
        if (s[i].link < 0)
            continue;
        if (s[i].job->failed) {
            send_fail(&s[i], NULL);
            s[i].link = -1;
            continue;
        }
        s[i].wait = s[i].durable;
        for (int j = i - 1; s[i].wait && j >= 0 && s[j].job == s[i].job; j--)
            if (s[j].link == s[i].link && s[j].wait) {
                s[j].wait = false;
                break;
            }
        out++;
        if (s[i].job->deadline > last)
            last = s[i].job->deadline;
    }
    bool timed[STORE_LINKS_MAX] = {false};
    for (int i = 0; i < n; i++)
        if (s[i].link >= 0 && !timed[s[i].link]) {
            timed[s[i].link] = true; /* replies must come before the last deadline */
            if (t->links[s[i].link].conn)
                store_conn_timeout(t->links[s[i].link].conn, last - now);
        }
    return out;
}

/* Writes the planned commands (ASKING before, WAIT after, as planned) to their links. */
static void append_all(struct store_thread *t, struct send *s, int n)
{
    const char *argv[STORE_COMMAND_ARGS_MAX];
    size_t lens[STORE_COMMAND_ARGS_MAX];
    const char *asking[] = {"ASKING"};
    size_t asking_len[] = {6};
    const char *wait[] = {"WAIT", t->st->wait_acks, t->st->wait_timeout};
    size_t wait_len[] = {4, strlen(wait[1]), strlen(wait[2])};
    for (int i = 0; i < n; i++) {
        struct store_conn *c = s[i].link >= 0 ? t->links[s[i].link].conn : NULL;
        if (!c)
            continue;
        int argc = store_job_argv(s[i].job, s[i].cmd, argv, lens);
        if ((s[i].asking && store_conn_append(c, 1, asking, asking_len) < 0)
            || store_conn_append(c, argc, argv, lens) < 0
            || (s[i].wait && store_conn_append(c, 3, wait, wait_len) < 0))
            link_drop(t, s[i].link, "out of memory"); /* what was queued is never read */
    }
}

static bool retry_later(const char *e, size_t len)
{
    static const char *const codes[] = {"TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "LOADING",
                                        "READONLY"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        size_t cl = strlen(codes[i]);
        if (len >= cl && memcmp(e, codes[i], cl) == 0 && (len == cl || e[cl] == ' '))
            return true;
    }
    return false;
}

/* Takes command s's reply r: the job's, or (on a cluster) a redirection to follow or a
 * refusal for now. Returns 1 when the command is to be sent again after a pause, else 0. */
static int settle(struct store_thread *t, struct send *s, struct store_reply *r)
{
    size_t len;
    const char *e = store_reply_str(r, &len);
    if (t->mode == STORE_CLUSTER && store_reply_type(r) == STORE_ERROR) {
        struct cluster_redirect rd;
        char err[200];
        int k = cluster_redirect_parse(&rd, e, len, t->links[s->link].addr.host, err, sizeof err);
        if (k == 1 && s->moves < STORE_REDIRECTS_MAX) {
            s->moves++;
            if (rd.kind == CLUSTER_ASK && (s->ask = link_find(t, &rd.addr)) < 0)
                send_fail(s, "ASK to a node past STORE_LINKS_MAX");
            if (rd.kind == CLUSTER_MOVED) {
                t->stale = true;
                if (t->map)
                    cluster_map_follow(t->map, &rd, err, sizeof err);
            }
            store_reply_free(r);
            return 0;
        }
        if (k == 0 && retry_later(e, len)) {
            s->moves = 0;
            s->refused = len >= 8 && memcmp(e, "TRYAGAIN", 8) == 0;
            t->stale |= !s->refused;
            long long until = s->job->submitted + STORE_MIGRATE_WAIT_MS;
            if (s->refused && until > s->job->deadline)
                s->job->deadline = until;
            store_reply_free(r);
            return 1;
        }
        if (k != 0)
            send_fail(s, k == 1 ? "too many redirections (MOVED, ASK) in a row"
                                : "a redirection that cannot be read");
    }
    s->job->replies[s->cmd] = r;
    s->pending = false;
    return 0;
}

/* WAIT's answer after command s: too few replicas fail its job. */
static void settle_wait(struct store_thread *t, struct send *s, struct store_reply *w)
{
    long long got = store_reply_type(w) == STORE_INT ? store_reply_int(w) : -1;
    if (got >= t->st->replica_acks)
        return;
    if (!s->job->failed)
        s->job->why = "too few replicas acknowledged a write";
    s->job->failed = true;
    long long now = store_now_ms();
    if (now >= t->next_wait_log) {
        t->next_wait_log = now + 1000;
        log_warn("redis: %lld of %d replicas acknowledged a write: it is not reported stored",
                 got < 0 ? 0 : got, t->st->replica_acks);
    }
}

/* Reads every reply of the round, in order. Returns 1 when a command waits for a pause. */
static int read_all(struct store_thread *t, struct send *s, int n)
{
    int later = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].link < 0)
            continue;
        struct store_reply *r = NULL;
        if (s[i].asking && link_read(t, s[i].link, &r) == 0)
            store_reply_free(r);
        if (link_read(t, s[i].link, &r) < 0) {
            send_fail(&s[i], "its connection was lost or timed out");
            continue;
        }
        later |= settle(t, &s[i], r);
        if (s[i].wait) {
            struct store_reply *w = NULL;
            if (link_read(t, s[i].link, &w) < 0)
                send_fail(&s[i], "its connection was lost or timed out");
            else
                settle_wait(t, &s[i], w);
            store_reply_free(w);
        }
    }
    return later;
}

static void pause_ms(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void rounds(struct store_thread *t, struct send *s, int n, long long deadline)
{
    for (int pause = STORE_PAUSE_MS;;) {
        if (t->mode == STORE_CLUSTER && (t->stale || !t->map)
            && store_now_ms() >= t->next_refresh)
            map_refresh(t, deadline);
        if (plan(t, s, n) == 0)
            return;
        append_all(t, s, n);
        if (read_all(t, s, n)) {
            pause_ms(pause);
            pause = pause * 2 > STORE_PAUSE_MAX_MS ? STORE_PAUSE_MAX_MS : pause * 2;
        }
    }
}

void store_pipe_serve(struct store_thread *t, struct store_job **jobs, int n)
{
    long long deadline = 0;
    int nsend = 0;
    for (int j = 0; j < n; j++) {
        nsend += jobs[j]->ncmd;
        deadline = jobs[j]->deadline > deadline ? jobs[j]->deadline : deadline;
    }
    struct send *s = calloc((size_t)nsend + 1, sizeof *s);
    bool ready = s && (t->mode != STORE_UNKNOWN || detect(t, deadline) == 0);
    int k = 0;
    for (int j = 0; j < n; j++) {
        struct store_job *job = jobs[j];
        job->replies = calloc((size_t)job->ncmd + 1, sizeof *job->replies);
        job->failed = !ready || !job->replies;
        for (int c = 0; s && c < job->ncmd; c++)
            s[k++] = (struct send){.job = job, .cmd = c, .link = -1, .ask = -1,
                                   .durable = store_pipe_durable(t->st, job, c),
                                   .pending = !job->failed};
    }
    if (ready)
        rounds(t, s, nsend, deadline);
    for (int i = 0; i < k; i++)
        if (s[i].pending)
            send_fail(&s[i], "no answer before its deadline");
    for (int j = 0; j < n; j++) {
        if (jobs[j]->failed && !jobs[j]->why)
            jobs[j]->why = !s ? "out of memory" : !ready ? "no server answered INFO" : NULL;
        jobs[j]->ok = jobs[j]->failed ? -1 : 0;
        if (jobs[j]->failed)
            store_pipe_failed(t, jobs[j]);
    }
    free(s);
}

void store_pipe_failed(struct store_thread *t, const struct store_job *job)
{
    long long now = store_now_ms();
    if (now < t->next_fail_log) {
        t->fails_unlogged++;
        return;
    }
    t->next_fail_log = now + 1000;
    log_warn("redis: a job failed after %lld ms: %s (%d more failed since the last such line)",
             now - job->submitted, job->why ? job->why : "unknown", t->fails_unlogged);
    t->fails_unlogged = 0;
}

void store_pipe_close(struct store_thread *t)
{
    for (int l = 0; l < t->nlinks; l++)
        store_conn_free(t->links[l].conn);
    t->nlinks = 0;
    cluster_map_free(t->map);
    t->map = NULL;
}
