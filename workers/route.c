/* route — see route.h. */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "triage.h"

/* True when the comma-separated lists a and b have an item in common. */
static bool lists_meet(const char *a, const char *b)
{
    for (const char *p = b; *p;) {
        size_t len = strcspn(p, ",");
        for (const char *q = a; *q;) {
            size_t n = strcspn(q, ",");
            if (n == len && memcmp(p, q, n) == 0)
                return true;
            q += n + (q[n] == ',');
        }
        p += len + (p[len] == ',');
    }
    return false;
}

double route_top_score(const char *scores)
{
    double top = 0;
    for (const char *p = scores ? scores : ""; *p;) {
        size_t len = strcspn(p, ",");
        const char *colon = memchr(p, ':', len);
        double v = colon ? strtod(colon + 1, NULL) : 0;
        top = v > top ? v : top;
        p += len + (p[len] == ',');
    }
    return top;
}

int route_band(const char *category, const char *suggested, int severity, bool hits, double top,
               long reports, long reporters, int *score)
{
    bool is_urgent = lists_meet(SCHEMA_URGENT, category) || lists_meet(SCHEMA_URGENT, suggested);
    bool confident = top >= ROUTE_CONFIDENT;
    long s = 15L * severity + (is_urgent ? 30 : 0) + (confident ? 10 : 0) +
             (reports > 50 ? 10 : reports / 5) + (reporters > 20 ? 10 : reporters / 2);
    *score = s > 100 ? 100 : (int)s;
    if (is_urgent || severity >= 4)
        return 3;
    if (severity == 3 || confident || reporters >= SCHEMA_BAND_REPORTERS)
        return 2;
    if (severity >= 1 || hits || reports >= SCHEMA_BAND_REPORTS)
        return 1;
    return 0;
}

void route_out_free(struct route_out *out)
{
    buf_free(&out->suggested);
    buf_free(&out->hits);
    buf_free(&out->scores);
    free(out->title);
    free(out->description);
    memset(out, 0, sizeof *out);
}

int route_case(const struct ruleset *rs, const struct model *m, const struct route_in *in,
               struct route_out *out)
{
    memset(out, 0, sizeof *out);
    struct rules_input ri = {0};
    const char *texts[RULES_NFIELDS] = {in->url, in->title, in->description};
    for (int f = 0; f < RULES_NFIELDS; f++) {
        ri.text[f] = *texts[f] ? texts[f] : NULL;
        ri.len[f] = strlen(texts[f]);
    }
    struct triage_result tr;
    if (triage_run(rs, m, &ri, &tr) < 0)
        return -1;
    triage_lists(&tr, &out->suggested, &out->hits);
    triage_scores(&tr, true, &out->scores);
    out->severity = tr.rules.severity > in->severity ? tr.rules.severity : in->severity;
    out->title = rules_redact(rs, in->title, strlen(in->title), NULL, NULL);
    out->description = rules_redact(rs, in->description, strlen(in->description), NULL, NULL);
    if (out->suggested.oom || out->hits.oom || out->scores.oom || !out->title ||
        !out->description) {
        route_out_free(out);
        return -1;
    }
    struct buf all = {0};   /* what intake suggested and what this pass does */
    buf_printf(&all, "%s,%s", in->suggested, out->suggested.p);
    if (all.oom) {
        route_out_free(out);
        return -1;
    }
    double top = route_top_score(in->scores), now = route_top_score(out->scores.p);
    out->band = route_band(in->category, all.p, out->severity, tr.rules.nhits > 0 || tr.n > 0 || *in->suggested,
                           top > now ? top : now, in->reports, in->reporters, &out->score);
    buf_free(&all);
    return 0;
}
