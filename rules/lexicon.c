/* lexicon — see lexicon.h.
 *
 * Every term and except phrase of every lexicon is one literal of one automaton (ac.h) over the
 * folded text; its id is its index in terms[]. A field's scan collects the occurrences that
 * pass the word-boundary test, drops those inside an except phrase of their own lexicon, and
 * counts the rest per lexicon (distinct terms, their weights) for the field and for the
 * report. Conditions then read those counts and, for within: and unless ... within:, the
 * occurrences in character positions.
 *
 * A lexicon "hits" where one of its terms of positive weight is counted: a negative term (a
 * news or warning word) only lowers the sums.
 */
#include "lexicon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "category.h"
#include "lexicon_int.h"

/* ---- building -------------------------------------------------------------------------- */

void lexicon_free(struct lexicon_set *ls)
{
    if (!ls)
        return;
    for (size_t i = 0; i < ls->nlex; i++)
        free(ls->lex[i].id);
    for (size_t i = 0; i < ls->nterms; i++)
        free(ls->terms[i].text);
    free(ls->lex);
    free(ls->terms);
    free(ls->conds);
    ac_free(ls->ac);
    fold_variants_free(ls->fv);
    free(ls);
}

const struct fold_variants *lexicon_variants(const struct lexicon_set *ls)
{
    return ls && fold_variants_count(ls->fv) ? ls->fv : NULL;
}

void lexicon_counts(const struct lexicon_set *ls, size_t *lexicons, size_t *terms,
                    size_t *variants)
{
    *lexicons = ls ? ls->nlex : 0;
    *terms = ls ? ls->nterms : 0;
    *variants = ls ? fold_variants_count(ls->fv) : 0;
}

/* The lexicon with this id, or -1. */
static int find_lexicon(const struct lexicon_set *ls, const char *id, size_t len)
{
    for (size_t i = 0; i < ls->nlex; i++)
        if (strlen(ls->lex[i].id) == len && memcmp(ls->lex[i].id, id, len) == 0)
            return (int)i;
    return -1;
}

/* Reads the space-separated lexicon ids of a rule's key into out (at most LEXICON_COND_MAX).
 * Returns 0, or -1 having reported each id that names no loaded lexicon. */
static int ids(const struct lexicon_set *ls, const struct rulefile_rule *sp, const char *list,
               const char *key, int line, uint32_t *out, unsigned *nout, struct buf *errs,
               size_t *nerrs)
{
    int bad = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ,\t");
        int l = n ? find_lexicon(ls, p, n) : -2;
        if (l == -1) {
            buf_printf(errs, "%s:%d: rule %s: %s: no lexicon '%.*s' is loaded\n", sp->file, line,
                       sp->id, key, (int)n, p);
            (*nerrs)++;
            bad = -1;
        } else if (l >= 0 && *nout < LEXICON_COND_MAX) {
            out[(*nout)++] = (uint32_t)l;
        }
        p += n + (p[n] != '\0');
    }
    return bad;
}

int lexicon_cond_add(struct lexicon_set *ls, const struct rulefile_rule *sp, struct buf *errs,
                     size_t *nerrs)
{
    struct lexicon_cond c = {.within = sp->within, .has_min = sp->has_min_weight,
                             .min_weight = sp->min_weight,
                             .unless_within = sp->unless_within};
    int bad = ids(ls, sp, sp->lexicons, "lexicon", sp->lexicon_line, c.lex, &c.nlex, errs, nerrs);
    if (sp->unless)
        bad |= ids(ls, sp, sp->unless, "unless", sp->unless_line, c.unless, &c.nunless, errs,
                   nerrs);
    if (bad || !c.nlex)
        return -1;
    struct lexicon_cond *a = buf_array_grow(ls->conds, &ls->condcap, ls->nconds + 1, sizeof *a);
    if (!a)
        return -2;
    ls->conds = a;
    ls->conds[ls->nconds] = c;
    return (int)ls->nconds++;
}

/* ---- scanning -------------------------------------------------------------------------- */

struct lexicon_scan *lexicon_scan_new(void)
{
    return calloc(1, sizeof(struct lexicon_scan));
}

void lexicon_scan_free(struct lexicon_scan *sc)
{
    if (!sc)
        return;
    fold_free(&sc->fold);
    free(sc->occ);
    free(sc->exc);
    free(sc->cand);
    free(sc->lexst);
    free(sc->termst);
    free(sc);
}

static uint32_t next_gen(struct lexicon_scan *sc)
{
    if (++sc->gen == 0) {
        memset(sc->lexst, 0, sc->lexcap * sizeof *sc->lexst);
        memset(sc->termst, 0, sc->termcap * sizeof *sc->termst);
        sc->gen = 1;
    }
    return sc->gen;
}

/* Grows a zeroed per-lexicon or per-term array to n elements. */
static int grow_zero(void **a, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return 0;
    void *p = realloc(*a, n * size);
    if (!p)
        return -1;
    memset((char *)p + *cap * size, 0, (n - *cap) * size);
    *a = p;
    *cap = n;
    return 0;
}

int lexicon_scan_begin(const struct lexicon_set *ls, struct lexicon_scan *sc)
{
    if (grow_zero((void **)&sc->lexst, &sc->lexcap, ls->nlex, sizeof *sc->lexst) < 0 ||
        grow_zero((void **)&sc->termst, &sc->termcap, ls->nterms, sizeof *sc->termst) < 0 ||
        grow_zero((void **)&sc->cand, &sc->candcap, LEXICON_MAX_OCC, sizeof *sc->cand) < 0)
        return -1;
    sc->call = next_gen(sc);
    sc->field = 0;
    sc->fold.len = 0;
    return 0;
}

static int add_occ(struct occ **a, size_t *n, size_t *cap, struct occ o)
{
    if (*n >= LEXICON_MAX_OCC)
        return 0;
    struct occ *p = buf_array_grow(*a, cap, *n + 1, sizeof *p);
    if (!p)
        return -1;
    *a = p;
    (*a)[(*n)++] = o;
    return 0;
}

static int on_term(uint32_t id, size_t end, void *ctx)
{
    struct lexicon_scan *sc = ctx;
    const struct term *t = &sc->ls->terms[id];
    size_t start = end - t->len;
    const unsigned char *s = (const unsigned char *)sc->fold.s;
    if ((t->latin_start && start > 0 && fold_ascii_word(s[start - 1])) ||
        (t->latin_end && end < sc->fold.len && fold_ascii_word(s[end])))
        return 0;
    struct occ o = {.term = id, .start = (uint32_t)start, .end = (uint32_t)end};
    return t->except ? add_occ(&sc->exc, &sc->nexc, &sc->exccap, o)
                     : add_occ(&sc->occ, &sc->nocc, &sc->occcap, o);
}

/* True when the occurrence lies inside an except phrase of its own lexicon. */
static bool excepted(const struct lexicon_scan *sc, const struct occ *o)
{
    uint32_t lex = sc->ls->terms[o->term].lex;
    for (size_t i = 0; i < sc->nexc; i++) {
        const struct occ *x = &sc->exc[i];
        if (x->start <= o->start && o->end <= x->end && sc->ls->terms[x->term].lex == lex)
            return true;
    }
    return false;
}

static int cmp_occ(const void *a, const void *b)
{
    const struct occ *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Sets the character positions of the (sorted) occurrences in one sweep. */
static void char_positions(struct lexicon_scan *sc)
{
    const char *s = sc->fold.s;
    size_t at = 0, chars = 0;
    for (size_t i = 0; i < sc->nocc; i++) {
        struct occ *o = &sc->occ[i];
        for (; at < o->start; at++)
            chars += ((unsigned char)s[at] & 0xC0) != 0x80;
        o->cstart = (uint32_t)chars;
        size_t c = chars;
        for (size_t k = o->start; k < o->end; k++)
            c += ((unsigned char)s[k] & 0xC0) != 0x80;
        o->cend = (uint32_t)c;
    }
}

/* Counts occurrence o for the field and for the report. */
static void count(struct lexicon_scan *sc, const struct occ *o)
{
    const struct term *t = &sc->ls->terms[o->term];
    struct lexstat *l = &sc->lexst[t->lex];
    struct termstat *ts = &sc->termst[o->term];
    if (l->field != sc->field) {
        l->field = sc->field;
        l->fweight = 0;
        l->fpositive = false;
    }
    if (l->call != sc->call) {
        l->call = sc->call;
        l->cweight = 0;
        l->cterms = 0;
    }
    l->fpositive |= t->weight > 0;
    if (ts->field != sc->field) {
        ts->field = sc->field;
        l->fweight += t->weight;
    }
    if (ts->call != sc->call) {
        ts->call = sc->call;
        l->cweight += t->weight;
        l->cterms++;
    }
}

int lexicon_scan_field(const struct lexicon_set *ls, struct lexicon_scan *sc, const char *s,
                       size_t len)
{
    sc->ls = ls;
    sc->field = next_gen(sc);
    sc->nocc = sc->nexc = 0;
    if (fold_text(lexicon_variants(ls), s, len, &sc->fold) < 0)
        return -1;
    if (!ls->nterms || ac_scan(ls->ac, sc->fold.s, sc->fold.len, on_term, sc) != 0)
        return ls->nterms ? -1 : 0;
    size_t w = 0;
    for (size_t i = 0; i < sc->nocc; i++)
        if (!sc->nexc || !excepted(sc, &sc->occ[i]))
            sc->occ[w++] = sc->occ[i];
    sc->nocc = w;
    if (sc->nocc > 1)
        qsort(sc->occ, sc->nocc, sizeof *sc->occ, cmp_occ);
    char_positions(sc);
    for (size_t i = 0; i < sc->nocc; i++)
        count(sc, &sc->occ[i]);
    return 0;
}

const char *lexicon_folded(const struct lexicon_scan *sc)
{
    return sc->fold.s ? sc->fold.s : "";
}

size_t lexicon_hits(const struct lexicon_set *ls, const struct lexicon_scan *sc,
                    struct rules_lexhit *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; ls && i < ls->nlex && i < sc->lexcap && n < max; i++) {
        const struct lexstat *l = &sc->lexst[i];
        if (l->call == sc->call && l->cterms)
            out[n++] = (struct rules_lexhit){ls->lex[i].id, ls->lex[i].category, l->cweight,
                                             l->cterms};
    }
    return n;
}

/* ---- conditions ------------------------------------------------------------------------ */

/* The position of lexicon l in c's list, or -1. */
static int cond_slot(const struct lexicon_cond *c, uint32_t l)
{
    for (unsigned k = 0; k < c->nlex; k++)
        if (c->lex[k] == l)
            return (int)k;
    return -1;
}

static bool field_hit(const struct lexicon_scan *sc, uint32_t l)
{
    return sc->lexst[l].field == sc->field && sc->lexst[l].fpositive;
}

/* True when an occurrence of a positive term of lexicon u lies within n characters of o. */
static bool near(const struct lexicon_scan *sc, const struct occ *o, uint32_t u, unsigned n)
{
    for (size_t i = 0; i < sc->nocc; i++) {
        const struct occ *x = &sc->occ[i];
        const struct term *t = &sc->ls->terms[x->term];
        if (t->lex != u || t->weight <= 0)
            continue;
        uint32_t gap = x->cstart >= o->cend ? x->cstart - o->cend
                     : o->cstart >= x->cend ? o->cstart - x->cend : 0;
        if (gap <= n)
            return true;
    }
    return false;
}

/* Collects in sc->cand the occurrences that can serve c: positive terms of its lexicons,
 * not near an unless hit. Returns how many. */
static size_t candidates(struct lexicon_scan *sc, const struct lexicon_cond *c)
{
    size_t n = 0;
    for (size_t i = 0; i < sc->nocc; i++) {
        const struct occ *o = &sc->occ[i];
        const struct term *t = &sc->ls->terms[o->term];
        if (t->weight <= 0 || cond_slot(c, t->lex) < 0)
            continue;
        bool cancelled = false;
        for (unsigned k = 0; c->unless_within && k < c->nunless && !cancelled; k++)
            cancelled = near(sc, o, c->unless[k], c->unless_within);
        if (!cancelled)
            sc->cand[n++] = (uint32_t)i;
    }
    return n;
}

/* Without within: each lexicon's first candidate; the span covers them. */
static bool all_present(const struct lexicon_scan *sc, const struct lexicon_cond *c, size_t n,
                        size_t *fs, size_t *fe)
{
    unsigned seen = 0, all = (1u << c->nlex) - 1;
    for (size_t i = 0; i < n && seen != all; i++) {
        const struct occ *o = &sc->occ[sc->cand[i]];
        unsigned bit = 1u << cond_slot(c, sc->ls->terms[o->term].lex);
        if (seen & bit)
            continue;
        seen |= bit;
        *fs = o->start < *fs ? o->start : *fs;
        *fe = o->end > *fe ? o->end : *fe;
    }
    return seen == all;
}

/* With within: the first window of c->within characters, starting at a candidate, that holds
 * a candidate of every lexicon. */
static bool window(const struct lexicon_scan *sc, const struct lexicon_cond *c, size_t n,
                   size_t *fs, size_t *fe)
{
    unsigned all = (1u << c->nlex) - 1;
    for (size_t i = 0; i < n; i++) {
        const struct occ *a = &sc->occ[sc->cand[i]];
        uint32_t limit = a->cstart + c->within;
        unsigned seen = 0;
        size_t end = a->end;
        for (size_t j = i; j < n && seen != all; j++) {
            const struct occ *o = &sc->occ[sc->cand[j]];
            if (o->cstart > limit)
                break;
            if (o->cend > limit)
                continue;
            seen |= 1u << cond_slot(c, sc->ls->terms[o->term].lex);
            end = o->end > end ? o->end : end;
        }
        if (seen == all) {
            *fs = a->start;
            *fe = end;
            return true;
        }
    }
    return false;
}

bool lexicon_cond_met(const struct lexicon_set *ls, struct lexicon_scan *sc, int cond,
                      size_t *ns, size_t *ne)
{
    const struct lexicon_cond *c = &ls->conds[cond];
    double sum = 0;
    for (unsigned k = 0; k < c->nlex; k++) {
        if (!field_hit(sc, c->lex[k]))
            return false;
        sum += sc->lexst[c->lex[k]].fweight;
    }
    if (c->has_min && sum < c->min_weight - 1e-9)
        return false;
    for (unsigned k = 0; !c->unless_within && k < c->nunless; k++)
        if (field_hit(sc, c->unless[k]))
            return false;
    size_t n = candidates(sc, c), fs = SIZE_MAX, fe = 0;
    if (!(c->within ? window(sc, c, n, &fs, &fe) : all_present(sc, c, n, &fs, &fe)))
        return false;
    fold_span(&sc->fold, fs, fe, ns, ne);
    return true;
}
