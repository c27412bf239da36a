/* call — the state of one request and the answers, shared by the gateway's handler files:
 * api.c (routing, status out, operations), intake.c (reports in), session.c (reviewers' logins),
 * review.c and decision.c (reviewers), feed.c (the platforms' decisions feed). Not a public
 * interface: only gateway/ includes it.
 *
 * Per-request state has one owner and one place where it dies: a struct call is made in the
 * route's begin callback and freed in its done callback (api.c).
 */
#ifndef JUBAO_CALL_H
#define JUBAO_CALL_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "fcall.h"
#include "isotime.h"
#include "http.h"
#include "jdoc.h"
#include "metrics.h"
#include "model.h"
#include "pwcheck.h"
#include "report.h"
#include "rules.h"
#include "store.h"

#define API_REPORTS "/api/v1/reports"
#define RETRY_AFTER_SECONDS 2L    /* when the store failed: long enough to reconnect */

struct auditor;

struct api {
    const struct conf *conf;
    const struct keys *keys;
    struct store *store;
    struct rules_live *rules;
    struct model_live *model;   /* the triage model in force (may hold none) */
    struct auditor *auditor;    /* writes decisions one at a time (decision.c) */
    struct pwcheck *pwcheck;    /* verifies passwords off the HTTP threads (session.c) */
    struct buf categories;      /* GET /api/v1/categories, rendered once */
};

/* One report of a request (a single report is a batch of one). */
struct item {
    int status;                 /* 0 while pending in the store job */
    struct report_error err;
    int cmd;                    /* its command in the job */
    char id[CRYPTO_ID_LEN];
    char secret[CRYPTO_SECRET_LEN];
    char case_id[CRYPTO_ID_LEN];
    bool duplicate;
    bool evidence_over;         /* refused: the reporter's evidence bytes of the day are spent */
    long retry_after;
    int pow_next;               /* refused past the limit: the bits of the proof of work that
                                 * would buy one more report (0: none can be bought now) */
};

/* The per-request state: made in begin, freed in done. */
struct call {
    struct api *api;
    enum route route;
    struct store_job *job;
    struct jdoc *doc;
    struct item *items;             /* reports of a POST, api.c */
    size_t nitems;
    char key_hash[CRYPTO_HEX_LEN];  /* of the Bearer key or session token, when one was sent */
    bool has_key;
    char secret_hash[CRYPTO_HEX_LEN];
    bool has_secret;
    char path_id[64];               /* the path's {id} or {case}; validated before use */
    char path_id2[64];              /* a second {…} of the path */
    const char *evidence;           /* a web report's image (in the request's form) */
    size_t evidence_len;
    const char *evidence_type;
    int pow_bits;                   /* a solved, spent proof of work of this many bits (0:
                                     * none): it may buy one report past the rate limit */
    void *web;                      /* the web pages' state (web.c) */
    int phase;                      /* of a request that takes several store jobs */
    int retries;
    char user[65];                  /* the reviewer logging in or deciding */
    char attempt[17];               /* a login's attempt id in logins:<name> */
    bool login_place;               /* a login holds a place with the password threads */
    struct pwcheck_task check;      /* a login's password, while the pool verifies it */
    struct http_req *req;           /* the request whose state this is */
    struct call *audit_next;        /* in the auditor's queue */
    char token[CRYPTO_TOKEN_LEN];
    char iso[32];                   /* a time the answer names (expiry, decision) */
};

/* Answers b (then freed) as JSON with status; 503 when b ran out of memory. */
void answer_json(struct http_req *req, int status, struct buf *b);

/* Answers {"error": {"code", "message", "field"}} (field may be NULL); 429 and 503 carry
 * Retry-After: retry_after seconds, or RETRY_AFTER_SECONDS when it is 0. */
void answer_error_retry(struct http_req *req, int status, const char *code, const char *message,
                        const char *field, long retry_after);
void answer_error(struct http_req *req, int status, const char *code, const char *message,
                  const char *field);

/* The Retry-After of a refusal: the bucket's wait, or RETRY_AFTER_SECONDS when none. */
long retry_of(long retry_after);

/* Appends ,"suggestions":[{"category","score","sources":["model","rule"]}, …] from a case's
 * suggested_scores ("cat:score:source,…", rules/triage.h), strongest first. */
void json_suggestions(struct buf *b, const char *scores);

/* {"code": …, "message": …, "field": …}, the inside of every error body. */
void error_object(struct buf *b, const char *code, const char *message, const char *field);

/* 503 for a store job that failed (Redis down or too slow), counted as a Redis error. */
void answer_unavailable(struct http_req *req);

/* True when the Content-Type is JSON in UTF-8 (the default charset of JSON). */
bool content_type_json(const char *ct);

long long wall_ms(void);

/* Starts the request's store job, dropping any before it, with a first command of args[0..n)
 * (none when n is 0). Returns 0, or -1 having answered 503. */
int job_begin(struct call *call, struct http_req *req, const char *const *args, size_t n);

/* Suspends the request until the store has answered its job (then the resume callback runs). */
void job_send(struct call *call, struct http_req *req);

/* The JSON body of the request, parsed into call->doc; an empty body counts as {} when
 * empty_ok. Returns 0, or -1 having answered 400 (or 415 for a non-JSON Content-Type). */
int take_json_object(struct call *call, struct http_req *req, bool empty_ok);

/* Checks that every member of call->doc is one of names[0..n). Returns 0, or -1 having
 * answered 400 unknown_field. */
int only_fields(struct call *call, struct http_req *req, const char *const *names, size_t n);

/* The pseudonym of the client's address (as the routes' begin resolved it) on the UTC day
 * of when: whom anonymous limits count. Returns 0, or -1 when that day's key is not loaded. */
int client_pseudonym(const struct call *call, struct http_req *req, time_t when,
                     char out[CRYPTO_HEX_LEN]);

/* POST /api/v1/reports and /api/v1/reports/batch once the body is in (intake.c). */
void reports_handle(struct call *call, struct http_req *req);

/* Validates obj as one report (docs/API.md), stores it with the request's evidence, and
 * suspends the request; the answer is made when the store has answered (api.c). */
void reports_submit_one(struct call *call, struct http_req *req, const struct jdoc *obj);
/* Looks up report call->path_id (a valid id) for the holder of secret (or NULL: of the
 * request's platform key) with jb_status, and suspends the request. Each lookup takes a token
 * of the status rate limit (rate_status_*): the platform's with a live key, else the client's
 * pseudonym's. */
void status_lookup(struct call *call, struct http_req *req, const char *secret);
/* After status_lookup: 0 when the lookup was within the rate limit, else the seconds until it
 * is (answer 429 with that Retry-After, and nothing of the report). */
long status_rate_wait(const struct call *call);
/* Reads the jb_status reply r into *out (whose strings live as long as the job) and says
 * whether the caller may see the report: 200, 401 or 404. */
int status_access(const struct call *call, const struct store_reply *r,
                  struct fcall_status_out *out);

/* Reads the store's answers into the request's items and answers (web_report_done for the
 * web form). */
void reports_finish(struct call *call, struct http_req *req);

/* The web pages (web.c): handle the request once its body is in; continue after a store
 * job; render the outcome of a report stored (or not) through reports_submit_one; free the
 * request's web state. */
void web_handle(struct call *call, struct http_req *req);
void web_resume(struct call *call, struct http_req *req);
void web_report_done(struct call *call, struct http_req *req);
void web_free(struct call *call);
/* The body limit of a web route, or -1 having answered. */
long web_begin(struct call *call, struct http_req *req);
/* Answers an error of the HTTP layer (413, 431, ...) as a page. */
void web_error_page(struct http_req *req, int status, const char *message);

/* The handlers of review.c (review_decision: decision.c); each answers, or suspends with a
 * store job whose answer goes to review_resume. */
void review_claim(struct call *call, struct http_req *req);
void review_lease(struct call *call, struct http_req *req);
void review_decision(struct call *call, struct http_req *req);
void review_queues(struct call *call, struct http_req *req);
void review_feed(struct call *call, struct http_req *req);
void review_evidence(struct call *call, struct http_req *req);
void review_resume(struct call *call, struct http_req *req);
/* Answers the refusals every review Function shares (FCALL_UNAUTHORIZED, FCALL_FORBIDDEN,
 * FCALL_NOT_FOUND, FCALL_CONFLICT as 409 conflict, anything else 503, logging err). Returns
 * true when it answered, false when a is FCALL_OK. */
bool review_refusal(struct http_req *req, enum fcall_answer a, const char *err,
                    const char *conflict);
/* The decisions feed (feed.c): review_feed starts it; feed_finish answers jb_feed's reply r. */
void feed_finish(struct call *call, struct http_req *req, const struct store_reply *r);

/* Reviewers' logins and sign-outs (session.c): each answers, or suspends until the store or
 * the password threads are done, then goes on in session_resume. */
void session_login(struct call *call, struct http_req *req);
void session_signout(struct call *call, struct http_req *req);
void session_resume(struct call *call, struct http_req *req);

/* The thread that writes decisions to the audit chain, one at a time (decision.c). Returns NULL
 * when out of memory or threads; free stops it after the decisions queued. Accepts NULL. */
struct auditor *auditor_new(struct store *store, const struct keys *keys);
void auditor_free(struct auditor *a);

/* The review metrics kept in Redis (queues, decisions, dead letters), appended to b from the
 * reply of a jb_review_stats call. */
void review_render_stats(struct buf *b, const struct store_reply *r);

#endif
