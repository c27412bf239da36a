/* report_fixture — helpers of the gateway/report.h unit tests (test_report.c,
 * test_report_limits.c): the default limits loaded once per group, and reports that must be
 * accepted or rejected. Include after <cmocka.h>. */
#ifndef JUBAO_REPORT_FIXTURE_H
#define JUBAO_REPORT_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "report.h"

#define OK_URL "https://example.com/post/123"

/* The limits of the built-in defaults (conf_load with no file), loaded once. */
static struct conf conf;

static int group_setup(void **state)
{
    (void)state;
    char err[256];
    unsetenv("JUBAO_LISTEN");
    unsetenv("JUBAO_REDIS");
    unsetenv("JUBAO_DATA_DIR");
    unsetenv("JUBAO_RATE_LIMIT");
    if (conf_load(&conf, NULL, err, sizeof err) < 0) {
        print_error("conf_load: %s\n", err);
        return -1;
    }
    return crypto_init();
}

static struct jdoc *parse(const char *json)
{
    char err[160] = "";
    struct jdoc *d = jdoc_parse(json, strlen(json), 16, err, sizeof err);
    if (!d)
        fail_msg("jdoc_parse refused the test's JSON (%s): %.200s", err, json);
    return d;
}

/* A report_error that outlives its document: err.field may point into it. */
struct rejection {
    int status;
    const char *code;
    char field[64]; /* "(null)" when there is none */
    char message[192];
};

static struct rejection rejection_of(const struct report_error *e)
{
    struct rejection r;
    assert_non_null(e->code);
    assert_int_not_equal(strlen(e->message), 0);
    r.status = e->status;
    r.code = e->code;
    snprintf(r.field, sizeof r.field, "%s", e->field ? e->field : "(null)");
    snprintf(r.message, sizeof r.message, "%s", e->message);
    return r;
}

/* Validates json, which must fail; returns the error. */
static struct rejection reject(const char *json)
{
    struct jdoc *d = parse(json);
    struct report r;
    struct report_error e;
    memset(&e, 0, sizeof e);
    if (report_validate(d, &conf, &r, &e) == 0) {
        report_free(&r);
        jdoc_free(d);
        fail_msg("accepted: %.300s", json);
    }
    struct rejection out = rejection_of(&e);
    jdoc_free(d);
    return out;
}

/* Validates json, which must pass. */
static void accept(const char *json)
{
    struct jdoc *d = parse(json);
    struct report r;
    struct report_error e;
    memset(&e, 0, sizeof e);
    if (report_validate(d, &conf, &r, &e) != 0) {
        jdoc_free(d);
        fail_msg("rejected with %s (%s): %.300s", e.code, e.message, json);
    }
    report_free(&r);
    jdoc_free(d);
}


/* A report with a valid url and category and one more member with a raw JSON value. */
static char *with_member(const char *name, const char *raw_value)
{
    char *json = NULL;
    int n = asprintf(&json, "{\"url\":\"" OK_URL "\",\"category\":\"rumor\",\"%s\":%s}", name,
                     raw_value);
    assert_in_range(n, 1, INT32_MAX);
    return json;
}

#define assert_error(e, want_status, want_code, want_field)                       \
    do {                                                                          \
        assert_int_equal((e).status, want_status);                                \
        assert_string_equal((e).code, want_code);                                 \
        assert_string_equal((e).field, want_field);                               \
    } while (0)

#endif
