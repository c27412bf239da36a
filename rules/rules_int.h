/* rules_int — what the parts of the rule engine share: the rule set's structures, the
 * per-thread scratch and running one rule's regex. Not a contract: only rules.c (matching),
 * rules_redact.c (redaction) and rules_load.c (loading, examples) include it; everyone else
 * holds a struct ruleset * through rules.h.
 */
#ifndef JUBAO_RULES_INT_H
#define JUBAO_RULES_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "norm.h"
#include "pii.h"
#include "regex.h"
#include "rules.h"

struct rule {
    char *id;
    const char *category;       /* a code from category.h, or NULL for redaction rules */
    char *placeholder;          /* "[PHONE]", or NULL for classification rules */
    struct regex *re;
    bool suggest;
    unsigned fields;
    int severity, priority;
    enum pii_check validate;
    size_t maxlen;              /* bytes, or LITERAL_UNBOUNDED */
    size_t nlits;
    int lexcond;                /* its lexicon condition (lexicon.h), or -1; re may be NULL */
};

/* What changes in a loaded set: its counters (relaxed atomics). */
struct shared {
    atomic_ulong *hits, *limits;
};

struct ruleset {
    struct rule *rules;
    size_t n;
    size_t *always, nalways;    /* classification rules without a literal */
    size_t *redact, nredact;    /* redaction rules, in file order */
    struct ac *redact_ac;       /* their literals, each reported as its rule's index in redact */
    uint64_t redact_always;     /* bit i: redact[i] runs on every text (no literal, or raw) */
    struct ac *ac;
    uint32_t *lit_rule;         /* per AC literal: its rule, or BYPASS */
    uint8_t *lit_len;
    size_t nlits;
    bool raw;
    double load_seconds;
    struct shared *sh;
    struct lexicon_set *lex;    /* lexicons and variants (never NULL once built) */
    size_t *lexrules, nlexrules;    /* rules with a lexicon condition */
    bool scan_lex;              /* the set has terms: fold and scan every field */
};

#define BYPASS UINT32_MAX

/* A rule that hit in the calling thread's last rules_match. */
struct hitrec {
    size_t rule, start, end;
    enum rules_field field;
};

/* One thread's working memory, kept between calls (rules.c owns it). */
struct scratch {
    struct regex_scratch *rx;
    struct norm norm;
    struct rstate *st;          /* per rule (rules.c) */
    size_t cap;
    uint32_t gen;
    struct hitrec *hits;
    size_t nhits, hitcap;
    struct span *spans;         /* redaction (rules_redact.c) */
    size_t nspans, spancap;
    struct lexicon_scan *lx;
};

/* The calling thread's scratch with room for nrules, or NULL when memory ran out. */
struct scratch *rules_scratch_get(size_t nrules);

enum rules_outcome { RULES_MISS, RULES_HIT, RULES_LIMIT };

/* Searches s for rule r's pattern, starting at or after start and at or before limit
 * (REGEX_NO_LIMIT for none). On RULES_HIT, *ms and *me hold the match; RULES_LIMIT is counted
 * and logged. */
enum rules_outcome rules_run(const struct ruleset *rs, struct scratch *sc, size_t r,
                             const char *s, size_t len, size_t start, size_t limit, size_t *ms,
                             size_t *me);

/* Whether rule r's regex alone matches the len bytes at text as matching sees them
 * (normalized unless the set is raw); false also for invalid UTF-8 or no memory. */
bool rules_regex_matches(const struct ruleset *rs, struct scratch *sc, size_t r,
                         const char *text, size_t len);

/* rules_redact, with only rule `only` when it is not SIZE_MAX (for the examples). */
char *rules_redact_only(const struct ruleset *rs, const char *text, size_t len, size_t *outlen,
                        size_t *nredacted, size_t only);

#endif
