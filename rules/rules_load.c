/* rules_load — rules_load and rules_free (rules.h): a rule set built whole, or nothing.
 *
 * Loading a set:
 *   1. read the rule files (rulefile.h) and build their lexicons (lexicon.h);
 *   2. compile every rule's pattern (regex.h) and find its required literals (literal.h);
 *   3. build the prefilter: one literal scanner (ac.h) for the classification rules, one for
 *      the redaction rules;
 *   4. run every example through the whole engine (rules.c, rules_redact.c), and a match
 *      example through its regex alone too, to catch a prefilter that would skip it.
 * Every problem is reported as "file:line: reason"; without RULES_LAX any problem fails the
 * load.
 */
#include "rules.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ac.h"
#include "category.h"
#include "lexicon.h"
#include "literal.h"
#include "log.h"
#include "pii.h"
#include "regex.h"
#include "rulefile.h"
#include "rules_int.h"

struct loader {
    unsigned flags;
    struct buf errs;
    size_t nerrs;
    struct rulefile_set rf;     /* the files read: rules, lexicons, variants */
    struct literal_info *lits;  /* per rule of the set being built */
    size_t *spec_of;            /* per rule: its index in specs */
    struct lexicon_set *lex;    /* built from them (owned by the set) */
};

static void load_error(struct loader *ld, const char *file, int line, const char *id,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void load_error(struct loader *ld, const char *file, int line, const char *id,
                       const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (id)
        buf_printf(&ld->errs, "%s:%d: rule %s: %s\n", file, line, id, msg);
    else
        buf_printf(&ld->errs, "%s:%d: %s\n", file, line, msg);
    ld->nerrs++;
}

void rules_free(struct ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->rules[i].id);
        free(rs->rules[i].placeholder);
        regex_free(rs->rules[i].re);
    }
    free(rs->rules);
    free(rs->always);
    free(rs->redact);
    free(rs->lit_rule);
    free(rs->lit_len);
    free(rs->lexrules);
    lexicon_free(rs->lex);
    ac_free(rs->ac);
    ac_free(rs->redact_ac);
    if (rs->sh) {
        free(rs->sh->hits);
        free(rs->sh->limits);
        free(rs->sh);
    }
    free(rs);
}

/* A rule without a pattern: its lexicon condition alone. */
static int lexicon_rule(const struct rulefile_rule *sp, struct rule *ru, int lc)
{
    *ru = (struct rule){.id = strdup(sp->id), .suggest = sp->suggest, .fields = sp->fields,
                        .severity = sp->severity, .priority = sp->priority,
                        .maxlen = LITERAL_UNBOUNDED, .lexcond = lc};
    if (sp->category)
        ru->category = category_find(sp->category, strlen(sp->category))->code;
    return ru->id ? 0 : -2;
}

/* Compiles spec into ru and reads its literals into *li. Returns 0, -1 (reported) or -2 when
 * memory ran out. */
static int compile_rule(struct loader *ld, const struct rulefile_rule *sp, struct rule *ru,
                        struct literal_info *li)
{
    int lc = -1;
    if (sp->lexicons && (lc = lexicon_cond_add(ld->lex, sp, &ld->errs, &ld->nerrs)) < 0)
        return lc;
    if (!sp->pattern)
        return lexicon_rule(sp, ru, lc);
    char msg[256];
    size_t off;
    struct regex *re = regex_compile(sp->pattern, sp->flags, msg, sizeof msg, &off);
    if (!re) {
        load_error(ld, sp->file, sp->pattern_line, sp->id, "pattern: %s at offset %zu", msg,
                   off);
        return -1;
    }
    unsigned lf = (strchr(sp->flags, 'i') ? LITERAL_CASELESS : 0) |
                  (strchr(sp->flags, 'x') ? LITERAL_EXTENDED : 0) |
                  (ld->flags & RULES_RAW ? 0 : LITERAL_NORMALIZED);
    char why[300];
    if (literal_analyze(sp->pattern, strlen(sp->pattern), lf, li, why, sizeof why) < 0) {
        load_error(ld, sp->file, sp->pattern_line, sp->id, "%s", why);
        regex_free(re);
        return -1;
    }
    char ph[32] = "";
    if (sp->placeholder)
        snprintf(ph, sizeof ph, "[%s]", sp->placeholder);
    *ru = (struct rule){.id = strdup(sp->id), .placeholder = sp->placeholder ? strdup(ph) : NULL,
                        .re = re, .suggest = sp->suggest, .fields = sp->fields,
                        .severity = sp->severity, .priority = sp->priority,
                        .validate = (enum pii_check)sp->validate, .maxlen = li->maxlen,
                        .nlits = li->nlits, .lexcond = lc};
    if (sp->category)
        ru->category = category_find(sp->category, strlen(sp->category))->code;
    if (!ru->id || (sp->placeholder && !ru->placeholder))
        return -2;
    return 0;
}

/* Compiles every parsed rule into rs; broken ones are reported and left out. Returns -1 when
 * memory ran out. */
static int compile_all(struct loader *ld, struct ruleset *rs)
{
    rs->rules = calloc(ld->rf.nspecs ? ld->rf.nspecs : 1, sizeof *rs->rules);
    ld->lits = calloc(ld->rf.nspecs ? ld->rf.nspecs : 1, sizeof *ld->lits);
    ld->spec_of = calloc(ld->rf.nspecs ? ld->rf.nspecs : 1, sizeof *ld->spec_of);
    if (!rs->rules || !ld->lits || !ld->spec_of)
        return -1;
    for (size_t i = 0; i < ld->rf.nspecs; i++) {
        const struct rulefile_rule *sp = &ld->rf.specs[i];
        if (!sp->id)
            continue;
        int rc = compile_rule(ld, sp, &rs->rules[rs->n], &ld->lits[rs->n]);
        if (rc == -2) {
            rs->n++;    /* so that rules_free frees what was made */
            return -1;
        }
        if (rc == 0)
            ld->spec_of[rs->n++] = i;
    }
    return 0;
}

/* Redaction rule i gets its literals into the redaction scanner, so that redact() runs it only
 * on texts that hold one; a rule without literals, past the 64th or in raw mode (where the
 * scanner's ASCII folding is not PCRE2's) runs on every text. */
static int add_redact_literals(struct ruleset *rs, const struct literal_info *li, size_t i)
{
    if (i >= 64)
        return 0;
    if (!li->nlits || rs->raw) {
        rs->redact_always |= (uint64_t)1 << i;
        return 0;
    }
    for (size_t k = 0; k < li->nlits; k++)
        if (ac_add(rs->redact_ac, li->lits[k], li->lens[k], (uint32_t)i) < 0)
            return -1;
    return 0;
}

/* Builds the literal scanner: each literal of each classification rule becomes an AC id.
 * In raw mode two more ids flag the Kelvin sign and the long s, which a caseless PCRE2 match
 * takes for k and s while the scanner, folding ASCII only, would not. */
static int build_prefilter(struct loader *ld, struct ruleset *rs)
{
    size_t total = 2;
    for (size_t r = 0; r < rs->n; r++)
        total += ld->lits[r].nlits;
    rs->lit_rule = malloc(total * sizeof *rs->lit_rule);
    rs->lit_len = malloc(total);
    rs->always = malloc((rs->n ? rs->n : 1) * sizeof *rs->always);
    rs->redact = malloc((rs->n ? rs->n : 1) * sizeof *rs->redact);
    rs->lexrules = malloc((rs->n ? rs->n : 1) * sizeof *rs->lexrules);
    if (!(rs->ac = ac_new()) || !(rs->redact_ac = ac_new()) || !rs->lit_rule || !rs->lit_len ||
        !rs->always || !rs->redact || !rs->lexrules)
        return -1;
    for (size_t r = 0; r < rs->n; r++) {
        const struct literal_info *li = &ld->lits[r];
        if (rs->rules[r].lexcond >= 0) {     /* its pattern runs only where its lexicons hold */
            rs->lexrules[rs->nlexrules++] = r;
            continue;
        }
        if (rs->rules[r].placeholder) {
            if (add_redact_literals(rs, li, rs->nredact) < 0)
                return -1;
            rs->redact[rs->nredact++] = r;
            continue;
        }
        if (!li->nlits)
            rs->always[rs->nalways++] = r;
        for (size_t k = 0; k < li->nlits; k++) {
            if (ac_add(rs->ac, li->lits[k], li->lens[k], (uint32_t)rs->nlits) < 0)
                return -1;
            rs->lit_rule[rs->nlits] = (uint32_t)r;
            rs->lit_len[rs->nlits++] = li->lens[k];
        }
    }
    static const char *const tricky[] = {"\xe2\x84\xaa", "\xc5\xbf"};
    for (size_t k = 0; rs->raw && k < 2; k++) {
        if (ac_add(rs->ac, tricky[k], strlen(tricky[k]), (uint32_t)rs->nlits) < 0)
            return -1;
        rs->lit_rule[rs->nlits] = BYPASS;
        rs->lit_len[rs->nlits++] = (uint8_t)strlen(tricky[k]);
    }
    return ac_build(rs->ac) < 0 || ac_build(rs->redact_ac) < 0 ? -1 : 0;
}

/* The first field a rule looks at, where its examples go. */
static enum rules_field example_field(const struct rule *ru)
{
    for (int f = 0; f < RULES_NFIELDS; f++)
        if (ru->fields & 1u << f)
            return (enum rules_field)f;
    return RULES_DESCRIPTION;
}

/* Runs one example of classification rule r through the whole engine, and through the
 * regex alone to catch a prefilter that would miss it. */
static int check_match_example(struct loader *ld, const struct ruleset *rs, size_t r,
                               const struct rulefile_rule *sp, const struct rulefile_example *ex)
{
    const struct rule *ru = &rs->rules[r];
    struct rules_input in = {0};
    struct rules_result res;
    enum rules_field f = example_field(ru);
    in.text[f] = ex->text;
    in.len[f] = strlen(ex->text);
    unsigned long limits = atomic_load(&rs->sh->limits[r]);
    if (rules_match(rs, &in, &res) < 0)
        return -1;
    struct scratch *sc = rules_scratch_get(rs->n);
    if (!sc)
        return -1;
    const struct hitrec *hit = NULL;
    for (size_t i = 0; i < sc->nhits; i++)
        if (sc->hits[i].rule == r)
            hit = &sc->hits[i];
    const char *what = ex->match ? "match" : "nomatch";
    if (atomic_load(&rs->sh->limits[r]) != limits) {
        load_error(ld, sp->file, ex->line, sp->id, "%s: example stopped by the match limit "
                   "(the pattern backtracks too much)", what);
        return 0;
    }
    if (!hit && ru->lexcond < 0 && rules_regex_matches(rs, sc, r, ex->text, strlen(ex->text)))
        load_error(ld, sp->file, ex->line, sp->id, "%s: the regex matches but the prefilter "
                   "skipped it (a bug in rules/literal.c: please report the pattern)", what);
    else if (ex->match && !hit)
        load_error(ld, sp->file, ex->line, sp->id, "match: example does not match");
    else if (!ex->match && hit)
        load_error(ld, sp->file, ex->line, sp->id, "nomatch: example matches at \"%.*s\"",
                   (int)(hit->end - hit->start), ex->text + hit->start);
    return 0;
}

/* Runs one example of redaction rule r (with that rule alone). */
static int check_redact_example(struct loader *ld, const struct ruleset *rs, size_t r,
                                const struct rulefile_rule *sp,
                                const struct rulefile_example *ex)
{
    size_t n = 0, len = 0;
    char *out = rules_redact_only(rs, ex->text, strlen(ex->text), &len, &n, r);
    if (!out)
        return -1;
    const char *v = rs->rules[r].validate ? pii_name(rs->rules[r].validate) : NULL;
    if (ex->match && n == 0)
        load_error(ld, sp->file, ex->line, sp->id, "match: example is not redacted%s%s", v ?
                   " (no match, or the match fails validate: " : "", v ? v : "");
    else if (ex->match && ex->becomes && strcmp(out, ex->becomes) != 0)
        load_error(ld, sp->file, ex->line + 1, sp->id, "becomes: expected \"%s\", got \"%s\"",
                   ex->becomes, out);
    else if (!ex->match && n > 0)
        load_error(ld, sp->file, ex->line, sp->id, "nomatch: example is redacted: \"%s\"", out);
    free(out);
    return 0;
}

static int check_examples(struct loader *ld, struct ruleset *rs)
{
    for (size_t r = 0; r < rs->n; r++) {
        const struct rulefile_rule *sp = &ld->rf.specs[ld->spec_of[r]];
        for (size_t i = 0; i < sp->nex; i++) {
            int rc = rs->rules[r].placeholder ? check_redact_example(ld, rs, r, sp, &sp->ex[i])
                                              : check_match_example(ld, rs, r, sp, &sp->ex[i]);
            if (rc < 0)
                return -1;
        }
    }
    for (size_t r = 0; r < rs->n; r++) {
        atomic_store(&rs->sh->hits[r], 0);
        atomic_store(&rs->sh->limits[r], 0);
    }
    return 0;
}

static struct ruleset *ruleset_new(unsigned flags)
{
    struct ruleset *rs = calloc(1, sizeof *rs);
    if (!rs || !(rs->sh = calloc(1, sizeof *rs->sh))) {
        free(rs);
        return NULL;
    }
    rs->raw = flags & RULES_RAW;
    return rs;
}

static int alloc_counters(struct ruleset *rs)
{
    size_t n = rs->n ? rs->n : 1;
    rs->sh->hits = calloc(n, sizeof *rs->sh->hits);
    rs->sh->limits = calloc(n, sizeof *rs->sh->limits);
    return rs->sh->hits && rs->sh->limits ? 0 : -1;
}

/* Steps 1-4 of a load: read, compile, build the prefilter, run the examples. Returns -1 when
 * memory ran out; problems with the rules are in ld->errs. */
static int build(struct loader *ld, struct ruleset *rs, const char *const *paths, size_t n)
{
    if (rulefile_read(&ld->rf, paths, n, !(ld->flags & RULES_LAX), &ld->errs, &ld->nerrs) < 0)
        return -1;
    if (!(rs->lex = ld->lex = lexicon_build(&ld->rf.lx, &ld->errs, &ld->nerrs)))
        return -1;
    size_t terms, variants, lexicons;
    lexicon_counts(rs->lex, &lexicons, &terms, &variants);
    rs->scan_lex = terms > 0;
    if (compile_all(ld, rs) < 0 || alloc_counters(rs) < 0 || build_prefilter(ld, rs) < 0)
        return -1;
    return check_examples(ld, rs);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void copy_errors(const struct loader *ld, char *err, size_t errlen)
{
    if (!err || !errlen)
        return;
    size_t n = ld->errs.len;
    while (n && ld->errs.p[n - 1] == '\n')
        n--;
    snprintf(err, errlen, "%.*s", (int)(n > (size_t)INT32_MAX ? INT32_MAX : n),
             ld->errs.p ? ld->errs.p : "");
}

int rules_load(struct ruleset **out, const char *const *paths, size_t n, unsigned flags,
               char *err, size_t errlen)
{
    double t0 = now_seconds();
    struct loader ld = {.flags = flags};
    struct ruleset *rs = ruleset_new(flags);
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    int rc = rs ? build(&ld, rs, paths, n) : -1;
    if (rc < 0)
        buf_puts(&ld.errs, "rules: out of memory\n");
    copy_errors(&ld, err, errlen);
    if (rc < 0 || (ld.nerrs && !(flags & RULES_LAX))) {
        rules_free(rs);
        rc = -1;
    } else {
        rs->load_seconds = now_seconds() - t0;
        *out = rs;
    }
    rulefile_set_free(&ld.rf);
    free(ld.lits);
    free(ld.spec_of);
    buf_free(&ld.errs);
    return rc;
}

struct ruleset *rules_load_logged(const char *path)
{
    static char err[16384];
    struct ruleset *rs = NULL;
    const char *paths[] = {path};
    if (rules_load(&rs, paths, 1, 0, err, sizeof err) < 0) {
        char *save = NULL;
        for (char *line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            log_error("rules: %s", line);
        return NULL;
    }
    log_info("rules: %zu loaded from %s", rules_count(rs), path);
    return rs;
}
