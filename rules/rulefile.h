/* rulefile — reads the text of a *.rules file (the format of docs/RULES.md) into rule,
 * lexicon and variants descriptions, checking everything that can be checked without PCRE2
 * and without the other files. rules_load.c compiles the rules, lexicon_build.c the
 * lexicons. The arrow goes one way: the engine calls the reader, the reader calls nothing of
 * the engine (it takes only enum rules_field from rules.h).
 */
#ifndef JUBAO_RULEFILE_H
#define JUBAO_RULEFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct rulefile_example {
    char *text;
    char *becomes;              /* the expected redaction of a match example, or NULL */
    int line;
    bool match;                 /* match: (true) or nomatch: (false) */
};

struct rulefile_rule {
    const char *file;           /* the path given to rulefile_parse */
    char *id, *category, *pattern, *description, *placeholder;
    int line, pattern_line;     /* of "rule ID" and of "pattern:" */
    int severity;               /* 1..4, 0 when not given */
    unsigned fields;            /* bit (1 << enum rules_field) */
    char flags[8];              /* PCRE2 option letters from "flags:" */
    bool suggest;               /* action suggest */
    int priority;               /* action priority +N */
    int validate;               /* enum pii_check */
    struct rulefile_example *ex;
    size_t nex;
    /* lexicon conditions (docs/RULES.md "Lexicons"); lexicons == NULL for a pattern rule */
    char *lexicons;             /* "lexicon:": ids separated by blanks */
    char *unless;               /* "unless:": lexicon ids, space-separated, or NULL */
    int lexicon_line, unless_line;
    unsigned within;            /* characters; 0 when not given */
    unsigned unless_within;     /* characters; 0: anywhere in the field */
    bool has_min_weight;
    double min_weight;
};

struct rulefile_term {
    char *text;
    double weight;
    int line;
    bool except;                /* an except: phrase, not a term */
};

struct rulefile_lexicon {
    const char *file;
    char *id, *category, *description;
    int line;
    struct rulefile_term *terms;
    size_t nterms, cap;
    struct rulefile_example *ex;
    size_t nex;
};

struct rulefile_variant {
    char *target, *spelling;    /* one row per right-hand spelling */
    int line;
};

struct rulefile_variants {
    const char *file;
    char *id, *description;
    int line;
    struct rulefile_variant *v;
    size_t nv, cap;
    struct rulefile_example *ex;    /* text -> becomes */
    size_t nex;
};

/* The lexicon and variants blocks of the files read, growing arrays. */
struct rulefile_lex {
    struct rulefile_lexicon *lex;
    size_t nlex, lexcap;
    struct rulefile_variants *var;
    size_t nvar, varcap;
};

/* Parses the len bytes of text, read from file path. Every problem is appended to errs as a
 * line "path:line: reason\n" and counted in *nerrs; the rules without problems are appended
 * to *rules / *n (a growing array the caller frees with rulefile_free), the lexicon and variants
 * blocks to *lx (freed with rulefile_lex_free). With strict, a rule or lexicon needs at least
 * one match: and one nomatch: example, variants at least one example:. Returns -1 only when
 * memory ran out. */
int rulefile_parse(const char *path, const char *text, size_t len, bool strict,
                   struct rulefile_rule **rules, size_t *n, struct rulefile_lex *lx,
                   struct buf *errs, size_t *nerrs);

void rulefile_free(struct rulefile_rule *rules, size_t n);

/* The words of "severity:": "low", "medium", "high", "critical" for 1..4; "none" otherwise.
 * rules_severity_name passes them on: the file format owns them, the engine only shows them. */
const char *rulefile_severity_name(int severity);
void rulefile_lex_free(struct rulefile_lex *lx);

/* Everything read from the files of one load (rulefile_read.c). */
struct rulefile_set {
    struct rulefile_rule *specs;
    size_t nspecs;
    struct rulefile_lex lx;
    char **files;               /* the paths read, owned here (the specs point into them) */
    size_t nfiles;
};

/* Reads and parses the files at paths[0..n) (a directory: its *.rules files in name order)
 * into set (zeroed by the caller; free with rulefile_set_free). Problems, such as a file that
 * cannot be read or a rule id used twice (the later rule is then left out), are appended to
 * errs and counted in *nerrs. Returns -1 only when memory ran out. */
int rulefile_read(struct rulefile_set *set, const char *const *paths, size_t n, bool strict,
                  struct buf *errs, size_t *nerrs);
void rulefile_set_free(struct rulefile_set *set);

#endif
