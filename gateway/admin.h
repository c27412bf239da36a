/* admin — the parts of jubao-admin that live in files of their own (admin.c holds the
 * dispatch and the small commands). Each takes the arguments after its name and returns the
 * exit status; usage errors return 2.
 *
 *   admin_model.c   model show | train | eval   the triage model in Redis (docs/RULES.md)
 *   admin_migrate.c migrate [--shards N]       the unsharded layout to N shards (SCALING.md),
 *   admin_migrate_global.c                     and the global keys to their owners' slots
 *   admin_accounts.c apikey create|revoke NAME  a platform's API key, in steps it can repeat
 *   admin_handlers.c handler add|list|disable   the handlers referrals go to (API.md)
 */
#ifndef JUBAO_ADMIN_H
#define JUBAO_ADMIN_H

#include <stdbool.h>

#include "conf.h"
#include "crypto.h"
#include "shard.h"
#include "store.h"

int admin_model(const struct conf *c, int argc, char **argv);
int admin_migrate(const struct conf *c, int argc, char **argv);
/* admin_migrate_global.c: moves the global keys of the unsharded layout to their owners'
 * slots in sh's layout (more than one shard), counting them in *moved. Returns 0 or -1. */
int admin_migrate_global(struct store *st, const struct shards *sh, long *moved);
/* verb "create" or "revoke", name valid; st connected. */
int admin_apikey(const struct conf *c, struct store *st, const struct keys *keys,
                 const char *verb, const char *name);

/* Writes the key record of hash (a new key of name): a platform's key when report, a key that
 * pulls handler's referrals when handler is not NULL (both: both). Returns 0, or -1
 * (printed). */
int admin_apikey_put(struct store *st, const struct shards *sh, const char *name,
                     const char *hash, const char *iso, const char *handler, bool report);
/* Whether name has a live platform key: 1, 0, or -1 (redis failed, printed). */
int admin_apikey_live(struct store *st, const struct shards *sh, const char *name);
/* Makes hash name's platform key (and handler's too, when not NULL): 0 done, 1 the name has a
 * live key, -1 redis failed (printed). */
int admin_apikey_create(struct store *st, const struct shards *sh, const char *name,
                        const char *hash, const char *iso, const char *handler);
/* admin_handlers.c: handler add|list|disable (argv after "handler"); st connected. */
int admin_handler(const struct conf *c, struct store *st, const struct keys *keys, int argc,
                  char **argv);
/* The layout of the data in st, as a gateway would start with it (shards_start_check): the
 * number kept in Redis, else c's redis_shards when set, else 1 for data of the unsharded
 * layout or the default for a Redis without data (then kept). NULL (why on stderr) when Redis
 * did not answer or the data refuses c's redis_shards. */
struct shards *admin_layout(const struct conf *c, struct store *st);

#endif
