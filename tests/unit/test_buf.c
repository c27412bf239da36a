/* Unit tests for lib/buf.h: growth, JSON string escaping, HTML escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

/* The quoted JSON form of the len bytes at s, as buf_json_str writes it into a fresh buffer. */
static void assert_json_str(const char *s, size_t len, const char *want)
{
    struct buf b = {0};
    buf_json_str(&b, s, len);
    assert_false(b.oom);
    assert_string_equal(b.p, want);
    assert_int_equal(b.len, strlen(want));
    buf_free(&b);
}

static void test_json_str_plain(void **state)
{
    (void)state;
    assert_json_str("", 0, "\"\"");
    assert_json_str("hello, world", 12, "\"hello, world\"");
}

static void test_json_str_quote_and_backslash(void **state)
{
    (void)state;
    assert_json_str("a\"b", 3, "\"a\\\"b\"");
    assert_json_str("a\\b", 3, "\"a\\\\b\"");
    assert_json_str("\"\\\"", 3, "\"\\\"\\\\\\\"\"");
}

static void test_json_str_control_characters(void **state)
{
    (void)state;
    assert_json_str("\n", 1, "\"\\u000a\"");
    assert_json_str("a\tb\rc", 5, "\"a\\u0009b\\u000dc\"");
    assert_json_str("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    /* An explicit length: a NUL byte inside is escaped, not the end of the string. */
    assert_json_str("a\0b", 3, "\"a\\u0000b\"");
    /* DEL is not a JSON control character and space is printable. */
    assert_json_str("\x7f ", 2, "\"\x7f \"");
}

static void test_json_str_html_specials(void **state)
{
    (void)state;
    /* So that a JSON answer cannot close a <script> or open a tag when embedded in a page. */
    assert_json_str("</script>", 9, "\"\\u003c/script\\u003e\"");
    assert_json_str("a&b", 3, "\"a\\u0026b\"");
    assert_json_str("<&>", 3, "\"\\u003c\\u0026\\u003e\"");
}

static void test_json_str_utf8_passes_through(void **state)
{
    (void)state;
    const char *s = "举报 😀 é";
    size_t len = strlen(s);
    char want[64];
    snprintf(want, sizeof want, "\"%s\"", s);
    assert_json_str(s, len, want);
    /* U+2028 (LINE SEPARATOR) is valid inside a JSON string and is left as it is. */
    assert_json_str("\xe2\x80\xa8", 3, "\"\xe2\x80\xa8\"");
}

static void test_json_str_respects_length(void **state)
{
    (void)state;
    /* Only len bytes are read: "abc" of "abcdef". */
    assert_json_str("abcdef", 3, "\"abc\"");
}

static void test_json_kv_commas(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "code", "not_found");
    buf_json_kv(&b, "message", "no \"such\" <thing>");
    buf_puts(&b, ",\"list\":["); /* no comma after '[' either */
    buf_json_kv(&b, "k", "v");
    buf_puts(&b, "]}");
    assert_false(b.oom);
    assert_string_equal(b.p, "{\"code\":\"not_found\",\"message\":\"no \\\"such\\\" "
                             "\\u003cthing\\u003e\",\"list\":[\"k\":\"v\"]}");
    buf_free(&b);
}

static void test_json_kv_into_empty_buffer(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_json_kv(&b, "a", "b");
    assert_string_equal(b.p, "\"a\":\"b\"");
    buf_free(&b);
}

static void test_printf_grows_past_256_bytes(void **state)
{
    (void)state;
    struct buf b = {0};
    char want[2048] = "";
    size_t wlen = 0;
    for (int i = 0; i < 100; i++) {
        buf_printf(&b, "%03d:%s;", i, "abcdefghij");
        wlen += (size_t)snprintf(want + wlen, sizeof want - wlen, "%03d:%s;", i, "abcdefghij");
    }
    assert_false(b.oom);
    assert_int_equal(b.len, 1500);
    assert_int_equal(b.len, wlen);
    assert_in_range(b.cap, b.len + 1, SIZE_MAX);
    assert_string_equal(b.p, want);
    buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
}

static void test_printf_single_large_write(void **state)
{
    (void)state;
    struct buf b = {0};
    char big[1001];
    memset(big, 'x', 1000);
    big[1000] = '\0';
    buf_puts(&b, "<");
    buf_printf(&b, "%s|%d", big, 42);
    assert_false(b.oom);
    assert_int_equal(b.len, 1 + 1000 + 3);
    assert_memory_equal(b.p + 1, big, 1000);
    assert_string_equal(b.p + 1001, "|42");
    assert_int_equal(b.p[0], '<');
    buf_free(&b);
}

static void test_add_keeps_nul_terminated(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_add(&b, "abc", 3);
    buf_add(&b, "", 0);
    buf_add(&b, "defg", 2);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.p, "abcde");
    buf_free(&b);
}

static void test_html_escapes_five_characters(void **state)
{
    (void)state;
    struct buf b = {0};
    const char *s = "<a href=\"x\" title='y'>Tom & Jerry</a>";
    buf_html(&b, s, strlen(s));
    assert_false(b.oom);
    assert_string_equal(b.p, "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;");
    buf_free(&b);
}

static void test_html_plain_and_utf8_unchanged(void **state)
{
    (void)state;
    struct buf b = {0};
    const char *s = "网络诈骗 report #1";
    buf_html(&b, s, strlen(s));
    assert_string_equal(b.p, s);
    buf_free(&b);

    struct buf e = {0};
    buf_html(&e, "&&", 2);
    assert_string_equal(e.p, "&amp;&amp;");
    buf_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_str_plain),
        cmocka_unit_test(test_json_str_quote_and_backslash),
        cmocka_unit_test(test_json_str_control_characters),
        cmocka_unit_test(test_json_str_html_specials),
        cmocka_unit_test(test_json_str_utf8_passes_through),
        cmocka_unit_test(test_json_str_respects_length),
        cmocka_unit_test(test_json_kv_commas),
        cmocka_unit_test(test_json_kv_into_empty_buffer),
        cmocka_unit_test(test_printf_grows_past_256_bytes),
        cmocka_unit_test(test_printf_single_large_write),
        cmocka_unit_test(test_add_keeps_nul_terminated),
        cmocka_unit_test(test_html_escapes_five_characters),
        cmocka_unit_test(test_html_plain_and_utf8_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
