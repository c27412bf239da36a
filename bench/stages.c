/* stages — what one POST /api/v1/reports costs the gateway's CPU, stage by stage, outside the
 * HTTP server and Redis: the JSON parse and validation, then the steps of gateway/intake.h
 * (intake_scope_make, intake_classify, intake_command, intake_receipt), called as a request
 * calls them, on the body that bench/report.lua sends.
 *
 *   stages BODY_FILE DATA_DIR    (bench/run.sh builds it with `make BUILD/bench/stages` and
 *                                 runs it from the top of the tree; DATA_DIR gets fresh keys)
 *
 * The rules are the configured ones (rules/packs); no triage model is loaded. Hiredis' RESP
 * encoding on the store thread is not in it (lib/store.c does not expose it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "intake.h"
#include "jdoc.h"
#include "report.h"
#include "rules.h"
#include "store.h"

#define ROUNDS 20000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double total_us;

/* Runs body ROUNDS times and prints the mean in microseconds; counted in the total unless
 * part is set (a share of an earlier line). */
#define STAGE(name, part, ...)                                                                \
    do {                                                                                      \
        double t0_ = now_s();                                                                 \
        for (int i_ = 0; i_ < ROUNDS; i_++) {                                                 \
            __VA_ARGS__;                                                                      \
        }                                                                                     \
        double us_ = (now_s() - t0_) / ROUNDS * 1e6;                                          \
        if (!(part))                                                                          \
            total_us += us_;                                                                  \
        printf("  %-56s %8.2f us\n", name, us_);                                              \
    } while (0)

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char data[1 << 16];
    *len = fread(data, 1, sizeof data - 1, f);
    fclose(f);
    data[*len] = '\0';
    return data;
}

/* Fresh keys in dir, with today's and yesterday's pseudonym keys installed as the gateway's
 * daykeys thread would. Returns NULL with the reason in err. */
static struct keys *keys_fresh(const char *dir, char *err, size_t errlen)
{
    if (keys_create(dir, err, errlen) < 0)
        return NULL;
    struct keys *keys = keys_load(dir, err, errlen);
    long today = (long)(time(NULL) / 86400);
    for (long day = today - 1; keys && day <= today; day++) {
        char *daykey = crypto_daykey_new(keys);
        crypto_daykey_install(keys, day, daykey);
        free(daykey);
    }
    return keys;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: stages BODY_FILE DATA_DIR\n");
        return 2;
    }
    size_t len;
    const char *body = read_file(argv[1], &len);
    char err[512] = "";
    struct conf conf;
    struct keys *keys = NULL;
    struct ruleset *rs = NULL;
    if (!body || crypto_init() < 0 || conf_load(&conf, NULL, err, sizeof err) < 0 ||
        !(keys = keys_fresh(argv[2], err, sizeof err)) || !(rs = rules_load_logged(conf.rules))) {
        fprintf(stderr, "stages: cannot start: %s\n", body ? err : argv[1]);
        return 1;
    }
    struct jdoc *doc = jdoc_parse(body, len, (int)conf.json_depth_max, err, sizeof err);
    struct report r;
    struct report_error rerr;
    if (!doc || report_validate(doc, &conf, &r, &rerr) < 0) {
        fprintf(stderr, "stages: the body does not validate: %s\n", doc ? rerr.message : err);
        return 1;
    }
    struct intake_scope sc;
    struct intake_verdict v;
    struct intake_item item = {0};
    struct intake in = {.items = &item, .nitems = 1};
    char fp[CRYPTO_HEX_LEN];
    intake_classify(rs, NULL, &r, &v);
    struct shards *shards = shards_new(16);

    printf("gateway CPU per report, by stage (%d rounds each; body %zu bytes):\n", ROUNDS, len);
    STAGE("parse JSON (jdoc_parse: jansson json_loadb) + free", 0, {
        struct jdoc *d = jdoc_parse(body, len, (int)conf.json_depth_max, err, sizeof err);
        jdoc_free(d);
    });
    STAGE("validate + canonicalize URL (report_validate)", 0, {
        struct report x;
        if (report_validate(doc, &conf, &x, &rerr) == 0)
            report_free(&x);
    });
    STAGE("triage: rules + redaction (intake_classify)", 0, {
        struct intake_verdict x;
        if (intake_classify(rs, NULL, &r, &x) == 0)
            intake_verdict_free(&x);
    });
    STAGE("who reports: pseudonyms (intake_scope_make)", 0,
          intake_scope_make(&sc, &conf, keys, shards, NULL, "127.0.0.1", time(NULL), NULL, body,
                            len));
    STAGE("the jb_admit command (intake_command)", 0, {
        struct store_job *j = store_job_new(NULL, NULL);
        intake_command(j, &sc, shards, &in, 0, &r, 0);
        store_job_free(j);
    });
    item.report = r;
    item.verdict = v;
    STAGE("the jb_report command (intake_report_command)", 0, {
        struct store_job *j = store_job_new(NULL, NULL);
        intake_report_command(j, &sc, shards, &in, &item, 0);
        store_job_free(j);
    });
    STAGE("  of which the fingerprint (report_fingerprint)", 1, report_fingerprint(keys, &r, fp));
    STAGE("  of which the seal (report_seal: JSON, crypto_seal)", 1, {
        char *s = report_seal(keys, item.id, &r);
        free(s);
    });
    STAGE("202 body (intake_receipt)", 0, {
        struct buf b = {0};
        buf_puts(&b, "{");
        intake_receipt(&b, &item, false);
        buf_puts(&b, "}");
        buf_free(&b);
    });
    printf("  %-56s %8.2f us\n", "total of the stages above (no HTTP, no Redis)", total_us);
    intake_verdict_free(&v);
    report_free(&r);
    shards_free(shards);
    jdoc_free(doc);
    rules_free(rs);
    keys_free(keys);
    return 0;
}
