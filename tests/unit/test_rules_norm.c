/* Unit tests for rules/norm.h: piecewise normalization gives exactly text_normalize()'s bytes,
 * and its offset map never cuts a character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "norm.h"
#include "text.h"

static size_t encode(unsigned cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12);
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | cp >> 18);
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* norm_text(s) must equal text_normalize(s). */
static void assert_same(struct norm *n, const char *s, size_t len)
{
    size_t m = 0;
    char *want = text_normalize(s, len, &m);
    assert_non_null(want);
    assert_int_equal(norm_text(n, s, len), 0);
    if (n->len != m || memcmp(n->s, want, m) != 0) {
        print_error("input:");
        for (size_t i = 0; i < len; i++)
            print_error(" %02x", (unsigned char)s[i]);
        print_error("\n");
    }
    assert_int_equal(n->len, m);
    assert_memory_equal(n->s, want, m);
    free(want);
}

static void test_every_cut_safe_code_point_alone_and_after_others(void **state)
{
    (void)state;
    struct norm n = {0};
    /* characters before a cut: plain, combining-prone, jamo, kana, sigma, sharp s */
    static const unsigned before[] = {'e', 0x0301, 0x1100, 0x1161, 0xAC00, 0x304B, 0x3099,
                                      0x03A3, 0x00DF, 0x212A, 0xFF76};
    for (unsigned cp = 0; cp < 0x10000; cp++) {
        if (!norm_cut_safe(cp) || cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
            continue;
        char s[16];
        size_t len = encode(cp, s);
        assert_same(&n, s, len);
        for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
            char t[32];
            size_t k = encode(before[i], t);
            k += encode(cp, t + k);
            k += encode(0x0301, t + k);     /* and a mark after it */
            assert_same(&n, t, k);
        }
    }
    norm_free(&n);
}

static void test_random_mixtures(void **state)
{
    (void)state;
    static const unsigned pool[] = {
        'a', 'Z', ' ', '1', '.', 0x4E2D, 0x6587, 0x3002, 0xFF0C, 0xFF21, 0xFF41, 0xFF11,
        0x3000, 0x0301, 0x0308, 0x0327, 0x3099, 0x309A, 0xFF9E, 0xFF9F, 0x304B, 0x30AB,
        0xFF76, 0x1100, 0x1161, 0x11A8, 0xAC00, 0x00DF, 0x03A3, 0x03C2, 0x212A, 0x017F,
        0xFB01, 0x2160, 0x2460, 0x1F600, 0x00E9, 0x00C5, 0x212B, 0x0130, 0x201C, 0x2026,
        0x00B7, 0x3010, 0x0F73, 0x0B47, 0x0B3E, 0x1E9E, 0x00A0, 0x2014, 0x0041, 0x030A,
    };
    struct norm n = {0};
    uint32_t r = 99;
    for (int t = 0; t < 20000; t++) {
        char s[256];
        size_t len = 0, k = 1 + t % 24;
        for (size_t i = 0; i < k; i++) {
            r = r * 1103515245u + 12345u;
            len += encode(pool[(r >> 8) % (sizeof pool / sizeof pool[0])], s + len);
        }
        assert_same(&n, s, len);
    }
    norm_free(&n);
}

static bool boundary(const char *s, size_t len, size_t off)
{
    return off == 0 || off == len || ((unsigned char)s[off] & 0xC0) != 0x80;
}

static void test_spans_map_back_to_whole_characters(void **state)
{
    (void)state;
    struct norm n = {0};
    const char *s = "电话：１３８ＡＢ cafe\xcc\x81 x";
    size_t len = strlen(s);
    assert_int_equal(norm_text(&n, s, len), 0);
    assert_string_equal(n.s, "电话:138ab café x");
    size_t os, oe;
    const char *digits = strstr(n.s, "138");
    norm_span(&n, (size_t)(digits - n.s), (size_t)(digits - n.s) + 3, &os, &oe);
    assert_memory_equal(s + os, "１３８", oe - os);
    assert_int_equal(oe - os, strlen("１３８"));
    /* the composed é maps back to e + U+0301, never to half of it */
    const char *e = strstr(n.s, "é");
    norm_span(&n, (size_t)(e - n.s), (size_t)(e - n.s) + 2, &os, &oe);
    assert_int_equal(oe - os, 3);
    assert_memory_equal(s + os, "e\xcc\x81", 3);
    /* every range maps to character boundaries, in order */
    for (size_t a = 0; a <= n.len; a++)
        for (size_t b = a; b <= n.len; b++) {
            if (!boundary(n.s, n.len, a) || !boundary(n.s, n.len, b))
                continue;
            norm_span(&n, a, b, &os, &oe);
            assert_true(os <= oe && oe <= len);
            assert_true(boundary(s, len, os) && boundary(s, len, oe));
        }
    norm_free(&n);
}

static void test_rejects_invalid_and_handles_empty(void **state)
{
    (void)state;
    struct norm n = {0};
    assert_int_equal(norm_text(&n, "ab\xc3", 3), -1);
    assert_int_equal(norm_text(&n, "", 0), 0);
    assert_int_equal(n.len, 0);
    assert_string_equal(n.s, "");
    size_t os = 9, oe = 9;
    norm_span(&n, 0, 0, &os, &oe);
    assert_int_equal(os, 0);
    assert_int_equal(oe, 0);
    norm_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cut_safe_code_point_alone_and_after_others),
        cmocka_unit_test(test_random_mixtures),
        cmocka_unit_test(test_spans_map_back_to_whole_characters),
        cmocka_unit_test(test_rejects_invalid_and_handles_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
