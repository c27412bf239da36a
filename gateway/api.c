/* api — see api.h. */
#include "api.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "call.h"
#include "category.h"
#include "fcall_review.h"
#include "jdoc.h"
#include "log.h"
#include "metrics.h"
#include "modelstore.h"
#include "path.h"
#include "report.h"
#include "schema.h"
#include "text.h"




static bool is_web(enum route r);

static void on_server_error(struct http_req *req, void *arg, int status, const char *code,
                            const char *message)
{
    (void)arg;
    const struct call *call = http_state(req);
    if (call && is_web(call->route))
        web_error_page(req, status, message);
    else
        answer_error(req, status, code, message, NULL);
}

/* Who may call a route. */
enum auth {
    AUTH_ANY,       /* anyone; a platform key when one is sent */
    AUTH_KEY,       /* a platform key */
    AUTH_SESSION,   /* a reviewer's session token */
};

/* Reads "Authorization: Bearer <key or token>" into call->key_hash (hashed for its purpose).
 * Returns 0 when it is well-formed or absent and allowed to be, -1 when the route needs
 * what is not there or is not a jubao key or token (answer 401). */
static int take_bearer(struct call *call, struct http_req *req, enum auth auth)
{
    static const char token_chars[] = "0123456789abcdefghjkmnpqrstvwxyz";
    const char *auth_header = http_header(req, "Authorization");
    if (!auth_header)
        return auth == AUTH_ANY ? 0 : -1;
    if (strncasecmp(auth_header, "Bearer ", 7) != 0)
        return -1;
    const char *key = auth_header + 7;
    size_t n = strlen(key);
    if (auth == AUTH_SESSION) {
        if (n != CRYPTO_TOKEN_LEN - 1 || strspn(key, token_chars) != n)
            return -1;
        crypto_keyed_hash(call->api->keys, CRYPTO_TOKEN, key, n, call->key_hash);
    } else {
        if (n != 47 || strncmp(key, "jbk_", 4) != 0)
            return -1;
        crypto_keyed_hash(call->api->keys, CRYPTO_APIKEY, key, n, call->key_hash);
    }
    call->has_key = true;
    return 0;
}

/* ---- following a report -------------------------------------------------------------- */

/* Appends to the request's job, as its command 1, the jb_rate call that takes one status
 * lookup from the caller's bucket: the platform's for a live key, else the client's
 * pseudonym's, so that guessing secrets is slow from any one client. */
static void add_status_rate(struct call *call, struct http_req *req)
{
    const struct conf *c = call->api->conf;
    char who[CRYPTO_HEX_LEN] = "-";
    /* before today's key is loaded (/readyz says so) the clients share one bucket */
    if (client_pseudonym(call, req, time(NULL), who) < 0)
        snprintf(who, sizeof who, "-");
    struct fcall_rate_in in = {
        .now_ms = wall_ms(), .pseudonym = who, .key_hash = call->has_key ? call->key_hash : NULL,
        .anon_cap = c->rate_limit ? c->rate_status_anon : 0,
        .anon_window_ms = c->rate_status_anon_window * 1000,
        .platform_cap = c->rate_limit ? c->rate_status_platform : 0,
        .platform_window_ms = c->rate_status_platform_window * 1000};
    fcall_rate(call->job, &in);
}

void status_lookup(struct call *call, struct http_req *req, const char *secret)
{
    if (secret) {
        crypto_keyed_hash(call->api->keys, CRYPTO_SECRET, secret, strlen(secret),
                          call->secret_hash);
        call->has_secret = true;
    }
    struct fcall_status_in in = {call->path_id,
                                 call->has_key && !call->has_secret ? call->key_hash : NULL};
    if (job_begin(call, req, NULL, 0) == 0) {
        fcall_status(call->job, &in);
        add_status_rate(call, req);
        job_send(call, req);
    }
}

long status_rate_wait(const struct call *call)
{
    struct fcall_rate_out out;
    char err[128];
    if (fcall_rate_reply(store_job_reply(call->job, 1), &out, err, sizeof err) < 0)
        return 0;
    if (out.retry_after > 0)
        metrics_add(M_STATUS_RATE_LIMITED, 1);
    return out.retry_after;
}

static void handle_status(struct call *call, struct http_req *req)
{
    const char *secret = http_header(req, "X-Report-Secret");
    if (!report_id_valid(call->path_id, 'R') || (!secret && !call->has_key)) {
        answer_error(req, 404, "not_found", "no such report", NULL);
        return;
    }
    status_lookup(call, req, secret);
}

int status_access(const struct call *call, const struct store_reply *r,
                  struct fcall_status_out *out)
{
    char err[128];
    if (fcall_status_reply(r, out, err, sizeof err) < 0) {
        log_warn("redis: jb_status: %s", err);
        return 404;
    }
    if (!out->found)
        return 404;
    if (call->has_secret) {
        size_t n = strlen(out->secret_hash);
        return n == CRYPTO_HEX_LEN - 1 && crypto_equal(out->secret_hash, call->secret_hash, n)
                   ? 200
                   : 404;
    }
    if (!out->key_name[0] || out->key_revoked)
        return 401;
    return strcmp(out->platform, out->key_name) == 0 ? 200 : 404;
}

static void finish_status(struct call *call, struct http_req *req)
{
    if (store_job_ok(call->job) < 0) {
        answer_unavailable(req);
        return;
    }
    long wait = status_rate_wait(call);
    if (wait > 0) {
        answer_error_retry(req, 429, "rate_limited", "too many status lookups; try again later",
                           NULL, wait);
        return;
    }
    struct fcall_status_out st;
    int access = status_access(call, store_job_reply(call->job, 0), &st);
    if (access != 200) {
        answer_error(req, access, access == 401 ? "unauthorized" : "not_found",
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
    buf_puts(&b, "}");
    http_add_header(req, "Cache-Control", "no-store");
    answer_json(req, 200, &b);
}

/* ---- operations ---------------------------------------------------------------------- */

static void handle_ready(struct call *call, struct http_req *req)
{
    const char *args[] = {"PING"};
    if (job_begin(call, req, args, 1) == 0)
        job_send(call, req);
}

static void finish_ready(struct call *call, struct http_req *req)
{
    const struct store_reply *r = store_job_reply(call->job, 0);
    if (store_reply_type(r) != STORE_STATUS) {
        answer_error(req, 503, "not_ready", "redis: not answering", NULL);
        return;
    }
    char probe[CRYPTO_PSEUDO_LEN];
    if (crypto_pseudonym(call->api->keys, "", time(NULL), probe) < 0) {
        answer_error(req, 503, "not_ready", "today's pseudonym key is not loaded yet", NULL);
        return;
    }
    const struct ruleset *rs = rules_acquire(call->api->rules);
    struct buf b = {0};
    buf_printf(&b, "{\"status\":\"ready\",\"redis\":\"ok\",\"rules\":%zu}", rules_count(rs));
    rules_release(call->api->rules, rs);
    answer_json(req, 200, &b);
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
static void handle_metrics(struct call *call, struct http_req *req)
{
    if (job_begin(call, req, NULL, 0) == 0) {
        fcall_review_stats(call->job);
        fcall_model_stats(call->job);
        job_send(call, req);
    }
}

static void finish_metrics(struct call *call, struct http_req *req)
{
    struct buf b = {0};
    metrics_render(&b);
    const struct ruleset *rs = rules_acquire(call->api->rules);
    rules_metrics(rs, &b);
    rules_release(call->api->rules, rs);
    modelstore_metrics(&b);
    if (store_job_ok(call->job) == 0) {
        review_render_stats(&b, store_job_reply(call->job, 0));
        render_model_stats(&b, store_job_reply(call->job, 1));
    }
    if (b.oom)
        answer_error(req, 503, "overloaded", "out of memory", NULL);
    else
        http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
    buf_free(&b);
}

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

/* ---- routing ------------------------------------------------------------------------- */

/* The client's address: the peer, or the last X-Forwarded-For entry when the peer is the
 * configured reverse proxy (the last entry is the one the proxy itself added). */
static void client_address(const struct api *api, struct http_req *req, char out[64])
{
    snprintf(out, 64, "%s", http_client(req));
    const char *xff = http_header(req, "X-Forwarded-For");
    if (!api->conf->trusted_proxy[0] || !xff || strcmp(out, api->conf->trusted_proxy) != 0)
        return;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    char cand[64];
    snprintf(cand, sizeof cand, "%.*s", (int)strcspn(last, " "), last);
    unsigned char ip[16];
    if (inet_pton(AF_INET, cand, ip) == 1 || inet_pton(AF_INET6, cand, ip) == 1)
        snprintf(out, 64, "%s", cand);
}


enum body { BODY_NONE, BODY_JSON, BODY_JSON_OR_EMPTY, BODY_WEB };

struct route_def {
    enum route route;
    const char *path;   /* a '*' stands for one path segment: an {id} */
    const char *method; /* "GET", "POST" or "GET POST"; GET routes also answer HEAD */
    enum body body;
    enum auth auth;
};

#define CASES "/api/v1/review/cases/*"
static const struct route_def route_defs[] = {
    {ROUTE_REPORTS, API_REPORTS, "POST", BODY_JSON, AUTH_ANY},
    {ROUTE_BATCH, API_REPORTS "/batch", "POST", BODY_JSON, AUTH_KEY},
    {ROUTE_STATUS, API_REPORTS "/*", "GET", BODY_NONE, AUTH_ANY},
    {ROUTE_CATEGORIES, "/api/v1/categories", "GET", BODY_NONE, AUTH_ANY},
    {ROUTE_HEALTHZ, "/healthz", "GET", BODY_NONE, AUTH_ANY},
    {ROUTE_READYZ, "/readyz", "GET", BODY_NONE, AUTH_ANY},
    {ROUTE_SESSION, "/api/v1/session", "POST", BODY_JSON, AUTH_ANY},
    {ROUTE_SIGNOUT, "/api/v1/session", "DELETE", BODY_NONE, AUTH_SESSION},
    {ROUTE_CLAIM, "/api/v1/review/claim", "POST", BODY_JSON_OR_EMPTY, AUTH_SESSION},
    {ROUTE_RENEW, CASES "/renew", "POST", BODY_JSON_OR_EMPTY, AUTH_SESSION},
    {ROUTE_RELEASE, CASES "/release", "POST", BODY_JSON_OR_EMPTY, AUTH_SESSION},
    {ROUTE_DECISION, CASES "/decision", "POST", BODY_JSON, AUTH_SESSION},
    {ROUTE_BREAK, CASES "/break", "POST", BODY_JSON_OR_EMPTY, AUTH_SESSION},
    {ROUTE_EVIDENCE, CASES "/evidence/*", "GET", BODY_NONE, AUTH_SESSION},
    {ROUTE_QUEUES, "/api/v1/review/queues", "GET", BODY_NONE, AUTH_SESSION},
    {ROUTE_DECISIONS, "/api/v1/decisions", "GET", BODY_NONE, AUTH_KEY},
    {ROUTE_WEB_FORM, "/", "GET", BODY_NONE, AUTH_ANY},
    {ROUTE_WEB_REPORT, "/report", "POST", BODY_WEB, AUTH_ANY},
    {ROUTE_WEB_STATUS, "/status", "GET POST", BODY_WEB, AUTH_ANY},
    {ROUTE_WEB_REVIEW, "/review", "GET", BODY_NONE, AUTH_ANY},
    {ROUTE_ASSET, "/assets/*", "GET", BODY_NONE, AUTH_ANY},
};
#undef CASES

static bool method_ok(const struct route_def *d, const char *method);

/* The first route whose pattern matches path, or the route of the same pattern that takes
 * method when there are several (POST and DELETE /api/v1/session); NULL when none (404). */
static const struct route_def *route_match(const char *path, const char *method,
                                           char ids[2][64])
{
    const size_t n = sizeof route_defs / sizeof route_defs[0];
    for (size_t i = 0; i < n; i++) {
        if (!path_match(route_defs[i].path, path, ids))
            continue;
        for (size_t j = i; j < n; j++)
            if (strcmp(route_defs[j].path, route_defs[i].path) == 0 &&
                method_ok(&route_defs[j], method))
                return &route_defs[j];
        return &route_defs[i];
    }
    return NULL;
}

/* The Allow header of route d: the methods of every route of its pattern, HEAD after GET. */
static void allow_methods(const struct route_def *d, char out[64])
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof route_defs / sizeof route_defs[0]; i++) {
        if (strcmp(route_defs[i].path, d->path) != 0)
            continue;
        for (const char *m = route_defs[i].method; *m && n < 64;) {
            int len = (int)strcspn(m, " ");
            bool get = len == 3 && strncmp(m, "GET", 3) == 0;
            n += (size_t)snprintf(out + n, 64 - n, "%s%.*s%s", n ? ", " : "", len, m,
                                  get ? ", HEAD" : "");
            m += len + (m[len] == ' ');
        }
    }
}

static bool method_ok(const struct route_def *d, const char *method)
{
    size_t n = strlen(method);
    for (const char *m = d->method; *m;) {
        size_t len = strcspn(m, " ");
        if ((len == n && strncmp(m, method, n) == 0) ||
            (len == 3 && strncmp(m, "GET", 3) == 0 && strcmp(method, "HEAD") == 0))
            return true;
        m += len + (m[len] == ' ');
    }
    return false;
}

static bool is_web(enum route r)
{
    return r == ROUTE_WEB_FORM || r == ROUTE_WEB_REPORT || r == ROUTE_WEB_STATUS ||
           r == ROUTE_WEB_REVIEW || r == ROUTE_ASSET;
}

static const char *unauthorized_message(enum auth auth)
{
    switch (auth) {
    case AUTH_KEY: return "this needs a platform API key (Bearer)";
    case AUTH_SESSION: return "this needs a reviewer's session token (Bearer): log in first";
    default: return "malformed Authorization header";
    }
}

/* The request's state, made in begin and freed in on_done. Returns NULL having answered 503
 * when memory ran out. */
static struct call *call_new(struct api *api, struct http_req *req)
{
    struct call *call = calloc(1, sizeof *call);
    if (!call) {
        answer_error(req, 503, "overloaded", "out of memory", NULL);
        return NULL;
    }
    call->api = api;
    call->req = req;
    call->route = ROUTE_OTHER;
    http_set_state(req, call);
    char addr[64];
    client_address(api, req, addr);
    http_set_client(req, addr);
    return call;
}

/* Checks what can be checked from the headers. Returns the body limit, or -1 having answered. */
static long on_begin(struct http_req *req, void *arg)
{
    struct api *api = arg;
    struct call *call = call_new(api, req);
    if (!call)
        return -1;
    char ids[2][64] = {"", ""};
    const struct route_def *d = route_match(http_path(req), http_method(req), ids);
    memcpy(call->path_id, ids[0], sizeof call->path_id);
    memcpy(call->path_id2, ids[1], sizeof call->path_id2);
    if (!d) {
        answer_error(req, 404, "not_found", "no such endpoint", NULL);
        return -1;
    }
    call->route = d->route;
    if (!method_ok(d, http_method(req))) {
        char allow[64];
        allow_methods(d, allow);
        http_add_header(req, "Allow", allow);
        answer_error(req, 405, "method_not_allowed", "this endpoint does not take that method",
                     NULL);
        return -1;
    }
    if (take_bearer(call, req, d->auth) < 0) {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        answer_error(req, 401, "unauthorized", unauthorized_message(d->auth), NULL);
        return -1;
    }
    if (is_web(d->route))
        return web_begin(call, req);
    if (d->body == BODY_JSON && !content_type_json(http_header(req, "Content-Type"))) {
        answer_error(req, 415, "unsupported_media_type",
                     "send Content-Type: application/json (UTF-8)", NULL);
        return -1;
    }
    if (d->body == BODY_NONE)
        return 0;
    if (d->route == ROUTE_SESSION)
        return 4096;
    return d->route == ROUTE_BATCH ? api->conf->batch_body_max : api->conf->body_max;
}

static void on_handle(struct http_req *req, void *arg)
{
    struct api *api = arg;
    struct call *call = http_state(req);
    static const char healthy[] = "{\"status\":\"ok\"}";
    switch (call->route) {
    case ROUTE_REPORTS:
    case ROUTE_BATCH: reports_handle(call, req); break;
    case ROUTE_STATUS: handle_status(call, req); break;
    case ROUTE_READYZ: handle_ready(call, req); break;
    case ROUTE_METRICS: handle_metrics(call, req); break;
    case ROUTE_SESSION: session_login(call, req); break;
    case ROUTE_SIGNOUT: session_signout(call, req); break;
    case ROUTE_CLAIM: review_claim(call, req); break;
    case ROUTE_RENEW:
    case ROUTE_RELEASE:
    case ROUTE_BREAK: review_lease(call, req); break;
    case ROUTE_DECISION: review_decision(call, req); break;
    case ROUTE_QUEUES: review_queues(call, req); break;
    case ROUTE_DECISIONS: review_feed(call, req); break;
    case ROUTE_EVIDENCE: review_evidence(call, req); break;
    case ROUTE_WEB_FORM:
    case ROUTE_WEB_REPORT:
    case ROUTE_WEB_STATUS:
    case ROUTE_WEB_REVIEW:
    case ROUTE_ASSET: web_handle(call, req); break;
    case ROUTE_HEALTHZ: http_respond(req, 200, "application/json", healthy, sizeof healthy - 1); break;
    case ROUTE_CATEGORIES:
        http_add_header(req, "Cache-Control", "public, max-age=3600");
        http_respond(req, 200, "application/json; charset=utf-8", api->categories.p,
                     api->categories.len);
        break;
    default: answer_error(req, 404, "not_found", "no such endpoint", NULL); break;
    }
}

static void on_resume(struct http_req *req, void *arg)
{
    (void)arg;
    struct call *call = http_state(req);
    switch (call->route) {
    case ROUTE_REPORTS:
    case ROUTE_BATCH: reports_finish(call, req); break;
    case ROUTE_STATUS: finish_status(call, req); break;
    case ROUTE_READYZ: finish_ready(call, req); break;
    case ROUTE_METRICS: finish_metrics(call, req); break;
    case ROUTE_WEB_REPORT:
    case ROUTE_WEB_STATUS: web_resume(call, req); break;
    case ROUTE_SESSION:
    case ROUTE_SIGNOUT: session_resume(call, req); break;
    default: review_resume(call, req); break;
    }
}
static void on_done(struct http_req *req, void *arg, int status, double seconds)
{
    (void)arg;
    struct call *call = http_state(req);
    metrics_request(call ? call->route : ROUTE_OTHER, status, seconds);
    if (!call)
        return;
    if (call->login_place)   /* a login that ended before Redis answered it */
        pwcheck_cancel(call->api->pwcheck);
    web_free(call);
    store_job_free(call->job);
    jdoc_free(call->doc);
    free(call->items);
    free(call);
}

struct api *api_new(const struct conf *conf, const struct keys *keys, struct store *store,
                    struct rules_live *rules, struct model_live *model)
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
    api->auditor = auditor_new(store, keys);
    api->pwcheck = pwcheck_new((int)conf->login_threads, (int)conf->login_queue);
    if (api->categories.oom || !api->auditor || !api->pwcheck) {
        api_free(api);
        return NULL;
    }
    return api;
}

void api_free(struct api *api)
{
    if (!api)
        return;
    auditor_free(api->auditor);
    pwcheck_free(api->pwcheck);
    buf_free(&api->categories);
    free(api);
}

void api_routes(struct api *api, struct http_routes *out)
{
    out->begin = on_begin;
    out->handle = on_handle;
    out->resume = on_resume;
    out->done = on_done;
    out->error = on_server_error;
    out->arg = api;
}

/* The metrics listener's begin: GET (or HEAD) /metrics and nothing else. */
static long on_metrics_begin(struct http_req *req, void *arg)
{
    static const struct route_def metrics = {ROUTE_METRICS, "/metrics", "GET", BODY_NONE,
                                             AUTH_ANY};
    struct call *call = call_new(arg, req);
    if (!call)
        return -1;
    if (strcmp(http_path(req), metrics.path) != 0) {
        answer_error(req, 404, "not_found", "no such endpoint", NULL);
        return -1;
    }
    call->route = ROUTE_METRICS;
    if (!method_ok(&metrics, http_method(req))) {
        http_add_header(req, "Allow", "GET, HEAD");
        answer_error(req, 405, "method_not_allowed", "this endpoint does not take that method",
                     NULL);
        return -1;
    }
    return 0;
}

void api_metrics_routes(struct api *api, struct http_routes *out)
{
    api_routes(api, out);
    out->begin = on_metrics_begin;
}
