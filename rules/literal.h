/* literal — what a PCRE2 pattern needs to be present before it can match, read from its text.
 *
 * The rule engine runs a regex only when the text holds one of the regex's required literals
 * (rules.c scans for all of them at once with ac.h). This is our own small reader of the pattern
 * syntax, not PCRE2's: PCRE2 exposes only a first and a last code unit, never a whole literal.
 * It is conservative: a construct it does not understand makes the pattern "literal-free", and
 * such a rule simply runs on every text. What it returns is always sound:
 *
 * - every match of the pattern contains at least one of lits[] (compared with ASCII letters
 *   folded to lower case; lits[] are stored folded), and
 * - no match is longer than maxlen bytes (LITERAL_UNBOUNDED when that is not known), so that a
 *   match containing a literal found at offset o must start at or after o + len - maxlen.
 */
#ifndef JUBAO_LITERAL_H
#define JUBAO_LITERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LITERAL_UNBOUNDED SIZE_MAX
#define LITERAL_MAX_LEN 32   /* bytes kept of one literal (a required literal's prefix is required) */
#define LITERAL_MAX_SET 48   /* more alternatives than this and the pattern is literal-free */

/* flags */
#define LITERAL_CASELESS 1u   /* compiled with PCRE2_CASELESS */
#define LITERAL_EXTENDED 2u   /* compiled with PCRE2_EXTENDED */
#define LITERAL_NORMALIZED 4u /* matched against NFKC + case-folded text: reject literal
                                 characters that such text never contains */

struct literal_info {
    size_t nlits;                               /* 0: no usable literal, run on every text */
    uint8_t lens[LITERAL_MAX_SET];
    unsigned char lits[LITERAL_MAX_SET][LITERAL_MAX_LEN];
    size_t maxlen;                              /* bytes, or LITERAL_UNBOUNDED */
};

/* Reads the len bytes of pattern. Returns 0 and fills *out, or -1 when flags has
 * LITERAL_NORMALIZED and the pattern holds a literal character that normalized text never
 * contains (an upper-case letter without the i flag, a full-width form, ...); err then says
 * which one and at what byte offset. Patterns PCRE2 will reject are not errors here. */
int literal_analyze(const char *pattern, size_t len, unsigned flags, struct literal_info *out,
                    char *err, size_t errlen);

#endif
