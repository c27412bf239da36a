/* rulefile_lex — the lexicon and variants blocks of a rule file (docs/RULES.md "Lexicons"):
 *
 *     lexicon gambling.games
 *     category:    gambling
 *     description: Casino and lottery-style games offered by gambling sites
 *     weight:      3
 *     terms:       百家乐 | 龙虎斗
 *     except:      彩票站
 *     match:       百家乐开业
 *     nomatch:     今天去彩票站
 *
 *     variants fold.gambling
 *     description: Homophones of gambling words
 *     variant:     博彩 = 菠菜 | 波菜
 *     example:     菠菜平台 -> 博彩平台
 *
 * A block runs from its header line to the next "rule", "lexicon" or "variants" line. The text
 * is kept as written; lexicon.c folds it when the whole set is known (variants apply to terms).
 */
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "rulefile_int.h"

#define MAX_TERM 256            /* bytes of one term, except phrase or spelling */

static void lexicon_clear(struct rulefile_lexicon *l)
{
    free(l->id);
    free(l->category);
    free(l->description);
    for (size_t i = 0; i < l->nterms; i++)
        free(l->terms[i].text);
    free(l->terms);
    rulefile_examples_free(l->ex, l->nex);
    memset(l, 0, sizeof *l);
}

static void variants_clear(struct rulefile_variants *v)
{
    free(v->id);
    free(v->description);
    for (size_t i = 0; i < v->nv; i++) {
        free(v->v[i].target);
        free(v->v[i].spelling);
    }
    free(v->v);
    rulefile_examples_free(v->ex, v->nex);
    memset(v, 0, sizeof *v);
}

void rulefile_lex_free(struct rulefile_lex *lx)
{
    for (size_t i = 0; i < lx->nlex; i++)
        lexicon_clear(&lx->lex[i]);
    for (size_t i = 0; i < lx->nvar; i++)
        variants_clear(&lx->var[i]);
    free(lx->lex);
    free(lx->var);
    memset(lx, 0, sizeof *lx);
}

int rulefile_block_kind(char *s, const char **id)
{
    int kind = strncmp(s, "lexicon", 7) == 0 && (s[7] == ' ' || s[7] == '\t') ? LEX_LEXICON
             : strncmp(s, "variants", 8) == 0 && (s[8] == ' ' || s[8] == '\t') ? LEX_VARIANTS
             : LEX_NONE;
    if (kind)
        *id = rulefile_trim(s + (kind == LEX_LEXICON ? 8 : 9));
    return kind;
}

void rulefile_block_begin(struct parser *ps, int line, int kind, const char *id)
{
    ps->in_lex = kind;
    ps->cur_bad = false;
    ps->weight = 1;
    char *copy = rulefile_dup(ps, id, strlen(id));
    if (kind == LEX_LEXICON)
        ps->lcur = (struct rulefile_lexicon){.file = ps->path, .id = copy, .line = line};
    else
        ps->vcur = (struct rulefile_variants){.file = ps->path, .id = copy, .line = line};
    if (!rulefile_id_ok(id))
        rulefile_error(ps, line, "'%s' is not a %s id (letters, digits, . _ -, up to 64)", id,
              kind == LEX_LEXICON ? "lexicon" : "variants");
}

/* Calls add(ps, line, piece) for each blank-trimmed piece of v between '|'. */
static void each_piece(struct parser *ps, int line, const char *key, const char *v,
                       void (*add)(struct parser *, int, const char *))
{
    char *copy = rulefile_dup(ps, v, strlen(v));
    if (!copy)
        return;
    char *p = copy;
    for (;;) {
        char *bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        char *t = rulefile_trim(p);
        if (!*t || strlen(t) > MAX_TERM)
            rulefile_error(ps, line, "%s: an empty piece between '|', or one over %d bytes", key,
                  MAX_TERM);
        else
            add(ps, line, t);
        if (!bar)
            break;
        p = bar + 1;
    }
    free(copy);
}

static void add_term_as(struct parser *ps, int line, const char *t, bool except)
{
    struct rulefile_lexicon *l = &ps->lcur;
    struct rulefile_term *tt = buf_array_grow(l->terms, &l->cap, l->nterms + 1, sizeof *tt);
    char *text = rulefile_dup(ps, t, strlen(t));
    if (!tt || !text) {
        ps->oom = true;
        free(text);
        return;
    }
    l->terms = tt;
    l->terms[l->nterms++] = (struct rulefile_term){text, except ? 0 : ps->weight, line, except};
}

static void add_term(struct parser *ps, int line, const char *t)
{
    add_term_as(ps, line, t, false);
}

static void add_except(struct parser *ps, int line, const char *t)
{
    add_term_as(ps, line, t, true);
}

static void set_text(struct parser *ps, int line, char **slot, const char *key, const char *v)
{
    if (*slot)
        rulefile_error(ps, line, "%s: given twice", key);
    else
        *slot = rulefile_dup(ps, v, strlen(v));
}

static void lexicon_key(struct parser *ps, int line, const char *k, const char *v)
{
    struct rulefile_lexicon *l = &ps->lcur;
    if (strcmp(k, "category") == 0)
        set_text(ps, line, &l->category, k, v);
    else if (strcmp(k, "description") == 0)
        set_text(ps, line, &l->description, k, v);
    else if (strcmp(k, "weight") == 0) {
        if (!rulefile_number(v, -100, 100, &ps->weight) || ps->weight == 0) {
            rulefile_error(ps, line, "weight: '%s' is not a number from -100 to 100 other "
                                     "than 0", v);
            ps->weight = 1;
        }
    } else if (strcmp(k, "terms") == 0)
        each_piece(ps, line, k, v, add_term);
    else if (strcmp(k, "except") == 0)
        each_piece(ps, line, k, v, add_except);
    else if (strcmp(k, "match") == 0 || strcmp(k, "nomatch") == 0)
        rulefile_example_add(ps, &l->ex, &l->nex, line, v, k[0] == 'm');
    else
        rulefile_error(ps, line, "lexicon: unknown key '%s' (category, description, weight, terms, "
                                 "except, match, nomatch)", k);
}

static void add_spelling(struct parser *ps, int line, const char *t)
{
    struct rulefile_variants *v = &ps->vcur;
    struct rulefile_variant *vv = buf_array_grow(v->v, &v->cap, v->nv + 1, sizeof *vv);
    char *a = rulefile_dup(ps, ps->vtarget, strlen(ps->vtarget));
    char *b = rulefile_dup(ps, t, strlen(t));
    if (!vv || !a || !b) {
        ps->oom = true;
        free(a);
        free(b);
        return;
    }
    v->v = vv;
    v->v[v->nv++] = (struct rulefile_variant){a, b, line};
}

static void variant_line(struct parser *ps, int line, char *v)
{
    char *eq = strchr(v, '=');
    if (!eq) {
        rulefile_error(ps, line, "variant: expected 'STANDARD = SPELLING | SPELLING'");
        return;
    }
    *eq = '\0';
    char *target = rulefile_trim(v);
    if (!*target || strlen(target) > MAX_TERM) {
        rulefile_error(ps, line, "variant: the standard form before '=' is empty or too long");
        return;
    }
    ps->vtarget = target;
    each_piece(ps, line, "variant", eq + 1, add_spelling);
    ps->vtarget = NULL;
}

/* "example: TEXT -> FOLDED". */
static void variants_example(struct parser *ps, int line, char *v)
{
    char *arrow = strstr(v, "->");
    if (!arrow) {
        rulefile_error(ps, line, "example: expected 'TEXT -> FOLDED TEXT'");
        return;
    }
    *arrow = '\0';
    struct rulefile_variants *vs = &ps->vcur;
    struct rulefile_example *ex = rulefile_example_add(ps, &vs->ex, &vs->nex, line,
                                                       rulefile_trim(v), true);
    if (ex)
        ex->becomes = rulefile_dup(ps, rulefile_trim(arrow + 2), strlen(rulefile_trim(arrow + 2)));
}

static void variants_key(struct parser *ps, int line, const char *k, char *v)
{
    if (strcmp(k, "description") == 0)
        set_text(ps, line, &ps->vcur.description, k, v);
    else if (strcmp(k, "variant") == 0)
        variant_line(ps, line, v);
    else if (strcmp(k, "example") == 0)
        variants_example(ps, line, v);
    else
        rulefile_error(ps, line, "variants: unknown key '%s' (description, variant, example)", k);
}

void rulefile_block_line(struct parser *ps, int line, char *s)
{
    char *colon = strchr(s, ':');
    if (!colon || colon == s) {
        rulefile_error(ps, line, "expected 'key: value'");
        return;
    }
    *colon = '\0';
    char *k = rulefile_trim(s), *v = rulefile_trim(colon + 1);
    if (!*v)
        rulefile_error(ps, line, "%s: has no value", k);
    else if (ps->in_lex == LEX_LEXICON)
        lexicon_key(ps, line, k, v);
    else
        variants_key(ps, line, k, v);
}

static void lexicon_check(struct parser *ps)
{
    struct rulefile_lexicon *l = &ps->lcur;
    size_t nmatch = 0, nnomatch = 0, nterms = 0;
    for (size_t i = 0; i < l->nex; i++)
        l->ex[i].match ? nmatch++ : nnomatch++;
    for (size_t i = 0; i < l->nterms; i++)
        nterms += !l->terms[i].except;
    if (!nterms)
        rulefile_error(ps, l->line, "no terms:");
    if (!l->description)
        rulefile_error(ps, l->line, "no description:");
    if (l->category && !category_find(l->category, strlen(l->category)))
        rulefile_error(ps, l->line, "category: '%s' is not a category code of API.md", l->category);
    if (ps->strict && (!nmatch || !nnomatch))
        rulefile_error(ps, l->line, "needs at least one match: and one nomatch: example");
}

static void variants_check(struct parser *ps)
{
    struct rulefile_variants *v = &ps->vcur;
    if (!v->nv)
        rulefile_error(ps, v->line, "no variant:");
    if (!v->description)
        rulefile_error(ps, v->line, "no description:");
    if (ps->strict && !v->nex)
        rulefile_error(ps, v->line, "needs at least one example:");
}

void rulefile_block_end(struct parser *ps)
{
    if (!ps->in_lex)
        return;
    struct rulefile_lex *lx = ps->lx;
    if (ps->in_lex == LEX_LEXICON) {
        lexicon_check(ps);
        struct rulefile_lexicon *a = ps->cur_bad || ps->oom ? NULL
            : buf_array_grow(lx->lex, &lx->lexcap, lx->nlex + 1, sizeof *a);
        ps->oom |= !a && !ps->cur_bad;
        if (a) {
            lx->lex = a;
            lx->lex[lx->nlex++] = ps->lcur;
            memset(&ps->lcur, 0, sizeof ps->lcur);
        }
        lexicon_clear(&ps->lcur);
    } else {
        variants_check(ps);
        struct rulefile_variants *a = ps->cur_bad || ps->oom ? NULL
            : buf_array_grow(lx->var, &lx->varcap, lx->nvar + 1, sizeof *a);
        ps->oom |= !a && !ps->cur_bad;
        if (a) {
            lx->var = a;
            lx->var[lx->nvar++] = ps->vcur;
            memset(&ps->vcur, 0, sizeof ps->vcur);
        }
        variants_clear(&ps->vcur);
    }
    ps->in_lex = LEX_NONE;
    ps->cur_bad = false;
}
