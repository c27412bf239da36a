/* cmd_eval — `jubao-rules eval` and `jubao-rules classify` (cmd.h): triage (rules, and a model
 * when given) over a file of labelled texts, each text read as a report's description — what
 * the gateway and the worker would suggest for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "evaluate.h"
#include "labelled.h"
#include "model.h"
#include "triage.h"

#define ERRLEN 4096
#define DEFAULT_RULES "rules/packs"

struct opts {
    const char *rules, *model, *file;
    size_t show;
};

static int usage(void)
{
    fputs("usage: jubao-rules eval [--rules PATH] [--model FILE] [--show N] FILE.tsv\n"
          "       jubao-rules classify [--rules PATH] [--model FILE] < FILE.tsv\n", stderr);
    return 2;
}

/* Reads the options; file is required when want_file. Returns 0 or -1. */
static int parse(int argc, char **argv, bool want_file, struct opts *o)
{
    *o = (struct opts){DEFAULT_RULES, NULL, NULL, 0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
            o->rules = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            o->model = argv[++i];
        else if (want_file && strcmp(argv[i], "--show") == 0 && i + 1 < argc)
            o->show = strtoul(argv[++i], NULL, 10);
        else if (want_file && !o->file && argv[i][0] != '-')
            o->file = argv[i];
        else
            return -1;
    }
    return want_file && !o->file ? -1 : 0;
}

/* The rule set and model of o; returns 0, or 1 having said why. */
static int load(const struct opts *o, struct ruleset **rs, struct model **m)
{
    char *err = malloc(ERRLEN);
    if (!err)
        return 1;
    *m = NULL;
    const char *paths[] = {o->rules};
    int rc = rules_load(rs, paths, 1, 0, err, ERRLEN);
    if (rc < 0)
        fprintf(stderr, "jubao-rules: %s\n", err);
    else if (o->model && !(*m = model_read_file(o->model, err, ERRLEN))) {
        fprintf(stderr, "jubao-rules: %s: %s\n", o->model, err);
        rules_free(*rs);
        rc = -1;
    }
    free(err);
    return rc < 0 ? 1 : 0;
}

/* Triage of one row's text as a report's description. */
static int run(const struct ruleset *rs, const struct model *m, const struct labelled_row *row,
               struct triage_result *res)
{
    struct rules_input in = {0};
    in.text[RULES_DESCRIPTION] = row->text;
    in.len[RULES_DESCRIPTION] = row->len;
    return triage_run(rs, m, &in, res);
}

/* Runs fn over every row of the file; the shared part of eval and classify. */
static int each_row(int argc, char **argv, bool labelled,
                    int (*fn)(const struct labelled_row *, const struct triage_result *, void *),
                    struct opts *o, void *ctx)
{
    if (parse(argc, argv, labelled, o) < 0)
        return usage();
    struct ruleset *rs;
    struct model *m;
    if (load(o, &rs, &m))
        return 1;
    char err[512];
    struct labelled l;
    int got = labelled_read(&l, labelled ? o->file : "-", labelled, err, sizeof err), rc = got;
    if (rc < 0)
        fprintf(stderr, "jubao-rules: %s\n", err);
    struct triage_result *res = malloc(sizeof *res);
    for (size_t i = 0; rc == 0 && res && i < l.n; i++) {
        if (run(rs, m, &l.row[i], res) < 0) {
            fprintf(stderr, "jubao-rules: row %s: cannot classify\n", l.row[i].id);
            rc = -1;
        } else if (fn(&l.row[i], res, ctx) < 0) {
            fprintf(stderr, "jubao-rules: out of memory\n");
            rc = -1;
        }
    }
    if (!res)
        rc = -1;
    free(res);
    if (got == 0)
        labelled_free(&l);
    model_free(m);
    rules_free(rs);
    rules_thread_done();
    return rc < 0 ? 1 : 0;
}

static int eval_row(const struct labelled_row *row, const struct triage_result *res, void *ctx)
{
    return evaluate_add(ctx, row->id, row->category, row->text, row->len, res);
}

int cmd_eval(int argc, char **argv)
{
    struct evaluate *e = evaluate_new();
    struct opts o;
    if (!e)
        return 1;
    int rc = each_row(argc, argv, true, eval_row, &o, e);
    if (rc == 0)
        evaluate_print(e, stdout, o.show);
    evaluate_free(e);
    return rc;
}

static int classify_row(const struct labelled_row *row, const struct triage_result *res,
                        void *ctx)
{
    struct buf *b = ctx;
    buf_truncate(b, 0);
    triage_scores(res, false, b);
    if (b->oom)
        return -1;
    printf("%s\t%s\n", row->id, b->p);
    return 0;
}

int cmd_classify(int argc, char **argv)
{
    struct buf b = {0};
    struct opts o;
    int rc = each_row(argc, argv, false, classify_row, &o, &b);
    buf_free(&b);
    return rc;
}
