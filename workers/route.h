/* route — what a worker makes of a case before it goes to review: the rules' verdict on the
 * stored report (its texts were redacted at intake; they are redacted again with the rules in
 * force now, for the reviewers' copies) and the case's priority band. Computation only: the
 * reading and writing of Redis is consumer.c's.
 */
#ifndef JUBAO_ROUTE_H
#define JUBAO_ROUTE_H

#include "buf.h"
#include "rules.h"

#define ROUTE_BANDS 4   /* 3 first .. 0 last */

struct route_in {
    const char *category;       /* reported */
    const char *suggested;      /* comma-separated, from intake */
    int severity;               /* from intake, 0..4 */
    long reports, reporters;    /* of the case so far */
    const char *url, *title, *description;  /* the stored report; "" when absent */
};

struct route_out {
    struct buf suggested, hits; /* comma-separated, NUL-terminated: this pass's */
    int severity;               /* the higher of intake's and this pass's */
    int score;                  /* 0..100, within a band */
    int band;                   /* 0..3 */
    char *title, *description;  /* redacted again */
};

/* Runs the rules over the report and sets the case's priority. Returns 0 with out filled
 * (free with route_out_free), or -1 when memory ran out or a text is not UTF-8 (out freed). */
int route_case(const struct ruleset *rs, const struct route_in *in, struct route_out *out);
void route_out_free(struct route_out *out);

/* The band of a case (docs/API.md, "Review"): 3 for harm to minors or violence and terrorism
 * (reported or suggested) and critical hits; 2 for high severity or at least 20 distinct
 * reporters; 1 for any other rule hit or 3 reports or more; else 0. *score orders cases within
 * a band when many arrive at once (it goes with the case for the reviewers' information). */
int route_band(const char *category, const char *suggested, int severity, bool hits,
               long reports, long reporters, int *score);

#endif
