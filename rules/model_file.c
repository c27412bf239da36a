/* model_file — the stored form of a model (model_save, model_load and the file helpers of
 * model.h). Our own format rather than LIBLINEAR's text files: those are slow to parse, carry
 * none of our metadata, and reading them means trusting their bytes. All numbers are
 * little-endian:
 *
 *   "JBMODEL\0"                     magic, 8 bytes
 *   u32 version (MODEL_FILE_VERSION), u32 features version, u32 bits, u32 classes
 *   u16 label length, label bytes
 *   per class: u8 code length, code, f64 threshold, f64 precision, f64 recall,
 *              f64 false hits, u32 examples, f32 bias
 *   f32 idf step, f32 largest weight (the scales of the codes, model_impl.h)
 *   u32 rows: slots that some training text had (inverse document frequency not 0)
 *   bitmap of those slots, 2^bits / 8 bytes, slot s at bit s % 8 of byte s / 8
 *   per row, slot by slot: u8 inverse document frequency code (not 0), then classes x i8
 *   weight codes
 *   u32 CRC-32 (IEEE) of everything before it
 *
 * model_load checks every length against what is left, the checksum, and every value (codes
 * known and distinct, numbers finite and in range), so foreign or damaged bytes give an error,
 * never a crash or a half-made model. */
#include "model_impl.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "text.h"

#define MODEL_MAGIC "JBMODEL"   /* with its NUL: 8 bytes */
#define MODEL_FILE_VERSION 2     /* 1: float weights */
#define MODEL_FILE_MAX (1L << 30)
#define MODEL_WEIGHT_MAX 1e6f   /* trained ones stay under 100; far larger would overflow sums */

/* The CRC-32 (IEEE) of the len bytes at p, by zlib: the stored form's checksum. */
static uint32_t checksum(const unsigned char *p, size_t len)
{
    uLong c = crc32(0L, Z_NULL, 0);
    for (size_t at = 0; at < len;) {     /* zlib takes a uInt length */
        uInt n = len - at > 1u << 30 ? 1u << 30 : (uInt)(len - at);
        c = crc32(c, p + at, n);
        at += n;
    }
    return (uint32_t)c;
}

static void put_u(struct buf *out, uint64_t v, int bytes)
{
    unsigned char b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    buf_add(out, b, (size_t)bytes);
}

static void put_f32(struct buf *out, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_u(out, u, 4);
}

static void put_f64(struct buf *out, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    put_u(out, u, 8);
}


int model_save(const struct model *m, struct buf *out)
{
    size_t start = out->len, slots = (size_t)1 << m->bits;
    if (!m->packed)
        return -1;      /* model_train packs what it returns */
    buf_add(out, MODEL_MAGIC, 8);
    put_u(out, MODEL_FILE_VERSION, 4);
    put_u(out, m->featver, 4);
    put_u(out, m->bits, 4);
    put_u(out, m->nclass, 4);
    size_t ll = strlen(m->label);
    put_u(out, ll, 2);
    buf_add(out, m->label, ll);
    for (unsigned k = 0; k < m->nclass; k++) {
        size_t cl = strlen(m->cls[k]);
        put_u(out, cl, 1);
        buf_add(out, m->cls[k], cl);
        put_f64(out, m->thr[k]);
        put_f64(out, m->q[k].precision);
        put_f64(out, m->q[k].recall);
        put_f64(out, m->q[k].false_hits);
        put_u(out, m->q[k].examples, 4);
        put_f32(out, m->bias[k]);
    }
    put_f32(out, m->idf_step);
    put_f32(out, m->wmax);
    put_u(out, m->rows, 4);
    for (size_t w = 0; w < slots / 64; w++)
        put_u(out, m->word[w].used, 8);      /* little-endian: slot s at bit s % 8 of byte s / 8 */
    buf_add(out, m->packed, m->rows * (m->nclass + 1));
    if (!out->oom)
        put_u(out, checksum((const unsigned char *)out->p + start, out->len - start), 4);
    return out->oom ? -1 : 0;
}

/* A reader over bytes whose length was checked: every get fails once past the end. */
struct reader {
    const unsigned char *p;
    size_t left;
    bool bad;
};

static const unsigned char *take(struct reader *r, size_t n)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint64_t get_u(struct reader *r, int bytes)
{
    const unsigned char *p = take(r, (size_t)bytes);
    uint64_t v = 0;
    for (int i = bytes - 1; p && i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static float get_f32(struct reader *r)
{
    uint32_t u = (uint32_t)get_u(r, 4);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static double get_f64(struct reader *r)
{
    uint64_t u = get_u(r, 8);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static bool unit(double d)
{
    return d >= 0 && d <= 1;    /* false for NaN */
}

/* Reads class k of m. Returns an error message, or NULL. */
static const char *load_class(struct model *m, unsigned k, struct reader *r)
{
    size_t cl = (size_t)get_u(r, 1);
    const unsigned char *code = take(r, cl);
    char name[32];
    if (!code || cl >= sizeof name)
        return "truncated";
    if (memchr(code, '\0', cl))
        return "a class that is not a category";
    memcpy(name, code, cl);
    name[cl] = '\0';
    if (!(m->cls[k] = model_class_code(name)))
        return "a class that is not a category";
    for (unsigned j = 0; j < k; j++)
        if (m->cls[j] == m->cls[k])
            return "a class twice";
    m->thr[k] = get_f64(r);
    m->q[k].precision = get_f64(r);
    m->q[k].recall = get_f64(r);
    m->q[k].false_hits = get_f64(r);
    m->q[k].examples = (size_t)get_u(r, 4);
    m->bias[k] = get_f32(r);
    if (r->bad)
        return "truncated";
    if (!unit(m->thr[k]) || !unit(m->q[k].precision) || !unit(m->q[k].recall) ||
        !unit(m->q[k].false_hits) || !(fabsf(m->bias[k]) <= MODEL_WEIGHT_MAX))
        return "a number out of range";
    return NULL;
}

/* Reads the scales, the bitmap and the weight codes. Returns an error message, or NULL. */
static const char *load_weights(struct model *m, struct reader *r)
{
    m->idf_step = get_f32(r);
    m->wmax = get_f32(r);
    if (r->bad)
        return "truncated";
    /* An idf is at most log(n + 1) + 1 < 50 (255 steps); a weight at most MODEL_WEIGHT_MAX. */
    if (!(m->idf_step > 0 && m->idf_step <= 1) || !(m->wmax > 0 && m->wmax <= MODEL_WEIGHT_MAX))
        return "a scale out of range";
    model_book(m);
    size_t slots = (size_t)1 << m->bits, rows = (size_t)get_u(r, 4), stride = m->nclass + 1;
    for (size_t w = 0; w < slots / 64; w++)
        m->word[w].used = get_u(r, 8);
    if (r->bad || rows > slots || r->left != rows * stride)
        return "truncated, or a wrong length";
    if (model_rows(m) != 0)
        return "out of memory";
    if (m->rows != rows)
        return "not as many rows as said";
    const unsigned char *q = take(r, rows * stride);
    if (!q && rows)
        return "truncated";
    for (size_t i = 0; i < rows; i++)
        if (q[i * stride] == 0)
            return "a document frequency out of range";
    if (rows)
        memcpy(m->packed, q, rows * stride);    /* every weight code is a weight */
    return NULL;
}

struct model *model_load(const void *p, size_t len, char *err, size_t errlen)
{
    const unsigned char *b = p;
    const char *why = NULL;
    struct model *m = NULL;
    if (len < 8 + 16 + 4 || memcmp(b, MODEL_MAGIC, 8) != 0) {
        snprintf(err, errlen, "not a jubao model");
        return NULL;
    }
    uint32_t sum = (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 |
                   (uint32_t)b[len - 2] << 16 | (uint32_t)b[len - 1] << 24;
    if (checksum(b, len - 4) != sum) {
        snprintf(err, errlen, "bad checksum (damaged or cut short)");
        return NULL;
    }
    struct reader r = {b + 8, len - 12, false};
    unsigned version = (unsigned)get_u(&r, 4), featver = (unsigned)get_u(&r, 4);
    unsigned bits = (unsigned)get_u(&r, 4), nclass = (unsigned)get_u(&r, 4);
    if (version != MODEL_FILE_VERSION || featver != FEATVEC_VERSION) {
        snprintf(err, errlen, "model format %u, features %u: this build reads %d, %d", version,
                 featver, MODEL_FILE_VERSION, FEATVEC_VERSION);
        return NULL;
    }
    /* The sizes are checked against the bytes before anything is allocated: a few bytes
     * must not make us allocate the gigabyte a model of 2^24 slots would take. */
    if (bits < FEATVEC_MIN_BITS || bits > FEATVEC_MAX_BITS || nclass < 2 ||
        nclass > MODEL_MAX_CLASSES || r.left < ((size_t)1 << bits) / 8) {
        snprintf(err, errlen, "bad model: bad size");
        return NULL;
    }
    if (!(m = model_alloc(bits, nclass, true))) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t ll = (size_t)get_u(&r, 2);
    const unsigned char *label = take(&r, ll);
    if (!label || ll >= sizeof m->label || !text_utf8_valid((const char *)label, ll) ||
        text_has_controls((const char *)label, ll, false))
        why = "bad label";
    else
        memcpy(m->label, label, ll);
    for (unsigned k = 0; !why && k < nclass; k++)
        why = load_class(m, k, &r);
    if (!why)
        why = load_weights(m, &r);
    if (why) {
        snprintf(err, errlen, "bad model: %s", why);
        model_free(m);
        return NULL;
    }
    return m;
}

struct model *model_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct buf b = {0};
    char chunk[1 << 16];
    size_t n;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= (size_t)MODEL_FILE_MAX)
        buf_add(&b, chunk, n);
    bool bad = ferror(f) || b.oom || b.len > (size_t)MODEL_FILE_MAX;
    fclose(f);
    struct model *m = NULL;
    if (bad)
        snprintf(err, errlen, "%s: cannot read it (or too large)", path);
    else if (!(m = model_load(b.p, b.len, err, errlen))) {
        char why[256];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s: %s", path, why);
    }
    buf_free(&b);
    return m;
}

int model_write_file(const struct model *m, const char *path, char *err, size_t errlen)
{
    struct buf b = {0};
    if (model_save(m, &b) != 0) {
        buf_free(&b);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(b.p, 1, b.len, f) == b.len;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    buf_free(&b);
    return ok ? 0 : -1;
}
