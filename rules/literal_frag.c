/* literal_frag — see literal_frag.h. */
#include "literal_frag.h"

#include <string.h>

/* ---- sizes and scores ------------------------------------------------------------------ */

size_t frag_sat_add(size_t a, size_t b)
{
    return a > LITERAL_UNBOUNDED - b ? LITERAL_UNBOUNDED : a + b;
}

size_t frag_sat_mul(size_t a, size_t b)
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

int frag_set_score(const struct lstr *v, size_t n)
{
    int min = n ? 1 << 30 : 0;
    for (size_t i = 0; i < n; i++) {
        int s = str_score(&v[i]);
        min = s < min ? s : min;
    }
    return min;
}

/* ---- fragments ------------------------------------------------------------------------- */

void frag_empty(struct frag *f)
{
    f->exact = true;
    f->req = false;
    f->nex = 1;
    f->ex[0].n = 0;
    f->nrq = 0;
    f->maxlen = 0;
}

void frag_any(struct frag *f, size_t maxlen)
{
    f->exact = f->req = false;
    f->nex = f->nrq = 0;
    f->maxlen = maxlen;
}

void frag_bytes(struct frag *f, const unsigned char *b, size_t n)
{
    frag_empty(f);
    memcpy(f->ex[0].b, b, n);
    f->ex[0].n = (uint8_t)n;
    f->maxlen = 1;
}

void frag_offer_req(struct frag *f, const struct lstr *v, size_t n)
{
    if (n == 0 || n > LITERAL_MAX_SET)
        return;
    int s = frag_set_score(v, n);
    if (s == 0)
        return;
    if (f->req) {
        int cur = frag_set_score(f->rq, f->nrq);
        if (s < cur || (s == cur && n >= f->nrq))
            return;
    }
    memcpy(f->rq, v, n * sizeof *v);
    f->nrq = (uint8_t)n;
    f->req = true;
}

bool frag_cross(struct lstr *run, uint8_t *nrun, const struct lstr *ex, size_t nex)
{
    if ((size_t)*nrun * nex > FRAG_SET_MAX)
        return false;
    struct lstr out[FRAG_SET_MAX];
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

/* ---- sequences and alternations -------------------------------------------------------- */

void frag_close_run(struct frag *seq, struct lstr *run, uint8_t *nrun)
{
    frag_offer_req(seq, run, *nrun);
    *nrun = 1;
    run[0].n = 0;
}

void frag_add_exact(struct frag *seq, struct lstr *run, uint8_t *nrun, const struct frag *a,
                    size_t min, size_t max)
{
    for (size_t k = 0; k < min && k < LITERAL_MAX_LEN; k++)
        if (!frag_cross(run, nrun, a->ex, a->nex)) {
            frag_close_run(seq, run, nrun);
            frag_cross(run, nrun, a->ex, a->nex);
        }
    if (max != min) {
        /* what follows comes right after the last repetition, so it starts a new run */
        frag_close_run(seq, run, nrun);
        frag_cross(run, nrun, a->ex, a->nex);
    }
}

void frag_alt_merge(struct frag *a, const struct frag *b)
{
    a->maxlen = a->maxlen > b->maxlen ? a->maxlen : b->maxlen;
    if (a->exact && b->exact && a->nex + b->nex <= FRAG_SET_MAX) {
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
        frag_offer_req(a, a->ex, a->nex);
}
