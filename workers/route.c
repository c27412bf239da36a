/* route — see route.h. */
#include "route.h"

#include <stdlib.h>
#include <string.h>

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

int route_band(const char *category, const char *suggested, int severity, bool hits,
               long reports, long reporters, int *score)
{
    bool is_urgent = false;
    for (size_t i = 0; i < sizeof urgent / sizeof urgent[0]; i++)
        is_urgent |= strcmp(category, urgent[i]) == 0 || list_has(suggested, urgent[i]);
    long s = 15L * severity + (is_urgent ? 30 : 0) + (reports > 50 ? 10 : reports / 5) +
             (reporters > 20 ? 10 : reporters / 2);
    *score = s > 100 ? 100 : (int)s;
    if (is_urgent || severity >= 4)
        return 3;
    if (severity == 3 || reporters >= 20)
        return 2;
    if (severity >= 1 || hits || reports >= 3)
        return 1;
    return 0;
}

void route_out_free(struct route_out *out)
{
    buf_free(&out->suggested);
    buf_free(&out->hits);
    free(out->title);
    free(out->description);
    memset(out, 0, sizeof *out);
}

int route_case(const struct ruleset *rs, const struct route_in *in, struct route_out *out)
{
    memset(out, 0, sizeof *out);
    struct rules_input ri = {0};
    const char *texts[RULES_NFIELDS] = {in->url, in->title, in->description};
    for (int f = 0; f < RULES_NFIELDS; f++) {
        ri.text[f] = *texts[f] ? texts[f] : NULL;
        ri.len[f] = strlen(texts[f]);
    }
    struct rules_result res;
    if (rules_match(rs, &ri, &res) < 0)
        return -1;
    rules_result_lists(&res, &out->suggested, &out->hits);
    out->severity = res.severity > in->severity ? res.severity : in->severity;
    out->title = rules_redact(rs, in->title, strlen(in->title), NULL, NULL);
    out->description = rules_redact(rs, in->description, strlen(in->description), NULL, NULL);
    if (out->suggested.oom || out->hits.oom || !out->title || !out->description) {
        route_out_free(out);
        return -1;
    }
    struct buf all = {0};   /* what intake suggested and what this pass does */
    buf_printf(&all, "%s,%s", in->suggested, out->suggested.p);
    if (all.oom) {
        route_out_free(out);
        return -1;
    }
    out->band = route_band(in->category, all.p, out->severity, res.nhits > 0 || *in->suggested,
                           in->reports, in->reporters, &out->score);
    buf_free(&all);
    return 0;
}
