/* store — see store.h. */
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

#define STORE_BATCH_MAX 512       /* jobs written in one pipeline at most */
#define STORE_BATCH_COMMANDS 8    /* commands one thread takes at a time (see take_batch) */

long long store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- jobs ---------------------------------------------------------------------------- */

struct store_job *store_job_new(store_done_fn *done, void *arg)
{
    struct store_job *job = calloc(1, sizeof *job);
    if (job) {
        job->done = done;
        job->arg = arg;
        job->ok = -1;
    }
    return job;
}

void store_job_free(struct store_job *job)
{
    if (!job)
        return;
    if (job->replies)
        for (int i = 0; i < job->ncmd; i++)
            store_reply_free(job->replies[i]);
    free(job->replies);
    buf_free(&job->bytes);
    free(job->args);
    free(job->cmd_start);
    free(job);
}

int store_job_command(struct store_job *job, const char *name)
{
    int *starts = job->oom ? NULL
                           : buf_array_grow(job->cmd_start, &job->capcmd, (size_t)job->ncmd + 1,
                                            sizeof *starts);
    if (!starts) {
        job->error = job->error ? job->error : "out of memory";
        job->oom = true;
        return -1;
    }
    job->cmd_start = starts;
    job->cmd_start[job->ncmd++] = job->nargs;
    return store_job_argstr(job, name);
}

int store_job_arg(struct store_job *job, const void *s, size_t len)
{
    if (job->ncmd > 0 && job->nargs - job->cmd_start[job->ncmd - 1] >= STORE_COMMAND_ARGS_MAX) {
        job->error = "a command longer than STORE_COMMAND_ARGS_MAX arguments";
        job->oom = true;
        return -1;
    }
    struct store_arg *args = job->oom || job->ncmd == 0 ? NULL
                           : buf_array_grow(job->args, &job->capargs, (size_t)job->nargs + 1,
                                            sizeof *args);
    if (args)
        job->args = args;
    size_t off = job->bytes.len;
    if (!args || buf_add(&job->bytes, s, len) < 0) {
        job->error = job->error ? job->error : "out of memory";
        job->oom = true;
        return -1;
    }
    job->args[job->nargs++] = (struct store_arg){off, len};
    return 0;
}

int store_job_argstr(struct store_job *job, const char *s)
{
    return store_job_arg(job, s, strlen(s));
}

int store_job_argll(struct store_job *job, long long v)
{
    char n[24];
    int len = snprintf(n, sizeof n, "%lld", v);
    return store_job_arg(job, n, (size_t)len);
}

const char *store_job_error(const struct store_job *job)
{
    return job ? job->error : NULL;
}

int store_job_ok(const struct store_job *job)
{
    return job ? job->ok : -1;
}

const struct store_reply *store_job_reply(const struct store_job *job, int i)
{
    if (!job || job->ok < 0 || i < 0 || i >= job->ncmd)
        return NULL;
    return job->replies[i];
}

/* ---- replies ------------------------------------------------------------------------- */

static const redisReply *R(const struct store_reply *r)
{
    return (const redisReply *)r;
}

enum store_type store_reply_type(const struct store_reply *r)
{
    if (!r)
        return STORE_NIL;
    switch (R(r)->type) {
    case REDIS_REPLY_INTEGER: return STORE_INT;
    case REDIS_REPLY_STRING: return STORE_STR;
    case REDIS_REPLY_ARRAY: return STORE_ARRAY;
    case REDIS_REPLY_ERROR: return STORE_ERROR;
    case REDIS_REPLY_STATUS: return STORE_STATUS;
    default: return STORE_NIL;
    }
}

long long store_reply_int(const struct store_reply *r)
{
    return r && R(r)->type == REDIS_REPLY_INTEGER ? R(r)->integer : 0;
}

const char *store_reply_str(const struct store_reply *r, size_t *len)
{
    enum store_type t = store_reply_type(r);
    bool has = t == STORE_STR || t == STORE_STATUS || t == STORE_ERROR;
    if (len)
        *len = has ? R(r)->len : 0;
    return has ? R(r)->str : "";
}

size_t store_reply_count(const struct store_reply *r)
{
    return store_reply_type(r) == STORE_ARRAY ? R(r)->elements : 0;
}

const struct store_reply *store_reply_at(const struct store_reply *r, size_t i)
{
    if (i >= store_reply_count(r))
        return NULL;
    return (const struct store_reply *)R(r)->element[i];
}

const char *store_reply_str_at(const struct store_reply *r, size_t i)
{
    return store_reply_str(store_reply_at(r, i), NULL);
}

bool store_reply_is(const struct store_reply *r, const char *s)
{
    size_t len;
    const char *p = store_reply_str(r, &len);
    return store_reply_type(r) == STORE_STR && len == strlen(s) && memcmp(p, s, len) == 0;
}

/* ---- the connection ------------------------------------------------------------------ */

struct store_conn {
    redisContext *ctx;
};

static struct timeval tv_ms(long long ms)
{
    if (ms < 10)
        ms = 10;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return tv;
}

struct store_conn *store_conn_open(const struct cluster_addr *a, long long budget_ms, char *err,
                                   size_t errlen)
{
    struct store_conn *c = malloc(sizeof *c);
    struct timeval tv = tv_ms(budget_ms);
    redisContext *ctx = !c ? NULL
                      : a->port ? redisConnectWithTimeout(a->host, a->port, tv)
                                : redisConnectUnixWithTimeout(a->host, tv);
    if (!ctx || ctx->err) {
        snprintf(err, errlen, "%s", ctx ? ctx->errstr : "out of memory");
        if (ctx)
            redisFree(ctx);
        free(c);
        return NULL;
    }
    redisSetTimeout(ctx, tv);
    c->ctx = ctx;
    return c;
}

void store_conn_free(struct store_conn *c)
{
    if (c) {
        redisFree(c->ctx);
        free(c);
    }
}

void store_conn_timeout(struct store_conn *c, long long ms)
{
    redisSetTimeout(c->ctx, tv_ms(ms));
}

int store_conn_append(struct store_conn *c, int argc, const char **argv, const size_t *lens)
{
    return redisAppendCommandArgv(c->ctx, argc, argv, lens) == REDIS_OK ? 0 : -1;
}

int store_conn_read(struct store_conn *c, struct store_reply **out)
{
    void *reply = NULL;
    *out = NULL;
    if (redisGetReply(c->ctx, &reply) != REDIS_OK || !reply)
        return -1;
    *out = reply;
    return 0;
}

const char *store_conn_error(const struct store_conn *c)
{
    return c->ctx->errstr[0] ? c->ctx->errstr : "no reply";
}

bool store_conn_closed(const struct store_conn *c)
{
    struct pollfd p = {.fd = c->ctx->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return false;   /* nothing to read: the usual case, one system call */
    char b;
    ssize_t n = recv(c->ctx->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

struct store_reply *store_conn_call(struct store_conn *c, int argc, const char **argv,
                                    const size_t *lens)
{
    struct store_reply *r = NULL;
    if (store_conn_append(c, argc, argv, lens) < 0 || store_conn_read(c, &r) < 0)
        return NULL;
    return r;
}

void store_reply_free(struct store_reply *r)
{
    if (r)
        freeReplyObject(r);
}

int store_job_argv(const struct store_job *job, int c, const char **argv, size_t *lens)
{
    int first = job->cmd_start[c];
    int end = c + 1 < job->ncmd ? job->cmd_start[c + 1] : job->nargs;
    int argc = end - first; /* at most STORE_COMMAND_ARGS_MAX: store_job_arg */
    for (int a = 0; a < argc; a++) {
        argv[a] = job->bytes.p + job->args[first + a].off;
        lens[a] = job->args[first + a].len;
    }
    return argc;
}

/* ---- threads ------------------------------------------------------------------------- */

/* Takes queued jobs, at least one, up to STORE_BATCH_COMMANDS commands; blocks while none.
 * Returns 0 when stopping. Small takes spread the work over every thread's connection: Redis
 * reads at most 16 KB from a connection per event-loop iteration and fsyncs once per
 * iteration, so a long pipeline on one connection costs several fsyncs while short ones on
 * many connections share one. */
static int take_batch(struct store *st, struct store_job **jobs)
{
    pthread_mutex_lock(&st->lock);
    while (!st->head && !st->stopping)
        pthread_cond_wait(&st->wake, &st->lock);
    int n = 0, cmds = 0;
    while (st->head && n < STORE_BATCH_MAX &&
           (n == 0 || cmds + st->head->ncmd <= STORE_BATCH_COMMANDS)) {
        cmds += st->head->ncmd;
        jobs[n++] = st->head;
        st->head = st->head->next;
    }
    if (!st->head)
        st->tail = NULL;
    else
        pthread_cond_signal(&st->wake); /* more work: wake another thread for it */
    pthread_mutex_unlock(&st->lock);
    return n;
}

static void serve_batch(struct store_thread *t, struct store_job **jobs, int n)
{
    long long now = store_now_ms();
    int live = 0;
    for (int i = 0; i < n; i++) {
        if (jobs[i]->oom)
            log_error("redis: a job is not sent: %s", jobs[i]->error);
        if (jobs[i]->oom || jobs[i]->deadline <= now) {
            if (!jobs[i]->oom) {
                jobs[i]->why = "its deadline passed while it was queued: every store thread "
                               "was busy";
                store_pipe_failed(t, jobs[i]);
            }
            jobs[i]->ok = -1;
            jobs[i]->done(jobs[i], jobs[i]->arg);
            continue;
        }
        jobs[live++] = jobs[i];
    }
    if (live == 0)
        return;
    store_pipe_serve(t, jobs, live);
    for (int i = 0; i < live; i++)
        jobs[i]->done(jobs[i], jobs[i]->arg);
}

static void *store_thread_main(void *arg)
{
    struct store_thread *t = arg;
    struct store_job **jobs = malloc(STORE_BATCH_MAX * sizeof *jobs);
    int n;
    while (jobs && (n = take_batch(t->st, jobs)) > 0)
        serve_batch(t, jobs, n);
    free(jobs);
    store_pipe_close(t);
    return NULL;
}

struct store *store_new(const char *addr, int timeout_ms, int nthreads, char *err,
                        size_t errlen)
{
    struct store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char why[200];
    if (cluster_seeds_parse(&st->seeds, addr, why, sizeof why) < 0) {
        snprintf(err, errlen, "redis address \"%.256s\": %s", addr, why);
        free(st);
        return NULL;
    }
    st->timeout_ms = timeout_ms;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->wake, NULL);
    st->threads = calloc((size_t)nthreads, sizeof *st->threads);
    for (int i = 0; st->threads && i < nthreads; i++) {
        st->threads[i].st = st;
        if (pthread_create(&st->threads[i].tid, NULL, store_thread_main, &st->threads[i]) != 0)
            break;
        st->nthreads++;
    }
    if (st->nthreads < nthreads) {
        snprintf(err, errlen, "cannot start store threads");
        store_free(st);
        return NULL;
    }
    return st;
}

int store_wait_replicas(struct store *st, int acks, int timeout_ms,
                        const char *const *functions, size_t n)
{
    if (acks < 0 || timeout_ms < 1 || n > STORE_DURABLE_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strlen(functions[i]) >= sizeof st->durable[0])
            return -1;
    pthread_mutex_lock(&st->lock);
    st->replica_acks = acks;
    st->replica_timeout_ms = timeout_ms;
    snprintf(st->wait_acks, sizeof st->wait_acks, "%d", acks);
    snprintf(st->wait_timeout, sizeof st->wait_timeout, "%d", timeout_ms);
    st->ndurable = (int)n;
    for (size_t i = 0; i < n; i++)
        snprintf(st->durable[i], sizeof st->durable[i], "%s", functions[i]);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

void store_free(struct store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->lock);
    st->stopping = true;
    pthread_cond_broadcast(&st->wake);
    pthread_mutex_unlock(&st->lock);
    for (int i = 0; i < st->nthreads; i++)
        pthread_join(st->threads[i].tid, NULL);
    free(st->threads);
    pthread_cond_destroy(&st->wake);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

bool store_connected(const struct store *st)
{
    return atomic_load(&st->connected);
}

void store_submit(struct store *st, struct store_job *job)
{
    job->next = NULL;
    job->durable = false;
    for (int c = 0; c < job->ncmd && !job->oom && !job->durable; c++)
        job->durable = store_pipe_durable(st, job, c);
    /* a durable write also has the time its WAIT may take */
    job->submitted = store_now_ms();
    job->deadline = job->submitted + st->timeout_ms
                  + (job->durable ? st->replica_timeout_ms : 0);
    pthread_mutex_lock(&st->lock);
    if (st->tail)
        st->tail->next = job;
    else
        st->head = job;
    st->tail = job;
    pthread_cond_signal(&st->wake);
    pthread_mutex_unlock(&st->lock);
}

struct store_waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
};

static void waiter_done(struct store_job *job, void *arg)
{
    (void)job;
    struct store_waiter *w = arg;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int store_job_commandv(struct store_job *job, const char *const *argv, size_t argc)
{
    int rc = argc ? store_job_command(job, argv[0]) : 0;
    for (size_t i = 1; i < argc; i++)
        rc |= store_job_argstr(job, argv[i]);
    return rc;
}

int store_run(struct store *st, struct store_job *job)
{
    struct store_waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
    job->done = waiter_done;
    job->arg = &w;
    store_submit(st, job);
    pthread_mutex_lock(&w.lock);
    while (!w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    return job->ok;
}
