/* rulefile_int — the parser state that rulefile.c (rules, lines) and rulefile_lex.c (lexicon
 * and variants blocks) share. Not a contract: only those two files include it.
 */
#ifndef JUBAO_RULEFILE_INT_H
#define JUBAO_RULEFILE_INT_H

#include "rulefile.h"

#define MAX_ID 64
#define MAX_WITHIN 10000        /* characters, for within: */
#define MAX_RULE_LEXICONS 8     /* lexicons one rule may list */

enum { LEX_NONE, LEX_LEXICON, LEX_VARIANTS };

struct parser {
    const char *path;
    bool strict;
    struct buf *errs;
    size_t *nerrs;
    struct rulefile_rule cur;
    bool in_rule, cur_bad, oom;
    int last_key;               /* the key of the previous line, for continuations */
    struct rulefile_rule **rules;
    size_t *n, cap;
    /* the lexicon or variants block being read */
    int in_lex;                 /* LEX_* */
    struct rulefile_lexicon lcur;
    struct rulefile_variants vcur;
    double weight;              /* of the terms: lines that follow */
    const char *vtarget;        /* the standard form of the variant: line being read */
    struct rulefile_lex *lx;
};

/* Appends "path:line: KIND ID: reason" to the errors and marks the current block bad. */
void rulefile_error(struct parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* strndup that sets ps->oom on failure. */
char *rulefile_dup(struct parser *ps, const char *s, size_t n);

/* Removes leading blanks and trailing blanks and CR, in place. */
char *rulefile_trim(char *s);

/* True for letters, digits, . _ -, 1 to MAX_ID of them. */
bool rulefile_id_ok(const char *id);

/* A number from lo to hi, or false. */
bool rulefile_number(const char *v, double lo, double hi, double *out);

/* Appends an example (its text copied) to *exs; NULL when memory ran out. */
struct rulefile_example *rulefile_example_add(struct parser *ps, struct rulefile_example **exs,
                                     size_t *n, int line, const char *v, bool match);
void rulefile_examples_free(struct rulefile_example *ex, size_t n);

/* rulefile_lex.c: LEX_LEXICON or LEX_VARIANTS when s is a "lexicon ID" / "variants ID" line
 * (*id then points into s), else 0; starting, reading and ending such a block. */
int rulefile_block_kind(char *s, const char **id);
void rulefile_block_begin(struct parser *ps, int line, int kind, const char *id);
void rulefile_block_line(struct parser *ps, int line, char *s);
void rulefile_block_end(struct parser *ps);

#endif
