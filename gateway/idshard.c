/* idshard — see idshard.h. */
#include "idshard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIAS_KEY_MAX (SHARD_PREFIX_MAX + 3 + PATH_ID_MAX)

const char *idshard_named(const struct shards *s, const char *id)
{
    int i = shards_of_id(s, id);
    return shards_prefix(s, i < 0 ? 0 : (unsigned)i);
}

bool idshard_may_move(const struct shards *s)
{
    return shards_count(s) > 1;
}

int idshard_alias_send(struct call *call, struct http_req *req, const char *id)
{
    char key[ALIAS_KEY_MAX];
    snprintf(key, sizeof key, "%sat:%s", idshard_named(call->api->shards, id), id);
    const char *get[] = {"GET", key};
    if (call_job_begin(call, req, get, 2) < 0)
        return -1;
    call_job_send(call, req);
    return 0;
}

const char *idshard_alias_prefix(const struct shards *s, const char *id,
                                 const struct store_reply *r)
{
    size_t len;
    const char *v = store_reply_type(r) == STORE_STR ? store_reply_str(r, &len) : NULL;
    if (!v || len == 0 || len > 5 || strspn(v, "0123456789") != len)
        return NULL;
    unsigned i = (unsigned)strtoul(v, NULL, 10);
    if (i >= shards_count(s) || (int)i == shards_of_id(s, id))
        return NULL;
    return shards_prefix(s, i);
}
