/* fcall — the typed contract with jubao's Redis Functions (redis/, the .lua files): for every Function,
 * an argument struct, a result struct, and the one place where its command is built and its
 * reply read.
 *
 * fcall_X(job, &in) appends FCALL jb_X, with its keys (built here from ids, lib/schema.h) and
 * arguments in the order the Lua reads them, as the next command of a store job (store.h), so
 * that callers can pipeline several Functions, and other commands, in one job. It returns 0,
 * or -1 when out of memory or the command is too long (the job then fails when submitted).
 * fcall_X_reply(reply, &out, err, errlen) reads that command's reply: it returns 0 with out
 * filled, or -1 when the reply is an error (err holds Redis' message unchanged, e.g. "OOM
 * ...") or not of the Function's shape (err says so). Strings in out point into the reply:
 * they live as long as its job, and are "" when Redis had none. Synchronous callers (the
 * worker, jubao-admin) use fcall_X_run, which runs a job of that one command and leaves
 * nothing borrowed; its err also says when Redis did not answer.
 *
 * The review Functions (jb_claim ... jb_review_stats) are declared in fcall_review.h.
 */
#ifndef JUBAO_FCALL_H
#define JUBAO_FCALL_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* The first word of a Function's answer ({'ok', ...}, 'queued', ...). */
enum fcall_answer {
    FCALL_OTHER, /* none of these (never returned by a _reply that succeeds) */
    FCALL_OK,
    FCALL_IDEM,
    FCALL_CONFLICT,
    FCALL_RATELIMITED,
    FCALL_EVIDENCE_BUDGET,
    FCALL_UNAUTHORIZED,
    FCALL_FORBIDDEN,
    FCALL_LOCKED,
    FCALL_EXISTS,
    FCALL_UNKNOWN,
    FCALL_EMPTY,
    FCALL_NOT_FOUND,
    FCALL_RETRY,
    FCALL_MOVED,
    FCALL_TOO_LARGE,
    FCALL_QUEUED,
    FCALL_ALREADY,
    FCALL_DEAD,
};

/* Runs a job whose commands were appended, waiting for it. Returns 0 when every command got
 * a reply (which may be an error reply), -1 with err set (Redis did not answer, or the job
 * could not be built). The caller still frees the job. */
int fcall_sync(struct store *st, struct store_job *job, char *err, size_t errlen);

/* ---- reports (redis/reports.lua) ---------------------------------------------------- */

/* jb_admit: the first of a report's two calls, on the reporter's slot: the key, the
 * Idempotency-Key (recorded with the report's id and wrapped secret before the report
 * exists), the rate limit, the proof of work and the evidence budget (redis/reports.lua). */
struct fcall_admit_in {
    const char *prefix;         /* the reporter's keys' prefix (lib/global.h); NULL: "jb:{0}:" */
    long long now_ms;
    const char *reporter;       /* today's pseudonym, or p:<key hash> */
    const char *reporter_prev;  /* yesterday's (or reporter again) */
    const char *key_hash;       /* the platform key's hash, or NULL */
    long long rate_cap, rate_window_ms; /* rate_cap 0: no limit */
    const char *idem_hash, *idem_hash_prev; /* the idempotency records' names, today's and
                                             * yesterday's scope; NULL: no Idempotency-Key */
    const char *body_hash;      /* with an Idempotency-Key: of the body */
    long long idem_ttl_s;
    const char *id, *secret_box;    /* the report's id and its secret wrapped, recorded */
    long long pow_offered;          /* bits of the proof of work offered; 0: none */
    long long pow_bits, pow_extra;  /* bits asked for the first report bought; how many */
    long long evidence_budget;      /* bytes per reporter per day; 0: no limit */
    long long evidence_plain_len;   /* counted in the budget */
};
struct fcall_admit_out {
    enum fcall_answer answer;   /* OK, IDEM, CONFLICT, RATELIMITED, EVIDENCE_BUDGET,
                                 * UNAUTHORIZED */
    const char *platform;       /* OK, IDEM: the key's name, or "" */
    const char *id, *secret_box;    /* IDEM: the recorded report id and wrapped secret */
    const char *case_id;        /* IDEM: "" unless the record is from before the split */
    bool duplicate;             /* IDEM with a case */
    long retry_after;           /* RATELIMITED, EVIDENCE_BUDGET: seconds */
    int pow_next;               /* RATELIMITED: bits that buy the next report; 0: none */
};
int fcall_admit(struct store_job *job, const struct fcall_admit_in *in);
int fcall_admit_reply(const struct store_reply *r, struct fcall_admit_out *out, char *err,
                      size_t errlen);

/* jb_report: stores one report in its case's shard, creating or joining its case; a report
 * id that exists is answered as stored and not written again (redis/reports.lua says how). */
struct fcall_report_in {
    const char *prefix;         /* the case's shard's key prefix (lib/shard.h); NULL: "jb:{0}:" */
    const char *url_hash;       /* crypto_digest of the canonical URL: the case's URL key */
    const char *id, *new_case;  /* the report's id; the case's id if it opens one */
    long long now_ms;
    const char *iso;            /* now */
    const char *category;
    const char *canonical, *domain, *original;      /* url.h: url_parts */
    const char *reporter;       /* today's pseudonym, or p:<key hash> */
    const char *platform;       /* the platform's name (jb_admit's answer), or "" */
    const char *secret_hash;
    const char *sealed;
    const char *platform_ref; size_t platform_ref_len;
    const char *language; size_t language_len;
    const char *fingerprint;
    const char *suggested, *rule_hits, *scores; /* triage.h: triage_lists, triage_scores */
    long long severity, priority;
    const char *title, *description;        /* the reviewers' redacted copies, or "" */
    long long no_violation_window_ms;
    const char *evidence_type;  /* "" or NULL: none */
    const void *evidence; size_t evidence_len;  /* encrypted */
    long long retention_s;
};
struct fcall_report_out {
    enum fcall_answer answer;   /* OK (stored now), IDEM (stored before) */
    const char *id, *case_id;
    bool duplicate;             /* the report joined a case */
    const char *verdict;        /* OK: a platform's report joined a decided case: "" or its */
    const char *decision_category, *decided_at; /* verdict, for the platform's feed */
};
int fcall_report(struct store_job *job, const struct fcall_report_in *in);
int fcall_report_reply(const struct store_reply *r, struct fcall_report_out *out, char *err,
                       size_t errlen);

/* jb_status: what a report's reporter or platform may see of it. The caller compares the
 * secret hash, in constant time. */
struct fcall_status_in {
    const char *prefix;         /* the report's shard's key prefix (lib/shard.h); NULL: "jb:{0}:" */
    const char *id;             /* the report */
};
struct fcall_status_out {
    bool found;
    const char *secret_hash, *platform, *case_id, *category, *received_at;
    const char *status, *updated_at, *verdict, *decision_category, *decided_at;
    size_t noutcomes;           /* the handlers' outcomes: read with fcall_status_outcome */
    const struct store_reply *reply_;
};
/* A handler's outcome of the report's case (API.md, "Handlers"). */
struct fcall_status_outcome {
    const char *outcome;        /* removed, restricted, no_action */
    const char *by;             /* platform, agency */
    const char *at;
};
int fcall_status(struct store_job *job, const struct fcall_status_in *in);
/* Outcome i (< out->noutcomes), oldest first. */
struct fcall_status_outcome fcall_status_outcome(const struct fcall_status_out *out, size_t i);
int fcall_status_reply(const struct store_reply *r, struct fcall_status_out *out, char *err,
                       size_t errlen);

/* jb_rate: takes one status lookup from the platform's bucket (a live key) or the client's
 * (then key_hash NULL). */
struct fcall_rate_in {
    const char *prefix;         /* the owner's key prefix (lib/global.h); NULL: "jb:{0}:" */
    long long now_ms;
    const char *pseudonym;      /* the client's (without a key) */
    const char *key_hash;       /* the platform key's hash, or NULL */
    long long cap, window_ms;   /* the bucket's; cap 0: off */
};
struct fcall_rate_out {
    enum fcall_answer answer;   /* OK, or UNAUTHORIZED: the key is not live, no token taken */
    long retry_after;           /* OK: 0 a token was taken; else seconds until one is back */
    const char *key_name;       /* OK: the key's platform ("" without a key) */
};
int fcall_rate(struct store_job *job, const struct fcall_rate_in *in);
int fcall_rate_reply(const struct store_reply *r, struct fcall_rate_out *out, char *err,
                     size_t errlen);

/* ---- accounts (redis/accounts.lua) -------------------------------------------------- */

/* jb_apikey_check: whether a platform key is live, and its platform. */
struct fcall_apikey_check_out {
    enum fcall_answer answer;   /* OK, or UNAUTHORIZED (unknown or revoked) */
    const char *platform;       /* OK */
    const char *handler;        /* OK: the handler whose referrals it pulls, "" none */
    bool report;                /* OK: it may file reports and read the platform's feed */
};
/* prefix: the key's (lib/global.h); NULL: "jb:{0}:" */
int fcall_apikey_check(struct store_job *job, const char *prefix, const char *key_hash);
int fcall_apikey_check_reply(const struct store_reply *r, struct fcall_apikey_check_out *out,
                             char *err, size_t errlen);

/* jb_reviewer_add, jb_reviewer_disable: answer OK, or EXISTS (add) or UNKNOWN (disable).
 * Each prefix below is the reviewer's or the client's (lib/global.h); NULL: "jb:{0}:". */
struct fcall_account_out {
    enum fcall_answer answer;
};
struct fcall_reviewer_add_in {
    const char *prefix, *name, *pwhash, *role, *iso;
};
int fcall_reviewer_add(struct store_job *job, const struct fcall_reviewer_add_in *in);
struct fcall_reviewer_disable_in {
    const char *prefix, *name, *iso;
};
int fcall_reviewer_disable(struct store_job *job, const struct fcall_reviewer_disable_in *in);
/* The reply of either. */
int fcall_account_reply(const struct store_reply *r, struct fcall_account_out *out, char *err,
                        size_t errlen);
int fcall_reviewer_add_run(struct store *st, const struct fcall_reviewer_add_in *in,
                           struct fcall_account_out *out, char *err, size_t errlen);
int fcall_reviewer_disable_run(struct store *st, const struct fcall_reviewer_disable_in *in,
                               struct fcall_account_out *out, char *err, size_t errlen);

/* jb_login_client: takes a login from the client's bucket, before jb_login. */
struct fcall_login_client_in {
    const char *prefix;         /* the client's */
    const char *pseudonym;
    long long cap, window_ms;   /* cap 0: off */
};
int fcall_login_client(struct store_job *job, const struct fcall_login_client_in *in);

/* jb_login: counts a login attempt before the password is checked. */
struct fcall_login_in {
    const char *prefix;         /* the reviewer's */
    const char *name;           /* "" or NULL: counted under "-" */
    const char *attempt;        /* a random id for the attempt */
    long long max_attempts, window_ms;      /* per name */
};
struct fcall_login_out {
    enum fcall_answer answer;   /* OK, RATELIMITED (the client), LOCKED (the name) */
    const char *pwhash, *role;  /* OK: "" when no such reviewer */
    bool disabled;              /* OK: also when no such reviewer */
    long retry_after;           /* RATELIMITED, LOCKED */
};
int fcall_login(struct store_job *job, const struct fcall_login_in *in);
/* The reply of jb_login_client (OK or RATELIMITED) or of jb_login. */
int fcall_login_reply(const struct store_reply *r, struct fcall_login_out *out, char *err,
                      size_t errlen);

/* jb_login_done: makes the session after the right password. Its reply is 'ok'. */
struct fcall_login_done_in {
    const char *prefix;         /* the reviewer's, which is the token's */
    const char *attempt, *name, *role;
    const char *token_hash;     /* the session's keyed token hash */
    long long ttl_s;
    const char *expires_iso;
};
int fcall_login_done(struct store_job *job, const struct fcall_login_done_in *in);

/* jb_logout: answer OK, or UNAUTHORIZED when there was no such session. prefix: the token's. */
struct fcall_logout_out {
    enum fcall_answer answer;
};
int fcall_logout(struct store_job *job, const char *prefix, const char *token_hash);
int fcall_logout_reply(const struct store_reply *r, struct fcall_logout_out *out, char *err,
                       size_t errlen);

/* ---- workers (redis/workers.lua) ---------------------------------------------------- */

/* jb_route: queues a case for review and acknowledges its intake entry, in one step. */
struct fcall_route_in {
    const char *prefix;         /* the case's shard's key prefix (lib/shard.h); NULL: "jb:{0}:" */
    const char *entry, *case_id, *report_id;
    const char *suggested, *rule_hits, *scores;
    long long severity, priority, band;
    const char *title, *description;    /* redacted */
    const char *iso;
};
struct fcall_route_out {
    enum fcall_answer answer;   /* QUEUED, MOVED (to a higher band), ALREADY, DEAD */
};
int fcall_route(struct store_job *job, const struct fcall_route_in *in);
int fcall_route_reply(const struct store_reply *r, struct fcall_route_out *out, char *err,
                      size_t errlen);

/* jb_dead: moves an intake entry to the dead-letter stream. Its reply is 'ok'. */
struct fcall_dead_in {
    const char *prefix;         /* the entry's shard's key prefix; NULL: "jb:{0}:" */
    const char *entry, *case_id, *report_id;
    long long deliveries;
    const char *reason, *iso;
};
int fcall_dead(struct store_job *job, const struct fcall_dead_in *in);

/* jb_trim_intake: trims the intake stream of the shard whose key prefix is prefix (NULL:
 * "jb:{0}:") below what every group acknowledged. */
int fcall_trim_intake(struct store_job *job, const char *prefix);
/* *removed: the entries removed. */
int fcall_trim_intake_run(struct store *st, const char *prefix, long long *removed, char *err,
                          size_t errlen);

/* jb_forget_consumers: deletes the workers' consumers of the shard's (prefix) intake stream
 * that hold no entry and have not read for idle_ms; *gone: how many. */
int fcall_forget_consumers_run(struct store *st, const char *prefix, long long idle_ms,
                               long long *gone, char *err, size_t errlen);

/* The reply of a Function that answers 'ok' (jb_login_done, jb_dead): 0 or -1. */
int fcall_ok_reply(const struct store_reply *r, char *err, size_t errlen);

/* ---- models (redis/model.lua) ------------------------------------------------------- */

/* jb_model_install: installs a model's bytes as the next version. */
struct fcall_model_install_in {
    const void *blob; size_t len;
    const char *label, *trained_at;
    long long examples;
    double holdout;
    long long decisions_at, max_bytes;
    const long long *expect;    /* the version compared with, or NULL: whatever is in force */
    const char *lock;           /* the training lock's token, or NULL */
};
struct fcall_model_install_out {
    enum fcall_answer answer;   /* OK, TOO_LARGE, MOVED, LOCKED */
    long long version;          /* OK: the new one; MOVED: the one in force */
};
int fcall_model_install_run(struct store *st, const struct fcall_model_install_in *in,
                            struct fcall_model_install_out *out, char *err, size_t errlen);

/* jb_model_unlock: releases the training lock if token still holds it; *released says. */
int fcall_model_unlock(struct store_job *job, const char *token);
int fcall_model_unlock_reply(const struct store_reply *r, bool *released, char *err,
                             size_t errlen);

/* jb_model_due: whether a retraining is due. */
struct fcall_model_due_in {
    long long now_ms, need, interval_ms;    /* need 0: never */
};
struct fcall_model_due_out {
    bool due;
    long long decisions;        /* actioned and no_violation, counted now */
};
int fcall_model_due_run(struct store *st, const struct fcall_model_due_in *in,
                        struct fcall_model_due_out *out, char *err, size_t errlen);

/* jb_model_stats: the model version in Redis (0: none) and the workers' retrainings. */
struct fcall_model_stats_out {
    long long version, installed, worse, failed;
};
int fcall_model_stats(struct store_job *job);
int fcall_model_stats_reply(const struct store_reply *r, struct fcall_model_stats_out *out,
                            char *err, size_t errlen);

#endif
