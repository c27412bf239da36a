/* audit — the hash chain of the decisions' audit stream.
 *
 * Each entry carries the keyed hash (BLAKE2b under a key derived from the master key, purpose
 * CRYPTO_AUDIT) of its own fields and of the hash of the entry before it. Someone who can write
 * to Redis but does not hold the key can neither change, drop nor insert an entry without
 * breaking the chain; the gateway makes the hashes, `jubao-admin audit verify` checks them.
 */
#ifndef JUBAO_AUDIT_H
#define JUBAO_AUDIT_H

#include "crypto.h"

struct audit_entry {
    long long seq;          /* 1, 2, 3, ... */
    const char *prev;       /* the hash of entry seq - 1, "" for the first */
    const char *at;         /* ISO time of the decision */
    const char *case_id, *verdict, *category, *reviewer, *note;
};

/* Writes the hash of e as hex into out. Returns 0, or -1 when memory ran out. */
int audit_hash(const struct keys *k, const struct audit_entry *e, char out[CRYPTO_HEX_LEN]);

#endif
