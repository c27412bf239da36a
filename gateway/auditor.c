/* auditor — see auditor.h. */
#include "auditor.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "crypto.h"
#include "fcall_review.h"
#include "isotime.h"
#include "metrics.h"

#define AUDIT_TRIES 20             /* hashing again when other decisions got in first */

struct auditor {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct audit_task *first, *last;  /* decisions waiting, oldest first */
    bool stop;
    char head[96];              /* the chain's head as last seen: "seq hash", "" at first */
    struct store *store;
    const struct keys *keys;
};

/* Writes one decision: hashes its audit entry on a->head and calls jb_decide, again on the
 * new head when another gateway moved it. Leaves the last job in *t->job for the caller (a
 * failed job when Redis failed). */
static void audit_commit(struct auditor *a, struct audit_task *t)
{
    isotime_format(time(NULL), t->at);
    for (int tries = 0; tries < AUDIT_TRIES; tries++) {
        char seq[24], hash[CRYPTO_HEX_LEN], head[96];
        snprintf(head, sizeof head, "%s", a->head);
        const char *prev = strchr(head, ' ');
        snprintf(seq, sizeof seq, "%lld", atoll(head) + 1);
        struct audit_entry e = {.seq = atoll(head) + 1, .prev = prev ? prev + 1 : "",
                                .at = t->at, .case_id = t->case_id, .verdict = t->verdict,
                                .category = t->category, .reviewer = t->user, .note = t->note};
        store_job_free(*t->job);
        *t->job = store_job_new(NULL, NULL);
        if (!*t->job || audit_hash(a->keys, &e, hash) < 0)
            return;
        struct fcall_decide_in in = {t->prefix, t->case_id, e.verdict, e.category, e.note,
                                     t->at, head, seq, hash, t->user};
        struct fcall_decide_out out;
        char err[256];
        if (fcall_decide(*t->job, &in) < 0 || store_run(a->store, *t->job) < 0 ||
            fcall_decide_reply(store_job_reply(*t->job, 0), &out, err, sizeof err) < 0)
            return;
        if (out.answer == FCALL_OK)
            snprintf(a->head, sizeof a->head, "%s %s", seq, hash);
        if (out.answer != FCALL_RETRY)
            return;
        metrics_add(M_AUDIT_RETRIES, 1);
        snprintf(a->head, sizeof a->head, "%s", out.head);
    }
}

static void *auditor_main(void *arg)
{
    struct auditor *a = arg;
    for (;;) {
        pthread_mutex_lock(&a->lock);
        while (!a->first && !a->stop)
            pthread_cond_wait(&a->more, &a->lock);
        struct audit_task *t = a->first;
        if (t && !(a->first = t->next))
            a->last = NULL;
        pthread_mutex_unlock(&a->lock);
        if (!t)
            return NULL;
        audit_commit(a, t);
        t->done(t->arg);
    }
}

struct auditor *auditor_new(struct store *store, const struct keys *keys)
{
    struct auditor *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->store = store;
    a->keys = keys;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->more, NULL);
    if (pthread_create(&a->thread, NULL, auditor_main, a) != 0) {
        pthread_cond_destroy(&a->more);
        pthread_mutex_destroy(&a->lock);
        free(a);
        return NULL;
    }
    return a;
}

void auditor_free(struct auditor *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    a->stop = true;
    pthread_cond_signal(&a->more);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->more);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

void auditor_push(struct auditor *a, struct audit_task *t)
{
    t->next = NULL;
    pthread_mutex_lock(&a->lock);
    if (a->last)
        a->last->next = t;
    else
        a->first = t;
    a->last = t;
    pthread_cond_signal(&a->more);
    pthread_mutex_unlock(&a->lock);
}

