/* model_impl — what the files of the model module (model.c: scoring and the holder,
 * model_train.c: training, model_file.c: the stored form) share. Not for other modules. */
#ifndef JUBAO_MODEL_IMPL_H
#define JUBAO_MODEL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "featvec.h"
#include "model.h"

#define MODEL_LABEL_MAX 96
extern const char model_none[];   /* the class of benign texts, "none" */

/* Weights are packed one byte each for scoring: code c (an int8) stands for
 * sign(c) * wmax * r^(|c| - 127), a logarithmic scale over MODEL_WEIGHT_RANGE (r = 1.076:
 * codes 4 % apart), 0 for 0; codes -128 and -127 read alike. Inverse document frequencies are
 * one byte too, idf_step apart. Only the slots some training text had get a row (dense): a
 * bitmap of the slots and the count of rows before each 64 of them find a slot's row, and
 * tell an unknown feature without touching the rows. A row's bytes are adjacent: 9 bytes for
 * 8 classes, a quarter of a float row, so that scoring mostly hits the cache. */
#define MODEL_WEIGHT_RANGE 1e4
#define MODEL_WEIGHT_CODES 127

/* 64 slots of a packed model: which have a row, and how many rows come before them. The two
 * side by side, so that finding a row reads one cache line before the row itself. */
struct model_word {
    uint64_t used;
    uint32_t rank;
};

struct model {
    unsigned bits;                      /* 2^bits feature slots */
    unsigned featver;                   /* FEATVEC_VERSION it was trained with */
    unsigned nclass;                    /* classes, "none" among them when it was trained */
    const char *cls[MODEL_MAX_CLASSES]; /* category codes (static storage) or model_none */
    double thr[MODEL_MAX_CLASSES];      /* probability threshold; >= 1 never suggests */
    float bias[MODEL_MAX_CLASSES];
    struct model_quality q[MODEL_MAX_CLASSES];  /* held back at training; "none": false_hits */
    float *row;                         /* while training: per slot its inverse document
                                           frequency (0 for a slot no training text had), then
                                           its weight for each class; NULL once packed */
    struct model_word *word;            /* once packed (model_pack): slot s has a row when
                                           bit s % 64 of word[s / 64].used is set */
    size_t rows;
    unsigned char *packed;              /* per row: the idf code (not 0), then one weight
                                           code per class */
    float idf_step, wmax;               /* the scales of the packed codes */
    float book[256];                    /* the weight of each code, indexed by its byte */
    char label[MODEL_LABEL_MAX];
};

/* A model of 2^bits slots and nclass classes with zero weights and thresholds 1, or NULL:
 * with float rows to train (packed false), or to load packed rows into (packed true: set the
 * bits of each word's used, then model_rows; idf_step and wmax, then model_book). */
struct model *model_alloc(unsigned bits, unsigned nclass, bool packed);

/* Counts the slots set in the words' used into their rank and m->rows and allocates the rows (zero).
 * Returns 0, or -1 when memory ran out. */
int model_rows(struct model *m);

/* Packs the float rows of a trained model into codes and frees the rows. Returns 0, or -1
 * when memory ran out (m unchanged). */
int model_pack(struct model *m);

/* Fills m->book from m->wmax. */
void model_book(struct model *m);

static inline unsigned model_popcount(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* The packed row of slot s of a packed model ([0] the idf code, [1 + k] class k's weight
 * code), or NULL when no training text had the slot. */
static inline const unsigned char *model_packed(const struct model *m, size_t s)
{
    const struct model_word *mw = &m->word[s >> 6];
    uint64_t w = mw->used, bit = 1ull << (s & 63);
    if (!(w & bit))
        return NULL;
    return m->packed + (mw->rank + model_popcount(w & (bit - 1))) * (m->nclass + 1);
}

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

/* model_features of text already folded (rules_fold; valid UTF-8), with the shapes
 * (featvec_shape) of the title and description of in as given (in NULL: none). */
int model_features_folded(struct featvec *f, const char *folded, size_t len,
                          const struct rules_input *in, const struct rules_result *rr);

/* The probability of each class (p[0..nclass)) for the vector f. With weigh, f's values are
 * first multiplied by m's inverse document frequencies and scaled to unit length again, in the
 * same pass (the scale applies to the sums); without it f was weighed before (featvec_weigh).
 * A packed model always weighs; a model with float rows (training) may do either. Returns
 * how many of f's features the model knows. */
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
