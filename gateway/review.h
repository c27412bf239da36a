/* review — the reviewers' routes of API.md: renew, release and break a lease (review.c; the
 * claim is claim.h's), the evidence of a claimed case, the supervisors' view of the queues, and the
 * decision (decision.c, written to the audit chain by auditor.h). Each handler is a row's in
 * routes.c: handle once the body is in, *_done after the store answered.
 *
 * Every call is one Redis Function that first checks the session (redis/), so
 * that a disabled reviewer or an expired token stops at once, and that a lease is taken,
 * checked and ended atomically: one holder per case however many reviewers claim together.
 */
#ifndef JUBAO_REVIEW_H
#define JUBAO_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "call.h"
#include "fcall.h"

void review_renew(struct call *call, struct http_req *req);     /* POST .../cases/{case}/renew */
void review_renew_done(struct call *call, struct http_req *req);
void review_release(struct call *call, struct http_req *req);   /* .../release */
void review_release_done(struct call *call, struct http_req *req);
void review_break(struct call *call, struct http_req *req);     /* .../break (supervisors) */
void review_break_done(struct call *call, struct http_req *req);
void review_evidence(struct call *call, struct http_req *req);  /* GET .../evidence/{id} */
void review_evidence_done(struct call *call, struct http_req *req);
void review_queues(struct call *call, struct http_req *req);    /* GET .../review/queues */
void review_queues_done(struct call *call, struct http_req *req);
void review_decision(struct call *call, struct http_req *req);  /* .../decision (decision.c) */
void review_decision_done(struct call *call, struct http_req *req);

/* ---- what review.c shares with claim.c, decision.c, feed.c and ops.c ---- */

/* The first reply of the request's job, or NULL having answered 503 when the store failed. */
const struct store_reply *review_first_reply(struct call *call, struct http_req *req);

/* Answers the refusals every review Function shares (FCALL_UNAUTHORIZED, FCALL_FORBIDDEN,
 * FCALL_NOT_FOUND, FCALL_CONFLICT as 409 conflict, anything else 503, logging err: the
 * reply could not be read). Returns true when it answered, false when a is FCALL_OK. */
bool review_refusal(struct http_req *req, enum fcall_answer a, const char *err,
                    const char *conflict);

/* Checks the path's case id and that the body is empty or {} (nfields == 0), or an object of
 * only fields[0..nfields). Returns 0, or -1 having answered. */
int review_case_request(struct call *call, struct http_req *req, const char *const *fields,
                        size_t nfields);

/* A JSON body's string member name (decision.c): NULL when absent; answers 400 and sets *bad
 * when it is not a string, longer than max_chars or holds control characters. Does nothing
 * once *bad is set. */
const char *review_body_string(struct call *call, struct http_req *req, const char *name,
                               size_t max_chars, bool *bad);
/* Starts the request's job with jb_whoami (the session's reviewer and role). Returns 0, or
 * -1 having answered. */
int review_whoami_begin(struct call *call, struct http_req *req);

/* Who a review request acts for, from its first call (jb_whoami). A request's state begins
 * with it (review_begin). */
struct review_who {
    bool resolved;                  /* the session was resolved: the next replies are the case's */
    char name[128], role[32];
};

/* Starts a review request: its state of size bytes (zeroed, beginning with a struct
 * review_who) and the jb_whoami call. Returns the state, or NULL having answered. */
void *review_begin(struct call *call, struct http_req *req, size_t size);

/* The first call's answer: the session's reviewer into w. Returns 0, or -1 having answered
 * (401 for a session unknown, over, or of a disabled reviewer). */
int review_resolved(struct call *call, struct http_req *req, struct review_who *w);

/* The review figures of every shard (and the global prefix's, where decisions count): their
 * calls appended to call->job (review_stats_calls of them), and rendered for /metrics from the
 * job's replies first.. on. */
int review_stats_calls(const struct call *call);
void review_stats_begin(struct call *call);
void review_render_stats(struct buf *b, struct call *call, size_t first);

#endif
