/* fcall — see fcall.h. The keys and arguments of each Function are appended here in the
 * order its Lua header comment (redis/, the .lua files) lists them: change both sides together. */
#include "fcall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcall_int.h"
#include "schema.h"

/* ---- building and reading, for every Function ----------------------------------------- */

static const char *const words[] = {
    [FCALL_OTHER] = "", [FCALL_OK] = "ok", [FCALL_IDEM] = "idem",
    [FCALL_CONFLICT] = "conflict", [FCALL_RATELIMITED] = "ratelimited",
    [FCALL_EVIDENCE_BUDGET] = "evidence_budget", [FCALL_UNAUTHORIZED] = "unauthorized",
    [FCALL_FORBIDDEN] = "forbidden", [FCALL_LOCKED] = "locked", [FCALL_EXISTS] = "exists",
    [FCALL_UNKNOWN] = "unknown", [FCALL_EMPTY] = "empty", [FCALL_NOT_FOUND] = "not_found",
    [FCALL_RETRY] = "retry", [FCALL_MOVED] = "moved", [FCALL_TOO_LARGE] = "too_large",
    [FCALL_QUEUED] = "queued", [FCALL_ALREADY] = "already", [FCALL_DEAD] = "dead",
};

enum fcall_answer fc_word(const char *s)
{
    for (size_t i = 1; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i]) == 0)
            return (enum fcall_answer)i;
    return FCALL_OTHER;
}

enum fcall_answer fc_reply_word(const struct store_reply *r)
{
    return store_reply_type(r) == STORE_STR ? fc_word(store_reply_str(r, NULL)) : FCALL_OTHER;
}

int fc_begin(struct store_job *job, const char *fn, int nkeys)
{
    return store_job_command(job, "FCALL") | store_job_argstr(job, fn) |
           store_job_argll(job, nkeys);
}

int fc_key(struct store_job *job, const char *kind, const char *id)
{
    char key[192];
    schema_key(key, sizeof key, kind, id);
    return store_job_argstr(job, key);
}

int fc_pkey(struct store_job *job, const char *prefix, const char *kind, const char *id)
{
    char key[192];
    snprintf(key, sizeof key, "%s%s:%s", prefix ? prefix : SCHEMA_PREFIX, kind, id);
    return store_job_argstr(job, key);
}

int fc_shardkey(struct store_job *job, const char *prefix, const char *suffix)
{
    char key[96];
    snprintf(key, sizeof key, "%s%s", prefix ? prefix : SCHEMA_PREFIX, suffix);
    return store_job_argstr(job, key);
}

int fc_str(struct store_job *job, const char *s)
{
    return store_job_argstr(job, s ? s : "");
}

const char *fc_at(const struct store_reply *r, size_t i)
{
    return store_reply_str(store_reply_at(r, i), NULL);
}

long long fc_num(const struct store_reply *r, size_t i)
{
    const struct store_reply *e = store_reply_at(r, i);
    return store_reply_type(e) == STORE_INT ? store_reply_int(e) : atoll(fc_at(r, i));
}

int fc_check(const struct store_reply *r, char *err, size_t errlen)
{
    if (!r) {
        snprintf(err, errlen, "no reply");
        return -1;
    }
    if (store_reply_type(r) == STORE_ERROR) {
        snprintf(err, errlen, "%s", store_reply_str(r, NULL));
        return -1;
    }
    return 0;
}

int fc_shape(const char *fn, char *err, size_t errlen)
{
    snprintf(err, errlen, "unexpected reply to %s", fn);
    return -1;
}

int fc_answer(const struct store_reply *r, const char *fn, const enum fcall_answer *want,
              const size_t *min, enum fcall_answer *a, char *err, size_t errlen)
{
    *a = FCALL_OTHER;
    if (fc_check(r, err, errlen) < 0)
        return -1;
    enum fcall_answer got = fc_word(fc_at(r, 0));
    for (size_t i = 0; want[i] != FCALL_OTHER; i++)
        if (want[i] == got && store_reply_count(r) >= (min ? min[i] : 1)) {
            *a = got;
            return 0;
        }
    return fc_shape(fn, err, errlen);
}

int fcall_sync(struct store *st, struct store_job *job, char *err, size_t errlen)
{
    if (!job) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (store_job_error(job)) {
        snprintf(err, errlen, "%s", store_job_error(job));
        return -1;
    }
    if (store_run(st, job) < 0) {
        snprintf(err, errlen, "redis did not answer");
        return -1;
    }
    return 0;
}

const struct store_reply *fc_run1(struct store *st, struct store_job *job, int built,
                                      char *err, size_t errlen)
{
    if (job && built < 0 && !store_job_error(job)) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return fcall_sync(st, job, err, errlen) == 0 ? store_job_reply(job, 0) : NULL;
}

int fcall_ok_reply(const struct store_reply *r, char *err, size_t errlen)
{
    if (fc_check(r, err, errlen) < 0)
        return -1;
    return store_reply_is(r, "ok") || store_reply_type(r) == STORE_STATUS ? 0
                                                                          : fc_shape("a Function", err, errlen);
}

/* ---- reports ------------------------------------------------------------------------ */

/* KEYS and ARGV: redis/reports.lua, jb_admit. Every key under the reporter's prefix
 * (lib/global.h): one slot. */
int fcall_admit(struct store_job *j, const struct fcall_admit_in *in)
{
    const char *p = in->prefix;
    int rc = fc_begin(j, "jb_admit", 7) | fc_pkey(j, p, "rl", in->reporter);
    rc |= fc_pkey(j, p, "idem", in->idem_hash ? in->idem_hash : "none");
    rc |= fc_pkey(j, p, "apikey", in->key_hash ? in->key_hash : "none");
    rc |= fc_pkey(j, p, "rl", in->reporter_prev);
    rc |= fc_pkey(j, p, "idem", in->idem_hash_prev ? in->idem_hash_prev : "none");
    rc |= fc_pkey(j, p, "powx", in->reporter) | fc_pkey(j, p, "evb", in->reporter);
    rc |= store_job_argll(j, in->now_ms) | fc_str(j, in->key_hash ? "1" : "0");
    rc |= store_job_argll(j, in->rate_cap) | store_job_argll(j, in->rate_window_ms);
    rc |= fc_str(j, in->idem_hash ? in->body_hash : "") | store_job_argll(j, in->idem_ttl_s);
    rc |= fc_str(j, in->id) | fc_str(j, in->secret_box);
    rc |= store_job_argll(j, in->pow_offered) | store_job_argll(j, in->pow_bits);
    rc |= store_job_argll(j, in->pow_extra) | store_job_argll(j, in->evidence_budget);
    rc |= store_job_argll(j, in->evidence_plain_len);
    return rc;
}

int fcall_admit_reply(const struct store_reply *r, struct fcall_admit_out *out, char *err,
                      size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_IDEM, FCALL_CONFLICT,
                                             FCALL_RATELIMITED, FCALL_EVIDENCE_BUDGET,
                                             FCALL_UNAUTHORIZED, FCALL_OTHER};
    static const size_t min[] = {2, 6, 1, 3, 2, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_admit", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->id = out->secret_box = out->case_id = out->platform = "";
    if (out->answer == FCALL_OK)
        out->platform = fc_at(r, 1);
    if (out->answer == FCALL_IDEM) {
        out->id = fc_at(r, 1);
        out->secret_box = fc_at(r, 2);
        out->platform = fc_at(r, 3);
        out->case_id = fc_at(r, 4);
        out->duplicate = store_reply_is(store_reply_at(r, 5), "1");
    }
    if (out->answer == FCALL_RATELIMITED || out->answer == FCALL_EVIDENCE_BUDGET) {
        out->retry_after = (long)fc_num(r, 1);
        out->pow_next = (int)fc_num(r, 2);
    }
    return 0;
}

/* KEYS and ARGV: redis/reports.lua, jb_report; every key in the case's shard. The arguments
 * that were jb_admit's before the split keep their places, empty. */
int fcall_report(struct store_job *j, const struct fcall_report_in *in)
{
    bool evidence = in->evidence_type && in->evidence_type[0];
    int rc = fc_begin(j, "jb_report", 3);
    rc |= fc_pkey(j, in->prefix, "caseurl", in->url_hash) | fc_pkey(j, in->prefix, "report", in->id);
    rc |= fc_shardkey(j, in->prefix, "intake");
    rc |= fc_shardkey(j, in->prefix, "") | fc_str(j, in->id) | fc_str(j, in->new_case);
    rc |= store_job_argll(j, in->now_ms) | fc_str(j, in->iso) | fc_str(j, in->category);
    rc |= fc_str(j, in->canonical) | fc_str(j, in->domain) | fc_str(j, in->original);
    rc |= fc_str(j, in->reporter);
    for (int k = 11; k <= 15; k++)
        rc |= fc_str(j, "");
    rc |= fc_str(j, in->secret_hash) | fc_str(j, "") | fc_str(j, in->sealed);
    rc |= store_job_arg(j, in->platform_ref ? in->platform_ref : "", in->platform_ref_len);
    rc |= store_job_arg(j, in->language ? in->language : "", in->language_len);
    rc |= fc_str(j, in->fingerprint) | fc_str(j, in->suggested) | fc_str(j, in->rule_hits);
    rc |= store_job_argll(j, in->severity) | store_job_argll(j, in->priority);
    rc |= fc_str(j, in->title) | fc_str(j, in->description);
    rc |= store_job_argll(j, in->no_violation_window_ms);
    rc |= fc_str(j, evidence ? in->evidence_type : "");
    rc |= store_job_arg(j, evidence ? in->evidence : "", evidence ? in->evidence_len : 0);
    rc |= store_job_argll(j, in->retention_s);
    for (int k = 32; k <= 36; k++)
        rc |= fc_str(j, "");
    rc |= fc_str(j, in->scores) | fc_str(j, in->platform);
    return rc;
}

int fcall_report_reply(const struct store_reply *r, struct fcall_report_out *out, char *err,
                       size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_IDEM, FCALL_OTHER};
    static const size_t min[] = {4, 4};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_report", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->id = fc_at(r, 1);
    out->case_id = fc_at(r, 2);
    out->duplicate = store_reply_is(store_reply_at(r, 3), "1");
    out->verdict = fc_at(r, 4);
    out->decision_category = fc_at(r, 5);
    out->decided_at = fc_at(r, 6);
    return 0;
}

/* KEYS: report  ARGV: prefix. */
int fcall_status(struct store_job *j, const struct fcall_status_in *in)
{
    return fc_begin(j, "jb_status", 1) | fc_pkey(j, in->prefix, "report", in->id) |
           fc_shardkey(j, in->prefix, "");
}

int fcall_status_reply(const struct store_reply *r, struct fcall_status_out *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (fc_check(r, err, errlen) < 0)
        return -1;
    if (store_reply_type(r) != STORE_ARRAY ||
        (store_reply_count(r) != 0 && store_reply_count(r) < 10))
        return fc_shape("jb_status", err, errlen);
    const char **f[] = {&out->secret_hash, &out->platform, &out->case_id, &out->category,
                        &out->received_at, &out->status, &out->updated_at, &out->verdict,
                        &out->decision_category, &out->decided_at};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *f[i] = fc_at(r, i);
    out->found = store_reply_count(r) != 0;
    out->noutcomes = out->found ? (store_reply_count(r) - 10) / 3 : 0;
    out->reply_ = r;
    return 0;
}

struct fcall_status_outcome fcall_status_outcome(const struct fcall_status_out *out, size_t i)
{
    size_t at = 10 + 3 * i;
    return (struct fcall_status_outcome){fc_at(out->reply_, at), fc_at(out->reply_, at + 1),
                                         fc_at(out->reply_, at + 2)};
}

/* KEYS: the bucket (rl:status:p:<key> or rl:status:<client>), apikey (or the bucket again)
 * ARGV: redis/reports.lua, jb_rate. */
int fcall_rate(struct store_job *j, const struct fcall_rate_in *in)
{
    char bucket[192];
    if (in->key_hash)
        snprintf(bucket, sizeof bucket, "%srl:status:p:%.32s",
                 in->prefix ? in->prefix : SCHEMA_PREFIX, in->key_hash);
    else
        snprintf(bucket, sizeof bucket, "%srl:status:%s", in->prefix ? in->prefix : SCHEMA_PREFIX,
                 in->pseudonym);
    int rc = fc_begin(j, "jb_rate", 2) | store_job_argstr(j, bucket);
    rc |= in->key_hash ? fc_pkey(j, in->prefix, "apikey", in->key_hash)
                       : store_job_argstr(j, bucket);
    return rc | store_job_argll(j, in->now_ms) | store_job_argll(j, in->cap) |
           store_job_argll(j, in->window_ms) | fc_str(j, in->key_hash ? "1" : "0");
}

int fcall_rate_reply(const struct store_reply *r, struct fcall_rate_out *out, char *err,
                     size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_OTHER};
    static const size_t min[] = {3, 1};
    memset(out, 0, sizeof *out);
    out->key_name = "";
    if (fc_answer(r, "jb_rate", want, min, &out->answer, err, errlen) < 0)
        return -1;
    if (out->answer == FCALL_OK) {
        long long wait = fc_num(r, 1);
        out->retry_after = wait > 0 ? (long)wait : 0;
        out->key_name = fc_at(r, 2);
    }
    return 0;
}
