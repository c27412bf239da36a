/* budget — see budget.h. The table of addresses is a fixed array scanned under a mutex: it
 * holds only addresses with a large body in flight, which the budget itself keeps to a few
 * thousand at most, and it is touched twice per large upload. */
#include "budget.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BUDGET_ADDRS 4096
#define BUDGET_ADDR_LEN 48

struct budget_addr {
    char addr[BUDGET_ADDR_LEN];
    int n;
};

struct budget {
    size_t total, large;
    int per_addr;
    atomic_size_t used;
    pthread_mutex_t lock;
    struct budget_addr addrs[BUDGET_ADDRS];
};

struct budget *budget_new(size_t total, size_t large, int per_addr)
{
    struct budget *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->total = total;
    b->large = large;
    b->per_addr = per_addr;
    pthread_mutex_init(&b->lock, NULL);
    return b;
}

void budget_free(struct budget *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* The slot of addr, or a free slot when addr has none (NULL when the table is full). Call
 * with the lock held. */
static struct budget_addr *slot_of(struct budget *b, const char *addr)
{
    struct budget_addr *free_slot = NULL;
    for (size_t i = 0; i < BUDGET_ADDRS; i++) {
        struct budget_addr *s = &b->addrs[i];
        if (s->n > 0 && strncmp(s->addr, addr, BUDGET_ADDR_LEN) == 0)
            return s;
        if (s->n == 0 && !free_slot)
            free_slot = s;
    }
    return free_slot;
}

enum budget_refusal budget_enter(struct budget *b, const char *addr)
{
    enum budget_refusal r = BUDGET_ADDRESS;
    pthread_mutex_lock(&b->lock);
    struct budget_addr *s = slot_of(b, addr);
    if (s && s->n < b->per_addr) {
        if (s->n == 0) {
            strncpy(s->addr, addr, BUDGET_ADDR_LEN - 1);
            s->addr[BUDGET_ADDR_LEN - 1] = '\0';
        }
        s->n++;
        r = BUDGET_OK;
    }
    pthread_mutex_unlock(&b->lock);
    return r;
}

void budget_leave(struct budget *b, const char *addr)
{
    pthread_mutex_lock(&b->lock);
    struct budget_addr *s = slot_of(b, addr);
    if (s && s->n > 0)
        s->n--;
    pthread_mutex_unlock(&b->lock);
}

enum budget_refusal budget_take(struct budget *b, size_t n, bool large)
{
    size_t cap = large ? b->total - b->total / 8 : b->total;
    size_t used = atomic_load(&b->used);
    do {
        if (n > cap || used > cap - n)
            return BUDGET_FULL;
    } while (!atomic_compare_exchange_weak(&b->used, &used, used + n));
    return BUDGET_OK;
}

void budget_give(struct budget *b, size_t n)
{
    atomic_fetch_sub(&b->used, n);
}

size_t budget_used(const struct budget *b)
{
    return atomic_load(&b->used);
}
