/* webhook — see webhook.h. */
#include "webhook.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "crypto.h"
#include "fcall_referrals.h"
#include "global.h"
#include "hookpost.h"
#include "log.h"
#include "referral.h"

#define WEBHOOK_POLL_MS 500         /* how often an idle thread asks what is due */
#define WEBHOOK_BACKOFF_MS 1000LL   /* before the second try; doubled for each after */
/* A claim outlives the longest POST, so a live gateway never loses one it is sending. */
#define WEBHOOK_LEASE_MS (HOOKPOST_TOTAL_MS + 5000L)

struct webhook {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stop;               /* also read by hookpost_send, to cancel a POST */
    struct store *store;
    const struct keys *keys;
    char hp[GLOBAL_PREFIX_MAX];     /* the handlers' prefix */
};

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs job's one command (built: 0 or -1). Returns its reply, or NULL (the job failed). */
static const struct store_reply *run(struct webhook *w, struct store_job *job, int built)
{
    if (!job || built < 0 || store_run(w->store, job) < 0 || store_job_ok(job) < 0)
        return NULL;
    return store_job_reply(job, 0);
}

/* Signs body as "<timestamp>.<body>" under the handler's secret into the headers. Returns 0,
 * or -1 when memory ran out. */
static int sign(struct webhook *w, const struct fcall_hook_out *h, const struct buf *body,
                char ts_h[48], char sig_h[CRYPTO_HEX_LEN + 32])
{
    char secret[CRYPTO_HEX_LEN], ts[24], sig[CRYPTO_HEX_LEN];
    struct buf m = {0};
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    buf_puts(&m, ts);
    buf_puts(&m, ".");
    buf_add(&m, body->p, body->len);
    if (m.oom) {
        buf_free(&m);
        return -1;
    }
    crypto_webhook_secret(w->keys, h->handler, h->created_at, secret);
    crypto_hmac_sha256_hex(secret, strlen(secret), m.p, m.len, sig);
    explicit_bzero(secret, sizeof secret);
    buf_free(&m);
    snprintf(ts_h, 48, "X-Jubao-Timestamp: %s", ts);
    snprintf(sig_h, CRYPTO_HEX_LEN + 32, "X-Jubao-Signature: v1=%s", sig);
    return 0;
}

/* POSTs the claimed delivery h (r: its claim's reply). Returns true when the receiver
 * answered 2xx. */
static bool post(struct webhook *w, const struct fcall_hook_out *h, const struct store_reply *r)
{
    bool overdue = h->member[0] == 'd';
    const char *event = overdue ? "overdue" : "referral";
    struct buf body = {0};
    char ts_h[48], sig_h[CRYPTO_HEX_LEN + 32], ev_h[48], err[256] = "";
    referral_render(&body, &h->ref, r, event);
    int status = -1;
    if (body.oom || sign(w, h, &body, ts_h, sig_h) < 0) {
        snprintf(err, sizeof err, "out of memory");
    } else {
        snprintf(ev_h, sizeof ev_h, "X-Jubao-Event: %s", event);
        const char *headers[] = {ts_h, sig_h, ev_h};
        status = hookpost_send(h->webhook, headers, 3, body.p, body.len, &w->stop, err,
                               sizeof err);
    }
    buf_free(&body);
    bool sent = status >= 200 && status < 300;
    if (!sent && status >= 0)
        snprintf(err, sizeof err, "answered HTTP %d", status);
    if (!sent)
        log_warn("webhook: handler %s, referral %s (%s), try %lld of %d: %s", h->handler,
                 h->ref.referral, event, h->tries, WEBHOOK_TRIES, err);
    return sent;
}

/* Delivers the earliest due one, if any. Returns true when there was one. */
static bool deliver_one(struct webhook *w)
{
    struct store_job *j = store_job_new(NULL, NULL);
    const struct store_reply *r =
        run(w, j, j ? fcall_hook_claim(j, w->hp, wall_ms(), WEBHOOK_LEASE_MS) : -1);
    struct fcall_hook_out h;
    char err[256] = "";
    bool got = r && fcall_hook_claim_reply(r, &h, err, sizeof err) == 0 && h.answer == FCALL_OK;
    if (err[0])
        log_warn("webhook: %s", err);
    if (got) {
        bool sent = post(w, &h, r);
        long long again = -1;
        if (!sent && h.tries < WEBHOOK_TRIES)
            again = wall_ms() + (WEBHOOK_BACKOFF_MS << (h.tries - 1));
        else if (!sent)
            log_warn("webhook: handler %s, referral %s: given up", h.handler, h.ref.referral);
        struct store_job *rj = store_job_new(NULL, NULL);
        if (!run(w, rj, rj ? fcall_hook_result(rj, w->hp, &h, sent, again) : -1))
            log_warn("webhook: redis did not take a result (the lease ends, it is sent again)");
        store_job_free(rj);
    }
    store_job_free(j);
    return got;
}

static void *webhook_main(void *arg)
{
    struct webhook *w = arg;
    for (;;) {
        bool more = deliver_one(w);
        pthread_mutex_lock(&w->lock);
        if (!more && !atomic_load(&w->stop)) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += WEBHOOK_POLL_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&w->wake, &w->lock, &until);
        }
        bool stop = atomic_load(&w->stop);
        pthread_mutex_unlock(&w->lock);
        if (stop)
            return NULL;
    }
}

struct webhook *webhook_new(struct store *store, const struct keys *keys,
                            const struct shards *shards)
{
    if (hookpost_init() < 0)
        return NULL;
    struct webhook *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->store = store;
    w->keys = keys;
    global_prefix(shards, GLOBAL_HANDLERS, "", w->hp);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, webhook_main, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

void webhook_free(struct webhook *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    atomic_store(&w->stop, true);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
