/* intake — reports in: POST /api/v1/reports and /api/v1/reports/batch, and the web form's
 * report through reports_submit_one (call.h). Each report is validated, triaged by the rules
 * and the model in force (rules/triage.h; the reviewers' copies redacted), sealed, and written with one FCALL jb_report per
 * report, all of a request in one store job; the answers are read back into the request's
 * items (reports_finish). Who reports is a pseudonym of the client's address (today's, and
 * yesterday's so that limits and retries hold across midnight) or the platform key.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "fcall.h"
#include "jdoc.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "schema.h"
#include "triage.h"

struct scope {
    char reporter[CRYPTO_HEX_LEN + 2];   /* pseudonym, or p:<key hash> */
    char reporter_prev[CRYPTO_HEX_LEN + 2]; /* yesterday's pseudonym (or reporter again), so
                                          * that limits and retries hold across midnight */
    char rate_key[128], rate_key_prev[128];
    long rate_cap, rate_window_ms;
    const char *idem_key;                /* the Idempotency-Key header, or NULL */
    char body_hash[CRYPTO_HEX_LEN];
};

/* What triage says of one report: stored with the case and the report. */
struct verdict {
    struct buf categories, hits;  /* comma-separated */
    struct buf scores;            /* "cat:score:source,...", triage_scores */
    int severity, priority;
    char *title, *description;    /* the reviewers' copies, personal data redacted; or NULL */
};

/* Frees what v holds and zeroes it, so that freeing twice is harmless. */
static void verdict_free(struct verdict *v)
{
    buf_free(&v->categories);
    buf_free(&v->hits);
    buf_free(&v->scores);
    free(v->title);
    free(v->description);
    memset(v, 0, sizeof *v);
}

/* Triages the report (m may be NULL: the rules alone) and redacts the reviewers' copies of
 * its text. Returns 0, or -1 when memory ran out (v is then freed). */
static int classify(const struct ruleset *rs, const struct model *m, const struct report *r,
                    struct verdict *v)
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
        verdict_free(v);
        return -1;
    }
    return 0;
}

/* The name of the idempotency record of report `index` of this request (a single report
 * is index 0): a keyed hash of the reporter's scope, the Idempotency-Key and the index; or
 * "none" without an Idempotency-Key. */
static void idem_key_name(const struct api *api, const struct scope *sc, const char *reporter,
                          size_t index, char out[CRYPTO_HEX_LEN])
{
    if (!sc->idem_key) {
        snprintf(out, CRYPTO_HEX_LEN, "none");
        return;
    }
    struct buf s = {0};
    buf_printf(&s, "%s\n%s\n%zu", reporter, sc->idem_key, index);
    crypto_keyed_hash(api->keys, CRYPTO_IDEMPOTENCY, s.p ? s.p : "", s.len, out);
    buf_free(&s);
}

/* Appends one jb_report call for report `index` of the request as command `cmd` of the job.
 * Returns 0, or -1 when out of memory. */
static int add_report_call(struct call *call, struct item *it, const struct report *r,
                           const struct verdict *v, const struct scope *sc, size_t index,
                           int cmd)
{
    const struct api *api = call->api;
    char url_hash[CRYPTO_HEX_LEN], idem[CRYPTO_HEX_LEN], idem_prev[CRYPTO_HEX_LEN],
        secret_hash[CRYPTO_HEX_LEN], fp[CRYPTO_HEX_LEN], iso[32];
    crypto_random_id('R', it->id);
    crypto_random_id('C', it->case_id);
    crypto_random_secret(it->secret);
    crypto_digest(r->canon.canonical, strlen(r->canon.canonical), url_hash);
    crypto_keyed_hash(api->keys, CRYPTO_SECRET, it->secret, strlen(it->secret), secret_hash);
    report_fingerprint(api->keys, r, fp);
    idem_key_name(api, sc, sc->reporter, index, idem);
    idem_key_name(api, sc, sc->reporter_prev, index, idem_prev);
    long long now = wall_ms();
    isotime_format((time_t)(now / 1000), iso);
    char *sealed = report_seal(api->keys, it->id, r);
    char *box = sc->idem_key ? crypto_wrap(api->keys, it->secret) : NULL;
    if (!sealed || (sc->idem_key && !box)) {
        free(sealed);
        free(box);
        return -1;
    }
    size_t locked_len = 0;
    unsigned char *locked = call->evidence ? crypto_lock(api->keys, call->evidence,
                                                         call->evidence_len, &locked_len)
                                           : NULL;
    const struct conf *c = api->conf;
    struct fcall_report_in in = {
        .url_hash = url_hash, .id = it->id, .new_case = it->case_id, .now_ms = now, .iso = iso,
        .category = r->cat->code, .canonical = r->canon.canonical, .domain = r->canon.domain,
        .original = r->canon.original, .reporter = sc->reporter,
        .reporter_prev = sc->reporter_prev, .key_hash = call->has_key ? call->key_hash : NULL,
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
        .evidence_type = locked ? call->evidence_type : NULL, .evidence = locked,
        .evidence_len = locked_len, .evidence_plain_len = (long long)call->evidence_len,
        .evidence_budget = c->rate_limit && !call->has_key ? c->evidence_budget_daily : 0,
        .retention_s = c->retention_days * 86400L,
        .pow_offered = sc->rate_cap ? call->pow_bits : 0, .pow_bits = c->pow_bits,
        .pow_extra = c->pow_extra};
    it->cmd = cmd;
    int rc = fcall_report(call->job, &in);
    free(locked);
    if (call->evidence && !locked)
        rc = -1;
    free(sealed);
    free(box);
    return rc;
}

/* Works out who is reporting: the rate-limit bucket, the reporter for distinct counts and the
 * scope of idempotency keys. Returns 0, or -1 when today's pseudonym key is not there yet
 * (Redis has not been reached since the gateway started). */
static int make_scope(struct call *call, struct http_req *req, struct scope *sc)
{
    const struct conf *c = call->api->conf;
    memset(sc, 0, sizeof *sc);
    if (call->has_key) {
        snprintf(sc->reporter, sizeof sc->reporter, "p:%.32s", call->key_hash);
        memcpy(sc->reporter_prev, sc->reporter, sizeof sc->reporter);
        sc->rate_cap = c->rate_platform;
        sc->rate_window_ms = c->rate_platform_window * 1000;
    } else {
        time_t now = time(NULL);
        if (client_pseudonym(call, req, now, sc->reporter) < 0)
            return -1;
        if (client_pseudonym(call, req, now - 86400, sc->reporter_prev) < 0)
            memcpy(sc->reporter_prev, sc->reporter, sizeof sc->reporter);
        sc->rate_cap = c->rate_anon;
        sc->rate_window_ms = c->rate_anon_window * 1000;
    }
    if (!c->rate_limit)
        sc->rate_cap = 0;
    snprintf(sc->rate_key, sizeof sc->rate_key, SCHEMA_PREFIX "rl:%s", sc->reporter);
    snprintf(sc->rate_key_prev, sizeof sc->rate_key_prev, SCHEMA_PREFIX "rl:%s",
             sc->reporter_prev);
    sc->idem_key = http_header(req, "Idempotency-Key");
    if (sc->idem_key) {
        size_t len;
        const char *body = http_body(req, &len);
        crypto_keyed_hash(call->api->keys, CRYPTO_IDEMPOTENCY, body, len, sc->body_hash);
    }
    return 0;
}


/* Validates each report object in arr (or obj alone when arr is NULL), queues the valid ones
 * in one store job and suspends the request. Answers 503 itself when out of memory. */
static void submit_reports(struct call *call, struct http_req *req, const struct jdoc *arr,
                           const struct jdoc *obj)
{
    struct scope sc;
    if (make_scope(call, req, &sc) < 0) {
        answer_unavailable(req);
        return;
    }
    call->nitems = arr ? jdoc_size(arr) : 1;
    call->items = calloc(call->nitems, sizeof *call->items);
    if (!call->items) {
        answer_error(req, 503, "overloaded", "out of memory", NULL);
        return;
    }
    if (job_begin(call, req, NULL, 0) < 0)
        return;
    int queued = 0;
    const struct ruleset *rs = rules_acquire(call->api->rules);
    const struct model *m = model_acquire(call->api->model);
    for (size_t i = 0; i < call->nitems; i++) {
        struct item *it = &call->items[i];
        struct report r;
        struct verdict v;
        it->cmd = -1;
        if (report_validate(arr ? jdoc_at(arr, i) : obj, call->api->conf, &r, &it->err) < 0) {
            it->status = it->err.status;
            continue;
        }
        if (classify(rs, m, &r, &v) < 0 || add_report_call(call, it, &r, &v, &sc, i, queued) < 0)
            it->status = 503;
        else
            queued++;
        verdict_free(&v);
        report_free(&r);
    }
    model_release(call->api->model, m);
    rules_release(call->api->rules, rs);
    if (queued == 0)
        reports_finish(call, req);
    else
        job_send(call, req);
}

/* Reads the jb_report reply of one item into its status. */
static void take_reply(struct call *call, struct item *it)
{
    struct fcall_report_out out;
    char err[256];
    if (fcall_report_reply(store_job_reply(call->job, it->cmd), &out, err, sizeof err) < 0) {
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
            if (crypto_unwrap(call->api->keys, out.secret_box, it->secret,
                              sizeof it->secret) < 0)
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

/* The error of an item that was not stored, as code and message. */
static void item_error(const struct item *it, const char **code, const char **message,
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

static void receipt_fields(struct buf *b, const struct item *it)
{
    buf_json_kv(b, "id", it->id);
    buf_json_kv(b, "case", it->case_id);
    buf_printf(b, ",\"duplicate\":%s", it->duplicate ? "true" : "false");
}

static void finish_single(struct http_req *req, struct item *it)
{
    if (it->status != 202) {
        const char *code, *message, *field;
        item_error(it, &code, &message, &field);
        answer_error_retry(req, it->status, code, message, field, it->retry_after);
        return;
    }
    struct buf b = {0};
    buf_puts(&b, "{");
    receipt_fields(&b, it);
    buf_json_kv(&b, "secret", it->secret);
    buf_json_kv(&b, "status", "received");
    buf_printf(&b, ",\"status_url\":\"" API_REPORTS "/%s\"}", it->id);
    char location[64];
    snprintf(location, sizeof location, API_REPORTS "/%s", it->id);
    http_add_header(req, "Cache-Control", "no-store");
    http_add_header(req, "Location", location);
    answer_json(req, 202, &b);
}

static void finish_batch(struct http_req *req, struct call *call)
{
    struct buf b = {0};
    bool any_401 = false;
    long retry = 0; /* the longest wait any refused item asks for */
    buf_puts(&b, "{\"results\":[");
    for (size_t i = 0; i < call->nitems; i++) {
        const struct item *it = &call->items[i];
        any_401 |= it->status == 401;
        if (it->status == 429 || it->status == 503) {
            retry = retry_of(it->retry_after) > retry ? retry_of(it->retry_after) : retry;
        }
        buf_printf(&b, "%s{\"index\":%zu,\"status\":%d", i ? "," : "", i, it->status);
        if (it->status == 202) {
            receipt_fields(&b, it);
            buf_json_kv(&b, "secret", it->secret);
            buf_printf(&b, ",\"status_url\":\"" API_REPORTS "/%s\"", it->id);
        } else {
            const char *code, *message, *field;
            item_error(it, &code, &message, &field);
            buf_puts(&b, ",\"error\":");
            error_object(&b, code, message, field);
            if (it->status == 429 || it->status == 503)
                buf_printf(&b, ",\"retry_after\":%ld", retry_of(it->retry_after));
        }
        buf_puts(&b, "}");
    }
    buf_puts(&b, "]}");
    if (any_401) {
        buf_free(&b);
        answer_error(req, 401, "unauthorized", "unknown or revoked API key", NULL);
        return;
    }
    if (retry) {
        char n[24];
        snprintf(n, sizeof n, "%ld", retry);
        http_add_header(req, "Retry-After", n);
    }
    http_add_header(req, "Cache-Control", "no-store");
    answer_json(req, 200, &b);
}

void reports_finish(struct call *call, struct http_req *req)
{
    bool stored = call->job && store_job_ok(call->job) == 0;
    for (size_t i = 0; i < call->nitems; i++) {
        struct item *it = &call->items[i];
        if (it->status == 0 && it->cmd >= 0) {
            if (stored)
                take_reply(call, it);
            else
                it->status = 503;
            if (it->status == 503)
                metrics_add(M_REDIS_ERRORS, 1);
        }
    }
    if (call->route == ROUTE_BATCH)
        finish_batch(req, call);
    else if (call->route == ROUTE_WEB_REPORT)
        web_report_done(call, req);
    else
        finish_single(req, &call->items[0]);
}

void reports_submit_one(struct call *call, struct http_req *req, const struct jdoc *obj)
{
    submit_reports(call, req, NULL, obj);
}

/* POST /api/v1/reports and /api/v1/reports/batch, once the body is in. */
void reports_handle(struct call *call, struct http_req *req)
{
    const char *idem = http_header(req, "Idempotency-Key");
    if (idem && !report_idempotency_key_valid(idem)) {
        answer_error(req, 400, "invalid_idempotency_key",
                     "Idempotency-Key must be 1 to 128 printable ASCII characters",
                     "Idempotency-Key");
        return;
    }
    size_t len;
    const char *body = http_body(req, &len);
    char why[160];
    call->doc = jdoc_parse(body, len, (int)call->api->conf->json_depth_max, why, sizeof why);
    if (!call->doc) {
        char msg[200];
        snprintf(msg, sizeof msg, "the body is not valid JSON: %s", why);
        answer_error(req, 400, "invalid_json", msg, NULL);
        return;
    }
    if (call->route == ROUTE_REPORTS) {
        submit_reports(call, req, NULL, call->doc);
        return;
    }
    const struct jdoc *reports = jdoc_get(call->doc, "reports");
    long max = call->api->conf->batch_max;
    if (jdoc_size(call->doc) != 1 || !reports)
        answer_error(req, 400, "invalid_batch", "the body must be {\"reports\": [ … ]}", NULL);
    else if (jdoc_type(reports) != JDOC_ARRAY || jdoc_size(reports) == 0)
        answer_error(req, 400, "invalid_batch", "reports must be a non-empty array", "reports");
    else if (jdoc_size(reports) > (size_t)max) {
        snprintf(why, sizeof why, "a batch holds at most %ld reports", max);
        answer_error(req, 413, "batch_too_large", why, "reports");
    } else
        submit_reports(call, req, reports, NULL);
}
