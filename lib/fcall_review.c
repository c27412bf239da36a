/* fcall_review — see fcall_review.h. Keys and arguments in the order of each Function's Lua
 * header comment (redis/review.lua). */
#include "fcall_review.h"

#include <string.h>

#include "fcall_int.h"
#include "schema.h"

#define CLAIM_FIXED 13  /* elements of a claim before the reports' */
#define CLAIM_STRIDE 5  /* per report: url, title, description, evidence type, id */

/* KEYS: session  ARGV: prefix, queue, lease ms, now iso, reports to show. */
int fcall_claim(struct store_job *j, const struct fcall_claim_in *in)
{
    return fc_begin(j, "jb_claim", 1) | fc_key(j, "session", in->token_hash) |
           store_job_argstr(j, SCHEMA_PREFIX) | fc_str(j, in->queue) |
           store_job_argll(j, in->lease_ms) | fc_str(j, in->iso) |
           store_job_argll(j, in->reports);
}

int fcall_claim_reply(const struct store_reply *r, struct fcall_claim_out *out, char *err,
                      size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_FORBIDDEN,
                                             FCALL_EMPTY, FCALL_OTHER};
    static const size_t min[] = {CLAIM_FIXED, 1, 1, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_claim", want, min, &out->answer, err, errlen) < 0)
        return -1;
    const char **f[] = {&out->case_id, &out->lease_until_ms, &out->queue, &out->category,
                        &out->suggested, &out->rule_hits, &out->severity, &out->band,
                        &out->reports, &out->reporters, &out->created_at, &out->scores};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *f[i] = fc_at(r, i + 1);
    if (out->answer == FCALL_OK)
        out->nreports = (store_reply_count(r) - CLAIM_FIXED) / CLAIM_STRIDE;
    out->reply_ = r;
    return 0;
}

struct fcall_claim_report fcall_claim_report(const struct fcall_claim_out *out, size_t i)
{
    size_t at = CLAIM_FIXED + CLAIM_STRIDE * i;
    const struct store_reply *r = out->reply_;
    return (struct fcall_claim_report){fc_at(r, at), fc_at(r, at + 1), fc_at(r, at + 2),
                                       fc_at(r, at + 3), fc_at(r, at + 4)};
}

/* KEYS: session  ARGV: prefix, case, action, lease ms. */
int fcall_lease(struct store_job *j, const struct fcall_lease_in *in)
{
    return fc_begin(j, "jb_lease", 1) | fc_key(j, "session", in->token_hash) |
           store_job_argstr(j, SCHEMA_PREFIX) | fc_str(j, in->case_id) |
           fc_str(j, in->action) | store_job_argll(j, in->lease_ms);
}

int fcall_lease_reply(const struct store_reply *r, struct fcall_lease_out *out, char *err,
                      size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_FORBIDDEN,
                                             FCALL_NOT_FOUND, FCALL_CONFLICT, FCALL_OTHER};
    static const size_t min[] = {2, 1, 1, 1, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_lease", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->lease_until_ms = fc_at(r, 1);
    return 0;
}

/* KEYS: session  ARGV: prefix, case, report. */
int fcall_evidence(struct store_job *j, const struct fcall_evidence_in *in)
{
    return fc_begin(j, "jb_evidence", 1) | fc_key(j, "session", in->token_hash) |
           store_job_argstr(j, SCHEMA_PREFIX) | fc_str(j, in->case_id) |
           fc_str(j, in->report_id);
}

int fcall_evidence_reply(const struct store_reply *r, struct fcall_evidence_out *out, char *err,
                         size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_NOT_FOUND,
                                             FCALL_CONFLICT, FCALL_OTHER};
    static const size_t min[] = {3, 1, 1, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_evidence", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->type = fc_at(r, 1);
    out->bytes = store_reply_str(store_reply_at(r, 2), &out->len);
    return 0;
}

/* KEYS: session, audit:last  ARGV: prefix. */
int fcall_whoami(struct store_job *j, const char *token_hash)
{
    return fc_begin(j, "jb_whoami", 2) | fc_key(j, "session", token_hash) |
           store_job_argstr(j, SCHEMA_AUDIT ":last") | store_job_argstr(j, SCHEMA_PREFIX);
}

int fcall_whoami_reply(const struct store_reply *r, struct fcall_whoami_out *out, char *err,
                       size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_OTHER};
    static const size_t min[] = {4, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_whoami", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->name = fc_at(r, 1);
    out->role = fc_at(r, 2);
    out->head = fc_at(r, 3);
    return 0;
}

/* KEYS: session, audit, audit:last, stats  ARGV: redis/review.lua, jb_decide. */
int fcall_decide(struct store_job *j, const struct fcall_decide_in *in)
{
    return fc_begin(j, "jb_decide", 4) | fc_key(j, "session", in->token_hash) |
           store_job_argstr(j, SCHEMA_AUDIT) | store_job_argstr(j, SCHEMA_AUDIT ":last") |
           store_job_argstr(j, SCHEMA_STATS) | store_job_argstr(j, SCHEMA_PREFIX) |
           fc_str(j, in->case_id) | fc_str(j, in->verdict) | fc_str(j, in->category) |
           fc_str(j, in->note) | fc_str(j, in->iso) | fc_str(j, in->head) |
           fc_str(j, in->seq) | fc_str(j, in->hash) | fc_str(j, in->reviewer);
}

int fcall_decide_reply(const struct store_reply *r, struct fcall_decide_out *out, char *err,
                       size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_RETRY, FCALL_UNAUTHORIZED,
                                             FCALL_NOT_FOUND, FCALL_CONFLICT, FCALL_OTHER};
    static const size_t min[] = {2, 2, 1, 1, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_decide", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->category = out->answer == FCALL_OK ? fc_at(r, 1) : "";
    out->head = out->answer == FCALL_RETRY ? fc_at(r, 1) : "";
    return 0;
}

/* KEYS: apikey  ARGV: prefix, start, count. */
int fcall_feed(struct store_job *j, const struct fcall_feed_in *in)
{
    return fc_begin(j, "jb_feed", 1) | fc_key(j, "apikey", in->key_hash) |
           store_job_argstr(j, SCHEMA_PREFIX) | fc_str(j, in->start) |
           store_job_argll(j, in->count);
}

int fcall_feed_reply(const struct store_reply *r, struct fcall_feed_out *out, char *err,
                     size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_OTHER};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_feed", want, NULL, &out->answer, err, errlen) < 0)
        return -1;
    out->nentries = out->answer == FCALL_OK ? (store_reply_count(r) - 1) / 2 : 0;
    out->reply_ = r;
    return 0;
}

struct fcall_feed_entry fcall_feed_entry(const struct fcall_feed_out *out, size_t i)
{
    return (struct fcall_feed_entry){fc_at(out->reply_, 1 + 2 * i),
                                     store_reply_at(out->reply_, 2 + 2 * i)};
}

/* ARGV: prefix. */
int fcall_review_stats(struct store_job *j)
{
    return fc_begin(j, "jb_review_stats", 0) | store_job_argstr(j, SCHEMA_PREFIX);
}

int fcall_review_stats_reply(const struct store_reply *r, struct fcall_review_stats_out *out,
                             char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (fc_check(r, err, errlen) < 0)
        return -1;
    if (store_reply_count(r) < 6)
        return fc_shape("jb_review_stats", err, errlen);
    long long *f[] = {&out->dead_letters, &out->routed, &out->data_loss, &out->actioned,
                      &out->no_violation, &out->escalate};
    for (size_t i = 0; i < 6; i++)
        *f[i] = fc_num(r, i);
    out->nqueues = (store_reply_count(r) - 6) / 4;
    out->reply_ = r;
    return 0;
}

struct fcall_queue_stats fcall_review_stats_queue(const struct fcall_review_stats_out *out,
                                                  size_t i)
{
    size_t at = 6 + 4 * i;
    const struct store_reply *r = out->reply_;
    return (struct fcall_queue_stats){fc_at(r, at), fc_num(r, at + 1), fc_num(r, at + 2),
                                      fc_num(r, at + 3)};
}
