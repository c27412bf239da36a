/* consumer — reads every shard's intake stream in the consumer group, its own pending entries
 * first, and routes each new case to review (worker.h). The routing and the acknowledgement
 * are one Redis Function call (jb_route) in the case's shard, so an entry is acknowledged
 * exactly when its output exists, and a case is queued once however often its entry is
 * delivered.
 *
 * The shards' streams are read one XREADGROUP each (one stream is one slot; on a Redis
 * Cluster one command cannot name several slots), in turn, starting after the shard read
 * last, so that a busy shard cannot starve the others. A call blocks only when a whole round
 * found nothing, then for redis_timeout_ms / 2 divided among the shards: a new entry waits at
 * most about one such round, whichever shard it is in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcall.h"
#include "isotime.h"
#include "log.h"
#include "modelstore.h"
#include "route.h"
#include "schema.h"
#include "worker.h"

void worker_nap(struct worker *w, long ms)
{
    for (; ms > 0 && !*w->stop; ms -= 50) {
        struct timespec ts = {0, (ms < 50 ? ms : 50) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

long long worker_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int worker_model_poll(struct worker *w)
{
    long long now = worker_mono_ms();
    if (now < w->model_next_ms)
        return 0;
    w->model_next_ms = now + w->conf->model_poll * 1000;
    if (modelstore_refresh(w->store, w->conf->model_max_bytes, w->model, &w->model_version,
                           w->name) < 0) {
        log_error("%s: reading the model version: redis did not answer", w->name);
        return -1;
    }
    return 0;
}

/* Runs the job; returns 0, or -1 having logged when Redis failed or answered an error to
 * any command. Frees the job either way. */
static int run(struct worker *w, struct store_job *j, int ncommands, const char *what)
{
    int rc = j ? store_run(w->store, j) : -1;
    for (int i = 0; rc == 0 && i < ncommands; i++) {
        const struct store_reply *r = store_job_reply(j, i);
        if (store_reply_type(r) == STORE_ERROR) {
            log_error("%s: %s: redis: %s", w->name, what, store_reply_str(r, NULL));
            rc = -1;
        }
    }
    if (rc < 0 && j && store_job_ok(j) < 0)
        log_error("%s: %s: redis did not answer", w->name, what);
    store_job_free(j);
    return rc;
}

/* Writes the key of kind in shard i into out. */
static void shard_key(const struct worker *w, unsigned i, const char *kind, char *out,
                      size_t outlen)
{
    snprintf(out, outlen, "%s%s", shards_prefix(w->shards, i), kind);
}

int worker_group(struct worker *w)
{
    struct store_job *j = store_job_new(NULL, NULL);
    unsigned n = shards_count(w->shards);
    for (unsigned i = 0; j && i < n; i++) {
        char intake[64];
        shard_key(w, i, "intake", intake, sizeof intake);
        const char *args[] = {"XGROUP", "CREATE", intake, WORKER_GROUP, "0", "MKSTREAM"};
        store_job_commandv(j, args, sizeof args / sizeof args[0]);
    }
    int rc = j ? store_run(w->store, j) : -1;
    for (unsigned i = 0; rc == 0 && i < n; i++) {
        const char *err = store_reply_str(store_job_reply(j, (int)i), NULL);
        if (store_reply_type(store_job_reply(j, (int)i)) == STORE_ERROR &&
            strncmp(err, "BUSYGROUP", 9) != 0) {
            log_error("%s: cannot make the consumer group: %s", w->name, err);
            rc = -1;
        }
    }
    if (rc < 0 && (!j || store_job_ok(j) < 0))
        log_error("%s: redis did not answer", w->name);
    store_job_free(j);
    return rc;
}

size_t worker_entries(const struct store_reply *list, struct intake_entry *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < store_reply_count(list) && n < max; i++) {
        const struct store_reply *e = store_reply_at(list, i);
        struct intake_entry *x = &out[n++];
        memset(x, 0, sizeof *x);
        snprintf(x->id, sizeof x->id, "%s", store_reply_str_at(e, 0));
        x->deliveries = 1;
        const struct store_reply *f = store_reply_at(e, 1);
        x->deleted = store_reply_type(f) != STORE_ARRAY;
        for (size_t k = 0; k + 1 < store_reply_count(f); k += 2) {
            if (store_reply_is(store_reply_at(f, k), "case"))
                snprintf(x->case_id, sizeof x->case_id, "%s", store_reply_str_at(f, k + 1));
            else if (store_reply_is(store_reply_at(f, k), "report"))
                snprintf(x->report_id, sizeof x->report_id, "%s", store_reply_str_at(f, k + 1));
        }
    }
    return n;
}

enum fate { FATE_ROUTE, FATE_DEAD, FATE_LOST };

static enum fate fate_of(const struct worker *w, const struct intake_entry *e)
{
    if (e->deleted)
        return FATE_LOST;
    if (e->deliveries > w->conf->worker_max_deliveries || !e->case_id[0] || !e->report_id[0])
        return FATE_DEAD;
    return FATE_ROUTE;
}

/* Appends HMGET key f1 f2 ... to the job. */
static void hmget(struct store_job *j, const char *prefix, const char *kind, const char *id,
                  const char *const *f, size_t nf)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s:%s", prefix, kind, id);
    store_job_command(j, "HMGET");
    store_job_argstr(j, key);
    for (size_t i = 0; i < nf; i++)
        store_job_argstr(j, f[i]);
}

static const char *const case_fields[] = {"category", "suggested", "severity", "reports",
                                          "reporters", "suggested_scores"};
#define NCASE_FIELDS (sizeof case_fields / sizeof case_fields[0])
static const char *const report_fields[] = {"canonical", "title_redacted",
                                            "description_redacted"};

/* Appends the jb_route call of an entry whose case and report read as c and r. Returns 0, or
 * -1 when the rules failed (out of memory). */
static int add_route(struct worker *w, const struct model *m, struct store_job *j,
                     const char *prefix, const struct intake_entry *e, const struct store_reply *c,
                     const struct store_reply *r, const char *iso)
{
    struct route_in in = {store_reply_str_at(c, 0), store_reply_str_at(c, 1),
                          atoi(store_reply_str_at(c, 2)), atol(store_reply_str_at(c, 3)),
                          atol(store_reply_str_at(c, 4)), store_reply_str_at(r, 0),
                          store_reply_str_at(r, 1), store_reply_str_at(r, 2),
                          store_reply_str_at(c, 5)};
    struct route_out out;
    if (route_case(w->rules, m, &in, &out) < 0)
        return -1;
    struct fcall_route_in call = {
        .prefix = prefix, .entry = e->id, .case_id = e->case_id, .report_id = e->report_id,
        .suggested = out.suggested.p, .rule_hits = out.hits.p, .scores = out.scores.p,
        .severity = out.severity, .priority = out.score, .band = out.band,
        .title = out.title, .description = out.description, .iso = iso};
    fcall_route(j, &call);
    route_out_free(&out);
    return 0;
}

static void add_dead(struct store_job *j, const char *prefix, const struct intake_entry *e,
                     const char *iso)
{
    char reason[96];
    if (!e->case_id[0] || !e->report_id[0])
        snprintf(reason, sizeof reason, "the entry names no case or no report");
    else
        snprintf(reason, sizeof reason, "delivered %ld times without being acknowledged",
                 e->deliveries);
    struct fcall_dead_in call = {prefix, e->id, e->case_id, e->report_id, e->deliveries, reason, iso};
    fcall_dead(j, &call);
}

int worker_process(struct worker *w, const char *prefix, struct intake_entry *e, size_t n)
{
    if (worker_model_poll(w) < 0)
        return -1;
    if (n == 0)
        return 0;
    /* 1. read the cases and reports to route */
    struct store_job *reads = store_job_new(NULL, NULL);
    for (size_t i = 0; reads && i < n; i++)
        if (fate_of(w, &e[i]) == FATE_ROUTE) {
            hmget(reads, prefix, "case", e[i].case_id, case_fields, NCASE_FIELDS);
            hmget(reads, prefix, "report", e[i].report_id, report_fields, 3);
        }
    if (!reads || store_run(w->store, reads) < 0) {
        log_error("%s: reading cases: redis did not answer", w->name);
        store_job_free(reads);
        return -1;
    }
    /* 2. route, dead-letter or count as lost, each entry with its acknowledgement */
    char iso[ISOTIME_LEN];
    isotime_format(time(NULL), iso);
    struct store_job *writes = store_job_new(NULL, NULL);
    int nwrites = 0, read = 0, rc = 0;
    const struct model *m = model_acquire(w->model);
    for (size_t i = 0; writes && rc == 0 && i < n; i++, nwrites++) {
        switch (fate_of(w, &e[i])) {
        case FATE_ROUTE:
            rc = add_route(w, m, writes, prefix, &e[i], store_job_reply(reads, read),
                           store_job_reply(reads, read + 1), iso);
            read += 2;
            break;
        case FATE_DEAD:
            log_warn("%s: entry %s goes to the dead-letter stream", w->name, e[i].id);
            add_dead(writes, prefix, &e[i], iso);
            break;
        case FATE_LOST: {
            log_error("%s: data loss: intake entry %s of %s was deleted before it was processed",
                      w->name, e[i].id, prefix);
            char stats[64];
            snprintf(stats, sizeof stats, "%sstats", prefix);
            store_job_command(writes, "HINCRBY");
            store_job_argstr(writes, stats);
            store_job_argstr(writes, "data_loss");
            store_job_argll(writes, 1);
            break;
        }
        }
    }
    model_release(w->model, m);
    store_job_free(reads);
    if (rc < 0) {
        log_error("%s: out of memory", w->name);
        store_job_free(writes);
        return -1;
    }
    return run(w, writes, nwrites, "routing");
}

/* Reads the next page of this consumer's own pending entries after *cursor into e, claiming
 * them again (which counts a delivery). Returns how many, or -1 when Redis failed. */
static long own_pending(struct worker *w, const char *intake, char *cursor, size_t cursor_len,
                        struct intake_entry *e)
{
    struct store_job *j = store_job_new(NULL, NULL);
    char start[64];
    snprintf(start, sizeof start, "%s%s", strcmp(cursor, "-") ? "(" : "", cursor);
    const char *args[] = {"XPENDING", intake, WORKER_GROUP, start, "+"};
    if (!j || store_job_commandv(j, args, 5) < 0) {
        store_job_free(j);
        return -1;
    }
    store_job_argll(j, WORKER_BATCH);
    store_job_argstr(j, w->consumer);
    if (store_run(w->store, j) < 0) {
        store_job_free(j);
        return -1;
    }
    const struct store_reply *p = store_job_reply(j, 0);
    size_t n = store_reply_count(p);
    struct store_job *claim = n ? store_job_new(NULL, NULL) : NULL;
    if (claim) {
        const char *cargs[] = {"XCLAIM", intake, WORKER_GROUP, w->consumer, "0"};
        store_job_commandv(claim, cargs, 5);
    }
    for (size_t i = 0; i < n; i++) {
        const struct store_reply *row = store_reply_at(p, i);
        memset(&e[i], 0, sizeof e[i]);
        snprintf(e[i].id, sizeof e[i].id, "%s", store_reply_str_at(row, 0));
        e[i].deliveries = store_reply_int(store_reply_at(row, 3)) + 1;
        e[i].deleted = true;    /* until XCLAIM returns its data */
        if (claim)
            store_job_argstr(claim, e[i].id);
    }
    store_job_free(j);
    if (n == 0)
        return 0;
    if (!claim || store_run(w->store, claim) < 0) {
        store_job_free(claim);
        return -1;
    }
    struct intake_entry got[WORKER_BATCH];
    size_t ngot = worker_entries(store_job_reply(claim, 0), got, WORKER_BATCH);
    store_job_free(claim);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < ngot; k++)
            if (strcmp(e[i].id, got[k].id) == 0) {
                long d = e[i].deliveries;
                e[i] = got[k];
                e[i].deliveries = d;
            }
    snprintf(cursor, cursor_len, "%s", e[n - 1].id);
    return (long)n;
}

/* Processes this consumer's own pending entries of shard i (left by its previous life).
 * Returns 0 (also when stopped), or -1 when Redis failed (logged). */
static int own_pending_all(struct worker *w, unsigned i, struct intake_entry *e)
{
    char intake[64], cursor[48] = "-";
    shard_key(w, i, "intake", intake, sizeof intake);
    long n = 0;
    while (!*w->stop && (n = own_pending(w, intake, cursor, sizeof cursor, e)) > 0)
        if (worker_process(w, shards_prefix(w->shards, i), e, (size_t)n) < 0)
            return -1;
    if (n < 0 && !*w->stop) {
        log_error("%s: reading its pending entries: redis did not answer", w->name);
        return -1;
    }
    return 0;
}

/* Reads and processes new entries of shard i's intake stream, waiting up to block ms for
 * one (0: not at all). Returns how many it read, or -1 when Redis failed (logged). */
static long read_new(struct worker *w, unsigned i, long block, struct intake_entry *e)
{
    char intake[64];
    shard_key(w, i, "intake", intake, sizeof intake);
    struct store_job *j = store_job_new(NULL, NULL);
    const char *args[] = {"XREADGROUP", "GROUP", WORKER_GROUP, w->consumer, "COUNT"};
    if (!j || store_job_commandv(j, args, 5) < 0) {
        store_job_free(j);
        return -1;
    }
    store_job_argll(j, WORKER_BATCH);
    if (block > 0) {
        store_job_argstr(j, "BLOCK");
        store_job_argll(j, block);
    }
    store_job_argstr(j, "STREAMS");
    store_job_argstr(j, intake);
    store_job_argstr(j, ">");
    if (store_run(w->store, j) < 0) {
        log_error("%s: reading the intake stream: redis did not answer", w->name);
        store_job_free(j);
        return -1;
    }
    /* [[stream, [[id, fields], ...]]], or nil when nothing came within the block */
    const struct store_reply *top = store_job_reply(j, 0);
    if (store_reply_type(top) == STORE_ERROR) {
        log_error("%s: reading the intake stream: redis: %s", w->name,
                  store_reply_str(top, NULL));
        store_job_free(j);
        return -1;
    }
    const struct store_reply *r = store_reply_at(store_reply_at(top, 0), 1);
    size_t got = worker_entries(r, e, WORKER_BATCH);
    store_job_free(j);
    if (worker_process(w, shards_prefix(w->shards, i), e, got) < 0)
        return -1;
    return (long)got;
}

int consumer_run(struct worker *w)
{
    if (worker_group(w) < 0)
        return -1;
    struct intake_entry e[WORKER_BATCH];
    unsigned n = shards_count(w->shards);
    for (unsigned i = 0; i < n && !*w->stop; i++)
        if (own_pending_all(w, i, e) < 0)
            return -1;
    /* with one shard: always the one blocking read of before */
    long block = w->conf->redis_timeout_ms / 2 / (long)n;
    block = block < 1 ? 1 : block;
    bool idle = true, found = false;    /* the last round found nothing; this one did */
    for (unsigned i = 0; !*w->stop; i = (i + 1) % n) {
        if (i == 0) {
            idle = !found;
            found = false;
        }
        long got = read_new(w, i, idle || n == 1 ? block : 0, e);
        if (got < 0)
            return -1;
        found |= got > 0;
    }
    return 0;
}
