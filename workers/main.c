/* jubao-worker — the supervisor: flags, configuration, rules, then a table of processes
 * (stream consumers, a reaper and a trainer, worker.h) that it starts, restarts with backoff when they
 * die, and stops on SIGTERM or SIGINT, letting each finish the batch in hand. SIGHUP reloads
 * the rules and restarts the processes with them.
 *
 * Processes rather than threads: a consumer that crashes on a poisonous entry takes down only
 * itself, and the supervisor's restart is what makes it read its pending entries again.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "rules.h"
#include "shard.h"
#include "store.h"
#include "worker.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define HEALTHY_MS 60000    /* a process that lived this long starts again at once */
#define DRAIN_MS 10000      /* after SIGTERM, how long processes get to finish */

/* The process table: a kind of process, how many of it, and its body. */
struct proc_def {
    const char *name;
    int (*run)(struct worker *w);
    bool per_consumer;      /* one per worker_consumers, else one */
};

static const struct proc_def procs[] = {
    {"consumer", consumer_run, true},
    {"reaper", reaper_run, false},
    {"trainer", trainer_run, false},
};

struct slot {
    const struct proc_def *def;
    char name[32];
    char consumer[128];     /* <host>/<supervisor pid>/<name> (worker.h) */
    pid_t pid;              /* 0 while not running */
    long backoff_ms;
    long long started_ms, start_at_ms;
};

static volatile sig_atomic_t child_stop;

static void on_child_stop(int sig)
{
    (void)sig;
    child_stop = 1;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* This host's name for consumer names: letters, digits, '.' and '-' of gethostname (others
 * become '_'), "localhost" when it has none. A restarted child keeps its name, and so takes up
 * its own pending entries at once; a restarted worker is a new supervisor with new names, and
 * its old consumers' entries go to a reaper after worker_idle_ms (reaper.c forgets the names). */
static void host_name(char *out, size_t outlen)
{
    if (gethostname(out, outlen) != 0 || !out[0])
        snprintf(out, outlen, "localhost");
    out[outlen - 1] = 0;
    for (char *c = out; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
            *c = '_';
}

/* The body of a child: its own store, the inherited rules, until stopped or failed. */
static int child_main(const struct slot *s, const struct conf *conf, const struct ruleset *rs,
                      pid_t parent)
{
    struct sigaction sa = {.sa_handler = on_child_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        return 1;
    char err[256];
    struct store *st = store_new(conf->redis, (int)conf->redis_timeout_ms, 1, err, sizeof err);
    if (!st) {
        log_error("%s: %s", s->name, err);
        return 1;
    }
    struct model_live *model = model_live_new(NULL);
    struct shards *shards = shards_new((unsigned)conf->redis_shards);
    if (!model || !shards) {
        log_error("%s: out of memory", s->name);
        model_live_free(model);
        shards_free(shards);
        store_free(st);
        return 1;
    }
    struct worker w = {.conf = conf, .store = st, .rules = rs, .model = model, .name = s->name,
                       .consumer = s->consumer,
                       .shards = shards, .stop = &child_stop};
    int rc = s->def->run(&w);
    model_live_free(model);
    shards_free(shards);
    store_free(st);
    rules_thread_done();
    return rc < 0 ? 1 : 0;
}

static void start(struct slot *s, const struct conf *conf, const struct ruleset *rs)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        log_error("%s: cannot fork: %s", s->name, strerror(errno));
        s->start_at_ms = mono_ms() + s->backoff_ms;
        return;
    }
    if (pid == 0)
        _exit(child_main(s, conf, rs, parent));
    s->pid = pid;
    s->started_ms = mono_ms();
    log_info("started %s (pid %d)", s->name, (int)pid);
}

/* Notes the end of a child and when to start it again. */
static void ended(struct slot *s, int status, bool stopping)
{
    long long now = mono_ms();
    if (WIFSIGNALED(status))
        log_warn("%s (pid %d) was killed by signal %d", s->name, (int)s->pid, WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        log_warn("%s (pid %d) exited with status %d", s->name, (int)s->pid, WEXITSTATUS(status));
    s->pid = 0;
    if (stopping)
        return;
    if (now - s->started_ms >= HEALTHY_MS)
        s->backoff_ms = BACKOFF_MIN_MS;
    else
        s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
    s->start_at_ms = now + s->backoff_ms;
    log_info("%s: starting again in %ld ms", s->name, s->backoff_ms);
}

static void reap(struct slot *slots, size_t n, bool stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < n; i++)
            if (slots[i].pid == pid)
                ended(&slots[i], status, stopping);
}

static size_t running(const struct slot *slots, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += slots[i].pid != 0;
    return k;
}

static void signal_all(const struct slot *slots, size_t n, int sig)
{
    for (size_t i = 0; i < n; i++)
        if (slots[i].pid)
            kill(slots[i].pid, sig);
}

/* Stops every child: SIGTERM, then SIGKILL for any still running after DRAIN_MS. */
static void drain(struct slot *slots, size_t n)
{
    signal_all(slots, n, SIGTERM);
    long long deadline = mono_ms() + DRAIN_MS;
    while (running(slots, n) && mono_ms() < deadline) {
        reap(slots, n, true);
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (running(slots, n)) {
        log_warn("%zu processes did not stop in time: killing them", running(slots, n));
        signal_all(slots, n, SIGKILL);
        while (running(slots, n) && waitpid(-1, NULL, 0) > 0)
            reap(slots, n, true);
        for (size_t i = 0; i < n; i++)
            slots[i].pid = 0;
    }
}

/* Runs the table until SIGTERM or SIGINT. */
static void supervise(struct slot *slots, size_t n, const struct conf *conf, struct ruleset **rs,
                      const sigset_t *set)
{
    for (;;) {
        long long now = mono_ms();
        for (size_t i = 0; i < n; i++)
            if (!slots[i].pid && now >= slots[i].start_at_ms)
                start(&slots[i], conf, *rs);
        struct timespec wait = {0, 100 * 1000000L};
        int sig = sigtimedwait(set, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("%s: letting the processes finish their batch",
                     sig == SIGTERM ? "SIGTERM" : "SIGINT");
            drain(slots, n);
            return;
        }
        if (sig == SIGHUP) {
            struct ruleset *fresh = rules_load_logged(conf->rules);
            if (!fresh) {
                log_warn("rules: reload failed; the previous rules stay in force");
            } else {
                drain(slots, n);
                rules_free(*rs);
                *rs = fresh;
                for (size_t i = 0; i < n; i++)
                    slots[i].start_at_ms = 0, slots[i].backoff_ms = BACKOFF_MIN_MS;
            }
        }
        reap(slots, n, false);
    }
}

/* Refuses to supervise anything when the data in Redis was made with another redis_shards
 * (lib/shard.h), and sets conf's to the number to run with. When redis_shards is not set, that
 * number is Redis's to tell: waits for Redis (or a stop signal of set). Returns 0, 1 when
 * stopped meanwhile, or -1 (logged). */
static int shards_verify(struct conf *conf, const sigset_t *set)
{
    char err[512];
    struct store *st = store_new(conf->redis, (int)conf->redis_timeout_ms, 1, err, sizeof err);
    int rc = st ? -1 : -2, waited = 0;
    long n = 0;
    while (st && (rc = shards_start_check(st, conf->redis_shards, &n, err, sizeof err)) == -1 &&
           conf->redis_shards == SHARDS_UNSET) {
        if (!waited++)
            log_warn("%s: waiting for redis to tell the number of shards", err);
        struct timespec second = {1, 0};
        int sig = sigtimedwait(set, NULL, &second);
        if (sig == SIGTERM || sig == SIGINT) {
            store_free(st);
            return 1;
        }
    }
    if (rc < 0)
        log_error("%s", err);
    else
        conf->redis_shards = n;
    store_free(st);
    return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    int check_only = 0;
    int f = conf_flags(argc, argv, "jubao-worker", &config, &check_only);
    if (f != 0)
        return f > 0 ? 0 : 2;
    struct conf conf;
    char err[512];
    if (conf_load(&conf, config, err, sizeof err) < 0) {
        fprintf(stderr, "jubao-worker: %s\n", err);
        return 2;
    }
    if (check_only) {
        printf("jubao-worker: configuration ok\n");
        return 0;
    }
    log_init("jubao-worker", log_level_of(conf.log_level));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int verified = shards_verify(&conf, &set);
    if (verified != 0)
        return verified < 0 ? 1 : 0;
    struct ruleset *rs = rules_load_logged(conf.rules);
    if (!rs)
        return 1;
    size_t n = 0;
    struct slot slots[64 + sizeof procs / sizeof procs[0]];
    char host[64];
    host_name(host, sizeof host);
    for (size_t p = 0; p < sizeof procs / sizeof procs[0]; p++) {
        long count = procs[p].per_consumer ? conf.worker_consumers : 1;
        for (long i = 1; i <= count; i++, n++) {
            slots[n] = (struct slot){.def = &procs[p], .backoff_ms = BACKOFF_MIN_MS};
            if (procs[p].per_consumer)
                snprintf(slots[n].name, sizeof slots[n].name, "%s-%ld", procs[p].name, i);
            else
                snprintf(slots[n].name, sizeof slots[n].name, "%s", procs[p].name);
            snprintf(slots[n].consumer, sizeof slots[n].consumer, "%s/%d/%s", host, (int)getpid(),
                     slots[n].name);
        }
    }
    log_info("supervising %ld consumers, a reaper and a trainer (redis %s)", conf.worker_consumers,
             conf.redis);
    supervise(slots, n, &conf, &rs, &set);
    rules_free(rs);
    log_info("stopped");
    return 0;
}
