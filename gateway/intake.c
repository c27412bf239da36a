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
#include "schema.h"
#include "triage.h"

/* A round whose job failed within this many ms is sent again once (intake_read). */
#define INTAKE_RESEND_MS 200

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

int intake_command(struct store_job *j, const struct intake_scope *sc,
                   const struct shards *sh, struct intake *in, size_t index,
                   const struct report *r, int cmd)
{
    const struct conf *c = sc->conf;
    struct intake_item *it = &in->items[index];
    char url_hash[CRYPTO_HEX_LEN], idem[CRYPTO_HEX_LEN], idem_prev[CRYPTO_HEX_LEN];
    crypto_digest(r->canon.canonical, strlen(r->canon.canonical), url_hash);
    /* the ids name the shard of the case their URL opens or joins (lib/shard.h) */
    unsigned shard = shards_of_url(sh, url_hash);
    shards_id_new(sh, 'R', shard, it->id);
    shards_id_new(sh, 'C', shard, it->case_id);
    crypto_random_secret(it->secret);
    idem_key_name(sc, sc->reporter, index, idem);
    idem_key_name(sc, sc->reporter_prev, index, idem_prev);
    char *box = sc->idem_key ? crypto_wrap(sc->keys, it->secret) : NULL;
    if (sc->idem_key && !box)
        return -1;
    struct fcall_admit_in fin = {
        .prefix = sc->prefix, .now_ms = call_wall_ms(), .reporter = sc->reporter, .reporter_prev = sc->reporter_prev,
        .key_hash = sc->platform ? sc->key_hash : NULL, .rate_cap = sc->rate_cap,
        .rate_window_ms = sc->rate_window_ms, .idem_hash = sc->idem_key ? idem : NULL,
        .idem_hash_prev = idem_prev, .body_hash = sc->body_hash,
        .idem_ttl_s = c->idempotency_ttl, .id = it->id, .secret_box = box,
        .pow_offered = sc->rate_cap ? in->pow_bits : 0, .pow_bits = c->pow_bits,
        .pow_extra = c->pow_extra,
        .evidence_budget = c->rate_limit && !sc->platform ? c->evidence_budget_daily : 0,
        .evidence_plain_len = in->evidence ? (long long)in->evidence_len : 0};
    it->cmd = cmd;
    int rc = fcall_admit(j, &fin);
    free(box);
    return rc;
}

int intake_report_command(struct store_job *j, const struct intake_scope *sc,
                          const struct shards *sh, const struct intake *in,
                          struct intake_item *it, int cmd)
{
    const struct conf *c = sc->conf;
    const struct keys *k = sc->keys;
    const struct report *r = &it->report;
    const struct intake_verdict *v = &it->verdict;
    char url_hash[CRYPTO_HEX_LEN], secret_hash[CRYPTO_HEX_LEN], fp[CRYPTO_HEX_LEN], iso[32];
    crypto_digest(r->canon.canonical, strlen(r->canon.canonical), url_hash);
    crypto_keyed_hash(k, CRYPTO_SECRET, it->secret, strlen(it->secret), secret_hash);
    report_fingerprint(k, r, fp);
    long long now = call_wall_ms();
    isotime_format((time_t)(now / 1000), iso);
    char *sealed = report_seal(k, it->id, r);
    if (!sealed)
        return -1;
    size_t locked_len = 0;
    unsigned char *locked =
        in->evidence ? crypto_lock(k, in->evidence, in->evidence_len, &locked_len) : NULL;
    int shard = shards_of_id(sh, it->id);
    struct fcall_report_in fin = {
        .prefix = shards_prefix(sh, shard < 0 ? 0 : (unsigned)shard), .url_hash = url_hash,
        .id = it->id, .new_case = it->case_id, .now_ms = now, .iso = iso,
        .category = r->cat->code, .canonical = r->canon.canonical, .domain = r->canon.domain,
        .original = r->canon.original, .reporter = sc->reporter, .platform = it->platform,
        .secret_hash = secret_hash, .sealed = sealed,
        .platform_ref = r->platform_ref.s, .platform_ref_len = r->platform_ref.len,
        .language = r->language.s, .language_len = r->language.len, .fingerprint = fp,
        .suggested = v->categories.p, .rule_hits = v->hits.p, .scores = v->scores.p,
        .severity = v->severity, .priority = v->priority, .title = v->title,
        .description = v->description,
        .no_violation_window_ms = c->no_violation_window * 86400000LL,
        .evidence_type = locked ? in->evidence_type : NULL, .evidence = locked,
        .evidence_len = locked_len, .retention_s = c->retention_days * 86400L};
    it->cmd = cmd;
    int rc = fcall_report(j, &fin);
    free(locked);
    if (in->evidence && !locked)
        rc = -1;
    free(sealed);
    return rc;
}

int intake_scope_make(struct intake_scope *sc, const struct conf *c, const struct keys *k,
                      const struct shards *sh, const char *key_hash, const char *client, time_t now,
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
        global_prefix(sh, GLOBAL_KEY, key_hash, sc->prefix);
    } else {
        global_client_prefix(sh, k, client, sc->prefix);
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

/* Sends the job just built as the round in flight. */
static void send_round(struct call *call, struct http_req *req, struct intake *in, int round)
{
    in->round = round;
    in->sent_ms = call_wall_ms();
    call_job_send(call, req);
}

/* Validates item i of in (report object obj), triages it and appends its jb_admit to the
 * request's job as command *queued, counting it there; the report and its verdict are held
 * in the item for the jb_report round. */
static void queue_item(struct call *call, struct intake *in, size_t i, const struct jdoc *obj,
                       const struct ruleset *rs, const struct model *m, int *queued)
{
    struct intake_item *it = &in->items[i];
    it->cmd = -1;
    if (report_validate(obj, call->api->conf, &it->report, &it->err) < 0) {
        it->status = it->err.status;
        return;
    }
    if (intake_classify(rs, m, &it->report, &it->verdict) < 0) {
        report_free(&it->report);
        it->status = 503;
        return;
    }
    it->held = true;
    if (intake_command(call->job, in->scope, call->api->shards, in, i, &it->report,
                       *queued) < 0)
        it->status = 503;
    else
        (*queued)++;
}

int intake_submit(struct call *call, struct http_req *req, struct intake *in,
                  const struct jdoc *arr, const struct jdoc *obj)
{
    size_t len;
    const char *body = http_body(req, &len);
    in->nitems = arr ? jdoc_size(arr) : 1;
    in->items = calloc(in->nitems, sizeof *in->items);
    in->scope = malloc(sizeof *in->scope);
    if (!in->items || !in->scope) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return -1;
    }
    if (intake_scope_make(in->scope, call->api->conf, call->api->keys, call->api->shards,
                          call->has_key ? call->key_hash : NULL, http_client(req), time(NULL),
                          http_header(req, "Idempotency-Key"), body, len) < 0) {
        call_answer_unavailable(req);
        return -1;
    }
    if (call_job_begin(call, req, NULL, 0) < 0)
        return -1;
    int queued = 0;
    const struct ruleset *rs = rules_acquire(call->api->rules);
    const struct model *m = model_acquire(call->api->model);
    for (size_t i = 0; i < in->nitems; i++)
        queue_item(call, in, i, arr ? jdoc_at(arr, i) : obj, rs, m, &queued);
    model_release(call->api->model, m);
    rules_release(call->api->rules, rs);
    if (queued == 0)
        return 0;
    send_round(call, req, in, ROUND_ADMIT);
    return 1;
}

void intake_read_admit(const struct keys *k, const struct store_reply *r,
                       struct intake_item *it)
{
    struct fcall_admit_out out;
    char err[256];
    if (fcall_admit_reply(r, &out, err, sizeof err) < 0) {
        log_error("redis: jb_admit: %s", err);
        if (strncmp(err, "OOM", 3) == 0)
            metrics_add(M_REDIS_FULL, 1); /* nothing was written: Redis checks first */
        it->status = 503;
        return;
    }
    switch (out.answer) {
    case FCALL_OK:
        snprintf(it->platform, sizeof it->platform, "%s", out.platform);
        return;
    case FCALL_IDEM:
        metrics_add(M_IDEMPOTENT_REPLAYS, 1);
        it->replay = true;
        snprintf(it->platform, sizeof it->platform, "%s", out.platform);
        snprintf(it->id, sizeof it->id, "%s", out.id);
        if (crypto_unwrap(k, out.secret_box, it->secret, sizeof it->secret) < 0) {
            it->status = 503;
        } else if (out.case_id[0]) { /* a record from before the split: the report is stored */
            snprintf(it->case_id, sizeof it->case_id, "%s", out.case_id);
            it->duplicate = out.duplicate;
            it->status = 202;
        }
        return;
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

void intake_read_item(const struct store_reply *r, struct intake_item *it)
{
    struct fcall_report_out out;
    char err[256];
    if (fcall_report_reply(r, &out, err, sizeof err) < 0) {
        log_error("redis: jb_report: %s", err);
        if (strncmp(err, "OOM", 3) == 0)
            metrics_add(M_REDIS_FULL, 1);
        it->status = 503;
        return;
    }
    snprintf(it->case_id, sizeof it->case_id, "%s", out.case_id);
    it->duplicate = out.duplicate;
    it->status = 202;
    if (out.answer == FCALL_OK && !it->replay) {
        metrics_add(M_REPORTS_ACCEPTED, 1);
        metrics_add(M_DUPLICATES, it->duplicate);
    }
    if (out.answer == FCALL_OK && out.verdict[0] && it->platform[0]) {
        snprintf(it->feed[0], sizeof it->feed[0], "%s", out.verdict);
        snprintf(it->feed[1], sizeof it->feed[1], "%s", out.decision_category);
        snprintf(it->feed[2], sizeof it->feed[2], "%s", out.decided_at);
    }
}

/* Reads the replies of the round in flight into the items still pending: those of the
 * round's commands, or 503 for all when the job failed. */
static void read_round(const struct call *call, struct intake *in)
{
    bool stored = call->job && store_job_ok(call->job) == 0;
    for (size_t i = 0; i < in->nitems; i++) {
        struct intake_item *it = &in->items[i];
        if (it->status != 0 || it->cmd < 0)
            continue;
        const struct store_reply *r = stored ? store_job_reply(call->job, it->cmd) : NULL;
        if (!stored)
            it->status = 503;
        else if (in->round == ROUND_ADMIT)
            intake_read_admit(call->api->keys, r, it);
        else
            intake_read_item(r, it);
        if (it->status == 503)
            metrics_add(M_REDIS_ERRORS, 1);
    }
}

/* Appends to a new job, for every held item still pending, its jb_admit (admit: again, as its
 * first job failed at once, a connection found lost) or its jb_report (the items admitted).
 * Returns how many, or -1 having answered 503. */
static int queue_round(struct call *call, struct http_req *req, struct intake *in, bool admit)
{
    if (call_job_begin(call, req, NULL, 0) < 0)
        return -1;
    int queued = 0;
    for (size_t i = 0; i < in->nitems; i++) {
        struct intake_item *it = &in->items[i];
        if (it->status != 0 || !it->held)
            continue;
        int rc = admit ? intake_command(call->job, in->scope, call->api->shards, in, i,
                                        &it->report, queued)
                       : intake_report_command(call->job, in->scope, call->api->shards, in, it,
                                               queued);
        if (rc < 0)
            it->status = 503, it->cmd = -1;
        else
            queued++;
    }
    return queued;
}

/* Appends each stored platform report that joined a decided case to its platform's feed
 * (redis/common.lua, feed_add: one stream per platform under the global prefix, a slot of
 * its own, so a call of its own after jb_report). Returns how many. A gateway that stops
 * before this round leaves that one feed entry out: the case's decision is in the feed. */
static int queue_feed(struct call *call, struct http_req *req, struct intake *in)
{
    int queued = 0;
    for (size_t i = 0; i < in->nitems; i++) {
        struct intake_item *it = &in->items[i];
        if (it->status != 202 || !it->feed[0][0])
            continue;
        if (queued == 0 && call_job_begin(call, req, NULL, 0) < 0)
            return -1;
        char key[128];
        snprintf(key, sizeof key, SCHEMA_PREFIX "decisions:%s", it->platform);
        const struct field *ref = &it->report.platform_ref;
        const char *xadd[] = {"XADD", key, "*", "report", it->id, "case", it->case_id,
                              "verdict", it->feed[0], "category", it->feed[1], "decided_at",
                              it->feed[2], "platform_ref"};
        store_job_commandv(call->job, xadd, sizeof xadd / sizeof *xadd);
        store_job_arg(call->job, ref->s ? ref->s : "", ref->s ? ref->len : 0);
        queued++;
    }
    return queued;
}

bool intake_read(struct call *call, struct http_req *req, struct intake *in)
{
    int round = in->round, n;
    if (round == ROUND_FEED) {
        if (!call->job || store_job_ok(call->job) != 0)
            log_warn("redis: a platform's feed entry for a decided case was not written");
        return false;
    }
    /* A job that failed at once met a connection lost since its last use (a restarted
     * Redis): sent again, once a round. Both calls may run twice: jb_report stores a report
     * id once, and jb_admit answers a recorded Idempotency-Key (without one, the bound is one
     * token per failed attempt, as for the client's own retry). */
    if ((!call->job || store_job_ok(call->job) != 0) && !in->resent &&
        call_wall_ms() - in->sent_ms < INTAKE_RESEND_MS) {
        in->resent = true;
        n = queue_round(call, req, in, round == ROUND_ADMIT);
        if (n > 0)
            send_round(call, req, in, round);
        if (n != 0)
            return true;
    }
    read_round(call, in);
    in->resent = false;
    n = round == ROUND_ADMIT ? queue_round(call, req, in, false) : queue_feed(call, req, in);
    if (n <= 0)
        return n < 0;
    send_round(call, req, in, round == ROUND_ADMIT ? ROUND_REPORT : ROUND_FEED);
    return true;
}

void intake_free(struct intake *in)
{
    for (size_t i = 0; in->items && i < in->nitems; i++)
        if (in->items[i].held) {
            report_free(&in->items[i].report);
            intake_verdict_free(&in->items[i].verdict);
        }
    free(in->items);
    free(in->scope);
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
