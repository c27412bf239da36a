/* http — see http.h. */
#include "http.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "buf.h"
#include "crypto.h"
#include "log.h"

#define HTTP_MAX_HEADERS 16
#define HTTP_DISCARD_FACTOR 4 /* an oversized chunked body is read at most this many limits */
#define HTTP_MMAP_THRESHOLD (128 * 1024) /* bodies above this live in their own mappings */

/* What a connection is waiting for, as the watchdog sees it. */
enum watch_phase { WATCH_HEADERS, WATCH_BODY, WATCH_BUSY };

/* One open connection, for the watchdog that bounds the time to a complete header block and
 * to a complete body: libmicrohttpd's own timeout is one of silence, which a client that
 * trickles a byte at a time never reaches. Linked in the server's list from the connection's
 * start to its close. */
struct watch {
    int fd;
    _Atomic int phase;
    _Atomic long long until_ms;   /* when the phase must be over (monotonic) */
    bool cut;                     /* shut down already */
    struct watch *prev, *next;
};

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_routes routes;
    int request_deadline;
    int port;
    int header_timeout;
    atomic_long inflight;
    atomic_ulong seq;
    char id_prefix[9];
    struct budget *budget;
    size_t large;                 /* a body over this many bytes is large */
    pthread_mutex_t watch_lock;
    struct watch *watches;
    pthread_t watchdog;
    bool watchdog_started;
    atomic_bool stopping;
};

struct http_req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const char *method, *path;
    char id[32];
    char client[INET6_ADDRSTRLEN];
    struct timespec start;
    long limit;           /* body bytes allowed */
    size_t reserved;      /* bytes of the body budget held */
    bool large_place;     /* holds a large-upload place of its address */
    struct watch *watch;
    struct buf body;
    size_t discarded;     /* bytes past the limit, thrown away */
    bool answered, handled, suspended, resumed, over_budget;
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

static void watch_set(struct watch *w, enum watch_phase phase, long long ms);

/* ---- accessors ----------------------------------------------------------------------- */

const char *http_method(const struct http_req *req) { return req->method; }
const char *http_path(const struct http_req *req) { return req->path; }
const char *http_request_id(const struct http_req *req) { return req->id; }
const char *http_client(const struct http_req *req) { return req->client; }
void http_set_state(struct http_req *req, void *state) { req->state = state; }

void http_set_client(struct http_req *req, const char *addr)
{
    snprintf(req->client, sizeof req->client, "%s", addr);
}
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
    bool host;
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
    } else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
        f->host = true;
    }
    return MHD_YES;
}

/* Checks the framing headers against the body limit. Returns the declared length (0 when
 * none), or -1 having answered. */
static long long check_framing(struct http_req *req, const struct framing *fr)
{
    struct http_routes *rt = &req->srv->routes;
    struct framing f = *fr;
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
        return (long long)n;
    }
    return 0;
}

/* RFC 9112 3.2: a server answers 400 to an HTTP/1.1 request without exactly one Host. */
static bool host_missing(const struct framing *f, const char *version)
{
    return strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && !f->host;
}

/* Reserves the body's bytes in the budget before any is read: the declared length, or for a
 * chunked body nothing yet (take_body reserves each chunk). A body that may be large also
 * takes a place among its address's large uploads. Returns 0, or -1 having answered 503. */
static int admit_body(struct http_req *req, long long declared)
{
    struct http_server *srv = req->srv;
    struct http_routes *rt = &srv->routes;
    bool large = (size_t)req->limit > srv->large;
    if (large && (declared == 0 || (size_t)declared > srv->large)) {
        if (budget_enter(srv->budget, req->client) != BUDGET_OK) {
            rt->error(req, rt->arg, 503, "overloaded",
                      "too many uploads from your address at once; try again shortly");
            return -1;
        }
        req->large_place = true;
    }
    if (declared > 0) {
        if (budget_take(srv->budget, (size_t)declared, (size_t)declared > srv->large) !=
            BUDGET_OK) {
            rt->error(req, rt->arg, 503, "overloaded",
                      "the server is taking too many uploads; try again shortly");
            return -1;
        }
        req->reserved = (size_t)declared;
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
    const union MHD_ConnectionInfo *sc =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->watch = sc ? sc->socket_context : NULL;
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
    size_t need = req->body.len + size;
    if (need > req->reserved) {
        /* a chunked body: reserve as it comes; past the budget, the rest is thrown away */
        if (budget_take(req->srv->budget, need - req->reserved, need > req->srv->large) !=
            BUDGET_OK) {
            req->over_budget = true;
            req->discarded += size;
            return MHD_YES;
        }
        req->reserved = need;
    } else if (!req->body.p && req->reserved > req->srv->large &&
               buf_size_for(&req->body, req->reserved) < 0) {
        return MHD_NO; /* the declared length at once: one mapping, no copies as it grows */
    }
    return buf_add(&req->body, data, size) == 0 ? MHD_YES : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *srv = cls;
    struct http_routes *rt = &srv->routes;
    struct http_req *req = *con_cls;
    if (!req) {
        if (!(req = req_new(srv, conn, url, method)))
            return MHD_NO;
        *con_cls = req;
        struct framing f = {0}; /* one pass over the headers for Host and the framing */
        MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
        if (host_missing(&f, version)) {
            rt->error(req, rt->arg, 400, "bad_request", "an HTTP/1.1 request needs a Host header");
            return MHD_YES;
        }
        req->limit = rt->begin(req, rt->arg);
        long long declared = req->limit >= 0 && !req->answered ? check_framing(req, &f) : -1;
        if (declared >= 0 && req->limit > 0)
            admit_body(req, declared);
        watch_set(req->watch, req->answered ? WATCH_BUSY : WATCH_BODY,
                  srv->request_deadline * 1000LL);
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
        watch_set(req->watch, WATCH_BUSY, 0);
        if (req->over_budget)
            rt->error(req, rt->arg, 503, "overloaded",
                      "the server is taking too many uploads; try again shortly");
        else if (req->discarded)
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
    if (req->reserved)
        budget_give(srv->budget, req->reserved);
    if (req->large_place)
        budget_leave(srv->budget, req->client);
    watch_set(req->watch, WATCH_HEADERS, srv->header_timeout * 1000LL);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* ---- the watchdog ------------------------------------------------------------------------ */

static long long mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Enters a phase that must be over within ms milliseconds (0: no bound). Accepts NULL. */
static void watch_set(struct watch *w, enum watch_phase phase, long long ms)
{
    if (!w)
        return;
    atomic_store(&w->until_ms, ms ? mono_ms() + ms : 0);
    atomic_store(&w->phase, (int)phase);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *srv = cls;
    struct watch *w = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci || !(w = calloc(1, sizeof *w)))
            return; /* unwatched: libmicrohttpd's timeout of silence still holds */
        w->fd = ci->connect_fd;
        watch_set(w, WATCH_HEADERS, srv->header_timeout * 1000LL);
        pthread_mutex_lock(&srv->watch_lock);
        w->next = srv->watches;
        if (w->next)
            w->next->prev = w;
        srv->watches = w;
        pthread_mutex_unlock(&srv->watch_lock);
        *socket_context = w;
    } else if (w) {
        pthread_mutex_lock(&srv->watch_lock);
        if (w->prev)
            w->prev->next = w->next;
        else
            srv->watches = w->next;
        if (w->next)
            w->next->prev = w->prev;
        pthread_mutex_unlock(&srv->watch_lock);
        free(w);
        *socket_context = NULL;
    }
}

/* Every quarter second: shuts down the connections whose header block or body is late, so
 * that libmicrohttpd sees them end and closes them itself. Under the lock, so that a
 * connection cannot close (and its descriptor be reused) between the look and the cut. */
static void *watchdog(void *arg)
{
    struct http_server *srv = arg;
    while (!atomic_load(&srv->stopping)) {
        usleep(250000);
        long long now = mono_ms();
        pthread_mutex_lock(&srv->watch_lock);
        for (struct watch *w = srv->watches; w; w = w->next) {
            long long until = atomic_load(&w->until_ms);
            if (w->cut || atomic_load(&w->phase) == WATCH_BUSY || !until || now < until)
                continue;
            w->cut = true;
            shutdown(w->fd, SHUT_RDWR);
            log_info("http: connection closed, its %s did not arrive in time",
                     atomic_load(&w->phase) == WATCH_HEADERS ? "header block" : "body");
        }
        pthread_mutex_unlock(&srv->watch_lock);
    }
    return NULL;
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

/* Frees what http_start made, in reverse order. Accepts a half-made server. */
static void server_free(struct http_server *srv)
{
    if (srv->watchdog_started) {
        atomic_store(&srv->stopping, true);
        pthread_join(srv->watchdog, NULL);
    }
    pthread_mutex_destroy(&srv->watch_lock);
    budget_free(srv->budget);
    free(srv);
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
    /* Large bodies get mappings of their own, returned to the system when freed: without a
     * fixed threshold glibc raises it after the first frees and keeps a flood's bodies. */
    mallopt(M_MMAP_THRESHOLD, HTTP_MMAP_THRESHOLD);
    srv->routes = *routes;
    srv->request_deadline = opt->request_deadline;
    srv->header_timeout = opt->header_timeout;
    srv->large = (size_t)opt->large_body;
    pthread_mutex_init(&srv->watch_lock, NULL);
    srv->budget = budget_new((size_t)opt->body_budget, srv->large, opt->large_per_addr);
    if (!srv->budget || pthread_create(&srv->watchdog, NULL, watchdog, srv) != 0) {
        snprintf(err, errlen, "out of memory or threads");
        server_free(srv);
        return NULL;
    }
    srv->watchdog_started = true;
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
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
        MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot listen on %s:%d", opt->host, opt->port);
        server_free(srv);
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
    server_free(srv);
}
