/* fcall_int — what fcall.c and fcall_review.c share: building an FCALL and reading the
 * positions of its reply. Internal to the fcall module. */
#ifndef JUBAO_FCALL_INT_H
#define JUBAO_FCALL_INT_H

#include "fcall.h"

/* Appends FCALL fn nkeys; the caller appends the keys, then the arguments. Returns 0 or -1. */
int fc_begin(struct store_job *job, const char *fn, int nkeys);
/* Appends the key SCHEMA_PREFIX kind:id. Returns 0 or -1. */
int fc_key(struct store_job *job, const char *kind, const char *id);
/* Appends the key prefix kind:id (prefix NULL: SCHEMA_PREFIX). Returns 0 or -1. */
int fc_pkey(struct store_job *job, const char *prefix, const char *kind, const char *id);
/* Appends prefix suffix (prefix NULL: SCHEMA_PREFIX), a shard's key. Returns 0 or -1. */
int fc_shardkey(struct store_job *job, const char *prefix, const char *suffix);
/* Appends s, or "" when s is NULL. Returns 0 or -1. */
int fc_str(struct store_job *job, const char *s);

/* The string at position i of an array reply ("" when absent or not a string). */
const char *fc_at(const struct store_reply *r, size_t i);
/* The number at position i of an array reply, written as a string or an integer (0 when
 * absent). */
long long fc_num(const struct store_reply *r, size_t i);

/* -1 with err set when r is an error reply (Redis' message) or NULL; else 0. */
int fc_check(const struct store_reply *r, char *err, size_t errlen);
/* Writes "unexpected reply to fn" into err and returns -1. */
int fc_shape(const char *fn, char *err, size_t errlen);
/* The answer word s (or FCALL_OTHER). */
enum fcall_answer fc_word(const char *s);
/* The answer word of a reply that is one string (or FCALL_OTHER). */
enum fcall_answer fc_reply_word(const struct store_reply *r);
/* Reads an answer that is an array whose first element is the answer word: *a set, and 0
 * when it is want[i] and the array has at least min[i] elements (1 when min is NULL); else
 * -1 with err set and *a FCALL_OTHER. want ends with FCALL_OTHER. */
int fc_answer(const struct store_reply *r, const char *fn, const enum fcall_answer *want,
              const size_t *min, enum fcall_answer *a, char *err, size_t errlen);

/* Runs job (NULL: out of memory), whose one command was built with result built (0 or -1),
 * and returns its reply, or NULL with err set. The caller frees the job. */
const struct store_reply *fc_run1(struct store *st, struct store_job *job, int built,
                                  char *err, size_t errlen);

struct fcall_audit_rec;
/* Reads the audit record (redis/review.lua, audit_record) at position i of r into rec.
 * Returns the position after it, or 0 when r is too short for it. */
size_t fc_audit_rec_at(const struct store_reply *r, size_t i, struct fcall_audit_rec *rec);

#endif
