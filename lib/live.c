/* live — see live.h. Each object in the holder has a node with its reference count: the
 * current one (which holds one reference of its own) and the replaced ones that requests still
 * use. The list is short (one node, two during a swap), so release finds its node by a walk. */
#include "live.h"

#include <pthread.h>
#include <stdlib.h>

struct live_node {
    void *obj;
    unsigned long refs;
    struct live_node *next;
};

struct live {
    pthread_mutex_t mu;
    struct live_node *cur;      /* NULL when no object is in force */
    struct live_node *old;      /* replaced objects still in use */
    void (*free_obj)(void *);
};

static struct live_node *node_new(void *obj)
{
    struct live_node *n = malloc(sizeof *n);
    if (n)
        *n = (struct live_node){obj, 1, NULL};
    return n;
}

struct live *live_new(void *obj, void (*free_obj)(void *))
{
    struct live *l = malloc(sizeof *l);
    if (!l)
        goto fail;
    *l = (struct live){.free_obj = free_obj};
    if (obj && !(l->cur = node_new(obj)))
        goto fail;
    if (pthread_mutex_init(&l->mu, NULL) != 0)
        goto fail;
    return l;
fail:
    if (l)
        free(l->cur);
    free(l);
    if (obj)
        free_obj(obj);
    return NULL;
}

void *live_acquire(struct live *l)
{
    pthread_mutex_lock(&l->mu);
    void *obj = NULL;
    if (l->cur) {
        l->cur->refs++;
        obj = l->cur->obj;
    }
    pthread_mutex_unlock(&l->mu);
    return obj;
}

/* Drops one reference of node n (the caller holds the mutex); returns the object to free
 * when that was the last one, having unlinked n from the old list. */
static void *node_drop(struct live *l, struct live_node *n)
{
    if (--n->refs > 0)
        return NULL;
    for (struct live_node **p = &l->old; *p; p = &(*p)->next)
        if (*p == n) {
            *p = n->next;
            break;
        }
    if (l->cur == n)
        l->cur = NULL;
    void *obj = n->obj;
    free(n);
    return obj;
}

void live_release(struct live *l, const void *obj)
{
    if (!obj)
        return;
    void *dead = NULL;
    pthread_mutex_lock(&l->mu);
    struct live_node *n = l->cur && l->cur->obj == obj ? l->cur : l->old;
    while (n && n->obj != obj)
        n = n->next;
    if (n)
        dead = node_drop(l, n);
    pthread_mutex_unlock(&l->mu);
    if (dead)
        l->free_obj(dead);
}

int live_swap(struct live *l, void *obj)
{
    struct live_node *n = NULL;
    if (obj && !(n = node_new(obj))) {
        l->free_obj(obj);
        return -1;
    }
    void *dead = NULL;
    pthread_mutex_lock(&l->mu);
    struct live_node *prev = l->cur;
    l->cur = n;
    if (prev) {
        prev->next = l->old;
        l->old = prev;
        dead = node_drop(l, prev);  /* the holder's own reference */
    }
    pthread_mutex_unlock(&l->mu);
    if (dead)
        l->free_obj(dead);
    return 0;
}

void live_free(struct live *l)
{
    if (!l)
        return;
    live_swap(l, NULL);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
