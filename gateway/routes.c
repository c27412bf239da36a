/* routes — see routes.h. */
#include "routes.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "call.h"
#include "claim.h"
#include "feed.h"
#include "global.h"
#include "layout.h"
#include "metrics.h"
#include "ops.h"
#include "path.h"
#include "referral.h"
#include "review.h"
#include "session.h"
#include "web.h"

#define LOGIN_BODY_MAX 4096     /* {"user", "password"} */
#define FORM_BODY_MAX 65536     /* a web form without a file */
#define OTHER "other"           /* the metrics label of a request no row took */

/* Who may call a route. */
enum auth {
    AUTH_NONE,      /* anyone; the Authorization header is not read */
    AUTH_ANY,       /* anyone; a platform key when one is sent */
    AUTH_KEY,       /* a platform key */
    AUTH_SESSION,   /* a reviewer's session token */
};

/* What body a route takes, and so how many bytes of it. A body that must be JSON is
 * refused with 415 before it is read when the Content-Type says otherwise. */
enum body {
    BODY_NONE,          /* none */
    BODY_JSON,          /* JSON, up to body_max */
    BODY_JSON_LOGIN,    /* JSON, up to LOGIN_BODY_MAX */
    BODY_JSON_BATCH,    /* JSON, up to batch_body_max */
    BODY_JSON_OR_EMPTY, /* JSON or nothing, up to body_max (the handler checks the type) */
    BODY_FORM,          /* a web form, up to FORM_BODY_MAX */
    BODY_EVIDENCE,      /* a web form with an image, up to evidence_max more */
};

typedef void handler(struct call *call, struct http_req *req);

struct route {
    const char *method;     /* one method; GET also answers HEAD */
    const char *path;       /* a '*' stands for one path segment: an {id} (path.h) */
    enum auth auth;
    enum body body;
    /* The headers are in and pass the checks above: makes the family's state. Returns 0,
     * or -1 having answered. NULL: nothing to make. */
    int (*begin)(struct call *call, struct http_req *req);
    handler *handle;        /* the whole body is in: answers, or suspends */
    handler *resume;        /* after the suspension: answers (NULL: never suspends) */
    /* Answers an error of the HTTP layer (413, ...) as the family's page; NULL: JSON. */
    void (*error_page)(struct http_req *req, int status, const char *message);
    const char *label;      /* of its metrics */
};

/* Each row: method, pattern, auth, body, then its handlers and label by name. */
#define CASES "/api/v1/review/cases/*"
#define REVIEW(path, body, fn)                                                                \
    {"POST", CASES "/" #fn, AUTH_SESSION, body, .handle = review_##fn,                         \
     .resume = review_##fn##_done, .label = "/api/v1/review/cases/{case}/" #fn}
#define PAGE .begin = web_begin, .error_page = web_error_page

static const struct route public_routes[] = {
    {"POST", API_REPORTS, AUTH_ANY, BODY_JSON,
     .handle = api_report, .resume = api_report_done, .label = API_REPORTS},
    {"POST", API_REPORTS "/batch", AUTH_KEY, BODY_JSON_BATCH,
     .handle = api_batch, .resume = api_batch_done, .label = API_REPORTS "/batch"},
    {"GET", API_REPORTS "/*", AUTH_ANY, BODY_NONE,
     .handle = api_status, .resume = api_status_done, .label = API_REPORTS "/{id}"},
    {"GET", "/api/v1/categories", AUTH_ANY, BODY_NONE,
     .handle = api_categories, .label = "/api/v1/categories"},
    {"GET", "/healthz", AUTH_ANY, BODY_NONE, .handle = ops_healthz, .label = "/healthz"},
    {"GET", "/readyz", AUTH_ANY, BODY_NONE,
     .handle = ops_readyz, .resume = ops_readyz_done, .label = "/readyz"},
    {"POST", "/api/v1/session", AUTH_ANY, BODY_JSON_LOGIN,
     .handle = session_login, .resume = session_login_done, .label = "/api/v1/session"},
    {"DELETE", "/api/v1/session", AUTH_SESSION, BODY_NONE,
     .handle = session_signout, .resume = session_signout_done,
     .label = "DELETE /api/v1/session"},
    {"POST", "/api/v1/review/claim", AUTH_SESSION, BODY_JSON_OR_EMPTY,
     .handle = claim_request, .resume = claim_done, .label = "/api/v1/review/claim"},
    REVIEW("renew", BODY_JSON_OR_EMPTY, renew),
    REVIEW("release", BODY_JSON_OR_EMPTY, release),
    REVIEW("decision", BODY_JSON, decision),
    REVIEW("break", BODY_JSON_OR_EMPTY, break),
    {"GET", CASES "/evidence/*", AUTH_SESSION, BODY_NONE,
     .handle = review_evidence, .resume = review_evidence_done,
     .label = "/api/v1/review/cases/{case}/evidence/{id}"},
    {"GET", "/api/v1/review/queues", AUTH_SESSION, BODY_NONE,
     .handle = review_queues, .resume = review_queues_done, .label = "/api/v1/review/queues"},
    {"GET", "/api/v1/decisions", AUTH_KEY, BODY_NONE,
     .handle = feed_list, .resume = feed_list_done, .label = "/api/v1/decisions"},
    {"GET", "/api/v1/referrals", AUTH_KEY, BODY_NONE,
     .handle = referral_list, .resume = referral_list_done, .label = "/api/v1/referrals"},
    {"POST", "/api/v1/referrals/*/outcome", AUTH_KEY, BODY_JSON, .handle = referral_outcome,
     .resume = referral_outcome_done, .label = "/api/v1/referrals/{referral}/outcome"},
    {"GET", "/api/v1/review/referrals/*", AUTH_SESSION, BODY_NONE, .handle = referral_lists,
     .resume = referral_lists_done, .label = "/api/v1/review/referrals/{list}"},
    {"GET", "/", AUTH_ANY, BODY_NONE, PAGE, .handle = reportform_page, .label = "/"},
    {"POST", "/report", AUTH_ANY, BODY_EVIDENCE, .begin = reportform_begin,
     .error_page = web_error_page, .handle = reportform_post, .resume = reportform_resume,
     .label = "/report"},
    {"GET", "/status", AUTH_ANY, BODY_NONE, PAGE, .handle = web_status_form, .label = "/status"},
    {"POST", "/status", AUTH_ANY, BODY_FORM, PAGE,
     .handle = web_status_post, .resume = web_status_done, .label = "/status"},
    {"GET", "/review", AUTH_ANY, BODY_NONE, PAGE, .handle = web_console, .label = "/review"},
    {"GET", "/assets/*", AUTH_ANY, BODY_NONE, PAGE, .handle = web_asset,
     .label = "/assets/{name}"},
};

static const struct route metrics_routes[] = {
    {"GET", "/metrics", AUTH_NONE, BODY_NONE,
     .handle = ops_metrics, .resume = ops_metrics_done, .label = "/metrics"},
};
#undef PAGE
#undef REVIEW
#undef CASES

/* A table and the gateway it serves: the argument of the http callbacks. */
struct server {
    const struct route *rows;
    size_t n;
    struct api *api;
};

static struct server public_server = {public_routes,
                                      sizeof public_routes / sizeof public_routes[0], NULL};
static struct server metrics_server = {metrics_routes,
                                       sizeof metrics_routes / sizeof metrics_routes[0], NULL};

/* ---- matching -------------------------------------------------------------------------- */

static bool method_ok(const struct route *d, const char *method)
{
    return strcmp(d->method, method) == 0 ||
           (strcmp(d->method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

/* The first row whose pattern matches path, or the row of the same pattern that takes method
 * when there are several (POST and DELETE /api/v1/session); NULL when none (404). */
static const struct route *route_match(const struct server *s, const char *path,
                                       const char *method, char ids[PATH_IDS][PATH_ID_MAX])
{
    for (size_t i = 0; i < s->n; i++) {
        if (!path_match(s->rows[i].path, path, ids))
            continue;
        for (size_t j = i; j < s->n; j++)
            if (strcmp(s->rows[j].path, s->rows[i].path) == 0 &&
                method_ok(&s->rows[j], method))
                return &s->rows[j];
        return &s->rows[i];
    }
    return NULL;
}

/* The Allow header of row d: the methods of every row of its pattern, HEAD after GET. */
static void allow_methods(const struct server *s, const struct route *d, char out[64])
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n && n < 64; i++) {
        if (strcmp(s->rows[i].path, d->path) != 0)
            continue;
        bool get = strcmp(s->rows[i].method, "GET") == 0;
        n += (size_t)snprintf(out + n, 64 - n, "%s%s%s", n ? ", " : "", s->rows[i].method,
                              get ? ", HEAD" : "");
    }
}

/* ---- the checks of the headers --------------------------------------------------------- */

/* Reads "Authorization: Bearer <key or token>" into call->key_hash (hashed for its purpose).
 * Returns 0 when it is well-formed or absent and allowed to be, -1 when the route needs
 * what is not there or is not a jubao key or token (answer 401). */
static int take_bearer(struct call *call, struct http_req *req, enum auth auth)
{
    static const char token_chars[] = "0123456789abcdefghjkmnpqrstvwxyz";
    const char *auth_header = auth == AUTH_NONE ? NULL : http_header(req, "Authorization");
    if (!auth_header)
        return auth == AUTH_ANY || auth == AUTH_NONE ? 0 : -1;
    if (strncasecmp(auth_header, "Bearer ", 7) != 0)
        return -1;
    const char *key = auth_header + 7;
    size_t n = strlen(key);
    if (auth == AUTH_SESSION) {
        if (n != CRYPTO_TOKEN_LEN - 1 || strspn(key, token_chars) != n)
            return -1;
        crypto_keyed_hash(call->api->keys, CRYPTO_TOKEN, key, n, call->key_hash);
        global_prefix(call->api->shards, GLOBAL_TOKEN, key, call->key_prefix);
    } else {
        if (n != 47 || strncmp(key, "jbk_", 4) != 0)
            return -1;
        crypto_keyed_hash(call->api->keys, CRYPTO_APIKEY, key, n, call->key_hash);
        global_prefix(call->api->shards, GLOBAL_KEY, call->key_hash, call->key_prefix);
    }
    call->has_key = true;
    return 0;
}

static const char *unauthorized_message(enum auth auth)
{
    switch (auth) {
    case AUTH_KEY: return "this needs a platform API key (Bearer)";
    case AUTH_SESSION: return "this needs a reviewer's session token (Bearer): log in first";
    default: return "malformed Authorization header";
    }
}

/* The most body bytes row d takes. */
static long body_limit(const struct route *d, const struct conf *c)
{
    switch (d->body) {
    case BODY_NONE: return 0;
    case BODY_JSON_LOGIN: return LOGIN_BODY_MAX;
    case BODY_JSON_BATCH: return c->batch_body_max;
    case BODY_FORM: return FORM_BODY_MAX;
    case BODY_EVIDENCE: return c->evidence_max + FORM_BODY_MAX;
    default: return c->body_max;
    }
}

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

/* ---- the dispatcher -------------------------------------------------------------------- */

/* Headers are in: finds the row, checks method, credentials and media type, and lets the
 * row's family begin. Returns the body limit, or -1 having answered. */
static long on_begin(struct http_req *req, void *arg)
{
    const struct server *s = arg;
    struct call *call = call_new(s->api, req);
    if (!call)
        return -1;
    char addr[64];
    client_address(s->api, req, addr);
    http_set_client(req, addr);
    char ids[PATH_IDS][PATH_ID_MAX] = {"", ""};
    const struct route *d = route_match(s, http_path(req), http_method(req), ids);
    memcpy(call->path_id, ids[0], sizeof call->path_id);
    memcpy(call->path_id2, ids[1], sizeof call->path_id2);
    if (!d) {
        call_answer_error(req, 404, "not_found", "no such endpoint", NULL);
        return -1;
    }
    call->route = d;
    if (!method_ok(d, http_method(req))) {
        char allow[64];
        allow_methods(s, d, allow);
        http_add_header(req, "Allow", allow);
        call_answer_error(req, 405, "method_not_allowed",
                          "this endpoint does not take that method", NULL);
        return -1;
    }
    if (take_bearer(call, req, d->auth) < 0) {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        call_answer_error(req, 401, "unauthorized", unauthorized_message(d->auth), NULL);
        return -1;
    }
    bool json_only = d->body == BODY_JSON || d->body == BODY_JSON_LOGIN ||
                     d->body == BODY_JSON_BATCH;
    if (json_only && !call_content_type_json(http_header(req, "Content-Type"))) {
        call_answer_error(req, 415, "unsupported_media_type",
                          "send Content-Type: application/json (UTF-8)", NULL);
        return -1;
    }
    if (d->resume && !layout_ready(s->api)) {   /* it talks to Redis, which has not answered */
        if (d->error_page)
            d->error_page(req, 503, "the store is unavailable; try again");
        else
            call_answer_error(req, 503, "unavailable", "the store is unavailable; try again",
                              NULL);
        return -1;
    }
    if (d->begin && d->begin(call, req) < 0)
        return -1;
    return body_limit(d, s->api->conf);
}

static void on_handle(struct http_req *req, void *arg)
{
    (void)arg;
    struct call *call = http_state(req);
    call->route->handle(call, req);
}

static void on_resume(struct http_req *req, void *arg)
{
    (void)arg;
    struct call *call = http_state(req);
    call->route->resume(call, req);
}

static void on_error(struct http_req *req, void *arg, int status, const char *code,
                     const char *message)
{
    (void)arg;
    const struct call *call = http_state(req);
    if (call && call->route && call->route->error_page)
        call->route->error_page(req, status, message);
    else
        call_answer_error(req, status, code, message, NULL);
}

static void on_done(struct http_req *req, void *arg, int status, double seconds)
{
    (void)arg;
    struct call *call = http_state(req);
    metrics_request(call && call->route ? call->route->label : OTHER, status, seconds);
    call_free(call);
}

/* The callbacks over s, its labels registered so that /metrics lists them from the start. */
static void server_callbacks(struct server *s, struct api *api, struct http_routes *out)
{
    s->api = api;
    for (size_t i = 0; i < s->n; i++)
        metrics_route(s->rows[i].label);
    metrics_route(OTHER);
    out->begin = on_begin;
    out->handle = on_handle;
    out->resume = on_resume;
    out->done = on_done;
    out->error = on_error;
    out->arg = s;
}

void routes_server(struct api *api, struct http_routes *out)
{
    server_callbacks(&public_server, api, out);
}

void routes_metrics_server(struct api *api, struct http_routes *out)
{
    server_callbacks(&metrics_server, api, out);
}
