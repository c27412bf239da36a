/* bench — the rule engine against the naive loop of pcre2_jit_match over every rule and
 * against Vectorscan, on the same rules and corpus (rules/bench.sh prepares both). The only
 * user of Vectorscan's hs.h. */
#ifndef JUBAO_BENCH_H
#define JUBAO_BENCH_H

/* Runs "jubao-rules bench" with its arguments; returns the exit status. */
int bench_main(int argc, char **argv);

#endif
