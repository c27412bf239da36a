/* admin — the parts of jubao-admin that live in files of their own (admin.c holds the
 * dispatch and the small commands). Each takes the arguments after its name and returns the
 * exit status; usage errors return 2.
 *
 *   admin_model.c   model show | train | eval   the triage model in Redis (docs/RULES.md)
 *   admin_migrate.c migrate [--shards N]       the unsharded layout to N shards (SCALING.md)
 */
#ifndef JUBAO_ADMIN_H
#define JUBAO_ADMIN_H

#include "conf.h"

int admin_model(const struct conf *c, int argc, char **argv);
int admin_migrate(const struct conf *c, int argc, char **argv);

#endif
