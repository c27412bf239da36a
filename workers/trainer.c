/* trainer — retrains the triage model from the reviewers' decisions (rules/learn.h) when
 * model_retrain_decisions new ones (actioned or no_violation) have come in since the last
 * attempt and model_retrain_interval seconds have passed since it (jb_model_due: counted in
 * Redis, so over every jubao-worker). One worker trains at a time: the one that takes the
 * training lock (SET NX PX with its own token); the lock outlives a trainer that dies by
 * TRAIN_LOCK_MS at most. Each attempt is logged and counted in the stats hash
 * (model_retrain:installed, :worse, :failed; the gateway's /metrics shows them).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcall.h"
#include "learn.h"
#include "log.h"
#include "schema.h"
#include "worker.h"

#define TRAIN_LOCK_MS 600000L

static const char *const results[] = {"installed", "worse", "failed"};

/* Asks whether a retraining is due. Returns 1 (with *decisions), 0, or -1 when Redis failed. */
static int due(struct worker *w, long long *decisions)
{
    struct fcall_model_due_in in = {time(NULL) * 1000LL, w->conf->model_retrain_decisions,
                                    w->conf->model_retrain_interval * 1000LL};
    struct fcall_model_due_out out;
    char err[256];
    if (fcall_model_due_run(w->store, &in, &out, err, sizeof err) < 0) {
        log_error("%s: jb_model_due: %s", w->name, err);
        return -1;
    }
    *decisions = out.decisions;
    return out.due;
}

/* Takes the lock and notes the attempt (so that no other worker starts one before the
 * interval). Returns 1 when taken, 0 when another holds it, -1 when Redis failed. */
static int take_lock(struct worker *w, const char *token, long long decisions)
{
    struct store_job *j = store_job_new(NULL, NULL);
    const char *args[] = {"SET", SCHEMA_MODEL_LOCK, token, "NX", "PX"};
    if (!j || store_job_commandv(j, args, 5) < 0 || store_job_argll(j, TRAIN_LOCK_MS) < 0 ||
        store_run(w->store, j) < 0) {
        store_job_free(j);
        return -1;
    }
    int got = store_reply_type(store_job_reply(j, 0)) == STORE_STATUS;
    store_job_free(j);
    if (!got)
        return 0;
    j = store_job_new(NULL, NULL);
    const char *note[] = {"HSET", SCHEMA_MODEL_RETRAIN, "at_ms"};
    int rc = j && store_job_commandv(j, note, 3) == 0 && store_job_argll(j, time(NULL) * 1000LL) == 0 &&
                     store_job_argstr(j, "decisions") == 0 && store_job_argll(j, decisions) == 0
                 ? store_run(w->store, j)
                 : -1;
    store_job_free(j);
    return rc < 0 ? -1 : 1;
}

/* Counts the result and gives the lock back. Returns 0, or -1 when Redis failed. */
static int done(struct worker *w, const char *token, enum learn_result res)
{
    char field[48];
    snprintf(field, sizeof field, "model_retrain:%s", results[res]);
    struct store_job *j = store_job_new(NULL, NULL);
    const char *count[] = {"HINCRBY", SCHEMA_STATS, field, "1"};
    int rc = j && store_job_commandv(j, count, 4) == 0 && fcall_model_unlock(j, token) == 0
                 ? store_run(w->store, j)
                 : -1;
    store_job_free(j);
    return rc;
}

/* One retraining, lock held. */
static enum learn_result retrain(struct worker *w, const char *token, long long decisions)
{
    struct learn_opts o = {0, false, token, w->conf->model_max_bytes, decisions, w->shards};
    struct learn_report rep;
    char err[512] = "";
    enum learn_result res = learn_run(w->store, w->rules, &o, &rep, err, sizeof err);
    if (res == LEARN_INSTALLED)
        log_info("%s: retrained on %zu examples of %zu cases: model version %lld installed "
                 "(held-back score %.3f, the model before %.3f)", w->name, rep.examples - rep.held,
                 rep.cases, rep.version, rep.score, rep.old_score);
    else if (res == LEARN_WORSE)
        log_warn("%s: retrained model not installed: it scores %.3f on the held-back slice, "
                 "the model in force (version %lld) %.3f", w->name, rep.score, rep.old_version,
                 rep.old_score);
    else
        log_warn("%s: retraining failed: %s", w->name, err);
    return res;
}

int trainer_run(struct worker *w)
{
    char token[64];
    snprintf(token, sizeof token, "%s-%d-%lld", w->name, (int)getpid(), worker_mono_ms());
    while (!*w->stop) {
        long long decisions = 0;
        int d = due(w, &decisions);
        int got = d == 1 ? take_lock(w, token, decisions) : d;
        if (got < 0) {
            log_error("%s: redis did not answer", w->name);
            return -1;
        }
        if (got == 1 && done(w, token, retrain(w, token, decisions)) < 0) {
            log_error("%s: redis did not answer", w->name);
            return -1;
        }
        worker_nap(w, w->conf->model_poll * 1000);
    }
    return 0;
}
