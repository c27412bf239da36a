/* session — see session.h. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcall.h"
#include "global.h"
#include "isotime.h"
#include "pwcheck.h"

#define SESSION_TTL 28800          /* seconds a reviewer's token lasts (8 hours) */
#define LOGIN_MAX_ATTEMPTS 10      /* passwords checked per reviewer name ... */
#define LOGIN_WINDOW 900           /* ... in any window of this many seconds; then 429 */

/* The steps of a login, each ended by the store or the password threads. */
enum login_step {
    LOGIN_CLIENT = 1,   /* 1: jb_login_client took the client's token (or refused it) */
    LOGIN_COUNTED,      /* 2: jb_login counted the attempt (or refused it) */
    LOGIN_CHECKED,      /* 3: the password threads verified the password */
    LOGIN_OPENED,       /* 4: jb_login_done stored the session */
};

/* A login's own state (call->state). */
struct login {
    enum login_step step;
    char user[65];              /* the reviewer logging in ("" for a name none can have) */
    char attempt[17];           /* the attempt's id in logins:<name> */
    bool place;                 /* holds a place with the password threads */
    struct pwcheck *pwcheck;    /* whose place it is */
    struct pwcheck_task check;  /* the password, while the pool verifies it */
    char token[CRYPTO_TOKEN_LEN];
    char expires[32];           /* the session's end (ISO 8601) */
    char prefix[GLOBAL_PREFIX_MAX]; /* the reviewer's slot: its record, attempts, sessions */
};

/* Gives back the place with the password threads of a login that ended without the check
 * (a request that ended before Redis answered it, too). */
static void login_leave(struct login *l)
{
    if (l->place)
        pwcheck_cancel(l->pwcheck);
    l->place = false;
}

static void login_free(void *state)
{
    login_leave(state);
    free(state);
}

/* Checks {"user": …, "password": …}. Returns 0, or -1 having answered. */
static int session_body(struct call *call, struct http_req *req, struct login *l)
{
    static const char name_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    static const char *const names[] = {"user", "password"};
    if (call_only_fields(call, req, names, 2) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const struct jdoc *v = jdoc_get(call->doc, names[i]);
        size_t n = 0;
        if (!v || !jdoc_string(v, &n) || n == 0) {
            call_answer_error(req, 400, v ? "wrong_type" : "missing_field",
                              i ? "password must be a non-empty string"
                                : "user must be a non-empty string",
                              names[i]);
            return -1;
        }
        if (n > (i ? 1024u : 64u)) {
            call_answer_error(req, 400, "too_long", i ? "password is longer than 1024 bytes"
                                                 : "user is longer than 64 bytes", names[i]);
            return -1;
        }
    }
    size_t ulen;
    const char *user = jdoc_string(jdoc_get(call->doc, "user"), &ulen);
    /* a name no reviewer can have is checked like a wrong password, so as to tell nothing */
    snprintf(l->user, sizeof l->user, "%.*s",
             strspn(user, name_chars) == ulen ? (int)ulen : 0, user);
    return 0;
}

/* POST /api/v1/session: takes a place with the password threads (503 when none is free),
 * then a token of the client's login bucket (jb_login_client, the client's slot), then counts
 * the attempt with jb_login (the name's slot) before any password is verified. */
void session_login(struct call *call, struct http_req *req)
{
    const struct conf *c = call->api->conf;
    char pseudo[CRYPTO_PSEUDO_LEN];
    struct login *l = calloc(1, sizeof *l);
    if (!l) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return;
    }
    call_set_state(call, l, login_free);
    l->pwcheck = call->api->pwcheck;
    if (call_take_json(call, req, false) < 0 || session_body(call, req, l) < 0)
        return;
    if (!pwcheck_reserve(l->pwcheck)) {
        call_answer_error(req, 503, "overloaded", "too many logins at once; try again", NULL);
        return;
    }
    l->place = true;
    /* the client as the routes' begin found it (behind trusted_proxy: X-Forwarded-For); before
     * today's pseudonym key is loaded (/readyz says so) the clients share one bucket */
    if (crypto_pseudonym(call->api->keys, http_client(req), time(NULL), pseudo) < 0)
        snprintf(pseudo, sizeof pseudo, "-");
    crypto_random_hex(l->attempt, sizeof l->attempt - 1);
    char client[GLOBAL_PREFIX_MAX];
    global_client_prefix(call->api->shards, call->api->keys, http_client(req), client);
    struct fcall_login_client_in in = {client, pseudo, c->rate_limit ? c->login_rate : 0,
                                       c->login_rate_window * 1000};
    if (call_job_begin(call, req, NULL, 0) < 0)
        return;
    fcall_login_client(call->job, &in);
    l->step = LOGIN_CLIENT;
    call_job_send(call, req);
}

/* Reads a login step's reply r into out. When it is not ok, answers (429 with the reason why
 * when it is the answer limited, else 503), leaves the login and returns true. */
static bool login_refused(struct http_req *req, struct login *l, const struct store_reply *r,
                          struct fcall_login_out *out, enum fcall_answer limited, const char *why)
{
    char err[256];
    if (fcall_login_reply(r, out, err, sizeof err) == 0 && out->answer == FCALL_OK)
        return false;
    login_leave(l);
    if (out->answer == limited)
        call_answer_error_retry(req, 429, "rate_limited", why, NULL, out->retry_after);
    else
        call_answer_error(req, 503, "unavailable", "the reviewer store is unavailable", NULL);
    return true;
}

/* After jb_login_client: 429 for a client past its limit, else jb_login counts the attempt. */
static void session_count(struct call *call, struct http_req *req, struct login *l,
                          const struct store_reply *r)
{
    struct fcall_login_out out;
    if (login_refused(req, l, r, &out, FCALL_RATELIMITED,
                      "too many logins from this address; try again later"))
        return;
    global_prefix(call->api->shards, GLOBAL_REVIEWER, l->user[0] ? l->user : "-", l->prefix);
    struct fcall_login_in in = {l->prefix, l->user, l->attempt, LOGIN_MAX_ATTEMPTS,
                                LOGIN_WINDOW * 1000L};
    if (call_job_begin(call, req, NULL, 0) < 0)
        return;
    fcall_login(call->job, &in);
    l->step = LOGIN_COUNTED;
    call_job_send(call, req);
}

static void password_checked(struct pwcheck_task *task, void *arg)
{
    (void)task;
    http_resume(arg);
}

/* After jb_login: refuses a name past its limit, else hands the password to the
 * password threads. */
static void session_verify(struct call *call, struct http_req *req, struct login *l,
                           const struct store_reply *r)
{
    struct fcall_login_out out;
    if (login_refused(req, l, r, &out, FCALL_LOCKED, "too many failed logins; try again later"))
        return;
    size_t pwlen;
    l->check.password = jdoc_string(jdoc_get(call->doc, "password"), &pwlen);
    l->check.len = pwlen;
    l->check.hash = l->user[0] && *out.pwhash ? out.pwhash : NULL;
    l->check.done = password_checked;
    l->check.arg = req;
    l->place = false;     /* the pool's now, until the check is done */
    l->step = LOGIN_CHECKED;
    http_suspend(req);
    pwcheck_submit(l->pwcheck, &l->check);
}

/* After the password threads: a wrong password is answered at once (its attempt stays
 * counted); the right one makes the session with jb_login_done. */
static void session_open(struct call *call, struct http_req *req, struct login *l,
                         const struct store_reply *r)
{
    struct fcall_login_out login;
    char err[256];
    if (!l->check.ok || fcall_login_reply(r, &login, err, sizeof err) < 0 || login.disabled) {
        call_answer_error(req, 401, "invalid_credentials", "unknown user or wrong password", NULL);
        return;
    }
    char role[16], hash[CRYPTO_HEX_LEN];
    snprintf(role, sizeof role, "%s", login.role);
    crypto_random_token(l->token);
    global_token_mark(l->user, l->token);   /* the session's slot is its reviewer's */
    crypto_keyed_hash(call->api->keys, CRYPTO_TOKEN, l->token, strlen(l->token), hash);
    isotime_format(time(NULL) + SESSION_TTL, l->expires);
    struct fcall_login_done_in in = {l->prefix, l->attempt, l->user, role, hash, SESSION_TTL,
                                     l->expires};
    if (call_job_begin(call, req, NULL, 0) < 0)
        return;
    fcall_login_done(call->job, &in);
    l->step = LOGIN_OPENED;
    call_job_send(call, req);
}

/* After each step of a login (enum login_step). The place with the password threads is given
 * back on every way out of step 1 but the check. */
void session_login_done(struct call *call, struct http_req *req)
{
    struct login *l = call->state;
    if (store_job_ok(call->job) < 0) {
        login_leave(l);
        call_answer_unavailable(req);
        return;
    }
    const struct store_reply *r = store_job_reply(call->job, 0);
    if (l->step == LOGIN_CLIENT) {
        session_count(call, req, l, r);
        return;
    }
    if (l->step == LOGIN_COUNTED) {
        session_verify(call, req, l, r);
        return;
    }
    if (l->step == LOGIN_CHECKED) {
        session_open(call, req, l, r);
        return;
    }
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "token", l->token);
    buf_json_kv(&b, "expires_at", l->expires);
    buf_puts(&b, "}");
    http_add_header(req, "Cache-Control", "no-store");
    call_answer_json(req, 200, &b);
}

/* DELETE /api/v1/session: ends the session of the request's token at once. */
void session_signout(struct call *call, struct http_req *req)
{
    if (call_job_begin(call, req, NULL, 0) == 0) {
        fcall_logout(call->job, call->key_prefix, call->key_hash);
        call_job_send(call, req);
    }
}

void session_signout_done(struct call *call, struct http_req *req)
{
    struct fcall_logout_out out;
    char err[256];
    if (store_job_ok(call->job) < 0 ||
        fcall_logout_reply(store_job_reply(call->job, 0), &out, err, sizeof err) < 0) {
        call_answer_unavailable(req);
    } else if (out.answer == FCALL_OK) {
        http_respond(req, 204, NULL, "", 0);
    } else {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        call_answer_error(req, 401, "unauthorized", "log in again: the session is unknown or over",
                          NULL);
    }
}
