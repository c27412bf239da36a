/* webguard — see webpage.h: the anti-forgery double-submit token (a cookie and a hidden
 * field that is its keyed hash), the Origin and Sec-Fetch-Site checks, and the proof of work
 * asked past the rate limit (SHA-256 with leading zero bits, solved by /assets/form.js)
 * instead of a third-party captcha. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webpage.h"

/* ---- anti-forgery ---------------------------------------------------------------------- */

/* The value of cookie name in the Cookie header into out, or false. */
bool guard_cookie(struct http_req *req, const char *name, char *out, size_t outlen)
{
    const char *h = http_header(req, "Cookie");
    size_t n = strlen(name);
    for (const char *p = h ? h : ""; *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            if (len - n - 1 >= outlen)
                return false;
            snprintf(out, outlen, "%.*s", (int)(len - n - 1), p + n + 1);
            return true;
        }
        p += len;
    }
    return false;
}

/* The request's anti-forgery cookie, or a new one (set with the answer). */
void guard_csrf_cookie(struct web *w, struct http_req *req)
{
    if (guard_cookie(req, CSRF_COOKIE, w->cookie, sizeof w->cookie) &&
        strlen(w->cookie) == 32 && strspn(w->cookie, "0123456789abcdef") == 32)
        return;
    crypto_random_hex(w->cookie, 32);
    w->new_cookie = true;
}

/* The hidden field that goes with the cookie: its keyed hash. */
void guard_csrf_token(const struct call *call, const struct web *w, char out[CRYPTO_HEX_LEN])
{
    crypto_keyed_hash(call->api->keys, CRYPTO_CSRF, w->cookie, strlen(w->cookie), out);
}

void guard_set_cookie(struct http_req *req, const struct web *w)
{
    if (!w->new_cookie)
        return;
    char c[128];
    snprintf(c, sizeof c, CSRF_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", w->cookie);
    http_add_header(req, "Set-Cookie", c);
}

/* True when the request comes from a page of this site, as far as the browser says: an
 * Origin that is our own, and a Sec-Fetch-Site of same-origin (or none: typed, bookmarked).
 * Our pages send no referrer, so browsers send "Origin: null" with their forms: that says
 * nothing, and Sec-Fetch-Site (and the anti-forgery token) decide. */
bool guard_same_origin(struct http_req *req)
{
    const char *site = http_header(req, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return false;
    const char *origin = http_header(req, "Origin"), *host = http_header(req, "Host");
    if (!origin || strcmp(origin, "null") == 0)
        return true;
    if (!host)
        return false;
    const char *rest = strncmp(origin, "https://", 8) == 0  ? origin + 8
                       : strncmp(origin, "http://", 7) == 0 ? origin + 7
                                                            : NULL;
    return rest && strcmp(rest, host) == 0;
}

/* ---- proof of work --------------------------------------------------------------------- */

/* A challenge: "<expiry>.<bits>.<nonce>.<mac>", the mac a keyed hash of the rest, so that
 * only challenges made here are accepted, at the difficulty they were made with, and none
 * after it expired. */
void guard_pow_challenge(const struct call *call, int bits, char out[128])
{
    char nonce[33], mac[CRYPTO_HEX_LEN], body[80];
    crypto_random_hex(nonce, 32);
    snprintf(body, sizeof body, "%lld.%d.%s", (long long)time(NULL) + POW_TTL, bits, nonce);
    crypto_keyed_hash(call->api->keys, CRYPTO_POW, body, strlen(body), mac);
    snprintf(out, 128, "%s.%.32s", body, mac);
}

/* Checks a solution "<challenge>:<counter>". Returns the bits it was solved at, with the
 * challenge's nonce in w->pow_nonce (to be spent once), when it is ours, unexpired and
 * solved; else 0. */
int guard_pow_valid(const struct call *call, struct web *w, const char *s)
{
    char exp[24], bits[4], nonce[40], mac[40], body[96], want[CRYPTO_HEX_LEN];
    const char *colon = strrchr(s, ':');
    if (!colon || strlen(s) > 120 ||
        sscanf(s, "%20[0-9].%2[0-9].%32[0-9a-f].%32[0-9a-f]:", exp, bits, nonce, mac) != 4 ||
        strlen(nonce) != 32 || strlen(mac) != 32 || strspn(colon + 1, "0123456789") == 0 ||
        colon[1 + strspn(colon + 1, "0123456789")] != '\0')
        return 0;
    snprintf(body, sizeof body, "%s.%s.%s", exp, bits, nonce);
    crypto_keyed_hash(call->api->keys, CRYPTO_POW, body, strlen(body), want);
    int n = atoi(bits);
    if (!crypto_equal(want, mac, 32) || atoll(exp) < (long long)time(NULL) ||
        n < call->api->conf->pow_bits || crypto_sha256_zero_bits(s, strlen(s)) < n)
        return 0;
    snprintf(w->pow_nonce, sizeof w->pow_nonce, "%s", nonce);
    return n;
}

