/* conf — see conf.h. The file format is `name = value` lines with `#` comments. */
#include "conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

enum conf_type { CONF_STR, CONF_LONG };

/* Checks a string value; returns NULL when it is fine, else why it is not. */
typedef const char *conf_check_fn(const char *value);

struct conf_opt {
    const char *name;
    enum conf_type type;
    size_t offset;
    size_t size;            /* CONF_STR: buffer size */
    const char *def;
    long min, max;          /* CONF_LONG bounds */
    const char *env;        /* environment override, or NULL */
    const char *help;
    conf_check_fn *check;   /* CONF_STR: the value's form, or NULL for any */
};

static const char *check_hostport(const char *v)
{
    char host[256];
    int port;
    return conf_split_hostport(v, host, sizeof host, &port) < 0 ? "is not host:port" : NULL;
}

static const char *check_hostport_or_empty(const char *v)
{
    return v[0] ? check_hostport(v) : NULL;
}

static const char *check_redis(const char *v)
{
    struct cluster_seeds seeds;
    char why[160];
    return cluster_seeds_parse(&seeds, v, why, sizeof why) < 0
           ? "is neither host:port, a socket path nor a list of host:port seeds" : NULL;
}

static const char *check_nonempty(const char *v)
{
    return v[0] ? NULL : "must not be empty";
}

static const char *check_ip_or_empty(const char *v)
{
    unsigned char ip[16];
    if (!v[0] || inet_pton(AF_INET, v, ip) == 1 || inet_pton(AF_INET6, v, ip) == 1)
        return NULL;
    return "is not an IP address";
}

static const char *check_level(const char *v)
{
    static const char *levels[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(v, levels[i]) == 0)
            return NULL;
    return "is not debug, info, warn or error";
}

#define S(f) CONF_STR, offsetof(struct conf, f), sizeof(((struct conf *)0)->f)
#define L(f) CONF_LONG, offsetof(struct conf, f), 0

static const struct conf_opt conf_opts[] = {
    {"listen", S(listen), "127.0.0.1:8080", 0, 0, "JUBAO_LISTEN", "HTTP listen address, host:port",
     check_hostport},
    {"metrics_listen", S(metrics_listen), "127.0.0.1:9464", 0, 0, "JUBAO_METRICS_LISTEN",
     "listen address of /metrics, host:port; keep it private: never on the public listener "
     "(empty: no metrics)", check_hostport_or_empty},
    {"redis", S(redis), "127.0.0.1:6379", 0, 0, "JUBAO_REDIS",
     "Redis address, host:port or a Unix socket path; or a Redis Cluster's seed nodes, "
     "host:port,host:port,... (whether it is a cluster is asked of the server)", check_redis},
    {"data_dir", S(data_dir), "var/data", 0, 0, "JUBAO_DATA_DIR", "directory of keys and local state",
     check_nonempty},
    {"rules", S(rules), "rules/packs", 0, 0, "JUBAO_RULES",
     "rule file, or directory of *.rules files (reloaded on SIGHUP)", check_nonempty},
    {"log_level", S(log_level), "info", 0, 0, NULL, "debug, info, warn or error", check_level},
    {"trusted_proxy", S(trusted_proxy), "", 0, 0, NULL,
     "address of a reverse proxy in front; its X-Forwarded-For names the client (empty: none)",
     check_ip_or_empty},
    {"threads", L(threads), "2", 1, 64, NULL, "HTTP server threads", NULL},
    {"store_threads", L(store_threads), "8", 1, 64, NULL,
     "threads that each own a Redis connection; more give Redis more reports per fsync", NULL},
    {"connection_limit", L(connection_limit), "4096", 1, 1000000, NULL, "open connections at most", NULL},
    {"per_ip_connection_limit", L(per_ip_connection_limit), "256", 1, 1000000, NULL, "open connections per client address at most", NULL},
    {"connection_timeout", L(connection_timeout), "15", 1, 3600, NULL, "seconds of silence before a connection is closed", NULL},
    {"request_deadline", L(request_deadline), "30", 1, 3600, NULL, "seconds a whole request may take to arrive", NULL},
    {"header_timeout", L(header_timeout), "10", 1, 3600, NULL, "seconds a client has to send a complete header block (on a kept-alive connection: from the end of its last request)", NULL},
    {"body_budget", L(body_budget), "268435456", 1048576, 68719476736, NULL, "bytes of request bodies held in memory at once, in all; past it 503 (bodies over body_max use at most 7/8 of it)", NULL},
    {"upload_per_addr", L(upload_per_addr), "8", 1, 100000, NULL, "bodies over body_max in flight at once from one client address", NULL},
    {"redis_timeout_ms", L(redis_timeout_ms), "1000", 10, 60000, NULL, "Redis connect and reply timeout, milliseconds", NULL},
    {"redis_shards", L(redis_shards), "0", 0, 1024, "JUBAO_REDIS_SHARDS", "shards of the data (hash tags: a case and its reports live in one); fixed when the data is created and kept in Redis. 0 (not set): the number the data in Redis was made with, 1 for data of the layout before sharding (every key under {0}; jubao-admin migrate spreads it), 16 for a Redis without data. Set to another number than the data's, a program refuses to run", NULL},
    {"redis_replica_acks", L(redis_replica_acks), "0", 0, 16, NULL, "replicas that must acknowledge (WAIT) a report, decision, claim or lease before the client is told it is stored; fewer in time: 503 (0: do not wait; 1 on a cluster with a replica per primary)", NULL},
    {"redis_replica_timeout", L(redis_replica_timeout), "1000", 1, 60000, NULL, "milliseconds to wait for redis_replica_acks replicas (added to redis_timeout_ms for such writes)", NULL},
    {"body_max", L(body_max), "65536", 1024, 16777216, NULL, "bytes of a JSON report body at most", NULL},
    {"batch_body_max", L(batch_body_max), "1048576", 1024, 67108864, NULL, "bytes of a batch body at most", NULL},
    {"batch_max", L(batch_max), "100", 1, 10000, NULL, "reports in one batch at most", NULL},
    {"url_max", L(url_max), "2048", 16, 8192, NULL, "bytes of a reported url at most", NULL},
    {"title_max", L(title_max), "300", 1, 10000, NULL, "characters of a title at most", NULL},
    {"description_max", L(description_max), "5000", 1, 100000, NULL, "characters of a description at most", NULL},
    {"contact_max", L(contact_max), "256", 1, 4096, NULL, "bytes of contact details at most", NULL},
    {"json_depth_max", L(json_depth_max), "16", 2, 1000, NULL, "nesting of JSON arrays and objects at most", NULL},
    {"rate_limit", L(rate_limit), "1", 0, 1, "JUBAO_RATE_LIMIT", "0 turns every rate limit off (load tests only)", NULL},
    {"rate_anon", L(rate_anon), "20", 1, 1000000, NULL, "reports per window from one anonymous client", NULL},
    {"rate_anon_window", L(rate_anon_window), "600", 1, 86400, NULL, "seconds of the anonymous window", NULL},
    {"rate_platform", L(rate_platform), "10000", 1, 100000000, NULL, "reports per window from one platform key", NULL},
    {"rate_platform_window", L(rate_platform_window), "60", 1, 86400, NULL, "seconds of the platform window", NULL},
    {"rate_status_anon", L(rate_status_anon), "60", 1, 1000000, NULL, "status lookups per window from one anonymous client", NULL},
    {"rate_status_anon_window", L(rate_status_anon_window), "600", 1, 86400, NULL, "seconds of the anonymous status window", NULL},
    {"rate_status_platform", L(rate_status_platform), "6000", 1, 100000000, NULL, "status lookups per window from one platform key", NULL},
    {"rate_status_platform_window", L(rate_status_platform_window), "60", 1, 86400, NULL, "seconds of the platform status window", NULL},
    {"login_threads", L(login_threads), "1", 1, 16, NULL, "threads that verify reviewers' passwords (Argon2id, 64 MiB each), apart from the HTTP threads", NULL},
    {"login_queue", L(login_queue), "64", 0, 4096, NULL, "logins waiting for a password thread at most; past that 503", NULL},
    {"login_rate", L(login_rate), "20", 1, 1000000, NULL, "logins per window from one client address (checked before any password)", NULL},
    {"login_rate_window", L(login_rate_window), "300", 1, 86400, NULL, "seconds of the login window per client address", NULL},
    {"idempotency_ttl", L(idempotency_ttl), "86400", 60, 2592000, NULL, "seconds an Idempotency-Key is remembered", NULL},
    {"retention_days", L(retention_days), "365", 1, 3650, NULL, "days a report is kept after it arrives (a case: after its last report); then Redis deletes it", NULL},
    {"evidence_max", L(evidence_max), "5242880", 1024, 20971520, NULL, "bytes of an evidence image from the web form at most", NULL},
    {"evidence_max_pixels", L(evidence_max_pixels), "30000000", 1024, 200000000, NULL, "pixels (width x height, all frames together) of an evidence image at most; decoding it may hold 8 bytes a pixel", NULL},
    {"pow_bits", L(pow_bits), "16", 1, 28, NULL, "leading zero bits of the proof of work asked past the rate limit (one more for each report bought in the window)", NULL},
    {"pow_extra", L(pow_extra), "5", 0, 100, NULL, "reports an anonymous client may buy with proofs of work past the rate limit, per window", NULL},
    {"evidence_budget_daily", L(evidence_budget_daily), "26214400", 0, 10737418240, NULL, "bytes of evidence images one anonymous client may send per day", NULL},
    {"review_lease", L(review_lease), "900", 1, 86400, NULL, "seconds a reviewer's claim on a case lasts unless renewed", NULL},
    {"review_deadline_band3", L(review_deadline[3]), "3600", 1, 31536000, NULL, "seconds a reviewer has for a case of the highest band (3), from its queueing", NULL},
    {"review_deadline_band2", L(review_deadline[2]), "14400", 1, 31536000, NULL, "seconds for a case of band 2", NULL},
    {"review_deadline_band1", L(review_deadline[1]), "86400", 1, 31536000, NULL, "seconds for a case of band 1", NULL},
    {"review_deadline_band0", L(review_deadline[0]), "259200", 1, 31536000, NULL, "seconds for a case of the lowest band (0)", NULL},
    {"no_violation_window", L(no_violation_window), "30", 0, 3650, NULL, "days during which new reports about a case decided no_violation join it (not an urgent or graver one)", NULL},
    {"referral_deadline_critical", L(referral_deadline_critical), "7200", 1, 31536000, NULL, "seconds a handler has to act on a referral of a critical case (severity 4)", NULL},
    {"referral_deadline_high", L(referral_deadline_high), "86400", 1, 31536000, NULL, "seconds for a referral of a high-severity case (3)", NULL},
    {"referral_deadline_medium", L(referral_deadline_medium), "259200", 1, 31536000, NULL, "seconds for a referral of a medium-severity case (2)", NULL},
    {"referral_deadline_low", L(referral_deadline_low), "604800", 1, 31536000, NULL, "seconds for a referral of a low-severity case (1, or no rule hit: 0)", NULL},
    {"worker_consumers", L(worker_consumers), "2", 1, 64, NULL, "jubao-worker: intake stream consumer processes", NULL},
    {"worker_idle_ms", L(worker_idle_ms), "30000", 100, 3600000, NULL, "jubao-worker: milliseconds an intake entry may stay unacknowledged before the reaper takes it", NULL},
    {"worker_max_deliveries", L(worker_max_deliveries), "5", 1, 1000, NULL, "jubao-worker: deliveries of an intake entry before it goes to the dead-letter stream", NULL},
    {"model_poll", L(model_poll), "5", 1, 3600, NULL, "seconds between looks at the triage model's version in Redis; a new version is loaded and swapped in without a restart", NULL},
    {"model_max_bytes", L(model_max_bytes), "67108864", 65536, 536870912, NULL, "bytes of a stored triage model at most (larger ones are neither stored nor loaded)", NULL},
    {"model_retrain_decisions", L(model_retrain_decisions), "500", 0, 100000000, NULL, "jubao-worker: new reviewers' decisions after which the model is trained again (0: never on its own)", NULL},
    {"model_retrain_interval", L(model_retrain_interval), "3600", 0, 31536000, NULL, "jubao-worker: seconds between two retrainings at least (of all workers)", NULL},
};
#undef S
#undef L

#define CONF_NOPTS (sizeof conf_opts / sizeof conf_opts[0])

static const struct conf_opt *conf_find(const char *name)
{
    for (size_t i = 0; i < CONF_NOPTS; i++)
        if (strcmp(conf_opts[i].name, name) == 0)
            return &conf_opts[i];
    return NULL;
}

/* Stores value into the option's field. Returns 0, or -1 with the reason in err. */
static int conf_set(struct conf *c, const struct conf_opt *o, const char *value, char *err,
                    size_t errlen)
{
    char *field = (char *)c + o->offset;
    if (o->type == CONF_STR) {
        if (strlen(value) >= o->size) {
            snprintf(err, errlen, "%s: longer than %zu bytes", o->name, o->size - 1);
            return -1;
        }
        const char *why = o->check ? o->check(value) : NULL;
        if (why) {
            snprintf(err, errlen, "%s: \"%s\" %s", o->name, value, why);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < o->min || v > o->max) {
        snprintf(err, errlen, "%s: \"%s\" is not a whole number from %ld to %ld", o->name, value,
                 o->min, o->max);
        return -1;
    }
    memcpy(field, &v, sizeof v);
    return 0;
}

static char *conf_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Reads name = value lines from path (of any length). Returns 0, or -1 with
 * "path:line: reason" in err. */
static int conf_read_file(struct conf *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL, why[512];
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = conf_trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        const struct conf_opt *o = NULL;
        if (!eq) {
            snprintf(why, sizeof why, "expected name = value");
        } else {
            *eq = '\0';
            o = conf_find(conf_trim(s));
            if (!o)
                snprintf(why, sizeof why, "unknown option \"%.64s\"", conf_trim(s));
        }
        if (!o || conf_set(c, o, conf_trim(eq + 1), why, sizeof why) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
            rc = -1;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

/* The metrics listener must not share the public listener's port: the listening sockets are
 * opened with SO_REUSEPORT, so the two would split the public connections between them and
 * /metrics would answer the public. Returns 0, or -1 with the reason in err. */
static int conf_check_ports(const struct conf *c, char *err, size_t errlen)
{
    char host[256];
    int port, mport;
    if (!c->metrics_listen[0])
        return 0;
    conf_split_hostport(c->listen, host, sizeof host, &port);
    conf_split_hostport(c->metrics_listen, host, sizeof host, &mport);
    if (port != mport)
        return 0;
    snprintf(err, errlen, "metrics_listen: \"%s\" must not use the port of listen (%s)",
             c->metrics_listen, c->listen);
    return -1;
}

int conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    char why[512];
    for (size_t i = 0; i < CONF_NOPTS; i++)
        if (conf_set(c, &conf_opts[i], conf_opts[i].def, why, sizeof why) < 0) {
            snprintf(err, errlen, "built-in default: %s", why);
            return -1;
        }
    if (path && conf_read_file(c, path, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < CONF_NOPTS; i++) {
        const char *v = conf_opts[i].env ? getenv(conf_opts[i].env) : NULL;
        if (v && conf_set(c, &conf_opts[i], v, why, sizeof why) < 0) {
            snprintf(err, errlen, "%s: %s", conf_opts[i].env, why);
            return -1;
        }
    }
    return conf_check_ports(c, err, errlen);
}

void conf_describe(FILE *out, bool as_file)
{
    for (size_t i = 0; i < CONF_NOPTS; i++) {
        const struct conf_opt *o = &conf_opts[i];
        char bounds[64] = "";
        if (o->type == CONF_LONG)
            snprintf(bounds, sizeof bounds, " (%ld to %ld)", o->min, o->max);
        char env[64] = "";
        if (o->env)
            snprintf(env, sizeof env, "; environment %s", o->env);
        if (as_file)
            fprintf(out, "# %s%s%s\n# %s = %s\n\n", o->help, bounds, env, o->name, o->def);
        else
            fprintf(out, "  %-24s %s%s%s [default: %s]\n", o->name, o->help, bounds, env, o->def);
    }
}

int conf_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return -1;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']')
            return -1;
        h++;
        hl -= 2;
    } else if (memchr(h, ':', hl)) {
        return -1; /* an IPv6 address needs brackets */
    }
    const char *p = colon + 1;
    size_t digits = strspn(p, "0123456789");
    if (hl >= hostlen || digits == 0 || digits > 5 || p[digits] != '\0')
        return -1;
    long n = strtol(p, NULL, 10);
    if (n < 1 || n > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)n;
    return 0;
}

static void usage(FILE *out, const char *program)
{
    fprintf(out, "usage: %s [-c FILE] [-n] [--help]\n"
                 "  -c FILE   read the configuration from FILE\n"
                 "  -n        check the configuration and exit\n"
                 "  --config-example  print every option as a commented configuration file\n"
                 "options (in FILE as name = value):\n", program);
    conf_describe(out, false);
}

int conf_flags(int argc, char **argv, const char *program, const char **config, int *check_only)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            *config = argv[++i];
        } else if (strcmp(argv[i], "-n") == 0) {
            *check_only = 1;
        } else if (strcmp(argv[i], "--config-example") == 0) {
            conf_describe(stdout, true);
            return 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, program);
            return 1;
        } else {
            usage(stderr, program);
            return -1;
        }
    }
    return 0;
}
