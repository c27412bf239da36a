/* Unit tests for gateway/form: urlencoded and multipart bodies as browsers send them, and
 * every malformed or over-limit body refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "assert_text.h"
#include "form.h"

#define MP "multipart/form-data; boundary=----WebKitFormBoundaryx7"
#define B "------WebKitFormBoundaryx7"

static int parse(struct form *f, const char *ct, const char *body, size_t len, char *err)
{
    return form_parse(f, ct, body, len, err, 160);
}

static void test_urlencoded(void **state)
{
    (void)state;
    struct form f;
    char err[160];
    const char body[] = "url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1&category=fraud&title=a+b%20c"
                        "&description=%E4%B8%AD%E6%96%87&empty=";
    assert_int_equal(parse(&f, "application/x-www-form-urlencoded", body, sizeof body - 1, err), 0);
    assert_int_equal(f.n, 5);
    assert_string_equal(form_get(&f, "url")->value, "https://example.com/a?b=1");
    assert_string_equal(form_get(&f, "title")->value, "a b c");
    assert_string_equal(form_get(&f, "description")->value, "中文");
    assert_int_equal(form_get(&f, "empty")->len, 0);
    assert_null(form_get(&f, "contact"));
    form_free(&f);
}

static void test_urlencoded_refusals(void **state)
{
    (void)state;
    struct form f;
    char err[160];
    const char *bad[] = {"a=%zz", "a=%4", "a=1&a=2", "=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(&f, "application/x-www-form-urlencoded", bad[i], strlen(bad[i]),
                               err), -1);
    char many[512] = "";
    for (int i = 0; i <= FORM_MAX_FIELDS; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "f%d=1&", i);
    assert_int_equal(parse(&f, "application/x-www-form-urlencoded", many, strlen(many), err), -1);
    assert_contains(err, "more than");
    assert_int_equal(parse(&f, "text/plain", "a=1", 3, err), -1);
}

/* Found by tests/fuzz/fuzz_form: a NUL in a name cut it short, so that "%00=x" was a field
 * with an empty name and "url%00x" was read as url. */
static void test_names_with_nul_refused(void **state)
{
    (void)state;
    struct form f;
    char err[160];
    const char *bad[] = {"%00=x", "category=fraud&url%00x=https%3A%2F%2Fa.example%2F"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&f, "application/x-www-form-urlencoded", bad[i], strlen(bad[i]),
                               err), -1);
        assert_contains(err, "NUL");
        assert_int_equal(f.n, 0);
    }
    const char mp[] = B "\r\nContent-Disposition: form-data; name=\"url\0x\"\r\n\r\nv\r\n" B "--";
    assert_int_equal(parse(&f, MP, mp, sizeof mp - 1, err), -1);
    assert_contains(err, "NUL");
}

static void test_multipart_with_a_file(void **state)
{
    (void)state;
    struct form f;
    char err[160];
    const char body[] = B "\r\nContent-Disposition: form-data; name=\"url\"\r\n\r\n"
                          "http://example.com/\r\n"
                          B "\r\nContent-Disposition: form-data; name=\"evidence\"; "
                          "filename=\"shot \\\"1\\\".png\"\r\nContent-Type: image/png\r\n\r\n"
                          "\x89PNG\r\n\x1a\n\0\0binary\r\n--not the boundary\r\n"
                          B "\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n"
                          "line one\r\nline two\r\n"
                          B "--\r\n";
    assert_int_equal(parse(&f, MP, body, sizeof body - 1, err), 0);
    assert_int_equal(f.n, 3);
    assert_string_equal(form_get(&f, "url")->value, "http://example.com/");
    const struct form_field *ev = form_get(&f, "evidence");
    assert_true(ev->is_file);
    assert_string_equal(ev->filename, "shot \"1\".png");
    assert_int_equal(ev->len, 8 + 2 + 6 + 2 + 18);
    assert_memory_equal(ev->value, "\x89PNG\r\n\x1a\n\0\0binary\r\n--not the boundary", ev->len);
    assert_false(form_get(&f, "url")->is_file);
    assert_string_equal(form_get(&f, "description")->value, "line one\r\nline two");
    form_free(&f);
}

static void test_multipart_quoted_boundary_and_empty_file(void **state)
{
    (void)state;
    struct form f;
    char err[160];
    const char body[] = "--xyz\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"\"\r\n"
                        "Content-Type: application/octet-stream\r\n\r\n\r\n--xyz--\r\n";
    assert_int_equal(parse(&f, "multipart/form-data; boundary=\"xyz\"", body, sizeof body - 1,
                           err), 0);
    assert_int_equal(form_get(&f, "evidence")->len, 0);
    form_free(&f);
}

static void test_multipart_refusals(void **state)
{
    (void)state;
    struct form f;
    char err[160];
    const char *bad[] = {
        "no boundary at all",
        B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever closed",
        B "\r\nContent-Type: text/plain\r\n\r\nx\r\n" B "--",
        B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n" B
          "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n" B "--",
        B "garbage after the delimiter",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(&f, MP, bad[i], strlen(bad[i]), err) != -1)
            fail_msg("body %zu was taken", i);
    }
    assert_int_equal(parse(&f, "multipart/form-data", "x", 1, err), -1);
    char longb[200] = "multipart/form-data; boundary=";
    memset(longb + strlen(longb), 'b', 80);
    assert_int_equal(parse(&f, longb, "x", 1, err), -1);
    assert_contains(err, "boundary");
    /* headers over the limit */
    char big[FORM_MAX_HEADERS + 200];
    int n = snprintf(big, sizeof big, B "\r\nContent-Disposition: form-data; name=\"a\"\r\nX: ");
    memset(big + n, 'h', FORM_MAX_HEADERS);
    snprintf(big + n + FORM_MAX_HEADERS, sizeof big - (size_t)n - FORM_MAX_HEADERS,
             "\r\n\r\n1\r\n" B "--");
    assert_int_equal(parse(&f, MP, big, strlen(big), err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urlencoded),
        cmocka_unit_test(test_urlencoded_refusals),
        cmocka_unit_test(test_names_with_nul_refused),
        cmocka_unit_test(test_multipart_with_a_file),
        cmocka_unit_test(test_multipart_quoted_boundary_and_empty_file),
        cmocka_unit_test(test_multipart_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
