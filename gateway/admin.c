/* jubao-admin — the operator's tool: keys, platform API keys, and opening sealed reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "crypto.h"
#include "schema.h"
#include "store.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jubao-admin [-c FILE] COMMAND\n"
            "  init                  create the keys in the data directory (again: no change)\n"
            "  apikey create NAME    make a platform API key; prints it once, as the last line\n"
            "  apikey revoke NAME    revoke NAME's key at once\n"
            "  unseal                read a sealed field (base64) on stdin, print it opened\n"
            "                        (needs seal.key, which may live off the gateway machine)\n");
}

static int name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs one FCALL of fn with the given keys and args; returns its reply text in out. Returns 0
 * or -1 when Redis could not be reached (reason on stderr). */
static int fcall(const struct conf *c, const char *fn, int nkeys, const char **argv, int argc,
                 char *out, size_t outlen)
{
    char err[256];
    struct store *st = store_new(c->redis, (int)c->redis_timeout_ms * 3, 1, err, sizeof err);
    if (!st) {
        fprintf(stderr, "jubao-admin: %s\n", err);
        return -1;
    }
    struct store_job *job = store_job_new(NULL, NULL);
    int rc = -1;
    if (job) {
        store_job_command(job, "FCALL");
        store_job_argstr(job, fn);
        store_job_argll(job, nkeys);
        for (int i = 0; i < argc; i++)
            store_job_argstr(job, argv[i]);
        if (store_run(st, job) == 0) {
            const struct store_reply *r = store_job_reply(job, 0);
            snprintf(out, outlen, "%s", store_reply_str(r, NULL));
            rc = store_reply_type(r) == STORE_ERROR ? -1 : 0;
            if (rc < 0)
                fprintf(stderr, "jubao-admin: redis: %s\n", out);
        } else {
            fprintf(stderr, "jubao-admin: cannot reach redis at %s\n", c->redis);
        }
    }
    store_job_free(job);
    store_free(st);
    return rc;
}

static int cmd_init(const struct conf *c)
{
    char err[512];
    int made = keys_create(c->data_dir, err, sizeof err);
    if (made < 0) {
        fprintf(stderr, "jubao-admin: %s\n", err);
        return 1;
    }
    printf(made ? "keys created in %s\n" : "keys already present in %s; nothing changed\n",
           c->data_dir);
    return 0;
}

static int cmd_apikey(const struct conf *c, const char *verb, const char *name)
{
    char err[512], k_name[128], k_key[128], hash[CRYPTO_HEX_LEN], iso[32], reply[256];
    if (!name_valid(name)) {
        fprintf(stderr, "jubao-admin: a name is 1 to 64 of A-Z a-z 0-9 . _ -\n");
        return 2;
    }
    struct keys *keys = keys_load(c->data_dir, err, sizeof err);
    if (!keys) {
        fprintf(stderr, "jubao-admin: %s\n", err);
        return 1;
    }
    schema_key(k_name, sizeof k_name, "apikeyname", name);
    now_iso(iso);
    int rc = 1;
    if (strcmp(verb, "create") == 0) {
        char key[48];
        crypto_random_apikey(key);
        crypto_keyed_hash(keys, CRYPTO_APIKEY, key, strlen(key), hash);
        schema_key(k_key, sizeof k_key, "apikey", hash);
        const char *argv[] = {k_name, k_key, name, hash, iso};
        if (fcall(c, "jb_apikey_create", 2, argv, 5, reply, sizeof reply) == 0) {
            if (strcmp(reply, "ok") == 0) {
                printf("platform API key for %s (shown only now; keep it secret):\n%s\n", name,
                       key);
                rc = 0;
            } else {
                fprintf(stderr, "jubao-admin: %s already has a key; revoke it first\n", name);
            }
        }
    } else {
        const char *argv[] = {k_name, SCHEMA_PREFIX, iso};
        if (fcall(c, "jb_apikey_revoke", 1, argv, 3, reply, sizeof reply) == 0) {
            if (strcmp(reply, "ok") == 0) {
                printf("revoked the key of %s\n", name);
                rc = 0;
            } else {
                fprintf(stderr, "jubao-admin: %s has no key\n", name);
            }
        }
    }
    keys_free(keys);
    return rc;
}

static int cmd_unseal(const struct conf *c)
{
    char line[1 << 16], err[256];
    if (!fgets(line, sizeof line, stdin)) {
        fprintf(stderr, "jubao-admin: nothing on stdin\n");
        return 2;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char *plain = crypto_unseal(c->data_dir, line, NULL, err, sizeof err);
    if (!plain) {
        fprintf(stderr, "jubao-admin: %s\n", err);
        return 1;
    }
    printf("%s\n", plain);
    free(plain);
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        config = argv[2];
        i = 3;
    }
    if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
        usage(i >= argc ? stderr : stdout);
        return i >= argc ? 2 : 0;
    }
    struct conf conf;
    char err[512];
    if (conf_load(&conf, config, err, sizeof err) < 0) {
        fprintf(stderr, "jubao-admin: %s\n", err);
        return 2;
    }
    if (crypto_init() < 0) {
        fprintf(stderr, "jubao-admin: libsodium cannot start\n");
        return 1;
    }
    const char *cmd = argv[i];
    if (strcmp(cmd, "init") == 0 && argc == i + 1)
        return cmd_init(&conf);
    if (strcmp(cmd, "unseal") == 0 && argc == i + 1)
        return cmd_unseal(&conf);
    if (strcmp(cmd, "apikey") == 0 && argc == i + 3 &&
        (strcmp(argv[i + 1], "create") == 0 || strcmp(argv[i + 1], "revoke") == 0))
        return cmd_apikey(&conf, argv[i + 1], argv[i + 2]);
    usage(stderr);
    return 2;
}
