/* jubao-admin — the operator's tool: keys, platform API keys, handlers, reviewers, opening sealed
 * reports, checking the audit chain, the triage model (admin_model.c) and moving the data to
 * the sharded layout (admin_migrate.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "global.h"
#include "conf.h"
#include "audit.h"
#include "crypto.h"
#include "fcall.h"
#include "isotime.h"
#include "learn.h"
#include "log.h"
#include "schema.h"
#include "store.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jubao-admin [-c FILE] COMMAND\n"
            "  init                  create the keys in the data directory (again: no change)\n"
            "  apikey create NAME    make a platform API key; prints it once, as the last line\n"
            "  apikey revoke NAME    revoke NAME's key at once\n"
            "  handler add NAME [--domains a.com,b.cn] [--categories fraud,..] [--platform]\n"
            "              [--webhook URL]\n"
            "                        add a handler referrals go to (at least one list; with\n"
            "                        both, cases of those categories on those domains); prints\n"
            "                        its webhook secret, then its API key once, as the last line\n"
            "                        (--platform: the key is the platform NAME's too)\n"
            "  handler list          the handlers, their lists and open referrals\n"
            "  handler disable NAME  stop NAME's referrals and its key's access at once\n"
            "  handler webhook NAME URL|--clear\n"
            "                        push NAME's new referrals to URL (https; http to loopback\n"
            "                        only), or no longer; prints the webhook secret\n"
            "  reviewer add NAME [--role reviewer|supervisor]\n"
            "                        add a reviewer; the password (10 to 1024 bytes) is read\n"
            "                        from standard input, and stored only as an Argon2id hash\n"
            "  reviewer disable NAME end NAME's sessions and logins at once\n"
            "  unseal                read a sealed field (base64) on stdin, print it opened\n"
            "                        (needs seal.key, which may live off the gateway machine)\n"
            "  audit verify          check the hash chain of the decisions' audit stream;\n"
            "                        names the first broken entry and exits 1 if there is one\n"
            "  model show            the triage model in force: version, label, held-back score\n"
            "  model train [--last N] [--force]\n"
            "                        train a model from the last N decided cases (default %d)\n"
            "                        and install it, unless it scores worse on the held-back\n"
            "                        slice than the model in force (then exit 1; --force\n"
            "                        installs it anyway)\n"
            "  model eval [--rules PATH] [--model FILE] [--last N] [--show N]\n"
            "                        the jubao-rules eval table of a candidate rule set or\n"
            "                        model (default: those in force) over the last N decided\n"
            "                        cases\n"
            "  migrate [--shards N]  move the data of one Redis from the unsharded layout to\n"
            "                        N shards (default redis_shards, 16 when not set), gateways\n"
            "                        and workers stopped; safe to run again, also after a crash\n",
            LEARN_LAST_DEFAULT);
}

static int name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Connects to Redis for one command. Returns NULL, the reason on stderr, when the store
 * cannot start. */
static struct store *admin_store(const struct conf *c)
{
    char err[256];
    struct store *st = store_new(c->redis, (int)c->redis_timeout_ms * 3, 1, err, sizeof err);
    if (!st)
        fprintf(stderr, "jubao-admin: %s\n", err);
    return st;
}

/* The data dir's keys into *keys and a store. Returns the store, or NULL (with *keys NULL)
 * having said why on stderr. */
static struct store *open_with_keys(const struct conf *c, struct keys **keys)
{
    char err[512];
    *keys = keys_load(c->data_dir, err, sizeof err);
    struct store *st = *keys ? admin_store(c) : NULL;
    if (!st) {
        if (!*keys)
            fprintf(stderr, "jubao-admin: %s\n", err);
        keys_free(*keys);
        *keys = NULL;
    }
    return st;
}

/* After an account Function's one-call form returned rc: -1 with err on stderr when Redis
 * could not be reached or answered an error, else out's answer. */
static enum fcall_answer account_answer(const struct conf *c, int rc,
                                        const struct fcall_account_out *out, const char *err)
{
    if (rc < 0) {
        fprintf(stderr, "jubao-admin: redis at %s: %s\n", c->redis, err);
        return FCALL_OTHER;
    }
    return out->answer;
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
    if (!name_valid(name)) {
        fprintf(stderr, "jubao-admin: a name is 1 to 64 of A-Z a-z 0-9 . _ -\n");
        return 2;
    }
    struct keys *keys;
    struct store *st = open_with_keys(c, &keys);
    if (!st)
        return 1;
    int rc = admin_apikey(c, st, keys, verb, name);
    store_free(st);
    keys_free(keys);
    return rc;
}

/* handler add|list|disable|webhook: argv after "handler". */
static int cmd_handler(const struct conf *c, int argc, char **argv)
{
    if (argc >= 2 && !name_valid(argv[1])) {
        fprintf(stderr, "jubao-admin: a name is 1 to 64 of A-Z a-z 0-9 . _ -\n");
        return 2;
    }
    struct keys *keys;
    struct store *st = open_with_keys(c, &keys);
    if (!st)
        return 1;
    int rc = admin_handler(c, st, keys, argc, argv);
    store_free(st);
    keys_free(keys);
    if (rc == 2)
        usage(stderr);
    return rc;
}

/* Reads the password: the first line of standard input, without its line end. Returns its
 * length, or -1 (reason on stderr). */
static long read_password(char *pw, size_t cap)
{
    if (!fgets(pw, (int)cap, stdin)) {
        fprintf(stderr, "jubao-admin: give the password on standard input\n");
        return -1;
    }
    size_t n = strcspn(pw, "\r\n");
    pw[n] = '\0';
    if (n < 10 || n > 1024) {
        fprintf(stderr, "jubao-admin: a password is 10 to 1024 bytes\n");
        return -1;
    }
    return (long)n;
}

/* The prefix of reviewer name's keys in the layout of the data (lib/global.h). Returns 0,
 * or -1 (why on stderr). */
static int reviewer_prefix(const struct conf *c, struct store *st, const char *name,
                           char out[GLOBAL_PREFIX_MAX])
{
    struct shards *sh = admin_layout(c, st);
    if (!sh)
        return -1;
    global_prefix(sh, GLOBAL_REVIEWER, name, out);
    shards_free(sh);
    return 0;
}

static int cmd_reviewer(const struct conf *c, int argc, char **argv)
{
    const char *verb = argv[0], *name = argv[1], *role = "reviewer";
    if (argc == 4 && strcmp(argv[2], "--role") == 0)
        role = argv[3];
    if (!name_valid(name) || (strcmp(role, "reviewer") && strcmp(role, "supervisor")) ||
        (strcmp(verb, "add") == 0 ? argc != 2 && argc != 4 : argc != 2)) {
        fprintf(stderr, "jubao-admin: reviewer add NAME [--role reviewer|supervisor] | "
                        "reviewer disable NAME (NAME: 1 to 64 of A-Z a-z 0-9 . _ -)\n");
        return 2;
    }
    char iso[32], err[256], pw[1100], hash[CRYPTO_PWHASH_LEN], prefix[GLOBAL_PREFIX_MAX];
    struct fcall_account_out out;
    isotime_format(time(NULL), iso);
    if (strcmp(verb, "disable") == 0) {
        struct store *st = admin_store(c);
        int got = st ? reviewer_prefix(c, st, name, prefix) : -1;
        struct fcall_reviewer_disable_in in = {prefix, name, iso};
        if (got == 0)
            got = fcall_reviewer_disable_run(st, &in, &out, err, sizeof err);
        store_free(st);
        enum fcall_answer a = st ? account_answer(c, got, &out, err) : FCALL_OTHER;
        if (a == FCALL_UNKNOWN)
            fprintf(stderr, "jubao-admin: no reviewer %s\n", name);
        if (a != FCALL_OK)
            return 1;
        printf("disabled reviewer %s\n", name);
        return 0;
    }
    long n = read_password(pw, sizeof pw);
    int rc = n < 0 ? 2 : crypto_password_hash(pw, (size_t)n, hash) < 0 ? 1 : 0;
    crypto_wipe(pw, sizeof pw);
    if (rc)
        return rc;
    struct store *st = admin_store(c);
    int got = st ? reviewer_prefix(c, st, name, prefix) : -1;
    struct fcall_reviewer_add_in in = {prefix, name, hash, role, iso};
    if (got == 0)
        got = fcall_reviewer_add_run(st, &in, &out, err, sizeof err);
    store_free(st);
    enum fcall_answer a = st ? account_answer(c, got, &out, err) : FCALL_OTHER;
    if (a == FCALL_EXISTS)
        fprintf(stderr, "jubao-admin: reviewer %s exists already\n", name);
    if (a != FCALL_OK)
        return 1;
    printf("added %s %s\n", role, name);
    return 0;
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

/* The value of field name in a stream entry's [field, value, ...] reply ("" when absent). */
static const char *entry_field(const struct store_reply *f, const char *name)
{
    for (size_t k = 0; k + 1 < store_reply_count(f); k += 2)
        if (store_reply_is(store_reply_at(f, k), name))
            return store_reply_str(store_reply_at(f, k + 1), NULL);
    return "";
}

/* Checks one audit entry against the one before it (seq, hash). Returns NULL, or what is
 * wrong with it. */
static const char *audit_check(const struct keys *k, const struct store_reply *f,
                               long long seq, const char *prev)
{
    struct audit_entry e = {atoll(entry_field(f, "seq")), entry_field(f, "prev"),
                            entry_field(f, "at"), entry_field(f, "case"),
                            entry_field(f, "verdict"), entry_field(f, "category"),
                            entry_field(f, "reviewer"), entry_field(f, "note")};
    char hash[CRYPTO_HEX_LEN];
    if (e.seq != seq)
        return "its sequence number is not the next one (an entry before it is missing)";
    if (strcmp(e.prev, prev) != 0)
        return "it does not carry the hash of the entry before it";
    if (audit_hash(k, &e, hash) < 0)
        return "out of memory";
    if (strcmp(hash, entry_field(f, "hash")) != 0)
        return "its fields do not match its hash (it was changed)";
    return NULL;
}

/* Walks the audit stream from the start, 500 entries at a time. Returns 0 when the chain
 * holds, 1 when broken, 2 when Redis or the keys could not be reached. */
static int audit_walk(const struct keys *k, struct store *st, long long *n, char *last,
                      size_t lastlen)
{
    char start[64] = "-", prev[CRYPTO_HEX_LEN] = "";
    for (;;) {
        struct store_job *j = store_job_new(NULL, NULL);
        const char *args[] = {"XRANGE", SCHEMA_PREFIX "audit", start, "+", "COUNT", "500"};
        if (!j || store_job_commandv(j, args, 6) < 0 || store_run(st, j) < 0) {
            fprintf(stderr, "jubao-admin: cannot read the audit stream from redis\n");
            store_job_free(j);
            return 2;
        }
        const struct store_reply *r = store_job_reply(j, 0);
        size_t count = store_reply_count(r);
        for (size_t i = 0; i < count; i++) {
            const struct store_reply *e = store_reply_at(r, i);
            const char *id = store_reply_str(store_reply_at(e, 0), NULL);
            const char *why = audit_check(k, store_reply_at(e, 1), *n + 1, prev);
            if (why) {
                printf("audit: broken at entry %s (seq %lld): %s\n", id, *n + 1, why);
                store_job_free(j);
                return 1;
            }
            snprintf(prev, sizeof prev, "%s", entry_field(store_reply_at(e, 1), "hash"));
            snprintf(start, sizeof start, "(%s", id);
            ++*n;
        }
        store_job_free(j);
        if (count < 500)
            break;
    }
    snprintf(last, lastlen, "%lld %s", *n, prev);
    return 0;
}

static int cmd_audit_verify(const struct conf *c)
{
    char err[512], last[128], head[128] = "";
    struct keys *k = keys_load(c->data_dir, err, sizeof err);
    struct store *st = k ? store_new(c->redis, (int)c->redis_timeout_ms * 3, 1, err, sizeof err)
                         : NULL;
    if (!st) {
        fprintf(stderr, "jubao-admin: %s\n", err);
        keys_free(k);
        return 2;
    }
    long long n = 0;
    int rc = audit_walk(k, st, &n, last, sizeof last);
    struct store_job *j = rc == 0 ? store_job_new(NULL, NULL) : NULL;
    const char *args[] = {"GET", SCHEMA_PREFIX "audit:last"};
    if (j && store_job_commandv(j, args, 2) == 0 && store_run(st, j) == 0)
        snprintf(head, sizeof head, "%s", store_reply_str(store_job_reply(j, 0), NULL));
    else if (rc == 0)
        rc = 2, fprintf(stderr, "jubao-admin: cannot read the audit head from redis\n");
    if (rc == 0 && strcmp(head, n ? last : "") != 0) {
        printf("audit: broken at the end: the chain holds %lld entries but its head names "
               "\"%.40s\" (entries were removed from the end)\n", n, head);
        rc = 1;
    } else if (rc == 0) {
        printf("audit: chain intact: %lld entries\n", n);
    }
    store_job_free(j);
    store_free(st);
    keys_free(k);
    return rc;
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
    log_init("jubao-admin", LOG_WARN);
    if (crypto_init() < 0) {
        fprintf(stderr, "jubao-admin: libsodium cannot start\n");
        return 1;
    }
    const char *cmd = argv[i];
    if (strcmp(cmd, "init") == 0 && argc == i + 1)
        return cmd_init(&conf);
    if (strcmp(cmd, "unseal") == 0 && argc == i + 1)
        return cmd_unseal(&conf);
    if (strcmp(cmd, "audit") == 0 && argc == i + 2 && strcmp(argv[i + 1], "verify") == 0)
        return cmd_audit_verify(&conf);
    if (strcmp(cmd, "apikey") == 0 && argc == i + 3 &&
        (strcmp(argv[i + 1], "create") == 0 || strcmp(argv[i + 1], "revoke") == 0))
        return cmd_apikey(&conf, argv[i + 1], argv[i + 2]);
    if (strcmp(cmd, "handler") == 0 && argc >= i + 2)
        return cmd_handler(&conf, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "migrate") == 0) {
        int rc = admin_migrate(&conf, argc - i - 1, argv + i + 1);
        if (rc == 2)
            usage(stderr);
        return rc;
    }
    if (strcmp(cmd, "model") == 0)
        return admin_model(&conf, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "reviewer") == 0 && argc >= i + 3 &&
        (strcmp(argv[i + 1], "add") == 0 || strcmp(argv[i + 1], "disable") == 0))
        return cmd_reviewer(&conf, argc - i - 1, argv + i + 1);
    usage(stderr);
    return 2;
}
