/* learn_read — the examples of the decided cases, read from Redis for learn.c (learn.h).
 *
 * The audit chain (on the global slot) names the decided cases, newest first; each case and
 * its reports are read in the case's shard (lib/shard.h), a case from before a migration
 * through the at:<id> alias its id's shard holds. On a Redis Cluster the chain and the shards
 * are different slots, so no one call can read both: a page is four pipelined jobs (the
 * chain's page, the aliases, the cases, their reports), off the hot path (a training).
 */
#include "learn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcall.h"
#include "schema.h"

#define PAGE 200    /* audit entries per page */

/* One decided case of a page: its id, verdict and the key prefix of its shard. */
struct decided {
    char id[SHARD_ID_LEN], verdict[16];
    const char *prefix;
};

/* Runs j (freed on failure) and checks every reply. Returns 0, or -1 with err set. */
static int run_all(struct store *st, struct store_job *j, size_t n, char *err, size_t errlen)
{
    char why[160];
    int rc = fcall_sync(st, j, why, sizeof why);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (store_reply_type(store_job_reply(j, (int)i)) == STORE_ERROR) {
            snprintf(why, sizeof why, "%s", store_reply_str(store_job_reply(j, (int)i), NULL));
            rc = -1;
        }
    if (rc < 0) {
        snprintf(err, errlen, "reading the decisions: %s", why);
        store_job_free(j);
    }
    return rc;
}

/* The page of the chain from *start: its actioned and no_violation decisions into d (at most
 * PAGE), *start moved on ("" at the oldest). Returns how many, or -1 with err set. */
static long chain_page(struct store *st, char *start, size_t startlen, struct decided *d,
                       char *err, size_t errlen)
{
    struct store_job *j = store_job_new(NULL, NULL);
    const char *args[] = {"XREVRANGE", SCHEMA_AUDIT, start, "-", "COUNT"};
    if (j && store_job_commandv(j, args, 5) == 0)
        store_job_argll(j, PAGE);
    if (run_all(st, j, 1, err, errlen) < 0)
        return -1;
    const struct store_reply *r = store_job_reply(j, 0);
    size_t n = store_reply_count(r);
    long nd = 0;
    for (size_t i = 0; i < n; i++) {
        const struct store_reply *f = store_reply_at(store_reply_at(r, i), 1);
        const char *c = "", *v = "";
        for (size_t k = 0; k + 1 < store_reply_count(f); k += 2)
            if (store_reply_is(store_reply_at(f, k), "case"))
                c = store_reply_str_at(f, k + 1);
            else if (store_reply_is(store_reply_at(f, k), "verdict"))
                v = store_reply_str_at(f, k + 1);
        if ((strcmp(v, "actioned") == 0 || strcmp(v, "no_violation") == 0) &&
            strlen(c) < SHARD_ID_LEN) {
            snprintf(d[nd].id, sizeof d[nd].id, "%s", c);
            snprintf(d[nd].verdict, sizeof d[nd].verdict, "%s", v);
            nd++;
        }
    }
    /* as XREVRANGE's exclusive start: before the last entry read, when the page was full */
    if (n == PAGE)
        snprintf(start, startlen, "(%s", store_reply_str_at(store_reply_at(r, n - 1), 0));
    else
        start[0] = '\0';
    store_job_free(j);
    return nd;
}

/* Sets each case's prefix: the shard its id names, or the one its alias there names. */
static int find_shards(struct store *st, const struct shards *sh, struct decided *d, long n,
                       char *err, size_t errlen)
{
    for (long i = 0; i < n; i++) {
        int s = shards_of_id(sh, d[i].id);
        d[i].prefix = shards_prefix(sh, s < 0 ? 0 : (unsigned)s);
    }
    if (shards_count(sh) == 1 || n == 0)
        return 0;
    struct store_job *j = store_job_new(NULL, NULL);
    for (long i = 0; j && i < n; i++) {
        char key[96];
        snprintf(key, sizeof key, "%sat:%s", d[i].prefix, d[i].id);
        store_job_command(j, "GET");
        store_job_argstr(j, key);
    }
    if (run_all(st, j, (size_t)n, err, errlen) < 0)
        return -1;
    for (long i = 0; i < n; i++) {
        const struct store_reply *a = store_job_reply(j, (int)i);
        const char *p = store_reply_type(a) == STORE_STR
                        ? shards_prefix(sh, (unsigned)atoi(store_reply_str(a, NULL))) : NULL;
        if (p)
            d[i].prefix = p;
    }
    store_job_free(j);
    return 0;
}

/* Appends "HMGET <prefix><kind>:<id> fields..." to j. */
static void hmget(struct store_job *j, const char *prefix, const char *kind, const char *id,
                  const char *f1, const char *f2)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s:%s", prefix, kind, id);
    const char *args[] = {"HMGET", key, f1, f2};
    store_job_commandv(j, args, 4);
}

/* Reads the cases of d and, of each still decided so, its reports' redacted texts: adds the
 * examples in order, counting cases up to last. Returns 0, or -1 with err set. */
static int read_cases(struct store *st, const struct decided *d, long n, long last,
                      struct learn_set *s, size_t *bytes, char *err, size_t errlen)
{
    struct store_job *cj = store_job_new(NULL, NULL);
    for (long i = 0; cj && i < n; i++) {
        hmget(cj, d[i].prefix, "case", d[i].id, "status", "decision_category");
        char key[128];
        snprintf(key, sizeof key, "%scase:%s:reports", d[i].prefix, d[i].id);
        const char *args[] = {"LRANGE", key, "0"};
        store_job_commandv(cj, args, 3);
        store_job_argll(cj, LEARN_REPORTS_PER_CASE - 1);
    }
    if (run_all(st, cj, (size_t)n * 2, err, errlen) < 0)
        return -1;
    struct store_job *rj = store_job_new(NULL, NULL);
    size_t nr = 0;
    for (long i = 0; rj && i < n; i++) {
        const struct store_reply *c = store_job_reply(cj, (int)(2 * i));
        if (strcmp(store_reply_str_at(c, 0), d[i].verdict) != 0)
            continue;
        const struct store_reply *l = store_job_reply(cj, (int)(2 * i + 1));
        for (size_t k = 0; k < store_reply_count(l); k++, nr++)
            hmget(rj, d[i].prefix, "report", store_reply_str_at(l, k), "title_redacted",
                  "description_redacted");
    }
    int rc = nr == 0 ? 0 : run_all(st, rj, nr, err, errlen);
    if (rc < 0) {
        store_job_free(cj);
        return -1;
    }
    nr = 0;
    for (long i = 0; rc == 0 && i < n; i++) {
        const struct store_reply *c = store_job_reply(cj, (int)(2 * i));
        if (strcmp(store_reply_str_at(c, 0), d[i].verdict) != 0)
            continue;
        const char *cat = strcmp(d[i].verdict, "no_violation") == 0 ? "none"
                                                                    : store_reply_str_at(c, 1);
        const struct store_reply *l = store_job_reply(cj, (int)(2 * i + 1));
        for (size_t k = 0; rc == 0 && k < store_reply_count(l); k++, nr++) {
            const struct store_reply *r = store_job_reply(rj, (int)nr);
            const char *title = store_reply_str_at(r, 0), *desc = store_reply_str_at(r, 1);
            if (!*title && !*desc)
                continue;
            rc = learn_add_row(s, d[i].id, cat, title, desc, last, bytes, err, errlen);
        }
    }
    store_job_free(rj);
    store_job_free(cj);
    return rc < 0 ? -1 : 0;
}

int learn_read_page(struct store *st, const struct shards *sh, char *start, size_t startlen,
                    long last, struct learn_set *s, size_t *bytes, char *err, size_t errlen)
{
    struct decided *d = calloc(PAGE, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    long n = chain_page(st, start, startlen, d, err, errlen);
    int rc = n < 0 || find_shards(st, sh, d, n, err, errlen) < 0 ||
             read_cases(st, d, n, last, s, bytes, err, errlen) < 0 ? -1 : 0;
    free(d);
    if (rc < 0)
        return -1;
    return *start && (long)s->cases < last && *bytes <= LEARN_MAX_BYTES;
}
