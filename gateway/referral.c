/* referral — see referral.h. */
#include "referral.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditor.h"
#include "fcall_referrals.h"
#include "feed.h"
#include "isotime.h"
#include "log.h"
#include "review.h"

#define OUTCOME_NOTE_MAX 2000      /* characters of an outcome's note */
#define LIST_MAX 200               /* entries of a supervisors' list */
/* Referrals per page: each carries up to REFER_DESCRIPTIONS (referrer.c) descriptions of up to
 * description_max characters, so a page is kept to a few megabytes at most. */
#define REFERRALS_DEFAULT 20
#define REFERRALS_MAX 100

/* A handler's request's own state (call->state). */
struct referral_req {
    bool checked;                   /* the key was live: the job is the handlers' Function's */
    char after[CURSOR_LEN], start[CURSOR_LEN];
    long n;
    char at[ISOTIME_LEN];           /* an outcome's time */
};

static const char *severity_name(const char *sev)
{
    switch (atoi(sev)) {
    case 4: return "critical";
    case 3: return "high";
    case 2: return "medium";
    default: return "low";
    }
}

static void handlers_prefix(const struct call *call, char out[GLOBAL_PREFIX_MAX])
{
    global_prefix(call->api->shards, GLOBAL_HANDLERS, "", out);
}

/* Makes the state and sends jb_apikey_check. Returns the state, or NULL having answered. */
static struct referral_req *begin_checked(struct call *call, struct http_req *req)
{
    struct referral_req *q = calloc(1, sizeof *q);
    if (!q) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return NULL;
    }
    call_set_state(call, q, free);
    if (call_job_begin(call, req, NULL, 0) < 0)
        return NULL;
    fcall_apikey_check(call->job, call->key_prefix, call->key_hash);
    call_job_send(call, req);
    return q;
}

/* After jb_apikey_check: the key's handler into handler, or false having answered 401 (not
 * live) or 403 (no handler's key). */
static bool key_handler(struct http_req *req, const struct store_reply *r, char handler[72])
{
    struct fcall_apikey_check_out key;
    char err[256] = "";
    if (fcall_apikey_check_reply(r, &key, err, sizeof err) < 0) {
        review_refusal(req, FCALL_OTHER, err, "");
        return false;
    }
    if (key.answer != FCALL_OK) {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        call_answer_error(req, 401, "unauthorized", "unknown or revoked API key", NULL);
        return false;
    }
    if (!key.handler[0]) {
        call_answer_error(req, 403, "forbidden", "this API key is no handler's", NULL);
        return false;
    }
    snprintf(handler, 72, "%s", key.handler);
    return true;
}

/* A handlers' Function's refusal: a disabled handler is 401, like a revoked key. */
static bool handler_refusal(struct http_req *req, enum fcall_answer a, const char *err)
{
    if (a == FCALL_FORBIDDEN) {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        call_answer_error(req, 401, "unauthorized", "this handler is disabled", NULL);
        return true;
    }
    if (a == FCALL_NOT_FOUND) {
        call_answer_error(req, 404, "not_found", "no such referral of yours", NULL);
        return true;
    }
    if (a == FCALL_CONFLICT) {
        call_answer_error(req, 409, "outcome_final", "this referral has its outcome already",
                          NULL);
        return true;
    }
    return review_refusal(req, a, err, "");
}

void referral_list(struct call *call, struct http_req *req)
{
    char after[CURSOR_LEN], start[CURSOR_LEN];
    long n;
    if (feed_page(req, after, start, &n, REFERRALS_DEFAULT, REFERRALS_MAX) < 0)
        return;
    struct referral_req *q = begin_checked(call, req);
    if (!q)
        return;
    snprintf(q->after, sizeof q->after, "%s", after);
    snprintf(q->start, sizeof q->start, "%s", start);
    q->n = n;
}

void referral_render(struct buf *b, const struct fcall_referral *f,
                     const struct store_reply *r, const char *event)
{
    char deadline[ISOTIME_LEN];
    isotime_format((time_t)(f->deadline_ms / 1000), deadline);
    buf_puts(b, "{");
    if (event)
        buf_json_kv(b, "event", event);
    buf_json_kv(b, "cursor", f->cursor);
    buf_json_kv(b, "referral", f->referral);
    buf_json_kv(b, "case", f->case_id);
    buf_puts(b, ",\"urls\":[");
    buf_json_str(b, f->url, strlen(f->url));
    buf_puts(b, "]");
    buf_json_kv(b, "category", f->category);
    buf_json_kv(b, "severity", severity_name(f->severity));
    buf_json_kv(b, "note", f->note);
    buf_puts(b, ",\"descriptions\":[");
    for (size_t i = 0; i < f->ndesc; i++) {
        buf_puts(b, i ? "," : "");
        const char *d = store_reply_str_at(r, f->desc_at + i);
        buf_json_str(b, d, strlen(d));
    }
    buf_puts(b, "]");
    buf_json_kv(b, "deadline_at", deadline);
    buf_puts(b, "}");
}

/* After jb_apikey_check: sends jb_referrals for the key's handler. Returns true when the
 * request was answered or suspended again, false for an empty page (nothing can follow the
 * cursor). */
static bool list_checked(struct call *call, struct http_req *req, struct referral_req *q,
                         const struct store_reply *r)
{
    char handler[72], hp[GLOBAL_PREFIX_MAX];
    if (!key_handler(req, r, handler))
        return true;
    q->checked = true;
    if (!q->start[0])
        return false;
    handlers_prefix(call, hp);
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_referrals(call->job, hp, handler, q->start, q->n);
        call_job_send(call, req);
    }
    return true;
}

void referral_list_done(struct call *call, struct http_req *req)
{
    struct referral_req *q = call->state;
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    bool first = !q->checked;
    if (first && list_checked(call, req, q, r))
        return;
    struct fcall_referrals_out out = {.answer = FCALL_OK};
    char err[256] = "";
    struct fcall_referral *list = first ? NULL : calloc((size_t)q->n, sizeof *list);
    if (!first && !list) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return;
    }
    if (!first && fcall_referrals_reply(r, &out, list, (size_t)q->n, err, sizeof err) < 0)
        out.answer = FCALL_OTHER;
    if (handler_refusal(req, out.answer, err)) {
        free(list);
        return;
    }
    struct buf b = {0};
    const char *next = q->after;
    buf_puts(&b, "{\"referrals\":[");
    for (size_t i = 0; i < out.n; i++) {
        buf_puts(&b, i ? "," : "");
        referral_render(&b, &list[i], r, NULL);
        next = list[i].cursor;
    }
    buf_puts(&b, "]");
    buf_json_kv(&b, "next", next);
    buf_puts(&b, "}");
    free(list);
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}

/* ---- outcomes ------------------------------------------------------------------------ */

void referral_outcome(struct call *call, struct http_req *req)
{
    static const char *const names[] = {"outcome", "note"};
    static const char *const outcomes[] = {"removed", "restricted", "no_action", "not_ours"};
    size_t idlen = strlen(call->path_id);
    if (!idlen || idlen > 20 || strspn(call->path_id, "0123456789") != idlen) {
        call_answer_error(req, 404, "not_found", "no such referral of yours", NULL);
        return;
    }
    if (call_take_json(call, req, false) < 0 || call_only_fields(call, req, names, 2) < 0)
        return;
    bool bad = false;
    const char *outcome = review_body_string(call, req, "outcome", 32, &bad);
    review_body_string(call, req, "note", OUTCOME_NOTE_MAX, &bad);
    if (bad)
        return;
    if (!outcome) {
        call_answer_error(req, 400, "missing_field", "outcome is required", "outcome");
        return;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes; i++)
        known |= strcmp(outcome, outcomes[i]) == 0;
    if (!known) {
        call_answer_error(req, 422, "invalid_outcome",
                          "outcome is removed, restricted, no_action or not_ours", "outcome");
        return;
    }
    begin_checked(call, req);
}

static const char *doc_str(const struct call *call, const char *name)
{
    const struct jdoc *v = jdoc_get(call->doc, name);
    return v ? jdoc_string(v, NULL) : "";
}

void referral_outcome_done(struct call *call, struct http_req *req)
{
    struct referral_req *q = call->state;
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    if (!q->checked) {
        char handler[72], hp[GLOBAL_PREFIX_MAX];
        if (!key_handler(req, r, handler))
            return;
        q->checked = true;
        handlers_prefix(call, hp);
        long long now = call_wall_ms();
        isotime_format((time_t)(now / 1000), q->at);
        struct fcall_outcome_in in = {hp, handler, call->path_id, doc_str(call, "outcome"),
                                      doc_str(call, "note"), q->at, now};
        if (call_job_begin(call, req, NULL, 0) == 0) {
            fcall_outcome(call->job, &in);
            call_job_send(call, req);
        }
        return;
    }
    enum fcall_answer a = FCALL_OTHER;
    char err[256] = "";
    fcall_outcome_reply(r, &a, err, sizeof err);
    if (handler_refusal(req, a, err))
        return;
    auditor_kick(call->api->auditor);
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "referral", call->path_id);
    buf_json_kv(&b, "outcome", doc_str(call, "outcome"));
    buf_json_kv(&b, "at", q->at);
    buf_puts(&b, "}");
    call_answer_json(req, 200, &b);
}

/* ---- the supervisors' lists and /metrics ----------------------------------------------- */

void referral_lists(struct call *call, struct http_req *req)
{
    bool overdue = strcmp(call->path_id, "overdue") == 0;
    if (!overdue && strcmp(call->path_id, "unrouted") != 0) {
        call_answer_error(req, 404, "not_found", "no such endpoint", NULL);
        return;
    }
    if (review_whoami_begin(call, req) < 0)
        return;
    char hp[GLOBAL_PREFIX_MAX];
    handlers_prefix(call, hp);
    fcall_referral_lists(call->job, hp, call_wall_ms(), call->path_id, LIST_MAX);
    call_job_send(call, req);
}

static void render_overdue(struct buf *b, const struct store_reply *r, long n, long long now)
{
    buf_puts(b, "{\"referrals\":[");
    for (long i = 1; i + 3 <= n; i += 4) {
        long long due = atoll(store_reply_str_at(r, (size_t)i + 3));
        char at[ISOTIME_LEN];
        isotime_format((time_t)(due / 1000), at);
        buf_puts(b, i > 1 ? ",{" : "{");
        buf_json_kv(b, "referral", store_reply_str_at(r, (size_t)i));
        buf_json_kv(b, "handler", store_reply_str_at(r, (size_t)i + 1));
        buf_json_kv(b, "case", store_reply_str_at(r, (size_t)i + 2));
        buf_json_kv(b, "deadline_at", at);
        buf_printf(b, ",\"overdue_seconds\":%lld}", (now - due) / 1000);
    }
    buf_puts(b, "]}");
}

static void render_unrouted(struct buf *b, const struct store_reply *r, long n)
{
    buf_puts(b, "{\"cases\":[");
    for (long i = 1; i + 4 <= n; i += 5) {
        char since[ISOTIME_LEN];
        isotime_format((time_t)(atoll(store_reply_str_at(r, (size_t)i + 4)) / 1000), since);
        buf_puts(b, i > 1 ? ",{" : "{");
        buf_json_kv(b, "case", store_reply_str_at(r, (size_t)i));
        buf_puts(b, ",\"urls\":[");
        const char *url = store_reply_str_at(r, (size_t)i + 1);
        buf_json_str(b, url, strlen(url));
        buf_puts(b, "]");
        buf_json_kv(b, "category", store_reply_str_at(r, (size_t)i + 2));
        buf_json_kv(b, "severity", severity_name(store_reply_str_at(r, (size_t)i + 3)));
        buf_json_kv(b, "since", since);
        buf_puts(b, "}");
    }
    buf_puts(b, "]}");
}

void referral_lists_done(struct call *call, struct http_req *req)
{
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    struct fcall_whoami_out who;
    char err[256] = "";
    fcall_whoami_reply(r, &who, err, sizeof err);
    if (review_refusal(req, who.answer, err, ""))
        return;
    if (strcmp(who.role, "supervisor") != 0) {
        call_answer_error(req, 403, "forbidden", "only supervisors may see this", NULL);
        return;
    }
    const struct store_reply *lr = store_job_reply(call->job, 1);
    long n = fcall_list_reply(lr, "jb_referral_lists", err, sizeof err);
    if (n < 0) {
        review_refusal(req, FCALL_OTHER, err, "");
        return;
    }
    struct buf b = {0};
    if (strcmp(call->path_id, "overdue") == 0)
        render_overdue(&b, lr, n, call_wall_ms());
    else
        render_unrouted(&b, lr, n);
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}

void referral_stats_begin(struct call *call)
{
    char hp[GLOBAL_PREFIX_MAX];
    handlers_prefix(call, hp);
    fcall_referral_stats(call->job, hp, call_wall_ms());
    fcall_hook_stats(call->job, hp);
}

/* jb_hook_stats' reply r: the webhook deliveries by handler and result (every gateway's). */
static void render_hook_stats(struct buf *b, const struct store_reply *r)
{
    char err[128];
    long n = fcall_list_reply(r, "jb_hook_stats", err, sizeof err);
    if (n < 0)
        return;
    buf_puts(b, "# HELP jubao_webhook_deliveries_total Webhook POSTs of referrals, by handler "
                "and result (failed: no answer or not 2xx).\n"
                "# TYPE jubao_webhook_deliveries_total counter\n");
    for (long i = 1; i + 2 <= n; i += 3) {
        const char *h = store_reply_str_at(r, (size_t)i);
        buf_printf(b, "jubao_webhook_deliveries_total{handler=\"%s\",result=\"sent\"} %s\n", h,
                   store_reply_str_at(r, (size_t)i + 1));
        buf_printf(b, "jubao_webhook_deliveries_total{handler=\"%s\",result=\"failed\"} %s\n",
                   h, store_reply_str_at(r, (size_t)i + 2));
    }
}

void referral_render_stats(struct buf *b, const struct store_job *job, int at)
{
    char err[128];
    const struct store_reply *r = store_job_reply(job, at);
    long n = fcall_list_reply(r, "jb_referral_stats", err, sizeof err);
    if (n >= 0) {
        buf_puts(b, "# HELP jubao_referrals_overdue Referrals past their deadline without an "
                    "outcome, by handler.\n# TYPE jubao_referrals_overdue gauge\n");
        for (long i = 1; i + 1 <= n; i += 2)
            buf_printf(b, "jubao_referrals_overdue{handler=\"%s\"} %s\n",
                       store_reply_str_at(r, (size_t)i), store_reply_str_at(r, (size_t)i + 1));
    }
    render_hook_stats(b, store_job_reply(job, at + 1));
}
