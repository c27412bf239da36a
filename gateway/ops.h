/* ops — the operators' routes: GET /healthz (the process answers), GET /readyz (Redis answers,
 * today's pseudonym key is loaded, the rules are in force) and GET /metrics on the metrics
 * listener (the gateway's counters, the rules', the model's, and the review figures kept in
 * Redis). Each handler is a row's in routes.c.
 */
#ifndef JUBAO_OPS_H
#define JUBAO_OPS_H

#include "call.h"

void ops_healthz(struct call *call, struct http_req *req);
void ops_readyz(struct call *call, struct http_req *req);
void ops_readyz_done(struct call *call, struct http_req *req);
void ops_metrics(struct call *call, struct http_req *req);
void ops_metrics_done(struct call *call, struct http_req *req);

#endif
