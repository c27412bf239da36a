/* literal_frag — what literal.c knows about one piece of a pattern, and how pieces combine.
 * Internal to the literal reader: only rules/literal*.c include this; callers use literal.h.
 *
 * A fragment is:
 * - exact: the small set of strings that every match of the piece equals (a literal "abc", a
 *   group "(?:ab|cd)"), so that neighbouring exact pieces can be joined into longer literals;
 * - req: the best set of literals one of which every match of the piece contains;
 * - maxlen: the longest match in code points.
 *
 * "Best" means the rarest-looking: frag_set_score() favours long literals and rare bytes,
 * because a literal that is in every text ("e", "the") buys nothing. Nothing here allocates
 * or fails; a set that would grow past its bound is dropped or cut, never overrun.
 */
#ifndef JUBAO_LITERAL_FRAG_H
#define JUBAO_LITERAL_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "literal.h"

#define FRAG_SET_MAX 16     /* exact strings kept for one piece */

struct lstr {
    uint8_t n;
    unsigned char b[LITERAL_MAX_LEN];
};

struct frag {
    bool exact, req;
    uint8_t nex, nrq;
    struct lstr ex[FRAG_SET_MAX];
    struct lstr rq[LITERAL_MAX_SET];
    size_t maxlen;                  /* code points */
};

/* Sizes that stick at LITERAL_UNBOUNDED instead of wrapping. */
size_t frag_sat_add(size_t a, size_t b);
size_t frag_sat_mul(size_t a, size_t b);

/* The score of the set v[0..n): that of its weakest string, in tenths of a rare letter; 0 for
 * an empty set. */
int frag_set_score(const struct lstr *v, size_t n);

/* The empty string (exact), any maxlen code points we know nothing of, and one character
 * given as its n (at most 4) UTF-8 bytes. */
void frag_empty(struct frag *f);
void frag_any(struct frag *f, size_t maxlen);
void frag_bytes(struct frag *f, const unsigned char *b, size_t n);

/* Offers the set v[0..n) as f's required set; f keeps the better of the two. */
void frag_offer_req(struct frag *f, const struct lstr *v, size_t n);

/* run = run x ex (every string of run followed by every string of ex). Returns false, leaving
 * run alone, when the product has too many strings or too long ones. */
bool frag_cross(struct lstr *run, uint8_t *nrun, const struct lstr *ex, size_t nex);

/* A sequence builds its literals in a run (a set of FRAG_SET_MAX strings, starting as the one
 * empty string). frag_close_run offers the run to seq as a required set and starts a new empty
 * one; frag_add_exact appends an exact piece a repeated min to max times. */
void frag_close_run(struct frag *seq, struct lstr *run, uint8_t *nrun);
void frag_add_exact(struct frag *seq, struct lstr *run, uint8_t *nrun, const struct frag *a,
                    size_t min, size_t max);

/* a = a | b: unites the sets of two branches of an alternation. */
void frag_alt_merge(struct frag *a, const struct frag *b);

#endif
