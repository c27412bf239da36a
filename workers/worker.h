/* worker — the processes of jubao-worker (DESIGN.md steps 6 and 7): stream consumers that
 * route new cases to review, and a reaper that takes over what a consumer left behind.
 *
 * Each process owns a store (one connection) and the rule set it inherited from the
 * supervisor. Any failure to talk to Redis ends the process: the supervisor starts it again,
 * and it begins with its own pending entries, so nothing read is ever left unprocessed.
 */
#ifndef JUBAO_WORKER_H
#define JUBAO_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "rules.h"
#include "store.h"

#define WORKER_GROUP "workers"
#define WORKER_BATCH 64     /* intake entries read at once */

struct worker {
    const struct conf *conf;
    struct store *store;
    const struct ruleset *rules;
    const char *name;                   /* its consumer name in the group */
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

/* Makes the intake stream's consumer group unless it exists. Returns 0 or -1. */
int worker_group(struct worker *w);

/* Reads the entries of an array reply [[id, [field, value, ...]], ...] into out (at most max).
 * Returns how many. */
size_t worker_entries(const struct store_reply *list, struct intake_entry *out, size_t max);

/* Routes each entry's case to review and acknowledges it; dead-letters the deleted ones and
 * those delivered more than max_deliveries times. Returns 0, or -1 when Redis failed. */
int worker_process(struct worker *w, struct intake_entry *e, size_t n);

/* Sleeps ms milliseconds, or less when stop is set. */
void worker_nap(struct worker *w, long ms);

#endif
