/* conf — the programs' configuration, declared once as a table (conf.c) of name, default,
 * bounds and help. The example file (deploy/jubao.conf), --help and validation all come from
 * that table. Precedence: built-in default < file (-c) < environment (JUBAO_*).
 */
#ifndef JUBAO_CONF_H
#define JUBAO_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct conf {
    char listen[128];      /* host:port */
    char metrics_listen[128]; /* host:port of /metrics, or "" for none */
    char redis[1024];      /* host:port, a Unix socket path, or cluster seeds host:port,... */
    char data_dir[512];
    char rules[512];       /* a rule file or a directory of *.rules files */
    char log_level[8];
    char trusted_proxy[64]; /* address of a reverse proxy whose X-Forwarded-For is believed */
    long threads;          /* HTTP server threads */
    long store_threads;    /* threads that own a Redis connection and pipeline the writes */
    long connection_limit;
    long per_ip_connection_limit;
    long connection_timeout;   /* seconds of silence before a connection is closed */
    long request_deadline;     /* seconds a whole request may take to arrive */
    long header_timeout;       /* seconds to a complete header block */
    long body_budget;          /* bytes of request bodies held at once, in all */
    long upload_per_addr;      /* large bodies in flight per client address */
    long redis_timeout_ms;
    long redis_shards;         /* shards of the data (lib/shard.h); 0: not set (learned) */
    long redis_replica_acks;   /* replicas that must have a write a client is told about */
    long redis_replica_timeout; /* ms to wait for them */
    long body_max;
    long batch_body_max;
    long batch_max;
    long url_max;
    long title_max;
    long description_max;
    long contact_max;
    long json_depth_max;
    long rate_limit;           /* 0: every rate limit off (benchmarks); 1: limits apply */
    long rate_anon;            /* reports per window, per anonymous client */
    long rate_anon_window;     /* seconds */
    long rate_platform;        /* reports per window, per platform key */
    long rate_platform_window;
    long rate_status_anon;     /* status lookups per window, per anonymous client */
    long rate_status_anon_window;
    long rate_status_platform; /* status lookups per window, per platform key */
    long rate_status_platform_window;
    long login_threads;        /* threads that verify passwords (Argon2id, 64 MiB each) */
    long login_queue;          /* logins waiting for one of them at most; then 503 */
    long login_rate;           /* logins per window, per client address */
    long login_rate_window;    /* seconds */
    long idempotency_ttl;      /* seconds an Idempotency-Key is remembered */
    long retention_days;
    long evidence_max;         /* bytes */
    long evidence_max_pixels;  /* width x height (every frame), bounds decoding's memory */
    long pow_bits;
    long pow_extra;            /* reports a client may buy past the limit per window */
    long evidence_budget_daily; /* bytes of evidence per anonymous client per day */
    long review_lease;         /* seconds */
    long review_deadline[4];   /* seconds a queued case has, by its band (0 lowest .. 3) */
    long no_violation_window;  /* days */
    long referral_deadline_critical, referral_deadline_high;    /* seconds, by the case's */
    long referral_deadline_medium, referral_deadline_low;       /* severity (4, 3, 2, 1-0) */
    long worker_consumers;
    long worker_idle_ms;
    long worker_max_deliveries;
    long model_poll;           /* seconds between looks at the model version in Redis */
    long model_max_bytes;      /* of a stored model at most */
    long model_retrain_decisions; /* new decisions that start a retraining (0: never) */
    long model_retrain_interval;  /* seconds between retrainings at least */
};

/* Fills c with the defaults, then the file at path (NULL: none), then the environment.
 * Returns 0, or -1 with "file:line: reason" (or "JUBAO_X: reason", or "option: reason" when two
 * options clash) in err. */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/* Writes every option with its default, bounds and help: as `--help` text when as_file is
 * false, as a commented example configuration file when it is true. */
void conf_describe(FILE *out, bool as_file);

/* Reads a program's flags: -c FILE, -n (check the configuration and exit), --config-example,
 * --help. Returns 0 to go on, 1 when it has done what was asked (exit 0), -1 on a usage error
 * (printed; exit 2). */
int conf_flags(int argc, char **argv, const char *program, const char **config, int *check_only);

/* Splits "host:port" (or "[v6]:port") into host and port. Returns 0, or -1 when malformed. */
int conf_split_hostport(const char *s, char *host, size_t hostlen, int *port);

#endif
