/* featvec — see featvec.h. Hashing is FNV-1a over code points or bytes, finished by
 * MurmurHash3's 64-bit mixer and cut to the top bits: fast, and good enough that collisions
 * are noise, not bias. Each kind of feature (1-, 2-, 3-gram, word, word pair, named) starts
 * from its own seed, so that "ab" as a word and as a bigram land apart. */
#include "featvec.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define NGRAM_MAX 3

enum { SEED_GRAM = 1, SEED_WORD = 11, SEED_PAIR = 12, SEED_NAMED = 13, SEED_MARK = 14,
       SEED_LENGTH = 15, SEED_SHAPE = 16 };

#define SHAPE_VALUE 1.0f    /* a shape's count before damping, against 1 for an n-gram */

static bool is_space_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t fnv(uint64_t h, uint32_t c)
{
    return (h ^ c) * FNV_PRIME;
}

void featvec_init(struct featvec *f, unsigned bits)
{
    *f = (struct featvec){.bits = bits};
}

void featvec_free(struct featvec *f)
{
    free(f->idx);
    free(f->val);
    free(f->tab);
    featvec_init(f, f->bits);
}

/* (Re)builds the table that finds a slot's entry: 2 * cap positions, each an entry + 1 or 0. */
static int index_entries(struct featvec *f)
{
    size_t tcap = 64;
    while (tcap < 2 * f->cap)
        tcap *= 2;
    if (tcap != f->tcap || !f->tab) {
        uint32_t *tab = malloc(tcap * sizeof *tab);
        if (!tab)
            return -1;
        free(f->tab);
        f->tab = tab;
        f->tcap = tcap;
    }
    memset(f->tab, 0, f->tcap * sizeof *f->tab);
    for (size_t i = 0; i < f->n; i++) {
        size_t j = f->idx[i] & (f->tcap - 1);
        while (f->tab[j])
            j = (j + 1) & (f->tcap - 1);
        f->tab[j] = (uint32_t)i + 1;
    }
    return 0;
}

/* Makes room for more entries than there are (at least need in all). */
static int grow(struct featvec *f, size_t need)
{
    size_t cap = f->cap ? f->cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    uint32_t *idx = realloc(f->idx, cap * sizeof *idx);
    if (!idx)
        return -1;
    f->idx = idx;
    float *val = realloc(f->val, cap * sizeof *val);
    if (!val)
        return -1;
    f->val = val;
    f->cap = cap;
    return index_entries(f);
}

/* Makes sure the table exists and one more entry fits. Returns 0 or -1 (out of memory). */
static int make_room(struct featvec *f)
{
    if (!f->tab && index_entries(f) != 0)
        return -1;
    return f->n == f->cap ? grow(f, f->n + 1) : 0;
}

/* Adds v to the entry of the feature hashed h, made when absent: repeats merge as they come,
 * so the vector holds each slot once. The slot is the top bits of a mixed hash, so its low
 * bits place it in the table as they are. */
static inline int add(struct featvec *f, uint64_t h, float v)
{
    uint32_t slot = (uint32_t)(mix(h) >> (64 - f->bits));
    if (__builtin_expect(!f->tab || f->n == f->cap, 0) && make_room(f) != 0)
        return -1;
    size_t mask = f->tcap - 1, j = slot & mask;
    for (uint32_t p; (p = f->tab[j]) != 0; j = (j + 1) & mask)
        if (f->idx[p - 1] == slot) {
            f->val[p - 1] += v;
            return 0;
        }
    f->tab[j] = (uint32_t)f->n + 1;
    f->idx[f->n] = slot;
    f->val[f->n++] = v;
    return 0;
}

/* Decodes the code point at s (valid UTF-8); returns its length. */
static inline size_t decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xE0) {
        *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        return 2;
    }
    if (s[0] < 0xF0) {
        *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        return 3;
    }
    *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
          (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    return 4;
}

/* Letters and digits of the scripts written in words: Latin, Greek, Cyrillic. */
static inline bool is_word_char(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x370 && c <= 0x52F);
}

/* Spaces, punctuation and invisible marks: they end a run of characters. Symbols and emoji
 * are not among them (they are part of how ads are written). */
static bool is_separator(uint32_t c)
{
    if (c < 0x80)
        return true;    /* word characters were taken out before */
    return c < 0xC0 || (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) ||
           (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE30 && c <= 0xFE4F) ||
           (c >= 0xFF00 && c <= 0xFF65) || c == 0xFEFF;
}

struct scan {
    uint32_t gram[NGRAM_MAX];   /* the last characters of the current run, newest first */
    size_t run;                 /* characters in the current run */
    uint64_t word, prev_word;   /* hash of the current and of the previous word */
    bool in_word, have_prev;
};

static int add_char(struct featvec *f, struct scan *sc, uint32_t c)
{
    memmove(sc->gram + 1, sc->gram, (NGRAM_MAX - 1) * sizeof sc->gram[0]);
    sc->gram[0] = c;
    sc->run++;
    uint64_t h = FNV_OFFSET;
    for (size_t k = 0; k < NGRAM_MAX && k < sc->run; k++) {
        h = fnv(h, sc->gram[k]);
        if (add(f, fnv(h, SEED_GRAM + (uint32_t)k), 1) != 0)
            return -1;
    }
    return 0;
}

static int end_word(struct featvec *f, struct scan *sc)
{
    if (!sc->in_word)
        return 0;
    sc->in_word = false;
    if (add(f, fnv(sc->word, SEED_WORD), 1) != 0)
        return -1;
    if (sc->have_prev && add(f, fnv(sc->prev_word * FNV_PRIME ^ sc->word, SEED_PAIR), 1) != 0)
        return -1;
    sc->prev_word = sc->word;
    sc->have_prev = true;
    return 0;
}

/* One feature for the length, by powers of two: short posts and long articles read apart. */
static int add_length(struct featvec *f, size_t len)
{
    uint32_t b = 0;
    for (; len > 1; len >>= 1)
        b++;
    return add(f, fnv(fnv(FNV_OFFSET, b), SEED_LENGTH), 1);
}

int featvec_text(struct featvec *f, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text, *end = s + len;
    struct scan sc = {0};
    /* One allocation for the usual text: a Chinese character (3 bytes) makes at most three
     * features, a Latin word of a few letters two. */
    if (f->cap < f->n + len && grow(f, f->n + len) != 0)
        return -1;
    while (s < end) {
        uint32_t c;
        s += decode(s, &c);
        if (is_word_char(c)) {
            if (!sc.in_word)
                sc.word = FNV_OFFSET;
            sc.in_word = true;
            sc.word = fnv(sc.word, c >= '0' && c <= '9' ? '0' : c);
            sc.run = 0;
            continue;
        }
        if (end_word(f, &sc) != 0)
            return -1;
        if (is_separator(c)) {
            sc.run = 0;
            if (c != ' ' && add(f, fnv(fnv(FNV_OFFSET, c), SEED_MARK), 1) != 0)
                return -1;
            if (c != ' ' && c != '\'' && c != '-')
                sc.have_prev = false;   /* a word pair does not span punctuation */
        } else if (add_char(f, &sc, c) != 0) {
            return -1;
        }
    }
    return end_word(f, &sc) == 0 ? add_length(f, len) : -1;
}

int featvec_named(struct featvec *f, const char *kind, const char *name, float v)
{
    uint64_t h = FNV_OFFSET;
    for (const char *p = kind; *p; p++)
        h = fnv(h, (unsigned char)*p);
    h = fnv(h, ':');
    for (const char *p = name; *p; p++)
        h = fnv(h, (unsigned char)*p);
    return add(f, fnv(h, SEED_NAMED), v);
}

/* ---- shapes of the text as given (featvec_shape) ---------------------------------------- */

/* Decodes the code point at s (len > 0 bytes left), tolerating bad UTF-8 (a stray byte reads
 * as itself); returns its length. */
static size_t decode_raw(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t need = s[0] < 0x80 ? 1 : s[0] < 0xC0 ? 0 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
    if (need == 0 || need > len) {
        *cp = s[0];
        return 1;
    }
    for (size_t k = 1; k < need; k++)
        if ((s[k] & 0xC0) != 0x80) {
            *cp = s[0];
            return 1;
        }
    return decode(s, cp);
}

/* What folding keeps of a code point: letters, digits and CJK characters (their n-grams and
 * words are the model's other features), spaces. Everything else is a mark of the shape. */
static bool is_plain(uint32_t c)
{
    return is_word_char(c) || c == ' ' || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
           (c >= 0xFF41 && c <= 0xFF5A);
}

static int add_shape(struct featvec *f, uint32_t kind, uint32_t c)
{
    return add(f, fnv(fnv(fnv(FNV_OFFSET, kind), c), SEED_SHAPE), SHAPE_VALUE);
}

enum { SHAPE_MARK = 1, SHAPE_DOUBLE, SHAPE_FIRST, SHAPE_LAST, SHAPE_FACE, SHAPE_TOPIC, SHAPE_AT,
       SHAPE_URL, SHAPE_EMOJI };

int featvec_shape(struct featvec *f, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text, *end = s + len;
    uint32_t prev = 0, last_mark = 0;
    const unsigned char *open = NULL, *hash = NULL;     /* the last '[' and '#' seen */
    size_t face_chars = 0;
    bool first = true;
    int rc = 0;
    while (s < end && rc == 0) {
        /* Fast path: a run of ASCII letters, digits and spaces, and CJK of U+4000-U+9FFF
         * (lead bytes E4-E9), most of a text, is plain (outside a possible [face], which
         * counts its characters one by one below). */
        const unsigned char *run = s;
        bool written = false;       /* the run has more than spaces */
        while (!open && s < end) {
            if (*s == ' ' || *s == '\n') {
                s++;
            } else if ((unsigned)((*s | 0x20) - 'a') < 26u || (unsigned)(*s - '0') < 10u) {
                s++;
                written = true;
            } else if (*s >= 0xE4 && *s <= 0xE9 && end - s >= 3 && (s[1] & 0xC0) == 0x80 &&
                       (s[2] & 0xC0) == 0x80) {
                s += 3;
                written = true;
            } else {
                break;
            }
        }
        if (s != run) {
            first = first && !written;
            prev = ' ';             /* any plain character: no mark equals it */
            continue;
        }
        uint32_t c;
        const unsigned char *at = s;
        s += decode_raw(s, (size_t)(end - s), &c);
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (is_plain(c)) {
            first = first && c == ' ';
            if (open)
                face_chars++;
            prev = c;
            continue;
        }
        rc = add_shape(f, SHAPE_MARK, c);
        if (rc == 0 && c == prev)
            rc = add_shape(f, SHAPE_DOUBLE, c);
        if (rc == 0 && first)
            rc = add_shape(f, SHAPE_FIRST, c);
        if (rc == 0 && (c >= 0x1F000 || (c >= 0x2600 && c <= 0x27BF)))
            rc = add_shape(f, SHAPE_EMOJI, 0);
        if (rc == 0 && (c == ']' || c == 0xFF3D) && open && face_chars >= 1 && face_chars <= 4 &&
            at - open <= 16)
            rc = add_shape(f, SHAPE_FACE, 0);
        if (rc == 0 && (c == '#' || c == 0xFF03) && hash && at - hash <= 120 && at - hash > 1)
            rc = add_shape(f, SHAPE_TOPIC, 0);
        if (rc == 0 && (c == '@' || c == 0xFF20) && s < end && !is_space_byte(*s))
            rc = add_shape(f, SHAPE_AT, 0);
        if (rc == 0 && c == ':' && end - s >= 2 && s[0] == '/' && s[1] == '/')
            rc = add_shape(f, SHAPE_URL, 0);
        if (c == '[' || c == 0xFF3B)
            open = at, face_chars = 0;
        else
            open = NULL;
        if (c == '#' || c == 0xFF03)
            hash = hash && at - hash <= 120 ? NULL : at;
        first = false;
        prev = last_mark = c;
    }
    return rc == 0 && last_mark && prev == last_mark ? add_shape(f, SHAPE_LAST, last_mark) : rc;
}

int featvec_finish(struct featvec *f)
{
    double norm = 0;
    for (size_t i = 0; i < f->n; i++) {
        float v = f->val[i];
        v = v > 1 ? 1 + logf(v) : v;
        f->val[i] = v;
        norm += (double)v * v;
    }
    float scale = norm > 0 ? (float)(1 / sqrt(norm)) : 0;
    for (size_t i = 0; i < f->n; i++)
        f->val[i] *= scale;
    free(f->tab);       /* a finished vector is kept (training holds thousands), its table not */
    f->tab = NULL;
    f->tcap = 0;
    return 0;
}

void featvec_weigh(struct featvec *f, const float *weight, size_t stride)
{
    double norm = 0;
    size_t m = 0;
    for (size_t i = 0; i < f->n; i++) {
        float v = f->val[i] * weight[(size_t)f->idx[i] * stride];
        if (v == 0)
            continue;
        f->idx[m] = f->idx[i];
        f->val[m++] = v;
        norm += (double)v * v;
    }
    f->n = m;
    float scale = norm > 0 ? (float)(1 / sqrt(norm)) : 0;
    for (size_t i = 0; i < m; i++)
        f->val[i] *= scale;
    free(f->tab);       /* entries moved: an add after this rebuilds it */
    f->tab = NULL;
    f->tcap = 0;
}
