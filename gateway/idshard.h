/* idshard — the shard of a report or a case looked up by its id (lib/shard.h). New ids name
 * their shard; an id issued before the sharded layout names a shard that holds only its alias
 * "at:<id>" (written by `jubao-admin migrate`, holding the number of the shard the report or
 * case moved to). So a lookup tries the shard the id names first and reads the alias only when
 * that shard has no such report or case: one extra command, only for ids from before the move,
 * and every command on one slot.
 */
#ifndef JUBAO_IDSHARD_H
#define JUBAO_IDSHARD_H

#include "call.h"
#include "shard.h"

/* The key prefix of the shard id names (shard 0's for an id that names none). */
const char *idshard_named(const struct shards *s, const char *id);

/* Whether a miss in the named shard may be an id from before the move: with one shard there
 * is nowhere else to look. */
bool idshard_may_move(const struct shards *s);

/* Starts the call's job anew with the GET of id's alias in the shard id names and suspends
 * the request. Returns 0, or -1 having answered 503. */
int idshard_alias_send(struct call *call, struct http_req *req, const char *id);

/* The key prefix of the shard the alias reply r names, or NULL when there is no alias (or it
 * names the id's own shard, already looked in, or no shard of this layout). */
const char *idshard_alias_prefix(const struct shards *s, const char *id,
                                 const struct store_reply *r);

#endif
