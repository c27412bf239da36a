/* regex — one rule's compiled pattern and the scratch a thread runs it with: the only file
 * that includes pcre2.h (rules_load.c compiles, rules.c and rules_redact.c match).
 *
 * Patterns are compiled for UTF-8 with Unicode properties (UTF + UCP), with an offset limit
 * allowed and \C refused, and with JIT where the platform has it. Every search runs under
 * fixed limits (match, depth, heap, JIT stack) so that one search costs at most about half a
 * millisecond; a search that hits one ends as REGEX_LIMIT, never as a match.
 */
#ifndef JUBAO_REGEX_H
#define JUBAO_REGEX_H

#include <stddef.h>

struct regex;
struct regex_scratch;

/* No offset limit: a match may start anywhere from the start offset on. */
#define REGEX_NO_LIMIT ((size_t)-1)

/* Compiles the NUL-terminated pattern with the rule flags (letters i s m x n U; others are
 * ignored). Returns the pattern (free with regex_free), or NULL with PCRE2's message in err
 * and the offset in pattern where compiling stopped in *erroff. */
struct regex *regex_compile(const char *pattern, const char *flags, char *err, size_t errlen,
                            size_t *erroff);
void regex_free(struct regex *re);

/* The match data, match context with the limits and JIT stack of one thread, or NULL when
 * memory ran out (nothing left behind). Not to be shared between threads. */
struct regex_scratch *regex_scratch_new(void);
void regex_scratch_free(struct regex_scratch *sc);

enum regex_outcome { REGEX_MISS, REGEX_HIT, REGEX_LIMIT, REGEX_ERROR };

struct regex_match {
    size_t start, end;          /* on REGEX_HIT: the match (end >= start) */
    int code;                   /* on REGEX_LIMIT and REGEX_ERROR: for regex_error_text */
};

/* Searches the len bytes at s (valid UTF-8: it is not checked again) for a match starting at
 * or after start, which must be the start of a character, and at or before limit
 * (REGEX_NO_LIMIT for none). REGEX_LIMIT: the search was stopped by a limit. */
enum regex_outcome regex_match(const struct regex *re, struct regex_scratch *sc, const char *s,
                               size_t len, size_t start, size_t limit, struct regex_match *m);

/* PCRE2's text for an error code, written NUL-terminated into buf. */
void regex_error_text(int code, char *buf, size_t len);

#endif
