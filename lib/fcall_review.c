/* fcall_review — see fcall_review.h. Keys and arguments in the order of each Function's Lua
 * header comment (redis/review.lua). */
#include "fcall_review.h"

#include <stdlib.h>
#include <string.h>

#include "fcall_int.h"
#include "schema.h"

#define CLAIM_FIXED 15  /* elements of a claim before the reports' */
#define CLAIM_STRIDE 5  /* per report: url, title, description, evidence type, id */

/* Appends the bands' deadline times, band 0 first. */
static int fc_deadlines(struct store_job *j, const long *deadlines)
{
    int rc = 0;
    for (int b = 0; b < SCHEMA_BANDS; b++)
        rc |= store_job_argll(j, deadlines[b]);
    return rc;
}

/* ARGV: prefix, queue, the bands' times. */
int fcall_peek(struct store_job *j, const char *prefix, const char *queue, const long *deadlines)
{
    return fc_begin(j, "jb_peek", 0) | fc_str(j, prefix) | fc_str(j, queue) |
           fc_deadlines(j, deadlines);
}

int fcall_peek_reply(const struct store_reply *r, struct fcall_peek_out *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (fc_check(r, err, errlen) < 0)
        return -1;
    if (store_reply_count(r) < 3)
        return fc_shape("jb_peek", err, errlen);
    out->empty = !*fc_at(r, 0);
    out->deadline_ms = atoll(fc_at(r, 0));
    out->band = atoi(fc_at(r, 1));
    out->entry = fc_at(r, 2);
    return 0;
}

/* Whether stream id a ("ms-seq") is older than b. */
static int entry_older(const char *a, const char *b)
{
    unsigned long long ams = strtoull(a, NULL, 10), bms = strtoull(b, NULL, 10);
    if (ams != bms)
        return ams < bms;
    const char *as = strchr(a, '-'), *bs = strchr(b, '-');
    return strtoull(as ? as + 1 : "0", NULL, 10) < strtoull(bs ? bs + 1 : "0", NULL, 10);
}

int fcall_peek_before(const struct fcall_peek_out *a, const struct fcall_peek_out *b)
{
    if (a->deadline_ms != b->deadline_ms)
        return a->deadline_ms < b->deadline_ms;
    if (a->band != b->band)
        return a->band > b->band;
    return entry_older(a->entry, b->entry);
}

/* ARGV: prefix, queue, lease ms, now iso, reports to show, reviewer, the bands' times. */
int fcall_claim(struct store_job *j, const struct fcall_claim_in *in)
{
    return fc_begin(j, "jb_claim", 0) | fc_str(j, in->prefix) | fc_str(j, in->queue) |
           store_job_argll(j, in->lease_ms) | fc_str(j, in->iso) |
           store_job_argll(j, in->reports) | fc_str(j, in->reviewer) |
           fc_deadlines(j, in->deadlines);
}

int fcall_claim_reply(const struct store_reply *r, struct fcall_claim_out *out, char *err,
                      size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_EMPTY, FCALL_OTHER};
    static const size_t min[] = {CLAIM_FIXED, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_claim", want, min, &out->answer, err, errlen) < 0)
        return -1;
    const char **f[] = {&out->case_id, &out->lease_until_ms, &out->queue, &out->category,
                        &out->suggested, &out->rule_hits, &out->severity, &out->band,
                        &out->reports, &out->reporters, &out->created_at, &out->scores,
                        &out->deadline_ms, &out->now_ms};
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

/* ARGV: prefix, case, action, lease ms, reviewer. */
int fcall_lease(struct store_job *j, const struct fcall_lease_in *in)
{
    return fc_begin(j, "jb_lease", 0) | fc_str(j, in->prefix) | fc_str(j, in->case_id) |
           fc_str(j, in->action) | store_job_argll(j, in->lease_ms) | fc_str(j, in->reviewer);
}

int fcall_lease_reply(const struct store_reply *r, struct fcall_lease_out *out, char *err,
                      size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_NOT_FOUND, FCALL_CONFLICT,
                                             FCALL_OTHER};
    static const size_t min[] = {2, 1, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_lease", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->lease_until_ms = fc_at(r, 1);
    return 0;
}

/* ARGV: prefix, case, report, reviewer. */
int fcall_evidence(struct store_job *j, const struct fcall_evidence_in *in)
{
    return fc_begin(j, "jb_evidence", 0) | fc_str(j, in->prefix) | fc_str(j, in->case_id) |
           fc_str(j, in->report_id) | fc_str(j, in->reviewer);
}

int fcall_evidence_reply(const struct store_reply *r, struct fcall_evidence_out *out, char *err,
                         size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_NOT_FOUND, FCALL_CONFLICT,
                                             FCALL_OTHER};
    static const size_t min[] = {3, 1, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_evidence", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->type = fc_at(r, 1);
    out->bytes = store_reply_str(store_reply_at(r, 2), &out->len);
    return 0;
}

/* KEYS: session  ARGV: prefix. */
int fcall_whoami(struct store_job *j, const char *prefix, const char *token_hash)
{
    return fc_begin(j, "jb_whoami", 1) | fc_pkey(j, prefix, "session", token_hash) |
           fc_shardkey(j, prefix, "");
}

int fcall_whoami_reply(const struct store_reply *r, struct fcall_whoami_out *out, char *err,
                       size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_OTHER};
    static const size_t min[] = {3, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_whoami", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->name = fc_at(r, 1);
    out->role = fc_at(r, 2);
    return 0;
}

size_t fc_audit_rec_at(const struct store_reply *r, size_t i, struct fcall_audit_rec *rec)
{
    size_t n = store_reply_count(r);
    if (i + 9 > n)
        return 0;
    long long feeds = fc_num(r, i + 8);
    if (feeds < 0 || (size_t)feeds > (n - i - 9) / 3)
        return 0;
    *rec = (struct fcall_audit_rec){fc_at(r, i), fc_at(r, i + 1), fc_at(r, i + 2),
                                    fc_at(r, i + 3), fc_at(r, i + 4), fc_at(r, i + 5),
                                    fc_at(r, i + 6), fc_at(r, i + 7), (size_t)feeds, r, i + 9};
    return i + 9 + 3 * (size_t)feeds;
}

/* ARGV: redis/review.lua, jb_decide. */
int fcall_decide(struct store_job *j, const struct fcall_decide_in *in)
{
    return fc_begin(j, "jb_decide", 0) | fc_str(j, in->prefix) | fc_str(j, in->case_id) |
           fc_str(j, in->verdict) | fc_str(j, in->category) | fc_str(j, in->note) |
           fc_str(j, in->iso) | fc_str(j, in->reviewer);
}

int fcall_decide_reply(const struct store_reply *r, struct fcall_decide_out *out, char *err,
                       size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_QUEUED, FCALL_NOT_FOUND,
                                             FCALL_CONFLICT, FCALL_OTHER};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_decide", want, NULL, &out->answer, err, errlen) < 0)
        return -1;
    if ((out->answer == FCALL_OK || out->answer == FCALL_QUEUED) &&
        fc_audit_rec_at(r, 1, &out->rec) == 0) {
        out->answer = FCALL_OTHER;
        return fc_shape("jb_decide", err, errlen);
    }
    return 0;
}

/* KEYS: stats, audit, audit:last, audit:did:<did>  ARGV: redis/review.lua, jb_audit. */
int fcall_audit(struct store_job *j, const struct fcall_audit_in *in)
{
    const struct fcall_audit_rec *rec = in->rec;
    int rc = fc_begin(j, "jb_audit", 4) | store_job_argstr(j, SCHEMA_STATS) |
             store_job_argstr(j, SCHEMA_AUDIT) | store_job_argstr(j, SCHEMA_AUDIT ":last") |
             fc_key(j, "audit:did", rec->did) | fc_str(j, in->head) | fc_str(j, in->seq) |
             fc_str(j, in->hash) | store_job_argstr(j, SCHEMA_PREFIX);
    const char *fields[] = {rec->did,     rec->case_id,  rec->at,   rec->verdict,
                            rec->category, rec->decided, rec->reviewer, rec->note};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        rc |= fc_str(j, fields[i]);
    rc |= store_job_argll(j, (long long)rec->nfeeds);
    for (size_t i = 0; i < 3 * rec->nfeeds; i++)
        rc |= fc_str(j, fc_at(rec->r, rec->feeds_at + i));
    return rc;
}

int fcall_audit_reply(const struct store_reply *r, struct fcall_audit_out *out, char *err,
                      size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_ALREADY, FCALL_RETRY, FCALL_OTHER};
    static const size_t min[] = {1, 1, 2};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_audit", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->head = out->answer == FCALL_RETRY ? fc_at(r, 1) : "";
    return 0;
}

/* ARGV: redis/review.lua, jb_audited. */
int fcall_audited(struct store_job *j, const char *prefix, const char *case_id,
                  const char *did)
{
    return fc_begin(j, "jb_audited", 0) | fc_str(j, prefix) | fc_str(j, case_id) |
           fc_str(j, did);
}

/* ARGV: redis/review.lua, jb_audit_pending. */
int fcall_audit_pending(struct store_job *j, const char *prefix, long long age_ms)
{
    return fc_begin(j, "jb_audit_pending", 0) | fc_str(j, prefix) | store_job_argll(j, age_ms);
}

int fcall_audit_pending_reply(const struct store_reply *r, struct fcall_audit_rec *recs,
                              size_t max, char *err, size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_OTHER};
    enum fcall_answer a;
    if (fc_answer(r, "jb_audit_pending", want, NULL, &a, err, errlen) < 0)
        return -1;
    size_t n = 0;
    for (size_t i = 1; i < store_reply_count(r) && n < max; n++)
        if ((i = fc_audit_rec_at(r, i, &recs[n])) == 0)
            return fc_shape("jb_audit_pending", err, errlen);
    return (int)n;
}

/* KEYS: decisions:<platform> (the audit chain's slot)  ARGV: start, count. */
int fcall_feed(struct store_job *j, const struct fcall_feed_in *in)
{
    return fc_begin(j, "jb_feed", 1) | fc_key(j, "decisions", in->platform) |
           fc_str(j, in->start) | store_job_argll(j, in->count);
}

int fcall_feed_reply(const struct store_reply *r, struct fcall_feed_out *out, char *err,
                     size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_OTHER};
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

/* ARGV: prefix, the bands' times. */
int fcall_review_stats(struct store_job *j, const char *prefix, const long *deadlines)
{
    return fc_begin(j, "jb_review_stats", 0) | fc_str(j, prefix) | fc_deadlines(j, deadlines);
}

int fcall_review_stats_all(struct store_job *j, const char *const *prefixes, size_t n,
                           const long *deadlines)
{
    int rc = 0, calls = 0, global = 0;
    for (size_t i = 0; i < n; i++, calls++) {
        rc |= fcall_review_stats(j, prefixes[i], deadlines);
        global |= strcmp(prefixes[i], SCHEMA_PREFIX) == 0;
    }
    if (!global) {
        rc |= fcall_review_stats(j, SCHEMA_PREFIX, deadlines);
        calls++;
    }
    return rc < 0 ? -1 : calls;
}

/* Adds the queues of one reply to sumq, by name. */
static void stats_add_queues(const struct fcall_review_stats_out *st,
                             struct fcall_queue_stats *sumq, size_t *nq)
{
    for (size_t i = 0; i < st->nqueues; i++) {
        struct fcall_queue_stats q = fcall_review_stats_queue(st, i);
        size_t k = 0;
        while (k < *nq && strcmp(sumq[k].name, q.name) != 0)
            k++;
        if (k == *nq) {
            if (k == FCALL_QUEUES_MAX)
                continue;
            sumq[(*nq)++] = (struct fcall_queue_stats){q.name, 0, 0, -1, 0};
        }
        sumq[k].length += q.length;
        sumq[k].leased += q.leased;
        sumq[k].overdue += q.overdue;
        if (q.oldest_ms > sumq[k].oldest_ms)
            sumq[k].oldest_ms = q.oldest_ms;
    }
}

int fcall_review_stats_sum(struct store_job *j, size_t first, int calls,
                           struct fcall_review_stats_out *sum, struct fcall_queue_stats *sumq,
                           size_t *nq, char *err, size_t errlen)
{
    memset(sum, 0, sizeof *sum);
    *nq = 0;
    for (int c = 0; c < calls; c++) {
        struct fcall_review_stats_out st;
        if (fcall_review_stats_reply(store_job_reply(j, first + (size_t)c), &st, err, errlen) < 0)
            return -1;
        sum->dead_letters += st.dead_letters;
        sum->routed += st.routed;
        sum->data_loss += st.data_loss;
        sum->actioned += st.actioned;
        sum->no_violation += st.no_violation;
        sum->escalate += st.escalate;
        stats_add_queues(&st, sumq, nq);
    }
    sum->nqueues = *nq;
    return 0;
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
    out->nqueues = (store_reply_count(r) - 6) / 5;
    out->reply_ = r;
    return 0;
}

struct fcall_queue_stats fcall_review_stats_queue(const struct fcall_review_stats_out *out,
                                                  size_t i)
{
    size_t at = 6 + 5 * i;
    const struct store_reply *r = out->reply_;
    return (struct fcall_queue_stats){fc_at(r, at), fc_num(r, at + 1), fc_num(r, at + 2),
                                      fc_num(r, at + 3), fc_num(r, at + 4)};
}
