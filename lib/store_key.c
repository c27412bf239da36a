/* store_key — a command's words, as lib/store_pipe.c needs them: which word is the key that
 * decides a command's server on a Redis Cluster (store_int.h, store_cmd_key), and which
 * commands are durable writes (store_pipe_durable). */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmd_argc(const struct store_job *job, int c)
{
    int end = c + 1 < job->ncmd ? job->cmd_start[c + 1] : job->nargs;
    return end - job->cmd_start[c];
}

const char *store_cmd_arg(const struct store_job *job, int c, int i, size_t *len)
{
    const struct store_arg *a = &job->args[job->cmd_start[c] + i];
    *len = a->len;
    return job->bytes.p ? job->bytes.p + a->off : "";
}

/* True when word i of command c is s, in any case. */
static bool cmd_arg_is(const struct store_job *job, int c, int i, const char *s)
{
    size_t len;
    const char *p = store_cmd_arg(job, c, i, &len);
    return len == strlen(s) && strncasecmp(p, s, len) == 0;
}

static bool has_tag(const char *p, size_t len)
{
    const char *open = memchr(p, '{', len);
    const char *close = open ? memchr(open + 1, '}', len - (size_t)(open + 1 - p)) : NULL;
    return close && close > open + 1;
}

static bool cmd_is_any(const struct store_job *job, int c, const char *const *names)
{
    for (; *names; names++)
        if (cmd_arg_is(job, c, 0, *names))
            return true;
    return false;
}

/* The index of the word of command c whose slot decides its server, or -1 for a command
 * without a key (the rules of the header comment). */
int store_cmd_key(const struct store_job *job, int c)
{
    static const char *const scripts[] = {"FCALL", "FCALL_RO", "EVAL", "EVALSHA", "EVAL_RO",
                                          "EVALSHA_RO", NULL};
    static const char *const third[] = {"XGROUP", "XINFO", "OBJECT", NULL};
    static const char *const keyless[] = {
        "PING", "INFO", "TIME", "ECHO", "FUNCTION", "CLUSTER", "COMMAND", "CONFIG", "DBSIZE",
        "SCRIPT", "WAIT", "CLIENT", "HELLO", "AUTH", "SELECT", "ROLE", "LASTSAVE", "KEYS",
        "SCAN", "RANDOMKEY", "FLUSHALL", "FLUSHDB", "SLOWLOG", "LATENCY", "SAVE", "BGSAVE", NULL};
    int argc = cmd_argc(job, c);
    if (argc < 2 || cmd_is_any(job, c, keyless))
        return -1;
    if (cmd_is_any(job, c, scripts)) {
        size_t len;
        const char *p = store_cmd_arg(job, c, 2, &len);
        char n[24];
        snprintf(n, sizeof n, "%.*s", (int)(len < 23 ? len : 23), argc > 2 ? p : "0");
        if (atol(n) > 0 && argc > 3)
            return 3;
        for (int i = 3; i < argc; i++)
            if ((p = store_cmd_arg(job, c, i, &len)) && has_tag(p, len))
                return i;
        return -1;
    }
    if (cmd_arg_is(job, c, 0, "XREAD") || cmd_arg_is(job, c, 0, "XREADGROUP")) {
        for (int i = 1; i + 1 < argc; i++)
            if (cmd_arg_is(job, c, i, "STREAMS"))
                return i + 1;
        return -1;
    }
    if (cmd_is_any(job, c, third))
        return argc > 2 ? 2 : -1;
    return 1;
}

bool store_pipe_durable(const struct store *st, const struct store_job *job, int c)
{
    if (st->replica_acks <= 0 || cmd_argc(job, c) < 2 || !cmd_arg_is(job, c, 0, "FCALL"))
        return false;
    size_t len;
    const char *fn = store_cmd_arg(job, c, 1, &len);
    for (int i = 0; i < st->ndurable; i++)
        if (strlen(st->durable[i]) == len && memcmp(st->durable[i], fn, len) == 0)
            return true;
    return false;
}
