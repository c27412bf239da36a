/* stages — what one POST /api/v1/reports costs the gateway's CPU, stage by stage, outside the
 * HTTP server and Redis: the per-request work of gateway/api.c (handle_reports, make_scope,
 * add_report_call, finish_single) and of lib/store.c's pipelining, replayed with the
 * project's own functions on the body that bench/report.lua sends.
 *
 *   stages BODY_FILE DATA_DIR    (bench/run.sh builds and runs it; DATA_DIR gets fresh keys)
 *
 * It calls the same functions api.c calls (report_seal, report_fingerprint, ...): when api.c
 * changes what it does per request, change the list of stages here with it. It calls no
 * library directly (docs/ARCHITECTURE.md: one owner per third-party header), so the shares
 * inside a library (base64 in libsodium, RESP in hiredis) are perf's to show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "fcall.h"
#include "jdoc.h"
#include "report.h"
#include "schema.h"
#include "store.h"
#include "text.h"

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
        printf("  %-52s %8.2f us\n", name, us_);                                              \
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


int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: stages BODY_FILE DATA_DIR\n");
        return 2;
    }
    size_t len;
    const char *body = read_file(argv[1], &len);
    char err[512];
    struct conf conf;
    if (!body || crypto_init() < 0 || conf_load(&conf, NULL, err, sizeof err) < 0 ||
        keys_create(argv[2], err, sizeof err) < 0) {
        fprintf(stderr, "stages: cannot start: %s\n", body ? err : argv[1]);
        return 1;
    }
    struct keys *keys = keys_load(argv[2], err, sizeof err);
    if (!keys) {
        fprintf(stderr, "stages: %s\n", err);
        return 1;
    }

    struct jdoc *doc = jdoc_parse(body, len, (int)conf.json_depth_max, err, sizeof err);
    struct report r;
    struct report_error rerr;
    if (!doc || report_validate(doc, &conf, &r, &rerr) < 0) {
        fprintf(stderr, "stages: the body does not validate: %s\n", doc ? rerr.message : err);
        return 1;
    }
    char id[CRYPTO_ID_LEN], case_id[CRYPTO_ID_LEN], secret[CRYPTO_SECRET_LEN];
    char url_hash[CRYPTO_HEX_LEN], secret_hash[CRYPTO_HEX_LEN], fp[CRYPTO_HEX_LEN];
    char reporter[CRYPTO_HEX_LEN + 2];
    crypto_random_id('R', id);
    char *sealed = report_seal(keys, id, &r);
    size_t sealed_len = sealed ? strlen(sealed) : 0;

    printf("gateway CPU per report, by stage (%d rounds each; body %zu bytes, sealed blob %zu "
           "bytes of base64):\n", ROUNDS, len, sealed_len);
    STAGE("parse JSON (jdoc_parse: jansson json_loadb) + free", 0, {
        struct jdoc *d = jdoc_parse(body, len, (int)conf.json_depth_max, err, sizeof err);
        jdoc_free(d);
    });
    STAGE("validate + canonicalize URL (report_validate)", 0, {
        struct report v;
        if (report_validate(doc, &conf, &v, &rerr) == 0)
            report_free(&v);
    });
    char *daykey = crypto_daykey_new(keys);
    crypto_daykey_install(keys, (long)(time(NULL) / 86400), daykey);
    free(daykey);
    STAGE("pseudonym of the client (crypto_pseudonym)", 0,
          crypto_pseudonym(keys, "127.0.0.1", time(NULL), reporter));
    STAGE("ids and secret (crypto_random_id x2, _secret)", 0, {
        crypto_random_id('R', id);
        crypto_random_id('C', case_id);
        crypto_random_secret(secret);
    });
    STAGE("URL digest + secret hash (BLAKE2b)", 0, {
        crypto_digest(r.canon.canonical, strlen(r.canon.canonical), url_hash);
        crypto_keyed_hash(keys, CRYPTO_SECRET, secret, strlen(secret), secret_hash);
    });
    STAGE("fingerprint (text_normalize NFKC+casefold, BLAKE2b)", 0, report_fingerprint(keys, &r, fp));
    STAGE("seal contact/title/description (JSON + crypto_seal)", 0, {
        char *s = report_seal(keys, id, &r);
        free(s);
    });
    STAGE("store job: FCALL jb_report (fcall_report)", 0, {
        struct store_job *j = store_job_new(NULL, NULL);
        struct fcall_report_in in = {
            .url_hash = url_hash, .id = id, .new_case = case_id, .now_ms = 1795563842000LL,
            .iso = "2026-11-24T23:42:49Z", .category = "fraud", .canonical = r.canon.canonical,
            .domain = r.canon.domain, .original = r.url.s, .reporter = reporter,
            .reporter_prev = reporter, .rate_window_ms = 600000, .idem_ttl_s = 86400,
            .secret_hash = secret_hash, .sealed = sealed, .language = "zh-CN",
            .language_len = 5, .fingerprint = fp, .retention_s = 86400 * 365};
        fcall_report(j, &in);
        store_job_free(j);
    });
    STAGE("202 body (receipt JSON)", 0, {
        struct buf b = {0};
        buf_puts(&b, "{");
        buf_json_kv(&b, "id", id);
        buf_json_kv(&b, "case", case_id);
        buf_printf(&b, ",\"duplicate\":%s", "false");
        buf_json_kv(&b, "secret", secret);
        buf_json_kv(&b, "status", "received");
        buf_printf(&b, ",\"status_url\":\"/api/v1/reports/%s\"}", id);
        buf_free(&b);
    });
    printf("  %-52s %8.2f us\n", "total of the stages above (no HTTP, no Redis)", total_us);
    free(sealed);
    report_free(&r);
    jdoc_free(doc);
    keys_free(keys);
    return 0;
}
