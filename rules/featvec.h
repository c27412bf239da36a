/* featvec — the sparse vector the triage model (model.h) reads from a report: hashed
 * character 1- to 3-grams of each run of non-Latin characters (Chinese), hashed words and word
 * pairs of Latin-script text (digits read as 0, so that numbers count by their shape), each
 * punctuation mark, the length of the text (bytes, in powers of two), and named features (the
 * ids of the rules and lexicons that hit), each hashed into 2^bits slots.
 * Values are counts damped to 1 + log(count), times a weight per slot when one is given (the
 * model's inverse document frequency), and the vector is scaled to unit length, so a long text
 * does not outweigh a short one.
 *
 * The text given must be folded (model.c does that) and valid UTF-8. Changing what features
 * are made, or how they are hashed, changes what every stored model means: bump
 * FEATVEC_VERSION, which model files carry.
 */
#ifndef JUBAO_FEATVEC_H
#define JUBAO_FEATVEC_H

#include <stddef.h>
#include <stdint.h>

#define FEATVEC_VERSION 2
#define FEATVEC_MIN_BITS 10
#define FEATVEC_MAX_BITS 24

struct featvec {
    uint32_t *idx;              /* slot of each feature, each slot once */
    float *val;
    uint32_t *tab;              /* while building: where each slot's entry is */
    size_t n, cap, tcap;
    unsigned bits;
};

/* An empty vector over 2^bits slots (no allocation yet). */
void featvec_init(struct featvec *f, unsigned bits);
void featvec_free(struct featvec *f);

/* Adds the n-grams and words of the len bytes of folded text. Returns 0, or -1 when memory
 * ran out. */
int featvec_text(struct featvec *f, const char *text, size_t len);

/* Adds the shapes of the len bytes of text as given (not folded; bad UTF-8 is read byte by
 * byte): what folding removes and the model would otherwise never see. Each punctuation
 * mark, symbol and emoji, a mark repeated (！！, ？？), the mark a text starts and ends with
 * (【 of a headline), Weibo faces ([怒]), #topics#, @names, URLs (://) and emoji as such.
 * Returns 0, or -1 when memory ran out. */
int featvec_shape(struct featvec *f, const char *text, size_t len);

/* Adds the feature named kind:name (kind "r" for a rule id, "l" for a lexicon) with value v.
 * Returns 0 or -1 (out of memory). */
int featvec_named(struct featvec *f, const char *kind, const char *name, float v);

/* Damps the counts of the slots (idx[] holds each once, in no particular order) and scales to
 * unit length. Returns 0 (the -1 of out of memory is the adding functions'). */
int featvec_finish(struct featvec *f);

/* Multiplies each value of a finished vector by the weight of its slot, weight[slot * stride]
 * (the inverse document frequency of model.c), drops the slots whose weight is 0 and scales
 * the rest to unit length again. */
void featvec_weigh(struct featvec *f, const float *weight, size_t stride);

#endif
