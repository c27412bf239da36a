/* literal_lex — the cursor of the literal reader and the pieces of a pattern that are read
 * character by character: literal characters, escapes, character classes, \Q...\E.
 * Internal to the literal reader: only rules/literal*.c include this; callers use literal.h.
 *
 * Nothing here allocates. A reader function that meets what it does not understand sets
 * lp->bail (the whole pattern is then literal-free); a literal character that normalized text
 * never contains sets lp->failed and writes why into lp->err (see literal_analyze). Either way
 * the fragment it was to fill may be left unset: the caller stops reading.
 */
#ifndef JUBAO_LITERAL_LEX_H
#define JUBAO_LITERAL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "literal_frag.h"

struct lex {
    const unsigned char *p, *end, *start;   /* next byte, end, and the pattern for offsets */
    unsigned flags;                         /* LITERAL_* */
    int depth;                              /* groups open */
    bool bail, failed;
    char *err;                              /* the caller's buffer, or NULL */
    size_t errlen;
};

/* True when the next byte is c. */
bool lex_at(const struct lex *lp, char c);

/* Skips white space and # comments (under LITERAL_EXTENDED). */
void lex_skip_extended(struct lex *lp);

/* Reads a decimal number into *v (stuck near 10^6 when larger); false, reading nothing, when
 * there is no digit. */
bool lex_read_uint(struct lex *lp, size_t *v);

/* Skips to and over the next c; bails at the end. */
void lex_skip_past(struct lex *lp, char c);

/* Decodes the UTF-8 character at lp->p and advances. Returns the code point, or bails. */
uint32_t lex_next_cp(struct lex *lp);

/* The fragment of one literal code point that sits at byte offset off of the pattern. */
void lex_lit_char(struct lex *lp, uint32_t cp, bool caseless, size_t off, struct frag *f);

/* A character class; lp->p is just past the '['. */
void lex_class(struct lex *lp, bool caseless, struct frag *f);

/* An escape; lp->p is just past the backslash. */
void lex_escape(struct lex *lp, bool caseless, struct frag *f);

#endif
