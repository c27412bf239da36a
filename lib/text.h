/* text — UTF-8 checks and normalization for matching and fingerprints.
 *
 * Rules and fingerprints see text after NFKC and Unicode case folding (utf8proc), so that
 * full-width letters, half-width digits and case do not evade them.
 */
#ifndef JUBAO_TEXT_H
#define JUBAO_TEXT_H

#include <stdbool.h>
#include <stddef.h>

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
