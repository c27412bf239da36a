/* call — the state every request has and the answers every handler family gives: made by
 * routes.c when a request's headers are in, freed when the request is over. Each family (api.c,
 * web.c, review.c, ...) keeps what only its requests need behind call->state. Not a public
 * interface: only gateway/ includes it.
 *
 * Per-request state has one owner and one place where it dies: call_new in the routes' begin,
 * call_free in their done callback (routes.c), which frees the family's state with it.
 */
#ifndef JUBAO_CALL_H
#define JUBAO_CALL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "global.h"
#include "http.h"
#include "jdoc.h"
#include "path.h"
#include "store.h"

#define API_REPORTS "/api/v1/reports"
#define RETRY_AFTER_SECONDS 2L    /* when the store failed: long enough to reconnect */

struct auditor;
struct webhook;
struct pwcheck;
struct route;
struct rules_live;
struct model_live;

/* What the gateway's handlers share, for its whole life (api_new makes it). */
struct api {
    const struct conf *conf;
    const struct keys *keys;
    struct store *store;
    struct rules_live *rules;
    struct model_live *model;   /* the triage model in force (may hold none) */
    struct auditor *auditor;    /* writes decisions one at a time (auditor.c) */
    struct webhook *webhook;    /* pushes referrals to handlers' webhooks (webhook.c) */
    struct pwcheck *pwcheck;    /* verifies passwords off the HTTP threads (session.c) */
    struct buf categories;      /* GET /api/v1/categories, rendered once */
    struct shards *shards;      /* redis_shards' table (lib/shard.h), once layout_known */
    atomic_bool layout_known;   /* shards and auditor are there (layout.c) */
    pthread_mutex_t layout_lock; /* one request at a time asks Redis for them */
};

/* The per-request state: made in begin, freed in done. */
struct call {
    struct api *api;
    const struct route *route;      /* the row of the routes' table that matched, or NULL */
    struct store_job *job;          /* the request's store job, when it has one */
    struct jdoc *doc;               /* the request's JSON object, when it has one */
    char key_hash[CRYPTO_HEX_LEN];  /* of the Bearer key or session token, when one was sent */
    char key_prefix[GLOBAL_PREFIX_MAX]; /* the slot of its record: the key's, or the token's
                                         * reviewer's (lib/global.h) */
    bool has_key;
    char path_id[PATH_ID_MAX];      /* the path's {id} or {case}; validated before use */
    char path_id2[PATH_ID_MAX];     /* a second {…} of the path */
    void *state;                    /* the handler family's own, freed with the call */
    void (*state_free)(void *state);
};

/* A new call of req, set as its state. Returns NULL having answered 503 when memory ran out. */
struct call *call_new(struct api *api, struct http_req *req);
/* Frees the call, its store job, its document and its family's state. Accepts NULL. */
void call_free(struct call *call);
/* Gives the call the family's state, which call_free frees with free_state (may be NULL). */
void call_set_state(struct call *call, void *state, void (*free_state)(void *state));

/* Answers b (then freed) as JSON with status; 503 when b ran out of memory. */
void call_answer_json(struct http_req *req, int status, struct buf *b);

/* Answers {"error": {"code", "message", "field"}} (field may be NULL); 429 and 503 carry
 * Retry-After: retry_after seconds, or RETRY_AFTER_SECONDS when it is 0. */
void call_answer_error_retry(struct http_req *req, int status, const char *code,
                             const char *message, const char *field, long retry_after);
void call_answer_error(struct http_req *req, int status, const char *code, const char *message,
                       const char *field);

/* 503 for a store job that failed (Redis down or too slow), counted as a Redis error. */
void call_answer_unavailable(struct http_req *req);

/* The Retry-After of a refusal: the bucket's wait, or RETRY_AFTER_SECONDS when none. */
long call_retry_of(long retry_after);

/* {"code": …, "message": …, "field": …}, the inside of every error body. */
void call_error_object(struct buf *b, const char *code, const char *message, const char *field);

/* Appends ,"suggestions":[{"category","score","sources":["model","rule"]}, …] from a case's
 * suggested_scores ("cat:score:source,…", rules/triage.h), strongest first. */
void call_json_suggestions(struct buf *b, const char *scores);

/* True when the Content-Type is JSON in UTF-8 (the default charset of JSON). */
bool call_content_type_json(const char *ct);

/* The wall clock in milliseconds since the epoch. */
long long call_wall_ms(void);

/* Starts the request's store job, dropping any before it, with a first command of args[0..n)
 * (none when n is 0). Returns 0, or -1 having answered 503. */
int call_job_begin(struct call *call, struct http_req *req, const char *const *args, size_t n);

/* Suspends the request until the store has answered its job (then the resume callback runs). */
void call_job_send(struct call *call, struct http_req *req);

/* The JSON body of the request, parsed into call->doc; an empty body counts as {} when
 * empty_ok. Returns 0, or -1 having answered 400 (or 415 for a non-JSON Content-Type). */
int call_take_json(struct call *call, struct http_req *req, bool empty_ok);

/* Checks that every member of call->doc is one of names[0..n). Returns 0, or -1 having
 * answered 400 unknown_field. */
int call_only_fields(struct call *call, struct http_req *req, const char *const *names,
                     size_t n);

/* The pseudonym of the client's address (as the routes' begin resolved it) on the UTC day
 * of when: whom anonymous limits count. Returns 0, or -1 when that day's key is not loaded. */
int call_pseudonym(const struct call *call, struct http_req *req, time_t when,
                   char out[CRYPTO_HEX_LEN]);

#endif
