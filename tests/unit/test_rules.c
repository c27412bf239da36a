/* Unit tests for rules/rules.h: the shipped packs, rule-file errors with file:line, results,
 * evasion, ReDoS limits, metrics, and reload under concurrent readers. Run from the top of the
 * tree (rules/packs is read from there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules.h"

#define ERRLEN 65536

#if defined(__SANITIZE_ADDRESS__)
#define SLOWDOWN 20     /* sanitizers make every step slower, not just ours */
#else
#define SLOWDOWN 1
#endif

/* Writes text to a new temporary file; returns its path (free it, unlink it). */
static char *tmpfile_with(const char *text)
{
    char *path = strdup("/tmp/test_rules_XXXXXX.rules");
    assert_non_null(path);
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* Loads text as a rule file. Returns rules_load's result; err receives its message. */
static int load_text(const char *text, unsigned flags, struct ruleset **rs, char *err,
                     char **path_out)
{
    char *path = tmpfile_with(text);
    const char *paths[] = {path};
    int rc = rules_load(rs, paths, 1, flags, err, ERRLEN);
    if (path_out)
        *path_out = path;
    else {
        unlink(path);
        free(path);
    }
    return rc;
}

static struct ruleset *load_ok(const char *text)
{
    struct ruleset *rs = NULL;
    char *err = malloc(ERRLEN);
    assert_non_null(err);
    int rc = load_text(text, 0, &rs, err, NULL);
    if (rc != 0)
        print_error("load failed:\n%s\n", err);
    assert_int_equal(rc, 0);
    free(err);
    return rs;
}

static int match_desc(const struct ruleset *rs, const char *text, struct rules_result *res)
{
    struct rules_input in = {0};
    in.text[RULES_DESCRIPTION] = text;
    in.len[RULES_DESCRIPTION] = strlen(text);
    return rules_match(rs, &in, res);
}

static bool has_hit(const struct rules_result *res, const char *id)
{
    for (size_t i = 0; i < res->nhits && i < RULES_MAX_HITS; i++)
        if (strcmp(res->hits[i].id, id) == 0)
            return true;
    return false;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the shipped packs ----------------------------------------------------------------- */

static void test_packs_load_and_pass_their_examples(void **state)
{
    (void)state;
    const char *paths[] = {"rules/packs"};
    struct ruleset *rs = NULL;
    char *err = malloc(ERRLEN);
    int rc = rules_load(&rs, paths, 1, 0, err, ERRLEN);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_true(rules_count(rs) >= 17);
    bool pii = false, fraud = false;
    for (size_t i = 0; i < rules_count(rs); i++) {
        pii = pii || strncmp(rules_id(rs, i), "pii.", 4) == 0;
        fraud = fraud || strncmp(rules_id(rs, i), "fraud.", 6) == 0;
    }
    assert_true(pii && fraud);
    rules_free(rs);
    free(err);
}

/* ---- errors name file:line ------------------------------------------------------------- */

#define GOOD_RULE(id)                                                                       \
    "rule " id "\ncategory: fraud\nseverity: low\npattern: abc\naction: suggest\n"          \
    "description: d\nmatch: xabcx\nnomatch: xyz\n\n"

/* Loads text, expects failure, and checks that every expected line is in the message. */
static void expect_errors(const char *text, const char *const *want, size_t nwant)
{
    struct ruleset *rs = (struct ruleset *)1;
    char *err = malloc(ERRLEN), *path = NULL;
    assert_int_equal(load_text(text, 0, &rs, err, &path), -1);
    assert_null(rs);
    for (size_t i = 0; i < nwant; i++) {
        char line[512];
        snprintf(line, sizeof line, "%s:%s", path, want[i]);
        if (!strstr(err, line))
            print_error("missing \"%s\" in:\n%s\n", line, err);
        assert_non_null(strstr(err, line));
    }
    size_t lines = 1;
    for (const char *p = err; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, nwant);
    unlink(path);
    free(path);
    free(err);
}

static void test_broken_pattern_names_line_and_pcre2_offset(void **state)
{
    (void)state;
    const char *text = GOOD_RULE("ok.one")
        "rule bad.paren\ncategory: fraud\nseverity: low\n"
        "pattern: 刷单(返利\n"                                      /* line 13 */
        "action: suggest\ndescription: d\nmatch: x\nnomatch: y\n";
    const char *want[] = {"13: rule bad.paren: pattern: missing closing parenthesis at offset 13"};
    expect_errors(text, want, 1);
}

static void test_every_broken_rule_is_reported(void **state)
{
    (void)state;
    const char *text =
        "bogus line\n"                                              /* line 1 */
        "rule a.nomatch_fails\ncategory: fraud\nseverity: low\npattern: abc\naction: suggest\n"
        "description: d\nmatch: abc\nnomatch: xxabcxx\n\n"          /* line 9 */
        "rule a.match_fails\ncategory: fraud\nseverity: low\npattern: abc\naction: suggest\n"
        "description: d\nmatch: xyz\nnomatch: q\n\n"                /* line 17 */
        "rule a.badcat\ncategory: spam\nseverity: low\npattern: abc\naction: suggest\n"
        "description: d\nmatch: abc\nnomatch: q\n\n"                /* rule at 20 */
        "rule a.upper\ncategory: fraud\nseverity: low\npattern: Abc\naction: suggest\n"
        "description: d\nmatch: abc\nnomatch: q\n\n"                /* pattern at 32 */
        "rule a.nomatch_fails\ncategory: fraud\nseverity: low\npattern: abd\naction: suggest\n"
        "description: d\nmatch: abd\nnomatch: q\n\n"                /* dup at 38 */
        "rule a.redact\npattern: [0-9]+\nvalidate: crc32\naction: redact NUM\n"
        "description: d\nmatch: 1\nnomatch: q\n\n"                  /* validate at 49 */
        "rule a.becomes\npattern: [0-9]{3}\naction: redact NUM\ndescription: d\n"
        "match: a 123 b\nbecomes: a [NUMBER] b\nnomatch: q\n";      /* becomes at 60 */
    const char *want[] = {
        "1: expected 'rule ID' or 'key: value'",
        "9: rule a.nomatch_fails: nomatch: example matches at \"abc\"",
        "17: rule a.match_fails: match: example does not match",
        "20: rule a.badcat: category: 'spam' is not a category code of API.md",
        "32: rule a.upper: pattern has upper-case 'A' at offset 0",
        "38: rule a.nomatch_fails: id already used at ",
        "49: rule a.redact: validate: unknown check 'crc32'",
        "60: rule a.becomes: becomes: expected \"a [NUMBER] b\", got \"a [NUM] b\"",
    };
    expect_errors(text, want, sizeof want / sizeof want[0]);
}

static void test_missing_examples_and_keys(void **state)
{
    (void)state;
    const char *text = "rule x.bare\npattern: abc\n";
    const char *want[] = {
        "1: rule x.bare: no description:",
        "1: rule x.bare: no action: (suggest, priority +N or redact NAME)",
        "1: rule x.bare: no severity: (low, medium, high or critical)",
        "1: rule x.bare: no category:",
        "1: rule x.bare: needs at least one match: and one nomatch: example",
    };
    expect_errors(text, want, sizeof want / sizeof want[0]);
}

static void test_lax_loads_the_good_rules(void **state)
{
    (void)state;
    struct ruleset *rs = NULL;
    char *err = malloc(ERRLEN);
    const char *text = "rule a.good\ncategory: other\nseverity: low\npattern: abc\n"
                       "action: suggest\ndescription: d\n\n"
                       "rule a.bad\ncategory: other\nseverity: low\npattern: (abc\n"
                       "action: suggest\ndescription: d\n";
    assert_int_equal(load_text(text, RULES_LAX, &rs, err, NULL), 0);
    assert_int_equal(rules_count(rs), 1);
    assert_string_equal(rules_id(rs, 0), "a.good");
    assert_non_null(strstr(err, "rule a.bad: pattern: missing closing parenthesis"));
    rules_free(rs);
    free(err);
}

static void test_unreadable_file(void **state)
{
    (void)state;
    struct ruleset *rs = NULL;
    char err[256];
    const char *paths[] = {"/nonexistent/x.rules"};
    assert_int_equal(rules_load(&rs, paths, 1, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.rules:0: cannot read"));
}

/* ---- results --------------------------------------------------------------------------- */

static const char *const RESULT_RULES =
    "rule r.low\ncategory: gambling\nseverity: low\npattern: 赌场\naction: suggest\n"
    "description: d\nmatch: 线上赌场\nnomatch: 赌\n\n"
    "rule r.crit\ncategory: fraud\nseverity: critical\npattern: 安全账户\n"
    "action: suggest, priority +3\ndescription: d\nmatch: 转到安全账户\nnomatch: 账户\n\n"
    "rule r.prio\ncategory: other\nseverity: medium\npattern: urgent\naction: priority +2\n"
    "description: d\nmatch: urgent!\nnomatch: urge\n\n"
    "rule r.url\ncategory: hacking\nseverity: high\nfields: url\npattern: /wp-login\\.php\n"
    "action: suggest\ndescription: d\nmatch: http://x.example/wp-login.php\nnomatch: /wp\n\n"
    "rule r.low2\ncategory: fraud\nseverity: low\npattern: 刷单\naction: suggest\n"
    "description: d\nmatch: 刷单\nnomatch: 刷\n";

static void test_result_orders_and_sums(void **state)
{
    (void)state;
    struct ruleset *rs = load_ok(RESULT_RULES);
    struct rules_input in = {0};
    struct rules_result res;
    const char *title = "URGENT 线上赌场", *desc = "请把钱转到安全账户，还有刷单",
               *url = "http://evil.example/wp-login.php";
    in.text[RULES_TITLE] = title;
    in.len[RULES_TITLE] = strlen(title);
    in.text[RULES_DESCRIPTION] = desc;
    in.len[RULES_DESCRIPTION] = strlen(desc);
    in.text[RULES_URL] = url;
    in.len[RULES_URL] = strlen(url);
    assert_int_equal(rules_match(rs, &in, &res), 0);
    assert_int_equal(res.nhits, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(res.hits[i].rule, i);      /* rule order */
    assert_int_equal(res.hits[0].field, RULES_TITLE);
    assert_int_equal(res.hits[3].field, RULES_URL);
    assert_int_equal(res.severity, 4);
    assert_int_equal(res.priority, 5);
    /* fraud (critical) first, then hacking (high), then gambling (low); "other" only raised
     * priority; fraud appears once although two rules suggest it */
    assert_int_equal(res.ncategories, 3);
    assert_string_equal(res.categories[0], "fraud");
    assert_string_equal(res.categories[1], "hacking");
    assert_string_equal(res.categories[2], "gambling");
    /* where: bytes of the original field */
    assert_int_equal(res.hits[1].field, RULES_DESCRIPTION);
    assert_memory_equal(desc + res.hits[1].start, "安全账户", strlen("安全账户"));
    assert_int_equal(res.hits[1].end - res.hits[1].start, strlen("安全账户"));
    rules_free(rs);
}

static void test_url_rule_ignores_description(void **state)
{
    (void)state;
    struct ruleset *rs = load_ok(RESULT_RULES);
    struct rules_result res;
    assert_int_equal(match_desc(rs, "see /wp-login.php", &res), 0);
    assert_int_equal(res.nhits, 0);
    assert_int_equal(res.severity, 0);
    assert_int_equal(res.ncategories, 0);
    rules_free(rs);
}

static void test_invalid_utf8_is_an_error(void **state)
{
    (void)state;
    struct ruleset *rs = load_ok(RESULT_RULES);
    struct rules_result res;
    assert_int_equal(match_desc(rs, "bad \xff byte", &res), -1);
    assert_int_equal(res.nhits, 0);
    rules_free(rs);
}

/* ---- evasion: full-width and mixed case ------------------------------------------------ */

static void test_fullwidth_and_case_do_not_evade(void **state)
{
    (void)state;
    const char *paths[] = {"rules/packs/fraud.rules"};
    struct ruleset *rs = NULL;
    char err[4096];
    assert_int_equal(rules_load(&rs, paths, 1, 0, err, sizeof err), 0);
    static const struct {
        const char *text, *id;
    } cases[] = {
        {"The POLICE officer said: move it to a SAFE ACCOUNT", "fraud.safe_account_en"},
        {"ｐｏｌｉｃｅ told me to use a ｓａｆｅ ａｃｃｏｕｎｔ", "fraud.safe_account_en"},
        {"Police said: SaFe AcCoUnT now", "fraud.safe_account_en"},
        {"ＧＵＡＲＡＮＴＥＥＤ Daily RETURNS with ｂｉｔｃｏｉｎ", "fraud.investment_en"},
        {"Customer Service: REFUND ready, install ＡｎｙＤｅｓｋ", "fraud.fake_refund_en"},
        {"兼职刷单，日结返利５００元", "fraud.task_rebate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rules_result res;
        assert_int_equal(match_desc(rs, cases[i].text, &res), 0);
        if (!has_hit(&res, cases[i].id))
            print_error("%s did not hit: %s\n", cases[i].id, cases[i].text);
        assert_true(has_hit(&res, cases[i].id));
    }
    /* the reported span covers the original full-width bytes */
    struct rules_result res;
    const char *t = "xx ｐｏｌｉｃｅ: ｓａｆｅ ａｃｃｏｕｎｔ yy";
    assert_int_equal(match_desc(rs, t, &res), 0);
    assert_int_equal(res.nhits, 1);
    assert_int_equal(res.hits[0].start, 3);
    assert_int_equal(res.hits[0].end, strlen(t) - 3);
    rules_free(rs);
}

/* ---- ReDoS ----------------------------------------------------------------------------- */

static const char *const EVIL_RULES =
    "rule evil.nested\ncategory: other\nseverity: low\npattern: (a+)+$\naction: suggest\n"
    "description: d\nmatch: aaa\nnomatch: b\n\n"
    "rule evil.alt\ncategory: other\nseverity: low\npattern: (a|aa)+$\naction: suggest\n"
    "description: d\nmatch: aaa\nnomatch: b\n\n"
    "rule evil.words\ncategory: other\nseverity: low\npattern: (\\w+\\s?)+$\naction: suggest\n"
    "description: d\nmatch: ab cd\nnomatch: !\n\n"
    "rule fine.literal\ncategory: other\nseverity: low\npattern: needle\naction: suggest\n"
    "description: d\nmatch: a needle\nnomatch: hay\n";

static void test_redos_stops_within_budget(void **state)
{
    (void)state;
    struct ruleset *rs = load_ok(EVIL_RULES);
    char thirty[40];
    memset(thirty, 'a', 30);
    strcpy(thirty + 30, "!");
    struct rules_result res;
    double t = now();
    assert_int_equal(match_desc(rs, thirty, &res), 0);
    t = now() - t;
    assert_int_equal(res.nhits, 0);
    assert_int_equal(res.nlimit, 3);        /* all three evil rules stopped, and counted */
    assert_true(t < 0.005 * SLOWDOWN);
    /* 5,000 characters: each rule stays near a millisecond, and the request is answered */
    char *big = malloc(5002);
    for (int i = 0; i < 5000; i++)
        big[i] = i % 7 == 6 ? ' ' : 'a';
    strcpy(big + 5000, "!");
    for (int rep = 0; rep < 3; rep++) {
        t = now();
        assert_int_equal(match_desc(rs, big, &res), 0);
        t = now() - t;
        assert_true(res.nlimit >= 1);
        if (t > 0.003 * 3 * SLOWDOWN)
            print_error("5,000 characters took %.3f ms\n", t * 1e3);
        assert_true(t < 0.003 * 3 * SLOWDOWN);
    }
    /* ordinary rules still work on the same text */
    memcpy(big + 100, "needle", 6);
    assert_int_equal(match_desc(rs, big, &res), 0);
    assert_true(has_hit(&res, "fine.literal"));
    free(big);
    rules_free(rs);
}

static void test_metrics_count_hits_and_limits(void **state)
{
    (void)state;
    struct ruleset *rs = load_ok(EVIL_RULES);
    struct rules_result res;
    assert_int_equal(match_desc(rs, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", &res), 0);
    assert_int_equal(match_desc(rs, "one needle", &res), 0);
    assert_int_equal(match_desc(rs, "two needles", &res), 0);
    struct buf b = {0};
    rules_metrics(rs, &b);
    assert_false(b.oom);
    assert_non_null(strstr(b.p, "jubao_rules_loaded 4\n"));
    assert_non_null(strstr(b.p, "jubao_rules_load_seconds "));
    assert_non_null(strstr(b.p, "jubao_rule_hits_total{rule=\"fine.literal\"} 2\n"));
    assert_non_null(strstr(b.p, "jubao_rule_limit_total{rule=\"evil.nested\"} 1\n"));
    assert_non_null(strstr(b.p, "# TYPE jubao_rule_hits_total counter\n"));
    buf_free(&b);
    rules_free(rs);
}

/* ---- reload under concurrent readers --------------------------------------------------- */

static const char *const SET_A =
    "rule set.a\ncategory: fraud\nseverity: low\npattern: marker\naction: suggest\n"
    "description: d\nmatch: marker\nnomatch: mark\n";
static const char *const SET_B =
    "rule set.b\ncategory: gambling\nseverity: high\npattern: marker\naction: suggest\n"
    "description: d\nmatch: marker\nnomatch: mark\n\n"
    "rule set.b2\ncategory: fraud\nseverity: low\npattern: 标记\naction: suggest\n"
    "description: d\nmatch: 标记\nnomatch: 标\n";

struct reader {
    struct rules_live *live;
    volatile int *stop;
    long rounds, bad;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    const char *text = "a marker and a 标记";
    while (!*r->stop) {
        const struct ruleset *rs = rules_acquire(r->live);
        struct rules_result res;
        if (match_desc(rs, text, &res) != 0)
            r->bad++;
        else if (!((res.nhits == 1 && strcmp(res.hits[0].id, "set.a") == 0) ||
                   (res.nhits == 2 && strcmp(res.hits[0].id, "set.b") == 0 &&
                    strcmp(res.hits[1].id, "set.b2") == 0)))
            r->bad++;       /* a half-built or freed set would show here (or in ASan) */
        rules_release(r->live, rs);
        r->rounds++;
    }
    rules_thread_done();
    return NULL;
}

static void test_swap_under_concurrent_readers(void **state)
{
    (void)state;
    char *pa = tmpfile_with(SET_A), *pb = tmpfile_with(SET_B);
    const char *a[] = {pa}, *b[] = {pb};
    struct ruleset *rs = NULL;
    char err[1024];
    assert_int_equal(rules_load(&rs, a, 1, 0, err, sizeof err), 0);
    struct rules_live *live = rules_live_new(rs);
    assert_non_null(live);
    volatile int stop = 0;
    struct reader rd[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (struct reader){live, &stop, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
    }
    for (int k = 0; k < 200; k++) {
        struct ruleset *next = NULL;
        assert_int_equal(rules_load(&next, k % 2 ? a : b, 1, 0, err, sizeof err), 0);
        rules_swap(live, next);
    }
    /* a broken file changes nothing: the load fails and the holder keeps its set */
    char *broken = tmpfile_with("rule x\npattern: (\n");
    const char *c[] = {broken};
    struct ruleset *none = NULL;
    assert_int_equal(rules_load(&none, c, 1, 0, err, sizeof err), -1);
    assert_null(none);
    usleep(20000);
    stop = 1;
    long rounds = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(rd[i].bad, 0);
        rounds += rd[i].rounds;
    }
    assert_true(rounds > 0);
    const struct ruleset *cur = rules_acquire(live);
    assert_string_equal(rules_id(cur, 0), "set.a");    /* the last swap, k = 199 */
    rules_release(live, cur);
    rules_live_free(live);
    unlink(pa);
    unlink(pb);
    unlink(broken);
    free(pa);
    free(pb);
    free(broken);
}

static void test_thread_done_is_idempotent(void **state)
{
    (void)state;
    rules_thread_done();
    rules_thread_done();
    struct ruleset *rs = load_ok(SET_A);
    struct rules_result res;
    assert_int_equal(match_desc(rs, "marker", &res), 0);
    assert_int_equal(res.nhits, 1);
    rules_free(rs);
    rules_thread_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packs_load_and_pass_their_examples),
        cmocka_unit_test(test_broken_pattern_names_line_and_pcre2_offset),
        cmocka_unit_test(test_every_broken_rule_is_reported),
        cmocka_unit_test(test_missing_examples_and_keys),
        cmocka_unit_test(test_lax_loads_the_good_rules),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_result_orders_and_sums),
        cmocka_unit_test(test_url_rule_ignores_description),
        cmocka_unit_test(test_invalid_utf8_is_an_error),
        cmocka_unit_test(test_fullwidth_and_case_do_not_evade),
        cmocka_unit_test(test_redos_stops_within_budget),
        cmocka_unit_test(test_metrics_count_hits_and_limits),
        cmocka_unit_test(test_swap_under_concurrent_readers),
        cmocka_unit_test(test_thread_done_is_idempotent),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rules_thread_done();
    return rc;
}
