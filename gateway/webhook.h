/* webhook — the thread that pushes referrals to their handlers' webhooks (docs/API.md,
 * "Webhooks"; redis/hooks.lua keeps what is due).
 *
 * It claims one due delivery at a time under a lease (jb_hook_claim), POSTs it (hookpost.h)
 * signed with the handler's secret (crypto_webhook_secret) and reports the result
 * (jb_hook_result): a 2xx is sent; anything else is tried again after 1, 2, 4 ... seconds,
 * WEBHOOK_TRIES times in all, then given up. Its own thread, so a slow receiver never holds up
 * intake, review or the auditor. Neither the secret nor the body is logged.
 */
#ifndef JUBAO_WEBHOOK_H
#define JUBAO_WEBHOOK_H

#include "shard.h"
#include "store.h"

#define WEBHOOK_TRIES 8             /* tries of one delivery: over about two minutes */

struct webhook;
struct keys;

/* Starts the thread. Returns NULL when out of memory or threads (or libcurl failed). Free
 * stops it within about a second, cancelling a POST in flight (a failed try: it is sent again
 * later, by any gateway); accepts NULL. */
struct webhook *webhook_new(struct store *store, const struct keys *keys,
                            const struct shards *shards);
void webhook_free(struct webhook *w);

#endif
