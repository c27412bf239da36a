/* metrics — see metrics.h. */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* The route labels, registered under reg_lock and published by nroutes (release): a reader
 * sees only labels that are complete. */
static const char *route_labels[METRICS_ROUTES_MAX];
static atomic_int nroutes;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const int statuses[] = {200, 202, 204, 400, 401, 403, 404, 405, 409,
                               413, 415, 422, 429, 431, 500, 503, 0};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5, 1, 2.5};
#define NBUCKET (sizeof buckets / sizeof buckets[0])

static atomic_long requests[METRICS_ROUTES_MAX][NSTATUS];
static atomic_long latency[METRICS_ROUTES_MAX][NBUCKET + 1];
static atomic_llong latency_sum_us[METRICS_ROUTES_MAX];
static atomic_long counters[M_COUNTER_COUNT];

static const struct {
    const char *name, *help;
} counter_info[M_COUNTER_COUNT] = {
    {"jubao_reports_accepted_total", "Reports stored and answered 202."},
    {"jubao_duplicates_total", "Accepted reports that joined an open case."},
    {"jubao_redis_errors_total", "Requests answered 503 because Redis failed or was too slow."},
    {"jubao_redis_full_total", "Reports answered 503 because Redis refused the write: it is at maxmemory."},
    {"jubao_rate_limited_total", "Reports refused with 429."},
    {"jubao_idempotent_replays_total", "Answers repeated for a known Idempotency-Key."},
    {"jubao_review_claims_total", "Cases handed to a reviewer under a lease."},
    {"jubao_review_lease_conflicts_total", "Renewals, releases and decisions refused with 409."},
    {"jubao_audit_retries_total", "Decisions hashed again because another got into the audit chain first."},
    {"jubao_status_rate_limited_total", "Status lookups refused with 429."},
    {"jubao_password_checks_total", "Passwords verified with Argon2id (logins that got past the limits)."},
};

/* The slot of label, or -1 when it is not registered. */
static int route_slot(const char *label)
{
    int n = atomic_load_explicit(&nroutes, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (route_labels[i] == label || strcmp(route_labels[i], label) == 0)
            return i;
    return -1;
}

/* The slot of label, registered when it is new; -1 when every slot is taken. */
static int route_register(const char *label)
{
    int i = route_slot(label);
    if (i >= 0)
        return i;
    pthread_mutex_lock(&reg_lock);
    int n = atomic_load_explicit(&nroutes, memory_order_relaxed);
    if ((i = route_slot(label)) < 0 && n < METRICS_ROUTES_MAX) {
        route_labels[n] = label;
        atomic_store_explicit(&nroutes, n + 1, memory_order_release);
        i = n;
    }
    pthread_mutex_unlock(&reg_lock);
    return i;
}

bool metrics_route(const char *label)
{
    return route_register(label) >= 0;
}

void metrics_request(const char *label, int status, double seconds)
{
    int route = route_register(label);
    if (route < 0)
        return;
    size_t s = 0;
    while (statuses[s] && statuses[s] != status)
        s++;
    atomic_fetch_add_explicit(&requests[route][s], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < NBUCKET && seconds > buckets[b])
        b++;
    atomic_fetch_add_explicit(&latency[route][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_us[route], (long long)(seconds * 1e6),
                              memory_order_relaxed);
}

void metrics_add(enum counter c, long n)
{
    atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

void metrics_render(struct buf *out)
{
    buf_puts(out, "# HELP jubao_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE jubao_http_requests_total counter\n");
    int n = atomic_load_explicit(&nroutes, memory_order_acquire);
    for (int r = 0; r < n; r++)
        for (size_t s = 0; s < NSTATUS; s++) {
            long v = atomic_load_explicit(&requests[r][s], memory_order_relaxed);
            if (v)
                buf_printf(out, "jubao_http_requests_total{route=\"%s\",status=\"%d\"} %ld\n",
                           route_labels[r], statuses[s], v);
        }
    buf_puts(out, "# HELP jubao_http_request_duration_seconds Time from request to answer.\n"
                  "# TYPE jubao_http_request_duration_seconds histogram\n");
    for (int r = 0; r < n; r++) {
        long cum = 0;
        for (size_t b = 0; b <= NBUCKET; b++) {
            cum += atomic_load_explicit(&latency[r][b], memory_order_relaxed);
            if (b < NBUCKET)
                buf_printf(out, "jubao_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %ld\n",
                           route_labels[r], buckets[b], cum);
            else
                buf_printf(out, "jubao_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %ld\n",
                           route_labels[r], cum);
        }
        buf_printf(out, "jubao_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                   route_labels[r],
                   (double)atomic_load_explicit(&latency_sum_us[r], memory_order_relaxed) / 1e6);
        buf_printf(out, "jubao_http_request_duration_seconds_count{route=\"%s\"} %ld\n",
                   route_labels[r], cum);
    }
    for (int c = 0; c < M_COUNTER_COUNT; c++)
        buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %ld\n", counter_info[c].name,
                   counter_info[c].help, counter_info[c].name, counter_info[c].name,
                   atomic_load_explicit(&counters[c], memory_order_relaxed));
}
