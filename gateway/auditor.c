/* auditor — see auditor.h. */
#include "auditor.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "crypto.h"
#include "fcall_review.h"
#include "isotime.h"
#include "metrics.h"
#include "referrer.h"
#include "shard.h"

#define AUDIT_TRIES 20             /* hashing again when other decisions got in first */
#define AUDIT_SWEEP_S 2            /* how often an idle auditor looks for pending records */
#define AUDIT_STALE_MS 5000        /* a pending record this old lost its gateway */

struct auditor {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct audit_task *first, *last;  /* decisions waiting, oldest first */
    bool stop;
    bool kicked;                /* outcomes recorded: complete their events now */
    char head[96];              /* the chain's head as last seen: "seq hash", "" at first */
    struct store *store;
    const struct keys *keys;
    const struct shards *shards;
    struct referrer *referrer;
};

/* Runs job's one command (built: 0 or -1). Returns its reply, or NULL (the job failed). */
static const struct store_reply *audit_run(struct auditor *a, struct store_job *job, int built)
{
    if (!job || built < 0 || store_run(a->store, job) < 0 || store_job_ok(job) < 0)
        return NULL;
    return store_job_reply(job, 0);
}

/* Appends rec's audit entry to the chain, hashed on a->head and again on the new head when
 * another decision got in first. Returns 0 once the entry is in the chain (written now or
 * before), or -1. ctx: the auditor (referrer.h's append). */
static int chain_append(void *ctx, const struct fcall_audit_rec *rec)
{
    struct auditor *a = ctx;
    int rc = -1;
    char err[256];
    for (int tries = 0; tries < AUDIT_TRIES && rc < 0; tries++) {
        char seq[24], hash[CRYPTO_HEX_LEN], head[96];
        snprintf(head, sizeof head, "%s", a->head);
        const char *prev = strchr(head, ' ');
        snprintf(seq, sizeof seq, "%lld", atoll(head) + 1);
        struct audit_entry e = {.seq = atoll(head) + 1, .prev = prev ? prev + 1 : "",
                                .at = rec->at, .case_id = rec->case_id, .verdict = rec->verdict,
                                .category = rec->category, .reviewer = rec->reviewer,
                                .note = rec->note};
        if (audit_hash(a->keys, &e, hash) < 0)
            return -1;
        struct store_job *job = store_job_new(NULL, NULL);
        struct fcall_audit_in in = {head, seq, hash, rec};
        const struct store_reply *r = audit_run(a, job, job ? fcall_audit(job, &in) : -1);
        struct fcall_audit_out out;
        if (r && fcall_audit_reply(r, &out, err, sizeof err) == 0) {
            if (out.answer == FCALL_OK)
                snprintf(a->head, sizeof a->head, "%s %s", seq, hash);
            if (out.answer == FCALL_RETRY) {
                metrics_add(M_AUDIT_RETRIES, 1);
                snprintf(a->head, sizeof a->head, "%s", out.head);
            } else {
                rc = 0;
            }
        }
        store_job_free(job);
        if (!r)
            return -1;
    }
    return rc;
}

/* Appends rec's audit entry (chain_append), refers an actioned case (referrer.h), then clears
 * the record on the case (prefix: its shard's). Returns 0 once the entry is in, or -1. */
static int audit_append(struct auditor *a, const char *prefix, const struct fcall_audit_rec *rec)
{
    int rc = chain_append(a, rec);
    /* The entry is in: a failed referral or clearing leaves the record for the sweep, which
     * finds the entry written (ALREADY), the referrals made, and clears it then. */
    if (rc == 0 && referrer_refer(a->referrer, prefix, rec) < 0)
        return rc;
    struct store_job *job = store_job_new(NULL, NULL);
    if (rc == 0)
        audit_run(a, job, job ? fcall_audited(job, prefix, rec->case_id, rec->did) : -1);
    store_job_free(job);
    return rc;
}

/* Writes one decision: jb_decide on the case's shard (after auditing an earlier decision of the
 * case still pending), then its audit entry. Sets t's answer. */
static void audit_commit(struct auditor *a, struct audit_task *t)
{
    isotime_format(time(NULL), t->at);
    t->failed = true;
    for (int tries = 0; tries < 3; tries++) {
        struct store_job *job = store_job_new(NULL, NULL);
        struct fcall_decide_in in = {t->prefix, t->case_id, t->verdict, t->category, t->note,
                                     t->at, t->user};
        const struct store_reply *r = audit_run(a, job, job ? fcall_decide(job, &in) : -1);
        struct fcall_decide_out out;
        bool again = false;
        if (r && fcall_decide_reply(r, &out, t->err, sizeof t->err) == 0) {
            t->failed = false;
            t->answer = out.answer;
            if (out.answer == FCALL_OK || out.answer == FCALL_QUEUED) {
                t->failed = audit_append(a, t->prefix, &out.rec) < 0;
                again = out.answer == FCALL_QUEUED && !t->failed;
            }
            if (out.answer == FCALL_OK) {
                snprintf(t->category_made, sizeof t->category_made, "%s", out.rec.decided);
                snprintf(t->verdict_made, sizeof t->verdict_made, "%s", out.rec.verdict);
                snprintf(t->at, sizeof t->at, "%s", out.rec.at);
            }
        }
        store_job_free(job);
        if (!again)
            return;
    }
    t->failed = true;
}

/* Completes the decisions whose gateway stopped between jb_decide and their audit entry. */
static void audit_sweep(struct auditor *a)
{
    for (unsigned i = 0; i < shards_count(a->shards); i++) {
        const char *prefix = shards_prefix(a->shards, i);
        struct store_job *job = store_job_new(NULL, NULL);
        const struct store_reply *r =
            audit_run(a, job, job ? fcall_audit_pending(job, prefix, AUDIT_STALE_MS) : -1);
        struct fcall_audit_rec recs[FCALL_AUDIT_MAX];
        char err[256];
        int n = r ? fcall_audit_pending_reply(r, recs, FCALL_AUDIT_MAX, err, sizeof err) : -1;
        for (int k = 0; k < n; k++)
            audit_append(a, prefix, &recs[k]);
        store_job_free(job);
    }
    referrer_events(a->referrer, AUDIT_STALE_MS);
}

static void *auditor_main(void *arg)
{
    struct auditor *a = arg;
    for (;;) {
        pthread_mutex_lock(&a->lock);
        bool idle = false;
        while (!a->first && !a->stop && !idle && !a->kicked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += AUDIT_SWEEP_S;
            idle = pthread_cond_timedwait(&a->more, &a->lock, &until) != 0 && !a->first;
        }
        struct audit_task *t = a->first;
        if (t && !(a->first = t->next))
            a->last = NULL;
        bool stop = a->stop, kicked = a->kicked;
        a->kicked = false;
        pthread_mutex_unlock(&a->lock);
        if (kicked)
            referrer_events(a->referrer, 0);
        if (t) {
            audit_commit(a, t);
            t->done(t->arg);
        } else if (stop) {
            return NULL;
        } else {
            audit_sweep(a);
        }
    }
}

struct auditor *auditor_new(struct store *store, const struct conf *conf,
                            const struct keys *keys, const struct shards *shards)
{
    struct auditor *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->store = store;
    a->keys = keys;
    a->shards = shards;
    a->referrer = referrer_new(store, conf, shards, chain_append, a);
    if (!a->referrer) {
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->more, NULL);
    if (pthread_create(&a->thread, NULL, auditor_main, a) != 0) {
        pthread_cond_destroy(&a->more);
        pthread_mutex_destroy(&a->lock);
        referrer_free(a->referrer);
        free(a);
        return NULL;
    }
    return a;
}

void auditor_free(struct auditor *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    a->stop = true;
    pthread_cond_signal(&a->more);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->more);
    pthread_mutex_destroy(&a->lock);
    referrer_free(a->referrer);
    free(a);
}

void auditor_kick(struct auditor *a)
{
    pthread_mutex_lock(&a->lock);
    a->kicked = true;
    pthread_cond_signal(&a->more);
    pthread_mutex_unlock(&a->lock);
}

void auditor_push(struct auditor *a, struct audit_task *t)
{
    t->next = NULL;
    pthread_mutex_lock(&a->lock);
    if (a->last)
        a->last->next = t;
    else
        a->first = t;
    a->last = t;
    pthread_cond_signal(&a->more);
    pthread_mutex_unlock(&a->lock);
}

