/* fcall_referrals — the typed contract with redis/referrals.lua: handlers, referrals, their
 * outcomes and events, the supervisors' lists. The same shape as fcall.h (which says how):
 * fcall_X(job, &in) appends the call, fcall_X_reply reads it, and strings in a result point
 * into the reply, living as long as its job.
 *
 * Every call but jb_case_brief and jb_case_outcome (the case's shard, lib/shard.h) runs on the
 * handlers' prefix (lib/global.h, GLOBAL_HANDLERS), given as hp.
 */
#ifndef JUBAO_FCALL_REFERRALS_H
#define JUBAO_FCALL_REFERRALS_H

#include "fcall_review.h"

/* jb_handler_add (answers OK or EXISTS; webhook "" for none), jb_handler_disable and
 * jb_handler_webhook (OK or UNKNOWN; webhook "" clears it). */
int fcall_handler_add(struct store_job *job, const char *hp, const char *name,
                      const char *domains, const char *categories, const char *key_hash,
                      const char *iso, const char *webhook);
int fcall_handler_webhook(struct store_job *job, const char *hp, const char *name,
                          const char *webhook);
/* jb_handler_webhook's answer, and on OK the handler's created_at (its secret's). */
int fcall_handler_webhook_reply(const struct store_reply *r, enum fcall_answer *a,
                                const char **created_at, char *err, size_t errlen);
int fcall_handler_disable(struct store_job *job, const char *hp, const char *name,
                          const char *iso);
/* The answer word of either. */
enum fcall_answer fcall_handler_reply(const struct store_reply *r);

/* jb_handler_list: {'ok', then name, domains, categories, disabled, open, webhook ('1' or
 * '0')} per handler. */
int fcall_handler_list(struct store_job *job, const char *hp);

/* jb_case_brief: what a referral shows of an actioned case. */
struct fcall_brief_out {
    enum fcall_answer answer;   /* OK, NOT_FOUND */
    const char *url, *domain, *category, *severity;
    long long keep_s;           /* seconds the case has left (retention_days); -1 none */
    size_t ndesc;               /* read with fcall_brief_desc */
    const struct store_reply *reply_;
};
int fcall_case_brief(struct store_job *job, const char *prefix, const char *case_id,
                     long long max_desc);
int fcall_case_brief_reply(const struct store_reply *r, struct fcall_brief_out *out, char *err,
                           size_t errlen);
const char *fcall_brief_desc(const struct fcall_brief_out *out, size_t i);

/* jb_refer: refers an actioned case, once per decision (rec: jb_decide's record). */
struct fcall_refer_in {
    const char *hp, *prefix;    /* the handlers'; the case's shard's */
    const struct fcall_audit_rec *rec;
    const struct fcall_brief_out *brief;
    long long now_ms, deadline_ms;
    const char *iso;
};
int fcall_refer(struct store_job *job, const struct fcall_refer_in *in);
/* OK (referrals made in *made), ALREADY; -1 with err set. */
int fcall_refer_reply(const struct store_reply *r, enum fcall_answer *a, long long *made,
                      char *err, size_t errlen);

/* jb_referrals: a handler's referrals from a stream id on. */
struct fcall_referral {
    const char *cursor, *referral, *case_id, *url, *category, *severity, *note;
    long long deadline_ms;
    size_t ndesc, desc_at;      /* descriptions: positions desc_at.. of the reply */
};
struct fcall_referrals_out {
    enum fcall_answer answer;   /* OK, FORBIDDEN (the handler is unknown or disabled) */
    size_t n;
    const struct store_reply *reply_;
};
int fcall_referrals(struct store_job *job, const char *hp, const char *handler,
                    const char *start, long long count);
/* Reads up to max entries into refs. -1 with err set. */
int fcall_referrals_reply(const struct store_reply *r, struct fcall_referrals_out *out,
                          struct fcall_referral *refs, size_t max, char *err, size_t errlen);

/* jb_outcome: a handler's outcome of its referral. Answers OK, FORBIDDEN, NOT_FOUND, CONFLICT. */
struct fcall_outcome_in {
    const char *hp, *handler, *referral, *outcome, *note, *iso;
    long long now_ms;
};
int fcall_outcome(struct store_job *job, const struct fcall_outcome_in *in);
int fcall_outcome_reply(const struct store_reply *r, enum fcall_answer *a, char *err,
                        size_t errlen);

/* jb_ref_events: referrals and outcomes still to append to the audit chain. */
struct fcall_ref_event {
    const char *prefix;         /* the case's shard's */
    const char *outcome;        /* "" for a referral */
    const char *by;             /* "platform" or "agency" */
    struct fcall_audit_rec rec; /* its did is the event's id */
};
#define FCALL_EVENTS_MAX 10
int fcall_ref_events(struct store_job *job, const char *hp, long long age_ms);
/* Reads up to max events. Returns their number, or -1 with err set. */
int fcall_ref_events_reply(const struct store_reply *r, struct fcall_ref_event *ev, size_t max,
                           char *err, size_t errlen);
/* jb_ref_done: clears an event. jb_case_outcome: writes an outcome to its case. */
int fcall_ref_done(struct store_job *job, const char *hp, const char *event_id);
int fcall_case_outcome(struct store_job *job, const struct fcall_ref_event *ev);

/* jb_hook_claim (redis/hooks.lua): the earliest due webhook delivery, under a lease. */
struct fcall_hook_out {
    enum fcall_answer answer;   /* OK, EMPTY (nothing due) */
    const char *member;         /* "n:<referral>" (new) or "d:<referral>" (overdue) */
    const char *handler, *webhook, *created_at;     /* created_at: the handler's */
    long long tries, lease_ms;  /* tries: this one included; lease_ms: its end, for the result */
    struct fcall_referral ref;  /* its descriptions are in the reply from ref.desc_at on */
};
int fcall_hook_claim(struct store_job *job, const char *hp, long long now_ms, long long lease_ms);
int fcall_hook_claim_reply(const struct store_reply *r, struct fcall_hook_out *out, char *err,
                           size_t errlen);
/* jb_hook_result: sent, or failed and due again at again_ms (-1: given up). Answers OK or
 * ALREADY (another gateway claimed it since). jb_hook_stats: {'ok', name, sent, failed ...}, read
 * with fcall_list_reply. */
int fcall_hook_result(struct store_job *job, const char *hp, const struct fcall_hook_out *h,
                      bool sent, long long again_ms);
int fcall_hook_stats(struct store_job *job, const char *hp);

/* jb_referral_lists (which: "overdue" or "unrouted") and jb_referral_stats: {'ok', ...} replies
 * read with fcall_list_reply (the count of elements after 'ok', or -1). */
int fcall_referral_lists(struct store_job *job, const char *hp, long long now_ms,
                         const char *which, long long count);
int fcall_referral_stats(struct store_job *job, const char *hp, long long now_ms);
long fcall_list_reply(const struct store_reply *r, const char *fn, char *err, size_t errlen);

#endif
