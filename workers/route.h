/* route — what a worker makes of a case before it goes to review: triage of the stored
 * report by the rules and the model in force (rules/triage.h; its texts were redacted at
 * intake; they are redacted again with the rules in force now, for the reviewers' copies) and
 * the case's priority band. Computation only: the reading and writing of Redis is consumer.c's.
 */
#ifndef JUBAO_ROUTE_H
#define JUBAO_ROUTE_H

#include "buf.h"
#include "model.h"
#include "rules.h"
#include "schema.h"

#define ROUTE_BANDS SCHEMA_BANDS   /* 3 first .. 0 last */
#define ROUTE_CONFIDENT 0.90    /* a suggestion scoring this much raises a case to band 2 */

struct route_in {
    const char *category;       /* reported */
    const char *suggested;      /* comma-separated, from intake */
    int severity;               /* from intake, 0..4 */
    long reports, reporters;    /* of the case so far */
    const char *url, *title, *description;  /* the stored report; "" when absent */
    const char *scores;         /* the case's suggested_scores so far; NULL or "" for none */
};

struct route_out {
    struct buf suggested, hits; /* comma-separated, NUL-terminated: this pass's */
    struct buf scores;          /* this pass's suggestions, "cat:score:source,..." */
    int severity;               /* the higher of intake's and this pass's */
    int score;                  /* 0..100, within a band */
    int band;                   /* 0..3 */
    char *title, *description;  /* redacted again */
};

/* Runs triage (the rules, and the model m unless it is NULL) over the report and sets the
 * case's priority. Returns 0 with out filled (free with route_out_free), or -1 when memory ran
 * out or a text is not UTF-8 (out freed). */
int route_case(const struct ruleset *rs, const struct model *m, const struct route_in *in,
               struct route_out *out);
void route_out_free(struct route_out *out);

/* The band of a case (docs/API.md, "Review"): 3 for harm to minors or violence and terrorism
 * (reported, or suggested by a rule or by the model above its threshold) and critical hits;
 * 2 for high severity, a suggestion scoring ROUTE_CONFIDENT or more (top: the highest score
 * of the case's suggestions, 0 for none) or at least 20 distinct reporters; 1 for any other
 * suggestion or rule hit or 3 reports or more; else 0. *score orders cases within a band when
 * many arrive at once (it goes with the case for the reviewers' information). */
/* hits: any rule hit or suggestion of the case. */
int route_band(const char *category, const char *suggested, int severity, bool hits, double top,
               long reports, long reporters, int *score);

/* The highest score in a "cat:score[:source],..." list; 0 for an empty one. */
double route_top_score(const char *scores);

#endif
