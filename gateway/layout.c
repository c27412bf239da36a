/* layout — see layout.h. */
#include "layout.h"

#include "auditor.h"
#include "call.h"
#include "log.h"
#include "shard.h"
#include "webhook.h"

int layout_start(struct api *api, long n)
{
    if (n == 0)
        return 0;
    api->shards = shards_new((unsigned)n);
    api->auditor = api->shards ? auditor_new(api->store, api->conf, api->keys, api->shards) : NULL;
    api->webhook = api->auditor ? webhook_new(api->store, api->keys, api->shards) : NULL;
    if (!api->webhook)
        return -1;
    atomic_store_explicit(&api->layout_known, true, memory_order_release);
    return 0;
}

/* Asks Redis for the number (lib/shard.h); false when it did not answer or refused. */
static bool layout_learn(struct api *api)
{
    char err[256];
    long n = 0;
    int rc = shards_start_check(api->store, api->conf->redis_shards, &n, err, sizeof err);
    if (rc == -2)
        log_error("%s", err);   /* the data refuses the configured number: nothing to do */
    if (rc < 0)
        return false;
    if (layout_start(api, n) < 0) {
        log_error("out of memory");
        return false;
    }
    log_info("redis answers: %ld shards", n);
    return true;
}

bool layout_ready(struct api *api)
{
    if (atomic_load_explicit(&api->layout_known, memory_order_acquire))
        return true;
    bool known = false;
    if (pthread_mutex_trylock(&api->layout_lock) == 0) {
        known = atomic_load_explicit(&api->layout_known, memory_order_acquire) ||
                layout_learn(api);
        pthread_mutex_unlock(&api->layout_lock);
    }
    return known;
}

void layout_stop(struct api *api)
{
    webhook_free(api->webhook);
    auditor_free(api->auditor);
    shards_free(api->shards);
}
