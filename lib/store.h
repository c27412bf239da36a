/* store — the only hiredis user: Redis commands sent in pipelined batches by threads that each
 * own one connection per server.
 *
 * A caller builds a job of one or more commands and submits it; a store thread appends every
 * queued job to its connection at once, reads the replies, and calls each job's done callback
 * (on the store thread) exactly once. Requests that arrive together are thus written together,
 * one round trip for many (DESIGN.md, "What bounds speed"). Every job has a deadline: when
 * Redis is down, slow or stopped, jobs fail within it instead of waiting. On every (re)connect
 * the thread loads the Redis Function library compiled into the program (redis/)
 * with FUNCTION LOAD REPLACE.
 *
 * The address is one Redis (host:port or a socket path) or a comma-separated list of seed
 * nodes; whether the server is a Redis Cluster is read from it (INFO cluster), never
 * configured. On a cluster each thread keeps the slot map, sends every command to the primary
 * of its key's slot (lib/store_pipe.c says how it finds the key), follows MOVED and ASK, and
 * loads the Functions on every primary it sends to. A job's commands may go to several
 * primaries; its replies still come in the order of its commands. A command refused while its
 * slot moves between nodes (TRYAGAIN) may wait past the deadline, up to 20 s after submission
 * (lib/store_pipe.c). A job that fails is logged as a warning with the reason.
 */
#ifndef JUBAO_STORE_H
#define JUBAO_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct store;
struct store_job;
struct store_reply; /* one reply from Redis; owned by its job */

enum store_type { STORE_NIL, STORE_INT, STORE_STR, STORE_ARRAY, STORE_ERROR, STORE_STATUS };

typedef void store_done_fn(struct store_job *job, void *arg);

/* Starts nthreads store threads for Redis at addr ("host:port", a socket path, or seeds
 * "host:port,host:port,..."; cluster_seeds_parse); each job
 * must be answered within timeout_ms of its submission. Connections are made lazily, so a
 * Redis that is down now does not stop the program. Returns NULL with the reason in err. */
struct store *store_new(const char *addr, int timeout_ms, int nthreads, char *err,
                        size_t errlen);

/* Makes every write of the named Functions (FCALL <name> ...) durable past the loss of its
 * server: the thread sends WAIT acks timeout_ms right after it on the same connection, and a
 * job whose WAIT counts fewer than acks replicas fails (store_job_ok -1, as when Redis is
 * down): the write may be lost in a failover, so nobody must be told it is stored. Such a
 * job's deadline grows by timeout_ms. acks 0 (the default) waits for nothing. Call it before
 * the first store_submit. Returns 0, or -1 when acks < 0, timeout_ms < 1, a name is longer
 * than 63 bytes or n is more than 8. */
int store_wait_replicas(struct store *st, int acks, int timeout_ms,
                        const char *const *functions, size_t n);

/* Stops the threads after the queued jobs are answered, and frees the store. Accepts NULL. */
void store_free(struct store *st);

/* True when the last attempt to talk to Redis succeeded. */
bool store_connected(const struct store *st);

/* A new job whose done(job, arg) is called once after store_submit. Returns NULL when out of
 * memory. The job is freed by its owner with store_job_free, after done or instead of submit. */
struct store_job *store_job_new(store_done_fn *done, void *arg);
void store_job_free(struct store_job *job);

/* The most arguments one command may have (its name included). A longer command is never
 * cut: the job fails when submitted, and store_job_error says why. */
#define STORE_COMMAND_ARGS_MAX 1024

/* Starts the next command of the job; store_job_arg* append its arguments (copied). They
 * return 0, or -1 when out of memory or past STORE_COMMAND_ARGS_MAX (the job then fails when
 * submitted). */
int store_job_command(struct store_job *job, const char *name);
int store_job_arg(struct store_job *job, const void *s, size_t len);
int store_job_argstr(struct store_job *job, const char *s);
int store_job_argll(struct store_job *job, long long v);

/* Starts a command of argv[0] with the arguments argv[1..argc). Returns 0, or -1 when out
 * of memory. */
int store_job_commandv(struct store_job *job, const char *const *argv, size_t argc);

/* Queues the job. done is called on a store thread, maybe before this returns. */
void store_submit(struct store *st, struct store_job *job);

/* Submits the job and waits for it (for command-line tools). Returns store_job_ok(job). */
int store_run(struct store *st, struct store_job *job);

/* 0 when every command of the job got a reply (which may be an error reply), -1 when Redis
 * could not be reached or did not answer in time, too few replicas acknowledged a durable
 * write (store_wait_replicas), or job is NULL. */
int store_job_ok(const struct store_job *job);

/* Why a job failed before it was sent (out of memory, a command too long), or NULL. */
const char *store_job_error(const struct store_job *job);

/* The reply to the i-th command of a job that succeeded, or NULL. */
const struct store_reply *store_job_reply(const struct store_job *job, int i);

enum store_type store_reply_type(const struct store_reply *r);
long long store_reply_int(const struct store_reply *r);
/* The bytes of a string, status or error reply ("" for other types); *len may be NULL. */
const char *store_reply_str(const struct store_reply *r, size_t *len);
size_t store_reply_count(const struct store_reply *r);
/* The i-th element of an array reply, or NULL when out of range. */
const struct store_reply *store_reply_at(const struct store_reply *r, size_t i);
/* The bytes of the i-th element of an array reply, as store_reply_str ("" when absent). */
const char *store_reply_str_at(const struct store_reply *r, size_t i);
/* True when r is a string equal to s. */
bool store_reply_is(const struct store_reply *r, const char *s);

#endif
