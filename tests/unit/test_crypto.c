/* Unit tests for lib/crypto.h: key files, pseudonyms, hashes, sealing, wrapping, random ids.
 * Every test gets fresh data directories under mkdtemp and removes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "assert_text.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "crypto.h"

/* Two data directories with keys (a and b), and a scratch root for tests that make their own. */
struct fixture {
    char root[64];
    char a[128], b[128];
    struct keys *ka, *kb;
};

static void path_join(char *out, size_t outlen, const char *dir, const char *name)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    assert_in_range(n, 1, (int)outlen - 1);
}

/* Removes dir and everything in it (two levels are enough here). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[512];
        path_join(p, sizeof p, dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->root, sizeof f->root, "/tmp/jubao-test-crypto-XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    snprintf(f->a, sizeof f->a, "%s/a", f->root);
    snprintf(f->b, sizeof f->b, "%s/b", f->root);
    char err[256];
    if (keys_create(f->a, err, sizeof err) != 1 || keys_create(f->b, err, sizeof err) != 1 ||
        !(f->ka = keys_load(f->a, err, sizeof err)) || !(f->kb = keys_load(f->b, err, sizeof err))) {
        print_error("setup: %s\n", err);
        keys_free(f->ka);
        remove_tree(f->root);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    keys_free(f->ka);
    keys_free(f->kb);
    remove_tree(f->root);
    free(f);
    return 0;
}

/* Reads a whole small file into buf; returns its length. */
static size_t read_file(const char *path, unsigned char *buf, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t n = fread(buf, 1, cap, fp);
    fclose(fp);
    return n;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* s is exactly n lower-case hex digits. */
#define assert_hex(s, n)                                                       \
    do {                                                                       \
        assert_int_equal(strlen(s), n);                                        \
        assert_int_equal(strspn(s, "0123456789abcdef"), n);                    \
    } while (0)

/* ---- keys ---- */

static void test_keys_create_then_exist(void **state)
{
    struct fixture *f = *state;
    char dir[128], err[256] = "", p[256];
    snprintf(dir, sizeof dir, "%s/new", f->root);
    assert_int_equal(keys_create(dir, err, sizeof err), 1);

    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    const char *secret[] = {"master.key", "seal.key"};
    for (int i = 0; i < 2; i++) {
        path_join(p, sizeof p, dir, secret[i]);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    path_join(p, sizeof p, dir, "master.key");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 32);
    path_join(p, sizeof p, dir, "seal.pub");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 32);

    /* A second call makes nothing and leaves every byte as it was. */
    const char *names[] = {"master.key", "seal.key", "seal.pub"};
    unsigned char before[3][128], after[3][128];
    size_t lb[3], la[3];
    for (int i = 0; i < 3; i++) {
        path_join(p, sizeof p, dir, names[i]);
        lb[i] = read_file(p, before[i], sizeof before[i]);
    }
    assert_int_equal(keys_create(dir, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        path_join(p, sizeof p, dir, names[i]);
        la[i] = read_file(p, after[i], sizeof after[i]);
        assert_int_equal(la[i], lb[i]);
        assert_memory_equal(after[i], before[i], lb[i]);
    }
}

static void test_keys_create_differ_per_dir(void **state)
{
    struct fixture *f = *state;
    unsigned char ma[64], mb[64];
    char p[256];
    path_join(p, sizeof p, f->a, "master.key");
    size_t na = read_file(p, ma, sizeof ma);
    path_join(p, sizeof p, f->b, "master.key");
    size_t nb = read_file(p, mb, sizeof mb);
    assert_int_equal(na, nb);
    assert_memory_not_equal(ma, mb, na);
}

static void test_keys_create_unwritable(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(keys_create("/proc/jubao-no-such-dir/data", err, sizeof err), -1);
    assert_contains(err, "/proc/jubao-no-such-dir/data");
}

static void test_keys_load_missing_names_path(void **state)
{
    struct fixture *f = *state;
    char dir[128], err[256] = "";
    snprintf(dir, sizeof dir, "%s/empty", f->root);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_null(keys_load(dir, err, sizeof err));
    char want[256];
    path_join(want, sizeof want, dir, "master.key");
    assert_contains(err, want);

    /* master.key present, seal.pub missing: that path is named. */
    unsigned char key[32] = {1};
    char p[256];
    path_join(p, sizeof p, dir, "master.key");
    write_file(p, key, sizeof key);
    assert_null(keys_load(dir, err, sizeof err));
    path_join(want, sizeof want, dir, "seal.pub");
    assert_contains(err, want);
}

static void test_keys_load_wrong_size(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", p[256];
    unsigned char key[33] = {0};
    path_join(p, sizeof p, f->a, "master.key");

    write_file(p, key, 31);
    assert_null(keys_load(f->a, err, sizeof err));
    assert_contains(err, p);
    assert_contains(err, "32-byte");

    write_file(p, key, 33);
    err[0] = '\0';
    assert_null(keys_load(f->a, err, sizeof err));
    assert_contains(err, p);

    write_file(p, key, 0);
    err[0] = '\0';
    assert_null(keys_load(f->a, err, sizeof err));
    assert_contains(err, p);

    write_file(p, key, 32);
    struct keys *k = keys_load(f->a, err, sizeof err);
    assert_non_null(k);
    keys_free(k);
}

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

/* ---- sealing ---- */

static void test_seal_round_trip(void **state)
{
    struct fixture *f = *state;
    const char *msg = "{\"url\":\"https://example.com/\",\"contact\":\"张三 138\"}";
    char *sealed = crypto_seal(f->ka, msg, strlen(msg));
    assert_non_null(sealed);
    assert_not_contains(sealed, "example");
    char err[256] = "";
    size_t len = 0;
    char *plain = crypto_unseal(f->a, sealed, &len, err, sizeof err);
    if (!plain)
        fail_msg("unseal failed: %s", err);
    assert_string_equal(plain, msg);
    assert_int_equal(len, strlen(msg));
    free(plain);

    /* Sealing is randomized: the same message seals differently each time. */
    char *again = crypto_seal(f->ka, msg, strlen(msg));
    assert_non_null(again);
    assert_string_not_equal(sealed, again);
    free(again);
    free(sealed);
}

static void test_seal_empty_and_binary(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    size_t len = 99;
    char *sealed = crypto_seal(f->ka, "", 0);
    assert_non_null(sealed);
    char *plain = crypto_unseal(f->a, sealed, &len, err, sizeof err);
    assert_non_null(plain);
    assert_int_equal(len, 0);
    assert_string_equal(plain, "");
    free(plain);
    free(sealed);

    const char bin[] = {'a', '\0', 'b', '\xff'};
    sealed = crypto_seal(f->ka, bin, sizeof bin);
    assert_non_null(sealed);
    plain = crypto_unseal(f->a, sealed, &len, err, sizeof err);
    assert_non_null(plain);
    assert_int_equal(len, sizeof bin);
    assert_memory_equal(plain, bin, sizeof bin);
    free(plain);
    free(sealed);
}

static void test_unseal_with_other_key_fails(void **state)
{
    struct fixture *f = *state;
    char *sealed = crypto_seal(f->ka, "secret", 6);
    assert_non_null(sealed);
    char err[256] = "";
    size_t len = 0;
    char *plain = crypto_unseal(f->b, sealed, &len, err, sizeof err);
    if (plain) {
        free(plain);
        fail_msg("opened with another data dir's key");
    }
    assert_int_not_equal(strlen(err), 0);
    free(sealed);
}

static void test_unseal_rejects_garbage(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    const char *bad[] = {"", "not base64!", "AAAA", "c2hvcnQ="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        char *plain = crypto_unseal(f->a, bad[i], NULL, err, sizeof err);
        if (plain) {
            free(plain);
            fail_msg("opened \"%s\"", bad[i]);
        }
        assert_int_not_equal(strlen(err), 0);
    }
}

static void test_unseal_tampered_fails(void **state)
{
    struct fixture *f = *state;
    char *sealed = crypto_seal(f->ka, "report body", 11);
    assert_non_null(sealed);
    size_t mid = strlen(sealed) / 2;
    sealed[mid] = sealed[mid] == 'A' ? 'B' : 'A';
    char err[256] = "";
    char *plain = crypto_unseal(f->a, sealed, NULL, err, sizeof err);
    if (plain) {
        free(plain);
        fail_msg("a tampered sealed message opened");
    }
    free(sealed);
}

static void test_unseal_without_secret_key_names_it(void **state)
{
    struct fixture *f = *state;
    char *sealed = crypto_seal(f->ka, "x", 1);
    assert_non_null(sealed);
    char p[256], err[256] = "";
    path_join(p, sizeof p, f->a, "seal.key");
    assert_int_equal(unlink(p), 0);
    assert_null(crypto_unseal(f->a, sealed, NULL, err, sizeof err));
    assert_contains(err, p);
    free(sealed);
}

/* ---- wrapping ---- */

static void test_wrap_round_trip(void **state)
{
    struct fixture *f = *state;
    const char *msg = "{\"id\":\"R-ABCD-EFGH-JKMN\",\"status\":202}";
    char *box = crypto_wrap(f->ka, msg);
    assert_non_null(box);
    assert_not_contains(box, "R-ABCD");
    char out[128];
    assert_int_equal(crypto_unwrap(f->ka, box, out, sizeof out), 0);
    assert_string_equal(out, msg);

    char *box2 = crypto_wrap(f->ka, msg);
    assert_non_null(box2);
    assert_string_not_equal(box, box2); /* a fresh nonce each time */
    free(box2);
    free(box);

    box = crypto_wrap(f->ka, "");
    assert_non_null(box);
    out[0] = 'x';
    assert_int_equal(crypto_unwrap(f->ka, box, out, sizeof out), 0);
    assert_string_equal(out, "");
    free(box);
}

static void test_unwrap_tampered_or_other_key(void **state)
{
    struct fixture *f = *state;
    char *box = crypto_wrap(f->ka, "remembered answer");
    assert_non_null(box);
    char out[128];
    assert_int_equal(crypto_unwrap(f->kb, box, out, sizeof out), -1);

    size_t mid = strlen(box) / 2;
    box[mid] = box[mid] == 'A' ? 'B' : 'A';
    assert_int_equal(crypto_unwrap(f->ka, box, out, sizeof out), -1);
    free(box);

    assert_int_equal(crypto_unwrap(f->ka, "", out, sizeof out), -1);
    assert_int_equal(crypto_unwrap(f->ka, "%%%%", out, sizeof out), -1);
    assert_int_equal(crypto_unwrap(f->ka, "AAAA", out, sizeof out), -1);
}

static void test_unwrap_out_too_small(void **state)
{
    struct fixture *f = *state;
    char *box = crypto_wrap(f->ka, "hello");
    assert_non_null(box);
    char out[6];
    /* 5 bytes and the NUL need 6: 5 is one too few. */
    assert_int_equal(crypto_unwrap(f->ka, box, out, 5), -1);
    assert_int_equal(crypto_unwrap(f->ka, box, out, 1), -1);
    assert_int_equal(crypto_unwrap(f->ka, box, out, 6), 0);
    assert_string_equal(out, "hello");
    free(box);
}

/* ---- random values ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_random_id_format(void **state)
{
    (void)state;
    for (int n = 0; n < 1000; n++) {
        char id[CRYPTO_ID_LEN];
        crypto_random_id('R', id);
        assert_int_equal(strlen(id), 16);
        assert_int_equal(id[0], 'R');
        for (int i = 1; i < 16; i++) {
            if (i == 1 || i == 6 || i == 11) {
                assert_int_equal(id[i], '-');
            } else if (!strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", id[i])) {
                fail_msg("%s: '%c' is not Crockford base32", id, id[i]);
            }
        }
    }
    char p[CRYPTO_ID_LEN];
    crypto_random_id('P', p);
    assert_int_equal(p[0], 'P');
}

static void test_random_id_distinct(void **state)
{
    (void)state;
    enum { N = 10000 };
    char(*ids)[CRYPTO_ID_LEN] = calloc(N, CRYPTO_ID_LEN);
    assert_non_null(ids);
    for (int i = 0; i < N; i++)
        crypto_random_id('R', ids[i]);
    qsort(ids, N, CRYPTO_ID_LEN, cmp_str);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    /* Every character position varies (a stuck position would show as one value here). */
    for (int pos = 2; pos < 16; pos++) {
        if (pos == 6 || pos == 11)
            continue;
        bool seen[256] = {false};
        int distinct = 0;
        for (int i = 0; i < N; i++)
            if (!seen[(unsigned char)ids[i][pos]]) {
                seen[(unsigned char)ids[i][pos]] = true;
                distinct++;
            }
        assert_int_equal(distinct, 32);
    }
    free(ids);
}

static void test_random_secret_format(void **state)
{
    (void)state;
    char s1[CRYPTO_SECRET_LEN], s2[CRYPTO_SECRET_LEN];
    crypto_random_secret(s1);
    crypto_random_secret(s2);
    assert_int_equal(strlen(s1), 26);
    assert_int_equal(strspn(s1, "0123456789abcdefghjkmnpqrstvwxyz"), 26);
    assert_string_not_equal(s1, s2);
}

static void test_random_apikey_format(void **state)
{
    (void)state;
    char k1[48], k2[48];
    memset(k1, 'Z', sizeof k1);
    crypto_random_apikey(k1);
    crypto_random_apikey(k2);
    assert_int_equal(strlen(k1), 47);
    assert_memory_equal(k1, "jbk_", 4);
    assert_int_equal(strspn(k1 + 4, "0123456789abcdefghjkmnpqrstvwxyz"), 43);
    assert_string_not_equal(k1, k2);
}

static void test_equal(void **state)
{
    (void)state;
    assert_int_equal(crypto_equal("abcdef", "abcdef", 6), true);
    assert_int_equal(crypto_equal("abcdef", "abcdeg", 6), false);
    assert_int_equal(crypto_equal("xbcdef", "abcdef", 6), false);
    assert_int_equal(crypto_equal("abcdef", "abcxyz", 3), true); /* only len bytes count */
    assert_int_equal(crypto_equal("", "", 0), true);
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
        T(test_keys_create_then_exist),
        T(test_keys_create_differ_per_dir),
        T(test_keys_create_unwritable),
        T(test_keys_load_missing_names_path),
        T(test_keys_load_wrong_size),
        T(test_pseudonym_needs_the_key_of_its_day),
        T(test_day_keys_shared_wrapped_and_forgotten),
        T(test_pseudonym_stable_within_day),
        T(test_pseudonym_changes_with_day_address_key),
        T(test_pseudonym_hides_address),
        T(test_keyed_hash_purposes_differ),
        T(test_audit_hash_covers_every_field),
        T(test_keyed_hash_stable_and_keyed),
        T(test_digest_known_answer),
        T(test_seal_round_trip),
        T(test_seal_empty_and_binary),
        T(test_unseal_with_other_key_fails),
        T(test_unseal_rejects_garbage),
        T(test_unseal_tampered_fails),
        T(test_unseal_without_secret_key_names_it),
        T(test_wrap_round_trip),
        T(test_unwrap_tampered_or_other_key),
        T(test_unwrap_out_too_small),
        T(test_random_id_format),
        T(test_random_id_distinct),
        T(test_random_secret_format),
        T(test_random_apikey_format),
        T(test_equal),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
