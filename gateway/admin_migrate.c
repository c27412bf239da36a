/* admin_migrate — `jubao-admin migrate [--shards N]`: moves a single Redis from the unsharded
 * layout (every key under "jb:{0}:") to N shards (lib/shard.h), with gateways and workers
 * stopped. Runs on one plain Redis only: keys move between hash tags, which on a cluster are
 * other slots (docs/SCALING.md: migrate first, then copy into the cluster).
 *
 * Every step is a copy that can be made again followed by the removal of its source, so a
 * rerun after a crash finishes the work and a run over migrated data changes nothing:
 *   1. streams (intake, review queues): each entry is added, with its id, to its case's
 *      shard's stream; the groups are made with the old last-delivered id and every pending
 *      entry is claimed again for its consumer (XCLAIM ... FORCE JUSTID, with its idle time
 *      and delivery count); the leases' sorted sets and audit_pending are split by case; then
 *      the old key is deleted. The cases are still under {0} during this step: their URL says
 *      where each entry goes.
 *   2. cases: each report, the case's lists and set, its caseurl key, and last the case hash
 *      move by DUMP / RESTORE with the remaining PTTL (the case hash last, so a case still
 *      under {0} is one not finished); a report whose id names another shard gets the alias
 *      at:<id> in that shard.
 *   3. the global keys to their owners' slots (admin_migrate_global.c): API keys and names,
 *      reviewers, platforms' buckets; sessions end. Also when jb:meta says N already (data
 *      an earlier build moved, which left them under {0}).
 *   4. jb:meta's shards, last of all: programs with redis_shards = N start only then.
 * What stays under {0}: the audit chain and its stats, the feeds, the day keys, the model;
 * anonymous clients' buckets and the idempotency records, to expire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "crypto.h"
#include "shard.h"
#include "store.h"

#define OLD "jb:{0}:"
#define KEY_MAX 256
#define REST_MAX (KEY_MAX - SHARD_PREFIX_MAX) /* a key's name after its prefix */

struct mg {
    struct store *st;
    struct shards *sh;
    long moved, entries;
};

/* Runs one command; returns its job (caller frees) or NULL after printing why. An error reply
 * is returned as a job when tolerate is set (the caller reads it). */
static struct store_job *run(struct mg *m, const char *const *argv, size_t argc, int tolerate)
{
    struct store_job *j = store_job_new(NULL, NULL);
    if (!j || store_job_commandv(j, argv, argc) < 0 || store_run(m->st, j) < 0) {
        fprintf(stderr, "jubao-admin: migrate: %s: redis did not answer\n", argv[0]);
        store_job_free(j);
        return NULL;
    }
    if (!tolerate && store_reply_type(store_job_reply(j, 0)) == STORE_ERROR) {
        fprintf(stderr, "jubao-admin: migrate: %s: %s\n", argv[0],
                store_reply_str(store_job_reply(j, 0), NULL));
        store_job_free(j);
        return NULL;
    }
    return j;
}

/* Runs a command whose answer does not matter. Returns 0 or -1. */
static int run0(struct mg *m, const char *const *argv, size_t argc)
{
    struct store_job *j = run(m, argv, argc, 0);
    store_job_free(j);
    return j ? 0 : -1;
}

/* The shard of a case still under {0} (its URL's hash, as intake computes it), or -1 when
 * the case hash is gone (already moved) or has no url. */
static int case_shard(struct mg *m, const char *cid)
{
    char k[KEY_MAX];
    snprintf(k, sizeof k, OLD "case:%s", cid);
    const char *get[] = {"HGET", k, "url"};
    struct store_job *j = run(m, get, 3, 0);
    if (!j)
        return -2;
    size_t len;
    const char *url = store_reply_str(store_job_reply(j, 0), &len);
    int shard = -1;
    if (store_reply_type(store_job_reply(j, 0)) == STORE_STR && len) {
        char hex[CRYPTO_HEX_LEN];
        crypto_digest(url, len, hex);
        shard = (int)shards_of_url(m->sh, hex);
    }
    store_job_free(j);
    return shard;
}

/* Moves key src to dst keeping its remaining time to live; nothing when src is gone. */
static int move_key(struct mg *m, const char *src, const char *dst)
{
    const char *dump[] = {"DUMP", src}, *pttl[] = {"PTTL", src};
    struct store_job *d = run(m, dump, 2, 0), *t = d ? run(m, pttl, 2, 0) : NULL;
    int rc = -1;
    if (!t)
        goto out;
    rc = 0;
    if (store_reply_type(store_job_reply(d, 0)) != STORE_STR)
        goto out;                                   /* moved already, or never there */
    long long ttl = store_reply_int(store_job_reply(t, 0));
    size_t len;
    const char *payload = store_reply_str(store_job_reply(d, 0), &len);
    struct store_job *r = store_job_new(NULL, NULL);
    rc = !r || store_job_command(r, "RESTORE") < 0 || store_job_argstr(r, dst) < 0 ||
                 store_job_argll(r, ttl > 0 ? ttl : 0) < 0 ||
                 store_job_arg(r, payload, len) < 0 || store_job_argstr(r, "REPLACE") < 0 ||
                 store_run(m->st, r) < 0 ||
                 store_reply_type(store_job_reply(r, 0)) == STORE_ERROR
             ? -1 : 0;
    if (rc < 0)
        fprintf(stderr, "jubao-admin: migrate: RESTORE %s: %s\n", dst,
                r ? store_reply_str(store_job_reply(r, 0), NULL) : "out of memory");
    store_job_free(r);
    const char *del[] = {"DEL", src};
    if (rc == 0 && ttl != -2 && (rc = run0(m, del, 2)) == 0)
        m->moved++;
out:
    store_job_free(d);
    store_job_free(t);
    return rc;
}

/* The key name of rest ("case:C-...") in shard i. */
static void shard_key(struct mg *m, unsigned i, const char *rest, char out[KEY_MAX])
{
    snprintf(out, KEY_MAX, "%s%s", shards_prefix(m->sh, i), rest);
}

/* Calls each(m, key, arg) for every key matching pattern (SCAN; each may delete keys: the
 * keys are collected first). Returns 0 or -1. */
static int each_key(struct mg *m, const char *pattern,
                    int (*each)(struct mg *, const char *, void *), void *arg)
{
    char cursor[32] = "0";
    size_t n = 0, cap = 0;
    char **keys = NULL;
    int rc = 0;
    do {
        const char *scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
        struct store_job *j = run(m, scan, 6, 0);
        if (!j) {
            rc = -1;
            break;
        }
        const struct store_reply *r = store_job_reply(j, 0);
        snprintf(cursor, sizeof cursor, "%s", store_reply_str_at(r, 0));
        const struct store_reply *ks = store_reply_at(r, 1);
        for (size_t i = 0; i < store_reply_count(ks) && rc == 0; i++) {
            if (n == cap) {
                char **more = realloc(keys, (cap = cap ? cap * 2 : 64) * sizeof *keys);
                if (!more) {
                    rc = -1;
                    break;
                }
                keys = more;
            }
            if (!(keys[n] = strdup(store_reply_str_at(ks, i))))
                rc = -1;
            else
                n++;
        }
        store_job_free(j);
    } while (rc == 0 && strcmp(cursor, "0") != 0);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = each(m, keys[i], arg);
        free(keys[i]);
    }
    free(keys);
    return rc;
}

/* The shard of a stream entry's or a sorted set member's case: its URL's while the case is
 * under {0}, else the one its id names (a case whose hash is gone: its entry is the workers'
 * to dead-letter). Returns -1 when redis did not answer. */
static int shard_of_case(struct mg *m, const char *cid)
{
    int s = case_shard(m, cid);
    if (s == -1)
        s = shards_of_id(m->sh, cid) < 0 ? 0 : shards_of_id(m->sh, cid);
    return s < 0 ? -1 : s;
}

/* The value of field name in a stream entry's [field, value, ...] reply ("" when absent). */
static const char *entry_field(const struct store_reply *f, const char *name)
{
    for (size_t k = 0; k + 1 < store_reply_count(f); k += 2)
        if (strcmp(store_reply_str_at(f, k), name) == 0)
            return store_reply_str_at(f, k + 1);
    return "";
}

/* Adds entry e ([id, [field, value...]]) with its id to its case's shard's copy of stream
 * rest; an entry there already (a rerun) is left. Returns 0 or -1. */
static int stream_entry(struct mg *m, const char *rest, const struct store_reply *e)
{
    const struct store_reply *f = store_reply_at(e, 1);
    int s = shard_of_case(m, entry_field(f, "case"));
    if (s < 0)
        return -1;
    char dst[KEY_MAX];
    shard_key(m, (unsigned)s, rest, dst);
    struct store_job *j = store_job_new(NULL, NULL);
    int rc = !j || store_job_command(j, "XADD") < 0 || store_job_argstr(j, dst) < 0 ||
             store_job_argstr(j, store_reply_str_at(e, 0)) < 0;
    for (size_t k = 0; !rc && k < store_reply_count(f); k++) {
        size_t len;
        const char *v = store_reply_str(store_reply_at(f, k), &len);
        rc = store_job_arg(j, v, len) < 0;
    }
    if (!rc && store_run(m->st, j) < 0)
        rc = 1;
    const char *why = rc ? "did not answer" : store_reply_str(store_job_reply(j, 0), NULL);
    if (!rc && store_reply_type(store_job_reply(j, 0)) == STORE_ERROR)
        rc = strstr(why, "equal or smaller") ? 0 : 1;   /* copied by an earlier run */
    else if (!rc)
        m->entries++;
    if (rc)
        fprintf(stderr, "jubao-admin: migrate: XADD %s: %s\n", dst, why);
    store_job_free(j);
    return rc ? -1 : 0;
}

/* Makes group g with last-delivered id last on every shard's copy of stream rest. */
static int stream_group(struct mg *m, const char *rest, const char *g, const char *last)
{
    for (unsigned i = 0; i < shards_count(m->sh); i++) {
        char dst[KEY_MAX];
        shard_key(m, i, rest, dst);
        const char *mk[] = {"XGROUP", "CREATE", dst, g, last, "MKSTREAM"};
        const char *set[] = {"XGROUP", "SETID", dst, g, last};
        struct store_job *j = run(m, mk, 6, 1);
        int rc = !j ? -1 : run0(m, set, 5);
        store_job_free(j);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Gives each pending entry of group g of src to its consumer again in its case's shard's
 * copy, with its idle time and delivery count. */
static int stream_pending(struct mg *m, const char *src, const char *rest, const char *g)
{
    char start[64] = "-";
    for (;;) {
        const char *xp[] = {"XPENDING", src, g, start, "+", "500"};
        struct store_job *j = run(m, xp, 6, 0);
        if (!j)
            return -1;
        const struct store_reply *r = store_job_reply(j, 0);
        size_t n = store_reply_count(r);
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            const struct store_reply *p = store_reply_at(r, i);
            const char *id = store_reply_str_at(p, 0);
            char idle[32], count[32];
            snprintf(idle, sizeof idle, "%lld", store_reply_int(store_reply_at(p, 2)));
            snprintf(count, sizeof count, "%lld", store_reply_int(store_reply_at(p, 3)));
            const char *get[] = {"XRANGE", src, id, id};
            struct store_job *e = run(m, get, 4, 0);
            const struct store_reply *ent = e ? store_reply_at(store_job_reply(e, 0), 0) : NULL;
            int s = ent ? shard_of_case(m, entry_field(store_reply_at(ent, 1), "case")) : -1;
            char dst[KEY_MAX];
            if (s >= 0)
                shard_key(m, (unsigned)s, rest, dst);
            const char *cl[] = {"XCLAIM", dst, g, store_reply_str_at(p, 1), "0", id,
                                "IDLE", idle, "RETRYCOUNT", count, "FORCE", "JUSTID"};
            rc = s < 0 ? (e && !ent ? 0 : -1) : run0(m, cl, 12);  /* deleted entry: no copy */
            store_job_free(e);
            if (i + 1 == n)
                snprintf(start, sizeof start, "(%s", id);
        }
        store_job_free(j);
        if (rc < 0 || n < 500)
            return rc;
    }
}

/* Moves stream src (a key under {0}) entry by entry to the shards, with its groups. */
static int move_stream(struct mg *m, const char *src, void *arg)
{
    (void)arg;
    const char *rest = src + strlen(OLD);
    const char *type[] = {"TYPE", src};
    struct store_job *t = run(m, type, 2, 0);
    int is = t && strcmp(store_reply_str(store_job_reply(t, 0), NULL), "stream") == 0;
    store_job_free(t);
    if (!t)
        return -1;
    if (!is)
        return 0;
    char start[64] = "-";
    for (;;) {
        const char *xr[] = {"XRANGE", src, start, "+", "COUNT", "500"};
        struct store_job *j = run(m, xr, 6, 0);
        if (!j)
            return -1;
        const struct store_reply *r = store_job_reply(j, 0);
        size_t n = store_reply_count(r);
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = stream_entry(m, rest, store_reply_at(r, i));
        if (n)
            snprintf(start, sizeof start, "(%s", store_reply_str_at(store_reply_at(r, n - 1), 0));
        store_job_free(j);
        if (rc < 0)
            return -1;
        if (n < 500)
            break;
    }
    const char *xg[] = {"XINFO", "GROUPS", src};
    struct store_job *g = run(m, xg, 3, 0);
    if (!g)
        return -1;
    int rc = 0;
    const struct store_reply *gs = store_job_reply(g, 0);
    for (size_t i = 0; i < store_reply_count(gs) && rc == 0; i++) {
        const struct store_reply *gi = store_reply_at(gs, i);
        const char *name = entry_field(gi, "name"), *last = entry_field(gi, "last-delivered-id");
        rc = stream_group(m, rest, name, last);
        if (rc == 0)
            rc = stream_pending(m, src, rest, name);
    }
    store_job_free(g);
    const char *del[] = {"DEL", src};
    return rc < 0 ? -1 : run0(m, del, 2);
}

/* Splits sorted set src (case ids: leases:<queue>, audit_pending) over the cases' shards. */
static int move_zset(struct mg *m, const char *src, void *arg)
{
    (void)arg;
    const char *rest = src + strlen(OLD);
    const char *zr[] = {"ZRANGE", src, "0", "-1", "WITHSCORES"};
    struct store_job *j = run(m, zr, 5, 0);
    if (!j)
        return -1;
    const struct store_reply *r = store_job_reply(j, 0);
    int rc = 0;
    for (size_t i = 0; i + 1 < store_reply_count(r) && rc == 0; i += 2) {
        const char *cid = store_reply_str_at(r, i);
        int s = shard_of_case(m, cid);
        char dst[KEY_MAX];
        if (s >= 0)
            shard_key(m, (unsigned)s, rest, dst);
        const char *add[] = {"ZADD", dst, store_reply_str_at(r, i + 1), cid};
        rc = s < 0 ? -1 : run0(m, add, 4);
    }
    store_job_free(j);
    const char *del[] = {"DEL", src};
    return rc < 0 ? -1 : run0(m, del, 2);
}

/* Writes the alias at:<id> -> s in the shard id names when that is not s, with the time to
 * live of key from (the report or case under {0}); none when from has moved (an earlier run
 * made it). Returns 0 or -1. */
static int alias(struct mg *m, const char *id, unsigned s, const char *from)
{
    int named = shards_of_id(m->sh, id);
    if (named < 0 || (unsigned)named == s)
        return 0;
    const char *pttl[] = {"PTTL", from};
    struct store_job *t = run(m, pttl, 2, 0);
    if (!t)
        return -1;
    long long ttl = store_reply_int(store_job_reply(t, 0));
    store_job_free(t);
    char rest[REST_MAX], at[KEY_MAX], num[16], px[32];
    snprintf(rest, sizeof rest, "at:%s", id);
    shard_key(m, (unsigned)named, rest, at);
    snprintf(num, sizeof num, "%u", s);
    snprintf(px, sizeof px, "%lld", ttl);
    const char *set[] = {"SET", at, num, "PX", px};
    return ttl == -2 ? 0 : run0(m, set, ttl > 0 ? 5 : 3);
}

/* Moves each report of list (a key, under {0} or already in shard s) to shard s, with the
 * alias at:<id> where its id names another shard. */
static int move_reports(struct mg *m, unsigned s, const char *old, const char *dst)
{
    const char *exists[] = {"EXISTS", old};
    struct store_job *x = run(m, exists, 2, 0);
    if (!x)
        return -1;
    const char *list = store_reply_int(store_job_reply(x, 0)) ? old : dst;
    store_job_free(x);
    const char *lr[] = {"LRANGE", list, "0", "-1"};
    struct store_job *j = run(m, lr, 4, 0);
    if (!j)
        return -1;
    const struct store_reply *r = store_job_reply(j, 0);
    int rc = 0;
    for (size_t i = 0; i < store_reply_count(r) && rc == 0; i++) {
        const char *rid = store_reply_str_at(r, i);
        char rest[REST_MAX], from[KEY_MAX], to[KEY_MAX];
        snprintf(rest, sizeof rest, "report:%s", rid);
        snprintf(from, sizeof from, OLD "%s", rest);
        shard_key(m, s, rest, to);
        rc = alias(m, rid, s, from);
        if (rc == 0)
            rc = move_key(m, from, to);
    }
    store_job_free(j);
    return rc;
}

/* Moves case key src ("jb:{0}:case:<id>") and what belongs to it to its URL's shard. */
static int move_case(struct mg *m, const char *src, void *arg)
{
    (void)arg;
    const char *cid = src + strlen(OLD "case:");
    if (strchr(cid, ':'))
        return 0;                                   /* a case's list or set: moved with it */
    int s = case_shard(m, cid);
    if (s == -2)
        return -1;
    if (s < 0)
        s = shards_of_id(m->sh, cid) < 0 ? 0 : shards_of_id(m->sh, cid);
    static const char *const parts[] = {":reports", ":platform_reports", ":reporters"};
    char from[KEY_MAX], to[KEY_MAX], rest[REST_MAX], full[KEY_MAX];
    for (size_t i = 0; i < 3; i++) {
        snprintf(rest, sizeof rest, "case:%s%s", cid, parts[i]);
        snprintf(from, sizeof from, OLD "%s", rest);
        shard_key(m, (unsigned)s, rest, to);
        if (i < 2 && move_reports(m, (unsigned)s, from, to) < 0)
            return -1;
        if (move_key(m, from, to) < 0)
            return -1;
    }
    /* the URL's key, when it still names this case */
    const char *url[] = {"HGET", src, "url"};
    struct store_job *j = run(m, url, 3, 0);
    if (!j)
        return -1;
    size_t len;
    const char *u = store_reply_str(store_job_reply(j, 0), &len);
    char hex[CRYPTO_HEX_LEN];
    crypto_digest(u, len, hex);
    store_job_free(j);
    snprintf(rest, sizeof rest, "caseurl:%s", hex);
    snprintf(from, sizeof from, OLD "%s", rest);
    shard_key(m, (unsigned)s, rest, to);
    const char *get[] = {"GET", from};
    if (!(j = run(m, get, 2, 0)))
        return -1;
    int mine = store_reply_is(store_job_reply(j, 0), cid);
    store_job_free(j);
    if (mine && move_key(m, from, to) < 0)
        return -1;
    snprintf(rest, sizeof rest, "case:%s", cid);
    shard_key(m, (unsigned)s, rest, to);
    if (alias(m, cid, (unsigned)s, src) < 0 || move_key(m, src, to) < 0)
        return -1;
    /* a lease names its review stream by its whole key */
    const char *ls[] = {"HGET", to, "lease_stream"};
    if (!(j = run(m, ls, 3, 0)))
        return -1;
    const char *stream = store_reply_str(store_job_reply(j, 0), NULL);
    int rc = 0;
    if (strncmp(stream, OLD, strlen(OLD)) == 0) {
        shard_key(m, (unsigned)s, stream + strlen(OLD), full);
        const char *hs[] = {"HSET", to, "lease_stream", full};
        rc = run0(m, hs, 4);
    }
    store_job_free(j);
    return rc;
}

/* jb:meta's shards: 0 when none is kept, -1 when redis did not answer. */
static long kept_shards(struct mg *m)
{
    const char *get[] = {"HGET", SHARD_META, "shards"};
    struct store_job *j = run(m, get, 3, 0);
    long n = j ? atol(store_reply_str(store_job_reply(j, 0), NULL)) : -1;
    store_job_free(j);
    return n;
}

static int migrate(struct mg *m)
{
    char n[16];
    snprintf(n, sizeof n, "%u", shards_count(m->sh));
    const char *set[] = {"HSET", SHARD_META, "shards", n};
    if (each_key(m, OLD "intake", move_stream, NULL) < 0 ||
        each_key(m, OLD "deadletter", move_stream, NULL) < 0 ||
        each_key(m, OLD "review:*", move_stream, NULL) < 0 ||
        each_key(m, OLD "leases:*", move_zset, NULL) < 0 ||
        each_key(m, OLD "audit_pending", move_zset, NULL) < 0 ||
        each_key(m, OLD "case:*", move_case, NULL) < 0 ||
        admin_migrate_global(m->st, m->sh, &m->moved) < 0 || run0(m, set, 4) < 0)
        return -1;
    return 0;
}

/* Over data with n shards already: moves the global keys still under {0}. Returns the exit
 * status. */
static int moved_already(struct mg *m, long n)
{
    if (admin_migrate_global(m->st, m->sh, &m->moved) < 0)
        return 1;
    if (m->moved)
        printf("moved %ld global keys to their slots\n", m->moved);
    else
        printf("the data in redis has %ld shards already; nothing changed\n", n);
    return 0;
}

int admin_migrate(const struct conf *c, int argc, char **argv)
{
    long n = c->redis_shards != SHARDS_UNSET ? c->redis_shards : SHARDS_DEFAULT;
    if (argc == 2 && strcmp(argv[0], "--shards") == 0)
        n = atol(argv[1]);
    else if (argc != 0)
        return 2;
    struct mg m = {.sh = n > 1 ? shards_new((unsigned)n) : NULL};
    if (!m.sh) {
        fprintf(stderr, "jubao-admin: migrate: --shards is 2 to the most shards (one shard "
                        "is the unsharded layout: nothing to move)\n");
        return 2;
    }
    char err[256];
    m.st = store_new(c->redis, (int)c->redis_timeout_ms * 3, 1, err, sizeof err);
    if (!m.st) {
        fprintf(stderr, "jubao-admin: %s\n", err);
        shards_free(m.sh);
        return 1;
    }
    long kept = kept_shards(&m);
    int rc = 1;
    if (kept > 1 && kept != n)
        fprintf(stderr, "jubao-admin: migrate: the data in redis has %ld shards already\n",
                kept);
    else if (kept == n)     /* the global keys an earlier build left under {0}, if any */
        rc = moved_already(&m, n);
    else if (kept >= 0 && migrate(&m) == 0)   /* 0 or 1: the unsharded layout */
        printf("moved %ld keys and %ld stream entries to %ld shards\n", m.moved, m.entries, n),
            rc = 0;
    store_free(m.st);
    shards_free(m.sh);
    return rc;
}
