/* text — see text.h. utf8proc does the Unicode work; two parts are ours because they run on
 * every field of every report:
 *
 * - The validity check is the table of well-formed sequences, inline: utf8proc_iterate per
 *   character cost 1-2 us per KB of Chinese text.
 * - Normalization takes a fast path. ASCII and the CJK Unified Ideographs (U+4E00..U+9FFF)
 *   have no decomposition, combining class 0, and never come second in a composition, so NFKC
 *   leaves them as they are and case folding only lowercases ASCII; a boundary before such a
 *   character is a safe place to cut the text. They are copied directly; every other run is
 *   handed to utf8proc together with the safe character before it (which may compose with it,
 *   as e + U+0301 does). On ~1 KB of mixed Chinese and English this is about 10x faster than
 *   utf8proc on the whole text, and gives the same bytes (tests/unit/test_text.c compares).
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"

#define NFKC_CF (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD)

bool text_utf8_valid(const char *s, size_t len)
{
    /* The well-formed byte sequences of Unicode's table 3-7: no overlong forms, no
     * surrogates (ED A0..BF), nothing above U+10FFFF. */
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (n == 0 || (size_t)(end - p) < n)
            return false;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
            (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return false;
        p += n;
    }
    return true;
}

size_t text_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* The length of the safe character at s (ASCII or a CJK Unified Ideograph), or 0. */
static size_t safe_char(const unsigned char *s, size_t left)
{
    if (s[0] < 0x80)
        return 1;
    /* U+4E00..U+9FFF is E4 B8 80 .. E9 BF BF */
    if (left >= 3 && ((s[0] == 0xE4 && s[1] >= 0xB8) || (s[0] >= 0xE5 && s[0] <= 0xE9)))
        return 3;
    return 0;
}

static size_t char_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Appends the NFKC + case fold of the len bytes at s. Returns 0, or -1 on failure.
 * utf8proc_reencode writes a NUL after the encoded text, one byte past 4 bytes per code
 * point in the worst case, so the buffer always has one code point of room to spare. */
static int normalize_slow(struct buf *out, const char *s, size_t len)
{
    utf8proc_int32_t stack[256], *cps = stack;
    utf8proc_ssize_t cap = 256, n;
    for (;;) {
        n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, cps, cap - 1,
                               NFKC_CF);
        if (n < 0 || n <= cap - 1)
            break;
        if (cps != stack)
            free(cps);
        cap = n + 1;
        if (!(cps = malloc((size_t)cap * sizeof *cps)))
            return -1;
    }
    if (n >= 0)
        n = utf8proc_reencode(cps, n, NFKC_CF);
    if (n >= 0)
        buf_add(out, cps, (size_t)n);
    if (cps != stack)
        free(cps);
    return n < 0 ? -1 : 0;
}

char *text_normalize(const char *s, size_t len, size_t *outlen)
{
    if (!text_utf8_valid(s, len))
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    struct buf out = {0};
    buf_add(&out, "", 0);
    size_t i = 0, last_safe = 0, last_safe_out = 0;
    while (i < len && !out.oom) {
        size_t n = safe_char(u + i, len - i);
        if (n) {
            last_safe = i;
            last_safe_out = out.len;
            char lower = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i]);
            buf_add(&out, n == 1 ? &lower : s + i, n);
            i += n;
            continue;
        }
        /* an unsafe run, with the safe character before it when there is one */
        size_t start = i == 0 || last_safe + char_len(u[last_safe]) != i ? i : last_safe;
        if (start != i)
            out.len = last_safe_out;
        size_t end = i;
        while (end < len && !safe_char(u + end, len - end))
            end += char_len(u[end]);
        if (normalize_slow(&out, s + start, end - start) < 0) {
            buf_free(&out);
            return NULL;
        }
        i = end;
    }
    if (out.oom)
        return NULL;
    if (outlen)
        *outlen = out.len;
    return out.p;
}

bool text_has_controls(const char *s, size_t len, bool multiline)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(multiline && (c == '\t' || c == '\n' || c == '\r'))) || c == 0x7f)
            return true;
    }
    return false;
}

bool text_is_word_char(unsigned cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp > 0x10FFFF)
        return false;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;
}
