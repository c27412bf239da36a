/* intake — see intake.h. */
#include "intake.h"

#include <stdlib.h>
#include <string.h>

#include "fcall.h"
#include "isotime.h"
#include "jdoc.h"
#include "log.h"
#include "metrics.h"
#include "model.h"
#include "rules.h"
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

/* The name of the idempotency record of report `index` of this request (a single report is
 * index 0): a keyed hash of the reporter's scope, the Idempotency-Key and the index; or
 * "none" without an Idempotency-Key. */
static void idem_key_name(const struct intake_scope *sc, const char *reporter, size_t index,
                          char out[CRYPTO_HEX_LEN])
{
    if (!sc->idem_key) {
        snprintf(out, CRYPTO_HEX_LEN, "none");
        return;
    }
    struct buf s = {0};
    buf_printf(&s, "%s\n%s\n%zu", reporter, sc->idem_key, index);
    crypto_keyed_hash(sc->keys, CRYPTO_IDEMPOTENCY, s.p ? s.p : "", s.len, out);
    buf_free(&s);
}

int intake_command(struct store_job *j, const struct intake_scope *sc, struct intake *in,
                   size_t index, const struct report *r, const struct intake_verdict *v,
                   int cmd)
{
    const struct conf *c = sc->conf;
    const struct keys *k = sc->keys;
    struct intake_item *it = &in->items[index];
    char url_hash[CRYPTO_HEX_LEN], idem[CRYPTO_HEX_LEN], idem_prev[CRYPTO_HEX_LEN],
        secret_hash[CRYPTO_HEX_LEN], fp[CRYPTO_HEX_LEN], iso[32];
    crypto_random_id('R', it->id);
    crypto_random_id('C', it->case_id);
    crypto_random_secret(it->secret);
    crypto_digest(r->canon.canonical, strlen(r->canon.canonical), url_hash);
    crypto_keyed_hash(k, CRYPTO_SECRET, it->secret, strlen(it->secret), secret_hash);
    report_fingerprint(k, r, fp);
    idem_key_name(sc, sc->reporter, index, idem);
    idem_key_name(sc, sc->reporter_prev, index, idem_prev);
    long long now = call_wall_ms();
    isotime_format((time_t)(now / 1000), iso);
    char *sealed = report_seal(k, it->id, r);
    char *box = sc->idem_key ? crypto_wrap(k, it->secret) : NULL;
    if (!sealed || (sc->idem_key && !box)) {
        free(sealed);
        free(box);
        return -1;
    }
    size_t locked_len = 0;
    unsigned char *locked =
        in->evidence ? crypto_lock(k, in->evidence, in->evidence_len, &locked_len) : NULL;
    struct fcall_report_in fin = {
        .url_hash = url_hash, .id = it->id, .new_case = it->case_id, .now_ms = now, .iso = iso,
        .category = r->cat->code, .canonical = r->canon.canonical, .domain = r->canon.domain,
        .original = r->canon.original, .reporter = sc->reporter,
        .reporter_prev = sc->reporter_prev, .key_hash = sc->platform ? sc->key_hash : NULL,
        .rate_cap = sc->rate_cap, .rate_window_ms = sc->rate_window_ms,
        .idem_hash = sc->idem_key ? idem : NULL, .idem_hash_prev = idem_prev,
        .body_hash = sc->body_hash, .idem_ttl_s = c->idempotency_ttl,
        .secret_hash = secret_hash, .secret_box = box, .sealed = sealed,
        .platform_ref = r->platform_ref.s, .platform_ref_len = r->platform_ref.len,
        .language = r->language.s, .language_len = r->language.len, .fingerprint = fp,
        .suggested = v->categories.p, .rule_hits = v->hits.p, .scores = v->scores.p,
        .severity = v->severity, .priority = v->priority, .title = v->title,
        .description = v->description,
        .no_violation_window_ms = c->no_violation_window * 86400000LL,
        .evidence_type = locked ? in->evidence_type : NULL, .evidence = locked,
        .evidence_len = locked_len, .evidence_plain_len = (long long)in->evidence_len,
        .evidence_budget = c->rate_limit && !sc->platform ? c->evidence_budget_daily : 0,
        .retention_s = c->retention_days * 86400L,
        .pow_offered = sc->rate_cap ? in->pow_bits : 0, .pow_bits = c->pow_bits,
        .pow_extra = c->pow_extra};
    it->cmd = cmd;
    int rc = fcall_report(j, &fin);
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
    struct fcall_report_out out;
    char err[256];
    if (fcall_report_reply(r, &out, err, sizeof err) < 0) {
        log_error("redis: jb_report: %s", err);
        if (strncmp(err, "OOM", 3) == 0)
            metrics_add(M_REDIS_FULL, 1); /* nothing was written: Redis checks first */
        it->status = 503;
        return;
    }
    switch (out.answer) {
    case FCALL_OK:
    case FCALL_IDEM:
        snprintf(it->id, sizeof it->id, "%s", out.id);
        snprintf(it->case_id, sizeof it->case_id, "%s", out.case_id);
        it->duplicate = out.duplicate;
        it->status = 202;
        if (out.answer == FCALL_IDEM) {
            metrics_add(M_IDEMPOTENT_REPLAYS, 1);
            if (crypto_unwrap(k, out.secret_box, it->secret, sizeof it->secret) < 0)
                it->status = 503;
            return;
        }
        metrics_add(M_REPORTS_ACCEPTED, 1);
        metrics_add(M_DUPLICATES, it->duplicate);
        break;
    case FCALL_CONFLICT: it->status = 409; break;
    case FCALL_EVIDENCE_BUDGET:
    case FCALL_RATELIMITED:
        it->status = 429;
        it->evidence_over = out.answer == FCALL_EVIDENCE_BUDGET;
        it->retry_after = out.retry_after;
        it->pow_next = out.pow_next;
        metrics_add(M_RATE_LIMITED, 1);
        break;
    case FCALL_UNAUTHORIZED: it->status = 401; break;
    default: it->status = 503; break;
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
