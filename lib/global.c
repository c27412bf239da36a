/* global — see global.h. */
#include "global.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The session tokens' alphabet (crypto_random_token): lower-case Crockford base32. */
static const char token_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* The number of the 8 hex digits at the head of hex, mod GLOBAL_BUCKETS. */
static unsigned bucket_of_hex(const char *hex)
{
    char head[9];
    memcpy(head, hex, 8);
    head[8] = '\0';
    return (unsigned)(strtoul(head, NULL, 16) % GLOBAL_BUCKETS);
}

/* A name's bucket: not keyed, as names are no secret and jubao-admin finds the same bucket. */
static unsigned bucket_of_name(const char *name)
{
    char h[CRYPTO_HEX_LEN];
    crypto_digest(name, strlen(name), h);
    return bucket_of_hex(h);
}

/* The bucket a token's first two characters carry (0 for characters not of the alphabet:
 * such a token names no session anyway). */
static unsigned bucket_of_token(const char *token)
{
    unsigned b = 0;
    for (int i = 0; i < 2; i++) {
        const char *at = token[i] ? strchr(token_alphabet, token[i]) : NULL;
        b = b * 32 + (at ? (unsigned)(at - token_alphabet) : 0);
    }
    return b;
}

void global_prefix(const struct shards *s, enum global_owner owner, const char *id,
                   char out[GLOBAL_PREFIX_MAX])
{
    if (shards_count(s) == 1) {
        snprintf(out, GLOBAL_PREFIX_MAX, "%s", shards_prefix(s, 0));
        return;
    }
    switch (owner) {
    case GLOBAL_KEY:
        snprintf(out, GLOBAL_PREFIX_MAX, "jb:{k:%.16s}:", id);
        break;
    case GLOBAL_KEYNAME:
        snprintf(out, GLOBAL_PREFIX_MAX, "jb:{n:%u}:", bucket_of_name(id));
        break;
    case GLOBAL_REVIEWER:
        snprintf(out, GLOBAL_PREFIX_MAX, "jb:{r:%u}:", bucket_of_name(id));
        break;
    case GLOBAL_TOKEN:
        snprintf(out, GLOBAL_PREFIX_MAX, "jb:{r:%u}:", bucket_of_token(id));
        break;
    case GLOBAL_HANDLERS:
        snprintf(out, GLOBAL_PREFIX_MAX, "jb:{h}:");
        break;
    }
}

void global_client_prefix(const struct shards *s, const struct keys *k, const char *addr,
                          char out[GLOBAL_PREFIX_MAX])
{
    if (shards_count(s) == 1) {
        snprintf(out, GLOBAL_PREFIX_MAX, "%s", shards_prefix(s, 0));
        return;
    }
    char h[CRYPTO_HEX_LEN];
    crypto_keyed_hash(k, CRYPTO_CLIENT_SLOT, addr, strlen(addr), h);
    snprintf(out, GLOBAL_PREFIX_MAX, "jb:{c:%u}:", bucket_of_hex(h));
}

void global_token_mark(const char *name, char token[CRYPTO_TOKEN_LEN])
{
    unsigned b = bucket_of_name(name);
    token[0] = token_alphabet[b / 32];
    token[1] = token_alphabet[b % 32];
}
