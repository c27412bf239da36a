/* model — the triage model: a multi-class logistic regression (LIBLINEAR, docs/RULES.md "The
 * model") over hashed features of a report's text: character n-grams of the folded text
 * (rules_fold: NFKC, case folding, traditional to simplified, look-alikes, variants, no
 * separators) for Chinese, words and word pairs for Latin script, the shapes folding removes
 * (punctuation, brackets, emoji) read from the text as given, and the rule and lexicon hits
 * of the rule set in force as features of their own. Each category has a probability threshold,
 * calibrated at training on held-back examples so that a suggestion reaches the precision target
 * (MODEL_PRECISION unless told otherwise) and the model suggests something for few benign
 * texts (MODEL_NONE_FALSE_HITS); below its threshold a category is not suggested.
 *
 * A model is immutable once made: any number of threads may score with it. It travels as bytes
 * (model_save / model_load: a versioned little-endian format with a checksum), which is how it
 * is stored in Redis and in files. A model_live holder lets requests keep the model they started
 * with while a newer one is swapped in (the same contract as rules_live).
 *
 * This module is the only user of LIBLINEAR.
 */
#ifndef JUBAO_MODEL_H
#define JUBAO_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "rules.h"

#define MODEL_PRECISION 0.90    /* default precision target of a suggestion */
#define MODEL_NONE_FALSE_HITS 0.0075 /* default share of benign texts the model may suggest
                                        something for (held back; see model_opts) */
#define MODEL_MAX_CLASSES 16    /* categories of lib/category.h and "none" */

struct model;

/* One labelled text: category is a category code (lib/category.h) or "none". */
struct model_example {
    const char *text;
    size_t len;
    const char *category;
};

struct model_opts {
    double c;                   /* LIBLINEAR's C; 0 for the default */
    double precision;           /* per-category precision target; 0 for MODEL_PRECISION */
    unsigned seed;              /* for the held-back calibration slice */
    double none_false_hits;     /* at most this share of the held-back benign ("none") texts
                                   get a suggestion from the model where the rules gave them
                                   none; 0 for MODEL_NONE_FALSE_HITS */
};

/* Trains on ex[0..n) with the features of rs (which may be NULL: text features only). Returns 0
 * with *out set, or -1 with nothing allocated and err saying why (too few examples, a category
 * that is not a code, out of memory). */
int model_train(struct model **out, const struct ruleset *rs, const struct model_example *ex,
                size_t n, const struct model_opts *opts, char *err, size_t errlen);

struct model_score {
    const char *category;       /* a code of lib/category.h (static storage); never "none" */
    double p;                   /* the model's probability */
};

/* Scores one report: text is what the model reads (the description, or title and description
 * joined by a newline), folded here; rr the rule set's result on the same report (NULL for
 * none). Writes the categories whose probability reaches their threshold to out[0..max),
 * strongest first, and returns how many; -1 when the text is not UTF-8 or memory ran out. */
int model_predict(const struct model *m, const struct ruleset *rs, const char *text, size_t len,
                  const struct rules_result *rr, struct model_score *out, size_t max);

/* model_predict of a report already folded, so that triage folds a report once: folded is
 * what rules_match_folded hands on from matching in (title and description folded each,
 * joined by a space), or what rules_fold makes of a text; it must be valid UTF-8 (folding
 * makes it so). The model also reads the shapes that folding removes (punctuation, brackets,
 * emoji, faces, @names) from the title and description of in as given; in may be NULL (no
 * shapes). With in holding the text as its description, the same results as model_predict;
 * -1 only when memory ran out. */
int model_predict_report(const struct model *m, const struct rules_input *in, const char *folded,
                         size_t len, const struct rules_result *rr, struct model_score *out,
                         size_t max);

/* model_predict_report without the shapes (in NULL): kept for callers that have the folded
 * text only; a model reads a little less well without them. */
int model_predict_folded(const struct model *m, const char *folded, size_t len,
                         const struct rules_result *rr, struct model_score *out, size_t max);

/* The threshold of a category (1.0 when the model never suggests it) and the model's label, a
 * short string set at training ("2026-12-03T10:00:00Z n=6715") that tools print. */
double model_threshold(const struct model *m, const char *category);
const char *model_label(const struct model *m);

/* How a class did on the held-back examples at training, at its threshold: the precision of
 * the model's suggestions of it, the recall of triage (the model's suggestions and, when it was
 * trained with a rule set, the rules'), and how many examples it had. For "none", false_hits is
 * the share of its examples that got some suggestion, again from the model or the rules (the
 * others are 0 for none, and false_hits is 0 for categories). Returns 0, or -1 when the model
 * has no such class. */
struct model_quality {
    double precision, recall, false_hits;
    size_t examples;
};
int model_quality(const struct model *m, const char *category, struct model_quality *q);

/* Serializes m into out (appended). Returns 0, or -1 when memory ran out. */
int model_save(const struct model *m, struct buf *out);

/* Reads a model from the len bytes at p. Returns it, or NULL with err saying why (not a model,
 * a version this build cannot read, a bad checksum, out of memory). */
struct model *model_load(const void *p, size_t len, char *err, size_t errlen);

/* Reads / writes a model file. model_read_file returns NULL with err set on failure;
 * model_write_file returns 0 or -1 with err set. */
struct model *model_read_file(const char *path, char *err, size_t errlen);
int model_write_file(const struct model *m, const char *path, char *err, size_t errlen);

void model_free(struct model *m);

/* The holder through which requests use the model in force while a newer one replaces it
 * (lib/live.h). A holder may hold no model (NULL): then the rules alone suggest.
 * model_live_new takes m (NULL: none yet) and returns NULL when memory ran out, m then freed.
 * model_swap makes m (owned by the holder from then on; NULL: none) current; the old model is
 * freed by its last model_release. In the unlikely case that memory runs out, m is freed and
 * the old model stays. model_live_free frees the holder and its model; every model acquired
 * must have been released. */
struct model_live;
struct model_live *model_live_new(struct model *m);
const struct model *model_acquire(struct model_live *live);    /* NULL when none */
void model_release(struct model_live *live, const struct model *m);
void model_swap(struct model_live *live, struct model *m);
void model_live_free(struct model_live *live);

#endif
