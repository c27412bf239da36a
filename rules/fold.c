/* fold — see fold.h. The only file that includes opencc.h.
 *
 * Steps 1-3 run in one pass over the characters (the map is per output byte: the input
 * character it came from, or for a space the run of separators it replaces); the join of
 * single letters compacts that output in place; step 4 copies it once more when a variant
 * occurs.
 */
#include "fold.h"

#include <opencc/opencc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"
#include "norm.h"
#include "text.h"

#define T2S_FIRST 0x3400u       /* CJK Extension A .. the end of the Unified Ideographs */
#define T2S_LAST 0x9FFFu
#define MAX_TEXT (1u << 31)

/* ---- the t2s table --------------------------------------------------------------------- */

static uint32_t *t2s;           /* per code point from T2S_FIRST: its simplified form, or 0 */
static char t2s_err[200];
static pthread_once_t t2s_once = PTHREAD_ONCE_INIT;
/* Reads OpenCC's answer: one line per input character; a line of one other character is a
 * conversion. */
static void t2s_read(const char *out)
{
    unsigned cp = T2S_FIRST;
    for (const char *p = out; *p && cp <= T2S_LAST; cp++) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p), k;
        if (n && n <= 4) {
            unsigned to = text_utf8_decode((const unsigned char *)p, &k);
            if (k == n && to != cp)
                t2s[cp - T2S_FIRST] = to;
        }
        p += n + (nl != NULL);
    }
}

/* Converts every character of the range at once, each on a line of its own (a phrase never
 * spans a line break, so each converts alone). */
static void t2s_make(void)
{
    size_t n = T2S_LAST - T2S_FIRST + 1;
    char *in = malloc(n * 4 + 1);
    t2s = calloc(n, sizeof *t2s);
    opencc_t cc = opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP);
    char *out = NULL;
    if (in && t2s && cc != (opencc_t)-1) {
        size_t len = 0;
        for (unsigned cp = T2S_FIRST; cp <= T2S_LAST; cp++) {
            len += text_utf8_encode(cp, in + len);
            in[len++] = '\n';
        }
        out = opencc_convert_utf8(cc, in, len);
    }
    if (out)
        t2s_read(out);
    else {
        snprintf(t2s_err, sizeof t2s_err, "fold: %s", cc == (opencc_t)-1 ?
                 "cannot open OpenCC's " OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP : "out of memory");
        free(t2s);
        t2s = NULL;
    }
    if (out)
        opencc_convert_utf8_free(out);
    if (cc != (opencc_t)-1)
        opencc_close(cc);
    free(in);
}

int fold_init(char *err, size_t errlen)
{
    pthread_once(&t2s_once, t2s_make);
    if (t2s)
        return 0;
    if (err && errlen)
        snprintf(err, errlen, "%s", t2s_err);
    return -1;
}

/* ---- characters ------------------------------------------------------------------------ */

/* The Latin letter a Cyrillic or Greek look-alike stands for (lower case: the text is case
 * folded), or 0. */
static unsigned lookalike_letter(unsigned cp)
{
    static const struct { unsigned short cp; char to; } map[] = {
        {0x03b1, 'a'}, {0x03b2, 'b'}, {0x03b5, 'e'}, {0x03b7, 'n'}, {0x03b9, 'i'},
        {0x03ba, 'k'}, {0x03bc, 'u'}, {0x03bd, 'v'}, {0x03bf, 'o'}, {0x03c1, 'p'},
        {0x03c4, 't'}, {0x03c5, 'u'}, {0x03c7, 'x'}, {0x03f2, 'c'}, {0x03f3, 'j'},
        {0x0430, 'a'}, {0x0432, 'b'}, {0x0435, 'e'}, {0x043a, 'k'}, {0x043c, 'm'},
        {0x043d, 'h'}, {0x043e, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'},
        {0x0443, 'y'}, {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'},
        {0x04bb, 'h'}, {0x04cf, 'l'}, {0x0501, 'd'}, {0x051b, 'q'}, {0x051d, 'w'},
    };
    size_t lo = 0, hi = sizeof map / sizeof map[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (map[mid].cp == cp)
            return (unsigned char)map[mid].to;
        if (map[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Writes what the look-alike cp stands for to out and returns its length, or 0 when cp is not
 * one. The forms here have no NFKC decomposition, so they reach us unchanged. */
static size_t lookalike(unsigned cp, char *out)
{
    unsigned to = 0;
    if (cp >= 0x0370 && cp < 0x0530)
        to = lookalike_letter(cp);
    else if (cp >= 0x1F150 && cp <= 0x1F169)           /* negative circled A-Z */
        to = 'a' + (cp - 0x1F150);
    else if (cp >= 0x1F170 && cp <= 0x1F189)           /* negative squared A-Z */
        to = 'a' + (cp - 0x1F170);
    else if (cp >= 0x1F1E6 && cp <= 0x1F1FF)           /* regional indicators */
        to = 'a' + (cp - 0x1F1E6);
    else if (cp >= 0x2776 && cp <= 0x2793) {           /* dingbat circled digits 1-10 */
        unsigned d = (cp - 0x2776) % 10 + 1;
        if (d == 10) {
            memcpy(out, "10", 2);
            return 2;
        }
        to = '0' + d;
    } else if (cp == 0x24FF || cp == 0x24EA)
        to = '0';
    if (!to)
        return 0;
    out[0] = (char)to;
    return 1;
}

static bool cjk(unsigned cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x3FFFF) || (cp >= 0xF900 && cp <= 0xFAFF);
}

/* Scripts written without spaces between words: a separator next to one is dropped. */
static bool unspaced(unsigned cp)
{
    return cjk(cp) || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3100 && cp <= 0x312F) ||
           (cp >= 0x31F0 && cp <= 0x31FF);
}

static bool word_char(unsigned cp)
{
    if (cp < 0x80)
        return fold_ascii_word((unsigned char)cp);
    return cjk(cp) || text_is_word_char(cp);
}

/* ---- output ---------------------------------------------------------------------------- */

static int reserve(char **s, uint32_t **from, uint32_t **to, size_t *cap, size_t need)
{
    if (need + 1 <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need + 1)
        c *= 2;
    char *ns = realloc(*s, c);
    if (ns)
        *s = ns;
    uint32_t *nf = ns ? realloc(*from, c * sizeof *nf) : NULL;
    if (nf)
        *from = nf;
    uint32_t *nt = nf ? realloc(*to, c * sizeof *nt) : NULL;
    if (!nt)
        return -1;
    *to = nt;
    *cap = c;
    return 0;
}

static void put(struct fold *f, const char *p, size_t n, uint32_t a, uint32_t b)
{
    for (size_t i = 0; i < n; i++) {
        f->s[f->len] = p[i];
        f->from[f->len] = a;
        f->to[f->len++] = b;
    }
}

/* Steps 1-3 (but the join) into f. */
static int pass_chars(const char *s, size_t len, struct fold *f)
{
    const unsigned char *u = (const unsigned char *)s;
    enum { NONE, SPACED, UNSPACED } prev = NONE;
    bool sep = false;
    uint32_t sep_from = 0, sep_to = 0;
    f->len = 0;
    if (reserve(&f->s, &f->from, &f->to, &f->cap, len + 4) < 0)
        return -1;
    for (size_t i = 0, n; i < len; i += n) {
        unsigned cp = text_utf8_decode(u + i, &n);
        char buf[4];
        size_t m;
        if (cp >= T2S_FIRST && cp <= T2S_LAST && t2s[cp - T2S_FIRST])
            cp = t2s[cp - T2S_FIRST];
        if ((m = lookalike(cp, buf)) > 0)
            cp = (unsigned char)buf[0];
        if (!word_char(cp)) {
            if (!sep)
                sep_from = (uint32_t)i;
            sep = true;
            sep_to = (uint32_t)(i + n);
            continue;
        }
        bool sp = !unspaced(cp);
        if (reserve(&f->s, &f->from, &f->to, &f->cap, f->len + 5) < 0)
            return -1;
        if (sep && prev == SPACED && sp)
            put(f, " ", 1, sep_from, sep_to);
        sep = false;
        if (m == 0)
            m = text_utf8_encode(cp, buf);
        put(f, buf, m, (uint32_t)i, (uint32_t)(i + n));
        prev = sp ? SPACED : UNSPACED;
    }
    f->s[f->len] = '\0';
    return 0;
}

/* True when a run of exactly one ASCII letter or digit starts at i (the caller checks that
 * none ends just before it). */
static bool single_after(const char *s, size_t len, size_t i)
{
    return i < len && fold_ascii_word((unsigned char)s[i]) &&
           (i + 1 == len || !fold_ascii_word((unsigned char)s[i + 1]));
}

/* Drops the spaces of a chain of at least three single letters or digits, each after one
 * space ("s e x", "v.i.a.g.r.a" once its dots became spaces), and of a pair inside Chinese
 * text ("加 v x 号"). Other pairs are left apart: "y n" of a "(y/N)" prompt and "p f" of
 * "%P%F" are not words, and joined they would read as pinyin initials (yn, pf) that the
 * packs' variants give meanings. A space to drop is first marked
 * as a NUL (which the text never holds: it is a separator), so that every decision reads the
 * words as they were. */
static void join_singles(struct fold *f)
{
    for (size_t i = 0; i < f->len; i++) {
        if (!single_after(f->s, f->len, i) || (i > 0 && fold_ascii_word((unsigned char)f->s[i - 1])))
            continue;
        size_t j = i, n = 1;
        while (j + 2 < f->len && f->s[j + 1] == ' ' && single_after(f->s, f->len, j + 2)) {
            j += 2;
            n++;
        }
        bool inside = n == 2 && i > 0 && j + 1 < f->len &&
                      (unsigned char)f->s[i - 1] >= 0x80 && (unsigned char)f->s[j + 1] >= 0x80;
        for (size_t k = i + 1; (n >= 3 || inside) && k < j; k += 2)
            f->s[k] = '\0';
        i = j;
    }
    size_t w = 0;
    for (size_t r = 0; r < f->len; r++) {
        if (!f->s[r])
            continue;
        f->s[w] = f->s[r];
        f->from[w] = f->from[r];
        f->to[w++] = f->to[r];
    }
    f->len = w;
    f->s[w] = '\0';
}

/* ---- variants -------------------------------------------------------------------------- */

struct variant {
    char *spelling, *target;
    size_t slen, tlen;
};

struct fold_variants {
    struct variant *v;
    size_t n, cap;
    struct ac *ac;
};

struct fold_occ {
    size_t start, end;
    uint32_t id;
};

struct fold_variants *fold_variants_new(void)
{
    struct fold_variants *fv = calloc(1, sizeof *fv);
    if (fv && !(fv->ac = ac_new())) {
        free(fv);
        return NULL;
    }
    return fv;
}

void fold_variants_free(struct fold_variants *fv)
{
    if (!fv)
        return;
    for (size_t i = 0; i < fv->n; i++) {
        free(fv->v[i].spelling);
        free(fv->v[i].target);
    }
    free(fv->v);
    ac_free(fv->ac);
    free(fv);
}

size_t fold_variants_count(const struct fold_variants *fv)
{
    return fv ? fv->n : 0;
}

/* Variants are few (hundreds): a linear search at load is cheaper than keeping a hash. */
int fold_variants_add(struct fold_variants *fv, const char *spelling, const char *target,
                      const char **other)
{
    for (size_t i = 0; i < fv->n; i++)
        if (strcmp(fv->v[i].spelling, spelling) == 0) {
            if (strcmp(fv->v[i].target, target) == 0)
                return 0;
            *other = fv->v[i].target;
            return 1;
        }
    struct variant *v = buf_array_grow(fv->v, &fv->cap, fv->n + 1, sizeof *v);
    if (!v)
        return -1;
    fv->v = v;
    struct variant nv = {strdup(spelling), strdup(target), strlen(spelling), strlen(target)};
    if (!nv.spelling || !nv.target || nv.slen == 0 ||
        ac_add(fv->ac, nv.spelling, nv.slen, (uint32_t)fv->n) < 0) {
        free(nv.spelling);
        free(nv.target);
        return -1;
    }
    fv->v[fv->n++] = nv;
    return 0;
}

int fold_variants_build(struct fold_variants *fv)
{
    return ac_build(fv->ac);
}

struct vscan {
    const struct fold_variants *fv;
    struct fold *f;
};

static int on_variant(uint32_t id, size_t end, void *ctx)
{
    struct vscan *vs = ctx;
    struct fold *f = vs->f;
    const struct variant *v = &vs->fv->v[id];
    size_t start = end - v->slen;
    const unsigned char *s = (const unsigned char *)f->s;
    if ((fold_ascii_word(s[start]) && start > 0 && fold_ascii_word(s[start - 1])) ||
        (fold_ascii_word(s[end - 1]) && end < f->len && fold_ascii_word(s[end])))
        return 0;
    struct fold_occ *o = buf_array_grow(f->occ, &f->occcap, f->nocc + 1, sizeof *o);
    if (!o)
        return -1;
    f->occ = o;
    f->occ[f->nocc++] = (struct fold_occ){start, end, id};
    return 0;
}

static int cmp_occ(const void *a, const void *b)
{
    const struct fold_occ *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

/* Step 4: replaces the leftmost-longest occurrences, copying through f's scratch. */
static int pass_variants(const struct fold_variants *fv, struct fold *f)
{
    f->nocc = 0;
    struct vscan vs = {fv, f};
    if (ac_scan(fv->ac, f->s, f->len, on_variant, &vs) != 0)
        return -1;
    if (f->nocc == 0)
        return 0;
    if (f->nocc > 1)
        qsort(f->occ, f->nocc, sizeof *f->occ, cmp_occ);
    size_t at = 0, w = 0;
    for (size_t i = 0; i <= f->nocc; i++) {
        const struct fold_occ *o = i < f->nocc ? &f->occ[i] : NULL;
        if (o && o->start < at)
            continue;
        size_t upto = o ? o->start : f->len;
        const struct variant *v = o ? &fv->v[o->id] : NULL;
        if (reserve(&f->t, &f->tfrom, &f->tto, &f->tcap, w + (upto - at) + (v ? v->tlen : 0)) < 0)
            return -1;
        memcpy(f->t + w, f->s + at, upto - at);
        memcpy(f->tfrom + w, f->from + at, (upto - at) * sizeof *f->from);
        memcpy(f->tto + w, f->to + at, (upto - at) * sizeof *f->to);
        w += upto - at;
        if (!o)
            break;
        for (size_t k = 0; k < v->tlen; k++) {
            f->t[w] = v->target[k];
            f->tfrom[w] = f->from[o->start];
            f->tto[w++] = f->to[o->end - 1];
        }
        at = o->end;
    }
    f->t[w] = '\0';
    /* swap the buffers: the scratch becomes the text */
    char *s = f->s; f->s = f->t; f->t = s;
    uint32_t *a = f->from; f->from = f->tfrom; f->tfrom = a;
    uint32_t *b = f->to; f->to = f->tto; f->tto = b;
    size_t c = f->cap; f->cap = f->tcap; f->tcap = c;
    f->len = w;
    return 0;
}

/* ---- the whole fold -------------------------------------------------------------------- */

int fold_text(const struct fold_variants *fv, const char *s, size_t len, struct fold *f)
{
    if (len >= MAX_TEXT || fold_init(NULL, 0) < 0 || pass_chars(s, len, f) < 0)
        return -1;
    join_singles(f);
    if (fv && fv->n && pass_variants(fv, f) < 0)
        return -1;
    return 0;
}

void fold_span(const struct fold *f, size_t fs, size_t fe, size_t *ns, size_t *ne)
{
    if (fe <= fs || fe > f->len) {
        *ns = *ne = 0;
        return;
    }
    *ns = f->from[fs];
    *ne = f->to[fe - 1];
}

int fold_original(const struct fold_variants *fv, const char *s, size_t len, struct buf *out)
{
    struct norm n = {0};
    struct fold f = {0};
    int rc = -1;
    if (norm_text(&n, s, len) == 0 && fold_text(fv, n.s, n.len, &f) == 0)
        rc = buf_add(out, f.s, f.len);
    norm_free(&n);
    fold_free(&f);
    return rc;
}

void fold_free(struct fold *f)
{
    free(f->s);
    free(f->from);
    free(f->to);
    free(f->t);
    free(f->tfrom);
    free(f->tto);
    free(f->occ);
    memset(f, 0, sizeof *f);
}
