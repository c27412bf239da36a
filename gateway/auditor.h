/* auditor — the thread that writes this gateway's decisions to the audit chain, one at a time.
 *
 * The audit hash is made here, where the key is, over the hash of the entry before it:
 * the auditor hashes each decision on the chain's head as it left it and calls jb_decide,
 * which writes only when the head has not moved; when another gateway's decision got in
 * first, it answers the new head and the auditor hashes again. One writer per gateway keeps
 * such retries to the few that several gateways cause.
 */
#ifndef JUBAO_AUDITOR_H
#define JUBAO_AUDITOR_H

#include "store.h"

struct auditor;
struct keys;

/* One decision to write, made and owned by its caller (decision.c) until done is called. */
struct audit_task {
    const char *prefix;     /* the key prefix of the case's shard (lib/shard.h) */
    const char *case_id, *verdict, *category, *note, *user;
    char at[32];            /* the decision's time (ISO 8601), set by the auditor */
    /* The last jb_decide job, replaced and left there by the auditor for the caller to read
     * (a failed job when Redis failed; NULL when memory ran out). */
    struct store_job **job;
    void (*done)(void *arg);    /* called on the auditor's thread once written (or not) */
    void *arg;
    struct audit_task *next;    /* in the auditor's queue */
};

/* Starts the thread. Returns NULL when out of memory or threads; free stops it after the
 * decisions queued. Accepts NULL. */
struct auditor *auditor_new(struct store *store, const struct keys *keys);
void auditor_free(struct auditor *a);

/* Queues t for the thread. */
void auditor_push(struct auditor *a, struct audit_task *t);

#endif
