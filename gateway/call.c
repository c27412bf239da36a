/* call — see call.h. */
#include "call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics.h"

struct call *call_new(struct api *api, struct http_req *req)
{
    struct call *call = calloc(1, sizeof *call);
    if (!call) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return NULL;
    }
    call->api = api;
    http_set_state(req, call);
    return call;
}

void call_set_state(struct call *call, void *state, void (*free_state)(void *state))
{
    call->state = state;
    call->state_free = free_state;
}

void call_free(struct call *call)
{
    if (!call)
        return;
    if (call->state_free)
        call->state_free(call->state);
    store_job_free(call->job);
    jdoc_free(call->doc);
    free(call);
}

void call_answer_json(struct http_req *req, int status, struct buf *b)
{
    if (b->oom) {
        static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        http_respond(req, 503, "application/json", oom, sizeof oom - 1);
    } else {
        http_respond(req, status, "application/json", b->p, b->len);
    }
    buf_free(b);
}

long call_retry_of(long retry_after)
{
    return retry_after > 0 ? retry_after : RETRY_AFTER_SECONDS;
}

void call_error_object(struct buf *b, const char *code, const char *message, const char *field)
{
    buf_puts(b, "{");
    buf_json_kv(b, "code", code);
    buf_json_kv(b, "message", message);
    if (field)
        buf_json_kv(b, "field", field);
    buf_puts(b, "}");
}

void call_answer_error_retry(struct http_req *req, int status, const char *code,
                             const char *message, const char *field, long retry_after)
{
    struct buf b = {0};
    buf_puts(&b, "{\"error\":");
    call_error_object(&b, code, message, field);
    buf_puts(&b, "}");
    if (status == 429 || status == 503) {
        char n[24];
        snprintf(n, sizeof n, "%ld", call_retry_of(retry_after));
        http_add_header(req, "Retry-After", n);
    }
    call_answer_json(req, status, &b);
}

void call_answer_error(struct http_req *req, int status, const char *code, const char *message,
                       const char *field)
{
    call_answer_error_retry(req, status, code, message, field, 0);
}

void call_answer_unavailable(struct http_req *req)
{
    metrics_add(M_REDIS_ERRORS, 1);
    call_answer_error(req, 503, "unavailable", "the store is unavailable; try again", NULL);
}

long long call_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool call_content_type_json(const char *ct)
{
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return false;
    const char *rest = ct + 16;
    while (*rest == ' ')
        rest++;
    if (*rest == '\0')
        return true;
    if (*rest != ';')
        return false;
    const char *cs = strcasestr(rest, "charset=");
    if (!cs)
        return true;
    cs += 8;
    if (*cs == '"')
        cs++;
    return strncasecmp(cs, "utf-8", 5) == 0 &&
           (cs[5] == '\0' || cs[5] == '"' || cs[5] == ';' || cs[5] == ' ');
}

static void store_done(struct store_job *job, void *arg)
{
    (void)job;
    http_resume(arg);
}

int call_job_begin(struct call *call, struct http_req *req, const char *const *args, size_t n)
{
    store_job_free(call->job);
    if (!(call->job = store_job_new(store_done, req))) {
        call_answer_error(req, 503, "overloaded", "out of memory", NULL);
        return -1;
    }
    store_job_commandv(call->job, args, n);
    return 0;
}

void call_job_send(struct call *call, struct http_req *req)
{
    http_suspend(req);
    store_submit(call->api->store, call->job);
}

int call_take_json(struct call *call, struct http_req *req, bool empty_ok)
{
    size_t len;
    const char *body = http_body(req, &len);
    if (len == 0 && empty_ok)
        body = "{}", len = 2;
    else if (!call_content_type_json(http_header(req, "Content-Type"))) {
        call_answer_error(req, 415, "unsupported_media_type",
                          "send Content-Type: application/json (UTF-8)", NULL);
        return -1;
    }
    char why[160], msg[200];
    call->doc = jdoc_parse(body, len, (int)call->api->conf->json_depth_max, why, sizeof why);
    if (!call->doc) {
        snprintf(msg, sizeof msg, "the body is not valid JSON: %s", why);
        call_answer_error(req, 400, "invalid_json", msg, NULL);
        return -1;
    }
    return 0;
}

int call_only_fields(struct call *call, struct http_req *req, const char *const *names, size_t n)
{
    void *it = NULL;
    const struct jdoc *v;
    const char *key;
    while ((key = jdoc_next(call->doc, &it, &v))) {
        size_t i = 0;
        while (i < n && strcmp(key, names[i]) != 0)
            i++;
        if (i == n) {
            char msg[160];
            snprintf(msg, sizeof msg, "%.100s is not a field of this request", key);
            call_answer_error(req, 400, "unknown_field", msg, key);
            return -1;
        }
    }
    return 0;
}

int call_pseudonym(const struct call *call, struct http_req *req, time_t when,
                     char out[CRYPTO_HEX_LEN])
{
    return crypto_pseudonym(call->api->keys, http_client(req), when, out);
}

void call_json_suggestions(struct buf *b, const char *scores)
{
    buf_puts(b, ",\"suggestions\":[");
    for (size_t shown = 0; *scores;) {
        size_t len = strcspn(scores, ",");
        const char *c1 = memchr(scores, ':', len);
        const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - scores)) : NULL;
        if (c1) {
            buf_puts(b, shown++ ? ",{\"category\":" : "{\"category\":");
            buf_json_str(b, scores, (size_t)(c1 - scores));
            buf_printf(b, ",\"score\":%.2f,\"sources\":[", strtod(c1 + 1, NULL));
            const char *src = c2 ? c2 + 1 : scores + len;
            size_t srclen = (size_t)(scores + len - src);
            for (size_t k = 0, n = 0; k < srclen; n++) {
                size_t part = strcspn(src + k, "+,");
                part = part > srclen - k ? srclen - k : part;
                buf_puts(b, n ? "," : "");
                buf_json_str(b, src + k, part);
                k += part + 1;
            }
            buf_puts(b, "]}");
        }
        scores += len + (scores[len] == ',');
    }
    buf_puts(b, "]");
}
