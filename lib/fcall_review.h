/* fcall_review — the typed contract with the review Functions (redis/review.lua): claims and
 * leases, evidence, decisions, the platforms' feeds and the queues' figures. The same shape
 * as fcall.h (which says how): fcall_X(job, &in) appends the call, fcall_X_reply reads it,
 * and strings in a result point into the reply, living as long as its job.
 *
 * jb_whoami resolves a session, named by the keyed hash of its token (token_hash), in the
 * token's slot (prefix, lib/global.h): it answers UNAUTHORIZED when the session is unknown,
 * over, or its reviewer disabled. The case's calls
 * (claim, lease, evidence, decide) then act for the reviewer it named, on the case's shard
 * (prefix, lib/shard.h): the session's keys and the case's are in different slots on a Redis
 * Cluster, so they cannot be read in one call (docs/SCALING.md, review across shards).
 */
#ifndef JUBAO_FCALL_REVIEW_H
#define JUBAO_FCALL_REVIEW_H

#include "fcall.h"

/* Review deadlines (redis/review.lua): a queue entry's is its time plus its band's time, from
 * deadlines[band] in seconds (struct conf's review_deadline, band 0 first, SCHEMA_BANDS of
 * them), which every call below that orders or counts by deadline is given. */

/* jb_peek: what a claim on one shard would take first, without taking it. */
struct fcall_peek_out {
    bool empty;                 /* nothing to claim */
    long long deadline_ms;      /* the review deadline of what a claim takes first */
    int band;
    const char *entry;          /* its stream id */
};
int fcall_peek(struct store_job *job, const char *prefix, const char *queue,
               const long *deadlines);
int fcall_peek_reply(const struct store_reply *r, struct fcall_peek_out *out, char *err,
                     size_t errlen);
/* Whether a claim should try a's shard before b's (neither empty): the earlier deadline, then
 * the higher band, then the older entry. */
int fcall_peek_before(const struct fcall_peek_out *a, const struct fcall_peek_out *b);

/* jb_claim: the next case of a queue in one shard, under a lease. */
struct fcall_claim_in {
    const char *prefix, *reviewer;  /* the shard's; the session's reviewer (jb_whoami) */
    const char *queue;          /* SCHEMA_QUEUE_DEFAULT or SCHEMA_QUEUE_ESCALATED */
    long long lease_ms;
    const char *iso;
    long long reports;          /* the case's latest reports to show, at most */
    const long *deadlines;      /* the bands' times (above) */
};
struct fcall_claim_report {
    const char *canonical, *title, *description;    /* title, description: redacted */
    const char *evidence_type;  /* "": none */
    const char *id;
};
struct fcall_claim_out {
    enum fcall_answer answer;   /* OK, EMPTY */
    const char *case_id, *lease_until_ms, *queue;
    const char *category, *suggested, *rule_hits, *severity, *band;
    const char *reports, *reporters, *created_at, *scores;
    const char *deadline_ms, *now_ms;   /* the case's review deadline; Redis' clock then */
    size_t nreports;            /* read with fcall_claim_report */
    const struct store_reply *reply_;
};
int fcall_claim(struct store_job *job, const struct fcall_claim_in *in);
int fcall_claim_reply(const struct store_reply *r, struct fcall_claim_out *out, char *err,
                      size_t errlen);
/* Report i (< out->nreports) of a claimed case, oldest first. */
struct fcall_claim_report fcall_claim_report(const struct fcall_claim_out *out, size_t i);

/* jb_lease: renew or release one's own live lease, or break anyone's (supervisors). */
struct fcall_lease_in {
    const char *prefix, *reviewer, *case_id;    /* the case's shard's; jb_whoami's */
    const char *action;         /* "renew", "release" or "break" */
    long long lease_ms;
};
struct fcall_lease_out {
    enum fcall_answer answer;   /* OK, NOT_FOUND, CONFLICT */
    const char *lease_until_ms; /* OK: "0" when the lease ended */
};
int fcall_lease(struct store_job *job, const struct fcall_lease_in *in);
int fcall_lease_reply(const struct store_reply *r, struct fcall_lease_out *out, char *err,
                      size_t errlen);

/* jb_evidence: a report's evidence image, for the holder of its case's live lease. */
struct fcall_evidence_in {
    const char *prefix, *reviewer, *case_id, *report_id;    /* as fcall_lease_in's */
};
struct fcall_evidence_out {
    enum fcall_answer answer;   /* OK, NOT_FOUND, CONFLICT */
    const char *type;
    const char *bytes; size_t len;  /* encrypted (crypto_lock) */
};
int fcall_evidence(struct store_job *job, const struct fcall_evidence_in *in);
int fcall_evidence_reply(const struct store_reply *r, struct fcall_evidence_out *out, char *err,
                         size_t errlen);

/* jb_whoami: the session's reviewer and the audit chain's head. */
struct fcall_whoami_out {
    enum fcall_answer answer;   /* OK, UNAUTHORIZED */
    const char *name, *role;
};
int fcall_whoami(struct store_job *job, const char *prefix, const char *token_hash);
int fcall_whoami_reply(const struct store_reply *r, struct fcall_whoami_out *out, char *err,
                       size_t errlen);

/* A decision's pending audit record (redis/review.lua, audit_record), read from a reply: its
 * strings point into the reply. */
struct fcall_audit_rec {
    const char *did, *case_id, *at, *verdict;
    const char *category;       /* as asked ("" the case's): what the audit hash names */
    const char *decided;        /* the category decided */
    const char *reviewer, *note;
    size_t nfeeds;              /* feed entries: platform, report, platform_ref each */
    const struct store_reply *r;
    size_t feeds_at;            /* the position of the first feed entry's platform in r */
};

/* jb_decide: decides a leased case in its shard, leaving the pending audit record. */
struct fcall_decide_in {
    const char *prefix, *case_id, *verdict;    /* prefix: the case's shard's */
    const char *category;       /* "": the case's */
    const char *note, *iso;
    const char *reviewer;       /* jb_whoami's */
};
struct fcall_decide_out {
    enum fcall_answer answer;   /* OK (decided, or decided before by this reviewer), QUEUED
                                 * (an earlier decision to audit first), NOT_FOUND, CONFLICT */
    struct fcall_audit_rec rec; /* OK, QUEUED */
};
int fcall_decide(struct store_job *job, const struct fcall_decide_in *in);
int fcall_decide_reply(const struct store_reply *r, struct fcall_decide_out *out, char *err,
                       size_t errlen);

/* jb_audit: appends rec's audit entry (seq, hash made on head) and feeds, once per decision. */
struct fcall_audit_in {
    const char *head, *seq, *hash;
    const struct fcall_audit_rec *rec;
};
struct fcall_audit_out {
    enum fcall_answer answer;   /* OK, ALREADY (written before), RETRY (hash again on head) */
    const char *head;
};
int fcall_audit(struct store_job *job, const struct fcall_audit_in *in);
int fcall_audit_reply(const struct store_reply *r, struct fcall_audit_out *out, char *err,
                      size_t errlen);

/* jb_audited: clears the case's pending record of decision did. */
int fcall_audited(struct store_job *job, const char *prefix, const char *case_id,
                  const char *did);

/* jb_audit_pending: a shard's pending records older than age_ms, at most 10 (FCALL_AUDIT_MAX). */
#define FCALL_AUDIT_MAX 10
int fcall_audit_pending(struct store_job *job, const char *prefix, long long age_ms);
/* Reads up to max records into recs. Returns their number, or -1 with err set. */
int fcall_audit_pending_reply(const struct store_reply *r, struct fcall_audit_rec *recs,
                              size_t max, char *err, size_t errlen);

/* jb_feed: decisions on a platform's reports, from a stream id on. */
struct fcall_feed_in {
    const char *platform;       /* the live key's (jb_apikey_check) */
    const char *start;          /* the first stream id to read, or "" when none can follow */
    long long count;
};
struct fcall_feed_entry {
    const char *id;
    const struct store_reply *fields;   /* name, value, ... (redis/common.lua, feed_add) */
};
struct fcall_feed_out {
    enum fcall_answer answer;   /* OK, UNAUTHORIZED */
    size_t nentries;            /* read with fcall_feed_entry */
    const struct store_reply *reply_;
};
int fcall_feed(struct store_job *job, const struct fcall_feed_in *in);
int fcall_feed_reply(const struct store_reply *r, struct fcall_feed_out *out, char *err,
                     size_t errlen);
struct fcall_feed_entry fcall_feed_entry(const struct fcall_feed_out *out, size_t i);

/* jb_review_stats: the workers' and reviewers' counts, and each queue's figures, of the keys
 * under prefix (a shard's, or the global one, where the decisions are counted). */
struct fcall_queue_stats {
    const char *name;
    long long length, leased;
    long long oldest_ms;        /* the oldest entry's age; -1 when empty */
    long long overdue;          /* entries past their review deadline (up to 1000 a band) */
};
struct fcall_review_stats_out {
    long long dead_letters, routed, data_loss, actioned, no_violation, escalate;
    size_t nqueues;             /* read with fcall_review_stats_queue */
    const struct store_reply *reply_;
};
int fcall_review_stats(struct store_job *job, const char *prefix, const long *deadlines);
int fcall_review_stats_reply(const struct store_reply *r, struct fcall_review_stats_out *out,
                             char *err, size_t errlen);
struct fcall_queue_stats fcall_review_stats_queue(const struct fcall_review_stats_out *out,
                                                  size_t i);

/* Every shard's and the global prefix's figures in one job: prefixes[0..n), then (when it is
 * none of them) SCHEMA_PREFIX. Returns the number of calls appended, or -1. */
int fcall_review_stats_all(struct store_job *job, const char *const *prefixes, size_t n,
                           const long *deadlines);
/* Their sum (lengths, leases, overdue entries and counts added, the oldest age the largest),
 * from replies first..first+calls of job, into sum (its queues in sumq[0..FCALL_QUEUES_MAX),
 * *nq of them). */
#define FCALL_QUEUES_MAX 4
int fcall_review_stats_sum(struct store_job *job, size_t first, int calls,
                           struct fcall_review_stats_out *sum, struct fcall_queue_stats *sumq,
                           size_t *nq, char *err, size_t errlen);

#endif
