/* evaluate — how well triage does over labelled texts: per category precision, recall and F1,
 * the confusion matrix, the false hits on benign ("none") texts and the worst misses. The one
 * table that `jubao-rules eval` prints over a file and `jubao-admin model eval` over the
 * decided cases in Redis.
 *
 * Definitions (docs/RULES.md, "Measuring"): a harmful text is found when its category is among
 * the suggestions; a benign text is a false hit when anything is suggested for it. Precision of
 * a category: of the texts it was suggested for, the share labelled with it. The confusion
 * matrix counts each text once, by its label and its strongest suggestion ("none" when none).
 * Macro recall is the mean recall over the categories that have labelled texts in the input.
 */
#ifndef JUBAO_EVALUATE_H
#define JUBAO_EVALUATE_H

#include <stddef.h>
#include <stdio.h>

#include "triage.h"

struct evaluate;

/* A new, empty tally, or NULL when memory ran out. */
struct evaluate *evaluate_new(void);
void evaluate_free(struct evaluate *e);

/* Counts one text: its id, its label (a category code or "none"), the text (an excerpt is
 * kept for the misses) and the triage of it. Returns 0, or -1 when the label is not known or
 * memory ran out. */
int evaluate_add(struct evaluate *e, const char *id, const char *label, const char *text,
                 size_t len, const struct triage_result *r);

/* The tallies so far. */
double evaluate_macro_recall(const struct evaluate *e);
double evaluate_none_false_hits(const struct evaluate *e);     /* a fraction; 0 without none */
size_t evaluate_cases(const struct evaluate *e);

/* Prints the table, then the show worst misses and the show worst false hits, and last the
 * line "macro_recall=R none_false_hits=F cases=N". */
void evaluate_print(const struct evaluate *e, FILE *out, size_t show);

#endif
