/* jubao-gateway — the HTTP daemon: flags, configuration, keys, store, bind, signals, run. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "conf.h"
#include "crypto.h"
#include "daykeys.h"
#include "http.h"
#include "log.h"
#include "modelstore.h"
#include "routes.h"
#include "rules.h"
#include "shard.h"
#include "store.h"

/* Blocks the signals that main waits for, in every thread started after this. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Waits for SIGTERM or SIGINT; on SIGHUP builds a new rule set and swaps it in, keeping the
 * old one when the files are broken. */
static void wait_for_stop(const sigset_t *set, const struct conf *conf, struct rules_live *live)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            struct ruleset *rs = rules_load_logged(conf->rules);
            if (rs)
                rules_swap(live, rs);
            else
                log_warn("rules: reload failed; the previous rules stay in force");
            continue;
        }
        log_info("%s: finishing requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        return;
    }
}

/* The Functions whose writes a client is told about: the report (API and web form), the
 * decision, the claim and the lease. With redis_replica_acks > 0 none is answered as stored
 * before that many replicas have it (store_wait_replicas), so that a failover cannot lose it. */
static const char *const durable_functions[] = {"jb_report", "jb_decide", "jb_audit", "jb_claim",
                                                 "jb_lease"};

/* Starts a listener on addr (host:port, checked by conf_load) serving routes, with conf's
 * timeouts. Returns NULL with the reason in err. */
static struct http_server *listen_on(const char *addr, const struct http_routes *routes,
                                     int threads, int conns, int per_ip, const struct conf *conf,
                                     char *err, size_t errlen)
{
    char host[256];
    int port;
    conf_split_hostport(addr, host, sizeof host, &port);
    struct http_options opt = {host, port, threads, conns, per_ip, (int)conf->connection_timeout,
                               (int)conf->request_deadline, (int)conf->header_timeout,
                               conf->body_budget, conf->body_max, (int)conf->upload_per_addr};
    return http_start(&opt, routes, err, errlen);
}

/* Starts the public listener (listen) and, unless metrics_listen is empty, the metrics
 * listener: two threads (libmicrohttpd's smallest pool) and a few connections are plenty for
 * a scraper. Returns 0, or -1 with
 * the reason in err (what started is in *pub and *met, to stop). */
static int start_listeners(const struct conf *conf, struct api *api, struct http_server **pub,
                           struct http_server **met, char *err, size_t errlen)
{
    struct http_routes routes, metrics;
    routes_server(api, &routes);
    routes_metrics_server(api, &metrics);
    *pub = listen_on(conf->listen, &routes, (int)conf->threads, (int)conf->connection_limit,
                     (int)conf->per_ip_connection_limit, conf, err, errlen);
    if (!*pub)
        return -1;
    if (conf->metrics_listen[0] &&
        !(*met = listen_on(conf->metrics_listen, &metrics, 2, 16, 16, conf, err, errlen))) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, " (metrics_listen)");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    int check_only = 0, rc = 1;
    int f = conf_flags(argc, argv, "jubao-gateway", &config, &check_only);
    if (f != 0)
        return f > 0 ? 0 : 2;
    struct conf conf;
    char err[512];
    if (conf_load(&conf, config, err, sizeof err) < 0) {
        fprintf(stderr, "jubao-gateway: %s\n", err);
        return 2;
    }
    if (check_only) {
        printf("jubao-gateway: configuration ok\n");
        return 0;
    }
    log_init("jubao-gateway", log_level_of(conf.log_level));
    struct keys *keys = NULL;
    struct store *store = NULL;
    struct api *api = NULL;
    struct http_server *srv = NULL, *msrv = NULL;
    struct rules_live *rules = NULL;
    struct model_live *model = NULL;
    struct modelwatch *watch = NULL;
    struct daykeys *daykeys = NULL;
    sigset_t set;
    block_signals(&set);
    if (crypto_init() < 0) {
        log_error("libsodium cannot start");
        goto out;
    }
    if (!(keys = keys_load(conf.data_dir, err, sizeof err)) ||
        !(store = store_new(conf.redis, (int)conf.redis_timeout_ms, (int)conf.store_threads, err,
                            sizeof err))) {
        log_error("%s", err);
        goto out;
    }
    store_wait_replicas(store, (int)conf.redis_replica_acks, (int)conf.redis_replica_timeout,
                        durable_functions, sizeof durable_functions / sizeof *durable_functions);
    long shards = 0;
    int sc = shards_start_check(store, conf.redis_shards, &shards, err, sizeof err);
    if (sc == -2 || (sc == -1 && conf.redis_shards != SHARDS_UNSET)) {
        log_error("%s", err);
        goto out;
    }
    if (sc == -1)   /* learned at the first request once Redis answers (layout.h) */
        log_warn("%s: the number of shards is read when redis answers", err);
    if (!(daykeys = daykeys_start(store, keys, err, sizeof err))) {
        log_error("%s", err);
        goto out;
    }
    struct ruleset *rs = rules_load_logged(conf.rules);
    if (!rs || !(rules = rules_live_new(rs)))
        goto out;
    if (!(model = model_live_new(NULL)) ||
        !(api = api_new(&conf, keys, store, rules, model, shards))) {
        log_error("out of memory");
        goto out;
    }
    if (!(watch = modelwatch_start(&conf, model, err, sizeof err))) {
        log_error("%s", err);
        goto out;
    }
    if (start_listeners(&conf, api, &srv, &msrv, err, sizeof err) < 0) {
        log_error("%s", err);
        goto out;
    }
    log_info("listening on %s (redis %s, %ld threads)", conf.listen, conf.redis, conf.threads);
    if (msrv)
        log_info("metrics on %s", conf.metrics_listen);
    wait_for_stop(&set, &conf, rules);
    rc = 0;
out:
    http_stop(srv, (int)(conf.redis_timeout_ms * 2 + conf.redis_replica_timeout + 1000));
    http_stop(msrv, (int)(conf.redis_timeout_ms * 2 + conf.redis_replica_timeout + 1000));
    modelwatch_stop(watch);
    api_free(api);
    model_live_free(model);
    rules_live_free(rules);
    daykeys_stop(daykeys);
    store_free(store);
    keys_free(keys);
    if (rc == 0)
        log_info("stopped");
    return rc;
}
