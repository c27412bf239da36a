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

/* Writes SCHEMA_PREFIX, kind, ':' and id into out (at most outlen bytes, NUL included). */
static inline void schema_key(char *out, size_t outlen, const char *kind, const char *id)
{
    snprintf(out, outlen, SCHEMA_PREFIX "%s:%s", kind, id);
}

#endif
