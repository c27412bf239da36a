/* norm — see norm.h.
 *
 * Why cutting is safe: NFKC + case folding of a text equals the concatenation of the pieces'
 * normalizations whenever each cut lies before a character that (a) has combining class 0,
 * (b) normalizes to characters that never compose with what precedes them, and (c) has no
 * context-dependent folding. The cut-safe characters below are such: ASCII, CJK ideographs,
 * the full-width ASCII forms (U+FF01..FF5E, which become ASCII), the ideographic space and the
 * common CJK and typographic punctuation. A piece is one cut-safe character and every other
 * character up to the next cut-safe one (so "e" + U+0301 stay together and compose).
 * tests/unit/test_rules_norm.c checks the result against text_normalize() on every one of
 * these code points and on random mixtures of scripts, marks and jamo.
 *
 * Map: pieces whose bytes were copied one for one are merged into "linear" segments (offsets
 * map exactly); any other piece is a segment of its own and maps as a whole.
 */
#include "norm.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

struct norm_seg {
    size_t norm, orig;          /* where the segment starts in each text */
    bool linear;
};

static bool identity_punct(unsigned cp)
{
    return (cp >= 0x3001 && cp <= 0x3003) || (cp >= 0x3008 && cp <= 0x3011) ||
           (cp >= 0x3014 && cp <= 0x301F) || cp == 0x2014 || cp == 0x2018 || cp == 0x2019 ||
           cp == 0x201C || cp == 0x201D || cp == 0x00B7;
}

static bool cjk(unsigned cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
}

bool norm_cut_safe(unsigned cp)
{
    return cp < 0x80 || cjk(cp) || identity_punct(cp) || (cp >= 0xFF01 && cp <= 0xFF5E) ||
           cp == 0x3000;
}
static int reserve(struct norm *n, size_t more)
{
    if (n->len + more + 1 <= n->cap)
        return 0;
    size_t cap = n->cap ? n->cap : 256;
    while (cap < n->len + more + 1)
        cap *= 2;
    char *p = realloc(n->s, cap);
    if (!p)
        return -1;
    n->s = p;
    n->cap = cap;
    return 0;
}

/* Starts a segment at the current ends of both texts, or extends the last linear one. */
static int add_seg(struct norm *n, size_t orig, bool linear)
{
    if (linear && n->nseg && n->seg[n->nseg - 1].linear)
        return 0;
    struct norm_seg *s = buf_array_grow(n->seg, &n->segcap, n->nseg + 1, sizeof *s);
    if (!s)
        return -1;
    n->seg = s;
    n->seg[n->nseg++] = (struct norm_seg){n->len, orig, linear};
    return 0;
}

/* Normalizes the piece [i, j) of s, which starts with a character that is not copied as is. */
static int slow_piece(struct norm *n, const char *s, size_t i, size_t j)
{
    size_t m = 0;
    char *out = text_normalize(s + i, j - i, &m);
    if (!out || add_seg(n, i, false) < 0 || reserve(n, m) < 0) {
        free(out);
        return -1;
    }
    memcpy(n->s + n->len, out, m);
    n->len += m;
    free(out);
    return 0;
}

/* The inline forms: a cut-safe character alone in its piece. Returns 0, or -1 when out of
 * memory. */
static int fast_piece(struct norm *n, const unsigned char *p, size_t clen, unsigned cp,
                      size_t orig)
{
    if (reserve(n, clen) < 0)
        return -1;
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        cp -= 0xFEE0;
    else if (cp == 0x3000)
        cp = ' ';
    else {
        if (add_seg(n, orig, true) < 0)
            return -1;
        if (clen == 1)
            n->s[n->len++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        else {
            memcpy(n->s + n->len, p, clen);
            n->len += clen;
        }
        return 0;
    }
    if (add_seg(n, orig, false) < 0)
        return -1;
    n->s[n->len++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return 0;
}

int norm_text(struct norm *n, const char *s, size_t len)
{
    n->len = n->nseg = 0;
    n->origlen = len;
    if (!text_utf8_valid(s, len) || reserve(n, 0) < 0)
        return -1;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t clen, j, k;
        unsigned cp = text_utf8_decode(u + i, &clen);
        for (j = i + clen; j < len && !norm_cut_safe(text_utf8_decode(u + j, &k)); j += k)
            ;
        int rc = j == i + clen && norm_cut_safe(cp) ? fast_piece(n, u + i, clen, cp, i)
                                                     : slow_piece(n, s, i, j);
        if (rc < 0)
            return -1;
        i = j;
    }
    n->s[n->len] = '\0';
    return 0;
}

/* The segment holding normalized offset off (the last one starting at or before it). */
static size_t find_seg(const struct norm *n, size_t off)
{
    size_t lo = 0, hi = n->nseg;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (n->seg[mid].norm <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void norm_span(const struct norm *n, size_t ns, size_t ne, size_t *os, size_t *oe)
{
    if (n->nseg == 0) {
        *os = *oe = 0;
        return;
    }
    size_t a = find_seg(n, ns);
    const struct norm_seg *sa = &n->seg[a];
    *os = sa->linear ? sa->orig + (ns - sa->norm) : sa->orig;
    if (ne <= ns) {
        *oe = *os;
        return;
    }
    size_t b = find_seg(n, ne - 1);
    const struct norm_seg *sb = &n->seg[b];
    if (sb->linear)
        *oe = sb->orig + (ne - sb->norm);
    else
        *oe = b + 1 < n->nseg ? n->seg[b + 1].orig : n->origlen;
}

void norm_free(struct norm *n)
{
    free(n->s);
    free(n->seg);
    memset(n, 0, sizeof *n);
}
