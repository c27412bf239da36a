/* session — reviewers' logins and sign-outs (POST and DELETE /api/v1/session).
 *
 * A login is counted before its password is checked: jb_login takes a token from the client
 * address's bucket, then one of the LOGIN_MAX_ATTEMPTS attempts a name has in any
 * LOGIN_WINDOW, in one Redis Function call, so that however many logins arrive together no
 * more passwords are checked. The Argon2id check runs on the password threads (pwcheck),
 * never on the HTTP threads that take reports; a login first takes a place with them, so that
 * a flood is refused (503) before it costs Redis anything. A success makes the session and
 * gives its attempt back; failures stay counted until they leave the window (docs/API.md).
 * A sign-out deletes the session: the token is refused from the next request on.
 */
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "fcall.h"

#define SESSION_TTL 28800          /* seconds a reviewer's token lasts (8 hours) */
#define LOGIN_MAX_ATTEMPTS 10      /* passwords checked per reviewer name ... */
#define LOGIN_WINDOW 900           /* ... in any window of this many seconds; then 429 */


/* Checks {"user": …, "password": …}. Returns 0, or -1 having answered. */
static int session_body(struct call *call, struct http_req *req)
{
    static const char name_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    static const char *const names[] = {"user", "password"};
    if (only_fields(call, req, names, 2) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const struct jdoc *v = jdoc_get(call->doc, names[i]);
        size_t n = 0;
        if (!v || !jdoc_string(v, &n) || n == 0) {
            answer_error(req, 400, v ? "wrong_type" : "missing_field",
                         i ? "password must be a non-empty string" : "user must be a non-empty string",
                         names[i]);
            return -1;
        }
        if (n > (i ? 1024u : 64u)) {
            answer_error(req, 400, "too_long", i ? "password is longer than 1024 bytes"
                                                 : "user is longer than 64 bytes", names[i]);
            return -1;
        }
    }
    size_t ulen;
    const char *user = jdoc_string(jdoc_get(call->doc, "user"), &ulen);
    /* a name no reviewer can have is checked like a wrong password, so as to tell nothing */
    snprintf(call->user, sizeof call->user, "%.*s",
             strspn(user, name_chars) == ulen ? (int)ulen : 0, user);
    return 0;
}

/* POST /api/v1/session: takes a place with the password threads (503 when none is free),
 * then counts the attempt with jb_login before any password is verified. */
void session_login(struct call *call, struct http_req *req)
{
    const struct conf *c = call->api->conf;
    char pseudo[CRYPTO_PSEUDO_LEN];
    if (take_json_object(call, req, false) < 0 || session_body(call, req) < 0)
        return;
    if (!pwcheck_reserve(call->api->pwcheck)) {
        answer_error(req, 503, "overloaded", "too many logins at once; try again", NULL);
        return;
    }
    call->login_place = true;
    /* the client as the routes' begin found it (behind trusted_proxy: X-Forwarded-For); before
     * today's pseudonym key is loaded (/readyz says so) the clients share one bucket */
    if (crypto_pseudonym(call->api->keys, http_client(req), time(NULL), pseudo) < 0)
        snprintf(pseudo, sizeof pseudo, "-");
    crypto_random_hex(call->attempt, sizeof call->attempt - 1);
    struct fcall_login_in in = {call->user, pseudo, call->attempt, LOGIN_MAX_ATTEMPTS,
                                LOGIN_WINDOW * 1000L, c->rate_limit ? c->login_rate : 0,
                                c->login_rate_window * 1000};
    if (job_begin(call, req, NULL, 0) < 0)
        return;
    fcall_login(call->job, &in);
    call->phase = 1;
    job_send(call, req);
}

static void password_checked(struct pwcheck_task *task, void *arg)
{
    (void)task;
    http_resume(arg);
}

/* After jb_login: refuses a client or a name past its limit, else hands the password to the
 * password threads. */
static void session_verify(struct call *call, struct http_req *req, const struct store_reply *r)
{
    struct fcall_login_out out;
    char err[256];
    if (fcall_login_reply(r, &out, err, sizeof err) < 0 || out.answer != FCALL_OK) {
        pwcheck_cancel(call->api->pwcheck);
        call->login_place = false;
        if (out.answer == FCALL_RATELIMITED)
            answer_error_retry(req, 429, "rate_limited", "too many logins from this address; "
                               "try again later", NULL, out.retry_after);
        else if (out.answer == FCALL_LOCKED)
            answer_error_retry(req, 429, "rate_limited", "too many failed logins; try again "
                               "later", NULL, out.retry_after);
        else
            answer_error(req, 503, "unavailable", "the reviewer store is unavailable", NULL);
        return;
    }
    size_t pwlen;
    call->check.password = jdoc_string(jdoc_get(call->doc, "password"), &pwlen);
    call->check.len = pwlen;
    call->check.hash = call->user[0] && *out.pwhash ? out.pwhash : NULL;
    call->check.done = password_checked;
    call->check.arg = req;
    call->login_place = false;     /* the pool's now, until the check is done */
    call->phase = 2;
    http_suspend(req);
    pwcheck_submit(call->api->pwcheck, &call->check);
}

/* After the password threads: a wrong password is answered at once (its attempt stays
 * counted); the right one makes the session with jb_login_done. */
static void session_open(struct call *call, struct http_req *req, const struct store_reply *r)
{
    struct fcall_login_out login;
    char err[256];
    if (!call->check.ok || fcall_login_reply(r, &login, err, sizeof err) < 0 ||
        login.disabled) {
        answer_error(req, 401, "invalid_credentials", "unknown user or wrong password", NULL);
        return;
    }
    char role[16], hash[CRYPTO_HEX_LEN];
    snprintf(role, sizeof role, "%s", login.role);
    crypto_random_token(call->token);
    crypto_keyed_hash(call->api->keys, CRYPTO_TOKEN, call->token, strlen(call->token), hash);
    isotime_format(time(NULL) + SESSION_TTL, call->iso);
    struct fcall_login_done_in in = {call->attempt, call->user, role, hash, SESSION_TTL,
                                     call->iso};
    if (job_begin(call, req, NULL, 0) < 0)
        return;
    fcall_login_done(call->job, &in);
    call->phase = 3;
    job_send(call, req);
}

/* The three steps of a login: jb_login answered (1), the password checked (2), the session
 * stored (3). The place with the password threads is given back on every way out of step 1
 * but the check. */
static void finish_login(struct call *call, struct http_req *req)
{
    if (store_job_ok(call->job) < 0) {
        if (call->login_place)
            pwcheck_cancel(call->api->pwcheck);
        call->login_place = false;
        answer_unavailable(req);
        return;
    }
    const struct store_reply *r = store_job_reply(call->job, 0);
    if (call->phase == 1) {
        session_verify(call, req, r);
        return;
    }
    if (call->phase == 2) {
        session_open(call, req, r);
        return;
    }
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "token", call->token);
    buf_json_kv(&b, "expires_at", call->iso);
    buf_puts(&b, "}");
    http_add_header(req, "Cache-Control", "no-store");
    answer_json(req, 200, &b);
}

/* DELETE /api/v1/session: ends the session of the request's token at once. */
void session_signout(struct call *call, struct http_req *req)
{
    if (job_begin(call, req, NULL, 0) == 0) {
        fcall_logout(call->job, call->key_hash);
        job_send(call, req);
    }
}

static void finish_signout(struct call *call, struct http_req *req)
{
    struct fcall_logout_out out;
    char err[256];
    if (store_job_ok(call->job) < 0 ||
        fcall_logout_reply(store_job_reply(call->job, 0), &out, err, sizeof err) < 0) {
        answer_unavailable(req);
    } else if (out.answer == FCALL_OK) {
        http_respond(req, 204, NULL, "", 0);
    } else {
        http_add_header(req, "WWW-Authenticate", "Bearer");
        answer_error(req, 401, "unauthorized", "log in again: the session is unknown or over",
                     NULL);
    }
}

void session_resume(struct call *call, struct http_req *req)
{
    if (call->route == ROUTE_SIGNOUT)
        finish_signout(call, req);
    else
        finish_login(call, req);
}
