/* routes — the gateway's endpoints as one table, and the one dispatcher that http.c calls.
 *
 * Each row of the table (routes.c) is an endpoint: its method and path pattern, who may call
 * it (anyone, a platform key, a reviewer's session), the body it takes and so its limit, the
 * handlers of its family that serve it (begin once the headers are checked, handle once the
 * body is in, resume after a suspension, the family's error page), and the label of its
 * metrics. The dispatcher matches a request to its row, checks what the row asks of the
 * headers, makes the request's struct call (call.h), then calls the row's handlers; nothing
 * else in the gateway chooses by route. Adding an endpoint is adding a row.
 */
#ifndef JUBAO_ROUTES_H
#define JUBAO_ROUTES_H

#include "http.h"

struct api;

/* The callbacks of the public server, over the public table. /metrics is not among its
 * routes (404). */
void routes_server(struct api *api, struct http_routes *out);
/* The callbacks of the metrics listener (metrics_listen): GET /metrics only. The queue
 * figures and per-rule hit counters it shows are for the operator, never the public. */
void routes_metrics_server(struct api *api, struct http_routes *out);

#endif
