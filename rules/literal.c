/* literal — see literal.h.
 *
 * A recursive-descent reader over the pattern. Each piece of the pattern becomes a "fragment":
 *
 * - exact: the small set of strings that every match of the piece equals (a literal "abc", a
 *   group "(?:ab|cd)"), so that neighbouring exact pieces can be joined into longer literals;
 * - req: the best set of literals one of which every match of the piece contains;
 * - maxlen: the longest match in code points.
 *
 * A sequence joins neighbouring exact pieces into a "run" and keeps the best run (or the best
 * required set of a non-exact piece) as its own required set; an alternation unites the
 * branches' sets. "Best" means the rarest-looking: literal_score() favours long literals and
 * rare bytes, because a literal that is in every text ("e", "the") buys nothing.
 */
#include "literal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define SET_MAX 16          /* exact strings kept for one piece */
#define CLASS_MAX 10        /* a class with more members is not expanded into literals */
#define MAX_DEPTH 24        /* deeper nesting than this: give up (literal-free) */
#define MIN_SCORE 30        /* a required set weaker than this is not worth scanning for */

struct lstr {
    uint8_t n;
    unsigned char b[LITERAL_MAX_LEN];
};

struct frag {
    bool exact, req;
    uint8_t nex, nrq;
    struct lstr ex[SET_MAX];
    struct lstr rq[LITERAL_MAX_SET];
    size_t maxlen;                  /* code points */
};

struct lp {
    const unsigned char *p, *end, *start;
    unsigned flags;
    int depth;
    bool bail, failed;
    char *err;
    size_t errlen;
};

static void parse_alt(struct lp *lp, bool *caseless, struct frag *out);

/* ---- sizes and scores ------------------------------------------------------------------ */

static size_t sat_add(size_t a, size_t b)
{
    return a > LITERAL_UNBOUNDED - b ? LITERAL_UNBOUNDED : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
    if (a == 0 || b == 0)
        return 0;
    return a > LITERAL_UNBOUNDED / b ? LITERAL_UNBOUNDED : a * b;
}

/* Weight of one byte, in tenths: how much finding it narrows things down. Common English
 * letters and spaces are nearly free; one Chinese character (three bytes) counts about as much
 * as two rare letters. */
static int byte_weight(unsigned char c)
{
    if (c >= 0x80)
        return 14;
    if (c == ' ')
        return 4;
    if (strchr("etaoinsrhl", c))
        return 10;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 17;
    if (strchr(".,-'\"", c))
        return 10;
    return 40;  /* @ : / ? $ % and friends are rare in prose */
}

static int str_score(const struct lstr *s)
{
    int w = 0;
    for (size_t i = 0; i < s->n; i++)
        w += byte_weight(s->b[i]);
    return w;
}

static int set_score(const struct lstr *v, size_t n)
{
    int min = n ? 1 << 30 : 0;
    for (size_t i = 0; i < n; i++) {
        int s = str_score(&v[i]);
        min = s < min ? s : min;
    }
    return min;
}

/* ---- fragments ------------------------------------------------------------------------- */

static void frag_empty(struct frag *f)
{
    f->exact = true;
    f->req = false;
    f->nex = 1;
    f->ex[0].n = 0;
    f->nrq = 0;
    f->maxlen = 0;
}

static void frag_any(struct frag *f, size_t maxlen)
{
    f->exact = f->req = false;
    f->nex = f->nrq = 0;
    f->maxlen = maxlen;
}

static void frag_bytes(struct frag *f, const unsigned char *b, size_t n)
{
    frag_empty(f);
    memcpy(f->ex[0].b, b, n);
    f->ex[0].n = (uint8_t)n;
    f->maxlen = 1;
}

/* Offers the set v[0..n) as the fragment's required set; keeps the better of the two. */
static void offer_req(struct frag *f, const struct lstr *v, size_t n)
{
    if (n == 0 || n > LITERAL_MAX_SET)
        return;
    int s = set_score(v, n);
    if (s == 0)
        return;
    if (f->req) {
        int cur = set_score(f->rq, f->nrq);
        if (s < cur || (s == cur && n >= f->nrq))
            return;
    }
    memcpy(f->rq, v, n * sizeof *v);
    f->nrq = (uint8_t)n;
    f->req = true;
}

/* run = run x ex (every string of run followed by every string of ex). Returns false, leaving
 * run alone, when the product has too many strings or too long ones. */
static bool cross(struct lstr *run, uint8_t *nrun, const struct lstr *ex, size_t nex)
{
    if ((size_t)*nrun * nex > SET_MAX)
        return false;
    struct lstr out[SET_MAX];
    size_t k = 0;
    for (size_t i = 0; i < *nrun; i++)
        for (size_t j = 0; j < nex; j++) {
            if (run[i].n + ex[j].n > LITERAL_MAX_LEN)
                return false;
            out[k] = run[i];
            memcpy(out[k].b + out[k].n, ex[j].b, ex[j].n);
            out[k].n = (uint8_t)(run[i].n + ex[j].n);
            k++;
        }
    memcpy(run, out, k * sizeof *out);
    *nrun = (uint8_t)k;
    return true;
}

/* ---- characters ------------------------------------------------------------------------ */

/* Code points that have no other case: a caseless match of them is an exact byte match. */
static bool caseless_stable(uint32_t cp)
{
    return (cp >= 0x3000 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3);
}

static size_t utf8_encode(uint32_t cp, unsigned char *b)
{
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | cp >> 18);
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the UTF-8 character at lp->p and advances. Returns the code point, or bails. */
static uint32_t next_cp(struct lp *lp)
{
    const unsigned char *p = lp->p;
    size_t n = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
    if ((size_t)(lp->end - p) < n || !text_utf8_valid((const char *)p, n)) {
        lp->bail = true;
        lp->p = lp->end;
        return 0;
    }
    uint32_t cp = n == 1 ? p[0] : n == 2 ? p[0] & 0x1F : n == 3 ? p[0] & 0x0F : p[0] & 0x07;
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (p[i] & 0x3F);
    lp->p += n;
    return cp;
}

/* Under LITERAL_NORMALIZED, a literal character that normalization changes can never match. */
static void check_normal(struct lp *lp, uint32_t cp, bool caseless, size_t off)
{
    if (!(lp->flags & LITERAL_NORMALIZED) || lp->failed)
        return;
    bool bad = false;
    if (cp < 0x80) {
        bad = cp >= 'A' && cp <= 'Z' && !caseless;
    } else {
        unsigned char b[4];
        size_t n = utf8_encode(cp, b), m = 0;
        char *norm = text_normalize((const char *)b, n, &m);
        bad = norm && (m != n || memcmp(norm, b, n) != 0);
        free(norm);
    }
    if (!bad)
        return;
    lp->failed = true;
    if (!lp->err)
        return;
    if (cp < 0x80)
        snprintf(lp->err, lp->errlen, "pattern has upper-case '%c' at offset %zu, but rules "
                 "match case-folded text: write it in lower case or add flag i", (char)cp, off);
    else
        snprintf(lp->err, lp->errlen, "pattern has U+%04X at offset %zu, which normalized text "
                 "never contains (a full-width, compatibility or upper-case form): write its "
                 "NFKC case-folded form", (unsigned)cp, off);
}

/* The fragment of one literal code point. */
static void lit_char(struct lp *lp, uint32_t cp, bool caseless, size_t off, struct frag *f)
{
    check_normal(lp, cp, caseless, off);
    unsigned char b[4];
    if (cp >= 'A' && cp <= 'Z')
        cp += 32;
    if (cp >= 0x80 && caseless && !caseless_stable(cp)) {
        frag_any(f, 1);
        return;
    }
    frag_bytes(f, b, utf8_encode(cp, b));
}

/* ---- the reader ------------------------------------------------------------------------ */

static bool at(const struct lp *lp, char c)
{
    return lp->p < lp->end && *lp->p == (unsigned char)c;
}

static void skip_extended(struct lp *lp)
{
    while (lp->p < lp->end) {
        if (strchr(" \t\n\r\f\v", *lp->p))
            lp->p++;
        else if (*lp->p == '#')
            while (lp->p < lp->end && *lp->p != '\n')
                lp->p++;
        else
            break;
    }
}

static bool read_uint(struct lp *lp, size_t *v)
{
    if (lp->p >= lp->end || *lp->p < '0' || *lp->p > '9')
        return false;
    size_t n = 0;
    while (lp->p < lp->end && *lp->p >= '0' && *lp->p <= '9')
        n = n > 100000 ? n : n * 10 + (size_t)(*lp->p++ - '0');
    *v = n;
    return true;
}

/* Skips to and over the next c; bails at the end. */
static void skip_past(struct lp *lp, char c)
{
    while (lp->p < lp->end && *lp->p != (unsigned char)c)
        lp->p++;
    if (lp->p >= lp->end)
        lp->bail = true;
    else
        lp->p++;
}

/* A {n}, {n,} or {n,m} quantifier at lp->p; anything else is a literal brace for PCRE2 10.42,
 * except forms later versions read as quantifiers ({,m}, spaces), where we give up. */
static bool brace_quant(struct lp *lp, size_t *min, size_t *max)
{
    const unsigned char *save = lp->p;
    lp->p++;
    if (at(lp, ',') || at(lp, ' ')) {
        lp->bail = true;
        return false;
    }
    if (!read_uint(lp, min)) {
        lp->p = save;
        return false;
    }
    *max = *min;
    if (at(lp, ',')) {
        lp->p++;
        if (!read_uint(lp, max))
            *max = LITERAL_UNBOUNDED;
    }
    if (!at(lp, '}')) {
        if (at(lp, ' '))
            lp->bail = true;
        lp->p = save;
        return false;
    }
    lp->p++;
    return true;
}

static void parse_quant(struct lp *lp, size_t *min, size_t *max)
{
    *min = *max = 1;
    if (lp->flags & LITERAL_EXTENDED)
        skip_extended(lp);
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
    if (at(lp, '+') || at(lp, '?'))
        lp->p++;
}

static int hexval(unsigned char c);
static uint32_t parse_hex(struct lp *lp);

/* One member of a class: a plain character or a simple escape. Returns the code point, or -1
 * for anything that stands for more than one character (\d, \p{..}, [:alpha:]). */
static int64_t class_char(struct lp *lp)
{
    static const char ctl[] = "t\tn\nr\rf\fe\033a\007";
    if (*lp->p == '[' && lp->p + 1 < lp->end && lp->p[1] == ':')
        return -1;
    if (*lp->p != '\\')
        return next_cp(lp);
    if (++lp->p >= lp->end)
        return -1;
    unsigned char c = *lp->p++;
    const char *k = strchr(ctl, c);
    if (c == 'x')
        return parse_hex(lp);
    if (k && (k - ctl) % 2 == 0)
        return (unsigned char)k[1];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return -1;
    lp->p--;
    return next_cp(lp);
}

/* Adds code point cp to the exact set of a class. Returns false when the class is too big or
 * cp cannot be matched exactly (a caseless letter outside ASCII). */
static bool class_add(struct frag *f, uint32_t cp, bool caseless)
{
    if (cp >= 'A' && cp <= 'Z')
        cp += 32;
    if (cp >= 0x80 && caseless && !caseless_stable(cp))
        return false;
    unsigned char b[4];
    size_t n = utf8_encode(cp, b);
    for (size_t i = 0; i < f->nex; i++)
        if (f->ex[i].n == n && memcmp(f->ex[i].b, b, n) == 0)
            return true;
    if (f->nex >= CLASS_MAX)
        return false;
    memcpy(f->ex[f->nex].b, b, n);
    f->ex[f->nex++].n = (uint8_t)n;
    return true;
}

/* Skips to the ']' that ends the class; bails at the end of the pattern. */
static void skip_class(struct lp *lp)
{
    if (at(lp, '^'))
        lp->p++;
    if (at(lp, ']'))
        lp->p++;
    while (lp->p < lp->end && *lp->p != ']') {
        if (*lp->p == '\\') {
            if (lp->p + 1 < lp->end && lp->p[1] == 'Q')
                lp->bail = true;
            lp->p += 2;
        } else if (*lp->p == '[' && lp->p + 1 < lp->end && lp->p[1] == ':') {
            lp->p += 2;
            while (lp->p + 1 < lp->end && !(lp->p[0] == ':' && lp->p[1] == ']'))
                lp->p++;
            lp->p += 2;
        } else {
            lp->p++;
        }
    }
    if (lp->p >= lp->end)
        lp->bail = true;
    else
        lp->p++;
}

/* A character class; lp->p is just past the '['. A small class of plain characters ([o0],
 * [a-c]) becomes an exact set, so that it can be part of a literal; any other matches one
 * character we do not know. */
static void parse_class(struct lp *lp, bool caseless, struct frag *f)
{
    const unsigned char *start = lp->p;
    bool exact = !at(lp, '^');
    frag_empty(f);
    f->nex = 0;
    if (!exact)
        lp->p++;
    for (bool first = true; exact && lp->p < lp->end && (first || *lp->p != ']'); first = false) {
        int64_t a = class_char(lp), b = a;
        if (a >= 0 && at(lp, '-') && lp->p + 1 < lp->end && lp->p[1] != ']') {
            lp->p++;
            b = class_char(lp);
        }
        if (a < 0 || b < a || b - a >= CLASS_MAX || lp->bail) {
            exact = false;
            break;
        }
        for (int64_t cp = a; cp <= b && exact; cp++)
            exact = class_add(f, (uint32_t)cp, caseless);
    }
    if (!exact || f->nex == 0 || !at(lp, ']')) {
        lp->bail = false;
        lp->p = start;
        skip_class(lp);
        frag_any(f, 1);
        return;
    }
    lp->p++;
    f->maxlen = 1;
}

static int hexval(unsigned char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* \x{h...} or \xhh; lp->p is just past the 'x'. */
static uint32_t parse_hex(struct lp *lp)
{
    uint32_t cp = 0;
    if (at(lp, '{')) {
        lp->p++;
        int n = 0;
        while (lp->p < lp->end && hexval(*lp->p) >= 0 && n++ < 8)
            cp = cp << 4 | (uint32_t)hexval(*lp->p++);
        if (!at(lp, '}') || n == 0 || cp > 0x10FFFF)
            lp->bail = true;
        else
            lp->p++;
        return cp;
    }
    for (int n = 0; n < 2 && lp->p < lp->end && hexval(*lp->p) >= 0; n++)
        cp = cp << 4 | (uint32_t)hexval(*lp->p++);
    return cp;
}

/* \Q...\E: every character up to \E is literal. lp->p is just past the 'Q'. */
static void parse_quoted(struct lp *lp, bool caseless, struct frag *f)
{
    frag_empty(f);
    while (lp->p < lp->end && !(lp->p[0] == '\\' && lp->p + 1 < lp->end && lp->p[1] == 'E')) {
        size_t off = (size_t)(lp->p - lp->start);
        struct frag c;
        lit_char(lp, next_cp(lp), caseless, off, &c);
        if (!c.exact || !cross(f->ex, &f->nex, c.ex, c.nex)) {
            lp->bail = true;    /* long or odd quotes: not worth the trouble */
            return;
        }
        f->maxlen++;
    }
    if (lp->p < lp->end)
        lp->p += 2;
}

/* Skips the name or number of a back reference or subroutine call (\g, \k). */
static void skip_ref(struct lp *lp)
{
    if (at(lp, '{'))
        skip_past(lp, '}');
    else if (at(lp, '<'))
        skip_past(lp, '>');
    else if (at(lp, '\''))
        { lp->p++; skip_past(lp, '\''); }
    else {
        if (at(lp, '-') || at(lp, '+'))
            lp->p++;
        size_t ignored;
        if (!read_uint(lp, &ignored))
            lp->bail = true;
    }
}

/* An escape; lp->p is just past the backslash. */
static void parse_escape(struct lp *lp, bool caseless, struct frag *f)
{
    size_t off = (size_t)(lp->p - lp->start) - 1;
    if (lp->p >= lp->end) {
        lp->bail = true;
        return;
    }
    unsigned char c = *lp->p++;
    static const char ctl[] = "t\tn\nr\rf\fe\033a\007";
    const char *k;
    if (strchr("dDwWsShHvV", c)) {
        frag_any(f, 1);
    } else if (c == 'p' || c == 'P') {
        if (at(lp, '{'))
            skip_past(lp, '}');
        else if (lp->p < lp->end)
            lp->p++;
        frag_any(f, 1);
    } else if (c == 'N' && !at(lp, '{')) {
        frag_any(f, 1);
    } else if (c == 'R') {
        frag_any(f, 2);
    } else if (c == 'X') {
        frag_any(f, LITERAL_UNBOUNDED);
    } else if (strchr("bBAzZG", c)) {
        frag_empty(f);
    } else if (c == 'E') {
        frag_empty(f);
    } else if (c == 'Q') {
        parse_quoted(lp, caseless, f);
    } else if (c == 'x') {
        lit_char(lp, parse_hex(lp), caseless, off, f);
    } else if ((k = strchr(ctl, c)) && (k - ctl) % 2 == 0) {
        lit_char(lp, (unsigned char)k[1], caseless, off, f);
    } else if (c >= '1' && c <= '9') {
        size_t ignored;
        lp->p--;
        read_uint(lp, &ignored);
        frag_any(f, LITERAL_UNBOUNDED);     /* a back reference (or octal: either way, unknown) */
    } else if (c == 'g' || c == 'k') {
        skip_ref(lp);
        frag_any(f, LITERAL_UNBOUNDED);
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '0') {
        lp->bail = true;                    /* \K, \c, \o, \0, \u, ...: not worth reading */
    } else {
        lp->p--;
        lit_char(lp, next_cp(lp), caseless, off, f);
    }
}

/* Group options "(?imsx-imsx)" or "(?imsx:"; lp->p is at the first option letter. Sets
 * *group_caseless for an option group "(?i:". Returns true when the group continues (':'),
 * false when it was a bare setting "(?i)" (which then applies to *caseless). */
static bool parse_options(struct lp *lp, bool *caseless, bool *group_caseless)
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

/* After "(?": what kind of group this is. Returns 'g' (a group whose content matches), 'z'
 * (zero-width: lookaround or a bare option setting), 'c' (a comment, already skipped), 'u'
 * (recursion or back reference, already skipped: unknown content), or 0 after bailing. */
static int group_kind(struct lp *lp, bool *caseless, bool *inner_caseless)
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
        skip_past(lp, c == '\'' ? '\'' : '>');
        return 'g';
    }
    if (c == '#') {
        skip_past(lp, ')');
        return 'c';
    }
    if (c == 'P' || c == 'R' || c == '&' || c == '+' || (c >= '0' && c <= '9') ||
        (c == '-' && lp->p + 1 < lp->end && lp->p[1] >= '0' && lp->p[1] <= '9')) {
        skip_past(lp, ')');
        return 'u';
    }
    if (c == '-' || c == '^' || (c >= 'a' && c <= 'z') || c == 'U' || c == 'J')
        return parse_options(lp, caseless, inner_caseless) ? 'g' : 'z';
    lp->bail = true;    /* conditionals, callouts */
    return 0;
}

/* A group; lp->p is just past the '('. */
static void parse_group(struct lp *lp, bool *caseless, struct frag *f)
{
    bool inner = *caseless;
    int kind = 'g';
    if (at(lp, '*')) {
        lp->bail = true;    /* verbs such as (*ACCEPT) change what a match is */
        return;
    }
    if (at(lp, '?')) {
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
    if (!at(lp, ')')) {
        lp->bail = true;
        return;
    }
    lp->p++;
    if (kind == 'l')
        frag_empty(f);  /* a lookaround consumes nothing; its content is not required */
}

static void parse_atom(struct lp *lp, bool *caseless, struct frag *f)
{
    size_t off = (size_t)(lp->p - lp->start);
    unsigned char c = *lp->p++;
    switch (c) {
    case '(': parse_group(lp, caseless, f); break;
    case '[': parse_class(lp, *caseless, f); break;
    case '.': frag_any(f, 1); break;
    case '^': case '$': frag_empty(f); break;
    case '\\': parse_escape(lp, *caseless, f); break;
    case '*': case '+': case '?': lp->bail = true; break;
    default:
        lp->p--;
        lit_char(lp, next_cp(lp), *caseless, off, f);
    }
}

/* Ends the current run: it becomes a candidate required set, and a new empty run starts. */
static void close_run(struct frag *seq, struct lstr *run, uint8_t *nrun)
{
    offer_req(seq, run, *nrun);
    *nrun = 1;
    run[0].n = 0;
}

/* Adds a quantified exact piece to the run. */
static void add_exact(struct frag *seq, struct lstr *run, uint8_t *nrun, const struct frag *a,
                      size_t min, size_t max)
{
    for (size_t k = 0; k < min && k < LITERAL_MAX_LEN; k++)
        if (!cross(run, nrun, a->ex, a->nex)) {
            close_run(seq, run, nrun);
            cross(run, nrun, a->ex, a->nex);
        }
    if (max != min) {
        /* what follows comes right after the last repetition, so it starts a new run */
        close_run(seq, run, nrun);
        cross(run, nrun, a->ex, a->nex);
    }
}

static void parse_seq(struct lp *lp, bool *caseless, struct frag *out)
{
    struct lstr run[SET_MAX];
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
            skip_extended(lp);
        if (lp->p >= lp->end || *lp->p == '|' || *lp->p == ')' || lp->bail || lp->failed)
            break;
        size_t min, max;
        parse_atom(lp, caseless, a);
        if (lp->bail)
            break;
        parse_quant(lp, &min, &max);
        out->maxlen = sat_add(out->maxlen, sat_mul(a->maxlen, max));
        if (min == 0 || (!a->exact && min > 0)) {
            close_run(out, run, &nrun);
            exact = false;
            if (min > 0 && a->req)
                offer_req(out, a->rq, a->nrq);
            continue;
        }
        if (max != min)
            exact = false;
        add_exact(out, run, &nrun, a, min, max);
    }
    free(a);
    out->exact = exact;
    if (exact) {
        memcpy(out->ex, run, nrun * sizeof *run);
        out->nex = nrun;
    }
    offer_req(out, run, nrun);
}

/* Unites the sets of two branches. */
static void alt_merge(struct frag *a, const struct frag *b)
{
    a->maxlen = a->maxlen > b->maxlen ? a->maxlen : b->maxlen;
    if (a->exact && b->exact && a->nex + b->nex <= SET_MAX) {
        memcpy(a->ex + a->nex, b->ex, b->nex * sizeof *b->ex);
        a->nex = (uint8_t)(a->nex + b->nex);
    } else {
        a->exact = false;
    }
    if (a->req && b->req && a->nrq + b->nrq <= LITERAL_MAX_SET) {
        memcpy(a->rq + a->nrq, b->rq, b->nrq * sizeof *b->rq);
        a->nrq = (uint8_t)(a->nrq + b->nrq);
    } else {
        a->req = false;
    }
    if (!a->req && a->exact)
        offer_req(a, a->ex, a->nex);
}

static void parse_alt(struct lp *lp, bool *caseless, struct frag *out)
{
    struct frag *b = malloc(sizeof *b);
    if (!b) {
        lp->bail = true;
        return;
    }
    parse_seq(lp, caseless, out);
    while (!lp->bail && !lp->failed && at(lp, '|')) {
        lp->p++;
        parse_seq(lp, caseless, b);
        alt_merge(out, b);
    }
    free(b);
}

/* Skips leading verbs such as (*UTF) or (*LIMIT_MATCH=1000), which only set options. */
static void skip_start_verbs(struct lp *lp)
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
    struct lp lp = {(const unsigned char *)pattern, (const unsigned char *)pattern + len,
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
        out->maxlen = sat_mul(f->maxlen, 4);
        if (f->req && set_score(f->rq, f->nrq) >= MIN_SCORE) {
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
