/* bench — see bench.h. Single-threaded throughput of three engines over the same corpus:
 *
 *   engine      rules_match (prefilter + windowed regexes), raw text as the peers see it
 *   naive       rules_match with every_rule: pcre2_jit_match of every rule over every report
 *   vectorscan  one hs_scan per report of a database of all rules (block mode, SINGLEMATCH)
 *
 * Only rules that both PCRE2 and Vectorscan compile are used, in all three. The engine and the
 * naive loop must agree exactly (that is the prefilter's correctness); disagreements with
 * Vectorscan, whose semantics differ in corners, are counted and printed.
 */
#include "bench.h"

#include <hs/hs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "norm.h"
#include "rules.h"

#define MAXHITS 64

struct pat {
    char *name, *type, *flags, *re;
    unsigned hs;                /* the Vectorscan flags it compiled with */
};

struct corpus {
    char *data;
    size_t size;
    const char **rep;
    size_t *len, n;
};

/* Hits of one report: rule indices, sorted. */
struct hits {
    uint16_t n;
    uint16_t id[MAXHITS];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    struct buf b = {0};
    char tmp[65536];
    size_t n;
    if (!f)
        return NULL;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_add(&b, tmp, n);
    fclose(f);
    if (b.oom) {
        buf_free(&b);
        return NULL;
    }
    *size = b.len;
    return b.p ? b.p : strdup("");
}

/* Reads "name TAB type TAB flags TAB regex" lines. */
static struct pat *read_patterns(const char *path, size_t *n)
{
    size_t size;
    char *text = read_all(path, &size), *save = NULL;
    struct pat *p = NULL;
    *n = 0;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[4] = {line, NULL, NULL, NULL};
        for (int k = 1; k < 4 && f[k - 1]; k++)
            if ((f[k] = strchr(f[k - 1], '\t')))
                *f[k]++ = '\0';
        if (!f[3] || !*f[3])
            continue;
        p = realloc(p, (*n + 1) * sizeof *p);
        p[(*n)++] = (struct pat){strdup(f[0]), strdup(f[1]), strdup(f[2]), strdup(f[3]), 0};
    }
    free(text);
    return p;
}

static int read_corpus(const char *path, struct corpus *c)
{
    if (!(c->data = read_all(path, &c->size)))
        return -1;
    size_t cap = 0;
    for (size_t i = 0; i < c->size;) {
        const char *z = memchr(c->data + i, '\0', c->size - i);
        size_t len = z ? (size_t)(z - c->data - i) : c->size - i;
        if (len) {
            if (c->n == cap) {
                cap = cap ? cap * 2 : 1024;
                c->rep = realloc(c->rep, cap * sizeof *c->rep);
                c->len = realloc(c->len, cap * sizeof *c->len);
            }
            c->rep[c->n] = c->data + i;
            c->len[c->n++] = len;
        }
        i += len + 1;
    }
    return 0;
}

/* Writes the patterns keep[i] as a rule file for rules_load (RULES_LAX | RULES_RAW). Leading
 * and trailing blanks would be trimmed by the format, so they are written as \x20 / \t. */
static int write_rules(const char *path, const struct pat *p, size_t n, const bool *keep)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (keep && !keep[i])
            continue;
        const char *re = p[i].re, *end = re + strlen(re);
        fprintf(f, "rule %s\ncategory: other\nseverity: low\nfields: description\n"
                   "action: suggest\ndescription: SpamAssassin %s rule\nflags: %s\npattern: ",
                p[i].name, p[i].type, p[i].flags);
        for (; *re == ' ' || *re == '\t'; re++)
            fputs(*re == ' ' ? "\\x20" : "\\t", f);
        const char *tail = end;
        while (tail > re && (tail[-1] == ' ' || tail[-1] == '\t'))
            tail--;
        fwrite(re, 1, (size_t)(tail - re), f);
        for (; tail < end; tail++)
            fputs(*tail == ' ' ? "\\x20" : "\\t", f);
        fputs("\n\n", f);
    }
    return fclose(f);
}

static struct ruleset *load(const char *path, char *err, size_t errlen)
{
    struct ruleset *rs = NULL;
    const char *paths[] = {path};
    return rules_load(&rs, paths, 1, RULES_LAX | RULES_RAW, err, errlen) == 0 ? rs : NULL;
}

static unsigned hs_flags(const char *flags)
{
    unsigned f = HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
    for (; *flags; flags++)
        f |= *flags == 'i' ? HS_FLAG_CASELESS : *flags == 'm' ? HS_FLAG_MULTILINE
           : *flags == 's' ? HS_FLAG_DOTALL : 0;
    return f;
}

/* Vectorscan reads x only inline. */
static char *hs_expr(const struct pat *p)
{
    char *e = NULL;
    if (asprintf(&e, "%s%s", strchr(p->flags, 'x') ? "(?x)" : "", p->re) < 0)
        return NULL;
    return e;
}

static bool hs_try(const char *e, unsigned flags)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    bool ok = hs_compile(e, flags, HS_MODE_BLOCK, NULL, &db, &ce) == HS_SUCCESS;
    hs_free_database(db);
    hs_free_compile_error(ce);
    return ok;
}

/* Compiles p alone, with UCP where Vectorscan accepts it (it rejects \b under UCP), and sets
 * p->hs; 0 when it does not compile at all. */
static unsigned hs_compiles(struct pat *p)
{
    char *e = hs_expr(p);
    unsigned f = hs_flags(p->flags);
    p->hs = !e ? 0 : hs_try(e, f | HS_FLAG_UCP) ? f | HS_FLAG_UCP : hs_try(e, f) ? f : 0;
    free(e);
    return p->hs;
}

static int on_hs_nothing(unsigned id, unsigned long long from, unsigned long long to,
                         unsigned flags, void *ctx)
{
    (void)id, (void)from, (void)to, (void)flags, (void)ctx;
    return 0;
}

/* Scans the corpus with p alone in a child process: Debian 12's Vectorscan 5.4 crashes on a
 * few patterns (a stack overflow inside hs_scan), and those must be dropped, not crash us. */
static bool hs_scans(const struct pat *p, const struct corpus *c)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        hs_database_t *db = NULL;
        hs_compile_error_t *ce = NULL;
        hs_scratch_t *sc = NULL;
        char *e = hs_expr(p);
        if (!e || hs_compile(e, p->hs, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS ||
            hs_alloc_scratch(db, &sc) != HS_SUCCESS)
            _exit(1);
        for (size_t i = 0; i < c->n; i++)
            hs_scan(db, c->rep[i], (unsigned)c->len[i], 0, sc, on_hs_nothing, NULL);
        _exit(0);
    }
    int st = 0;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---- the three runs -------------------------------------------------------------------- */

struct run {
    const char *name;
    double seconds, compile;
    size_t passes, hits;
};

static void record_engine(struct hits *h, const struct rules_result *res)
{
    h->n = 0;
    for (size_t i = 0; i < res->nhits && i < RULES_MAX_HITS && h->n < MAXHITS; i++)
        h->id[h->n++] = (uint16_t)res->hits[i].rule;
}

/* Runs rules_match over the corpus until min_seconds have passed (at least once). */
static void run_engine(const struct ruleset *rs, const struct corpus *c, bool every,
                       double min_seconds, struct hits *out, struct run *r)
{
    double t0 = now();
    do {
        for (size_t i = 0; i < c->n; i++) {
            struct rules_input in = {0};
            struct rules_result res;
            in.text[RULES_DESCRIPTION] = c->rep[i];
            in.len[RULES_DESCRIPTION] = c->len[i];
            in.every_rule = every;
            rules_match(rs, &in, &res);
            if (r->passes == 0) {
                record_engine(&out[i], &res);
                r->hits += res.nhits;
            }
        }
        r->passes++;
    } while (now() - t0 < min_seconds);
    r->seconds = (now() - t0) / (double)r->passes;
}

static int on_hs_match(unsigned id, unsigned long long from, unsigned long long to,
                       unsigned flags, void *ctx)
{
    (void)from, (void)to, (void)flags;
    struct hits *h = ctx;
    if (h->n < MAXHITS)
        h->id[h->n++] = (uint16_t)id;
    return 0;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void run_hs(const hs_database_t *db, hs_scratch_t *scratch, const struct corpus *c,
                   double min_seconds, struct hits *out, struct run *r)
{
    struct hits tmp;
    double t0 = now();
    do {
        for (size_t i = 0; i < c->n; i++) {
            struct hits *h = r->passes == 0 ? &out[i] : &tmp;
            h->n = 0;
            hs_scan(db, c->rep[i], (unsigned)c->len[i], 0, scratch, on_hs_match, h);
        }
        r->passes++;
    } while (now() - t0 < min_seconds);
    r->seconds = (now() - t0) / (double)r->passes;
    for (size_t i = 0; i < c->n; i++) {
        qsort(out[i].id, out[i].n, sizeof out[i].id[0], cmp_u16);
        r->hits += out[i].n;
    }
}

/* Reports whose hit sets differ. */
static size_t differ(const struct hits *a, const struct hits *b, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += a[i].n != b[i].n || memcmp(a[i].id, b[i].id, a[i].n * sizeof a[i].id[0]) != 0;
    return d;
}

static double norm_seconds(const struct corpus *c)
{
    struct norm nm = {0};
    double t0 = now();
    size_t passes = 0;
    do {
        for (size_t i = 0; i < c->n; i++)
            norm_text(&nm, c->rep[i], c->len[i]);
        passes++;
    } while (now() - t0 < 1.0);
    norm_free(&nm);
    return (now() - t0) / (double)passes;
}

/* ---- main ------------------------------------------------------------------------------ */

static void free_inputs(struct pat *p, size_t n, struct corpus *c)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].type);
        free(p[i].flags);
        free(p[i].re);
    }
    free(p);
    free(c->data);
    free(c->rep);
    free(c->len);
}

struct opts {
    const char *sa, *corpus, *packs, *model;
    double seconds;
    bool no_hs;                 /* engine and naive loop only, on every rule PCRE2 compiles */
};

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){NULL, NULL, NULL, NULL, 3.0, false};
    for (int i = 0; i < argc; i += 2) {
        if (strcmp(argv[i], "--no-vectorscan") == 0) {
            o->no_hs = true;
            i--;
        } else if (i + 1 >= argc) {
            return -1;
        } else if (strcmp(argv[i], "--sa") == 0)
            o->sa = argv[i + 1];
        else if (strcmp(argv[i], "--corpus") == 0)
            o->corpus = argv[i + 1];
        else if (strcmp(argv[i], "--packs") == 0)
            o->packs = argv[i + 1];
        else if (strcmp(argv[i], "--model") == 0)
            o->model = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            o->seconds = atof(argv[i + 1]);
        else
            return -1;
    }
    return o->sa && o->corpus ? 0 : -1;
}

struct counts {
    size_t total, pcre, hs_ucp, hs_plain, hs_crash;
};

/* Which patterns PCRE2 compiles (through rules_load), then Vectorscan (with UCP where it can),
 * and which Vectorscan can then scan the corpus with. */
static void select_patterns(struct pat *p, size_t n, bool *keep, const char *tmp,
                            const struct corpus *c, bool no_hs, struct counts *k)
{
    char err[64];
    struct ruleset *all = NULL;
    *k = (struct counts){.total = n};
    if (write_rules(tmp, p, n, NULL) < 0 || !(all = load(tmp, err, sizeof err)))
        return;
    size_t r = 0;
    k->pcre = rules_count(all);
    for (size_t i = 0; i < n; i++) {
        keep[i] = r < rules_count(all) && strcmp(rules_id(all, r), p[i].name) == 0;
        r += keep[i];
        if (!keep[i] || no_hs)
            continue;
        if (!(keep[i] = hs_compiles(&p[i])))
            continue;
        if (!(keep[i] = hs_scans(&p[i], c))) {
            printf("dropped %s: Vectorscan's hs_scan crashes on it\n", p[i].name);
            k->hs_crash++;
            continue;
        }
        p[i].hs & HS_FLAG_UCP ? k->hs_ucp++ : k->hs_plain++;
    }
    rules_free(all);
}

static hs_database_t *hs_build(const struct pat *p, size_t n, const bool *keep, double *secs)
{
    const char **exprs = calloc(n, sizeof *exprs);
    unsigned *flags = calloc(n, sizeof *flags), *ids = calloc(n, sizeof *ids), k = 0;
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            exprs[k] = hs_expr(&p[i]);
            flags[k] = p[i].hs;
            ids[k] = k;
            k++;
        }
    double t0 = now();
    if (hs_compile_multi(exprs, flags, ids, k, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
        fprintf(stderr, "bench: hs_compile_multi: %s\n", ce ? ce->message : "?");
        db = NULL;
    }
    *secs = now() - t0;
    hs_free_compile_error(ce);
    for (unsigned i = 0; i < k; i++)
        free((void *)(uintptr_t)exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
    return db;
}

static void print_results(const struct run *r, size_t nrun, const struct corpus *c)
{
    double mb = (double)c->size / 1e6;
    printf("\n| engine | MB/s | reports/s | µs/report | compile ms | hits |\n"
           "|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < nrun; i++)
        printf("| %s | %.1f | %.0f | %.1f | %.1f | %zu |\n", r[i].name, mb / r[i].seconds,
               (double)c->n / r[i].seconds, r[i].seconds * 1e6 / (double)c->n,
               r[i].compile * 1e3, r[i].hits);
    printf("\nengine / Vectorscan: %.0f%% (target >= 50%%); engine / naive loop: %.1fx "
           "(target >= 10x)\n", 100.0 * r[2].seconds / r[0].seconds,
           r[1].seconds / r[0].seconds);
}

/* Sums the match-limit stops of every rule from the metrics text. */
static size_t limit_stops(const struct ruleset *rs)
{
    struct buf m = {0};
    rules_metrics(rs, &m);
    size_t n = 0;
    for (const char *l = m.p ? strstr(m.p, "jubao_rule_limit_total{") : NULL; l;
         l = strstr(l + 1, "jubao_rule_limit_total{"))
        n += strtoul(strchr(l, '}') + 2, NULL, 10);
    buf_free(&m);
    return n;
}

/* Runs the three engines on the rules keep[] and prints the results. Returns the number of
 * reports where the engine and the naive loop disagree (must be 0), or -1 on failure. */
static long bench_set(const char *title, const struct pat *p, size_t n, const bool *keep,
                      const struct corpus *c, double seconds, bool no_hs, const char *tmp)
{
    char err[64];
    struct run r[3] = {{.name = "engine (prefilter)"}, {.name = "naive pcre2_jit_match loop"},
                       {.name = "Vectorscan hs_scan"}};
    struct ruleset *rs = NULL;
    hs_scratch_t *scratch = NULL;
    if (write_rules(tmp, p, n, keep) < 0 || !(rs = load(tmp, err, sizeof err)))
        return -1;
    struct rules_info info;
    rules_info(rs, &info);
    r[0].compile = r[1].compile = info.load_seconds;
    printf("\n## %s: %zu rules\n\nengine: %zu rules run on every text (no required literal), "
           "%zu literals, scanner %zu states / %zu KB\n", title, info.rules, info.no_literal,
           info.literals, info.scanner_states, info.scanner_bytes / 1024);
    hs_database_t *db = no_hs ? NULL : hs_build(p, n, keep, &r[2].compile);
    if (!no_hs && (!db || hs_alloc_scratch(db, &scratch) != HS_SUCCESS)) {
        rules_free(rs);
        return -1;
    }
    struct hits *h[3];
    for (int i = 0; i < 3; i++)
        h[i] = calloc(c->n, sizeof *h[i]);
    run_engine(rs, c, false, seconds, h[0], &r[0]);
    run_engine(rs, c, true, 0, h[1], &r[1]);
    if (no_hs)
        r[2].seconds = r[0].seconds;
    else
        run_hs(db, scratch, c, seconds, h[2], &r[2]);
    print_results(r, no_hs ? 2 : 3, c);
    size_t d_naive = differ(h[0], h[1], c->n), d_hs = differ(h[0], h[2], c->n);
    printf("agreement: engine vs naive loop differ on %zu reports (must be 0)", d_naive);
    if (!no_hs)
        printf("; engine vs Vectorscan on %zu of %zu", d_hs, c->n);
    printf("; match-limit stops: %zu\n", limit_stops(rs));
    for (int i = 0; i < 3; i++)
        free(h[i]);
    hs_free_scratch(scratch);
    hs_free_database(db);
    rules_free(rs);
    return (long)d_naive;
}

int bench_main(int argc, char **argv)
{
    struct opts o;
    if (parse_args(argc, argv, &o) < 0) {
        fputs("usage: jubao-rules bench --sa TSV --corpus FILE [--seconds N] [--packs DIR"
              " [--model FILE]]\n", stderr);
        return 2;
    }
    size_t n = 0;
    struct pat *p = read_patterns(o.sa, &n);
    struct corpus c = {0};
    char tmp[] = "/tmp/jubao-bench-XXXXXX.rules";
    int fd = -1;
    if (!p || read_corpus(o.corpus, &c) < 0 || c.n == 0 || (fd = mkstemps(tmp, 6)) < 0) {
        fputs("bench: cannot read the patterns or the corpus\n", stderr);
        return 1;
    }
    close(fd);
    bool *keep = calloc(n, sizeof *keep), *ucp = calloc(n, sizeof *ucp);
    struct counts k;
    select_patterns(p, n, keep, tmp, &c, o.no_hs, &k);
    printf("rules: %zu SpamAssassin body/uri regex rules; PCRE2 (UTF+UCP) compiles %zu; of "
           "those Vectorscan (UTF8|SINGLEMATCH) compiles %zu with UCP and %zu only without it "
           "(it rejects \\b under UCP), and crashes scanning with %zu\n", k.total, k.pcre,
           k.hs_ucp, k.hs_plain, k.hs_crash);
    printf("corpus: %zu reports, %.2f MB (%.0f bytes per report)\n", c.n,
           (double)c.size / 1e6, (double)c.size / (double)c.n);
    double ns = norm_seconds(&c);
    printf("NFKC + case folding, which production adds before matching: %.0f MB/s "
           "(%.1f µs/report)\n", (double)c.size / 1e6 / ns, ns * 1e6 / (double)c.n);
    for (size_t i = 0; i < n; i++)
        ucp[i] = keep[i] && (p[i].hs & HS_FLAG_UCP);
    long d1 = bench_set("All rules both compile (Vectorscan with UCP where it can)", p, n, keep,
                        &c, o.seconds, o.no_hs, tmp);
    long d2 = o.no_hs ? 0 : bench_set("Only rules Vectorscan compiles with UCP (same semantics "
                                      "in all three)", p, n, ucp, &c, o.seconds, false, tmp);
    unlink(tmp);
    int t = o.packs ? bench_triage(o.packs, o.model, c.rep, c.len, c.n, o.seconds) : 0;
    rules_thread_done();
    free_inputs(p, n, &c);
    free(keep);
    free(ucp);
    return d1 == 0 && d2 == 0 && t == 0 ? 0 : 1;
}
