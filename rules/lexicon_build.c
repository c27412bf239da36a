/* lexicon_build — lexicon_build() of lexicon.h: from the blocks of the rule files to a set.
 *
 *   1. variants: every spelling and standard form folded without variants; a spelling that
 *      two blocks read differently is a conflict;
 *   2. lexicons: every term and except phrase folded with all the variants (the text is read
 *      with them too); a term listed twice in a lexicon with two weights is an error, twice
 *      with one weight is merged; all of them go into one scanner;
 *   3. examples: a variants example must fold to the text after "->"; a lexicon's match:
 *      example must count one of its terms, a nomatch: example none.
 * Duplicates are found by sorting, so that thousands of terms load in milliseconds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "category.h"
#include "lexicon_int.h"
#include "norm.h"

struct builder {
    struct lexicon_set *ls;
    struct buf *errs;
    size_t *nerrs;
    bool oom;
};

static void problem(struct builder *b, const char *file, int line, const char *kind,
                    const char *id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void problem(struct builder *b, const char *file, int line, const char *kind,
                    const char *id, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    buf_printf(b->errs, "%s:%d: %s %s: %s\n", file, line, kind, id, msg);
    (*b->nerrs)++;
}

/* The folded form of s (with the variants fv, or none), a string the caller frees; NULL when
 * memory ran out (b->oom is set). */
static char *fold_str(struct builder *b, const struct fold_variants *fv, const char *s)
{
    struct buf out = {0};
    if (fold_original(fv, s, strlen(s), &out) < 0 || buf_add(&out, "", 0) < 0) {
        buf_free(&out);
        b->oom = true;
        return NULL;
    }
    return out.p;
}

/* An id used by an earlier lexicon or variants block, reported; or false. */
static bool id_taken(struct builder *b, const struct rulefile_lex *lx, const char *id,
                     size_t nlex, size_t nvar, const char *file, int line, const char *kind)
{
    for (size_t i = 0; i < nlex; i++)
        if (strcmp(lx->lex[i].id, id) == 0) {
            problem(b, file, line, kind, id, "id already used at %s:%d", lx->lex[i].file,
                    lx->lex[i].line);
            return true;
        }
    for (size_t i = 0; i < nvar; i++)
        if (strcmp(lx->var[i].id, id) == 0) {
            problem(b, file, line, kind, id, "id already used at %s:%d", lx->var[i].file,
                    lx->var[i].line);
            return true;
        }
    return false;
}

/* The first character of s that folding removes on its own (an emoji, a punctuation mark, a
 * symbol; blanks aside), copied into ch; false when there is none. A spelling holding one
 * would silently read as a shorter text. */
static bool dropped_char(struct builder *b, const char *s, char *ch, size_t chlen)
{
    for (size_t i = 0, n; s[i] && !b->oom; i += n) {
        for (n = 1; ((unsigned char)s[i + n] & 0xC0) == 0x80; n++)
            ;
        if (n >= chlen || s[i] == ' ' || s[i] == '\t')
            continue;
        memcpy(ch, s + i, n);
        ch[n] = '\0';
        char *f = fold_str(b, NULL, ch);
        bool gone = f && !*f;
        free(f);
        if (gone)
            return true;
    }
    return false;
}

/* Step 1 for one block. */
static void add_variants(struct builder *b, const struct rulefile_variants *vs)
{
    for (size_t i = 0; i < vs->nv && !b->oom; i++) {
        const struct rulefile_variant *v = &vs->v[i];
        char *sp = fold_str(b, NULL, v->spelling), *tg = fold_str(b, NULL, v->target);
        const char *other = NULL;
        char ch[8];
        int rc = 0;
        if (dropped_char(b, v->spelling, ch, sizeof ch))
            problem(b, vs->file, v->line, "variants", vs->id, "variant: '%s' holds '%s', which "
                    "folding removes (emoji, punctuation, symbols), so it would read as a "
                    "shorter text", v->spelling, ch);
        else if (sp && tg && (!*sp || !*tg))
            problem(b, vs->file, v->line, "variants", vs->id, "variant: '%s' or '%s' folds to "
                    "nothing", v->spelling, v->target);
        else if (sp && tg && strcmp(sp, tg) == 0)
            problem(b, vs->file, v->line, "variants", vs->id, "variant: '%s' already reads as "
                    "'%s' once folded", v->spelling, v->target);
        else if (sp && tg && (rc = fold_variants_add(b->ls->fv, sp, tg, &other)) == 1)
            problem(b, vs->file, v->line, "variants", vs->id, "variant: '%s' is read as '%s' "
                    "by another variant, here as '%s'", v->spelling, other, tg);
        b->oom |= rc < 0;
        free(sp);
        free(tg);
    }
}

static int add_lex(struct builder *b, const struct rulefile_lexicon *l)
{
    struct lex *a = buf_array_grow(b->ls->lex, &b->ls->lexcap, b->ls->nlex + 1, sizeof *a);
    char *id = strdup(l->id);
    if (!a || !id) {
        free(id);
        return -1;
    }
    b->ls->lex = a;
    a[b->ls->nlex++] = (struct lex){id, l->category ? category_find(l->category,
                                        strlen(l->category))->code : NULL};
    return 0;
}

/* Step 2 for one lexicon: its terms, folded, appended to terms[]. */
static void add_terms(struct builder *b, const struct rulefile_lexicon *l, uint32_t lex)
{
    struct lexicon_set *ls = b->ls;
    for (size_t i = 0; i < l->nterms && !b->oom; i++) {
        const struct rulefile_term *rt = &l->terms[i];
        char *f = fold_str(b, ls->fv, rt->text);
        if (f && !*f)
            problem(b, l->file, rt->line, "lexicon", l->id, "%s: '%s' folds to nothing",
                    rt->except ? "except" : "terms", rt->text);
        struct term *t = f && *f ? buf_array_grow(ls->terms, &ls->termcap, ls->nterms + 1,
                                                  sizeof *t) : NULL;
        if (!t) {
            b->oom |= f && *f;
            free(f);
            continue;
        }
        ls->terms = t;
        size_t n = strlen(f);
        ls->terms[ls->nterms++] = (struct term){f, (uint32_t)n, lex, rt->line, rt->weight,
                                                rt->except, fold_ascii_word((unsigned char)f[0]),
                                                fold_ascii_word((unsigned char)f[n - 1]), false};
    }
}

static int cmp_term(const void *a, const void *b, void *ctx)
{
    const struct lexicon_set *ls = ctx;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    const struct term *x = &ls->terms[i], *y = &ls->terms[j];
    if (x->lex != y->lex)
        return x->lex < y->lex ? -1 : 1;
    if (x->except != y->except)
        return x->except ? 1 : -1;
    int c = strcmp(x->text, y->text);
    return c ? c : i < j ? -1 : 1;
}

/* Merges a term listed twice in a lexicon with one weight; reports it with two. Then compacts
 * terms[] so that the scanner's ids are its indexes. */
static void merge_duplicates(struct builder *b, const struct rulefile_lexicon *const *spec)
{
    struct lexicon_set *ls = b->ls;
    uint32_t *ix = malloc((ls->nterms ? ls->nterms : 1) * sizeof *ix);
    if (!ix) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < ls->nterms; i++)
        ix[i] = (uint32_t)i;
    qsort_r(ix, ls->nterms, sizeof *ix, cmp_term, ls);
    for (size_t k = 1; k < ls->nterms; k++) {
        struct term *x = &ls->terms[ix[k - 1]], *y = &ls->terms[ix[k]];
        if (x->lex != y->lex || x->except != y->except || strcmp(x->text, y->text) != 0)
            continue;
        if (x->weight != y->weight)
            problem(b, spec[y->lex]->file, y->line, "lexicon", spec[y->lex]->id, "terms: '%s' "
                    "is listed at line %d with weight %g, here with %g", y->text, x->line,
                    x->weight, y->weight);
        y->dup = true;
    }
    free(ix);
    size_t w = 0;
    for (size_t i = 0; i < ls->nterms; i++) {
        if (ls->terms[i].dup)
            free(ls->terms[i].text);
        else
            ls->terms[w++] = ls->terms[i];
    }
    ls->nterms = w;
}

static int build_scanner(struct lexicon_set *ls)
{
    for (size_t i = 0; i < ls->nterms; i++)
        if (ac_add(ls->ac, ls->terms[i].text, ls->terms[i].len, (uint32_t)i) < 0)
            return -1;
    return ac_build(ls->ac);
}

/* Step 3 for a variants block. */
static void check_variants(struct builder *b, const struct rulefile_variants *vs)
{
    for (size_t i = 0; i < vs->nex && !b->oom; i++) {
        const struct rulefile_example *ex = &vs->ex[i];
        char *got = fold_str(b, lexicon_variants(b->ls), ex->text);
        if (got && strcmp(got, ex->becomes ? ex->becomes : "") != 0)
            problem(b, vs->file, ex->line, "variants", vs->id, "example: '%s' folds to '%s', "
                    "not '%s'", ex->text, got, ex->becomes ? ex->becomes : "");
        free(got);
    }
}

/* Step 3 for lexicon number lex. */
static void check_lexicon(struct builder *b, struct lexicon_scan *sc,
                          const struct rulefile_lexicon *l, uint32_t lex)
{
    struct norm n = {0};
    for (size_t i = 0; i < l->nex && !b->oom; i++) {
        const struct rulefile_example *ex = &l->ex[i];
        if (norm_text(&n, ex->text, strlen(ex->text)) < 0 ||
            lexicon_scan_begin(b->ls, sc) < 0 || lexicon_scan_field(b->ls, sc, n.s, n.len) < 0) {
            b->oom = true;
            break;
        }
        bool hit = sc->lexst[lex].call == sc->call && sc->lexst[lex].cterms > 0;
        if (ex->match && !hit)
            problem(b, l->file, ex->line, "lexicon", l->id, "match: no term counted in '%s' "
                    "(folded: '%s')", ex->text, lexicon_folded(sc));
        else if (!ex->match && hit)
            problem(b, l->file, ex->line, "lexicon", l->id, "nomatch: a term is counted in '%s' "
                    "(folded: '%s')", ex->text, lexicon_folded(sc));
    }
    norm_free(&n);
}

static void build_all(struct builder *b, const struct rulefile_lex *lx,
                      const struct rulefile_lexicon **spec)
{
    for (size_t i = 0; i < lx->nvar && !b->oom; i++)
        if (!id_taken(b, lx, lx->var[i].id, 0, i, lx->var[i].file, lx->var[i].line, "variants"))
            add_variants(b, &lx->var[i]);
    if (b->oom || fold_variants_build(b->ls->fv) < 0) {
        b->oom = true;
        return;
    }
    uint32_t *lexno = calloc(lx->nlex ? lx->nlex : 1, sizeof *lexno);
    for (size_t i = 0; lexno && i < lx->nlex && !b->oom; i++) {
        const struct rulefile_lexicon *l = &lx->lex[i];
        lexno[i] = UINT32_MAX;
        if (id_taken(b, lx, l->id, i, lx->nvar, l->file, l->line, "lexicon"))
            continue;
        spec[b->ls->nlex] = l;
        lexno[i] = (uint32_t)b->ls->nlex;
        if (add_lex(b, l) < 0)
            b->oom = true;
        else
            add_terms(b, l, lexno[i]);
    }
    if (lexno && !b->oom)
        merge_duplicates(b, spec);
    if (!lexno || b->oom || build_scanner(b->ls) < 0) {
        b->oom = true;
        free(lexno);
        return;
    }
    struct lexicon_scan *sc = lexicon_scan_new();
    b->oom |= !sc;
    for (size_t i = 0; i < lx->nvar && !b->oom; i++)
        check_variants(b, &lx->var[i]);
    for (size_t i = 0; i < lx->nlex && !b->oom; i++)
        if (lexno[i] != UINT32_MAX)
            check_lexicon(b, sc, &lx->lex[i], lexno[i]);
    lexicon_scan_free(sc);
    free(lexno);
}

struct lexicon_set *lexicon_build(const struct rulefile_lex *lx, struct buf *errs,
                                  size_t *nerrs)
{
    struct builder b = {.errs = errs, .nerrs = nerrs};
    char err[256];
    const struct rulefile_lexicon **spec = calloc(lx->nlex ? lx->nlex : 1, sizeof *spec);
    if (!spec || !(b.ls = calloc(1, sizeof *b.ls)) || !(b.ls->ac = ac_new()) ||
        !(b.ls->fv = fold_variants_new())) {
        free(spec);
        lexicon_free(b.ls);
        return NULL;
    }
    if ((lx->nlex || lx->nvar) && fold_init(err, sizeof err) < 0) {
        buf_printf(errs, "%s\n", err);
        (*nerrs)++;
    } else {
        build_all(&b, lx, spec);
    }
    free(spec);
    if (b.oom) {
        lexicon_free(b.ls);
        return NULL;
    }
    return b.ls;
}
