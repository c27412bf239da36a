/* intake — see intake.h. */
#include "intake.h"

#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "jdoc.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "rules.h"
#include "schema.h"
#include "triage.h"

void intake_verdict_free(struct intake_verdict *v)
{
    buf_free(&v->categories);
    buf_free(&v->hits);
    buf_free(&v->scores);
    free(v->title);
    free(v->description);
    memset(v, 0, sizeof *v);
}

int intake_classify(const struct ruleset *rs, const struct model *m, const struct report *r,
                    struct intake_verdict *v)
{
    memset(v, 0, sizeof *v);
    struct rules_input in = {0};
    in.text[RULES_URL] = r->canon.canonical;
    in.len[RULES_URL] = strlen(r->canon.canonical);
    in.text[RULES_TITLE] = r->title.s;
    in.len[RULES_TITLE] = r->title.len;
    in.text[RULES_DESCRIPTION] = r->description.s;
    in.len[RULES_DESCRIPTION] = r->description.len;
    struct triage_result res;
    if (triage_run(rs, m, &in, &res) < 0)
        return -1;
    triage_lists(&res, &v->categories, &v->hits);
    triage_scores(&res, true, &v->scores);
    v->severity = res.rules.severity;
    v->priority = res.rules.priority;
    if (r->title.s)
        v->title = rules_redact(rs, r->title.s, r->title.len, NULL, NULL);
    if (r->description.s)
        v->description = rules_redact(rs, r->description.s, r->description.len, NULL, NULL);
    if (v->categories.oom || v->hits.oom || v->scores.oom || (r->title.s && !v->title) ||
        (r->description.s && !v->description)) {
        intake_verdict_free(v);
        return -1;
    }
    return 0;
}

/* The Redis key of the idempotency record of report `index` of this request (a single report
 * is index 0): a keyed hash of the reporter's scope, the Idempotency-Key and the index. */
static void idem_key_name(const struct intake_scope *sc, const char *reporter, size_t index,
                          char out[128])
{
    if (!sc->idem_key) {
        schema_key(out, 128, "idem", "none");
        return;
    }
    struct buf s = {0};
    buf_printf(&s, "%s\n%s\n%zu", reporter, sc->idem_key, index);
    char h[CRYPTO_HEX_LEN];
    crypto_keyed_hash(sc->keys, CRYPTO_IDEMPOTENCY, s.p ? s.p : "", s.len, h);
    buf_free(&s);
    schema_key(out, 128, "idem", h);
}

int intake_command(struct store_job *j, const struct intake_scope *sc, struct intake *in,
                   size_t index, const struct report *r, const struct intake_verdict *v,
                   int cmd)
{
    const struct conf *c = sc->conf;
    const struct keys *k = sc->keys;
    struct intake_item *it = &in->items[index];
    char url_hash[CRYPTO_HEX_LEN], k_url[128], k_report[64], k_idem[128], k_idem_prev[128],
        k_key[128], k_pow[128], k_evidence[128], secret_hash[CRYPTO_HEX_LEN], fp[CRYPTO_HEX_LEN],
        iso[32];
    crypto_random_id('R', it->id);
    crypto_random_id('C', it->case_id);
    crypto_random_secret(it->secret);
    crypto_digest(r->canon.canonical, strlen(r->canon.canonical), url_hash);
    crypto_keyed_hash(k, CRYPTO_SECRET, it->secret, strlen(it->secret), secret_hash);
    report_fingerprint(k, r, fp);
    schema_key(k_url, sizeof k_url, "caseurl", url_hash);
    schema_key(k_report, sizeof k_report, "report", it->id);
    schema_key(k_key, sizeof k_key, "apikey", sc->key_hash);
    idem_key_name(sc, sc->reporter, index, k_idem);
    idem_key_name(sc, sc->reporter_prev, index, k_idem_prev);
    schema_key(k_pow, sizeof k_pow, "powx", sc->reporter);
    schema_key(k_evidence, sizeof k_evidence, "evb", sc->reporter);
    long long now = call_wall_ms();
    isotime_format((time_t)(now / 1000), iso);
    char *sealed = report_seal(k, it->id, r);
    char *box = sc->idem_key ? crypto_wrap(k, it->secret) : NULL;
    if (!sealed || (sc->idem_key && !box)) {
        free(sealed);
        free(box);
        return -1;
    }
    it->cmd = cmd;
    store_job_command(j, "FCALL");
    store_job_argstr(j, "jb_report");
    store_job_argstr(j, "10");
    const char *keys[] = {k_url, k_report,          SCHEMA_INTAKE, sc->rate_key, k_idem,
                          k_key, sc->rate_key_prev, k_idem_prev,   k_pow,        k_evidence};
    for (int i = 0; i < 10; i++)
        store_job_argstr(j, keys[i]);
    store_job_argstr(j, SCHEMA_PREFIX);
    store_job_argstr(j, it->id);
    store_job_argstr(j, it->case_id);
    store_job_argll(j, now);
    store_job_argstr(j, iso);
    store_job_argstr(j, r->cat->code);
    store_job_argstr(j, r->canon.canonical);
    store_job_argstr(j, r->canon.domain);
    store_job_argstr(j, r->canon.original);
    store_job_argstr(j, sc->reporter);
    store_job_argstr(j, sc->platform ? "1" : "0");
    store_job_argll(j, sc->rate_cap);
    store_job_argll(j, sc->rate_window_ms);
    store_job_argstr(j, sc->idem_key ? sc->body_hash : "");
    store_job_argll(j, c->idempotency_ttl);
    store_job_argstr(j, secret_hash);
    store_job_argstr(j, box ? box : "");
    store_job_argstr(j, sealed);
    store_job_arg(j, r->platform_ref.s ? r->platform_ref.s : "", r->platform_ref.len);
    store_job_arg(j, r->language.s ? r->language.s : "", r->language.len);
    store_job_argstr(j, fp);
    store_job_argstr(j, v->categories.p);
    store_job_argstr(j, v->hits.p);
    store_job_argll(j, v->severity);
    store_job_argll(j, v->priority);
    store_job_argstr(j, v->title ? v->title : "");
    store_job_argstr(j, v->description ? v->description : "");
    store_job_argll(j, c->no_violation_window * 86400000LL);
    size_t locked_len = 0;
    unsigned char *locked =
        in->evidence ? crypto_lock(k, in->evidence, in->evidence_len, &locked_len) : NULL;
    store_job_argstr(j, locked ? in->evidence_type : "");
    store_job_arg(j, locked ? (const char *)locked : "", locked_len);
    store_job_argll(j, c->retention_days * 86400L);
    store_job_argll(j, sc->rate_cap ? in->pow_bits : 0);
    store_job_argll(j, c->pow_bits);
    store_job_argll(j, c->pow_extra);
    store_job_argll(j, c->rate_limit && !sc->platform ? c->evidence_budget_daily : 0);
    store_job_argll(j, locked ? (long long)in->evidence_len : 0);
    int rc = store_job_argstr(j, v->scores.p);
    free(locked);
    if (in->evidence && !locked)
        rc = -1;
    free(sealed);
    free(box);
    return rc;
}

int intake_scope_make(struct intake_scope *sc, const struct conf *c, const struct keys *k,
                      const char *key_hash, const char *client, time_t now,
                      const char *idem_key, const char *body, size_t len)
{
    memset(sc, 0, sizeof *sc);
    sc->conf = c;
    sc->keys = k;
    snprintf(sc->key_hash, sizeof sc->key_hash, "%s", key_hash ? key_hash : "none");
    if (key_hash) {
        sc->platform = true;
        snprintf(sc->reporter, sizeof sc->reporter, "p:%.32s", key_hash);
        memcpy(sc->reporter_prev, sc->reporter, sizeof sc->reporter);
        sc->rate_cap = c->rate_platform;
        sc->rate_window_ms = c->rate_platform_window * 1000;
    } else {
        if (crypto_pseudonym(k, client, now, sc->reporter) < 0)
            return -1;
        if (crypto_pseudonym(k, client, now - 86400, sc->reporter_prev) < 0)
            memcpy(sc->reporter_prev, sc->reporter, sizeof sc->reporter);
        sc->rate_cap = c->rate_anon;
        sc->rate_window_ms = c->rate_anon_window * 1000;
    }
    if (!c->rate_limit)
        sc->rate_cap = 0;
    snprintf(sc->rate_key, sizeof sc->rate_key, SCHEMA_PREFIX "rl:%s", sc->reporter);
    snprintf(sc->rate_key_prev, sizeof sc->rate_key_prev, SCHEMA_PREFIX "rl:%s",
             sc->reporter_prev);
    sc->idem_key = idem_key;
    if (idem_key)
        crypto_keyed_hash(k, CRYPTO_IDEMPOTENCY, body, len, sc->body_hash);
    return 0;
}

/* Validates item i of in (report object obj) and appends its jb_report to the request's job
 * as command *queued, counting it there. */
static void queue_item(struct call *call, struct intake *in, size_t i, const struct jdoc *obj,
                       const struct intake_scope *sc, const struct ruleset *rs,
                       const struct model *m, int *queued)
{
    struct intake_item *it = &in->items[i];
    struct report r;
    struct intake_verdict v;
    it->cmd = -1;
    if (report_validate(obj, call->api->conf, &r, &it->err) < 0) {
        it->status = it->err.status;
        return;
    }
    if (intake_classify(rs, m, &r, &v) < 0 ||
        intake_command(call->job, sc, in, i, &r, &v, *queued) < 0)
        it->status = 503;
    else
        (*queued)++;
    intake_verdict_free(&v);
    report_free(&r);
}

int intake_submit(struct call *call, struct http_req *req, struct intake *in,
                  const struct jdoc *arr, const struct jdoc *obj)
{
    struct intake_scope sc;
    size_t len;
    const char *body = http_body(req, &len);
    if (intake_scope_make(&sc, call->api->conf, call->api->keys,
                          call->has_key ? call->key_hash : NULL, http_client(req), time(NULL),
                          http_header(req, "Idempotency-Key"), body, len) < 0) {
        call_answer_unavailable(req);
        return -1;
    }
    in->nitems = arr ? jdoc_size(arr) : 1;
    in->items = calloc(in->nitems, sizeof *in->items);
    if (!in->items) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return -1;
    }
    if (call_job_begin(call, req, NULL, 0) < 0)
        return -1;
    int queued = 0;
    const struct ruleset *rs = rules_acquire(call->api->rules);
    const struct model *m = model_acquire(call->api->model);
    for (size_t i = 0; i < in->nitems; i++)
        queue_item(call, in, i, arr ? jdoc_at(arr, i) : obj, &sc, rs, m, &queued);
    model_release(call->api->model, m);
    rules_release(call->api->rules, rs);
    if (queued == 0)
        return 0;
    call_job_send(call, req);
    return 1;
}

void intake_read_item(const struct keys *k, const struct store_reply *r,
                      struct intake_item *it)
{
    const struct store_reply *kind = store_reply_at(r, 0);
    if (store_reply_is(kind, "ok") || store_reply_is(kind, "idem")) {
        const char *cid = store_reply_str(store_reply_at(r, 2), NULL);
        snprintf(it->id, sizeof it->id, "%s", store_reply_str(store_reply_at(r, 1), NULL));
        snprintf(it->case_id, sizeof it->case_id, "%s", cid);
        it->duplicate = store_reply_is(store_reply_at(r, 3), "1");
        it->status = 202;
        if (store_reply_is(kind, "idem")) {
            metrics_add(M_IDEMPOTENT_REPLAYS, 1);
            if (crypto_unwrap(k, store_reply_str(store_reply_at(r, 4), NULL),
                             it->secret, sizeof it->secret) < 0)
                it->status = 503;
            return;
        }
        metrics_add(M_REPORTS_ACCEPTED, 1);
        metrics_add(M_DUPLICATES, it->duplicate);
    } else if (store_reply_is(kind, "conflict")) {
        it->status = 409;
    } else if (store_reply_is(kind, "ratelimited")) {
        it->status = 429;
        it->retry_after = atol(store_reply_str(store_reply_at(r, 1), NULL));
        it->pow_next = atoi(store_reply_str(store_reply_at(r, 2), NULL));
        metrics_add(M_RATE_LIMITED, 1);
    } else if (store_reply_is(kind, "evidence_budget")) {
        it->status = 429;
        it->evidence_over = true;
        it->retry_after = atol(store_reply_str(store_reply_at(r, 1), NULL));
        metrics_add(M_RATE_LIMITED, 1);
    } else if (store_reply_is(kind, "unauthorized")) {
        it->status = 401;
    } else {
        if (store_reply_type(r) == STORE_ERROR) {
            const char *e = store_reply_str(r, NULL);
            log_error("redis: jb_report: %s", e);
            if (strncmp(e, "OOM", 3) == 0)
                metrics_add(M_REDIS_FULL, 1); /* nothing was written: Redis checks first */
        }
        it->status = 503;
    }
}

void intake_read(const struct call *call, struct intake *in)
{
    bool stored = call->job && store_job_ok(call->job) == 0;
    for (size_t i = 0; i < in->nitems; i++) {
        struct intake_item *it = &in->items[i];
        if (it->status == 0 && it->cmd >= 0) {
            if (stored)
                intake_read_item(call->api->keys, store_job_reply(call->job, it->cmd), it);
            else
                it->status = 503;
            if (it->status == 503)
                metrics_add(M_REDIS_ERRORS, 1);
        }
    }
}

void intake_free(struct intake *in)
{
    free(in->items);
    memset(in, 0, sizeof *in);
}

void intake_receipt(struct buf *b, const struct intake_item *it, bool batch)
{
    buf_json_kv(b, "id", it->id);
    buf_json_kv(b, "case", it->case_id);
    buf_printf(b, ",\"duplicate\":%s", it->duplicate ? "true" : "false");
    buf_json_kv(b, "secret", it->secret);
    if (!batch)
        buf_json_kv(b, "status", "received");
    buf_printf(b, ",\"status_url\":\"" API_REPORTS "/%s\"", it->id);
}
