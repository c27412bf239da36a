/* worker — the processes of jubao-worker (DESIGN.md steps 6 and 7): stream consumers that
 * route new cases to review, a reaper that takes over what a consumer left behind, and a
 * trainer that retrains the triage model from the reviewers' decisions (rules/learn.h).
 *
 * Each process owns a store (one connection), the rule set it inherited from the supervisor,
 * and a model holder that it keeps in step with the model in Redis (rules/modelstore.h). Any
 * failure to talk to Redis ends the process: the supervisor starts it again, and it begins
 * with its own pending entries, so nothing read is ever left unprocessed.
 */
#ifndef JUBAO_WORKER_H
#define JUBAO_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "model.h"
#include "rules.h"
#include "shard.h"
#include "store.h"

#define WORKER_GROUP SCHEMA_GROUP_WORKERS
#define WORKER_BATCH 64     /* intake entries read at once */

struct worker {
    const struct conf *conf;
    struct store *store;
    const struct ruleset *rules;
    struct model_live *model;           /* this process's, refreshed every model_poll s */
    long long model_version;            /* the version it holds (0: none) */
    long long model_next_ms;            /* when to look at the version again (monotonic) */
    const char *name;                   /* its name in the log: consumer-1, reaper, trainer */
    const char *consumer;               /* its consumer name in the group: <host>/<pid of the
                                           supervisor>/<name>, so that workers on several hosts,
                                           or two on one, never share one (main.c) */
    const struct shards *shards;        /* every shard's intake stream is read (shard.h) */
    volatile sig_atomic_t *stop;        /* set by SIGTERM: finish the batch in hand */
};

/* One intake entry. */
struct intake_entry {
    char id[48];
    char case_id[32], report_id[32];
    long deliveries;
    bool deleted;                       /* in the PEL, but its data was trimmed or deleted */
};

/* The process bodies. Each returns 0 when stopped, -1 when Redis failed (logged). */
int consumer_run(struct worker *w);
int reaper_run(struct worker *w);
int trainer_run(struct worker *w);

/* Brings w->model up to date with Redis when model_poll seconds have passed since the last
 * look. Returns 0, or -1 when Redis failed (logged). */
int worker_model_poll(struct worker *w);

/* Milliseconds of CLOCK_MONOTONIC. */
long long worker_mono_ms(void);

/* Makes every shard's intake stream's consumer group unless it exists. Returns 0 or -1. */
int worker_group(struct worker *w);

/* Reads the entries of an array reply [[id, [field, value, ...]], ...] into out (at most max).
 * Returns how many. */
size_t worker_entries(const struct store_reply *list, struct intake_entry *out, size_t max);

/* Routes each entry's case to review and acknowledges it; dead-letters the deleted ones and
 * those delivered more than max_deliveries times. The entries are of one shard's intake
 * stream, whose key prefix is prefix: their cases are in it. Returns 0, or -1 when Redis
 * failed. */
int worker_process(struct worker *w, const char *prefix, struct intake_entry *e, size_t n);

/* Sleeps ms milliseconds, or less when stop is set. */
void worker_nap(struct worker *w, long ms);

#endif
