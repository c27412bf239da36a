/* literal_lex — see literal_lex.h. */
#include "literal_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define CLASS_MAX 10        /* a class with more members is not expanded into literals */

/* ---- characters ------------------------------------------------------------------------ */

/* Code points that have no other case: a caseless match of them is an exact byte match. */
static bool caseless_stable(uint32_t cp)
{
    return (cp >= 0x3000 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3);
}

/* Decodes the UTF-8 character at lp->p and advances. Returns the code point, or bails. */
uint32_t lex_next_cp(struct lex *lp)
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
static void check_normal(struct lex *lp, uint32_t cp, bool caseless, size_t off)
{
    if (!(lp->flags & LITERAL_NORMALIZED) || lp->failed)
        return;
    bool bad = false;
    if (cp < 0x80) {
        bad = cp >= 'A' && cp <= 'Z' && !caseless;
    } else {
        unsigned char b[4];
        size_t n = text_utf8_encode(cp, b), m = 0;
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

/* The bytes every match of cp has, ASCII letters folded to lower case, written to b. Returns
 * their number, or 0 when cp cannot be matched exactly (a caseless letter outside ASCII). */
static size_t fold_char(uint32_t cp, bool caseless, unsigned char b[4])
{
    if (cp >= 'A' && cp <= 'Z')
        cp += 32;
    if (cp >= 0x80 && caseless && !caseless_stable(cp))
        return 0;
    return text_utf8_encode(cp, b);
}

void lex_lit_char(struct lex *lp, uint32_t cp, bool caseless, size_t off, struct frag *f)
{
    check_normal(lp, cp, caseless, off);
    unsigned char b[4];
    size_t n = fold_char(cp, caseless, b);
    if (n == 0)
        frag_any(f, 1);
    else
        frag_bytes(f, b, n);
}

/* ---- the cursor ------------------------------------------------------------------------ */

bool lex_at(const struct lex *lp, char c)
{
    return lp->p < lp->end && *lp->p == (unsigned char)c;
}

void lex_skip_extended(struct lex *lp)
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

bool lex_read_uint(struct lex *lp, size_t *v)
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
void lex_skip_past(struct lex *lp, char c)
{
    while (lp->p < lp->end && *lp->p != (unsigned char)c)
        lp->p++;
    if (lp->p >= lp->end)
        lp->bail = true;
    else
        lp->p++;
}

/* ---- escapes and classes --------------------------------------------------------------- */

/* The control character of a one-letter escape (\t, \n, \r, \f, \e, \a), or -1. */
static int ctl_escape(unsigned char c)
{
    static const char ctl[] = "t\tn\nr\rf\fe\033a\007";
    const char *k = c ? strchr(ctl, c) : NULL;
    return k && (k - ctl) % 2 == 0 ? (unsigned char)k[1] : -1;
}

static int hexval(unsigned char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* \x{h...} or \xhh; lp->p is just past the 'x'. */
static uint32_t parse_hex(struct lex *lp)
{
    uint32_t cp = 0;
    if (lex_at(lp, '{')) {
        lp->p++;
        int n = 0;
        while (lp->p < lp->end && hexval(*lp->p) >= 0 && n++ < 8)
            cp = cp << 4 | (uint32_t)hexval(*lp->p++);
        if (!lex_at(lp, '}') || n == 0 || cp > 0x10FFFF)
            lp->bail = true;
        else
            lp->p++;
        return cp;
    }
    for (int n = 0; n < 2 && lp->p < lp->end && hexval(*lp->p) >= 0; n++)
        cp = cp << 4 | (uint32_t)hexval(*lp->p++);
    return cp;
}

/* One member of a class: a plain character or a simple escape. Returns the code point, or -1
 * for anything that stands for more than one character (\d, \p{..}, [:alpha:]). */
static int64_t class_char(struct lex *lp)
{
    if (*lp->p == '[' && lp->p + 1 < lp->end && lp->p[1] == ':')
        return -1;
    if (*lp->p != '\\')
        return lex_next_cp(lp);
    if (++lp->p >= lp->end)
        return -1;
    unsigned char c = *lp->p++;
    int ctl = ctl_escape(c);
    if (c == 'x')
        return parse_hex(lp);
    if (ctl >= 0)
        return ctl;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return -1;
    lp->p--;
    return lex_next_cp(lp);
}

/* Adds code point cp to the exact set of a class. Returns false when the class is too big or
 * cp cannot be matched exactly (a caseless letter outside ASCII). */
static bool class_add(struct frag *f, uint32_t cp, bool caseless)
{
    unsigned char b[4];
    size_t n = fold_char(cp, caseless, b);
    if (n == 0)
        return false;
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
static void skip_class(struct lex *lp)
{
    if (lex_at(lp, '^'))
        lp->p++;
    if (lex_at(lp, ']'))
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
void lex_class(struct lex *lp, bool caseless, struct frag *f)
{
    const unsigned char *start = lp->p;
    bool exact = !lex_at(lp, '^');
    frag_empty(f);
    f->nex = 0;
    if (!exact)
        lp->p++;
    for (bool first = true; exact && lp->p < lp->end && (first || *lp->p != ']'); first = false) {
        int64_t a = class_char(lp), b = a;
        if (a >= 0 && lex_at(lp, '-') && lp->p + 1 < lp->end && lp->p[1] != ']') {
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
    if (!exact || f->nex == 0 || !lex_at(lp, ']')) {
        lp->bail = false;
        lp->p = start;
        skip_class(lp);
        frag_any(f, 1);
        return;
    }
    lp->p++;
    f->maxlen = 1;
}

/* \Q...\E: every character up to \E is literal. lp->p is just past the 'Q'. */
static void parse_quoted(struct lex *lp, bool caseless, struct frag *f)
{
    frag_empty(f);
    while (lp->p < lp->end && !(lp->p[0] == '\\' && lp->p + 1 < lp->end && lp->p[1] == 'E')) {
        size_t off = (size_t)(lp->p - lp->start);
        struct frag c;
        lex_lit_char(lp, lex_next_cp(lp), caseless, off, &c);
        if (!c.exact || !frag_cross(f->ex, &f->nex, c.ex, c.nex)) {
            lp->bail = true;    /* long or odd quotes: not worth the trouble */
            return;
        }
        f->maxlen++;
    }
    if (lp->p < lp->end)
        lp->p += 2;
}

/* Skips the name or number of a back reference or subroutine call (\g, \k). */
static void skip_ref(struct lex *lp)
{
    if (lex_at(lp, '{'))
        lex_skip_past(lp, '}');
    else if (lex_at(lp, '<'))
        lex_skip_past(lp, '>');
    else if (lex_at(lp, '\''))
        { lp->p++; lex_skip_past(lp, '\''); }
    else {
        if (lex_at(lp, '-') || lex_at(lp, '+'))
            lp->p++;
        size_t ignored;
        if (!lex_read_uint(lp, &ignored))
            lp->bail = true;
    }
}

/* An escape; lp->p is just past the backslash. */
void lex_escape(struct lex *lp, bool caseless, struct frag *f)
{
    size_t off = (size_t)(lp->p - lp->start) - 1;
    if (lp->p >= lp->end) {
        lp->bail = true;
        return;
    }
    unsigned char c = *lp->p++;
    int ctl = ctl_escape(c);
    if (strchr("dDwWsShHvV", c)) {
        frag_any(f, 1);
    } else if (c == 'p' || c == 'P') {
        if (lex_at(lp, '{'))
            lex_skip_past(lp, '}');
        else if (lp->p < lp->end)
            lp->p++;
        frag_any(f, 1);
    } else if (c == 'N' && !lex_at(lp, '{')) {
        frag_any(f, 1);
    } else if (c == 'R') {
        frag_any(f, 2);
    } else if (c == 'X') {
        frag_any(f, LITERAL_UNBOUNDED);
    } else if (strchr("bBAzZGE", c)) {
        frag_empty(f);      /* assertions, and a \E without its \Q */
    } else if (c == 'Q') {
        parse_quoted(lp, caseless, f);
    } else if (c == 'x') {
        lex_lit_char(lp, parse_hex(lp), caseless, off, f);
    } else if (ctl >= 0) {
        lex_lit_char(lp, (uint32_t)ctl, caseless, off, f);
    } else if (c >= '1' && c <= '9') {
        size_t ignored;
        lp->p--;
        lex_read_uint(lp, &ignored);
        frag_any(f, LITERAL_UNBOUNDED);     /* a back reference (or octal: either way, unknown) */
    } else if (c == 'g' || c == 'k') {
        skip_ref(lp);
        frag_any(f, LITERAL_UNBOUNDED);
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '0') {
        lp->bail = true;                    /* \K, \c, \o, \0, \u, ...: not worth reading */
    } else {
        lp->p--;
        lex_lit_char(lp, lex_next_cp(lp), caseless, off, f);
    }
}
