/* vectors — scores the redaction rules of a set against labelled examples, so that a change to
 * a pattern or a check shows what it gains and what it breaks (tests/unit/test_rules_redact.c
 * and `jubao-rules vectors`; the shipped set is tests/unit/data/pii_vectors.tsv).
 *
 * A vectors file holds one example a line, '#' lines and blank lines aside:
 *
 *     LABEL <TAB> TEXT <TAB> EXPECTED
 *
 * LABEL names the kind of personal data the text holds (phone, email, id, ...), or starts with
 * "keep" for text that holds none and must come back unchanged (keep:price, keep:check).
 * EXPECTED is the redacted text, or "=" for the text itself; \t, \n and \\ are escapes in
 * both. Recall is the share of labelled examples redacted exactly as expected; false hits are
 * the share of keep examples that were changed at all.
 */
#ifndef JUBAO_VECTORS_H
#define JUBAO_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rules.h"

#define VECTORS_MIN_RECALL 0.99         /* the bar the shipped rules must clear */
#define VECTORS_MAX_FALSE 0.01
#define VECTORS_MAX_KINDS 32

struct vectors_kind {
    char label[24];                     /* keep:... labels are counted as "keep" */
    size_t n, ok;
};

struct vectors_score {
    size_t pii, caught;                 /* labelled examples; of them, redacted as expected */
    size_t keep, false_hits;            /* keep examples; of them, changed */
    struct vectors_kind kind[VECTORS_MAX_KINDS];
    size_t nkinds;                      /* further labels share the last row, "other" */
    size_t bytes;                       /* text bytes in all examples */
    double seconds;                     /* CPU time redacting every example `repeat` times */
};

/* Redacts every example of the file at path with rs and fills *out; when repeat > 0, times
 * `repeat` more passes over all examples. Each failed example is written to misses (when not
 * NULL) as "path:line: LABEL: expected ... got ...". Returns 0, or -1 with "path:line: reason"
 * in err when the file cannot be read, a line is malformed or memory ran out. */
int vectors_score(const struct ruleset *rs, const char *path, unsigned repeat, FILE *misses,
                  struct vectors_score *out, char *err, size_t errlen);

/* Recall and false-hit rate of a score (0 when there are no examples of that side). */
double vectors_recall(const struct vectors_score *s);
double vectors_false_rate(const struct vectors_score *s);

/* True when recall and false hits meet VECTORS_MIN_RECALL and VECTORS_MAX_FALSE. */
bool vectors_pass(const struct vectors_score *s);

#endif
