/* review — see review.h: claim, renew, release, break, the evidence, the queues and the
 * review metrics. */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "rules.h"
#include "schema.h"

#define CLAIM_REPORTS 50           /* reports whose texts a claimed case shows */

#define AT(r, i) store_reply_str(store_reply_at(r, i), NULL)

const struct store_reply *review_first_reply(struct call *call, struct http_req *req)
{
    if (store_job_ok(call->job) < 0) {
        call_answer_unavailable(req);
        return NULL;
    }
    return store_job_reply(call->job, 0);
}

bool review_refusal(struct http_req *req, const struct store_reply *r, const char *conflict)
{
    const struct store_reply *kind = store_reply_at(r, 0);
    if (store_reply_is(kind, "ok"))
        return false;
    if (store_reply_is(kind, "unauthorized")) {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        call_answer_error(req, 401, "unauthorized", "log in again: the session is unknown or over",
                          NULL);
    } else if (store_reply_is(kind, "forbidden")) {
        call_answer_error(req, 403, "forbidden", "only supervisors may do this", NULL);
    } else if (store_reply_is(kind, "not_found")) {
        call_answer_error(req, 404, "not_found", "no such case", NULL);
    } else if (store_reply_is(kind, "conflict")) {
        metrics_add(M_LEASE_CONFLICTS, 1);
        call_answer_error(req, 409, conflict,
                          strcmp(conflict, "not_leased") == 0
                         ? "nobody holds a lease on this case"
                         : "you do not hold a live lease on this case: claim it again",
                          NULL);
    } else {
        log_warn("review: unexpected reply from Redis (%s)", AT(r, 0));
        call_answer_error(req, 503, "unavailable", "the store gave an unexpected answer", NULL);
    }
    return true;
}

void review_session_key(const struct call *call, char out[128])
{
    schema_key(out, 128, "session", call->key_hash);
}

/* The lease end in Redis milliseconds as an ISO time into iso. */
static void lease_iso(const char *ms, char iso[32])
{
    isotime_format((time_t)(atoll(ms) / 1000), iso);
}

/* ---- claim --------------------------------------------------------------------------- */

/* POST /api/v1/review/claim {"queue": "default"} */
void review_claim(struct call *call, struct http_req *req)
{
    static const char *const names[] = {"queue"};
    if (call_take_json(call, req, true) < 0 || call_only_fields(call, req, names, 1) < 0)
        return;
    const struct jdoc *q = jdoc_get(call->doc, "queue");
    const char *queue = q ? jdoc_string(q, NULL) : "default";
    if (!queue) {
        call_answer_error(req, 400, "wrong_type", "queue must be a string", "queue");
        return;
    }
    if (strcmp(queue, "default") != 0 && strcmp(queue, "escalated") != 0) {
        call_answer_error(req, 400, "unknown_queue", "queue is default or escalated", "queue");
        return;
    }
    char k_sess[128], iso[32];
    review_session_key(call, k_sess);
    isotime_format(time(NULL), iso);
    const char *args[] = {"FCALL", "jb_claim", "1", k_sess, SCHEMA_PREFIX, queue};
    if (call_job_begin(call, req, args, 6) < 0)
        return;
    store_job_argll(call->job, call->api->conf->review_lease * 1000);
    store_job_argstr(call->job, iso);
    store_job_argll(call->job, CLAIM_REPORTS);
    call_job_send(call, req);
}

/* Appends "key": [ … ] from a comma-separated list. */
static void json_csv(struct buf *b, const char *key, const char *csv)
{
    buf_printf(b, ",\"%s\":[", key);
    for (size_t i = 0, n = 0; csv[i]; n++) {
        size_t len = strcspn(csv + i, ",");
        buf_puts(b, n ? "," : "");
        buf_json_str(b, csv + i, len);
        i += len + (csv[i + len] == ',');
    }
    buf_puts(b, "]");
}

#define CLAIM_FIXED 13   /* fields of a claim reply before the reports' */
#define CLAIM_STRIDE 5   /* per report: url, title, description, evidence type, id */

/* Appends "key": [ … ] of the distinct non-empty texts at column col of the claim reply's
 * reports. */
static void json_column(struct buf *b, const char *key, const struct store_reply *r, size_t col)
{
    buf_printf(b, ",\"%s\":[", key);
    size_t n = store_reply_count(r), shown = 0;
    for (size_t i = CLAIM_FIXED + col; i < n; i += CLAIM_STRIDE) {
        const char *s = AT(r, i);
        bool seen = !*s;
        for (size_t j = CLAIM_FIXED + col; j < i && !seen; j += CLAIM_STRIDE)
            seen = strcmp(AT(r, j), s) == 0;
        if (seen)
            continue;
        buf_puts(b, shown++ ? "," : "");
        buf_json_str(b, s, strlen(s));
    }
    buf_puts(b, "]");
}

void review_claim_done(struct call *call, struct http_req *req)
{
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    if (store_reply_is(store_reply_at(r, 0), "empty")) {
        http_respond(req, 204, NULL, "", 0);
        return;
    }
    if (review_refusal(req, r, "lease_not_held"))
        return;
    metrics_add(M_CLAIMS, 1);
    char iso[32];
    lease_iso(AT(r, 2), iso);
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "case", AT(r, 1));
    buf_json_kv(&b, "queue", AT(r, 3));
    buf_json_kv(&b, "lease_expires_at", iso);
    buf_json_kv(&b, "category", AT(r, 4));
    json_csv(&b, "suggested_categories", AT(r, 5));
    json_csv(&b, "rule_hits", AT(r, 6));
    call_json_suggestions(&b, AT(r, 12));
    buf_json_kv(&b, "severity", rules_severity_name(atoi(AT(r, 7))));
    buf_printf(&b, ",\"priority\":%d,\"report_count\":%ld,\"reporter_count\":%ld", atoi(AT(r, 8)),
               atol(AT(r, 9)), atol(AT(r, 10)));
    json_column(&b, "urls", r, 0);
    json_column(&b, "titles", r, 1);
    json_column(&b, "descriptions", r, 2);
    buf_puts(&b, ",\"evidence\":[");
    for (size_t i = CLAIM_FIXED, shown = 0; i + 4 < store_reply_count(r); i += CLAIM_STRIDE) {
        if (!*AT(r, i + 3))
            continue;
        buf_puts(&b, shown++ ? ",{" : "{");
        buf_json_kv(&b, "report", AT(r, i + 4));
        buf_json_kv(&b, "type", AT(r, i + 3));
        buf_printf(&b, ",\"href\":\"/api/v1/review/cases/%s/evidence/%s\"}", AT(r, 1),
                   AT(r, i + 4));
    }
    buf_puts(&b, "]");
    buf_json_kv(&b, "first_reported_at", AT(r, 11));
    buf_puts(&b, "}");
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}

/* ---- renew, release, break ----------------------------------------------------------- */

int review_case_request(struct call *call, struct http_req *req, const char *const *fields,
                        size_t nfields)
{
    if (!report_id_valid(call->path_id, 'C')) {
        call_answer_error(req, 404, "not_found", "no such case", NULL);
        return -1;
    }
    if (call_take_json(call, req, nfields == 0) < 0 ||
        call_only_fields(call, req, fields, nfields) < 0)
        return -1;
    return 0;
}

/* The three things a reviewer does to a lease (the break only a supervisor). */
enum lease_action { LEASE_RENEW, LEASE_RELEASE, LEASE_BREAK };

/* POST /api/v1/review/cases/{case}/renew, /release and /break. */
static void lease(struct call *call, struct http_req *req, enum lease_action action)
{
    static const char *const names[] = {"renew", "release", "break"};
    if (review_case_request(call, req, NULL, 0) < 0)
        return;
    char k_sess[128];
    review_session_key(call, k_sess);
    const char *args[] = {"FCALL", "jb_lease", "1", k_sess, SCHEMA_PREFIX, call->path_id,
                          names[action]};
    if (call_job_begin(call, req, args, 7) < 0)
        return;
    store_job_argll(call->job, call->api->conf->review_lease * 1000);
    call_job_send(call, req);
}

static void lease_done(struct call *call, struct http_req *req, enum lease_action action)
{
    const struct store_reply *r = review_first_reply(call, req);
    if (!r || review_refusal(req, r, action == LEASE_BREAK ? "not_leased" : "lease_not_held"))
        return;
    if (action != LEASE_RENEW) {
        if (action == LEASE_BREAK)
            log_info("review: a supervisor broke the lease on case %s", call->path_id);
        http_respond(req, 204, NULL, "", 0);
        return;
    }
    char iso[32];
    lease_iso(AT(r, 1), iso);
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "case", call->path_id);
    buf_json_kv(&b, "lease_expires_at", iso);
    buf_puts(&b, "}");
    call_answer_json(req, 200, &b);
}

void review_renew(struct call *call, struct http_req *req) { lease(call, req, LEASE_RENEW); }
void review_release(struct call *call, struct http_req *req) { lease(call, req, LEASE_RELEASE); }
void review_break(struct call *call, struct http_req *req) { lease(call, req, LEASE_BREAK); }

void review_renew_done(struct call *call, struct http_req *req)
{
    lease_done(call, req, LEASE_RENEW);
}

void review_release_done(struct call *call, struct http_req *req)
{
    lease_done(call, req, LEASE_RELEASE);
}

void review_break_done(struct call *call, struct http_req *req)
{
    lease_done(call, req, LEASE_BREAK);
}

/* ---- evidence ------------------------------------------------------------------------ */

/* GET /api/v1/review/cases/{case}/evidence/{report} */
void review_evidence(struct call *call, struct http_req *req)
{
    if (!report_id_valid(call->path_id, 'C') || !report_id_valid(call->path_id2, 'R')) {
        call_answer_error(req, 404, "not_found", "no such evidence", NULL);
        return;
    }
    char k_sess[128];
    review_session_key(call, k_sess);
    const char *args[] = {"FCALL", "jb_evidence", "1", k_sess, SCHEMA_PREFIX, call->path_id,
                          call->path_id2};
    if (call_job_begin(call, req, args, 7) == 0)
        call_job_send(call, req);
}

void review_evidence_done(struct call *call, struct http_req *req)
{
    const struct store_reply *r = review_first_reply(call, req);
    if (!r || review_refusal(req, r, "lease_not_held"))
        return;
    size_t len, plain_len;
    const char *box = store_reply_str(store_reply_at(r, 2), &len);
    unsigned char *img = crypto_unlock(call->api->keys, box, len, &plain_len);
    if (!img) {
        log_error("review: the evidence of %s does not open", call->path_id2);
        call_answer_error(req, 503, "unavailable", "the evidence cannot be opened", NULL);
        return;
    }
    const char *type = AT(r, 1);
    char disposition[96];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.%s\"", call->path_id2,
             strcmp(type, "image/jpeg") == 0 ? "jpg" : strcmp(type, "image/png") == 0 ? "png"
                                                                                    : "webp");
    http_add_header(req, "Content-Disposition", disposition);
    http_add_header(req, "Cache-Control", "no-store");
    http_respond(req, 200, type, (const char *)img, plain_len);
    free(img);
}

/* ---- the session's reviewer (for the queues and decision.c) ---------------------------- */

int review_whoami_begin(struct call *call, struct http_req *req)
{
    char k_sess[128];
    review_session_key(call, k_sess);
    const char *args[] = {"FCALL", "jb_whoami", "2", k_sess, SCHEMA_PREFIX "audit:last",
                          SCHEMA_PREFIX};
    return call_job_begin(call, req, args, 6);
}

/* ---- supervisors' view of the queues ------------------------------------------------- */

/* GET /api/v1/review/queues: the session's role and the queues' figures in one job. */
void review_queues(struct call *call, struct http_req *req)
{
    if (review_whoami_begin(call, req) < 0)
        return;
    store_job_command(call->job, "FCALL");
    store_job_argstr(call->job, "jb_review_stats");
    store_job_argstr(call->job, "0");
    store_job_argstr(call->job, SCHEMA_PREFIX);
    call_job_send(call, req);
}

void review_queues_done(struct call *call, struct http_req *req)
{
    const struct store_reply *r = review_first_reply(call, req);
    if (!r || review_refusal(req, r, "lease_not_held"))
        return;
    if (strcmp(AT(r, 2), "supervisor") != 0) {
        call_answer_error(req, 403, "forbidden", "only supervisors may see the queues", NULL);
        return;
    }
    const struct store_reply *s = store_job_reply(call->job, 1);
    if (store_reply_count(s) < 6) {
        call_answer_error(req, 503, "unavailable", "the store gave an unexpected answer", NULL);
        return;
    }
    struct buf b = {0};
    buf_puts(&b, "{\"queues\":[");
    for (size_t i = 6; i + 3 < store_reply_count(s); i += 4) {
        long long age = atoll(AT(s, i + 3));
        buf_puts(&b, i > 6 ? ",{" : "{");
        buf_json_kv(&b, "queue", AT(s, i));
        buf_printf(&b, ",\"length\":%lld,\"leased\":%lld,\"oldest_age_seconds\":%lld}",
                   atoll(AT(s, i + 1)), atoll(AT(s, i + 2)), age < 0 ? 0 : age / 1000);
    }
    buf_printf(&b, "],\"dead_letters\":%lld}", atoll(AT(s, 0)));
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}

void review_render_stats(struct buf *b, const struct store_reply *s)
{
    if (store_reply_count(s) < 6)
        return;
    buf_printf(b, "# HELP jubao_dead_letters_total Intake entries moved to the dead-letter stream.\n"
                  "# TYPE jubao_dead_letters_total counter\njubao_dead_letters_total %lld\n",
               atoll(AT(s, 0)));
    buf_printf(b, "# HELP jubao_worker_cases_routed_total Cases put in a review queue.\n"
                  "# TYPE jubao_worker_cases_routed_total counter\n"
                  "jubao_worker_cases_routed_total %lld\n", atoll(AT(s, 1)));
    buf_printf(b, "# HELP jubao_intake_data_loss_total Intake entries found deleted before "
                  "they were processed.\n# TYPE jubao_intake_data_loss_total counter\n"
                  "jubao_intake_data_loss_total %lld\n", atoll(AT(s, 2)));
    static const char *const verdicts[] = {"actioned", "no_violation", "escalate"};
    buf_puts(b, "# HELP jubao_review_decisions_total Decisions, by verdict.\n"
                "# TYPE jubao_review_decisions_total counter\n");
    for (int i = 0; i < 3; i++)
        buf_printf(b, "jubao_review_decisions_total{verdict=\"%s\"} %lld\n", verdicts[i],
                   atoll(AT(s, 3 + (size_t)i)));
    static const char *const gauges[][2] = {
        {"jubao_review_queue_length", "Undecided cases in the queue, leased or not."},
        {"jubao_review_leases", "Cases under a live lease."},
        {"jubao_review_queue_oldest_age_seconds", "Age of the oldest undecided case."}};
    for (size_t g = 0; g < 3; g++) {
        buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g][0], gauges[g][1],
                   gauges[g][0]);
        for (size_t i = 6; i + 3 < store_reply_count(s); i += 4) {
            long long v = atoll(AT(s, i + 1 + g));
            if (g == 2)
                v = v < 0 ? 0 : v / 1000;
            buf_printf(b, "%s{queue=\"%s\"} %lld\n", gauges[g][0], AT(s, i), v);
        }
    }
}
