/* triage — see triage.h. */
#include "triage.h"

#include <stdlib.h>
#include <string.h>

/* What a rule's suggestion scores, by its severity (triage.h). */
static double rule_score(int severity)
{
    static const double score[] = {0.50, 0.60, 0.75, 0.90, 0.99};
    return score[severity < 0 ? 0 : severity > 4 ? 4 : severity];
}

/* The suggestion for category in out, added (score 0) when absent; NULL when full. */
static struct triage_suggestion *slot(struct triage_result *out, const char *category)
{
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->s[i].category, category) == 0)
            return &out->s[i];
    if (out->n == RULES_MAX_CATEGORIES)
        return NULL;
    out->s[out->n] = (struct triage_suggestion){category, 0, 0, NULL};
    return &out->s[out->n++];
}

static void add_rules(const struct ruleset *rs, struct triage_result *out)
{
    const struct rules_result *rr = &out->rules;
    for (size_t i = 0; i < rr->nhits && i < RULES_MAX_HITS; i++) {
        const char *cat = rules_category(rs, rr->hits[i].rule);
        struct triage_suggestion *s = cat ? slot(out, cat) : NULL;
        if (!s)
            continue;
        double score = rule_score(rules_severity(rs, rr->hits[i].rule));
        if (score > s->score)
            s->score = score;
        if (!s->rule)
            s->rule = rr->hits[i].id;
        s->from |= TRIAGE_FROM_RULE;
    }
}

static int add_model(const struct model *m, const struct rules_input *in,
                     const struct buf *folded, struct triage_result *out)
{
    struct model_score sc[MODEL_MAX_CLASSES];
    int n = model_predict_report(m, in, folded->p ? folded->p : "", folded->len, &out->rules, sc,
                                 MODEL_MAX_CLASSES);
    for (int i = 0; i < n; i++) {
        struct triage_suggestion *s = slot(out, sc[i].category);
        if (!s)
            continue;
        if (sc[i].p > s->score)
            s->score = sc[i].p;
        s->from |= TRIAGE_FROM_MODEL;
    }
    return n < 0 ? -1 : 0;
}

int triage_run(const struct ruleset *rs, const struct model *m, const struct rules_input *in,
               struct triage_result *out)
{
    memset(out, 0, sizeof *out);
    struct buf folded = {0};    /* the model reads what matching folded */
    int rc = rules_match_folded(rs, in, &out->rules, m ? &folded : NULL);
    if (rc == 0) {
        add_rules(rs, out);
        rc = m ? add_model(m, in, &folded, out) : 0;
    }
    buf_free(&folded);
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    /* Insertion sort by score, stable: ties keep the rules' order. */
    for (size_t i = 1; i < out->n; i++) {
        struct triage_suggestion s = out->s[i];
        size_t j = i;
        for (; j > 0 && out->s[j - 1].score < s.score; j--)
            out->s[j] = out->s[j - 1];
        out->s[j] = s;
    }
    return 0;
}

static const char *source_name(unsigned from)
{
    return from == (TRIAGE_FROM_RULE | TRIAGE_FROM_MODEL) ? "model+rule"
           : from == TRIAGE_FROM_MODEL                    ? "model"
                                                          : "rule";
}

void triage_scores(const struct triage_result *r, bool sources, struct buf *out)
{
    for (size_t i = 0; i < r->n; i++) {
        buf_printf(out, "%s%s:%.2f", i ? "," : "", r->s[i].category, r->s[i].score);
        if (sources)
            buf_printf(out, ":%s", source_name(r->s[i].from));
    }
    buf_add(out, "", 0);
}

void triage_lists(const struct triage_result *r, struct buf *cats, struct buf *hits)
{
    for (size_t i = 0; i < r->n; i++)
        buf_printf(cats, "%s%s", i ? "," : "", r->s[i].category);
    for (size_t i = 0; i < r->rules.nhits && i < RULES_MAX_HITS; i++)
        buf_printf(hits, "%s%s", i ? "," : "", r->rules.hits[i].id);
    buf_add(cats, "", 0);
    buf_add(hits, "", 0);
}
