/* admin_migrate_global — the global keys' part of `jubao-admin migrate` (admin_migrate.c):
 * from "jb:{0}:" to their owners' slots of the sharded layout (lib/global.h), on one plain
 * Redis (RENAME between hash tags, keeping the time to live), with gateways stopped.
 *
 * Moved: API keys (apikey:<hash>) and their names (apikeyname:<name>), reviewers
 * (reviewer:<name>) and their recent attempts (logins:<name>), and a platform's buckets and
 * counters (rl:p:, rl:status:p:, powx:p:, evb:p: with its key hash): each to its owner's slot;
 * the handlers and referrals (handler*, hdomain:, hcat:, referral*, ref_*, rcase:, unrouted,
 * referdid:) to the handlers' slot.
 * Ended: sessions (session:<token hash>): a session's slot is named by its token, which Redis
 * never held; reviewers log in again. Left to expire under {0}, never read again: anonymous
 * clients' buckets and counters and every idempotency record (their names are keyed hashes
 * that do not say whose they are; they last a day at most, idempotency_ttl).
 * Each key is one RENAME or DEL, gone from {0} once done: a rerun after a crash finishes the
 * work, and a run over moved data changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "global.h"

#define OLD "jb:{0}:"
#define KEY_MAX 256

/* Runs one command; returns 0, or -1 after printing why. A key that expired since the scan
 * is no error. */
static int run0(struct store *st, const char *const *argv, size_t argc)
{
    struct store_job *j = store_job_new(NULL, NULL);
    int rc = !j || store_job_commandv(j, argv, argc) < 0 || store_run(st, j) < 0 ||
                     (store_reply_type(store_job_reply(j, 0)) == STORE_ERROR &&
                      !strstr(store_reply_str(store_job_reply(j, 0), NULL), "no such key"))
                 ? -1 : 0;
    if (rc < 0)
        fprintf(stderr, "jubao-admin: migrate: %s %s: %s\n", argv[0], argv[1],
                j && store_job_reply(j, 0) ? store_reply_str(store_job_reply(j, 0), NULL)
                                           : "redis did not answer");
    store_job_free(j);
    return rc;
}

/* The keys matching pattern, collected before any moves (SCAN), into a NULL-ended array the
 * caller frees with free_keys; NULL after printing why. */
static char **scan_keys(struct store *st, const char *pattern)
{
    char cursor[32] = "0";
    size_t n = 0, cap = 16;
    char **keys = calloc(cap, sizeof *keys);
    do {
        const char *scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
        struct store_job *j = keys ? store_job_new(NULL, NULL) : NULL;
        if (!j || store_job_commandv(j, scan, 6) < 0 || store_run(st, j) < 0 ||
            store_reply_type(store_job_reply(j, 0)) != STORE_ARRAY) {
            fprintf(stderr, "jubao-admin: migrate: SCAN %s failed\n", pattern);
            store_job_free(j);
            goto fail;
        }
        const struct store_reply *r = store_job_reply(j, 0), *ks = store_reply_at(r, 1);
        snprintf(cursor, sizeof cursor, "%s", store_reply_str_at(r, 0));
        for (size_t i = 0; i < store_reply_count(ks); i++) {
            if (n + 1 == cap) {
                char **more = realloc(keys, (cap *= 2) * sizeof *keys);
                if (!more) {
                    store_job_free(j);
                    goto fail;
                }
                keys = more;
            }
            keys[n] = strdup(store_reply_str_at(ks, i));
            keys[++n] = NULL;
            if (!keys[n - 1]) {
                store_job_free(j);
                goto fail;
            }
        }
        store_job_free(j);
    } while (strcmp(cursor, "0") != 0);
    return keys;
fail:
    for (size_t i = 0; keys && keys[i]; i++)
        free(keys[i]);
    free(keys);
    return NULL;
}

static void free_keys(char **keys)
{
    for (size_t i = 0; keys[i]; i++)
        free(keys[i]);
    free(keys);
}

/* What to do with the keys of one kind: "jb:{0}:<kind><id>" goes to owner id's slot
 * (owner -1: deleted). */
struct kind {
    const char *kind;
    int owner;
};

static const struct kind kinds[] = {
    {"apikey:", GLOBAL_KEY},       {"apikeyname:", GLOBAL_KEYNAME},
    {"reviewer:", GLOBAL_REVIEWER}, {"logins:", GLOBAL_REVIEWER},
    {"rl:p:", GLOBAL_KEY},         {"rl:status:p:", GLOBAL_KEY},
    {"powx:p:", GLOBAL_KEY},       {"evb:p:", GLOBAL_KEY},
    {"session:", -1},
    /* the handlers and their referrals (redis/referrals.lua): all to the handlers' slot */
    {"handler", GLOBAL_HANDLERS},  {"hdomain:", GLOBAL_HANDLERS},
    {"hcat:", GLOBAL_HANDLERS},    {"referral", GLOBAL_HANDLERS},
    {"ref_", GLOBAL_HANDLERS},     {"rcase:", GLOBAL_HANDLERS},
    {"unrouted", GLOBAL_HANDLERS}, {"referdid:", GLOBAL_HANDLERS},
};

int admin_migrate_global(struct store *st, const struct shards *sh, long *moved)
{
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char pattern[64];
        snprintf(pattern, sizeof pattern, OLD "%s*", kinds[k].kind);
        char **keys = scan_keys(st, pattern);
        if (!keys)
            return -1;
        int rc = 0;
        for (size_t i = 0; keys[i] && rc == 0; i++) {
            const char *id = keys[i] + strlen(OLD) + strlen(kinds[k].kind);
            char prefix[GLOBAL_PREFIX_MAX], dst[KEY_MAX];
            if (kinds[k].owner < 0) {
                const char *del[] = {"DEL", keys[i]};
                rc = run0(st, del, 2);
            } else {
                global_prefix(sh, (enum global_owner)kinds[k].owner, id, prefix);
                snprintf(dst, sizeof dst, "%s%s%s", prefix, kinds[k].kind, id);
                const char *mv[] = {"RENAME", keys[i], dst};
                rc = run0(st, mv, 3);
            }
            *moved += rc == 0;
        }
        free_keys(keys);
        if (rc < 0)
            return -1;
    }
    return 0;
}
