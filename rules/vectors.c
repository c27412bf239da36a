/* vectors — see vectors.h. The file is read whole and split in place: tabs and newlines become
 * NULs and escapes shrink, so every example points into one buffer. */
#include "vectors.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

#define MAX_FILE (16 << 20)

struct example {
    const char *label, *text, *want;    /* want is NULL for "=" */
    size_t text_len, want_len;
    size_t line;
};

struct examples {
    struct example *ex;
    size_t n, cap;
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The whole file, NUL-terminated, in b. Returns 0, or -1 when it cannot be read. */
static int read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    char tmp[65536];
    size_t n;
    if (!f)
        return -1;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b->len <= MAX_FILE)
        buf_add(b, tmp, n);
    int bad = ferror(f) || b->len > MAX_FILE || b->oom;
    fclose(f);
    if (!bad)
        buf_add(b, "", 0);
    return bad || b->oom ? -1 : 0;
}

/* Undoes \t, \n and \\ in the NUL-terminated s, in place; returns the new length. */
static size_t unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n' || r[1] == '\\')) {
            r++;
            *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : '\\';
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* Splits line (NUL-terminated, writable) into an example. Returns 0, or -1 when it does not
 * have three fields. */
static int parse_line(char *line, size_t lineno, struct example *ex)
{
    char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (!t2 || strchr(t2 + 1, '\t') || t1 == line)
        return -1;
    *t1 = *t2 = '\0';
    ex->label = line;
    ex->text = t1 + 1;
    ex->text_len = unescape(t1 + 1);
    ex->want = strcmp(t2 + 1, "=") == 0 ? NULL : t2 + 1;
    ex->want_len = ex->want ? unescape(t2 + 1) : 0;
    ex->line = lineno;
    return 0;
}

/* Splits the file in b into examples. Returns 0, or -1 with the reason in err. */
static int parse(const char *path, struct buf *b, struct examples *all, char *err, size_t errlen)
{
    char *line = b->p, *end = b->p + b->len;
    for (size_t lineno = 1; line < end; lineno++) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        char *next = nl ? nl + 1 : end;
        if (nl)
            *nl = '\0';
        if (nl && nl > line && nl[-1] == '\r')
            nl[-1] = '\0';
        if (line[0] && line[0] != '#') {
            struct example *ex = buf_array_grow(all->ex, &all->cap, all->n + 1, sizeof *ex);
            if (!ex)
                return fail(err, errlen, "%s: out of memory", path);
            all->ex = ex;
            if (parse_line(line, lineno, &all->ex[all->n]) < 0)
                return fail(err, errlen, "%s:%zu: want LABEL, TAB, TEXT, TAB, EXPECTED", path,
                            lineno);
            all->n++;
        }
        line = next;
    }
    return 0;
}

/* The row of score for label (keep:... labels share "keep"). */
static struct vectors_kind *kind_of(struct vectors_score *s, const char *label)
{
    const char *name = strncmp(label, "keep", 4) == 0 ? "keep" : label;
    for (size_t i = 0; i < s->nkinds; i++)
        if (strcmp(s->kind[i].label, name) == 0)
            return &s->kind[i];
    if (s->nkinds == VECTORS_MAX_KINDS)
        return &s->kind[VECTORS_MAX_KINDS - 1];
    struct vectors_kind *k = &s->kind[s->nkinds++];
    snprintf(k->label, sizeof k->label, "%s", s->nkinds == VECTORS_MAX_KINDS ? "other" : name);
    return k;
}

/* Scores one example. Returns 0, or -1 when redaction failed (bad UTF-8, memory). */
static int score_one(const struct ruleset *rs, const struct example *ex, const char *path,
                     FILE *misses, struct vectors_score *s)
{
    size_t len = 0;
    char *out = rules_redact(rs, ex->text, ex->text_len, &len, NULL);
    if (!out)
        return -1;
    bool keep = strncmp(ex->label, "keep", 4) == 0;
    const char *want = ex->want ? ex->want : ex->text;
    size_t want_len = ex->want ? ex->want_len : ex->text_len;
    bool ok = len == want_len && memcmp(out, want, len) == 0;
    struct vectors_kind *k = kind_of(s, ex->label);
    k->n++;
    k->ok += ok;
    s->bytes += ex->text_len;
    if (keep) {
        s->keep++;
        s->false_hits += !ok;
    } else {
        s->pii++;
        s->caught += ok;
    }
    if (!ok && misses)
        fprintf(misses, "%s:%zu: %s: expected \"%s\" got \"%s\"\n", path, ex->line, ex->label,
                want, out);
    free(out);
    return 0;
}

/* CPU time of this thread: the machines we measure on are shared, and other work there would
 * otherwise count against the rules. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds for `repeat` passes of rules_redact over every example. */
static double time_passes(const struct ruleset *rs, const struct examples *all, unsigned repeat)
{
    double t0 = now();
    for (unsigned r = 0; r < repeat; r++)
        for (size_t i = 0; i < all->n; i++)
            free(rules_redact(rs, all->ex[i].text, all->ex[i].text_len, NULL, NULL));
    return now() - t0;
}

int vectors_score(const struct ruleset *rs, const char *path, unsigned repeat, FILE *misses,
                  struct vectors_score *out, char *err, size_t errlen)
{
    struct buf b = {0};
    struct examples all = {0};
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (read_file(path, &b) < 0) {
        fail(err, errlen, "%s: cannot read it", path);
        goto done;
    }
    if (parse(path, &b, &all, err, errlen) < 0)
        goto done;
    for (size_t i = 0; i < all.n; i++)
        if (score_one(rs, &all.ex[i], path, misses, out) < 0) {
            fail(err, errlen, "%s:%zu: cannot redact (invalid UTF-8?)", path, all.ex[i].line);
            goto done;
        }
    out->seconds = repeat ? time_passes(rs, &all, repeat) : 0;
    rc = 0;
done:
    free(all.ex);
    buf_free(&b);
    return rc;
}

double vectors_recall(const struct vectors_score *s)
{
    return s->pii ? (double)s->caught / (double)s->pii : 0;
}

double vectors_false_rate(const struct vectors_score *s)
{
    return s->keep ? (double)s->false_hits / (double)s->keep : 0;
}

bool vectors_pass(const struct vectors_score *s)
{
    return s->pii > 0 && s->keep > 0 && vectors_recall(s) >= VECTORS_MIN_RECALL &&
           vectors_false_rate(s) <= VECTORS_MAX_FALSE;
}
