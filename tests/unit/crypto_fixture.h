/* crypto_fixture — the fixture of the lib/crypto.h unit tests (test_crypto.c and
 * test_crypto_hash.c): two data directories with keys under a fresh mkdtemp root, removed after
 * each test.
 * Include after <cmocka.h>. */
#ifndef JUBAO_CRYPTO_FIXTURE_H
#define JUBAO_CRYPTO_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"

/* Two data directories with keys (a and b), and a scratch root for tests that make their own. */
struct fixture {
    char root[64];
    char a[128], b[128];
    struct keys *ka, *kb;
};

static void path_join(char *out, size_t outlen, const char *dir, const char *name)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    assert_in_range(n, 1, (int)outlen - 1);
}

/* Removes dir and everything in it (two levels are enough here). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[512];
        path_join(p, sizeof p, dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->root, sizeof f->root, "/tmp/jubao-test-crypto-XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    snprintf(f->a, sizeof f->a, "%s/a", f->root);
    snprintf(f->b, sizeof f->b, "%s/b", f->root);
    char err[256];
    if (keys_create(f->a, err, sizeof err) != 1 || keys_create(f->b, err, sizeof err) != 1 ||
        !(f->ka = keys_load(f->a, err, sizeof err)) || !(f->kb = keys_load(f->b, err, sizeof err))) {
        print_error("setup: %s\n", err);
        keys_free(f->ka);
        remove_tree(f->root);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    keys_free(f->ka);
    keys_free(f->kb);
    remove_tree(f->root);
    free(f);
    return 0;
}

#endif
