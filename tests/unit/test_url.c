/* test_url — unit tests of lib/url.c (canonical URLs, registrable domains).
 *
 * The case tables are in url_cases.h: Safe Browsing's documented examples, more Safe
 * Browsing vectors, WHATWG URL host-parsing tests, and our additions. Every failure prints
 * the input (escaped) and both the expected and the actual value.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "url.h"
#include "url_cases.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Writes s[0..n) into out (size outlen) with bytes outside printable ASCII as \xNN, for
 * failure messages. */
static const char *show(const char *s, size_t n, char *out, size_t outlen)
{
    size_t w = 0;
    for (size_t i = 0; i < n && w + 5 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7F && ch != '\\')
            out[w++] = (char)ch;
        else
            w += (size_t)snprintf(out + w, outlen - w, "\\x%02X", ch);
    }
    out[w] = '\0';
    return out;
}

static size_t case_len(const struct url_case *c)
{
    return c->len ? c->len : strlen(c->in);
}

/* Checks one row: its canonical URL, or that it fails with *out zeroed and a reason. */
static void check_case(const struct url_case *c)
{
    struct url_parts p;
    char err[256], shown[1024];
    size_t n = case_len(c);
    int rc = url_canonicalize(c->in, n, &p, err, sizeof err);
    show(c->in, n, shown, sizeof shown);
    if (c->want == NULL) {
        if (rc == 0)
            print_error("input \"%s\": expected an error, got \"%s\"\n", shown, p.canonical);
        assert_int_equal(rc, -1);
        assert_null(p.canonical);
        assert_null(p.host);
        assert_true(err[0] != '\0');
        return;
    }
    if (rc != 0)
        print_error("input \"%s\": expected \"%s\", got error \"%s\"\n", shown, c->want, err);
    assert_int_equal(rc, 0);
    if (strcmp(p.canonical, c->want) != 0)
        print_error("input \"%s\"\n", shown);
    assert_string_equal(p.canonical, c->want);
    url_parts_free(&p);
}

static void check_table(const struct url_case *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_case(&t[i]);
}

/* Canonicalizing a canonical URL must give it back: stored keys stay stable when a
 * canonical URL is reported again. */
static void check_idempotent(const struct url_case *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].want == NULL)
            continue;
        struct url_parts p;
        char err[256];
        int rc = url_canonicalize(t[i].want, strlen(t[i].want), &p, err, sizeof err);
        if (rc != 0)
            print_error("canonical \"%s\" fails again: %s\n", t[i].want, err);
        assert_int_equal(rc, 0);
        assert_string_equal(p.canonical, t[i].want);
        url_parts_free(&p);
    }
}

static void test_safe_browsing_doc(void **state)
{
    (void)state;
    check_table(sb_doc_cases, COUNT(sb_doc_cases));
}

static void test_safe_browsing_extra(void **state)
{
    (void)state;
    check_table(sb_extra_cases, COUNT(sb_extra_cases));
}

static void test_whatwg_hosts(void **state)
{
    (void)state;
    check_table(whatwg_cases, COUNT(whatwg_cases));
}

static void test_our_additions(void **state)
{
    (void)state;
    check_table(our_cases, COUNT(our_cases));
}

static void test_idempotent(void **state)
{
    (void)state;
    check_idempotent(sb_doc_cases, COUNT(sb_doc_cases));
    check_idempotent(sb_extra_cases, COUNT(sb_extra_cases));
    check_idempotent(whatwg_cases, COUNT(whatwg_cases));
    check_idempotent(our_cases, COUNT(our_cases));
}

/* Every tracking parameter in the url.c list, between two ordinary ones. */
static void test_tracking_each(void **state)
{
    static const char *const names[] = {
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "yclid",
        "igshid", "_ga", "spm", "isappinstalled", "scene", "clicktime", "enterid",
        "sharer_sharetime", "sharer_shareid"};
    (void)state;
    for (size_t i = 0; i < COUNT(names); i++) {
        char in[128];
        snprintf(in, sizeof in, "https://example.com/p?k=1&%s=v&z=2", names[i]);
        struct url_case c = {in, 0, "https://example.com/p?k=1&z=2"};
        check_case(&c);
        snprintf(in, sizeof in, "https://example.com/p?%s=v", names[i]);
        c.want = "https://example.com/p";
        check_case(&c);
    }
}

static void test_domain(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(domain_cases); i++) {
        const struct domain_case *d = &domain_cases[i];
        struct url_parts p;
        char err[256];
        int rc = url_canonicalize(d->in, strlen(d->in), &p, err, sizeof err);
        if (rc != 0)
            print_error("input \"%s\": error \"%s\"\n", d->in, err);
        assert_int_equal(rc, 0);
        assert_string_equal(p.scheme, d->scheme);
        assert_string_equal(p.host, d->host);
        assert_string_equal(p.domain, d->domain);
        url_parts_free(&p);
    }
}

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(error_cases); i++) {
        const struct error_case *e = &error_cases[i];
        size_t n = e->len ? e->len : strlen(e->in);
        struct url_parts p;
        char err[256], shown[1024];
        int rc = url_canonicalize(e->in, n, &p, err, sizeof err);
        show(e->in, n, shown, sizeof shown);
        if (rc == 0 || strstr(err, e->reason) == NULL)
            print_error("input \"%s\": want an error with \"%s\", got rc %d \"%s\"\n", shown,
                        e->reason, rc, rc == 0 ? p.canonical : err);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, e->reason));
        assert_null(strchr(err, '\n'));
        assert_null(p.canonical);
        assert_null(p.scheme);
        assert_null(p.host);
        assert_null(p.domain);
    }
}

/* Builds "http://e.com/" followed by path bytes 'a' up to len bytes in all, in a buffer of
 * exactly len bytes (no NUL, so ASan sees any read past it). */
static char *long_url(size_t len)
{
    char *s = malloc(len);
    assert_non_null(s);
    memset(s, 'a', len);
    memcpy(s, "http://e.com/", 13);
    return s;
}

static void test_lengths(void **state)
{
    struct url_parts p;
    char err[256];
    (void)state;
    char *s = long_url(4096); /* canonical exactly 4096 bytes: allowed */
    assert_int_equal(url_canonicalize(s, 4096, &p, err, sizeof err), 0);
    assert_int_equal(strlen(p.canonical), 4096);
    url_parts_free(&p);
    assert_int_equal(url_canonicalize(s, 4096, &p, err, sizeof err), 0);
    url_parts_free(&p);
    free(s);

    s = long_url(4097);
    assert_int_equal(url_canonicalize(s, 4097, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 4096"));
    free(s);

    s = long_url(8192); /* input at the limit, result too long */
    assert_int_equal(url_canonicalize(s, 8192, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 4096"));
    free(s);

    s = long_url(8193);
    assert_int_equal(url_canonicalize(s, 8193, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 8192"));
    free(s);

    /* 8192 bytes of "%25" nests collapse to a short result, in one pass (url.c) */
    s = long_url(8192);
    memcpy(s + 13, "%", 1);
    for (size_t i = 14; i + 2 <= 8192; i += 2)
        memcpy(s + i, "25", 2);
    assert_int_equal(url_canonicalize(s, 8192, &p, err, sizeof err), 0);
    assert_string_equal(p.canonical, "http://e.com/%25");
    url_parts_free(&p);
    free(s);
}

/* The input need not be NUL-terminated, and only len bytes count. */
static void test_not_terminated(void **state)
{
    static const char text[] = "http://Example.com/abc?x=1#frag";
    struct url_parts p;
    char err[256];
    (void)state;
    char *s = malloc(22); /* "http://Example.com/abc" */
    assert_non_null(s);
    memcpy(s, text, 22);
    assert_int_equal(url_canonicalize(s, 22, &p, err, sizeof err), 0);
    assert_string_equal(p.canonical, "http://example.com/abc");
    url_parts_free(&p);
    assert_int_equal(url_canonicalize(s, 14, &p, err, sizeof err), 0); /* "http://Example" */
    assert_string_equal(p.canonical, "http://example/");
    url_parts_free(&p);
    free(s);
}

/* err may be NULL or short; *out is zeroed on failure whatever it held; free takes NULL. */
static void test_api_edges(void **state)
{
    struct url_parts p;
    char small[8];
    (void)state;
    assert_int_equal(url_canonicalize("ftp://x", 7, &p, NULL, 0), -1);
    assert_null(p.canonical);
    assert_int_equal(url_canonicalize("ftp://x", 7, &p, small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1);
    memset(&p, 0x5A, sizeof p);
    assert_int_equal(url_canonicalize("http://", 7, &p, NULL, 0), -1);
    assert_null(p.canonical);
    assert_null(p.scheme);
    assert_null(p.host);
    assert_null(p.domain);
    assert_int_equal(url_canonicalize(NULL, 0, &p, small, sizeof small), -1);
    assert_int_equal(url_canonicalize("http://x/", 9, NULL, small, sizeof small), -1);
    url_parts_free(NULL);
    url_parts_free(&p);
    url_parts_free(&p); /* zeroed: a second free is harmless */
    assert_null(p.canonical);
}

/* The original form keeps what was typed (case, escapes, tracking, fragment) except tab, CR,
 * LF, the surrounding spaces and the userinfo, which may carry a password. */
static void test_original(void **state)
{
    static const struct {
        const char *in, *original, *canonical;
    } cases[] = {
        {"https://user:secret@Example.com/a?utm_source=x#f", "https://Example.com/a?utm_source=x#f",
         "https://example.com/a"},
        {"  http://a%40b:p@ss@example.com:80/x\t", "http://example.com:80/x",
         "http://example.com/x"},
        {"//user@example.com/p", "//example.com/p", "http://example.com/p"},
        {"https://exa\tmple.com/a\r\nb", "https://example.com/ab", "https://example.com/ab"},
        {"https://example.com/?next=http://u:p@x.example/", "https://example.com/?next=http://u:p@x.example/",
         "https://example.com/?next=http://u:p@x.example/"},
        {"http://example.com/#u:p@x", "http://example.com/#u:p@x", "http://example.com/"},
        {"http://@example.com/", "http://example.com/", "http://example.com/"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct url_parts p;
        char err[256];
        int rc = url_canonicalize(cases[i].in, strlen(cases[i].in), &p, err, sizeof err);
        if (rc != 0)
            print_error("input \"%s\": error \"%s\"\n", cases[i].in, err);
        assert_int_equal(rc, 0);
        if (strcmp(p.original, cases[i].original) != 0)
            print_error("input \"%s\"\n", cases[i].in);
        assert_string_equal(p.original, cases[i].original);
        assert_string_equal(p.canonical, cases[i].canonical);
        url_parts_free(&p);
        assert_null(p.original);
    }
}

/* Several threads racing through the first use (pthread_once loads the suffix list). */
static void *race(void *arg)
{
    long bad = 0;
    (void)arg;
    for (int i = 0; i < 200; i++) {
        struct url_parts p;
        if (url_canonicalize("https://www.bbc.co.uk/?utm_source=x", 35, &p, NULL, 0) != 0 ||
            strcmp(p.canonical, "https://www.bbc.co.uk/") != 0 ||
            strcmp(p.domain, "bbc.co.uk") != 0)
            bad++;
        url_parts_free(&p);
    }
    return (void *)bad;
}

static void test_threads(void **state)
{
    pthread_t t[4];
    (void)state;
    for (size_t i = 0; i < COUNT(t); i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, NULL), 0);
    for (size_t i = 0; i < COUNT(t); i++) {
        void *bad = NULL;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_null(bad);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads), /* first, so that the threads do the one-time load */
        cmocka_unit_test(test_safe_browsing_doc),
        cmocka_unit_test(test_safe_browsing_extra),
        cmocka_unit_test(test_whatwg_hosts),
        cmocka_unit_test(test_our_additions),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_tracking_each),
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_not_terminated),
        cmocka_unit_test(test_api_edges),
        cmocka_unit_test(test_original),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
