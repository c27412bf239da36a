/* Unit tests for lib/crypto.h and lib/audit.h: pseudonyms and the day keys they need, keyed
 * hashes per purpose, the plain digest, and the audit entry hash. Key files, sealing, wrapping
 * and random values are in test_crypto.c.
 * Every test gets fresh data directories under mkdtemp and removes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "assert_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "crypto_fixture.h"

/* s is exactly n lower-case hex digits. */
#define assert_hex(s, n)                                                       \
    do {                                                                       \
        assert_int_equal(strlen(s), n);                                        \
        assert_int_equal(strspn(s, "0123456789abcdef"), n);                    \
    } while (0)

/* ---- pseudonyms and hashes ---- */

/* Installs a new random key of day in k (as a gateway does from Redis); returns its box. */
static char *install_day(const struct keys *k, long day)
{
    char *box = crypto_daykey_new(k);
    assert_non_null(box);
    assert_int_equal(crypto_daykey_install(k, day, box), 0);
    return box;
}

static void test_pseudonym_needs_the_key_of_its_day(void **state)
{
    struct fixture *f = *state;
    char p[CRYPTO_PSEUDO_LEN];
    time_t day = (time_t)20000 * 86400; /* 2024-10-04 00:00 UTC */
    assert_int_equal(crypto_pseudonym(f->ka, "203.0.113.7", day, p), -1);
    free(install_day(f->ka, 20000));
    assert_int_equal(crypto_pseudonym(f->ka, "203.0.113.7", day, p), 0);
    assert_int_equal(crypto_pseudonym(f->ka, "203.0.113.7", day + 86400, p), -1);
    assert_int_equal(crypto_pseudonym(f->ka, "203.0.113.7", day - 1, p), -1);
}

static void test_pseudonym_stable_within_day(void **state)
{
    struct fixture *f = *state;
    char p1[CRYPTO_PSEUDO_LEN], p2[CRYPTO_PSEUDO_LEN];
    time_t day = (time_t)20000 * 86400;
    free(install_day(f->ka, 20000));
    assert_int_equal(crypto_pseudonym(f->ka, "203.0.113.7", day, p1), 0);
    assert_int_equal(crypto_pseudonym(f->ka, "203.0.113.7", day + 86399, p2), 0);
    assert_string_equal(p1, p2);
    assert_hex(p1, 32);
}

static void test_pseudonym_changes_with_day_address_key(void **state)
{
    struct fixture *f = *state;
    char base[CRYPTO_PSEUDO_LEN], other[CRYPTO_PSEUDO_LEN];
    time_t day = (time_t)20000 * 86400;
    for (long d = 19999; d <= 20001; d++)
        free(install_day(f->ka, d));
    free(install_day(f->kb, 20000));
    crypto_pseudonym(f->ka, "203.0.113.7", day, base);

    crypto_pseudonym(f->ka, "203.0.113.7", day + 86400, other);
    assert_string_not_equal(base, other);
    crypto_pseudonym(f->ka, "203.0.113.7", day - 1, other);
    assert_string_not_equal(base, other);
    crypto_pseudonym(f->ka, "203.0.113.7", day, other);
    assert_string_equal(base, other);
    crypto_pseudonym(f->ka, "203.0.113.8", day, other);
    assert_string_not_equal(base, other);
    crypto_pseudonym(f->kb, "203.0.113.7", day, other);
    assert_string_not_equal(base, other);
}

/* Two gateways with the same master.key that read the same key from Redis agree; a gateway
 * with another master.key cannot open it; and a key forgotten is gone for good: the master
 * key cannot make it again. */
static void test_day_keys_shared_wrapped_and_forgotten(void **state)
{
    struct fixture *f = *state;
    char err[256], p1[CRYPTO_PSEUDO_LEN], p2[CRYPTO_PSEUDO_LEN];
    time_t day = (time_t)20000 * 86400;
    struct keys *again = keys_load(f->a, err, sizeof err);
    assert_non_null(again);
    char *box = install_day(f->ka, 20000);
    assert_int_equal(crypto_daykey_install(again, 20000, box), 0);
    assert_int_equal(crypto_daykey_install(f->kb, 20000, box), -1);
    assert_int_equal(crypto_daykey_install(again, 20000, "not a box"), -1);
    crypto_pseudonym(f->ka, "198.51.100.1", day, p1);
    crypto_pseudonym(again, "198.51.100.1", day, p2);
    assert_string_equal(p1, p2);
    assert_not_contains(box, "198.51.100.1");

    crypto_daykey_forget(again, 20001);
    assert_int_equal(crypto_pseudonym(again, "198.51.100.1", day, p2), -1);
    free(install_day(again, 20000)); /* a new key of the same day: not the old one */
    crypto_pseudonym(again, "198.51.100.1", day, p2);
    assert_string_not_equal(p1, p2);
    /* the key of day + 3 takes the place of day's */
    free(install_day(f->ka, 20003));
    assert_int_equal(crypto_pseudonym(f->ka, "198.51.100.1", day, p2), -1);
    free(box);
    keys_free(again);
}

static void test_pseudonym_hides_address(void **state)
{
    struct fixture *f = *state;
    const char *addrs[] = {"203.0.113.7", "2001:db8::1", "10.0.0.1"};
    char out[CRYPTO_PSEUDO_LEN], hex[128];
    free(install_day(f->ka, 1700000000 / 86400));
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        assert_int_equal(crypto_pseudonym(f->ka, addrs[i], 1700000000, out), 0);
        assert_hex(out, 32);
        assert_not_contains(out, addrs[i]);
        /* Nor its bytes in hex. */
        size_t n = 0;
        for (const char *c = addrs[i]; *c; c++)
            n += (size_t)snprintf(hex + n, sizeof hex - n, "%02x", (unsigned char)*c);
        assert_not_contains(out, hex);
    }
}

static void test_keyed_hash_purposes_differ(void **state)
{
    struct fixture *f = *state;
    enum crypto_purpose purposes[] = {CRYPTO_SECRET, CRYPTO_APIKEY, CRYPTO_IDEMPOTENCY,
                                      CRYPTO_FINGERPRINT, CRYPTO_TOKEN, CRYPTO_AUDIT};
    enum { N = sizeof purposes / sizeof purposes[0] };
    char h[N][CRYPTO_HEX_LEN];
    for (int i = 0; i < N; i++) {
        crypto_keyed_hash(f->ka, purposes[i], "same data", 9, h[i]);
        assert_hex(h[i], 64);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_string_not_equal(h[i], h[j]);
}

static void test_keyed_hash_stable_and_keyed(void **state)
{
    struct fixture *f = *state;
    char h1[CRYPTO_HEX_LEN], h2[CRYPTO_HEX_LEN];
    crypto_keyed_hash(f->ka, CRYPTO_SECRET, "abc", 3, h1);
    crypto_keyed_hash(f->ka, CRYPTO_SECRET, "abc", 3, h2);
    assert_string_equal(h1, h2);
    crypto_keyed_hash(f->ka, CRYPTO_SECRET, "abd", 3, h2);
    assert_string_not_equal(h1, h2);
    crypto_keyed_hash(f->kb, CRYPTO_SECRET, "abc", 3, h2);
    assert_string_not_equal(h1, h2);
    /* Keyed: not the plain digest. */
    crypto_digest("abc", 3, h2);
    assert_string_not_equal(h1, h2);

    /* Reloading the same directory gives the same keys. */
    char err[256];
    struct keys *again = keys_load(f->a, err, sizeof err);
    assert_non_null(again);
    crypto_keyed_hash(again, CRYPTO_SECRET, "abc", 3, h2);
    assert_string_equal(h1, h2);
    keys_free(again);
}

static void test_digest_known_answer(void **state)
{
    (void)state;
    char h[CRYPTO_HEX_LEN];
    /* BLAKE2b-256 test vectors. */
    crypto_digest("", 0, h);
    assert_string_equal(h, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    crypto_digest("abc", 3, h);
    assert_string_equal(h, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

static void test_hmac_sha256_known_answer(void **state)
{
    (void)state;
    char h[CRYPTO_HEX_LEN];
    /* RFC 4231, test case 2. */
    const char *msg = "what do ya want for nothing?";
    crypto_hmac_sha256_hex("Jefe", 4, msg, strlen(msg), h);
    assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* A handler's webhook secret: the same for the same handler and master key (every gateway
 * signs alike), another for another name, creation time or master key. */
static void test_webhook_secret_per_handler_and_key(void **state)
{
    struct fixture *f = *state;
    char a[CRYPTO_HEX_LEN], b[CRYPTO_HEX_LEN];
    const char *at = "2026-12-03T20:00:00Z";
    crypto_webhook_secret(f->ka, "weibo", at, a);
    assert_hex(a, 64);
    crypto_webhook_secret(f->ka, "weibo", at, b);
    assert_string_equal(a, b);
    crypto_webhook_secret(f->ka, "weibo2", at, b);
    assert_string_not_equal(a, b);
    crypto_webhook_secret(f->ka, "weibo", "2026-12-03T20:00:01Z", b);
    assert_string_not_equal(a, b);
    crypto_webhook_secret(f->kb, "weibo", at, b);
    assert_string_not_equal(a, b);
}

/* The audit hash covers every field, with its bounds (no two entries serialize alike), the
 * sequence number and the key. */
static void test_audit_hash_covers_every_field(void **state)
{
    struct fixture *f = *state;
    struct audit_entry e = {7, "abc", "2026-11-24T22:00:00Z", "C-AAAA-BBBB-CCCC", "actioned",
                            "fraud", "alice", "a note"};
    char base[CRYPTO_HEX_LEN], h[CRYPTO_HEX_LEN];
    assert_int_equal(audit_hash(f->ka, &e, base), 0);
    assert_hex(base, 64);
    assert_int_equal(audit_hash(f->ka, &e, h), 0);
    assert_string_equal(base, h);
    const char **fields[] = {&e.prev, &e.at, &e.case_id, &e.verdict, &e.category, &e.reviewer,
                             &e.note};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        struct audit_entry saved = e;
        *fields[i] = "changed";
        assert_int_equal(audit_hash(f->ka, &e, h), 0);
        assert_string_not_equal(base, h);
        e = saved;
    }
    e.seq = 8;
    audit_hash(f->ka, &e, h);
    assert_string_not_equal(base, h);
    e.seq = 7;
    /* a character moved from one field to the next is another entry */
    e.reviewer = "alic";
    e.note = "ea note";
    audit_hash(f->ka, &e, h);
    assert_string_not_equal(base, h);
    e.reviewer = "alice";
    e.note = "a note";
    audit_hash(f->kb, &e, h);
    assert_string_not_equal(base, h);
}

int main(void)
{
    if (crypto_init() < 0) {
        fprintf(stderr, "crypto_init failed\n");
        return 1;
    }
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pseudonym_needs_the_key_of_its_day),
        T(test_day_keys_shared_wrapped_and_forgotten),
        T(test_pseudonym_stable_within_day),
        T(test_pseudonym_changes_with_day_address_key),
        T(test_pseudonym_hides_address),
        T(test_keyed_hash_purposes_differ),
        T(test_audit_hash_covers_every_field),
        T(test_keyed_hash_stable_and_keyed),
        T(test_digest_known_answer),
        T(test_hmac_sha256_known_answer),
        T(test_webhook_secret_per_handler_and_key),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
