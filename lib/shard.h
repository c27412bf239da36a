/* shard — where a case and everything that belongs to it lives: one of a fixed number of
 * shards (redis_shards, fixed when the data is created), each a hash tag and so one slot of a
 * Redis Cluster (docs/SCALING.md, "The sharded layout").
 *
 * The shard of a new case comes from its URL hash, so that every gateway finds a URL's open
 * case without asking Redis. A report's and a case's id name their shard: the 60 bits of the
 * id's twelve base32 characters, mod the number of shards. New ids are drawn so (shard_id_new),
 * and an id from before the sharded layout, whose number says nothing, is found through the
 * alias ("at:<id>", holding the shard's number) that `jubao-admin migrate` leaves in the shard
 * its number names.
 *
 * One shard (redis_shards = 1) is the layout before sharding: tag "0", every key "jb:{0}:...".
 * The number of shards is kept in Redis (SHARD_META) and a program refuses to run with another
 * (shard_check). Pure functions over an immutable table, safe to share between threads.
 */
#ifndef JUBAO_SHARD_H
#define JUBAO_SHARD_H

#include <stddef.h>

#include "store.h"

#define SHARD_META "jb:meta"        /* hash: shards, the layout's number of shards */
#define SHARD_PREFIX_MAX 24         /* "jb:{s12345}:" with its NUL, and room */
#define SHARDS_DEFAULT 16           /* of new data, when redis_shards is not set */
#define SHARDS_UNSET 0              /* redis_shards not set (lib/conf.c's default) */
#define SHARD_ID_LEN 17             /* "R-XXXX-XXXX-XXXX", NUL included (crypto.h) */

struct shards;

/* The table of n shards (1..CLUSTER_SHARDS_MAX, lib/cluster.h) and their key prefixes.
 * Returns NULL when n is out of range or memory ran out. */
struct shards *shards_new(unsigned n);
void shards_free(struct shards *s);
unsigned shards_count(const struct shards *s);

/* The key prefix of shard i ("jb:{<tag>}:"), or NULL when i is out of range. */
const char *shards_prefix(const struct shards *s, unsigned i);

/* The shard of a case whose URL hash (hex, crypto_digest) is hex: its first 8 hex digits mod
 * the number of shards (0 when hex is not hex). */
unsigned shards_of_url(const struct shards *s, const char *hex);

/* The shard an id ("X-XXXX-XXXX-XXXX", Crockford base32) names, or -1 when it is not such an
 * id. For an id from before the sharded layout it is where its alias is. */
int shards_of_id(const struct shards *s, const char *id);

/* A fresh random id with prefix letter p ('R', 'C') whose number names shard i: the random
 * number's residue mod n replaced by i (so it keeps all but log2(n) of its 60 random bits). */
void shards_id_new(const struct shards *s, char p, unsigned i, char out[SHARD_ID_LEN]);

/* The number of shards kept in Redis into *kept (0: none). Returns 0 or -1 with err set. */
int shards_kept(struct store *st, long *kept, char *err, size_t errlen);

/* Compares the number of shards kept in Redis with s's: when none is kept, keeps s's if the
 * Redis holds no data of the unsharded layout (or s has one shard: that layout is one shard).
 * Returns 0; -1 with the reason in err when Redis did not answer or answered an error; -2 with
 * the reason when the data refuses s (another number kept, or unsharded data to migrate first). */
int shards_check(struct store *st, const struct shards *s, char *err, size_t errlen);

/* What a program does at its start with redis_shards = n. n set (1..): shards_check; with
 * one shard (the layout every program used before) a Redis that does not answer yet (or is
 * still loading) is no reason to stop, as before: only another number kept in Redis is.
 * n = SHARDS_UNSET (redis_shards not set, lib/conf.h): the data's own number (jb:meta's), or 1
 * for data of the unsharded layout without jb:meta (logged once, with the hint to migrate), or
 * SHARDS_DEFAULT for a Redis without data, then kept as with a set n. Returns 0 with the number
 * to run with in *out; -1 with the reason in err when Redis did not answer (only the caller
 * knows whether to wait); -2 with the reason when the data refuses n. */
int shards_start_check(struct store *st, long n, long *out, char *err, size_t errlen);

#endif
