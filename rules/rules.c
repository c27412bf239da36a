/* rules — matching with a loaded set (rules.h): the per-thread scratch, running one rule's
 * regex (regex.h), the result, and what a set tells about itself (accessors, metrics).
 * Loading is rules_load.c, redaction rules_redact.c, the reload holder rules_live.c.
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
#include "rules.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "fold.h"
#include "lexicon.h"
#include "literal.h"
#include "log.h"
#include "norm.h"
#include "regex.h"
#include "rulefile.h"
#include "rules_int.h"
#include "text.h"

#define WINDOW_TRIES 4          /* windowed searches of a rule in one field, then one full search */

/* ---- per-thread scratch ---------------------------------------------------------------- */

struct rstate {
    uint32_t hit_gen;           /* == call generation: the rule already hit in this call */
    uint32_t field_gen;         /* == field generation: the fields below are current */
    bool done;                  /* searched the whole field */
    uint8_t tries;
    size_t next;                /* starts before this offset were searched */
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
    struct scratch *sc = p;
    if (!sc)
        return;
    regex_scratch_free(sc->rx);
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
    sc->rx = regex_scratch_new();
    if (!sc->lx || !sc->rx) {
        scratch_free(sc);
        return NULL;
    }
    return sc;
}

struct scratch *rules_scratch_get(size_t nrules)
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

/* Counts and logs a rule stopped by its limit; the log is kept short under attack by writing
 * only the 1st, 2nd, 4th, 8th... time for each rule. */
static void note_limit(const struct ruleset *rs, size_t r, int rc)
{
    unsigned long n = atomic_fetch_add_explicit(&rs->sh->limits[r], 1, memory_order_relaxed) + 1;
    if ((n & (n - 1)) == 0) {
        char msg[120];
        regex_error_text(rc, msg, sizeof msg);
        log_warn("rules: rule %s stopped by its limit (%s), %lu times so far", rs->rules[r].id,
                 msg, n);
    }
}

enum rules_outcome rules_run(const struct ruleset *rs, struct scratch *sc, size_t r,
                             const char *s, size_t len, size_t start, size_t limit, size_t *ms,
                             size_t *me)
{
    struct regex_match m;
    enum regex_outcome o = regex_match(rs->rules[r].re, sc->rx, s, len, start, limit, &m);
    if (o == REGEX_HIT) {
        *ms = m.start;
        *me = m.end;
        return RULES_HIT;
    }
    if (o == REGEX_MISS)
        return RULES_MISS;
    note_limit(rs, r, m.code);  /* match, depth or heap limit, JIT stack, any other error:
                                   all mean "too costly" */
    return RULES_LIMIT;
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
static int settle(struct field_ctx *fc, size_t r, enum rules_outcome o, size_t ms, size_t me)
{
    struct rstate *st = &fc->sc->st[r];
    if (o == RULES_LIMIT) {
        st->done = true;
        fc->nlimit++;
    }
    if (o != RULES_HIT)
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
    enum rules_outcome o = rules_run(fc->rs, fc->sc, r, fc->s, fc->len, from, REGEX_NO_LIMIT,
                                     &ms, &me);
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
    enum rules_outcome o = rules_run(rs, fc->sc, r, fc->s, fc->len, from, litstart, &ms, &me);
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
            rc = rs->rules[r].re ? search_rest(fc, r) : settle(fc, r, RULES_HIT, ns, ne);
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

bool rules_regex_matches(const struct ruleset *rs, struct scratch *sc, size_t r,
                         const char *text, size_t len)
{
    struct field_ctx fc = {.rs = rs, .sc = sc};
    size_t ms, me;
    return field_text(&fc, text, len) == 0 &&
           rules_run(rs, sc, r, fc.s, fc.len, 0, REGEX_NO_LIMIT, &ms, &me) == RULES_HIT;
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

/* Appends the folded form of field f to folded (a space first when it holds more than the
 * start bytes the caller had): the fold that matching made for the lexicons when there is
 * one, else a fold of its own. */
static int add_folded(const struct ruleset *rs, const struct scratch *sc,
                      const struct rules_input *in, int f, struct buf *folded, size_t start)
{
    if (folded->len > start && buf_add(folded, " ", 1) < 0)
        return -1;
    if (rs->scan_lex && !rs->raw) {
        const char *s = lexicon_folded(sc->lx);
        return buf_add(folded, s, strlen(s));   /* folding leaves no NUL (a control) */
    }
    return rules_fold(rs, in->text[f], in->len[f], folded);
}

int rules_match(const struct ruleset *rs, const struct rules_input *in,
                struct rules_result *res)
{
    return rules_match_folded(rs, in, res, NULL);
}

int rules_match_folded(const struct ruleset *rs, const struct rules_input *in,
                       struct rules_result *res, struct buf *folded)
{
    memset(res, 0, sizeof *res);
    struct scratch *sc = rules_scratch_get(rs->n);
    if (!sc)
        return -1;
    struct field_ctx fc = {.rs = rs, .sc = sc, .call = next_gen(sc), .gate = SIZE_MAX};
    size_t start = folded ? folded->len : 0;
    sc->nhits = 0;
    if (rs->scan_lex && lexicon_scan_begin(rs->lex, sc->lx) < 0)
        return -1;
    for (int f = 0; f < RULES_NFIELDS; f++) {
        if (!in->text[f])
            continue;
        fc.f = (enum rules_field)f;
        fc.fgen = next_gen(sc);
        fc.bypass = false;
        if (field_text(&fc, in->text[f], in->len[f]) < 0 || match_field(&fc, in->every_rule) < 0 ||
            (folded && f != RULES_URL && add_folded(rs, sc, in, f, folded, start) < 0)) {
            memset(res, 0, sizeof *res);
            return -1;
        }
    }
    if (folded && folded->oom) {
        memset(res, 0, sizeof *res);
        return -1;
    }
    build_result(rs, sc, res);
    res->nlimit = fc.nlimit;
    if (rs->scan_lex)
        res->nlex = lexicon_hits(rs->lex, sc->lx, res->lex, RULES_MAX_LEXHITS);
    return 0;
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
    return rulefile_severity_name(severity);
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
