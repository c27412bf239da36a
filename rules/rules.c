/* rules — see rules.h. The only file that includes pcre2.h.
 *
 * Matching one field:
 *   1. normalize it (norm.h), remembering where each piece came from;
 *   2. scan it once for the required literals of all rules (ac.h over literal.h's sets);
 *   3. at each literal found, run that literal's rule, but only where a match holding that
 *      literal can start: at most maxlen bytes before the literal's end (the offset limit
 *      stops PCRE2 from searching further); after a few such windows, or for a rule of
 *      unbounded length, search the rest of the field once;
 *   4. run the rules that have no literal.
 * A rule that hits is not run again on later fields. Every regex runs under a match limit
 * (and the JIT stack limit); hitting it counts as no match, is counted and logged.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules.h"

#include <stdarg.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ac.h"
#include "category.h"
#include "lexicon.h"
#include "live.h"
#include "literal.h"
#include "log.h"
#include "norm.h"
#include "pii.h"
#include "rulefile.h"
#include "text.h"

/* The JIT spends at most about 2.5 ns per unit of match limit (measured on (\w+\s?)+$ and
 * (a|aa)+$, the worst we found), so 200,000 bounds a search at about half a millisecond on any
 * input; tests/unit/test_rules.c holds that line on 5,000 characters. The bench corpus shows
 * that no ordinary rule on ordinary text comes near it. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 2000        /* these two bind only the interpreter, when JIT is missing */
#define HEAP_LIMIT_KIB 4096
#define JIT_STACK_MAX (256 * 1024)
#define WINDOW_TRIES 4          /* windowed searches of a rule in one field, then one full search */

struct rule {
    char *id;
    const char *category;       /* a code from category.h, or NULL for redaction rules */
    char *placeholder;          /* "[PHONE]", or NULL for classification rules */
    pcre2_code *re;
    bool jit, suggest;
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

/* ---- per-thread scratch ---------------------------------------------------------------- */

struct rstate {
    uint32_t hit_gen;           /* == call generation: the rule already hit in this call */
    uint32_t field_gen;         /* == field generation: the fields below are current */
    bool done;                  /* searched the whole field */
    uint8_t tries;
    size_t next;                /* starts before this offset were searched */
};

struct hitrec {
    size_t rule, start, end;
    enum rules_field field;
};

struct span {
    size_t start, end, rule;
};

struct scratch {
    pcre2_match_data *md;
    pcre2_match_context *mc;
    pcre2_jit_stack *js;
    struct norm norm;
    struct rstate *st;
    size_t cap;
    uint32_t gen;
    struct hitrec *hits;
    size_t nhits, hitcap;
    struct span *spans;
    size_t nspans, spancap;
    struct lexicon_scan *lx;
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
    struct scratch *sc = p;
    if (!sc)
        return;
    pcre2_match_data_free(sc->md);
    pcre2_match_context_free(sc->mc);
    pcre2_jit_stack_free(sc->js);
    norm_free(&sc->norm);
    free(sc->st);
    free(sc->hits);
    free(sc->spans);
    lexicon_scan_free(sc->lx);
    free(sc);
}

static void tls_init(void)
{
    if (pthread_key_create(&tls_key, scratch_free) != 0)
        abort();
}

void rules_thread_done(void)
{
    pthread_once(&tls_once, tls_init);
    scratch_free(pthread_getspecific(tls_key));
    pthread_setspecific(tls_key, NULL);
}

static struct scratch *scratch_new(void)
{
    struct scratch *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->lx = lexicon_scan_new();
    sc->md = pcre2_match_data_create(1, NULL);
    sc->mc = pcre2_match_context_create(NULL);
    sc->js = pcre2_jit_stack_create(32 * 1024, JIT_STACK_MAX, NULL);
    if (!sc->lx || !sc->md || !sc->mc || !sc->js) {
        scratch_free(sc);
        return NULL;
    }
    pcre2_jit_stack_assign(sc->mc, NULL, sc->js);
    pcre2_set_match_limit(sc->mc, MATCH_LIMIT);
    pcre2_set_depth_limit(sc->mc, DEPTH_LIMIT);
    pcre2_set_heap_limit(sc->mc, HEAP_LIMIT_KIB);
    return sc;
}

/* The calling thread's scratch with room for nrules, or NULL when memory ran out. */
static struct scratch *scratch_get(size_t nrules)
{
    pthread_once(&tls_once, tls_init);
    struct scratch *sc = pthread_getspecific(tls_key);
    if (!sc) {
        if (!(sc = scratch_new()))
            return NULL;
        if (pthread_setspecific(tls_key, sc) != 0) {
            scratch_free(sc);
            return NULL;
        }
    }
    if (nrules > sc->cap) {
        struct rstate *st = realloc(sc->st, nrules * sizeof *st);
        if (!st)
            return NULL;
        memset(st + sc->cap, 0, (nrules - sc->cap) * sizeof *st);
        sc->st = st;
        sc->cap = nrules;
    }
    return sc;
}

/* A fresh generation number; stamps from before a wrap-around are cleared. */
static uint32_t next_gen(struct scratch *sc)
{
    if (++sc->gen == 0) {
        memset(sc->st, 0, sc->cap * sizeof *sc->st);
        sc->gen = 1;
    }
    return sc->gen;
}

/* ---- running one regex ----------------------------------------------------------------- */

enum outcome { MISS, HIT, LIMIT };

/* Counts and logs a rule stopped by its limit; the log is kept short under attack by writing
 * only the 1st, 2nd, 4th, 8th... time for each rule. */
static void note_limit(const struct ruleset *rs, size_t r, int rc)
{
    unsigned long n = atomic_fetch_add_explicit(&rs->sh->limits[r], 1, memory_order_relaxed) + 1;
    if ((n & (n - 1)) == 0) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(rc, msg, sizeof msg);
        log_warn("rules: rule %s stopped by its limit (%s), %lu times so far", rs->rules[r].id,
                 (const char *)msg, n);
    }
}

/* Searches s for rule r's pattern, starting at or after start and at or before limit
 * (PCRE2_UNSET for no limit). On HIT, *ms and *me hold the match. */
static enum outcome run(const struct ruleset *rs, struct scratch *sc, size_t r, const char *s,
                        size_t len, size_t start, size_t limit, size_t *ms, size_t *me)
{
    const struct rule *ru = &rs->rules[r];
    pcre2_set_offset_limit(sc->mc, limit);
    int rc = ru->jit ? pcre2_jit_match(ru->re, (PCRE2_SPTR)s, len, start, 0, sc->md, sc->mc)
                     : pcre2_match(ru->re, (PCRE2_SPTR)s, len, start, PCRE2_NO_UTF_CHECK,
                                   sc->md, sc->mc);
    if (rc >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
        *ms = ov[0];
        *me = ov[1] > ov[0] ? ov[1] : ov[0];
        return HIT;
    }
    if (rc == PCRE2_ERROR_NOMATCH)
        return MISS;
    note_limit(rs, r, rc);  /* match, depth or heap limit, JIT stack: all mean "too costly" */
    return LIMIT;
}

/* ---- matching -------------------------------------------------------------------------- */

/* The start of the character holding offset i: PCRE2 must never start inside a character. */
static size_t char_start(const char *s, size_t len, size_t i)
{
    if (i >= len)
        return len;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

struct field_ctx {
    const struct ruleset *rs;
    struct scratch *sc;
    enum rules_field f;
    const char *s, *orig;       /* the text matched (normalized or raw) and the original */
    size_t len;
    uint32_t call, fgen;
    bool bypass;                /* the raw text holds a character that defeats the prefilter */
    size_t nlimit;
    size_t gate;                /* the lexicon rule whose pattern may run now, or SIZE_MAX */
};

static int add_hit(struct scratch *sc, size_t r, enum rules_field f, size_t start, size_t end)
{
    struct hitrec *h = buf_array_grow(sc->hits, &sc->hitcap, sc->nhits + 1, sizeof *h);
    if (!h)
        return -1;
    sc->hits = h;
    sc->hits[sc->nhits++] = (struct hitrec){r, start, end, f};
    return 0;
}

/* Records the outcome of a search of rule r. Returns -1 only when memory ran out. */
static int settle(struct field_ctx *fc, size_t r, enum outcome o, size_t ms, size_t me)
{
    struct rstate *st = &fc->sc->st[r];
    if (o == LIMIT) {
        st->done = true;
        fc->nlimit++;
    }
    if (o != HIT)
        return 0;
    st->hit_gen = fc->call;
    st->done = true;
    size_t os = ms, oe = me;
    if (!fc->rs->raw)
        norm_span(&fc->sc->norm, ms, me, &os, &oe);
    return add_hit(fc->sc, r, fc->f, os, oe);
}

/* The rule's state for this field, or NULL when there is nothing left to do for it. */
static struct rstate *pending(struct field_ctx *fc, size_t r)
{
    const struct rule *ru = &fc->rs->rules[r];
    struct rstate *st = &fc->sc->st[r];
    if (!(ru->fields & 1u << fc->f) || ru->placeholder || st->hit_gen == fc->call ||
        (ru->lexcond >= 0 && fc->gate != r))
        return NULL;
    if (st->field_gen != fc->fgen) {
        st->field_gen = fc->fgen;
        st->done = false;
        st->tries = 0;
        st->next = 0;
    }
    return st->done ? NULL : st;
}

/* Searches the rest of the field for rule r. */
static int search_rest(struct field_ctx *fc, size_t r)
{
    struct rstate *st = pending(fc, r);
    if (!st)
        return 0;
    size_t ms = 0, me = 0;
    size_t from = char_start(fc->s, fc->len, st->next);
    enum outcome o = run(fc->rs, fc->sc, r, fc->s, fc->len, from, PCRE2_UNSET, &ms, &me);
    st->done = true;
    return settle(fc, r, o, ms, me);
}

/* A literal of some rule ends at offset end: search where a match holding it can start. */
static int on_literal(uint32_t id, size_t end, void *ctx)
{
    struct field_ctx *fc = ctx;
    const struct ruleset *rs = fc->rs;
    if (rs->lit_rule[id] == BYPASS) {
        fc->bypass = true;
        return 0;
    }
    size_t r = rs->lit_rule[id];
    struct rstate *st = pending(fc, r);
    if (!st)
        return 0;
    const struct rule *ru = &rs->rules[r];
    if (ru->maxlen == LITERAL_UNBOUNDED || ++st->tries > WINDOW_TRIES)
        return search_rest(fc, r);
    size_t litstart = end - rs->lit_len[id];
    size_t from = end > ru->maxlen ? end - ru->maxlen : 0;
    from = char_start(fc->s, fc->len, from > st->next ? from : st->next);
    if (from > litstart)
        return 0;
    size_t ms = 0, me = 0;
    enum outcome o = run(rs, fc->sc, r, fc->s, fc->len, from, litstart, &ms, &me);
    st->next = litstart + 1;
    return settle(fc, r, o, ms, me);
}

/* Scans the field for lexicon terms and settles the rules with a lexicon condition: a rule
 * with a pattern too runs it on the whole field, once its lexicons hold. */
static int match_lexicons(struct field_ctx *fc)
{
    const struct ruleset *rs = fc->rs;
    if (lexicon_scan_field(rs->lex, fc->sc->lx, fc->s, fc->len) < 0)
        return -1;
    for (size_t i = 0; i < rs->nlexrules; i++) {
        size_t r = rs->lexrules[i], ns, ne;
        fc->gate = r;
        struct rstate *st = pending(fc, r);
        int rc = 0;
        if (st && lexicon_cond_met(rs->lex, fc->sc->lx, rs->rules[r].lexcond, &ns, &ne))
            rc = rs->rules[r].re ? search_rest(fc, r) : settle(fc, r, HIT, ns, ne);
        fc->gate = SIZE_MAX;
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int match_field(struct field_ctx *fc, bool every_rule)
{
    const struct ruleset *rs = fc->rs;
    if (rs->scan_lex && match_lexicons(fc) < 0)
        return -1;
    if (!every_rule && ac_scan(rs->ac, fc->s, fc->len, on_literal, fc) != 0)
        return -1;
    if (every_rule || fc->bypass) {
        for (size_t r = 0; r < rs->n; r++)
            if (search_rest(fc, r) < 0)
                return -1;
        return 0;
    }
    for (size_t i = 0; i < rs->nalways; i++)
        if (search_rest(fc, rs->always[i]) < 0)
            return -1;
    return 0;
}

/* Prepares field f of the input: its normalized form (or the raw text, checked). */
static int field_text(struct field_ctx *fc, const char *s, size_t len)
{
    fc->orig = s;
    if (fc->rs->raw) {
        if (!text_utf8_valid(s, len))
            return -1;
        fc->s = s;
        fc->len = len;
        return 0;
    }
    if (norm_text(&fc->sc->norm, s, len) < 0)
        return -1;
    fc->s = fc->sc->norm.s;
    fc->len = fc->sc->norm.len;
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct hitrec *x = a, *y = b;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Adds the category of rule r to the result unless it is there; the list stays ordered by
 * severity (highest first), then by rule order. */
static void add_category(struct rules_result *res, int *sev, const struct rule *ru)
{
    size_t i = 0;
    for (; i < res->ncategories; i++)
        if (res->categories[i] == ru->category)
            return;     /* hits come in rule order, so the earlier one already ranks it */
    if (res->ncategories == RULES_MAX_CATEGORIES)
        return;
    size_t at = res->ncategories;
    while (at > 0 && sev[at - 1] < ru->severity) {
        res->categories[at] = res->categories[at - 1];
        sev[at] = sev[at - 1];
        at--;
    }
    res->categories[at] = ru->category;
    sev[at] = ru->severity;
    res->ncategories++;
}

/* Fills res from the hits collected in sc, and counts them. */
static void build_result(const struct ruleset *rs, struct scratch *sc, struct rules_result *res)
{
    int sev[RULES_MAX_CATEGORIES];
    if (sc->nhits > 1) /* qsort with a NULL array is undefined even for 0 elements */
        qsort(sc->hits, sc->nhits, sizeof *sc->hits, cmp_hit);
    res->nhits = sc->nhits;
    for (size_t i = 0; i < sc->nhits; i++) {
        const struct hitrec *h = &sc->hits[i];
        const struct rule *ru = &rs->rules[h->rule];
        atomic_fetch_add_explicit(&rs->sh->hits[h->rule], 1, memory_order_relaxed);
        if (i < RULES_MAX_HITS)
            res->hits[i] = (struct rules_hit){ru->id, h->rule, h->field, h->start, h->end};
        res->severity = ru->severity > res->severity ? ru->severity : res->severity;
        res->priority += ru->priority;
        if (ru->suggest)
            add_category(res, sev, ru);
    }
}

int rules_match(const struct ruleset *rs, const struct rules_input *in,
                struct rules_result *res)
{
    memset(res, 0, sizeof *res);
    struct scratch *sc = scratch_get(rs->n);
    if (!sc)
        return -1;
    struct field_ctx fc = {.rs = rs, .sc = sc, .call = next_gen(sc), .gate = SIZE_MAX};
    sc->nhits = 0;
    if (rs->scan_lex && lexicon_scan_begin(rs->lex, sc->lx) < 0)
        return -1;
    for (int f = 0; f < RULES_NFIELDS; f++) {
        if (!in->text[f])
            continue;
        fc.f = (enum rules_field)f;
        fc.fgen = next_gen(sc);
        fc.bypass = false;
        if (field_text(&fc, in->text[f], in->len[f]) < 0 || match_field(&fc, in->every_rule) < 0) {
            memset(res, 0, sizeof *res);
            return -1;
        }
    }
    build_result(rs, sc, res);
    res->nlimit = fc.nlimit;
    if (rs->scan_lex)
        res->nlex = lexicon_hits(rs->lex, sc->lx, res->lex, RULES_MAX_LEXHITS);
    return 0;
}

/* ---- redaction ------------------------------------------------------------------------- */

static int add_span(struct scratch *sc, size_t start, size_t end, size_t rule)
{
    struct span *s = buf_array_grow(sc->spans, &sc->spancap, sc->nspans + 1, sizeof *s);
    if (!s)
        return -1;
    sc->spans = s;
    sc->spans[sc->nspans++] = (struct span){start, end, rule};
    return 0;
}

/* The offset of the character after the one at i. */
static size_t next_char(const char *s, size_t len, size_t i)
{
    do
        i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80);
    return i;
}

/* Collects the validated matches of redaction rule r as spans of the original text. */
static int find_pii(const struct ruleset *rs, struct scratch *sc, const char *s, size_t len,
                    size_t r)
{
    const struct rule *ru = &rs->rules[r];
    size_t at = 0, ms, me;
    while (at <= len) {
        enum outcome o = run(rs, sc, r, s, len, at, PCRE2_UNSET, &ms, &me);
        if (o != HIT)
            return 0;
        if (me > ms && pii_valid(ru->validate, s + ms, me - ms)) {
            size_t os = ms, oe = me;
            if (!rs->raw)
                norm_span(&sc->norm, ms, me, &os, &oe);
            if (add_span(sc, os, oe, r) < 0)
                return -1;
            at = me;
        } else {
            /* a number that fails its check may hide a valid one starting inside it */
            if (ms >= len)
                return 0;
            at = next_char(s, len, ms);
        }
    }
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;    /* the longer first */
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Writes text with the non-overlapping spans (earliest, then longest, first) replaced. */
static char *splice(const struct ruleset *rs, struct scratch *sc, const char *text, size_t len,
                    size_t *outlen, size_t *nredacted)
{
    if (sc->nspans > 1)
        qsort(sc->spans, sc->nspans, sizeof *sc->spans, cmp_span);
    struct buf out = {0};
    buf_add(&out, "", 0);
    size_t at = 0, n = 0;
    for (size_t i = 0; i < sc->nspans; i++) {
        const struct span *sp = &sc->spans[i];
        if (sp->start < at)
            continue;
        buf_add(&out, text + at, sp->start - at);
        buf_puts(&out, rs->rules[sp->rule].placeholder);
        at = sp->end;
        n++;
    }
    buf_add(&out, text + at, len - at);
    if (out.oom) {
        buf_free(&out);
        return NULL;
    }
    if (outlen)
        *outlen = out.len;
    if (nredacted)
        *nredacted = n;
    return out.p;
}

static int on_redact_literal(uint32_t id, size_t end, void *ctx)
{
    (void)end;
    *(uint64_t *)ctx |= (uint64_t)1 << id;
    return 0;
}

/* rules_redact, with only rule `only` when it is not SIZE_MAX (for the examples). Runs the
 * redaction rules whose literal the text holds (one scan), and those that have none. */
static char *redact(const struct ruleset *rs, const char *text, size_t len, size_t *outlen,
                    size_t *nredacted, size_t only)
{
    struct scratch *sc = scratch_get(rs->n);
    if (!sc)
        return NULL;
    const char *s = text;
    size_t slen = len;
    if (rs->raw ? !text_utf8_valid(text, len) : norm_text(&sc->norm, text, len) < 0)
        return NULL;
    if (!rs->raw) {
        s = sc->norm.s;
        slen = sc->norm.len;
    }
    sc->nspans = 0;
    uint64_t present = rs->redact_always;
    ac_scan(rs->redact_ac, s, slen, on_redact_literal, &present);
    for (size_t i = 0; i < rs->nredact; i++) {
        if (i < 64 && !(present >> i & 1))
            continue;
        if ((only == SIZE_MAX || rs->redact[i] == only) &&
            find_pii(rs, sc, s, slen, rs->redact[i]) < 0)
            return NULL;
    }
    return splice(rs, sc, text, len, outlen, nredacted);
}

char *rules_redact(const struct ruleset *rs, const char *text, size_t len, size_t *outlen,
                   size_t *nredacted)
{
    return redact(rs, text, len, outlen, nredacted, SIZE_MAX);
}

/* ---- small accessors ------------------------------------------------------------------- */

size_t rules_count(const struct ruleset *rs)
{
    return rs->n;
}

const char *rules_id(const struct ruleset *rs, size_t i)
{
    return i < rs->n ? rs->rules[i].id : NULL;
}

const char *rules_category(const struct ruleset *rs, size_t i)
{
    return i < rs->n && rs->rules[i].suggest ? rs->rules[i].category : NULL;
}

int rules_severity(const struct ruleset *rs, size_t i)
{
    return i < rs->n && rs->rules[i].category ? rs->rules[i].severity : 0;
}

void rules_info(const struct ruleset *rs, struct rules_info *info)
{
    *info = (struct rules_info){.rules = rs->n, .redaction = rs->nredact,
                                .no_literal = rs->nalways, .literals = rs->nlits,
                                .load_seconds = rs->load_seconds,
                                .lexicon_rules = rs->nlexrules};
    lexicon_counts(rs->lex, &info->lexicons, &info->terms, &info->variants);
    ac_stats(rs->ac, &info->scanner_states, &info->scanner_bytes);
}

const char *rules_severity_name(int severity)
{
    static const char *const names[] = {"none", "low", "medium", "high", "critical"};
    return severity >= 1 && severity <= 4 ? names[severity] : names[0];
}

void rules_metrics(const struct ruleset *rs, struct buf *out)
{
    buf_printf(out, "# HELP jubao_rules_loaded Rules in the current rule set.\n"
                    "# TYPE jubao_rules_loaded gauge\njubao_rules_loaded %zu\n", rs->n);
    buf_printf(out, "# HELP jubao_rules_load_seconds Time the current rule set took to load.\n"
                    "# TYPE jubao_rules_load_seconds gauge\njubao_rules_load_seconds %.6f\n",
               rs->load_seconds);
    buf_puts(out, "# HELP jubao_rule_hits_total Texts a rule matched, since the set loaded.\n"
                  "# TYPE jubao_rule_hits_total counter\n");
    for (size_t i = 0; i < rs->n; i++)
        buf_printf(out, "jubao_rule_hits_total{rule=\"%s\"} %lu\n", rs->rules[i].id,
                   atomic_load_explicit(&rs->sh->hits[i], memory_order_relaxed));
    buf_puts(out, "# HELP jubao_rule_limit_total Searches stopped by the match limit.\n"
                  "# TYPE jubao_rule_limit_total counter\n");
    for (size_t i = 0; i < rs->n; i++)
        buf_printf(out, "jubao_rule_limit_total{rule=\"%s\"} %lu\n", rs->rules[i].id,
                   atomic_load_explicit(&rs->sh->limits[i], memory_order_relaxed));
}

/* ---- the holder: lib/live.h with the rule set's types ---------------------------------- */

struct rules_live {
    struct live *live;
};

static void free_set(void *rs)
{
    rules_free(rs);
}

struct rules_live *rules_live_new(struct ruleset *rs)
{
    struct rules_live *rl = malloc(sizeof *rl);
    if (!rl || !(rl->live = live_new(rs, free_set))) {
        if (rl)
            rs = NULL;  /* live_new freed it */
        free(rl);
        rules_free(rs);
        return NULL;
    }
    return rl;
}

const struct ruleset *rules_acquire(struct rules_live *rl)
{
    return live_acquire(rl->live);
}

void rules_release(struct rules_live *rl, const struct ruleset *rs)
{
    live_release(rl->live, rs);
}

void rules_swap(struct rules_live *rl, struct ruleset *rs)
{
    live_swap(rl->live, rs);
}

void rules_live_free(struct rules_live *rl)
{
    if (!rl)
        return;
    live_free(rl->live);
    free(rl);
}

/* ---- loading --------------------------------------------------------------------------- */

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
        pcre2_code_free(rs->rules[i].re);
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

static uint32_t compile_options(const char *flags)
{
    uint32_t o = PCRE2_UTF | PCRE2_UCP | PCRE2_USE_OFFSET_LIMIT | PCRE2_NEVER_BACKSLASH_C;
    for (const char *p = flags; *p; p++)
        o |= *p == 'i' ? PCRE2_CASELESS : *p == 'm' ? PCRE2_MULTILINE : *p == 's' ? PCRE2_DOTALL
           : *p == 'x' ? PCRE2_EXTENDED : *p == 'n' ? PCRE2_NO_AUTO_CAPTURE
           : *p == 'U' ? PCRE2_UNGREEDY : 0;
    return o;
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
    int code;
    PCRE2_SIZE off;
    uint32_t opts = compile_options(sp->flags);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)sp->pattern, PCRE2_ZERO_TERMINATED, opts, &code,
                                   &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        load_error(ld, sp->file, sp->pattern_line, sp->id, "pattern: %s at offset %zu",
                   (const char *)msg, (size_t)off);
        return -1;
    }
    unsigned lf = (opts & PCRE2_CASELESS ? LITERAL_CASELESS : 0) |
                  (opts & PCRE2_EXTENDED ? LITERAL_EXTENDED : 0) |
                  (ld->flags & RULES_RAW ? 0 : LITERAL_NORMALIZED);
    char why[300];
    if (literal_analyze(sp->pattern, strlen(sp->pattern), lf, li, why, sizeof why) < 0) {
        load_error(ld, sp->file, sp->pattern_line, sp->id, "%s", why);
        pcre2_code_free(re);
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
    ru->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
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
    struct scratch *sc = scratch_get(rs->n);
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
    size_t ms, me;
    struct field_ctx fc = {.rs = rs, .sc = sc};
    if (!hit && ru->lexcond < 0 && field_text(&fc, ex->text, strlen(ex->text)) == 0 &&
        run(rs, sc, r, fc.s, fc.len, 0, PCRE2_UNSET, &ms, &me) == HIT)
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
    char *out = redact(rs, ex->text, strlen(ex->text), &len, &n, r);
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

int rules_fold(const struct ruleset *rs, const char *s, size_t len, struct buf *out)
{
    return fold_original(rs ? lexicon_variants(rs->lex) : NULL, s, len, out);
}

void rules_result_lists(const struct rules_result *res, struct buf *cats, struct buf *hits)
{
    for (size_t i = 0; i < res->ncategories; i++)
        buf_printf(cats, "%s%s", i ? "," : "", res->categories[i]);
    for (size_t i = 0; i < res->nhits && i < RULES_MAX_HITS; i++)
        buf_printf(hits, "%s%s", i ? "," : "", res->hits[i].id);
    buf_add(cats, "", 0);
    buf_add(hits, "", 0);
}
