/* crypto — every use of libsodium: keys, pseudonyms, keyed hashes, sealing, random ids.
 *
 * The data directory holds master.key (32 random bytes; every keyed hash and the idempotency
 * box key are derived from it per purpose with crypto_kdf) and the sealing key pair:
 * seal.pub, which the gateway loads, and seal.key, which it never reads and which an operator
 * may move off the machine (reports are sealed to it: see crypto_seal).
 */
#ifndef JUBAO_CRYPTO_H
#define JUBAO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define CRYPTO_HEX_LEN 65      /* 32 bytes as hex, NUL included */
#define CRYPTO_PSEUDO_LEN 33   /* 16 bytes as hex, NUL included */
#define CRYPTO_ID_LEN 17       /* "R-XXXX-XXXX-XXXX", NUL included */
#define CRYPTO_SECRET_LEN 27   /* 26 base32 characters (130 bits), NUL included */

enum crypto_purpose {
    CRYPTO_SECRET = 1,      /* receipt secrets */
    CRYPTO_APIKEY = 2,      /* platform API keys */
    CRYPTO_IDEMPOTENCY = 3, /* Idempotency-Key scopes and bodies */
    CRYPTO_FINGERPRINT = 4, /* normalized-text fingerprints */
    CRYPTO_TOKEN = 5,       /* reviewer session tokens */
    CRYPTO_AUDIT = 6,       /* the audit chain of decisions */
    CRYPTO_CSRF = 7,        /* the web form's anti-forgery tokens */
    CRYPTO_POW = 8,         /* proof-of-work challenges */
    CRYPTO_CLIENT_SLOT = 9, /* an anonymous client's slot bucket (shard.h, shards_client_tag) */
    CRYPTO_WEBHOOK = 10,    /* handlers' webhook secrets (crypto_webhook_secret) */
};
#define CRYPTO_PURPOSE_LAST CRYPTO_WEBHOOK

struct keys;

/* Initializes libsodium. Returns 0, or -1 when it cannot (no entropy source). */
int crypto_init(void);

/* Creates the keys in dir (made 0700 if missing) unless they exist. Returns 1 when it made
 * them, 0 when all were there already, -1 with the reason in err. */
int keys_create(const char *dir, char *err, size_t errlen);

/* Loads master.key and seal.pub from dir. Returns a struct the caller frees with keys_free,
 * or NULL with the reason in err. The secret sealing key is not read. */
struct keys *keys_load(const char *dir, char *err, size_t errlen);
void keys_free(struct keys *k);

/* The client address as a pseudonym: keyed BLAKE2b-128 of addr under the random key of the
 * UTC day of now, so that pseudonyms cannot be linked across days, nor to an address once
 * that day's key is gone. Returns 0, or -1 when no key of that day is installed. */
int crypto_pseudonym(const struct keys *k, const char *addr, time_t now,
                     char out[CRYPTO_PSEUDO_LEN]);

/* The per-day pseudonym keys. A new random key, wrapped (secretbox under a key derived from
 * the master key) for storing in Redis, as base64 (caller frees); NULL when out of memory. */
char *crypto_daykey_new(const struct keys *k);
/* 16 hex characters that name the master key without giving it away: the day keys of one
 * master key sit under their own names, apart from those of programs with another. */
void crypto_daykey_id(const struct keys *k, char out[17]);
/* Unwraps and installs the key of day (days since 1970, UTC) for crypto_pseudonym; it takes
 * the place of the key of day - 3. Returns 0, or -1 when the box is not one of ours. */
int crypto_daykey_install(const struct keys *k, long day, const char *b64);
/* Wipes the installed keys of the days before `before`. */
void crypto_daykey_forget(const struct keys *k, long before);

/* Keyed BLAKE2b-256 of data, with the key of the given purpose, as hex. */
void crypto_keyed_hash(const struct keys *k, enum crypto_purpose purpose, const void *data,
                       size_t len, char out[CRYPTO_HEX_LEN]);

/* A handler's webhook secret: the keyed hash (CRYPTO_WEBHOOK) of "<name>\n<created_at>", as
 * hex. Derived, never stored: Redis holds nothing that signs a webhook, and any gateway of the
 * same master key signs alike. */
void crypto_webhook_secret(const struct keys *k, const char *name, const char *created_at,
                           char out[CRYPTO_HEX_LEN]);

/* HMAC-SHA256 of msg under key (its bytes as given), as hex. */
void crypto_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t len,
                            char out[CRYPTO_HEX_LEN]);

/* Unkeyed BLAKE2b-256 of data as hex (the case key of a canonical URL). */
void crypto_digest(const void *data, size_t len, char out[CRYPTO_HEX_LEN]);

/* Seals msg to the sealing public key, so that only the holder of seal.key can open it: an
 * ephemeral X25519 key per minute (its secret wiped at once) and XSalsa20-Poly1305 with a
 * random nonce per message (crypto.c says why not crypto_box_seal). Returns base64
 * (NUL-terminated, caller frees), or NULL when memory ran out. */
char *crypto_seal(const struct keys *k, const void *msg, size_t len);

/* Opens a sealed message with the secret sealing key in dir (for operators and tests).
 * Returns the plaintext (NUL-terminated, caller frees), or NULL with the reason in err. */
char *crypto_unseal(const char *dir, const char *b64, size_t *len, char *err, size_t errlen);

/* Encrypts msg with the gateway's own idempotency key (secretbox). Returns base64 (caller
 * frees) or NULL. crypto_unwrap reverses it into out (outlen bytes with room for the NUL);
 * it returns 0, or -1 when the box is not authentic or does not fit. */
char *crypto_wrap(const struct keys *k, const char *msg);
int crypto_unwrap(const struct keys *k, const char *b64, char *out, size_t outlen);

/* Encrypts len bytes (evidence images) with the gateway's own evidence key (secretbox, a
 * random nonce in front). Returns the box (caller frees) with its length in *outlen, or NULL
 * when memory ran out. crypto_unlock reverses it: NULL when the box is not authentic. */
unsigned char *crypto_lock(const struct keys *k, const void *msg, size_t len, size_t *outlen);
unsigned char *crypto_unlock(const struct keys *k, const void *box, size_t len, size_t *outlen);

/* The number of leading zero bits of the SHA-256 of len bytes (0..256): proof of work. */
int crypto_sha256_zero_bits(const void *data, size_t len);

/* Fills out with n random lower-case hex digits and a NUL. */
void crypto_random_hex(char *out, size_t n);

/* A random id "P-XXXX-XXXX-XXXX" (prefix P, 60 bits, Crockford base32: no I, L, O, U, so it
 * reads out on the phone). */
void crypto_random_id(char prefix, char out[CRYPTO_ID_LEN]);

/* A random secret of 130 bits in lower-case Crockford base32. */
void crypto_random_secret(char out[CRYPTO_SECRET_LEN]);

/* A random API key "jbk_" + 43 base32 characters (215 bits); out has room for 48 bytes. */
void crypto_random_apikey(char out[48]);

#define CRYPTO_PWHASH_LEN 128 /* an Argon2id hash string, NUL included */
#define CRYPTO_TOKEN_LEN 44    /* a session token: 43 base32 characters (215 bits) + NUL */

/* Hashes a password with Argon2id (libsodium's interactive limits: 64 MiB, 2 passes) into
 * out, as a self-describing "$argon2id$..." string. Returns 0, or -1 when memory ran out. */
int crypto_password_hash(const char *password, size_t len, char out[CRYPTO_PWHASH_LEN]);

/* True when password matches hash. With hash NULL it does the same work against a fixed
 * hash and returns false, so that an unknown user costs as much time as a wrong password. */
bool crypto_password_verify(const char *hash, const char *password, size_t len);

/* Overwrites n bytes at p with zeros in a way the compiler keeps (for passwords). */
void crypto_wipe(void *p, size_t n);

/* A random session token (lower-case base32). */
void crypto_random_token(char out[CRYPTO_TOKEN_LEN]);

/* Constant-time comparison of two strings of the same length len. */
bool crypto_equal(const char *a, const char *b, size_t len);

#endif
