/* api — the gateway's shared context (struct api, call.h), and the routes of API.md version 1
 * that take reports in and give their status out: POST /api/v1/reports and /batch (through
 * intake.h), GET /api/v1/reports/{id} (through status.h) and GET /api/v1/categories. Each
 * handler is a row's in routes.c: handle once the body is in, *_done after the store answered.
 */
#ifndef JUBAO_API_H
#define JUBAO_API_H

#include "call.h"

struct rules_live;
struct model_live;

/* Returns NULL when out of memory. The api borrows conf, keys, store, the rule holder and the
 * model holder (rules/modelstore.h keeps it up to date). shards: the number of shards of the
 * data, or 0 when Redis has not told it yet (layout.h). */
struct api *api_new(const struct conf *conf, const struct keys *keys, struct store *store,
                    struct rules_live *rules, struct model_live *model, long shards);
void api_free(struct api *api);

void api_report(struct call *call, struct http_req *req);       /* POST /api/v1/reports */
void api_report_done(struct call *call, struct http_req *req);
void api_batch(struct call *call, struct http_req *req);        /* POST .../reports/batch */
void api_batch_done(struct call *call, struct http_req *req);
void api_status(struct call *call, struct http_req *req);       /* GET .../reports/{id} */
void api_status_done(struct call *call, struct http_req *req);
void api_categories(struct call *call, struct http_req *req);   /* GET /api/v1/categories */

#endif
