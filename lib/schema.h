/* schema — the names of jubao's Redis keys, in one place.
 *
 * SCHEMA_PREFIX, the hash tag {0}, is the prefix of the keys that are one sequence or few (the
 * audit chain, its stats, the feeds, the day keys, the model) and, with one shard, of every
 * key. With more, a case's keys carry its shard's tag (lib/shard.h) and the other global keys
 * their owner's (lib/global.h), so that all keys one Function call touches sit in one slot
 * (DESIGN.md). The Redis Functions (redis/) build keys from the prefix they are given.
 */
#ifndef JUBAO_SCHEMA_H
#define JUBAO_SCHEMA_H

#include <stdio.h>

#define SCHEMA_PREFIX "jb:{0}:"
#define SCHEMA_INTAKE SCHEMA_PREFIX "intake"
#define SCHEMA_STATS SCHEMA_PREFIX "stats"
#define SCHEMA_AUDIT SCHEMA_PREFIX "audit"
/* The triage model in force and its retraining (redis/model.lua, "Triage models"). */
#define SCHEMA_MODEL SCHEMA_PREFIX "model"
#define SCHEMA_MODEL_LOCK SCHEMA_PREFIX "model:lock"
#define SCHEMA_MODEL_RETRAIN SCHEMA_PREFIX "model:retrain"

/* ---- Shared with the Redis Functions (the Lua files of redis/) ----
 * Declared here only: redis/prelude.c writes each of these as a Lua constant at the top of
 * the Function library (SCHEMA_X becomes X), so that C and Lua never spell them twice. */
#define SCHEMA_GROUP_WORKERS "workers"      /* the intake stream's consumer group */
#define SCHEMA_GROUP_REVIEWERS "reviewers"  /* every review stream's consumer group */
#define SCHEMA_QUEUE_DEFAULT "default"      /* where the worker puts new cases */
#define SCHEMA_QUEUE_ESCALATED "escalated"  /* supervisors' queue (verdict escalate) */
#define SCHEMA_BANDS 4                      /* review bands: 3 first .. 0 last */
/* The counts at which a case's band rises (workers/route.c, route_band): jb_report asks the
 * worker to weigh a queued case again when its reports or distinct reporters reach them. */
#define SCHEMA_BAND_REPORTS 3
#define SCHEMA_BAND_REPORTERS 20
/* The categories that always get a reviewer's eyes first (band 3), and that never join a
 * case cleared as no_violation (comma-separated). */
#define SCHEMA_URGENT "minors,violence_terrorism"

/* Writes SCHEMA_PREFIX, kind, ':' and id into out (at most outlen bytes, NUL included). */
static inline void schema_key(char *out, size_t outlen, const char *kind, const char *id)
{
    snprintf(out, outlen, SCHEMA_PREFIX "%s:%s", kind, id);
}

#endif
