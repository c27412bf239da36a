/* feed — see feed.h. */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "fcall_review.h"
#include "review.h"

#define FEED_LIMIT_MAX 1000

/* A feed request's own state (call->state): the cursor, as given (it is canonical), to be
 * the answer's next when nothing new follows it; where to start and how many. A feed takes
 * two jobs: jb_apikey_check in the key's slot, then jb_feed beside the audit chain
 * (lib/global.h). */
struct feed {
    char after[CURSOR_LEN];
    char start[CURSOR_LEN];     /* "" after the largest id: nothing to read */
    long n;
    bool checked;               /* the key was live: the job is jb_feed's */
};

int feed_page(struct http_req *req, char after[CURSOR_LEN], char start[CURSOR_LEN], long *n,
              long def, long max)
{
    const char *a = http_query(req, "after"), *limit = http_query(req, "limit");
    if (!a || !*a)
        a = "0";
    struct cursor cur;
    if (!cursor_parse(a, &cur)) {
        call_answer_error(req, 400, "invalid_cursor", "after takes the next of an earlier answer",
                          "after");
        return -1;
    }
    *n = def;
    if (limit) {
        size_t digits = strspn(limit, "0123456789");
        *n = digits && digits < 6 && !limit[digits] ? atol(limit) : 0;
        if (*n < 1 || *n > max) {
            char msg[64];
            snprintf(msg, sizeof msg, "limit is a number from 1 to %ld", max);
            call_answer_error(req, 400, "invalid_limit", msg, "limit");
            return -1;
        }
    }
    snprintf(after, CURSOR_LEN, "%s", a);
    cursor_successor(&cur, start);
    return 0;
}

void feed_list(struct call *call, struct http_req *req)
{
    char after[CURSOR_LEN], start[CURSOR_LEN];
    long n;
    if (feed_page(req, after, start, &n, 100, FEED_LIMIT_MAX) < 0)
        return;
    struct feed *f = calloc(1, sizeof *f);
    if (!f) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return;
    }
    call_set_state(call, f, free);
    snprintf(f->after, sizeof f->after, "%s", after);
    snprintf(f->start, sizeof f->start, "%s", start);
    f->n = n;
    if (call_job_begin(call, req, NULL, 0) < 0)
        return;
    fcall_apikey_check(call->job, call->key_prefix, call->key_hash);
    call_job_send(call, req);
}

/* After jb_apikey_check: 401 for a key that is not live, else jb_feed is sent. Returns true
 * when the request was answered or suspended again. */
static bool feed_checked(struct call *call, struct http_req *req, struct feed *f,
                         const struct store_reply *r)
{
    struct fcall_apikey_check_out key;
    char err[256] = "";
    if (fcall_apikey_check_reply(r, &key, err, sizeof err) < 0)
        return review_refusal(req, FCALL_OTHER, err, "lease_not_held");
    if (key.answer != FCALL_OK || !key.report) {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        call_answer_error(req, 401, "unauthorized", "unknown or revoked API key", NULL);
        return true;
    }
    f->checked = true;
    if (!f->start[0])
        return false;               /* nothing can follow the cursor: an empty page */
    char platform[72];      /* the reply's string goes with its job */
    snprintf(platform, sizeof platform, "%s", key.platform);
    struct fcall_feed_in in = {platform, f->start, f->n};
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_feed(call->job, &in);
        call_job_send(call, req);
    }
    return true;
}

void feed_list_done(struct call *call, struct http_req *req)
{
    const struct store_reply *r = review_first_reply(call, req);
    struct feed *f = call->state;
    if (!r)
        return;
    bool first = !f->checked;
    if (first && feed_checked(call, req, f, r))
        return;
    struct fcall_feed_out feed = {.answer = FCALL_OK};
    char err[256] = "";
    if (!first)
        fcall_feed_reply(r, &feed, err, sizeof err);
    if (review_refusal(req, feed.answer, err, "lease_not_held"))
        return;
    static const char *const names[][2] = {{"report", "id"}, {"case", "case"},
                                           {"verdict", "verdict"}, {"category", "category"},
                                           {"decided_at", "decided_at"},
                                           {"outcome", "outcome"},
                                           {"outcome_at", "outcome_at"},
                                           {"platform_ref", "platform_ref"}};
    struct buf b = {0};
    const char *next = f->after;
    buf_puts(&b, "{\"decisions\":[");
    for (size_t i = 0; i < feed.nentries; i++) {
        struct fcall_feed_entry e = fcall_feed_entry(&feed, i);
        const struct store_reply *fields = e.fields;
        next = e.id;
        buf_puts(&b, i ? ",{" : "{");
        buf_json_kv(&b, "cursor", next);
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            for (size_t j = 0; j + 1 < store_reply_count(fields); j += 2)
                if (store_reply_is(store_reply_at(fields, j), names[k][0]))
                    buf_json_kv(&b, names[k][1], store_reply_str_at(fields, j + 1));
        buf_puts(&b, "}");
    }
    buf_puts(&b, "]");
    buf_json_kv(&b, "next", next);
    buf_puts(&b, "}");
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}
