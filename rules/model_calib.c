/* model_calib — the thresholds of a model from held-back probabilities (model_calibrate in
 * model_impl.h). Two conditions, both measured on examples the scoring model did not see:
 *
 * - precision: at its threshold, a category's suggestions are right at least `precision` of
 *   the time (and at least MODEL_CALIB_MIN_TP of them are right);
 * - false hits: at most `none_budget` of the benign ("none") examples get any suggestion.
 *
 * Among the thresholds that meet both, it takes the ones with the highest recall averaged over
 * the categories (what an analyst measures with jubao-rules eval). The search: thresholds on a
 * grid of MODEL_CALIB_STEP; for a price lambda on a false hit, each category takes the grid
 * point that maximises its recall minus lambda times the share of benign examples it hits
 * alone; lambda sweeps from cheap to dear, and the union of the categories' false hits is
 * checked exactly at each step. A category with fewer than MODEL_CALIB_MIN_EXAMPLES examples,
 * or none of whose thresholds meets the precision, gets 1 (never suggested). */
#include "model_impl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_CALIB_STEP 0.005
#define MODEL_CALIB_GRID 200            /* 1 / MODEL_CALIB_STEP */
#define MODEL_CALIB_FLOOR 0.1           /* no threshold below this */
#define MODEL_CALIB_MIN_TP 2
#define MODEL_CALIB_MIN_EXAMPLES 5

/* Per category and grid point g (threshold g * STEP): how many examples reach it, how many
 * of them are the category's, how many are benign. */
struct curve {
    unsigned sugg[MODEL_CALIB_GRID + 1], tp[MODEL_CALIB_GRID + 1], fp[MODEL_CALIB_GRID + 1];
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

static void build_curve(struct curve *c, const struct model *m, unsigned k, const int *y,
                        const double *prob, size_t n, double precision, size_t count)
{
    memset(c, 0, sizeof *c);
    int none = none_class(m);
    for (size_t i = 0; i < n; i++) {
        unsigned g = grid_of(prob[i * m->nclass + k]);
        c->sugg[g]++;
        c->tp[g] += y[i] == (int)k;
        c->fp[g] += y[i] == none;
    }
    for (int g = MODEL_CALIB_GRID - 1; g >= 0; g--) {  /* cumulative: reaching g or more */
        c->sugg[g] += c->sugg[g + 1];
        c->tp[g] += c->tp[g + 1];
        c->fp[g] += c->fp[g + 1];
    }
    for (unsigned g = 0; g < MODEL_CALIB_GRID; g++)
        c->ok[g] = count >= MODEL_CALIB_MIN_EXAMPLES && g * MODEL_CALIB_STEP >= MODEL_CALIB_FLOOR &&
                   c->tp[g] >= MODEL_CALIB_MIN_TP && c->tp[g] >= precision * c->sugg[g];
}

/* Benign examples that some category suggests at thresholds thr. */
static size_t false_hits(const struct model *m, const int *y, const double *prob, size_t n,
                         const double *thr)
{
    int none = none_class(m);
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != none)
            continue;
        for (unsigned k = 0; k < m->nclass; k++)
            if ((int)k != none && thr[k] < 1.0 && prob[i * m->nclass + k] >= thr[k]) {
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

/* Fills m->q from the held-back probabilities at m's thresholds. */
static void measure(struct model *m, const int *y, const double *prob, size_t n,
                    const size_t *count)
{
    size_t tp[MODEL_MAX_CLASSES] = {0}, sugg[MODEL_MAX_CLASSES] = {0};
    int none = none_class(m);
    for (size_t i = 0; i < n; i++)
        for (unsigned k = 0; k < m->nclass; k++)
            if ((int)k != none && m->thr[k] < 1.0 && prob[i * m->nclass + k] >= m->thr[k]) {
                sugg[k]++;
                tp[k] += y[i] == (int)k;
            }
    for (unsigned k = 0; k < m->nclass; k++) {
        struct model_quality *q = &m->q[k];
        *q = (struct model_quality){.examples = count[k]};
        if ((int)k == none)
            q->false_hits = count[k] ? (double)false_hits(m, y, prob, n, m->thr) / count[k] : 0;
        else {
            q->precision = sugg[k] ? (double)tp[k] / (double)sugg[k] : 0;
            q->recall = count[k] ? (double)tp[k] / (double)count[k] : 0;
        }
    }
}

int model_calibrate(struct model *m, const int *y, const double *prob, size_t n,
                    double precision, double none_budget)
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
        build_curve(&cv[k], m, k, y, prob, n, precision, count[k]);
    double thr[MODEL_MAX_CLASSES], best = -1;
    for (unsigned k = 0; k < m->nclass; k++)
        m->thr[k] = 1.0;
    for (double lambda = 0.01; lambda < 1e5; lambda *= 1.05) {
        double r = choose(m, cv, count, lambda, nnone, thr);
        if (r > best && (double)false_hits(m, y, prob, n, thr) <= none_budget * (double)nnone) {
            best = r;
            memcpy(m->thr, thr, sizeof thr);
        }
    }
    measure(m, y, prob, n, count);
    free(cv);
    return 0;
}
