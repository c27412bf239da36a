/* metrics — counters for /metrics, in Prometheus text format. Lock-free: relaxed atomics. */
#ifndef JUBAO_METRICS_H
#define JUBAO_METRICS_H

#include "buf.h"

enum route {
    ROUTE_REPORTS, ROUTE_BATCH, ROUTE_STATUS, ROUTE_CATEGORIES, ROUTE_HEALTHZ, ROUTE_READYZ,
    ROUTE_METRICS, ROUTE_SESSION, ROUTE_SIGNOUT, ROUTE_CLAIM, ROUTE_RENEW, ROUTE_RELEASE, ROUTE_DECISION,
    ROUTE_BREAK, ROUTE_QUEUES, ROUTE_DECISIONS, ROUTE_EVIDENCE, ROUTE_WEB_FORM, ROUTE_WEB_REPORT,
    ROUTE_WEB_STATUS, ROUTE_WEB_REVIEW, ROUTE_ASSET, ROUTE_OTHER, ROUTE_COUNT
};

enum counter {
    M_REPORTS_ACCEPTED, M_DUPLICATES, M_REDIS_ERRORS, M_REDIS_FULL, M_RATE_LIMITED, M_IDEMPOTENT_REPLAYS,
    M_CLAIMS, M_LEASE_CONFLICTS, M_AUDIT_RETRIES, M_STATUS_RATE_LIMITED, M_PASSWORD_CHECKS,
    M_COUNTER_COUNT
};

void metrics_request(enum route route, int status, double seconds);
void metrics_add(enum counter c, long n);
/* Appends every metric in Prometheus text format (version 0.0.4). */
void metrics_render(struct buf *out);

#endif
