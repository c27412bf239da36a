/* Unit tests for lib/crypto.h: key files, sealing, wrapping, random ids and secrets, and the
 * constant-time compare. Pseudonyms, day keys and hashes are in test_crypto_hash.c.
 * Every test gets fresh data directories under mkdtemp and removes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "assert_text.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "crypto_fixture.h"

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
