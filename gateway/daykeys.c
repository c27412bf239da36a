/* daykeys — see daykeys.h. */
#include "daykeys.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crypto.h"
#include "log.h"
#include "schema.h"
#include "store.h"

#define DAYKEYS_REFRESH 60  /* seconds between refreshes */
#define DAYKEYS_LIFE 172800 /* seconds from the start of its day until Redis deletes a key */

struct daykeys {
    struct store *store;
    const struct keys *keys;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

/* One round trip: makes today's and tomorrow's keys where none exists yet, then reads the
 * three days' keys and installs them. Returns 0, or -1 when Redis did not answer. */
static int refresh(struct daykeys *d)
{
    time_t now = time(NULL);
    long today = (long)(now / 86400);
    struct store_job *job = store_job_new(NULL, NULL);
    char key[3][96], name[48], id[17];
    crypto_daykey_id(d->keys, id);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s:%ld", id, today - 1 + i);
        schema_key(key[i], sizeof key[i], "daykey", name);
    }
    bool oom = !job;
    for (int i = 1; i < 3 && !oom; i++) {
        char *box = crypto_daykey_new(d->keys);
        long long ttl = (long long)(today - 1 + i) * 86400 + DAYKEYS_LIFE - (long long)now;
        const char *argv[] = {"SET", key[i], box ? box : "", "NX", "EX"};
        oom = !box || store_job_commandv(job, argv, 5) < 0 || store_job_argll(job, ttl) < 0;
        free(box);
    }
    for (int i = 0; i < 3 && !oom; i++) {
        const char *argv[] = {"GET", key[i]};
        oom = store_job_commandv(job, argv, 2) < 0;
    }
    int rc = oom ? -1 : store_run(d->store, job);
    for (int i = 0; i < 3 && rc == 0; i++) {
        const struct store_reply *r = store_job_reply(job, 2 + i);
        if (store_reply_type(r) == STORE_STR &&
            crypto_daykey_install(d->keys, today - 1 + i, store_reply_str(r, NULL)) < 0)
            log_error("pseudonym key of day %ld in Redis is not ours (another master.key?)",
                      today - 1 + i);
        else if (i > 0 && store_reply_type(r) != STORE_STR)
            rc = -1;
    }
    crypto_daykey_forget(d->keys, today - 1);
    store_job_free(job);
    return rc;
}

static void *run(void *arg)
{
    struct daykeys *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        pthread_mutex_unlock(&d->lock);
        int rc = refresh(d);
        pthread_mutex_lock(&d->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += rc == 0 ? DAYKEYS_REFRESH : 1;
        if (!d->stopping)
            pthread_cond_timedwait(&d->wake, &d->lock, &until);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

struct daykeys *daykeys_start(struct store *st, const struct keys *k, char *err,
                              size_t errlen)
{
    struct daykeys *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->store = st;
    d->keys = k;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    if (pthread_create(&d->thread, NULL, run, d) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    return d;
}

void daykeys_stop(struct daykeys *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}
