/* fcall_accounts — fcall.h's Functions of redis/accounts.lua: platform keys, reviewers and
 * their logins. Keys and arguments in the order of each Function's Lua header comment. */
#include <stdio.h>
#include <string.h>

#include "fcall_int.h"
#include "schema.h"

/* KEYS: apikey:<hash>. */
int fcall_apikey_check(struct store_job *j, const char *prefix, const char *key_hash)
{
    return fc_begin(j, "jb_apikey_check", 1) | fc_pkey(j, prefix, "apikey", key_hash);
}

int fcall_apikey_check_reply(const struct store_reply *r, struct fcall_apikey_check_out *out,
                             char *err, size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_OTHER};
    static const size_t min[] = {2, 1};
    out->platform = out->handler = "";
    out->report = false;
    if (fc_answer(r, "jb_apikey_check", want, min, &out->answer, err, errlen) < 0)
        return -1;
    if (out->answer == FCALL_OK) {
        out->platform = fc_at(r, 1);
        out->handler = fc_at(r, 2);
        out->report = strcmp(fc_at(r, 3), "0") != 0;
    }
    return 0;
}

/* KEYS: reviewer:<name>  ARGV: name, pwhash, role, now iso. */
int fcall_reviewer_add(struct store_job *j, const struct fcall_reviewer_add_in *in)
{
    return fc_begin(j, "jb_reviewer_add", 1) | fc_pkey(j, in->prefix, "reviewer", in->name) |
           fc_str(j, in->name) | fc_str(j, in->pwhash) | fc_str(j, in->role) |
           fc_str(j, in->iso);
}

/* KEYS: reviewer:<name>  ARGV: now iso. */
int fcall_reviewer_disable(struct store_job *j, const struct fcall_reviewer_disable_in *in)
{
    return fc_begin(j, "jb_reviewer_disable", 1) |
           fc_pkey(j, in->prefix, "reviewer", in->name) | fc_str(j, in->iso);
}

int fcall_account_reply(const struct store_reply *r, struct fcall_account_out *out, char *err,
                        size_t errlen)
{
    out->answer = FCALL_OTHER;
    if (fc_check(r, err, errlen) < 0)
        return -1;
    out->answer = fc_reply_word(r);
    if (out->answer != FCALL_OK && out->answer != FCALL_EXISTS && out->answer != FCALL_UNKNOWN)
        return fc_shape("an account Function", err, errlen);
    return 0;
}

/* Runs the one command built into j (built: how building went), reads its account reply
 * and frees j. */
static int account_run(struct store *st, struct store_job *j, int built,
                       struct fcall_account_out *out, char *err, size_t errlen)
{
    const struct store_reply *r = fc_run1(st, j, built, err, errlen);
    int rc = r ? fcall_account_reply(r, out, err, errlen) : -1;
    store_job_free(j);
    return rc;
}

int fcall_reviewer_add_run(struct store *st, const struct fcall_reviewer_add_in *in,
                           struct fcall_account_out *out, char *err, size_t errlen)
{
    struct store_job *j = store_job_new(NULL, NULL);
    return account_run(st, j, j ? fcall_reviewer_add(j, in) : -1, out, err, errlen);
}

int fcall_reviewer_disable_run(struct store *st, const struct fcall_reviewer_disable_in *in,
                               struct fcall_account_out *out, char *err, size_t errlen)
{
    struct store_job *j = store_job_new(NULL, NULL);
    return account_run(st, j, j ? fcall_reviewer_disable(j, in) : -1, out, err, errlen);
}

/* KEYS: rl:login:<client>  ARGV: redis/accounts.lua. */
int fcall_login_client(struct store_job *j, const struct fcall_login_client_in *in)
{
    return fc_begin(j, "jb_login_client", 1) | fc_pkey(j, in->prefix, "rl:login", in->pseudonym) |
           store_job_argll(j, in->cap) | store_job_argll(j, in->window_ms);
}

/* KEYS: reviewer:<name>, logins:<name>  ARGV: redis/accounts.lua. */
int fcall_login(struct store_job *j, const struct fcall_login_in *in)
{
    const char *name = in->name && in->name[0] ? in->name : "-";
    return fc_begin(j, "jb_login", 2) | fc_pkey(j, in->prefix, "reviewer", name) |
           fc_pkey(j, in->prefix, "logins", name) | fc_str(j, in->attempt) |
           store_job_argll(j, in->max_attempts) | store_job_argll(j, in->window_ms);
}

int fcall_login_reply(const struct store_reply *r, struct fcall_login_out *out, char *err,
                      size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_RATELIMITED, FCALL_LOCKED,
                                             FCALL_OTHER};
    static const size_t min[] = {1, 2, 2};
    memset(out, 0, sizeof *out);
    if (fc_answer(r, "jb_login", want, min, &out->answer, err, errlen) < 0)
        return -1;
    bool ok = out->answer == FCALL_OK;
    if (ok && store_reply_count(r) < 4) {   /* jb_login_client's: no reviewer read */
        out->pwhash = out->role = "";
        out->disabled = true;
        return 0;
    }
    out->pwhash = ok ? fc_at(r, 1) : "";
    out->role = ok ? fc_at(r, 2) : "";
    out->disabled = !ok || strcmp(fc_at(r, 3), "0") != 0;
    out->retry_after = ok ? 0 : (long)fc_num(r, 1);
    return 0;
}

/* KEYS: logins:<name>, session:<token hash>  ARGV: attempt, name, role, ttl s, expires. */
int fcall_login_done(struct store_job *j, const struct fcall_login_done_in *in)
{
    return fc_begin(j, "jb_login_done", 2) | fc_pkey(j, in->prefix, "logins", in->name) |
           fc_pkey(j, in->prefix, "session", in->token_hash) | fc_str(j, in->attempt) |
           fc_str(j, in->name) | fc_str(j, in->role) | store_job_argll(j, in->ttl_s) |
           fc_str(j, in->expires_iso);
}

/* KEYS: session:<token hash>. */
int fcall_logout(struct store_job *j, const char *prefix, const char *token_hash)
{
    return fc_begin(j, "jb_logout", 1) | fc_pkey(j, prefix, "session", token_hash);
}

int fcall_logout_reply(const struct store_reply *r, struct fcall_logout_out *out, char *err,
                       size_t errlen)
{
    static const enum fcall_answer want[] = {FCALL_OK, FCALL_UNAUTHORIZED, FCALL_OTHER};
    return fc_answer(r, "jb_logout", want, NULL, &out->answer, err, errlen);
}
