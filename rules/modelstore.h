/* modelstore — the triage model in Redis (redis/model.lua, "Triage models"; docs/RULES.md,
 * "The retraining loop"): one model in force under SCHEMA_MODEL, as the bytes of model_save
 * with a version that only grows. Every gateway and worker process keeps a model_live holder
 * in step with it: it looks at the version every model_poll seconds, and when the version is
 * not the one it holds, fetches the bytes, loads them and swaps the model in. A model that
 * does not load is logged and counted and the one in force stays; its version is remembered,
 * so that it is not fetched again until a newer one is installed.
 *
 * The counters (models loaded and rejected, the version in force) are the process's own, for
 * the gateway's /metrics.
 *
 * It sits in rules/ beside the model because both daemons use it and lib/ may not see the
 * model (docs/ARCHITECTURE.md); it reaches Redis only through lib/store.h.
 */
#ifndef JUBAO_MODELSTORE_H
#define JUBAO_MODELSTORE_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "model.h"
#include "store.h"

/* What goes with a model in Redis. */
struct modelstore_meta {
    const char *label;          /* model_label */
    const char *trained_at;     /* ISO time */
    long examples;              /* it was trained on */
    double holdout;             /* its score on the held-back slice (rules/learn.h) */
    long long decisions_at;     /* reviewers' decisions counted when it was trained */
};

/* Reads the version in force into *version (0: none). Returns 0, or -1 when Redis failed. */
int modelstore_version(struct store *st, long long *version);

/* Fetches and loads the model in force. Returns 0 with *out (NULL when none is stored) and
 * *version set; -1 when Redis failed; -2 when the stored bytes are not a model this build
 * loads or are over max_bytes (*version is then set, err says why). The caller frees *out. */
int modelstore_fetch(struct store *st, long max_bytes, struct model **out, long long *version,
                     char *err, size_t errlen);

/* Installs m (its model_save bytes and meta) as the next version, unless expect (the version
 * it was compared with, or NULL for any) is no longer the one in force or the training lock
 * is held by another token than lock (NULL: none). Returns 0 with *version the new one; 1
 * when another model came in first (*version: that one); -1 with err saying why (Redis, too
 * large, the lock). */
int modelstore_install(struct store *st, const struct model *m, const struct modelstore_meta *meta,
                       long max_bytes, const long long *expect, const char *lock,
                       long long *version, char *err, size_t errlen);

/* Brings live up to date with Redis: *have is the version it holds (0: none). Returns 1 when
 * a new model was swapped in, 0 when nothing changed (or a new version was rejected: logged,
 * counted, *have set to it), -1 when Redis failed. who names the process in the log. */
int modelstore_refresh(struct store *st, long max_bytes, struct model_live *live,
                       long long *have, const char *who);

/* A thread that calls modelstore_refresh on its own connection every model_poll seconds,
 * for the gateway. Returns NULL with err set when memory or threads ran out. stop accepts
 * NULL. live is borrowed and must outlive it. */
struct modelwatch;
struct modelwatch *modelwatch_start(const struct conf *conf, struct model_live *live, char *err,
                                    size_t errlen);
void modelwatch_stop(struct modelwatch *w);

/* Appends jubao_model_version, jubao_model_loads_total and jubao_model_rejected_total of this
 * process in Prometheus text format. */
void modelstore_metrics(struct buf *out);

#endif
