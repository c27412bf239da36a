/* claim — see claim.h. */
#include "claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "fcall_review.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "review.h"
#include "rules.h"
#include "shard.h"

#define CLAIM_REPORTS 50           /* reports whose texts a claimed case shows */

/* A claim in two steps (docs/SCALING.md, review across shards): jb_whoami resolves the
 * session and peeks at every shard's queue, then the claim tries the shards best first, each
 * at most once. */
struct claim {
    struct review_who who;          /* first: review_begin */
    unsigned order[CLUSTER_SHARDS_MAX]; /* the shards, best first */
    unsigned norder, tried;
};

/* POST /api/v1/review/claim {"queue": "default"} */
void claim_request(struct call *call, struct http_req *req)
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
    struct claim *s = review_begin(call, req, sizeof *s);
    if (!s)
        return;
    unsigned n = shards_count(call->api->shards);
    for (unsigned i = 0; n > 1 && i < n; i++)
        fcall_peek(call->job, shards_prefix(call->api->shards, i), queue,
                   call->api->conf->review_deadline);
    call_job_send(call, req);
}

/* Orders the claim's shards best first by the peeks (replies 1..n of the first step), leaving
 * out the empty ones; with one shard, that one. Returns 0, or -1 having answered. */
static int claim_order(struct call *call, struct http_req *req, struct claim *s)
{
    unsigned n = shards_count(call->api->shards);
    if (n == 1) {
        s->norder = 1;
        return 0;
    }
    struct fcall_peek_out peek[CLUSTER_SHARDS_MAX];
    char err[256] = "";
    for (unsigned i = 0; i < n; i++) {
        if (fcall_peek_reply(store_job_reply(call->job, 1 + i), &peek[i], err, sizeof err) < 0) {
            review_refusal(req, FCALL_OTHER, err, "lease_not_held");
            return -1;
        }
        if (peek[i].empty)
            continue;
        unsigned k = s->norder++;   /* insertion: n is small (CLUSTER_SHARDS_MAX) */
        while (k > 0 && fcall_peek_before(&peek[i], &peek[s->order[k - 1]])) {
            s->order[k] = s->order[k - 1];
            k--;
        }
        s->order[k] = i;
    }
    return 0;
}

/* Sends the claim on the next shard of the order; false when every one was tried. */
static bool claim_next(struct call *call, struct http_req *req, struct claim *s,
                       const char *queue)
{
    if (s->tried >= s->norder)
        return false;
    char iso[32];
    isotime_format(time(NULL), iso);
    struct fcall_claim_in in = {shards_prefix(call->api->shards, s->order[s->tried++]), s->who.name,
                                queue, call->api->conf->review_lease * 1000, iso, CLAIM_REPORTS,
                                call->api->conf->review_deadline};
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_claim(call->job, &in);
        call_job_send(call, req);
    }
    return true;
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

/* The column col (0 url, 1 title, 2 description) of report i of a claim. */
static const char *claim_column(const struct fcall_claim_out *c, size_t i, int col)
{
    struct fcall_claim_report rep = fcall_claim_report(c, i);
    return col == 0 ? rep.canonical : col == 1 ? rep.title : rep.description;
}

/* Appends "key": [ … ] of the distinct non-empty texts at column col of the claim's
 * reports. */
static void json_column(struct buf *b, const char *key, const struct fcall_claim_out *c, int col)
{
    buf_printf(b, ",\"%s\":[", key);
    size_t shown = 0;
    for (size_t i = 0; i < c->nreports; i++) {
        const char *s = claim_column(c, i, col);
        bool seen = !*s;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(claim_column(c, j, col), s) == 0;
        if (seen)
            continue;
        buf_puts(b, shown++ ? "," : "");
        buf_json_str(b, s, strlen(s));
    }
    buf_puts(b, "]");
}

/* Appends "evidence": [{"report", "type", "href"}, …] of the claim's reports with one. */
static void json_evidence(struct buf *b, const struct fcall_claim_out *c)
{
    buf_puts(b, ",\"evidence\":[");
    for (size_t i = 0, shown = 0; i < c->nreports; i++) {
        struct fcall_claim_report rep = fcall_claim_report(c, i);
        if (!*rep.evidence_type)
            continue;
        buf_puts(b, shown++ ? ",{" : "{");
        buf_json_kv(b, "report", rep.id);
        buf_json_kv(b, "type", rep.evidence_type);
        buf_printf(b, ",\"href\":\"/api/v1/review/cases/%s/evidence/%s\"}", c->case_id,
                   rep.id);
    }
    buf_puts(b, "]");
}

/* Appends "deadline_at" and "seconds_left" (negative when past, by Redis' clock). */
static void json_deadline(struct buf *b, const struct fcall_claim_out *c)
{
    long long deadline = atoll(c->deadline_ms), left_ms = deadline - atoll(c->now_ms);
    char iso[32];
    isotime_format((time_t)(deadline / 1000), iso);
    buf_json_kv(b, "deadline_at", iso);
    /* whole seconds, rounded down: a moment past is -1, not 0 */
    long long left = left_ms >= 0 ? left_ms / 1000 : -((999 - left_ms) / 1000);
    buf_printf(b, ",\"seconds_left\":%lld", left);
}

void claim_done(struct call *call, struct http_req *req)
{
    struct claim *s = call->state;
    const struct jdoc *q = jdoc_get(call->doc, "queue");
    const char *queue = q ? jdoc_string(q, NULL) : "default";
    if (!s->who.resolved) {
        if (review_resolved(call, req, &s->who) < 0 || claim_order(call, req, s) < 0)
            return;
        if (strcmp(queue, "escalated") == 0 && strcmp(s->who.role, "supervisor") != 0)
            review_refusal(req, FCALL_FORBIDDEN, "", "lease_not_held");
        else if (!claim_next(call, req, s, queue))
            http_respond(req, 204, NULL, "", 0);
        return;
    }
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    struct fcall_claim_out c;
    char err[256] = "";
    fcall_claim_reply(r, &c, err, sizeof err);
    if (c.answer == FCALL_EMPTY) {  /* lost the race for that shard's head: the next best */
        if (!claim_next(call, req, s, queue))
            http_respond(req, 204, NULL, "", 0);
        return;
    }
    if (review_refusal(req, c.answer, err, "lease_not_held"))
        return;
    metrics_add(M_CLAIMS, 1);
    char iso[32];
    isotime_format((time_t)(atoll(c.lease_until_ms) / 1000), iso);
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "case", c.case_id);
    buf_json_kv(&b, "queue", c.queue);
    buf_json_kv(&b, "lease_expires_at", iso);
    buf_json_kv(&b, "category", c.category);
    json_csv(&b, "suggested_categories", c.suggested);
    json_csv(&b, "rule_hits", c.rule_hits);
    call_json_suggestions(&b, c.scores);
    buf_json_kv(&b, "severity", rules_severity_name(atoi(c.severity)));
    buf_printf(&b, ",\"priority\":%d,\"report_count\":%ld,\"reporter_count\":%ld",
               atoi(c.band), atol(c.reports), atol(c.reporters));
    json_column(&b, "urls", &c, 0);
    json_column(&b, "titles", &c, 1);
    json_column(&b, "descriptions", &c, 2);
    json_evidence(&b, &c);
    buf_json_kv(&b, "first_reported_at", c.created_at);
    json_deadline(&b, &c);
    buf_puts(&b, "}");
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}
