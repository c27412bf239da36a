/* Unit tests for workers/route: the priority band of a case (docs/API.md, "Review") and the
 * rule pass a worker makes on a stored report with the shipped packs. Run from the top of
 * the tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "assert_text.h"
#include "route.h"

static struct ruleset *packs;

static int setup(void **state)
{
    (void)state;
    const char *paths[] = {"rules/packs"};
    char err[4096];
    if (rules_load(&packs, paths, 1, 0, err, sizeof err) != 0) {
        print_error("%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rules_free(packs);
    rules_thread_done();
    return 0;
}

static int band(const char *category, const char *suggested, int severity, bool hits,
                long reports, long reporters)
{
    int score = -1;
    int b = route_band(category, suggested, severity, hits, 0, reports, reporters, &score);
    assert_in_range(score, 0, 100);
    return b;
}

static void test_minors_and_violence_come_first(void **state)
{
    (void)state;
    assert_int_equal(band("minors", "", 0, false, 1, 1), 3);
    assert_int_equal(band("violence_terrorism", "", 0, false, 1, 1), 3);
    /* suggested by the rules, whatever the reporter chose */
    assert_int_equal(band("other", "fraud,minors", 1, true, 1, 1), 3);
    assert_int_equal(band("other", "violence_terrorism", 1, true, 1, 1), 3);
    /* a code that merely contains the name is not it */
    assert_int_equal(band("other", "minorsx,xminors", 0, false, 1, 1), 0);
    assert_int_equal(band("fraud", "", 4, true, 1, 1), 3);
}

static void test_severity_and_crowds(void **state)
{
    (void)state;
    assert_int_equal(band("fraud", "fraud", 3, true, 1, 1), 2);
    assert_int_equal(band("fraud", "", 0, false, 40, 20), 2);
    assert_int_equal(band("fraud", "", 0, false, 40, 19), 1);
    assert_int_equal(band("fraud", "fraud", 1, true, 1, 1), 1);
    assert_int_equal(band("fraud", "", 0, true, 1, 1), 1);
    assert_int_equal(band("fraud", "", 0, false, 3, 1), 1);
    assert_int_equal(band("other", "", 0, false, 2, 2), 0);
}

/* A suggestion the model is confident about (or a rule of high severity, which scores 0.90)
 * puts a case in band 2; a weaker one in band 1; none leaves it in band 0. */
static void test_confident_suggestions_rise(void **state)
{
    (void)state;
    int score;
    assert_int_equal(route_band("other", "gambling", 0, true, 0.94, 1, 1, &score), 2);
    assert_int_equal(route_band("other", "gambling", 0, true, 0.90, 1, 1, &score), 2);
    assert_int_equal(route_band("other", "gambling", 0, true, 0.89, 1, 1, &score), 1);
    assert_int_equal(route_band("other", "", 0, false, 0, 1, 1, &score), 0);
    /* a model suggestion of an urgent category is band 3 whatever its score */
    assert_int_equal(route_band("other", "minors", 0, true, 0.5, 1, 1, &score), 3);
    assert_true(route_top_score("gambling:0.94:model,fraud:0.75:rule") > 0.93);
    assert_true(route_top_score("") == 0);
    assert_true(route_top_score("fraud:0.60:rule,minors:0.91:model+rule") > 0.90);
}

static void test_score_orders_within_a_band(void **state)
{
    (void)state;
    int a, b;
    route_band("fraud", "", 1, true, 0, 1, 1, &a);
    route_band("fraud", "", 1, true, 0, 30, 15, &b);
    assert_true(b > a);
    route_band("minors", "", 4, true, 0.99, 1000, 1000, &a);
    assert_int_equal(a, 100);
}

static void test_rule_pass_on_a_stored_report(void **state)
{
    (void)state;
    struct route_in in = {"other", "", 0, 1, 1, "http://example.com/x", "",
                          "代办信用卡 call 13812345678 or mail wang.wei@example.com", ""};
    struct route_out out;
    assert_int_equal(route_case(packs, NULL, &in, &out), 0);
    /* the reviewers' copy is redacted again */
    assert_not_contains(out.description, "13812345678");
    assert_not_contains(out.description, "wang.wei@example.com");
    assert_contains(out.description, "代办信用卡");
    assert_string_equal(out.title, "");
    assert_in_range(out.band, 0, 3);
    route_out_free(&out);

    struct route_in minors = {"other", "", 0, 1, 1, "http://example.com/y", "", "", ""};
    minors.category = "minors";
    assert_int_equal(route_case(packs, NULL, &minors, &out), 0);
    assert_int_equal(out.band, 3);
    route_out_free(&out);
}

static void test_intake_severity_is_kept(void **state)
{
    (void)state;
    struct route_in in = {"fraud", "fraud", 3, 1, 1, "http://example.com/z", "", "", ""};
    struct route_out out;
    assert_int_equal(route_case(packs, NULL, &in, &out), 0);
    assert_int_equal(out.severity, 3);
    assert_int_equal(out.band, 2);
    route_out_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minors_and_violence_come_first),
        cmocka_unit_test(test_severity_and_crowds),
        cmocka_unit_test(test_confident_suggestions_rise),
        cmocka_unit_test(test_score_orders_within_a_band),
        cmocka_unit_test(test_rule_pass_on_a_stored_report),
        cmocka_unit_test(test_intake_severity_is_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
