/* api — the routes of API.md version 1: reports in, status out, categories, operations
 * (/metrics on a listener of its own).
 *
 * Each report is validated and anonymized (intake.c), then written by one call of the jb_report
 * Redis Function through the store's pipeline while its connection is suspended; the answer
 * is sent when the store thread resumes it.
 */
#ifndef JUBAO_API_H
#define JUBAO_API_H

#include "conf.h"
#include "crypto.h"
#include "http.h"
#include "model.h"
#include "rules.h"
#include "store.h"

struct api;

/* Returns NULL when out of memory. The api borrows conf, keys, store, the rule holder and the
 * model holder (rules/modelstore.h keeps it up to date). */
struct api *api_new(const struct conf *conf, const struct keys *keys, struct store *store,
                    struct rules_live *rules, struct model_live *model);
void api_free(struct api *api);

/* The callbacks that the public HTTP server calls. /metrics is not among its routes (404). */
void api_routes(struct api *api, struct http_routes *out);
/* The callbacks of the metrics listener (metrics_listen): GET /metrics only. The queue
 * figures and per-rule hit counters it shows are for the operator, never the public. */
void api_metrics_routes(struct api *api, struct http_routes *out);

#endif
