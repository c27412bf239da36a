/* http — the only libmicrohttpd user: an epoll thread-pool server that reads each request's
 * body under an exact limit and hands whole requests to the routes.
 *
 * A request's life: begin (headers in; the route says how much body it takes, or answers at
 * once; then the body's bytes are reserved in the body budget, or the request is answered 503:
 * budget.h), body chunks (bounded, under a whole-request deadline), handle (the whole body is in;
 * answer now, or suspend and hand work to another thread), resume (that thread called
 * http_resume; answer now), done (the request is over: free the route's state). Per-request
 * state is allocated on the first callback and freed only in the completion callback.
 */
#ifndef JUBAO_HTTP_H
#define JUBAO_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct http_server;
struct http_req;

struct http_routes {
    /* Headers are in. Returns the most body bytes the request may carry (0: none), or -1 when
     * it answered already (404, 405, 415, ...). */
    long (*begin)(struct http_req *req, void *arg);
    /* The whole body is in. Must answer, or call http_suspend and later http_resume. */
    void (*handle)(struct http_req *req, void *arg);
    /* After http_resume. Must answer. */
    void (*resume)(struct http_req *req, void *arg);
    /* The request is over; status is what was answered (0: none), seconds its duration. */
    void (*done)(struct http_req *req, void *arg, int status, double seconds);
    /* Answers an error found by the server itself (framing, size), in the routes' format. */
    void (*error)(struct http_req *req, void *arg, int status, const char *code,
                  const char *message);
    void *arg;
};

struct http_options {
    const char *host;
    int port;
    int threads;
    int connection_limit;
    int per_ip_connection_limit;
    int connection_timeout;     /* seconds of silence */
    int request_deadline;       /* seconds: from the header block to the whole body */
    int header_timeout;         /* seconds: to a complete header block (a kept-alive
                                 * connection's next one: from the end of the last request) */
    long body_budget;           /* bytes of request bodies held at once, in all */
    long large_body;            /* a body over this many bytes is large */
    int large_per_addr;         /* large bodies in flight per client address */
};

/* Binds and starts serving. Returns NULL with the reason in err. */
struct http_server *http_start(const struct http_options *opt, const struct http_routes *routes,
                               char *err, size_t errlen);
/* Stops accepting, waits up to grace_ms for requests in flight, then stops. Accepts NULL. */
void http_stop(struct http_server *srv, int grace_ms);
/* The port actually bound (useful with port 0). */
int http_port(const struct http_server *srv);

const char *http_method(const struct http_req *req);
const char *http_path(const struct http_req *req);
const char *http_header(const struct http_req *req, const char *name);
const char *http_query(const struct http_req *req, const char *name);
const char *http_request_id(const struct http_req *req);
/* The client's address as text ("127.0.0.1", "::1"): the peer's, or what the routes set. */
const char *http_client(const struct http_req *req);
/* Sets the client's address (the routes' begin does, when a trusted proxy names the client),
 * so that the limits per address count the client, not the proxy. */
void http_set_client(struct http_req *req, const char *addr);
const char *http_body(const struct http_req *req, size_t *len);

/* The route's own per-request state; freed by the route in done. */
void http_set_state(struct http_req *req, void *state);
void *http_state(const struct http_req *req);

/* Adds a header to the answer; call before http_respond. Both strings are copied. */
void http_add_header(struct http_req *req, const char *name, const char *value);
/* Answers with status and body (copied). Once per request; later calls do nothing. */
void http_respond(struct http_req *req, int status, const char *content_type, const char *body,
                  size_t len);

/* Suspends the request after handle; http_resume (from any thread) wakes it for resume. */
void http_suspend(struct http_req *req);
void http_resume(struct http_req *req);

#endif
