/* referrer — see referrer.h. */
#include "referrer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcall_referrals.h"
#include "global.h"
#include "isotime.h"
#include "log.h"

#define REFER_DESCRIPTIONS 5       /* the latest reports' descriptions a referral shows */
#define EVENT_ROUNDS 20            /* rounds of FCALL_EVENTS_MAX events per call */

struct referrer {
    struct store *store;
    const struct conf *conf;
    char hp[GLOBAL_PREFIX_MAX];     /* the handlers' prefix */
    referrer_append_fn *append;
    void *ctx;
};

struct referrer *referrer_new(struct store *store, const struct conf *conf,
                              const struct shards *shards, referrer_append_fn *append,
                              void *ctx)
{
    struct referrer *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    *r = (struct referrer){.store = store, .conf = conf, .append = append, .ctx = ctx};
    global_prefix(shards, GLOBAL_HANDLERS, "", r->hp);
    return r;
}

void referrer_free(struct referrer *r)
{
    free(r);
}

/* Runs job's one command (built: 0 or -1). Returns its reply, or NULL (the job failed). */
static const struct store_reply *run(struct referrer *r, struct store_job *job, int built)
{
    if (!job || built < 0 || store_run(r->store, job) < 0 || store_job_ok(job) < 0)
        return NULL;
    return store_job_reply(job, 0);
}

/* The seconds a handler has for a case of severity sev (0..4, the highest rule hit of its
 * reports, docs/RULES.md): critical 4, high 3, medium 2, low 1 and 0. */
static long deadline_s(const struct conf *c, const char *sev)
{
    switch (atoi(sev)) {
    case 4: return c->referral_deadline_critical;
    case 3: return c->referral_deadline_high;
    case 2: return c->referral_deadline_medium;
    default: return c->referral_deadline_low;
    }
}

/* jb_refer with the case's brief (jb_case_brief, on its shard). Returns 0 or -1. */
static int refer(struct referrer *r, const char *prefix, const struct fcall_audit_rec *rec)
{
    char err[256] = "";
    struct store_job *bj = store_job_new(NULL, NULL), *rj = NULL;
    const struct store_reply *br =
        run(r, bj, bj ? fcall_case_brief(bj, prefix, rec->case_id, REFER_DESCRIPTIONS) : -1);
    struct fcall_brief_out brief;
    int rc = -1;
    if (br && fcall_case_brief_reply(br, &brief, err, sizeof err) == 0) {
        if (brief.answer != FCALL_OK) {
            rc = 0;         /* the case expired (retention_days): nothing to refer */
            goto done;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char iso[ISOTIME_LEN];
        isotime_format(ts.tv_sec, iso);
        long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        struct fcall_refer_in in = {r->hp, prefix, rec, &brief, now_ms,
                                    now_ms + 1000LL * deadline_s(r->conf, brief.severity), iso};
        rj = store_job_new(NULL, NULL);
        const struct store_reply *rr = run(r, rj, rj ? fcall_refer(rj, &in) : -1);
        enum fcall_answer a;
        long long made;
        if (rr && fcall_refer_reply(rr, &a, &made, err, sizeof err) == 0) {
            rc = 0;
            if (a == FCALL_OK)
                log_info("referrals: case %s referred to %lld handler(s)", rec->case_id, made);
        }
    }
    if (err[0])
        log_warn("referrals: %s", err);
done:
    store_job_free(rj);
    store_job_free(bj);
    return rc;
}

int referrer_refer(struct referrer *r, const char *prefix, const struct fcall_audit_rec *rec)
{
    if (strcmp(rec->verdict, "actioned") != 0)
        return 0;
    if (refer(r, prefix, rec) < 0)
        return -1;
    referrer_events(r, 0);      /* what fails here, the sweep completes */
    return 0;
}

/* Completes one event: its audit entry, an outcome's copy in its case, then clears it.
 * Returns 0 or -1. */
static int event_complete(struct referrer *r, const struct fcall_ref_event *ev)
{
    if (r->append(r->ctx, &ev->rec) < 0)
        return -1;
    int rc = 0;
    if (ev->outcome[0] && strcmp(ev->outcome, "not_ours") != 0) {
        struct store_job *j = store_job_new(NULL, NULL);
        rc = run(r, j, j ? fcall_case_outcome(j, ev) : -1) ? 0 : -1;
        store_job_free(j);
    }
    if (rc == 0) {
        struct store_job *j = store_job_new(NULL, NULL);
        rc = run(r, j, j ? fcall_ref_done(j, r->hp, ev->rec.did) : -1) ? 0 : -1;
        store_job_free(j);
    }
    return rc;
}

int referrer_events(struct referrer *r, long long age_ms)
{
    for (int round = 0; round < EVENT_ROUNDS; round++) {
        struct store_job *j = store_job_new(NULL, NULL);
        const struct store_reply *rep = run(r, j, j ? fcall_ref_events(j, r->hp, age_ms) : -1);
        struct fcall_ref_event ev[FCALL_EVENTS_MAX];
        char err[256];
        int n = rep ? fcall_ref_events_reply(rep, ev, FCALL_EVENTS_MAX, err, sizeof err) : -1;
        int failed = n < 0;
        for (int k = 0; k < n && !failed; k++)
            failed = event_complete(r, &ev[k]) < 0;
        store_job_free(j);
        if (failed)
            return -1;
        if (n < FCALL_EVENTS_MAX)
            return 0;
    }
    return 0;
}
