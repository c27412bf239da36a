/* store_int.h — what the two files of the store module share; nothing else includes it.
 *
 * lib/store.c owns jobs, replies, the threads and the one hiredis connection type (it stays
 * the only hiredis user: check-arch). lib/store_pipe.c owns what a store thread does with a
 * batch of jobs: which server each command goes to (one plain Redis, or the primary of the
 * command's slot on a Redis Cluster), the pipelines, the cluster's redirections and the
 * WAIT for replicas. It works on store.c's connections through the store_conn_* calls below.
 * lib/store_key.c reads a command's words: its key, and whether it is a durable write.
 */
#ifndef JUBAO_STORE_INT_H
#define JUBAO_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "cluster.h"
#include "store.h"

#define STORE_RECONNECT_MS 200    /* between attempts while a server is down: fail fast meanwhile */
#define STORE_DURABLE_MAX 8       /* Functions whose writes are waited for (store_wait_replicas) */
#define STORE_LINKS_MAX (CLUSTER_NODES_MAX + CLUSTER_SEEDS_MAX) /* servers a thread knows */

struct store_arg {
    size_t off, len;
};

struct store_job {
    store_done_fn *done;
    void *arg;
    struct buf bytes;       /* every argument's bytes, back to back */
    struct store_arg *args; /* per argument: where its bytes are */
    int nargs;
    size_t capargs;
    int *cmd_start;         /* per command: index of its first argument */
    int ncmd;
    size_t capcmd;
    struct store_reply **replies; /* per command, after its reply came */
    int ok;
    bool oom;               /* the job cannot be sent: error says why */
    bool durable;           /* holds a write that is waited for (store_pipe_durable) */
    bool failed;            /* while served: a reply is missing or too few replicas acked */
    const char *error;      /* why the job fails before it is sent, or NULL */
    const char *why;        /* why it failed while served (logged), or NULL */
    long long submitted;    /* monotonic milliseconds */
    long long deadline;     /* monotonic milliseconds; a migrating slot may extend it */
    struct store_job *next;
};

/* One connection to one server: a hiredis context (store.c). */
struct store_conn;

/* Connects to a (port 0: a Unix socket path) within budget_ms. Returns NULL with the reason
 * in err. */
struct store_conn *store_conn_open(const struct cluster_addr *a, long long budget_ms, char *err,
                                   size_t errlen);
void store_conn_free(struct store_conn *c);
/* Replies must come within ms from now on. */
void store_conn_timeout(struct store_conn *c, long long ms);
/* Queues a command (not sent until a read). Returns 0, or -1 when out of memory. */
int store_conn_append(struct store_conn *c, int argc, const char **argv, const size_t *lens);
/* The next reply, owned by the caller (store_reply_free). Returns 0, or -1 when the connection
 * broke or timed out (store_conn_error says why; the connection is then useless). */
int store_conn_read(struct store_conn *c, struct store_reply **out);
const char *store_conn_error(const struct store_conn *c);
/* Whether an idle connection (no reply outstanding) was closed by its server, or has bytes
 * nobody asked for: either way it is of no more use. Never blocks. */
bool store_conn_closed(const struct store_conn *c);
/* Sends one command and reads its reply: the reply, or NULL when the connection broke. */
struct store_reply *store_conn_call(struct store_conn *c, int argc, const char **argv,
                                    const size_t *lens);
void store_reply_free(struct store_reply *r);

/* A server a thread talks to, found by address (the map's indexes change on a refresh). */
struct store_link {
    struct cluster_addr addr;
    struct store_conn *conn;
    long long next_connect; /* no new attempt before this (monotonic ms) */
    long long checked;      /* when the idle connection was last checked (monotonic ms) */
    bool loaded;            /* the Function library is loaded through this connection */
    bool tried;             /* an attempt was made (the first failure is always logged) */
};

enum store_mode { STORE_UNKNOWN, STORE_SINGLE, STORE_CLUSTER };

struct store_thread {
    struct store *st;
    pthread_t tid;
    enum store_mode mode;   /* read from the first server that answers (INFO cluster) */
    int single;             /* STORE_SINGLE: the link of the one server */
    struct cluster_map *map;         /* STORE_CLUSTER: this thread's own slot map */
    bool stale;                      /* the map needs a refresh */
    long long next_refresh;
    int16_t link_of[CLUSTER_NODES_MAX]; /* map node index -> link index, -1: not looked up */
    long long next_wait_log;         /* too few replicas: logged once a second at most */
    long long next_fail_log;         /* a failed job: logged once a second at most */
    int fails_unlogged;              /* failed jobs not logged since the last such line */
    int nlinks;
    struct store_link links[STORE_LINKS_MAX];
};

struct store {
    struct cluster_seeds seeds;
    int timeout_ms;
    int replica_acks;       /* WAIT for this many replicas after a durable write; 0: none */
    int replica_timeout_ms;
    char wait_acks[16], wait_timeout[16]; /* WAIT's arguments, as text */
    int ndurable;
    char durable[STORE_DURABLE_MAX][64]; /* names of the Functions whose writes are waited for */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct store_job *head, *tail;
    bool stopping;
    atomic_bool connected;
    int nthreads;
    struct store_thread *threads;
};

long long store_now_ms(void);

/* The arguments of command c of a job: *argv and *lens point into arrays of at least
 * STORE_COMMAND_ARGS_MAX entries. Returns argc. */
int store_job_argv(const struct store_job *job, int c, const char **argv, size_t *lens);

/* Serves live jobs (not past their deadline, all sendable) on thread t: every command to its
 * server, replies into job->replies, job->ok set for each; done is not called here. */
void store_pipe_serve(struct store_thread *t, struct store_job **jobs, int n);

/* Word i of command c of a job (not NUL-terminated), its length in *len. */
const char *store_cmd_arg(const struct store_job *job, int c, int i, size_t *len);

/* The index of the word of command c whose slot decides its server on a cluster, or -1 for a
 * command without a key (lib/store_pipe.c's header comment says which word). */
int store_cmd_key(const struct store_job *job, int c);

/* Logs that job failed and job->why (a warning; once a second at most per thread, with the
 * number of failures not logged since), so that an operator sees why callers were refused. */
void store_pipe_failed(struct store_thread *t, const struct store_job *job);

/* Closes the thread's connections and frees its map. */
void store_pipe_close(struct store_thread *t);

/* True when command c of job is a write that is waited for: FCALL of a Function named by
 * store_wait_replicas while replica_acks > 0. */
bool store_pipe_durable(const struct store *st, const struct store_job *job, int c);

#endif
