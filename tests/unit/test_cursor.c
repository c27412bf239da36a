/* Unit tests for gateway/cursor.h: which cursors the decisions feed reads, and where it reads
 * on after each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cursor.h"

#define MAX "18446744073709551615"

static void assert_successor(const char *cursor, const char *want)
{
    struct cursor c;
    char out[CURSOR_LEN];
    if (!cursor_parse(cursor, &c))
        fail_msg("\"%s\" is refused", cursor);
    bool some = cursor_successor(&c, out);
    assert_string_equal(out, want);
    assert_int_equal(some, want[0] != '\0');
}

static void test_reads_zero_and_stream_ids(void **state)
{
    (void)state;
    assert_successor("0", "0-1");
    assert_successor("0-0", "0-1");
    assert_successor("1700000000000-0", "1700000000000-1");
    assert_successor("1700000000000-41", "1700000000000-42");
}

static void test_successor_carries_at_the_largest_parts(void **state)
{
    (void)state;
    assert_successor("5-" MAX, "6-0");
    assert_successor(MAX "-0", MAX "-1");
    assert_successor("18446744073709551614-" MAX, MAX "-0");
    assert_successor(MAX "-" MAX, "");
    assert_int_equal(strlen(MAX "-" MAX) + 1, CURSOR_LEN);
}

static void test_refuses_what_the_feed_never_issues(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "00", "1", "-", "1-", "-1", "-1-1", "1--1", "1-1-1", "007-1", "1-01", "+1-1",
        "1-+1", " 1-1", "1-1 ", "1-1\n", "a-1", "0x1-1", "1-1e3",
        "18446744073709551616-0", "0-18446744073709551616", "99999999999999999999-1",
        "184467440737095516150-0", "1-000000000000000000001", "1\xc2\xa0-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cursor c = {1, 1};
        if (cursor_parse(bad[i], &c))
            fail_msg("\"%s\" is read as %llu-%llu", bad[i], (unsigned long long)c.ms,
                     (unsigned long long)c.seq);
        assert_true(c.ms == 0 && c.seq == 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_zero_and_stream_ids),
        cmocka_unit_test(test_successor_carries_at_the_largest_parts),
        cmocka_unit_test(test_refuses_what_the_feed_never_issues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
