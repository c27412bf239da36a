/* modelstore — see modelstore.h. */
#include "modelstore.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcall.h"
#include "log.h"
#include "schema.h"

static atomic_llong in_force;   /* the version this process holds (0: none) */
static atomic_long loads, rejected;

/* Runs a job of one command (args[0..n)); returns its reply through *out (owned by *job, which
 * the caller frees), or -1 when Redis failed or answered an error. */
static int run1(struct store *st, const char *const *args, size_t n, struct store_job **job,
                const struct store_reply **out)
{
    *job = store_job_new(NULL, NULL);
    if (!*job || store_job_commandv(*job, args, n) < 0 || store_run(st, *job) < 0)
        return -1;
    *out = store_job_reply(*job, 0);
    return store_reply_type(*out) == STORE_ERROR ? -1 : 0;
}

int modelstore_version(struct store *st, long long *version)
{
    const char *args[] = {"HGET", SCHEMA_MODEL, "version"};
    struct store_job *j;
    const struct store_reply *r;
    int rc = run1(st, args, 3, &j, &r);
    if (rc == 0)
        *version = atoll(store_reply_str(r, NULL));
    store_job_free(j);
    return rc;
}

int modelstore_fetch(struct store *st, long max_bytes, struct model **out, long long *version,
                     char *err, size_t errlen)
{
    const char *args[] = {"HMGET", SCHEMA_MODEL, "version", "blob"};
    struct store_job *j;
    const struct store_reply *r;
    *out = NULL;
    *version = 0;
    if (run1(st, args, 4, &j, &r) < 0) {
        store_job_free(j);
        snprintf(err, errlen, "redis did not answer");
        return -1;
    }
    size_t len;
    const char *blob = store_reply_str(store_reply_at(r, 1), &len);
    *version = atoll(store_reply_str(store_reply_at(r, 0), NULL));
    int rc = 0;
    if (*version == 0) {
        rc = 0;
    } else if (len > (size_t)max_bytes) {
        snprintf(err, errlen, "%zu bytes, over model_max_bytes (%ld)", len, max_bytes);
        rc = -2;
    } else if (!(*out = model_load(blob, len, err, errlen))) {
        rc = -2;
    }
    store_job_free(j);
    return rc;
}

int modelstore_install(struct store *st, const struct model *m, const struct modelstore_meta *meta,
                       long max_bytes, const long long *expect, const char *lock,
                       long long *version, char *err, size_t errlen)
{
    struct buf blob = {0};
    if (model_save(m, &blob) < 0 || blob.oom) {
        buf_free(&blob);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct fcall_model_install_in in = {blob.p, blob.len, meta->label, meta->trained_at,
                                        meta->examples, meta->holdout, meta->decisions_at,
                                        max_bytes, expect, lock};
    struct fcall_model_install_out out;
    int rc = fcall_model_install_run(st, &in, &out, err, errlen);
    *version = rc == 0 ? out.version : 0;
    if (rc == 0 && out.answer == FCALL_MOVED)
        rc = 1;
    else if (rc == 0 && out.answer == FCALL_TOO_LARGE)
        snprintf(err, errlen, "the model is %zu bytes, over model_max_bytes (%ld)", blob.len,
                 max_bytes), rc = -1;
    else if (rc == 0 && out.answer == FCALL_LOCKED)
        snprintf(err, errlen, "another worker is training (the lock is held)"), rc = -1;
    buf_free(&blob);
    return rc;
}

int modelstore_refresh(struct store *st, long max_bytes, struct model_live *live,
                       long long *have, const char *who)
{
    long long v;
    if (modelstore_version(st, &v) < 0)
        return -1;
    if (v == 0 || v == *have)
        return 0;
    struct model *m;
    char err[256];
    int rc = modelstore_fetch(st, max_bytes, &m, &v, err, sizeof err);
    if (rc == -1)
        return -1;
    *have = v;
    if (rc == -2) {
        atomic_fetch_add(&rejected, 1);
        log_warn("%s: model version %lld rejected, the model in force stays: %s", who, v, err);
        return 0;
    }
    if (!m)
        return 0;
    log_info("%s: model version %lld in force (%s)", who, v, model_label(m));
    model_swap(live, m);
    atomic_store(&in_force, v);
    atomic_fetch_add(&loads, 1);
    return 1;
}

struct modelwatch {
    struct store *store;
    struct model_live *live;
    long poll_s, max_bytes;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

static void *watch(void *arg)
{
    struct modelwatch *w = arg;
    long long have = 0;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        pthread_mutex_unlock(&w->lock);
        if (modelstore_refresh(w->store, w->max_bytes, w->live, &have, "gateway") < 0)
            log_debug("model: redis did not answer; trying again in %ld s", w->poll_s);
        pthread_mutex_lock(&w->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += w->poll_s;
        while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct modelwatch *modelwatch_start(const struct conf *conf, struct model_live *live, char *err,
                                    size_t errlen)
{
    struct modelwatch *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->live = live;
    w->poll_s = conf->model_poll;
    w->max_bytes = conf->model_max_bytes;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->store = store_new(conf->redis, (int)conf->redis_timeout_ms * 5, 1, err, errlen);
    if (!w->store)
        goto fail;
    if (pthread_create(&w->thread, NULL, watch, w) != 0) {
        snprintf(err, errlen, "cannot start the model thread");
        goto fail;
    }
    return w;
fail:
    store_free(w->store);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return NULL;
}

void modelwatch_stop(struct modelwatch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    store_free(w->store);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void modelstore_metrics(struct buf *out)
{
    buf_printf(out,
               "# HELP jubao_model_version Version of the triage model in force (0: none).\n"
               "# TYPE jubao_model_version gauge\njubao_model_version %lld\n"
               "# HELP jubao_model_loads_total Triage models loaded from Redis and swapped in.\n"
               "# TYPE jubao_model_loads_total counter\njubao_model_loads_total %ld\n"
               "# HELP jubao_model_rejected_total Triage models in Redis that did not load "
               "(the one in force stayed).\n"
               "# TYPE jubao_model_rejected_total counter\njubao_model_rejected_total %ld\n",
               atomic_load(&in_force), atomic_load(&loads), atomic_load(&rejected));
}
