/* Unit tests for lib/jdoc.h: strict parsing (duplicates, UTF-8, NUL, trailing data, top level,
 * nesting depth), access and iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jdoc.h"

#define DEPTH 16

/* Parses a NUL-terminated text with the depth limit DEPTH. */
static struct jdoc *parse(const char *text, char *err, size_t errlen)
{
    return jdoc_parse(text, strlen(text), DEPTH, err, errlen);
}

/* Asserts that text is refused with a non-empty reason. */
#define assert_rejected(text)                                          \
    do {                                                               \
        char err_[160] = "";                                           \
        struct jdoc *d_ = parse(text, err_, sizeof err_);              \
        if (d_) {                                                      \
            jdoc_free(d_);                                             \
            fail_msg("accepted: %s", text);                            \
        }                                                              \
        assert_int_not_equal(strlen(err_), 0);                         \
    } while (0)

#define assert_accepted(text)                                          \
    do {                                                               \
        char err_[160] = "";                                           \
        struct jdoc *d_ = parse(text, err_, sizeof err_);              \
        if (!d_)                                                       \
            fail_msg("rejected: %s (%s)", text, err_);                 \
        jdoc_free(d_);                                                 \
    } while (0)

/* n objects nested as {"a":{"a":...{}...}}; the caller frees it. */
static char *nested_objects(int n)
{
    size_t cap = (size_t)n * 6 + 1;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = 0;
    for (int i = 0; i < n - 1; i++)
        len += (size_t)snprintf(s + len, cap - len, "{\"a\":");
    len += (size_t)snprintf(s + len, cap - len, "{}");
    for (int i = 0; i < n - 1; i++)
        s[len++] = '}';
    s[len] = '\0';
    return s;
}

static void test_parse_minimal_object(void **state)
{
    (void)state;
    char err[160] = "";
    struct jdoc *d = parse("{\"url\":\"https://example.com/\",\"n\":1}", err, sizeof err);
    assert_non_null(d);
    assert_int_equal(jdoc_type(d), JDOC_OBJECT);
    assert_int_equal(jdoc_size(d), 2);
    size_t len = 0;
    const char *s = jdoc_string(jdoc_get(d, "url"), &len);
    assert_string_equal(s, "https://example.com/");
    assert_int_equal(len, strlen("https://example.com/"));
    assert_null(jdoc_get(d, "missing"));
    assert_null(jdoc_string(jdoc_get(d, "n"), &len)); /* not a string */
    jdoc_free(d);
}

static void test_duplicate_keys_rejected(void **state)
{
    (void)state;
    assert_rejected("{\"a\":1,\"a\":2}");
    assert_rejected("{\"url\":\"x\",\"category\":\"rumor\",\"url\":\"y\"}");
    assert_rejected("{\"o\":{\"k\":1,\"k\":1}}"); /* nested too */
    assert_accepted("{\"a\":1,\"A\":2}");         /* keys are case-sensitive */
}

static void test_invalid_utf8_rejected(void **state)
{
    (void)state;
    assert_rejected("{\"a\":\"\xc0\xaf\"}");          /* overlong */
    assert_rejected("{\"a\":\"\xed\xa0\x80\"}");      /* surrogate */
    assert_rejected("{\"a\":\"\xf4\x90\x80\x80\"}");  /* beyond U+10FFFF */
    assert_rejected("{\"a\":\"\xe4\xb8\"}");          /* truncated */
    assert_rejected("{\"\xff\":\"x\"}");              /* in a key */
    assert_rejected("{\"a\":\"\\ud800\"}");           /* a lone escaped surrogate */
    assert_accepted("{\"a\":\"举报 😀\"}");
    assert_accepted("{\"a\":\"\\ud83d\\ude00\"}");    /* an escaped pair is fine */
}

/* An escaped NUL in a value is kept, with the length, so that the field checks can name the
 * field (report_validate answers control_characters); in a key it is refused. */
static void test_nul_in_string_kept_with_length(void **state)
{
    (void)state;
    char err[160] = "";
    static const char text[] = "{\"a\":\"x\\u0000y\"}";
    struct jdoc *d = jdoc_parse(text, sizeof text - 1, 16, err, sizeof err);
    assert_non_null(d);
    size_t len = 0;
    const char *s = jdoc_string(jdoc_get(d, "a"), &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x\0y", 3);
    jdoc_free(d);
    assert_rejected("{\"a\\u0000b\":1}");
}

static void test_raw_nul_byte_rejected(void **state)
{
    (void)state;
    static const char text[] = "{\"a\":\"x\0y\"}";
    char err[160] = "";
    struct jdoc *d = jdoc_parse(text, sizeof text - 1, DEPTH, err, sizeof err);
    if (d) {
        jdoc_free(d);
        fail_msg("accepted a raw NUL byte inside a string");
    }
}

static void test_trailing_garbage_rejected(void **state)
{
    (void)state;
    assert_rejected("{\"a\":1}x");
    assert_rejected("{\"a\":1}{}");
    assert_rejected("{\"a\":1},");
    assert_accepted("{\"a\":1} \n\t "); /* whitespace is not garbage */
}

static void test_length_is_respected(void **state)
{
    (void)state;
    /* Only len bytes are parsed: the trailing garbage is past it. */
    const char *text = "{\"a\":1}garbage";
    char err[160] = "";
    struct jdoc *d = jdoc_parse(text, 7, DEPTH, err, sizeof err);
    assert_non_null(d);
    jdoc_free(d);
}

static void test_top_level_must_be_object(void **state)
{
    (void)state;
    assert_rejected("[]");
    assert_rejected("[{\"a\":1}]");
    assert_rejected("\"string\"");
    assert_rejected("42");
    assert_rejected("null");
    assert_rejected("true");
    assert_rejected("");
    assert_rejected("   ");
    assert_accepted("{}");
}

static void test_depth_limit(void **state)
{
    (void)state;
    char err[160] = "";
    char *ok = nested_objects(DEPTH);
    char *deep = nested_objects(DEPTH + 1);
    struct jdoc *d = jdoc_parse(ok, strlen(ok), DEPTH, err, sizeof err);
    if (!d)
        fail_msg("%d nested objects rejected: %s", DEPTH, err);
    jdoc_free(d);
    d = jdoc_parse(deep, strlen(deep), DEPTH, err, sizeof err);
    if (d) {
        jdoc_free(d);
        fail_msg("%d nested objects accepted with a limit of %d", DEPTH + 1, DEPTH);
    }
    assert_string_equal(err, "nested deeper than 16 levels");
    free(ok);
    free(deep);
}

static void test_depth_counts_arrays(void **state)
{
    (void)state;
    /* The object, then 15 arrays: 16 levels. One more array: 17. */
    assert_accepted("{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}");
    assert_rejected("{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}");
    /* Siblings do not add up: depth is nesting, not a count of brackets. */
    assert_accepted("{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]],\"b\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}");
}

static void test_depth_ignores_brackets_in_strings(void **state)
{
    (void)state;
    assert_accepted("{\"a\":\"[[[[[[[[[[[[[[[[[[\"}");
    assert_accepted("{\"a\":\"{{{{{{{{{{{{{{{{{{\"}");
    assert_accepted("{\"[[[[[[[[[[[[[[[[[[\":1}");
    /* An escaped quote does not end the string. */
    assert_accepted("{\"a\":\"\\\"[[[[[[[[[[[[[[[[[[\"}");
    /* An escaped backslash does, so brackets after it count. */
    assert_rejected("{\"a\":\"\\\\\",\"b\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}");
}

static void test_depth_limit_reported_before_parse(void **state)
{
    (void)state;
    /* 100000 unclosed arrays: refused by the scan, whatever jansson would say. */
    size_t n = 100000;
    char *s = malloc(n + 7);
    assert_non_null(s);
    memcpy(s, "{\"a\":", 5);
    memset(s + 5, '[', n);
    s[n + 5] = '\0';
    char err[160] = "";
    struct jdoc *d = jdoc_parse(s, n + 5, DEPTH, err, sizeof err);
    assert_null(d);
    assert_string_equal(err, "nested deeper than 16 levels");
    free(s);
}

static void test_next_visits_every_key_once(void **state)
{
    (void)state;
    const char *keys[] = {"url", "category", "title", "description", "contact", "language"};
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    char err[160] = "";
    struct jdoc *d = parse("{\"url\":\"u\",\"category\":\"c\",\"title\":\"t\",\"description\":"
                           "\"d\",\"contact\":\"c\",\"language\":\"l\"}",
                           err, sizeof err);
    assert_non_null(d);
    int seen[NKEYS] = {0};
    int visits = 0;
    void *it = NULL;
    const struct jdoc *v = NULL;
    const char *key;
    while ((key = jdoc_next(d, &it, &v))) {
        visits++;
        int found = -1;
        for (int i = 0; i < NKEYS; i++)
            if (strcmp(keys[i], key) == 0)
                found = i;
        if (found < 0)
            fail_msg("unexpected key \"%s\"", key);
        seen[found]++;
        /* The value is the member's own. */
        assert_ptr_equal(v, jdoc_get(d, key));
        assert_int_equal(jdoc_string(v, NULL)[0], key[0]);
    }
    assert_int_equal(visits, NKEYS);
    for (int i = 0; i < NKEYS; i++)
        assert_int_equal(seen[i], 1);
    jdoc_free(d);
}

static void test_next_on_empty_object(void **state)
{
    (void)state;
    char err[160] = "";
    struct jdoc *d = parse("{}", err, sizeof err);
    assert_non_null(d);
    void *it = NULL;
    const struct jdoc *v = NULL;
    assert_null(jdoc_next(d, &it, &v));
    assert_int_equal(jdoc_size(d), 0);
    jdoc_free(d);
}

static void test_type_names(void **state)
{
    (void)state;
    char err[160] = "";
    struct jdoc *d = parse("{\"o\":{},\"a\":[1,2,3],\"s\":\"x\",\"i\":1,\"r\":1.5,\"t\":true,"
                           "\"f\":false,\"n\":null}",
                           err, sizeof err);
    assert_non_null(d);
    assert_string_equal(jdoc_type_name(d), "an object");
    assert_string_equal(jdoc_type_name(jdoc_get(d, "o")), "an object");
    assert_string_equal(jdoc_type_name(jdoc_get(d, "a")), "an array");
    assert_string_equal(jdoc_type_name(jdoc_get(d, "s")), "a string");
    assert_string_equal(jdoc_type_name(jdoc_get(d, "i")), "a number");
    assert_string_equal(jdoc_type_name(jdoc_get(d, "r")), "a number");
    assert_string_equal(jdoc_type_name(jdoc_get(d, "t")), "a boolean");
    assert_string_equal(jdoc_type_name(jdoc_get(d, "f")), "a boolean");
    assert_string_equal(jdoc_type_name(jdoc_get(d, "n")), "null");
    assert_int_equal(jdoc_type(jdoc_get(d, "n")), JDOC_NULL);
    assert_int_equal(jdoc_type(jdoc_get(d, "r")), JDOC_NUMBER);
    jdoc_free(d);
}

static void test_array_access(void **state)
{
    (void)state;
    char err[160] = "";
    struct jdoc *d = parse("{\"reports\":[{\"url\":\"a\"},{\"url\":\"b\"}]}", err, sizeof err);
    assert_non_null(d);
    const struct jdoc *arr = jdoc_get(d, "reports");
    assert_int_equal(jdoc_type(arr), JDOC_ARRAY);
    assert_int_equal(jdoc_size(arr), 2);
    assert_string_equal(jdoc_string(jdoc_get(jdoc_at(arr, 1), "url"), NULL), "b");
    assert_null(jdoc_at(arr, 2));
    assert_int_equal(jdoc_size(jdoc_get(jdoc_at(arr, 0), "url")), 0); /* a string has no size */
    jdoc_free(d);
}

static void test_string_with_escapes(void **state)
{
    (void)state;
    char err[160] = "";
    struct jdoc *d = parse("{\"s\":\"a\\nb\\u4e2d\\\"\"}", err, sizeof err);
    assert_non_null(d);
    size_t len = 0;
    const char *s = jdoc_string(jdoc_get(d, "s"), &len);
    assert_string_equal(s, "a\nb中\"");
    assert_int_equal(len, 7);
    jdoc_free(d);
}

static void test_malformed_rejected(void **state)
{
    (void)state;
    assert_rejected("{");
    assert_rejected("{\"a\":}");
    assert_rejected("{\"a\":1,}");
    assert_rejected("{'a':1}");
    assert_rejected("{\"a\":01}");
    assert_rejected("{a:1}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_minimal_object),
        cmocka_unit_test(test_duplicate_keys_rejected),
        cmocka_unit_test(test_invalid_utf8_rejected),
        cmocka_unit_test(test_nul_in_string_kept_with_length),
        cmocka_unit_test(test_raw_nul_byte_rejected),
        cmocka_unit_test(test_trailing_garbage_rejected),
        cmocka_unit_test(test_length_is_respected),
        cmocka_unit_test(test_top_level_must_be_object),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_depth_counts_arrays),
        cmocka_unit_test(test_depth_ignores_brackets_in_strings),
        cmocka_unit_test(test_depth_limit_reported_before_parse),
        cmocka_unit_test(test_next_visits_every_key_once),
        cmocka_unit_test(test_next_on_empty_object),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_array_access),
        cmocka_unit_test(test_string_with_escapes),
        cmocka_unit_test(test_malformed_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
