/* text — UTF-8 checks and normalization for matching and fingerprints.
 *
 * Rules and fingerprints see text after NFKC and Unicode case folding (utf8proc), so that
 * full-width letters, half-width digits and case do not evade them.
 */
#ifndef JUBAO_TEXT_H
#define JUBAO_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The code point of the UTF-8 character at p, which must be valid (checked before, e.g. by
 * text_utf8_valid); its length in bytes goes to *n. Inline: the scanners call it per
 * character. */
static inline unsigned text_utf8_decode(const void *at, size_t *n)
{
    const unsigned char *p = at;
    if (p[0] < 0x80) {
        *n = 1;
        return p[0];
    }
    if (p[0] < 0xE0) {
        *n = 2;
        return (unsigned)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    }
    if (p[0] < 0xF0) {
        *n = 3;
        return (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    }
    *n = 4;
    return (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3F) << 12 |
           (unsigned)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

/* Writes the code point cp (at most 0x10FFFF) as UTF-8 to out, which has room for 4 bytes;
 * returns the number of bytes written. */
static inline size_t text_utf8_encode(unsigned cp, void *to)
{
    unsigned char *out = to;
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* True when the len bytes at s are well-formed UTF-8 (no overlongs, no surrogates). */
bool text_utf8_valid(const char *s, size_t len);

/* Number of code points in the len bytes at s, which must be valid UTF-8. */
size_t text_utf8_chars(const char *s, size_t len);

/* NFKC + case fold of the len bytes at s. Returns a NUL-terminated string the caller frees,
 * with its length in *outlen, or NULL when s is not valid UTF-8 or memory ran out. */
char *text_normalize(const char *s, size_t len, size_t *outlen);

/* True when the code point is a letter, a mark or a number (Unicode categories L*, M*, N*):
 * what folding keeps; everything else (spaces, punctuation, symbols, emoji, controls, format
 * characters such as the zero-width space) separates words. */
bool text_is_word_char(unsigned cp);

/* True when s holds C0 control characters or DEL; tab, CR and LF are allowed when multiline. */
bool text_has_controls(const char *s, size_t len, bool multiline);

#endif
