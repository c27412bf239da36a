/* decision — POST /api/v1/review/cases/{case}/decision: the body checked here, the entry
 * written to the audit chain by the auditor (auditor.h).
 *
 * A decision takes two steps, because the audit hash is made where the key is, over the hash
 * of the entry before it: read the session's reviewer (jb_whoami), then hand the suspended
 * request to the auditor, which writes the case (jb_decide) and the audit entry (jb_audit)
 * and resumes it. A 503 may come after the case was written: the same reviewer's retry
 * answers the decision made (and completes its entry), not a conflict. A case from before the
 * sharded layout is not in the shard its id names: on not_found there, one more step reads the
 * id's alias and hands the decision to the auditor again for the shard it names (idshard.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditor.h"
#include "category.h"
#include "idshard.h"
#include "fcall_review.h"
#include "review.h"
#include "shard.h"
#include "text.h"

#define NOTE_MAX 2000              /* characters of a decision's note */

/* The steps of a decision, each ended by the store's answer. */
enum decision_step {
    DECISION_WHOAMI = 1,    /* 1: jb_whoami reads the session's reviewer */
    DECISION_WRITTEN,       /* 2: the auditor wrote the case and the entry (or failed) */
    DECISION_ALIAS,         /* 3: the case's alias was read (a case from before the shards) */
};

/* A decision's own state (call->state). */
struct decision {
    enum decision_step step;
    char user[65];              /* the deciding reviewer */
    struct audit_task task;
    struct http_req *req;
    bool alias_asked;
};

const char *review_body_string(struct call *call, struct http_req *req, const char *name,
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
        call_answer_error(req, 400, "wrong_type", msg, name);
    } else if (text_utf8_chars(s, len) > max_chars) {
        snprintf(msg, sizeof msg, "%s is longer than %zu characters", name, max_chars);
        call_answer_error(req, 400, "too_long", msg, name);
    } else if (text_has_controls(s, len, true) || strlen(s) != len) {
        snprintf(msg, sizeof msg, "%s contains control characters", name);
        call_answer_error(req, 400, "control_characters", msg, name);
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
    const char *verdict = review_body_string(call, req, "verdict", 32, &bad);
    const char *category = review_body_string(call, req, "category", 64, &bad);
    review_body_string(call, req, "note", NOTE_MAX, &bad);
    if (bad)
        return -1;
    if (!verdict) {
        call_answer_error(req, 400, "missing_field", "verdict is required", "verdict");
    } else if (strcmp(verdict, "actioned") && strcmp(verdict, "no_violation") &&
               strcmp(verdict, "escalate")) {
        call_answer_error(req, 422, "invalid_verdict",
                          "verdict is actioned, no_violation or escalate", "verdict");
    } else if (category && !category_find(category, strlen(category))) {
        call_answer_error(req, 422, "invalid_category", "category is not a category code",
                          "category");
    } else if (!category && strcmp(verdict, "actioned") == 0) {
        call_answer_error(req, 400, "missing_field", "an actioned case needs its category",
                          "category");
    } else {
        return 0;
    }
    return -1;
}

static const char *doc_str(const struct call *call, const char *name)
{
    const struct jdoc *v = jdoc_get(call->doc, name);
    return v ? jdoc_string(v, NULL) : "";
}

/* POST /api/v1/review/cases/{case}/decision: step 1. */
void review_decision(struct call *call, struct http_req *req)
{
    if (decision_body(call, req) < 0)
        return;
    struct decision *d = calloc(1, sizeof *d);
    if (!d) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return;
    }
    call_set_state(call, d, free);
    if (review_whoami_begin(call, req) < 0)
        return;
    d->step = DECISION_WHOAMI;
    call_job_send(call, req);
}

static void written(void *arg)
{
    http_resume(arg);
}

/* Hands the suspended request to the auditor for the case in the shard of prefix. */
static void decision_push(struct call *call, struct http_req *req, struct decision *d,
                          const char *prefix)
{
    d->task = (struct audit_task){.prefix = prefix,
                                  .case_id = call->path_id,
                                  .verdict = doc_str(call, "verdict"),
                                  .category = doc_str(call, "category"),
                                  .note = doc_str(call, "note"), .user = d->user,
                                  .done = written, .arg = req};
    d->step = DECISION_WRITTEN;
    http_suspend(req);
    auditor_push(call->api->auditor, &d->task);
}

/* Step 1 answered: hands the suspended request to the auditor. */
static void decision_whoami(struct call *call, struct http_req *req, struct decision *d,
                            const struct store_reply *r)
{
    struct fcall_whoami_out who;
    char err[256] = "";
    fcall_whoami_reply(r, &who, err, sizeof err);
    if (review_refusal(req, who.answer, err, "lease_not_held"))
        return;
    snprintf(d->user, sizeof d->user, "%s", who.name);
    decision_push(call, req, d, idshard_named(call->api->shards, call->path_id));
}

void review_decision_done(struct call *call, struct http_req *req)
{
    struct decision *d = call->state;
    const struct store_reply *r = review_first_reply(call, req);
    if (!r)
        return;
    if (d->step == DECISION_WHOAMI) {
        decision_whoami(call, req, d, r);
        return;
    }
    if (d->step == DECISION_ALIAS) {
        const char *prefix = idshard_alias_prefix(call->api->shards, call->path_id, r);
        if (prefix)
            decision_push(call, req, d, prefix);
        else
            review_refusal(req, FCALL_NOT_FOUND, "", "lease_not_held");
        return;
    }
    if (d->task.failed) {
        call_answer_unavailable(req);
        return;
    }
    if (d->task.answer == FCALL_NOT_FOUND && !d->alias_asked &&
        idshard_may_move(call->api->shards)) {
        d->alias_asked = true;
        d->step = DECISION_ALIAS;
        idshard_alias_send(call, req, call->path_id);
        return;
    }
    if (review_refusal(req, d->task.answer, d->task.err, "lease_not_held"))
        return;
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "case", call->path_id);
    buf_json_kv(&b, "verdict", d->task.verdict_made);
    buf_json_kv(&b, "category", d->task.category_made);
    buf_json_kv(&b, "decided_at", d->task.at);
    buf_puts(&b, "}");
    call_answer_json(req, 200, &b);
}
