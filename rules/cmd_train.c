/* cmd_train — `jubao-rules train -o MODEL [--rules PATH] [--c C] [--precision P]
 * [--false-hits F] [--seed N] FILE.tsv...`: trains a triage model (model.h) on labelled files (labelled.h), writes it to
 * MODEL and prints each category's threshold with the precision and recall its suggestions
 * had on the held-back examples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "cmd.h"
#include "labelled.h"
#include "model.h"
#include "rules.h"

#define ERRLEN 4096

struct train_args {
    const char *out, *rules;
    struct model_opts opts;
    char **files;
    size_t nfiles;
};

static int train_usage(void)
{
    fputs("usage: jubao-rules train -o MODEL [--rules PATH] [--c C] [--precision P]"
          " [--false-hits F] [--seed N] FILE.tsv...\n", stderr);
    return 2;
}

/* Reads a number in [lo, hi] or fails. */
static int number(const char *s, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end || !(d >= lo && d <= hi))
        return -1;
    *out = d;
    return 0;
}

static int train_parse(int argc, char **argv, struct train_args *a)
{
    double d;
    a->files = argv;
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "-o") == 0 && v)
            a->out = v;
        else if (strcmp(argv[i], "--rules") == 0 && v)
            a->rules = v;
        else if (strcmp(argv[i], "--c") == 0 && v && number(v, 1e-4, 1e4, &d) == 0)
            a->opts.c = d;
        else if (strcmp(argv[i], "--precision") == 0 && v && number(v, 0.01, 1, &d) == 0)
            a->opts.precision = d;
        else if (strcmp(argv[i], "--false-hits") == 0 && v && number(v, 1e-4, 1, &d) == 0)
            a->opts.none_false_hits = d;
        else if (strcmp(argv[i], "--seed") == 0 && v && number(v, 0, 4294967295.0, &d) == 0)
            a->opts.seed = (unsigned)d;
        else if (argv[i][0] == '-')
            return -1;
        else {
            a->files[a->nfiles++] = argv[i];
            continue;
        }
        i++;
    }
    return a->out && a->nfiles ? 0 : -1;
}

/* Reads every file into ls[] and points ex[] at their rows. Returns the number of examples,
 * or -1 having printed why. */
static long read_examples(const struct train_args *a, struct labelled *ls,
                          struct model_example **ex)
{
    char err[ERRLEN];
    size_t n = 0;
    for (size_t i = 0; i < a->nfiles; i++) {
        if (labelled_read(&ls[i], a->files[i], true, err, sizeof err) != 0) {
            fprintf(stderr, "jubao-rules: %s\n", err);
            return -1;
        }
        n += ls[i].n;
    }
    if (!(*ex = calloc(n ? n : 1, sizeof **ex))) {
        fputs("jubao-rules: out of memory\n", stderr);
        return -1;
    }
    n = 0;
    for (size_t i = 0; i < a->nfiles; i++)
        for (size_t j = 0; j < ls[i].n; j++, n++)
            (*ex)[n] = (struct model_example){ls[i].row[j].text, ls[i].row[j].len,
                                              ls[i].row[j].category};
    return (long)n;
}

static void print_quality(const struct model *m)
{
    struct model_quality q;
    double recall = 0;
    int cats = 0;
    printf("%-20s %8s %9s %9s %7s\n", "category", "examples", "threshold", "precision",
           "recall");
    for (size_t i = 0; i < categories_count; i++) {
        const char *c = categories[i].code;
        if (model_quality(m, c, &q) != 0)
            continue;
        printf("%-20s %8zu %9.3f %9.3f %7.3f\n", c, q.examples, model_threshold(m, c),
               q.precision, q.recall);
        recall += q.recall;
        cats++;
    }
    if (model_quality(m, "none", &q) == 0)
        printf("%-20s %8zu  false hits %.3f\n", "none", q.examples, q.false_hits);
    printf("held back: macro_recall=%.3f (over %d categories)\n", cats ? recall / cats : 0, cats);
}

int cmd_train(int argc, char **argv)
{
    struct train_args a = {0};
    if (train_parse(argc, argv, &a) != 0)
        return train_usage();
    char err[ERRLEN];
    struct ruleset *rs = NULL;
    if (a.rules && rules_load(&rs, &a.rules, 1, 0, err, sizeof err) != 0) {
        fprintf(stderr, "jubao-rules: %s\n", err);
        return 1;
    }
    struct labelled *ls = calloc(a.nfiles, sizeof *ls);
    struct model_example *ex = NULL;
    struct model *m = NULL;
    int rc = 1;
    long n = ls ? read_examples(&a, ls, &ex) : -1;
    if (n < 0)
        goto done;
    if (model_train(&m, rs, ex, (size_t)n, &a.opts, err, sizeof err) != 0) {
        fprintf(stderr, "jubao-rules: %s\n", err);
        goto done;
    }
    print_quality(m);
    if (model_write_file(m, a.out, err, sizeof err) != 0) {
        fprintf(stderr, "jubao-rules: %s\n", err);
        goto done;
    }
    printf("model %s written to %s\n", model_label(m), a.out);
    rc = 0;
done:
    model_free(m);
    free(ex);
    for (size_t i = 0; ls && i < a.nfiles; i++)
        labelled_free(&ls[i]);
    free(ls);
    rules_free(rs);
    return rc;
}
