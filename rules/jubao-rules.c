/* jubao-rules — check, try and benchmark rule files.
 *
 *   jubao-rules check FILE|DIR...                  compile every rule, run every example
 *   jubao-rules test FILE|DIR... --text STRING [--field url|title|description] [--raw]
 *   jubao-rules vectors FILE|DIR... --vectors TSV [--repeat N]
 *                                                  recall and false hits of the redaction
 *                                                  rules over labelled examples (vectors.h)
 *   jubao-rules bench --sa TSV --corpus FILE       see rules/bench.sh (make bench-rules)
 *   jubao-rules train -o MODEL [--rules PATH] [--c C] [--precision P] [--false-hits F]
 *                     [--seed N] FILE.tsv...
 *                                                  train a triage model (cmd_train.c)
 *   jubao-rules eval | classify ...                triage over labelled texts (cmd_eval.c)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "buf.h"
#include "cmd.h"
#include "log.h"
#include "rules.h"
#include "vectors.h"

#define ERRLEN (1 << 20)

static int usage(void)
{
    fputs("usage: jubao-rules check FILE|DIR...\n"
          "       jubao-rules test FILE|DIR... --text STRING [--field url|title|description]"
          " [--raw]\n"
          "       jubao-rules vectors FILE|DIR... --vectors TSV [--repeat N]\n"
          "       jubao-rules bench --sa TSV --corpus FILE [--seconds N]\n"
          "       jubao-rules train -o MODEL [--rules PATH] [--c C] [--precision P]"
          " [--false-hits F] [--seed N] FILE.tsv...\n"
          "       jubao-rules eval [--rules PATH] [--model FILE] [--show N] FILE.tsv\n"
          "       jubao-rules classify [--rules PATH] [--model FILE] < FILE.tsv\n", stderr);
    return 2;
}

/* Loads the files; prints every problem. Returns the set, or NULL. */
static struct ruleset *load(const char *const *files, size_t n, unsigned flags)
{
    char *err = malloc(ERRLEN);
    struct ruleset *rs = NULL;
    if (!err) {
        fputs("jubao-rules: out of memory\n", stderr);
        return NULL;
    }
    int rc = rules_load(&rs, files, n, flags, err, ERRLEN);
    if (err[0])
        fprintf(stderr, "%s\n", err);
    free(err);
    return rc == 0 ? rs : NULL;
}

static int cmd_check(int argc, char **argv)
{
    if (argc < 1)
        return usage();
    struct ruleset *rs = load((const char *const *)argv, (size_t)argc, 0);
    if (!rs)
        return 1;
    struct rules_info info;
    rules_info(rs, &info);
    printf("ok: %zu rules (%zu redaction); %zu classification rules have no required literal "
           "and run on every text; loaded in %.1f ms\n", info.rules, info.redaction,
           info.no_literal, info.load_seconds * 1e3);
    printf("lexicons: %zu (%zu terms and except phrases), %zu rules use them; variants: %zu "
           "spellings\n", info.lexicons, info.terms, info.lexicon_rules, info.variants);
    rules_free(rs);
    return 0;
}

static const char *const field_names[RULES_NFIELDS] = {"url", "title", "description"};

static void print_result(const struct rules_result *res, const char *text)
{
    printf("hits: %zu\n", res->nhits);
    for (size_t i = 0; i < res->nhits && i < RULES_MAX_HITS; i++) {
        const struct rules_hit *h = &res->hits[i];
        printf("  %s  %s bytes %zu..%zu  \"%.*s\"\n", h->id, field_names[h->field], h->start,
               h->end, (int)(h->end - h->start), text + h->start);
    }
    printf("categories:");
    for (size_t i = 0; i < res->ncategories; i++)
        printf(" %s", res->categories[i]);
    printf("\nseverity: %s\npriority: +%d\nlimit stops: %zu\n",
           rules_severity_name(res->severity), res->priority, res->nlimit);
    printf("lexicons: %zu\n", res->nlex);
    for (size_t i = 0; i < res->nlex; i++)
        printf("  %s  weight %g  terms %u%s%s\n", res->lex[i].id, res->lex[i].weight,
               res->lex[i].terms, res->lex[i].category ? "  category " : "",
               res->lex[i].category ? res->lex[i].category : "");
}

static int cmd_test(int argc, char **argv)
{
    const char *text = NULL;
    int field = RULES_DESCRIPTION, nfiles = 0;
    unsigned flags = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--text") == 0 && i + 1 < argc) {
            text = argv[++i];
        } else if (strcmp(argv[i], "--field") == 0 && i + 1 < argc) {
            for (field = 0; field < RULES_NFIELDS && strcmp(argv[i + 1], field_names[field]);)
                field++;
            if (field == RULES_NFIELDS)
                return usage();
            i++;
        } else if (strcmp(argv[i], "--raw") == 0) {
            flags |= RULES_RAW;
        } else {
            argv[nfiles++] = argv[i];
        }
    }
    if (!text || !nfiles)
        return usage();
    struct ruleset *rs = load((const char *const *)argv, (size_t)nfiles, flags);
    if (!rs)
        return 1;
    struct rules_input in = {0};
    struct rules_result res;
    in.text[field] = text;
    in.len[field] = strlen(text);
    size_t n = 0, len = 0;
    char *red = NULL;
    struct buf folded = {0};
    int rc = 1;
    if (rules_match(rs, &in, &res) < 0)
        fputs("jubao-rules: the text is not valid UTF-8\n", stderr);
    else if (!(red = rules_redact(rs, text, strlen(text), &len, &n)))
        fputs("jubao-rules: cannot redact\n", stderr);
    else if (rules_fold(rs, text, strlen(text), &folded) < 0 || buf_add(&folded, "", 0) < 0)
        fputs("jubao-rules: cannot fold\n", stderr);
    else {
        print_result(&res, text);
        printf("folded: %s\n", folded.p);
        printf("redacted (%zu): %s\n", n, red);
        rc = 0;
    }
    buf_free(&folded);
    free(red);
    rules_free(rs);
    rules_thread_done();
    return rc;
}

static void print_score(const struct vectors_score *s, unsigned repeat, size_t examples)
{
    printf("recall: %.2f%% (%zu of %zu with personal data redacted as expected; at least %.0f%%)\n",
           100 * vectors_recall(s), s->caught, s->pii, 100 * VECTORS_MIN_RECALL);
    printf("false hits: %.2f%% (%zu of %zu without changed; at most %.0f%%)\n",
           100 * vectors_false_rate(s), s->false_hits, s->keep, 100 * VECTORS_MAX_FALSE);
    for (size_t i = 0; i < s->nkinds; i++)
        printf("  %-10s %zu/%zu\n", s->kind[i].label, s->kind[i].ok, s->kind[i].n);
    if (repeat && examples)
        printf("redaction: %.2f us per example (%zu examples of %zu bytes on average, %u passes"
               ", %.1f MB/s)\n", s->seconds * 1e6 / ((double)repeat * (double)examples),
               examples, s->bytes / examples, repeat,
               (double)s->bytes * repeat / (s->seconds > 0 ? s->seconds : 1) / 1e6);
}

static int cmd_vectors(int argc, char **argv)
{
    const char *path = NULL;
    unsigned repeat = 0;
    int nfiles = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = (unsigned)strtoul(argv[++i], NULL, 10);
        else
            argv[nfiles++] = argv[i];
    }
    if (!path || !nfiles)
        return usage();
    struct ruleset *rs = load((const char *const *)argv, (size_t)nfiles, 0);
    if (!rs)
        return 1;
    struct vectors_score s;
    char err[512];
    int rc = vectors_score(rs, path, repeat, stdout, &s, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "jubao-rules: %s\n", err);
    else
        print_score(&s, repeat, s.pii + s.keep);
    rules_free(rs);
    rules_thread_done();
    return rc < 0 ? 1 : vectors_pass(&s) ? 0 : 1;
}

int main(int argc, char **argv)
{
    log_init("jubao-rules", LOG_WARN);
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(argv[1], "test") == 0)
        return cmd_test(argc - 2, argv + 2);
    if (strcmp(argv[1], "vectors") == 0)
        return cmd_vectors(argc - 2, argv + 2);
    if (strcmp(argv[1], "train") == 0)
        return cmd_train(argc - 2, argv + 2);
    if (strcmp(argv[1], "eval") == 0)
        return cmd_eval(argc - 2, argv + 2);
    if (strcmp(argv[1], "classify") == 0)
        return cmd_classify(argc - 2, argv + 2);
    if (strcmp(argv[1], "bench") == 0)
        return bench_main(argc - 2, argv + 2);
    return usage();
}
