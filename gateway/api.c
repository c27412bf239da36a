/* api — see api.h. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "intake.h"
#include "layout.h"
#include "metrics.h"
#include "pwcheck.h"
#include "report.h"
#include "shard.h"
#include "status.h"

/* ---- reports in ---------------------------------------------------------------------- */

static void intake_state_free(void *state)
{
    if (state)
        intake_free(state);
    free(state);
}

/* The error of an item that was not stored, as code and message. */
static void item_error(const struct intake_item *it, const char **code, const char **message,
                       const char **field)
{
    *field = NULL;
    switch (it->status) {
    case 401: *code = "unauthorized"; *message = "unknown or revoked API key"; break;
    case 409:
        *code = "idempotency_conflict";
        *message = "this Idempotency-Key was used with a different body";
        break;
    case 429:
        if (it->evidence_over) {
            *code = "evidence_budget";
            *message = "too many bytes of evidence images from you today; send the report "
                       "without the image, or tomorrow";
            *field = "evidence";
        } else {
            *code = "rate_limited";
            *message = "too many reports; try again later";
        }
        break;
    case 503:
        *code = "unavailable";
        *message = "the report could not be stored; try again (with the same Idempotency-Key)";
        break;
    default: *code = it->err.code; *message = it->err.message; *field = it->err.field; break;
    }
}

static void answer_single(struct http_req *req, const struct intake_item *it)
{
    if (it->status != 202) {
        const char *code, *message, *field;
        item_error(it, &code, &message, &field);
        call_answer_error_retry(req, it->status, code, message, field, it->retry_after);
        return;
    }
    struct buf b = {0};
    buf_puts(&b, "{");
    intake_receipt(&b, it, false);
    buf_puts(&b, "}");
    char location[64];
    snprintf(location, sizeof location, API_REPORTS "/%s", it->id);
    http_add_header(req, "Cache-Control", "no-store");
    http_add_header(req, "Location", location);
    call_answer_json(req, 202, &b);
}

/* One item of a batch's results; *retry grows to the longest wait a refused one asks for. */
static void batch_result(struct buf *b, const struct intake_item *it, size_t i, long *retry)
{
    buf_printf(b, "%s{\"index\":%zu,\"status\":%d", i ? "," : "", i, it->status);
    if (it->status == 202) {
        intake_receipt(b, it, true);
    } else {
        const char *code, *message, *field;
        item_error(it, &code, &message, &field);
        buf_puts(b, ",\"error\":");
        call_error_object(b, code, message, field);
        if (it->status == 429 || it->status == 503) {
            long wait = call_retry_of(it->retry_after);
            buf_printf(b, ",\"retry_after\":%ld", wait);
            *retry = wait > *retry ? wait : *retry;
        }
    }
    buf_puts(b, "}");
}

static void answer_batch(struct http_req *req, const struct intake *in)
{
    struct buf b = {0};
    bool any_401 = false;
    long retry = 0;
    buf_puts(&b, "{\"results\":[");
    for (size_t i = 0; i < in->nitems; i++) {
        any_401 |= in->items[i].status == 401;
        batch_result(&b, &in->items[i], i, &retry);
    }
    buf_puts(&b, "]}");
    if (any_401) {
        buf_free(&b);
        call_answer_error(req, 401, "unauthorized", "unknown or revoked API key", NULL);
        return;
    }
    if (retry) {
        char n[24];
        snprintf(n, sizeof n, "%ld", retry);
        http_add_header(req, "Retry-After", n);
    }
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}

/* Checks the Idempotency-Key and parses the body into call->doc, and makes the request's
 * intake. Returns it, or NULL having answered. */
static struct intake *reports_begin(struct call *call, struct http_req *req)
{
    const char *idem = http_header(req, "Idempotency-Key");
    if (idem && !report_idempotency_key_valid(idem)) {
        call_answer_error(req, 400, "invalid_idempotency_key",
                          "Idempotency-Key must be 1 to 128 printable ASCII characters",
                          "Idempotency-Key");
        return NULL;
    }
    size_t len;
    const char *body = http_body(req, &len);
    char why[160];
    call->doc = jdoc_parse(body, len, (int)call->api->conf->json_depth_max, why, sizeof why);
    if (!call->doc) {
        char msg[200];
        snprintf(msg, sizeof msg, "the body is not valid JSON: %s", why);
        call_answer_error(req, 400, "invalid_json", msg, NULL);
        return NULL;
    }
    struct intake *in = calloc(1, sizeof *in);
    if (!in) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return NULL;
    }
    call_set_state(call, in, intake_state_free);
    return in;
}

void api_report(struct call *call, struct http_req *req)
{
    struct intake *in = reports_begin(call, req);
    if (in && intake_submit(call, req, in, NULL, call->doc) == 0)
        answer_single(req, &in->items[0]);
}

void api_report_done(struct call *call, struct http_req *req)
{
    if (intake_read(call, req, call->state))
        return;
    answer_single(req, &((struct intake *)call->state)->items[0]);
}

void api_batch(struct call *call, struct http_req *req)
{
    struct intake *in = reports_begin(call, req);
    if (!in)
        return;
    const struct jdoc *reports = jdoc_get(call->doc, "reports");
    long max = call->api->conf->batch_max;
    char why[80];
    if (jdoc_size(call->doc) != 1 || !reports)
        call_answer_error(req, 400, "invalid_batch", "the body must be {\"reports\": [ … ]}",
                          NULL);
    else if (jdoc_type(reports) != JDOC_ARRAY || jdoc_size(reports) == 0)
        call_answer_error(req, 400, "invalid_batch", "reports must be a non-empty array",
                          "reports");
    else if (jdoc_size(reports) > (size_t)max) {
        snprintf(why, sizeof why, "a batch holds at most %ld reports", max);
        call_answer_error(req, 413, "batch_too_large", why, "reports");
    } else if (intake_submit(call, req, in, reports, NULL) == 0)
        answer_batch(req, in);
}

void api_batch_done(struct call *call, struct http_req *req)
{
    if (intake_read(call, req, call->state))
        return;
    answer_batch(req, call->state);
}

/* ---- following a report -------------------------------------------------------------- */

/* GET /api/v1/reports/{id}, with the report's secret or the platform key that filed it. */
void api_status(struct call *call, struct http_req *req)
{
    const char *secret = http_header(req, "X-Report-Secret");
    if (!report_id_valid(call->path_id, 'R') || (!secret && !call->has_key)) {
        call_answer_error(req, 404, "not_found", "no such report", NULL);
        return;
    }
    struct status_ask *ask = calloc(1, sizeof *ask);
    if (!ask) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return;
    }
    call_set_state(call, ask, free);
    snprintf(ask->id, sizeof ask->id, "%s", call->path_id);
    ask->platform = call->has_key;
    status_lookup(call, req, ask, secret);
}

void api_status_done(struct call *call, struct http_req *req)
{
    if (store_job_ok(call->job) < 0) {
        call_answer_unavailable(req);
        return;
    }
    long wait = status_rate_wait(call, call->state);
    if (wait > 0) {
        call_answer_error_retry(req, 429, "rate_limited",
                                "too many status lookups; try again later", NULL, wait);
        return;
    }
    if (status_follow(call, req, call->state))
        return;
    struct fcall_status_out st;
    int access = status_access(call->state, store_job_reply(call->job, 0), &st);
    if (access != 200) {
        call_answer_error(req, access, access == 401 ? "unauthorized" : "not_found",
                          access == 401 ? "unknown or revoked API key" : "no such report", NULL);
        return;
    }
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "id", call->path_id);
    buf_json_kv(&b, "case", st.case_id);
    buf_json_kv(&b, "category", st.category);
    buf_json_kv(&b, "status", st.status);
    buf_json_kv(&b, "received_at", st.received_at);
    buf_json_kv(&b, "updated_at", st.updated_at);
    if (*st.verdict) {
        buf_puts(&b, ",\"decision\":{");
        buf_json_kv(&b, "verdict", st.verdict);
        buf_json_kv(&b, "category", st.decision_category);
        buf_json_kv(&b, "decided_at", st.decided_at);
        buf_puts(&b, "}");
    }
    if (st.noutcomes) {
        buf_puts(&b, ",\"outcomes\":[");
        for (size_t i = 0; i < st.noutcomes; i++) {
            struct fcall_status_outcome o = fcall_status_outcome(&st, i);
            buf_puts(&b, i ? ",{" : "{");
            buf_json_kv(&b, "outcome", o.outcome);
            buf_json_kv(&b, "by", o.by);
            buf_json_kv(&b, "at", o.at);
            buf_puts(&b, "}");
        }
        buf_puts(&b, "]");
    }
    buf_puts(&b, "}");
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}

/* ---- categories ---------------------------------------------------------------------- */

static void render_categories(struct buf *b)
{
    buf_puts(b, "{\"categories\":[");
    for (size_t i = 0; i < categories_count; i++) {
        const struct category *c = &categories[i];
        buf_puts(b, i ? ",{" : "{");
        buf_json_kv(b, "code", c->code);
        buf_json_kv(b, "zh", c->zh);
        buf_json_kv(b, "en", c->en);
        buf_json_kv(b, "description_zh", c->zh_help);
        buf_json_kv(b, "description_en", c->en_help);
        buf_puts(b, "}");
    }
    buf_puts(b, "]}");
}

void api_categories(struct call *call, struct http_req *req)
{
    http_add_header(req, "Cache-Control", "public, max-age=3600");
    http_respond(req, 200, "application/json; charset=utf-8", call->api->categories.p,
                 call->api->categories.len);
}

/* ---- the shared context -------------------------------------------------------------- */

struct api *api_new(const struct conf *conf, const struct keys *keys, struct store *store,
                    struct rules_live *rules, struct model_live *model, long shards)
{
    struct api *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    api->conf = conf;
    api->keys = keys;
    api->store = store;
    api->rules = rules;
    api->model = model;
    render_categories(&api->categories);
    pthread_mutex_init(&api->layout_lock, NULL);
    api->pwcheck = pwcheck_new((int)conf->login_threads, (int)conf->login_queue);
    if (api->categories.oom || !api->pwcheck || layout_start(api, shards) < 0) {
        api_free(api);
        return NULL;
    }
    return api;
}

void api_free(struct api *api)
{
    if (!api)
        return;
    layout_stop(api);
    pwcheck_free(api->pwcheck);
    pthread_mutex_destroy(&api->layout_lock);
    buf_free(&api->categories);
    free(api);
}
