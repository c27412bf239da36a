/* review — see review.h: renew, release, break, the evidence, the queues and the review
 * metrics (the claim is claim.c's). */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "fcall_review.h"
#include "idshard.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "shard.h"

const struct store_reply *review_first_reply(struct call *call, struct http_req *req)
{
    if (store_job_ok(call->job) < 0) {
        call_answer_unavailable(req);
        return NULL;
    }
    return store_job_reply(call->job, 0);
}

bool review_refusal(struct http_req *req, enum fcall_answer a, const char *err,
                    const char *conflict)
{
    switch (a) {
    case FCALL_OK: return false;
    case FCALL_UNAUTHORIZED:
        http_add_header(req, "WWW-Authenticate", "Bearer");
        call_answer_error(req, 401, "unauthorized", "log in again: the session is unknown or over",
                          NULL);
        break;
    case FCALL_FORBIDDEN:
        call_answer_error(req, 403, "forbidden", "only supervisors may do this", NULL);
        break;
    case FCALL_NOT_FOUND: call_answer_error(req, 404, "not_found", "no such case", NULL); break;
    case FCALL_CONFLICT:
        metrics_add(M_LEASE_CONFLICTS, 1);
        call_answer_error(req, 409, conflict,
                          strcmp(conflict, "not_leased") == 0
                              ? "nobody holds a lease on this case"
                              : "you do not hold a live lease on this case: claim it again",
                          NULL);
        break;
    default:
        log_warn("review: unexpected reply from Redis (%s)", err);
        call_answer_error(req, 503, "unavailable", "the store gave an unexpected answer", NULL);
        break;
    }
    return true;
}

/* A review request in two steps (docs/SCALING.md, review across shards): jb_whoami resolves
 * the session (its own slot), then the case's call runs on the case's shard for the reviewer
 * it named (a claim's steps are claim.c's). */
struct step {
    struct review_who who;          /* first: review_begin */
    bool alias_asked, alias_wait;   /* the case's alias was asked for; its answer is next */
    const char *prefix;             /* the case's shard's (idshard.h) */
};

void *review_begin(struct call *call, struct http_req *req, size_t size)
{
    void *s = calloc(1, size);
    if (!s) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return NULL;
    }
    call_set_state(call, s, free);
    return review_whoami_begin(call, req) < 0 ? NULL : s;
}

int review_resolved(struct call *call, struct http_req *req, struct review_who *w)
{
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return -1;
    struct fcall_whoami_out who;
    char err[256] = "";
    fcall_whoami_reply(r, &who, err, sizeof err);
    if (review_refusal(req, who.answer, err, "lease_not_held"))
        return -1;
    snprintf(w->name, sizeof w->name, "%s", who.name);
    snprintf(w->role, sizeof w->role, "%s", who.role);
    w->resolved = true;
    return 0;
}

/* A step request's: the session's reviewer, then the case's shard (idshard.h). */
static int step_resolved(struct call *call, struct http_req *req, struct step *s)
{
    if (review_resolved(call, req, &s->who) < 0)
        return -1;
    s->prefix = idshard_named(call->api->shards, call->path_id);
    return 0;
}

/* The case's call answered a: when it is not_found in the shard the case id names, the case
 * may be one from before the sharded layout: its alias is asked for (once). Returns true
 * when it was (the request suspended again, or 503 answered). */
static bool step_miss(struct call *call, struct http_req *req, struct step *s,
                      enum fcall_answer a)
{
    if (a != FCALL_NOT_FOUND || s->alias_asked || !idshard_may_move(call->api->shards))
        return false;
    s->alias_asked = s->alias_wait = true;
    idshard_alias_send(call, req, call->path_id);
    return true;
}

/* The alias's answer: the shard it names into s->prefix, true; false having answered (404
 * when there is no alias). */
static bool step_alias(struct call *call, struct http_req *req, struct step *s)
{
    s->alias_wait = false;
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return false;
    const char *prefix = idshard_alias_prefix(call->api->shards, call->path_id, r);
    if (!prefix)
        return !review_refusal(req, FCALL_NOT_FOUND, "", "lease_not_held");
    s->prefix = prefix;
    return true;
}

/* The lease end in Redis milliseconds as an ISO time into iso. */
static void lease_iso(const char *ms, char iso[32])
{
    isotime_format((time_t)(atoll(ms) / 1000), iso);
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

/* POST /api/v1/review/cases/{case}/renew, /release and /break: the session first (the
 * action is read again in lease_done). */
static void lease(struct call *call, struct http_req *req)
{
    if (review_case_request(call, req, NULL, 0) < 0 || !review_begin(call, req, sizeof(struct step)))
        return;
    call_job_send(call, req);
}

/* Sends the lease call on the case's shard. */
static void lease_send(struct call *call, struct http_req *req, struct step *s,
                       enum lease_action action)
{
    static const char *const names[] = {"renew", "release", "break"};
    struct fcall_lease_in in = {s->prefix, s->who.name, call->path_id, names[action],
                                call->api->conf->review_lease * 1000};
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_lease(call->job, &in);
        call_job_send(call, req);
    }
}

static void lease_done(struct call *call, struct http_req *req, enum lease_action action)
{
    struct step *s = call->state;
    if (!s->who.resolved) {
        if (step_resolved(call, req, s) < 0)
            return;
        if (action == LEASE_BREAK && strcmp(s->who.role, "supervisor") != 0) {
            review_refusal(req, FCALL_FORBIDDEN, "", "not_leased");
            return;
        }
        lease_send(call, req, s, action);
        return;
    }
    if (s->alias_wait) {
        if (step_alias(call, req, s))
            lease_send(call, req, s, action);
        return;
    }
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    struct fcall_lease_out out;
    char err[256] = "";
    fcall_lease_reply(r, &out, err, sizeof err);
    if (step_miss(call, req, s, out.answer))
        return;
    if (review_refusal(req, out.answer, err,
                       action == LEASE_BREAK ? "not_leased" : "lease_not_held"))
        return;
    if (action != LEASE_RENEW) {
        if (action == LEASE_BREAK)
            log_info("review: a supervisor broke the lease on case %s", call->path_id);
        http_respond(req, 204, NULL, "", 0);
        return;
    }
    char iso[32];
    lease_iso(out.lease_until_ms, iso);
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "case", call->path_id);
    buf_json_kv(&b, "lease_expires_at", iso);
    buf_puts(&b, "}");
    call_answer_json(req, 200, &b);
}

void review_renew(struct call *call, struct http_req *req) { lease(call, req); }
void review_release(struct call *call, struct http_req *req) { lease(call, req); }
void review_break(struct call *call, struct http_req *req) { lease(call, req); }

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
    if (review_begin(call, req, sizeof(struct step)))
        call_job_send(call, req);
}

/* Sends the evidence call on the case's shard. */
static void evidence_send(struct call *call, struct http_req *req, struct step *s)
{
    struct fcall_evidence_in in = {s->prefix, s->who.name, call->path_id, call->path_id2};
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_evidence(call->job, &in);
        call_job_send(call, req);
    }
}

void review_evidence_done(struct call *call, struct http_req *req)
{
    struct step *s = call->state;
    if (!s->who.resolved) {
        if (step_resolved(call, req, s) == 0)
            evidence_send(call, req, s);
        return;
    }
    if (s->alias_wait) {
        if (step_alias(call, req, s))
            evidence_send(call, req, s);
        return;
    }
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    struct fcall_evidence_out ev;
    char err[256] = "";
    fcall_evidence_reply(r, &ev, err, sizeof err);
    if (step_miss(call, req, s, ev.answer))
        return;
    if (review_refusal(req, ev.answer, err, "lease_not_held"))
        return;
    size_t plain_len;
    unsigned char *img = crypto_unlock(call->api->keys, ev.bytes, ev.len, &plain_len);
    if (!img) {
        log_error("review: the evidence of %s does not open", call->path_id2);
        call_answer_error(req, 503, "unavailable", "the evidence cannot be opened", NULL);
        return;
    }
    const char *type = ev.type;
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
    if (call_job_begin(call, req, NULL, 0) < 0)
        return -1;
    /* the session sits beside its reviewer, in the slot its token names (lib/global.h) */
    fcall_whoami(call->job, call->key_prefix, call->key_hash);
    return 0;
}

/* ---- supervisors' view of the queues ------------------------------------------------- */

/* GET /api/v1/review/queues: the session's role and the queues' figures in one job. */
void review_queues(struct call *call, struct http_req *req)
{
    if (review_whoami_begin(call, req) < 0)
        return;
    review_stats_begin(call);
    call_job_send(call, req);
}

void review_queues_done(struct call *call, struct http_req *req)
{
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    struct fcall_whoami_out who;
    struct fcall_review_stats_out st;
    struct fcall_queue_stats qs[FCALL_QUEUES_MAX];
    size_t nq;
    char err[256] = "";
    fcall_whoami_reply(r, &who, err, sizeof err);
    if (review_refusal(req, who.answer, err, "lease_not_held"))
        return;
    if (strcmp(who.role, "supervisor") != 0) {
        call_answer_error(req, 403, "forbidden", "only supervisors may see the queues", NULL);
        return;
    }
    if (fcall_review_stats_sum(call->job, 1, review_stats_calls(call), &st, qs, &nq, err,
                               sizeof err) < 0) {
        log_warn("review: unexpected reply from Redis (%s)", err);
        call_answer_error(req, 503, "unavailable", "the store gave an unexpected answer", NULL);
        return;
    }
    struct buf b = {0};
    buf_puts(&b, "{\"queues\":[");
    for (size_t i = 0; i < nq; i++) {
        struct fcall_queue_stats q = qs[i];
        buf_puts(&b, i ? ",{" : "{");
        buf_json_kv(&b, "queue", q.name);
        buf_printf(&b, ",\"length\":%lld,\"leased\":%lld,\"oldest_age_seconds\":%lld}",
                   q.length, q.leased, q.oldest_ms < 0 ? 0 : q.oldest_ms / 1000);
    }
    buf_printf(&b, "],\"dead_letters\":%lld}", st.dead_letters);
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}

int review_stats_calls(const struct call *call)
{
    unsigned n = shards_count(call->api->shards);
    return n == 1 ? 1 : (int)n + 1;
}

void review_stats_begin(struct call *call)
{
    const char *p[CLUSTER_SHARDS_MAX];
    unsigned n = shards_count(call->api->shards);
    for (unsigned i = 0; i < n; i++)
        p[i] = shards_prefix(call->api->shards, i);
    fcall_review_stats_all(call->job, p, n, call->api->conf->review_deadline);
}

void review_render_stats(struct buf *b, struct call *call, size_t first)
{
    struct fcall_review_stats_out st;
    struct fcall_queue_stats qs[FCALL_QUEUES_MAX];
    size_t nq;
    char err[256];
    if (fcall_review_stats_sum(call->job, first, review_stats_calls(call), &st, qs, &nq, err,
                               sizeof err) < 0)
        return;
    buf_printf(b, "# HELP jubao_dead_letters_total Intake entries moved to the dead-letter stream.\n"
                  "# TYPE jubao_dead_letters_total counter\njubao_dead_letters_total %lld\n",
               st.dead_letters);
    buf_printf(b, "# HELP jubao_worker_cases_routed_total Cases put in a review queue.\n"
                  "# TYPE jubao_worker_cases_routed_total counter\n"
                  "jubao_worker_cases_routed_total %lld\n", st.routed);
    buf_printf(b, "# HELP jubao_intake_data_loss_total Intake entries found deleted before "
                  "they were processed.\n# TYPE jubao_intake_data_loss_total counter\n"
                  "jubao_intake_data_loss_total %lld\n", st.data_loss);
    static const char *const verdicts[] = {"actioned", "no_violation", "escalate"};
    const long long decisions[] = {st.actioned, st.no_violation, st.escalate};
    buf_puts(b, "# HELP jubao_review_decisions_total Decisions, by verdict.\n"
                "# TYPE jubao_review_decisions_total counter\n");
    for (int i = 0; i < 3; i++)
        buf_printf(b, "jubao_review_decisions_total{verdict=\"%s\"} %lld\n", verdicts[i],
                   decisions[i]);
    static const char *const gauges[][2] = {
        {"jubao_review_queue_length", "Undecided cases in the queue, leased or not."},
        {"jubao_review_leases", "Cases under a live lease."},
        {"jubao_review_queue_oldest_age_seconds", "Age of the oldest undecided case."},
        {"jubao_review_overdue", "Undecided cases past their review deadline (up to 1000 a band)."}};
    for (size_t g = 0; g < 4; g++) {
        buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g][0], gauges[g][1],
                   gauges[g][0]);
        for (size_t i = 0; i < nq; i++) {
            struct fcall_queue_stats q = qs[i];
            long long v = g == 0 ? q.length : g == 1 ? q.leased : g == 3 ? q.overdue
                                                     : (q.oldest_ms < 0 ? 0 : q.oldest_ms / 1000);
            buf_printf(b, "%s{queue=\"%s\"} %lld\n", gauges[g][0], q.name, v);
        }
    }
}
