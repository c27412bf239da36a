/* auditor — the thread that writes this gateway's decisions, one at a time.
 *
 * A decision is two calls (docs/SCALING.md, "Decisions on several shards"): jb_decide writes
 * the case in its shard and leaves a pending audit record on it; then the auditor hashes the
 * audit entry (here, where the key is) over the chain's head as it left it and calls
 * jb_audit on the chain's slot, which writes only when the head has not moved (else it
 * answers the new head and the auditor hashes again) and only once per decision. The answer
 * is 200 only once the entry is in. When idle, the auditor completes the pending records that
 * a stopped gateway left (older than a few seconds), on every shard, so a decision written
 * in its case never lacks its entry. One writer per gateway keeps head retries to the few
 * that several gateways cause. The same thread refers actioned cases to their handlers and
 * appends referrals and outcomes to the chain (referrer.h).
 */
#ifndef JUBAO_AUDITOR_H
#define JUBAO_AUDITOR_H

#include <stdbool.h>

#include "conf.h"
#include "fcall.h"
#include "store.h"

struct auditor;
struct keys;
struct shards;

/* One decision to write, made and owned by its caller (decision.c) until done is called. */
struct audit_task {
    const char *prefix;     /* the key prefix of the case's shard (lib/shard.h) */
    const char *case_id, *verdict, *category, *note, *user;
    char at[32];            /* the decision's time (ISO 8601), set by the auditor */
    /* Set by the auditor: failed (Redis failed or did not answer: the decision may be
     * written, a retry by the same reviewer completes it), else jb_decide's answer, the
     * verdict and category decided and err (an unexpected answer's). */
    bool failed;
    enum fcall_answer answer;
    char category_made[72];
    char verdict_made[24];     /* the verdict decided (a retry's: the first one's) */
    char err[256];
    void (*done)(void *arg);    /* called on the auditor's thread once written (or not) */
    void *arg;
    struct audit_task *next;    /* in the auditor's queue */
};

/* Starts the thread. Returns NULL when out of memory or threads; free stops it after the
 * decisions queued. Accepts NULL. */
struct auditor *auditor_new(struct store *store, const struct conf *conf,
                            const struct keys *keys, const struct shards *shards);
void auditor_free(struct auditor *a);

/* Queues t for the thread. */
void auditor_push(struct auditor *a, struct audit_task *t);

/* Asks the thread to complete the referrals' events now (an outcome was recorded). */
void auditor_kick(struct auditor *a);

#endif
