/* Unit tests for lib/store.h against a real redis-server (started here on a Unix socket in a
 * temporary directory, killed at the end): long commands go whole or not at all. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"

static char dir[] = "/tmp/jubao-test-store-XXXXXX";
static char sock[128];
static pid_t redis_pid;
static struct store *st;

static int start_redis(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);
    redis_pid = fork();
    if (redis_pid == 0) {
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock, "--dir", dir,
               "--save", "", "--appendonly", "no", "--logfile", "", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && access(sock, F_OK) != 0; i++)
        usleep(20000);
    char err[256];
    st = store_new(sock, 5000, 1, err, sizeof err);
    return st && access(sock, F_OK) == 0 ? 0 : -1;
}

static int stop_redis(void **state)
{
    (void)state;
    store_free(st);
    kill(redis_pid, SIGKILL);
    waitpid(redis_pid, NULL, 0);
    unlink(sock);
    rmdir(dir);
    return 0;
}

/* RPUSH key with n values; returns the job (run). */
static struct store_job *rpush(const char *key, int n)
{
    struct store_job *j = store_job_new(NULL, NULL);
    store_job_command(j, "RPUSH");
    store_job_argstr(j, key);
    for (int i = 0; i < n; i++)
        store_job_argll(j, i);
    store_run(st, j);
    return j;
}

static long long llen(const char *key)
{
    const char *argv[] = {"LLEN", key};
    struct store_job *j = store_job_new(NULL, NULL);
    store_job_commandv(j, argv, 2);
    long long n = store_run(st, j) == 0 ? store_reply_int(store_job_reply(j, 0)) : -1;
    store_job_free(j);
    return n;
}

static void test_a_long_command_goes_whole(void **state)
{
    (void)state;
    struct store_job *j = rpush("long", STORE_COMMAND_ARGS_MAX - 2);
    assert_int_equal(store_job_ok(j), 0);
    assert_int_equal(store_reply_int(store_job_reply(j, 0)), STORE_COMMAND_ARGS_MAX - 2);
    assert_null(store_job_error(j));
    store_job_free(j);
    assert_int_equal(llen("long"), STORE_COMMAND_ARGS_MAX - 2);
}

static void test_a_too_long_command_is_an_error_never_cut(void **state)
{
    (void)state;
    struct store_job *j = rpush("too-long", STORE_COMMAND_ARGS_MAX - 1);
    assert_int_equal(store_job_ok(j), -1);
    assert_non_null(store_job_error(j));
    assert_non_null(strstr(store_job_error(j), "longer"));
    store_job_free(j);
    assert_int_equal(llen("too-long"), 0);      /* nothing of it was sent */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_long_command_goes_whole),
        cmocka_unit_test(test_a_too_long_command_is_an_error_never_cut),
    };
    return cmocka_run_group_tests(tests, start_redis, stop_redis);
}
