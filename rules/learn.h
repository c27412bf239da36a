/* learn — a triage model from the reviewers' own decisions (docs/RULES.md, "The retraining
 * loop"), for jubao-worker (on its own) and jubao-admin model train. It sits in rules/ because
 * jubao-admin (gateway/) may not include workers/ (docs/ARCHITECTURE.md); it reaches Redis
 * only through lib/store.h and rules/modelstore.h; learn_read.c reads the examples.
 *
 * The examples are the reports of the last N cases decided actioned (with the decided
 * category) or no_violation (as "none"): the reviewers' redacted title and description, never
 * the sealed originals. One case in LEARN_HOLD_EVERY is held back, chosen by a hash of its id,
 * so that the same cases are held back at every training and no model trained here has seen
 * them; the reports of a case stay together. The new model is trained on the rest; it and the
 * model in force are scored on the held-back slice (learn_score), and the new one is installed
 * unless it scores worse.
 */
#ifndef JUBAO_LEARN_H
#define JUBAO_LEARN_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "rules.h"
#include "store.h"

struct shards;

#define LEARN_HOLD_EVERY 5          /* one case in 5 is held back */
#define LEARN_REPORTS_PER_CASE 5    /* a case's reports read as examples at most */
#define LEARN_LAST_DEFAULT 50000    /* decided cases read when no --last is given */
#define LEARN_MAX_BYTES (256L << 20)   /* of example text read at most */

struct learn_example {
    char *case_id, *category, *title, *description, *text;  /* text: title \n description */
    size_t len;                 /* of text */
    bool held;                  /* in the held-back slice */
};

struct learn_set {
    struct learn_example *ex;
    size_t n, cap;
    size_t cases, held;         /* cases read; examples held back */
};

/* Reads the examples of the last `last` decided cases, newest first, each case in its shard
 * of sh (learn_read.c). Returns 0 (out may be empty), or -1 with err set (Redis, memory); out
 * is freed then. */
int learn_collect(struct store *st, const struct shards *sh, long last, struct learn_set *out,
                  char *err, size_t errlen);
void learn_set_free(struct learn_set *s);

/* The score of triage with rs and m (NULL: the rules alone) on the examples whose held is
 * held: the mean over the labels present (the categories and "none") of the fraction of a
 * label's examples whose strongest suggestion is that label ("none": no suggestion). It is
 * 1 for a model that is always right, and a model that suggests everything or nothing scores
 * low. -1 when no example is in the slice. */
double learn_score(const struct ruleset *rs, const struct model *m, const struct learn_set *s,
                   bool held);

enum learn_result { LEARN_INSTALLED, LEARN_WORSE, LEARN_FAILED };

struct learn_opts {
    long last;                  /* decided cases to read (0: LEARN_LAST_DEFAULT) */
    bool force;                 /* install even when worse */
    const char *lock;           /* the training lock's token held, or NULL */
    long max_bytes;             /* model_max_bytes */
    long long decisions_at;     /* decisions counted now, stored with the model */
    const struct shards *shards; /* of the data (lib/shard.h): where the cases are */
};

struct learn_report {
    size_t cases, examples, held;
    double score, old_score;    /* on the held-back slice; old_score -1 when none in force */
    long long version, old_version;     /* installed (0: none), in force before (0: none) */
    char label[128];
};

/* Trains from the decisions and installs the model unless it scores worse than the one in
 * force (opts->force: anyway). Fills rep; on LEARN_FAILED err says why. */
enum learn_result learn_run(struct store *st, const struct ruleset *rs,
                            const struct learn_opts *opts, struct learn_report *rep, char *err,
                            size_t errlen);

#endif
