/* Unit tests for gateway/pwcheck: the password threads hold at most threads + queue logins
 * (a refusal beyond), give a place back when a check is done or cancelled, verify with
 * Argon2id (an unknown user: never a match) and count each check in /metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "assert_text.h"
#include "buf.h"
#include "crypto.h"
#include "metrics.h"
#include "pwcheck.h"

#define PW "correct horse battery staple"

struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
};

static void task_done(struct pwcheck_task *task, void *arg)
{
    (void)task;
    struct waiter *w = arg;
    pthread_mutex_lock(&w->lock);
    w->done++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void wait_done(struct waiter *w, int n)
{
    pthread_mutex_lock(&w->lock);
    while (w->done < n)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

/* The value of jubao_password_checks_total in /metrics. */
static long checks_metric(void)
{
    struct buf b = {0};
    metrics_render(&b);
    const char *p = strstr(b.p, "\njubao_password_checks_total ");
    long v = p ? atol(p + strlen("\njubao_password_checks_total ")) : -1;
    buf_free(&b);
    return v;
}

static void test_room_is_threads_plus_queue(void **state)
{
    (void)state;
    struct pwcheck *p = pwcheck_new(2, 3);
    assert_non_null(p);
    for (int i = 0; i < 5; i++)
        assert_true(pwcheck_reserve(p));
    assert_false(pwcheck_reserve(p));
    pwcheck_cancel(p);
    assert_true(pwcheck_reserve(p));
    assert_false(pwcheck_reserve(p));
    for (int i = 0; i < 5; i++)
        pwcheck_cancel(p);
    pwcheck_free(p);
    assert_null(pwcheck_new(0, 3));
    pwcheck_free(NULL);
}

static void test_checks_verify_and_give_the_place_back(void **state)
{
    (void)state;
    char hash[CRYPTO_PWHASH_LEN];
    assert_int_equal(crypto_password_hash(PW, strlen(PW), hash), 0);
    struct pwcheck *p = pwcheck_new(1, 0);
    assert_non_null(p);
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    long before = checks_metric();
    struct pwcheck_task tasks[3] = {
        {.hash = hash, .password = PW, .len = strlen(PW)},
        {.hash = hash, .password = "wrong", .len = 5},
        {.hash = NULL, .password = PW, .len = strlen(PW)},
    };
    for (int i = 0; i < 3; i++) {
        tasks[i].done = task_done;
        tasks[i].arg = &w;
        tasks[i].ok = i != 0;          /* each must be set by the check */
        assert_true(pwcheck_reserve(p));
        assert_false(pwcheck_reserve(p)); /* one place: taken until the check is done */
        pwcheck_submit(p, &tasks[i]);
        wait_done(&w, i + 1);
    }
    assert_true(tasks[0].ok);
    assert_false(tasks[1].ok);
    assert_false(tasks[2].ok);
    assert_int_equal(checks_metric() - before, 3);
    assert_true(pwcheck_reserve(p));
    pwcheck_cancel(p);
    pwcheck_free(p);
}

int main(void)
{
    if (crypto_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room_is_threads_plus_queue),
        cmocka_unit_test(test_checks_verify_and_give_the_place_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
