/* rules_redact — rules_redact (rules.h): personal data found by the redaction rules replaced
 * by their placeholders.
 *
 * One scan of the normalized text for the literals of the redaction rules picks the rules to
 * run (plus those that have none); each runs over the whole text, its matches checked by
 * their validator (pii.h) and mapped back to the original text; the spans that do not overlap
 * (earliest, then longest, first) are replaced. Everything else is byte for byte the original.
 */
#include "rules.h"

#include <stdint.h>
#include <stdlib.h>

#include "ac.h"
#include "norm.h"
#include "pii.h"
#include "rules_int.h"
#include "text.h"

/* A match to replace, in bytes of the original text. */
struct span {
    size_t start, end, rule;
};

static int add_span(struct scratch *sc, size_t start, size_t end, size_t rule)
{
    struct span *s = buf_array_grow(sc->spans, &sc->spancap, sc->nspans + 1, sizeof *s);
    if (!s)
        return -1;
    sc->spans = s;
    sc->spans[sc->nspans++] = (struct span){start, end, rule};
    return 0;
}

/* The offset of the character after the one at i. */
static size_t next_char(const char *s, size_t len, size_t i)
{
    do
        i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80);
    return i;
}

/* Collects the validated matches of redaction rule r as spans of the original text. */
static int find_pii(const struct ruleset *rs, struct scratch *sc, const char *s, size_t len,
                    size_t r)
{
    const struct rule *ru = &rs->rules[r];
    size_t at = 0, ms, me;
    while (at <= len) {
        enum rules_outcome o = rules_run(rs, sc, r, s, len, at, REGEX_NO_LIMIT, &ms, &me);
        if (o != RULES_HIT)
            return 0;
        if (me > ms && pii_valid(ru->validate, s + ms, me - ms)) {
            size_t os = ms, oe = me;
            if (!rs->raw)
                norm_span(&sc->norm, ms, me, &os, &oe);
            if (add_span(sc, os, oe, r) < 0)
                return -1;
            at = me;
        } else {
            /* a number that fails its check may hide a valid one starting inside it */
            if (ms >= len)
                return 0;
            at = next_char(s, len, ms);
        }
    }
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;    /* the longer first */
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Writes text with the non-overlapping spans (earliest, then longest, first) replaced. */
static char *splice(const struct ruleset *rs, struct scratch *sc, const char *text, size_t len,
                    size_t *outlen, size_t *nredacted)
{
    if (sc->nspans > 1)
        qsort(sc->spans, sc->nspans, sizeof *sc->spans, cmp_span);
    struct buf out = {0};
    buf_add(&out, "", 0);
    size_t at = 0, n = 0;
    for (size_t i = 0; i < sc->nspans; i++) {
        const struct span *sp = &sc->spans[i];
        if (sp->start < at)
            continue;
        buf_add(&out, text + at, sp->start - at);
        buf_puts(&out, rs->rules[sp->rule].placeholder);
        at = sp->end;
        n++;
    }
    buf_add(&out, text + at, len - at);
    if (out.oom) {
        buf_free(&out);
        return NULL;
    }
    if (outlen)
        *outlen = out.len;
    if (nredacted)
        *nredacted = n;
    return out.p;
}

static int on_redact_literal(uint32_t id, size_t end, void *ctx)
{
    (void)end;
    *(uint64_t *)ctx |= (uint64_t)1 << id;
    return 0;
}

/* Runs the redaction rules whose literal the text holds (one scan), and those that have
 * none. */
char *rules_redact_only(const struct ruleset *rs, const char *text, size_t len, size_t *outlen,
                        size_t *nredacted, size_t only)
{
    struct scratch *sc = rules_scratch_get(rs->n);
    if (!sc)
        return NULL;
    const char *s = text;
    size_t slen = len;
    if (rs->raw ? !text_utf8_valid(text, len) : norm_text(&sc->norm, text, len) < 0)
        return NULL;
    if (!rs->raw) {
        s = sc->norm.s;
        slen = sc->norm.len;
    }
    sc->nspans = 0;
    uint64_t present = rs->redact_always;
    ac_scan(rs->redact_ac, s, slen, on_redact_literal, &present);
    for (size_t i = 0; i < rs->nredact; i++) {
        if (i < 64 && !(present >> i & 1))
            continue;
        if ((only == SIZE_MAX || rs->redact[i] == only) &&
            find_pii(rs, sc, s, slen, rs->redact[i]) < 0)
            return NULL;
    }
    return splice(rs, sc, text, len, outlen, nredacted);
}

char *rules_redact(const struct ruleset *rs, const char *text, size_t len, size_t *outlen,
                   size_t *nredacted)
{
    return rules_redact_only(rs, text, len, outlen, nredacted, SIZE_MAX);
}
