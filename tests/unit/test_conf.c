/* Unit tests for lib/conf.h: what a good configuration gives: defaults, the file's syntax, the
 * environment over the file, --help and the example file. What the loader refuses, and host:port,
 * are in test_conf_check.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "assert_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_fixture.h"

/* The options of lib/conf.c, in its order. */
static const char *const option_names[] = {
    "listen", "metrics_listen", "redis", "data_dir", "rules", "log_level", "trusted_proxy", "threads", "store_threads",
    "connection_limit", "per_ip_connection_limit", "connection_timeout", "request_deadline",
    "header_timeout", "body_budget", "upload_per_addr", "redis_timeout_ms", "redis_shards", "redis_replica_acks",
    "redis_replica_timeout", "body_max", "batch_body_max", "batch_max", "url_max", "title_max",
    "description_max", "contact_max", "json_depth_max", "rate_limit", "rate_anon",
    "rate_anon_window", "rate_platform", "rate_platform_window", "rate_status_anon",
    "rate_status_anon_window", "rate_status_platform", "rate_status_platform_window",
    "login_threads", "login_queue", "login_rate", "login_rate_window", "idempotency_ttl",
    "retention_days", "evidence_max", "evidence_max_pixels", "pow_bits", "pow_extra",
    "evidence_budget_daily", "review_lease", "review_deadline_band3", "review_deadline_band2",
    "review_deadline_band1", "review_deadline_band0", "no_violation_window",
    "referral_deadline_critical", "referral_deadline_high", "referral_deadline_medium",
    "referral_deadline_low", "worker_consumers", "worker_idle_ms",
    "worker_max_deliveries", "model_poll", "model_max_bytes", "model_retrain_decisions",
    "model_retrain_interval",
};
#define NOPTIONS (sizeof option_names / sizeof option_names[0])

/* ---- defaults and the file ---- */

static void test_defaults(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), 0);
    const struct conf *c = &f->c;
    assert_string_equal(c->listen, "127.0.0.1:8080");
    assert_string_equal(c->metrics_listen, "127.0.0.1:9464");
    assert_string_equal(c->redis, "127.0.0.1:6379");
    assert_string_equal(c->data_dir, "var/data");
    assert_string_equal(c->log_level, "info");
    assert_string_equal(c->trusted_proxy, "");
    assert_int_equal(c->threads, 2);
    assert_int_equal(c->store_threads, 8);
    assert_int_equal(c->connection_limit, 4096);
    assert_int_equal(c->per_ip_connection_limit, 256);
    assert_int_equal(c->connection_timeout, 15);
    assert_int_equal(c->request_deadline, 30);
    assert_int_equal(c->redis_timeout_ms, 1000);
    assert_int_equal(c->redis_shards, 0);
    assert_int_equal(c->redis_replica_acks, 0);
    assert_int_equal(c->redis_replica_timeout, 1000);
    assert_int_equal(c->body_max, 65536);
    assert_int_equal(c->batch_body_max, 1048576);
    assert_int_equal(c->batch_max, 100);
    assert_int_equal(c->url_max, 2048);
    assert_int_equal(c->title_max, 300);
    assert_int_equal(c->description_max, 5000);
    assert_int_equal(c->contact_max, 256);
    assert_int_equal(c->json_depth_max, 16);
    assert_int_equal(c->rate_limit, 1);
    assert_int_equal(c->rate_anon, 20);
    assert_int_equal(c->rate_anon_window, 600);
    assert_int_equal(c->rate_platform, 10000);
    assert_int_equal(c->rate_platform_window, 60);
    assert_int_equal(c->rate_status_anon, 60);
    assert_int_equal(c->rate_status_anon_window, 600);
    assert_int_equal(c->rate_status_platform, 6000);
    assert_int_equal(c->rate_status_platform_window, 60);
    assert_int_equal(c->login_threads, 1);
    assert_int_equal(c->login_queue, 64);
    assert_int_equal(c->login_rate, 20);
    assert_int_equal(c->login_rate_window, 300);
    assert_int_equal(c->idempotency_ttl, 86400);
    assert_int_equal(c->retention_days, 365);
    assert_int_equal(c->evidence_max, 5242880);
    assert_int_equal(c->evidence_max_pixels, 30000000);
    assert_int_equal(c->pow_bits, 16);
    assert_int_equal(c->review_lease, 900);
    assert_int_equal(c->no_violation_window, 30);
    assert_int_equal(c->referral_deadline_critical, 2 * 3600);
    assert_int_equal(c->referral_deadline_high, 24 * 3600);
    assert_int_equal(c->referral_deadline_medium, 72 * 3600);
    assert_int_equal(c->referral_deadline_low, 7 * 86400);
    assert_int_equal(c->worker_consumers, 2);
    assert_int_equal(c->worker_idle_ms, 30000);
    assert_int_equal(c->worker_max_deliveries, 5);
    assert_int_equal(c->model_poll, 5);
    assert_int_equal(c->model_retrain_decisions, 500);
    assert_int_equal(c->model_retrain_interval, 3600);
}

static void test_file_overrides(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_text(f, "listen = 0.0.0.0:9000\n"
                                  "redis = /run/redis/redis.sock\n"
                                  "threads = 8\n"
                                  "body_max = 1024\n"
                                  "log_level = debug\n"
                                  "rate_limit = 0\n"),
                     0);
    assert_string_equal(f->c.listen, "0.0.0.0:9000");
    assert_string_equal(f->c.redis, "/run/redis/redis.sock");
    assert_int_equal(f->c.threads, 8);
    assert_int_equal(f->c.body_max, 1024);
    assert_string_equal(f->c.log_level, "debug");
    assert_int_equal(f->c.rate_limit, 0);
    /* What the file does not name keeps its default. */
    assert_string_equal(f->c.data_dir, "var/data");
    assert_int_equal(f->c.batch_max, 100);
}

static void test_file_bounds_inclusive(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_text(f, "threads = 1\nstore_threads = 16\njson_depth_max = 2\n"), 0);
    assert_int_equal(f->c.threads, 1);
    assert_int_equal(f->c.store_threads, 16);
    assert_int_equal(f->c.json_depth_max, 2);
    assert_int_equal(load_text(f, "threads = 64\n"), 0);
    assert_int_equal(f->c.threads, 64);
}

static void test_comments_blank_lines_whitespace(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_text(f, "# jubao configuration\n"
                                  "\n"
                                  "   \t  \n"
                                  "    # an indented comment\n"
                                  "threads=4 # a comment after a value\n"
                                  "\tbody_max\t=\t2048   \n"
                                  "#threads = 9\n"
                                  "data_dir = /srv/jubao data\n"),
                     0);
    assert_int_equal(f->c.threads, 4);
    assert_int_equal(f->c.body_max, 2048);
    assert_string_equal(f->c.data_dir, "/srv/jubao data"); /* inner spaces kept */
}

static void test_empty_file(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_text(f, ""), 0);
    assert_int_equal(f->c.threads, 2);
}

static void test_last_line_without_newline(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_text(f, "threads = 3\nbatch_max = 7"), 0);
    assert_int_equal(f->c.batch_max, 7);
}

static void test_long_comment_line(void **state)
{
    struct fixture *f = *state;
    /* A comment is a comment however long it is. */
    char text[2100] = "# ";
    memset(text + 2, 'x', 1500);
    strcpy(text + 1502, "\nthreads = 4\n");
    if (load_text(f, text) != 0)
        fail_msg("a 1502-byte comment line was refused: %s", f->err);
    assert_int_equal(f->c.threads, 4);
}

/* ---- the environment ---- */

static void test_env_beats_file(void **state)
{
    struct fixture *f = *state;
    setenv("JUBAO_LISTEN", "0.0.0.0:8081", 1);
    setenv("JUBAO_REDIS", "/run/redis.sock", 1);
    setenv("JUBAO_DATA_DIR", "/srv/jubao", 1);
    setenv("JUBAO_RATE_LIMIT", "0", 1);
    assert_int_equal(load_text(f, "listen = 127.0.0.1:9000\nredis = 10.0.0.1:6379\n"
                                  "data_dir = /var/lib/jubao\nrate_limit = 1\nthreads = 5\n"),
                     0);
    assert_string_equal(f->c.listen, "0.0.0.0:8081");
    assert_string_equal(f->c.redis, "/run/redis.sock");
    assert_string_equal(f->c.data_dir, "/srv/jubao");
    assert_int_equal(f->c.rate_limit, 0);
    assert_int_equal(f->c.threads, 5); /* no environment variable: the file's */
}

static void test_env_beats_default(void **state)
{
    struct fixture *f = *state;
    setenv("JUBAO_LISTEN", "[::1]:8443", 1);
    setenv("JUBAO_REDIS", "redis.internal:6380", 1);
    assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), 0);
    assert_string_equal(f->c.listen, "[::1]:8443");
    assert_string_equal(f->c.redis, "redis.internal:6380");
    assert_string_equal(f->c.data_dir, "var/data");
}

/* ---- --help and the example file ---- */

/* conf_describe's output as a string the caller frees. */
static char *describe(bool as_file)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    conf_describe(out, as_file);
    assert_int_equal(fclose(out), 0);
    assert_non_null(text);
    return text;
}

/* Lines of text that start with prefix followed by an option name and then `after`. */
static size_t count_option_lines(const char *text, const char *prefix, const char *after)
{
    size_t n = 0;
    for (size_t i = 0; i < NOPTIONS; i++) {
        char line[128];
        snprintf(line, sizeof line, "%s%s%s", prefix, option_names[i], after);
        for (const char *p = text; (p = strstr(p, line)); p++)
            if (p == text || p[-1] == '\n')
                n++;
    }
    return n;
}

static void test_describe_help_names_every_option(void **state)
{
    (void)state;
    char *text = describe(false);
    for (size_t i = 0; i < NOPTIONS; i++) {
        char want[64];
        snprintf(want, sizeof want, "  %s ", option_names[i]);
        assert_contains(text, want);
    }
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
        assert_contains(text, env_names[i]);
    assert_contains(text, "[default: 65536]");
    assert_contains(text, "(1 to 64)");
    /* One line per option, and no option this list does not know. */
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, NOPTIONS);
    assert_int_equal(count_option_lines(text, "  ", " "), NOPTIONS);
    free(text);
}

static void test_describe_file_names_every_option(void **state)
{
    (void)state;
    char *text = describe(true);
    for (size_t i = 0; i < NOPTIONS; i++) {
        char want[64];
        snprintf(want, sizeof want, "# %s = ", option_names[i]);
        assert_contains(text, want);
    }
    assert_contains(text, "# listen = 127.0.0.1:8080\n");
    assert_contains(text, "# body_max = 65536\n");
    assert_int_equal(count_option_lines(text, "# ", " = "), NOPTIONS);
    free(text);
}

static void test_describe_file_uncommented_loads_defaults(void **state)
{
    struct fixture *f = *state;
    char *text = describe(true);
    /* Uncomment every "# name = value" line: the file must load and give the defaults. */
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    size_t uncommented = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        bool setting = false;
        for (size_t i = 0; i < NOPTIONS && !setting && strncmp(line, "# ", 2) == 0; i++) {
            size_t n = strlen(option_names[i]);
            setting = strncmp(line + 2, option_names[i], n) == 0 &&
                      strncmp(line + 2 + n, " = ", 3) == 0;
        }
        if (setting)
            uncommented++;
        fprintf(fp, "%s\n", setting ? line + 2 : line);
    }
    assert_int_equal(fclose(fp), 0);
    free(text);
    assert_int_equal(uncommented, NOPTIONS);

    struct conf defaults;
    char err[256];
    assert_int_equal(conf_load(&defaults, NULL, err, sizeof err), 0);
    if (conf_load(&f->c, f->path, f->err, sizeof f->err) != 0)
        fail_msg("the example file does not load: %s", f->err);
    assert_memory_equal(&f->c, &defaults, sizeof defaults);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_file_overrides),
        T(test_file_bounds_inclusive),
        T(test_comments_blank_lines_whitespace),
        T(test_empty_file),
        T(test_last_line_without_newline),
        T(test_long_comment_line),
        T(test_env_beats_file),
        T(test_env_beats_default),
        T(test_describe_help_names_every_option),
        T(test_describe_file_names_every_option),
        T(test_describe_file_uncommented_loads_defaults),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
