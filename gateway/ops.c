/* ops — see ops.h. */
#include "ops.h"

#include <time.h>

#include "fcall_review.h"
#include "metrics.h"
#include "referral.h"
#include "modelstore.h"
#include "review.h"
#include "rules.h"

void ops_healthz(struct call *call, struct http_req *req)
{
    (void)call;
    static const char healthy[] = "{\"status\":\"ok\"}";
    http_respond(req, 200, "application/json", healthy, sizeof healthy - 1);
}

void ops_readyz(struct call *call, struct http_req *req)
{
    const char *args[] = {"PING"};
    if (call_job_begin(call, req, args, 1) == 0)
        call_job_send(call, req);
}

void ops_readyz_done(struct call *call, struct http_req *req)
{
    const struct store_reply *r = store_job_reply(call->job, 0);
    if (store_reply_type(r) != STORE_STATUS) {
        call_answer_error(req, 503, "not_ready", "redis: not answering", NULL);
        return;
    }
    char probe[CRYPTO_PSEUDO_LEN];
    if (crypto_pseudonym(call->api->keys, "", time(NULL), probe) < 0) {
        call_answer_error(req, 503, "not_ready", "today's pseudonym key is not loaded yet",
                          NULL);
        return;
    }
    const struct ruleset *rs = rules_acquire(call->api->rules);
    struct buf b = {0};
    buf_printf(&b, "{\"status\":\"ready\",\"redis\":\"ok\",\"rules\":%zu}", rules_count(rs));
    rules_release(call->api->rules, rs);
    call_answer_json(req, 200, &b);
}

/* The retrainings of every worker, counted in Redis (jb_model_stats). */
static void render_model_stats(struct buf *b, const struct store_reply *r)
{
    struct fcall_model_stats_out st;
    char err[128];
    if (fcall_model_stats_reply(r, &st, err, sizeof err) < 0)
        return;
    buf_puts(b, "# HELP jubao_model_retrain_total Retrainings of the triage model by the "
                "workers, by result.\n# TYPE jubao_model_retrain_total counter\n");
    const long long n[] = {st.installed, st.worse, st.failed};
    static const char *const results[] = {"installed", "worse", "failed"};
    for (size_t i = 0; i < 3; i++)
        buf_printf(b, "jubao_model_retrain_total{result=\"%s\"} %lld\n", results[i], n[i]);
}

/* /metrics, on the metrics listener only: the gateway's own counters and the rules' at once,
 * then the review figures that live in Redis (left out, not failed, when Redis does not
 * answer). */
void ops_metrics(struct call *call, struct http_req *req)
{
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_model_stats(call->job);
        review_stats_begin(call);
        referral_stats_begin(call);
        call_job_send(call, req);
    }
}

void ops_metrics_done(struct call *call, struct http_req *req)
{
    struct buf b = {0};
    metrics_render(&b);
    const struct ruleset *rs = rules_acquire(call->api->rules);
    rules_metrics(rs, &b);
    rules_release(call->api->rules, rs);
    modelstore_metrics(&b);
    if (store_job_ok(call->job) == 0) {
        review_render_stats(&b, call, 1);
        size_t at = 1 + (size_t)review_stats_calls(call);
        referral_render_stats(&b, call->job, (int)at);
        render_model_stats(&b, store_job_reply(call->job, 0));
    }
    if (b.oom)
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
    else
        http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
    buf_free(&b);
}
