/* pwcheck — see pwcheck.h. */
#include "pwcheck.h"

#include <pthread.h>
#include <stdlib.h>

#include "crypto.h"
#include "metrics.h"

#define PWCHECK_THREADS_MAX 64

struct pwcheck {
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct pwcheck_task *first, *last;   /* waiting, oldest first */
    int places, taken;                   /* taken: reserved, waiting or in work */
    bool stop;
    int nthreads;
    pthread_t threads[PWCHECK_THREADS_MAX];
};

/* The next task, or NULL once the pool stops with none left. */
static struct pwcheck_task *pwcheck_take(struct pwcheck *p)
{
    pthread_mutex_lock(&p->lock);
    while (!p->first && !p->stop)
        pthread_cond_wait(&p->more, &p->lock);
    struct pwcheck_task *t = p->first;
    if (t && !(p->first = t->next))
        p->last = NULL;
    pthread_mutex_unlock(&p->lock);
    return t;
}

static void *pwcheck_main(void *arg)
{
    struct pwcheck *p = arg;
    struct pwcheck_task *t;
    while ((t = pwcheck_take(p))) {
        t->ok = crypto_password_verify(t->hash, t->password, t->len);
        metrics_add(M_PASSWORD_CHECKS, 1);
        /* the place is free before done: done may end the request, and with it the task */
        pwcheck_cancel(p);
        t->done(t, t->arg);
    }
    return NULL;
}

/* Stops and joins the threads started so far, and frees p. */
static void pwcheck_end(struct pwcheck *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->more);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

struct pwcheck *pwcheck_new(int threads, int queue)
{
    if (threads < 1 || threads > PWCHECK_THREADS_MAX || queue < 0)
        return NULL;
    struct pwcheck *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->places = threads + queue;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    for (; p->nthreads < threads; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, pwcheck_main, p) != 0) {
            pwcheck_end(p);
            return NULL;
        }
    return p;
}

void pwcheck_free(struct pwcheck *p)
{
    if (p)
        pwcheck_end(p);
}

bool pwcheck_reserve(struct pwcheck *p)
{
    pthread_mutex_lock(&p->lock);
    bool ok = p->taken < p->places;
    p->taken += ok;
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void pwcheck_cancel(struct pwcheck *p)
{
    pthread_mutex_lock(&p->lock);
    p->taken--;
    pthread_mutex_unlock(&p->lock);
}

void pwcheck_submit(struct pwcheck *p, struct pwcheck_task *task)
{
    task->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->last)
        p->last->next = task;
    else
        p->first = task;
    p->last = task;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->lock);
}
