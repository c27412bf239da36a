/* admin — the parts of jubao-admin that live in files of their own (admin.c holds the
 * dispatch and the small commands). Each takes the arguments after its name and returns the
 * exit status; usage errors return 2.
 *
 *   admin_model.c   model show | train | eval   the triage model in Redis (docs/RULES.md)
 */
#ifndef JUBAO_ADMIN_H
#define JUBAO_ADMIN_H

#include "conf.h"

int admin_model(const struct conf *c, int argc, char **argv);

#endif
