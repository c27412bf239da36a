/* fold — the text that lexicons and the model read (docs/RULES.md "Folding"). From text that is
 * already NFKC + case folded (norm.h):
 *   1. traditional to simplified Chinese, character by character (OpenCC's t2s);
 *   2. look-alike characters to the Latin letter or digit they imitate (Cyrillic and Greek
 *      homoglyphs, the negative circled and squared letters, regional indicators and dingbat
 *      digits that NFKC leaves alone);
 *   3. separators (anything that is not a letter, mark or number: spaces, punctuation,
 *      symbols, emoji, zero-width characters) are removed, except that a run of them between
 *      two words of a spaced script becomes one space; then a space between two single ASCII
 *      letters or digits goes too, so that "v i a g r a" and "s.e.x" read as words;
 *   4. the variants of the rule set: each listed spelling, leftmost-longest, is read as its
 *      standard form (a spelling that starts or ends with an ASCII letter or digit only on a
 *      word boundary).
 * Every byte of the folded text remembers the input bytes it came from, so that a hit found
 * in folded text maps back to whole input characters.
 *
 * A fold_variants table is immutable once built: any number of threads may fold with it. The
 * t2s table is made once per process (fold_init), from one OpenCC conversion; after that
 * OpenCC is never called, so the question of its thread safety never arises, the map is
 * exact (one character for one), and a term folds the same alone as inside a text (OpenCC's
 * phrase table would convert 乾 differently in 乾隆 and in 乾淨).
 *
 * This module is the only user of OpenCC.
 */
#ifndef JUBAO_FOLD_H
#define JUBAO_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct fold_variants;
struct fold_occ;

/* A folded text and its map; buffers are reused between calls. */
struct fold {
    char *s;                    /* the folded text, NUL-terminated */
    size_t len;
    uint32_t *from, *to;        /* per byte of s: the input bytes [from, to) it came from */
    size_t cap;
    char *t;                    /* scratch of the variants pass */
    uint32_t *tfrom, *tto;
    size_t tcap;
    struct fold_occ *occ;
    size_t nocc, occcap;
};

/* Makes the t2s table (once per process; later calls return its outcome). Returns 0, or -1
 * with err saying why (OpenCC's t2s.json missing, out of memory). */
int fold_init(char *err, size_t errlen);

/* Folds the len bytes of normalized text at s (valid UTF-8) into f, with the variants of fv
 * (NULL: none). Returns 0, or -1 when memory ran out, fold_init failed or len > 2^31. */
int fold_text(const struct fold_variants *fv, const char *s, size_t len, struct fold *f);

/* The input range [*ns, *ne) that the folded range [fs, fe) (fe > fs) came from. */
void fold_span(const struct fold *f, size_t fs, size_t fe, size_t *ns, size_t *ne);

/* NFKC + case folding, then fold_text, of the len bytes of original text at s, appended to out
 * NUL-terminated. Returns 0, or -1 when s is not UTF-8 or memory ran out. */
int fold_original(const struct fold_variants *fv, const char *s, size_t len, struct buf *out);

void fold_free(struct fold *f);

/* A table of variants, or NULL when memory ran out. */
struct fold_variants *fold_variants_new(void);

/* Adds spelling -> target, both already folded without variants (fold_original with NULL).
 * Returns 0 (also when the pair is there already), 1 when the spelling already reads as another
 * target (*other then points to it), or -1 when memory ran out. */
int fold_variants_add(struct fold_variants *fv, const char *spelling, const char *target,
                      const char **other);

/* Builds the scanner; nothing may be added after. Returns 0, or -1 when memory ran out. */
int fold_variants_build(struct fold_variants *fv);

size_t fold_variants_count(const struct fold_variants *fv);
void fold_variants_free(struct fold_variants *fv);

/* True when the ASCII byte c is a letter or digit: a Latin term or spelling that starts or
 * ends with one matches only where no such byte is next to it. */
static inline bool fold_ascii_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

#endif
