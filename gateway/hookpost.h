/* hookpost — one POST of a webhook's body (libcurl: this file is its only includer).
 *
 * What a handler's server may do to the gateway is bounded: a connect and a total timeout, a
 * cap on the answer read (then dropped unread), no redirect followed, http and https only. The
 * URL, body and headers are never logged here; err says what failed in curl's words, which
 * name neither. Thread-safe: each call its own handle.
 */
#ifndef JUBAO_HOOKPOST_H
#define JUBAO_HOOKPOST_H

#include <stdatomic.h>
#include <stddef.h>

#define HOOKPOST_CONNECT_MS 3000L       /* to connect (TLS included) */
#define HOOKPOST_TOTAL_MS 10000L        /* the whole exchange */
#define HOOKPOST_READ_MAX 65536         /* bytes of the answer read, at most */

/* Before the first post (libcurl's global init: thread-safe in Debian's build, whose
 * curl-config --features lists threadsafe). Returns 0, or -1 when libcurl cannot start. */
int hookpost_init(void);

/* POSTs the len bytes of body (application/json) to url with headers (each "Name: value";
 * n of them). Returns the HTTP status, or -1 with a reason in err (no connection, timeout, an
 * answer over HOOKPOST_READ_MAX, out of memory, or cancel became true: within about a second,
 * so that a stopping gateway does not wait for a slow receiver). */
int hookpost_send(const char *url, const char *const *headers, size_t n, const char *body,
                  size_t len, const atomic_bool *cancel, char *err, size_t errlen);

#endif
