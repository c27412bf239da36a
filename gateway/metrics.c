/* metrics — see metrics.h. */
#include "metrics.h"

#include <stdatomic.h>

static const char *route_names[ROUTE_COUNT] = {
    "/api/v1/reports", "/api/v1/reports/batch", "/api/v1/reports/{id}", "/api/v1/categories",
    "/healthz", "/readyz", "/metrics", "/api/v1/session", "DELETE /api/v1/session",
    "/api/v1/review/claim",
    "/api/v1/review/cases/{case}/renew", "/api/v1/review/cases/{case}/release",
    "/api/v1/review/cases/{case}/decision", "/api/v1/review/cases/{case}/break",
    "/api/v1/review/queues", "/api/v1/decisions", "/api/v1/review/cases/{case}/evidence/{id}",
    "/", "/report", "/status", "/review", "/assets/{name}", "other"};
static const int statuses[] = {200, 202, 204, 400, 401, 403, 404, 405, 409,
                               413, 415, 422, 429, 431, 500, 503, 0};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5, 1, 2.5};
#define NBUCKET (sizeof buckets / sizeof buckets[0])

static atomic_long requests[ROUTE_COUNT][NSTATUS];
static atomic_long latency[ROUTE_COUNT][NBUCKET + 1];
static atomic_llong latency_sum_us[ROUTE_COUNT];
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

void metrics_request(enum route route, int status, double seconds)
{
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
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (size_t s = 0; s < NSTATUS; s++) {
            long v = atomic_load_explicit(&requests[r][s], memory_order_relaxed);
            if (v)
                buf_printf(out, "jubao_http_requests_total{route=\"%s\",status=\"%d\"} %ld\n",
                           route_names[r], statuses[s], v);
        }
    buf_puts(out, "# HELP jubao_http_request_duration_seconds Time from request to answer.\n"
                  "# TYPE jubao_http_request_duration_seconds histogram\n");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        long cum = 0;
        for (size_t b = 0; b <= NBUCKET; b++) {
            cum += atomic_load_explicit(&latency[r][b], memory_order_relaxed);
            if (b < NBUCKET)
                buf_printf(out, "jubao_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %ld\n",
                           route_names[r], buckets[b], cum);
            else
                buf_printf(out, "jubao_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %ld\n",
                           route_names[r], cum);
        }
        buf_printf(out, "jubao_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                   route_names[r],
                   (double)atomic_load_explicit(&latency_sum_us[r], memory_order_relaxed) / 1e6);
        buf_printf(out, "jubao_http_request_duration_seconds_count{route=\"%s\"} %ld\n",
                   route_names[r], cum);
    }
    for (int c = 0; c < M_COUNTER_COUNT; c++)
        buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %ld\n", counter_info[c].name,
                   counter_info[c].help, counter_info[c].name, counter_info[c].name,
                   atomic_load_explicit(&counters[c], memory_order_relaxed));
}
