/* route — see route.h. */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "triage.h"

static const char *const urgent[] = {"minors", "violence_terrorism"};

/* True when the comma-separated list holds code. */
static bool list_has(const char *list, const char *code)
{
    size_t n = strlen(code);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, code, n) == 0)
            return true;
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
    bool is_urgent = false;
    for (size_t i = 0; i < sizeof urgent / sizeof urgent[0]; i++)
        is_urgent |= strcmp(category, urgent[i]) == 0 || list_has(suggested, urgent[i]);
    bool confident = top >= ROUTE_CONFIDENT;
    long s = 15L * severity + (is_urgent ? 30 : 0) + (confident ? 10 : 0) +
             (reports > 50 ? 10 : reports / 5) + (reporters > 20 ? 10 : reporters / 2);
    *score = s > 100 ? 100 : (int)s;
    if (is_urgent || severity >= 4)
        return 3;
    if (severity == 3 || confident || reporters >= 20)
        return 2;
    if (severity >= 1 || hits || reports >= 3)
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
