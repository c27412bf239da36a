/* regex — see regex.h. The only file that includes pcre2.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* The JIT spends at most about 2.5 ns per unit of match limit (measured on (\w+\s?)+$ and
 * (a|aa)+$, the worst we found), so 200,000 bounds a search at about half a millisecond on any
 * input; tests/unit/test_rules.c holds that line on 5,000 characters. The bench corpus shows
 * that no ordinary rule on ordinary text comes near it. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 2000        /* these two bind only the interpreter, when JIT is missing */
#define HEAP_LIMIT_KIB 4096
#define JIT_STACK_MIN (32 * 1024)
#define JIT_STACK_MAX (256 * 1024)

struct regex {
    pcre2_code *code;
    bool jit;                   /* JIT-compiled; otherwise the interpreter runs it */
};

struct regex_scratch {
    pcre2_match_data *md;
    pcre2_match_context *mc;
    pcre2_jit_stack *js;
};

static uint32_t compile_options(const char *flags)
{
    uint32_t o = PCRE2_UTF | PCRE2_UCP | PCRE2_USE_OFFSET_LIMIT | PCRE2_NEVER_BACKSLASH_C;
    for (const char *p = flags; *p; p++)
        o |= *p == 'i' ? PCRE2_CASELESS : *p == 'm' ? PCRE2_MULTILINE : *p == 's' ? PCRE2_DOTALL
           : *p == 'x' ? PCRE2_EXTENDED : *p == 'n' ? PCRE2_NO_AUTO_CAPTURE
           : *p == 'U' ? PCRE2_UNGREEDY : 0;
    return o;
}

struct regex *regex_compile(const char *pattern, const char *flags, char *err, size_t errlen,
                            size_t *erroff)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   compile_options(flags), &code, &off, NULL);
    if (!re) {
        regex_error_text(code, err, errlen);
        *erroff = off;
        return NULL;
    }
    struct regex *rx = malloc(sizeof *rx);
    if (!rx) {
        pcre2_code_free(re);
        snprintf(err, errlen, "out of memory");
        *erroff = 0;
        return NULL;
    }
    rx->code = re;
    rx->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    return rx;
}

void regex_free(struct regex *rx)
{
    if (!rx)
        return;
    pcre2_code_free(rx->code);
    free(rx);
}

void regex_scratch_free(struct regex_scratch *sc)
{
    if (!sc)
        return;
    pcre2_match_data_free(sc->md);
    pcre2_match_context_free(sc->mc);
    pcre2_jit_stack_free(sc->js);
    free(sc);
}

struct regex_scratch *regex_scratch_new(void)
{
    struct regex_scratch *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->md = pcre2_match_data_create(1, NULL);
    sc->mc = pcre2_match_context_create(NULL);
    sc->js = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
    if (!sc->md || !sc->mc || !sc->js) {
        regex_scratch_free(sc);
        return NULL;
    }
    pcre2_jit_stack_assign(sc->mc, NULL, sc->js);
    pcre2_set_match_limit(sc->mc, MATCH_LIMIT);
    pcre2_set_depth_limit(sc->mc, DEPTH_LIMIT);
    pcre2_set_heap_limit(sc->mc, HEAP_LIMIT_KIB);
    return sc;
}

/* The ways a search can be stopped for costing too much. */
static bool is_limit(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
           rc == PCRE2_ERROR_NOMEMORY;
}

enum regex_outcome regex_match(const struct regex *rx, struct regex_scratch *sc, const char *s,
                               size_t len, size_t start, size_t limit, struct regex_match *m)
{
    pcre2_set_offset_limit(sc->mc, limit == REGEX_NO_LIMIT ? PCRE2_UNSET : limit);
    int rc = rx->jit ? pcre2_jit_match(rx->code, (PCRE2_SPTR)s, len, start, 0, sc->md, sc->mc)
                     : pcre2_match(rx->code, (PCRE2_SPTR)s, len, start, PCRE2_NO_UTF_CHECK,
                                   sc->md, sc->mc);
    if (rc >= 0) {
        /* \K in a lookahead can put the end before the start: the span is then empty */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
        *m = (struct regex_match){.start = ov[0], .end = ov[1] > ov[0] ? ov[1] : ov[0]};
        return REGEX_HIT;
    }
    if (rc == PCRE2_ERROR_NOMATCH)
        return REGEX_MISS;
    *m = (struct regex_match){.code = rc};
    return is_limit(rc) ? REGEX_LIMIT : REGEX_ERROR;
}

void regex_error_text(int code, char *buf, size_t len)
{
    /* a message cut to len is still written; only an unknown code leaves buf untouched */
    if (pcre2_get_error_message(code, (PCRE2_UCHAR *)buf, len) == PCRE2_ERROR_BADDATA && len)
        snprintf(buf, len, "PCRE2 error %d", code);
}
