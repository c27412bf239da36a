/* rules — classification and personal-data redaction by rule files (docs/RULES.md).
 *
 * A rule set is loaded once, all of it or nothing: every pattern compiled with JIT (UTF + UCP),
 * every example run. After that it never changes and any number of threads may match with it
 * at once; each thread keeps its own match data. Matching sees the text after NFKC + case
 * folding, runs only the rules whose required literal occurs in it (plus the few that have
 * none), and stops any regex at its match limit, so that one rule costs at most about a
 * millisecond on a 5,000-character field. A reload builds a complete new set and swaps it in
 * through a rules_live holder; the old set is freed when its last user releases it.
 *
 * This module is the only user of PCRE2.
 */
#ifndef JUBAO_RULES_H
#define JUBAO_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum rules_field { RULES_URL, RULES_TITLE, RULES_DESCRIPTION, RULES_NFIELDS };

/* rules_load flags. Neither is for production rule packs. */
#define RULES_LAX 1u    /* examples are optional and broken rules are left out (still reported
                           in err) instead of failing the load: foreign rule sets, benchmarks */
#define RULES_RAW 2u    /* match the text as given, without normalization or the check that
                           patterns are written for normalized text: foreign rule sets */

struct ruleset;

/* Loads the rule files at paths[0..n) (a directory loads its *.rules files in name order).
 * Returns 0 with *out set (free with rules_free), or -1 with nothing allocated; err then
 * holds one "file:line: reason" line per problem, newline-separated, cut to errlen. */
int rules_load(struct ruleset **out, const char *const *paths, size_t n, unsigned flags,
               char *err, size_t errlen);
void rules_free(struct ruleset *rs);

/* Loads the rule file or directory at path for a daemon: returns the set, or NULL having
 * logged every "file:line: reason" (lib/log.h). */
struct ruleset *rules_load_logged(const char *path);

/* Rules loaded, and the id of rule i (0 <= i < rules_count). */
size_t rules_count(const struct ruleset *rs);
const char *rules_id(const struct ruleset *rs, size_t i);

/* The category rule i suggests (NULL for redaction rules and rules that only raise priority)
 * and its severity (1..4; 0 for redaction rules). */
const char *rules_category(const struct ruleset *rs, size_t i);
int rules_severity(const struct ruleset *rs, size_t i);

struct rules_info {
    size_t rules, redaction;            /* all rules; of them, redaction rules */
    size_t no_literal;                  /* classification rules that run on every text */
    size_t literals, scanner_states, scanner_bytes;     /* the prefilter */
    size_t lexicons, terms, variants;   /* lexicons, their terms and except phrases, variant
                                           spellings */
    size_t lexicon_rules;               /* rules with a lexicon: condition */
    double load_seconds;
};

/* What the set holds, for rule authors (jubao-rules check) and benchmarks. */
void rules_info(const struct ruleset *rs, struct rules_info *info);

struct rules_input {
    const char *text[RULES_NFIELDS];    /* original UTF-8; NULL for an absent field */
    size_t len[RULES_NFIELDS];
    bool every_rule;                    /* no prefilter: run every rule (tests, benchmark) */
};

#define RULES_MAX_HITS 32
#define RULES_MAX_CATEGORIES 16

struct rules_hit {
    const char *id;                     /* valid as long as the rule set */
    size_t rule;                        /* index for rules_id */
    enum rules_field field;             /* where it matched first */
    size_t start, end;                  /* the match, in bytes of the original field text */
};

#define RULES_MAX_LEXHITS 32

/* A lexicon that counted terms in a report (the model's features). */
struct rules_lexhit {
    const char *id;                     /* valid as long as the rule set */
    const char *category;               /* NULL when the lexicon has none */
    double weight;                      /* sum over the distinct terms counted, all fields */
    unsigned terms;                     /* distinct terms counted */
};

struct rules_result {
    const char *categories[RULES_MAX_CATEGORIES];  /* suggested, highest severity first */
    size_t ncategories;
    int severity;                       /* highest of the rules that hit: 0 none, 1..4 */
    int priority;                       /* sum of the priority boosts of the rules that hit */
    struct rules_hit hits[RULES_MAX_HITS];          /* in rule order */
    size_t nhits;                       /* rules that hit; hits[] holds the first 32 */
    size_t nlimit;                      /* rules stopped by their match limit (not hits) */
    struct rules_lexhit lex[RULES_MAX_LEXHITS];     /* lexicons with counted terms, set order */
    size_t nlex;
};

/* Classifies one report. Returns 0 with *res filled, or -1 when a field is not valid UTF-8
 * or memory ran out (*res then says nothing hit). */
int rules_match(const struct ruleset *rs, const struct rules_input *in,
                struct rules_result *res);

/* rules_match, and when folded is not NULL, also appends to it what the model reads
 * (model_predict_folded): the folded form (rules_fold) of the title and of the description,
 * joined by a space when both are there (NUL-terminated; nothing for a report with neither).
 * A set with lexicons folds every field to match them, so this costs it only a copy. */
int rules_match_folded(const struct ruleset *rs, const struct rules_input *in,
                       struct rules_result *res, struct buf *folded);

/* The folded form (docs/RULES.md "Folding": NFKC, case folding, traditional to simplified,
 * look-alikes, separators, the variants of rs) of the len bytes at s, appended to out and
 * NUL-terminated. rs may be NULL: no variants. Returns 0, or -1 when s is not valid UTF-8 or
 * memory ran out. This is the text lexicons and the model read. */
int rules_fold(const struct ruleset *rs, const char *s, size_t len, struct buf *out);

/* Appends the suggested categories and the ids of the rules that hit (the first
 * RULES_MAX_HITS) to cats and hits as comma-separated lists, each NUL-terminated (also
 * when empty). Memory failures show in the bufs' oom. */
void rules_result_lists(const struct rules_result *res, struct buf *cats, struct buf *hits);

/* The len bytes of text with the personal data found by the redaction rules replaced by their
 * placeholders ("[PHONE]"); everything else is byte for byte the original. Returns a
 * NUL-terminated string the caller frees, its length in *outlen and the number of
 * replacements in *nredacted (either may be NULL), or NULL when text is not valid UTF-8 or
 * memory ran out. */
char *rules_redact(const struct ruleset *rs, const char *text, size_t len, size_t *outlen,
                   size_t *nredacted);

/* "low", "medium", "high", "critical" for 1..4; "none" otherwise. */
const char *rules_severity_name(int severity);

/* Appends the set's counters in Prometheus text format: rules loaded, load time, hits and
 * match-limit stops per rule. */
void rules_metrics(const struct ruleset *rs, struct buf *out);

/* Frees the calling thread's match data now; otherwise that happens when the thread exits. */
void rules_thread_done(void);

/* The holder through which requests use the current rule set while reloads replace it. */
struct rules_live;

/* A holder of rs (which it now owns), or NULL when memory ran out (rs is then freed). */
struct rules_live *rules_live_new(struct ruleset *rs);

/* The current set, which stays valid until rules_release; never NULL. */
const struct ruleset *rules_acquire(struct rules_live *live);
void rules_release(struct rules_live *live, const struct ruleset *rs);

/* Makes rs (now owned by the holder) current. Requests that hold the old set finish with it;
 * the last release frees it. */
void rules_swap(struct rules_live *live, struct ruleset *rs);

/* Frees the holder and drops its reference to the current set. */
void rules_live_free(struct rules_live *live);

#endif
