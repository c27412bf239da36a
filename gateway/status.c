/* status — see status.h. */
#include "status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "global.h"
#include "idshard.h"
#include "shard.h"

/* Appends to the request's job, as its command 1, the jb_rate call that takes one status
 * lookup from the caller's bucket: the platform's for a key (while not found dead), else the
 * client's pseudonym's, so that guessing secrets is slow from any one client. */
static void add_status_rate(struct call *call, struct http_req *req,
                            const struct status_ask *ask)
{
    const struct conf *c = call->api->conf;
    char who[CRYPTO_HEX_LEN] = "-", prefix[GLOBAL_PREFIX_MAX];
    bool platform = ask->platform && !ask->key_dead;
    struct fcall_rate_in in = {.prefix = prefix, .now_ms = call_wall_ms(), .pseudonym = who};
    if (platform) {
        snprintf(prefix, sizeof prefix, "%s", call->key_prefix);
        in.key_hash = call->key_hash;
        in.cap = c->rate_limit ? c->rate_status_platform : 0;
        in.window_ms = c->rate_status_platform_window * 1000;
    } else {
        /* before today's key is loaded (/readyz says so) the clients share one bucket */
        if (call_pseudonym(call, req, time(NULL), who) < 0)
            snprintf(who, sizeof who, "-");
        global_client_prefix(call->api->shards, call->api->keys, http_client(req), prefix);
        in.cap = c->rate_limit ? c->rate_status_anon : 0;
        in.window_ms = c->rate_status_anon_window * 1000;
    }
    fcall_rate(call->job, &in);
}

/* Sends the lookup's first job: jb_status in the shard the id names, and jb_rate. */
static void send_lookup(struct call *call, struct http_req *req, const struct status_ask *ask)
{
    /* the id names its shard (lib/shard.h); a malformed one never got past the path check */
    struct fcall_status_in in = {idshard_named(call->api->shards, ask->id), ask->id};
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_status(call->job, &in);
        add_status_rate(call, req, ask);
        call_job_send(call, req);
    }
}

void status_lookup(struct call *call, struct http_req *req, struct status_ask *ask,
                   const char *secret)
{
    if (secret) {
        crypto_keyed_hash(call->api->keys, CRYPTO_SECRET, secret, strlen(secret),
                          ask->secret_hash);
        ask->has_secret = true;
    }
    send_lookup(call, req, ask);
}

/* The first job's jb_rate answer (UNAUTHORIZED for a key that is not live; OTHER when it
 * could not be read), the key's platform kept in ask. */
static enum fcall_answer rate_answer(const struct call *call, struct status_ask *ask,
                                     long *wait)
{
    struct fcall_rate_out out;
    char err[128];
    *wait = 0;
    if (fcall_rate_reply(store_job_reply(call->job, 1), &out, err, sizeof err) < 0)
        return FCALL_OTHER;
    if (out.answer == FCALL_OK) {
        snprintf(ask->key_name, sizeof ask->key_name, "%s", out.key_name);
        *wait = out.retry_after;
    }
    return out.answer;
}

bool status_follow(struct call *call, struct http_req *req, struct status_ask *ask)
{
    const struct shards *sh = call->api->shards;
    const struct store_reply *r = store_job_reply(call->job, 0);
    char err[128];
    long wait;
    if (ask->stage == 0 && !ask->key_dead && rate_answer(call, ask, &wait) == FCALL_UNAUTHORIZED) {
        ask->key_dead = true;
        send_lookup(call, req, ask);
        return true;
    }
    if (ask->stage == 0) {
        struct fcall_status_out out;
        if (!idshard_may_move(sh) || fcall_status_reply(r, &out, err, sizeof err) < 0 ||
            out.found)
            return false;
        ask->stage = 1;
        idshard_alias_send(call, req, ask->id);
        return true;
    }
    if (ask->stage != 1)
        return false;
    ask->stage = 2;
    const char *prefix = idshard_alias_prefix(sh, ask->id, r);
    if (!prefix) {
        ask->gone = true;
        return false;
    }
    struct fcall_status_in in = {prefix, ask->id};
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_status(call->job, &in);
        call_job_send(call, req);
    }
    return true;
}

long status_rate_wait(const struct call *call, struct status_ask *ask)
{
    long wait;
    if (ask->stage != 0 || rate_answer(call, ask, &wait) != FCALL_OK)
        return 0;
    if (wait > 0)
        metrics_add(M_STATUS_RATE_LIMITED, 1);
    return wait;
}

int status_access(const struct status_ask *ask, const struct store_reply *r,
                  struct fcall_status_out *out)
{
    char err[128];
    if (ask->gone)
        return 404;
    if (fcall_status_reply(r, out, err, sizeof err) < 0) {
        log_warn("redis: jb_status: %s", err);
        return 404;
    }
    if (!out->found)
        return 404;
    if (ask->has_secret) {
        size_t n = strlen(out->secret_hash);
        return n == CRYPTO_HEX_LEN - 1 && crypto_equal(out->secret_hash, ask->secret_hash, n)
                   ? 200
                   : 404;
    }
    if (!ask->key_name[0])
        return 401;
    return strcmp(out->platform, ask->key_name) == 0 ? 200 : 404;
}
