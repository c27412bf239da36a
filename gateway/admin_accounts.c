/* admin_accounts — `jubao-admin apikey create|revoke NAME`, and the layout of the global keys
 * that the account commands write (lib/global.h).
 *
 * An API key's name (apikeyname:<name>, the name's slot) and its record (apikey:<hash>, the
 * key's slot) are in different slots, so no one Function writes both: create writes the name,
 * then the record; revoke marks the record the name points to. Each step can be repeated: a
 * create that stopped between its two leaves a name pointing to a hash without a record, which
 * no request accepts and which the next create replaces (only a live record counts as a key
 * the name has); a revoke run again marks the same record again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "global.h"
#include "isotime.h"
#include "store.h"

/* Runs one command; returns its job (the caller frees it) or NULL after printing why. */
static struct store_job *run(struct store *st, const char *const *argv, size_t argc)
{
    struct store_job *j = store_job_new(NULL, NULL);
    if (!j || store_job_commandv(j, argv, argc) < 0 || store_run(st, j) < 0 ||
        store_reply_type(store_job_reply(j, 0)) == STORE_ERROR) {
        fprintf(stderr, "jubao-admin: redis: %s: %s\n", argv[0],
                j && store_job_reply(j, 0) ? store_reply_str(store_job_reply(j, 0), NULL)
                                           : "did not answer");
        store_job_free(j);
        return NULL;
    }
    return j;
}

/* The string reply of one command into out ("" for nil). Returns 0 or -1 (printed). */
static int run_str(struct store *st, const char *const *argv, size_t argc, char *out,
                   size_t outlen)
{
    struct store_job *j = run(st, argv, argc);
    if (!j)
        return -1;
    snprintf(out, outlen, "%s", store_reply_str(store_job_reply(j, 0), NULL));
    store_job_free(j);
    return 0;
}

struct shards *admin_layout(const struct conf *c, struct store *st)
{
    char err[256];
    long n = 0;
    struct shards *sh = NULL;
    /* as a gateway or worker would start: the data's number, or redis_shards when set, or
     * (a Redis without data) the default, kept in jb:meta from now on */
    if (shards_start_check(st, c->redis_shards, &n, err, sizeof err) < 0)
        fprintf(stderr, "jubao-admin: %s\n", err);
    else if (!(sh = shards_new((unsigned)n)))
        fprintf(stderr, "jubao-admin: out of memory\n");
    return sh;
}

/* The record key of hash into out. */
static void record_key(const struct shards *sh, const char *hash, char out[160])
{
    char p[GLOBAL_PREFIX_MAX];
    global_prefix(sh, GLOBAL_KEY, hash, p);
    snprintf(out, 160, "%sapikey:%s", p, hash);
}

int admin_apikey_put(struct store *st, const struct shards *sh, const char *name,
                     const char *hash, const char *iso, const char *handler, bool report)
{
    char rec[160];
    record_key(sh, hash, rec);
    const char *put[] = {"HSET", rec, "name", name, "revoked", "0", "created_at", iso,
                         "report", report ? "1" : "0", "handler", handler ? handler : ""};
    struct store_job *k = run(st, put, handler ? 12 : 10);
    store_job_free(k);
    return k ? 0 : -1;
}

/* The key apikeyname:<name> into out. */
static void name_key_of(const struct shards *sh, const char *name, char out[160])
{
    char p[GLOBAL_PREFIX_MAX];
    global_prefix(sh, GLOBAL_KEYNAME, name, p);
    snprintf(out, 160, "%sapikeyname:%s", p, name);
}

int admin_apikey_live(struct store *st, const struct shards *sh, const char *name)
{
    char name_key[160], rec[160], old[CRYPTO_HEX_LEN], revoked[8];
    name_key_of(sh, name, name_key);
    const char *get[] = {"GET", name_key};
    if (run_str(st, get, 2, old, sizeof old) < 0)
        return -1;
    if (!old[0])
        return 0;
    record_key(sh, old, rec);
    const char *live[] = {"HGET", rec, "revoked"};
    if (run_str(st, live, 3, revoked, sizeof revoked) < 0)
        return -1;
    return strcmp(revoked, "0") == 0;
}

int admin_apikey_create(struct store *st, const struct shards *sh, const char *name,
                        const char *hash, const char *iso, const char *handler)
{
    char name_key[160];
    int live = admin_apikey_live(st, sh, name);
    if (live != 0)
        return live;
    name_key_of(sh, name, name_key);
    const char *set[] = {"SET", name_key, hash};
    struct store_job *j = run(st, set, 3);
    store_job_free(j);
    return j ? admin_apikey_put(st, sh, name, hash, iso, handler, true) : -1;
}

/* Revokes name's key: 0 done, 1 the name has none, -1 redis failed. */
static int apikey_revoke(struct store *st, const struct shards *sh, const char *name,
                         const char *iso)
{
    char name_key[160], rec[160], hash[CRYPTO_HEX_LEN];
    name_key_of(sh, name, name_key);
    const char *get[] = {"GET", name_key};
    if (run_str(st, get, 2, hash, sizeof hash) < 0)
        return -1;
    if (!hash[0])
        return 1;
    record_key(sh, hash, rec);
    const char *mark[] = {"HSET", rec, "revoked", "1", "revoked_at", iso};
    struct store_job *j = run(st, mark, 6);
    store_job_free(j);
    return j ? 0 : -1;
}

int admin_apikey(const struct conf *c, struct store *st, const struct keys *keys,
                 const char *verb, const char *name)
{
    char iso[32];
    isotime_format(time(NULL), iso);
    struct shards *sh = admin_layout(c, st);
    if (!sh)
        return 1;
    int rc = 1;
    if (strcmp(verb, "create") == 0) {
        char key[48], hash[CRYPTO_HEX_LEN];
        crypto_random_apikey(key);
        crypto_keyed_hash(keys, CRYPTO_APIKEY, key, strlen(key), hash);
        int got = admin_apikey_create(st, sh, name, hash, iso, NULL);
        if (got == 0) {
            printf("platform API key for %s (shown only now; keep it secret):\n%s\n", name, key);
            rc = 0;
        } else if (got == 1) {
            fprintf(stderr, "jubao-admin: %s already has a key; revoke it first\n", name);
        }
    } else {
        int got = apikey_revoke(st, sh, name, iso);
        if (got == 0) {
            printf("revoked the key of %s\n", name);
            rc = 0;
        } else if (got == 1) {
            fprintf(stderr, "jubao-admin: %s has no key\n", name);
        }
    }
    shards_free(sh);
    return rc;
}
