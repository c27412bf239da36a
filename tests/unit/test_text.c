/* Unit tests for lib/text.h: UTF-8 validity, code point counts, NFKC + case fold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <utf8proc.h>

#include "text.h"

/* text_utf8_valid on a heap copy of exactly len bytes, so that AddressSanitizer catches any
 * read past the end (truncated sequences are the risky case). */
static bool valid_exact(const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    bool ok = text_utf8_valid(copy, len);
    free(copy);
    return ok;
}

#define assert_utf8_valid(lit) \
    assert_int_equal(valid_exact(lit, sizeof lit - 1), true)
#define assert_utf8_invalid(lit) \
    assert_int_equal(valid_exact(lit, sizeof lit - 1), false)

/* Normalizes s and checks the result and its reported length. */
#define assert_normalizes(in, want)                                    \
    do {                                                               \
        size_t n_ = 12345;                                             \
        char *out_ = text_normalize(in, strlen(in), &n_);              \
        assert_non_null(out_);                                         \
        assert_string_equal(out_, want);                               \
        assert_int_equal(n_, strlen(want));                            \
        free(out_);                                                    \
    } while (0)

static void test_valid_accepts_ascii_chinese_emoji(void **state)
{
    (void)state;
    assert_utf8_valid("");
    assert_utf8_valid("plain ASCII, 123 ~");
    assert_utf8_valid("网络诈骗举报");
    assert_utf8_valid("😀🚨");
    assert_utf8_valid("Straße café ﬁ ＡＢＣ ｶﾀｶﾅ");
}

static void test_valid_accepts_boundaries(void **state)
{
    (void)state;
    assert_utf8_valid("\xc2\x80");             /* U+0080, the smallest 2-byte form */
    assert_utf8_valid("\xdf\xbf");             /* U+07FF */
    assert_utf8_valid("\xe0\xa0\x80");         /* U+0800, the smallest 3-byte form */
    assert_utf8_valid("\xed\x9f\xbf");         /* U+D7FF, just below the surrogates */
    assert_utf8_valid("\xee\x80\x80");         /* U+E000, just above them */
    assert_utf8_valid("\xef\xbf\xbf");         /* U+FFFF */
    assert_utf8_valid("\xf0\x90\x80\x80");     /* U+10000, the smallest 4-byte form */
    assert_utf8_valid("\xf4\x8f\xbf\xbf");     /* U+10FFFF, the last code point */
}

static void test_valid_rejects_overlongs(void **state)
{
    (void)state;
    assert_utf8_invalid("\xc0\xaf");           /* '/' in two bytes */
    assert_utf8_invalid("\xc1\xbf");
    assert_utf8_invalid("\xc0\x80");           /* NUL in two bytes ("modified UTF-8") */
    assert_utf8_invalid("\xe0\x80\xaf");       /* '/' in three bytes */
    assert_utf8_invalid("\xe0\x9f\xbf");       /* U+07FF in three bytes */
    assert_utf8_invalid("\xf0\x80\x80\xaf");   /* '/' in four bytes */
    assert_utf8_invalid("\xf0\x8f\xbf\xbf");   /* U+FFFF in four bytes */
}

static void test_valid_rejects_surrogates(void **state)
{
    (void)state;
    assert_utf8_invalid("\xed\xa0\x80");       /* U+D800 */
    assert_utf8_invalid("\xed\xbf\xbf");       /* U+DFFF */
    assert_utf8_invalid("\xed\xa0\xbd\xed\xb8\x80"); /* a CESU-8 surrogate pair for U+1F600 */
}

static void test_valid_rejects_beyond_10ffff(void **state)
{
    (void)state;
    assert_utf8_invalid("\xf4\x90\x80\x80");   /* U+110000 */
    assert_utf8_invalid("\xf5\x80\x80\x80");
    assert_utf8_invalid("\xf8\x88\x80\x80\x80"); /* an old 5-byte form */
    assert_utf8_invalid("\xfe");
    assert_utf8_invalid("\xff");
}

static void test_valid_rejects_truncated(void **state)
{
    (void)state;
    assert_utf8_invalid("\xe4\xb8");           /* 中 without its last byte */
    assert_utf8_invalid("\xe4");
    assert_utf8_invalid("\xf0\x9f\x98");       /* 😀 without its last byte */
    assert_utf8_invalid("\xc3");
    assert_utf8_invalid("ok\xe4\xb8");         /* at the end of valid text */
    assert_utf8_invalid("\xe4\xb8" "a");       /* cut short by an ASCII byte */
    /* The length counts, not a NUL: the first two bytes of 中 alone are invalid. */
    assert_int_equal(text_utf8_valid("中", 2), false);
    assert_int_equal(text_utf8_valid("中", 3), true);
}

static void test_valid_rejects_stray_continuation(void **state)
{
    (void)state;
    assert_utf8_invalid("\x80");
    assert_utf8_invalid("\xbf");
    assert_utf8_invalid("a\x80" "b");
    assert_utf8_invalid("中\xb8");             /* one continuation byte too many */
}

static void test_chars_counts_code_points(void **state)
{
    (void)state;
    assert_int_equal(text_utf8_chars("", 0), 0);
    assert_int_equal(text_utf8_chars("abc", 3), 3);
    assert_int_equal(text_utf8_chars("举报", strlen("举报")), 2);
    assert_int_equal(text_utf8_chars("😀", strlen("😀")), 1);
    assert_int_equal(text_utf8_chars("aé中😀", strlen("aé中😀")), 4);
    /* Only len bytes are counted. */
    assert_int_equal(text_utf8_chars("举报网络诈骗", 6), 2);
}

static void test_normalize_full_width(void **state)
{
    (void)state;
    assert_normalizes("ＡＢＣ１２３", "abc123");
    assert_normalizes("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", "www.example.com");
}

static void test_normalize_ligature_and_sharp_s(void **state)
{
    (void)state;
    assert_normalizes("ﬁ", "fi");
    assert_normalizes("ﬁnance", "finance");
    assert_normalizes("Straße", "strasse");
    assert_normalizes("STRASSE", "strasse");
}

static void test_normalize_case_fold(void **state)
{
    (void)state;
    assert_normalizes("Hello World", "hello world");
    assert_normalizes("ΣΊΣΥΦΟΣ", "σίσυφοσ");
    assert_normalizes("ÉCOLE", "école");
}

static void test_normalize_half_width_katakana(void **state)
{
    (void)state;
    assert_normalizes("ｶﾀｶﾅ", "カタカナ");
    /* The half-width voiced mark composes with the kana before it. */
    assert_normalizes("ｶﾞｲﾄﾞ", "ガイド");
}

static void test_normalize_composes(void **state)
{
    (void)state;
    /* e + COMBINING ACUTE ACCENT becomes the precomposed é (NFKC, not NFKD). */
    assert_normalizes("e\xcc\x81", "\xc3\xa9");
}

static void test_normalize_chinese_unchanged(void **state)
{
    (void)state;
    const char *s = "举报违法和不良信息。网络诈骗、赌博";
    size_t n = 0;
    char *out = text_normalize(s, strlen(s), &n);
    assert_non_null(out);
    assert_int_equal(n, strlen(s));
    assert_memory_equal(out, s, strlen(s));
    assert_int_equal(out[n], '\0');
    free(out);
}

static void test_normalize_empty(void **state)
{
    (void)state;
    assert_normalizes("", "");
}

static void test_normalize_rejects_invalid_utf8(void **state)
{
    (void)state;
    size_t n = 777;
    assert_null(text_normalize("\xc0\xaf", 2, &n));
    assert_null(text_normalize("abc\xed\xa0\x80", 6, &n));
    assert_null(text_normalize("\xf4\x90\x80\x80", 4, &n));
    assert_null(text_normalize("\xe4\xb8", 2, &n));
    assert_null(text_normalize("\x80", 1, &n));
    assert_int_equal(n, 777); /* untouched on failure */
}

static void test_normalize_respects_length(void **state)
{
    (void)state;
    size_t n = 0;
    char *out = text_normalize("ABCDEF", 3, &n);
    assert_non_null(out);
    assert_string_equal(out, "abc");
    assert_int_equal(n, 3);
    free(out);
}

/* ---- the fast path against utf8proc on the whole text ---- */

/* What text_normalize must give: utf8proc's NFKC + case fold of the whole text. */
static char *reference(const char *s, size_t len, size_t *outlen)
{
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &out,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                          UTF8PROC_CASEFOLD);
    assert_in_range(n, 0, SIZE_MAX / 2);
    *outlen = (size_t)n;
    return (char *)out;
}

static void assert_same_as_reference(const char *s, size_t len)
{
    size_t want_len = 0, got_len = 0;
    char *want = reference(s, len, &want_len);
    char *got = text_normalize(s, len, &got_len);
    if (!got)
        fail_msg("text_normalize refused \"%.*s\"", (int)len, s);
    if (got_len != want_len || memcmp(got, want, want_len) != 0)
        fail_msg("\"%.*s\": got \"%s\" (%zu bytes), utf8proc gives \"%s\" (%zu bytes)",
                 (int)len, s, got, got_len, want, want_len);
    assert_int_equal(got[got_len], '\0');
    free(got);
    free(want);
}

static void test_normalize_matches_utf8proc_cases(void **state)
{
    (void)state;
#define C(lit) {lit, sizeof lit - 1}
    static const struct {
        const char *s;
        size_t len;
    } cases[] = {
        C("Hello 世界 ＡＢＣ café ﬁ Straße ｶﾞ 😀"),
        C("e\xcc\x81"),                  /* e + U+0301: composes with the ASCII before it */
        C("A\xcc\x8a"),                  /* A + ring above: Å, folded to å */
        C("\xcc\x81" "abc"),             /* a combining mark first */
        C("abc\xcc\x81"),                /* and last */
        C("中\xcc\x81文"),               /* a mark after a CJK ideograph */
        C("a\xcc\x87\xcc\xa3"),          /* marks out of canonical order */
        C("\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8"), /* Hangul jamo L V T: 각 */
        C("가\xe1\x86\xa8"),             /* LV + T */
        C("Ａ中Ｂ文Ｃ"),
        C("ΣΑΣ中ΟΔΟΣ"),
        C("\xe2\xbc\x80"),               /* KANGXI RADICAL ONE -> U+4E00 */
        C("\xef\xa4\x80中"),             /* CJK COMPATIBILITY IDEOGRAPH F900 -> U+8C48 */
        C("中\xe3\x80\x80文"),           /* IDEOGRAPHIC SPACE -> space */
        C("\xe2\x84\xab"),               /* ANGSTROM SIGN */
        C("\xe1\xba\x9e"),               /* CAPITAL SHARP S */
        C("\xce\x91\xcd\x85"),           /* Alpha + ypogegrammeni (folds to a starter) */
        C("ｶﾞｲﾄﾞ and ﾊﾟﾝ"),
        C("a\0B"),                        /* a NUL byte is a character like any other */
        C("举报：网络诈骗，电话１３８００１３８０００"),
    };
#undef C
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_same_as_reference(cases[i].s, cases[i].len);
}

static void test_normalize_matches_utf8proc_random(void **state)
{
    (void)state;
    /* Pieces that sit on either side of the fast path's boundaries. */
    static const char *const pieces[] = {
        "a", "Z", " ", "中", "文", "一", "\xe9\xbf\xbf", "\xe4\xb8\x80", "\xe4\xb7\xbf",
        "\xcc\x81", "\xcc\xa3", "\xcc\x88", "\xe3\x82\x99", "Ａ", "ｂ", "ﬁ", "ß", "Σ", "ς",
        "\xe1\x84\x80", "\xe1\x85\xa1", "\xe1\x86\xa8", "가", "ｶ", "ﾞ", "😀", "𐐀",
        "\xef\xa4\x80", "\xe2\xbc\x80", "\xe3\x80\x80", "é", "\xc3\x85", "ǅ", "İ",
    };
    enum { NPIECES = sizeof pieces / sizeof pieces[0] };
    uint32_t seed = 12345;
    for (int round = 0; round < 3000; round++) {
        char s[64 * 4 + 1];
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int count = (int)(seed >> 16) % 60;
        for (int j = 0; j < count; j++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % NPIECES];
            memcpy(s + len, p, strlen(p));
            len += strlen(p);
        }
        s[len] = '\0';
        assert_same_as_reference(s, len);
    }
}

/* Long runs that take the slow path: more code points than its 256-entry stack buffer. */
static void test_normalize_long_runs(void **state)
{
    (void)state;
    const char *units[] = {"é", "ﬁ", "ｶﾞ", "\xcc\x81", "Ｘ"};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u]);
        char *s = malloc(ul * 600 + 1);
        assert_non_null(s);
        for (size_t i = 0; i < 600; i++)
            memcpy(s + i * ul, units[u], ul);
        s[ul * 600] = '\0';
        assert_same_as_reference(s, ul * 600);
        free(s);
    }
}

/* A run of characters that are 4 bytes both in and out (emoji): the slow path's buffer must
 * hold the re-encoded bytes and the NUL that utf8proc_reencode writes after them. */
static void test_normalize_long_run_of_4_byte_chars(void **state)
{
    (void)state;
    const size_t counts[] = {255, 256, 257, 258, 262, 300, 1000, 1002};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        char *s = malloc(n * 4 + 1);
        assert_non_null(s);
        for (size_t i = 0; i < n; i++)
            memcpy(s + i * 4, "😀", 4);
        s[n * 4] = '\0';
        assert_same_as_reference(s, n * 4);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_accepts_ascii_chinese_emoji),
        cmocka_unit_test(test_valid_accepts_boundaries),
        cmocka_unit_test(test_valid_rejects_overlongs),
        cmocka_unit_test(test_valid_rejects_surrogates),
        cmocka_unit_test(test_valid_rejects_beyond_10ffff),
        cmocka_unit_test(test_valid_rejects_truncated),
        cmocka_unit_test(test_valid_rejects_stray_continuation),
        cmocka_unit_test(test_chars_counts_code_points),
        cmocka_unit_test(test_normalize_full_width),
        cmocka_unit_test(test_normalize_ligature_and_sharp_s),
        cmocka_unit_test(test_normalize_case_fold),
        cmocka_unit_test(test_normalize_half_width_katakana),
        cmocka_unit_test(test_normalize_composes),
        cmocka_unit_test(test_normalize_chinese_unchanged),
        cmocka_unit_test(test_normalize_empty),
        cmocka_unit_test(test_normalize_rejects_invalid_utf8),
        cmocka_unit_test(test_normalize_respects_length),
        cmocka_unit_test(test_normalize_matches_utf8proc_cases),
        cmocka_unit_test(test_normalize_matches_utf8proc_random),
        cmocka_unit_test(test_normalize_long_runs),
        /* Last: under AddressSanitizer a failure here ends the program. */
        cmocka_unit_test(test_normalize_long_run_of_4_byte_chars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
