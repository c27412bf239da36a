/* metrics — counters for /metrics, in Prometheus text format. Lock-free on the request path:
 * relaxed atomics. Requests are counted by the label of their route (routes.c's table says
 * each row's); a label is registered once, so that /metrics lists every route from the start.
 */
#ifndef JUBAO_METRICS_H
#define JUBAO_METRICS_H

#include <stdbool.h>

#include "buf.h"

#define METRICS_ROUTES_MAX 40   /* distinct route labels */

enum counter {
    M_REPORTS_ACCEPTED, M_DUPLICATES, M_REDIS_ERRORS, M_REDIS_FULL, M_RATE_LIMITED, M_IDEMPOTENT_REPLAYS,
    M_CLAIMS, M_LEASE_CONFLICTS, M_AUDIT_RETRIES, M_STATUS_RATE_LIMITED, M_PASSWORD_CHECKS,
    M_COUNTER_COUNT
};

/* Registers the route label (a string that lives as long as the program), to be shown in
 * the order registered; the same label twice is one route. Returns false when all
 * METRICS_ROUTES_MAX are taken (that route is then not counted). */
bool metrics_route(const char *label);
/* Counts a request of the route labelled label (registering it when it is new). */
void metrics_request(const char *label, int status, double seconds);
void metrics_add(enum counter c, long n);
/* Appends every metric in Prometheus text format (version 0.0.4). */
void metrics_render(struct buf *out);

#endif
