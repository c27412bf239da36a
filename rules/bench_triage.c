/* bench_triage — what triage costs a daemon per report (bench.h): the shipped packs alone
 * (rules_match: normalization, folding, lexicons, regexes) and, with a model, triage_run
 * (the same plus the model's features and scores), over the benchmark's corpus, one thread.
 * The model's own cost is the difference, also given per KB of text. This machine's neighbours
 * make single passes vary by a tenth: the two are timed in turns, ROUNDS times each, and the
 * fastest pass of each counts (what the code costs when nothing else is in the way).
 */
#include "bench.h"

#include <stdio.h>
#include <time.h>

#include "model.h"
#include "triage.h"

#define ROUNDS 5

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds per pass of triage over the corpus (m may be NULL), at least min_seconds in all. */
static double pass(const struct ruleset *rs, const struct model *m, const char *const *rep,
                   const size_t *len, size_t n, double min_seconds, size_t *suggested)
{
    struct triage_result res;
    size_t passes = 0;
    *suggested = 0;
    double t0 = seconds_now();
    do {
        for (size_t i = 0; i < n; i++) {
            struct rules_input in = {0};
            in.text[RULES_DESCRIPTION] = rep[i];
            in.len[RULES_DESCRIPTION] = len[i];
            triage_run(rs, m, &in, &res);
            if (passes == 0)
                *suggested += res.n > 0;
        }
        passes++;
    } while (seconds_now() - t0 < min_seconds);
    return (seconds_now() - t0) / (double)passes;
}

int bench_triage(const char *packs, const char *model_path, const char *const *rep,
                 const size_t *len, size_t n, double min_seconds)
{
    char err[4096];
    struct ruleset *rs = NULL;
    if (rules_load(&rs, &packs, 1, 0, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s: %s\n", packs, err);
        return -1;
    }
    struct model *m = model_path ? model_read_file(model_path, err, sizeof err) : NULL;
    if (model_path && !m) {
        fprintf(stderr, "bench: %s: %s\n", model_path, err);
        rules_free(rs);
        return -1;
    }
    size_t bytes = 0, s_rules, s_model;
    for (size_t i = 0; i < n; i++)
        bytes += len[i];
    double kb = (double)bytes / 1024 / (double)n;
    double t_rules = 0, t_model = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double t = pass(rs, NULL, rep, len, n, min_seconds / ROUNDS, &s_rules);
        t_rules = r == 0 || t < t_rules ? t : t_rules;
        if (!m)
            continue;
        t = pass(rs, m, rep, len, n, min_seconds / ROUNDS, &s_model);
        t_model = r == 0 || t < t_model ? t : t_model;
    }
    printf("\n## Triage of the corpus with %s\n\n| triage | µs/report | µs per KB | reports "
           "with a suggestion |\n|---|---:|---:|---:|\n", packs);
    printf("| packs alone (rules_match) | %.1f | %.1f | %zu of %zu |\n", t_rules * 1e6 / (double)n,
           t_rules * 1e6 / (double)n / kb, s_rules, n);
    if (m) {
        printf("| packs + model (triage_run) | %.1f | %.1f | %zu of %zu |\n",
               t_model * 1e6 / (double)n, t_model * 1e6 / (double)n / kb, s_model, n);
        printf("\nthe model's own cost: %.1f µs/report, %.1f µs per KB (target for scoring at "
               "the gateway: <= 20 µs per KB); model: %s\n", (t_model - t_rules) * 1e6 / (double)n,
               (t_model - t_rules) * 1e6 / (double)n / kb, model_label(m));
    }
    model_free(m);
    rules_free(rs);
    return 0;
}
