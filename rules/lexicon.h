/* lexicon — the lexicons and variants of a rule set (docs/RULES.md "Lexicons"), matched on the
 * folded text of each field (fold.h) by one Aho-Corasick scan over the terms of all lexicons,
 * and the lexicon conditions of rules (lexicon:, within:, min-weight:, unless:).
 *
 * A set is built once and never changes; any number of threads match with it, each with its
 * own lexicon_scan. Per field a scan keeps at most LEXICON_MAX_OCC occurrences (the first
 * ones): a text made of nothing but terms cannot make the window search quadratic.
 */
#ifndef JUBAO_LEXICON_H
#define JUBAO_LEXICON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "fold.h"
#include "rulefile.h"
#include "rules.h"

#define LEXICON_MAX_OCC 2048

struct lexicon_set;
struct lexicon_scan;

/* Builds the variants and lexicons of lx: folds spellings and terms, checks ids, weights,
 * duplicates and conflicts, runs the examples. Each problem is appended to errs as
 * "file:line: lexicon ID: reason" and counted in *nerrs. Returns the set (empty when lx is),
 * or NULL when memory ran out. */
struct lexicon_set *lexicon_build(const struct rulefile_lex *lx, struct buf *errs,
                                  size_t *nerrs);
void lexicon_free(struct lexicon_set *ls);

/* Adds the lexicon condition of rule sp (sp->lexicons set). Returns its number (>= 0), -1 when
 * it names a lexicon that does not exist (reported like lexicon_build's problems) or -2 when
 * memory ran out. */
int lexicon_cond_add(struct lexicon_set *ls, const struct rulefile_rule *sp, struct buf *errs,
                     size_t *nerrs);

/* The variants of the set (for rules_fold), or NULL when it has none. */
const struct fold_variants *lexicon_variants(const struct lexicon_set *ls);

/* Lexicons, terms (and except phrases) and variant spellings in the set. */
void lexicon_counts(const struct lexicon_set *ls, size_t *lexicons, size_t *terms,
                    size_t *variants);

/* A scan's buffers, or NULL when memory ran out; free with lexicon_scan_free. */
struct lexicon_scan *lexicon_scan_new(void);
void lexicon_scan_free(struct lexicon_scan *sc);

/* Starts a new report: the counts of lexicon_hits start from nothing. Returns 0, or -1 when
 * memory ran out. */
int lexicon_scan_begin(const struct lexicon_set *ls, struct lexicon_scan *sc);

/* Folds and scans one field (the len bytes of normalized text at s). Returns 0, or -1 when
 * memory ran out. */
int lexicon_scan_field(const struct lexicon_set *ls, struct lexicon_scan *sc, const char *s,
                       size_t len);

/* True when condition cond holds in the field scanned last; [*ns, *ne) is then its span in
 * the normalized text that was scanned. */
bool lexicon_cond_met(const struct lexicon_set *ls, struct lexicon_scan *sc, int cond,
                      size_t *ns, size_t *ne);

/* The lexicons that counted a term in any field of the report, in set order: writes up to max
 * to out and returns how many. */
size_t lexicon_hits(const struct lexicon_set *ls, const struct lexicon_scan *sc,
                    struct rules_lexhit *out, size_t max);

/* The folded text of the field scanned last (NUL-terminated). */
const char *lexicon_folded(const struct lexicon_scan *sc);

#endif
