/* Unit tests for lexicons, variants and folding (rules/fold.h, rules/lexicon.h through
 * rules.h): what folding reads, word boundaries, except phrases, windows, weights, unless, the
 * lexicon hits of a result, offsets in the original text, and load errors with file:line.
 * Run from the top of the tree (tests/unit/data is read from there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "assert_text.h"
#include "rules.h"

#define ERRLEN 65536
#define FIXTURE "tests/unit/data/lexicon.rules"

static struct ruleset *fixture;

static int setup(void **state)
{
    (void)state;
    char *err = malloc(ERRLEN);
    const char *paths[] = {FIXTURE};
    int rc = rules_load(&fixture, paths, 1, 0, err, ERRLEN);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    free(err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    rules_free(fixture);
    rules_thread_done();
    return 0;
}

/* Asserts that rules_fold(rs, in) is want. */
static void fold_is(const struct ruleset *rs, const char *in, const char *want)
{
    struct buf out = {0};
    assert_int_equal(rules_fold(rs, in, strlen(in), &out), 0);
    if (strcmp(out.p, want) != 0)
        fail_msg("fold(\"%s\") = \"%s\", want \"%s\"", in, out.p, want);
    buf_free(&out);
}

static void match(const struct ruleset *rs, const char *title, const char *desc,
                  struct rules_result *res)
{
    struct rules_input in = {0};
    in.text[RULES_TITLE] = title;
    in.len[RULES_TITLE] = title ? strlen(title) : 0;
    in.text[RULES_DESCRIPTION] = desc;
    in.len[RULES_DESCRIPTION] = desc ? strlen(desc) : 0;
    assert_int_equal(rules_match(rs, &in, res), 0);
}

static const struct rules_hit *hit(const struct rules_result *res, const char *id)
{
    for (size_t i = 0; i < res->nhits && i < RULES_MAX_HITS; i++)
        if (strcmp(res->hits[i].id, id) == 0)
            return &res->hits[i];
    return NULL;
}

static const struct rules_lexhit *lexhit(const struct rules_result *res, const char *id)
{
    for (size_t i = 0; i < res->nlex; i++)
        if (strcmp(res->lex[i].id, id) == 0)
            return &res->lex[i];
    return NULL;
}

/* The text of rule id's hit in text, or "(no hit)". */
static void span_is(const struct ruleset *rs, const char *id, const char *text, const char *want)
{
    struct rules_result res;
    match(rs, NULL, text, &res);
    const struct rules_hit *h = hit(&res, id);
    char got[256] = "(no hit)";
    if (h)
        snprintf(got, sizeof got, "%.*s", (int)(h->end - h->start), text + h->start);
    assert_string_equal(got, want);
}

/* The weight and distinct terms a lexicon counted, or -1000 and 0 when it did not hit. */
static double lex_weight(const struct rules_result *res, const char *id, unsigned *terms)
{
    const struct rules_lexhit *l = lexhit(res, id);
    *terms = l ? l->terms : 0;
    return l ? l->weight : -1000;
}

static bool hits(const struct ruleset *rs, const char *id, const char *desc)
{
    struct rules_result res;
    match(rs, NULL, desc, &res);
    return hit(&res, id) != NULL;
}

/* ---- folding --------------------------------------------------------------------------- */

static void test_fold_scripts_and_forms(void **state)
{
    (void)state;
    fold_is(NULL, "百家樂 真人視訊", "百家乐真人视讯");          /* traditional */
    fold_is(NULL, "ＶＩＡＧＲＡ１２３", "viagra123");                /* full-width */
    fold_is(NULL, "саsinо", "casino");                            /* Cyrillic а, о */
    fold_is(NULL, "ΒΕΤ", "bet");                                  /* Greek capitals */
    fold_is(NULL, "\xf0\x9f\x85\x92\xf0\x9f\x85\x90\xf0\x9f\x85\xa2", "cas"); /* 🅒🅐🅢 */
    fold_is(NULL, "ⓥⓘⓐ", "via");                                  /* circled, by NFKC */
}

static void test_fold_separators(void **state)
{
    (void)state;
    fold_is(NULL, "百.家.乐", "百家乐");
    fold_is(NULL, "百 家 乐", "百家乐");
    fold_is(NULL, "百*家*乐", "百家乐");
    fold_is(NULL, "百\xe2\x80\x8b家\xe2\x80\x8b乐", "百家乐");       /* zero-width spaces */
    fold_is(NULL, "百😀家🎲乐！！", "百家乐");                        /* emoji, punctuation */
    fold_is(NULL, "v i a g r a", "viagra");                       /* spaced letters */
    fold_is(NULL, "s.e.x", "sex");
    fold_is(NULL, "加 v x 号", "加vx号");                         /* a pair inside Chinese */
    fold_is(NULL, "移除吗？(y/N)", "移除吗y n");                   /* a pair at the edge: apart */
    fold_is(NULL, "%P%F：不支持", "p f不支持");
    fold_is(NULL, "SQL   injection, now!", "sql injection now");   /* word spaces kept */
    fold_is(NULL, "a big  dog", "a big dog");                     /* one letter, not two */
    fold_is(NULL, "  ", "");
}

static void test_fold_variants(void **state)
{
    (void)state;
    fold_is(fixture, "加威信领彩金", "加微信领彩金");
    fold_is(fixture, "菠 菜 平 台", "博彩平台");
    fold_is(fixture, "VX: abc", "微信 abc");
    fold_is(fixture, "vxabc", "vxabc");                           /* not on a word boundary */
    fold_is(NULL, "加威信领彩金", "加威信领彩金");                  /* no rule set: no variants */
}

/* ---- matching -------------------------------------------------------------------------- */

static void test_latin_terms_match_whole_words(void **state)
{
    (void)state;
    struct rules_result res;
    unsigned terms;
    match(fixture, NULL, "Best online CASINO here", &res);
    assert_true(lex_weight(&res, "test.games", &terms) == 4.0);
    assert_int_equal(terms, 2);                                   /* online casino, casino */
    match(fixture, NULL, "casinos and pokerstars", &res);
    assert_null(lexhit(&res, "test.games"));
    match(fixture, NULL, "百家乐poker", &res);                     /* a CJK neighbour is a boundary */
    lex_weight(&res, "test.games", &terms);
    assert_int_equal(terms, 2);
}

static void test_except_phrases(void **state)
{
    (void)state;
    struct rules_result res;
    match(fixture, NULL, "今天去彩票站买了体育彩票", &res);
    assert_null(lexhit(&res, "test.games"));
    match(fixture, NULL, "今天去彩票站，然后买彩票", &res);           /* the second one counts */
    unsigned terms;
    assert_true(lex_weight(&res, "test.games", &terms) == 1.0);
    assert_int_equal(terms, 1);
}

static void test_within_window(void **state)
{
    (void)state;
    assert_true(hits(fixture, "test.casino_ad", "百家乐注册送彩金"));
    assert_false(hits(fixture, "test.casino_ad",
                      "百家乐，这是一段很长很长很长很长很长很长很长很长很长的话，注册送"));
    /* the window is counted in folded characters: separators do not widen it */
    assert_true(hits(fixture, "test.casino_ad",
                     "百 . 家 . 乐 . . . . . . . . . . . . . . . . . . . . 返 水"));
}

static void test_min_weight_with_negative_terms(void **state)
{
    (void)state;
    assert_true(hits(fixture, "test.casino_ad", "百家乐返水"));          /* 3 + 2 */
    assert_false(hits(fixture, "test.casino_ad", "棋牌返水"));           /* 1 + 2 */
    assert_false(hits(fixture, "test.casino_ad", "警方：百家乐返水"));   /* 3 + 2 - 2 */
    struct rules_result res;
    match(fixture, NULL, "警方说这是骗局", &res);      /* negative terms alone: no lexicon hit */
    assert_false(hit(&res, "test.casino_near"));
    unsigned terms;
    assert_true(lex_weight(&res, "test.games", &terms) == -4.0);
    assert_int_equal(terms, 2);
}

static void test_unless(void **state)
{
    (void)state;
    assert_true(hits(fixture, "test.casino_contact", "百家乐 加微信"));
    assert_false(hits(fixture, "test.casino_contact", "谨防百家乐加微信的骗子"));
    assert_false(hits(fixture, "test.casino_near", "谨防百家乐"));
    assert_true(hits(fixture, "test.casino_near", "谨防骗子。很多很多很多很多字以后：百家乐"));
    /* several lexicons may cancel a rule: any of them near enough does */
    assert_true(hits(fixture, "test.casino_not_asked", "这里有百家乐，请问"));
    assert_false(hits(fixture, "test.casino_not_asked", "百家乐是不是赌博"));
    assert_false(hits(fixture, "test.casino_not_asked", "谨防百家乐"));
    assert_true(hits(fixture, "test.casino_not_asked", "百家乐！！很多很多很多很多字以后：是不是"));
}

static void test_pattern_must_match_too(void **state)
{
    (void)state;
    assert_true(hits(fixture, "test.games_pattern", "百家乐开业"));
    assert_false(hits(fixture, "test.games_pattern", "开业大吉"));
    assert_false(hits(fixture, "test.games_pattern", "百家乐"));
    struct rules_input in = {.every_rule = true};                  /* no prefilter either */
    struct rules_result res;
    in.text[RULES_DESCRIPTION] = "开业大吉";
    in.len[RULES_DESCRIPTION] = strlen(in.text[RULES_DESCRIPTION]);
    assert_int_equal(rules_match(fixture, &in, &res), 0);
    assert_null(hit(&res, "test.games_pattern"));
}

static void test_result_lists_lexicons_and_ordinary_hits(void **state)
{
    (void)state;
    struct rules_result res;
    match(fixture, "百家乐", "百家乐 加威信 注册送", &res);
    assert_non_null(hit(&res, "test.casino_ad"));
    assert_int_equal(res.severity, 3);
    assert_int_equal(res.priority, 2);
    assert_int_equal(res.ncategories, 1);
    assert_string_equal(res.categories[0], "gambling");
    unsigned terms;
    assert_true(lex_weight(&res, "test.games", &terms) == 3.0);
    assert_int_equal(terms, 1);                     /* distinct terms over both fields */
    assert_true(lex_weight(&res, "test.contact", &terms) == 1.0);
    assert_int_equal(res.nlex, 3);                  /* games, promises, contact: set order */
    assert_string_equal(res.lex[0].id, "test.games");
    assert_string_equal(res.lex[0].category, "gambling");
    assert_string_equal(res.lex[2].id, "test.contact");
    assert_null(res.lex[2].category);
    assert_null(lexhit(&res, "test.warning"));
}

static void test_offsets_map_to_the_original(void **state)
{
    (void)state;
    span_is(fixture, "test.casino_ad", "看：百 家 樂真人視訊，註冊送！", "百 家 樂真人視訊，註冊送");
    span_is(fixture, "test.casino_contact", "ＸＸ ＣＡＳＩＮＯ　加 ｖｘ", "ＣＡＳＩＮＯ　加 ｖｘ");
    span_is(fixture, "test.casino_near", "好的，百家乐", "百家乐");
}

static void test_check_counts(void **state)
{
    (void)state;
    struct rules_info info;
    rules_info(fixture, &info);
    assert_int_equal(info.lexicons, 5);
    assert_int_equal(info.lexicon_rules, 5);
    assert_int_equal(info.variants, 7);
    assert_int_equal(info.terms, 24);
}

/* ---- what the model reads -------------------------------------------------------------- */

/* rules_match_folded hands on title and description as rules_fold folds each, joined by a
 * space (the URL is not the model's), the same whether the set folded them for its lexicons
 * or has none and folds them for the model alone; the result is rules_match's. */
static void expect_folded(const struct ruleset *rs)
{
    const char *title = "菠 菜 平 台", *desc = "加威信，ＶＩＰ  Casino 領彩金";
    struct rules_input in = {0};
    in.text[RULES_URL] = "https://x.example/威信";
    in.len[RULES_URL] = strlen(in.text[RULES_URL]);
    in.text[RULES_TITLE] = title;
    in.len[RULES_TITLE] = strlen(title);
    in.text[RULES_DESCRIPTION] = desc;
    in.len[RULES_DESCRIPTION] = strlen(desc);
    struct buf want = {0}, got = {0};
    assert_int_equal(rules_fold(rs, title, strlen(title), &want), 0);
    buf_add(&want, " ", 1);
    assert_int_equal(rules_fold(rs, desc, strlen(desc), &want), 0);
    struct rules_result a, b;
    buf_add(&got, "x", 1);      /* it appends */
    assert_int_equal(rules_match_folded(rs, &in, &a, &got), 0);
    assert_string_equal(got.p + 1, want.p);
    assert_int_equal(got.len, want.len + 1);
    assert_int_equal(rules_match(rs, &in, &b), 0);
    assert_int_equal(a.nhits, b.nhits);
    assert_int_equal(a.nlex, b.nlex);
    /* Description alone: exactly rules_fold of it. */
    in.text[RULES_TITLE] = NULL;
    buf_free(&want);
    buf_free(&got);
    assert_int_equal(rules_fold(rs, desc, strlen(desc), &want), 0);
    assert_int_equal(rules_match_folded(rs, &in, &a, &got), 0);
    assert_string_equal(got.p, want.p);
    buf_free(&want);
    buf_free(&got);
}

static void test_match_folded(void **state)
{
    (void)state;
    expect_folded(fixture);     /* lexicons: matching's own fold */
    const char *text = "rule t.plain\ncategory: gambling\nseverity: low\npattern: casino\n"
                       "action: suggest\ndescription: a word\nmatch: casino\nnomatch: cat\n";
    char path[] = "/tmp/test_lexicon_XXXXXX.rules";
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *err = malloc(ERRLEN);
    struct ruleset *rs = NULL;
    const char *paths[] = {path};
    int rc = rules_load(&rs, paths, 1, 0, err, ERRLEN);
    unlink(path);
    if (rc != 0)
        fail_msg("%s", err);
    free(err);
    expect_folded(rs);          /* no lexicons: a fold for the model alone */
    rules_free(rs);
}

/* ---- load errors ----------------------------------------------------------------------- */

/* Loads text from a temporary file; expects failure with every want line (after "path:"). */
static void expect_errors(const char *text, const char *const *want, size_t nwant)
{
    char path[] = "/tmp/test_lexicon_XXXXXX.rules";
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *err = malloc(ERRLEN);
    struct ruleset *rs = NULL;
    const char *paths[] = {path};
    assert_int_equal(rules_load(&rs, paths, 1, 0, err, ERRLEN), -1);
    assert_null(rs);
    for (size_t i = 0; i < nwant; i++) {
        char line[512];
        snprintf(line, sizeof line, "%s:%s", path, want[i]);
        assert_contains(err, line);
    }
    size_t lines = 1;
    for (const char *p = err; *p; p++)
        lines += *p == '\n';
    if (lines != nwant)
        fail_msg("%zu errors, want %zu:\n%s", lines, nwant, err);
    unlink(path);
    free(err);
}

#define LEX(id, terms) \
    "lexicon " id "\ndescription: d\nterms: " terms "\nmatch: " terms "\nnomatch: zzz\n\n"

static void test_error_bad_weight_and_keys(void **state)
{
    (void)state;
    const char *text = "lexicon a.x\ndescription: d\nweight: heavy\nweight: 0\n"
                       "terms: 赌 | | b\ncolour: red\nmatch: 赌\nnomatch: zzz\n";
    const char *want[] = {
        "3: lexicon a.x: weight: 'heavy' is not a number",
        "4: lexicon a.x: weight: '0' is not a number",
        "5: lexicon a.x: terms: an empty piece",
        "6: lexicon a.x: lexicon: unknown key 'colour'",
    };
    expect_errors(text, want, 4);
}

static void test_error_unknown_lexicon_in_rule(void **state)
{
    (void)state;
    const char *text = LEX("a.x", "赌") "rule r.one\ncategory: gambling\nseverity: low\n"
                       "lexicon: a.x a.nope\nunless: a.gone within 3\naction: suggest\n"
                       "description: d\nmatch: 赌\nnomatch: zzz\n";
    const char *want[] = {
        "10: rule r.one: lexicon: no lexicon 'a.nope' is loaded",
        "11: rule r.one: unless: no lexicon 'a.gone' is loaded",
    };
    expect_errors(text, want, 2);
}

static void test_error_failing_examples(void **state)
{
    (void)state;
    const char *text = "lexicon a.x\ndescription: d\nterms: 赌场\nmatch: 赌博\n"
                       "nomatch: 賭場\n\n"
                       "variants v.x\ndescription: d\nvariant: 微信 = 威信\n"
                       "example: 加威信 -> 加威信\n\n"
                       "rule r.one\ncategory: gambling\nseverity: low\nlexicon: a.x\n"
                       "action: suggest\ndescription: d\nmatch: 赌\nnomatch: 赌场\n";
    const char *want[] = {
        "4: lexicon a.x: match: no term counted in '赌博'",
        "5: lexicon a.x: nomatch: a term is counted in '賭場' (folded: '赌场')",
        "10: variants v.x: example: '加威信' folds to '加微信', not '加威信'",
        "18: rule r.one: match: example does not match",
        "19: rule r.one: nomatch: example matches",
    };
    expect_errors(text, want, 5);
}

static void test_error_duplicates_and_conflicts(void **state)
{
    (void)state;
    const char *text = LEX("a.x", "赌") LEX("a.x", "博")
                       "lexicon a.w\ndescription: d\nterms: 赌\nweight: 2\nterms: 賭\n"
                       "match: 赌\nnomatch: zzz\n\n"
                       "variants v.x\ndescription: d\nvariant: 微信 = 威信 | vx\n"
                       "example: vx -> 微信\n\n"
                       "variants v.y\ndescription: d\nvariant: 维信 = vx\nvariant: 信 = 信\n"
                       "example: 信 -> 信\n\n"
                       "rule r.one\ncategory: gambling\nseverity: low\npattern: x\n"
                       "lexicon: a.x a.x\naction: suggest\ndescription: d\nmatch: x\n"
                       "nomatch: y\n";
    const char *want[] = {
        "7: lexicon a.x: id already used at ",
        "17: lexicon a.w: terms: '赌' is listed at line 15 with weight 1, here with 2",
        "28: variants v.y: variant: 'vx' is read as '微信' by another variant, here as '维信'",
        "29: variants v.y: variant: '信' already reads as '信' once folded",
        "36: rule r.one: lexicon: 'a.x' is not a lexicon id, is repeated",
    };
    expect_errors(text, want, 5);
}

/* Folding drops emoji and symbols before variants apply: a spelling holding one would match a
 * shorter text than its author meant (做❤ would read every 做 as 做爱). */
static void test_error_variant_with_dropped_character(void **state)
{
    (void)state;
    const char *text = "variants v.e\ndescription: d\nvariant: 做爱 = 做❤️ | zuo ai\n"
                       "example: 好 -> 好\n";
    const char *want[] = {"3: variants v.e: variant: '做❤️' holds '❤', which folding removes"};
    expect_errors(text, want, 1);
}

static void test_error_rule_keys(void **state)
{
    (void)state;
    const char *text = "rule r.one\ncategory: gambling\nseverity: low\npattern: x\nwithin: 5\n"
                       "action: suggest\ndescription: d\nmatch: x\nnomatch: y\n\n"
                       "rule r.two\ncategory: gambling\nseverity: low\nlexicon: a.x\n"
                       "within: -3\nmin-weight: lots\nunless: a.y within 3 4\naction: suggest\n"
                       "description: d\nmatch: x\nnomatch: y\n";
    const char *want[] = {
        "1: rule r.one: within:, min-weight: and unless: need lexicon:",
        "15: rule r.two: within: '-3' is not a number of characters",
        "16: rule r.two: min-weight: 'lots' is not a number",
        "17: rule r.two: unless: expected lexicon ids, each once (at most 8), optionally followed by 'within N'",
    };
    expect_errors(text, want, 4);
}

/* ---- scale ----------------------------------------------------------------------------- */

/* Thousands of terms load in milliseconds and match in one pass. */
static void test_thousands_of_terms(void **state)
{
    (void)state;
    struct buf text = {0};
    buf_puts(&text, "lexicon big.one\ndescription: d\n");
    for (unsigned i = 0; i < 5000; i++) {
        unsigned a = 0x4E00 + i % 300, b = 0x5E00 + i / 300 * 7 + i % 7;
        char t[16];
        snprintf(t, sizeof t, "%c%c%c%c%c%c", 0xE0 | a >> 12, 0x80 | (a >> 6 & 0x3F),
                 0x80 | (a & 0x3F), 0xE0 | b >> 12, 0x80 | (b >> 6 & 0x3F), 0x80 | (b & 0x3F));
        buf_printf(&text, "%s%s", i % 50 ? " | " : "\nterms: ", t);
    }
    buf_puts(&text, "\nmatch: 一帀\nnomatch: 丁\n");
    char path[] = "/tmp/test_lexicon_XXXXXX.rules";
    int fd = mkstemps(path, 6);
    assert_int_equal(write(fd, text.p, text.len), (ssize_t)text.len);
    close(fd);
    struct ruleset *rs = NULL;
    char *err = malloc(ERRLEN);
    const char *paths[] = {path};
    int rc = rules_load(&rs, paths, 1, 0, err, ERRLEN);
    if (rc != 0)
        fail_msg("%s", err);
    struct rules_info info;
    rules_info(rs, &info);
    assert_true(info.terms >= 4000);
    assert_true(info.load_seconds < 2.0);          /* milliseconds; generous for ASan */
    rules_free(rs);
    unlink(path);
    free(err);
    buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_scripts_and_forms),
        cmocka_unit_test(test_fold_separators),
        cmocka_unit_test(test_fold_variants),
        cmocka_unit_test(test_latin_terms_match_whole_words),
        cmocka_unit_test(test_except_phrases),
        cmocka_unit_test(test_within_window),
        cmocka_unit_test(test_min_weight_with_negative_terms),
        cmocka_unit_test(test_unless),
        cmocka_unit_test(test_pattern_must_match_too),
        cmocka_unit_test(test_result_lists_lexicons_and_ordinary_hits),
        cmocka_unit_test(test_offsets_map_to_the_original),
        cmocka_unit_test(test_check_counts),
        cmocka_unit_test(test_error_bad_weight_and_keys),
        cmocka_unit_test(test_error_unknown_lexicon_in_rule),
        cmocka_unit_test(test_error_failing_examples),
        cmocka_unit_test(test_error_duplicates_and_conflicts),
        cmocka_unit_test(test_error_variant_with_dropped_character),
        cmocka_unit_test(test_error_rule_keys),
        cmocka_unit_test(test_thousands_of_terms),
        cmocka_unit_test(test_match_folded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
