/* ac — see ac.h.
 *
 * The table holds, for each state and byte class, the next state's row offset (state * ncls),
 * with the top bit set when that state reports literals, so that the scan loop is one load
 * and one add per byte and touches the output lists only on a hit.
 */
#include "ac.h"
#include "buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define OUT_BIT 0x80000000u

struct lit {
    uint32_t id, len;
    size_t off;                 /* into bytes */
};

struct ac {
    bool built;
    /* literals, until built */
    struct lit *lits;
    size_t nlits, litcap;
    unsigned char *bytes;
    size_t nbytes, bytecap;
    /* the automaton */
    uint8_t cls[256];
    uint32_t ncls, nstates;
    uint32_t *table;            /* nstates * ncls */
    uint32_t *out_start;        /* per state: its first entry in outs */
    uint32_t *out_count;        /* per state: how many */
    uint32_t *outs;
};

struct ac *ac_new(void)
{
    return calloc(1, sizeof(struct ac));
}

void ac_free(struct ac *ac)
{
    if (!ac)
        return;
    free(ac->lits);
    free(ac->bytes);
    free(ac->table);
    free(ac->out_start);
    free(ac->out_count);
    free(ac->outs);
    free(ac);
}

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

int ac_add(struct ac *ac, const void *lit, size_t len, uint32_t id)
{
    if (ac->built || len == 0 || len > UINT32_MAX)
        return -1;
    void *lits = buf_array_grow(ac->lits, &ac->litcap, ac->nlits + 1, sizeof *ac->lits);
    if (lits)
        ac->lits = lits;
    void *bytes = lits ? buf_array_grow(ac->bytes, &ac->bytecap, ac->nbytes + len, 1) : NULL;
    if (!bytes)
        return -1;
    ac->bytes = bytes;
    for (size_t i = 0; i < len; i++)
        ac->bytes[ac->nbytes + i] = fold(((const unsigned char *)lit)[i]);
    ac->lits[ac->nlits++] = (struct lit){id, (uint32_t)len, ac->nbytes};
    ac->nbytes += len;
    return 0;
}

/* Gives every byte used by a literal its own class; all other bytes share class 0. */
static void make_classes(struct ac *ac)
{
    memset(ac->cls, 0, sizeof ac->cls);
    ac->ncls = 1;
    for (size_t i = 0; i < ac->nbytes; i++)
        if (!ac->cls[ac->bytes[i]])
            ac->cls[ac->bytes[i]] = (uint8_t)ac->ncls++;
    for (int c = 'A'; c <= 'Z'; c++)
        ac->cls[c] = ac->cls[c + 32];
}

/* The trie of all literals; its edges are the table's non-zero entries (no edge leads back to
 * the root in a trie). own[state] lists the literals ending there, as a chain through next[]. */
static void build_trie(struct ac *ac, uint32_t *own, uint32_t *next)
{
    ac->nstates = 1;
    for (size_t i = 0; i < ac->nlits; i++) {
        const struct lit *l = &ac->lits[i];
        uint32_t s = 0;
        for (uint32_t k = 0; k < l->len; k++) {
            uint32_t *t = &ac->table[(size_t)s * ac->ncls + ac->cls[ac->bytes[l->off + k]]];
            if (!*t)
                *t = ac->nstates++;
            s = *t;
        }
        next[i] = own[s];
        own[s] = (uint32_t)i + 1;
    }
}

/* Breadth-first: fills the missing transitions from the failure links and collects each
 * state's outputs (its own literals, then those of its failure state: BFS order makes the
 * failure state's list complete before it is copied). */
static int build_links(struct ac *ac, const uint32_t *own, const uint32_t *next)
{
    uint32_t *queue = malloc(ac->nstates * sizeof *queue);
    uint32_t *fail = calloc(ac->nstates, sizeof *fail);
    ac->out_start = calloc(ac->nstates, sizeof *ac->out_start);
    ac->out_count = calloc(ac->nstates, sizeof *ac->out_count);
    int rc = -1;
    if (!queue || !fail || !ac->out_start || !ac->out_count)
        goto out;
    size_t head = 0, tail = 0, nouts = 0;
    queue[tail++] = 0;
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t i = own[u]; i; i = next[i - 1])
            ac->out_count[u]++;
        if (u)
            ac->out_count[u] += ac->out_count[fail[u]];
        nouts += ac->out_count[u];
        uint32_t *row = &ac->table[(size_t)u * ac->ncls];
        const uint32_t *frow = &ac->table[(size_t)fail[u] * ac->ncls];
        for (uint32_t c = 0; c < ac->ncls; c++) {
            if (row[c]) {
                fail[row[c]] = u ? frow[c] : 0;
                queue[tail++] = row[c];
            } else {
                row[c] = u ? frow[c] : 0;
            }
        }
    }
    if (nouts > UINT32_MAX || !(ac->outs = malloc((nouts ? nouts : 1) * sizeof *ac->outs)))
        goto out;
    uint32_t k = 0;
    for (size_t q = 0; q < tail; q++) {
        uint32_t u = queue[q];
        ac->out_start[u] = k;
        for (uint32_t i = own[u]; i; i = next[i - 1])
            ac->outs[k++] = ac->lits[i - 1].id;
        if (u)
            for (uint32_t j = 0; j < ac->out_count[fail[u]]; j++)
                ac->outs[k++] = ac->outs[ac->out_start[fail[u]] + j];
    }
    rc = 0;
out:
    free(queue);
    free(fail);
    return rc;
}

/* Turns state numbers into row offsets, flagging the states that report. */
static void encode_table(struct ac *ac)
{
    size_t n = (size_t)ac->nstates * ac->ncls;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = ac->table[i];
        ac->table[i] = s * ac->ncls | (ac->out_count[s] ? OUT_BIT : 0);
    }
}

int ac_build(struct ac *ac)
{
    if (ac->built)
        return -1;
    make_classes(ac);
    size_t maxstates = ac->nbytes + 1;
    if (maxstates * ac->ncls >= OUT_BIT)
        return -1;
    uint32_t *own = calloc(maxstates, sizeof *own);
    uint32_t *next = malloc((ac->nlits ? ac->nlits : 1) * sizeof *next);
    ac->table = calloc(maxstates * ac->ncls, sizeof *ac->table);
    int rc = -1;
    if (own && next && ac->table) {
        build_trie(ac, own, next);
        rc = build_links(ac, own, next);
    }
    if (rc == 0) {
        encode_table(ac);
        uint32_t *t = realloc(ac->table, (size_t)ac->nstates * ac->ncls * sizeof *t);
        ac->table = t ? t : ac->table;
        ac->built = true;
        free(ac->lits);
        free(ac->bytes);
        ac->lits = NULL;
        ac->bytes = NULL;
    }
    free(own);
    free(next);
    return rc;
}

int ac_scan(const struct ac *ac, const void *s, size_t len, ac_fn fn, void *ctx)
{
    if (!ac->built || ac->nstates <= 1)
        return 0;
    const unsigned char *p = s;
    const uint32_t *table = ac->table;
    const uint8_t *cls = ac->cls;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        v = table[(v & ~OUT_BIT) + cls[p[i]]];
        if (v & OUT_BIT) {
            uint32_t st = (v & ~OUT_BIT) / ac->ncls;
            const uint32_t *o = ac->outs + ac->out_start[st];
            for (uint32_t j = 0; j < ac->out_count[st]; j++) {
                int rc = fn(o[j], i + 1, ctx);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

void ac_stats(const struct ac *ac, size_t *states, size_t *bytes)
{
    *states = ac->nstates;
    *bytes = (size_t)ac->nstates * ac->ncls * sizeof *ac->table;
}
