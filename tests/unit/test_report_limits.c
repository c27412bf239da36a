/* Unit tests for gateway/report.h: the limit of each field, in characters or bytes, at the
 * default and at a configured value, and the control characters a field may or may not hold.
 * Fields, codes, the order of faults and ids are in test_report.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_fixture.h"

/* A report with a valid url and category and one more member "name": "<unit × count>".
 * The caller frees it. */
static char *with_repeated(const char *name, const char *unit, size_t count)
{
    size_t ul = strlen(unit);
    char *value = malloc(ul * count + 1);
    assert_non_null(value);
    for (size_t i = 0; i < count; i++)
        memcpy(value + i * ul, unit, ul);
    value[ul * count] = '\0';
    char *json = NULL;
    int n = strcmp(name, "url") == 0
                ? asprintf(&json, "{\"url\":\"https://example.com/%s\",\"category\":\"rumor\"}",
                           value)
                : asprintf(&json, "{\"url\":\"" OK_URL "\",\"category\":\"rumor\",\"%s\":\"%s\"}",
                           name, value);
    free(value);
    assert_in_range(n, 1, INT32_MAX);
    return json;
}
/* ---- 400: limits ---- */

static void test_url_limit_bytes(void **state)
{
    (void)state;
    /* "https://example.com/" is 20 bytes: 2028 more make 2048, the limit. */
    char *json = with_repeated("url", "a", 2048 - 20);
    accept(json);
    free(json);
    json = with_repeated("url", "a", 2049 - 20);
    struct rejection e = reject(json);
    assert_error(e, 400, "too_long", "url");
    free(json);
}

static void test_title_limit_characters(void **state)
{
    (void)state;
    char *json = with_repeated("title", "a", 300);
    accept(json);
    free(json);
    json = with_repeated("title", "中", 300); /* 900 bytes, 300 characters */
    accept(json);
    free(json);
    json = with_repeated("title", "😀", 300); /* 1200 bytes */
    accept(json);
    free(json);
    json = with_repeated("title", "a", 301);
    struct rejection e = reject(json);
    assert_error(e, 400, "too_long", "title");
    free(json);
    json = with_repeated("title", "中", 301);
    e = reject(json);
    assert_error(e, 400, "too_long", "title");
    free(json);
}

static void test_description_limit_characters(void **state)
{
    (void)state;
    char *json = with_repeated("description", "中", 5000); /* 15000 bytes */
    accept(json);
    free(json);
    json = with_repeated("description", "中", 5001);
    struct rejection e = reject(json);
    assert_error(e, 400, "too_long", "description");
    free(json);
}

static void test_description_limit_counts_escapes_once(void **state)
{
    (void)state;
    /* 5000 characters written as \u escapes in the JSON are still 5000 characters. */
    char *json = with_repeated("description", "\\u4e2d", 5000);
    accept(json);
    free(json);
}

static void test_contact_limit_bytes(void **state)
{
    (void)state;
    char *json = with_repeated("contact", "a", 256);
    accept(json);
    free(json);
    json = with_repeated("contact", "a", 257);
    struct rejection e = reject(json);
    assert_error(e, 400, "too_long", "contact");
    free(json);
    /* Bytes, not characters: 86 Chinese characters are 258 bytes. */
    json = with_repeated("contact", "中", 86);
    e = reject(json);
    assert_error(e, 400, "too_long", "contact");
    free(json);
}

static void test_platform_ref_and_language_limits(void **state)
{
    (void)state;
    char *json = with_repeated("platform_ref", "r", 128);
    accept(json);
    free(json);
    json = with_repeated("platform_ref", "r", 129);
    struct rejection e = reject(json);
    assert_error(e, 400, "too_long", "platform_ref");
    free(json);
    json = with_member("language", "\"zh-Hans-CN-x-abcdefgh-abcdefgh-abcd\""); /* 35 bytes */
    accept(json);
    free(json);
    json = with_member("language", "\"zh-Hans-CN-x-abcdefgh-abcdefgh-abcde\""); /* 36 bytes */
    e = reject(json);
    assert_error(e, 400, "too_long", "language");
    free(json);
}

static void test_limits_follow_conf(void **state)
{
    (void)state;
    struct conf small = conf;
    small.title_max = 3;
    struct jdoc *d = parse("{\"url\":\"" OK_URL "\",\"category\":\"rumor\",\"title\":\"举报了\"}");
    struct report r;
    struct report_error e;
    assert_int_equal(report_validate(d, &small, &r, &e), 0);
    report_free(&r);
    jdoc_free(d);
    d = parse("{\"url\":\"" OK_URL "\",\"category\":\"rumor\",\"title\":\"举报了吗\"}");
    assert_int_equal(report_validate(d, &small, &r, &e), -1);
    struct rejection got = rejection_of(&e);
    assert_error(got, 400, "too_long", "title");
    jdoc_free(d);
}

/* ---- 400: characters ---- */

static void test_control_characters(void **state)
{
    (void)state;
    char *json = with_member("title", "\"bad\\u0001title\"");
    struct rejection e = reject(json);
    assert_error(e, 400, "control_characters", "title");
    free(json);

    json = with_member("title", "\"line\\nbreak\"");
    e = reject(json);
    assert_error(e, 400, "control_characters", "title");
    free(json);

    json = with_member("title", "\"del\\u007f\"");
    e = reject(json);
    assert_error(e, 400, "control_characters", "title");
    free(json);

    json = with_member("contact", "\"a@example.com\\r\\nBcc: x\"");
    e = reject(json);
    assert_error(e, 400, "control_characters", "contact");
    free(json);

    json = with_member("platform_ref", "\"\\t42\"");
    e = reject(json);
    assert_error(e, 400, "control_characters", "platform_ref");
    free(json);

    e = reject("{\"url\":\"https://example.com/\\u001b[31m\",\"category\":\"rumor\"}");
    assert_error(e, 400, "control_characters", "url");
    e = reject("{\"url\":\"https://example.com/\\u0000\",\"category\":\"rumor\"}");
    assert_error(e, 400, "control_characters", "url");
    e = reject("{\"url\":\"https://example.com/\\u007f\",\"category\":\"rumor\"}");
    assert_error(e, 400, "control_characters", "url");

    e = reject("{\"url\":\"" OK_URL "\",\"category\":\"rum\\u001for\"}");
    assert_error(e, 400, "control_characters", "category");
}

/* A link copied across a line break: tab, CR and LF are removed before the URL is parsed
 * (url.c step 1), as WHATWG and Safe Browsing do, instead of refusing the report. */
static void test_url_tab_cr_lf_removed(void **state)
{
    (void)state;
    struct jdoc *d = parse("{\"url\":\"https://exam\\r\\nple.com/po\\tst/1\\n\",\"category\":\"fraud\"}");
    struct report r;
    struct report_error e;
    memset(&e, 0, sizeof e);
    if (report_validate(d, &conf, &r, &e) != 0)
        fail_msg("rejected with %s (%s)", e.code, e.message);
    assert_string_equal(r.canon.canonical, "https://example.com/post/1");
    assert_string_equal(r.canon.original, "https://example.com/post/1");
    report_free(&r);
    jdoc_free(d);
}

static void test_description_multiline(void **state)
{
    (void)state;
    char *json = with_member("description", "\"第一行\\n第二行\\r\\n\\t缩进\"");
    accept(json);
    free(json);
    json = with_member("description", "\"bell\\u0007\"");
    struct rejection e = reject(json);
    assert_error(e, 400, "control_characters", "description");
    free(json);
    json = with_member("description", "\"del\\u007f\"");
    e = reject(json);
    assert_error(e, 400, "control_characters", "description");
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_limit_bytes),
        cmocka_unit_test(test_title_limit_characters),
        cmocka_unit_test(test_description_limit_characters),
        cmocka_unit_test(test_description_limit_counts_escapes_once),
        cmocka_unit_test(test_contact_limit_bytes),
        cmocka_unit_test(test_platform_ref_and_language_limits),
        cmocka_unit_test(test_limits_follow_conf),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_url_tab_cr_lf_removed),
        cmocka_unit_test(test_description_multiline),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
