/* admin_model — jubao-admin model …: what model is in force, and training one from the
 * reviewers' decisions stored in Redis (rules/learn.h: the same path the workers' own
 * retraining takes, the same held-back rule). */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "learn.h"
#include "log.h"
#include "modelstore.h"
#include "triage.h"
#include "schema.h"
#include "shard.h"
#include "store.h"

static int usage(void)
{
    fprintf(stderr, "jubao-admin: model show | model train [--last N] [--force] |\n"
                    "  model eval [--rules PATH] [--model FILE] [--last N] [--show N]\n");
    return 2;
}

static struct store *open_store(const struct conf *c)
{
    char err[256];
    struct store *st = store_new(c->redis, (int)c->redis_timeout_ms * 10, 1, err, sizeof err);
    if (!st)
        fprintf(stderr, "jubao-admin: %s\n", err);
    return st;
}

static int show_model(struct store *st)
{
    struct store_job *j = store_job_new(NULL, NULL);
    const char *args[] = {"HMGET", SCHEMA_MODEL, "version", "label", "trained_at", "examples",
                          "holdout", "bytes"};
    if (!j || store_job_commandv(j, args, 8) < 0 || store_run(st, j) < 0) {
        fprintf(stderr, "jubao-admin: cannot reach redis\n");
        store_job_free(j);
        return 1;
    }
    const struct store_reply *r = store_job_reply(j, 0);
    if (!*store_reply_str_at(r, 0))
        printf("no model in force: the rules alone suggest\n");
    else
        printf("model version %s: %s, trained %s on %s examples, held-back score %s, %s bytes\n",
               store_reply_str_at(r, 0), store_reply_str_at(r, 1), store_reply_str_at(r, 2),
               store_reply_str_at(r, 3), store_reply_str_at(r, 4), store_reply_str_at(r, 5));
    store_job_free(j);
    return 0;
}

static int train(const struct conf *c, struct store *st, const struct shards *sh, long last,
                 bool force)
{
    struct ruleset *rs = rules_load_logged(c->rules);
    if (!rs)
        return 1;
    struct learn_opts o = {last, force, NULL, c->model_max_bytes, 0, sh};
    struct learn_report rep;
    char err[512] = "";
    enum learn_result res = learn_run(st, rs, &o, &rep, err, sizeof err);
    int rc = 1;
    char before[64] = "none";
    if (rep.old_score >= 0)
        snprintf(before, sizeof before, "version %lld: %.3f", rep.old_version, rep.old_score);
    if (res == LEARN_INSTALLED) {
        printf("model version %lld installed: trained on %zu examples of %zu decided cases, "
               "%zu held back; held-back score %.3f (the model before, %s)\n", rep.version,
               rep.examples - rep.held, rep.cases, rep.held, rep.score, before);
        rc = 0;
    } else if (res == LEARN_WORSE) {
        printf("not installed: the new model scores %.3f on the held-back slice (%zu examples), "
               "worse than the model in force (%s); --force installs it anyway\n", rep.score,
               rep.held, before);
    } else {
        fprintf(stderr, "jubao-admin: training failed: %s\n", err);
    }
    rules_free(rs);
    rules_thread_done();
    return rc;
}

/* Triage of every example with rs and m into the evaluation table, printed. */
static int eval_print(const struct ruleset *rs, const struct model *m, const struct learn_set *s,
                      size_t show)
{
    struct evaluate *e = evaluate_new();
    int rc = e ? 0 : 1;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        const struct learn_example *x = &s->ex[i];
        struct rules_input in = {0};
        in.text[RULES_TITLE] = x->title;
        in.len[RULES_TITLE] = strlen(x->title);
        in.text[RULES_DESCRIPTION] = x->description;
        in.len[RULES_DESCRIPTION] = strlen(x->description);
        struct triage_result tr;
        if (triage_run(rs, m, &in, &tr) < 0 || evaluate_add(e, x->case_id, x->category, x->text,
                                                            x->len, &tr) < 0)
            rc = 1;
    }
    if (rc == 0)
        evaluate_print(e, stdout, show);
    evaluate_free(e);
    return rc;
}

/* model eval: a candidate rule set or model (default: those in force) over the decided cases. */
static int eval(const struct conf *c, struct store *st, const struct shards *sh,
                const char *rules, const char *file, long last, long show)
{
    char err[512];
    struct ruleset *rs = rules_load_logged(rules ? rules : c->rules);
    struct model *m = NULL;
    long long v;
    int rc = 1;
    struct learn_set s = {0};
    if (!rs)
        return 1;
    if (file ? !(m = model_read_file(file, err, sizeof err))
             : modelstore_fetch(st, c->model_max_bytes, &m, &v, err, sizeof err) < 0)
        fprintf(stderr, "jubao-admin: the model: %s\n", err);
    else if (learn_collect(st, sh, last > 0 ? last : LEARN_LAST_DEFAULT, &s, err,
                           sizeof err) < 0)
        fprintf(stderr, "jubao-admin: %s\n", err);
    else if (s.n == 0)
        fprintf(stderr, "jubao-admin: no decided cases to evaluate on\n");
    else
        rc = eval_print(rs, m, &s, (size_t)show);
    learn_set_free(&s);
    model_free(m);
    rules_free(rs);
    rules_thread_done();
    return rc;
}

int admin_model(const struct conf *c, int argc, char **argv)
{
    if (argc < 1)
        return usage();
    long last = 0, show = 5;
    bool force = false;
    const char *rules = NULL, *file = NULL;
    bool is_train = strcmp(argv[0], "train") == 0, is_eval = strcmp(argv[0], "eval") == 0;
    if (!is_train && !is_eval && (strcmp(argv[0], "show") != 0 || argc != 1))
        return usage();
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--force") == 0 && is_train)
            force = true;
        else if (strcmp(argv[i], "--rules") == 0 && is_eval && i + 1 < argc)
            rules = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && is_eval && i + 1 < argc)
            file = argv[++i];
        else if (strcmp(argv[i], "--show") == 0 && is_eval && i + 1 < argc &&
                 (show = strtol(argv[++i], &end, 10)) >= 0 && *end == '\0')
            ;
        else if (strcmp(argv[i], "--last") == 0 && i + 1 < argc &&
                 (last = strtol(argv[++i], &end, 10)) > 0 && *end == '\0')
            ;
        else
            return usage();
    }
    struct store *st = open_store(c);
    if (!st)
        return 1;
    struct shards *sh = is_train || is_eval ? admin_layout(c, st) : NULL;
    int rc = (is_train || is_eval) && !sh ? 1
             : is_train                   ? train(c, st, sh, last, force)
             : is_eval                    ? eval(c, st, sh, rules, file, last, show)
                                          : show_model(st);
    shards_free(sh);
    store_free(st);
    return rc;
}
