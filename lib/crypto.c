/* crypto — see crypto.h. The only libsodium user. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sealing with an epoch key. crypto_box_seal makes a new X25519 key pair and a shared key for
 * every message: two scalar multiplications, about 55 us, which at intake rates would cost a
 * whole core. An epoch does those once a minute instead: a fresh ephemeral key pair whose
 * secret half is wiped as soon as the shared key with the recipient is computed; each message
 * is then encrypted with that shared key (XSalsa20-Poly1305) under a random 24-byte nonce, in
 * about 2 us. The recipient opens it with its secret key and the epoch's public key, which
 * travels with every message. As with crypto_box_seal, the gateway never holds the recipient's
 * secret; unlike it, the gateway can open what it sealed during the current minute, which is
 * no loss, since it saw those plaintexts as they arrived. */
#define SEAL_VERSION 1
#define SEAL_EPOCH_SECONDS 60
#define SEAL_HEADER (1 + crypto_box_PUBLICKEYBYTES + crypto_box_NONCEBYTES)

struct seal_epoch {
    pthread_mutex_t lock;
    time_t started;
    unsigned char epk[crypto_box_PUBLICKEYBYTES];
    unsigned char shared[crypto_box_BEFORENMBYTES];
};

/* The pseudonym keys of three days (yesterday, today, tomorrow), each in slot day % 3. They
 * are random, not derived: once a day's key is gone from here and from Redis, nothing can
 * tell which address a pseudonym of that day stands for, master.key included. */
#define DAY_SLOTS 3
struct day_keys {
    pthread_mutex_t lock;
    long day[DAY_SLOTS];        /* -1: empty */
    unsigned char key[DAY_SLOTS][32];
};

struct keys {
    struct seal_epoch *epoch; /* writable, outside the read-only key page */
    struct day_keys *days;    /* writable too */
    unsigned char master[crypto_kdf_KEYBYTES];
    unsigned char seal_pk[crypto_box_PUBLICKEYBYTES];
    unsigned char purpose[CRYPTO_PURPOSE_LAST + 1][32]; /* derived at load; index: enum crypto_purpose */
    unsigned char evidence[crypto_secretbox_KEYBYTES];
    unsigned char box[crypto_secretbox_KEYBYTES];
    unsigned char daywrap[crypto_secretbox_KEYBYTES]; /* the day keys as they sit in Redis */
};

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int crypto_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

/* Writes len bytes to dir/name with the given mode, failing if the file exists. Returns 0 or
 * -1 with the reason in err. */
static int write_key(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
                     char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t w = write(fd, data, len);
    if (w != (ssize_t)len || fsync(fd) < 0) {
        snprintf(err, errlen, "%s: write failed", path);
        close(fd);
        return -1;
    }
    return close(fd);
}

/* Reads exactly len bytes from dir/name. Returns 0 or -1 with the reason in err. */
static int read_key(const char *dir, const char *name, void *data, size_t len, char *err,
                    size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s (run jubao-admin init)", path, strerror(errno));
        return -1;
    }
    char extra;
    ssize_t r = read(fd, data, len);
    ssize_t more = read(fd, &extra, 1);
    close(fd);
    if (r != (ssize_t)len || more != 0) {
        snprintf(err, errlen, "%s: not a %zu-byte key", path, len);
        return -1;
    }
    return 0;
}

static bool key_exists(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

int keys_create(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int made = 0;
    if (!key_exists(dir, "master.key")) {
        unsigned char master[crypto_kdf_KEYBYTES];
        crypto_kdf_keygen(master);
        int rc = write_key(dir, "master.key", master, sizeof master, 0600, err, errlen);
        sodium_memzero(master, sizeof master);
        if (rc < 0)
            return -1;
        made = 1;
    }
    if (!key_exists(dir, "seal.pub")) {
        unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
        crypto_box_keypair(pk, sk);
        int rc = write_key(dir, "seal.key", sk, sizeof sk, 0600, err, errlen);
        sodium_memzero(sk, sizeof sk);
        if (rc < 0 || write_key(dir, "seal.pub", pk, sizeof pk, 0644, err, errlen) < 0)
            return -1;
        made = 1;
    }
    return made;
}

struct keys *keys_load(const char *dir, char *err, size_t errlen)
{
    struct keys *k = sodium_malloc(sizeof *k);
    struct seal_epoch *e = sodium_malloc(sizeof *e);
    struct day_keys *d = sodium_malloc(sizeof *d);
    if (!k || !e || !d) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    memset(e, 0, sizeof *e);
    pthread_mutex_init(&e->lock, NULL);
    k->epoch = e;
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    for (int i = 0; i < DAY_SLOTS; i++)
        d->day[i] = -1;
    k->days = d;
    if (read_key(dir, "master.key", k->master, sizeof k->master, err, errlen) < 0 ||
        read_key(dir, "seal.pub", k->seal_pk, sizeof k->seal_pk, err, errlen) < 0)
        goto fail;
    static const char ctx[8] = {'j', 'b', 'p', 'u', 'r', 'p', 'o', 's'};
    for (int i = 1; i <= CRYPTO_PURPOSE_LAST; i++)
        crypto_kdf_derive_from_key(k->purpose[i], 32, (uint64_t)i, ctx, k->master);
    crypto_kdf_derive_from_key(k->box, sizeof k->box, 1, "jbidembx", k->master);
    crypto_kdf_derive_from_key(k->evidence, sizeof k->evidence, 2, "jbevidnc", k->master);
    crypto_kdf_derive_from_key(k->daywrap, sizeof k->daywrap, 3, "jbdaykey", k->master);
    sodium_mprotect_readonly(k);
    return k;
fail:
    if (d)
        sodium_free(d);
    if (e)
        sodium_free(e);
    if (k)
        sodium_free(k);
    return NULL;
}

void keys_free(struct keys *k)
{
    if (!k)
        return;
    pthread_mutex_destroy(&k->epoch->lock);
    sodium_free(k->epoch);
    pthread_mutex_destroy(&k->days->lock);
    sodium_free(k->days);
    sodium_free(k);
}

static void to_hex(const unsigned char *bin, size_t len, char *out)
{
    sodium_bin2hex(out, len * 2 + 1, bin, len);
}

int crypto_pseudonym(const struct keys *k, const char *addr, time_t now,
                     char out[CRYPTO_PSEUDO_LEN])
{
    unsigned char day_key[32], h[16];
    long day = (long)(now / 86400);
    struct day_keys *d = k->days;
    pthread_mutex_lock(&d->lock);
    bool have = d->day[day % DAY_SLOTS] == day;
    if (have)
        memcpy(day_key, d->key[day % DAY_SLOTS], sizeof day_key);
    pthread_mutex_unlock(&d->lock);
    if (!have)
        return -1;
    crypto_generichash(h, sizeof h, (const unsigned char *)addr, strlen(addr), day_key,
                       sizeof day_key);
    sodium_memzero(day_key, sizeof day_key);
    to_hex(h, sizeof h, out);
    return 0;
}

void crypto_keyed_hash(const struct keys *k, enum crypto_purpose purpose, const void *data,
                       size_t len, char out[CRYPTO_HEX_LEN])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, data, len, k->purpose[purpose], 32);
    to_hex(h, sizeof h, out);
}

void crypto_webhook_secret(const struct keys *k, const char *name, const char *created_at,
                           char out[CRYPTO_HEX_LEN])
{
    crypto_generichash_state st;
    unsigned char h[32];
    crypto_generichash_init(&st, k->purpose[CRYPTO_WEBHOOK], 32, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&st, (const unsigned char *)created_at, strlen(created_at));
    crypto_generichash_final(&st, h, sizeof h);
    to_hex(h, sizeof h, out);
    sodium_memzero(h, sizeof h);
}

void crypto_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t len,
                            char out[CRYPTO_HEX_LEN])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, msg, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
    to_hex(mac, sizeof mac, out);
}

void crypto_digest(const void *data, size_t len, char out[CRYPTO_HEX_LEN])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, data, len, NULL, 0);
    to_hex(h, sizeof h, out);
}

static char *to_b64(const unsigned char *bin, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(n);
    if (out)
        sodium_bin2base64(out, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* Decodes base64 into a new buffer. Returns it with its length in *len, or NULL. */
static unsigned char *from_b64(const char *b64, size_t *len)
{
    size_t cap = strlen(b64) / 4 * 3 + 3;
    unsigned char *bin = malloc(cap);
    if (bin && sodium_base642bin(bin, cap, b64, strlen(b64), NULL, len, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) < 0) {
        free(bin);
        return NULL;
    }
    return bin;
}

/* Copies the current epoch's public key and shared key, starting a new epoch when the
 * current one is older than SEAL_EPOCH_SECONDS. Returns 0, or -1 when no shared key can be
 * made (a malformed recipient key). */
static int seal_epoch_get(const struct keys *k, unsigned char *epk, unsigned char *shared)
{
    struct seal_epoch *e = k->epoch;
    time_t now = time(NULL);
    int rc = 0;
    pthread_mutex_lock(&e->lock);
    if (e->started == 0 || now - e->started >= SEAL_EPOCH_SECONDS || now < e->started) {
        unsigned char esk[crypto_box_SECRETKEYBYTES];
        crypto_box_keypair(e->epk, esk);
        rc = crypto_box_beforenm(e->shared, k->seal_pk, esk);
        sodium_memzero(esk, sizeof esk);
        e->started = rc == 0 ? now : 0;
    }
    memcpy(epk, e->epk, crypto_box_PUBLICKEYBYTES);
    memcpy(shared, e->shared, crypto_box_BEFORENMBYTES);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

char *crypto_seal(const struct keys *k, const void *msg, size_t len)
{
    size_t n = SEAL_HEADER + crypto_box_MACBYTES + len;
    unsigned char shared[crypto_box_BEFORENMBYTES];
    unsigned char *sealed = malloc(n);
    char *out = NULL;
    if (!sealed || seal_epoch_get(k, sealed + 1, shared) < 0)
        goto done;
    sealed[0] = SEAL_VERSION;
    unsigned char *nonce = sealed + 1 + crypto_box_PUBLICKEYBYTES;
    randombytes_buf(nonce, crypto_box_NONCEBYTES);
    if (crypto_box_easy_afternm(sealed + SEAL_HEADER, msg, len, nonce, shared) == 0)
        out = to_b64(sealed, n);
done:
    sodium_memzero(shared, sizeof shared);
    free(sealed);
    return out;
}

char *crypto_unseal(const char *dir, const char *b64, size_t *len, char *err, size_t errlen)
{
    unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
    char *plain = NULL;
    size_t blen = 0;
    unsigned char *bin = NULL;
    if (read_key(dir, "seal.pub", pk, sizeof pk, err, errlen) < 0 ||
        read_key(dir, "seal.key", sk, sizeof sk, err, errlen) < 0)
        goto out;
    bin = from_b64(b64, &blen);
    if (!bin || blen < SEAL_HEADER + crypto_box_MACBYTES || bin[0] != SEAL_VERSION) {
        snprintf(err, errlen, "not a sealed message");
        goto out;
    }
    size_t plen = blen - SEAL_HEADER - crypto_box_MACBYTES;
    plain = malloc(plen + 1);
    if (plain && crypto_box_open_easy((unsigned char *)plain, bin + SEAL_HEADER,
                                      blen - SEAL_HEADER, bin + 1 + crypto_box_PUBLICKEYBYTES,
                                      bin + 1, sk) < 0) {
        snprintf(err, errlen, "sealed message does not open with this key");
        free(plain);
        plain = NULL;
    }
    if (plain) {
        plain[plen] = '\0';
        if (len)
            *len = plen;
    }
out:
    sodium_memzero(sk, sizeof sk);
    free(bin);
    return plain;
}

/* secretbox of len bytes under key, a random nonce in front, as base64 (caller frees); or
 * NULL when memory ran out. */
static char *box_b64(const unsigned char *key, const void *msg, size_t len)
{
    size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    unsigned char *buf = malloc(n);
    if (!buf)
        return NULL;
    randombytes_buf(buf, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(buf + crypto_secretbox_NONCEBYTES, msg, len, buf, key);
    char *out = to_b64(buf, n);
    sodium_memzero(buf, n);
    free(buf);
    return out;
}

/* Opens a box_b64 box into out (at most outlen bytes). Returns the length, or -1 when it is
 * not authentic or does not fit. */
static long unbox_b64(const unsigned char *key, const char *b64, void *out, size_t outlen)
{
    size_t blen = 0;
    unsigned char *bin = from_b64(b64, &blen);
    long rc = -1;
    size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (bin && blen >= overhead && blen - overhead <= outlen &&
        crypto_secretbox_open_easy(out, bin + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, bin, key) == 0)
        rc = (long)(blen - overhead);
    free(bin);
    return rc;
}

char *crypto_wrap(const struct keys *k, const char *msg)
{
    return box_b64(k->box, msg, strlen(msg));
}

int crypto_unwrap(const struct keys *k, const char *b64, char *out, size_t outlen)
{
    long n = outlen ? unbox_b64(k->box, b64, out, outlen - 1) : -1;
    if (n < 0)
        return -1;
    out[n] = '\0';
    return 0;
}

void crypto_daykey_id(const struct keys *k, char out[17])
{
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)"daykey-id", 9, k->daywrap,
                       sizeof k->daywrap);
    to_hex(h, sizeof h, out);
}

char *crypto_daykey_new(const struct keys *k)
{
    unsigned char key[32];
    randombytes_buf(key, sizeof key);
    char *out = box_b64(k->daywrap, key, sizeof key);
    sodium_memzero(key, sizeof key);
    return out;
}

int crypto_daykey_install(const struct keys *k, long day, const char *b64)
{
    unsigned char key[32];
    if (day < 0 || unbox_b64(k->daywrap, b64, key, sizeof key) != (long)sizeof key) {
        sodium_memzero(key, sizeof key);
        return -1;
    }
    struct day_keys *d = k->days;
    pthread_mutex_lock(&d->lock);
    memcpy(d->key[day % DAY_SLOTS], key, sizeof key);
    d->day[day % DAY_SLOTS] = day;
    pthread_mutex_unlock(&d->lock);
    sodium_memzero(key, sizeof key);
    return 0;
}

void crypto_daykey_forget(const struct keys *k, long before)
{
    struct day_keys *d = k->days;
    pthread_mutex_lock(&d->lock);
    for (int i = 0; i < DAY_SLOTS; i++)
        if (d->day[i] >= 0 && d->day[i] < before) {
            sodium_memzero(d->key[i], sizeof d->key[i]);
            d->day[i] = -1;
        }
    pthread_mutex_unlock(&d->lock);
}

unsigned char *crypto_lock(const struct keys *k, const void *msg, size_t len, size_t *outlen)
{
    size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    unsigned char *box = malloc(n);
    if (!box)
        return NULL;
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, msg, len, box, k->evidence);
    *outlen = n;
    return box;
}

unsigned char *crypto_unlock(const struct keys *k, const void *box, size_t len, size_t *outlen)
{
    size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (len < overhead)
        return NULL;
    unsigned char *out = malloc(len - overhead + 1);
    const unsigned char *b = box;
    if (!out || crypto_secretbox_open_easy(out, b + crypto_secretbox_NONCEBYTES,
                                           len - crypto_secretbox_NONCEBYTES, b,
                                           k->evidence) != 0) {
        free(out);
        return NULL;
    }
    *outlen = len - overhead;
    return out;
}

int crypto_sha256_zero_bits(const void *data, size_t len)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    int bits = 0;
    for (size_t i = 0; i < sizeof h; i++) {
        if (h[i] == 0) {
            bits += 8;
            continue;
        }
        for (unsigned char m = 0x80; m && !(h[i] & m); m >>= 1)
            bits++;
        break;
    }
    return bits;
}

void crypto_random_hex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[64];
    for (size_t done = 0; done < n;) {
        size_t take = n - done < sizeof r ? n - done : sizeof r;
        randombytes_buf(r, take);
        for (size_t i = 0; i < take; i++)
            out[done + i] = hex[r[i] & 15];
        done += take;
    }
    out[n] = '\0';
}

/* Fills out with n random Crockford base32 characters (unbiased: 32 divides 256). */
static void random_base32(char *out, size_t n, bool lower)
{
    unsigned char r[64];
    randombytes_buf(r, n);
    for (size_t i = 0; i < n; i++) {
        char c = crockford[r[i] & 31];
        out[i] = lower && c >= 'A' ? (char)(c - 'A' + 'a') : c;
    }
}

void crypto_random_id(char prefix, char out[CRYPTO_ID_LEN])
{
    char r[12];
    random_base32(r, sizeof r, false);
    snprintf(out, CRYPTO_ID_LEN, "%c-%.4s-%.4s-%.4s", prefix, r, r + 4, r + 8);
}

void crypto_random_secret(char out[CRYPTO_SECRET_LEN])
{
    random_base32(out, CRYPTO_SECRET_LEN - 1, true);
    out[CRYPTO_SECRET_LEN - 1] = '\0';
}

void crypto_random_apikey(char out[48])
{
    memcpy(out, "jbk_", 4);
    random_base32(out + 4, 43, true);
    out[47] = '\0';
}

int crypto_password_hash(const char *password, size_t len, char out[CRYPTO_PWHASH_LEN])
{
    _Static_assert(crypto_pwhash_STRBYTES <= CRYPTO_PWHASH_LEN, "pwhash string fits");
    return crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 ? 0 : -1;
}

static char dummy_hash[CRYPTO_PWHASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

/* Makes the fixed hash that unknown users are checked against: of a random password, so
 * that nothing can match it. */
static void dummy_make(void)
{
    char pw[32];
    randombytes_buf(pw, sizeof pw);
    if (crypto_password_hash(pw, sizeof pw, dummy_hash) < 0)
        dummy_hash[0] = '\0';
}

bool crypto_password_verify(const char *hash, const char *password, size_t len)
{
    if (hash)
        return crypto_pwhash_str_verify(hash, password, len) == 0;
    /* the same Argon2 work as for a known user; the result cannot be a match */
    pthread_once(&dummy_once, dummy_make);
    bool match = dummy_hash[0] && crypto_pwhash_str_verify(dummy_hash, password, len) == 0;
    (void)match;
    return false;
}

void crypto_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

void crypto_random_token(char out[CRYPTO_TOKEN_LEN])
{
    random_base32(out, CRYPTO_TOKEN_LEN - 1, true);
    out[CRYPTO_TOKEN_LEN - 1] = '\0';
}

bool crypto_equal(const char *a, const char *b, size_t len)
{
    return sodium_memcmp(a, b, len) == 0;
}
