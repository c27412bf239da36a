/* referrer — what the auditor's thread (auditor.h) does for referrals: refers each actioned
 * decision to the handlers that take its case, and appends every referral and outcome to the
 * audit chain (and an outcome to its case, where its reporters see it).
 *
 * Exactly once: the auditor calls referrer_refer after a decision's audit entry is in and
 * before it clears the decision's pending record, so a gateway that stops between them leaves
 * the record, whose sweep calls referrer_refer again; jb_refer refers once per decision id and
 * answers ALREADY after. Each referral and outcome is an event in the handlers' slot until its
 * audit entry (once per event id, jb_audit) and its case's copy (once per event,
 * jb_case_outcome) are written; referrer_events completes them, now or in a later sweep.
 * Not thread-safe: one referrer per auditor thread.
 */
#ifndef JUBAO_REFERRER_H
#define JUBAO_REFERRER_H

#include "conf.h"
#include "fcall_review.h"
#include "shard.h"
#include "store.h"

struct referrer;

/* Appends rec's entry to the audit chain (the auditor's). Returns 0 once it is in, or -1. */
typedef int referrer_append_fn(void *ctx, const struct fcall_audit_rec *rec);

/* Returns NULL when out of memory. append and ctx outlive it. Free accepts NULL. */
struct referrer *referrer_new(struct store *store, const struct conf *conf,
                              const struct shards *shards, referrer_append_fn *append,
                              void *ctx);
void referrer_free(struct referrer *r);

/* Refers the case of rec (an audited decision; nothing to do unless it is actioned) in the
 * shard of prefix, then appends the referrals' events. Returns 0 when the referrals are made
 * (now or before), or -1 (Redis failed: keep the decision's record for the sweep). */
int referrer_refer(struct referrer *r, const char *prefix, const struct fcall_audit_rec *rec);

/* Completes the events older than age_ms. Returns 0, or -1 when Redis failed. */
int referrer_events(struct referrer *r, long long age_ms);

#endif
