/* model_calib — the thresholds of a model from held-back probabilities (model_calibrate in
 * model_impl.h). Two conditions, both measured on examples the scoring model did not see:
 *
 * - precision: at its threshold, a category's suggestions are right at least `precision` of
 *   the time (and at least MODEL_CALIB_MIN_TP of them are right);
 * - false hits: at most `none_budget` of the benign ("none") examples get a suggestion from
 *   the model (and none from the rules: those the rules already hit do not count again).
 *
 * Among the thresholds that meet both, it takes the ones with the highest recall averaged over
 * the categories (what an analyst measures with jubao-rules eval). The search: thresholds on a
 * grid of MODEL_CALIB_STEP; for a price lambda on a false hit, each category takes the grid
 * point that maximises its recall minus lambda times the share of benign examples it hits
 * alone; lambda sweeps from cheap to dear, and the union of the categories' false hits is
 * checked exactly at each step. A category with fewer than MODEL_CALIB_MIN_EXAMPLES examples,
 * or none of whose thresholds meets the precision, gets 1 (never suggested).
 *
 * When the rule set's suggestions are known (ruled), the recall is that of triage as a whole,
 * as jubao-rules eval measures it: a category is found when a rule or the model suggests it,
 * so the model spends its false hits where the rules do not reach. The precision and the
 * false-hit budget stay the model's own: what its thresholds promise, whatever the rules do
 * (a rule set with many false hits of its own must not switch the model off). */
#include "model_impl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_CALIB_STEP 0.005
#define MODEL_CALIB_GRID 200            /* 1 / MODEL_CALIB_STEP */
#define MODEL_CALIB_FLOOR 0.1           /* no threshold below this */
#define MODEL_CALIB_MIN_TP 2
#define MODEL_CALIB_MIN_EXAMPLES 5

/* Per category and grid point g (threshold g * STEP): how many examples the model suggests
 * it for and how many of those are right (its precision), and how many of the category's
 * and of the benign examples get it from the model or the rules (recall, false hits). */
struct curve {
    unsigned sugg[MODEL_CALIB_GRID + 1], right[MODEL_CALIB_GRID + 1];
    unsigned tp[MODEL_CALIB_GRID + 1], fp[MODEL_CALIB_GRID + 1];
    bool ok[MODEL_CALIB_GRID + 1];      /* meets the precision condition */
};

static unsigned grid_of(double p)
{
    double g = p / MODEL_CALIB_STEP;
    return g >= MODEL_CALIB_GRID ? MODEL_CALIB_GRID : (unsigned)g;
}

static int none_class(const struct model *m)
{
    for (unsigned k = 0; k < m->nclass; k++)
        if (m->cls[k] == model_none)
            return (int)k;
    return -1;
}

/* Whether the rules suggest class k for example i. */
static bool ruled_by(const unsigned *ruled, size_t i, unsigned k)
{
    return ruled && ruled[i] >> k & 1;
}

static void build_curve(struct curve *c, const struct model *m, unsigned k, const int *y,
                        const double *prob, const unsigned *ruled, size_t n, double precision,
                        size_t count)
{
    memset(c, 0, sizeof *c);
    int none = none_class(m);
    for (size_t i = 0; i < n; i++) {
        unsigned g = grid_of(prob[i * m->nclass + k]);
        c->sugg[g]++;
        c->right[g] += y[i] == (int)k;
        c->fp[g] += y[i] == none && !(ruled && ruled[i]);
        if (ruled_by(ruled, i, k))
            g = MODEL_CALIB_GRID;       /* found at any threshold */
        c->tp[g] += y[i] == (int)k;
    }
    for (int g = MODEL_CALIB_GRID - 1; g >= 0; g--) {  /* cumulative: reaching g or more */
        c->sugg[g] += c->sugg[g + 1];
        c->right[g] += c->right[g + 1];
        c->tp[g] += c->tp[g + 1];
        c->fp[g] += c->fp[g + 1];
    }
    for (unsigned g = 0; g < MODEL_CALIB_GRID; g++)
        c->ok[g] = count >= MODEL_CALIB_MIN_EXAMPLES && g * MODEL_CALIB_STEP >= MODEL_CALIB_FLOOR &&
                   c->right[g] >= MODEL_CALIB_MIN_TP && c->right[g] >= precision * c->sugg[g];
}

/* Whether class k is suggested for example i at thresholds thr. */
static bool suggested(const struct model *m, const double *prob, const unsigned *ruled,
                      const double *thr, size_t i, unsigned k)
{
    return ruled_by(ruled, i, k) || (thr[k] < 1.0 && prob[i * m->nclass + k] >= thr[k]);
}

/* Benign examples that get a suggestion at thresholds thr: from the model or the rules with
 * with_rules, else from the model alone among those the rules leave alone. */
static size_t false_hits(const struct model *m, const int *y, const double *prob,
                         const unsigned *ruled, size_t n, const double *thr, bool with_rules)
{
    int none = none_class(m);
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != none)
            continue;
        if (ruled && ruled[i]) {
            hits += with_rules;
            continue;
        }
        for (unsigned k = 0; k < m->nclass; k++)
            if ((int)k != none && suggested(m, prob, NULL, thr, i, k)) {
                hits++;
                break;
            }
    }
    return hits;
}

/* Thresholds for price lambda; returns their mean recall over the categories. */
static double choose(const struct model *m, const struct curve *cv, const size_t *count,
                     double lambda, size_t nnone, double *thr)
{
    double sum = 0;
    unsigned cats = 0;
    int none = none_class(m);
    for (unsigned k = 0; k < m->nclass; k++) {
        thr[k] = 1.0;
        if ((int)k == none)
            continue;
        cats++;
        double best = 0, best_r = 0;
        for (int g = MODEL_CALIB_GRID - 1; g >= 0; g--) {
            if (!cv[k].ok[g])
                continue;
            double r = (double)cv[k].tp[g] / (double)count[k];
            double v = r - (nnone ? lambda * cv[k].fp[g] / (double)nnone : 0);
            if (v > best) {
                best = v;
                best_r = r;
                thr[k] = g * MODEL_CALIB_STEP;
            }
        }
        sum += best_r;
    }
    return cats ? sum / cats : 0;
}

/* Lowers single thresholds, one grid point at a time, while recall grows and the false hits
 * stay within budget: the sweep moves all categories at once and may stop short. */
static void refine(struct model *m, const struct curve *cv, const int *y, const double *prob,
                   const unsigned *ruled, size_t n, size_t max_hits)
{
    int none = none_class(m);
    for (bool moved = true; moved;) {
        moved = false;
        for (unsigned k = 0; k < m->nclass; k++) {
            if ((int)k == none)
                continue;
            unsigned at = grid_of(m->thr[k]) , g = at;
            while (g-- > 0 && !(cv[k].ok[g] && cv[k].tp[g] > cv[k].tp[at]))
                ;
            if (g >= at)        /* wrapped: nothing lower */
                continue;
            double keep = m->thr[k];
            m->thr[k] = g * MODEL_CALIB_STEP;
            if (false_hits(m, y, prob, ruled, n, m->thr, false) <= max_hits)
                moved = true;
            else
                m->thr[k] = keep;
        }
    }
}

/* Fills m->q from the held-back probabilities at m's thresholds: the model's own precision,
 * the recall and false hits of triage (with the rules when ruled is given). */
static void measure(struct model *m, const int *y, const double *prob, const unsigned *ruled,
                    size_t n, const size_t *count)
{
    size_t tp[MODEL_MAX_CLASSES] = {0}, sugg[MODEL_MAX_CLASSES] = {0};
    size_t right[MODEL_MAX_CLASSES] = {0};
    int none = none_class(m);
    for (size_t i = 0; i < n; i++)
        for (unsigned k = 0; k < m->nclass; k++) {
            if ((int)k == none)
                continue;
            if (suggested(m, prob, NULL, m->thr, i, k)) {
                sugg[k]++;
                right[k] += y[i] == (int)k;
            }
            tp[k] += y[i] == (int)k && suggested(m, prob, ruled, m->thr, i, k);
        }
    for (unsigned k = 0; k < m->nclass; k++) {
        struct model_quality *q = &m->q[k];
        *q = (struct model_quality){.examples = count[k]};
        if ((int)k == none)
            q->false_hits =
                count[k] ? (double)false_hits(m, y, prob, ruled, n, m->thr, true) / count[k] : 0;
        else {
            q->precision = sugg[k] ? (double)right[k] / (double)sugg[k] : 0;
            q->recall = count[k] ? (double)tp[k] / (double)count[k] : 0;
        }
    }
}

int model_calibrate(struct model *m, const int *y, const double *prob, const unsigned *ruled,
                    size_t n, double precision, double none_budget)
{
    struct curve *cv = malloc(m->nclass * sizeof *cv);
    if (!cv)
        return -1;
    size_t count[MODEL_MAX_CLASSES] = {0};
    for (size_t i = 0; i < n; i++)
        count[y[i]]++;
    int none = none_class(m);
    size_t nnone = none >= 0 ? count[none] : 0;
    for (unsigned k = 0; k < m->nclass; k++)
        build_curve(&cv[k], m, k, y, prob, ruled, n, precision, count[k]);
    double thr[MODEL_MAX_CLASSES], best = -1;
    for (unsigned k = 0; k < m->nclass; k++)
        m->thr[k] = 1.0;
    for (double lambda = 0.01; lambda < 1e5; lambda *= 1.05) {
        double r = choose(m, cv, count, lambda, nnone, thr);
        if (r > best &&
            (double)false_hits(m, y, prob, ruled, n, thr, false) <= none_budget * (double)nnone) {
            best = r;
            memcpy(m->thr, thr, sizeof thr);
        }
    }
    refine(m, cv, y, prob, ruled, n, (size_t)(none_budget * (double)nnone));
    measure(m, y, prob, ruled, n, count);
    free(cv);
    return 0;
}
