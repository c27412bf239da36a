/* claim — POST /api/v1/review/claim (API.md, "Review"): the next case of a queue, across the
 * shards, under a lease. A route of routes.c: claim_request once the body is in, claim_done
 * after each answer of the store.
 *
 * The session is resolved first, with a peek at every shard's queue (jb_peek); then the claim
 * (jb_claim) goes to the shards best first until one gives a case: 204 when none does.
 */
#ifndef JUBAO_CLAIM_H
#define JUBAO_CLAIM_H

#include "call.h"

void claim_request(struct call *call, struct http_req *req);
void claim_done(struct call *call, struct http_req *req);

#endif
