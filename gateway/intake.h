/* intake — a report's way in, the same for both doors: the API (POST /api/v1/reports and
 * /batch, api.c) and the web form (POST /report, reportform.c) each call it and render its
 * outcome in their own format; it calls back into neither.
 *
 * Each report is validated (report.h), triaged by the rules and the model in force
 * (rules/triage.h; the reviewers' copies redacted), sealed, and written in two store rounds
 * (docs/SCALING.md): FCALL jb_admit on the reporter's slot (key, Idempotency-Key, rate limit,
 * proof of work, evidence budget), then FCALL jb_report on the case's shard, which stores a
 * report id once however often it is sent; then, rarely, a third round adds a platform's
 * report on a decided case to the platform's feed (a global key). Each round pipelines every
 * report of the request in one store job; the replies are read back into the request's items. Who reports is a pseudonym of the client's address (today's, and
 * yesterday's so that limits and retries hold across midnight) or the platform key.
 *
 * The steps are exposed one by one (intake_scope_make, intake_classify, intake_command,
 * intake_read_item) so that bench/stages.c times the very functions a request runs.
 */
#ifndef JUBAO_INTAKE_H
#define JUBAO_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "call.h"
#include "conf.h"
#include "crypto.h"
#include "global.h"
#include "report.h"
#include "shard.h"
#include "store.h"

struct ruleset;
struct model;

/* What triage says of one report: stored with the case and the report. */
struct intake_verdict {
    struct buf categories, hits;  /* comma-separated */
    struct buf scores;            /* "cat:score:source,...", triage_scores */
    int severity, priority;
    char *title, *description;    /* the reviewers' copies, personal data redacted; or NULL */
};

/* One report of a request (a single report is a batch of one). */
struct intake_item {
    int status;                 /* 0 while pending in the store job */
    struct report_error err;
    int cmd;                    /* its command in the job; -1: none */
    char id[CRYPTO_ID_LEN];
    char secret[CRYPTO_SECRET_LEN];
    char case_id[CRYPTO_ID_LEN];
    bool duplicate;
    bool evidence_over;         /* refused: the reporter's evidence bytes of the day are spent */
    long retry_after;
    int pow_next;               /* refused past the limit: the bits of the proof of work that
                                 * would buy one more report (0: none can be bought now) */
    bool held;                  /* report and verdict below are held for jb_report */
    bool replay;                /* jb_admit knew its Idempotency-Key */
    struct report report;
    struct intake_verdict verdict;
    char platform[65];          /* the key's name (jb_admit), or "" */
    char feed[3][40];           /* jb_report: verdict, category, decided_at of the decided
                                 * case a platform's report joined, for its feed; or "" */
};

/* The store rounds of a request's reports, in their order. */
enum { ROUND_ADMIT = 1, ROUND_REPORT, ROUND_FEED };

/* The reports of one request and what the web form adds to them. The caller owns it (in
 * its family's state) and frees it with intake_free. */
struct intake {
    struct intake_item *items;
    size_t nitems;
    const char *evidence;       /* the web form's image without its metadata, or NULL */
    size_t evidence_len;
    const char *evidence_type;
    int pow_bits;               /* a solved, spent proof of work of this many bits (0: none):
                                 * it may buy one report past the rate limit */
    int round;                  /* the store round in flight: ROUND_ADMIT, ROUND_REPORT, ... */
    struct intake_scope *scope; /* owned, kept between the rounds */
    long long sent_ms;          /* when the round in flight was sent */
    bool resent;                /* the round in flight is sent again (intake_read) */
};

/* Who reports, and the limits and idempotency scope that follow. */
struct intake_scope {
    const struct conf *conf;
    const struct keys *keys;
    bool platform;                          /* a platform key, not a pseudonym */
    char key_hash[CRYPTO_HEX_LEN];          /* the platform key's hash, or "none" */
    char prefix[GLOBAL_PREFIX_MAX];         /* of jb_admit's keys: the reporter's (global.h) */
    char reporter[CRYPTO_HEX_LEN + 2];      /* pseudonym, or p:<key hash> */
    char reporter_prev[CRYPTO_HEX_LEN + 2]; /* yesterday's pseudonym (or reporter again), so
                                             * that limits and retries hold across midnight */
    long rate_cap, rate_window_ms;
    const char *idem_key;                   /* the Idempotency-Key header, or NULL */
    char body_hash[CRYPTO_HEX_LEN];
};


/* Validates each report object of arr (or obj alone when arr is NULL) into in's items,
 * queues the valid ones in the request's store job and suspends the request. Returns 1 when
 * it suspended (the route's resume then calls intake_read), 0 when no report needs the store
 * (the items hold their outcome: answer now), or -1 having answered 503. */
int intake_submit(struct call *call, struct http_req *req, struct intake *in,
                  const struct jdoc *arr, const struct jdoc *obj);

/* Reads the store's replies into the items still pending (503 when the job failed). Returns
 * true when it sent the request's next round (the route's resume calls it again) or answered
 * 503 itself, false when every item holds its outcome (the caller answers). */
bool intake_read(struct call *call, struct http_req *req, struct intake *in);

/* Frees what in holds and zeroes it. Accepts a zeroed one. */
void intake_free(struct intake *in);

/* The members of a stored item's receipt: id, case, duplicate, secret, then status
 * "received" unless in a batch, then status_url; appended without braces. */
void intake_receipt(struct buf *b, const struct intake_item *it, bool batch);

/* ---- the steps, one by one ---- */

/* Works out who is reporting: the platform of key_hash, or else (key_hash NULL) the client
 * at address client; idem_key (or NULL) scopes to the body's keyed hash. Returns 0, or -1
 * when today's pseudonym key is not there yet (Redis not reached since the start). */
int intake_scope_make(struct intake_scope *sc, const struct conf *c, const struct keys *k,
                      const struct shards *sh, const char *key_hash, const char *client, time_t now,
                      const char *idem_key, const char *body, size_t len);

/* Triages the report (m may be NULL: the rules alone) and redacts the reviewers' copies of
 * its text. Returns 0, or -1 when memory ran out (v is then freed). */
int intake_classify(const struct ruleset *rs, const struct model *m, const struct report *r,
                    struct intake_verdict *v);
/* Frees what v holds and zeroes it, so that freeing twice is harmless. */
void intake_verdict_free(struct intake_verdict *v);

/* Appends to job, as its command cmd, the jb_admit call of item `index` of in, report r
 * (drawing its id and case id in the shard of r's URL in sh, and its secret). Returns 0, or
 * -1 when out of memory. */
int intake_command(struct store_job *job, const struct intake_scope *sc,
                   const struct shards *sh, struct intake *in, size_t index,
                   const struct report *r, int cmd);

/* Appends to job, as its command cmd, the jb_report call of item it (its held report and
 * verdict, id and secret) in the shard its id names. Returns 0, or -1 when out of memory. */
int intake_report_command(struct store_job *job, const struct intake_scope *sc,
                          const struct shards *sh, const struct intake *in,
                          struct intake_item *it, int cmd);

/* Reads the jb_admit reply r into the item (its outcome when refused or an old replay). */
void intake_read_admit(const struct keys *k, const struct store_reply *r,
                       struct intake_item *it);

/* Reads the jb_report reply r into the item's status. */
void intake_read_item(const struct store_reply *r, struct intake_item *it);

#endif
