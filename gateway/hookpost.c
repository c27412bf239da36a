/* hookpost — see hookpost.h. */
#include "hookpost.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>

int hookpost_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* Counts the answer's bytes and drops them; past the cap, returning less than given makes
 * curl stop with CURLE_WRITE_ERROR. */
static size_t drop(char *p, size_t size, size_t n, void *arg)
{
    size_t *got = arg;
    (void)p;
    *got += size * n;
    return *got > HOOKPOST_READ_MAX ? 0 : size * n;
}

/* libcurl asks about once a second, and at every transfer: non-zero aborts the POST. */
static int cancelled(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load((const atomic_bool *)arg) ? 1 : 0;
}

int hookpost_send(const char *url, const char *const *headers, size_t n, const char *body,
                  size_t len, const atomic_bool *cancel, char *err, size_t errlen)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    for (size_t i = 0; h && i < n; i++) {
        struct curl_slist *more = curl_slist_append(h, headers[i]);
        if (!more)
            curl_slist_free_all(h);
        h = more;
    }
    if (!c || !h) {
        snprintf(err, errlen, "out of memory");
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return -1;
    }
    size_t got = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);     /* threads: no SIGALRM for timeouts */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, HOOKPOST_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, HOOKPOST_TOTAL_MS);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "jubao-webhook/1");
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, cancelled);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)(uintptr_t)cancel);
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else if (rc == CURLE_WRITE_ERROR)
        snprintf(err, errlen, "the answer is over %d bytes", HOOKPOST_READ_MAX);
    else
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return (int)status;
}
