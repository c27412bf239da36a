/* rulefile — reads the text of a *.rules file (the format of docs/RULES.md) into rule
 * descriptions, checking everything that can be checked without PCRE2. rules.c compiles them.
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
};

/* Parses the len bytes of text, read from file path. Every problem is appended to errs as a
 * line "path:line: reason\n" and counted in *nerrs; the rules without problems are appended
 * to *rules / *n (a growing array the caller frees with rulefile_free). With strict, a rule
 * needs at least one match: and one nomatch: example. Returns -1 only when memory ran out. */
int rulefile_parse(const char *path, const char *text, size_t len, bool strict,
                   struct rulefile_rule **rules, size_t *n, struct buf *errs, size_t *nerrs);

void rulefile_free(struct rulefile_rule *rules, size_t n);

#endif
