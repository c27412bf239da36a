/* fcall_referrals — see fcall_referrals.h. Arguments in the order of each Function's Lua header
 * comment (redis/referrals.lua). */
#include "fcall_referrals.h"

#include <stdlib.h>
#include <string.h>

#include "fcall_int.h"

int fcall_handler_add(struct store_job *j, const char *hp, const char *name,
                      const char *domains, const char *categories, const char *key_hash,
                      const char *iso, const char *webhook)
{
    return fc_begin(j, "jb_handler_add", 0) | fc_str(j, hp) | fc_str(j, name) |
           fc_str(j, domains) | fc_str(j, categories) | fc_str(j, key_hash) | fc_str(j, iso) |
           fc_str(j, webhook);
}

int fcall_handler_webhook(struct store_job *j, const char *hp, const char *name,
                          const char *webhook)
{
    return fc_begin(j, "jb_handler_webhook", 0) | fc_str(j, hp) | fc_str(j, name) |
           fc_str(j, webhook);
}

int fcall_handler_disable(struct store_job *j, const char *hp, const char *name,
                          const char *iso)
{
    return fc_begin(j, "jb_handler_disable", 0) | fc_str(j, hp) | fc_str(j, name) |
           fc_str(j, iso);
}

int fcall_handler_webhook_reply(const struct store_reply *r, enum fcall_answer *a,
                                const char **created_at, char *err, size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNKNOWN, FCALL_OTHER};
    static const size_t min[] = {2, 1};
    if (fc_answer(r, "jb_handler_webhook", want, min, a, err, errlen) < 0)
        return -1;
    *created_at = *a == FCALL_OK ? fc_at(r, 1) : "";
    return 0;
}

enum fcall_answer fcall_handler_reply(const struct store_reply *r)
{
    return fc_reply_word(r);
}

int fcall_handler_list(struct store_job *j, const char *hp)
{
    return fc_begin(j, "jb_handler_list", 0) | fc_str(j, hp);
}

int fcall_case_brief(struct store_job *j, const char *prefix, const char *case_id,
                     long long max_desc)
{
    return fc_begin(j, "jb_case_brief", 0) | fc_str(j, prefix) | fc_str(j, case_id) |
           store_job_argll(j, max_desc);
}

int fcall_case_brief_reply(const struct store_reply *r, struct fcall_brief_out *out, char *err,
                           size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_NOT_FOUND, FCALL_OTHER};
    static const size_t min[] = {6, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_case_brief", want, min, &out->answer, err, errlen) < 0)
        return -1;
    out->url = fc_at(r, 1);
    out->domain = fc_at(r, 2);
    out->category = fc_at(r, 3);
    out->severity = fc_at(r, 4);
    out->keep_s = fc_num(r, 5);
    out->ndesc = out->answer == FCALL_OK ? store_reply_count(r) - 6 : 0;
    out->reply_ = r;
    return 0;
}

const char *fcall_brief_desc(const struct fcall_brief_out *out, size_t i)
{
    return fc_at(out->reply_, 6 + i);
}

int fcall_refer(struct store_job *j, const struct fcall_refer_in *in)
{
    const struct fcall_audit_rec *rec = in->rec;
    const struct fcall_brief_out *b = in->brief;
    int rc = fc_begin(j, "jb_refer", 0) | fc_str(j, in->hp) | fc_str(j, rec->did) |
             fc_str(j, rec->case_id) | fc_str(j, in->prefix) | fc_str(j, b->url) |
             fc_str(j, b->domain) | fc_str(j, rec->decided) | fc_str(j, b->severity) |
             fc_str(j, rec->note) | store_job_argll(j, in->now_ms) | fc_str(j, in->iso) |
             store_job_argll(j, in->deadline_ms) | store_job_argll(j, b->keep_s) |
             store_job_argll(j, (long long)b->ndesc);
    for (size_t i = 0; i < b->ndesc; i++)
        rc |= fc_str(j, fcall_brief_desc(b, i));
    rc |= store_job_argll(j, (long long)rec->nfeeds);
    for (size_t i = 0; i < 3 * rec->nfeeds; i++)
        rc |= fc_str(j, fc_at(rec->r, rec->feeds_at + i));
    return rc;
}

int fcall_refer_reply(const struct store_reply *r, enum fcall_answer *a, long long *made,
                      char *err, size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_ALREADY, FCALL_OTHER};
    static const size_t min[] = {2, 1};
    if (fc_answer(r, "jb_refer", want, min, a, err, errlen) < 0)
        return -1;
    *made = *a == FCALL_OK ? fc_num(r, 1) : 0;
    return 0;
}

int fcall_referrals(struct store_job *j, const char *hp, const char *handler,
                    const char *start, long long count)
{
    return fc_begin(j, "jb_referrals", 0) | fc_str(j, hp) | fc_str(j, handler) |
           fc_str(j, start) | store_job_argll(j, count);
}

/* Reads the referral at position i of r (jb_referrals' layout) into f. Returns the position
 * after it, or 0 when the reply is short. */
static size_t referral_at(const struct store_reply *r, size_t i, struct fcall_referral *f)
{
    size_t count = store_reply_count(r);
    if (i + 9 > count)
        return 0;
    long long nd = fc_num(r, i + 8);
    if (nd < 0 || (size_t)nd > count - i - 9)
        return 0;
    *f = (struct fcall_referral){fc_at(r, i), fc_at(r, i + 1), fc_at(r, i + 2), fc_at(r, i + 3),
                                 fc_at(r, i + 4), fc_at(r, i + 5), fc_at(r, i + 6),
                                 fc_num(r, i + 7), (size_t)nd, i + 9};
    return i + 9 + (size_t)nd;
}

int fcall_referrals_reply(const struct store_reply *r, struct fcall_referrals_out *out,
                          struct fcall_referral *refs, size_t max, char *err, size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_FORBIDDEN, FCALL_OTHER};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_referrals", want, NULL, &out->answer, err, errlen) < 0)
        return -1;
    size_t count = store_reply_count(r);
    for (size_t i = 1; out->answer == FCALL_OK && i < count && out->n < max; out->n++) {
        i = referral_at(r, i, &refs[out->n]);
        if (!i)
            return fc_shape("jb_referrals", err, errlen);
    }
    out->reply_ = r;
    return 0;
}

int fcall_hook_claim(struct store_job *j, const char *hp, long long now_ms, long long lease_ms)
{
    return fc_begin(j, "jb_hook_claim", 0) | fc_str(j, hp) | store_job_argll(j, now_ms) |
           store_job_argll(j, lease_ms);
}

int fcall_hook_claim_reply(const struct store_reply *r, struct fcall_hook_out *out, char *err,
                           size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_EMPTY, FCALL_OTHER};
    static const size_t min[] = {7, 1};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_hook_claim", want, min, &out->answer, err, errlen) < 0)
        return -1;
    if (out->answer != FCALL_OK)
        return 0;
    *out = (struct fcall_hook_out){FCALL_OK, fc_at(r, 1), fc_at(r, 2), fc_at(r, 3), fc_at(r, 4),
                                   fc_num(r, 5), fc_num(r, 6), {0}};
    if (!referral_at(r, 7, &out->ref))
        return fc_shape("jb_hook_claim", err, errlen);
    return 0;
}

int fcall_hook_result(struct store_job *j, const char *hp, const struct fcall_hook_out *h,
                      bool sent, long long again_ms)
{
    int rc = fc_begin(j, "jb_hook_result", 0) | fc_str(j, hp) | fc_str(j, h->member) |
             store_job_argll(j, h->lease_ms) | fc_str(j, sent ? "sent" : "failed");
    return rc | (again_ms < 0 ? fc_str(j, "") : store_job_argll(j, again_ms));
}

int fcall_hook_stats(struct store_job *j, const char *hp)
{
    return fc_begin(j, "jb_hook_stats", 0) | fc_str(j, hp);
}

int fcall_outcome(struct store_job *j, const struct fcall_outcome_in *in)
{
    return fc_begin(j, "jb_outcome", 0) | fc_str(j, in->hp) | fc_str(j, in->handler) |
           fc_str(j, in->referral) | fc_str(j, in->outcome) | fc_str(j, in->note) |
           store_job_argll(j, in->now_ms) | fc_str(j, in->iso);
}

int fcall_outcome_reply(const struct store_reply *r, enum fcall_answer *a, char *err,
                        size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_FORBIDDEN, FCALL_NOT_FOUND,
                                             FCALL_CONFLICT, FCALL_OTHER};
    return fc_answer(r, "jb_outcome", want, NULL, a, err, errlen);
}

int fcall_ref_events(struct store_job *j, const char *hp, long long age_ms)
{
    return fc_begin(j, "jb_ref_events", 0) | fc_str(j, hp) | store_job_argll(j, age_ms);
}

int fcall_ref_events_reply(const struct store_reply *r, struct fcall_ref_event *ev, size_t max,
                           char *err, size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_OTHER};
    enum fcall_answer a;
    if (fc_answer(r, "jb_ref_events", want, NULL, &a, err, errlen) < 0)
        return -1;
    size_t n = 0;
    for (size_t i = 1; i < store_reply_count(r) && n < max; n++) {
        ev[n].prefix = fc_at(r, i);
        ev[n].outcome = fc_at(r, i + 1);
        ev[n].by = fc_at(r, i + 2);
        if ((i = fc_audit_rec_at(r, i + 3, &ev[n].rec)) == 0)
            return fc_shape("jb_ref_events", err, errlen);
    }
    return (int)n;
}

int fcall_ref_done(struct store_job *j, const char *hp, const char *event_id)
{
    return fc_begin(j, "jb_ref_done", 0) | fc_str(j, hp) | fc_str(j, event_id);
}

int fcall_case_outcome(struct store_job *j, const struct fcall_ref_event *ev)
{
    return fc_begin(j, "jb_case_outcome", 0) | fc_str(j, ev->prefix) |
           fc_str(j, ev->rec.case_id) | fc_str(j, ev->rec.did) | fc_str(j, ev->outcome) |
           fc_str(j, ev->by) | fc_str(j, ev->rec.at);
}

int fcall_referral_lists(struct store_job *j, const char *hp, long long now_ms,
                         const char *which, long long count)
{
    return fc_begin(j, "jb_referral_lists", 0) | fc_str(j, hp) | store_job_argll(j, now_ms) |
           fc_str(j, which) | store_job_argll(j, count);
}

int fcall_referral_stats(struct store_job *j, const char *hp, long long now_ms)
{
    return fc_begin(j, "jb_referral_stats", 0) | fc_str(j, hp) | store_job_argll(j, now_ms);
}

long fcall_list_reply(const struct store_reply *r, const char *fn, char *err, size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_OTHER};
    enum fcall_answer a;
    if (fc_answer(r, fn, want, NULL, &a, err, errlen) < 0)
        return -1;
    return (long)store_reply_count(r) - 1;
}
