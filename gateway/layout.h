/* layout — the gateway's table of shards (lib/shard.h) and the threads that work over it: the
 * auditor and the webhook deliveries.
 *
 * The number of shards comes from Redis when redis_shards is not set: jb:meta's, or the
 * unsharded layout's one, or 16 for a Redis without data. A gateway that starts before its
 * Redis answers cannot know it yet, and still starts (/healthz, the pages): the first request
 * that needs the data asks Redis then, and until Redis answered it gets 503 with Retry-After,
 * as every request does while Redis is away. The table is made once and never changes.
 */
#ifndef JUBAO_LAYOUT_H
#define JUBAO_LAYOUT_H

#include <stdbool.h>

struct api;

/* Makes the table of n shards and starts the auditor and the webhook thread (n = 0: not known
 * yet; later, at the first layout_ready). Returns 0, or -1 when memory ran out (or threads). */
int layout_start(struct api *api, long n);

/* True when the table is there (asking Redis for the number first when it is not); false
 * when Redis did not answer (the caller answers 503). Only the first requests after a start
 * without Redis wait for that round trip; one asks at a time, the others are answered 503
 * meanwhile. */
bool layout_ready(struct api *api);

/* Stops the threads and frees the table. */
void layout_stop(struct api *api);

#endif
