/* model_impl — what the files of the model module (model.c: scoring and the holder,
 * model_train.c: training, model_file.c: the stored form) share. Not for other modules. */
#ifndef JUBAO_MODEL_IMPL_H
#define JUBAO_MODEL_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "featvec.h"
#include "model.h"

#define MODEL_LABEL_MAX 96
extern const char model_none[];   /* the class of benign texts, "none" */

struct model {
    unsigned bits;                      /* 2^bits feature slots */
    unsigned featver;                   /* FEATVEC_VERSION it was trained with */
    unsigned nclass;                    /* classes, "none" among them when it was trained */
    const char *cls[MODEL_MAX_CLASSES]; /* category codes (static storage) or model_none */
    double thr[MODEL_MAX_CLASSES];      /* probability threshold; >= 1 never suggests */
    float bias[MODEL_MAX_CLASSES];
    struct model_quality q[MODEL_MAX_CLASSES];  /* held back at training; "none": false_hits */
    float *row;                         /* per slot: its inverse document frequency (0 for a
                                           slot no training text had), then its weight for
                                           each class; one slot's numbers are adjacent */
    char label[MODEL_LABEL_MAX];
};

/* A model of 2^bits slots and nclass classes with zero weights and thresholds 1, or NULL. */
struct model *model_alloc(unsigned bits, unsigned nclass);

/* The numbers of slot s: row[0] the inverse document frequency, row[1 + k] class k's weight. */
static inline float *model_row(const struct model *m, size_t s)
{
    return m->row + s * (m->nclass + 1);
}

/* The features of one report (text as model_predict takes it) into f (initialised with the
 * model's bits), before the inverse document frequencies (featvec_weigh) are applied. Returns
 * 0, or -1 when the text is not UTF-8 or memory ran out. */
int model_features(struct featvec *f, const struct ruleset *rs, const char *text, size_t len,
                   const struct rules_result *rr);

/* model_features of text already folded (rules_fold; valid UTF-8). */
int model_features_folded(struct featvec *f, const char *folded, size_t len,
                          const struct rules_result *rr);

/* The probability of each class (p[0..nclass)) for the vector f. With weigh, f's values are
 * first multiplied by m's inverse document frequencies and scaled to unit length again, in the
 * same pass (the scale applies to the sums); without it f was weighed before (featvec_weigh).
 * Returns how many of f's features the model knows. */
size_t model_probs(const struct model *m, const struct featvec *f, bool weigh, double *p);

/* Sets m's thresholds and held-back quality (m->thr, m->q) from prob[i * nclass + k], the
 * probability of class k for example i of class y[i] scored by a model that did not see it,
 * and ruled[i], the classes the rules suggest for it (bit k; ruled may be NULL): see
 * model_calib.c. Returns 0, or -1 when memory ran out. */
int model_calibrate(struct model *m, const int *y, const double *prob, const unsigned *ruled,
                    size_t n, double precision, double none_budget);

/* The static code of a category or "none" spelled by s, or NULL when s is neither. */
const char *model_class_code(const char *s);

#endif
