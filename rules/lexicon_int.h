/* lexicon_int — the structures that lexicon.c (scanning, conditions) and lexicon_build.c
 * (building from rule files, examples) share. Not a contract: only those two include it.
 */
#ifndef JUBAO_LEXICON_INT_H
#define JUBAO_LEXICON_INT_H

#include <stdint.h>

#include "lexicon.h"

#define LEXICON_COND_MAX 8      /* lexicons one rule lists (rulefile.c checks it) */

struct term {
    char *text;                 /* folded */
    uint32_t len, lex;
    int line;                   /* where it is listed */
    double weight;              /* 0 for an except phrase */
    bool except, latin_start, latin_end;
    bool dup;                   /* while building: merged into an earlier one */
};

struct lex {
    char *id;
    const char *category;       /* category.h's static code, or NULL */
};

struct lexicon_cond {
    uint32_t lex[LEXICON_COND_MAX];
    unsigned nlex, within, unless_within;
    bool has_min;
    double min_weight;
    uint32_t unless[LEXICON_COND_MAX];  /* lexicons whose hit cancels the rule's */
    unsigned nunless;
};

struct lexicon_set {
    struct lex *lex;
    size_t nlex, lexcap;
    struct term *terms;         /* index = the scanner's id */
    size_t nterms, termcap;
    struct lexicon_cond *conds;
    size_t nconds, condcap;
    struct ac *ac;
    struct fold_variants *fv;
};

/* An occurrence in folded text: bytes [start, end), characters [cstart, cend). */
struct occ {
    uint32_t term, start, end, cstart, cend;
};

/* Per lexicon: the counts of the current field and report (valid when the stamp is). */
struct lexstat {
    uint32_t field, call;
    double fweight, cweight;
    unsigned cterms;
    bool fpositive;
};

struct termstat {
    uint32_t field, call;       /* stamps: the term was counted in this field / report */
};

struct lexicon_scan {
    const struct lexicon_set *ls;
    struct fold fold;
    struct occ *occ, *exc;      /* counted occurrences (sorted by start), except phrases */
    size_t nocc, occcap, nexc, exccap;
    uint32_t *cand;             /* scratch of a condition: indexes into occ */
    size_t candcap;
    struct lexstat *lexst;
    size_t lexcap;
    struct termstat *termst;
    size_t termcap;
    uint32_t gen, call, field;
};

#endif
