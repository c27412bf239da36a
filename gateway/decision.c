/* decision — POST /api/v1/review/cases/{case}/decision and the auditor, the thread that
 * writes this gateway's decisions to the audit chain one at a time.
 *
 * A decision takes two steps, because the audit hash is made here, where the key is, over the
 * hash of the entry before it: read the session's reviewer, then hand the request to the
 * auditor, which hashes each decision on the chain's head as it left it. jb_decide writes only
 * when the head has not moved; when another gateway's decision got in first, it answers the new
 * head and the auditor hashes again. One writer per gateway keeps such retries to the few that
 * several gateways cause.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "call.h"
#include "category.h"
#include "fcall_review.h"
#include "review.h"
#include "schema.h"
#include "text.h"

#define NOTE_MAX 2000              /* characters of a decision's note */
#define AUDIT_TRIES 20             /* hashing again when other decisions got in first */

/* A decision body's string member: NULL when absent; answers 400 and sets *bad when it is
 * not a string, too long or holds control characters. */
static const char *decision_string(struct call *call, struct http_req *req, const char *name,
                                   size_t max_chars, bool *bad)
{
    const struct jdoc *v = jdoc_get(call->doc, name);
    if (!v || *bad)
        return NULL;
    size_t len;
    const char *s = jdoc_string(v, &len);
    char msg[96];
    if (!s) {
        snprintf(msg, sizeof msg, "%s must be a string", name);
        answer_error(req, 400, "wrong_type", msg, name);
    } else if (text_utf8_chars(s, len) > max_chars) {
        snprintf(msg, sizeof msg, "%s is longer than %zu characters", name, max_chars);
        answer_error(req, 400, "too_long", msg, name);
    } else if (text_has_controls(s, len, true) || strlen(s) != len) {
        snprintf(msg, sizeof msg, "%s contains control characters", name);
        answer_error(req, 400, "control_characters", msg, name);
    } else {
        return s;
    }
    *bad = true;
    return NULL;
}

/* Checks {"verdict", "category", "note"}. Returns 0, or -1 having answered. */
static int decision_body(struct call *call, struct http_req *req)
{
    static const char *const names[] = {"verdict", "category", "note"};
    if (review_case_request(call, req, names, 3) < 0)
        return -1;
    bool bad = false;
    const char *verdict = decision_string(call, req, "verdict", 32, &bad);
    const char *category = decision_string(call, req, "category", 64, &bad);
    decision_string(call, req, "note", NOTE_MAX, &bad);
    if (bad)
        return -1;
    if (!verdict) {
        answer_error(req, 400, "missing_field", "verdict is required", "verdict");
    } else if (strcmp(verdict, "actioned") && strcmp(verdict, "no_violation") &&
               strcmp(verdict, "escalate")) {
        answer_error(req, 422, "invalid_verdict", "verdict is actioned, no_violation or escalate",
                     "verdict");
    } else if (category && !category_find(category, strlen(category))) {
        answer_error(req, 422, "invalid_category", "category is not a category code", "category");
    } else if (!category && strcmp(verdict, "actioned") == 0) {
        answer_error(req, 400, "missing_field", "an actioned case needs its category",
                     "category");
    } else {
        return 0;
    }
    return -1;
}

/* Reads the session's reviewer (phase 1); the auditor writes the decision (phase 2). */
static void decision_head(struct call *call, struct http_req *req)
{
    if (review_whoami_begin(call, req) < 0)
        return;
    call->phase = 1;
    job_send(call, req);
}

/* POST /api/v1/review/cases/{case}/decision */
void review_decision(struct call *call, struct http_req *req)
{
    if (decision_body(call, req) == 0)
        decision_head(call, req);
}

static const char *doc_str(const struct call *call, const char *name)
{
    const struct jdoc *v = jdoc_get(call->doc, name);
    return v ? jdoc_string(v, NULL) : "";
}

struct auditor {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct call *first, *last;  /* decisions waiting, oldest first */
    bool stop;
    char head[96];              /* the chain's head as last seen: "seq hash", "" at first */
    struct store *store;
    const struct keys *keys;
};

/* Writes one decision: hashes its audit entry on a->head and calls jb_decide, again on the
 * new head when another gateway moved it. Leaves the last job in call->job for
 * decision_finish (a failed job when Redis failed). */
static void audit_commit(struct auditor *a, struct call *call)
{
    isotime_format(time(NULL), call->iso);
    for (call->retries = 0; call->retries < AUDIT_TRIES; call->retries++) {
        char seq[24], hash[CRYPTO_HEX_LEN], head[96];
        snprintf(head, sizeof head, "%s", a->head);
        const char *prev = strchr(head, ' ');
        snprintf(seq, sizeof seq, "%lld", atoll(head) + 1);
        struct audit_entry e = {.seq = atoll(head) + 1, .prev = prev ? prev + 1 : "",
                                .at = call->iso, .case_id = call->path_id,
                                .verdict = doc_str(call, "verdict"),
                                .category = doc_str(call, "category"), .reviewer = call->user,
                                .note = doc_str(call, "note")};
        store_job_free(call->job);
        call->job = store_job_new(NULL, NULL);
        if (!call->job || audit_hash(a->keys, &e, hash) < 0)
            return;
        struct fcall_decide_in in = {call->key_hash, call->path_id, e.verdict, e.category,
                                     e.note, call->iso, head, seq, hash, call->user};
        struct fcall_decide_out out;
        char err[256];
        if (fcall_decide(call->job, &in) < 0 || store_run(a->store, call->job) < 0 ||
            fcall_decide_reply(store_job_reply(call->job, 0), &out, err, sizeof err) < 0)
            return;
        if (out.answer == FCALL_OK)
            snprintf(a->head, sizeof a->head, "%s %s", seq, hash);
        if (out.answer != FCALL_RETRY)
            return;
        metrics_add(M_AUDIT_RETRIES, 1);
        snprintf(a->head, sizeof a->head, "%s", out.head);
    }
}

static void *auditor_main(void *arg)
{
    struct auditor *a = arg;
    for (;;) {
        pthread_mutex_lock(&a->lock);
        while (!a->first && !a->stop)
            pthread_cond_wait(&a->more, &a->lock);
        struct call *call = a->first;
        if (call && !(a->first = call->audit_next))
            a->last = NULL;
        pthread_mutex_unlock(&a->lock);
        if (!call)
            return NULL;
        audit_commit(a, call);
        http_resume(call->req);
    }
}

struct auditor *auditor_new(struct store *store, const struct keys *keys)
{
    struct auditor *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->store = store;
    a->keys = keys;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->more, NULL);
    if (pthread_create(&a->thread, NULL, auditor_main, a) != 0) {
        pthread_cond_destroy(&a->more);
        pthread_mutex_destroy(&a->lock);
        free(a);
        return NULL;
    }
    return a;
}

void auditor_free(struct auditor *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    a->stop = true;
    pthread_cond_signal(&a->more);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->more);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* Queues the (suspended) request's decision for the auditor. */
static void auditor_push(struct auditor *a, struct call *call)
{
    call->audit_next = NULL;
    pthread_mutex_lock(&a->lock);
    if (a->last)
        a->last->audit_next = call;
    else
        a->first = call;
    a->last = call;
    pthread_cond_signal(&a->more);
    pthread_mutex_unlock(&a->lock);
}

void decision_finish(struct call *call, struct http_req *req, const struct store_reply *r)
{
    char err[256] = "";
    if (call->phase == 1) {
        struct fcall_whoami_out who;
        fcall_whoami_reply(r, &who, err, sizeof err);
        if (review_refusal(req, who.answer, err, "lease_not_held"))
            return;
        snprintf(call->user, sizeof call->user, "%s", who.name);
        call->phase = 2;
        http_suspend(req);
        auditor_push(call->api->auditor, call);
        return;
    }
    struct fcall_decide_out out;
    fcall_decide_reply(r, &out, err, sizeof err);
    if (out.answer == FCALL_RETRY) {
        answer_error(req, 503, "unavailable", "too many decisions at once; try again", NULL);
        return;
    }
    if (review_refusal(req, out.answer, err, "lease_not_held"))
        return;
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "case", call->path_id);
    buf_json_kv(&b, "verdict", doc_str(call, "verdict"));
    buf_json_kv(&b, "category", out.category);
    buf_json_kv(&b, "decided_at", call->iso);
    buf_puts(&b, "}");
    answer_json(req, 200, &b);
}
