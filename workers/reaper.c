/* reaper — takes over intake entries that a consumer read but did not acknowledge within
 * worker_idle_ms (it died, or hangs), with XAUTOCLAIM, and processes them as a consumer would;
 * an entry delivered more than worker_max_deliveries times goes to the dead-letter stream
 * instead (worker_process). Entries that XAUTOCLAIM reports deleted are data loss: logged and
 * counted. Between rounds it trims the intake stream below what the group has acknowledged.
 * It does so for every shard's intake stream in turn (one XAUTOCLAIM page of each per pass,
 * so that one shard's backlog does not hold up another's), each with its own cursor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcall.h"
#include "log.h"
#include "schema.h"
#include "worker.h"

/* Sets each entry's delivery count from XPENDING of the reaper's own entries. Returns 0 or
 * -1 when Redis failed. */
static int deliveries(struct worker *w, const char *intake, struct intake_entry *e, size_t n)
{
    struct store_job *j = store_job_new(NULL, NULL);
    const char *args[] = {"XPENDING", intake, WORKER_GROUP, e[0].id, e[n - 1].id};
    if (!j || store_job_commandv(j, args, 5) < 0 || store_job_argll(j, WORKER_BATCH * 4) < 0 ||
        store_job_argstr(j, w->consumer) < 0 || store_run(w->store, j) < 0) {
        store_job_free(j);
        return -1;
    }
    const struct store_reply *p = store_job_reply(j, 0);
    for (size_t i = 0; i < store_reply_count(p); i++) {
        const struct store_reply *row = store_reply_at(p, i);
        for (size_t k = 0; k < n; k++)
            if (strcmp(store_reply_str_at(row, 0), e[k].id) == 0)
                e[k].deliveries = store_reply_int(store_reply_at(row, 3));
    }
    store_job_free(j);
    return 0;
}

/* One XAUTOCLAIM page of the shard's intake stream from *cursor. Returns 1 when there may be
 * more, 0 at the end of the pending list, -1 when Redis failed. */
static int reap_page(struct worker *w, unsigned shard, char *cursor, size_t cursor_len)
{
    const char *prefix = shards_prefix(w->shards, shard);
    char intake[64];
    snprintf(intake, sizeof intake, "%sintake", prefix);
    struct store_job *j = store_job_new(NULL, NULL);
    const char *args[] = {"XAUTOCLAIM", intake, WORKER_GROUP, w->consumer};
    if (!j || store_job_commandv(j, args, 4) < 0 ||
        store_job_argll(j, w->conf->worker_idle_ms) < 0 || store_job_argstr(j, cursor) < 0 ||
        store_job_argstr(j, "COUNT") < 0 || store_job_argll(j, WORKER_BATCH) < 0 ||
        store_run(w->store, j) < 0 || store_reply_type(store_job_reply(j, 0)) != STORE_ARRAY) {
        if (j && store_job_ok(j) == 0)
            log_error("%s: XAUTOCLAIM: %s", w->name, store_reply_str(store_job_reply(j, 0), NULL));
        store_job_free(j);
        return -1;
    }
    /* [next cursor, [[id, fields], ...], [deleted id, ...]] */
    const struct store_reply *r = store_job_reply(j, 0);
    struct intake_entry e[WORKER_BATCH + WORKER_BATCH];
    size_t n = worker_entries(store_reply_at(r, 1), e, WORKER_BATCH);
    const struct store_reply *gone = store_reply_at(r, 2);
    size_t claimed = n;
    for (size_t i = 0; i < store_reply_count(gone) && n < sizeof e / sizeof e[0]; i++, n++) {
        memset(&e[n], 0, sizeof e[n]);
        snprintf(e[n].id, sizeof e[n].id, "%s", store_reply_str_at(gone, i));
        e[n].deleted = true;
    }
    snprintf(cursor, cursor_len, "%s", store_reply_str_at(r, 0));
    store_job_free(j);
    if (claimed && deliveries(w, intake, e, claimed) < 0)
        return -1;
    if (worker_process(w, prefix, e, n) < 0)
        return -1;
    return strcmp(cursor, "0-0") != 0;
}

static int trim_intake(struct worker *w, unsigned i)
{
    char err[256];
    long long removed;
    if (fcall_trim_intake_run(w->store, shards_prefix(w->shards, i), &removed, err,
                              sizeof err) < 0) {
        log_error("%s: trimming the intake stream of %s: %s", w->name,
                  shards_prefix(w->shards, i), err);
        return -1;
    }
    return 0;
}

/* The consumers of workers that stopped: forgotten once they hold no entry (the reaper took
 * them over) and have not read for WORKER_STALE_IDLES times worker_idle_ms, at least
 * WORKER_STALE_MIN_MS (a live consumer reads every redis_timeout_ms / 2 at most). Without this
 * each restart of a worker would leave its names in the group for ever. */
#define WORKER_STALE_IDLES 10
#define WORKER_STALE_MIN_MS 5000

static int forget_stopped(struct worker *w, unsigned i)
{
    char err[256];
    long long gone, idle = w->conf->worker_idle_ms * WORKER_STALE_IDLES;
    if (fcall_forget_consumers_run(w->store, shards_prefix(w->shards, i),
                                   idle < WORKER_STALE_MIN_MS ? WORKER_STALE_MIN_MS : idle, &gone,
                                   err, sizeof err) < 0) {
        log_error("%s: forgetting stopped consumers of %s: %s", w->name,
                  shards_prefix(w->shards, i), err);
        return -1;
    }
    if (gone)
        log_info("%s: forgot %lld stopped consumers of %s", w->name, gone,
                 shards_prefix(w->shards, i));
    return 0;
}

int reaper_run(struct worker *w)
{
    if (worker_group(w) < 0)
        return -1;
    long period = w->conf->worker_idle_ms / 4;
    period = period < 50 ? 50 : period > 1000 ? 1000 : period;
    unsigned n = shards_count(w->shards);
    char (*cursor)[48] = calloc(n, sizeof *cursor);
    if (!cursor) {
        log_error("%s: out of memory", w->name);
        return -1;
    }
    int rc = 0;
    while (!*w->stop && rc == 0) {
        bool more = false;
        for (unsigned i = 0; i < n && rc == 0 && !*w->stop; i++) {
            if (!cursor[i][0])
                snprintf(cursor[i], sizeof cursor[i], "0-0");
            int page = reap_page(w, i, cursor[i], sizeof cursor[i]);
            rc = page < 0 ? -1 : 0;
            more |= page > 0;
            /* at the end of a shard's pending list, trim below it; start again next pass */
            if (page == 0)
                rc = trim_intake(w, i) | forget_stopped(w, i);
        }
        if (!more && rc == 0)
            worker_nap(w, period);
    }
    free(cursor);
    return rc;
}
