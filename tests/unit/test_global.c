/* Unit tests for lib/global.h: one shard keeps every global key under {0}; with more, each
 * owner's keys carry its own tag, a session token names its reviewer's slot, and clients
 * spread over the buckets with a key that is the same every day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "global.h"

static const char hash[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* The bucket number of a prefix "jb:{<letter>:<b>}:", or -1 when it is not of that form. */
static long bucket(const char *prefix, char letter)
{
    char want[8];
    snprintf(want, sizeof want, "jb:{%c:", letter);
    if (strncmp(prefix, want, 6) != 0)
        return -1;
    char *end;
    long b = strtol(prefix + 6, &end, 10);
    return strcmp(end, "}:") == 0 && b >= 0 && b < GLOBAL_BUCKETS ? b : -1;
}

static void test_one_shard_keeps_every_global_key_under_0(void **state)
{
    (void)state;
    struct shards *s = shards_new(1);
    char p[GLOBAL_PREFIX_MAX];
    const enum global_owner owners[] = {GLOBAL_KEY, GLOBAL_KEYNAME, GLOBAL_REVIEWER,
                                        GLOBAL_TOKEN};
    for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
        global_prefix(s, owners[i], i == 0 ? hash : "someone", p);
        assert_string_equal(p, "jb:{0}:");
    }
    global_client_prefix(s, NULL, "192.0.2.1", p);     /* no key needed: nothing hashed */
    assert_string_equal(p, "jb:{0}:");
    shards_free(s);
}

static void test_each_owner_has_its_own_tag(void **state)
{
    (void)state;
    struct shards *s = shards_new(16);
    char p[GLOBAL_PREFIX_MAX], q[GLOBAL_PREFIX_MAX];
    global_prefix(s, GLOBAL_KEY, hash, p);
    assert_string_equal(p, "jb:{k:0123456789abcdef}:");
    global_prefix(s, GLOBAL_KEYNAME, "platform-a", p);
    global_prefix(s, GLOBAL_REVIEWER, "platform-a", q);
    assert_true(bucket(p, 'n') >= 0);
    assert_int_equal(bucket(p, 'n'), bucket(q, 'r'));  /* one hash of the name, two tags */
    int seen[GLOBAL_BUCKETS] = {0}, distinct = 0;
    for (int i = 0; i < 200; i++) {
        char name[16];
        snprintf(name, sizeof name, "rev-%d", i);
        global_prefix(s, GLOBAL_REVIEWER, name, p);
        long b = bucket(p, 'r');
        assert_true(b >= 0);
        distinct += !seen[b]++;
    }
    assert_true(distinct > 150);    /* 200 names in 1024 buckets: ~181 distinct */
    shards_free(s);
}

static void test_a_token_names_its_reviewers_slot(void **state)
{
    (void)state;
    struct shards *s = shards_new(4);
    for (int i = 0; i < 50; i++) {
        char name[16], token[CRYPTO_TOKEN_LEN], before[CRYPTO_TOKEN_LEN];
        char by_token[GLOBAL_PREFIX_MAX], by_name[GLOBAL_PREFIX_MAX];
        snprintf(name, sizeof name, "r%d", i);
        crypto_random_token(token);
        memcpy(before, token, sizeof token);
        global_token_mark(name, token);
        assert_int_equal(strlen(token), CRYPTO_TOKEN_LEN - 1);
        assert_int_equal(strspn(token, "0123456789abcdefghjkmnpqrstvwxyz"), CRYPTO_TOKEN_LEN - 1);
        assert_string_equal(token + 2, before + 2);     /* the rest stays random */
        global_prefix(s, GLOBAL_TOKEN, token, by_token);
        global_prefix(s, GLOBAL_REVIEWER, name, by_name);
        assert_string_equal(by_token, by_name);
    }
    shards_free(s);
}

static void test_clients_spread_with_a_key_that_does_not_change(void **state)
{
    (void)state;
    char dir[] = "/tmp/jubao-global-XXXXXX", err[256];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(keys_create(dir, err, sizeof err), 1);
    struct keys *k = keys_load(dir, err, sizeof err);
    assert_non_null(k);
    struct shards *s = shards_new(4);
    char p[GLOBAL_PREFIX_MAX], q[GLOBAL_PREFIX_MAX];
    global_client_prefix(s, k, "192.0.2.1", p);
    global_client_prefix(s, k, "192.0.2.1", q);
    assert_string_equal(p, q);
    int seen[GLOBAL_BUCKETS] = {0}, distinct = 0;
    for (int i = 0; i < 200; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "198.51.100.%d", i);
        global_client_prefix(s, k, addr, p);
        long b = bucket(p, 'c');
        assert_true(b >= 0);
        distinct += !seen[b]++;
    }
    assert_true(distinct > 150);
    shards_free(s);
    keys_free(k);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    if (crypto_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_shard_keeps_every_global_key_under_0),
        cmocka_unit_test(test_each_owner_has_its_own_tag),
        cmocka_unit_test(test_a_token_names_its_reviewers_slot),
        cmocka_unit_test(test_clients_spread_with_a_key_that_does_not_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
