/* session — reviewers' logins and sign-outs (POST and DELETE /api/v1/session), rows of
 * routes.c.
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
#ifndef JUBAO_SESSION_H
#define JUBAO_SESSION_H

#include "call.h"

void session_login(struct call *call, struct http_req *req);
void session_login_done(struct call *call, struct http_req *req);
void session_signout(struct call *call, struct http_req *req);
void session_signout_done(struct call *call, struct http_req *req);

#endif
