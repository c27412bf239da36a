/* bench — the rule engine against the naive loop of pcre2_jit_match over every rule and
 * against Vectorscan, on the same rules and corpus (rules/bench.sh prepares both). The only
 * user of Vectorscan's hs.h. */
#ifndef JUBAO_BENCH_H
#define JUBAO_BENCH_H

#include <stddef.h>

/* Runs "jubao-rules bench" with its arguments; returns the exit status. */
int bench_main(int argc, char **argv);

/* Times triage (bench_triage.c) with the packs at packs and, when model is not NULL, the model
 * in that file, over the n reports rep[i] of len[i] bytes; prints a table. Returns 0, or -1
 * when the packs or the model do not load. */
int bench_triage(const char *packs, const char *model, const char *const *rep, const size_t *len,
                 size_t n, double min_seconds);

#endif
