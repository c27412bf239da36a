/* triage — what jubao suggests for a report: the rule set's hits and, when a model is in force,
 * the model's categories, merged into one list of suggestions with a score and a source each.
 * The gateway (at intake), the worker (before review) and jubao-rules (eval, classify) all use
 * this, so what an analyst measures is what the daemons store.
 *
 * Scores: a model suggestion scores its probability. A category suggested by a rule and not by
 * the model scores by the rule's severity (TRIAGE_RULE_SCORE: low 0.60, medium 0.75, high 0.90,
 * critical 0.99) or the model's probability when higher. Suggestions are ordered by score,
 * highest first; ties keep the rules' order (highest severity first).
 */
#ifndef JUBAO_TRIAGE_H
#define JUBAO_TRIAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "model.h"
#include "rules.h"

#define TRIAGE_FROM_RULE 1u
#define TRIAGE_FROM_MODEL 2u

struct triage_suggestion {
    const char *category;       /* a code of lib/category.h */
    double score;               /* 0..1 */
    unsigned from;              /* TRIAGE_FROM_RULE | TRIAGE_FROM_MODEL */
    const char *rule;           /* the first rule that suggested it, or NULL */
};

struct triage_result {
    struct rules_result rules;  /* the rule set's own result (hits, severity, priority) */
    struct triage_suggestion s[RULES_MAX_CATEGORIES];
    size_t n;
};

/* Triage of one report (the fields of in). m may be NULL. The report is folded once: the
 * model reads the title and description as matching folded them (rules_match_folded).
 * Returns 0 with out filled, or -1 when a field is not valid UTF-8 or memory ran out (out
 * then suggests nothing). */
int triage_run(const struct ruleset *rs, const struct model *m, const struct rules_input *in,
               struct triage_result *out);

/* Appends the suggestions as "cat:score,cat:score" (score with two decimals; empty when none),
 * NUL-terminated: the form jubao-rules classify prints. With sources, each item also says where
 * it came from, "cat:score:model", ":rule" or ":model+rule": the form the case stores as
 * `suggested_scores`. Memory failures show in out's oom. */
void triage_scores(const struct triage_result *r, bool sources, struct buf *out);

/* Appends the categories only, "cat,cat" (the case's `suggested`), and the rule hits as
 * rules_result_lists does, both NUL-terminated. */
void triage_lists(const struct triage_result *r, struct buf *cats, struct buf *hits);

#endif
