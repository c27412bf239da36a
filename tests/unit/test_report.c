/* Unit tests for gateway/report.h: validation of one report object (codes, statuses, fields),
 * the canonical URL, the order of faults, and the receipt id and Idempotency-Key checks. The
 * limits in characters or bytes and the characters a field may hold are in test_report_limits.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "report.h"
#include "report_fixture.h"

/* ---- success ---- */

static void test_minimal_valid_report(void **state)
{
    (void)state;
    struct jdoc *d = parse("{\"url\":\"" OK_URL "\",\"category\":\"fraud\"}");
    struct report r;
    struct report_error e;
    assert_int_equal(report_validate(d, &conf, &r, &e), 0);
    assert_memory_equal(r.url.s, OK_URL, strlen(OK_URL));
    assert_int_equal(r.url.len, strlen(OK_URL));
    assert_non_null(r.cat);
    assert_string_equal(r.cat->code, "fraud");
    assert_string_equal(r.canon.canonical, OK_URL);
    assert_string_equal(r.canon.host, "example.com");
    assert_null(r.title.s);
    assert_null(r.description.s);
    assert_null(r.contact.s);
    assert_null(r.platform_ref.s);
    assert_null(r.language.s);
    report_free(&r);
    jdoc_free(d);
}

static void test_full_valid_report(void **state)
{
    (void)state;
    struct jdoc *d = parse("{\"url\":\"" OK_URL "\",\"category\":\"gambling\","
                           "\"title\":\"网络赌博\",\"description\":\"第一行\\n\\t第二行\\r\\n\","
                           "\"contact\":\"a@example.com\",\"platform_ref\":\"ticket-42\","
                           "\"language\":\"zh-CN\"}");
    struct report r;
    struct report_error e;
    memset(&e, 0, sizeof e);
    if (report_validate(d, &conf, &r, &e) != 0)
        fail_msg("rejected with %s: %s", e.code, e.message);
    assert_string_equal(r.cat->code, "gambling");
    assert_int_equal(r.title.len, strlen("网络赌博"));
    assert_memory_equal(r.title.s, "网络赌博", r.title.len);
    assert_int_equal(r.description.len, strlen("第一行\n\t第二行\r\n"));
    assert_int_equal(r.contact.len, strlen("a@example.com"));
    assert_memory_equal(r.platform_ref.s, "ticket-42", r.platform_ref.len);
    assert_memory_equal(r.language.s, "zh-CN", r.language.len);
    report_free(&r);
    jdoc_free(d);
}

static void test_empty_optional_fields_are_absent(void **state)
{
    (void)state;
    struct jdoc *d = parse("{\"url\":\"" OK_URL "\",\"category\":\"other\",\"title\":\"\","
                           "\"description\":\"\",\"language\":\"\"}");
    struct report r;
    struct report_error e;
    assert_int_equal(report_validate(d, &conf, &r, &e), 0);
    assert_null(r.title.s);
    assert_null(r.description.s);
    assert_null(r.language.s);
    report_free(&r);
    jdoc_free(d);
}

static void test_canonical_url(void **state)
{
    (void)state;
    struct jdoc *d = parse("{\"url\":\"HTTPS://Example.COM:443/a/../b#x\",\"category\":\"rumor\"}");
    struct report r;
    struct report_error e;
    assert_int_equal(report_validate(d, &conf, &r, &e), 0);
    assert_string_equal(r.canon.canonical, "https://example.com/b");
    assert_string_equal(r.canon.scheme, "https");
    assert_string_equal(r.canon.host, "example.com");
    assert_string_equal(r.canon.domain, "example.com");
    /* The submitted spelling is kept as it was. */
    assert_memory_equal(r.url.s, "HTTPS://Example.COM:443/a/../b#x", r.url.len);
    report_free(&r);
    assert_null(r.canon.canonical);
    report_free(&r); /* twice is harmless */
    jdoc_free(d);
}

static void test_every_category_accepted(void **state)
{
    (void)state;
    assert_int_equal(categories_count, 13);
    for (size_t i = 0; i < categories_count; i++) {
        char *json = NULL;
        assert_in_range(asprintf(&json, "{\"url\":\"" OK_URL "\",\"category\":\"%s\"}",
                                 categories[i].code),
                        1, INT32_MAX);
        accept(json);
        free(json);
    }
}

/* ---- 400: shape ---- */

static void test_unknown_field(void **state)
{
    (void)state;
    char *json = with_member("colour", "\"red\"");
    struct rejection e = reject(json);
    assert_error(e, 400, "unknown_field", "colour");
    free(json);
    /* Names are case-sensitive. */
    json = with_member("Title", "\"x\"");
    e = reject(json);
    assert_error(e, 400, "unknown_field", "Title");
    free(json);
}

static void test_wrong_type_each_field(void **state)
{
    (void)state;
    const char *fields[] = {"title", "description", "contact", "platform_ref", "language"};
    const char *values[] = {"5", "true", "null", "[\"x\"]", "{\"a\":\"b\"}"};
    const char *names[] = {"a number", "a boolean", "null", "an array", "an object"};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            char *json = with_member(fields[f], values[v]);
            struct rejection e = reject(json);
            assert_error(e, 400, "wrong_type", fields[f]);
            if (!strstr(e.message, names[v]))
                fail_msg("message \"%s\" does not name the type \"%s\"", e.message, names[v]);
            free(json);
        }
    struct rejection e = reject("{\"url\":42,\"category\":\"rumor\"}");
    assert_error(e, 400, "wrong_type", "url");
    e = reject("{\"url\":\"" OK_URL "\",\"category\":[\"rumor\"]}");
    assert_error(e, 400, "wrong_type", "category");
}

static void test_report_must_be_object(void **state)
{
    (void)state;
    struct jdoc *d = parse("{\"reports\":[1]}");
    struct report r;
    struct report_error e;
    memset(&e, 0, sizeof e);
    assert_int_equal(report_validate(jdoc_get(d, "reports"), &conf, &r, &e), -1);
    struct rejection got = rejection_of(&e);
    assert_error(got, 400, "wrong_type", "(null)");
    jdoc_free(d);
}

static void test_missing_field(void **state)
{
    (void)state;
    struct rejection e = reject("{\"category\":\"rumor\"}");
    assert_error(e, 400, "missing_field", "url");
    e = reject("{\"url\":\"\",\"category\":\"rumor\"}");
    assert_error(e, 400, "missing_field", "url");
    e = reject("{\"url\":\"" OK_URL "\"}");
    assert_error(e, 400, "missing_field", "category");
    e = reject("{\"url\":\"" OK_URL "\",\"category\":\"\"}");
    assert_error(e, 400, "missing_field", "category");
    e = reject("{}");
    assert_error(e, 400, "missing_field", "url");
}

/* ---- 422: values ---- */

static void test_invalid_category(void **state)
{
    (void)state;
    const char *bad[] = {"RUMOR", "rumour", "rumor ", "谣言", "porn"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *json = NULL;
        assert_in_range(asprintf(&json, "{\"url\":\"" OK_URL "\",\"category\":\"%s\"}", bad[i]),
                        1, INT32_MAX);
        struct rejection e = reject(json);
        assert_error(e, 422, "invalid_category", "category");
        free(json);
    }
}

static void test_language(void **state)
{
    (void)state;
    const char *good[] = {"zh-CN", "en", "zh", "zh-Hans", "zh-Hant-TW", "es-419", "EN-us"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *json = NULL;
        assert_in_range(asprintf(&json, "{\"url\":\"" OK_URL "\",\"category\":\"rumor\","
                                        "\"language\":\"%s\"}",
                                 good[i]),
                        1, INT32_MAX);
        accept(json);
        free(json);
    }
    const char *bad[] = {"zh_CN", "-x", "toolongtoolong", "en-", "en--US", "-", "zh CN",
                         "中文", "12", "en-toolongtoolong"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *json = NULL;
        assert_in_range(asprintf(&json, "{\"url\":\"" OK_URL "\",\"category\":\"rumor\","
                                        "\"language\":\"%s\"}",
                                 bad[i]),
                        1, INT32_MAX);
        struct rejection e = reject(json);
        if (strcmp(e.code, "invalid_language") != 0)
            fail_msg("language \"%s\": %s", bad[i], e.code);
        assert_error(e, 422, "invalid_language", "language");
        free(json);
    }
}

static void test_invalid_url(void **state)
{
    (void)state;
    const char *bad[] = {"ftp://x", "javascript:alert(1)", "http://", "https:///path",
                         "mailto:a@example.com", "data:text/html,<script>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *json = NULL;
        assert_in_range(asprintf(&json, "{\"url\":\"%s\",\"category\":\"rumor\"}", bad[i]), 1,
                        INT32_MAX);
        struct rejection e = reject(json);
        if (strcmp(e.code, "invalid_url") != 0)
            fail_msg("url \"%s\": %s", bad[i], e.code);
        assert_error(e, 422, "invalid_url", "url");
        free(json);
    }
}

static void test_first_fault_in_order(void **state)
{
    (void)state;
    /* Shape errors (400) come before value errors (422). */
    struct rejection e = reject("{\"url\":\"ftp://x\",\"category\":\"nope\",\"title\":5}");
    assert_error(e, 400, "wrong_type", "title");
    /* Missing url before an invalid category. */
    e = reject("{\"category\":\"nope\"}");
    assert_error(e, 400, "missing_field", "url");
    /* Category before language before url. */
    e = reject("{\"url\":\"ftp://x\",\"category\":\"nope\",\"language\":\"_\"}");
    assert_error(e, 422, "invalid_category", "category");
    e = reject("{\"url\":\"ftp://x\",\"category\":\"rumor\",\"language\":\"_\"}");
    assert_error(e, 422, "invalid_language", "language");
}

/* ---- ids and Idempotency-Keys ---- */

static void test_report_id_valid(void **state)
{
    (void)state;
    assert_int_equal(report_id_valid("R-0123-4567-89AB", 'R'), 1);
    assert_int_equal(report_id_valid("R-CDEF-GHJK-MNPQ", 'R'), 1);
    assert_int_equal(report_id_valid("R-RSTV-WXYZ-0000", 'R'), 1);
    assert_int_equal(report_id_valid("P-0123-4567-89AB", 'P'), 1);

    assert_int_equal(report_id_valid("", 'R'), 0);
    assert_int_equal(report_id_valid("R", 'R'), 0);
    assert_int_equal(report_id_valid("P-0123-4567-89AB", 'R'), 0); /* another prefix */
    assert_int_equal(report_id_valid("r-0123-4567-89AB", 'R'), 0);
    assert_int_equal(report_id_valid("R-0123-4567-89ab", 'R'), 0); /* lower case */
    assert_int_equal(report_id_valid("R-0123-4567-89A", 'R'), 0);  /* short */
    assert_int_equal(report_id_valid("R-0123-4567-89ABC", 'R'), 0); /* long */
    assert_int_equal(report_id_valid("R-0123-4567-89AB\n", 'R'), 0);
    assert_int_equal(report_id_valid("R_0123-4567-89AB", 'R'), 0);
    assert_int_equal(report_id_valid("R-01234-567-89AB", 'R'), 0); /* dash misplaced */
    assert_int_equal(report_id_valid("R-0123-4567-89A-", 'R'), 0);
    assert_int_equal(report_id_valid("R-0123-4567--9AB", 'R'), 0);
    const char *excluded[] = {"R-0123-4567-89AI", "R-0123-4567-89AL", "R-0123-4567-89AO",
                              "R-0123-4567-89AU", "R-0123-4567-89A\x7f", "R-0123-4567-89A\xc3"};
    for (size_t i = 0; i < sizeof excluded / sizeof excluded[0]; i++)
        assert_int_equal(report_id_valid(excluded[i], 'R'), 0);
}

static void test_report_id_accepts_random_ids(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        char id[CRYPTO_ID_LEN];
        crypto_random_id('R', id);
        if (!report_id_valid(id, 'R'))
            fail_msg("crypto_random_id made \"%s\", which report_id_valid refuses", id);
    }
}

static void test_idempotency_key_valid(void **state)
{
    (void)state;
    char key[200];
    memset(key, 'k', sizeof key);
    key[128] = '\0';
    assert_int_equal(report_idempotency_key_valid(key), 1); /* 128: the most */
    key[128] = 'k';
    key[129] = '\0';
    assert_int_equal(report_idempotency_key_valid(key), 0); /* 129 */

    assert_int_equal(report_idempotency_key_valid(""), 0);
    assert_int_equal(report_idempotency_key_valid("a"), 1);
    assert_int_equal(report_idempotency_key_valid("550e8400-e29b-41d4-a716-446655440000"), 1);
    assert_int_equal(report_idempotency_key_valid("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), 1);
    assert_int_equal(report_idempotency_key_valid("key\x01"), 0);
    assert_int_equal(report_idempotency_key_valid("key\t1"), 0);
    assert_int_equal(report_idempotency_key_valid("key\n"), 0);
    assert_int_equal(report_idempotency_key_valid("key\x1f"), 0);
    assert_int_equal(report_idempotency_key_valid("key\x7f"), 0); /* DEL */
    assert_int_equal(report_idempotency_key_valid("key\x80"), 0);
    assert_int_equal(report_idempotency_key_valid("密钥"), 0);      /* not ASCII */
    assert_int_equal(report_idempotency_key_valid("\xff"), 0);
}

/* report_validate_all finds every field at fault, in report_validate's order, blames a field
 * once, and counts the errors past its room. */
static void test_all_faults(void **state)
{
    (void)state;
    struct jdoc *d = parse("{\"url\": \"ftp://x\", \"title\": 7, \"language\": \"1-\", "
                           "\"extra\": \"\", \"contact\": \"a\\u0001b\"}");
    struct report r;
    struct report_error e[8];
    size_t n = report_validate_all(d, &conf, &r, e, 8);
    assert_int_equal(n, 6);
    /* members in object order first, then the checks of values */
    const char *want_fields[] = {"title", "extra", "contact", "category", "language", "url"};
    const char *want_codes[] = {"wrong_type", "unknown_field", "control_characters",
                                "missing_field", "invalid_language", "invalid_url"};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(e[i].field, want_fields[i]);
        assert_string_equal(e[i].code, want_codes[i]);
    }
    /* the first is report_validate's one error */
    struct report_error one;
    assert_int_equal(report_validate(d, &conf, &r, &one), -1);
    assert_string_equal(one.code, e[0].code);
    assert_string_equal(one.field, e[0].field);
    /* a url too long is not also "missing"; errors past the room are counted */
    jdoc_free(d);
    d = parse("{\"url\": 1, \"category\": 2, \"title\": 3}");
    assert_int_equal(report_validate_all(d, &conf, &r, e, 2), 3);
    assert_string_equal(e[0].field, "url");
    assert_string_equal(e[1].field, "category");
    jdoc_free(d);
    d = parse("{\"url\": \"http://example.com/\", \"category\": \"fraud\"}");
    assert_int_equal(report_validate_all(d, &conf, &r, e, 8), 0);
    report_free(&r);
    jdoc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_valid_report),
        cmocka_unit_test(test_full_valid_report),
        cmocka_unit_test(test_empty_optional_fields_are_absent),
        cmocka_unit_test(test_canonical_url),
        cmocka_unit_test(test_every_category_accepted),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_wrong_type_each_field),
        cmocka_unit_test(test_report_must_be_object),
        cmocka_unit_test(test_missing_field),
        cmocka_unit_test(test_invalid_category),
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_invalid_url),
        cmocka_unit_test(test_first_fault_in_order),
        cmocka_unit_test(test_all_faults),
        cmocka_unit_test(test_report_id_valid),
        cmocka_unit_test(test_report_id_accepts_random_ids),
        cmocka_unit_test(test_idempotency_key_valid),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
