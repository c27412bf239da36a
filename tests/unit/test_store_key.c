/* Unit tests for lib/store_key.c: which word of a command decides its server on a Redis
 * Cluster (store_cmd_key), and which commands are durable writes (store_pipe_durable). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"
#include "store_int.h"

/* The key index of the one command argv[0..argc) in a fresh job. */
static int key_of(const char *const *argv, size_t argc)
{
    struct store_job *j = store_job_new(NULL, NULL);
    assert_non_null(j);
    assert_int_equal(store_job_commandv(j, argv, argc), 0);
    int k = store_cmd_key(j, 0);
    store_job_free(j);
    return k;
}

#define KEY(...) key_of((const char *const[]){__VA_ARGS__}, \
                        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void test_the_key_of_each_kind_of_command(void **state)
{
    (void)state;
    assert_int_equal(KEY("GET", "jb:{0}:x"), 1);
    assert_int_equal(KEY("hmget", "jb:{0}:case:C-1", "a", "b"), 1);
    /* FCALL and EVAL: the first key */
    assert_int_equal(KEY("FCALL", "jb_report", "2", "jb:{0}:a", "jb:{0}:b", "arg"), 3);
    assert_int_equal(KEY("EVALSHA", "abc", "1", "k"), 3);
    /* a keyless Function runs where the hash tag of its key prefix argument points */
    assert_int_equal(KEY("FCALL", "jb_review_stats", "0", "jb:{0}:"), 3);
    assert_int_equal(KEY("FCALL", "f", "0", "plain", "{}", "x:{s7}:y"), 5);
    assert_int_equal(KEY("FCALL", "f", "0", "plain"), -1);
    /* streams after STREAMS; XGROUP and XINFO name the key third */
    assert_int_equal(KEY("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "BLOCK", "100",
                         "STREAMS", "jb:{0}:intake", ">"), 9);
    assert_int_equal(KEY("XGROUP", "CREATE", "jb:{0}:intake", "workers", "0", "MKSTREAM"), 2);
    assert_int_equal(KEY("XINFO", "GROUPS", "jb:{0}:intake"), 2);
    /* no key: any primary */
    assert_int_equal(KEY("PING"), -1);
    assert_int_equal(KEY("INFO", "cluster"), -1);
    assert_int_equal(KEY("FUNCTION", "LOAD", "REPLACE", "code"), -1);
    assert_int_equal(KEY("WAIT", "1", "1000"), -1);
}

static void test_durable_writes_are_the_named_functions_only(void **state)
{
    (void)state;
    struct store st;
    memset(&st, 0, sizeof st);
    st.replica_acks = 1;
    st.ndurable = 2;
    strcpy(st.durable[0], "jb_report");
    strcpy(st.durable[1], "jb_decide");
    struct store_job *j = store_job_new(NULL, NULL);
    const char *report[] = {"FCALL", "jb_report", "1", "k"};
    const char *status[] = {"FCALL", "jb_status", "1", "k"};
    const char *prefix[] = {"FCALL", "jb_reports", "1", "k"};
    const char *get[] = {"GET", "jb_report"};
    store_job_commandv(j, report, 4);
    store_job_commandv(j, status, 4);
    store_job_commandv(j, prefix, 4);
    store_job_commandv(j, get, 2);
    assert_true(store_pipe_durable(&st, j, 0));
    assert_false(store_pipe_durable(&st, j, 1));
    assert_false(store_pipe_durable(&st, j, 2));
    assert_false(store_pipe_durable(&st, j, 3));
    st.replica_acks = 0; /* nothing is waited for */
    assert_false(store_pipe_durable(&st, j, 0));
    store_job_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_key_of_each_kind_of_command),
        cmocka_unit_test(test_durable_writes_are_the_named_functions_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
