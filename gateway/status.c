/* status — see status.h. */
#include "status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "schema.h"

/* Appends to the request's job, as its command 1, the jb_rate call that takes one status
 * lookup from the caller's bucket: the platform's for a live key (k_key), else the client's
 * pseudonym's, so that guessing secrets is slow from any one client. */
static void add_status_rate(struct call *call, struct http_req *req,
                            const struct status_ask *ask, const char *k_key)
{
    const struct conf *c = call->api->conf;
    char who[CRYPTO_HEX_LEN] = "-", k_anon[128], k_platform[128];
    /* before today's key is loaded (/readyz says so) the clients share one bucket */
    if (call_pseudonym(call, req, time(NULL), who) < 0)
        snprintf(who, sizeof who, "-");
    snprintf(k_anon, sizeof k_anon, SCHEMA_PREFIX "rl:status:%s", who);
    snprintf(k_platform, sizeof k_platform, SCHEMA_PREFIX "rl:status:p:%.32s",
             ask->platform ? call->key_hash : "none");
    const char *args[] = {"FCALL", "jb_rate", "3", k_anon, k_platform, k_key};
    store_job_commandv(call->job, args, sizeof args / sizeof args[0]);
    store_job_argll(call->job, call_wall_ms());
    store_job_argll(call->job, c->rate_limit ? c->rate_status_anon : 0);
    store_job_argll(call->job, c->rate_status_anon_window * 1000);
    store_job_argll(call->job, c->rate_limit ? c->rate_status_platform : 0);
    store_job_argll(call->job, c->rate_status_platform_window * 1000);
    store_job_argstr(call->job, ask->platform ? "1" : "0");
}

void status_lookup(struct call *call, struct http_req *req, struct status_ask *ask,
                   const char *secret)
{
    if (secret) {
        crypto_keyed_hash(call->api->keys, CRYPTO_SECRET, secret, strlen(secret),
                          ask->secret_hash);
        ask->has_secret = true;
    }
    char k_report[128], k_key[128];
    schema_key(k_report, sizeof k_report, "report", ask->id);
    schema_key(k_key, sizeof k_key, "apikey", ask->platform ? call->key_hash : "none");
    const char *args[] = {"FCALL", "jb_status", "2", k_report, k_key, SCHEMA_PREFIX,
                          ask->platform && !ask->has_secret ? "1" : "0"};
    if (call_job_begin(call, req, args, sizeof args / sizeof args[0]) == 0) {
        add_status_rate(call, req, ask, k_key);
        call_job_send(call, req);
    }
}

long status_rate_wait(const struct call *call)
{
    const struct store_reply *r = store_job_reply(call->job, 1);
    long long wait = store_reply_type(r) == STORE_INT ? store_reply_int(r) : 0;
    if (wait > 0)
        metrics_add(M_STATUS_RATE_LIMITED, 1);
    return wait > 0 ? (long)wait : 0;
}

int status_access(const struct status_ask *ask, const struct store_reply *r)
{
    if (store_reply_count(r) < 12)
        return 404;
    size_t n;
    if (ask->has_secret) {
        const char *stored = store_reply_str(store_reply_at(r, 0), &n);
        return n == CRYPTO_HEX_LEN - 1 && crypto_equal(stored, ask->secret_hash, n) ? 200 : 404;
    }
    const char *key_name = store_reply_str(store_reply_at(r, 10), &n);
    if (n == 0 || store_reply_is(store_reply_at(r, 11), "1"))
        return 401;
    return store_reply_is(store_reply_at(r, 1), key_name) ? 200 : 404;
}
