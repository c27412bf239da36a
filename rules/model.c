/* model — see model.h. This file scores (features, probabilities, suggestions) and holds the
 * model in force; model_train.c trains with LIBLINEAR and model_file.c keeps the stored form.
 *
 * Probabilities are LIBLINEAR's for its one-versus-rest logistic regression: the sigmoid of each
 * class's decision value, normalised to sum to one. They are computed here from the weights,
 * so scoring needs no LIBLINEAR structures and touches one run of nclass floats per feature. */
#include "model_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "live.h"

#define CHUNK 64            /* features whose rows are fetched at once while scoring */
#define FAST_CLASSES 8       /* a model of at most this many classes is scored with all of
                                them in registers (probs_packed) */
#define HIT_FEATURE 1.0f    /* value of a rule or lexicon hit before the vector is scaled */

const char model_none[] = "none";

struct model *model_alloc(unsigned bits, unsigned nclass, bool packed)
{
    if (bits < FEATVEC_MIN_BITS || bits > FEATVEC_MAX_BITS || nclass < 2 ||
        nclass > MODEL_MAX_CLASSES)
        return NULL;
    struct model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->bits = bits;
    m->featver = FEATVEC_VERSION;
    m->nclass = nclass;
    for (unsigned k = 0; k < nclass; k++)
        m->thr[k] = 1.0;
    size_t words = ((size_t)1 << bits) / 64;
    if (packed) {
        m->word = calloc(words, sizeof *m->word);
    } else {
        m->row = calloc((size_t)(nclass + 1) << bits, sizeof *m->row);
    }
    if (packed ? !m->word : !m->row) {
        model_free(m);
        return NULL;
    }
    return m;
}

int model_rows(struct model *m)
{
    size_t words = ((size_t)1 << m->bits) / 64, rows = 0;
    for (size_t w = 0; w < words; w++) {
        m->word[w].rank = (uint32_t)rows;
        rows += model_popcount(m->word[w].used);
    }
    /* FAST_CLASSES bytes more: probs_packed reads that many weights of the last row. */
    unsigned char *packed = calloc(rows * (m->nclass + 1) + FAST_CLASSES, 1);
    if (!packed)
        return -1;
    free(m->packed);
    m->packed = packed;
    m->rows = rows;
    return 0;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    free(m->row);
    free(m->word);
    free(m->packed);
    free(m);
}

void model_book(struct model *m)
{
    double ratio = pow(MODEL_WEIGHT_RANGE, 1.0 / (MODEL_WEIGHT_CODES - 1));
    m->book[0] = 0;
    for (int c = 1; c <= MODEL_WEIGHT_CODES; c++) {
        float w = (float)(m->wmax * pow(ratio, c - MODEL_WEIGHT_CODES));
        m->book[c] = w;
        m->book[256 - c] = -w;
    }
    m->book[128] = m->book[129];    /* -128 reads as -127 */
}

/* The code of weight w on m's scale (book filled): the nearest on the logarithmic scale. */
static unsigned char weight_code(const struct model *m, float w)
{
    float a = fabsf(w);
    if (a < m->book[1] * 0.98f)     /* about half a step below the smallest code */
        return 0;
    double ratio = pow(MODEL_WEIGHT_RANGE, 1.0 / (MODEL_WEIGHT_CODES - 1));
    long c = MODEL_WEIGHT_CODES + lround(log(a / m->wmax) / log(ratio));
    c = c < 1 ? 1 : c > MODEL_WEIGHT_CODES ? MODEL_WEIGHT_CODES : c;
    return (unsigned char)(w < 0 ? 256 - c : c);
}

int model_pack(struct model *m)
{
    size_t slots = (size_t)1 << m->bits, stride = m->nclass + 1;
    struct model t = *m;    /* the packed parts first, so that m stays whole on failure */
    t.row = NULL;
    t.packed = NULL;
    t.word = calloc(slots / 64, sizeof *t.word);
    float idfmax = 0, wmax = 0;
    for (size_t s = 0; t.word && s < slots; s++) {
        const float *row = model_row(m, s);
        if (row[0] <= 0)
            continue;       /* no training text had it: its weights never count */
        t.word[s / 64].used |= 1ull << (s % 64);
        idfmax = row[0] > idfmax ? row[0] : idfmax;
        for (unsigned k = 0; k < m->nclass; k++)
            wmax = fabsf(row[1 + k]) > wmax ? fabsf(row[1 + k]) : wmax;
    }
    if (!t.word || model_rows(&t) != 0) {
        free(t.word);
        return -1;
    }
    t.idf_step = idfmax > 0 ? idfmax / 255 : 1;
    t.wmax = wmax > 0 ? wmax : 1;
    model_book(&t);
    unsigned char *q = t.packed;
    for (size_t s = 0; s < slots; s++) {
        const float *row = model_row(m, s);
        if (row[0] <= 0)
            continue;
        long idf = lroundf(row[0] / t.idf_step);
        q[0] = (unsigned char)(idf < 1 ? 1 : idf > 255 ? 255 : idf);
        for (unsigned k = 0; k < m->nclass; k++)
            q[1 + k] = weight_code(&t, row[1 + k]);
        q += stride;
    }
    free(m->row);
    *m = t;
    return 0;
}

const char *model_class_code(const char *s)
{
    if (strcmp(s, model_none) == 0)
        return model_none;
    const struct category *c = category_find(s, strlen(s));
    return c ? c->code : NULL;
}

int model_features_folded(struct featvec *f, const char *folded, size_t len,
                          const struct rules_input *in, const struct rules_result *rr)
{
    int rc = featvec_text(f, folded, len);
    for (int k = 0; in && rc == 0 && k < RULES_NFIELDS; k++)
        if (in->text[k] && (k == RULES_TITLE || k == RULES_DESCRIPTION))
            rc = featvec_shape(f, in->text[k], in->len[k]);
    for (size_t i = 0; rr && rc == 0 && i < rr->nhits && i < RULES_MAX_HITS; i++)
        rc = featvec_named(f, "r", rr->hits[i].id, HIT_FEATURE);
    for (size_t i = 0; rr && rc == 0 && i < rr->nlex && i < RULES_MAX_LEXHITS; i++)
        rc = featvec_named(f, "l", rr->lex[i].id, HIT_FEATURE);
    return rc == 0 ? featvec_finish(f) : -1;
}

int model_features(struct featvec *f, const struct ruleset *rs, const char *text, size_t len,
                   const struct rules_result *rr)
{
    struct buf folded = {0};
    int rc = rules_fold(rs, text, len, &folded);
    struct rules_input in = {.text[RULES_DESCRIPTION] = text, .len[RULES_DESCRIPTION] = len};
    if (rc == 0)
        rc = model_features_folded(f, folded.p, folded.len, &in, rr);
    buf_free(&folded);
    return rc;
}

/* The sigmoid of each class's decision value, normalized to sum to one. */
static void probs_of(const struct model *m, const float *dot, double scale, double *p)
{
    double sum = 0;
    for (unsigned k = 0; k < m->nclass; k++)
        sum += p[k] = 1 / (1 + exp(-(m->bias[k] + scale * dot[k])));
    for (unsigned k = 0; k < m->nclass; k++)
        p[k] = sum > 0 ? p[k] / sum : 0;   /* 0 when every sigmoid underflowed */
}

/* The sums of model_probs over a packed model (one run of nclass + 1 bytes per feature) into
 * dot, for `width` classes: a constant FAST_CLASSES when there are at most that many (the
 * compiler then keeps the sums in registers; those past nclass read the next row's bytes, or the
 * padding after the last, and are never used), else nclass. Returns the features the model
 * knows; *norm is the square of their weighted length. */
static inline size_t sums_packed(const struct model *m, const struct featvec *f, unsigned width,
                                 float *dot, double *norm)
{
    float d[MODEL_MAX_CLASSES] = {0};
    size_t known = 0;
    for (size_t i0 = 0; i0 < f->n; i0 += CHUNK) {
        /* The rows of a chunk of features are found and fetched together, then read. */
        const unsigned char *row[CHUNK];
        float val[CHUNK];
        size_t nrow = 0;
        for (size_t i = i0; i < f->n && i < i0 + CHUNK; i++) {
            const unsigned char *q = model_packed(m, f->idx[i]);
            if (!q)
                continue;
            __builtin_prefetch(q);
            row[nrow] = q;
            val[nrow++] = f->val[i];
        }
        for (size_t r = 0; r < nrow; r++) {
            const unsigned char *q = row[r];
            float v = val[r] * (float)q[0]; /* times idf_step, which the scale takes out */
            *norm += (double)v * v;
            for (unsigned k = 0; k < width; k++)
                d[k] += v * m->book[q[1 + k]];
        }
        known += nrow;
    }
    memcpy(dot, d, sizeof d);
    return known;
}

static size_t probs_packed(const struct model *m, const struct featvec *f, double *p)
{
    float dot[MODEL_MAX_CLASSES];
    double norm = 0;
    size_t known = m->nclass <= FAST_CLASSES ? sums_packed(m, f, FAST_CLASSES, dot, &norm)
                                             : sums_packed(m, f, m->nclass, dot, &norm);
    probs_of(m, dot, norm > 0 ? 1 / sqrt(norm) : 0, p);
    return known;
}

size_t model_probs(const struct model *m, const struct featvec *f, bool weigh, double *p)
{
    if (m->packed)
        return probs_packed(m, f, p);
    unsigned nc = m->nclass;
    float dot[MODEL_MAX_CLASSES] = {0};
    double norm = 0;
    size_t known = 0;
    for (size_t i = 0; i < f->n; i++) {
        const float *row = model_row(m, f->idx[i]);
        float v = f->val[i];
        if (weigh && (v *= row[0]) == 0)
            continue;
        norm += (double)v * v;
        known++;
        for (unsigned k = 0; k < nc; k++)
            dot[k] += v * row[1 + k];
    }
    probs_of(m, dot, !weigh ? 1 : norm > 0 ? 1 / sqrt(norm) : 0, p);
    return known;
}

int model_predict(const struct model *m, const struct ruleset *rs, const char *text, size_t len,
                  const struct rules_result *rr, struct model_score *out, size_t max)
{
    struct buf folded = {0};
    struct rules_input in = {.text[RULES_DESCRIPTION] = text, .len[RULES_DESCRIPTION] = len};
    int n = rules_fold(rs, text, len, &folded) == 0
                ? model_predict_report(m, &in, folded.p, folded.len, rr, out, max)
                : -1;
    buf_free(&folded);
    return n;
}

int model_predict_folded(const struct model *m, const char *folded, size_t len,
                         const struct rules_result *rr, struct model_score *out, size_t max)
{
    return model_predict_report(m, NULL, folded, len, rr, out, max);
}

int model_predict_report(const struct model *m, const struct rules_input *in, const char *folded,
                         size_t len, const struct rules_result *rr, struct model_score *out,
                         size_t max)
{
    struct featvec f;
    featvec_init(&f, m->bits);
    if (model_features_folded(&f, folded, len, in, rr) != 0) {
        featvec_free(&f);
        return -1;
    }
    double p[MODEL_MAX_CLASSES];
    bool empty = model_probs(m, &f, true, p) == 0;  /* else the biases alone would speak */
    featvec_free(&f);
    struct model_score sel[MODEL_MAX_CLASSES];
    size_t n = 0;
    for (unsigned k = 0; k < m->nclass && !empty; k++) {
        if (m->cls[k] == model_none || m->thr[k] >= 1.0 || p[k] < m->thr[k])
            continue;
        size_t j = n++;
        for (; j > 0 && sel[j - 1].p < p[k]; j--)  /* strongest first */
            sel[j] = sel[j - 1];
        sel[j] = (struct model_score){m->cls[k], p[k]};
    }
    n = n < max ? n : max;
    if (n > 0)
        memcpy(out, sel, n * sizeof *out);
    return (int)n;
}

double model_threshold(const struct model *m, const char *category)
{
    for (unsigned k = 0; k < m->nclass; k++)
        if (m->cls[k] != model_none && strcmp(m->cls[k], category) == 0)
            return m->thr[k];
    return 1.0;
}

int model_quality(const struct model *m, const char *category, struct model_quality *q)
{
    for (unsigned k = 0; k < m->nclass; k++)
        if (strcmp(m->cls[k], category) == 0) {
            *q = m->q[k];
            return 0;
        }
    return -1;
}

const char *model_label(const struct model *m)
{
    return m->label;
}

/* ---- the holder: lib/live.h with the model's types ------------------------------------- */

struct model_live {
    struct live *live;
};

static void free_model(void *m)
{
    model_free(m);
}

struct model_live *model_live_new(struct model *m)
{
    struct model_live *ml = malloc(sizeof *ml);
    if (!ml || !(ml->live = live_new(m, free_model))) {
        if (ml)
            m = NULL;   /* live_new freed it */
        free(ml);
        model_free(m);
        return NULL;
    }
    return ml;
}

const struct model *model_acquire(struct model_live *ml)
{
    return live_acquire(ml->live);
}

void model_release(struct model_live *ml, const struct model *m)
{
    live_release(ml->live, m);
}

void model_swap(struct model_live *ml, struct model *m)
{
    live_swap(ml->live, m);
}

void model_live_free(struct model_live *ml)
{
    if (!ml)
        return;
    live_free(ml->live);
    free(ml);
}
