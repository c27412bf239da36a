/* literal — see literal.h.
 *
 * A recursive-descent reader over the pattern: this file reads its structure (alternations,
 * sequences, groups, quantifiers), literal_lex.c the characters, escapes and classes, and each
 * piece becomes a "fragment" (literal_frag.h) of the strings its matches equal or contain.
 *
 * A sequence joins neighbouring exact pieces into a "run" and keeps the best run (or the best
 * required set of a non-exact piece) as its own required set; an alternation unites the
 * branches' sets.
 */
#include "literal.h"

#include <stdlib.h>
#include <string.h>

#include "literal_frag.h"
#include "literal_lex.h"

#define MAX_DEPTH 24        /* deeper nesting than this: give up (literal-free) */
#define MIN_SCORE 30        /* a required set weaker than this is not worth scanning for */

static void parse_alt(struct lex *lp, bool *caseless, struct frag *out);

/* A {n}, {n,} or {n,m} quantifier at lp->p; anything else is a literal brace for PCRE2 10.42,
 * except forms later versions read as quantifiers ({,m}, spaces), where we give up. */
static bool brace_quant(struct lex *lp, size_t *min, size_t *max)
{
    const unsigned char *save = lp->p;
    lp->p++;
    if (lex_at(lp, ',') || lex_at(lp, ' ')) {
        lp->bail = true;
        return false;
    }
    if (!lex_read_uint(lp, min)) {
        lp->p = save;
        return false;
    }
    *max = *min;
    if (lex_at(lp, ',')) {
        lp->p++;
        if (!lex_read_uint(lp, max))
            *max = LITERAL_UNBOUNDED;
    }
    if (!lex_at(lp, '}')) {
        if (lex_at(lp, ' '))
            lp->bail = true;
        lp->p = save;
        return false;
    }
    lp->p++;
    return true;
}

static void parse_quant(struct lex *lp, size_t *min, size_t *max)
{
    *min = *max = 1;
    if (lp->flags & LITERAL_EXTENDED)
        lex_skip_extended(lp);
    if (lp->p >= lp->end)
        return;
    switch (*lp->p) {
    case '?': *min = 0; *max = 1; lp->p++; break;
    case '*': *min = 0; *max = LITERAL_UNBOUNDED; lp->p++; break;
    case '+': *min = 1; *max = LITERAL_UNBOUNDED; lp->p++; break;
    case '{':
        if (!brace_quant(lp, min, max))
            return;
        break;
    default:
        return;
    }
    if (lex_at(lp, '+') || lex_at(lp, '?'))
        lp->p++;
}

/* Group options "(?imsx-imsx)" or "(?imsx:"; lp->p is at the first option letter. Sets
 * *group_caseless for an option group "(?i:". Returns true when the group continues (':'),
 * false when it was a bare setting "(?i)" (which then applies to *caseless). */
static bool parse_options(struct lex *lp, bool *caseless, bool *group_caseless)
{
    bool on = true, i = false;
    while (lp->p < lp->end && *lp->p != ')' && *lp->p != ':') {
        unsigned char c = *lp->p++;
        if (c == '-')
            on = false;
        else if (c == 'i')
            i = i || on;        /* turning i off is ignored: assuming caseless is always safe */
        else if (c == '^' || strchr("msnUJ", c))
            continue;
        else {
            lp->bail = true;    /* x changes how the pattern reads; others are unknown */
            return false;
        }
    }
    if (lp->p >= lp->end) {
        lp->bail = true;
        return false;
    }
    if (*lp->p++ == ')') {
        *caseless = *caseless || i;
        return false;
    }
    *group_caseless = *caseless || i;
    return true;
}

/* After "(?": what kind of group this is. Returns 'g' (a group whose content matches), 'l'
 * (a lookaround: read, but zero-width), 'z' (a bare option setting), 'c' (a comment, already
 * skipped), 'u' (recursion or back reference, already skipped: unknown content), or 0 after
 * bailing. */
static int group_kind(struct lex *lp, bool *caseless, bool *inner_caseless)
{
    unsigned char c = lp->p < lp->end ? *lp->p : 0;
    if (c == ':' || c == '>' || c == '|') {
        lp->p++;
        return 'g';
    }
    if (c == '=' || c == '!') {
        lp->p++;
        return 'l';
    }
    if (c == '<' && lp->p + 1 < lp->end && (lp->p[1] == '=' || lp->p[1] == '!')) {
        lp->p += 2;
        return 'l';
    }
    if (c == '<' || c == '\'' || (c == 'P' && lp->p + 1 < lp->end && lp->p[1] == '<')) {
        lp->p += c == 'P' ? 2 : 1;
        lex_skip_past(lp, c == '\'' ? '\'' : '>');
        return 'g';
    }
    if (c == '#') {
        lex_skip_past(lp, ')');
        return 'c';
    }
    if (c == 'P' || c == 'R' || c == '&' || c == '+' || (c >= '0' && c <= '9') ||
        (c == '-' && lp->p + 1 < lp->end && lp->p[1] >= '0' && lp->p[1] <= '9')) {
        lex_skip_past(lp, ')');
        return 'u';
    }
    if (c == '-' || c == '^' || (c >= 'a' && c <= 'z') || c == 'U' || c == 'J')
        return parse_options(lp, caseless, inner_caseless) ? 'g' : 'z';
    lp->bail = true;    /* conditionals, callouts */
    return 0;
}

/* A group; lp->p is just past the '('. */
static void parse_group(struct lex *lp, bool *caseless, struct frag *f)
{
    bool inner = *caseless;
    int kind = 'g';
    if (lex_at(lp, '*')) {
        lp->bail = true;    /* verbs such as (*ACCEPT) change what a match is */
        return;
    }
    if (lex_at(lp, '?')) {
        lp->p++;
        kind = group_kind(lp, caseless, &inner);
    }
    if (kind == 0 || lp->bail)
        return;
    if (kind == 'z' || kind == 'c') {
        frag_empty(f);
        return;
    }
    if (kind == 'u') {
        frag_any(f, LITERAL_UNBOUNDED);
        return;
    }
    if (++lp->depth > MAX_DEPTH) {
        lp->bail = true;
        return;
    }
    parse_alt(lp, &inner, f);
    lp->depth--;
    if (!lex_at(lp, ')')) {
        lp->bail = true;
        return;
    }
    lp->p++;
    if (kind == 'l')
        frag_empty(f);  /* a lookaround consumes nothing; its content is not required */
}

static void parse_atom(struct lex *lp, bool *caseless, struct frag *f)
{
    size_t off = (size_t)(lp->p - lp->start);
    unsigned char c = *lp->p++;
    switch (c) {
    case '(': parse_group(lp, caseless, f); break;
    case '[': lex_class(lp, *caseless, f); break;
    case '.': frag_any(f, 1); break;
    case '^': case '$': frag_empty(f); break;
    case '\\': lex_escape(lp, *caseless, f); break;
    case '*': case '+': case '?': lp->bail = true; break;
    default:
        lp->p--;
        lex_lit_char(lp, lex_next_cp(lp), *caseless, off, f);
    }
}

static void parse_seq(struct lex *lp, bool *caseless, struct frag *out)
{
    struct lstr run[FRAG_SET_MAX];
    uint8_t nrun = 1;
    run[0].n = 0;
    frag_empty(out);
    bool exact = true;
    struct frag *a = malloc(sizeof *a);
    if (!a) {
        lp->bail = true;
        return;
    }
    for (;;) {
        if (lp->flags & LITERAL_EXTENDED)
            lex_skip_extended(lp);
        if (lp->p >= lp->end || *lp->p == '|' || *lp->p == ')' || lp->bail || lp->failed)
            break;
        size_t min, max;
        parse_atom(lp, caseless, a);
        if (lp->bail)
            break;
        parse_quant(lp, &min, &max);
        out->maxlen = frag_sat_add(out->maxlen, frag_sat_mul(a->maxlen, max));
        if (min == 0 || !a->exact) {
            frag_close_run(out, run, &nrun);
            exact = false;
            if (min > 0 && a->req)
                frag_offer_req(out, a->rq, a->nrq);
            continue;
        }
        if (max != min)
            exact = false;
        frag_add_exact(out, run, &nrun, a, min, max);
    }
    free(a);
    out->exact = exact;
    if (exact) {
        memcpy(out->ex, run, nrun * sizeof *run);
        out->nex = nrun;
    }
    frag_offer_req(out, run, nrun);
}

static void parse_alt(struct lex *lp, bool *caseless, struct frag *out)
{
    struct frag *b = malloc(sizeof *b);
    if (!b) {
        lp->bail = true;
        return;
    }
    parse_seq(lp, caseless, out);
    while (!lp->bail && !lp->failed && lex_at(lp, '|')) {
        lp->p++;
        parse_seq(lp, caseless, b);
        frag_alt_merge(out, b);
    }
    free(b);
}

/* Skips leading verbs such as (*UTF) or (*LIMIT_MATCH=1000), which only set options. */
static void skip_start_verbs(struct lex *lp)
{
    while (lp->end - lp->p > 2 && lp->p[0] == '(' && lp->p[1] == '*') {
        const unsigned char *q = lp->p + 2;
        while (q < lp->end && ((*q >= 'A' && *q <= 'Z') || *q == '_' || *q == '=' ||
                               (*q >= '0' && *q <= '9')))
            q++;
        if (q >= lp->end || *q != ')')
            return;
        lp->p = q + 1;
    }
}

int literal_analyze(const char *pattern, size_t len, unsigned flags, struct literal_info *out,
                    char *err, size_t errlen)
{
    struct lex lp = {(const unsigned char *)pattern, (const unsigned char *)pattern + len,
                    (const unsigned char *)pattern, flags, 0, false, false, err, errlen};
    bool caseless = flags & LITERAL_CASELESS;
    struct frag *f = malloc(sizeof *f);
    out->nlits = 0;
    out->maxlen = LITERAL_UNBOUNDED;
    if (!f)
        return 0;
    skip_start_verbs(&lp);
    parse_alt(&lp, &caseless, f);
    if (lp.p < lp.end)
        lp.bail = true;     /* an unbalanced ')' */
    if (!lp.bail && !lp.failed) {
        out->maxlen = frag_sat_mul(f->maxlen, 4);
        if (f->req && frag_set_score(f->rq, f->nrq) >= MIN_SCORE) {
            out->nlits = f->nrq;
            for (size_t i = 0; i < f->nrq; i++) {
                out->lens[i] = f->rq[i].n;
                memcpy(out->lits[i], f->rq[i].b, f->rq[i].n);
            }
        }
    }
    free(f);
    return lp.failed ? -1 : 0;
}
