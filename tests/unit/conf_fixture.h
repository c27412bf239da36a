/* conf_fixture — the fixture of the lib/conf.h unit tests (test_conf.c, test_conf_check.c): a
 * temporary configuration file per test, with the environment cleared around each test.
 * Include after <cmocka.h>. */
#ifndef JUBAO_CONF_FIXTURE_H
#define JUBAO_CONF_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"

static const char *const env_names[] = {"JUBAO_LISTEN", "JUBAO_METRICS_LISTEN", "JUBAO_REDIS",
                                        "JUBAO_DATA_DIR", "JUBAO_RATE_LIMIT", "JUBAO_RULES"};

/* A temporary configuration file per test; the environment is cleared around each test. */
struct fixture {
    char path[64];
    char err[512];
    struct conf c;
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
        unsetenv(env_names[i]);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->path, sizeof f->path, "/tmp/jubao-test-conf-XXXXXX");
    int fd = mkstemp(f->path);
    if (fd < 0) {
        free(f);
        return -1;
    }
    close(fd);
    clear_env();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    clear_env();
    free(f);
    return 0;
}

/* Replaces the fixture's file with text and loads it; returns conf_load's result. */
static int load_text(struct fixture *f, const char *text)
{
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    f->err[0] = '\0';
    return conf_load(&f->c, f->path, f->err, sizeof f->err);
}

#endif
