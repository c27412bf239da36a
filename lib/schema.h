/* schema — the names of jubao's Redis keys, in one place.
 *
 * Every key carries the hash tag {0}, so that all keys one Function call touches sit in one
 * slot (DESIGN.md). lib/functions.lua builds case keys from the same prefix.
 */
#ifndef JUBAO_SCHEMA_H
#define JUBAO_SCHEMA_H

#include <stdio.h>

#define SCHEMA_PREFIX "jb:{0}:"
#define SCHEMA_INTAKE SCHEMA_PREFIX "intake"
#define SCHEMA_STATS SCHEMA_PREFIX "stats"
#define SCHEMA_AUDIT SCHEMA_PREFIX "audit"
/* The triage model in force and its retraining (lib/functions.lua, "Triage models"). */
#define SCHEMA_MODEL SCHEMA_PREFIX "model"
#define SCHEMA_MODEL_LOCK SCHEMA_PREFIX "model:lock"
#define SCHEMA_MODEL_RETRAIN SCHEMA_PREFIX "model:retrain"

/* Writes SCHEMA_PREFIX, kind, ':' and id into out (at most outlen bytes, NUL included). */
static inline void schema_key(char *out, size_t outlen, const char *kind, const char *id)
{
    snprintf(out, outlen, SCHEMA_PREFIX "%s:%s", kind, id);
}

#endif
