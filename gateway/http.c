/* http — see http.h. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "log.h"

#define HTTP_MAX_HEADERS 16
#define HTTP_DISCARD_FACTOR 4 /* an oversized chunked body is read at most this many limits */

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_routes routes;
    int request_deadline;
    int port;
    atomic_long inflight;
    atomic_ulong seq;
    char id_prefix[9];
};

struct http_req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const char *method, *path;
    char id[32];
    char client[INET6_ADDRSTRLEN];
    struct timespec start;
    long limit;           /* body bytes allowed */
    struct buf body;
    size_t discarded;     /* bytes past the limit, thrown away */
    bool answered, handled, suspended, resumed;
    int status;
    int nheaders;
    char *headers[HTTP_MAX_HEADERS][2];
    void *state;
};

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- accessors ----------------------------------------------------------------------- */

const char *http_method(const struct http_req *req) { return req->method; }
const char *http_path(const struct http_req *req) { return req->path; }
const char *http_request_id(const struct http_req *req) { return req->id; }
const char *http_client(const struct http_req *req) { return req->client; }
void http_set_state(struct http_req *req, void *state) { req->state = state; }
void *http_state(const struct http_req *req) { return req->state; }

const char *http_header(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_body(const struct http_req *req, size_t *len)
{
    *len = req->body.len;
    return req->body.p ? req->body.p : "";
}

/* ---- answers ------------------------------------------------------------------------- */

void http_add_header(struct http_req *req, const char *name, const char *value)
{
    if (req->nheaders == HTTP_MAX_HEADERS)
        return;
    req->headers[req->nheaders][0] = strdup(name);
    req->headers[req->nheaders][1] = strdup(value);
    req->nheaders++;
}

void http_respond(struct http_req *req, int status, const char *content_type, const char *body,
                  size_t len)
{
    if (req->answered)
        return;
    req->answered = true;
    req->status = status;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return;
    MHD_add_response_header(r, "X-Request-Id", req->id);
    if (content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < req->nheaders; i++)
        if (req->headers[i][0] && req->headers[i][1])
            MHD_add_response_header(r, req->headers[i][0], req->headers[i][1]);
    if (MHD_queue_response(req->conn, (unsigned)status, r) != MHD_YES)
        log_warn("request %s: answer %d could not be queued", req->id, status);
    MHD_destroy_response(r);
}

void http_suspend(struct http_req *req)
{
    req->suspended = true;
    MHD_suspend_connection(req->conn);
}

void http_resume(struct http_req *req)
{
    req->resumed = true;
    MHD_resume_connection(req->conn);
}

/* ---- the request's life -------------------------------------------------------------- */

struct framing {
    int content_length;     /* how many Content-Length headers */
    bool transfer_encoding;
    const char *cl;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        f->content_length++;
        f->cl = value;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->transfer_encoding = true;
    }
    return MHD_YES;
}

/* Checks the framing headers against the body limit. Returns 0, or -1 having answered. */
static int check_framing(struct http_req *req)
{
    struct http_routes *rt = &req->srv->routes;
    struct framing f = {0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_framing, &f);
    if (f.content_length > 1 || (f.content_length && f.transfer_encoding)) {
        rt->error(req, rt->arg, 400, "bad_framing",
                  "send exactly one Content-Length, or Transfer-Encoding without it");
        return -1;
    }
    if (f.content_length) {
        const char *p = f.cl;
        unsigned long long n = 0;
        for (; *p >= '0' && *p <= '9' && n <= (1ULL << 40); p++)
            n = n * 10 + (unsigned)(*p - '0');
        if (p == f.cl || *p) {
            rt->error(req, rt->arg, 400, "bad_framing", "Content-Length is not a number");
            return -1;
        }
        if (n > (unsigned long long)req->limit) {
            rt->error(req, rt->arg, 413, "body_too_large", "the body is larger than allowed");
            return -1;
        }
    }
    return 0;
}

static struct http_req *req_new(struct http_server *srv, struct MHD_Connection *conn,
                                const char *url, const char *method)
{
    struct http_req *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->srv = srv;
    req->conn = conn;
    req->method = method;
    req->path = url;
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    snprintf(req->id, sizeof req->id, "%s-%08lx", srv->id_prefix,
             (unsigned long)atomic_fetch_add(&srv->seq, 1) & 0xffffffffUL);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, req->client,
                  sizeof req->client);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                  req->client, sizeof req->client);
    else
        snprintf(req->client, sizeof req->client, "unknown");
    atomic_fetch_add(&srv->inflight, 1);
    return req;
}

/* Takes a chunk of body. Returns MHD_NO to close the connection (deadline, flood). */
static enum MHD_Result take_body(struct http_req *req, const char *data, size_t size)
{
    if (seconds_since(&req->start) > req->srv->request_deadline) {
        log_info("request %s: closed, body not in within the deadline", req->id);
        return MHD_NO;
    }
    if (req->discarded || req->body.len + size > (size_t)req->limit) {
        req->discarded += size;
        return req->discarded > (size_t)req->limit * HTTP_DISCARD_FACTOR ? MHD_NO : MHD_YES;
    }
    return buf_add(&req->body, data, size) == 0 ? MHD_YES : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct http_routes *rt = &srv->routes;
    struct http_req *req = *con_cls;
    if (!req) {
        if (!(req = req_new(srv, conn, url, method)))
            return MHD_NO;
        *con_cls = req;
        req->limit = rt->begin(req, rt->arg);
        if (req->limit >= 0 && !req->answered)
            check_framing(req);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return req->answered ? MHD_YES : take_body(req, upload_data, n);
    }
    if (req->resumed) {
        req->resumed = false;
        req->suspended = false;
        rt->resume(req, rt->arg);
    } else if (!req->handled && !req->answered) {
        req->handled = true;
        if (req->discarded)
            rt->error(req, rt->arg, 413, "body_too_large", "the body is larger than allowed");
        else
            rt->handle(req, rt->arg);
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct http_server *srv = cls;
    struct http_req *req = *con_cls;
    if (!req)
        return;
    srv->routes.done(req, srv->routes.arg, req->answered ? req->status : 0,
                     seconds_since(&req->start));
    for (int i = 0; i < req->nheaders; i++) {
        free(req->headers[i][0]);
        free(req->headers[i][1]);
    }
    buf_free(&req->body);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* fmt is libmicrohttpd's own (the attribute tells clang, which otherwise refuses it). */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
                                                           va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http: %s", msg);
}

/* Resolves host:port into *ss. Returns 0 or -1 with the reason in err. */
static int resolve(const char *host, int port, struct sockaddr_storage *ss, char *err,
                   size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, errlen, "listen address %s: %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

struct http_server *http_start(const struct http_options *opt, const struct http_routes *routes,
                               char *err, size_t errlen)
{
    struct http_server *srv = calloc(1, sizeof *srv);
    struct sockaddr_storage ss;
    if (!srv || resolve(opt->host, opt->port, &ss, err, errlen) < 0) {
        free(srv);
        return NULL;
    }
    srv->routes = *routes;
    srv->request_deadline = opt->request_deadline;
    char rnd[CRYPTO_ID_LEN];
    crypto_random_id('x', rnd);
    snprintf(srv->id_prefix, sizeof srv->id_prefix, "%.4s%.4s", rnd + 2, rnd + 7);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)opt->port, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opt->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)opt->connection_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)opt->per_ip_connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opt->connection_timeout,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
        MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot listen on %s:%d", opt->host, opt->port);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : opt->port;
    return srv;
}

int http_port(const struct http_server *srv)
{
    return srv->port;
}

void http_stop(struct http_server *srv, int grace_ms)
{
    if (!srv)
        return;
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    for (int waited = 0; atomic_load(&srv->inflight) > 0 && waited < grace_ms; waited += 10)
        usleep(10000);
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
