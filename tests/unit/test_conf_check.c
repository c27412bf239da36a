/* Unit tests for lib/conf.h: what the loader refuses and how the error names the fault (the
 * file's line, the environment variable), the checked values (log level, trusted proxy,
 * addresses), and conf_split_hostport. Defaults, the file's syntax, the environment over the
 * file and --help are in test_conf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "assert_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_fixture.h"

/* Loads text and expects the error "<path>:<line>: " followed by a reason with `reason`. */
static void expect_file_error(struct fixture *f, const char *text, int line, const char *reason)
{
    assert_int_equal(load_text(f, text), -1);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s:%d: ", f->path, line);
    assert_starts_with(f->err, prefix);
    assert_contains(f->err, reason);
}

/* ---- file errors ---- */

static void test_error_unknown_option(void **state)
{
    struct fixture *f = *state;
    expect_file_error(f, "# comment\n\ncolour = blue\n", 3, "unknown option \"colour\"");
    expect_file_error(f, "Threads = 2\n", 1, "unknown option \"Threads\"");
}

static void test_error_not_a_number(void **state)
{
    struct fixture *f = *state;
    expect_file_error(f, "threads = 2\nbody_max = lots\n", 2, "body_max");
    assert_contains(f->err, "\"lots\" is not a whole number");
    expect_file_error(f, "threads = 4x\n", 1, "\"4x\" is not a whole number");
    expect_file_error(f, "threads = 4.5\n", 1, "not a whole number");
    expect_file_error(f, "threads =\n", 1, "not a whole number");
    expect_file_error(f, "rate_anon = 99999999999999999999999\n", 1, "not a whole number");
}

static void test_error_out_of_bounds(void **state)
{
    struct fixture *f = *state;
    expect_file_error(f, "threads = 0\n", 1, "threads: \"0\" is not a whole number from 1 to 64");
    expect_file_error(f, "\nthreads = 65\n", 2, "from 1 to 64");
    expect_file_error(f, "threads = -1\n", 1, "from 1 to 64");
    expect_file_error(f, "json_depth_max = 1\n", 1, "json_depth_max");
    expect_file_error(f, "rate_limit = 2\n", 1, "from 0 to 1");
    expect_file_error(f, "login_threads = 0\n", 1,
                      "login_threads: \"0\" is not a whole number from 1 to 16");
    expect_file_error(f, "login_threads = 17\n", 1, "from 1 to 16");
    expect_file_error(f, "login_queue = 4097\n", 1, "from 0 to 4096");
    expect_file_error(f, "login_rate = 0\n", 1, "login_rate");
}

static void test_error_missing_equals(void **state)
{
    struct fixture *f = *state;
    expect_file_error(f, "threads = 2\n\nthreads 4\n", 3, "expected name = value");
    expect_file_error(f, "listen\n", 1, "expected name = value");
}

static void test_error_string_length(void **state)
{
    struct fixture *f = *state;
    char text[700] = "data_dir = ";
    memset(text + 11, 'd', 600);
    strcpy(text + 611, "\n");
    expect_file_error(f, text, 1, "data_dir");
    assert_contains(f->err, "511 bytes");
    /* 511 bytes fit. */
    strcpy(text + 11 + 511, "\n");
    assert_int_equal(load_text(f, text), 0);
    assert_int_equal(strlen(f->c.data_dir), 511);
}

static void test_error_first_fault_wins(void **state)
{
    struct fixture *f = *state;
    expect_file_error(f, "threads = 0\ncolour = blue\n", 1, "threads");
}

static void test_error_missing_file(void **state)
{
    struct fixture *f = *state;
    const char *path = "/nonexistent/jubao/jubao.conf";
    assert_int_equal(conf_load(&f->c, path, f->err, sizeof f->err), -1);
    assert_starts_with(f->err, path);
}

static void test_error_bad_listen_in_file_names_line(void **state)
{
    struct fixture *f = *state;
    /* conf.h: errors are "file:line: reason"; a bad address in the file is the file's fault. */
    expect_file_error(f, "# addresses\nlisten = localhost\n", 2, "listen");
}

static void test_error_bad_redis(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_text(f, "redis = redis-host\n"), -1);
    assert_contains(f->err, "redis");
    assert_contains(f->err, "redis-host");
}

/* A Redis Cluster's seeds are a comma-separated host:port list (cluster_seeds_parse); a list
 * with an empty, repeated or malformed seed is refused at load, naming the option. */
static void test_redis_seed_list(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_text(f, "redis = 10.0.0.11:7000, 10.0.0.12:7000,[::1]:7001\n"), 0);
    assert_string_equal(f->c.redis, "10.0.0.11:7000, 10.0.0.12:7000,[::1]:7001");
    const char *bad[] = {"10.0.0.11:7000,,10.0.0.12:7000", "10.0.0.11:7000,10.0.0.11:7000",
                         "10.0.0.11:7000,redis-host", "10.0.0.11:7000,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[200];
        snprintf(text, sizeof text, "redis = %s\n", bad[i]);
        assert_int_equal(load_text(f, text), -1);
        assert_contains(f->err, "redis");
    }
}

static void test_log_levels(void **state)
{
    struct fixture *f = *state;
    const char *good[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "log_level = %s\n", good[i]);
        if (load_text(f, text) != 0)
            fail_msg("log_level %s refused: %s", good[i], f->err);
        assert_string_equal(f->c.log_level, good[i]);
    }
    const char *bad[] = {"verbose", "INFO", "bug", "n", "o warn"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "log_level = %s\n", bad[i]);
        if (load_text(f, text) == 0)
            fail_msg("log_level \"%s\" accepted", bad[i]);
        assert_contains(f->err, "log_level");
    }
}

static void test_trusted_proxy(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(load_text(f, "trusted_proxy = 10.0.0.1\n"), 0);
    assert_string_equal(f->c.trusted_proxy, "10.0.0.1");
    assert_int_equal(load_text(f, "trusted_proxy = ::1\n"), 0);
    assert_string_equal(f->c.trusted_proxy, "::1");
    assert_int_equal(load_text(f, "trusted_proxy =\n"), 0); /* empty: none */
    assert_string_equal(f->c.trusted_proxy, "");
    const char *bad[] = {"proxy.local", "10.0.0.1/8", "10.0.0.256", "[::1]", "10.0.0.1:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "trusted_proxy = %s\n", bad[i]);
        if (load_text(f, text) == 0)
            fail_msg("trusted_proxy \"%s\" accepted", bad[i]);
        assert_contains(f->err, "trusted_proxy");
    }
}

/* ---- the environment: errors ---- */

static void test_env_invalid_number_named(void **state)
{
    struct fixture *f = *state;
    const char *bad[] = {"2", "yes", "", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("JUBAO_RATE_LIMIT", bad[i], 1);
        assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), -1);
        assert_starts_with(f->err, "JUBAO_RATE_LIMIT: ");
    }
}

static void test_env_empty_string_named(void **state)
{
    struct fixture *f = *state;
    setenv("JUBAO_DATA_DIR", "", 1);
    assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), -1);
    assert_starts_with(f->err, "JUBAO_DATA_DIR: ");
}

static void test_env_invalid_listen_named(void **state)
{
    struct fixture *f = *state;
    setenv("JUBAO_LISTEN", "not-an-address", 1);
    assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), -1);
    /* conf.h: an environment error reads "JUBAO_X: reason". */
    assert_starts_with(f->err, "JUBAO_LISTEN: ");
    assert_contains(f->err, "not-an-address");
}

/* /metrics has its own address: set by JUBAO_METRICS_LISTEN, checked like listen, and
 * empty turns it off. */
static void test_env_metrics_listen(void **state)
{
    struct fixture *f = *state;
    setenv("JUBAO_METRICS_LISTEN", "127.0.0.1:19464", 1);
    assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), 0);
    assert_string_equal(f->c.metrics_listen, "127.0.0.1:19464");
    setenv("JUBAO_METRICS_LISTEN", "", 1);
    assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), 0);
    assert_string_equal(f->c.metrics_listen, "");
    setenv("JUBAO_METRICS_LISTEN", "9464", 1);
    assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), -1);
    assert_starts_with(f->err, "JUBAO_METRICS_LISTEN: ");
    /* never on the public port, where it would share the public's connections */
    setenv("JUBAO_METRICS_LISTEN", "0.0.0.0:8080", 1);
    assert_int_equal(conf_load(&f->c, NULL, f->err, sizeof f->err), -1);
    assert_starts_with(f->err, "metrics_listen: ");
    assert_contains(f->err, "port of listen");
}

/* ---- host:port ---- */

static void test_split_hostport_good(void **state)
{
    (void)state;
    char host[64];
    int port = 0;
    assert_int_equal(conf_split_hostport("127.0.0.1:80", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 80);
    assert_int_equal(conf_split_hostport("[::1]:8080", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8080);
    assert_int_equal(conf_split_hostport("localhost:65535", host, sizeof host, &port), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 65535);
    assert_int_equal(conf_split_hostport("redis.example:1", host, sizeof host, &port), 0);
    assert_string_equal(host, "redis.example");
    assert_int_equal(port, 1);
    assert_int_equal(conf_split_hostport("[2001:db8::5]:443", host, sizeof host, &port), 0);
    assert_string_equal(host, "2001:db8::5");
    assert_int_equal(port, 443);
}

static void test_split_hostport_bad(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "127.0.0.1", "localhost", ":80", "host:", "host:0", "host:65536", "host:-80",
        "host:abc", "host:80x", "host:99999999999999999999", "[::1:80", "[]:80", "[::1]",
        "[::1]x:80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char host[64] = "untouched";
        int port = -7;
        if (conf_split_hostport(bad[i], host, sizeof host, &port) == 0)
            fail_msg("\"%s\" accepted as host \"%s\" port %d", bad[i], host, port);
    }
}

static void test_split_hostport_port_digits_only(void **state)
{
    (void)state;
    /* A port is digits: no sign, no white space. */
    const char *bad[] = {"127.0.0.1: 80", "127.0.0.1:+80", "127.0.0.1:\t80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char host[64] = "";
        int port = -7;
        if (conf_split_hostport(bad[i], host, sizeof host, &port) == 0)
            fail_msg("\"%s\" accepted as host \"%s\" port %d", bad[i], host, port);
    }
}

static void test_split_hostport_ipv6_needs_brackets(void **state)
{
    (void)state;
    /* Without brackets an IPv6 address cannot be told from its port. */
    const char *bad[] = {"::1", "::1:8080", "2001:db8::5:443"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char host[64] = "";
        int port = -7;
        if (conf_split_hostport(bad[i], host, sizeof host, &port) == 0)
            fail_msg("\"%s\" accepted as host \"%s\" port %d", bad[i], host, port);
    }
}

static void test_split_hostport_host_buffer(void **state)
{
    (void)state;
    char host[16];
    int port = 0;
    /* "localhost" is 9 bytes: it needs 10 with the NUL. */
    assert_int_equal(conf_split_hostport("localhost:80", host, 9, &port), -1);
    assert_int_equal(conf_split_hostport("localhost:80", host, 10, &port), 0);
    assert_string_equal(host, "localhost");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_error_unknown_option),
        T(test_error_not_a_number),
        T(test_error_out_of_bounds),
        T(test_error_missing_equals),
        T(test_error_string_length),
        T(test_error_first_fault_wins),
        T(test_error_missing_file),
        T(test_error_bad_listen_in_file_names_line),
        T(test_error_bad_redis),
        T(test_redis_seed_list),
        T(test_log_levels),
        T(test_trusted_proxy),
        T(test_env_invalid_number_named),
        T(test_env_empty_string_named),
        T(test_env_invalid_listen_named),
        T(test_env_metrics_listen),
        T(test_split_hostport_good),
        T(test_split_hostport_bad),
        T(test_split_hostport_port_digits_only),
        T(test_split_hostport_ipv6_needs_brackets),
        T(test_split_hostport_host_buffer),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
