/* Unit tests for lib/shard.h: the prefixes of the shards (one shard is the unsharded layout),
 * a URL's shard, ids that name their shard, and that new ids stay random. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "assert_text.h"

#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "shard.h"

static void test_one_shard_is_the_unsharded_layout(void **state)
{
    (void)state;
    struct shards *s = shards_new(1);
    assert_non_null(s);
    assert_string_equal(shards_prefix(s, 0), "jb:{0}:");
    assert_null(shards_prefix(s, 1));
    assert_int_equal(shards_of_id(s, "R-ABCD-EFGH-JKMN"), 0);
    shards_free(s);
}

static void test_prefixes_carry_the_shard_tags(void **state)
{
    (void)state;
    struct shards *s = shards_new(16);
    assert_non_null(s);
    assert_string_equal(shards_prefix(s, 0), "jb:{s7920}:"); /* docs/SCALING.md */
    for (unsigned i = 0; i < 16; i++) {
        char tag[16], want[32];
        assert_true(cluster_shard_tag(i, 16, tag, sizeof tag) > 0);
        snprintf(want, sizeof want, "jb:{%s}:", tag);
        assert_string_equal(shards_prefix(s, i), want);
    }
    assert_null(shards_new(0));
    assert_null(shards_new(CLUSTER_SHARDS_MAX + 1));
    shards_free(s);
    shards_free(NULL);
}

static void test_a_url_hash_names_a_shard(void **state)
{
    (void)state;
    struct shards *s = shards_new(16);
    assert_int_equal(shards_of_url(s, "0000001f00aa"), 0x1f % 16);
    assert_int_equal(shards_of_url(s, "ffffffff"), 0xffffffffu % 16);
    assert_int_equal(shards_of_url(s, "xyz"), 0);
    shards_free(s);
}

static void test_new_ids_name_their_shard(void **state)
{
    (void)state;
    struct shards *s = shards_new(16);
    char seen[64][SHARD_ID_LEN];
    for (unsigned k = 0; k < 64; k++) {
        unsigned i = k % 16;
        shards_id_new(s, 'R', i, seen[k]);
        assert_int_equal(strlen(seen[k]), SHARD_ID_LEN - 1);
        assert_int_equal(seen[k][0], 'R');
        assert_int_equal(shards_of_id(s, seen[k]), (int)i);
        for (unsigned m = 0; m < k; m++)
            assert_string_not_equal(seen[m], seen[k]);
    }
    /* the number is the twelve characters in base32: 1 * 32 + 1 = 33, shard 33 % 16 */
    assert_int_equal(shards_of_id(s, "C-0000-0000-0011"), 1);
    assert_int_equal(shards_of_id(s, "C-0000-0000-001Z"), (32 + 31) % 16);
    assert_int_equal(shards_of_id(s, "C-0000-0000-00U1"), -1); /* no U in the alphabet */
    assert_int_equal(shards_of_id(s, "C-0000-0000-001"), -1);
    assert_int_equal(shards_of_id(s, "C00000000000011"), -1);
    shards_free(s);
    struct shards *big = shards_new(1000);
    char id[SHARD_ID_LEN];
    shards_id_new(big, 'C', 999, id);
    assert_int_equal(shards_of_id(big, id), 999);
    shards_free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_shard_is_the_unsharded_layout),
        cmocka_unit_test(test_prefixes_carry_the_shard_tags),
        cmocka_unit_test(test_a_url_hash_names_a_shard),
        cmocka_unit_test(test_new_ids_name_their_shard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
