/* referral — the handlers' routes of API.md ("Handlers"): GET /api/v1/referrals (a handler's
 * referrals, paged like the decisions feed) and POST /api/v1/referrals/{referral}/outcome; the
 * supervisors' GET /api/v1/review/referrals/overdue and /unrouted; and the overdue referrals
 * by handler for /metrics. Each handler is a row's in routes.c.
 *
 * A handler's request takes two jobs: jb_apikey_check in the key's slot (the key's record
 * names its handler), then the Function in the handlers' slot, which checks that the handler
 * is enabled. An outcome is final once jb_outcome answered; the auditor (auditor_kick) then
 * appends it to the audit chain and writes it to its case (referrer.h).
 */
#ifndef JUBAO_REFERRAL_H
#define JUBAO_REFERRAL_H

#include "call.h"
#include "fcall_referrals.h"

void referral_list(struct call *call, struct http_req *req);        /* GET /api/v1/referrals */
void referral_list_done(struct call *call, struct http_req *req);
void referral_outcome(struct call *call, struct http_req *req);     /* POST .../{id}/outcome */
void referral_outcome_done(struct call *call, struct http_req *req);
void referral_lists(struct call *call, struct http_req *req);  /* GET .../review/referrals/{list} */
void referral_lists_done(struct call *call, struct http_req *req);

/* Renders f (an entry of jb_referrals' reply r, or of jb_hook_claim's) as the object of API.md;
 * event, unless NULL, as its first member (a webhook's body). */
void referral_render(struct buf *b, const struct fcall_referral *f,
                     const struct store_reply *r, const char *event);

/* Appends jb_referral_stats and jb_hook_stats to call->job (for /metrics), and renders their
 * replies (at and at + 1 of job). */
void referral_stats_begin(struct call *call);
void referral_render_stats(struct buf *b, const struct store_job *job, int at);

#endif
