/* Unit tests for the prefilter: required literals read from patterns (rules/literal.h), the
 * Aho-Corasick scanner (rules/ac.h), and the whole engine giving the same hits as running
 * every rule, on a generated corpus, normalized and raw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ac.h"
#include "literal.h"
#include "rules.h"

/* ---- literal extraction ---------------------------------------------------------------- */

static struct literal_info analyze(const char *pattern, unsigned flags)
{
    struct literal_info li;
    char err[300];
    assert_int_equal(literal_analyze(pattern, strlen(pattern), flags, &li, err, sizeof err), 0);
    return li;
}

static bool has_lit(const struct literal_info *li, const char *s)
{
    for (size_t i = 0; i < li->nlits; i++)
        if (li->lens[i] == strlen(s) && memcmp(li->lits[i], s, li->lens[i]) == 0)
            return true;
    return false;
}

/* The pattern's literal set is exactly want[] (NULL-terminated; none: no literal). */
static void expect_lits(const char *pattern, unsigned flags, const char *const *want)
{
    struct literal_info li = analyze(pattern, flags);
    size_t n = 0;
    while (want[n])
        n++;
    if (li.nlits != n) {
        print_error("%s: %zu literals, want %zu:", pattern, li.nlits, n);
        for (size_t i = 0; i < li.nlits; i++)
            print_error(" \"%.*s\"", li.lens[i], (const char *)li.lits[i]);
        print_error("\n");
    }
    assert_int_equal(li.nlits, n);
    for (size_t i = 0; i < n; i++) {
        if (!has_lit(&li, want[i]))
            print_error("%s: no literal \"%s\"\n", pattern, want[i]);
        assert_true(has_lit(&li, want[i]));
    }
}

#define LITS(p, ...) expect_lits(p, 0, (const char *const[]){__VA_ARGS__, NULL})
#define NOLITS(p) expect_lits(p, 0, (const char *const[]){NULL})

static void test_literals_of_simple_patterns(void **state)
{
    (void)state;
    LITS("abcd", "abcd");
    LITS("foo\\d+barx", "barx");                       /* the rarer-looking of two runs */
    LITS("(?:cat|dog)food", "catfood", "dogfood");
    LITS("\\bfree (?:money|cash)\\b", "free money", "free cash");
    LITS("刷单.{0,15}返利", "刷单");
    LITS("\\Qa.b?\\E", "a.b?");
    LITS("abc{2,}d", "abcc");
    LITS("(?:ab|cd)+efg", "abefg", "cdefg");           /* the last repetition meets efg */
    LITS("ab(?=zz)cd", "abcd");                         /* a lookahead consumes nothing */
    LITS("\\x{4f60}\\x{597d}", "你好");
    LITS("(?i)HeLLo", "hello");
    LITS("wor(?:ld|d)", "world", "word");
    LITS("(?:ones|twos)|three", "ones", "twos", "three");
    LITS("n[o0]rc[o0]", "norco", "norc0", "n0rco", "n0rc0");  /* small classes join */
    LITS("[^]x]abcd", "abcd");
    LITS("[]x]abcd", "]abcd", "xabcd");
    LITS("stoc[a-c]", "stoca", "stocb", "stocc");
    LITS("x[a-z]yzzy", "yzzy");                          /* a big class breaks the run */
    NOLITS("a|b");                                      /* too short to be worth it */
    NOLITS("(?:abc)?def?");                             /* "de" alone is too common */
    NOLITS("x*yz*");
    LITS("(?:abc|)def", "abcdef", "def");               /* the empty branch still needs def */
}

static void test_literals_give_up_when_unsure(void **state)
{
    (void)state;
    NOLITS("abc(*ACCEPT)def");
    NOLITS("(?(1)abc|def)");
    NOLITS("(?x) a b c d");
    NOLITS("abcd\\Kefgh");
    NOLITS("abcd(");
    NOLITS("abcd)");
    NOLITS("a{,3}bcdef");
}

/* A class may hold an escaped NUL byte (a pattern is bytes with a length): the reader took the
 * NUL for one of its escape letters and read past the end of its table (ASan). */
static void test_literals_class_with_escaped_nul(void **state)
{
    (void)state;
    static const char p[] = "zqx[\\\0]zqx";
    struct literal_info li;
    char err[300];
    assert_int_equal(literal_analyze(p, sizeof p - 1, 0, &li, err, sizeof err), 0);
    assert_int_equal(li.nlits, 1);
    assert_int_equal(li.lens[0], 7);
    assert_memory_equal(li.lits[0], "zqx\0zqx", 7);
}

static void test_literals_respect_caseless_non_ascii(void **state)
{
    (void)state;
    /* é has a case partner: a caseless pattern may match É, so é cannot be in a literal */
    expect_lits("caf\xc3\xa9 au lait", LITERAL_CASELESS, (const char *const[]){" au lait",
                                                                               NULL});
    expect_lits("café", 0, (const char *const[]){"café", NULL});
    expect_lits("安全账户", LITERAL_CASELESS, (const char *const[]){"安全账户", NULL});
}

static void test_max_length(void **state)
{
    (void)state;
    assert_int_equal(analyze("abc", 0).maxlen, 12);
    assert_int_equal(analyze("a.{0,10}b", 0).maxlen, 48);
    assert_int_equal(analyze("(?:ab|cde)\\R", 0).maxlen, 20);
    assert_int_equal(analyze("ab+", 0).maxlen, LITERAL_UNBOUNDED);
    assert_int_equal(analyze("(a)\\1", 0).maxlen, LITERAL_UNBOUNDED);
    assert_int_equal(analyze("ab(?=c{1,100})", 0).maxlen, 8);
}

static void test_normalized_mode_rejects_impossible_literals(void **state)
{
    (void)state;
    struct literal_info li;
    char err[300];
    assert_int_equal(literal_analyze("Abc", 3, LITERAL_NORMALIZED, &li, err, sizeof err), -1);
    assert_non_null(strstr(err, "upper-case 'A' at offset 0"));
    assert_int_equal(literal_analyze("ab\xef\xbc\xa1", 5, LITERAL_NORMALIZED, &li, err,
                                     sizeof err), -1);
    assert_non_null(strstr(err, "U+FF21 at offset 2"));
    assert_int_equal(literal_analyze("Abc", 3, LITERAL_NORMALIZED | LITERAL_CASELESS, &li, err,
                                     sizeof err), 0);
    assert_int_equal(literal_analyze("[A-Z]\\D\\S", 9, LITERAL_NORMALIZED, &li, err,
                                     sizeof err), 0);
}

/* ---- Aho-Corasick ---------------------------------------------------------------------- */

struct found {
    char log[512];
};

static int record(uint32_t id, size_t end, void *ctx)
{
    struct found *f = ctx;
    size_t n = strlen(f->log);
    snprintf(f->log + n, sizeof f->log - n, "%u@%zu ", id, end);
    return 0;
}

static void test_ac_finds_every_occurrence(void **state)
{
    (void)state;
    struct ac *ac = ac_new();
    const char *words[] = {"he", "she", "his", "hers", "账户"};
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(ac_add(ac, words[i], strlen(words[i]), i), 0);
    assert_int_equal(ac_build(ac), 0);
    assert_int_equal(ac_add(ac, "x", 1, 9), -1);
    struct found f = {""};
    ac_scan(ac, "uSHErs 安全账户", strlen("uSHErs 安全账户"), record, &f);
    assert_string_equal(f.log, "1@4 0@4 3@6 4@19 ");
    ac_free(ac);
}

static int stop_at_first(uint32_t id, size_t end, void *ctx)
{
    (void)id;
    *(size_t *)ctx = end;
    return 7;
}

static void test_ac_stops_and_handles_empty(void **state)
{
    (void)state;
    struct ac *ac = ac_new();
    assert_int_equal(ac_build(ac), 0);
    size_t end = 0;
    assert_int_equal(ac_scan(ac, "anything", 8, stop_at_first, &end), 0);
    ac_free(ac);
    ac = ac_new();
    assert_int_equal(ac_add(ac, "\x00\xff", 2, 1), 0);
    assert_int_equal(ac_build(ac), 0);
    assert_int_equal(ac_scan(ac, "ab\x00\xff\x00\xff", 6, stop_at_first, &end), 7);
    assert_int_equal(end, 4);
    ac_free(ac);
    ac_free(NULL);
}

/* ---- the engine equals running every rule ---------------------------------------------- */

static const char *const patterns[] = {
    "abcd", "foo\\d+bar", "(?:cat|dog)food", "hello\\s+world", "\\bfree (?:money|cash)\\b",
    "刷单.{0,15}返利", "安全账户", "v[i1]agra", "xx+yy", "(?:ab)+cde", "abc(?=d)de",
    "(?<!no )deal", "^start", "ending$", "(?:one|two|three)\\s(?:apple|pear)", "\\Qa.b\\E",
    "(qq)\\1", "(?s)begin.*finish", "[a-z]+@[a-z]+\\.com", "\\d{3}-\\d{4}", "(?:ca|do)t\\b",
    "colou?r", "(?:red|green|blue){2}", "zzz+", "abb?cc", "\\btest(?:ing|ed)?\\b",
    "你好(?:世界|朋友)", "(?i:hello)world", "(?|ab|cd)efg", "(?>atomic)group", "a\\tbc",
    "[^x]yzz{1,3}w", "(?:a|)bcdx", "wor(?:ld|d)s?", "(?:^|\\s)hash", "\\w+ing\\b", "kiss",
    "(?i)strike", "red.{0,30}blue", "(?m)^line\\d$", "cat(?!food)", "a.c.e.g",
};

static const char *const tokens[] = {
    "abcd", "abc", "foo", "bar", "123", "4567", "cat", "dog", "food", "hello", "world", "free",
    "money", "cash", "刷单", "返利", "安全", "账户", "viagra", "v1agra", "x", "yy", "ab", "cde",
    "no", "deal", "start", "ending", "one", "two", "apple", "pear", "a.b", "qq", "begin",
    "finish", "@", ".com", "-", "colour", "color", "red", "green", "blue", "zz", "test",
    "testing", "你好", "世界", "朋友", "atomic", "group", "\t", "yzz", "w", "ing", "hash", "kiss",
    "strike", "line7", "\n", " ", " ", " ", "ＡＢＣＤ", "Hello", "WORLD", "ＦＲＥＥ", "KISS",
    "STRIKE", "\xe2\x84\xaaiss", "\xc5\xbftrike", "e", "g", "。", "é", "ﬁ",
};

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Writes the patterns as a lax rule file (caseless ones get flag i when raw). */
static char *write_rules(bool raw)
{
    char *path = strdup("/tmp/test_prefilter_XXXXXX.rules");
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
        fprintf(f, "rule p.%zu\ncategory: other\nseverity: low\npattern: %s\nflags: %s\n"
                   "action: suggest\ndescription: d\n\n", i, patterns[i],
                raw && i % 3 == 0 ? "i" : "");
    fclose(f);
    return path;
}

static void compare_on_corpus(unsigned flags)
{
    char *path = write_rules(flags & RULES_RAW);
    const char *paths[] = {path};
    struct ruleset *rs = NULL;
    char err[8192];
    assert_int_equal(rules_load(&rs, paths, 1, flags | RULES_LAX, err, sizeof err), 0);
    if (err[0])
        print_error("%s\n", err);
    assert_string_equal(err, "");
    assert_int_equal(rules_count(rs), sizeof patterns / sizeof patterns[0]);
    size_t total = 0;
    for (int t = 0; t < 4000; t++) {
        char text[2048] = "";
        size_t n = 3 + next_rand() % 40;
        for (size_t k = 0; k < n; k++) {
            strcat(text, tokens[next_rand() % (sizeof tokens / sizeof tokens[0])]);
            if (next_rand() % 3 == 0)
                strcat(text, " ");
        }
        struct rules_input in = {0};
        struct rules_result fast, all;
        in.text[t % 2 ? RULES_TITLE : RULES_DESCRIPTION] = text;
        in.len[t % 2 ? RULES_TITLE : RULES_DESCRIPTION] = strlen(text);
        assert_int_equal(rules_match(rs, &in, &fast), 0);
        in.every_rule = true;
        assert_int_equal(rules_match(rs, &in, &all), 0);
        if (fast.nhits != all.nhits)
            print_error("text: %s\n", text);
        assert_int_equal(fast.nhits, all.nhits);
        for (size_t i = 0; i < fast.nhits && i < RULES_MAX_HITS; i++) {
            if (fast.hits[i].rule != all.hits[i].rule)
                print_error("text: %s\nrule %s vs %s\n", text, fast.hits[i].id,
                            all.hits[i].id);
            assert_int_equal(fast.hits[i].rule, all.hits[i].rule);
        }
        total += fast.nhits;
    }
    assert_true(total > 4000);  /* the corpus really exercises the rules */
    rules_free(rs);
    unlink(path);
    free(path);
}

static void test_prefilter_equals_every_rule_normalized(void **state)
{
    (void)state;
    compare_on_corpus(0);
}

static void test_prefilter_equals_every_rule_raw(void **state)
{
    (void)state;
    compare_on_corpus(RULES_RAW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_of_simple_patterns),
        cmocka_unit_test(test_literals_give_up_when_unsure),
        cmocka_unit_test(test_literals_class_with_escaped_nul),
        cmocka_unit_test(test_literals_respect_caseless_non_ascii),
        cmocka_unit_test(test_max_length),
        cmocka_unit_test(test_normalized_mode_rejects_impossible_literals),
        cmocka_unit_test(test_ac_finds_every_occurrence),
        cmocka_unit_test(test_ac_stops_and_handles_empty),
        cmocka_unit_test(test_prefilter_equals_every_rule_normalized),
        cmocka_unit_test(test_prefilter_equals_every_rule_raw),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rules_thread_done();
    return rc;
}
