/* evaluate — see evaluate.h. */
#include "evaluate.h"

#include <stdlib.h>
#include <string.h>

#include "category.h"

#define NONE ((int)categories_count)    /* the label index of "none" */
#define NLABELS (categories_count + 1)
#define KEEP 4                          /* suggestions kept per text, for the lists */
#define EXCERPT 90                      /* bytes of text kept, cut at a character */

struct item {
    char *id, *excerpt;
    int label;
    int sugg[KEEP];                     /* label indexes, strongest first */
    double score[KEEP];
    size_t nsugg;
    bool found;                         /* its label is suggested (harmful), or nothing is (none) */
};

struct evaluate {
    struct item *items;
    size_t n, cap;
    size_t *labelled, *suggested, *correct;     /* per label index */
    size_t *confusion;                  /* [label][top suggestion], NLABELS squared */
};

static int label_index(const char *code)
{
    if (strcmp(code, "none") == 0)
        return NONE;
    const struct category *c = category_find(code, strlen(code));
    return c ? (int)(c - categories) : -1;
}

static const char *label_name(int i)
{
    return i == NONE ? "none" : categories[i].code;
}

struct evaluate *evaluate_new(void)
{
    struct evaluate *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->labelled = calloc(NLABELS, sizeof *e->labelled);
    e->suggested = calloc(NLABELS, sizeof *e->suggested);
    e->correct = calloc(NLABELS, sizeof *e->correct);
    e->confusion = calloc(NLABELS * NLABELS, sizeof *e->confusion);
    if (!e->labelled || !e->suggested || !e->correct || !e->confusion) {
        evaluate_free(e);
        return NULL;
    }
    return e;
}

void evaluate_free(struct evaluate *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->items[i].id);
        free(e->items[i].excerpt);
    }
    free(e->items);
    free(e->labelled);
    free(e->suggested);
    free(e->correct);
    free(e->confusion);
    free(e);
}

/* A copy of the start of text, cut at a character boundary, tabs and newlines as spaces. */
static char *excerpt(const char *text, size_t len)
{
    size_t n = len < EXCERPT ? len : EXCERPT;
    while (n < len && n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = text[i] == '\t' || text[i] == '\n' || text[i] == '\r' ? ' ' : text[i];
    p[n] = '\0';
    return p;
}

int evaluate_add(struct evaluate *e, const char *id, const char *label, const char *text,
                 size_t len, const struct triage_result *r)
{
    int li = label_index(label);
    if (li < 0)
        return -1;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 256;
        struct item *p = realloc(e->items, cap * sizeof *p);
        if (!p)
            return -1;
        e->items = p;
        e->cap = cap;
    }
    struct item *it = &e->items[e->n];
    memset(it, 0, sizeof *it);
    it->label = li;
    it->id = strdup(id);
    it->excerpt = excerpt(text, len);
    if (!it->id || !it->excerpt) {
        free(it->id);
        free(it->excerpt);
        return -1;
    }
    bool has_label = false;
    for (size_t i = 0; i < r->n; i++) {
        int si = label_index(r->s[i].category);
        if (si < 0)
            continue;
        e->suggested[si]++;
        if (si == li) {
            e->correct[si]++;
            has_label = true;
        }
        if (it->nsugg < KEEP) {
            it->sugg[it->nsugg] = si;
            it->score[it->nsugg++] = r->s[i].score;
        }
    }
    it->found = li == NONE ? it->nsugg == 0 : has_label;
    e->labelled[li]++;
    e->confusion[(size_t)li * NLABELS + (size_t)(it->nsugg ? it->sugg[0] : NONE)]++;
    e->n++;
    return 0;
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0;
}

double evaluate_macro_recall(const struct evaluate *e)
{
    double sum = 0;
    size_t k = 0;
    for (int i = 0; i < NONE; i++)
        if (e->labelled[i]) {
            sum += ratio(e->correct[i], e->labelled[i]);
            k++;
        }
    return k ? sum / (double)k : 0;
}

double evaluate_none_false_hits(const struct evaluate *e)
{
    size_t hits = 0;
    for (size_t i = 0; i < e->n; i++)
        hits += e->items[i].label == NONE && e->items[i].nsugg > 0;
    return ratio(hits, e->labelled[NONE]);
}

size_t evaluate_cases(const struct evaluate *e)
{
    return e->n;
}

static void print_table(const struct evaluate *e, FILE *out)
{
    fprintf(out, "%-20s %6s %6s %9s %9s %6s %6s\n", "category", "texts", "found",
            "suggested", "precision", "recall", "f1");
    double psum = 0, fsum = 0;
    size_t k = 0;
    for (int i = 0; i < NONE; i++) {
        if (!e->labelled[i] && !e->suggested[i])
            continue;
        double p = ratio(e->correct[i], e->suggested[i]);
        double r = ratio(e->correct[i], e->labelled[i]);
        double f = p + r > 0 ? 2 * p * r / (p + r) : 0;
        fprintf(out, "%-20s %6zu %6zu %9zu %9.3f %6.3f %6.3f\n", categories[i].code,
                e->labelled[i], e->correct[i], e->suggested[i], p, r, f);
        if (e->labelled[i]) {
            psum += p;
            fsum += f;
            k++;
        }
    }
    size_t fh = (size_t)(evaluate_none_false_hits(e) * (double)e->labelled[NONE] + 0.5);
    fprintf(out, "%-20s %6zu %6s %9zu   false hits %.2f%%\n", "none", e->labelled[NONE], "",
            fh, 100 * evaluate_none_false_hits(e));
    if (k)
        fprintf(out, "macro over %zu categories: precision %.3f recall %.3f f1 %.3f\n", k,
                psum / (double)k, evaluate_macro_recall(e), fsum / (double)k);
}

static void print_confusion(const struct evaluate *e, FILE *out)
{
    bool used[64] = {false};
    for (size_t i = 0; i < NLABELS; i++)
        for (size_t j = 0; j < NLABELS; j++)
            if (e->confusion[i * NLABELS + j])
                used[i] = used[j] = true;
    fprintf(out, "\nconfusion (rows: label; columns: strongest suggestion)\n%-20s", "");
    for (size_t j = 0; j < NLABELS; j++)
        if (used[j])
            fprintf(out, " %6.6s", label_name((int)j));
    fputc('\n', out);
    for (size_t i = 0; i < NLABELS; i++) {
        if (!used[i])
            continue;
        fprintf(out, "%-20s", label_name((int)i));
        for (size_t j = 0; j < NLABELS; j++)
            if (used[j])
                fprintf(out, " %6zu", e->confusion[i * NLABELS + j]);
        fputc('\n', out);
    }
}

/* How wrong a text went: the strongest suggestion's score, so that confident mistakes come
 * first; a harmful text with no suggestion at all ranks after those. */
static double wrongness(const struct item *it)
{
    return it->nsugg ? it->score[0] : -1;
}

static int by_wrongness(const void *a, const void *b, void *ctx)
{
    const struct evaluate *e = *(const struct evaluate **)ctx;
    double x = wrongness(&e->items[*(const size_t *)a]);
    double y = wrongness(&e->items[*(const size_t *)b]);
    return x < y ? 1 : x > y ? -1 : (*(const size_t *)a > *(const size_t *)b) -
                                    (*(const size_t *)a < *(const size_t *)b);
}

static void print_list(const struct evaluate *e, FILE *out, size_t show, bool misses)
{
    size_t *ix = malloc((e->n ? e->n : 1) * sizeof *ix), k = 0;
    if (!ix)
        return;
    for (size_t i = 0; i < e->n; i++)
        if (!e->items[i].found && (e->items[i].label == NONE) != misses)
            ix[k++] = i;
    qsort_r(ix, k, sizeof *ix, by_wrongness, &e);
    fprintf(out, "\n%s (%zu; the %zu worst):\n", misses ? "misses" : "false hits on none", k,
            k < show ? k : show);
    for (size_t i = 0; i < k && i < show; i++) {
        const struct item *it = &e->items[ix[i]];
        fprintf(out, "  %s\t%s\t", it->id, label_name(it->label));
        for (size_t s = 0; s < it->nsugg; s++)
            fprintf(out, "%s%s:%.2f", s ? "," : "", label_name(it->sugg[s]), it->score[s]);
        fprintf(out, "%s\t%s\n", it->nsugg ? "" : "-", it->excerpt);
    }
    free(ix);
}

void evaluate_print(const struct evaluate *e, FILE *out, size_t show)
{
    print_table(e, out);
    print_confusion(e, out);
    if (show) {
        print_list(e, out, show, true);
        print_list(e, out, show, false);
    }
    fprintf(out, "macro_recall=%.4f none_false_hits=%.4f cases=%zu\n", evaluate_macro_recall(e),
            evaluate_none_false_hits(e), e->n);
}
