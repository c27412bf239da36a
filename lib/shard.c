/* shard — see shard.h. */
#include "shard.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "crypto.h"
#include "log.h"

struct shards {
    unsigned n;
    char prefix[][SHARD_PREFIX_MAX];
};

/* lib/crypto.c's alphabet for ids (Crockford's base32); the ids' numbers are read in it. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct shards *shards_new(unsigned n)
{
    if (n < 1 || n > CLUSTER_SHARDS_MAX)
        return NULL;
    struct shards *s = calloc(1, sizeof *s + (size_t)n * SHARD_PREFIX_MAX);
    if (!s)
        return NULL;
    s->n = n;
    for (unsigned i = 0; i < n; i++) {
        char tag[16] = "0";
        if (n > 1 && cluster_shard_tag(i, n, tag, sizeof tag) < 0) {
            free(s);
            return NULL;
        }
        snprintf(s->prefix[i], SHARD_PREFIX_MAX, "jb:{%s}:", tag);
    }
    return s;
}

void shards_free(struct shards *s)
{
    free(s);
}

unsigned shards_count(const struct shards *s)
{
    return s->n;
}

const char *shards_prefix(const struct shards *s, unsigned i)
{
    return i < s->n ? s->prefix[i] : NULL;
}

unsigned shards_of_url(const struct shards *s, const char *hex)
{
    char head[9];
    snprintf(head, sizeof head, "%s", hex);
    if (strlen(head) != 8 || strspn(head, "0123456789abcdefABCDEF") != 8)
        return 0;
    return (unsigned)(strtoul(head, NULL, 16) % s->n);
}

/* The 60-bit number of an id's twelve base32 characters, or -1 when it is not an id. */
static int64_t id_number(const char *id)
{
    if (strlen(id) != SHARD_ID_LEN - 1 || id[1] != '-' || id[6] != '-' || id[11] != '-')
        return -1;
    int64_t v = 0;
    for (size_t i = 2; i < SHARD_ID_LEN - 1; i++) {
        if (id[i] == '-')
            continue;
        const char *c = id[i] ? strchr(crockford, id[i]) : NULL;
        if (!c)
            return -1;
        v = v * 32 + (c - crockford);
    }
    return v;
}

int shards_of_id(const struct shards *s, const char *id)
{
    int64_t v = id_number(id);
    return v < 0 ? -1 : (int)(v % s->n);
}

void shards_id_new(const struct shards *s, char p, unsigned i, char out[SHARD_ID_LEN])
{
    char id[CRYPTO_ID_LEN];
    crypto_random_id(p, id);
    int64_t v = id_number(id), top = (int64_t)1 << 60;
    v = v - v % s->n + i % s->n;
    if (v >= top)
        v -= s->n;
    char d[12];
    for (int k = 11; k >= 0; k--, v /= 32)
        d[k] = crockford[v % 32];
    snprintf(out, SHARD_ID_LEN, "%c-%.4s-%.4s-%.4s", p, d, d + 4, d + 8);
}

/* Runs one command of argv; returns its job (the caller frees it) or NULL with err set. */
static struct store_job *run1(struct store *st, const char *const *argv, size_t argc,
                              char *err, size_t errlen)
{
    struct store_job *j = store_job_new(NULL, NULL);
    if (!j || store_job_commandv(j, argv, argc) < 0 || store_run(st, j) < 0 ||
        store_reply_type(store_job_reply(j, 0)) == STORE_ERROR) {
        snprintf(err, errlen, "redis: %s",
                 j && store_job_reply(j, 0) ? store_reply_str(store_job_reply(j, 0), NULL)
                                            : "did not answer");
        store_job_free(j);
        return NULL;
    }
    return j;
}

int shards_kept(struct store *st, long *kept, char *err, size_t errlen)
{
    const char *get[] = {"HGET", SHARD_META, "shards"};
    struct store_job *j = run1(st, get, 3, err, errlen);
    if (!j)
        return -1;
    *kept = atol(store_reply_str(store_job_reply(j, 0), NULL));
    store_job_free(j);
    return 0;
}

/* True (1) when Redis holds keys of the unsharded layout that only it writes, 0 when not,
 * -1 with err set. (They share the tag {0}: one command, one slot.) */
static int unsharded_data(struct store *st, char *err, size_t errlen)
{
    const char *ex[] = {"EXISTS", "jb:{0}:intake", "jb:{0}:audit:last", "jb:{0}:stats",
                        "jb:{0}:review:default:0", "jb:{0}:review:default:1",
                        "jb:{0}:review:default:2", "jb:{0}:review:default:3"};
    struct store_job *j = run1(st, ex, sizeof ex / sizeof ex[0], err, errlen);
    if (!j)
        return -1;
    int any = store_reply_int(store_job_reply(j, 0)) > 0;
    store_job_free(j);
    return any;
}

int shards_check(struct store *st, const struct shards *s, char *err, size_t errlen)
{
    long kept;
    if (shards_kept(st, &kept, err, errlen) < 0)
        return -1;
    if (kept == 0) {
        int old = s->n > 1 ? unsharded_data(st, err, errlen) : 0;
        if (old < 0)
            return -1;
        if (old) {
            snprintf(err, errlen, "redis holds data of the unsharded layout: run jubao-admin "
                                  "migrate (redis_shards = %u) first", s->n);
            return -2;
        }
        char n[16];
        snprintf(n, sizeof n, "%u", s->n);
        const char *set[] = {"HSETNX", SHARD_META, "shards", n};
        struct store_job *j = run1(st, set, 4, err, errlen);
        store_job_free(j);
        if (!j || shards_kept(st, &kept, err, errlen) < 0)
            return -1;
    }
    if (kept != (long)s->n) {
        snprintf(err, errlen, "redis_shards is %u but the data in redis was made with %ld "
                              "shards (fixed when the data is created)", s->n, kept);
        return -2;
    }
    return 0;
}

/* redis_shards not set: the number the data in Redis was made with, 1 for data of the
 * unsharded layout (kept so, with a hint), SHARDS_DEFAULT for a Redis without data. */
static int shards_learn(struct store *st, long *out, char *err, size_t errlen)
{
    long kept;
    if (shards_kept(st, &kept, err, errlen) < 0)
        return -1;
    if (kept == 0) {
        int old = unsharded_data(st, err, errlen);
        if (old < 0)
            return -1;
        kept = old ? 1 : SHARDS_DEFAULT;
    }
    if (kept < 1 || kept > CLUSTER_SHARDS_MAX) {
        snprintf(err, errlen, "jb:meta says %ld shards: out of range", kept);
        return -2;
    }
    *out = kept;
    return 0;
}

int shards_start_check(struct store *st, long n, long *out, char *err, size_t errlen)
{
    long want = n;
    if (n == SHARDS_UNSET) {
        int rc = shards_learn(st, &want, err, errlen);
        if (rc < 0)
            return rc;
    }
    struct shards *s = shards_new((unsigned)want);
    if (!s) {
        snprintf(err, errlen, "redis_shards %ld: out of range or out of memory", want);
        return -2;
    }
    int rc = shards_check(st, s, err, errlen);
    if (rc == -1 && n == 1)
        rc = 0;
    shards_free(s);
    if (rc < 0)
        return rc;
    if (n == SHARDS_UNSET && want == 1)
        log_info("the data in redis has one shard (the unsharded layout): jubao-admin migrate "
                 "spreads it over %d (docs/SCALING.md)", SHARDS_DEFAULT);
    *out = want;
    return 0;
}
