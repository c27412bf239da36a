/* model_train — model_train of model.h, the only user of LIBLINEAR.
 *
 * 1. Every example becomes a feature vector (model_features), with its rule hits when a rule
 *    set is given.
 * 2. Thresholds: the examples are split into MODEL_FOLDS folds, stratified by class and
 *    shuffled by the seed; a model trained on the other folds scores each fold. These
 *    held-back probabilities set the thresholds (model_calib.c).
 * 3. The model that ships is trained on all the examples.
 *
 * Each class is one logistic regression against the others (LIBLINEAR -s 0) on its own
 * NB-scaled features (nb_ratio); the scale is folded into the weights, so scoring sees one
 * linear model. A class that a fold lacks cannot be trained there: its weights stay 0 and its
 * bias NO_CLASS_BIAS, so that held back it is simply never found.
 *
 * LIBLINEAR's own `struct model` clashes with ours: its header is read with the name renamed.
 */
#include "model_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define model linear_model
#include <linear.h>
#undef model

#include "category.h"

#define MODEL_BITS 18
#define MODEL_FOLDS 10
#define MODEL_MIN_EXAMPLES 10
#define MODEL_EPS 0.01
#define MODEL_C 128.0      /* little regularization: held back, 4 recalls 0.04 less */
#define NB_ALPHA 1.0
#define MODEL_MIN_DF 2      /* a slot only one text had is noise: on the corpus, leaving such
                               slots out finds 0.02 more of dev.tsv, and the model is smaller */
#define MODEL_MIN_DF_EXAMPLES 1000  /* ... when there are texts enough; below, every slot counts */
#define NO_CLASS_BIAS -30.0f

struct trainset {
    size_t n;
    int *y;                             /* class of each example */
    struct feature_node **x;            /* LIBLINEAR vectors, bias node included */
    struct featvec *f;                 /* the same, for our own scoring */
    float *idf;                         /* per slot */
    unsigned *ruled;                    /* classes the rules suggest (bit k), or NULL */
    unsigned nclass;
    const char *cls[MODEL_MAX_CLASSES];
    size_t count[MODEL_MAX_CLASSES];
};

static void quiet(const char *s)
{
    (void)s;
}

static void trainset_free(struct trainset *ts)
{
    for (size_t i = 0; ts->x && i < ts->n; i++)
        free(ts->x[i]);
    for (size_t i = 0; ts->f && i < ts->n; i++)
        featvec_free(&ts->f[i]);
    free(ts->x);
    free(ts->f);
    free(ts->y);
    free(ts->idf);
    free(ts->ruled);
}

/* Classes: "none" first, then the categories in lib/category.h's order; only those present. */
static int trainset_classes(struct trainset *ts, const struct model_example *ex, size_t n,
                            char *err, size_t errlen)
{
    bool seen[64] = {false};            /* index 0: none, 1 + i: categories[i] */
    for (size_t i = 0; i < n; i++) {
        const char *code = model_class_code(ex[i].category);
        if (!code) {
            snprintf(err, errlen, "example %zu: \"%s\" is not a category", i + 1,
                     ex[i].category);
            return -1;
        }
        seen[code == model_none ? 0 : 1 + (category_find(code, strlen(code)) - categories)] = true;
    }
    for (size_t c = 0; c <= categories_count && c < 64; c++)
        if (seen[c])
            ts->cls[ts->nclass++] = c == 0 ? model_none : categories[c - 1].code;
    for (size_t i = 0; i < n; i++)
        for (unsigned k = 0; k < ts->nclass; k++)
            if (strcmp(ts->cls[k], ex[i].category) == 0)
                ts->count[k]++, ts->y[i] = (int)k;
    if (ts->nclass < 2) {
        snprintf(err, errlen, "the examples need at least two classes (categories or none)");
        return -1;
    }
    return 0;
}

static int cmp_node(const void *a, const void *b)
{
    const struct feature_node *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* The LIBLINEAR form of f: 1-based slots in order, the bias feature, the end mark. */
static struct feature_node *to_nodes(const struct featvec *f, unsigned bits)
{
    struct feature_node *x = malloc((f->n + 2) * sizeof *x);
    if (!x)
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        x[i] = (struct feature_node){(int)f->idx[i] + 1, f->val[i]};
    qsort(x, f->n, sizeof *x, cmp_node);
    x[f->n] = (struct feature_node){(int)(1u << bits) + 1, 1.0};
    x[f->n + 1] = (struct feature_node){-1, 0};
    return x;
}

/* The inverse document frequency of each slot, log((n + 1) / (df + 1)) + 1 over the examples
 * (0 for a slot none has, or with MODEL_MIN_DF_EXAMPLES examples or more, fewer than
 * MODEL_MIN_DF: it says nothing, and must not dilute the others), applied to every
 * vector, which then takes its LIBLINEAR form. All examples count, also for the held-back
 * models: a slot's frequency carries no label. */
static int weigh(struct trainset *ts)
{
    size_t slots = (size_t)1 << MODEL_BITS;
    unsigned *df = calloc(slots, sizeof *df);
    if (!df || !(ts->idf = calloc(slots, sizeof *ts->idf))) {
        free(df);
        return -1;
    }
    for (size_t i = 0; i < ts->n; i++)
        for (size_t j = 0; j < ts->f[i].n; j++)
            df[ts->f[i].idx[j]]++;
    unsigned min_df = ts->n >= MODEL_MIN_DF_EXAMPLES ? MODEL_MIN_DF : 1;
    for (size_t s = 0; s < slots; s++)
        if (df[s] >= min_df)
            ts->idf[s] = (float)(log((ts->n + 1.0) / (df[s] + 1.0)) + 1);
    free(df);
    for (size_t i = 0; i < ts->n; i++) {
        featvec_weigh(&ts->f[i], ts->idf, 1);
        if (!(ts->x[i] = to_nodes(&ts->f[i], MODEL_BITS)))
            return -1;
    }
    return 0;
}

static int trainset_build(struct trainset *ts, const struct ruleset *rs,
                          const struct model_example *ex, size_t n, char *err, size_t errlen)
{
    ts->n = n;
    ts->y = calloc(n, sizeof *ts->y);
    ts->x = calloc(n, sizeof *ts->x);
    ts->f = calloc(n, sizeof *ts->f);
    if (!ts->y || !ts->x || !ts->f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (trainset_classes(ts, ex, n, err, errlen) != 0)
        return -1;
    if (rs && !(ts->ruled = calloc(n, sizeof *ts->ruled))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct rules_result rr, *rrp = NULL;
        if (rs) {
            struct rules_input in = {.text[RULES_DESCRIPTION] = ex[i].text,
                                     .len[RULES_DESCRIPTION] = ex[i].len};
            rrp = rules_match(rs, &in, &rr) == 0 ? &rr : NULL;
            for (size_t j = 0; rrp && j < rr.ncategories; j++)
                for (unsigned k = 0; k < ts->nclass; k++)
                    if (strcmp(ts->cls[k], rr.categories[j]) == 0)
                        ts->ruled[i] |= 1u << k;
        }
        featvec_init(&ts->f[i], MODEL_BITS);
        if (model_features(&ts->f[i], rs, ex[i].text, ex[i].len, rrp) != 0) {
            snprintf(err, errlen, "example %zu: not UTF-8, or out of memory", i + 1);
            return -1;
        }
    }
    if (weigh(ts) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Class k's log-count ratio per slot (NBSVM, Wang and Manning 2012): r = log((a / |a|) /
 * (b / |b|)), where a and b count the training examples of k and of the other classes that
 * have the slot, plus NB_ALPHA. Scaling the features by r before the logistic regression
 * lets the slots with strong evidence for or against k pay less regularization: held back,
 * it recalls about 0.01-0.02 more at the same false hits. b is scratch. */
static void nb_ratio(const struct trainset *ts, const int *fold, int skip, unsigned k,
                     double *r, double *b)
{
    size_t slots = (size_t)1 << MODEL_BITS;
    double asum = 0, bsum = 0;
    for (size_t s = 0; s < slots; s++)
        r[s] = b[s] = NB_ALPHA;
    for (size_t i = 0; i < ts->n; i++) {
        if (fold[i] == skip)
            continue;
        double *t = ts->y[i] == (int)k ? r : b;
        for (size_t j = 0; j < ts->f[i].n; j++)
            t[ts->f[i].idx[j]] += 1;
    }
    for (size_t s = 0; s < slots; s++) {
        asum += r[s];
        bsum += b[s];
    }
    for (size_t s = 0; s < slots; s++)
        r[s] = log((r[s] / asum) / (b[s] / bsum));
}

/* Trains class k against the others on the examples of prob (prob.x pointing into nodes,
 * filled here with the vectors scaled by r) and puts its weights, scaled back into the
 * features' own terms, into m. Returns 0, or -1 when LIBLINEAR failed. */
static int fit_class(const struct trainset *ts, const int *fold, int skip, double c, unsigned k,
                     const double *r, struct problem *prob, struct feature_node *nodes,
                     struct model *m)
{
    size_t slots = (size_t)1 << MODEL_BITS, pos = 0;
    prob->l = 0;
    for (size_t i = 0; i < ts->n; i++) {
        if (fold[i] == skip)
            continue;
        pos += ts->y[i] == (int)k;
        prob->x[prob->l] = nodes;
        prob->y[prob->l++] = ts->y[i] == (int)k ? 1 : -1;
        for (const struct feature_node *x = ts->x[i]; x->index != -1; x++, nodes++) {
            *nodes = *x;
            if ((size_t)x->index <= slots)      /* not the bias */
                nodes->value *= r[x->index - 1];
        }
        *nodes++ = (struct feature_node){-1, 0};
    }
    if (pos == 0) {
        m->bias[k] = NO_CLASS_BIAS;
        return 0;
    }
    struct parameter param = {.solver_type = L2R_LR, .eps = MODEL_EPS, .C = c};
    set_print_string_function(quiet);
    struct linear_model *lm = train(prob, &param);
    if (!lm)
        return -1;
    double sign = lm->label[0] == 1 ? 1 : -1;   /* LIBLINEAR's w is for its first label */
    for (size_t s = 0; s < slots; s++)
        model_row(m, s)[1 + k] = (float)(sign * lm->w[s] * r[s]);
    m->bias[k] = (float)(sign * lm->w[slots]);
    free_and_destroy_model(&lm);
    return 0;
}

/* Trains on the examples whose fold is not skip (all when skip < 0): one class against the
 * others at a time, as LIBLINEAR's own multi-class logistic regression does, each on its own
 * NB-scaled features. Returns the model with thresholds 1, or NULL. */
static struct model *fit(const struct trainset *ts, const int *fold, int skip, double c)
{
    size_t slots = (size_t)1 << MODEL_BITS, total = 0;
    for (size_t i = 0; i < ts->n; i++)
        total += ts->f[i].n + 2;
    struct problem prob = {.n = (int)slots + 1, .bias = 1};
    prob.y = malloc(ts->n * sizeof *prob.y);
    prob.x = malloc(ts->n * sizeof *prob.x);
    struct feature_node *nodes = malloc(total * sizeof *nodes);
    double *r = malloc(slots * sizeof *r), *scratch = malloc(slots * sizeof *scratch);
    struct model *m = model_alloc(MODEL_BITS, ts->nclass, false);
    bool ok = prob.y && prob.x && nodes && r && scratch && m;
    for (unsigned k = 0; ok && k < ts->nclass; k++) {
        nb_ratio(ts, fold, skip, k, r, scratch);
        ok = fit_class(ts, fold, skip, c, k, r, &prob, nodes, m) == 0;
    }
    if (ok) {
        for (size_t s = 0; s < slots; s++)
            model_row(m, s)[0] = ts->idf[s];
        memcpy(m->cls, ts->cls, sizeof m->cls);
    } else {
        model_free(m);
        m = NULL;
    }
    free(prob.y);
    free(prob.x);
    free(nodes);
    free(r);
    free(scratch);
    return m;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* fold[i] for every example: shuffled by seed, then dealt round-robin within each class. */
static int make_folds(const struct trainset *ts, unsigned seed, int *fold)
{
    size_t *order = malloc(ts->n * sizeof *order);
    if (!order)
        return -1;
    uint64_t s = seed;
    for (size_t i = 0; i < ts->n; i++)
        order[i] = i;
    for (size_t i = ts->n; i > 1; i--) {
        size_t j = splitmix(&s) % i, t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    size_t next[MODEL_MAX_CLASSES] = {0};
    for (size_t i = 0; i < ts->n; i++) {
        size_t e = order[i];
        fold[e] = (int)(next[ts->y[e]]++ % MODEL_FOLDS);
    }
    free(order);
    return 0;
}

/* Scores every example with the model that did not see its fold (prob: n x nclass). */
static int held_back(const struct trainset *ts, const int *fold, double c, double *prob)
{
    for (int k = 0; k < MODEL_FOLDS; k++) {
        struct model *m = fit(ts, fold, k, c);
        if (!m)
            return -1;
        for (size_t i = 0; i < ts->n; i++)
            if (fold[i] == k)
                model_probs(m, &ts->f[i], false, prob + i * ts->nclass);
        model_free(m);
    }
    return 0;
}

static void set_label(struct model *m, size_t n)
{
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(m->label, sizeof m->label, "%s n=%zu", when, n);
}

int model_train(struct model **out, const struct ruleset *rs, const struct model_example *ex,
                size_t n, const struct model_opts *opts, char *err, size_t errlen)
{
    struct trainset ts = {0};
    struct model *m = NULL;
    int *fold = NULL;
    double *prob = NULL;
    double c = opts && opts->c > 0 ? opts->c : MODEL_C;
    double target = opts && opts->precision > 0 ? opts->precision : MODEL_PRECISION;
    double budget = opts && opts->none_false_hits > 0 ? opts->none_false_hits
                                                      : MODEL_NONE_FALSE_HITS;
    *out = NULL;
    if (n < MODEL_MIN_EXAMPLES) {
        snprintf(err, errlen, "too few examples (%zu; at least %d)", n, MODEL_MIN_EXAMPLES);
        return -1;
    }
    if (trainset_build(&ts, rs, ex, n, err, errlen) != 0)
        goto fail;
    fold = malloc(n * sizeof *fold);
    prob = malloc(n * ts.nclass * sizeof *prob);
    if (!fold || !prob || make_folds(&ts, opts ? opts->seed : 0, fold) != 0 ||
        held_back(&ts, fold, c, prob) != 0)
        goto oom;
    for (size_t i = 0; i < n; i++)
        fold[i] = 0;
    if (!(m = fit(&ts, fold, -1, c)))
        goto oom;
    if (model_calibrate(m, ts.y, prob, ts.ruled, n, target, budget) != 0 || model_pack(m) != 0)
        goto oom;
    set_label(m, n);
    *out = m;
    m = NULL;
    goto done;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    model_free(m);
done:
    trainset_free(&ts);
    free(fold);
    free(prob);
    return *out ? 0 : -1;
}
