/* fcall_workers — fcall.h's Functions of redis/workers.lua (routing, dead letters, trimming)
 * and redis/model.lua (the triage model's life). Keys and arguments in the order of each
 * Function's Lua header comment. */
#include <stdio.h>
#include <string.h>

#include "fcall_int.h"
#include "schema.h"

/* Every key of these Functions is in the shard of the entry's case: one slot per call. */

/* KEYS: intake, case, report, deadletter, stats  ARGV: redis/workers.lua, jb_route. */
int fcall_route(struct store_job *j, const struct fcall_route_in *in)
{
    const char *p = in->prefix;
    return fc_begin(j, "jb_route", 5) | fc_shardkey(j, p, "intake") |
           fc_pkey(j, p, "case", in->case_id) | fc_pkey(j, p, "report", in->report_id) |
           fc_shardkey(j, p, "deadletter") | fc_shardkey(j, p, "stats") |
           fc_shardkey(j, p, "") | fc_str(j, in->entry) | fc_str(j, in->case_id) |
           fc_str(j, in->report_id) | fc_str(j, in->suggested) | fc_str(j, in->rule_hits) |
           store_job_argll(j, in->severity) | store_job_argll(j, in->priority) |
           store_job_argll(j, in->band) | fc_str(j, in->title) | fc_str(j, in->description) |
           fc_str(j, in->iso) | fc_str(j, in->scores);
}

int fcall_route_reply(const struct store_reply *r, struct fcall_route_out *out, char *err,
                      size_t errlen)
{
    out->answer = FCALL_OTHER;
    if (fc_check(r, err, errlen) < 0)
        return -1;
    out->answer = fc_reply_word(r);
    if (out->answer != FCALL_QUEUED && out->answer != FCALL_MOVED &&
        out->answer != FCALL_ALREADY && out->answer != FCALL_DEAD)
        return fc_shape("jb_route", err, errlen);
    return 0;
}

/* KEYS: intake, deadletter, stats  ARGV: entry, case, report, deliveries, reason, iso. */
int fcall_dead(struct store_job *j, const struct fcall_dead_in *in)
{
    return fc_begin(j, "jb_dead", 3) | fc_shardkey(j, in->prefix, "intake") |
           fc_shardkey(j, in->prefix, "deadletter") | fc_shardkey(j, in->prefix, "stats") |
           fc_str(j, in->entry) | fc_str(j, in->case_id) | fc_str(j, in->report_id) |
           store_job_argll(j, in->deliveries) | fc_str(j, in->reason) | fc_str(j, in->iso);
}

/* KEYS: intake. */
int fcall_trim_intake(struct store_job *j, const char *prefix)
{
    return fc_begin(j, "jb_trim_intake", 1) | fc_shardkey(j, prefix, "intake");
}

/* Runs job j (built: its build's result), a call of Function fn that answers a count, into
 * *out. Frees j. */
static int run_count(struct store *st, struct store_job *j, int built, const char *fn,
                     long long *out, char *err, size_t errlen)
{
    const struct store_reply *r = fc_run1(st, j, j ? built : -1, err, errlen);
    int rc = r && fc_check(r, err, errlen) == 0 ? 0 : -1;
    if (rc == 0 && store_reply_type(r) != STORE_INT)
        rc = fc_shape(fn, err, errlen);
    *out = rc == 0 ? store_reply_int(r) : 0;
    store_job_free(j);
    return rc;
}

int fcall_trim_intake_run(struct store *st, const char *prefix, long long *removed, char *err,
                          size_t errlen)
{
    struct store_job *j = store_job_new(NULL, NULL);
    return run_count(st, j, j ? fcall_trim_intake(j, prefix) : -1, "jb_trim_intake", removed,
                     err, errlen);
}

/* KEYS: intake  ARGV: group, idle ms. */
int fcall_forget_consumers_run(struct store *st, const char *prefix, long long idle_ms,
                               long long *gone, char *err, size_t errlen)
{
    struct store_job *j = store_job_new(NULL, NULL);
    int b = j ? fc_begin(j, "jb_forget_consumers", 1) | fc_shardkey(j, prefix, "intake") |
                    store_job_argstr(j, SCHEMA_GROUP_WORKERS) | store_job_argll(j, idle_ms)
              : -1;
    return run_count(st, j, b, "jb_forget_consumers", gone, err, errlen);
}

/* ---- models ------------------------------------------------------------------------- */

/* KEYS: model, model:lock  ARGV: redis/model.lua, jb_model_install. */
static int model_install(struct store_job *j, const struct fcall_model_install_in *in)
{
    char score[32], expect[24] = "";
    snprintf(score, sizeof score, "%.4f", in->holdout);
    if (in->expect)
        snprintf(expect, sizeof expect, "%lld", *in->expect);
    return fc_begin(j, "jb_model_install", 2) | store_job_argstr(j, SCHEMA_MODEL) |
           store_job_argstr(j, SCHEMA_MODEL_LOCK) | store_job_arg(j, in->blob, in->len) |
           fc_str(j, in->label) | fc_str(j, in->trained_at) |
           store_job_argll(j, in->examples) | store_job_argstr(j, score) |
           store_job_argll(j, in->decisions_at) | store_job_argll(j, in->max_bytes) |
           store_job_argstr(j, expect) | fc_str(j, in->lock);
}

int fcall_model_install_run(struct store *st, const struct fcall_model_install_in *in,
                            struct fcall_model_install_out *out, char *err, size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_TOO_LARGE, FCALL_MOVED,
                                             FCALL_LOCKED, FCALL_OTHER};
    static const size_t min[] = {2, 1, 2, 1};
    memset(out, 0, sizeof *out);
    struct store_job *j = store_job_new(NULL, NULL);
    const struct store_reply *r = fc_run1(st, j, j ? model_install(j, in) : -1, err, errlen);
    int rc = r ? fc_answer(r, "jb_model_install", want, min, &out->answer, err, errlen) : -1;
    if (rc == 0)
        out->version = fc_num(r, 1);
    store_job_free(j);
    return rc;
}

/* KEYS: model:lock  ARGV: token. */
int fcall_model_unlock(struct store_job *j, const char *token)
{
    return fc_begin(j, "jb_model_unlock", 1) | store_job_argstr(j, SCHEMA_MODEL_LOCK) |
           fc_str(j, token);
}

int fcall_model_unlock_reply(const struct store_reply *r, bool *released, char *err,
                             size_t errlen)
{
    *released = false;
    if (fc_check(r, err, errlen) < 0)
        return -1;
    if (store_reply_type(r) != STORE_INT)
        return fc_shape("jb_model_unlock", err, errlen);
    *released = store_reply_int(r) == 1;
    return 0;
}

/* KEYS: model:retrain, stats  ARGV: now ms, decisions needed, interval ms. */
int fcall_model_due_run(struct store *st, const struct fcall_model_due_in *in,
                        struct fcall_model_due_out *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct store_job *j = store_job_new(NULL, NULL);
    int built = j ? fc_begin(j, "jb_model_due", 2) | store_job_argstr(j, SCHEMA_MODEL_RETRAIN) |
                        store_job_argstr(j, SCHEMA_STATS) | store_job_argll(j, in->now_ms) |
                        store_job_argll(j, in->need) | store_job_argll(j, in->interval_ms)
                  : -1;
    const struct store_reply *r = fc_run1(st, j, built, err, errlen);
    int rc = r ? fc_check(r, err, errlen) : -1;
    if (rc == 0 && store_reply_count(r) < 2)
        rc = fc_shape("jb_model_due", err, errlen);
    if (rc == 0) {
        out->due = fc_num(r, 0) == 1;
        out->decisions = fc_num(r, 1);
    }
    store_job_free(j);
    return rc;
}

/* KEYS: model, stats. */
int fcall_model_stats(struct store_job *j)
{
    return fc_begin(j, "jb_model_stats", 2) | store_job_argstr(j, SCHEMA_MODEL) |
           store_job_argstr(j, SCHEMA_STATS);
}

int fcall_model_stats_reply(const struct store_reply *r, struct fcall_model_stats_out *out,
                            char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (fc_check(r, err, errlen) < 0)
        return -1;
    if (store_reply_count(r) < 4)
        return fc_shape("jb_model_stats", err, errlen);
    *out = (struct fcall_model_stats_out){fc_num(r, 0), fc_num(r, 1), fc_num(r, 2),
                                          fc_num(r, 3)};
    return 0;
}
