/* review — what review.c shares with decision.c, which handles the decision of a case and
 * writes it to the audit chain. Not a public interface: only those two files include it; the
 * handlers themselves are declared in call.h.
 */
#ifndef JUBAO_REVIEW_H
#define JUBAO_REVIEW_H

#include <stddef.h>

#include "call.h"

/* Checks the path's case id and that the body is empty or {} (nfields == 0), or an object of
 * only fields[0..nfields). Returns 0, or -1 having answered. */
int review_case_request(struct call *call, struct http_req *req, const char *const *fields,
                        size_t nfields);

/* Starts the request's job with jb_whoami (the session's reviewer and role). Returns 0, or
 * -1 having answered. */
int review_whoami_begin(struct call *call, struct http_req *req);

/* Answers the store's reply r to a decision request: in phase 1 (jb_whoami) hands the
 * suspended request to the auditor, in phase 2 (jb_decide) answers the decision (decision.c). */
void decision_finish(struct call *call, struct http_req *req, const struct store_reply *r);

#endif
