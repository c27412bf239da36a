/* global — where the global keys live: those that belong to no case (docs/SCALING.md, "What
 * is global, spread by its own key").
 *
 * With one shard (redis_shards = 1, the layout of before) every global key keeps the prefix
 * "jb:{0}:", so that a Redis written before needs nothing moved. With more, each owner of
 * global keys has a hash tag of its own, so that they spread over the slots of a cluster
 * instead of piling onto one, and every Function call still touches one slot:
 *
 *   {k:<16 hex of the key hash>}  a platform key: its record apikey:<hash>, its report and
 *                                 status buckets, idempotency records, proof-of-work and
 *                                 evidence counters (jb_admit, jb_rate, the feed's key check)
 *   {c:<b>}      an anonymous client (b: a keyed hash of its address, CRYPTO_CLIENT_SLOT, a
 *                key that does not change daily, mod GLOBAL_BUCKETS): its buckets (reports,
 *                status lookups, logins), idempotency records, proof-of-work and evidence
 *                counters. Today's and yesterday's pseudonyms of a client share the slot,
 *                and b links a client's days only to a 1024th of all clients.
 *   {n:<b>}      an API key's name (apikeyname:<name>), b from the name
 *   {r:<b>}      a reviewer (reviewer:<name>, logins:<name>) and the reviewer's sessions
 *                (session:<token hash>), b from the name. A session's token carries b in its
 *                first two characters (global_token_mark), so that the one call that
 *                resolves a token (jb_whoami) reads the session and the reviewer's record
 *                together, and a disabled reviewer's sessions stop at once.
 *   {h}          the handlers (handler:<name>) and every referral (redis/referrals.lua): one
 *                slot, because routing a case reads every handler that may take it in one
 *                call; referrals are few (one per actioned case and handler).
 *
 * The audit chain, the decisions' feeds, the day keys and the model stay under "jb:{0}:".
 * Pure functions, safe to share between threads.
 */
#ifndef JUBAO_GLOBAL_H
#define JUBAO_GLOBAL_H

#include <stdbool.h>

#include "crypto.h"
#include "shard.h"

#define GLOBAL_PREFIX_MAX 32    /* "jb:{k:0123456789abcdef}:" with its NUL, and room */
#define GLOBAL_BUCKETS 1024     /* the slots clients, names and reviewers spread over */

enum global_owner {
    GLOBAL_KEY,         /* id: a platform key's hash (hex) */
    GLOBAL_KEYNAME,     /* id: an API key's name */
    GLOBAL_REVIEWER,    /* id: a reviewer's name */
    GLOBAL_TOKEN,       /* id: a session token (its reviewer's bucket in its first two chars) */
    GLOBAL_HANDLERS,    /* id: unused (all handlers and referrals share one slot) */
};

/* The prefix of the keys of owner id in the layout of s. */
void global_prefix(const struct shards *s, enum global_owner owner, const char *id,
                   char out[GLOBAL_PREFIX_MAX]);

/* The prefix of the keys of the anonymous client at address addr in the layout of s. */
void global_client_prefix(const struct shards *s, const struct keys *k, const char *addr,
                          char out[GLOBAL_PREFIX_MAX]);

/* Writes the bucket of reviewer name into the first two characters of token (a session
 * token: CRYPTO_TOKEN_LEN - 1 characters of the lower-case Crockford alphabet), which keeps
 * all its other random characters. */
void global_token_mark(const char *name, char token[CRYPTO_TOKEN_LEN]);

#endif
